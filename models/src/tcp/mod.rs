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
//! (see `send.rs`); receive window management, zero-window probing (RFC
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
//!   Like Linux, a timeout against a zero window does not count.
//! - Every RTO calls the congestion control's `on_rto` with the FlightSize
//!   of RFC 5681 3.1, "outstanding data in the network" (outstanding minus
//!   SACKed), and whether the segment that timed out had already been
//!   retransmitted by way of the timer (the previous timeout resent it and
//!   SND.UNA has not advanced since; RFC 5681 3.1: then ssthresh is held,
//!   `cc::reno` does it). Linux `tcp_enter_loss` differs: it bases ssthresh
//!   on cwnd, holds it on the same condition, and does not lower it again
//!   for a timeout during fast recovery (here that timeout reduces it
//!   again, from the unSACKed data).
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

mod options;
mod recv;
mod respond;
mod rtt;
mod scoreboard;
mod send;
mod timers;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use sim_core::{SimDuration, SimTime};

use crate::cc::{AckSample, CongestionControl, Coupling, SubflowCcView};
use crate::segment::{Segment, TcpFlags, TcpOptions};

pub use recv::Receiver;
pub use rtt::{RtoMinRule, RttEstimator};
pub use scoreboard::Scoreboard;
pub use send::{Phase as RecoveryPhase, Sender};
pub use timers::{Timer, TimerTable};

use recv::AckUrgency;
use send::{Blocked, Plan, PlanCtx, SegKind};

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
    pub rcv_buf_bytes: u64,
    pub snd_buf_bytes: u64,
    /// Offer window scaling (RFC 7323 2).
    pub window_scale: bool,
    /// Offer timestamps (RFC 7323 3).
    pub timestamps: bool,
    /// Offer SACK-permitted (RFC 2018).
    pub sack: bool,
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
            reserved_option_bytes_data: 0,
            reserved_option_bytes_ack: 0,
            nagle: true,
            time_wait: SimDuration::from_secs(1),
            initial_window_segments: 10,
        }
    }
}

