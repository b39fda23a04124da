//! Running a sweep: every run of the plan (or of one shard of it) on a rayon
//! pool, each result appended to `journal.csv` as it finishes, so that an
//! interrupted sweep continues with `--resume` where it stopped.
//!
//! A sweep directory holds:
//! - `sweep.json`: the plan (axes, points, seeds, metric columns, figures,
//!   fingerprint) and the shard, so `--resume` and `mpsim merge` need
//!   nothing else;
//! - `sweep.ron`: the sweep file as given, for the record;
//! - `journal.csv`: the header, then one row per finished run in the order
//!   they finished;
//! - when every run of the directory is done: `results.csv` (the journal's
//!   rows in run order) and, for a whole sweep (not a shard), `summary.csv`
//!   and `figures/`.
//!
//! - `.lock`: held (`flock`) by the one `mpsim sweep` writing the directory;
//!   a second one on the same directory is refused. The lock goes with its
//!   process, however that ends.
//!
//! On `--resume` every journal row is checked against the run it names
//! (point, seed, axis values, status); a row that is not what this sweep
//! writes for that run is refused with its line, and not copied into
//! `results.csv`.
//!
//! A run that fails (an invalid point, an error, a panic, the event budget
//! exhausted) is a row with status `failed` and its error; the sweep goes on.
//! A failed run counts as done: `--resume` does not repeat it (runs are
//! deterministic, so it would fail again).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::run::{Metrics, RunOptions, holds_files, run};
use crate::scenario::Scenario;
use crate::sweep::plan::{PlanInfo, Sweep};
use crate::sweep::results::{
    Outcome, csv_line, outcome_counts, parse_csv, result_row, results_csv, results_header, status_col, summary_csv,
};

/// Why a sweep could not be run or merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepError {
    /// The user's input: a directory that is not this sweep's, a shard
    /// spec, missing runs in a merge. The command exits with 2.
    BadInput(String),
    /// Reading or writing files.
    Io(String),
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SweepError::BadInput(m) | SweepError::Io(m) => f.write_str(m),
        }
    }
}

fn io(what: &str, p: &Path, e: std::io::Error) -> SweepError {
    SweepError::Io(format!("cannot {what} {}: {e}", p.display()))
}

/// One slice of the runs: run `r` belongs to shard `r % count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    /// `I/N` with 0 <= I < N (Slurm's array task ids start at 0).
    fn from_str(s: &str) -> Result<Shard, String> {
        let err = || format!("--shard {s:?} is not a shard; expected I/N with 0 <= I < N, such as 0/4");
        let (i, n) = s.split_once('/').ok_or_else(err)?;
        let (index, count): (usize, usize) = (
            i.trim().parse().map_err(|_| err())?,
            n.trim().parse().map_err(|_| err())?,
        );
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

/// How progress is shown on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// A bar on a terminal, plain lines every few seconds otherwise.
    #[default]
    Auto,
    /// Plain lines only.
    Plain,
    /// Nothing.
    Quiet,
}

/// How to run a sweep.
#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    /// Worker threads (0: rayon's default, one per core).
    pub jobs: usize,
    /// Continue the sweep in an existing directory.
    pub resume: bool,
    pub shard: Option<Shard>,
    /// Start at most this many runs, then stop (a time-limited job that
    /// continues later with `resume`).
    pub max_runs: Option<usize>,
    pub progress: ProgressMode,
}

/// What a call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepReport {
    /// Runs of this directory (all, or the shard's).
    pub runs: usize,
    /// Found done in the journal when the call started.
    pub already_done: usize,
    /// Run by this call.
    pub ran: usize,
    /// Failed runs among all done.
    pub failed: usize,
    /// The runs done that did not fail, by outcome (in the order of
    /// [`crate::run::OUTCOMES`]: completed, incomplete, stalled, broken).
    pub outcomes: [usize; 4],
    /// Every run of the directory is done and `results.csv` is written.
    pub complete: bool,
    pub dir: PathBuf,
}

/// What is kept in `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepState {
    pub plan: PlanInfo,
    pub shard: Option<Shard>,
}

/// Runs one scenario with an optional event budget.
pub type Runner = dyn Fn(&Scenario, Option<u64>) -> Result<Metrics, String> + Sync;

