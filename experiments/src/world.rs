//! The World: the one place where the event loop meets the models.
//!
//! A run has hosts (a client and a server) joined by paths. Each client
//! interface (`wifi`, `cell`) is one path: an uplink (client to server) and a
//! downlink (server to client), owned by that interface so that bringing it
//! down loses what both directions carried. Each host runs one sans-IO
//! [`Stack`] (a TCP endpoint, later an MPTCP connection); the world routes
//! the segments the stacks emit onto links by their addresses, delivers
//! arrivals, and fires the stacks' timers.
//!
//! Timers are lazily cancelled: the world remembers the earliest wake-up it
//! scheduled per stack; a wake-up that finds the stack's deadline moved later
//! does nothing but re-arm.

use models::mptcp::ConnEvent;
use models::segment::Segment;
use sim_core::{Ctx, IfaceId, LinkId, NetEvent, NetOutput, Network, SimTime, World};

/// A host's protocol stack, as the world drives it.
pub trait Stack {
    fn handle_segment(&mut self, now: SimTime, seg: &Segment);
    fn handle_timeout(&mut self, now: SimTime);
    fn handle_iface(&mut self, now: SimTime, addr: u32, up: bool);
    fn poll_transmit(&mut self, now: SimTime) -> Option<Segment>;
    fn poll_timeout(&self) -> Option<SimTime>;
    /// Application work after inputs (write more, read what arrived).
    fn run_app(&mut self, now: SimTime);
    /// The on-the-wire IPv4 packet length of `seg`.
    fn wire_len(&self, seg: &Segment) -> u32;
    /// What the stack's connections reported, with the connection's index
    /// (the scenario's), oldest first. Default: nothing.
    fn poll_event(&mut self) -> Option<(usize, ConnEvent)> {
        None
    }
    /// Asks the stack's connections for samples of their state, reported
    /// as events (for time series). Default: nothing.
    fn sample(&mut self, now: SimTime) {
        let _ = now;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client = 0,
    Server = 1,
}

#[derive(Debug)]
pub enum Event {
    Net(NetEvent),
    Timer(Side),
    /// Periodic sampling for time series.
    Sample,
}

impl From<NetEvent> for Event {
    fn from(e: NetEvent) -> Self {
        Event::Net(e)
    }
}

/// One client interface and its path to the server.
#[derive(Clone, Debug)]
pub struct PathSpec {
    pub iface: IfaceId,
    pub client_addr: u32,
    pub uplink: LinkId,
    pub downlink: LinkId,
}

/// Something the world saw, for traces and metrics.
pub trait Observer<C, S> {
    /// `seg` left `side`'s stack onto `link` (`accepted`: the link took it).
    fn on_send(&mut self, _now: SimTime, _side: Side, _seg: &Segment, _link: LinkId, _accepted: bool) {}
    /// `seg` arrived at `side`.
    fn on_deliver(&mut self, _now: SimTime, _side: Side, _seg: &Segment) {}
    /// Connection `conn` at `side` reported `event`.
    fn on_conn_event(&mut self, _now: SimTime, _side: Side, _conn: usize, _event: &ConnEvent) {}
    /// A periodic sample; returns the next sampling time, if any.
    fn on_sample(&mut self, _now: SimTime, _client: &C, _server: &S) -> Option<SimTime> {
        None
    }
}

/// Observes nothing.
pub struct NoObserver;
impl<C, S> Observer<C, S> for NoObserver {}

pub struct NetWorld<C: Stack, S: Stack, O: Observer<C, S>> {
    pub net: Network<Segment>,
    pub paths: Vec<PathSpec>,
    pub server_addr: u32,
    pub client: C,
    pub server: S,
    pub observer: O,
    armed: [Option<SimTime>; 2],
}

impl<C: Stack, S: Stack, O: Observer<C, S>> NetWorld<C, S, O> {
    pub fn new(
        net: Network<Segment>,
        paths: Vec<PathSpec>,
        server_addr: u32,
        client: C,
        server: S,
        observer: O,
    ) -> Self {
        NetWorld {
            net,
            paths,
            server_addr,
            client,
            server,
            observer,
            armed: [None, None],
        }
    }

