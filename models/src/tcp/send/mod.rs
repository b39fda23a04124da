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
//! With `TcpConfig::prr`, SACK fast recovery sends as RFC 6937 PRR says
//! (`prr`) instead of RFC 6675's "while pipe < cwnd".
//!
//! With `TcpConfig::frto`, the loss phase runs F-RTO (`frto`): it may
//! send new data instead of retransmissions, and undo a spurious timeout.
//!
//! With `TcpConfig::rack_tlp` (and SACK), RACK (RFC 8985 6, `rack`) decides
//! what is lost in the open state and in fast recovery instead of RFC
//! 6675's `IsLost`: fast recovery starts when RACK marks a segment lost, and
//! retransmits the segments RACK marked, lost retransmissions included; the
//! tail loss probe (RFC 8985 7) runs in the open state.
//!
//! Simplified (observable): no undo of a fast recovery, no pacing, no TSO; a retransmitted
//! segment is re-cut from the byte stream (its boundaries may differ from
//! the original's, as RFC 9293 3.10.7.4 allows).
//!
//! What happens where (one `Sender`, its `impl` split by job):
//! - `mod.rs` (here): the send sequence variables and the recovery state
//!   ([`Sender`]), the records of transmitted new data (`SentRec`), the
//!   handshake, and the cwnd validation the congestion control asks about
//!   (Linux `tcp_cwnd_validate`).
//! - `buffer`: the send buffer as a deque of [`Chunk`]s: queueing, free
//!   space, the chunk holding a sequence number.
//! - `plan`: the send decision ([`Sender::plan`]: NextSeg, new data, the
//!   receiver's window, Nagle, the FIN) and the bookkeeping of what was
//!   sent ([`Sender::on_sent`]).
//! - `prr`: Proportional Rate Reduction (RFC 6937) during fast recovery.
//! - `frto`: F-RTO (RFC 5682), the detection of spurious timeouts.
//! - `rack`: RACK-TLP (RFC 8985): time-based loss detection and the tail
//!   loss probe, as rules over the records; `recovery` and `plan` apply them.
//! - `recovery`: the recovery phases ([`Phase`]), `SetPipe()` and the
//!   flight, the ACK ([`Sender::on_ack`]: cumulative ACK, SACK blocks,
//!   window update, duplicate ACKs, entering and leaving recovery) and the
//!   retransmission timeout ([`Sender::on_rto`]).
//! - `seek`: the record holding a sequence number.

mod buffer;
mod fast;
mod frto;
mod plan;
mod prr;
mod rack;
mod recovery;
mod seek;
mod tsorted;

use std::cell::Cell;
use std::collections::VecDeque;

use sim_core::{SimDuration, SimTime};

use super::scoreboard::Scoreboard;

pub use buffer::Chunk;
pub use frto::{Frto, FrtoStep, LossAck};
pub use plan::{Blocked, Plan, PlanCtx, SegKind};
pub use prr::Prr;
pub use rack::{Rack, TIMEOUT_MIN as RACK_TIMEOUT_MIN, Tlp, TlpAck, probe_timeout};
pub use recovery::{AckOutcome, Phase};

/// RFC 5681 3.2 / RFC 6675 2: DupThresh = 3.
pub const DUP_THRESH: u32 = 3;

/// One transmission of new data (or the FIN), for RTT samples and RACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SentRec {
    start: u64,
    end: u64,
    sent_at: SimTime,
    /// Its last transmission (RFC 8985 6.1 per-segment `xmit_ts`; Linux
    /// `skb_mstamp`): `sent_at`, or the time it was last resent.
    xmit_ts: SimTime,
    /// Retransmitted at least once: Karn's rule (RFC 6298 3) forbids a
    /// sample from it.
    retransmitted: bool,
    /// Wholly SACKed (its RTT was sampled then, if at all).
    sacked: bool,
    /// RACK marked it lost (Linux `TCPCB_LOST`).
    lost: bool,
    /// Resent after RACK marked it lost, and that copy is in flight (Linux
    /// `TCPCB_SACKED_RETRANS`).
    rtx_out: bool,
    /// The generation of its entry in `Sender::tsorted` (`tsorted`).
    ts_gen: u32,
}

