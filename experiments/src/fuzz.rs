//! The scenario fuzzer's cases and its property (issue 17, point 6);
//! `mpsim-fuzz` runs them.
//!
//! A case is scenario text, drawn from a master seed and the case's index
//! (so any case can be regenerated alone):
//!
//! - structured, one-client form: 1 to 4 interfaces of any kind with rates,
//!   delays, buffers of one packet to hundreds, loss up to 20% (Bernoulli or
//!   Gilbert-Elliott), jitter, backup endpoints, interfaces that start down;
//!   a timeline of interface flaps; 1 to 3 connections, each with any path
//!   manager, scheduler and congestion control the built-in registry knows,
//!   either TCP profile, MPTCP v0 or v1, receive and send buffers from
//!   2 x MSS to 2^64 - 1 bytes, any traffic, any MSS; stops from 50 ms to
//!   30 s;
//! - structured, topology form: 2 to 5 hosts (some with two interfaces),
//!   1 to 3 routers in a line, links that go down and up, explicit connections and
//!   `Flows` generators (permutation, random, incast; every start and size
//!   distribution);
//! - mutated: a built-in scenario (the small ones) with 1 to 4 byte or token
//!   mutations (a byte replaced, a span deleted or repeated, a number
//!   replaced by an edge value, a name replaced by another name).
//!
//! The property ([`check`]): parsing and running do not panic; the text is
//! either refused with a located error (line and column, and what is
//! expected) or it runs within
//! the run's event budget (the livelock guard; a run that exhausts it is a
//! failure, not a pass), its delivery oracle holds, no connection delivers
//! more than requested, and a connection is `completed` exactly when every
//! requested byte arrived. A case that parses is run with its stop capped at
//! [`MAX_STOP`] and without traces or time series, to keep each case short.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use sim_core::SimDuration;

use crate::run::{RunError, RunOptions};
use crate::scenario::Scenario;

/// A case's stop is capped at this (mutations can make it years).
pub const MAX_STOP: SimDuration = SimDuration::from_secs(30);

/// A small, fast, seedable generator (SplitMix64, Steele et al. 2014):
/// the fuzzer's cases must not change when `rand`'s algorithms do.
#[derive(Clone, Debug)]
pub struct FuzzRng(u64);

impl FuzzRng {
    /// The generator of case `index` under master seed `seed`.
    pub fn for_case(seed: u64, index: u64) -> Self {
        let mut r = FuzzRng(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next_u64();
        r
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }
    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next_u64() as usize % items.len()]
    }
}

/// Which kind of case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseKind {
    /// A structured scenario of the one-client form.
    OneClient,
    /// A structured scenario of the topology form.
    Topology,
    /// A built-in scenario with mutations.
    Mutated,
}

/// One fuzz case: its index, kind and scenario text.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's index under the master seed.
    pub index: u64,
    /// How it was made.
    pub kind: CaseKind,
    /// What was mutated (for [`CaseKind::Mutated`]).
    pub base: Option<&'static str>,
    /// The scenario text.
    pub text: String,
}

/// The built-in scenarios mutated cases start from: all but the scaling
/// references with 1,000 and 10,000 connections (minutes per run).
pub fn mutation_bases() -> Vec<(&'static str, &'static str)> {
    crate::builtin::BUILTIN
        .iter()
        .filter(|b| !b.0.starts_with("dumbbell-1000"))
        .map(|b| (b.0, b.2))
        .collect()
}

/// Case `index` under master seed `seed`.
pub fn case(seed: u64, index: u64) -> Case {
    let mut rng = FuzzRng::for_case(seed, index);
    match rng.range(0, 7) {
        0..=3 => Case {
            index,
            kind: CaseKind::OneClient,
            base: None,
            text: one_client(&mut rng),
        },
        4..=5 => Case {
            index,
            kind: CaseKind::Topology,
            base: None,
            text: topology(&mut rng),
        },
        _ => {
            let bases = mutation_bases();
            let (name, text) = *rng.pick(&bases);
            Case {
                index,
                kind: CaseKind::Mutated,
                base: Some(name),
                text: mutate(&mut rng, text),
            }
        }
    }
}

