//! The topology form of a scenario: hosts with named interfaces, routers,
//! and links between them, each direction with its own rate, delay, buffer
//! and loss. Routes are computed from the graph (`crate::topology`).
//!
//! ```ron
//! topology: Topology(
//!     hosts: [
//!         Host(name: "phone", interfaces: [Iface(name: "wifi", kind: Wifi), Iface(name: "cell", kind: Cellular)]),
//!         Host(name: "laptop"),
//!         Host(name: "server"),
//!     ],
//!     routers: ["ap", "core"],
//!     links: [
//!         Link(between: ("phone.wifi", "ap"), forward: LinkSpec(rate: "50Mbps", delay: "2ms")),
//!         Link(between: ("laptop", "ap"), forward: LinkSpec(rate: "50Mbps", delay: "2ms")),
//!         Link(between: ("ap", "core"), forward: LinkSpec(rate: "20Mbps", delay: "10ms")),
//!         Link(between: ("phone.cell", "core"), forward: LinkSpec(rate: "5Mbps", delay: "40ms")),
//!         Link(between: ("core", "server"), forward: LinkSpec(rate: "1Gbps", delay: "1ms")),
//!     ],
//! ),
//! ```
//!
//! A link end is `HOST.IFACE`, a host's name alone when it has one
//! interface, or a router's name. Addresses: host `h` (from 0, in order)
//! interface `j` has 10.H.H.J with H = h + 1 over two bytes and J = j + 1.

use serde::{Deserialize, Serialize};

use super::{IfaceKind, LinkSpec, yes};

/// A host and its interfaces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Host")]
pub struct HostSpec {
    /// The host's name: letters, digits, `_` and `-`, unique among hosts
    /// and routers.
    pub name: String,
    /// Its interfaces, at least one. Default: one wired interface `eth0`.
    #[serde(default = "default_ifaces")]
    pub interfaces: Vec<HostIfaceSpec>,
}

fn default_ifaces() -> Vec<HostIfaceSpec> {
    vec![HostIfaceSpec {
        name: "eth0".into(),
        kind: IfaceKind::Wired,
        initially_up: true,
        backup: false,
    }]
}

/// A host interface.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Iface")]
pub struct HostIfaceSpec {
    /// Unique within the host; the timeline names it `HOST.NAME`.
    pub name: String,
    /// What kind of network it attaches to. Default: `Wired`.
    #[serde(default = "wired")]
    pub kind: IfaceKind,
    /// Up at time zero. Default: true.
    #[serde(default = "yes")]
    pub initially_up: bool,
    /// A backup endpoint (as `InterfaceSpec::backup`). Default: false.
    #[serde(default)]
    pub backup: bool,
}

fn wired() -> IfaceKind {
    IfaceKind::Wired
}

/// A link between two vertices, both directions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Link")]
pub struct TopoLinkSpec {
    /// Its name, for the timeline (`LinkDown(link: ...)`) and metrics; its
    /// directions are `NAME.ab` (first end to second) and `NAME.ba`.
    /// Default: `A-B` from the ends' names.
    #[serde(default)]
    pub name: Option<String>,
    /// The two ends.
    pub between: (String, String),
    /// The first end to the second.
    pub forward: LinkSpec,
    /// The second end to the first. Default: the same as `forward`.
    #[serde(default)]
    pub reverse: Option<LinkSpec>,
}

impl TopoLinkSpec {
    /// The link's name, default filled in.
    pub fn resolved_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.between.0, self.between.1))
    }
    /// The second end to the first, default filled in.
    pub fn resolved_reverse(&self) -> &LinkSpec {
        self.reverse.as_ref().unwrap_or(&self.forward)
    }
}

