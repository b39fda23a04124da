//! Runs any scenario file once with records and traces off and prints its
//! cost per data packet: for scaling measurements (`/usr/bin/time -v`,
//! callgrind) of scenarios such as the `dumbbell-N` built-ins.
//!
//! `records_off FILE_OR_BUILTIN`: data packets are those offered to links
//! whose name ends in `.down` (server to client); if there are none, all
//! offered packets count.
//!
//! `cargo run --release -p experiments --example records_off -- dumbbell-1000`

use std::path::Path;

use experiments::run::{RunOptions, run};
use experiments::scenario::Scenario;

fn main() {
    let arg = std::env::args().nth(1).expect("a scenario file or built-in name");
    let sc = match experiments::builtin::get(&arg) {
        Some(text) => Scenario::parse(Path::new(&arg), text),
        None => Scenario::load(Path::new(&arg)),
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions {
        keep_records: false,
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let out = run(&sc, &opts).unwrap_or_else(|e| panic!("{e}"));
    let wall = t.elapsed().as_secs_f64();
    let m = &out.metrics;
    let down: u64 = m
        .links
        .iter()
        .filter(|l| l.name.ends_with(".down"))
        .map(|l| l.offered_pkts)
        .sum();
    let data_pkts = if down > 0 {
        down
    } else {
        m.links.iter().map(|l| l.offered_pkts).sum()
    };
    let delivered: u64 = m.connections.iter().map(|c| c.bytes_delivered).sum();
    println!(
        "{}: {} connections, {} events, {data_pkts} data packets, {wall:.3} s wall, {:.0} ns per data packet, {delivered} bytes delivered, outcome {}",
        m.scenario,
        m.connections.len(),
        m.events,
        wall * 1e9 / data_pkts as f64,
        m.outcome
    );
}
