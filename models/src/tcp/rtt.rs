//! RTT estimation and the retransmission timeout, RFC 6298.
//!
//! Integer nanoseconds throughout; the smoothing divisions round down, which
//! loses at most a few nanoseconds per sample.
//!
//! Choices a user could observe:
//! - Clock granularity G (RFC 6298 2.2/2.3) is 1 ms, as Linux with HZ=1000
//!   (the simulated clock itself is exact to the nanosecond).
//! - The lower bound `rto_min` replaces the RFC's 1 s (RFC 6298 2.4 allows
//!   it); it is 200 ms by default as Linux `TCP_RTO_MIN`. Two ways to apply
//!   it are offered ([`RtoMinRule`]): the RFC clamps the whole RTO, Linux
//!   clamps the variance term (`rttvar_us = max(mdev, rto_min)`), so on a
//!   10 ms path Linux arms about 210 ms where the RFC rule arms 200 ms.
//! - Backoff (RFC 6298 5.5) is kept as a shift count so the base RTO
//!   survives: Karn's algorithm keeps the backed-off value until a valid
//!   sample arrives, then the backoff is reset (as Linux `icsk_backoff = 0`
//!   in `tcp_ack_update_rtt`).
//! - The minimum RTT is the minimum over the whole connection (Linux keeps
//!   a 5-minute windowed minimum).
//! - With [`RtoEstimator::Linux`] SRTT, the variance term and the RTO are
//!   Linux's instead (`super::rtt_linux`); backoff, the bounds and the
//!   minimum RTT stay as here.

use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

use super::profile::RtoEstimator;
use super::rtt_linux::LinuxRtt;

/// RFC 6298 2.2/2.3: K = 4.
const K: u64 = 4;
/// Clock granularity G (RFC 6298 2.2/2.3): 1 ms.
pub const CLOCK_GRANULARITY: SimDuration = SimDuration::from_millis(1);
/// RFC 6298 5.7 / Linux `TCP_TIMEOUT_FALLBACK`: the RTO once data transfer
/// begins if the SYN or SYN/ACK was retransmitted and no sample was taken.
pub const RTO_FALLBACK: SimDuration = SimDuration::from_secs(3);

/// How the configured minimum RTO is applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RtoMinRule {
    /// RFC 6298 2.4: RTO = max(rto_min, SRTT + max(G, K*RTTVAR)).
    #[default]
    ClampRto,
    /// Linux `__tcp_set_rto`: RTO = SRTT + max(rto_min, K*RTTVAR).
    ClampVariance,
}

/// RFC 6298 state: SRTT, RTTVAR, RTO and the backoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RttEstimator {
    srtt: Option<SimDuration>,
    rttvar: SimDuration,
    /// RTO before backoff.
    rto_base: SimDuration,
    /// Number of doublings (RFC 6298 5.5).
    backoff: u32,
    min_rtt: Option<SimDuration>,
    latest: Option<SimDuration>,
    rto_min: SimDuration,
    rto_max: SimDuration,
    rule: RtoMinRule,
    samples: u64,
    /// Linux's estimator, when chosen: it then owns SRTT and the RTO.
    linux: Option<LinuxRtt>,
}

impl RttEstimator {
    /// RFC 6298 2.1: before any sample, RTO = `rto_initial` (1 s).
    pub fn new(rto_initial: SimDuration, rto_min: SimDuration, rto_max: SimDuration, rule: RtoMinRule) -> Self {
        RttEstimator {
            srtt: None,
            rttvar: SimDuration::ZERO,
            rto_base: rto_initial.min(rto_max),
            backoff: 0,
            min_rtt: None,
            latest: None,
            rto_min,
            rto_max,
            rule,
            samples: 0,
            linux: None,
        }
    }

    /// The same, with the estimator `estimator` (RFC 6298 or Linux).
    pub fn with_estimator(
        estimator: RtoEstimator,
        rto_initial: SimDuration,
        rto_min: SimDuration,
        rto_max: SimDuration,
        rule: RtoMinRule,
    ) -> Self {
        let mut e = Self::new(rto_initial, rto_min, rto_max, rule);
        if estimator == RtoEstimator::Linux {
            e.linux = Some(LinuxRtt::new(rto_min));
        }
        e
    }

    /// One RTT measurement taken when SND.UNA was `snd_una` and SND.NXT
    /// `snd_nxt` (Linux's estimator counts rounds of data with them; RFC
    /// 6298's ignores them).
    pub fn on_sample_at(&mut self, r: SimDuration, snd_una: u64, snd_nxt: u64) {
        match self.linux.as_mut() {
            Some(l) => {
                l.on_sample(r, snd_una, snd_nxt);
                self.srtt = l.srtt();
                self.rttvar = l.rttvar();
                self.min_rtt = Some(self.min_rtt.map_or(r, |m| m.min(r)));
                self.latest = Some(r);
                self.samples += 1;
                // Linux `tcp_set_rto` then `tcp_bound_rto`.
                self.rto_base = l.rto().min(self.rto_max);
                self.backoff = 0;
            }
            None => self.on_sample(r),
        }
    }

