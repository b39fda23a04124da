//! What `report.html` embeds: the run's summary and the series of its
//! plots, thinned to a bounded size (the rules are in `docs/outputs.md`,
//! "report.html"), as the JSON the page's script reads.
//!
//! The plots show what the PNG figures show, from the same sources:
//! connection 0's data and data-ACKs from `sequence.csv` (sequence graph),
//! the server's data per interface in 100 ms bins (throughput), the
//! server's subflows of connection 0 from `timeseries.csv` (cwnd, srtt),
//! and the client's data-ACK and out-of-order queue of connection 0
//! (in-order progress). The time series hold the values as
//! `timeseries.csv` holds them ([`TimeSeries::rounded`]).
//!
//! Simplified, and what a user could observe: past the thinning limits a
//! mark of the sequence graph stands for several segments sent on one
//! interface within one time bucket, and a time-series point for several
//! samples (their maximum), so zooming into a long run's report shows
//! less detail than `sequence.csv` or `mpsim plot --zoom`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::run::{ConnMetrics, Metrics, SeqRecord};
use crate::scenario::{Scenario, TimelineEvent};
use crate::timeseries::{HostSide, TimeSeries};

/// More data segments of connection 0 than this, and the sequence graph's
/// marks are merged per interface and time bucket.
pub const MAX_SEGMENT_MARKS: usize = 40_000;
/// The number of time buckets of the sequence graph when it is thinned.
pub const SEQ_BUCKETS: usize = 10_000;
/// More sampling instants than this, and the time series keep the maximum
/// of every `k` consecutive samples.
pub const MAX_SERIES_POINTS: usize = 2_000;
/// More throughput bins than this, and the bin width doubles until fewer.
pub const MAX_THROUGHPUT_BINS: usize = 2_000;
/// The throughput bin when the run is short enough (as `throughput.png`).
pub const THROUGHPUT_BIN_S: f64 = crate::figures::THROUGHPUT_BIN_NS as f64 / 1e9;
/// Connections listed in the report's table (the rest: `flows.csv`).
pub const MAX_CONN_ROWS: usize = 100;

/// Everything the page shows.
#[derive(Debug, Serialize)]
pub struct ReportData<'a> {
    /// The scenario's name, description and seed.
    pub scenario: &'a str,
    pub description: &'a str,
    pub seed: u64,
    /// The run's outcome (`metrics.json`'s).
    pub outcome: &'static str,
    /// The stop time.
    pub stop_s: f64,
    /// Simulation events processed.
    pub events: u64,
    /// Connection 0's stack, in the scenario's words.
    pub stack: Vec<(&'static str, String)>,
    /// The client interfaces (as in every other output) and their colours
    /// (those of the PNG figures).
    pub ifaces: Vec<Iface>,
    /// The first [`MAX_CONN_ROWS`] connections' metrics.
    pub connections: Vec<&'a ConnMetrics>,
    /// How many connections the run had.
    pub connections_total: usize,
    /// Timeline events and connection 0's subflow changes.
    pub markers: Vec<Marker>,
    /// Where the time axes end: a little after the last segment.
    pub x_end_s: f64,
    /// The server's data per interface.
    pub throughput: Option<Throughput>,
    /// cwnd and srtt of connection 0's subflows at the server.
    pub subflows: Option<SubflowSeries>,
    /// Connection 0's data-ACK and out-of-order queue at the client.
    pub progress: Option<Progress>,
    /// Connection 0's sequence graph.
    pub sequence: Option<Sequence>,
}

