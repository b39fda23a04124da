//! A table of links and the interfaces that own them, driven by events.
//!
//! An interface (a phone's `wifi` or `cell`) is a named set of links, usually
//! its uplink and its downlink. Bringing an interface up or down is a
//! first-class scheduled event ([`NetEvent::Iface`]) that sets all its links
//! up or down at that instant, losing what they carried. The same mechanism
//! groups any links that fail together (both directions of a cable between
//! two routers); a link in several groups is up only while all of them are.
//!
//! The network asks for one wake-up per link at the arrival of the link's
//! head packet ([`NetEvent::LinkWake`]), never one event per packet.
//!
//! A link's rate, delay, loss, buffer and blackhole can change at a
//! scheduled instant ([`NetEvent::LinkChange`], [`LinkChange`]): the same
//! seam as interface events, applied to one link direction (see
//! `crate::link` for what each change means for the packets it holds).

use serde::{Deserialize, Serialize};

use crate::link::{BufferLimit, DropCause, Link, LinkConfig, LinkCounters};
use crate::loss::LossModel;
use crate::qdisc::FlowTuple;
use crate::queue::ScheduleError;
use crate::rng::RngStreams;
use crate::sim::Ctx;
use crate::time::SimTime;
use crate::time::{Bandwidth, SimDuration};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LinkId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IfaceId(pub u32);

/// Events the network handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetEvent {
    /// The head packet of a link may have arrived.
    LinkWake(LinkId),
    /// An interface goes up or down.
    Iface { iface: IfaceId, up: bool },
    /// Change number `change` of the network's table (see
    /// [`Network::schedule_link_change`]) applies to `link`.
    LinkChange { link: LinkId, change: u32 },
}

/// A change to one link direction at an instant.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkChange {
    Rate(Bandwidth),
    Delay(SimDuration),
    Loss(LossModel),
    Buffer(BufferLimit),
    /// Blackhole (true) or restore (false).
    Blackhole(bool),
}

/// What handling a [`NetEvent`] produced for the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetOutput {
    /// Nothing the models need to know (a stale wake-up).
    None,
    /// Packets were delivered through the callback.
    Delivered,
    /// An interface changed state (the models should be told).
    IfaceChanged { iface: IfaceId, up: bool },
}

#[derive(Debug)]
struct Iface {
    name: String,
    links: Vec<LinkId>,
    up: bool,
}

/// Links and interfaces, generic over the packet type.
#[derive(Debug)]
pub struct Network<P> {
    links: Vec<Link<P>>,
    link_names: Vec<String>,
    ifaces: Vec<Iface>,
    /// The interfaces each link belongs to.
    link_ifaces: Vec<Vec<IfaceId>>,
    /// Scheduled link changes, by the index their events carry.
    changes: Vec<LinkChange>,
    /// A packet's 5-tuple, for links whose discipline hashes flows.
    flow_of: fn(&P) -> FlowTuple,
}

impl<P> Default for Network<P> {
    fn default() -> Self {
        Network {
            links: Vec::new(),
            link_names: Vec::new(),
            ifaces: Vec::new(),
            link_ifaces: Vec::new(),
            changes: Vec::new(),
            flow_of: |_| FlowTuple::default(),
        }
    }
}

impl<P> Network<P> {
    pub fn new() -> Self {
        Self::default()
    }

    /// How to read a packet's 5-tuple (for FQ-CoDel); default: all
    /// packets are one flow.
    pub fn set_flow_of(&mut self, f: fn(&P) -> FlowTuple) {
        self.flow_of = f;
    }

    /// Adds a link; its loss and jitter draw from the streams
    /// `link/<name>/loss` and `link/<name>/jitter`, its queue discipline
    /// (if any) from `link/<name>/aqm`.
    pub fn add_link(&mut self, name: &str, cfg: LinkConfig, rng: &RngStreams) -> LinkId {
        let id = LinkId(self.links.len() as u32);
        let loss = rng.stream(&format!("link/{name}/loss"));
        let jitter = rng.stream(&format!("link/{name}/jitter"));
        let aqm = cfg.qdisc.is_some().then(|| rng.stream(&format!("link/{name}/aqm")));
        self.links.push(Link::with_aqm_rng(cfg, loss, jitter, aqm));
        self.link_names.push(name.to_string());
        self.link_ifaces.push(Vec::new());
        id
    }