/// The runner `mpsim sweep` uses: a run without traces or records; an
/// exhausted event budget is a failure.
pub fn default_runner(sc: &Scenario, budget: Option<u64>) -> Result<Metrics, String> {
    let out = run(
        sc,
        &RunOptions {
            pcap_path: None,
            keep_records: false,
            event_budget: budget,
        },
    )?;
    if out.metrics.outcome == "event_budget_exhausted" {
        return Err(format!(
            "event budget exhausted: {} events by {:.3} s of simulated time",
            out.metrics.events, out.metrics.simulated_s
        ));
    }
    Ok(out.metrics)
}

const STATE: &str = "sweep.json";
const JOURNAL: &str = "journal.csv";
const LOCK: &str = ".lock";

/// The sweep directory's lock, held while the value lives (the kernel
/// drops it with the process).
#[derive(Debug)]
pub struct DirLock {
    _file: std::fs::File,
}

/// Takes `dir`'s lock (`flock(LOCK_EX | LOCK_NB)` on `dir/.lock`), or says
/// which process holds it.
pub fn lock_dir(dir: &Path) -> Result<DirLock, SweepError> {
    use std::os::fd::AsRawFd;
    let p = dir.join(LOCK);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&p)
        .map_err(|e| io("open", &p, e))?;
    // SAFETY: flock(2) on a descriptor `file` owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(io("lock", &p, e));
        }
        let holder = std::fs::read_to_string(&p).unwrap_or_default();
        let holder = holder.trim();
        let who = if holder.is_empty() {
            String::new()
        } else {
            format!(" (process {holder})")
        };
        return Err(SweepError::BadInput(format!(
            "{}: another mpsim sweep is writing this directory{who}; expected one sweep at a time in a directory: wait for it to finish, or use another --out",
            dir.display()
        )));
    }
    file.set_len(0).map_err(|e| io("write", &p, e))?;
    writeln!(file, "{}", std::process::id()).map_err(|e| io("write", &p, e))?;
    Ok(DirLock { _file: file })
}

/// Whether `dir` holds anything but its lock file.
fn holds_sweep_files(dir: &Path) -> bool {
    dir.exists()
        && std::fs::read_dir(dir)
            .map(|d| d.flatten().any(|e| e.file_name() != LOCK))
            .unwrap_or(true)
}

/// Writes `text` to `path` through a temporary sibling and a rename, so a
/// reader never sees half a file.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), SweepError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("write", path, e))
}

fn read_state(dir: &Path) -> Result<SweepState, SweepError> {
    let p = dir.join(STATE);
    let text = std::fs::read_to_string(&p).map_err(|e| {
        SweepError::BadInput(format!(
            "{}: cannot read {STATE} ({e}); expected a directory written by `mpsim sweep`",
            dir.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        SweepError::BadInput(format!(
            "{}: {e}; expected the {STATE} that `mpsim sweep` writes",
            p.display()
        ))
    })
}

/// The journal's complete rows by run (a last line cut short by an
/// interruption is dropped, and cut off the file when `repair`).
fn read_journal(dir: &Path, info: &PlanInfo, repair: bool) -> Result<Vec<(usize, Vec<String>)>, SweepError> {
    let p = dir.join(JOURNAL);
    let mut text = std::fs::read_to_string(&p).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            SweepError::BadInput(format!(
                "{}: no {JOURNAL}; expected a directory written by `mpsim sweep`",
                dir.display()
            ))
        } else {
            io("read", &p, e)
        }
    })?;
    if !text.ends_with('\n') {
        let keep = text.rfind('\n').map_or(0, |i| i + 1);
        text.truncate(keep);
        if repair {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .map_err(|e| io("repair", &p, e))?;
            f.set_len(keep as u64).map_err(|e| io("repair", &p, e))?;
        }
    }
    let records = parse_csv(&text).map_err(|e| SweepError::BadInput(format!("{}: {e}", p.display())))?;
    let header = results_header(info);
    let mut rows = Vec::new();
    for (n, rec) in records.into_iter().enumerate() {
        if n == 0 {
            if rec != header {
                return Err(SweepError::BadInput(format!(
                    "{}: the header is not this sweep's; expected {}",
                    p.display(),
                    header.join(",")
                )));
            }
            continue;
        }
        let run = rec.first().and_then(|r| r.parse::<usize>().ok());
        match run {
            Some(r) if rec.len() == header.len() && r < info.runs() => {
                check_row(info, r, &rec).map_err(|(col, want)| {
                    SweepError::BadInput(format!(
                        "{}:{}: column {}: run {r} has {} {:?}; expected {want:?}, as this sweep writes run {r} (a journal that does not match its runs is not trusted; remove the line to run it again)",
                        p.display(),
                        n + 1,
                        col + 1,
                        header[col],
                        rec[col]
                    ))
                })?;
                rows.push((r, rec))
            }
            _ => {
                return Err(SweepError::BadInput(format!(
                    "{}: line {} is not a row of this sweep",
                    p.display(),
                    n + 1
                )));
            }
        }
    }
    Ok(rows)
}

