//! mptcptrace-style sequence graphs.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::common::{
    Frame, LegendEntry, Sizes, Swatch, cartesian_chart, check_range, cross_size, dot_radius, fit_range, line_width,
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
            output: Output::default(),
        }
    }
}

/// Writes a sequence graph to `<path_stem>.png` and/or `<path_stem>.svg`.
///
/// Errors: [`PlotError::InvalidInput`] if a segment names a series that does not exist or the
/// zoom window is empty or not finite; I/O and backend errors otherwise.
pub fn sequence_graph(spec: &SequenceGraph, path_stem: impl AsRef<Path>) -> Result<Rendered, PlotError> {
    render(spec, path_stem.as_ref())
}

impl SequenceGraph {
    /// The visible ranges in display units.
    fn ranges(&self) -> (Range<f64>, Range<f64>) {
        let div = self.unit.divisor();
        let zx = self.zoom.x.clone();
        let zy = self.zoom.y.as_ref().map(|r| r.start / div..r.end / div);
        let seg_in_x = |s: &Segment| zx.as_ref().is_none_or(|x| within(x, s.time));
        let ack_in_x = |a: &Ack| zx.as_ref().is_none_or(|x| within(x, a.time));
        let seg_in_y = |s: &Segment| {
            zy.as_ref().is_none_or(|y| {
                s.seq_start.min(s.seq_end) / div <= y.end && s.seq_start.max(s.seq_end) / div >= y.start
            })
        };
        let ack_in_y = |a: &Ack| zy.as_ref().is_none_or(|y| within(y, a.seq / div));
        let x = zx.clone().unwrap_or_else(|| {
            let times = self.segments.iter().filter(|s| seg_in_y(s)).map(|s| s.time);
            fit_range(
                times.chain(self.acks.iter().filter(|a| ack_in_y(a)).map(|a| a.time)),
                0.02,
            )
        });
        let y = zy.clone().unwrap_or_else(|| {
            let seqs = self
                .segments
                .iter()
                .filter(|s| seg_in_x(s))
                .flat_map(|s| [s.seq_start / div, s.seq_end / div]);
            fit_range(
                seqs.chain(self.acks.iter().filter(|a| ack_in_x(a)).map(|a| a.seq / div)),
                0.03,
            )
        });
        (x, y)
    }

    fn legend(&self) -> Vec<LegendEntry> {
        let mut entries: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| LegendEntry {
                label: s.name.clone(),
                swatch: Swatch::Segment(s.color),
            })
            .collect();
        if self.segments.iter().any(|s| s.reinjected) {
            entries.push(LegendEntry {
                label: self.reinjected_label.clone(),
                swatch: Swatch::Ring(Rgb::REINJECTED),
            });
        }
        if !self.acks.is_empty() {
            entries.push(LegendEntry {
                label: self.ack_label.clone(),
                swatch: Swatch::Cross(Rgb::ACK),
            });
        }
        entries
    }
}

impl Figure for SequenceGraph {
    fn output(&self) -> &Output {
        &self.output
    }

    fn validate(&self) -> Result<(), PlotError> {
        if let Some(x) = &self.zoom.x {
            check_range("zoom time", x)?;
        }
        if let Some(y) = &self.zoom.y {
            check_range("zoom sequence", y)?;
        }
        if let Some(s) = self.segments.iter().find(|s| s.series >= self.series.len()) {
            return Err(invalid(format!(
                "segment at t={} names series {} but only {} series are defined",
                s.time,
                s.series,
                self.series.len()
            )));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<PixelRect, PlotError> {
        let (w, h) = root.dim_in_pixel();
        let s = Sizes::for_image(w, h);
        let (xr, yr) = self.ranges();
        let legend = self.legend();
        let frame = Frame {
            title: &self.title,
            x_label: &self.x_label,
            y_label: &self.y_label,
            x: xr.clone(),
            y: yr.clone(),
            legend: &legend,
        };
        let chart = cartesian_chart(root, &frame)?;
        let div = self.unit.divisor();

        let dot_r = dot_radius(s);
        let lw = line_width(s).max(2);
        // Marks in pixel coordinates, grouped by series so each series is drawn as one layer.
        let mut lines: Vec<Vec<[(i32, i32); 2]>> = vec![Vec::new(); self.series.len()];
        let mut dots: Vec<Vec<(i32, i32)>> = vec![Vec::new(); self.series.len()];
        let mut rings = Vec::new();
        let mut seen = HashSet::new();
        for seg in &self.segments {
            let (lo, hi) = (
                seg.seq_start.min(seg.seq_end) / div,
                seg.seq_start.max(seg.seq_end) / div,
            );
            if !(seg.time.is_finite() && lo.is_finite() && hi.is_finite()) {
                continue;
            }
            if !within(&xr, seg.time) || hi < yr.start || lo > yr.end {
                continue;
            }
            let top = chart.backend_coord(&(seg.time, hi.min(yr.end)));
            let bottom = chart.backend_coord(&(seg.time, lo.max(yr.start)));
            let mid = (top.0, (top.1 + bottom.1) / 2);
            if seg.reinjected && seen.insert((2u8, 0, mid.0, mid.1, 0)) {
                rings.push(mid);
            }
            if bottom.1 - top.1 >= 2 * dot_r {
                if seen.insert((0u8, seg.series, top.0, top.1, bottom.1)) {
                    lines[seg.series].push([top, bottom]);
                }
            } else if seen.insert((1u8, seg.series, mid.0, mid.1, 0)) {
                dots[seg.series].push(mid);
            }
        }
        // Acks first, so that the segments stay visible where both overlap (full-connection views).
        let ack_style = Rgb::ACK.to_plotters().stroke_width(2);
        let cross = cross_size(s);
        for ack in &self.acks {
            let seq = ack.seq / div;
            if !(ack.time.is_finite() && seq.is_finite() && within(&xr, ack.time) && within(&yr, seq)) {
                continue;
            }
            let p = chart.backend_coord(&(ack.time, seq));
            if seen.insert((3u8, 0, p.0, p.1, 0)) {
                root.draw(&Cross::new(p, cross, ack_style))?;
            }
        }
        for (i, series) in self.series.iter().enumerate() {
            let color = series.color.to_plotters();
            for line in &lines[i] {
                root.draw(&PathElement::new(line.to_vec(), color.stroke_width(lw)))?;
            }
            for &p in &dots[i] {
                root.draw(&Circle::new(p, dot_r, color.filled()))?;
            }
        }
        let ring_style = Rgb::REINJECTED.to_plotters().stroke_width(2);
        for &p in &rings {
            root.draw(&Circle::new(p, ring_radius(s), ring_style))?;
        }
        Ok(plot_rect(chart.plotting_area()))
    }
}
