//! Outputs of the endpoint: `poll_transmit` and the segments it builds, in
//! priority order (RST, SYN or SYN/ACK, the handshake's third ACK, data or
//! FIN from the sender's plan, a zero-window probe, a pure ACK), the
//! persist timer armed when the peer's window stops the data, and
//! `poll_timeout` / `poll_event`.

use sim_core::SimTime;

use super::send::{Blocked, Plan, PlanCtx, SegKind};
use super::{Mapping, TcpEndpoint, TcpEvent, TcpState, Timer, Transmit, TransmitInfo, options, ts_clock};
use crate::segment::{MptcpVersion, OptionsLen, Segment, TcpFlags, TcpOptions};

impl TcpEndpoint {
    /// The earliest armed timer.
    pub fn poll_timeout(&self) -> Option<SimTime> {
        self.earliest_timer()
    }

    /// The next event, in order; `None` when there is none.
    pub fn poll_event(&mut self) -> Option<TcpEvent> {
        self.events.pop_front()
    }

    pub(super) fn can_send_data(&self) -> bool {
        use TcpState::*;
        matches!(self.state, Established | CloseWait | FinWait1 | Closing | LastAck)
    }

    /// The next segment to send, if any (built by
    /// [`poll_transmit_into`](Self::poll_transmit_into) into a new segment).
    #[inline]
    pub fn poll_transmit(&mut self, now: SimTime) -> Option<Transmit> {
        let mut seg = Segment::default();
        let info = self.poll_transmit_into(now, &mut seg)?;
        Some(Transmit {
            seg,
            mapping: info.mapping,
            is_retransmission: info.is_retransmission,
        })
    }

    /// The next segment to send, if any, built in `out` (whatever `out`
    /// held is replaced; on `None` it is left as it was): the caller's slot
    /// is written once, where a returned [`Transmit`] was copied on its way
    /// out of each layer (issue 18).
    ///
    /// A quiet endpoint (nothing to send since its last `None`, and no input
    /// since) answers here, inlined into the caller; only the others pay
    /// for the call into the full decision, whose frame is large.
    #[inline]
    pub fn poll_transmit_into(&mut self, now: SimTime, out: &mut Segment) -> Option<TransmitInfo> {
        if self.quiet {
            return None;
        }
        self.poll_transmit_loud(now, out)
    }

    #[inline(never)]
    fn poll_transmit_loud(&mut self, now: SimTime, out: &mut Segment) -> Option<TransmitInfo> {
        let t = self.poll_transmit_inner(now, out);
        self.quiet = t.is_none() || self.quiet_after_segment(now);
        t
    }

    /// Right after a segment: whether the next poll is known to answer
    /// `None` (so the endpoint is quiet at once, and the poll that follows
    /// every segment is answered inline). It is when nothing
    /// `poll_transmit_inner` tests is pending and the sender plans nothing;
    /// that poll's effects are made here: `last_blocked = NoData` (the
    /// persist timer cannot arm after it) and the owed loss-probe re-arm
    /// (the burst ended, `probe_timer.rs`). Time alone never makes a quiet
    /// endpoint send (every input clears `quiet`), so the answer holds at
    /// any later instant too. Debug builds run the poll instead and assert
    /// it answers `None` with the same effect.
    #[inline]
    fn quiet_after_segment(&mut self, now: SimTime) -> bool {
        let quiet = !self.rst_pending
            && match self.state {
                TcpState::Closed => true,
                TcpState::SynSent | TcpState::SynReceived => !self.syn_pending,
                _ => {
                    !self.handshake_ack_pending
                        && !self.probe_pending
                        && !self.rcv.ack_now
                        && (!self.can_send_data() || self.snd.plans_nothing())
                }
            };
        if !quiet {
            return false;
        }
        let blocked = if self.can_send_data() {
            Some(Blocked::NoData)
        } else {
            self.last_blocked
        };
        #[cfg(debug_assertions)]
        {
            let mut probe = crate::testing::pair::stale_slot();
            assert_eq!(
                self.poll_transmit_inner(now, &mut probe),
                None,
                "a poll after a segment judged quiet sends"
            );
            assert_eq!(self.last_blocked, blocked, "the skipped poll's effect");
        }
        #[cfg(not(debug_assertions))]
        let _ = now;
        self.last_blocked = blocked;
        self.settle_loss_probe();
        true
    }

