//! mptcptrace-style sequence graphs.

use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::common::{
    Fit, Frame, LegendEntry, Sizes, Swatch, cartesian_chart, check_range, cross_size, dot_radius, line_width,
    plot_rect, ring_radius, within,
};
use crate::{Figure, Output, PixelRect, PlotError, Rendered, Rgb, Series, Zoom, invalid, render};

/// Unit of the y axis of a [`SequenceGraph`]. Inputs are always in bytes; they are divided by
/// [`SeqUnit::divisor`] for display (decimal units: 1 MB = 10^6 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeqUnit {
    /// Bytes.
    Bytes,
    /// Kilobytes (10^3 bytes).
    Kilobytes,
    /// Megabytes (10^6 bytes).
    #[default]
    Megabytes,
}

impl SeqUnit {
    /// Bytes per displayed unit.
    pub fn divisor(self) -> f64 {
        match self {
            SeqUnit::Bytes => 1.0,
            SeqUnit::Kilobytes => 1e3,
            SeqUnit::Megabytes => 1e6,
        }
    }
    /// Short name, e.g. for an axis label.
    pub fn symbol(self) -> &'static str {
        match self {
            SeqUnit::Bytes => "bytes",
            SeqUnit::Kilobytes => "kB",
            SeqUnit::Megabytes => "MB",
        }
    }
}

/// One transmitted segment: the sequence range `seq_start..seq_end` (bytes) sent at `time` (s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    /// When it was sent (or captured), in seconds.
    pub time: f64,
    /// First sequence number, in bytes.
    pub seq_start: f64,
    /// One past the last sequence number, in bytes.
    pub seq_end: f64,
    /// Index into [`SequenceGraph::series`] (its colour and legend entry).
    pub series: usize,
    /// Whether this is a reinjection (circled in the figure).
    pub reinjected: bool,
}

/// One acknowledgement: cumulative ack `seq` (bytes) at `time` (s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ack {
    /// When it was sent (or captured), in seconds.
    pub time: f64,
    /// Acknowledged sequence number, in bytes.
    pub seq: f64,
}

/// A sequence graph as mptcptrace draws it: x = time (s), y = sequence number.
///
/// Segments are short vertical lines from `seq_start` to `seq_end`, coloured by series (or dots,
/// where the line would be shorter than a dot); reinjected segments also get an open red ring
/// ([`Rgb::REINJECTED`]); acks are blue crosses ([`Rgb::ACK`]), drawn first so that segments
/// stay visible where the two overlap in full-connection views. The legend lists the series,
/// then "reinjected" if any segment is, then the ack label if there are acks.
///
/// [`SequenceGraph::zoom`] is in input units (seconds, **bytes**). Segments and acks outside it
/// are not drawn; a segment straddling its top or bottom edge is cut there. Non-finite values are
/// skipped. Identical marks falling on the same pixels are drawn once, which keeps SVGs of long
/// transfers small.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceGraph {
    /// Title above the plot (may be empty).
    pub title: String,
    /// Default "time (s)".
    pub x_label: String,
    /// Default "data sequence number (MB)"; change it with [`SequenceGraph::unit`].
    pub y_label: String,
    /// Display unit of the y axis. Default megabytes.
    pub unit: SeqUnit,
    /// One entry per series (e.g. "cell", "wifi"), indexed by [`Segment::series`].
    pub series: Vec<Series>,
    /// Data segments.
    pub segments: Vec<Segment>,
    /// Acknowledgements.
    pub acks: Vec<Ack>,
    /// Legend label of the acks. Default "data-ACK".
    pub ack_label: String,
    /// Legend label of the reinjection rings. Default "reinjected".
    pub reinjected_label: String,
    /// Visible window (seconds, bytes). Default: fit all data.
    pub zoom: Zoom,
    /// The series drawn last, above the others where their marks overlap
    /// (two interfaces carrying interleaved data of one range at once);
    /// default `None`: in series order, the last on top.
    pub on_top: Option<usize>,
    /// Size and formats.
    pub output: Output,
}

