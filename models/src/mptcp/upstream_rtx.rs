//! The MPTCP-level retransmission of upstream Linux (net/mptcp/protocol.c
//! `mptcp_retransmit_timer` -> `__mptcp_retrans`, `mptcp_subflow_get_retrans`,
//! `mptcp_subflow_active`; net/mptcp/pm.c `mptcp_pm_subflow_chk_stale`),
//! as pure functions over plain values; the connection applies them.
//!
//! How upstream recovers data lost on a subflow, unlike the out-of-tree
//! v0.95 stack (where every subflow RTO reinjects all that subflow's data
//! and marks it "potentially failed"):
//! - A subflow's RTO is TCP's business only: the subflow retransmits, the
//!   MPTCP level does nothing.
//! - The connection has its own retransmission timer. Its interval is the
//!   longest time left on the retransmission timer of any active subflow
//!   that is not counting stale periods, 200 ms (`TCP_RTO_MIN`) when there
//!   is none (`mptcp_timeout_from_subflow`, `__mptcp_set_timeout`), taken
//!   when the timer is armed; it is re-armed on data-level progress
//!   (`__mptcp_clean_una`) and after each firing, without backoff of its own.
//! - When it fires, every active subflow with data outstanding at TCP level
//!   counts a period without progress (its `stale_count` grows while nothing
//!   has arrived on it since the count began, and restarts once something
//!   does); the head of the data not yet data-acknowledged is sent again on
//!   the first active subflow with nothing outstanding at TCP level, not a
//!   backup if one exists; a backup only when every busy subflow has gone
//!   more than one period without progress ([`pick_retrans`]).
//! - A subflow whose count passes `stale_loss_cnt` (default 4, sysctl
//!   `net.mptcp.stale_loss_cnt`) becomes stale when another active subflow
//!   has made progress more recently (count below `max(stale_loss_cnt - 1,
//!   1)`): all data not yet data-acknowledged is queued again for the other
//!   subflows (`__mptcp_retransmit_pending_data`), and the scheduler skips
//!   the stale subflow until something arrives on it ([`is_active`]).
//!
//! Simplified: the head Linux resends is one data fragment, the bytes its
//! `sendmsg` copied into one page frag (up to 32 KiB); here it is
//! [`HEAD_FRAGMENT_BYTES`] whatever the application's writes. "Something
//! arrived" is any segment of the subflow (Linux `rcv_tstamp`: any ACK).

use sim_core::{SimDuration, SimTime};

/// What upstream resends when its timer fires: one data fragment of at most
/// a page frag (`SKB_FRAG_PAGE_ORDER`: 32 KiB).
pub const HEAD_FRAGMENT_BYTES: u64 = 32 * 1024;

/// `net.mptcp.stale_loss_cnt`'s default (net/mptcp/pm_kernel.c
/// `pm_nl_init_net`).
pub const DEFAULT_STALE_LOSS_CNT: u32 = 4;

/// `TCP_RTO_MIN`: the timer's interval when no subflow has a timer running.
pub const TIMER_FLOOR: SimDuration = SimDuration::from_millis(200);

/// A subflow's stale bookkeeping (Linux `subflow->stale`, `stale_count`,
/// `stale_rcv_tstamp`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stale {
    /// Marked stale.
    pub stale: bool,
    /// Periods without progress (`stale_count`, at most 255).
    pub count: u8,
    /// When the last segment had arrived as the count began.
    pub rcv_at: Option<SimTime>,
}

impl Stale {
    /// `mptcp_pm_subflow_chk_stale` for one busy subflow whose last segment
    /// arrived at `last_rx`: counts a period without progress. Returns true
    /// when the count grew past its first period, so the caller checks
    /// whether to mark the subflow stale ([`should_mark_stale`]).
    pub fn count_period(&mut self, last_rx: Option<SimTime>) -> bool {
        if self.count == 0 {
            self.rcv_at = last_rx;
            self.count = 1;
            false
        } else if self.rcv_at == last_rx {
            self.count = self.count.saturating_add(1);
            true
        } else {
            self.count = 0;
            self.stale = false;
            false
        }
    }
}

/// `mptcp_subflow_active`'s stale part: a stale subflow is inactive until
/// a segment arrives on it (then it is active again; the caller clears the
/// mark).
pub fn is_active(s: &Stale, last_rx: Option<SimTime>) -> bool {
    !(s.stale && s.rcv_at == last_rx)
}

/// `mptcp_pm_subflows_chk_stale`: whether subflow `me` becomes stale now,
/// given the counts of the other active subflows.
pub fn should_mark_stale(me: &Stale, others_active_counts: &[u8], stale_loss_cnt: u32, busy: bool) -> bool {
    if me.stale || stale_loss_cnt == 0 || u32::from(me.count) <= stale_loss_cnt || !busy {
        return false;
    }
    let active_max_loss_cnt = stale_loss_cnt.saturating_sub(1).max(1);
    others_active_counts.iter().any(|&c| u32::from(c) < active_max_loss_cnt)
}

