//! The pcap trace as Wireshark's tshark reads it: no malformed packets, and
//! its MPTCP analysis finds the connection, its subflows, the mappings and
//! the reinjections. Without tshark these tests say so on stderr and pass,
//! so `cargo test` works on a fresh machine; `.ci/run` installs tshark and
//! sets MPSIM_REQUIRE_TSHARK=1, which makes a missing tshark a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use experiments::run::run_to_dir;
use experiments::scenario::{PcapFlavor, Scenario, Traffic};
use sim_core::{ByteSize, SimTime};

fn tshark_available() -> bool {
    if Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    assert!(
        std::env::var_os("MPSIM_REQUIRE_TSHARK").is_none(),
        "tshark is not installed but MPSIM_REQUIRE_TSHARK is set: apt-get install -y tshark"
    );
    eprintln!("SKIPPED: tshark is not installed (apt-get install -y tshark); the trace was not checked");
    false
}

/// The trace of a shortened ios11-handover, captured at `at` (a host or an
/// interface; None: the default, the client).
fn trace(name: &str, flavor: PcapFlavor, at: Option<&str>) -> PathBuf {
    let text = experiments::builtin::get("ios11-handover").unwrap();
    let mut sc = Scenario::parse(Path::new("ios11-handover"), text).unwrap();
    sc.record.pcap_flavor = Some(flavor);
    sc.record.pcap_at = at.map(str::to_string);
    // A shorter download than the built-in's keeps tshark fast; the
    // handover at 5 s (about 6 MB into the transfer) is unchanged.
    sc.connections[0].traffic = Traffic::Download {
        bytes: ByteSize::from_bytes(10_000_000),
    };
    sc.stop = SimTime::from_secs(15);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    run_to_dir(&sc, &dir).unwrap();
    dir.join("trace.pcap")
}

const FIELDS: &[&str] = &[
    "frame.number",
    "tcp.stream",
    "mptcp.stream",
    "tcp.len",
    "mptcp.related_mapping",
    "mptcp.reinjection_of",
    "tcp.flags.reset",
    "tcp.window_size_value",
    "ip.src",
    "tcp.options.mptcp.subtype",
    "mptcp.dss.missing_mapping",
    "tcp.options.mptcp.version",
    "tcp.options.mptcp.dseqn8.flag",
    "tcp.options.mptcp.dataack8.flag",
    "_ws.malformed",
    "tcp.flags.fin",
    "tcp.completeness",
    "tcp.options.mptcp.datafin.flag",
];

/// One frame as tshark's MPTCP analysis sees it: field name -> value.
type Frame = std::collections::BTreeMap<&'static str, String>;

/// Runs tshark once with MPTCP analysis on and returns every frame.
fn frames(pcap: &Path) -> Vec<Frame> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(pcap).arg("-n");
    for p in [
        "mptcp.analyze_mptcp:TRUE",
        "mptcp.analyze_mappings:TRUE",
        "mptcp.intersubflows_retransmission:TRUE",
        "mptcp.relative_sequence_numbers:TRUE",
    ] {
        cmd.arg("-o").arg(p);
    }
    cmd.args(["-T", "fields", "-E", "separator=|", "-E", "occurrence=f"]);
    for f in FIELDS {
        cmd.arg("-e").arg(f);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| FIELDS.iter().copied().zip(l.split('|').map(str::to_string)).collect())
        .collect()
}

fn has(f: &Frame, k: &str) -> bool {
    f.get(k).is_some_and(|v| !v.is_empty())
}

