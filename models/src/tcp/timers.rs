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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerTable {
    deadline: [Option<SimTime>; 6],
}

impl TimerTable {
    /// Arms (or re-arms) `t` to fire at `at`.
    pub fn set(&mut self, t: Timer, at: SimTime) {
        self.deadline[t.index()] = Some(at);
    }

    /// Arms `t` only if it is not armed already (RFC 6298 5.1 "if the timer
    /// is not running, start it").
    pub fn set_if_unarmed(&mut self, t: Timer, at: SimTime) {
        let d = &mut self.deadline[t.index()];
        if d.is_none() {
            *d = Some(at);
        }
    }

    /// Disarms `t`.
    pub fn cancel(&mut self, t: Timer) {
        self.deadline[t.index()] = None;
    }

    /// Disarms every timer.
    pub fn cancel_all(&mut self) {
        self.deadline = [None; 6];
    }

    /// The deadline of `t`; `None` when it is not armed.
    pub fn get(&self, t: Timer) -> Option<SimTime> {
        self.deadline[t.index()]
    }

    /// Whether `t` is armed.
    pub fn is_armed(&self, t: Timer) -> bool {
        self.deadline[t.index()].is_some()
    }

    /// The earliest armed deadline.
    pub fn earliest(&self) -> Option<SimTime> {
        self.deadline.iter().fold(None, |m, &d| SimTime::earliest(m, d))
    }

    /// Disarms and returns the first timer (in [`Timer::ALL`] order) whose
    /// deadline is at or before `now`.
    pub fn take_due(&mut self, now: SimTime) -> Option<Timer> {
        for t in Timer::ALL {
            let d = &mut self.deadline[t.index()];
            if matches!(*d, Some(at) if at <= now) {
                *d = None;
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
    fn arming_an_armed_timer_only_if_unarmed_keeps_the_old_deadline() {
        let mut t = fixture();
        t.set_if_unarmed(Timer::Retransmit, ms(900));
        assert_eq!(t.get(Timer::Retransmit), Some(ms(300)));
        t.set_if_unarmed(Timer::Persist, ms(900));
        assert_eq!(t.get(Timer::Persist), Some(ms(900)));
    }
}
