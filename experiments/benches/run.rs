//! Whole runs of built-in scenarios, as a user runs them minus the output
//! files: the performance reference `perf-2path` (60 simulated seconds) and
//! the iOS 11 handover reproduction. Records for figures are off.
//!
//! In the same run, a bare `std::collections::BinaryHeap` hold loop with
//! 1e3 pending events (pop one, push one later), the yardstick of the
//! performance target: the cost per simulated data packet of `perf-2path`
//! is to be at most 4 times one pop+push. After criterion's report, the
//! bench prints that ratio from its own timing (the best of 5 of each, one
//! after the other), since criterion does not hand its estimates to code.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use experiments::run::{RunOptions, run};
use experiments::scenario::Scenario;

fn builtin(name: &str) -> Scenario {
    Scenario::parse(Path::new(name), experiments::builtin::get(name).unwrap()).unwrap()
}

fn opts() -> RunOptions {
    RunOptions {
        keep_records: false,
        ..Default::default()
    }
}

/// Data packets of a run: packets offered to the server-to-client links.
fn data_packets(m: &experiments::run::Metrics) -> u64 {
    m.links
        .iter()
        .filter(|l| l.name.ends_with(".down"))
        .map(|l| l.offered_pkts)
        .sum()
}

/// A bare BinaryHeap hold loop at `pending` events: `ops` pops and pushes.
struct Hold {
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    incs: Vec<u64>,
    i: usize,
}

impl Hold {
    fn new(pending: usize) -> Hold {
        // Uniform increments in [0, 2 ms) from a fixed xorshift sequence.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let incs: Vec<u64> = (0..1 << 16)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % 2_000_000
            })
            .collect();
        let heap = (0..pending).map(|i| Reverse((incs[i], i as u32))).collect();
        Hold { heap, incs, i: 0 }
    }
    fn step(&mut self) {
        let Reverse((t, e)) = self.heap.pop().unwrap();
        self.i = self.i.wrapping_add(1);
        let inc = self.incs[self.i & (self.incs.len() - 1)];
        self.heap.push(Reverse((t + inc, black_box(e))));
    }
}

fn runs(c: &mut Criterion) {
    let mut g = c.benchmark_group("run");
    g.sample_size(10);
    for name in ["perf-2path", "ios11-handover"] {
        let sc = builtin(name);
        let m = run(&sc, &opts()).unwrap().metrics;
        eprintln!("{name}: {} events, {} data packets per run", m.events, data_packets(&m));
        g.bench_function(name, |b| {
            b.iter(|| black_box(run(&sc, &opts()).unwrap().metrics.events))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("hold");
    let mut hold = Hold::new(1000);
    g.bench_function("bare_binary_heap_1e3", |b| b.iter(|| hold.step()));
    g.finish();
}

/// The target's ratio, from timings taken here one after the other.
fn ratio_report() {
    let sc = builtin("perf-2path");
    let mut best_run = f64::INFINITY;
    let mut packets = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let m = run(&sc, &opts()).unwrap().metrics;
        best_run = best_run.min(t.elapsed().as_secs_f64());
        packets = data_packets(&m);
    }
    let mut hold = Hold::new(1000);
    const OPS: u32 = 20_000_000;
    let mut best_hold = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..OPS {
            hold.step();
        }
        best_hold = best_hold.min(t.elapsed().as_secs_f64() / f64::from(OPS));
    }
    let per_packet = best_run / packets as f64;
    println!(
        "target check (best of 5): perf-2path {best_run:.3} s for {packets} data packets = {:.0} ns per data packet; \
         bare BinaryHeap pop+push at 1e3 pending = {:.1} ns; ratio {:.1} (target: at most 4)",
        per_packet * 1e9,
        best_hold * 1e9,
        per_packet / best_hold
    );
}

criterion_group!(benches, runs);

fn main() {
    benches();
    ratio_report();
    Criterion::default().configure_from_args().final_summary();
}
