//! The small frictions of issue 19, each as a user meets it: `reproduce
//! --seed`, `validate` of built-in names, `plot` refusing a zoom outside
//! the run's data and drawing a run without `sequence.csv`, and the
//! run summary's wording.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One interface, a download of `traffic`, stop at 3 s; `record` fields.
fn scenario(traffic: &str, record: &str) -> String {
    format!(
        r#"Scenario(
    name: "one",
    stop: "3s",
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
        ConnectionSpec(traffic: {traffic}),
    ],
    record: RecordSpec({record}),
)
"#
    )
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-small").join(test);
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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs `text` as a scenario into `dir/out`; returns the run directory.
fn run(dir: &Path, text: &str) -> (PathBuf, Output) {
    let f = dir.join("s.ron");
    std::fs::write(&f, text).unwrap();
    let out = dir.join("out");
    let o = mpsim(&["run", p(&f), "--out", p(&out), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (out, o)
}

#[test]
fn reproduce_takes_a_seed_and_the_run_records_it() {
    let d = scratch("seed");
    let out = d.join("r");
    let o = mpsim(&["reproduce", "ios-none-wifi-lost", "--out", p(&out), "--seed", "7", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let metrics = std::fs::read_to_string(out.join("metrics.json")).unwrap();
    assert!(metrics.contains("\"seed\": 7,"), "{metrics}");
    let resolved = std::fs::read_to_string(out.join("scenario.ron")).unwrap();
    assert!(resolved.contains("seed: 7,"), "{resolved}");
    let o = mpsim(&["reproduce", "ios-none-wifi-lost", "--out", p(&out), "--seed", "x"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn validate_takes_the_names_of_built_in_scenarios_and_sweeps() {
    let o = mpsim(&["validate", "ios11-handover"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "ios11-handover: valid built-in scenario\n");
    let o = mpsim(&["validate", "aggregate-rtt-ratio"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("aggregate-rtt-ratio: valid built-in sweep: "),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("= 125 runs"), "{}", stdout(&o));
    let o = mpsim(&["validate", "no-such-scenario"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn plot_refuses_a_zoom_outside_the_runs_data_with_where_the_data_is() {
    let d = scratch("zoom");
    let (out, _) = run(&d, &scenario("Download(bytes: \"1MB\")", ""));
    for (zoom, what) in [("40:50", "time"), ("0:1,30:40", "sequence")] {
        let o = mpsim(&["plot", p(&out), "--zoom", zoom]);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.starts_with(&format!(
                "--zoom {zoom}: the window holds none of the run's data, which lies from 0."
            )),
            "{e}"
        );
        assert!(
            e.contains(" MB of data sequence; expected a window that overlaps it"),
            "{e}"
        );
        assert!(!out.join("seq-zoom.png").exists());
    }
    let o = mpsim(&["plot", p(&out), "--zoom", "0:1,0:0.5"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("seq-zoom.png").is_file());
}

#[test]
fn plot_draws_the_time_series_of_a_run_that_recorded_no_sequence() {
    let d = scratch("no-sequence");
    let (out, _) = run(&d, &scenario("Download(bytes: \"1MB\")", "sequence: false"));
    assert!(!out.join("sequence.csv").exists());
    std::fs::remove_file(out.join("cwnd.png")).unwrap();
    let o = mpsim(&["plot", p(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("cwnd.png").is_file());
    assert!(!out.join("seq.png").exists());
    let o = mpsim(&["plot", p(&out), "--zoom", "0:1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("recorded no sequence.csv"), "{}", stderr(&o));
}

#[test]
fn the_run_summary_counts_one_subflow_in_the_singular_and_open_ended_traffic_in_words() {
    let d = scratch("words");
    let (_, o) = run(&d, &scenario("Download(bytes: \"1MB\")", ""));
    let s = stdout(&o);
    assert!(s.contains("1000000 of 1000000 bytes delivered"), "{s}");
    assert!(s.contains(", 1 subflow\n"), "{s}");
    let (_, o) = run(&d, &scenario("DownloadFor(duration: \"1s\")", ""));
    let s = stdout(&o);
    assert!(s.contains(" bytes delivered (open-ended traffic), "), "{s}");
    assert!(!s.contains("of -"), "{s}");
}

#[test]
fn a_v1_trace_comes_with_a_note_that_mptcptrace_needs_pcap_flavor_v0() {
    let d = scratch("mptcptrace-note");
    let f = d.join("s.ron");
    std::fs::write(&f, scenario("Download(bytes: \"100KB\")", "")).unwrap();
    let note = "mptcptrace reads only v0";
    let o = mpsim(&["run", p(&f), "--out", p(&d.join("v1"))]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(note) && stderr(&o).contains("--pcap-flavor v0"),
        "{}",
        stderr(&o)
    );
    let o = mpsim(&["run", p(&f), "--out", p(&d.join("v0")), "--pcap-flavor", "v0"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains(note), "{}", stderr(&o));
    // Plain TCP (the iOS `none` service type) has no MPTCP to misread.
    let o = mpsim(&["reproduce", "ios-none-wifi-lost", "--out", p(&d.join("tcp"))]);
    assert!(!stderr(&o).contains(note), "{}", stderr(&o));
}

#[test]
fn the_transition_and_out_of_order_figures_are_drawn_only_for_runs_that_have_them() {
    let d = scratch("follow");
    // Both paths carry data to the end: no transition.
    let two = scenario("Download(bytes: \"2MB\")", "").replace(
        "        ],\n    ),",
        "            InterfaceSpec(\n                name: \"cell\",\n                kind: Cellular,\n                uplink: LinkSpec(rate: \"10Mbps\", delay: \"30ms\"),\n                downlink: LinkSpec(rate: \"10Mbps\", delay: \"30ms\"),\n            ),\n        ],\n    ),",
    );
    assert!(two.contains("\"cell\""), "{two}");
    let (both, _) = run(&d, &two);
    assert!(both.join("seq.png").is_file());
    let metrics = std::fs::read_to_string(both.join("metrics.json")).unwrap();
    assert_eq!(metrics.matches("\"iface\"").count(), 2, "two subflows: {metrics}");
    assert!(!both.join("seq-transition.png").exists());
    // The iOS 11 handover moves from cellular to Wi-Fi, with data out of
    // order while the reinjections fill the hole.
    let h = d.join("handover");
    let o = mpsim(&["reproduce", "ios11-handover", "--out", p(&h), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["seq-transition.png", "seq-ooo.png", "ooo.png"] {
        assert!(h.join(f).is_file(), "{f}");
    }
    let svg = std::fs::read_to_string(h.join("seq.svg")).unwrap();
    assert!(
        svg.contains("ios11-handover: data sequence numbers"),
        "the scenario names the title"
    );
    // Plain TCP on one interface: neither.
    let t = d.join("tcp");
    let o = mpsim(&["reproduce", "ios-none-wifi-lost", "--out", p(&t), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!t.join("seq-transition.png").exists() && !t.join("ooo.png").exists());
}

#[test]
fn figure_size_and_font_options_are_checked_and_the_paper_preset_is_a_column_wide() {
    let d = scratch("sizes");
    let (out, _) = run(&d, &scenario("Download(bytes: \"1MB\")", ""));
    let o = mpsim(&["plot", p(&out), "--kind", "seq", "--size", "paper"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let png = std::fs::read(out.join("seq.png")).unwrap();
    // The PNG header's width and height (IHDR, big-endian, bytes 16..24).
    let dim = |b: &[u8], at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap());
    assert_eq!((dim(&png, 16), dim(&png, 20)), (700, 450));
    let o = mpsim(&[
        "plot",
        p(&out),
        "--kind",
        "seq",
        "--width",
        "800",
        "--height",
        "500",
        "--font-scale",
        "1.5",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let png = std::fs::read(out.join("seq.png")).unwrap();
    assert_eq!((dim(&png, 16), dim(&png, 20)), (800, 500));
    for bad in [
        &["--size", "poster"][..],
        &["--width", "10"],
        &["--height", "100000"],
        &["--font-scale", "0"],
        &["--font-scale", "nan"],
    ] {
        let mut args = vec!["plot", p(&out)];
        args.extend_from_slice(bad);
        let o = mpsim(&args);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
    }
    let f = d.join("s.ron");
    let o = mpsim(&["run", p(&f), "--out", p(&d.join("w")), "--width", "10"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!d.join("w").exists());
}

/// The files of a run directory, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn records_without_figures_leave_out_the_figures_and_the_report_and_nothing_else() {
    let d = scratch("no-figures");
    let text = scenario("Download(bytes: \"1MB\")", "");
    let f = d.join("s.ron");
    std::fs::write(&f, &text).unwrap();
    let records = [
        "metrics.json",
        "scenario.ron",
        "sequence.csv",
        "timeseries.csv",
        "trace.pcap",
    ];
    // The default: records, figures and report.html.
    let all = d.join("all");
    let o = mpsim(&["run", p(&f), "--out", p(&all), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let with = files(&all);
    for name in records.iter().chain(&["seq.png", "seq.svg", "cwnd.png", "report.html"]) {
        assert!(with.iter().any(|n| n == name), "{name} missing from {with:?}");
    }
    assert!(stdout(&o).contains("report: ") && stdout(&o).contains("figure: "));
    assert!(
        !std::fs::read_to_string(all.join("scenario.ron"))
            .unwrap()
            .contains("figures")
    );
    // --no-figures: the same records, byte for byte, and nothing drawn.
    let bare = d.join("bare");
    let o = mpsim(&["run", p(&f), "--out", p(&bare), "-q", "--no-figures"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(files(&bare), records);
    assert!(
        !stdout(&o).contains("report: ") && !stdout(&o).contains("figure: "),
        "{}",
        stdout(&o)
    );
    for name in records.iter().filter(|&&n| n != "scenario.ron") {
        assert_eq!(
            std::fs::read(all.join(name)).unwrap(),
            std::fs::read(bare.join(name)).unwrap(),
            "{name} differs"
        );
    }
    // The run directory says so, and runs again the same way.
    let resolved = std::fs::read_to_string(bare.join("scenario.ron")).unwrap();
    assert!(resolved.contains("figures: false"), "{resolved}");
    let again = d.join("again");
    let o = mpsim(&["run", p(&bare.join("scenario.ron")), "--out", p(&again), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(files(&again), records);
    // The scenario field does what the flag does; `mpsim plot` draws later.
    std::fs::create_dir_all(d.join("field")).unwrap();
    let (field, _) = run(
        &d.join("field"),
        &scenario("Download(bytes: \"1MB\")", "figures: false"),
    );
    assert_eq!(files(&field), records);
    let o = mpsim(&["plot", p(&field)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(field.join("seq.png").is_file() && field.join("cwnd.svg").is_file());
}

#[test]
fn a_figures_switch_that_is_not_a_boolean_is_refused_where_it_is_written() {
    let d = scratch("bad-figures");
    let f = d.join("s.ron");
    std::fs::write(&f, scenario("Download(bytes: \"1MB\")", "figures: \"no\"")).unwrap();
    let out = d.join("out");
    let o = mpsim(&["run", p(&f), "--out", p(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    // Line 17, `    record: RecordSpec(figures: "no"),`: the value's column.
    assert_eq!(
        e.trim_end(),
        format!("{}:17:33: found `\"no\"`; expected `true` or `false`", f.display())
    );
    assert!(!out.exists());
}
