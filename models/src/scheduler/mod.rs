//! Packet schedulers: the [`Scheduler`] trait and one scheduler per file.
//!
//! A scheduler answers the two questions the Linux out-of-tree MPTCP stack
//! (multipath-tcp/mptcp v0.95, `struct mptcp_sched_ops`) asks of it:
//! - which subflow carries the next new data, or none yet
//!   ([`Scheduler::next_for_new_data`]; Linux `next_segment` on the meta send
//!   head, `mptcp_sched.c mptcp_next_segment`);
//! - where a segment from the reinject queue (data presumed lost on a
//!   subflow that timed out or went away, `mptcp_output.c
//!   mptcp_reinject_data`) goes ([`Scheduler::reinject_target`]; Linux
//!   `next_segment` serving `mpcb->reinject_queue` first, `mptcp_sched.c
//!   __mptcp_next_segment`).
//!
//! Inputs are plain copies: one [`SubflowView`] per subflow, a [`ConnView`]
//! of the connection and a [`SegView`] of the data to place. A scheduler
//! never holds a pointer into the connection, so a test is a few values and
//! one call. No decision allocates: sets of subflows are [`SubflowSet`]
//! bitmasks (Linux `path_mask`), per-subflow state lives in fixed arrays of
//! [`MAX_SUBFLOWS`] slots indexed by [`SubflowView::id`].
//!
//! One implementation per file:
//! - [`burst`]: upstream Linux's default (5.x, 6.x: lowest linger time,
//!   bursts of 64 KiB, backups only when no other subflow is active);
//! - [`min_rtt`]: the Linux out-of-tree default (`default`, lowest RTT first, backup
//!   handling, cwnd-full waiting);
//! - [`round_robin`]: `mptcp_rr.c` (`num_segments` = 1, `cwnd_limited` = 1);
//! - [`redundant`]: `mptcp_redundant.c` (v0.95, Frömmgen/Erbshäußer): every
//!   segment on every active subflow;
//! - [`blest`]: `mptcp_blest.c` (Ferlin et al., IFIP Networking 2016);
//! - [`ecf`]: `mptcp_ecf.c` (Lim et al., CoNEXT 2017);
//! - [`opportunistic`]: the receive-buffer optimisation of Raiciu et al.
//!   (NSDI 2012), opportunistic retransmission and penalisation
//!   (`mptcp_sched.c mptcp_rcv_buf_optimization`), as a pure function whose
//!   result the connection applies.
//!
//! # How the connection drives a scheduler
//!
//! On every send opportunity (after an ACK, a timer, an application write),
//! loop until the answer is [`Decision::Wait`] or nothing is left:
//! 1. Reinject queue first (Linux `__mptcp_next_segment`): while the queue
//!    has data not yet data-acknowledged, call [`Scheduler::reinject_target`]
//!    with a [`SegView`] of its head (`reinjection: true`, `sent_on` = the
//!    subflows that already carried those bytes).
//! 2. Otherwise, if unsent data exists, call [`Scheduler::next_for_new_data`]
//!    with a [`SegView`] of the meta send head (`dsn` = the next new DSN,
//!    `len_bytes` = what the connection would hand over at once, at most what
//!    the application wrote; `sent_on` empty).
//!    - If the answer names a subflow but the bytes do not fit in the peer's
//!      connection-level window, do not send them. If
//!      [`Scheduler::uses_rcv_buf_optimization`] (and the scenario's switch)
//!      is on, call [`opportunistic::rcv_buf_optimization`] with that subflow
//!      and [`opportunistic::Trigger::MetaWindowBlocked`], apply its
//!      [`opportunistic::RcvBufAction`] and report it with
//!      [`Scheduler::on_rcv_buf_optimization`] (Linux `mptcp_next_segment`).
//!    - With no unsent data while the application waits for send-buffer
//!      space, the same call with
//!      [`opportunistic::Trigger::SendBufferLimited`] and a zero-length
//!      [`SegView`] at the next DSN (Linux `__mptcp_next_segment`).
//! 3. Act on the [`Decision`]:
//!    - [`Decision::Send`]: hand up to `max_bytes` of the segment to that
//!      subflow's send queue (as a DSS mapping), add the subflow to the
//!      bytes' `path_mask`.
//!    - [`Decision::SendOn`]: hand the same `max_bytes` to every subflow in
//!      the set, in ascending id order; each copy is a separate mapping of
//!      the same DSNs on its subflow, and every subflow joins the bytes'
//!      `path_mask`. The connection's data-level bookkeeping advances once.
//!    - [`Decision::Resend`]: hand `[dsn, dsn + max_bytes)` (already sent on
//!      another subflow, not yet data-acknowledged) to that subflow: a
//!      meta-level retransmission (Linux `*reinject = -1`). The new data
//!      stays where it is and is offered again on the next call.
//!    - [`Decision::Wait`]: stop until the next event.
//! 4. After each hand-over, [`Scheduler::on_sent`] with what was handed to
//!    which subflow, and of what kind ([`SentKind`]).
//! 5. When a subflow is gone for good, [`Scheduler::on_subflow_closed`], so a
//!    reused slot starts clean.
//!
//! The order of the `subflows` slice is the order Linux walks its subflow
//! list (`mptcp_for_each_sub`) and decides every tie ("the first subflow"
//! below is the first in the slice). Linux prepends each new subflow to the
//! list (v0.9x `mptcp_ctrl.c mptcp_add_sock`: `tp->mptcp->next =
//! mpcb->connection_list`), so its walk runs newest subflow first; a
//! connection that wants Linux's tie-breaks passes the subflows newest first.
//! Whatever the order, it must be stable from call to call (round-robin and
//! redundant walk it).
//!
//! # Simplified, and what a user could observe
//! - Windows are in bytes; where Linux counts packets, `cwnd` in segments is
//!   `cwnd_bytes / mss_bytes` (rounded down) and packets in flight are
//!   `bytes_in_flight / mss_bytes` rounded up.
//! - Linux's `ca_state` is reduced to two flags: `in_loss_recovery` (RTO
//!   recovery, `TCP_CA_Loss`) and `in_fast_recovery` (`TCP_CA_Recovery`);
//!   Disorder and CWR count as Open. A subflow in RTO recovery is always
//!   unavailable (Linux with SACK; without SACK Linux lets it send once
//!   `snd_una == high_seq`, which the connection can express by clearing the
//!   flag).
//! - A segment is a byte range, not an skb: Linux's skb boundaries (and the
//!   NIC's GSO segment limit in the split) do not exist here; `max_bytes` is
//!   the most the connection may hand over, it may hand less.
//! - When every subflow already carried a reinjected segment, Linux clears
//!   the skb's `path_mask` and retries (`get_available_subflow`); here the
//!   retry uses an empty mask internally, and the connection keeps its mask.

