//! Renders every figure from small fixtures into a temporary directory, then decodes the PNGs
//! and reads the SVGs to check what a person would see.
//!
//! Set `PLOTS_SAMPLES_DIR=/some/dir` to also keep a copy of the rendered samples there.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use plots::{
    Ack, Format, Heatmap, Line, MetricPoint, MetricSeries, MetricVsParameter, Output, PixelRect, PlotError, Rendered,
    Rgb, Segment, SeqUnit, SequenceGraph, Series, TimeSeries, Zoom, heatmap, metric_vs_parameter, sequence_graph,
    time_series,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A fresh directory for one test.
fn out_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plots-tests").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the rendered files to `$PLOTS_SAMPLES_DIR`, if set.
fn keep_sample(rendered: &Rendered) {
    if let Some(dir) = std::env::var_os("PLOTS_SAMPLES_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        for f in &rendered.files {
            std::fs::copy(f, Path::new(&dir).join(f.file_name().unwrap())).unwrap();
        }
    }
}

struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Image {
    fn pixel(&self, x: u32, y: u32) -> (u8, u8, u8) {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    fn pixels_in(&self, r: PixelRect) -> impl Iterator<Item = (u32, u32, (u8, u8, u8))> + '_ {
        (r.top..r.bottom).flat_map(move |y| (r.left..r.right).map(move |x| (x, y, self.pixel(x, y))))
    }

    fn distinct_colours(&self) -> usize {
        self.rgb
            .chunks(3)
            .map(|c| (c[0], c[1], c[2]))
            .collect::<BTreeSet<_>>()
            .len()
    }
}

fn decode_png(path: &Path) -> Image {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    Image {
        width: info.width,
        height: info.height,
        rgb: buf,
    }
}

/// Data marks are saturated colours; text, axes and grid are greys.
fn is_data_colour((r, g, b): (u8, u8, u8)) -> bool {
    r.max(g).max(b) - r.min(g).min(b) > 40
}

fn close_to((r, g, b): (u8, u8, u8), c: Rgb) -> bool {
    r.abs_diff(c.0) <= 8 && g.abs_diff(c.1) <= 8 && b.abs_diff(c.2) <= 8
}

fn count_close(img: &Image, r: PixelRect, c: Rgb) -> usize {
    img.pixels_in(r).filter(|&(_, _, p)| close_to(p, c)).count()
}

fn file_with_ext(rendered: &Rendered, ext: &str) -> PathBuf {
    rendered
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == ext))
        .cloned()
        .unwrap()
}

/// A crude well-formedness check: an `<svg>` root and as many opening as closing tags.
fn assert_svg_is_xml_ish(svg: &str) {
    assert!(
        svg.trim_start().starts_with("<svg") || svg.trim_start().starts_with("<?xml"),
        "{}",
        &svg[..80]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    let opens = svg.matches('<').count();
    let closes = svg.matches('>').count();
    assert_eq!(opens, closes, "unbalanced angle brackets");
    let self_closing = svg.matches("/>").count();
    let end_tags = svg.matches("</").count();
    let start_tags = opens - end_tags - svg.matches("<?").count() - svg.matches("<!").count();
    assert_eq!(start_tags - self_closing, end_tags, "unbalanced elements");
}

/// The trimmed contents of every `<text>` element.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim().to_string()))
        .collect()
}

