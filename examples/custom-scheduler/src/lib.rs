//! `largest_room`: a packet scheduler that sends each segment on the
//! subflow with the most congestion-window room, written outside mpsim.
//!
//! It shows the three steps of bringing a policy of your own:
//! 1. implement `models::scheduler::Scheduler` (decisions over plain-value
//!    views: unit-testable without a network, see the tests below);
//! 2. give it a parameter struct that is its factory
//!    (`models::policy::SchedulerFactory`);
//! 3. register the name in an `experiments::registry::Registry`, and use
//!    that registry to parse scenarios or in a `SimBuilder`.

use std::sync::Arc;

use experiments::registry::Registry;
use models::policy::SchedulerFactory;
use models::scheduler::{ConnView, Decision, Scheduler, SegView, SubflowView};
use sim_core::SimTime;

/// The parameters of `largest_room`, and its factory.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LargestRoomConfig {
    /// A subflow is chosen only with at least this many segments of
    /// cwnd room (default 1).
    pub min_room_segments: u32,
}

impl Default for LargestRoomConfig {
    fn default() -> Self {
        LargestRoomConfig { min_room_segments: 1 }
    }
}

impl SchedulerFactory for LargestRoomConfig {
    fn build(&self) -> Box<dyn Scheduler> {
        Box::new(LargestRoom {
            min_room_segments: self.min_room_segments.max(1),
        })
    }
}

/// Registers `largest_room` in `registry`.
pub fn register(registry: &mut Registry) {
    registry.add_scheduler::<LargestRoomConfig>(
        "largest_room",
        "the subflow with the most cwnd room (example crate)",
        |c| Ok(Arc::new(c)),
    );
}

/// The built-in policies and `largest_room`.
pub fn registry() -> Registry {
    let mut r = Registry::builtin();
    register(&mut r);
    r
}

/// The scheduler. Backup subflows are used only when no other one can
/// take the segment, as Linux's schedulers do.
#[derive(Clone, Debug)]
pub struct LargestRoom {
    min_room_segments: u32,
}

impl LargestRoom {
    /// Index of the chosen subflow among those `usable`, or None.
    fn pick(&self, subflows: &[SubflowView], seg: &SegView, usable: impl Fn(&SubflowView) -> bool) -> Option<usize> {
        let room = |s: &SubflowView| s.cwnd_room_bytes().unwrap_or(0);
        let enough = |s: &SubflowView| room(s) >= u64::from(self.min_room_segments) * u64::from(s.mss_bytes);
        let best = |backup: bool| {
            subflows
                .iter()
                .enumerate()
                .filter(|(_, s)| s.backup == backup && s.available(seg.dsn) && usable(s) && enough(s))
                // Most room first; on a tie the lower RTT, then the lower id.
                .max_by(|(_, a), (_, b)| {
                    room(a)
                        .cmp(&room(b))
                        .then(b.srtt_key().cmp(&a.srtt_key()))
                        .then(b.id.cmp(&a.id))
                })
                .map(|(i, _)| i)
        };
        best(false).or_else(|| best(true))
    }
}

impl Scheduler for LargestRoom {
    fn name(&self) -> &'static str {
        "largest-room"
    }

    fn next_for_new_data(
        &mut self,
        _now: SimTime,
        _conn: &ConnView,
        subflows: &[SubflowView],
        seg: &SegView,
    ) -> Decision {
        match self.pick(subflows, seg, |_| true) {
            Some(i) => Decision::Send {
                subflow: subflows[i].id,
                max_bytes: seg.len_bytes,
            },
            None => Decision::Wait,
        }
    }

    fn reinject_target(
        &mut self,
        _now: SimTime,
        _conn: &ConnView,
        subflows: &[SubflowView],
        seg: &SegView,
    ) -> Decision {
        // A reinjection goes to a subflow that has not carried the data.
        match self.pick(subflows, seg, |s| !seg.sent_on.contains(s.id)) {
            Some(i) => Decision::Send {
                subflow: subflows[i].id,
                max_bytes: seg.len_bytes,
            },
            None => Decision::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::testing::{at_ms, backup, conn, full, new_seg, reinjected, sf};

    fn decide(s: &mut dyn Scheduler, subflows: &[SubflowView]) -> Decision {
        s.next_for_new_data(at_ms(0), &conn(), subflows, &new_seg(1, 1000))
    }

    #[test]
    fn new_data_goes_to_the_subflow_with_the_most_room_whatever_its_rtt() {
        let mut s = LargestRoomConfig::default().build();
        let mut slow_roomy = sf(1, 80);
        slow_roomy.cwnd_bytes = 30_000;
        assert_eq!(
            decide(s.as_mut(), &[sf(0, 10), slow_roomy]),
            Decision::Send {
                subflow: 1,
                max_bytes: 1000
            }
        );
    }

    #[test]
    fn equal_room_goes_to_the_lower_rtt() {
        let mut s = LargestRoomConfig::default().build();
        assert_eq!(
            decide(s.as_mut(), &[sf(0, 50), sf(1, 10)]),
            Decision::Send {
                subflow: 1,
                max_bytes: 1000
            }
        );
    }

    #[test]
    fn a_backup_subflow_is_used_only_when_no_other_can_send() {
        let mut s = LargestRoomConfig::default().build();
        assert_eq!(
            decide(s.as_mut(), &[sf(0, 50), backup(sf(1, 10))]),
            Decision::Send {
                subflow: 0,
                max_bytes: 1000
            }
        );
        assert_eq!(
            decide(s.as_mut(), &[full(sf(0, 50)), backup(sf(1, 10))]),
            Decision::Send {
                subflow: 1,
                max_bytes: 1000
            }
        );
    }

    #[test]
    fn it_waits_while_no_subflow_has_the_room_asked_for() {
        let mut s = LargestRoomConfig { min_room_segments: 11 }.build();
        assert_eq!(decide(s.as_mut(), &[sf(0, 10), sf(1, 20)]), Decision::Wait);
    }

    #[test]
    fn a_reinjection_avoids_the_subflows_that_carried_it() {
        let mut s = LargestRoomConfig::default().build();
        let mut roomy = sf(0, 10);
        roomy.cwnd_bytes = 30_000;
        let d = s.reinject_target(at_ms(0), &conn(), &[roomy, sf(1, 20)], &reinjected(1, 1000, &[0]));
        assert_eq!(
            d,
            Decision::Send {
                subflow: 1,
                max_bytes: 1000
            }
        );
    }

    #[test]
    fn the_registry_reads_the_name_with_its_parameter() {
        let spec = registry().scheduler_spec("largest_room(min_room_segments: 2)").unwrap();
        assert_eq!(spec.to_string(), "largest_room(min_room_segments: 2)");
        assert!(registry().scheduler_spec("largest_room(min_room: 2)").is_err());
    }
}
