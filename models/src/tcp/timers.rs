//! The endpoint's timer table: one deadline per kind of timer, no heap and
//! no allocation. The endpoint never owns time: the owner asks
//! [`TimerTable::earliest`] (through `poll_timeout`) and calls back with
//! `handle_timeout(now)`, which fires every due timer in a fixed order.
//!
//! Kinds (RFC 9293 3.8 names the retransmission, persist and TIME-WAIT
//! timers; the delayed-ACK timer is RFC 5681 4.2 / RFC 9293 3.8.6.3):
//! - `Retransmit`: RFC 6298 (also SYN and SYN/ACK retransmission).
//! - `DelayedAck`: Linux `TCP_DELACK_MIN` (40 ms by default here).
//! - `Persist`: zero-window probes (RFC 9293 3.8.6.1). Never armed at the
//!   same time as `Retransmit` (Linux shares one timer for both).
//! - `TimeWait`: 2*MSL in RFC 9293 3.3.2 (configurable here, see `TcpConfig`).

use sim_core::SimTime;

/// One kind of timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Retransmission timer (RFC 6298), also for the SYN and SYN/ACK.
    Retransmit,
    /// Delayed-ACK timer (RFC 5681 4.2, [`crate::tcp::TcpConfig::delack_timeout`]).
    DelayedAck,
    /// Persist timer: zero-window probes (RFC 9293 3.8.6.1).
    Persist,
    /// TIME-WAIT timer ([`crate::tcp::TcpConfig::time_wait`]).
    TimeWait,
    /// RACK reordering timer (RFC 8985 6.3; Linux `ICSK_TIME_REO_TIMEOUT`).
    ReoTimeout,
    /// Tail loss probe timer (RFC 8985 7.2; Linux `ICSK_TIME_LOSS_PROBE`).
    LossProbe,
}

impl Timer {
    /// Firing order when several are due at the same instant: RACK's
    /// reordering timer and the probe timer before the retransmission timer
    /// (in Linux they replace it, so it cannot fire first), retransmission
    /// before the delayed ACK (which may then ride on a retransmission).
    pub const ALL: [Timer; 6] = [
        Timer::ReoTimeout,
        Timer::LossProbe,
        Timer::Retransmit,
        Timer::DelayedAck,
        Timer::Persist,
        Timer::TimeWait,
    ];

    const fn index(self) -> usize {
        match self {
            Timer::Retransmit => 0,
            Timer::DelayedAck => 1,
            Timer::Persist => 2,
            Timer::TimeWait => 3,
            Timer::ReoTimeout => 4,
            Timer::LossProbe => 5,
        }
    }
}

/// Deadlines of the armed timers.
///
/// Kept as plain times with a bit per armed timer, not as `Option`s: the
/// owner asks for [`TimerTable::earliest`] after every event, and a minimum
/// over six plain integers is a few branch-free instructions. A slot not
/// armed holds `SimTime::MAX`, so it never lowers the minimum; a timer armed
/// at `SimTime::MAX` itself is still told apart by its bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerTable {
    deadline: [SimTime; 6],
    /// Bit `Timer::index()` set: that timer is armed.
    armed: u8,
}

impl Default for TimerTable {
    fn default() -> Self {
        TimerTable {
            deadline: [SimTime::MAX; 6],
            armed: 0,
        }
    }
}

impl TimerTable {
    /// Arms (or re-arms) `t` to fire at `at`.
    #[inline]
    pub fn set(&mut self, t: Timer, at: SimTime) {
        self.deadline[t.index()] = at;
        self.armed |= 1 << t.index();
    }

    /// Arms `t` only if it is not armed already (RFC 6298 5.1 "if the timer
    /// is not running, start it").
    #[inline]
    pub fn set_if_unarmed(&mut self, t: Timer, at: SimTime) {
        if !self.is_armed(t) {
            self.set(t, at);
        }
    }

    /// Disarms `t`.
    #[inline]
    pub fn cancel(&mut self, t: Timer) {
        self.deadline[t.index()] = SimTime::MAX;
        self.armed &= !(1 << t.index());
    }

    /// Disarms every timer.
    pub fn cancel_all(&mut self) {
        *self = TimerTable::default();
    }

    /// The deadline of `t`; `None` when it is not armed.
    #[inline]
    pub fn get(&self, t: Timer) -> Option<SimTime> {
        self.is_armed(t).then_some(self.deadline[t.index()])
    }

    /// Whether `t` is armed.
    #[inline]
    pub fn is_armed(&self, t: Timer) -> bool {
        self.armed & (1 << t.index()) != 0
    }

