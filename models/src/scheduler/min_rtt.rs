//! The Linux out-of-tree MPTCP default scheduler (`default`, lowest RTT
//! first): multipath-tcp/mptcp `net/mptcp/mptcp_sched.c`.
//!
//! Rules, each cited at its place in the code:
//! - Reinjections before new data: the connection asks
//!   [`Scheduler::reinject_target`] first (`__mptcp_next_segment` peeks the
//!   reinject queue first); both questions get the same answer here.
//! - A subflow is *definitely* unavailable when it is not in a sending state,
//!   is pre-established or potentially failed (`mptcp_is_def_unavailable`),
//!   and *temporarily* unavailable in RTO recovery, when its cwnd is full, or
//!   when the bytes already queued on it fill the rest of its cwnd
//!   (`mptcp_is_temp_unavailable`).
//! - Active (non-backup) subflows first; backup subflows only when no active
//!   subflow is usable at all. If an active subflow that has not carried the
//!   segment is merely temporarily unavailable, the answer is
//!   [`Decision::Wait`], not a backup (`get_available_subflow`, the `force`
//!   flag of `get_subflow_from_selectors`).
//! - A subflow that has not carried the segment yet beats one that has
//!   (`found_unused`); among equals the lowest SRTT wins, strict `<`, so the
//!   first subflow wins a tie.
//! - One subflow: used if available, backup or not (the single-subflow
//!   shortcut of v0.9x `get_available_subflow`).
//! - Our DATA_FIN goes on the subflow the peer's DATA_FIN came on, if it can
//!   take it ("Answer data_fin on same subflow").
//! - The hand-over is split to `min(cwnd quota, free cwnd room minus queued
//!   bytes, subflow window)` (`mptcp_next_segment`).
//!
//! The receive-buffer optimisation (opportunistic retransmission and
//! penalisation) the module runs when the connection-level window blocks
//! new data is in [`super::opportunistic`]; [`MinRtt::uses_rcv_buf_optimization`]
//! says whether the connection should run it (on by default, as Linux).
//!
//! Simplified, observable: the split has no GSO segment limit (Linux caps it
//! at the NIC's `gso_max_segs`); the v0.95 code dropped the single-subflow
//! shortcut, which gives the same answers (a lone subflow is picked by the
//! backup pass or after the path-mask reset).

use sim_core::SimTime;

use super::{ConnView, Decision, Scheduler, SegView, SubflowSet, SubflowView, data_fin_subflow};

/// The Linux default scheduler. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinRtt {
    rcv_buf_optimization: bool,
}

impl MinRtt {
    /// As Linux: with the receive-buffer optimisation.
    pub fn new() -> Self {
        MinRtt {
            rcv_buf_optimization: true,
        }
    }
    /// Without opportunistic retransmission and penalisation (the switch the
    /// NSDI 2012 evaluation compares against).
    pub fn without_rcv_buf_optimization() -> Self {
        MinRtt {
            rcv_buf_optimization: false,
        }
    }
}

