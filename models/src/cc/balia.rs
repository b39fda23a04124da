//! BALIA, the Balanced Linked Adaptation algorithm (Peng, Walid, Hwang, Low,
//! "Multipath TCP: Analysis, Design, and Implementation", IEEE/ACM ToN 24(1),
//! 2016; Linux `mptcp_balia.c`).
//!
//! With `x_k = w_k / rtt_k` and `alpha_r = max_k x_k / x_r`, on path r:
//! - per ACK in congestion avoidance (in packets):
//!   `w_r += (x_r / (rtt_r * (sum_k x_k)^2)) * ((1 + alpha_r)/2) * ((4 + alpha_r)/5)`;
//! - on a loss: `w_r -= (w_r / 2) * min(alpha_r, 1.5)`.
//!
//! The increase per acknowledged byte is `MSS_r / T` with
//! `T = 10 * w_r * (sum_k x_k)^2 / ((x_r + x_max) * (4 x_r + x_max))`,
//! exactly Linux's `ai` (ACKs per `+1`), so it is applied as Reno's byte
//! counting (RFC 3465 2.1) with count T. In units of `x_r` (`y_k = x_k/x_r`)
//! that is `T = 10 * w_r * (sum_k y_k)^2 / ((1 + alpha_r)(4 + alpha_r))`.
//! With one path `alpha_r = 1` and `T = 10 w * 1 / (2 * 5) = w`: Reno. The
//! decrease with `alpha_r = 1` is Reno's halving.
//!
//! Slow start, recovery exit and idle restart are [`Reno`]'s.
//!
//! Arithmetic: f64 (IEEE-754 basic operations only, no fused multiply-add, so
//! identical on every machine), the count rounded to the nearest byte and the
//! reduced window down to a whole byte.
//!
//! Simplifications a user could observe:
//! - The decrease is applied to FlightSize (as RFC 5681 eq. (4) does for
//!   Reno) rather than to cwnd: `ssthresh = max(F - (F/2) min(alpha_r, 1.5),
//!   2 MSS)` and `cwnd = ssthresh`; alpha_r itself uses the windows. With a
//!   cwnd-limited sender F ≈ cwnd.
//! - An RTO uses the same `ssthresh` rule (Linux calls BALIA's `ssthresh`
//!   for both), then `cwnd = 1 MSS`.
//! - The count is recomputed on every ACK (Linux: on slow-start ACKs, `+1`
//!   steps and state changes), over usable subflows with an RTT sample;
//!   siblings' windows are the snapshot in the [`Coupling`].

use sim_core::SimTime;

use super::reno::Reno;
use super::{AckSample, CongestionControl, Coupling, LazyCoupling};

/// BALIA congestion control, in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balia {
    reno: Reno,
}

/// Rates relative to the calling path: `sum_k x_k / x_r` and
/// `alpha_r = max_k x_k / x_r`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct RelativeRates {
    sum: f64,
    alpha: f64,
}

impl Balia {
    /// Initial window `iw_bytes` (the restart window's bound too),
    /// `ssthresh` infinite.
    pub fn with_initial_window(mss_bytes: u32, iw_bytes: u64) -> Self {
        Balia {
            reno: Reno::with_initial_window(mss_bytes, iw_bytes),
        }
    }

    /// Initial window `initial_window_bytes(mss)`, `ssthresh` infinite.
    pub fn new(mss_bytes: u32) -> Self {
        Balia {
            reno: Reno::new(mss_bytes),
        }
    }

    /// A BALIA window in a given state (for tests and for restoring state).
    pub fn with_window(mss_bytes: u32, cwnd_bytes: u64, ssthresh_bytes: u64) -> Self {
        Balia {
            reno: Reno::with_window(mss_bytes, cwnd_bytes, ssthresh_bytes),
        }
    }

