//! Sweeps end to end: the `mpsim sweep` and `mpsim merge` commands on small
//! sweep files (determinism across thread counts, resume after a kill,
//! shards and merge, located errors), and the library runner with injected
//! failures (a panic, an invalid point, an exhausted event budget).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use experiments::sweep::{ProgressMode, Shard, Sweep, SweepError, SweepOptions, default_runner, merge, run_sweep};

/// Two paths and a download of `bytes`; `{AXES}` and `{SEEDS}` are filled in.
const SWEEP: &str = r#"// A small test sweep.
Sweep(
    name: "small",
    base: Inline(Scenario(
        stop: "10s",
        client: ClientSpec(
            interfaces: [
                InterfaceSpec(
                    name: "wifi",
                    kind: Wifi,
                    uplink: LinkSpec(rate: "20Mbps", delay: "10ms"),
                    downlink: LinkSpec(rate: "20Mbps", delay: "10ms", loss: Bernoulli(p: 0.01)),
                ),
                InterfaceSpec(
                    name: "cell",
                    kind: Cellular,
                    uplink: LinkSpec(rate: "10Mbps", delay: "30ms"),
                    downlink: LinkSpec(rate: "10Mbps", delay: "30ms"),
                ),
            ],
        ),
        connections: [ConnectionSpec(path_manager: fullmesh, traffic: TRAFFIC)],
    )),
    axes: [
AXES
    ],
    seeds: SEEDS,
)
"#;

const AXES: &str = r#"        Axis(name: "scheduler", path: "connections[0].scheduler", values: [min_rtt, round_robin]),
        Axis(name: "wifi_loss", path: "client.interfaces[wifi].downlink.loss.p", values: [0.0, 0.02]),"#;

fn sweep_text(axes: &str, seeds: u32, traffic: &str) -> String {
    SWEEP
        .replace("AXES", axes)
        .replace("SEEDS", &seeds.to_string())
        .replace("TRAFFIC", traffic)
}