/// A client interface.
#[derive(Debug, Serialize)]
pub struct Iface {
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

/// A moment worth a vertical line in every plot.
#[derive(Debug, Serialize, PartialEq)]
pub struct Marker {
    pub t: f64,
    /// `down`, `up`, `join`, `first`, `closed`, `endpoint`.
    pub kind: &'static str,
    pub label: String,
}

/// Bytes the server sent per interface and bin.
#[derive(Debug, Serialize, PartialEq)]
pub struct Throughput {
    pub bin_s: f64,
    /// Per interface (in interface order), bytes per bin from 0.
    pub bytes: Vec<Vec<u64>>,
}

/// Subflow samples on a common time grid (`null` where a subflow had no
/// sample).
#[derive(Debug, Serialize, PartialEq)]
pub struct SubflowSeries {
    /// Samples merged into one point (1: none merged).
    pub stride: usize,
    pub t: Vec<f64>,
    pub lines: Vec<SubflowLine>,
}

/// One subflow's columns.
#[derive(Debug, Serialize, PartialEq)]
pub struct SubflowLine {
    pub label: String,
    pub iface: usize,
    pub cwnd_bytes: Vec<Option<u64>>,
    pub srtt_ms: Vec<Option<f64>>,
}

/// The client's data-level progress of connection 0.
#[derive(Debug, Serialize, PartialEq)]
pub struct Progress {
    pub stride: usize,
    pub t: Vec<f64>,
    pub data_ack: Vec<u64>,
    pub ooo_bytes: Vec<u64>,
}

/// Connection 0's sequence graph, delta-coded: times in microseconds and
/// sequence numbers in bytes from the first data byte, each array holding
/// differences from the previous element (the first from 0).
#[derive(Debug, Serialize, PartialEq)]
pub struct Sequence {
    /// The thinning bucket in seconds, when the marks were merged.
    pub bucket_s: Option<f64>,
    /// Data segments the run sent (before thinning).
    pub segments: usize,
    /// Per interface.
    pub data: Vec<SeqMarks>,
    /// Data-ACKs sent by the client whenever their value changed.
    pub ack_t_us: Vec<i64>,
    pub ack_seq: Vec<i64>,
    /// The time and sequence extent, seconds and bytes.
    pub t0: f64,
    pub t1: f64,
    pub s0: f64,
    pub s1: f64,
}

/// One interface's data segments.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct SeqMarks {
    pub t_us: Vec<i64>,
    pub seq: Vec<i64>,
    pub len: Vec<u64>,
    /// Indices of marks with reinjected data.
    pub reinjected: Vec<usize>,
}

