//! The sender's SACK scoreboard (RFC 6675 3, RFC 2018): the SACKed parts of
//! the outstanding sequence space as sorted, disjoint, non-adjacent ranges.
//!
//! Nothing here is per segment: an ACK's SACK blocks (at most 4) are merged
//! in O(ranges) moves, cumulative ACKs drop ranges from the front, and the
//! RFC 6675 queries are answered from the ranges:
//! - `IsLost(SeqNum)` (RFC 6675 4) is monotone in `SeqNum` (anything below a
//!   lost octet has at least as much SACKed above it), so the lost octets
//!   are exactly the unSACKed octets below one boundary,
//!   [`Scoreboard::lost_end`], found by looking at no more than DupThresh
//!   ranges from the top.
//! - `SetPipe()` becomes two range sums (see `send.rs`), each a binary
//!   search and a walk over at most half of the ranges (the shorter side,
//!   with the running total `sacked_bytes`).
//!
//! Simplification a user could observe: RFC 6675 counts "DupThresh
//! discontiguous SACKed sequences"; we count SACKed ranges (blocks) for that
//! rule, beside the byte rule "more than (DupThresh - 1) * SMSS bytes".

use std::collections::VecDeque;

/// Sorted SACKed ranges `[start, end)` above the cumulative ACK.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scoreboard {
    ranges: VecDeque<(u64, u64)>,
    sacked_bytes: u64,
}

impl Scoreboard {
    /// RFC 6675 5.1: after an RTO the scoreboard is cleared (RFC 2018 8: the
    /// receiver may renege).
    pub fn clear(&mut self) {
        self.ranges.clear();
        self.sacked_bytes = 0;
    }

    /// Whether nothing is SACKed above the cumulative ACK.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Total SACKed bytes above the cumulative ACK.
    pub fn sacked_bytes(&self) -> u64 {
        self.sacked_bytes
    }

