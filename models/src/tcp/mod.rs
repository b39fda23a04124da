//! One TCP subflow endpoint as a sans-IO state machine (in the style of
//! quinn-proto and smoltcp): it takes `now` and inputs, is polled for
//! outputs, and never owns time or I/O.
//!
//! Driving it:
//! - Create with [`TcpEndpoint::connect`] (active open) or
//!   [`TcpEndpoint::accept`] (passive open from a received SYN).
//! - Feed received segments to [`TcpEndpoint::handle_segment`] and call
//!   [`TcpEndpoint::handle_timeout`] at (or after) the instant
//!   [`TcpEndpoint::poll_timeout`] names.
//! - After every input (and after the application calls `send`, `recv`,
//!   `close`, ...), call [`TcpEndpoint::poll_transmit`] until it returns
//!   `None`, and [`TcpEndpoint::poll_event`] until it returns `None`.
//!
//! The application side carries no bytes, only lengths: `send(len)` queues
//! `len` bytes, `recv(max)` hands back `(subflow sequence number, length)`
//! of in-order bytes. `send_mapped(len, tag)` tags a chunk with the MPTCP
//! data sequence number of its first byte; segments never straddle two
//! chunks, so each [`Transmit`] reports the `Mapping` (tag of its first
//! payload byte and length) the MPTCP layer turns into a DSS option.
//!
//! Congestion control is reached only through the
//! [`CongestionControl`] trait. Coupled
//! algorithms get the sibling subflows through
//! [`TcpEndpoint::handle_segment_coupled`] /
//! [`TcpEndpoint::handle_timeout_coupled`], the only calls that run the
//! algorithm's `on_ack`, `on_congestion_event` and `on_rto`; the plain
//! `handle_segment`/`handle_timeout` pass a one-element coupling built
//! from [`TcpEndpoint::cc_view`] (single-path TCP).
//!
//! What is implemented, with the rule at each place in the code:
//! three-way handshake with SYN and SYN/ACK retransmission and backoff
//! (RFC 9293 3.5, RFC 6298 5.5, Linux `tcp_syn_retries` /
//! `tcp_synack_retries`), MSS (RFC 9293 3.7.1; 536 when absent), window
//! scaling (RFC 7323 2), SACK-permitted (RFC 2018 2) and timestamps (RFC
//! 7323 3) used only if both sides offer them; cumulative and selective
//! ACKs, delayed ACKs (see `recv.rs`); RFC 6298 RTO with Karn's rule or
//! timestamp RTTM (RFC 7323 4) (see `rtt.rs`); fast retransmit, NewReno
//! (RFC 6582) and SACK (RFC 6675) recovery, limited transmit (RFC 3042)
//! (see `send/`); receive window management, zero-window probing (RFC
//! 9293 3.8.6.1); FIN teardown through FIN-WAIT-1/2, CLOSING, LAST-ACK and
//! TIME-WAIT (RFC 9293 3.6); RST (RFC 9293 3.10.7).
//!
//! Simplified or left out (observable by a user):
//! - TIME-WAIT lasts `TcpConfig::time_wait` (1 s by default; Linux: 60 s).
//!   `Closed { reason: Fin }` is reported when it ends (or when the last
//!   ACK arrives in LAST-ACK).
//! - No simultaneous open, no PAWS (RFC 7323 5), no RFC 5961 RST/SYN
//!   checks beyond the in-window test (a SYN in a synchronised state gets
//!   a challenge ACK), no urgent data, no keepalive, no FIN-WAIT-2 timeout.
//! - `close()` before the handshake completes queues the FIN after it
//!   (Linux would drop the connection in SYN-SENT).
//! - Buffers are fixed (no autotuning): 4 MiB send, 6 MiB receive by
//!   default, Linux's `tcp_wmem`/`tcp_rmem` maxima.
//! - The retry limits count retransmissions (`max_rto_retries` = 15 as
//!   Linux `tcp_retries2`; Linux converts that count into a time budget).
//!   Like Linux, a timeout against a zero window does not count, except
//!   for an orphan (`close_orphaned`), whose limit is `orphan_retries` = 8
//!   as Linux `tcp_orphan_retries`. With a first RTO of `rto_min` (200 ms)
//!   the count gives up at the timeout Linux's time budget does; with a
//!   longer first RTO, Linux gives up after fewer retransmissions.
//! - Every RTO calls the congestion control's `on_rto` with the FlightSize
//!   of RFC 5681 3.1, "outstanding data in the network" (outstanding minus
//!   SACKed), and whether the segment that timed out had already been
//!   retransmitted by way of the timer (the previous timeout resent it and
//!   SND.UNA has not advanced since; RFC 5681 3.1: then ssthresh is held,
//!   `cc::reno` does it). Linux `tcp_enter_loss` differs: it bases ssthresh
//!   on cwnd, holds it on the same condition, and does not lower it again
//!   for a timeout during fast recovery. `TcpConfig::loss_response` chooses
//!   (`Rfc5681` lowers it again from the unSACKed data; `Linux`, the
//!   default, does as Linux, and bases fast recovery's ssthresh on cwnd too).
//! - `TcpConfig` names the stack's mechanisms one by one and
//!   [`TcpProfile`] sets them together (`Linux6`, the default, or `Rfc6675`):
//!   the RTO estimator (`rtt.rs`, `rtt_linux.rs`), the loss response
//!   (`input.rs`, `send/recovery.rs`), PRR (`send/prr.rs`) and the early
//!   slow-start exit of the congestion control (`cc::hystart`,
//!   `cc::hystart_pp`), F-RTO and its undo (`send/frto.rs`, `input.rs`),
//!   RACK-TLP (RFC 8985: `send/rack.rs`, applied in `send/recovery.rs` and
//!   `send/plan.rs`; its reordering and probe timers in `input.rs`).
//! - Timestamp values tick in milliseconds (as Linux), with no random
//!   offset, so timestamp RTT samples have 1 ms resolution. As Linux
//!   `tcp_ack_update_rtt`, the exact send-time sample of cumulatively ACKed
//!   data is preferred, then that of newly SACKed data, and the timestamp
//!   echo is used only when Karn's rule leaves neither. Without SACK, a
//!   lost ACK followed by an RTO makes the peer echo an old TSval (RFC
//!   7323 4.3), so that sample can be seconds long and inflate the RTO
//!   (Linux has the same exposure; it is visible under heavy ACK loss).
//! - Data segments shrink by the bytes of the SACK blocks they carry (Linux
//!   `tcp_current_mss`). Option lengths follow `crate::wire` (Linux's
//!   layout); the MPTCP layer's reserved bytes are added on top.
//!
//! What happens where:
//! - `mod.rs` (here): the endpoint's state ([`TcpEndpoint`]), the types it
//!   reports ([`TcpState`], [`TcpEvent`], [`Transmit`], [`TcpStats`], ...),
//!   the constructors with option negotiation, the application side
//!   (`send`, `recv`, `close`, `abort`, ...) and the getters.
//! - `config.rs`: [`TcpConfig`] and its defaults, [`Recovery`], the
//!   handshake constants.
//! - `profile.rs`: [`TcpProfile`] and the switches it sets.
//! - `input.rs`: received segments (RFC 9293 3.10.7, the ACK and data
//!   processing) and the timers' expiry (retransmission, delayed ACK,
//!   persist, TIME-WAIT).
//! - `output.rs`: `poll_transmit` and the segments it builds (SYN and
//!   SYN/ACK, data from the sender's plan, pure ACKs, zero-window probes,
//!   RST), `poll_timeout`, `poll_event`.
//! - `respond.rs`: an ACK built outside the output queue (XNU
//!   `tcp_respond`) and an abort without RST, for an owner that must not
//!   poll for output while it handles input.
//! - `send/` (buffer, plan, recovery), `recv.rs`, `rtt.rs`,
//!   `scoreboard.rs`, `timers.rs`, `options.rs`: the pieces of state the
//!   endpoint routes to, each with its own rules.
//! - `tests/`: protocol tests of two endpoints over the
//!   [`crate::testing::pair`] harness.

