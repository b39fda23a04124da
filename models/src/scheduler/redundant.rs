//! Redundant: every segment on every active subflow. multipath-tcp/mptcp
//! `net/mptcp/mptcp_redundant.c`, the v0.95 version by Frömmgen and
//! Erbshäußer (per-subflow pointers into the meta write queue).
//!
//! Rules, cited in the code:
//! - Each subflow keeps a pointer: the end of the last data it was given
//!   (`redsched_priv.skb` / `skb_end_seq`). Once the connection's data-ACK
//!   reaches it, the pointer is dropped (`redsched_correct_skb_pointers`)
//!   and the subflow starts again at the meta send head, skipping what it
//!   missed.
//! - A subflow's next data is what follows its pointer: data other
//!   subflows already carried (a catch-up, sent as a meta-level
//!   retransmission, [`Decision::Resend`]), or, when it is level with the
//!   send head or has no pointer, the new data
//!   (`redsched_next_skb_from_queue`).
//! - Catch-ups go only to active subflows; new data goes to active subflows,
//!   and to backups only when no active subflow is usable at all
//!   (`redsched_use_subflow`, `redsched_get_active_valid_sks`). A subflow
//!   must be available for the data (`mptcp_is_available`).
//! - The subflows are walked round-robin, starting after the one served
//!   last (`red_cb->next_subflow`); the first one that can send something
//!   is served (`mptcp_red_next_segment`).
//! - Reinjections go through the default scheduler (`get_available_subflow`).
//! - Nothing is split (`*limit` stays 0) and there is no receive-buffer
//!   optimisation.
//!
//! New data is returned for all subflows at once: when the walk reaches a
//! subflow that would take the new data, the answer is a
//! [`Decision::SendOn`] naming every active subflow that is available and
//! level with the send head. Linux would hand the same skb to them one call
//! after the other (each later one as a catch-up) at the same instant; the
//! copies and their path masks are the same.
//!
//! Simplified, observable: with only backup subflows usable, each new
//! segment goes to one backup (Linux's walk alternates between them as
//! here); a lagging backup never catches up, as in Linux. When the subflow
//! served last is closed, the walk restarts at the first subflow (Linux
//! moves on to its successor).

use sim_core::SimTime;

use super::{
    ConnView, Decision, MAX_SUBFLOWS, Scheduler, SegView, Sent, SentKind, SubflowSet, SubflowView, min_rtt, position,
};

/// The redundant scheduler. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redundant {
    /// Per subflow: DSN just past the last data it was given (Linux
    /// `skb_end_seq` of `redsched_priv.skb`).
    next_dsn: [Option<u64>; MAX_SUBFLOWS],
    /// The subflow served last; the walk starts after it.
    last_served: Option<usize>,
}

impl Redundant {
    /// A redundant scheduler that has served no subflow yet.
    pub fn new() -> Self {
        Redundant {
            next_dsn: [None; MAX_SUBFLOWS],
            last_served: None,
        }
    }

    /// Where subflow `id` continues: `None` means at the send head.
    /// `redsched_correct_skb_pointers`: a pointer at or below the data-ACK
    /// (`!after(skb_end_seq, snd_una)`) is dropped.
    fn pointer(&self, id: usize, conn: &ConnView) -> Option<u64> {
        self.next_dsn
            .get(id)
            .copied()
            .flatten()
            .filter(|&end| end > conn.data_acked_dsn)
    }
}

impl Default for Redundant {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler for Redundant {
    fn name(&self) -> &'static str {
        "redundant"
    }

