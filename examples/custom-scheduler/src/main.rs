//! `custom-scheduler SCENARIO.ron OUT_DIR`: runs a scenario file that may
//! name `largest_room`, and writes the usual run directory with figures.

use std::path::PathBuf;
use std::process::ExitCode;

use experiments::scenario::Scenario;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [scenario, out] = args.as_slice() else {
        eprintln!("usage: custom-scheduler SCENARIO.ron OUT_DIR");
        return ExitCode::from(2);
    };
    let sc = match Scenario::load_with(&custom_scheduler::registry(), &PathBuf::from(scenario)) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let out = PathBuf::from(out);
    match experiments::run::run_to_dir(&sc, &out) {
        Ok(output) => {
            for (i, c) in output.metrics.connections.iter().enumerate() {
                println!(
                    "connection {i}: {} bytes delivered, goodput {:.2} Mb/s",
                    c.bytes_delivered,
                    c.goodput_bps / 1e6
                );
            }
            if let Err(e) = experiments::figures::write_figures(&out, &output) {
                eprintln!("figures: {e}");
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
