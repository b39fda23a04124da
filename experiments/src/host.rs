//! A host: its MPTCP connections and the applications on them, as one
//! [`Stack`] the world drives.
//!
//! The client opens the scenario's connections at their start times; the
//! server accepts them (a SYN with MP_CAPABLE or without starts a new
//! connection, a SYN with MP_JOIN joins the connection whose token it names).
//! Applications are the scenario's traffic: the server side sends a
//! download and answers requests, the client side reads, sends uploads and
//! requests. The receiving application reads everything at once (an
//! application that never stalls the receive window).

use models::mptcp::{ConnConfig, ConnEvent, Connection, LocalIface, Role};
use models::segment::{MptcpVersion, Segment};
use sim_core::{RngStreams, SimDuration, SimTime};

use crate::scenario::Traffic;
use crate::world::Stack;

/// Per-connection application state and what it measured.
#[derive(Clone, Debug, Default)]
pub struct AppState {
    /// Bytes the receiving application must get in all (for completion);
    /// `u64::MAX` for open-ended traffic.
    pub bytes_requested: u64,
    /// Bytes still to write at this end (`u64::MAX`: until `write_until`).
    to_write: u64,
    write_until: Option<SimTime>,
    /// Constant rate: the rate and what was released so far.
    rate_bps: Option<u64>,
    rate_start: SimTime,
    rate_written: u64,
    /// Request/response: (count, request bytes, response bytes, think time).
    rr: Option<(u32, u64, u64, SimDuration)>,
    /// Client: requests sent so far; server: request bytes not yet answered.
    rr_sent: u32,
    rr_partial: u64,
    rr_next_request_at: Option<SimTime>,
    /// Close this end once everything is written.
    close_when_written: bool,
    pub bytes_delivered: u64,
    pub completed_at: Option<SimTime>,
    pub closed_sent: bool,
    pub last_rx: SimTime,
}

/// One connection at a host.
pub struct ConnSlot {
    pub conn: Connection,
    pub app: AppState,
    pub index: usize,
    /// The connection reported `PeerClosed` and the application has yet to answer.
    peer_closed: bool,
}

impl ConnSlot {
    fn new(conn: Connection, app: AppState, index: usize) -> Self {
        ConnSlot {
            conn,
            app,
            index,
            peer_closed: false,
        }
    }

    /// Moves the connection's events to the host's queue, noting `PeerClosed`.
    fn drain_events(&mut self, events: &mut std::collections::VecDeque<(usize, ConnEvent)>) {
        while let Some(ev) = self.conn.poll_event() {
            if let ConnEvent::PeerClosed = ev {
                self.peer_closed = true;
            }
            events.push_back((self.index, ev));
        }
    }
}

/// A connection the client will open later.
struct Pending {
    index: usize,
    at: SimTime,
    cfg: ConnConfig,
    traffic: Traffic,
}

/// A host and its connections.
pub struct Host {
    pub role: Role,
    pub conns: Vec<ConnSlot>,
    pending: Vec<Pending>,
    ifaces: Vec<LocalIface>,
    server_addr: u32,
    rng: RngStreams,
    /// Server: config and traffic of each connection index, in the order clients open them.
    server_specs: Vec<(ConnConfig, Traffic)>,
    version: MptcpVersion,
    last_now: SimTime,
    /// The connections' events, with their index, for the world's observer.
    events: std::collections::VecDeque<(usize, ConnEvent)>,
}

impl Host {
    pub fn client(ifaces: Vec<LocalIface>, server_addr: u32, rng: RngStreams, version: MptcpVersion) -> Self {
        Host {
            role: Role::Client,
            conns: Vec::new(),
            pending: Vec::new(),
            ifaces,
            server_addr,
            rng,
            server_specs: Vec::new(),
            version,
            last_now: SimTime::ZERO,
            events: Default::default(),
        }
    }
    pub fn server(iface: LocalIface, rng: RngStreams, version: MptcpVersion) -> Self {
        Host {
            role: Role::Server,
            conns: Vec::new(),
            pending: Vec::new(),
            ifaces: vec![iface],
            server_addr: iface.addr,
            rng,
            server_specs: Vec::new(),
            version,
            last_now: SimTime::ZERO,
            events: Default::default(),
        }
    }

    /// Client: a connection to open at `at`. Server: the matching spec.
    pub fn add_connection(&mut self, index: usize, at: SimTime, cfg: ConnConfig, traffic: Traffic) {
        match self.role {
            Role::Client => self.pending.push(Pending {
                index,
                at,
                cfg,
                traffic,
            }),
            Role::Server => self.server_specs.push((cfg, traffic)),
        }
    }

