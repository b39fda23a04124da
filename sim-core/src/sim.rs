//! `Simulation<W: World>`: the only event loop in the workspace.
//!
//! A [`World`] owns all model state and handles one event at a time; it
//! schedules further events through the [`Ctx`] it is handed. The loop pops
//! events in (time, scheduling order), so a run is a pure function of the
//! world's initial state and the events scheduled before it starts.

use crate::queue::{EventQueue, ScheduleError};
use crate::time::{SimDuration, SimTime};

/// The model side of a simulation.
pub trait World {
    type Event;
    /// Handles one event at `ctx.now()`.
    fn handle(&mut self, ctx: &mut Ctx<'_, Self::Event>, event: Self::Event);
    /// The world found itself wrong and asks the loop to stop after the
    /// event it just handled (checked once per event). Default: never.
    fn halted(&self) -> bool {
        false
    }
}

/// What a handler may do: read the time, schedule events.
pub struct Ctx<'a, E> {
    now: SimTime,
    queue: &'a mut EventQueue<E>,
}

impl<'a, E> Ctx<'a, E> {
    /// A context over `queue` at time `now`, for worlds and tests that
    /// drive handlers directly.
    pub fn new(now: SimTime, queue: &'a mut EventQueue<E>) -> Self {
        Ctx { now, queue }
    }
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// Schedules `event` at `at` (not before now).
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<(), ScheduleError> {
        self.queue.schedule(at, event)
    }
    /// Schedules a timer `event` at `at` (not before now): the same order
    /// as [`Self::schedule_at`], kept apart from the other events (see
    /// [`EventQueue::schedule_timer`]).
    pub fn schedule_timer_at(&mut self, at: SimTime, event: E) -> Result<(), ScheduleError> {
        self.queue.schedule_timer(at, event)
    }
    /// Schedules `event` after `delay`.
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue
            .schedule(self.now + delay, event)
            .expect("now + delay is never in the past");
    }
}

/// Why [`Simulation::run_until`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every event up to the stop time was processed.
    ReachedStopTime,
    /// No events were left before the stop time.
    Idle,
    /// The event budget ran out (a livelock guard).
    BudgetExhausted,
    /// The world halted the run ([`World::halted`]).
    Halted,
}

pub struct Simulation<W: World> {
    queue: EventQueue<W::Event>,
    world: W,
    events_processed: u64,
    event_budget: u64,
}

impl<W: World> Simulation<W> {
    pub fn new(world: W) -> Self {
        Simulation {
            queue: EventQueue::new(),
            world,
            events_processed: 0,
            event_budget: u64::MAX,
        }
    }

    /// Stop after this many events in total (a guard against livelock).
    pub fn set_event_budget(&mut self, budget: u64) {
        self.event_budget = budget;
    }

    pub fn now(&self) -> SimTime {
        self.queue.now()
    }
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }
    pub fn world(&self) -> &W {
        &self.world
    }
    pub fn world_mut(&mut self) -> &mut W {
        &mut self.world
    }
    pub fn into_world(self) -> W {
        self.world
    }

    /// Schedules an event from outside the world (initial events, timelines).
    pub fn schedule(&mut self, at: SimTime, event: W::Event) -> Result<(), ScheduleError> {
        self.queue.schedule(at, event)
    }

    /// Runs `f` against the world with a context at the current time, for
    /// start-up work that schedules events (opening connections).
    pub fn with_ctx<R>(&mut self, f: impl FnOnce(&mut W, &mut Ctx<'_, W::Event>) -> R) -> R {
        let mut ctx = Ctx {
            now: self.queue.now(),
            queue: &mut self.queue,
        };
        f(&mut self.world, &mut ctx)
    }

    /// Processes the next event; returns its time, or `None` if none is left.
    pub fn step(&mut self) -> Option<SimTime> {
        let (now, event) = self.queue.pop()?;
        self.events_processed += 1;
        let mut ctx = Ctx {
            now,
            queue: &mut self.queue,
        };
        self.world.handle(&mut ctx, event);
        Some(now)
    }

    /// Processes every event with time <= `stop`, within the event budget.
    pub fn run_until(&mut self, stop: SimTime) -> RunOutcome {
        loop {
            if self.events_processed >= self.event_budget {
                return RunOutcome::BudgetExhausted;
            }
            match self.queue.peek_time() {
                None => return RunOutcome::Idle,
                Some(t) if t > stop => return RunOutcome::ReachedStopTime,
                Some(_) => {
                    self.step();
                    if self.world.halted() {
                        return RunOutcome::Halted;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A world that re-arms a ticker and records what it saw.
    struct Ticker {
        seen: Vec<(SimTime, u32)>,
    }
    impl World for Ticker {
        type Event = u32;
        fn handle(&mut self, ctx: &mut Ctx<'_, u32>, ev: u32) {
            self.seen.push((ctx.now(), ev));
            if ev < 5 {
                ctx.schedule_in(SimDuration::from_millis(10), ev + 1);
            }
        }
    }

    #[test]
    fn run_until_processes_events_up_to_the_stop_time_and_counts_them() {
        let mut sim = Simulation::new(Ticker { seen: vec![] });
        sim.schedule(SimTime::ZERO, 0).unwrap();
        assert_eq!(sim.run_until(SimTime::from_millis(25)), RunOutcome::ReachedStopTime);
        assert_eq!(sim.events_processed(), 3);
        assert_eq!(sim.world().seen.last(), Some(&(SimTime::from_millis(20), 2)));
        assert_eq!(sim.run_until(SimTime::from_secs(1)), RunOutcome::Idle);
        assert_eq!(sim.events_processed(), 6);
        assert_eq!(sim.now(), SimTime::from_millis(50));
    }

    #[test]
    fn an_event_budget_stops_a_runaway_world() {
        let mut sim = Simulation::new(Ticker { seen: vec![] });
        sim.schedule(SimTime::ZERO, 0).unwrap();
        sim.set_event_budget(2);
        assert_eq!(sim.run_until(SimTime::from_secs(1)), RunOutcome::BudgetExhausted);
        assert_eq!(sim.events_processed(), 2);
    }

    #[test]
    fn step_returns_none_when_nothing_is_left() {
        let mut sim = Simulation::new(Ticker { seen: vec![] });
        assert_eq!(sim.step(), None);
        sim.schedule(SimTime::from_millis(3), 5).unwrap();
        assert_eq!(sim.step(), Some(SimTime::from_millis(3)));
        assert_eq!(sim.step(), None);
    }

    /// A world that asks to stop at its third event.
    struct Stopper {
        seen: u32,
    }
    impl World for Stopper {
        type Event = u32;
        fn handle(&mut self, ctx: &mut Ctx<'_, u32>, ev: u32) {
            self.seen += 1;
            ctx.schedule_in(SimDuration::from_millis(1), ev + 1);
        }
        fn halted(&self) -> bool {
            self.seen >= 3
        }
    }

    #[test]
    fn a_world_that_halts_stops_the_loop_after_the_event_that_halted_it() {
        let mut sim = Simulation::new(Stopper { seen: 0 });
        sim.schedule(SimTime::ZERO, 0).unwrap();
        assert_eq!(sim.run_until(SimTime::from_secs(1)), RunOutcome::Halted);
        assert_eq!(sim.events_processed(), 3);
        assert_eq!(sim.now(), SimTime::from_millis(2));
    }
}
