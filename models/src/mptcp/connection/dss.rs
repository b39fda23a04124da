//! Data sequence mappings (RFC 8684 3.3): the DSS option each established
//! subflow's segment carries (the data-ACK, the mapping of its payload,
//! DATA_FIN), the mappings received and how subflow bytes become data
//! sequence numbers.
//!
//! Simplified, and what a user could observe: no DSS checksum; a mapping is
//! a whole chunk handed to a subflow, repeated on every retransmission of
//! any part of it (as Linux skbs), never changed once on the wire.

use super::*;

/// A data sequence number: a position in the connection's byte stream
/// (RFC 8684 3.3.1), 64 bits (the 4-byte wire form is widened on receipt).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dsn(pub u64);

/// A subflow sequence number: an absolute position in one subflow's TCP
/// sequence space (the DSS carries it relative to the subflow's initial
/// sequence number, RFC 8684 3.3.1; `unwrap_ssn` widens it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ssn(pub u64);

impl Ssn {
    /// The position `n` bytes on.
    pub fn plus(self, n: u64) -> Ssn {
        Ssn(self.0 + n)
    }
    /// Bytes from `base` to here.
    pub fn since(self, base: Ssn) -> u64 {
        self.0 - base.0
    }
}

impl Dsn {
    /// The position `n` bytes on.
    pub fn plus(self, n: u64) -> Dsn {
        Dsn(self.0 + n)
    }
}

/// A mapping received: `len` bytes of the subflow from `ssn` carry the
/// connection's bytes from `dsn` (RFC 8684 3.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RxMapping {
    pub(super) ssn: Ssn,
    pub(super) dsn: Dsn,
    pub(super) len: u64,
}

impl RxMapping {
    /// The subflow position just past the mapping.
    fn end(&self) -> Ssn {
        self.ssn.plus(self.len)
    }
}

/// A subflow's received DSS mappings by subflow sequence number: an ordered
/// map kept as a sorted deque. Mappings arrive in subflow order and are
/// consumed from the front, so the common insert is a push at the back and
/// the common removal a pop at the front (a `BTreeMap` paid a tree walk and
/// node allocations per segment for the same answers).
#[derive(Clone, Debug, Default)]
pub(super) struct RxMaps {
    /// Sorted by `ssn`, one mapping per `ssn`.
    pub(super) maps: VecDeque<RxMapping>,
}

impl RxMaps {
    /// Sets the mapping at `m.ssn`, replacing one already there.
    pub(super) fn insert(&mut self, m: RxMapping) {
        match self.maps.back() {
            None => self.maps.push_back(m),
            Some(last) if m.ssn > last.ssn => self.maps.push_back(m),
            _ => {
                let i = self.maps.partition_point(|e| e.ssn < m.ssn);
                match self.maps.get_mut(i) {
                    Some(e) if e.ssn == m.ssn => *e = m,
                    _ => self.maps.insert(i, m),
                }
            }
        }
    }

    /// The mapping with the greatest `ssn` at or below `pos`.
    pub(super) fn at_or_below(&self, pos: Ssn) -> Option<RxMapping> {
        // Usually the front mapping: in-order bytes are delivered from it.
        if let Some(&front) = self.maps.front()
            && front.ssn <= pos
            && self.maps.get(1).is_none_or(|next| next.ssn > pos)
        {
            return Some(front);
        }
        let i = self.maps.partition_point(|e| e.ssn <= pos);
        i.checked_sub(1).map(|i| self.maps[i])
    }

    pub(super) fn remove(&mut self, ssn: Ssn) {
        if self.maps.front().is_some_and(|e| e.ssn == ssn) {
            self.maps.pop_front();
        } else if let Ok(i) = self.maps.binary_search_by_key(&ssn, |e| e.ssn) {
            self.maps.remove(i);
        }
    }
}

