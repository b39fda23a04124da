//! The applications a scenario's `traffic` runs, end to end: what they
//! write and when.

use std::path::Path;

use experiments::run::{RunOptions, run};
use experiments::scenario::Scenario;

/// One 20 Mb/s path and a plain TCP connection with `traffic`.
fn scenario(traffic: &str, stop: &str) -> Scenario {
    let text = format!(
        r#"Scenario(
    name: "traffic",
    seed: 3,
    stop: "{stop}",
    client: ClientSpec(interfaces: [
        InterfaceSpec(name: "wifi", kind: Wifi,
            uplink: LinkSpec(rate: "20Mbps", delay: "10ms"),
            downlink: LinkSpec(rate: "20Mbps", delay: "10ms")),
    ]),
    connections: [ConnectionSpec(path_manager: none, traffic: {traffic})],
    record: RecordSpec(pcap: false, timeseries: false, sequence: false),
)"#
    );
    Scenario::parse(Path::new("traffic.ron"), &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn an_on_off_source_with_constant_periods_sends_its_rate_only_while_on() {
    // On [0, 1), off [1, 2), ... for 10 s: 5 s on at 1 MB/s.
    let sc = scenario(
        r#"OnOff(rate: "8Mbps", on: "1s", off: "1s", duration: "10s", periods: Constant)"#,
        "15s",
    );
    let m = run(&sc, &RunOptions::default()).unwrap().metrics;
    assert_eq!(m.connections[0].bytes_delivered, 5_000_000);
    // Twice as long on: twice the bytes.
    let sc = scenario(
        r#"OnOff(rate: "8Mbps", on: "2s", off: "1s", duration: "9s", periods: Constant)"#,
        "15s",
    );
    let m = run(&sc, &RunOptions::default()).unwrap().metrics;
    assert_eq!(m.connections[0].bytes_delivered, 6_000_000);
}

#[test]
fn an_on_off_source_with_exponential_periods_is_on_for_its_share_of_the_time() {
    // Mean on 0.1 s, off 0.3 s: on a quarter of the time; over 400 s
    // (about 1,000 cycles) the share is within a few percent of it.
    let sc = scenario(
        r#"OnOff(rate: "800Kbps", on: "100ms", off: "300ms", duration: "400s")"#,
        "405s",
    );
    let m = run(&sc, &RunOptions::default()).unwrap().metrics;
    let share = m.connections[0].bytes_delivered as f64 / (400.0 * 100_000.0);
    assert!((share - 0.25).abs() < 0.02, "on {share} of the time");
    // Another seed draws other periods.
    let mut other = sc.clone();
    other.seed = 4;
    let m2 = run(&other, &RunOptions::default()).unwrap().metrics;
    assert_ne!(m.connections[0].bytes_delivered, m2.connections[0].bytes_delivered);
}

#[test]
fn an_on_off_source_with_an_empty_period_is_refused_at_it() {
    let text = r#"Scenario(
    name: "traffic",
    client: ClientSpec(interfaces: [
        InterfaceSpec(name: "wifi", kind: Wifi, uplink: LinkSpec(rate: "20Mbps", delay: "10ms"), downlink: LinkSpec(rate: "20Mbps", delay: "10ms")),
    ]),
    connections: [ConnectionSpec(traffic: OnOff(rate: "8Mbps", on: "1s", off: "0s", duration: "10s"))],
)"#;
    let e = Scenario::parse(Path::new("t.ron"), text).expect_err("refused");
    assert!(
        e.message.contains("off period of 0s") && e.message.contains("expected"),
        "{e}"
    );
    let line = text.lines().position(|l| l.contains("off: \"0s\"")).unwrap() + 1;
    assert_eq!(e.line, line, "{e}");
}

/// A directory of its own under the test target dir.
fn dir(name: &str) -> std::path::PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const TRACE_SCENARIO: &str = r#"Scenario(
    name: "trace",
    stop: "20s",
    client: ClientSpec(interfaces: [
        InterfaceSpec(name: "cell", kind: Cellular,
            uplink: LinkSpec(rate: "20Mbps", delay: "20ms"),
            downlink: LinkSpec(rate: "12Mbps", delay: "20ms", trace: "down.trace")),
    ]),
    connections: [ConnectionSpec(path_manager: none, traffic: Download(bytes: "5MB"))],
    record: RecordSpec(pcap: false, timeseries: false, sequence: false),
)"#;

#[test]
fn a_download_over_a_trace_driven_link_gets_the_traces_capacity() {
    let d = dir("trace-link");
    // One 1504-byte opportunity per millisecond: 1000 full-size packets a
    // second, 11.58 Mb/s of 1448-byte payloads.
    std::fs::write(d.join("down.trace"), "1\n").unwrap();
    std::fs::write(d.join("s.ron"), TRACE_SCENARIO).unwrap();
    let sc = Scenario::load(&d.join("s.ron")).unwrap_or_else(|e| panic!("{e}"));
    let m = run(&sc, &RunOptions::default()).unwrap().metrics;
    let c = &m.connections[0];
    assert_eq!(c.bytes_delivered, 5_000_000);
    let mbps = c.goodput_bps / 1e6;
    assert!(mbps > 10.5 && mbps <= 11.59, "{mbps} Mb/s");
    // Every packet the downlink delivered used one opportunity: at most one per ms.
    let down = m.links.iter().find(|l| l.name == "cell.down").unwrap();
    assert!(down.delivered_pkts as f64 <= c.completion_s.unwrap() * 1000.0 + 1.0);
    // Twice the opportunities, close to twice the goodput.
    std::fs::write(d.join("down.trace"), "1\n1\n").unwrap();
    let sc = Scenario::load(&d.join("s.ron")).unwrap();
    let m2 = run(&sc, &RunOptions::default()).unwrap().metrics;
    let ratio = m2.connections[0].goodput_bps / c.goodput_bps;
    assert!(ratio > 1.7 && ratio < 2.05, "{ratio}");
}

#[test]
fn a_bad_trace_is_refused_at_the_trace_field_naming_its_line() {
    let d = dir("trace-bad");
    std::fs::write(d.join("down.trace"), "1\nfive\n").unwrap();
    std::fs::write(d.join("s.ron"), TRACE_SCENARIO).unwrap();
    let e = Scenario::load(&d.join("s.ron")).expect_err("refused");
    assert!(e.message.contains("down.trace:2:1"), "{e}");
    assert!(e.message.contains("expected"), "{e}");
    let line = TRACE_SCENARIO.lines().position(|l| l.contains("trace: ")).unwrap() + 1;
    assert_eq!(e.line, line, "{e}");
    std::fs::remove_file(d.join("down.trace")).unwrap();
    let e = Scenario::load(&d.join("s.ron")).expect_err("refused");
    assert!(e.message.contains("cannot read the trace"), "{e}");
}
