//! RACK-TLP (RFC 8985) as Linux 6.x runs it (`net/ipv4/tcp_recovery.c`,
//! `tcp_input.c` `tcp_process_tlp_ack`, `tcp_output.c`
//! `tcp_schedule_loss_probe` / `tcp_send_loss_probe`): the time-based loss
//! detection and the tail loss probe, as pure rules over the sender's
//! segment records. The sender (`recovery`, `plan`) owns the records and
//! applies what these rules decide.
//!
//! RACK (RFC 8985 6): a segment is lost when a segment sent after it has
//! been delivered (cumulatively ACKed or SACKed) and more than RACK.rtt +
//! RACK.reo_wnd has passed since it was sent. RACK.xmit_ts / RACK.end_seq
//! are those of the most recently sent delivered segment, RACK.rtt the RTT
//! of the last delivered one (Linux `tcp_rack_advance`). The reordering
//! window is min_rtt/4 times a step count that D-SACKs raise, at most SRTT
//! (`tcp_rack_reo_wnd`), and 0 while no reordering has been seen and either
//! fast recovery is under way or at least `reordering` (3) segments are
//! SACKed: that is where the duplicate-ACK threshold survives in Linux.
//! A segment not yet expired arms the reordering timer for the longest
//! remaining wait, plus Linux's 2 ms `TCP_TIMEOUT_MIN_US`.
//!
//! TLP (RFC 8985 7): in the open state with data outstanding, a probe
//! timeout of 2*SRTT plus 2 ms (plus `rto_min` instead when a single
//! segment is out, for the peer's delayed ACK), never later than the RTO,
//! sends one new segment if the window allows, else the last segment again.
//! At most one probe is outstanding (`tlp_high_seq`). The ACK that covers
//! it either shows the probe repaired a loss (SND.UNA passes
//! `tlp_high_seq` and the probe was a retransmission: a cwnd reduction, as
//! `tcp_process_tlp_ack` does with `tcp_init_cwnd_reduction`) or that
//! both copies arrived (a D-SACK of the probe, or a pure duplicate ACK):
//! the episode ends without a reduction.
//!
//! Simplified (observable):
//! - RACK runs in the open state and in fast recovery. In the loss phase
//!   after an RTO the sender keeps mpsim's go-back-N over everything
//!   outstanding (RFC 6675 5.1, scoreboard cleared); Linux's
//!   `tcp_timeout_mark_lost` keeps the scoreboard and spares segments sent
//!   within the last RACK.rtt, and RACK there can find a lost
//!   retransmission and move to fast recovery. Here a retransmission lost in
//!   the loss phase waits for the next RTO, as before.
//! - The reordering timer and the probe timer are timers of their own
//!   beside the RTO timer; Linux multiplexes the three on one timer and
//!   re-arms the RTO relative to the head's transmission when they fire.
//! - `reord_seen` is set when a never-retransmitted segment below the
//!   highest SACKed one is delivered (Linux `tcp_check_sack_reordering`);
//!   Linux also raises `tp->reordering`, which is not modelled (it only
//!   matters once reordering was seen, when the window is min_rtt/4 anyway).
//! - mpsim's receiver sends no D-SACK (RFC 2883), so the reordering window
//!   never grows past min_rtt/4 and a probe whose original also arrived is
//!   told by the pure duplicate ACK only. The D-SACK rules are here and
//!   tested, ready for a receiver that sends them.
//! - Linux skips RACK's advance for a retransmission its timestamps show
//!   spurious (`tcp_skb_spurious_retrans`); not modelled.

use sim_core::{SimDuration, SimTime};

/// Linux `TCP_TIMEOUT_MIN_US`: added to the reordering timer and to the
/// probe timeout (with more than one segment out).
pub const TIMEOUT_MIN: SimDuration = SimDuration::from_millis(2);

/// Linux `TCP_RACK_RECOVERY_THRESH`: recoveries a widened reordering
/// window persists for.
pub const RECOVERY_THRESH: u32 = 16;

/// Linux `sysctl_tcp_reordering` (default 3): the SACKed segments at which,
/// with no reordering seen, the reordering window drops to 0.
pub const REORDERING_SEGS: u32 = 3;

