//! Per-connection outcomes (issue 17, point 2): `completed`, `incomplete`,
//! `stalled` and `broken`, as `metrics.json` reports them, and the run's
//! outcome, the worst of them.

use std::path::Path;

use experiments::run::{RunOptions, run};
use experiments::scenario::Scenario;

fn outcome_of(text: &str) -> (String, Vec<(String, Option<f64>, u64)>) {
    let sc = Scenario::parse(Path::new("t.ron"), text).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let conns = out
        .metrics
        .connections
        .iter()
        .map(|c| (c.outcome.to_string(), c.stalled_since_s, c.bytes_delivered))
        .collect();
    (out.metrics.outcome.to_string(), conns)
}

fn two_paths(stop: &str, timeline: &str, traffic: &str) -> String {
    format!(
        r#"Scenario(
  name: "t", stop: "{stop}",
  client: ClientSpec(interfaces: [
    InterfaceSpec(name: "wifi", kind: Wifi, uplink: LinkSpec(rate: "20Mbps", delay: "10ms"), downlink: LinkSpec(rate: "20Mbps", delay: "10ms")),
    InterfaceSpec(name: "cell", kind: Cellular, uplink: LinkSpec(rate: "10Mbps", delay: "40ms"), downlink: LinkSpec(rate: "10Mbps", delay: "40ms")),
  ]),
  timeline: [{timeline}],
  connections: [ConnectionSpec(traffic: {traffic})],
  record: RecordSpec(pcap: false, timeseries: false),
)"#
    )
}

#[test]
fn a_transfer_that_finished_is_completed() {
    let (run, conns) = outcome_of(&two_paths("10s", "", r#"Download(bytes: "1MB")"#));
    assert_eq!(run, "completed");
    assert_eq!(conns[0].0, "completed");
}

#[test]
fn a_transfer_still_going_at_the_stop_is_incomplete_not_completed() {
    let (run, conns) = outcome_of(&two_paths("2s", "", r#"Download(bytes: "100MB")"#));
    assert_eq!(run, "incomplete");
    assert_eq!(conns[0].0, "incomplete");
    assert!(conns[0].2 > 0 && conns[0].2 < 100_000_000);
}

#[test]
fn an_open_ended_download_completes_only_once_its_duration_is_over_and_everything_arrived() {
    let (_, conns) = outcome_of(&two_paths("10s", "", r#"DownloadFor(duration: "2s")"#));
    assert_eq!(conns[0].0, "completed");
    let (_, conns) = outcome_of(&two_paths("10s", "", r#"DownloadFor(duration: "10s")"#));
    assert_eq!(conns[0].0, "incomplete");
}

#[test]
fn a_transfer_whose_every_interface_went_down_is_broken() {
    let (run, conns) = outcome_of(&two_paths(
        "20s",
        r#"IfaceDown(at: "1s", iface: "wifi"), IfaceDown(at: "1s", iface: "cell")"#,
        r#"Download(bytes: "100MB")"#,
    ));
    assert_eq!(conns[0].0, "broken");
    assert_eq!(run, "broken");
}

/// The hosts see their interfaces up, but the link behind the router goes
/// down: the subflow stays established and usable as far as the hosts
/// know, and the data-ACK stops at once. The detector fires once the
/// silence is longer than max(8 RTOs, 10 s), and records when progress
/// stopped.
#[test]
fn a_transfer_whose_data_ack_stops_while_a_subflow_is_usable_is_stalled_since_then() {
    let text = r#"Scenario(
  name: "t", stop: "40s",
  topology: Topology(
    hosts: [Host(name: "a"), Host(name: "b")],
    routers: ["r"],
    links: [
      Link(between: ("a", "r"), forward: LinkSpec(rate: "10Mbps", delay: "5ms")),
      Link(name: "core", between: ("r", "b"), forward: LinkSpec(rate: "10Mbps", delay: "5ms")),
    ],
  ),
  timeline: [LinkDown(at: "2s", link: "core")],
  connections: [ConnectionSpec(from: "a", to: "b", traffic: Upload(bytes: "1GB"))],
  record: RecordSpec(pcap: false, timeseries: false),
)"#;
    let (run, conns) = outcome_of(text);
    assert_eq!(conns[0].0, "stalled");
    assert_eq!(run, "stalled");
    let since = conns[0].1.expect("the time progress stopped");
    assert!((1.9..=2.1).contains(&since), "stalled since {since} s");
    // Not yet 10 s of silence at a 10 s stop: still `incomplete`.
    let (_, conns) = outcome_of(&text.replace(r#"stop: "40s""#, r#"stop: "10s""#));
    assert_eq!(conns[0].0, "incomplete");
}

#[test]
fn the_builtin_plain_tcp_transfer_that_loses_its_wifi_is_broken_not_completed() {
    let sc = Scenario::parse(
        Path::new("ios-none-wifi-lost"),
        experiments::builtin::get("ios-none-wifi-lost").unwrap(),
    )
    .unwrap();
    let out = run(&sc, &RunOptions::default()).unwrap();
    assert_eq!(out.metrics.connections[0].outcome, "broken");
    assert_eq!(out.metrics.outcome, "broken");
}

#[test]
fn a_run_outcome_is_the_worst_of_its_connections() {
    use experiments::run::worst_outcome;
    assert_eq!(
        worst_outcome(["completed", "stalled", "incomplete"].into_iter()),
        "stalled"
    );
    assert_eq!(worst_outcome(["broken", "completed"].into_iter()), "broken");
    assert_eq!(worst_outcome(std::iter::empty()), "completed");
}
