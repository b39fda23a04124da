//! One direction of a path: rate, propagation delay, optional jitter, a
//! drop-tail buffer, a loss model, and an up/down state.
//!
//! A packet offered at `now` starts serialisation when the link is free
//! (`start = max(now, busy_until)`), leaves the sender after its exact
//! serialisation time and arrives one propagation delay (plus jitter) later:
//!
//! ```text
//! arrival = start + tx_time(size) + delay [+ jitter]
//! ```
//!
//! The buffer holds the packets *waiting* for the link, not the one being
//! serialised (as a Linux qdisc's limit, or ns-3's queue beside its device):
//! a packet is dropped (cause `Queue`) when accepting it would make the
//! waiting packets exceed the limit, in bytes or in packets.
//!
//! Loss is decided when the packet is offered, in offer order, from the
//! link's own random stream; a lost packet still occupies the buffer and the
//! link for its serialisation time (it is lost on the medium, after the
//! queue), but never arrives.
//!
//! Jitter adds a random extra delay per packet. Unless `allow_reorder` is
//! set, an arrival is never earlier than the previous one (packets stay in
//! order, as on a single radio bearer); with it, packets may overtake.
//!
//! A link that goes down loses everything it holds, queued or in flight, as
//! a radio that disappears (cause `Down`), and accepts nothing while down.
//!
//! The link keeps its in-flight packets itself, sorted by arrival (a plain
//! FIFO unless jitter lets packets overtake), and asks
//! for one wake-up at the head's arrival ([`Link::poll_wake`]), so the event
//! queue holds one entry per link, not one per packet.
//!
//! With a trace ([`LinkConfig::trace`]) the departure time comes from the
//! trace's delivery opportunities instead of the rate, as Mahimahi's
//! link shell does (see [`crate::trace`]); everything else is the same.
//!
//! # Two ways to serve the queue
//!
//! A plain drop-tail link (no [`LinkConfig::qdisc`]) plans each packet's
//! departure when it is offered, as above: the cheapest path, and the one
//! every run without a queue discipline takes.
//!
//! A link with a queue discipline ([`crate::qdisc`]: CoDel, FQ-CoDel, RED,
//! or a FIFO) cannot plan at offer time, since an AQM decides at dequeue.
//! It serves its queue lazily: whenever it is offered a packet or wakes,
//! it dequeues every packet whose serialisation would have started by
//! `now`, each at the exact instant the link became free, and asks for one
//! wake-up at the earlier of its next arrival and its next service start
//! (still one event-queue entry per link). A packet offered to an empty
//! discipline on an idle link goes straight to the wire (Linux
//! `TCQ_F_CAN_BYPASS`), except under RED, which must see every arrival.
//! Served this way, a FIFO behaves exactly as the precomputed path (the
//! same departures, losses and jitter draws; tested).
//!
//! In both, loss is decided when the packet is accepted (netem decides in
//! `netem_enqueue`); a lost packet still occupies the queue and the link.
//!
//! # Changes while running
//!
//! [`Link::set_rate`], [`Link::set_delay`], [`Link::set_loss`],
//! [`Link::set_buffer`] and [`Link::set_blackhole`] apply at `now`, as `tc
//! qdisc change` would:
//! - rate and delay are taken when a packet starts serialising on a lazy
//!   link: the packet on the wire finishes at the old rate, waiting ones
//!   are re-planned, and one that starts at the change instant takes the
//!   new values. On the precomputed path they apply to packets offered
//!   from `now` (the others keep their planned times), which is why a run
//!   whose timeline changes a link's rate or delay serves that link lazily
//!   (`experiments` does). netem computes a packet's time to send at
//!   enqueue, so there the waiting packets keep their old delay; a delay
//!   cut never reorders here unless jitter allows reordering (an arrival
//!   is never earlier than the previous one), while netem without a rate
//!   reorders.
//! - loss applies to packets accepted from `now`.
//! - a buffer (or discipline limit) applies on enqueue: shrinking it drops
//!   nothing already waiting (Linux `sch_fifo.c` checks only on enqueue).
//! - a blackhole keeps the link up and drops every packet offered from
//!   `now` (cause `Blackhole`), as `tc ... netem loss 100%` does; what it
//!   already holds is still delivered. Lifting it restores the link.
//!
//! Not modelled (a user could observe): ECN marking, link-layer
//! retransmission, per-packet overhead below IP (the size offered is what
//! is serialised; a trace counts Mahimahi's 4-byte TUN header).

use std::collections::VecDeque;

