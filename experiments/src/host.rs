//! A host: its MPTCP connections and the applications on them, as one
//! [`Stack`] the world drives.
//!
//! A host opens the connections it is the client of at their start times,
//! and accepts those it serves (a SYN with MP_CAPABLE or without, from the
//! client address and port it expects, starts a connection; a SYN with
//! MP_JOIN joins the connection whose token it names). The world drives
//! each connection as its own unit, with its own deadline: an input touches
//! only the connection it is for.
//! Applications are the scenario's traffic: the server side sends a
//! download and answers requests, the client side reads, sends uploads and
//! requests. The receiving application reads everything at once (an
//! application that never stalls the receive window).

use std::collections::VecDeque;

use crate::fxhash::FxHashMap;

use models::mptcp::{ConnConfig, ConnEvent, Connection, LocalIface, Role};
use models::segment::{MpJoin, MptcpOption, MptcpVersion, Segment};
use rand::Rng;
use sim_core::{RngStreams, SimDuration, SimRng, SimTime};

use crate::oracle::{DeliveryOracle, Fault, Violation};
use crate::scenario::{Periods, Traffic};
use crate::world::{Side, Stack};

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
    /// On/off source: its periods (the rate is `rate_bps`). Boxed: its
    /// random stream is 300 bytes, which inline would spread the fields
    /// every segment's `run_app` reads over more cache lines (BENCHMARKS.md,
    /// "The lines one segment touches").
    onoff: Option<Box<OnOffState>>,
    /// Request/response: (count, request bytes, response bytes, think time).
    rr: Option<(u32, u64, u64, SimDuration)>,
    /// Client: requests sent so far; server: request bytes not yet answered.
    rr_sent: u32,
    rr_partial: u64,
    rr_next_request_at: Option<SimTime>,
    /// Close this end once everything is written.
    close_when_written: bool,
    pub bytes_delivered: u64,
    /// Bytes this end's application wrote to the connection (what the
    /// peer may receive at most).
    pub bytes_written: u64,
    /// Checks that what the connection delivers comes once and in order.
    pub oracle: DeliveryOracle,
    pub completed_at: Option<SimTime>,
    /// When this end's data-level SND.UNA last moved (its data-ACKs
    /// advanced), or the connection started: what the stall detector
    /// measures from.
    pub last_progress_at: SimTime,
    last_snd_una: u64,
    pub closed_sent: bool,
    pub last_rx: SimTime,
}

/// An on/off source's periods.
#[derive(Clone, Debug)]
struct OnOffState {
    on_mean: SimDuration,
    off_mean: SimDuration,
    exponential: bool,
    rng: SimRng,
    /// In an on period.
    on: bool,
    /// When the current period began and when it ends.
    period_start: SimTime,
    switch_at: SimTime,
    /// Time spent on before the current period, in nanoseconds.
    on_before_ns: u128,
}

impl OnOffState {
    fn new(now: SimTime, on: SimDuration, off: SimDuration, exponential: bool, rng: SimRng) -> Self {
        let mut s = OnOffState {
            on_mean: on,
            off_mean: off,
            exponential,
            rng,
            on: true,
            period_start: now,
            switch_at: now,
            on_before_ns: 0,
        };
        s.switch_at = now + s.draw(on);
        s
    }

