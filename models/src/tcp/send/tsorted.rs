//! The sender's records in transmit-time order, for RACK's loss walk
//! (`rack::Rack::judge`), as Linux keeps `tp->tsorted_sent_queue`: a
//! segment joins the tail when it is sent and moves to the tail when it is
//! resent (`net/ipv4/tcp_output.c` `tcp_update_skb_after_send`:
//! `list_move_tail(&skb->tcp_tsorted_anchor, ...)`), a SACKed one leaves
//! (`tcp_input.c` `tcp_sacktag_walk`), and one the walk marks lost leaves
//! too (`tcp_recovery.c` `tcp_rack_detect_loss`: `list_del_init`). The walk
//! goes from the oldest transmission and stops at the first one sent after
//! RACK.xmit_ts, so the retransmissions in flight, sent after the segment
//! that was last delivered, are never visited.
//!
//! Here the records stay in a deque in sequence order (`Sender::records`),
//! and this queue holds `(record id, generation)` pairs: the id is the
//! record's position counted from the first record ever sent (ids do not
//! move when acknowledged records leave the front), the generation tells
//! the record's current entry from those of its earlier transmissions.
//! Moving an entry to the tail is pushing a new one; entries that no
//! longer name a live record (acknowledged, resent since, SACKed, or
//! marked lost and not resent) are dropped lazily, where the walk passes
//! them or at the front after a cumulative ACK. Every entry is newer than
//! the oldest live transmission's, so the queue holds at most what was sent
//! since then.
//!
//! Generations are a 32-bit counter that wraps: an old entry could be
//! taken for a record's current one only after 2^32 transmissions while it
//! sits in the queue; the entries are dropped within a retransmission
//! timeout of being sent (the timeout rebuilds the queue), long before.
//! Debug builds compare every walk with the walk over all records in
//! sequence order (`recovery`).

use std::collections::VecDeque;

/// What the walk does with the entry it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// The entry names no live record any more, or its record was just
    /// marked lost: it leaves the queue.
    Drop,
    /// The entry stays (its record waits, or is not older than
    /// RACK.xmit_ts at an equal time).
    Keep,
    /// The entry's record was sent after RACK.xmit_ts: the walk ends and
    /// this entry and all after it stay.
    Stop,
}

/// Record ids in transmit-time order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct TsOrder {
    q: VecDeque<(u64, u32)>,
    next_gen: u32,
}

impl TsOrder {
    /// Record `id` was (re)sent now, after every entry already queued;
    /// returns the generation the record must keep to stay named by it.
    pub(super) fn push(&mut self, id: u64) -> u32 {
        let g = self.next_gen;
        self.next_gen = g.wrapping_add(1);
        self.q.push_back((id, g));
        g
    }

    /// Drops entries from the front while `live(id, ts_gen)` says they name
    /// no live record.
    pub(super) fn trim_front(&mut self, mut live: impl FnMut(u64, u32) -> bool) {
        while let Some(&(id, g)) = self.q.front() {
            if live(id, g) {
                break;
            }
            self.q.pop_front();
        }
    }

    /// Walks from the oldest entry, showing each to `visit` until it
    /// answers [`Step::Stop`] or the queue ends; dropped entries leave.
    pub(super) fn walk(&mut self, mut visit: impl FnMut(u64, u32) -> Step) {
        let mut kept = 0;
        let mut read = 0;
        while read < self.q.len() {
            let e = self.q[read];
            match visit(e.0, e.1) {
                Step::Stop => break,
                Step::Drop => {}
                Step::Keep => {
                    self.q[kept] = e;
                    kept += 1;
                }
            }
            read += 1;
        }
        // The kept entries are the first `kept`, in their order; the
        // dropped ones were between them and `read`.
        self.q.drain(kept..read);
    }

    /// Empties the queue (before it is rebuilt from the records).
    pub(super) fn clear(&mut self) {
        self.q.clear();
    }

    /// Entries queued (live or not yet dropped).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.q.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_keeps_the_waiting_entries_in_order_and_stops_with_the_rest_intact() {
        let mut t = TsOrder::default();
        for id in 0..6 {
            t.push(id);
        }
        let mut seen = Vec::new();
        t.walk(|id, _| {
            seen.push(id);
            match id {
                1 | 3 => Step::Drop,
                4 => Step::Stop,
                _ => Step::Keep,
            }
        });
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        let mut after = Vec::new();
        t.walk(|id, _| {
            after.push(id);
            Step::Keep
        });
        assert_eq!(after, [0, 2, 4, 5]);
    }

    #[test]
    fn a_resent_record_moves_to_the_tail_and_its_old_entry_is_told_by_its_generation() {
        let mut t = TsOrder::default();
        let mut gens = [0u32; 3];
        for id in 0..3 {
            gens[id as usize] = t.push(id);
        }
        gens[0] = t.push(0);
        let mut order = Vec::new();
        t.walk(|id, g| {
            if gens[id as usize] != g {
                return Step::Drop;
            }
            order.push(id);
            Step::Keep
        });
        assert_eq!(order, [1, 2, 0]);
        assert_eq!(t.len(), 3);
        t.trim_front(|id, _| id >= 2);
        assert_eq!(t.len(), 2);
    }
}