use rand::RngExt;
use rand_distr::{Distribution, Exp};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::loss::{LossModel, LossProcess};
use crate::qdisc::{Dropped, FlowTuple, Qdisc, QdiscConfig, QueuedPkt};
use crate::rng::SimRng;
use crate::time::{Bandwidth, ByteSize, SimDuration, SimTime};
use crate::trace::{DeliveryTrace, TraceCursor};

/// Drop-tail buffer limit on the packets waiting for the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BufferLimit {
    Bytes(ByteSize),
    Packets(u64),
}

/// Extra per-packet delay.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum JitterModel {
    /// Uniform in [0, max].
    Uniform { max: SimDuration },
    /// Exponential with the given mean (truncated at 10 means).
    Exponential { mean: SimDuration },
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jitter {
    pub model: JitterModel,
    /// Let packets overtake each other (default: keep them in order).
    #[serde(default)]
    pub allow_reorder: bool,
}

/// Everything that defines a link's behaviour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    pub rate: Bandwidth,
    pub delay: SimDuration,
    pub buffer: BufferLimit,
    pub loss: LossModel,
    pub jitter: Option<Jitter>,
    /// Capacity from a delivery-opportunity trace instead of `rate`
    /// (see [`crate::trace`]); `rate` is then only nominal.
    #[serde(skip)]
    pub trace: Option<Arc<DeliveryTrace>>,
    /// A queue discipline served lazily instead of the precomputed
    /// drop-tail path (see the module docs); `None`: drop-tail, planned
    /// at offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qdisc: Option<QdiscConfig>,
}

impl LinkConfig {
    /// A lossless link without jitter.
    pub fn new(rate: Bandwidth, delay: SimDuration, buffer: BufferLimit) -> Self {
        LinkConfig {
            rate,
            delay,
            buffer,
            loss: LossModel::None,
            jitter: None,
            trace: None,
            qdisc: None,
        }
    }
}

/// Why a packet did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropCause {
    /// The drop-tail buffer was full.
    Queue,
    /// The loss model dropped it.
    Loss,
    /// The link was down, or went down while holding it.
    Down,
    /// The queue discipline's AQM dropped it (CoDel, RED).
    Aqm,
    /// The link was blackholed: up, but dropping everything offered.
    Blackhole,
}

/// Packet and byte counters; every offered packet ends in exactly one of
/// delivered, dropped or still held by the link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCounters {
    pub offered_pkts: u64,
    pub offered_bytes: u64,
    pub delivered_pkts: u64,
    pub delivered_bytes: u64,
    pub dropped_queue_pkts: u64,
    pub dropped_loss_pkts: u64,
    pub dropped_down_pkts: u64,
    pub dropped_aqm_pkts: u64,
    pub dropped_blackhole_pkts: u64,
    pub dropped_bytes: u64,
}

impl LinkCounters {
    pub fn dropped_pkts(&self) -> u64 {
        self.dropped_queue_pkts
            + self.dropped_loss_pkts
            + self.dropped_down_pkts
            + self.dropped_aqm_pkts
            + self.dropped_blackhole_pkts
    }
    fn drop(&mut self, cause: DropCause, bytes: u32) {
        match cause {
            DropCause::Queue => self.dropped_queue_pkts += 1,
            DropCause::Loss => self.dropped_loss_pkts += 1,
            DropCause::Down => self.dropped_down_pkts += 1,
            DropCause::Aqm => self.dropped_aqm_pkts += 1,
            DropCause::Blackhole => self.dropped_blackhole_pkts += 1,
        }
        self.dropped_bytes += bytes as u64;
    }
}

#[derive(Debug)]
struct InFlight<P> {
    arrival: SimTime,
    size: u32,
    pkt: P,
}

/// A packet held by a lazy link's discipline: its payload, or `None`
/// once the loss model decided it is lost (it still takes its place in the
/// queue and its serialisation time), and its jitter, drawn when it was
/// accepted (as on the precomputed path, and as netem draws at enqueue).
#[derive(Debug)]
struct Held<P> {
    pkt: Option<P>,
    jitter: SimDuration,
}

/// The state of a link that serves a queue discipline lazily.
#[derive(Debug)]
struct Lazy<P> {
    qdisc: Box<dyn Qdisc>,
    /// Payloads by the id the discipline holds.
    slab: Vec<Option<Held<P>>>,
    free: Vec<u32>,
    /// Held payloads that will arrive unless dropped.
    live: usize,
    /// Scratch for the discipline's drops.
    dropped: Vec<Dropped>,
}

impl<P> Lazy<P> {
    fn insert(&mut self, pkt: Option<P>) -> u32 {
        if pkt.is_some() {
            self.live += 1;
        }
        let h = Some(Held {
            pkt,
            jitter: SimDuration::ZERO,
        });
        match self.free.pop() {
            Some(id) => {
                self.slab[id as usize] = h;
                id
            }
            None => {
                self.slab.push(h);
                (self.slab.len() - 1) as u32
            }
        }
    }

