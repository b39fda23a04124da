//! Prints the table of docs/tcp-throughput.md: one bulk TCP flow over a
//! 1 Gb/s path with 20 ms one-way delay and Bernoulli loss on the forward
//! link, against the Padhye et al. (PFTK) and Mathis et al. models.
//!
//! `cargo run --release -p experiments --example tcp_loss_table`

use experiments::tcp_run::{TcpRunSpec, link, run_tcp};
use experiments::theory::{mathis_bps, pftk_bps};
use std::sync::Arc;

use models::cc::{CubicConfig, RenoConfig};
use models::policy::CcFactory;
use models::tcp::TcpConfig;
use sim_core::{LossModel, SimDuration};

fn main() {
    let secs = 100u64;
    println!(
        "| loss p | cc | goodput (Mb/s) | RTOs | fast recoveries | PFTK b=1 (Mb/s) | measured/PFTK | Mathis C=1.22 (Mb/s) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for p in [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2] {
        for (cc_name, cc) in [
            ("Reno", Arc::new(RenoConfig {}) as Arc<dyn CcFactory>),
            ("Cubic", Arc::new(CubicConfig {}) as Arc<dyn CcFactory>),
        ] {
            let seeds = [1u64, 2, 3];
            let (mut goodput, mut rtos, mut frs, mut t0) = (0.0, 0.0, 0.0, 0.0);
            for seed in seeds {
                let spec = TcpRunSpec {
                    seed,
                    forward: link(1000, 20, 10_000_000, LossModel::Bernoulli { p }),
                    reverse: link(1000, 20, 10_000_000, LossModel::None),
                    tcp: TcpConfig::default(),
                    cc: cc.clone(),
                    bytes: u64::MAX,
                    duration: SimDuration::from_secs(secs),
                };
                let r = run_tcp(&spec);
                goodput += r.received_bytes as f64 * 8.0 / secs as f64;
                rtos += r.sender_stats.rto_count as f64;
                frs += r.sender_stats.fast_retransmits as f64;
                t0 += r.rto_base.as_secs_f64();
            }
            let n = seeds.len() as f64;
            let (goodput, rtos, frs, t0) = (goodput / n, rtos / n, frs / n, t0 / n);
            let pftk = pftk_bps(1448.0, 0.040, p, 1.0, t0, f64::INFINITY);
            let mathis = mathis_bps(1448.0, 0.040, p, 1.22);
            println!(
                "| {p} | {cc_name} | {:.3} | {rtos:.1} | {frs:.1} | {:.3} | {:.2} | {:.3} |",
                goodput / 1e6,
                pftk / 1e6,
                goodput / pftk,
                mathis / 1e6
            );
        }
    }
}
