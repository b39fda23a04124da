//! `report.html` as a browser shows it: headless Chromium opens the report
//! of a built-in run from disk (no server, no network), its script runs
//! without error and draws every plot, and the screenshot shows the
//! interfaces' data in their colours and the data-ACKs in blue.
//!
//! Without Chromium these tests say so on stderr and pass, so that `cargo
//! test` works on a fresh machine; `.ci/run` installs Chromium and sets
//! MPSIM_REQUIRE_CHROMIUM=1, which makes a missing Chromium a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Chromium binary on PATH, if any.
fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(PathBuf::from(name));
        }
    }
    assert!(
        std::env::var_os("MPSIM_REQUIRE_CHROMIUM").is_none(),
        "Chromium is not installed but MPSIM_REQUIRE_CHROMIUM is set: apt-get install -y chromium"
    );
    eprintln!("SKIPPED: Chromium is not installed (apt-get install -y chromium); report.html was not opened");
    None
}

/// `mpsim reproduce NAME` into the test's directory; the run directory.
fn reproduce(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{name}"));
    let o = Command::new(env!("CARGO_BIN_EXE_mpsim"))
        .args(["reproduce", name, "--quiet", "--out"])
        .arg(&dir)
        .output()
        .expect("mpsim runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("report: "), "mpsim names the report: {stdout}");
    dir
}

/// Runs headless Chromium on `page` with `args`; its stdout.
fn headless(browser: &Path, profile: &Path, page: &Path, args: &[String]) -> String {
    let url = format!("file://{}", page.canonicalize().expect("the report exists").display());
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        o.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Pixels of `png` within a small distance of `rgb`.
fn count_colour(png: &Path, rgb: (u8, u8, u8)) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).expect("a screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3, "an RGB screenshot, got {:?}", info.color_type);
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| {
            let d = |a: u8, b: u8| (a as i32 - b as i32).abs();
            d(p[0], rgb.0) + d(p[1], rgb.1) + d(p[2], rgb.2) <= 30
        })
        .count()
}

#[test]
fn the_handover_report_opens_from_disk_and_draws_every_plot_in_chromium() {
    let Some(browser) = chromium() else { return };
    let dir = reproduce("ios11-handover");
    let page = dir.join("report.html");
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join("chromium-profile");

    let dom = headless(&browser, &profile, &page, &["--dump-dom".to_string()]);
    // The #report element's tag, with what the script set on it.
    let at = dom.find(r#"<div id="report""#).expect("#report");
    let tag = &dom[at..at + dom[at..].find('>').expect("its tag's end")];
    assert!(!tag.contains("data-error"), "the script failed: {tag}");
    // Sequence graph, throughput, cwnd, srtt and progress: five plots,
    // each drawn once before data-ready is set.
    assert!(
        tag.contains(r#"data-ready="1""#) && tag.contains(r#"data-plots="5""#),
        "every plot drawn: {tag}"
    );
    assert_eq!(dom.matches("<canvas").count(), 5, "one canvas per plot");
    // The summary, filled in by the script from the embedded JSON.
    for text in [
        "ios11-handover",
        "completed",
        "40,000,000",
        "wifi join",
        "cell subflow 0 closed (rst)",
    ] {
        assert!(dom.contains(text), "the summary shows {text:?}");
    }

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-ios11-handover.png");
    let _ = std::fs::remove_file(&shot);
    headless(
        &browser,
        &profile,
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,3000".to_string(),
        ],
    );
    // The interfaces' colours (those of the PNG figures: wifi green, cell
    // purple) and the data-ACK's blue, in enough pixels to be lines.
    let wifi = count_colour(&shot, (27, 158, 119));
    let cell = count_colour(&shot, (117, 112, 179));
    let ack = count_colour(&shot, (0, 0, 255));
    assert!(wifi > 2_000, "wifi's green drawn: {wifi} pixels");
    assert!(cell > 2_000, "cell's purple drawn: {cell} pixels");
    assert!(ack > 500, "the data-ACK's blue drawn: {ack} pixels");
}

#[test]
fn a_report_is_small_and_holds_its_data_as_json() {
    let dir = reproduce("linux-both");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    let start = html
        .find(r#"<script type="application/json" id="mpsim-data">"#)
        .expect("the data")
        + 48;
    let end = start + html[start..].find("</script>").expect("its end");
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).expect("JSON");
    assert_eq!(data["scenario"], "linux-both");
    assert_eq!(data["ifaces"][0]["name"], "wifi");
    assert_eq!(data["ifaces"][1]["name"], "cell");
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).expect("metrics")).expect("JSON");
    assert_eq!(data["connections"][0], metrics["connections"][0]);
    // No network: nothing is loaded from elsewhere; the one address is
    // in the vendored library's banner comment.
    let urls = html.matches("http://").count() + html.matches("https://").count();
    assert_eq!(urls, 1, "addresses in report.html");
    assert!(html.contains("/*! https://github.com/leeoniya/uPlot (v1.6.32) */"));
    assert!(!html.contains("src=\"") && !html.contains("href=\""), "no linked file");
}
