//! A radix heap on 128-bit keys (`time << 64 | seq`): the event queue's
//! layout while many events are pending.
//!
//! A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, "Faster algorithms for
//! the shortest path problem", JACM 1990) fits a discrete-event queue: keys
//! only grow past the last one popped. Bucket `b` holds the keys whose
//! highest bit differing from `last` (a lower bound of every pending and
//! every future key) is bit `b`, so every key of a lower bucket is smaller.
//! A push appends to one bucket's `Vec`; a pop takes the smallest key of the
//! lowest non-empty bucket and moves the rest of that bucket to lower
//! buckets, where each key moves at most once per bit it shares with the
//! next key popped. With thousands pending this costs a fraction of a binary
//! heap's sift through a dozen scattered levels, and its memory is written
//! and read in order; with a handful pending the binary heap is cheaper
//! (issue 14), which is why [`super::EventQueue`] switches between the two.
//!
//! Keys are distinct, so the pop order is the keys' order whatever the
//! layout. The smallest pending key is kept out of the buckets once found
//! ([`RadixHeap::peek_key`]), so a peek and the next pop agree; a key
//! pushed below it (only from outside the event loop, after a peek)
//! rebuilds the buckets around the new key: exact, and rare.

use super::{Entry, key};

/// Buckets: one per bit of a 128-bit key.
const BUCKETS: usize = 128;

pub(super) struct RadixHeap<E> {
    /// The smallest pending entry, once found (see [`Self::settle`]); its
    /// key is then `last`.
    top: Option<Entry<E>>,
    /// Bucket `b`: pending entries whose key's highest bit differing from
    /// `last` is bit `b` (all greater than `last`).
    buckets: Vec<Vec<Entry<E>>>,
    /// Bit `b` set: bucket `b` is not empty.
    nonempty: u128,
    /// The key the buckets are placed against.
    last: u128,
    /// An emptied bucket's allocation, reused for the next one drained.
    spare: Vec<Entry<E>>,
    len: usize,
}

impl<E> RadixHeap<E> {
    pub(super) fn new() -> Self {
        RadixHeap {
            top: None,
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            nonempty: 0,
            last: 0,
            spare: Vec::new(),
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Starts an empty heap whose every key will exceed `floor`.
    pub(super) fn reset(&mut self, floor: u128) {
        debug_assert_eq!(self.len, 0);
        self.last = floor;
    }

    /// Puts an entry with `k > last` in its bucket.
    #[inline(always)]
    fn place(&mut self, k: u128, e: Entry<E>) {
        debug_assert!(k > self.last);
        let b = (127 - (k ^ self.last).leading_zeros()) as usize;
        self.buckets[b].push(e);
        self.nonempty |= 1 << b;
    }

    /// Finds the smallest pending entry, if not yet found: the smallest of
    /// the lowest non-empty bucket becomes `top` and `last`, and the rest of
    /// that bucket moves to lower buckets against it.
    #[inline]
    fn settle(&mut self) {
        if self.top.is_some() || self.nonempty == 0 {
            return;
        }
        let b = self.nonempty.trailing_zeros() as usize;
        self.nonempty &= !(1 << b);
        let mut items = std::mem::replace(&mut self.buckets[b], std::mem::take(&mut self.spare));
        let mut min = 0;
        let mut min_key = key(items[0].time, items[0].seq);
        for (i, item) in items.iter().enumerate().skip(1) {
            let k = key(item.time, item.seq);
            if k < min_key {
                min = i;
                min_key = k;
            }
        }
        let top = items.swap_remove(min);
        self.last = min_key;
        for e in items.drain(..) {
            self.place(key(e.time, e.seq), e);
        }
        self.spare = items;
        self.top = Some(top);
    }

    /// Adds an entry; its key must exceed every key popped so far. Out of
    /// line, so the binary heap's schedule stays small enough to inline.
    #[inline(never)]
    pub(super) fn push(&mut self, e: Entry<E>) {
        self.len += 1;
        let k = key(e.time, e.seq);
        if k > self.last {
            self.place(k, e);
        } else {
            self.rebuild_below(k, e);
        }
    }

    /// A key at or below `last`: only below a found `top` (pushed from
    /// outside the loop after a peek). It becomes `top` and every other
    /// pending entry is placed again against it.
    #[cold]
    fn rebuild_below(&mut self, k: u128, new: Entry<E>) {
        let mut all: Vec<Entry<E>> = self.top.take().into_iter().collect();
        debug_assert!(!all.is_empty(), "a key below the floor without a found top");
        for b in 0..BUCKETS {
            all.append(&mut self.buckets[b]);
        }
        self.nonempty = 0;
        self.last = k;
        for e in all {
            self.place(key(e.time, e.seq), e);
        }
        self.top = Some(new);
    }

    /// The smallest pending key, if any.
    #[inline]
    pub(super) fn peek_key(&mut self) -> Option<u128> {
        self.settle();
        self.top.as_ref().map(|e| key(e.time, e.seq))
    }

    /// Removes and returns the entry with the smallest key.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<Entry<E>> {
        self.settle();
        let top = self.top.take()?;
        self.len -= 1;
        Some(top)
    }

    /// Moves every pending entry (in no particular order) to `out`.
    pub(super) fn drain_into(&mut self, out: &mut Vec<Entry<E>>) {
        out.extend(self.top.take());
        for b in 0..BUCKETS {
            out.append(&mut self.buckets[b]);
        }
        self.nonempty = 0;
        self.len = 0;
    }
}