impl Default for SequenceGraph {
    fn default() -> Self {
        SequenceGraph {
            title: String::new(),
            x_label: "time (s)".into(),
            y_label: "data sequence number (MB)".into(),
            unit: SeqUnit::Megabytes,
            series: Vec::new(),
            segments: Vec::new(),
            acks: Vec::new(),
            ack_label: "data-ACK".into(),
            reinjected_label: "reinjected".into(),
            zoom: Zoom::none(),
            on_top: None,
            output: Output::default(),
        }
    }
}

/// One mark of a [`SequenceData`] source: a segment or an acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    /// A data segment.
    Segment(Segment),
    /// An acknowledgement.
    Ack(Ack),
}

/// The segments and acks of a sequence graph, as a source that can be read several times
/// (e.g. a file too large to hold in memory). [`sequence_graph_from`] reads it twice (once to
/// fit the axes, once for the marks that PNG and SVG both draw, and once more for a format whose
/// plot area came out different), keeping only what fits on the image.
pub trait SequenceData {
    /// Calls `f` with every segment, in order, and every ack, in order (the two may be
    /// interleaved). An error stops the figure.
    fn visit(&self, f: &mut dyn FnMut(Mark)) -> Result<(), PlotError>;
}

/// A graph's own [`SequenceGraph::segments`] and [`SequenceGraph::acks`].
impl SequenceData for SequenceGraph {
    fn visit(&self, f: &mut dyn FnMut(Mark)) -> Result<(), PlotError> {
        self.segments.iter().for_each(|s| f(Mark::Segment(*s)));
        self.acks.iter().for_each(|a| f(Mark::Ack(*a)));
        Ok(())
    }
}

/// Writes a sequence graph to `<path_stem>.png` and/or `<path_stem>.svg`.
///
/// Errors: [`PlotError::InvalidInput`] if a segment names a series that does not exist or the
/// zoom window is empty or not finite; I/O and backend errors otherwise.
pub fn sequence_graph(spec: &SequenceGraph, path_stem: impl AsRef<Path>) -> Result<Rendered, PlotError> {
    sequence_graph_from(spec, spec, path_stem)
}

/// Like [`sequence_graph`], with the segments and acks read from `data` instead of
/// `spec.segments` and `spec.acks` (which are ignored). Draws exactly what [`sequence_graph`]
/// draws for the same marks in the same order; memory does not grow with the number of marks.
pub fn sequence_graph_from(
    spec: &SequenceGraph,
    data: &dyn SequenceData,
    path_stem: impl AsRef<Path>,
) -> Result<Rendered, PlotError> {
    let summary = Summary::of(spec, data)?;
    let graph = Graph {
        spec,
        data,
        summary,
        marks: RefCell::new(None),
    };
    render(&graph, path_stem.as_ref())
}

/// What one read of the data tells before drawing: the visible ranges, the legend, errors.
struct Summary {
    x: Range<f64>,
    y: Range<f64>,
    any_reinjected: bool,
    any_ack: bool,
    /// The first segment naming a series that does not exist.
    bad_series: Option<Segment>,
}

