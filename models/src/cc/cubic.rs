//! CUBIC, RFC 9438, in bytes.
//!
//! - Congestion avoidance (RFC 9438 4.2): `W_cubic(t) = C*(t - K)^3 + W_max`
//!   with C = 0.4 segments/s^3 (5.1), `K = cbrt((W_max - cwnd_epoch)/C)`, t the
//!   time since the start of the current congestion-avoidance stage; on each
//!   ACK `target = W_cubic(t + RTT)` clamped to `[cwnd, 1.5*cwnd]`, and
//!   `cwnd += (target - cwnd)/cwnd` per segment acknowledged (4.4, 4.5).
//! - Reno-friendly region (4.3): `W_est` starts at `cwnd_epoch` and grows by
//!   `alpha_cubic * segments_acked / cwnd` segments per ACK, `alpha_cubic =
//!   3(1 - beta)/(1 + beta) = 9/17`, and 1 once `W_est >= cwnd_prior`; when
//!   `W_cubic(t) < W_est`, `cwnd` is set to `W_est`.
//! - Congestion event (4.6): `ssthresh = max(FlightSize * 0.7, 2 MSS)`,
//!   `cwnd = ssthresh`, `cwnd_prior = cwnd` before the reduction; with fast
//!   convergence (4.7) `W_max = cwnd * (1 + 0.7)/2` if `cwnd < W_max`, else
//!   `W_max = cwnd`.
//! - RTO (4.8): `ssthresh` as in 4.6 (held on a repeated RTO, RFC 5681 3.1),
//!   `cwnd = 1 MSS`; the next congestion-avoidance stage uses `K = 0` and
//!   `W_max = cwnd_epoch`.
//! - Slow start (4.10): Reno's, RFC 5681 with appropriate byte counting
//!   (L = 2) from [`Reno`]. With [`SlowStartExit::HyStart`] it may end
//!   earlier as Linux's HyStart decides ([`super::hystart`]; ssthresh =
//!   cwnd), with [`SlowStartExit::HyStartPlusPlus`] as RFC 9406's
//!   ([`super::hystart_pp`]); with `Off` (the default) only at `ssthresh` or
//!   on a loss.
//! - The time origin `t_epoch` is reset at every congestion event, RTO and
//!   idle restart and set again on the first congestion-avoidance ACK after
//!   it (so after fast recovery ends); time during which the sender was not
//!   cwnd-limited is removed from t (4.2, 5.8) by moving `t_epoch` forward.
//!
//! Arithmetic: f64 with IEEE-754 basic operations only (+, -, *, /; Rust
//! never fuses them into FMA), and a cube root by Newton's method written
//! here instead of the platform `cbrt`, so results are identical on every
//! machine. `K` is kept in integer nanoseconds, so `W_cubic(K) = W_max`
//! exactly; windows computed in f64 are rounded to the nearest byte, and the
//! per-ACK increase `(target - cwnd) * bytes_acked / cwnd` is integer with
//! the remainder carried to the next ACK.
//!
//! Simplifications a user could observe:
//! - HyStart is off unless the TCP configuration turns it on
//!   (`TcpConfig::slow_start_exit`, on in the `Linux6` profile): a first
//!   slow start then overshoots to the first loss, as Linux with
//!   `hystart=0`.
//! - Fast convergence is always on (Linux default `fast_convergence=1`).
//! - In the Reno-friendly region `cwnd` moves up to `W_est` but never down to
//!   it (Linux does the same).
//! - Recovery exit and idle restart are Reno's (RFC 6582 3.2 step 3 option 1;
//!   RFC 5681 4.1), since RFC 9438 does not change fast recovery.

use sim_core::time::NANOS_PER_SEC;
use sim_core::{SimDuration, SimTime};

use super::hystart::HyStart;
use super::hystart_pp::{CSS_GROWTH_DIVISOR, HyStartPp, Verdict};
use super::reno::Reno;
use super::{AckSample, CongestionControl, Coupling, LazyCoupling, SlowStartExit};

/// The early slow-start exit in use, with its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum EarlyExit {
    #[default]
    Off,
    HyStart(HyStart),
    /// With the carried remainder of the CSS growth division.
    HyStartPp(HyStartPp, u64),
}

/// RFC 9438 5.1: "C SHOULD be set to 0.4" (segments per second cubed).
const C_SEGMENTS_PER_SEC3: f64 = 0.4;
/// RFC 9438 4.6: beta_cubic "SHOULD be set to 0.7", as the fraction 7/10.
const BETA_NUM: u64 = 7;
const BETA_DEN: u64 = 10;
/// RFC 9438 4.7: W_max = cwnd * (1 + beta_cubic) / 2 = cwnd * 17/20.
const FAST_CONVERGENCE_NUM: u64 = 17;
const FAST_CONVERGENCE_DEN: u64 = 20;
/// RFC 9438 4.3: alpha_cubic = 3 * (1 - 0.7) / (1 + 0.7) = 0.9/1.7 = 9/17.
const ALPHA_CUBIC: f64 = 9.0 / 17.0;

