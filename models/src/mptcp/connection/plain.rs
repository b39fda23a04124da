//! Plain TCP: a connection whose SYN carried no MP_CAPABLE (iOS `.none`,
//! or a peer that does not offer MPTCP) runs on one subflow with no MPTCP
//! option, its data sequence space being the subflow's own.

use super::*;

/// The most bytes plain TCP hands its one subflow ahead of what it has
/// sent: more than any default buffer (`snd_buf` is 4 MiB), so that
/// behaviour is unchanged there.
pub(super) const PLAIN_BACKLOG_BYTES: u64 = 64 << 20;

impl Connection {
    /// Plain TCP (no MP_CAPABLE): the data sequence space is the subflow's
    /// own sequence space, so data-ACKs are TCP ACKs.
    pub(super) fn become_plain(&mut self, iss: u64, irs: u64) {
        let written = self.tx.write_end() - self.tx.snd_una();
        let closing = self.tx.data_fin().is_some();
        self.tx = DataSender::new(iss, self.cfg.snd_buf_bytes);
        self.tx.write(written);
        if closing {
            self.tx.close();
        }
        self.tx.on_data_ack(iss + 1, FAR);
        if irs != 0 {
            self.rx = Some(DataReceiver::new(irs, self.cfg.rcv_buf_bytes));
        }
    }

    /// Everything goes to the one subflow, as its send buffer takes it;
    /// the connection's close is the subflow's FIN.
    pub(super) fn plain_schedule(&mut self) {
        // Plain TCP: everything goes to the one subflow.
        let Some(idx) = self.subflows.iter().position(|s| s.is_open()) else {
            return;
        };
        if !matches!(
            self.subflows[idx].tcp.state(),
            TcpState::Established | TcpState::CloseWait
        ) {
            return;
        }
        loop {
            // At most PLAIN_BACKLOG_BYTES handed to the subflow and not yet
            // sent: the rest waits in the connection's send buffer and
            // follows as the subflow sends. A send buffer of 2^64 - 1 bytes
            // (a scenario's `snd_buf`) and an open-ended writer queued
            // 1 MiB chunks for ever and exhausted memory (found by the
            // fuzzer). The subflow sends the same bytes either way: it
            // always has unsent data while the connection does.
            let backlog = self.subflows[idx].tcp.unsent_bytes();
            let room = self.subflows[idx]
                .tcp
                .send_space()
                .min(PLAIN_BACKLOG_BYTES.saturating_sub(backlog));
            let Some(r) = self.tx.take_new(idx, room.min(1 << 20)) else {
                break;
            };
            let n = r.end - r.start;
            let accepted = self.subflows[idx].tcp.send_mapped(n, r.start);
            debug_assert_eq!(accepted, n);
        }
        if self.tx.data_fin_due().is_some() {
            self.tx.mark_data_fin_sent();
            self.subflows[idx].tcp.close();
        }
    }

    /// Subflow sequence numbers are data sequence numbers.
    pub(super) fn plain_deliver(&mut self, seq: u64, len: u64) {
        if let Some(rx) = &mut self.rx {
            rx.on_data(seq..seq + len);
        }
    }

    /// The FIN is the end of the data stream.
    pub(super) fn plain_peer_fin(&mut self) {
        if let Some(rx) = &mut self.rx {
            let end = rx.data_ack();
            rx.on_data_fin(end);
        }
    }

    /// The TCP ACK is the data-ACK.
    pub(super) fn plain_data_ack(&mut self, idx: usize) {
        let una = self.subflows[idx].tcp.snd_una();
        if self.tx.on_data_ack(una, FAR) > 0 && self.cfg.report_segments {
            self.events.push_back(ConnEvent::DataAcked {
                data_ack: self.tx.snd_una(),
            });
        }
    }
}
