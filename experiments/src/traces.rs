//! The delivery traces mpsim ships, and the `mpsim trace` generator's
//! argument parsing.
//!
//! The shipped traces live in `experiments/traces/` and are compiled into
//! the binary: a scenario names one as `trace: "builtin:NAME"` (the file
//! name without `.trace`), from any directory. Each is the output of the
//! `mpsim trace ...` command listed in `experiments/traces/README.md`;
//! `tests/traces.rs` runs every listed command and checks the file is
//! exactly its output, so none is edited by hand. How the shapes place
//! their opportunities is in [`sim_core::trace_gen`].

use sim_core::trace_gen::{RandomWalk, TraceShape};
use sim_core::{Bandwidth, SimDuration};

/// The prefix that names a shipped trace in a scenario's `trace` field.
pub const BUILTIN_PREFIX: &str = "builtin:";

/// Shipped traces: (name, what it is, text).
pub const SHIPPED: &[(&str, &str, &str)] = &[
    (
        "constant-12mbps",
        "12 Mb/s constant (997 opportunities a second)",
        include_str!("../traces/constant-12mbps.trace"),
    ),
    (
        "step-24-6mbps",
        "24 Mb/s for 5 s, then 6 Mb/s for 5 s, looping",
        include_str!("../traces/step-24-6mbps.trace"),
    ),
    (
        "on-off-12mbps",
        "12 Mb/s for 2 s, then silent for 1 s, looping",
        include_str!("../traces/on-off-12mbps.trace"),
    ),
    (
        "cellular-walk",
        "cellular-like random walk: mean 10 Mb/s within 1-30 Mb/s, 100 ms steps, 30 s, seed 1",
        include_str!("../traces/cellular-walk.trace"),
    ),
];

/// The text of the shipped trace a `trace` field names (`builtin:NAME`),
/// `None` if the field names a file, or the error if it names no shipped
/// trace.
pub fn shipped(field: &str) -> Option<Result<&'static str, String>> {
    let name = field.strip_prefix(BUILTIN_PREFIX)?;
    Some(SHIPPED.iter().find(|t| t.0 == name).map(|t| t.2).ok_or_else(|| {
        let names: Vec<String> = SHIPPED.iter().map(|t| format!("{BUILTIN_PREFIX}{}", t.0)).collect();
        format!("{field:?} is not a shipped trace; expected one of {}", names.join(", "))
    }))
}

fn rate(flag: &str, s: &str) -> Result<Bandwidth, String> {
    s.parse().map_err(|e| format!("--{flag} {s}: {e}"))
}

fn duration(flag: &str, s: &str) -> Result<SimDuration, String> {
    s.parse().map_err(|e| format!("--{flag} {s}: {e}"))
}

/// `--rate R --period D`.
pub fn constant(r: &str, period: &str) -> Result<TraceShape, String> {
    Ok(TraceShape::Constant {
        rate: rate("rate", r)?,
        period: duration("period", period)?,
    })
}

/// `--steps R:D,R:D,...`, a rate of `0` for a silent step.
pub fn steps(list: &str) -> Result<TraceShape, String> {
    let mut out = Vec::new();
    for item in list.split(',') {
        let Some((r, d)) = item.split_once(':') else {
            return Err(format!(
                "--steps {list}: {item:?} is not RATE:DURATION; expected e.g. 24Mbps:5s,6Mbps:5s"
            ));
        };
        let r = if r.trim() == "0" {
            None
        } else {
            Some(rate("steps", r.trim())?)
        };
        out.push((r, duration("steps", d.trim())?));
    }
    Ok(TraceShape::Steps(out))
}

/// `--rate R --on D --off D`.
pub fn on_off(r: &str, on: &str, off: &str) -> Result<TraceShape, String> {
    Ok(TraceShape::OnOff {
        rate: rate("rate", r)?,
        on: duration("on", on)?,
        off: duration("off", off)?,
    })
}

/// The random walk's flags, as given.
pub struct WalkArgs<'a> {
    pub seed: u64,
    pub mean: &'a str,
    pub min: &'a str,
    pub max: &'a str,
    pub step: &'a str,
    pub duration: &'a str,
    pub sigma: f64,
}

/// `--seed S --mean R --min R --max R --step D --duration D --sigma X`.
pub fn random_walk(a: &WalkArgs) -> Result<TraceShape, String> {
    Ok(TraceShape::RandomWalk(RandomWalk {
        seed: a.seed,
        mean: rate("mean", a.mean)?,
        min: rate("min", a.min)?,
        max: rate("max", a.max)?,
        step: duration("step", a.step)?,
        duration: duration("duration", a.duration)?,
        sigma: a.sigma,
    }))
}

/// The trace's text (mahimahi's format), or why the shape gives none.
pub fn generate(shape: &TraceShape) -> Result<String, String> {
    Ok(sim_core::trace_gen::to_text(&sim_core::trace_gen::generate(shape)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_trace_parses_and_is_named_by_its_builtin_prefix() {
        for (name, _, text) in SHIPPED {
            let t = sim_core::DeliveryTrace::parse(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(t.mean_bps() > 1e6, "{name}");
            assert_eq!(shipped(&format!("builtin:{name}")), Some(Ok(*text)));
        }
        assert_eq!(shipped("traces/x.trace"), None);
        let e = shipped("builtin:nope").unwrap().unwrap_err();
        assert!(e.contains("builtin:cellular-walk"), "{e}");
    }

    #[test]
    fn steps_take_rate_duration_pairs_and_zero_for_silence() {
        let s = steps("24Mbps:5s, 0:1s").unwrap();
        assert_eq!(
            s,
            TraceShape::Steps(vec![
                (Some("24Mbps".parse().unwrap()), "5s".parse().unwrap()),
                (None, "1s".parse().unwrap())
            ])
        );
        assert!(steps("24Mbps").unwrap_err().contains("RATE:DURATION"));
        assert!(steps("fast:1s").unwrap_err().contains("--steps fast"));
    }
}