    /// Adds an interface owning `links`; it starts up.
    pub fn add_iface(&mut self, name: &str, links: &[LinkId]) -> IfaceId {
        let id = IfaceId(self.ifaces.len() as u32);
        for l in links {
            self.link_ifaces[l.0 as usize].push(id);
        }
        self.ifaces.push(Iface {
            name: name.to_string(),
            links: links.to_vec(),
            up: true,
        });
        id
    }

    pub fn link(&self, id: LinkId) -> &Link<P> {
        &self.links[id.0 as usize]
    }
    pub fn link_by_name(&self, name: &str) -> Option<LinkId> {
        self.link_names.iter().position(|n| n == name).map(|i| LinkId(i as u32))
    }
    pub fn link_name(&self, id: LinkId) -> &str {
        &self.link_names[id.0 as usize]
    }
    pub fn link_ids(&self) -> impl Iterator<Item = LinkId> + use<P> {
        (0..self.links.len() as u32).map(LinkId)
    }
    pub fn iface_name(&self, id: IfaceId) -> &str {
        &self.ifaces[id.0 as usize].name
    }
    pub fn iface_by_name(&self, name: &str) -> Option<IfaceId> {
        self.ifaces
            .iter()
            .position(|i| i.name == name)
            .map(|i| IfaceId(i as u32))
    }
    /// The links interface `id` owns.
    pub fn iface_links(&self, id: IfaceId) -> &[LinkId] {
        &self.ifaces[id.0 as usize].links
    }
    pub fn iface_is_up(&self, id: IfaceId) -> bool {
        self.ifaces[id.0 as usize].up
    }
    pub fn counters(&self, id: LinkId) -> &LinkCounters {
        self.links[id.0 as usize].counters()
    }

    /// Whether every interface that link `l` belongs to is up.
    fn groups_up(&self, l: LinkId) -> bool {
        self.link_ifaces[l.0 as usize]
            .iter()
            .all(|i| self.ifaces[i.0 as usize].up)
    }

    /// Sets an interface's initial state before the run starts (no event).
    pub fn set_initial_iface_state(&mut self, id: IfaceId, up: bool) {
        self.ifaces[id.0 as usize].up = up;
        for k in 0..self.ifaces[id.0 as usize].links.len() {
            let l = self.ifaces[id.0 as usize].links[k];
            let up = self.groups_up(l);
            self.links[l.0 as usize].set_up(SimTime::ZERO, up, |_| {});
        }
    }

    /// Schedules an interface change as an event.
    pub fn schedule_iface<E: From<NetEvent>>(
        ctx: &mut Ctx<'_, E>,
        at: SimTime,
        iface: IfaceId,
        up: bool,
    ) -> Result<(), ScheduleError> {
        ctx.schedule_at(at, NetEvent::Iface { iface, up }.into())
    }

    /// Schedules `change` to link `link` at `at`.
    pub fn schedule_link_change<E: From<NetEvent>>(
        &mut self,
        ctx: &mut Ctx<'_, E>,
        at: SimTime,
        link: LinkId,
        change: LinkChange,
    ) -> Result<(), ScheduleError> {
        let idx = self.changes.len() as u32;
        self.changes.push(change);
        ctx.schedule_at(at, NetEvent::LinkChange { link, change: idx }.into())
    }

