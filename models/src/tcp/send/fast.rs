//! The ACK fast path, after Linux's header prediction (`net/ipv4/tcp_input.c`
//! `tcp_rcv_established`: the segment is the one expected, and for the
//! receiver of bulk data an ACK that acknowledges nothing new only updates
//! the window, `tcp_update_wl`; for the sender `tcp_ack` finds no SACK
//! blocks to tag and nothing marked lost). Here the prediction is: no SACK
//! blocks on the segment, the open phase, nothing SACKed or marked lost or
//! carried over from before a timeout, and not a duplicate-ACK candidate
//! (new data acknowledged, or the segment carries data). Such ACKs are
//! nearly all of a bulk transfer's: the data segments a receiver gets (which
//! acknowledge nothing new) and the sender's ACKs of in-order data.
//!
//! What RFC 9293 3.10.7.4 requires of them still happens, in the same order
//! as on the general path (`recovery`): the cumulative acknowledgement of
//! records and chunks with the RTT samples Karn's rule allows (RFC 6298 3),
//! RACK's advance by each acknowledged record (RFC 8985 6.2 step 2) and its
//! reordering window's update, the window update (SND.WL1/WL2), the tail
//! loss probe's ACK processing (RFC 8985 7.4), the duplicate-ACK counter's
//! reset and the RTO restart (RFC 6298 5.3). What it leaves out is what
//! those conditions make empty: the SACK blocks' `Update()`, the SACKed and
//! lost bookkeeping, the recovery phases. Tests and debug builds run the
//! general path beside it on a copy and assert the same outcome and state
//! (`Sender::on_ack`).

use sim_core::SimTime;

use super::Sender;
use super::rack::AckFlags;
use super::recovery::{AckOutcome, Phase};
use crate::segment::SackBlock;

impl Sender {
    /// Whether an ACK to `ack` with `sack` blocks takes the fast path.
    #[inline]
    pub(super) fn ack_is_predicted(&self, ack: u64, sack: &[SackBlock], is_pure: bool) -> bool {
        (sack.is_empty() || !self.sack_mode)
            && self.phase == Phase::Open
            && self.snd_una <= ack
            && ack <= self.snd_max
            // Not a duplicate ACK (RFC 5681 2: no data and SEG.ACK = SND.UNA).
            && (ack > self.snd_una || !is_pure)
            && self.sacked_segs == 0
            && self.lost_segs == 0
            && self.sb.is_empty()
            && self.pre_rto_sacked.is_empty()
            && self.rack_lost.is_empty()
    }

    /// [`Sender::on_ack`] for a predicted ACK (`ack_is_predicted`).
    pub(super) fn on_ack_fast(&mut self, now: SimTime, seg_seq: u64, ack: u64, wnd: u64, is_pure: bool) -> AckOutcome {
        let mut out = AckOutcome::default();
        let old_una = self.snd_una;
        out.flight_before = self.bytes_in_flight();
        let window_changed = wnd != self.snd_wnd;
        let prior_delivered = self.delivered_bytes;
        if ack > old_una {
            let mut first_sent = None;
            let mut last_sent = None;
            while let Some(&r) = self.records.front() {
                if r.end > ack {
                    break;
                }
                if r.retransmitted {
                    out.retransmitted_acked = true;
                } else {
                    first_sent = first_sent.or(Some(r.sent_at));
                    last_sent = Some(r.sent_at);
                    out.orig_acked |= r.end <= self.recover;
                }
                if self.rack_enabled {
                    // Nothing SACKed: Linux's `prior_fack` is SND.UNA. With
                    // no SACK blocks to tag first, RACK advances in the
                    // records' order right away (`tcp_rack_advance`).
                    if !r.retransmitted && r.start < old_una {
                        self.rack.reord_seen = true;
                    }
                    self.rack.advance(now, r.xmit_ts, r.end, r.retransmitted, self.min_rtt);
                }
                self.records.pop_front();
                self.records_popped += 1;
            }
            self.trim_tsorted_front();
            // RFC 6298 3 (Karn).
            if !out.retransmitted_acked {
                out.rtt_sample = first_sent.map(|t| now.saturating_since(t));
                out.ca_rtt_sample = last_sent.map(|t| now.saturating_since(t));
            }
            self.pop_acked_chunks(ack);
            out.acked = ack - old_una;
            // Nothing was SACKed: every byte acknowledged is delivered now.
            out.delivered = out.acked;
            self.snd_una = ack;
            self.high_rxt = self.high_rxt.max(ack);
            if self.fin_sent && ack == self.write_end + 1 {
                out.fin_acked = true;
            }
            self.roll_cwnd_window();
        }
        if self.rack_enabled {
            self.delivered_bytes += out.delivered;
            // Linux `tcp_rack_update_reo_wnd`.
            self.rack.update_reo_wnd(prior_delivered, self.delivered_bytes);
        }
        // RFC 9293 3.10.7.4: the window update (Linux `tcp_update_wl`).
        if self.snd_wl1 < seg_seq || (self.snd_wl1 == seg_seq && self.snd_wl2 <= ack) {
            out.window_grew = wnd > self.snd_wnd;
            self.snd_wnd = wnd;
            self.snd_wl1 = seg_seq;
            self.snd_wl2 = ack;
            self.max_snd_wnd = self.max_snd_wnd.max(wnd);
        }
        // Not a duplicate (Linux `FLAG_NOT_DUP`), SACKs nothing, open phase:
        // not dubious, no loss detection.
        let not_dup = !is_pure || window_changed || ack > old_una;
        debug_assert!(not_dup);
        if self.rack_enabled {
            // RFC 8985 7.4 / Linux `tcp_process_tlp_ack`.
            out.tlp = self.tlp.on_ack(AckFlags {
                ack,
                una_advanced: ack > old_una,
                not_dup,
                data_sacked: false,
                dsack_tlp: false,
            });
        }
        if ack > old_una {
            // RFC 6675 5 / RFC 5681: a cumulative ACK resets DupAcks;
            // RFC 6298 5.3 restarts the timer.
            self.dupacks = 0;
            self.limited_tx_bytes = 0;
            out.restart_rto = true;
        }
        out
    }
}