/// Whether journal row `rec` is one this sweep writes for run `r`: its
/// point, seed and axis values are run `r`'s, its status `ok` or `failed`.
/// Else the first column that differs and what it should hold.
fn check_row(info: &PlanInfo, r: usize, rec: &[String]) -> Result<(), (usize, String)> {
    let expected = result_row(info, r, &Outcome::Failed(String::new()));
    let status = status_col(info);
    for col in 1..status {
        if rec[col] != expected[col] {
            return Err((col, expected[col].clone()));
        }
    }
    if rec[status] != "ok" && rec[status] != "failed" {
        return Err((status, "ok or failed".into()));
    }
    let outcome = &rec[status + 1];
    let known = crate::run::OUTCOMES.contains(&outcome.as_str());
    if rec[status] == "ok" && !known {
        return Err((status + 1, crate::run::OUTCOMES.join(" or ")));
    }
    if rec[status] == "failed" && !outcome.is_empty() {
        return Err((status + 1, "nothing (a failed run has no outcome)".into()));
    }
    Ok(())
}

/// Runs `sweep` (or the shard `opts.shard` of it) into `dir`.
pub fn run_sweep(sweep: &Sweep, dir: &Path, opts: &SweepOptions, runner: &Runner) -> Result<SweepReport, SweepError> {
    let info = &sweep.info;
    let shard = opts.shard.filter(|s| s.count > 1);
    let in_shard = |r: usize| shard.is_none_or(|s| r % s.count == s.index);
    let mine: Vec<usize> = (0..info.runs()).filter(|&r| in_shard(r)).collect();

    if dir.exists() && !dir.is_dir() {
        return Err(SweepError::BadInput(format!(
            "{} is a file, not a directory; expected a new directory, or a sweep directory with --resume",
            dir.display()
        )));
    }
    // What can be refused without the lock is refused before it, so that
    // a refused call leaves no lock file in a directory that is not a
    // sweep's.
    if holds_sweep_files(dir) {
        if !opts.resume {
            return Err(SweepError::BadInput(format!(
                "{} is not empty; expected a new directory, or --resume to continue the sweep in it",
                dir.display()
            )));
        }
        read_state(dir)?;
    }
    std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    // One writer at a time: a second sweep on this directory stops here,
    // before it writes anything in it.
    let _lock = lock_dir(dir)?;
    let nonempty = holds_sweep_files(dir);
    if nonempty && !opts.resume {
        return Err(SweepError::BadInput(format!(
            "{} is not empty; expected a new directory, or --resume to continue the sweep in it",
            dir.display()
        )));
    }
    let state = SweepState {
        plan: info.clone(),
        shard,
    };
    if nonempty {
        let old = read_state(dir)?;
        if old.plan.fingerprint != info.fingerprint {
            return Err(SweepError::BadInput(format!(
                "{} holds another sweep (fingerprint {}, this one {}); expected the same sweep file to resume",
                dir.display(),
                old.plan.fingerprint,
                info.fingerprint
            )));
        }
        if old.shard != shard {
            let show = |s: Option<Shard>| {
                s.map_or("the whole sweep".to_string(), |s| {
                    format!("shard {}/{}", s.index, s.count)
                })
            };
            return Err(SweepError::BadInput(format!(
                "{} holds {}; expected the same --shard to resume (this call asked for {})",
                dir.display(),
                show(old.shard),
                show(shard)
            )));
        }
    } else {
        let json = serde_json::to_string_pretty(&state).map_err(|e| SweepError::Io(e.to_string()))? + "\n";
        write_atomic(&dir.join("sweep.ron"), &sweep.source)?;
        write_atomic(&dir.join(JOURNAL), &csv_line(&results_header(info)))?;
        write_atomic(&dir.join(STATE), &json)?;
    }

    let done_rows = read_journal(dir, info, true)?;
    let mut done = vec![false; info.runs()];
    for (r, _) in &done_rows {
        done[*r] = true;
    }
    let already_done = mine.iter().filter(|&&r| done[r]).count();
    let failed_before = done_rows
        .iter()
        .filter(|(_, row)| row[status_col(info)] != "ok")
        .count();
    let todo: Vec<usize> = mine.iter().copied().filter(|&r| !done[r]).collect();

    let journal_path = dir.join(JOURNAL);
    let journal = Mutex::new(
        std::fs::OpenOptions::new()
            .append(true)
            .open(&journal_path)
            .map_err(|e| io("open", &journal_path, e))?,
    );
    let write_error: Mutex<Option<SweepError>> = Mutex::new(None);
    let started = AtomicUsize::new(0);
    let ran = AtomicUsize::new(0);
    let failed = AtomicUsize::new(failed_before);
    let progress = Progress::new(&info.name, mine.len(), already_done, opts.progress);

    let work = |r: usize| {
        if opts
            .max_runs
            .is_some_and(|m| started.fetch_add(1, Ordering::SeqCst) >= m)
        {
            return;
        }
        if write_error.lock().map(|e| e.is_some()).unwrap_or(true) {
            return;
        }
        let outcome = match sweep.run_scenario(r) {
            Err(e) => Outcome::Failed(e),
            Ok(sc) => {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner(&sc, sweep.event_budget))) {
                    Ok(Ok(m)) => Outcome::Ok(Box::new(m)),
                    Ok(Err(e)) => Outcome::Failed(e),
                    Err(payload) => Outcome::Failed(format!("panic: {}", panic_message(&*payload))),
                }
            }
        };
        let is_failed = matches!(outcome, Outcome::Failed(_));
        let line = csv_line(&result_row(info, r, &outcome));
        if let Ok(mut f) = journal.lock()
            && let Err(e) = f.write_all(line.as_bytes())
            && let Ok(mut slot) = write_error.lock()
        {
            slot.get_or_insert(io("append to", &journal_path, e));
            return;
        }
        ran.fetch_add(1, Ordering::SeqCst);
        if is_failed {
            failed.fetch_add(1, Ordering::SeqCst);
        }
        progress.tick(failed.load(Ordering::SeqCst));
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .map_err(|e| SweepError::Io(format!("cannot start {} worker threads: {e}", opts.jobs)))?;
    pool.install(|| todo.par_iter().for_each(|&r| work(r)));
    progress.finish(failed.load(Ordering::SeqCst));
    if let Some(e) = write_error.into_inner().ok().flatten() {
        return Err(e);
    }

    let rows = read_journal(dir, info, false)?;
    let mut by_run: Vec<Option<Vec<String>>> = vec![None; info.runs()];
    for (r, row) in rows {
        by_run[r].get_or_insert(row);
    }
    let complete = mine.iter().all(|&r| by_run[r].is_some());
    let failed_now = mine
        .iter()
        .filter_map(|&r| by_run[r].as_ref())
        .filter(|row| row[status_col(info)] != "ok")
        .count();
    let done_rows: Vec<Vec<String>> = mine.iter().filter_map(|&r| by_run[r].clone()).collect();
    let outcomes = outcome_counts(info, &done_rows);
    if complete {
        let ordered: Vec<Vec<String>> = mine.iter().filter_map(|&r| by_run[r].take()).collect();
        write_outputs(dir, info, &ordered, shard.is_none())?;
    }
    Ok(SweepReport {
        runs: mine.len(),
        already_done,
        ran: ran.into_inner(),
        failed: failed_now,
        outcomes,
        complete,
        dir: dir.to_path_buf(),
    })
}

