//! A metric against a parameter: means with 95% confidence intervals.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::common::{
    Frame, LegendEntry, Sizes, Swatch, cartesian_chart, check_zoom, clip_polyline, dot_radius, fit_range, line_width,
    plot_rect, within,
};
use crate::{Figure, Output, PixelRect, PlotError, Rendered, Rgb, Zoom, invalid, render};

/// One estimate: the mean of a metric at parameter value `x`, and the half-width of its 95%
/// confidence interval (`mean ± ci95`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricPoint {
    /// Parameter value.
    pub x: f64,
    /// Mean of the metric.
    pub mean: f64,
    /// Half-width of the 95% confidence interval (0 for none).
    pub ci95: f64,
}

impl MetricPoint {
    /// The mean and Student-t 95% confidence interval of the finite `samples` (one run per
    /// sample). `None` without any finite sample; a single sample gives `ci95 = 0`.
    pub fn from_samples(x: f64, samples: &[f64]) -> Option<MetricPoint> {
        let finite: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
        let n = finite.len();
        if n == 0 {
            return None;
        }
        let mean = finite.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Some(MetricPoint { x, mean, ci95: 0.0 });
        }
        let var = finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Some(MetricPoint {
            x,
            mean,
            ci95: t_975(n - 1) * (var / n as f64).sqrt(),
        })
    }
}

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom (NaN for 0):
/// the factor of a two-sided 95% confidence interval of a mean of `df + 1` samples.
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        // Asymptotic expansion; within 0.001 of the exact value for df > 30.
        _ => {
            let d = df as f64;
            1.959_964 + 2.372 / d + 2.82 / (d * d)
        }
    }
}

/// One line of a [`MetricVsParameter`] figure.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSeries {
    /// Legend label.
    pub name: String,
    /// Colour.
    pub color: Rgb,
    /// Estimates; drawn joined in increasing `x`.
    pub points: Vec<MetricPoint>,
}

/// A metric against a parameter: one line per series through the means, a dot at each mean and
/// a vertical 95% confidence-interval bar with caps. When there are several series, each is
/// shifted sideways by a few pixels so that bars at the same parameter value do not hide each
/// other. Points with a non-finite mean are skipped; a non-finite or negative `ci95` draws no bar.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricVsParameter {
    /// Title above the plot (may be empty).
    pub title: String,
    /// Parameter description, with its unit.
    pub x_label: String,
    /// Metric description, with its unit.
    pub y_label: String,
    /// The series.
    pub series: Vec<MetricSeries>,
    /// Visible window. Default: fit the means and their intervals.
    pub zoom: Zoom,
    /// Size and formats.
    pub output: Output,
}

/// Writes a metric-versus-parameter figure to `<path_stem>.png` and/or `<path_stem>.svg`.
pub fn metric_vs_parameter(spec: &MetricVsParameter, path_stem: impl AsRef<Path>) -> Result<Rendered, PlotError> {
    render(spec, path_stem.as_ref())
}

fn bar_half(p: &MetricPoint) -> f64 {
    if p.ci95.is_finite() && p.ci95 > 0.0 {
        p.ci95
    } else {
        0.0
    }
}

impl MetricVsParameter {
    fn points(&self) -> impl Iterator<Item = &MetricPoint> {
        self.series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.x.is_finite() && p.mean.is_finite())
    }

    fn ranges(&self) -> (Range<f64>, Range<f64>) {
        let x = self.zoom.x.clone().unwrap_or_else(|| {
            let in_y = |p: &&MetricPoint| self.zoom.y.as_ref().is_none_or(|y| within(y, p.mean));
            fit_range(self.points().filter(in_y).map(|p| p.x), 0.05)
        });
        let y = self.zoom.y.clone().unwrap_or_else(|| {
            let ys = self
                .points()
                .filter(|p| within(&x, p.x))
                .flat_map(|p| [p.mean - bar_half(p), p.mean + bar_half(p)]);
            fit_range(ys, 0.08)
        });
        (x, y)
    }
}

impl Figure for MetricVsParameter {
    fn output(&self) -> &Output {
        &self.output
    }

    fn validate(&self) -> Result<(), PlotError> {
        check_zoom(&self.zoom)?;
        if let Some(s) = self.series.iter().find(|s| s.points.iter().any(|p| p.ci95 < 0.0)) {
            return Err(invalid(format!(
                "series {:?} has a negative confidence interval",
                s.name
            )));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<PixelRect, PlotError> {
        let (w, h) = root.dim_in_pixel();
        let s = Sizes::for_image(w, h, self.output.font_scale);
        let (xr, yr) = self.ranges();
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|m| LegendEntry {
                label: m.name.clone(),
                swatch: Swatch::LineDot(m.color),
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
        let r = dot_radius(s) + 1;
        let cap = r + 2;
        let n = self.series.len();
        for (i, series) in self.series.iter().enumerate() {
            let dodge = ((i as f64 - (n as f64 - 1.0) / 2.0) * f64::from(r) * 2.5).round() as i32;
            let px = |p: &(f64, f64)| {
                let (x, y) = chart.backend_coord(p);
                (x + dodge, y)
            };
            let color = series.color.to_plotters();
            let mut pts: Vec<MetricPoint> = series
                .points
                .iter()
                .copied()
                .filter(|p| p.x.is_finite() && p.mean.is_finite())
                .collect();
            pts.sort_by(|a, b| a.x.total_cmp(&b.x));
            let means: Vec<(f64, f64)> = pts.iter().map(|p| (p.x, p.mean)).collect();
            for run in clip_polyline(&means, &xr, &yr) {
                root.draw(&PathElement::new(
                    run.iter().map(px).collect::<Vec<_>>(),
                    color.stroke_width(lw),
                ))?;
            }
            for p in pts.iter().filter(|p| within(&xr, p.x)) {
                let half = bar_half(p);
                let (lo, hi) = (p.mean - half, p.mean + half);
                if half > 0.0 && hi >= yr.start && lo <= yr.end {
                    let (top, bottom) = (px(&(p.x, hi.min(yr.end))), px(&(p.x, lo.max(yr.start))));
                    let style = color.stroke_width(2);
                    root.draw(&PathElement::new(vec![top, bottom], style))?;
                    if hi <= yr.end {
                        root.draw(&PathElement::new(
                            vec![(top.0 - cap, top.1), (top.0 + cap, top.1)],
                            style,
                        ))?;
                    }
                    if lo >= yr.start {
                        root.draw(&PathElement::new(
                            vec![(bottom.0 - cap, bottom.1), (bottom.0 + cap, bottom.1)],
                            style,
                        ))?;
                    }
                }
                if within(&yr, p.mean) {
                    root.draw(&Circle::new(px(&(p.x, p.mean)), r, color.filled()))?;
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
    fn confidence_intervals_use_the_student_t_quantile() {
        let p = MetricPoint::from_samples(1.0, &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(p.mean, 2.0);
        // s = 1, n = 3, t(2) = 4.303
        assert!((p.ci95 - 4.303 / 3f64.sqrt()).abs() < 1e-9);
        assert_eq!(MetricPoint::from_samples(0.0, &[5.0]).unwrap().ci95, 0.0);
        assert!(MetricPoint::from_samples(0.0, &[f64::NAN]).is_none());
        assert!((t_975(60) - 2.000).abs() < 1e-3);
        assert!((t_975(120) - 1.980).abs() < 1e-3);
    }
}
