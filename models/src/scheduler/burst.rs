//! Upstream Linux's default packet scheduler (5.x, 6.x; net/mptcp/protocol.c
//! `mptcp_subflow_get_send` and `__mptcp_push_pending`, registered as
//! `default` in net/mptcp/sched.c; its BPF twin is `bpf_burst`).
//!
//! Rules:
//! - Only active subflows count: established (or CLOSE-WAIT), MP_JOIN
//!   complete, not stale (`mptcp_subflow_active`; stale subflows reach the
//!   scheduler as [`SubflowView::potentially_failed`]).
//! - Among the active non-backup subflows, the one with the lowest *linger
//!   time*, the bytes it holds (`sk_wmem_queued`: in flight and queued) over
//!   its smoothed pacing rate (`(wmem << 32) / avg_pacing_rate`), strict
//!   `<` so the first wins a tie. Backups compete among themselves and are
//!   used only when no non-backup subflow is active ("pick the best backup
//!   if no other subflow is active").
//! - The choice must have send-buffer room (`sk_stream_memory_free`), or
//!   nothing is sent now: no fall-back to another subflow.
//! - The chosen subflow gets a burst: up to `MPTCP_SEND_BURST_SIZE` bytes
//!   (and no more than the peer's data-level window left) before the choice
//!   is made again, unless its send buffer fills or it stops being active
//!   first (`__subflow_push_pending`). A burst lasts one push at most: the
//!   next push (after an ACK, a timer or a write) chooses afresh. Linux
//!   kept the last subflow across pushes while its burst lasted
//!   (`msk->last_snd`) until 6.6 (commit "mptcp: refactor push_pending
//!   logic", Geliang Tang, 2023, which moved the burst checks from
//!   `mptcp_subflow_get_send` into `__subflow_push_pending`); here the
//!   decisions at one instant are one push.
//! - Each choice folds the subflow's current pacing rate into its average,
//!   weighted by the burst against what it holds: `avg = (avg * wmem + pacing
//!   * burst) / (burst + wmem)`; the average starts at the pacing rate.
//! - The pacing rate is Linux's `tcp_update_pacing_rate`: `mss * max(cwnd,
//!   packets_out) / srtt`, times 2 while `cwnd < ssthresh / 2` (slow start,
//!   `tcp_pacing_ss_ratio` 200%), else times 1.2 (`tcp_pacing_ca_ratio`).
//!   Before the first RTT sample Linux does not divide by `srtt` (it is 0),
//!   which makes the rate enormous; the same here.
//! - Data to send again (reinjected after a subflow went away or turned
//!   stale) takes the same path: upstream re-sends it through the same
//!   scheduler (`__mptcp_retransmit_pending_data` rewinds `first_pending`),
//!   whichever subflow carried it before.
//!
//! Simplified, and what a user could observe:
//! - Linux queues a burst into the subflow's write queue beyond its
//!   congestion window, up to the subflow's send buffer, which autotunes to
//!   about twice the window (`tcp_sndbuf_expand`, factor 2) counted in
//!   memory (`truesize`, about 1.5 to 3 times the payload). Here the
//!   subflow holds at most [`SNDBUF_CWNDS`] congestion windows of payload
//!   ([`Scheduler::subflow_queue_cwnds`]), and `wmem` is payload bytes.
//! - A data fragment boundary does not exist here: a burst ends on the byte.

use sim_core::SimTime;

use super::{ConnView, Decision, MAX_SUBFLOWS, Scheduler, SegView, Sent, SubflowView};

/// `MPTCP_SEND_BURST_SIZE`: 64 KiB less a TCP header, the maximum TCP option
/// space, an IPv6 header and a fragment header.
pub const SEND_BURST_BYTES: u64 = 65_536 - 20 - 40 - 40 - 8;

/// How many congestion windows of payload a subflow may hold (in flight
/// and queued): `tcp_sndbuf_expand`'s factor 2.
pub const SNDBUF_CWNDS: u64 = 2;

