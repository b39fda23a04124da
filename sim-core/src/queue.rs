//! The future-event set, ordered by (time, insertion sequence).
//!
//! Events pop in time order and, among equal times, in the order they were
//! scheduled (FIFO), so a run never depends on the queue's internals: every
//! key (time, sequence) is distinct, so any correct priority queue pops the
//! same sequence. Scheduling before the time of the last popped event is an
//! error ([`ScheduleError::InPast`]), never a silent reorder.
//!
//! Two layouts hold the pending events other than timers (below), one at
//! a time. While few are pending (a handful per link and connection:
//! issue 18's perf-2path, the dumbbells) a `Vec`-backed binary min-heap is
//! cheapest. Above [`RADIX_ABOVE`] pending the queue moves every such event
//! into a radix heap (`queue/radix.rs`), whose cost per event does not grow
//! with the number pending (a scenario's timeline of thousands of changes,
//! scheduled up front; the connection starts of dumbbell-1000, pending at
//! time 0; where a binary heap's pop walks a dozen cache-missing levels);
//! below [`BINARY_BELOW`] it moves them back. The
//! gap between the two thresholds (hysteresis) keeps a queue whose size
//! hovers near one of them from paying an O(n) move per event. The move
//! changes only where events are kept, never which pops next; debug builds
//! cross-check every pop against a plain binary heap of the keys. The
//! inlined paths test the binary heap (room left on schedule, emptiness on
//! pop and peek, which the radix layout keeps empty) and compare its top
//! with the timers'; the radix layout and the move are behind out-of-line
//! calls.
//!
//! No allocation per event once the layouts have grown.
//! [`EventQueue::pop_and_push`] is the fused hold operation (replace the
//! top and sift down once in the binary heap) that handlers which re-arm
//! themselves (links, timers) can use.
//!
//! Timers go in a heap of their own ([`EventQueue::schedule_timer`]): a
//! run with thousands of connections keeps one deadline (and some stale
//! ones) per connection end pending, while almost every event popped is a
//! link's (a dozen pending). With the timers apart, the events popped
//! most are sifted through a heap of a dozen, and a pop compares its top
//! with the timers' top, one more test (issue 14: dumbbell-1000's queue
//! cost per event came down to near dumbbell-1's). Keys stay distinct and
//! shared, so the pop order is the same whichever heap an event is in.
//!
//! Cancellation is left to the caller: events carry a generation and stale
//! ones are ignored when they pop (lazy cancellation), which keeps the
//! queue free of search and removal.

mod radix;

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

use crate::time::SimTime;
use radix::RadixHeap;

/// Pending events (timers not counted) above which the queue moves to the
/// radix heap.
pub const RADIX_ABOVE: usize = 512;
/// Pending events (timers not counted) below which the queue moves back to
/// the binary heap.
pub const BINARY_BELOW: usize = 128;

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

/// The radix heap's key of an event: time, then sequence.
#[inline(always)]
fn key(time_ns: u64, seq: u64) -> u128 {
    ((time_ns as u128) << 64) | seq as u128
}

/// A deterministic priority queue of events of type `E`.
pub struct EventQueue<E> {
    /// The pending events while `in_radix` is false.
    heap: BinaryHeap<Entry<E>>,
    /// The pending events while `in_radix` is true.
    radix: RadixHeap<E>,
    /// Events scheduled with [`Self::schedule_timer`], whatever the layout.
    timers: BinaryHeap<Entry<E>>,
    in_radix: bool,
    /// How many events the binary heap may hold before a schedule goes
    /// the slow way: `radix_above` in the binary layout, 0 in the radix
    /// layout. The hot paths test the binary heap (its length against this,
    /// its emptiness on pop and peek: the radix layout keeps it empty) and
    /// the timers' top, never `in_radix`.
    binary_room: usize,
    /// Move to the radix heap when a schedule makes more than this pending.
    radix_above: usize,
    /// Move back to the binary heap when a pop leaves fewer than this.
    binary_below: usize,
    /// Sequence numbers start at 1, so `key(now, 0)` is below every
    /// pending and future key (the radix heap's floor when it starts).
    next_seq: u64,
    now: SimTime,
    /// Debug builds: the (time, seq) of every pending event in a plain
    /// binary heap, which every pop must agree with.
    #[cfg(debug_assertions)]
    shadow: BinaryHeap<std::cmp::Reverse<(u64, u64)>>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(n: usize) -> Self {
        Self::with_thresholds(n, RADIX_ABOVE, BINARY_BELOW)
    }