    /// The SACKed ranges `(start, end)`, end exclusive, in ascending order.
    pub fn ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().copied()
    }

    /// The number of SACKed ranges.
    pub fn range_count(&self) -> usize {
        self.ranges.len()
    }

    /// One past the highest SACKed octet (RFC 6675 "HighSACK" + 1).
    pub fn high_sacked(&self) -> Option<u64> {
        self.ranges.back().map(|r| r.1)
    }

    /// RFC 6675 4 `Update()`: marks `[start, end)` SACKed; returns how many
    /// bytes were not SACKed before.
    pub fn add(&mut self, start: u64, end: u64) -> u64 {
        self.add_each_new(start, end, |_, _| {})
    }

    /// Like [`Scoreboard::add`], calling `new_part(a, b)` for each part
    /// `[a, b)` that was not SACKed before.
    pub fn add_each_new(&mut self, start: u64, end: u64, mut new_part: impl FnMut(u64, u64)) -> u64 {
        if start >= end {
            return 0;
        }
        // First range that overlaps or touches [start, end).
        let i = self.ranges.partition_point(|r| r.1 < start);
        let mut j = i;
        let (mut s, mut e) = (start, end);
        let mut covered = 0;
        let mut cursor = start;
        while j < self.ranges.len() && self.ranges[j].0 <= end {
            let (rs, re) = self.ranges[j];
            covered += re.min(end).saturating_sub(rs.max(start));
            if rs > cursor {
                new_part(cursor, rs.min(end));
            }
            cursor = cursor.max(re);
            s = s.min(rs);
            e = e.max(re);
            j += 1;
        }
        if cursor < end {
            new_part(cursor, end);
        }
        if j == i {
            self.ranges.insert(i, (s, e));
        } else {
            self.ranges[i] = (s, e);
            self.ranges.drain(i + 1..j);
        }
        let newly = (end - start) - covered;
        self.sacked_bytes += newly;
        newly
    }

    /// Unmarks `[start, end)` (splitting a range that straddles an end);
    /// returns how many bytes were marked in it. The sender keeps RACK's
    /// lost-and-not-yet-resent bytes in a second `Scoreboard` and removes
    /// what it retransmits or what gets SACKed.
    pub fn remove(&mut self, start: u64, end: u64) -> u64 {
        if start >= end {
            return 0;
        }
        // First range that ends after `start`.
        let i = self.ranges.partition_point(|r| r.1 <= start);
        let mut removed = 0;
        let mut j = i;
        let mut keep: [Option<(u64, u64)>; 2] = [None, None];
        while j < self.ranges.len() && self.ranges[j].0 < end {
            let (rs, re) = self.ranges[j];
            removed += re.min(end) - rs.max(start);
            if rs < start {
                keep[0] = Some((rs, start));
            }
            if re > end {
                keep[1] = Some((end, re));
            }
            j += 1;
        }
        if j > i {
            self.ranges.drain(i..j);
            for k in keep.iter().rev().flatten() {
                self.ranges.insert(i, *k);
            }
        }
        self.sacked_bytes -= removed;
        removed
    }

    /// A cumulative ACK up to `una`: forgets everything below it; returns
    /// the SACKed bytes that were below `una`.
    pub fn advance(&mut self, una: u64) -> u64 {
        let mut removed = 0;
        while let Some(&(s, e)) = self.ranges.front() {
            if e <= una {
                removed += e - s;
                self.ranges.pop_front();
            } else {
                if s < una {
                    removed += una - s;
                    self.ranges[0].0 = una;
                }
                break;
            }
        }
        self.sacked_bytes -= removed;
        removed
    }

    /// Whether all of `[a, b)` is SACKed.
    pub fn covers(&self, a: u64, b: u64) -> bool {
        let i = self.ranges.partition_point(|r| r.1 <= a);
        self.ranges.get(i).is_some_and(|r| r.0 <= a && r.1 >= b)
    }

    /// SACKed bytes in `[a, b)`.
    pub fn sacked_in(&self, a: u64, b: u64) -> u64 {
        if a >= b {
            return 0;
        }
        self.sacked_below(b) - self.sacked_below(a)
    }

    /// SACKed bytes at or above `a`.
    pub fn sacked_from(&self, a: u64) -> u64 {
        self.sacked_bytes - self.sacked_below(a)
    }

    /// SACKed bytes below `x`. A binary search finds the range at `x`;
    /// the ranges wholly below it are summed directly or, when fewer lie
    /// above, as the total minus the ranges above (`sacked_bytes` is the
    /// sum of all ranges), so the walk covers at most half of them. The
    /// RFC 6675 pipe asks this at its loss boundary (near the top) and at
    /// HighRxt, which sweeps the whole scoreboard during recovery.
    fn sacked_below(&self, x: u64) -> u64 {
        let n = self.ranges.len();
        // Ranges [0, i) end at or below x; range i (if any) ends above it.
        let i = self.ranges.partition_point(|r| r.1 <= x);
        let whole = if i <= n - i {
            self.ranges.range(..i).map(|r| r.1 - r.0).sum::<u64>()
        } else {
            self.sacked_bytes - self.ranges.range(i..).map(|r| r.1 - r.0).sum::<u64>()
        };
        let part = self.ranges.get(i).map_or(0, |r| x.saturating_sub(r.0));
        whole + part
    }

    /// The smallest unSACKed sequence number at or after `s`.
    pub fn next_unsacked(&self, s: u64) -> u64 {
        let i = self.ranges.partition_point(|r| r.1 <= s);
        match self.ranges.get(i) {
            Some(&(rs, re)) if rs <= s => re,
            _ => s,
        }
    }

    /// The start of the first SACKed range strictly after `s` (a segment
    /// built from `s` must stop there).
    pub fn next_sacked_after(&self, s: u64) -> Option<u64> {
        let i = self.ranges.partition_point(|r| r.0 <= s);
        self.ranges.get(i).map(|r| r.0)
    }

    /// The highest unSACKed octet below `high` (exclusive bound) that is at
    /// or above `una`, if any.
    pub fn highest_unsacked_below(&self, una: u64, high: u64) -> Option<u64> {
        let mut top = high;
        for &(s, e) in self.ranges.iter().rev() {
            if s >= top {
                continue;
            }
            if e < top {
                break;
            }
            top = s;
        }
        (top > una).then(|| top - 1)
    }

    /// RFC 6675 4 `IsLost()` as a boundary: every unSACKed octet below the
    /// returned sequence number is lost, none at or above it. Returns `None`
    /// when no octet is lost. An octet is lost when `dup_thresh` SACKed
    /// ranges lie above it, or more than `(dup_thresh - 1) * smss` SACKed
    /// bytes. Looks at no more than `dup_thresh` ranges.
    pub fn lost_end(&self, dup_thresh: u32, smss: u32) -> Option<u64> {
        let byte_limit = (dup_thresh as u64 - 1) * smss as u64;
        let mut bytes = 0;
        for (count, &(s, e)) in self.ranges.iter().rev().enumerate() {
            bytes += e - s;
            // An unSACKed octet just below `s` has `count + 1` ranges and
            // `bytes` bytes SACKed above it.
            if count as u32 + 1 >= dup_thresh || bytes > byte_limit {
                return Some(s);
            }
        }
        None
    }

    /// RFC 6675 4 `IsLost(seq)`, directly from the definition (for tests
    /// and for the entry check RFC 6675 5 (2)).
    pub fn is_lost(&self, seq: u64, dup_thresh: u32, smss: u32) -> bool {
        self.lost_end(dup_thresh, smss).is_some_and(|l| seq < l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1000;

    /// Segments of 1000 bytes from 0; SACKs the listed segment indices.
    fn fixture(sacked: &[u64]) -> Scoreboard {
        let mut sb = Scoreboard::default();
        for &i in sacked {
            sb.add(i * MSS, (i + 1) * MSS);
        }
        sb
    }

    #[test]
    fn adding_blocks_merges_adjacent_and_overlapping_ranges_and_counts_new_bytes() {
        let mut sb = fixture(&[2, 4]);
        assert_eq!(sb.ranges().collect::<Vec<_>>(), vec![(2000, 3000), (4000, 5000)]);
        assert_eq!(sb.add(3000, 4000), 1000);
        assert_eq!(sb.ranges().collect::<Vec<_>>(), vec![(2000, 5000)]);
        assert_eq!(sb.add(2500, 6000), 1000);
        assert_eq!(sb.sacked_bytes(), 4000);
        assert_eq!(sb.add(2000, 6000), 0);
        assert_eq!(sb.add(10, 20), 10);
        assert_eq!(sb.range_count(), 2);
    }

    #[test]
    fn adding_a_block_reports_only_the_parts_that_are_new() {
        let mut sb = fixture(&[2, 4]);
        let mut parts = Vec::new();
        let n = sb.add_each_new(1500, 6000, |a, b| parts.push((a, b)));
        assert_eq!(parts, vec![(1500, 2000), (3000, 4000), (5000, 6000)]);
        assert_eq!(n, 2500);
        assert!(sb.covers(1500, 6000));
        assert!(!sb.covers(1000, 2000));
    }

    #[test]
    fn removing_a_span_splits_the_ranges_it_cuts_and_counts_what_was_marked() {
        let mut sb = fixture(&[1, 2, 4]);
        assert_eq!(sb.remove(1500, 4200), 1700);
        assert_eq!(sb.ranges().collect::<Vec<_>>(), vec![(1000, 1500), (4200, 5000)]);
        assert_eq!(sb.sacked_bytes(), 1300);
        assert_eq!(sb.remove(1100, 1200), 100);
        assert_eq!(
            sb.ranges().collect::<Vec<_>>(),
            vec![(1000, 1100), (1200, 1500), (4200, 5000)]
        );
        assert_eq!(sb.remove(6000, 7000), 0);
        assert_eq!(sb.remove(0, 10_000), 1200);
        assert!(sb.is_empty());
    }

    #[test]
    fn a_cumulative_ack_removes_ranges_below_it_and_trims_the_first() {
        let mut sb = fixture(&[2, 4, 5]);
        assert_eq!(sb.advance(4500), 1500);
        assert_eq!(sb.ranges().collect::<Vec<_>>(), vec![(4500, 6000)]);
        assert_eq!(sb.sacked_bytes(), 1500);
        assert_eq!(sb.advance(7000), 1500);
        assert!(sb.is_empty());
    }

    #[test]
    fn an_octet_is_lost_with_three_segments_sacked_above_it() {
        // Segment 0 lost, 1..=3 SACKed: 3000 bytes > 2 * SMSS above 0.
        let sb = fixture(&[1, 2, 3]);
        assert!(sb.is_lost(0, 3, MSS as u32));
        assert!(sb.is_lost(999, 3, MSS as u32));
        let two = fixture(&[1, 2]);
        assert!(!two.is_lost(0, 3, MSS as u32));
    }

    #[test]
    fn three_discontiguous_sacked_ranges_make_an_octet_lost_even_when_small() {
        let mut sb = Scoreboard::default();
        for i in 1..=3u64 {
            sb.add(i * 100, i * 100 + 10);
        }
        assert_eq!(sb.lost_end(3, 1460), Some(100));
        assert!(sb.is_lost(50, 3, 1460));
        assert!(!sb.is_lost(150, 3, 1460));
    }

    #[test]
    fn the_lost_boundary_is_the_start_of_the_range_that_completes_dupthresh() {
        // Holes at 0, 2, 4, 6; SACKed 1, 3, 5, 7.
        let sb = fixture(&[1, 3, 5, 7]);
        // Above hole 4: ranges 5 and 7 (2000 bytes, not > 2000): not lost.
        // Above hole 2: three ranges: lost. Boundary = start of range 3.
        assert_eq!(sb.lost_end(3, MSS as u32), Some(3000));
    }

    #[test]
    fn range_queries_walk_only_the_relevant_end() {
        let sb = fixture(&[1, 3, 5]);
        assert_eq!(sb.sacked_in(0, 4000), 2000);
        assert_eq!(sb.sacked_in(1500, 3500), 1000);
        assert_eq!(sb.sacked_from(3500), 1500);
        assert_eq!(sb.next_unsacked(1000), 2000);
        assert_eq!(sb.next_unsacked(2000), 2000);
        assert_eq!(sb.next_sacked_after(2000), Some(3000));
        assert_eq!(sb.next_sacked_after(5000), None);
        assert_eq!(sb.high_sacked(), Some(6000));
        assert_eq!(sb.highest_unsacked_below(0, 6000), Some(4999));
        assert_eq!(sb.highest_unsacked_below(0, 7000), Some(6999));
        assert_eq!(fixture(&[0]).highest_unsacked_below(0, 1000), None);
    }

    proptest::proptest! {
        #[test]
        fn range_sums_agree_with_a_walk_over_every_range(
            ops in proptest::collection::vec((0u8..4, 0u64..200, 1u64..20), 0..80),
            probes in proptest::collection::vec((0u64..230, 0u64..230), 1..20),
        ) {
            let mut sb = Scoreboard::default();
            for (op, at, len) in ops {
                match op {
                    0 => { sb.advance(at); }
                    _ => { sb.add(at, at + len); }
                }
            }
            let walk_in = |a: u64, b: u64| -> u64 {
                sb.ranges().map(|(s, e)| e.min(b).saturating_sub(s.max(a))).sum()
            };
            for (a, b) in probes {
                proptest::prop_assert_eq!(sb.sacked_in(a, b), if a < b { walk_in(a, b) } else { 0 });
                proptest::prop_assert_eq!(sb.sacked_from(a), walk_in(a, u64::MAX));
            }
        }
    }
}
