//! The rows of `results.csv` (one per run) and `summary.csv` (one per point).
//!
//! A run's row is made once, when it finishes, and kept as CSV text: the
//! journal, `results.csv` and a merge of shards all hold the same bytes for
//! the same run, whatever the order runs finished in or the machine they ran
//! on. `summary.csv` is computed from those rows in run order, so it is the
//! same too.

use crate::run::Metrics;
use crate::sweep::plan::{CONN_METRICS, PlanInfo};

/// The columns of `results.csv`.
pub fn results_header(info: &PlanInfo) -> Vec<String> {
    let mut h: Vec<String> = ["run", "point", "seed"].iter().map(|s| s.to_string()).collect();
    h.extend(info.axes.iter().map(|a| a.name.clone()));
    h.push("status".into());
    h.push("outcome".into());
    h.extend(info.metrics.iter().cloned());
    h.push("error".into());
    h
}

/// The index of the `status` column in a row of `results.csv` (after run,
/// point, seed and the axes; the run's `outcome` follows it, then the
/// metrics).
pub fn status_col(info: &PlanInfo) -> usize {
    3 + info.axes.len()
}

/// How a run ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    Ok(Box<Metrics>),
    Failed(String),
}

/// The fields of run `r`'s row.
pub fn result_row(info: &PlanInfo, r: usize, outcome: &Outcome) -> Vec<String> {
    let (p, seed) = info.run_point_seed(r);
    let mut row = vec![r.to_string(), p.to_string(), seed.to_string()];
    row.extend(info.axes.iter().zip(&info.points[p]).map(|(a, &i)| a.labels[i].clone()));
    match outcome {
        Outcome::Ok(m) => {
            row.push("ok".into());
            row.push(m.outcome.into());
            row.extend(metric_values(info, m));
            row.push(String::new());
        }
        Outcome::Failed(e) => {
            row.push("failed".into());
            row.push(String::new());
            row.extend(info.metrics.iter().map(|_| String::new()));
            row.push(e.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    row
}

/// The metric columns of a finished run, as text (empty: not measured,
/// such as the completion time of a transfer that did not finish).
fn metric_values(info: &PlanInfo, m: &Metrics) -> Vec<String> {
    info.metrics.iter().map(|name| metric_value(name, m)).collect()
}

/// One metric column's value, by its name (`events`, a flow summary
/// metric, or a connection metric with its `cN_` prefix when there is one).
fn metric_value(name: &str, m: &Metrics) -> String {
    let f = &m.flows;
    let opt = |x: Option<f64>| x.map_or(String::new(), num);
    match name {
        "events" => return m.events.to_string(),
        "flows" => return f.flows.to_string(),
        "flows_completed" => return f.completed.to_string(),
        "total_goodput_mbps" => return num(f.total_goodput_mbps),
        "jain_index" => return opt(f.jain_index),
        "min_goodput_mbps" => return num(f.goodput_mbps_min),
        "p10_goodput_mbps" => return num(f.goodput_mbps_p10),
        "median_goodput_mbps" => return num(f.goodput_mbps_median),
        "first_over_second_goodput" => return opt(f.first_over_second_goodput),
        "p99_completion_s" => return opt(f.completion_s_p99),
        _ => {}
    }
    // `cK_metric`, or a bare metric of connection 0.
    let (k, metric) = match name.strip_prefix('c').and_then(|r| r.split_once('_')) {
        Some((digits, rest)) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            (digits.parse::<usize>().unwrap_or(usize::MAX), rest)
        }
        _ => (0, name),
    };
    debug_assert!(CONN_METRICS.contains(&metric), "metric {name} has no value");
    let Some(c) = m.connections.get(k) else {
        return String::new();
    };
    let sum = |f: &dyn Fn(&crate::run::SubflowMetrics) -> u64| c.subflows.iter().map(f).sum::<u64>().to_string();
    match metric {
        "completion_s" => c.completion_s.map_or(String::new(), num),
        "goodput_mbps" => num(c.goodput_bps / 1e6),
        "bytes_delivered" => c.bytes_delivered.to_string(),
        "reinjected_bytes" => c.reinjected_bytes.to_string(),
        "meta_retransmitted_bytes" => c.meta_retransmitted_bytes.to_string(),
        "retransmitted_bytes" => sum(&|s| s.bytes_retransmitted),
        "rto_count" => sum(&|s| s.rto_count),
        "subflows" => c.subflows.len().to_string(),
        "ooo_max_bytes" => c.ooo_max_bytes.to_string(),
        other => unreachable!("metric {other} has no value"),
    }
}

/// A number as the CSV files write it: the shortest text that reads back
/// to the same f64 (deterministic, no locale).
pub fn num(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { String::new() }
}

/// A statistic as `summary.csv` writes it: rounded to 12 significant
/// digits, then the shortest text of that value (`0.15`, not
/// `0.15000000000000002`; the samples themselves have fewer digits than
/// that of meaning).
pub fn stat_num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let rounded: f64 = format!("{x:.11e}").parse().unwrap_or(x);
    // -0 reads as 0.
    num(rounded + 0.0)
}

/// One CSV line (with its newline) of `fields`.
pub fn csv_line(fields: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(fields);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Parses CSV text into records; the error names the line.
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        out.push(rec.iter().map(str::to_string).collect());
    }
    Ok(out)
}

