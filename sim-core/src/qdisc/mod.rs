//! Queue disciplines: what a link does with the packets waiting for it.
//!
//! A [`Qdisc`] holds plain values ([`QueuedPkt`]: an id, a size, a flow
//! and the instant it was enqueued), never the packets themselves: the
//! link keeps those and hands the discipline their ids. The link calls
//! [`Qdisc::enqueue`] when it is offered a packet and [`Qdisc::dequeue`]
//! at the exact instant it becomes free to serialise the next one (see
//! `crate::link`: the link serves its queue lazily, catching up to `now`
//! whenever it is offered a packet or wakes). A discipline can drop at
//! enqueue (a full queue, RED) and at dequeue (CoDel): every dropped
//! packet is reported with its cause, so that delivered + dropped +
//! held = offered for every discipline.
//!
//! - [`fifo`]: drop-tail FIFO served lazily, the behaviour of the link's
//!   precomputed path (used when a link's rate or delay changes on the
//!   timeline, which the precomputed path cannot re-plan).
//! - [`codel`]: CoDel, RFC 8289.
//! - [`fq_codel`]: FQ-CoDel, RFC 8290, with Linux's choices where the RFC
//!   leaves them open.
//! - [`red`]: RED, Floyd & Jacobson 1993, with Linux `sch_red.c`'s
//!   parameters.
//!
//! The parameters keep Linux tc's names and defaults (`tc qdisc add ...
//! codel target 5ms interval 100ms limit 1000`), so that an experiment
//! moved from an emulator keeps its numbers; see `docs/scenarios.md`.
//!
//! Not modelled (a user could observe): ECN (RFC 3168) marking: every
//! discipline drops where Linux with `ecn` would mark, since the TCP model
//! does not negotiate ECN; CoDel's `ce_threshold`; FQ-CoDel's
//! `memory_limit` (32 MiB in Linux: with 1500-byte packets the 10240-packet
//! limit is reached first); RED's `adaptive` and `harddrop` flags.

pub mod codel;
pub mod fifo;
pub mod fq_codel;
pub mod red;

use serde::{Deserialize, Serialize};

use crate::link::{BufferLimit, DropCause};
use crate::rng::SimRng;
use crate::time::{Bandwidth, SimTime};

pub use codel::{CoDel, CoDelConfig};
pub use fifo::Fifo;
pub use fq_codel::{FqCoDel, FqCoDelConfig};
pub use red::{Red, RedConfig};

/// The 5-tuple of a packet, which FQ-CoDel hashes to a flow queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FlowTuple {
    pub src_addr: u32,
    pub dst_addr: u32,
    pub src_port: u16,
    pub dst_port: u16,
    /// IP protocol number (6 for TCP).
    pub proto: u8,
}

/// A packet as a discipline sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuedPkt {
    /// The link's handle on the packet.
    pub id: u32,
    pub size_bytes: u32,
    pub flow: FlowTuple,
    /// When it was enqueued (CoDel's timestamp, RFC 8289 (5.3)).
    pub enqueued_at: SimTime,
}

/// A dropped packet and why.
pub type Dropped = (QueuedPkt, DropCause);

/// A queue discipline: a sans-IO state machine driven by the link, `now`
/// passed in.
pub trait Qdisc: std::fmt::Debug + Send {
    /// Whether a packet offered to an empty discipline on an idle link
    /// may go straight to the wire without passing through it (Linux
    /// `TCQ_F_CAN_BYPASS`, `net/core/dev.c` `__dev_xmit_skb`): true for
    /// FIFO, CoDel and FQ-CoDel; RED must see every arrival.
    fn can_bypass(&self) -> bool {
        true
    }
    /// Takes `pkt` at `now`. Packets dropped by this enqueue (`pkt` itself
    /// or, for FQ-CoDel, packets of the fattest flow) are pushed to
    /// `dropped`.
    fn enqueue(&mut self, now: SimTime, pkt: QueuedPkt, dropped: &mut Vec<Dropped>);
    /// The packet to serialise at `now`, the instant the link is free;
    /// packets dropped on the way (CoDel) are pushed to `dropped`.
    fn dequeue(&mut self, now: SimTime, dropped: &mut Vec<Dropped>) -> Option<QueuedPkt>;
    /// Packets held.
    fn len_pkts(&self) -> usize;
    /// Bytes held.
    fn backlog_bytes(&self) -> u64;
    /// A new limit (`tc qdisc change ... limit`): applies on enqueue; the
    /// packets already held stay (Linux `fifo_enqueue` checks the limit
    /// only on enqueue).
    fn set_limit(&mut self, limit: BufferLimit);
    /// Removes everything (the link went down), pushing it to `dropped`
    /// with cause `Down`.
    fn purge(&mut self, dropped: &mut Vec<Dropped>);
}

/// Which discipline a link direction uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum QdiscConfig {
    /// Drop-tail FIFO, limited by the link's buffer, served lazily.
    Fifo,
    /// CoDel (RFC 8289).
    CoDel(CoDelConfig),
    /// FQ-CoDel (RFC 8290).
    FqCoDel(FqCoDelConfig),
    /// RED (Floyd & Jacobson 1993).
    Red(RedConfig),
}

impl QdiscConfig {
    /// What is wrong with the parameters, if anything: the field and why.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        match self {
            QdiscConfig::Fifo => None,
            QdiscConfig::CoDel(c) => c.problem(),
            QdiscConfig::FqCoDel(c) => c.problem(),
            QdiscConfig::Red(c) => c.problem(),
        }
    }

    /// Builds the discipline. `buffer` is the link's (the FIFO's limit),
    /// `rate` the link's nominal rate (RED's default `bandwidth`), `rng`
    /// the link's own AQM stream (RED's draws, FQ-CoDel's hash
    /// perturbation).
    pub fn build(&self, buffer: BufferLimit, rate: Bandwidth, mut rng: SimRng) -> Box<dyn Qdisc> {
        match self {
            QdiscConfig::Fifo => Box::new(Fifo::new(buffer)),
            QdiscConfig::CoDel(c) => Box::new(CoDel::new(c.clone())),
            QdiscConfig::FqCoDel(c) => {
                use rand::RngExt;
                let perturbation: u64 = rng.random();
                Box::new(FqCoDel::new(c.clone(), perturbation))
            }
            QdiscConfig::Red(c) => Box::new(Red::new(c.clone(), rate, rng)),
        }
    }
}
