//! Factories for the three policies a connection runs: the packet
//! scheduler, the congestion control of each subflow and the path manager.
//!
//! A connection's [`ConnConfig`](crate::mptcp::ConnConfig) holds one
//! `Arc<dyn …Factory>` of each kind, as quinn's `TransportConfig` holds an
//! `Arc<dyn ControllerFactory>`; the connection asks its factory for a fresh
//! instance when it starts (scheduler, path manager) or opens a subflow
//! (congestion control). Nothing in the protocol code asks *which* policy it
//! holds: what it needs to know is a capability of the factory
//! ([`PathManagerFactory::offers_mptcp`]) or of the instance
//! ([`Scheduler::uses_rcv_buf_optimization`],
//! [`PathManager::chooses_sender_subflow`]).
//!
//! A factory is usually the policy's parameters: the built-in
//! [`BlestConfig`](crate::scheduler::blest::BlestConfig) is a
//! `SchedulerFactory` that builds BLEST with its lambda, and a user's crate
//! implements these traits for its own parameter struct the same way. The
//! `experiments` crate's registry maps scenario names to factories.
//!
//! Factories are shared, immutable configuration: `Send + Sync` and
//! `RefUnwindSafe` (a sweep catches a panicking run and goes on).

#![warn(missing_docs)]

use std::fmt;
use std::panic::RefUnwindSafe;

use crate::cc::CongestionControl;
use crate::path_manager::{PathManager, Role};
use crate::scheduler::Scheduler;

/// Builds the packet scheduler of one connection (at the sending host).
pub trait SchedulerFactory: fmt::Debug + Send + Sync + RefUnwindSafe {
    /// A fresh scheduler, called once when the connection is created.
    fn build(&self) -> Box<dyn Scheduler>;
}

/// Builds the congestion control of one subflow.
pub trait CcFactory: fmt::Debug + Send + Sync + RefUnwindSafe {
    /// A fresh instance for a subflow whose MSS is `mss_bytes`, called each
    /// time the connection opens a subflow (the first one included). It
    /// should start at `initial_window_bytes` (the scenario's
    /// `initial_window_segments` times the MSS; 10 segments by default, RFC
    /// 6928) with `ssthresh` infinite.
    fn build(&self, mss_bytes: u32, initial_window_bytes: u64) -> Box<dyn CongestionControl>;
}

/// Builds the path manager of one connection at one host.
pub trait PathManagerFactory: fmt::Debug + Send + Sync + RefUnwindSafe {
    /// A fresh path manager for `role`, called once when the connection is
    /// created.
    fn build(&self, role: Role) -> Box<dyn PathManager>;
    /// Whether connections under this path manager offer MPTCP at all
    /// (MP_CAPABLE on the SYN). `false` gives plain TCP on one interface, as
    /// iOS's `.none` service type. Default: `true`.
    fn offers_mptcp(&self) -> bool {
        true
    }
    /// Whether the path manager exists on `role`. iOS's service types are
    /// client-only (XNU's MPTCP socket has no listen or accept:
    /// `mptcp_usrreq.c` `mptcp_usrreqs`); a scenario rejects them on a
    /// server. Default: both roles.
    fn supports_role(&self, role: Role) -> bool {
        let _ = role;
        true
    }
}
