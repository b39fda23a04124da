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
    // The figures are drawn before the run directory is renamed into
    // place, so it appears only complete.
    let figures = |tmp: &std::path::Path, output: &experiments::run::RunOutput| {
        experiments::figures::write_figures(tmp, output)
            .map(|_| ())
            .map_err(|e| format!("figures: {e}"))
    };
    match experiments::run::run_to_dir_with(&sc, &out, figures) {
        Ok(output) => {
            for (i, c) in output.metrics.connections.iter().enumerate() {
                println!(
                    "connection {i}: {} bytes delivered, goodput {:.2} Mb/s",
                    c.bytes_delivered,
                    c.goodput_bps / 1e6
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