    /// `None` when we have no RTT of our own (then: Reno).
    fn relative_rates(&self, my_srtt: Option<sim_core::SimDuration>, coupling: &Coupling<'_>) -> Option<RelativeRates> {
        let my_cwnd_bytes = self.reno.cwnd_bytes();
        let my_srtt = coupling.my_srtt(my_srtt);
        let paths = coupling.coupled_paths(my_cwnd_bytes, my_srtt, 0);
        let me = paths.clone().find(|p| p.is_me)?;
        // y_k = x_k / x_r = (w_k * rtt_r) / (w_r * rtt_k); exactly 1 for r.
        let my_denominator = my_cwnd_bytes as f64;
        let y = |w: u64, rtt: u64| (w as f64 * me.rtt_nanos as f64) / (my_denominator * rtt as f64);
        let mut sum = 0.0;
        let mut alpha: f64 = 0.0;
        for p in paths {
            let y_k = y(p.cwnd_bytes, p.rtt_nanos);
            sum += y_k;
            alpha = alpha.max(y_k);
        }
        Some(RelativeRates { sum, alpha })
    }

    /// One ACK outside recovery; `coupling` is asked for only in
    /// congestion avoidance.
    fn grow<'c>(&mut self, ack: &AckSample, coupling: impl FnOnce() -> Coupling<'c>) {
        // Slow start is TCP's (Linux mptcp_balia_cong_avoid: tcp_slow_start).
        if let Some(left_bytes) = self.reno.grow_slow_start(ack) {
            let per_mss = self.bytes_per_mss_increase(ack, &coupling());
            self.reno.congestion_avoidance(left_bytes, per_mss);
        }
    }

    /// Bytes to acknowledge per `+1 MSS` in congestion avoidance.
    fn bytes_per_mss_increase(&self, ack: &AckSample, coupling: &Coupling<'_>) -> u64 {
        let w_bytes = self.reno.cwnd_bytes();
        let Some(r) = self.relative_rates(ack.srtt, coupling) else {
            return w_bytes;
        };
        // Peng et al.: increase (x_r/(rtt_r (sum x)^2)) ((1+a)/2) ((4+a)/5)
        // per packet acked, i.e. +1 per
        // T = 10 w_r (sum y)^2 / ((1+a)(4+a)) acked (Linux `ai`).
        let count = 10.0 * w_bytes as f64 * r.sum * r.sum / ((1.0 + r.alpha) * (4.0 + r.alpha));
        (count.round() as u64).max(1)
    }

    /// Peng et al.: `w_r - (w_r/2) min(alpha_r, 1.5)`, applied to FlightSize.
    fn reduced_bytes(&self, bytes_in_flight: u64, coupling: &Coupling<'_>) -> u64 {
        let alpha = self.relative_rates(None, coupling).map_or(1.0, |r| r.alpha.max(1.0));
        let kept = (bytes_in_flight as f64 / 2.0) * (2.0 - alpha.min(1.5));
        kept.floor() as u64
    }
}

impl CongestionControl for Balia {
    fn penalise(&mut self) {
        self.reno.penalise();
    }

    fn name(&self) -> &'static str {
        "balia"
    }
    fn cwnd_bytes(&self) -> u64 {
        self.reno.cwnd_bytes()
    }
    fn ssthresh_bytes(&self) -> u64 {
        self.reno.ssthresh_bytes()
    }

    fn on_ack(&mut self, ack: &AckSample, coupling: &Coupling<'_>) {
        self.grow(ack, || *coupling);
    }

    fn on_ack_lazy(&mut self, ack: &AckSample, coupling: &mut LazyCoupling<'_>) {
        self.grow(ack, || coupling.get());
    }

    fn on_congestion_event(&mut self, _now: SimTime, bytes_in_flight: u64, c: &Coupling<'_>) {
        // Peng et al. decrease; at least 2 MSS as RFC 5681 eq. (4).
        let ssthresh = self.reduced_bytes(bytes_in_flight, c);
        self.reno.reduce_to(ssthresh);
    }

    fn on_recovery_exit(&mut self, now: SimTime, bytes_in_flight: u64) {
        self.reno.on_recovery_exit(now, bytes_in_flight);
    }

    fn on_rto(&mut self, _now: SimTime, bytes_in_flight: u64, repeated: bool, c: &Coupling<'_>) {
        // Linux tcp_enter_loss calls mptcp_balia_ssthresh too; cwnd = LW
        // (RFC 5681 3.1), ssthresh held on a repeated RTO.
        let ssthresh = self.reduced_bytes(bytes_in_flight, c);
        self.reno.timeout(ssthresh, repeated);
    }

    fn on_idle_restart(&mut self, now: SimTime) {
        self.reno.on_idle_restart(now);
    }
}

