//! Samples for time series: on request, the connection reports each open
//! subflow's state and its receiver's as events, so that an observer
//! takes typed values from the connection's output instead of reading its
//! subflows.

use super::*;

impl Connection {
    /// Reports a [`ConnEvent::SubflowSample`] for each open subflow, in
    /// subflow order, then a [`ConnEvent::ReceiverSample`] if the
    /// connection receives data. An input like any other: the owner polls
    /// the events.
    pub fn sample(&mut self) {
        for sf in &self.subflows {
            if !sf.is_open() {
                continue;
            }
            let tcp = &sf.tcp;
            self.events.push_back(ConnEvent::SubflowSample {
                subflow: sf.id,
                local_addr: tcp.local().0,
                remote_addr: tcp.remote().0,
                cwnd_bytes: tcp.cwnd_bytes(),
                srtt: tcp.srtt(),
                bytes_in_flight: tcp.bytes_in_flight(),
                bytes_acked: tcp.snd_una().saturating_sub(sf.iss() + 1),
            });
        }
        if let Some(rx) = &self.rx {
            self.events.push_back(ConnEvent::ReceiverSample {
                ooo_bytes: rx.ooo_bytes(),
                data_ack: rx.data_ack(),
            });
        }
    }
}
