//! The `mpsim` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mpsim: a deterministic discrete-event simulator for Multipath TCP.
#[derive(Parser)]
#[command(name = "mpsim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the built-in engine demo (two links, loss, an interface going
    /// down and up) and print per-link statistics.
    Demo {
        /// Master seed of the run's random streams.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { seed } => {
            print!("{}", experiments::demo::run_demo(seed));
            ExitCode::SUCCESS
        }
    }
}