/// The factory of [`Balia`]; it has no parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaliaConfig {}

impl crate::policy::CcFactory for BaliaConfig {
    fn build(&self, mss_bytes: u32, initial_window_bytes: u64) -> Box<dyn CongestionControl> {
        Box::new(Balia::with_initial_window(mss_bytes, initial_window_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cc::SubflowCcView;
    use crate::cc::reno::tests::{MSS, ack, single_view};
    use sim_core::SimDuration;

    fn view(cwnd_bytes: u64, srtt_ms: u64) -> SubflowCcView {
        SubflowCcView {
            cwnd_bytes,
            ssthresh_bytes: cwnd_bytes,
            srtt: Some(SimDuration::from_millis(srtt_ms)),
            mss_bytes: MSS,
            usable: true,
            loss_distance_bytes: 0,
        }
    }

    #[test]
    fn balia_with_one_path_equals_reno() {
        // alpha = 1, sum y = 1: T = 10 w * 1 / (2 * 5) = w, and the decrease
        // keeps F/2 * (2 - 1) = F/2: Reno's rules.
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut b = Balia::new(MSS);
        let mut r = Reno::new(MSS);
        for i in 0..200 {
            let bytes = 400 + (i % 5) * 300;
            b.on_ack(&ack(bytes), &c);
            r.on_ack(&ack(bytes), &c);
            assert_eq!(b.cwnd_bytes(), r.cwnd_bytes());
            if i == 60 {
                b.on_congestion_event(SimTime::ZERO, 33_333, &c);
                r.on_congestion_event(SimTime::ZERO, 33_333, &c);
                assert_eq!(b.ssthresh_bytes(), 16_666); // floor(33333 / 2)
                assert_eq!(b.ssthresh_bytes(), r.ssthresh_bytes());
            }
        }
        assert!(!b.in_slow_start());
    }

    #[test]
    fn balia_with_two_equal_paths_increases_each_by_a_quarter_of_reno() {
        // y = (1, 1): sum 2, alpha 1. T = 10 w * 4 / (2 * 5) = 4 w = 40000.
        let views = [view(10_000, 100), view(10_000, 100)];
        let c = Coupling {
            me: 0,
            subflows: &views,
        };
        let mut b = Balia::with_window(MSS, 10_000, 10_000);
        assert_eq!(b.bytes_per_mss_increase(&ack(1000), &c), 40_000);
        for _ in 0..39 {
            b.on_ack(&ack(1000), &c);
        }
        assert_eq!(b.cwnd_bytes(), 10_000);
        b.on_ack(&ack(1000), &c);
        assert_eq!(b.cwnd_bytes(), 11_000);
    }

    #[test]
    fn balia_count_for_slow_and_fast_paths_matches_hand_computation() {
        // Same RTT (100 ms); slow path w = 10000, fast path w = 20000.
        // Slow path (me): y = (1, 2), sum 3, alpha 2:
        //   T = 10 * 10000 * 9 / (3 * 6) = 50000 (a fifth of Reno's rate).
        //   Check with the formula: per packet (x/(rtt*9x^2)) * 1.5 * 1.2
        //   = 1.8/(9w) = 1/(5w).
        // Fast path (me): y = (1, 0.5), sum 1.5, alpha 1:
        //   T = 10 * 20000 * 2.25 / (2 * 5) = 45000.
        //   Check: per packet (2x/(rtt*9x^2)) * 1 * 1 = 2/(9w), w = 10000 ->
        //   T = 4.5 w = 45000.
        let views = [view(10_000, 100), view(20_000, 100)];
        let slow = Balia::with_window(MSS, 10_000, 10_000);
        let c0 = Coupling {
            me: 0,
            subflows: &views,
        };
        assert_eq!(slow.bytes_per_mss_increase(&ack(1000), &c0), 50_000);
        let fast = Balia::with_window(MSS, 20_000, 20_000);
        let c1 = Coupling {
            me: 1,
            subflows: &views,
        };
        assert_eq!(fast.bytes_per_mss_increase(&ack(1000), &c1), 45_000);
    }

    #[test]
    fn balia_decrease_is_capped_at_three_quarters_of_the_window() {
        // Me: w = 40000 at 100 ms; other: w = 40000 at 20 ms.
        // x_other / x_me = (40000/20) / (40000/100) = 5 = alpha_me.
        // Decrease = (F/2) * min(5, 1.5) = 0.75 F; F = 40000 -> keep 10000.
        let views = [view(40_000, 100), view(40_000, 20)];
        let c = Coupling {
            me: 0,
            subflows: &views,
        };
        let mut b = Balia::with_window(MSS, 40_000, 40_000);
        b.on_congestion_event(SimTime::ZERO, 40_000, &c);
        assert_eq!((b.cwnd_bytes(), b.ssthresh_bytes()), (10_000, 10_000));
    }

    #[test]
    fn balia_decrease_between_half_and_three_quarters_follows_alpha() {
        // Me: w = 40000; other: w = 50000; same RTT. alpha_me = 1.25.
        // Decrease = 20000 * 1.25 = 25000: keep 15000.
        let views = [view(40_000, 100), view(50_000, 100)];
        let c0 = Coupling {
            me: 0,
            subflows: &views,
        };
        let mut b = Balia::with_window(MSS, 40_000, 40_000);
        b.on_congestion_event(SimTime::ZERO, 40_000, &c0);
        assert_eq!(b.ssthresh_bytes(), 15_000);
        // The faster path has alpha = 1: it halves, 50000 -> 25000.
        let c1 = Coupling {
            me: 1,
            subflows: &views,
        };
        let mut b = Balia::with_window(MSS, 50_000, 50_000);
        b.on_congestion_event(SimTime::ZERO, 50_000, &c1);
        assert_eq!(b.ssthresh_bytes(), 25_000);
    }

    #[test]
    fn balia_decrease_keeps_at_least_two_mss() {
        // alpha 5 as above, F = 6000: keep 6000/4 = 1500 < 2000 -> 2000.
        let views = [view(6_000, 100), view(6_000, 20)];
        let c = Coupling {
            me: 0,
            subflows: &views,
        };
        let mut b = Balia::with_window(MSS, 6_000, 6_000);
        b.on_congestion_event(SimTime::ZERO, 6_000, &c);
        assert_eq!(b.ssthresh_bytes(), 2_000);
    }

    #[test]
    fn balia_rto_uses_its_decrease_for_ssthresh_and_one_mss_cwnd() {
        // alpha 5: ssthresh = 40000 / 4 = 10000; cwnd = 1 MSS.
        let views = [view(40_000, 100), view(40_000, 20)];
        let c = Coupling {
            me: 0,
            subflows: &views,
        };
        let mut b = Balia::with_window(MSS, 40_000, 40_000);
        b.on_rto(SimTime::ZERO, 40_000, false, &c);
        assert_eq!((b.cwnd_bytes(), b.ssthresh_bytes()), (1_000, 10_000));
    }
}
