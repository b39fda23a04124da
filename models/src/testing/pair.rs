//! Two sans-IO endpoints over a simulated path, for protocol tests: the
//! harness owns time and the network, the endpoints only react.
//!
//! Each direction is a [`sim_core::Link`] (see `sim_core::link` for its
//! timing): a segment offered at `now` starts serialisation when the
//! previous one has left, takes its serialisation time at the link's rate
//! and arrives one propagation delay later; what is serialised is the IP
//! packet ([`crate::wire::ip_packet_len`]). [`unbounded`] builds the
//! lossless FIFO with no buffer limit the TCP tests use; any
//! [`LinkConfig`] (a drop-tail limit, random loss, jitter) works too.
//!
//! Per direction, [`Direction::set_drops`] drops exactly the segments with
//! the given indices (0-based, counting every segment offered in that
//! direction) through [`LossModel::DropList`]; a dropped segment still
//! occupies the link for its serialisation time, as every loss on a
//! `sim_core` link does. Every offered segment is logged ([`Sent`]): when
//! it was sent, when it arrives (or that it was dropped), the segment and
//! what the endpoint said about it.
//!
//! Endpoint A exists from the start; B is made by the `accept` closure from
//! the first segment that reaches it (for TCP: from the SYN; segments it
//! refuses are discarded). Time jumps to the earliest of the next arrival
//! and the endpoints' `poll_timeout`; at that instant the segments arriving
//! at B are handed to it, then those arriving at A, then A's due timers
//! fire, then B's.
//!
//! Endpoints are driven through the [`Endpoint`] trait, implemented here
//! for [`TcpEndpoint`]. A test without an application calls
//! [`Pair::step`] or [`Pair::run`]; one with an application interleaves
//! its calls with [`Pair::transmit_a`], [`Pair::transmit_b`] and
//! [`Pair::advance`].
//!
//! ```
//! use models::cc::reno::Reno;
//! use models::segment::Segment;
//! use models::tcp::{TcpConfig, TcpEndpoint, TcpState};
//! use models::testing::pair::{Pair, unbounded};
//! use sim_core::{Bandwidth, SimDuration, SimTime};
//!
//! let cfg = TcpConfig::default();
//! let reno = |cfg: &TcpConfig| Box::new(Reno::new(cfg.mss_bytes));
//! let a = TcpEndpoint::connect(SimTime::ZERO, (1, 40_000), (2, 80), 1000, cfg.clone(), reno(&cfg));
//! let accept = move |now: SimTime, syn: &Segment| {
//!     syn.flags.syn.then(|| TcpEndpoint::accept(now, syn, 5000, cfg.clone(), reno(&cfg)))
//! };
//! let path = unbounded(Bandwidth::from_mbps(10).unwrap(), SimDuration::from_millis(10));
//! let mut p = Pair::new(a, accept, path.clone(), path);
//! // The first SYN is lost; the second, one second later, gets through.
//! p.ab.set_drops([0]);
//! p.run(SimTime::from_secs(2));
//! assert!(p.ab.log[0].dropped && p.ab.log[1].tx.is_retransmission);
//! assert_eq!(p.b.as_ref().unwrap().state(), TcpState::Established);
//! ```

use std::collections::BTreeSet;
use std::fmt;

use sim_core::{Bandwidth, BufferLimit, Link, LinkConfig, LossModel, RngStreams, SimDuration, SimTime};

use crate::segment::{MptcpVersion, Segment};
use crate::tcp::{TcpEndpoint, Transmit};

/// The master seed of the links' random streams (used only by random loss
/// or jitter models).
pub const SEED: u64 = 0;

/// A sans-IO endpoint the harness can drive.
pub trait Endpoint {
    /// What `poll_transmit` hands out: a segment and whatever the endpoint
    /// reports about it.
    type Transmit: Clone + fmt::Debug;
    /// The segment of a transmit.
    fn segment(t: &Self::Transmit) -> &Segment;
    /// A segment arrived at `now`.
    fn handle_segment(&mut self, now: SimTime, seg: &Segment);
    /// The next segment to send at `now`, if any.
    fn poll_transmit(&mut self, now: SimTime) -> Option<Self::Transmit>;
    /// When `handle_timeout` must be called next, if ever.
    fn poll_timeout(&self) -> Option<SimTime>;
    /// The instant `poll_timeout` named (or a later one) has come.
    fn handle_timeout(&mut self, now: SimTime);
}

