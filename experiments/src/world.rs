//! The World: the one place where the event loop meets the models.
//!
//! A run has hosts, routers and links ([`Topology`]). Each host runs one
//! sans-IO [`Stack`] (its connections and their applications); the world
//! routes what a stack emits onto the first link of its route, forwards
//! what arrives at a router onto the next, delivers what arrives at a host,
//! and fires the stacks' timers.
//!
//! Work is by table, so that its cost per event does not grow with the
//! number of connections: a stack finds a segment's connection by lookup
//! and reports which of its units (connections) an input touched; the world
//! polls only those; and each unit's next deadline is one entry in the event
//! queue ([`Event::Timer`]). Timers are lazily cancelled: the world remembers
//! the earliest wake-up it scheduled per unit; a wake-up that finds the
//! deadline moved later does nothing but re-arm.

use models::mptcp::ConnEvent;
use models::segment::Segment;
use sim_core::{Ctx, IfaceId, LinkId, NetEvent, NetOutput, Network, SimTime, World};

use crate::topology::{NodeKind, Topology};

/// Which end of its connection a stack's unit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The end that opened the connection.
    Client = 0,
    /// The end that accepted it.
    Server = 1,
}

/// A host's protocol stack, as the world drives it: units (connections)
/// numbered by the stack, each with its own deadline.
pub trait Stack {
    /// A segment arrived for one of the host's addresses.
    fn handle_segment(&mut self, now: SimTime, seg: &Segment);
    /// Unit `unit`'s deadline may have passed.
    fn handle_timeout(&mut self, now: SimTime, unit: usize);
    /// The host's address `addr` went down or up.
    fn handle_iface(&mut self, now: SimTime, addr: u32, up: bool);
    /// The endpoint of the host's address `addr` changed (a connection
    /// manager's `ip mptcp endpoint` command). Default: nothing.
    fn handle_endpoint(&mut self, now: SimTime, addr: u32, change: models::path_manager::EndpointChange) {
        let _ = (now, addr, change);
    }
    /// Apple's Symptoms framework says Wi-Fi is OK (`true`) or bad
    /// (XNU's host-wide `mptcp_advisory`). Default: nothing.
    fn handle_wifi_advisory(&mut self, now: SimTime, wifi_ok: bool) {
        let _ = (now, wifi_ok);
    }
    /// The next unit an input touched (each once, lowest first), to be
    /// drained with `run_app`, `poll_transmit` and `poll_timeout`.
    fn next_touched(&mut self) -> Option<usize>;
    /// Application work of `unit` after inputs (write more, read what arrived).
    fn run_app(&mut self, now: SimTime, unit: usize);
    /// A segment `unit` emits, with the end of its connection it is.
    fn poll_transmit(&mut self, now: SimTime, unit: usize) -> Option<(Side, Segment)>;
    /// As `poll_transmit`, the segment built in `out` (whatever it held is
    /// replaced; on `None` it is left as it was). The world polls this way;
    /// the default goes through `poll_transmit`.
    fn poll_transmit_into(&mut self, now: SimTime, unit: usize, out: &mut Segment) -> Option<Side> {
        let (side, seg) = self.poll_transmit(now, unit)?;
        *out = seg;
        Some(side)
    }
    /// `unit`'s next deadline.
    fn poll_timeout(&self, unit: usize) -> Option<SimTime>;
    /// The on-the-wire IPv4 packet length of `seg`.
    fn wire_len(&self, seg: &Segment) -> u32;
    /// What the stack's connections reported, with the connection's index
    /// (the scenario's) and end, oldest first. Default: nothing.
    fn poll_event(&mut self) -> Option<(usize, Side, ConnEvent)> {
        None
    }
    /// Asks the stack's connections for samples of their state, reported
    /// as events (for time series). Default: nothing.
    fn sample(&mut self, now: SimTime) {
        let _ = now;
    }
    /// The stack found the run wrong (its delivery oracle failed): the
    /// world stops. Default: never.
    fn halted(&self) -> bool {
        false
    }
}

/// What the world's event queue holds.
#[derive(Debug)]
pub enum Event {
    /// A link or interface event.
    Net(NetEvent),
    /// Unit `unit` of host `host` may have reached its deadline.
    Timer {
        /// Index into the world's hosts.
        host: u32,
        /// The stack's unit.
        unit: u32,
    },
    /// Periodic sampling for time series.
    Sample,
    /// Host `host`'s Wi-Fi advisory becomes `wifi_ok`.
    WifiAdvisory {
        /// Index into the world's hosts.
        host: u32,
        /// `SYMPTOMS_ADVISORY_WIFI_OK` (true) or `_BAD`.
        wifi_ok: bool,
    },
    /// The endpoint of address `addr` of host `host` changes.
    Endpoint {
        /// Index into the world's hosts.
        host: u32,
        /// The address.
        addr: u32,
        /// The change.
        change: models::path_manager::EndpointChange,
    },
}

