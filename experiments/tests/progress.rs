//! Progress of a single run (`mpsim run`, `mpsim reproduce`): a bar of
//! simulated time on a terminal, plain lines otherwise, nothing with
//! `--quiet`, and the same files whichever is shown.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
        ],
    ),
    connections: [
        ConnectionSpec(traffic: Download(bytes: "1MB")),
    ],
)
"#;

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("progress").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
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

fn scenario(dir: &Path) -> String {
    let f = dir.join("small.ron");
    std::fs::write(&f, SMALL).unwrap();
    f.display().to_string()
}

/// Every file of a run directory, by name, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_run_prints_plain_progress_lines_of_simulated_seconds_when_stderr_is_not_a_terminal() {
    let d = scratch("plain");
    let f = scenario(&d);
    let o = mpsim(&["run", &f, "--out", d.join("out").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("run small: simulating 5.0 s\n"), "{err}");
    assert!(err.contains("run small: 5.0 of 5.0 s simulated in "), "{err}");
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "terminal control codes: {err:?}"
    );
    // Progress is on stderr only: stdout keeps the results.
    assert!(!text(&o.stdout).contains("simulated"), "{}", text(&o.stdout));
}

#[test]
fn quiet_silences_progress_and_the_files_are_the_same_with_or_without_it() {
    let d = scratch("quiet");
    let f = scenario(&d);
    let loud = mpsim(&["run", &f, "--out", d.join("loud").to_str().unwrap()]);
    let quiet = mpsim(&["run", &f, "--out", d.join("quiet").to_str().unwrap(), "--quiet"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(!text(&loud.stderr).is_empty());
    // Quiet: no progress and no notes; a warning about the outcome stays
    // (a run that did not complete says so whatever the verbosity).
    let only_warnings = |e: &str| e.lines().all(|l| l.starts_with("mpsim: warning: "));
    assert!(only_warnings(&text(&quiet.stderr)), "{}", text(&quiet.stderr));
    assert_eq!(text(&loud.stdout).replace("loud", "quiet"), text(&quiet.stdout));
    let (a, b) = (files(&d.join("loud")), files(&d.join("quiet")));
    assert!(a.len() >= 5, "{:?}", a.iter().map(|f| &f.0).collect::<Vec<_>>());
    assert!(a == b, "the run directories differ");
    let o = mpsim(&["reproduce", "dumbbell-1", "--out", d.join("r").to_str().unwrap(), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(only_warnings(&text(&o.stderr)), "{}", text(&o.stderr));
}

#[test]
fn reproduce_on_a_terminal_draws_a_bar_of_simulated_time() {
    // util-linux `script` gives the command a pseudo-terminal.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` command to provide a terminal");
        return;
    }
    let d = scratch("tty");
    let cmd = format!(
        "{} reproduce ios11-handover --out {}",
        env!("CARGO_BIN_EXE_mpsim"),
        d.join("out").display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let screen = text(&o.stdout);
    assert!(screen.contains("ios11-handover ["), "{screen:?}");
    assert!(screen.contains("/30.0 s simulated, ETA "), "{screen:?}");
    // Redrawn in place (carriage returns or line erases), then cleared and
    // one last line printed.
    assert!(screen.contains('\u{1b}') || screen.contains('\r'), "{screen:?}");
    assert!(
        screen.contains("run ios11-handover: 30.0 of 30.0 s simulated in "),
        "{screen:?}"
    );
    assert!(d.join("out/metrics.json").is_file());
}
