//! The event queue's two layouts in the hold model, for choosing where the
//! hybrid queue switches (BENCHMARKS.md, "The hybrid queue's switch"): `n`
//! events pending, each step pops the earliest and schedules one event a
//! pseudo-random 0..2 ms later (as a link or a timer re-arms). Run it under
//! `valgrind --tool=cachegrind` and compare the instructions and data-cache
//! misses per hold of the layouts at each size:
//!
//! ```sh
//! queue_layouts binary 256 1000000   # the binary heap only
//! queue_layouts radix 256 1000000    # the radix heap only
//! queue_layouts hybrid 256 1000000   # as a run uses it
//! ```
//!
//! The events carry 24 bytes, about what a network event does.

use sim_core::SimTime;
use sim_core::queue::{BINARY_BELOW, EventQueue, RADIX_ABOVE};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: queue_layouts binary|radix|hybrid PENDING HOLDS";
    if args.len() != 4 {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    let (above, below) = match args[1].as_str() {
        "binary" => (usize::MAX, usize::MAX),
        "radix" => (0, 0),
        "hybrid" => (RADIX_ABOVE, BINARY_BELOW),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let parse = |s: &str| {
        s.parse::<u64>().unwrap_or_else(|_| {
            eprintln!("{usage}: {s:?} is not a count");
            std::process::exit(2)
        })
    };
    let (pending, holds) = (parse(&args[2]), parse(&args[3]));
    let mut q: EventQueue<[u64; 3]> = EventQueue::with_thresholds(pending as usize + 1, above, below);
    // A fixed xorshift stream: the same schedule for every layout.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % 2_000_000
    };
    for i in 0..pending {
        q.schedule(SimTime::from_nanos(next()), [i, 0, 0])
            .expect("not in the past");
    }
    let mut sum = 0u64;
    for _ in 0..holds {
        let (now, e) = q.pop().expect("pending");
        sum = sum.wrapping_add(e[0]);
        q.schedule(SimTime::from_nanos(now.as_nanos() + next()), [e[0], e[1] + 1, 0])
            .expect("not in the past");
    }
    println!(
        "{} {pending} pending, {holds} holds, radix layout at the end: {}, checksum {sum}",
        args[1],
        q.uses_radix_heap()
    );
}