    fn take(&mut self, id: u32) -> Option<(P, SimDuration)> {
        let h = self.slab[id as usize].take().expect("a held packet");
        self.free.push(id);
        if h.pkt.is_some() {
            self.live -= 1;
        }
        h.pkt.map(|p| (p, h.jitter))
    }
}

/// One direction of a path, generic over the packet type it carries.
#[derive(Debug)]
pub struct Link<P> {
    cfg: LinkConfig,
    up: bool,
    blackhole: bool,
    /// Up and not blackholed: the one test on the offer path.
    accepting: bool,
    /// The queue discipline, if the link serves one lazily.
    lazy: Option<Lazy<P>>,
    /// When the packet currently being serialised (or the last) finishes.
    busy_until: SimTime,
    /// (serialisation start, size) of accepted packets, FIFO; those with
    /// start > now are waiting in the buffer.
    waiting: VecDeque<(SimTime, u32)>,
    waiting_bytes: u64,
    /// Packets that will arrive, sorted by arrival, then offer order.
    in_flight: VecDeque<InFlight<P>>,
    last_arrival: SimTime,
    loss: LossProcess,
    jitter_rng: SimRng,
    counters: LinkCounters,
    armed: Option<SimTime>,
    /// Where a trace-driven link is in its trace.
    cursor: TraceCursor,
}

impl<P> Link<P> {
    /// `loss_rng` and `jitter_rng` should be the link's own streams
    /// (see [`crate::rng::RngStreams`]).
    pub fn new(cfg: LinkConfig, loss_rng: SimRng, jitter_rng: SimRng) -> Self {
        Self::with_aqm_rng(cfg, loss_rng, jitter_rng, None)
    }

    /// As [`Link::new`], with the stream a queue discipline draws from
    /// (RED's drops, FQ-CoDel's hash perturbation); needed only when
    /// `cfg.qdisc` is set.
    pub fn with_aqm_rng(cfg: LinkConfig, loss_rng: SimRng, jitter_rng: SimRng, aqm_rng: Option<SimRng>) -> Self {
        let loss = LossProcess::new(cfg.loss.clone(), loss_rng);
        let lazy = cfg.qdisc.as_ref().map(|q| Lazy {
            qdisc: q.build(
                cfg.buffer,
                cfg.rate,
                aqm_rng.unwrap_or_else(|| crate::rng::RngStreams::new(0).stream("aqm")),
            ),
            slab: Vec::new(),
            free: Vec::new(),
            live: 0,
            dropped: Vec::new(),
        });
        Link {
            cfg,
            up: true,
            blackhole: false,
            accepting: true,
            lazy,
            busy_until: SimTime::ZERO,
            waiting: VecDeque::new(),
            waiting_bytes: 0,
            in_flight: VecDeque::new(),
            last_arrival: SimTime::ZERO,
            loss,
            jitter_rng,
            counters: LinkCounters::default(),
            armed: None,
            cursor: TraceCursor::default(),
        }
    }

    pub fn config(&self) -> &LinkConfig {
        &self.cfg
    }
    pub fn is_up(&self) -> bool {
        self.up
    }
    pub fn counters(&self) -> &LinkCounters {
        &self.counters
    }
    /// Replaces the loss model from the next packet offered on (see
    /// [`LossProcess::set_model`]: a drop list keeps counting the packets
    /// offered since the link was made).
    pub fn set_loss(&mut self, model: LossModel) {
        self.cfg.loss = model.clone();
        self.loss.set_model(model);
    }

    /// Whether the link serves a queue discipline lazily (and so wants
    /// each packet's flow, see [`Link::offer_flow`]).
    pub fn is_lazy(&self) -> bool {
        self.lazy.is_some()
    }
    /// Whether the link is blackholed.
    pub fn is_blackholed(&self) -> bool {
        self.blackhole
    }

    /// Packets held (queued or propagating) that will arrive unless a
    /// discipline drops them.
    pub fn in_flight_pkts(&self) -> usize {
        self.in_flight.len() + self.lazy.as_ref().map_or(0, |l| l.live)
    }

    /// Sets the rate at `now` (see the module docs: a lazy link applies it
    /// to every packet not yet on the wire; the precomputed path to
    /// packets offered from `now`). No effect on a trace-driven link's
    /// departures.
    pub fn set_rate(&mut self, now: SimTime, rate: Bandwidth) {
        self.serve_before(now);
        self.cfg.rate = rate;
    }

