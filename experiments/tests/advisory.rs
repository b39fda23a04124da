//! Symptoms' Wi-Fi advisories and signal levels on the timeline: the iOS
//! handover path manager moves to cellular while Wi-Fi is still up, as
//! XNU's Symptoms-driven code does (mptcp_subr.c `mptcp_wifi_status_changed`,
//! `mptcp_handover_use_cellular`, `mptcp_wifi_quality_for_session`).

use std::path::Path;

use experiments::run::{ConnMetrics, RunOptions, run};
use experiments::scenario::Scenario;

/// Wi-Fi and cellular both up for the whole run; a 10 s download over iOS
/// handover mode by an app of `app`; `events` on the timeline.
fn scenario(app: &str, events: &str, extra: &str) -> String {
    format!(
        r#"Scenario(
    name: "advisory",
    stop: "10s",
    client: ClientSpec(interfaces: [
        InterfaceSpec(name: "wifi", kind: Wifi,
            uplink: LinkSpec(rate: "20Mbps", delay: "10ms"), downlink: LinkSpec(rate: "20Mbps", delay: "10ms")),
        InterfaceSpec(name: "cell", kind: Cellular,
            uplink: LinkSpec(rate: "10Mbps", delay: "30ms"), downlink: LinkSpec(rate: "10Mbps", delay: "30ms")),
    ]),
    timeline: [{events}],
    connections: [ConnectionSpec(path_manager: handover(app: {app}), traffic: DownloadFor(duration: "10s"))],
    record: RecordSpec(pcap: false),
    {extra}
)"#
    )
}

fn conn(text: &str) -> ConnMetrics {
    let sc = Scenario::parse(Path::new("advisory.ron"), text).unwrap_or_else(|e| panic!("{e}"));
    let m = run(&sc, &RunOptions::default()).unwrap().metrics;
    m.connections.into_iter().next().unwrap()
}

/// When the first cellular subflow opened, if one did.
fn cell_opened_s(c: &ConnMetrics) -> Option<f64> {
    c.subflows.iter().find(|s| s.iface == "cell").map(|s| s.opened_s)
}

#[test]
fn without_an_advisory_handover_mode_never_opens_cellular_while_wifi_is_up() {
    for app in ["first_party", "third_party"] {
        let c = conn(&scenario(app, "", ""));
        assert_eq!(cell_opened_s(&c), None, "{app}");
    }
}

#[test]
fn a_bad_advisory_opens_a_cellular_subflow_at_once_for_a_third_party_app_with_wifi_still_up() {
    let c = conn(&scenario(
        "third_party",
        r#"WifiAdvisory(at: "3s", iface: "wifi", status: Bad)"#,
        "",
    ));
    // The client sends no data (a download): XNU "be[s] pessimistic and
    // use[s] Cell" at once (mptcp_handover_use_cellular, quality Bad).
    let at = cell_opened_s(&c).expect("a cellular subflow");
    assert!((3.0..3.001).contains(&at), "opened at {at} s");
    let cell = c.subflows.iter().find(|s| s.iface == "cell").unwrap();
    assert!(cell.backup, "handover joins cellular with the backup bit");
    assert!(cell.established_s.is_some());
    // Wi-Fi stayed up and kept its subflow.
    let wifi = c.subflows.iter().find(|s| s.iface == "wifi").unwrap();
    assert_eq!(wifi.closed_s, None);
}

#[test]
fn a_first_party_app_in_handover_mode_ignores_the_advisory_as_xnu_does() {
    // mptcp_wifi_quality_for_session: first-party handover sessions stay
    // "unsure" whatever Symptoms says; only RTOs move them.
    let c = conn(&scenario(
        "first_party",
        r#"WifiAdvisory(at: "3s", iface: "wifi", status: Bad)"#,
        "",
    ));
    assert_eq!(cell_opened_s(&c), None);
}

#[test]
fn a_signal_below_the_threshold_is_a_bad_advisory_and_above_it_is_none() {
    let weak = conn(&scenario(
        "third_party",
        r#"WifiSignal(at: "2s", iface: "wifi", rssi_dbm: -70), WifiSignal(at: "4s", iface: "wifi", rssi_dbm: -80)"#,
        "",
    ));
    let at = cell_opened_s(&weak).expect("a cellular subflow");
    assert!((4.0..4.001).contains(&at), "opened at {at} s");
    // The threshold is the scenario's: at -85 dBm, -80 is still OK.
    let lower = conn(&scenario(
        "third_party",
        r#"WifiSignal(at: "4s", iface: "wifi", rssi_dbm: -80)"#,
        "symptoms: (wifi_bad_below_dbm: -85),",
    ));
    assert_eq!(cell_opened_s(&lower), None);
}

#[test]
fn an_ok_advisory_after_a_bad_one_removes_cellular_while_wifi_works() {
    // mptcp_check_subflows_and_remove runs on every change of the advisory:
    // a working Wi-Fi subflow gets the cellular ones reset.
    let c = conn(&scenario(
        "third_party",
        r#"WifiAdvisory(at: "3s", iface: "wifi", status: Bad), WifiAdvisory(at: "6s", iface: "wifi", status: Ok)"#,
        "",
    ));
    let cell = c
        .subflows
        .iter()
        .find(|s| s.iface == "cell")
        .expect("a cellular subflow");
    let closed = cell.closed_s.expect("closed");
    assert!((6.0..6.001).contains(&closed), "closed at {closed} s");
}

#[test]
fn an_advisory_naming_a_cellular_interface_is_a_located_error() {
    let text = scenario(
        "third_party",
        r#"WifiAdvisory(at: "3s", iface: "cell", status: Bad)"#,
        "",
    );
    let e = Scenario::parse(Path::new("advisory.ron"), &text).expect_err("refused");
    assert!(e.message.contains("expected a Wifi interface"), "{e}");
    let line = text.lines().position(|l| l.contains("WifiAdvisory")).unwrap() + 1;
    assert_eq!(e.line, line, "{e}");
}

/// The walk-away built-in: the advisory at 4.5 s opens the cellular
/// subflow a second before Wi-Fi is lost, which saves the join's round
/// trip when it goes; a first-party app joins only at the loss.
#[test]
fn walking_away_a_third_party_app_is_on_cellular_a_join_earlier_than_a_first_party_one() {
    let text = experiments::builtin::get("walk-away").unwrap();
    let first_cell_data = |text: &str| {
        let sc = Scenario::parse(Path::new("walk-away"), text).unwrap_or_else(|e| panic!("{e}"));
        let opts = RunOptions {
            keep_records: true,
            ..RunOptions::default()
        };
        let out = run(&sc, &opts).unwrap();
        let c = &out.metrics.connections[0];
        assert_eq!(c.bytes_delivered, 40_000_000);
        let cell = out.iface_names.iter().position(|n| n == "cell").unwrap();
        let first = out
            .records
            .iter()
            .find(|r| r.iface == cell && r.from_server && r.len > 0)
            .map(|r| r.time.as_secs_f64())
            .expect("data on cellular");
        (cell_opened_s(c).expect("a cellular subflow"), first)
    };
    let (opened, first) = first_cell_data(text);
    assert!((4.5..4.501).contains(&opened), "opened at {opened} s");
    let (opened1, first1) = first_cell_data(&text.replace("app: third_party", "app: first_party"));
    assert!((5.5..5.501).contains(&opened1), "opened at {opened1} s");
    // One cellular RTT (120 ms) apart, both after the loss at 5.5 s.
    assert!(first > 5.5 && first1 - first > 0.1, "{first} against {first1}");
}
