//! The run's time series as typed columns: per subflow (cwnd, smoothed
//! RTT, bytes in flight, bytes acknowledged) and per connection (the
//! receiver's out-of-order bytes and data-ACK), sampled every
//! `record.sample_interval`. They stay columns until written:
//! [`TimeSeries::write_csv`] makes `timeseries.csv`, and
//! [`TimeSeries::from_csv`] reads one back (for `mpsim plot`).
//!
//! The file names an interface by its name (as `metrics.json` and
//! `sequence.csv` do); the columns hold its index into the run's client
//! interfaces, and the names are given to [`TimeSeries::write_csv`] and
//! [`TimeSeries::from_csv`]. The data-ACK is relative: bytes from the first
//! data byte of the data it acknowledges (see `docs/outputs.md`).
//!
//! `timeseries.csv` interleaves the two kinds of rows as they were sampled
//! (at each instant, per host, per connection: its subflows' rows, then
//! its own); the columns keep that order. Times are written in seconds
//! with 6 decimals and the smoothed RTT in milliseconds with 3:
//! [`TimeSeries::rounded`] gives the values as the file holds them, which is
//! what the figures draw, so that `mpsim plot` redraws exactly the figures
//! of the run.

#![warn(missing_docs)]

use std::fmt::Write as _;

use sim_core::SimTime;

/// Which host a sample was taken at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HostSide {
    /// The client host.
    Client,
    /// The server host.
    Server,
}

impl HostSide {
    /// As `timeseries.csv` names it.
    pub fn name(self) -> &'static str {
        match self {
            HostSide::Client => "client",
            HostSide::Server => "server",
        }
    }
}

/// One column per field of a subflow's samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubflowColumns {
    /// When, in seconds of simulated time.
    pub time_s: Vec<f64>,
    /// Where the subflow's endpoint is.
    pub host: Vec<HostSide>,
    /// The connection's index in the scenario.
    pub conn: Vec<usize>,
    /// The subflow's id in its connection.
    pub subflow: Vec<usize>,
    /// Index into the run's client interfaces (`RunOutput::iface_names`).
    pub iface: Vec<usize>,
    /// Congestion window.
    pub cwnd_bytes: Vec<u64>,
    /// Smoothed RTT in milliseconds, `None` before the first RTT sample.
    pub srtt_ms: Vec<Option<f64>>,
    /// Bytes sent and not acknowledged (RFC 6675 pipe).
    pub bytes_in_flight: Vec<u64>,
    /// Bytes of the subflow's own sequence space acknowledged so far.
    pub bytes_acked: Vec<u64>,
}

/// One column per field of a connection's samples (taken where the
/// connection receives data).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConnColumns {
    /// When, in seconds of simulated time.
    pub time_s: Vec<f64>,
    /// Where the receiving connection is.
    pub host: Vec<HostSide>,
    /// The connection's index in the scenario.
    pub conn: Vec<usize>,
    /// The data-level out-of-order queue.
    pub ooo_bytes: Vec<u64>,
    /// The data-ACK, relative: 0 acknowledges nothing, n the first n bytes
    /// the peer sent.
    pub data_ack: Vec<u64>,
    /// How many subflow rows were sampled before each connection row (the
    /// order of the file's rows).
    subflow_rows_before: Vec<usize>,
}

/// The time series of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeSeries {
    /// Per-subflow samples.
    pub subflows: SubflowColumns,
    /// Per-connection samples.
    pub conns: ConnColumns,
}

/// The header of `timeseries.csv`.
pub const HEADER: &str =
    "time_s,host,conn,subflow,iface,cwnd_bytes,srtt_ms,bytes_in_flight,bytes_acked,ooo_bytes,data_ack";

/// One subflow sample, as [`TimeSeries::push_subflow`] takes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SubflowSample {
    /// Where the subflow's endpoint is.
    pub host: HostSide,
    /// The connection's index.
    pub conn: usize,
    /// The subflow's id.
    pub subflow: usize,
    /// The client interface index.
    pub iface: usize,
    /// Congestion window.
    pub cwnd_bytes: u64,
    /// Smoothed RTT, ms.
    pub srtt_ms: Option<f64>,
    /// Bytes in flight.
    pub bytes_in_flight: u64,
    /// Bytes acknowledged so far.
    pub bytes_acked: u64,
}

impl TimeSeries {
    /// Nothing sampled.
    pub fn is_empty(&self) -> bool {
        self.subflows.time_s.is_empty() && self.conns.time_s.is_empty()
    }

    /// Appends a subflow's sample taken at `at`.
    pub fn push_subflow(&mut self, at: SimTime, s: SubflowSample) {
        let c = &mut self.subflows;
        c.time_s.push(at.as_secs_f64());
        c.host.push(s.host);
        c.conn.push(s.conn);
        c.subflow.push(s.subflow);
        c.iface.push(s.iface);
        c.cwnd_bytes.push(s.cwnd_bytes);
        c.srtt_ms.push(s.srtt_ms);
        c.bytes_in_flight.push(s.bytes_in_flight);
        c.bytes_acked.push(s.bytes_acked);
    }