/// The `topology` of a scenario: a graph written out, or one generated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TopologyForm {
    /// Hosts, routers and links, written out.
    Topology {
        /// The hosts, at least two.
        hosts: Vec<HostSpec>,
        /// The routers' names. Default: none.
        #[serde(default)]
        routers: Vec<String>,
        /// The links.
        links: Vec<TopoLinkSpec>,
    },
    /// A k-ary fat tree (Al-Fares et al., SIGCOMM 2008): k pods of k/2 edge
    /// and k/2 aggregation switches, (k/2)^2 core switches, k^3/4 hosts
    /// `h0`, `h1`, ... (k/2 per edge switch, pod by pod), every link `link`
    /// in both directions. Between pods there are (k/2)^2 equal-cost paths.
    FatTree {
        /// Even, 2 to 32.
        k: u32,
        /// Every link, both directions.
        link: LinkSpec,
    },
    /// Client hosts `c0`, `c1`, ... with one interface `p0`, `p1`, ... per
    /// path, and one host `server`. Path `p` is a bottleneck link from
    /// router `left{p}` to router `gw` (`paths[p]`, both directions); each
    /// client interface `p{p}` reaches `left{p}` over an access link, and
    /// `gw` reaches `server` over a link of the paths' summed rate.
    Dumbbell {
        /// Client hosts, 1 to 1000.
        clients: u32,
        /// One bottleneck per path, 1 to 8.
        paths: Vec<LinkSpec>,
        /// Each client's access link to `left{p}`. Default: the path's
        /// rate with no delay.
        #[serde(default)]
        access: Option<LinkSpec>,
    },
}

/// A graph, written out.
#[derive(Clone, Debug, PartialEq)]
pub struct TopologySpec {
    /// The hosts, at least two.
    pub hosts: Vec<HostSpec>,
    /// The routers' names.
    pub routers: Vec<String>,
    /// The links.
    pub links: Vec<TopoLinkSpec>,
}

fn iface(name: String) -> HostIfaceSpec {
    HostIfaceSpec {
        name,
        kind: IfaceKind::Wired,
        initially_up: true,
        backup: false,
    }
}

fn link(a: String, b: String, forward: &LinkSpec) -> TopoLinkSpec {
    TopoLinkSpec {
        name: None,
        between: (a, b),
        forward: forward.clone(),
        reverse: None,
    }
}

impl TopologyForm {
    /// The graph, generated if need be (the parameters are checked first).
    pub fn graph(&self) -> TopologySpec {
        match self {
            TopologyForm::Topology { hosts, routers, links } => TopologySpec {
                hosts: hosts.clone(),
                routers: routers.clone(),
                links: links.clone(),
            },
            TopologyForm::FatTree { k, link: l } => fat_tree(*k as usize, l),
            TopologyForm::Dumbbell { clients, paths, access } => dumbbell(*clients as usize, paths, access.as_ref()),
        }
    }

    /// Every `LinkSpec` the form holds, to edit.
    pub fn link_specs_mut(&mut self) -> Vec<&mut LinkSpec> {
        match self {
            TopologyForm::Topology { links, .. } => links
                .iter_mut()
                .flat_map(|l| std::iter::once(&mut l.forward).chain(l.reverse.as_mut()))
                .collect(),
            TopologyForm::FatTree { link, .. } => vec![link],
            TopologyForm::Dumbbell { paths, access, .. } => paths.iter_mut().chain(access.as_mut()).collect(),
        }
    }

    /// What is wrong with a generator's parameters: the field and why.
    fn problem(&self) -> Option<(Vec<super::PathSeg<'static>>, String)> {
        use super::PathSeg::{Field as F, Index as I};
        match self {
            TopologyForm::Topology { .. } => None,
            TopologyForm::FatTree { k, link: l } => {
                if *k < 2 || *k > 32 || k % 2 == 1 {
                    return Some((vec![F("k")], format!("k is {k}; expected an even number from 2 to 32")));
                }
                super::link_problem(l).map(|(mut p, m)| {
                    p.insert(0, F("link"));
                    (p, format!("link{m}"))
                })
            }
            TopologyForm::Dumbbell { clients, paths, access } => {
                if !(1..=1000).contains(clients) {
                    return Some((vec![F("clients")], format!("{clients} clients; expected 1 to 1000")));
                }
                if paths.is_empty() || paths.len() > 8 {
                    return Some((vec![F("paths")], format!("{} paths; expected 1 to 8", paths.len())));
                }
                for (p, l) in paths.iter().chain(access.iter()).enumerate() {
                    if let Some((mut path, m)) = super::link_problem(l) {
                        let head = if p < paths.len() {
                            vec![F("paths"), I(p)]
                        } else {
                            vec![F("access")]
                        };
                        path.splice(0..0, head);
                        return Some((path, format!("dumbbell link{m}")));
                    }
                }
                None
            }
        }
    }
}

