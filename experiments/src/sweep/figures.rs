//! The figures of a sweep, from the rows of `results.csv`: a metric's mean
//! and 95% confidence interval against a numeric axis (one line per value of
//! the other axes), and heatmaps of a metric's mean over two axes.

use std::path::{Path, PathBuf};

use plots::{Format, Heatmap, MetricPoint, MetricSeries, MetricVsParameter, Output, Rgb};

use crate::sweep::plan::{FigureSpec, PlanInfo};
use crate::sweep::results::{point_samples, stats};

/// A column name as an axis label with its unit.
pub fn metric_label(metric: &str) -> String {
    let (prefix, base) = match metric.split_once('_') {
        Some((c, rest)) if c.starts_with('c') && c[1..].parse::<usize>().is_ok() => {
            (format!("connection {}: ", &c[1..]), rest)
        }
        _ => (String::new(), metric),
    };
    let label = match base {
        "completion_s" => "completion time (s)".to_string(),
        "goodput_mbps" => "goodput (Mb/s)".to_string(),
        "events" => "events".to_string(),
        other => other.replace('_', " "),
    };
    format!("{prefix}{label}")
}

/// Draws every figure of the plan into `dir` (PNG and SVG); returns the files.
pub fn draw(info: &PlanInfo, rows: &[Vec<String>], dir: &Path) -> Result<Vec<PathBuf>, String> {
    if info.figures.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let samples = point_samples(info, rows);
    let axis = |name: &str| info.axes.iter().position(|a| a.name == name);
    let metric = |name: &str| info.metrics.iter().position(|m| m == name);
    let output = Output::new(900, 560).with_formats(&[Format::Png, Format::Svg]);
    let mut files = Vec::new();
    for fig in &info.figures {
        match fig {
            FigureSpec::Line { metric: m, x } => {
                let (Some(xi), Some(mi)) = (axis(x), metric(m)) else {
                    continue;
                };
                let Some(xs) = &info.axes[xi].numeric else { continue };
                // One series per combination of the other axes' values.
                let mut series: Vec<(Vec<usize>, Vec<MetricPoint>)> = Vec::new();
                for (p, coords) in info.points.iter().enumerate() {
                    let key: Vec<usize> = coords
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| *k != xi)
                        .map(|(_, &c)| c)
                        .collect();
                    let Some(pt) = MetricPoint::from_samples(xs[coords[xi]], &samples[p].metrics[mi]) else {
                        continue;
                    };
                    match series.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, pts)) => pts.push(pt),
                        None => series.push((key, vec![pt])),
                    }
                }
                let others: Vec<usize> = (0..info.axes.len()).filter(|&k| k != xi).collect();
                let name_of = |key: &[usize]| {
                    if others.is_empty() {
                        m.clone()
                    } else if others.len() == 1 {
                        info.axes[others[0]].labels[key[0]].clone()
                    } else {
                        others
                            .iter()
                            .zip(key)
                            .map(|(&k, &c)| format!("{}={}", info.axes[k].name, info.axes[k].labels[c]))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                };
                let unit = &info.axes[xi].unit;
                let spec = MetricVsParameter {
                    title: format!(
                        "{}: {} (mean, 95% CI over {} seeds)",
                        info.name,
                        metric_label(m),
                        info.seeds.len()
                    ),
                    x_label: if unit.is_empty() {
                        x.clone()
                    } else {
                        format!("{x} ({unit})")
                    },
                    y_label: metric_label(m),
                    series: series
                        .iter()
                        .enumerate()
                        .map(|(i, (key, pts))| {
                            let mut pts = pts.clone();
                            pts.sort_by(|a, b| a.x.total_cmp(&b.x));
                            MetricSeries {
                                name: name_of(key),
                                color: Rgb::palette(i),
                                points: pts,
                            }
                        })
                        .collect(),
                    output: output.clone(),
                    ..Default::default()
                };
                if spec.series.iter().all(|s| s.points.is_empty()) {
                    continue;
                }
                let r = plots::metric_vs_parameter(&spec, dir.join(format!("{m}-vs-{x}")))
                    .map_err(|e| format!("figure {m} vs {x}: {e}"))?;
                files.extend(r.files);
            }
            FigureSpec::Heatmap { metric: m, x, y } => {
                let (Some(xi), Some(yi), Some(mi)) = (axis(x), axis(y), metric(m)) else {
                    continue;
                };
                let (ax, ay) = (&info.axes[xi], &info.axes[yi]);
                let mut cells: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); ax.labels.len()]; ay.labels.len()];
                for (p, coords) in info.points.iter().enumerate() {
                    cells[coords[yi]][coords[xi]].extend(&samples[p].metrics[mi]);
                }
                let values: Vec<Vec<Option<f64>>> = cells
                    .iter()
                    .map(|row| row.iter().map(|c| stats(c).map(|s| s.0)).collect())
                    .collect();
                if values.iter().flatten().all(Option::is_none) {
                    continue;
                }
                let spec = Heatmap {
                    title: format!("{}: mean {}", info.name, metric_label(m)),
                    x_label: x.clone(),
                    y_label: y.clone(),
                    columns: ax.labels.clone(),
                    rows: ay.labels.clone(),
                    values,
                    scale_label: metric_label(m),
                    scale: None,
                    annotate: true,
                    output: output.clone(),
                };
                let r = plots::heatmap(&spec, dir.join(format!("{m}-{y}-by-{x}")))
                    .map_err(|e| format!("heatmap {m}: {e}"))?;
                files.extend(r.files);
            }
        }
    }
    Ok(files)
}
