//! FQ-CoDel, RFC 8290: flow queues served by deficit round robin, each
//! managed by its own CoDel, new flows ahead of old ones.
//!
//! Where the RFC leaves a choice open this follows Linux
//! `net/sched/sch_fq_codel.c`:
//! - classification: a hash of the 5-tuple with a per-qdisc random
//!   perturbation (Linux `skb_get_hash` with its perturbed seed), reduced
//!   to `flows` queues by multiply-and-shift (`reciprocal_scale`). Here
//!   the perturbation is drawn from the link's own random stream, so a
//!   run is deterministic for its seed; two flows may share a queue, as
//!   in Linux.
//! - CoDel's "queue holds at most one MTU" test looks at the whole
//!   qdisc's backlog (`codel_dequeue(sch, &sch->qstats.backlog, ...)`).
//! - overflow (`limit` packets): the flow with the largest backlog loses
//!   packets from its head until half its backlog or `drop_batch` packets
//!   are gone, and its CoDel `count` grows by the number dropped
//!   (`fq_codel_drop`).
//!
//! Not modelled: `memory_limit`, `ce_threshold`, ECN (see `qdisc`).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::codel::{CoDelParams, CoDelVars, codel_params_problem, default_interval, default_target};
use super::{Dropped, FlowTuple, Qdisc, QueuedPkt};
use crate::link::{BufferLimit, DropCause};
use crate::rng::mix64;
use crate::time::{SimDuration, SimTime};

/// FQ-CoDel's parameters, named as Linux tc's (`tc qdisc ... fq_codel
/// limit 10240 flows 1024 target 5ms interval 100ms quantum 1514`), with
/// tc's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FqCoDelConfig {
    /// Hard limit on the packets held by all queues (tc `limit`, 10240).
    #[serde(default = "default_limit")]
    pub limit: u64,
    /// Number of flow queues (tc `flows`, 1024; Linux allows 1 to 65536).
    #[serde(default = "default_flows")]
    pub flows: u32,
    /// Per-queue CoDel target (tc `target`, 5 ms).
    #[serde(default = "default_target")]
    pub target: SimDuration,
    /// Per-queue CoDel interval (tc `interval`, 100 ms).
    #[serde(default = "default_interval")]
    pub interval: SimDuration,
    /// Bytes a queue may send per round (tc `quantum`, the device MTU
    /// with its Ethernet header: 1514; Linux refuses less than 256).
    #[serde(default = "default_quantum")]
    pub quantum: u32,
    /// Packets dropped at most from the fattest flow on overflow (tc
    /// `drop_batch`, 64).
    #[serde(default = "default_drop_batch")]
    pub drop_batch: u32,
}

fn default_limit() -> u64 {
    10_240
}
fn default_flows() -> u32 {
    1024
}
fn default_quantum() -> u32 {
    1514
}
fn default_drop_batch() -> u32 {
    64
}

impl Default for FqCoDelConfig {
    fn default() -> Self {
        FqCoDelConfig {
            limit: default_limit(),
            flows: default_flows(),
            target: default_target(),
            interval: default_interval(),
            quantum: default_quantum(),
            drop_batch: default_drop_batch(),
        }
    }
}

impl FqCoDelConfig {
    /// The field that is wrong and why, if any (Linux `fq_codel_change`'s
    /// bounds).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if let Some(p) = codel_params_problem(self.target, self.interval) {
            return Some(p);
        }
        if self.limit == 0 {
            return Some(("limit", "a limit of 0 packets; expected at least 1".into()));
        }
        if self.flows == 0 || self.flows > 65_536 {
            return Some((
                "flows",
                format!("{} flows; expected 1 to 65536 (Linux's bounds)", self.flows),
            ));
        }
        if self.quantum < 256 {
            return Some((
                "quantum",
                format!(
                    "a quantum of {} bytes; expected at least 256 (Linux's bound)",
                    self.quantum
                ),
            ));
        }
        if self.drop_batch == 0 {
            return Some(("drop_batch", "a drop_batch of 0; expected at least 1".into()));
        }
        None
    }
}

#[derive(Debug, Default)]
struct Flow {
    q: VecDeque<QueuedPkt>,
    backlog: u64,
    deficit: i64,
    vars: CoDelVars,
    /// On the new or the old list.
    listed: bool,
}

