//! RED (Random Early Detection), Floyd & Jacobson 1993, "Random Early
//! Detection Gateways for Congestion Avoidance", with Linux tc's
//! parameters (`tc qdisc ... red limit BYTES min BYTES max BYTES avpkt
//! BYTES burst PACKETS probability P bandwidth RATE`) and Linux
//! `net/sched/sch_red.c` / `include/net/red.h` in byte mode (the queue and
//! thresholds in bytes).
//!
//! On every arrival (FJ93 Figure 2):
//! - the average queue `avg` follows an EWMA of weight `w_q` of the
//!   backlog; after an idle period it decays as if `m` packets of `avpkt`
//!   bytes had been sent at `bandwidth` meanwhile: `avg *= (1 - w_q)^m`;
//! - below `min` nothing is dropped (count = -1); between `min` and `max`
//!   a packet is dropped with FJ93's count-based probability: with
//!   `p_b = probability (avg - min) / (max - min)` and `count` the packets
//!   since the last drop, the drop comes when `count p_b >= R`, `R`
//!   uniform in [0, 1) drawn after each drop (Linux `red_action` /
//!   `red_mark_probability`). This is FJ93's `p_a = p_b / (1 - (count-1)
//!   p_b)`: the gaps between drops are uniform on 1..1/p_b (FJ93 Section
//!   7, "Method 2"), evenly spread rather than geometric; at or above
//!   `max` every packet is dropped.
//! - then the hard `limit` (bytes) tail-drops (Linux's child bfifo).
//!
//! `w_q` is derived from `burst` as tc does (`tc_red_eval_ewma`: the
//! largest `w_q = 2^-Wlog` that lets `burst` packets arrive into an empty
//! queue without `avg` reaching `min`).
//!
//! Choices (a user could observe): `R` comes from the link's AQM stream;
//! the idle-time decay uses floating point instead
//! of Linux's lookup table (`red_calc_qavg_from_idle_time`); `bandwidth`
//! defaults to the link's rate (tc requires it); the gentle variant,
//! `adaptive`, `harddrop` and ECN are not modelled.

use std::collections::VecDeque;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{Dropped, Qdisc, QueuedPkt};
use crate::link::{BufferLimit, DropCause};
use crate::rng::SimRng;
use crate::time::{Bandwidth, ByteSize, SimTime};

/// RED's parameters, named as Linux tc's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedConfig {
    /// Hard limit on the queue in bytes (tc `limit`, required).
    pub limit: ByteSize,
    /// Average queue below which nothing is dropped (tc `min`; default
    /// `max / 3`).
    #[serde(default)]
    pub min: Option<ByteSize>,
    /// Average queue from which everything is dropped (tc `max`; default
    /// `limit / 4`).
    #[serde(default)]
    pub max: Option<ByteSize>,
    /// Average packet size (tc `avpkt`, 1000 bytes).
    #[serde(default = "default_avpkt")]
    pub avpkt: ByteSize,
    /// Burst of packets the average tolerates (tc `burst`; default
    /// `(2 min + max) / (3 avpkt)`), which sets the EWMA weight.
    #[serde(default)]
    pub burst: Option<u32>,
    /// `max_p`: the drop probability as the average reaches `max` (tc
    /// `probability`, 0.02).
    #[serde(default = "default_probability")]
    pub probability: f64,
    /// For the idle-time decay (tc `bandwidth`); default: the link's rate.
    #[serde(default)]
    pub bandwidth: Option<Bandwidth>,
}

fn default_avpkt() -> ByteSize {
    ByteSize::from_bytes(1000)
}
fn default_probability() -> f64 {
    0.02
}

/// The resolved thresholds and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RedParams {
    pub limit_bytes: u64,
    pub min_bytes: f64,
    pub max_bytes: f64,
    pub max_p: f64,
    /// The EWMA weight `w_q`.
    pub w_q: f64,
    /// Time to send `avpkt` at `bandwidth`, in ns (the idle decay's unit).
    pub avpkt_tx_ns: u64,
}