impl From<NetEvent> for Event {
    fn from(e: NetEvent) -> Self {
        Event::Net(e)
    }
}

/// Something the world saw, for traces and metrics.
pub trait Observer<H> {
    /// `seg` leaves host `host` (the `side` end of its connection) onto
    /// `link`. Called just before the link is offered the segment, so the
    /// link can take it by value (no copy); whether the link then drops it
    /// is the link's counters' business, as a capture on the sending
    /// interface sees the packet either way.
    fn on_send(&mut self, _now: SimTime, _host: usize, _side: Side, _seg: &Segment, _link: LinkId) {}
    /// `seg` arrived at host `host`.
    fn on_deliver(&mut self, _now: SimTime, _host: usize, _seg: &Segment) {}
    /// `seg` came out of the far end of `link` (to a host or a router).
    fn on_link_arrival(&mut self, _now: SimTime, _link: LinkId, _seg: &Segment) {}
    /// Connection `conn`'s `side` end, at host `host`, reported `event`.
    fn on_conn_event(&mut self, _now: SimTime, _host: usize, _side: Side, _conn: usize, _event: &ConnEvent) {}
    /// A periodic sample; returns the next sampling time, if any.
    fn on_sample(&mut self, _now: SimTime, _hosts: &[H]) -> Option<SimTime> {
        None
    }
}

/// Observes nothing.
pub struct NoObserver;
impl<H> Observer<H> for NoObserver {}

/// Packets the world could not place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorldCounters {
    /// Segments a host or router had no route for.
    pub unroutable_pkts: u64,
}

/// Hosts and routers over a network, driven by events.
pub struct NetWorld<H: Stack, O: Observer<H>> {
    /// The links.
    pub net: Network<Segment>,
    /// The graph and its routes.
    pub topo: Topology,
    /// The hosts, by index (a topology port's `host`).
    pub hosts: Vec<H>,
    /// Who watches.
    pub observer: O,
    /// Packets the world could not place.
    pub counters: WorldCounters,
    /// The earliest wake-up scheduled, per host and unit.
    armed: Vec<Vec<Option<SimTime>>>,
    /// Hosts an event touched, in order, and segments to forward.
    touched: Vec<usize>,
    forward: Vec<(LinkId, Segment)>,
    /// A stack halted the run (see [`Stack::halted`]).
    halted: bool,
}

impl<H: Stack, O: Observer<H>> NetWorld<H, O> {
    /// A world of `hosts` over `net`, routed by `topo`.
    pub fn new(net: Network<Segment>, topo: Topology, hosts: Vec<H>, observer: O) -> Self {
        let armed = hosts.iter().map(|_| Vec::new()).collect();
        NetWorld {
            net,
            topo,
            hosts,
            observer,
            counters: WorldCounters::default(),
            armed,
            touched: Vec::new(),
            forward: Vec::new(),
            halted: false,
        }
    }

    /// Drains the units of host `h` that inputs touched: their applications,
    /// what they report and emit, and their timers.
    pub fn flush(&mut self, ctx: &mut Ctx<'_, Event>, h: usize) {
        let now = ctx.now();
        while let Some(unit) = self.hosts[h].next_touched() {
            self.hosts[h].run_app(now, unit);
            if self.hosts[h].halted() {
                self.halted = true;
            }
            while let Some((conn, side, ev)) = self.hosts[h].poll_event() {
                self.observer.on_conn_event(now, h, side, conn, &ev);
            }
            // The hosts build each segment here, in place (issue 18); it is
            // moved once, into the link.
            let mut seg = Segment::default();
            while let Some(side) = self.hosts[h].poll_transmit_into(now, unit, &mut seg) {
                while let Some((conn, side, ev)) = self.hosts[h].poll_event() {
                    self.observer.on_conn_event(now, h, side, conn, &ev);
                }
                let len = self.hosts[h].wire_len(&seg);
                match self.topo.first_link(&seg) {
                    Some(link) => {
                        self.observer.on_send(now, h, side, &seg, link);
                        let _ = self.net.send(ctx, link, len, std::mem::take(&mut seg));
                    }
                    None => self.counters.unroutable_pkts += 1,
                }
            }
            let deadline = self.hosts[h].poll_timeout(unit);
            let armed = &mut self.armed[h];
            if armed.len() <= unit {
                Self::grow_armed(armed, unit);
            }
            let slot = &mut armed[unit];
            if let Some(d) = deadline {
                let d = d.max(now);
                if slot.is_none_or(|a| d < a) {
                    *slot = Some(d);
                    ctx.schedule_timer_at(
                        d,
                        Event::Timer {
                            host: h as u32,
                            unit: unit as u32,
                        },
                    )
                    .expect("deadline is not in the past");
                }
            }
        }
    }

