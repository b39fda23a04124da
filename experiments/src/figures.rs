//! The figures of a run, drawn from its records with the `plots` crate:
//! the mptcptrace-style sequence graph of the whole connection and two
//! zooms chosen from the run itself (the switch between interfaces, and
//! the data-ACK jump over the out-of-order data), throughput per subflow,
//! cwnd and srtt per subflow, and the data-level out-of-order queue.
//!
//! The records are read from a [`RecordSource`] a few times over (a run's
//! `sequence.csv`, or records in memory) rather than collected, so drawing
//! the figures of a long run takes no more memory than a short one's.

use std::cell::RefCell;
use std::ops::Range;
use std::path::{Path, PathBuf};

use plots::{Ack, Line, Mark, Output, PlotError, Rgb, SequenceData, SequenceGraph, Series, TimeSeries, Zoom};

use crate::run::{RunOutput, SeqRecord, SequenceFile};
use crate::timeseries::{self, HostSide};

/// Sequence records that can be read several times, in order.
pub trait RecordSource {
    /// Calls `f` with every record, in order.
    fn for_each(&self, f: &mut dyn FnMut(&SeqRecord)) -> Result<(), String>;
}

impl RecordSource for [SeqRecord] {
    fn for_each(&self, f: &mut dyn FnMut(&SeqRecord)) -> Result<(), String> {
        self.iter().for_each(f);
        Ok(())
    }
}

impl RecordSource for SequenceFile {
    fn for_each(&self, f: &mut dyn FnMut(&SeqRecord)) -> Result<(), String> {
        SequenceFile::for_each(self, f)
    }
}

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
/// client, with DSNs relative to `base` (the first data byte), in order.
struct Conn0<'a, R: ?Sized> {
    records: &'a R,
    base: u64,
    /// Why the last read of the records failed.
    error: RefCell<Option<String>>,
}

impl<'a, R: RecordSource + ?Sized> Conn0<'a, R> {
    fn new(records: &'a R, base: u64) -> Self {
        Conn0 {
            records,
            base,
            error: RefCell::new(None),
        }
    }

    fn each(&self, f: &mut dyn FnMut(Mark)) -> Result<(), String> {
        let base = self.base;
        self.records.for_each(&mut |r| {
            if r.conn != 0 {
                return;
            }
            let t = r.time.as_secs_f64();
            if r.from_server && r.len > 0 && r.dsn >= base {
                let s = (r.dsn - base) as f64;
                f(Mark::Segment(plots::Segment {
                    time: t,
                    seq_start: s,
                    seq_end: s + r.len as f64,
                    series: r.iface,
                    reinjected: r.reinjected,
                }));
            }
            if !r.from_server
                && let Some(a) = r.data_ack
                && a >= base
            {
                f(Mark::Ack(Ack {
                    time: t,
                    seq: (a - base) as f64,
                }));
            }
        })
    }

    fn segments(&self, f: &mut dyn FnMut(&plots::Segment)) -> Result<(), String> {
        self.each(&mut |m| {
            if let Mark::Segment(s) = m {
                f(&s)
            }
        })
    }

    fn acks(&self, f: &mut dyn FnMut(&Ack)) -> Result<(), String> {
        self.each(&mut |m| {
            if let Mark::Ack(a) = m {
                f(&a)
            }
        })
    }

    /// A figure error, with the records' own error if reading them failed.
    fn plot_error(&self, e: PlotError) -> String {
        self.error.borrow_mut().take().unwrap_or_else(|| e.to_string())
    }
}

impl<R: RecordSource + ?Sized> SequenceData for Conn0<'_, R> {
    fn visit(&self, f: &mut dyn FnMut(Mark)) -> Result<(), PlotError> {
        self.each(f).map_err(|e| {
            let err = PlotError::InvalidInput(e.clone());
            *self.error.borrow_mut() = Some(e);
            err
        })
    }
}

const NO_WINDOWS: Windows = Windows {
    switch_s: None,
    transition: None,
    ooo: None,
};