mod config;
mod input;
mod options;
mod output;
mod probe_timer;
mod profile;
mod recv;
mod respond;
mod rtt;
mod rtt_linux;
mod scoreboard;
mod send;
mod timers;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use sim_core::{SimDuration, SimTime};

use crate::cc::{CongestionControl, SubflowCcView};
use crate::segment::{Segment, TcpOptions};

pub use config::{DEFAULT_PEER_MSS_BYTES, MAX_WINDOW_SCALE, Recovery, RtoMinRule, TcpConfig};
pub use profile::{LossResponse, RtoEstimator, SlowStartExit, TcpProfile};
pub use recv::Receiver;
pub use rtt::RttEstimator;
pub use scoreboard::Scoreboard;
pub use send::{Phase as RecoveryPhase, Sender};
pub use timers::{Timer, TimerTable};

use send::Blocked;

/// Connection states (RFC 9293 3.3.2; LISTEN is the owner's business).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcpState {
    /// SYN-SENT: our SYN sent, waiting for the peer's SYN/ACK.
    SynSent,
    /// SYN-RECEIVED: the peer's SYN received and our SYN/ACK sent, waiting
    /// for its ACK.
    SynReceived,
    /// ESTABLISHED: handshake complete, data flows both ways.
    Established,
    /// FIN-WAIT-1: our FIN sent, not yet acknowledged.
    FinWait1,
    /// FIN-WAIT-2: our FIN acknowledged, waiting for the peer's FIN.
    FinWait2,
    /// CLOSE-WAIT: the peer's FIN received; we may still send.
    CloseWait,
    /// CLOSING: both FINs sent, ours not yet acknowledged.
    Closing,
    /// LAST-ACK: the peer's FIN received and our FIN sent, waiting for its
    /// ACK.
    LastAck,
    /// TIME-WAIT: both FINs exchanged and acknowledged; lasts
    /// [`TcpConfig::time_wait`].
    TimeWait,
    /// CLOSED: the connection is over (closed, reset, timed out or aborted).
    Closed,
}