    /// Appends a connection's sample taken at `at`.
    pub fn push_conn(&mut self, at: SimTime, host: HostSide, conn: usize, ooo_bytes: u64, data_ack: u64) {
        let c = &mut self.conns;
        c.time_s.push(at.as_secs_f64());
        c.host.push(host);
        c.conn.push(conn);
        c.ooo_bytes.push(ooo_bytes);
        c.data_ack.push(data_ack);
        c.subflow_rows_before.push(self.subflows.time_s.len());
    }

    /// One subflow row: the text of [`Self::subflow_row_fmt`], with the
    /// time and the RTT by [`push_fixed`] (`{:.6}` and `{:.3}` through
    /// `core::fmt` cost about 1,500 instructions a row) and the interface
    /// name not copied into a `String` first.
    fn subflow_row(&self, i: usize, names: &[String], out: &mut String) {
        #[cfg(debug_assertions)]
        let start = out.len();
        let c = &self.subflows;
        push_fixed::<6>(out, c.time_s[i]);
        let _ = write!(out, ",{},{},{},", c.host[i].name(), c.conn[i], c.subflow[i]);
        match names.get(c.iface[i]) {
            Some(name) => out.push_str(name),
            None => {
                let _ = write!(out, "{}", c.iface[i]);
            }
        }
        let _ = write!(out, ",{},", c.cwnd_bytes[i]);
        if let Some(v) = c.srtt_ms[i] {
            push_fixed::<3>(out, v);
        }
        let _ = writeln!(out, ",{},{},,", c.bytes_in_flight[i], c.bytes_acked[i]);
        #[cfg(debug_assertions)]
        {
            let mut general = String::new();
            self.subflow_row_fmt(i, names, &mut general);
            debug_assert_eq!(
                out[start..],
                general,
                "timeseries.csv subflow row differs from write!'s"
            );
        }
    }

    /// The general form of [`Self::subflow_row`], through `core::fmt`.
    #[cfg(any(test, debug_assertions))]
    fn subflow_row_fmt(&self, i: usize, names: &[String], out: &mut String) {
        let c = &self.subflows;
        let iface = names
            .get(c.iface[i])
            .map_or_else(|| c.iface[i].to_string(), String::clone);
        let _ = writeln!(
            out,
            "{:.6},{},{},{},{},{},{},{},{},,",
            c.time_s[i],
            c.host[i].name(),
            c.conn[i],
            c.subflow[i],
            iface,
            c.cwnd_bytes[i],
            c.srtt_ms[i].map_or(String::new(), |v| format!("{v:.3}")),
            c.bytes_in_flight[i],
            c.bytes_acked[i],
        );
    }

    fn conn_row(&self, k: usize, out: &mut String) {
        let c = &self.conns;
        push_fixed::<6>(out, c.time_s[k]);
        let _ = writeln!(
            out,
            ",{},{},,,,,,,{},{}",
            c.host[k].name(),
            c.conn[k],
            c.ooo_bytes[k],
            c.data_ack[k]
        );
    }

    /// `timeseries.csv`: the header, then the rows in the order sampled;
    /// `names`: the client interfaces' names, by index.
    pub fn write_csv(&self, names: &[String]) -> String {
        let mut out = String::with_capacity(64 * (self.subflows.time_s.len() + self.conns.time_s.len() + 1));
        out.push_str(HEADER);
        out.push('\n');
        let mut i = 0;
        for k in 0..self.conns.time_s.len() {
            while i < self.conns.subflow_rows_before[k] {
                self.subflow_row(i, names, &mut out);
                i += 1;
            }
            self.conn_row(k, &mut out);
        }
        while i < self.subflows.time_s.len() {
            self.subflow_row(i, names, &mut out);
            i += 1;
        }
        out
    }

    /// The series as `timeseries.csv` holds it: times rounded to the
    /// microsecond and RTTs to the microsecond of a millisecond.
    pub fn rounded(&self) -> TimeSeries {
        let r = |v: f64, d: i32| {
            let f = 10f64.powi(d);
            format!("{:.*}", d as usize, v).parse().unwrap_or((v * f).round() / f)
        };
        let mut t = self.clone();
        for v in t.subflows.time_s.iter_mut().chain(t.conns.time_s.iter_mut()) {
            *v = r(*v, 6);
        }
        for v in t.subflows.srtt_ms.iter_mut().flatten() {
            *v = r(*v, 3);
        }
        t
    }

