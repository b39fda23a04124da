//! Plain TCP: a connection whose SYN carried no MP_CAPABLE (iOS `.none`,
//! or a peer that does not offer MPTCP) runs on one subflow with no MPTCP
//! option, its data sequence space being the subflow's own.

use super::*;

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
}
