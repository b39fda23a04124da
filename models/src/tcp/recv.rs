//! The receive side of one endpoint: reassembly (the out-of-order queue as
//! ranges), SACK block generation, the advertised window and the
//! delayed-ACK decision. No payload is stored, only sequence ranges.
//!
//! Rules and their sources:
//! - Segment acceptability: RFC 9293 3.10.7.4 (first check), plus Linux's
//!   allowance for a bare FIN at a zero window (`tcp_data_queue`).
//! - Out-of-order data is kept as sorted ranges; SACK blocks list the block
//!   holding the most recently received segment first, then the most
//!   recently reported others (RFC 2018 4).
//! - Window: free buffer space (or the MPTCP layer's connection-level
//!   window, RFC 8684 3.3.5), never moving the right edge left (RFC 9293
//!   3.8.6.2.2, RFC 7323 2.4) unless `set_zero_window` forces a zero window
//!   (iOS does so before resetting a cellular subflow), and not moving it
//!   right by less than min(buffer/2, MSS) (receiver SWS avoidance, RFC 9293
//!   3.8.6.2.2).
//! - Window update after the application reads: Linux `__tcp_cleanup_rbuf`
//!   ("lots" = the new window is at least twice the current one, checked
//!   when the current one is at most half the buffer).
//! - Delayed ACK: RFC 5681 4.2 / RFC 9293 3.8.6.3 with Linux's choices:
//!   quick-ack mode for the first `quickack_segments` data segments, an ACK
//!   once more than one full-sized segment is unacknowledged
//!   (`__tcp_ack_snd_check`), the delayed-ACK timer otherwise, and an
//!   immediate ACK for out-of-order, duplicate and hole-filling data and
//!   for a FIN.
//!
//! Simplified (observable): the buffer size is fixed (no autotuning, no
//! `rcv_ssthresh` growth: the full buffer is offered at once); the ACK
//! timeout is fixed (Linux adapts `ato` between 40 and 200 ms); no
//! quick-ack re-entry after idle; no D-SACK (RFC 2883); a FIN is ACKed at
//! once (Linux may delay it in pingpong mode).

use crate::segment::{SackBlock, SackBlocks};

/// What an arriving segment's data did, for the ACK decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataOutcome {
    /// New in-order bytes (rcv_nxt advance, FIN excluded).
    pub advanced: u64,
    /// The segment landed above a hole.
    pub out_of_order: bool,
    /// The segment filled (part of) the hole at rcv_nxt.
    pub filled_hole: bool,
    /// The segment held only already-received data.
    pub duplicate: bool,
    /// Data beyond the offered window was dropped.
    pub beyond_window: bool,
    /// The peer's FIN was consumed in sequence by this segment.
    pub fin: bool,
}

/// When to acknowledge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckUrgency {
    /// Nothing to acknowledge.
    None,
    /// Arm the delayed-ACK timer (if not armed).
    Delayed,
    /// Acknowledge at once.
    Now,
}

/// Receive-side state (RFC 9293 3.3.1 receive sequence variables).
#[derive(Clone, Debug)]
pub struct Receiver {
    /// RCV.NXT: next sequence number expected (past the FIN once received).
    pub rcv_nxt: u64,
    /// Next sequence number the application reads.
    pub read_nxt: u64,
    /// Sequence number of the peer's FIN, once seen (maybe out of order).
    pub fin_seq: Option<u64>,
    /// The FIN was consumed in sequence.
    pub fin_received: bool,
    /// Out-of-order data: sorted, disjoint, non-adjacent ranges above rcv_nxt.
    ooo: Vec<(u64, u64)>,
    ooo_bytes: u64,
    /// A sequence number inside each recently reported SACK block, most
    /// recent first (RFC 2018 4).
    sack_recent: [u64; SackBlocks::MAX],
    sack_recent_len: usize,
    /// Receive buffer size in bytes (RCV.BUFF, RFC 9293 3.8.6.2.2).
    pub buf_bytes: u64,
    /// Our window-scale shift (RFC 7323 2.2); 0 when not negotiated.
    pub wscale: u8,
    /// The right edge of the largest window advertised so far.
    adv_right: u64,
    zero_forced: bool,
    external_wnd: Option<u64>,
    /// `window_update_due` answered `false` and nothing it reads has
    /// changed since: every method here that changes the right edge,
    /// RCV.NXT, the read point, the forced zero window or the external
    /// window clears it, and so must a direct write to the public `wscale`,
    /// `smss` or `buf_bytes` ([`Receiver::forget_window_check`]). See
    /// [`Receiver::window_update_settled`].
    update_checked: bool,
    /// Our SMSS, for receiver SWS avoidance.
    pub smss: u32,
    // Delayed ACK.
    delayed_ack: bool,
    quickack_left: u32,
    /// Largest payload seen (Linux `rcv_mss`).
    rcv_mss: u32,
    /// Last.ACK.sent (RFC 7323 4.3): the ACK number of our last segment.
    pub last_ack_sent: u64,
    /// An ACK must go out now.
    pub ack_now: bool,
    /// TS.Recent (RFC 7323 4.3).
    pub ts_recent: Option<u32>,
}

