//! CoDel (Controlled Delay), RFC 8289, as its Section 5 pseudo-code.
//!
//! Packets are timestamped on enqueue; at dequeue, CoDel looks at the
//! sojourn time of the packet it takes. Once the sojourn time has stayed at
//! or above `target` for `interval`, it enters the dropping state: it drops
//! a packet, then the next ones at `interval / sqrt(count)` after the
//! previous, until a packet's sojourn time falls below `target` (or the
//! queue holds at most one MTU). On re-entry soon after leaving, it
//! resumes near the drop rate that last controlled the queue.
//!
//! [`CoDelVars`] is the per-queue state machine, shared with FQ-CoDel
//! (one per flow queue); [`CoDel`] is the single-queue discipline (Linux
//! `sch_codel.c`).
//!
//! Choices (a user could observe):
//! - The control law computes `interval / sqrt(count)` in floating point
//!   and truncates to the nanosecond; Linux (`codel.h` `codel_Newton_step`)
//!   keeps a Q0.32 reciprocal square root refined by one Newton step per
//!   change of `count`, which differs from the exact value by well under a
//!   microsecond for the counts a TCP flow reaches.
//! - `now - drop_next < 16 * interval` on re-entry: with `now` before
//!   `drop_next` this counts as recent, as Linux's signed comparison
//!   (`codel_time_before`) does.
//! - MAXPACKET (the "queue holds at most one packet" test) is 1500 bytes,
//!   our packets being IP lengths (Linux uses the device MTU, `psched_mtu`).
//! - Drops only: no ECN marking (see the module `qdisc`).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{Dropped, Qdisc, QueuedPkt};
use crate::link::{BufferLimit, DropCause};
use crate::time::{SimDuration, SimTime};

/// CoDel's parameters, named as Linux tc's (`tc qdisc ... codel limit
/// 1000 target 5ms interval 100ms`), with tc's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoDelConfig {
    /// Acceptable standing queue delay (RFC 8289 (4.4); tc `target`).
    #[serde(default = "default_target")]
    pub target: SimDuration,
    /// Sliding window over which the minimum sojourn time is observed
    /// (RFC 8289 (4.5); tc `interval`).
    #[serde(default = "default_interval")]
    pub interval: SimDuration,
    /// Hard limit on the queue, in packets (tc `limit`, default 1000;
    /// Linux `sch_codel.c` `codel_init`): a packet beyond it is
    /// tail-dropped (cause `queue`).
    #[serde(default = "default_limit")]
    pub limit: u64,
}

pub(crate) fn default_target() -> SimDuration {
    SimDuration::from_millis(5)
}
pub(crate) fn default_interval() -> SimDuration {
    SimDuration::from_millis(100)
}
fn default_limit() -> u64 {
    1000
}

impl Default for CoDelConfig {
    fn default() -> Self {
        CoDelConfig {
            target: default_target(),
            interval: default_interval(),
            limit: default_limit(),
        }
    }
}

impl CoDelConfig {
    /// The field that is wrong and why, if any.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        codel_params_problem(self.target, self.interval)
            .or_else(|| (self.limit == 0).then(|| ("limit", "a limit of 0 packets; expected at least 1".into())))
    }
}

pub(crate) fn codel_params_problem(target: SimDuration, interval: SimDuration) -> Option<(&'static str, String)> {
    if target.is_zero() {
        return Some((
            "target",
            "a target of 0; expected a positive delay such as \"5ms\"".into(),
        ));
    }
    if interval.is_zero() {
        return Some((
            "interval",
            "an interval of 0; expected a positive duration such as \"100ms\"".into(),
        ));
    }
    None
}

/// The constants of one CoDel instance (RFC 8289 (5.3)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoDelParams {
    pub target_ns: u64,
    pub interval_ns: u64,
    /// RFC 8289's MAXPACKET.
    pub maxpacket_bytes: u64,
}

impl CoDelParams {
    pub fn new(target: SimDuration, interval: SimDuration) -> Self {
        CoDelParams {
            target_ns: target.as_nanos(),
            interval_ns: interval.as_nanos(),
            maxpacket_bytes: 1500,
        }
    }

    /// RFC 8289 (5, `control_law`): `t + interval / sqrt(count)`.
    pub fn control_law(&self, t: SimTime, count: u32) -> SimTime {
        let step = (self.interval_ns as f64 / (count.max(1) as f64).sqrt()) as u64;
        t + SimDuration::from_nanos(step)
    }
}