    /// Sets the propagation delay at `now`, for packets that start
    /// serialising from `now` on (lazy) or are offered from `now` on
    /// (precomputed); see the module docs.
    pub fn set_delay(&mut self, now: SimTime, delay: SimDuration) {
        self.serve_before(now);
        self.cfg.delay = delay;
    }

    /// Sets the buffer (or the discipline's limit) at `now`; it applies on
    /// enqueue, so nothing waiting is dropped.
    pub fn set_buffer(&mut self, now: SimTime, buffer: BufferLimit) {
        self.serve_before(now);
        self.cfg.buffer = buffer;
        if let Some(l) = &mut self.lazy {
            l.qdisc.set_limit(buffer);
        }
    }

    /// Blackholes the link (up, dropping everything offered, cause
    /// `Blackhole`) or lifts it.
    pub fn set_blackhole(&mut self, blackhole: bool) {
        self.blackhole = blackhole;
        self.accepting = self.up && !self.blackhole;
    }

    fn prune_waiting(&mut self, now: SimTime) {
        while let Some(&(start, size)) = self.waiting.front() {
            if start > now {
                break;
            }
            self.waiting.pop_front();
            self.waiting_bytes -= size as u64;
        }
    }

    /// Bytes waiting in the buffer at `now` (not counting the one on the wire).
    pub fn queued_bytes(&mut self, now: SimTime) -> u64 {
        if self.lazy.is_some() {
            self.serve(now);
            return self.lazy.as_ref().map_or(0, |l| l.qdisc.backlog_bytes());
        }
        self.prune_waiting(now);
        self.waiting_bytes
    }

    fn jitter(&mut self) -> SimDuration {
        let Some(j) = self.cfg.jitter else {
            return SimDuration::ZERO;
        };
        let ns = match j.model {
            JitterModel::Uniform { max } => self.jitter_rng.random_range(0..=max.as_nanos()),
            JitterModel::Exponential { mean } => {
                if mean.is_zero() {
                    0
                } else {
                    let m = mean.as_nanos() as f64;
                    let x: f64 = Exp::new(1.0 / m).expect("positive rate").sample(&mut self.jitter_rng);
                    x.min(10.0 * m) as u64
                }
            }
        };
        SimDuration::from_nanos(ns)
    }

    /// Offers a packet of `size_bytes` at `now`. Returns its arrival time
    /// if it is known now (the precomputed path), `None` if a queue
    /// discipline will decide, or why it will not arrive. The caller should
    /// then [`Link::poll_wake`].
    #[inline(always)]
    pub fn offer(&mut self, now: SimTime, size_bytes: u32, pkt: P) -> Result<Option<SimTime>, DropCause> {
        self.offer_flow(now, size_bytes, FlowTuple::default(), pkt)
    }

    /// [`Link::offer`] with the packet's 5-tuple, which FQ-CoDel hashes
    /// (the other paths ignore it).
    #[inline(always)]
    pub fn offer_flow(
        &mut self,
        now: SimTime,
        size_bytes: u32,
        flow: FlowTuple,
        pkt: P,
    ) -> Result<Option<SimTime>, DropCause> {
        self.counters.offered_pkts += 1;
        self.counters.offered_bytes += size_bytes as u64;
        if !self.accepting {
            let cause = if self.up { DropCause::Blackhole } else { DropCause::Down };
            self.counters.drop(cause, size_bytes);
            return Err(cause);
        }
        if self.lazy.is_some() {
            return self.offer_lazy(now, size_bytes, flow, pkt).map(|()| None);
        }
        self.prune_waiting(now);
        let start = now.max(self.busy_until);
        if start > now {
            // It would wait: check the drop-tail limit on waiting packets.
            let full = match self.cfg.buffer {
                BufferLimit::Bytes(b) => self.waiting_bytes + size_bytes as u64 > b.bytes(),
                BufferLimit::Packets(n) => self.waiting.len() as u64 >= n,
            };
            if full {
                self.counters.drop(DropCause::Queue, size_bytes);
                return Err(DropCause::Queue);
            }
            self.waiting.push_back((start, size_bytes));
            self.waiting_bytes += size_bytes as u64;
        }
        let depart = match &self.cfg.trace {
            Some(t) => self.cursor.depart(t, now, self.busy_until, size_bytes),
            None => start + self.cfg.rate.tx_time(size_bytes as u64),
        };
        self.busy_until = depart;
        // Loss after the queue: the packet used the link but never arrives.
        if self.loss.next_is_lost() {
            self.counters.drop(DropCause::Loss, size_bytes);
            return Err(DropCause::Loss);
        }
        let jitter = self.jitter();
        Ok(Some(self.propagate(depart, size_bytes, pkt, jitter)))
    }