/// The current congestion-avoidance stage (RFC 9438 4.1.2 variables).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Epoch {
    /// `t_epoch`, moved forward by application-limited time.
    start: SimTime,
    /// `cwnd_epoch`.
    cwnd_epoch_bytes: u64,
    /// The `W_max` of eq. (1) for this stage: `max(W_max, cwnd_epoch)`.
    origin_bytes: u64,
    /// `K`, in nanoseconds.
    k_nanos: u64,
    /// `W_est`, the Reno-friendly estimate (4.3).
    w_est_bytes: f64,
}

/// CUBIC congestion control, in bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Cubic {
    reno: Reno,
    /// `W_max`; `None` before the first congestion event and after an RTO.
    w_max_bytes: Option<u64>,
    /// `cwnd_prior`: cwnd when ssthresh was last set; 0 before that.
    cwnd_prior_bytes: u64,
    epoch: Option<Epoch>,
    /// Carried remainder of `(target - cwnd) * bytes_acked / cwnd`.
    increase_remainder: u128,
    /// When the sender stopped being cwnd-limited during the current stage.
    app_limited_since: Option<SimTime>,
    early_exit: EarlyExit,
}

/// Cube root of a non-negative number, by Newton's method from above with
/// basic IEEE-754 operations only (deterministic, unlike the platform
/// `cbrt`). Within an ulp or two of the exact root.
fn cube_root(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 0.0;
    }
    // Start at or above the root: x >= cbrt(x) for x >= 1, 1 > cbrt(x) below.
    let mut y = if x > 1.0 { x } else { 1.0 };
    // From above, Newton's iterates decrease monotonically to the root; stop
    // when rounding makes them stop decreasing.
    for _ in 0..400 {
        let next = (2.0 * y + x / (y * y)) / 3.0;
        if next >= y {
            break;
        }
        y = next;
    }
    y
}

impl Cubic {
    /// One ACK outside recovery (`on_ack`; the views are not used).
    fn grow(&mut self, ack: &AckSample) {
        let conservative = self.early_exit_on_ack(ack);
        if !ack.cwnd_limited {
            // RFC 9438 5.8: "CUBIC does not increase its congestion window if
            // a flow is application-limited"; remember when that began.
            if self.epoch.is_some() && self.app_limited_since.is_none() {
                self.app_limited_since = Some(ack.now);
            }
            return;
        }
        if let Some(since) = self.app_limited_since.take()
            && let Some(epoch) = self.epoch.as_mut()
        {
            // RFC 9438 4.2: "t ... MUST NOT include periods during which cwnd
            // has not been updated due to application-limited behavior".
            epoch.start = epoch.start.saturating_add(ack.now.saturating_since(since));
        }
        // RFC 9438 4.10: Reno slow start (RFC 5681, ABC L = 2).
        let left_bytes = if conservative {
            self.conservative_slow_start(ack.bytes_acked)
        } else {
            self.reno.slow_start(ack.bytes_acked)
        };
        if left_bytes > 0 {
            let rtt = ack.srtt.or(ack.min_rtt).unwrap_or(SimDuration::ZERO);
            self.congestion_avoidance(ack.now, left_bytes, rtt);
        }
    }

    /// Initial window `iw_bytes` (the restart window's bound too),
    /// `ssthresh` infinite.
    pub fn with_initial_window(mss_bytes: u32, iw_bytes: u64) -> Self {
        Self::from_reno(Reno::with_initial_window(mss_bytes, iw_bytes))
    }

    /// Initial window `initial_window_bytes(mss)`, `ssthresh` infinite.
    pub fn new(mss_bytes: u32) -> Self {
        Self::from_reno(Reno::new(mss_bytes))
    }

    /// A CUBIC window in a given state, with no congestion event yet (for
    /// tests and for restoring state).
    pub fn with_window(mss_bytes: u32, cwnd_bytes: u64, ssthresh_bytes: u64) -> Self {
        Self::from_reno(Reno::with_window(mss_bytes, cwnd_bytes, ssthresh_bytes))
    }

    fn from_reno(reno: Reno) -> Self {
        Cubic {
            reno,
            w_max_bytes: None,
            cwnd_prior_bytes: 0,
            epoch: None,
            increase_remainder: 0,
            app_limited_since: None,
            early_exit: EarlyExit::Off,
        }
    }