/// The per-queue state of RFC 8289 (5, "Per-Queue State").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoDelVars {
    /// When the sojourn time went (and stayed) above target, plus one
    /// interval; `None` is the pseudo-code's 0.
    pub first_above_time: Option<SimTime>,
    /// When the next drop is due while dropping.
    pub drop_next: SimTime,
    /// Packets dropped since entering the dropping state.
    pub count: u32,
    /// `count` when the dropping state was last entered.
    pub lastcount: u32,
    /// In the dropping state.
    pub dropping: bool,
}

/// What `pop` gives CoDel: the head packet, and the bytes the whole
/// discipline holds once it is removed (RFC 8289's `bytes()`; Linux passes
/// `sch->qstats.backlog` for FQ-CoDel too).
pub type Popped = Option<(QueuedPkt, u64)>;

impl CoDelVars {
    /// RFC 8289 (5, `dodequeue`): takes the head and says whether it may
    /// be dropped.
    fn dodequeue(
        &mut self,
        p: &CoDelParams,
        now: SimTime,
        pop: &mut impl FnMut() -> Popped,
    ) -> (Option<QueuedPkt>, bool) {
        let Some((pkt, bytes)) = pop() else {
            // The queue is empty: we can't be above target.
            self.first_above_time = None;
            return (None, false);
        };
        let sojourn_ns = now.as_nanos().saturating_sub(pkt.enqueued_at.as_nanos());
        if sojourn_ns < p.target_ns || bytes <= p.maxpacket_bytes {
            // Went below target: stay below for at least an interval.
            self.first_above_time = None;
            return (Some(pkt), false);
        }
        match self.first_above_time {
            // Just went above target from below; if it stays above for at
            // least an interval, a drop is due.
            None => {
                self.first_above_time = Some(now + SimDuration::from_nanos(p.interval_ns));
                (Some(pkt), false)
            }
            Some(t) => (Some(pkt), now >= t),
        }
    }

    /// RFC 8289 (5, `dequeue`): the packet to send at `now`, dropping
    /// (cause `Aqm`) what the control law says.
    pub fn dequeue(
        &mut self,
        p: &CoDelParams,
        now: SimTime,
        mut pop: impl FnMut() -> Popped,
        dropped: &mut Vec<Dropped>,
    ) -> Option<QueuedPkt> {
        let (mut r, mut ok_to_drop) = self.dodequeue(p, now, &mut pop);
        if self.dropping {
            if !ok_to_drop {
                // Sojourn time below target: leave the dropping state.
                self.dropping = false;
            }
            // Time for the next drop: drop the current packet and take
            // the next; a large backlog may make the next drop due now
            // too, hence the loop.
            while self.dropping && now >= self.drop_next {
                if let Some(pkt) = r {
                    dropped.push((pkt, DropCause::Aqm));
                }
                self.count = self.count.saturating_add(1);
                (r, ok_to_drop) = self.dodequeue(p, now, &mut pop);
                if !ok_to_drop {
                    self.dropping = false;
                } else {
                    self.drop_next = p.control_law(self.drop_next, self.count);
                }
            }
        } else if ok_to_drop {
            // The sojourn time has been above target for an interval:
            // enter the dropping state.
            if let Some(pkt) = r {
                dropped.push((pkt, DropCause::Aqm));
            }
            (r, _) = self.dodequeue(p, now, &mut pop);
            self.dropping = true;
            // If the queue went above target soon after it last went
            // below, resume near the drop rate that controlled it then
            // (the Linux version, as RFC 8289 says). `now` before
            // `drop_next` counts as soon (Linux's signed difference).
            let delta = self.count.wrapping_sub(self.lastcount);
            self.count = 1;
            let since = now.as_nanos().saturating_sub(self.drop_next.as_nanos());
            if delta > 1 && delta < u32::MAX / 2 && since < 16 * p.interval_ns {
                self.count = delta;
            }
            self.drop_next = p.control_law(now, self.count);
            self.lastcount = self.count;
        }
        r
    }
}

/// CoDel over one FIFO (Linux `sch_codel.c`).
#[derive(Debug)]
pub struct CoDel {
    params: CoDelParams,
    limit_pkts: u64,
    vars: CoDelVars,
    q: VecDeque<QueuedPkt>,
    bytes: u64,
}

