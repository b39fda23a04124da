//! Sweep files: a base scenario, fixed overrides and axes over its fields,
//! expanded into a plan of runs (every grid point x every seed).
//!
//! An axis names a field by a path into the base scenario as it is
//! serialized with every default written out (`connections[0].scheduler`,
//! `client.interfaces[wifi].downlink.delay`; `[wifi]` picks the list element
//! whose `name` is `"wifi"`). Each value is RON text spliced in place of the
//! field's value, optionally through a `template` (`"Bernoulli(p: {})"`),
//! and the result is parsed as a scenario. So a value is checked by the same
//! typed parser as a scenario file, and a sweep can set anything a scenario
//! can say.
//!
//! What a user can observe of this design:
//! - a path must reach a value present in the base: `downlink.loss.p` needs
//!   a base whose loss is `Bernoulli(p: ...)`; with `loss: None` the error
//!   says so and lists the fields that exist. Set the whole `loss` (with a
//!   template) instead.
//! - defaults that depend on other fields stay defaults: a link's `buffer`
//!   left unset in the base is one BDP of each point's own rate and delay.
//! - a value of the wrong type is an error in the sweep file, located at the
//!   value, before anything runs; a point whose values are well typed but
//!   fail the scenario checks (an `mss` of 100 B) is a failed run, recorded
//!   in `results.csv`, and the sweep goes on.

use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::scenario::{
    Children, PathSeg, Scenario, ScenarioError, line_col, ron_error_in, value_children, value_offset, value_span,
};