    /// One period of mean `mean` (at least 1 ns).
    fn draw(&mut self, mean: SimDuration) -> SimDuration {
        if !self.exponential {
            return mean;
        }
        // A uniform in (0, 1]: 53 random bits, never 0.
        let u = ((self.rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let ns = (-(mean.as_nanos() as f64) * u.ln()).round();
        SimDuration::from_nanos((ns as u64).max(1))
    }

    /// Moves through the periods that ended by `now`.
    fn advance(&mut self, now: SimTime) {
        while now >= self.switch_at {
            if self.on {
                self.on_before_ns += self.switch_at.saturating_since(self.period_start).as_nanos() as u128;
            }
            self.on = !self.on;
            self.period_start = self.switch_at;
            let mean = if self.on { self.on_mean } else { self.off_mean };
            let d = self.draw(mean);
            self.switch_at += d;
        }
    }

    /// Time spent on up to `now`, in nanoseconds.
    fn on_time_ns(&self, now: SimTime) -> u128 {
        let current = if self.on {
            now.saturating_since(self.period_start).as_nanos() as u128
        } else {
            0
        };
        self.on_before_ns + current
    }
}

/// One connection at a host.
pub struct ConnSlot {
    /// The connection.
    pub conn: Connection,
    /// Its application at this end.
    pub app: AppState,
    /// Index of the connection in the scenario's `connections`.
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

    /// Which end of its connection this is.
    pub fn side(&self) -> Side {
        match self.conn.role() {
            Role::Client => Side::Client,
            Role::Server => Side::Server,
        }
    }
}

/// A connection the host will open later.
struct Pending {
    index: usize,
    at: SimTime,
    cfg: ConnConfig,
    traffic: Traffic,
    server_addr: u32,
}

/// A connection the host will accept when its SYN arrives.
struct Expected {
    index: usize,
    cfg: ConnConfig,
    traffic: Traffic,
}

/// The key of a subflow at a host: (local address, local port, remote
/// address, remote port).
type FourTuple = (u32, u16, u32, u16);

/// The stack unit that opens the host's connections at their start times;
/// connection slot `s` is unit `s + 1`.
const OPENER: usize = 0;

/// A host and its connections: any number, opened (as a client) or
/// accepted (as a server) or both.
///
/// A segment finds its connection by its 4-tuple, an MP_JOIN SYN by the
/// token it names, a new connection's SYN by its client address and port:
/// three table lookups, whatever the number of connections.
pub struct Host {
    /// The connections, in the order opened or accepted.
    pub conns: Vec<ConnSlot>,
    pending: Vec<Pending>,
    expected: FxHashMap<(u32, u16), Expected>,
    ifaces: Vec<LocalIface>,
    rng: RngStreams,
    version: MptcpVersion,
    last_now: SimTime,
    /// Lookups only (never iterated, so hashing order decides nothing).
    by_tuple: FxHashMap<FourTuple, usize>,
    by_token: FxHashMap<u32, Vec<usize>>,
    /// The slot of each (connection index, client end?), for [`Host::slot`]
    /// (lookups only).
    by_index: FxHashMap<(usize, bool), usize>,
    /// Units inputs touched, and whether each is listed.
    touched: Vec<usize>,
    listed: Vec<bool>,
    touched_sorted: bool,
    /// The connections' events, with their index and end, for the world's observer.
    events: VecDeque<(usize, Side, ConnEvent)>,
    /// Which events go to `events` (the others are only registered here):
    /// see [`Host::keep_events`].
    keep_event: fn(&ConnEvent) -> bool,
    /// The first delivery that broke the oracle; the run ends at it.
    violation: Option<Violation>,
    /// Symptoms' Wi-Fi advisory, host-wide as XNU's `mptcp_advisory`
    /// (`SYMPTOMS_ADVISORY_WIFI_OK` at boot: mptcp_subr.c `mptcp_init`).
    wifi_ok: bool,
}

impl Host {
    /// A host with these interfaces.
    pub fn new(ifaces: Vec<LocalIface>, rng: RngStreams, version: MptcpVersion) -> Self {
        Host {
            conns: Vec::new(),
            pending: Vec::new(),
            expected: FxHashMap::default(),
            ifaces,
            rng,
            version,
            last_now: SimTime::ZERO,
            by_tuple: FxHashMap::default(),
            by_token: FxHashMap::default(),
            by_index: FxHashMap::default(),
            touched: Vec::new(),
            listed: Vec::new(),
            touched_sorted: true,
            events: Default::default(),
            keep_event: |_| true,
            violation: None,
            wifi_ok: true,
        }
    }

    /// Passes to the world's observer only the connections' events for
    /// which `keep` is true (all of them by default). An observer that
    /// reads few kinds saves the queueing of the rest: with
    /// `ConnConfig::report_segments` a data segment brings a `Scheduled`,
    /// and an ACK a `DataAcked` and a `SubflowWindow`, besides the
    /// `SegmentSent` that `sequence.csv` is made of.
    pub fn keep_events(&mut self, keep: fn(&ConnEvent) -> bool) {
        self.keep_event = keep;
    }

    /// A connection this host opens at `at` to `server_addr`.
    pub fn add_connection(&mut self, index: usize, at: SimTime, cfg: ConnConfig, traffic: Traffic, server_addr: u32) {
        self.pending.push(Pending {
            index,
            at,
            cfg,
            traffic,
            server_addr,
        });
    }

    /// A connection this host accepts: its first SYN comes from one of
    /// `client_addrs` and port `client_port`.
    pub fn expect_connection(
        &mut self,
        index: usize,
        client_addrs: &[u32],
        client_port: u16,
        cfg: ConnConfig,
        traffic: Traffic,
    ) {
        for &a in client_addrs {
            self.expected.insert(
                (a, client_port),
                Expected {
                    index,
                    cfg: cfg.clone(),
                    traffic: traffic.clone(),
                },
            );
        }
    }

    /// Whether the host's interface with address `addr` is up (`None`: no
    /// such interface).
    pub fn iface_up(&self, addr: u32) -> Option<bool> {
        self.ifaces.iter().find(|i| i.addr == addr).map(|i| i.up)
    }

    /// The first delivery that broke the delivery oracle, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// The MPTCP version the host speaks.
    pub fn version(&self) -> MptcpVersion {
        self.version
    }

    /// The `side` end of connection `index`, if this host has it.
    ///
    /// A table lookup: the run's summary asks this of every connection, and
    /// a scan of the slots made that quadratic in the number of connections.
    pub fn slot(&self, index: usize, side: Side) -> Option<&ConnSlot> {
        let found = self
            .by_index
            .get(&(index, side == Side::Client))
            .map(|&s| &self.conns[s]);
        debug_assert_eq!(
            found.map(|s| s as *const ConnSlot),
            self.conns
                .iter()
                .find(|s| s.index == index && s.side() == side)
                .map(|s| s as *const ConnSlot),
            "the slot table disagrees with the slots"
        );
        found
    }

    fn touch(&mut self, unit: usize) {
        if self.listed.len() <= unit {
            self.grow_listed(unit);
        }
        if !self.listed[unit] {
            self.listed[unit] = true;
            self.touched.push(unit);
            self.touched_sorted = false;
        }
    }

    /// Room for `unit`'s mark (once per unit). Cold and out of line, as are
    /// the openings and SYNs below (a few per connection): inlined, they
    /// would spread the per-packet path over more instruction-cache lines.
    #[cold]
    #[inline(never)]
    fn grow_listed(&mut self, unit: usize) {
        self.listed.resize(unit + 1, false);
    }

    /// Adds a connection, notes its events and marks it touched.
    fn push_slot(&mut self, slot: ConnSlot) {
        self.by_index
            .entry((slot.index, slot.side() == Side::Client))
            .or_insert(self.conns.len());
        self.conns.push(slot);
        self.after_input(self.conns.len() - 1);
    }

    /// Moves slot `s`'s events to the host's queue (registering the
    /// subflows and token they announce) and marks it touched.
    fn after_input(&mut self, s: usize) {
        self.drain(s);
        self.touch(s + 1);
    }

    /// Moves slot `s`'s events to the host's queue, registering the
    /// subflows and token they announce. Called after every input and
    /// every segment sent; most find no event, and return here.
    #[inline]
    fn drain(&mut self, s: usize) {
        if self.conns[s].conn.has_events() {
            self.drain_events(s);
        }
    }

    #[inline(never)]
    fn drain_events(&mut self, s: usize) {
        let slot = &mut self.conns[s];
        let side = slot.side();
        while let Some(ev) = slot.conn.poll_event() {
            match ev {
                ConnEvent::PeerClosed => slot.peer_closed = true,
                ConnEvent::SubflowOpened { local, remote, .. } => {
                    self.by_tuple.insert((local.0, local.1, remote.0, remote.1), s);
                }
                ConnEvent::Started { local_key } => {
                    let token = models::mptcp_crypto::token(local_key, self.version);
                    self.by_token.entry(token).or_default().push(s);
                }
                _ => {}
            }
            if (self.keep_event)(&ev) {
                self.events.push_back((slot.index, side, ev));
            }
        }
    }

    /// When the next pending connection opens.
    #[cold]
    #[inline(never)]
    fn next_opening(&self) -> Option<SimTime> {
        self.pending.iter().map(|p| p.at).min()
    }

    #[cold]
    #[inline(never)]
    fn open_due(&mut self, now: SimTime) {
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].at <= now {
                let p = self.pending.remove(i);
                let rng = self.rng.stream(&format!("conn/{}/client", p.index));
                let ifaces = self.ifaces.clone();
                let mut conn = Connection::client(now, p.cfg, rng, ifaces, p.server_addr);
                if !self.wifi_ok {
                    // The path manager starts from the host's advisory.
                    conn.handle_wifi_advisory(now, false);
                }
                let app = client_app(&p.traffic, now);
                self.push_slot(ConnSlot::new(conn, app, p.index));
            } else {
                i += 1;
            }
        }
    }

