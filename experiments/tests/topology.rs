//! The topology form of a scenario: hosts, routers and links with routes
//! from the graph. Bad topologies are located errors; runs route every
//! segment on a shortest path and spread subflows over equal-cost paths.

use std::path::Path;

use experiments::run::{RunOptions, run};
use experiments::scenario::{Scenario, ScenarioError};

/// Two hosts joined through a diamond of routers: r0 = {r1, r2} = r3.
const DIAMOND: &str = r#"Scenario(
    name: "diamond",
    stop: "5s",
    topology: Topology(
        hosts: [
            Host(name: "a"),
            Host(name: "b"),
        ],
        routers: ["r0", "r1", "r2", "r3"],
        links: [
            Link(between: ("a", "r0"), forward: LinkSpec(rate: "100Mbps", delay: "1ms")),
            Link(between: ("r0", "r1"), forward: LinkSpec(rate: "10Mbps", delay: "5ms")),
            Link(between: ("r0", "r2"), forward: LinkSpec(rate: "10Mbps", delay: "5ms")),
            Link(between: ("r1", "r3"), forward: LinkSpec(rate: "10Mbps", delay: "5ms")),
            Link(between: ("r2", "r3"), forward: LinkSpec(rate: "10Mbps", delay: "5ms")),
            Link(between: ("r3", "b"), forward: LinkSpec(rate: "100Mbps", delay: "1ms")),
        ],
    ),
    connections: [
CONNECTIONS
    ],
    record: RecordSpec(pcap: false, timeseries: false),
)
"#;

fn diamond(n: usize) -> String {
    let conns: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "        ConnectionSpec(from: \"a\", to: \"b\", path_manager: none, cc: reno, start: \"{}ms\", traffic: Download(bytes: \"200KB\")),",
                i
            )
        })
        .collect();
    DIAMOND.replace("CONNECTIONS", &conns.join("\n"))
}

fn refused(text: &str) -> ScenarioError {
    Scenario::parse(Path::new("case.ron"), text).expect_err("the scenario should be refused")
}

/// The (line, column) of the first occurrence of `needle` in `text`.
fn at(text: &str, needle: &str) -> (usize, usize) {
    let i = text.find(needle).expect("needle in text");
    let head = &text[..i];
    (
        head.matches('\n').count() + 1,
        head.rsplit('\n').next().unwrap().chars().count() + 1,
    )
}

