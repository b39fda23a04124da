//! The send side of one endpoint: the send buffer as a deque of chunks,
//! the record of transmitted segments (for RTT samples and Karn's rule),
//! the SACK scoreboard and loss recovery. No payload is stored.
//!
//! Recovery, by phase:
//! - `Open`: new data while the flight is below cwnd. Duplicate ACKs are
//!   counted (RFC 5681 2, or with SACK the RFC 6675 2 definition: an ACK
//!   that SACKs new data); limited transmit (RFC 3042, RFC 6675 5 (3)) lets
//!   one new segment out per duplicate ACK before recovery.
//! - `Recovery`: fast recovery, entered on the third duplicate ACK (RFC
//!   5681 3.2) or when `IsLost(HighACK + 1)` (RFC 6675 5 (2)), either
//!   SACK-based (RFC 6675: scoreboard, pipe, NextSeg rules 1-4, rescue
//!   retransmission) or NewReno (RFC 6582: window inflation, partial ACKs
//!   retransmit the next hole, a full ACK exits). It ends when the recovery
//!   point is acknowledged.
//! - `Loss`: after an RTO (RFC 6298 5.4-5.6, RFC 5681 3.1): the scoreboard
//!   is reset (RFC 6675 5.1), everything sent before the RTO is presumed
//!   lost and retransmitted in order from the cumulative ACK (skipping what
//!   SACKs received since then cover), in slow start, until the recovery
//!   point is acknowledged.
//!
//! Per-ACK work does not grow with the window: acknowledged chunks and
//! records leave from the front of their deques, SACK blocks merge into
//! sorted ranges, and the loss boundary looks at no more than DupThresh
//! ranges. `SetPipe()` sums the SACKed ranges below HighRxt (the holes
//! already retransmitted in this recovery).
//!
//! Simplified (observable): no PRR (RFC 6937, Linux's reduction during
//! recovery), no RACK-TLP (RFC 8985: a lost tail or a lost retransmission
//! waits for the RTO), no F-RTO/undo, no pacing, no TSO; a retransmitted
//! segment is re-cut from the byte stream (its boundaries may differ from
//! the original's, as RFC 9293 3.10.7.4 allows).

use std::collections::VecDeque;

use sim_core::{SimDuration, SimTime};

use super::scoreboard::Scoreboard;
use crate::segment::SackBlock;

/// RFC 5681 3.2 / RFC 6675 2: DupThresh = 3.
pub const DUP_THRESH: u32 = 3;

/// A run of application bytes from one `send`/`send_mapped` call (or
/// several contiguous ones). Segments never straddle two chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Subflow sequence number of the first byte.
    pub start: u64,
    pub len: u64,
    /// The MPTCP layer's tag of the first byte (its data sequence number).
    pub tag: Option<u64>,
}

impl Chunk {
    fn end(&self) -> u64 {
        self.start + self.len
    }
}

/// One transmission of new data (or the FIN), for RTT samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SentRec {
    start: u64,
    end: u64,
    sent_at: SimTime,
    /// Retransmitted at least once: Karn's rule (RFC 6298 3) forbids a
    /// sample from it.
    retransmitted: bool,
    /// Wholly SACKed (its RTT was sampled then, if at all).
    sacked: bool,
}

/// Loss-recovery phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Open,
    /// Fast recovery (RFC 6675 or RFC 6582).
    Recovery,
    /// After a retransmission timeout.
    Loss,
}

/// Why a segment went out, for the RFC 6675 HighRxt bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegKind {
    /// Previously unsent data (NextSeg rule 2, or outside recovery).
    New,
    /// The first unacknowledged segment: fast retransmit (RFC 5681 3.2
    /// step 3, RFC 6675 5 (4.3)), a NewReno partial ACK (RFC 6582 3.2
    /// step 5), or the RTO retransmission (RFC 6298 5.4).
    Head,
    /// RFC 6675 NextSeg rule 1 (a lost segment), or the in-order
    /// retransmission after an RTO.
    Lost,
    /// RFC 6675 NextSeg rule 3 (not yet lost, below HighSACK).
    Rule3,
    /// RFC 6675 NextSeg rule 4 (the rescue retransmission).
    Rescue,
}

/// A segment the sender wants to transmit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegPlan {
    pub start: u64,
    pub len: u32,
    pub fin: bool,
    pub kind: SegKind,
    /// `(chunk tag, chunk start, chunk length)` if the bytes come from a
    /// tagged chunk: every segment cut from a chunk, retransmissions
    /// included, reports the same whole-chunk mapping (as Linux MPTCP maps a
    /// whole skb), so a mapping never changes once sent (RFC 8684 3.3.1).
    pub mapping: Option<(u64, u64, u32)>,
    /// The payload size a full segment would have had.
    pub full_len: u32,
}

impl SegPlan {
    pub fn is_retransmission(&self) -> bool {
        self.kind != SegKind::New
    }
    /// Sequence space covered, FIN included.
    pub fn end(&self) -> u64 {
        self.start + self.len as u64 + self.fin as u64
    }
}

/// Why nothing can be sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// Nothing queued.
    NoData,
    /// The congestion window (or pipe) is full.
    Cwnd,
    /// The peer's receive window is closed or too small (sender SWS).
    Rwnd,
    /// Nagle's algorithm holds a short tail segment.
    Nagle,
}

/// The send decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    Send(SegPlan),
    Blocked(Blocked),
}

/// Inputs to a send decision the sender does not own.
#[derive(Clone, Copy, Debug)]
pub struct PlanCtx {
    /// The congestion algorithm's cwnd.
    pub cwnd: u64,
    /// Payload bytes a segment may carry now (SMSS minus SACK option bytes).
    pub payload_max: u32,
    pub nagle: bool,
    /// A persist-timer expiry: send what fits in a small window (Linux
    /// `tcp_write_wakeup`).
    pub sws_override: bool,
}

/// What an ACK did to the send side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AckOutcome {
    /// SEG.ACK > SND.NXT: "send an ACK, drop the segment" (RFC 9293 3.10.7.4).
    pub too_new: bool,
    /// Sequence space newly acknowledged cumulatively (SYN and FIN included).
    pub acked: u64,
    /// Data newly acknowledged cumulatively or newly SACKed, each byte once.
    pub delivered: u64,
    /// An RTT sample from the send time of the oldest newly acknowledged
    /// segment, unless a retransmitted one was acknowledged (Karn, RFC 6298 3).
    pub rtt_sample: Option<SimDuration>,
    /// An RTT sample from the oldest never-retransmitted segment this ACK
    /// SACKed wholly for the first time (Linux `sack_rtt_us`).
    pub sack_rtt_sample: Option<SimDuration>,
    /// A retransmitted segment was acknowledged by this ACK.
    pub retransmitted_acked: bool,
    pub is_dupack: bool,
    pub entered_recovery: bool,
    pub exited_recovery: bool,
    pub exited_loss: bool,
    pub partial_ack: bool,
    /// RFC 6298 5.3 (or RFC 6582 first partial ACK): restart the RTO timer.
    pub restart_rto: bool,
    /// Flight before the ACK (for the congestion control's ACK sample).
    pub flight_before: u64,
    /// RFC 5681 3.2 FlightSize for `on_congestion_event`, without the
    /// segments sent by limited transmit.
    pub congestion_flight: u64,
    /// The peer's window grew.
    pub window_grew: bool,
    /// Our FIN is acknowledged.
    pub fin_acked: bool,
}

