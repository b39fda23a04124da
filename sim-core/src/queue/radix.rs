//! A radix heap on 128-bit keys (`time << 64 | seq`): the event queue's
//! layout while many events are pending.
//!
//! A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, "Faster algorithms for
//! the shortest path problem", JACM 1990) fits a discrete-event queue: keys
//! only grow past the last one popped. Here the buckets are by digit, as in
//! the paper's multi-level form: a key's bucket is `(p, v)`, where digit
//! `p` (of [`DIGIT_BITS`] bits) is the highest digit in which it differs
//! from `last` (a lower bound of every pending and every future key) and
//! `v` is its value there. Every key of a lower position, or of the same
//! position and a lower value, is smaller. A push appends to one bucket's
//! `Vec`; a pop takes the smallest key of the lowest non-empty bucket and
//! moves the rest of that bucket to lower positions. Each key moves at most
//! once per digit it shares with the next key popped: about 7 times for an
//! event 200 ms ahead with 4-bit digits, against about 28 with one bucket
//! per bit. Most pops find a bucket of one entry, which is taken without
//! any move (measured on dumbbell-1000: the digits saved 0.4% of the
//! instructions, the bucket of one 1.3%).
//! With thousands pending this costs a fraction of a binary heap's sift
//! through a dozen scattered levels, and its memory is written and read in
//! order; with a handful pending the binary heap is cheaper (issue 14),
//! which is why [`super::EventQueue`] switches between the two.
//!
//! Keys are distinct, so the pop order is the keys' order whatever the
//! layout. A peek ([`RadixHeap::min_key`]) moves nothing; a pop finds the
//! smallest key and takes it at once. Every key pushed exceeds the last one
//! popped (a schedule is never before now and its sequence is new), so no
//! push lands below the buckets' floor.

use super::{Entry, key};

/// Bits per digit.
const DIGIT_BITS: u32 = 4;
/// Values of a digit.
const RADIX: usize = 1 << DIGIT_BITS;
/// Digits of a 128-bit key.
const DIGITS: usize = 128usize.div_ceil(DIGIT_BITS as usize);

pub(super) struct RadixHeap<E> {
    /// Bucket `(p, v)` at `p * RADIX + v`: pending entries whose key's
    /// highest digit differing from `last` is digit `p`, of value `v` (all
    /// greater than `last`).
    buckets: Vec<Vec<Entry<E>>>,
    /// Bit `p` set: some bucket of digit `p` is not empty.
    positions: u64,
    /// Per digit `p`, bit `v` set: bucket `(p, v)` is not empty.
    values: [u32; DIGITS],
    /// The key the buckets are placed against.
    last: u128,
    /// An emptied bucket's allocation, reused for the next one drained.
    spare: Vec<Entry<E>>,
    len: usize,
}

impl<E> RadixHeap<E> {
    pub(super) fn new() -> Self {
        RadixHeap {
            buckets: (0..DIGITS * RADIX).map(|_| Vec::new()).collect(),
            positions: 0,
            values: [0; DIGITS],
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
        let p = (127 - (k ^ self.last).leading_zeros()) / DIGIT_BITS;
        let v = (k >> (p * DIGIT_BITS)) as usize & (RADIX - 1);
        self.buckets[p as usize * RADIX + v].push(e);
        self.values[p as usize] |= 1 << v;
        self.positions |= 1 << p;
    }

    /// Removes and returns the entry with the smallest key: the smallest
    /// of the lowest non-empty bucket, whose key becomes `last`; the rest of
    /// that bucket moves to lower buckets against it.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<Entry<E>> {
        if self.positions == 0 {
            return None;
        }
        self.len -= 1;
        let p = self.positions.trailing_zeros() as usize;
        let v = self.values[p].trailing_zeros() as usize;
        self.values[p] &= !(1 << v);
        if self.values[p] == 0 {
            self.positions &= !(1 << p);
        }
        let b = p * RADIX + v;
        // A bucket of one (most of them, with several digits' worth of
        // buckets): its entry is the smallest; nothing moves.
        if self.buckets[b].len() == 1 {
            let top = self.buckets[b].pop().expect("one entry");
            self.last = key(top.time, top.seq);
            return Some(top);
        }
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
        Some(top)
    }

    /// Adds an entry; its key must exceed every key popped so far (every
    /// schedule does: its time is not before the last pop's and its
    /// sequence is new). Out of line, so the binary heap's schedule stays
    /// small enough to inline.
    #[inline(never)]
    pub(super) fn push(&mut self, e: Entry<E>) {
        self.len += 1;
        self.place(key(e.time, e.seq), e);
    }

    /// The smallest pending key, if any, found without moving anything: the
    /// smallest of the lowest non-empty bucket. [`super::EventQueue`]
    /// compares it with the timers' top, so a peek changes nothing a timer
    /// popped first could land below.
    #[inline]
    pub(super) fn min_key(&self) -> Option<u128> {
        if self.positions == 0 {
            return None;
        }
        let p = self.positions.trailing_zeros() as usize;
        let v = self.values[p].trailing_zeros() as usize;
        self.buckets[p * RADIX + v].iter().map(|e| key(e.time, e.seq)).min()
    }

    /// Moves every pending entry (in no particular order) to `out`.
    pub(super) fn drain_into(&mut self, out: &mut Vec<Entry<E>>) {
        for b in &mut self.buckets {
            out.append(b);
        }
        self.positions = 0;
        self.values = [0; DIGITS];
        self.len = 0;
    }
}