impl Receiver {
    /// A receiver with a buffer of `buf_bytes`; `delayed_ack`: ACKs may be
    /// delayed (RFC 5681 4.2); `quickack_segments`: how many of the first
    /// data segments are ACKed at once (Linux quick-ack mode).
    pub fn new(buf_bytes: u64, delayed_ack: bool, quickack_segments: u32) -> Self {
        Receiver {
            rcv_nxt: 0,
            read_nxt: 0,
            fin_seq: None,
            fin_received: false,
            ooo: Vec::new(),
            ooo_bytes: 0,
            sack_recent: [0; SackBlocks::MAX],
            sack_recent_len: 0,
            buf_bytes,
            wscale: 0,
            adv_right: 0,
            zero_forced: false,
            external_wnd: None,
            update_checked: false,
            smss: 536,
            delayed_ack,
            quickack_left: quickack_segments,
            rcv_mss: 0,
            last_ack_sent: 0,
            ack_now: false,
            ts_recent: None,
        }
    }

    /// The peer's SYN at `irs` was received; `syn_window` is the window we
    /// put (or will put) in our SYN, unscaled (RFC 7323 2.2).
    pub fn on_syn(&mut self, irs: u64, syn_window: u64) {
        self.rcv_nxt = irs + 1;
        self.read_nxt = irs + 1;
        self.last_ack_sent = irs + 1;
        self.adv_right = irs + 1 + syn_window;
        self.update_checked = false;
    }

    /// The window scale is known: count the whole buffer as offered, so
    /// the first read after the handshake is not taken for a window
    /// opening (the peer learns the scaled window from our next segment;
    /// Linux instead grows the offered window gradually, `rcv_ssthresh`).
    pub fn on_handshake(&mut self) {
        let (wnd, _) = self.select_window();
        self.adv_right = self.adv_right.max(self.rcv_nxt + wnd);
        self.update_checked = false;
    }

    /// The window put in our SYN or SYN/ACK: never scaled (RFC 7323 2.2).
    pub fn syn_window(&self) -> u16 {
        self.free_space().min(u16::MAX as u64) as u16
    }

    /// In-order bytes the application has not read yet.
    pub fn readable_bytes(&self) -> u64 {
        let end = self.rcv_nxt - self.fin_received as u64;
        end - self.read_nxt
    }

    /// Bytes held out of order (above RCV.NXT, beyond a hole).
    pub fn ooo_bytes(&self) -> u64 {
        self.ooo_bytes
    }

    /// The out-of-order ranges `(start, end)`, end exclusive, sorted and
    /// disjoint.
    pub fn ooo_ranges(&self) -> &[(u64, u64)] {
        &self.ooo
    }

    /// Forces (`true`) or stops forcing a zero window on every segment sent
    /// (iOS does so before resetting a cellular subflow).
    pub fn set_zero_window(&mut self, on: bool) {
        self.zero_forced = on;
        self.update_checked = false;
    }

    /// Whether a zero window is forced.
    pub fn zero_window_forced(&self) -> bool {
        self.zero_forced
    }

