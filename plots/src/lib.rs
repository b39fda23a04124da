//! Figures for mpsim: pure functions from plain series to PNG and SVG files.
//!
//! This crate knows nothing of TCP. Its inputs are numbers, labels and colours; the
//! caller (the `experiments` crate) turns simulator traces into those.
//!
//! Four kinds of figure:
//!
//! | function | figure |
//! |---|---|
//! | [`sequence_graph`] | mptcptrace-style sequence graph: segments as short vertical lines coloured by series, reinjections circled, acknowledgements as blue crosses |
//! | [`time_series`] | several named lines over time (throughput, cwnd, srtt, queue sizes), line or step style |
//! | [`metric_vs_parameter`] | a metric against a parameter, one line per series, mean with 95% confidence-interval bars |
//! | [`heatmap`] | a metric over a grid of two parameters, with a colour scale |
//!
//! Every function takes a spec and a *path stem* and writes `<stem>.png` and/or `<stem>.svg`
//! (chosen by [`Output::formats`]); the extension is appended, so a stem such as `out/fig2.zoom`
//! keeps its dot. Parent directories must exist. Errors are returned as [`PlotError`], never
//! panics. Output is deterministic: the same spec gives byte-identical files (text is drawn with
//! the DejaVu Sans font embedded in the binary, so no system font library is consulted).
//!
//! Data outside the visible range (the [`Zoom`] window, or the automatic range) is filtered and
//! lines are clipped at the plot edge, so nothing is ever piled onto the axes.
//!
//! # Example
//!
//! ```no_run
//! use plots::{Ack, Rgb, Segment, SequenceGraph, Series, Zoom, sequence_graph};
//!
//! let spec = SequenceGraph {
//!     title: "Handover".into(),
//!     series: vec![Series::new("cell", Rgb::palette(0)), Series::new("wifi", Rgb::palette(1))],
//!     segments: vec![
//!         Segment { time: 0.10, seq_start: 0.0, seq_end: 1400.0, series: 0, reinjected: false },
//!         Segment { time: 5.20, seq_start: 1400.0, seq_end: 2800.0, series: 1, reinjected: true },
//!     ],
//!     acks: vec![Ack { time: 0.16, seq: 1400.0 }, Ack { time: 5.25, seq: 2800.0 }],
//!     zoom: Zoom::x(4.0..6.0), // seconds; the y range is fitted to the data in the window
//!     ..SequenceGraph::default()
//! };
//! let rendered = sequence_graph(&spec, "target/handover-zoom")?;
//! assert_eq!(rendered.files.len(), 2); // handover-zoom.png and handover-zoom.svg
//! # Ok::<(), plots::PlotError>(())
//! ```

mod common;
mod heatmap;
mod metric;
mod sequence;
mod timeseries;

use std::ffi::OsString;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use heatmap::{Heatmap, heatmap};
pub use metric::{MetricPoint, MetricSeries, MetricVsParameter, metric_vs_parameter, t_975};
pub use sequence::{Ack, Mark, Segment, SeqUnit, SequenceData, SequenceGraph, sequence_graph, sequence_graph_from};
pub use timeseries::{Line, LineStyle, TimeSeries, time_series};

/// An opaque sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Eight distinct, saturated colours for series (none is grey, blue or red, which this crate
    /// uses for axes, acknowledgement crosses and reinjection rings). `palette(i)` cycles.
    pub const PALETTE: [Rgb; 8] = [
        Rgb(230, 97, 1),    // orange
        Rgb(27, 158, 119),  // green
        Rgb(117, 112, 179), // purple
        Rgb(231, 41, 138),  // magenta
        Rgb(102, 166, 30),  // olive green
        Rgb(166, 118, 29),  // brown
        Rgb(86, 180, 233),  // sky blue
        Rgb(204, 121, 167), // pink
    ];

    /// Colour of the acknowledgement crosses in [`sequence_graph`].
    pub const ACK: Rgb = Rgb(0, 0, 255);
    /// Colour of the rings around reinjected segments in [`sequence_graph`].
    pub const REINJECTED: Rgb = Rgb(200, 0, 0);

    /// The `i`-th palette colour (cycling through [`Rgb::PALETTE`]).
    pub fn palette(i: usize) -> Rgb {
        Self::PALETTE[i % Self::PALETTE.len()]
    }

    pub(crate) fn to_plotters(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

/// A named, coloured series (a subflow, an algorithm, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Colour of its marks.
    pub color: Rgb,
}

