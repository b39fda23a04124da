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
//! direction) through [`LossModel::DropList`], and
//! [`Direction::set_extra_delay`] makes one segment arrive later than the
//! link delivers it (reordering it behind the next ones); a dropped segment still
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
//! for [`TcpEndpoint`] and for an MPTCP [`Connection`]. A test without an
//! application calls [`Pair::step`] or [`Pair::run`]; one with an
//! application interleaves its calls with [`Pair::transmit_a`],
//! [`Pair::transmit_b`] and [`Pair::advance`].
//!
//! [`MultiPair`] is the same with several paths: A has one interface per
//! [`Path`] (its address and two links), B one address; segments are
//! routed by address as `experiments`' world routes them, B is handed only
//! what it [takes](Endpoint::takes) (for a connection: its subflows'
//! segments and join SYNs with its token, as `experiments`' host does), and
//! [`MultiPair::set_iface`] takes an interface of A down or up (its links,
//! then A's [`Endpoint::handle_iface`]). The MPTCP connection tests run on
//! it: a client connection with N interfaces, a server connection made
//! from the first SYN.
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

#![warn(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sim_core::{Bandwidth, BufferLimit, Link, LinkConfig, LossModel, RngStreams, SimDuration, SimTime};

use crate::mptcp::Connection;
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
    /// Whether a segment that reached this endpoint is handed to it; one
    /// it does not take is discarded (as a host with no socket for it
    /// would). [`MultiPair`] asks; [`Pair`] hands everything. Default: all.
    fn takes(&self, _seg: &Segment) -> bool {
        true
    }
    /// The local interface with address `addr` went up or down (see
    /// [`MultiPair::set_iface`]). Default: nothing.
    fn handle_iface(&mut self, _now: SimTime, _addr: u32, _up: bool) {}
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
        // Built in place over a slot full of another segment, as a caller
        // that reuses its slot would: whatever the slot held must not show.
        let mut seg = stale_slot();
        let info = TcpEndpoint::poll_transmit_into(self, now, &mut seg)?;
        Some(Transmit {
            seg,
            mapping: info.mapping,
            is_retransmission: info.is_retransmission,
        })
    }
    fn poll_timeout(&self) -> Option<SimTime> {
        TcpEndpoint::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: SimTime) {
        TcpEndpoint::handle_timeout(self, now);
    }
}

/// An MPTCP connection, driven as `experiments`' host drives one: a
/// segment is taken when one of its subflows owns it or when it is a join
/// SYN (SYN without ACK) naming its token ([`Connection::accepts_join`]);
/// anything else is discarded. Its events stay in the connection
/// ([`Connection::poll_event`]) for the test to drain.
impl Endpoint for Connection {
    type Transmit = Segment;
    fn segment(t: &Segment) -> &Segment {
        t
    }
    fn handle_segment(&mut self, now: SimTime, seg: &Segment) {
        Connection::handle_segment(self, now, seg);
    }
    fn poll_transmit(&mut self, now: SimTime) -> Option<Segment> {
        // As for the TCP endpoint: built in place over another segment.
        let mut seg = stale_slot();
        Connection::poll_transmit_into(self, now, &mut seg).then_some(seg)
    }
    fn poll_timeout(&self) -> Option<SimTime> {
        Connection::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: SimTime) {
        Connection::handle_timeout(self, now);
    }
    fn takes(&self, seg: &Segment) -> bool {
        self.owns(seg) || (seg.flags.syn && !seg.flags.ack && self.accepts_join(seg))
    }
    fn handle_iface(&mut self, now: SimTime, addr: u32, up: bool) {
        Connection::handle_iface(self, now, addr, up);
    }
}

