//! The figures of a run, drawn from its records with the `plots` crate:
//! the mptcptrace-style sequence graph of the whole connection and two
//! zooms chosen from the run itself (the switch between interfaces, and
//! the data-ACK jump over the out-of-order data), throughput per subflow,
//! cwnd and srtt per subflow, and the data-level out-of-order queue.

use std::path::{Path, PathBuf};

use plots::{Ack, Line, Output, Rgb, SequenceGraph, Series, TimeSeries, Zoom};

use crate::run::{RunOutput, SeqRecord};

/// (x, y) points of one line.
type Points = Vec<(f64, f64)>;

fn color(i: usize) -> Rgb {
    // Skip the palette's blue, which the data-ACK crosses use.
    Rgb::palette(i + 1)
}

/// The zoom windows of the sequence graphs, chosen from the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Windows {
    /// When data first went out on another interface than the first data.
    pub switch_s: Option<f64>,
    pub transition: Option<Zoom>,
    pub ooo: Option<Zoom>,
}

/// Data of connection 0 sent by the server, and its data-ACKs from the
/// client, with DSNs relative to the first data byte.
fn conn0(records: &[SeqRecord]) -> (Vec<plots::Segment>, Vec<Ack>, u64) {
    let base = records
        .iter()
        .filter(|r| r.conn == 0 && r.from_server && r.len > 0)
        .map(|r| r.dsn)
        .min()
        .unwrap_or(0);
    let mut segs = Vec::new();
    let mut acks = Vec::new();
    for r in records.iter().filter(|r| r.conn == 0) {
        let t = r.time.as_secs_f64();
        if r.from_server && r.len > 0 && r.dsn >= base {
            let s = (r.dsn - base) as f64;
            segs.push(plots::Segment {
                time: t,
                seq_start: s,
                seq_end: s + r.len as f64,
                series: r.iface,
                reinjected: r.reinjected,
            });
        }
        if !r.from_server
            && let Some(a) = r.data_ack
            && a >= base
        {
            acks.push(Ack {
                time: t,
                seq: (a - base) as f64,
            });
        }
    }
    (segs, acks, base)
}

/// Chooses the zoom windows from the run's records.
pub fn choose_windows(records: &[SeqRecord]) -> Windows {
    let (segs, acks, _) = conn0(records);
    let Some(first) = segs.first() else {
        return Windows {
            switch_s: None,
            transition: None,
            ooo: None,
        };
    };
    let switch = segs.iter().find(|s| s.series != first.series).map(|s| s.time);
    let Some(ts) = switch else {
        return Windows {
            switch_s: None,
            transition: None,
            ooo: None,
        };
    };
    // The transition: from a little before the switch until the data-ACK
    // has passed everything sent before the switch and the reinjections.
    let before_max = segs
        .iter()
        .filter(|s| s.time < ts)
        .map(|s| s.seq_end)
        .fold(0.0, f64::max);
    let last_reinj = segs.iter().filter(|s| s.reinjected).map(|s| s.time).fold(ts, f64::max);
    let caught_up = acks
        .iter()
        .find(|a| a.time >= ts && a.seq >= before_max)
        .map_or(last_reinj, |a| a.time);
    let span = (caught_up.max(last_reinj) - ts).max(0.05);
    let t0 = ts - span * 0.6;
    let t1 = ts + span * 1.4;
    let in_window = |t: f64| t >= t0 && t <= t1;
    let ys: Vec<f64> = segs
        .iter()
        .filter(|s| in_window(s.time))
        .flat_map(|s| [s.seq_start, s.seq_end])
        .chain(acks.iter().filter(|a| in_window(a.time)).map(|a| a.seq))
        .collect();
    let y0 = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let y1 = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let transition = (y0 < y1).then(|| Zoom::new(t0..t1, y0..y1));
    // The out-of-order corner: the largest data-ACK jump during the
    // transition (after the switch, within the transition window), where
    // the data-ACK covers data that arrived out of order.
    let mut best: Option<(f64, f64, f64, f64)> = None; // (jump, t, from, to)
    for w in acks.windows(2) {
        if w[1].time >= ts && w[1].time <= t1 && w[1].seq > w[0].seq {
            let jump = w[1].seq - w[0].seq;
            if best.is_none_or(|b| jump > b.0) {
                best = Some((jump, w[1].time, w[0].seq, w[1].seq));
            }
        }
    }
    let ooo = best.filter(|b| b.0 > 0.0).map(|(jump, t, from, to)| {
        // From the switch to just after the jump; the data-ACK's level
        // before and after the jump with some room around.
        let margin_y = jump * 0.3;
        let after = ((t - ts) * 0.25).max(0.01);
        Zoom::new(ts..(t + after), (from - margin_y)..(to + margin_y))
    });
    Windows {
        switch_s: Some(ts),
        transition,
        ooo,
    }
}

/// Writes every figure of a run into `dir`; returns the files written.
pub fn write_figures(dir: &Path, out: &RunOutput) -> Result<Vec<PathBuf>, String> {
    draw_figures(
        dir,
        &out.records,
        &out.timeseries_csv,
        &out.iface_names,
        &FigureOptions::default(),
    )
}

/// The figure kinds, as `mpsim plot --kind` names them.
pub const KINDS: &[&str] = &["seq", "seq-transition", "seq-ooo", "throughput", "cwnd", "srtt", "ooo"];

/// Which figures to draw, and an optional extra zoom of the sequence graph.
#[derive(Clone, Debug, Default)]
pub struct FigureOptions {
    /// Only this kind (one of [`KINDS`]); all when `None`.
    pub kind: Option<String>,
    /// Also draw `seq-zoom` with this window (seconds, bytes from the first DSN).
    pub zoom: Option<Zoom>,
}