impl RedConfig {
    fn max_bytes(&self) -> u64 {
        self.max.map_or(self.limit.bytes() / 4, |m| m.bytes())
    }
    fn min_bytes(&self) -> u64 {
        self.min.map_or(self.max_bytes() / 3, |m| m.bytes())
    }

    /// The field that is wrong and why, if any (tc q_red.c's checks).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.limit.bytes() == 0 {
            return Some(("limit", "a limit of 0 bytes; expected a size such as \"400KB\"".into()));
        }
        if self.avpkt.bytes() == 0 {
            return Some(("avpkt", "an avpkt of 0 bytes; expected a size such as \"1000B\"".into()));
        }
        if self.max_bytes() > self.limit.bytes() {
            return Some(("max", "max is larger than limit; expected at most limit".into()));
        }
        if self.min_bytes() >= self.max_bytes() {
            return Some(("min", "min is not smaller than max; expected min < max".into()));
        }
        if !(self.probability > 0.0 && self.probability <= 1.0) {
            return Some((
                "probability",
                format!("a probability of {}; expected a number in (0, 1]", self.probability),
            ));
        }
        if self.wlog().is_none() {
            return Some((
                "burst",
                format!(
                    "burst {} is too small for min {} and avpkt {}; expected at least {} (tc's rule)",
                    self.burst(),
                    self.min_bytes(),
                    self.avpkt.bytes(),
                    1 + self.min_bytes() / self.avpkt.bytes()
                ),
            ));
        }
        None
    }

    fn burst(&self) -> u32 {
        self.burst
            .unwrap_or(((2 * self.min_bytes() + self.max_bytes()) / (3 * self.avpkt.bytes().max(1))) as u32)
    }

    /// tc `tc_red_eval_ewma`: the smallest Wlog in 1..32 with
    /// `burst + 1 - min/avpkt <= (1 - (1 - W)^burst) / W`, `W = 2^-Wlog`.
    fn wlog(&self) -> Option<u32> {
        let burst = self.burst() as f64;
        let a = burst + 1.0 - self.min_bytes() as f64 / self.avpkt.bytes().max(1) as f64;
        if a < 1.0 {
            return None;
        }
        let mut w = 0.5f64;
        for wlog in 1..32 {
            if a <= (1.0 - (1.0 - w).powf(burst)) / w {
                return Some(wlog);
            }
            w /= 2.0;
        }
        None
    }

    /// Thresholds and weight, for a link of nominal `rate`.
    pub fn params(&self, rate: Bandwidth) -> RedParams {
        let wlog = self.wlog().unwrap_or(9);
        let bw = self.bandwidth.unwrap_or(rate);
        RedParams {
            limit_bytes: self.limit.bytes(),
            min_bytes: self.min_bytes() as f64,
            max_bytes: self.max_bytes() as f64,
            max_p: self.probability,
            w_q: (-(wlog as f64)).exp2(),
            avpkt_tx_ns: bw.tx_time(self.avpkt.bytes()).as_nanos().max(1),
        }
    }
}

impl RedParams {
    /// FJ93's `p_b` for average `avg`: 0 below min, `max_p` scaled
    /// linearly up to max.
    pub fn p_b(&self, avg: f64) -> f64 {
        self.max_p * (avg - self.min_bytes) / (self.max_bytes - self.min_bytes)
    }
}

/// RED over one byte-limited FIFO.
#[derive(Debug)]
pub struct Red {
    p: RedParams,
    rng: SimRng,
    avg: f64,
    /// Packets since the last drop; -1 below min (FJ93).
    count: i64,
    /// The uniform draw the next probabilistic drop waits for.
    r: f64,
    /// When the queue last went idle (FJ93's `q_time`).
    idle_since: Option<SimTime>,
    q: VecDeque<QueuedPkt>,
    bytes: u64,
}

