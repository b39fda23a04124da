//! BLEST, BLocking ESTimation (Ferlin, Alay, Mehani, Boreli, "BLEST:
//! Blocking Estimation-based MPTCP Scheduler for Heterogeneous Networks",
//! IFIP Networking 2016), as multipath-tcp/mptcp `net/mptcp/mptcp_blest.c`
//! implements it.
//!
//! The default scheduler picks a subflow; if that is not the fastest one,
//! BLEST estimates how many bytes the fastest subflow could send while the
//! segment lingers on the slower one, and waits for the fast subflow rather
//! than block the connection-level window (head-of-line blocking):
//! - linger time of the slow subflow `s` (`blestsched_estimate_linger_time`):
//!   its maximum SRTT if the segment would fill its cwnd, else
//!   `min_srtt + (max_srtt - min_srtt) * (in_flight + 1) / cwnd`; at least
//!   its current SRTT;
//! - bytes of the fast subflow `f` in that time (`blestsched_estimate_bytes`,
//!   assuming Reno): `n = linger / avg(min_srtt_f, max_srtt_f) + 1` RTTs;
//!   in initial slow start (infinite ssthresh) `cwnd * (2^n - 1)` packets
//!   (`n` at most 16), else `(max(cwnd, ssthresh + 1) + (n - 1) / 2) * n`;
//!   times MSS times `lambda`;
//! - wait if that exceeds the window left after the segment and what `s`
//!   holds unacknowledged: `meta_snd_wnd - (len + s.unacked)`
//!   (`blest_get_available_subflow`);
//! - `lambda` starts at 1.2 and moves in [1.0, 1.3]: at most once per
//!   minimum SRTT of the slow subflow, +0.04 if the receive-buffer
//!   optimisation ran in penalising mode since the last update, else
//!   -0.01 (`blestsched_update_lambda`).
//!
//! Min and max SRTT are BLEST's own records (`blestsched_priv.min_srtt_us`
//! / `max_srtt_us`): each decision folds in the current SRTT of every
//! subflow in a sending state, as Linux does; they are not the TCP minimum
//! RTT.
//!
//! The same check applies to reinjections (the module's `next_segment`
//! calls `blest_get_available_subflow` for every segment), and the module
//! runs the receive-buffer optimisation ([`super::opportunistic`]), whose
//! action the connection reports to [`Scheduler::on_rcv_buf_optimization`].
//!
//! Simplified, observable: the slow subflow's unacknowledged bytes are
//! `bytes_in_flight + queued_bytes` (Linux `write_seq - snd_una` also counts
//! SACKed and lost bytes); the lambda clock starts at time zero (Linux: when
//! the first subflow is attached).

use sim_core::{SimDuration, SimTime};

use super::opportunistic::RcvBufAction;
use super::{ConnView, Decision, MAX_SUBFLOWS, Scheduler, SegView, SubflowView, data_fin_subflow, fastest, min_rtt};

/// `lambda` module parameter: 12 tenths.
pub const LAMBDA_INITIAL_PER_MILLE: u32 = 1200;
/// `min_lambda`: 10 tenths.
pub const LAMBDA_MIN_PER_MILLE: u32 = 1000;
/// `max_lambda`: 13 tenths.
pub const LAMBDA_MAX_PER_MILLE: u32 = 1300;
/// `dyn_lambda_bad`: +4 %.
pub const LAMBDA_BAD_STEP_PER_MILLE: u32 = 40;
/// `dyn_lambda_good`: -1 %.
pub const LAMBDA_GOOD_STEP_PER_MILLE: u32 = 10;

/// Min and max SRTT seen, in nanoseconds (`blestsched_init`: `U32_MAX`, 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SrttRange {
    min_ns: u64,
    max_ns: u64,
}

const NO_RANGE: SrttRange = SrttRange {
    min_ns: u64::MAX,
    max_ns: 0,
};

/// BLEST's module parameters (Linux `mptcp_blest.c`), and the factory
/// that builds the scheduler with them. The lambdas are in Linux's unit,
/// tenths (`lambda = 12` is 1.2); the dynamic steps are in thousandths of
/// lambda (`dyn_lambda_bad = 40` is +4 %).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlestConfig {
    /// Initial lambda (`lambda`, 12 tenths).
    pub lambda: f64,
    /// Lower bound of lambda (`min_lambda`, 10 tenths).
    pub min_lambda: f64,
    /// Upper bound of lambda (`max_lambda`, 13 tenths).
    pub max_lambda: f64,
    /// Decrease after a slow-flow RTT without retransmission (`dyn_lambda_good`, 10 per mille).
    pub dyn_lambda_good: u32,
    /// Increase after a slow-flow RTT with a retransmission (`dyn_lambda_bad`, 40 per mille).
    pub dyn_lambda_bad: u32,
}