/// Path managers, schedulers and congestion controls of the built-in
/// registry, as scenario text.
fn policies() -> (Vec<String>, Vec<String>, Vec<String>) {
    use crate::registry::{CcPolicy, PathManagerPolicy, Registry, SchedulerPolicy};
    let r = Registry::builtin();
    let names = |v: Vec<(&'static str, &'static str)>| v.into_iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
    let mut pms = names(r.list::<PathManagerPolicy>());
    for p in &mut pms {
        if p == "ndiffports" {
            *p = "ndiffports(num_subflows: 3)".into();
        }
    }
    (pms, names(r.list::<SchedulerPolicy>()), names(r.list::<CcPolicy>()))
}

fn loss(rng: &mut FuzzRng) -> String {
    match rng.range(0, 5) {
        0 | 1 => "None".into(),
        2 | 3 => format!("Bernoulli(p: {:.4})", rng.range(0, 2000) as f64 / 10_000.0),
        4 => format!(
            "GilbertElliott(p: {:.3}, r: {:.3})",
            rng.range(1, 100) as f64 / 1000.0,
            rng.range(100, 900) as f64 / 1000.0
        ),
        _ => format!("DropList(indices: [{}, {}])", rng.range(0, 20), rng.range(21, 200)),
    }
}

fn link_spec(rng: &mut FuzzRng) -> String {
    let mut s = format!(
        "LinkSpec(rate: \"{}Mbps\", delay: \"{}ms\", loss: {}",
        rng.range(1, 50),
        rng.range(1, 100),
        loss(rng)
    );
    if rng.chance(1, 4) {
        let _ = write!(s, ", buffer: Packets({})", rng.pick(&[1, 2, 5, 30, 300]));
    }
    if rng.chance(1, 6) {
        let _ = write!(
            s,
            ", jitter: Jitter(model: Uniform(max: \"{}ms\"), allow_reorder: {})",
            rng.range(1, 30),
            rng.chance(1, 2)
        );
    }
    s + ")"
}

fn buffer_size(rng: &mut FuzzRng, mss: u64) -> String {
    match rng.range(0, 5) {
        0 => format!("{}B", 2 * mss),
        1 => format!("{}B", rng.range(2 * mss, 20 * mss)),
        2 => "18446744073709551615B".into(),
        3 => "1GiB".into(),
        _ => "6MiB".into(),
    }
}

fn traffic(rng: &mut FuzzRng) -> String {
    match rng.range(0, 4) {
        0 => format!("Download(bytes: \"{}KB\")", rng.range(1, 3000)),
        1 => format!("Upload(bytes: \"{}KB\")", rng.range(1, 3000)),
        2 => format!("DownloadFor(duration: \"{}ms\")", rng.range(1, 20_000)),
        3 => format!(
            "RequestResponse(request: \"{}B\", response: \"{}KB\", count: {}, think: \"{}ms\")",
            rng.range(1, 2000),
            rng.range(1, 200),
            rng.range(1, 20),
            rng.range(0, 500)
        ),
        _ => format!(
            "ConstantRate(rate: \"{}Kbps\", duration: \"{}ms\")",
            rng.range(10, 20_000),
            rng.range(1, 20_000)
        ),
    }
}

