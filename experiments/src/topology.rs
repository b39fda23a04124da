//! The network graph and its routing tables.
//!
//! Vertices are routers and host interfaces ("ports"); every link is one
//! direction between two vertices. A host interface holds one or more
//! addresses (a second address on the same path, `shares_path_with`).
//! Hosts never forward: a segment leaves a host on a link of the interface
//! that owns its source address (policy routing, as a phone binds a
//! subflow to its interface), crosses routers, and is delivered at the
//! interface that owns its destination address.
//!
//! Routes are shortest paths in hops, computed from the graph per
//! destination on first use (one breadth-first search over the reversed
//! graph) and cached. Where several next hops are equally short, the
//! router (or host) picks one by a hash of the segment's 5-tuple, salted
//! per node from the seed: equal-cost multi-path as Linux's
//! `fib_multipath_hash` policy 1 (layer 4) does, so all segments of one
//! subflow follow one path and different subflows spread over the paths.
//!
//! Simplified: routes are static. A link that goes down stays in the
//! tables and drops what it is offered (there is no routing protocol to
//! converge), as a router with static routes and no link monitoring would.

use models::segment::Segment;
use sim_core::{IfaceId, LinkId, mix64};

use crate::fxhash::FxHashMap;

/// A vertex of the graph: a router or a host interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// What a vertex is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// Forwards by destination.
    Router,
    /// An interface of host `host` (an index into the world's hosts).
    Port {
        /// The host the interface belongs to.
        host: usize,
    },
}

#[derive(Clone, Debug)]
struct Node {
    name: String,
    kind: NodeKind,
    /// ECMP hash salt.
    salt: u64,
    out_links: Vec<LinkId>,
    in_links: Vec<LinkId>,
}

#[derive(Clone, Copy, Debug)]
struct Ends {
    from: NodeId,
    to: NodeId,
}

/// "No route" in a distance table.
const UNREACHABLE: u32 = u32::MAX;

/// The graph, its addresses and its routes.
#[derive(Clone, Debug, Default)]
pub struct Topology {
    nodes: Vec<Node>,
    /// Indexed by `LinkId`; `None` for a network link the topology does
    /// not know (none today).
    links: Vec<Option<Ends>>,
    /// Address to the interface that holds it (lookups only, never
    /// iterated: iteration order would not be deterministic).
    addrs: FxHashMap<u32, NodeId>,
    /// Per network interface (`IfaceId`): the (host, address) pairs to
    /// tell when it goes down or up.
    iface_addrs: Vec<Vec<(usize, u32)>>,
    /// The next hops of every vertex towards a destination vertex, by
    /// destination, computed on first use (see [`NextHops`]).
    next_hops: Vec<Option<NextHops>>,
}

/// Where every vertex sends a packet for one destination: per vertex one
/// word, [`NO_ROUTE`], one link (`LinkId`, the high bit clear), or, with
/// the high bit set, the index of its equal-cost links in `ecmp`. As many
/// words as the hop-distance table it is made from, so a topology with
/// many destinations keeps the memory it had; a packet finds its next hop
/// without scanning the vertex's out links (issue 18).
#[derive(Clone, Debug)]
struct NextHops {
    hop: Box<[u32]>,
    /// Equal-cost next hops of the vertices that have several, each run in
    /// out-link order: (start, count) in `links`.
    ecmp: Vec<(u32, u32)>,
    links: Vec<LinkId>,
}

/// No next hop: the destination is unreachable from the vertex (or is the
/// vertex).
const NO_ROUTE: u32 = u32::MAX;
/// The high bit of a [`NextHops`] word: an index into its `ecmp` runs.
const ECMP_BIT: u32 = 1 << 31;