    /// Room for `unit`'s deadline (once per unit: out of line and cold, so
    /// that `flush`, on every packet's path, stays on fewer
    /// instruction-cache lines).
    #[cold]
    #[inline(never)]
    fn grow_armed(armed: &mut Vec<Option<SimTime>>, unit: usize) {
        armed.resize(unit + 1, None);
    }

    /// The periodic sample: the connections report their state as events,
    /// host by host. Cold and out of line (one per sample interval), as is
    /// an interface change: they stay off the packet path's
    /// instruction-cache lines in `handle`.
    #[cold]
    #[inline(never)]
    fn on_sample_event(&mut self, ctx: &mut Ctx<'_, Event>) {
        let now = ctx.now();
        for h in 0..self.hosts.len() {
            self.hosts[h].sample(now);
            while let Some((conn, side, ev)) = self.hosts[h].poll_event() {
                self.observer.on_conn_event(now, h, side, conn, &ev);
            }
        }
        if let Some(next) = self.observer.on_sample(now, &self.hosts) {
            ctx.schedule_at(next.max(now), Event::Sample).expect("not in the past");
        }
    }

    #[cold]
    #[inline(never)]
    fn on_iface_changed(&mut self, now: SimTime, touched: &mut Vec<usize>, iface: IfaceId, up: bool) {
        for &(h, addr) in self.topo.iface_addrs(iface) {
            self.hosts[h].handle_iface(now, addr, up);
            Self::touch(touched, h);
        }
    }

    fn touch(touched: &mut Vec<usize>, h: usize) {
        if !touched.contains(&h) {
            touched.push(h);
        }
    }
}

impl<H: Stack, O: Observer<H>> World for NetWorld<H, O> {
    type Event = Event;

    fn halted(&self) -> bool {
        self.halted
    }

    fn handle(&mut self, ctx: &mut Ctx<'_, Event>, event: Event) {
        let now = ctx.now();
        match event {
            Event::Sample => self.on_sample_event(ctx),
            Event::Endpoint { host, addr, change } => {
                let h = host as usize;
                self.hosts[h].handle_endpoint(now, addr, change);
                self.flush(ctx, h);
            }
            Event::WifiAdvisory { host, wifi_ok } => {
                let h = host as usize;
                self.hosts[h].handle_wifi_advisory(now, wifi_ok);
                self.flush(ctx, h);
            }
            Event::Timer { host, unit } => {
                let (h, unit) = (host as usize, unit as usize);
                if let Some(slot) = self.armed[h].get_mut(unit)
                    && *slot == Some(now)
                {
                    *slot = None;
                }
                // A due deadline is handled; a stale wake-up still drains
                // the unit (its application may act at any instant).
                self.hosts[h].handle_timeout(now, unit);
                self.flush(ctx, h);
            }
            Event::Net(ev) => {
                let mut touched = std::mem::take(&mut self.touched);
                let mut forward = std::mem::take(&mut self.forward);
                let topo = &mut self.topo;
                let hosts = &mut self.hosts;
                let observer = &mut self.observer;
                let counters = &mut self.counters;
                let out = self.net.handle(
                    ctx,
                    ev,
                    |ctx, link, seg| {
                        let Some(to) = topo.link_to(link) else { return };
                        observer.on_link_arrival(ctx.now(), link, &seg);
                        match topo.kind(to) {
                            NodeKind::Port { host } => {
                                // Hosts do not forward: a segment for another
                                // address is dropped (routes never do that).
                                if topo.node_of_addr(seg.dst_addr) != Some(to) {
                                    counters.unroutable_pkts += 1;
                                    return;
                                }
                                observer.on_deliver(ctx.now(), host, &seg);
                                hosts[host].handle_segment(ctx.now(), &seg);
                                Self::touch(&mut touched, host);
                            }
                            NodeKind::Router => match topo.next_link(to, &seg) {
                                Some(next) => forward.push((next, seg)),
                                None => counters.unroutable_pkts += 1,
                            },
                        }
                    },
                    |_, _| {},
                );
                for (link, seg) in forward.drain(..) {
                    // A router forwards the packet as it is: its length is
                    // the one the sending host put on the wire.
                    let len = wire_len_any(&self.hosts, &seg);
                    let _ = self.net.send(ctx, link, len, seg);
                }
                if let NetOutput::IfaceChanged { iface, up } = out {
                    self.on_iface_changed(now, &mut touched, iface, up);
                }
                for &h in &touched {
                    self.flush(ctx, h);
                }
                touched.clear();
                self.touched = touched;
                self.forward = forward;
            }
        }
    }
}

/// A segment's wire length, as any host computes it (all hosts of a run
/// speak the same MPTCP version).
fn wire_len_any<H: Stack>(hosts: &[H], seg: &Segment) -> u32 {
    hosts.first().map_or(0, |h| h.wire_len(seg))
}