fn fat_tree(k: usize, l: &LinkSpec) -> TopologySpec {
    let half = k / 2;
    let mut hosts = Vec::new();
    let mut routers = Vec::new();
    let mut links = Vec::new();
    for c in 0..half * half {
        routers.push(format!("core{c}"));
    }
    for pod in 0..k {
        for a in 0..half {
            let agg = format!("agg{pod}_{a}");
            routers.push(agg.clone());
            for c in 0..half {
                links.push(link(agg.clone(), format!("core{}", a * half + c), l));
            }
        }
        for e in 0..half {
            let edge = format!("edge{pod}_{e}");
            routers.push(edge.clone());
            for a in 0..half {
                links.push(link(edge.clone(), format!("agg{pod}_{a}"), l));
            }
            for j in 0..half {
                let h = format!("h{}", (pod * half + e) * half + j);
                hosts.push(HostSpec {
                    name: h.clone(),
                    interfaces: vec![iface("eth0".into())],
                });
                links.push(link(h, edge.clone(), l));
            }
        }
    }
    TopologySpec { hosts, routers, links }
}

fn dumbbell(clients: usize, paths: &[LinkSpec], access: Option<&LinkSpec>) -> TopologySpec {
    let mut hosts = Vec::new();
    let mut links = Vec::new();
    let mut routers: Vec<String> = (0..paths.len()).map(|p| format!("left{p}")).collect();
    routers.push("gw".into());
    for c in 0..clients {
        hosts.push(HostSpec {
            name: format!("c{c}"),
            interfaces: (0..paths.len()).map(|p| iface(format!("p{p}"))).collect(),
        });
        for (p, path) in paths.iter().enumerate() {
            let a = access.cloned().unwrap_or_else(|| LinkSpec {
                delay: sim_core::SimDuration::ZERO,
                buffer: None,
                loss: Default::default(),
                jitter: None,
                qdisc: None,
                ..path.clone()
            });
            links.push(link(format!("c{c}.p{p}"), format!("left{p}"), &a));
        }
    }
    hosts.push(HostSpec {
        name: "server".into(),
        interfaces: vec![iface("eth0".into())],
    });
    for (p, path) in paths.iter().enumerate() {
        links.push(TopoLinkSpec {
            name: Some(format!("path{p}")),
            ..link(format!("left{p}"), "gw".into(), path)
        });
    }
    let total = paths.iter().map(|p| p.rate.bps()).sum::<u64>();
    let fast = LinkSpec {
        rate: sim_core::Bandwidth::from_bps(total.saturating_mul(2)).unwrap_or(paths[0].rate),
        delay: sim_core::SimDuration::ZERO,
        buffer: None,
        loss: Default::default(),
        jitter: None,
        trace: None,
        qdisc: None,
    };
    links.push(link("gw".into(), "server".into(), &fast));
    TopologySpec { hosts, routers, links }
}

/// A link end, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Interface `iface` of host `host`.
    Iface {
        /// Index into `hosts`.
        host: usize,
        /// Index into the host's `interfaces`.
        iface: usize,
    },
    /// Router `router`, an index into `routers`.
    Router(usize),
}

