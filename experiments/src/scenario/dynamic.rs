//! Queue disciplines on link directions, and the timeline's link changes.
//!
//! ```ron
//! uplink: LinkSpec(rate: "5Mbps", delay: "40ms", qdisc: CoDel(target: "5ms", interval: "100ms")),
//! timeline: [
//!     SetLink(at: "10s", link: "cell.down", rate: "2Mbps", delay: "80ms"),
//!     Blackhole(at: "5s", iface: "wifi"),
//!     Restore(at: "15s", iface: "wifi"),
//! ],
//! ```
//!
//! The parameters of a discipline keep Linux tc's names and defaults
//! (`tc qdisc add dev X root codel target 5ms interval 100ms limit 1000`
//! is `CoDel(target: "5ms", interval: "100ms", limit: 1000)`); see
//! `docs/scenarios.md` for the whole mapping and `sim_core::qdisc` for
//! what each one does.

use serde::{Deserialize, Serialize};
use sim_core::{
    Bandwidth, BufferLimit, ByteSize, CoDelConfig, FqCoDelConfig, LinkChange, QdiscConfig, RedConfig, SimDuration,
};

/// A link direction's queue discipline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum QdiscSpec {
    /// Drop-tail FIFO limited by the link's `buffer` (the default).
    DropTail,
    /// CoDel, RFC 8289 (tc `codel`).
    CoDel {
        /// tc `target` (5 ms).
        #[serde(default = "d_target")]
        target: SimDuration,
        /// tc `interval` (100 ms).
        #[serde(default = "d_interval")]
        interval: SimDuration,
        /// tc `limit`, packets (1000).
        #[serde(default = "d_codel_limit")]
        limit: u64,
    },
    /// FQ-CoDel, RFC 8290 (tc `fq_codel`).
    FqCoDel {
        /// tc `limit`, packets (10240).
        #[serde(default = "d_fq_limit")]
        limit: u64,
        /// tc `flows` (1024).
        #[serde(default = "d_flows")]
        flows: u32,
        /// tc `target` (5 ms).
        #[serde(default = "d_target")]
        target: SimDuration,
        /// tc `interval` (100 ms).
        #[serde(default = "d_interval")]
        interval: SimDuration,
        /// tc `quantum`, bytes (1514).
        #[serde(default = "d_quantum")]
        quantum: u32,
        /// tc `drop_batch` (64).
        #[serde(default = "d_drop_batch")]
        drop_batch: u32,
    },
    /// RED, Floyd & Jacobson 1993 (tc `red`).
    Red {
        /// tc `limit`, bytes (required).
        limit: ByteSize,
        /// tc `min`, bytes (default max / 3).
        #[serde(default)]
        min: Option<ByteSize>,
        /// tc `max`, bytes (default limit / 4).
        #[serde(default)]
        max: Option<ByteSize>,
        /// tc `avpkt`, bytes (1000).
        #[serde(default = "d_avpkt")]
        avpkt: ByteSize,
        /// tc `burst`, packets (default (2 min + max) / (3 avpkt)).
        #[serde(default)]
        burst: Option<u32>,
        /// tc `probability` (0.02).
        #[serde(default = "d_probability")]
        probability: f64,
        /// tc `bandwidth` (default: the link's rate).
        #[serde(default)]
        bandwidth: Option<Bandwidth>,
    },
}

fn d_target() -> SimDuration {
    CoDelConfig::default().target
}
fn d_interval() -> SimDuration {
    CoDelConfig::default().interval
}
fn d_codel_limit() -> u64 {
    CoDelConfig::default().limit
}
fn d_fq_limit() -> u64 {
    FqCoDelConfig::default().limit
}
fn d_flows() -> u32 {
    FqCoDelConfig::default().flows
}
fn d_quantum() -> u32 {
    FqCoDelConfig::default().quantum
}
fn d_drop_batch() -> u32 {
    FqCoDelConfig::default().drop_batch
}
fn d_avpkt() -> ByteSize {
    ByteSize::from_bytes(1000)
}
fn d_probability() -> f64 {
    0.02
}

impl QdiscSpec {
    /// The engine's discipline: `None` for drop-tail planned at offer,
    /// unless `lazy` (the timeline changes the link's rate or delay, which
    /// only a lazily served FIFO can apply to waiting packets).
    pub fn config(spec: Option<&QdiscSpec>, lazy: bool) -> Option<QdiscConfig> {
        Some(match spec {
            None | Some(QdiscSpec::DropTail) => return lazy.then_some(QdiscConfig::Fifo),
            Some(&QdiscSpec::CoDel {
                target,
                interval,
                limit,
            }) => QdiscConfig::CoDel(CoDelConfig {
                target,
                interval,
                limit,
            }),
            Some(&QdiscSpec::FqCoDel {
                limit,
                flows,
                target,
                interval,
                quantum,
                drop_batch,
            }) => QdiscConfig::FqCoDel(FqCoDelConfig {
                limit,
                flows,
                target,
                interval,
                quantum,
                drop_batch,
            }),
            Some(&QdiscSpec::Red {
                limit,
                min,
                max,
                avpkt,
                burst,
                probability,
                bandwidth,
            }) => QdiscConfig::Red(RedConfig {
                limit,
                min,
                max,
                avpkt,
                burst,
                probability,
                bandwidth,
            }),
        })
    }

    /// Whether it is an AQM with its own limit (so `buffer` does not apply).
    pub fn has_own_limit(&self) -> bool {
        !matches!(self, QdiscSpec::DropTail)
    }

    /// The variant's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            QdiscSpec::DropTail => "DropTail",
            QdiscSpec::CoDel { .. } => "CoDel",
            QdiscSpec::FqCoDel { .. } => "FqCoDel",
            QdiscSpec::Red { .. } => "Red",
        }
    }

    /// The field that is wrong and why, if any.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        QdiscSpec::config(Some(self), false).and_then(|c| c.problem())
    }
}

/// The changes a `SetLink` event makes, in a fixed order (rate, delay,
/// loss, buffer): all at the same instant.
pub fn set_link_changes(
    rate: Option<Bandwidth>,
    delay: Option<SimDuration>,
    loss: Option<&sim_core::LossModel>,
    buffer: Option<BufferLimit>,
) -> Vec<LinkChange> {
    let mut v = Vec::new();
    if let Some(r) = rate {
        v.push(LinkChange::Rate(r));
    }
    if let Some(d) = delay {
        v.push(LinkChange::Delay(d));
    }
    if let Some(l) = loss {
        v.push(LinkChange::Loss(l.clone()));
    }
    if let Some(b) = buffer {
        v.push(LinkChange::Buffer(b));
    }
    v
}
