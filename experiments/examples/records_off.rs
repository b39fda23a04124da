//! Runs any scenario file once with records and traces off and prints its
//! cost per data packet: for scaling measurements (`/usr/bin/time -v`,
//! callgrind) of scenarios such as the `dumbbell-N` built-ins.
//!
//! `records_off FILE_OR_BUILTIN [--stop SECONDS] [LINK...]`: `--stop`
//! shortens the run (and every transfer's duration with it), for
//! callgrind. Data packets are those offered
//! to the links named (default: those whose name ends in `.down`, server to
//! client in the one-client form, else `gw-server.ba`, the dumbbell's
//! server uplink; else every link's).
//!
//! `cargo run --release -p experiments --example records_off -- dumbbell-1000`

use std::path::Path;

use experiments::run::{RunOptions, run};
use experiments::scenario::{Scenario, Traffic};
use sim_core::SimTime;

fn main() {
    let arg = std::env::args().nth(1).expect("a scenario file or built-in name");
    let mut named: Vec<String> = std::env::args().skip(2).collect();
    let stop = named.iter().position(|a| a == "--stop").map(|i| {
        let secs: f64 = named
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .expect("--stop takes seconds");
        named.drain(i..i + 2);
        SimTime::from_nanos((secs * 1e9) as u64)
    });
    let mut sc = match experiments::builtin::get(&arg) {
        Some(text) => Scenario::parse(Path::new(&arg), text),
        None => Scenario::load(Path::new(&arg)),
    }
    .unwrap_or_else(|e| panic!("{e}"));
    if let Some(stop) = stop {
        sc.stop = stop;
        // Open-ended transfers last until the new stop.
        let templates = sc.flows.iter_mut().map(|f| &mut f.connection);
        for c in sc.connections.iter_mut().chain(templates) {
            if let Traffic::DownloadFor { duration } = &mut c.traffic {
                *duration = stop.saturating_since(SimTime::ZERO);
            }
        }
    }
    let opts = RunOptions {
        keep_records: false,
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let out = run(&sc, &opts).unwrap_or_else(|e| panic!("{e}"));
    let wall = t.elapsed().as_secs_f64();
    let m = &out.metrics;
    let sum =
        |keep: &dyn Fn(&str) -> bool| -> u64 { m.links.iter().filter(|l| keep(&l.name)).map(|l| l.offered_pkts).sum() };
    let data_pkts = if !named.is_empty() {
        sum(&|n| named.iter().any(|x| x == n))
    } else {
        [
            sum(&|n| n.ends_with(".down")),
            sum(&|n| n == "gw-server.ba"),
            sum(&|_| true),
        ]
        .into_iter()
        .find(|&p| p > 0)
        .unwrap_or(0)
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
