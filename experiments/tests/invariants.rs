//! Invariants over random scenarios: every scheduler x congestion control x
//! path manager, loss up to 20%, interfaces flapping. The application never
//! receives more than was sent, a transfer over steady paths completes with
//! exactly the bytes sent, nothing panics, and no run livelocks (a bound on
//! events). A failing case prints its seed and the whole scenario.
//!
//! The same over random topologies (the topology form): random connected
//! router graphs, hosts with one or two interfaces on random routers,
//! TCP and MPTCP connections between random hosts, links going down and
//! up. Routes are the graph's shortest paths with ECMP.

use std::path::Path;

use experiments::run::{RunOptions, resolved_ron, run};
use experiments::scenario::Scenario;
use proptest::prelude::*;

const SCHEDULERS: &[&str] = &["min_rtt", "round_robin", "redundant", "blest", "ecf"];
const CCS: &[&str] = &["reno", "cubic", "lia", "olia", "balia"];
const PMS: &[&str] = &["fullmesh", "default", "handover", "interactive", "aggregate", "none"];

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    ifaces: Vec<(u64, u64, u32, bool)>, // rate Mb/s, one-way delay ms, loss per mille, cellular
    flaps: Vec<(u64, usize, bool)>,     // at ms, interface, up
    scheduler: usize,
    cc: usize,
    pm: usize,
    kbytes: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        prop::collection::vec((1u64..50, 1u64..100, 0u32..200, any::<bool>()), 1..4),
        prop::collection::vec((100u64..20_000, 0usize..3, any::<bool>()), 0..4),
        0..SCHEDULERS.len(),
        0..CCS.len(),
        0..PMS.len(),
        20u64..400,
    )
        .prop_map(|(seed, ifaces, flaps, scheduler, cc, pm, kbytes)| Case {
            seed,
            ifaces,
            flaps,
            scheduler,
            cc,
            pm,
            kbytes,
        })
}

fn scenario_text(c: &Case) -> String {
    let mut s = format!(
        "Scenario(name: \"random\", seed: {}, stop: \"60s\", client: ClientSpec(interfaces: [",
        c.seed
    );
    for (i, (rate, delay, loss, cell)) in c.ifaces.iter().enumerate() {
        let kind = if *cell { "Cellular" } else { "Wifi" };
        let loss = *loss as f64 / 1000.0;
        s += &format!(
            "InterfaceSpec(name: \"if{i}\", kind: {kind}, \
             uplink: LinkSpec(rate: \"{rate}Mbps\", delay: \"{delay}ms\"), \
             downlink: LinkSpec(rate: \"{rate}Mbps\", delay: \"{delay}ms\", loss: Bernoulli(p: {loss}))),"
        );
    }
    s += "]), timeline: [";
    for (at, i, up) in &c.flaps {
        let i = i % c.ifaces.len();
        let ev = if *up { "IfaceUp" } else { "IfaceDown" };
        s += &format!("{ev}(at: \"{at}ms\", iface: \"if{i}\"),");
    }
    s += &format!(
        "], connections: [ConnectionSpec(path_manager: {}, scheduler: {}, cc: {}, \
         traffic: Download(bytes: \"{}KB\"))], record: RecordSpec(pcap: false, timeseries: false))",
        PMS[c.pm], SCHEDULERS[c.scheduler], CCS[c.cc], c.kbytes
    );
    s
}