impl Topology {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    fn add_node(&mut self, name: &str, kind: NodeKind, salt: u64) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            name: name.to_string(),
            kind,
            salt,
            out_links: Vec::new(),
            in_links: Vec::new(),
        });
        self.next_hops.clear();
        id
    }

    /// Adds a router; `salt` keys its ECMP hash.
    pub fn add_router(&mut self, name: &str, salt: u64) -> NodeId {
        self.add_node(name, NodeKind::Router, salt)
    }

    /// Adds an interface of host `host`; `salt` keys its ECMP hash (a host
    /// interface with several links to equal-cost next hops).
    pub fn add_port(&mut self, name: &str, host: usize, salt: u64) -> NodeId {
        self.add_node(name, NodeKind::Port { host }, salt)
    }

    /// Gives interface `port` the address `addr`.
    pub fn add_address(&mut self, port: NodeId, addr: u32) {
        self.addrs.insert(addr, port);
    }

    /// Records that network link `link` carries packets from `from` to `to`.
    pub fn connect(&mut self, link: LinkId, from: NodeId, to: NodeId) {
        let i = link.0 as usize;
        if self.links.len() <= i {
            self.links.resize(i + 1, None);
        }
        self.links[i] = Some(Ends { from, to });
        self.nodes[from.0 as usize].out_links.push(link);
        self.nodes[to.0 as usize].in_links.push(link);
        self.next_hops.clear();
    }

    /// Records that host `host` is told about network interface `iface`
    /// going down or up, as its address `addr`.
    pub fn notify_on(&mut self, iface: IfaceId, host: usize, addr: u32) {
        let i = iface.0 as usize;
        if self.iface_addrs.len() <= i {
            self.iface_addrs.resize(i + 1, Vec::new());
        }
        self.iface_addrs[i].push((host, addr));
    }

    /// The (host, address) pairs that network interface `iface` concerns.
    pub fn iface_addrs(&self, iface: IfaceId) -> &[(usize, u32)] {
        self.iface_addrs.get(iface.0 as usize).map_or(&[], |v| v.as_slice())
    }

    /// The vertex a link leads to.
    pub fn link_to(&self, link: LinkId) -> Option<NodeId> {
        self.links.get(link.0 as usize).copied().flatten().map(|e| e.to)
    }

    /// The vertex a link leaves from.
    pub fn link_from(&self, link: LinkId) -> Option<NodeId> {
        self.links.get(link.0 as usize).copied().flatten().map(|e| e.from)
    }

    /// What vertex `node` is.
    pub fn kind(&self, node: NodeId) -> NodeKind {
        self.nodes[node.0 as usize].kind
    }

    /// The vertex's name.
    pub fn name(&self, node: NodeId) -> &str {
        &self.nodes[node.0 as usize].name
    }

    /// The interface holding `addr`.
    pub fn node_of_addr(&self, addr: u32) -> Option<NodeId> {
        self.addrs.get(&addr).copied()
    }

    /// Hop distances to `dst` from every router (and 0 at `dst`): the
    /// distance of an out link's far end, which picks next hops.
    fn distances(&self, dst: NodeId) -> Box<[u32]> {
        let d = dst.0 as usize;
        let mut dist = vec![UNREACHABLE; self.nodes.len()].into_boxed_slice();
        dist[d] = 0;
        let mut queue = std::collections::VecDeque::from([dst]);
        while let Some(v) = queue.pop_front() {
            let next = dist[v.0 as usize] + 1;
            for &l in &self.nodes[v.0 as usize].in_links {
                let Some(Some(e)) = self.links.get(l.0 as usize) else {
                    continue;
                };
                let u = e.from.0 as usize;
                // A host interface is a source, never a relay: only
                // routers (and the destination) have a distance.
                if dist[u] == UNREACHABLE && self.nodes[u].kind == NodeKind::Router {
                    dist[u] = next;
                    queue.push_back(e.from);
                }
            }
        }
        dist
    }

    /// The out links of `node` on a shortest path by `dist`, in out-link
    /// order: those whose far end is nearest the destination.
    fn best_links<'a>(&'a self, node: &'a Node, dist: &'a [u32]) -> impl Iterator<Item = LinkId> + 'a {
        let to = |l: LinkId| self.links[l.0 as usize].expect("a topology link").to.0 as usize;
        let best = node.out_links.iter().map(|&l| dist[to(l)]).min().unwrap_or(UNREACHABLE);
        node.out_links
            .iter()
            .copied()
            .filter(move |&l| best != UNREACHABLE && dist[to(l)] == best)
    }

    /// The next hops towards `dst`, computed on first use.
    fn next_hops(&mut self, dst: NodeId) -> &NextHops {
        let d = dst.0 as usize;
        if self.next_hops.get(d).is_none_or(|t| t.is_none()) {
            self.compute_next_hops(dst);
        }
        self.next_hops[d].as_ref().expect("computed above")
    }

    /// Fills the next-hop table towards `dst` (once per destination: cold
    /// and out of line, so that `next_link`, on every forwarded packet's
    /// path, stays on fewer instruction-cache lines).
    #[cold]
    #[inline(never)]
    fn compute_next_hops(&mut self, dst: NodeId) {
        let d = dst.0 as usize;
        if self.next_hops.len() < self.nodes.len() {
            self.next_hops.resize(self.nodes.len(), None);
        }
        let dist = self.distances(dst);
        let mut t = NextHops {
            hop: vec![NO_ROUTE; self.nodes.len()].into_boxed_slice(),
            ecmp: Vec::new(),
            links: Vec::new(),
        };
        for (v, node) in self.nodes.iter().enumerate() {
            let start = t.links.len();
            t.links.extend(self.best_links(node, &dist));
            let count = t.links.len() - start;
            // Link ids are indices into the network's links: far below 2^31.
            debug_assert!(t.links[start..].iter().all(|l| l.0 < ECMP_BIT));
            t.hop[v] = match count {
                0 => NO_ROUTE,
                1 => t.links.pop().expect("one link").0,
                _ => {
                    t.ecmp.push((start as u32, count as u32));
                    ECMP_BIT | (t.ecmp.len() - 1) as u32
                }
            };
            // A lone next hop is the word itself, out of `links`.
            debug_assert!(count == 1 || t.hop[v] == NO_ROUTE || t.hop[v] & ECMP_BIT != 0);
        }
        self.next_hops[d] = Some(t);
    }

    /// The link `seg` takes out of vertex `at`: one of the out links on a
    /// shortest path to the interface holding its destination, chosen among
    /// equals by the 5-tuple hash. `None`: no route.
    pub fn next_link(&mut self, at: NodeId, seg: &Segment) -> Option<LinkId> {
        let dst = self.node_of_addr(seg.dst_addr)?;
        let hop = self.next_hops(dst).hop[at.0 as usize];
        if hop == NO_ROUTE {
            None
        } else if hop & ECMP_BIT == 0 {
            Some(LinkId(hop))
        } else {
            let t = self.next_hops[dst.0 as usize].as_ref().expect("computed");
            let (start, count) = t.ecmp[(hop & !ECMP_BIT) as usize];
            let salt = self.nodes[at.0 as usize].salt;
            let pick = (ecmp_hash(salt, seg) % count as u64) as u32;
            Some(t.links[(start + pick) as usize])
        }
    }

    /// [`Topology::next_link`] computed from the hop distances and the out
    /// links at each call, as it was before the table: the reference the
    /// table is checked against in the tests (a breadth-first search per
    /// call: too slow for debug builds of large runs).
    #[cfg(test)]
    fn next_link_by_scan(&self, at: NodeId, seg: &Segment) -> Option<LinkId> {
        let dst = self.node_of_addr(seg.dst_addr)?;
        let dist = self.distances(dst);
        let node = &self.nodes[at.0 as usize];
        let best: Vec<LinkId> = self.best_links(node, &dist).collect();
        let pick = match best.len() {
            0 => return None,
            1 => 0,
            n => (ecmp_hash(node.salt, seg) % n as u64) as usize,
        };
        Some(best[pick])
    }

    /// The first link of `seg` out of the host interface holding its
    /// source address. `None`: the address is unknown or has no route.
    pub fn first_link(&mut self, seg: &Segment) -> Option<LinkId> {
        let src = self.node_of_addr(seg.src_addr)?;
        self.next_link(src, seg)
    }

    /// The links `seg` would cross from its source to its destination
    /// (routing only: links up or down alike). `None` without a route.
    pub fn route(&mut self, seg: &Segment) -> Option<Vec<LinkId>> {
        let dst = self.node_of_addr(seg.dst_addr)?;
        let mut at = self.node_of_addr(seg.src_addr)?;
        let mut path = Vec::new();
        while at != dst {
            let l = self.next_link(at, seg)?;
            path.push(l);
            at = self.link_to(l)?;
            if path.len() > self.nodes.len() {
                return None; // cannot happen with shortest paths
            }
        }
        Some(path)
    }
}

