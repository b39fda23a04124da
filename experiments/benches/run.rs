//! Whole runs of built-in scenarios, as a user runs them minus the output
//! files: the performance reference `perf-2path` (60 simulated seconds) and
//! the iOS 11 handover reproduction. Records for figures are off.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use experiments::run::{RunOptions, run};
use experiments::scenario::Scenario;

fn builtin(name: &str) -> Scenario {
    Scenario::parse(Path::new(name), experiments::builtin::get(name).unwrap()).unwrap()
}

fn runs(c: &mut Criterion) {
    let mut g = c.benchmark_group("run");
    g.sample_size(10);
    for name in ["perf-2path", "ios11-handover"] {
        let sc = builtin(name);
        let opts = RunOptions {
            keep_records: false,
            ..Default::default()
        };
        let events = run(&sc, &opts).unwrap().metrics.events;
        eprintln!("{name}: {events} events per run");
        g.bench_function(name, |b| b.iter(|| black_box(run(&sc, &opts).unwrap().metrics.events)));
    }
    g.finish();
}

criterion_group!(benches, runs);
criterion_main!(benches);