impl Endpoint for TcpEndpoint {
    type Transmit = Transmit;
    fn segment(t: &Transmit) -> &Segment {
        &t.seg
    }
    fn handle_segment(&mut self, now: SimTime, seg: &Segment) {
        TcpEndpoint::handle_segment(self, now, seg);
    }
    fn poll_transmit(&mut self, now: SimTime) -> Option<Transmit> {
        TcpEndpoint::poll_transmit(self, now)
    }
    fn poll_timeout(&self) -> Option<SimTime> {
        TcpEndpoint::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: SimTime) {
        TcpEndpoint::handle_timeout(self, now);
    }
}

/// A lossless link at `rate` with one-way delay `delay` and a FIFO without
/// limit.
pub fn unbounded(rate: Bandwidth, delay: SimDuration) -> LinkConfig {
    LinkConfig::new(rate, delay, BufferLimit::Packets(u64::MAX))
}

/// One segment offered to a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent<T> {
    /// When it was offered.
    pub at: SimTime,
    /// When it arrives; `None` when dropped.
    pub arrives: Option<SimTime>,
    /// Dropped (by the loss model, a full buffer or a link that is down).
    pub dropped: bool,
    /// The segment.
    pub seg: Segment,
    /// What the endpoint handed out with it.
    pub tx: T,
}

/// One direction of the path: a link and the log of what was offered to it.
#[derive(Debug)]
pub struct Direction<T> {
    link: Link<Segment>,
    /// Every segment offered, in offer order (index = drop-list index).
    pub log: Vec<Sent<T>>,
}

impl<T> Direction<T> {
    fn new(cfg: LinkConfig, rng: &RngStreams, name: &str) -> Self {
        Direction {
            link: Link::new(
                cfg,
                rng.stream(&format!("{name}/loss")),
                rng.stream(&format!("{name}/jitter")),
            ),
            log: Vec::new(),
        }
    }

    /// Drops exactly the segments with these indices among all offered in
    /// this direction (0-based, past ones included), replacing the link's
    /// loss model.
    pub fn set_drops(&mut self, indices: impl IntoIterator<Item = usize>) {
        let indices: BTreeSet<u64> = indices.into_iter().map(|i| i as u64).collect();
        self.link.set_loss(LossModel::DropList { indices });
    }

    /// Drops the next segment offered, besides those already listed.
    pub fn drop_next(&mut self) {
        let mut indices = match &self.link.config().loss {
            LossModel::DropList { indices } => indices.clone(),
            _ => BTreeSet::new(),
        };
        indices.insert(self.log.len() as u64);
        self.link.set_loss(LossModel::DropList { indices });
    }

    /// The segments with payload.
    pub fn data(&self) -> impl Iterator<Item = &Sent<T>> {
        self.log.iter().filter(|s| s.seg.payload_len > 0)
    }

    /// The link (configuration, counters).
    pub fn link(&self) -> &Link<Segment> {
        &self.link
    }

    fn offer(&mut self, now: SimTime, version: MptcpVersion, seg: Segment, tx: T) {
        let bytes = crate::wire::ip_packet_len(&seg, version) as u32;
        let fate = self.link.offer(now, bytes, seg);
        self.log.push(Sent {
            at: now,
            arrives: fate.ok(),
            dropped: fate.is_err(),
            seg,
            tx,
        });
    }
}

/// The factory of endpoint B: from the first segment that reaches it.
pub type Accept<E> = Box<dyn FnMut(SimTime, &Segment) -> Option<E>>;

