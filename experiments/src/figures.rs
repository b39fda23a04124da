//! The figures of a run, drawn from its records with the `plots` crate:
//! the mptcptrace-style sequence graph of the whole connection and two
//! zooms chosen from the run itself (the switch between interfaces, and
//! the data-ACK jump over the out-of-order data), the server's throughput
//! per interface (100 ms bins), cwnd and srtt per subflow, and the
//! data-level out-of-order queue.
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
use sim_core::SimTime;

/// The width of a throughput bin (`throughput.png`, `capacity.png` and
/// `report.html`'s throughput at its finest): 100 ms.
pub const THROUGHPUT_BIN_NS: u64 = 100_000_000;

/// The throughput bin of a record sent at `t`: bin `k` holds
/// `[k x 100 ms, (k + 1) x 100 ms)`, found in integer nanoseconds.
pub fn throughput_bin(t: SimTime) -> usize {
    (t.as_nanos() / THROUGHPUT_BIN_NS) as usize
}

/// How many throughput bins a plot has whose last record was sent at
/// `t_last` (none: no record): up to and including the bin that starts at
/// or after it.
pub fn throughput_bins(t_last: Option<SimTime>) -> usize {
    t_last.map_or(0, |t| t.as_nanos().div_ceil(THROUGHPUT_BIN_NS) as usize) + 1
}

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
    /// The interface that carried the first data (the one that stops at
    /// the transition).
    pub first_iface: Option<usize>,
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
    first_iface: None,
    transition: None,
    ooo: None,
};

/// The zoom windows, from a few reads of connection 0's data and data-ACKs.
///
/// A transition is when the interface that carried the first data stops
/// carrying new data while another goes on: its last new data is sent
/// before 90% of the transfer's time, and other interfaces carry at least
/// a tenth of the bytes after it (not the tail of a transfer that the
/// slower path finishes). The window is centred on the time
/// from then until the data-ACK has passed everything sent before and the
/// reinjections. The out-of-order window is drawn only when the receiver's
/// out-of-order queue was ever non-empty: `ooo_peak` is when it was largest
/// and when it next emptied (from the time series), and the window is
/// centred on the largest data-ACK jump between the two (the jump over the
/// data that had arrived out of order).
fn conn0_windows<R: RecordSource + ?Sized>(c: &Conn0<R>, ooo_peak: Option<(f64, f64)>) -> Result<Windows, String> {
    // The first segment's interface, when it last carried new data
    // (beyond the highest byte sent before: not a retransmission, which a
    // dead interface's subflow keeps sending on its timer after the
    // transition), and the span of the data.
    let mut first: Option<usize> = None;
    let mut first_last = 0.0;
    let mut highest = f64::NEG_INFINITY;
    let (mut t_begin, mut t_end) = (f64::INFINITY, 0.0f64);
    c.segments(&mut |s| {
        let f = *first.get_or_insert(s.series);
        if s.series == f && !s.reinjected && s.seq_end > highest {
            first_last = s.time;
        }
        highest = highest.max(s.seq_end);
        t_begin = t_begin.min(s.time);
        t_end = t_end.max(s.time);
    })?;
    let Some(first) = first else {
        return Ok(NO_WINDOWS);
    };
    // Bytes sent in all, and on other interfaces after the first's last.
    let (mut total, mut after) = (0.0, 0.0);
    c.segments(&mut |s| {
        total += s.seq_end - s.seq_start;
        if s.series != first && s.time > first_last {
            after += s.seq_end - s.seq_start;
        }
    })?;
    let switch = (after >= 0.1 * total && first_last < t_begin + 0.9 * (t_end - t_begin)).then_some(first_last);
    let transition = match switch {
        Some(ts) => transition_window(c, ts)?,
        None => None,
    };
    let ooo = match ooo_peak {
        Some(p) => ooo_window(c, p)?,
        None => None,
    };
    Ok(Windows {
        switch_s: switch,
        first_iface: Some(first),
        transition,
        ooo,
    })
}