/// Option bytes the DSS adds to data segments and to pure ACKs (aligned):
/// v1 as upstream Linux (8-byte data-ACK and DSN), v0 with 4-byte ones.
pub(super) fn dss_option_bytes(version: MptcpVersion) -> (u32, u32) {
    match version {
        // 4 + 8 (ack) + 8 (dsn) + 4 (ssn) + 2 (len) = 26 -> 28; ack only 4 + 8 = 12.
        MptcpVersion::V1 => (28, 12),
        // 4 + 4 + 4 + 4 + 2 = 18 -> 20; ack only 4 + 4 = 8.
        MptcpVersion::V0 => (20, 8),
    }
}

/// The relative subflow sequence number of a DSS mapping, unwrapped: RFC
/// 8684 3.3.1 carries it in 32 bits relative to the subflow's initial
/// sequence number, so it wraps after 4 GiB on one subflow. The mapping
/// covers or shortly precedes the segment that carries it, so the value
/// meant is the one nearest to that segment's own relative sequence number.
pub(super) fn unwrap_ssn(ssn_rel: u32, seg_rel: u64) -> u64 {
    widen(u64::from(ssn_rel), false, seg_rel)
}

/// Rebuilds a 64-bit value from its low 32 bits near `reference` (RFC 8684
/// 3.3.1: 4-byte forms are the low bits of the 64-bit number).
pub(super) fn widen(v: u64, wide: bool, reference: u64) -> u64 {
    if wide {
        return v;
    }
    let base = reference & !0xffff_ffff;
    let cand = base | (v & 0xffff_ffff);
    // Within 2^31 of the reference, `cand` is the closest candidate: the
    // others lie 2^32 further, more than 2^31 away (the common case, every
    // mapping received; debug builds and a property test check the search
    // gives the same answer).
    if cand.abs_diff(reference) < 1 << 31 {
        debug_assert_eq!(cand, nearest(cand, reference));
        return cand;
    }
    nearest(cand, reference)
}

/// Of `cand` and the values 2^32 either side of it, the one closest to
/// `reference` (the first of equals).
fn nearest(cand: u64, reference: u64) -> u64 {
    [cand.wrapping_sub(1 << 32), cand, cand.wrapping_add(1 << 32)]
        .into_iter()
        .min_by_key(|c| c.abs_diff(reference))
        .unwrap_or(cand)
}

impl Connection {
    pub(super) fn on_dss(&mut self, idx: usize, seg: &Segment, d: &Dss) {
        if let Some(a) = d.data_ack {
            let scale = self.subflows[idx].tcp.window_scales().map_or(0, |(snd, _)| snd);
            let wnd = (seg.window as u64) << scale;
            let ack = widen(a.value, a.wide, self.tx.snd_una());
            if self.tx.on_data_ack(ack, wnd) > 0 && self.cfg.report_segments {
                self.events.push_back(ConnEvent::DataAcked {
                    data_ack: self.tx.snd_una(),
                });
            }
        }
        if let Some(m) = d.mapping {
            let sf = &mut self.subflows[idx];
            let irs = sf.irs.unwrap_or_else(|| sf.tcp.rcv_nxt().saturating_sub(1));
            let dsn = widen(m.dsn, m.wide, self.rx.as_ref().map_or(0, |r| r.data_ack()));
            let data_len = m.len as u64 - d.data_fin as u64;
            let rel = unwrap_ssn(m.ssn_rel, seg.seq.saturating_sub(irs));
            if data_len > 0 && rel > 0 {
                sf.rx_maps.insert(RxMapping {
                    ssn: Ssn(irs + rel),
                    dsn: Dsn(dsn),
                    len: data_len,
                });
            }
            if d.data_fin
                && let Some(rx) = &mut self.rx
            {
                rx.on_data_fin(dsn + data_len);
            }
        }
    }

    pub(super) fn deliver_subflow_bytes(&mut self, idx: usize, seq: u64, len: u64) {
        if !self.mptcp {
            self.plain_deliver(seq, len);
            return;
        }
        let mut pos = Ssn(seq);
        let end = Ssn(seq + len);
        while pos < end {
            let sf = &mut self.subflows[idx];
            // The mapping that covers `pos`.
            let Some(m) = sf.rx_maps.at_or_below(pos) else {
                break;
            };
            if pos >= m.end() {
                break; // no mapping for these bytes (cannot happen without middleboxes)
            }
            let take_end = end.min(m.end());
            let dsn = m.dsn.plus(pos.since(m.ssn));
            if take_end == m.end() {
                sf.rx_maps.remove(m.ssn);
            }
            if let Some(rx) = &mut self.rx {
                rx.on_data(dsn.0..dsn.0 + take_end.since(pos));
            }
            pos = take_end;
        }
    }

