//! From a scenario to what a run simulates: links, the graph that routes
//! over them, and the hosts with their connections.
//!
//! The one-client form (`client: ClientSpec(...)`) is a shorthand for a
//! topology of two hosts: `client`, whose interface `i` (address 10.1.i.2)
//! has its own uplink and downlink, and `server` (10.0.0.1), whose one
//! interface has a link to and from each client interface. An interface that
//! `shares_path_with` another is a second address on that interface's
//! links.

use models::mptcp::{ConnConfig, LocalIface, Role};
use models::path_manager::{IfaceInfo, IfaceKind as PmIfaceKind};
use models::segment::Segment;
use sim_core::{IfaceId, LinkConfig, LinkId, Network, RngStreams};

use crate::host::Host;
use crate::run::{SERVER_ADDR, SERVER_PORT, client_addr, first_port};
use crate::scenario::{ConnectionSpec, End, IfaceKind, Scenario, TopologySpec};
use crate::topology::Topology;

/// What a run simulates, before it starts.
pub struct Assembled {
    /// The links and the interfaces that bring them down and up.
    pub net: Network<Segment>,
    /// The graph and its routes.
    pub topo: Topology,
    /// The hosts with their connections to open and to accept.
    pub hosts: Vec<Host>,
    /// Host interface addresses, in the order of `iface_names` (what
    /// records' `iface` indexes).
    pub iface_addrs: Vec<u32>,
    /// Host interface names, as figures and CSV files show them.
    pub iface_names: Vec<String>,
    /// The links reported in `metrics.json`, in order.
    pub link_ids: Vec<LinkId>,
    /// Per connection: the index of its client host and of its server host.
    pub conn_hosts: Vec<(usize, usize)>,
    /// The hosts' names (`client` and `server` in the one-client form).
    pub host_names: Vec<String>,
    /// Each host's interface addresses.
    pub host_addrs: Vec<Vec<u32>>,
}

/// The scenario's link traces, each file read and parsed once, by path.
type Traces = std::collections::BTreeMap<String, std::sync::Arc<sim_core::DeliveryTrace>>;

/// Reads every trace the scenario's links name (a FatTree may name one
/// trace on hundreds of links). The scenario's check read them already, so
/// an error here is a file changed since: an error, not a panic.
fn load_traces(sc: &Scenario) -> Result<Traces, String> {
    let mut traces = Traces::new();
    for l in sc.link_specs() {
        if let Some(path) = l.trace
            && !traces.contains_key(&path)
        {
            let t = crate::scenario::load_trace(&path)?;
            traces.insert(path, std::sync::Arc::new(t));
        }
    }
    Ok(traces)
}

/// The engine's link for a direction; `lazy`: the timeline changes its
/// rate or delay, so a drop-tail link is served lazily (see
/// `sim_core::link`).
fn link_config(l: &crate::scenario::LinkSpec, traces: &Traces, lazy: bool) -> LinkConfig {
    LinkConfig {
        rate: l.rate,
        delay: l.delay,
        buffer: l.resolved_buffer(),
        loss: l.loss.clone(),
        jitter: l.jitter,
        trace: l.trace.as_ref().and_then(|p| traces.get(p).cloned()),
        qdisc: crate::scenario::QdiscSpec::config(l.qdisc.as_ref(), lazy),
    }
}

/// Whether the timeline re-plans link direction `name` (changes its rate
/// or delay).
fn replanned(sc: &Scenario, name: &str) -> bool {
    sc.timeline.iter().any(|e| e.replans() && e.iface() == name)
}

/// A segment's 5-tuple, for FQ-CoDel.
fn flow_of(seg: &Segment) -> sim_core::FlowTuple {
    sim_core::FlowTuple {
        src_addr: seg.src_addr,
        dst_addr: seg.dst_addr,
        src_port: seg.src_port,
        dst_port: seg.dst_port,
        proto: 6,
    }
}

fn pm_kind(kind: IfaceKind) -> PmIfaceKind {
    match kind {
        IfaceKind::Cellular => PmIfaceKind::Expensive,
        IfaceKind::Wifi | IfaceKind::Wired => PmIfaceKind::Preferred,
    }
}

/// Builds a checked scenario.
/// `conns` is `sc.all_connections()`.
pub fn assemble(
    sc: &Scenario,
    conns: &[ConnectionSpec],
    rng: &RngStreams,
    report_segments: bool,
) -> Result<Assembled, String> {
    let traces = load_traces(sc)?;
    match &sc.topology {
        Some(t) => Ok(assemble_topology(sc, &t.graph(), conns, rng, report_segments, &traces)),
        None => assemble_one_client(sc, rng, report_segments, &traces),
    }
}

/// The network interface that brings topology link `name` down and up (both
/// directions), as the timeline's `LinkDown` and `LinkUp` name it.
pub fn link_group_name(name: &str) -> String {
    format!("link:{name}")
}

