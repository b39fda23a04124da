//! `mpsim-fuzz`: the scenario fuzzer (see `experiments::fuzz`).
//!
//! ```text
//! mpsim-fuzz [--seed S] [--cases N] [--first K] [--jobs J] [--out DIR] [--show K]
//! ```
//!
//! Runs cases K..K+N of master seed S (default seed 1, 3000 cases: the
//! bounded mode CI runs) on J worker threads, prints a summary (cases
//! refused with a located error, run, by outcome, failed) and writes each
//! failing case's scenario to `DIR/case-S-K.ron` (default
//! `fuzz-failures/`). Exit 0 if every case held, 1 if any failed, 2 for bad
//! arguments. `--show K` prints case K's text and verdict. The long mode is
//! `--cases 100000` (docs/reliability.md).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use experiments::fuzz::{Verdict, case, check};
use rayon::prelude::*;

struct Args {
    seed: u64,
    cases: u64,
    first: u64,
    jobs: usize,
    out: PathBuf,
    show: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        seed: 1,
        cases: 3000,
        first: 0,
        jobs: 0,
        out: PathBuf::from("fuzz-failures"),
        show: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} {v:?}: expected a whole number"))
        };
        match flag.as_str() {
            "--seed" => a.seed = num(value()?)?,
            "--cases" => a.cases = num(value()?)?,
            "--first" => a.first = num(value()?)?,
            "--jobs" => a.jobs = num(value()?)? as usize,
            "--out" => a.out = PathBuf::from(value()?),
            "--show" => a.show = Some(num(value()?)?),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --seed, --cases, --first, --jobs, --out or --show"
                ));
            }
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mpsim-fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    // Panics are caught and reported per case; the default hook's message
    // for each would drown the summary.
    std::panic::set_hook(Box::new(|_| {}));
    if let Some(k) = args.show {
        let c = case(args.seed, k);
        println!("{}", c.text);
        println!(
            "// case {k} of seed {}: {:?} (base {:?}): {:?}",
            args.seed,
            c.kind,
            c.base,
            check(&c)
        );
        return ExitCode::SUCCESS;
    }
    if args.jobs > 0 {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(args.jobs).build_global();
    }
    let started = Instant::now();
    let refused = AtomicUsize::new(0);
    let outcomes: Vec<AtomicUsize> = (0..5).map(|_| AtomicUsize::new(0)).collect();
    let done = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    (args.first..args.first + args.cases).into_par_iter().for_each(|k| {
        let c = case(args.seed, k);
        match check(&c) {
            Verdict::Refused => {
                refused.fetch_add(1, Ordering::Relaxed);
            }
            Verdict::Ran(o) => {
                let i = experiments::run::OUTCOMES.iter().position(|x| *x == o).unwrap_or(4);
                outcomes[i].fetch_add(1, Ordering::Relaxed);
            }
            Verdict::Failed(why) => {
                eprintln!("mpsim-fuzz: case {k} ({:?}, base {:?}) failed: {why}", c.kind, c.base);
                if let Ok(mut f) = failures.lock() {
                    f.push((k, c, why));
                }
            }
        }
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(1000) {
            eprintln!("mpsim-fuzz: {n} cases, {:.0} s", started.elapsed().as_secs_f64());
        }
    });
    let mut failures = failures.into_inner().unwrap_or_default();
    failures.sort_by_key(|f| f.0);
    let o: Vec<usize> = outcomes.iter().map(|x| x.load(Ordering::Relaxed)).collect();
    println!(
        "mpsim-fuzz: seed {}, cases {}..{}: {} refused with a located error, {} ran ({} completed, {} incomplete, {} stalled, {} broken), {} failed, {:.1} s",
        args.seed,
        args.first,
        args.first + args.cases,
        refused.load(Ordering::Relaxed),
        o.iter().sum::<usize>(),
        o[0],
        o[1],
        o[2],
        o[3],
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    if failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("mpsim-fuzz: cannot create {}: {e}", args.out.display());
        return ExitCode::from(1);
    }
    for (k, c, why) in &failures {
        let path = args.out.join(format!("case-{}-{k}.ron", args.seed));
        let text = format!("// mpsim-fuzz --seed {} --show {k}: {why}\n{}", args.seed, c.text);
        match std::fs::write(&path, text) {
            Ok(()) => println!("  case {k}: {why}\n    -> {}", path.display()),
            Err(e) => eprintln!("mpsim-fuzz: cannot write {}: {e}", path.display()),
        }
    }
    ExitCode::from(1)
}
