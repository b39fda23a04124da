//! A set of disjoint half-open `u64` ranges, kept sorted and merged.
//!
//! Used for out-of-order queues (which sequence ranges have arrived beyond
//! the next expected byte) and reinjection queues (which data sequence
//! ranges must be sent again). The ranges live in a `VecDeque`, so removing
//! from the front (acknowledged data) costs O(k) for k ranges removed, not a
//! shift of the whole set; lookups are binary searches; no allocation per
//! operation once grown.

use std::collections::VecDeque;
use std::ops::Range;

/// A set of disjoint half-open `u64` ranges, sorted, adjacent ones merged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet {
    /// Sorted, disjoint, non-adjacent, non-empty ranges.
    ranges: VecDeque<Range<u64>>,
    total: u64,
}

impl RangeSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
    /// Number of disjoint ranges.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }
    /// Bytes covered.
    pub fn total(&self) -> u64 {
        self.total
    }
    /// The ranges in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Range<u64>> {
        self.ranges.iter()
    }
    /// The lowest range.
    pub fn first(&self) -> Option<Range<u64>> {
        self.ranges.front().cloned()
    }
    /// The highest range.
    pub fn last(&self) -> Option<Range<u64>> {
        self.ranges.back().cloned()
    }

    /// Whether every byte of `r` is in the set.
    pub fn contains_range(&self, r: Range<u64>) -> bool {
        if r.is_empty() {
            return true;
        }
        let i = self.ranges.partition_point(|x| x.end < r.end);
        self.ranges.get(i).is_some_and(|x| x.start <= r.start && r.end <= x.end)
    }

    /// Whether any byte of `r` is in the set (O(log n)).
    pub fn overlaps(&self, r: Range<u64>) -> bool {
        if r.is_empty() {
            return false;
        }
        let i = self.ranges.partition_point(|x| x.end <= r.start);
        self.ranges.get(i).is_some_and(|x| x.start < r.end)
    }

    /// Adds `r`; returns how many bytes were new.
    pub fn insert(&mut self, r: Range<u64>) -> u64 {
        if r.is_empty() {
            return 0;
        }
        // Fast path: `r` starts at or after the last range's start (data
        // handed out or arriving in order), so only the last range can
        // merge with it: every earlier range ends before the last one
        // starts. Same result as the general case below.
        match self.ranges.back_mut() {
            None => {
                self.total += r.end - r.start;
                self.ranges.push_back(r.clone());
                return r.end - r.start;
            }
            Some(last) if r.start > last.end => {
                self.total += r.end - r.start;
                self.ranges.push_back(r.clone());
                return r.end - r.start;
            }
            Some(last) if r.start >= last.start => {
                let added = r.end.saturating_sub(last.end);
                last.end = last.end.max(r.end);
                self.total += added;
                return added;
            }
            Some(_) => {}
        }
        // First range that ends at or after r.start (could merge).
        let lo = self.ranges.partition_point(|x| x.end < r.start);
        // First range that starts after r.end (cannot merge).
        let hi = self.ranges.partition_point(|x| x.start <= r.end);
        if lo == hi {
            self.ranges.insert(lo, r.clone());
            self.total += r.end - r.start;
            return r.end - r.start;
        }
        let start = r.start.min(self.ranges[lo].start);
        let end = r.end.max(self.ranges[hi - 1].end);
        let covered: u64 = self.ranges.range(lo..hi).map(|x| x.end - x.start).sum();
        self.ranges.drain(lo + 1..hi);
        self.ranges[lo] = start..end;
        let added = (end - start) - covered;
        self.total += added;
        added
    }

    /// Removes `r`; returns how many bytes were removed.
    pub fn remove(&mut self, r: Range<u64>) -> u64 {
        if r.is_empty() {
            return 0;
        }
        let lo = self.ranges.partition_point(|x| x.end <= r.start);
        let hi = self.ranges.partition_point(|x| x.start < r.end);
        if lo >= hi {
            return 0;
        }
        let first = self.ranges[lo].clone();
        let last = self.ranges[hi - 1].clone();
        let covered: u64 = self.ranges.range(lo..hi).map(|x| x.end - x.start).sum();
        let mut keep: [Option<Range<u64>>; 2] = [None, None];
        if first.start < r.start {
            keep[0] = Some(first.start..r.start);
        }
        if last.end > r.end {
            keep[1] = Some(r.end..last.end);
        }
        let kept: u64 = keep.iter().flatten().map(|x| x.end - x.start).sum();
        self.ranges.drain(lo..hi);
        for (k, r) in keep.into_iter().flatten().enumerate() {
            self.ranges.insert(lo + k, r);
        }
        let removed = covered - kept;
        self.total -= removed;
        removed
    }

    /// Removes everything below `point`; returns the bytes removed.
    pub fn remove_below(&mut self, point: u64) -> u64 {
        // The same as `self.remove(0..point)`, from the front in O(k).
        let mut removed = 0;
        while let Some(first) = self.ranges.front_mut() {
            if first.end <= point {
                removed += first.end - first.start;
                self.ranges.pop_front();
            } else {
                if first.start < point {
                    removed += point - first.start;
                    first.start = point;
                }
                break;
            }
        }
        self.total -= removed;
        removed
    }

    /// If the first range starts at or before `point`, removes and returns
    /// the part of it from `point` on (the bytes that became in order).
    pub fn pop_contiguous(&mut self, point: u64) -> Option<Range<u64>> {
        let first = self.ranges.front()?.clone();
        if first.start > point {
            return None;
        }
        self.ranges.pop_front();
        self.total -= first.end - first.start;
        (first.end > point).then(|| point.max(first.start)..first.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn inserting_overlapping_and_adjacent_ranges_merges_them() {
        let mut s = RangeSet::new();
        assert_eq!(s.insert(10..20), 10);
        assert_eq!(s.insert(30..40), 10);
        assert_eq!(s.insert(20..30), 10);
        assert_eq!(s.first(), Some(10..40));
        assert_eq!(s.len(), 1);
        assert_eq!(s.insert(5..15), 5);
        assert_eq!(s.total(), 35);
    }

    #[test]
    fn removing_the_middle_splits_a_range() {
        let mut s = RangeSet::new();
        s.insert(0..100);
        assert_eq!(s.remove(40..60), 20);
        assert_eq!(s.iter().cloned().collect::<Vec<_>>(), [0..40, 60..100]);
        assert!(s.contains_range(60..100) && !s.contains_range(30..70));
    }

    #[test]
    fn pop_contiguous_returns_what_became_in_order() {
        let mut s = RangeSet::new();
        s.insert(10..20);
        s.insert(30..40);
        assert_eq!(s.pop_contiguous(5), None);
        assert_eq!(s.pop_contiguous(12), Some(12..20));
        assert_eq!(s.total(), 10);
    }

    proptest! {
        /// The set agrees with a bitmap model after any operation sequence.
        #[test]
        fn agrees_with_a_bitmap(ops in prop::collection::vec((any::<bool>(), 0u64..200, 0u64..40), 0..80)) {
            let mut s = RangeSet::new();
            let mut bits = [false; 256];
            for (ins, start, len) in ops {
                let r = start..start + len;
                let before = bits.iter().filter(|b| **b).count() as u64;
                // Removals alternate between `remove`, `remove_below` and
                // `pop_contiguous` (their fast paths must agree with the model).
                let changed = match (ins, len % 3) {
                    (true, _) => s.insert(r.clone()),
                    (false, 0) => {
                        let n = s.remove_below(start);
                        for b in &mut bits[..start as usize] { *b = false; }
                        n
                    }
                    (false, 1) => match s.first() {
                        Some(f) if f.start <= start => {
                            let got = s.pop_contiguous(start);
                            prop_assert_eq!(got.clone(), (f.end > start).then(|| start.max(f.start)..f.end));
                            for b in &mut bits[f.start as usize..f.end as usize] { *b = false; }
                            f.end - f.start
                        }
                        _ => {
                            prop_assert_eq!(s.pop_contiguous(start), None);
                            0
                        }
                    },
                    (false, _) => s.remove(r.clone()),
                };
                if ins || len % 3 == 2 {
                    for b in &mut bits[r.start as usize..r.end as usize] { *b = ins; }
                }
                let after = bits.iter().filter(|b| **b).count() as u64;
                prop_assert_eq!(changed, after.abs_diff(before));
                prop_assert_eq!(s.total(), after);
                let v: Vec<_> = s.iter().cloned().collect();
                for w in v.windows(2) { prop_assert!(w[0].end < w[1].start); }
                for (i, &b) in bits.iter().enumerate() {
                    prop_assert_eq!(b, s.contains_range(i as u64..i as u64 + 1));
                }
                for w in [1u64, 3, 17] {
                    for a in (0..240u64).step_by(7) {
                        let any = bits[a as usize..(a + w) as usize].iter().any(|b| *b);
                        prop_assert_eq!(any, s.overlaps(a..a + w));
                    }
                }
            }
        }
    }
}