    pub fn version(&self) -> MptcpVersion {
        self.version
    }

    fn open_due(&mut self, now: SimTime) {
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].at <= now {
                let p = self.pending.remove(i);
                let rng = self.rng.stream(&format!("conn/{}/client", p.index));
                let ifaces = self.ifaces.clone();
                let conn = Connection::client(now, p.cfg, rng, ifaces, self.server_addr);
                let app = client_app(&p.traffic, now);
                self.conns.push(ConnSlot::new(conn, app, p.index));
            } else {
                i += 1;
            }
        }
    }
}

/// What the client side of `traffic` does.
fn client_app(t: &Traffic, now: SimTime) -> AppState {
    let mut a = AppState::default();
    match *t {
        Traffic::Download { bytes } => a.bytes_requested = bytes.bytes(),
        Traffic::DownloadFor { .. } | Traffic::ConstantRate { .. } => a.bytes_requested = u64::MAX,
        Traffic::Upload { bytes } => {
            a.to_write = bytes.bytes();
            a.close_when_written = true;
        }
        Traffic::RequestResponse {
            request,
            response,
            count,
            think,
        } => {
            a.rr = Some((count, request.bytes(), response.bytes(), think));
            a.bytes_requested = response.bytes() * count as u64;
            a.rr_next_request_at = Some(now);
        }
    }
    a
}

/// What the server side of `traffic` does.
fn server_app(t: &Traffic, now: SimTime) -> AppState {
    let mut a = AppState::default();
    match *t {
        Traffic::Download { bytes } => {
            a.to_write = bytes.bytes();
            a.close_when_written = true;
        }
        Traffic::DownloadFor { duration } => {
            a.close_when_written = true;
            a.to_write = u64::MAX;
            a.write_until = Some(now + duration);
        }
        Traffic::ConstantRate { rate, duration } => {
            a.close_when_written = true;
            a.to_write = u64::MAX;
            a.write_until = Some(now + duration);
            a.rate_bps = Some(rate.bps());
            a.rate_start = now;
        }
        Traffic::Upload { bytes } => a.bytes_requested = bytes.bytes(),
        Traffic::RequestResponse {
            request,
            response,
            count,
            think,
        } => {
            a.rr = Some((count, request.bytes(), response.bytes(), think));
            a.bytes_requested = request.bytes() * count as u64;
        }
    }
    a
}

fn run_app(slot: &mut ConnSlot, role: Role, now: SimTime, events: &mut std::collections::VecDeque<(usize, ConnEvent)>) {
    slot.drain_events(events);
    let conn = &mut slot.conn;
    let app = &mut slot.app;
    if slot.peer_closed && !app.closed_sent {
        // The peer is done: close our side too (an HTTP client after the body).
        app.closed_sent = true;
        conn.close(now);
    }
    // Read everything (the application never stalls the window).
    let got = conn.read(u64::MAX);
    if got > 0 {
        app.bytes_delivered += got;
        app.last_rx = now;
        if app.bytes_requested != u64::MAX && app.bytes_delivered >= app.bytes_requested && app.completed_at.is_none() {
            app.completed_at = Some(now);
        }
        if let (Role::Server, Some((_, req, resp, _))) = (role, app.rr) {
            // Each full request earns a response.
            app.rr_partial += got;
            while app.rr_partial >= req {
                app.rr_partial -= req;
                app.to_write = app.to_write.saturating_add(resp);
            }
        }
    }
    // Requests (client): the next one `think` after the previous response.
    if let (Role::Client, Some((count, req, resp, think))) = (role, app.rr) {
        let answered = app.bytes_delivered >= app.rr_sent as u64 * resp;
        if answered && app.rr_sent < count {
            match app.rr_next_request_at {
                Some(t) if t <= now => {
                    app.to_write = app.to_write.saturating_add(req);
                    app.rr_sent += 1;
                    app.rr_next_request_at = None;
                }
                Some(_) => {}
                None => app.rr_next_request_at = Some(now + think),
            }
        }
    }
    // Writing.
    if let Some(until) = app.write_until
        && now >= until
        && app.to_write > 0
    {
        app.to_write = 0;
    }
    if app.to_write > 0 {
        let mut allow = app.to_write;
        if let Some(rate) = app.rate_bps {
            let elapsed = now.saturating_since(app.rate_start).as_nanos() as u128;
            let budget = (elapsed * rate as u128 / 8 / 1_000_000_000) as u64;
            allow = allow.min(budget.saturating_sub(app.rate_written));
        }
        let n = conn.write(allow);
        app.rate_written += n;
        if app.to_write != u64::MAX {
            app.to_write -= n;
        }
    }
    // Close once this end has nothing more to send (RFC 8684 3.3.3: DATA_FIN).
    let rr_done = matches!((role, app.rr), (Role::Client, Some((count, ..))) if app.rr_sent == count && app.completed_at.is_some());
    if (app.close_when_written && app.to_write == 0 || rr_done) && !app.closed_sent {
        app.closed_sent = true;
        conn.close(now);
    }
}

