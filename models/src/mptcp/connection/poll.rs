//! `Connection::poll_transmit`, and what a poll may skip.
//!
//! A poll runs the connection's own work first (the scheduler driver
//! `schedule`, the meta retransmission timer's upkeep `update_meta_rtx`,
//! the orderly close `drive_close`), then polls the subflows in turn. The
//! owner polls until `None`, so after every segment sent there is one more
//! poll, and most polls follow either an input or the previous segment.
//! The connection's own work is the same function of the same state on
//! such a poll, so the poll skips it when it can tell, exactly, that it
//! would change nothing:
//! - An input marks the connection (`PollState::input`): every `handle_*`
//!   call, `accept_join`, a `write` that took bytes, a read that got
//!   bytes, `close` and `abort`. The next poll then runs everything.
//! - `schedule` records why it stopped when the reason outlives the poll
//!   ([`Settled`]): nothing to place, or no subflow available to a
//!   scheduler that then waits without side effects
//!   (`Scheduler::waits_when_none_available`). Neither depends on the time.
//! - A segment a subflow emits changes that subflow only; a poll after it
//!   asks again only whether that subflow is now available (a runt handed
//!   out can leave room for another segment). A segment that could change
//!   more (SYN, FIN, RST, a handshake option, the DATA_FIN on a DSS) marks
//!   the connection as an input does.
//! - `update_meta_rtx` and `drive_close` change nothing when run again on
//!   the same data-level state (each step of the close happens once); a
//!   step that did change something marks the connection.
//! - A poll that returned `None` with the driver settled leaves the
//!   connection drained: every subflow answered `None` and is quiet, so
//!   until an input the next poll answers `None` at once.
//! - Every poll that reaches the subflows offers each, before polling it,
//!   the connection-level receive window (RFC 8684 3.3.5). The TCP
//!   receiver answers that at once when the window is the one it was
//!   offered last and nothing its window-update check reads has changed
//!   since the check answered "not due"
//!   (`TcpEndpoint::set_external_rcv_window`, `Receiver::window_update_settled`);
//!   a quiet subflow (its last poll answered `None`, nothing happened to
//!   it since) answers its poll at once too. So a poll costs, per subflow
//!   that has nothing to send, two inlined tests.
//!
//! Debug builds check every skip: the skipped work's conditions are
//! evaluated and must say it would do nothing, and a drained connection's
//! subflows are polled and must answer `None`; a skipped window refresh
//! runs the window-update check and asserts it is not due. A property test
//! runs random connections with the skips on and off (the window refresh's
//! among them) and compares every segment.

use super::*;

/// Why the scheduler driver last stopped with nothing more to hand over,
/// for reasons that hold until an input (or, for `NoneAvailable`, until a
/// subflow that emitted becomes available).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Settled {
    /// Not known: the next poll runs the driver.
    #[default]
    No,
    /// Nothing to place: the reinject queue is empty and nothing is unsent.
    NothingToPlace,
    /// No subflow is available and the scheduler then answers Wait without
    /// side effects (and no iOS per-packet choice is asked first).
    NoneAvailable,
}

/// What the last polls established (see the module documentation).
#[derive(Clone, Copy, Debug)]
pub(super) struct PollState {
    /// An input since the connection's own work last ran.
    dirty: bool,
    /// Why the scheduler driver last stopped.
    settled: Settled,
    /// Subflows that emitted a segment since `settled` was established.
    emitted: SubflowSet,
    /// The last poll returned `None` with the driver settled, and nothing
    /// happened since.
    drained: bool,
    /// The skips are on (off only where a test compares both paths).
    shortcuts: bool,
}

impl Default for PollState {
    fn default() -> Self {
        PollState {
            dirty: true,
            settled: Settled::No,
            emitted: SubflowSet::EMPTY,
            drained: false,
            shortcuts: true,
        }
    }
}

impl PollState {
    /// Something that may change what a poll does happened.
    pub(super) fn input(&mut self) {
        self.dirty = true;
        self.drained = false;
    }
    /// Whether the skips are on (the scheduler driver's view refresh after
    /// a hand-over is one of them).
    pub(super) fn shortcuts(&self) -> bool {
        self.shortcuts
    }
}

impl Connection {
    /// Notes an input for the next poll (see the module documentation).
    pub(super) fn mark_input(&mut self) {
        self.poll.input();
    }

    /// Turns the poll's skips off (`false`) or on; for tests that compare
    /// the two paths. The segments sent must be the same either way.
    #[doc(hidden)]
    pub fn set_poll_shortcuts(&mut self, on: bool) {
        self.poll.shortcuts = on;
        self.poll.input();
    }

    /// The next segment to send, with its MPTCP options: first the
    /// connection's own control segments (a zero-window ACK built when the
    /// path manager asked for it), then, after the scheduler has handed the
    /// subflows what they may send, the subflows' segments in turn. Only
    /// emits: what arrived was taken in by the `handle_*` call that
    /// brought it (a TCP endpoint reports nothing while it transmits).
    /// Built by [`poll_transmit_into`](Self::poll_transmit_into) into a new
    /// segment.
    pub fn poll_transmit(&mut self, now: SimTime) -> Option<Segment> {
        let mut seg = Segment::default();
        self.poll_transmit_into(now, &mut seg).then_some(seg)
    }