fn inner(r: PixelRect, by: u32) -> PixelRect {
    PixelRect {
        left: r.left + by,
        top: r.top + by,
        right: r.right - by,
        bottom: r.bottom - by,
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const CELL: Rgb = Rgb(230, 97, 1);
const WIFI: Rgb = Rgb(27, 158, 119);

/// A handover like the iOS 11 one: cellular until 5 s, then Wi-Fi; the cellular segments in
/// flight at the switch are lost and reinjected on Wi-Fi, and the data-ACKs stall on the hole
/// and then jump.
fn handover() -> SequenceGraph {
    let mss = 1400.0;
    let mut segments = Vec::new();
    let mut acks = Vec::new();
    let mut seq = 0.0;
    let mut lost = Vec::new();
    for k in 0..500 {
        let t = f64::from(k) * 0.01;
        segments.push(Segment {
            time: t,
            seq_start: seq,
            seq_end: seq + mss,
            series: 0,
            reinjected: false,
        });
        if t >= 4.88 {
            lost.push(seq);
        } else {
            acks.push(Ack {
                time: t + 0.12,
                seq: seq + mss,
            });
        }
        seq += mss;
    }
    let hole = lost[0];
    for (k, &s) in lost.iter().enumerate() {
        let t = 5.05 + k as f64 * 0.002;
        segments.push(Segment {
            time: t,
            seq_start: s,
            seq_end: s + mss,
            series: 1,
            reinjected: true,
        });
    }
    let filled = 5.05 + lost.len() as f64 * 0.002 + 0.02;
    for k in 0..750 {
        let t = 5.0 + f64::from(k) * 0.004;
        segments.push(Segment {
            time: t,
            seq_start: seq,
            seq_end: seq + mss,
            series: 1,
            reinjected: false,
        });
        let at = t + 0.02;
        acks.push(Ack {
            time: at,
            seq: if at < filled { hole } else { seq + mss },
        });
        seq += mss;
    }
    SequenceGraph {
        title: "MPTCP handover: cellular to Wi-Fi".into(),
        series: vec![Series::new("cell", CELL), Series::new("wifi", WIFI)],
        segments,
        acks,
        output: Output::new(1200, 800),
        ..SequenceGraph::default()
    }
}

fn throughput() -> TimeSeries {
    let cell: Vec<(f64, f64)> = (0..=80)
        .map(|k| f64::from(k) * 0.1)
        .map(|t| (t, if t < 5.0 { 9.5 + (t * 3.0).sin() * 0.4 } else { 0.0 }))
        .collect();
    let wifi: Vec<(f64, f64)> = (0..=80)
        .map(|k| f64::from(k) * 0.1)
        .map(|t| {
            (
                t,
                if t < 5.0 {
                    0.0
                } else {
                    28.0 * (1.0 - (-(t - 5.0) * 4.0).exp())
                },
            )
        })
        .collect();
    let cwnd: Vec<(f64, f64)> = (0..40)
        .map(|k| (f64::from(k) * 0.2, f64::from((k * 7) % 23 + 2)))
        .collect();
    TimeSeries {
        title: "Throughput per subflow".into(),
        y_label: "throughput (Mb/s)".into(),
        lines: vec![
            Line::new("cell", CELL, cell),
            Line::new("wifi", WIFI, wifi),
            Line::step("cwnd (seg)", Rgb::palette(2), cwnd),
        ],
        output: Output::new(1000, 600),
        ..TimeSeries::default()
    }
}

fn completion_times() -> MetricVsParameter {
    let series = ["handover", "interactive", "aggregate"]
        .iter()
        .enumerate()
        .map(|(i, name)| MetricSeries {
            name: name.to_string(),
            color: Rgb::palette(i + 2),
            points: [10.0, 20.0, 50.0, 100.0, 200.0]
                .iter()
                .map(|&delay| {
                    let base = 1.0 + delay / 100.0 * (3 - i) as f64;
                    let samples: Vec<f64> = (0..10)
                        .map(|r| base + f64::from((r * 37 + i as i32 * 11) % 17) / 40.0)
                        .collect();
                    MetricPoint::from_samples(delay, &samples).unwrap()
                })
                .collect(),
        })
        .collect();
    MetricVsParameter {
        title: "Download time vs cellular delay".into(),
        x_label: "cellular one-way delay (ms)".into(),
        y_label: "completion time (s)".into(),
        series,
        output: Output::new(1000, 700),
        ..MetricVsParameter::default()
    }
}

fn grid() -> Heatmap {
    let columns: Vec<String> = [1, 2, 5, 10, 20].iter().map(|v| format!("{v}")).collect();
    let rows: Vec<String> = [10, 30, 60, 120].iter().map(|v| format!("{v}")).collect();
    let values = (0..rows.len())
        .map(|j| {
            (0..columns.len())
                .map(|i| {
                    if (i, j) == (0, 3) {
                        None
                    } else {
                        Some(0.5 + i as f64 * 0.8 + j as f64 * 0.35)
                    }
                })
                .collect()
        })
        .collect();
    Heatmap {
        title: "Completion time over two parameters".into(),
        x_label: "Wi-Fi rate (Mb/s)".into(),
        y_label: "cellular delay (ms)".into(),
        columns,
        rows,
        values,
        scale_label: "completion time (s)".into(),
        annotate: true,
        output: Output::new(900, 600),
        ..Heatmap::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Sequence graphs

#[test]
fn a_sequence_graph_is_written_as_png_and_svg_of_the_requested_size() {
    let dir = out_dir("seq_full");
    let spec = handover();
    let r = sequence_graph(&spec, dir.join("handover")).unwrap();
    keep_sample(&r);
    assert_eq!(r.files, vec![dir.join("handover.png"), dir.join("handover.svg")]);
    let img = decode_png(&r.files[0]);
    assert_eq!((img.width, img.height), (1200, 800));
    assert!(img.distinct_colours() > 10, "only {} colours", img.distinct_colours());
    let area = r.plot_area;
    assert!(area.right - area.left > 600 && area.bottom - area.top > 400, "{area:?}");
    // Both subflows, the acks and the reinjection rings are visible inside the plot area.
    for (what, c) in [
        ("cell", CELL),
        ("wifi", WIFI),
        ("ack", Rgb::ACK),
        ("reinjected", Rgb::REINJECTED),
    ] {
        assert!(count_close(&img, area, c) > 20, "{what} not drawn");
    }
}

#[test]
fn the_sequence_graph_svg_carries_the_title_and_every_legend_label() {
    let dir = out_dir("seq_svg");
    let r = sequence_graph(&handover(), dir.join("handover")).unwrap();
    let svg = std::fs::read_to_string(file_with_ext(&r, "svg")).unwrap();
    assert_svg_is_xml_ish(&svg);
    for label in [
        "cell",
        "wifi",
        "reinjected",
        "data-ACK",
        "time (s)",
        "data sequence number (MB)",
        "MPTCP handover",
    ] {
        assert!(svg.contains(label), "missing {label:?}");
    }
    assert!(svg.contains("width=\"1200\"") && svg.contains("height=\"800\""));
}

#[test]
fn a_zoom_window_with_every_point_outside_it_leaves_the_plot_area_without_data_pixels() {
    let dir = out_dir("seq_empty_zoom");
    let mut spec = handover();
    // Data lies between 0 and 8 s; the window is later, and every segment lies below it.
    spec.zoom = Zoom::new(20.0..30.0, 1e9..2e9);
    let r = sequence_graph(&spec, dir.join("empty")).unwrap();
    let img = decode_png(&r.files[0]);
    let data: Vec<_> = img
        .pixels_in(r.plot_area)
        .filter(|&(_, _, p)| is_data_colour(p))
        .take(5)
        .collect();
    assert!(data.is_empty(), "data pixels in an empty window: {data:?}");
    // The same holds with a window on one side of the data only (here: before it in time).
    spec.zoom = Zoom::new(-10.0..-1.0, 0.0..1e6);
    let r = sequence_graph(&spec, dir.join("before")).unwrap();
    let img = decode_png(&r.files[0]);
    assert_eq!(
        img.pixels_in(r.plot_area)
            .filter(|&(_, _, p)| is_data_colour(p))
            .count(),
        0
    );
    // But the legend (outside the plot area) is still drawn in the series colours.
    let whole = PixelRect {
        left: 0,
        top: 0,
        right: img.width,
        bottom: img.height,
    };
    assert!(count_close(&img, whole, CELL) > 0 && count_close(&img, whole, WIFI) > 0);
}

#[test]
fn a_zoom_on_the_transition_shows_segments_acks_and_reinjections() {
    let dir = out_dir("seq_zoom");
    let mut spec = handover();
    spec.title = "Zoom on the transition".into();
    spec.zoom = Zoom::x(4.75..5.35);
    let r = sequence_graph(&spec, dir.join("zoom")).unwrap();
    keep_sample(&r);
    let img = decode_png(&r.files[0]);
    for (what, c) in [
        ("cell", CELL),
        ("wifi", WIFI),
        ("ack", Rgb::ACK),
        ("reinjected", Rgb::REINJECTED),
    ] {
        assert!(count_close(&img, r.plot_area, c) > 20, "{what} not drawn in the zoom");
    }
}

#[test]
fn a_zoomed_sequence_graph_piles_nothing_on_its_axes() {
    let dir = out_dir("seq_no_pile");
    // A segment and an ack every 100 ms from 0 to 10 s; the window's edges fall midway between
    // samples, far (in pixels) from any mark inside it.
    let spec = SequenceGraph {
        series: vec![Series::new("cell", CELL), Series::new("wifi", WIFI)],
        segments: (0..100)
            .map(|k| {
                let seq = f64::from(k) * 10_000.0;
                Segment {
                    time: f64::from(k) * 0.1,
                    seq_start: seq,
                    seq_end: seq + 1400.0,
                    series: k as usize % 2,
                    reinjected: k % 10 == 0,
                }
            })
            .collect(),
        acks: (0..100)
            .map(|k| Ack {
                time: f64::from(k) * 0.1,
                seq: f64::from(k) * 10_000.0 - 5_000.0,
            })
            .collect(),
        zoom: Zoom::x(3.05..6.05),
        output: Output::new(800, 600).with_formats(&[Format::Png]),
        ..SequenceGraph::default()
    };
    let r = sequence_graph(&spec, dir.join("zoom")).unwrap();
    let img = decode_png(&r.files[0]);
    let a = r.plot_area;
    // Data inside the window is drawn ...
    for (what, c) in [
        ("cell", CELL),
        ("wifi", WIFI),
        ("ack", Rgb::ACK),
        ("reinjected", Rgb::REINJECTED),
    ] {
        assert!(count_close(&img, a, c) > 10, "{what} not drawn");
    }
    // ... and the data outside it (0..3 s and 6.1..9.9 s) is not clamped onto any edge.
    let edges = [
        PixelRect { right: a.left + 3, ..a },
        PixelRect { left: a.right - 3, ..a },
        PixelRect { bottom: a.top + 3, ..a },
        PixelRect { top: a.bottom - 3, ..a },
    ];
    for e in edges {
        let piled = img.pixels_in(e).filter(|&(_, _, p)| is_data_colour(p)).count();
        assert_eq!(piled, 0, "data piled on the edge {e:?}");
    }
}

#[test]
fn a_zoom_in_sequence_space_cuts_segments_at_the_window_edge() {
    let dir = out_dir("seq_zoom_y");
    // One tall segment from 0 to 10 MB, seen through a window from 4 to 6 MB: it must be drawn
    // between the bottom and the top of the plot area, not beyond.
    let spec = SequenceGraph {
        series: vec![Series::new("only", CELL)],
        segments: vec![Segment {
            time: 1.0,
            seq_start: 0.0,
            seq_end: 10e6,
            series: 0,
            reinjected: false,
        }],
        zoom: Zoom::new(0.0..2.0, 4e6..6e6),
        output: Output::new(640, 480).with_formats(&[Format::Png]),
        ..SequenceGraph::default()
    };
    let r = sequence_graph(&spec, dir.join("tall")).unwrap();
    let img = decode_png(&r.files[0]);
    let a = r.plot_area;
    let rows: Vec<u32> = img
        .pixels_in(a)
        .filter(|&(_, _, p)| close_to(p, CELL))
        .map(|(_, y, _)| y)
        .collect();
    assert!(!rows.is_empty());
    let (top, bottom) = (*rows.iter().min().unwrap(), *rows.iter().max().unwrap());
    assert!(
        top <= a.top + 1 && bottom + 2 >= a.bottom,
        "segment spans rows {top}..={bottom} of {a:?}"
    );
    let outside = (0..a.top)
        .flat_map(|y| (a.left..a.right).map(move |x| (x, y)))
        .filter(|&(x, y)| close_to(img.pixel(x, y), CELL));
    assert_eq!(outside.count(), 0, "segment drawn above the plot area");
}

#[test]
fn sequence_numbers_can_be_shown_in_bytes() {
    let dir = out_dir("seq_bytes");
    let mut spec = handover();
    spec.unit = SeqUnit::Bytes;
    spec.y_label = "data sequence number (bytes)".into();
    spec.zoom = Zoom::new(4.8..5.2, 2.5e6..3.0e6);
    spec.output.formats = vec![Format::Svg];
    let r = sequence_graph(&spec, dir.join("bytes")).unwrap();
    assert_eq!(r.files, vec![dir.join("bytes.svg")]);
    let svg = std::fs::read_to_string(&r.files[0]).unwrap();
    assert!(svg.contains("2600000") || svg.contains("2700000"), "byte ticks missing");
}

// ---------------------------------------------------------------------------------------------
// Other figures

#[test]
fn a_time_series_draws_every_line_and_labels_them_in_the_legend() {
    let dir = out_dir("time_series");
    let r = time_series(&throughput(), dir.join("throughput")).unwrap();
    keep_sample(&r);
    let img = decode_png(&r.files[0]);
    assert_eq!((img.width, img.height), (1000, 600));
    for c in [CELL, WIFI, Rgb::palette(2)] {
        assert!(count_close(&img, r.plot_area, c) > 50, "{c:?} line missing");
    }
    let svg = std::fs::read_to_string(file_with_ext(&r, "svg")).unwrap();
    assert_svg_is_xml_ish(&svg);
    for label in [
        "cell",
        "wifi",
        "cwnd (seg)",
        "throughput (Mb/s)",
        "Throughput per subflow",
    ] {
        assert!(svg.contains(label), "missing {label:?}");
    }
}

#[test]
fn a_zoomed_time_series_clips_its_lines_at_the_window() {
    let dir = out_dir("time_series_zoom");
    let mut spec = throughput();
    // All values are far above this window: nothing may be drawn, not even along the top edge.
    spec.zoom = Zoom::new(1.0..4.0, 50.0..60.0);
    let r = time_series(&spec, dir.join("above")).unwrap();
    let img = decode_png(&r.files[0]);
    assert_eq!(
        img.pixels_in(r.plot_area)
            .filter(|&(_, _, p)| is_data_colour(p))
            .count(),
        0
    );
    // A window through the Wi-Fi ramp: the line is drawn, and ends at the window's right edge.
    spec.zoom = Zoom::new(4.0..6.0, 0.0..20.0);
    let r = time_series(&spec, dir.join("ramp")).unwrap();
    keep_sample(&r);
    let img = decode_png(&r.files[0]);
    assert!(count_close(&img, r.plot_area, WIFI) > 50);
    // The clipped line touches the top edge where it leaves the window, but does not run along
    // it (which is what clamping the values above 20 Mb/s would draw).
    let top_rows = PixelRect {
        bottom: r.plot_area.top + 3,
        ..r.plot_area
    };
    let xs: Vec<u32> = img
        .pixels_in(top_rows)
        .filter(|&(_, _, p)| close_to(p, WIFI))
        .map(|(x, _, _)| x)
        .collect();
    let extent = xs.iter().max().unwrap_or(&0) - xs.iter().min().unwrap_or(&0);
    assert!(extent < 12, "the Wi-Fi line runs {extent} px along the top edge");
}

#[test]
fn a_metric_against_a_parameter_shows_every_series_with_error_bars() {
    let dir = out_dir("metric");
    let spec = completion_times();
    let r = metric_vs_parameter(&spec, dir.join("completion")).unwrap();
    keep_sample(&r);
    let img = decode_png(&r.files[0]);
    assert_eq!((img.width, img.height), (1000, 700));
    for s in &spec.series {
        assert!(count_close(&img, r.plot_area, s.color) > 100, "{} missing", s.name);
    }
    // An error bar is a vertical run of the series colour longer than the dot.
    let first = &spec.series[0];
    let p = first.points.last().unwrap();
    assert!(p.ci95 > 0.0);
    let svg = std::fs::read_to_string(file_with_ext(&r, "svg")).unwrap();
    assert_svg_is_xml_ish(&svg);
    for label in [
        "handover",
        "interactive",
        "aggregate",
        "completion time (s)",
        "cellular one-way delay (ms)",
    ] {
        assert!(svg.contains(label), "missing {label:?}");
    }
    // Caps: short horizontal lines, two per point and series.
    assert!(svg.matches("<polyline").count() >= 3 * 5 * 3, "error bars missing");
}

#[test]
fn a_heatmap_colours_its_cells_and_draws_a_colour_scale() {
    let dir = out_dir("heatmap");
    let spec = grid();
    let r = heatmap(&spec, dir.join("grid")).unwrap();
    keep_sample(&r);
    let img = decode_png(&r.files[0]);
    assert_eq!((img.width, img.height), (900, 600));
    let area = r.plot_area;
    // Low values dark purple, high values yellow-green; the missing cell is light grey.
    let cells: BTreeSet<_> = img
        .pixels_in(inner(area, 2))
        .map(|(_, _, p)| p)
        .filter(|&p| is_data_colour(p))
        .collect();
    assert!(cells.len() >= 15, "only {} cell colours", cells.len());
    assert!(
        img.pixels_in(area).any(|(_, _, p)| p == (225, 225, 225)),
        "missing cell not grey"
    );
    // The colour bar, right of the plot area, runs through the whole scale.
    let bar = PixelRect {
        left: area.right,
        top: area.top,
        right: img.width,
        bottom: area.bottom,
    };
    assert!(count_close(&img, bar, Rgb(68, 1, 84)) > 0 && count_close(&img, bar, Rgb(253, 231, 37)) > 0);
    let svg = std::fs::read_to_string(file_with_ext(&r, "svg")).unwrap();
    assert_svg_is_xml_ish(&svg);
    for label in ["completion time (s)", "Wi-Fi rate (Mb/s)", "cellular delay (ms)"] {
        assert!(svg.contains(label), "missing {label:?}");
    }
    let texts = svg_texts(&svg);
    for label in spec.rows.iter().chain(&spec.columns) {
        assert!(texts.contains(label), "tick label {label:?} missing from {texts:?}");
    }
    // Annotations in the cells, and the colour-scale ticks at round values.
    for label in ["0.5", "4.75", "1", "2", "3", "4"] {
        assert!(texts.iter().any(|t| t == label), "{label:?} missing from {texts:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Common behaviour

#[test]
fn the_same_input_gives_byte_identical_files() {
    let dir = out_dir("determinism");
    let mut zoomed = handover();
    zoomed.zoom = Zoom::x(4.8..5.3);
    let render_all = |tag: &str| -> Vec<PathBuf> {
        let mut files = Vec::new();
        files.extend(sequence_graph(&zoomed, dir.join(format!("seq-{tag}"))).unwrap().files);
        files.extend(time_series(&throughput(), dir.join(format!("ts-{tag}"))).unwrap().files);
        files.extend(
            metric_vs_parameter(&completion_times(), dir.join(format!("metric-{tag}")))
                .unwrap()
                .files,
        );
        files.extend(heatmap(&grid(), dir.join(format!("heat-{tag}"))).unwrap().files);
        files
    };
    let (a, b) = (render_all("a"), render_all("b"));
    assert_eq!(a.len(), 8);
    for (fa, fb) in a.iter().zip(&b) {
        assert_eq!(
            std::fs::read(fa).unwrap(),
            std::fs::read(fb).unwrap(),
            "{} differs from {}",
            fa.display(),
            fb.display()
        );
    }
}

#[test]
fn a_stem_with_dots_keeps_them_and_only_the_requested_formats_are_written() {
    let dir = out_dir("stems");
    let mut spec = throughput();
    spec.output.formats = vec![Format::Svg, Format::Svg];
    let r = time_series(&spec, dir.join("fig2.zoom")).unwrap();
    assert_eq!(r.files, vec![dir.join("fig2.zoom.svg")]);
    assert!(!dir.join("fig2.zoom.png").exists());
}

#[test]
fn writing_into_a_missing_directory_is_an_io_error_naming_the_file() {
    let dir = out_dir("missing");
    let err = time_series(&throughput(), dir.join("no/such/dir/fig")).unwrap_err();
    match &err {
        PlotError::Io { path, .. } => assert_eq!(path, &dir.join("no/such/dir/fig.png")),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert!(err.to_string().contains("fig.png"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn malformed_specs_are_rejected_before_anything_is_written() {
    let dir = out_dir("invalid");
    let stem = dir.join("bad");
    let mut seq = handover();
    seq.segments[0].series = 7;
    let mut inverted = handover();
    inverted.zoom = Zoom::x(5.0..4.0);
    let mut nan = throughput();
    nan.zoom = Zoom::new(0.0..1.0, f64::NAN..1.0);
    let mut tiny = throughput();
    tiny.output = Output::new(10, 10);
    let mut none = throughput();
    none.output.formats.clear();
    let mut shape = grid();
    shape.values[1].pop();
    let mut ci = completion_times();
    ci.series[0].points[0].ci95 = -1.0;
    let errors = [
        sequence_graph(&seq, &stem).unwrap_err(),
        sequence_graph(&inverted, &stem).unwrap_err(),
        time_series(&nan, &stem).unwrap_err(),
        time_series(&tiny, &stem).unwrap_err(),
        time_series(&none, &stem).unwrap_err(),
        heatmap(&shape, &stem).unwrap_err(),
        heatmap(&Heatmap::default(), &stem).unwrap_err(),
        metric_vs_parameter(&ci, &stem).unwrap_err(),
    ];
    for e in &errors {
        assert!(matches!(e, PlotError::InvalidInput(_)), "{e:?}");
        assert!(e.to_string().starts_with("invalid figure: "), "{e}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "a file was written");
}

#[test]
fn empty_and_non_finite_data_still_give_a_blank_but_valid_figure() {
    let dir = out_dir("empty");
    let spec = SequenceGraph {
        series: vec![Series::new("cell", CELL)],
        segments: vec![Segment {
            time: f64::NAN,
            seq_start: 0.0,
            seq_end: 1.0,
            series: 0,
            reinjected: false,
        }],
        acks: vec![Ack {
            time: 1.0,
            seq: f64::INFINITY,
        }],
        ..SequenceGraph::default()
    };
    let r = sequence_graph(&spec, dir.join("seq")).unwrap();
    let img = decode_png(&r.files[0]);
    assert_eq!(
        img.pixels_in(r.plot_area)
            .filter(|&(_, _, p)| is_data_colour(p))
            .count(),
        0
    );
    time_series(&TimeSeries::default(), dir.join("ts")).unwrap();
    metric_vs_parameter(&MetricVsParameter::default(), dir.join("metric")).unwrap();
}

#[test]
fn a_title_wider_than_the_figure_is_fitted_inside_it_not_cut_at_the_edges() {
    let dir = out_dir("long-title");
    let mut ts = throughput();
    ts.title = "shared-bottleneck-fairness: first over second goodput (mean, 95% CI over 5 seeds)".into();
    for (w, h) in [(900, 560), (400, 300)] {
        ts.output = Output::new(w, h).with_formats(&[Format::Png]);
        let r = time_series(&ts, dir.join(format!("t{w}"))).unwrap();
        let img = decode_png(&r.files[0]);
        let band = |left: u32, right: u32| PixelRect {
            left,
            top: 0,
            right,
            bottom: r.plot_area.top,
        };
        let dark = |rect: PixelRect| {
            img.pixels_in(rect)
                .filter(|&(_, _, (r, g, b))| r.max(g).max(b) < 100)
                .count()
        };
        // Nothing in the outer 3 pixel columns of the title band, and the
        // title drawn between them.
        assert_eq!(dark(band(0, 3)), 0, "{w}x{h}: the title touches the left edge");
        assert_eq!(dark(band(w - 3, w)), 0, "{w}x{h}: the title touches the right edge");
        assert!(dark(band(3, w - 3)) > 200, "{w}x{h}: no title drawn");
    }
}

#[test]
fn a_larger_font_scale_draws_larger_text_and_a_smaller_plot_area() {
    let dir = out_dir("font-scale");
    let mut ts = throughput();
    let mut tops = Vec::new();
    for scale in [1.0, 1.6] {
        ts.output = Output::new(700, 450)
            .with_formats(&[Format::Png])
            .with_font_scale(scale);
        let r = time_series(&ts, dir.join(format!("s{scale}"))).unwrap();
        tops.push((r.plot_area.top, r.plot_area.left));
    }
    assert!(tops[1].0 > tops[0].0 && tops[1].1 > tops[0].1, "{tops:?}");
    ts.output = Output::new(700, 450).with_font_scale(0.0);
    assert!(matches!(
        time_series(&ts, dir.join("zero")),
        Err(PlotError::InvalidInput(_))
    ));
}

#[test]
fn the_series_on_top_stays_visible_where_two_series_overlap() {
    let dir = out_dir("seq_on_top");
    // Both series carry the same data sequence range at the same times.
    let segments: Vec<Segment> = (0..200)
        .flat_map(|k| {
            let seq = f64::from(k) * 1400.0;
            [0, 1].map(|series| Segment {
                time: f64::from(k) * 0.01,
                seq_start: seq,
                seq_end: seq + 1400.0,
                series,
                reinjected: false,
            })
        })
        .collect();
    let draw = |on_top, name: &str| {
        let spec = SequenceGraph {
            series: vec![Series::new("wifi", WIFI), Series::new("cell", CELL)],
            segments: segments.clone(),
            on_top,
            output: Output::new(800, 600).with_formats(&[Format::Png]),
            ..SequenceGraph::default()
        };
        let r = sequence_graph(&spec, dir.join(name)).unwrap();
        let img = decode_png(&r.files[0]);
        (
            count_close(&img, r.plot_area, WIFI),
            count_close(&img, r.plot_area, CELL),
        )
    };
    // By default the last series is drawn over the first ...
    let (wifi, cell) = draw(None, "default");
    assert!(cell > 100 && wifi < cell / 10, "wifi {wifi}, cell {cell}");
    // ... and `on_top` puts the first over it.
    let (wifi, cell) = draw(Some(0), "wifi_on_top");
    assert!(wifi > 100 && cell < wifi / 10, "wifi {wifi}, cell {cell}");
}