impl Red {
    pub fn new(cfg: RedConfig, rate: Bandwidth, rng: SimRng) -> Self {
        Red {
            p: cfg.params(rate),
            rng,
            avg: 0.0,
            count: -1,
            r: 0.0,
            idle_since: Some(SimTime::ZERO),
            q: VecDeque::new(),
            bytes: 0,
        }
    }

    /// The average queue, in bytes.
    pub fn avg_bytes(&self) -> f64 {
        self.avg
    }
    pub fn params(&self) -> &RedParams {
        &self.p
    }
}

impl Qdisc for Red {
    fn can_bypass(&self) -> bool {
        // Linux `red_init` does not set TCQ_F_CAN_BYPASS: every arrival
        // updates the average.
        false
    }

    fn enqueue(&mut self, now: SimTime, pkt: QueuedPkt, dropped: &mut Vec<Dropped>) {
        // FJ93 Figure 2: the average, from the backlog or the idle time.
        match self.idle_since.take() {
            Some(since) if self.q.is_empty() => {
                let m = now.as_nanos().saturating_sub(since.as_nanos()) as f64 / self.p.avpkt_tx_ns as f64;
                self.avg *= (1.0 - self.p.w_q).powf(m);
            }
            _ => self.avg += self.p.w_q * (self.bytes as f64 - self.avg),
        }
        let drop = if self.avg < self.p.min_bytes {
            self.count = -1;
            false
        } else if self.avg >= self.p.max_bytes {
            // Linux `red_action`: a hard mark restarts the count.
            self.count = -1;
            true
        } else {
            self.count += 1;
            if self.count == 0 {
                // Entering the band: draw the first R, no drop yet.
                self.r = self.rng.random();
                false
            } else if self.count as f64 * self.p.p_b(self.avg) >= self.r {
                self.count = 0;
                self.r = self.rng.random();
                true
            } else {
                false
            }
        };
        if drop {
            dropped.push((pkt, DropCause::Aqm));
        } else if self.bytes + pkt.size_bytes as u64 > self.p.limit_bytes {
            dropped.push((pkt, DropCause::Queue));
        } else {
            self.bytes += pkt.size_bytes as u64;
            self.q.push_back(pkt);
        }
        if self.q.is_empty() {
            self.idle_since = Some(now);
        }
    }

    fn dequeue(&mut self, now: SimTime, _dropped: &mut Vec<Dropped>) -> Option<QueuedPkt> {
        let p = self.q.pop_front()?;
        self.bytes -= p.size_bytes as u64;
        if self.q.is_empty() {
            // FJ93: "when queue becomes empty, q_time <- time". The link
            // asks at the instant serialisation starts; the idle period
            // strictly begins when it ends (as Linux, which marks idle on
            // the dequeue that finds the queue empty).
            self.idle_since = Some(now);
        }
        Some(p)
    }