    /// Runs the early slow-start exit on an ACK (Linux `cubictcp_acked`,
    /// every ACK, before the window grows). Returns whether this ACK's
    /// growth is conservative (RFC 9406 CSS).
    fn early_exit_on_ack(&mut self, ack: &AckSample) -> bool {
        let cwnd = self.reno.cwnd_bytes();
        let mss = self.mss();
        let in_ss = self.reno.in_slow_start();
        let exit = match &mut self.early_exit {
            EarlyExit::Off => false,
            EarlyExit::HyStart(h) => h.on_ack(ack.now, ack.snd_una, ack.snd_nxt, ack.ca_rtt, in_ss, cwnd / mss),
            EarlyExit::HyStartPp(h, _) if in_ss => match h.on_ack(ack.snd_una, ack.snd_nxt, ack.ca_rtt) {
                Verdict::Exit => true,
                Verdict::Conservative => return true,
                Verdict::SlowStart => false,
            },
            EarlyExit::HyStartPp(..) => false,
        };
        if exit {
            // Linux `hystart_update`: `tp->snd_ssthresh = tcp_snd_cwnd(tp)`;
            // RFC 9406 4.2: "setting the ssthresh to the current cwnd".
            self.reno.set_ssthresh_bytes(cwnd);
        }
        false
    }

    /// RFC 9406 4.2 CSS: `cwnd += min(N, L*SMSS) / CSS_GROWTH_DIVISOR`;
    /// returns what is left for congestion avoidance.
    fn conservative_slow_start(&mut self, bytes_acked: u64) -> u64 {
        let EarlyExit::HyStartPp(_, rem) = &mut self.early_exit else {
            return self.reno.slow_start(bytes_acked);
        };
        let total = bytes_acked + *rem;
        *rem = total % CSS_GROWTH_DIVISOR;
        self.reno.slow_start(total / CSS_GROWTH_DIVISOR)
    }

    /// A loss ends HyStart++; Linux HyStart watches again after a timeout.
    fn early_exit_on_loss(&mut self, timeout: bool) {
        match &mut self.early_exit {
            EarlyExit::HyStart(h) if timeout => h.on_loss(),
            EarlyExit::HyStartPp(h, _) => h.on_loss(),
            _ => {}
        }
    }

    fn mss(&self) -> u64 {
        self.reno.mss_bytes() as u64
    }

    /// Starts a congestion-avoidance stage at `now` (RFC 9438 4.2, 4.3, 4.8).
    fn start_epoch(&mut self, now: SimTime) {
        let cwnd = self.reno.cwnd_bytes();
        // 4.8 (and 4.10): with no W_max (after an RTO, or no loss yet), K = 0
        // and W_max = cwnd at the beginning of the stage.
        let w_max = *self.w_max_bytes.get_or_insert(cwnd);
        // As Linux bictcp_update: a W_max at or below cwnd gives K = 0 with
        // cwnd as the origin.
        let origin_bytes = w_max.max(cwnd);
        // 4.2 eq. (2): K = cbrt((W_max - cwnd_epoch) / C), in segments.
        let k_secs = cube_root((origin_bytes - cwnd) as f64 / (C_SEGMENTS_PER_SEC3 * self.mss() as f64));
        let k_nanos = (k_secs * NANOS_PER_SEC as f64).round() as u64;
        if self.cwnd_prior_bytes == 0 {
            // 4.10: no ssthresh set yet: cwnd_prior = cwnd.
            self.cwnd_prior_bytes = cwnd;
        }
        self.epoch = Some(Epoch {
            start: now,
            cwnd_epoch_bytes: cwnd,
            origin_bytes,
            k_nanos,
            // 4.3: "W_est is set equal to cwnd_epoch at the start of the
            // congestion avoidance stage".
            w_est_bytes: cwnd as f64,
        });
        self.increase_remainder = 0;
        self.app_limited_since = None;
    }

    /// RFC 9438 4.2 eq. (1), in bytes, `t_nanos` after the epoch start.
    fn w_cubic_bytes(&self, epoch: &Epoch, t_nanos: u64) -> f64 {
        let d_secs = (t_nanos as i128 - epoch.k_nanos as i128) as f64 / NANOS_PER_SEC as f64;
        C_SEGMENTS_PER_SEC3 * self.mss() as f64 * (d_secs * d_secs * d_secs) + epoch.origin_bytes as f64
    }