    /// The MPTCP connection-level window to offer instead of the free buffer
    /// (RFC 8684 3.3.5); `None`: the free buffer.
    pub fn set_external_window(&mut self, w: Option<u64>) {
        if self.external_wnd != w {
            self.external_wnd = w;
            self.update_checked = false;
        }
    }

    /// Whether [`Receiver::window_update_due`] is known to answer `false`
    /// with the external window `w`: it did the last time it was asked
    /// ([`Receiver::note_update_not_due`]), with `w`, and nothing it reads
    /// has changed since. Exact: the flag is cleared by every change of
    /// what the answer depends on (checked in debug builds by the caller
    /// and by a property test below).
    #[inline]
    pub fn window_update_settled(&self, w: Option<u64>) -> bool {
        self.update_checked && self.external_wnd == w
    }

    /// Records that [`Receiver::window_update_due`] just answered `false`
    /// (or that its answer does not matter until something it reads
    /// changes).
    pub fn note_update_not_due(&mut self) {
        self.update_checked = true;
    }

    /// Forgets that the window-update check was settled; for a direct
    /// write to `wscale`, `smss` or `buf_bytes`.
    pub fn forget_window_check(&mut self) {
        self.update_checked = false;
    }

    /// Space to offer: the MPTCP window if set, else the free buffer.
    /// Out-of-order bytes lie inside the window already offered, so they
    /// do not reduce it (they are inside `[rcv_nxt, adv_right)`).
    fn free_space(&self) -> u64 {
        match self.external_wnd {
            Some(w) => w,
            None => self.buf_bytes.saturating_sub(self.readable_bytes()),
        }
    }

    /// The window currently offered to the peer: RCV.WND.
    pub fn rcv_wnd(&self) -> u64 {
        self.adv_right.saturating_sub(self.rcv_nxt)
    }

    /// The window we would offer now and its right edge, without changing
    /// anything.
    fn select_window(&self) -> (u64, u16) {
        let scale = 1u64 << self.wscale;
        let max_wnd = (u16::MAX as u64) << self.wscale;
        let cur = self.rcv_wnd();
        let free = self.free_space().min(max_wnd);
        // RFC 9293 3.8.6.2.2: move the right edge only by at least
        // min(Fr * RCV.BUFF, Eff.snd.MSS), Fr = 1/2; never shrink it.
        let threshold = (self.external_wnd.unwrap_or(self.buf_bytes) / 2).min(self.smss as u64);
        let field = if free > cur && free - cur >= threshold.max(1) {
            // Round a new window down to the scale, but never below the
            // current right edge (Linux `tcp_select_window` ALIGN).
            (free / scale).max(cur.div_ceil(scale))
        } else {
            cur.div_ceil(scale)
        };
        let field = field.min(u16::MAX as u64);
        (field << self.wscale, field as u16)
    }

    /// The window field for an outgoing non-SYN segment; records the right
    /// edge offered.
    pub fn advertise(&mut self) -> u16 {
        if self.zero_forced {
            // iOS-style forced zero window: the right edge shrinks on the
            // wire (RFC 9293 3.8.6.2.2 says SHOULD NOT); data already in
            // flight inside the old edge is still accepted.
            return 0;
        }
        let (wnd, field) = self.select_window();
        let right = self.rcv_nxt + wnd;
        if right > self.adv_right {
            self.adv_right = right;
            self.update_checked = false;
        }
        field
    }

    /// Linux `__tcp_cleanup_rbuf`: after a read, ACK now if the window we
    /// would offer is at least twice the one offered, and the offered one
    /// is at most half the buffer.
    pub fn window_update_due(&self) -> bool {
        if self.zero_forced {
            return false;
        }
        let cur = self.rcv_wnd();
        let clamp = self.external_wnd.unwrap_or(self.buf_bytes);
        if 2 * cur > clamp {
            return false;
        }
        let (new, _) = self.select_window();
        new > 0 && new >= 2 * cur
    }