impl Series {
    /// A series with a name and a colour.
    pub fn new(name: impl Into<String>, color: Rgb) -> Self {
        Series {
            name: name.into(),
            color,
        }
    }
}

/// Output file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Raster, 8-bit RGB, written as `<stem>.png`.
    Png,
    /// Vector, written as `<stem>.svg` (text uses the viewer's `sans-serif` font).
    Svg,
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// Figure size and the formats to write. Default: 1200 x 800 pixels, PNG and SVG.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// Width in pixels (at least [`Output::MIN_SIZE`].0).
    pub width: u32,
    /// Height in pixels (at least [`Output::MIN_SIZE`].1).
    pub height: u32,
    /// Formats to write, in order; duplicates are written once.
    pub formats: Vec<Format>,
    /// Text sizes relative to what the figure's size gives (1: as sized
    /// for the image; from [`Output::FONT_SCALE`]).
    pub font_scale: f64,
}

impl Output {
    /// The smallest accepted figure, (width, height).
    pub const MIN_SIZE: (u32, u32) = (320, 240);
    /// The largest accepted figure, (width, height).
    pub const MAX_SIZE: (u32, u32) = (10_000, 10_000);
    /// The accepted font scales, (smallest, largest).
    pub const FONT_SCALE: (f64, f64) = (0.25, 4.0);

    /// A figure of the given size, written as PNG and SVG.
    pub fn new(width: u32, height: u32) -> Self {
        Output {
            width,
            height,
            formats: vec![Format::Png, Format::Svg],
            font_scale: 1.0,
        }
    }

    /// Text `scale` times the size the figure's size gives.
    pub fn with_font_scale(mut self, scale: f64) -> Self {
        self.font_scale = scale;
        self
    }

    /// Only these formats.
    pub fn with_formats(mut self, formats: &[Format]) -> Self {
        self.formats = formats.to_vec();
        self
    }
}

impl Default for Output {
    fn default() -> Self {
        Output::new(1200, 800)
    }
}

/// A visible window in data units. `None` on an axis means "fit the data" (the fitted range is
/// computed from the data inside the other axis' window, with a small margin).
///
/// Data outside the window is not drawn at all, and lines crossing its edge are clipped there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Zoom {
    /// Visible x range (time in seconds for time-based figures).
    pub x: Option<Range<f64>>,
    /// Visible y range, in the input units of the figure.
    pub y: Option<Range<f64>>,
}

impl Zoom {
    /// No zoom: both axes fit the data.
    pub fn none() -> Self {
        Zoom::default()
    }
    /// A window on both axes.
    pub fn new(x: Range<f64>, y: Range<f64>) -> Self {
        Zoom { x: Some(x), y: Some(y) }
    }
    /// A window on x only; y fits the data inside it.
    pub fn x(x: Range<f64>) -> Self {
        Zoom { x: Some(x), y: None }
    }
}

/// A rectangle in pixels of the output image: `left..right` x `top..bottom` (right and bottom
/// exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelRect {
    /// First column.
    pub left: u32,
    /// First row.
    pub top: u32,
    /// One past the last column.
    pub right: u32,
    /// One past the last row.
    pub bottom: u32,
}

impl PixelRect {
    /// Whether the pixel `(x, y)` lies inside.
    pub fn contains(&self, x: u32, y: u32) -> bool {
        (self.left..self.right).contains(&x) && (self.top..self.bottom).contains(&y)
    }
}

/// What a figure function wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The files written, one per distinct [`Format`], in the order asked.
    pub files: Vec<PathBuf>,
    /// Where the plot area (inside the axes) lies in the image, in pixels; the same for every
    /// format. Useful to place annotations or to check images in tests.
    pub plot_area: PixelRect,
}