    /// As [`poll_transmit`](Self::poll_transmit), the segment built in `out`
    /// (whatever `out` held is replaced; on `false` it is left as it was):
    /// the subflow's endpoint writes it there and the MPTCP options are
    /// added there, where a returned segment was copied on its way out of
    /// each layer (issue 18).
    pub fn poll_transmit_into(&mut self, now: SimTime, out: &mut Segment) -> bool {
        if let Some(seg) = self.out_queue.pop_front() {
            *out = seg;
            return true;
        }
        if self.poll.shortcuts && self.poll.drained {
            #[cfg(debug_assertions)]
            self.check_drained(now);
            return false;
        }
        if self.poll.shortcuts && !self.poll.dirty && self.still_settled() {
            #[cfg(debug_assertions)]
            self.check_settled();
        } else {
            self.poll.dirty = false;
            self.poll.emitted = SubflowSet::EMPTY;
            self.poll.settled = self.schedule(now);
            self.update_meta_rtx(now);
            self.drive_close(now);
        }
        let n = self.subflows.len();
        let window = self.rx.as_ref().map(|r| r.window_bytes());
        // Round robin from `rr_start` (always below `n`: subflows are
        // never removed), without a division per subflow.
        let mut idx = self.rr_start;
        for _ in 0..n {
            let next = if idx + 1 == n { 0 } else { idx + 1 };
            let sf = &mut self.subflows[idx];
            if self.mptcp {
                // Inlined, and at once when the window is the one set last
                // and the subflow's receiver has not changed since
                // (`TcpEndpoint::set_external_rcv_window`).
                if self.poll.shortcuts {
                    sf.tcp.set_external_rcv_window(window);
                } else {
                    sf.tcp.refresh_external_rcv_window(window);
                }
            }
            if let Some(info) = sf.tcp.poll_transmit_into(now, out) {
                self.rr_start = next;
                self.poll.emitted.insert(idx);
                if out.flags.syn || out.flags.fin || out.flags.rst {
                    self.mark_input();
                }
                self.decorate_in_place(now, idx, info.mapping, out);
                return true;
            }
            idx = next;
        }
        self.poll.drained = self.poll.settled != Settled::No;
        false
    }

    /// Whether the scheduler driver's last stop still holds: nothing has
    /// happened since but segments emitted, and none of the subflows that
    /// emitted has become available.
    fn still_settled(&mut self) -> bool {
        match self.poll.settled {
            Settled::No => false,
            Settled::NothingToPlace => true,
            Settled::NoneAvailable => {
                let emitted = self.poll.emitted;
                if emitted.iter().any(|i| self.subflows[i].available_to_scheduler()) {
                    return false;
                }
                self.poll.emitted = SubflowSet::EMPTY;
                true
            }
        }
    }

    /// Debug builds: the connection's own work, skipped, would have done
    /// nothing.
    #[cfg(debug_assertions)]
    fn check_settled(&self) {
        let nothing = self.tx.reinject_queue().is_empty() && self.tx.unsent_bytes() == 0;
        match self.poll.settled {
            Settled::No => unreachable!("only a settled driver is skipped"),
            Settled::NothingToPlace => assert!(nothing, "data to place on a skipped poll"),
            // (Data may have run out in the hand-over that left none
            // available: then there is even less to do.)
            Settled::NoneAvailable => assert!(
                nothing || self.schedule_waits() && !self.subflows.iter().any(Subflow::available_to_scheduler),
                "a subflow is available on a skipped poll"
            ),
        }
        assert!(self.meta_rtx_settled(), "the meta retransmission timer would change");
        assert!(self.close_settled(), "the orderly close would move on");
    }

    /// Debug builds: a drained connection's poll would return `None`.
    #[cfg(debug_assertions)]
    fn check_drained(&mut self, now: SimTime) {
        self.check_settled();
        let window = self.rx.as_ref().map(|r| r.window_bytes());
        for sf in &mut self.subflows {
            if self.mptcp {
                sf.tcp.refresh_external_rcv_window(window);
            }
            assert!(
                sf.tcp.poll_transmit(now).is_none(),
                "a drained connection's subflow has a segment"
            );
        }
    }

    /// Adds the MPTCP options a subflow's segment carries.
    pub(super) fn decorate(&mut self, now: SimTime, idx: usize, mut tx: Transmit) -> Segment {
        self.decorate_in_place(now, idx, tx.mapping, &mut tx.seg);
        tx.seg
    }

    /// Adds the MPTCP options a subflow's segment carries, where it lies
    /// (`mapping`: its payload's chunk, from the endpoint).
    fn decorate_in_place(
        &mut self,
        _now: SimTime,
        idx: usize,
        mapping: Option<crate::tcp::Mapping>,
        seg: &mut Segment,
    ) {
        if seg.flags.rst {
            return;
        }
        if self.handshake_options(idx, seg) {
            // A handshake segment may move the handshake on.
            self.mark_input();
            // MP_CAPABLE or MP_JOIN, whose length may depend on the
            // version: summed when asked (once per handshake step).
            if !seg.options.mptcp.is_empty() {
                seg.options_len.forget();
            }
            return;
        }
        self.dss_options(idx, mapping, seg);
    }
}
