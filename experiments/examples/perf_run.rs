//! Runs the `perf-2path` reference scenario once with records and traces
//! off, for profiling (callgrind, perf) and peak-memory checks
//! (`/usr/bin/time -v`). The simulated duration (stop time and bulk
//! transfer length) is the first argument in seconds, default 60.
//!
//! `cargo run --release -p experiments --example perf_run -- 600`

use std::path::Path;

use experiments::run::{RunOptions, run};
use experiments::scenario::{Scenario, Traffic};
use sim_core::{SimDuration, SimTime};

fn main() {
    let secs: u64 = std::env::args().nth(1).map_or(60, |s| s.parse().expect("seconds"));
    let name = "perf-2path";
    let mut sc = Scenario::parse(Path::new(name), experiments::builtin::get(name).unwrap()).unwrap();
    sc.stop = SimTime::from_secs(secs);
    for c in &mut sc.connections {
        if let Traffic::DownloadFor { duration } = &mut c.traffic {
            *duration = SimDuration::from_secs(secs);
        }
    }
    let opts = RunOptions {
        keep_records: false,
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
        "{secs} s simulated: {} events, {data_pkts} downlink packets offered, {:.3} s wall, {:.0} ns per data packet, delivered {} bytes",
        m.events,
        wall,
        wall * 1e9 / data_pkts as f64,
        m.connections[0].bytes_delivered
    );
}
