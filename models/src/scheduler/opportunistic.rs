//! Opportunistic retransmission and penalisation (Raiciu et al., "How Hard
//! Can It Be? Designing and Implementing a Deployable Multipath TCP", NSDI
//! 2012, section 4.2 "receive buffer"), as Linux implements it:
//! multipath-tcp/mptcp `net/mptcp/mptcp_sched.c mptcp_rcv_buf_optimization`
//! (copied unchanged into `mptcp_blest.c`).
//!
//! The problem: a slow subflow holds the data at the head of the
//! connection-level window; everything after it sits in the receiver's
//! out-of-order queue, the peer's window fills, and the fast subflow
//! idles. When new data is blocked that way, for the subflow `chosen` the
//! scheduler would have used:
//! 1. Penalise (at most once per SRTT of `chosen`, measured from its last
//!    penalty): every *other* subflow that carried the head-of-line segment,
//!    is slower than `chosen` and is in `TCP_CA_Open`, has its cwnd halved
//!    (at least 1 segment) and, unless it was in slow start, its ssthresh
//!    halved (at least 2 segments).
//! 2. Retransmit: if `chosen` has not carried the head-of-line segment yet,
//!    resend it on `chosen` when, walking the subflows that carried it, the
//!    first one either has a cwnd of at most 4 segments (after any halving
//!    in step 1) or is more than 4 times slower than `chosen`; and `chosen`
//!    can take it now.
//!
//! This is a pure function: it returns an [`RcvBufAction`] and the
//! connection applies it:
//! - for each id in `penalise`, set that subflow's congestion window to
//!   [`penalised_window`] of its view (computed before the halving);
//! - if `penalise` is not empty, set `chosen`'s
//!   [`SubflowView::last_penalty_at`] to `now` (Linux `last_rbuf_opti`);
//! - if `retransmit` is set, hand those bytes to that subflow as a
//!   [`SentKind::MetaRetransmission`](super::SentKind) and add it to the
//!   bytes' path mask;
//! - report the action to [`Scheduler::on_rcv_buf_optimization`](super::Scheduler)
//!   (BLEST adapts its lambda to it).
//!
//! Switch it off by not calling it: [`Scheduler::uses_rcv_buf_optimization`](super::Scheduler)
//! says whether the scheduler's Linux module runs it (default, BLEST and ECF
//! do; round-robin and redundant do not), and the connection may add its
//! own scenario switch.
//!
//! Simplified, observable: the once-per-RTT timer has nanosecond resolution
//! (Linux counts jiffies).

use sim_core::SimTime;

use super::min_rtt::split_limit;
use super::{SegView, SubflowSet, SubflowView, position};

/// Why the optimisation runs (Linux's `penal` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// New data does not fit in the peer's connection-level window
    /// (`mptcp_next_segment`: `tcp_snd_wnd_test` on the meta socket failed;
    /// `penal = 1`): may penalise.
    MetaWindowBlocked,
    /// Nothing new to send and the application waits for send-buffer space
    /// (`__mptcp_next_segment`, `penal = 0`): penalises only when the send
    /// buffer is full (`!sk_stream_memory_free`), else only retransmits.
    SendBufferLimited {
        /// The send buffer is full (`!sk_stream_memory_free`).
        send_buffer_full: bool,
    },
}

/// The inputs besides the subflows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RcvBufInput {
    /// The subflow the scheduler picked for the blocked data.
    pub chosen: usize,
    /// The connection's head-of-line segment: the oldest data not yet
    /// data-acknowledged (`tcp_rtx_queue_head` of the meta socket), with the
    /// subflows that carried it.
    pub head: SegView,
    /// Why the optimisation runs.
    pub trigger: Trigger,
}

/// Resend `[dsn, dsn + max_bytes)` on `subflow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retransmit {
    /// The subflow to resend on.
    pub subflow: usize,
    /// Data sequence number of the first byte.
    pub dsn: u64,
    /// The most bytes to resend.
    pub max_bytes: u64,
}

/// What the connection should do; see the module documentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RcvBufAction {
    /// The penalisation step was reached (the trigger allowed it), whether
    /// or not a window was halved. BLEST counts this as a retransmission
    /// event (`mptcp_blest.c`: `retrans_flag = true`).
    pub penalising: bool,
    /// Subflows whose window to halve.
    pub penalise: SubflowSet,
    /// The head-of-line segment to resend, if any.
    pub retransmit: Option<Retransmit>,
}

/// A subflow's window after a penalty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PenalisedWindow {
    /// The new congestion window, in bytes.
    pub cwnd_bytes: u64,
    /// The new slow-start threshold, in bytes.
    pub ssthresh_bytes: u64,
}