/// The zoom windows, from a few reads of connection 0's data and data-ACKs.
fn conn0_windows<R: RecordSource + ?Sized>(c: &Conn0<R>) -> Result<Windows, String> {
    // The first segment's interface, and when data first went out on another.
    let mut first: Option<usize> = None;
    let mut switch: Option<f64> = None;
    c.segments(&mut |s| match first {
        None => first = Some(s.series),
        Some(f) => {
            if switch.is_none() && s.series != f {
                switch = Some(s.time);
            }
        }
    })?;
    let Some(ts) = switch else {
        return Ok(NO_WINDOWS);
    };
    // The transition: from a little before the switch until the data-ACK
    // has passed everything sent before the switch and the reinjections.
    let mut before_max = 0.0;
    let mut last_reinj = ts;
    c.segments(&mut |s| {
        if s.time < ts {
            before_max = f64::max(before_max, s.seq_end);
        }
        if s.reinjected {
            last_reinj = f64::max(last_reinj, s.time);
        }
    })?;
    let mut caught: Option<f64> = None;
    c.acks(&mut |a| {
        if caught.is_none() && a.time >= ts && a.seq >= before_max {
            caught = Some(a.time);
        }
    })?;
    let caught_up = caught.unwrap_or(last_reinj);
    let span = (caught_up.max(last_reinj) - ts).max(0.05);
    let t0 = ts - span * 0.6;
    let t1 = ts + span * 1.4;
    let in_window = |t: f64| t >= t0 && t <= t1;
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    // The out-of-order corner: the largest data-ACK jump during the
    // transition (after the switch, within the transition window), where
    // the data-ACK covers data that arrived out of order.
    let mut best: Option<(f64, f64, f64, f64)> = None; // (jump, t, from, to)
    let mut prev: Option<Ack> = None;
    c.each(&mut |m| match m {
        Mark::Segment(s) => {
            if in_window(s.time) {
                for y in [s.seq_start, s.seq_end] {
                    y0 = f64::min(y0, y);
                    y1 = f64::max(y1, y);
                }
            }
        }
        Mark::Ack(a) => {
            if in_window(a.time) {
                y0 = f64::min(y0, a.seq);
                y1 = f64::max(y1, a.seq);
            }
            if let Some(p) = prev
                && a.time >= ts
                && a.time <= t1
                && a.seq > p.seq
            {
                let jump = a.seq - p.seq;
                if best.is_none_or(|b| jump > b.0) {
                    best = Some((jump, a.time, p.seq, a.seq));
                }
            }
            prev = Some(a);
        }
    })?;
    let transition = (y0 < y1).then(|| Zoom::new(t0..t1, y0..y1));
    let ooo = best.filter(|b| b.0 > 0.0).map(|(jump, t, from, to)| {
        // From the switch to just after the jump; the data-ACK's level
        // before and after the jump with some room around.
        let margin_y = jump * 0.3;
        let after = ((t - ts) * 0.25).max(0.01);
        Zoom::new(ts..(t + after), (from - margin_y)..(to + margin_y))
    });
    Ok(Windows {
        switch_s: Some(ts),
        transition,
        ooo,
    })
}

/// (time in seconds, data sequence in bytes) ranges.
pub type Extent = (Range<f64>, Range<f64>);

