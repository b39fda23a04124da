//! NewReno window rules: RFC 5681 slow start and congestion avoidance with
//! appropriate byte counting (RFC 3465), the RFC 5681 / RFC 6582 reduction on
//! a congestion event and on a retransmission timeout, and the RFC 5681 4.1
//! restart after idle.
//!
//! [`Reno`] also holds the window bookkeeping the other algorithms reuse
//! (CUBIC's slow start and recovery exit; LIA, OLIA and BALIA change only the
//! congestion-avoidance increase, and BALIA the decrease).
//!
//! Rules, in bytes:
//! - Slow start (`cwnd < ssthresh`): `cwnd += min(bytes_acked, L*MSS)` with
//!   L = 2 (RFC 3465 2.2, 2.3), never past `ssthresh`; bytes left over when
//!   `ssthresh` is reached count towards congestion avoidance (as Linux
//!   `tcp_slow_start` returns them).
//! - Congestion avoidance: `+1 MSS` once a full `cwnd` of bytes has been
//!   acknowledged (RFC 3465 2.1; RFC 5681 3.1 eq. (3) in its byte-counting
//!   form).
//! - Growth only when the sender was cwnd-limited (RFC 7661; Linux
//!   `tcp_is_cwnd_limited`).
//! - Congestion event: `ssthresh = max(FlightSize/2, 2*MSS)`, `cwnd =
//!   ssthresh` (RFC 5681 3.2 step 2, RFC 6582 3.2 step 2); the `+3*MSS` and
//!   per-duplicate inflation are the sender's, not ours.
//! - Recovery exit: `cwnd = min(ssthresh, max(FlightSize, MSS) + MSS)`
//!   (RFC 6582 3.2 step 3, option 1).
//! - RTO: `ssthresh = max(FlightSize/2, 2*MSS)` unless the segment that
//!   timed out had already been retransmitted by way of the retransmission
//!   timer (the sender says so; then `ssthresh` is held), `cwnd = 1 MSS`
//!   (RFC 5681 3.1).
//! - Idle restart: `cwnd = min(IW, cwnd)` (RFC 5681 4.1); `ssthresh` kept.
//!
//! Simplifications a user could observe:
//! - At most one `+MSS` step per ACK in congestion avoidance (RFC 3465 2.1); a
//!   stretch ACK covering more than a window keeps the excess in the counter
//!   for the next ACK.
//! - The L = 1*MSS limit some stacks use in slow start after an RTO is not
//!   applied: L is always 2*MSS.
//! - Recovery exit deflates with option 1 of RFC 6582 3.2 step 3; Linux (PRR)
//!   ends recovery with `cwnd = ssthresh`, so with a small flight size here
//!   `cwnd` can restart below `ssthresh` and slow-start back to it.

use sim_core::SimTime;

use super::{AckSample, CongestionControl, Coupling, LazyCoupling, initial_window_bytes};

/// The limit L on the slow-start increase per ACK, in MSS: RFC 3465 2.2
/// defines it, 2.3 allows at most 2.
const ABC_LIMIT_MSS: u64 = 2;

/// NewReno congestion control, in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reno {
    mss_bytes: u32,
    cwnd_bytes: u64,
    ssthresh_bytes: u64,
    /// RFC 3465 2.1 `bytes_acked`: bytes acknowledged in congestion
    /// avoidance since the last `+MSS` step.
    ca_bytes_acked: u64,
    /// The initial window IW, which also bounds the restart window.
    iw_bytes: u64,
}

impl Reno {
    /// Initial window `initial_window_bytes(mss)`, `ssthresh` infinite.
    pub fn new(mss_bytes: u32) -> Self {
        Self::with_window(mss_bytes, initial_window_bytes(mss_bytes), u64::MAX)
    }