/// The window of `sf` after a penalty (`mptcp_rcv_buf_optimization`,
/// "Half the cwnd of the slow flows"): cwnd halved, at least one segment;
/// ssthresh halved, at least two segments, unless the subflow is in slow
/// start ("If in slow start, do not reduce the ssthresh").
pub fn penalised_window(sf: &SubflowView) -> PenalisedWindow {
    let mss = sf.mss();
    let cwnd_bytes = (sf.cwnd_segs() / 2).max(1) * mss;
    let ssthresh_bytes = if sf.in_slow_start {
        sf.ssthresh_bytes
    } else {
        (sf.ssthresh_bytes / mss / 2).max(2) * mss
    };
    PenalisedWindow {
        cwnd_bytes,
        ssthresh_bytes,
    }
}

/// `mptcp_sched.c mptcp_rcv_buf_optimization`. See the module documentation.
pub fn rcv_buf_optimization(now: SimTime, input: &RcvBufInput, subflows: &[SubflowView]) -> RcvBufAction {
    let mut action = RcvBufAction::default();
    let Some(me) = position(subflows, input.chosen).map(|i| &subflows[i]) else {
        return action;
    };
    let head = &input.head;
    let carriers = || subflows.iter().filter(|o| o.id != me.id && head.sent_on.contains(o.id));

    // "If penalization is optional (coming from mptcp_next_segment() and We
    // are not send-buffer-limited we do not penalize."
    action.penalising = match input.trigger {
        Trigger::MetaWindowBlocked => true,
        Trigger::SendBufferLimited { send_buffer_full } => send_buffer_full,
    };
    // "Only penalize again after an RTT has elapsed."
    let rtt_elapsed = me
        .srtt
        .is_none_or(|srtt| now.saturating_since(me.last_penalty_at) >= srtt);
    if action.penalising && rtt_elapsed {
        // "Half the cwnd of the slow flows": those that carried the head,
        // are slower than us and in TCP_CA_Open.
        for o in carriers() {
            if me.srtt_key() < o.srtt_key() && o.is_open() {
                action.penalise.insert(o.id);
            }
        }
    }

    // "Segment not yet injected into this path? Take it!!!"
    if head.sent_on.contains(me.id) {
        return action;
    }
    let mut do_retrans = false;
    for o in carriers() {
        // The cwnd as it is now, after any halving above.
        let cwnd_segs = if action.penalise.contains(o.id) {
            penalised_window(o).cwnd_bytes / o.mss()
        } else {
            o.cwnd_segs()
        };
        if cwnd_segs <= 4 {
            do_retrans = true;
            break;
        }
        if 4 * u128::from(me.srtt_key()) >= u128::from(o.srtt_key()) {
            do_retrans = false;
            break;
        }
        do_retrans = true;
    }
    // `mptcp_is_available(sk, skb_head, false)`.
    if do_retrans && me.available(head.dsn) {
        action.retransmit = Some(Retransmit {
            subflow: me.id,
            dsn: head.dsn,
            max_bytes: split_limit(me, head.len_bytes).unwrap_or(head.len_bytes),
        });
    }
    action
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;

    const NOW_MS: u64 = 1_000;

    /// Fast subflow 0 (10 ms, idle, last penalty at 0); slow subflow 1
    /// (100 ms, 20-segment cwnd, ssthresh 16 segments, not in slow start)
    /// carried the head-of-line segment DSN 1..1001.
    fn setup() -> ([SubflowView; 2], RcvBufInput) {
        let fast = sf(0, 10);
        let slow = SubflowView {
            cwnd_bytes: 20_000,
            ssthresh_bytes: 16_000,
            in_slow_start: false,
            bytes_in_flight: 20_000,
            ..sf(1, 100)
        };
        let input = RcvBufInput {
            chosen: 0,
            head: SegView {
                sent_on: SubflowSet::single(1),
                ..new_seg(1, 1000)
            },
            trigger: Trigger::MetaWindowBlocked,
        };
        ([fast, slow], input)
    }

    #[test]
    fn opportunistic_retransmission_resends_the_blocking_segment_on_the_fast_subflow_and_penalises_the_slow_one() {
        let (subflows, input) = setup();
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        // Penalty: 1000 ms since the last one >= 10 ms; 10 ms < 100 ms and
        // the slow subflow is Open.
        assert!(a.penalising);
        assert_eq!(a.penalise, SubflowSet::single(1));
        // cwnd 20 -> 10 segments; 20 >= ssthresh 16 (not slow start), so
        // ssthresh 16 -> 8 segments.
        assert_eq!(
            penalised_window(&subflows[1]),
            PenalisedWindow {
                cwnd_bytes: 10_000,
                ssthresh_bytes: 8_000
            }
        );
        // Retransmission: the head is not on subflow 0; the carrier's cwnd
        // after halving is 10 > 4; 4 * 10 ms = 40 ms < 100 ms -> resend the
        // 1000-byte head (one MSS, unsplit) on subflow 0.
        assert_eq!(
            a.retransmit,
            Some(Retransmit {
                subflow: 0,
                dsn: 1,
                max_bytes: 1000
            })
        );
    }

    #[test]
    fn a_subflow_penalises_at_most_once_per_its_own_rtt() {
        let (mut subflows, input) = setup();
        // Last penalty 5 ms ago, SRTT 10 ms: no penalty; retransmission is
        // still decided (40 ms < 100 ms).
        subflows[0].last_penalty_at = at_ms(NOW_MS - 5);
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        assert!(a.penalising && a.penalise.is_empty());
        assert_eq!(a.retransmit.map(|r| r.subflow), Some(0));
        // Exactly one SRTT later: 10 ms >= 10 ms, penalised again.
        subflows[0].last_penalty_at = at_ms(NOW_MS - 10);
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        assert_eq!(a.penalise, SubflowSet::single(1));
    }

    #[test]
    fn a_slow_subflow_in_slow_start_keeps_its_ssthresh() {
        let (subflows, _) = setup();
        let s = SubflowView {
            in_slow_start: true,
            ssthresh_bytes: u64::MAX,
            ..subflows[1]
        };
        assert_eq!(
            penalised_window(&s),
            PenalisedWindow {
                cwnd_bytes: 10_000,
                ssthresh_bytes: u64::MAX
            }
        );
        // A one-segment window stays at one segment; ssthresh floors at 2.
        let tiny = SubflowView {
            cwnd_bytes: 1_000,
            ssthresh_bytes: 3_000,
            ..subflows[1]
        };
        assert_eq!(
            penalised_window(&tiny),
            PenalisedWindow {
                cwnd_bytes: 1_000,
                ssthresh_bytes: 2_000
            }
        );
    }

    #[test]
    fn subflows_in_recovery_or_faster_than_the_chosen_one_are_not_penalised() {
        let (mut subflows, input) = setup();
        subflows[1].in_fast_recovery = true;
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        assert!(a.penalise.is_empty());
        // Chosen 10 ms, carrier 8 ms: not slower, not penalised; 40 >= 8
        // stops the retransmission search.
        let (mut subflows, input) = setup();
        subflows[1].srtt = Some(ms(8));
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        assert!(a.penalise.is_empty());
        assert_eq!(a.retransmit, None);
    }

    #[test]
    fn no_retransmission_when_the_carrier_is_less_than_four_times_slower() {
        // Carrier 30 ms, cwnd 20 -> 10 after the penalty (> 4);
        // 4 * 10 ms = 40 ms >= 30 ms: do_retrans = false. Still penalised.
        let (mut subflows, input) = setup();
        subflows[1].srtt = Some(ms(30));
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        assert_eq!(a.penalise, SubflowSet::single(1));
        assert_eq!(a.retransmit, None);
    }

    #[test]
    fn a_carrier_window_halved_to_four_segments_triggers_the_retransmission() {
        // Carrier 30 ms with cwnd 8: halved to 4 first, then 4 <= 4 ->
        // retransmit, although 4 * 10 ms >= 30 ms.
        let (mut subflows, input) = setup();
        subflows[1].srtt = Some(ms(30));
        subflows[1].cwnd_bytes = 8_000;
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        assert_eq!(a.retransmit.map(|r| r.subflow), Some(0));
        // Without the penalty (send buffer not full): cwnd stays 8 > 4, and
        // 40 ms >= 30 ms: no retransmission.
        let input = RcvBufInput {
            trigger: Trigger::SendBufferLimited {
                send_buffer_full: false,
            },
            ..input
        };
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        assert!(!a.penalising && a.penalise.is_empty());
        assert_eq!(a.retransmit, None);
    }

    #[test]
    fn nothing_is_resent_on_a_subflow_that_already_carried_the_head_or_has_no_room() {
        let (subflows, mut input) = setup();
        input.head.sent_on.insert(0);
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        assert_eq!(a.retransmit, None);
        let (mut subflows, input) = setup();
        subflows[0] = full(subflows[0]);
        let a = rcv_buf_optimization(at_ms(NOW_MS), &input, &subflows);
        assert_eq!(a.penalise, SubflowSet::single(1));
        assert_eq!(a.retransmit, None);
    }
}