/// Why the connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// Orderly FIN teardown finished (TIME-WAIT over, or LAST-ACK acked).
    Fin,
    /// The peer reset the connection.
    Rst,
    /// Retransmissions (SYN, SYN/ACK, data or probes) exhausted.
    Timeout,
    /// The application called `abort`.
    Aborted,
}

/// Something the owner may want to react to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpEvent {
    /// The handshake completed.
    Connected,
    /// New in-order data can be read (reported once until `recv` is called).
    Readable,
    /// Send-buffer space opened after a `send` was cut short.
    Writable,
    /// The peer's FIN arrived in sequence: no more data will come.
    PeerFin,
    /// The connection ended (state [`TcpState::Closed`]).
    Closed {
        /// Why it ended.
        reason: CloseReason,
    },
    /// The retransmission timer expired (also for SYN and SYN/ACK);
    /// `backoff` is the number of doublings now in effect.
    Rto {
        /// Number of RTO doublings now in effect (RFC 6298 5.5).
        backoff: u32,
    },
    /// Fast retransmit: loss recovery started at `seq`.
    FastRetransmit {
        /// SND.UNA when recovery started: the segment retransmitted first.
        seq: u64,
    },
}

/// The mapping of the chunk a segment's payload comes from (see
/// `send_mapped`): the same for every segment cut from the chunk,
/// retransmissions included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// The chunk's tag (the MPTCP layer's data sequence number of its first byte).
    pub tag: u64,
    /// Subflow sequence number of the chunk's first byte.
    pub chunk_seq: u64,
    /// The chunk's length.
    pub len_bytes: u32,
}

/// A segment to put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The segment.
    pub seg: Segment,
    /// Present when the payload comes from a `send_mapped` chunk.
    pub mapping: Option<Mapping>,
    /// A retransmission (of data, FIN, SYN or SYN/ACK).
    pub is_retransmission: bool,
}

/// What comes with a segment built in the caller's place
/// ([`TcpEndpoint::poll_transmit_into`]): a [`Transmit`] without its segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransmitInfo {
    /// Present when the payload comes from a `send_mapped` chunk.
    pub mapping: Option<Mapping>,
    /// A retransmission (of data, FIN, SYN or SYN/ACK).
    pub is_retransmission: bool,
}

impl TransmitInfo {
    /// Neither mapped nor a retransmission (ACKs, probes, RSTs).
    const PLAIN: TransmitInfo = TransmitInfo {
        mapping: None,
        is_retransmission: false,
    };
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    // Declared in the order the per-segment path writes them (those of
    // every segment first), so that they share as few cache lines as
    // possible; the layout follows declaration order among equal fields.
    /// Segments sent, of every kind (SYN, data, FIN, pure ACK, probe, RST).
    pub segments_sent: u64,
    /// Segments received (every one handed to the endpoint).
    pub segments_received: u64,
    /// Segments sent with payload, retransmissions included.
    pub data_segments_sent: u64,
    /// Payload bytes sent, retransmissions included.
    pub bytes_sent: u64,
    /// Pure ACKs sent (ACK flag only, no payload).
    pub pure_acks_sent: u64,
    /// Payload bytes received in acceptable segments.
    pub bytes_received: u64,
    /// In-order bytes delivered to the receive buffer.
    pub bytes_in_order: u64,
    /// RTT samples fed to the estimator (handshake, send times or
    /// timestamps).
    pub rtt_samples: u64,
    /// Duplicate ACKs received: RFC 5681 2 without SACK; with SACK, ACKs
    /// that SACK new data (RFC 6675 2).
    pub dupacks_received: u64,
    /// Segments whose data landed above a hole (queued out of order).
    pub ooo_segments_received: u64,
    /// ACKs sent because the delayed-ACK timer fired.
    pub delayed_acks_sent: u64,
    /// Segments with payload that was all received already, or that were
    /// not acceptable (RFC 9293 3.10.7.4).
    pub duplicate_segments_received: u64,
    /// Data or FIN segments sent again (SYN retransmissions count in
    /// `syn_retransmits`).
    pub segments_retransmitted: u64,
    /// Payload bytes sent again.
    pub bytes_retransmitted: u64,
    /// Retransmission timeouts in SYN-SENT or SYN-RECEIVED (each resends the
    /// SYN or SYN/ACK).
    pub syn_retransmits: u64,
    /// Retransmission timeouts with data outstanding in a synchronised state
    /// (RFC 6298 5.4-5.6).
    pub rto_count: u64,
    /// Timeouts F-RTO found spurious and undid (RFC 5682 3.1 step 3.b).
    pub spurious_rtos: u64,
    /// Entries into fast recovery.
    pub fast_retransmits: u64,
    /// Tail loss probes sent (RFC 8985 7.3; Linux `TCPLossProbes`).
    pub loss_probes: u64,
    /// Probe episodes that ended showing the probe repaired a loss, with a
    /// window reduction (RFC 8985 7.4.2; Linux `TCPLossProbeRecovery`).
    pub loss_probe_recoveries: u64,
    /// Retransmissions RACK found lost and resent again (RFC 8985 6.2;
    /// Linux `TCPLostRetransmit`).
    pub lost_retransmissions: u64,
    /// Persist-timer expiries that probed the peer's window (RFC 9293
    /// 3.8.6.1).
    pub window_probes_sent: u64,
    /// Segments sent advertising a zero window.
    pub zero_window_adverts: u64,
}