/// What a retransmission timeout hands to the congestion control (RFC 5681
/// 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtoOutcome {
    /// FlightSize for eq. (4), "the amount of outstanding data in the
    /// network": sent, not cumulatively acknowledged, and not SACKed (the
    /// receiver holds SACKed data; RFC 6675 `SetPipe()` does not count it
    /// either).
    pub flight: u64,
    /// The segment at SND.UNA had already been retransmitted by way of the
    /// retransmission timer: "the value of ssthresh is held constant".
    pub repeated: bool,
}

/// Send-side state (RFC 9293 3.3.1 send sequence variables and the RFC
/// 6675 / RFC 6582 recovery variables).
#[derive(Clone, Debug)]
pub struct Sender {
    pub iss: u64,
    /// SND.UNA (RFC 6675 HighACK + 1).
    pub snd_una: u64,
    /// Highest sequence number sent + 1 (RFC 6675 HighData + 1).
    pub snd_max: u64,
    /// End of the data the application queued.
    pub write_end: u64,
    /// The application closed: a FIN follows the data at `write_end`.
    pub fin_queued: bool,
    pub fin_sent: bool,
    /// SND.WND in bytes (already scaled).
    pub snd_wnd: u64,
    snd_wl1: u64,
    snd_wl2: u64,
    /// Largest window the peer offered (RFC 9293 3.8.6.2.1 Max(SND.WND)).
    pub max_snd_wnd: u64,
    pub snd_buf_bytes: u64,
    chunks: VecDeque<Chunk>,
    records: VecDeque<SentRec>,
    pub sb: Scoreboard,
    /// What the scoreboard held when a retransmission timeout cleared it
    /// (RFC 2018 8): data the receiver already reported, so already counted
    /// in [`AckOutcome::delivered`]; kept only to count it once.
    pre_rto_sacked: Scoreboard,
    pub phase: Phase,
    /// RFC 6675 RecoveryPoint / RFC 6582 `recover` (exclusive: HighData + 1
    /// when set).
    pub recover: u64,
    /// RFC 6675 HighRxt (exclusive).
    pub high_rxt: u64,
    /// SND.UNA when the retransmission timer last fired: the segment it
    /// retransmitted (RFC 6298 5.4).
    rto_una: u64,
    rescue_done: bool,
    pub dupacks: u32,
    limited_tx_bytes: u64,
    /// RFC 6582 inflated window during NewReno recovery.
    nr_cwnd: u64,
    nr_partial_seen: bool,
    head_rtx_pending: bool,
    /// End of the last short segment sent (Minshall / Linux `snd_sml`).
    snd_sml: u64,
    /// SACK-based recovery in use (configured and negotiated).
    pub sack_mode: bool,
    pub limited_transmit: bool,
    pub smss: u32,
    // Linux `tcp_cwnd_validate` / `tcp_is_cwnd_limited`.
    cwnd_limited_latch: bool,
    cwnd_limited_prev: bool,
    cwnd_window_end: u64,
    max_flight_cur: u64,
    max_flight_prev: u64,
}

impl Sender {
    pub fn new(iss: u64, snd_buf_bytes: u64, smss: u32) -> Self {
        Sender {
            iss,
            snd_una: iss,
            snd_max: iss,
            write_end: iss + 1,
            fin_queued: false,
            fin_sent: false,
            snd_wnd: 0,
            snd_wl1: 0,
            snd_wl2: 0,
            max_snd_wnd: 0,
            snd_buf_bytes,
            chunks: VecDeque::new(),
            records: VecDeque::new(),
            sb: Scoreboard::default(),
            pre_rto_sacked: Scoreboard::default(),
            phase: Phase::Open,
            // RFC 6582 3.2: recover is initialised to the ISN.
            recover: iss,
            high_rxt: iss,
            rto_una: iss,
            rescue_done: false,
            dupacks: 0,
            limited_tx_bytes: 0,
            nr_cwnd: 0,
            nr_partial_seen: false,
            head_rtx_pending: false,
            snd_sml: iss,
            sack_mode: false,
            limited_transmit: true,
            smss,
            cwnd_limited_latch: false,
            cwnd_limited_prev: false,
            cwnd_window_end: iss,
            max_flight_cur: 0,
            max_flight_prev: 0,
        }
    }

    /// Our SYN went out (it occupies `iss`).
    pub fn on_syn_sent(&mut self) {
        self.snd_max = self.snd_max.max(self.iss + 1);
    }

    /// The peer acknowledged our SYN; `wnd` is its window (unscaled on a
    /// SYN/ACK, RFC 7323 2.2), from a segment with `seq`.
    pub fn on_syn_acked(&mut self, seg_seq: u64, ack: u64, wnd: u64) {
        self.snd_una = self.iss + 1;
        self.high_rxt = self.snd_una;
        self.snd_sml = self.snd_una;
        self.cwnd_window_end = self.snd_una;
        self.snd_wnd = wnd;
        self.max_snd_wnd = wnd;
        self.snd_wl1 = seg_seq;
        self.snd_wl2 = ack;
    }

    /// Bytes queued and not yet acknowledged (data only).
    pub fn queued_bytes(&self) -> u64 {
        self.write_end.saturating_sub(self.snd_una.max(self.iss + 1))
    }

    /// Free space in the send buffer.
    pub fn space(&self) -> u64 {
        self.snd_buf_bytes.saturating_sub(self.queued_bytes())
    }

    /// Queues up to `len` bytes; returns how many fit.
    pub fn queue(&mut self, len: u64, tag: Option<u64>) -> u64 {
        if self.fin_queued {
            return 0;
        }
        let n = len.min(self.space());
        if n == 0 {
            return 0;
        }
        let start = self.write_end;
        match (self.chunks.back_mut(), tag) {
            // Contiguous untagged bytes extend the last chunk. Tagged chunks
            // never grow: their mapping may already be on the wire.
            (Some(c), None) if c.tag.is_none() && c.end() == start => c.len += n,
            _ => self.chunks.push_back(Chunk { start, len: n, tag }),
        }
        self.write_end += n;
        n
    }

    pub fn close(&mut self) {
        self.fin_queued = true;
    }

    /// Data or a FIN not sent yet.
    pub fn has_unsent(&self) -> bool {
        self.snd_max < self.write_end || (self.fin_queued && !self.fin_sent)
    }

    pub fn all_acked(&self) -> bool {
        self.snd_una == self.snd_max
    }

    fn chunk_at(&self, seq: u64) -> &Chunk {
        // The send head is usually in the newest chunk (one mapping per
        // hand-over from the connection): check it before the binary search.
        if let Some(c) = self.chunks.back()
            && c.start <= seq
            && seq < c.end()
        {
            return c;
        }
        let i = self.chunks.partition_point(|c| c.end() <= seq);
        &self.chunks[i]
    }