/// Endpoint A, endpoint B once accepted, and the two directions between
/// them. See the module documentation.
pub struct Pair<E: Endpoint> {
    /// The current instant.
    pub now: SimTime,
    pub a: E,
    /// B, once `accept` made it.
    pub b: Option<E>,
    /// A -> B.
    pub ab: Direction<E::Transmit>,
    /// B -> A.
    pub ba: Direction<E::Transmit>,
    /// The MPTCP version whose option lengths size the packets (v1 unless
    /// set; plain TCP options have the same length in both).
    pub version: MptcpVersion,
    accept: Accept<E>,
}

impl<E: Endpoint + fmt::Debug> fmt::Debug for Pair<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pair")
            .field("now", &self.now)
            .field("a", &self.a)
            .field("b", &self.b)
            .field("ab", &self.ab)
            .field("ba", &self.ba)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl<E: Endpoint> Pair<E> {
    /// A at time zero, B made by `accept`, `ab` and `ba` the two
    /// directions' links (their random streams from [`SEED`]).
    pub fn new(
        a: E,
        accept: impl FnMut(SimTime, &Segment) -> Option<E> + 'static,
        ab: LinkConfig,
        ba: LinkConfig,
    ) -> Self {
        let rng = RngStreams::new(SEED);
        Pair {
            now: SimTime::ZERO,
            a,
            b: None,
            ab: Direction::new(ab, &rng, "ab"),
            ba: Direction::new(ba, &rng, "ba"),
            version: MptcpVersion::V1,
            accept: Box::new(accept),
        }
    }

    /// Offers everything A has to send now to A -> B; whether it sent any.
    pub fn transmit_a(&mut self) -> bool {
        let mut sent = false;
        while let Some(t) = self.a.poll_transmit(self.now) {
            let seg = *E::segment(&t);
            self.ab.offer(self.now, self.version, seg, t);
            sent = true;
        }
        sent
    }

    /// Offers everything B has to send now to B -> A; whether it sent any.
    pub fn transmit_b(&mut self) -> bool {
        let Some(b) = self.b.as_mut() else {
            return false;
        };
        let mut sent = false;
        while let Some(t) = b.poll_transmit(self.now) {
            let seg = *E::segment(&t);
            self.ba.offer(self.now, self.version, seg, t);
            sent = true;
        }
        sent
    }

    /// The next instant something happens: an arrival or a timer.
    pub fn next_time(&self) -> Option<SimTime> {
        [
            self.ab.link.next_arrival(),
            self.ba.link.next_arrival(),
            self.a.poll_timeout(),
            self.b.as_ref().and_then(|b| b.poll_timeout()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Jumps to [`next_time`](Self::next_time), hands over the segments
    /// arriving then (at B first) and fires the due timers (A's first).
    /// False, and nothing changes, when nothing is pending.
    pub fn advance(&mut self) -> bool {
        let Some(t) = self.next_time() else {
            return false;
        };
        self.now = t;
        while let Some(seg) = self.ab.link.pop_arrived(t) {
            match self.b.as_mut() {
                Some(b) => b.handle_segment(t, &seg),
                None => self.b = (self.accept)(t, &seg),
            }
        }
        while let Some(seg) = self.ba.link.pop_arrived(t) {
            self.a.handle_segment(t, &seg);
        }
        if self.a.poll_timeout().is_some_and(|d| d <= t) {
            self.a.handle_timeout(t);
        }
        if let Some(b) = self.b.as_mut()
            && b.poll_timeout().is_some_and(|d| d <= t)
        {
            b.handle_timeout(t);
        }
        true
    }

    /// Both endpoints transmit until neither has anything left (B first).
    pub fn flush(&mut self) {
        while self.transmit_b() | self.transmit_a() {}
    }

    /// Flushes, advances and flushes again; false when nothing is left.
    pub fn step(&mut self) -> bool {
        self.flush();
        if !self.advance() {
            return false;
        }
        self.flush();
        true
    }

    /// Steps until `limit` (time passes idle when nothing is left to do).
    pub fn run(&mut self, limit: SimTime) {
        while self.now < limit && self.step() {}
        self.now = self.now.max(limit);
    }
}