    fn congestion_avoidance(&mut self, now: SimTime, bytes_acked: u64, rtt: SimDuration) {
        if self.epoch.is_none() {
            self.start_epoch(now);
        }
        let Some(mut epoch) = self.epoch else {
            return;
        };
        let cwnd = self.reno.cwnd_bytes();
        // 4.3 eq. (4): W_est += alpha_cubic * segments_acked / cwnd, in bytes
        // alpha_cubic * bytes_acked * MSS / cwnd; alpha_cubic = 1 once
        // W_est >= cwnd_prior.
        let alpha = if epoch.w_est_bytes >= self.cwnd_prior_bytes as f64 {
            1.0
        } else {
            ALPHA_CUBIC
        };
        epoch.w_est_bytes += alpha * (bytes_acked as f64 * self.mss() as f64) / cwnd as f64;
        self.epoch = Some(epoch);

        let t_nanos = now.saturating_since(epoch.start).as_nanos();
        if self.w_cubic_bytes(&epoch, t_nanos) < epoch.w_est_bytes {
            // 4.3: Reno-friendly region, cwnd = W_est (never lowered).
            let w_est_bytes = epoch.w_est_bytes.round() as u64;
            if w_est_bytes > cwnd {
                self.reno.set_cwnd_bytes(w_est_bytes);
            }
            return;
        }
        // 4.2: target = W_cubic(t + RTT), clamped to [cwnd, 1.5 cwnd].
        let w_next = self.w_cubic_bytes(&epoch, t_nanos.saturating_add(rtt.as_nanos()));
        let upper_bytes = cwnd + cwnd / 2;
        let target_bytes = if w_next < cwnd as f64 {
            cwnd
        } else if w_next > upper_bytes as f64 {
            upper_bytes
        } else {
            (w_next.round() as u64).clamp(cwnd, upper_bytes)
        };
        // 4.4 / 4.5: cwnd += (target - cwnd) / cwnd per segment acknowledged,
        // i.e. (target - cwnd) * bytes_acked / cwnd bytes.
        self.increase_remainder += (target_bytes - cwnd) as u128 * bytes_acked as u128;
        let increase_bytes = self.increase_remainder / cwnd as u128;
        self.increase_remainder %= cwnd as u128;
        self.reno.set_cwnd_bytes(cwnd + increase_bytes as u64);
    }

    /// RFC 9438 4.6: `flight_size * beta_cubic`.
    fn beta_flight_bytes(bytes_in_flight: u64) -> u64 {
        (bytes_in_flight as u128 * BETA_NUM as u128 / BETA_DEN as u128) as u64
    }

    fn end_epoch(&mut self) {
        self.epoch = None;
        self.increase_remainder = 0;
        self.app_limited_since = None;
    }
}

impl CongestionControl for Cubic {
    fn penalise(&mut self) {
        self.reno.penalise();
    }

    fn name(&self) -> &'static str {
        "cubic"
    }
    fn cwnd_bytes(&self) -> u64 {
        self.reno.cwnd_bytes()
    }
    fn ssthresh_bytes(&self) -> u64 {
        self.reno.ssthresh_bytes()
    }

    fn undo_reduction(&mut self, prior_cwnd_bytes: u64, prior_ssthresh_bytes: u64) {
        // Linux CUBIC uses `tcp_reno_undo_cwnd`; the state `bictcp_reset`
        // cleared at the timeout stays cleared.
        self.reno.undo(prior_cwnd_bytes, prior_ssthresh_bytes);
        self.end_epoch();
    }

    fn set_slow_start_exit(&mut self, exit: SlowStartExit) {
        self.early_exit = match exit {
            SlowStartExit::Off => EarlyExit::Off,
            SlowStartExit::HyStart => EarlyExit::HyStart(HyStart::default()),
            SlowStartExit::HyStartPlusPlus => EarlyExit::HyStartPp(HyStartPp::default(), 0),
        };
    }

    fn on_ack(&mut self, ack: &AckSample, _coupling: &Coupling<'_>) {
        self.grow(ack);
    }

    fn on_ack_lazy(&mut self, ack: &AckSample, _coupling: &mut LazyCoupling<'_>) {
        // Uncoupled: the views are never built.
        self.grow(ack);
    }

    fn on_congestion_event(&mut self, _now: SimTime, bytes_in_flight: u64, _c: &Coupling<'_>) {
        let cwnd = self.reno.cwnd_bytes();
        // RFC 9438 4.7: fast convergence, before the reduction.
        self.w_max_bytes = Some(match self.w_max_bytes {
            Some(w_max) if cwnd < w_max => {
                (cwnd as u128 * FAST_CONVERGENCE_NUM as u128 / FAST_CONVERGENCE_DEN as u128) as u64
            }
            _ => cwnd,
        });
        // RFC 9438 4.6: cwnd_prior = cwnd; ssthresh = flight_size * beta;
        // cwnd = max(ssthresh, 2 MSS); ssthresh = max(ssthresh, 2 MSS).
        self.cwnd_prior_bytes = cwnd;
        self.reno.reduce_to(Self::beta_flight_bytes(bytes_in_flight));
        self.end_epoch();
        self.early_exit_on_loss(false);
    }

    fn on_recovery_exit(&mut self, _now: SimTime, bytes_in_flight: u64) {
        // RFC 9438 4.2: CUBIC does not change fast recovery; the next
        // congestion-avoidance ACK starts a new stage.
        self.reno.exit_recovery(bytes_in_flight);
        self.end_epoch();
    }

    fn on_rto(&mut self, _now: SimTime, bytes_in_flight: u64, repeated: bool, _c: &Coupling<'_>) {
        let cwnd = self.reno.cwnd_bytes();
        // RFC 9438 4.8: ssthresh with beta_cubic as in 4.6, cwnd as Reno
        // (1 MSS); ssthresh held on a repeated RTO (RFC 5681 3.1).
        if self.reno.timeout(Self::beta_flight_bytes(bytes_in_flight), repeated) {
            self.cwnd_prior_bytes = cwnd;
        }
        // RFC 9438 4.8: next stage with K = 0 and W_max = cwnd_epoch (Linux
        // bictcp_reset on TCP_CA_Loss clears last_max_cwnd the same way).
        self.w_max_bytes = None;
        self.end_epoch();
        self.early_exit_on_loss(true);
    }

    fn on_idle_restart(&mut self, _now: SimTime) {
        // RFC 5681 4.1 restart window, and a new time origin (RFC 9438 5.8:
        // idle time must not count in t).
        self.reno.idle_restart();
        self.end_epoch();
    }
}

