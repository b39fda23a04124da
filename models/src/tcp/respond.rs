//! Segments a host sends outside the endpoint's output queue, and closing
//! without a word.
//!
//! XNU answers some events with `tcp_respond`, a bare segment built from
//! the connection's current state and sent at once, ahead of anything
//! queued (iOS's zero-window ACK before the RST that removes a cellular
//! subflow, `mptcp_subflow_mustrst_ev`). [`TcpEndpoint::respond_ack`] builds
//! that ACK without going through [`TcpEndpoint::poll_transmit`], so input
//! handling never has to poll for output. [`TcpEndpoint::abort_silently`]
//! closes an endpoint whose interface is gone: the RST it would send
//! cannot leave.

use sim_core::SimTime;

use super::TcpEndpoint;
use crate::segment::Segment;

impl TcpEndpoint {
    /// A pure ACK built now (seq = SND.MAX, ack = RCV.NXT, the window as
    /// the receive side advertises it), recorded as sent (statistics, the
    /// ACK that was pending is no longer), for the caller to send ahead of
    /// the output queue (XNU `tcp_respond`).
    pub fn respond_ack(&mut self, now: SimTime) -> Segment {
        self.quiet = false;
        self.pure_ack(now)
    }

    /// Closes the endpoint as [`TcpEndpoint::abort`] does, without the RST
    /// (the interface that would carry it is gone; Linux
    /// `mptcp_sub_force_close`).
    pub fn abort_silently(&mut self) {
        self.abort();
        self.rst_pending = false;
    }
}
