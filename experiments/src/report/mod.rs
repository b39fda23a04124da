//! `report.html`: an interactive view of one run, written into its run
//! directory beside the figures. One self-contained file: the page, its
//! script, the uPlot plotting library (vendored in `experiments/assets/uplot`,
//! MIT, see its README) and the run's data as JSON, so it opens from disk
//! with no server and no network.
//!
//! It shows the scenario, seed, stack, outcome and metrics (goodput, bytes
//! per subflow), and linked plots (drag to zoom, wheel to zoom, shift-drag
//! to pan, double-click to reset; a shared cursor) of connection 0's
//! sequence graph with reinjections and data-ACKs, the throughput per
//! interface, cwnd and srtt per subflow, and the data-level progress and
//! out-of-order queue, with the timeline's events and the subflows' joins
//! and closes as markers. What is embedded, and how long runs are thinned,
//! is in [`data`] and `docs/outputs.md`.
//!
//! Sweeps keep no run directories, so their runs have no report.

pub mod data;

use std::path::{Path, PathBuf};

use crate::run::{RunOutput, SequenceFile};
use crate::scenario::Scenario;
use data::{ReportData, SequenceBuilder};

/// uPlot 1.6.32's minified script and style (see `assets/uplot/README.md`).
const UPLOT_JS: &str = include_str!("../../assets/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("../../assets/uplot/uPlot.min.css");
/// The page and its script.
const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("page.js");

/// The file's name in a run directory.
pub const FILE: &str = "report.html";

/// Collects the report's data from a run directory being written (`dir`
/// holds its `sequence.csv`, when the scenario records one).
pub fn collect<'a>(dir: &Path, out: &'a RunOutput, sc: &'a Scenario) -> Result<ReportData<'a>, String> {
    let n = out.iface_names.len();
    let seq = SequenceFile {
        path: dir.join("sequence.csv"),
        names: out.iface_names.clone(),
    };
    let mut builder = SequenceBuilder::new(n);
    let mut bins: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut t_last: Option<sim_core::SimTime> = None;
    if seq.path.exists() {
        seq.for_each(&mut |r| {
            builder.push(r);
            t_last = Some(t_last.map_or(r.time, |l| l.max(r.time)));
            if r.from_server
                && r.len > 0
                && let Some(b) = bins.get_mut(r.iface)
            {
                // In integer nanoseconds, as throughput.png.
                let k = crate::figures::throughput_bin(r.time);
                if b.len() <= k {
                    b.resize(k + 1, 0);
                }
                b[k] += r.len;
            }
        })?;
    }
    let ts = out.timeseries.rounded();
    let throughput = t_last.map(|t| {
        // As throughput.png: bins up to the last record's.
        let nbins = crate::figures::throughput_bins(Some(t));
        for b in &mut bins {
            b.resize(nbins, 0);
        }
        data::throughput(bins)
    });
    let x_end_s = t_last
        .map(sim_core::SimTime::as_secs_f64)
        .or_else(|| crate::figures::series_activity_end(&ts))
        .map_or(out.metrics.simulated_s, crate::figures::axis_end);
    let m = &out.metrics;
    Ok(ReportData {
        scenario: &m.scenario,
        description: &sc.description,
        seed: m.seed,
        outcome: m.outcome,
        stop_s: m.simulated_s,
        events: m.events,
        stack: data::stack(sc),
        ifaces: out
            .iface_names
            .iter()
            .enumerate()
            .map(|(i, name)| data::Iface {
                name: name.clone(),
                color: data::iface_color(i),
            })
            .collect(),
        connections: m.connections.iter().take(data::MAX_CONN_ROWS).collect(),
        connections_total: m.connections.len(),
        markers: data::markers(sc, m),
        x_end_s,
        throughput,
        subflows: data::subflow_series(&ts, &out.iface_names),
        progress: data::progress(&ts),
        sequence: builder.finish(),
    })
}

/// Escapes text for HTML element content.
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The page for `data`: the template with the library, the script and the
/// JSON filled in. The JSON sits in a `<script type="application/json">`
/// element, with `</` written `<\/` so that no string in it can end the
/// element.
pub fn render(data: &ReportData) -> Result<String, String> {
    let json = serde_json::to_string(data)
        .map_err(|e| format!("report data: {e}"))?
        .replace("</", "<\\/");
    let title = if data.scenario.is_empty() {
        "mpsim run".to_string()
    } else {
        format!("{}: mpsim run", escape_html(data.scenario))
    };
    fill(
        PAGE,
        &[
            ("{{TITLE}}", &title),
            ("{{UPLOT_CSS}}", UPLOT_CSS),
            ("{{DATA}}", &json),
            ("{{UPLOT_JS}}", UPLOT_JS),
            ("{{SCRIPT}}", SCRIPT),
        ],
    )
}

/// The template with each marker replaced, in order, by its text (a
/// marker is looked for only in the template, never in what was filled in).
fn fill(template: &str, parts: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + parts.iter().map(|p| p.1.len()).sum::<usize>());
    let mut rest = template;
    for (marker, text) in parts {
        let at = rest
            .find(marker)
            .ok_or_else(|| format!("report template: no {marker}"))?;
        out.push_str(&rest[..at]);
        out.push_str(text);
        rest = &rest[at + marker.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Writes `report.html` into `dir` (a run directory being written, whose
/// `sequence.csv` it reads); returns its path.
pub fn write_report(dir: &Path, out: &RunOutput, sc: &Scenario) -> Result<PathBuf, String> {
    let data = collect(dir, out, sc)?;
    let html = render(&data)?;
    let path = dir.join(FILE);
    std::fs::write(&path, html).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_filled_in_order_and_never_inside_what_was_filled() {
        let t = fill("a{{X}}b{{Y}}c", &[("{{X}}", "{{Y}}"), ("{{Y}}", "y")]).expect("fills");
        assert_eq!(t, "a{{Y}}byc");
        assert!(fill("a", &[("{{X}}", "")]).is_err());
    }

    #[test]
    fn the_vendored_library_holds_no_end_of_script_tag() {
        // Inlined in a <script> element, "</script" would end it early.
        assert!(!UPLOT_JS.to_ascii_lowercase().contains("</script"));
        assert!(UPLOT_JS.starts_with("/*! https://github.com/leeoniya/uPlot (v1.6.32) */"));
    }
}