/// A segment with every field set and every option present (SACK blocks,
/// two MPTCP options, a remembered length): the slot the harness's
/// endpoints build their segments in, so that every protocol test checks
/// that building in place (`poll_transmit_into`) replaces all of it.
pub fn stale_slot() -> Segment {
    use crate::segment::{MptcpOption, OptionsLen, SackBlock, TcpFlags};
    let mut seg = Segment {
        src_addr: 0xdead_beef,
        dst_addr: 0xbeef_dead,
        src_port: 7,
        dst_port: 9,
        seq: 0x1234_5678,
        ack: 0x8765_4321,
        flags: TcpFlags {
            syn: true,
            ack: true,
            fin: true,
            rst: true,
            psh: true,
        },
        window: 0xabc,
        payload_len: 999,
        options_len: OptionsLen::new(36),
        ..Segment::default()
    };
    seg.options.mss = Some(536);
    seg.options.window_scale = Some(3);
    seg.options.sack_permitted = true;
    seg.options.timestamps = Some((11, 22));
    seg.options.sack.push(SackBlock { left: 5, right: 6 });
    seg.options.mptcp.push(MptcpOption::MpPrio { backup: true });
    seg.options.mptcp.push(MptcpOption::MpFail { dsn: 77 });
    seg
}

/// A lossless link at `rate` with one-way delay `delay` and a FIFO without
/// limit.
pub fn unbounded(rate: Bandwidth, delay: SimDuration) -> LinkConfig {
    LinkConfig::new(rate, delay, BufferLimit::Packets(u64::MAX))
}