/// Send-side state (RFC 9293 3.3.1 send sequence variables and the RFC
/// 6675 / RFC 6582 recovery variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    /// ISS, the initial send sequence number (RFC 9293 3.3.1); the SYN
    /// occupies it.
    pub iss: u64,
    /// SND.UNA (RFC 6675 HighACK + 1).
    pub snd_una: u64,
    /// Highest sequence number sent + 1 (RFC 6675 HighData + 1).
    pub snd_max: u64,
    /// End of the data the application queued.
    pub write_end: u64,
    /// The application closed: a FIN follows the data at `write_end`.
    pub fin_queued: bool,
    /// Our FIN has been sent.
    pub fin_sent: bool,
    /// SND.WND in bytes (already scaled).
    pub snd_wnd: u64,
    snd_wl1: u64,
    snd_wl2: u64,
    /// Largest window the peer offered (RFC 9293 3.8.6.2.1 Max(SND.WND)).
    pub max_snd_wnd: u64,
    /// Send buffer size, in bytes: queued data not yet acknowledged.
    pub snd_buf_bytes: u64,
    chunks: VecDeque<Chunk>,
    /// Chunks acknowledged and gone from the front of `chunks`: chunk `i`
    /// there is number `chunks_popped + i` counted from the first.
    chunks_popped: u64,
    /// The number of the chunk `chunk_at` last found (`buffer`): where it
    /// looks first, with the one after it, before searching.
    chunk_hint: Cell<u64>,
    records: VecDeque<SentRec>,
    /// Records acknowledged and gone from the front of `records`: record
    /// `i` there has id `records_popped + i` in `tsorted`.
    records_popped: u64,
    /// The records in transmit-time order, for RACK's loss walk (`tsorted`).
    tsorted: tsorted::TsOrder,
    /// The SACK scoreboard (RFC 6675 3): what the peer SACKed above SND.UNA.
    pub sb: Scoreboard,
    /// What the scoreboard held when a retransmission timeout cleared it
    /// (RFC 2018 8): data the receiver already reported, so already counted
    /// in [`AckOutcome::delivered`](recovery::AckOutcome::delivered); kept only to count it once.
    pre_rto_sacked: Scoreboard,
    /// The loss-recovery phase.
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
    /// DupAcks (RFC 6675 2, RFC 5681 3.2): duplicate ACKs counted in the
    /// open phase; reset by a cumulative ACK and when a recovery ends.
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
    /// RFC 3042 limited transmit in use.
    pub limited_transmit: bool,
    /// SMSS (RFC 5681 2) in bytes: the payload of a full segment without
    /// SACK blocks.
    pub smss: u32,
    // Linux `tcp_cwnd_validate` / `tcp_is_cwnd_limited`.
    cwnd_limited_latch: bool,
    cwnd_limited_prev: bool,
    cwnd_window_end: u64,
    max_flight_cur: u64,
    max_flight_prev: u64,
    /// RFC 6937 PRR of the current fast recovery, when PRR is on and SACK
    /// in use.
    prr: Option<Prr>,
    /// RFC 5682 F-RTO is on (`TcpConfig::frto`).
    pub frto_enabled: bool,
    /// F-RTO of the current loss phase, while it has not decided.
    frto: Option<Frto>,
    /// F-RTO step 2.b: send new data before retransmitting, until the next
    /// ACK.
    frto_new: bool,
    /// SND.NXT at the last timeout: data below it is presumed lost in the
    /// loss phase (RFC 6675 5.1). The loss phase ends at `recover`, which
    /// F-RTO may move further.
    loss_mark_end: u64,
    /// RACK-TLP (RFC 8985) is on (`TcpConfig::rack_tlp` and SACK in use):
    /// RACK replaces RFC 6675's `IsLost` in the open state and fast
    /// recovery, and the tail loss probe runs in the open state.
    pub rack_enabled: bool,
    /// RFC 8985 RACK state.
    rack: Rack,
    /// RFC 8985 TLP episode.
    tlp: Tlp,
    /// The probe timer fired: the next transmission is the loss probe.
    tlp_pending: bool,
    /// Bytes RACK marked lost and not resent since, not SACKed (Linux's
    /// LOST segments without SACKED_RETRANS), as ranges.
    rack_lost: Scoreboard,
    /// Outstanding records marked lost (Linux `lost_out`).
    lost_segs: u32,
    /// Outstanding records wholly SACKed (Linux `sacked_out`).
    sacked_segs: u32,
    /// min_rtt before the ACK being processed (Linux reads it in
    /// `tcp_rack_advance` before `tcp_ack_update_rtt` updates it); the
    /// endpoint sets it.
    pub min_rtt: Option<SimDuration>,
    /// Records the ACK being processed cumulatively acknowledged without a
    /// SACK before: RACK is advanced by them after the SACK blocks, as
    /// Linux runs `tcp_sacktag_write_queue` before `tcp_clean_rtx_queue`.
    rack_acked: Vec<(SimTime, u64, bool)>,
    /// Data delivered in all (bytes), for the reordering window's
    /// once-per-round rule.
    delivered_bytes: u64,
    /// Retransmissions RACK found lost (Linux `TCPLostRetransmit`).
    pub lost_retransmissions: u64,
}

