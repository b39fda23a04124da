//! Built-in scenarios, compiled into the binary so that `mpsim reproduce`
//! and `mpsim list` work from any directory.

/// (name, one-line description, RON text).
pub const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "ios11-handover",
        "iOS 11 handover mode: download starts on cellular, Wi-Fi comes up at 5 s, cellular is reset, lost data is reinjected",
        include_str!("../scenarios/ios11-handover.ron"),
    ),
    (
        "ios-none-wifi-lost",
        "iOS none (plain TCP): download on Wi-Fi, Wi-Fi lost at 5 s: the transfer breaks",
        include_str!("../scenarios/ios-none-wifi-lost.ron"),
    ),
    (
        "ios-handover-wifi-lost",
        "iOS handover: download on Wi-Fi, Wi-Fi lost at 5 s: a cellular subflow is created and takes over",
        include_str!("../scenarios/ios-handover-wifi-lost.ron"),
    ),
    (
        "ios-interactive-wifi-lost",
        "iOS interactive: both subflows from the start (cellular as backup), Wi-Fi lost at 5 s",
        include_str!("../scenarios/ios-interactive-wifi-lost.ron"),
    ),
    (
        "ios-aggregate-wifi-lost",
        "iOS aggregate: both subflows carry data from the start, Wi-Fi lost at 5 s",
        include_str!("../scenarios/ios-aggregate-wifi-lost.ron"),
    ),
    (
        "walk-away",
        "iOS handover while Wi-Fi degrades (rate down, loss up, signal advisory) before it is lost at 5.5 s",
        include_str!("../scenarios/walk-away.ron"),
    ),
    (
        "perf-2path",
        "performance reference (htsim's two-path scenario): 2 x 100 Mb/s, RTT 20/80 ms, LIA, 60 s, no traces",
        include_str!("../scenarios/perf-2path.ron"),
    ),
    (
        "dumbbell-1",
        "scaling reference: 1 MPTCP connection on a two-path dumbbell, 5 Mb/s per path, records off",
        include_str!("../scenarios/dumbbell-1.ron"),
    ),
    (
        "dumbbell-1000",
        "scaling reference: 1,000 MPTCP connections on a two-path dumbbell, 5 Gb/s per path, records off",
        include_str!("../scenarios/dumbbell-1000.ron"),
    ),
    (
        "dumbbell-10000",
        "scaling reference: 10,000 MPTCP connections from 10 hosts on a two-path dumbbell, 50 Gb/s per path, records off",
        include_str!("../scenarios/dumbbell-10000.ron"),
    ),
    (
        "linux-wifi-only",
        "Linux reference: wifi only (20 Mb/s, 10 ms), upstream MPTCP, 10 s bulk download",
        include_str!("../scenarios/linux-wifi-only.ron"),
    ),
    (
        "linux-both",
        "Linux reference: wifi (20 Mb/s, 10 ms) and cell (5 Mb/s, 40 ms), upstream MPTCP, 10 s bulk download",
        include_str!("../scenarios/linux-both.ron"),
    ),
    (
        "linux-wifi-down-pm",
        "Linux reference: wifi dies at 3.8 s, the wifi endpoint is deleted at +23 ms, cell is a backup, 12 s",
        include_str!("../scenarios/linux-wifi-down-pm.ron"),
    ),
    (
        "bufferbloat",
        "bufferbloat: wifi 20 Mb/s beside a cellular 10 Mb/s 40 ms downlink with a 2 MB drop-tail buffer, min-RTT, 20 s (sweep bufferbloat-aqm: CoDel, FQ-CoDel)",
        include_str!("../scenarios/bufferbloat.ron"),
    ),
    (
        "silent-blackhole",
        "silent blackhole: the primary 40 ms RTT path drops everything from 5 s with its interface up; the backup takes over",
        include_str!("../scenarios/silent-blackhole.ron"),
    ),
];

/// Built-ins too costly for every test run (minutes of CPU): the golden
/// test leaves them to its `--ignored` variant.
pub const HEAVY: &[&str] = &["dumbbell-1000", "dumbbell-10000", "fattree-permutation"];

/// Built-in sweeps: (name, one-line description, RON text).
pub const SWEEPS: &[(&str, &str, &str)] = &[
    (
        "handover-wifi-loss",
        "sweep: scheduler x Wi-Fi downlink loss on the iOS 11 handover (completion time of 40 MB)",
        include_str!("../sweeps/handover-wifi-loss.ron"),
    ),
    (
        "aggregate-rtt-ratio",
        "sweep: scheduler x RTT ratio for aggregation of two 20 Mb/s paths (goodput)",
        include_str!("../sweeps/aggregate-rtt-ratio.ron"),
    ),
    (
        "shared-bottleneck-fairness",
        "sweep: RFC 6356's goal, MPTCP (2 subflows) against TCP on one bottleneck, per congestion control, 5 seeds",
        include_str!("../sweeps/shared-bottleneck-fairness.ron"),
    ),
    (
        "cellular-trace-aggregate",
        "sweep: iOS handover, interactive and aggregate over Wi-Fi plus a cellular trace, per scheduler (goodput, reordering)",
        include_str!("../sweeps/cellular-trace-aggregate.ron"),
    ),
    (
        "fattree-permutation",
        "sweep: Raiciu et al. 2011, k=8 fat tree, permutation traffic, 1/2/4/8 subflows (minutes per run: shard it)",
        include_str!("../sweeps/fattree-permutation.ron"),
    ),
    (
        "bufferbloat-aqm",
        "sweep: drop-tail (2 MB) vs CoDel vs FQ-CoDel on the bufferbloat built-in's cellular downlink, per receive buffer",
        include_str!("../sweeps/bufferbloat-aqm.ron"),
    ),
];

/// The RON text of a built-in sweep.
pub fn sweep(name: &str) -> Option<&'static str> {
    SWEEPS.iter().find(|(n, _, _)| *n == name).map(|(_, _, t)| *t)
}

/// The RON text of a built-in scenario.
pub fn get(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _, _)| *n == name).map(|(_, _, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use std::path::Path;

    #[test]
    fn every_builtin_sweep_plans_without_errors_or_invalid_points() {
        for (name, _, text) in SWEEPS {
            let sw = crate::sweep::Sweep::parse(Path::new(name), text, None).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(sw.info.name, *name);
            for p in &sw.points {
                assert!(p.is_ok(), "{name}: {p:?}");
            }
        }
    }

    #[test]
    fn every_builtin_scenario_parses_and_passes_the_checks() {
        for (name, _, text) in BUILTIN {
            Scenario::parse(Path::new(name), text).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