/// Builds the topology form: links in order (link `k`'s directions are
/// network links `2k` and `2k + 1`), a network interface per host
/// interface and per link, the hosts, and their connections.
fn assemble_topology(
    sc: &Scenario,
    t: &TopologySpec,
    conns: &[ConnectionSpec],
    rng: &RngStreams,
    report_segments: bool,
    traces: &Traces,
) -> Assembled {
    use rand::Rng;
    let version = sc.mptcp_version.version();
    let mut net: Network<Segment> = Network::new();
    net.set_flow_of(flow_of);
    let mut link_ids = Vec::new();
    let mut attached: Vec<Vec<Vec<LinkId>>> = t.hosts.iter().map(|h| vec![Vec::new(); h.interfaces.len()]).collect();
    for l in &t.links {
        let name = l.resolved_name();
        let (ab_name, ba_name) = (format!("{name}.ab"), format!("{name}.ba"));
        let ab = net.add_link(&ab_name, link_config(&l.forward, traces, replanned(sc, &ab_name)), rng);
        let ba = net.add_link(
            &ba_name,
            link_config(l.resolved_reverse(), traces, replanned(sc, &ba_name)),
            rng,
        );
        link_ids.extend([ab, ba]);
        for end in [&l.between.0, &l.between.1] {
            if let Ok(End::Iface { host, iface }) = t.resolve(end) {
                attached[host][iface].extend([ab, ba]);
            }
        }
    }
    // ECMP salts from the seed, one stream per vertex.
    let mut topo = crate::scenario::topology_graph(t, |name| rng.stream(&format!("node/{name}/ecmp")).next_u64());
    let mut hosts = Vec::new();
    let mut iface_addrs = Vec::new();
    let mut iface_names = Vec::new();
    for (h, host) in t.hosts.iter().enumerate() {
        let mut local = Vec::new();
        for (j, spec) in host.interfaces.iter().enumerate() {
            let addr = TopologySpec::addr(h, j);
            let name = t.iface_name(h, j);
            let iface = net.add_iface(&name, &attached[h][j]);
            topo.notify_on(iface, h, addr);
            if !spec.initially_up {
                net.set_initial_iface_state(iface, false);
            }
            local.push(LocalIface {
                id: iface,
                addr,
                info: IfaceInfo {
                    kind: pm_kind(spec.kind),
                    addr,
                    backup: spec.backup,
                },
                up: spec.initially_up,
                // A host interface has the default endpoint, `subflow`.
                endpoint: crate::scenario::default_endpoint().map(|f| crate::scenario::endpoint_flags(&f, spec.backup)),
            });
            iface_addrs.push(addr);
            iface_names.push(name);
        }
        hosts.push(Host::new(local, *rng, version));
    }
    for (k, l) in t.links.iter().enumerate() {
        net.add_iface(&link_group_name(&l.resolved_name()), &link_ids[2 * k..2 * k + 2]);
    }
    let mut opened = vec![0usize; t.hosts.len()];
    let mut conn_hosts = Vec::new();
    for (i, c) in conns.iter().enumerate() {
        let host = |n: &Option<String>| n.as_deref().and_then(|n| t.host(n)).expect("checked");
        let (from, to) = (host(&c.from), host(&c.to));
        let port = first_port(opened[from]);
        opened[from] += 1;
        let (client_cfg, server_cfg) = conn_configs(c, version, port, report_segments);
        let server_addr = TopologySpec::addr(to, 0);
        let client_addrs: Vec<u32> = (0..t.hosts[from].interfaces.len())
            .map(|j| TopologySpec::addr(from, j))
            .collect();
        hosts[from].add_connection(i, c.start, client_cfg, c.traffic.clone(), server_addr);
        hosts[to].expect_connection(i, &client_addrs, port, server_cfg, c.traffic.clone());
        conn_hosts.push((from, to));
    }
    Assembled {
        net,
        topo,
        hosts,
        iface_addrs,
        iface_names,
        link_ids,
        conn_hosts,
        host_names: t.hosts.iter().map(|h| h.name.clone()).collect(),
        host_addrs: (0..t.hosts.len())
            .map(|h| {
                (0..t.hosts[h].interfaces.len())
                    .map(|j| TopologySpec::addr(h, j))
                    .collect()
            })
            .collect(),
    }
}

