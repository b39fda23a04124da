//! A metric over a grid of two parameters.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::common::{
    GRID_BOLD, INK, Sizes, check_range, draw_title, fit_range, fmt_value, nice_ticks, plot_rect, text_style,
};
use crate::{Figure, Output, PixelRect, PlotError, Rendered, Rgb, invalid, render};

/// Fill of cells without a value.
const MISSING: RGBColor = RGBColor(225, 225, 225);

/// A heatmap: `values[row][column]` coloured on the viridis scale, with a colour bar on the right.
///
/// Columns are the first parameter (x axis, left to right), rows the second (y axis, **bottom to
/// top**). `None` or non-finite values are drawn as light grey cells. Values outside
/// [`Heatmap::scale`] take the colour of the nearest end of the scale.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Heatmap {
    /// Title above the plot (may be empty).
    pub title: String,
    /// First parameter's description.
    pub x_label: String,
    /// Second parameter's description.
    pub y_label: String,
    /// Column labels (values of the first parameter), left to right.
    pub columns: Vec<String>,
    /// Row labels (values of the second parameter), bottom to top.
    pub rows: Vec<String>,
    /// `values[row][column]`; must be `rows.len()` x `columns.len()`.
    pub values: Vec<Vec<Option<f64>>>,
    /// Title of the colour bar (the metric, with its unit).
    pub scale_label: String,
    /// Range of the colour scale. Default: the minimum and maximum of the values.
    pub scale: Option<Range<f64>>,
    /// Print each value in its cell (when the cells are large enough).
    pub annotate: bool,
    /// Size and formats.
    pub output: Output,
}

/// Writes a heatmap to `<path_stem>.png` and/or `<path_stem>.svg`.
///
/// Errors: [`PlotError::InvalidInput`] if there are no rows or columns, the matrix shape does
/// not match the labels, or the scale is empty; I/O and backend errors otherwise.
pub fn heatmap(spec: &Heatmap, path_stem: impl AsRef<Path>) -> Result<Rendered, PlotError> {
    render(spec, path_stem.as_ref())
}

