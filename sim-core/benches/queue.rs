//! Event queue in the hold model (pop one, push one at a random later time)
//! at 1e3, 1e5 and 1e6 pending events, beside a bare `std::collections::BinaryHeap`
//! hold loop measured in the same run. Increments are pre-drawn so both loops
//! pay the same for randomness (nothing).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::RngExt;
use sim_core::{EventQueue, RngStreams, SimTime};

const OPS_PER_ITER: u64 = 1;

fn increments(n: usize) -> Vec<u64> {
    let mut rng = RngStreams::new(1).stream("bench/increments");
    // Uniform on [0, 2e6) ns: a mean hold time of 1 ms.
    (0..n).map(|_| rng.random_range(0..2_000_000u64)).collect()
}

fn hold(c: &mut Criterion) {
    let incs = increments(1 << 16);
    let mask = incs.len() - 1;
    let mut g = c.benchmark_group("hold");
    g.throughput(Throughput::Elements(OPS_PER_ITER));
    for &pending in &[1_000usize, 100_000, 1_000_000] {
        g.bench_with_input(BenchmarkId::new("bare_binary_heap", pending), &pending, |b, &n| {
            let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::with_capacity(n);
            for i in 0..n {
                heap.push(Reverse((incs[i & mask], i as u32)));
            }
            let mut i = 0usize;
            b.iter(|| {
                let Reverse((t, e)) = heap.pop().unwrap();
                i = i.wrapping_add(1);
                heap.push(Reverse((t + incs[i & mask], black_box(e))));
            });
        });
        g.bench_with_input(BenchmarkId::new("event_queue", pending), &pending, |b, &n| {
            let mut q: EventQueue<u32> = EventQueue::with_capacity(n);
            for i in 0..n {
                q.schedule(SimTime::from_nanos(incs[i & mask]), i as u32).unwrap();
            }
            let mut i = 0usize;
            b.iter(|| {
                let (t, e) = q.pop().unwrap();
                i = i.wrapping_add(1);
                q.schedule(SimTime::from_nanos(t.as_nanos() + incs[i & mask]), black_box(e))
                    .unwrap();
            });
        });
        g.bench_with_input(BenchmarkId::new("event_queue_fused", pending), &pending, |b, &n| {
            let mut q: EventQueue<u32> = EventQueue::with_capacity(n);
            for i in 0..n {
                q.schedule(SimTime::from_nanos(incs[i & mask]), i as u32).unwrap();
            }
            let mut i = 0usize;
            b.iter(|| {
                i = i.wrapping_add(1);
                let next = q.peek_time().unwrap().as_nanos() + incs[i & mask];
                let (_, e) = q.pop_and_push(SimTime::from_nanos(next), i as u32).unwrap().unwrap();
                black_box(e);
            });
        });
    }
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