use std::fmt;

use sim_core::{SimDuration, SimTime};

pub mod blest;
pub mod burst;
pub mod ecf;
pub mod min_rtt;
pub mod opportunistic;
pub mod redundant;
pub mod round_robin;

pub use blest::{Blest, BlestConfig};
pub use burst::{Burst, BurstConfig};
pub use ecf::{Ecf, EcfConfig, EcfDelta};
pub use min_rtt::{MinRtt, MinRttConfig};
pub use redundant::{Redundant, RedundantConfig};
pub use round_robin::{RoundRobin, RoundRobinConfig};

/// Subflow ids are bit positions in a [`SubflowSet`]: `0..MAX_SUBFLOWS`.
/// Linux has 32 (`path_index` in a `u32` `path_mask`).
pub const MAX_SUBFLOWS: usize = 64;

/// A set of subflow ids as a bitmask (Linux `path_mask`, one bit per path).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SubflowSet(u64);

impl SubflowSet {
    /// The empty set.
    pub const EMPTY: SubflowSet = SubflowSet(0);

    /// The set whose bit `i` stands for subflow `i`.
    pub const fn from_bits(bits: u64) -> Self {
        SubflowSet(bits)
    }
    /// The bitmask: bit `i` is set when subflow `i` is in the set.
    pub const fn bits(self) -> u64 {
        self.0
    }
    /// The set holding `id` only. Panics if `id >= MAX_SUBFLOWS`.
    pub fn single(id: usize) -> Self {
        SubflowSet::EMPTY.with(id)
    }
    /// This set plus `id`. Panics if `id >= MAX_SUBFLOWS`: the connection
    /// must number its subflows below [`MAX_SUBFLOWS`].
    pub fn with(self, id: usize) -> Self {
        assert!(
            id < MAX_SUBFLOWS,
            "subflow id {id} is not below MAX_SUBFLOWS ({MAX_SUBFLOWS})"
        );
        SubflowSet(self.0 | 1 << id)
    }
    /// Adds `id`. Panics if `id >= MAX_SUBFLOWS`.
    pub fn insert(&mut self, id: usize) {
        *self = self.with(id);
    }
    /// Removes `id` (nothing happens if it is absent or out of range).
    pub fn remove(&mut self, id: usize) {
        if id < MAX_SUBFLOWS {
            self.0 &= !(1 << id);
        }
    }
    /// Whether `id` is in the set.
    pub fn contains(self, id: usize) -> bool {
        id < MAX_SUBFLOWS && (self.0 >> id) & 1 == 1
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The number of ids in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// Ids in ascending order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let id = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some(id)
        })
    }
}