/// A `ConnectionSpec` body (without `from`/`to`), with any policy.
fn connection_fields(rng: &mut FuzzRng, stop_ms: u64) -> String {
    let (pms, scheds, ccs) = policies();
    let mss = *rng.pick(&[536u64, 1200, 1460, 9000]);
    let mut s = format!(
        "path_manager: {}, scheduler: {}, cc: {}, mss: \"{mss}B\", rcv_buf: \"{}\", snd_buf: \"{}\", start: \"{}ms\", traffic: {}",
        rng.pick(&pms),
        rng.pick(&scheds),
        rng.pick(&ccs),
        buffer_size(rng, mss),
        buffer_size(rng, mss),
        rng.range(0, stop_ms / 4),
        traffic(rng)
    );
    if rng.chance(1, 4) {
        let _ = write!(s, ", opportunistic_retransmission: {}", rng.chance(1, 2));
    }
    if rng.chance(1, 2) {
        let _ = write!(s, ", tcp: TcpSpec(profile: {}", rng.pick(&["Rfc6675", "Linux6"]));
        if rng.chance(1, 3) {
            let _ = write!(s, ", sack: {}", rng.chance(1, 2));
        }
        if rng.chance(1, 3) {
            let _ = write!(s, ", recovery: {}", rng.pick(&["Sack", "NewReno"]));
        }
        if rng.chance(1, 4) {
            let _ = write!(
                s,
                ", slow_start_exit: {}",
                rng.pick(&["Off", "HyStart", "HyStartPlusPlus"])
            );
        }
        if rng.chance(1, 4) {
            let _ = write!(s, ", initial_window_segments: {}", rng.range(1, 20));
        }
        s.push(')');
    }
    s
}

fn stop_ms(rng: &mut FuzzRng) -> u64 {
    if rng.chance(1, 4) {
        rng.range(50, 1000) // short stops
    } else {
        rng.range(1000, 30_000)
    }
}

fn head(rng: &mut FuzzRng, stop_ms: u64) -> String {
    format!(
        "Scenario(\n  name: \"fuzz\",\n  seed: {},\n  stop: \"{stop_ms}ms\",\n  mptcp_version: {},\n",
        rng.next_u64() % 1_000_000,
        rng.pick(&["v1", "v0"])
    )
}

const RECORD: &str = "  record: RecordSpec(pcap: false, timeseries: false, sequence: false),\n)\n";

/// A structured scenario of the one-client form.
pub fn one_client(rng: &mut FuzzRng) -> String {
    let stop = stop_ms(rng);
    let mut s = head(rng, stop);
    let n = rng.range(1, 4);
    s += "  client: ClientSpec(interfaces: [\n";
    let mut starts_down = Vec::new();
    let mut own = Vec::new(); // interfaces with links of their own
    for i in 0..n {
        let kind = rng.pick(&["Wifi", "Cellular", "Wired"]);
        let _ = write!(s, "    InterfaceSpec(name: \"if{i}\", kind: {kind}");
        if i > 0 && rng.chance(1, 8) {
            s += ", initially_up: false";
            starts_down.push(i);
        }
        if rng.chance(1, 6) {
            s += ", backup: true";
        }
        if i > 0 && rng.chance(1, 8) {
            let _ = writeln!(s, ", shares_path_with: \"if{}\"),", rng.pick(&own));
            continue;
        }
        own.push(i);
        let _ = writeln!(s, ", uplink: {}, downlink: {}),", link_spec(rng), link_spec(rng));
    }
    s += "  ]),\n  timeline: [";
    for i in starts_down {
        let _ = write!(s, "IfaceUp(at: \"{}ms\", iface: \"if{i}\"), ", rng.range(0, stop));
    }
    for _ in 0..rng.range(0, 8) {
        let ev = rng.pick(&["IfaceDown", "IfaceUp"]);
        let _ = write!(
            s,
            "{ev}(at: \"{}ms\", iface: \"if{}\"), ",
            rng.range(0, stop),
            rng.range(0, n - 1)
        );
    }
    s += "],\n  connections: [\n";
    for _ in 0..rng.range(1, 3) {
        let _ = writeln!(s, "    ConnectionSpec({}),", connection_fields(rng, stop));
    }
    s + "  ],\n" + RECORD
}

