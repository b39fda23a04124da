//! Trace-driven link capacity, as Mahimahi's link shell (`mm-link`) runs
//! it (Netravali et al., "Mahimahi: Accurate Record-and-Replay for HTTP",
//! USENIX ATC 2015; mahimahi `src/packet/link_queue.cc`).
//!
//! A trace is a list of millisecond timestamps, one line per *delivery
//! opportunity*: at each, the link can deliver [`OPPORTUNITY_BYTES`]
//! bytes. Several lines with the same millisecond are several
//! opportunities then (how a trace says more than 12 Mb/s). At its end
//! the trace loops, shifted by its last timestamp.
//!
//! How packets use opportunities (mahimahi `LinkQueue::rationalize`):
//! - the packet at the head of the queue takes the bytes of each
//!   opportunity until it is complete; it departs at the opportunity that
//!   completes it, and the bytes left over go to the next packet in the
//!   queue (two small packets can share one opportunity; a large one spans
//!   several);
//! - an opportunity that finds the queue empty is lost, and so are the
//!   bytes left over when the queue empties: capacity is not stored;
//! - a packet that arrives at time `t` can use only opportunities after
//!   `t` (mahimahi uses up the opportunities due at or before `now` before
//!   it enqueues an arriving packet).
//!
//! A packet counts as its IP length plus [`FRAMING_BYTES`]: mahimahi reads
//! packets from a TUN device with its 4-byte packet-information header, so
//! a 1500-byte IP packet fills one opportunity exactly.
//!
//! Simplified (observable): time is in nanoseconds but the trace's
//! resolution is the millisecond, as mahimahi's.

use crate::time::SimTime;

/// Bytes one delivery opportunity can carry (mahimahi `PACKET_SIZE`).
pub const OPPORTUNITY_BYTES: u64 = 1504;
/// Bytes a packet counts beyond its IP length (the TUN header).
pub const FRAMING_BYTES: u64 = 4;

/// A delivery-opportunity schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryTrace {
    /// The opportunities' times in ms, nondecreasing; the last is the
    /// period (greater than 0).
    ms: Vec<u64>,
}

/// Why a trace's text is not a trace: 1-based line and column, and what
/// is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl DeliveryTrace {
    /// The most opportunities a trace may have.
    pub const MAX_LINES: usize = 10_000_000;

    /// A trace from its opportunities' times in ms (nondecreasing, the
    /// last greater than 0).
    pub fn from_ms(ms: Vec<u64>) -> Result<Self, String> {
        if ms.is_empty() {
            return Err("a trace with no opportunities; expected at least one line".into());
        }
        if ms.windows(2).any(|w| w[1] < w[0]) {
            return Err("timestamps that go back; expected them nondecreasing".into());
        }
        if *ms.last().expect("not empty") == 0 {
            return Err("a trace that ends at 0 ms; expected the last timestamp (its period) above 0".into());
        }
        Ok(DeliveryTrace { ms })
    }

    /// Parses Mahimahi's format: one integer (ms) per line; blank lines
    /// are ignored.
    pub fn parse(text: &str) -> Result<Self, TraceError> {
        let mut ms = Vec::new();
        let mut last_line = 1;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            last_line = line;
            let t = raw.trim();
            if t.is_empty() {
                continue;
            }
            let col = raw.len() - raw.trim_start().len() + 1;
            let v: u64 = t.parse().map_err(|_| TraceError {
                line,
                col,
                message: format!("{t:?} is not a timestamp; expected milliseconds as a whole number, one per line"),
            })?;
            if let Some(&prev) = ms.last()
                && v < prev
            {
                return Err(TraceError {
                    line,
                    col,
                    message: format!("{v} ms comes after {prev} ms; expected nondecreasing timestamps"),
                });
            }
            if ms.len() == Self::MAX_LINES {
                return Err(TraceError {
                    line,
                    col,
                    message: format!("more than {} opportunities; expected a shorter trace", Self::MAX_LINES),
                });
            }
            ms.push(v);
        }
        Self::from_ms(ms).map_err(|message| TraceError {
            line: last_line,
            col: 1,
            message,
        })
    }

    /// The opportunities' times in ms, over one period.
    pub fn ms(&self) -> &[u64] {
        &self.ms
    }

    /// The period, in ms.
    pub fn period_ms(&self) -> u64 {
        *self.ms.last().expect("not empty")
    }

    /// The mean capacity in bit/s (opportunities per period x
    /// [`OPPORTUNITY_BYTES`]).
    pub fn mean_bps(&self) -> f64 {
        self.ms.len() as f64 * OPPORTUNITY_BYTES as f64 * 8.0 / (self.period_ms() as f64 / 1000.0)
    }

    /// The time of opportunity `k` (counted from 0 over all loops).
    pub fn at(&self, k: u64) -> SimTime {
        let n = self.ms.len() as u64;
        let ms = (k / n) * self.period_ms() + self.ms[(k % n) as usize];
        SimTime::from_millis(ms)
    }

    /// The first opportunity strictly after `t`.
    pub fn first_after(&self, t: SimTime) -> u64 {
        let n = self.ms.len() as u64;
        let period_ns = self.period_ms() as u128 * 1_000_000;
        let cycle = (t.as_nanos() as u128 / period_ns) as u64;
        // Within this cycle, or else the next (every opportunity of the
        // cycles before is at or before this cycle's start, so not after t).
        for c in [cycle, cycle + 1] {
            let base = c as u128 * period_ns;
            let i = self
                .ms
                .partition_point(|&m| base + m as u128 * 1_000_000 <= t.as_nanos() as u128);
            if i < self.ms.len() {
                return c * n + i as u64;
            }
        }
        unreachable!("the cycle after t has an opportunity after t")
    }
}