/// Where a subflow is in its life, as far as sending data goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SubflowState {
    /// Handshake not complete (SYN-SENT, SYN-RECEIVED).
    #[default]
    Connecting,
    /// An MP_JOIN subflow whose handshake completed locally but whose third
    /// ACK the peer has not acknowledged yet (RFC 8684 3.2; Linux
    /// `tp->mptcp->pre_established`): no data yet.
    PreEstablished,
    /// Handshake complete and (MPTCP) fully established: data may go.
    Established,
    /// The peer sent its FIN; we may still send (Linux `mptcp_sk_can_send`
    /// accepts `TCP_CLOSE_WAIT`).
    CloseWait,
    /// We sent our FIN or are resetting (FIN-WAIT, CLOSING, LAST-ACK,
    /// TIME-WAIT): no new data.
    Closing,
    /// Closed (ended, reset or aborted).
    Closed,
}

/// A read-only copy of one subflow's state, taken just before the call.
///
/// `Default` is an unusable subflow (connecting, no window), so a caller
/// can write `SubflowView { id, state, srtt, cwnd_bytes, .. Default::default() }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubflowView {
    /// The subflow's number in its connection (the connection's
    /// `mptcp::data::SubflowIdx`), `< MAX_SUBFLOWS`; its bit in path masks.
    pub id: usize,
    /// Where the subflow is in its life.
    pub state: SubflowState,
    /// Linux `tp->pf`, "potentially failed": set when an RTO fired and the
    /// subflow's data was reinjected (`mptcp_output.c
    /// mptcp_sub_retransmit_timer`), cleared by the next ACK of new data.
    pub potentially_failed: bool,
    /// Either side set the backup flag (MP_JOIN B bit or MP_PRIO; Linux
    /// `low_prio || rcv_low_prio`, `mptcp_sched.c subflow_is_backup`).
    pub backup: bool,
    /// Smoothed RTT (RFC 6298 SRTT); `None` before the first sample. Linux
    /// compares the raw `srtt_us`, which is 0 then, so such a subflow looks
    /// fastest ([`SubflowView::srtt_key`]).
    pub srtt: Option<SimDuration>,
    /// RFC 6298 RTTVAR (ECF's delta).
    pub rttvar: SimDuration,
    /// The subflow's MSS (Linux `mss_cache` / `tcp_current_mss`).
    pub mss_bytes: u32,
    /// Congestion window in bytes.
    pub cwnd_bytes: u64,
    /// `u64::MAX` while infinite (initial slow start, as `crate::cc`).
    pub ssthresh_bytes: u64,
    /// `cwnd < ssthresh` (Linux `tcp_in_slow_start`): the penalisation keeps
    /// `ssthresh` of a subflow in slow start.
    pub in_slow_start: bool,
    /// Bytes sent and not yet acknowledged or presumed lost (Linux
    /// `tcp_packets_in_flight`, RFC 6675 pipe).
    pub bytes_in_flight: u64,
    /// Bytes handed to the subflow but not yet sent (Linux `write_seq -
    /// snd_nxt`).
    pub queued_bytes: u64,
    /// The subflow-level peer window left for new bytes (Linux
    /// `tcp_wnd_end - write_seq`); limits a split.
    pub snd_wnd_bytes: u64,
    /// In RTO recovery (Linux `icsk_ca_state == TCP_CA_Loss`).
    pub in_loss_recovery: bool,
    /// In fast recovery (Linux `TCP_CA_Recovery`). Needed because the
    /// penalisation only touches subflows in `TCP_CA_Open`.
    pub in_fast_recovery: bool,
    /// `Some(dsn)` while the initial subflow is not yet fully established
    /// (the peer has not acknowledged MP_CAPABLE with a DSS) and has already
    /// sent its second packet: only data starting at `dsn` may go on it
    /// ("make sure that we send in-order data", `mptcp_sched.c
    /// mptcp_is_temp_unavailable`). `None` otherwise.
    pub in_order_dsn: Option<u64>,
    /// When this subflow last halved the window of a slower sibling (Linux
    /// `defsched_priv.last_rbuf_opti`, set to the subflow's creation time by
    /// `defsched_init`). Only [`opportunistic`] reads it; the connection sets
    /// it to `now` when an action's `penalise` set is not empty.
    pub last_penalty_at: SimTime,
}