/// One segment offered to a direction.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Carries each segment with its index in `log`.
    link: Link<(usize, Segment)>,
    /// Every segment offered, in offer order (index = drop-list index).
    pub log: Vec<Sent<T>>,
    /// Extra delay of single segments, by index.
    extra_delay: BTreeMap<usize, SimDuration>,
    /// Segments the link delivered that wait for their extra delay:
    /// (arrival, index, segment).
    held: Vec<(SimTime, usize, Segment)>,
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
            extra_delay: BTreeMap::new(),
            held: Vec::new(),
        }
    }

    /// Segment `index` (0-based among those offered in this direction)
    /// arrives `extra` after the link delivers it; the segments behind it
    /// overtake it. It still takes its place on the link.
    pub fn set_extra_delay(&mut self, index: usize, extra: SimDuration) {
        self.extra_delay.insert(index, extra);
    }

    /// The next arrival, held segments included.
    fn next_arrival(&self) -> Option<SimTime> {
        let held = self.held.iter().map(|h| h.0).min();
        SimTime::earliest(self.link.next_arrival(), held)
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

    /// The link (configuration, counters); it carries each segment with
    /// its index in [`Direction::log`].
    pub fn link(&self) -> &Link<(usize, Segment)> {
        &self.link
    }

    /// Brings the link up or down at `now`; going down drops what it
    /// holds (marked dropped in the log), and while it is down every
    /// segment offered is dropped.
    pub fn set_up(&mut self, now: SimTime, up: bool) {
        let log = &mut self.log;
        self.link.set_up(now, up, |(i, _)| {
            log[i].dropped = true;
            log[i].arrives = None;
        });
    }

    /// The next segment that has arrived by `now`.
    fn pop_arrived(&mut self, now: SimTime) -> Option<Segment> {
        while let Some((i, seg)) = self.link.pop_arrived(now) {
            match self.extra_delay.get(&i) {
                Some(&d) => {
                    let at = self.log[i].arrives.map_or(now, |a| a + d);
                    self.log[i].arrives = Some(at);
                    self.held.push((at, i, seg));
                }
                None => return Some(seg),
            }
        }
        let k = (0..self.held.len())
            .filter(|&k| self.held[k].0 <= now)
            .min_by_key(|&k| (self.held[k].0, self.held[k].1))?;
        Some(self.held.remove(k).2)
    }

    fn offer(&mut self, now: SimTime, version: MptcpVersion, seg: Segment, tx: T) {
        let bytes = crate::wire::ip_packet_len(&seg, version) as u32;
        let fate = self.link.offer(now, bytes, (self.log.len(), seg.clone()));
        self.log.push(Sent {
            at: now,
            arrives: fate.ok().flatten(),
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
    /// A, the endpoint that opens (the client).
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
            let seg = E::segment(&t).clone();
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
            let seg = E::segment(&t).clone();
            self.ba.offer(self.now, self.version, seg, t);
            sent = true;
        }
        sent
    }

    /// The next instant something happens: an arrival or a timer.
    pub fn next_time(&self) -> Option<SimTime> {
        [
            self.ab.next_arrival(),
            self.ba.next_arrival(),
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
        while let Some(seg) = self.ab.pop_arrived(t) {
            match self.b.as_mut() {
                Some(b) => b.handle_segment(t, &seg),
                None => self.b = (self.accept)(t, &seg),
            }
        }
        while let Some(seg) = self.ba.pop_arrived(t) {
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

/// One path of a [`MultiPair`]: endpoint A's interface with address `addr`
/// and its two directions to B.
#[derive(Debug)]
pub struct Path<T> {
    /// A's address on this path: A's segments from it and B's segments to
    /// it take this path.
    pub addr: u32,
    /// A -> B.
    pub ab: Direction<T>,
    /// B -> A.
    pub ba: Direction<T>,
}

/// Endpoint A with several interfaces, each a [`Path`] (two `sim_core`
/// links) to endpoint B's one address; for MPTCP, a client connection and
/// the server connection it opens. See the module documentation.
///
/// Routing is by address, as `experiments`' world routes: A's segment
/// takes the path of its source address, B's the path of its destination
/// address (a segment for an address no path has panics: a model bug).
/// B is made by `accept` from the first segment that reaches it; after
/// that each endpoint is handed only the segments it
/// [takes](Endpoint::takes), the others are kept in `discarded`.
///
/// Time advances as in [`Pair`]: at each instant the segments arriving at
/// B are handed over (path by path, in path order), then those arriving at
/// A, then A's due timers fire, then B's.
/// [`set_iface`](MultiPair::set_iface) takes an interface down or up as
/// the world does: both links of its path first (going down loses what
/// they carry), then A hears of it ([`Endpoint::handle_iface`]).
pub struct MultiPair<E: Endpoint> {
    /// The current instant.
    pub now: SimTime,
    /// A, the endpoint that opens (the client).
    pub a: E,
    /// B, once `accept` made it.
    pub b: Option<E>,
    /// One per interface of A, in the order given.
    pub paths: Vec<Path<E::Transmit>>,
    /// Segments that arrived and were not handed to an endpoint (refused
    /// by `accept` or not taken), with their arrival time.
    pub discarded: Vec<(SimTime, Segment)>,
    /// The MPTCP version whose option lengths size the packets (v1 unless
    /// set).
    pub version: MptcpVersion,
    accept: Accept<E>,
}

impl<E: Endpoint + fmt::Debug> fmt::Debug for MultiPair<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiPair")
            .field("now", &self.now)
            .field("a", &self.a)
            .field("b", &self.b)
            .field("paths", &self.paths)
            .field("discarded", &self.discarded)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl<E: Endpoint> MultiPair<E> {
    /// A at time zero, B made by `accept`, and one path per `(A's address,
    /// A -> B link, B -> A link)` (their random streams from [`SEED`],
    /// named by the path's position).
    pub fn new(
        a: E,
        accept: impl FnMut(SimTime, &Segment) -> Option<E> + 'static,
        paths: impl IntoIterator<Item = (u32, LinkConfig, LinkConfig)>,
    ) -> Self {
        let rng = RngStreams::new(SEED);
        let paths: Vec<_> = paths
            .into_iter()
            .enumerate()
            .map(|(i, (addr, ab, ba))| Path {
                addr,
                ab: Direction::new(ab, &rng, &format!("path{i}/ab")),
                ba: Direction::new(ba, &rng, &format!("path{i}/ba")),
            })
            .collect();
        for (i, p) in paths.iter().enumerate() {
            assert!(
                paths[..i].iter().all(|q| q.addr != p.addr),
                "two paths from one address"
            );
        }
        MultiPair {
            now: SimTime::ZERO,
            a,
            b: None,
            paths,
            discarded: Vec::new(),
            version: MptcpVersion::V1,
            accept: Box::new(accept),
        }
    }

    fn index(&self, addr: u32) -> Option<usize> {
        self.paths.iter().position(|p| p.addr == addr)
    }

    /// The path of A's address `addr`.
    pub fn path(&self, addr: u32) -> &Path<E::Transmit> {
        let i = self.index(addr).unwrap_or_else(|| panic!("no path from {addr:#x}"));
        &self.paths[i]
    }

    /// The path of A's address `addr`, mutably (to set drops).
    pub fn path_mut(&mut self, addr: u32) -> &mut Path<E::Transmit> {
        let i = self.index(addr).unwrap_or_else(|| panic!("no path from {addr:#x}"));
        &mut self.paths[i]
    }

    /// Brings both links of the path from `addr` up or down, and nothing
    /// else (A is not told: an interface that starts down, or a path that
    /// fails under A's feet).
    pub fn set_links_up(&mut self, addr: u32, up: bool) {
        let now = self.now;
        let p = self.path_mut(addr);
        p.ab.set_up(now, up);
        p.ba.set_up(now, up);
    }

    /// A's interface `addr` goes up or down: its links first, then A's
    /// [`Endpoint::handle_iface`].
    pub fn set_iface(&mut self, addr: u32, up: bool) {
        self.set_links_up(addr, up);
        self.a.handle_iface(self.now, addr, up);
    }

    /// Offers everything A has to send now, each segment on the path of its
    /// source address; whether it sent any.
    pub fn transmit_a(&mut self) -> bool {
        let mut sent = false;
        while let Some(t) = self.a.poll_transmit(self.now) {
            let seg = E::segment(&t).clone();
            let i = self
                .index(seg.src_addr)
                .unwrap_or_else(|| panic!("no path for A's segment {seg:?}"));
            self.paths[i].ab.offer(self.now, self.version, seg, t);
            sent = true;
        }
        sent
    }

    /// Offers everything B has to send now, each segment on the path of its
    /// destination address; whether it sent any.
    pub fn transmit_b(&mut self) -> bool {
        let Some(b) = self.b.as_mut() else {
            return false;
        };
        let mut sent = false;
        while let Some(t) = b.poll_transmit(self.now) {
            let seg = E::segment(&t).clone();
            let i = self
                .paths
                .iter()
                .position(|p| p.addr == seg.dst_addr)
                .unwrap_or_else(|| panic!("no path for B's segment {seg:?}"));
            self.paths[i].ba.offer(self.now, self.version, seg, t);
            sent = true;
        }
        sent
    }

    /// The next instant something happens: an arrival or a timer.
    pub fn next_time(&self) -> Option<SimTime> {
        self.paths
            .iter()
            .flat_map(|p| [p.ab.next_arrival(), p.ba.next_arrival()])
            .chain([self.a.poll_timeout(), self.b.as_ref().and_then(|b| b.poll_timeout())])
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
        for i in 0..self.paths.len() {
            while let Some(seg) = self.paths[i].ab.pop_arrived(t) {
                match self.b.as_mut() {
                    Some(b) if b.takes(&seg) => b.handle_segment(t, &seg),
                    Some(_) => self.discarded.push((t, seg)),
                    None => {
                        self.b = (self.accept)(t, &seg);
                        if self.b.is_none() {
                            self.discarded.push((t, seg));
                        }
                    }
                }
            }
        }
        for i in 0..self.paths.len() {
            while let Some(seg) = self.paths[i].ba.pop_arrived(t) {
                if self.a.takes(&seg) {
                    self.a.handle_segment(t, &seg);
                } else {
                    self.discarded.push((t, seg));
                }
            }
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