/// `results.csv`, and for a whole sweep `summary.csv` and the figures.
fn write_outputs(dir: &Path, info: &PlanInfo, rows: &[Vec<String>], whole: bool) -> Result<(), SweepError> {
    write_atomic(&dir.join("results.csv"), &results_csv(info, rows))?;
    if whole {
        write_atomic(&dir.join("summary.csv"), &summary_csv(info, rows))?;
        crate::sweep::figures::draw(info, rows, &dir.join("figures")).map_err(SweepError::Io)?;
    }
    Ok(())
}

/// What `mpsim merge` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeReport {
    pub runs: usize,
    pub failed: usize,
    pub shards: usize,
}

/// Joins the directories of shards (or of partial sweeps) of one sweep into
/// `out`: `results.csv`, `summary.csv` and the figures, exactly as the
/// unsharded sweep writes them. Every run must be in some directory.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<MergeReport, SweepError> {
    let Some(first) = dirs.first() else {
        return Err(SweepError::BadInput(
            "no directories to merge; expected the shard directories of one sweep".into(),
        ));
    };
    let state = read_state(first)?;
    let info = &state.plan;
    let mut by_run: Vec<Option<Vec<String>>> = vec![None; info.runs()];
    for d in dirs {
        let s = read_state(d)?;
        if s.plan != state.plan {
            return Err(SweepError::BadInput(format!(
                "{} holds another sweep than {} (fingerprint {} vs {}); expected shards of one sweep",
                d.display(),
                first.display(),
                s.plan.fingerprint,
                info.fingerprint
            )));
        }
        for (r, row) in read_journal(d, info, false)? {
            match &by_run[r] {
                Some(old) if *old != row => {
                    return Err(SweepError::BadInput(format!(
                        "run {r} is in two directories with different results ({}); expected each run once",
                        d.display()
                    )));
                }
                Some(_) => {}
                None => by_run[r] = Some(row),
            }
        }
    }
    let missing: Vec<usize> = (0..info.runs()).filter(|&r| by_run[r].is_none()).collect();
    if !missing.is_empty() {
        let first: Vec<String> = missing.iter().take(10).map(|r| r.to_string()).collect();
        return Err(SweepError::BadInput(format!(
            "{} of {} runs are in none of the directories (runs {}{}); expected every shard finished (continue one with --resume)",
            missing.len(),
            info.runs(),
            first.join(", "),
            if missing.len() > 10 { ", ..." } else { "" }
        )));
    }
    let rows: Vec<Vec<String>> = by_run.into_iter().flatten().collect();
    if holds_files(out) {
        return Err(SweepError::BadInput(format!(
            "{} is not empty; expected a new directory for the merged sweep",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| io("create", out, e))?;
    let merged = SweepState {
        plan: info.clone(),
        shard: None,
    };
    let source = std::fs::read_to_string(first.join("sweep.ron")).unwrap_or_default();
    write_atomic(&out.join("sweep.ron"), &source)?;
    write_atomic(&out.join(JOURNAL), &results_csv(info, &rows))?;
    write_atomic(
        &out.join(STATE),
        &(serde_json::to_string_pretty(&merged).map_err(|e| SweepError::Io(e.to_string()))? + "\n"),
    )?;
    write_outputs(out, info, &rows, true)?;
    let failed = rows.iter().filter(|row| row[status_col(info)] != "ok").count();
    Ok(MergeReport {
        runs: rows.len(),
        failed,
        shards: dirs.len(),
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

/// Progress on stderr: an indicatif bar on a terminal, else a plain line
/// every few seconds and one at the end.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    plain: Option<Mutex<Plain>>,
    name: String,
    total: usize,
    start: Instant,
    done_before: usize,
    done: AtomicUsize,
}

struct Plain {
    last: Instant,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    fn new(name: &str, total: usize, done_before: usize, mode: ProgressMode) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let (bar, plain) = match mode {
            ProgressMode::Quiet => (None, None),
            ProgressMode::Auto if tty => {
                let bar = indicatif::ProgressBar::new(total as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} runs, {per_sec}, ETA {eta} {msg}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar.set_prefix(name.to_string());
                bar.set_position(done_before as u64);
                bar.reset_eta();
                (Some(bar), None)
            }
            _ => (None, Some(Mutex::new(Plain { last: Instant::now() }))),
        };
        if plain.is_some() {
            eprintln!("sweep {name}: {total} runs, {done_before} already done");
        }
        Progress {
            bar,
            plain,
            name: name.to_string(),
            total,
            start: Instant::now(),
            done_before,
            done: AtomicUsize::new(done_before),
        }
    }

    fn line(&self, failed: usize) -> String {
        let done = self.done.load(Ordering::SeqCst);
        let secs = self.start.elapsed().as_secs_f64();
        let rate = (done - self.done_before) as f64 / secs.max(1e-9);
        let eta = if rate > 0.0 {
            format!("{:.0} s", (self.total - done) as f64 / rate)
        } else {
            "-".into()
        };
        format!(
            "sweep {}: {done}/{} runs ({failed} failed), {rate:.2} runs/s, ETA {eta}",
            self.name, self.total
        )
    }

    fn tick(&self, failed: usize) {
        self.done.fetch_add(1, Ordering::SeqCst);
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if failed > 0 {
                bar.set_message(format!("({failed} failed)"));
            }
        }
        if let Some(p) = &self.plain
            && let Ok(mut p) = p.lock()
            && p.last.elapsed() >= PLAIN_EVERY
        {
            p.last = Instant::now();
            eprintln!("{}", self.line(failed));
        }
    }

    /// Clears the bar and prints one last plain line.
    fn finish(&self, failed: usize) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.bar.is_some() || self.plain.is_some() {
            eprintln!("{}", self.line(failed));
        }
    }
}