/// One TCP endpoint of a subflow. See the module documentation.
#[derive(Debug)]
pub struct TcpEndpoint {
    cfg: TcpConfig,
    state: TcpState,
    local: (u32, u16),
    remote: (u32, u16),
    iss: u64,
    irs: u64,
    own_wscale: u8,
    snd_wscale: u8,
    peer_mss: u32,
    sack_ok: bool,
    ts_ok: bool,
    ws_ok: bool,
    snd: Sender,
    rcv: Receiver,
    rtt: RttEstimator,
    cc: Box<dyn CongestionControl>,
    timers: TimerTable,
    events: VecDeque<TcpEvent>,
    stats: TcpStats,
    syn_pending: bool,
    syn_window_sent: u64,
    syn_sent_at: Option<SimTime>,
    /// The SYN (or SYN/ACK) went out more than once: no handshake RTT
    /// sample (Karn, RFC 6298 3).
    syn_resent: bool,
    syn_retransmits: u32,
    handshake_ack_pending: bool,
    rst_pending: bool,
    probe_pending: bool,
    sws_override: bool,
    rto_retries: u32,
    /// cwnd and ssthresh before the last timeout that lowered ssthresh
    /// (Linux `prior_cwnd`, `prior_ssthresh`), for an F-RTO undo.
    undo_cwnd: u64,
    undo_ssthresh: u64,
    persist_backoff: u32,
    probes_unanswered: u32,
    /// Closed by [`close_orphaned`](Self::close_orphaned): Linux `SOCK_DEAD`.
    orphaned: bool,
    last_blocked: Option<Blocked>,
    last_send_at: Option<SimTime>,
    readable_reported: bool,
    write_blocked: bool,
    /// `poll_transmit` last returned `None` and nothing that could change
    /// its answer has happened since (every input, application call and
    /// window change that could clears it): the next `poll_transmit`
    /// returns `None` at once. Its `None` path is idempotent (the plan
    /// reads no clock, `last_blocked` and the cwnd-limited latch are set
    /// to the same values again, the persist timer is armed only if
    /// unarmed), so skipping it changes nothing.
    quiet: bool,
    /// A re-arm of the loss probe timer owed by the burst being sent
    /// (`probe_timer.rs`).
    owed_probe: probe_timer::OwedProbe,
}

/// Timestamp clock: milliseconds, offset by one so it is never 0 (a TSecr
/// of 0 means "no echo" to Linux).
fn ts_clock(now: SimTime) -> u32 {
    (now.as_nanos() / 1_000_000 + 1) as u32
}

/// RFC 7323 2.3: the smallest shift that lets the buffer be offered.
fn wscale_for(buf: u64) -> u8 {
    let mut s = 0;
    while s < MAX_WINDOW_SCALE && (buf >> s) > u16::MAX as u64 {
        s += 1;
    }
    s
}

impl TcpEndpoint {
    fn new(
        local: (u32, u16),
        remote: (u32, u16),
        isn: u64,
        cfg: TcpConfig,
        cc: Box<dyn CongestionControl>,
        state: TcpState,
    ) -> Self {
        let own_wscale = if cfg.window_scale {
            wscale_for(cfg.rcv_buf_bytes)
        } else {
            0
        };
        let rtt = RttEstimator::with_estimator(
            cfg.rto_estimator,
            cfg.rto_initial,
            cfg.rto_min,
            cfg.rto_max,
            cfg.rto_min_rule,
        );
        let rcv = Receiver::new(cfg.rcv_buf_bytes, cfg.delayed_ack, cfg.quickack_segments);
        let snd = Sender::new(isn, cfg.snd_buf_bytes, cfg.mss_bytes);
        let mut ep = TcpEndpoint {
            state,
            local,
            remote,
            iss: isn,
            irs: 0,
            own_wscale,
            snd_wscale: 0,
            peer_mss: cfg.mss_bytes,
            sack_ok: false,
            ts_ok: cfg.timestamps,
            ws_ok: false,
            snd,
            rcv,
            rtt,
            cc,
            timers: TimerTable::default(),
            events: VecDeque::new(),
            stats: TcpStats::default(),
            syn_pending: true,
            syn_window_sent: 0,
            syn_sent_at: None,
            syn_resent: false,
            syn_retransmits: 0,
            handshake_ack_pending: false,
            rst_pending: false,
            probe_pending: false,
            sws_override: false,
            rto_retries: 0,
            undo_cwnd: 0,
            undo_ssthresh: 0,
            persist_backoff: 0,
            probes_unanswered: 0,
            orphaned: false,
            last_blocked: None,
            last_send_at: None,
            readable_reported: false,
            write_blocked: false,
            quiet: false,
            owed_probe: probe_timer::OwedProbe::default(),
            cfg,
        };
        ep.cc.set_slow_start_exit(ep.cfg.slow_start_exit);
        ep.update_smss();
        ep
    }

