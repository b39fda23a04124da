//! Pieces shared by the figures: font sizes, axis ranges and ticks, the chart frame with its
//! legend, and clipping.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{PixelRect, PlotError, Rgb, Zoom, invalid};

/// Font family registered by [`crate::register_fonts`].
pub(crate) const FONT: &str = "sans-serif";
/// Major grid lines (opaque, grey).
pub(crate) const GRID_BOLD: RGBColor = RGBColor(214, 214, 214);
/// Minor grid lines (opaque, grey).
pub(crate) const GRID_LIGHT: RGBColor = RGBColor(240, 240, 240);
/// Text and axes.
pub(crate) const INK: RGBColor = RGBColor(0, 0, 0);

/// Text sizes for an image, in pixels.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    /// Tick labels, axis descriptions and legend text.
    pub text: f64,
    /// Title.
    pub title: f64,
}

impl Sizes {
    /// The sizes for a `width` x `height` image, times `scale`.
    pub(crate) fn for_image(width: u32, height: u32, scale: f64) -> Self {
        let text = even((f64::from(width.min(height * 3 / 2)) / 55.0).clamp(10.0, 30.0) * scale).max(6.0);
        Sizes {
            text,
            title: even(text * 1.3),
        }
    }
}

/// The even number of pixels nearest `size`. plotters places each glyph
/// at `(size / 2 + its top) as i32` below the text's position, which
/// truncates toward zero: at an odd size, glyphs that reach above half
/// the size land half a pixel lower and the others half a pixel higher,
/// so a title's letters do not share one baseline. At an even size the
/// offset is a whole number of pixels for every glyph.
pub(crate) fn even(size: f64) -> f64 {
    (size / 2.0).round() * 2.0
}

pub(crate) fn text_style(size: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&INK)
}

pub(crate) fn title_style(size: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, size, FontStyle::Bold).into_font()).color(&INK)
}

/// Checks that a user range is finite and not empty.
/// Checks both axes of a zoom window (each finite and increasing, if given).
pub(crate) fn check_zoom(z: &Zoom) -> Result<(), PlotError> {
    if let Some(x) = &z.x {
        check_range("zoom x", x)?;
    }
    if let Some(y) = &z.y {
        check_range("zoom y", y)?;
    }
    Ok(())
}

pub(crate) fn check_range(what: &str, r: &Range<f64>) -> Result<(), PlotError> {
    if !(r.start.is_finite() && r.end.is_finite() && r.start < r.end) {
        return Err(invalid(format!(
            "{what} range {}..{} must be finite and increasing",
            r.start, r.end
        )));
    }
    Ok(())
}

/// A range covering the finite `values`, widened by `pad` of its span on each side. A single
/// value gets a small range around it; no value gives `0..1`.
pub(crate) fn fit_range(values: impl IntoIterator<Item = f64>, pad: f64) -> Range<f64> {
    let mut fit = Fit::default();
    for v in values {
        fit.add(v);
    }
    fit.range(pad)
}

/// The running extent of values, for [`fit_range`] over data seen one value at a time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fit {
    lo: f64,
    hi: f64,
}

impl Default for Fit {
    fn default() -> Self {
        Fit {
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
        }
    }
}

impl Fit {
    /// Adds a value (non-finite values are skipped).
    pub(crate) fn add(&mut self, v: f64) {
        if v.is_finite() {
            self.lo = self.lo.min(v);
            self.hi = self.hi.max(v);
        }
    }

    /// What [`fit_range`] gives for the values added.
    pub(crate) fn range(self, pad: f64) -> Range<f64> {
        fit_bounds(self.lo, self.hi, pad)
    }
}

fn fit_bounds(lo: f64, hi: f64, pad: f64) -> Range<f64> {
    if lo > hi {
        return 0.0..1.0;
    }
    if lo == hi {
        let half = if lo == 0.0 { 0.5 } else { lo.abs() * 0.05 };
        return lo - half..hi + half;
    }
    let margin = (hi - lo) * pad;
    lo - margin..hi + margin
}

/// Whether `v` lies in the closed range `r`.
pub(crate) fn within(r: &Range<f64>, v: f64) -> bool {
    v >= r.start && v <= r.end
}

/// Number of decimals for tick labels on an axis spanning `r` with about `ticks` labels.
pub(crate) fn tick_decimals(r: &Range<f64>, ticks: usize) -> usize {
    let step = (r.end - r.start) / ticks.max(1) as f64;
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    (-step.log10()).ceil().clamp(0.0, 9.0) as usize
}

