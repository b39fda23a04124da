//! Endpoint configuration: [`TcpConfig`] with its Linux defaults, the
//! loss-recovery choice and the protocol constants the handshake uses.

use serde::{Deserialize, Serialize};
use sim_core::SimDuration;

pub use super::profile::{LossResponse, RtoEstimator, SlowStartExit};
pub use super::rtt::RtoMinRule;

/// RFC 9293 3.7.1 / RFC 1122: the MSS assumed when the peer sends none.
pub const DEFAULT_PEER_MSS_BYTES: u32 = 536;
/// RFC 7323 2.3: the largest window-scale shift.
pub const MAX_WINDOW_SCALE: u8 = 14;

/// Loss recovery after a fast retransmit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recovery {
    /// RFC 6675 conservative SACK-based recovery (falls back to NewReno
    /// when the peer does not permit SACK, as Linux does).
    #[default]
    Sack,
    /// RFC 6582 NewReno (SACK blocks, if negotiated, are still generated
    /// for the peer but ignored by this sender).
    NewReno,
}

/// Endpoint configuration. Defaults follow Linux where the brief names a
/// Linux value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TcpConfig {
    /// MSS we advertise and the upper bound of the one we use (1460:
    /// Ethernet MTU 1500 minus IPv4 and TCP headers).
    pub mss_bytes: u32,
    /// Receive buffer, in bytes (the largest window offered).
    pub rcv_buf_bytes: u64,
    /// Send buffer, in bytes (queued data not yet acknowledged).
    pub snd_buf_bytes: u64,
    /// Offer window scaling (RFC 7323 2).
    pub window_scale: bool,
    /// Offer timestamps (RFC 7323 3).
    pub timestamps: bool,
    /// Offer SACK-permitted (RFC 2018).
    pub sack: bool,
    /// Loss recovery after a fast retransmit.
    pub recovery: Recovery,
    /// RFC 3042 limited transmit.
    pub limited_transmit: bool,
    /// RFC 5681 4.2 delayed ACKs.
    pub delayed_ack: bool,
    /// Delayed-ACK timeout (Linux `TCP_DELACK_MIN`, 40 ms).
    pub delack_timeout: SimDuration,
    /// Data segments ACKed at once at the start (Linux quick-ack mode,
    /// `TCP_MAX_QUICKACKS` = 16).
    pub quickack_segments: u32,
    /// Lower bound of the RTO (Linux `TCP_RTO_MIN`, 200 ms).
    pub rto_min: SimDuration,
    /// How `rto_min` bounds the RTO.
    pub rto_min_rule: RtoMinRule,
    /// Upper bound of the RTO (Linux `TCP_RTO_MAX`, 120 s).
    pub rto_max: SimDuration,
    /// RTO before the first sample (RFC 6298 2.1: 1 s).
    pub rto_initial: SimDuration,
    /// SYN retransmissions before giving up (Linux `tcp_syn_retries`).
    pub syn_retries: u32,
    /// SYN/ACK retransmissions before giving up (Linux `tcp_synack_retries`).
    pub synack_retries: u32,
    /// Retransmission timeouts in a row before giving up (Linux
    /// `tcp_retries2`); also unanswered zero-window probes.
    pub max_rto_retries: u32,
    /// Retransmission timeouts in a row before an orphaned endpoint gives
    /// up ([`TcpEndpoint::close_orphaned`](super::TcpEndpoint::close_orphaned);
    /// Linux `tcp_orphan_retries()`: its sysctl's default 0 means 8 while
    /// the RTO is below `rto_max`); also its unanswered window probes.
    pub orphan_retries: u32,
    /// Option bytes the MPTCP layer adds to data segments.
    pub reserved_option_bytes_data: u32,
    /// Option bytes the MPTCP layer adds to pure ACKs.
    pub reserved_option_bytes_ack: u32,
    /// Nagle's algorithm (RFC 9293 3.7.4; Minshall's variant as Linux).
    pub nagle: bool,
    /// TIME-WAIT duration (RFC 9293: 2*MSL; Linux 60 s; short by default
    /// so runs end soon).
    pub time_wait: SimDuration,
    /// The initial congestion window in segments of `mss_bytes` (RFC 6928:
    /// 10; Linux `TCP_INIT_CWND`). The congestion control is built with it.
    pub initial_window_segments: u32,
    /// How SRTT, RTTVAR and the RTO are computed (RFC 6298 or Linux).
    pub rto_estimator: RtoEstimator,
    /// How ssthresh is set on a loss and held through a loss episode.
    pub loss_response: LossResponse,
    /// How a first slow start may end before a loss (HyStart); only
    /// algorithms that implement it use it (CUBIC).
    pub slow_start_exit: SlowStartExit,
    /// RFC 6937 Proportional Rate Reduction during SACK fast recovery
    /// (Linux `tcp_cwnd_reduction`).
    pub prr: bool,
    /// RFC 5682 F-RTO after a timeout, with Linux's undo of a spurious one
    /// (`sysctl_tcp_frto` = 2).
    pub frto: bool,
    /// RFC 8985 RACK-TLP as Linux runs it (`sysctl_tcp_recovery` = 1,
    /// `sysctl_tcp_early_retrans` = 3): time-based loss detection instead
    /// of RFC 6675's duplicate threshold, and the tail loss probe. Needs
    /// SACK (without it the sender keeps NewReno, as Linux).
    pub rack_tlp: bool,
}

impl TcpConfig {
    /// `initial_window_segments` MSS, at least one.
    pub fn initial_window_bytes(&self) -> u64 {
        u64::from(self.initial_window_segments.max(1)) * u64::from(self.mss_bytes)
    }
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss_bytes: 1460,
            rcv_buf_bytes: 6 << 20,
            snd_buf_bytes: 4 << 20,
            window_scale: true,
            timestamps: true,
            sack: true,
            recovery: Recovery::Sack,
            limited_transmit: true,
            delayed_ack: true,
            delack_timeout: SimDuration::from_millis(40),
            quickack_segments: 16,
            rto_min: SimDuration::from_millis(200),
            rto_min_rule: RtoMinRule::ClampRto,
            rto_max: SimDuration::from_secs(120),
            rto_initial: SimDuration::from_secs(1),
            syn_retries: 6,
            synack_retries: 5,
            max_rto_retries: 15,
            orphan_retries: 8,
            reserved_option_bytes_data: 0,
            reserved_option_bytes_ack: 0,
            nagle: true,
            time_wait: SimDuration::from_secs(1),
            initial_window_segments: 10,
            // The Linux6 profile (`TcpProfile::Linux6`).
            rto_estimator: RtoEstimator::Linux,
            loss_response: LossResponse::Linux,
            slow_start_exit: SlowStartExit::HyStart,
            prr: true,
            frto: true,
            rack_tlp: true,
        }
    }
}
