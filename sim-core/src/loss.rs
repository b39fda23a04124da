//! Random and scripted packet loss on a link.
//!
//! - `None`: nothing is lost.
//! - `Bernoulli { p }`: each packet independently with probability `p`.
//! - `GilbertElliott { p, r, loss_good, loss_bad }`: a two-state Markov
//!   chain (Gilbert 1960, Elliott 1963). Per packet, the packet is lost with
//!   the loss probability of the current state, then the chain moves Good->Bad
//!   with probability `p` and Bad->Good with probability `r`. The stationary
//!   share of Bad is `p / (p + r)`, so the long-run loss rate is
//!   `loss_good * r/(p+r) + loss_bad * p/(p+r)`. Mean burst (Bad sojourn)
//!   length is `1/r` packets. The chain starts in Good.
//! - `DropList { indices }`: exactly the packets with these 0-based indices
//!   among those offered to the link (for tests).
//!
//! Each link draws from its own random stream, so loss on one link never
//! changes the draws of another.

use std::collections::BTreeSet;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::rng::SimRng;

/// A loss model as configured in a scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum LossModel {
    #[default]
    None,
    Bernoulli {
        p: f64,
    },
    GilbertElliott {
        /// Probability of moving Good -> Bad after a packet.
        p: f64,
        /// Probability of moving Bad -> Good after a packet.
        r: f64,
        /// Loss probability in the Good state (often 0).
        #[serde(default)]
        loss_good: f64,
        /// Loss probability in the Bad state (often 1).
        #[serde(default = "one")]
        loss_bad: f64,
    },
    DropList {
        indices: BTreeSet<u64>,
    },
}

fn one() -> f64 {
    1.0
}

/// A probability outside [0, 1] or not a number.
#[derive(Clone, Debug, PartialEq)]
pub struct LossModelError(pub String);

impl std::fmt::Display for LossModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for LossModelError {}

impl LossModel {
    /// Checks that every probability is in [0, 1] (and GE's `p + r > 0`).
    pub fn validate(&self) -> Result<(), LossModelError> {
        let check = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(LossModelError(format!(
                    "{name} = {v} is not a probability; expected a number in [0, 1]"
                )))
            }
        };
        match self {
            LossModel::None | LossModel::DropList { .. } => Ok(()),
            LossModel::Bernoulli { p } => check("p", *p),
            LossModel::GilbertElliott {
                p,
                r,
                loss_good,
                loss_bad,
            } => {
                check("p", *p)?;
                check("r", *r)?;
                check("loss_good", *loss_good)?;
                check("loss_bad", *loss_bad)?;
                if *p + *r == 0.0 {
                    return Err(LossModelError(
                        "p and r are both 0: the chain never moves; expected p + r > 0".into(),
                    ));
                }
                Ok(())
            }
        }
    }

    /// The long-run loss probability (the stationary formula), for checks.
    pub fn stationary_loss_rate(&self) -> Option<f64> {
        match self {
            LossModel::None => Some(0.0),
            LossModel::Bernoulli { p } => Some(*p),
            LossModel::GilbertElliott {
                p,
                r,
                loss_good,
                loss_bad,
            } => {
                let pi_bad = p / (p + r);
                Some(loss_good * (1.0 - pi_bad) + loss_bad * pi_bad)
            }
            LossModel::DropList { .. } => None,
        }
    }
}

/// The running state of a loss model on one link.
#[derive(Debug)]
pub struct LossProcess {
    model: LossModel,
    rng: SimRng,
    bad: bool,
    index: u64,
}

impl LossProcess {
    pub fn new(model: LossModel, rng: SimRng) -> Self {
        LossProcess {
            model,
            rng,
            bad: false,
            index: 0,
        }
    }

    pub fn model(&self) -> &LossModel {
        &self.model
    }

    /// Replaces the model from the next packet on. The packet index keeps
    /// counting (a `DropList` names indices among all packets offered,
    /// before and after the change) and the random stream continues; a
    /// Gilbert-Elliott chain starts again in Good.
    pub fn set_model(&mut self, model: LossModel) {
        self.model = model;
        self.bad = false;
    }