pub(crate) fn fmt_tick(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    // Never print "-0" or "-0.00".
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// "Nice" tick values (multiples of 1, 2 or 5 times a power of ten) inside `r`, at most about
/// `max` of them.
pub(crate) fn nice_ticks(r: &Range<f64>, max: usize) -> Vec<f64> {
    let span = r.end - r.start;
    if !(span.is_finite() && span > 0.0) {
        return vec![r.start];
    }
    let raw = span / max.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (r.start / step).ceil() as i64;
    let last = (r.end / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|k| if k == 0 { 0.0 } else { k as f64 * step })
        .collect()
}

/// A compact number for annotations and colour scales: at most 3 significant digits, no
/// trailing zeros, scientific notation for very large or small magnitudes.
pub(crate) fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        return format!("{v:.2e}");
    }
    let decimals = if a == 0.0 {
        0
    } else {
        (2 - a.log10().floor() as i64).clamp(0, 6) as usize
    };
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".to_string() } else { s }
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    /// A short vertical segment with a dot (sequence-graph segments).
    Segment(Rgb),
    /// An open circle (reinjected segments).
    Ring(Rgb),
    /// A cross (acknowledgements).
    Cross(Rgb),
    /// A horizontal line.
    Line(Rgb),
    /// A horizontal line with a dot (means with error bars).
    LineDot(Rgb),
}

#[derive(Clone, Debug)]
pub(crate) struct LegendEntry {
    pub label: String,
    pub swatch: Swatch,
}

/// Marker sizes in pixels, shared by the data and the legend so they match.
pub(crate) fn dot_radius(s: Sizes) -> i32 {
    ((s.text / 7.0).round() as i32).max(2)
}
pub(crate) fn ring_radius(s: Sizes) -> i32 {
    ((s.text / 3.0).round() as i32).max(4)
}
pub(crate) fn cross_size(s: Sizes) -> i32 {
    ((s.text / 5.0).round() as i32).max(3)
}
pub(crate) fn line_width(s: Sizes) -> u32 {
    ((s.text / 8.0).round() as u32).max(1)
}

/// Draws one swatch centred on `(cx, cy)`, `width` pixels wide.
pub(crate) fn draw_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (cx, cy): (i32, i32),
    width: i32,
    s: Sizes,
) -> Result<(), PlotError> {
    let half = width / 2;
    match swatch {
        Swatch::Segment(c) => {
            let c = c.to_plotters();
            let h = (s.text * 0.45) as i32;
            root.draw(&PathElement::new(
                vec![(cx, cy - h), (cx, cy + h)],
                c.stroke_width(line_width(s).max(2)),
            ))?;
            root.draw(&Circle::new((cx, cy), dot_radius(s), c.filled()))?;
        }
        Swatch::Ring(c) => {
            root.draw(&Circle::new((cx, cy), ring_radius(s), c.to_plotters().stroke_width(2)))?;
        }
        Swatch::Cross(c) => {
            root.draw(&Cross::new((cx, cy), cross_size(s), c.to_plotters().stroke_width(2)))?;
        }
        Swatch::Line(c) => {
            let style = c.to_plotters().stroke_width(line_width(s).max(2));
            root.draw(&PathElement::new(vec![(cx - half, cy), (cx + half, cy)], style))?;
        }
        Swatch::LineDot(c) => {
            let c = c.to_plotters();
            root.draw(&PathElement::new(
                vec![(cx - half, cy), (cx + half, cy)],
                c.stroke_width(line_width(s).max(2)),
            ))?;
            root.draw(&Circle::new((cx, cy), dot_radius(s) + 1, c.filled()))?;
        }
    }
    Ok(())
}

struct LegendLayout {
    pad: i32,
    swatch_w: i32,
    row_h: i32,
    box_w: i32,
}

fn legend_layout<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    s: Sizes,
) -> Result<Option<LegendLayout>, PlotError> {
    if entries.is_empty() {
        return Ok(None);
    }
    let font = text_style(s.text);
    let mut text_w = 0;
    for e in entries {
        text_w = text_w.max(root.estimate_text_size(&e.label, &font)?.0 as i32);
    }
    let pad = (s.text * 0.6) as i32;
    let swatch_w = (s.text * 2.0) as i32;
    let row_h = (s.text * 1.6) as i32;
    Ok(Some(LegendLayout {
        pad,
        swatch_w,
        row_h,
        box_w: pad + swatch_w + pad + text_w + pad,
    }))
}