/// FQ-CoDel (RFC 8290).
#[derive(Debug)]
pub struct FqCoDel {
    params: CoDelParams,
    limit_pkts: u64,
    quantum: i64,
    drop_batch: u32,
    perturbation: u64,
    flows: Vec<Flow>,
    new_flows: VecDeque<u32>,
    old_flows: VecDeque<u32>,
    qlen: u64,
    backlog: u64,
}

impl FqCoDel {
    pub fn new(cfg: FqCoDelConfig, perturbation: u64) -> Self {
        FqCoDel {
            params: CoDelParams::new(cfg.target, cfg.interval),
            limit_pkts: cfg.limit,
            quantum: cfg.quantum as i64,
            drop_batch: cfg.drop_batch,
            perturbation,
            flows: (0..cfg.flows).map(|_| Flow::default()).collect(),
            new_flows: VecDeque::new(),
            old_flows: VecDeque::new(),
            qlen: 0,
            backlog: 0,
        }
    }

    /// The queue a 5-tuple hashes to (RFC 8290 (4.1.1); Linux
    /// `fq_codel_hash`: a perturbed hash scaled to `flows`).
    pub fn classify(&self, f: &FlowTuple) -> usize {
        let a = ((f.src_addr as u64) << 32) | f.dst_addr as u64;
        let b = ((f.src_port as u64) << 24) | ((f.dst_port as u64) << 8) | f.proto as u64;
        let h = mix64(mix64(a ^ self.perturbation) ^ b);
        (((h >> 32) * self.flows.len() as u64) >> 32) as usize
    }

    /// Linux `fq_codel_drop`: drops from the head of the fattest flow
    /// until half its backlog or `drop_batch` packets are gone; returns
    /// that flow.
    fn drop_fattest(&mut self, dropped: &mut Vec<Dropped>) -> usize {
        let mut idx = 0;
        let mut max = 0;
        for (i, f) in self.flows.iter().enumerate() {
            if f.backlog > max {
                max = f.backlog;
                idx = i;
            }
        }
        let threshold = max / 2;
        let flow = &mut self.flows[idx];
        let mut len = 0u64;
        let mut i = 0u32;
        while let Some(p) = flow.q.pop_front() {
            len += p.size_bytes as u64;
            dropped.push((p, DropCause::Queue));
            i += 1;
            if i >= self.drop_batch || len >= threshold {
                break;
            }
        }
        // "Tell codel to increase its signal strength also."
        flow.vars.count = flow.vars.count.saturating_add(i);
        flow.backlog -= len;
        self.backlog -= len;
        self.qlen -= i as u64;
        idx
    }

    /// The flow queues' backlogs in bytes, for tests.
    pub fn flow_backlog(&self, f: &FlowTuple) -> u64 {
        self.flows[self.classify(f)].backlog
    }
}

impl Qdisc for FqCoDel {
    fn enqueue(&mut self, _now: SimTime, pkt: QueuedPkt, dropped: &mut Vec<Dropped>) {
        // RFC 8290 (4.1): timestamp, append to the flow's queue, and a
        // flow not on a list goes to the tail of the new list with a full
        // quantum of credit.
        let idx = self.classify(&pkt.flow);
        let flow = &mut self.flows[idx];
        flow.q.push_back(pkt);
        flow.backlog += pkt.size_bytes as u64;
        self.backlog += pkt.size_bytes as u64;
        if !flow.listed {
            flow.listed = true;
            flow.deficit = self.quantum;
            self.new_flows.push_back(idx as u32);
        }
        self.qlen += 1;
        if self.qlen > self.limit_pkts {
            // RFC 8290 (4.1.2): over the limit, drop from the flow with
            // the largest backlog (Linux: a batch, see `drop_fattest`).
            self.drop_fattest(dropped);
        }
    }