impl CoDel {
    pub fn new(cfg: CoDelConfig) -> Self {
        CoDel {
            params: CoDelParams::new(cfg.target, cfg.interval),
            limit_pkts: cfg.limit,
            vars: CoDelVars::default(),
            q: VecDeque::new(),
            bytes: 0,
        }
    }

    /// The state machine, for tests and traces.
    pub fn vars(&self) -> &CoDelVars {
        &self.vars
    }
}

impl Qdisc for CoDel {
    fn enqueue(&mut self, _now: SimTime, pkt: QueuedPkt, dropped: &mut Vec<Dropped>) {
        // RFC 8289 (5, enqueue): tail drop only when the hard limit is
        // reached (Linux `codel_qdisc_enqueue`: `qlen < limit`).
        if self.q.len() as u64 >= self.limit_pkts {
            dropped.push((pkt, DropCause::Queue));
            return;
        }
        self.bytes += pkt.size_bytes as u64;
        self.q.push_back(pkt);
    }

    fn dequeue(&mut self, now: SimTime, dropped: &mut Vec<Dropped>) -> Option<QueuedPkt> {
        let q = &mut self.q;
        let bytes = &mut self.bytes;
        self.vars.dequeue(
            &self.params,
            now,
            || {
                let p = q.pop_front()?;
                *bytes -= p.size_bytes as u64;
                Some((p, *bytes))
            },
            dropped,
        )
    }