/// Linux's pacing rate of a subflow, in bytes per second
/// (net/ipv4/tcp_input.c `tcp_update_pacing_rate`).
pub fn pacing_rate(v: &SubflowView) -> u128 {
    let segs = v.cwnd_segs().max(v.in_flight_segs()).max(1) as u128;
    let ratio: u128 = if v.cwnd_bytes < v.ssthresh_bytes / 2 { 200 } else { 120 };
    let per_rtt = v.mss() as u128 * segs * ratio / 100;
    match v.srtt {
        Some(srtt) if !srtt.is_zero() => per_rtt * 1_000_000_000 / srtt.as_nanos() as u128,
        // srtt_us == 0: Linux skips the division (rate in its units: 8e4 times
        // the bytes per round trip per microsecond scale).
        _ => per_rtt * 80_000 * 1_000_000,
    }
}

/// What a subflow holds: Linux `sk_wmem_queued`, as payload bytes.
fn wmem(v: &SubflowView) -> u64 {
    v.bytes_in_flight + v.queued_bytes
}

/// `mptcp_subflow_active`.
fn active(v: &SubflowView) -> bool {
    v.can_send() && !v.potentially_failed
}

/// `sk_stream_memory_free`: room in the subflow's send buffer.
fn memory_free(v: &SubflowView) -> bool {
    wmem(v) < v.cwnd_bytes.max(v.mss()) * SNDBUF_CWNDS
}

/// Upstream Linux's default scheduler. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Burst {
    /// `subflow->avg_pacing_rate` by subflow id (bytes per second; 0: unset).
    avg_pacing: Vec<u128>,
    /// The subflow of the current burst and the bytes left in it
    /// (`msk->snd_burst`).
    burst: Option<(usize, u64)>,
    /// The instant of the push the burst belongs to.
    burst_at: SimTime,
}

impl Default for Burst {
    fn default() -> Self {
        Burst {
            avg_pacing: vec![0; MAX_SUBFLOWS],
            burst: None,
            burst_at: SimTime::ZERO,
        }
    }
}