    /// Puts a packet that left the sender at `depart` in flight; returns
    /// its arrival.
    #[inline(always)]
    fn propagate(&mut self, depart: SimTime, size_bytes: u32, pkt: P, jitter: SimDuration) -> SimTime {
        let mut arrival = depart + self.cfg.delay + jitter;
        let reorder = self.cfg.jitter.is_some_and(|j| j.allow_reorder);
        if !reorder {
            arrival = arrival.max(self.last_arrival);
        }
        self.last_arrival = self.last_arrival.max(arrival);
        let item = InFlight {
            arrival,
            size: size_bytes,
            pkt,
        };
        if reorder {
            self.insert_sorted(item);
        } else {
            // Without reordering an arrival is never earlier than the one
            // before (it was raised to `last_arrival` above), and every packet
            // held was offered before it, so the sorted place is the back: a FIFO.
            debug_assert_eq!(self.sorted_position(arrival), self.in_flight.len());
            self.in_flight.push_back(item);
        }
        arrival
    }

    /// Where a packet arriving at `arrival` goes in the in-flight queue
    /// sorted by arrival: after every packet that is not later, so that
    /// packets arriving at the same instant keep their offer order (every
    /// packet held was offered before it).
    fn sorted_position(&self, arrival: SimTime) -> usize {
        self.in_flight
            .iter()
            .rposition(|f| f.arrival <= arrival)
            .map_or(0, |i| i + 1)
    }

    /// Sorted insert, for links whose jitter lets packets overtake.
    #[inline(never)]
    fn insert_sorted(&mut self, item: InFlight<P>) {
        let pos = self.sorted_position(item.arrival);
        self.in_flight.insert(pos, item);
    }

    /// The lazy path's offer: catch up to `now`, then hand the packet to
    /// the discipline (or straight to the wire on an idle link).
    #[inline(never)]
    fn offer_lazy(&mut self, now: SimTime, size_bytes: u32, flow: FlowTuple, pkt: P) -> Result<(), DropCause> {
        self.serve(now);
        let lz = self.lazy.as_mut().expect("lazy");
        if self.busy_until <= now && lz.qdisc.len_pkts() == 0 {
            // Idle since busy_until: the next service starts now.
            self.busy_until = now;
            if lz.qdisc.can_bypass() {
                // Linux TCQ_F_CAN_BYPASS: straight to the wire.
                let lost = self.loss.next_is_lost();
                let payload = if lost {
                    self.counters.drop(DropCause::Loss, size_bytes);
                    None
                } else {
                    Some((pkt, self.jitter()))
                };
                self.start_serialising(now, now, size_bytes, payload);
                return if lost { Err(DropCause::Loss) } else { Ok(()) };
            }
        }
        let id = lz.insert(Some(pkt));
        let q = QueuedPkt {
            id,
            size_bytes,
            flow,
            enqueued_at: now,
        };
        lz.qdisc.enqueue(now, q, &mut lz.dropped);
        let refused = lz.dropped.iter().find(|(d, _)| d.id == id).map(|&(_, c)| c);
        self.settle_drops();
        if let Some(cause) = refused {
            return Err(cause);
        }
        // Accepted: the loss model decides now, as on the precomputed
        // path (netem decides at enqueue); a lost packet keeps its place.
        let lost = self.loss.next_is_lost();
        if lost {
            self.counters.drop(DropCause::Loss, size_bytes);
            let lz = self.lazy.as_mut().expect("lazy");
            lz.slab[id as usize].as_mut().expect("held").pkt = None;
            lz.live -= 1;
        } else {
            let jitter = self.jitter();
            let lz = self.lazy.as_mut().expect("lazy");
            lz.slab[id as usize].as_mut().expect("held").jitter = jitter;
        }
        self.serve(now);
        if lost { Err(DropCause::Loss) } else { Ok(()) }
    }

    /// Counts and frees what the discipline dropped; packets already lost
    /// are not counted twice.
    fn settle_drops(&mut self) {
        let Some(lz) = self.lazy.as_mut() else { return };
        let mut dropped = std::mem::take(&mut lz.dropped);
        for (q, cause) in dropped.drain(..) {
            if lz.take(q.id).is_some() {
                self.counters.drop(cause, q.size_bytes);
            }
        }
        lz.dropped = dropped;
    }

    /// A packet starts serialising at `start` (the link is free then):
    /// its departure from the rate or the trace, then propagation.
    /// `offered` is when it was offered (a trace shares an opportunity
    /// with the packet ahead only if it was queued behind it).
    fn start_serialising(&mut self, start: SimTime, offered: SimTime, size_bytes: u32, pkt: Option<(P, SimDuration)>) {
        let depart = match &self.cfg.trace {
            Some(t) => self.cursor.depart(t, offered.min(start), self.busy_until, size_bytes),
            None => start + self.cfg.rate.tx_time(size_bytes as u64),
        };
        self.busy_until = depart;
        if let Some((p, jitter)) = pkt {
            self.propagate(depart, size_bytes, p, jitter);
        }
    }