    /// The RFC 6675 loss boundary now: unSACKed octets below it are lost.
    fn lost_end(&self) -> u64 {
        match self.phase {
            // RFC 6675 5.1: after an RTO everything sent before it is lost.
            Phase::Loss => self.recover.clamp(self.snd_una, self.snd_max),
            _ => self
                .sb
                .lost_end(DUP_THRESH, self.smss)
                .unwrap_or(self.snd_una)
                .clamp(self.snd_una, self.snd_max),
        }
    }

    /// RFC 6675 4 `SetPipe()`: octets not lost and not SACKed, plus octets
    /// retransmitted (below HighRxt) and not SACKed.
    pub fn pipe(&self) -> u64 {
        let l = self.lost_end();
        let not_lost = (self.snd_max - l) - self.sb.sacked_from(l);
        let hr = self.high_rxt.clamp(self.snd_una, self.snd_max);
        let rtx = (hr - self.snd_una) - self.sb.sacked_in(self.snd_una, hr);
        not_lost + rtx
    }

    /// Bytes in flight as the send decision counts them. Asked many times
    /// per segment (send decisions, scheduler views), so the common
    /// open-phase answer is inlined and the RFC 6675 pipe is out of line.
    #[inline]
    pub fn bytes_in_flight(&self) -> u64 {
        match self.phase {
            Phase::Open => {
                let outstanding = self.snd_max - self.snd_una;
                // Linux `tcp_packets_in_flight` subtracts SACKed segments;
                // with limited transmit off they must not free room
                // before recovery.
                if self.sack_mode && (self.limited_transmit || self.dupacks == 0) {
                    outstanding - self.sb.sacked_bytes()
                } else {
                    outstanding
                }
            }
            Phase::Recovery if !self.sack_mode => self.snd_max - self.snd_una,
            _ => self.pipe_out_of_line(),
        }
    }

    #[inline(never)]
    fn pipe_out_of_line(&self) -> u64 {
        self.pipe()
    }

    /// The window the send decision compares the flight with.
    pub fn send_window(&self, cwnd: u64) -> u64 {
        match self.phase {
            // RFC 6582 3.2 steps 3-5: the inflated window.
            Phase::Recovery if !self.sack_mode => self.nr_cwnd,
            // RFC 3042 / RFC 5681 3.2: one new segment on each of the first
            // two duplicate ACKs (without SACK the flight does not shrink).
            Phase::Open if !self.sack_mode && self.limited_transmit => {
                cwnd + self.dupacks.min(DUP_THRESH - 1) as u64 * self.smss as u64
            }
            _ => cwnd,
        }
    }

    /// Whether [`plan`](Self::plan) answers `Blocked(NoData)` whatever the
    /// context, read from the same conditions without computing the flight
    /// or the windows: no head retransmission due, a phase in which `plan`
    /// goes straight to `new_data` (open, or recovery without SACK), and
    /// nothing new to send (no byte beyond `snd_max`, no FIN waiting). It is
    /// what the poll after a send usually finds: the connection hands a
    /// subflow one mapping at a time.
    pub fn plans_nothing(&self) -> bool {
        let straight_to_new_data = match self.phase {
            Phase::Open => true,
            Phase::Recovery => !self.sack_mode,
            Phase::Loss => false,
        };
        !self.head_rtx_due() && straight_to_new_data && !self.has_unsent()
    }

    /// The first unacknowledged segment must go out now, whatever the window.
    fn head_rtx_due(&self) -> bool {
        self.head_rtx_pending && self.snd_una < self.snd_max
    }

    /// The send decision: the next segment to transmit, or why none.
    pub fn plan(&self, ctx: &PlanCtx) -> Plan {
        let pm = ctx.payload_max.max(1);
        // RFC 5681 3.2 step 3 / RFC 6675 5 (4.3) / RFC 6582 3.2 step 5 /
        // RFC 6298 5.4: the first unacknowledged segment goes out now,
        // whatever the window.
        if self.head_rtx_due() {
            return Plan::Send(self.rtx_seg(self.snd_una, pm, SegKind::Head));
        }
        let flight = self.bytes_in_flight();
        let wnd = self.send_window(ctx.cwnd);
        let smss = self.smss as u64;
        // Always let one segment out when nothing is in flight.
        let room = if flight == 0 {
            wnd.max(smss)
        } else {
            wnd.saturating_sub(flight)
        };
        match self.phase {
            Phase::Recovery if self.sack_mode => {
                // RFC 6675 5 (C): only while cwnd - pipe >= 1 SMSS.
                if room < smss {
                    return Plan::Blocked(Blocked::Cwnd);
                }
                let l = self.lost_end();
                let high_sack = self.sb.high_sacked().unwrap_or(self.snd_una);
                let s2 = self.sb.next_unsacked(self.high_rxt.max(self.snd_una));
                // RFC 6675 4 NextSeg (1): above HighRxt (1.a), below HighSACK
                // (1.b), IsLost (1.c).
                if s2 < l && s2 < high_sack {
                    return Plan::Send(self.rtx_seg(s2, pm, SegKind::Lost));
                }
                // NextSeg (2): new data, if the receiver's window allows.
                let why = match self.new_data(ctx, pm, room) {
                    Ok(p) => return Plan::Send(p),
                    Err(why) => why,
                };
                // NextSeg (3): unSACKed, above HighRxt, below HighSACK.
                if s2 < high_sack {
                    return Plan::Send(self.rtx_seg(s2, pm, SegKind::Rule3));
                }
                // NextSeg (4): one rescue retransmission per recovery,
                // holding the highest outstanding unSACKed octet.
                if !self.rescue_done
                    && let Some(h) = self.sb.highest_unsacked_below(self.snd_una, self.snd_max)
                {
                    return Plan::Send(self.rescue_seg(h, pm));
                }
                Plan::Blocked(why)
            }
            Phase::Loss => {
                if room < smss.min(self.unsent_or_lost_len(pm)) {
                    return Plan::Blocked(Blocked::Cwnd);
                }
                // RFC 6298 5.4 + RFC 5681 3.1: go back to the first
                // unacknowledged octet and retransmit in order, in slow
                // start; RFC 6675 5.1: skipping what was SACKed since.
                let s = self.sb.next_unsacked(self.high_rxt.max(self.snd_una));
                if s < self.recover {
                    return Plan::Send(self.rtx_seg(s, pm, SegKind::Lost));
                }
                match self.new_data(ctx, pm, room) {
                    Ok(p) => Plan::Send(p),
                    Err(w) => Plan::Blocked(w),
                }
            }
            _ => match self.new_data(ctx, pm, room) {
                Ok(p) => Plan::Send(p),
                Err(w) => Plan::Blocked(w),
            },
        }
    }

    /// Length of the next loss-phase transmission, to compare with the room.
    fn unsent_or_lost_len(&self, pm: u32) -> u64 {
        let s = self.sb.next_unsacked(self.high_rxt.max(self.snd_una));
        if s < self.recover {
            return pm as u64;
        }
        (self.write_end - self.snd_max.min(self.write_end)).clamp(1, pm as u64)
    }