impl TopologySpec {
    /// Host `h`'s interface `j`'s address: 10.H.H.J, H = h + 1 (two
    /// bytes), J = j + 1.
    pub fn addr(h: usize, j: usize) -> u32 {
        0x0a00_0000 | (((h as u32 + 1) & 0xffff) << 8) | (j as u32 + 1)
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.name == name)
    }

    /// What a link end's text names, or why it names nothing.
    pub fn resolve(&self, end: &str) -> Result<End, String> {
        if let Some(r) = self.routers.iter().position(|r| r == end) {
            return Ok(End::Router(r));
        }
        if let Some((h, i)) = end.split_once('.') {
            let Some(host) = self.host(h) else {
                return Err(format!(
                    "{end:?} names no host {h:?}; expected HOST.IFACE with HOST one of {}",
                    quoted(self.hosts.iter().map(|x| x.name.as_str()))
                ));
            };
            return match self.hosts[host].interfaces.iter().position(|x| x.name == i) {
                Some(iface) => Ok(End::Iface { host, iface }),
                None => Err(format!(
                    "host {h:?} has no interface {i:?}; expected one of {}",
                    quoted(self.hosts[host].interfaces.iter().map(|x| x.name.as_str()))
                )),
            };
        }
        match self.host(end) {
            Some(host) if self.hosts[host].interfaces.len() == 1 => Ok(End::Iface { host, iface: 0 }),
            Some(_) => Err(format!(
                "host {end:?} has several interfaces; expected HOST.IFACE, such as \"{end}.{}\"",
                self.hosts[self.host(end).unwrap_or(0)].interfaces[0].name
            )),
            None => Err(format!(
                "{end:?} names no host or router; expected a router ({}), a host with one interface, or HOST.IFACE",
                quoted(self.routers.iter().map(String::as_str))
            )),
        }
    }

    /// The name an interface has in the timeline, figures and CSV files.
    pub fn iface_name(&self, host: usize, iface: usize) -> String {
        format!("{}.{}", self.hosts[host].name, self.hosts[host].interfaces[iface].name)
    }
}

fn quoted<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = names.map(|n| format!("{n:?}")).collect();
    if v.is_empty() { "none".into() } else { v.join(", ") }
}

/// The routing graph of a topology: vertex 0.. for routers, then one per
/// host interface; link `k` of the spec is network links `2k` (forward)
/// and `2k + 1` (reverse). The run builds its network in the same order.
pub fn graph(t: &TopologySpec, salt: impl Fn(&str) -> u64) -> crate::topology::Topology {
    use crate::topology::Topology;
    use sim_core::LinkId;
    let mut g = Topology::new();
    let routers: Vec<_> = t.routers.iter().map(|r| g.add_router(r, salt(r))).collect();
    let mut ports = Vec::new();
    for (h, host) in t.hosts.iter().enumerate() {
        let mut v = Vec::new();
        for (j, _) in host.interfaces.iter().enumerate() {
            let name = t.iface_name(h, j);
            let p = g.add_port(&name, h, salt(&name));
            g.add_address(p, TopologySpec::addr(h, j));
            v.push(p);
        }
        ports.push(v);
    }
    let node = |e: End| match e {
        End::Router(r) => routers[r],
        End::Iface { host, iface } => ports[host][iface],
    };
    for (k, l) in t.links.iter().enumerate() {
        let (Ok(a), Ok(b)) = (t.resolve(&l.between.0), t.resolve(&l.between.1)) else {
            continue;
        };
        g.connect(LinkId(2 * k as u32), node(a), node(b));
        g.connect(LinkId(2 * k as u32 + 1), node(b), node(a));
    }
    g
}

