//! Progress of one long run on stderr, in simulated time: an indicatif
//! bar on a terminal, else a plain line when the run starts, every few
//! seconds of wall time and when it ends; nothing when quiet.
//!
//! The run reports its simulated time through [`RunProgress::at`], which
//! the run loop calls between slices of simulated time
//! ([`crate::run::run_to_dir_observed`]); progress only reads the clock and
//! writes to stderr, so it changes no output file.

#![warn(missing_docs)]

use std::cell::Cell;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use sim_core::SimTime;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProgressStyle {
    /// A bar on a terminal, plain lines otherwise.
    #[default]
    Auto,
    /// Plain lines only.
    Plain,
    /// Nothing.
    Quiet,
}

/// A plain line at most this often (wall time).
pub const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The progress of one run towards its stop time.
pub struct RunProgress {
    name: String,
    stop_s: f64,
    bar: Option<indicatif::ProgressBar>,
    plain: bool,
    start: Instant,
    last_line: Cell<Instant>,
    last_s: Cell<f64>,
}

impl RunProgress {
    /// Progress of the run `name` that simulates until `stop`.
    pub fn new(name: &str, stop: SimTime, style: ProgressStyle) -> RunProgress {
        let stop_s = stop.as_secs_f64();
        let tty = std::io::stderr().is_terminal();
        let (bar, plain) = match style {
            ProgressStyle::Quiet => (None, false),
            ProgressStyle::Auto if tty => {
                // Positions in milliseconds of simulated time.
                let bar = indicatif::ProgressBar::new(stop.as_nanos() / 1_000_000);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{prefix} [{elapsed_precise}] {wide_bar} {msg} simulated, ETA {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar.set_prefix(name.to_string());
                bar.set_message(format!("0.0/{stop_s:.1} s"));
                (Some(bar), false)
            }
            _ => (None, true),
        };
        if plain {
            eprintln!("run {name}: simulating {stop_s:.1} s");
        }
        let now = Instant::now();
        RunProgress {
            name: name.to_string(),
            stop_s,
            bar,
            plain,
            start: now,
            last_line: Cell::new(now),
            last_s: Cell::new(0.0),
        }
    }

    fn line(&self) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let at = self.last_s.get();
        let eta = if at > 0.0 && at < self.stop_s {
            format!(", ETA {:.0} s", secs * (self.stop_s - at) / at)
        } else {
            String::new()
        };
        format!(
            "run {}: {at:.1} of {:.1} s simulated in {secs:.1} s{eta}",
            self.name, self.stop_s
        )
    }

    /// The run has simulated up to `now`.
    pub fn at(&self, now: SimTime) {
        let s = now.as_secs_f64().min(self.stop_s);
        self.last_s.set(s);
        if let Some(bar) = &self.bar {
            bar.set_position(now.as_nanos() / 1_000_000);
            bar.set_message(format!("{s:.1}/{:.1} s", self.stop_s));
        }
        if self.plain && self.last_line.get().elapsed() >= PLAIN_EVERY {
            self.last_line.set(Instant::now());
            eprintln!("{}", self.line());
        }
    }

    /// The simulation is over: clears the bar and prints one last line
    /// (not when quiet).
    pub fn finish(&self) {
        self.last_s.set(self.stop_s);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.bar.is_some() || self.plain {
            eprintln!("{}", self.line());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_line_names_the_run_and_its_simulated_seconds() {
        let p = RunProgress::new("perf", SimTime::from_nanos(30_000_000_000), ProgressStyle::Quiet);
        p.at(SimTime::from_nanos(12_340_000_000));
        let line = p.line();
        assert!(line.starts_with("run perf: 12.3 of 30.0 s simulated in "), "{line}");
        assert!(line.contains(", ETA "), "{line}");
        p.finish();
        assert!(!p.line().contains("ETA"), "{}", p.line());
    }
}