    fn poll_transmit_inner(&mut self, now: SimTime, out: &mut Segment) -> Option<TransmitInfo> {
        if self.rst_pending {
            self.rst_pending = false;
            self.rst_segment(out);
            return Some(TransmitInfo::PLAIN);
        }
        match self.state {
            TcpState::Closed => return None,
            TcpState::SynSent | TcpState::SynReceived => {
                if self.syn_pending {
                    return Some(self.syn_segment(now, out));
                }
                return None;
            }
            _ => {}
        }
        if self.handshake_ack_pending {
            self.handshake_ack_pending = false;
            self.pure_ack_into(now, out);
            return Some(TransmitInfo::PLAIN);
        }
        if self.can_send_data()
            && let Some(t) = self.try_send_data(now, out)
        {
            return Some(t);
        }
        if self.probe_pending {
            self.window_probe_into(now, out);
            return Some(TransmitInfo::PLAIN);
        }
        if self.rcv.ack_now {
            self.pure_ack_into(now, out);
            return Some(TransmitInfo::PLAIN);
        }
        self.arm_persist_if_needed(now);
        // The burst ended (`probe_timer.rs`).
        self.settle_loss_probe();
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

    fn try_send_data(&mut self, now: SimTime, out: &mut Segment) -> Option<TransmitInfo> {
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
        let probe = self.snd.loss_probe_pending();
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
        if probe || p.kind != SegKind::New {
            // Not a new segment: the probe re-arm owed is made first (`probe_timer.rs`).
            self.settle_loss_probe();
        }
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
        *out = self.base_segment(p.start, flags);
        out.payload_len = p.len;
        self.finish_segment(now, out, data_opts);
        self.snd.on_sent(&p, now, cwnd);
        self.sws_override = false;
        self.last_send_at = Some(now);
        // RFC 6298 5.1: start the timer if it is not running. Data in
        // flight: the retransmission timer replaces the persist timer.
        self.timers.set_if_unarmed(Timer::Retransmit, now + self.rtt.rto());
        self.timers.cancel(Timer::Persist);
        if probe {
            // RFC 8985 7.3 / Linux `tcp_send_loss_probe`: the RTO restarts
            // from the probe; no new probe until this one is answered.
            self.timers.set(Timer::Retransmit, now + self.rtt.rto());
            self.stats.loss_probes += 1;
        } else if p.kind == SegKind::New {
            // Linux `tcp_write_xmit` -> `tcp_schedule_loss_probe`, made
            // once the burst ends (`probe_timer.rs`).
            self.defer_loss_probe(now, false);
        }
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
        Some(TransmitInfo {
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
            // No option yet; `finish_segment` and the SYN say theirs.
            options_len: OptionsLen::new(0),
        }
    }

    /// ACK number, window, timestamps and SACK blocks of a non-SYN segment;
    /// `used_option_bytes` is what the other options take (the bytes the
    /// MPTCP layer reserves are not on the segment yet: its options are the
    /// timestamps and SACK blocks only, whose wire length is remembered in
    /// `options_len`).
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
        // RFC 7323 3.2 (NOP NOP TS) and RFC 2018 3 (NOP NOP SACK n): the
        // same in either MPTCP version.
        let ts_bytes = if self.ts_ok {
            options::TIMESTAMPS_ALIGNED_BYTES
        } else {
            0
        };
        seg.options_len = OptionsLen::new((ts_bytes + options::sack_option_bytes(seg.options.sack.len())) as usize);
        if seg.flags.ack {
            self.rcv.on_ack_sent();
            self.timers.cancel(Timer::DelayedAck);
        }
    }

    /// A pure ACK, as a new segment.
    pub(super) fn pure_ack(&mut self, now: SimTime) -> Segment {
        let mut seg = Segment::default();
        self.pure_ack_into(now, &mut seg);
        seg
    }

    /// A pure ACK, built in `out`.
    fn pure_ack_into(&mut self, now: SimTime, out: &mut Segment) {
        *out = self.base_segment(self.snd.snd_max, TcpFlags::ack());
        self.finish_segment(now, out, self.ack_option_bytes());
        self.stats.segments_sent += 1;
        self.stats.pure_acks_sent += 1;
    }

    /// The zero-window probe the persist timer asked for (RFC 9293
    /// 3.8.6.1 asks for a probe; the form is Linux `tcp_xmit_probe_skb`'s):
    /// an ACK with the sequence number SND.UNA - 1. Cold and out
    /// of line, as are the SYN and the RST below: inlined, these rare
    /// segments would spread the per-packet path of `poll_transmit_inner`
    /// over more instruction-cache lines.
    #[cold]
    #[inline(never)]
    fn window_probe_into(&mut self, now: SimTime, out: &mut Segment) {
        self.probe_pending = false;
        *out = self.base_segment(self.snd.snd_una - 1, TcpFlags::ack());
        self.finish_segment(now, out, self.ack_option_bytes());
        self.stats.segments_sent += 1;
    }

    #[cold]
    #[inline(never)]
    fn syn_segment(&mut self, now: SimTime, out: &mut Segment) -> TransmitInfo {
        self.syn_pending = false;
        let synack = self.state == TcpState::SynReceived;
        let (flags, ack) = if synack {
            (TcpFlags::syn_ack(), self.rcv.rcv_nxt)
        } else {
            (TcpFlags::syn(), 0)
        };
        *out = self.base_segment(self.iss, flags);
        let seg = out;
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
        // TCP options only: the same length in either MPTCP version (a SYN
        // is sent once per handshake step, so it is simply summed).
        seg.options_len = OptionsLen::new(crate::wire::tcp_options_len(&seg.options, MptcpVersion::V1));
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
        TransmitInfo {
            mapping: None,
            is_retransmission: resent,
        }
    }

    /// RFC 9293 3.10.4 ABORT: <SEQ=SND.NXT><CTL=RST> (with ACK, as Linux).
    #[cold]
    #[inline(never)]
    fn rst_segment(&mut self, out: &mut Segment) {
        let mut flags = TcpFlags::ack();
        flags.rst = true;
        *out = self.base_segment(self.snd.snd_max, flags);
        out.ack = self.rcv.rcv_nxt;
        self.stats.segments_sent += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::unit_tests::{A, B, cc, fixture, t};
    use super::super::*;

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
    fn a_segment_built_in_place_over_another_is_the_one_poll_transmit_returns() {
        // Two identical connections: one polled for new segments, one
        // building into a slot that holds another segment, never reset.
        let (mut a1, mut b1, synack) = fixture(TcpConfig::default(), TcpConfig::default());
        let (mut a2, mut b2, _) = fixture(TcpConfig::default(), TcpConfig::default());
        a1.handle_segment(t(20), &synack);
        a2.handle_segment(t(20), &synack);
        let mut slot = crate::testing::pair::stale_slot();
        let mut sent = 0;
        for ms in 20..60 {
            assert_eq!(a1.send(4000), a2.send(4000));
            loop {
                let tx = a1.poll_transmit(t(ms));
                let info = a2.poll_transmit_into(t(ms), &mut slot);
                assert_eq!(
                    tx.as_ref().map(|x| (x.mapping, x.is_retransmission)),
                    info.map(|i| (i.mapping, i.is_retransmission))
                );
                let Some(tx) = tx else { break };
                assert_eq!(tx.seg, slot);
                assert_eq!(tx.seg.options_len.get(), slot.options_len.get());
                sent += 1;
                // The peer answers (its ACKs go back the same way).
                b1.handle_segment(t(ms), &tx.seg);
                b2.handle_segment(t(ms), &slot);
            }
            while let Some(ack) = b1.poll_transmit(t(ms)) {
                assert!(b2.poll_transmit_into(t(ms), &mut slot).is_some());
                assert_eq!(ack.seg, slot);
                a1.handle_segment(t(ms + 1), &ack.seg);
                a2.handle_segment(t(ms + 1), &slot);
            }
            assert!(b2.poll_transmit_into(t(ms), &mut slot).is_none());
        }
        assert!(sent > 20, "{sent}");
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
}
