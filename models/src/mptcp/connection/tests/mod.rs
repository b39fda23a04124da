//! Protocol tests of two MPTCP connections over the shared harness
//! [`crate::testing::pair::MultiPair`]: a client connection with one
//! interface per path (each path two `sim_core` links, a propagation delay
//! and a serialisation rate each way, FIFO without limit, exact drop lists
//! by index), to a server connection made from the first SYN that reaches
//! the server address. Segments are routed by address; the server is
//! handed its subflows' segments and the join SYNs that name its token,
//! as `experiments`' host does.
//!
//! [`Net`] here adds the applications, as `experiments`' host runs them:
//! each side writes what it was given to write (again whenever the send
//! buffer has room), reads everything at once, closes once everything is
//! written if asked to, and closes when the peer's DATA_FIN has arrived
//! (`PeerClosed`). Every event of both connections is kept with its time.
//!
//! By topic: `handshake` (MP_CAPABLE, MP_JOIN), `reinjection`,
//! `handover` (iOS: zero window before the RST), `close` (DATA_FIN,
//! MP_FASTCLOSE), `fallback` (plain TCP).

mod close;
mod dss;
mod events;
mod fallback;
mod handover;
mod handshake;
mod in_kernel;
mod options_len;
mod poll;
mod reinjection;
mod subflow_numbers;
mod upstream_rtx;

use std::ops::{Deref, DerefMut};

use sim_core::{Bandwidth, RngStreams};

use super::*;
use crate::path_manager::IfaceKind;
use crate::ranges::RangeSet;
use crate::testing::pair::{self, MultiPair};

/// The server's one address.
const SERVER: u32 = 0x0a00_0001;
/// The client's Wi-Fi address (preferred).
const WIFI: u32 = 0x0a01_0002;
/// The client's cellular address (expensive).
const CELL: u32 = 0x0a02_0002;

fn cfg(role: Role, pm: Arc<dyn PathManagerFactory>) -> ConnConfig {
    ConnConfig {
        role,
        version: MptcpVersion::V1,
        tcp: TcpConfig::default(),
        cc: Arc::new(crate::cc::RenoConfig {}),
        scheduler: Arc::new(crate::scheduler::MinRttConfig {}),
        path_manager: pm,
        rcv_buf_bytes: 1 << 20,
        snd_buf_bytes: 1 << 20,
        opportunistic_retransmission: true,
        orphan_timeout: SimDuration::from_secs(30),
        server_port: 80,
        first_local_port: 40000,
        meta_recovery: MetaRecovery::OutOfTree,
        report_segments: false,
    }
}

fn iface(id: u32, addr: u32, kind: IfaceKind, up: bool) -> LocalIface {
    LocalIface {
        id: IfaceId(id),
        addr,
        info: IfaceInfo {
            kind,
            addr,
            backup: false,
        },
        up,
        endpoint: Some(path_manager::EndpointFlags {
            subflow: true,
            ..Default::default()
        }),
    }
}

/// Interface 0: Wi-Fi, up.
fn wifi() -> LocalIface {
    iface(0, WIFI, IfaceKind::Preferred, true)
}

/// Interface 1: cellular, up.
fn cell() -> LocalIface {
    iface(1, CELL, IfaceKind::Expensive, true)
}

fn fullmesh() -> Arc<dyn PathManagerFactory> {
    Arc::new(path_manager::FullMeshConfig::default())
}

fn linux_default() -> Arc<dyn PathManagerFactory> {
    Arc::new(path_manager::LinuxDefaultConfig {})
}

fn at_ms(v: u64) -> SimTime {
    SimTime::from_millis(v)
}

/// One side's application.
#[derive(Debug, Default)]
struct App {
    /// Bytes still to write.
    to_write: u64,
    /// Close once everything is written.
    close_when_written: bool,
    /// Close when the peer's DATA_FIN has arrived.
    close_on_peer_close: bool,
    closed: bool,
    /// Bytes read.
    read: u64,
    events: Vec<(SimTime, ConnEvent)>,
}

impl App {
    /// Takes the connection's events, reads, writes and closes; whether it
    /// did anything.
    fn run(&mut self, now: SimTime, conn: &mut Connection) -> bool {
        let mut moved = false;
        let mut peer_closed = false;
        while let Some(e) = conn.poll_event() {
            peer_closed |= e == ConnEvent::PeerClosed;
            self.events.push((now, e));
            moved = true;
        }
        self.read += conn.read(u64::MAX);
        if self.to_write > 0 {
            let n = conn.write(self.to_write);
            self.to_write -= n;
            moved |= n > 0;
        }
        let done = self.close_when_written && self.to_write == 0;
        if !self.closed && (done || peer_closed && self.close_on_peer_close) {
            self.closed = true;
            conn.close(now);
            moved = true;
        }
        moved
    }

    /// Its connection's key (from `Started`).
    fn key(&self) -> u64 {
        self.events
            .iter()
            .find_map(|&(_, e)| match e {
                ConnEvent::Started { local_key } => Some(local_key),
                _ => None,
            })
            .expect("every connection starts with Started")
    }

    /// The events matching `f`, with their times.
    fn find(&self, f: impl Fn(&ConnEvent) -> bool) -> Vec<(SimTime, ConnEvent)> {
        self.events.iter().copied().filter(|(_, e)| f(e)).collect()
    }
}

