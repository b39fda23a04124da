//! mpsim protocol models, sans-IO: they take `now` and inputs, and are polled
//! for outputs; they never own time or I/O.

#![warn(missing_docs)]

pub mod cc;
pub mod mptcp;
pub mod mptcp_crypto;
pub mod path_manager;
pub mod policy;
pub mod ranges;
pub mod scheduler;
pub mod segment;
pub mod tcp;
pub mod testing;
pub mod wire;
