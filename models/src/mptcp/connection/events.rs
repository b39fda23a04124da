//! What the connection reports to its owner: typed events and counters.

use super::*;

/// What the connection reports to its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnEvent {
    /// The connection exists (the first event of every connection):
    /// `local_key` is its MPTCP key (RFC 8684 3.1), from which its token
    /// and initial data sequence number derive. Lets an observer relate
    /// what it sees on the wire to the connection (a trace writer that
    /// re-encodes another MPTCP version needs the key of a v1 SYN, which
    /// carries none).
    Started {
        /// This host's 64-bit MPTCP key.
        local_key: u64,
    },
    /// The first subflow's handshake completed.
    Established,
    /// Bytes handed to a subflow, as the scheduler (or the receive-buffer
    /// optimisation) decided, with their kind: new data, a reinjection or
    /// a meta-level retransmission. Only when
    /// [`ConnConfig::report_segments`](super::ConnConfig::report_segments).
    Scheduled(Sent),
    /// A segment with a DSS option left subflow `subflow`: the first data
    /// sequence number of the mapping it carries and its payload length
    /// (both 0 for a segment without payload), and its data-ACK. Reported
    /// as the segment is emitted, before the owner sends it. Only when
    /// [`ConnConfig::report_segments`](super::ConnConfig::report_segments).
    SegmentSent {
        /// The subflow (its index in [`Connection::subflows`]).
        subflow: usize,
        /// Data sequence number of the first byte of the mapping carried; 0
        /// without payload.
        mapping_dsn: u64,
        /// Payload bytes; 0 without payload.
        payload_len: u64,
        /// The data-ACK carried, if any.
        data_ack: Option<u64>,
    },
    /// A subflow was created (its SYN is about to go, or its peer's SYN
    /// arrived), between these local and remote (address, port) pairs.
    SubflowOpened {
        /// The new subflow (its index in [`Connection::subflows`]).
        subflow: usize,
        /// Local (IPv4 address, port).
        local: (u32, u16),
        /// Remote (IPv4 address, port).
        remote: (u32, u16),
    },
    /// A subflow's TCP handshake completed.
    SubflowEstablished {
        /// The subflow.
        subflow: usize,
    },
    /// A subflow ended, or failed before it was established.
    SubflowClosed {
        /// The subflow.
        subflow: usize,
        /// Why it ended.
        reason: CloseReason,
    },
    /// Bytes were queued for reinjection from a subflow (they are sent
    /// only if another subflow can carry them before they are data-acked).
    Reinjected {
        /// The subflow whose data was queued.
        from_subflow: usize,
        /// The bytes queued.
        bytes: u64,
    },
    /// The peer data-acknowledged new data: everything below `data_ack`
    /// arrived (RFC 8684 3.3.2). Only when
    /// [`ConnConfig::report_segments`](super::ConnConfig::report_segments).
    DataAcked {
        /// The new data-ACK: the data sequence number expected next.
        data_ack: u64,
    },
    /// A subflow's congestion window or smoothed RTT changed while it took
    /// an input (an ACK, a timeout). Only when
    /// [`ConnConfig::report_segments`](super::ConnConfig::report_segments).
    SubflowWindow {
        /// The subflow.
        subflow: usize,
        /// Its congestion window, in bytes.
        cwnd_bytes: u64,
        /// Its smoothed RTT; `None` before the first sample.
        srtt: Option<SimDuration>,
    },
    /// One open subflow's state, reported on
    /// [`Connection::sample`](super::Connection::sample) for time series: its local and remote
    /// addresses, congestion window, smoothed RTT, bytes in flight, and the
    /// bytes of its own sequence space acknowledged so far.
    SubflowSample {
        /// The subflow's id.
        subflow: usize,
        /// This end's address.
        local_addr: u32,
        /// The peer's address.
        remote_addr: u32,
        /// Congestion window, bytes.
        cwnd_bytes: u64,
        /// Smoothed RTT (RFC 6298), `None` before the first sample.
        srtt: Option<SimDuration>,
        /// Bytes sent and not yet acknowledged.
        bytes_in_flight: u64,
        /// Bytes of the subflow's sequence space acknowledged so far.
        bytes_acked: u64,
    },
    /// The receiving side's data-level state, reported on
    /// [`Connection::sample`](super::Connection::sample) after the subflows' samples: bytes held out of
    /// order and the data-ACK.
    ReceiverSample {
        /// Bytes held in the data-level out-of-order queue.
        ooo_bytes: u64,
        /// The data-ACK (absolute data sequence number).
        data_ack: u64,
    },
    /// The peer's DATA_FIN arrived in order: all its data was received.
    PeerClosed,
    /// The connection is over (both DATA_FINs acknowledged, or it gave up).
    Closed {
        /// `true`: the last subflow timed out, or no new subflow came within
        /// [`ConnConfig::orphan_timeout`]; `false` otherwise (orderly close,
        /// reset, abort).
        timed_out: bool,
    },
}

/// Connection-level counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnStats {
    /// Bytes sent again on another subflow from the reinject queue.
    pub reinjected_bytes: u64,
    /// Bytes handed to a subflow as meta-level retransmissions (a
    /// scheduler's [`Decision::Resend`] or the opportunistic retransmission).
    pub meta_retransmitted_bytes: u64,
    /// Subflow windows halved by the opportunistic penalisation (one per
    /// penalised subflow).
    pub penalisations: u64,
    /// Times the DATA_FIN retransmission timer resent the DATA_FIN on an
    /// ACK on every subflow (Linux `__mptcp_retrans` with the DATA_FIN
    /// enabled; see `close`).
    pub data_fin_retransmits: u64,
}