/// The factory of [`Cubic`] with Linux `tcp_cubic.c`'s default module parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CubicConfig {}

impl crate::policy::CcFactory for CubicConfig {
    fn build(&self, mss_bytes: u32, initial_window_bytes: u64) -> Box<dyn CongestionControl> {
        Box::new(Cubic::with_initial_window(mss_bytes, initial_window_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cc::SlowStartExit;
    use crate::cc::reno::tests::{MSS, ack_at, single_view};

    const T0: SimTime = SimTime::from_secs(100);

    fn at(offset_ms: u64, bytes_acked: u64, srtt_ms: u64) -> AckSample {
        let mut a = ack_at(T0 + SimDuration::from_millis(offset_ms), bytes_acked);
        a.srtt = Some(SimDuration::from_millis(srtt_ms));
        a
    }

    /// cwnd 36000 (36 MSS) meets a loss with 36000 in flight:
    /// W_max = 36000, cwnd_prior = 36000, ssthresh = cwnd = 25200;
    /// K = cbrt((36 - 25.2)/0.4) = cbrt(27) = 3 s. The stage starts at T0.
    fn after_loss_at_36_mss() -> Cubic {
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 36_000, u64::MAX);
        cubic.on_congestion_event(T0, 36_000, &c);
        cubic.start_epoch(T0);
        cubic
    }

    fn on_ack(cubic: &mut Cubic, a: &AckSample) {
        let v = single_view();
        cubic.on_ack(a, &Coupling { me: 0, subflows: &v });
    }

    /// An ACK at `offset_ms` of 1000 bytes with HyStart's inputs.
    fn hy(offset_ms: u64, una: u64, nxt: u64, rtt_ms: u64) -> AckSample {
        let mut a = at(offset_ms, 1000, 80);
        a.snd_una = una;
        a.snd_nxt = nxt;
        a.ca_rtt = Some(SimDuration::from_millis(rtt_ms));
        a
    }

    #[test]
    fn with_hystart_a_rising_round_rtt_ends_slow_start_at_the_current_window() {
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 20_000, u64::MAX);
        cubic.set_slow_start_exit(SlowStartExit::HyStart);
        cubic.on_ack(&hy(0, 1, 100, 80), &c);
        // The next round: 95 ms > 80 + 10 ms from its ninth sample on.
        for k in 0..8 {
            cubic.on_ack(&hy(5 * (k + 1), 101 + k, 300, 95), &c);
        }
        assert!(cubic.in_slow_start());
        assert_eq!(cubic.cwnd_bytes(), 29_000);
        cubic.on_ack(&hy(45, 109, 300, 95), &c);
        // Linux: ssthresh = cwnd, and this ACK already counts in congestion
        // avoidance.
        assert_eq!(cubic.ssthresh_bytes(), 29_000);
        assert!(!cubic.in_slow_start());
        assert!(cubic.cwnd_bytes() < 30_000);
        // Off (the default), the same ACKs leave slow start alone.
        let mut plain = Cubic::with_window(MSS, 20_000, u64::MAX);
        plain.on_ack(&hy(0, 1, 100, 80), &c);
        for k in 0..9 {
            plain.on_ack(&hy(5 * (k + 1), 101 + k, 300, 95), &c);
        }
        assert!(plain.in_slow_start());
    }

    #[test]
    fn with_hystart_plus_plus_conservative_slow_start_grows_by_a_quarter() {
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 20_000, u64::MAX);
        cubic.set_slow_start_exit(SlowStartExit::HyStartPlusPlus);
        for k in 0..10 {
            cubic.on_ack(&hy(k, 1 + k, 10, 80), &c);
        }
        // The next round's eighth sample at 95 ms enters CSS.
        for k in 0..8 {
            cubic.on_ack(&hy(20 + k, 11 + k, 30, 95), &c);
        }
        let before = cubic.cwnd_bytes();
        cubic.on_ack(&hy(30, 19, 30, 95), &c);
        assert_eq!(cubic.cwnd_bytes(), before + 250);
        assert!(cubic.in_slow_start());
    }