    /// The DSS of an established subflow's segment (RFC 8684 3.3): the
    /// data-ACK, the mapping of its payload and the DATA_FIN, then a
    /// pending MP_PRIO or address option; SACK blocks that no longer fit the
    /// 40-byte option space are dropped.
    pub(super) fn dss_options(&mut self, idx: usize, mapping: Option<crate::tcp::Mapping>, seg: &mut Segment) {
        let version = self.cfg.version;
        let wide = version == MptcpVersion::V1;
        let data_ack = self.rx.as_ref().map(|r| r.data_ack());
        let sf = &mut self.subflows[idx];
        // Established: DSS with the data-ACK and, for payload, the mapping.
        let mapping = mapping.map(|m| DssMapping {
            dsn: m.tag,
            ssn_rel: (m.chunk_seq - sf.iss) as u32,
            len: m.len_bytes as u16,
            wide,
        });
        let mut dss = Dss {
            data_ack: data_ack.map(|v| DataAck { value: v, wide }),
            mapping,
            data_fin: false,
        };
        // DATA_FIN: on a mapping that ends at it, or alone on an ACK (RFC
        // 8684 3.3.3; Linux options.c `mptcp_write_data_fin`), until the
        // peer acknowledges it (Linux `mptcp_check_data_fin_ack` clears
        // `snd_data_fin_enable`).
        if let Some(fin) = self.data_fin_pending() {
            match &mut dss.mapping {
                Some(m) if m.dsn + m.len as u64 == fin => {
                    m.len += 1;
                    dss.data_fin = true;
                }
                None => {
                    dss.mapping = Some(DssMapping {
                        dsn: fin,
                        ssn_rel: 0,
                        len: 1,
                        wide,
                    });
                    dss.data_fin = true;
                }
                _ => {}
            }
            if dss.data_fin {
                self.tx.mark_data_fin_sent();
                // The data level changed: the next poll runs everything.
                self.mark_input();
            }
        }
        if self.cfg.report_segments {
            let (mapping_dsn, payload_len) = match dss.mapping {
                Some(m) if seg.payload_len > 0 => (m.dsn, u64::from(seg.payload_len)),
                _ => (0, 0),
            };
            self.events.push_back(ConnEvent::SegmentSent {
                subflow: self.subflows[idx].id,
                mapping_dsn,
                payload_len,
                data_ack: dss.data_ack.map(|a| a.value),
            });
        }
        // The DSS's bytes, padded to 4 (the `wire` layout; the same in both
        // versions: its field widths are in `dss`), on top of the endpoint's
        // (timestamps and SACK blocks, remembered in `options_len`).
        let dss_bytes = crate::wire::align4(crate::wire::dss_len(&dss));
        let sf = &mut self.subflows[idx];
        seg.options.mptcp.push(MptcpOption::Dss(dss));
        let mut more = false;
        if let Some(b) = sf.pending_prio.take() {
            if seg.options.mptcp.push(MptcpOption::MpPrio { backup: b }) {
                more = true;
            } else {
                sf.pending_prio = Some(b);
            }
        } else if seg.payload_len == 0
            && !seg.flags.fin
            && matches!(sf.tcp.state(), TcpState::Established | TcpState::CloseWait)
            && let Some(o) = self.pending_opts.pop_front()
        {
            if seg.options.mptcp.push(o) {
                more = true;
            } else {
                self.pending_opts.push_front(o);
            }
        }
        if seg.options.sack.is_empty() && !more {
            // Nearly every segment: timestamps and the DSS.
            seg.options_len = seg.options_len.plus(dss_bytes);
            return;
        }
        // Keep within the 40-byte option space: drop SACK blocks that no
        // longer fit (Linux `tcp_established_options` sizes the SACK option
        // last, from the room the others left). The length is then summed
        // (and forgotten beside a second MPTCP option, whose length may
        // depend on the version).
        while !seg.options.sack.is_empty()
            && crate::wire::tcp_options_len(&seg.options, version) > crate::wire::MAX_OPTION_BYTES
        {
            let n = seg.options.sack.len() - 1;
            seg.options.sack.truncate(n);
        }
        seg.options_len = if more {
            crate::segment::OptionsLen::UNKNOWN
        } else {
            crate::segment::OptionsLen::new(crate::wire::tcp_options_len(&seg.options, version))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_subflow_sequence_number_unwraps_past_four_gibibytes() {
        const WRAP: u64 = 1 << 32;
        // Before the wrap: as written.
        assert_eq!(unwrap_ssn(1, 1), 1);
        assert_eq!(unwrap_ssn(4_000_000_000, 4_000_001_000), 4_000_000_000);
        // A mapping just past 4 GiB, carried by a segment just past it.
        assert_eq!(unwrap_ssn(100, WRAP + 1_500), WRAP + 100);
        // A mapping that starts before the wrap, carried by a segment after it.
        assert_eq!(unwrap_ssn(u32::MAX - 999, WRAP + 400), WRAP - 1000);
        // Several wraps on.
        assert_eq!(unwrap_ssn(7, 5 * WRAP + 9), 5 * WRAP + 7);
    }

    proptest::proptest! {
        /// A 4-byte value widens to the 64-bit value nearest the reference
        /// with those low bits, with or without the shortcut for a
        /// candidate within 2^31 (references near 0, near u64::MAX, and
        /// values 2^31 away included).
        #[test]
        fn widening_takes_the_value_nearest_the_reference(
            low in proptest::prop_oneof![proptest::num::u32::ANY, 0u32..4, u32::MAX - 3..=u32::MAX, (1u32 << 31) - 2..(1u32 << 31) + 2],
            high in proptest::prop_oneof![0u64..3, (u32::MAX as u64) - 2..=u32::MAX as u64, proptest::num::u64::ANY],
            offset in proptest::prop_oneof![0u64..(1 << 32), (1u64 << 31) - 2..(1u64 << 31) + 2],
        ) {
            let reference = (high << 32).wrapping_add(offset);
            let got = widen(u64::from(low), false, reference);
            proptest::prop_assert_eq!(got, nearest((reference & !0xffff_ffff) | u64::from(low), reference));
            proptest::prop_assert_eq!(got & 0xffff_ffff, u64::from(low));
            let best = [got.wrapping_sub(1 << 32), got.wrapping_add(1 << 32)];
            for other in best {
                proptest::prop_assert!(got.abs_diff(reference) <= other.abs_diff(reference));
            }
        }

        /// The mapping deque answers as the ordered map it replaces.
        #[test]
        fn rx_maps_agree_with_a_btree_map(ops in proptest::collection::vec((0u8..3, 0u64..60, 0u64..1000), 0..120)) {
            let mut m = RxMaps::default();
            let mut model = std::collections::BTreeMap::new();
            for (op, k, v) in ops {
                match op {
                    0 => {
                        m.insert(RxMapping { ssn: Ssn(k), dsn: Dsn(v), len: v + 1 });
                        model.insert(k, (v, v + 1));
                    }
                    1 => {
                        m.remove(Ssn(k));
                        model.remove(&k);
                    }
                    _ => {}
                }
                let want = model.range(..=k).next_back().map(|(&a, &b)| (a, b));
                let got = m.at_or_below(Ssn(k)).map(|e| (e.ssn.0, (e.dsn.0, e.len)));
                proptest::prop_assert_eq!(got, want);
                let all: Vec<_> = m.maps.iter().map(|e| (e.ssn.0, (e.dsn.0, e.len))).collect();
                let all_model: Vec<_> = model.iter().map(|(&a, &b)| (a, b)).collect();
                proptest::prop_assert_eq!(all, all_model);
            }
        }
    }
}