    /// Previously unsent data (or the FIN) that the windows allow.
    fn new_data(&self, ctx: &PlanCtx, pm: u32, room: u64) -> Result<SegPlan, Blocked> {
        let seq = self.snd_max;
        let right = self.snd_una + self.snd_wnd;
        if seq < self.write_end {
            let c = self.chunk_at(seq);
            let want = (pm as u64).min(c.end() - seq);
            let usable = right.saturating_sub(seq);
            let mut len = want;
            if usable < want {
                // RFC 9293 3.8.6.2.1 sender SWS avoidance: a partial
                // segment only if it is at least half the largest window
                // offered (Linux `tcp_snd_wnd_test` waits for a full
                // segment; its persist timer sends what fits).
                if usable > 0 && (usable >= self.max_snd_wnd / 2 || ctx.sws_override) {
                    len = usable;
                } else {
                    return Err(Blocked::Rwnd);
                }
            }
            if len > room {
                return Err(Blocked::Cwnd);
            }
            let end = seq + len;
            // Nagle (RFC 9293 3.7.4, RFC 896) with Minshall's variant as
            // Linux `tcp_nagle_check`: a short segment at the tail waits
            // while an earlier short segment is unacknowledged, unless the
            // application closed (Linux pushes with Nagle off then). A
            // short segment at a chunk boundary with more data behind is
            // not held (Linux applies Nagle to the last skb only).
            if ctx.nagle && len < pm as u64 && end == self.write_end && !self.fin_queued && self.snd_sml > self.snd_una
            {
                return Err(Blocked::Nagle);
            }
            // Piggyback the FIN on the last segment if the window holds it.
            let fin = self.fin_queued && !self.fin_sent && end == self.write_end && end < right;
            return Ok(SegPlan {
                start: seq,
                len: len as u32,
                fin,
                kind: SegKind::New,
                mapping: c.tag.map(|t| (t, c.start, c.len as u32)),
                full_len: pm,
            });
        }
        if self.fin_queued && !self.fin_sent && seq == self.write_end {
            // The FIN takes one sequence number of the peer's window (Linux
            // `tcp_snd_wnd_test`).
            if right <= seq {
                return Err(Blocked::Rwnd);
            }
            if room == 0 {
                return Err(Blocked::Cwnd);
            }
            return Ok(SegPlan {
                start: seq,
                len: 0,
                fin: true,
                kind: SegKind::New,
                mapping: None,
                full_len: pm,
            });
        }
        Err(Blocked::NoData)
    }

    /// A retransmission starting at `s`: up to one segment, within one
    /// chunk, stopping before SACKed data.
    fn rtx_seg(&self, s: u64, pm: u32, kind: SegKind) -> SegPlan {
        let data_end = self.write_end.min(self.snd_max);
        if s >= data_end {
            // Only the FIN is left to retransmit.
            return SegPlan {
                start: self.write_end,
                len: 0,
                fin: true,
                kind,
                mapping: None,
                full_len: pm,
            };
        }
        let c = self.chunk_at(s);
        let mut end = (s + pm as u64).min(c.end()).min(data_end);
        if let Some(ns) = self.sb.next_sacked_after(s) {
            end = end.min(ns);
        }
        let len = (end - s) as u32;
        SegPlan {
            start: s,
            len,
            fin: self.fin_sent && end == self.write_end,
            kind,
            mapping: c.tag.map(|t| (t, c.start, c.len as u32)),
            full_len: pm,
        }
    }

    /// RFC 6675 NextSeg (4): a segment ending with the highest unSACKed
    /// octet `h`.
    fn rescue_seg(&self, h: u64, pm: u32) -> SegPlan {
        if h >= self.write_end {
            return self.rtx_seg(self.write_end, pm, SegKind::Rescue);
        }
        let c = self.chunk_at(h);
        let mut start = (h + 1).saturating_sub(pm as u64).max(c.start).max(self.snd_una);
        // Do not include SACKed octets below h.
        let below = self.sb.ranges().take_while(|r| r.1 <= h).last();
        if let Some((_, e)) = below {
            start = start.max(e);
        }
        let len = (h + 1 - start) as u32;
        SegPlan {
            start,
            len,
            fin: self.fin_sent && h + 1 == self.write_end,
            kind: SegKind::Rescue,
            mapping: c.tag.map(|t| (t, c.start, c.len as u32)),
            full_len: pm,
        }
    }

    /// Records a transmission decided by [`Sender::plan`].
    pub fn on_sent(&mut self, p: &SegPlan, now: SimTime, cwnd: u64) {
        let end = p.end();
        match p.kind {
            SegKind::New => {
                debug_assert_eq!(p.start, self.snd_max);
                self.records.push_back(SentRec {
                    start: p.start,
                    end,
                    sent_at: now,
                    retransmitted: false,
                    sacked: false,
                });
                self.snd_max = end;
                if p.fin {
                    self.fin_sent = true;
                }
                if p.len < p.full_len {
                    self.snd_sml = end;
                }
                if self.phase == Phase::Open && self.dupacks > 0 {
                    self.limited_tx_bytes += p.len as u64;
                }
                // Linux `tcp_cwnd_validate`.
                let flight = self.bytes_in_flight();
                self.max_flight_cur = self.max_flight_cur.max(flight);
                // In packets Linux tests in_flight >= cwnd; in bytes that is
                // "no room left for another full segment" (the window need
                // not be a multiple of the segment size).
                if flight + self.smss as u64 > cwnd {
                    self.cwnd_limited_latch = true;
                }
            }
            kind => {
                self.mark_retransmitted(p.start, end);
                if kind == SegKind::Head {
                    self.head_rtx_pending = false;
                }
                if kind == SegKind::Rescue {
                    // RFC 6675 NextSeg (4): RescueRxt = RecoveryPoint;
                    // HighRxt is not updated.
                    self.rescue_done = true;
                } else {
                    // RFC 6675 5 (C.2) / (4.3): HighRxt follows the
                    // retransmission.
                    self.high_rxt = self.high_rxt.max(end);
                }
            }
        }
    }

    /// The congestion window stopped a send with data waiting.
    pub fn note_cwnd_blocked(&mut self) {
        self.cwnd_limited_latch = true;
    }

    /// Linux `tcp_is_cwnd_limited`: in slow start, cwnd may grow while it is
    /// below twice the largest flight of the last window; otherwise only if
    /// the window was filled in the last or current round.
    pub fn is_cwnd_limited(&self, cwnd: u64, in_slow_start: bool) -> bool {
        if in_slow_start {
            return cwnd < 2 * self.max_flight_cur.max(self.max_flight_prev);
        }
        self.cwnd_limited_latch || self.cwnd_limited_prev
    }

    fn mark_retransmitted(&mut self, start: u64, end: u64) {
        let mut i = self.records.partition_point(|r| r.end <= start);
        while i < self.records.len() && self.records[i].start < end {
            self.records[i].retransmitted = true;
            i += 1;
        }
    }

