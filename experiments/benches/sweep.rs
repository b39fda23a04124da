//! A sweep of 8 independent runs at 1 and at 2 worker threads, and, in the
//! same run, a purely CPU-bound loop split the same way: the issue's target
//! compares the sweep's gain from the second thread with the loop's (these
//! vCPUs give the loop only about 1.1-1.3x, so 2x is never the yardstick).
//!
//! The runs are `perf-2path` cut to 5 simulated seconds (identical cost, no
//! randomness), through `run_sweep` as `mpsim sweep` does it, journal and
//! `results.csv` included, figures off.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use experiments::sweep::{ProgressMode, Sweep, SweepOptions, default_runner, run_sweep};
use rayon::prelude::*;

const SWEEP: &str = r#"Sweep(
    name: "bench-8",
    base: Builtin("perf-2path"),
    set: [Set(path: "stop", value: "5s"), Set(path: "connections[0].traffic", value: DownloadFor(duration: "5s"))],
    axes: [Axis(name: "scheduler", path: "connections[0].scheduler", values: [min_rtt])],
    seeds: 8,
    figures: [],
)"#;

/// A loop with no memory traffic: `n` steps of xorshift.
fn spin(mut x: u64, n: u64) -> u64 {
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

fn sweeps(c: &mut Criterion) {
    let sweep = Sweep::parse(Path::new("bench-8"), SWEEP, None).unwrap();
    let tmp = std::env::temp_dir().join(format!("mpsim-bench-sweep-{}", std::process::id()));
    let mut g = c.benchmark_group("sweep8");
    g.sample_size(10);
    for jobs in [1usize, 2] {
        g.bench_function(format!("runs_{jobs}_threads"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let _ = std::fs::remove_dir_all(&tmp);
                    let opts = SweepOptions {
                        jobs,
                        progress: ProgressMode::Quiet,
                        ..Default::default()
                    };
                    let t = Instant::now();
                    let r = run_sweep(&sweep, &tmp, &opts, &default_runner).unwrap();
                    total += t.elapsed();
                    assert_eq!((r.ran, r.failed), (8, 0));
                }
                total
            })
        });
    }
    // The same shape of work, CPU only: 8 tasks of about one run's length.
    for jobs in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build().unwrap();
        g.bench_function(format!("cpu_loop_{jobs}_threads"), |b| {
            b.iter(|| {
                pool.install(|| {
                    (0..8u64)
                        .into_par_iter()
                        .map(|k| spin(black_box(k + 1), 60_000_000))
                        .sum::<u64>()
                })
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&tmp);
}

criterion_group!(benches, sweeps);
criterion_main!(benches);