    /// Decides the fate of the next packet offered: `true` means lost.
    /// Called exactly once per offered packet, in offer order.
    pub fn next_is_lost(&mut self) -> bool {
        let i = self.index;
        self.index += 1;
        match &self.model {
            LossModel::None => false,
            LossModel::Bernoulli { p } => *p > 0.0 && self.rng.random_bool(*p),
            LossModel::GilbertElliott {
                p,
                r,
                loss_good,
                loss_bad,
            } => {
                let loss_p = if self.bad { *loss_bad } else { *loss_good };
                let lost = loss_p > 0.0 && self.rng.random_bool(loss_p);
                let move_p = if self.bad { *r } else { *p };
                if move_p > 0.0 && self.rng.random_bool(move_p) {
                    self.bad = !self.bad;
                }
                lost
            }
            LossModel::DropList { indices } => indices.contains(&i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;

    fn rate(model: LossModel, n: u64, seed: u64) -> f64 {
        let mut lp = LossProcess::new(model, RngStreams::new(seed).stream("loss"));
        (0..n).filter(|_| lp.next_is_lost()).count() as f64 / n as f64
    }

    /// Tolerance: at a fixed seed the test is deterministic, but the bound is
    /// derived, not tuned. For n independent Bernoulli(p) trials the sample
    /// mean has standard deviation sqrt(p(1-p)/n); 4 sigma is exceeded with
    /// probability 6e-5 for a random seed.
    #[test]
    fn bernoulli_long_run_loss_rate_matches_p_within_four_sigma() {
        for p in [0.001, 0.01, 0.05, 0.2] {
            let n = 400_000u64;
            let sigma = (p * (1.0 - p) / n as f64).sqrt();
            let got = rate(LossModel::Bernoulli { p }, n, 11);
            assert!((got - p).abs() <= 4.0 * sigma, "p={p} got={got} sigma={sigma}");
        }
    }

    /// Tolerance: the loss indicator of a Gilbert-Elliott chain is
    /// correlated. With lambda = 1 - p - r (the chain's second eigenvalue),
    /// the variance of the mean of n samples is asymptotically
    ///   [ pi_b (1 - pi_b) (lb - lg)^2 (1 + lambda)/(1 - lambda)
    ///     + pi_g lg (1 - lg) + pi_b lb (1 - lb) ] / n,
    /// the first term from the state process (autocorrelation lambda^k), the
    /// others from the per-state Bernoulli draws. We allow 4 sigma.
    #[test]
    fn gilbert_elliott_long_run_loss_rate_matches_the_stationary_formula() {
        let cases = [(0.01, 0.3, 0.0, 1.0), (0.05, 0.5, 0.001, 0.8), (0.002, 0.1, 0.0, 0.5)];
        for (p, r, lg, lb) in cases {
            let model = LossModel::GilbertElliott {
                p,
                r,
                loss_good: lg,
                loss_bad: lb,
            };
            let expect = model.stationary_loss_rate().unwrap();
            let n = 1_000_000u64;
            let pi_b = p / (p + r);
            let lambda = 1.0 - p - r;
            let var = (pi_b * (1.0 - pi_b) * (lb - lg) * (lb - lg) * (1.0 + lambda) / (1.0 - lambda)
                + (1.0 - pi_b) * lg * (1.0 - lg)
                + pi_b * lb * (1.0 - lb))
                / n as f64;
            let got = rate(model, n, 5);
            assert!(
                (got - expect).abs() <= 4.0 * var.sqrt(),
                "({p},{r},{lg},{lb}) got={got} expect={expect} sigma={}",
                var.sqrt()
            );
        }
    }

    #[test]
    fn gilbert_elliott_losses_come_in_bursts_of_mean_length_one_over_r() {
        let (p, r) = (0.01, 0.25);
        let mut lp = LossProcess::new(
            LossModel::GilbertElliott {
                p,
                r,
                loss_good: 0.0,
                loss_bad: 1.0,
            },
            RngStreams::new(3).stream("loss"),
        );
        let (mut bursts, mut lost, mut prev) = (0u64, 0u64, false);
        for _ in 0..1_000_000 {
            let l = lp.next_is_lost();
            if l && !prev {
                bursts += 1;
            }
            lost += l as u64;
            prev = l;
        }
        let mean = lost as f64 / bursts as f64;
        // Burst lengths are geometric with mean 1/r = 4 and variance
        // (1-r)/r^2 = 12; with ~2400 bursts the mean's sigma is ~0.07.
        assert!((mean - 4.0).abs() < 0.3, "mean burst {mean}");
    }

    #[test]
    fn drop_list_drops_exactly_the_listed_indices() {
        let mut lp = LossProcess::new(
            LossModel::DropList {
                indices: [0, 3, 4].into_iter().collect(),
            },
            RngStreams::new(0).stream("loss"),
        );
        let fates: Vec<bool> = (0..6).map(|_| lp.next_is_lost()).collect();
        assert_eq!(fates, [true, false, false, true, true, false]);
    }

    #[test]
    fn the_same_seed_gives_the_same_losses() {
        let m = LossModel::Bernoulli { p: 0.3 };
        let a: Vec<bool> = {
            let mut lp = LossProcess::new(m.clone(), RngStreams::new(9).stream("l"));
            (0..1000).map(|_| lp.next_is_lost()).collect()
        };
        let mut lp = LossProcess::new(m, RngStreams::new(9).stream("l"));
        let b: Vec<bool> = (0..1000).map(|_| lp.next_is_lost()).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn probabilities_outside_zero_one_are_rejected() {
        assert!(LossModel::Bernoulli { p: 1.5 }.validate().is_err());
        assert!(LossModel::Bernoulli { p: f64::NAN }.validate().is_err());
        assert!(
            LossModel::GilbertElliott {
                p: 0.0,
                r: 0.0,
                loss_good: 0.0,
                loss_bad: 1.0
            }
            .validate()
            .is_err()
        );
        assert!(LossModel::Bernoulli { p: 0.1 }.validate().is_ok());
    }
}