/// The harness with both applications on top; it dereferences to the
/// harness (`n.a` the client, `n.b` the server, `n.path(addr)`, `n.now`).
struct Net {
    net: MultiPair<Connection>,
    client: App,
    server: App,
}

impl Deref for Net {
    type Target = MultiPair<Connection>;
    fn deref(&self) -> &Self::Target {
        &self.net
    }
}

impl DerefMut for Net {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.net
    }
}

impl Net {
    /// A client with these path managers and interfaces, one path per
    /// interface at 10 Mbit/s each way with the given one-way delay (ms);
    /// the server's interface is `SERVER`. Paths of interfaces that are
    /// down start with their links down.
    fn new(
        client_pm: Arc<dyn PathManagerFactory>,
        server_pm: Arc<dyn PathManagerFactory>,
        ifaces: &[(LocalIface, u64)],
    ) -> Self {
        Self::with(cfg(Role::Client, client_pm), cfg(Role::Server, server_pm), ifaces)
    }

    fn with(client: ConnConfig, server: ConnConfig, ifaces: &[(LocalIface, u64)]) -> Self {
        let rate = Bandwidth::from_mbps(10).unwrap();
        let paths = ifaces.iter().map(|&(i, delay_ms)| {
            let link = pair::unbounded(rate, SimDuration::from_millis(delay_ms));
            (i.addr, link.clone(), link)
        });
        let local: Vec<LocalIface> = ifaces.iter().map(|&(i, _)| i).collect();
        let c = Connection::client(
            SimTime::ZERO,
            client,
            RngStreams::new(7).stream("c"),
            local.clone(),
            SERVER,
        );
        let server_iface = iface(9, SERVER, IfaceKind::Preferred, true);
        let accept = move |now: SimTime, syn: &Segment| {
            (syn.flags.syn && !syn.flags.ack)
                .then(|| Connection::accept(now, server.clone(), RngStreams::new(7).stream("s"), server_iface, syn))
        };
        let mut net = MultiPair::new(c, accept, paths);
        for i in local.iter().filter(|i| !i.up) {
            net.set_links_up(i.addr, false);
        }
        let app = || App {
            close_on_peer_close: true,
            ..App::default()
        };
        Net {
            net,
            client: app(),
            server: app(),
        }
    }

    /// The server connection (once the SYN arrived).
    fn s(&self) -> &Connection {
        self.net.b.as_ref().expect("the server exists once the SYN arrived")
    }

    /// Applications and transmissions until nothing moves.
    fn pump(&mut self) {
        let net = &mut self.net;
        loop {
            let mut moved = self.client.run(net.now, &mut net.a);
            if let Some(s) = net.b.as_mut() {
                moved |= self.server.run(net.now, s);
            }
            moved |= net.transmit_b();
            moved |= net.transmit_a();
            if !moved {
                break;
            }
        }
    }

    /// Advances to the next event; false when nothing is left.
    fn step(&mut self) -> bool {
        self.pump();
        if !self.net.advance() {
            return false;
        }
        self.pump();
        true
    }

    /// Runs until `limit` (time passes idle when nothing is left to do).
    fn run(&mut self, limit: SimTime) {
        while self.now < limit && self.step() {}
        self.net.now = self.now.max(limit);
    }

    /// Runs until `cond` holds (checked after each step) or `limit`.
    fn run_until(&mut self, limit: SimTime, mut cond: impl FnMut(&Net) -> bool) {
        while self.now < limit && !cond(self) && self.step() {}
    }

    /// Every segment sent either way on every path, with its send time.
    fn all_segments(&self) -> impl Iterator<Item = &pair::Sent<Segment>> {
        self.paths.iter().flat_map(|p| p.ab.log.iter().chain(&p.ba.log))
    }
}

/// The MP_JOIN option of a segment, if any.
fn join(seg: &Segment) -> Option<MpJoin> {
    seg.options.mptcp.iter().find_map(|o| match o {
        MptcpOption::MpJoin(j) => Some(*j),
        _ => None,
    })
}

/// The data sequence numbers of the payload of `seg`, a segment of the
/// subflow whose initial sequence number is `iss` (from its DSS mapping:
/// the mapping's DSN plus the payload's offset in it, RFC 8684 3.3.1).
fn payload_dsns(seg: &Segment, iss: u64) -> Option<std::ops::Range<u64>> {
    let m = seg.options.mptcp.dss()?.mapping?;
    let offset = seg.seq - iss - u64::from(m.ssn_rel);
    let start = m.dsn + offset;
    Some(start..start + u64::from(seg.payload_len))
}

/// The DSNs of the payloads of `log`'s segments that match `f`.
fn dsns<'a>(
    log: impl IntoIterator<Item = &'a pair::Sent<Segment>>,
    iss: u64,
    f: impl Fn(&pair::Sent<Segment>) -> bool,
) -> RangeSet {
    let mut set = RangeSet::new();
    for s in log.into_iter().filter(|s| s.seg.payload_len > 0 && f(s)) {
        let r = payload_dsns(&s.seg, iss).expect("every data segment carries a mapping");
        set.insert(r);
    }
    set
}