    /// RFC 9293 3.10.7.4 first check, in Linux's form (`tcp_sequence`): a
    /// segment is acceptable unless it ends before the left edge we last
    /// advertised (RCV.NXT when our last ACK left) or starts beyond the
    /// right edge. Unlike the RFC table, a zero-length segment exactly at
    /// the right edge (a pure ACK from a peer that filled our window) is
    /// accepted, and a segment at a zero window is accepted so that its
    /// ACK field counts (its data is then dropped, see `on_data`).
    pub fn is_acceptable(&self, seq: u64, seg_len: u64) -> bool {
        let wup = self.last_ack_sent.min(self.rcv_nxt);
        seq + seg_len >= wup && seq <= self.rcv_nxt + self.rcv_wnd()
    }

    /// Takes the payload `[seq, seq + len)` and an optional FIN after it.
    pub fn on_data(&mut self, seq: u64, len: u32, fin: bool) -> DataOutcome {
        let mut out = DataOutcome::default();
        let end_untrimmed = seq + len as u64;
        // Data beyond the offered right edge is trimmed (RFC 9293 3.10.7.4
        // "trim to the window"); a FIN counts only if nothing was trimmed.
        let right = self.adv_right.max(self.rcv_nxt);
        let end = end_untrimmed.min(right);
        if fin && end == end_untrimmed && self.fin_seq.is_none() && !self.fin_received {
            self.fin_seq = Some(end_untrimmed);
        }
        if len > 0 {
            self.rcv_mss = self.rcv_mss.max(len);
        }
        out.beyond_window = end < end_untrimmed;
        let start = seq.max(self.rcv_nxt);
        if start >= end {
            out.duplicate = len > 0 && seq < self.rcv_nxt;
        } else if start == self.rcv_nxt {
            let had_ooo = !self.ooo.is_empty();
            let before = self.rcv_nxt;
            self.rcv_nxt = end;
            // Pull in out-of-order ranges that are now contiguous.
            let mut k = 0;
            while k < self.ooo.len() && self.ooo[k].0 <= self.rcv_nxt {
                let (s, e) = self.ooo[k];
                self.ooo_bytes -= e - s;
                self.rcv_nxt = self.rcv_nxt.max(e);
                k += 1;
            }
            self.ooo.drain(..k);
            out.advanced = self.rcv_nxt - before;
            self.update_checked = false;
            // RFC 5681 4.2: ACK at once a segment that fills (part of) a gap.
            out.filled_hole = had_ooo;
        } else {
            self.insert_ooo(start, end);
            out.out_of_order = true;
        }
        if let Some(f) = self.fin_seq
            && !self.fin_received
            && self.rcv_nxt == f
        {
            self.rcv_nxt += 1;
            self.fin_received = true;
            out.fin = true;
            self.update_checked = false;
        }
        out
    }

    /// Out-of-order data (RFC 2018 4's block order). Cold and out of line,
    /// as are the SACK blocks' general paths below: out-of-order data is
    /// the exception, and inlined these would spread the per-packet path
    /// over more instruction-cache lines.
    #[cold]
    #[inline(never)]
    fn insert_ooo(&mut self, start: u64, end: u64) {
        let i = self.ooo.partition_point(|r| r.1 < start);
        let mut j = i;
        let (mut s, mut e) = (start, end);
        let mut covered = 0;
        while j < self.ooo.len() && self.ooo[j].0 <= end {
            let (rs, re) = self.ooo[j];
            covered += re.min(end).saturating_sub(rs.max(start));
            s = s.min(rs);
            e = e.max(re);
            j += 1;
        }
        if j == i {
            self.ooo.insert(i, (s, e));
        } else {
            self.ooo[i] = (s, e);
            self.ooo.drain(i + 1..j);
        }
        self.ooo_bytes += (end - start) - covered;
        // RFC 2018 4: the block holding the newest segment goes first, then
        // the previously reported blocks, without repeats.
        let mut recent = [0u64; SackBlocks::MAX];
        recent[0] = start;
        let mut n = 1;
        for k in 0..self.sack_recent_len {
            let x = self.sack_recent[k];
            if n == SackBlocks::MAX {
                break;
            }
            let Some(r) = self.ooo_range_of(x) else { continue };
            if r == (s, e) || recent[..n].iter().any(|&y| self.ooo_range_of(y) == Some(r)) {
                continue;
            }
            recent[n] = x;
            n += 1;
        }
        self.sack_recent = recent;
        self.sack_recent_len = n;
    }

