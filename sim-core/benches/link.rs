//! A saturated link: a 1 Gb/s, 10 ms link kept busy by a sender that offers
//! a 1500-byte packet whenever the queue has room; each iteration offers one
//! packet and delivers every packet that has arrived by then.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::{Bandwidth, BufferLimit, Link, LinkConfig, RngStreams, SimDuration, SimTime};

fn saturated(c: &mut Criterion) {
    let mut g = c.benchmark_group("link");
    g.throughput(Throughput::Elements(1));
    g.bench_function("saturated_offer_and_deliver", |b| {
        let rng = RngStreams::new(1);
        let cfg = LinkConfig::new(
            Bandwidth::from_bps(1_000_000_000).unwrap(),
            SimDuration::from_millis(10),
            BufferLimit::Packets(100),
        );
        let mut link: Link<u64> = Link::new(cfg, rng.stream("loss"), rng.stream("jitter"));
        let tx = Bandwidth::from_bps(1_000_000_000).unwrap().tx_time(1500);
        let mut now = SimTime::ZERO;
        let mut n = 0u64;
        b.iter(|| {
            // Offer at the line rate: one packet per serialisation time.
            let _ = black_box(link.offer(now, 1500, n));
            n += 1;
            now += tx;
            while let Some(p) = link.pop_arrived(now) {
                black_box(p);
            }
        });
    });
    g.finish();
}

criterion_group!(benches, saturated);
criterion_main!(benches);