    /// Active open: the endpoint will emit a SYN from `poll_transmit`.
    pub fn connect(
        now: SimTime,
        local: (u32, u16),
        remote: (u32, u16),
        isn: u64,
        cfg: TcpConfig,
        cc: Box<dyn CongestionControl>,
    ) -> Self {
        let _ = now;
        TcpEndpoint::new(local, remote, isn, cfg, cc, TcpState::SynSent)
    }

    /// Passive open from a received SYN: the endpoint will emit a SYN/ACK.
    pub fn accept(now: SimTime, syn: &Segment, isn: u64, cfg: TcpConfig, cc: Box<dyn CongestionControl>) -> Self {
        let _ = now;
        let local = (syn.dst_addr, syn.dst_port);
        let remote = (syn.src_addr, syn.src_port);
        let mut ep = TcpEndpoint::new(local, remote, isn, cfg, cc, TcpState::SynReceived);
        ep.irs = syn.seq;
        ep.negotiate(&syn.options);
        let wnd = ep.rcv.syn_window() as u64;
        ep.syn_window_sent = wnd;
        ep.rcv.on_syn(syn.seq, wnd);
        ep.rcv.on_handshake();
        if ep.ts_ok
            && let Some((tsval, _)) = syn.options.timestamps
        {
            ep.rcv.ts_recent = Some(tsval);
        }
        ep
    }

    /// Applies the peer's SYN options. Each feature is used only if both
    /// sides offer it: window scaling (RFC 7323 2.2), SACK (RFC 2018 2),
    /// timestamps (RFC 7323 3.2).
    fn negotiate(&mut self, peer: &TcpOptions) {
        // RFC 9293 3.7.1: 536 when the peer sends no MSS option.
        self.peer_mss = peer.mss.map_or(DEFAULT_PEER_MSS_BYTES, |m| m as u32);
        self.ws_ok = self.cfg.window_scale && peer.window_scale.is_some();
        if self.ws_ok {
            // RFC 7323 2.3: a shift above 14 is used as 14.
            self.snd_wscale = peer.window_scale.unwrap_or(0).min(MAX_WINDOW_SCALE);
            self.rcv.wscale = self.own_wscale;
        } else {
            self.snd_wscale = 0;
            self.rcv.wscale = 0;
        }
        self.rcv.forget_window_check();
        self.sack_ok = self.cfg.sack && peer.sack_permitted;
        self.ts_ok = self.cfg.timestamps && peer.timestamps.is_some();
        self.snd.sack_mode = self.sack_ok && self.cfg.recovery == Recovery::Sack;
        self.snd.limited_transmit = self.cfg.limited_transmit;
        self.snd.frto_enabled = self.cfg.frto;
        // RFC 8985 needs SACK; Linux's non-SACK sender keeps NewReno
        // (`tcp_identify_packet_loss`: `tcp_newreno_mark_lost`).
        self.snd.rack_enabled = self.cfg.rack_tlp && self.snd.sack_mode;
        self.update_smss();
    }

    /// SMSS = min(our MSS, peer MSS) minus the option bytes every data
    /// segment carries (RFC 6691; Linux `tcp_current_mss`).
    fn update_smss(&mut self) {
        let mss = self.cfg.mss_bytes.min(self.peer_mss);
        let opts = self.data_option_bytes();
        let smss = mss.saturating_sub(opts).max(1);
        self.snd.smss = smss;
        self.rcv.smss = smss;
        self.rcv.forget_window_check();
    }

    fn data_option_bytes(&self) -> u32 {
        options::base_option_bytes(self.ts_ok, self.cfg.reserved_option_bytes_data)
    }

    fn ack_option_bytes(&self) -> u32 {
        options::base_option_bytes(self.ts_ok, self.cfg.reserved_option_bytes_ack)
    }

    // ------------------------------------------------------------------
    // Application side: lengths only.

    fn may_queue(&self) -> bool {
        use TcpState::*;
        matches!(self.state, SynSent | SynReceived | Established | CloseWait) && !self.snd.fin_queued
    }

    /// Queues up to `len` bytes; returns how many fit in the send buffer.
    pub fn send(&mut self, len: u64) -> u64 {
        self.queue(len, None)
    }