/// Where the base scenario comes from.
#[derive(Deserialize)]
enum BaseSpec {
    /// A built-in scenario (`mpsim list`).
    Builtin(String),
    /// A scenario file, relative to the sweep file's folder.
    File(String),
    /// A scenario written in the sweep file.
    Inline(Box<Scenario>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Set")]
struct SetSpec {
    path: String,
    #[allow(dead_code)]
    value: IgnoredAny,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Range")]
struct RangeSpec {
    from: f64,
    to: f64,
    step: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Also")]
struct AlsoSpec {
    path: String,
    #[serde(default)]
    template: Option<String>,
    values: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Axis")]
struct AxisSpec {
    name: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    values: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    range: Option<RangeSpec>,
    #[serde(default)]
    also: Vec<AlsoSpec>,
}

/// A figure drawn from `summary.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FigureSpec {
    /// The metric's mean with its 95% confidence interval against the
    /// numeric axis `x`, one line per value of the other axes.
    Line { metric: String, x: String },
    /// The metric's mean over the grid of axes `x` (columns) and `y` (rows);
    /// other axes, if any, are averaged over.
    Heatmap { metric: String, x: String, y: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Sweep")]
struct SweepFile {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    base: BaseSpec,
    #[serde(default)]
    set: Vec<SetSpec>,
    axes: Vec<AxisSpec>,
    #[serde(default = "one")]
    seeds: u64,
    #[serde(default = "one")]
    first_seed: u64,
    #[serde(default)]
    event_budget: Option<u64>,
    #[serde(default)]
    figures: Option<Vec<FigureSpec>>,
}

fn one() -> u64 {
    1
}

/// One axis of the grid, as the outputs need it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    pub name: String,
    /// The values as written (a plain string without its quotes), one per step.
    pub labels: Vec<String>,
    /// The values as numbers, when every one is a number (or all are
    /// durations, in ms, or all rates, in Mb/s); None for a categorical axis.
    pub numeric: Option<Vec<f64>>,
    /// The unit of `numeric` ("", "ms" or "Mb/s").
    pub unit: String,
}

/// What the outputs of a sweep need, without the scenarios: written to
/// `plan.json` in the sweep directory so that `mpsim merge` and `--resume`
/// need nothing else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanInfo {
    pub name: String,
    pub description: String,
    pub axes: Vec<Axis>,
    /// The seed of each run of a point, in order.
    pub seeds: Vec<u64>,
    /// Per point, the index of its value on each axis (first axis slowest).
    pub points: Vec<Vec<usize>>,
    /// The metric columns of `results.csv`.
    pub metrics: Vec<String>,
    pub figures: Vec<FigureSpec>,
    /// A hash of the mpsim version and every run's scenario, seed and
    /// budget: two directories with the same fingerprint ran the same sweep
    /// (with the same release; builds between releases are not told apart).
    pub fingerprint: String,
}

impl PlanInfo {
    pub fn runs(&self) -> usize {
        self.points.len() * self.seeds.len()
    }
    /// (point, seed) of run `r`: runs are numbered point-major.
    pub fn run_point_seed(&self, r: usize) -> (usize, u64) {
        (r / self.seeds.len(), self.seeds[r % self.seeds.len()])
    }
}

/// A planned sweep: the plan and each point's scenario (or why the point is
/// invalid).
#[derive(Debug)]
pub struct Sweep {
    pub info: PlanInfo,
    pub points: Vec<Result<Scenario, String>>,
    pub event_budget: Option<u64>,
    /// The sweep file's text, kept in the sweep directory as `sweep.ron`.
    pub source: String,
}

impl Sweep {
    /// The scenario of run `r` (its point's, with the run's seed).
    pub fn run_scenario(&self, r: usize) -> Result<Scenario, String> {
        let (p, seed) = self.info.run_point_seed(r);
        let mut sc = self.points[p].clone()?;
        sc.seed = seed;
        Ok(sc)
    }

    /// Reads a sweep file; a `File(...)` base is relative to its folder.
    pub fn load(file: &Path) -> Result<Sweep, ScenarioError> {
        let name = file.display().to_string();
        let text = crate::scenario::read_input(file)
            .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()))
            .map_err(|e| ScenarioError {
                file: name,
                line: 0,
                col: 0,
                message: format!("cannot read the sweep file: {e}; expected a readable UTF-8 RON file"),
            })?;
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(file, &text, Some(&dir))
    }

    /// [`Sweep::load`] with the policies of `registry` (a user's own
    /// schedulers, congestion controls and path managers, which axes can
    /// then name).
    pub fn load_with(registry: &crate::registry::Registry, file: &Path) -> Result<Sweep, ScenarioError> {
        registry.scope(|| Self::load(file))
    }

    /// [`Sweep::parse`] with the policies of `registry`.
    pub fn parse_with(
        registry: &crate::registry::Registry,
        file: &Path,
        text: &str,
        dir: Option<&Path>,
    ) -> Result<Sweep, ScenarioError> {
        registry.scope(|| Self::parse(file, text, dir))
    }

    /// Parses and plans sweep text. `dir` is where `File(...)` bases are
    /// looked up; None refuses them (built-in sweeps).
    pub fn parse(file: &Path, text: &str, dir: Option<&Path>) -> Result<Sweep, ScenarioError> {
        use PathSeg::{Field as F, Index as I};
        let fname = file.display().to_string();
        let at = |path: &[PathSeg<'_>], message: String| {
            let (line, col) = line_col(text, value_offset(text, path));
            ScenarioError {
                file: fname.clone(),
                line,
                col,
                message,
            }
        };
        let spec: SweepFile = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(text)
            .map_err(|e| ron_error_in(file, text, &e))?;

        // The base scenario, checked like a scenario file.
        let base = match &spec.base {
            BaseSpec::Builtin(name) => {
                let Some(t) = crate::builtin::get(name) else {
                    let names: Vec<&str> = crate::builtin::BUILTIN.iter().map(|b| b.0).collect();
                    return Err(at(
                        &[F("base")],
                        format!(
                            "no built-in scenario is called {name:?}; expected one of {}",
                            names.join(", ")
                        ),
                    ));
                };
                Scenario::parse(Path::new(name), t)?
            }
            BaseSpec::File(rel) => {
                let Some(dir) = dir else {
                    return Err(at(
                        &[F("base")],
                        "a built-in sweep cannot read a scenario file; expected Builtin(...) or Inline(...)".into(),
                    ));
                };
                let path: PathBuf = dir.join(rel);
                if !path.is_file() {
                    return Err(at(
                        &[F("base")],
                        format!(
                            "{} is not a file; expected a scenario file, relative to the sweep file's folder",
                            path.display()
                        ),
                    ));
                }
                Scenario::load(&path)?
            }
            BaseSpec::Inline(sc) => {
                // Check it where it is written, so errors point into this file.
                let span = value_span(text, &[F("base")]).unwrap_or(0..text.len());
                let inner = value_span(&text[span.clone()], &[I(0)])
                    .map(|r| span.start + r.start..span.start + r.end)
                    .unwrap_or(span);
                let padded = format!("{}{}", blank_like(&text[..inner.start]), &text[inner]);
                sc.check(file, &padded)?;
                (**sc).clone()
            }
        };
        let base_text = ron::ser::to_string_pretty(&base, ron::ser::PrettyConfig::new().struct_names(true))
            .map_err(|e| at(&[F("base")], format!("cannot write the base scenario back as RON: {e}")))?;
        let value_text = |path: &[PathSeg<'_>]| value_span(text, path).map(|r| text[r].to_string());

        // Fixed overrides.
        let mut base_text = base_text;
        for (k, s) in spec.set.iter().enumerate() {
            let here = [F("set"), I(k)];
            let target = resolve_path(&base_text, &s.path)
                .map_err(|m| at(&[F("set"), I(k), F("path")], format!("set path {:?}: {m}", s.path)))?;
            let v = value_text(&[F("set"), I(k), F("value")]).unwrap_or_default();
            let spliced = splice(&base_text, &target, &v);
            Scenario::parse_unchecked(file, &spliced).map_err(|e| {
                at(
                    &[&here[..], &[F("value")]].concat(),
                    format!("value {} does not fit {:?}: {}", v.trim(), s.path, e.message),
                )
            })?;
            base_text = spliced;
        }

        // Axes: each value of each path checked alone against the base.
        if spec.axes.is_empty() {
            return Err(at(
                &[F("axes")],
                "there are no axes; expected at least one Axis(name: ..., path: ..., values: [...])".into(),
            ));
        }
        struct Target {
            path: Vec<Seg>,
            values: Vec<String>,
        }
        let mut axes = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        for (k, a) in spec.axes.iter().enumerate() {
            let here = |rest: &[PathSeg<'static>]| [&[F("axes"), I(k)][..], rest].concat();
            if a.name.is_empty()
                || !a
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(at(
                    &here(&[F("name")]),
                    format!(
                        "axis name {:?} is not a simple name; expected letters, digits, '_' or '-' (it is a CSV column)",
                        a.name
                    ),
                ));
            }
            if let Some(j) = spec.axes[..k].iter().position(|b| b.name == a.name) {
                return Err(at(
                    &here(&[F("name")]),
                    format!(
                        "axis {:?} is defined twice (also axis {j}); expected unique names",
                        a.name
                    ),
                ));
            }
            let labels_raw: Vec<String> = match (&a.values, &a.range) {
                (Some(v), None) => (0..v.len())
                    .map(|j| value_text(&here(&[F("values"), I(j)])).unwrap_or_default())
                    .collect(),
                (None, Some(r)) => range_values(r).map_err(|m| at(&here(&[F("range")]), m))?,
                _ => {
                    return Err(at(
                        &here(&[F("name")]),
                        format!(
                            "axis {:?} needs exactly one of `values: [...]` or `range: (from: .., to: .., step: ..)`",
                            a.name
                        ),
                    ));
                }
            };
            if labels_raw.is_empty() {
                return Err(at(
                    &here(&[F("values")]),
                    format!("axis {:?} has no values; expected at least one", a.name),
                ));
            }
            if a.path.is_none() && a.also.is_empty() {
                return Err(at(
                    &here(&[F("name")]),
                    format!(
                        "axis {:?} sets nothing; expected `path: \"...\"` or `also: [Also(path: ..., values: [...])]`",
                        a.name
                    ),
                ));
            }
            let mut ts = Vec::new();
            let mut add = |path_s: &str,
                           path_at: Vec<PathSeg<'static>>,
                           template: &Option<String>,
                           tmpl_at: Vec<PathSeg<'static>>,
                           raw: Vec<String>,
                           value_at: &dyn Fn(usize) -> Vec<PathSeg<'static>>|
             -> Result<(), ScenarioError> {
                if path_s.trim() == "seed" {
                    return Err(at(
                        &path_at,
                        "the seed is not an axis; expected `seeds: N` (and `first_seed`) at the top of the sweep"
                            .into(),
                    ));
                }
                let target =
                    resolve_path(&base_text, path_s).map_err(|m| at(&path_at, format!("path {path_s:?}: {m}")))?;
                let values: Vec<String> = match template {
                    Some(t) if t.matches("{}").count() == 1 => raw.iter().map(|v| t.replace("{}", v.trim())).collect(),
                    Some(t) => {
                        return Err(at(
                            &tmpl_at,
                            format!("template {t:?} must contain `{{}}` exactly once, where each value goes"),
                        ));
                    }
                    None => raw,
                };
                for (j, v) in values.iter().enumerate() {
                    let spliced = splice(&base_text, &target, v);
                    if let Err(e) = Scenario::parse_unchecked(file, &spliced) {
                        return Err(at(
                            &value_at(j),
                            format!("value {} does not fit {path_s:?}: {}", v.trim(), e.message),
                        ));
                    }
                }
                ts.push(Target { path: target, values });
                Ok(())
            };
            let range_at = here(&[F("range")]);
            if let Some(p) = &a.path {
                let own_at = |j: usize| {
                    if a.values.is_some() {
                        here(&[F("values"), I(j)])
                    } else {
                        range_at.clone()
                    }
                };
                add(
                    p,
                    here(&[F("path")]),
                    &a.template,
                    here(&[F("template")]),
                    labels_raw.clone(),
                    &own_at,
                )?;
            }
            for (m, also) in a.also.iter().enumerate() {
                let also_at = |rest: &[PathSeg<'static>]| [&here(&[F("also"), I(m)])[..], rest].concat();
                if also.values.len() != labels_raw.len() {
                    return Err(at(
                        &also_at(&[F("values")]),
                        format!(
                            "{} values for {:?}, but axis {:?} has {}; expected one per axis value",
                            also.values.len(),
                            also.path,
                            a.name,
                            labels_raw.len()
                        ),
                    ));
                }
                let raw: Vec<String> = (0..also.values.len())
                    .map(|j| value_text(&also_at(&[F("values"), I(j)])).unwrap_or_default())
                    .collect();
                add(
                    &also.path,
                    also_at(&[F("path")]),
                    &also.template,
                    also_at(&[F("template")]),
                    raw,
                    &|j| also_at(&[F("values"), I(j)]),
                )?;
            }
            let labels: Vec<String> = labels_raw.iter().map(|v| label_of(v)).collect();
            let (numeric, unit) = numeric_of(&labels);
            axes.push(Axis {
                name: a.name.clone(),
                labels,
                numeric,
                unit,
            });
            targets.push(ts);
        }

        // The grid, first axis slowest.
        let total: usize = axes.iter().map(|a| a.labels.len()).product();
        const MAX_POINTS: usize = 1_000_000;
        if total > MAX_POINTS {
            return Err(at(
                &[F("axes")],
                format!("the grid has {total} points; expected at most {MAX_POINTS}"),
            ));
        }
        if spec.seeds == 0 || spec.seeds > 100_000 {
            return Err(at(
                &[F("seeds")],
                format!("seeds: {}; expected 1 to 100000 runs per point", spec.seeds),
            ));
        }
        let Some(last_seed) = spec.first_seed.checked_add(spec.seeds - 1) else {
            return Err(at(&[F("first_seed")], "first_seed + seeds overflows a u64".into()));
        };
        let seeds: Vec<u64> = (spec.first_seed..=last_seed).collect();
        let mut coords = Vec::with_capacity(total);
        let mut points = Vec::with_capacity(total);
        let mut hash = Fnv::new();
        // Results of another mpsim version are not mixed into a resume or merge.
        hash.write(env!("CARGO_PKG_VERSION").as_bytes());
        for n in 0..total {
            let mut c = vec![0; axes.len()];
            let mut rest = n;
            for (k, a) in axes.iter().enumerate().rev() {
                c[k] = rest % a.labels.len();
                rest /= a.labels.len();
            }
            let mut t = base_text.clone();
            for (k, ts) in targets.iter().enumerate() {
                for target in ts {
                    t = splice(&t, &target.path, &target.values[c[k]]);
                }
            }
            hash.write(t.as_bytes());
            let describe = || {
                axes.iter()
                    .zip(&c)
                    .map(|(a, &i)| format!("{}={}", a.name, a.labels[i]))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let point = match Scenario::parse_unchecked(file, &t) {
                Err(e) => Err(format!("invalid point ({}): {}", describe(), e.message)),
                Ok(sc) => match sc.check(file, &t) {
                    Err(e) => Err(format!("invalid point ({}): {}", describe(), e.message)),
                    Ok(()) => Ok(sc),
                },
            };
            coords.push(c);
            points.push(point);
        }
        let conns = base.connections.len();
        let metrics = metric_columns(conns, base.topology.is_some());
        for s in &seeds {
            hash.write(&s.to_le_bytes());
        }
        hash.write(&spec.event_budget.unwrap_or(0).to_le_bytes());
        for m in &metrics {
            hash.write(m.as_bytes());
        }
        for a in &axes {
            hash.write(a.name.as_bytes());
            for l in &a.labels {
                hash.write(l.as_bytes());
            }
        }
        let figures = match spec.figures {
            Some(f) => {
                for (k, fig) in f.iter().enumerate() {
                    check_figure(fig, &axes, &metrics).map_err(|m| at(&[F("figures"), I(k)], m))?;
                }
                f
            }
            None => default_figures(&axes, conns),
        };
        Ok(Sweep {
            info: PlanInfo {
                name: if spec.name.is_empty() {
                    file.file_stem()
                        .map(|s| s.to_string_lossy().to_string())
                        .unwrap_or_default()
                } else {
                    spec.name
                },
                description: spec.description,
                axes,
                seeds,
                points: coords,
                metrics,
                figures,
                fingerprint: format!("{:016x}", hash.finish()),
            },
            points,
            event_budget: spec.event_budget,
            source: text.to_string(),
        })
    }
}

/// Text of the same lines and columns as `prefix`, all blank: put before an
/// inline scenario so that positions in it are positions in the sweep file.
fn blank_like(prefix: &str) -> String {
    prefix.chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect()
}

/// The metric columns: the run's event count, the flow summary (scenarios
/// of the topology form), then the per-connection metrics of the written
/// connections (prefixed `cN_` when there are several).
pub fn metric_columns(conns: usize, flows: bool) -> Vec<String> {
    let mut v = vec!["events".to_string()];
    if flows {
        v.extend(FLOW_METRICS.iter().map(|m| m.to_string()));
    }
    for k in 0..conns {
        for m in CONN_METRICS {
            v.push(if conns == 1 { m.to_string() } else { format!("c{k}_{m}") });
        }
    }
    v
}

/// The run's flow summary in `results.csv` (scenarios of the topology form),
/// in order: `metrics.json`'s `flows`.
pub const FLOW_METRICS: [&str; 9] = [
    "flows",
    "flows_completed",
    "total_goodput_mbps",
    "jain_index",
    "min_goodput_mbps",
    "p10_goodput_mbps",
    "median_goodput_mbps",
    "first_over_second_goodput",
    "p99_completion_s",
];

/// The metrics of each connection in `results.csv`, in order.
pub const CONN_METRICS: [&str; 9] = [
    "completion_s",
    "goodput_mbps",
    "bytes_delivered",
    "reinjected_bytes",
    "meta_retransmitted_bytes",
    "retransmitted_bytes",
    "rto_count",
    "subflows",
    "ooo_max_bytes",
];

fn check_figure(f: &FigureSpec, axes: &[Axis], metrics: &[String]) -> Result<(), String> {
    let axis_names = || axes.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");
    let (metric, xs): (&str, Vec<&str>) = match f {
        FigureSpec::Line { metric, x } => (metric, vec![x]),
        FigureSpec::Heatmap { metric, x, y } => (metric, vec![x, y]),
    };
    if !metrics.iter().any(|m| m == metric) {
        return Err(format!(
            "figure metric {metric:?} is not a column of results.csv; expected one of {}",
            metrics.join(", ")
        ));
    }
    for x in &xs {
        let Some(a) = axes.iter().find(|a| a.name == *x) else {
            return Err(format!(
                "figure axis {x:?} is not an axis; expected one of {}",
                axis_names()
            ));
        };
        if matches!(f, FigureSpec::Line { .. }) && a.numeric.is_none() {
            return Err(format!(
                "a Line figure needs a numeric x axis, and {x:?} has values such as {:?}; expected a numeric axis or a Heatmap",
                a.labels[0]
            ));
        }
    }
    if xs.len() == 2 && xs[0] == xs[1] {
        return Err("a Heatmap needs two different axes".into());
    }
    Ok(())
}

/// Without `figures`: goodput and completion time against the first
/// numeric axis, and a heatmap of the first two axes' goodput.
fn default_figures(axes: &[Axis], conns: usize) -> Vec<FigureSpec> {
    let prefix = if conns == 1 { "" } else { "c0_" };
    let mut f = Vec::new();
    if let Some(x) = axes.iter().find(|a| a.numeric.is_some()) {
        for m in ["goodput_mbps", "completion_s"] {
            f.push(FigureSpec::Line {
                metric: format!("{prefix}{m}"),
                x: x.name.clone(),
            });
        }
    }
    if axes.len() >= 2 {
        f.push(FigureSpec::Heatmap {
            metric: format!("{prefix}goodput_mbps"),
            x: axes[1].name.clone(),
            y: axes[0].name.clone(),
        });
    }
    f
}

/// The values of a numeric range, as RON numbers: `from + i * step` up to
/// `to` inclusive, rounded to 12 significant digits so that 0.1 + 0.2 is
/// written 0.3.
fn range_values(r: &RangeSpec) -> Result<Vec<String>, String> {
    if !(r.from.is_finite() && r.to.is_finite() && r.step.is_finite()) || r.step <= 0.0 || r.to < r.from {
        return Err(format!(
            "range from {} to {} step {}; expected finite numbers with from <= to and step > 0",
            r.from, r.to, r.step
        ));
    }
    // Counted in floating point first: a tiny step makes the count
    // overflow any integer (and it used to wrap to "no values").
    let count = ((r.to - r.from) / r.step + 1e-9).floor() + 1.0;
    if count.is_nan() || count > 100_000.0 {
        return Err(format!(
            "the range has {count:.3e} values; expected at most 100000 (a larger step)"
        ));
    }
    let n = count as usize;
    Ok((0..n)
        .map(|i| {
            let v: f64 = format!("{:.11e}", r.from + i as f64 * r.step)
                .parse()
                .unwrap_or(f64::NAN);
            // `1` rather than `1.0`: ron reads an integer into an f64 field too.
            format!("{v}")
        })
        .collect())
}

/// A value as it is shown: whitespace collapsed, a plain string without its quotes.
fn label_of(v: &str) -> String {
    let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') && !v[1..v.len() - 1].contains(['"', '\\']) {
        v[1..v.len() - 1].to_string()
    } else {
        v
    }
}

/// Numbers for an axis: plain numbers, else durations in ms, else rates in Mb/s.
fn numeric_of(labels: &[String]) -> (Option<Vec<f64>>, String) {
    let all = |f: &dyn Fn(&str) -> Option<f64>| labels.iter().map(|l| f(l)).collect::<Option<Vec<f64>>>();
    if let Some(v) = all(&|l| l.parse::<f64>().ok().filter(|x| x.is_finite())) {
        return (Some(v), String::new());
    }
    if let Some(v) = all(&|l| l.parse::<sim_core::SimDuration>().ok().map(|d| d.as_secs_f64() * 1e3)) {
        return (Some(v), "ms".into());
    }
    if let Some(v) = all(&|l| l.parse::<sim_core::Bandwidth>().ok().map(|b| b.bps() as f64 / 1e6)) {
        return (Some(v), "Mb/s".into());
    }
    (None, String::new())
}

/// One step of an axis path as written.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Field(String),
    Index(usize),
    Named(String),
}

/// `a.b[0].c[wifi].d` into steps.
fn parse_path(s: &str) -> Result<Vec<Step>, String> {
    let bad = |why: &str| {
        Err(format!(
            "{why}; expected fields joined by '.', with [N] or [name] for a list element (e.g. \"client.interfaces[wifi].downlink.delay\")"
        ))
    };
    let mut steps = Vec::new();
    let mut rest = s.trim();
    if rest.is_empty() {
        return bad("the path is empty");
    }
    let ident = |r: &str| {
        r.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(r.len())
    };
    let mut first = true;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else {
                return bad("a '[' is not closed");
            };
            let inner = r[..end].trim();
            if inner.is_empty() {
                return bad("empty []");
            }
            steps.push(match inner.parse::<usize>() {
                Ok(i) => Step::Index(i),
                Err(_) => Step::Named(inner.trim_matches('"').to_string()),
            });
            rest = &r[end + 1..];
        } else {
            let r = if first {
                rest
            } else {
                match rest.strip_prefix('.') {
                    Some(r) => r,
                    None => return bad(&format!("unexpected {:?}", rest.chars().next().unwrap_or(' '))),
                }
            };
            let n = ident(r);
            if n == 0 {
                return bad("a field name is missing");
            }
            steps.push(Step::Field(r[..n].to_string()));
            rest = &r[n..];
        }
        first = false;
    }
    Ok(steps)
}

/// A resolved path step that owns its field name.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Field(String),
    Index(usize),
}