    /// Reads `timeseries.csv` text; `what` names it in errors, which give
    /// the line and the field that is wrong; `names`: the client
    /// interfaces' names, which the `iface` column holds.
    pub fn from_csv(what: &str, text: &str, names: &[String]) -> Result<TimeSeries, String> {
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, h)) if h == HEADER => {}
            Some((_, h)) => {
                return Err(format!(
                    "{what}:1: the header is {h:?}; expected {HEADER:?} (a timeseries.csv written by mpsim)"
                ));
            }
            None => return Err(format!("{what}: empty; expected a header line then samples")),
        }
        let mut ts = TimeSeries::default();
        for (n, line) in lines {
            let at = n + 1;
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 11 {
                return Err(format!("{what}:{at}: {} fields; expected 11", f.len()));
            }
            let bad =
                |col: usize, e: &dyn std::fmt::Display| format!("{what}:{at}: column {} ({:?}): {e}", col + 1, f[col]);
            let num = |col: usize| f[col].parse::<u64>().map_err(|e| bad(col, &e));
            let idx = |col: usize| f[col].parse::<usize>().map_err(|e| bad(col, &e));
            let time_s: f64 = f[0].parse().map_err(|e| bad(0, &e))?;
            if !time_s.is_finite() || time_s < 0.0 {
                return Err(bad(0, &"expected a time in seconds, 0 or more"));
            }
            let host = match f[1] {
                "client" => HostSide::Client,
                "server" => HostSide::Server,
                _ => return Err(bad(1, &"expected client or server")),
            };
            let conn = idx(2)?;
            let at_time = SimTime::from_nanos((time_s * 1e9).round() as u64);
            if f[3].is_empty() {
                ts.push_conn(at_time, host, conn, num(9)?, num(10)?);
                *ts.conns.time_s.last_mut().expect("pushed") = time_s;
            } else {
                let srtt_ms = if f[6].is_empty() {
                    None
                } else {
                    Some(f[6].parse::<f64>().map_err(|e| bad(6, &e))?)
                };
                ts.push_subflow(
                    at_time,
                    SubflowSample {
                        host,
                        conn,
                        subflow: idx(3)?,
                        iface: names.iter().position(|n| n == f[4]).ok_or_else(|| {
                            bad(
                                4,
                                &format!("not an interface of the run; expected one of {}", names.join(", ")),
                            )
                        })?,
                        cwnd_bytes: num(5)?,
                        srtt_ms,
                        bytes_in_flight: num(7)?,
                        bytes_acked: num(8)?,
                    },
                );
                *ts.subflows.time_s.last_mut().expect("pushed") = time_s;
            }
        }
        Ok(ts)
    }
}