/// One outstanding segment as RACK sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegView {
    /// Time of its last transmission (Linux `skb_mstamp`).
    pub xmit_ts: SimTime,
    /// Its end sequence number (the tie-breaker of equal times).
    pub end_seq: u64,
    /// Sent more than once.
    pub retransmitted: bool,
    /// Wholly SACKed: delivered, never lost.
    pub sacked: bool,
    /// Marked lost and not retransmitted since: RACK skips it (Linux
    /// "skip ones marked lost but not yet retransmitted").
    pub lost_unsent: bool,
}

/// What `detect_loss` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detection {
    /// Indices (into the segments given) of the segments now lost.
    pub lost: Vec<usize>,
    /// The longest wait of a segment sent before RACK.xmit_ts that has not
    /// expired yet (RFC 8985 6.2 step 5 "timeout"), if any.
    pub wait: Option<SimDuration>,
}

/// The RACK state of one sender (RFC 8985 6.1 RACK.xmit_ts, RACK.end_seq,
/// RACK.rtt, RACK.reo_wnd_mult, RACK.dsack_round, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rack {
    xmit_ts: Option<SimTime>,
    end_seq: u64,
    rtt: SimDuration,
    /// A delivered segment updated the state since the last detection
    /// (Linux `rack.advanced`).
    advanced: bool,
    /// RACK.reo_wnd_mult (Linux `reo_wnd_steps`), at least 1.
    reo_wnd_steps: u32,
    /// Recoveries left before the window returns to one step.
    reo_wnd_persist: u32,
    /// A D-SACK arrived and the window has not been widened for it yet.
    dsack_seen: bool,
    /// Delivered count when the window was last widened (one widening per
    /// round trip).
    last_delivered: u64,
    /// Reordering was observed (Linux `tp->reord_seen`).
    pub reord_seen: bool,
}

/// `t1, seq1` was sent after `t2, seq2` (RFC 8985 6.2 `RACK_sent_after`;
/// Linux `tcp_skb_sent_after`).
pub fn sent_after(t1: SimTime, t2: SimTime, seq1: u64, seq2: u64) -> bool {
    t1 > t2 || (t1 == t2 && seq1 > seq2)
}

impl Rack {
    /// A fresh state: nothing delivered yet, one window step.
    pub fn new() -> Self {
        Rack {
            reo_wnd_steps: 1,
            ..Rack::default()
        }
    }

    /// RACK.xmit_ts, if a segment was delivered.
    pub fn xmit_ts(&self) -> Option<SimTime> {
        self.xmit_ts
    }

    /// RACK.rtt.
    pub fn rtt(&self) -> SimDuration {
        self.rtt
    }

    /// RFC 8985 6.2 step 2, Linux `tcp_rack_advance`: a segment sent at
    /// `xmit_ts` and ending at `end_seq` was delivered at `now`. A
    /// retransmitted one whose RTT is below min_rtt is ambiguous (the
    /// original may have been delivered) and is ignored.
    pub fn advance(
        &mut self,
        now: SimTime,
        xmit_ts: SimTime,
        end_seq: u64,
        retransmitted: bool,
        min_rtt: Option<SimDuration>,
    ) {
        let rtt = now.saturating_since(xmit_ts);
        if retransmitted && min_rtt.is_some_and(|m| rtt < m) {
            return;
        }
        self.advanced = true;
        self.rtt = rtt;
        if self
            .xmit_ts
            .is_none_or(|t| sent_after(xmit_ts, t, end_seq, self.end_seq))
        {
            self.xmit_ts = Some(xmit_ts);
            self.end_seq = end_seq;
        }
    }

    /// Whether a delivery advanced the state since the last call; clears
    /// it (Linux `tcp_rack_mark_lost` scans only then).
    pub fn take_advanced(&mut self) -> bool {
        std::mem::take(&mut self.advanced)
    }

    /// RFC 8985 6.2 step 4, Linux `tcp_rack_reo_wnd`: 0 while no reordering
    /// was seen and either fast recovery is under way or `sacked_segs`
    /// reach the reordering degree (3); else min_rtt/4 times the step
    /// count, at most SRTT.
    pub fn reo_wnd(
        &self,
        in_recovery: bool,
        sacked_segs: u32,
        min_rtt: Option<SimDuration>,
        srtt: Option<SimDuration>,
    ) -> SimDuration {
        if !self.reord_seen && (in_recovery || sacked_segs >= REORDERING_SEGS) {
            return SimDuration::ZERO;
        }
        let Some(min_rtt) = min_rtt else {
            return SimDuration::ZERO;
        };
        let w = min_rtt.div_floor(4).saturating_mul(u64::from(self.reo_wnd_steps));
        srtt.map_or(w, |s| w.min(s))
    }