    /// Processes the ACK fields of an acceptable segment (RFC 9293
    /// 3.10.7.4 fifth check, RFC 5681, RFC 6675, RFC 6582).
    #[allow(clippy::too_many_arguments)]
    pub fn on_ack(
        &mut self,
        now: SimTime,
        seg_seq: u64,
        ack: u64,
        wnd: u64,
        sack: &[SackBlock],
        is_pure: bool,
    ) -> AckOutcome {
        let mut out = AckOutcome::default();
        if ack > self.snd_max {
            out.too_new = true;
            return out;
        }
        let old_una = self.snd_una;
        out.flight_before = self.bytes_in_flight();
        let window_changed = wnd != self.snd_wnd;

        // Cumulative acknowledgement.
        if ack > old_una {
            let mut first_sent = None;
            while let Some(r) = self.records.front() {
                if r.end > ack {
                    break;
                }
                if r.retransmitted {
                    out.retransmitted_acked = true;
                } else if first_sent.is_none() && !r.sacked {
                    first_sent = Some(r.sent_at);
                }
                self.records.pop_front();
            }
            // RFC 6298 3 (Karn): no sample if retransmitted data is acked;
            // the oldest newly acknowledged segment gives it (Linux
            // `seq_rtt_us` from `first_ackt`).
            if !out.retransmitted_acked {
                out.rtt_sample = first_sent.map(|t| now.saturating_since(t));
            }
            while let Some(c) = self.chunks.front() {
                if c.end() <= ack {
                    self.chunks.pop_front();
                } else {
                    break;
                }
            }
            // Bytes SACKed before an RTO cleared the scoreboard were
            // delivered then; those not SACKed again since are not new now.
            let stale_sacked = self.pre_rto_sacked.sacked_in(old_una, ack)
                - self
                    .sb
                    .ranges()
                    .map(|(s, e)| {
                        let (s, e) = (s.max(old_una), e.min(ack));
                        if s < e { self.pre_rto_sacked.sacked_in(s, e) } else { 0 }
                    })
                    .sum::<u64>();
            self.pre_rto_sacked.advance(ack);
            let sacked_removed = self.sb.advance(ack);
            out.acked = ack - old_una;
            out.delivered = out.acked - sacked_removed - stale_sacked;
            self.snd_una = ack;
            self.high_rxt = self.high_rxt.max(ack);
            if self.fin_sent && ack == self.write_end + 1 {
                out.fin_acked = true;
            }
            self.roll_cwnd_window();
        }

        // RFC 6675 4 Update(): record the SACK blocks (data only, above
        // the cumulative ACK).
        let mut newly_sacked = 0;
        let mut resacked = 0;
        if self.sack_mode {
            let top = self.snd_max.min(self.write_end);
            // The newly SACKed parts, for RTT samples (at most a few per
            // ACK; beyond the array they only miss the sample).
            let mut parts = [(0u64, 0u64); 8];
            let mut n_parts = 0;
            for b in sack {
                let l = b.left.max(self.snd_una);
                let r = b.right.min(top);
                if l < r {
                    newly_sacked += self.sb.add_each_new(l, r, |a, b| {
                        resacked += self.pre_rto_sacked.sacked_in(a, b);
                        if n_parts < parts.len() {
                            parts[n_parts] = (a, b);
                            n_parts += 1;
                        }
                    });
                }
            }
            out.sack_rtt_sample = self.sack_rtt(now, &parts[..n_parts]);
        }
        // Linux counts a segment in `tp->delivered` once: the SACKed tag
        // survives `tcp_enter_loss`, so a re-SACK or the cumulative ACK that
        // follows an RTO does not count it again.
        out.delivered += newly_sacked - resacked;

        // RFC 9293 3.10.7.4: update the window if SND.UNA =< SEG.ACK and
        // (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)).
        if ack >= old_una && (self.snd_wl1 < seg_seq || (self.snd_wl1 == seg_seq && self.snd_wl2 <= ack)) {
            out.window_grew = wnd > self.snd_wnd;
            self.snd_wnd = wnd;
            self.snd_wl1 = seg_seq;
            self.snd_wl2 = ack;
            self.max_snd_wnd = self.max_snd_wnd.max(wnd);
        }

        out.is_dupack = if self.sack_mode {
            // RFC 6675 2: an ACK carrying SACK information for new data.
            newly_sacked > 0
        } else {
            // RFC 5681 2: (a) outstanding data, (b) no data, (c) no SYN/FIN,
            // (d) SEG.ACK = SND.UNA, (e) the same window.
            old_una < self.snd_max && is_pure && ack == old_una && !window_changed
        };

        let smss = self.smss as u64;
        match self.phase {
            Phase::Open => {
                if ack > old_una {
                    // RFC 6675 5 / RFC 5681: a cumulative ACK resets DupAcks.
                    self.dupacks = 0;
                    self.limited_tx_bytes = 0;
                }
                // RFC 6582 3.2 step 1 / RFC 6675 5.1: no new recovery until
                // the previous recovery point is acknowledged.
                if out.is_dupack && self.snd_una >= self.recover {
                    self.dupacks += 1;
                    let enter = if self.sack_mode {
                        // RFC 6675 5 (1) DupAcks >= DupThresh, or (2)
                        // IsLost(HighACK + 1).
                        self.dupacks >= DUP_THRESH || self.sb.is_lost(self.snd_una, DUP_THRESH, self.smss)
                    } else {
                        // RFC 5681 3.2 step 2: the third duplicate ACK.
                        self.dupacks == DUP_THRESH
                    };
                    if enter {
                        self.enter_recovery(&mut out);
                    }
                }
            }
            Phase::Recovery => {
                if ack >= self.recover {
                    // RFC 6675 5 (A) / RFC 6582 3.2 step 3 (full ACK): exit.
                    // The scoreboard above HighACK is kept.
                    self.phase = Phase::Open;
                    self.dupacks = 0;
                    self.limited_tx_bytes = 0;
                    out.exited_recovery = true;
                    out.restart_rto = true;
                } else if !self.sack_mode {
                    if ack > old_una {
                        // RFC 6582 3.2 step 5: partial ACK: retransmit the
                        // first unacknowledged segment, deflate by the
                        // amount acknowledged, add back one SMSS if at
                        // least one SMSS was acknowledged; restart the
                        // timer on the first partial ACK only ("Impatient").
                        out.partial_ack = true;
                        self.head_rtx_pending = true;
                        self.nr_cwnd = self.nr_cwnd.saturating_sub(out.acked);
                        if out.acked >= smss {
                            self.nr_cwnd += smss;
                        }
                        self.nr_cwnd = self.nr_cwnd.max(smss);
                        out.restart_rto = !self.nr_partial_seen;
                        self.nr_partial_seen = true;
                    } else if out.is_dupack {
                        // RFC 6582 3.2 step 4 / RFC 5681 3.2 step 4: inflate.
                        self.nr_cwnd += smss;
                    }
                } else if ack > old_una {
                    // RFC 6675 5 (B); RFC 6298 5.3 restarts the timer.
                    out.partial_ack = true;
                    out.restart_rto = true;
                }
            }
            Phase::Loss => {
                if ack >= self.recover {
                    self.phase = Phase::Open;
                    self.dupacks = 0;
                    out.exited_loss = true;
                }
                if ack > old_una {
                    out.restart_rto = true;
                }
            }
        }
        if self.phase == Phase::Open && ack > old_una {
            // RFC 6298 5.3.
            out.restart_rto = true;
        }
        out
    }