/// Parses a generated scenario and runs it with an event budget: the
/// scenario as run (for failure messages) and the output. A parse error,
/// a run error or a panic fails the case with the seed and the scenario.
fn parse_and_run(name: &str, text: &str, seed: u64, budget: u64) -> (String, experiments::run::RunOutput) {
    let sc = Scenario::parse(Path::new(name), text)
        .unwrap_or_else(|e| panic!("generated scenario does not parse: {e}\n{text}"));
    let shown = resolved_ron(&sc).unwrap();
    let out = std::panic::catch_unwind(|| {
        run(
            &sc,
            &RunOptions {
                event_budget: Some(budget),
                ..Default::default()
            },
        )
    });
    match out {
        Ok(Ok(o)) => (shown, o),
        Ok(Err(e)) => panic!("run failed: {e}\nseed {seed}\n{shown}"),
        Err(_) => panic!("run panicked\nseed {seed}\n{shown}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_byte_arrives_once_in_order_and_no_run_panics_or_livelocks(c in case()) {
        let (shown, out) = parse_and_run("random.ron", &scenario_text(&c), c.seed, 3_000_000);
        let m = &out.metrics;
        prop_assert_ne!(m.outcome, "event_budget_exhausted", "event budget exhausted (livelock?)\nseed {}\n{}", c.seed, shown);
        let conn = &m.connections[0];
        let requested = c.kbytes * 1000;
        // The outcome tells the truth: completed exactly when every byte arrived.
        prop_assert_eq!(conn.outcome == "completed", conn.bytes_delivered == requested, "outcome {} with {} of {} bytes\nseed {}\n{}", conn.outcome, conn.bytes_delivered, requested, c.seed, shown);
        prop_assert_eq!(m.outcome, conn.outcome);
        prop_assert!(conn.bytes_delivered <= requested, "delivered more than sent\nseed {}\n{}", c.seed, shown);
        // Steady, moderately lossy paths: the transfer must complete exactly.
        let steady = c.flaps.is_empty() && c.ifaces.iter().all(|f| f.2 <= 100);
        if steady {
            prop_assert_eq!(conn.bytes_delivered, requested, "incomplete over steady paths\nseed {}\n{}", c.seed, shown);
        }
        // A subflow is reported closed with a reason, or open without one
        // (both from the same end).
        for sf in &conn.subflows {
            prop_assert_eq!(sf.closed_s.is_some(), sf.close_reason.is_some(), "{:?}\n{}", sf, shown);
        }
        // Events per delivered kilobyte stay bounded (no busy loop).
        prop_assert!(m.events <= 200_000 + 400 * (conn.bytes_delivered / 1000 + 1) * 10, "{} events\n{}", m.events, shown);
    }
}

#[derive(Clone, Debug)]
struct TopoCase {
    seed: u64,
    routers: usize,
    /// Per router i > 0: the router it hangs from (a spanning tree), then
    /// extra links between random routers (rate Mb/s, delay ms, loss per mille).
    tree: Vec<(usize, u64, u64, u32)>,
    extra: Vec<(usize, usize, u64, u64, u32)>,
    /// Per host: its interfaces' routers.
    hosts: Vec<Vec<usize>>,
    /// Connections: from, to, MPTCP path manager (index) or TCP, cc, kbytes, start ms.
    conns: Vec<(usize, usize, usize, usize, u64, u64)>,
    /// Link flaps: at ms, tree link, down for ms.
    flaps: Vec<(u64, usize, u64)>,
}

const TOPO_PMS: &[&str] = &[
    "none",
    "fullmesh",
    "ndiffports(num_subflows: 2)",
    "ndiffports(num_subflows: 4)",
    "default",
];

fn topo_case() -> impl Strategy<Value = TopoCase> {
    (2usize..7)
        .prop_flat_map(|routers| {
            (
                any::<u64>(),
                Just(routers),
                prop::collection::vec((0usize..64, 5u64..100, 1u64..20, 0u32..30), routers - 1),
                prop::collection::vec((0usize..64, 0usize..64, 5u64..100, 1u64..20, 0u32..30), 0..4),
                prop::collection::vec(prop::collection::vec(0usize..64, 1..3), 2..6),
                prop::collection::vec(
                    (
                        0usize..64,
                        0usize..64,
                        0..TOPO_PMS.len(),
                        0..CCS.len(),
                        10u64..300,
                        0u64..500,
                    ),
                    1..5,
                ),
                prop::collection::vec((100u64..5_000, 0usize..64, 50u64..3_000), 0..3),
            )
        })
        .prop_map(|(seed, routers, tree, extra, hosts, conns, flaps)| TopoCase {
            seed,
            routers,
            tree,
            extra,
            hosts,
            conns,
            flaps,
        })
}

fn topo_text(c: &TopoCase) -> String {
    let link = |a: String, b: String, name: String, rate: u64, delay: u64, loss: u32| {
        format!(
            "Link(name: \"{name}\", between: (\"{a}\", \"{b}\"), forward: LinkSpec(rate: \"{rate}Mbps\", delay: \"{delay}ms\", loss: Bernoulli(p: {})), reverse: LinkSpec(rate: \"{rate}Mbps\", delay: \"{delay}ms\")),",
            loss as f64 / 1000.0
        )
    };
    let mut links = Vec::new();
    for (i, &(parent, rate, delay, loss)) in c.tree.iter().enumerate() {
        let r = i + 1;
        links.push(link(
            format!("r{}", parent % r),
            format!("r{r}"),
            format!("t{r}"),
            rate,
            delay,
            loss,
        ));
    }
    for (k, &(a, b, rate, delay, loss)) in c.extra.iter().enumerate() {
        let (a, b) = (a % c.routers, b % c.routers);
        if a != b {
            links.push(link(
                format!("r{a}"),
                format!("r{b}"),
                format!("x{k}"),
                rate,
                delay,
                loss,
            ));
        }
    }
    let mut hosts = Vec::new();
    for (h, ifs) in c.hosts.iter().enumerate() {
        let names: Vec<String> = (0..ifs.len()).map(|j| format!("Iface(name: \"i{j}\")")).collect();
        hosts.push(format!("Host(name: \"h{h}\", interfaces: [{}]),", names.join(", ")));
        for (j, r) in ifs.iter().enumerate() {
            links.push(link(
                format!("h{h}.i{j}"),
                format!("r{}", r % c.routers),
                format!("a{h}_{j}"),
                100,
                1,
                0,
            ));
        }
    }
    let n = c.hosts.len();
    let mut conns = Vec::new();
    for &(from, to, pm, cc, kbytes, start) in &c.conns {
        let (from, to) = (from % n, to % n);
        let to = if to == from { (to + 1) % n } else { to };
        conns.push(format!(
            "ConnectionSpec(from: \"h{from}\", to: \"h{to}\", path_manager: {}, cc: {}, start: \"{start}ms\", traffic: Download(bytes: \"{kbytes}KB\")),",
            TOPO_PMS[pm], CCS[cc]
        ));
    }
    let mut timeline = Vec::new();
    if !c.tree.is_empty() {
        for &(at, l, down_ms) in &c.flaps {
            let l = 1 + l % c.tree.len();
            timeline.push(format!("LinkDown(at: \"{at}ms\", link: \"t{l}\"),"));
            timeline.push(format!("LinkUp(at: \"{}ms\", link: \"t{l}\"),", at + down_ms));
        }
    }
    let routers: Vec<String> = (0..c.routers).map(|r| format!("\"r{r}\"")).collect();
    format!(
        "Scenario(name: \"random-topology\", seed: {}, stop: \"60s\", topology: Topology(hosts: [{}], routers: [{}], links: [{}]), \
         timeline: [{}], connections: [{}], record: RecordSpec(pcap: false, timeseries: false, sequence: false))",
        c.seed,
        hosts.join(" "),
        routers.join(", "),
        links.join(" "),
        timeline.join(" "),
        conns.join(" ")
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn over_random_topologies_every_byte_arrives_once_and_no_run_panics_or_livelocks(c in topo_case()) {
        let budget = 5_000_000;
        let (shown, out) = parse_and_run("random-topology.ron", &topo_text(&c), c.seed, budget);
        let m = &out.metrics;
        prop_assert!(m.events < budget, "event budget exhausted (livelock?)\nseed {}\n{}", c.seed, shown);
        // Loss only on router links, at most 3%, and flaps of at most 3 s
        // within a 60 s stop: every transfer completes with exactly the
        // bytes asked for, never more.
        for (k, conn) in m.connections.iter().enumerate() {
            let requested = c.conns[k].4 * 1000;
            prop_assert_eq!(conn.bytes_delivered, requested, "connection {}\nseed {}\n{}", k, c.seed, shown);
            for sf in &conn.subflows {
                prop_assert_eq!(sf.closed_s.is_some(), sf.close_reason.is_some(), "{:?}\n{}", sf, shown);
            }
        }
        // Every link that carried packets forwarded at most what was offered.
        for l in &m.links {
            prop_assert!(l.delivered_pkts <= l.offered_pkts, "{:?}", l.name);
        }
    }
}