    /// `mptcp_redundant.c mptcp_red_next_segment`, after the reinject queue.
    fn next_for_new_data(
        &mut self,
        _now: SimTime,
        conn: &ConnView,
        subflows: &[SubflowView],
        seg: &SegView,
    ) -> Decision {
        let n = subflows.len();
        // redsched_get_active_valid_sks: active and not def-unavailable.
        let active_valid = subflows.iter().any(|s| !s.backup && !s.def_unavailable());
        // redsched_use_subflow for data nobody carried (path_mask == 0).
        let takes_new = |s: &SubflowView| s.available(seg.dsn) && (!s.backup || !active_valid);
        // Level with the send head: no pointer, or one at (or past) it.
        let level = |s: &SubflowView| self.pointer(s.id, conn).is_none_or(|p| p >= seg.dsn);
        // Start after the subflow served last (red_cb->next_subflow).
        let start = self
            .last_served
            .and_then(|id| position(subflows, id))
            .map_or(0, |i| (i + 1) % n.max(1));
        for k in 0..n {
            let sf = &subflows[(start + k) % n];
            match self.pointer(sf.id, conn) {
                Some(dsn) if dsn < seg.dsn => {
                    // redsched_use_subflow: data already carried elsewhere
                    // (path_mask != 0) goes only to active subflows.
                    if sf.backup || !sf.available(dsn) {
                        continue;
                    }
                    // The catch-up is a meta-level retransmission
                    // ("if (TCP_SKB_CB(skb)->path_mask) *reinject = -1"),
                    // in pieces of the size new data is offered in.
                    let max_bytes = (seg.dsn - dsn).min(seg.len_bytes.max(u64::from(conn.mss_bytes.max(1))));
                    return Decision::Resend {
                        subflow: sf.id,
                        dsn,
                        max_bytes,
                    };
                }
                _ => {
                    if !takes_new(sf) {
                        continue;
                    }
                    if !active_valid {
                        // Only backups: this one alone.
                        return Decision::Send {
                            subflow: sf.id,
                            max_bytes: seg.len_bytes,
                        };
                    }
                    let set = subflows
                        .iter()
                        .filter(|s| takes_new(s) && level(s))
                        .fold(SubflowSet::EMPTY, |set, s| set.with(s.id));
                    return if set.len() == 1 {
                        Decision::Send {
                            subflow: sf.id,
                            max_bytes: seg.len_bytes,
                        }
                    } else {
                        Decision::SendOn {
                            subflows: set,
                            max_bytes: seg.len_bytes,
                        }
                    };
                }
            }
        }
        // "Nothing to send".
        Decision::Wait
    }