/// Where connection 0's data and data-ACKs lie in the sequence graph:
/// (first, last) time in seconds and (lowest, highest) data sequence in
/// bytes from the first data byte; `None` when it sent no data.
pub fn sequence_extent<R: RecordSource + ?Sized>(records: &R) -> Result<Option<Extent>, String> {
    let mut base: Option<u64> = None;
    records.for_each(&mut |r| {
        if r.conn == 0 && r.from_server && r.len > 0 {
            base = Some(base.map_or(r.dsn, |b| b.min(r.dsn)));
        }
    })?;
    let Some(base) = base else { return Ok(None) };
    let (mut t0, mut t1, mut s0, mut s1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    Conn0::new(records, base).each(&mut |m| {
        let (t, lo, hi) = match m {
            Mark::Segment(s) => (s.time, s.seq_start, s.seq_end),
            Mark::Ack(a) => (a.time, a.seq, a.seq),
        };
        (t0, t1, s0, s1) = (t0.min(t), t1.max(t), s0.min(lo), s1.max(hi));
    })?;
    Ok(Some((t0..t1, s0..s1)))
}

/// Refuses a zoom window of the sequence graph that holds none of the
/// run's data (it would draw an empty figure): the error says where the
/// data is, in the units of `--zoom` (seconds; megabytes from the first
/// byte).
pub fn check_zoom<R: RecordSource + ?Sized>(records: Option<&R>, zoom: &Zoom) -> Result<(), String> {
    let Some(records) = records else {
        return Err("the run recorded no sequence.csv (record: RecordSpec(sequence: false)); --zoom draws the sequence graph from it".into());
    };
    let Some((t, s)) = sequence_extent(records)? else {
        return Err("connection 0 sent no data; there is no sequence graph to zoom into".into());
    };
    let overlaps =
        |w: &Option<Range<f64>>, d: &Range<f64>| w.as_ref().is_none_or(|w| w.start <= d.end && w.end >= d.start);
    if overlaps(&zoom.x, &t) && overlaps(&zoom.y, &s) {
        return Ok(());
    }
    Err(format!(
        "the window holds none of the run's data, which lies from {:.3} to {:.3} s and from {:.3} to {:.3} MB of data sequence; expected a window that overlaps it",
        t.start,
        t.end,
        s.start / 1e6,
        s.end / 1e6
    ))
}

/// Writes every figure of a run into `dir` (the run directory `run_to_dir`
/// wrote, whose `sequence.csv` it reads); returns the files written.
pub fn write_figures(dir: &Path, out: &RunOutput) -> Result<Vec<PathBuf>, String> {
    let seq = SequenceFile {
        path: dir.join("sequence.csv"),
        names: out.iface_names.clone(),
    };
    let mut files = if seq.path.exists() {
        draw_figures(dir, &seq, &out.timeseries, &out.iface_names, &FigureOptions::default())?
    } else {
        // A run that records no sequence (`record.sequence: false`): the
        // figures of the time series only.
        let none: &[SeqRecord] = &[];
        draw_figures(dir, none, &out.timeseries, &out.iface_names, &FigureOptions::default())?
    };
    files.extend(draw_flow_cdfs(dir, &out.metrics)?);
    Ok(files)
}

/// With several connections: the CDFs of their goodput
/// (`flows-goodput-cdf`) and of the completion times of those that
/// completed (`flows-completion-cdf`).
pub fn draw_flow_cdfs(dir: &Path, m: &crate::run::Metrics) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    if m.connections.len() < 2 {
        return Ok(files);
    }
    let cdf = |mut xs: Vec<f64>| -> Vec<(f64, f64)> {
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        let mut pts = vec![(xs.first().copied().unwrap_or(0.0), 0.0)];
        pts.extend(xs.iter().enumerate().map(|(i, &x)| (x, (i + 1) as f64 / n)));
        pts
    };
    let title = |what: &str| {
        if m.scenario.is_empty() {
            what.to_string()
        } else {
            format!("{}: {what}", m.scenario)
        }
    };
    let goodput: Vec<f64> = m.connections.iter().map(|c| c.goodput_bps / 1e6).collect();
    let ts = TimeSeries {
        title: title(&format!("goodput of {} connections", goodput.len())),
        x_label: "goodput (Mb/s)".into(),
        y_label: "fraction of connections".into(),
        lines: vec![Line::step("goodput", color(0), cdf(goodput))],
        ..Default::default()
    };
    let r = plots::time_series(&ts, dir.join("flows-goodput-cdf")).map_err(|e| e.to_string())?;
    files.extend(r.files);
    let done: Vec<f64> = m.connections.iter().filter_map(|c| c.completion_s).collect();
    if !done.is_empty() {
        let ts = TimeSeries {
            title: title(&format!(
                "completion time of {} of {} connections",
                done.len(),
                m.connections.len()
            )),
            x_label: "completion time (s)".into(),
            y_label: "fraction of completed connections".into(),
            lines: vec![Line::step("completion", color(1), cdf(done))],
            ..Default::default()
        };
        let r = plots::time_series(&ts, dir.join("flows-completion-cdf")).map_err(|e| e.to_string())?;
        files.extend(r.files);
    }
    Ok(files)
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
pub fn draw_figures<R: RecordSource + ?Sized>(
    dir: &Path,
    records: &R,
    timeseries: &timeseries::TimeSeries,
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
    // One read for connection 0's first DSN and the throughput per
    // interface from the server's data, in 100 ms bins.
    let bin = 0.1;
    let mut base: Option<u64> = None;
    let mut t_end = 0.0;
    let mut bytes: Vec<Vec<u64>> = vec![Vec::new(); names.len()];
    records.for_each(&mut |r| {
        if r.conn == 0 && r.from_server && r.len > 0 {
            base = Some(base.map_or(r.dsn, |b| b.min(r.dsn)));
        }
        let t = r.time.as_secs_f64();
        t_end = f64::max(t_end, t);
        if r.from_server
            && r.len > 0
            && let Some(b) = bytes.get_mut(r.iface)
        {
            let k = (t / bin) as usize;
            if b.len() <= k {
                b.resize(k + 1, 0);
            }
            b[k] += r.len;
        }
    })?;
    if let Some(base) = base {
        let data = Conn0::new(records, base);
        let w = conn0_windows(&data)?;
        let draw = |g: &SequenceGraph, stem: &str| {
            plots::sequence_graph_from(g, &data, dir.join(stem))
                .map(|r| r.files)
                .map_err(|e| data.plot_error(e))
        };
        let base = SequenceGraph {
            series: series.clone(),
            ..Default::default()
        };
        if want("seq") {
            let mut whole = base.clone();
            whole.title = "Data sequence numbers (whole connection)".into();
            files.extend(draw(&whole, "seq")?);
            if let Some(z) = &opts.zoom {
                let mut g = base.clone();
                g.title = "Data sequence numbers (zoom)".into();
                g.zoom = z.clone();
                files.extend(draw(&g, "seq-zoom")?);
            }
        }
        if let Some(z) = w.transition.filter(|_| want("seq-transition")) {
            let mut g = base.clone();
            g.title = "Transition between interfaces".into();
            g.zoom = z;
            files.extend(draw(&g, "seq-transition")?);
        }
        if let Some(z) = w.ooo.filter(|_| want("seq-ooo")) {
            let mut g = base;
            g.title = "Out-of-order data and the data-ACK jump".into();
            g.zoom = z;
            files.extend(draw(&g, "seq-ooo")?);
        }
    }
    let nbins = (t_end / bin).ceil() as usize + 1;
    let mut lines = Vec::new();
    for (i, (n, mut bytes)) in names.iter().zip(bytes).enumerate() {
        bytes.resize(nbins, 0);
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
    if !timeseries.is_empty() {
        // The values as timeseries.csv holds them, so that `mpsim plot`
        // redraws the same figures from the run directory.
        let ts = timeseries.rounded();
        let mut by_sf: std::collections::BTreeMap<(String, usize), (Points, Points)> = Default::default();
        let mut ooo = Vec::new();
        let s = &ts.subflows;
        for i in 0..s.time_s.len() {
            if s.host[i] == HostSide::Server && s.conn[i] == 0 {
                let iface = s.iface[i];
                let name = names.get(iface).cloned().unwrap_or_default();
                let key = (format!("{name} (subflow {})", s.subflow[i]), iface);
                let e = by_sf.entry(key).or_default();
                e.0.push((s.time_s[i], s.cwnd_bytes[i] as f64 / 1000.0));
                if let Some(v) = s.srtt_ms[i] {
                    e.1.push((s.time_s[i], v));
                }
            }
        }
        let c = &ts.conns;
        for k in 0..c.time_s.len() {
            if c.host[k] == HostSide::Client && c.conn[k] == 0 {
                ooo.push((c.time_s[k], c.ooo_bytes[k] as f64 / 1000.0));
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