    /// Like `send`, tagging the chunk: `tag` names its first byte (the
    /// MPTCP data sequence number); each segment carrying bytes of it
    /// reports `tag + offset` in its [`Mapping`].
    pub fn send_mapped(&mut self, len: u64, tag: u64) -> u64 {
        self.queue(len, Some(tag))
    }

    fn queue(&mut self, len: u64, tag: Option<u64>) -> u64 {
        self.quiet = false;
        if !self.may_queue() {
            return 0;
        }
        let n = self.snd.queue(len, tag);
        if n < len {
            self.write_blocked = true;
        }
        n
    }

    /// Bytes queued by the application and not yet sent once.
    pub fn unsent_bytes(&self) -> u64 {
        self.snd
            .write_end
            .saturating_sub(self.snd.snd_max.max(self.snd.iss + 1))
    }

    /// Penalisation by a faster MPTCP sibling (Raiciu et al., NSDI 2012;
    /// Linux `mptcp_rcv_buf_optimization`): see `CongestionControl::penalise`.
    pub fn penalise(&mut self) {
        self.quiet = false;
        self.cc.penalise();
    }

    /// Free space in the send buffer.
    pub fn send_space(&self) -> u64 {
        if self.may_queue() { self.snd.space() } else { 0 }
    }

    /// Reads up to `max` in-order bytes: `(subflow sequence number of the
    /// first, length)`. Reading may open the window and trigger a window
    /// update (Linux `__tcp_cleanup_rbuf`).
    pub fn recv(&mut self, max: u64) -> Option<(u64, u64)> {
        let r = self.rcv.read(max)?;
        self.quiet = false;
        self.readable_reported = false;
        if self.state != TcpState::Closed && self.rcv.window_update_due() {
            self.rcv.ack_now = true;
        }
        Some(r)
    }

    /// In-order bytes waiting to be read.
    pub fn readable_bytes(&self) -> u64 {
        self.rcv.readable_bytes()
    }

    /// Orderly close: a FIN follows the queued data (RFC 9293 3.10.4 CLOSE).
    pub fn close(&mut self) {
        self.quiet = false;
        self.settle_loss_probe();
        use TcpState::*;
        match self.state {
            SynSent | SynReceived => self.snd.close(),
            Established => {
                self.snd.close();
                self.state = FinWait1;
            }
            CloseWait => {
                self.snd.close();
                self.state = LastAck;
            }
            _ => {}
        }
    }

    /// Close as Linux `__tcp_close` closes a socket that no process holds
    /// any more (an orphan, `SOCK_DEAD`): a FIN after the queued data, as
    /// [`close`](Self::close), and from then on an orphan's retry budget.
    /// Linux `tcp_write_timeout` and `tcp_probe_timer` give an orphan
    /// `tcp_orphan_retries(sk, alive)` retransmission timeouts or window
    /// probes instead of `tcp_retries2`: `TcpConfig::orphan_retries` (8)
    /// while the backed-off RTO is below `rto_max`, none once it has
    /// reached it; and `tcp_retransmit_timer` counts a timeout against a
    /// zero window for an orphan. The MPTCP layer closes a joined subflow
    /// this way (Linux net/mptcp/protocol.c `__mptcp_close_ssk` calls
    /// `__tcp_close` for every subflow but the connection's first).
    pub fn close_orphaned(&mut self) {
        self.orphaned = true;
        self.close();
    }

    /// Whether [`close_orphaned`](Self::close_orphaned) closed this endpoint.
    pub fn is_orphaned(&self) -> bool {
        self.orphaned
    }

    /// Abort: `Closed { reason: Aborted }` at once, and a RST in the
    /// synchronised states that can still have a peer waiting
    /// (SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT); none in
    /// SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT (RFC 9293 3.10.5 ABORT).
    pub fn abort(&mut self) {
        self.quiet = false;
        use TcpState::*;
        if self.state == Closed {
            return;
        }
        self.rst_pending = matches!(self.state, SynReceived | Established | FinWait1 | FinWait2 | CloseWait);
        self.close_with(CloseReason::Aborted);
    }

    /// Advertise a zero window from now on (`true`) or offer the buffer
    /// again (`false`). iOS advertises a zero window before it resets a
    /// cellular subflow; this shrinks the right edge, which RFC 9293
    /// 3.8.6.2.2 otherwise forbids. Sends a window update at once.
    pub fn set_zero_window(&mut self, on: bool) {
        self.quiet = false;
        self.rcv.set_zero_window(on);
        if !matches!(self.state, TcpState::Closed | TcpState::SynSent) {
            self.rcv.ack_now = true;
        }
    }

