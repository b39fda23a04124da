//! Loss recovery: the phases, the flight the send decision counts (RFC 6675
//! `SetPipe()`), the processing of an ACK (cumulative acknowledgement and
//! RTT samples, the SACK scoreboard, the window update, duplicate ACKs and
//! the phase transitions of RFC 5681, RFC 6675 and RFC 6582) and the
//! retransmission timeout (RFC 6298, RFC 5681 3.1).

use sim_core::{SimDuration, SimTime};

use std::collections::VecDeque;

use super::rack::{AckFlags, Detection, SegView};
use super::tsorted::Step;
use super::{DUP_THRESH, Frto, FrtoStep, LossAck, Rack, Sender, SentRec, TlpAck};
use crate::segment::SackBlock;

/// Loss-recovery phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No recovery in progress (Linux `TCP_CA_Open`).
    Open,
    /// Fast recovery (RFC 6675 or RFC 6582).
    Recovery,
    /// After a retransmission timeout.
    Loss,
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
    /// The RTT of the newest segment this ACK covers, cumulatively or by a
    /// new SACK (Linux `ca_rtt_us` from `last_ackt` / `last_sackt`; the
    /// SACKed one wins), under the same Karn exclusions.
    pub ca_rtt_sample: Option<SimDuration>,
    /// Data sent before the loss episode's end and never retransmitted was
    /// newly acknowledged or SACKed (Linux `FLAG_ORIG_SACK_ACKED`).
    pub orig_acked: bool,
    /// F-RTO (RFC 5682 3.1 step 3.b) found the timeout spurious: the
    /// sender is back in the open state; the congestion control should
    /// undo the timeout's reduction.
    pub frto_undo: bool,
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
    /// What the ACK did to a tail loss probe episode (RFC 8985 7.4).
    pub tlp: TlpAck,
    /// Linux `tcp_ack_is_dubious`: a duplicate, an ACK that SACKs, or one
    /// outside the open state; only such an ACK runs loss detection.
    pub dubious: bool,
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
    /// Linux `tcp_enter_loss`: ssthresh was already lowered in this loss
    /// episode (a fast recovery under way, or a previous timeout with no
    /// cumulative progress since), so it is kept.
    pub episode_hold: bool,
}