/// Builds the one-client form of a checked scenario.
fn assemble_one_client(
    sc: &Scenario,
    rng: &RngStreams,
    report_segments: bool,
    traces: &Traces,
) -> Result<Assembled, String> {
    let version = sc.mptcp_version.version();
    let mut net: Network<Segment> = Network::new();
    net.set_flow_of(flow_of);
    let mut topo = Topology::new();
    const CLIENT: usize = 0;
    const SERVER: usize = 1;
    let server_port = topo.add_port("server.eth0", SERVER, 0);
    topo.add_address(server_port, SERVER_ADDR);
    let mut local_ifaces = Vec::new();
    let mut link_ids = Vec::new();
    let mut ports = Vec::new();
    for (i, spec) in sc.client.interfaces.iter().enumerate() {
        let addr = client_addr(i);
        let (port, iface) = match (&spec.shares_path_with, &spec.uplink, &spec.downlink) {
            (Some(other), _, _) => {
                // A second address on another interface's path: same links.
                let o = sc
                    .client
                    .interfaces
                    .iter()
                    .position(|x| &x.name == other)
                    .ok_or("unknown shared path")?;
                (ports[o], net.add_iface(&spec.name, &[]))
            }
            (None, Some(u), Some(d)) => {
                let (up_name, down_name) = (format!("{}.up", spec.name), format!("{}.down", spec.name));
                let up = net.add_link(&up_name, link_config(u, traces, replanned(sc, &up_name)), rng);
                let down = net.add_link(&down_name, link_config(d, traces, replanned(sc, &down_name)), rng);
                link_ids.push(up);
                link_ids.push(down);
                let port = topo.add_port(&format!("client.{}", spec.name), CLIENT, 0);
                topo.connect(up, port, server_port);
                topo.connect(down, server_port, port);
                (port, net.add_iface(&spec.name, &[up, down]))
            }
            _ => return Err(format!("interface {:?} has no links", spec.name)),
        };
        ports.push(port);
        topo.add_address(port, addr);
        topo.notify_on(iface, CLIENT, addr);
        if !spec.initially_up {
            net.set_initial_iface_state(iface, false);
        }
        local_ifaces.push(LocalIface {
            id: iface,
            addr,
            info: IfaceInfo {
                kind: pm_kind(spec.kind),
                addr,
                backup: spec.backup,
            },
            up: spec.initially_up,
            endpoint: spec
                .endpoint
                .as_deref()
                .map(|f| crate::scenario::endpoint_flags(f, spec.backup)),
        });
    }
    let server_iface = LocalIface {
        id: IfaceId(u32::MAX),
        addr: SERVER_ADDR,
        info: IfaceInfo {
            kind: PmIfaceKind::Preferred,
            addr: SERVER_ADDR,
            backup: false,
        },
        up: true,
        // The Linux reference server has no endpoint.
        endpoint: None,
    };
    let iface_addrs: Vec<u32> = local_ifaces.iter().map(|i| i.addr).collect();
    let mut client = Host::new(local_ifaces, *rng, version);
    let mut server = Host::new(vec![server_iface], *rng, version);
    for (i, c) in sc.all_connections().iter().enumerate() {
        let (client_cfg, server_cfg) = conn_configs(c, version, first_port(i), report_segments);
        client.add_connection(i, c.start, client_cfg, c.traffic.clone(), SERVER_ADDR);
        server.expect_connection(i, &iface_addrs, first_port(i), server_cfg, c.traffic.clone());
    }
    Ok(Assembled {
        net,
        topo,
        hosts: vec![client, server],
        iface_addrs: iface_addrs.clone(),
        iface_names: sc.client.interfaces.iter().map(|i| i.name.clone()).collect(),
        link_ids,
        conn_hosts: vec![(CLIENT, SERVER); sc.connections.len()],
        host_names: vec!["client".into(), "server".into()],
        host_addrs: vec![iface_addrs, vec![SERVER_ADDR]],
    })
}

/// The client's and the server's configuration of connection `c`, whose
/// client ports start at `first_local_port`.
fn conn_configs(
    c: &crate::scenario::ConnectionSpec,
    version: models::segment::MptcpVersion,
    first_local_port: u16,
    report_segments: bool,
) -> (ConnConfig, ConnConfig) {
    let tcp = c.tcp.config(c.mss.bytes() as u32);
    let base = ConnConfig {
        role: Role::Client,
        version,
        tcp,
        cc: c.cc.factory().clone(),
        scheduler: c.scheduler.factory().clone(),
        path_manager: c.path_manager.factory().clone(),
        rcv_buf_bytes: c.rcv_buf.bytes(),
        snd_buf_bytes: c.snd_buf.bytes(),
        opportunistic_retransmission: c.opportunistic_retransmission,
        orphan_timeout: c.orphan_timeout,
        server_port: SERVER_PORT,
        first_local_port,
        meta_recovery: c.meta_recovery.config(c.stale_loss_cnt),
        // The sequence records are built from the connections' reports.
        report_segments,
    };
    // The server is a Linux host: the scenario's scheduler, and its own
    // path manager, or the client's when the server mirrors it (fullmesh),
    // or the in-kernel `default`.
    let server_pm = match &c.server_path_manager {
        Some(pm) => pm.factory().clone(),
        None if c.path_manager.mirrors_on_server() => c.path_manager.factory().clone(),
        None => crate::registry::builtin::<crate::registry::PathManagerPolicy>("default")
            .factory()
            .clone(),
    };
    let server = ConnConfig {
        role: Role::Server,
        path_manager: server_pm,
        ..base.clone()
    };
    (base, server)
}
