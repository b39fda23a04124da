//! Inputs of the endpoint: received segments, in the order of RFC 9293
//! 3.10.7 (SYN-SENT, then the sequence, RST, SYN and ACK checks, the ACK
//! fields, then payload and FIN), and the expiry of its timers
//! (retransmission, delayed ACK, persist, TIME-WAIT). The congestion
//! control's `on_ack`, `on_congestion_event` and `on_rto` run only here.

use sim_core::{SimDuration, SimTime};

use super::recv::AckUrgency;
use super::send::{AckOutcome, RACK_TIMEOUT_MIN, TlpAck};
use super::{CloseReason, LossResponse, RecoveryPhase, TcpEndpoint, TcpEvent, TcpState, Timer, ts_clock};
use crate::cc::{AckSample, Coupling, LazyCoupling};
use crate::segment::Segment;

impl TcpEndpoint {
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
        self.handle_segment_lazy(now, seg, &mut LazyCoupling::ready(*coupling));
    }

    /// A received segment; the congestion control builds the views of
    /// `coupling` only if it needs them (`CongestionControl::on_ack_lazy`).
    pub fn handle_segment_lazy(&mut self, now: SimTime, seg: &Segment, coupling: &mut LazyCoupling<'_>) {
        self.quiet = false;
        self.settle_loss_probe();
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
            self.on_unacceptable_segment(now, seg);
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
        if self.state == TcpState::SynReceived && !self.on_ack_in_syn_received(now, seg) {
            return;
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

    /// RFC 9293 3.10.7.4 first: an unacceptable segment gets an ACK
    /// (unless it is a RST) and is dropped. Out of line and cold, as are
    /// the handshake and closing steps below: they run a few times per
    /// connection, and inlined they would spread the per-packet path of
    /// `handle_segment_lazy` over more instruction-cache lines.
    #[cold]
    #[inline(never)]
    fn on_unacceptable_segment(&mut self, now: SimTime, seg: &Segment) {
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
    }

    /// RFC 9293 3.10.7.4 fifth, in SYN-RECEIVED: the ACK of our SYN/ACK
    /// completes the handshake. Returns false when the segment must be
    /// dropped.
    #[cold]
    #[inline(never)]
    fn on_ack_in_syn_received(&mut self, now: SimTime, seg: &Segment) -> bool {
        if seg.ack != self.iss + 1 {
            // RFC 9293 would answer with a RST; simplified: dropped.
            return false;
        }
        let wnd = (seg.window as u64) << self.snd_wscale;
        self.snd.on_syn_acked(seg.seq, seg.ack, wnd);
        self.on_handshake_done(now);
        true
    }

    /// RFC 9293 3.10.7.3: SEGMENT ARRIVES in SYN-SENT.
    #[cold]
    #[inline(never)]
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

    #[cold]
    #[inline(never)]
    fn on_handshake_done(&mut self, now: SimTime) {
        if !self.syn_resent {
            // Karn: the SYN (or SYN/ACK) was sent once, its RTT is valid.
            if let Some(t) = self.syn_sent_at {
                self.rtt
                    .on_sample_at(now.saturating_since(t), self.snd.snd_una, self.snd.snd_max);
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
    fn process_ack(&mut self, now: SimTime, seg: &Segment, coupling: &mut LazyCoupling<'_>) -> bool {
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
        if self.snd.ack_is_idle(seg.ack, sack, is_pure) {
            // A data segment while our own sender is idle: the ACK fields
            // acknowledge nothing (`Sender::on_idle_ack`).
            self.snd.min_rtt = self.rtt.min_rtt();
            let window_grew = self.snd.on_idle_ack(now, seg.seq, seg.ack, wnd, sack, is_pure);
            self.after_idle_ack(window_grew);
            return true;
        }
        let cwnd_before = self.cc.cwnd_bytes();
        let in_ss = self.cc.in_slow_start();
        // RACK reads min_rtt as it was before this ACK's sample.
        self.snd.min_rtt = self.rtt.min_rtt();
        let mut o = self.snd.on_ack(now, seg.seq, seg.ack, wnd, sack, is_pure);
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
        let mut ca_rtt = o.ca_rtt_sample;
        if sample.is_none()
            && self.ts_ok
            && o.acked > 0
            && let Some((_, tsecr)) = seg.options.timestamps
            && tsecr != 0
        {
            let ms = ts_clock(now).wrapping_sub(tsecr);
            if (ms as i32) >= 0 {
                sample = Some(SimDuration::from_millis(ms as u64));
                ca_rtt = ca_rtt.or(sample);
            }
        }
        if let Some(r) = sample {
            self.rtt.on_sample_at(r, self.snd.snd_una, self.snd.snd_max);
            self.stats.rtt_samples += 1;
        }
        if o.acked > 0 {
            self.rto_retries = 0;
        }
        // RFC 8985 6.2: RACK loss detection, with this ACK's RTT sample in
        // SRTT and min_rtt (Linux `tcp_fastretrans_alert` after
        // `tcp_clean_rtx_queue`); it may start fast recovery.
        let rack_wait = self
            .snd
            .rack_after_ack(now, self.rtt.srtt(), self.rtt.min_rtt(), &mut o);

        // Congestion control, only through the trait.
        if o.entered_recovery || o.tlp == TlpAck::Recovered || o.frto_undo || o.exited_recovery {
            self.on_ack_recovery_change(now, &o, cwnd_before, coupling);
        } else if self.snd.phase != RecoveryPhase::Recovery && o.delivered > 0 {
            let ack = AckSample {
                now,
                bytes_acked: o.delivered,
                bytes_in_flight: o.flight_before,
                rtt: sample,
                srtt: self.rtt.srtt(),
                min_rtt: self.rtt.min_rtt(),
                cwnd_limited: self.snd.is_cwnd_limited(cwnd_before, in_ss),
                snd_una: self.snd.snd_una,
                snd_nxt: self.snd.snd_max,
                ca_rtt,
            };
            self.cc.on_ack_lazy(&ack, coupling);
        }

        // RFC 6937 3 on every ACK in recovery, after the congestion control
        // (Linux `tcp_cong_control` -> `tcp_cwnd_reduction`).
        if self.cfg.prr && self.snd.phase == RecoveryPhase::Recovery {
            self.snd.prr_on_ack(o.delivered, self.cc.ssthresh_bytes(), o.acked > 0);
        }

        // RFC 6298 5.2: all data acknowledged: stop the timer; 5.3: an ACK
        // of new data restarts it.
        if self.snd.all_acked() {
            self.timers.cancel(Timer::Retransmit);
        } else if o.restart_rto {
            self.timers.set(Timer::Retransmit, now + self.rtt.rto());
        }
        if self.snd.rack_active() {
            self.stats.lost_retransmissions = self.snd.lost_retransmissions;
            if self.snd.all_acked() {
                self.timers.cancel(Timer::ReoTimeout);
                self.timers.cancel(Timer::LossProbe);
            } else if let Some(w) = rack_wait {
                // RFC 8985 6.3 / Linux `tcp_rack_mark_lost`: the longest
                // wait plus `TCP_TIMEOUT_MIN_US`, at most the RTO; it
                // takes the place of the probe timer for this ACK.
                let wait = (w + RACK_TIMEOUT_MIN).min(self.rtt.rto());
                self.timers.set(Timer::ReoTimeout, now + wait);
                self.timers.cancel(Timer::LossProbe);
            } else {
                if o.dubious {
                    self.timers.cancel(Timer::ReoTimeout);
                }
                if o.acked > 0 {
                    // Linux `tcp_set_xmit_timer` on an ACK of new data;
                    // owed like a burst's (`probe_timer.rs`).
                    self.defer_loss_probe(now, true);
                } else if self.snd.phase != RecoveryPhase::Open {
                    self.timers.cancel(Timer::LossProbe);
                }
            }
        }
        self.on_window_update(o.window_grew);
        if o.fin_acked {
            match self.state {
                FinWait1 => self.state = FinWait2,
                Closing => self.enter_time_wait(now),
                LastAck => self.close_with(CloseReason::Fin),
                _ => {}
            }
        }
        self.report_writable();
        true
    }

    /// `process_ack`'s congestion-control step for an ACK that starts or
    /// ends a recovery (rare: out of line and cold, so that the ACK path
    /// stays on fewer instruction-cache lines).
    #[cold]
    #[inline(never)]
    fn on_ack_recovery_change(
        &mut self,
        now: SimTime,
        o: &AckOutcome,
        cwnd_before: u64,
        coupling: &mut LazyCoupling<'_>,
    ) {
        if o.entered_recovery {
            self.enter_fast_recovery(now, o, cwnd_before, coupling);
        } else if o.tlp == TlpAck::Recovered {
            // RFC 8985 7.4.2 / Linux `tcp_process_tlp_ack`: the probe
            // repaired a loss: `tcp_init_cwnd_reduction` then
            // `tcp_end_cwnd_reduction` (cwnd = ssthresh).
            let base = match self.cfg.loss_response {
                LossResponse::Rfc5681 => o.flight_before,
                LossResponse::Linux => cwnd_before,
            };
            self.cc.on_congestion_event(now, base, &coupling.get());
            self.cc.on_recovery_exit(now, self.cc.ssthresh_bytes());
            self.stats.loss_probe_recoveries += 1;
        } else if o.frto_undo {
            // RFC 5682 3.1 step 3.b; Linux `tcp_try_undo_loss`.
            self.cc.undo_reduction(self.undo_cwnd, self.undo_ssthresh);
            self.stats.spurious_rtos += 1;
        } else if o.exited_recovery {
            let flight = if self.cfg.prr {
                // Linux `tcp_end_cwnd_reduction`: cwnd = ssthresh (the
                // flight handed over makes RFC 6582's min() pick ssthresh).
                self.cc.ssthresh_bytes()
            } else {
                self.snd.bytes_in_flight()
            };
            self.cc.on_recovery_exit(now, flight);
        }
    }

    /// The rest of `process_ack` for an ACK on the sender's idle path
    /// (`Sender::on_idle_ack`: nothing acknowledged, nothing outstanding):
    /// what the general path does with its empty outcome. No RTT sample
    /// and no congestion-control call (nothing acknowledged or delivered),
    /// no loss detection (not dubious), no FIN acknowledged.
    fn after_idle_ack(&mut self, window_grew: bool) {
        // Any ACK answers the zero-window probes (Linux `icsk_probes_out = 0`).
        self.probes_unanswered = 0;
        // RFC 6298 5.2: all data acknowledged: the timer stays stopped.
        self.timers.cancel(Timer::Retransmit);
        if self.snd.rack_active() {
            self.stats.lost_retransmissions = self.snd.lost_retransmissions;
            self.timers.cancel(Timer::ReoTimeout);
            self.timers.cancel(Timer::LossProbe);
        }
        self.on_window_update(window_grew);
        self.report_writable();
    }

    /// The window opened: the persist timer stops (RFC 9293 3.8.6.1).
    fn on_window_update(&mut self, window_grew: bool) {
        if self.snd.snd_wnd > 0 && window_grew {
            self.timers.cancel(Timer::Persist);
            self.persist_backoff = 0;
        }
    }

    /// Room in the send buffer again after a blocked write: Linux
    /// `sk_stream_is_writeable`, free space at least half of what is queued.
    fn report_writable(&mut self) {
        if self.write_blocked && matches!(self.state, TcpState::Established | TcpState::CloseWait) {
            let space = self.snd.space();
            if space > 0 && space >= self.snd.queued_bytes() / 2 {
                self.write_blocked = false;
                self.events.push_back(TcpEvent::Writable);
            }
        }
    }

    /// Payload and FIN of an acceptable segment (RFC 9293 3.10.7.4 seventh
    /// and eighth).
    fn process_data(&mut self, now: SimTime, seg: &Segment) {
        use TcpState::*;
        if !matches!(self.state, Established | FinWait1 | FinWait2) {
            self.on_data_after_peer_fin(now, seg);
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
            self.on_peer_fin(now);
        }
    }

    /// CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer already sent its
    /// FIN; a retransmitted FIN is acknowledged, and in TIME-WAIT it
    /// restarts the 2 MSL timeout (RFC 9293 3.10.7.4 eighth).
    #[cold]
    #[inline(never)]
    fn on_data_after_peer_fin(&mut self, now: SimTime, seg: &Segment) {
        if seg.flags.fin {
            self.rcv.ack_now = true;
            if self.state == TcpState::TimeWait {
                self.timers.set(Timer::TimeWait, now + self.cfg.time_wait);
            }
        }
    }

    /// The peer's FIN, in order (RFC 9293 3.10.7.4 eighth).
    #[cold]
    #[inline(never)]
    fn on_peer_fin(&mut self, now: SimTime) {
        use TcpState::*;
        self.events.push_back(TcpEvent::PeerFin);
        match self.state {
            Established => self.state = CloseWait,
            // Our FIN is not acknowledged yet (else we would be in
            // FIN-WAIT-2).
            FinWait1 => self.state = Closing,
            FinWait2 => self.enter_time_wait(now),
            _ => {}
        }
    }

    #[cold]
    #[inline(never)]
    fn enter_time_wait(&mut self, now: SimTime) {
        self.settle_loss_probe();
        self.state = TcpState::TimeWait;
        self.timers.cancel_all();
        self.timers.set(Timer::TimeWait, now + self.cfg.time_wait);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn close_with(&mut self, reason: CloseReason) {
        self.settle_loss_probe();
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
        let coupling = &mut LazyCoupling::ready(*coupling);
        self.quiet = false;
        self.settle_loss_probe();
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
                Timer::ReoTimeout => self.on_reo_timeout(now, coupling),
                Timer::LossProbe => {
                    // RFC 8985 7.3: the probe goes out from
                    // `poll_transmit`; Linux sends it from the timer and
                    // re-arms the RTO from now (`tcp_send_loss_probe`), so
                    // an RTO due at this instant does not fire.
                    if self.can_send_data() && self.snd.arm_loss_probe() {
                        self.timers.set(Timer::Retransmit, now + self.rtt.rto());
                    }
                }
            }
        }
    }

    /// Fast recovery began (`o` from the ACK or the reordering timer that
    /// started it): the congestion control's reduction, PRR, the event.
    #[cold]
    #[inline(never)]
    fn enter_fast_recovery(&mut self, now: SimTime, o: &AckOutcome, cwnd_before: u64, coupling: &mut LazyCoupling<'_>) {
        let base = match self.cfg.loss_response {
            // RFC 5681 3.2 step 2: ssthresh from FlightSize.
            LossResponse::Rfc5681 => o.congestion_flight,
            // Linux `tcp_init_cwnd_reduction`: `ca_ops->ssthresh()`,
            // which Reno and CUBIC compute from cwnd.
            LossResponse::Linux => cwnd_before,
        };
        self.cc.on_congestion_event(now, base, &coupling.get());
        if !self.snd.sack_mode {
            self.snd.set_newreno_window(self.cc.ssthresh_bytes());
        }
        if self.cfg.prr {
            // RFC 6937 3: RecoverFS; Linux `prior_cwnd`.
            self.snd.start_prr(cwnd_before);
        }
        self.stats.fast_retransmits += 1;
        self.events
            .push_back(TcpEvent::FastRetransmit { seq: self.snd.snd_una });
    }

    /// RFC 8985 6.3 / Linux `tcp_rack_reo_timeout`: mark what expired; from
    /// the open state that starts fast recovery, with the window reduction
    /// Linux makes there (`tcp_cwnd_reduction` with one segment counted as
    /// delivered).
    fn on_reo_timeout(&mut self, now: SimTime, coupling: &mut LazyCoupling<'_>) {
        if !self.can_send_data() {
            return;
        }
        let cwnd_before = self.cc.cwnd_bytes();
        if let Some(o) = self.snd.rack_reo_timeout(now, self.rtt.srtt(), self.rtt.min_rtt()) {
            self.enter_fast_recovery(now, &o, cwnd_before, coupling);
            if self.cfg.prr {
                let smss = u64::from(self.snd.smss);
                self.snd.prr_on_ack(smss, self.cc.ssthresh_bytes(), false);
            }
        }
        self.stats.lost_retransmissions = self.snd.lost_retransmissions;
        self.timers.cancel(Timer::LossProbe);
    }

    /// RFC 8985 7.2 / Linux `tcp_schedule_loss_probe`: arm the probe timer
    /// in the open state with data outstanding. `advancing_rto`: the RTO
    /// was just restarted (an ACK of new data), so the probe is bounded by
    /// a whole RTO; else by what is left of the running one.
    pub(super) fn schedule_loss_probe(&mut self, now: SimTime, advancing_rto: bool) {
        match self.loss_probe_deadline(now, advancing_rto) {
            Some(d) => self.timers.set(Timer::LossProbe, d),
            None => self.timers.cancel(Timer::LossProbe),
        }
    }

    fn on_retransmit_timeout(&mut self, now: SimTime, coupling: &mut LazyCoupling<'_>) {
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
                // the connection out, unless it is an orphan.
                if self.snd.snd_wnd != 0 || self.orphaned {
                    self.rto_retries += 1;
                }
                // Linux `tcp_write_timeout`. For an orphan past `TCP_RTO_MAX` the
                // budget is 0, but `retransmits_timed_out` cannot expire
                // before one retransmission: it gives up at the second
                // expiry, not the first.
                if self.rto_retries > self.retry_limit(self.rtt.rto(), 1) {
                    self.close_with(CloseReason::Timeout);
                    return;
                }
                // RFC 6298 5.4 (retransmit the earliest segment, via the
                // sender's loss phase), RFC 5681 3.1 eq. (4) in the CC.
                let rto = self.snd.on_rto();
                let hold_now = match self.cfg.loss_response {
                    LossResponse::Rfc5681 => rto.repeated,
                    LossResponse::Linux => rto.episode_hold,
                };
                if !hold_now {
                    // Linux `tcp_enter_loss`: prior_cwnd, and prior_ssthresh
                    // = `tcp_current_ssthresh` (ssthresh, or 3/4 cwnd if
                    // higher outside a window reduction).
                    let (cwnd, ssthresh) = (self.cc.cwnd_bytes(), self.cc.ssthresh_bytes());
                    self.undo_cwnd = cwnd;
                    self.undo_ssthresh = ssthresh.max(cwnd / 2 + cwnd / 4);
                }
                let (base, hold) = match self.cfg.loss_response {
                    LossResponse::Rfc5681 => (rto.flight, rto.repeated),
                    // Linux `tcp_enter_loss`: `ca_ops->ssthresh()` from
                    // cwnd, unless already lowered in this episode.
                    LossResponse::Linux => (self.cc.cwnd_bytes(), rto.episode_hold),
                };
                self.cc.on_rto(now, base, hold, &coupling.get());
                // RFC 6298 5.5 back off, 5.6 restart the timer.
                self.rtt.back_off();
                self.timers.set(Timer::Retransmit, now + self.rtt.rto());
                self.timers.cancel(Timer::Persist);
                self.timers.cancel(Timer::ReoTimeout);
                self.timers.cancel(Timer::LossProbe);
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
        // Linux `tcp_probe_timer`: an orphan past `TCP_RTO_MAX` is
        // aborted at once.
        if self.probes_unanswered > self.retry_limit(self.persist_interval(), 0) {
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
    /// How many retransmission timeouts (or unanswered window probes) in
    /// a row the endpoint survives: the expiry that makes the count exceed
    /// it closes the endpoint. `backed_off` is the interval that has just
    /// expired; `when_dead` the budget of an orphan whose interval has
    /// reached `rto_max`.
    fn retry_limit(&self, backed_off: SimDuration, when_dead: u32) -> u32 {
        if !self.orphaned {
            // Linux `tcp_retries2`.
            return self.cfg.max_rto_retries;
        }
        // Linux tcp_timer.c `tcp_orphan_retries`: an orphan whose interval
        // is still below `TCP_RTO_MAX` ("alive") gets 8 (the sysctl's
        // default 0 read as 8), else the sysctl's 0.
        if backed_off < self.cfg.rto_max {
            self.cfg.orphan_retries
        } else {
            when_dead
        }
    }

    pub(super) fn persist_interval(&self) -> SimDuration {
        self.rtt
            .rto()
            .saturating_mul(1 << self.persist_backoff)
            .min(self.cfg.rto_max)
    }
}

#[cfg(test)]
mod tests {
    use super::super::unit_tests::{fixture, t};
    use super::super::*;

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
}