    fn len_pkts(&self) -> usize {
        self.q.len()
    }
    fn backlog_bytes(&self) -> u64 {
        self.bytes
    }
    fn set_limit(&mut self, limit: BufferLimit) {
        self.p.limit_bytes = match limit {
            BufferLimit::Bytes(b) => b.bytes(),
            BufferLimit::Packets(n) => n.saturating_mul(1500),
        };
    }
    fn purge(&mut self, dropped: &mut Vec<Dropped>) {
        dropped.extend(self.q.drain(..).map(|p| (p, DropCause::Down)));
        self.bytes = 0;
        self.idle_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qdisc::FlowTuple;
    use crate::rng::RngStreams;

    fn cfg() -> RedConfig {
        RedConfig {
            limit: ByteSize::from_bytes(400_000),
            min: Some(ByteSize::from_bytes(30_000)),
            max: Some(ByteSize::from_bytes(90_000)),
            avpkt: ByteSize::from_bytes(1500),
            burst: Some(30),
            probability: 0.1,
            bandwidth: None,
        }
    }

    fn pkt(id: u32, at: SimTime) -> QueuedPkt {
        QueuedPkt {
            id,
            size_bytes: 1500,
            flow: FlowTuple::default(),
            enqueued_at: at,
        }
    }

    #[test]
    fn the_drop_probability_follows_floyd_and_jacobson() {
        let p = cfg().params(Bandwidth::from_mbps(10).unwrap());
        // Halfway between min and max: p_b = max_p / 2 = 0.05; linear.
        assert!((p.p_b(60_000.0) - 0.05).abs() < 1e-12);
        assert!((p.p_b(30_000.0)).abs() < 1e-12);
        assert!((p.p_b(90_000.0) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn tc_derives_the_ewma_weight_from_burst() {
        // tc_red_eval_ewma(min 30000, burst 30, avpkt 1500): a = 11, and
        // W is the largest power of 1/2 with (1 - (1 - W)^30) / W >= a.
        let c = cfg();
        let a = 30.0 + 1.0 - 30_000.0 / 1500.0;
        let w = c.params(Bandwidth::from_mbps(10).unwrap()).w_q;
        assert!(a <= (1.0 - (1.0 - w).powf(30.0)) / w);
        let w2 = w * 2.0;
        assert!(a > (1.0 - (1.0 - w2).powf(30.0)) / w2, "the largest such weight");
    }

    #[test]
    fn with_the_average_held_between_the_thresholds_drops_are_spread_evenly() {
        // Backlog and average held at 60 kB: p_b = 0.05, and the gap
        // between drops is uniform on 1..=20 packets (FJ93 Section 7):
        // a drop fraction of 1 / 10.5.
        let mut r = Red::new(
            cfg(),
            Bandwidth::from_mbps(10).unwrap(),
            RngStreams::new(3).stream("aqm"),
        );
        let mut d = Vec::new();
        let mut id = 0;
        while r.backlog_bytes() < 60_000 {
            r.enqueue(SimTime::ZERO, pkt(id, SimTime::ZERO), &mut d);
            id += 1;
        }
        assert!(d.is_empty());
        r.avg = 60_000.0;
        let n = 400_000;
        let mut gaps = [0u32; 22];
        let mut since = 0;
        let mut first = true;
        for _ in 0..n {
            let before = d.len();
            r.enqueue(SimTime::ZERO, pkt(id, SimTime::ZERO), &mut d);
            id += 1;
            since += 1;
            if d.len() > before {
                // The first gap started before the band was entered.
                if !first {
                    gaps[since.min(21)] += 1;
                }
                first = false;
                since = 0;
            } else {
                // One out for the one in: the backlog stays at 60 kB.
                r.dequeue(SimTime::ZERO, &mut d);
            }
        }
        assert!((r.avg_bytes() - 60_000.0).abs() < 1e-6);
        let drops: u32 = gaps.iter().sum();
        let arrivals: usize = gaps.iter().enumerate().map(|(g, &k)| g * k as usize).sum();
        let frac = drops as f64 / arrivals as f64;
        assert!((frac - 1.0 / 10.5).abs() < 0.002, "drop fraction {frac}");
        assert_eq!(gaps[0], 0);
        assert_eq!(gaps[21], 0, "never more than 1/p_b packets between drops");
        for (g, &k) in gaps.iter().enumerate().take(21).skip(1) {
            let share = k as f64 / drops as f64;
            assert!((share - 0.05).abs() < 0.006, "gap {g}: {share}");
        }
    }

    #[test]
    fn the_average_decays_over_an_idle_period() {
        let mut r = Red::new(
            cfg(),
            Bandwidth::from_mbps(12).unwrap(),
            RngStreams::new(3).stream("aqm"),
        );
        r.avg = 50_000.0;
        r.idle_since = Some(SimTime::ZERO);
        // 1500 B at 12 Mb/s = 1 ms: 100 ms idle = 100 packet times.
        let mut d = Vec::new();
        r.enqueue(SimTime::from_millis(100), pkt(0, SimTime::from_millis(100)), &mut d);
        let want = 50_000.0 * (1.0 - r.params().w_q).powf(100.0);
        assert!((r.avg_bytes() - want).abs() < 1e-6);
        assert!(d.is_empty());
    }
}