    /// A queue that moves to the radix heap above `radix_above` pending and
    /// back below `binary_below` (`binary_below <= radix_above`; timers are
    /// not counted: they stay in their own heap): for
    /// measurements (`examples/queue_layouts.rs`: `usize::MAX` keeps the
    /// binary heap, 0 and 0 the radix heap) and tests; a run uses
    /// [`RADIX_ABOVE`] and [`BINARY_BELOW`].
    pub fn with_thresholds(n: usize, radix_above: usize, binary_below: usize) -> Self {
        debug_assert!(binary_below <= radix_above);
        EventQueue {
            heap: BinaryHeap::with_capacity(n.min(radix_above.saturating_add(1))),
            radix: RadixHeap::new(),
            timers: BinaryHeap::new(),
            in_radix: false,
            binary_room: radix_above,
            radix_above,
            binary_below,
            next_seq: 1,
            now: SimTime::ZERO,
            #[cfg(debug_assertions)]
            shadow: BinaryHeap::new(),
        }
    }

    /// The time of the last popped event (zero before the first pop).
    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn len(&self) -> usize {
        self.timers.len()
            + if self.in_radix {
                self.radix.len()
            } else {
                self.heap.len()
            }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the events are in the radix heap (for tests and profiles).
    pub fn uses_radix_heap(&self) -> bool {
        self.in_radix
    }

    /// The time of the next event, if any.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        // The binary heap is empty in the radix layout.
        match self.heap.peek() {
            Some(e) if self.timers.peek().is_none_or(|t| e > t) => Some(SimTime::from_nanos(e.time)),
            _ => self.peek_slow(),
        }
    }

    /// [`Self::peek_time`] when the binary heap's top is not the earliest:
    /// the earlier of the radix heap's and the timers' tops.
    #[cold]
    #[inline(never)]
    fn peek_slow(&mut self) -> Option<SimTime> {
        let near = if self.in_radix {
            self.radix.min_key()
        } else {
            self.heap.peek().map(|e| key(e.time, e.seq))
        };
        let timer = self.timers.peek().map(|e| key(e.time, e.seq));
        let k = match (near, timer) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(SimTime::from_nanos((k >> 64) as u64))
    }