impl Default for SubflowView {
    fn default() -> Self {
        SubflowView {
            id: 0,
            state: SubflowState::Connecting,
            potentially_failed: false,
            backup: false,
            srtt: None,
            rttvar: SimDuration::ZERO,
            mss_bytes: 1460,
            cwnd_bytes: 0,
            ssthresh_bytes: u64::MAX,
            in_slow_start: true,
            bytes_in_flight: 0,
            queued_bytes: 0,
            snd_wnd_bytes: 0,
            in_loss_recovery: false,
            in_fast_recovery: false,
            in_order_dsn: None,
            last_penalty_at: SimTime::ZERO,
        }
    }
}

impl SubflowView {
    /// The MSS as a divisor (never 0).
    pub fn mss(&self) -> u64 {
        u64::from(self.mss_bytes.max(1))
    }
    /// Congestion window in whole segments (Linux `snd_cwnd`).
    pub fn cwnd_segs(&self) -> u64 {
        self.cwnd_bytes / self.mss()
    }
    /// Packets in flight (Linux `tcp_packets_in_flight`), rounded up.
    pub fn in_flight_segs(&self) -> u64 {
        self.bytes_in_flight.div_ceil(self.mss())
    }
    /// The value RTT comparisons use: SRTT in nanoseconds, 0 before the
    /// first sample (Linux `srtt_us` starts at 0).
    pub fn srtt_key(&self) -> u64 {
        self.srtt.map_or(0, SimDuration::as_nanos)
    }
    /// Linux `mptcp_sk_can_send` (ESTABLISHED or CLOSE_WAIT) and not
    /// `pre_established`.
    pub fn can_send(&self) -> bool {
        matches!(self.state, SubflowState::Established | SubflowState::CloseWait)
    }
    /// `ca_state == TCP_CA_Open`.
    pub fn is_open(&self) -> bool {
        !self.in_loss_recovery && !self.in_fast_recovery
    }
    /// `mptcp_sched.c mptcp_is_def_unavailable`: not in a sending state,
    /// pre-established, or potentially failed.
    pub fn def_unavailable(&self) -> bool {
        !self.can_send() || self.potentially_failed
    }
    /// Bytes of cwnd not taken by packets in flight (`(snd_cwnd -
    /// in_flight) * mss`), `None` when not even one packet fits.
    pub fn cwnd_room_bytes(&self) -> Option<u64> {
        let (cwnd, in_flight) = (self.cwnd_segs(), self.in_flight_segs());
        (in_flight < cwnd).then(|| (cwnd - in_flight) * self.mss())
    }
    /// The two conditions of `mptcp_is_temp_unavailable` that do not look at
    /// the window: RTO recovery, and the in-order rule before full
    /// establishment for data starting at `dsn`.
    pub fn blocked_by_state(&self, dsn: u64) -> bool {
        // mptcp_sched.c mptcp_is_temp_unavailable: TCP_CA_Loss.
        if self.in_loss_recovery {
            return true;
        }
        // mptcp_sched.c mptcp_is_temp_unavailable: !fully_established &&
        // second_packet && last_end_data_seq != skb seq.
        self.in_order_dsn.is_some_and(|want| want != dsn)
    }
    /// `mptcp_sched.c mptcp_is_temp_unavailable` (zero-window test off, as
    /// every `next_segment` call has it) for data starting at `dsn`.
    pub fn temp_unavailable(&self, dsn: u64) -> bool {
        self.blocked_by_state(dsn) || self.window_full()
    }
    /// The two conditions of `mptcp_is_temp_unavailable` that look at the
    /// window: no free spot in the cwnd, or the bytes already queued on the
    /// subflow fill what is free. Reads only `mss_bytes`, `cwnd_bytes`,
    /// `bytes_in_flight` and `queued_bytes`.
    pub fn window_full(&self) -> bool {
        match self.cwnd_room_bytes() {
            // mptcp_sched.c mptcp_is_temp_unavailable: "Not even a single
            // spot in the cwnd".
            None => true,
            // mptcp_is_temp_unavailable: "check if what is queued in the
            // subflow's send-queue already fills the cwnd": write_seq -
            // snd_nxt >= space.
            Some(space) => self.queued_bytes >= space,
        }
    }
    /// `mptcp_sched.c mptcp_is_available`.
    pub fn available(&self, dsn: u64) -> bool {
        !self.def_unavailable() && !self.temp_unavailable(dsn)
    }
}

