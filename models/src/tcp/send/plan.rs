//! The send decision: which segment goes out next (the first
//! unacknowledged one when due, RFC 6675 NextSeg in SACK recovery, in-order
//! retransmission after an RTO, else new data within the windows, with
//! sender SWS avoidance and Nagle), and the record of what was sent.

use sim_core::SimTime;

use super::{DUP_THRESH, Phase, Sender, SentRec};

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
    /// RFC 8985 7.3: the tail loss probe resending the last segment (Linux
    /// `tcp_send_loss_probe`).
    Probe,
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

impl Sender {
    /// The window the send decision compares the flight with.
    pub fn send_window(&self, cwnd: u64) -> u64 {
        match self.phase {
            // RFC 6582 3.2 steps 3-5: the inflated window.
            Phase::Recovery if !self.sack_mode => self.nr_cwnd,
            // RFC 6937 3: pipe + sndcnt, set on each ACK.
            Phase::Recovery if self.prr.is_some() => self.prr.map_or(cwnd, |p| p.window()),
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
        !self.head_rtx_due() && straight_to_new_data && !self.has_unsent() && !self.tlp_pending
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
        // RFC 8985 7.3: the loss probe goes out whatever the window.
        if self.tlp_pending && self.phase == Phase::Open && self.snd_una < self.snd_max {
            return Plan::Send(self.probe_seg(ctx, pm));
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
            Phase::Recovery if self.sack_mode && self.rack_enabled => {
                // RFC 6675 5 (C) / RFC 6937: only with a segment's room.
                if room < smss {
                    return Plan::Blocked(Blocked::Cwnd);
                }
                // Linux `tcp_xmit_retransmit_queue`: the segments RACK
                // marked lost, in sequence order, then new data.
                if let Some((s, e)) = self.rack_lost_first() {
                    return Plan::Send(self.rtx_seg_upto(s, e, pm, SegKind::Lost));
                }
                match self.new_data(ctx, pm, room) {
                    Ok(p) => Plan::Send(p),
                    Err(w) => Plan::Blocked(w),
                }
            }
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
                // RFC 5682 3.1 step 2.b (F-RTO): new data first, if any.
                if self.frto_new
                    && let Ok(p) = self.new_data(ctx, pm, room)
                {
                    return Plan::Send(p);
                }
                if s < self.loss_mark_end {
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
        if s < self.loss_mark_end {
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

    /// RFC 8985 7.3 / Linux `tcp_send_loss_probe`: one new segment if the
    /// receiver's window allows it (whatever cwnd and Nagle say), else the
    /// last segment sent, again.
    fn probe_seg(&self, ctx: &PlanCtx, pm: u32) -> SegPlan {
        if self.has_unsent() {
            let c = PlanCtx { nagle: false, ..*ctx };
            if let Ok(p) = self.new_data(&c, pm, u64::MAX) {
                return p;
            }
        }
        let last = self.records.back().map_or(self.snd_una, |r| r.start);
        let start = last.max(self.snd_una);
        self.rtx_seg(start, pm, SegKind::Probe)
    }

    /// `rtx_seg` ending at `limit` at the latest (the end of a range RACK
    /// marked lost).
    fn rtx_seg_upto(&self, s: u64, limit: u64, pm: u32, kind: SegKind) -> SegPlan {
        let mut p = self.rtx_seg(s, pm, kind);
        if p.len > 0 && p.start + u64::from(p.len) > limit {
            p.len = (limit - p.start) as u32;
            p.fin = false;
        }
        p
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
        let probe = std::mem::take(&mut self.tlp_pending);
        if self.phase == Phase::Recovery
            && let Some(prr) = self.prr.as_mut()
        {
            // RFC 6937 3: prr_out += (data sent).
            prr.on_sent(p.len as u64);
        }
        match p.kind {
            SegKind::New => {
                debug_assert_eq!(p.start, self.snd_max);
                let ts_gen = self.tsorted.push(self.records_popped + self.records.len() as u64);
                self.records.push_back(SentRec {
                    start: p.start,
                    end,
                    sent_at: now,
                    xmit_ts: now,
                    retransmitted: false,
                    sacked: false,
                    lost: false,
                    rtx_out: false,
                    ts_gen,
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
                self.mark_retransmitted(p.start, end, now);
                if kind == SegKind::Head {
                    self.head_rtx_pending = false;
                }
                if self.rack_enabled && self.phase == Phase::Recovery {
                    // No longer waiting: Linux sets TCPCB_SACKED_RETRANS.
                    self.rack_lost.remove(p.start, end);
                }
                if kind == SegKind::Probe {
                    // Outside recovery: HighRxt is not involved.
                } else if kind == SegKind::Rescue {
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
        if probe {
            // RFC 8985 7.3: TLP.end_seq = SND.NXT after the probe.
            self.tlp.on_probe_sent(self.snd_max, p.kind != SegKind::New);
        }
    }

    fn mark_retransmitted(&mut self, start: u64, end: u64, now: SimTime) {
        let mut i = super::seek::first_ending_after(&self.records, start);
        while i < self.records.len() && self.records[i].start < end {
            // It moves to the tail of the transmit-time order (Linux
            // `tcp_update_skb_after_send`).
            let ts_gen = self.tsorted.push(self.records_popped + i as u64);
            let r = &mut self.records[i];
            r.ts_gen = ts_gen;
            r.retransmitted = true;
            // RFC 8985 6.1: the segment's transmit time is its latest.
            r.xmit_ts = now;
            // A resent lost segment is in flight again (Linux
            // `tcp_retransmit_skb`); the probe's copy does not count as a
            // retransmission there (`__tcp_retransmit_skb`).
            r.rtx_out = r.lost;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::*;
    use super::*;
    use crate::segment::SackBlock;

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
