//! Generated connections (the topology form): a traffic matrix over a set of
//! hosts, drawn from the seed, each pair given copies of one connection.
//!
//! ```ron
//! flows: [
//!     Flows(
//!         pattern: Permutation,
//!         count: 1,
//!         starts: Uniform(within: "100ms"),
//!         size: Pareto(mean: "100KB", shape: 1.5),
//!         connection: ConnectionSpec(cc: lia, traffic: Download(bytes: "1MB")),
//!     ),
//! ],
//! ```
//!
//! Each `Flows` draws from its own random stream (`flows/K`), so adding one
//! does not change what another generates.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sim_core::{ByteSize, SimDuration, SimRng};

use super::{ConnectionSpec, Traffic};

/// Who opens connections to whom.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Pattern {
    /// Every host opens to one other host and is opened to by one: a
    /// uniformly random permutation without fixed points (a derangement).
    Permutation,
    /// Every host opens to a uniformly random other host.
    Random,
    /// Every other host opens to host `to`.
    Incast {
        /// The host they all open to.
        to: String,
    },
}

/// When generated connections start, after the template's `start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Starts {
    /// All at the template's `start`.
    Together,
    /// Uniformly at random within `within` of it.
    Uniform {
        /// The spread; greater than 0.
        within: SimDuration,
    },
    /// One after another, with exponential gaps of mean `mean_gap` (Poisson
    /// arrivals), in the order generated.
    Poisson {
        /// The mean gap; greater than 0.
        mean_gap: SimDuration,
    },
}

/// A distribution of transfer sizes, in bytes (at least 1 byte each).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SizeDist {
    /// Exponential with mean `mean`.
    Exponential {
        /// The mean.
        mean: ByteSize,
    },
    /// Pareto with mean `mean` and shape `shape` (> 1): heavy-tailed, as
    /// datacenter and web flow sizes are.
    Pareto {
        /// The mean.
        mean: ByteSize,
        /// The shape alpha, greater than 1 (1.1 to 2 is typical).
        shape: f64,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        /// The smallest size.
        min: ByteSize,
        /// The largest size, at least `min`.
        max: ByteSize,
    },
    /// A published workload's flow-size distribution, by name.
    Workload(Workload),
    /// An empirical distribution: `(bytes, cumulative fraction)` points,
    /// sizes and fractions strictly increasing, the last fraction 1.0;
    /// sizes are interpolated linearly between points (the convention of
    /// the HPCC and pFabric traffic generators). A first point with a
    /// fraction above 0 is the smallest size.
    Cdf(Vec<(ByteSize, f64)>),
}

/// Published flow-size distributions of datacenter workloads, as the
/// traffic generators of datacenter transport papers tabulate them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// Web search (Alizadeh et al., "Data Center TCP", SIGCOMM 2010,
    /// its measured background flows), as tabulated by HPCC (Li et al., SIGCOMM 2019) and
    /// pFabric: from 10 kB to 30 MB, 60% of flows under 200 kB; mean
    /// 1.71 MB with linear interpolation between the points.
    WebSearch,
    /// Hadoop at Facebook (Roy et al., "Inside the Social Network's
    /// (Datacenter) Network", SIGCOMM 2015), as tabulated by HPCC: from
    /// 100 B to 10 MB, half of the flows under 700 B; mean 0.12 MB
    /// interpolated.
    FbHadoop,
}

impl Workload {
    /// The CDF: (bytes, cumulative fraction), from a fraction of 0.
    pub fn cdf(self) -> &'static [(u64, f64)] {
        match self {
            Workload::WebSearch => &[
                (0, 0.0),
                (10_000, 0.15),
                (20_000, 0.20),
                (30_000, 0.30),
                (50_000, 0.40),
                (80_000, 0.53),
                (200_000, 0.60),
                (1_000_000, 0.70),
                (2_000_000, 0.80),
                (5_000_000, 0.90),
                (10_000_000, 0.97),
                (30_000_000, 1.0),
            ],
            Workload::FbHadoop => &[
                (0, 0.0),
                (100, 0.01),
                (200, 0.02),
                (300, 0.05),
                (350, 0.15),
                (400, 0.20),
                (500, 0.30),
                (600, 0.40),
                (700, 0.50),
                (1_000, 0.60),
                (2_000, 0.67),
                (7_000, 0.70),
                (30_000, 0.72),
                (50_000, 0.82),
                (80_000, 0.87),
                (120_000, 0.90),
                (300_000, 0.95),
                (1_000_000, 0.975),
                (2_000_000, 0.99),
                (10_000_000, 1.0),
            ],
        }
    }
}

