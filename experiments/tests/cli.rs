//! The `mpsim` binary as a user runs it: help on every verb, exit codes (0
//! success, 2 bad input), located errors on stderr, and no run directory
//! left behind by a run that was refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VERBS: &[&str] = &[
    "run",
    "reproduce",
    "plot",
    "list",
    "validate",
    "demo",
    "sweep",
    "merge",
    "trace",
];

/// A short valid run: two paths, a 1 MB download, stop at 5 s.
const SMALL: &str = r#"Scenario(
    name: "small",
    stop: "5s",
    client: ClientSpec(
        interfaces: [
            InterfaceSpec(
                name: "wifi",
                kind: Wifi,
                uplink: LinkSpec(rate: "20Mbps", delay: "10ms"),
                downlink: LinkSpec(rate: "20Mbps", delay: "10ms"),
            ),
            InterfaceSpec(
                name: "cell",
                kind: Cellular,
                uplink: LinkSpec(rate: "10Mbps", delay: "30ms"),
                downlink: LinkSpec(rate: "10Mbps", delay: "30ms"),
            ),
        ],
    ),
    connections: [
        ConnectionSpec(traffic: Download(bytes: "1MB")),
    ],
)
"#;

/// `SMALL` with a misspelt field, and the `LINE:COL` of the misspelling.
fn bad_small() -> (String, String) {
    let bad = SMALL.replacen("rate: \"20Mbps\", delay", "rate: \"20Mbps\", dealy", 1);
    let at = bad.find("dealy").expect("the misspelling is in the text");
    let line = bad[..at].lines().count();
    let col = at - bad[..at].rfind('\n').unwrap();
    (bad, format!("{line}:{col}"))
}