    /// A Reno window in a given state (for tests and for restoring state).
    pub fn with_window(mss_bytes: u32, cwnd_bytes: u64, ssthresh_bytes: u64) -> Self {
        assert!(mss_bytes > 0, "MSS must be positive");
        Reno {
            mss_bytes,
            cwnd_bytes: cwnd_bytes.max(mss_bytes as u64),
            ssthresh_bytes,
            ca_bytes_acked: 0,
            iw_bytes: initial_window_bytes(mss_bytes),
        }
    }

    /// A fresh window of `iw_bytes` (at least one MSS; RFC 6928 allows up
    /// to 10 segments, Linux `TCP_INIT_CWND`), `ssthresh` infinite; the
    /// restart window after idle is bounded by the same IW (RFC 5681 4.1).
    pub fn with_initial_window(mss_bytes: u32, iw_bytes: u64) -> Self {
        let mut r = Self::with_window(mss_bytes, iw_bytes, u64::MAX);
        r.iw_bytes = r.cwnd_bytes;
        r
    }

    /// The maximum segment size the windows are counted in, in bytes.
    pub fn mss_bytes(&self) -> u32 {
        self.mss_bytes
    }

    fn mss(&self) -> u64 {
        self.mss_bytes as u64
    }

    /// Slow-start growth for one ACK; returns the bytes left for congestion
    /// avoidance (all of them when not in slow start).
    /// One ACK outside recovery, up to congestion avoidance: no growth
    /// unless cwnd-limited (RFC 7661; Linux `tcp_is_cwnd_limited`), then
    /// slow start. The acknowledged bytes left for congestion avoidance, or
    /// None when there are none.
    pub(crate) fn grow_slow_start(&mut self, ack: &AckSample) -> Option<u64> {
        if !ack.cwnd_limited {
            return None;
        }
        Some(self.slow_start(ack.bytes_acked)).filter(|&left| left > 0)
    }

    pub(crate) fn slow_start(&mut self, bytes_acked: u64) -> u64 {
        if self.cwnd_bytes >= self.ssthresh_bytes {
            return bytes_acked;
        }
        let room_bytes = self.ssthresh_bytes - self.cwnd_bytes;
        // RFC 3465 2.2: cwnd += min(bytes_acked, L*SMSS), L = 2.
        let increase_bytes = bytes_acked.min(ABC_LIMIT_MSS * self.mss()).min(room_bytes);
        self.cwnd_bytes += increase_bytes;
        if increase_bytes == room_bytes {
            // Reached ssthresh: the rest of this ACK is congestion avoidance
            // (Linux tcp_slow_start returns it the same way).
            bytes_acked - room_bytes
        } else {
            0
        }
    }

    /// Congestion-avoidance byte counting: `+1 MSS` once `bytes_per_mss`
    /// bytes have been acknowledged. Reno passes `cwnd` (RFC 3465 2.1);
    /// coupled algorithms pass their own, larger, count.
    pub(crate) fn congestion_avoidance(&mut self, bytes_acked: u64, bytes_per_mss: u64) {
        let bytes_per_mss = bytes_per_mss.max(1);
        self.ca_bytes_acked = self.ca_bytes_acked.saturating_add(bytes_acked);
        // RFC 3465 2.1: "When bytes_acked becomes greater than or equal to
        // the value of the congestion window, bytes_acked is reduced by the
        // value of cwnd. Next, cwnd is incremented by a full-sized segment".
        if self.ca_bytes_acked >= bytes_per_mss {
            self.ca_bytes_acked -= bytes_per_mss;
            self.cwnd_bytes = self.cwnd_bytes.saturating_add(self.mss());
        }
    }

    /// One ACK outside recovery: slow start, then congestion avoidance
    /// with a count of `cwnd` (RFC 3465 2.1).
    fn grow(&mut self, ack: &AckSample) {
        if let Some(left_bytes) = self.grow_slow_start(ack) {
            let per_mss = self.cwnd_bytes;
            self.congestion_avoidance(left_bytes, per_mss);
        }
    }