/// Width to reserve on the right of the chart for the legend (0 without entries).
pub(crate) fn legend_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    s: Sizes,
) -> Result<u32, PlotError> {
    Ok(legend_layout(root, entries, s)?.map_or(0, |l| (l.box_w + l.pad * 2) as u32))
}

/// Draws the legend box in the reserved strip on the right, its top aligned with `top`.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    top: i32,
    s: Sizes,
) -> Result<(), PlotError> {
    let Some(l) = legend_layout(root, entries, s)? else {
        return Ok(());
    };
    let width = root.dim_in_pixel().0 as i32;
    let x0 = width - l.pad - l.box_w;
    let box_h = l.pad + l.row_h * entries.len() as i32 + l.pad / 2;
    root.draw(&Rectangle::new(
        [(x0, top), (x0 + l.box_w, top + box_h)],
        WHITE.filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(x0, top), (x0 + l.box_w, top + box_h)],
        GRID_BOLD.stroke_width(1),
    ))?;
    let font = text_style(s.text).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, e) in entries.iter().enumerate() {
        let cy = top + l.pad + l.row_h * i as i32 + l.row_h / 2;
        draw_swatch(root, e.swatch, (x0 + l.pad + l.swatch_w / 2, cy), l.swatch_w, s)?;
        root.draw(&Text::new(
            e.label.clone(),
            (x0 + l.pad * 2 + l.swatch_w, cy),
            font.clone(),
        ))?;
    }
    Ok(())
}

/// Axes, title, labels and legend of a Cartesian figure.
pub(crate) struct Frame<'s> {
    pub title: &'s str,
    pub x_label: &'s str,
    pub y_label: &'s str,
    pub x: Range<f64>,
    pub y: Range<f64>,
    pub legend: &'s [LegendEntry],
    /// [`crate::Output::font_scale`].
    pub font_scale: f64,
}

pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

const TICKS: usize = 10;

/// Builds the chart (title, grid, axes with tick labels and descriptions) and draws the legend.
/// Data must then be drawn inside [`plot_rect`] of the returned chart.
pub(crate) fn cartesian_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    frame: &Frame<'_>,
) -> Result<Chart<'a, DB>, PlotError> {
    let (w, h) = root.dim_in_pixel();
    let s = Sizes::for_image(w, h, frame.font_scale);
    let font = text_style(s.text);
    let x_dec = tick_decimals(&frame.x, TICKS);
    let y_dec = tick_decimals(&frame.y, TICKS);
    let mut y_tick_w = 0;
    for v in [frame.y.start, frame.y.end, (frame.y.start + frame.y.end) / 2.0] {
        y_tick_w = y_tick_w.max(root.estimate_text_size(&fmt_tick(v, y_dec), &font)?.0);
    }
    let legend_w = legend_width(root, frame.legend, s)?;
    let margin = (s.text * 0.8) as u32;

    let title_h = draw_title(root, frame.title, s, margin)?;
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(margin)
        .margin_top(margin + title_h)
        .margin_right(legend_w.max(margin) + margin)
        .x_label_area_size((s.text * 3.2) as u32)
        .y_label_area_size(y_tick_w + (s.text * 2.6) as u32);
    let mut chart = builder.build_cartesian_2d(frame.x.clone(), frame.y.clone())?;
    let x_fmt = |v: &f64| fmt_tick(*v, x_dec);
    let y_fmt = |v: &f64| fmt_tick(*v, y_dec);
    chart
        .configure_mesh()
        .bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT)
        .axis_style(INK)
        .label_style(font.clone())
        .axis_desc_style(font)
        .x_labels(TICKS)
        .y_labels(TICKS)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(frame.x_label)
        .y_desc(frame.y_label)
        .draw()?;
    let top = plot_rect(chart.plotting_area()).top as i32;
    draw_legend(root, frame.legend, top, s)?;
    Ok(chart)
}