impl Summary {
    /// The visible ranges in display units, and the rest, in one read of `data`.
    fn of(spec: &SequenceGraph, data: &dyn SequenceData) -> Result<Summary, PlotError> {
        let div = spec.unit.divisor();
        let zx = spec.zoom.x.clone();
        let zy = spec.zoom.y.as_ref().map(|r| r.start / div..r.end / div);
        let seg_in_x = |s: &Segment| zx.as_ref().is_none_or(|x| within(x, s.time));
        let ack_in_x = |a: &Ack| zx.as_ref().is_none_or(|x| within(x, a.time));
        let seg_in_y = |s: &Segment| {
            zy.as_ref().is_none_or(|y| {
                s.seq_start.min(s.seq_end) / div <= y.end && s.seq_start.max(s.seq_end) / div >= y.start
            })
        };
        let ack_in_y = |a: &Ack| zy.as_ref().is_none_or(|y| within(y, a.seq / div));
        let (mut fx, mut fy) = (Fit::default(), Fit::default());
        let (mut any_reinjected, mut any_ack, mut bad_series) = (false, false, None);
        data.visit(&mut |m| match m {
            Mark::Segment(s) => {
                if seg_in_y(&s) {
                    fx.add(s.time);
                }
                if seg_in_x(&s) {
                    fy.add(s.seq_start / div);
                    fy.add(s.seq_end / div);
                }
                any_reinjected |= s.reinjected;
                if s.series >= spec.series.len() && bad_series.is_none() {
                    bad_series = Some(s);
                }
            }
            Mark::Ack(a) => {
                if ack_in_y(&a) {
                    fx.add(a.time);
                }
                if ack_in_x(&a) {
                    fy.add(a.seq / div);
                }
                any_ack = true;
            }
        })?;
        Ok(Summary {
            x: zx.unwrap_or_else(|| fx.range(0.02)),
            y: zy.unwrap_or_else(|| fy.range(0.03)),
            any_reinjected,
            any_ack,
            bad_series,
        })
    }
}

/// A sequence graph with its data source, as the renderer draws it.
struct Graph<'a> {
    spec: &'a SequenceGraph,
    data: &'a dyn SequenceData,
    summary: Summary,
    /// The marks of the last format drawn, for the next format if its plot area is the same.
    marks: RefCell<Option<Marks>>,
}

/// The marks of a graph in pixel coordinates, each kept once, so they hold at most what fits
/// on the image: what one read of the data draws on a plot area.
struct Marks {
    /// The plot area's pixel ranges, which with the summary's ranges fix where marks fall.
    area: (Range<i32>, Range<i32>),
    /// Ack crosses, in order.
    acks: Vec<(i32, i32)>,
    /// Segment lines and dots per series, in order.
    lines: Vec<Vec<[(i32, i32); 2]>>,
    dots: Vec<Vec<(i32, i32)>>,
    /// Reinjection rings, in order.
    rings: Vec<(i32, i32)>,
}

impl Graph<'_> {
    fn legend(&self) -> Vec<LegendEntry> {
        let spec = self.spec;
        let mut entries: Vec<LegendEntry> = spec
            .series
            .iter()
            .map(|s| LegendEntry {
                label: s.name.clone(),
                swatch: Swatch::Segment(s.color),
            })
            .collect();
        if self.summary.any_reinjected {
            entries.push(LegendEntry {
                label: spec.reinjected_label.clone(),
                swatch: Swatch::Ring(Rgb::REINJECTED),
            });
        }
        if self.summary.any_ack {
            entries.push(LegendEntry {
                label: spec.ack_label.clone(),
                swatch: Swatch::Cross(Rgb::ACK),
            });
        }
        entries
    }
}

