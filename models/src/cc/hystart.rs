//! HyStart as Linux runs it in CUBIC (`net/ipv4/tcp_cubic.c`
//! `hystart_update`, `bictcp_hystart_reset`, `cubictcp_acked`; Ha and Rhee,
//! "Taming the elephants: New TCP slow start", Computer Networks 2011),
//! with its default module parameters (`hystart_detect` = both,
//! `hystart_low_window` = 16, `hystart_ack_delta_us` = 2000).
//!
//! Slow start ends (ssthresh = cwnd) before the first loss when, within a
//! round of data (from an ACK passing the SND.NXT noted at the round's start
//! to the next such ACK):
//! - **ACK train**: ACKs keep arriving no more than 2 ms apart for longer
//!   than half the minimum RTT (plus Linux's allowance for delayed sends,
//!   `hystart_ack_delay`, at most 1 ms); the train's length measures the
//!   bottleneck's capacity, so cwnd has reached about one BDP;
//! - **delay increase**: the smallest RTT of the round's first 8 samples
//!   (and of every later one) exceeds the connection's minimum by more than
//!   minimum/8, clamped to [4 ms, 16 ms]: a queue is building.
//!
//! Only once cwnd is at least 16 segments (rounds are counted before that
//! too). The samples are the RTT of the newest segment an ACK covers (Linux
//! `ca_rtt_us`).
//!
//! Simplified (observable): Linux skips samples during the second after a
//! congestion-avoidance epoch starts; in slow start there is no epoch, so
//! this never applies here. The ACK-train allowance assumes no pacing and a
//! 64 KiB GSO size (Linux: min(1 ms, 4 x gso_max_size / pacing rate), 1 ms
//! below ~260 MB/s).

use sim_core::{SimDuration, SimTime};

/// `HYSTART_MIN_SAMPLES`: RTT samples per round before the delay test.
const MIN_SAMPLES: u32 = 8;
/// `HYSTART_DELAY_MIN` / `HYSTART_DELAY_MAX`: bounds of the delay threshold.
const DELAY_MIN: SimDuration = SimDuration::from_millis(4);
const DELAY_MAX: SimDuration = SimDuration::from_millis(16);
/// `hystart_low_window`: segments below which HyStart does not act.
pub const LOW_WINDOW_SEGMENTS: u64 = 16;
/// `hystart_ack_delta_us`: the largest gap between ACKs of one train.
const ACK_DELTA: SimDuration = SimDuration::from_millis(2);
/// `hystart_ack_delay` at the rates mpsim runs (below ~260 MB/s).
const ACK_DELAY: SimDuration = SimDuration::from_millis(1);

/// Which test ended slow start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// The ACK train of a round lasted longer than half the minimum RTT.
    AckTrain,
    /// The round's minimum RTT rose above the threshold.
    Delay,
}

/// HyStart state of one connection (Linux `struct bictcp` fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HyStart {
    /// Slow start was ended by HyStart (Linux `found`).
    found: Option<Found>,
    /// The round ends when SND.UNA passes this (Linux `end_seq`); `None`
    /// before the first round.
    end_seq: Option<u64>,
    round_start: SimTime,
    last_ack: SimTime,
    /// The smallest RTT of this round (Linux `curr_rtt`).
    curr_rtt: Option<SimDuration>,
    sample_cnt: u32,
    /// The smallest RTT of the connection (Linux `delay_min`).
    delay_min: Option<SimDuration>,
}

impl HyStart {
    /// Linux `bictcp_hystart_reset`: a new round at `now` ending at `snd_nxt`.
    fn reset_round(&mut self, now: SimTime, snd_nxt: u64) {
        self.round_start = now;
        self.last_ack = now;
        self.end_seq = Some(snd_nxt);
        self.curr_rtt = None;
        self.sample_cnt = 0;
    }

    /// After a timeout (Linux `cubictcp_state` on `TCP_CA_Loss`:
    /// `bictcp_reset` clears `found`, then `bictcp_hystart_reset`): the next
    /// slow start is watched again. `delay_min` is kept.
    pub fn on_loss(&mut self) {
        self.found = None;
        self.end_seq = None;
    }

    /// Which test ended slow start, if one did.
    pub fn found(&self) -> Option<Found> {
        self.found
    }