/// The title's lines and font size to fit `max_w` pixels: one line at
/// the title size if it fits, else one line at a size down to the text
/// size, else two lines broken at the space nearest the middle (at the
/// text size, or smaller until both fit).
pub(crate) fn fit_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    s: Sizes,
    max_w: u32,
) -> Result<(Vec<String>, f64), PlotError> {
    let width =
        |t: &str, size: f64| -> Result<u32, PlotError> { Ok(root.estimate_text_size(t, &title_style(size))?.0) };
    // Even sizes only (see `even`).
    let mut size = s.title;
    while size >= s.text {
        if width(title, size)? <= max_w {
            return Ok((vec![title.to_string()], size));
        }
        size -= 2.0;
    }
    let mid = title.len() / 2;
    let split = title
        .match_indices(' ')
        .map(|(i, _)| i)
        .min_by_key(|&i| i.abs_diff(mid));
    let lines: Vec<String> = match split {
        Some(i) => vec![title[..i].to_string(), title[i + 1..].to_string()],
        None => vec![title.to_string()],
    };
    let mut size = s.text;
    while size > 6.0 {
        let mut widest = 0;
        for l in &lines {
            widest = widest.max(width(l, size)?);
        }
        if widest <= max_w {
            break;
        }
        size -= 2.0;
    }
    Ok((lines, size))
}

/// Draws `title` centred at the top of `root`, within its margins (never
/// cut at the left or right edge, see [`fit_title`]); returns the height
/// it takes, 0 for no title.
pub(crate) fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    s: Sizes,
    margin: u32,
) -> Result<u32, PlotError> {
    if title.is_empty() {
        return Ok(0);
    }
    let (w, _) = root.dim_in_pixel();
    let max_w = w.saturating_sub(2 * margin).max(1);
    let (lines, size) = fit_title(root, title, s, max_w)?;
    let style = title_style(size);
    let line_h = (size * 1.25).ceil() as u32;
    for (i, l) in lines.iter().enumerate() {
        let tw = root.estimate_text_size(l, &style)?.0;
        let x = (w.saturating_sub(tw) / 2).max(margin);
        root.draw_text(l, &style, (x as i32, (margin + i as u32 * line_h) as i32))?;
    }
    Ok(line_h * lines.len() as u32)
}

/// The pixel rectangle of a drawing area.
pub(crate) fn plot_rect<DB: DrawingBackend, CT: CoordTranslate>(area: &DrawingArea<DB, CT>) -> PixelRect {
    let (x, y) = area.get_pixel_range();
    PixelRect {
        left: x.start.max(0) as u32,
        top: y.start.max(0) as u32,
        right: x.end.max(0) as u32,
        bottom: y.end.max(0) as u32,
    }
}

/// Liang–Barsky: the part of segment `a`-`b` inside the closed window `x` x `y`, if any. An
/// endpoint already inside is returned unchanged (bit for bit), so clipped pieces of a polyline
/// can be joined by comparing endpoints.
pub(crate) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    x: &Range<f64>,
    y: &Range<f64>,
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x.start),
        (dx, x.end - a.0),
        (-dy, a.1 - y.start),
        (dy, y.end - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    let at = |t: f64, end: (f64, f64)| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            end
        } else {
            // Keep the computed point inside the window despite rounding.
            (
                (a.0 + t * dx).clamp(x.start, x.end),
                (a.1 + t * dy).clamp(y.start, y.end),
            )
        }
    };
    Some((at(t0, b), at(t1, b)))
}

/// Clips a polyline to the window: the visible runs, each of at least two points. Non-finite
/// points break the line.
pub(crate) fn clip_polyline(points: &[(f64, f64)], x: &Range<f64>, y: &Range<f64>) -> Vec<Vec<(f64, f64)>> {
    let mut runs = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if !(finite(&a) && finite(&b)) {
            flush(&mut runs, &mut run);
            continue;
        }
        match clip_segment(a, b, x, y) {
            Some((ca, cb)) => {
                if run.last() != Some(&ca) {
                    flush(&mut runs, &mut run);
                    run.push(ca);
                }
                run.push(cb);
                if cb != b {
                    flush(&mut runs, &mut run);
                }
            }
            None => flush(&mut runs, &mut run),
        }
    }
    flush(&mut runs, &mut run);
    runs
}

