//! HyStart++, RFC 9406: a slow start that, on a rise of the round's minimum
//! RTT, slows down (Conservative Slow Start, CSS, a quarter of the growth)
//! instead of stopping, and goes back to slow start if the rise was
//! spurious.
//!
//! - Rounds (RFC 9406 4.2): a round ends when an ACK passes `windowEnd`,
//!   the SND.NXT noted when it began; then `lastRoundMinRTT =
//!   currentRoundMinRTT`.
//! - Slow start: after `N_RTT_SAMPLE` = 8 samples in the round, if
//!   `currentRoundMinRTT >= lastRoundMinRTT + clamp(lastRoundMinRTT / 8,
//!   4 ms, 16 ms)`, enter CSS with `cssBaselineMinRtt = currentRoundMinRTT`.
//! - CSS: growth divided by `CSS_GROWTH_DIVISOR` = 4; after 8 samples of a
//!   round, a minimum below the baseline resumes slow start; after
//!   `CSS_ROUNDS` = 5 rounds, congestion avoidance (ssthresh = cwnd).
//!
//! Simplified (observable): used in the first slow start only (RFC 9406
//! 4.3 recommends it there; after a timeout slow start runs to ssthresh);
//! the slow-start increase per ACK is the sender's (RFC 3465, L = 2), not
//! RFC 9406's L = 8 for unpaced senders.

use sim_core::SimDuration;

const MIN_RTT_THRESH: SimDuration = SimDuration::from_millis(4);
const MAX_RTT_THRESH: SimDuration = SimDuration::from_millis(16);
const MIN_RTT_DIVISOR: u64 = 8;
const N_RTT_SAMPLE: u32 = 8;
/// RFC 9406 4.2: CSS_GROWTH_DIVISOR.
pub const CSS_GROWTH_DIVISOR: u64 = 4;
const CSS_ROUNDS: u32 = 5;

/// What the sender's slow start does with this ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Standard slow start.
    SlowStart,
    /// Conservative slow start: grow by a quarter.
    Conservative,
    /// Enter congestion avoidance: ssthresh = cwnd.
    Exit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Stage {
    #[default]
    SlowStart,
    Css {
        baseline: SimDuration,
        rounds: u32,
    },
    /// Left (by CSS rounds, a loss or a timeout): no more verdicts.
    Done,
}

/// RFC 9406 state of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HyStartPp {
    stage: Stage,
    window_end: Option<u64>,
    last_round_min: Option<SimDuration>,
    current_round_min: Option<SimDuration>,
    samples: u32,
}

impl HyStartPp {
    /// A loss or timeout ends HyStart++ (RFC 9406 4.2: "If loss or ECN-CE
    /// marking is observed anytime during standard slow start or CSS ...
    /// exit").
    pub fn on_loss(&mut self) {
        self.stage = Stage::Done;
    }

    /// An ACK in slow start, with its RTT sample.
    pub fn on_ack(&mut self, snd_una: u64, snd_nxt: u64, rtt: Option<SimDuration>) -> Verdict {
        if self.stage == Stage::Done {
            return Verdict::SlowStart;
        }
        // RFC 9406 4.2: at the start of each round.
        if self.window_end.is_none_or(|e| snd_una > e) {
            self.last_round_min = self.current_round_min;
            self.current_round_min = None;
            self.samples = 0;
            self.window_end = Some(snd_nxt);
            if let Stage::Css { baseline, rounds } = self.stage {
                let rounds = rounds + 1;
                if rounds >= CSS_ROUNDS {
                    // "If CSS_ROUNDS rounds are complete, enter congestion
                    // avoidance by setting the ssthresh to the current cwnd."
                    self.stage = Stage::Done;
                    return Verdict::Exit;
                }
                self.stage = Stage::Css { baseline, rounds };
            }
        }
        if let Some(r) = rtt {
            self.current_round_min = Some(self.current_round_min.map_or(r, |m| m.min(r)));
            self.samples += 1;
        }
        match (self.stage, self.current_round_min) {
            (Stage::SlowStart, Some(cur)) if self.samples >= N_RTT_SAMPLE => {
                if let Some(last) = self.last_round_min {
                    let thresh = SimDuration::from_nanos(last.as_nanos() / MIN_RTT_DIVISOR)
                        .clamp(MIN_RTT_THRESH, MAX_RTT_THRESH);
                    if cur >= last + thresh {
                        self.stage = Stage::Css {
                            baseline: cur,
                            rounds: 0,
                        };
                        return Verdict::Conservative;
                    }
                }
                Verdict::SlowStart
            }
            (Stage::Css { baseline, .. }, Some(cur)) if self.samples >= N_RTT_SAMPLE && cur < baseline => {
                // "the RTT increase was spurious": resume slow start.
                self.stage = Stage::SlowStart;
                Verdict::SlowStart
            }
            (Stage::Css { .. }, _) => Verdict::Conservative,
            _ => Verdict::SlowStart,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Option<SimDuration> {
        Some(SimDuration::from_millis(v))
    }

    /// Feeds one round of `n` ACKs at `rtt`, starting with SND.UNA past
    /// `*una`; returns the verdicts.
    fn round(h: &mut HyStartPp, una: &mut u64, n: u64, rtt: u64) -> Vec<Verdict> {
        let end = *una + n;
        let v = (0..n).map(|k| h.on_ack(*una + 1 + k, end, ms(rtt))).collect();
        *una = end;
        v
    }

    #[test]
    fn a_round_minimum_above_the_last_by_the_threshold_enters_css() {
        let mut h = HyStartPp::default();
        let mut una = 0;
        assert!(round(&mut h, &mut una, 10, 80).iter().all(|v| *v == Verdict::SlowStart));
        // Threshold: clamp(80/8, 4, 16) = 10 ms; 90 >= 90 enters CSS at the
        // eighth sample.
        let v = round(&mut h, &mut una, 10, 90);
        assert_eq!(v[6], Verdict::SlowStart);
        assert_eq!(v[7], Verdict::Conservative);
        assert_eq!(v[9], Verdict::Conservative);
    }

    #[test]
    fn css_lasting_five_rounds_ends_slow_start() {
        let mut h = HyStartPp::default();
        let mut una = 0;
        round(&mut h, &mut una, 10, 80);
        round(&mut h, &mut una, 10, 95);
        for _ in 0..4 {
            assert_eq!(round(&mut h, &mut una, 10, 95)[9], Verdict::Conservative);
        }
        assert_eq!(h.on_ack(una + 1, una + 10, ms(95)), Verdict::Exit);
        assert_eq!(h.on_ack(una + 2, una + 10, ms(95)), Verdict::SlowStart);
    }

    #[test]
    fn a_round_minimum_back_below_the_baseline_resumes_slow_start() {
        let mut h = HyStartPp::default();
        let mut una = 0;
        round(&mut h, &mut una, 10, 80);
        round(&mut h, &mut una, 10, 95);
        let v = round(&mut h, &mut una, 10, 85);
        assert_eq!(v[6], Verdict::Conservative);
        assert_eq!(v[7], Verdict::SlowStart);
    }

    #[test]
    fn a_loss_ends_hystart_plus_plus() {
        let mut h = HyStartPp::default();
        let mut una = 0;
        round(&mut h, &mut una, 10, 80);
        h.on_loss();
        assert!(
            round(&mut h, &mut una, 10, 200)
                .iter()
                .all(|v| *v == Verdict::SlowStart)
        );
    }
}