    /// RFC 8985 6.2 step 5 for one segment, Linux `tcp_rack_detect_loss`'s
    /// loop body: `None` when it was not sent before RACK.xmit_ts (it
    /// cannot be judged yet), `Some(Ok(()))` when it is lost, `Some(Err(w))`
    /// when it will be after `w`.
    pub(super) fn judge(&self, now: SimTime, seg: &SegView, reo_wnd: SimDuration) -> Option<Result<(), SimDuration>> {
        let rack_ts = self.xmit_ts?;
        if !sent_after(rack_ts, seg.xmit_ts, self.end_seq, seg.end_seq) {
            return None;
        }
        // remaining = RACK.rtt + reo_wnd - (now - xmit_ts); lost at <= 0.
        let deadline = seg.xmit_ts + self.rtt + reo_wnd;
        if deadline <= now {
            Some(Ok(()))
        } else {
            Some(Err(deadline.saturating_since(now)))
        }
    }

    /// RFC 8985 6.2 step 5 (`RACK_detect_loss`) over `segs` in sequence
    /// order (the sender's records). Delivered segments and segments lost
    /// and not yet resent are skipped. The walk stops at the first
    /// never-retransmitted segment sent at or after RACK.xmit_ts: first
    /// transmissions leave in sequence order, and a retransmission goes
    /// out after its original, so every later segment was sent later too
    /// (Linux walks its time-sorted list and stops at the same point).
    /// The sender walks its records in transmit-time order instead
    /// (`tsorted`, with `Rack::judge` per record) and compares its
    /// finding with this walk in tests and debug builds.
    pub fn detect_loss(
        &self,
        now: SimTime,
        reo_wnd: SimDuration,
        segs: impl IntoIterator<Item = SegView>,
    ) -> Detection {
        self.detect_loss_indexed(now, reo_wnd, segs.into_iter().enumerate())
    }

    /// [`Rack::detect_loss`] over segments that carry their indices (still
    /// in sequence order): a caller may leave out segments the walk skips
    /// (SACKed, or lost and not resent) without reading them, and the
    /// indices in [`Detection::lost`] still name its records.
    pub fn detect_loss_indexed(
        &self,
        now: SimTime,
        reo_wnd: SimDuration,
        segs: impl IntoIterator<Item = (usize, SegView)>,
    ) -> Detection {
        let mut d = Detection::default();
        for (i, seg) in segs {
            if seg.sacked || seg.lost_unsent {
                continue;
            }
            match self.judge(now, &seg, reo_wnd) {
                None if !seg.retransmitted => break,
                None => {}
                Some(Ok(())) => d.lost.push(i),
                Some(Err(w)) => d.wait = Some(d.wait.map_or(w, |x| x.max(w))),
            }
        }
        d
    }

    /// A D-SACK arrived (RFC 8985 6.2 step 4: RACK.dsack_round; Linux
    /// `tcp_check_dsack` sets `rack.dsack_seen`).
    pub fn on_dsack(&mut self) {
        self.dsack_seen = true;
    }

    /// Linux `tcp_rack_update_reo_wnd`, once per ACK: `prior_delivered` is
    /// the delivered count before the ACK, `delivered` after it. A pending
    /// D-SACK widens the window by one step, at most once per round trip
    /// (a D-SACK for data delivered before the last widening is ignored),
    /// and the width then persists for 16 recoveries.
    pub fn update_reo_wnd(&mut self, prior_delivered: u64, delivered: u64) {
        if prior_delivered == 0 {
            return;
        }
        if prior_delivered < self.last_delivered {
            self.dsack_seen = false;
        }
        if self.dsack_seen {
            self.reo_wnd_steps = (self.reo_wnd_steps + 1).min(0xFF);
            self.dsack_seen = false;
            self.last_delivered = delivered;
            self.reo_wnd_persist = RECOVERY_THRESH;
        } else if self.reo_wnd_persist == 0 {
            self.reo_wnd_steps = 1;
        }
    }

    /// A fast recovery ended without an undo (Linux
    /// `tcp_try_undo_recovery` decrements `reo_wnd_persist`).
    pub fn on_recovery_end(&mut self) {
        self.reo_wnd_persist = self.reo_wnd_persist.saturating_sub(1);
    }

    /// The current step count (RACK.reo_wnd_mult).
    pub fn reo_wnd_steps(&self) -> u32 {
        self.reo_wnd_steps
    }
}