    /// An ACK (Linux `cubictcp_acked`): `ca_rtt` its RTT sample, if any;
    /// `in_slow_start` and `cwnd_segments` before it. Returns true when slow
    /// start must end now (the caller sets ssthresh = cwnd).
    pub fn on_ack(
        &mut self,
        now: SimTime,
        snd_una: u64,
        snd_nxt: u64,
        ca_rtt: Option<SimDuration>,
        in_slow_start: bool,
        cwnd_segments: u64,
    ) -> bool {
        let Some(delay) = ca_rtt else {
            return false;
        };
        let delay = delay.max(SimDuration::from_nanos(1));
        // "first time call or link delay decreases"
        if self.delay_min.is_none_or(|m| m > delay) {
            self.delay_min = Some(delay);
        }
        if self.found.is_some() || !in_slow_start {
            return false;
        }
        // Linux `hystart_update`: rounds are tracked whatever cwnd, and the
        // tests run only from 16 segments on (the order of Linux 6.13 on,
        // so that a round crossing 16 segments keeps its start).
        if self.end_seq.is_none_or(|e| snd_una > e) {
            self.reset_round(now, snd_nxt);
        }
        if cwnd_segments < LOW_WINDOW_SEGMENTS {
            return false;
        }
        let delay_min = self.delay_min.unwrap_or(delay);
        // ACK train: ACKs at most 2 ms apart for longer than half of
        // (delay_min + the send-delay allowance), without pacing.
        if now.saturating_since(self.last_ack) <= ACK_DELTA {
            self.last_ack = now;
            let threshold = SimDuration::from_nanos((delay_min + ACK_DELAY).as_nanos() / 2);
            if now.saturating_since(self.round_start) > threshold {
                self.found = Some(Found::AckTrain);
                return true;
            }
        }
        // Delay increase: the round's minimum of at least 8 samples above
        // delay_min + clamp(delay_min / 8, 4 ms, 16 ms).
        if self.curr_rtt.is_none_or(|c| c > delay) {
            self.curr_rtt = Some(delay);
        }
        if self.sample_cnt < MIN_SAMPLES {
            self.sample_cnt += 1;
        } else {
            let eighth = SimDuration::from_nanos(delay_min.as_nanos() / 8);
            let threshold = delay_min + eighth.clamp(DELAY_MIN, DELAY_MAX);
            if self.curr_rtt.is_some_and(|c| c > threshold) {
                self.found = Some(Found::Delay);
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(v: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_micros(v)
    }
    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    #[test]
    fn below_sixteen_segments_hystart_does_not_act() {
        let mut h = HyStart::default();
        for i in 0..50 {
            assert!(!h.on_ack(us(100 * i), 10 * i + 1, 1000, Some(ms(200)), true, 15));
        }
        assert_eq!(h.found(), None);
    }

    #[test]
    fn a_round_whose_rtt_rises_by_more_than_the_threshold_ends_slow_start() {
        // delay_min 80 ms; threshold 80 + clamp(10, 4, 16) = 90 ms. ACKs 5 ms
        // apart (no train).
        let mut h = HyStart::default();
        assert!(!h.on_ack(us(0), 1, 100, Some(ms(80)), true, 20));
        // New round: eight samples at 91 ms, then the ninth triggers.
        let mut t = 5_000;
        for k in 0..8 {
            assert!(!h.on_ack(us(t), 101 + k, 300, Some(ms(91)), true, 20), "sample {k}");
            t += 5_000;
        }
        assert!(h.on_ack(us(t), 110, 300, Some(ms(91)), true, 20));
        assert_eq!(h.found(), Some(Found::Delay));
        // Found: no more verdicts until a timeout resets it.
        assert!(!h.on_ack(us(t + 5_000), 111, 300, Some(ms(200)), true, 20));
    }

    #[test]
    fn an_rtt_within_the_threshold_does_not_end_slow_start() {
        let mut h = HyStart::default();
        h.on_ack(us(0), 1, 100, Some(ms(80)), true, 20);
        for k in 0..30 {
            assert!(!h.on_ack(us(5_000 * (k + 1)), 101 + k, 300, Some(ms(90)), true, 20));
        }
    }

    #[test]
    fn an_ack_train_longer_than_half_the_minimum_rtt_ends_slow_start() {
        // delay_min 20 ms: threshold (20 + 1) / 2 = 10.5 ms. ACKs every
        // 1.2 ms from the round's start at 1 ms.
        let mut h = HyStart::default();
        h.on_ack(us(0), 1, 100, Some(ms(20)), true, 16);
        let mut t = 1_000;
        let mut una = 101;
        // The first ACK past end_seq starts the round at t = 1 ms.
        while t <= 11_500 {
            assert!(!h.on_ack(us(t), una, 500, Some(ms(20)), true, 16), "at {t} us");
            t += 1_200;
            una += 1;
        }
        // 11.8 ms - 1 ms = 10.8 ms > 10.5 ms.
        assert!(h.on_ack(us(t), una, 500, Some(ms(20)), true, 16));
        assert_eq!(h.found(), Some(Found::AckTrain));
    }

    #[test]
    fn a_gap_of_more_than_two_milliseconds_breaks_the_train() {
        let mut h = HyStart::default();
        h.on_ack(us(0), 1, 100, Some(ms(20)), true, 16);
        // ACKs 2.5 ms apart: never a train; RTT flat: no delay exit.
        for k in 0..20 {
            assert!(!h.on_ack(us(1_000 + 2_500 * k), 101 + k, 500, Some(ms(20)), true, 16));
        }
    }

    #[test]
    fn a_round_that_crosses_sixteen_segments_keeps_its_start() {
        // Rounds are counted below 16 segments too: the round that starts at
        // 1 ms (SND.NXT 500) is not restarted by the first ACK at 16
        // segments (SND.NXT 505 by then).
        let mut h = HyStart::default();
        h.on_ack(us(0), 1, 100, Some(ms(20)), true, 15);
        h.on_ack(us(1_000), 101, 500, Some(ms(20)), true, 15);
        assert!(!h.on_ack(us(7_000), 102, 505, Some(ms(20)), true, 16));
        assert_eq!((h.round_start, h.end_seq), (us(1_000), Some(500)));
        // The next round begins with the first ACK past 500.
        h.on_ack(us(30_000), 501, 900, Some(ms(20)), true, 20);
        assert_eq!((h.round_start, h.end_seq), (us(30_000), Some(900)));
    }

    #[test]
    fn after_a_timeout_the_next_slow_start_is_watched_again() {
        let mut h = HyStart::default();
        h.on_ack(us(0), 1, 100, Some(ms(80)), true, 20);
        for k in 0..9 {
            h.on_ack(us(5_000 * (k + 1)), 101 + k, 300, Some(ms(95)), true, 20);
        }
        assert!(h.found().is_some());
        h.on_loss();
        assert_eq!(h.found(), None);
        assert!(!h.on_ack(us(100_000), 301, 400, Some(ms(95)), true, 20));
    }
}
