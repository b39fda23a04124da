//! Congestion control: the [`CongestionControl`] trait and one algorithm per file.
//!
//! The trait only owns the window (`cwnd`, `ssthresh`) and its growth and
//! reduction rules. Loss detection, recovery and the send decision belong to
//! the TCP sender (`crate::tcp`): during fast recovery the sender, not the
//! algorithm, decides how much may be in flight (RFC 6675 pipe, or the RFC
//! 6582 inflation), and `on_ack` is not called.
//!
//! Coupled multipath algorithms (LIA, OLIA, BALIA) need the sibling subflows'
//! windows and RTTs: every call gets a [`Coupling`], a plain slice of
//! [`SubflowCcView`]s with the calling subflow's own index. A single-path
//! TCP passes a slice of one.

use sim_core::{SimDuration, SimTime};

pub mod reno;

/// What one subflow's congestion state looks like to its siblings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubflowCcView {
    pub cwnd_bytes: u64,
    pub ssthresh_bytes: u64,
    /// Smoothed RTT; `None` before the first sample.
    pub srtt: Option<SimDuration>,
    pub mss_bytes: u32,
    /// Whether the subflow may carry data now (established, not failed).
    /// Coupled algorithms sum only over usable subflows.
    pub usable: bool,
}

/// The calling subflow and all its siblings (itself included at `me`).
#[derive(Clone, Copy, Debug)]
pub struct Coupling<'a> {
    pub me: usize,
    pub subflows: &'a [SubflowCcView],
}

/// An acknowledgement of new data outside loss recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckSample {
    pub now: SimTime,
    /// Newly acknowledged bytes (cumulatively or, with SACK, newly SACKed).
    pub bytes_acked: u64,
    /// Bytes in flight before this ACK was processed.
    pub bytes_in_flight: u64,
    /// An RTT sample from this ACK, if Karn's rule allows one (RFC 6298 3).
    pub rtt: Option<SimDuration>,
    /// The sender's smoothed RTT after this ACK.
    pub srtt: Option<SimDuration>,
    /// The minimum RTT seen on the subflow.
    pub min_rtt: Option<SimDuration>,
    /// Whether the sender was limited by cwnd (not by the application or
    /// the receive window) when this data was sent: RFC 7661 says not to
    /// grow cwnd otherwise; Linux `tcp_is_cwnd_limited`.
    pub cwnd_limited: bool,
}

/// A congestion-control algorithm, in bytes.
pub trait CongestionControl: std::fmt::Debug + Send {
    fn name(&self) -> &'static str;
    fn cwnd_bytes(&self) -> u64;
    fn ssthresh_bytes(&self) -> u64;
    fn in_slow_start(&self) -> bool {
        self.cwnd_bytes() < self.ssthresh_bytes()
    }
    /// New data acknowledged outside recovery: grow the window.
    fn on_ack(&mut self, ack: &AckSample, coupling: &Coupling<'_>);
    /// Loss detected by duplicate ACKs or SACK: entering fast recovery.
    /// Sets `ssthresh` and `cwnd` (RFC 5681 3.2 step 2 for Reno).
    fn on_congestion_event(&mut self, now: SimTime, bytes_in_flight: u64, coupling: &Coupling<'_>);
    /// Fast recovery ended (the recovery point was acknowledged):
    /// `bytes_in_flight` after the ACK (RFC 6582 3.2 step 3).
    fn on_recovery_exit(&mut self, now: SimTime, bytes_in_flight: u64) {
        let _ = (now, bytes_in_flight);
    }
    /// Retransmission timeout (RFC 5681 3.1 eq. (4), cwnd = 1 MSS).
    fn on_rto(&mut self, now: SimTime, bytes_in_flight: u64, coupling: &Coupling<'_>);
    /// After an idle period longer than an RTO (RFC 5681 4.1), restart from
    /// the restart window. Default: nothing (Linux `tcp_slow_start_after_idle`
    /// is on, so algorithms should implement it).
    fn on_idle_restart(&mut self, now: SimTime) {
        let _ = now;
    }
}

/// The initial window as Linux sets it: 10 segments (`TCP_INIT_CWND`).
/// RFC 6928 2 allows min(10*MSS, max(2*MSS, 14600 bytes)); Linux counts
/// segments, so with MSS 1460 both give 14600 bytes.
pub fn initial_window_bytes(mss: u32) -> u64 {
    10 * mss as u64
}