/// The viridis colour map at `t` in 0..=1 (clamped), interpolated between 9 stops.
pub(crate) fn viridis(t: f64) -> Rgb {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let pos = t * (STOPS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(STOPS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn text_color(c: Rgb) -> RGBColor {
    let luma = 0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2);
    if luma < 140.0 { WHITE } else { INK }
}

impl Heatmap {
    fn scale_range(&self) -> Range<f64> {
        self.scale
            .clone()
            .unwrap_or_else(|| fit_range(self.values.iter().flatten().flatten().copied(), 0.0))
    }

    fn color_of(&self, v: f64, scale: &Range<f64>) -> Rgb {
        viridis((v - scale.start) / (scale.end - scale.start))
    }
}

impl Figure for Heatmap {
    fn output(&self) -> &Output {
        &self.output
    }

    fn validate(&self) -> Result<(), PlotError> {
        if self.columns.is_empty() || self.rows.is_empty() {
            return Err(invalid("a heatmap needs at least one row and one column"));
        }
        if self.values.len() != self.rows.len() {
            return Err(invalid(format!(
                "{} rows of values for {} row labels",
                self.values.len(),
                self.rows.len()
            )));
        }
        if let Some((i, row)) = self
            .values
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != self.columns.len())
        {
            return Err(invalid(format!(
                "row {i} has {} values for {} columns",
                row.len(),
                self.columns.len()
            )));
        }
        if let Some(scale) = &self.scale {
            check_range("colour scale", scale)?;
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<PixelRect, PlotError> {
        let (w, h) = root.dim_in_pixel();
        let s = Sizes::for_image(w, h, self.output.font_scale);
        let font = text_style(s.text);
        let (ncols, nrows) = (self.columns.len(), self.rows.len());
        let scale = self.scale_range();
        let ticks = nice_ticks(&scale, 5);

        // Right strip: colour bar, its tick labels and its (rotated) title.
        let pad = (s.text * 0.6) as i32;
        let bar_w = (s.text * 1.2) as i32;
        let mut tick_w = 0;
        for t in &ticks {
            tick_w = tick_w.max(root.estimate_text_size(&fmt_value(*t), &font)?.0 as i32);
        }
        let title_h = if self.scale_label.is_empty() {
            0
        } else {
            (s.text * 1.4) as i32
        };
        let strip_w = pad * 2 + bar_w + pad / 2 + tick_w + pad + title_h;

        let mut row_w = 0;
        for r in &self.rows {
            row_w = row_w.max(root.estimate_text_size(r, &font)?.0);
        }
        let margin = (s.text * 0.8) as u32;
        let caption_h = draw_title(root, &self.title, s, margin)?;
        let mut builder = ChartBuilder::on(root);
        builder
            .margin(margin)
            .margin_top(margin + caption_h)
            .margin_right(strip_w as u32 + margin)
            .x_label_area_size((s.text * 3.2) as u32)
            .y_label_area_size(row_w + (s.text * 2.6) as u32);
        let mut chart = builder.build_cartesian_2d(-0.5..ncols as f64 - 0.5, -0.5..nrows as f64 - 0.5)?;
        let area = plot_rect(chart.plotting_area());

        // At most as many labels as fit: about 1.3 label widths per label.
        let mut col_w = 1;
        for c in &self.columns {
            col_w = col_w.max(root.estimate_text_size(c, &font)?.0);
        }
        let fit_cols = ((area.right - area.left) as f64 / (col_w as f64 * 1.3))
            .floor()
            .max(1.0) as usize;
        let fit_rows = ((area.bottom - area.top) as f64 / (s.text * 1.5)).floor().max(1.0) as usize;
        let label = |labels: &[String], v: f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let x_fmt = |v: &f64| label(&self.columns, *v);
        let y_fmt = |v: &f64| label(&self.rows, *v);
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(INK)
            .label_style(font.clone())
            .axis_desc_style(font.clone())
            .x_labels(ncols.min(fit_cols))
            .y_labels(nrows.min(fit_rows))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .draw()?;

        // Cells.
        let cell_w = f64::from(area.right - area.left) / ncols as f64;
        let cell_h = f64::from(area.bottom - area.top) / nrows as f64;
        let mut annotations = Vec::new();
        for (j, row) in self.values.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                let (x, y) = (i as f64, j as f64);
                let corners = [
                    chart.backend_coord(&(x - 0.5, y + 0.5)),
                    chart.backend_coord(&(x + 0.5, y - 0.5)),
                ];
                match v.filter(|v| v.is_finite()) {
                    Some(v) => {
                        let c = self.color_of(v, &scale);
                        root.draw(&Rectangle::new(corners, c.to_plotters().filled()))?;
                        annotations.push((chart.backend_coord(&(x, y)), fmt_value(v), text_color(c)));
                    }
                    None => root.draw(&Rectangle::new(corners, MISSING.filled()))?,
                }
            }
        }
        if self.annotate {
            let longest = annotations
                .iter()
                .map(|a| a.1.chars().count())
                .max()
                .unwrap_or(1)
                .max(1) as f64;
            let size = (cell_h * 0.4).min(cell_w * 0.85 / (longest * 0.62)).min(s.text);
            if size >= 8.0 {
                for (p, text, color) in annotations {
                    let style = text_style(size.floor())
                        .color(&color)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    root.draw(&Text::new(text, p, style))?;
                }
            }
        }
        root.draw(&Rectangle::new(
            [
                (area.left as i32, area.top as i32),
                (area.right as i32 - 1, area.bottom as i32 - 1),
            ],
            INK.stroke_width(1),
        ))?;

        // Colour bar, high values at the top.
        let x0 = w as i32 - strip_w + pad;
        let (top, bottom) = (area.top as i32, area.bottom as i32 - 1);
        let span = (bottom - top).max(1);
        for y in top..=bottom {
            let t = f64::from(bottom - y) / f64::from(span);
            root.draw(&Rectangle::new(
                [(x0, y), (x0 + bar_w, y + 1)],
                viridis(t).to_plotters().filled(),
            ))?;
        }
        root.draw(&Rectangle::new(
            [(x0, top), (x0 + bar_w, bottom)],
            GRID_BOLD.stroke_width(1),
        ))?;
        let tick_font = font.clone().pos(Pos::new(HPos::Left, VPos::Center));
        for t in &ticks {
            let y = bottom - (f64::from(span) * (t - scale.start) / (scale.end - scale.start)).round() as i32;
            root.draw(&PathElement::new(
                vec![(x0 + bar_w, y), (x0 + bar_w + pad / 2, y)],
                INK.stroke_width(1),
            ))?;
            root.draw(&Text::new(fmt_value(*t), (x0 + bar_w + pad, y), tick_font.clone()))?;
        }
        if !self.scale_label.is_empty() {
            let rotated = TextStyle::from(
                (crate::common::FONT, s.text)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Center));
            let x = x0 + bar_w + pad + tick_w + pad + title_h / 2;
            root.draw(&Text::new(self.scale_label.clone(), (x, (top + bottom) / 2), rotated))?;
        }
        Ok(area)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_dark_purple_to_yellow() {
        assert_eq!(viridis(0.0), Rgb(68, 1, 84));
        assert_eq!(viridis(1.0), Rgb(253, 231, 37));
        assert_eq!(viridis(2.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }
}
