//! Tests of the lazily served link: a FIFO served lazily is the
//! precomputed path; disciplines conserve packets and keep each flow in
//! order; timed changes apply at their exact nanosecond.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use proptest::prelude::*;

use super::*;
use crate::qdisc::{CoDelConfig, FqCoDelConfig, QdiscConfig, RedConfig};
use crate::rng::RngStreams;

fn link(cfg: LinkConfig) -> Link<u32> {
    let s = RngStreams::new(1);
    Link::with_aqm_rng(cfg, s.stream("loss"), s.stream("jitter"), Some(s.stream("aqm")))
}

fn cfg(mbps: u64, delay_ms: u64, buffer: BufferLimit) -> LinkConfig {
    LinkConfig::new(
        Bandwidth::from_mbps(mbps).unwrap(),
        SimDuration::from_millis(delay_ms),
        buffer,
    )
}

fn flow(n: u16) -> FlowTuple {
    FlowTuple {
        src_addr: 1,
        dst_addr: 2,
        src_port: n,
        dst_port: 80,
        proto: 6,
    }
}

/// What happens to packets on a link, as an event loop would drive it.
#[derive(Debug, Clone)]
enum Step {
    Offer { at: SimTime, size: u32, flow: u16 },
    Down(SimTime),
    Up(SimTime),
}

impl Step {
    fn at(&self) -> SimTime {
        match *self {
            Step::Offer { at, .. } | Step::Down(at) | Step::Up(at) => at,
        }
    }
}

#[derive(Debug, Default, PartialEq)]
struct Outcome {
    /// (arrival, packet id), in delivery order.
    arrived: Vec<(SimTime, u32)>,
    /// Offer results, by packet id (the arrival when known).
    refused: Vec<(u32, DropCause)>,
    lost_down: Vec<u32>,
}

/// Drives `l` through `steps` (sorted by time), firing the wake-ups it
/// asks for before each step at a later instant, then to the end.
fn drive(l: &mut Link<u32>, steps: &[Step]) -> Outcome {
    let mut out = Outcome::default();
    let mut wakes: BinaryHeap<Reverse<SimTime>> = BinaryHeap::new();
    let fire = |l: &mut Link<u32>, wakes: &mut BinaryHeap<Reverse<SimTime>>, out: &mut Outcome, upto: SimTime| {
        while let Some(&Reverse(w)) = wakes.peek() {
            if w >= upto {
                break;
            }
            wakes.pop();
            l.on_wake(w);
            while let Some(p) = l.pop_arrived(w) {
                out.arrived.push((w, p));
            }
            if let Some(t) = l.poll_wake() {
                assert!(t >= w, "a wake-up in the past");
                wakes.push(Reverse(t));
            }
        }
    };
    for (id, s) in steps.iter().enumerate() {
        fire(l, &mut wakes, &mut out, s.at());
        match *s {
            Step::Offer { at, size, flow: f } => {
                if let Err(c) = l.offer_flow(at, size, flow(f), id as u32) {
                    out.refused.push((id as u32, c));
                }
            }
            Step::Down(at) => l.set_up(at, false, |p| out.lost_down.push(p)),
            Step::Up(at) => l.set_up(at, true, |_| {}),
        }
        if let Some(t) = l.poll_wake() {
            wakes.push(Reverse(t));
        }
    }
    fire(l, &mut wakes, &mut out, SimTime::MAX);
    out
}