/// `#rrggbb` of the figures' colour of interface `i`.
pub fn iface_color(i: usize) -> String {
    // As figures.rs: the palette's first colour is skipped.
    let c = plots::Rgb::palette(i + 1);
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Connection 0's stack: the client's path manager, the scheduler,
/// congestion control, TCP profile, MPTCP-level recovery and version.
pub fn stack(sc: &Scenario) -> Vec<(&'static str, String)> {
    let conns = sc.all_connections();
    let Some(c) = conns.first() else { return Vec::new() };
    let r = |v: &dyn erased::Ron| v.ron();
    vec![
        ("path manager", r(&c.path_manager)),
        ("scheduler", r(&c.scheduler)),
        ("congestion control", r(&c.cc)),
        ("TCP profile", r(&c.tcp.profile)),
        ("MPTCP-level recovery", r(&c.meta_recovery)),
        ("MPTCP version", r(&sc.mptcp_version)),
    ]
}

mod erased {
    /// A value as the scenario file writes it.
    pub trait Ron {
        fn ron(&self) -> String;
    }
    impl<T: serde::Serialize> Ron for T {
        fn ron(&self) -> String {
            ron::to_string(self).unwrap_or_default()
        }
    }
}

/// The markers: the scenario's timeline, and when connection 0's subflows
/// were established (the first, then joins) and closed.
pub fn markers(sc: &Scenario, m: &Metrics) -> Vec<Marker> {
    let mut out = Vec::new();
    for e in &sc.timeline {
        let (kind, what) = match e {
            TimelineEvent::IfaceDown { .. } | TimelineEvent::LinkDown { .. } => ("down", "down"),
            TimelineEvent::IfaceUp { .. } | TimelineEvent::LinkUp { .. } => ("up", "up"),
            TimelineEvent::EndpointAdd { .. } => ("endpoint", "endpoint added"),
            TimelineEvent::EndpointRemove { .. } => ("endpoint", "endpoint removed"),
            TimelineEvent::EndpointFlags { .. } => ("endpoint", "endpoint flags"),
            TimelineEvent::SetLink { .. } => ("link", "link change"),
            TimelineEvent::Blackhole { .. } | TimelineEvent::LinkBlackhole { .. } => ("down", "blackholed"),
            TimelineEvent::Restore { .. } | TimelineEvent::LinkRestore { .. } => ("up", "restored"),
            TimelineEvent::WifiAdvisory { .. } | TimelineEvent::WifiSignal { .. } => {
                let ok = e.wifi_advisory(&sc.symptoms) == Some(true);
                ("advisory", if ok { "Wi-Fi advisory OK" } else { "Wi-Fi advisory bad" })
            }
        };
        out.push(Marker {
            t: e.at().as_secs_f64(),
            kind,
            label: format!("{} {what}", e.iface()),
        });
    }
    if let Some(c) = m.connections.first() {
        for (k, s) in c.subflows.iter().enumerate() {
            if let Some(t) = s.established_s {
                let (kind, what) = if k == 0 {
                    ("first", "first subflow")
                } else {
                    ("join", "join")
                };
                out.push(Marker {
                    t,
                    kind,
                    label: format!("{} {what}", s.iface),
                });
            }
            if let Some(t) = s.closed_s {
                out.push(Marker {
                    t,
                    kind: "closed",
                    label: format!("{} subflow {k} closed ({})", s.iface, s.close_reason.unwrap_or("?")),
                });
            }
        }
    }
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    out
}

/// The server's data per interface from its bins of [`THROUGHPUT_BIN_S`]
/// (`bins[iface][k]`: bytes sent from k x 100 ms), adjacent bins summed in
/// pairs until there are at most [`MAX_THROUGHPUT_BINS`].
pub fn throughput(mut bins: Vec<Vec<u64>>) -> Throughput {
    let mut bin_s = THROUGHPUT_BIN_S;
    while bins.first().is_some_and(|b| b.len() > MAX_THROUGHPUT_BINS) {
        for b in &mut bins {
            *b = b.chunks(2).map(|p| p.iter().sum()).collect();
        }
        bin_s *= 2.0;
    }
    Throughput { bin_s, bytes: bins }
}

/// The number of samples merged into one point so that `n` make at most
/// [`MAX_SERIES_POINTS`].
pub fn stride(n: usize) -> usize {
    n.div_ceil(MAX_SERIES_POINTS).max(1)
}

/// The larger of two optional values.
fn max_opt<T: PartialOrd + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y > x { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// cwnd and srtt of connection 0's subflows at the server, on the grid of
/// their sampling instants, every `stride` instants merged into their
/// maximum (at the first instant's time).
pub fn subflow_series(ts: &TimeSeries, names: &[String]) -> Option<SubflowSeries> {
    let s = &ts.subflows;
    let rows: Vec<usize> = (0..s.time_s.len())
        .filter(|&i| s.host[i] == HostSide::Server && s.conn[i] == 0)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let mut grid: Vec<f64> = Vec::new();
    for &i in &rows {
        if grid.last() != Some(&s.time_s[i]) {
            grid.push(s.time_s[i]);
        }
    }
    let k = stride(grid.len());
    let n = grid.len().div_ceil(k);
    let mut lines: BTreeMap<(usize, usize), SubflowLine> = BTreeMap::new();
    let mut slot = 0;
    for &i in &rows {
        while grid[slot] != s.time_s[i] {
            slot += 1;
        }
        let (iface, sf) = (s.iface[i], s.subflow[i]);
        let line = lines.entry((sf, iface)).or_insert_with(|| SubflowLine {
            label: format!("{} (subflow {sf})", names.get(iface).map_or("?", String::as_str)),
            iface,
            cwnd_bytes: vec![None; n],
            srtt_ms: vec![None; n],
        });
        let b = slot / k;
        line.cwnd_bytes[b] = max_opt(line.cwnd_bytes[b], Some(s.cwnd_bytes[i]));
        line.srtt_ms[b] = max_opt(line.srtt_ms[b], s.srtt_ms[i]);
    }
    Some(SubflowSeries {
        stride: k,
        t: grid.iter().step_by(k).copied().collect(),
        lines: lines.into_values().collect(),
    })
}

/// Connection 0's data-ACK and out-of-order queue at the client, every
/// `stride` samples merged into their maximum.
pub fn progress(ts: &TimeSeries) -> Option<Progress> {
    let c = &ts.conns;
    let rows: Vec<usize> = (0..c.time_s.len())
        .filter(|&k| c.host[k] == HostSide::Client && c.conn[k] == 0)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let k = stride(rows.len());
    let mut p = Progress {
        stride: k,
        t: Vec::new(),
        data_ack: Vec::new(),
        ooo_bytes: Vec::new(),
    };
    for chunk in rows.chunks(k) {
        p.t.push(c.time_s[chunk[0]]);
        p.data_ack.push(chunk.iter().map(|&i| c.data_ack[i]).max().unwrap_or(0));
        p.ooo_bytes
            .push(chunk.iter().map(|&i| c.ooo_bytes[i]).max().unwrap_or(0));
    }
    Some(p)
}

/// A bar of the sequence graph: time (ns), first byte, end, reinjected,
/// new data.
type Bar = (u64, u64, u64, bool, bool);

/// Builds connection 0's sequence graph from its records (server data and
/// client data-ACKs, in time order), thinned past [`MAX_SEGMENT_MARKS`].
pub struct SequenceBuilder {
    n_ifaces: usize,
    /// (time ns, iface, seq start, len, reinjected) of connection 0's data.
    segs: Vec<(u64, usize, u64, u64, bool)>,
    /// (time ns, data-ACK) whenever it changed.
    acks: Vec<(u64, u64)>,
}

impl SequenceBuilder {
    /// For a run with `n_ifaces` client interfaces.
    pub fn new(n_ifaces: usize) -> Self {
        SequenceBuilder {
            n_ifaces,
            segs: Vec::new(),
            acks: Vec::new(),
        }
    }

    /// Takes one record (any connection's; only connection 0's are kept).
    pub fn push(&mut self, r: &SeqRecord) {
        if r.conn != 0 {
            return;
        }
        let t = r.time.as_nanos();
        if r.from_server && r.len > 0 && r.iface < self.n_ifaces {
            self.segs.push((t, r.iface, r.dsn, r.len, r.reinjected));
        }
        if !r.from_server
            && let Some(a) = r.data_ack
            && self.acks.last().is_none_or(|l| l.1 != a)
        {
            self.acks.push((t, a));
        }
    }

    /// The graph, or `None` when connection 0's server sent no data.
    pub fn finish(self) -> Option<Sequence> {
        let (first, last) = (self.segs.first()?, self.segs.last()?);
        let (t0, t1) = (first.0, last.0);
        let secs = |ns: u64| sim_core::SimTime::from_nanos(ns).as_secs_f64();
        let mut s0 = f64::INFINITY;
        let mut s1 = 0.0f64;
        for s in &self.segs {
            s0 = s0.min(s.2 as f64);
            s1 = s1.max((s.2 + s.3) as f64);
        }
        let segments = self.segs.len();
        // The bucket of a mark is found in integer nanoseconds (in
        // floating point, (t - t0) / w put a time on a bucket's boundary
        // into the bucket before it as often as not); at least 1 us.
        let bucket_ns = (segments > MAX_SEGMENT_MARKS).then(|| ((t1 - t0) / SEQ_BUCKETS as u64).max(1_000));
        // Data-ACKs before the first data segment fall in buckets before 0.
        let bucket = |t: u64, w: u64| (t as i128 - t0 as i128).div_euclid(w as i128);
        // Marks per interface: (time, start, end, reinjected, new data).
        // When thinned, new data (beyond the highest byte sent before it)
        // of one interface and bucket becomes one bar from its lowest to
        // its highest byte, although the other interfaces' data may lie
        // between (a scheduler interleaves them); older data, sent again,
        // is merged only where it touches, so a retransmission stays a bar
        // of its own.
        let mut marks: Vec<Vec<Bar>> = vec![Vec::new(); self.n_ifaces];
        let mut highest = 0u64;
        for &(t, iface, s, len, re) in &self.segs {
            let fresh = !re && s + len > highest;
            highest = highest.max(s + len);
            let m = &mut marks[iface];
            if let Some(w) = bucket_ns
                && let Some(cur) = m.last_mut()
                && bucket(cur.0, w) == bucket(t, w)
                && cur.3 == re
                && cur.4 == fresh
                && (fresh || (s <= cur.2 && s + len >= cur.1))
            {
                cur.1 = cur.1.min(s);
                cur.2 = cur.2.max(s + len);
                continue;
            }
            m.push((t, s, s + len, re, fresh));
        }
        // Microseconds, rounded half up.
        let us = |t: u64| (t.saturating_add(500) / 1000) as i64;
        let data = marks
            .into_iter()
            .map(|m| {
                let mut out = SeqMarks::default();
                let (mut pt, mut ps) = (0i64, 0i64);
                for (k, (t, s, e, re, _)) in m.into_iter().enumerate() {
                    out.t_us.push(us(t) - pt);
                    out.seq.push(s as i64 - ps);
                    out.len.push(e - s);
                    (pt, ps) = (us(t), s as i64);
                    if re {
                        out.reinjected.push(k);
                    }
                }
                out
            })
            .collect();
        // Data-ACKs: every change, or when thinned the last of each bucket.
        let mut acks = self.acks;
        if let Some(w) = bucket_ns {
            let mut kept: Vec<(u64, u64)> = Vec::new();
            for a in acks {
                match kept.last_mut() {
                    Some(l) if bucket(l.0, w) == bucket(a.0, w) => l.1 = a.1,
                    _ => kept.push(a),
                }
            }
            acks = kept;
        }
        let (mut ack_t_us, mut ack_seq) = (Vec::new(), Vec::new());
        let (mut pt, mut ps) = (0i64, 0i64);
        for (t, a) in acks {
            ack_t_us.push(us(t) - pt);
            ack_seq.push(a as i64 - ps);
            (pt, ps) = (us(t), a as i64);
        }
        Some(Sequence {
            bucket_s: bucket_ns.map(secs),
            segments,
            data,
            ack_t_us,
            ack_seq,
            t0: secs(t0),
            t1: secs(t1),
            s0,
            s1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeseries::SubflowSample;
    use sim_core::SimTime;

    fn undelta(v: &[i64]) -> Vec<i64> {
        v.iter()
            .scan(0i64, |acc, d| {
                *acc += d;
                Some(*acc)
            })
            .collect()
    }

    fn fixture(samples: usize) -> (TimeSeries, Vec<String>) {
        let mut ts = TimeSeries::default();
        for k in 0..samples {
            let now = SimTime::from_millis(10 * k as u64);
            for (sf, iface) in [(0usize, 0usize), (1, 1)] {
                if sf == 1 && k < 3 {
                    continue; // the second subflow joins later
                }
                ts.push_subflow(
                    now,
                    SubflowSample {
                        host: HostSide::Server,
                        conn: 0,
                        subflow: sf,
                        iface,
                        cwnd_bytes: 14_600 + 1_000 * (k as u64 % 7) + sf as u64,
                        srtt_ms: (k > 0).then_some(20.0 + (k % 5) as f64 * 0.3333 + sf as f64),
                        bytes_in_flight: 0,
                        bytes_acked: 1460 * k as u64,
                    },
                );
            }
            ts.push_conn(now, HostSide::Client, 0, if k == 4 { 2920 } else { 0 }, 1460 * k as u64);
        }
        (ts, vec!["wifi".to_string(), "cell".to_string()])
    }

    #[test]
    fn the_embedded_series_are_what_timeseries_csv_holds() {
        let (ts, names) = fixture(50);
        let csv = ts.write_csv(&names);
        let back = TimeSeries::from_csv("fixture", &csv, &names).expect("reads back");
        let sub = subflow_series(&ts.rounded(), &names).expect("subflows");
        let prog = progress(&ts.rounded()).expect("progress");
        assert_eq!(sub.stride, 1);
        // Every row of the file is one value of the report, at its time.
        let s = &back.subflows;
        for i in 0..s.time_s.len() {
            let line = sub
                .lines
                .iter()
                .find(|l| l.iface == s.iface[i] && l.label.ends_with(&format!("(subflow {})", s.subflow[i])))
                .expect("a line per subflow");
            let k = sub.t.iter().position(|&t| t == s.time_s[i]).expect("its instant");
            assert_eq!(line.cwnd_bytes[k], Some(s.cwnd_bytes[i]));
            assert_eq!(line.srtt_ms[k], s.srtt_ms[i]);
        }
        // And nothing else: a subflow has no value before it was sampled.
        let cell = sub.lines.iter().find(|l| l.iface == 1).expect("cell");
        assert_eq!(cell.cwnd_bytes.iter().filter(|v| v.is_some()).count(), 47);
        assert_eq!(cell.label, "cell (subflow 1)");
        let c = &back.conns;
        assert_eq!(prog.t, c.time_s);
        assert_eq!(prog.data_ack, c.data_ack);
        assert_eq!(prog.ooo_bytes, c.ooo_bytes);
        // And as JSON, the same numbers.
        let json = serde_json::to_value(&sub).expect("json");
        assert_eq!(
            json["lines"][0]["srtt_ms"][1],
            serde_json::json!(s.srtt_ms[1].expect("sampled"))
        );
    }

    #[test]
    fn long_series_keep_the_maximum_of_each_stride() {
        let (ts, names) = fixture(5_000);
        let sub = subflow_series(&ts, &names).expect("subflows");
        assert_eq!(sub.stride, 3);
        assert!(sub.t.len() <= MAX_SERIES_POINTS);
        assert_eq!(sub.t[1], 0.03);
        // Samples 3, 4, 5 of subflow 0: cwnd 14600 + 1000 x (3, 4, 5).
        assert_eq!(sub.lines[0].cwnd_bytes[1], Some(19_600));
        let prog = progress(&ts).expect("progress");
        // The out-of-order spike of sample 4 survives the thinning.
        assert_eq!(prog.ooo_bytes[1], 2920);
        assert_eq!(prog.data_ack[1], 1460 * 5);
    }

    fn rec(t_ms: u64, iface: usize, dsn: u64, len: u64, reinjected: bool) -> SeqRecord {
        SeqRecord {
            time: SimTime::from_millis(t_ms),
            iface,
            from_server: true,
            dsn,
            len,
            data_ack: None,
            reinjected,
            conn: 0,
        }
    }

    fn ack(t_ms: u64, a: u64) -> SeqRecord {
        SeqRecord {
            from_server: false,
            len: 0,
            dsn: 0,
            data_ack: Some(a),
            ..rec(t_ms, 0, 0, 0, false)
        }
    }

    #[test]
    fn a_short_sequence_keeps_every_segment_and_every_new_data_ack() {
        let mut b = SequenceBuilder::new(2);
        for r in [
            rec(1, 0, 0, 1000, false),
            ack(2, 1000),
            ack(3, 1000),
            rec(4, 1, 1000, 500, false),
            rec(5, 1, 0, 1000, true),
            ack(6, 1500),
        ] {
            b.push(&r);
        }
        let s = b.finish().expect("data");
        assert_eq!(s.bucket_s, None);
        assert_eq!(undelta(&s.data[0].t_us), vec![1000]);
        assert_eq!(undelta(&s.data[1].t_us), vec![4000, 5000]);
        assert_eq!(undelta(&s.data[1].seq), vec![1000, 0]);
        assert_eq!(s.data[1].len, vec![500, 1000]);
        assert_eq!(s.data[1].reinjected, vec![1]);
        assert_eq!(undelta(&s.ack_t_us), vec![2000, 6000]);
        assert_eq!(undelta(&s.ack_seq), vec![1000, 1500]);
        assert_eq!((s.s0, s.s1), (0.0, 1500.0));
    }

    #[test]
    fn a_long_sequence_of_two_interleaved_interfaces_keeps_a_bar_per_interface_and_bucket() {
        let mut b = SequenceBuilder::new(2);
        let n = 4 * MAX_SEGMENT_MARKS as u64;
        // The scheduler alternates the interfaces: each one's data has
        // holes where the other's lies.
        for k in 0..n {
            b.push(&SeqRecord {
                time: SimTime::from_micros(10 * k),
                ..rec(0, (k % 2) as usize, 1000 * k, 1000, false)
            });
        }
        let s = b.finish().expect("data");
        assert!(s.bucket_s.is_some());
        for (i, m) in s.data.iter().enumerate() {
            assert!(m.len.len() <= SEQ_BUCKETS + 1, "iface {i}: {} marks", m.len.len());
            // The bars of one interface reach from its first to its last byte.
            let seq = undelta(&m.seq);
            let last = seq.len() - 1;
            assert_eq!(seq[0], 1000 * i as i64);
            assert_eq!(seq[last] as u64 + m.len[last], 1000 * (n - 2 + i as u64) + 1000);
        }
    }

    #[test]
    fn a_mark_on_a_buckets_boundary_starts_that_bucket() {
        // 40,001 segments 1 ms apart: 4 ms buckets, four segments in each
        // (the last alone). In floating point 1,297 of them fell into the
        // bucket before their own (0.172 s / 0.004 s is 42.999...).
        let mut b = SequenceBuilder::new(1);
        let n = MAX_SEGMENT_MARKS as u64 + 1;
        for k in 0..n {
            b.push(&rec(k, 0, 1000 * k, 1000, false));
        }
        let s = b.finish().expect("data");
        assert_eq!(s.bucket_s, Some(0.004));
        let marks = &s.data[0];
        assert_eq!(marks.len.len(), 10_001);
        assert!(marks.len[..10_000].iter().all(|&l| l == 4000), "{:?}", &marks.len[..8]);
        assert_eq!(undelta(&marks.t_us)[..4], [0, 4000, 8000, 12000]);
    }

    #[test]
    fn a_long_sequence_merges_contiguous_segments_of_a_bucket_but_not_a_retransmission() {
        let mut b = SequenceBuilder::new(1);
        let n = MAX_SEGMENT_MARKS as u64 + 10;
        // One segment per 100 us for n segments, then an old one again.
        for k in 0..n {
            b.push(&SeqRecord {
                time: SimTime::from_micros(100 * k),
                ..rec(0, 0, 1000 * k, 1000, false)
            });
        }
        b.push(&SeqRecord {
            time: SimTime::from_micros(100 * (n - 1)),
            ..rec(0, 0, 0, 1000, false)
        });
        let s = b.finish().expect("data");
        let w = s.bucket_s.expect("thinned");
        assert!((w - 100e-6 * (n - 1) as f64 / SEQ_BUCKETS as f64).abs() < 1e-12);
        let marks = &s.data[0];
        assert!(marks.len.len() <= SEQ_BUCKETS + 2, "{} marks", marks.len.len());
        // Together the marks cover every byte once, and the old segment
        // stays a mark of its own at the end.
        let total: u64 = marks.len.iter().sum();
        assert_eq!(total, 1000 * n + 1000);
        assert_eq!(*undelta(&marks.seq).last().expect("marks"), 0);
    }
}