fn small() -> String {
    sweep_text(AXES, 2, r#"Download(bytes: "300KB")"#)
}

fn mpsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args(args)
        .output()
        .expect("mpsim runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fresh_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn sweep_cli(file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sweep", file.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend(extra);
    let o = mpsim(&args);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", text(&o.stdout), text(&o.stderr));
    o
}

/// Runs the sweep `body` with `--jobs 1` and `--jobs 2` in a fresh `dir`,
/// asserts both results.csv and both summary.csv are identical, and
/// returns results.csv.
fn results_at_one_and_two_threads(dir: &str, body: &str) -> String {
    let d = fresh_dir(dir);
    let f = write(&d, "s.ron", body);
    sweep_cli(&f, &d.join("j1"), &["--jobs", "1"]);
    sweep_cli(&f, &d.join("j2"), &["--jobs", "2"]);
    let (a, b) = (read(&d.join("j1/results.csv")), read(&d.join("j2/results.csv")));
    assert_eq!(a, b);
    assert_eq!(read(&d.join("j1/summary.csv")), read(&d.join("j2/summary.csv")));
    a
}

#[test]
fn results_are_byte_identical_with_one_thread_and_with_two() {
    let a = results_at_one_and_two_threads("threads", &small());
    // 2 x 2 points x 2 seeds, all finished, in run order.
    let rows: Vec<&str> = a.lines().collect();
    assert_eq!(rows.len(), 1 + 8, "{a}");
    assert!(rows[0].starts_with("run,point,seed,scheduler,wifi_loss,status,outcome,events,completion_s,goodput_mbps"));
    for (r, row) in rows[1..].iter().enumerate() {
        assert!(row.starts_with(&format!("{r},{},{},", r / 2, 1 + r % 2)), "{row}");
        assert!(row.contains(",ok,completed,"), "{row}");
    }
    // Seeds differ under loss; the loss-free points do not depend on the seed.
    let completion = |r: usize| rows[1 + r].split(',').nth(8).unwrap().to_string();
    assert_eq!(completion(0), completion(1));
    assert_ne!(completion(2), completion(3));
}

#[test]
fn summary_has_the_mean_sd_and_interval_of_each_point() {
    let d = fresh_dir("summary");
    let f = write(&d, "s.ron", &small());
    sweep_cli(&f, &d.join("out"), &["--jobs", "2", "--progress", "quiet"]);
    let summary = read(&d.join("out/summary.csv"));
    let lines: Vec<Vec<String>> = summary
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let col = |name: &str| {
        lines[0]
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(lines.len(), 1 + 4);
    let results = read(&d.join("out/results.csv"));
    let rows: Vec<Vec<&str>> = results.lines().skip(1).map(|l| l.split(',').collect()).collect();
    for p in 0..4 {
        let samples: Vec<f64> = rows
            .iter()
            .filter(|r| r[1] == p.to_string())
            .map(|r| r[9].parse().unwrap())
            .collect();
        let mean = samples.iter().sum::<f64>() / 2.0;
        let sd = ((samples[0] - mean).powi(2) + (samples[1] - mean).powi(2)).sqrt();
        let got = |c: &str| lines[1 + p][col(c)].parse::<f64>().unwrap();
        assert!((got("goodput_mbps_mean") - mean).abs() < 1e-9);
        assert!((got("goodput_mbps_sd") - sd).abs() < 1e-9);
        // t(1) = 12.706: the interval of two samples is wide.
        assert!((got("goodput_mbps_ci95") - 12.706 * sd / 2f64.sqrt()).abs() < 1e-9);
        assert_eq!(lines[1 + p][col("goodput_mbps_n")], "2");
        // Both runs of each point finished their 300 KB: the outcome counts say so.
        assert_eq!(lines[1 + p][col("completed")], "2");
        for o in ["incomplete", "stalled", "broken"] {
            assert_eq!(lines[1 + p][col(o)], "0");
        }
    }
    for fig in [
        "goodput_mbps-vs-wifi_loss.png",
        "completion_s-vs-wifi_loss.svg",
        "goodput_mbps-scheduler-by-wifi_loss.png",
    ] {
        assert!(d.join("out/figures").join(fig).is_file(), "no {fig}");
    }
}

#[test]
fn a_killed_sweep_resumes_without_redoing_finished_runs() {
    let d = fresh_dir("kill");
    // 12 runs long enough that the kill lands midway.
    let body = sweep_text(
        r#"        Axis(name: "cc", path: "connections[0].cc", values: [reno, cubic, lia, olia, balia, cubic]),"#,
        2,
        r#"DownloadFor(duration: "3s")"#,
    );
    let f = write(&d, "s.ron", &body);
    let out = d.join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args([
            "sweep",
            f.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let journal = out.join("journal.csv");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let rows = std::fs::read_to_string(&journal).map_or(0, |t| t.lines().count().saturating_sub(1));
        if rows >= 3 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = read(&journal);
    let done_before = before.lines().count() - 1;
    assert!(done_before >= 3, "the sweep did not start: {before}");
    assert!(
        done_before < 12,
        "the sweep finished before the kill; make the runs longer"
    );
    assert!(!out.join("results.csv").exists());

    let o = sweep_cli(&f, &out, &["--resume", "--jobs", "2"]);
    let said = text(&o.stdout);
    // The journal may hold one more run than we read (written just before the kill).
    let done: usize = said
        .split(": ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(done >= done_before, "{said}");
    assert!(
        said.contains(&format!("{done} were done already, {} ran now", 12 - done)),
        "{said}"
    );
    // The finished rows were kept as they were, and every run is in the journal once.
    let after = read(&journal);
    assert!(after.starts_with(&before), "the journal was rewritten");
    assert_eq!(after.lines().count(), 1 + 12);

    // And the result is the one an uninterrupted sweep gives.
    sweep_cli(&f, &d.join("whole"), &["--jobs", "2"]);
    assert_eq!(read(&out.join("results.csv")), read(&d.join("whole/results.csv")));
    assert_eq!(read(&out.join("summary.csv")), read(&d.join("whole/summary.csv")));
}

#[test]
fn a_stopped_sweep_continues_with_resume_and_a_cut_line_is_dropped() {
    let d = fresh_dir("stop");
    let f = write(&d, "s.ron", &small());
    let out = d.join("out");
    let o = sweep_cli(&f, &out, &["--jobs", "2", "--max-runs", "3"]);
    assert!(
        text(&o.stdout).contains("5 runs are not done; continue with"),
        "{}",
        text(&o.stdout)
    );
    assert!(!out.join("results.csv").exists());
    // An interruption in the middle of a write leaves half a line.
    let journal = out.join("journal.csv");
    let mut j = read(&journal);
    j.push_str("7,3,2,round_robin,0.");
    std::fs::write(&journal, &j).unwrap();
    let o = sweep_cli(&f, &out, &["--resume"]);
    assert!(
        text(&o.stdout).contains("3 were done already, 5 ran now"),
        "{}",
        text(&o.stdout)
    );
    sweep_cli(&f, &d.join("whole"), &[]);
    assert_eq!(read(&out.join("results.csv")), read(&d.join("whole/results.csv")));
}

#[test]
fn shards_merge_into_exactly_the_unsharded_results() {
    let d = fresh_dir("shards");
    let f = write(&d, "s.ron", &small());
    sweep_cli(&f, &d.join("whole"), &[]);
    for i in 0..3 {
        let o = sweep_cli(&f, &d.join(format!("shard{i}")), &["--shard", &format!("{i}/3")]);
        assert!(!d.join(format!("shard{i}/summary.csv")).exists());
        let rows = read(&d.join(format!("shard{i}/results.csv")));
        for row in rows.lines().skip(1) {
            let r: usize = row.split(',').next().unwrap().parse().unwrap();
            assert_eq!(r % 3, i, "{}", text(&o.stdout));
        }
    }
    let o = mpsim(&[
        "merge",
        "--out",
        d.join("merged").to_str().unwrap(),
        d.join("shard2").to_str().unwrap(),
        d.join("shard0").to_str().unwrap(),
        d.join("shard1").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("merged 3 directories: 8 runs (0 failed)"));
    assert_eq!(read(&d.join("merged/results.csv")), read(&d.join("whole/results.csv")));
    assert_eq!(read(&d.join("merged/summary.csv")), read(&d.join("whole/summary.csv")));
    assert!(d.join("merged/figures/goodput_mbps-vs-wifi_loss.png").is_file());

    // A missing shard is bad input, and nothing is written.
    let o = mpsim(&[
        "merge",
        "--out",
        d.join("partial").to_str().unwrap(),
        d.join("shard0").to_str().unwrap(),
        d.join("shard1").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("2 of 8 runs are in none of the directories (runs 2, 5)"),
        "{}",
        text(&o.stderr)
    );
    assert!(!d.join("partial").exists());
}

#[test]
fn errors_in_the_sweep_file_are_located_and_nothing_runs() {
    let d = fresh_dir("errors");
    let cases = [
        (
            r#"        Axis(name: "x", path: "connections[0].schedular", values: [min_rtt]),"#,
            "\"connections[0].schedular\"",
            "has no field `schedular`",
        ),
        (
            r#"        Axis(name: "x", path: "connections[0].scheduler", values: [min_rtt, fastest]),"#,
            "fastest",
            "does not fit \"connections[0].scheduler\"",
        ),
        (
            r#"        Axis(name: "x", path: "client.interfaces[wifi].downlink.delay", values: [10]),"#,
            "10]",
            "does not fit",
        ),
    ];
    for (k, (axes, at, what)) in cases.iter().enumerate() {
        let body = sweep_text(axes, 1, r#"Download(bytes: "300KB")"#);
        let f = write(&d, &format!("bad{k}.ron"), &body);
        let out = d.join(format!("out{k}"));
        let o = mpsim(&["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        let off = body.find(at).unwrap();
        let line = body[..off].lines().count();
        let col = off - body[..off].rfind('\n').unwrap();
        let err = text(&o.stderr);
        assert!(err.starts_with(&format!("{}:{line}:{col}: ", f.display())), "{err}");
        assert!(err.contains(what), "{err}");
        assert!(!out.exists(), "a refused sweep wrote {}", out.display());
    }
}

#[test]
fn a_directory_of_another_sweep_or_shard_is_refused() {
    let d = fresh_dir("refuse");
    let f = write(&d, "s.ron", &small());
    let out = d.join("out");
    sweep_cli(&f, &out, &["--max-runs", "1"]);
    let o = mpsim(&["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--resume"), "{}", text(&o.stderr));
    let other = write(&d, "t.ron", &small().replace("0.02]", "0.03]"));
    let o = mpsim(&[
        "sweep",
        other.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--resume",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("holds another sweep"), "{}", text(&o.stderr));
    let o = mpsim(&[
        "sweep",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--resume",
        "--shard",
        "1/2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("expected the same --shard"),
        "{}",
        text(&o.stderr)
    );
    for bad in ["2/2", "1", "a/b", "0/0"] {
        let o = mpsim(&[
            "sweep",
            f.to_str().unwrap(),
            "--out",
            d.join("x").to_str().unwrap(),
            "--shard",
            bad,
        ]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(text(&o.stderr).contains("expected I/N"), "{}", text(&o.stderr));
    }
}

#[test]
fn progress_is_plain_lines_when_stderr_is_not_a_terminal() {
    let d = fresh_dir("progress");
    let f = write(&d, "s.ron", &small());
    let o = sweep_cli(&f, &d.join("out"), &[]);
    let err = text(&o.stderr);
    assert!(err.contains("sweep small: 8 runs, 0 already done"), "{err}");
    assert!(err.contains("sweep small: 8/8 runs (0 failed)"), "{err}");
    assert!(err.contains("runs/s, ETA"), "{err}");
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "terminal control codes: {err:?}"
    );
}

fn plan(body: &str) -> Sweep {
    Sweep::parse(Path::new("s.ron"), body, None).unwrap_or_else(|e| panic!("{e}"))
}

fn quiet() -> SweepOptions {
    SweepOptions {
        jobs: 2,
        progress: ProgressMode::Quiet,
        ..Default::default()
    }
}

fn rows(dir: &Path) -> Vec<Vec<String>> {
    read(&dir.join("results.csv"))
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn a_panicking_run_is_recorded_with_its_message_and_the_sweep_goes_on() {
    let d = fresh_dir("panic");
    let sw = plan(&small());
    let runner = |sc: &experiments::scenario::Scenario, budget| {
        if sc.connections[0].scheduler.name() == "round_robin" && sc.seed == 2 {
            panic!("injected failure");
        }
        default_runner(sc, budget)
    };
    let r = run_sweep(&sw, &d.join("out"), &quiet(), &runner).unwrap();
    assert!(r.complete);
    assert_eq!((r.ran, r.failed), (8, 2));
    for row in rows(&d.join("out")) {
        let failed = row[3] == "round_robin" && row[2] == "2";
        assert_eq!(row[5], if failed { "failed" } else { "ok" }, "{row:?}");
        if failed {
            assert_eq!(row.last().unwrap(), "panic: injected failure");
            assert!(row[6..row.len() - 1].iter().all(String::is_empty));
        }
    }
    let summary = read(&d.join("out/summary.csv"));
    assert!(
        summary.lines().nth(3).unwrap().starts_with("2,round_robin,0.0,2,1,1,"),
        "{summary}"
    );
}

#[test]
fn an_invalid_point_and_an_exhausted_budget_are_failed_runs() {
    let d = fresh_dir("invalid");
    let body = sweep_text(
        r#"        Axis(name: "mss", path: "connections[0].mss", values: ["1460B", "100B"]),"#,
        1,
        r#"Download(bytes: "300KB")"#,
    );
    let sw = plan(&body);
    let r = run_sweep(&sw, &d.join("out"), &quiet(), &default_runner).unwrap();
    assert_eq!((r.ran, r.failed), (2, 1));
    let rr = rows(&d.join("out"));
    assert_eq!(rr[0][4], "ok");
    assert_eq!(rr[1][4], "failed");
    assert!(
        rr[1]
            .last()
            .unwrap()
            .starts_with("invalid point (mss=100B): mss 100B is out of range"),
        "{rr:?}"
    );

    let budget = body.replace("seeds: 1,", "seeds: 1,\n    event_budget: 500,");
    let sw = plan(&budget);
    let r = run_sweep(&sw, &d.join("budget"), &quiet(), &default_runner).unwrap();
    assert_eq!(r.failed, 2);
    let rr = rows(&d.join("budget"));
    assert!(
        rr[0].last().unwrap().starts_with("event budget exhausted: 500 events"),
        "{rr:?}"
    );
}

#[test]
fn a_library_shard_and_merge_agree_with_the_whole_sweep() {
    let d = fresh_dir("lib-shards");
    let sw = plan(&small());
    run_sweep(&sw, &d.join("whole"), &quiet(), &default_runner).unwrap();
    let mut dirs = Vec::new();
    for index in 0..2 {
        let dir = d.join(format!("s{index}"));
        let opts = SweepOptions {
            shard: Some(Shard { index, count: 2 }),
            ..quiet()
        };
        let r = run_sweep(&sw, &dir, &opts, &default_runner).unwrap();
        assert_eq!(r.runs, 4);
        dirs.push(dir);
    }
    let m = merge(&dirs, &d.join("merged")).unwrap();
    assert_eq!(m.runs, 8);
    assert_eq!(read(&d.join("merged/results.csv")), read(&d.join("whole/results.csv")));
    assert!(matches!(merge(&dirs, &d.join("merged")), Err(SweepError::BadInput(_))));
}

#[test]
fn the_sweep_file_in_the_docs_plans_as_described() {
    let doc = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/sweeps.md"));
    let start = doc.find("```ron\n").expect("a RON example") + "```ron\n".len();
    let body = &doc[start..start + doc[start..].find("```").unwrap()];
    let sw = plan(body);
    assert_eq!(sw.info.runs(), 625);
    assert!(sw.points.iter().all(Result::is_ok));
    assert_eq!(sw.info.axes[1].labels, vec!["0", "0.005", "0.01", "0.015", "0.02"]);
    let sc = sw.run_scenario(624).unwrap();
    assert_eq!(
        sc.client.interfaces[1].downlink.as_ref().unwrap().delay,
        sim_core::SimDuration::from_millis(160)
    );
    assert_eq!(sc.stop, sim_core::SimTime::from_secs(120));
}

#[test]
fn the_cluster_page_shows_the_scripts_that_are_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = read(&root.join("docs/cluster.md"));
    for script in ["sweep-array.sbatch", "submit.sh", "parallel.sh"] {
        let body = read(&root.join("scripts/cluster").join(script));
        assert!(
            doc.contains(&format!("```bash\n{body}```")),
            "docs/cluster.md does not show scripts/cluster/{script} as it is"
        );
    }
}

#[test]
fn progress_is_a_bar_with_count_rate_and_eta_on_a_terminal() {
    // util-linux `script` gives the command a pseudo-terminal.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` command to provide a terminal");
        return;
    }
    let d = fresh_dir("tty");
    let f = write(&d, "s.ron", &small());
    let cmd = format!(
        "{} sweep {} --out {} --jobs 1",
        env!("CARGO_BIN_EXE_mpsim"),
        f.display(),
        d.join("out").display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let screen = text(&o.stdout);
    // The bar is drawn and redrawn in place (carriage returns or line erases).
    assert!(screen.contains("small [") && screen.contains("/8 runs, "), "{screen:?}");
    assert!(screen.contains("/s, ETA "), "{screen:?}");
    assert!(screen.contains('\u{1b}') || screen.contains('\r'), "{screen:?}");
    assert!(screen.contains("sweep small: 8/8 runs (0 failed)"), "{screen:?}");
    assert!(d.join("out/results.csv").is_file());
}

#[test]
fn a_base_scenario_file_is_read_relative_to_the_sweep_file() {
    let d = fresh_dir("file-base");
    std::fs::create_dir_all(d.join("sweeps/scenarios")).unwrap();
    let small = small();
    let start = small.find("Scenario(").unwrap();
    let end = small.find("\n    )),\n").unwrap() + "\n    )".len();
    write(&d.join("sweeps/scenarios"), "base.ron", &small[start..end]);
    let body = format!(
        "{}File(\"scenarios/base.ron\"){}",
        &small[..small.find("Inline(").unwrap()],
        &small[end + 1..]
    );
    let f = write(&d.join("sweeps"), "s.ron", &body);
    let o = sweep_cli(&f, &d.join("out"), &["--progress", "quiet"]);
    assert!(text(&o.stdout).contains("8 runs in"), "{}", text(&o.stdout));
    // The same runs as the inline base.
    let g = write(&d, "inline.ron", &small);
    sweep_cli(&g, &d.join("inline"), &["--progress", "quiet"]);
    assert_eq!(read(&d.join("out/results.csv")), read(&d.join("inline/results.csv")));
    // A missing file is located at the base.
    let bad = write(
        &d.join("sweeps"),
        "bad.ron",
        &body.replace("scenarios/base.ron", "scenarios/nope.ron"),
    );
    let o = mpsim(&["sweep", bad.to_str().unwrap(), "--out", d.join("x").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("nope.ron is not a file"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn validate_counts_a_sweeps_runs_and_names_its_invalid_points() {
    let d = fresh_dir("validate");
    let f = write(&d, "s.ron", &small());
    let o = mpsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("valid sweep: 4 points x 2 seeds = 8 runs"),
        "{}",
        text(&o.stdout)
    );
    let body = sweep_text(
        r#"        Axis(name: "mss", path: "connections[0].mss", values: ["1460B", "100B"]),"#,
        1,
        r#"Download(bytes: "300KB")"#,
    );
    let g = write(&d, "mss.ron", &body);
    let o = mpsim(&["validate", g.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o.stdout).contains("1 points fail the scenario checks"),
        "{}",
        text(&o.stdout)
    );
    assert!(
        text(&o.stdout).contains("invalid point (mss=100B)"),
        "{}",
        text(&o.stdout)
    );
    let bad = write(
        &d,
        "bad.ron",
        &small().replace("connections[0].scheduler", "connections[0].sched"),
    );
    let o = mpsim(&["validate", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("has no field `sched`"), "{}", text(&o.stderr));
}

/// A second `mpsim sweep` on a directory another one is writing is
/// refused (exit 2, naming the other process) instead of running every
/// run twice into one journal; once the first is gone the lock is too.
#[test]
fn a_second_sweep_on_a_directory_being_written_is_refused() {
    let d = fresh_dir("lock");
    let body = sweep_text(
        r#"        Axis(name: "cc", path: "connections[0].cc", values: [reno, cubic, lia, olia, balia, cubic]),"#,
        2,
        r#"DownloadFor(duration: "3s")"#,
    );
    let f = write(&d, "s.ron", &body);
    let out = d.join("out");
    let mut first = Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args([
            "sweep",
            f.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !out.join("journal.csv").exists() {
        assert!(Instant::now() < deadline, "the first sweep never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    let o = mpsim(&["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--resume"]);
    let still_running = first.try_wait().unwrap().is_none();
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        still_running,
        "the first sweep ended before the second started; make its runs longer"
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    assert!(e.contains("another mpsim sweep is writing this directory"), "{e}");
    assert!(e.contains(&format!("process {}", first.id())), "{e}");
    // The first one was killed: its lock went with it.
    let o = mpsim(&[
        "sweep",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--resume",
        "--max-runs",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

/// On --resume each journal row is checked against the run it names: a
/// row whose point does not match its run is refused at its line and
/// column, and nothing is written from it.
#[test]
fn a_journal_row_whose_point_is_not_its_runs_is_refused_on_resume() {
    let d = fresh_dir("journal-check");
    let f = write(&d, "s.ron", &small());
    let out = d.join("out");
    sweep_cli(&f, &out, &["--jobs", "1", "--max-runs", "3"]);
    let journal = out.join("journal.csv");
    let j = read(&journal);
    let mut lines: Vec<String> = j.lines().map(String::from).collect();
    // Line 3 (the second run done): claim another point.
    let mut fields: Vec<String> = lines[2].split(',').map(String::from).collect();
    let run: usize = fields[0].parse().unwrap();
    let wrong = if fields[1] == "0" { "1" } else { "0" };
    let right = std::mem::replace(&mut fields[1], wrong.into());
    lines[2] = fields.join(",");
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let o = mpsim(&["sweep", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--resume"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    assert!(
        e.contains(&format!(
            "journal.csv:3: column 2: run {run} has point \"{wrong}\"; expected \"{right}\""
        )),
        "{e}"
    );
    assert!(!out.join("results.csv").exists());
    // The journal is left as it was for the user to mend.
    assert_eq!(read(&journal), lines.join("\n") + "\n");
}

#[test]
fn sweep_out_a_file_says_it_is_a_file() {
    let d = fresh_dir("out-file");
    let f = write(&d, "s.ron", &small());
    let file = write(&d, "results.txt", "mine");
    let o = mpsim(&["sweep", f.to_str().unwrap(), "--out", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(e.contains("is a file, not a directory"), "{e}");
    assert_eq!(read(&file), "mine");
}

/// `--jobs 100000` never finished starting its pool (and `--jobs 5000`
/// took 54 s for one run): jobs are capped at 4 per core, with a message.
#[test]
fn jobs_beyond_four_per_core_are_capped_with_a_message() {
    let d = fresh_dir("jobs");
    let f = write(&d, "s.ron", &small());
    let start = Instant::now();
    let o = sweep_cli(
        &f,
        &d.join("out"),
        &["--jobs", "100000", "--max-runs", "1", "--progress", "quiet"],
    );
    assert!(start.elapsed() < Duration::from_secs(60), "{:?}", start.elapsed());
    let cores = std::thread::available_parallelism().unwrap().get();
    let e = text(&o.stderr);
    assert!(
        e.contains(&format!(
            "--jobs 100000 is more than 4 per core ({cores} cores); using {}",
            4 * cores
        )),
        "{e}"
    );
}

/// A k = 4 fat tree (16 hosts, 20 switches) with random permutation
/// traffic, Poisson starts and Pareto sizes from the seed, and 1 or 2
/// subflows per connection over ECMP.
const FAT_TREE_SWEEP: &str = r#"Sweep(
    name: "fat-tree-threads",
    base: Inline(Scenario(
        name: "fat-tree-4",
        stop: "3s",
        topology: FatTree(k: 4, link: LinkSpec(rate: "50Mbps", delay: "100us", buffer: Packets(50), loss: Bernoulli(p: 0.001))),
        flows: [
            Flows(
                pattern: Permutation,
                starts: Poisson(mean_gap: "20ms"),
                size: Pareto(mean: "400KB", shape: 1.5),
                connection: ConnectionSpec(path_manager: ndiffports(num_subflows: 1), cc: lia, traffic: Download(bytes: "1KB")),
            ),
            Flows(
                pattern: Random,
                count: 8,
                connection: ConnectionSpec(path_manager: none, cc: cubic, traffic: Download(bytes: "200KB")),
            ),
        ],
        record: RecordSpec(pcap: false, timeseries: false, sequence: false),
    )),
    axes: [
        Axis(name: "subflows", path: "flows[0].connection.path_manager", template: "ndiffports(num_subflows: {})", values: [1, 2]),
    ],
    seeds: 3,
)
"#;

#[test]
fn a_sweep_over_many_hosts_is_byte_identical_with_one_thread_and_with_two() {
    let a = results_at_one_and_two_threads("threads-many-hosts", FAT_TREE_SWEEP);
    let rows: Vec<&str> = a.lines().collect();
    assert_eq!(rows.len(), 1 + 6, "{a}");
    assert!(
        rows[0].contains(",flows,") && rows[0].contains(",jain_index,"),
        "{}",
        rows[0]
    );
    // The seed draws the permutation, the starts and the sizes: the runs of
    // one point differ.
    let goodput = |r: usize| {
        let col = rows[0].split(',').position(|c| c == "total_goodput_mbps").unwrap();
        rows[1 + r].split(',').nth(col).unwrap().to_string()
    };
    assert_ne!(goodput(0), goodput(1));
    assert_ne!(goodput(1), goodput(2));
}