/// Appends `x` with `D` decimals: what `write!(out, "{x:.D$}")` appends
/// (the exact decimal value of `x`, rounded to nearest).
///
/// For `0 <= x` with `x * 10^D` below 2^40 (every time and RTT of a run),
/// the digits come from the integer nearest to `x * 10^D`, computed in
/// floating point: that product is within 2^-14 of the exact one, so
/// whenever its fraction is more than 10^-3 away from one half the nearest
/// integer is the exact product's too. Everything else (a fraction near one
/// half, a negative zero, huge, infinite or NaN values) goes through
/// `core::fmt`; debug builds compare every value with it, as does a
/// property test.
fn push_fixed<const D: u32>(out: &mut String, x: f64) {
    let scale = 10u64.pow(D);
    let y = x * scale as f64;
    // `y < 2^40` is false for NaN; the sign test excludes -0.0.
    if x.is_sign_positive() && y < (1u64 << 40) as f64 && (y - y.floor() - 0.5).abs() > 1e-3 {
        #[cfg(debug_assertions)]
        let start = out.len();
        let m = y.round() as u64;
        let mut int = [0u8; 20];
        let n = crate::run::put_decimal(&mut int, m / scale);
        out.push_str(std::str::from_utf8(&int[..n]).expect("ASCII digits"));
        out.push('.');
        let mut frac = [b'0'; 20];
        let digits = &mut frac[..D as usize];
        let mut f = m % scale;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (f % 10) as u8;
            f /= 10;
        }
        out.push_str(std::str::from_utf8(digits).expect("ASCII digits"));
        #[cfg(debug_assertions)]
        debug_assert_eq!(
            out[start..],
            format!("{:.*}", D as usize, x),
            "fixed-point digits of {x:e}"
        );
        return;
    }
    let _ = write!(out, "{:.*}", D as usize, x);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixed<const D: u32>(x: f64) -> String {
        let mut s = String::new();
        push_fixed::<D>(&mut s, x);
        s
    }

    proptest! {
        #[test]
        fn fixed_point_digits_are_what_format_writes_for_any_float(bits: u64) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(fixed::<6>(x), format!("{x:.6}"));
            prop_assert_eq!(fixed::<3>(x), format!("{x:.3}"));
        }

        #[test]
        fn fixed_point_digits_are_what_format_writes_for_times_and_rtts(nanos in 0u64..1_000_000_000_000_000, div in 0u32..4) {
            // Times in seconds and RTTs in ms, as the series holds them; and
            // values near the halfway points of the decimals kept.
            let x = nanos as f64 / [1e9, 1e6, 1e3, 1.0][div as usize];
            prop_assert_eq!(fixed::<6>(x), format!("{x:.6}"));
            prop_assert_eq!(fixed::<3>(x), format!("{x:.3}"));
            let half = (nanos % 1_000_000) as f64 + 0.5;
            for y in [half / 1e6, half / 1e3, half / 1e6 + 1e-12, half / 1e3 - 1e-9] {
                prop_assert_eq!(fixed::<6>(y), format!("{y:.6}"));
                prop_assert_eq!(fixed::<3>(y), format!("{y:.3}"));
            }
        }
    }

    #[test]
    fn fixed_point_digits_of_ties_zeros_and_extremes_are_what_format_writes() {
        for x in [
            0.0,
            -0.0,
            0.0078125,
            20.0625,
            0.5,
            1.5,
            2.5,
            0.0005,
            0.0000005,
            999_999.999_999_5,
            1e12,
            1e30,
            -1.25,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            assert_eq!(fixed::<6>(x), format!("{x:.6}"), "{x:e}");
            assert_eq!(fixed::<3>(x), format!("{x:.3}"), "{x:e}");
        }
    }

    #[test]
    fn rows_written_by_hand_are_the_rows_write_formats() {
        let mut ts = series();
        ts.push_subflow(SimTime::from_nanos(7), sample(HostSide::Client, 5, Some(0.0005)));
        for i in 0..ts.subflows.time_s.len() {
            for names in [names(), Vec::new()] {
                let (mut fast, mut general) = (String::new(), String::new());
                ts.subflow_row(i, &names, &mut fast);
                ts.subflow_row_fmt(i, &names, &mut general);
                assert_eq!(fast, general);
            }
        }
    }

    fn sample(host: HostSide, subflow: usize, srtt_ms: Option<f64>) -> SubflowSample {
        SubflowSample {
            host,
            conn: 0,
            subflow,
            iface: subflow,
            cwnd_bytes: 14_600,
            srtt_ms,
            bytes_in_flight: 2_920,
            bytes_acked: 1_000_000,
        }
    }

    fn names() -> Vec<String> {
        vec!["wifi".into(), "cell".into()]
    }

    fn series() -> TimeSeries {
        let mut ts = TimeSeries::default();
        let t = SimTime::from_nanos(10_000_123_456);
        ts.push_subflow(t, sample(HostSide::Client, 0, Some(20.1234)));
        ts.push_subflow(t, sample(HostSide::Client, 1, None));
        ts.push_conn(t, HostSide::Client, 0, 1460, 77);
        ts.push_subflow(t, sample(HostSide::Server, 0, Some(21.0)));
        ts
    }

    #[test]
    fn the_csv_keeps_the_sampling_order_of_subflow_and_connection_rows() {
        let text = series().write_csv(&names());
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows[0], HEADER);
        assert_eq!(rows[1], "10.000123,client,0,0,wifi,14600,20.123,2920,1000000,,");
        assert_eq!(rows[2], "10.000123,client,0,1,cell,14600,,2920,1000000,,");
        assert_eq!(rows[3], "10.000123,client,0,,,,,,,1460,77");
        assert_eq!(rows[4], "10.000123,server,0,0,wifi,14600,21.000,2920,1000000,,");
        assert_eq!(rows.len(), 5);
    }

    #[test]
    fn a_written_series_reads_back_as_its_rounded_values_and_writes_the_same_text() {
        let ts = series();
        let text = ts.write_csv(&names());
        let back = TimeSeries::from_csv("t.csv", &text, &names()).unwrap();
        assert_eq!(back, ts.rounded());
        assert_eq!(back.write_csv(&names()), text);
    }

    #[test]
    fn a_damaged_file_is_refused_with_its_line_and_column() {
        let text = series().write_csv(&names()).replace("14600,,2920", "14600,,x");
        let e = TimeSeries::from_csv("t.csv", &text, &names()).unwrap_err();
        assert!(e.starts_with("t.csv:3: column 8"), "{e}");
        let text = series().write_csv(&names()).replace(",cell,", ",lte,");
        let e = TimeSeries::from_csv("t.csv", &text, &names()).unwrap_err();
        assert!(
            e.starts_with("t.csv:3: column 5 (\"lte\"): not an interface of the run; expected one of wifi, cell"),
            "{e}"
        );
        let e = TimeSeries::from_csv("t.csv", "time,host\n", &names()).unwrap_err();
        assert!(e.contains("expected \"time_s,host"), "{e}");
    }
}