/// The connection as a scheduler sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnView {
    /// The connection-level MSS (Linux meta `mss_cache`).
    pub mss_bytes: u32,
    /// Lowest DSN not yet data-acknowledged (Linux meta `snd_una`).
    pub data_acked_dsn: u64,
    /// The peer's connection-level receive window as last advertised,
    /// counted from the data-ACK (Linux meta `snd_wnd`). Not reduced by data
    /// in flight: BLEST subtracts what it needs itself.
    pub meta_snd_wnd_bytes: u64,
    /// Bytes the application wrote that no subflow carried yet (ECF's `k`).
    pub unsent_bytes: u64,
    /// Once the peer's DATA_FIN arrived: the subflow it came on (Linux
    /// `RCV_SHUTDOWN` and `mpcb->dfin_path_index`).
    pub peer_data_fin_on: Option<usize>,
}

/// The data to place: the meta send head or the head of the reinject queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegView {
    /// Data sequence number of the first byte.
    pub dsn: u64,
    /// Length in bytes.
    pub len_bytes: u64,
    /// Subflows that already carried these bytes (Linux `path_mask`).
    pub sent_on: SubflowSet,
    /// From the reinject queue.
    pub reinjection: bool,
    /// The segment carries the DATA_FIN (Linux `mptcp_is_data_fin`).
    pub data_fin: bool,
}

/// A scheduler's answer. See the module documentation for how the
/// connection acts on each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Hand up to `max_bytes` of the segment to `subflow`.
    Send {
        /// The subflow.
        subflow: usize,
        /// The most bytes to hand it.
        max_bytes: u64,
    },
    /// Hand the same first `max_bytes` of the segment to every subflow in
    /// the set (redundant scheduling).
    SendOn {
        /// The subflows.
        subflows: SubflowSet,
        /// The most bytes to hand each.
        max_bytes: u64,
    },
    /// A meta-level retransmission: hand `[dsn, dsn + max_bytes)`, already
    /// sent on another subflow and not yet data-acknowledged, to `subflow`;
    /// the offered segment waits.
    Resend {
        /// The subflow.
        subflow: usize,
        /// Data sequence number of the first byte to resend.
        dsn: u64,
        /// The most bytes to resend.
        max_bytes: u64,
    },
    /// Nothing now: wait for the next event.
    Wait,
}