    /// A SYN for no connection: an MP_JOIN for a connection's token, or a
    /// new connection this host expects.
    #[cold]
    #[inline(never)]
    fn handle_syn(&mut self, now: SimTime, seg: &Segment) {
        let join = seg.options.mptcp.iter().find_map(|o| match o {
            MptcpOption::MpJoin(MpJoin::Syn { token, .. }) => Some(*token),
            _ => None,
        });
        if let Some(token) = join {
            let candidates = self.by_token.get(&token).cloned().unwrap_or_default();
            if let Some(s) = candidates.into_iter().find(|&s| self.conns[s].conn.accepts_join(seg)) {
                self.conns[s].conn.handle_segment(now, seg);
                self.after_input(s);
            }
            return; // an unknown token (RFC 8684 3.2: reset)
        }
        let Some(e) = self.expected.remove(&(seg.src_addr, seg.src_port)) else {
            return; // no such connection: a real host would answer with a RST
        };
        let rng = self.rng.stream(&format!("conn/{}/server", e.index));
        let local = self
            .ifaces
            .iter()
            .copied()
            .find(|i| i.addr == seg.dst_addr)
            .unwrap_or(self.ifaces[0]);
        let conn = Connection::accept(now, e.cfg, rng, local, seg);
        let onoff_rng =
            matches!(e.traffic, Traffic::OnOff { .. }).then(|| self.rng.stream(&format!("conn/{}/onoff", e.index)));
        let app = server_app(&e.traffic, now, onoff_rng);
        self.push_slot(ConnSlot::new(conn, app, e.index));
    }
}