/// The size at cumulative fraction `u` of `cdf`, by linear interpolation
/// between the points around it (below the first point: its size).
fn inverse_cdf(cdf: &[(u64, f64)], u: f64) -> f64 {
    let mut prev = (cdf[0].0 as f64, 0.0);
    for &(x, p) in cdf {
        let x = x as f64;
        if u <= p {
            if p <= prev.1 {
                return x;
            }
            return prev.0 + (x - prev.0) * (u - prev.1) / (p - prev.1);
        }
        prev = (x, p);
    }
    prev.0
}

/// The mean of the piecewise-linear distribution of `cdf`.
#[cfg(test)]
fn cdf_mean(cdf: &[(u64, f64)]) -> f64 {
    let mut mean = cdf[0].0 as f64 * cdf[0].1;
    for w in cdf.windows(2) {
        mean += (w[0].0 as f64 + w[1].0 as f64) / 2.0 * (w[1].1 - w[0].1);
    }
    mean
}

impl SizeDist {
    /// One draw.
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        // A uniform in (0, 1]: 53 random bits, never 0 (so ln is finite).
        let mut u = || ((rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let x = match *self {
            SizeDist::Exponential { mean } => -(mean.bytes() as f64) * u().ln(),
            SizeDist::Pareto { mean, shape } => {
                // Scale x_m from the mean: mean = shape x_m / (shape - 1).
                let xm = mean.bytes() as f64 * (shape - 1.0) / shape;
                xm / u().powf(1.0 / shape)
            }
            SizeDist::Uniform { min, max } => {
                let span = max.bytes() - min.bytes();
                return min.bytes() + rng.next_u64() % (span + 1);
            }
            SizeDist::Workload(w) => inverse_cdf(w.cdf(), u()),
            SizeDist::Cdf(ref points) => {
                let cdf: Vec<(u64, f64)> = points.iter().map(|&(b, p)| (b.bytes(), p)).collect();
                inverse_cdf(&cdf, u())
            }
        };
        // Cut at 1 TB so that sums stay far from overflow.
        (x.round() as u64).clamp(1, 1_000_000_000_000)
    }

    /// What is wrong with the parameters: the field and why.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        match *self {
            SizeDist::Exponential { mean } | SizeDist::Pareto { mean, .. } if mean.bytes() == 0 => {
                Some(("mean", "a mean of 0B; expected at least 1B".into()))
            }
            SizeDist::Pareto { shape, .. } if !(shape > 1.0 && shape <= 100.0) => Some((
                "shape",
                format!("shape {shape}; expected more than 1 (the mean is infinite at 1) and at most 100"),
            )),
            SizeDist::Uniform { min, max } if min.bytes() == 0 || max < min => {
                Some(("max", format!("sizes from {min} to {max}; expected 1B <= min <= max")))
            }
            SizeDist::Cdf(ref points) => {
                let expected = "expected (bytes, fraction) points with sizes and fractions strictly increasing, fractions in (0, 1], the last 1.0";
                if points.is_empty() || points.len() > 10_000 {
                    return Some((
                        "Cdf",
                        format!("{} points; expected 1 to 10000 ({expected})", points.len()),
                    ));
                }
                for (i, &(b, p)) in points.iter().enumerate() {
                    let bad_order = i > 0 && (b <= points[i - 1].0 || p <= points[i - 1].1);
                    if !(p > 0.0 && p <= 1.0) || bad_order || b.bytes() > 1_000_000_000_000 {
                        return Some(("Cdf", format!("point {i} ({b}, {p}); {expected}, sizes at most 1TB")));
                    }
                }
                let last = points[points.len() - 1].1;
                (last != 1.0).then(|| ("Cdf", format!("the last fraction is {last}; {expected}")))
            }
            _ => None,
        }
    }
}

/// Connections generated over a set of hosts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Flows")]
pub struct FlowsSpec {
    /// Who opens to whom.
    pub pattern: Pattern,
    /// The hosts the pattern is over, by name. Default: every host.
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    /// Connections per pair of hosts. Default: 1.
    #[serde(default = "one")]
    pub count: u32,
    /// When they start. Default: `Together`.
    #[serde(default = "together")]
    pub starts: Starts,
    /// Draw each transfer's size (the `bytes` of a `Download` or `Upload`
    /// template) from this distribution. Default: the template's.
    #[serde(default)]
    pub size: Option<SizeDist>,
    /// The template: every generated connection is this one, with `from`
    /// and `to` (which it must not set) filled in.
    pub connection: ConnectionSpec,
}