/// Connection states (RFC 9293 3.3.2; LISTEN is the owner's business).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcpState {
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
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
    Closed {
        reason: CloseReason,
    },
    /// The retransmission timer expired (also for SYN and SYN/ACK);
    /// `backoff` is the number of doublings now in effect.
    Rto {
        backoff: u32,
    },
    /// Fast retransmit: loss recovery started at `seq`.
    FastRetransmit {
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub seg: Segment,
    /// Present when the payload comes from a `send_mapped` chunk.
    pub mapping: Option<Mapping>,
    /// A retransmission (of data, FIN, SYN or SYN/ACK).
    pub is_retransmission: bool,
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    pub segments_sent: u64,
    pub segments_received: u64,
    pub data_segments_sent: u64,
    /// Payload bytes sent, retransmissions included.
    pub bytes_sent: u64,
    pub segments_retransmitted: u64,
    pub bytes_retransmitted: u64,
    pub pure_acks_sent: u64,
    /// ACKs sent because the delayed-ACK timer fired.
    pub delayed_acks_sent: u64,
    pub syn_retransmits: u64,
    pub rto_count: u64,
    /// Entries into fast recovery.
    pub fast_retransmits: u64,
    pub dupacks_received: u64,
    pub window_probes_sent: u64,
    pub zero_window_adverts: u64,
    /// Payload bytes received in acceptable segments.
    pub bytes_received: u64,
    /// In-order bytes delivered to the receive buffer.
    pub bytes_in_order: u64,
    pub ooo_segments_received: u64,
    pub duplicate_segments_received: u64,
    pub rtt_samples: u64,
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
    persist_backoff: u32,
    probes_unanswered: u32,
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
        let rtt = RttEstimator::new(cfg.rto_initial, cfg.rto_min, cfg.rto_max, cfg.rto_min_rule);
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
            persist_backoff: 0,
            probes_unanswered: 0,
            last_blocked: None,
            last_send_at: None,
            readable_reported: false,
            write_blocked: false,
            quiet: false,
            cfg,
        };
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
        self.sack_ok = self.cfg.sack && peer.sack_permitted;
        self.ts_ok = self.cfg.timestamps && peer.timestamps.is_some();
        self.snd.sack_mode = self.sack_ok && self.cfg.recovery == Recovery::Sack;
        self.snd.limited_transmit = self.cfg.limited_transmit;
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
    }

    fn data_option_bytes(&self) -> u32 {
        options::base_option_bytes(self.ts_ok, self.cfg.reserved_option_bytes_data)
    }

    fn ack_option_bytes(&self) -> u32 {
        options::base_option_bytes(self.ts_ok, self.cfg.reserved_option_bytes_ack)
    }

    // ------------------------------------------------------------------
    // Inputs.

    /// A received segment, single-path: the congestion control sees a
    /// coupling of this subflow alone.
    pub fn handle_segment(&mut self, now: SimTime, seg: &Segment) {
        let view = [self.cc_view()];
        let coupling = Coupling { me: 0, subflows: &view };
        self.handle_segment_coupled(now, seg, &coupling);
    }

    /// Fires the due timers, single-path.
    pub fn handle_timeout(&mut self, now: SimTime) {
        let view = [self.cc_view()];
        let coupling = Coupling { me: 0, subflows: &view };
        self.handle_timeout_coupled(now, &coupling);
    }

    /// A received segment; `coupling` is handed to the congestion control.
    pub fn handle_segment_coupled(&mut self, now: SimTime, seg: &Segment, coupling: &Coupling<'_>) {
        self.quiet = false;
        self.stats.segments_received += 1;
        match self.state {
            TcpState::Closed => return,
            TcpState::SynSent => return self.on_segment_syn_sent(now, seg),
            _ => {}
        }
        // A retransmitted SYN: the SYN/ACK was lost; send it again (Linux
        // `tcp_check_req`).
        if self.state == TcpState::SynReceived && seg.flags.syn && !seg.flags.ack && seg.seq == self.irs {
            self.syn_pending = true;
            return;
        }
        // RFC 9293 3.10.7.4 first: the sequence number test. An
        // unacceptable segment gets an ACK (unless it is a RST) and is
        // dropped.
        if !self.rcv.is_acceptable(seg.seq, seg.seq_len()) {
            if !seg.flags.rst {
                self.rcv.ack_now = true;
                if seg.payload_len > 0 {
                    self.stats.duplicate_segments_received += 1;
                }
            }
            // RFC 9293 3.10.7.4 eighth: a retransmitted FIN in TIME-WAIT
            // is acknowledged and restarts the 2 MSL timeout.
            if self.state == TcpState::TimeWait && seg.flags.fin {
                self.timers.set(Timer::TimeWait, now + self.cfg.time_wait);
            }
            return;
        }
        // Second: RST in the window resets the connection.
        if seg.flags.rst {
            self.close_with(CloseReason::Rst);
            return;
        }
        // Fourth: a SYN in a synchronised state gets a challenge ACK (RFC
        // 5961 4.2, RFC 9293 3.10.7.4).
        if seg.flags.syn {
            self.rcv.ack_now = true;
            return;
        }
        // Fifth: without ACK the segment is dropped.
        if !seg.flags.ack {
            return;
        }
        if self.ts_ok
            && let Some((tsval, _)) = seg.options.timestamps
        {
            self.rcv.update_ts_recent(seg.seq, tsval);
        }
        if self.state == TcpState::SynReceived {
            if seg.ack != self.iss + 1 {
                // RFC 9293 would answer with a RST; simplified: dropped.
                return;
            }
            let wnd = (seg.window as u64) << self.snd_wscale;
            self.snd.on_syn_acked(seg.seq, seg.ack, wnd);
            self.on_handshake_done(now);
        }
        if !self.process_ack(now, seg, coupling) {
            return;
        }
        if self.state == TcpState::Closed {
            return;
        }
        if seg.payload_len > 0 || seg.flags.fin {
            self.process_data(now, seg);
        }
    }

    /// RFC 9293 3.10.7.3: SEGMENT ARRIVES in SYN-SENT.
    fn on_segment_syn_sent(&mut self, now: SimTime, seg: &Segment) {
        if seg.flags.ack && seg.ack != self.iss + 1 {
            // Unacceptable ACK: RFC 9293 would send a RST; dropped here.
            return;
        }
        if seg.flags.rst {
            if seg.flags.ack {
                // "connection reset" (refused).
                self.close_with(CloseReason::Rst);
            }
            return;
        }
        if !(seg.flags.syn && seg.flags.ack) {
            // Simultaneous open is not supported.
            return;
        }
        self.irs = seg.seq;
        self.negotiate(&seg.options);
        self.rcv.on_syn(seg.seq, self.syn_window_sent);
        self.rcv.on_handshake();
        if self.ts_ok
            && let Some((tsval, _)) = seg.options.timestamps
        {
            self.rcv.ts_recent = Some(tsval);
        }
        // RFC 7323 2.2: the window in a SYN/ACK is never scaled.
        self.snd.on_syn_acked(seg.seq, seg.ack, seg.window as u64);
        self.on_handshake_done(now);
        // The third ACK goes out on its own before any data (as Linux).
        self.handshake_ack_pending = true;
    }

    fn on_handshake_done(&mut self, now: SimTime) {
        if !self.syn_resent {
            // Karn: the SYN (or SYN/ACK) was sent once, its RTT is valid.
            if let Some(t) = self.syn_sent_at {
                self.rtt.on_sample(now.saturating_since(t));
                self.stats.rtt_samples += 1;
            }
        } else {
            // RFC 6298 5.7.
            self.rtt.fall_back_after_handshake_retransmission();
        }
        self.timers.cancel(Timer::Retransmit);
        self.syn_pending = false;
        self.state = if self.snd.fin_queued {
            TcpState::FinWait1
        } else {
            TcpState::Established
        };
        self.events.push_back(TcpEvent::Connected);
    }

    /// The ACK fields (RFC 9293 3.10.7.4 fifth check). Returns false when
    /// the segment must be dropped.
    fn process_ack(&mut self, now: SimTime, seg: &Segment, coupling: &Coupling<'_>) -> bool {
        use TcpState::*;
        if !matches!(
            self.state,
            Established | FinWait1 | FinWait2 | CloseWait | Closing | LastAck
        ) {
            return true;
        }
        let wnd = (seg.window as u64) << self.snd_wscale;
        let is_pure = seg.payload_len == 0 && !seg.flags.syn && !seg.flags.fin;
        let sack: &[_] = if self.sack_ok { seg.options.sack.as_slice() } else { &[] };
        let cwnd_before = self.cc.cwnd_bytes();
        let in_ss = self.cc.in_slow_start();
        let o = self.snd.on_ack(now, seg.seq, seg.ack, wnd, sack, is_pure);
        if o.too_new {
            // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT)
            // then send an ACK, drop the segment, and return."
            self.rcv.ack_now = true;
            return false;
        }
        // Any ACK answers the zero-window probes (Linux `icsk_probes_out = 0`).
        self.probes_unanswered = 0;
        if o.is_dupack {
            self.stats.dupacks_received += 1;
        }

        // RTT: the send-time sample of cumulatively or newly SACKed data
        // when Karn's rule (RFC 6298 3) allows, else the timestamp echo
        // (RFC 7323 4.1) on ACKs of new data (Linux `tcp_ack_update_rtt`).
        let mut sample = o.rtt_sample.or(o.sack_rtt_sample);
        if sample.is_none()
            && self.ts_ok
            && o.acked > 0
            && let Some((_, tsecr)) = seg.options.timestamps
            && tsecr != 0
        {
            let ms = ts_clock(now).wrapping_sub(tsecr);
            if (ms as i32) >= 0 {
                sample = Some(SimDuration::from_millis(ms as u64));
            }
        }
        if let Some(r) = sample {
            self.rtt.on_sample(r);
            self.stats.rtt_samples += 1;
        }
        if o.acked > 0 {
            self.rto_retries = 0;
        }

        // Congestion control, only through the trait.
        if o.entered_recovery {
            self.cc.on_congestion_event(now, o.congestion_flight, coupling);
            if !self.snd.sack_mode {
                self.snd.set_newreno_window(self.cc.ssthresh_bytes());
            }
            self.stats.fast_retransmits += 1;
            self.events
                .push_back(TcpEvent::FastRetransmit { seq: self.snd.snd_una });
        } else if o.exited_recovery {
            self.cc.on_recovery_exit(now, self.snd.bytes_in_flight());
        } else if self.snd.phase != RecoveryPhase::Recovery && o.delivered > 0 {
            let ack = AckSample {
                now,
                bytes_acked: o.delivered,
                bytes_in_flight: o.flight_before,
                rtt: sample,
                srtt: self.rtt.srtt(),
                min_rtt: self.rtt.min_rtt(),
                cwnd_limited: self.snd.is_cwnd_limited(cwnd_before, in_ss),
            };
            self.cc.on_ack(&ack, coupling);
        }

        // RFC 6298 5.2: all data acknowledged: stop the timer; 5.3: an ACK
        // of new data restarts it.
        if self.snd.all_acked() {
            self.timers.cancel(Timer::Retransmit);
        } else if o.restart_rto {
            self.timers.set(Timer::Retransmit, now + self.rtt.rto());
        }
        // The window opened: the persist timer stops (RFC 9293 3.8.6.1).
        if self.snd.snd_wnd > 0 && o.window_grew {
            self.timers.cancel(Timer::Persist);
            self.persist_backoff = 0;
        }

        if o.fin_acked {
            match self.state {
                FinWait1 => self.state = FinWait2,
                Closing => self.enter_time_wait(now),
                LastAck => self.close_with(CloseReason::Fin),
                _ => {}
            }
        }
        if self.write_blocked && matches!(self.state, Established | CloseWait) {
            // Linux `sk_stream_is_writeable`: free space at least half of
            // what is queued.
            let space = self.snd.space();
            if space > 0 && space >= self.snd.queued_bytes() / 2 {
                self.write_blocked = false;
                self.events.push_back(TcpEvent::Writable);
            }
        }
        true
    }

    /// Payload and FIN of an acceptable segment (RFC 9293 3.10.7.4 seventh
    /// and eighth).
    fn process_data(&mut self, now: SimTime, seg: &Segment) {
        use TcpState::*;
        if !matches!(self.state, Established | FinWait1 | FinWait2) {
            // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer already
            // sent its FIN; a retransmitted FIN is acknowledged, and in
            // TIME-WAIT it restarts the 2 MSL timeout (RFC 9293 3.10.7.4
            // eighth).
            if seg.flags.fin {
                self.rcv.ack_now = true;
                if self.state == TimeWait {
                    self.timers.set(Timer::TimeWait, now + self.cfg.time_wait);
                }
            }
            return;
        }
        let before = self.rcv.rcv_nxt;
        let out = self.rcv.on_data(seg.seq, seg.payload_len, seg.flags.fin);
        self.stats.bytes_received += seg.payload_len as u64;
        self.stats.bytes_in_order += out.advanced;
        if out.out_of_order {
            self.stats.ooo_segments_received += 1;
        }
        if out.duplicate {
            self.stats.duplicate_segments_received += 1;
        }
        match self.rcv.ack_urgency(&out) {
            AckUrgency::Now => self.rcv.ack_now = true,
            AckUrgency::Delayed => {
                // RFC 5681 4.2: within 500 ms; Linux 40 ms (TCP_DELACK_MIN).
                self.timers
                    .set_if_unarmed(Timer::DelayedAck, now + self.cfg.delack_timeout);
            }
            AckUrgency::None => {}
        }
        if self.rcv.rcv_nxt > before && out.advanced > 0 && !self.readable_reported {
            self.readable_reported = true;
            self.events.push_back(TcpEvent::Readable);
        }
        if out.fin {
            self.events.push_back(TcpEvent::PeerFin);
            // RFC 9293 3.10.7.4 eighth.
            match self.state {
                Established => self.state = CloseWait,
                // Our FIN is not acknowledged yet (else we would be in
                // FIN-WAIT-2).
                FinWait1 => self.state = Closing,
                FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
        }
    }

    fn enter_time_wait(&mut self, now: SimTime) {
        self.state = TcpState::TimeWait;
        self.timers.cancel_all();
        self.timers.set(Timer::TimeWait, now + self.cfg.time_wait);
    }

    fn close_with(&mut self, reason: CloseReason) {
        self.state = TcpState::Closed;
        self.timers.cancel_all();
        self.syn_pending = false;
        self.handshake_ack_pending = false;
        self.probe_pending = false;
        self.rcv.ack_now = false;
        self.events.push_back(TcpEvent::Closed { reason });
    }

    /// Fires every due timer, handing `coupling` to the congestion control.
    pub fn handle_timeout_coupled(&mut self, now: SimTime, coupling: &Coupling<'_>) {
        self.quiet = false;
        while let Some(t) = self.timers.take_due(now) {
            match t {
                Timer::Retransmit => self.on_retransmit_timeout(now, coupling),
                Timer::DelayedAck => {
                    if self.rcv.ack_pending() {
                        self.rcv.ack_now = true;
                        self.stats.delayed_acks_sent += 1;
                    }
                }
                Timer::Persist => self.on_persist_timeout(now),
                Timer::TimeWait => self.close_with(CloseReason::Fin),
            }
        }
    }

    fn on_retransmit_timeout(&mut self, now: SimTime, coupling: &Coupling<'_>) {
        use TcpState::*;
        match self.state {
            SynSent | SynReceived => {
                let limit = if self.state == SynSent {
                    self.cfg.syn_retries
                } else {
                    self.cfg.synack_retries
                };
                if self.syn_retransmits >= limit {
                    self.close_with(CloseReason::Timeout);
                    return;
                }
                self.syn_retransmits += 1;
                self.stats.syn_retransmits += 1;
                // RFC 6298 5.5 applies to the SYN too: 1 s, 2 s, 4 s, ...
                self.rtt.back_off();
                self.syn_pending = true;
                self.events.push_back(TcpEvent::Rto {
                    backoff: self.rtt.backoff(),
                });
            }
            Closed | TimeWait => {}
            _ => {
                if self.snd.all_acked() {
                    return;
                }
                // Linux `tcp_retransmit_timer`: a zero window does not time
                // the connection out.
                if self.snd.snd_wnd != 0 {
                    self.rto_retries += 1;
                }
                if self.rto_retries > self.cfg.max_rto_retries {
                    self.close_with(CloseReason::Timeout);
                    return;
                }
                // RFC 6298 5.4 (retransmit the earliest segment, via the
                // sender's loss phase), RFC 5681 3.1 eq. (4) in the CC.
                let rto = self.snd.on_rto();
                self.cc.on_rto(now, rto.flight, rto.repeated, coupling);
                // RFC 6298 5.5 back off, 5.6 restart the timer.
                self.rtt.back_off();
                self.timers.set(Timer::Retransmit, now + self.rtt.rto());
                self.timers.cancel(Timer::Persist);
                self.stats.rto_count += 1;
                self.events.push_back(TcpEvent::Rto {
                    backoff: self.rtt.backoff(),
                });
            }
        }
    }

    /// RFC 9293 3.8.6.1: the persist timer expired with data waiting for
    /// a closed window.
    fn on_persist_timeout(&mut self, now: SimTime) {
        if !self.can_send_data() || !self.snd.has_unsent() || !self.snd.all_acked() {
            return;
        }
        self.probes_unanswered += 1;
        if self.probes_unanswered > self.cfg.max_rto_retries {
            self.close_with(CloseReason::Timeout);
            return;
        }
        self.stats.window_probes_sent += 1;
        if self.snd.snd_wnd > 0 {
            // Linux `tcp_write_wakeup`: send what fits in a small window.
            self.sws_override = true;
        } else {
            // Linux `tcp_xmit_probe_skb`: a zero-length segment with an old
            // sequence number, which the peer must answer with an ACK.
            self.probe_pending = true;
        }
        self.persist_backoff = (self.persist_backoff + 1).min(16);
        self.timers.set(Timer::Persist, now + self.persist_interval());
    }

    /// Linux `tcp_probe0_when`: RTO << backoff, at most `rto_max`.
    fn persist_interval(&self) -> SimDuration {
        self.rtt
            .rto()
            .saturating_mul(1 << self.persist_backoff)
            .min(self.cfg.rto_max)
    }

    // ------------------------------------------------------------------
    // Outputs.

    /// The earliest armed timer.
    pub fn poll_timeout(&self) -> Option<SimTime> {
        self.timers.earliest()
    }

    pub fn poll_event(&mut self) -> Option<TcpEvent> {
        self.events.pop_front()
    }

    fn can_send_data(&self) -> bool {
        use TcpState::*;
        matches!(self.state, Established | CloseWait | FinWait1 | Closing | LastAck)
    }

    /// Whether the endpoint is quiet: its last `poll_transmit` found
    /// nothing, and no input, application call or due window update
    /// happened since (so no event or readable byte arrived either:
    /// only inputs produce them, and every input ends the quiet).
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// The next segment to send, if any.
    pub fn poll_transmit(&mut self, now: SimTime) -> Option<Transmit> {
        if self.quiet {
            return None;
        }
        let t = self.poll_transmit_inner(now);
        self.quiet = t.is_none();
        t
    }

    fn poll_transmit_inner(&mut self, now: SimTime) -> Option<Transmit> {
        if self.rst_pending {
            self.rst_pending = false;
            return Some(self.rst_segment());
        }
        match self.state {
            TcpState::Closed => return None,
            TcpState::SynSent | TcpState::SynReceived => {
                if self.syn_pending {
                    return Some(self.syn_segment(now));
                }
                return None;
            }
            _ => {}
        }
        if self.handshake_ack_pending {
            self.handshake_ack_pending = false;
            return Some(self.pure_ack(now));
        }
        if self.can_send_data()
            && let Some(t) = self.try_send_data(now)
        {
            return Some(t);
        }
        if self.probe_pending {
            self.probe_pending = false;
            let mut seg = self.base_segment(self.snd.snd_una - 1, TcpFlags::ack());
            self.finish_segment(now, &mut seg, self.ack_option_bytes());
            self.stats.segments_sent += 1;
            return Some(Transmit {
                seg,
                mapping: None,
                is_retransmission: false,
            });
        }
        if self.rcv.ack_now {
            return Some(self.pure_ack(now));
        }
        self.arm_persist_if_needed(now);
        None
    }

    /// RFC 9293 3.8.6.1: data waits, the peer's window is closed (or too
    /// small to send), nothing is in flight: arm the persist timer.
    fn arm_persist_if_needed(&mut self, now: SimTime) {
        if self.can_send_data()
            && self.last_blocked == Some(Blocked::Rwnd)
            && self.snd.has_unsent()
            && self.snd.all_acked()
            && !self.timers.is_armed(Timer::Retransmit)
        {
            self.timers
                .set_if_unarmed(Timer::Persist, now + self.persist_interval());
        }
    }

    /// The context of a send decision (`data_opts`: the data segments'
    /// option bytes before SACK).
    fn plan_ctx(&self, data_opts: u32) -> PlanCtx {
        let sack_n = if self.sack_ok {
            self.rcv.sack_block_count().min(options::max_sack_blocks(data_opts))
        } else {
            0
        };
        PlanCtx {
            cwnd: self.cc.cwnd_bytes(),
            // Linux `tcp_current_mss`: SACK blocks take payload room.
            payload_max: self.snd.smss.saturating_sub(options::sack_option_bytes(sack_n)).max(1),
            nagle: self.cfg.nagle,
            sws_override: self.sws_override,
        }
    }

    fn try_send_data(&mut self, now: SimTime) -> Option<Transmit> {
        let data_opts = self.data_option_bytes();
        // Nothing new to send and no retransmission that could come first:
        // `plan` would answer `Blocked(NoData)` (checked in debug builds),
        // so spare it and the context. Mostly the poll right after a send.
        if self.snd.plans_nothing() {
            debug_assert_eq!(self.snd.plan(&self.plan_ctx(data_opts)), Plan::Blocked(Blocked::NoData));
            self.last_blocked = Some(Blocked::NoData);
            return None;
        }
        let ctx = self.plan_ctx(data_opts);
        let cwnd = ctx.cwnd;
        let p = match self.snd.plan(&ctx) {
            Plan::Send(p) => p,
            Plan::Blocked(b) => {
                if b == Blocked::Cwnd {
                    self.snd.note_cwnd_blocked();
                }
                self.last_blocked = Some(b);
                return None;
            }
        };
        self.last_blocked = None;
        // RFC 5681 4.1 / Linux `tcp_cwnd_restart`: after an idle period
        // longer than the RTO, restart from the restart window.
        if p.kind == SegKind::New
            && self.snd.all_acked()
            && self
                .last_send_at
                .is_some_and(|t| now.saturating_since(t) > self.rtt.rto())
        {
            self.cc.on_idle_restart(now);
        }
        let mut flags = TcpFlags::ack();
        flags.fin = p.fin;
        flags.psh = p.len > 0 && p.start + p.len as u64 == self.snd.write_end;
        let mut seg = self.base_segment(p.start, flags);
        seg.payload_len = p.len;
        self.finish_segment(now, &mut seg, data_opts);
        self.snd.on_sent(&p, now, cwnd);
        self.sws_override = false;
        self.last_send_at = Some(now);
        // RFC 6298 5.1: start the timer if it is not running. Data in
        // flight: the retransmission timer replaces the persist timer.
        self.timers.set_if_unarmed(Timer::Retransmit, now + self.rtt.rto());
        self.timers.cancel(Timer::Persist);
        let rtx = p.is_retransmission();
        self.stats.segments_sent += 1;
        if p.len > 0 {
            self.stats.data_segments_sent += 1;
            self.stats.bytes_sent += p.len as u64;
        }
        if rtx {
            self.stats.segments_retransmitted += 1;
            self.stats.bytes_retransmitted += p.len as u64;
        }
        Some(Transmit {
            seg,
            mapping: p.mapping.map(|(tag, chunk_seq, len_bytes)| Mapping {
                tag,
                chunk_seq,
                len_bytes,
            }),
            is_retransmission: rtx,
        })
    }

    fn base_segment(&self, seq: u64, flags: TcpFlags) -> Segment {
        Segment {
            src_addr: self.local.0,
            dst_addr: self.remote.0,
            src_port: self.local.1,
            dst_port: self.remote.1,
            seq,
            ack: 0,
            flags,
            window: 0,
            payload_len: 0,
            options: TcpOptions::default(),
        }
    }

    /// ACK number, window, timestamps and SACK blocks of a non-SYN segment;
    /// `used_option_bytes` is what the other options take.
    fn finish_segment(&mut self, now: SimTime, seg: &mut Segment, used_option_bytes: u32) {
        if seg.flags.ack {
            seg.ack = self.rcv.rcv_nxt;
            seg.window = self.rcv.advertise();
            if seg.window == 0 {
                self.stats.zero_window_adverts += 1;
            }
        }
        if self.ts_ok {
            seg.options.timestamps = Some((ts_clock(now), self.rcv.ts_recent.unwrap_or(0)));
        }
        if self.sack_ok {
            let room = options::max_sack_blocks(used_option_bytes);
            seg.options.sack = self.rcv.sack_blocks(room);
        }
        if seg.flags.ack {
            self.rcv.on_ack_sent();
            self.timers.cancel(Timer::DelayedAck);
        }
    }

    fn pure_ack(&mut self, now: SimTime) -> Transmit {
        let mut seg = self.base_segment(self.snd.snd_max, TcpFlags::ack());
        self.finish_segment(now, &mut seg, self.ack_option_bytes());
        self.stats.segments_sent += 1;
        self.stats.pure_acks_sent += 1;
        Transmit {
            seg,
            mapping: None,
            is_retransmission: false,
        }
    }

    fn syn_segment(&mut self, now: SimTime) -> Transmit {
        self.syn_pending = false;
        let synack = self.state == TcpState::SynReceived;
        let (flags, ack) = if synack {
            (TcpFlags::syn_ack(), self.rcv.rcv_nxt)
        } else {
            (TcpFlags::syn(), 0)
        };
        let mut seg = self.base_segment(self.iss, flags);
        seg.ack = ack;
        // RFC 7323 2.2: the window of a SYN is never scaled.
        seg.window = self.rcv.syn_window();
        if !synack {
            self.syn_window_sent = seg.window as u64;
        }
        let tsval = ts_clock(now);
        // The SYN offers what is configured; the SYN/ACK answers only what
        // the SYN offered (RFC 7323 2.2 and 3.2, RFC 2018 2).
        seg.options = TcpOptions {
            mss: Some(self.cfg.mss_bytes.min(u16::MAX as u32) as u16),
            window_scale: if synack { self.ws_ok } else { self.cfg.window_scale }.then_some(self.own_wscale),
            sack_permitted: if synack { self.sack_ok } else { self.cfg.sack },
            timestamps: if synack { self.ts_ok } else { self.cfg.timestamps }
                .then(|| (tsval, if synack { self.rcv.ts_recent.unwrap_or(0) } else { 0 })),
            ..TcpOptions::default()
        };
        if synack {
            self.rcv.on_ack_sent();
        }
        self.snd.on_syn_sent();
        let resent = self.syn_sent_at.is_some();
        self.syn_resent |= resent;
        self.syn_sent_at = Some(now);
        // RFC 6298 5.1.
        self.timers.set_if_unarmed(Timer::Retransmit, now + self.rtt.rto());
        self.stats.segments_sent += 1;
        Transmit {
            seg,
            mapping: None,
            is_retransmission: resent,
        }
    }

    /// RFC 9293 3.10.4 ABORT: <SEQ=SND.NXT><CTL=RST> (with ACK, as Linux).
    fn rst_segment(&mut self) -> Transmit {
        let mut flags = TcpFlags::ack();
        flags.rst = true;
        let mut seg = self.base_segment(self.snd.snd_max, flags);
        seg.ack = self.rcv.rcv_nxt;
        self.stats.segments_sent += 1;
        Transmit {
            seg,
            mapping: None,
            is_retransmission: false,
        }
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
    pub fn set_external_rcv_window(&mut self, window_bytes: Option<u64>) {
        // The window value alone never changes whether `poll_transmit`
        // has something to send; a window update due does.
        self.rcv.set_external_window(window_bytes);
        if self.state != TcpState::Closed && self.rcv.window_update_due() {
            self.rcv.ack_now = true;
            self.quiet = false;
        }
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

    pub fn state(&self) -> TcpState {
        self.state
    }
    pub fn config(&self) -> &TcpConfig {
        &self.cfg
    }
    pub fn local(&self) -> (u32, u16) {
        self.local
    }
    pub fn remote(&self) -> (u32, u16) {
        self.remote
    }
    /// The congestion control's window.
    pub fn cwnd_bytes(&self) -> u64 {
        self.cc.cwnd_bytes()
    }
    pub fn ssthresh_bytes(&self) -> u64 {
        self.cc.ssthresh_bytes()
    }
    /// The window the sender compares the flight with now (the inflated
    /// window during NewReno recovery, else cwnd).
    pub fn send_window_bytes(&self) -> u64 {
        self.snd.send_window(self.cc.cwnd_bytes())
    }
    pub fn congestion_control(&self) -> &dyn CongestionControl {
        self.cc.as_ref()
    }
    pub fn srtt(&self) -> Option<SimDuration> {
        self.rtt.srtt()
    }
    /// The current RTO, backoff included.
    pub fn rto(&self) -> SimDuration {
        self.rtt.rto()
    }
    pub fn rtt_estimator(&self) -> &RttEstimator {
        &self.rtt
    }
    /// Bytes in flight as the send decision counts them (RFC 6675 pipe in
    /// SACK recovery and after an RTO).
    pub fn bytes_in_flight(&self) -> u64 {
        self.snd.bytes_in_flight()
    }
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
    pub fn recovery_phase(&self) -> RecoveryPhase {
        self.snd.phase
    }
    /// Payload bytes of a full data segment without SACK blocks.
    pub fn smss_bytes(&self) -> u32 {
        self.snd.smss
    }
    pub fn sack_negotiated(&self) -> bool {
        self.sack_ok
    }
    pub fn timestamps_negotiated(&self) -> bool {
        self.ts_ok
    }
    /// `(our shift, the peer's shift)` when window scaling was negotiated.
    pub fn window_scales(&self) -> Option<(u8, u8)> {
        self.ws_ok.then_some((self.own_wscale, self.snd_wscale))
    }
    pub fn stats(&self) -> &TcpStats {
        &self.stats
    }
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

    const A: (u32, u16) = (1, 1000);
    const B: (u32, u16) = (2, 80);

    fn cc() -> Box<dyn CongestionControl> {
        Box::new(Reno::new(1460))
    }

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    /// A client that sent its SYN at 0 and a server that answered it at
    /// 10 ms; the SYN/ACK is returned undelivered.
    fn fixture(cfg_a: TcpConfig, cfg_b: TcpConfig) -> (TcpEndpoint, TcpEndpoint, Segment) {
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
    fn the_syn_offers_the_configured_options_and_arms_the_one_second_timer() {
        let mut a = TcpEndpoint::connect(t(0), A, B, 100, TcpConfig::default(), cc());
        let tx = a.poll_transmit(t(0)).unwrap();
        let syn = tx.seg;
        assert!(syn.flags.syn && !syn.flags.ack && !tx.is_retransmission);
        assert_eq!(syn.seq, 100);
        assert_eq!(syn.window, 65_535);
        assert_eq!(syn.options.mss, Some(1460));
        assert_eq!(syn.options.window_scale, Some(7));
        assert!(syn.options.sack_permitted);
        assert_eq!(syn.options.timestamps, Some((1, 0)));
        assert_eq!(a.poll_timeout(), Some(t(1000)));
        assert_eq!(a.state(), TcpState::SynSent);
    }

    #[test]
    fn the_syn_ack_answers_only_what_the_syn_offered() {
        let cfg_a = TcpConfig {
            sack: false,
            timestamps: false,
            ..TcpConfig::default()
        };
        let (_, b, synack) = fixture(cfg_a, TcpConfig::default());
        assert!(synack.flags.syn && synack.flags.ack);
        assert_eq!(synack.ack, 101);
        assert!(!synack.options.sack_permitted);
        assert!(synack.options.timestamps.is_none());
        assert_eq!(synack.options.window_scale, Some(7));
        assert!(!b.sack_negotiated() && !b.timestamps_negotiated());
        assert_eq!(b.state(), TcpState::SynReceived);
    }

    #[test]
    fn a_quiet_endpoint_wakes_up_for_queued_data_and_for_an_ack_request() {
        let (mut a, _b, synack) = fixture(TcpConfig::default(), TcpConfig::default());
        a.handle_segment(t(20), &synack);
        assert!(a.poll_transmit(t(20)).is_some()); // third ACK
        assert!(a.poll_transmit(t(20)).is_none());
        assert!(a.quiet);
        // Quiet: nothing to send at a later instant either.
        assert!(a.poll_transmit(t(25)).is_none());
        assert_eq!(a.send(3000), 3000);
        let d = a.poll_transmit(t(25)).unwrap().seg;
        assert_eq!(d.seq, 101);
        assert!(d.payload_len > 0);
        while a.poll_transmit(t(25)).is_some() {}
        assert!(a.quiet);
        a.request_ack();
        let ack = a.poll_transmit(t(26)).unwrap().seg;
        assert_eq!(ack.payload_len, 0);
        assert!(a.poll_transmit(t(26)).is_none());
    }

    #[test]
    fn the_syn_ack_completes_the_client_side_with_an_rtt_sample_and_a_third_ack() {
        let (mut a, mut b, synack) = fixture(TcpConfig::default(), TcpConfig::default());
        a.handle_segment(t(20), &synack);
        assert_eq!(a.state(), TcpState::Established);
        assert_eq!(a.poll_event(), Some(TcpEvent::Connected));
        assert_eq!(a.srtt(), Some(SimDuration::from_millis(20)));
        assert_eq!(a.poll_timeout(), None);
        let ack = a.poll_transmit(t(20)).unwrap().seg;
        assert!(ack.flags.ack && !ack.flags.syn);
        assert_eq!((ack.seq, ack.ack), (101, 9001));
        b.handle_segment(t(30), &ack);
        assert_eq!(b.state(), TcpState::Established);
        assert_eq!(b.srtt(), Some(SimDuration::from_millis(20)));
        assert_eq!(b.peer_window_bytes(), (6 << 20) / 128 * 128);
    }

    #[test]
    fn a_retransmitted_syn_makes_the_server_resend_its_syn_ack_without_a_sample() {
        let (mut a, mut b, synack) = fixture(TcpConfig::default(), TcpConfig::default());
        a.handle_timeout(t(1000));
        let syn2 = a.poll_transmit(t(1000)).unwrap();
        assert!(syn2.is_retransmission);
        assert_eq!(a.poll_event(), Some(TcpEvent::Rto { backoff: 1 }));
        b.handle_segment(t(1010), &syn2.seg);
        let synack2 = b.poll_transmit(t(1010)).unwrap();
        assert!(synack2.seg.flags.syn && synack2.is_retransmission);
        a.handle_segment(t(1020), &synack);
        // RFC 6298 5.7: no sample after a retransmitted SYN: 3 s.
        assert_eq!(a.srtt(), None);
        assert_eq!(a.rto(), SimDuration::from_secs(3));
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
