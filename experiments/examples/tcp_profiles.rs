//! Compares the TCP profiles (issue 16) on the cases of docs/validation.md:
//!
//! - start-up: one CUBIC flow from time 0 over 5 Mb/s, 40 ms one way
//!   (80 ms RTT), 64,000-byte drop-tail queues: RTOs, and when the
//!   goodput of a 250 ms bin first reaches 90% of the payload capacity;
//! - "wifi only": 20 Mb/s, 10 ms one way, 64,000-byte queues, CUBIC, 10 s:
//!   goodput = application bytes / 10 s (Linux 6.18: 18.90 Mb/s);
//! - random loss: Reno and CUBIC over 1 Gb/s, 20 ms one way, 10 MB
//!   buffers, Bernoulli loss on the data direction, seeds 1-3, against
//!   Mathis (C = 1.22) and PFTK (b = 1, T0 = the sender's RTO).
//!
//! `cargo run --release -p experiments --example tcp_profiles [secs]`
//! (`secs`: the random-loss runs' length, 60 by default). The random-loss
//! table runs `Rfc6675`, `Linux6` and `Linux6` without RACK-TLP.

use experiments::tcp_run::{TcpRunSpec, link, run_tcp};
use experiments::theory::{mathis_bps, pftk_bps};
use std::sync::Arc;

use models::cc::{CubicConfig, RenoConfig};
use models::policy::CcFactory;
use models::tcp::{SlowStartExit, TcpConfig, TcpProfile};
use sim_core::{LossModel, SimDuration};

fn profiles() -> Vec<(&'static str, TcpConfig)> {
    let linux = TcpProfile::Linux6.config();
    let rfc = TcpProfile::Rfc6675.config();
    vec![
        ("Rfc6675", rfc.clone()),
        ("Linux6", linux.clone()),
        (
            "Linux6-RACK-TLP",
            TcpConfig {
                rack_tlp: false,
                ..linux.clone()
            },
        ),
        (
            "Linux6+HyStart++",
            TcpConfig {
                slow_start_exit: SlowStartExit::HyStartPlusPlus,
                ..linux.clone()
            },
        ),
        (
            "Linux6-HyStart",
            TcpConfig {
                slow_start_exit: SlowStartExit::Off,
                ..linux.clone()
            },
        ),
        (
            "Rfc6675+LinuxRTO",
            TcpConfig {
                rto_estimator: linux.rto_estimator,
                ..rfc.clone()
            },
        ),
        (
            "Rfc6675+LinuxLoss",
            TcpConfig {
                loss_response: linux.loss_response,
                ..rfc.clone()
            },
        ),
        (
            "Rfc6675+PRR",
            TcpConfig {
                prr: true,
                ..rfc.clone()
            },
        ),
        (
            "Rfc6675+HyStart",
            TcpConfig {
                slow_start_exit: SlowStartExit::HyStart,
                ..rfc.clone()
            },
        ),
        ("Rfc6675+RACK-TLP", TcpConfig { rack_tlp: true, ..rfc }),
    ]
}

fn cubic() -> Arc<dyn CcFactory> {
    Arc::new(CubicConfig {})
}

fn startup(name: &str, tcp: &TcpConfig) {
    let bin_ms = 250u64;
    let capacity = 5e6 * 1448.0 / 1500.0;
    let mut prev = 0u64;
    let mut reached = None;
    let mut sustained = None;
    let mut last = None;
    let mut bins = Vec::new();
    for i in 1..=40u64 {
        let spec = TcpRunSpec {
            seed: 1,
            forward: link(5, 40, 64_000, LossModel::None),
            reverse: link(5, 40, 64_000, LossModel::None),
            tcp: tcp.clone(),
            cc: cubic(),
            bytes: u64::MAX,
            duration: SimDuration::from_millis(bin_ms * i),
        };
        let r = run_tcp(&spec);
        let rate = (r.received_bytes - prev) as f64 * 8.0 / (bin_ms as f64 / 1000.0);
        prev = r.received_bytes;
        if reached.is_none() && rate >= 0.9 * capacity {
            reached = Some(bin_ms * i);
        }
        if rate >= 0.9 * capacity {
            sustained.get_or_insert(bin_ms * i);
        } else {
            sustained = None;
        }
        bins.push(format!("{:.1}", rate / 1e6));
        last = Some(r);
    }
    let r = last.expect("ran");
    println!(
        "| {name} | {} | {} | {} | {} | {:.2} |",
        r.sender_stats.rto_count,
        r.sender_stats.fast_retransmits,
        reached.map_or("never".to_string(), |ms| format!("{:.2} s", ms as f64 / 1000.0)),
        sustained.map_or("never".to_string(), |ms| format!("{:.2} s", ms as f64 / 1000.0)),
        r.received_bytes as f64 * 8.0 / 10.0 / 1e6
    );
    if std::env::var_os("BINS").is_some() {
        eprintln!("{name}: Mb/s per 250 ms bin: {}", bins.join(" "));
    }
}

