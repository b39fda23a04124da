//! The `mpsim` command line.
//!
//! Exit codes: 0 success, 2 bad input (scenario or command line), 1 a run
//! that failed for another reason (I/O), 70 a broken invariant (a bug of
//! mpsim, `run` and `reproduce`), 130 and 143 interrupted by SIGINT or
//! SIGTERM (the run's temporary directory is removed).
//!
//! `MPSIM_INJECT_PANIC` (any value) makes `run` and `reproduce` panic on
//! purpose while their temporary directory exists: the tests of the panic
//! hook use it, as no real broken invariant is known to trigger.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use experiments::scenario::Scenario;

/// mpsim: a deterministic discrete-event simulator for Multipath TCP.
///
/// `mpsim reproduce ios11-handover --out out` reproduces the iOS 11
/// handover experiment; `mpsim list` shows the built-in scenarios and
/// sweeps; `mpsim sweep handover-wifi-loss --out sweep` runs a sweep.
#[derive(Parser)]
#[command(name = "mpsim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario file and write a run directory (scenario.ron,
    /// metrics.json, timeseries.csv, trace.pcap).
    Run {
        /// The scenario file (RON).
        scenario: PathBuf,
        /// The run directory to write (replaced if it is a previous run).
        #[arg(long)]
        out: PathBuf,
        /// Override the scenario's master seed.
        #[arg(long)]
        seed: Option<u64>,
        /// MPTCP version in the trace: v1 (RFC 8684, for Wireshark/tshark)
        /// or v0 (RFC 6824 with 32-bit data sequence numbers, for mptcptrace).
        #[arg(long, value_name = "v1|v0")]
        pcap_flavor: Option<String>,
        /// No progress on stderr (by default: a bar of simulated time on a
        /// terminal, else a line every 5 s).
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Write the records only: no figures and no report.html (sets the
        /// scenario's record.figures to false; `mpsim plot DIR` draws the
        /// figures later).
        #[arg(long)]
        no_figures: bool,
        #[command(flatten)]
        figures: FigureArgs,
    },
    /// Reproduce a built-in experiment (see `mpsim list`) into a run directory.
    Reproduce {
        /// The built-in scenario, e.g. ios11-handover.
        name: String,
        /// The run directory to write (replaced if it is a previous run).
        #[arg(long)]
        out: PathBuf,
        /// Override the built-in scenario's master seed.
        #[arg(long)]
        seed: Option<u64>,
        /// MPTCP version in the trace: v1 (RFC 8684, for Wireshark/tshark)
        /// or v0 (RFC 6824 with 32-bit data sequence numbers, for mptcptrace).
        #[arg(long, value_name = "v1|v0")]
        pcap_flavor: Option<String>,
        /// No progress on stderr (by default: a bar of simulated time on a
        /// terminal, else a line every 5 s).
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Write the records only: no figures and no report.html (sets the
        /// scenario's record.figures to false; `mpsim plot DIR` draws the
        /// figures later).
        #[arg(long)]
        no_figures: bool,
        #[command(flatten)]
        figures: FigureArgs,
    },
    /// Redraw the figures of a run directory (all, or one kind), optionally
    /// with an extra zoom of the sequence graph (written as seq-zoom.png/.svg).
    Plot {
        /// A run directory written by `mpsim run` or `mpsim reproduce`.
        run_dir: PathBuf,
        /// One of: seq, seq-transition, seq-ooo, throughput, cwnd, srtt, ooo.
        #[arg(long)]
        kind: Option<String>,
        /// Zoom window: T0:T1 in seconds, optionally ,S0:S1 in megabytes of
        /// data sequence from the first byte (e.g. 4.9:5.3,4.0:4.6).
        #[arg(long, value_name = "T0:T1[,S0:S1]")]
        zoom: Option<String>,
        #[command(flatten)]
        figures: FigureArgs,
    },
    /// Run a parameter sweep (a sweep file, or a built-in sweep from
    /// `mpsim list`) into a sweep directory: journal.csv as runs finish,
    /// then results.csv, summary.csv and figures/.
    Sweep {
        /// The sweep file (RON) or the name of a built-in sweep.
        sweep: String,
        /// The sweep directory (new, or an interrupted sweep with --resume).
        #[arg(long)]
        out: PathBuf,
        /// Worker threads (default: one per core; at most 4 per core).
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Continue an interrupted sweep in --out without redoing finished runs.
        #[arg(long)]
        resume: bool,
        /// Run only shard I of N (runs r with r % N == I; I from 0), e.g.
        /// --shard $SLURM_ARRAY_TASK_ID/8; join the shards with `mpsim merge`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Start at most N runs, then stop (continue later with --resume).
        #[arg(long, value_name = "N")]
        max_runs: Option<usize>,
        /// Progress on stderr: auto (a bar on a terminal, else a line every
        /// 5 s), plain, or quiet.
        #[arg(long, default_value = "auto", value_name = "auto|plain|quiet")]
        progress: String,
    },
    /// Join the directories of a sharded sweep into one: results.csv,
    /// summary.csv and figures/, exactly as the unsharded sweep writes them.
    Merge {
        /// The merged sweep directory to write (new or empty).
        #[arg(long)]
        out: PathBuf,
        /// The shard directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// List the built-in scenarios and sweeps, one per line.
    List,
    /// Check a scenario or sweep file, or a built-in scenario or sweep by
    /// name, without running it (exit 0 if valid, 2 if not); for a sweep,
    /// count its runs and list invalid points.
    Validate {
        /// A scenario or sweep file, or a name from `mpsim list`.
        scenario: PathBuf,
    },
    /// Write a Mahimahi delivery trace (one line per 1504-byte delivery
    /// opportunity, in ms) for a link's `trace` field: constant, steps,
    /// on/off, or a seeded cellular-like random walk.
    Trace {
        #[command(subcommand)]
        shape: TraceCmd,
        /// The trace file to write (default: standard output).
        #[arg(long, global = true)]
        out: Option<PathBuf>,
    },
    /// Run the engine demo (two links, loss, an interface going down and up)
    /// and print per-link statistics.
    Demo {
        /// Master seed of the demo's random streams.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// The shapes of `mpsim trace` (sim_core::trace_gen says how each places
/// its opportunities).
#[derive(Subcommand)]
enum TraceCmd {
    /// One rate: N = round(period x rate / 12,032 bits) evenly spread
    /// opportunities, the last at the period.
    Constant {
        /// e.g. 12Mbps.
        #[arg(long)]
        rate: String,
        /// Whole milliseconds, e.g. 1s.
        #[arg(long)]
        period: String,
    },
    /// Rates one after the other, looping: RATE:DURATION,... (0 for silence).
    Steps {
        /// e.g. 24Mbps:5s,6Mbps:5s.
        #[arg(long)]
        steps: String,
    },
    /// RATE for ON, then silence for OFF, looping (one opportunity closes
    /// each cycle, since a trace's period is its last timestamp).
    OnOff {
        #[arg(long)]
        rate: String,
        #[arg(long)]
        on: String,
        #[arg(long)]
        off: String,
    },
    /// A seeded cellular-like random walk of the rate, mean-reverting,
    /// changing every STEP, with bursty opportunities within each step.
    RandomWalk {
        #[arg(long)]
        seed: u64,
        #[arg(long)]
        mean: String,
        #[arg(long)]
        min: String,
        #[arg(long)]
        max: String,
        /// How often the rate changes, e.g. 100ms.
        #[arg(long)]
        step: String,
        /// The trace's length (its period), a whole number of steps.
        #[arg(long)]
        duration: String,
        /// Volatility: the standard deviation of the relative rate change
        /// per step, in [0, 1].
        #[arg(long, default_value_t = 0.2)]
        sigma: f64,
    },
}

fn trace_command(shape: &TraceCmd, out: Option<&Path>) -> ExitCode {
    use experiments::traces;
    let shape = match shape {
        TraceCmd::Constant { rate, period } => traces::constant(rate, period),
        TraceCmd::Steps { steps } => traces::steps(steps),
        TraceCmd::OnOff { rate, on, off } => traces::on_off(rate, on, off),
        TraceCmd::RandomWalk {
            seed,
            mean,
            min,
            max,
            step,
            duration,
            sigma,
        } => traces::random_walk(&traces::WalkArgs {
            seed: *seed,
            mean,
            min,
            max,
            step,
            duration,
            sigma: *sigma,
        }),
    };
    let shape = match shape {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let text = match traces::generate(&shape) {
        Ok(t) => t,
        Err(e) => return bad_input(&e),
    };
    match out {
        // Whole or not at all: through a temporary sibling and a rename.
        Some(out) => match experiments::sweep::exec::write_atomic(out, &text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => sweep_error(e),
        },
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
    }
}

/// Size and text of the figures (`run`, `reproduce`, `plot`).
#[derive(clap::Args, Clone, Debug, Default)]
struct FigureArgs {
    /// Figure size preset: screen (1200 x 800) or paper (700 x 450,
    /// text 1.8 times larger: one column of a two-column paper).
    #[arg(long, value_name = "screen|paper")]
    size: Option<String>,
    /// Figure width in pixels (overrides the preset's).
    #[arg(long)]
    width: Option<u32>,
    /// Figure height in pixels (overrides the preset's).
    #[arg(long)]
    height: Option<u32>,
    /// Text size relative to the preset's (e.g. 1.5).
    #[arg(long)]
    font_scale: Option<f64>,
}

impl FigureArgs {
    /// The figures' output, or why the options are not one (bad input).
    fn output(&self) -> Result<plots::Output, String> {
        let mut o = match self.size.as_deref() {
            None => plots::Output::default(),
            Some(name) => experiments::figures::preset(name)
                .ok_or_else(|| format!("--size {name:?} is not a preset; expected screen or paper"))?,
        };
        if let Some(w) = self.width {
            o.width = w;
        }
        if let Some(h) = self.height {
            o.height = h;
        }
        if let Some(f) = self.font_scale {
            o.font_scale *= f;
        }
        let ((w0, h0), (w1, h1)) = (plots::Output::MIN_SIZE, plots::Output::MAX_SIZE);
        if !(w0..=w1).contains(&o.width) || !(h0..=h1).contains(&o.height) {
            return Err(format!(
                "figure size {}x{} is outside {w0}x{h0} to {w1}x{h1} pixels (--width, --height)",
                o.width, o.height
            ));
        }
        let (f0, f1) = plots::Output::FONT_SCALE;
        if !(o.font_scale >= f0 && o.font_scale <= f1) {
            return Err(format!(
                "--font-scale gives a text scale of {}; expected {f0} to {f1}",
                o.font_scale
            ));
        }
        Ok(o)
    }
}

/// Prints a line to stdout; a closed pipe (`mpsim list | head -1`) is not an error.
macro_rules! say {
    ($($t:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// Parses `T0:T1[,S0:S1]` (seconds; megabytes of data sequence).
fn parse_zoom(text: &str) -> Result<plots::Zoom, String> {
    let err = || {
        format!("--zoom {text:?} is not a window; expected T0:T1 or T0:T1,S0:S1 with T0 < T1 (e.g. 4.9:5.3,4.0:4.6)")
    };
    let range = |r: &str| -> Result<std::ops::Range<f64>, String> {
        let (a, b) = r.split_once(':').ok_or_else(err)?;
        let (a, b): (f64, f64) = (
            a.trim().parse().map_err(|_| err())?,
            b.trim().parse().map_err(|_| err())?,
        );
        if a.is_finite() && b.is_finite() && a < b {
            Ok(a..b)
        } else {
            Err(err())
        }
    };
    let (t, s) = match text.split_once(',') {
        Some((t, s)) => (t, Some(s)),
        None => (text, None),
    };
    let x = range(t)?;
    let y = s.map(range).transpose()?.map(|r| r.start * 1e6..r.end * 1e6);
    Ok(plots::Zoom { x: Some(x), y })
}

/// `1 subflow`, `2 subflows`.
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `5 of 10 bytes delivered`, or for open-ended traffic (nothing
/// requested) `5 bytes delivered (open-ended traffic)`.
fn delivered(bytes: u64, requested: Option<u64>) -> String {
    match requested {
        Some(r) => format!("{bytes} of {r} bytes delivered"),
        None => format!("{bytes} bytes delivered (open-ended traffic)"),
    }
}

fn bad_input(msg: &str) -> ExitCode {
    eprintln!("{msg}");
    ExitCode::from(2)
}

fn flavor(sc: &mut Scenario, f: &Option<String>) -> Result<(), String> {
    match f.as_deref() {
        None => Ok(()),
        Some("v1") => {
            sc.record.pcap_flavor = Some(experiments::scenario::PcapFlavor::V1);
            Ok(())
        }
        Some("v0") => {
            sc.record.pcap_flavor = Some(experiments::scenario::PcapFlavor::V0);
            Ok(())
        }
        Some(other) => Err(format!("--pcap-flavor {other:?} is not a flavor; expected v1 or v0")),
    }
}

fn run_and_report(sc: &Scenario, out: &Path, again: &str, quiet: bool, figure_output: &plots::Output) -> ExitCode {
    // Refuse to replace a directory that is not a previous run (bad input).
    if !out.join("scenario.ron").exists() && experiments::run::holds_files(out) {
        return bad_input(&format!(
            "{}: exists and is not a run directory; expected a new or empty directory, or a previous run to replace",
            out.display()
        ));
    }
    // The figures are drawn in the temporary directory, before it is
    // renamed into place: a run directory is complete or absent.
    let mut figures = Vec::new();
    let style = if quiet {
        experiments::progress::ProgressStyle::Quiet
    } else {
        experiments::progress::ProgressStyle::Auto
    };
    let progress = experiments::progress::RunProgress::new(&sc.name, sc.stop, style);
    let result = experiments::run::run_to_dir_observed(sc, out, Some(&progress), |tmp, output| {
        if std::env::var_os("MPSIM_INJECT_PANIC").is_some() {
            // A deliberate broken invariant while the temporary directory
            // exists, for the tests of the panic hook (tests/cli.rs).
            panic!("MPSIM_INJECT_PANIC is set: a deliberate internal error");
        }
        if !sc.record.figures {
            // The records only (record.figures: false, or --no-figures).
            return Ok(());
        }
        let drawn = experiments::figures::write_figures_sized(tmp, output, figure_output)
            .map_err(|e| format!("figures: {e}"))?;
        figures = drawn
            .iter()
            .filter_map(|f| f.file_name().map(|n| out.join(n)))
            .collect();
        experiments::report::write_report(tmp, output, sc).map_err(|e| format!("report.html: {e}"))?;
        Ok(())
    });
    match result {
        Ok(output) => {
            for (i, c) in output.metrics.connections.iter().enumerate() {
                let done = match (c.outcome, c.completion_s, c.stalled_since_s) {
                    ("completed", Some(s), _) => format!("completed in {s:.3} s"),
                    ("stalled", _, Some(t)) => format!("stalled (no data-level progress since {t:.3} s)"),
                    ("incomplete", ..) => "incomplete at the stop".to_string(),
                    ("broken", ..) => "broken (no subflow left)".to_string(),
                    (o, ..) => o.to_string(),
                };
                say!(
                    "connection {i}: {}, {done}, goodput {:.2} Mb/s, {} bytes reinjected, {}",
                    delivered(c.bytes_delivered, c.bytes_requested),
                    c.goodput_bps / 1e6,
                    c.reinjected_bytes,
                    plural(c.subflows.len(), "subflow")
                );
            }
            say!("{} events; run directory: {}", output.metrics.events, out.display());
            if sc.record.figures {
                say!("report: {}", out.join(experiments::report::FILE).display());
            }
            if !quiet && let Some(note) = mptcptrace_note(sc, &output.metrics) {
                eprintln!("{note}");
            }
            match output.metrics.outcome {
                "event_budget_exhausted" => eprintln!(
                    "mpsim: warning: the run stopped early ({}); results cover the run up to there",
                    output.metrics.outcome
                ),
                "completed" => {}
                // Open-ended traffic (DownloadFor, ConstantRate, OnOff) still
                // running at the stop is what such a run measures: each
                // connection's line says so, and nothing is wrong.
                "incomplete"
                    if output
                        .metrics
                        .connections
                        .iter()
                        .all(|c| c.outcome == "completed" || c.bytes_requested.is_none()) => {}
                o => eprintln!("mpsim: warning: outcome {o}: not every transfer completed by the stop"),
            }
            report_figures(Ok(figures))
        }
        Err(experiments::run::RunError::Delivery(v)) => {
            // A wrong result is not a result: nothing is written.
            eprintln!("mpsim: {v}");
            eprintln!(
                "mpsim: this is a bug in mpsim, not in the scenario: scenario {:?}, seed {}",
                sc.name, sc.seed
            );
            eprintln!("mpsim: repeat it with: {again}");
            ExitCode::from(experiments::oracle::EXIT_DELIVERY_VIOLATION)
        }
        Err(e) => {
            eprintln!("mpsim: {e}");
            ExitCode::from(1)
        }
    }
}

/// A note when the run wrote an MPTCP v1 trace of MPTCP connections:
/// mptcptrace reads only v0 and gives wrong results on v1 without saying so.
fn mptcptrace_note(sc: &Scenario, m: &experiments::run::Metrics) -> Option<&'static str> {
    let flavor = sc.record.pcap_flavor.unwrap_or(sc.mptcp_version).version();
    let mptcp = m.connections.iter().any(|c| c.mptcp);
    (sc.record.pcap && mptcp && flavor == models::segment::MptcpVersion::V1).then_some(
        "mpsim: note: trace.pcap holds MPTCP v1 (for Wireshark and tshark); mptcptrace reads only v0 \
         and gives wrong results on it: add --pcap-flavor v0 for mptcptrace (docs/outputs.md)",
    )
}

/// Broken invariants in a single run (the third error channel) end it
/// with the scenario's name, its seed and a command that repeats it, exit
/// code 70 (`EX_SOFTWARE`), and without the run's temporary directory.
/// Sweeps catch a run's panic and record it instead, so this is installed
/// for `run` and `reproduce` only.
fn install_panic_hook(sc: &Scenario, again: String) {
    let name = sc.name.clone();
    let seed = sc.seed;
    std::panic::set_hook(Box::new(move |info| {
        eprintln!("mpsim: internal error: {info}");
        eprintln!("mpsim: this is a bug in mpsim, not in the scenario: scenario {name:?}, seed {seed}");
        eprintln!("mpsim: repeat it with: {again}");
        experiments::interrupt::remove_registered();
        std::process::exit(70);
    }));
}

/// SIGINT and SIGTERM remove the run's temporary directory (exit 130, 143).
fn install_signal_handlers() {
    if let Err(e) = experiments::interrupt::install() {
        eprintln!("mpsim: warning: {e}; an interrupted run may leave its temporary directory");
    }
}

/// `mpsim plot`: draws the figures into a temporary directory inside the
/// run directory, then renames each into place, so a figure in the run
/// directory is always a whole one (an interrupted redraw leaves the old
/// figures or new ones, never a truncated file; SIGINT and SIGTERM remove
/// the temporary directory).
fn redraw(
    run_dir: &Path,
    records: Option<&experiments::run::SequenceFile>,
    ts: &experiments::timeseries::TimeSeries,
    names: &[String],
    opts: &experiments::figures::FigureOptions,
) -> Result<Vec<PathBuf>, String> {
    let tmp = run_dir.join(format!(".plot.tmp-{}", std::process::id()));
    experiments::interrupt::remove_stale(run_dir);
    let _guard = experiments::interrupt::TempGuard::new(&tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let result = (|| {
        experiments::interrupt::mark_owner(&tmp).map_err(|e| format!("cannot write in {}: {e}", tmp.display()))?;
        let drawn = match records {
            Some(r) => experiments::figures::draw_figures(&tmp, r, ts, names, opts)?,
            // A run without sequence.csv: the figures of the time series.
            None => {
                let none: &[experiments::run::SeqRecord] = &[];
                experiments::figures::draw_figures(&tmp, none, ts, names, opts)?
            }
        };
        let mut placed = Vec::new();
        for f in drawn {
            let Some(name) = f.file_name() else { continue };
            let to = run_dir.join(name);
            std::fs::rename(&f, &to).map_err(|e| format!("cannot move {} into {}: {e}", f.display(), to.display()))?;
            placed.push(to);
        }
        Ok(placed)
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// Prints the figures written, or why they could not be (exit 1).
fn report_figures(written: Result<Vec<PathBuf>, String>) -> ExitCode {
    match written {
        Ok(files) => {
            for f in files {
                say!("figure: {}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mpsim: figures: {e}");
            ExitCode::from(1)
        }
    }
}

/// The text of a built-in scenario or sweep named `name`, and whether it
/// is a sweep.
fn builtin_text(name: &Path) -> Option<(&'static str, bool)> {
    let name = name.to_str()?;
    experiments::builtin::get(name)
        .map(|t| (t, false))
        .or_else(|| experiments::builtin::sweep(name).map(|t| (t, true)))
}

/// `mpsim validate NAME` of a built-in scenario or sweep.
fn validate_builtin(name: &str) -> ExitCode {
    let Some((text, is_sweep)) = builtin_text(Path::new(name)) else {
        return bad_input(&format!("{name}: no such file or built-in scenario or sweep"));
    };
    if is_sweep {
        match experiments::sweep::Sweep::parse(Path::new(name), text, None) {
            Ok(sw) => {
                let invalid = sw.points.iter().filter(|p| p.is_err()).count();
                say!(
                    "{name}: valid built-in sweep: {} points x {} seeds = {} runs{}",
                    sw.info.points.len(),
                    sw.info.seeds.len(),
                    sw.info.runs(),
                    if invalid > 0 {
                        format!("; {invalid} points fail the scenario checks and will be failed runs")
                    } else {
                        String::new()
                    }
                );
                ExitCode::SUCCESS
            }
            Err(e) => bad_input(&e.to_string()),
        }
    } else {
        match Scenario::parse(Path::new(name), text) {
            Ok(_) => {
                say!("{name}: valid built-in scenario");
                ExitCode::SUCCESS
            }
            Err(e) => bad_input(&e.to_string()),
        }
    }
}

/// Whether a file's first value is a `Sweep(...)` (after comments and blank lines).
fn is_sweep_file(path: &Path) -> bool {
    // Bounded and regular files only (`validate /dev/zero` read for ever);
    // what is refused here is then refused by Scenario::load, located.
    let Ok(Ok(text)) = experiments::scenario::read_input(path).map(String::from_utf8) else {
        return false;
    };
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"))
        .is_some_and(|l| l.starts_with("Sweep"))
}

fn sweep_error(e: experiments::sweep::SweepError) -> ExitCode {
    match e {
        experiments::sweep::SweepError::BadInput(m) => bad_input(&m),
        experiments::sweep::SweepError::Io(m) => {
            eprintln!("mpsim: {m}");
            ExitCode::from(1)
        }
    }
}

/// `--jobs` is capped at this many worker threads per core.
const MAX_JOBS_PER_CORE: usize = 4;

fn sweep_command(
    name: &str,
    out: &Path,
    jobs: Option<usize>,
    resume: bool,
    shard: Option<&str>,
    max_runs: Option<usize>,
    progress: &str,
) -> ExitCode {
    use experiments::sweep::{ProgressMode, Shard, Sweep, SweepOptions};
    let path = Path::new(name);
    let sweep = if path.exists() {
        Sweep::load(path)
    } else if let Some(text) = experiments::builtin::sweep(name) {
        Sweep::parse(path, text, None)
    } else {
        let names: Vec<&str> = experiments::builtin::SWEEPS.iter().map(|b| b.0).collect();
        return bad_input(&format!(
            "{name}: no such file or built-in sweep; expected a sweep file or one of {}",
            names.join(", ")
        ));
    };
    let sweep = match sweep {
        Ok(s) => s,
        Err(e) => return bad_input(&e.to_string()),
    };
    let shard = match shard.map(str::parse::<Shard>).transpose() {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let progress = match progress {
        "auto" => ProgressMode::Auto,
        "plain" => ProgressMode::Plain,
        "quiet" => ProgressMode::Quiet,
        other => return bad_input(&format!("--progress {other:?}; expected auto, plain or quiet")),
    };
    if jobs == Some(0) {
        return bad_input("--jobs 0; expected at least 1 worker thread");
    }
    // A run is single-threaded and CPU-bound: more workers than cores only
    // add threads (--jobs 100000 never finished starting its pool).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_jobs = MAX_JOBS_PER_CORE * cores;
    let jobs = match jobs {
        Some(j) if j > max_jobs => {
            eprintln!("mpsim: --jobs {j} is more than {MAX_JOBS_PER_CORE} per core ({cores} cores); using {max_jobs}");
            Some(max_jobs)
        }
        j => j,
    };
    let opts = SweepOptions {
        jobs: jobs.unwrap_or(0),
        resume,
        shard,
        max_runs,
        progress,
    };
    match experiments::sweep::run_sweep(&sweep, out, &opts, &experiments::sweep::default_runner) {
        Ok(r) => {
            say!(
                "{} runs in {}: {} were done already, {} ran now, {} failed; outcomes: {} completed, {} incomplete, {} stalled, {} broken",
                r.runs,
                r.dir.display(),
                r.already_done,
                r.ran,
                r.failed,
                r.outcomes[0],
                r.outcomes[1],
                r.outcomes[2],
                r.outcomes[3]
            );
            if r.complete {
                say!("results: {}", r.dir.join("results.csv").display());
                if shard.is_none_or(|s| s.count == 1) {
                    say!("summary: {}", r.dir.join("summary.csv").display());
                    say!("figures: {}", r.dir.join("figures").display());
                }
            } else {
                say!(
                    "{} runs are not done; continue with: mpsim sweep {name} --out {} --resume",
                    r.runs - r.already_done - r.ran,
                    r.dir.display()
                );
            }
            if r.failed > 0 {
                eprintln!(
                    "mpsim: warning: {} runs failed; their errors are in the error column of results.csv",
                    r.failed
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => sweep_error(e),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            scenario,
            out,
            seed,
            pcap_flavor,
            quiet,
            no_figures,
            figures,
        } => {
            let figure_output = match figures.output() {
                Ok(o) => o,
                Err(e) => return bad_input(&e),
            };
            let mut sc = match Scenario::load(&scenario) {
                Ok(s) => s,
                Err(e) => return bad_input(&e.to_string()),
            };
            if let Some(s) = seed {
                sc.seed = s;
            }
            if let Err(e) = flavor(&mut sc, &pcap_flavor) {
                return bad_input(&e);
            }
            let mut again = format!(
                "mpsim run {} --out {} --seed {}",
                scenario.display(),
                out.display(),
                sc.seed
            );
            if let Some(f) = &pcap_flavor {
                again.push_str(&format!(" --pcap-flavor {f}"));
            }
            if no_figures {
                sc.record.figures = false;
                again.push_str(" --no-figures");
            }
            install_panic_hook(&sc, again.clone());
            install_signal_handlers();
            run_and_report(&sc, &out, &again, quiet, &figure_output)
        }
        Command::Reproduce {
            name,
            out,
            seed,
            pcap_flavor,
            quiet,
            no_figures,
            figures,
        } => {
            let figure_output = match figures.output() {
                Ok(o) => o,
                Err(e) => return bad_input(&e),
            };
            let Some(text) = experiments::builtin::get(&name) else {
                let names: Vec<&str> = experiments::builtin::BUILTIN.iter().map(|b| b.0).collect();
                return bad_input(&format!(
                    "no built-in scenario {name:?}; expected one of {}",
                    names.join(", ")
                ));
            };
            let mut sc = match Scenario::parse(Path::new(&name), text) {
                Ok(s) => s,
                Err(e) => return bad_input(&e.to_string()),
            };
            if let Some(s) = seed {
                sc.seed = s;
            }
            if let Err(e) = flavor(&mut sc, &pcap_flavor) {
                return bad_input(&e);
            }
            let mut again = format!("mpsim reproduce {name} --out {} --seed {}", out.display(), sc.seed);
            if let Some(f) = &pcap_flavor {
                again.push_str(&format!(" --pcap-flavor {f}"));
            }
            if no_figures {
                sc.record.figures = false;
                again.push_str(" --no-figures");
            }
            install_panic_hook(&sc, again.clone());
            install_signal_handlers();
            run_and_report(&sc, &out, &again, quiet, &figure_output)
        }
        Command::Plot {
            run_dir,
            kind,
            zoom,
            figures,
        } => {
            let figure_output = match figures.output() {
                Ok(o) => o,
                Err(e) => return bad_input(&e),
            };
            if let Some(k) = &kind
                && !experiments::figures::KINDS.contains(&k.as_str())
            {
                return bad_input(&format!(
                    "--kind {k:?} is not a figure; expected one of {}",
                    experiments::figures::KINDS.join(", ")
                ));
            }
            let zoom_text = zoom.clone();
            let zoom = match zoom.as_deref().map(parse_zoom).transpose() {
                Ok(z) => z,
                Err(e) => return bad_input(&e),
            };
            let (records, ts, names) = match experiments::run::open_run_dir(&run_dir) {
                Ok(x) => x,
                Err(e) => return bad_input(&e),
            };
            if let Some(z) = &zoom
                && let Err(e) = experiments::figures::check_zoom(records.as_ref(), z)
            {
                return bad_input(&format!("--zoom {}: {e}", zoom_text.as_deref().unwrap_or_default()));
            }
            let scenario = Scenario::load(&run_dir.join("scenario.ron")).map_or(String::new(), |s| s.name);
            let opts = experiments::figures::FigureOptions {
                kind,
                zoom,
                scenario,
                output: figure_output,
                capacity: experiments::figures::capacity_of(&run_dir),
            };
            install_signal_handlers();
            report_figures(redraw(&run_dir, records.as_ref(), &ts, &names, &opts))
        }
        Command::List => {
            let all = || experiments::builtin::BUILTIN.iter().chain(experiments::builtin::SWEEPS);
            let width = all().map(|b| b.0.len()).max().unwrap_or(0);
            for (name, desc, _) in all() {
                say!("{name:<width$}  {desc}");
            }
            ExitCode::SUCCESS
        }
        Command::Sweep {
            sweep,
            out,
            jobs,
            resume,
            shard,
            max_runs,
            progress,
        } => sweep_command(&sweep, &out, jobs, resume, shard.as_deref(), max_runs, &progress),
        Command::Merge { out, dirs } => match experiments::sweep::merge(&dirs, &out) {
            Ok(r) => {
                say!(
                    "merged {} directories: {} runs ({} failed) into {}",
                    r.shards,
                    r.runs,
                    r.failed,
                    out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => sweep_error(e),
        },
        Command::Validate { scenario } if !scenario.exists() && builtin_text(&scenario).is_some() => {
            validate_builtin(&scenario.display().to_string())
        }
        Command::Validate { scenario } if is_sweep_file(&scenario) => {
            match experiments::sweep::Sweep::load(&scenario) {
                Ok(sw) => {
                    let invalid = sw.points.iter().filter(|p| p.is_err()).count();
                    say!(
                        "{}: valid sweep: {} points x {} seeds = {} runs{}",
                        scenario.display(),
                        sw.info.points.len(),
                        sw.info.seeds.len(),
                        sw.info.runs(),
                        if invalid > 0 {
                            format!("; {invalid} points fail the scenario checks and will be failed runs")
                        } else {
                            String::new()
                        }
                    );
                    for e in sw.points.iter().filter_map(|p| p.as_ref().err()) {
                        say!("  {e}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => bad_input(&e.to_string()),
            }
        }
        Command::Validate { scenario } => match Scenario::load(&scenario) {
            Ok(_) => {
                say!("{}: valid", scenario.display());
                ExitCode::SUCCESS
            }
            Err(e) => bad_input(&e.to_string()),
        },
        Command::Trace { shape, out } => trace_command(&shape, out.as_deref()),
        Command::Demo { seed } => {
            let _ = write!(std::io::stdout().lock(), "{}", experiments::demo::run_demo(seed));
            ExitCode::SUCCESS
        }
    }
}