impl Default for BlestConfig {
    fn default() -> Self {
        BlestConfig {
            lambda: f64::from(LAMBDA_INITIAL_PER_MILLE) / 100.0,
            min_lambda: f64::from(LAMBDA_MIN_PER_MILLE) / 100.0,
            max_lambda: f64::from(LAMBDA_MAX_PER_MILLE) / 100.0,
            dyn_lambda_good: LAMBDA_GOOD_STEP_PER_MILLE,
            dyn_lambda_bad: LAMBDA_BAD_STEP_PER_MILLE,
        }
    }
}

impl BlestConfig {
    /// Tenths to thousandths, rounded; `None` unless finite and in (0, 1000] tenths.
    fn per_mille(tenths: f64) -> Option<u32> {
        (tenths.is_finite() && tenths > 0.0 && tenths <= 1000.0).then(|| (tenths * 100.0).round() as u32)
    }

    /// Why these parameters cannot run, if they cannot: each lambda positive
    /// and at most 1000 tenths, and `min_lambda <= lambda <= max_lambda`.
    pub fn validate(&self) -> Result<(), String> {
        let (Some(l), Some(lo), Some(hi)) = (
            Self::per_mille(self.lambda),
            Self::per_mille(self.min_lambda),
            Self::per_mille(self.max_lambda),
        ) else {
            return Err("lambda, min_lambda and max_lambda are tenths in (0, 1000]".into());
        };
        if !(lo <= l && l <= hi) {
            return Err(format!(
                "expected min_lambda <= lambda <= max_lambda, found {} <= {} <= {}",
                self.min_lambda, self.lambda, self.max_lambda
            ));
        }
        Ok(())
    }
}

impl crate::policy::SchedulerFactory for BlestConfig {
    fn build(&self) -> Box<dyn Scheduler> {
        Box::new(Blest::with_config(self))
    }
}

/// The BLEST scheduler. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blest {
    srtt_range: [SrttRange; MAX_SUBFLOWS],
    /// `blestsched_cb.lambda_1000`.
    lambda_per_mille: u32,
    /// `min_lambda`, `max_lambda` in thousandths.
    lambda_bounds_per_mille: (u32, u32),
    /// `dyn_lambda_good`, `dyn_lambda_bad`.
    lambda_steps_per_mille: (u32, u32),
    /// `blestsched_cb.last_lambda_update`.
    last_lambda_update: SimTime,
    /// `blestsched_cb.retrans_flag`.
    retrans_flag: bool,
}

impl Blest {
    /// BLEST with the Linux module's default parameters.
    pub fn new() -> Self {
        Self::with_config(&BlestConfig::default())
    }

    /// BLEST with `cfg`'s parameters; out-of-range lambdas are clamped
    /// into `[min_lambda, max_lambda]` (check them with [`BlestConfig::validate`]).
    pub fn with_config(cfg: &BlestConfig) -> Self {
        let pm = |t: f64, dflt: u32| BlestConfig::per_mille(t).unwrap_or(dflt);
        let lo = pm(cfg.min_lambda, LAMBDA_MIN_PER_MILLE);
        let hi = pm(cfg.max_lambda, LAMBDA_MAX_PER_MILLE).max(lo);
        Blest {
            srtt_range: [NO_RANGE; MAX_SUBFLOWS],
            lambda_per_mille: pm(cfg.lambda, LAMBDA_INITIAL_PER_MILLE).clamp(lo, hi),
            lambda_bounds_per_mille: (lo, hi),
            lambda_steps_per_mille: (cfg.dyn_lambda_good, cfg.dyn_lambda_bad),
            last_lambda_update: SimTime::ZERO,
            retrans_flag: false,
        }
    }

    /// The current scaling factor of the fast subflow's estimate, in
    /// thousandths.
    pub fn lambda_per_mille(&self) -> u32 {
        self.lambda_per_mille
    }