    fn dequeue(&mut self, now: SimTime, dropped: &mut Vec<Dropped>) -> Option<QueuedPkt> {
        // RFC 8290 (4.2), Linux `fq_codel_dequeue`.
        loop {
            let from_new = !self.new_flows.is_empty();
            let head = if from_new {
                &mut self.new_flows
            } else {
                &mut self.old_flows
            };
            let &idx = head.front()?;
            let i = idx as usize;
            if self.flows[i].deficit <= 0 {
                // Out of credit: a new quantum and to the tail of the old list.
                self.flows[i].deficit += self.quantum;
                head.pop_front();
                self.old_flows.push_back(idx);
                continue;
            }
            let flow = &mut self.flows[i];
            let (q, fb) = (&mut flow.q, &mut flow.backlog);
            let total = &mut self.backlog;
            let qlen = &mut self.qlen;
            let got = flow.vars.dequeue(
                &self.params,
                now,
                || {
                    let p = q.pop_front()?;
                    *fb -= p.size_bytes as u64;
                    *total -= p.size_bytes as u64;
                    *qlen -= 1;
                    Some((p, *total))
                },
                dropped,
            );
            match got {
                None => {
                    // An empty new flow goes to the old list once (so that
                    // it cannot starve the old flows by coming back as
                    // new); an empty old flow leaves the lists.
                    let head = if from_new {
                        &mut self.new_flows
                    } else {
                        &mut self.old_flows
                    };
                    head.pop_front();
                    if from_new && !self.old_flows.is_empty() {
                        self.old_flows.push_back(idx);
                    } else {
                        self.flows[i].listed = false;
                    }
                }
                Some(p) => {
                    self.flows[i].deficit -= p.size_bytes as i64;
                    return Some(p);
                }
            }
        }
    }