impl Sender {
    /// The RFC 6675 loss boundary now: unSACKed octets below it are lost.
    pub(super) fn lost_end(&self) -> u64 {
        match self.phase {
            // RFC 6675 5.1: after an RTO everything sent before it is lost.
            Phase::Loss => self.loss_mark_end.clamp(self.snd_una, self.snd_max),
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
        if self.rack_enabled && self.phase == Phase::Recovery {
            // Linux `tcp_packets_in_flight`: outstanding - SACKed - lost +
            // retransmitted; the lost bytes not yet resent are `rack_lost`.
            return (self.snd_max - self.snd_una) - self.sb.sacked_bytes() - self.rack_lost.sacked_bytes();
        }
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

    /// Processes the ACK fields of an acceptable segment (RFC 9293
    /// 3.10.7.4 fifth check, RFC 5681, RFC 6675, RFC 6582). The common
    /// ACK, with nothing SACKed, lost or in recovery, takes the fast path
    /// (`fast`); tests and debug builds run the general path beside it on
    /// a copy of the sender and assert the same outcome and state.
    pub fn on_ack(
        &mut self,
        now: SimTime,
        seg_seq: u64,
        ack: u64,
        wnd: u64,
        sack: &[SackBlock],
        is_pure: bool,
    ) -> AckOutcome {
        if !self.ack_is_predicted(ack, sack, is_pure) {
            return self.on_ack_general(now, seg_seq, ack, wnd, sack, is_pure);
        }
        if self.predicted_ack_is_idle(ack) {
            let window_grew = self.on_idle_ack(now, seg_seq, ack, wnd, sack, is_pure);
            return AckOutcome {
                window_grew,
                ..AckOutcome::default()
            };
        }
        #[cfg(any(test, debug_assertions))]
        let mut general = self.clone();
        let out = self.on_ack_fast(now, seg_seq, ack, wnd, is_pure);
        #[cfg(any(test, debug_assertions))]
        {
            let want = general.on_ack_general(now, seg_seq, ack, wnd, sack, is_pure);
            assert_eq!(out, want, "the fast path's outcome");
            assert_eq!(*self, general, "the sender after the fast path");
        }
        out
    }

    /// [`Sender::on_ack`] for every ACK: RFC 9293 3.10.7.4, RFC 5681,
    /// RFC 6675, RFC 6582, RFC 8985. Out of line and cold: about one ACK
    /// in 40 on perf-2path takes it (SACK blocks, recovery), and inlined
    /// in `on_ack` it would spread the predicted ACK's path over more
    /// instruction-cache lines.
    #[cold]
    #[inline(never)]
    pub(super) fn on_ack_general(
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
        // Linux `prior_fack`: the highest SACKed sequence (or SND.UNA)
        // before this ACK; a never-retransmitted segment delivered below it
        // arrived out of order (`tcp_check_sack_reordering`).
        let prior_fack = self.sb.high_sacked().unwrap_or(old_una);
        let prior_delivered = self.delivered_bytes;

        // Cumulative acknowledgement.
        if ack > old_una {
            let mut first_sent = None;
            let mut last_sent = None;
            while let Some(&r) = self.records.front() {
                if r.end > ack {
                    break;
                }
                if r.retransmitted {
                    out.retransmitted_acked = true;
                } else if !r.sacked {
                    first_sent = first_sent.or(Some(r.sent_at));
                    last_sent = Some(r.sent_at);
                    out.orig_acked |= r.end <= self.recover;
                }
                if r.sacked {
                    self.sacked_segs -= 1;
                } else if self.rack_enabled {
                    // Linux `tcp_clean_rtx_queue` -> `tcp_rack_advance`,
                    // applied after the SACK blocks (see `rack_acked`).
                    self.rack_acked.push((r.xmit_ts, r.end, r.retransmitted));
                    if !r.retransmitted && r.start < prior_fack {
                        self.rack.reord_seen = true;
                    }
                }
                if r.lost {
                    self.lost_segs -= 1;
                }
                self.records.pop_front();
                self.records_popped += 1;
            }
            self.trim_tsorted_front();
            // RFC 6298 3 (Karn): no sample if retransmitted data is acked;
            // the oldest newly acknowledged segment gives it (Linux
            // `seq_rtt_us` from `first_ackt`).
            if !out.retransmitted_acked {
                out.rtt_sample = first_sent.map(|t| now.saturating_since(t));
                out.ca_rtt_sample = last_sent.map(|t| now.saturating_since(t));
            }
            self.pop_acked_chunks(ack);
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
            self.rack_lost.advance(ack);
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
                        // SACKed bytes are no longer lost (Linux clears
                        // TCPCB_LOST in `tcp_sacktag_one`).
                        self.rack_lost.remove(a, b);
                        if n_parts < parts.len() {
                            parts[n_parts] = (a, b);
                            n_parts += 1;
                        }
                    });
                }
            }
            let (first, last, orig) = self.sack_rtt(now, &parts[..n_parts], prior_fack);
            out.orig_acked |= orig;
            out.sack_rtt_sample = first;
            if last.is_some() {
                out.ca_rtt_sample = last;
            }
        }
        // Linux counts a segment in `tp->delivered` once: the SACKed tag
        // survives `tcp_enter_loss`, so a re-SACK or the cumulative ACK that
        // follows an RTO does not count it again.
        out.delivered += newly_sacked - resacked;
        if self.rack_enabled {
            // RFC 8985 6.2 step 2 for the cumulatively ACKed segments, after
            // the SACKed ones (Linux's order); RACK.rtt ends as the last's.
            let mut acked = std::mem::take(&mut self.rack_acked);
            for (xmit_ts, end, rtx) in acked.drain(..) {
                self.rack.advance(now, xmit_ts, end, rtx, self.min_rtt);
            }
            self.rack_acked = acked;
            self.delivered_bytes += out.delivered;
            // Linux `tcp_rack_update_reo_wnd`.
            self.rack.update_reo_wnd(prior_delivered, self.delivered_bytes);
        }

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
        // Linux `FLAG_NOT_DUP`: data, a window update, or new data acked.
        let not_dup = !is_pure || window_changed || ack > old_una;
        out.dubious = !not_dup || newly_sacked > 0 || self.phase != Phase::Open;
        if self.rack_enabled {
            // RFC 8985 7.4 / Linux `tcp_process_tlp_ack`.
            out.tlp = self.tlp.on_ack(AckFlags {
                ack,
                una_advanced: ack > old_una,
                not_dup,
                data_sacked: newly_sacked > 0,
                dsack_tlp: false,
            });
        }

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
                    let enter = if self.rack_enabled {
                        // RFC 8985 / Linux `tcp_time_to_recover`: recovery
                        // starts when RACK marks a segment lost
                        // (`rack_after_ack`), not on a duplicate count.
                        false
                    } else if self.sack_mode {
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
                    self.prr = None;
                    out.exited_recovery = true;
                    out.restart_rto = true;
                    if self.rack_enabled {
                        self.rack.on_recovery_end();
                    }
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
                self.frto_new = false;
                let loss_ack = LossAck {
                    orig_acked: out.orig_acked,
                    una_advanced: ack > old_una,
                    sack_or_dupack: out.is_dupack,
                    recovered: ack >= self.recover,
                    can_send_new: self.has_unsent() && self.snd_una + self.snd_wnd > self.snd_max,
                };
                let snd_max = self.snd_max;
                if let Some(f) = self.frto.as_mut() {
                    let step = f.on_ack(loss_ack, snd_max);
                    match step {
                        FrtoStep::Continue => {}
                        FrtoStep::Undo => {
                            // Linux `tcp_try_undo_loss` (frto_undo): back to
                            // the open state; nothing is presumed lost.
                            self.phase = Phase::Open;
                            self.dupacks = 0;
                            self.frto = None;
                            self.head_rtx_pending = false;
                            self.high_rxt = self.snd_una;
                            self.loss_mark_end = self.snd_una;
                            out.frto_undo = true;
                            out.exited_loss = true;
                        }
                        FrtoStep::SendNew { high_seq } => {
                            self.recover = high_seq;
                            self.frto_new = true;
                        }
                        FrtoStep::Ended => self.frto = None,
                    }
                }
                if self.phase == Phase::Loss && ack >= self.recover {
                    self.phase = Phase::Open;
                    self.dupacks = 0;
                    self.frto = None;
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
    /// returns the RTTs of the oldest and the newest never-retransmitted
    /// ones (Linux `tcp_sacktag_one` / `first_sackt`, `last_sackt`; RFC 6298
    /// 3 for the exclusion).
    fn sack_rtt(
        &mut self,
        now: SimTime,
        parts: &[(u64, u64)],
        prior_fack: u64,
    ) -> (Option<SimDuration>, Option<SimDuration>, bool) {
        let mut first: Option<SimTime> = None;
        let mut last: Option<SimTime> = None;
        let mut orig = false;
        for &(a, b) in parts {
            let mut i = super::seek::first_ending_after(&self.records, a);
            while i < self.records.len() && self.records[i].start < b {
                let r = self.records[i];
                // SACK blocks stop at the data (the sender clips them to
                // `write_end`), so a record carrying the FIN is never covered
                // to its end. With RACK its data suffices (Linux's SACK of a
                // FIN skb covers the FIN): the probe that resends the last
                // segment must count as delivered.
                let covered_to = if self.rack_enabled {
                    r.end.min(self.write_end)
                } else {
                    r.end
                };
                if !r.sacked && covered_to > r.start && self.sb.covers(r.start, covered_to) {
                    self.records[i].sacked = true;
                    self.sacked_segs += 1;
                    if self.rack_enabled {
                        // RFC 8985 6.2 step 2; Linux `tcp_sacktag_one`.
                        self.rack.advance(now, r.xmit_ts, r.end, r.retransmitted, self.min_rtt);
                        if !r.retransmitted && r.start < prior_fack {
                            self.rack.reord_seen = true;
                        }
                        if r.lost {
                            self.lost_segs -= 1;
                            self.records[i].lost = false;
                            self.records[i].rtx_out = false;
                        }
                    }
                    if !r.retransmitted {
                        first = Some(first.map_or(r.sent_at, |f| f.min(r.sent_at)));
                        last = Some(last.map_or(r.sent_at, |l| l.max(r.sent_at)));
                        orig |= r.end <= self.recover;
                    }
                }
                i += 1;
            }
        }
        let since = |t: SimTime| now.saturating_since(t);
        (first.map(since), last.map(since), orig)
    }

    fn enter_recovery(&mut self, out: &mut AckOutcome) {
        // RFC 6675 5 (4.1) / RFC 6582 3.2 step 2: RecoveryPoint = HighData.
        self.recover = self.snd_max;
        self.phase = Phase::Recovery;
        // RFC 5681 3.2 step 2: FlightSize without limited-transmit segments.
        out.congestion_flight = (self.snd_max - self.snd_una).saturating_sub(self.limited_tx_bytes);
        out.entered_recovery = true;
        // RFC 6675 5 (4.3): retransmit HighACK + 1; HighRxt follows. With
        // RACK the segments it marked lost go out instead (Linux
        // `tcp_xmit_retransmit_queue` sends LOST segments only).
        self.high_rxt = self.snd_una;
        self.head_rtx_pending = !self.rack_enabled;
        // Linux `tcp_init_cwnd_reduction` ends a probe episode.
        self.tlp.clear();
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
        // Linux `tcp_enter_loss` lowers ssthresh only "if it has not yet
        // been made inside this window": not during a fast recovery still
        // under way (high_seq after SND.UNA), nor in the loss phase while
        // `icsk_retransmits` is non-zero (no cumulative progress since the
        // previous timeout; `tcp_ack` clears it when SND.UNA advances).
        let episode_hold = match self.phase {
            Phase::Open => false,
            Phase::Recovery => self.recover > self.snd_una,
            Phase::Loss => self.snd_una == self.rto_una,
        };
        // Linux `tcp_enter_loss`: F-RTO for a timeout in the open state
        // (`new_recovery`) or a repeated one (`icsk_retransmits`), not for
        // one during fast recovery.
        let frto_ok = match self.phase {
            Phase::Open => true,
            Phase::Recovery => false,
            Phase::Loss => self.snd_una == self.rto_una,
        };
        // Only with SACK: without it Linux counts duplicate ACKs as
        // delivered data during F-RTO (`tcp_add_reno_sack` in
        // `tcp_process_loss`) so that the new data sent in step 2.b does not
        // hold the flight up; that is not modelled, and the new data would
        // block the loss phase's retransmissions until the next timeout.
        self.frto = (self.frto_enabled && self.sack_mode && frto_ok).then(|| Frto::start(self.snd_max));
        self.frto_new = false;
        self.loss_mark_end = self.snd_max;
        self.prr = None;
        if self.rack_enabled {
            // The loss phase presumes everything outstanding lost and
            // resends it in order (RFC 6675 5.1); RACK's marks go. Linux
            // `tcp_retransmit_timer` ends a probe episode.
            self.rack_lost.clear();
            self.lost_segs = 0;
            for r in &mut self.records {
                r.lost = false;
                r.rtx_out = false;
            }
            self.rebuild_tsorted();
            self.tlp.clear();
            self.tlp_pending = false;
        }
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
        RtoOutcome {
            flight,
            repeated,
            episode_hold,
        }
    }
}

/// RACK-TLP (RFC 8985) applied to the records: see `rack`.
impl Sender {
    /// RACK (SACK in use and `rack_tlp` on).
    pub fn rack_active(&self) -> bool {
        self.rack_enabled && self.sack_mode
    }

    /// Loss detection after an ACK (Linux `tcp_fastretrans_alert` ->
    /// `tcp_identify_packet_loss` -> `tcp_rack_mark_lost`), with SRTT and
    /// min_rtt updated by it. Marks what RACK finds lost and enters fast
    /// recovery from the open state when anything is lost (Linux
    /// `tcp_time_to_recover`: `lost_out != 0`). Returns the reordering
    /// timer's wait when a segment sent before RACK.xmit_ts has not expired
    /// yet; `None` also when RACK did not run.
    pub fn rack_after_ack(
        &mut self,
        now: SimTime,
        srtt: Option<SimDuration>,
        min_rtt: Option<SimDuration>,
        out: &mut AckOutcome,
    ) -> Option<SimDuration> {
        // Linux runs RACK only on dubious ACKs, and not in the loss phase
        // here (see `rack`).
        if !self.rack_active() || !out.dubious || self.phase == Phase::Loss {
            return None;
        }
        let mut wait = None;
        if self.rack.take_advanced() {
            wait = self.rack_mark_lost(now, srtt, min_rtt).1;
        }
        if self.phase == Phase::Open && self.lost_segs > 0 {
            self.enter_recovery(out);
        }
        wait
    }

    /// RFC 8985 6.3 / Linux `tcp_rack_reo_timeout`: the reordering timer
    /// fired. Marks the segments that expired; returns whether fast
    /// recovery began (from the open state) so that the congestion control
    /// reduces the window, and the `AckOutcome` of that entry.
    pub fn rack_reo_timeout(
        &mut self,
        now: SimTime,
        srtt: Option<SimDuration>,
        min_rtt: Option<SimDuration>,
    ) -> Option<AckOutcome> {
        if !self.rack_active() || self.phase == Phase::Loss || self.all_acked() {
            return None;
        }
        let (newly, _) = self.rack_mark_lost(now, srtt, min_rtt);
        let mut out = AckOutcome::default();
        if newly > 0 && self.phase == Phase::Open {
            self.enter_recovery(&mut out);
            return Some(out);
        }
        None
    }

    /// RFC 8985 6.2 step 5 over the records: marks the expired ones lost
    /// (a lost retransmission is resent again) and returns how many were
    /// newly marked and the longest remaining wait.
    fn rack_mark_lost(
        &mut self,
        now: SimTime,
        srtt: Option<SimDuration>,
        min_rtt: Option<SimDuration>,
    ) -> (usize, Option<SimDuration>) {
        let reo_wnd = self
            .rack
            .reo_wnd(self.phase == Phase::Recovery, self.sacked_segs, min_rtt, srtt);
        // Linux `tcp_rack_detect_loss`: the walk over the transmit-time
        // order from the oldest transmission, up to RACK.xmit_ts. Entries
        // of records no longer live leave as it passes them; so do the
        // records it marks lost (`list_del_init`).
        let mut d = Detection::default();
        if let Some(rack_ts) = self.rack.xmit_ts() {
            let (records, popped, rack) = (&self.records, self.records_popped, &self.rack);
            self.tsorted.walk(|id, ts_gen| {
                let Some(i) = live_entry(records, popped, id, ts_gen) else {
                    return Step::Drop;
                };
                let seg = records[i].rack_view();
                // Entries are in the order of their transmit times: all
                // after this one were sent after RACK.xmit_ts too.
                if seg.xmit_ts > rack_ts {
                    return Step::Stop;
                }
                match rack.judge(now, &seg, reo_wnd) {
                    // Sent at RACK.xmit_ts, not before it (RFC 8985 6.2
                    // `RACK_sent_after`'s sequence tie-break).
                    None => Step::Keep,
                    Some(Ok(())) => {
                        d.lost.push(i);
                        Step::Drop
                    }
                    Some(Err(w)) => {
                        d.wait = Some(d.wait.map_or(w, |x| x.max(w)));
                        Step::Keep
                    }
                }
            });
        }
        // Debug builds and the tests walk every record in sequence order
        // too (RFC 8985 6.2 step 5 as written) and compare: the same
        // records lost, the same wait.
        #[cfg(any(test, debug_assertions))]
        {
            let mut by_seq = d.clone();
            by_seq.lost.sort_unstable();
            assert_eq!(
                by_seq,
                self.rack
                    .detect_loss(now, reo_wnd, self.records.iter().map(SentRec::rack_view))
            );
        }
        for &i in &d.lost {
            self.mark_lost(i);
        }
        (d.lost.len(), d.wait)
    }

    /// The acknowledged records' entries at the front of the transmit-time
    /// order go with them (and any other entry there that names no live
    /// record).
    pub(super) fn trim_tsorted_front(&mut self) {
        let (records, popped) = (&self.records, self.records_popped);
        self.tsorted
            .trim_front(|id, ts_gen| live_entry(records, popped, id, ts_gen).is_some());
    }

    /// Puts every live record into the transmit-time order afresh, oldest
    /// transmission first (after a retransmission timeout made records
    /// marked lost live again).
    fn rebuild_tsorted(&mut self) {
        let mut live: Vec<(SimTime, u64, usize)> = (self.records.iter().enumerate())
            .filter(|(_, r)| r.rack_live())
            .map(|(i, r)| (r.xmit_ts, r.end, i))
            .collect();
        live.sort_unstable();
        self.tsorted.clear();
        for (_, _, i) in live {
            self.records[i].ts_gen = self.tsorted.push(self.records_popped + i as u64);
        }
    }

    /// Linux `tcp_mark_skb_lost`: record `i` is lost; its unSACKed bytes
    /// wait for a retransmission. A lost retransmission (Linux
    /// `TCPCB_SACKED_RETRANS` cleared) counts in `lost_retransmissions`.
    fn mark_lost(&mut self, i: usize) {
        let r = &mut self.records[i];
        if !r.lost {
            r.lost = true;
            self.lost_segs += 1;
        }
        if r.rtx_out {
            r.rtx_out = false;
            self.lost_retransmissions += 1;
        }
        let (start, end) = (r.start.max(self.snd_una), r.end);
        let mut s = start;
        while s < end {
            s = self.sb.next_unsacked(s);
            if s >= end {
                break;
            }
            let e = self.sb.next_sacked_after(s).unwrap_or(end).min(end);
            self.rack_lost.add(s, e);
            s = e;
        }
    }

    /// Bytes RACK marked lost and not resent (for tests and views).
    pub fn rack_lost_bytes(&self) -> u64 {
        self.rack_lost.sacked_bytes()
    }

    /// The first range RACK marked lost and not resent since.
    pub(super) fn rack_lost_first(&self) -> Option<(u64, u64)> {
        self.rack_lost.ranges().next()
    }

    /// The RACK state.
    pub fn rack(&self) -> &Rack {
        &self.rack
    }

    /// The outstanding tail loss probe, if any (RFC 8985 7 TLP.end_seq).
    pub fn tlp_high_seq(&self) -> Option<u64> {
        self.tlp.high_seq
    }

    /// RFC 8985 7.3: the probe timer fired; the next transmission is the
    /// probe. Returns false when no probe may go (not in the open state,
    /// nothing outstanding, or a probe already outstanding: Linux's "at
    /// most one outstanding TLP").
    pub fn arm_loss_probe(&mut self) -> bool {
        if !self.rack_active() || self.phase != Phase::Open || self.all_acked() || self.tlp.high_seq.is_some() {
            return false;
        }
        self.tlp_pending = true;
        true
    }

    /// Whether the next transmission is the loss probe.
    pub fn loss_probe_pending(&self) -> bool {
        self.tlp_pending
    }
}

impl SentRec {
    /// The record as RACK sees it.
    fn rack_view(&self) -> SegView {
        SegView {
            xmit_ts: self.xmit_ts,
            end_seq: self.end,
            retransmitted: self.retransmitted,
            sacked: self.sacked,
            lost_unsent: self.lost && !self.rtx_out,
        }
    }

    /// Whether RACK's walk looks at it: not wholly SACKed, not lost and
    /// waiting to be resent (`Rack::detect_loss` skips those).
    pub(super) fn rack_live(&self) -> bool {
        !self.sacked && (!self.lost || self.rtx_out)
    }
}

/// The index in `records` of the record that entry `(id, ts_gen)` of the
/// transmit-time order names, if it still names it (not acknowledged, not
/// resent since) and the record is live (RACK's walk looks at it).
fn live_entry(records: &VecDeque<SentRec>, popped: u64, id: u64, ts_gen: u32) -> Option<usize> {
    let i = usize::try_from(id.checked_sub(popped)?).ok()?;
    let r = records.get(i)?;
    (r.ts_gen == ts_gen && r.rack_live()).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::*;
    use super::*;

    /// One step of the random drives below: `(op, a, b, c, dt_ms, off)`.
    type Op = (u8, u64, u64, u64, u64, u64);

    /// Drives `s` through `ops`: sends (new data, or what RACK marked lost
    /// first), ACKs (cumulative to any byte, a SACK block, data on the
    /// segment or not, the window moving), reordering timeouts with loss
    /// probes, and RTOs. After each step, every live record has exactly one
    /// entry naming it in the transmit-time order. `Sender::on_ack` and
    /// `rack_mark_lost` compare their fast forms with the general ones in
    /// tests, so the drive checks those too.
    fn drive(s: &mut Sender, ops: &[Op]) -> Result<(), proptest::test_runner::TestCaseError> {
        let mss = MSS as u64;
        let (srtt, min) = (Some(SimDuration::from_millis(20)), Some(SimDuration::from_millis(10)));
        let mut now = t(0);
        let mut peer_seq = 0;
        for &(op, a, b, c, dt, off) in ops {
            now += SimDuration::from_millis(dt);
            match op {
                0 | 1 => {
                    for _ in 0..=a {
                        if let Plan::Send(p) = s.plan(&ctx(64 * mss)) {
                            s.on_sent(&p, now, 64 * mss);
                        }
                    }
                }
                2 | 3 => {
                    // A cumulative ACK `a` segments (and, for one in
                    // three, `off % mss` bytes) on, a SACK of `c` segments
                    // `b` after it (none when `b` is 0), data on the
                    // segment when `off` is odd, the window changing
                    // rarely (duplicate ACKs need it unchanged).
                    let bytes = if off >= 2000 { off % mss } else { 0 };
                    let ack = (s.snd_una + a * mss + bytes).min(s.snd_max);
                    let left = (ack + b * mss).min(s.snd_max);
                    let right = (left + c * mss).min(s.snd_max);
                    let blocks = [SackBlock { left, right }];
                    let sack: &[SackBlock] = if b > 0 && left < right { &blocks } else { &[] };
                    let data = off % 2 == 1;
                    if data {
                        peer_seq += 100;
                    }
                    let wnd = if off % 11 == 5 { 1 << 29 } else { 1 << 30 };
                    let mut o = s.on_ack(now, peer_seq, ack, wnd, sack, !data);
                    s.rack_after_ack(now, srtt, min, &mut o);
                }
                4 => {
                    s.rack_reo_timeout(now, srtt, min);
                    if s.arm_loss_probe()
                        && let Plan::Send(p) = s.plan(&ctx(64 * mss))
                    {
                        s.on_sent(&p, now, 64 * mss);
                    }
                }
                _ => {
                    if !s.all_acked() && b == 0 {
                        s.on_rto();
                    }
                }
            }
            let popped = s.records_popped;
            let mut named = vec![0u32; s.records.len()];
            s.tsorted.walk(|id, g| {
                if let Some(i) = live_entry(&s.records, popped, id, g) {
                    named[i] += 1;
                }
                Step::Keep
            });
            for (i, r) in s.records.iter().enumerate() {
                proptest::prop_assert_eq!(named[i], u32::from(r.rack_live()), "record {}", i);
            }
        }
        Ok(())
    }

    fn ops() -> impl proptest::strategy::Strategy<Value = Vec<Op>> {
        proptest::collection::vec((0u8..6, 0u64..6, 0u64..12, 1u64..5, 0u64..15, 0u64..3000), 1..120)
    }

    proptest::proptest! {
        /// RACK's walk in transmit-time order finds what the walk over every
        /// record in sequence order finds (RFC 8985 6.2 step 5 as
        /// written): `rack_mark_lost` compares the two in tests, here
        /// through sends, retransmissions of what RACK marked lost, loss
        /// probes, cumulative ACKs, SACKs, reordering timeouts and RTOs at
        /// random.
        #[test]
        fn the_transmit_time_walk_finds_what_the_sequence_walk_finds(ops in ops()) {
            let mut s = fixture(true, 1 << 24, 0);
            s.rack_enabled = true;
            drive(&mut s, &ops)?;
        }

        /// The ACK fast path (header prediction) leaves the sender and
        /// answers as the general path does, with SACK or without, RACK or
        /// RFC 6675, limited transmit or not: `Sender::on_ack` runs both in
        /// tests and compares.
        #[test]
        fn the_ack_fast_path_leaves_the_sender_as_the_general_path_does(
            sack in proptest::bool::ANY,
            rack in proptest::bool::ANY,
            limited in proptest::bool::ANY,
            ops in ops(),
        ) {
            let mut s = fixture(sack, 1 << 24, 0);
            s.rack_enabled = sack && rack;
            s.limited_transmit = limited;
            drive(&mut s, &ops)?;
        }
    }

    #[test]
    fn a_data_segment_with_nothing_outstanding_takes_the_idle_path_and_only_updates_the_window() {
        let mut s = fixture(true, 10_000, 4);
        s.rack_enabled = true;
        s.on_ack(t(100), 0, seq(4), 1 << 20, &[], true);
        assert!(s.all_acked());
        // The peer's data segment acknowledges nothing new and opens the
        // window: the idle path (which tests compare with the general one).
        assert!(s.ack_is_idle(seq(4), &[], false));
        let o = s.on_ack(t(110), 1, seq(4), 2 << 20, &[], false);
        assert_eq!(
            o,
            AckOutcome {
                window_grew: true,
                ..AckOutcome::default()
            }
        );
        assert_eq!(s.snd_wnd, 2 << 20);
        // A pure ACK of nothing new is a duplicate candidate: not idle.
        assert!(!s.ack_is_idle(seq(4), &[], true));
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
    fn linux_holds_ssthresh_for_a_timeout_in_recovery_or_a_second_one_without_progress() {
        let mut s = fixture(true, 20_000, 10);
        // A timeout in the open state begins an episode: no hold.
        let mut open = fixture(true, 20_000, 10);
        assert!(!open.on_rto().episode_hold);
        // Fast recovery under way (RecoveryPoint above SND.UNA): hold.
        s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 8), true);
        assert_eq!(s.phase, Phase::Recovery);
        assert!(s.on_rto().episode_hold);
        // A second timeout before SND.UNA moves: hold.
        assert!(s.on_rto().episode_hold);
        // After cumulative progress, a timeout lowers ssthresh again (Linux
        // clears `icsk_retransmits` when SND.UNA advances).
        s.on_ack(t(30), 0, seq(1), 1 << 20, &[], true);
        assert_eq!(s.phase, Phase::Loss);
        assert!(!s.on_rto().episode_hold);
    }

    #[test]
    fn with_frto_an_ack_of_original_data_after_a_timeout_undoes_it() {
        // RFC 5682 3.1 step 3.b: the timer fired, the head went out again,
        // then the ACK of the original segments 0..5 arrives (they were only
        // delayed): spurious.
        let mut s = fixture(true, 20_000, 10);
        s.frto_enabled = true;
        let mss = MSS as u64;
        s.on_rto();
        assert_eq!(send(&mut s, mss).map(|p| p.kind), Some(SegKind::Head));
        let o = s.on_ack(t(300), 0, seq(5), 1 << 20, &[], true);
        assert!(o.orig_acked && o.frto_undo && o.exited_loss);
        assert_eq!(s.phase, Phase::Open);
        // Nothing is presumed lost: new data follows, not retransmissions.
        assert_eq!(send(&mut s, 20 * mss).map(|p| p.start), Some(seq(10)));
    }

    #[test]
    fn with_frto_new_data_goes_out_after_the_first_ack_and_a_sack_then_shows_the_loss_was_real() {
        let mut s = fixture(true, 20_000, 10);
        s.frto_enabled = true;
        let mss = MSS as u64;
        s.on_rto();
        send(&mut s, mss);
        // Step 2.b: the ACK of the retransmitted head only.
        let o = s.on_ack(t(300), 0, seq(1), 1 << 20, &[], true);
        assert!(!o.frto_undo);
        assert_eq!(s.phase, Phase::Loss);
        assert_eq!(
            send(&mut s, 2 * mss).map(|p| (p.start, p.kind)),
            Some((seq(10), SegKind::New))
        );
        // Step 3.a: the new data is SACKed above the hole at 1: real loss;
        // the loss phase retransmits 1 next.
        let o = s.on_ack(t(400), 0, seq(1), 1 << 20, &sack(10, 11), true);
        assert!(!o.frto_undo);
        assert_eq!(
            send(&mut s, 3 * mss).map(|p| (p.start, p.kind)),
            Some((seq(1), SegKind::Lost))
        );
        // Without F-RTO the ACK of the head is followed by retransmissions.
        let mut plain = fixture(true, 20_000, 10);
        plain.on_rto();
        send(&mut plain, mss);
        plain.on_ack(t(300), 0, seq(1), 1 << 20, &[], true);
        assert_eq!(send(&mut plain, 2 * mss).map(|p| p.start), Some(seq(1)));
    }

    #[test]
    fn a_timeout_during_fast_recovery_does_not_start_frto() {
        let mut s = fixture(true, 20_000, 10);
        s.frto_enabled = true;
        s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 8), true);
        s.on_rto();
        send(&mut s, MSS as u64);
        // An ACK of SACKed-before data is not original data newly acked.
        let o = s.on_ack(t(300), 0, seq(8), 1 << 20, &[], true);
        assert!(!o.frto_undo);
    }

    #[test]
    fn the_newest_acknowledged_segment_gives_the_congestion_controls_rtt() {
        let mut s = fixture(true, 10_000, 2);
        let mss = MSS as u64;
        // Two more segments sent at 1 ms.
        send(&mut s, 10 * mss);
        send(&mut s, 10 * mss);
        let o = s.on_ack(t(50), 0, seq(4), 1 << 20, &[], true);
        assert_eq!(o.rtt_sample, Some(SimDuration::from_millis(50)));
        assert_eq!(o.ca_rtt_sample, Some(SimDuration::from_millis(49)));
    }

    #[test]
    fn with_rack_three_sacks_mark_the_hole_lost_at_once_and_recovery_resends_only_it() {
        let mut s = fixture(true, 20_000, 10);
        s.rack_enabled = true;
        let mss = MSS as u64;
        let (srtt, min) = (Some(SimDuration::from_millis(10)), Some(SimDuration::from_millis(10)));
        // Segments 1..=3 SACKed 10 ms after all ten left: three SACKs and
        // no reordering seen, so the window is 0 and segment 0 (sent before
        // segment 3, RACK.rtt ago) is lost; 4..=9 were not sent before.
        let mut o = s.on_ack(t(10), 0, seq(0), 1 << 20, &sack(1, 4), true);
        assert!(!o.entered_recovery);
        let wait = s.rack_after_ack(t(10), srtt, min, &mut o);
        assert!(o.entered_recovery && wait.is_none());
        assert_eq!(s.phase, Phase::Recovery);
        assert_eq!(s.rack_lost_bytes(), mss);
        // Linux in_flight: 10 out - 3 SACKed - 1 lost.
        assert_eq!(s.pipe(), 6 * mss);
        let p = send(&mut s, 100 * mss).unwrap();
        assert_eq!((p.start, p.kind), (seq(0), SegKind::Lost));
        assert_eq!(s.pipe(), 7 * mss);
        // Nothing else is lost: new data follows.
        assert_eq!(send(&mut s, 100 * mss).map(|p| p.kind), Some(SegKind::New));
    }

    #[test]
    fn with_rack_two_sacks_wait_for_the_reordering_window() {
        let mut s = fixture(true, 20_000, 10);
        s.rack_enabled = true;
        let (srtt, min) = (Some(SimDuration::from_millis(40)), Some(SimDuration::from_millis(40)));
        // Two SACKs: the window is min_rtt/4 = 10 ms; segment 0 expires
        // at 0 + RACK.rtt (40) + 10 ms, 10 ms from now.
        let mut o = s.on_ack(t(40), 0, seq(0), 1 << 20, &sack(1, 3), true);
        let wait = s.rack_after_ack(t(40), srtt, min, &mut o);
        assert_eq!(wait, Some(SimDuration::from_millis(10)));
        assert!(!o.entered_recovery);
        assert_eq!(s.phase, Phase::Open);
        // The reordering timer fires: lost, fast recovery.
        assert!(s.rack_reo_timeout(t(50), srtt, min).is_some());
        assert_eq!(s.phase, Phase::Recovery);
        assert_eq!(s.rack_lost_bytes(), MSS as u64);
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
}