fn mpsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args(args)
        .output()
        .expect("mpsim runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every entry under `dir`, recursively, sorted.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

#[test]
fn help_works_on_every_verb_and_exits_zero() {
    for verb in VERBS {
        let o = mpsim(&[verb, "--help"]);
        assert_eq!(o.status.code(), Some(0), "mpsim {verb} --help: {}", stderr(&o));
        assert!(
            stdout(&o).contains(&format!("Usage: mpsim {verb}")),
            "mpsim {verb} --help:\n{}",
            stdout(&o)
        );
    }
    let o = mpsim(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    for verb in VERBS {
        assert!(stdout(&o).contains(verb), "mpsim --help lists {verb}:\n{}", stdout(&o));
    }
}

#[test]
fn an_unknown_verb_or_no_verb_is_bad_input() {
    assert_eq!(mpsim(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(mpsim(&[]).status.code(), Some(2));
}

#[test]
fn list_prints_one_line_per_builtin_scenario() {
    let o = mpsim(&["list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let builtins: Vec<_> = experiments::builtin::BUILTIN
        .iter()
        .chain(experiments::builtin::SWEEPS)
        .collect();
    assert_eq!(lines.len(), builtins.len(), "{out}");
    for ((name, description, _), line) in builtins.iter().zip(&lines) {
        assert_eq!(line.split_whitespace().next(), Some(*name), "{line}");
        assert!(line.contains(description), "{line}");
    }
}

#[test]
fn validate_accepts_every_builtin_scenario_written_to_a_file() {
    let dir = scratch("validate_builtins");
    for (name, _, text) in experiments::builtin::BUILTIN {
        let file = dir.join(format!("{name}.ron"));
        std::fs::write(&file, text).unwrap();
        let o = mpsim(&["validate", path_str(&file)]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        assert!(stdout(&o).contains("valid"), "{}", stdout(&o));
    }
}

#[test]
fn validate_refuses_a_bad_scenario_with_exit_2_and_a_located_message() {
    let dir = scratch("validate_bad");
    let file = dir.join("bad.ron");
    let (text, place) = bad_small();
    std::fs::write(&file, text).unwrap();
    let o = mpsim(&["validate", path_str(&file)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with(&format!("{}:{place}: ", file.display())), "{err}");
    assert!(err.contains("`dealy`") && err.contains("expected"), "{err}");
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
}

#[test]
fn validate_of_a_missing_file_exits_2_naming_the_file() {
    let dir = scratch("validate_missing");
    let file = dir.join("absent.ron");
    let o = mpsim(&["validate", path_str(&file)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with(&format!("{}: cannot read", file.display())),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_on_a_bad_scenario_exits_2_with_a_located_error_and_creates_nothing() {
    let dir = scratch("run_bad");
    let file = dir.join("bad.ron");
    let (text, place) = bad_small();
    std::fs::write(&file, text).unwrap();
    let before = tree(&dir);
    for out in [dir.join("out"), dir.join("new-parent").join("out")] {
        let o = mpsim(&["run", path_str(&file), "--out", path_str(&out)]);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(err.starts_with(&format!("{}:{place}: ", file.display())), "{err}");
        assert_eq!(tree(&dir), before, "a refused run must not create or leave anything");
    }
}

#[test]
fn run_with_an_unknown_pcap_flavor_exits_2_and_creates_nothing() {
    let dir = scratch("run_flavor");
    let file = dir.join("small.ron");
    std::fs::write(&file, SMALL).unwrap();
    let before = tree(&dir);
    let out = dir.join("out");
    let o = mpsim(&["run", path_str(&file), "--out", path_str(&out), "--pcap-flavor", "v2"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("v2") && err.contains("v1 or v0"), "{err}");
    assert_eq!(tree(&dir), before);
}

#[test]
fn reproduce_of_an_unknown_name_exits_2_listing_the_names() {
    let dir = scratch("reproduce_unknown");
    let out = dir.join("out");
    let o = mpsim(&["reproduce", "no-such-name", "--out", path_str(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("\"no-such-name\""), "{err}");
    for (name, _, _) in experiments::builtin::BUILTIN {
        assert!(err.contains(name), "{err} should list {name}");
    }
    assert!(tree(&dir).is_empty());
}

#[test]
fn run_writes_a_complete_run_directory_whose_scenario_validates_again() {
    let dir = scratch("run_ok");
    let file = dir.join("small.ron");
    std::fs::write(&file, SMALL).unwrap();
    let out = dir.join("runs").join("small");
    let o = mpsim(&["run", path_str(&file), "--out", path_str(&out), "--seed", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("run directory"), "{}", stdout(&o));
    for f in ["scenario.ron", "metrics.json", "timeseries.csv", "trace.pcap"] {
        assert!(out.join(f).is_file(), "{f} missing in {}", out.display());
    }
    // Nothing but the run directory next to it: no temporary sibling left.
    let siblings: Vec<_> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(siblings, std::slice::from_ref(&out));
    let resolved = std::fs::read_to_string(out.join("scenario.ron")).unwrap();
    assert!(
        resolved.contains("seed: 3"),
        "the --seed override is recorded:\n{resolved}"
    );
    let o = mpsim(&["validate", path_str(&out.join("scenario.ron"))]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn plot_redraws_a_run_directorys_figures_identically_and_adds_a_requested_zoom() {
    let dir = scratch("plot");
    let file = dir.join("small.ron");
    std::fs::write(&file, SMALL).unwrap();
    let out = dir.join("run");
    let o = mpsim(&["run", path_str(&file), "--out", path_str(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = std::fs::read(out.join("seq.png")).unwrap();
    std::fs::remove_file(out.join("seq.png")).unwrap();
    let o = mpsim(&["plot", path_str(&out), "--kind", "seq", "--zoom", "0:1,0:0.5"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("seq.png")).unwrap(),
        first,
        "redrawn identically"
    );
    assert!(std::fs::metadata(out.join("seq-zoom.png")).unwrap().len() > 1000);
    // The figures were drawn in a temporary directory and moved in: none left.
    let hidden: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
    // Bad arguments are bad input.
    for args in [&["--kind", "bogus"][..], &["--zoom", "2:1"][..]] {
        let mut a = vec!["plot", path_str(&out)];
        a.extend_from_slice(args);
        assert_eq!(mpsim(&a).status.code(), Some(2));
    }
    assert_eq!(mpsim(&["plot", path_str(&dir.join("nothing"))]).status.code(), Some(2));
}

/// A broken invariant in a single run (injected with MPSIM_INJECT_PANIC:
/// the known one, the panic of a connection's 65th subflow under a
/// fullmesh Wi-Fi that flaps, `panic_flapping_subflows.ron`, is fixed) ends
/// with exit code 70, the scenario's seed and a command that repeats it,
/// and leaves neither a run directory nor its temporary directory.
#[test]
fn an_internal_error_exits_70_with_the_seed_and_a_command_that_repeats_it() {
    let input = scratch("panic-input");
    let case = input.join("small.ron");
    std::fs::write(&case, SMALL).unwrap();
    let dir = scratch("panic");
    let out = dir.join("run");
    let o = Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args([
            "run",
            case.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--seed",
            "3",
        ])
        .env("MPSIM_INJECT_PANIC", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(70), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("mpsim: internal error:"), "{e}");
    assert!(e.contains("seed 3"), "{e}");
    assert!(
        e.contains(&format!(
            "repeat it with: mpsim run {} --out {} --seed 3",
            case.display(),
            out.display()
        )),
        "{e}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A delivery that breaks the oracle (injected with
/// MPSIM_INJECT_DELIVERY_FAULT: every oracle expects its first byte one
/// DSN late) ends the run at once with its own exit code, 65, naming the
/// connection, the range and the simulated time, then the seed and a
/// command that repeats it; nothing is written.
#[test]
fn a_delivery_the_oracle_refuses_exits_65_naming_the_connection_range_and_time() {
    let input = scratch("oracle-input");
    let case = input.join("small.ron");
    std::fs::write(&case, SMALL).unwrap();
    let dir = scratch("oracle");
    let out = dir.join("run");
    let o = Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args([
            "run",
            case.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--seed",
            "4",
        ])
        .env("MPSIM_INJECT_DELIVERY_FAULT", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(65), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("mpsim: delivery oracle: connection 0 (client end) at "),
        "{e}"
    );
    assert!(e.contains("data sequence numbers "), "{e}");
    assert!(e.contains("bytes delivered twice"), "{e}");
    assert!(e.contains("seed 4"), "{e}");
    assert!(e.contains("repeat it with: mpsim run"), "{e}");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // Without the fault, the same run holds.
    let o = mpsim(&[
        "run",
        case.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--seed",
        "4",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A run of `SMALL` long enough to be interrupted: 1 GB at 100 Mb/s.
fn long_run() -> String {
    SMALL
        .replace("stop: \"5s\"", "stop: \"600s\"")
        .replace("Download(bytes: \"1MB\")", "Download(bytes: \"1000MB\")")
        .replace("20Mbps", "100Mbps")
        .replace(
            "    connections:",
            "    record: RecordSpec(pcap: false, timeseries: false),\n    connections:",
        )
}

/// SIGINT or SIGTERM while a run is being written removes its temporary
/// directory: nothing is left, and the exit code says which signal.
#[test]
fn an_interrupted_run_leaves_neither_its_directory_nor_its_temporary_directory() {
    for (sig, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let input = scratch(&format!("signal-input-{sig}"));
        let case = input.join("long.ron");
        std::fs::write(&case, long_run()).unwrap();
        let dir = scratch(&format!("signal-{sig}"));
        let out = dir.join("run");
        let mut child = Command::new(env!("CARGO_BIN_EXE_mpsim"))
            .args(["run", case.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let tmp = dir.join(format!(".run.tmp-{}", child.id()));
        let start = std::time::Instant::now();
        while !tmp.join("sequence.csv").exists() {
            assert!(
                start.elapsed().as_secs() < 60,
                "the run never started writing {}",
                tmp.display()
            );
            assert!(
                child.try_wait().unwrap().is_none(),
                "the run ended before it was interrupted"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // SAFETY: a signal to the child this test started.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert!(left.is_empty(), "signal {sig} left behind: {left:?}");
    }
}

/// A run killed with SIGKILL cannot clean up; the next run beside it
/// removes its `.NAME.tmp-PID` directory (its process is gone), and keeps
/// anything else.
#[test]
fn the_next_run_removes_the_temporary_directory_a_killed_run_left() {
    let input = scratch("stale-input");
    let case = input.join("small.ron");
    std::fs::write(&case, SMALL).unwrap();
    let dir = scratch("stale");
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let stale = dir.join(format!(".old.tmp-{dead}"));
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("sequence.csv"), "half").unwrap();
    std::fs::write(
        stale.join(experiments::interrupt::OWNER_FILE),
        experiments::interrupt::owner_mark(dead),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let o = mpsim(&[
        "run",
        case.to_str().unwrap(),
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stale.exists(), "the stale temporary directory is gone");
    assert!(dir.join("notes.txt").exists());
    assert!(dir.join("run/metrics.json").exists());
}

/// `mpsim plot` on a damaged run directory: each damage is refused with
/// exit 2 and an error naming the file and where in it (line, and column
/// or field), and no figure is redrawn. It skipped a malformed row, an
/// empty sequence.csv and a garbage metrics.json, and exited 0.
#[test]
fn plot_refuses_a_damaged_run_directory_with_a_located_error() {
    let dir = scratch("plot-damaged");
    let file = dir.join("small.ron");
    std::fs::write(&file, SMALL).unwrap();
    let good = dir.join("good");
    let o = mpsim(&["run", path_str(&file), "--out", path_str(&good)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let edit = |p: &Path, line: usize, f: &dyn Fn(&str) -> String| {
        let text = std::fs::read_to_string(p).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        lines[line - 1] = f(&lines[line - 1]);
        std::fs::write(p, lines.join("\n") + "\n").unwrap();
    };
    type Damage = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "empty sequence.csv",
            Box::new(|d: &Path| std::fs::write(d.join("sequence.csv"), "").unwrap()),
            "sequence.csv: empty; expected the header line",
        ),
        (
            "sequence.csv header",
            Box::new(move |d: &Path| edit(&d.join("sequence.csv"), 1, &|_| "garbage".into())),
            "sequence.csv:1: the header is \"garbage\"",
        ),
        (
            "sequence.csv field",
            Box::new(move |d: &Path| {
                edit(&d.join("sequence.csv"), 4, &|l| {
                    let mut f: Vec<&str> = l.split(',').collect();
                    f[4] = "12x";
                    f.join(",")
                })
            }),
            "sequence.csv:4: column 5 (dsn) is \"12x\"; expected a whole number",
        ),
        (
            "timeseries.csv row",
            Box::new(move |d: &Path| edit(&d.join("timeseries.csv"), 3, &|_| "0.1,client,0".into())),
            "timeseries.csv:3: 3 fields; expected 11",
        ),
        (
            "missing timeseries.csv",
            Box::new(|d: &Path| std::fs::remove_file(d.join("timeseries.csv")).unwrap()),
            "timeseries.csv: No such file",
        ),
        (
            "garbage metrics.json",
            Box::new(|d: &Path| std::fs::write(d.join("metrics.json"), "{\n  \"scenario\": oops\n").unwrap()),
            "metrics.json:2:",
        ),
        (
            "metrics.json of something else",
            Box::new(|d: &Path| std::fs::write(d.join("metrics.json"), "[1, 2]\n").unwrap()),
            "metrics.json:1:1: not a JSON object",
        ),
        (
            "missing metrics.json",
            Box::new(|d: &Path| std::fs::remove_file(d.join("metrics.json")).unwrap()),
            "metrics.json: No such file",
        ),
    ];
    for (what, damage, wants) in cases {
        let d = dir.join("damaged");
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        for e in std::fs::read_dir(&good).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), d.join(e.file_name())).unwrap();
        }
        std::fs::remove_file(d.join("seq.png")).unwrap();
        damage(&d);
        let o = mpsim(&["plot", path_str(&d)]);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(wants),
            "{what}: {}\nshould contain {wants:?}",
            stderr(&o)
        );
        assert!(!d.join("seq.png").exists(), "{what}: a figure was drawn");
    }
}

/// `mpsim run /dev/zero` read for ever. Devices, FIFOs (opening one
/// waited for a writer), directories and files over 16 MiB are refused at
/// once, exit 2, by run, validate and sweep alike, and nothing is created.
#[test]
fn a_device_a_fifo_a_directory_or_an_oversized_file_is_refused_at_once() {
    let dir = scratch("inputs");
    let fifo = dir.join("fifo.ron");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let big = dir.join("big.ron");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len((16 << 20) + 1).unwrap();
    let out = dir.join("out");
    for (input, wants) in [
        ("/dev/zero", "not a regular file"),
        (path_str(&fifo), "not a regular file"),
        (path_str(&dir), "a directory"),
        (path_str(&big), "more than 16777216 bytes"),
    ] {
        for args in [
            vec!["run", input, "--out", path_str(&out)],
            vec!["validate", input],
            vec!["sweep", input, "--out", path_str(&out)],
        ] {
            let start = std::time::Instant::now();
            let o = mpsim(&args);
            assert!(start.elapsed().as_secs() < 10, "{args:?} took {:?}", start.elapsed());
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            assert!(stderr(&o).contains(wants), "{args:?}: {}", stderr(&o));
            assert!(!out.exists(), "{args:?} created {}", out.display());
        }
    }
}

#[test]
fn open_ended_traffic_running_at_the_stop_is_no_warning_but_a_cut_transfer_is() {
    let dir = scratch("outcome_warning");
    let run = |name: &str, text: &str| {
        let file = dir.join(format!("{name}.ron"));
        std::fs::write(&file, text).unwrap();
        let o = mpsim(&["run", path_str(&file), "--out", path_str(&dir.join(name)), "-q"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stderr(&o)
    };
    // DownloadFor to the stop: incomplete by definition, and said so on
    // the connection's line only.
    let open = SMALL.replace(
        r#"traffic: Download(bytes: "1MB")"#,
        r#"traffic: DownloadFor(duration: "5s")"#,
    );
    let err = run("open", &open);
    assert!(!err.contains("warning: outcome"), "{err}");
    // A bounded download cut by the stop is worth a warning.
    let cut = SMALL.replace(r#"bytes: "1MB""#, r#"bytes: "100MB""#);
    let err = run("cut", &cut);
    assert!(err.contains("warning: outcome incomplete"), "{err}");
}