    /// Sends a packet on a link at `ctx.now()`, arming the link's wake-up.
    /// Returns its arrival time if known now (see [`Link::offer`]).
    #[inline(always)]
    pub fn send<E: From<NetEvent>>(
        &mut self,
        ctx: &mut Ctx<'_, E>,
        id: LinkId,
        size_bytes: u32,
        pkt: P,
    ) -> Result<Option<SimTime>, DropCause> {
        let link = &mut self.links[id.0 as usize];
        let r = if link.is_lazy() {
            let flow = (self.flow_of)(&pkt);
            link.offer_flow(ctx.now(), size_bytes, flow, pkt)
        } else {
            link.offer(ctx.now(), size_bytes, pkt)
        };
        if let Some(t) = link.poll_wake() {
            ctx.schedule_at(t, NetEvent::LinkWake(id).into())
                .expect("arrivals are never in the past");
        }
        r
    }

    /// Handles a network event: delivers arrived packets to `deliver`
    /// (with the link they came on), or applies an interface change,
    /// passing the packets it loses to `dropped`.
    #[inline]
    pub fn handle<E: From<NetEvent>>(
        &mut self,
        ctx: &mut Ctx<'_, E>,
        ev: NetEvent,
        mut deliver: impl FnMut(&mut Ctx<'_, E>, LinkId, P),
        mut dropped: impl FnMut(LinkId, P),
    ) -> NetOutput {
        let now = ctx.now();
        match ev {
            NetEvent::LinkWake(id) => {
                let link = &mut self.links[id.0 as usize];
                link.on_wake(now);
                let mut any = false;
                while let Some(p) = self.links[id.0 as usize].pop_arrived(now) {
                    any = true;
                    deliver(ctx, id, p);
                }
                if let Some(t) = self.links[id.0 as usize].poll_wake() {
                    ctx.schedule_at(t, NetEvent::LinkWake(id).into())
                        .expect("arrivals are never in the past");
                }
                if any { NetOutput::Delivered } else { NetOutput::None }
            }
            NetEvent::Iface { iface, up } => {
                let i = &mut self.ifaces[iface.0 as usize];
                if i.up == up {
                    return NetOutput::None;
                }
                i.up = up;
                for k in 0..self.ifaces[iface.0 as usize].links.len() {
                    let l = self.ifaces[iface.0 as usize].links[k];
                    // Up only when every group holding it is up.
                    let link_up = self.groups_up(l);
                    if self.links[l.0 as usize].is_up() != link_up {
                        self.links[l.0 as usize].set_up(now, link_up, |p| dropped(l, p));
                    }
                }
                NetOutput::IfaceChanged { iface, up }
            }
            NetEvent::LinkChange { link, change } => {
                let l = &mut self.links[link.0 as usize];
                match self.changes[change as usize].clone() {
                    LinkChange::Rate(r) => l.set_rate(now, r),
                    LinkChange::Delay(d) => l.set_delay(now, d),
                    LinkChange::Loss(m) => l.set_loss(m),
                    LinkChange::Buffer(b) => l.set_buffer(now, b),
                    LinkChange::Blackhole(on) => l.set_blackhole(on),
                }
                // A re-planned queue may need an earlier wake-up.
                if let Some(t) = l.poll_wake() {
                    ctx.schedule_at(t, NetEvent::LinkWake(link).into())
                        .expect("wake-ups are never in the past");
                }
                NetOutput::None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::BufferLimit;
    use crate::sim::{Simulation, World};
    use crate::time::{Bandwidth, SimDuration};

    /// A constant-rate source over one interface's link, recording arrivals.
    struct Cbr {
        net: Network<u32>,
        link: LinkId,
        sent: u32,
        arrived: Vec<(SimTime, u32)>,
        lost_down: Vec<u32>,
        changes: Vec<(SimTime, bool)>,
    }
    #[derive(Debug)]
    enum Ev {
        Net(NetEvent),
        Send,
    }
    impl From<NetEvent> for Ev {
        fn from(e: NetEvent) -> Self {
            Ev::Net(e)
        }
    }
    impl World for Cbr {
        type Event = Ev;
        fn handle(&mut self, ctx: &mut Ctx<'_, Ev>, ev: Ev) {
            match ev {
                Ev::Send => {
                    let _ = self.net.send(ctx, self.link, 1000, self.sent);
                    self.sent += 1;
                    if self.sent < 100 {
                        ctx.schedule_in(SimDuration::from_millis(1), Ev::Send);
                    }
                }
                Ev::Net(e) => {
                    let arrived = &mut self.arrived;
                    let lost = &mut self.lost_down;
                    let out = self
                        .net
                        .handle(ctx, e, |ctx, _, p| arrived.push((ctx.now(), p)), |_, p| lost.push(p));
                    if let NetOutput::IfaceChanged { up, .. } = out {
                        self.changes.push((ctx.now(), up));
                    }
                }
            }
        }
    }

    #[test]
    fn an_interface_going_down_and_up_is_a_scheduled_event_that_loses_what_its_links_carried() {
        let rng = RngStreams::new(1);
        let mut net = Network::new();
        // 8 Mb/s: 1000 B in 1 ms; 20 ms propagation.
        let cfg = LinkConfig::new(
            Bandwidth::from_mbps(8).unwrap(),
            SimDuration::from_millis(20),
            BufferLimit::Packets(100),
        );
        let link = net.add_link("wifi.down", cfg, &rng);
        let wifi = net.add_iface("wifi", &[link]);
        let world = Cbr {
            net,
            link,
            sent: 0,
            arrived: vec![],
            lost_down: vec![],
            changes: vec![],
        };
        let mut sim = Simulation::new(world);
        sim.schedule(SimTime::ZERO, Ev::Send).unwrap();
        sim.with_ctx(|_, ctx| {
            Network::<u32>::schedule_iface(ctx, SimTime::from_millis(50), wifi, false).unwrap();
            Network::<u32>::schedule_iface(ctx, SimTime::from_millis(70), wifi, true).unwrap();
        });
        sim.run_until(SimTime::from_secs(1));
        let w = sim.world();
        assert_eq!(
            w.changes,
            [(SimTime::from_millis(50), false), (SimTime::from_millis(70), true)]
        );
        // Packet i is sent at i ms and arrives at i + 1 + 20 ms. Events at
        // equal times pop in scheduling order: the interface events were
        // scheduled first, so at 50 ms the link goes down before packet 29's
        // arrival (its wake-up was scheduled at 49 ms) and before the send
        // at 50 ms; at 70 ms it comes up before the send at 70 ms.
        let arrived: Vec<u32> = w.arrived.iter().map(|a| a.1).collect();
        let expect: Vec<u32> = (0..=28).chain(70..100).collect();
        assert_eq!(arrived, expect);
        assert_eq!(w.arrived[0], (SimTime::from_millis(21), 0));
        assert_eq!(w.arrived[29], (SimTime::from_millis(91), 70));
        // 29..=49 were queued or propagating at 50 ms: lost with the link.
        assert_eq!(w.lost_down, (29..=49).collect::<Vec<_>>());
        // And the 20 sends at 50..=69 ms were refused while down.
        let c = sim.world().net.counters(link);
        assert_eq!(c.dropped_down_pkts, 21 + 20);
        assert_eq!(c.offered_pkts, 100);
        assert_eq!(c.delivered_pkts + c.dropped_pkts(), 100);
    }

    #[test]
    fn a_link_in_two_groups_is_up_only_while_both_are() {
        let rng = RngStreams::new(1);
        let mut net: Network<u32> = Network::new();
        let cfg = LinkConfig::new(
            Bandwidth::from_mbps(8).unwrap(),
            SimDuration::from_millis(1),
            BufferLimit::Packets(10),
        );
        let link = net.add_link("a-b.ab", cfg, &rng);
        let iface = net.add_iface("a.eth0", &[link]);
        let cable = net.add_iface("link:a-b", &[link]);
        let mut sim = Simulation::new(Cbr {
            net,
            link,
            sent: 100,
            arrived: vec![],
            lost_down: vec![],
            changes: vec![],
        });
        sim.with_ctx(|_, ctx| {
            Network::<u32>::schedule_iface(ctx, SimTime::from_millis(10), cable, false).unwrap();
            Network::<u32>::schedule_iface(ctx, SimTime::from_millis(20), iface, false).unwrap();
            // The interface comes back while the cable is still cut.
            Network::<u32>::schedule_iface(ctx, SimTime::from_millis(30), iface, true).unwrap();
        });
        sim.run_until(SimTime::from_millis(35));
        assert!(!sim.world().net.link(link).is_up(), "the cable is still down");
        sim.with_ctx(|_, ctx| {
            Network::<u32>::schedule_iface(ctx, SimTime::from_millis(40), cable, true).unwrap();
        });
        sim.run_until(SimTime::from_millis(45));
        assert!(sim.world().net.link(link).is_up());
    }

    fn cbr_world(cfg: LinkConfig) -> (Simulation<Cbr>, LinkId) {
        let rng = RngStreams::new(1);
        let mut net = Network::new();
        let link = net.add_link("wifi.down", cfg, &rng);
        net.add_iface("wifi", &[link]);
        let mut sim = Simulation::new(Cbr {
            net,
            link,
            sent: 0,
            arrived: vec![],
            lost_down: vec![],
            changes: vec![],
        });
        sim.schedule(SimTime::ZERO, Ev::Send).unwrap();
        (sim, link)
    }

    #[test]
    fn a_blackhole_event_drops_the_send_at_its_instant_and_restore_lets_the_next_through() {
        // 1000 B every 1 ms on 8 Mb/s, 20 ms: packet i leaves at i + 1 ms.
        // Blackholed at 50 ms (scheduled before the sends, so it applies
        // first at equal times), restored at 70 ms: packets 50..=69 are
        // dropped, 49 (sent at 49 ms, arriving at 70 ms) still arrives.
        let cfg = LinkConfig::new(
            Bandwidth::from_mbps(8).unwrap(),
            SimDuration::from_millis(20),
            BufferLimit::Packets(100),
        );
        let (mut sim, link) = cbr_world(cfg);
        sim.with_ctx(|w, ctx| {
            w.net
                .schedule_link_change(ctx, SimTime::from_millis(50), link, LinkChange::Blackhole(true))
                .unwrap();
            w.net
                .schedule_link_change(ctx, SimTime::from_millis(70), link, LinkChange::Blackhole(false))
                .unwrap();
        });
        sim.run_until(SimTime::from_secs(1));
        let got: Vec<u32> = sim.world().arrived.iter().map(|a| a.1).collect();
        let want: Vec<u32> = (0..50).chain(70..100).collect();
        assert_eq!(got, want);
        let c = sim.world().net.counters(link);
        assert_eq!((c.dropped_blackhole_pkts, c.dropped_down_pkts), (20, 0));
        assert!(sim.world().changes.is_empty(), "no interface event");
    }

    #[test]
    fn a_rate_change_event_applies_to_the_send_at_its_instant() {
        // A lazily served link: from 50 ms the rate halves, so packet 50
        // (sent at 50 ms) takes 2 ms instead of 1; packet 49 (sent 1 ns
        // earlier in effect: at 49 ms, on the wire until 50 ms) keeps 1 ms.
        let mut cfg = LinkConfig::new(
            Bandwidth::from_mbps(8).unwrap(),
            SimDuration::from_millis(20),
            BufferLimit::Packets(100),
        );
        cfg.qdisc = Some(crate::qdisc::QdiscConfig::Fifo);
        let (mut sim, link) = cbr_world(cfg);
        sim.with_ctx(|w, ctx| {
            w.net
                .schedule_link_change(
                    ctx,
                    SimTime::from_millis(50),
                    link,
                    LinkChange::Rate(Bandwidth::from_mbps(4).unwrap()),
                )
                .unwrap();
        });
        sim.run_until(SimTime::from_millis(200));
        let arrived = &sim.world().arrived;
        assert_eq!(arrived[49], (SimTime::from_millis(70), 49));
        assert_eq!(arrived[50], (SimTime::from_millis(72), 50));
        // Then one every 2 ms: the link is the bottleneck, a queue builds.
        assert_eq!(arrived[51], (SimTime::from_millis(74), 51));
    }
}
