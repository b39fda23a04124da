//! Round-robin: multipath-tcp/mptcp `net/mptcp/mptcp_rr.c` with its module
//! defaults `num_segments = 1` and `cwnd_limited = 1`.
//!
//! Rules, cited in the code:
//! - Availability (`mptcp_rr_is_available`) as the default's, except that a
//!   subflow is full only when its queued bytes *exceed* the free cwnd room
//!   (`>` where the default has `>=`), and the cwnd test applies only with
//!   `cwnd_limited`.
//! - New data (`mptcp_rr_next_segment`): among the available subflows
//!   (cwnd-full ones are skipped, so the round goes on without them), a
//!   subflow in the middle of its burst (quota in `(0, num_segments)`)
//!   continues it; else the *last* subflow with quota 0 in the walk gets a
//!   fresh burst; when every available subflow has used its quota, all
//!   their quotas go back to 0 and the walk restarts. The hand-over is
//!   `num_segments - quota` segments. Backup flags are ignored.
//! - Reinjections (`rr_get_available_subflow`): the *last* available
//!   subflow that has not carried the segment, else the last available one
//!   that has (Linux then clears the path mask); no split.
//! - No receive-buffer optimisation (the module's `next_segment` never runs
//!   it).
//!
//! Simplified, observable: Linux adds the whole meta skb's segment count to
//! the quota before the skb is split to the burst; here the quota counts
//! the segments actually handed over ([`Scheduler::on_sent`]), so it never
//! overshoots `num_segments` (with an overshooting quota Linux would never
//! pick that subflow again, nor reset the round).

use sim_core::SimTime;

use super::{ConnView, Decision, MAX_SUBFLOWS, Scheduler, SegView, Sent, SentKind, SubflowView, data_fin_subflow};

/// Round-robin over the available subflows. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundRobin {
    /// Consecutive segments per subflow (`num_segments`).
    num_segments: u32,
    /// Skip subflows with a full cwnd (`cwnd_limited`).
    cwnd_limited: bool,
    /// Segments of the current burst each subflow sent (`rrsched_priv.quota`).
    quota: [u32; MAX_SUBFLOWS],
    /// MSS at the last decision for each subflow, to count segments (0:
    /// none yet, a hand-over counts as one segment).
    mss: [u64; MAX_SUBFLOWS],
}

impl RoundRobin {
    /// Linux's defaults: one segment per turn, cwnd-limited.
    pub fn new() -> Self {
        Self::with_params(1, true)
    }
    /// `num_segments` (at least 1) and `cwnd_limited`, as the module
    /// parameters.
    pub fn with_params(num_segments: u32, cwnd_limited: bool) -> Self {
        RoundRobin {
            num_segments: num_segments.max(1),
            cwnd_limited,
            quota: [0; MAX_SUBFLOWS],
            mss: [0; MAX_SUBFLOWS],
        }
    }
    /// Segments of the current burst subflow `id` has sent.
    pub fn quota(&self, id: usize) -> u32 {
        self.quota.get(id).copied().unwrap_or(0)
    }
}

impl Default for RoundRobin {
    fn default() -> Self {
        Self::new()
    }
}

/// `mptcp_rr.c mptcp_rr_is_available` (zero-window test off).
fn rr_available(sf: &SubflowView, dsn: u64, cwnd_test: bool) -> bool {
    // Sending state, not pre-established, not potentially failed.
    if sf.def_unavailable() {
        return false;
    }
    // TCP_CA_Loss; in-order data before full establishment.
    if sf.blocked_by_state(dsn) {
        return false;
    }
    if !cwnd_test {
        return true;
    }
    match sf.cwnd_room_bytes() {
        // "Not even a single spot in the cwnd".
        None => false,
        // "write_seq - snd_nxt > space": strictly more than the room.
        Some(space) => sf.queued_bytes <= space,
    }
}