/// A structured scenario of the topology form.
pub fn topology(rng: &mut FuzzRng) -> String {
    let stop = stop_ms(rng);
    let mut s = head(rng, stop);
    let hosts = rng.range(2, 5);
    let routers = rng.range(1, 3);
    let two: Vec<bool> = (0..hosts).map(|_| rng.chance(1, 3)).collect();
    s += "  topology: Topology(\n    hosts: [";
    for h in 0..hosts {
        if two[h as usize] {
            let _ = write!(
                s,
                "Host(name: \"h{h}\", interfaces: [Iface(name: \"a\", kind: Wifi), Iface(name: \"b\", kind: Cellular{})]), ",
                if rng.chance(1, 5) { ", backup: true" } else { "" }
            );
        } else {
            let _ = write!(s, "Host(name: \"h{h}\"), ");
        }
    }
    s += "],\n    routers: [";
    for r in 0..routers {
        let _ = write!(s, "\"r{r}\", ");
    }
    s += "],\n    links: [\n";
    // Routers in a line; each host interface on a link to one of them
    // (a host interface is on exactly one link, and hosts do not forward).
    let mut links = Vec::new();
    for r in 1..routers {
        let name = format!("r{}-r{r}", r - 1);
        let _ = writeln!(
            s,
            "      Link(name: \"{name}\", between: (\"r{}\", \"r{r}\"), forward: {}),",
            r - 1,
            link_spec(rng)
        );
        links.push(name);
    }
    for h in 0..hosts {
        let ends: Vec<String> = if two[h as usize] {
            vec![format!("h{h}.a"), format!("h{h}.b")]
        } else {
            vec![format!("h{h}")]
        };
        for (k, end) in ends.iter().enumerate() {
            let r = rng.range(0, routers - 1);
            let name = format!("l{h}{k}");
            let reverse = if rng.chance(1, 2) {
                format!(", reverse: {}", link_spec(rng))
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "      Link(name: \"{name}\", between: (\"{end}\", \"r{r}\"), forward: {}{reverse}),",
                link_spec(rng)
            );
            links.push(name);
        }
    }
    s += "    ],\n  ),\n  timeline: [";
    for _ in 0..rng.range(0, 6) {
        let ev = rng.pick(&["LinkDown", "LinkUp"]);
        let _ = write!(
            s,
            "{ev}(at: \"{}ms\", link: \"{}\"), ",
            rng.range(0, stop),
            rng.pick(&links)
        );
    }
    s += "],\n  connections: [\n";
    for _ in 0..rng.range(0, 2) {
        let from = rng.range(0, hosts - 1);
        let to = (from + rng.range(1, hosts - 1)) % hosts;
        let _ = writeln!(
            s,
            "    ConnectionSpec(from: \"h{from}\", to: \"h{to}\", {}),",
            connection_fields(rng, stop)
        );
    }
    s += "  ],\n  flows: [\n";
    let flows = if s.contains("ConnectionSpec(from") {
        rng.range(0, 2)
    } else {
        rng.range(1, 2)
    };
    for _ in 0..flows {
        let pattern = match rng.range(0, 2) {
            0 => "Permutation".to_string(),
            1 => "Random".to_string(),
            _ => format!("Incast(to: \"h{}\")", rng.range(0, hosts - 1)),
        };
        let starts = match rng.range(0, 2) {
            0 => "Together".to_string(),
            1 => format!("Uniform(within: \"{}ms\")", rng.range(1, 500)),
            _ => format!("Poisson(mean_gap: \"{}ms\")", rng.range(1, 200)),
        };
        let size = match rng.range(0, 3) {
            0 => String::new(),
            1 => format!(", size: Exponential(mean: \"{}KB\")", rng.range(1, 500)),
            2 => format!(
                ", size: Pareto(mean: \"{}KB\", shape: {:.2})",
                rng.range(1, 500),
                1.1 + rng.range(0, 90) as f64 / 100.0
            ),
            _ => format!(
                ", size: Uniform(min: \"{}KB\", max: \"{}KB\")",
                rng.range(1, 10),
                rng.range(10, 500)
            ),
        };
        let _ = writeln!(
            s,
            "    Flows(pattern: {pattern}, count: {}, starts: {starts}{size}, connection: ConnectionSpec({})),",
            rng.range(1, 2),
            connection_fields(rng, stop)
        );
    }
    s + "  ],\n" + RECORD
}

/// Values a number in a scenario may be replaced by.
const EDGE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "65",
    "255",
    "65536",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "1e300",
    "0.0000001",
    "NaN",
    "inf",
    "1.5",
];

