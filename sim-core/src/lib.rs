//! The mpsim engine: integer time, a deterministic event queue, named random
//! streams, links with loss and interfaces that go up and down, and the one
//! event loop of the workspace. It knows nothing of TCP.

pub mod time;

pub use time::{Bandwidth, ByteSize, SimDuration, SimTime, UnitError};