/// RFC 8985 7.2 / Linux `tcp_schedule_loss_probe`: the probe timeout.
/// 2*SRTT, plus `rto_min` when a single segment is out (room for the
/// peer's delayed ACK) or else 2 ms; 1 s before any RTT sample; never
/// later than `rto_left`, the time until the RTO would fire.
pub fn probe_timeout(
    srtt: Option<SimDuration>,
    one_segment_out: bool,
    rto_min: SimDuration,
    rto_left: SimDuration,
) -> SimDuration {
    let pto = match srtt {
        Some(s) => s.saturating_mul(2) + if one_segment_out { rto_min } else { TIMEOUT_MIN },
        // Linux `TCP_TIMEOUT_INIT`.
        None => SimDuration::from_secs(1),
    };
    if rto_left.is_zero() { pto } else { pto.min(rto_left) }
}

/// The tail loss probe episode (RFC 8985 7.1 TLP.end_seq, TLP.is_retrans;
/// Linux `tlp_high_seq`, `tlp_retrans`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tlp {
    /// SND.NXT after the outstanding probe, if one is outstanding.
    pub high_seq: Option<u64>,
    /// The outstanding probe resent the last segment (rather than new data).
    pub retrans: bool,
}

/// How an ACK ended a probe episode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlpAck {
    /// No episode, or it goes on.
    #[default]
    None,
    /// The episode ended with no loss (new data acknowledged, or both the
    /// original and the probe arrived).
    Ended,
    /// The probe repaired a loss: the congestion window must be reduced
    /// (RFC 8985 7.4.2; Linux `tcp_init_cwnd_reduction` then
    /// `tcp_end_cwnd_reduction`).
    Recovered,
}

/// The ACK fields `Tlp::on_ack` looks at (Linux's ACK flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AckFlags {
    /// SEG.ACK, the new SND.UNA.
    pub ack: u64,
    /// SND.UNA moved (`FLAG_SND_UNA_ADVANCED`).
    pub una_advanced: bool,
    /// The segment carried data or a window update, or acknowledged
    /// something (`FLAG_NOT_DUP`).
    pub not_dup: bool,
    /// It SACKed new data (`FLAG_DATA_SACKED`).
    pub data_sacked: bool,
    /// It carried a D-SACK of the probe (`FLAG_DSACK_TLP`).
    pub dsack_tlp: bool,
}

impl Tlp {
    /// RFC 8985 7.3 / Linux `tcp_send_loss_probe`: a probe went out, after
    /// which SND.NXT is `snd_nxt`.
    pub fn on_probe_sent(&mut self, snd_nxt: u64, retrans: bool) {
        self.high_seq = Some(snd_nxt);
        self.retrans = retrans;
    }

    /// RFC 8985 7.4 / Linux `tcp_process_tlp_ack`.
    pub fn on_ack(&mut self, f: AckFlags) -> TlpAck {
        let Some(high) = self.high_seq else {
            return TlpAck::None;
        };
        if f.ack < high {
            return TlpAck::None;
        }
        if !self.retrans || f.dsack_tlp {
            // New data was the probe, or the D-SACK shows that the
            // original and the probe both arrived: no loss.
            self.high_seq = None;
            return TlpAck::Ended;
        }
        if f.ack > high {
            // The ACK passes the probe: it repaired a loss.
            self.high_seq = None;
            return TlpAck::Recovered;
        }
        if !(f.una_advanced || f.not_dup || f.data_sacked) {
            // A pure duplicate ACK: the original and the probe arrived.
            self.high_seq = None;
            return TlpAck::Ended;
        }
        TlpAck::None
    }

