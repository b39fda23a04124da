//! The mpsim engine: integer time, a deterministic event queue, named random
//! streams, links with loss and interfaces that go up and down, and the one
//! event loop of the workspace. It knows nothing of TCP.
//!
//! - [`time`]: `SimTime`/`SimDuration` (u64 ns), `Bandwidth` (bit/s), `ByteSize`, human units.
//! - [`queue`]: `EventQueue`, a min-heap on (time, scheduling order).
//! - [`rng`]: independent random streams keyed by name, from one master seed.
//! - [`loss`]: loss models (none, Bernoulli, Gilbert-Elliott, exact drop list).
//! - [`link`]: one direction of a path (rate or trace, delay, jitter, drop-tail buffer, up/down).
//! - [`trace`]: Mahimahi delivery-opportunity traces and how a link serves them.
//! - [`trace_gen`]: generators of such traces (constant, steps, on/off, a seeded random walk).
//! - [`qdisc`]: queue disciplines (FIFO, CoDel, FQ-CoDel, RED) a link can serve lazily.
//! - [`net`]: links grouped into interfaces, interface up/down as scheduled events.
//! - [`sim`]: `Simulation<W: World>`, the only event loop.

pub mod link;
pub mod loss;
pub mod net;
pub mod qdisc;
pub mod queue;
pub mod rng;
pub mod sim;
pub mod time;
pub mod trace;
pub mod trace_gen;

pub use link::{BufferLimit, DropCause, Jitter, JitterModel, Link, LinkConfig, LinkCounters};
pub use loss::{LossModel, LossProcess};
pub use net::{IfaceId, LinkChange, LinkId, NetEvent, NetOutput, Network};
pub use qdisc::{CoDelConfig, FlowTuple, FqCoDelConfig, QdiscConfig, RedConfig};
pub use queue::{EventQueue, ScheduleError};
pub use rng::{RngStreams, SimRng, mix64};
pub use sim::{Ctx, RunOutcome, Simulation, World};
pub use time::{Bandwidth, ByteSize, SimDuration, SimTime, UnitError};
pub use trace::{DeliveryTrace, TraceError};