type ErrFn<'e> = &'e dyn Fn(&[super::PathSeg<'_>], String) -> Result<(), super::ScenarioError>;

fn simple_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The checks of the topology form.
pub(super) fn check(sc: &super::Scenario, form: &TopologyForm, err: ErrFn<'_>) -> Result<(), super::ScenarioError> {
    use super::PathSeg::{Field as F, Index as I};
    use super::{MAX_INTERFACES, MAX_NAME_CHARS};
    const TOPO: super::PathSeg<'static> = F("topology");
    if let Some((path, m)) = form.problem() {
        let mut full = vec![TOPO];
        full.extend(path);
        return err(&full, m);
    }
    let t = &form.graph();
    if !sc.client.interfaces.is_empty() {
        return err(
            &[F("client")],
            "a scenario has either `client` (one client, one server) or `topology`, not both".into(),
        );
    }
    if t.hosts.len() < 2 {
        return err(
            &[TOPO, F("hosts")],
            format!(
                "{} host(s); expected at least two (a connection joins two hosts)",
                t.hosts.len()
            ),
        );
    }
    let mut seen: Vec<(&str, Vec<super::PathSeg<'static>>)> = Vec::new();
    let named = |name: &str,
                 path: Vec<super::PathSeg<'static>>,
                 what: &str,
                 seen: &mut Vec<(&str, Vec<super::PathSeg<'static>>)>|
     -> Result<(), super::ScenarioError> {
        if name.chars().count() > MAX_NAME_CHARS || !simple_name(name) {
            return err(
                &path,
                format!(
                    "{what} name {name:?} is not a simple name; expected up to {MAX_NAME_CHARS} letters, digits, '_' or '-'"
                ),
            );
        }
        if seen.iter().any(|(n, _)| *n == name) {
            return err(
                &path,
                format!("{what} name {name:?} is used twice; expected a unique name for each host and router"),
            );
        }
        Ok(())
    };
    for (h, host) in t.hosts.iter().enumerate() {
        let path = vec![TOPO, F("hosts"), I(h), F("name")];
        named(&host.name, path.clone(), "host", &mut seen)?;
        seen.push((host.name.as_str(), path));
        if host.interfaces.is_empty() || host.interfaces.len() > MAX_INTERFACES {
            return err(
                &[TOPO, F("hosts"), I(h), F("interfaces")],
                format!(
                    "host {:?} has {} interfaces; expected 1 to {MAX_INTERFACES}",
                    host.name,
                    host.interfaces.len()
                ),
            );
        }
        for (j, i) in host.interfaces.iter().enumerate() {
            let at = [TOPO, F("hosts"), I(h), F("interfaces"), I(j), F("name")];
            if i.name.chars().count() > MAX_NAME_CHARS || !simple_name(&i.name) {
                return err(
                    &at,
                    format!(
                        "interface name {:?} is not a simple name; expected up to {MAX_NAME_CHARS} letters, digits, '_' or '-'",
                        i.name
                    ),
                );
            }
            if host.interfaces[..j].iter().any(|o| o.name == i.name) {
                return err(
                    &at,
                    format!(
                        "host {:?} has two interfaces named {:?}; expected unique names",
                        host.name, i.name
                    ),
                );
            }
        }
    }
    for (r, name) in t.routers.iter().enumerate() {
        let path = vec![TOPO, F("routers"), I(r)];
        named(name, path.clone(), "router", &mut seen)?;
        seen.push((name.as_str(), path));
    }
    if t.links.is_empty() {
        return err(
            &[TOPO, F("links")],
            "there are no links; expected at least one Link(...)".into(),
        );
    }
    let mut attached: Vec<Vec<Option<usize>>> = t.hosts.iter().map(|h| vec![None; h.interfaces.len()]).collect();
    let mut link_names: Vec<String> = Vec::new();
    for (k, l) in t.links.iter().enumerate() {
        let at = |rest: &[super::PathSeg<'static>]| [&[TOPO, F("links"), I(k)][..], rest].concat();
        let mut ends = Vec::new();
        for (e, text) in [(0, &l.between.0), (1, &l.between.1)] {
            match t.resolve(text) {
                Ok(end) => ends.push(end),
                Err(m) => return err(&at(&[F("between"), I(e)]), m),
            }
        }
        if ends[0] == ends[1] {
            return err(
                &at(&[F("between")]),
                format!("a link from {:?} to itself; expected two different ends", l.between.0),
            );
        }
        for (e, end) in ends.iter().enumerate() {
            if let End::Iface { host, iface } = *end {
                if let Some(first) = attached[host][iface] {
                    return err(
                        &at(&[F("between"), I(e)]),
                        format!(
                            "interface {:?} is already attached by link {first}; expected each host interface on one link (add an interface, or a router)",
                            t.iface_name(host, iface)
                        ),
                    );
                }
                attached[host][iface] = Some(k);
            }
        }
        let name = l.resolved_name();
        if name.chars().count() > 2 * MAX_NAME_CHARS + 1
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        {
            return err(
                &at(&[F("name")]),
                format!("link name {name:?} is not a simple name; expected letters, digits, '_', '-' or '.'"),
            );
        }
        if link_names.contains(&name) {
            return err(
                &at(&[F("name")]),
                format!("link name {name:?} is used twice; expected a unique `name` for each link"),
            );
        }
        link_names.push(name);
        for (field, spec) in [("forward", Some(&l.forward)), ("reverse", l.reverse.as_ref())] {
            let Some(spec) = spec else { continue };
            if let Some((rest, m)) = super::link_problem(spec) {
                let mut path = at(&[F(field)]);
                path.extend(rest);
                return err(&path, format!("link {:?} {field}{m}", l.resolved_name()));
            }
        }
    }
    for (h, host) in t.hosts.iter().enumerate() {
        for (j, _) in host.interfaces.iter().enumerate() {
            if attached[h][j].is_none() {
                return err(
                    &[TOPO, F("hosts"), I(h), F("interfaces"), I(j), F("name")],
                    format!(
                        "interface {:?} is on no link; expected a Link(between: ({:?}, ...), ...)",
                        t.iface_name(h, j),
                        t.iface_name(h, j)
                    ),
                );
            }
        }
    }
    // Timeline names.
    let ifaces: Vec<String> = (0..t.hosts.len())
        .flat_map(|h| (0..t.hosts[h].interfaces.len()).map(move |j| (h, j)))
        .map(|(h, j)| t.iface_name(h, j))
        .collect();
    for (k, ev) in sc.timeline.iter().enumerate() {
        if ev.names_direction() {
            // Checked with the one-client form's (link directions).
            continue;
        }
        let (known, what) = if ev.target_field() == "iface" {
            (&ifaces, "interface")
        } else {
            (&link_names, "link")
        };
        if !known.iter().any(|n| n == ev.iface()) {
            return err(
                &[F("timeline"), I(k), F(ev.target_field())],
                format!(
                    "the timeline names {what} {:?}, which is not defined; expected one of {}",
                    ev.iface(),
                    quoted(known.iter().map(String::as_str))
                ),
            );
        }
        if let Some((h, j)) = (0..t.hosts.len())
            .flat_map(|h| (0..t.hosts[h].interfaces.len()).map(move |j| (h, j)))
            .find(|&(h, j)| t.iface_name(h, j) == ev.iface())
            && let Some(m) = ev.iface_kind_problem(t.hosts[h].interfaces[j].kind)
        {
            return err(&[F("timeline"), I(k), F("iface")], m);
        }
    }
    // Generators of connections: their parameters.
    let names: Vec<String> = t.hosts.iter().map(|h| h.name.clone()).collect();
    for (k, f) in sc.flows.iter().enumerate() {
        let at = |rest: &[super::PathSeg<'static>]| [&[F("flows"), I(k)][..], rest].concat();
        if let Err(name) = f.host_set(&names) {
            let i = f.hosts.iter().flatten().position(|n| *n == name).unwrap_or(0);
            return err(
                &at(&[F("hosts"), I(i)]),
                format!(
                    "{name:?} names no host; expected one of {}",
                    quoted(names.iter().map(String::as_str))
                ),
            );
        }
        if let super::Pattern::Incast { to } = &f.pattern
            && !names.contains(to)
        {
            return err(
                &at(&[F("pattern"), F("to")]),
                format!(
                    "{to:?} names no host; expected one of {}",
                    quoted(names.iter().map(String::as_str))
                ),
            );
        }
        if f.count == 0 || f.count as usize > super::flows::MAX_GENERATED {
            return err(
                &at(&[F("count")]),
                format!("count {}; expected 1 to {}", f.count, super::flows::MAX_GENERATED),
            );
        }
        if f.connection.from.is_some() || f.connection.to.is_some() {
            return err(
                &at(&[F("connection")]),
                "a template with `from` or `to`; expected neither (the pattern chooses them)".into(),
            );
        }
        if let Some((field, m)) = f.size.as_ref().and_then(|d| d.problem()) {
            return err(&at(&[F("size"), F(field)]), m);
        }
        match f.starts {
            super::Starts::Uniform { within: d } | super::Starts::Poisson { mean_gap: d } if d.is_zero() => {
                return err(
                    &at(&[F("starts")]),
                    "a spread of 0s; expected a positive duration (or `Together`)".into(),
                );
            }
            _ => {}
        }
        let set = f.host_set(&names).unwrap_or_default();
        let generated = set.len().saturating_mul(f.count as usize);
        if generated > super::flows::MAX_GENERATED {
            return err(
                &at(&[F("count")]),
                format!(
                    "{} hosts x {} connections is {generated}; expected at most {}",
                    set.len(),
                    f.count,
                    super::flows::MAX_GENERATED
                ),
            );
        }
    }
    // Connections: named hosts, joined by a route.
    let mut g = graph(t, |_| 0);
    let mut per_host = vec![0usize; t.hosts.len()];
    let explicit = sc
        .connections
        .iter()
        .enumerate()
        .map(|(k, c)| (vec![F("connections"), I(k)], c.clone(), true));
    let generated = sc
        .generated()
        .into_iter()
        .map(|(f, c)| (vec![F("flows"), I(f), F("pattern")], c, false));
    for (site, c, written) in explicit.chain(generated) {
        // A generated connection is located at its generator's pattern.
        let at = |f: &'static str| {
            let mut p = site.clone();
            if written {
                p.push(F(f));
            }
            p
        };
        let host_of = |f: &'static str, v: &Option<String>| -> Result<usize, super::ScenarioError> {
            let Some(name) = v else {
                err(
                    &site,
                    format!("a connection of the topology form needs `{f}`: the name of a host"),
                )?;
                unreachable!("err returns an error")
            };
            match t.host(name) {
                Some(h) => Ok(h),
                None => {
                    err(
                        &at(f),
                        format!(
                            "{f} {name:?} names no host; expected one of {}",
                            quoted(t.hosts.iter().map(|h| h.name.as_str()))
                        ),
                    )?;
                    unreachable!("err returns an error")
                }
            }
        };
        let from = host_of("from", &c.from)?;
        let to = host_of("to", &c.to)?;
        if from == to {
            return err(
                &at("to"),
                format!(
                    "the connection goes from {:?} to itself; expected another host",
                    t.hosts[to].name
                ),
            );
        }
        per_host[from] += 1;
        if per_host[from] > crate::run::MAX_CONNECTIONS {
            return err(
                &site,
                format!(
                    "host {:?} opens more than {} connections; expected at most {} per host (each takes 64 client ports of its own)",
                    t.hosts[from].name,
                    crate::run::MAX_CONNECTIONS,
                    crate::run::MAX_CONNECTIONS
                ),
            );
        }
        let dst = TopologySpec::addr(to, 0);
        let reachable = (0..t.hosts[from].interfaces.len()).any(|j| {
            let probe = probe_segment(TopologySpec::addr(from, j), dst);
            g.route(&probe).is_some() && g.route(&probe_segment(dst, TopologySpec::addr(from, j))).is_some()
        });
        if !reachable {
            return err(
                &at("to"),
                format!(
                    "no route joins {:?} and {:?} in both directions; expected links (through routers) between them",
                    t.hosts[from].name, t.hosts[to].name
                ),
            );
        }
    }
    Ok(())
}

/// A bare segment between two addresses, to ask the routes.
fn probe_segment(src: u32, dst: u32) -> models::segment::Segment {
    models::segment::Segment {
        src_addr: src,
        dst_addr: dst,
        ..Default::default()
    }
}