    /// The earliest armed deadline.
    #[inline]
    pub fn earliest(&self) -> Option<SimTime> {
        let d = &self.deadline;
        let m = d[0].min(d[1]).min(d[2]).min(d[3]).min(d[4]).min(d[5]);
        (self.armed != 0).then_some(m)
    }

    /// Disarms and returns the first timer (in [`Timer::ALL`] order) whose
    /// deadline is at or before `now`.
    pub fn take_due(&mut self, now: SimTime) -> Option<Timer> {
        for t in Timer::ALL {
            if self.is_armed(t) && self.deadline[t.index()] <= now {
                self.cancel(t);
                return Some(t);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    /// A table with the retransmission timer at 300 ms and the delayed-ACK
    /// timer at 40 ms.
    fn fixture() -> TimerTable {
        let mut t = TimerTable::default();
        t.set(Timer::Retransmit, ms(300));
        t.set(Timer::DelayedAck, ms(40));
        t
    }

    #[test]
    fn the_earliest_deadline_is_the_minimum_of_the_armed_timers() {
        let mut t = fixture();
        assert_eq!(t.earliest(), Some(ms(40)));
        t.cancel(Timer::DelayedAck);
        assert_eq!(t.earliest(), Some(ms(300)));
        t.cancel_all();
        assert_eq!(t.earliest(), None);
    }

    #[test]
    fn only_due_timers_fire_and_each_fires_once() {
        let mut t = fixture();
        assert_eq!(t.take_due(ms(39)), None);
        assert_eq!(t.take_due(ms(40)), Some(Timer::DelayedAck));
        assert_eq!(t.take_due(ms(40)), None);
        assert_eq!(t.take_due(ms(1000)), Some(Timer::Retransmit));
        assert!(!t.is_armed(Timer::Retransmit));
    }

    #[test]
    fn due_timers_fire_in_the_fixed_order_retransmit_first() {
        let mut t = fixture();
        assert_eq!(t.take_due(ms(500)), Some(Timer::Retransmit));
        assert_eq!(t.take_due(ms(500)), Some(Timer::DelayedAck));
    }

    #[test]
    fn a_timer_armed_at_the_end_of_time_is_still_armed() {
        let mut t = TimerTable::default();
        t.set(Timer::TimeWait, SimTime::MAX);
        assert_eq!(t.earliest(), Some(SimTime::MAX));
        assert_eq!(t.get(Timer::TimeWait), Some(SimTime::MAX));
        assert_eq!(t.take_due(SimTime::MAX), Some(Timer::TimeWait));
        assert_eq!(t.earliest(), None);
        assert_eq!(t, TimerTable::default());
    }

    #[test]
    fn arming_an_armed_timer_only_if_unarmed_keeps_the_old_deadline() {
        let mut t = fixture();
        t.set_if_unarmed(Timer::Retransmit, ms(900));
        assert_eq!(t.get(Timer::Retransmit), Some(ms(300)));
        t.set_if_unarmed(Timer::Persist, ms(900));
        assert_eq!(t.get(Timer::Persist), Some(ms(900)));
    }

    proptest::proptest! {
        /// The table answers as one `Option` per timer would (the form it
        /// had before the armed bits), whatever the operations.
        #[test]
        fn the_table_matches_one_option_per_timer(ops in proptest::collection::vec((0u8..4, 0usize..6, 0u64..5), 0..60)) {
            let mut t = TimerTable::default();
            let mut model: [Option<SimTime>; 6] = [None; 6];
            for (op, k, v) in ops {
                let timer = Timer::ALL[k];
                let i = timer.index();
                // Deadlines from a few values, the end of time included.
                let at = if v == 4 { SimTime::MAX } else { ms(v * 10) };
                match op {
                    0 => { t.set(timer, at); model[i] = Some(at); }
                    1 => { t.set_if_unarmed(timer, at); model[i] = model[i].or(Some(at)); }
                    2 => { t.cancel(timer); model[i] = None; }
                    _ => {
                        let due = Timer::ALL.into_iter().find(|x| model[x.index()].is_some_and(|d| d <= at));
                        if let Some(x) = due { model[x.index()] = None; }
                        proptest::prop_assert_eq!(t.take_due(at), due);
                    }
                }
                let earliest = model.iter().fold(None, |m, &d| SimTime::earliest(m, d));
                proptest::prop_assert_eq!(t.earliest(), earliest);
                for x in Timer::ALL {
                    proptest::prop_assert_eq!(t.get(x), model[x.index()]);
                }
            }
        }
    }
}