impl Burst {
    /// A scheduler with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// `mptcp_subflow_get_send`: the position in `subflows` of the chosen
    /// subflow and the burst it gets, or `None`.
    fn get_send(&mut self, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Option<(usize, u64)> {
        // [non-backup, backup]: (position, linger time).
        let mut best: [Option<(usize, u128)>; 2] = [None, None];
        let mut nr_active = 0;
        for (i, v) in subflows.iter().enumerate() {
            if !active(v) {
                continue;
            }
            let b = usize::from(v.backup);
            nr_active += usize::from(!v.backup);
            let slot = &mut self.avg_pacing[v.id % MAX_SUBFLOWS];
            if *slot == 0 {
                *slot = pacing_rate(v);
                if *slot == 0 {
                    continue;
                }
            }
            let linger = (u128::from(wmem(v)) << 32) / *slot;
            if best[b].is_none_or(|(_, l)| linger < l) {
                best[b] = Some((i, linger));
            }
        }
        if nr_active == 0 {
            best[0] = best[1];
        }
        let (i, _) = best[0]?;
        let v = &subflows[i];
        if !memory_free(v) {
            return None;
        }
        let window_end = conn.data_acked_dsn.saturating_add(conn.meta_snd_wnd_bytes);
        let burst = SEND_BURST_BYTES.min(window_end.saturating_sub(seg.dsn));
        if burst > 0 {
            let w = u128::from(wmem(v));
            let b = u128::from(burst);
            let slot = &mut self.avg_pacing[v.id % MAX_SUBFLOWS];
            *slot = (*slot * w + pacing_rate(v) * b) / (b + w);
        }
        Some((i, burst))
    }

    fn decide(&mut self, now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision {
        // The current burst goes on within its push while its subflow is
        // active with room (__subflow_push_pending); a new push chooses
        // afresh (__mptcp_push_pending, __mptcp_subflow_push_pending call
        // mptcp_subflow_get_send at each round).
        if let Some((id, left)) = self.burst
            && now == self.burst_at
            && left > 0
            && let Some(v) = subflows.iter().find(|v| v.id == id)
            && active(v)
            && memory_free(v)
        {
            return Decision::Send {
                subflow: id,
                max_bytes: left,
            };
        }
        match self.get_send(conn, subflows, seg) {
            Some((i, burst)) => {
                let id = subflows[i].id;
                self.burst = Some((id, burst));
                self.burst_at = now;
                Decision::Send {
                    subflow: id,
                    // burst 0 (the peer's window is full): the connection's
                    // own window check stops it.
                    max_bytes: burst.max(1),
                }
            }
            None => {
                self.burst = None;
                Decision::Wait
            }
        }
    }
}

impl Scheduler for Burst {
    fn name(&self) -> &'static str {
        "burst"
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

    fn on_sent(&mut self, _now: SimTime, sent: &Sent) {
        if let Some((id, left)) = &mut self.burst
            && *id == sent.subflow
        {
            *left = left.saturating_sub(sent.len_bytes);
        }
    }

    fn on_subflow_closed(&mut self, id: usize) {
        if let Some(slot) = self.avg_pacing.get_mut(id) {
            *slot = 0;
        }
        if self.burst.is_some_and(|(b, _)| b == id) {
            self.burst = None;
        }
    }

    fn subflow_queue_cwnds(&self) -> u64 {
        SNDBUF_CWNDS
    }
}

/// The factory of [`Burst`]; it has no parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstConfig {}

impl crate::policy::SchedulerFactory for BurstConfig {
    fn build(&self) -> Box<dyn Scheduler> {
        Box::new(Burst::new())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{SentKind, SubflowState};
    use super::*;

    fn send(d: Decision) -> Option<usize> {
        match d {
            Decision::Send { subflow, .. } => Some(subflow),
            _ => None,
        }
    }
    fn with_wmem(mut s: SubflowView, bytes: u64) -> SubflowView {
        s.bytes_in_flight = bytes;
        s
    }

    #[test]
    fn the_pacing_rate_is_twice_cwnd_per_rtt_in_slow_start_and_1_2_times_after() {
        // 10 segments of 1000 B per 10 ms: 1 MB/s; ssthresh 20 segments, so
        // cwnd 10 is not below ssthresh / 2: congestion avoidance, 1.2x.
        let v = sf(0, 10);
        assert_eq!(pacing_rate(&v), 1_200_000);
        let ss = SubflowView {
            ssthresh_bytes: u64::MAX,
            ..v
        };
        assert_eq!(pacing_rate(&ss), 2_000_000);
    }

    #[test]
    fn the_subflow_with_the_lowest_linger_time_wins_not_the_lowest_rtt() {
        // 0: 10 ms RTT holding 8 kB (1.2 MB/s: 6.7 ms); 1: 40 ms holding
        // nothing (0 ms).
        let subflows = [with_wmem(sf(0, 10), 8_000), sf(1, 40)];
        let mut s = Burst::new();
        assert_eq!(
            send(s.next_for_new_data(at_ms(0), &conn(), &subflows, &new_seg(1, 1000))),
            Some(1)
        );
        // Both empty: equal linger, the first wins.
        let mut s = Burst::new();
        let empty = [sf(0, 10), sf(1, 40)];
        assert_eq!(
            send(s.next_for_new_data(at_ms(0), &conn(), &empty, &new_seg(1, 1000))),
            Some(0)
        );
    }

    #[test]
    fn a_burst_stays_on_its_subflow_until_spent_or_its_buffer_is_full() {
        let mut s = Burst::new();
        let subflows = [sf(0, 10), sf(1, 40)];
        let d = s.next_for_new_data(at_ms(0), &conn(), &subflows, &new_seg(1, 1000));
        assert_eq!(
            d,
            Decision::Send {
                subflow: 0,
                max_bytes: SEND_BURST_BYTES
            }
        );
        s.on_sent(
            at_ms(0),
            &Sent {
                subflow: 0,
                dsn: 1,
                len_bytes: 5_000,
                kind: SentKind::NewData,
            },
        );
        // Subflow 0 now holds 5 kB and 1 holds nothing, yet the burst goes on.
        let busy = [with_wmem(sf(0, 10), 5_000), sf(1, 40)];
        assert_eq!(
            s.next_for_new_data(at_ms(0), &conn(), &busy, &new_seg(5_001, 1000)),
            Decision::Send {
                subflow: 0,
                max_bytes: SEND_BURST_BYTES - 5_000
            }
        );
        // Its send buffer full (two windows): a new choice, subflow 1.
        let full0 = [with_wmem(sf(0, 10), 20_000), sf(1, 40)];
        assert_eq!(
            send(s.next_for_new_data(at_ms(0), &conn(), &full0, &new_seg(5_001, 1000))),
            Some(1)
        );
    }

    #[test]
    fn a_burst_ends_with_its_push_and_the_next_push_chooses_afresh() {
        // Linux 6.6+: the burst bounds one push; the next push (a later
        // instant here) asks mptcp_subflow_get_send again.
        let mut s = Burst::new();
        let subflows = [sf(0, 10), sf(1, 40)];
        assert_eq!(
            send(s.next_for_new_data(at_ms(0), &conn(), &subflows, &new_seg(1, 1000))),
            Some(0)
        );
        s.on_sent(
            at_ms(0),
            &Sent {
                subflow: 0,
                dsn: 1,
                len_bytes: 5_000,
                kind: SentKind::NewData,
            },
        );
        // 1 ms later subflow 0 holds 5 kB and subflow 1 nothing: the lower
        // linger time wins although the burst had 60 kB left.
        let busy = [with_wmem(sf(0, 10), 5_000), sf(1, 40)];
        assert_eq!(
            s.next_for_new_data(at_ms(1), &conn(), &busy, &new_seg(5_001, 1000)),
            Decision::Send {
                subflow: 1,
                max_bytes: SEND_BURST_BYTES
            }
        );
    }

    #[test]
    fn a_backup_is_used_only_when_no_other_subflow_is_active() {
        let mut s = Burst::new();
        let subflows = [with_wmem(sf(0, 10), 15_000), backup(sf(1, 10))];
        assert_eq!(
            send(s.next_for_new_data(at_ms(0), &conn(), &subflows, &new_seg(1, 1000))),
            Some(0)
        );
        // The non-backup's buffer is full: wait, no fall-back.
        let mut s = Burst::new();
        let full0 = [with_wmem(sf(0, 10), 20_000), backup(sf(1, 10))];
        assert_eq!(
            s.next_for_new_data(at_ms(0), &conn(), &full0, &new_seg(1, 1000)),
            Decision::Wait
        );
        // The non-backup is stale (or gone): the backup.
        let mut s = Burst::new();
        let mut stale = sf(0, 10);
        stale.potentially_failed = true;
        let subflows = [stale, backup(sf(1, 10))];
        assert_eq!(
            send(s.next_for_new_data(at_ms(0), &conn(), &subflows, &new_seg(1, 1000))),
            Some(1)
        );
    }

    #[test]
    fn a_subflow_still_in_its_join_handshake_gets_nothing() {
        let mut s = Burst::new();
        let mut joining = sf(0, 1);
        joining.state = SubflowState::PreEstablished;
        let subflows = [joining, sf(1, 50)];
        assert_eq!(
            send(s.next_for_new_data(at_ms(0), &conn(), &subflows, &new_seg(1, 1000))),
            Some(1)
        );
    }

    #[test]
    fn the_burst_is_cut_to_the_peers_data_level_window() {
        let mut s = Burst::new();
        let mut c = conn();
        c.meta_snd_wnd_bytes = 3_000;
        assert_eq!(
            s.next_for_new_data(at_ms(0), &c, &[sf(0, 10)], &new_seg(1, 1000)),
            Decision::Send {
                subflow: 0,
                max_bytes: 3_000
            }
        );
    }

    #[test]
    fn the_average_pacing_rate_weighs_the_burst_against_what_the_subflow_holds() {
        let mut s = Burst::new();
        // First choice: avg starts at the pacing rate (1.2 MB/s) and stays.
        let v = with_wmem(sf(0, 10), 0);
        s.next_for_new_data(at_ms(0), &conn(), &[v], &new_seg(1, 1000));
        assert_eq!(s.avg_pacing[0], 1_200_000);
        // Holding 65,428 B (one burst) at a doubled rate: halfway.
        s.burst = None;
        let mut fast = with_wmem(sf(0, 5), SEND_BURST_BYTES);
        fast.cwnd_bytes = 100_000;
        let want = (1_200_000u128 + pacing_rate(&fast)) / 2;
        s.next_for_new_data(at_ms(0), &conn(), &[fast], &new_seg(1, 1000));
        assert_eq!(s.avg_pacing[0], want);
    }
}