/// What the client side of `traffic` does.
fn client_app(t: &Traffic, now: SimTime) -> AppState {
    let mut a = AppState {
        last_progress_at: now,
        oracle: DeliveryOracle::for_app(),
        ..AppState::default()
    };
    match *t {
        Traffic::Download { bytes } => a.bytes_requested = bytes.bytes(),
        Traffic::DownloadFor { .. } | Traffic::ConstantRate { .. } | Traffic::OnOff { .. } => {
            a.bytes_requested = u64::MAX
        }
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
fn server_app(t: &Traffic, now: SimTime, onoff_rng: Option<SimRng>) -> AppState {
    let mut a = AppState {
        last_progress_at: now,
        oracle: DeliveryOracle::for_app(),
        ..AppState::default()
    };
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
        Traffic::OnOff {
            rate,
            on,
            off,
            duration,
            periods,
        } => {
            a.close_when_written = true;
            a.to_write = u64::MAX;
            a.write_until = Some(now + duration);
            a.rate_bps = Some(rate.bps());
            a.rate_start = now;
            let rng = onoff_rng.expect("an on/off source has its random stream");
            a.onoff = Some(Box::new(OnOffState::new(
                now,
                on,
                off,
                periods == Periods::Exponential,
                rng,
            )));
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

fn run_app(slot: &mut ConnSlot, now: SimTime) -> Result<(), Violation> {
    let role = slot.conn.role();
    let side = slot.side();
    let index = slot.index;
    let conn = &mut slot.conn;
    let app = &mut slot.app;
    if slot.peer_closed && !app.closed_sent {
        // The peer is done: close our side too (an HTTP client after the body).
        app.closed_sent = true;
        conn.close(now);
    }
    // Read everything (the application never stalls the window), each
    // in-order run checked by the delivery oracle.
    let mut got = 0;
    while let Some(range) = conn.read_range(u64::MAX) {
        let first = conn.receiver().map_or(range.start, |r| r.first_dsn());
        if let Err(fault) = app.oracle.on_delivery(first, range.clone()) {
            return Err(violation(index, side, now, range, fault));
        }
        got += range.end - range.start;
    }
    if got > 0 {
        app.bytes_delivered += got;
        app.last_rx = now;
        if app.bytes_requested != u64::MAX && app.bytes_delivered >= app.bytes_requested && app.completed_at.is_none() {
            app.completed_at = Some(now);
        }
        if let (Role::Server, Some((_, req, resp, _))) = (role, app.rr) {
            rr_server_earn(app, got, req, resp);
        }
    }
    if let (Role::Client, Some(rr)) = (role, app.rr) {
        rr_client_request(app, now, rr);
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
            allow = allow.min(rate_budget(app, now, rate));
        }
        let n = conn.write(allow);
        app.rate_written += n;
        app.bytes_written += n;
        if app.to_write != u64::MAX {
            app.to_write -= n;
        }
    }
    // Data-level progress, for the stall detector (see `run::conn_outcome`).
    let una = conn.sender().snd_una();
    if una != app.last_snd_una {
        app.last_snd_una = una;
        app.last_progress_at = now;
    }
    // Close once this end has nothing more to send (RFC 8684 3.3.3: DATA_FIN).
    let rr_done = matches!((role, app.rr), (Role::Client, Some((count, ..))) if app.rr_sent == count && app.completed_at.is_some());
    if (app.close_when_written && app.to_write == 0 || rr_done) && !app.closed_sent {
        app.closed_sent = true;
        conn.close(now);
    }
    Ok(())
}

// The request/response and constant-rate parts of `run_app` are out of
// line: a bulk transfer (most runs, and the per-packet benchmarks) skips
// them, and inlined they would spread its per-packet path over more
// instruction-cache lines; the applications that use them pay a call.

/// Requests received (server): each full request earns a response.
#[inline(never)]
fn rr_server_earn(app: &mut AppState, got: u64, req: u64, resp: u64) {
    app.rr_partial += got;
    while app.rr_partial >= req {
        app.rr_partial -= req;
        app.to_write = app.to_write.saturating_add(resp);
    }
}

/// Requests (client): the next one `think` after the previous response.
#[inline(never)]
fn rr_client_request(app: &mut AppState, now: SimTime, (count, req, resp, think): (u32, u64, u64, SimDuration)) {
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

/// What a constant-rate (or on/off) source may have written by `now`,
/// less what it wrote.
#[inline(never)]
fn rate_budget(app: &mut AppState, now: SimTime, rate: u64) -> u64 {
    let elapsed = match &mut app.onoff {
        Some(o) => {
            o.advance(now);
            o.on_time_ns(now)
        }
        None => now.saturating_since(app.rate_start).as_nanos() as u128,
    };
    let budget = (elapsed * rate as u128 / 8 / 1_000_000_000) as u64;
    budget.saturating_sub(app.rate_written)
}

/// A fault of the delivery oracle, as the run reports it (cold: never on
/// a correct run).
#[cold]
#[inline(never)]
fn violation(conn: usize, side: Side, at: SimTime, range: std::ops::Range<u64>, fault: Fault) -> Violation {
    Violation {
        conn,
        side,
        at,
        range,
        fault,
    }
}

/// The next time an application wants to act on its own.
fn app_timeout(app: &AppState, now: SimTime) -> Option<SimTime> {
    let mut t = app.rr_next_request_at;
    if app.rate_bps.is_some() && app.to_write > 0 {
        // Constant rate: wake every millisecond to release more bytes; an
        // on/off source while off only at the end of the off period.
        let tick = match &app.onoff {
            Some(o) if !o.on => o.switch_at,
            Some(o) => (now + SimDuration::from_millis(1)).min(o.switch_at),
            None => now + SimDuration::from_millis(1),
        };
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
        let key = (seg.dst_addr, seg.dst_port, seg.src_addr, seg.src_port);
        if let Some(&s) = self.by_tuple.get(&key)
            && self.conns[s].conn.owns(seg)
        {
            self.conns[s].conn.handle_segment(now, seg);
            self.after_input(s);
            return;
        }
        if seg.flags.syn && !seg.flags.ack {
            self.handle_syn(now, seg);
        }
    }

    fn handle_timeout(&mut self, now: SimTime, unit: usize) {
        if unit == OPENER {
            self.open_due(now);
            self.touch(OPENER);
            return;
        }
        let s = unit - 1;
        if self.conns[s].conn.poll_timeout().is_some_and(|t| t <= now) {
            self.conns[s].conn.handle_timeout(now);
        }
        self.after_input(s);
    }

    fn handle_iface(&mut self, now: SimTime, addr: u32, up: bool) {
        for i in &mut self.ifaces {
            if i.addr == addr {
                i.up = up;
            }
        }
        for s in 0..self.conns.len() {
            self.conns[s].conn.handle_iface(now, addr, up);
            self.after_input(s);
        }
    }

    fn handle_endpoint(&mut self, now: SimTime, addr: u32, change: models::path_manager::EndpointChange) {
        for s in 0..self.conns.len() {
            self.conns[s].conn.handle_endpoint(now, addr, change);
            self.after_input(s);
        }
    }

    fn handle_wifi_advisory(&mut self, now: SimTime, wifi_ok: bool) {
        // XNU mptcp_symptoms_ctl_send: connections hear of a change only.
        if wifi_ok == self.wifi_ok {
            return;
        }
        self.wifi_ok = wifi_ok;
        for s in 0..self.conns.len() {
            self.conns[s].conn.handle_wifi_advisory(now, wifi_ok);
            self.after_input(s);
        }
    }

    fn next_touched(&mut self) -> Option<usize> {
        if !self.touched_sorted {
            // Lowest unit last, to pop first.
            self.touched.sort_unstable_by(|a, b| b.cmp(a));
            self.touched_sorted = true;
        }
        let unit = self.touched.pop()?;
        self.listed[unit] = false;
        Some(unit)
    }

    fn run_app(&mut self, now: SimTime, unit: usize) {
        self.last_now = now;
        if unit == OPENER {
            return;
        }
        let s = unit - 1;
        if let Err(v) = run_app(&mut self.conns[s], now) {
            self.violation.get_or_insert(v);
        }
        self.drain(s);
    }

    fn poll_transmit(&mut self, now: SimTime, unit: usize) -> Option<(Side, Segment)> {
        let mut seg = Segment::default();
        let side = self.poll_transmit_into(now, unit, &mut seg)?;
        Some((side, seg))
    }

    fn poll_transmit_into(&mut self, now: SimTime, unit: usize, out: &mut Segment) -> Option<Side> {
        if unit == OPENER {
            return None;
        }
        let s = unit - 1;
        if !self.conns[s].conn.poll_transmit_into(now, out) {
            return None;
        }
        // What the connection reported while emitting (hand-overs, the
        // segment's DSS) goes out before the segment itself.
        let side = self.conns[s].side();
        self.drain(s);
        Some(side)
    }

    fn poll_timeout(&self, unit: usize) -> Option<SimTime> {
        if unit == OPENER {
            return self.next_opening();
        }
        let s = &self.conns[unit - 1];
        SimTime::earliest(s.conn.poll_timeout(), app_timeout(&s.app, self.last_now))
    }

    fn poll_event(&mut self) -> Option<(usize, Side, ConnEvent)> {
        self.events.pop_front()
    }

    fn sample(&mut self, _now: SimTime) {
        for s in 0..self.conns.len() {
            self.conns[s].conn.sample();
            self.drain(s);
        }
    }

    fn wire_len(&self, seg: &Segment) -> u32 {
        models::wire::ip_packet_len(seg, self.version) as u32
    }

    fn halted(&self) -> bool {
        self.violation.is_some()
    }
}