/// Draws the figures of a run from its records and time series.
pub fn draw_figures(
    dir: &Path,
    records: &[SeqRecord],
    timeseries_csv: &str,
    names: &[String],
    opts: &FigureOptions,
) -> Result<Vec<PathBuf>, String> {
    let want = |k: &str| opts.kind.as_deref().is_none_or(|x| x == k);
    let mut files = Vec::new();
    let series: Vec<Series> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Series::new(n.clone(), color(i)))
        .collect();
    let (segs, acks, _) = conn0(records);
    if !segs.is_empty() {
        let w = choose_windows(records);
        let base = SequenceGraph {
            series: series.clone(),
            segments: segs,
            acks,
            ..Default::default()
        };
        if want("seq") {
            let mut whole = base.clone();
            whole.title = "Data sequence numbers (whole connection)".into();
            files.extend(
                plots::sequence_graph(&whole, dir.join("seq"))
                    .map_err(|e| e.to_string())?
                    .files,
            );
            if let Some(z) = &opts.zoom {
                let mut g = base.clone();
                g.title = "Data sequence numbers (zoom)".into();
                g.zoom = z.clone();
                files.extend(
                    plots::sequence_graph(&g, dir.join("seq-zoom"))
                        .map_err(|e| e.to_string())?
                        .files,
                );
            }
        }
        if let Some(z) = w.transition.filter(|_| want("seq-transition")) {
            let mut g = base.clone();
            g.title = "Transition between interfaces".into();
            g.zoom = z;
            files.extend(
                plots::sequence_graph(&g, dir.join("seq-transition"))
                    .map_err(|e| e.to_string())?
                    .files,
            );
        }
        if let Some(z) = w.ooo.filter(|_| want("seq-ooo")) {
            let mut g = base;
            g.title = "Out-of-order data and the data-ACK jump".into();
            g.zoom = z;
            files.extend(
                plots::sequence_graph(&g, dir.join("seq-ooo"))
                    .map_err(|e| e.to_string())?
                    .files,
            );
        }
    }
    // Throughput per interface from the server's data, in 100 ms bins.
    let bin = 0.1;
    let t_end = records.iter().map(|r| r.time.as_secs_f64()).fold(0.0, f64::max);
    let nbins = (t_end / bin).ceil() as usize + 1;
    let mut lines = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let mut bytes = vec![0u64; nbins];
        for r in records.iter().filter(|r| r.from_server && r.iface == i && r.len > 0) {
            bytes[(r.time.as_secs_f64() / bin) as usize] += r.len;
        }
        let pts = bytes
            .iter()
            .enumerate()
            .map(|(k, b)| (k as f64 * bin, *b as f64 * 8.0 / bin / 1e6))
            .collect();
        lines.push(Line::step(n.clone(), color(i), pts));
    }
    if want("throughput") && !lines.is_empty() && nbins > 1 {
        let ts = TimeSeries {
            title: "Throughput sent per subflow (server)".into(),
            y_label: "Mb/s".into(),
            lines,
            output: Output::default(),
            ..Default::default()
        };
        files.extend(
            plots::time_series(&ts, dir.join("throughput"))
                .map_err(|e| e.to_string())?
                .files,
        );
    }
    // cwnd, srtt and the out-of-order queue from the time series.
    if !timeseries_csv.is_empty() {
        let rows: Vec<Vec<&str>> = timeseries_csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
        let mut by_sf: std::collections::BTreeMap<(String, usize), (Points, Points)> = Default::default();
        let mut ooo = Vec::new();
        for r in &rows {
            let Ok(t) = r[0].parse::<f64>() else { continue };
            if r[1] == "server" && !r[3].is_empty() && r[2] == "0" {
                let iface: usize = r[4].parse().unwrap_or(0);
                let name = names.get(iface).cloned().unwrap_or_default();
                let key = (format!("{name} (subflow {})", r[3]), iface);
                let e = by_sf.entry(key).or_default();
                if let Ok(c) = r[5].parse::<f64>() {
                    e.0.push((t, c / 1000.0));
                }
                if let Ok(s) = r[6].parse::<f64>() {
                    e.1.push((t, s));
                }
            }
            if r[1] == "client"
                && r[3].is_empty()
                && r[2] == "0"
                && let Ok(o) = r[9].parse::<f64>()
            {
                ooo.push((t, o / 1000.0));
            }
        }
        let (mut cw, mut rt) = (Vec::new(), Vec::new());
        for ((name, iface), (c, s)) in by_sf {
            cw.push(Line::new(name.clone(), color(iface), c));
            rt.push(Line::new(name, color(iface), s));
        }
        for (stem, title, y, lines) in [
            ("cwnd", "Congestion window per subflow (server)", "cwnd (kB)", cw),
            ("srtt", "Smoothed RTT per subflow (server)", "srtt (ms)", rt),
        ] {
            if want(stem) && !lines.is_empty() {
                let ts = TimeSeries {
                    title: title.into(),
                    y_label: y.into(),
                    lines,
                    ..Default::default()
                };
                files.extend(
                    plots::time_series(&ts, dir.join(stem))
                        .map_err(|e| e.to_string())?
                        .files,
                );
            }
        }
        if want("ooo") && !ooo.is_empty() {
            let ts = TimeSeries {
                title: "Data-level out-of-order queue (client)".into(),
                y_label: "out-of-order bytes (kB)".into(),
                lines: vec![Line::step("out-of-order", color(0), ooo)],
                ..Default::default()
            };
            files.extend(
                plots::time_series(&ts, dir.join("ooo"))
                    .map_err(|e| e.to_string())?
                    .files,
            );
        }
    }
    Ok(files)
}
