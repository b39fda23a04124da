//! The shipped delivery traces and `mpsim trace`: every shipped file is
//! exactly the output of the command its README lists, bad shapes are
//! refused with exit code 2 and no file, and a scenario can name a shipped
//! trace from anywhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use experiments::run::{RunOptions, run};
use experiments::scenario::Scenario;

fn mpsim(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("mpsim runs")
}

fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces")
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The `mpsim trace ...` lines of the README, split into arguments.
fn readme_commands() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(traces_dir().join("README.md")).unwrap();
    readme
        .lines()
        .filter(|l| l.starts_with("mpsim trace "))
        .map(|l| l.split_whitespace().skip(1).map(String::from).collect())
        .collect()
}

#[test]
fn every_shipped_trace_is_exactly_the_output_of_its_documented_command() {
    let commands = readme_commands();
    let out = scratch("traces-regenerated");
    let mut covered = Vec::new();
    for args in &commands {
        let at = args
            .iter()
            .position(|a| a == "--out")
            .expect("each command names its --out file");
        let file = args[at + 1].clone();
        let o = mpsim(&args.iter().map(String::as_str).collect::<Vec<_>>(), &out);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let made = std::fs::read(out.join(&file)).unwrap();
        let shipped = std::fs::read(traces_dir().join(&file)).unwrap();
        assert!(
            made == shipped,
            "{file} differs from the output of `mpsim {}`",
            args.join(" ")
        );
        covered.push(file.trim_end_matches(".trace").to_string());
    }
    // Every shipped trace has its command, and every file is shipped.
    let mut shipped: Vec<String> = experiments::traces::SHIPPED.iter().map(|t| t.0.to_string()).collect();
    let mut on_disk: Vec<String> = std::fs::read_dir(traces_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".trace").map(String::from))
        .collect();
    shipped.sort();
    on_disk.sort();
    covered.sort();
    assert_eq!(covered, shipped);
    assert_eq!(on_disk, shipped);
}

#[test]
fn a_trace_goes_to_standard_output_without_out() {
    let d = scratch("traces-stdout");
    let o = mpsim(&["trace", "constant", "--rate", "12.032Mbps", "--period", "5ms"], &d);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), "1\n2\n3\n4\n5\n");
}

#[test]
fn a_bad_shape_is_refused_with_exit_code_2_and_writes_nothing() {
    let d = scratch("traces-bad");
    for (args, says) in [
        (
            vec![
                "trace", "constant", "--rate", "12Mbps", "--period", "1.5ms", "--out", "x.trace",
            ],
            "whole number of milliseconds",
        ),
        (
            vec![
                "trace", "constant", "--rate", "fast", "--period", "1s", "--out", "x.trace",
            ],
            "--rate fast",
        ),
        (
            vec!["trace", "steps", "--steps", "24Mbps", "--out", "x.trace"],
            "RATE:DURATION",
        ),
        (
            vec![
                "trace",
                "random-walk",
                "--seed",
                "1",
                "--mean",
                "10Mbps",
                "--min",
                "1Mbps",
                "--max",
                "30Mbps",
                "--step",
                "100ms",
                "--duration",
                "250ms",
                "--out",
                "x.trace",
            ],
            "whole number of steps",
        ),
    ] {
        let o = mpsim(&args, &d);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says) && err.contains("expected"), "{args:?}: {err}");
        assert!(std::fs::read_dir(&d).unwrap().next().is_none(), "{args:?} left a file");
    }
}

#[test]
fn a_download_over_a_shipped_step_trace_follows_its_steps() {
    // builtin:step-24-6mbps: 24 Mb/s for 5 s, then 6 Mb/s for 5 s. A bulk
    // download over it gets about 24 x 1448/1504 Mb/s, then a quarter of it.
    let text = r#"Scenario(
    name: "step",
    stop: "10s",
    client: ClientSpec(interfaces: [
        InterfaceSpec(name: "cell", kind: Cellular,
            uplink: LinkSpec(rate: "20Mbps", delay: "20ms"),
            downlink: LinkSpec(rate: "24Mbps", delay: "20ms", trace: "builtin:step-24-6mbps")),
    ]),
    connections: [ConnectionSpec(path_manager: none, traffic: DownloadFor(duration: "10s"))],
    record: RecordSpec(pcap: false),
)"#;
    // Parsed as if from a file in some other directory: the shipped trace
    // does not depend on it.
    let sc = Scenario::parse(Path::new("/nonexistent/dir/s.ron"), text).unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions {
        keep_records: true,
        ..RunOptions::default()
    };
    let out = run(&sc, &opts).unwrap();
    let c = &out.timeseries.conns;
    assert!(!c.time_s.is_empty(), "the run keeps its time series");
    // The highest data-level ACK sampled by time t.
    let acked_by = |t: f64| {
        c.time_s
            .iter()
            .zip(&c.data_ack)
            .filter(|&(&s, _)| s <= t)
            .map(|(_, &a)| a as f64)
            .fold(0.0, f64::max)
    };
    let bytes_between = |a: f64, b: f64| acked_by(b) - acked_by(a);
    let first = bytes_between(1.0, 5.0) * 8.0 / 4.0 / 1e6;
    let second = bytes_between(6.0, 10.0) * 8.0 / 4.0 / 1e6;
    let cap = |mbps: f64| mbps * 1448.0 / 1504.0;
    assert!(
        first > 0.9 * cap(24.0) && first <= cap(24.0) * 1.001,
        "{first} Mb/s in the 24 Mb/s step"
    );
    assert!(
        second > 0.9 * cap(6.0) && second <= cap(6.0) * 1.001,
        "{second} Mb/s in the 6 Mb/s step"
    );
}

#[test]
fn an_unknown_shipped_trace_is_a_located_error_listing_the_shipped_ones() {
    let text = r#"Scenario(
    name: "nope",
    client: ClientSpec(interfaces: [
        InterfaceSpec(name: "cell", kind: Cellular,
            uplink: LinkSpec(rate: "20Mbps", delay: "20ms"),
            downlink: LinkSpec(rate: "24Mbps", delay: "20ms", trace: "builtin:lte")),
    ]),
    connections: [ConnectionSpec(traffic: Download(bytes: "1MB"))],
)"#;
    let e = Scenario::parse(Path::new("s.ron"), text).expect_err("refused");
    assert!(e.message.contains("builtin:cellular-walk"), "{e}");
    assert_eq!(e.line, 6, "{e}");
}