impl Sender {
    /// A sender whose SYN takes `iss`, with a send buffer of
    /// `snd_buf_bytes` and an SMSS of `smss` bytes.
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
            chunks_popped: 0,
            chunk_hint: Cell::new(0),
            records: VecDeque::new(),
            records_popped: 0,
            tsorted: tsorted::TsOrder::default(),
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
            prr: None,
            frto_enabled: false,
            frto: None,
            frto_new: false,
            loss_mark_end: iss,
            rack_enabled: false,
            rack: Rack::new(),
            tlp: Tlp::default(),
            tlp_pending: false,
            rack_lost: Scoreboard::default(),
            lost_segs: 0,
            sacked_segs: 0,
            min_rtt: None,
            rack_acked: Vec::new(),
            delivered_bytes: 0,
            lost_retransmissions: 0,
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

    /// Whether everything sent is acknowledged (SND.UNA = `snd_max`).
    pub fn all_acked(&self) -> bool {
        self.snd_una == self.snd_max
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

    /// Fast recovery began with `cwnd_bytes` the window before the
    /// reduction: PRR (RFC 6937) governs sending until it ends (SACK only;
    /// NewReno keeps RFC 6582's inflation).
    pub fn start_prr(&mut self, cwnd_bytes: u64) {
        if self.sack_mode && self.phase == Phase::Recovery {
            self.prr = Some(Prr::start(cwnd_bytes));
        }
    }

    /// An ACK during PRR (RFC 6937 3 "on every ACK"): `delivered` bytes
    /// newly ACKed or SACKed, towards `ssthresh_bytes`.
    pub fn prr_on_ack(&mut self, delivered: u64, ssthresh_bytes: u64, una_advanced: bool) {
        if self.phase != Phase::Recovery {
            self.prr = None;
            return;
        }
        let pipe = self.pipe();
        let smss = self.smss as u64;
        if let Some(p) = self.prr.as_mut() {
            p.on_ack(delivered, pipe, ssthresh_bytes, una_advanced, smss);
        }
    }

    /// The number of chunks in the send buffer.
    pub fn chunks_len(&self) -> usize {
        self.chunks.len()
    }
}

#[cfg(test)]
mod fixtures {
    //! A sender in a known state, for the tests of each part.

    use super::plan::SegPlan;
    use super::*;
    use crate::segment::SackBlock;

    pub(super) const ISS: u64 = 1_000;
    pub(super) const MSS: u32 = 1000;

    pub(super) fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    pub(super) fn ctx(cwnd: u64) -> PlanCtx {
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
    pub(super) fn fixture(sack: bool, queued: u64, sent: usize) -> Sender {
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

    pub(super) fn seq(i: u64) -> u64 {
        ISS + 1 + i * MSS as u64
    }

    pub(super) fn sack(l: u64, r: u64) -> [SackBlock; 1] {
        [SackBlock {
            left: seq(l),
            right: seq(r),
        }]
    }

    pub(super) fn send(s: &mut Sender, cwnd: u64) -> Option<SegPlan> {
        match s.plan(&ctx(cwnd)) {
            Plan::Send(p) => {
                s.on_sent(&p, t(1), cwnd);
                Some(p)
            }
            Plan::Blocked(_) => None,
        }
    }
}