impl Scheduler for RoundRobin {
    fn name(&self) -> &'static str {
        "round-robin"
    }

    /// `mptcp_rr.c mptcp_rr_next_segment`, non-reinjected branch.
    fn next_for_new_data(
        &mut self,
        _now: SimTime,
        _conn: &ConnView,
        subflows: &[SubflowView],
        seg: &SegView,
    ) -> Decision {
        let num = self.num_segments;
        // At most two walks: after the reset every available quota is 0.
        for _ in 0..2 {
            let mut walked = 0;
            let mut full_subs = 0;
            let mut choose: Option<(usize, u32)> = None;
            for (i, sf) in subflows.iter().enumerate() {
                if !rr_available(sf, seg.dsn, self.cwnd_limited) {
                    continue;
                }
                walked += 1;
                let q = self.quota(sf.id);
                // "Is this subflow currently being used?"
                if q > 0 && q < num {
                    choose = Some((i, num - q));
                    break;
                }
                // "Or, it's totally unused": the last such subflow wins.
                if q == 0 {
                    choose = Some((i, num));
                }
                // "Or, it must then be fully used".
                if q >= num {
                    full_subs += 1;
                }
            }
            // "All considered subflows have a full quota, and we considered
            // at least one": restart the round.
            if walked > 0 && walked == full_subs {
                for sf in subflows {
                    if rr_available(sf, seg.dsn, self.cwnd_limited) && sf.id < MAX_SUBFLOWS {
                        self.quota[sf.id] = 0;
                    }
                }
                continue;
            }
            let Some((i, split)) = choose else {
                return Decision::Wait;
            };
            let sf = &subflows[i];
            // found: the chosen subflow must pass the cwnd test as well.
            if !rr_available(sf, seg.dsn, true) {
                return Decision::Wait;
            }
            if sf.id < MAX_SUBFLOWS {
                self.mss[sf.id] = sf.mss();
            }
            // "*limit = split * mss_now".
            return Decision::Send {
                subflow: sf.id,
                max_bytes: u64::from(split) * sf.mss(),
            };
        }
        Decision::Wait
    }

    /// `mptcp_rr.c rr_get_available_subflow`; the reinjected skb goes
    /// unsplit (`*limit` stays 0).
    fn reinject_target(&mut self, _now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision {
        // "Answer data_fin on same subflow!!!"
        let chosen = data_fin_subflow(conn, subflows, seg, |s| rr_available(s, seg.dsn, true)).or_else(|| {
            let mut best = None;
            let mut used = None;
            for (i, sf) in subflows.iter().enumerate() {
                if !rr_available(sf, seg.dsn, true) {
                    continue;
                }
                if seg.sent_on.contains(sf.id) {
                    used = Some(i);
                } else {
                    best = Some(i);
                }
            }
            // "It has been sent on all subflows once - let's give it a
            // chance again by restarting its pathmask."
            best.or(used)
        });
        match chosen {
            Some(i) => Decision::Send {
                subflow: subflows[i].id,
                max_bytes: seg.len_bytes,
            },
            None => Decision::Wait,
        }
    }

    /// The quota grows by the segments handed over as new data.
    fn on_sent(&mut self, _now: SimTime, sent: &Sent) {
        if sent.kind != SentKind::NewData || sent.subflow >= MAX_SUBFLOWS {
            return;
        }
        let segs = match self.mss[sent.subflow] {
            0 => 1,
            mss => sent.len_bytes.div_ceil(mss).max(1),
        };
        let q = &mut self.quota[sent.subflow];
        *q = q.saturating_add(u32::try_from(segs).unwrap_or(u32::MAX));
    }

    fn on_subflow_closed(&mut self, id: usize) {
        if id < MAX_SUBFLOWS {
            self.quota[id] = 0;
            self.mss[id] = 0;
        }
    }
}

/// Round-robin's module parameters (Linux `mptcp_rr.c`), and the factory
/// that builds the scheduler with them.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoundRobinConfig {
    /// Consecutive segments per subflow (`num_segments`, default 1; 0 counts as 1).
    pub num_segments: u32,
    /// Skip subflows whose congestion window is full (`cwnd_limited`, default true).
    pub cwnd_limited: bool,
}

impl Default for RoundRobinConfig {
    fn default() -> Self {
        RoundRobinConfig {
            num_segments: 1,
            cwnd_limited: true,
        }
    }
}

