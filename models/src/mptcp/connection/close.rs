//! The orderly close of an MPTCP connection (RFC 8684 3.3.3), as upstream
//! Linux 6.x does it (net/mptcp/protocol.c):
//!
//! 1. The application closes: the DATA_FIN follows the last byte. It rides
//!    on the DSS mapping of the last data, or alone on an ACK (`dss`), and
//!    once every byte has been handed to a subflow an ACK carrying it goes
//!    out on every subflow (`mptcp_check_send_data_fin` ->
//!    `mptcp_subflow_shutdown` -> `tcp_send_ack`).
//! 2. Until the peer data-acknowledges it, every DSS this end sends
//!    repeats it, and a timer resends it on an ACK on every subflow
//!    (`__mptcp_retrans` with `mptcp_data_fin_enabled`:
//!    `mptcp_set_datafin_timeout`, `mptcp_send_ack`); the DATA_FIN is no
//!    longer sent once acknowledged (`mptcp_check_data_fin_ack` clears
//!    `snd_data_fin_enable`).
//! 3. The peer's DATA_FIN, once every byte before it has arrived, is
//!    data-acknowledged at once on every subflow (`mptcp_check_data_fin`
//!    -> `mptcp_send_ack`): a DATA_FIN alone on a pure ACK would otherwise
//!    get no answer.
//! 4. Once this end's DATA_FIN is acknowledged and the peer's received
//!    (the connection-level CLOSE of `mptcp_check_data_fin_ack` from
//!    CLOSING/LAST_ACK and of `mptcp_check_data_fin` from FIN_WAIT2),
//!    every subflow is shut for writing (`mptcp_shutdown_subflows` ->
//!    `tcp_shutdown(ssk, SEND_SHUTDOWN)`): a FIN after what it still
//!    holds, then TCP's own teardown (FIN-WAIT, LAST-ACK, TIME-WAIT; a
//!    lost FIN is resent by the subflow's RTO). A subflow still in
//!    SYN-SENT is dropped without a segment (`tcp_shutdown` sends no FIN
//!    there). RFC 8684 3.3.3: "Once a DATA_FIN has been acknowledged, all
//!    remaining subflows MUST be closed with standard FIN exchanges."
//! 5. The connection reports `Closed` when its last subflow has closed
//!    (`Connection::on_subflow_closed`).
//!
//! Simplified, and what a user could observe:
//! - The subflows' TIME-WAIT is `TcpConfig::time_wait` (1 s by default;
//!   Linux 60 s), so a subflow's `closed_s` is about a second after its
//!   FINs.
//! - A close with unread data never happens here (the applications read
//!   everything as it arrives), so the MP_FASTCLOSE that Linux sends then
//!   (`__mptcp_close` -> `mptcp_do_fastclose`) is reached only through
//!   `Connection::abort`.
//! - No close timeout: Linux fast-closes a connection still not closed 60 s
//!   after `close()` (`mptcp_close_tout_expired`); here the DATA_FIN is
//!   resent at most `TcpConfig::max_rto_retries` times and the subflows'
//!   own retry limits end them.
//! - The out-of-tree v0.95 stack (`MetaRecovery::OutOfTree`) closes the
//!   same way here, its DATA_FIN timer being its meta RTO, backed off.
//!   v0.95 itself carries the DATA_FIN on the meta socket's FIN, resent by
//!   the meta retransmission timer, and closes the subflows when the meta
//!   socket reaches TIME-WAIT or CLOSE; as the passive closer it delays a
//!   subflow's FIN by `icsk_rto << 3` while that subflow is ESTABLISHED
//!   (mptcp_ctrl.c `mptcp_close`). That delay is not modelled.

use super::*;

/// Linux `TCP_RTO_MIN`: the first DATA_FIN retransmission interval of
/// upstream (`mptcp_set_datafin_timeout`).
const DATA_FIN_RTO_MIN: SimDuration = SimDuration::from_millis(200);

/// `ilog2(TCP_RTO_MAX / TCP_RTO_MIN)` = ilog2(120 s / 200 ms): the most
/// doublings `mptcp_set_datafin_timeout` applies.
const DATA_FIN_MAX_DOUBLINGS: u32 = 9;

/// Where the connection stands in its orderly close.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct CloseState {
    /// The ACKs announcing this end's DATA_FIN went out on every subflow.
    pub(super) data_fin_announced: bool,
    /// The peer's DATA_FIN was data-acknowledged on every subflow.
    pub(super) peer_data_fin_acked: bool,
    /// Every subflow was shut for writing (both DATA_FINs done).
    pub(super) subflows_shut: bool,
    /// The DATA_FIN retransmission timer: when it fires and how often it
    /// has resent the DATA_FIN.
    pub(super) data_fin_rtx: Option<(SimTime, u32)>,
}

impl Connection {
    /// Whether the DATA_FIN goes on the DSS of the next segment: the
    /// application closed, every byte has been handed to a subflow, and the
    /// peer has not yet acknowledged it.
    pub(super) fn data_fin_pending(&self) -> Option<u64> {
        self.tx
            .data_fin()
            .filter(|&fin| self.tx.snd_nxt() == fin && !self.tx.all_acked())
    }

    /// The subflows that can carry a DSS now: open, fully established and
    /// able to send (Linux `tcp_can_send_ack`).
    fn ack_subflows(&self) -> Vec<usize> {
        (0..self.subflows.len())
            .filter(|&i| {
                let s = &self.subflows[i];
                s.is_open()
                    && s.fully_established
                    && matches!(
                        s.tcp.state(),
                        TcpState::Established | TcpState::CloseWait | TcpState::FinWait1 | TcpState::FinWait2
                    )
            })
            .collect()
    }