    fn ooo_range_of(&self, x: u64) -> Option<(u64, u64)> {
        let i = self.ooo.partition_point(|r| r.1 <= x);
        self.ooo.get(i).copied().filter(|r| r.0 <= x)
    }

    /// Number of SACK blocks there is information for.
    pub fn sack_block_count(&self) -> usize {
        // No out-of-order data (nearly every segment): no block, whatever
        // was reported before (every lookup below would find nothing).
        if self.ooo.is_empty() {
            debug_assert_eq!(self.sack_block_count_general(), 0);
            return 0;
        }
        self.sack_block_count_general()
    }

    /// [`Receiver::sack_block_count`] without its shortcut.
    #[cold]
    #[inline(never)]
    fn sack_block_count_general(&self) -> usize {
        (0..self.sack_recent_len)
            .filter(|&k| self.ooo_range_of(self.sack_recent[k]).is_some())
            .count()
    }

    /// SACK blocks for an outgoing segment, at most `max` (RFC 2018 4).
    pub fn sack_blocks(&self, max: usize) -> SackBlocks {
        // As in `sack_block_count`: no out-of-order data, no block.
        if self.ooo.is_empty() {
            debug_assert!(self.sack_blocks_general(max).is_empty());
            return SackBlocks::default();
        }
        self.sack_blocks_general(max)
    }

    /// [`Receiver::sack_blocks`] without its shortcut.
    #[cold]
    #[inline(never)]
    fn sack_blocks_general(&self, max: usize) -> SackBlocks {
        let mut b = SackBlocks::default();
        for k in 0..self.sack_recent_len {
            if b.len() >= max {
                break;
            }
            if let Some((s, e)) = self.ooo_range_of(self.sack_recent[k]) {
                b.push(SackBlock { left: s, right: e });
            }
        }
        b
    }

    /// The delayed-ACK decision for what `on_data` reported.
    pub fn ack_urgency(&mut self, o: &DataOutcome) -> AckUrgency {
        // RFC 5681 4.2: immediate ACK for out-of-order data and for data
        // that fills a hole; RFC 9293 3.10.7.4: a duplicate or data outside
        // the window gets an ACK.
        if o.out_of_order || o.duplicate || o.filled_hole || o.fin || o.beyond_window {
            return AckUrgency::Now;
        }
        if o.advanced == 0 {
            return AckUrgency::None;
        }
        if !self.delayed_ack {
            return AckUrgency::Now;
        }
        // Linux quick-ack mode at the start of a connection.
        if self.quickack_left > 0 {
            self.quickack_left -= 1;
            return AckUrgency::Now;
        }
        // RFC 5681 4.2 / RFC 9293 3.8.6.3: an ACK at least for every second
        // full-sized segment (Linux: more than one rcv_mss unacknowledged).
        if self.rcv_nxt - self.last_ack_sent > self.rcv_mss as u64 {
            return AckUrgency::Now;
        }
        AckUrgency::Delayed
    }

    /// Unacknowledged in-order data (or a FIN) is pending.
    pub fn ack_pending(&self) -> bool {
        self.rcv_nxt > self.last_ack_sent
    }

    /// An ACK for rcv_nxt went out (pure or piggybacked).
    pub fn on_ack_sent(&mut self) {
        self.last_ack_sent = self.rcv_nxt;
        self.ack_now = false;
    }

    /// The application reads up to `max` in-order bytes.
    pub fn read(&mut self, max: u64) -> Option<(u64, u64)> {
        let n = self.readable_bytes().min(max);
        if n == 0 {
            return None;
        }
        let seq = self.read_nxt;
        self.read_nxt += n;
        self.update_checked = false;
        Some((seq, n))
    }