    fn len_pkts(&self) -> usize {
        self.q.len()
    }
    fn backlog_bytes(&self) -> u64 {
        self.bytes
    }
    fn set_limit(&mut self, limit: BufferLimit) {
        self.limit_pkts = match limit {
            BufferLimit::Packets(n) => n,
            BufferLimit::Bytes(b) => (b.bytes() / 1500).max(1),
        };
    }
    fn purge(&mut self, dropped: &mut Vec<Dropped>) {
        dropped.extend(self.q.drain(..).map(|p| (p, DropCause::Down)));
        self.bytes = 0;
        self.vars = CoDelVars::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qdisc::FlowTuple;

    fn pkt(id: u32, at: SimTime) -> QueuedPkt {
        QueuedPkt {
            id,
            size_bytes: 1500,
            flow: FlowTuple::default(),
            enqueued_at: at,
        }
    }

    /// A standing queue: `n` packets enqueued at time zero, served one
    /// per millisecond (the link's dequeue instants). Returns the instants
    /// of the drops and the drop_next values the control law set.
    fn standing_queue(n: u32) -> (Vec<SimTime>, Vec<SimTime>, CoDel) {
        let mut c = CoDel::new(CoDelConfig {
            limit: 10_000,
            ..CoDelConfig::default()
        });
        let mut d = Vec::new();
        for i in 0..n {
            c.enqueue(SimTime::ZERO, pkt(i, SimTime::ZERO), &mut d);
        }
        assert!(d.is_empty());
        let mut drops = Vec::new();
        let mut drop_nexts = Vec::new();
        let mut ms = 0;
        while c.len_pkts() > 0 {
            let now = SimTime::from_millis(ms);
            c.dequeue(now, &mut d);
            for _ in d.drain(..) {
                drops.push(now);
            }
            if c.vars().dropping && drop_nexts.last() != Some(&c.vars().drop_next) {
                drop_nexts.push(c.vars().drop_next);
            }
            ms += 1;
        }
        (drops, drop_nexts, c)
    }

    #[test]
    fn a_standing_queue_is_dropped_at_the_control_laws_instants() {
        // Packets dequeued at k ms have waited k ms. The sojourn time
        // reaches target (5 ms) at 5 ms: first_above_time = 105 ms. At
        // 105 ms the first drop (count 1), drop_next = 105 + 100/sqrt(1)
        // = 205 ms; then drop_next advances from itself by 100/sqrt(count):
        //   count 2: 205 ms + 70_710_678 ns = 275_710_678 ns
        //   count 3: + 57_735_026 = 333_445_704
        //   count 4: + 50_000_000 = 383_445_704
        //   count 5: + 44_721_359 = 428_167_063
        //   count 6: + 40_824_829 = 468_991_892
        // and each drop happens at the first dequeue (1 ms grid) at or
        // after drop_next.
        let (drops, drop_nexts, _) = standing_queue(600);
        let ns = SimTime::from_nanos;
        assert_eq!(
            &drop_nexts[..6],
            &[
                ns(205_000_000),
                ns(275_710_678),
                ns(333_445_704),
                ns(383_445_704),
                ns(428_167_063),
                ns(468_991_892)
            ]
        );
        let ms = SimTime::from_millis;
        assert_eq!(&drops[..6], &[ms(105), ms(205), ms(276), ms(334), ms(384), ms(429)]);
    }

    #[test]
    fn no_drop_while_the_sojourn_time_stays_below_target() {
        let mut c = CoDel::new(CoDelConfig::default());
        let mut d = Vec::new();
        // One packet every ms, each served 4 ms later: sojourn 4 ms < 5 ms.
        for k in 0..2000u64 {
            let t = SimTime::from_millis(k);
            c.enqueue(t, pkt(k as u32, t), &mut d);
            if k >= 4 {
                assert!(c.dequeue(t, &mut d).is_some());
            }
        }
        assert!(d.is_empty());
        assert!(!c.vars().dropping);
    }

    #[test]
    fn re_entering_soon_after_leaving_resumes_at_the_last_drop_rate() {
        // RFC 8289 (5, dequeue): delta = count - lastcount; if delta > 1
        // and now - drop_next < 16 intervals, count = delta.
        let p = CoDelParams::new(default_target(), default_interval());
        let mut v = CoDelVars {
            first_above_time: Some(SimTime::from_millis(1000)),
            drop_next: SimTime::from_millis(900),
            count: 9,
            lastcount: 3,
            dropping: false,
        };
        let mut q: VecDeque<QueuedPkt> = (0..4).map(|i| pkt(i, SimTime::ZERO)).collect();
        let mut d = Vec::new();
        let now = SimTime::from_millis(1000);
        let got = v.dequeue(
            &p,
            now,
            || {
                let x = q.pop_front()?;
                Some((x, q.len() as u64 * 1500))
            },
            &mut d,
        );
        assert_eq!(got.map(|x| x.id), Some(1), "the head is dropped, the next sent");
        assert_eq!(d.len(), 1);
        assert!(v.dropping);
        assert_eq!(v.count, 6, "9 - 3");
        assert_eq!(v.lastcount, 6);
        // interval / sqrt(6) = 40_824_829 ns.
        assert_eq!(v.drop_next, now + SimDuration::from_nanos(40_824_829));

        // Long after (>= 16 intervals since drop_next): count restarts at 1.
        let mut v2 = CoDelVars {
            first_above_time: Some(SimTime::from_millis(3000)),
            drop_next: SimTime::from_millis(1400),
            count: 9,
            lastcount: 3,
            dropping: false,
        };
        let mut q: VecDeque<QueuedPkt> = (0..4).map(|i| pkt(i, SimTime::ZERO)).collect();
        v2.dequeue(
            &p,
            SimTime::from_millis(3000),
            || {
                let x = q.pop_front()?;
                Some((x, q.len() as u64 * 1500))
            },
            &mut d,
        );
        assert_eq!(v2.count, 1);
        assert_eq!(v2.drop_next, SimTime::from_millis(3100));
    }

    #[test]
    fn a_queue_of_at_most_one_packet_is_never_dropped_from() {
        // Sojourn far above target, but the queue then holds <= MAXPACKET.
        let mut c = CoDel::new(CoDelConfig::default());
        let mut d = Vec::new();
        for k in 0..100u64 {
            let t = SimTime::from_millis(k * 50);
            c.enqueue(t, pkt(k as u32, t), &mut d);
            c.enqueue(t, pkt(k as u32 + 1000, t), &mut d);
            let later = t + SimDuration::from_millis(40);
            c.dequeue(later, &mut d);
            c.dequeue(later, &mut d);
        }
        assert!(d.is_empty());
    }

    #[test]
    fn the_hard_limit_tail_drops() {
        let mut c = CoDel::new(CoDelConfig {
            limit: 2,
            ..CoDelConfig::default()
        });
        let mut d = Vec::new();
        for i in 0..3 {
            c.enqueue(SimTime::ZERO, pkt(i, SimTime::ZERO), &mut d);
        }
        assert_eq!(d, vec![(pkt(2, SimTime::ZERO), DropCause::Queue)]);
    }
}