    /// Linux `mptcp_send_ack`: an ACK on every subflow.
    fn ack_on_every_subflow(&mut self) {
        for i in self.ack_subflows() {
            self.subflows[i].tcp.request_ack();
        }
    }

    /// The DATA_FIN retransmission interval after `tries` resends.
    fn data_fin_rto(&self, tries: u32) -> SimDuration {
        let base = match self.cfg.meta_recovery {
            // Linux `mptcp_set_datafin_timeout`: TCP_RTO_MIN << retransmits.
            MetaRecovery::Upstream { .. } => DATA_FIN_RTO_MIN,
            // v0.95: the meta RTO (`mptcp_meta_retransmit_timer`).
            MetaRecovery::OutOfTree => self.meta_rto_base(),
        };
        let shift = tries.min(DATA_FIN_MAX_DOUBLINGS);
        base.checked_mul(1u64 << shift)
            .unwrap_or(SimDuration::MAX)
            .min(self.cfg.tcp.rto_max)
    }

    /// Moves the orderly close on (see the module documentation); called
    /// after every input and before the subflows are polled.
    #[inline]
    pub(super) fn drive_close(&mut self, now: SimTime) {
        // Every step below needs a DATA_FIN: ours queued (steps 1, 2 and
        // 4) or the peer's received (steps 3 and 4). Until then, which is
        // every poll of a transfer, there is nothing to drive.
        let peer_fin = self.rx.as_ref().is_some_and(DataReceiver::fin_received);
        if !self.mptcp || self.closed || (self.tx.data_fin().is_none() && !peer_fin) {
            return;
        }
        self.drive_close_steps(now);
    }

    /// `drive_close` once a DATA_FIN is queued or received.
    #[inline(never)]
    fn drive_close_steps(&mut self, now: SimTime) {
        // 1. Every byte handed out after close(): announce the DATA_FIN on
        // every subflow and start its timer.
        if !self.close.data_fin_announced && self.data_fin_pending().is_some() {
            self.close.data_fin_announced = true;
            self.ack_on_every_subflow();
            self.close.data_fin_rtx = Some((now + self.data_fin_rto(0), 0));
            self.mark_input();
        }
        if self.tx.data_fin().is_some() && self.tx.all_acked() {
            self.close.data_fin_rtx = None;
        }
        // 3. The peer's DATA_FIN arrived in order: data-acknowledge it on
        // every subflow.
        let peer_fin = self.rx.as_ref().is_some_and(DataReceiver::fin_received);
        if peer_fin && !self.close.peer_data_fin_acked {
            self.close.peer_data_fin_acked = true;
            self.ack_on_every_subflow();
            self.mark_input();
        }
        // 4. Both DATA_FINs done: shut every subflow.
        if !self.close.subflows_shut && peer_fin && self.tx.data_fin().is_some() && self.tx.all_acked() {
            self.close.subflows_shut = true;
            self.mark_input();
            for idx in 0..self.subflows.len() {
                let sf = &mut self.subflows[idx];
                if !sf.is_open() {
                    continue;
                }
                if sf.tcp.state() == TcpState::SynSent {
                    // Linux `tcp_shutdown` sends nothing in SYN-SENT; the
                    // socket goes with the connection.
                    sf.tcp.abort();
                    self.drain_subflow(now, idx);
                } else {
                    sf.tcp.close();
                }
            }
        }
    }

    /// Whether `drive_close` would change nothing now (debug checks of the
    /// poll's skips): each of its steps has happened or is not due.
    #[cfg(debug_assertions)]
    pub(super) fn close_settled(&self) -> bool {
        if !self.mptcp || self.closed {
            return true;
        }
        let fin_acked = self.tx.data_fin().is_some() && self.tx.all_acked();
        let peer_fin = self.rx.as_ref().is_some_and(DataReceiver::fin_received);
        let due = [
            // The DATA_FIN to announce.
            !self.close.data_fin_announced && self.data_fin_pending().is_some(),
            // Its retransmission timer to stop, once it is acknowledged.
            fin_acked && self.close.data_fin_rtx.is_some(),
            // The peer's DATA_FIN to acknowledge.
            peer_fin && !self.close.peer_data_fin_acked,
            // The subflows to shut, both DATA_FINs done.
            !self.close.subflows_shut && peer_fin && fin_acked,
        ];
        !due.contains(&true)
    }

    /// The DATA_FIN retransmission timer (Linux `__mptcp_retrans` with
    /// `mptcp_data_fin_enabled`): while data before the DATA_FIN is
    /// outstanding, that data's recovery comes first and the timer only
    /// waits; else the DATA_FIN goes again on an ACK on every subflow and
    /// the interval doubles.
    pub(super) fn data_fin_timer(&mut self, now: SimTime) {
        let Some((at, tries)) = self.close.data_fin_rtx else {
            return;
        };
        if at > now {
            return;
        }
        let Some(fin) = self.data_fin_pending() else {
            self.close.data_fin_rtx = None;
            return;
        };
        if self.tx.snd_una() < fin {
            self.close.data_fin_rtx = Some((now + self.data_fin_rto(tries), tries));
            return;
        }
        if tries >= self.cfg.tcp.max_rto_retries {
            self.close.data_fin_rtx = None;
            return;
        }
        self.ack_on_every_subflow();
        self.stats.data_fin_retransmits += 1;
        self.close.data_fin_rtx = Some((now + self.data_fin_rto(tries + 1), tries + 1));
    }
}
