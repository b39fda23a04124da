//! Runs the `perf-2path` reference scenario once with records and traces
//! off, for profiling (callgrind, perf) and peak-memory checks
//! (`/usr/bin/time -v`).
//!
//! `perf_run [SECONDS [RATE_MBPS [PCAP]]]`: the simulated duration (stop
//! time and bulk transfer length, default 60), the rate of all four links
//! (default 100; buffers stay one BDP of the new rate), and a path to write
//! the pcap trace to (default: no trace).
//!
//! `cargo run --release -p experiments --example perf_run -- 600`

use std::path::Path;

use experiments::run::{RunOptions, run};
use experiments::scenario::{Scenario, Traffic};
use sim_core::{SimDuration, SimTime};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args.get(1).map_or(60, |s| s.parse().expect("seconds"));
    let rate_mbps: u64 = args.get(2).map_or(100, |s| s.parse().expect("rate in Mb/s"));
    let pcap = args.get(3).map(std::path::PathBuf::from);
    let name = "perf-2path";
    let mut sc = Scenario::parse(Path::new(name), experiments::builtin::get(name).unwrap()).unwrap();
    sc.stop = SimTime::from_secs(secs);
    for c in &mut sc.connections {
        if let Traffic::DownloadFor { duration } = &mut c.traffic {
            *duration = SimDuration::from_secs(secs);
        }
    }
    let rate = sim_core::Bandwidth::from_mbps(rate_mbps).expect("a rate");
    for i in &mut sc.client.interfaces {
        for l in [&mut i.uplink, &mut i.downlink].into_iter().flatten() {
            l.rate = rate;
        }
    }
    let opts = RunOptions {
        keep_records: false,
        pcap_path: pcap,
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let out = run(&sc, &opts).unwrap();
    let wall = t.elapsed().as_secs_f64();
    let m = &out.metrics;
    let data_pkts: u64 = m
        .links
        .iter()
        .filter(|l| l.name.ends_with(".down"))
        .map(|l| l.offered_pkts)
        .sum();
    println!(
        "{secs} s simulated at {rate_mbps} Mb/s: {} events, {data_pkts} downlink packets offered, {:.3} s wall, {:.0} ns per data packet, delivered {} bytes",
        m.events,
        wall,
        wall * 1e9 / data_pkts as f64,
        m.connections[0].bytes_delivered
    );
    if m.outcome != "completed" {
        println!("outcome: {}", m.outcome);
    }
    for (i, sf) in m.connections[0].subflows.iter().enumerate() {
        println!(
            "subflow {i}: {} bytes sent, {} retransmitted, {} RTOs, closed {:?} ({:?})",
            sf.bytes_sent, sf.bytes_retransmitted, sf.rto_count, sf.closed_s, sf.close_reason
        );
    }
}