    /// A fast recovery or an RTO ends the episode (Linux
    /// `tcp_init_cwnd_reduction` and `tcp_retransmit_timer` clear
    /// `tlp_high_seq`).
    pub fn clear(&mut self) {
        self.high_seq = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    /// Segment `i` (1000 bytes each from 0) first sent at `sent_ms`.
    fn seg(i: u64, sent_ms: u64) -> SegView {
        SegView {
            xmit_ts: t(sent_ms),
            end_seq: (i + 1) * 1000,
            retransmitted: false,
            sacked: false,
            lost_unsent: false,
        }
    }

    /// Ten segments sent 1 ms apart from t = 0; segment `delivered` is
    /// SACKed at `now_ms`.
    fn fixture(delivered: u64, now_ms: u64) -> (Rack, Vec<SegView>) {
        let mut segs: Vec<SegView> = (0..10).map(|i| seg(i, i)).collect();
        let mut r = Rack::new();
        let s = &mut segs[delivered as usize];
        s.sacked = true;
        r.advance(t(now_ms), s.xmit_ts, s.end_seq, false, Some(ms(40)));
        (r, segs)
    }

    #[test]
    fn segments_sent_before_the_delivered_one_are_lost_once_rtt_plus_the_window_has_passed() {
        // Segment 5 (sent at 5 ms) SACKed at 45 ms: RACK.rtt = 40 ms.
        let (r, segs) = fixture(5, 45);
        assert_eq!(r.rtt(), ms(40));
        assert_eq!(r.xmit_ts(), Some(t(5)));
        // With no window, 0..=4 were sent 1..5 ms before it: all expired.
        let d = r.detect_loss(t(45), SimDuration::ZERO, segs.clone());
        assert_eq!(d.lost, vec![0, 1, 2, 3, 4]);
        assert_eq!(d.wait, None);
        // With a 10 ms window (min_rtt/4), segment k expires at k + 50 ms:
        // none yet at 45 ms, the longest wait is segment 4's, 9 ms.
        let d = r.detect_loss(t(45), ms(10), segs.clone());
        assert!(d.lost.is_empty());
        assert_eq!(d.wait, Some(ms(9)));
        // At 52 ms, 0..=2 have expired (at 50, 51, 52); 3 and 4 wait.
        let d = r.detect_loss(t(52), ms(10), segs);
        assert_eq!(d.lost, vec![0, 1, 2]);
        assert_eq!(d.wait, Some(ms(2)));
    }

    #[test]
    fn segments_sent_after_the_delivered_one_are_never_judged() {
        let (r, segs) = fixture(5, 45);
        let d = r.detect_loss(t(1000), SimDuration::ZERO, segs);
        assert_eq!(d.lost, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_lost_retransmission_is_found_when_a_later_sent_segment_is_delivered() {
        // Segment 0 lost, 1..=9 SACKed; 0 was retransmitted at 50 ms, new
        // segment 10 sent at 60 ms is SACKed at 100 ms.
        let mut segs: Vec<SegView> = (0..11).map(|i| seg(i, i)).collect();
        for s in &mut segs[1..10] {
            s.sacked = true;
        }
        segs[0].xmit_ts = t(50);
        segs[0].retransmitted = true;
        segs[10].xmit_ts = t(60);
        let mut r = Rack::new();
        r.advance(t(100), t(60), segs[10].end_seq, false, Some(ms(40)));
        segs[10].sacked = true;
        // The retransmission of 0 left 10 ms before 10: lost at once with
        // no window (fast recovery, no reordering seen).
        let d = r.detect_loss(t(100), SimDuration::ZERO, segs.clone());
        assert_eq!(d.lost, vec![0]);
        // Before segment 10 was delivered, the retransmission (sent after
        // everything delivered) could not be judged.
        let mut before = Rack::new();
        before.advance(t(45), t(5), 6000, false, Some(ms(40)));
        let d = before.detect_loss(t(100), SimDuration::ZERO, segs);
        assert!(d.lost.is_empty());
    }

    #[test]
    fn segments_marked_lost_and_not_resent_are_skipped() {
        let (r, mut segs) = fixture(5, 45);
        segs[1].lost_unsent = true;
        let d = r.detect_loss(t(45), SimDuration::ZERO, segs);
        assert_eq!(d.lost, vec![0, 2, 3, 4]);
    }

    #[test]
    fn an_ambiguous_retransmission_faster_than_min_rtt_does_not_advance_rack() {
        let mut r = Rack::new();
        r.advance(t(100), t(90), 1000, true, Some(ms(40)));
        assert_eq!(r.xmit_ts(), None);
        assert!(!r.take_advanced());
        r.advance(t(100), t(50), 1000, true, Some(ms(40)));
        assert_eq!(r.xmit_ts(), Some(t(50)));
        assert!(r.take_advanced());
        assert!(!r.take_advanced());
    }

    #[test]
    fn rack_keeps_the_most_recently_sent_delivered_segment_and_the_last_rtt() {
        let mut r = Rack::new();
        r.advance(t(100), t(60), 7000, false, None);
        // An older segment delivered later: RTT updated, xmit_ts kept.
        r.advance(t(110), t(20), 3000, false, None);
        assert_eq!((r.xmit_ts(), r.rtt()), (Some(t(60)), ms(90)));
        // Same send time, higher end: the later one by sequence.
        r.advance(t(120), t(60), 8000, false, None);
        assert_eq!(r.end_seq, 8000);
    }

    #[test]
    fn the_window_is_zero_in_recovery_or_after_three_sacks_until_reordering_is_seen() {
        let mut r = Rack::new();
        let (min, srtt) = (Some(ms(40)), Some(ms(60)));
        assert_eq!(r.reo_wnd(false, 2, min, srtt), ms(10));
        assert_eq!(r.reo_wnd(false, 3, min, srtt), SimDuration::ZERO);
        assert_eq!(r.reo_wnd(true, 0, min, srtt), SimDuration::ZERO);
        r.reord_seen = true;
        assert_eq!(r.reo_wnd(true, 5, min, srtt), ms(10));
        assert_eq!(r.reo_wnd(false, 0, None, srtt), SimDuration::ZERO);
    }

    #[test]
    fn dsacks_widen_the_window_once_per_round_trip_up_to_srtt_for_sixteen_recoveries() {
        let mut r = Rack::new();
        r.reord_seen = true;
        let (min, srtt) = (Some(ms(40)), Some(ms(25)));
        r.on_dsack();
        r.update_reo_wnd(100, 110);
        assert_eq!(r.reo_wnd_steps(), 2);
        assert_eq!(r.reo_wnd(false, 0, min, srtt), ms(20));
        // A D-SACK of data delivered before the widening is ignored.
        r.on_dsack();
        r.update_reo_wnd(105, 112);
        assert_eq!(r.reo_wnd_steps(), 2);
        r.on_dsack();
        r.update_reo_wnd(110, 120);
        assert_eq!(r.reo_wnd_steps(), 3);
        // Bounded by SRTT.
        assert_eq!(r.reo_wnd(false, 0, min, srtt), ms(25));
        for _ in 0..RECOVERY_THRESH {
            r.update_reo_wnd(200, 201);
            assert_eq!(r.reo_wnd_steps(), 3);
            r.on_recovery_end();
        }
        r.update_reo_wnd(300, 301);
        assert_eq!(r.reo_wnd_steps(), 1);
    }

    #[test]
    fn the_probe_timeout_is_two_srtt_plus_a_margin_and_never_after_the_rto() {
        let rto_min = ms(200);
        assert_eq!(probe_timeout(Some(ms(50)), false, rto_min, ms(1000)), ms(102));
        // One segment out: room for a delayed ACK.
        assert_eq!(probe_timeout(Some(ms(50)), true, rto_min, ms(1000)), ms(300));
        assert_eq!(probe_timeout(Some(ms(50)), true, rto_min, ms(250)), ms(250));
        assert_eq!(probe_timeout(None, false, rto_min, ms(3000)), ms(1000));
    }

    #[test]
    fn an_ack_past_a_retransmitted_probe_means_it_repaired_a_loss() {
        let mut tlp = Tlp::default();
        tlp.on_probe_sent(10_000, true);
        let f = AckFlags {
            ack: 9_000,
            una_advanced: true,
            not_dup: true,
            ..AckFlags::default()
        };
        assert_eq!(tlp.on_ack(f), TlpAck::None);
        assert_eq!(tlp.on_ack(AckFlags { ack: 10_000, ..f }), TlpAck::None);
        assert_eq!(tlp.on_ack(AckFlags { ack: 10_001, ..f }), TlpAck::Recovered);
        assert_eq!(tlp.high_seq, None);
    }

    #[test]
    fn a_duplicate_ack_or_a_dsack_of_the_probe_ends_the_episode_without_a_reduction() {
        let mut tlp = Tlp::default();
        tlp.on_probe_sent(10_000, true);
        let dup = AckFlags {
            ack: 10_000,
            ..AckFlags::default()
        };
        assert_eq!(tlp.on_ack(dup), TlpAck::Ended);
        tlp.on_probe_sent(10_000, true);
        let dsack = AckFlags {
            ack: 10_000,
            not_dup: true,
            dsack_tlp: true,
            ..AckFlags::default()
        };
        assert_eq!(tlp.on_ack(dsack), TlpAck::Ended);
        // A probe of new data: acknowledged is enough.
        tlp.on_probe_sent(12_000, false);
        let f = AckFlags {
            ack: 12_000,
            una_advanced: true,
            not_dup: true,
            ..AckFlags::default()
        };
        assert_eq!(tlp.on_ack(f), TlpAck::Ended);
    }
}