    fn len_pkts(&self) -> usize {
        self.qlen as usize
    }
    fn backlog_bytes(&self) -> u64 {
        self.backlog
    }
    fn set_limit(&mut self, limit: BufferLimit) {
        self.limit_pkts = match limit {
            BufferLimit::Packets(n) => n,
            BufferLimit::Bytes(b) => (b.bytes() / 1500).max(1),
        };
    }
    fn purge(&mut self, dropped: &mut Vec<Dropped>) {
        for f in &mut self.flows {
            dropped.extend(f.q.drain(..).map(|p| (p, DropCause::Down)));
            *f = Flow::default();
        }
        self.new_flows.clear();
        self.old_flows.clear();
        self.qlen = 0;
        self.backlog = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(port: u16) -> FlowTuple {
        FlowTuple {
            src_addr: 0x0a00_0001,
            dst_addr: 0x0a00_0002,
            src_port: port,
            dst_port: 80,
            proto: 6,
        }
    }

    fn pkt(id: u32, flow: FlowTuple, size: u32, at: SimTime) -> QueuedPkt {
        QueuedPkt {
            id,
            size_bytes: size,
            flow,
            enqueued_at: at,
        }
    }

    /// Two ports that hash to different queues for this perturbation.
    fn two_flows(q: &FqCoDel) -> (FlowTuple, FlowTuple) {
        let a = tuple(1000);
        let b = (1001..).map(tuple).find(|b| q.classify(b) != q.classify(&a)).unwrap();
        (a, b)
    }

    #[test]
    fn a_sparse_flow_keeps_a_low_sojourn_time_beside_a_bulk_flow() {
        // A link serving one 1500-byte packet per ms; a bulk flow offers
        // two per ms (a standing queue builds), a sparse flow one 100-byte
        // packet every 20 ms. Under FIFO the sparse packets would wait
        // behind the whole bulk queue; under FQ-CoDel the sparse flow is
        // new each time it comes back and is served first.
        let mut q = FqCoDel::new(FqCoDelConfig::default(), 7);
        let (bulk, sparse) = two_flows(&q);
        let mut d = Vec::new();
        let mut id = 0;
        let mut sparse_sojourn = Vec::new();
        let mut bulk_sojourn = Vec::new();
        for ms in 0..3000u64 {
            let now = SimTime::from_millis(ms);
            for _ in 0..2 {
                q.enqueue(now, pkt(id, bulk, 1500, now), &mut d);
                id += 1;
            }
            if ms % 20 == 0 {
                q.enqueue(now, pkt(id, sparse, 100, now), &mut d);
                id += 1;
            }
            if let Some(p) = q.dequeue(now, &mut d) {
                let s = (now - p.enqueued_at).as_nanos();
                if p.flow == sparse {
                    sparse_sojourn.push(s)
                } else {
                    bulk_sojourn.push(s)
                }
            }
        }
        assert_eq!(sparse_sojourn.len(), 150, "every sparse packet was sent");
        // At most the bulk flow's remaining quantum ahead of it (at the
        // start: the bulk flow, new first, may send 1514 bytes, two packets).
        assert!(sparse_sojourn.iter().all(|&s| s <= 2_000_000), "{sparse_sojourn:?}");
        assert!(sparse_sojourn[1..].iter().all(|&s| s == 0), "{sparse_sojourn:?}");
        // Meanwhile the bulk flow, unresponsive at twice the capacity,
        // keeps a long queue that its CoDel drops from (and only from it).
        assert!(d.iter().any(|(p, c)| p.flow == bulk && *c == DropCause::Aqm));
        assert!(d.iter().all(|(p, _)| p.flow == bulk));
        let late = &bulk_sojourn[bulk_sojourn.len() - 500..];
        let mean_ms = late.iter().sum::<u64>() as f64 / late.len() as f64 / 1e6;
        assert!(mean_ms > 100.0, "bulk sojourn {mean_ms} ms");
    }

    #[test]
    fn flows_share_the_link_by_bytes_per_round() {
        // Two backlogged flows, one of 1500-byte packets and one of
        // 500-byte packets: deficit round robin gives each a quantum of
        // bytes per round, so the small-packet flow sends three packets
        // for each of the other's.
        let mut q = FqCoDel::new(
            FqCoDelConfig {
                quantum: 1500,
                ..FqCoDelConfig::default()
            },
            7,
        );
        let (big, small) = two_flows(&q);
        let mut d = Vec::new();
        for i in 0..100 {
            q.enqueue(SimTime::ZERO, pkt(i, big, 1500, SimTime::ZERO), &mut d);
            q.enqueue(SimTime::ZERO, pkt(1000 + i, small, 500, SimTime::ZERO), &mut d);
        }
        let mut bytes = [0u64; 2];
        for _ in 0..80 {
            let p = q.dequeue(SimTime::ZERO, &mut d).unwrap();
            bytes[(p.flow == small) as usize] += p.size_bytes as u64;
        }
        assert!(d.is_empty());
        assert!(bytes[0].abs_diff(bytes[1]) <= 1500, "{bytes:?}");
    }

    #[test]
    fn overflow_drops_half_the_fattest_flows_backlog_from_its_head() {
        let mut q = FqCoDel::new(
            FqCoDelConfig {
                limit: 20,
                ..FqCoDelConfig::default()
            },
            7,
        );
        let (fat, thin) = two_flows(&q);
        let mut d = Vec::new();
        for i in 0..4 {
            q.enqueue(SimTime::ZERO, pkt(100 + i, thin, 1500, SimTime::ZERO), &mut d);
        }
        for i in 0..16 {
            q.enqueue(SimTime::ZERO, pkt(i, fat, 1500, SimTime::ZERO), &mut d);
        }
        assert!(d.is_empty());
        // The 21st packet: the fat flow holds 16 x 1500; half is 8 packets,
        // dropped from its head (the oldest).
        q.enqueue(SimTime::ZERO, pkt(16, fat, 1500, SimTime::ZERO), &mut d);
        let ids: Vec<u32> = d.iter().map(|(p, _)| p.id).collect();
        assert_eq!(ids, (0..9).collect::<Vec<_>>());
        assert!(d.iter().all(|(_, c)| *c == DropCause::Queue));
        assert_eq!(q.len_pkts(), 12);
        assert_eq!(q.flow_backlog(&thin), 4 * 1500);
    }

    #[test]
    fn classification_is_deterministic_and_depends_on_the_perturbation() {
        let a = FqCoDel::new(FqCoDelConfig::default(), 1);
        let b = FqCoDel::new(FqCoDelConfig::default(), 1);
        let c = FqCoDel::new(FqCoDelConfig::default(), 2);
        let ports: Vec<usize> = (0..64).map(|p| a.classify(&tuple(p))).collect();
        assert_eq!(ports, (0..64).map(|p| b.classify(&tuple(p))).collect::<Vec<_>>());
        assert_ne!(ports, (0..64).map(|p| c.classify(&tuple(p))).collect::<Vec<_>>());
        assert!(ports.iter().all(|&i| i < 1024));
    }
}