fn flush(runs: &mut Vec<Vec<(f64, f64)>>, run: &mut Vec<(f64, f64)>) {
    if run.len() >= 2 {
        runs.push(std::mem::take(run));
    } else {
        run.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lowest fully inked row of each glyph of `text` drawn as a
    /// title at `size` (glyphs told apart by blank columns).
    fn glyph_bottoms(text: &str, size: f64) -> Vec<usize> {
        crate::register_fonts().expect("fonts");
        let (w, h) = (400usize, 100usize);
        let mut rgb = vec![0u8; w * h * 3];
        {
            let root =
                plotters::prelude::BitMapBackend::with_buffer(&mut rgb, (w as u32, h as u32)).into_drawing_area();
            root.fill(&plotters::style::WHITE).expect("fill");
            root.draw_text(text, &title_style(size), (10, 30)).expect("text");
            root.present().expect("present");
        }
        let dark = |x: usize, y: usize| rgb[(y * w + x) * 3] < 64;
        let mut bottoms = Vec::new();
        let mut x = 0;
        while x < w {
            if (0..h).any(|y| dark(x, y)) {
                let mut bottom = 0;
                while x < w && (0..h).any(|y| dark(x, y)) {
                    bottom = bottom.max((0..h).filter(|&y| dark(x, y)).max().unwrap_or(0));
                    x += 1;
                }
                bottoms.push(bottom);
            }
            x += 1;
        }
        bottoms
    }

    #[test]
    fn a_titles_letters_share_one_baseline_at_the_sizes_used() {
        // Tall (h, 1, l) and short (n, m) glyphs without descenders.
        let text = "h n 1 m l";
        for (w, h, scale) in [(1200, 800, 1.0), (700, 450, 1.8), (900, 550, 1.0), (640, 480, 1.3)] {
            let s = Sizes::for_image(w, h, scale);
            for size in [s.title, s.text] {
                let b = glyph_bottoms(text, size);
                assert_eq!(b.len(), 5, "{size}: {b:?}");
                assert!(b.iter().all(|&y| y == b[0]), "size {size}: glyph bottoms {b:?}");
            }
        }
    }

    #[test]
    fn a_segment_crossing_the_window_is_cut_at_its_edges() {
        let (a, b) = clip_segment((-1.0, 0.5), (2.0, 0.5), &(0.0..1.0), &(0.0..1.0)).unwrap();
        assert_eq!(a, (0.0, 0.5));
        assert_eq!(b, (1.0, 0.5));
        assert!(clip_segment((-1.0, 2.0), (2.0, 2.0), &(0.0..1.0), &(0.0..1.0)).is_none());
        assert!(clip_segment((0.0, 3.0), (3.0, 0.0), &(0.0..1.0), &(0.0..1.0)).is_none());
        let inside = clip_segment((0.2, 0.3), (0.4, 0.5), &(0.0..1.0), &(0.0..1.0)).unwrap();
        assert_eq!(inside, ((0.2, 0.3), (0.4, 0.5)));
    }

    #[test]
    fn a_polyline_leaving_and_reentering_the_window_becomes_two_runs() {
        let pts = [(0.0, 0.5), (0.5, 0.5), (1.0, 5.0), (1.5, 0.5), (2.0, 0.5)];
        let runs = clip_polyline(&pts, &(0.0..2.0), &(0.0..1.0));
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0][0], (0.0, 0.5));
        assert_eq!(runs[1].last(), Some(&(2.0, 0.5)));
        for p in runs.iter().flatten() {
            assert!(within(&(0.0..2.0), p.0) && within(&(0.0..1.0), p.1), "{p:?}");
        }
    }

    #[test]
    fn numbers_are_formatted_compactly() {
        assert_eq!(fmt_value(0.0), "0");
        assert_eq!(fmt_value(1.2345), "1.23");
        assert_eq!(fmt_value(123.45), "123");
        assert_eq!(fmt_value(0.5), "0.5");
        assert_eq!(fmt_value(2.5e7), "2.50e7");
        assert_eq!(fmt_tick(-0.0001, 2), "0.00");
        assert_eq!(tick_decimals(&(0.0..10.0), 10), 0);
        assert_eq!(tick_decimals(&(0.0..1.0), 10), 1);
        assert_eq!(nice_ticks(&(0.5..4.75), 5), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(nice_ticks(&(-0.3..0.3), 4), vec![-0.2, 0.0, 0.2]);
    }

    #[test]
    fn fitted_ranges_pad_the_data_and_survive_degenerate_input() {
        assert_eq!(fit_range([], 0.1), 0.0..1.0);
        assert_eq!(fit_range([f64::NAN], 0.1), 0.0..1.0);
        assert_eq!(fit_range([0.0, 10.0], 0.1), -1.0..11.0);
        let r = fit_range([5.0], 0.1);
        assert!(r.start < 5.0 && r.end > 5.0);
    }
}