/// Words a name in a scenario may be replaced by.
const WORDS: &[&str] = &[
    "min_rtt",
    "redundant",
    "blest",
    "ecf",
    "round_robin",
    "reno",
    "cubic",
    "lia",
    "olia",
    "balia",
    "fullmesh",
    "default",
    "none",
    "handover",
    "interactive",
    "aggregate",
    "ndiffports",
    "Wifi",
    "Cellular",
    "Wired",
    "true",
    "false",
    "None",
    "Some",
    "Bernoulli",
    "Download",
    "Upload",
    "IfaceDown",
    "IfaceUp",
    "Packets",
    "Bytes",
    "stop",
    "seed",
    "rate",
    "delay",
    "loss",
    "rcv_buf",
    "v0",
    "v1",
    "Linux6",
    "Rfc6675",
    "",
];

/// 1 to 4 byte or token mutations of `text`.
pub fn mutate(rng: &mut FuzzRng, text: &str) -> String {
    let mut b = text.as_bytes().to_vec();
    for _ in 0..rng.range(1, 4) {
        if b.is_empty() {
            b.push(b'(');
        }
        let at = rng.range(0, b.len() as u64 - 1) as usize;
        match rng.range(0, 5) {
            0 => b[at] = *rng.pick(b"(){}[],:\"'0129aZ_-.\n \\\xff"),
            1 => {
                let end = (at + rng.range(1, 12) as usize).min(b.len());
                b.drain(at..end);
            }
            2 => {
                let end = (at + rng.range(1, 40) as usize).min(b.len());
                let span = b[at..end].to_vec();
                b.splice(at..at, span);
            }
            3 => replace_token(
                &mut b,
                at,
                |c| c.is_ascii_digit() || c == b'.',
                rng.pick::<&str>(EDGE_NUMBERS),
            ),
            _ => replace_token(
                &mut b,
                at,
                |c| c.is_ascii_alphanumeric() || c == b'_',
                rng.pick::<&str>(WORDS),
            ),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Replaces the first token of bytes matching `is_tok` at or after `at`
/// by `with`.
fn replace_token(b: &mut Vec<u8>, at: usize, is_tok: impl Fn(u8) -> bool, with: &str) {
    let Some(start) = (at..b.len()).find(|&i| is_tok(b[i])) else {
        return;
    };
    let end = (start..b.len()).find(|&i| !is_tok(b[i])).unwrap_or(b.len());
    b.splice(start..end, with.bytes());
}

/// What a case did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Refused with a located error (the property holds).
    Refused,
    /// Ran; the property holds. The run's outcome.
    Ran(&'static str),
    /// The property failed: why.
    Failed(String),
}

/// Runs `case` and checks the property (see the module's documentation).
pub fn check(case: &Case) -> Verdict {
    let file = format!("fuzz-{}.ron", case.index);
    let parsed = catch_unwind(AssertUnwindSafe(|| Scenario::parse(Path::new(&file), &case.text)));
    let mut sc = match parsed {
        Err(p) => return Verdict::Failed(format!("panic while parsing: {}", panic_text(&*p))),
        Ok(Err(e)) if e.line == 0 || e.col == 0 => return Verdict::Failed(format!("an error without a place: {e}")),
        Ok(Err(e)) if !e.message.contains("expected") => {
            return Verdict::Failed(format!("an error that does not say what is expected: {e}"));
        }
        Ok(Err(_)) => return Verdict::Refused,
        Ok(Ok(sc)) => sc,
    };
    sc.stop = sc.stop.min(sim_core::SimTime::ZERO + MAX_STOP);
    sc.record.timeseries = false;
    sc.record.pcap = false;
    sc.record.sequence = false;
    let ran = catch_unwind(AssertUnwindSafe(|| crate::run::run(&sc, &RunOptions::default())));
    let out = match ran {
        Err(p) => return Verdict::Failed(format!("panic while running: {}", panic_text(&*p))),
        Ok(Err(RunError::Delivery(v))) => return Verdict::Failed(v.to_string()),
        Ok(Err(RunError::Failed(e))) => return Verdict::Failed(format!("a valid scenario did not run: {e}")),
        Ok(Ok(out)) => out,
    };
    let m = &out.metrics;
    if m.outcome == "event_budget_exhausted" {
        return Verdict::Failed(format!(
            "event budget exhausted (a livelock?): {} events by the stop at {} s",
            m.events, m.simulated_s
        ));
    }
    for (i, c) in m.connections.iter().enumerate() {
        if let Some(req) = c.bytes_requested {
            if c.bytes_delivered > req {
                return Verdict::Failed(format!(
                    "connection {i}: {} bytes delivered, {req} requested",
                    c.bytes_delivered
                ));
            }
            if (c.outcome == "completed") != (c.bytes_delivered == req) {
                return Verdict::Failed(format!(
                    "connection {i}: outcome {} with {} of {req} bytes delivered",
                    c.outcome, c.bytes_delivered
                ));
            }
        }
    }
    Verdict::Ran(m.outcome)
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_is_the_same_text_whenever_it_is_generated() {
        for i in 0..20 {
            assert_eq!(case(7, i).text, case(7, i).text);
        }
        assert_ne!(case(7, 0).text, case(8, 0).text);
    }

    #[test]
    fn structured_cases_parse_as_valid_scenarios_of_both_forms() {
        let mut parsed = [0; 2];
        for i in 0..200 {
            let c = case(1, i);
            let k = match c.kind {
                CaseKind::OneClient => 0,
                CaseKind::Topology => 1,
                CaseKind::Mutated => continue,
            };
            match Scenario::parse(Path::new("f.ron"), &c.text) {
                Ok(_) => parsed[k] += 1,
                Err(e) => panic!("case {i} does not parse: {e}\n{}", c.text),
            }
        }
        assert!(parsed[0] > 50 && parsed[1] > 25, "{parsed:?}");
    }

    #[test]
    fn structured_cases_cover_every_policy_of_the_registry() {
        let (pms, scheds, ccs) = policies();
        let all: String = (0..400).map(|i| case(3, i).text).collect();
        for name in pms.iter().chain(&scheds).chain(&ccs) {
            assert!(all.contains(&format!(": {name},")), "{name} never drawn");
        }
        for s in [
            "Linux6",
            "Rfc6675",
            "IfaceDown",
            "LinkDown",
            "Flows(",
            "18446744073709551615B",
        ] {
            assert!(all.contains(s), "{s} never drawn");
        }
    }

    #[test]
    fn mutations_change_the_text_and_mostly_keep_its_length() {
        let mut rng = FuzzRng::for_case(1, 1);
        let base = crate::builtin::get("ios11-handover").unwrap();
        let mut changed = 0;
        for _ in 0..50 {
            let m = mutate(&mut rng, base);
            changed += usize::from(m != base);
            assert!(m.len() < base.len() + 200);
        }
        assert!(changed >= 45, "{changed} of 50 changed");
    }

    #[test]
    fn a_located_error_holds_the_property_and_a_panic_would_not() {
        let refused = Case {
            index: 0,
            kind: CaseKind::Mutated,
            base: None,
            text: "Scenario(stop: \"1s\", nope: 1)".into(),
        };
        assert_eq!(check(&refused), Verdict::Refused);
    }

    #[test]
    fn a_small_valid_case_runs_and_holds() {
        let c = Case {
            index: 0,
            kind: CaseKind::OneClient,
            base: None,
            text: r#"Scenario(name: "t", stop: "5s",
                client: ClientSpec(interfaces: [InterfaceSpec(name: "a", kind: Wifi,
                    uplink: LinkSpec(rate: "10Mbps", delay: "10ms"), downlink: LinkSpec(rate: "10Mbps", delay: "10ms"))]),
                connections: [ConnectionSpec(traffic: Download(bytes: "100KB"))])"#
                .into(),
        };
        assert_eq!(check(&c), Verdict::Ran("completed"));
    }
}