    #[test]
    fn cube_root_is_exact_on_perfect_cubes_to_the_nanosecond() {
        for (x, root) in [(27.0, 3.0), (8.0, 2.0), (1.0, 1.0), (0.125, 0.5), (1e9, 1e3)] {
            let y = cube_root(x);
            assert!((y - root).abs() <= 4.0 * f64::EPSILON * root, "{x}: {y}");
        }
        assert_eq!(cube_root(0.0), 0.0);
        assert_eq!(cube_root(-5.0), 0.0);
    }

    #[test]
    fn congestion_event_sets_ssthresh_to_seven_tenths_of_flight_size() {
        // cwnd 100000, flight 80000: ssthresh = cwnd = 80000 * 0.7 = 56000;
        // W_max = cwnd_prior = 100000 (first loss, no fast convergence).
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 100_000, u64::MAX);
        cubic.on_congestion_event(T0, 80_000, &c);
        assert_eq!((cubic.cwnd_bytes(), cubic.ssthresh_bytes()), (56_000, 56_000));
        assert_eq!(cubic.w_max_bytes, Some(100_000));
        assert_eq!(cubic.cwnd_prior_bytes, 100_000);
        // A tiny flight: max(1000 * 0.7, 2 MSS) = 2000.
        cubic.on_congestion_event(T0, 1_000, &c);
        assert_eq!((cubic.cwnd_bytes(), cubic.ssthresh_bytes()), (2_000, 2_000));
    }

    #[test]
    fn fast_convergence_lowers_w_max_when_loss_comes_before_w_max() {
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 100_000, u64::MAX);
        cubic.on_congestion_event(T0, 100_000, &c);
        assert_eq!(cubic.w_max_bytes, Some(100_000));
        // Grown back only to 80000 < W_max when the next loss comes:
        // W_max = 80000 * (1 + 0.7) / 2 = 68000; ssthresh = 0.7 * 80000.
        cubic.reno.set_cwnd_bytes(80_000);
        cubic.on_congestion_event(T0, 80_000, &c);
        assert_eq!(cubic.w_max_bytes, Some(68_000));
        assert_eq!(cubic.ssthresh_bytes(), 56_000);
        assert_eq!(cubic.cwnd_prior_bytes, 80_000);
        // Past W_max (70000 >= 68000): plain W_max = cwnd.
        cubic.reno.set_cwnd_bytes(70_000);
        cubic.on_congestion_event(T0, 70_000, &c);
        assert_eq!(cubic.w_max_bytes, Some(70_000));
    }

    #[test]
    fn cubic_window_returns_to_w_max_after_k_seconds() {
        let mut cubic = after_loss_at_36_mss();
        let epoch = cubic.epoch.unwrap();
        assert_eq!(epoch.cwnd_epoch_bytes, 25_200);
        assert_eq!(epoch.k_nanos, 3_000_000_000); // K = cbrt(27) = 3 s
        // W_cubic(0) = 0.4*1000*(0-3)^3 + 36000 = -10800 + 36000 = 25200.
        assert!((cubic.w_cubic_bytes(&epoch, 0) - 25_200.0).abs() < 1e-6);
        // W_cubic(K) = W_max exactly.
        assert_eq!(cubic.w_cubic_bytes(&epoch, 3_000_000_000), 36_000.0);
        // W_cubic(4 s) = 400 * 1^3 + 36000 = 36400 (convex beyond K).
        assert_eq!(cubic.w_cubic_bytes(&epoch, 4_000_000_000), 36_400.0);
        // An ACK of 1000 bytes at t = 2.9 s with RTT 100 ms: target =
        // W_cubic(3.0 s) = 36000. W_est = 25200 + (9/17)*1000*1000/25200
        // = 25221.0 < W_cubic(2.9 s) = 36000 - 0.4 = 35999.6, so not
        // Reno-friendly. cwnd += (36000 - 25200) * 1000 / 25200 = 428.57:
        // +428 bytes, remainder 14400 carried.
        on_ack(&mut cubic, &at(2_900, 1000, 100));
        assert_eq!(cubic.cwnd_bytes(), 25_628);
        assert_eq!(cubic.increase_remainder, 14_400);
    }

    #[test]
    fn cubic_convex_region_probes_slowly_past_w_max() {
        // At cwnd = W_max = 36000, t = 4 s, RTT 1 s: target = W_cubic(5 s)
        // = 400 * 2^3 + 36000 = 39200. W_cubic(4 s) = 36400 > W_est.
        // cwnd += (39200 - 36000) * 1000 / 36000 = 88.9: +88.
        let mut cubic = after_loss_at_36_mss();
        cubic.reno.set_cwnd_bytes(36_000);
        on_ack(&mut cubic, &at(4_000, 1000, 1_000));
        assert_eq!(cubic.cwnd_bytes(), 36_088);
    }

    #[test]
    fn cubic_target_is_capped_at_one_and_a_half_cwnd() {
        // t = 10 s, RTT 1 s: W_cubic(11 s) = 400 * 8^3 + 36000 = 240800 >
        // 1.5 * 25200 = 37800, so target = 37800 and
        // cwnd += (37800 - 25200) * 1000 / 25200 = 500.
        let mut cubic = after_loss_at_36_mss();
        on_ack(&mut cubic, &at(10_000, 1000, 1_000));
        assert_eq!(cubic.cwnd_bytes(), 25_700);
    }

    #[test]
    fn cubic_in_reno_friendly_region_grows_like_reno_estimate() {
        // Small window, short RTT. cwnd 10000 meets a loss with 10000 in
        // flight: cwnd = 7000, W_max = cwnd_prior = 10000,
        // K = cbrt((10 - 7)/0.4) = cbrt(7.5) = 1.957433821 s.
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 10_000, u64::MAX);
        cubic.on_congestion_event(T0, 10_000, &c);
        cubic.start_epoch(T0);
        assert_eq!(cubic.epoch.unwrap().k_nanos, 1_957_433_821);
        // ACK of 1000 at t = 10 ms:
        //   W_est = 7000 + (9/17) * 1000*1000 / 7000 = 7000 + 75.6303 = 7075.6303;
        //   W_cubic(0.01 s) = 400 * (0.01 - 1.957434)^3 + 10000
        //                   = 400 * (-7.385646) + 10000 = 7045.74 < W_est,
        //   so cwnd = round(7075.6303) = 7076.
        on_ack(&mut cubic, &at(10, 1000, 10));
        assert_eq!(cubic.cwnd_bytes(), 7_076);
        // Next ACK at t = 20 ms: W_est += (9/17) * 1e6 / 7076 = 74.8179 ->
        // 7150.448; W_cubic(0.02 s) = 400 * (-1.937434)^3 + 10000 = 7091.0
        // < W_est, so cwnd = 7150.
        on_ack(&mut cubic, &at(20, 1000, 10));
        assert_eq!(cubic.cwnd_bytes(), 7_150);
        // That is Reno-like: about 9/17 MSS per window acknowledged.
        let w_est = cubic.epoch.unwrap().w_est_bytes;
        assert!((w_est - 7150.448).abs() < 1e-3, "{w_est}");
    }

    #[test]
    fn cubic_reno_estimate_uses_alpha_one_once_it_reaches_cwnd_prior() {
        // Same stage as above (cwnd 7000, cwnd_prior 10000) but with W_est
        // already at cwnd_prior = 10000: alpha_cubic = 1, so an ACK of 1000
        // adds 1 * 1000*1000/7000 = 142.857: W_est = 10142.857 > W_cubic,
        // cwnd = round(10142.857) = 10143.
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 10_000, u64::MAX);
        cubic.on_congestion_event(T0, 10_000, &c);
        cubic.start_epoch(T0);
        cubic.epoch.as_mut().unwrap().w_est_bytes = 10_000.0;
        on_ack(&mut cubic, &at(10, 1000, 10));
        assert_eq!(cubic.cwnd_bytes(), 10_143);
    }

    #[test]
    fn cubic_rto_gives_one_mss_and_a_stage_with_k_zero() {
        // RTO with 20000 in flight: ssthresh = 14000, cwnd = 1000.
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 20_000, u64::MAX);
        cubic.on_rto(T0, 20_000, false, &c);
        assert_eq!((cubic.cwnd_bytes(), cubic.ssthresh_bytes()), (1_000, 14_000));
        assert_eq!(cubic.w_max_bytes, None);
        // Slow start by 2000 per ACK of 2000: 1000, 3000, ..., 13000 after 6
        // ACKs; the 7th adds the last 1000 (room) and its other 1000 bytes
        // start the congestion-avoidance stage with cwnd_epoch = 14000,
        // K = 0 and W_max = 14000.
        for i in 0..6 {
            on_ack(&mut cubic, &at(i * 100, 2000, 100));
        }
        assert_eq!(cubic.cwnd_bytes(), 13_000);
        assert!(cubic.epoch.is_none());
        on_ack(&mut cubic, &at(600, 2000, 100));
        let epoch = cubic.epoch.unwrap();
        assert_eq!(epoch.start, T0 + SimDuration::from_millis(600));
        assert_eq!((epoch.cwnd_epoch_bytes, epoch.k_nanos), (14_000, 0));
        assert_eq!((epoch.origin_bytes, cubic.w_max_bytes), (14_000, Some(14_000)));
        // That first 1000 bytes: W_est = 14000 + (9/17)*1e6/14000 = 14037.8 >
        // W_cubic(0) = 14000: Reno-friendly, cwnd = 14038.
        assert_eq!(cubic.cwnd_bytes(), 14_038);
    }

    #[test]
    fn cubic_repeated_rto_holds_ssthresh() {
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 20_000, u64::MAX);
        cubic.on_rto(T0, 20_000, false, &c);
        cubic.on_rto(T0, 1_000, true, &c);
        assert_eq!(cubic.ssthresh_bytes(), 14_000);
        assert_eq!(cubic.cwnd_prior_bytes, 20_000);
    }

    #[test]
    fn cubic_idle_restart_resets_the_time_origin() {
        let mut cubic = after_loss_at_36_mss();
        cubic.on_idle_restart(T0 + SimDuration::from_secs(5));
        // RW = min(IW = 10000, 25200) = 10000, and no stage until the next
        // congestion-avoidance ACK.
        assert_eq!(cubic.cwnd_bytes(), 10_000);
        assert!(cubic.epoch.is_none());
        cubic.reno.set_cwnd_bytes(25_200);
        on_ack(&mut cubic, &at(9_000, 1000, 100));
        let epoch = cubic.epoch.unwrap();
        assert_eq!(epoch.start, T0 + SimDuration::from_secs(9));
        // W_max is kept: K = 3 s again from the new origin.
        assert_eq!(epoch.k_nanos, 3_000_000_000);
    }

    #[test]
    fn cubic_time_while_application_limited_is_not_counted() {
        let mut cubic = after_loss_at_36_mss();
        // Not cwnd-limited from t = 1 s: no growth.
        let mut limited = at(1_000, 1000, 100);
        limited.cwnd_limited = false;
        on_ack(&mut cubic, &limited);
        assert_eq!(cubic.cwnd_bytes(), 25_200);
        // cwnd-limited again at t = 3 s: the 2 s in between are removed, so
        // t_epoch = T0 + 2 s and t = 1 s.
        on_ack(&mut cubic, &at(3_000, 1000, 100));
        assert_eq!(cubic.epoch.unwrap().start, T0 + SimDuration::from_secs(2));
    }

    #[test]
    fn cubic_recovery_exit_starts_a_new_stage_on_the_next_ack() {
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut cubic = Cubic::with_window(MSS, 36_000, u64::MAX);
        cubic.on_congestion_event(T0, 36_000, &c);
        // Flight 30000 at exit: cwnd = min(25200, 31000) = 25200.
        cubic.on_recovery_exit(T0 + SimDuration::from_millis(300), 30_000);
        assert_eq!(cubic.cwnd_bytes(), 25_200);
        assert!(cubic.epoch.is_none());
        on_ack(&mut cubic, &at(400, 1000, 100));
        assert_eq!(cubic.epoch.unwrap().start, T0 + SimDuration::from_millis(400));
    }

    #[test]
    fn cubic_slow_start_is_reno_with_abc() {
        let mut cubic = Cubic::new(MSS);
        on_ack(&mut cubic, &at(0, 3000, 100));
        assert_eq!(cubic.cwnd_bytes(), 12_000); // +min(3000, 2 MSS)
        assert!(cubic.in_slow_start());
    }
}