/// Why a figure could not be written.
#[derive(Debug)]
pub enum PlotError {
    /// The spec is not drawable (bad size, empty or inverted zoom window, series index out of
    /// range, matrix of the wrong shape, ...).
    InvalidInput(String),
    /// Writing a file failed.
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The plotting backend failed (drawing, font rendering or PNG encoding).
    Backend(String),
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::InvalidInput(msg) => write!(f, "invalid figure: {msg}"),
            PlotError::Io { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            PlotError::Backend(msg) => write!(f, "plotting backend error: {msg}"),
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlotError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        PlotError::Backend(e.to_string())
    }
}

pub(crate) fn invalid(msg: impl Into<String>) -> PlotError {
    PlotError::InvalidInput(msg.into())
}

/// A figure that can draw itself on any plotters backend.
pub(crate) trait Figure {
    fn output(&self) -> &Output;
    /// Checks the spec before anything is drawn or written.
    fn validate(&self) -> Result<(), PlotError>;
    /// Draws on `root` (the whole image, white already) and returns the plot area.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<PixelRect, PlotError>;
}

/// Registers the embedded DejaVu Sans font as plotters' `sans-serif` (once per process).
fn register_fonts() -> Result<(), PlotError> {
    static FONTS: OnceLock<Result<(), String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            use plotters::style::{FontStyle, register_font};
            register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
                .and_then(|()| register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold()))
                .map_err(|_| "the embedded DejaVu Sans font could not be loaded".to_string())
        })
        .clone()
        .map_err(PlotError::Backend)
}

fn path_with_extension(stem: &Path, format: Format) -> PathBuf {
    let mut name: OsString = stem.as_os_str().to_owned();
    name.push(".");
    name.push(format.extension());
    PathBuf::from(name)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    std::fs::write(path, bytes).map_err(|source| PlotError::Io {
        path: path.to_owned(),
        source,
    })
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let backend = |e: png::EncodingError| PlotError::Backend(format!("PNG encoding: {e}"));
    let mut writer = encoder.write_header().map_err(backend)?;
    writer.write_image_data(rgb).map_err(backend)?;
    writer.finish().map_err(backend)?;
    Ok(bytes)
}

/// Validates, draws once per format into memory, and writes the files.
pub(crate) fn render<F: Figure>(figure: &F, stem: &Path) -> Result<Rendered, PlotError> {
    let out = figure.output();
    let (w, h) = (out.width, out.height);
    if w < Output::MIN_SIZE.0 || h < Output::MIN_SIZE.1 || w > Output::MAX_SIZE.0 || h > Output::MAX_SIZE.1 {
        return Err(invalid(format!(
            "figure size {w}x{h} is outside {:?}..={:?}",
            Output::MIN_SIZE,
            Output::MAX_SIZE
        )));
    }
    let (lo, hi) = Output::FONT_SCALE;
    if !(out.font_scale >= lo && out.font_scale <= hi) {
        return Err(invalid(format!("font scale {} is outside {lo}..={hi}", out.font_scale)));
    }
    if out.formats.is_empty() {
        return Err(invalid("no output format requested"));
    }
    if stem.as_os_str().is_empty() {
        return Err(invalid("empty path stem"));
    }
    figure.validate()?;
    register_fonts()?;

    let mut files = Vec::new();
    let mut plot_area = None;
    let mut done: Vec<Format> = Vec::new();
    for &format in &out.formats {
        if done.contains(&format) {
            continue;
        }
        done.push(format);
        let path = path_with_extension(stem, format);
        let (bytes, area) = match format {
            Format::Png => {
                let mut rgb = vec![0u8; w as usize * h as usize * 3];
                let area = {
                    let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                    root.fill(&WHITE)?;
                    let area = figure.draw(&root)?;
                    root.present()?;
                    area
                };
                (encode_png(&rgb, w, h)?, area)
            }
            Format::Svg => {
                let mut svg = String::new();
                let area = {
                    let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                    root.fill(&WHITE)?;
                    let area = figure.draw(&root)?;
                    root.present()?;
                    area
                };
                (svg.into_bytes(), area)
            }
        };
        write_file(&path, &bytes)?;
        plot_area.get_or_insert(area);
        files.push(path);
    }
    let plot_area = plot_area.ok_or_else(|| invalid("no output format requested"))?;
    Ok(Rendered { files, plot_area })
}