    #[inline(always)]
    fn next_seq(&mut self, at: SimTime) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        #[cfg(debug_assertions)]
        self.shadow.push(std::cmp::Reverse((at.as_nanos(), seq)));
        #[cfg(not(debug_assertions))]
        let _ = at;
        seq
    }

    /// Debug builds: the popped (time, seq) is the shadow heap's smallest.
    #[inline(always)]
    fn cross_check(&mut self, time: u64, seq: u64) {
        #[cfg(debug_assertions)]
        {
            let want = self.shadow.pop().map(|r| r.0);
            debug_assert_eq!(Some((time, seq)), want, "event queue popped out of order");
        }
        #[cfg(not(debug_assertions))]
        let _ = (time, seq);
    }

    /// Schedules `event` at `at`; equal times pop in scheduling order.
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: E) -> Result<(), ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        let seq = self.next_seq(at);
        let e = Entry {
            time: at.as_nanos(),
            seq,
            event,
        };
        // One test on the hot path: room in the binary heap (none in the
        // radix layout).
        if self.heap.len() < self.binary_room {
            self.heap.push(e);
        } else {
            self.schedule_slow(e);
        }
        debug_assert!(self.in_radix || self.heap.len() <= self.radix_above);
        debug_assert!(!self.in_radix || self.heap.is_empty());
        Ok(())
    }

    /// Schedules a timer `event` at `at`: as [`Self::schedule`] (the same
    /// order among all events), kept in the timers' heap. For events that
    /// are many and seldom popped, such as one deadline per connection,
    /// most of them superseded before they are due.
    #[inline]
    pub fn schedule_timer(&mut self, at: SimTime, event: E) -> Result<(), ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        let seq = self.next_seq(at);
        self.timers.push(Entry {
            time: at.as_nanos(),
            seq,
            event,
        });
        Ok(())
    }

    /// [`Self::schedule`] into the radix heap, or into a binary heap that is
    /// full: the event goes in and every event moves to the radix heap.
    #[cold]
    #[inline(never)]
    fn schedule_slow(&mut self, e: Entry<E>) {
        if self.in_radix {
            self.radix.push(e);
        } else {
            self.heap.push(e);
            self.move_to_radix();
        }
    }

    /// Moves every pending event from the binary heap to the radix heap.
    #[cold]
    #[inline(never)]
    fn move_to_radix(&mut self) {
        // Every pending and future event is at or after `now` with a
        // sequence of at least 1.
        self.radix.reset(key(self.now.as_nanos(), 0));
        for e in self.heap.drain() {
            self.radix.push(e);
        }
        self.in_radix = true;
        self.binary_room = 0;
    }

    /// Moves every pending event from the radix heap to the binary heap.
    #[cold]
    #[inline(never)]
    fn move_to_binary(&mut self) {
        let mut kept = Vec::with_capacity(self.radix.len());
        self.radix.drain_into(&mut kept);
        let mut v = std::mem::take(&mut self.heap).into_vec();
        v.append(&mut kept);
        self.heap = BinaryHeap::from(v);
        self.in_radix = false;
        self.binary_room = self.radix_above;
    }

    /// Removes and returns the earliest event, advancing `now` to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        // The binary heap is empty in the radix layout.
        let e = match self.heap.peek() {
            Some(e) if self.timers.peek().is_none_or(|t| e > t) => self.heap.pop().expect("peeked"),
            _ => self.pop_slow()?,
        };
        self.cross_check(e.time, e.seq);
        self.now = SimTime::from_nanos(e.time);
        Some((self.now, e.event))
    }

    /// [`Self::pop`] when the binary heap's top is not the earliest: the
    /// earlier of the timers' top and the radix heap's (which moves back to
    /// the binary heap if it leaves fewer than `binary_below` pending).
    #[cold]
    #[inline(never)]
    fn pop_slow(&mut self) -> Option<Entry<E>> {
        let near = if self.in_radix {
            self.radix.min_key()
        } else {
            self.heap.peek().map(|e| key(e.time, e.seq))
        };
        let timer = self.timers.peek().map(|e| key(e.time, e.seq));
        if timer.is_some_and(|t| near.is_none_or(|n| t < n)) {
            return self.timers.pop();
        }
        if !self.in_radix {
            return self.heap.pop();
        }
        let e = self.radix.pop()?;
        if self.radix.len() < self.binary_below {
            self.move_to_binary();
        }
        Some(e)
    }

    /// Fused hold: pops the earliest event and schedules `event` at `at`
    /// (one sift in the binary heap; a pop and a schedule when the earliest
    /// is a timer's or the radix heap's). `at` is checked against the popped
    /// event's time (it becomes `now`) before anything changes. Returns
    /// `Ok(None)` (and schedules) if the queue was empty.
    pub fn pop_and_push(&mut self, at: SimTime, event: E) -> Result<Option<(SimTime, E)>, ScheduleError> {
        let timer_first = match (self.heap.peek(), self.timers.peek()) {
            (Some(e), Some(t)) => t > e,
            (None, Some(_)) => true,
            _ => false,
        };
        if self.in_radix || timer_first {
            let Some(t) = self.peek_time() else {
                self.schedule(at, event)?;
                return Ok(None);
            };
            if at < t {
                return Err(ScheduleError::InPast { at, now: t });
            }
            // Pop first, then schedule (`at` is not before the popped
            // time, checked above).
            let popped = self.pop();
            self.schedule(at, event).expect("at is not before the popped time");
            return Ok(popped);
        }
        let Some(top) = self.heap.peek() else {
            self.schedule(at, event)?;
            return Ok(None);
        };
        let t = SimTime::from_nanos(top.time);
        if at < t {
            return Err(ScheduleError::InPast { at, now: t });
        }
        let seq = self.next_seq(at);
        let mut top = self.heap.peek_mut().expect("peeked above");
        let old = std::mem::replace(
            &mut *top,
            Entry {
                time: at.as_nanos(),
                seq,
                event,
            },
        );
        drop(top); // sifts down once
        self.cross_check(old.time, old.seq);
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

    /// The plain binary heap: a queue that never moves to the radix heap.
    fn plain<E>() -> EventQueue<E> {
        EventQueue::with_thresholds(0, usize::MAX, 0)
    }

    #[test]
    fn the_queue_moves_to_the_radix_heap_just_above_the_threshold_and_back_just_below_the_lower_one() {
        let mut q = EventQueue::with_thresholds(0, 4, 2);
        for i in 0..4u64 {
            q.schedule(SimTime::from_nanos(10 - i), i).unwrap();
        }
        assert!(!q.uses_radix_heap(), "4 pending is not above 4");
        q.schedule(SimTime::from_nanos(10), 4).unwrap();
        assert!(q.uses_radix_heap(), "5 pending is above 4");
        assert_eq!(q.len(), 5);
        assert_eq!(q.pop(), Some((SimTime::from_nanos(7), 3)));
        assert_eq!(q.pop(), Some((SimTime::from_nanos(8), 2)));
        assert!(q.uses_radix_heap(), "3 left is not below 2");
        q.schedule(SimTime::from_nanos(10), 5).unwrap();
        assert_eq!(q.pop(), Some((SimTime::from_nanos(9), 1)));
        assert_eq!(q.pop(), Some((SimTime::from_nanos(10), 0)));
        assert!(q.uses_radix_heap(), "2 left is not below 2");
        assert_eq!(q.pop(), Some((SimTime::from_nanos(10), 4)));
        assert!(!q.uses_radix_heap(), "1 left is below 2");
        // Back in the binary heap, it fills up to the threshold again
        // before moving.
        for i in 6..9u64 {
            q.schedule(SimTime::from_nanos(20), i).unwrap();
            assert!(!q.uses_radix_heap(), "{} pending is not above 4", q.len());
        }
        assert_eq!(q.pop(), Some((SimTime::from_nanos(10), 5)));
        assert_eq!(q.pop(), Some((SimTime::from_nanos(20), 6)));
        assert_eq!(q.pop(), Some((SimTime::from_nanos(20), 7)));
        assert_eq!(q.pop(), Some((SimTime::from_nanos(20), 8)));
        assert_eq!(q.pop(), None);
        assert_eq!(q.peek_time(), None);
    }

    #[test]
    fn equal_times_stay_fifo_across_the_move_in_both_directions() {
        let mut q = EventQueue::with_thresholds(0, 3, 2);
        for i in 0..3u32 {
            q.schedule(SimTime::from_millis(1), i).unwrap();
        }
        assert!(!q.uses_radix_heap());
        q.schedule(SimTime::from_millis(1), 3).unwrap(); // moves to radix
        assert!(q.uses_radix_heap());
        assert_eq!(q.pop().unwrap().1, 0);
        assert_eq!(q.pop().unwrap().1, 1); // 2 left: stays
        q.schedule(SimTime::from_millis(1), 4).unwrap();
        assert_eq!(q.pop().unwrap().1, 2);
        assert_eq!(q.pop().unwrap().1, 3); // 1 left: moves back
        assert!(!q.uses_radix_heap());
        q.schedule(SimTime::from_millis(1), 5).unwrap();
        assert_eq!(q.pop().unwrap().1, 4);
        assert_eq!(q.pop().unwrap().1, 5);
    }

    #[test]
    fn in_the_radix_heap_an_event_scheduled_before_a_peeked_top_pops_first() {
        let mut q = EventQueue::with_thresholds(0, 1, 0);
        q.schedule(SimTime::from_millis(1), "a").unwrap();
        q.schedule(SimTime::from_millis(90), "d").unwrap();
        assert!(q.uses_radix_heap());
        assert_eq!(q.pop().unwrap().1, "a");
        // The peek finds "d" (at 90 ms); "b" and "c" come before it.
        assert_eq!(q.peek_time(), Some(SimTime::from_millis(90)));
        q.schedule(SimTime::from_millis(5), "c").unwrap();
        q.schedule(SimTime::from_millis(2), "b").unwrap();
        q.schedule(SimTime::from_millis(90), "e").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["b", "c", "d", "e"]);
    }

    #[test]
    fn timers_and_other_events_pop_in_one_order_of_time_then_scheduling() {
        let mut q = EventQueue::new();
        q.schedule(SimTime::from_millis(5), "link at 5").unwrap();
        q.schedule_timer(SimTime::from_millis(5), "timer at 5").unwrap();
        q.schedule_timer(SimTime::from_millis(2), "timer at 2").unwrap();
        q.schedule(SimTime::from_millis(5), "link at 5, later").unwrap();
        assert_eq!(q.len(), 4);
        assert_eq!(q.peek_time(), Some(SimTime::from_millis(2)));
        // The fused hold pops the timer (the earliest) and keeps the order.
        let (t, e) = q.pop_and_push(SimTime::from_millis(7), "link at 7").unwrap().unwrap();
        assert_eq!((t, e), (SimTime::from_millis(2), "timer at 2"));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["link at 5", "timer at 5", "link at 5, later", "link at 7"]);
        assert!(q.schedule_timer(SimTime::from_millis(6), "past").is_err());
    }

    /// One step of a random drive: 0 pop, 1 peek, 2 fused pop-and-push,
    /// otherwise schedule after a delay of up to `bits` bits (0: now; 44:
    /// hours), so equal, near and far times all occur; 5 schedules a timer
    /// when `timers` is set (into the timers' heap), a plain event if not.
    type Op = (u32, u32, u64);

    fn drive(q: &mut EventQueue<u64>, ops: &[Op], timers: bool) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut payload = 0u64;
        for &(op, bits, r) in ops {
            let at = SimTime::from_nanos(q.now().as_nanos() + (r & ((1u64 << bits) - 1)));
            match op {
                0 => out.extend(q.pop().map(|(t, e)| (t.as_nanos(), e))),
                1 => out.push((q.peek_time().map_or(u64::MAX, |t| t.as_nanos()), u64::MAX)),
                2 => {
                    let at = SimTime::from_nanos(q.peek_time().unwrap_or(at).as_nanos() + (r >> 60));
                    if let Some((t, e)) = q.pop_and_push(at, payload).unwrap() {
                        out.push((t.as_nanos(), e));
                    }
                    payload += 1;
                }
                5 if timers => {
                    q.schedule_timer(at, payload).unwrap();
                    payload += 1;
                }
                _ => {
                    q.schedule(at, payload).unwrap();
                    payload += 1;
                }
            }
            out.push((q.len() as u64, u64::MAX - 1));
        }
        out.extend(std::iter::from_fn(|| q.pop()).map(|(t, e)| (t.as_nanos(), e)));
        out
    }

    proptest! {
        /// The hybrid queue, with thresholds small enough that random
        /// drives cross them in both directions many times, and with part of
        /// the events in the timers' heap, pops, peeks and counts exactly as
        /// the plain binary heap holding every event.
        #[test]
        fn the_hybrid_queue_pops_exactly_as_the_plain_binary_heap(
            above in 0usize..24,
            below_frac in 0usize..=100,
            ops in prop::collection::vec((0u32..6, prop_oneof![Just(0u32), 0u32..45], any::<u64>()), 1..2000),
        ) {
            let below = above * below_frac / 100;
            let mut hybrid = EventQueue::with_thresholds(0, above, below);
            let want = drive(&mut plain(), &ops, false);
            let got = drive(&mut hybrid, &ops, true);
            prop_assert_eq!(got, want);
        }

        /// The same at the real thresholds, with thousands pending, timers
        /// among them.
        #[test]
        fn at_the_real_thresholds_the_queue_pops_exactly_as_the_plain_binary_heap(
            ops in prop::collection::vec((prop_oneof![3 => Just(0u32), 1 => 1u32..3, 4 => Just(3u32), 2 => Just(5u32)], prop_oneof![Just(0u32), 0u32..45], any::<u64>()), 1..4000),
        ) {
            let want = drive(&mut plain(), &ops, false);
            let got = drive(&mut EventQueue::new(), &ops, true);
            prop_assert_eq!(got, want);
        }

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
