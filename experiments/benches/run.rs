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
//!
//! With `MPSIM_HTSIM` naming htsim's perf-2path driver (built outside the
//! repository as BENCHMARKS.md describes), the bench then runs it and
//! `perf-2path` 5 times each, interleaved, and prints both costs per data
//! packet (min and median) and their ratio: the head-to-head of the speed
//! issue. Run it when the machine is quiet: it measures wall time.

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

/// Min and median of `v`.
fn min_median(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

/// The htsim comparison (see the module docs); `bin` is the driver, which
/// prints `... N data packets, W s wall, ...` for its 60 s run.
fn htsim_report(bin: &str) {
    let sc = builtin("perf-2path");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_pkts, mut their_pkts) = (0, 0);
    for _ in 0..5 {
        let out = std::process::Command::new(bin).output().expect("the htsim driver runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |after: &str| -> f64 {
            let i = text.find(after).expect("the driver's summary line");
            let head = text[..i].trim_end();
            head[head.rfind(' ').map_or(0, |j| j + 1)..].parse().expect("a number")
        };
        their_pkts = field(" data packets") as u64;
        theirs.push(field(" s wall") / their_pkts as f64);
        let t = Instant::now();
        let m = run(&sc, &opts()).unwrap().metrics;
        our_pkts = data_packets(&m);
        ours.push(t.elapsed().as_secs_f64() / our_pkts as f64);
    }
    let (hmin, hmed) = min_median(theirs);
    let (mmin, mmed) = min_median(ours);
    println!(
        "htsim check (5 interleaved runs, ns per data packet, min / median): htsim {:.0} / {:.0} ({their_pkts} packets), \
         mpsim {:.0} / {:.0} ({our_pkts} packets); mpsim / htsim {:.2}x median (target: at most 1)",
        hmin * 1e9,
        hmed * 1e9,
        mmin * 1e9,
        mmed * 1e9,
        mmed / hmed
    );
}

criterion_group!(benches, runs);

fn main() {
    if let Ok(bin) = std::env::var("MPSIM_HTSIM") {
        htsim_report(&bin);
        return;
    }
    benches();
    ratio_report();
    Criterion::default().configure_from_args().final_summary();
}