/// Where a trace-driven link is in its trace: which opportunity served the
/// last packet and how many of its bytes were left.
#[derive(Clone, Debug, Default)]
pub struct TraceCursor {
    /// The opportunity that completed the last packet, and the bytes it had
    /// left (usable by a packet queued behind it).
    last: Option<(u64, u64)>,
}

impl TraceCursor {
    /// When a packet of `ip_bytes`, offered at `now`, departs, given that
    /// the link finishes the packets ahead of it at `busy_until` (a packet
    /// departs at the opportunity that completes it).
    pub fn depart(&mut self, trace: &DeliveryTrace, now: SimTime, busy_until: SimTime, ip_bytes: u32) -> SimTime {
        let mut need = ip_bytes as u64 + FRAMING_BYTES;
        // Queued behind a packet that departs later: it takes the bytes
        // that packet's opportunity has left, then the following ones.
        // Otherwise the queue was empty: leftovers are lost and the first
        // opportunity after `now` is the first it can use.
        let mut k = match self.last {
            Some((k, left)) if busy_until > now => {
                if need <= left {
                    self.last = Some((k, left - need));
                    return trace.at(k);
                }
                need -= left;
                k + 1
            }
            Some((k, _)) => trace.first_after(now).max(k + 1),
            None => trace.first_after(now),
        };
        loop {
            if need <= OPPORTUNITY_BYTES {
                self.last = Some((k, OPPORTUNITY_BYTES - need));
                return trace.at(k);
            }
            need -= OPPORTUNITY_BYTES;
            k += 1;
        }
    }

    /// The link went down: it starts again from the first opportunity
    /// after it comes back.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(text: &str) -> DeliveryTrace {
        DeliveryTrace::parse(text).unwrap()
    }

    #[test]
    fn a_saturated_trace_link_sends_one_full_packet_at_each_opportunity() {
        // Opportunities at 1, 1, 3 and 10 ms, looping every 10 ms.
        let t = trace("1\n1\n3\n10\n");
        let mut c = TraceCursor::default();
        let mut busy = SimTime::ZERO;
        let mut departs = Vec::new();
        for _ in 0..9 {
            let d = c.depart(&t, SimTime::ZERO, busy, 1500);
            busy = d;
            departs.push(d.as_nanos() / 1_000_000);
        }
        assert_eq!(departs, [1, 1, 3, 10, 11, 11, 13, 20, 21]);
    }

    #[test]
    fn small_packets_share_an_opportunity_and_large_ones_span_several() {
        let t = trace("5\n6\n7\n8\n");
        let mut c = TraceCursor::default();
        // 700 + 4 and 700 + 4 fit in 1504 bytes: both at 5 ms; the third
        // takes the 96 bytes left and 608 of the next: 6 ms.
        let a = c.depart(&t, SimTime::ZERO, SimTime::ZERO, 700);
        let b = c.depart(&t, SimTime::ZERO, a, 700);
        let d = c.depart(&t, SimTime::ZERO, b, 700);
        assert_eq!(
            (a, b, d),
            (
                SimTime::from_millis(5),
                SimTime::from_millis(5),
                SimTime::from_millis(6)
            )
        );
        // 3000 + 4 bytes after it: the rest of 6 ms (896), all of 7 ms
        // (1504), and 604 of 8 ms.
        let e = c.depart(&t, SimTime::ZERO, d, 3000);
        assert_eq!(e, SimTime::from_millis(8));
    }

    #[test]
    fn opportunities_with_an_empty_queue_are_lost_and_a_packet_uses_only_later_ones() {
        let t = trace("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
        let mut c = TraceCursor::default();
        let a = c.depart(&t, SimTime::ZERO, SimTime::ZERO, 100);
        assert_eq!(a, SimTime::from_millis(1));
        // The queue empties at 1 ms; the 1400 bytes left are lost. A
        // packet offered at exactly 4 ms waits for 5 ms.
        let b = c.depart(&t, SimTime::from_millis(4), a, 100);
        assert_eq!(b, SimTime::from_millis(5));
        // Offered at 5.5 ms: 6 ms.
        let d = c.depart(&t, SimTime::from_micros(5_500), b, 1500);
        assert_eq!(d, SimTime::from_millis(6));
    }

    #[test]
    fn the_trace_loops_shifted_by_its_last_timestamp() {
        let t = trace("0\n4\n");
        assert_eq!(t.period_ms(), 4);
        let times: Vec<u64> = (0..6).map(|k| t.at(k).as_nanos() / 1_000_000).collect();
        assert_eq!(times, [0, 4, 4, 8, 8, 12]);
        assert_eq!(
            t.first_after(SimTime::from_millis(4)),
            3,
            "the next after both 4 ms ones"
        );
        assert_eq!(t.at(t.first_after(SimTime::from_millis(5))), SimTime::from_millis(8));
        // 2 opportunities of 1504 bytes per 4 ms: 6.016 Mb/s.
        assert!((t.mean_bps() - 6_016_000.0).abs() < 1e-6);
    }

    #[test]
    fn a_bad_trace_is_refused_at_its_line_and_column() {
        let e = DeliveryTrace::parse("1\n2\n  x3\n").unwrap_err();
        assert_eq!((e.line, e.col), (3, 3));
        assert!(e.message.contains("expected"), "{}", e.message);
        let e = DeliveryTrace::parse("5\n4\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 1));
        let e = DeliveryTrace::parse("0\n0\n").unwrap_err();
        assert!(e.message.contains("above 0"), "{}", e.message);
        assert!(DeliveryTrace::parse("\n\n").is_err());
    }
}
