//! What a run's connections add up to: total goodput, how fairly it is
//! shared (Jain's index), the spread of per-flow goodput and of completion
//! times. Written as `flows` in `metrics.json`, and as columns of a sweep's
//! `results.csv` for scenarios of the topology form; and one row per
//! connection as `flows.csv` in a run directory with two connections or
//! more ([`flows_csv`]).

use serde::Serialize;

use crate::run::ConnMetrics;

/// The connections of a run, summarised.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowSummary {
    /// Connections in the run.
    pub flows: usize,
    /// Connections whose receiving application got every byte asked for.
    pub completed: usize,
    /// Sum of the connections' goodputs, in Mb/s.
    pub total_goodput_mbps: f64,
    /// Jain's fairness index of the goodputs (Jain, Chiu, Hawe, DEC-TR-301,
    /// 1984): (sum x)^2 / (n sum x^2), 1 when all are equal, 1/n when one
    /// flow has everything; `None` when every goodput is 0.
    pub jain_index: Option<f64>,
    /// The smallest, 10th percentile, median and largest goodput, in Mb/s
    /// (nearest-rank percentiles).
    pub goodput_mbps_min: f64,
    /// The 10th percentile goodput, in Mb/s.
    pub goodput_mbps_p10: f64,
    /// The median goodput, in Mb/s.
    pub goodput_mbps_median: f64,
    /// The largest goodput, in Mb/s.
    pub goodput_mbps_max: f64,
    /// The first connection's goodput over the second's (with two or more
    /// connections and a second that moved data): how a multipath
    /// connection fares against a single-path one on a shared bottleneck
    /// (RFC 6356's goal: about 1).
    pub first_over_second_goodput: Option<f64>,
    /// Mean completion time of the completed connections, in seconds.
    pub completion_s_mean: Option<f64>,
    /// 99th percentile completion time of the completed connections.
    pub completion_s_p99: Option<f64>,
}

/// Jain's fairness index of `xs`; `None` when they are all 0 (or empty).
pub fn jain_index(xs: &[f64]) -> Option<f64> {
    let sum: f64 = xs.iter().sum();
    let squares: f64 = xs.iter().map(|x| x * x).sum();
    (squares > 0.0).then(|| sum * sum / (xs.len() as f64 * squares))
}

/// The nearest-rank `p`-th percentile (0 < p <= 100) of sorted `xs`.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

impl FlowSummary {
    /// The summary of `conns`.
    pub fn of(conns: &[ConnMetrics]) -> FlowSummary {
        let mut goodput: Vec<f64> = conns.iter().map(|c| c.goodput_bps / 1e6).collect();
        let jain = jain_index(&goodput);
        goodput.sort_by(f64::total_cmp);
        let mut done: Vec<f64> = conns.iter().filter_map(|c| c.completion_s).collect();
        done.sort_by(f64::total_cmp);
        let pct = |p| percentile(&goodput, p).unwrap_or(0.0);
        FlowSummary {
            flows: conns.len(),
            completed: done.len(),
            total_goodput_mbps: goodput.iter().sum(),
            jain_index: jain,
            goodput_mbps_min: goodput.first().copied().unwrap_or(0.0),
            goodput_mbps_p10: pct(10.0),
            goodput_mbps_median: pct(50.0),
            goodput_mbps_max: goodput.last().copied().unwrap_or(0.0),
            first_over_second_goodput: match conns {
                [a, b, ..] if b.goodput_bps > 0.0 => Some(a.goodput_bps / b.goodput_bps),
                _ => None,
            },
            completion_s_mean: (!done.is_empty()).then(|| done.iter().sum::<f64>() / done.len() as f64),
            completion_s_p99: percentile(&done, 99.0),
        }
    }
}

/// `flows.csv`: one row per connection, in the scenario's order (generated
/// connections after the written ones): its index, ends, kind, subflows,
/// bytes, goodput and completion. `from` and `to` are host names (`client`
/// and `server` in the one-client form); an empty cell is a value that
/// does not exist (no completion, open-ended traffic).
pub fn flows_csv(conns: &[crate::scenario::ConnectionSpec], metrics: &[ConnMetrics]) -> String {
    let mut out = String::from(
        "conn,from,to,mptcp,subflows,start_s,bytes_requested,bytes_delivered,goodput_mbps,completion_s,reinjected_bytes\n",
    );
    for (k, (spec, m)) in conns.iter().zip(metrics).enumerate() {
        let from = spec.from.as_deref().unwrap_or("client");
        let to = spec.to.as_deref().unwrap_or("server");
        let opt = |v: Option<String>| v.unwrap_or_default();
        out += &format!(
            "{k},{from},{to},{},{},{},{},{},{},{},{}\n",
            m.mptcp,
            m.subflows.len(),
            spec.start.as_secs_f64(),
            opt(m.bytes_requested.map(|b| b.to_string())),
            m.bytes_delivered,
            m.goodput_bps / 1e6,
            opt(m.completion_s.map(|c| c.to_string())),
            m.reinjected_bytes,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jains_index_is_one_for_equal_shares_and_one_over_n_for_a_monopoly() {
        assert_eq!(jain_index(&[3.0, 3.0, 3.0, 3.0]), Some(1.0));
        assert_eq!(jain_index(&[8.0, 0.0, 0.0, 0.0]), Some(0.25));
        assert_eq!(jain_index(&[0.0, 0.0]), None);
        // Two flows at 1 and 3: 16 / (2 x 10).
        assert_eq!(jain_index(&[1.0, 3.0]), Some(0.8));
    }

    #[test]
    fn nearest_rank_percentiles_pick_an_observed_value() {
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&xs, 10.0), Some(1.0));
        assert_eq!(percentile(&xs, 50.0), Some(5.0));
        assert_eq!(percentile(&xs, 99.0), Some(10.0));
        assert_eq!(percentile(&xs, 100.0), Some(10.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
