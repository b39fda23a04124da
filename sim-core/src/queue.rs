//! The future-event set: a binary min-heap on (time, insertion sequence).
//!
//! Events pop in time order and, among equal times, in the order they were
//! scheduled (FIFO), so a run never depends on heap internals. Scheduling
//! before the time of the last popped event is an error
//! ([`ScheduleError::InPast`]), never a silent reorder.
//!
//! Entries are plain values in a `Vec`-backed heap: no allocation per event
//! once the heap has grown. [`EventQueue::pop_and_push`] is the fused hold
//! operation (replace the top and sift down once) that handlers which re-arm
//! themselves (links, timers) can use.
//!
//! Cancellation is left to the caller: events carry a generation and stale
//! ones are ignored when they pop (lazy cancellation), which keeps the heap
//! free of search and removal.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

use crate::time::SimTime;

struct Entry<E> {
    /// Time in ns and insertion sequence, compared as a pair.
    time: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        self.time == o.time && self.seq == o.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so the std max-heap pops the earliest (time, seq).
    fn cmp(&self, o: &Self) -> Ordering {
        (o.time, o.seq).cmp(&(self.time, self.seq))
    }
}

/// Scheduling an event before the current time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleError {
    InPast { at: SimTime, now: SimTime },
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleError::InPast { at, now } => {
                write!(f, "event scheduled at {at}, before the current time {now}")
            }
        }
    }
}
impl std::error::Error for ScheduleError {}

/// A deterministic priority queue of events of type `E`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            next_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the last popped event (zero before the first pop).
    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime::from_nanos(e.time))
    }

    fn entry(&mut self, at: SimTime, event: E) -> Result<Entry<E>, ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        Ok(Entry {
            time: at.as_nanos(),
            seq,
            event,
        })
    }

    /// Schedules `event` at `at`; equal times pop in scheduling order.
    pub fn schedule(&mut self, at: SimTime, event: E) -> Result<(), ScheduleError> {
        let e = self.entry(at, event)?;
        self.heap.push(e);
        Ok(())
    }

    /// Removes and returns the earliest event, advancing `now` to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let e = self.heap.pop()?;
        self.now = SimTime::from_nanos(e.time);
        Some((self.now, e.event))
    }

    /// Fused hold: pops the earliest event and schedules `event` at `at` in
    /// one sift. `at` is checked against the popped event's time (it becomes
    /// `now`). Returns `Ok(None)` (and schedules) if the queue was empty.
    pub fn pop_and_push(&mut self, at: SimTime, event: E) -> Result<Option<(SimTime, E)>, ScheduleError> {
        let Some(mut top) = self.heap.peek_mut() else {
            self.schedule(at, event)?;
            return Ok(None);
        };
        let t = SimTime::from_nanos(top.time);
        if at < t {
            return Err(ScheduleError::InPast { at, now: t });
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let old = std::mem::replace(
            &mut *top,
            Entry {
                time: at.as_nanos(),
                seq,
                event,
            },
        );
        drop(top); // sifts down once
        self.now = t;
        Ok(Some((t, old.event)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn events_pop_in_time_order_and_fifo_among_equal_times() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_millis(5), "c").unwrap();
        q.schedule(SimTime::from_millis(1), "a").unwrap();
        q.schedule(SimTime::from_millis(5), "d").unwrap();
        q.schedule(SimTime::from_millis(1), "b").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert_eq!(q.now(), SimTime::from_millis(5));
    }

    #[test]
    fn scheduling_in_the_past_is_an_error_not_a_reorder() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_millis(10), 1).unwrap();
        q.pop();
        let err = q.schedule(SimTime::from_millis(9), 2).unwrap_err();
        assert_eq!(
            err,
            ScheduleError::InPast {
                at: SimTime::from_millis(9),
                now: SimTime::from_millis(10)
            }
        );
        assert!(q.is_empty());
        // Scheduling at exactly now is allowed.
        q.schedule(SimTime::from_millis(10), 3).unwrap();
    }

    #[test]
    fn fused_pop_and_push_returns_the_top_and_keeps_the_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_millis(1), 1).unwrap();
        q.schedule(SimTime::from_millis(3), 3).unwrap();
        let (t, e) = q.pop_and_push(SimTime::from_millis(2), 2).unwrap().unwrap();
        assert_eq!((t, e), (SimTime::from_millis(1), 1));
        assert_eq!(q.pop().unwrap().1, 2);
        assert_eq!(q.pop().unwrap().1, 3);
        assert!(q.pop_and_push(SimTime::from_millis(2), 9).is_err());
    }

    proptest! {
        /// Over random schedules interleaved with pops, every pop is the
        /// earliest pending (time, scheduling order), times never decrease,
        /// and past scheduling is refused exactly when at < now.
        #[test]
        fn pops_are_ordered_by_time_then_fifo(ops in prop::collection::vec((0u64..50, any::<bool>(), any::<bool>()), 1..300)) {
            let mut q = EventQueue::new();
            let mut model: Vec<(u64, u64)> = Vec::new(); // (time, seq) pending
            let mut seq = 0u64;
            let mut last = 0u64;
            for (dt, pop, fused) in ops {
                let at = q.now().as_nanos() + dt;
                if pop && !model.is_empty() {
                    model.sort();
                    let want = model.remove(0);
                    let got = if fused {
                        let r = q.pop_and_push(SimTime::from_nanos(want.0 + dt), seq).unwrap().unwrap();
                        model.push((want.0 + dt, seq));
                        seq += 1;
                        r
                    } else {
                        q.pop().unwrap()
                    };
                    prop_assert_eq!((got.0.as_nanos(), got.1), want);
                    prop_assert!(got.0.as_nanos() >= last);
                    last = got.0.as_nanos();
                } else {
                    q.schedule(SimTime::from_nanos(at), seq).unwrap();
                    model.push((at, seq));
                    seq += 1;
                }
                if q.now().as_nanos() > 0 {
                    let past = SimTime::from_nanos(q.now().as_nanos() - 1);
                    prop_assert!(q.schedule(past, u64::MAX).is_err());
                }
            }
            prop_assert_eq!(q.len(), model.len());
        }
    }
}