/// The transition window around `ts`, the last data on the first interface.
fn transition_window<R: RecordSource + ?Sized>(c: &Conn0<R>, ts: f64) -> Result<Option<Zoom>, String> {
    let mut before_max = 0.0;
    let mut last_reinj = ts;
    c.segments(&mut |s| {
        if s.time <= ts {
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
    let done = caught.unwrap_or(last_reinj).max(last_reinj);
    let span = (done - ts).max(0.05);
    let (t0, t1) = (ts - span * 0.5, done + span * 0.5);
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    c.each(&mut |m| {
        let (t, lo, hi) = match m {
            Mark::Segment(s) => (s.time, s.seq_start, s.seq_end),
            Mark::Ack(a) => (a.time, a.seq, a.seq),
        };
        if t >= t0 && t <= t1 {
            (y0, y1) = (y0.min(lo), y1.max(hi));
        }
    })?;
    Ok((y0 < y1).then(|| Zoom::new(t0..t1, y0..y1)))
}

/// The window centred on the largest data-ACK jump from when the
/// out-of-order queue was largest until it emptied (`from`, `to`; the
/// samples are `record.sample_interval` apart, so a little beyond).
fn ooo_window<R: RecordSource + ?Sized>(c: &Conn0<R>, (peak, cleared): (f64, f64)) -> Result<Option<Zoom>, String> {
    // (jump, time of the jump, time of the previous data-ACK, from, to)
    let mut best: Option<(f64, f64, f64, f64, f64)> = None;
    let mut prev: Option<Ack> = None;
    c.acks(&mut |a| {
        if let Some(p) = prev
            && a.seq > p.seq
            && a.time >= peak - 0.02
            && a.time <= cleared + 0.02
        {
            let jump = a.seq - p.seq;
            if best.is_none_or(|b| jump > b.0) {
                best = Some((jump, a.time, p.time, p.seq, a.seq));
            }
        }
        prev = Some(*a);
    })?;
    Ok(best.map(|(jump, t, tp, from, to)| {
        let half = (t - tp).max(0.02);
        let margin_y = jump * 0.3;
        Zoom::new((tp - half)..(t + half), (from - margin_y)..(to + margin_y))
    }))
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
    write_figures_sized(dir, out, &Output::default())
}

/// [`write_figures`] at the size and font scale of `output` (see
/// [`preset`]).
pub fn write_figures_sized(dir: &Path, out: &RunOutput, output: &Output) -> Result<Vec<PathBuf>, String> {
    let seq = SequenceFile {
        path: dir.join("sequence.csv"),
        names: out.iface_names.clone(),
    };
    let opts = FigureOptions {
        scenario: out.metrics.scenario.clone(),
        output: output.clone(),
        capacity: capacity_of(dir),
        ..Default::default()
    };
    let mut files = if seq.path.exists() {
        draw_figures(dir, &seq, &out.timeseries, &out.iface_names, &opts)?
    } else {
        // A run that records no sequence (`record.sequence: false`): the
        // figures of the time series only.
        let none: &[SeqRecord] = &[];
        draw_figures(dir, none, &out.timeseries, &out.iface_names, &opts)?
    };
    files.extend(draw_flow_cdfs_sized(dir, &out.metrics, output)?);
    Ok(files)
}

/// The capacity lines of the run in `dir`, from its `scenario.ron` (none
/// if it cannot be read).
pub fn capacity_of(dir: &Path) -> Vec<crate::capacity::CapacityLine> {
    crate::scenario::Scenario::load(&dir.join("scenario.ron"))
        .map(|sc| crate::capacity::capacity_lines(&sc, 0.1))
        .unwrap_or_default()
}

/// With several connections: the CDFs of their goodput
/// (`flows-goodput-cdf`) and of the completion times of those that
/// completed (`flows-completion-cdf`).
pub fn draw_flow_cdfs(dir: &Path, m: &crate::run::Metrics) -> Result<Vec<PathBuf>, String> {
    draw_flow_cdfs_sized(dir, m, &Output::default())
}

/// [`draw_flow_cdfs`] at the size and font scale of `output`.
pub fn draw_flow_cdfs_sized(dir: &Path, m: &crate::run::Metrics, output: &Output) -> Result<Vec<PathBuf>, String> {
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
        output: output.clone(),
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
            output: output.clone(),
            ..Default::default()
        };
        let r = plots::time_series(&ts, dir.join("flows-completion-cdf")).map_err(|e| e.to_string())?;
        files.extend(r.files);
    }
    Ok(files)
}

/// The figure kinds, as `mpsim plot --kind` names them.
pub const KINDS: &[&str] = &[
    "seq",
    "seq-transition",
    "seq-ooo",
    "throughput",
    "capacity",
    "cwnd",
    "srtt",
    "ooo",
];

/// Which figures to draw, and an optional extra zoom of the sequence graph.
#[derive(Clone, Debug, Default)]
pub struct FigureOptions {
    /// Only this kind (one of [`KINDS`]); all when `None`.
    pub kind: Option<String>,
    /// Also draw `seq-zoom` with this window (seconds, bytes from the first DSN).
    pub zoom: Option<Zoom>,
    /// The scenario's name, at the head of every title (none when empty).
    pub scenario: String,
    /// Size and font scale of every figure (formats: PNG and SVG).
    pub output: Output,
    /// The capacity of the run's dynamic links (traces, timed rate
    /// changes): the `capacity` figure, drawn only when there is one (see
    /// [`crate::capacity`]).
    pub capacity: Vec<crate::capacity::CapacityLine>,
}

impl FigureOptions {
    fn title(&self, what: &str) -> String {
        if self.scenario.is_empty() {
            what.to_string()
        } else {
            format!("{}: {what}", self.scenario)
        }
    }
}

/// Figure size presets: `paper` is a one-column figure of a two-column
/// paper (700 x 450 pixels, about 3.5 x 2.25 inches at 200 dpi) with text
/// 1.8 times larger than the size alone gives.
pub fn preset(name: &str) -> Option<Output> {
    match name {
        "screen" => Some(Output::default()),
        "paper" => Some(Output::new(700, 450).with_font_scale(1.8)),
        _ => None,
    }
}

/// The end of the time axes: a little after the last segment of any
/// connection (`t_last` seconds), so that the figures do not run flat to
/// the stop time after the transfers ended.
pub(crate) fn axis_end(t_last: f64) -> f64 {
    t_last + (t_last * 0.05).max(0.1)
}

/// The last time the series shows activity: a connection's data-ACK or a
/// subflow's acknowledged bytes changed (for runs without sequence records).
pub(crate) fn series_activity_end(ts: &timeseries::TimeSeries) -> Option<f64> {
    let mut last: Option<f64> = None;
    let mut seen: std::collections::BTreeMap<(u8, usize, usize), u64> = Default::default();
    let s = &ts.subflows;
    for i in 0..s.time_s.len() {
        let key = (s.host[i] as u8, s.conn[i], s.subflow[i]);
        if seen
            .insert(key, s.bytes_acked[i])
            .is_some_and(|v| v != s.bytes_acked[i])
        {
            last = Some(s.time_s[i]);
        }
    }
    let c = &ts.conns;
    for k in 0..c.time_s.len() {
        let key = (c.host[k] as u8, c.conn[k], usize::MAX);
        if seen.insert(key, c.data_ack[k]).is_some_and(|v| v != c.data_ack[k]) {
            last = Some(c.time_s[k]);
        }
    }
    last
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
    // interface from the server's data, in 100 ms bins. A record's bin is
    // found in integer nanoseconds: in floating point 0.3 s / 0.1 s is
    // 2.999..., which put a record at 300 ms into the bin of 200 ms.
    let bin = THROUGHPUT_BIN_NS as f64 / 1e9;
    let mut base: Option<u64> = None;
    let mut t_last_ns: Option<u64> = None;
    let mut bytes: Vec<Vec<u64>> = vec![Vec::new(); names.len()];
    records.for_each(&mut |r| {
        if r.conn == 0 && r.from_server && r.len > 0 {
            base = Some(base.map_or(r.dsn, |b| b.min(r.dsn)));
        }
        let t_ns = r.time.as_nanos();
        t_last_ns = Some(t_last_ns.map_or(t_ns, |l| l.max(t_ns)));
        if r.from_server
            && r.len > 0
            && let Some(b) = bytes.get_mut(r.iface)
        {
            let k = throughput_bin(r.time);
            if b.len() <= k {
                b.resize(k + 1, 0);
            }
            b[k] += r.len;
        }
    })?;
    // The values as timeseries.csv holds them, so that `mpsim plot`
    // redraws the same figures from the run directory.
    let ts = timeseries.rounded();
    let mut ooo = Vec::new();
    let c = &ts.conns;
    for k in 0..c.time_s.len() {
        if c.host[k] == HostSide::Client && c.conn[k] == 0 {
            ooo.push((c.time_s[k], c.ooo_bytes[k] as f64 / 1000.0));
        }
    }
    let had_ooo = ooo.iter().any(|p| p.1 > 0.0);
    // When the queue was largest, and when it next emptied.
    let ooo_peak = ooo
        .iter()
        .enumerate()
        .filter(|(_, p)| p.1 > 0.0)
        .max_by(|a, b| a.1.1.total_cmp(&b.1.1).then(b.0.cmp(&a.0)))
        .map(|(i, p)| {
            let cleared = ooo[i..].iter().find(|q| q.1 == 0.0).map_or(p.0, |q| q.0);
            (p.0, cleared)
        });
    let t_last = t_last_ns.map(|ns| SimTime::from_nanos(ns).as_secs_f64());
    let x_end = t_last.or_else(|| series_activity_end(&ts)).map(axis_end);
    let x_zoom = Zoom {
        x: x_end.map(|e| 0.0..e),
        y: None,
    };
    let output = opts.output.clone();
    if let Some(base) = base {
        let data = Conn0::new(records, base);
        let w = conn0_windows(&data, ooo_peak)?;
        let draw = |g: &SequenceGraph, stem: &str| {
            plots::sequence_graph_from(g, &data, dir.join(stem))
                .map(|r| r.files)
                .map_err(|e| data.plot_error(e))
        };
        let base = SequenceGraph {
            series: series.clone(),
            output: output.clone(),
            ..Default::default()
        };
        if want("seq") {
            let mut whole = base.clone();
            whole.title = opts.title("data sequence numbers");
            files.extend(draw(&whole, "seq")?);
            if let Some(z) = &opts.zoom {
                let mut g = base.clone();
                g.title = opts.title("data sequence numbers (zoom)");
                g.zoom = z.clone();
                files.extend(draw(&g, "seq-zoom")?);
            }
        }
        if let Some(z) = w.transition.filter(|_| want("seq-transition")) {
            let mut g = base.clone();
            g.title = opts.title("transition between interfaces");
            g.zoom = z;
            // The interface that stops is the subject: its last data stays
            // visible where another interface's data interleaves with it
            // (both carry data at once in the aggregate mode).
            g.on_top = w.first_iface;
            files.extend(draw(&g, "seq-transition")?);
        }
        if let Some(z) = w.ooo.filter(|_| want("seq-ooo")) {
            let mut g = base;
            g.title = opts.title("out-of-order data and the data-ACK jump");
            g.zoom = z;
            files.extend(draw(&g, "seq-ooo")?);
        }
    }
    let nbins = throughput_bins(t_last_ns.map(SimTime::from_nanos));
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
    if want("capacity") && !opts.capacity.is_empty() && nbins > 1 {
        // Each dynamic link's capacity, then the throughput of the
        // subflows of its interface on top.
        let mut cap = Vec::new();
        for c in &opts.capacity {
            cap.push(Line::step(
                format!("{} capacity", c.link),
                Rgb(150, 150, 150),
                c.points.clone(),
            ));
            if let Some(l) = lines.get(c.iface) {
                cap.push(l.clone());
            }
        }
        let ts = TimeSeries {
            title: opts.title("link capacity and throughput sent per interface (server)"),
            y_label: "Mb/s".into(),
            lines: cap,
            zoom: x_zoom.clone(),
            output: output.clone(),
            ..Default::default()
        };
        files.extend(
            plots::time_series(&ts, dir.join("capacity"))
                .map_err(|e| e.to_string())?
                .files,
        );
    }
    if want("throughput") && !lines.is_empty() && nbins > 1 {
        let ts = TimeSeries {
            title: opts.title("throughput sent per interface (server)"),
            y_label: "Mb/s".into(),
            lines,
            zoom: x_zoom.clone(),
            output: output.clone(),
            ..Default::default()
        };
        files.extend(
            plots::time_series(&ts, dir.join("throughput"))
                .map_err(|e| e.to_string())?
                .files,
        );
    }
    // cwnd, srtt and the out-of-order queue from the time series.
    if !ts.is_empty() {
        let mut by_sf: std::collections::BTreeMap<(String, usize), (Points, Points)> = Default::default();
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
        let (mut cw, mut rt) = (Vec::new(), Vec::new());
        for ((name, iface), (c, s)) in by_sf {
            cw.push(Line::new(name.clone(), color(iface), c));
            rt.push(Line::new(name, color(iface), s));
        }
        for (stem, title, y, lines) in [
            ("cwnd", "congestion window per subflow (server)", "cwnd (kB)", cw),
            ("srtt", "smoothed RTT per subflow (server)", "srtt (ms)", rt),
        ] {
            if want(stem) && !lines.is_empty() {
                let ts = TimeSeries {
                    title: opts.title(title),
                    y_label: y.into(),
                    lines,
                    zoom: x_zoom.clone(),
                    output: output.clone(),
                    ..Default::default()
                };
                files.extend(
                    plots::time_series(&ts, dir.join(stem))
                        .map_err(|e| e.to_string())?
                        .files,
                );
            }
        }
        // The out-of-order queue only when there was one.
        if want("ooo") && had_ooo {
            let ts = TimeSeries {
                title: opts.title("data-level out-of-order queue (client)"),
                y_label: "out-of-order bytes (kB)".into(),
                lines: vec![Line::step("out-of-order", color(0), ooo)],
                zoom: x_zoom,
                output,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_at_a_bins_start_is_binned_there_in_integer_time() {
        // (0.3 / 0.1) as usize is 2 in floating point.
        assert_eq!(throughput_bin(SimTime::from_millis(300)), 3);
        assert_eq!(throughput_bin(SimTime::from_nanos(299_999_999)), 2);
        assert_eq!(throughput_bin(SimTime::from_millis(700)), 7);
        assert_eq!(throughput_bins(None), 1);
        assert_eq!(throughput_bins(Some(SimTime::from_millis(300))), 4);
        assert_eq!(throughput_bins(Some(SimTime::from_nanos(300_000_001))), 5);
    }

    fn seg(t_ms: u64, iface: usize, dsn: u64) -> SeqRecord {
        SeqRecord {
            time: SimTime::from_millis(t_ms),
            iface,
            from_server: true,
            dsn,
            len: 1000,
            data_ack: None,
            reinjected: false,
            conn: 0,
        }
    }

    #[test]
    fn a_dead_interfaces_retransmissions_after_the_transition_do_not_hide_it() {
        // wifi carries new data until 4 s, then cell until 12 s; wifi's
        // subflow keeps retransmitting old data on its timer (5, 7, 11 s).
        let mut recs = Vec::new();
        let mut dsn = 0;
        for t in (0..4000).step_by(10) {
            recs.push(seg(t, 0, dsn));
            dsn += 1000;
        }
        for t in (4000..12_000).step_by(10) {
            recs.push(seg(t, 1, dsn));
            dsn += 1000;
            if [5000, 7000, 11_000].contains(&t) {
                recs.push(seg(t, 0, 399_000));
            }
        }
        let records: &[SeqRecord] = &recs;
        let w = conn0_windows(&Conn0::new(records, 0), None).expect("windows");
        assert_eq!(w.first_iface, Some(0));
        assert_eq!(w.switch_s, Some(3.99));
        let z = w.transition.expect("a transition window");
        let x = z.x.expect("a time range");
        assert!(x.start < 3.99 && x.end > 3.99, "{x:?}");
    }
}
