//! MPTCP connections (RFC 8684): the data sequence space, subflows,
//! reinjection, and the policies (scheduler, congestion control, path
//! manager) that drive them.

pub mod connection;
pub mod data;
pub mod upstream_rtx;

pub use connection::{ConnConfig, ConnEvent, ConnStats, Connection, LocalIface, MetaRecovery, Role, Subflow};