fn segs(path: &[Seg]) -> Vec<PathSeg<'_>> {
    path.iter()
        .map(|s| match s {
            Seg::Field(f) => PathSeg::Field(f),
            Seg::Index(i) => PathSeg::Index(*i),
        })
        .collect()
}

/// The scenario path of an axis path in `text`, resolving `[name]`; an
/// error says what exists where the path goes wrong.
fn resolve_path(text: &str, s: &str) -> Result<Vec<Seg>, String> {
    let steps = parse_path(s)?;
    let mut path: Vec<Seg> = Vec::new();
    let mut shown = String::new();
    for step in steps {
        let children = value_children(text, &segs(&path)).ok_or_else(|| format!("{shown} cannot be read"))?;
        let here = if shown.is_empty() {
            "the scenario".to_string()
        } else {
            format!("`{shown}`")
        };
        let value_of = |path: &[Seg]| {
            value_span(text, &segs(path))
                .map(|r| {
                    text[r]
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .replace("r#", "")
                })
                .unwrap_or_default()
        };
        match step {
            Step::Field(f) => {
                let Children::Fields(names) = children else {
                    return Err(format!(
                        "{here} is `{}` in the base scenario, which has no field `{f}`",
                        short(&value_of(&path))
                    ));
                };
                if !names.contains(&f) {
                    return Err(format!(
                        "{here} has no field `{f}`; expected one of {}",
                        names.join(", ")
                    ));
                }
                shown = if shown.is_empty() {
                    f.clone()
                } else {
                    format!("{shown}.{f}")
                };
                path.push(Seg::Field(f));
            }
            Step::Index(i) => {
                let Children::Elements(n) = children else {
                    return Err(format!("{here} is not a list; [{i}] needs one"));
                };
                if i >= n {
                    return Err(format!("{here} has {n} elements; expected an index below {n}"));
                }
                shown = format!("{shown}[{i}]");
                path.push(Seg::Index(i));
            }
            Step::Named(name) => {
                let Children::Elements(n) = children else {
                    return Err(format!("{here} is not a list; [{name}] needs one"));
                };
                let names: Vec<String> = (0..n)
                    .map(|i| {
                        let mut p = path.clone();
                        p.extend([Seg::Index(i), Seg::Field("name".into())]);
                        // An optional name (a topology link's) is written `Some("...")`.
                        let v = value_of(&p);
                        let v = v.strip_prefix("Some(").and_then(|x| x.strip_suffix(')')).unwrap_or(&v);
                        label_of(v)
                    })
                    .collect();
                let Some(i) = names.iter().position(|x| *x == name) else {
                    return Err(format!(
                        "{here} has no element named {name:?}; expected one of {}",
                        names.join(", ")
                    ));
                };
                shown = format!("{shown}[{name}]");
                path.push(Seg::Index(i));
            }
        }
    }
    Ok(path)
}

