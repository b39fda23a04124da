//! The capacity over time of a scenario's dynamic links, for the
//! `capacity` figure: the link's rate drawn under the throughput of the
//! subflows that use it (issue 15 point 5).
//!
//! A link direction is dynamic when its capacity comes from a Mahimahi
//! trace or the timeline changes its rate (`SetLink(rate: ...)`). Only the
//! downlinks of the one-client form are drawn (the data of a download
//! crosses them, and the throughput figure shows what the server sent per
//! client interface); the topology form has no capacity figure.
//!
//! A trace's capacity is the opportunities in each bin times 1504 bytes
//! (mahimahi's packet size) over the bin, so it shows the trace's own
//! burstiness at that resolution; a rate is drawn as steps at the instants
//! of its changes.

use sim_core::SimTime;
use sim_core::trace::OPPORTUNITY_BYTES;

use crate::scenario::{Scenario, TimelineEvent, load_trace};

/// One dynamic downlink's capacity, in Mb/s over seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityLine {
    /// The link direction's name (`cell.down`).
    pub link: String,
    /// The client interface it belongs to (the throughput figure's line).
    pub iface: usize,
    /// Step points `(s, Mb/s)`, the last at the stop time.
    pub points: Vec<(f64, f64)>,
}

/// The capacity lines of `sc`'s dynamic downlinks, traces in bins of
/// `bin_s` seconds. A trace that cannot be read (moved since the run) is
/// left out.
pub fn capacity_lines(sc: &Scenario, bin_s: f64) -> Vec<CapacityLine> {
    if sc.topology.is_some() {
        return Vec::new();
    }
    let stop = sc.stop.as_secs_f64();
    let mut out = Vec::new();
    for (i, iface) in sc.client.interfaces.iter().enumerate() {
        let Some(down) = &iface.downlink else { continue };
        let link = format!("{}.down", iface.name);
        let points = match &down.trace {
            Some(path) => match load_trace(path) {
                Ok(t) => trace_points(&t, sc.stop, bin_s),
                Err(_) => continue,
            },
            None => {
                let changes: Vec<(f64, f64)> = sc
                    .timeline
                    .iter()
                    .filter_map(|e| match e {
                        TimelineEvent::SetLink {
                            at,
                            link: l,
                            rate: Some(r),
                            ..
                        } if *l == link => Some((at.as_secs_f64(), r.bps() as f64 / 1e6)),
                        _ => None,
                    })
                    .collect();
                if changes.is_empty() {
                    continue;
                }
                rate_points(down.rate.bps() as f64 / 1e6, changes, stop)
            }
        };
        out.push(CapacityLine { link, iface: i, points });
    }
    out
}

/// Steps of a rate that starts at `initial` and changes at the instants
/// given (in the timeline's order; two at one instant: the later wins).
fn rate_points(initial: f64, mut changes: Vec<(f64, f64)>, stop: f64) -> Vec<(f64, f64)> {
    changes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut pts = vec![(0.0, initial)];
    for (t, r) in changes {
        match pts.last_mut() {
            Some(last) if last.0 == t => last.1 = r,
            _ => pts.push((t, r)),
        }
    }
    let last = pts.last().map_or(initial, |p| p.1);
    pts.push((stop, last));
    pts
}

/// A trace's capacity per bin up to `stop`.
fn trace_points(t: &sim_core::DeliveryTrace, stop: SimTime, bin_s: f64) -> Vec<(f64, f64)> {
    // Integer nanoseconds: 0.3 s / 0.1 s is 2.999... in floating point.
    let bin_ns = ((bin_s * 1e9).round() as u64).max(1);
    let nbins = stop.as_nanos().div_ceil(bin_ns) as usize;
    let mut count = vec![0u64; nbins.max(1)];
    let mut k = 0;
    loop {
        let at = t.at(k);
        if at >= stop {
            break;
        }
        let b = ((at.as_nanos() / bin_ns) as usize).min(count.len() - 1);
        count[b] += 1;
        k += 1;
    }
    let mut pts: Vec<(f64, f64)> = count
        .iter()
        .enumerate()
        .map(|(b, &n)| (b as f64 * bin_s, (n * OPPORTUNITY_BYTES * 8) as f64 / bin_s / 1e6))
        .collect();
    let last = pts.last().map_or(0.0, |p| p.1);
    pts.push((stop.as_secs_f64(), last));
    pts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(down: &str, timeline: &str) -> Scenario {
        let text = format!(
            r#"Scenario(
    name: "cap",
    stop: "3s",
    client: ClientSpec(interfaces: [
        InterfaceSpec(name: "wifi", kind: Wifi,
            uplink: LinkSpec(rate: "20Mbps", delay: "10ms"),
            downlink: LinkSpec(rate: "20Mbps", delay: "10ms")),
        InterfaceSpec(name: "cell", kind: Cellular,
            uplink: LinkSpec(rate: "5Mbps", delay: "40ms"),
            downlink: {down}),
    ]),
    timeline: [{timeline}],
    connections: [ConnectionSpec(traffic: DownloadFor(duration: "3s"))],
)"#
        );
        Scenario::parse(Path::new("cap.ron"), &text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_link_whose_rate_never_changes_has_no_capacity_line() {
        let sc = scenario(r#"LinkSpec(rate: "10Mbps", delay: "40ms")"#, "");
        assert!(capacity_lines(&sc, 0.1).is_empty());
    }

    #[test]
    fn timed_rate_changes_are_steps_at_their_instants() {
        let sc = scenario(
            r#"LinkSpec(rate: "10Mbps", delay: "40ms")"#,
            r#"SetLink(at: "2s", link: "cell.down", rate: "2Mbps"), SetLink(at: "1s", link: "cell.down", rate: "5Mbps"), SetLink(at: "1s", link: "cell.up", rate: "1Mbps")"#,
        );
        let lines = capacity_lines(&sc, 0.1);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].link, "cell.down");
        assert_eq!(lines[0].iface, 1);
        assert_eq!(lines[0].points, [(0.0, 10.0), (1.0, 5.0), (2.0, 2.0), (3.0, 2.0)]);
    }

    #[test]
    fn a_trace_is_drawn_as_its_opportunities_per_bin() {
        // Four opportunities per period; the last line (150 ms) is the
        // period, so loop n holds n x 150 + {0, 50, 50, 150} ms.
        let dir = std::env::temp_dir().join(format!("mpsim-capacity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.trace");
        std::fs::write(&path, "0\n50\n50\n150\n").unwrap();
        let sc = scenario(
            &format!(
                r#"LinkSpec(rate: "10Mbps", delay: "40ms", trace: "{}")"#,
                path.display()
            ),
            "",
        );
        let lines = capacity_lines(&sc, 0.1);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(lines.len(), 1);
        let p = &lines[0].points;
        // Opportunities at 0, 50, 50, 150, 150, 200, 200, 300, 300, ... ms:
        // the first 100 ms bin holds 3, the next ones 2 each; n
        // opportunities in a bin are n x 1504 x 8 bits over 0.1 s.
        let mbps = |n: f64| n * 1504.0 * 8.0 / 0.1 / 1e6;
        assert_eq!(p[0], (0.0, mbps(3.0)));
        assert_eq!(p[1], (0.1, mbps(2.0)));
        assert_eq!(p[2], (0.2, mbps(2.0)));
        assert_eq!(p.len(), 31);
        assert_eq!(p[30].0, 3.0);
    }
}
