//! Drop-tail FIFO served lazily: the precomputed link's behaviour, as a
//! discipline.
//!
//! A packet is refused (cause `Queue`) when accepting it would make the
//! waiting packets exceed the limit, in bytes or packets, exactly as the
//! link's precomputed path decides (Linux `sch_fifo.c` `bfifo_enqueue` /
//! `pfifo_enqueue`: the limit is checked on enqueue only, so lowering it
//! keeps what is already queued).

use std::collections::VecDeque;

use super::{Dropped, Qdisc, QueuedPkt};
use crate::link::{BufferLimit, DropCause};
use crate::time::SimTime;

#[derive(Debug)]
pub struct Fifo {
    limit: BufferLimit,
    q: VecDeque<QueuedPkt>,
    bytes: u64,
}

impl Fifo {
    pub fn new(limit: BufferLimit) -> Self {
        Fifo {
            limit,
            q: VecDeque::new(),
            bytes: 0,
        }
    }
}

impl Qdisc for Fifo {
    fn enqueue(&mut self, _now: SimTime, pkt: QueuedPkt, dropped: &mut Vec<Dropped>) {
        let full = match self.limit {
            BufferLimit::Bytes(b) => self.bytes + pkt.size_bytes as u64 > b.bytes(),
            BufferLimit::Packets(n) => self.q.len() as u64 >= n,
        };
        if full {
            dropped.push((pkt, DropCause::Queue));
            return;
        }
        self.bytes += pkt.size_bytes as u64;
        self.q.push_back(pkt);
    }

    fn dequeue(&mut self, _now: SimTime, _dropped: &mut Vec<Dropped>) -> Option<QueuedPkt> {
        let p = self.q.pop_front()?;
        self.bytes -= p.size_bytes as u64;
        Some(p)
    }

    fn len_pkts(&self) -> usize {
        self.q.len()
    }
    fn backlog_bytes(&self) -> u64 {
        self.bytes
    }
    fn set_limit(&mut self, limit: BufferLimit) {
        self.limit = limit;
    }
    fn purge(&mut self, dropped: &mut Vec<Dropped>) {
        dropped.extend(self.q.drain(..).map(|p| (p, DropCause::Down)));
        self.bytes = 0;
    }
}