    /// Marks the records wholly SACKed by the `parts` just SACKed and
    /// returns the RTT of the oldest never-retransmitted one (Linux
    /// `tcp_sacktag_one` / `first_sackt`; RFC 6298 3 for the exclusion).
    fn sack_rtt(&mut self, now: SimTime, parts: &[(u64, u64)]) -> Option<SimDuration> {
        let mut first: Option<SimTime> = None;
        for &(a, b) in parts {
            let mut i = self.records.partition_point(|r| r.end <= a);
            while i < self.records.len() && self.records[i].start < b {
                let r = self.records[i];
                if !r.sacked && self.sb.covers(r.start, r.end) {
                    self.records[i].sacked = true;
                    if !r.retransmitted {
                        first = Some(first.map_or(r.sent_at, |f| f.min(r.sent_at)));
                    }
                }
                i += 1;
            }
        }
        first.map(|t| now.saturating_since(t))
    }

    fn enter_recovery(&mut self, out: &mut AckOutcome) {
        // RFC 6675 5 (4.1) / RFC 6582 3.2 step 2: RecoveryPoint = HighData.
        self.recover = self.snd_max;
        self.phase = Phase::Recovery;
        // RFC 5681 3.2 step 2: FlightSize without limited-transmit segments.
        out.congestion_flight = (self.snd_max - self.snd_una).saturating_sub(self.limited_tx_bytes);
        out.entered_recovery = true;
        // RFC 6675 5 (4.3): retransmit HighACK + 1; HighRxt follows.
        self.high_rxt = self.snd_una;
        self.head_rtx_pending = true;
        self.rescue_done = false;
        self.nr_partial_seen = false;
    }

    /// RFC 6582 3.2 step 2: cwnd = ssthresh + 3 * SMSS (call after the
    /// congestion control has set ssthresh).
    pub fn set_newreno_window(&mut self, ssthresh: u64) {
        self.nr_cwnd = ssthresh + DUP_THRESH as u64 * self.smss as u64;
    }

    /// The retransmission timer expired with data outstanding: enter the
    /// loss phase. Returns what the congestion control needs (RFC 5681 3.1).
    pub fn on_rto(&mut self) -> RtoOutcome {
        // RFC 5681 3.1 eq. (4): FlightSize is "the amount of outstanding data
        // in the network". SACKed bytes have left it. Counting them, a
        // timeout with SND.UNA stuck at a lost retransmission set ssthresh
        // from everything recovery or the loss phase had sent past it since
        // (several times cwnd), the loss phase slow-started to that, and
        // under heavy loss ssthresh ratcheted up at every timeout.
        let flight = (self.snd_max - self.snd_una).saturating_sub(self.sb.sacked_bytes());
        // RFC 5681 3.1: "when ... the given segment has already been
        // retransmitted by way of the retransmission timer at least once,
        // the value of ssthresh is held constant": the previous timeout
        // retransmitted the segment at SND.UNA (RFC 6298 5.4) and the
        // cumulative ACK has not passed it since. SACKs of other data do
        // not make it a new loss (Linux `tcp_enter_loss` holds ssthresh
        // while `icsk_retransmits` is non-zero, i.e. until SND.UNA
        // advances).
        let repeated = self.phase == Phase::Loss && self.snd_una == self.rto_una && !self.head_rtx_pending;
        self.rto_una = self.snd_una;
        // RFC 6675 5.1: RecoveryPoint = HighData, recovery terminated, no
        // new recovery until it is acknowledged; the scoreboard is reset
        // (RFC 2018 8). RFC 6582 4: recover = highest sequence sent.
        self.recover = self.snd_max;
        self.phase = Phase::Loss;
        for (s, e) in self.sb.ranges() {
            self.pre_rto_sacked.add(s, e);
        }
        self.sb.clear();
        self.high_rxt = self.snd_una;
        self.dupacks = 0;
        self.limited_tx_bytes = 0;
        // RFC 6298 5.4: retransmit the earliest unacknowledged segment.
        self.head_rtx_pending = true;
        self.rescue_done = false;
        RtoOutcome { flight, repeated }
    }

    fn roll_cwnd_window(&mut self) {
        if self.snd_una >= self.cwnd_window_end {
            self.cwnd_limited_prev = self.cwnd_limited_latch;
            self.cwnd_limited_latch = false;
            self.max_flight_prev = self.max_flight_cur;
            self.max_flight_cur = 0;
            self.cwnd_window_end = self.snd_max;
        }
    }

    /// Number of segment records kept (one per unacknowledged transmission
    /// of new data).
    pub fn records_len(&self) -> usize {
        self.records.len()
    }