#[test]
fn tshark_decodes_the_v1_trace_and_finds_the_connection_subflows_mappings_and_reinjections() {
    if !tshark_available() {
        return;
    }
    // At the server, the sender of the download: every mapping is in the
    // trace (at the client, a lost segment that opened a mapping is missing,
    // as it would be from tcpdump there).
    let fr = frames(&trace("tshark-v1", PcapFlavor::V1, Some("server")));
    assert!(fr.len() > 5000);
    assert!(!fr.iter().any(|f| has(f, "_ws.malformed")), "malformed packets");
    // Every frame with an MPTCP option belongs to MPTCP connection 0, over
    // two TCP streams (subflows). The bare zero-window ACK and the RST carry
    // no MPTCP option (as XNU sends them), so tshark cannot attribute them.
    let mut pairs: Vec<(String, String)> = fr
        .iter()
        .filter(|f| has(f, "mptcp.stream"))
        .map(|f| (f["tcp.stream"].clone(), f["mptcp.stream"].clone()))
        .collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(
        pairs,
        [("0".to_string(), "0".to_string()), ("1".to_string(), "0".to_string())]
    );
    // The MP_JOIN (subtype 1) is there.
    assert!(fr.iter().any(|f| f["tcp.options.mptcp.subtype"] == "1"));
    // Data segments carry mappings tshark can relate, none missing. The one
    // exception is the ACK a side sends after its own FIN (the last ACK of
    // the teardown): its sequence number lies past every mapping, and
    // tshark's MPTCP analysis says "No mapping available" for it. Linux
    // sends that ACK from the full socket too (tcp_input.c `tcp_fin`:
    // FIN-WAIT-2 -> `tcp_send_ack` before `tcp_time_wait`), with a DSS.
    let mut fin_sent = std::collections::BTreeSet::new();
    let missing: Vec<&Frame> = fr
        .iter()
        .filter(|f| {
            let side = (f["tcp.stream"].clone(), f["ip.src"].clone());
            let after_own_fin = fin_sent.contains(&side) && f["tcp.len"] == "0";
            if f["tcp.flags.fin"] == "1" {
                fin_sent.insert(side);
            }
            has(f, "mptcp.dss.missing_mapping") && !after_own_fin
        })
        .collect();
    assert!(missing.is_empty(), "{missing:?}");
    let mapped = fr
        .iter()
        .filter(|f| f["tcp.len"] != "0" && has(f, "mptcp.related_mapping"))
        .count();
    assert!(mapped > 1000, "{mapped} data frames with a related mapping");
    // The reinjections on Wi-Fi (stream 1) of data first sent on cellular.
    let reinj: Vec<&Frame> = fr.iter().filter(|f| has(f, "mptcp.reinjection_of")).collect();
    assert!(!reinj.is_empty(), "tshark found no reinjection");
    assert!(
        reinj.iter().all(|f| f["tcp.stream"] == "1"),
        "reinjections are on the Wi-Fi subflow"
    );
    // The zero window and then the RST on cellular (stream 0), from the client.
    let client = "10.1.1.2";
    let zw = fr
        .iter()
        .position(|f| f["tcp.stream"] == "0" && f["ip.src"] == client && f["tcp.window_size_value"] == "0");
    let rst = fr
        .iter()
        .position(|f| f["tcp.flags.reset"] == "1" || f["tcp.flags.reset"] == "True");
    let (zw, rst) = (zw.expect("zero window"), rst.expect("RST"));
    assert!(zw < rst && fr[rst]["tcp.stream"] == "0" && fr[rst]["ip.src"] == client);
}

#[test]
fn the_v0_flavor_writes_mptcp_v0_with_32_bit_data_sequence_numbers() {
    if !tshark_available() {
        return;
    }
    let fr = frames(&trace("tshark-v0", PcapFlavor::V0, None));
    assert!(!fr.iter().any(|f| has(f, "_ws.malformed")), "malformed packets");
    let versions: Vec<&String> = fr
        .iter()
        .map(|f| &f["tcp.options.mptcp.version"])
        .filter(|v| !v.is_empty())
        .collect();
    assert!(!versions.is_empty() && versions.iter().all(|v| *v == "0"));
    // No 8-byte DSNs or data-ACKs (mptcptrace reads 4-byte ones only).
    let eight = |k: &str| fr.iter().any(|f| f[k] == "1" || f[k] == "True");
    assert!(!eight("tcp.options.mptcp.dseqn8.flag") && !eight("tcp.options.mptcp.dataack8.flag"));
    assert!(
        fr.iter()
            .filter(|f| has(f, "mptcp.stream"))
            .all(|f| f["mptcp.stream"] == "0")
    );
    let streams: std::collections::BTreeSet<&String> = fr
        .iter()
        .filter(|f| has(f, "mptcp.stream"))
        .map(|f| &f["tcp.stream"])
        .collect();
    assert_eq!(streams.len(), 2, "both subflows linked to one v0 connection");
}