    /// Whether [`Reno::congestion_avoidance`] with `bytes_acked` can make a
    /// `+1 MSS` step for some count of at least `min_bytes_per_mss`: false
    /// means it makes none for any such count, and only adds to the byte
    /// counter.
    pub(crate) fn ca_step_possible(&self, bytes_acked: u64, min_bytes_per_mss: u64) -> bool {
        self.ca_bytes_acked.saturating_add(bytes_acked) >= min_bytes_per_mss.max(1)
    }

    /// RFC 5681 3.1 eq. (4): `max(FlightSize / 2, 2*SMSS)`.
    pub(crate) fn half_flight_bytes(&self, bytes_in_flight: u64) -> u64 {
        (bytes_in_flight / 2).max(2 * self.mss())
    }

    /// Window reduction on a congestion event: `ssthresh` as given (at least
    /// 2 MSS) and `cwnd = ssthresh` (RFC 5681 3.2 step 2; the sender adds the
    /// recovery inflation).
    pub(crate) fn reduce_to(&mut self, ssthresh_bytes: u64) {
        self.ssthresh_bytes = ssthresh_bytes.max(2 * self.mss());
        self.cwnd_bytes = self.ssthresh_bytes;
        self.ca_bytes_acked = 0;
    }

    /// Retransmission timeout with `ssthresh_bytes` as the new threshold
    /// unless this is a repeated timeout (RFC 5681 3.1: "when ... the given
    /// segment has already been retransmitted by way of the retransmission
    /// timer at least once, the value of ssthresh is held constant").
    /// Returns whether `ssthresh` was set.
    pub(crate) fn timeout(&mut self, ssthresh_bytes: u64, repeated: bool) -> bool {
        if !repeated {
            self.ssthresh_bytes = ssthresh_bytes.max(2 * self.mss());
        }
        // RFC 5681 3.1: cwnd = LW = 1 full-sized segment.
        self.cwnd_bytes = self.mss();
        self.ca_bytes_acked = 0;
        !repeated
    }

    /// RFC 6582 3.2 step 3, option (1): "Set cwnd to min (ssthresh,
    /// max(FlightSize, SMSS) + SMSS)".
    pub(crate) fn exit_recovery(&mut self, bytes_in_flight: u64) {
        let deflated_bytes = bytes_in_flight.max(self.mss()) + self.mss();
        self.cwnd_bytes = self.ssthresh_bytes.min(deflated_bytes);
        self.ca_bytes_acked = 0;
    }

    /// RFC 5681 4.1: after an idle period longer than an RTO, "cwnd is
    /// reduced to the value of the restart window (RW) before beginning
    /// transmission", RW = min(IW, cwnd).
    pub(crate) fn idle_restart(&mut self) {
        self.cwnd_bytes = self.cwnd_bytes.min(self.iw_bytes);
        self.ca_bytes_acked = 0;
    }

    /// See [`CongestionControl::penalise`].
    pub(crate) fn penalise(&mut self) {
        let mss = self.mss();
        let prior = self.cwnd_bytes;
        self.cwnd_bytes = (prior / 2).max(mss);
        if prior >= self.ssthresh_bytes {
            self.ssthresh_bytes = (self.ssthresh_bytes / 2).max(2 * mss);
        }
    }

    /// Linux `tcp_undo_cwnd_reduction` with `tcp_reno_undo_cwnd`.
    pub(crate) fn undo(&mut self, prior_cwnd_bytes: u64, prior_ssthresh_bytes: u64) {
        self.cwnd_bytes = self.cwnd_bytes.max(prior_cwnd_bytes);
        self.ssthresh_bytes = self.ssthresh_bytes.max(prior_ssthresh_bytes);
        self.ca_bytes_acked = 0;
    }

    /// Sets `cwnd` directly (CUBIC's target, OLIA's decrement); at least 1 MSS.
    pub(crate) fn set_cwnd_bytes(&mut self, cwnd_bytes: u64) {
        self.cwnd_bytes = cwnd_bytes.max(self.mss());
    }

    pub(crate) fn set_ssthresh_bytes(&mut self, ssthresh_bytes: u64) {
        self.ssthresh_bytes = ssthresh_bytes;
    }
}