#[test]
fn the_diamond_scenario_of_these_tests_is_valid() {
    Scenario::parse(Path::new("diamond.ron"), &diamond(2)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_link_end_that_names_nothing_is_refused_at_the_end_with_the_routers_listed() {
    let text = diamond(1).replace(r#"("r2", "r3")"#, r#"("r2", "r9")"#);
    let e = refused(&text);
    assert_eq!((e.line, e.col), at(&text, r#""r9""#), "{e}");
    assert!(e.message.contains("\"r9\" names no host or router"), "{e}");
    assert!(e.message.contains("\"r0\", \"r1\", \"r2\", \"r3\""), "{e}");
}

#[test]
fn an_interface_on_two_links_is_refused_at_its_second_link() {
    let text = diamond(1).replace(r#"("r3", "b")"#, r#"("r3", "a")"#);
    let e = refused(&text);
    assert_eq!((e.line, e.col), at(&text, r#""a"), forward"#), "{e}");
    assert!(e.message.contains("\"a.eth0\" is already attached by link 0"), "{e}");
}

#[test]
fn a_destination_with_no_route_is_refused_at_the_connection() {
    // Without r3-b, host b is on no link at all; cut r1-r3 and r2-r3
    // instead: b hangs off r3, which no longer reaches r0.
    let text = diamond(1)
        .replace(
            r#"            Link(between: ("r1", "r3"), forward: LinkSpec(rate: "10Mbps", delay: "5ms")),"#,
            "",
        )
        .replace(
            r#"            Link(between: ("r2", "r3"), forward: LinkSpec(rate: "10Mbps", delay: "5ms")),"#,
            "",
        );
    let e = refused(&text);
    assert_eq!((e.line, e.col), at(&text, r#""b", path_manager"#), "{e}");
    assert!(e.message.contains("no route joins \"a\" and \"b\""), "{e}");
}

#[test]
fn a_link_from_a_router_to_itself_is_refused() {
    let text = diamond(1).replace(r#"("r1", "r3")"#, r#"("r1", "r1")"#);
    let e = refused(&text);
    assert!(e.message.contains("to itself"), "{e}");
}

#[test]
fn an_interface_on_no_link_is_refused_at_its_name() {
    let text = diamond(1).replace(
        r#"Host(name: "b"),"#,
        r#"Host(name: "b", interfaces: [Iface(name: "eth0"), Iface(name: "spare")]),"#,
    );
    let text = text.replace(r#"("r3", "b")"#, r#"("r3", "b.eth0")"#);
    let e = refused(&text);
    assert_eq!((e.line, e.col), at(&text, r#""spare""#), "{e}");
    assert!(e.message.contains("\"b.spare\" is on no link"), "{e}");
}

#[test]
fn a_connection_without_from_in_the_topology_form_is_refused() {
    let text = diamond(1).replace(r#"from: "a", "#, "");
    let e = refused(&text);
    assert!(e.message.contains("needs `from`"), "{e}");
}

#[test]
fn a_timeline_that_names_an_unknown_link_is_refused_with_the_links_listed() {
    let text = diamond(1).replace(
        "    record:",
        "    timeline: [LinkDown(at: \"1s\", link: \"r0-r7\")],\n    record:",
    );
    let e = refused(&text);
    assert_eq!((e.line, e.col), at(&text, r#""r0-r7""#), "{e}");
    assert!(e.message.contains("\"r0-r1\""), "{e}");
}

#[test]
fn a_blackholed_topology_link_drops_what_is_offered_in_both_directions_and_stays_up() {
    // The last link to b carries everything: blackholed from 0 s to 0.5 s,
    // its data and ACKs are dropped (cause blackhole, not down) and the
    // transfers finish after it is restored. A SetLink names one
    // direction (`a-r0.ab`), not a whole link.
    let text = diamond(2).replace(
        "    record:",
        "    timeline: [\n        LinkBlackhole(at: \"0s\", link: \"r3-b\"),\n        LinkRestore(at: \"500ms\", link: \"r3-b\"),\n        SetLink(at: \"0s\", link: \"a-r0.ab\", delay: \"7ms\"),\n    ],\n    record:",
    );
    let sc = Scenario::parse(Path::new("diamond.ron"), &text).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&sc, &RunOptions::default()).unwrap();
    let m = &out.metrics;
    let link = |name: &str| m.links.iter().find(|l| l.name == name).unwrap().clone();
    // The SYNs toward b are dropped (so b, which never hears them, sends
    // nothing back while it lasts); nothing counts as down.
    assert!(link("r3-b.ab").dropped_blackhole_pkts > 0);
    for d in ["r3-b.ab", "r3-b.ba"] {
        assert_eq!(link(d).dropped_down_pkts, 0, "{d}");
    }
    assert_eq!(link("r0-r1.ab").dropped_blackhole_pkts, 0);
    for c in &m.connections {
        assert_eq!(c.bytes_delivered, 200_000);
    }
    let bad = text.replace("link: \"a-r0.ab\"", "link: \"a-r0\"");
    let e = refused(&bad);
    assert!(e.message.contains("link direction"), "{e}");
}

#[test]
fn flows_of_one_host_pair_spread_over_both_equal_cost_paths_and_all_complete() {
    let sc = Scenario::parse(Path::new("diamond.ron"), &diamond(16)).unwrap();
    let out = run(&sc, &RunOptions::default()).unwrap();
    let m = &out.metrics;
    for (i, c) in m.connections.iter().enumerate() {
        assert_eq!(c.bytes_delivered, 200_000, "connection {i} did not complete");
    }
    let link = |name: &str| m.links.iter().find(|l| l.name == name).unwrap().clone();
    // Data go b -> r3 -> {r1, r2} -> r0 -> a: "X-Y.ba" is Y to X. Sixteen
    // five-tuples hashed at r3: each path carries some.
    let (data1, data2) = (link("r1-r3.ba").offered_pkts, link("r2-r3.ba").offered_pkts);
    assert!(
        data1 > 100 && data2 > 100,
        "data spread over both paths: {data1} / {data2}"
    );
    // Every data packet that reached r3 left it on one of the two paths.
    assert_eq!(link("r3-b.ba").delivered_pkts, data1 + data2);
    // ACKs go a -> r0 -> {r1, r2}, hashed at r0.
    let (ack1, ack2) = (link("r0-r1.ab").offered_pkts, link("r0-r2.ab").offered_pkts);
    assert!(ack1 > 0 && ack2 > 0, "ACKs spread over both paths: {ack1} / {ack2}");
    assert_eq!(link("a-r0.ab").delivered_pkts, ack1 + ack2);
}

#[test]
fn an_mptcp_connection_and_a_tcp_connection_share_a_bottleneck_and_both_progress() {
    let sc = Scenario::load(Path::new("tests/topology/shared_bottleneck.ron")).unwrap_or_else(|e| panic!("{e}"));
    // Five seeds, with 0 to 1 ms of jitter at the bottleneck as the
    // shared-bottleneck-fairness sweep: without it the drop-tail losses of
    // the three flows synchronise and one run's ratio swings with the phase
    // (1.18 with RFC 6675 recovery, 1.51 with RACK-TLP, 0.96 to 1.58 over
    // stop times of 8 to 20 s).
    for seed in 1..=5 {
        let mut sc = sc.clone();
        sc.seed = seed;
        let out = run(&sc, &RunOptions::default()).unwrap();
        let m = &out.metrics;
        let mp = &m.connections[0];
        let sp = &m.connections[1];
        assert!(mp.mptcp && !sp.mptcp);
        let ifaces: Vec<&str> = mp.subflows.iter().map(|s| s.iface.as_str()).collect();
        assert_eq!(ifaces, ["mp.a", "mp.b"]);
        // 10 Mb/s for 10 s is at most 12.5 MB through the bottleneck.
        let total = mp.bytes_delivered + sp.bytes_delivered;
        assert!(total > 10_000_000 && total <= 12_500_000, "seed {seed}: {total}");
        let ratio = mp.bytes_delivered as f64 / sp.bytes_delivered as f64;
        assert!((0.5..1.5).contains(&ratio), "seed {seed}: LIA against Reno: {ratio}");
    }
}

#[test]
fn a_run_of_many_hosts_is_identical_when_repeated() {
    let sc = Scenario::parse(Path::new("diamond.ron"), &diamond(8)).unwrap();
    let a = serde_json::to_string(&run(&sc, &RunOptions::default()).unwrap().metrics).unwrap();
    let b = serde_json::to_string(&run(&sc, &RunOptions::default()).unwrap().metrics).unwrap();
    assert_eq!(a, b);
}

const FAT_TREE: &str = r#"Scenario(
    name: "fat-tree-4",
    stop: "5s",
    topology: FatTree(k: 4, link: LinkSpec(rate: "100Mbps", delay: "100us", buffer: Packets(100))),
    flows: [
        Flows(
            pattern: Permutation,
            connection: ConnectionSpec(path_manager: none, cc: reno, traffic: Download(bytes: "500KB")),
        ),
    ],
    record: RecordSpec(pcap: false, timeseries: false, sequence: false),
)
"#;

#[test]
fn a_fat_tree_has_k_cubed_over_4_hosts_and_every_permutation_flow_takes_a_shortest_path() {
    use experiments::scenario::{TopologySpec, topology_graph};
    let sc = Scenario::parse(Path::new("ft.ron"), FAT_TREE).unwrap_or_else(|e| panic!("{e}"));
    let g = sc.topology.as_ref().unwrap().graph();
    assert_eq!(g.hosts.len(), 16);
    assert_eq!(g.routers.len(), 4 + 4 * 4);
    let mut routes = topology_graph(&g, |_| 7);
    let conns = sc.all_connections();
    assert_eq!(conns.len(), 16, "one per host");
    for c in conns.iter() {
        let (a, b) = (
            g.host(c.from.as_deref().unwrap()).unwrap(),
            g.host(c.to.as_deref().unwrap()).unwrap(),
        );
        let (pa, pb) = (a / 2, b / 2); // edge switch
        let (qa, qb) = (a / 4, b / 4); // pod
        // Hops in a k = 4 fat tree: same edge 2, same pod 4, else 6.
        let want = if pa == pb {
            2
        } else if qa == qb {
            4
        } else {
            6
        };
        let seg = probe(TopologySpec::addr(a, 0), TopologySpec::addr(b, 0));
        assert_eq!(routes.route(&seg).unwrap().len(), want, "{a} -> {b}");
    }
    let out = run(&sc, &RunOptions::default()).unwrap();
    for c in &out.metrics.connections {
        assert_eq!(c.bytes_delivered, 500_000);
    }
}

fn probe(src: u32, dst: u32) -> models::segment::Segment {
    models::segment::Segment {
        src_addr: src,
        dst_addr: dst,
        src_port: 40000,
        dst_port: 80,
        ..Default::default()
    }
}

#[test]
fn a_fat_tree_with_an_odd_k_is_refused_at_k() {
    let text = FAT_TREE.replace("k: 4", "k: 5");
    let e = refused(&text);
    assert_eq!((e.line, e.col), at(&text, "5, link"), "{e}");
    assert!(e.message.contains("expected an even number"), "{e}");
}

#[test]
fn flows_over_an_unknown_host_are_refused_at_its_name() {
    let text = FAT_TREE.replace(
        "pattern: Permutation,",
        "pattern: Permutation, hosts: [\"h1\", \"h99\"],",
    );
    let e = refused(&text);
    assert_eq!((e.line, e.col), at(&text, "\"h99\""), "{e}");
}

#[test]
fn a_run_of_several_connections_writes_one_flows_csv_row_per_connection() {
    let sc = Scenario::parse(Path::new("diamond.ron"), &diamond(3)).unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("flows-csv");
    let out = experiments::run::run_to_dir(&sc, &dir).unwrap();
    let csv = std::fs::read_to_string(dir.join("flows.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "conn",
            "from",
            "to",
            "mptcp",
            "subflows",
            "start_s",
            "bytes_requested",
            "bytes_delivered",
            "goodput_mbps",
            "completion_s",
            "reinjected_bytes"
        ]
    );
    assert_eq!(rows.len(), 1 + 3);
    for (k, (row, m)) in rows[1..].iter().zip(&out.metrics.connections).enumerate() {
        assert_eq!(row[0], k.to_string());
        assert_eq!((row[1], row[2]), ("a", "b"));
        assert_eq!(row[7], m.bytes_delivered.to_string());
        assert_eq!(row[6], "200000");
        assert_eq!(row[5], format!("{}", k as f64 / 1000.0));
        assert!(!row[9].is_empty(), "completed");
    }
    // One connection: no flows.csv (metrics.json says it all).
    let one = Scenario::parse(Path::new("diamond.ron"), &diamond(1)).unwrap();
    let dir1 = Path::new(env!("CARGO_TARGET_TMPDIR")).join("flows-csv-1");
    experiments::run::run_to_dir(&one, &dir1).unwrap();
    assert!(!dir1.join("flows.csv").exists());
}