/// The next time an application wants to act on its own.
fn app_timeout(app: &AppState, now: SimTime) -> Option<SimTime> {
    let mut t = app.rr_next_request_at;
    if app.rate_bps.is_some() && app.to_write > 0 {
        // Constant rate: wake every millisecond to release more bytes.
        let tick = now + SimDuration::from_millis(1);
        t = Some(t.map_or(tick, |x| x.min(tick)));
    }
    if let Some(u) = app.write_until
        && app.to_write > 0
    {
        t = Some(t.map_or(u, |x| x.min(u)));
    }
    t.map(|x| x.max(now))
}

impl Stack for Host {
    fn handle_segment(&mut self, now: SimTime, seg: &Segment) {
        if let Some(slot) = self.conns.iter_mut().find(|s| s.conn.owns(seg)) {
            slot.conn.handle_segment(now, seg);
            return;
        }
        if self.role != Role::Server || !seg.flags.syn || seg.flags.ack {
            return; // no connection: a real host would answer with a RST
        }
        if let Some(slot) = self.conns.iter_mut().find(|s| s.conn.accepts_join(seg)) {
            slot.conn.handle_segment(now, seg);
            return;
        }
        let joins = seg
            .options
            .mptcp
            .iter()
            .any(|o| matches!(o, models::segment::MptcpOption::MpJoin(_)));
        if joins {
            return; // an unknown token (RFC 8684 3.2: reset)
        }
        let index = self.conns.len();
        let Some((cfg, traffic)) = self.server_specs.get(index).cloned() else {
            return;
        };
        let rng = self.rng.stream(&format!("conn/{index}/server"));
        let conn = Connection::accept(now, cfg, rng, self.ifaces[0], seg);
        let app = server_app(&traffic, now);
        self.conns.push(ConnSlot::new(conn, app, index));
    }

    fn handle_timeout(&mut self, now: SimTime) {
        self.open_due(now);
        for s in &mut self.conns {
            if s.conn.poll_timeout().is_some_and(|t| t <= now) {
                s.conn.handle_timeout(now);
            }
        }
    }

    fn handle_iface(&mut self, now: SimTime, addr: u32, up: bool) {
        for i in &mut self.ifaces {
            if i.addr == addr {
                i.up = up;
            }
        }
        for s in &mut self.conns {
            s.conn.handle_iface(now, addr, up);
        }
    }

    fn poll_transmit(&mut self, now: SimTime) -> Option<Segment> {
        for s in &mut self.conns {
            if let Some(seg) = s.conn.poll_transmit(now) {
                // What the connection reported while emitting (hand-overs,
                // the segment's DSS) goes out before the segment itself.
                s.drain_events(&mut self.events);
                return Some(seg);
            }
        }
        None
    }

    fn poll_timeout(&self) -> Option<SimTime> {
        let mut t = None;
        for s in &self.conns {
            t = SimTime::earliest(t, s.conn.poll_timeout());
            t = SimTime::earliest(t, app_timeout(&s.app, self.last_now));
        }
        for p in &self.pending {
            t = SimTime::earliest(t, Some(p.at));
        }
        t
    }

    fn run_app(&mut self, now: SimTime) {
        self.last_now = now;
        self.open_due(now);
        let role = self.role;
        for s in &mut self.conns {
            run_app(s, role, now, &mut self.events);
        }
    }

    fn poll_event(&mut self) -> Option<(usize, ConnEvent)> {
        self.events.pop_front()
    }

    fn sample(&mut self, _now: SimTime) {
        for s in &mut self.conns {
            s.conn.sample();
            s.drain_events(&mut self.events);
        }
    }

    fn wire_len(&self, seg: &Segment) -> u32 {
        models::wire::ip_packet_len(seg, self.version) as u32
    }
}