fn one() -> u32 {
    1
}
fn together() -> Starts {
    Starts::Together
}

/// The most connections one `Flows` may generate.
pub const MAX_GENERATED: usize = 100_000;

impl FlowsSpec {
    /// The hosts the pattern is over (indices into `all`), or the name
    /// that is not a host.
    pub fn host_set(&self, all: &[String]) -> Result<Vec<usize>, String> {
        match &self.hosts {
            None => Ok((0..all.len()).collect()),
            Some(names) => names
                .iter()
                .map(|n| all.iter().position(|h| h == n).ok_or_else(|| n.clone()))
                .collect(),
        }
    }

    /// The (from, to) host pairs, each `count` times, drawn from `rng`.
    /// `to_host`: the index of `Incast`'s host, resolved by the caller.
    pub fn pairs(&self, set: &[usize], to_host: Option<usize>, rng: &mut SimRng) -> Vec<(usize, usize)> {
        let n = set.len();
        let mut pairs = Vec::new();
        match &self.pattern {
            Pattern::Permutation if n >= 2 => {
                // A uniform derangement by rejection (about e tries).
                let mut perm: Vec<usize> = (0..n).collect();
                loop {
                    for i in (1..n).rev() {
                        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                        perm.swap(i, j);
                    }
                    if perm.iter().enumerate().all(|(i, &p)| i != p) {
                        break;
                    }
                }
                pairs.extend((0..n).map(|i| (set[i], set[perm[i]])));
            }
            Pattern::Random if n >= 2 => {
                for i in 0..n {
                    let mut j = (rng.next_u64() % (n as u64 - 1)) as usize;
                    if j >= i {
                        j += 1;
                    }
                    pairs.push((set[i], set[j]));
                }
            }
            Pattern::Incast { .. } => {
                if let Some(to) = to_host {
                    pairs.extend(set.iter().filter(|&&h| h != to).map(|&h| (h, to)));
                }
            }
            _ => {}
        }
        pairs
            .into_iter()
            .flat_map(|p| std::iter::repeat_n(p, self.count as usize))
            .collect()
    }