fn wifi_only(name: &str, tcp: &TcpConfig) {
    let spec = TcpRunSpec {
        seed: 1,
        forward: link(20, 10, 64_000, LossModel::None),
        reverse: link(20, 10, 64_000, LossModel::None),
        tcp: tcp.clone(),
        cc: cubic(),
        bytes: u64::MAX,
        duration: SimDuration::from_secs(10),
    };
    let r = run_tcp(&spec);
    let goodput = r.received_bytes as f64 * 8.0 / 10.0 / 1e6;
    println!(
        "| {name} | {goodput:.2} | {:.3} | {} | {} | {} |",
        goodput / 18.90,
        r.sender_stats.rto_count,
        r.sender_stats.fast_retransmits,
        r.forward.dropped_pkts()
    );
}

fn random_loss(name: &str, tcp: &TcpConfig, secs: u64) {
    for p in [0.001, 0.005, 0.01, 0.02] {
        for (cc_name, cc) in [
            ("Reno", Arc::new(RenoConfig {}) as Arc<dyn CcFactory>),
            ("Cubic", cubic()),
        ] {
            let seeds = [1u64, 2, 3];
            let (mut goodput, mut rtos, mut t0) = (0.0, 0.0, 0.0);
            for seed in seeds {
                let spec = TcpRunSpec {
                    seed,
                    forward: link(1000, 20, 10_000_000, LossModel::Bernoulli { p }),
                    reverse: link(1000, 20, 10_000_000, LossModel::None),
                    tcp: tcp.clone(),
                    cc: cc.clone(),
                    bytes: u64::MAX,
                    duration: SimDuration::from_secs(secs),
                };
                let r = run_tcp(&spec);
                goodput += r.received_bytes as f64 * 8.0 / secs as f64;
                rtos += r.sender_stats.rto_count as f64;
                t0 += r.rto_base.as_secs_f64();
            }
            let n = seeds.len() as f64;
            let (goodput, rtos, t0) = (goodput / n, rtos / n, t0 / n);
            let mathis = mathis_bps(1448.0, 0.040, p, 1.22);
            let pftk = pftk_bps(1448.0, 0.040, p, 1.0, t0, f64::INFINITY);
            println!(
                "| {name} | {cc_name} | {}% | {:.3} | {rtos:.1} | {:.3} | {:.2} | {:.3} | {:.2} |",
                p * 100.0,
                goodput / 1e6,
                mathis / 1e6,
                goodput / mathis,
                pftk / 1e6,
                goodput / pftk
            );
        }
    }
}

fn main() {
    let secs: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    let only: Option<String> = std::env::args().nth(2);
    let profiles: Vec<_> = profiles()
        .into_iter()
        .filter(|(n, _)| only.as_deref().is_none_or(|o| o == *n))
        .collect();
    println!("Start-up: 5 Mb/s, 80 ms RTT, 64,000 B queues, CUBIC, from t = 0\n");
    println!(
        "| profile | RTOs in 10 s | fast recoveries | first 250 ms bin at 90% of capacity | every bin at 90% from | goodput 10 s (Mb/s) |"
    );
    println!("|---|---|---|---|---|---|");
    for (n, t) in &profiles {
        startup(n, t);
    }
    println!("\nWifi only: 20 Mb/s, 10 ms one way, 64,000 B queues, CUBIC, 10 s (Linux 6.18: 18.90 Mb/s)\n");
    println!("| profile | goodput (Mb/s) | / Linux | RTOs | fast recoveries | drops |");
    println!("|---|---|---|---|---|---|");
    for (n, t) in &profiles {
        wifi_only(n, t);
    }
    println!("\nRandom loss: 1 Gb/s, 40 ms RTT, {secs} s, seeds 1-3\n");
    println!("| profile | cc | loss | goodput (Mb/s) | RTOs | Mathis (Mb/s) | / Mathis | PFTK (Mb/s) | / PFTK |");
    println!("|---|---|---|---|---|---|---|---|---|");
    // Rfc6675, Linux6 and Linux6 without RACK-TLP.
    for (n, t) in profiles.iter().take(3) {
        random_loss(n, t, secs);
    }
}