/// How many of `rows` (of `results.csv`) ended with each outcome, in the
/// order of [`crate::run::OUTCOMES`] (failed runs have none).
pub fn outcome_counts(info: &PlanInfo, rows: &[Vec<String>]) -> [usize; 4] {
    let col = status_col(info) + 1;
    let mut n = [0; 4];
    for row in rows {
        if let Some(o) = row
            .get(col)
            .and_then(|o| crate::run::OUTCOMES.iter().position(|x| x == o))
        {
            n[o] += 1;
        }
    }
    n
}

/// `results.csv`: the header and the rows, in run order.
pub fn results_csv(info: &PlanInfo, rows: &[Vec<String>]) -> String {
    let mut s = csv_line(&results_header(info));
    for r in rows {
        s.push_str(&csv_line(r));
    }
    s
}

/// Mean, sample standard deviation and 95% confidence half-width
/// (Student's t) of finite samples; None for no sample. With one sample the
/// spread is unknown: sd and interval are None (written empty).
///
/// The sums are taken of the differences from the first sample (the
/// shifted-data algorithm), so identical samples have exactly their value
/// as mean and exactly 0 as sd, not float noise such as 4e-15.
pub fn stats(samples: &[f64]) -> Option<(f64, Option<f64>, Option<f64>)> {
    let n = samples.len();
    let &first = samples.first()?;
    let mean = first + samples.iter().map(|v| v - first).sum::<f64>() / n as f64;
    if n == 1 {
        return Some((mean, None, None));
    }
    let var = samples.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    Some((mean, Some(sd), Some(plots::t_975(n - 1) * sd / (n as f64).sqrt())))
}

/// `summary.csv` from the complete rows of `results.csv` (in run order):
/// per point, how many runs succeeded and, per metric, n, mean, sd and the
/// 95% confidence half-width (the interval is mean +- ci95). Failed runs and
/// empty values are left out of the statistics.
pub fn summary_csv(info: &PlanInfo, rows: &[Vec<String>]) -> String {
    let mut h: Vec<String> = vec!["point".into()];
    h.extend(info.axes.iter().map(|a| a.name.clone()));
    h.extend(["runs", "ok", "failed"].map(String::from));
    h.extend(crate::run::OUTCOMES.map(String::from));
    for m in &info.metrics {
        for s in ["n", "mean", "sd", "ci95"] {
            h.push(format!("{m}_{s}"));
        }
    }
    let mut out = csv_line(&h);
    for (p, samples) in point_samples(info, rows).iter().enumerate() {
        let mut line = vec![p.to_string()];
        line.extend(info.axes.iter().zip(&info.points[p]).map(|(a, &i)| a.labels[i].clone()));
        line.push(samples.runs.to_string());
        line.push(samples.ok.to_string());
        line.push((samples.runs - samples.ok).to_string());
        line.extend(samples.outcomes.iter().map(|n| n.to_string()));
        for values in &samples.metrics {
            line.push(values.len().to_string());
            match stats(values) {
                None => line.extend([String::new(), String::new(), String::new()]),
                Some((mean, sd, ci)) => {
                    line.push(stat_num(mean));
                    line.push(sd.map_or(String::new(), stat_num));
                    line.push(ci.map_or(String::new(), stat_num));
                }
            }
        }
        out.push_str(&csv_line(&line));
    }
    out
}

