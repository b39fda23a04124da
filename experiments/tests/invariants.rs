//! Invariants over random scenarios: every scheduler x congestion control x
//! path manager, loss up to 20%, interfaces flapping. The application never
//! receives more than was sent, a transfer over steady paths completes with
//! exactly the bytes sent, nothing panics, and no run livelocks (a bound on
//! events). A failing case prints its seed and the whole scenario.

use std::path::Path;

use experiments::run::{RunOptions, resolved_ron, run};
use experiments::scenario::Scenario;
use proptest::prelude::*;

const SCHEDULERS: &[&str] = &["min_rtt", "round_robin", "redundant", "blest", "ecf"];
const CCS: &[&str] = &["reno", "cubic", "lia", "olia", "balia"];
const PMS: &[&str] = &["fullmesh", "default", "handover", "interactive", "aggregate", "none"];

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    ifaces: Vec<(u64, u64, u32, bool)>, // rate Mb/s, one-way delay ms, loss per mille, cellular
    flaps: Vec<(u64, usize, bool)>,     // at ms, interface, up
    scheduler: usize,
    cc: usize,
    pm: usize,
    kbytes: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        prop::collection::vec((1u64..50, 1u64..100, 0u32..200, any::<bool>()), 1..4),
        prop::collection::vec((100u64..20_000, 0usize..3, any::<bool>()), 0..4),
        0..SCHEDULERS.len(),
        0..CCS.len(),
        0..PMS.len(),
        20u64..400,
    )
        .prop_map(|(seed, ifaces, flaps, scheduler, cc, pm, kbytes)| Case {
            seed,
            ifaces,
            flaps,
            scheduler,
            cc,
            pm,
            kbytes,
        })
}

fn scenario_text(c: &Case) -> String {
    let mut s = format!(
        "Scenario(name: \"random\", seed: {}, stop: \"60s\", client: ClientSpec(interfaces: [",
        c.seed
    );
    for (i, (rate, delay, loss, cell)) in c.ifaces.iter().enumerate() {
        let kind = if *cell { "Cellular" } else { "Wifi" };
        let loss = *loss as f64 / 1000.0;
        s += &format!(
            "InterfaceSpec(name: \"if{i}\", kind: {kind}, \
             uplink: LinkSpec(rate: \"{rate}Mbps\", delay: \"{delay}ms\"), \
             downlink: LinkSpec(rate: \"{rate}Mbps\", delay: \"{delay}ms\", loss: Bernoulli(p: {loss}))),"
        );
    }
    s += "]), timeline: [";
    for (at, i, up) in &c.flaps {
        let i = i % c.ifaces.len();
        let ev = if *up { "IfaceUp" } else { "IfaceDown" };
        s += &format!("{ev}(at: \"{at}ms\", iface: \"if{i}\"),");
    }
    s += &format!(
        "], connections: [ConnectionSpec(path_manager: {}, scheduler: {}, cc: {}, \
         traffic: Download(bytes: \"{}KB\"))], record: RecordSpec(pcap: false, timeseries: false))",
        PMS[c.pm], SCHEDULERS[c.scheduler], CCS[c.cc], c.kbytes
    );
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_byte_arrives_once_in_order_and_no_run_panics_or_livelocks(c in case()) {
        let text = scenario_text(&c);
        let sc = Scenario::parse(Path::new("random.ron"), &text)
            .unwrap_or_else(|e| panic!("generated scenario does not parse: {e}\n{text}"));
        let shown = resolved_ron(&sc).unwrap();
        let budget = 3_000_000;
        let out = std::panic::catch_unwind(|| run(&sc, &RunOptions { event_budget: Some(budget), ..Default::default() }));
        let out = match out {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => panic!("run failed: {e}\nseed {}\n{shown}", c.seed),
            Err(_) => panic!("run panicked\nseed {}\n{shown}", c.seed),
        };
        let m = &out.metrics;
        prop_assert_ne!(m.outcome, "event_budget_exhausted", "event budget exhausted (livelock?)\nseed {}\n{}", c.seed, shown);
        let conn = &m.connections[0];
        let requested = c.kbytes * 1000;
        // The outcome tells the truth: completed exactly when every byte arrived.
        prop_assert_eq!(conn.outcome == "completed", conn.bytes_delivered == requested, "outcome {} with {} of {} bytes\nseed {}\n{}", conn.outcome, conn.bytes_delivered, requested, c.seed, shown);
        prop_assert_eq!(m.outcome, conn.outcome);
        prop_assert!(conn.bytes_delivered <= requested, "delivered more than sent\nseed {}\n{}", c.seed, shown);
        // Steady, moderately lossy paths: the transfer must complete exactly.
        let steady = c.flaps.is_empty() && c.ifaces.iter().all(|f| f.2 <= 100);
        if steady {
            prop_assert_eq!(conn.bytes_delivered, requested, "incomplete over steady paths\nseed {}\n{}", c.seed, shown);
        }
        // A subflow is reported closed with a reason, or open without one
        // (both from the same end).
        for sf in &conn.subflows {
            prop_assert_eq!(sf.closed_s.is_some(), sf.close_reason.is_some(), "{:?}\n{}", sf, shown);
        }
        // Events per delivered kilobyte stay bounded (no busy loop).
        prop_assert!(m.events <= 200_000 + 400 * (conn.bytes_delivered / 1000 + 1) * 10, "{} events\n{}", m.events, shown);
    }
}