#[test]
fn a_trace_captured_at_the_client_holds_what_arrived_there_and_one_at_the_server_what_left_it() {
    if !tshark_available() {
        return;
    }
    let at_server = frames(&trace("tshark-at-server", PcapFlavor::V1, Some("server")));
    let at_client = frames(&trace("tshark-at-client", PcapFlavor::V1, None));
    let at_wifi = frames(&trace("tshark-at-wifi", PcapFlavor::V1, Some("wifi")));
    let server = "10.0.0.1";
    let data_from_server = |fr: &[Frame]| {
        fr.iter()
            .filter(|f| f["ip.src"] == server && f["tcp.len"] != "0")
            .count()
    };
    let (sent, arrived) = (data_from_server(&at_server), data_from_server(&at_client));
    // The handover and the queues drop some of what the server sent: the
    // client sees fewer data segments, but most of them.
    assert!(
        arrived < sent && arrived * 10 > sent * 9,
        "{arrived} arrived of {sent} sent"
    );
    // One interface of the client: a single subflow, and a part of the client's trace.
    let streams: std::collections::BTreeSet<&String> = at_wifi.iter().map(|f| &f["tcp.stream"]).collect();
    assert_eq!(streams.len(), 1, "the Wi-Fi capture holds only the Wi-Fi subflow");
    assert!(at_wifi.len() < at_client.len() && !at_wifi.is_empty());
    // One direction of one link: the Wi-Fi downlink carries only what the
    // server sent on the Wi-Fi subflow, as it came out of the link.
    let at_link = frames(&trace("tshark-at-wifi-down", PcapFlavor::V1, Some("wifi.down")));
    assert!(!at_link.is_empty() && at_link.iter().all(|f| f["ip.src"] == server));
    let streams: std::collections::BTreeSet<&String> = at_link.iter().map(|f| &f["tcp.stream"]).collect();
    assert_eq!(streams.len(), 1);
    let wifi_from_server = at_wifi.iter().filter(|f| f["ip.src"] == server).count();
    assert_eq!(
        at_link.len(),
        wifi_from_server,
        "the client's Wi-Fi sees what leaves its downlink"
    );
    for fr in [&at_server, &at_client, &at_wifi, &at_link] {
        assert!(!fr.iter().any(|f| has(f, "_ws.malformed")), "malformed packets");
    }
}

/// Wireshark's `tcp.completeness` bits (epan/dissectors/packet-tcp.c):
/// SYN, SYN/ACK, ACK, data, FIN, RST.
const COMPLETE_WITH_DATA_AND_FIN: u32 = 1 | 2 | 4 | 8 | 16;

#[test]
fn every_subflow_of_a_finished_download_closes_with_a_fin_from_each_side_and_tshark_calls_it_complete() {
    if !tshark_available() {
        return;
    }
    // linux-both with a download that ends well before the stop: both
    // applications close, both DATA_FINs are data-acknowledged, then every
    // subflow (wifi and cell) closes with FINs (RFC 8684 3.3.3).
    let text = experiments::builtin::get("linux-both").unwrap();
    let mut sc = Scenario::parse(Path::new("linux-both"), text).unwrap();
    sc.connections[0].traffic = Traffic::Download {
        bytes: ByteSize::from_bytes(5_000_000),
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tshark-close");
    run_to_dir(&sc, &dir).unwrap();
    let fr = frames(&dir.join("trace.pcap"));
    let mut streams: Vec<&str> = fr.iter().map(|f| f["tcp.stream"].as_str()).collect();
    streams.sort();
    streams.dedup();
    assert_eq!(streams.len(), 2, "the wifi and the cell subflow");
    for st in streams {
        let of: Vec<&Frame> = fr.iter().filter(|f| f["tcp.stream"] == st).collect();
        assert!(!of.iter().any(|f| f["tcp.flags.reset"] == "1"), "stream {st}: a RST");
        // A FIN from each side.
        let mut fin_from: Vec<&str> = of
            .iter()
            .filter(|f| f["tcp.flags.fin"] == "1")
            .map(|f| f["ip.src"].as_str())
            .collect();
        fin_from.sort();
        fin_from.dedup();
        assert_eq!(fin_from.len(), 2, "stream {st}: FINs from {fin_from:?}");
        // Wireshark: "Complete, WITH_DATA" (SYN, SYN/ACK, ACK, data, FIN).
        let done = of
            .iter()
            .filter_map(|f| f["tcp.completeness"].parse::<u32>().ok())
            .max()
            .unwrap();
        assert_eq!(done, COMPLETE_WITH_DATA_AND_FIN, "stream {st}");
    }
    // The DATA_FIN of each side, before any FIN.
    let first_fin = fr.iter().position(|f| f["tcp.flags.fin"] == "1").unwrap();
    let mut data_fin_from: Vec<&str> = fr[..first_fin]
        .iter()
        .filter(|f| f["tcp.options.mptcp.datafin.flag"] == "1")
        .map(|f| f["ip.src"].as_str())
        .collect();
    data_fin_from.sort();
    data_fin_from.dedup();
    // The server (10.0.0.1) and the client, on each of its addresses (an
    // ACK with the DATA_FIN on every subflow, Linux `mptcp_subflow_shutdown`).
    assert_eq!(data_fin_from, ["10.0.0.1", "10.1.0.2", "10.1.1.2"]);
}