    /// Serves a lazy link's queue up to `now`: every packet whose
    /// serialisation starts by `now` is dequeued at the instant the link
    /// became free.
    #[inline]
    fn serve(&mut self, now: SimTime) {
        if self.lazy.is_some() {
            self.serve_lazy(now);
        }
    }

    /// Serves what started serialising strictly before `t`: a change at
    /// `t` then applies to a packet whose serialisation starts at `t`, as to
    /// one offered at `t`.
    fn serve_before(&mut self, t: SimTime) {
        if let Some(before) = t.as_nanos().checked_sub(1) {
            self.serve(SimTime::from_nanos(before));
        }
    }

    #[inline(never)]
    fn serve_lazy(&mut self, now: SimTime) {
        loop {
            let Some(lz) = self.lazy.as_mut() else { return };
            if self.busy_until > now || lz.qdisc.len_pkts() == 0 {
                break;
            }
            let t = self.busy_until;
            let Some(q) = lz.qdisc.dequeue(t, &mut lz.dropped) else {
                break;
            };
            let pkt = lz.take(q.id);
            self.start_serialising(t, q.enqueued_at, q.size_bytes, pkt);
            self.settle_drops();
        }
        self.settle_drops();
    }

    /// The next instant a lazy link must act: its next service start if it
    /// holds packets.
    #[inline]
    fn next_service(&self) -> Option<SimTime> {
        let lz = self.lazy.as_ref()?;
        (lz.qdisc.len_pkts() > 0).then_some(self.busy_until)
    }

    /// The arrival time of the next packet, if any.
    pub fn next_arrival(&self) -> Option<SimTime> {
        self.in_flight.front().map(|f| f.arrival)
    }

    /// Removes and returns the next packet if it has arrived by `now`.
    pub fn pop_arrived(&mut self, now: SimTime) -> Option<P> {
        if self.in_flight.front()?.arrival > now {
            return None;
        }
        let f = self.in_flight.pop_front()?;
        self.counters.delivered_pkts += 1;
        self.counters.delivered_bytes += f.size as u64;
        Some(f.pkt)
    }

    /// A wake-up the owner must schedule, if the head's arrival is earlier
    /// than the wake-up already asked for (or none is). At most one wake-up
    /// per distinct head time is asked for.
    pub fn poll_wake(&mut self) -> Option<SimTime> {
        let head = match self.next_service() {
            None => self.next_arrival()?,
            Some(s) => self.next_arrival().map_or(s, |a| a.min(s)),
        };
        match self.armed {
            Some(t) if t <= head => None,
            _ => {
                self.armed = Some(head);
                Some(head)
            }
        }
    }

    /// A scheduled wake-up fired at `now`. Stale ones are harmless.
    pub fn on_wake(&mut self, now: SimTime) {
        if self.armed.is_some_and(|t| t <= now) {
            self.armed = None;
        }
        self.serve(now);
    }

    /// Brings the link up or down at `now`. Going down drops everything it
    /// holds (cause `Down`); each dropped packet is passed to `dropped`.
    pub fn set_up(&mut self, now: SimTime, up: bool, mut dropped: impl FnMut(P)) {
        if self.up == up {
            return;
        }
        self.up = up;
        self.accepting = self.up && !self.blackhole;
        if !up {
            self.serve(now);
            for f in self.in_flight.drain(..) {
                self.counters.drop(DropCause::Down, f.size);
                dropped(f.pkt);
            }
            if let Some(lz) = self.lazy.as_mut() {
                let mut held = std::mem::take(&mut lz.dropped);
                lz.qdisc.purge(&mut held);
                for (q, cause) in held.drain(..) {
                    if let Some((p, _)) = lz.take(q.id) {
                        self.counters.drop(cause, q.size_bytes);
                        dropped(p);
                    }
                }
                lz.dropped = held;
            }
            self.waiting.clear();
            self.waiting_bytes = 0;
            self.busy_until = now;
            self.last_arrival = now;
            self.armed = None;
            self.cursor.reset();
        }
    }
}