/// The ECMP hash of a segment's 5-tuple (protocol TCP), salted per node.
/// Symmetric in nothing: each direction hashes on its own.
pub fn ecmp_hash(salt: u64, seg: &Segment) -> u64 {
    let addrs = ((seg.src_addr as u64) << 32) | seg.dst_addr as u64;
    let ports = ((seg.src_port as u64) << 16) | seg.dst_port as u64 | (6u64 << 32);
    mix64(salt ^ mix64(addrs) ^ mix64(ports).rotate_left(17))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(src: (u32, u16), dst: (u32, u16)) -> Segment {
        Segment {
            src_addr: src.0,
            src_port: src.1,
            dst_addr: dst.0,
            dst_port: dst.1,
            ..Default::default()
        }
    }

    /// h0 - r0 = {r1, r2} = r3 - h1: two equal-cost paths between r0 and r3.
    fn diamond() -> (Topology, [LinkId; 2]) {
        let mut t = Topology::new();
        let h0 = t.add_port("h0.eth0", 0, 1);
        let h1 = t.add_port("h1.eth0", 1, 2);
        t.add_address(h0, 10);
        t.add_address(h1, 11);
        let r: Vec<NodeId> = (0..4).map(|i| t.add_router(&format!("r{i}"), 100 + i)).collect();
        let mut next = 0u32;
        let mut link = |t: &mut Topology, a: NodeId, b: NodeId| {
            let ab = LinkId(next);
            let ba = LinkId(next + 1);
            next += 2;
            t.connect(ab, a, b);
            t.connect(ba, b, a);
            ab
        };
        link(&mut t, h0, r[0]);
        let via1 = link(&mut t, r[0], r[1]);
        let via2 = link(&mut t, r[0], r[2]);
        link(&mut t, r[1], r[3]);
        link(&mut t, r[2], r[3]);
        link(&mut t, r[3], h1);
        (t, [via1, via2])
    }

    #[test]
    fn every_route_is_a_shortest_path_and_ends_at_the_destination() {
        let (mut t, _) = diamond();
        for port in 1000..1100 {
            let s = seg((10, port), (11, 80));
            let path = t.route(&s).expect("a route");
            assert_eq!(path.len(), 4, "h0 r0 r? r3 h1 is 4 links");
            assert_eq!(t.link_to(*path.last().unwrap()), t.node_of_addr(11));
            let back = t.route(&seg((11, 80), (10, port))).expect("a route back");
            assert_eq!(back.len(), 4);
        }
    }

    #[test]
    fn subflows_spread_over_equal_cost_paths_and_each_keeps_one() {
        let (mut t, via) = diamond();
        let mut counts = [0u32; 2];
        for port in 0..1000u16 {
            let s = seg((10, 40000 + port), (11, 80));
            let path = t.route(&s).unwrap();
            let i = via.iter().position(|v| path.contains(v)).expect("through r1 or r2");
            counts[i] += 1;
            // The same 5-tuple always hashes the same way.
            assert_eq!(t.route(&s).unwrap(), path);
        }
        // 1000 tuples over 2 paths: a fair coin gives 500 +- 16 (1 sd).
        assert!(counts.iter().all(|&c| (400..=600).contains(&c)), "{counts:?}");
    }

    #[test]
    fn hosts_do_not_relay_and_an_unconnected_destination_has_no_route() {
        // h0 - h1 - h2 as hosts only: h0 cannot reach h2 through h1.
        let mut t = Topology::new();
        let a = t.add_port("h0.eth0", 0, 0);
        let b = t.add_port("h1.eth0", 1, 0);
        let c = t.add_port("h2.eth0", 2, 0);
        t.add_address(a, 1);
        t.add_address(b, 2);
        t.add_address(c, 3);
        t.connect(LinkId(0), a, b);
        t.connect(LinkId(1), b, c);
        assert_eq!(t.route(&seg((1, 1), (2, 1))), Some(vec![LinkId(0)]));
        assert_eq!(t.route(&seg((1, 1), (3, 1))), None);
        assert_eq!(t.route(&seg((1, 1), (99, 1))), None, "an unknown address");
    }

    #[test]
    fn a_host_interface_with_links_to_several_peers_picks_the_one_to_the_destination() {
        // The one-client shorthand: the server's one interface has a link
        // to each client interface; only the right one reaches it.
        let mut t = Topology::new();
        let server = t.add_port("server.eth0", 1, 0);
        t.add_address(server, 100);
        let mut down = Vec::new();
        for i in 0..3u32 {
            let p = t.add_port(&format!("client.if{i}"), 0, 0);
            t.add_address(p, 1 + i);
            t.connect(LinkId(2 * i), p, server);
            t.connect(LinkId(2 * i + 1), server, p);
            down.push(LinkId(2 * i + 1));
        }
        for i in 0..3u32 {
            assert_eq!(t.first_link(&seg((100, 80), (1 + i, 40000))), Some(down[i as usize]));
        }
    }

    #[test]
    fn the_next_hop_table_picks_the_link_the_scan_of_out_links_picks() {
        // The diamond (two equal-cost paths) and a two-level tree with
        // three equal-cost cores, from every vertex, for many 5-tuples.
        let (diamond, _) = diamond();
        let mut tree = Topology::new();
        let mut next = 0u32;
        let mut link = |t: &mut Topology, a: NodeId, b: NodeId| {
            t.connect(LinkId(next), a, b);
            t.connect(LinkId(next + 1), b, a);
            next += 2;
        };
        let cores: Vec<NodeId> = (0..3).map(|i| tree.add_router(&format!("core{i}"), 7 + i)).collect();
        for e in 0..4u32 {
            let edge = tree.add_router(&format!("edge{e}"), 50 + e as u64);
            for &c in &cores {
                link(&mut tree, edge, c);
            }
            for h in 0..2u32 {
                let p = tree.add_port(&format!("h{e}{h}.eth0"), (2 * e + h) as usize, 0);
                tree.add_address(p, 100 + 2 * e + h);
                link(&mut tree, p, edge);
            }
        }
        // An address with no route: a port linked to nothing.
        let lone = tree.add_port("lone.eth0", 99, 0);
        tree.add_address(lone, 999);
        let mut addrs: Vec<u32> = (100..108).collect();
        addrs.extend([10, 11, 999, 12345]);
        let mut checked = 0;
        for mut t in [diamond, tree] {
            for at in 0..t.nodes.len() as u32 {
                for &src in &addrs {
                    for &dst in &addrs {
                        for port in 0..8u16 {
                            let s = seg((src, 40000 + port), (dst, 80));
                            let scan = t.next_link_by_scan(NodeId(at), &s);
                            assert_eq!(t.next_link(NodeId(at), &s), scan, "at {at}: {src} -> {dst}");
                            checked += scan.is_some() as u32;
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked} routed lookups");
    }
}