impl crate::policy::SchedulerFactory for RoundRobinConfig {
    fn build(&self) -> Box<dyn Scheduler> {
        Box::new(RoundRobin::with_params(self.num_segments, self.cwnd_limited))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{SubflowState, SubflowView};
    use super::*;

    /// Asks for new data, then reports the whole hand-over as sent.
    fn step(rr: &mut RoundRobin, subflows: &[SubflowView], dsn: u64) -> Decision {
        let d = rr.next_for_new_data(at_ms(0), &conn(), subflows, &new_seg(dsn, 1000));
        if let Decision::Send { subflow, max_bytes } = d {
            let sent = Sent {
                subflow,
                dsn,
                len_bytes: max_bytes,
                kind: SentKind::NewData,
            };
            rr.on_sent(at_ms(0), &sent);
        }
        d
    }
    fn send(subflow: usize) -> Decision {
        Decision::Send {
            subflow,
            max_bytes: 1000,
        }
    }

    #[test]
    fn round_robin_alternates_one_segment_per_subflow() {
        // Quotas (0, 0): the last subflow with quota 0 wins -> 1; quota 1 = 1.
        // Quotas (0, 1): 0 is unused -> 0; 1 counts as full.
        // Quotas (1, 1): both full, walked 2 == full 2 -> reset -> 1 again.
        let subflows = [sf(0, 10), sf(1, 50)];
        let mut rr = RoundRobin::new();
        let got: Vec<_> = (0..5).map(|k| step(&mut rr, &subflows, 1 + 1000 * k)).collect();
        assert_eq!(got, vec![send(1), send(0), send(1), send(0), send(1)]);
    }

    #[test]
    fn round_robin_ignores_rtt_and_backup_flags() {
        // Three subflows, the middle one a backup: the walk is the same,
        // last unused first: 2, 1, 0, then the round restarts.
        let subflows = [sf(0, 10), backup(sf(1, 90)), sf(2, 50)];
        let mut rr = RoundRobin::new();
        let got: Vec<_> = (0..4).map(|k| step(&mut rr, &subflows, 1 + 1000 * k)).collect();
        assert_eq!(got, vec![send(2), send(1), send(0), send(2)]);
    }

    #[test]
    fn round_robin_skips_a_cwnd_full_subflow_and_keeps_going_on_the_others() {
        // Subflow 1 is cwnd-full: not walked. 0 alone: quota 0 -> 0; then
        // walked 1 == full 1 -> reset -> 0 again. Subflow 1's quota stays.
        let subflows = [sf(0, 10), full(sf(1, 50))];
        let mut rr = RoundRobin::new();
        assert_eq!(step(&mut rr, &subflows, 1), send(0));
        assert_eq!(step(&mut rr, &subflows, 1001), send(0));
        assert_eq!(rr.quota(1), 0);
        // Nothing available at all: wait.
        let none = [full(sf(0, 10)), full(sf(1, 50))];
        assert_eq!(step(&mut rr, &none, 2001), Decision::Wait);
    }

    #[test]
    fn a_subflow_is_full_only_when_its_queue_exceeds_the_cwnd_room() {
        // Room (10 - 6) * 1000 = 4000 B; 4000 B queued is not "> space":
        // still available to round-robin (the default scheduler says full).
        let s = SubflowView {
            bytes_in_flight: 6_000,
            queued_bytes: 4_000,
            ..sf(0, 10)
        };
        assert!(rr_available(&s, 1, true) && !s.available(1));
        assert!(!rr_available(
            &SubflowView {
                queued_bytes: 4_001,
                ..s
            },
            1,
            true
        ));
    }

    #[test]
    fn a_burst_of_several_segments_continues_on_the_same_subflow() {
        // num_segments 3: the first turn hands 3 * 1000 B to subflow 1; if
        // only 1000 B of it went, quota 1 is in (0, 3): it continues with
        // split 3 - 1 = 2 segments.
        let subflows = [sf(0, 10), sf(1, 50)];
        let mut rr = RoundRobin::with_params(3, true);
        let d = rr.next_for_new_data(at_ms(0), &conn(), &subflows, &new_seg(1, 10_000));
        assert_eq!(
            d,
            Decision::Send {
                subflow: 1,
                max_bytes: 3_000
            }
        );
        let sent = Sent {
            subflow: 1,
            dsn: 1,
            len_bytes: 1_000,
            kind: SentKind::NewData,
        };
        rr.on_sent(at_ms(0), &sent);
        let d = rr.next_for_new_data(at_ms(0), &conn(), &subflows, &new_seg(1_001, 10_000));
        assert_eq!(
            d,
            Decision::Send {
                subflow: 1,
                max_bytes: 2_000
            }
        );
    }

    #[test]
    fn round_robin_reinjection_prefers_the_last_subflow_that_has_not_carried_it() {
        let subflows = [sf(0, 10), sf(1, 20), sf(2, 30)];
        let mut rr = RoundRobin::new();
        // 2 carried it; 0 and 1 did not: the last of those, 1.
        let d = rr.reinject_target(at_ms(0), &conn(), &subflows, &reinjected(1, 4000, &[2]));
        assert_eq!(
            d,
            Decision::Send {
                subflow: 1,
                max_bytes: 4000
            }
        );
        // All carried it: the last available one, 2.
        let d = rr.reinject_target(at_ms(0), &conn(), &subflows, &reinjected(1, 4000, &[0, 1, 2]));
        assert_eq!(
            d,
            Decision::Send {
                subflow: 2,
                max_bytes: 4000
            }
        );
        // Reinjections do not touch the quotas.
        assert_eq!((rr.quota(0), rr.quota(1), rr.quota(2)), (0, 0, 0));
    }

    #[test]
    fn closed_subflows_start_a_new_life_with_an_empty_quota() {
        let subflows = [sf(0, 10), sf(1, 50)];
        let mut rr = RoundRobin::new();
        assert_eq!(step(&mut rr, &subflows, 1), send(1));
        rr.on_subflow_closed(1);
        assert_eq!(rr.quota(1), 0);
        let unusable = SubflowView {
            state: SubflowState::Closing,
            ..sf(1, 50)
        };
        assert_eq!(step(&mut rr, &[sf(0, 10), unusable], 1001), send(0));
    }
}