fn short(v: &str) -> String {
    if v.chars().count() > 40 {
        format!("{}...", v.chars().take(40).collect::<String>())
    } else {
        v.to_string()
    }
}

/// `text` with the value at `path` replaced by `value`.
fn splice(text: &str, path: &[Seg], value: &str) -> String {
    match value_span(text, &segs(path)) {
        Some(r) => format!("{}{}{}", &text[..r.start], value.trim(), &text[r.end..]),
        None => text.to_string(),
    }
}

/// FNV-1a, 64 bits: a stable hash for fingerprints (std's hasher is not
/// stable across Rust versions).
struct Fnv(u64);
impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"Scenario(
    name: "two-path",
    stop: "5s",
    client: ClientSpec(
        interfaces: [
            InterfaceSpec(
                name: "wifi",
                kind: Wifi,
                uplink: LinkSpec(rate: "20Mbps", delay: "10ms"),
                downlink: LinkSpec(rate: "20Mbps", delay: "10ms"),
            ),
            InterfaceSpec(
                name: "cell",
                kind: Cellular,
                uplink: LinkSpec(rate: "10Mbps", delay: "30ms"),
                downlink: LinkSpec(rate: "10Mbps", delay: "30ms"),
            ),
        ],
    ),
    connections: [ConnectionSpec(traffic: Download(bytes: "1MB"))],
)"#;

    /// A sweep over BASE with the given axes text.
    fn sweep_text(axes: &str) -> String {
        format!("Sweep(\n    base: Inline({BASE}),\n    axes: [\n{axes}\n    ],\n    seeds: 2,\n)\n")
    }

    fn plan(axes: &str) -> Result<Sweep, ScenarioError> {
        Sweep::parse(Path::new("t.ron"), &sweep_text(axes), None)
    }

    /// (line, col) of the n-th occurrence (from 0) of `needle` in `text`.
    fn at(text: &str, needle: &str, n: usize) -> (usize, usize) {
        let off = text.match_indices(needle).nth(n).expect("needle in text").0;
        line_col(text, off)
    }

    #[test]
    fn paths_parse_fields_indices_and_names() {
        assert_eq!(
            parse_path("client.interfaces[wifi].downlink.delay").unwrap(),
            vec![
                Step::Field("client".into()),
                Step::Field("interfaces".into()),
                Step::Named("wifi".into()),
                Step::Field("downlink".into()),
                Step::Field("delay".into()),
            ]
        );
        assert_eq!(
            parse_path("connections[0].cc").unwrap(),
            vec![
                Step::Field("connections".into()),
                Step::Index(0),
                Step::Field("cc".into())
            ]
        );
        for bad in ["", "a..b", "a[0", "a.[0]", ".a", "a b"] {
            assert!(parse_path(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn a_grid_has_every_combination_with_the_first_axis_slowest() {
        let sw = plan(
            r#"        Axis(name: "cc", path: "connections[0].cc", values: [reno, cubic, lia]),
        Axis(name: "delay", path: "client.interfaces[cell].downlink.delay", values: ["30ms", "60ms"]),"#,
        )
        .unwrap();
        assert_eq!(
            sw.info.points,
            vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1], vec![2, 0], vec![2, 1]]
        );
        assert_eq!(sw.info.runs(), 12);
        assert_eq!(sw.info.seeds, vec![1, 2]);
        // Run 7: point 3 = (cubic, 60ms), second seed.
        let sc = sw.run_scenario(7).unwrap();
        assert_eq!(sc.connections[0].cc.name(), "cubic");
        assert_eq!(
            sc.client.interfaces[1].downlink.as_ref().unwrap().delay,
            sim_core::SimDuration::from_millis(60)
        );
        assert_eq!(
            sc.client.interfaces[0].downlink.as_ref().unwrap().delay,
            sim_core::SimDuration::from_millis(10)
        );
        assert_eq!(sc.seed, 2);
        assert_eq!(sw.info.axes[1].numeric, Some(vec![30.0, 60.0]));
        assert_eq!(sw.info.axes[1].unit, "ms");
        assert_eq!(sw.info.axes[0].numeric, None);
    }

    #[test]
    fn a_template_and_also_paths_set_several_fields_per_value() {
        let sw = plan(
            r#"        Axis(name: "loss", path: "client.interfaces[wifi].downlink.loss", template: "Bernoulli(p: {})", values: [0, 0.01]),
        Axis(name: "ratio", values: [1, 4], also: [
            Also(path: "client.interfaces[cell].uplink.delay", values: ["10ms", "40ms"]),
            Also(path: "client.interfaces[cell].downlink.delay", values: ["10ms", "40ms"]),
        ]),"#,
        )
        .unwrap();
        let sc = sw.run_scenario(3 * 2).unwrap();
        let cell = &sc.client.interfaces[1];
        assert_eq!(
            cell.uplink.as_ref().unwrap().delay,
            sim_core::SimDuration::from_millis(40)
        );
        assert_eq!(
            cell.downlink.as_ref().unwrap().delay,
            sim_core::SimDuration::from_millis(40)
        );
        assert_eq!(
            sc.client.interfaces[0].downlink.as_ref().unwrap().loss,
            sim_core::LossModel::Bernoulli { p: 0.01 }
        );
        assert_eq!(sw.info.axes[0].labels, vec!["0", "0.01"]);
    }

    #[test]
    fn an_unset_buffer_stays_a_bdp_of_each_points_own_delay() {
        let sw = plan(
            r#"        Axis(name: "d", path: "client.interfaces[cell].downlink.delay", values: ["30ms", "300ms"]),"#,
        )
        .unwrap();
        let b = |r| {
            sw.run_scenario(r).unwrap().client.interfaces[1]
                .downlink
                .clone()
                .unwrap()
                .resolved_buffer()
        };
        assert_ne!(b(0), b(2));
    }

    #[test]
    fn a_range_gives_rounded_values_including_the_end() {
        let r = RangeSpec {
            from: 0.0,
            to: 0.3,
            step: 0.1,
        };
        assert_eq!(range_values(&r).unwrap(), vec!["0", "0.1", "0.2", "0.3"]);
        let bad = RangeSpec {
            from: 1.0,
            to: 0.0,
            step: 0.1,
        };
        assert!(range_values(&bad).is_err());
    }

    #[test]
    fn a_range_with_a_vanishing_step_is_too_many_values_not_none() {
        // The reliability reproducer misleading_error_range_step_1e-300.
        let r = RangeSpec {
            from: 0.0,
            to: 1.0,
            step: 1e-300,
        };
        let e = range_values(&r).unwrap_err();
        assert!(e.contains("1.000e300 values; expected at most 100000"), "{e}");
    }

    #[test]
    fn a_path_that_names_no_field_is_located_at_the_path_and_lists_the_fields() {
        let axes = r#"        Axis(name: "x", path: "client.interfaces[wifi].downlink.dealy", values: ["1ms"]),"#;
        let e = plan(axes).unwrap_err();
        let text = sweep_text(axes);
        assert_eq!(
            (e.line, e.col),
            at(&text, "\"client.interfaces[wifi].downlink.dealy\"", 0)
        );
        assert!(e.message.contains("no field `dealy`"), "{e}");
        assert!(e.message.contains("rate, delay, buffer, loss, jitter"), "{e}");
    }

    #[test]
    fn a_path_into_a_missing_variant_says_what_the_base_holds() {
        let e = plan(r#"        Axis(name: "x", path: "client.interfaces[wifi].downlink.loss.p", values: [0.1]),"#)
            .unwrap_err();
        assert!(e.message.contains("is `None` in the base scenario"), "{e}");
    }

    #[test]
    fn an_unknown_element_name_lists_the_names() {
        let e = plan(r#"        Axis(name: "x", path: "client.interfaces[lte].downlink.delay", values: ["1ms"]),"#)
            .unwrap_err();
        assert!(
            e.message
                .contains("no element named \"lte\"; expected one of wifi, cell"),
            "{e}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_located_at_the_value() {
        let axes = r#"        Axis(name: "cc", path: "connections[0].cc", values: [reno, fast]),"#;
        let e = plan(axes).unwrap_err();
        let text = sweep_text(axes);
        assert_eq!((e.line, e.col), at(&text, "fast", 0));
        assert!(e.message.contains("does not fit \"connections[0].cc\""), "{e}");
    }

    #[test]
    fn a_well_typed_value_that_fails_the_checks_is_an_invalid_point() {
        let sw = plan(r#"        Axis(name: "mss", path: "connections[0].mss", values: ["1460B", "100B"]),"#).unwrap();
        assert!(sw.points[0].is_ok());
        let e = sw.points[1].as_ref().unwrap_err();
        assert!(
            e.contains("invalid point (mss=100B)") && e.contains("out of range"),
            "{e}"
        );
    }

    #[test]
    fn the_seed_is_not_an_axis() {
        let e = plan(r#"        Axis(name: "s", path: "seed", values: [1, 2]),"#).unwrap_err();
        assert!(e.message.contains("expected `seeds: N`"), "{e}");
    }

    #[test]
    fn an_error_in_an_inline_base_is_located_in_the_sweep_file() {
        let text = sweep_text(r#"        Axis(name: "cc", path: "connections[0].cc", values: [reno]),"#)
            .replace("stop: \"5s\"", "stop: \"0s\"");
        let e = Sweep::parse(Path::new("t.ron"), &text, None).unwrap_err();
        assert_eq!((e.line, e.col), at(&text, "\"0s\"", 0));
        assert!(e.message.contains("stop is 0s"), "{e}");
    }

    #[test]
    fn the_fingerprint_changes_with_any_run_and_not_otherwise() {
        let a = plan(r#"        Axis(name: "cc", path: "connections[0].cc", values: [reno, lia]),"#).unwrap();
        let b = plan(r#"        Axis(name: "cc", path: "connections[0].cc", values: [reno, lia]),"#).unwrap();
        let c = plan(r#"        Axis(name: "cc", path: "connections[0].cc", values: [reno, olia]),"#).unwrap();
        assert_eq!(a.info.fingerprint, b.info.fingerprint);
        assert_ne!(a.info.fingerprint, c.info.fingerprint);
    }
}