/// Per point: its runs, how many succeeded, how many of those ended with
/// each outcome (in the order of [`crate::run::OUTCOMES`]), and each
/// metric's values.
pub struct PointSamples {
    pub runs: usize,
    pub ok: usize,
    pub outcomes: [usize; 4],
    pub metrics: Vec<Vec<f64>>,
}

/// The samples of each point, from rows in run order.
pub fn point_samples(info: &PlanInfo, rows: &[Vec<String>]) -> Vec<PointSamples> {
    let status = status_col(info);
    let first_metric = status + 2;
    let mut out: Vec<PointSamples> = (0..info.points.len())
        .map(|_| PointSamples {
            runs: 0,
            ok: 0,
            outcomes: [0; 4],
            metrics: vec![Vec::new(); info.metrics.len()],
        })
        .collect();
    for row in rows {
        let Some(p) = row
            .get(1)
            .and_then(|p| p.parse::<usize>().ok())
            .filter(|p| *p < out.len())
        else {
            continue;
        };
        let s = &mut out[p];
        s.runs += 1;
        if row.get(status).map(String::as_str) != Some("ok") {
            continue;
        }
        s.ok += 1;
        if let Some(o) = row
            .get(status + 1)
            .and_then(|o| crate::run::OUTCOMES.iter().position(|x| x == o))
        {
            s.outcomes[o] += 1;
        }
        for (k, values) in s.metrics.iter_mut().enumerate() {
            if let Some(v) = row.get(first_metric + k).and_then(|t| t.parse::<f64>().ok()) {
                values.push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_known_samples_match_hand_computation() {
        // 2, 4, 6: mean 4, sd 2, t(2) = 4.303, ci = 4.303 * 2 / sqrt(3).
        let (m, sd, ci) = stats(&[2.0, 4.0, 6.0]).unwrap();
        assert_eq!(m, 4.0);
        assert_eq!(sd, Some(2.0));
        assert!((ci.unwrap() - 4.303 * 2.0 / 3f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn stats_of_one_sample_leave_spread_unknown() {
        assert_eq!(stats(&[5.0]), Some((5.0, None, None)));
        assert_eq!(stats(&[]), None);
    }

    #[test]
    fn identical_samples_have_their_value_as_mean_and_an_sd_and_interval_of_exactly_0() {
        for v in [0.1, 1.0 / 3.0, 47.123456789, 1e-7, 12_345_678.9] {
            let (m, sd, ci) = stats(&[v; 5]).unwrap();
            assert_eq!(m, v);
            assert_eq!(sd, Some(0.0));
            assert_eq!(ci, Some(0.0));
            assert_eq!(stat_num(sd.unwrap()), "0");
        }
        // The plain mean of these has noise: (3 x 0.1) / 3 != 0.1.
        assert_ne!([0.1; 3].iter().sum::<f64>() / 3.0, 0.1);
    }

    #[test]
    fn summary_statistics_are_written_to_12_significant_digits() {
        assert_eq!(stat_num((0.1 + 0.2) / 2.0), "0.15");
        assert_eq!(stat_num(4.303 * 2.0 / 3f64.sqrt()), "4.96867641665");
        assert_eq!(stat_num(28.0), "28");
        assert_eq!(stat_num(-0.0), "0");
        assert_eq!(stat_num(f64::NAN), "");
    }

    #[test]
    fn csv_lines_quote_commas_and_quotes_and_read_back() {
        let fields = vec!["1".to_string(), "a, b".into(), "say \"x\"".into(), String::new()];
        let line = csv_line(&fields);
        assert_eq!(line, "1,\"a, b\",\"say \"\"x\"\"\",\n");
        assert_eq!(parse_csv(&line).unwrap(), vec![fields]);
    }

    #[test]
    fn numbers_are_written_shortest_and_non_finite_as_empty() {
        assert_eq!(num(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(num(28.0), "28");
        assert_eq!(num(f64::NAN), "");
    }
}
