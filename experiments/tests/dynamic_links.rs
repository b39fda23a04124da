//! Scenarios with queue disciplines and timed link changes, end to end:
//! they run, count what they should, write a scenario.ron that runs again
//! to the same results, and draw the capacity figure.

use std::path::{Path, PathBuf};

use experiments::scenario::Scenario;

/// Wi-Fi beside a cellular downlink with CoDel whose rate and delay change,
/// Wi-Fi blackholed from 4 s to 6 s.
const DYNAMIC: &str = r#"Scenario(
    name: "dynamic",
    stop: "8s",
    client: ClientSpec(
        interfaces: [
            InterfaceSpec(
                name: "wifi",
                kind: Wifi,
                uplink: LinkSpec(rate: "20Mbps", delay: "10ms"),
                downlink: LinkSpec(rate: "20Mbps", delay: "10ms", qdisc: FqCoDel()),
            ),
            InterfaceSpec(
                name: "cell",
                kind: Cellular,
                uplink: LinkSpec(rate: "5Mbps", delay: "40ms"),
                downlink: LinkSpec(rate: "10Mbps", delay: "40ms", qdisc: CoDel(target: "5ms", interval: "100ms")),
            ),
        ],
    ),
    timeline: [
        SetLink(at: "2s", link: "cell.down", rate: "3Mbps", delay: "60ms"),
        Blackhole(at: "4s", iface: "wifi"),
        Restore(at: "6s", iface: "wifi"),
        SetLink(at: "6s", link: "cell.down", rate: "8Mbps", buffer: Packets(200)),
    ],
    connections: [
        ConnectionSpec(
            path_manager: in_kernel(subflows: 4),
            scheduler: min_rtt,
            traffic: DownloadFor(duration: "8s"),
        ),
    ],
)
"#;

fn out_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mpsim-dynamic-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn link<'a>(m: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    m["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap()
}

#[test]
fn a_run_with_aqm_and_timed_changes_counts_its_drops_and_reruns_from_its_scenario_file() {
    let sc = Scenario::parse(Path::new("dynamic.ron"), DYNAMIC).unwrap_or_else(|e| panic!("{e}"));
    let dir = out_dir("rerun");
    experiments::run::run_to_dir(&sc, &dir).unwrap();
    let metrics = std::fs::read_to_string(dir.join("metrics.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&metrics).unwrap();
    // The blackhole dropped what the hosts sent on Wi-Fi for 2 s, and
    // nothing went down.
    for l in ["wifi.up", "wifi.down"] {
        assert!(link(&m, l)["dropped_blackhole_pkts"].as_u64().unwrap() > 0, "{l}");
        assert_eq!(link(&m, l)["dropped_down_pkts"], 0);
    }
    assert!(link(&m, "cell.down")["dropped_aqm_pkts"].as_u64().unwrap_or(0) > 0);
    assert!(
        link(&m, "cell.up").get("dropped_blackhole_pkts").is_none(),
        "absent when 0"
    );
    // Conservation on every link.
    for l in m["links"].as_array().unwrap() {
        let n = |k: &str| l.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
        let dropped = n("dropped_queue_pkts")
            + n("dropped_loss_pkts")
            + n("dropped_down_pkts")
            + n("dropped_aqm_pkts")
            + n("dropped_blackhole_pkts");
        assert!(n("delivered_pkts") + dropped <= n("offered_pkts"), "{l}");
    }
    // The scenario written back is valid (no buffer beside an AQM) and
    // runs to the same metrics.
    let again = Scenario::load(&dir.join("scenario.ron")).unwrap_or_else(|e| panic!("{e}"));
    let dir2 = out_dir("rerun2");
    experiments::run::run_to_dir(&again, &dir2).unwrap();
    assert_eq!(metrics, std::fs::read_to_string(dir2.join("metrics.json")).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&dir2).unwrap();
}

#[test]
fn a_run_whose_link_rate_changes_draws_its_capacity_under_the_throughput() {
    let sc = Scenario::parse(Path::new("dynamic.ron"), DYNAMIC).unwrap();
    let dir = out_dir("capacity");
    let out = experiments::run::run_to_dir(&sc, &dir).unwrap();
    let files = experiments::figures::write_figures(&dir, &out).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"capacity.png".to_string()), "{names:?}");
    assert!(names.contains(&"capacity.svg".to_string()));
    let svg = std::fs::read_to_string(dir.join("capacity.svg")).unwrap();
    assert!(svg.contains("cell.down capacity"), "the legend names the link");
    let lines = experiments::figures::capacity_of(&dir);
    assert_eq!(lines.len(), 1, "only cell.down's rate changes");
    assert_eq!(lines[0].points, [(0.0, 10.0), (2.0, 3.0), (6.0, 8.0), (8.0, 8.0)]);
    std::fs::remove_dir_all(&dir).unwrap();
}