    /// Takes one RTT measurement R (RFC 6298 2.2 for the first, 2.3 after)
    /// and resets the backoff (Karn's algorithm: a valid sample ends it).
    pub fn on_sample(&mut self, r: SimDuration) {
        match self.srtt {
            None => {
                // RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2.
                self.srtt = Some(r);
                self.rttvar = SimDuration::from_nanos(r.as_nanos() / 2);
            }
            Some(srtt) => {
                // RFC 6298 2.3, beta = 1/4, alpha = 1/8, RTTVAR first (it
                // uses the old SRTT):
                // RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
                // SRTT <- (1 - alpha) * SRTT + alpha * R'
                let diff = if srtt > r { srtt - r } else { r - srtt };
                let var_ns = (3 * self.rttvar.as_nanos() + diff.as_nanos()) / 4;
                self.rttvar = SimDuration::from_nanos(var_ns);
                let srtt_ns = (7 * srtt.as_nanos() + r.as_nanos()) / 8;
                self.srtt = Some(SimDuration::from_nanos(srtt_ns));
            }
        }
        self.min_rtt = Some(self.min_rtt.map_or(r, |m| m.min(r)));
        self.latest = Some(r);
        self.samples += 1;
        self.rto_base = self.compute_rto();
        self.backoff = 0;
    }

    fn compute_rto(&self) -> SimDuration {
        let srtt = self.srtt.unwrap_or(SimDuration::ZERO);
        let k_var = self.rttvar.saturating_mul(K);
        let rto = match self.rule {
            // RFC 6298 2.2/2.3: RTO <- SRTT + max(G, K*RTTVAR); 2.4: at least
            // the minimum.
            RtoMinRule::ClampRto => (srtt + k_var.max(CLOCK_GRANULARITY)).max(self.rto_min),
            RtoMinRule::ClampVariance => srtt + k_var.max(self.rto_min).max(CLOCK_GRANULARITY),
        };
        // RFC 6298 2.5: a maximum may be placed on the RTO.
        rto.min(self.rto_max)
    }

    /// The RTO with the current backoff applied (RFC 6298 5.5), at most
    /// `rto_max`.
    pub fn rto(&self) -> SimDuration {
        // Every RTO without backoff (nearly every call: the timers are
        // re-armed on each ACK of new data and each new segment) is the
        // base itself, which is kept at most `rto_max`.
        debug_assert!(self.rto_base <= self.rto_max);
        if self.backoff == 0 {
            return self.rto_base;
        }
        self.rto_base
            .checked_mul(1u64.checked_shl(self.backoff).unwrap_or(u64::MAX))
            .unwrap_or(SimDuration::MAX)
            .min(self.rto_max)
    }

    /// The RTO before backoff.
    pub fn rto_base(&self) -> SimDuration {
        self.rto_base
    }

    /// RFC 6298 5.5: "back off the timer": RTO <- RTO * 2 (at most rto_max).
    pub fn back_off(&mut self) {
        if self.rto() < self.rto_max {
            self.backoff += 1;
        }
    }

    /// RFC 6298 5.7: if the SYN or SYN/ACK was retransmitted and no sample
    /// was taken from the handshake, the RTO is 3 s when data begins.
    pub fn fall_back_after_handshake_retransmission(&mut self) {
        self.backoff = 0;
        if self.srtt.is_none() {
            self.rto_base = RTO_FALLBACK.max(self.rto_min).min(self.rto_max);
        }
    }