/// A subflow as `mptcp_subflow_get_retrans` sees it, after the stale count
/// of the busy ones was updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetransView {
    /// `__mptcp_subflow_active`: established (or CLOSE-WAIT) and, for an
    /// MP_JOIN, fully established (stale or not).
    pub active: bool,
    /// Data outstanding at TCP level (in flight or queued).
    pub busy: bool,
    /// Either end flagged it backup.
    pub backup: bool,
    /// Its `stale_count`.
    pub stale_count: u8,
}

/// `mptcp_subflow_get_retrans`: the index of the subflow to resend the
/// head on, in the connection's list order; `None` to resend nothing now.
pub fn pick_retrans(views: &[RetransView]) -> Option<usize> {
    let mut backup = None;
    let mut min_stale_count = u8::MAX;
    let mut any_busy = false;
    for (i, v) in views.iter().enumerate() {
        if !v.active {
            continue;
        }
        if v.busy {
            any_busy = true;
            min_stale_count = min_stale_count.min(v.stale_count);
            continue;
        }
        if v.backup {
            backup.get_or_insert(i);
            continue;
        }
        return Some(i);
    }
    // "use backup only if there are no progresses anywhere" (Linux's
    // min_stale_count starts at INT_MAX: with no busy subflow, a backup).
    if !any_busy || min_stale_count > 1 { backup } else { None }
}

/// `mptcp_timeout_from_subflow` over the active subflows not counting stale
/// periods, then `__mptcp_set_timeout`: the longest time left on their
/// retransmission timers, [`TIMER_FLOOR`] when none runs.
pub fn timer_interval(now: SimTime, rtx_deadlines: impl IntoIterator<Item = SimTime>) -> SimDuration {
    rtx_deadlines
        .into_iter()
        .map(|d| d.saturating_since(now))
        .max()
        .filter(|d| !d.is_zero())
        .unwrap_or(TIMER_FLOOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }
    fn v(active: bool, busy: bool, backup: bool, stale_count: u8) -> RetransView {
        RetransView {
            active,
            busy,
            backup,
            stale_count,
        }
    }

    #[test]
    fn a_period_counts_only_while_nothing_arrives_and_restarts_when_something_does() {
        let mut s = Stale::default();
        assert!(!s.count_period(Some(at(100))));
        assert_eq!(s.count, 1);
        assert!(s.count_period(Some(at(100))));
        assert!(s.count_period(Some(at(100))));
        assert_eq!(s.count, 3);
        // A segment arrived at 900: progress, the count restarts.
        s.stale = true;
        assert!(!s.count_period(Some(at(900))));
        assert_eq!((s.count, s.stale), (0, false));
    }

    #[test]
    fn a_subflow_turns_stale_after_more_than_stale_loss_cnt_periods_if_another_makes_progress() {
        let me = Stale {
            stale: false,
            count: 5,
            rcv_at: Some(at(1)),
        };
        assert!(should_mark_stale(&me, &[0], 4, true));
        // Four periods are not enough; no progress elsewhere keeps it.
        assert!(!should_mark_stale(&Stale { count: 4, ..me }, &[0], 4, true));
        assert!(!should_mark_stale(&me, &[3], 4, true));
        assert!(!should_mark_stale(&me, &[], 4, true));
        // Nothing outstanding on it, or the feature off (stale_loss_cnt 0).
        assert!(!should_mark_stale(&me, &[0], 4, false));
        assert!(!should_mark_stale(&me, &[0], 0, true));
    }

    #[test]
    fn a_stale_subflow_is_inactive_until_a_segment_arrives() {
        let s = Stale {
            stale: true,
            count: 5,
            rcv_at: Some(at(1)),
        };
        assert!(!is_active(&s, Some(at(1))));
        assert!(is_active(&s, Some(at(2))));
        assert!(is_active(&Stale::default(), None));
    }

    #[test]
    fn the_head_goes_to_the_first_idle_active_subflow_and_not_to_a_backup_if_another_exists() {
        // 0 busy, 1 idle backup, 2 idle: 2.
        assert_eq!(
            pick_retrans(&[
                v(true, true, false, 1),
                v(true, false, true, 0),
                v(true, false, false, 0)
            ]),
            Some(2)
        );
        // Every subflow busy: nothing now.
        assert_eq!(pick_retrans(&[v(true, true, false, 0), v(true, true, false, 3)]), None);
        // An inactive one is skipped.
        assert_eq!(
            pick_retrans(&[v(false, false, false, 0), v(true, false, false, 0)]),
            Some(1)
        );
    }

    #[test]
    fn a_backup_takes_the_head_only_after_more_than_one_period_without_progress_everywhere() {
        let views = |c| [v(true, true, false, c), v(true, false, true, 0)];
        assert_eq!(pick_retrans(&views(1)), None);
        assert_eq!(pick_retrans(&views(2)), Some(1));
        // No busy subflow at all: the backup.
        assert_eq!(pick_retrans(&[v(true, false, true, 0)]), Some(0));
    }

    #[test]
    fn the_timer_waits_for_the_longest_subflow_timer_or_200_ms() {
        assert_eq!(
            timer_interval(at(1000), [at(1300), at(1800)]),
            SimDuration::from_millis(800)
        );
        assert_eq!(timer_interval(at(1000), []), SimDuration::from_millis(200));
        assert_eq!(timer_interval(at(1000), [at(900)]), SimDuration::from_millis(200));
    }
}