    fn range(&self, id: usize) -> SrttRange {
        self.srtt_range.get(id).copied().unwrap_or(NO_RANGE)
    }

    /// `blest_get_available_subflow`: index of the subflow for `seg`, or
    /// `None` (wait).
    fn choose(&mut self, now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Option<usize> {
        // "Answer data_fin on same subflow!!!"
        if let Some(i) = data_fin_subflow(conn, subflows, seg, |s| s.available(seg.dsn)) {
            return Some(i);
        }
        // "First, find the overall best subflow", recording min/max srtt of
        // every subflow that may send.
        for sf in subflows.iter().filter(|s| s.can_send() && s.id < MAX_SUBFLOWS) {
            let r = &mut self.srtt_range[sf.id];
            r.min_ns = r.min_ns.min(sf.srtt_key());
            r.max_ns = r.max_ns.max(sf.srtt_key());
        }
        let fast = fastest(subflows);
        // "find the current best subflow according to the default scheduler"
        let best = min_rtt::get_available_subflow(conn, subflows, seg)?;
        let Some(fast) = fast.filter(|&f| f != best) else {
            return Some(best);
        };
        // "if we decided to use a slower flow, we have the option of not
        // using it at all".
        let (slow, fast) = (&subflows[best], &subflows[fast]);
        self.update_lambda(now, slow);
        let linger_ns = self.linger_time_ns(slow);
        let fast_bytes = self.estimate_bytes(fast, linger_ns);
        // "we assume that all bytes inflight on the slow path will be acked
        // in besttp->srtt seconds": write_seq - snd_una, plus this segment.
        let slow_bytes = u128::from(seg.len_bytes) + u128::from(slow.bytes_in_flight) + u128::from(slow.queued_bytes);
        let avail = u128::from(conn.meta_snd_wnd_bytes).saturating_sub(slow_bytes);
        // "sending this SKB on the slow flow means we wouldn't be able to
        // send all the data we'd like to send on the fast flow".
        (fast_bytes <= avail).then_some(best)
    }

    /// `blestsched_update_lambda`.
    fn update_lambda(&mut self, now: SimTime, slow: &SubflowView) {
        let min_srtt = SimDuration::from_nanos(self.range(slow.id).min_ns);
        if now.saturating_since(self.last_lambda_update) < min_srtt {
            return;
        }
        // "if there have been retransmissions of packets of the slow flow
        // during the slow flows last RTT => increase lambda otherwise
        // decrease".
        let (good, bad) = self.lambda_steps_per_mille;
        let (lo, hi) = self.lambda_bounds_per_mille;
        self.lambda_per_mille = if self.retrans_flag {
            self.lambda_per_mille.saturating_add(bad)
        } else {
            self.lambda_per_mille.saturating_sub(good)
        }
        .clamp(lo, hi);
        self.retrans_flag = false;
        self.last_lambda_update = now;
    }

    /// `blestsched_estimate_linger_time`, nanoseconds.
    fn linger_time_ns(&self, slow: &SubflowView) -> u64 {
        let r = self.range(slow.id);
        // "take into account the new one".
        let in_flight = slow.in_flight_segs() + 1;
        let cwnd = slow.cwnd_segs();
        let estimate = if in_flight >= cwnd {
            r.max_ns
        } else {
            let slope = u128::from(r.max_ns.saturating_sub(r.min_ns));
            let rise = slope * u128::from(in_flight) / u128::from(cwnd.max(1));
            r.min_ns.saturating_add(u64::try_from(rise).unwrap_or(u64::MAX))
        };
        slow.srtt_key().max(estimate)
    }

    /// `blestsched_estimate_bytes`: bytes `fast` sends in `time_ns`, times
    /// lambda.
    fn estimate_bytes(&self, fast: &SubflowView, time_ns: u64) -> u128 {
        let r = self.range(fast.id);
        let avg_rtt = (u128::from(r.min_ns) + u128::from(r.max_ns)) / 2;
        // `time / avg + 1` ("round up"); 1 when no RTT is known ("sanity").
        let num_rtts = u128::from(time_ns).checked_div(avg_rtt).map_or(1, |n| n + 1);
        let cwnd = u128::from(fast.cwnd_segs());
        let packets = if fast.ssthresh_bytes == u64::MAX {
            // "we are in initial slow start": cwnd + 2*cwnd + 4*cwnd ...
            let n = num_rtts.min(16); // "cap for sanity"
            cwnd * ((1u128 << n) - 1)
        } else {
            // "assume we jump to CA already".
            let ssthresh = u128::from(fast.ssthresh_bytes / fast.mss());
            let ca_cwnd = cwnd.max(ssthresh + 1);
            (ca_cwnd + (num_rtts - 1) / 2) * num_rtts
        };
        packets * u128::from(fast.mss()) * u128::from(self.lambda_per_mille) / 1000
    }

    fn decide(&mut self, now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision {
        match self.choose(now, conn, subflows, seg) {
            Some(i) => blest_split(&subflows[i], seg),
            None => Decision::Wait,
        }
    }
}

impl Default for Blest {
    fn default() -> Self {
        Self::new()
    }
}

/// `mptcp_blest.c mptcp_blest_next_segment`: unsplit up to one MSS; else the
/// cwnd quota (`tcp_cwnd_test`) if the segment is at least that long, else
/// the segment capped by the subflow window (no deduction of queued bytes,
/// unlike the default).
fn blest_split(sf: &SubflowView, seg: &SegView) -> Decision {
    let mss = sf.mss();
    let len = seg.len_bytes;
    if len <= mss {
        return Decision::Send {
            subflow: sf.id,
            max_bytes: len,
        };
    }
    let (cwnd, in_flight) = (sf.cwnd_segs(), sf.in_flight_segs());
    if in_flight >= cwnd {
        return Decision::Wait;
    }
    let max_len = mss * (cwnd / 2).max(1).min(cwnd - in_flight);
    let max_bytes = if max_len <= len {
        max_len
    } else {
        len.min(sf.snd_wnd_bytes)
    };
    Decision::Send {
        subflow: sf.id,
        max_bytes: if max_bytes == 0 { len } else { max_bytes },
    }
}

impl Scheduler for Blest {
    fn name(&self) -> &'static str {
        "blest"
    }
    fn next_for_new_data(
        &mut self,
        now: SimTime,
        conn: &ConnView,
        subflows: &[SubflowView],
        seg: &SegView,
    ) -> Decision {
        self.decide(now, conn, subflows, seg)
    }
    fn reinject_target(&mut self, now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision {
        self.decide(now, conn, subflows, seg)
    }
    /// `mptcp_blest_rcv_buf_optimization`: "Record the occurrence of a
    /// retransmission to update the lambda value".
    fn on_rcv_buf_optimization(&mut self, _now: SimTime, action: &RcvBufAction) {
        if action.penalising {
            self.retrans_flag = true;
        }
    }
    fn on_subflow_closed(&mut self, id: usize) {
        if id < MAX_SUBFLOWS {
            self.srtt_range[id] = NO_RANGE;
        }
    }
    fn uses_rcv_buf_optimization(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;

    /// Fast subflow 0: 10 ms, cwnd 10 segments all in flight, ssthresh 20
    /// segments (congestion avoidance). Slow subflow 1: 100 ms, empty
    /// 10-segment window.
    fn pair() -> [SubflowView; 2] {
        [full(sf(0, 10)), sf(1, 100)]
    }

    fn with_window(meta_snd_wnd_bytes: u64) -> ConnView {
        ConnView {
            meta_snd_wnd_bytes,
            ..conn()
        }
    }

    #[test]
    fn blest_waits_for_the_fast_subflow_when_the_slow_one_would_block_the_window() {
        // The default picks subflow 1 (0 is cwnd-full, 1 is unused and
        // available: force). The fastest is 0, so BLEST checks, at 50 ms
        // (< slow min srtt 100 ms since the lambda clock's start: lambda
        // stays 1.2).
        // Records after this call: 0: [10, 10] ms, 1: [100, 100] ms.
        // Linger on 1: in flight 0 + 1 = 1 < cwnd 10 ->
        //   100 + (100 - 100) * 1 / 10 = 100 ms; max(srtt 100, 100) = 100 ms.
        // Fast bytes: avg rtt (10 + 10) / 2 = 10 ms, n = 100 / 10 + 1 = 11;
        //   ssthresh finite: ca_cwnd = max(10, 20 + 1) = 21;
        //   packets = (21 + (11 - 1) / 2) * 11 = 26 * 11 = 286;
        //   bytes = 286 * 1000 * 1200 / 1000 = 343_200.
        // Window left: 300_000 - (1000 + 0) = 299_000 < 343_200: wait.
        let mut b = Blest::new();
        let d = b.next_for_new_data(at_ms(50), &with_window(300_000), &pair(), &new_seg(1, 1000));
        assert_eq!(d, Decision::Wait);
        assert_eq!(b.lambda_per_mille(), 1200);
        // With a 400_000-byte window: 399_000 >= 343_200: the slow one goes.
        let d = b.next_for_new_data(at_ms(60), &with_window(400_000), &pair(), &new_seg(1, 1000));
        assert_eq!(
            d,
            Decision::Send {
                subflow: 1,
                max_bytes: 1000
            }
        );
    }

    #[test]
    fn data_already_held_by_the_slow_subflow_counts_against_the_window() {
        // As above with a 350_000-byte window: 349_000 >= 343_200 sends...
        let mut b = Blest::new();
        let d = b.next_for_new_data(at_ms(50), &with_window(350_000), &pair(), &new_seg(1, 1000));
        assert!(matches!(d, Decision::Send { subflow: 1, .. }));
        // ...but with 2 segments in flight and 4000 B queued on the slow
        // subflow: linger = 100 ms still (min = max); left = 350_000 -
        // (1000 + 2000 + 4000) = 343_000 < 343_200: wait.
        let mut subflows = pair();
        subflows[1].bytes_in_flight = 2_000;
        subflows[1].queued_bytes = 4_000;
        let d = b.next_for_new_data(at_ms(50), &with_window(350_000), &subflows, &new_seg(1, 1000));
        assert_eq!(d, Decision::Wait);
    }

    #[test]
    fn blest_uses_the_fast_subflow_without_any_estimate_when_it_has_room() {
        // The default picks the fastest: no check even with no window.
        let mut b = Blest::new();
        let d = b.next_for_new_data(at_ms(50), &with_window(0), &[sf(0, 10), sf(1, 100)], &new_seg(1, 1000));
        assert_eq!(
            d,
            Decision::Send {
                subflow: 0,
                max_bytes: 1000
            }
        );
    }

    #[test]
    fn the_linger_time_grows_with_the_slow_subflows_occupancy_between_its_min_and_max_srtt() {
        // Slow subflow seen at 100 ms, then at 60 ms: range [60, 100] ms,
        // srtt now 60 ms. With 4 segments in flight (+1 = 5) of cwnd 10:
        // 60 + (100 - 60) * 5 / 10 = 80 ms; max(60, 80) = 80 ms.
        let mut b = Blest::new();
        let mut subflows = pair();
        b.next_for_new_data(at_ms(50), &with_window(1 << 30), &subflows, &new_seg(1, 1000));
        subflows[1].srtt = Some(ms(60));
        subflows[1].bytes_in_flight = 4_000;
        b.next_for_new_data(at_ms(50), &with_window(1 << 30), &subflows, &new_seg(1, 1000));
        assert_eq!(b.linger_time_ns(&subflows[1]), ms(80).as_nanos());
        // Cwnd full after this segment (9 + 1 >= 10): the max, 100 ms.
        subflows[1].bytes_in_flight = 9_000;
        assert_eq!(b.linger_time_ns(&subflows[1]), ms(100).as_nanos());
    }

    #[test]
    fn in_initial_slow_start_the_fast_estimate_doubles_every_rtt() {
        // Fast subflow 10 ms, ssthresh infinite, cwnd 10: over 25 ms,
        // n = 25 / 10 + 1 = 3: 10 * (2^3 - 1) = 70 packets * 1000 * 1.2 =
        // 84_000 B. Over 1000 s n would be 100_001, capped at 16:
        // 10 * 65_535 * 1000 * 1.2 = 786_420_000 B.
        let mut b = Blest::new();
        let fast = SubflowView {
            ssthresh_bytes: u64::MAX,
            ..full(sf(0, 10))
        };
        b.next_for_new_data(at_ms(0), &conn(), &[fast, sf(1, 100)], &new_seg(1, 1000));
        assert_eq!(b.estimate_bytes(&fast, ms(25).as_nanos()), 84_000);
        assert_eq!(b.estimate_bytes(&fast, ms(1_000_000).as_nanos()), 786_420_000);
    }

    #[test]
    fn blest_lambda_grows_after_a_penalisation_and_shrinks_otherwise() {
        let mut b = Blest::new();
        let big = with_window(1 << 30);
        // Penalising run reported: at 200 ms (>= 100 ms since 0) a decision
        // for the slow subflow raises lambda 1200 + 40 = 1240.
        b.on_rcv_buf_optimization(
            at_ms(150),
            &RcvBufAction {
                penalising: true,
                ..RcvBufAction::default()
            },
        );
        b.next_for_new_data(at_ms(200), &big, &pair(), &new_seg(1, 1000));
        assert_eq!(b.lambda_per_mille(), 1240);
        // 250 ms: only 50 ms since the update (< 100 ms): unchanged.
        b.next_for_new_data(at_ms(250), &big, &pair(), &new_seg(1, 1000));
        assert_eq!(b.lambda_per_mille(), 1240);
        // 300 ms, no penalisation since: 1240 - 10 = 1230.
        b.next_for_new_data(at_ms(300), &big, &pair(), &new_seg(1, 1000));
        assert_eq!(b.lambda_per_mille(), 1230);
        // A non-penalising run (retransmission only) does not count.
        b.on_rcv_buf_optimization(at_ms(350), &RcvBufAction::default());
        b.next_for_new_data(at_ms(400), &big, &pair(), &new_seg(1, 1000));
        assert_eq!(b.lambda_per_mille(), 1220);
    }

    #[test]
    fn lambda_stays_between_one_and_one_point_three() {
        let mut b = Blest::new();
        let big = with_window(1 << 30);
        // 1200 + 3 * 40 = 1320 -> capped at 1300.
        for k in 1..=3 {
            b.on_rcv_buf_optimization(
                at_ms(0),
                &RcvBufAction {
                    penalising: true,
                    ..RcvBufAction::default()
                },
            );
            b.next_for_new_data(at_ms(100 * k), &big, &pair(), &new_seg(1, 1000));
        }
        assert_eq!(b.lambda_per_mille(), LAMBDA_MAX_PER_MILLE);
        // 1300 - 31 * 10 = 990 -> floored at 1000.
        for k in 4..=34 {
            b.next_for_new_data(at_ms(100 * k), &big, &pair(), &new_seg(1, 1000));
        }
        assert_eq!(b.lambda_per_mille(), LAMBDA_MIN_PER_MILLE);
    }

    #[test]
    fn blest_splits_to_the_cwnd_quota_without_deducting_queued_bytes() {
        // cwnd 10, 2 in flight, 5000 B queued, 20_000 B offered:
        // quota min(5, 8) = 5 segments = 5000 <= 20_000 -> 5000.
        let s = SubflowView {
            bytes_in_flight: 2_000,
            queued_bytes: 5_000,
            ..sf(0, 10)
        };
        assert_eq!(
            blest_split(&s, &new_seg(1, 20_000)),
            Decision::Send {
                subflow: 0,
                max_bytes: 5_000
            }
        );
        // 3000 B offered (< 5000): the segment, capped by a 2500 B window.
        let s = SubflowView {
            snd_wnd_bytes: 2_500,
            ..s
        };
        assert_eq!(
            blest_split(&s, &new_seg(1, 3_000)),
            Decision::Send {
                subflow: 0,
                max_bytes: 2_500
            }
        );
    }

    #[test]
    fn the_lambda_parameters_set_the_start_and_the_bounds_in_linux_tenths() {
        let cfg = BlestConfig {
            lambda: 11.0,
            min_lambda: 10.5,
            max_lambda: 11.2,
            ..BlestConfig::default()
        };
        assert_eq!(cfg.validate(), Ok(()));
        let mut b = Blest::with_config(&cfg);
        assert_eq!(b.lambda_per_mille(), 1100);
        // A penalising run raises lambda by dyn_lambda_bad (40 per mille)
        // but not past max_lambda (1120).
        let big = with_window(1 << 30);
        b.on_rcv_buf_optimization(
            at_ms(150),
            &RcvBufAction {
                penalising: true,
                ..RcvBufAction::default()
            },
        );
        b.next_for_new_data(at_ms(200), &big, &pair(), &new_seg(1, 1000));
        assert_eq!(b.lambda_per_mille(), 1120);
        assert!(
            BlestConfig {
                lambda: 14.0,
                ..BlestConfig::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            BlestConfig {
                lambda: f64::NAN,
                ..BlestConfig::default()
            }
            .validate()
            .is_err()
        );
    }
}