    /// RFC 7323 4.3 (2): TS.Recent <- SEG.TSval if SEG.SEQ <= Last.ACK.sent
    /// (and the value is not older, compared modulo 2^32).
    pub fn update_ts_recent(&mut self, seq: u64, tsval: u32) {
        if seq <= self.last_ack_sent {
            let newer = self.ts_recent.is_none_or(|r| (tsval.wrapping_sub(r) as i32) >= 0);
            if newer {
                self.ts_recent = Some(tsval);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;
    const IRS: u64 = 10_000;

    /// A receiver after the handshake with a `buf`-byte buffer, no window
    /// scaling, delayed ACK on and `quick` quick-ACK segments.
    fn fixture(buf: u64, quick: u32) -> Receiver {
        let mut r = Receiver::new(buf, true, quick);
        r.smss = MSS;
        r.on_syn(IRS, buf.min(65_535));
        r
    }

    fn seq(i: u64) -> u64 {
        IRS + 1 + i * MSS as u64
    }

    #[test]
    fn in_order_data_advances_rcv_nxt_and_becomes_readable() {
        let mut r = fixture(64_000, 0);
        let o = r.on_data(seq(0), MSS, false);
        assert_eq!(o.advanced, MSS as u64);
        assert_eq!(r.readable_bytes(), MSS as u64);
        assert_eq!(r.read(600), Some((seq(0), 600)));
        assert_eq!(r.read(u64::MAX), Some((seq(0) + 600, 400)));
        assert_eq!(r.read(1), None);
    }

    #[test]
    fn out_of_order_data_is_queued_as_ranges_and_pulled_in_when_the_hole_fills() {
        let mut r = fixture(64_000, 0);
        assert!(r.on_data(seq(2), MSS, false).out_of_order);
        assert!(r.on_data(seq(3), MSS, false).out_of_order);
        assert_eq!(r.ooo_ranges(), &[(seq(2), seq(4))]);
        assert_eq!(r.ooo_bytes(), 2000);
        r.on_data(seq(0), MSS, false);
        let o = r.on_data(seq(1), MSS, false);
        assert!(o.filled_hole);
        assert_eq!(o.advanced, 3000);
        assert_eq!(r.rcv_nxt, seq(4));
        assert_eq!(r.ooo_bytes(), 0);
    }

    #[test]
    fn sack_blocks_list_the_most_recent_block_first() {
        let mut r = fixture(64_000, 0);
        r.on_data(seq(2), MSS, false);
        r.on_data(seq(6), MSS, false);
        r.on_data(seq(4), MSS, false);
        let b = r.sack_blocks(4);
        let got: Vec<_> = b.as_slice().iter().map(|b| (b.left, b.right)).collect();
        assert_eq!(got, vec![(seq(4), seq(5)), (seq(6), seq(7)), (seq(2), seq(3))]);
        // A segment joining blocks 4 and 6 makes one block, reported first.
        r.on_data(seq(5), MSS, false);
        let got: Vec<_> = r.sack_blocks(4).as_slice().iter().map(|b| (b.left, b.right)).collect();
        assert_eq!(got, vec![(seq(4), seq(7)), (seq(2), seq(3))]);
        assert_eq!(r.sack_blocks(1).len(), 1);
        // Filling the first hole drops the block that became in-order.
        r.on_data(seq(0), MSS, false);
        r.on_data(seq(1), MSS, false);
        let got: Vec<_> = r.sack_blocks(4).as_slice().iter().map(|b| (b.left, b.right)).collect();
        assert_eq!(got, vec![(seq(4), seq(7))]);
        // Filling the last hole leaves nothing to report, though blocks
        // were reported before.
        for i in 2..4 {
            r.on_data(seq(i), MSS, false);
        }
        assert_eq!(r.ooo_bytes(), 0);
        assert_eq!((r.sack_block_count(), r.sack_blocks(4).len()), (0, 0));
    }

    #[test]
    fn delayed_ack_acks_every_second_full_segment_after_quick_ack_mode() {
        let mut r = fixture(64_000, 2);
        for i in 0..2 {
            let o = r.on_data(seq(i), MSS, false);
            assert_eq!(r.ack_urgency(&o), AckUrgency::Now, "quick ack {i}");
            r.on_ack_sent();
        }
        let o = r.on_data(seq(2), MSS, false);
        assert_eq!(r.ack_urgency(&o), AckUrgency::Delayed);
        let o = r.on_data(seq(3), MSS, false);
        assert_eq!(r.ack_urgency(&o), AckUrgency::Now);
    }

    #[test]
    fn out_of_order_duplicate_and_hole_filling_data_are_acked_at_once() {
        let mut r = fixture(64_000, 0);
        let o = r.on_data(seq(1), MSS, false);
        assert_eq!(r.ack_urgency(&o), AckUrgency::Now);
        let o = r.on_data(seq(0), MSS, false);
        assert_eq!(r.ack_urgency(&o), AckUrgency::Now);
        let o = r.on_data(seq(0), MSS, false);
        assert!(o.duplicate);
        assert_eq!(r.ack_urgency(&o), AckUrgency::Now);
    }

    #[test]
    fn a_full_buffer_advertises_a_zero_window_and_reading_reopens_it() {
        let mut r = fixture(4000, 0);
        assert_eq!(r.advertise(), 4000);
        for i in 0..4 {
            r.on_data(seq(i), MSS, false);
        }
        assert_eq!(r.advertise(), 0);
        assert!(!r.is_acceptable(seq(4) + 1, MSS as u64));
        // Reading 100 bytes: less than min(buf/2, MSS): no update (SWS).
        r.read(100);
        assert!(!r.window_update_due());
        assert_eq!(r.advertise(), 0);
        r.read(2000);
        assert!(r.window_update_due());
        assert_eq!(r.advertise(), 2100);
    }

    #[test]
    fn the_right_edge_never_moves_left_unless_a_zero_window_is_forced() {
        let mut r = fixture(8000, 0);
        assert_eq!(r.advertise(), 8000);
        r.set_external_window(Some(2000));
        // The MPTCP window shrank; the offered edge stays.
        assert_eq!(r.advertise(), 8000);
        r.set_zero_window(true);
        assert_eq!(r.advertise(), 0);
        // Data in flight inside the old edge is still accepted.
        assert!(r.is_acceptable(seq(0), MSS as u64));
    }

    #[test]
    fn the_window_field_is_scaled_and_rounded_so_the_edge_never_recedes() {
        let mut r = Receiver::new(1 << 20, true, 0);
        r.smss = MSS;
        r.wscale = 5;
        r.on_syn(IRS, 65_535);
        assert_eq!(r.advertise(), ((1 << 20) >> 5) as u16);
        r.on_data(seq(0), 100, false);
        // Free space dropped by 100 bytes: the old edge is kept, the field
        // rounded up.
        let f = r.advertise() as u64;
        assert!(f << 5 >= (1 << 20) - 100);
    }

    #[test]
    fn a_fin_is_consumed_in_sequence_even_when_it_arrives_early() {
        let mut r = fixture(64_000, 0);
        let o = r.on_data(seq(1), 500, true);
        assert!(!o.fin);
        let o = r.on_data(seq(0), MSS, false);
        assert!(o.fin);
        assert!(r.fin_received);
        assert_eq!(r.rcv_nxt, seq(1) + 501);
        assert_eq!(r.readable_bytes(), 1500);
    }

    #[test]
    fn acceptability_follows_linux_tcp_sequence() {
        let mut r = fixture(4000, 0);
        r.advertise();
        assert!(r.is_acceptable(seq(0), 0));
        // A zero-window probe (one below RCV.NXT) is not acceptable: it
        // gets an ACK.
        assert!(!r.is_acceptable(seq(0) - 1, 0));
        assert!(r.is_acceptable(seq(0) - 500, 1000));
        // Old data ending at RCV.NXT is acceptable (duplicate, ACKed).
        assert!(r.is_acceptable(seq(0) - 1000, 1000));
        assert!(!r.is_acceptable(seq(0) - 1001, 1000));
        // A pure ACK at the right edge is acceptable, beyond it not.
        assert!(r.is_acceptable(seq(4), 0));
        assert!(!r.is_acceptable(seq(4) + 1, 10));
    }

    #[test]
    fn data_at_a_zero_window_is_dropped_and_acked_but_a_bare_fin_is_taken() {
        let mut r = fixture(2000, 0);
        r.advertise();
        r.on_data(seq(0), MSS, false);
        r.on_data(seq(1), MSS, false);
        assert_eq!(r.advertise(), 0);
        assert!(r.is_acceptable(seq(2), 100));
        let o = r.on_data(seq(2), 100, false);
        assert!(o.beyond_window && o.advanced == 0);
        assert_eq!(r.ack_urgency(&o), AckUrgency::Now);
        let o = r.on_data(seq(2), 0, true);
        assert!(o.fin);
    }

    #[test]
    fn ts_recent_follows_the_segment_at_the_left_edge() {
        let mut r = fixture(4000, 0);
        r.update_ts_recent(seq(0), 7);
        assert_eq!(r.ts_recent, Some(7));
        // A segment above Last.ACK.sent does not update TS.Recent.
        r.update_ts_recent(seq(1), 9);
        assert_eq!(r.ts_recent, Some(7));
    }

    #[test]
    fn a_settled_window_check_is_forgotten_when_data_arrives_or_is_read() {
        let mut r = fixture(64_000, 0);
        r.wscale = 0;
        let w = Some(64_000);
        r.set_external_window(w);
        r.advertise();
        assert!(!r.window_update_due());
        r.note_update_not_due();
        assert!(r.window_update_settled(w));
        // Another window is not the one checked.
        assert!(!r.window_update_settled(Some(1000)));
        // Arriving data moves RCV.NXT: the check must run again.
        r.on_data(seq(0), MSS, false);
        assert!(!r.window_update_settled(w));
        r.note_update_not_due();
        r.read(MSS as u64);
        assert!(!r.window_update_settled(w));
        r.note_update_not_due();
        r.set_zero_window(true);
        assert!(!r.window_update_settled(w));
    }

    /// One operation on a receiver, for the property test below.
    #[derive(Clone, Debug)]
    enum Op {
        /// Data starting `off` bytes from RCV.NXT (0: in order).
        Data {
            off: i64,
            len: u32,
            fin: bool,
        },
        Read(u64),
        Advertise,
        External(Option<u64>),
        ZeroWindow(bool),
        Check(Option<u64>),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        let window = prop_oneof![Just(None), (0u64..12).prop_map(|k| Some(k * 1500))];
        prop_oneof![
            4 => (prop_oneof![Just(0i64), -2000i64..4000], 1u32..=MSS, proptest::bool::weighted(0.05))
                .prop_map(|(off, len, fin)| Op::Data { off, len, fin }),
            3 => (0u64..5000).prop_map(Op::Read),
            3 => Just(Op::Advertise),
            2 => window.clone().prop_map(Op::External),
            1 => any::<bool>().prop_map(Op::ZeroWindow),
            4 => window.prop_map(Op::Check),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// Whenever the receiver says its window-update check is settled
        /// for a window, the check itself answers "not due" for it: the
        /// flag is cleared by everything the check reads.
        #[test]
        fn a_settled_window_check_answers_as_the_check_would(
            buf in 1000u64..8_000,
            wscale in 0u8..3,
            ops in proptest::collection::vec(op(), 0..80),
        ) {
            let mut r = fixture(buf, 2);
            r.wscale = wscale;
            r.forget_window_check();
            for o in ops {
                match o {
                    Op::Data { off, len, fin } => { r.on_data(r.rcv_nxt.saturating_add_signed(off), len, fin); }
                    Op::Read(n) => { r.read(n); }
                    Op::Advertise => { r.advertise(); }
                    Op::External(w) => r.set_external_window(w),
                    Op::ZeroWindow(on) => r.set_zero_window(on),
                    Op::Check(w) => {
                        // What `TcpEndpoint::refresh_external_rcv_window` does.
                        r.set_external_window(w);
                        if !r.window_update_due() {
                            r.note_update_not_due();
                        }
                    }
                }
                for w in [None, Some(0), Some(1500), Some(6000), Some(16_500)] {
                    if r.window_update_settled(w) {
                        let mut probe = r.clone();
                        probe.set_external_window(w);
                        proptest::prop_assert!(!probe.window_update_due(), "settled for {:?} but due", w);
                    }
                }
            }
        }
    }
}