    /// The connections for `pairs` of host names, drawn from `rng`.
    pub fn connections(&self, pairs: &[(String, String)], rng: &mut SimRng) -> Vec<ConnectionSpec> {
        let mut at = self.connection.start;
        pairs
            .iter()
            .map(|(from, to)| {
                let mut c = self.connection.clone();
                c.from = Some(from.clone());
                c.to = Some(to.clone());
                c.start = match self.starts {
                    Starts::Together => self.connection.start,
                    Starts::Uniform { within } => {
                        let ns = within.as_nanos().max(1);
                        self.connection.start + SimDuration::from_nanos(rng.next_u64() % ns)
                    }
                    Starts::Poisson { mean_gap } => {
                        let u = ((rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
                        let gap = -(mean_gap.as_nanos() as f64) * u.ln();
                        at += SimDuration::from_nanos(gap.round().min(1e15) as u64);
                        at
                    }
                };
                if let Some(d) = &self.size {
                    let bytes = ByteSize::from_bytes(d.sample(rng));
                    match &mut c.traffic {
                        Traffic::Download { bytes: b } | Traffic::Upload { bytes: b } => *b = bytes,
                        _ => {}
                    }
                }
                c
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::RngStreams;

    fn spec(pattern: Pattern) -> FlowsSpec {
        FlowsSpec {
            pattern,
            hosts: None,
            count: 1,
            starts: Starts::Together,
            size: None,
            connection: ron::from_str("ConnectionSpec(traffic: Download(bytes: \"1MB\"))").unwrap(),
        }
    }

    #[test]
    fn a_permutation_sends_once_and_receives_once_per_host_and_never_to_itself() {
        let set: Vec<usize> = (0..16).collect();
        for seed in 0..50 {
            let mut rng = RngStreams::new(seed).stream("flows/0");
            let pairs = spec(Pattern::Permutation).pairs(&set, None, &mut rng);
            assert_eq!(pairs.len(), 16);
            let mut to: Vec<usize> = pairs.iter().map(|p| p.1).collect();
            to.sort();
            assert_eq!(to, set, "each host receives once");
            assert!(pairs.iter().all(|(a, b)| a != b));
        }
    }

    #[test]
    fn incast_has_every_other_host_open_to_one_and_count_repeats_each_pair() {
        let set: Vec<usize> = (0..5).collect();
        let mut rng = RngStreams::new(1).stream("flows/0");
        let mut s = spec(Pattern::Incast { to: "x".into() });
        s.count = 3;
        let pairs = s.pairs(&set, Some(2), &mut rng);
        assert_eq!(pairs.len(), 12);
        assert!(pairs.iter().all(|&(a, b)| b == 2 && a != 2));
    }

    #[test]
    fn pareto_sizes_have_the_mean_asked_for() {
        let d = SizeDist::Pareto {
            mean: ByteSize::from_bytes(100_000),
            shape: 2.5,
        };
        let mut rng = RngStreams::new(3).stream("flows/0");
        let n = 200_000;
        let mean = (0..n).map(|_| d.sample(&mut rng) as f64).sum::<f64>() / n as f64;
        // Shape 2.5 has a finite variance: the sample mean of 2e5 draws is
        // within a few percent.
        assert!((mean / 100_000.0 - 1.0).abs() < 0.05, "{mean}");
    }

    #[test]
    fn poisson_starts_increase_with_the_mean_gap_asked_for() {
        let mut s = spec(Pattern::Random);
        s.starts = Starts::Poisson {
            mean_gap: SimDuration::from_millis(10),
        };
        let pairs: Vec<(String, String)> = (0..20_000).map(|i| (format!("h{i}"), "s".into())).collect();
        let mut rng = RngStreams::new(1).stream("flows/0");
        let conns = s.connections(&pairs, &mut rng);
        assert!(conns.windows(2).all(|w| w[0].start <= w[1].start));
        let last = conns.last().unwrap().start.as_secs_f64();
        assert!((last / 200.0 - 1.0).abs() < 0.05, "{last}");
    }

    #[test]
    fn web_search_sizes_follow_the_tabulated_cdf() {
        let d = SizeDist::Workload(Workload::WebSearch);
        let mut rng = RngStreams::new(5).stream("flows/0");
        let n = 200_000;
        let draws: Vec<u64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        // Each tabulated point: the fraction of draws at or below its size.
        for &(x, p) in Workload::WebSearch.cdf() {
            let below = draws.iter().filter(|&&b| b <= x).count() as f64 / n as f64;
            assert!((below - p).abs() < 0.005, "{x}: {below} drawn, {p} tabulated");
        }
        let mean = draws.iter().map(|&b| b as f64).sum::<f64>() / n as f64;
        let want = cdf_mean(Workload::WebSearch.cdf());
        assert!((mean / want - 1.0).abs() < 0.03, "{mean} against {want}");
        assert_eq!(want.round(), 1_711_250.0, "the table's interpolated mean");
    }

    #[test]
    fn a_user_cdf_is_interpolated_between_its_points_and_starts_at_its_first_size() {
        let d = SizeDist::Cdf(vec![
            (ByteSize::from_bytes(1000), 0.5),
            (ByteSize::from_bytes(3000), 1.0),
        ]);
        assert_eq!(d.problem(), None);
        let mut rng = RngStreams::new(9).stream("flows/0");
        let draws: Vec<u64> = (0..100_000).map(|_| d.sample(&mut rng)).collect();
        let at_min = draws.iter().filter(|&&b| b == 1000).count() as f64 / 1e5;
        assert!(
            (at_min - 0.5).abs() < 0.01,
            "half of the mass at the first point: {at_min}"
        );
        assert!(draws.iter().all(|&b| (1000..=3000).contains(&b)));
        let below_2000 = draws.iter().filter(|&&b| b <= 2000).count() as f64 / 1e5;
        assert!((below_2000 - 0.75).abs() < 0.01, "{below_2000}");
    }

    #[test]
    fn a_cdf_out_of_order_or_not_ending_at_one_is_a_problem() {
        let b = ByteSize::from_bytes;
        assert!(SizeDist::Cdf(vec![(b(10), 0.5), (b(5), 1.0)]).problem().is_some());
        assert!(SizeDist::Cdf(vec![(b(10), 0.5), (b(20), 0.9)]).problem().is_some());
        assert!(SizeDist::Cdf(vec![(b(10), 0.0), (b(20), 1.0)]).problem().is_some());
        assert!(SizeDist::Cdf(vec![]).problem().is_some());
        assert!(SizeDist::Cdf(vec![(b(10), 1.0)]).problem().is_none());
    }
}
