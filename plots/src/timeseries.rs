//! Named lines over time.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::common::{
    Frame, LegendEntry, Sizes, Swatch, cartesian_chart, check_zoom, clip_polyline, fit_range, line_width, plot_rect,
    within,
};
use crate::{Figure, Output, PixelRect, PlotError, Rendered, Rgb, Zoom, render};

/// How consecutive points of a [`Line`] are joined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineStyle {
    /// Straight lines between points.
    #[default]
    Line,
    /// Steps: each value holds until the next point's time, then jumps (for sampled state such as
    /// a congestion window or a queue length).
    Step,
}

/// One named line: `(time, value)` points in drawing order (usually increasing time).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Legend label.
    pub name: String,
    /// Colour.
    pub color: Rgb,
    /// Points `(x, y)`; a non-finite coordinate breaks the line there.
    pub points: Vec<(f64, f64)>,
    /// Line or step.
    pub style: LineStyle,
}

impl Line {
    /// A straight-line series.
    pub fn new(name: impl Into<String>, color: Rgb, points: Vec<(f64, f64)>) -> Self {
        Line {
            name: name.into(),
            color,
            points,
            style: LineStyle::Line,
        }
    }
    /// A step series.
    pub fn step(name: impl Into<String>, color: Rgb, points: Vec<(f64, f64)>) -> Self {
        Line {
            name: name.into(),
            color,
            points,
            style: LineStyle::Step,
        }
    }
}

/// Several named lines over time (throughput per subflow, cwnd, srtt, queue bytes, ...).
///
/// Without a y zoom the y axis starts at 0 when all visible values are non-negative. Lines are
/// clipped at the edge of the visible window. A line with a single visible point is drawn as a
/// dot.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeSeries {
    /// Title above the plot (may be empty).
    pub title: String,
    /// Default "time (s)".
    pub x_label: String,
    /// Y axis description, with its unit.
    pub y_label: String,
    /// The lines, drawn in order (later ones on top); the legend lists them in the same order.
    pub lines: Vec<Line>,
    /// Visible window in input units. Default: fit all data.
    pub zoom: Zoom,
    /// Size and formats.
    pub output: Output,
}

impl Default for TimeSeries {
    fn default() -> Self {
        TimeSeries {
            title: String::new(),
            x_label: "time (s)".into(),
            y_label: String::new(),
            lines: Vec::new(),
            zoom: Zoom::none(),
            output: Output::default(),
        }
    }
}

/// Writes a time-series figure to `<path_stem>.png` and/or `<path_stem>.svg`.
pub fn time_series(spec: &TimeSeries, path_stem: impl AsRef<Path>) -> Result<Rendered, PlotError> {
    render(spec, path_stem.as_ref())
}

/// The polyline actually drawn for `line` (steps expanded).
fn drawn_points(line: &Line) -> Vec<(f64, f64)> {
    match line.style {
        LineStyle::Line => line.points.clone(),
        LineStyle::Step => {
            let mut out = Vec::with_capacity(line.points.len() * 2);
            for (i, &p) in line.points.iter().enumerate() {
                out.push(p);
                if let Some(next) = line.points.get(i + 1) {
                    out.push((next.0, p.1));
                }
            }
            out
        }
    }
}

impl TimeSeries {
    fn ranges(&self) -> (Range<f64>, Range<f64>) {
        let all = || self.lines.iter().flat_map(|l| l.points.iter().copied());
        let x = self.zoom.x.clone().unwrap_or_else(|| {
            let in_y = |p: &(f64, f64)| self.zoom.y.as_ref().is_none_or(|y| within(y, p.1));
            fit_range(all().filter(in_y).map(|p| p.0), 0.0)
        });
        let y = self.zoom.y.clone().unwrap_or_else(|| {
            let visible: Vec<f64> = all()
                .filter(|p| within(&x, p.0))
                .map(|p| p.1)
                .filter(|v| v.is_finite())
                .collect();
            let nonneg = visible.iter().all(|&v| v >= 0.0);
            let mut r = fit_range(visible.iter().copied(), 0.05);
            if nonneg && !visible.is_empty() {
                r.start = 0.0;
            }
            r
        });
        (x, y)
    }
}

impl Figure for TimeSeries {
    fn output(&self) -> &Output {
        &self.output
    }

    fn validate(&self) -> Result<(), PlotError> {
        check_zoom(&self.zoom)?;
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<PixelRect, PlotError> {
        let (w, h) = root.dim_in_pixel();
        let s = Sizes::for_image(w, h, self.output.font_scale);
        let (xr, yr) = self.ranges();
        let legend: Vec<LegendEntry> = self
            .lines
            .iter()
            .map(|l| LegendEntry {
                label: l.name.clone(),
                swatch: Swatch::Line(l.color),
            })
            .collect();
        let frame = Frame {
            title: &self.title,
            x_label: &self.x_label,
            y_label: &self.y_label,
            x: xr.clone(),
            y: yr.clone(),
            legend: &legend,
            font_scale: self.output.font_scale,
        };
        let chart = cartesian_chart(root, &frame)?;
        let lw = line_width(s).max(2);
        for line in &self.lines {
            let style = line.color.to_plotters().stroke_width(lw);
            let points = drawn_points(line);
            let runs = clip_polyline(&points, &xr, &yr);
            for run in &runs {
                let pixels: Vec<(i32, i32)> = run.iter().map(|p| chart.backend_coord(p)).collect();
                root.draw(&PathElement::new(pixels, style))?;
            }
            if runs.is_empty() {
                let mut visible = line.points.iter().filter(|p| within(&xr, p.0) && within(&yr, p.1));
                if let (Some(p), None) = (visible.next(), visible.next()) {
                    root.draw(&Circle::new(
                        chart.backend_coord(p),
                        lw as i32 + 1,
                        line.color.to_plotters().filled(),
                    ))?;
                }
            }
        }
        Ok(plot_rect(chart.plotting_area()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_hold_each_value_until_the_next_point() {
        let line = Line::step("cwnd", Rgb::palette(0), vec![(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)]);
        assert_eq!(
            drawn_points(&line),
            vec![(0.0, 1.0), (1.0, 1.0), (1.0, 3.0), (2.0, 3.0), (2.0, 2.0)]
        );
    }
}