impl CongestionControl for Reno {
    fn name(&self) -> &'static str {
        "reno"
    }
    fn cwnd_bytes(&self) -> u64 {
        self.cwnd_bytes
    }
    fn ssthresh_bytes(&self) -> u64 {
        self.ssthresh_bytes
    }

    fn on_ack(&mut self, ack: &AckSample, _coupling: &Coupling<'_>) {
        self.grow(ack);
    }

    fn on_ack_lazy(&mut self, ack: &AckSample, _coupling: &mut LazyCoupling<'_>) {
        // Uncoupled: the views are never built.
        self.grow(ack);
    }

    fn on_congestion_event(&mut self, _now: SimTime, bytes_in_flight: u64, _c: &Coupling<'_>) {
        // RFC 5681 3.2 step 2 / RFC 6582 3.2 step 2, eq. (4).
        let ssthresh = self.half_flight_bytes(bytes_in_flight);
        self.reduce_to(ssthresh);
    }

    fn on_recovery_exit(&mut self, _now: SimTime, bytes_in_flight: u64) {
        self.exit_recovery(bytes_in_flight);
    }

    fn on_rto(&mut self, _now: SimTime, bytes_in_flight: u64, repeated: bool, _c: &Coupling<'_>) {
        // RFC 5681 3.1 eq. (4), cwnd = LW.
        let ssthresh = self.half_flight_bytes(bytes_in_flight);
        self.timeout(ssthresh, repeated);
    }

    fn penalise(&mut self) {
        Reno::penalise(self);
    }

    fn on_idle_restart(&mut self, _now: SimTime) {
        self.idle_restart();
    }

    fn undo_reduction(&mut self, prior_cwnd_bytes: u64, prior_ssthresh_bytes: u64) {
        self.undo(prior_cwnd_bytes, prior_ssthresh_bytes);
    }
}

/// The factory of [`Reno`]; it has no parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenoConfig {}

impl crate::policy::CcFactory for RenoConfig {
    fn build(&self, mss_bytes: u32, initial_window_bytes: u64) -> Box<dyn CongestionControl> {
        Box::new(Reno::with_initial_window(mss_bytes, initial_window_bytes))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cc::SubflowCcView;
    use sim_core::SimDuration;

    pub(crate) const MSS: u32 = 1000;

    pub(crate) fn ack_at(now: SimTime, bytes_acked: u64) -> AckSample {
        AckSample {
            now,
            bytes_acked,
            bytes_in_flight: 0,
            rtt: None,
            srtt: Some(SimDuration::from_millis(100)),
            min_rtt: Some(SimDuration::from_millis(100)),
            cwnd_limited: true,
            snd_una: 0,
            snd_nxt: 0,
            ca_rtt: None,
        }
    }

    pub(crate) fn ack(bytes_acked: u64) -> AckSample {
        ack_at(SimTime::ZERO, bytes_acked)
    }

    pub(crate) fn single_view() -> [SubflowCcView; 1] {
        [SubflowCcView {
            cwnd_bytes: 0,
            ssthresh_bytes: 0,
            srtt: Some(SimDuration::from_millis(100)),
            mss_bytes: MSS,
            usable: true,
            loss_distance_bytes: 0,
        }]
    }

    fn alone(views: &[SubflowCcView]) -> Coupling<'_> {
        Coupling { me: 0, subflows: views }
    }

    #[test]
    fn new_reno_starts_with_ten_segments_and_infinite_ssthresh() {
        // initial_window_bytes(1000) = 10 * 1000.
        let r = Reno::new(MSS);
        assert_eq!(r.cwnd_bytes(), 10_000);
        assert_eq!(r.ssthresh_bytes(), u64::MAX);
        assert!(r.in_slow_start());
    }

    #[test]
    fn an_undo_restores_the_window_and_ssthresh_before_the_timeout() {
        let v = single_view();
        let mut r = Reno::with_window(MSS, 20_000, 30_000);
        r.on_rto(SimTime::ZERO, 20_000, false, &alone(&v));
        assert_eq!((r.cwnd_bytes(), r.ssthresh_bytes()), (1000, 10_000));
        r.undo_reduction(20_000, 30_000);
        assert_eq!((r.cwnd_bytes(), r.ssthresh_bytes()), (20_000, 30_000));
    }