fn steps_strategy() -> impl Strategy<Value = Vec<Step>> {
    // Gaps 0..1.5 ms, sizes 40..1500 B, 4 flows, an occasional down/up.
    prop::collection::vec((0u64..1_500_000, 40u32..=1500, 0u16..4, 0u8..100), 1..300).prop_map(|v| {
        let mut t = 0;
        let mut down = false;
        v.into_iter()
            .map(|(gap, size, f, k)| {
                t += gap;
                let at = SimTime::from_nanos(t);
                if k == 0 {
                    down = !down;
                    if down { Step::Down(at) } else { Step::Up(at) }
                } else {
                    Step::Offer { at, size, flow: f }
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_fifo_served_lazily_is_the_precomputed_drop_tail_path(
        steps in steps_strategy(),
        packets in prop::option::of(1u64..12),
        loss_pct in 0u32..3,
        jitter_us in prop::option::of(0u64..3000),
        reorder in any::<bool>(),
        traced in any::<bool>(),
    ) {
        let mut c = cfg(12, 10, packets.map_or(BufferLimit::Bytes(ByteSize::from_bytes(6000)), BufferLimit::Packets));
        if loss_pct > 0 {
            c.loss = LossModel::Bernoulli { p: loss_pct as f64 / 10.0 };
        }
        c.jitter = jitter_us.map(|us| Jitter {
            model: JitterModel::Uniform { max: SimDuration::from_micros(us) },
            allow_reorder: reorder,
        });
        if traced {
            c.trace = Some(std::sync::Arc::new(crate::trace::DeliveryTrace::parse("1\n1\n2\n4\n4\n4\n5\n").unwrap()));
        }
        let mut pre = link(c.clone());
        c.qdisc = Some(QdiscConfig::Fifo);
        let mut lazy = link(c);
        let mut a = drive(&mut pre, &steps);
        let mut b = drive(&mut lazy, &steps);
        // Going down, the precomputed path hands over what it held in
        // arrival order, the lazy one what was on the wire then what
        // waited: the same packets.
        a.lost_down.sort_unstable();
        b.lost_down.sort_unstable();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(pre.counters(), lazy.counters());
    }

    #[test]
    fn every_discipline_conserves_packets_and_keeps_each_flow_in_order(
        steps in steps_strategy(),
        which in 0u8..4,
        loss_pct in 0u32..3,
    ) {
        let mut c = cfg(12, 10, BufferLimit::Packets(30));
        if loss_pct > 0 {
            c.loss = LossModel::Bernoulli { p: loss_pct as f64 / 10.0 };
        }
        c.qdisc = Some(match which {
            0 => QdiscConfig::Fifo,
            1 => QdiscConfig::CoDel(CoDelConfig { target: SimDuration::from_micros(500), interval: SimDuration::from_millis(5), limit: 30 }),
            2 => QdiscConfig::FqCoDel(FqCoDelConfig { limit: 30, flows: 8, target: SimDuration::from_micros(500), interval: SimDuration::from_millis(5), ..FqCoDelConfig::default() }),
            _ => QdiscConfig::Red(RedConfig {
                limit: ByteSize::from_bytes(45_000),
                min: Some(ByteSize::from_bytes(3000)),
                max: Some(ByteSize::from_bytes(9000)),
                avpkt: ByteSize::from_bytes(1000),
                burst: None,
                probability: 0.1,
                bandwidth: None,
            }),
        });
        let mut l = link(c);
        let out = drive(&mut l, &steps);
        let offered = steps.iter().filter(|s| matches!(s, Step::Offer { .. })).count() as u64;
        let k = l.counters();
        prop_assert_eq!(k.offered_pkts, offered);
        prop_assert_eq!(k.delivered_pkts, out.arrived.len() as u64);
        prop_assert_eq!(l.in_flight_pkts(), 0);
        prop_assert_eq!(k.delivered_pkts + k.dropped_pkts(), offered);
        // Arrivals in time order, and within a flow in offer order.
        prop_assert!(out.arrived.windows(2).all(|w| w[0].0 <= w[1].0));
        let mut last = [None::<u32>; 4];
        for &(_, id) in &out.arrived {
            let Step::Offer { flow: f, .. } = steps[id as usize] else { unreachable!() };
            prop_assert!(last[f as usize].is_none_or(|p| p < id), "flow {} reordered", f);
            last[f as usize] = Some(id);
        }
    }
}

#[test]
fn codel_on_a_link_drops_a_standing_queue_at_the_control_laws_instants() {
    // 12 Mb/s: a 1500-byte packet per ms. 600 packets at time zero: the
    // first goes straight to the wire, the others wait; the one dequeued
    // at k ms has waited k ms. CoDel (see qdisc::codel's fixture) drops
    // at 105, 205, 276, 334, 384, 429 and 469 ms, each time the packet it
    // dequeues, and sends the next: the dropped ids are t + drops so far.
    let mut c = cfg(12, 10, BufferLimit::Packets(1));
    c.qdisc = Some(QdiscConfig::CoDel(CoDelConfig::default()));
    let mut l = link(c);
    let steps: Vec<Step> = (0..600)
        .map(|_| Step::Offer {
            at: SimTime::ZERO,
            size: 1500,
            flow: 0,
        })
        .collect();
    let out = drive(&mut l, &steps);
    let delivered: std::collections::BTreeSet<u32> = out.arrived.iter().map(|a| a.1).collect();
    let dropped: Vec<u32> = (0..480).filter(|i| !delivered.contains(i)).collect();
    assert_eq!(dropped, [105, 206, 278, 337, 388, 434, 475]);
    // Packet 106 was serialised from 105 ms: it arrives at 116 ms.
    assert!(out.arrived.contains(&(SimTime::from_millis(116), 106)));
    assert!(l.counters().dropped_aqm_pkts >= 7);
    assert_eq!(
        l.counters().dropped_queue_pkts,
        0,
        "CoDel's limit is 1000 packets, not the buffer"
    );
}

fn fifo(mbps: u64, delay_ms: u64) -> Link<u32> {
    let mut c = cfg(mbps, delay_ms, BufferLimit::Packets(100));
    c.qdisc = Some(QdiscConfig::Fifo);
    link(c)
}

fn arrivals(l: &mut Link<u32>) -> Vec<SimTime> {
    let mut v = Vec::new();
    while let Some(t) = l.poll_wake().or(l.next_arrival()) {
        l.on_wake(t);
        while l.pop_arrived(t).is_some() {
            v.push(t);
        }
    }
    v
}

#[test]
fn a_rate_change_applies_to_a_packet_offered_at_its_instant_not_one_nanosecond_before() {
    let t = SimTime::from_millis(10);
    let before = SimTime::from_nanos(t.as_nanos() - 1);
    // Offered 1 ns before: serialised at 12 Mb/s (1 ms), then 10 ms.
    let mut a = fifo(12, 10);
    a.offer(before, 1500, 0).unwrap();
    a.set_rate(t, Bandwidth::from_mbps(6).unwrap());
    assert_eq!(arrivals(&mut a), [before + SimDuration::from_millis(11)]);
    // Offered at the change: 6 Mb/s (2 ms).
    let mut b = fifo(12, 10);
    b.set_rate(t, Bandwidth::from_mbps(6).unwrap());
    b.offer(t, 1500, 0).unwrap();
    assert_eq!(arrivals(&mut b), [t + SimDuration::from_millis(12)]);
}

#[test]
fn a_rate_change_replans_waiting_packets_and_lets_the_one_on_the_wire_finish() {
    // Four packets at 0 on 12 Mb/s: on the wire 0..1, 1..2, 2..3 ms. At
    // 1.5 ms (no wake-up served in between) the rate halves: the second,
    // on the wire since 1 ms, still leaves at 2 ms; the others take 2 ms
    // each (2..4, 4..6 ms).
    let mut l = fifo(12, 10);
    for i in 0..4 {
        l.offer(SimTime::ZERO, 1500, i).unwrap();
    }
    l.set_rate(SimTime::from_micros(1500), Bandwidth::from_mbps(6).unwrap());
    let ms = SimTime::from_millis;
    assert_eq!(arrivals(&mut l), [ms(11), ms(12), ms(14), ms(16)]);
}

#[test]
fn a_packet_that_starts_serialising_at_the_change_instant_takes_the_new_rate() {
    // The second packet's serialisation starts at 1 ms, the change's
    // instant: 2 ms at the new rate (as a packet offered at 1 ms would).
    let mut l = fifo(12, 10);
    for i in 0..2 {
        l.offer(SimTime::ZERO, 1500, i).unwrap();
    }
    l.set_rate(SimTime::from_millis(1), Bandwidth::from_mbps(6).unwrap());
    let ms = SimTime::from_millis;
    assert_eq!(arrivals(&mut l), [ms(11), ms(13)]);
}

#[test]
fn a_delay_change_applies_from_its_instant_and_a_cut_does_not_reorder() {
    let t = SimTime::from_millis(10);
    let before = SimTime::from_nanos(t.as_nanos() - 1);
    let mut a = fifo(12, 50);
    a.offer(before, 1500, 0).unwrap();
    a.set_delay(t, SimDuration::from_millis(5));
    // The packet after the cut would arrive at 10 + 1 + 1 + 5 ms, before
    // the first (60.999999 ms): it is held behind it.
    a.offer(t, 1500, 1).unwrap();
    let first = before + SimDuration::from_millis(51);
    assert_eq!(arrivals(&mut a), [first, first]);
    let mut b = fifo(12, 50);
    b.set_delay(t, SimDuration::from_millis(5));
    b.offer(t, 1500, 0).unwrap();
    assert_eq!(arrivals(&mut b), [t + SimDuration::from_millis(6)]);
}

#[test]
fn a_smaller_buffer_drops_nothing_already_waiting_and_applies_on_enqueue() {
    for lazy in [false, true] {
        let mut c = cfg(12, 10, BufferLimit::Packets(10));
        if lazy {
            c.qdisc = Some(QdiscConfig::Fifo);
        }
        let mut l = link(c);
        for i in 0..6 {
            l.offer(SimTime::ZERO, 1500, i).unwrap();
        }
        l.set_buffer(SimTime::ZERO, BufferLimit::Packets(2));
        assert_eq!(l.offer(SimTime::ZERO, 1500, 6), Err(DropCause::Queue), "lazy {lazy}");
        assert_eq!(arrivals(&mut l).len(), 6, "the five waiting still arrive (lazy {lazy})");
        assert_eq!(l.counters().dropped_queue_pkts, 1);
    }
}

#[test]
fn a_blackhole_drops_what_is_offered_from_its_instant_and_delivers_what_it_held() {
    for lazy in [false, true] {
        let mut c = cfg(12, 10, BufferLimit::Packets(10));
        if lazy {
            c.qdisc = Some(QdiscConfig::Fifo);
        }
        let mut l = link(c);
        let t = SimTime::from_millis(10);
        assert!(l.offer(SimTime::from_nanos(t.as_nanos() - 1), 1500, 0).is_ok());
        l.set_blackhole(true);
        assert_eq!(l.offer(t, 1500, 1), Err(DropCause::Blackhole));
        assert!(l.is_up());
        assert_eq!(arrivals(&mut l).len(), 1);
        l.set_blackhole(false);
        assert!(l.offer(SimTime::from_millis(20), 1500, 2).is_ok());
        assert_eq!(arrivals(&mut l), [SimTime::from_millis(31)]);
        let k = l.counters();
        assert_eq!(
            (k.dropped_blackhole_pkts, k.delivered_pkts, k.dropped_down_pkts),
            (1, 2, 0)
        );
    }
}