#[cfg(test)]
mod lazy_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;

    fn link(cfg: LinkConfig) -> Link<u32> {
        let s = RngStreams::new(1);
        Link::new(cfg, s.stream("loss"), s.stream("jitter"))
    }

    fn cfg_20mbps_10ms(buffer: BufferLimit) -> LinkConfig {
        LinkConfig::new(Bandwidth::from_mbps(20).unwrap(), SimDuration::from_millis(10), buffer)
    }

    #[test]
    fn arrival_is_now_plus_queueing_plus_serialisation_plus_propagation() {
        // 1500 B at 20 Mb/s = 600 us; propagation 10 ms.
        let mut l = link(cfg_20mbps_10ms(BufferLimit::Packets(10)));
        let t0 = SimTime::from_millis(100);
        assert_eq!(l.offer(t0, 1500, 1), Ok(Some(t0 + SimDuration::from_micros(10_600))));
        // Offered at the same instant: waits 600 us for the first.
        assert_eq!(l.offer(t0, 1500, 2), Ok(Some(t0 + SimDuration::from_micros(11_200))));
        // Offered 100 us later: still queued behind both (1200 us), 1100 us of queueing.
        let t1 = t0 + SimDuration::from_micros(100);
        assert_eq!(
            l.offer(t1, 500, 3),
            Ok(Some(t1 + SimDuration::from_micros(1_100 + 200 + 10_000)))
        );
        // Offered after the link drained: no queueing.
        let t2 = t0 + SimDuration::from_millis(5);
        assert_eq!(l.offer(t2, 1500, 4), Ok(Some(t2 + SimDuration::from_micros(10_600))));
    }

    #[test]
    fn packets_are_delivered_in_order_at_their_arrival_times() {
        let mut l = link(cfg_20mbps_10ms(BufferLimit::Packets(10)));
        for i in 0..3 {
            l.offer(SimTime::ZERO, 1500, i).unwrap();
        }
        assert_eq!(l.poll_wake(), Some(SimTime::from_micros(10_600)));
        assert_eq!(l.poll_wake(), None, "one wake-up per head");
        assert_eq!(l.pop_arrived(SimTime::from_micros(10_599)), None);
        assert_eq!(l.pop_arrived(SimTime::from_micros(10_600)), Some(0));
        assert_eq!(l.pop_arrived(SimTime::from_micros(10_600)), None);
        l.on_wake(SimTime::from_micros(10_600));
        assert_eq!(l.poll_wake(), Some(SimTime::from_micros(11_200)));
        assert_eq!(l.pop_arrived(SimTime::from_secs(1)), Some(1));
        assert_eq!(l.pop_arrived(SimTime::from_secs(1)), Some(2));
        assert_eq!(l.counters().delivered_pkts, 3);
        assert_eq!(l.counters().delivered_bytes, 4500);
    }

    #[test]
    fn a_full_packet_buffer_drops_the_next_packet() {
        // Buffer of 2 waiting packets: the first goes on the wire at once,
        // two wait, the fourth is dropped.
        let mut l = link(cfg_20mbps_10ms(BufferLimit::Packets(2)));
        let t = SimTime::ZERO;
        assert!(l.offer(t, 1500, 1).is_ok());
        assert!(l.offer(t, 1500, 2).is_ok());
        assert!(l.offer(t, 1500, 3).is_ok());
        assert_eq!(l.offer(t, 1500, 4), Err(DropCause::Queue));
        // Once the first finished (600 us), one slot is free again.
        assert!(l.offer(SimTime::from_micros(600), 1500, 5).is_ok());
        assert_eq!(l.offer(SimTime::from_micros(600), 1500, 6), Err(DropCause::Queue));
        assert_eq!(l.counters().dropped_queue_pkts, 2);
    }

    #[test]
    fn a_full_byte_buffer_drops_the_packet_that_would_overflow_it() {
        let mut l = link(cfg_20mbps_10ms(BufferLimit::Bytes(ByteSize::from_bytes(3000))));
        let t = SimTime::ZERO;
        assert!(l.offer(t, 1500, 1).is_ok()); // on the wire
        assert!(l.offer(t, 1500, 2).is_ok()); // 1500 waiting
        assert!(l.offer(t, 1000, 3).is_ok()); // 2500 waiting
        assert_eq!(l.offer(t, 1000, 4), Err(DropCause::Queue)); // would be 3500
        assert!(l.offer(t, 500, 5).is_ok()); // exactly 3000
        assert_eq!(l.queued_bytes(t), 3000);
    }

    #[test]
    fn a_link_that_goes_down_loses_what_it_carried_and_accepts_nothing() {
        let mut l = link(cfg_20mbps_10ms(BufferLimit::Packets(10)));
        for i in 0..4 {
            l.offer(SimTime::ZERO, 1500, i).unwrap();
        }
        // At 5 ms: two packets propagating, none arrived, none waiting... all 4 held.
        let mut lost = Vec::new();
        l.set_up(SimTime::from_millis(5), false, |p| lost.push(p));
        assert_eq!(lost, [0, 1, 2, 3]);
        assert_eq!(l.next_arrival(), None);
        assert_eq!(l.offer(SimTime::from_millis(6), 1500, 9), Err(DropCause::Down));
        assert_eq!(l.counters().dropped_down_pkts, 5);
        // Back up: delivers again, with no queue left from before.
        l.set_up(SimTime::from_millis(7), true, |_| {});
        assert_eq!(
            l.offer(SimTime::from_millis(7), 1500, 10),
            Ok(Some(SimTime::from_micros(17_600)))
        );
        let c = l.counters();
        assert_eq!(
            c.offered_pkts,
            c.delivered_pkts + c.dropped_pkts() + l.in_flight_pkts() as u64
        );
    }

    #[test]
    fn lost_packets_occupy_the_link_but_never_arrive() {
        let mut cfg = cfg_20mbps_10ms(BufferLimit::Packets(10));
        cfg.loss = LossModel::DropList {
            indices: [0].into_iter().collect(),
        };
        let mut l = link(cfg);
        assert_eq!(l.offer(SimTime::ZERO, 1500, 1), Err(DropCause::Loss));
        // The second waits for the first's serialisation.
        assert_eq!(l.offer(SimTime::ZERO, 1500, 2), Ok(Some(SimTime::from_micros(11_200))));
        assert_eq!(l.counters().dropped_loss_pkts, 1);
    }

    #[test]
    fn a_new_drop_list_counts_the_packets_offered_before_it() {
        let mut l = link(cfg_20mbps_10ms(BufferLimit::Packets(10)));
        assert!(l.offer(SimTime::ZERO, 1500, 0).is_ok());
        l.set_loss(LossModel::DropList {
            indices: [0, 2].into_iter().collect(),
        });
        assert!(matches!(l.config().loss, LossModel::DropList { .. }));
        assert!(l.offer(SimTime::ZERO, 1500, 1).is_ok());
        assert_eq!(l.offer(SimTime::ZERO, 1500, 2), Err(DropCause::Loss));
        assert_eq!(l.counters().dropped_loss_pkts, 1);
    }

    #[test]
    fn jitter_never_reorders_unless_asked() {
        let mut cfg = cfg_20mbps_10ms(BufferLimit::Packets(1000));
        cfg.jitter = Some(Jitter {
            model: JitterModel::Uniform {
                max: SimDuration::from_millis(20),
            },
            allow_reorder: false,
        });
        let mut l = link(cfg.clone());
        let mut last = SimTime::ZERO;
        for i in 0..500 {
            let a = l.offer(SimTime::from_micros(700 * i), 1500, i as u32).unwrap().unwrap();
            assert!(a >= last);
            last = a;
        }
        let order: Vec<u32> = std::iter::from_fn(|| l.pop_arrived(SimTime::MAX)).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]));

        cfg.jitter = Some(Jitter {
            model: JitterModel::Uniform {
                max: SimDuration::from_millis(20),
            },
            allow_reorder: true,
        });
        let mut l = link(cfg);
        for i in 0..500 {
            l.offer(SimTime::from_micros(700 * i), 1500, i as u32).unwrap();
        }
        let mut arrivals = Vec::new();
        let mut order = Vec::new();
        while let Some(t) = l.next_arrival() {
            arrivals.push(t);
            order.push(l.pop_arrived(t).unwrap());
        }
        assert!(arrivals.windows(2).all(|w| w[0] <= w[1]), "delivered in arrival order");
        assert!(order.windows(2).any(|w| w[0] > w[1]), "some packets overtook others");
    }

    #[test]
    fn a_trace_driven_link_delivers_exactly_the_traces_opportunities() {
        // A saturating sender (1500-byte packets offered faster than the
        // trace serves them, a large buffer): each packet arrives one
        // propagation delay after its opportunity, one per opportunity,
        // over three loops of the trace.
        let text = "2\n2\n5\n9\n9\n9\n12\n";
        let t = Arc::new(DeliveryTrace::parse(text).unwrap());
        let mut cfg = cfg_20mbps_10ms(BufferLimit::Packets(1000));
        cfg.trace = Some(t.clone());
        let mut l = link(cfg);
        let n = 3 * t.ms().len() as u64;
        for i in 0..n {
            // One packet every 100 us, faster than the trace's ~7 per 12 ms.
            l.offer(SimTime::from_micros(100 * i), 1500, i as u32).unwrap();
        }
        let mut got = Vec::new();
        while let Some(at) = l.next_arrival() {
            got.push(at);
            l.pop_arrived(at);
        }
        let want: Vec<SimTime> = (0..n).map(|k| t.at(k) + SimDuration::from_millis(10)).collect();
        assert_eq!(got, want);
        assert_eq!(l.counters().delivered_pkts, n);
    }
}