    /// MPTCP: offer this connection-level window (RFC 8684 3.3.5) instead
    /// of the own receive buffer's free space; `None` goes back to the
    /// buffer. The right edge still never moves left.
    ///
    /// Called by the MPTCP connection before every poll of the subflow, so
    /// it answers at once, inlined, when the window is the one set last
    /// and the receiver has not changed since its window-update check
    /// answered "not due" ([`Receiver::window_update_settled`]): the check
    /// would answer the same and nothing would change. Debug builds run
    /// the check then and assert it.
    #[inline]
    pub fn set_external_rcv_window(&mut self, window_bytes: Option<u64>) {
        if self.rcv.window_update_settled(window_bytes) {
            #[cfg(debug_assertions)]
            self.check_window_settled();
            return;
        }
        self.refresh_external_rcv_window(window_bytes);
    }

    /// [`TcpEndpoint::set_external_rcv_window`] without its shortcut: sets
    /// the window and asks whether a window update is due. For tests that
    /// compare the two paths.
    #[doc(hidden)]
    #[inline(never)]
    pub fn refresh_external_rcv_window(&mut self, window_bytes: Option<u64>) {
        // The window value alone never changes whether `poll_transmit`
        // has something to send; a window update due does.
        self.rcv.set_external_window(window_bytes);
        if self.state == TcpState::Closed {
            // Closed for good: no update is ever sent, whatever the check says.
            self.rcv.note_update_not_due();
        } else if self.rcv.window_update_due() {
            self.rcv.ack_now = true;
            self.quiet = false;
        } else {
            self.rcv.note_update_not_due();
        }
    }

    /// Debug builds: a skipped window refresh would have changed nothing.
    #[cfg(debug_assertions)]
    fn check_window_settled(&self) {
        assert!(
            self.state == TcpState::Closed || !self.rcv.window_update_due(),
            "a window update is due on a settled receiver"
        );
    }

    /// Requests an immediate (pure) ACK, e.g. for the MPTCP layer's
    /// DATA_ACK.
    pub fn request_ack(&mut self) {
        self.quiet = false;
        if !matches!(self.state, TcpState::Closed | TcpState::SynSent) {
            self.rcv.ack_now = true;
        }
    }

    // ------------------------------------------------------------------
    // Observability.