/// What kind of hand-over [`Sent`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SentKind {
    /// New data from the meta send head ([`Decision::Send`] or
    /// [`Decision::SendOn`] after [`Scheduler::next_for_new_data`]).
    NewData,
    /// From the reinject queue (after [`Scheduler::reinject_target`]).
    Reinjection,
    /// A meta-level retransmission: [`Decision::Resend`], or the
    /// opportunistic retransmission of the head-of-line segment.
    MetaRetransmission,
}

/// Bytes handed to one subflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// The subflow the bytes went to.
    pub subflow: usize,
    /// Data sequence number of the first byte.
    pub dsn: u64,
    /// Number of bytes.
    pub len_bytes: u64,
    /// New data, reinjection or meta-level retransmission.
    pub kind: SentKind,
}

/// A packet scheduler. See the module documentation.
pub trait Scheduler: fmt::Debug + Send {
    /// The scenario spelling of the scheduler, e.g. `"min-rtt"`.
    fn name(&self) -> &'static str;
    /// Which subflow carries the new data `seg` (the meta send head).
    fn next_for_new_data(&mut self, now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView)
    -> Decision;
    /// Which subflow carries `seg`, the head of the reinject queue. Served
    /// before new data.
    fn reinject_target(&mut self, now: SimTime, conn: &ConnView, subflows: &[SubflowView], seg: &SegView) -> Decision;
    /// Bytes were handed to a subflow.
    fn on_sent(&mut self, now: SimTime, sent: &Sent) {
        let _ = (now, sent);
    }
    /// The connection ran and applied [`opportunistic::rcv_buf_optimization`].
    fn on_rcv_buf_optimization(&mut self, now: SimTime, action: &opportunistic::RcvBufAction) {
        let _ = (now, action);
    }
    /// Subflow `id` is gone; its slot may be reused.
    fn on_subflow_closed(&mut self, id: usize) {
        let _ = id;
    }
    /// Whether this scheduler's Linux module runs the receive-buffer
    /// optimisation (opportunistic retransmission and penalisation) when new
    /// data is blocked by the connection-level window.
    fn uses_rcv_buf_optimization(&self) -> bool {
        false
    }
    /// Whether [`Scheduler::next_for_new_data`] and
    /// [`Scheduler::reinject_target`] have no side effects and answer
    /// [`Decision::Wait`] whenever no subflow is
    /// [`SubflowView::available`] for the segment. The connection then
    /// does not ask (nor build the views) while no subflow can take data.
    /// `false` (always ask) unless a scheduler vouches for it.
    fn waits_when_none_available(&self) -> bool {
        false
    }
    /// How many congestion windows of data a subflow may hold, in flight
    /// and queued, before the connection stops handing it more: 1 for the
    /// out-of-tree schedulers (Linux v0.95 hands a subflow only what its
    /// window takes, `mptcp_is_temp_unavailable`), more for upstream's,
    /// which fills the subflow's send buffer ([`burst::SNDBUF_CWNDS`]).
    fn subflow_queue_cwnds(&self) -> u64 {
        1
    }
}

/// Index in `subflows` of the subflow with this id.
pub(crate) fn position(subflows: &[SubflowView], id: usize) -> Option<usize> {
    subflows.iter().position(|s| s.id == id)
}

/// "Answer data_fin on same subflow": once the peer's DATA_FIN arrived, our
/// DATA_FIN goes on the subflow it came on if that one can take it
/// (`mptcp_sched.c get_available_subflow`, and the same block in
/// `mptcp_rr.c`, `mptcp_blest.c`, `mptcp_ecf.c`, `mptcp_redundant.c`).
pub(crate) fn data_fin_subflow(
    conn: &ConnView,
    subflows: &[SubflowView],
    seg: &SegView,
    available: impl Fn(&SubflowView) -> bool,
) -> Option<usize> {
    let id = conn.peer_data_fin_on.filter(|_| seg.data_fin)?;
    position(subflows, id).filter(|&i| available(&subflows[i]))
}

