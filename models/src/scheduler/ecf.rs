//! ECF, Earliest Completion First (Lim, Nahum, Towsley, Gibbens, "ECF: An
//! MPTCP Path Scheduler to Manage Heterogeneous Paths", CoNEXT 2017), as
//! multipath-tcp/mptcp `net/mptcp/mptcp_ecf.c ecf_get_available_subflow`
//! implements it.
//!
//! The default scheduler picks a subflow `s`. If it is not the fastest
//! subflow `f` (lowest SRTT among subflows in a sending state), ECF asks
//! whether the data would finish sooner by waiting for `f`:
//! - with `k` the bytes not yet handed to any subflow, `x_f = max(k,
//!   cwnd_f)`, `x_s = max(k, cwnd_s)` (windows in bytes: `cwnd * mss`),
//!   `delta = max(rttvar_f, rttvar_s)` and `beta = 1 / 4`
//!   (`mptcp_ecf_r_beta = 4`);
//! - if `srtt_f * (x_f + cwnd_f) < cwnd_f * (srtt_s + delta) * (1 + waiting *
//!   beta)`, i.e. `f` finishes `k` (plus one window) sooner than `s` takes
//!   one RTT: then if also `srtt_s * x_s >= cwnd_s * (2 * srtt_f + delta)`
//!   (`s` is much slower than waiting for `f`), set `waiting` and wait;
//!   otherwise use `s`;
//! - else clear `waiting` and use `s`.
//!
//! `waiting` is the hysteresis (`ecfsched_cb.switching_margin`): once ECF
//! decided to wait, the first test is relaxed by `beta`, so a backlog that
//! would not have made it start waiting keeps it waiting.
//!
//! The comparisons are the module's integer forms, `4 * lhs < 4 * rhs +
//! waiting * rhs` and `lhs_s >= rhs_s`, in nanoseconds times bytes.
//!
//! `delta` ([`EcfDelta`]): the paper's `max(sigma_f, sigma_s)` with the
//! RFC 6298 RTTVAR as sigma (default), or Linux's value: `mptcp_ecf.c` takes
//! `rttvar_us >> 1` of each subflow, and Linux's `rttvar_us` is about four
//! RTTVARs but at least `tcp_rto_min` (`tcp_input.c tcp_rtt_estimator`), so
//! its delta is about `max(4 * rttvar, rto_min) / 2`, at least 100 ms with
//! the default 200 ms `rto_min`. On short paths the two differ a lot; a
//! user sees Linux's delta make ECF wait less often.
//!
//! Here the test runs on every scheduling decision, new data and
//! reinjections alike, as the paper intends. In Linux the module sets
//! `.next_segment = mptcp_next_segment`, and the `mptcp_sched.c` versions
//! read for this model call the default `get_available_subflow` from there
//! directly, so the module's `get_subflow` (the ECF test) is reached only
//! where the stack asks `sched_ops->get_subflow` (`mptcp_output.c`:
//! meta-level retransmission, window probe); a release that routes
//! `next_segment` through `sched_ops->get_subflow` behaves as modelled. The
//! split and the receive-buffer optimisation ([`super::opportunistic`]) are
//! the default's.
//!
//! Simplified, observable: `k` is the connection's unsent bytes; Linux
//! derives it from the send-buffer memory (`sk_wmem_queued` of the meta and
//! the subflows, and packets out), which also counts skb overhead.

use sim_core::{SimDuration, SimTime};

use super::{ConnView, Decision, Scheduler, SegView, SubflowView, data_fin_subflow, fastest, min_rtt};

/// `mptcp_ecf_r_beta`: beta = 1 / 4.
pub const R_BETA: u128 = 4;

/// How ECF's `delta` is derived from the subflows' RTT variation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcfDelta {
    /// `max(rttvar_f, rttvar_s)`, RFC 6298 RTTVAR (the paper's sigma).
    MaxRttvar,
    /// Linux `max(rttvar_us_f, rttvar_us_s) >> 1` with `rttvar_us` taken as
    /// `max(4 * rttvar, rto_min)`.
    Linux {
        /// The floor of `rttvar_us` (Linux `tcp_rto_min`).
        rto_min: SimDuration,
    },
}

impl EcfDelta {
    fn of(self, sf: &SubflowView) -> u128 {
        let rttvar = u128::from(sf.rttvar.as_nanos());
        match self {
            EcfDelta::MaxRttvar => rttvar,
            EcfDelta::Linux { rto_min } => (4 * rttvar).max(u128::from(rto_min.as_nanos())) / 2,
        }
    }
}

/// The ECF scheduler. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ecf {
    delta: EcfDelta,
    /// `ecfsched_cb.switching_margin`, the paper's `waiting`.
    waiting: bool,
}

