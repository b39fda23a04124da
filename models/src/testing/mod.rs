//! Public test helpers.
//!
//! - Here: fixtures for testing policies without a network: plain-value
//!   subflow, connection and segment views for a scheduler's decisions, as
//!   the project's own scheduler tests use them.
//! - [`pair`]: two sans-IO endpoints (anything implementing
//!   [`pair::Endpoint`], e.g. a TCP endpoint) over a simulated path of two
//!   `sim_core` links, with exact drops by index and a log of what was sent;
//!   the TCP protocol tests run on it. [`pair::MultiPair`] is the same with
//!   several paths routed by address (an MPTCP client's interfaces); the
//!   MPTCP connection tests run on it.
//!
//! ```
//! use models::scheduler::{Decision, MinRtt, Scheduler};
//! use models::testing::{at_ms, conn, new_seg, sf};
//!
//! // Two established subflows, 10 ms and 50 ms: min-RTT picks the first.
//! let mut s = MinRtt::new();
//! let d = s.next_for_new_data(at_ms(0), &conn(), &[sf(0, 10), sf(1, 50)], &new_seg(1, 1000));
//! assert!(matches!(d, Decision::Send { subflow: 0, .. }));
//! ```

#![warn(missing_docs)]

pub mod pair;

use sim_core::{SimDuration, SimTime};

use crate::scheduler::{ConnView, SegView, SubflowSet, SubflowState, SubflowView};

/// The MSS of every fixture, bytes.
pub const MSS: u32 = 1000;

/// `v` milliseconds.
pub fn ms(v: u64) -> SimDuration {
    SimDuration::from_millis(v)
}
/// The instant `v` milliseconds after time zero.
pub fn at_ms(v: u64) -> SimTime {
    SimTime::from_millis(v)
}

/// An established subflow with an empty 10-segment window, MSS 1000,
/// ssthresh 20 segments (congestion avoidance) and a wide-open peer
/// window.
pub fn sf(id: usize, srtt_ms: u64) -> SubflowView {
    SubflowView {
        id,
        state: SubflowState::Established,
        srtt: Some(ms(srtt_ms)),
        rttvar: ms(1),
        mss_bytes: MSS,
        cwnd_bytes: 10 * u64::from(MSS),
        ssthresh_bytes: 20 * u64::from(MSS),
        in_slow_start: true,
        snd_wnd_bytes: 1 << 30,
        ..SubflowView::default()
    }
}

/// `sf` with every cwnd slot taken by packets in flight.
pub fn full(mut s: SubflowView) -> SubflowView {
    s.bytes_in_flight = s.cwnd_bytes;
    s
}

/// `s` flagged backup (by either end).
pub fn backup(mut s: SubflowView) -> SubflowView {
    s.backup = true;
    s
}

/// A connection with 100 kB unsent, everything data-acknowledged and a
/// wide-open peer window.
pub fn conn() -> ConnView {
    ConnView {
        mss_bytes: MSS,
        data_acked_dsn: 1,
        meta_snd_wnd_bytes: 1 << 30,
        unsent_bytes: 100_000,
        peer_data_fin_on: None,
    }
}

/// New data: `len` bytes at `dsn`, carried by no subflow yet.
pub fn new_seg(dsn: u64, len: u64) -> SegView {
    SegView {
        dsn,
        len_bytes: len,
        ..SegView::default()
    }
}

/// A reinjected segment already carried by `sent_on`.
pub fn reinjected(dsn: u64, len: u64, sent_on: &[usize]) -> SegView {
    SegView {
        dsn,
        len_bytes: len,
        sent_on: sent_on.iter().fold(SubflowSet::EMPTY, |s, &id| s.with(id)),
        reinjection: true,
        data_fin: false,
    }
}