    pub fn chunks_len(&self) -> usize {
        self.chunks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: u64 = 1_000;
    const MSS: u32 = 1000;

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    fn ctx(cwnd: u64) -> PlanCtx {
        PlanCtx {
            cwnd,
            payload_max: MSS,
            nagle: true,
            sws_override: false,
        }
    }

    /// An established sender (SACK mode unless `sack` is false) with
    /// `queued` bytes queued, a 1 MB peer window, that has sent `sent`
    /// full segments at t = 0.
    fn fixture(sack: bool, queued: u64, sent: usize) -> Sender {
        let mut s = Sender::new(ISS, 1 << 30, MSS);
        s.sack_mode = sack;
        s.on_syn_sent();
        s.on_syn_acked(0, ISS + 1, 1 << 20);
        s.queue(queued, None);
        for _ in 0..sent {
            let Plan::Send(p) = s.plan(&ctx(u64::MAX / 4)) else {
                panic!("cannot send")
            };
            s.on_sent(&p, t(0), u64::MAX / 4);
        }
        s
    }

    fn seq(i: u64) -> u64 {
        ISS + 1 + i * MSS as u64
    }

    fn sack(l: u64, r: u64) -> [SackBlock; 1] {
        [SackBlock {
            left: seq(l),
            right: seq(r),
        }]
    }

    fn send(s: &mut Sender, cwnd: u64) -> Option<SegPlan> {
        match s.plan(&ctx(cwnd)) {
            Plan::Send(p) => {
                s.on_sent(&p, t(1), cwnd);
                Some(p)
            }
            Plan::Blocked(_) => None,
        }
    }

    #[test]
    fn segments_follow_chunks_and_report_their_tags() {
        let mut s = Sender::new(ISS, 1 << 20, MSS);
        s.on_syn_sent();
        s.on_syn_acked(0, ISS + 1, 1 << 20);
        assert_eq!(s.queue(1500, Some(50_000)), 1500);
        // Every tagged queue call is its own chunk, even with contiguous
        // tags: a chunk's mapping never changes once sent.
        assert_eq!(s.queue(500, Some(51_500)), 500);
        assert_eq!(s.queue(700, Some(90_000)), 700);
        assert_eq!(s.chunks_len(), 3);
        let a = send(&mut s, 1 << 20).unwrap();
        let b = send(&mut s, 1 << 20).unwrap();
        let c = send(&mut s, 1 << 20).unwrap();
        // Segments never straddle chunks; each reports its whole chunk.
        assert_eq!((a.len, a.mapping), (1000, Some((50_000, ISS + 1, 1500))));
        assert_eq!((b.len, b.mapping), (500, Some((50_000, ISS + 1, 1500))));
        assert_eq!((c.len, c.mapping), (500, Some((51_500, ISS + 1501, 500))));
    }

    #[test]
    fn the_send_buffer_accepts_only_its_free_space() {
        let mut s = Sender::new(ISS, 3000, MSS);
        assert_eq!(s.queue(5000, None), 3000);
        assert_eq!(s.queue(1, None), 0);
        s.close();
        assert!(s.fin_queued);
    }

    #[test]
    fn a_cumulative_ack_gives_an_rtt_sample_from_the_oldest_acked_segment() {
        let mut s = fixture(true, 10_000, 4);
        let o = s.on_ack(t(100), 0, seq(2), 1 << 20, &[], true);
        assert_eq!(o.acked, 2000);
        assert_eq!(o.rtt_sample, Some(SimDuration::from_millis(100)));
        assert_eq!(s.records_len(), 2);
    }

    #[test]
    fn a_newly_sacked_segment_gives_an_rtt_sample_once() {
        let mut s = fixture(true, 10_000, 4);
        let o = s.on_ack(t(30), 0, seq(0), 1 << 20, &sack(2, 3), true);
        assert_eq!(o.sack_rtt_sample, Some(SimDuration::from_millis(30)));
        let o = s.on_ack(t(40), 0, seq(0), 1 << 20, &sack(2, 3), true);
        assert_eq!(o.sack_rtt_sample, None);
        // The cumulative ACK later covering it does not sample it again:
        // segment 0 gives the sample.
        let o = s.on_ack(t(50), 0, seq(3), 1 << 20, &[], true);
        assert_eq!(o.rtt_sample, Some(SimDuration::from_millis(50)));
    }

    #[test]
    fn karns_rule_excludes_retransmitted_segments_from_rtt_samples() {
        let mut s = fixture(true, 10_000, 4);
        s.on_rto();
        let p = send(&mut s, 1000).unwrap();
        assert_eq!((p.start, p.kind), (seq(0), SegKind::Head));
        let o = s.on_ack(t(500), 0, seq(2), 1 << 20, &[], true);
        assert!(o.retransmitted_acked);
        assert_eq!(o.rtt_sample, None);
        // The next segment was never retransmitted: it gives a sample.
        let o = s.on_ack(t(600), 0, seq(3), 1 << 20, &[], true);
        assert_eq!(o.rtt_sample, Some(SimDuration::from_millis(600)));
    }

    #[test]
    fn three_sacked_segments_above_a_hole_enter_sack_recovery_and_retransmit_it() {
        let mut s = fixture(true, 20_000, 10);
        for k in 1..=3 {
            let o = s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 1 + k), true);
            assert!(o.is_dupack);
            assert_eq!(o.entered_recovery, k == 3, "dupack {k}");
        }
        assert_eq!(s.phase, Phase::Recovery);
        assert_eq!(s.recover, seq(10));
        s.set_newreno_window(0);
        let p = send(&mut s, 5000).unwrap();
        assert_eq!((p.start, p.len, p.kind), (seq(0), MSS, SegKind::Head));
        assert_eq!(s.high_rxt, seq(1));
    }

    #[test]
    fn limited_transmit_sends_one_new_segment_per_duplicate_ack() {
        let mut s = fixture(true, 20_000, 10);
        let cwnd = 10 * MSS as u64;
        assert!(send(&mut s, cwnd).is_none());
        s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 2), true);
        assert_eq!(send(&mut s, cwnd).map(|p| p.start), Some(seq(10)));
        assert!(send(&mut s, cwnd).is_none());
        s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 3), true);
        assert_eq!(send(&mut s, cwnd).map(|p| p.start), Some(seq(11)));
        // Entering recovery, FlightSize excludes the two limited-transmit
        // segments (RFC 5681 3.2).
        let o = s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 4), true);
        assert!(o.entered_recovery);
        assert_eq!(o.congestion_flight, 10 * MSS as u64);
    }

    #[test]
    fn pipe_counts_unsacked_not_lost_octets_plus_retransmitted_ones() {
        let mut s = fixture(true, 20_000, 10);
        // Segments 1..=4 SACKed: 0 lost; 5..=9 in flight.
        s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 5), true);
        assert_eq!(s.phase, Phase::Recovery);
        assert_eq!(s.pipe(), 5000);
        send(&mut s, 6000).unwrap();
        assert_eq!(s.pipe(), 6000);
    }

    #[test]
    fn nextseg_retransmits_lost_holes_then_new_data_then_the_rescue() {
        let mut s = fixture(true, 20_000, 10);
        // Holes at 0 and 2; SACKed 1, 3, 4, 5.
        s.on_ack(
            t(10),
            0,
            seq(0),
            1 << 20,
            &[
                SackBlock {
                    left: seq(3),
                    right: seq(6),
                },
                SackBlock {
                    left: seq(1),
                    right: seq(2),
                },
            ],
            true,
        );
        assert_eq!(s.phase, Phase::Recovery);
        let big = 100 * MSS as u64;
        assert_eq!(
            send(&mut s, big).map(|p| (p.start, p.kind)),
            Some((seq(0), SegKind::Head))
        );
        assert_eq!(
            send(&mut s, big).map(|p| (p.start, p.kind)),
            Some((seq(2), SegKind::Lost))
        );
        // 6..=9 are not lost (nothing SACKed above them): rule 2 sends new data.
        assert_eq!(
            send(&mut s, big).map(|p| (p.start, p.kind)),
            Some((seq(10), SegKind::New))
        );
    }

    #[test]
    fn the_rescue_retransmission_holds_the_highest_unsacked_octet() {
        let mut s = fixture(true, 10_000, 10);
        s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 9), true);
        let big = 100 * MSS as u64;
        assert_eq!(send(&mut s, big).map(|p| p.kind), Some(SegKind::Head));
        // No new data; rule 3 has nothing below HighSACK; rule 4: segment 9.
        let p = send(&mut s, big).unwrap();
        assert_eq!((p.start, p.len, p.kind), (seq(9), MSS, SegKind::Rescue));
        assert!(send(&mut s, big).is_none());
    }

    #[test]
    fn a_full_ack_ends_recovery_and_keeps_the_scoreboard_above_it() {
        let mut s = fixture(true, 20_000, 10);
        s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 4), true);
        let o = s.on_ack(t(20), 0, seq(5), 1 << 20, &sack(6, 7), true);
        assert!(o.partial_ack);
        let o = s.on_ack(t(30), 0, seq(10), 1 << 20, &[], true);
        assert!(o.exited_recovery);
        assert_eq!(s.phase, Phase::Open);
    }

    #[test]
    fn newreno_partial_acks_retransmit_the_next_hole_and_deflate_the_window() {
        let mut s = fixture(false, 20_000, 10);
        for _ in 0..3 {
            s.on_ack(t(10), 0, seq(0), 1 << 20, &[], true);
        }
        assert_eq!(s.phase, Phase::Recovery);
        s.set_newreno_window(5 * MSS as u64);
        assert_eq!(s.send_window(0), 8 * MSS as u64);
        assert_eq!(send(&mut s, 0).map(|p| p.start), Some(seq(0)));
        // A fourth duplicate inflates by one SMSS.
        s.on_ack(t(10), 0, seq(0), 1 << 20, &[], true);
        assert_eq!(s.send_window(0), 9 * MSS as u64);
        // Partial ACK of two segments: deflate by 2, add back 1.
        let o = s.on_ack(t(20), 0, seq(2), 1 << 20, &[], true);
        assert!(o.partial_ack && o.restart_rto);
        assert_eq!(s.send_window(0), 8 * MSS as u64);
        assert_eq!(
            send(&mut s, 0).map(|p| (p.start, p.kind)),
            Some((seq(2), SegKind::Head))
        );
        // The second partial ACK does not restart the timer (Impatient).
        let o = s.on_ack(t(30), 0, seq(3), 1 << 20, &[], true);
        assert!(o.partial_ack && !o.restart_rto);
        let o = s.on_ack(t(40), 0, seq(10), 1 << 20, &[], true);
        assert!(o.exited_recovery);
    }

    #[test]
    fn without_sack_only_rfc_5681_duplicates_count() {
        let mut s = fixture(false, 20_000, 10);
        // A window change is not a duplicate (RFC 5681 2 (e)).
        assert!(!s.on_ack(t(10), 0, seq(0), 1 << 19, &[], true).is_dupack);
        // A segment with data is not a duplicate (b).
        assert!(!s.on_ack(t(10), 0, seq(0), 1 << 19, &[], false).is_dupack);
        assert!(s.on_ack(t(10), 0, seq(0), 1 << 19, &[], true).is_dupack);
    }

    #[test]
    fn an_rto_resets_the_scoreboard_and_retransmits_in_order_from_snd_una() {
        let mut s = fixture(true, 20_000, 6);
        s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(2, 3), true);
        // FlightSize: 6 segments outstanding, one of them SACKed.
        let rto = s.on_rto();
        assert_eq!((rto.flight, rto.repeated), (5000, false));
        assert!(s.sb.is_empty());
        assert_eq!(s.phase, Phase::Loss);
        let mss = MSS as u64;
        assert_eq!(send(&mut s, mss).map(|p| p.start), Some(seq(0)));
        assert!(send(&mut s, mss).is_none());
        // A SACK received after the RTO is used: segment 1 is skipped.
        s.on_ack(t(20), 0, seq(1), 1 << 20, &sack(1, 2), true);
        assert_eq!(send(&mut s, 2 * mss).map(|p| p.start), Some(seq(2)));
        s.on_ack(t(30), 0, seq(6), 1 << 20, &[], true);
        assert_eq!(s.phase, Phase::Open);
    }

    #[test]
    fn a_timeout_reports_unsacked_flight_and_holds_only_for_the_segment_the_timer_resent() {
        let mut s = fixture(true, 20_000, 10);
        let mss = MSS as u64;
        // Fast recovery: 1..=7 SACKed, the fast retransmission of 0 goes out.
        s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 8), true);
        assert_eq!(s.phase, Phase::Recovery);
        assert_eq!(send(&mut s, mss).map(|p| p.kind), Some(SegKind::Head));
        // It is lost: FlightSize is 0, 8 and 9 (RFC 5681 3.1 "outstanding
        // data in the network"), not the 10 segments above SND.UNA; a fast
        // retransmission is not one "by way of the retransmission timer".
        let first = s.on_rto();
        assert_eq!((first.flight, first.repeated), (3 * mss, false));
        assert_eq!(
            send(&mut s, mss).map(|p| (p.start, p.kind)),
            Some((seq(0), SegKind::Head))
        );
        // SACKs after the timeout (8, 9) do not end the hold: segment 0
        // times out again.
        s.on_ack(t(20), 0, seq(0), 1 << 20, &sack(8, 10), true);
        let second = s.on_rto();
        assert_eq!((second.flight, second.repeated), (8 * mss, true));
        assert_eq!(send(&mut s, mss).map(|p| p.start), Some(seq(0)));
        // The cumulative ACK passes segment 0: a timeout of segment 1 (not
        // the one the timer resent) sets ssthresh again.
        s.on_ack(t(30), 0, seq(1), 1 << 20, &[], true);
        let third = s.on_rto();
        assert_eq!((third.flight, third.repeated), (9 * mss, false));
    }

    #[test]
    fn data_sacked_before_a_timeout_is_not_delivered_again_by_the_ack_after_it() {
        // The MPTCP "subflow a" cycle: 1..=9 SACKed above a lost head, an RTO
        // clears the scoreboard (RFC 2018 8) with one segment in flight, and
        // the retransmitted head's cumulative ACK covers all ten. Only that
        // one segment is new: counting the nine SACKed ones again handed
        // CUBIC a 290 kB "ACK" after an RTO with ssthresh 2 MSS, and
        // W_est (RFC 9438 4.3) jumped from 1 to ~55 segments in one ACK.
        let mut s = fixture(true, 20_000, 10);
        let mss = MSS as u64;
        let o = s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 10), true);
        assert_eq!(o.delivered, 9 * mss);
        let rto = s.on_rto();
        assert_eq!(rto.flight, mss);
        assert_eq!(send(&mut s, mss).map(|p| p.kind), Some(SegKind::Head));
        // A SACK after the timeout repeating 8..10 delivers nothing new.
        let o = s.on_ack(t(20), 0, seq(0), 1 << 20, &sack(8, 10), true);
        assert_eq!(o.delivered, 0);
        let o = s.on_ack(t(30), 0, seq(10), 1 << 20, &[], true);
        assert_eq!((o.acked, o.delivered), (10 * mss, mss));
    }

    #[test]
    fn a_zero_window_blocks_new_data_and_a_small_one_waits_for_half_the_max() {
        let mut s = fixture(true, 20_000, 0);
        s.on_ack(t(0), 1, ISS + 1, 0, &[], true);
        assert_eq!(s.plan(&ctx(1 << 20)), Plan::Blocked(Blocked::Rwnd));
        s.max_snd_wnd = 10_000;
        s.on_ack(t(0), 2, ISS + 1, 400, &[], true);
        assert_eq!(s.plan(&ctx(1 << 20)), Plan::Blocked(Blocked::Rwnd));
        let mut c = ctx(1 << 20);
        c.sws_override = true;
        assert!(matches!(s.plan(&c), Plan::Send(p) if p.len == 400));
    }

    #[test]
    fn nagle_holds_a_short_tail_while_a_short_segment_is_unacknowledged() {
        let mut s = fixture(true, 0, 0);
        s.queue(300, None);
        assert_eq!(send(&mut s, 1 << 20).map(|p| p.len), Some(300));
        s.queue(300, None);
        assert_eq!(s.plan(&ctx(1 << 20)), Plan::Blocked(Blocked::Nagle));
        s.on_ack(t(10), 0, ISS + 301, 1 << 20, &[], true);
        assert_eq!(send(&mut s, 1 << 20).map(|p| p.len), Some(300));
    }

    #[test]
    fn the_fin_rides_on_the_last_segment() {
        let mut s = fixture(true, 1500, 0);
        s.close();
        assert_eq!(send(&mut s, 1 << 20).map(|p| p.fin), Some(false));
        let p = send(&mut s, 1 << 20).unwrap();
        assert!(p.fin && p.len == 500);
        assert_eq!(s.snd_max, ISS + 1 + 1501);
        let o = s.on_ack(t(10), 0, s.snd_max, 1 << 20, &[], true);
        assert!(o.fin_acked);
    }
}