    #[test]
    fn slow_start_with_abc_grows_by_at_most_two_mss_per_ack() {
        let v = single_view();
        let mut r = Reno::new(MSS);
        // A stretch ACK of 3000 bytes: +min(3000, 2*1000) = +2000 -> 12000.
        r.on_ack(&ack(3000), &alone(&v));
        assert_eq!(r.cwnd_bytes(), 12_000);
        // A 500-byte ACK: +min(500, 2000) = +500 -> 12500.
        r.on_ack(&ack(500), &alone(&v));
        assert_eq!(r.cwnd_bytes(), 12_500);
        // One MSS: +1000 -> 13500.
        r.on_ack(&ack(1000), &alone(&v));
        assert_eq!(r.cwnd_bytes(), 13_500);
    }

    #[test]
    fn slow_start_stops_at_ssthresh_and_carries_the_rest_into_avoidance() {
        let v = single_view();
        let mut r = Reno::with_window(MSS, 9_500, 10_000);
        // increase = min(1500, 2000, room 500) = 500 -> cwnd 10000 = ssthresh;
        // the other 1000 bytes go to the avoidance counter (1000 of 10000).
        r.on_ack(&ack(1500), &alone(&v));
        assert_eq!(r.cwnd_bytes(), 10_000);
        assert!(!r.in_slow_start());
        assert_eq!(r.ca_bytes_acked, 1_000);
        // 9 more MSS complete the window of 10000 bytes: +1 MSS.
        for _ in 0..8 {
            r.on_ack(&ack(1000), &alone(&v));
        }
        assert_eq!(r.cwnd_bytes(), 10_000);
        r.on_ack(&ack(1000), &alone(&v));
        assert_eq!(r.cwnd_bytes(), 11_000);
    }

    #[test]
    fn congestion_avoidance_adds_one_mss_per_window_of_acked_bytes() {
        let v = single_view();
        let mut r = Reno::with_window(MSS, 10_000, 10_000);
        // cwnd 10000: the 10th ACK of 1000 bytes makes bytes_acked = 10000
        // >= cwnd, so cwnd = 11000 and bytes_acked = 0.
        for _ in 0..9 {
            r.on_ack(&ack(1000), &alone(&v));
        }
        assert_eq!(r.cwnd_bytes(), 10_000);
        r.on_ack(&ack(1000), &alone(&v));
        assert_eq!(r.cwnd_bytes(), 11_000);
        // The next step needs a window of 11000 bytes: 10 ACKs are not enough,
        // the 11th is.
        for _ in 0..10 {
            r.on_ack(&ack(1000), &alone(&v));
        }
        assert_eq!(r.cwnd_bytes(), 11_000);
        r.on_ack(&ack(1000), &alone(&v));
        assert_eq!(r.cwnd_bytes(), 12_000);
    }

    #[test]
    fn window_does_not_grow_when_not_cwnd_limited() {
        let v = single_view();
        let mut r = Reno::new(MSS);
        let mut a = ack(1000);
        a.cwnd_limited = false;
        r.on_ack(&a, &alone(&v));
        assert_eq!(r.cwnd_bytes(), 10_000);
        let mut r = Reno::with_window(MSS, 10_000, 10_000);
        for _ in 0..20 {
            r.on_ack(&a, &alone(&v));
        }
        assert_eq!(r.cwnd_bytes(), 10_000);
    }

