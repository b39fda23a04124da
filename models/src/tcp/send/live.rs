//! Which of the sender's segment records RACK's loss walk must look at
//! (`rack::Rack::detect_loss`): one bit per record, set while the record
//! is neither wholly SACKed nor marked lost and not yet resent. The walk
//! skips every other record; with the bits it steps over them 64 at a time
//! instead of reading each record.
//!
//! Linux does the same by membership: a SACKed skb leaves the time-sorted
//! list RACK walks (`net/ipv4/tcp_input.c` `tcp_sacktag_walk`:
//! `list_del_init(&skb->tcp_tsorted_anchor)`), and the walk skips lost,
//! not-retransmitted ones (`tcp_recovery.c` `tcp_rack_detect_loss`). Here
//! the records stay in sequence order (see `rack`), and the bits follow
//! them: a record is pushed at the back when first sent and leaves from the
//! front when cumulatively acknowledged.
//!
//! During recovery nearly the whole window is SACKed or waiting to be
//! resent, and the walk ran on every ACK over every record up to RACK.xmit_ts:
//! 3% of perf-2path's instructions, and a quarter of the first-level
//! data-cache read misses with 1000 connections (BENCHMARKS.md).

use std::collections::VecDeque;

/// One bit per record, record 0 at bit `head` of the first word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct LiveBits {
    words: VecDeque<u64>,
    /// Bit position of record 0 in `words[0]`, below 64.
    head: usize,
    /// Records tracked.
    len: usize,
}

impl LiveBits {
    /// A record appended at the back.
    pub(super) fn push(&mut self, live: bool) {
        let p = self.head + self.len;
        if p / 64 >= self.words.len() {
            self.words.push_back(0);
        }
        self.len += 1;
        self.set(self.len - 1, live);
    }

    /// The front record left.
    pub(super) fn pop_front(&mut self) {
        debug_assert!(self.len > 0, "a record to pop");
        self.len -= 1;
        self.head += 1;
        if self.head == 64 {
            self.words.pop_front();
            self.head = 0;
        }
        if self.len == 0 {
            self.words.clear();
            self.head = 0;
        }
    }

    /// Record `i` is (or is no longer) one the walk must look at.
    pub(super) fn set(&mut self, i: usize, live: bool) {
        debug_assert!(i < self.len, "record {i} of {}", self.len);
        let p = self.head + i;
        let (w, b) = (p / 64, p % 64);
        if live {
            self.words[w] |= 1 << b;
        } else {
            self.words[w] &= !(1 << b);
        }
    }

    /// Whether record `i` is one the walk must look at.
    pub(super) fn get(&self, i: usize) -> bool {
        let p = self.head + i;
        self.words[p / 64] >> (p % 64) & 1 == 1
    }

    /// The records the walk must look at, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let head = self.head;
        self.words.iter().enumerate().flat_map(move |(w, &word)| {
            let base = w * 64;
            // Bits of records already popped do not count; bits past the
            // last record were never set (a push writes its own bit, and
            // only a pop of the last record leaves them behind, clearing
            // every word).
            let bits0 = if w == 0 { word & (!0u64 << head) } else { word };
            let mut bits = bits0;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some(base + b - head)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The bits answer as one flag per record in a deque would, through
        /// pushes, pops from the front and changes.
        #[test]
        fn the_bits_match_a_deque_of_flags(ops in proptest::collection::vec((0u8..3, proptest::bool::ANY, 0usize..300), 0..600)) {
            let mut bits = LiveBits::default();
            let mut model: VecDeque<bool> = VecDeque::new();
            for (op, live, k) in ops {
                match op {
                    0 => { bits.push(live); model.push_back(live); }
                    1 if !model.is_empty() => { bits.pop_front(); model.pop_front(); }
                    _ if !model.is_empty() => { let i = k % model.len(); bits.set(i, live); model[i] = live; }
                    _ => {}
                }
                let want: Vec<usize> = model.iter().enumerate().filter(|(_, l)| **l).map(|(i, _)| i).collect();
                proptest::prop_assert_eq!(bits.iter().collect::<Vec<_>>(), want);
                for (i, &l) in model.iter().enumerate() {
                    proptest::prop_assert_eq!(bits.get(i), l);
                }
            }
        }
    }

    #[test]
    fn a_full_word_and_more() {
        let mut b = LiveBits::default();
        for i in 0..130 {
            b.push(i % 3 == 0);
        }
        for _ in 0..64 {
            b.pop_front();
        }
        let got: Vec<usize> = b.iter().collect();
        let want: Vec<usize> = (64..130).filter(|i| i % 3 == 0).map(|i| i - 64).collect();
        assert_eq!(got, want);
    }
}