    /// The connection state (RFC 9293 3.3.2).
    pub fn state(&self) -> TcpState {
        self.state
    }
    /// Whether a RST from [`TcpEndpoint::abort`] is still to be sent by
    /// the next `poll_transmit`.
    pub fn rst_pending(&self) -> bool {
        self.rst_pending
    }
    /// The configuration it was created with.
    pub fn config(&self) -> &TcpConfig {
        &self.cfg
    }
    /// Local (IPv4 address, port).
    pub fn local(&self) -> (u32, u16) {
        self.local
    }
    /// Remote (IPv4 address, port).
    pub fn remote(&self) -> (u32, u16) {
        self.remote
    }
    /// The congestion control's window.
    pub fn cwnd_bytes(&self) -> u64 {
        self.cc.cwnd_bytes()
    }
    /// The congestion control's slow-start threshold, in bytes; `u64::MAX`
    /// while infinite.
    pub fn ssthresh_bytes(&self) -> u64 {
        self.cc.ssthresh_bytes()
    }
    /// The window the sender compares the flight with now (the inflated
    /// window during NewReno recovery, else cwnd).
    pub fn send_window_bytes(&self) -> u64 {
        self.snd.send_window(self.cc.cwnd_bytes())
    }
    /// The congestion-control algorithm.
    pub fn congestion_control(&self) -> &dyn CongestionControl {
        self.cc.as_ref()
    }
    /// Smoothed RTT (RFC 6298 SRTT); `None` before the first sample.
    pub fn srtt(&self) -> Option<SimDuration> {
        self.rtt.srtt()
    }
    /// The current RTO, backoff included.
    pub fn rto(&self) -> SimDuration {
        self.rtt.rto()
    }
    /// The RTT estimator (SRTT, RTTVAR, RTO and its backoff).
    pub fn rtt_estimator(&self) -> &RttEstimator {
        &self.rtt
    }
    /// Bytes in flight as the send decision counts them (RFC 6675 pipe in
    /// SACK recovery and after an RTO).
    pub fn bytes_in_flight(&self) -> u64 {
        self.snd.bytes_in_flight()
    }
    /// SND.UNA (RFC 9293 3.3.1): the oldest unacknowledged sequence number.
    pub fn snd_una(&self) -> u64 {
        self.snd.snd_una
    }
    /// The highest sequence number sent + 1 (SND.NXT outside
    /// retransmissions; the go-back point after an RTO is internal).
    pub fn snd_nxt(&self) -> u64 {
        self.snd.snd_max
    }
    /// The peer's window in bytes.
    pub fn peer_window_bytes(&self) -> u64 {
        self.snd.snd_wnd
    }
    /// RCV.NXT (RFC 9293 3.3.1): the next sequence number expected.
    pub fn rcv_nxt(&self) -> u64 {
        self.rcv.rcv_nxt
    }
    /// The window currently offered to the peer.
    pub fn rcv_wnd_bytes(&self) -> u64 {
        self.rcv.rcv_wnd()
    }
    /// Out-of-order bytes held by the receiver.
    pub fn ooo_bytes(&self) -> u64 {
        self.rcv.ooo_bytes()
    }
    /// The loss-recovery phase (open, fast recovery, or after an RTO).
    pub fn recovery_phase(&self) -> RecoveryPhase {
        self.snd.phase
    }
    /// Whether RACK has seen the path reorder (RFC 8985 6.2; Linux
    /// `reord_seen`): its reordering window is then kept in recovery and
    /// after three SACKs.
    pub fn rack_reordering_seen(&self) -> bool {
        self.snd.rack().reord_seen
    }
    /// Payload bytes of a full data segment without SACK blocks.
    pub fn smss_bytes(&self) -> u32 {
        self.snd.smss
    }
    /// Whether both sides offered SACK-permitted (RFC 2018 2).
    pub fn sack_negotiated(&self) -> bool {
        self.sack_ok
    }
    /// Whether both sides offered timestamps (RFC 7323 3).
    pub fn timestamps_negotiated(&self) -> bool {
        self.ts_ok
    }
    /// `(our shift, the peer's shift)` when window scaling was negotiated.
    pub fn window_scales(&self) -> Option<(u8, u8)> {
        self.ws_ok.then_some((self.own_wscale, self.snd_wscale))
    }
    /// Counters.
    pub fn stats(&self) -> &TcpStats {
        &self.stats
    }
    /// The armed timers.
    pub fn timers(&self) -> &TimerTable {
        &self.timers
    }
    /// This subflow as its siblings' congestion control sees it.
    pub fn cc_view(&self) -> SubflowCcView {
        SubflowCcView {
            cwnd_bytes: self.cc.cwnd_bytes(),
            ssthresh_bytes: self.cc.ssthresh_bytes(),
            srtt: self.rtt.srtt(),
            mss_bytes: self.snd.smss,
            usable: matches!(self.state, TcpState::Established | TcpState::CloseWait),
            loss_distance_bytes: self.cc.loss_distance_bytes(),
        }
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;
    use crate::cc::reno::Reno;

    pub(super) const A: (u32, u16) = (1, 1000);
    pub(super) const B: (u32, u16) = (2, 80);

    pub(super) fn cc() -> Box<dyn CongestionControl> {
        Box::new(Reno::new(1460))
    }

    pub(super) fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    /// A client that sent its SYN at 0 and a server that answered it at
    /// 10 ms; the SYN/ACK is returned undelivered.
    pub(super) fn fixture(cfg_a: TcpConfig, cfg_b: TcpConfig) -> (TcpEndpoint, TcpEndpoint, Segment) {
        let mut a = TcpEndpoint::connect(t(0), A, B, 100, cfg_a, cc());
        let syn = a.poll_transmit(t(0)).unwrap().seg;
        assert!(a.poll_transmit(t(0)).is_none());
        let mut b = TcpEndpoint::accept(t(10), &syn, 9000, cfg_b, cc());
        let synack = b.poll_transmit(t(10)).unwrap().seg;
        (a, b, synack)
    }

    #[test]
    fn the_window_scale_is_the_smallest_shift_that_offers_the_whole_buffer() {
        assert_eq!(wscale_for(65_535), 0);
        assert_eq!(wscale_for(65_536), 1);
        assert_eq!(wscale_for(6 << 20), 7);
        assert_eq!(wscale_for(u64::MAX), MAX_WINDOW_SCALE);
    }

    #[test]
    fn the_timestamp_clock_ticks_in_milliseconds_and_is_never_zero() {
        assert_eq!(ts_clock(SimTime::ZERO), 1);
        assert_eq!(ts_clock(t(5)), 6);
        assert_eq!(ts_clock(SimTime::from_micros(5_999)), 6);
    }

    #[test]
    fn abort_sends_a_rst_only_when_a_peer_may_be_waiting() {
        let (mut a, mut b, synack) = fixture(TcpConfig::default(), TcpConfig::default());
        b.abort();
        let rst = b.poll_transmit(t(11)).unwrap().seg;
        assert!(rst.flags.rst);
        assert_eq!(
            b.poll_event(),
            Some(TcpEvent::Closed {
                reason: CloseReason::Aborted
            })
        );
        a.handle_segment(t(20), &synack);
        let mut a2 = TcpEndpoint::connect(t(0), A, B, 100, TcpConfig::default(), cc());
        a2.abort();
        assert_eq!(a2.poll_transmit(t(0)), None);
        assert_eq!(a2.state(), TcpState::Closed);
    }

    #[test]
    fn the_coupled_view_reports_the_window_rtt_and_usability() {
        let (mut a, _, synack) = fixture(TcpConfig::default(), TcpConfig::default());
        assert!(!a.cc_view().usable);
        a.handle_segment(t(20), &synack);
        let v = a.cc_view();
        assert!(v.usable);
        assert_eq!(v.cwnd_bytes, 14_600);
        assert_eq!(v.srtt, Some(SimDuration::from_millis(20)));
        assert_eq!(v.mss_bytes, 1448);
    }
}