/// Index of the subflow with the lowest SRTT among those in a sending state
/// (strict `<`, so the first wins a tie): `minsk` of `mptcp_blest.c
/// blest_get_available_subflow` and `mptcp_ecf.c ecf_get_available_subflow`,
/// which skip only `!mptcp_sk_can_send` and `pre_established` subflows (a
/// backup, potentially failed or cwnd-full subflow can be the fastest).
pub(crate) fn fastest(subflows: &[SubflowView]) -> Option<usize> {
    let mut best: Option<(usize, u64)> = None;
    for (i, sf) in subflows.iter().enumerate() {
        if !sf.can_send() {
            continue;
        }
        if best.is_none_or(|(_, min)| sf.srtt_key() < min) {
            best = Some((i, sf.srtt_key()));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
pub(crate) mod test_util {
    pub use crate::testing::*;
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn subflow_set_lists_its_ids_in_ascending_order() {
        let s = SubflowSet::EMPTY.with(5).with(0).with(63);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 5, 63]);
        assert_eq!(s.len(), 3);
        assert!(s.contains(63) && !s.contains(1) && !s.contains(64));
        let mut t = s;
        t.remove(5);
        assert_eq!(t.bits(), 1 | 1 << 63);
    }

    #[test]
    #[should_panic(expected = "not below MAX_SUBFLOWS")]
    fn subflow_ids_beyond_the_mask_are_a_broken_invariant() {
        let _ = SubflowSet::single(MAX_SUBFLOWS);
    }

    #[test]
    fn every_builtin_factory_builds_its_scheduler() {
        use crate::policy::SchedulerFactory;
        let factories: [(&dyn SchedulerFactory, &str); 5] = [
            (&MinRttConfig {}, "min-rtt"),
            (&RoundRobinConfig::default(), "round-robin"),
            (&RedundantConfig {}, "redundant"),
            (&BlestConfig::default(), "blest"),
            (&EcfConfig {}, "ecf"),
        ];
        for (f, name) in factories {
            assert_eq!(f.build().name(), name);
        }
    }

    #[test]
    fn window_arithmetic_counts_whole_segments_and_rounds_flight_up() {
        // cwnd 10_500 B / 1000 = 10 segments; 2_001 B in flight = 3 packets;
        // room = (10 - 3) * 1000 = 7000 B.
        let s = SubflowView {
            cwnd_bytes: 10_500,
            bytes_in_flight: 2_001,
            ..sf(0, 10)
        };
        assert_eq!((s.cwnd_segs(), s.in_flight_segs()), (10, 3));
        assert_eq!(s.cwnd_room_bytes(), Some(7_000));
        // Queued 6_999 < 7_000: still available; 7_000 >= 7_000: full.
        assert!(s.available(1));
        assert!(
            !SubflowView {
                queued_bytes: 7_000,
                ..s
            }
            .available(1)
        );
    }

    #[test]
    fn only_established_and_close_wait_subflows_can_send() {
        use SubflowState::*;
        for (state, can) in [
            (Connecting, false),
            (PreEstablished, false),
            (Established, true),
            (CloseWait, true),
            (Closing, false),
            (Closed, false),
        ] {
            assert_eq!(SubflowView { state, ..sf(0, 10) }.can_send(), can, "{state:?}");
        }
    }

    #[test]
    fn the_fastest_subflow_ignores_backup_and_failure_flags_but_not_the_state() {
        let subflows = [
            SubflowView {
                state: SubflowState::PreEstablished,
                ..sf(0, 1)
            },
            backup(full(sf(1, 5))),
            sf(2, 5),
        ];
        // id 0 cannot send; ids 1 and 2 tie at 5 ms: the first (index 1) wins.
        assert_eq!(fastest(&subflows), Some(1));
    }
}
