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

    /// Whether an ACK takes the idle path ([`Sender::on_idle_ack`]): a
    /// predicted ACK (`ack_is_predicted`) that acknowledges nothing with
    /// nothing outstanding (SND.UNA = SEG.ACK = SND.NXT) and no probe
    /// episode open: a segment of data that a receiver gets while its own
    /// sender is idle, as every data segment of a one-way transfer.
    #[inline]
    pub fn ack_is_idle(&self, ack: u64, sack: &[SackBlock], is_pure: bool) -> bool {
        self.predicted_ack_is_idle(ack) && self.ack_is_predicted(ack, sack, is_pure)
    }

    /// [`Sender::ack_is_idle`] for an ACK known to be predicted.
    #[inline]
    pub(super) fn predicted_ack_is_idle(&self, ack: u64) -> bool {
        ack == self.snd_una && self.snd_una == self.snd_max && self.tlp.high_seq.is_none()
    }

    /// [`Sender::on_ack`] for an ACK that [`Sender::ack_is_idle`] accepts;
    /// returns whether the peer's window grew. Its outcome is otherwise the
    /// empty `AckOutcome`: nothing is acknowledged or delivered, so there is
    /// no RTT sample, no congestion-control call and no timer to restart;
    /// the ACK is not dubious (it carries data, Linux `FLAG_NOT_DUP`), so
    /// RACK does not run. What remains is Linux `tcp_ack`'s bookkeeping for
    /// such an ACK: RACK's reordering-window update
    /// (`tcp_rack_update_reo_wnd`, with nothing delivered) and the window
    /// update (`tcp_ack_update_window`, RFC 9293 3.10.7.4); the TLP check
    /// finds no episode. Tests and debug builds run the general path on a
    /// copy and compare.
    pub fn on_idle_ack(
        &mut self,
        now: SimTime,
        seg_seq: u64,
        ack: u64,
        wnd: u64,
        sack: &[SackBlock],
        is_pure: bool,
    ) -> bool {
        debug_assert!(ack == self.snd_una && self.snd_una == self.snd_max);
        #[cfg(any(test, debug_assertions))]
        let mut general = self.clone();
        if self.rack_enabled {
            let delivered = self.delivered_bytes;
            self.rack.update_reo_wnd(delivered, delivered);
        }
        let mut window_grew = false;
        if self.snd_wl1 < seg_seq || (self.snd_wl1 == seg_seq && self.snd_wl2 <= ack) {
            window_grew = wnd > self.snd_wnd;
            self.snd_wnd = wnd;
            self.snd_wl1 = seg_seq;
            self.snd_wl2 = ack;
            self.max_snd_wnd = self.max_snd_wnd.max(wnd);
        }
        #[cfg(any(test, debug_assertions))]
        {
            let want = general.on_ack_general(now, seg_seq, ack, wnd, sack, is_pure);
            let got = AckOutcome {
                window_grew,
                ..AckOutcome::default()
            };
            assert_eq!(got, want, "the idle path's outcome");
            assert_eq!(*self, general, "the sender after the idle path");
        }
        let _ = (now, sack, is_pure);
        window_grew
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