    /// Number of RTO doublings now in effect (RFC 6298 5.5); 0 after a
    /// valid sample.
    pub fn backoff(&self) -> u32 {
        self.backoff
    }
    /// SRTT (RFC 6298 2); `None` before the first sample.
    pub fn srtt(&self) -> Option<SimDuration> {
        self.srtt
    }
    /// RTTVAR (RFC 6298 2); zero before the first sample.
    pub fn rttvar(&self) -> SimDuration {
        self.rttvar
    }
    /// The smallest sample over the connection; `None` before the first.
    pub fn min_rtt(&self) -> Option<SimDuration> {
        self.min_rtt
    }
    /// The last sample taken; `None` before the first.
    pub fn latest(&self) -> Option<SimDuration> {
        self.latest
    }
    /// The number of samples taken.
    pub fn samples(&self) -> u64 {
        self.samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    /// The Linux-like defaults: 1 s initial, 200 ms minimum, 120 s maximum.
    fn fixture(rule: RtoMinRule) -> RttEstimator {
        RttEstimator::new(ms(1000), ms(200), ms(120_000), rule)
    }

    #[test]
    fn before_any_sample_the_rto_is_the_initial_one_second() {
        let e = fixture(RtoMinRule::ClampRto);
        assert_eq!(e.rto(), ms(1000));
        assert_eq!(e.srtt(), None);
    }

    #[test]
    fn a_first_sample_of_100ms_gives_srtt_100ms_rttvar_50ms_rto_300ms() {
        let mut e = fixture(RtoMinRule::ClampRto);
        e.on_sample(ms(100));
        assert_eq!(e.srtt(), Some(ms(100)));
        assert_eq!(e.rttvar(), ms(50));
        assert_eq!(e.rto(), ms(300));
    }

    #[test]
    fn a_second_sample_updates_rttvar_with_the_old_srtt_then_srtt() {
        let mut e = fixture(RtoMinRule::ClampRto);
        e.on_sample(ms(100));
        e.on_sample(ms(200));
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ms
        assert_eq!(e.rttvar(), SimDuration::from_micros(62_500));
        // SRTT = 7/8 * 100 + 1/8 * 200 = 112.5 ms
        assert_eq!(e.srtt(), Some(SimDuration::from_micros(112_500)));
        // RTO = 112.5 + 4 * 62.5 = 362.5 ms
        assert_eq!(e.rto(), SimDuration::from_micros(362_500));
    }

    #[test]
    fn a_small_rtt_is_clamped_to_the_200ms_minimum() {
        let mut e = fixture(RtoMinRule::ClampRto);
        for _ in 0..50 {
            e.on_sample(ms(10));
        }
        assert_eq!(e.rto(), ms(200));
        let mut linux = fixture(RtoMinRule::ClampVariance);
        for _ in 0..50 {
            linux.on_sample(ms(10));
        }
        // Linux: SRTT + max(rto_min, 4*RTTVAR) = 10 + 200 ms.
        assert_eq!(linux.rto(), ms(210));
    }

    #[test]
    fn the_variance_term_is_at_least_the_clock_granularity() {
        let mut e = RttEstimator::new(ms(1000), SimDuration::ZERO, ms(120_000), RtoMinRule::ClampRto);
        for _ in 0..200 {
            e.on_sample(ms(5));
        }
        assert_eq!(e.rttvar(), SimDuration::ZERO);
        assert_eq!(e.rto(), ms(6));
    }

    #[test]
    fn backoff_doubles_the_rto_up_to_the_maximum_and_a_sample_resets_it() {
        let mut e = fixture(RtoMinRule::ClampRto);
        e.on_sample(ms(100));
        e.back_off();
        assert_eq!(e.rto(), ms(600));
        e.back_off();
        assert_eq!(e.rto(), ms(1200));
        for _ in 0..20 {
            e.back_off();
        }
        assert_eq!(e.rto(), ms(120_000));
        e.on_sample(ms(100));
        assert_eq!(e.backoff(), 0);
        assert!(e.rto() < ms(1000));
    }

    #[test]
    fn without_a_handshake_sample_the_rto_falls_back_to_three_seconds() {
        let mut e = fixture(RtoMinRule::ClampRto);
        e.back_off();
        e.fall_back_after_handshake_retransmission();
        assert_eq!(e.rto(), ms(3000));
        let mut sampled = fixture(RtoMinRule::ClampRto);
        sampled.on_sample(ms(100));
        sampled.fall_back_after_handshake_retransmission();
        assert_eq!(sampled.rto(), ms(300));
    }

    #[test]
    fn the_linux_estimator_gives_srtt_plus_the_200ms_floor_and_keeps_the_backoff() {
        let mut e = RttEstimator::with_estimator(
            RtoEstimator::Linux,
            ms(1000),
            ms(200),
            ms(120_000),
            RtoMinRule::ClampRto,
        );
        assert_eq!(e.rto(), ms(1000));
        e.on_sample_at(ms(80), 1, 100);
        // Linux: 80 + max(4 * 40, 200) = 280 ms; RFC 6298: 240 ms.
        assert_eq!(e.rto(), ms(280));
        assert_eq!(e.srtt(), Some(ms(80)));
        e.back_off();
        assert_eq!(e.rto(), ms(560));
        e.on_sample_at(ms(80), 2, 100);
        assert_eq!(e.backoff(), 0);
    }

    #[test]
    fn the_minimum_rtt_is_the_smallest_sample() {
        let mut e = fixture(RtoMinRule::ClampRto);
        for v in [50, 30, 70] {
            e.on_sample(ms(v));
        }
        assert_eq!(e.min_rtt(), Some(ms(30)));
        assert_eq!(e.latest(), Some(ms(70)));
        assert_eq!(e.samples(), 3);
    }
}