impl Default for MinRtt {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler for MinRtt {
    fn name(&self) -> &'static str {
        "min-rtt"
    }
    fn next_for_new_data(
        &mut self,
        _now: SimTime,
        conn: &ConnView,
        subflows: &[SubflowView],
        seg: &SegView,
    ) -> Decision {
        decide(conn, subflows, seg)
    }
    fn reinject_target(&mut self, _now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision {
        decide(conn, subflows, seg)
    }
    fn uses_rcv_buf_optimization(&self) -> bool {
        self.rcv_buf_optimization
    }
    /// `decide` is a pure function, and [`get_available_subflow`] picks
    /// only available subflows (the single-subflow shortcut and the
    /// DATA_FIN rule test `available`, `select` skips the unavailable).
    fn waits_when_none_available(&self) -> bool {
        true
    }
}

/// `mptcp_next_segment`: the subflow from [`get_available_subflow`], the
/// amount from [`split_limit`].
pub(crate) fn decide(conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision {
    match get_available_subflow(conn, subflows, seg) {
        Some(i) => send_split(&subflows[i], seg),
        None => Decision::Wait,
    }
}

/// [`Decision::Send`] on `sf` with the [`split_limit`], or wait when the
/// cwnd quota is 0.
pub(crate) fn send_split(sf: &SubflowView, seg: &SegView) -> Decision {
    match split_limit(sf, seg.len_bytes) {
        Some(max_bytes) => Decision::Send {
            subflow: sf.id,
            max_bytes,
        },
        None => Decision::Wait,
    }
}

/// `mptcp_sched.c get_available_subflow`: index in `subflows` of the subflow
/// for `seg`, or `None` (wait).
pub fn get_available_subflow(conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Option<usize> {
    // v0.9x get_available_subflow: "if there is only one subflow, bypass the
    // scheduling function".
    if let [only] = subflows {
        return only.available(seg.dsn).then_some(0);
    }
    // get_available_subflow: "Answer data_fin on same subflow!!!"
    if let Some(i) = data_fin_subflow(conn, subflows, seg, |s| s.available(seg.dsn)) {
        return Some(i);
    }
    let mut mask = seg.sent_on;
    let mut looping = false;
    loop {
        // get_available_subflow: active subflows first; `force` means "an
        // unused active subflow was chosen", or "none was, but an unused
        // active one is only temporarily unavailable": either way, no backup.
        let (best, force) = select(subflows, seg.dsn, mask, false);
        if force {
            return best;
        }
        let (best, force) = select(subflows, seg.dsn, mask, true);
        if force || looping {
            return best;
        }
        // "the skb passed through all the available active and backups sks,
        // so clean the path mask" and try once more.
        mask = SubflowSet::EMPTY;
        looping = true;
    }
}

/// `mptcp_sched.c get_subflow_from_selectors` over the backup (`backup ==
/// true`) or the active subflows: `(index of the best, force)`.
fn select(subflows: &[SubflowView], dsn: u64, mask: SubflowSet, backup: bool) -> (Option<usize>, bool) {
    let mut best = None;
    let mut min_srtt = u64::MAX;
    let mut found_unused = false;
    let mut found_unused_una = false;
    for (i, sf) in subflows.iter().enumerate() {
        // subflow_is_active / subflow_is_backup selector.
        if sf.backup != backup {
            continue;
        }
        // mptcp_dont_reinject_skb: the segment is not yet on this subflow.
        let unused = !mask.contains(sf.id);
        if !unused && found_unused {
            // "If a unused sk was found previously, we continue - no need to
            // check used sks anymore."
            continue;
        }
        if sf.def_unavailable() {
            continue;
        }
        if sf.temp_unavailable(dsn) {
            found_unused_una |= unused;
            continue;
        }
        if unused && !found_unused {
            // "the first time we encounter an unused sk - thus we reset the
            // bestsk (which might have been set to a used sk)".
            best = None;
            min_srtt = u64::MAX;
            found_unused = true;
        }
        // Strict `<` on srtt_us: ties go to the earlier subflow.
        if sf.srtt_key() < min_srtt {
            min_srtt = sf.srtt_key();
            best = Some(i);
        }
    }
    let force = if best.is_some() { found_unused } else { found_unused_una };
    (best, force)
}

/// `mptcp_sched.c mptcp_next_segment`: the most bytes of a `seg_len`-byte
/// segment to hand to `sf`, or `None` when its cwnd quota is 0.
///
/// - A segment of at most one MSS goes whole ("No splitting required").
/// - Else the cwnd quota (`tcp_output.c tcp_cwnd_test`: `min(max(cwnd/2, 1),
///   cwnd - in_flight)` segments), then the free cwnd room minus what is
///   already queued ("max_len now fits exactly in the write-queue"), then
///   the subflow's peer window ("respects the announced receive-window").
/// - A limit of 0 (closed subflow window) means "no subflow limit" in
///   `mptcp_write_xmit`: the whole segment is queued and waits for the
///   window there.
pub fn split_limit(sf: &SubflowView, seg_len: u64) -> Option<u64> {
    let mss = sf.mss();
    if seg_len <= mss {
        return Some(seg_len);
    }
    let (cwnd, in_flight) = (sf.cwnd_segs(), sf.in_flight_segs());
    if in_flight >= cwnd {
        return None;
    }
    let quota_segs = (cwnd / 2).max(1).min(cwnd - in_flight);
    let mut max_len = (mss * quota_segs).min(seg_len);
    let room = (cwnd - in_flight) * mss;
    if room > sf.queued_bytes {
        max_len = max_len.min(room - sf.queued_bytes);
    }
    max_len = max_len.min(sf.snd_wnd_bytes);
    Some(if max_len == 0 { seg_len } else { max_len })
}

/// The factory of [`MinRtt`]; Linux `default` has no parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinRttConfig {}

impl crate::policy::SchedulerFactory for MinRttConfig {
    fn build(&self) -> Box<dyn Scheduler> {
        Box::new(MinRtt::new())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{SubflowState, SubflowView};
    use super::*;

    fn run(subflows: &[SubflowView], seg: &SegView) -> Decision {
        MinRtt::new().next_for_new_data(at_ms(0), &conn(), subflows, seg)
    }
    fn send(subflow: usize, max_bytes: u64) -> Decision {
        Decision::Send { subflow, max_bytes }
    }

    #[test]
    fn lowest_rtt_subflow_with_space_gets_new_data() {
        // Both have 10 free segments; 10 ms < 40 ms. A 1000-byte segment is
        // one MSS: it goes whole.
        let d = run(&[sf(0, 40), sf(1, 10)], &new_seg(1, 1000));
        assert_eq!(d, send(1, 1000));
    }

    #[test]
    fn equal_rtts_go_to_the_first_subflow() {
        // 20 ms < 20 ms is false: the second never replaces the first.
        let d = run(&[sf(3, 20), sf(1, 20)], &new_seg(1, 1000));
        assert_eq!(d, send(3, 1000));
    }

    #[test]
    fn backup_subflow_is_used_only_when_no_regular_subflow_is_usable() {
        // The backup is faster, but the active subflow is usable: active wins.
        let d = run(&[sf(0, 50), backup(sf(1, 5))], &new_seg(1, 1000));
        assert_eq!(d, send(0, 1000));
        // The active subflow is potentially failed (def unavailable): the
        // active pass finds nothing and forces nothing, the backup pass
        // picks the backup.
        let failed = SubflowView {
            potentially_failed: true,
            ..sf(0, 50)
        };
        let d = run(&[failed, backup(sf(1, 5))], &new_seg(1, 1000));
        assert_eq!(d, send(1, 1000));
        // Same when the only active subflow is still pre-established.
        let joining = SubflowView {
            state: SubflowState::PreEstablished,
            ..sf(0, 50)
        };
        let d = run(&[joining, backup(sf(1, 5))], &new_seg(1, 1000));
        assert_eq!(d, send(1, 1000));
    }

    #[test]
    fn cwnd_full_regular_subflow_makes_the_scheduler_wait_not_use_the_backup() {
        // The active subflow has 10 of 10 segments in flight: temporarily
        // unavailable and unused, so found_unused_una = force = true with no
        // subflow: wait, although the backup has room.
        let d = run(&[full(sf(0, 10)), backup(sf(1, 50))], &new_seg(1, 1000));
        assert_eq!(d, Decision::Wait);
    }

    #[test]
    fn queued_data_filling_the_cwnd_makes_a_subflow_temporarily_unavailable() {
        // Fast subflow: cwnd 10, 6 in flight, room (10 - 6) * 1000 = 4000 B,
        // 4000 B already queued: 4000 >= 4000, unavailable. The slower one
        // gets the data.
        let busy = SubflowView {
            bytes_in_flight: 6_000,
            queued_bytes: 4_000,
            ..sf(0, 10)
        };
        assert_eq!(run(&[busy, sf(1, 30)], &new_seg(1, 1000)), send(1, 1000));
        // One byte less queued: 3999 < 4000, the fast one is available again.
        let busy = SubflowView {
            queued_bytes: 3_999,
            ..busy
        };
        assert_eq!(run(&[busy, sf(1, 30)], &new_seg(1, 1000)), send(0, 1000));
    }

    #[test]
    fn subflows_in_rto_recovery_or_before_the_fourth_ack_get_no_data() {
        let in_rto = SubflowView {
            in_loss_recovery: true,
            ..sf(0, 5)
        };
        assert_eq!(run(&[in_rto, sf(1, 30)], &new_seg(1, 1000)), send(1, 1000));
        let joining = SubflowView {
            state: SubflowState::PreEstablished,
            ..sf(0, 5)
        };
        assert_eq!(run(&[joining, sf(1, 30)], &new_seg(1, 1000)), send(1, 1000));
    }

    #[test]
    fn an_unestablished_initial_subflow_only_takes_data_in_order() {
        // The initial subflow wants DSN 1001 next; DSN 2001 must go elsewhere.
        let first = SubflowView {
            in_order_dsn: Some(1_001),
            ..sf(0, 5)
        };
        assert_eq!(run(&[first, sf(1, 30)], &new_seg(2_001, 1000)), send(1, 1000));
        assert_eq!(run(&[first, sf(1, 30)], &new_seg(1_001, 1000)), send(0, 1000));
    }

    #[test]
    fn a_subflow_without_an_rtt_sample_counts_as_zero_rtt() {
        // Linux compares srtt_us, 0 before the first sample: 0 < 10 ms.
        let fresh = SubflowView { srtt: None, ..sf(1, 0) };
        assert_eq!(run(&[sf(0, 10), fresh], &new_seg(1, 1000)), send(1, 1000));
    }

    #[test]
    fn reinjection_avoids_the_subflow_that_already_carried_the_segment() {
        // Subflow 0 (10 ms) carried it; subflow 1 (40 ms) did not. Walking:
        // 0 is used and available -> best = 0; 1 is unused and available ->
        // reset, found_unused, best = 1. force = true: subflow 1.
        let seg = reinjected(1, 1000, &[0]);
        let d = MinRtt::new().reinject_target(at_ms(0), &conn(), &[sf(0, 10), sf(1, 40)], &seg);
        assert_eq!(d, send(1, 1000));
    }

    #[test]
    fn reinjection_falls_back_to_a_carrier_when_the_other_subflow_is_cwnd_full() {
        // 0 carried it and is available; 1 did not and is cwnd-full.
        // Active pass: best = 0 (used), found_unused = false -> force = false.
        // Backup pass: nothing, force = false -> path mask cleared, retry:
        // 0 is now unused and available -> force = true: subflow 0.
        let seg = reinjected(1, 1000, &[0]);
        let d = MinRtt::new().reinject_target(at_ms(0), &conn(), &[sf(0, 10), full(sf(1, 40))], &seg);
        assert_eq!(d, send(0, 1000));
    }

    #[test]
    fn reinjection_carried_everywhere_goes_to_the_fastest_again() {
        // Both carried it: the second round with a clean mask picks 10 ms.
        let seg = reinjected(1, 1000, &[0, 1]);
        let d = MinRtt::new().reinject_target(at_ms(0), &conn(), &[sf(0, 40), sf(1, 10)], &seg);
        assert_eq!(d, send(1, 1000));
    }

    #[test]
    fn a_single_subflow_is_used_even_if_it_is_a_backup() {
        assert_eq!(run(&[backup(sf(4, 80))], &new_seg(1, 1000)), send(4, 1000));
        assert_eq!(run(&[full(backup(sf(4, 80)))], &new_seg(1, 1000)), Decision::Wait);
    }

    #[test]
    fn our_data_fin_goes_back_on_the_subflow_the_peer_data_fin_came_on() {
        let c = ConnView {
            peer_data_fin_on: Some(1),
            ..conn()
        };
        let fin = SegView {
            data_fin: true,
            ..new_seg(5_001, 1)
        };
        let subflows = [sf(0, 10), sf(1, 40)];
        let d = MinRtt::new().next_for_new_data(at_ms(0), &c, &subflows, &fin);
        assert_eq!(d, send(1, 1));
        // Not a DATA_FIN: lowest RTT as usual.
        let d = MinRtt::new().next_for_new_data(at_ms(0), &c, &subflows, &new_seg(5_001, 1));
        assert_eq!(d, send(0, 1));
    }

    #[test]
    fn new_data_is_split_to_the_cwnd_quota_the_free_room_and_the_subflow_window() {
        // cwnd 10 segs, 2 in flight, 1000 B queued, MSS 1000, 20_000 B offered.
        // quota = min(max(10/2, 1), 10 - 2) = 5 segs -> 5000 B;
        // room = (10 - 2) * 1000 - 1000 = 7000 B -> 5000 B;
        // subflow window 3000 B -> 3000 B.
        let s = SubflowView {
            bytes_in_flight: 2_000,
            queued_bytes: 1_000,
            snd_wnd_bytes: 3_000,
            ..sf(0, 10)
        };
        assert_eq!(split_limit(&s, 20_000), Some(3_000));
        // Window 10_000: the quota's 5000 B.
        assert_eq!(
            split_limit(
                &SubflowView {
                    snd_wnd_bytes: 10_000,
                    ..s
                },
                20_000
            ),
            Some(5_000)
        );
        // Closed subflow window: limit 0 means no subflow limit.
        assert_eq!(
            split_limit(&SubflowView { snd_wnd_bytes: 0, ..s }, 20_000),
            Some(20_000)
        );
        // One MSS or less is never split.
        assert_eq!(split_limit(&s, 1_000), Some(1_000));
    }

    #[test]
    fn no_subflow_at_all_means_wait() {
        assert_eq!(run(&[], &new_seg(1, 1000)), Decision::Wait);
    }

    proptest::proptest! {
        /// `waits_when_none_available`: whatever the mix of unavailable
        /// subflows (cwnd full, queue filling the cwnd, potentially failed,
        /// RTO recovery, not sending; active or backup) and segment
        /// (new, reinjected, DATA_FIN), both questions answer Wait.
        #[test]
        fn no_available_subflow_means_wait(
            kinds in proptest::collection::vec((0u8..5, proptest::bool::ANY, 1u64..100, 0u64..3000), 0..5),
            reinject in proptest::bool::ANY,
            data_fin in proptest::bool::ANY,
            fin_on in proptest::option::of(0usize..5),
        ) {
            let subflows: Vec<SubflowView> = kinds
                .iter()
                .enumerate()
                .map(|(i, &(kind, is_backup, srtt, extra))| {
                    let mut s = sf(i, srtt);
                    s.backup = is_backup;
                    match kind {
                        0 => s.bytes_in_flight = s.cwnd_bytes + extra,
                        1 => {
                            s.bytes_in_flight = extra;
                            s.queued_bytes = s.cwnd_bytes;
                        }
                        2 => s.potentially_failed = true,
                        3 => s.in_loss_recovery = true,
                        _ => s.state = SubflowState::Closing,
                    }
                    s
                })
                .collect();
            proptest::prop_assert!(subflows.iter().all(|s| !s.available(1)));
            let mut c = conn();
            c.peer_data_fin_on = fin_on;
            let mut seg = if reinject { reinjected(1, 1000, &[0]) } else { new_seg(1, 3000) };
            seg.data_fin = data_fin;
            let mut m = MinRtt::new();
            proptest::prop_assert!(m.waits_when_none_available());
            proptest::prop_assert_eq!(m.next_for_new_data(at_ms(0), &c, &subflows, &seg), Decision::Wait);
            proptest::prop_assert_eq!(m.reinject_target(at_ms(0), &c, &subflows, &seg), Decision::Wait);
            proptest::prop_assert_eq!(&m, &MinRtt::new());
        }
    }
}