    /// "First try reinjections": `get_available_subflow`, unsplit.
    fn reinject_target(&mut self, _now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision {
        match min_rtt::get_available_subflow(conn, subflows, seg) {
            Some(i) => Decision::Send {
                subflow: subflows[i].id,
                max_bytes: seg.len_bytes,
            },
            None => Decision::Wait,
        }
    }

    /// New data and catch-ups move the subflow's pointer; reinjections do
    /// not (Linux sets `red_p->skb` only in the redundant walk).
    fn on_sent(&mut self, _now: SimTime, sent: &Sent) {
        if sent.kind == SentKind::Reinjection || sent.subflow >= MAX_SUBFLOWS {
            return;
        }
        self.next_dsn[sent.subflow] = Some(sent.dsn + sent.len_bytes);
        self.last_served = Some(sent.subflow);
    }

    /// `redsched_release`: forget the subflow.
    fn on_subflow_closed(&mut self, id: usize) {
        if id < MAX_SUBFLOWS {
            self.next_dsn[id] = None;
        }
        if self.last_served == Some(id) {
            self.last_served = None;
        }
    }
}

/// The factory of [`Redundant`]; Linux `redundant` has no parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedundantConfig {}

impl crate::policy::SchedulerFactory for RedundantConfig {
    fn build(&self) -> Box<dyn Scheduler> {
        Box::new(Redundant::new())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;

    fn report(r: &mut Redundant, d: Decision, dsn: u64) {
        let mut hand = |subflow: usize, dsn: u64, len_bytes: u64, kind: SentKind| {
            r.on_sent(
                at_ms(0),
                &Sent {
                    subflow,
                    dsn,
                    len_bytes,
                    kind,
                },
            );
        };
        match d {
            Decision::Send { subflow, max_bytes } => hand(subflow, dsn, max_bytes, SentKind::NewData),
            Decision::SendOn { subflows, max_bytes } => {
                for id in subflows.iter() {
                    hand(id, dsn, max_bytes, SentKind::NewData);
                }
            }
            Decision::Resend {
                subflow,
                dsn,
                max_bytes,
            } => hand(subflow, dsn, max_bytes, SentKind::MetaRetransmission),
            Decision::Wait => {}
        }
    }

    fn step(r: &mut Redundant, c: &ConnView, subflows: &[SubflowView], dsn: u64) -> Decision {
        let d = r.next_for_new_data(at_ms(0), c, subflows, &new_seg(dsn, 1000));
        report(r, d, dsn);
        d
    }

    fn on(ids: &[usize]) -> SubflowSet {
        ids.iter().fold(SubflowSet::EMPTY, |s, &id| s.with(id))
    }

    #[test]
    fn redundant_sends_every_segment_on_every_active_subflow() {
        // Two active subflows with room and a backup: each new segment goes
        // on both actives, never on the backup.
        let subflows = [sf(0, 10), sf(1, 80), backup(sf(2, 5))];
        let mut r = Redundant::new();
        for k in 0..3 {
            let d = step(&mut r, &conn(), &subflows, 1 + 1000 * k);
            assert_eq!(
                d,
                Decision::SendOn {
                    subflows: on(&[0, 1]),
                    max_bytes: 1000
                }
            );
        }
    }

    #[test]
    fn a_lagging_subflow_catches_up_before_taking_new_data() {
        let mut r = Redundant::new();
        let c = conn(); // data-ACK at DSN 1.
        // DSN 1001..2001 on both.
        assert_eq!(
            step(&mut r, &c, &[sf(0, 10), sf(1, 80)], 1001),
            Decision::SendOn {
                subflows: on(&[0, 1]),
                max_bytes: 1000
            }
        );
        // DSN 2001..3001: subflow 1 is cwnd-full, only 0 takes it.
        assert_eq!(
            step(&mut r, &c, &[sf(0, 10), full(sf(1, 80))], 2001),
            Decision::Send {
                subflow: 0,
                max_bytes: 1000
            }
        );
        // Send head 3001, subflow 1 has room again. Walk starts after 0 (served
        // last): subflow 1's pointer 2001 < 3001 and > data-ACK 1: catch-up
        // of 3001 - 2001 = 1000 B at DSN 2001.
        assert_eq!(
            step(&mut r, &c, &[sf(0, 10), sf(1, 80)], 3001),
            Decision::Resend {
                subflow: 1,
                dsn: 2001,
                max_bytes: 1000
            }
        );
        // Both level again at 3001: the new data goes on both.
        assert_eq!(
            step(&mut r, &c, &[sf(0, 10), sf(1, 80)], 3001),
            Decision::SendOn {
                subflows: on(&[0, 1]),
                max_bytes: 1000
            }
        );
    }

    #[test]
    fn a_subflow_whose_missed_data_was_acknowledged_skips_to_the_send_head() {
        let mut r = Redundant::new();
        let c = conn();
        step(&mut r, &c, &[sf(0, 10), sf(1, 80)], 1001);
        step(&mut r, &c, &[sf(0, 10), full(sf(1, 80))], 2001);
        // The data-ACK reached 2001: subflow 1's pointer 2001 <= 2001 is
        // dropped; it is level with the send head 3001 and takes new data.
        let acked = ConnView {
            data_acked_dsn: 2001,
            ..c
        };
        assert_eq!(
            step(&mut r, &acked, &[sf(0, 10), sf(1, 80)], 3001),
            Decision::SendOn {
                subflows: on(&[0, 1]),
                max_bytes: 1000
            }
        );
    }

    #[test]
    fn backups_carry_data_only_when_no_active_subflow_is_usable() {
        let mut r = Redundant::new();
        // The active subflow is merely cwnd-full: it is still "active valid",
        // so the backup gets nothing: wait.
        let d = step(&mut r, &conn(), &[full(sf(0, 10)), backup(sf(1, 50))], 1);
        assert_eq!(d, Decision::Wait);
        // The active subflow is potentially failed: the backups carry the
        // data, one per segment, alternating as the walk goes round.
        let failed = SubflowView {
            potentially_failed: true,
            ..sf(0, 10)
        };
        let subflows = [failed, backup(sf(1, 50)), backup(sf(2, 60))];
        let got: Vec<_> = (0..2).map(|k| step(&mut r, &conn(), &subflows, 1 + 1000 * k)).collect();
        assert_eq!(
            got,
            vec![
                Decision::Send {
                    subflow: 1,
                    max_bytes: 1000
                },
                Decision::Send {
                    subflow: 2,
                    max_bytes: 1000
                },
            ]
        );
    }

    #[test]
    fn reinjections_use_the_default_choice_and_leave_the_pointers_alone() {
        let mut r = Redundant::new();
        let subflows = [sf(0, 10), sf(1, 80)];
        let d = r.reinject_target(at_ms(0), &conn(), &subflows, &reinjected(1, 3000, &[0]));
        assert_eq!(
            d,
            Decision::Send {
                subflow: 1,
                max_bytes: 3000
            }
        );
        r.on_sent(
            at_ms(0),
            &Sent {
                subflow: 1,
                dsn: 1,
                len_bytes: 3000,
                kind: SentKind::Reinjection,
            },
        );
        assert_eq!(r.pointer(1, &conn()), None);
    }
}