impl Ecf {
    /// Paper delta ([`EcfDelta::MaxRttvar`]).
    pub fn new() -> Self {
        Self::with_delta(EcfDelta::MaxRttvar)
    }
    /// ECF with `delta` derived as given.
    pub fn with_delta(delta: EcfDelta) -> Self {
        Ecf { delta, waiting: false }
    }
    /// Whether ECF is currently waiting for the fast subflow.
    pub fn waiting(&self) -> bool {
        self.waiting
    }

    /// `ecf_get_available_subflow`: index of the subflow for `seg`, or `None`.
    fn choose(&mut self, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Option<usize> {
        // "Answer data_fin on same subflow!!!"
        if let Some(i) = data_fin_subflow(conn, subflows, seg, |s| s.available(seg.dsn)) {
            return Some(i);
        }
        // "First, find the overall best (fastest) subflow".
        let fast = fastest(subflows);
        // "find the current best subflow according to the default scheduler"
        let best = min_rtt::get_available_subflow(conn, subflows, seg)?;
        let Some(fast) = fast.filter(|&f| f != best) else {
            return Some(best);
        };
        let (f, s) = (&subflows[fast], &subflows[best]);
        // "assuming equal MSS": the chosen subflow's.
        let mss = u128::from(s.mss());
        let k = u128::from(conn.unsent_bytes);
        let cwnd_f = u128::from(f.cwnd_segs()) * mss;
        let cwnd_s = u128::from(s.cwnd_segs()) * mss;
        let (srtt_f, srtt_s) = (u128::from(f.srtt_key()), u128::from(s.srtt_key()));
        let delta = self.delta.of(f).max(self.delta.of(s));
        // "at least one time tx over fastest subflow is required".
        let x_f = k.max(cwnd_f);
        let lhs = srtt_f * (x_f + cwnd_f);
        let rhs = cwnd_f * (srtt_s + delta);
        let waiting = u128::from(self.waiting);
        if R_BETA * lhs < R_BETA * rhs + waiting * rhs {
            let x_s = k.max(cwnd_s);
            let lhs_s = srtt_s * x_s;
            let rhs_s = cwnd_s * (2 * srtt_f + delta);
            if lhs_s >= rhs_s {
                // "too slower than fastest".
                self.waiting = true;
                return None;
            }
        } else {
            // "use slower one".
            self.waiting = false;
        }
        Some(best)
    }

    fn decide(&mut self, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision {
        match self.choose(conn, subflows, seg) {
            Some(i) => min_rtt::send_split(&subflows[i], seg),
            None => Decision::Wait,
        }
    }
}

impl Default for Ecf {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler for Ecf {
    fn name(&self) -> &'static str {
        "ecf"
    }
    fn next_for_new_data(
        &mut self,
        _now: SimTime,
        conn: &ConnView,
        subflows: &[SubflowView],
        seg: &SegView,
    ) -> Decision {
        self.decide(conn, subflows, seg)
    }
    fn reinject_target(&mut self, _now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision {
        self.decide(conn, subflows, seg)
    }
    fn uses_rcv_buf_optimization(&self) -> bool {
        true
    }
}

/// The factory of [`Ecf`] with Linux `mptcp_ecf.c`'s constants.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcfConfig {}

impl crate::policy::SchedulerFactory for EcfConfig {
    fn build(&self) -> Box<dyn Scheduler> {
        Box::new(Ecf::new())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;

    /// Fast subflow 0: 10 ms, cwnd 10 segments (10_000 B) all in flight.
    /// Slow subflow 1: `slow_ms`, empty 10-segment window. RTTVAR 1 ms on
    /// both, so delta = 1 ms. MSS 1000.
    fn pair(slow_ms: u64) -> [SubflowView; 2] {
        [full(sf(0, 10)), sf(1, slow_ms)]
    }

    fn backlog(k: u64) -> ConnView {
        ConnView {
            unsent_bytes: k,
            ..conn()
        }
    }

    fn run(e: &mut Ecf, k: u64, subflows: &[SubflowView]) -> Decision {
        e.next_for_new_data(at_ms(0), &backlog(k), subflows, &new_seg(1, 1000))
    }

    const USE_SLOW: Decision = Decision::Send {
        subflow: 1,
        max_bytes: 1000,
    };

    // Times in ms below; both sides of each test scale alike, so the
    // nanosecond comparison gives the same answers.

    #[test]
    fn ecf_waits_when_the_fast_path_finishes_sooner() {
        // k = 5000: x_f = max(5000, 10_000) = 10_000.
        // lhs = 10 * (10_000 + 10_000) = 200_000; rhs = 10_000 * (100 + 1) =
        // 1_010_000; 4 * 200_000 < 4 * 1_010_000 + 0: the fast one is sooner.
        // x_s = 10_000: lhs_s = 100 * 10_000 = 1_000_000 >= rhs_s = 10_000 *
        // (2 * 10 + 1) = 210_000: wait, waiting = 1.
        let mut e = Ecf::new();
        assert_eq!(run(&mut e, 5_000, &pair(100)), Decision::Wait);
        assert!(e.waiting());
    }

    #[test]
    fn ecf_uses_the_slow_path_when_the_backlog_is_large() {
        // k = 1_000_000: lhs = 10 * (1_000_000 + 10_000) = 10_100_000;
        // 4 * lhs = 40_400_000 >= 4 * 1_010_000 = 4_040_000: use the slow one.
        let mut e = Ecf::new();
        assert_eq!(run(&mut e, 1_000_000, &pair(100)), USE_SLOW);
        assert!(!e.waiting());
    }

    #[test]
    fn ecf_uses_the_slow_path_when_it_is_not_much_slower() {
        // Slow 18 ms, delta 5 ms (RTTVAR 5 ms on both), k = 5000:
        // lhs = 10 * 20_000 = 200_000; rhs = 10_000 * (18 + 5) = 230_000;
        // 800_000 < 920_000: the fast one is sooner, but
        // lhs_s = 18 * 10_000 = 180_000 < rhs_s = 10_000 * (20 + 5) = 250_000:
        // not worth waiting: the slow one goes, waiting unchanged (0).
        let mut subflows = pair(18);
        subflows[0].rttvar = ms(5);
        subflows[1].rttvar = ms(5);
        let mut e = Ecf::new();
        assert_eq!(run(&mut e, 5_000, &subflows), USE_SLOW);
        assert!(!e.waiting());
    }

    #[test]
    fn ecf_keeps_waiting_for_a_backlog_it_would_not_have_started_waiting_for() {
        // First test, 4 * 10 * (x_f + 10_000) < (4 + waiting) * 10_000 * 101:
        // waiting = 0 needs x_f < 91_000; waiting = 1 needs x_f < 116_250.
        // k = 100_000 is in between.
        // Not waiting: 40 * 110_000 = 4_400_000 >= 4_040_000: use the slow one.
        let mut e = Ecf::new();
        assert_eq!(run(&mut e, 100_000, &pair(100)), USE_SLOW);
        // Start waiting with k = 50_000 (40 * 60_000 = 2_400_000 < 4_040_000;
        // lhs_s = 100 * 50_000 >= 210_000).
        assert_eq!(run(&mut e, 50_000, &pair(100)), Decision::Wait);
        // Waiting: k = 100_000 now passes, 4_400_000 < 5_050_000, and
        // lhs_s = 100 * 100_000 = 10_000_000 >= 210_000: keep waiting.
        assert_eq!(run(&mut e, 100_000, &pair(100)), Decision::Wait);
        assert!(e.waiting());
        // k = 200_000: 40 * 210_000 = 8_400_000 >= 5_050_000: stop waiting,
        // use the slow one; then k = 100_000 uses it too.
        assert_eq!(run(&mut e, 200_000, &pair(100)), USE_SLOW);
        assert!(!e.waiting());
        assert_eq!(run(&mut e, 100_000, &pair(100)), USE_SLOW);
    }

    #[test]
    fn ecf_does_nothing_when_the_default_already_picks_the_fastest() {
        let mut e = Ecf::new();
        let d = run(&mut e, 5_000, &[sf(0, 10), sf(1, 100)]);
        assert_eq!(
            d,
            Decision::Send {
                subflow: 0,
                max_bytes: 1000
            }
        );
    }

    #[test]
    fn linux_delta_has_the_rto_min_floor_and_makes_ecf_send_where_the_paper_waits() {
        // Linux delta: max(4 * 1 ms, 200 ms) / 2 = 100 ms.
        // k = 5000: first test 4 * 200_000 < 4 * 10_000 * (100 + 100): yes;
        // lhs_s = 100 * 10_000 = 1_000_000 < rhs_s = 10_000 * (20 + 100) =
        // 1_200_000: use the slow one (the paper's 1 ms delta waits, above).
        let linux = EcfDelta::Linux { rto_min: ms(200) };
        assert_eq!(linux.of(&sf(0, 10)), u128::from(ms(100).as_nanos()));
        let mut e = Ecf::with_delta(linux);
        assert_eq!(run(&mut e, 5_000, &pair(100)), USE_SLOW);
        // RTTVAR 80 ms: 4 * 80 = 320 ms > 200 ms: delta 160 ms.
        let mut s = sf(0, 10);
        s.rttvar = ms(80);
        assert_eq!(linux.of(&s), u128::from(ms(160).as_nanos()));
    }

    #[test]
    fn ecf_applies_to_reinjections_too() {
        // Subflow 1 did not carry the segment; 0 did and is cwnd-full anyway.
        // Default: 1. Same arithmetic as the first test: wait.
        let mut e = Ecf::new();
        let d = e.reinject_target(at_ms(0), &backlog(5_000), &pair(100), &reinjected(1, 1000, &[0]));
        assert_eq!(d, Decision::Wait);
    }
}