    fn stack(&mut self, side: Side) -> &mut dyn Stack {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// Drains a stack's output onto the links and re-arms its timer.
    pub fn flush(&mut self, ctx: &mut Ctx<'_, Event>, side: Side) {
        let now = ctx.now();
        self.stack(side).run_app(now);
        while let Some((conn, ev)) = self.stack(side).poll_event() {
            self.observer.on_conn_event(now, side, conn, &ev);
        }
        while let Some(seg) = self.stack(side).poll_transmit(now) {
            while let Some((conn, ev)) = self.stack(side).poll_event() {
                self.observer.on_conn_event(now, side, conn, &ev);
            }
            let link = match side {
                Side::Client => self
                    .paths
                    .iter()
                    .find(|p| p.client_addr == seg.src_addr)
                    .map(|p| p.uplink),
                Side::Server => self
                    .paths
                    .iter()
                    .find(|p| p.client_addr == seg.dst_addr)
                    .map(|p| p.downlink),
            };
            // A segment for an address no path has is a model bug.
            let link = link.unwrap_or_else(|| panic!("no path for segment {seg:?}"));
            let len = self.stack(side).wire_len(&seg);
            let accepted = self.net.send(ctx, link, len, seg).is_ok();
            self.observer.on_send(now, side, &seg, link, accepted);
        }
        let deadline = self.stack(side).poll_timeout();
        let slot = &mut self.armed[side as usize];
        if let Some(d) = deadline {
            let d = d.max(now);
            if slot.is_none_or(|a| d < a) {
                *slot = Some(d);
                ctx.schedule_at(d, Event::Timer(side))
                    .expect("deadline is not in the past");
            }
        }
    }
}

impl<C: Stack, S: Stack, O: Observer<C, S>> World for NetWorld<C, S, O> {
    type Event = Event;

    fn handle(&mut self, ctx: &mut Ctx<'_, Event>, event: Event) {
        let now = ctx.now();
        match event {
            Event::Sample => {
                // The connections report their state as events, client first.
                for side in [Side::Client, Side::Server] {
                    self.stack(side).sample(now);
                    while let Some((conn, ev)) = self.stack(side).poll_event() {
                        self.observer.on_conn_event(now, side, conn, &ev);
                    }
                }
                if let Some(next) = self.observer.on_sample(now, &self.client, &self.server) {
                    ctx.schedule_at(next.max(now), Event::Sample).expect("not in the past");
                }
            }
            Event::Timer(side) => {
                if self.armed[side as usize] == Some(now) {
                    self.armed[side as usize] = None;
                }
                if self.stack(side).poll_timeout().is_some_and(|d| d <= now) {
                    self.stack(side).handle_timeout(now);
                }
                self.flush(ctx, side);
            }
            Event::Net(ev) => {
                let server_addr = self.server_addr;
                let mut touched = [false; 2];
                let client = &mut self.client;
                let server = &mut self.server;
                let observer = &mut self.observer;
                let out = self.net.handle(
                    ctx,
                    ev,
                    |ctx, _link, seg| {
                        let side = if seg.dst_addr == server_addr {
                            Side::Server
                        } else {
                            Side::Client
                        };
                        observer.on_deliver(ctx.now(), side, &seg);
                        match side {
                            Side::Client => client.handle_segment(ctx.now(), &seg),
                            Side::Server => server.handle_segment(ctx.now(), &seg),
                        }
                        touched[side as usize] = true;
                    },
                    |_, _| {},
                );
                if let NetOutput::IfaceChanged { iface, up } = out
                    && let Some(p) = self.paths.iter().find(|p| p.iface == iface)
                {
                    let addr = p.client_addr;
                    self.client.handle_iface(now, addr, up);
                    touched[Side::Client as usize] = true;
                }
                if touched[0] {
                    self.flush(ctx, Side::Client);
                }
                if touched[1] {
                    self.flush(ctx, Side::Server);
                }
            }
        }
    }
}