impl Figure for Graph<'_> {
    fn output(&self) -> &Output {
        &self.spec.output
    }

    fn validate(&self) -> Result<(), PlotError> {
        let spec = self.spec;
        if let Some(x) = &spec.zoom.x {
            check_range("zoom time", x)?;
        }
        if let Some(y) = &spec.zoom.y {
            check_range("zoom sequence", y)?;
        }
        if let Some(s) = &self.summary.bad_series {
            return Err(invalid(format!(
                "segment at t={} names series {} but only {} series are defined",
                s.time,
                s.series,
                spec.series.len()
            )));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<PixelRect, PlotError> {
        let spec = self.spec;
        let (w, h) = root.dim_in_pixel();
        let s = Sizes::for_image(w, h, spec.output.font_scale);
        let (xr, yr) = (self.summary.x.clone(), self.summary.y.clone());
        let legend = self.legend();
        let frame = Frame {
            title: &spec.title,
            x_label: &spec.x_label,
            y_label: &spec.y_label,
            x: xr.clone(),
            y: yr.clone(),
            legend: &legend,
            font_scale: spec.output.font_scale,
        };
        let chart = cartesian_chart(root, &frame)?;
        let div = spec.unit.divisor();

        let dot_r = dot_radius(s);
        let lw = line_width(s).max(2);
        let area = chart.plotting_area().get_pixel_range();
        // PNG and SVG have the same plot area, so the second format reuses the first's marks
        // rather than reading the data again.
        let cached = self.marks.borrow_mut().take().filter(|m| m.area == area);
        let marks = match cached {
            Some(m) => m,
            None => {
                // Marks grouped by series so each series is drawn as one layer.
                let mut m = Marks {
                    area,
                    acks: Vec::new(),
                    lines: vec![Vec::new(); spec.series.len()],
                    dots: vec![Vec::new(); spec.series.len()],
                    rings: Vec::new(),
                };
                let mut seen = HashSet::new();
                self.data.visit(&mut |mark| match mark {
                    Mark::Segment(seg) => {
                        let (lo, hi) = (
                            seg.seq_start.min(seg.seq_end) / div,
                            seg.seq_start.max(seg.seq_end) / div,
                        );
                        if !(seg.time.is_finite() && lo.is_finite() && hi.is_finite()) {
                            return;
                        }
                        if !within(&xr, seg.time) || hi < yr.start || lo > yr.end {
                            return;
                        }
                        let top = chart.backend_coord(&(seg.time, hi.min(yr.end)));
                        let bottom = chart.backend_coord(&(seg.time, lo.max(yr.start)));
                        let mid = (top.0, (top.1 + bottom.1) / 2);
                        if seg.reinjected && seen.insert((2u8, 0, mid.0, mid.1, 0)) {
                            m.rings.push(mid);
                        }
                        if bottom.1 - top.1 >= 2 * dot_r {
                            if seen.insert((0u8, seg.series, top.0, top.1, bottom.1)) {
                                m.lines[seg.series].push([top, bottom]);
                            }
                        } else if seen.insert((1u8, seg.series, mid.0, mid.1, 0)) {
                            m.dots[seg.series].push(mid);
                        }
                    }
                    Mark::Ack(ack) => {
                        let seq = ack.seq / div;
                        if !(ack.time.is_finite() && seq.is_finite() && within(&xr, ack.time) && within(&yr, seq)) {
                            return;
                        }
                        let p = chart.backend_coord(&(ack.time, seq));
                        if seen.insert((3u8, 0, p.0, p.1, 0)) {
                            m.acks.push(p);
                        }
                    }
                })?;
                m
            }
        };
        // Acks first, so that the segments stay visible where both overlap (full-connection
        // views).
        let ack_style = Rgb::ACK.to_plotters().stroke_width(2);
        let cross = cross_size(s);
        for &p in &marks.acks {
            root.draw(&Cross::new(p, cross, ack_style))?;
        }
        let (lines, dots, rings) = (&marks.lines, &marks.dots, &marks.rings);
        let top = spec.on_top.filter(|&t| t < spec.series.len());
        let order = (0..spec.series.len()).filter(|&i| Some(i) != top).chain(top);
        for i in order {
            let color = spec.series[i].color.to_plotters();
            for line in &lines[i] {
                root.draw(&PathElement::new(line.to_vec(), color.stroke_width(lw)))?;
            }
            for &p in &dots[i] {
                root.draw(&Circle::new(p, dot_r, color.filled()))?;
            }
        }
        let ring_style = Rgb::REINJECTED.to_plotters().stroke_width(2);
        for &p in rings {
            root.draw(&Circle::new(p, ring_radius(s), ring_style))?;
        }
        *self.marks.borrow_mut() = Some(marks);
        Ok(plot_rect(chart.plotting_area()))
    }
}