    #[test]
    fn congestion_event_halves_flight_size_with_a_two_mss_floor() {
        let v = single_view();
        let mut r = Reno::with_window(MSS, 40_000, 40_000);
        // FlightSize 30000 (less than cwnd): ssthresh = max(15000, 2000).
        r.on_congestion_event(SimTime::ZERO, 30_000, &alone(&v));
        assert_eq!(r.ssthresh_bytes(), 15_000);
        assert_eq!(r.cwnd_bytes(), 15_000);
        // FlightSize 3000: max(1500, 2000) = 2000.
        r.on_congestion_event(SimTime::ZERO, 3_000, &alone(&v));
        assert_eq!(r.ssthresh_bytes(), 2_000);
        assert_eq!(r.cwnd_bytes(), 2_000);
    }

    #[test]
    fn recovery_exit_deflates_to_min_of_ssthresh_and_flight_plus_one_mss() {
        let v = single_view();
        let mut r = Reno::with_window(MSS, 40_000, 40_000);
        r.on_congestion_event(SimTime::ZERO, 40_000, &alone(&v));
        assert_eq!(r.ssthresh_bytes(), 20_000);
        // Flight 25000 after the full ACK: min(20000, 25000 + 1000) = 20000.
        r.on_recovery_exit(SimTime::ZERO, 25_000);
        assert_eq!(r.cwnd_bytes(), 20_000);
        // Flight 5000: min(20000, 5000 + 1000) = 6000, then slow start.
        r.on_recovery_exit(SimTime::ZERO, 5_000);
        assert_eq!(r.cwnd_bytes(), 6_000);
        assert!(r.in_slow_start());
        // Flight 0: min(20000, max(0, 1000) + 1000) = 2000.
        r.on_recovery_exit(SimTime::ZERO, 0);
        assert_eq!(r.cwnd_bytes(), 2_000);
    }

    #[test]
    fn rto_sets_the_loss_window_and_halves_flight_size() {
        let v = single_view();
        let mut r = Reno::with_window(MSS, 40_000, u64::MAX);
        r.on_rto(SimTime::ZERO, 36_000, false, &alone(&v));
        // ssthresh = max(36000/2, 2000) = 18000; cwnd = LW = 1 MSS.
        assert_eq!(r.ssthresh_bytes(), 18_000);
        assert_eq!(r.cwnd_bytes(), 1_000);
    }

    #[test]
    fn a_repeated_rto_holds_ssthresh_whatever_was_acked_in_between() {
        let v = single_view();
        let mut r = Reno::with_window(MSS, 40_000, u64::MAX);
        r.on_rto(SimTime::ZERO, 36_000, false, &alone(&v));
        assert_eq!(r.ssthresh_bytes(), 18_000);
        // Data acknowledged (SACKed) after the RTO: slow start 1000 + 1000.
        r.on_ack(&ack(1000), &alone(&v));
        assert_eq!(r.cwnd_bytes(), 2_000);
        // The segment the timer retransmitted times out again: ssthresh
        // stays 18000 whatever FlightSize says (RFC 5681 3.1), in either
        // direction.
        r.on_rto(SimTime::ZERO, 100_000, true, &alone(&v));
        assert_eq!(r.ssthresh_bytes(), 18_000);
        r.on_rto(SimTime::ZERO, 1_000, true, &alone(&v));
        assert_eq!(r.ssthresh_bytes(), 18_000);
        assert_eq!(r.cwnd_bytes(), 1_000);
        // A timeout of a segment not yet resent by the timer sets it again:
        // max(8000/2, 2000) = 4000.
        r.on_rto(SimTime::ZERO, 8_000, false, &alone(&v));
        assert_eq!(r.ssthresh_bytes(), 4_000);
    }

    #[test]
    fn idle_restart_uses_min_of_initial_window_and_cwnd() {
        // IW = 10 * 1000 = 10000.
        let mut r = Reno::with_window(MSS, 50_000, 30_000);
        r.on_idle_restart(SimTime::ZERO);
        assert_eq!(r.cwnd_bytes(), 10_000);
        assert_eq!(r.ssthresh_bytes(), 30_000);
        // A window already below IW is kept.
        let mut r = Reno::with_window(MSS, 4_000, 30_000);
        r.on_idle_restart(SimTime::ZERO);
        assert_eq!(r.cwnd_bytes(), 4_000);
    }
}
