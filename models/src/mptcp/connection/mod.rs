//! One MPTCP connection (RFC 8684) at one host: its subflows (TCP endpoints),
//! the data sequence space, the packet scheduler, congestion-control
//! coupling and the path manager, as one sans-IO state machine.
//!
//! Inputs: [`Connection::handle_segment`], [`Connection::handle_timeout`],
//! [`Connection::handle_iface`] and the application calls `write`, `read`,
//! `close`. Outputs: [`Connection::poll_transmit`] (segments with their
//! MPTCP options), [`Connection::poll_timeout`], [`Connection::poll_event`].
//!
//! This module holds the API, the inputs and outputs and their dispatch;
//! each job is a submodule of it (in the manner of quinn-proto's
//! `connection/`), as `impl Connection` blocks over the same state:
//! `handshake` (MP_CAPABLE, MP_JOIN), `dss` (mappings, data-ACK,
//! DATA_FIN), `close` (the orderly close: DATA_FIN announced, resent and
//! data-acknowledged, then every subflow closed with a FIN), `subflow` (the subflows and the policies' views of them),
//! `schedule` (driving the scheduler), `poll` (`poll_transmit`, and the
//! work a poll skips when nothing has changed since the last one), `pm`
//! (applying the path manager's actions), `plain` (plain-TCP mode) and
//! `events`.
//!
//! What happens where:
//! - MP_CAPABLE on the first subflow (RFC 8684 3.1): the client offers it on
//!   its SYN and repeats both keys on its ACKs until the server has sent a
//!   DSS (the connection is then fully established). (`handshake`)
//! - MP_JOIN for more subflows (3.2) with tokens and HMACs from
//!   `mptcp_crypto`, and the backup bit. (`handshake`)
//! - DSS (3.3) on every segment of an established MPTCP subflow: the
//!   data-ACK, and for payload the mapping from data sequence to subflow
//!   sequence. The connection-level receive window is advertised on every
//!   subflow (3.3.5). (`dss`)
//! - Reinjection as Linux: a subflow's data not yet data-acknowledged goes
//!   to the reinject queue when the subflow times out (`mptcp_reinject_data(sk, 1)`
//!   after an RTO; the subflow is then "potentially failed") or goes away
//!   (RST, interface down: `mptcp_reinject_data(sk, 0)`); the scheduler
//!   serves the reinject queue first. (`schedule`) That is the out-of-tree
//!   v0.95 stack ([`MetaRecovery::OutOfTree`]); with
//!   [`MetaRecovery::Upstream`] a subflow RTO reinjects nothing, and the
//!   MPTCP-level timer and stale subflows of `crate::mptcp::upstream_rtx`
//!   recover the data instead.
//! - The path manager decides which subflows exist and with which backup
//!   flag; its actions are applied by `pm` (MP_JOIN, MP_PRIO, zero window,
//!   RST, ADD_ADDR/REMOVE_ADDR).
//! - A subflow RST leaves the connection alive; a connection whose last
//!   subflow is gone waits `orphan_timeout` for a new one, then ends.
//! - Subflow numbers: each subflow gets the next number ([`Subflow::id`],
//!   never reused, as XNU's `mpts_connid`) and a slot below
//!   `scheduler::MAX_SUBFLOWS` (64) for the scheduler's path masks, its
//!   source port and `subflows()`, handed out as Linux v0.95 hands out
//!   path indices: a closed subflow's slot is reused once all 64 have been
//!   used, and with 64 live subflows no more are opened (a join SYN is
//!   reset). So an interface may flap for ever. (`subflow`)
//!
//! Simplified, and what a user could observe:
//! - No DSS checksum, no MP_FAIL/infinite-mapping fallback in the middle of
//!   a connection (middleboxes are not modelled); fallback to plain TCP
//!   happens only when the SYN carries no MP_CAPABLE.
//! - The data-ACK is carried on every segment and pure ACKs are the
//!   subflows' own (no separate data-level ACK timer).
//! - The opportunistic retransmission of Raiciu et al. resends the
//!   head-of-line data; the penalisation halves a slower subflow's window
//!   through the TCP endpoint's `penalise`.
//! - The limit on live subflows is Linux v0.95's 64 path indices (XNU
//!   allows 256, upstream Linux at most 8 by its `subflows_max`); a reused
//!   slot reuses its source port, so a peer that still holds the old
//!   subflow (its RST was lost) takes the new SYN for it.

use std::collections::VecDeque;

use rand::Rng;
use sim_core::{IfaceId, SimDuration, SimRng, SimTime};

use std::sync::Arc;

use crate::cc::{Coupling, LazyCoupling, SubflowCcView};
use crate::mptcp::data::{DataReceiver, DataSender};
use crate::mptcp::upstream_rtx;
use crate::mptcp_crypto;
use crate::path_manager::{
    self, EndpointChange, EndpointFlags, IfaceInfo, PathManager, PmAction, PmEvent, RemoteAddr, SenderChoice,
    SubflowHealth, SubflowId,
};
use crate::policy::{CcFactory, PathManagerFactory, SchedulerFactory};
use crate::scheduler::{
    self, ConnView, Decision, SegView, Sent, SentKind, SubflowSet, SubflowState, SubflowView, opportunistic,
};
use crate::segment::{
    AddrIds, DataAck, Dss, DssMapping, MpCapable, MpJoin, MptcpOption, MptcpVersion, Segment, TcpOptions,
};
use crate::tcp::{CloseReason, RecoveryPhase, TcpConfig, TcpEndpoint, TcpEvent, TcpState, Transmit};

pub use crate::path_manager::Role;

mod close;
mod dss;
mod events;
mod handshake;
mod plain;
mod pm;
mod poll;
mod sample;
mod schedule;
mod subflow;

pub use dss::{Dsn, Ssn};
use dss::{RxMaps, dss_option_bytes};
pub use events::{ConnEvent, ConnStats};
use handshake::Handshake;
use pm::pm_close_reason;
use subflow::NewSubflow;
pub use subflow::Subflow;

/// Everything that defines a connection's behaviour at one host.
#[derive(Clone, Debug)]
pub struct ConnConfig {
    /// Which end of the connection this host is.
    pub role: Role,
    /// The MPTCP version on the wire.
    pub version: MptcpVersion,
    /// Template for every subflow (MSS, timers, recovery); its buffers are
    /// replaced by the connection-level ones.
    pub tcp: TcpConfig,
    /// Builds each subflow's congestion control.
    pub cc: Arc<dyn CcFactory>,
    /// Builds the connection's packet scheduler.
    pub scheduler: Arc<dyn SchedulerFactory>,
    /// Builds the connection's path manager.
    pub path_manager: Arc<dyn PathManagerFactory>,
    /// Connection-level receive buffer, in bytes: the window advertised on
    /// every subflow is its free space (also each subflow's TCP buffer).
    pub rcv_buf_bytes: u64,
    /// Connection-level send buffer, in bytes: written bytes not yet
    /// data-acknowledged (also each subflow's TCP buffer).
    pub snd_buf_bytes: u64,
    /// Raiciu et al. opportunistic retransmission and penalisation.
    pub opportunistic_retransmission: bool,
    /// How long to wait for a new subflow once the last one is gone.
    pub orphan_timeout: SimDuration,
    /// The server's port.
    pub server_port: u16,
    /// The client's first subflow source port: the subflow in slot `k`
    /// ([`Subflow::slot`]) uses port `first_local_port + k`.
    pub first_local_port: u16,
    /// How data lost on a subflow is recovered at the MPTCP level: as the
    /// out-of-tree Linux v0.95 stack or as upstream Linux.
    pub meta_recovery: MetaRecovery,
    /// Report every hand-over to a subflow and every segment with a DSS as
    /// events ([`ConnEvent::Scheduled`], [`ConnEvent::SegmentSent`]), for
    /// sequence graphs and traces; off, the connection does not pay for them.
    pub report_segments: bool,
}

/// How the connection recovers data lost on a subflow (see
/// [`crate::mptcp::upstream_rtx`] for upstream's rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaRecovery {
    /// Linux out-of-tree v0.95: every subflow RTO with data not yet
    /// data-acknowledged reinjects all that subflow's data and marks it
    /// "potentially failed" until it makes progress
    /// (net/mptcp/mptcp_output.c `mptcp_sub_retransmit_timer`); the meta
    /// retransmission timer (twice the largest subflow RTO, backed off)
    /// resends one MSS of the head (`mptcp_meta_retransmit_timer`).
    OutOfTree,
    /// Upstream Linux (5.x, 6.x): a subflow RTO is TCP's business; the
    /// MPTCP-level timer resends the head on an idle subflow, and a subflow
    /// with more than `stale_loss_cnt` periods without progress becomes
    /// stale (net/mptcp/protocol.c `__mptcp_retrans`, pm.c
    /// `mptcp_pm_subflow_chk_stale`).
    Upstream {
        /// `net.mptcp.stale_loss_cnt` (Linux default 4; 0: never stale).
        stale_loss_cnt: u32,
    },
}

/// A local interface as the connection knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalIface {
    /// The interface's id.
    pub id: IfaceId,
    /// Its IPv4 address (the source address of its subflows).
    pub addr: u32,
    /// What the path manager is told about it.
    pub info: IfaceInfo,
    /// Whether it is up.
    pub up: bool,
    /// Its address is an MPTCP endpoint with these flags (Linux `ip mptcp
    /// endpoint`); only the in-kernel path manager reads it.
    pub endpoint: Option<EndpointFlags>,
}

/// One MPTCP connection at one host.
#[derive(Debug)]
pub struct Connection {
    cfg: ConnConfig,
    /// Read only when a subflow opens (its ISN, its MP_JOIN nonce): boxed,
    /// as its 300 bytes would otherwise sit between the fields each segment
    /// reads and spread them over more cache lines.
    rng: Box<SimRng>,
    mptcp: bool,
    local_key: u64,
    remote_key: Option<u64>,
    /// The peer knows our key (we saw a DSS or the MP_CAPABLE third ACK).
    fully_established: bool,
    tx: DataSender,
    rx: Option<DataReceiver>,
    /// The subflows holding a slot, indexed by slot (see
    /// `Connection::free_slot`).
    subflows: Vec<Subflow>,
    /// Closed subflows whose slot a later subflow took, in order.
    retired: Vec<Subflow>,
    /// The number the next subflow gets ([`Subflow::id`]).
    next_subflow_id: usize,
    /// Where the search for a free slot starts: after the last one taken.
    next_slot: usize,
    scheduler: Box<dyn scheduler::Scheduler>,
    pm: Box<dyn PathManager>,
    ifaces: Vec<LocalIface>,
    remote_addr: u32,
    events: VecDeque<ConnEvent>,
    /// MPTCP options from PM actions, for the next pure ACK.
    pending_opts: VecDeque<MptcpOption>,
    /// Segments ready to go out before anything else.
    out_queue: VecDeque<Segment>,
    orphan_deadline: Option<SimTime>,
    peer_fin_reported: bool,
    /// The orderly close (see `close`).
    close: close::CloseState,
    closed: bool,
    rr_start: usize,
    stats: ConnStats,
    views: Vec<SubflowView>,
    /// What the last polls established, for the next one to skip.
    poll: poll::PollState,
    cc_buf: Vec<SubflowCcView>,
    /// The connection-level retransmission timer (Linux v0.95 the meta
    /// socket's ICSK_TIME_RETRANS, mptcp_meta_retransmit_timer): when it
    /// fires, ...
    meta_rtx_at: Option<SimTime>,
    /// ... the data-ACK when it was armed (progress re-arms it), ...
    meta_rtx_una: u64,
    /// ... the meta RTO (with backoff) ...
    meta_rto: SimDuration,
    /// ... and how often it fired since the last progress
    /// (`icsk_retransmits`).
    meta_rtx_fired: u32,
}

/// A value far beyond any run, for "no limit".
const FAR: u64 = u64::MAX / 4;

impl Connection {
    fn new(cfg: ConnConfig, mut rng: SimRng, ifaces: Vec<LocalIface>, remote_addr: u32) -> Self {
        let local_key = rng.next_u64();
        let idsn = mptcp_crypto::idsn(local_key, cfg.version);
        let pm = cfg.path_manager.build(cfg.role);
        let scheduler = cfg.scheduler.build();
        let mut events = VecDeque::new();
        events.push_back(ConnEvent::Started { local_key });
        Connection {
            tx: DataSender::new(idsn, cfg.snd_buf_bytes),
            rx: None,
            mptcp: cfg.path_manager.offers_mptcp(),
            cfg,
            rng: Box::new(rng),
            local_key,
            remote_key: None,
            fully_established: false,
            subflows: Vec::new(),
            retired: Vec::new(),
            next_subflow_id: 0,
            next_slot: 0,
            scheduler,
            pm,
            ifaces,
            remote_addr,
            events,
            pending_opts: VecDeque::new(),
            out_queue: VecDeque::new(),
            orphan_deadline: None,
            peer_fin_reported: false,
            close: close::CloseState::default(),
            closed: false,
            rr_start: 0,
            stats: ConnStats::default(),
            views: Vec::new(),
            poll: poll::PollState::default(),
            cc_buf: Vec::new(),
            meta_rtx_at: None,
            meta_rtx_una: 0,
            meta_rto: SimDuration::ZERO,
            meta_rtx_fired: 0,
        }
    }

    /// The client side: tells the path manager about the interfaces that
    /// are up and asks it to connect to `server_addr`.
    pub fn client(now: SimTime, cfg: ConnConfig, rng: SimRng, ifaces: Vec<LocalIface>, server_addr: u32) -> Self {
        let mut c = Connection::new(cfg, rng, ifaces, server_addr);
        for i in c.ifaces.clone() {
            if let Some(flags) = i.endpoint {
                c.pm.handle_event(
                    now,
                    PmEvent::EndpointAdded {
                        iface: i.id,
                        addr: i.addr,
                        flags,
                    },
                );
            }
        }
        for i in c.ifaces.clone() {
            if i.up {
                c.pm.handle_event(
                    now,
                    PmEvent::InterfaceUp {
                        iface: i.id,
                        info: i.info,
                    },
                );
            }
        }
        c.pm.handle_event(
            now,
            PmEvent::ConnectRequested {
                remote_addr: server_addr,
            },
        );
        c.apply_pm_actions(now);
        c
    }

    /// The server side, from a SYN that opens a new connection.
    pub fn accept(now: SimTime, cfg: ConnConfig, rng: SimRng, local: LocalIface, syn: &Segment) -> Self {
        let mut c = Connection::new(cfg, rng, vec![local], syn.src_addr);
        if let Some(flags) = local.endpoint {
            c.pm.handle_event(
                now,
                PmEvent::EndpointAdded {
                    iface: local.id,
                    addr: local.addr,
                    flags,
                },
            );
        }
        c.pm.handle_event(
            now,
            PmEvent::InterfaceUp {
                iface: local.id,
                info: local.info,
            },
        );
        let offers = syn.options.mptcp.iter().any(|o| matches!(o, MptcpOption::MpCapable(_)));
        c.mptcp = offers && c.mptcp;
        if let Some(MptcpOption::MpCapable(m)) = syn
            .options
            .mptcp
            .iter()
            .find(|o| matches!(o, MptcpOption::MpCapable(_)))
            && let Some(k) = m.sender_key
        {
            // v0: the SYN carries the client's key (RFC 6824 3.1).
            c.set_remote_key(k);
        }
        let isn = c.rng.next_u32() as u64;
        let tcp = TcpEndpoint::accept(
            now,
            syn,
            isn,
            c.subflow_tcp_config(),
            c.cfg.cc.build(c.cfg.tcp.mss_bytes, c.cfg.tcp.initial_window_bytes()),
        );
        let handshake = if c.mptcp { Handshake::Capable } else { Handshake::Plain };
        if !c.mptcp {
            c.become_plain(isn, syn.seq);
        }
        let n = NewSubflow {
            tcp,
            iss: isn,
            iface: Some(local.id),
            addr_id: 0,
            backup_local: false,
            initial: true,
            handshake,
        };
        // The first subflow: slot 0 is free.
        let _ = c.push_subflow(now, n);
        c
    }

    /// Whether `seg` belongs to one of this connection's subflows.
    pub fn owns(&self, seg: &Segment) -> bool {
        self.subflows.iter().any(|s| {
            s.is_open()
                && s.tcp.local() == (seg.dst_addr, seg.dst_port)
                && s.tcp.remote() == (seg.src_addr, seg.src_port)
        })
    }

    /// Which end of the connection this host is.
    pub fn role(&self) -> Role {
        self.cfg.role
    }
    /// Whether MPTCP is in use: offered by the path manager and (server) by
    /// the client's SYN; `false` once the connection runs as plain TCP.
    pub fn is_mptcp(&self) -> bool {
        self.mptcp
    }
    /// The subflows holding a slot, indexed by slot: every subflow opened
    /// so far, closed ones included, until more than
    /// [`scheduler::MAX_SUBFLOWS`] have been opened; after that a new
    /// subflow takes the slot of a closed one (see [`Subflow::slot`]).
    pub fn subflows(&self) -> &[Subflow] {
        &self.subflows
    }
    /// Every subflow opened so far, closed ones included, in the order
    /// they were opened (by [`Subflow::id`]).
    pub fn all_subflows(&self) -> impl Iterator<Item = &Subflow> {
        let mut all: Vec<&Subflow> = self.retired.iter().chain(&self.subflows).collect();
        all.sort_by_key(|s| s.id);
        all.into_iter()
    }
    /// How many subflows have been opened so far.
    pub fn subflows_opened(&self) -> usize {
        self.next_subflow_id
    }
    /// The path manager's name for the subflow in slot `idx`: its number.
    pub(super) fn pm_id(&self, idx: usize) -> SubflowId {
        // A run would need 4 billion SYNs to wrap this.
        SubflowId(self.subflows[idx].id as u32)
    }
    /// The data-level send side.
    pub fn sender(&self) -> &DataSender {
        &self.tx
    }
    /// The data-level receive side; `None` until the peer's key (MPTCP) or
    /// its initial sequence number (plain TCP) is known.
    pub fn receiver(&self) -> Option<&DataReceiver> {
        self.rx.as_ref()
    }
    /// Connection-level counters.
    pub fn stats(&self) -> ConnStats {
        self.stats
    }
    /// Whether the connection is over ([`ConnEvent::Closed`] was reported).
    pub fn is_closed(&self) -> bool {
        self.closed
    }
    /// The next event, in order; `None` when there is none.
    pub fn poll_event(&mut self) -> Option<ConnEvent> {
        self.events.pop_front()
    }
    /// Whether [`Connection::poll_event`] has an event to give.
    #[inline]
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    // ------------------------------------------------------------------
    // Application side.

    /// Writes `len` bytes (lengths only); returns how many fit the send buffer.
    pub fn write(&mut self, len: u64) -> u64 {
        let n = self.tx.write(len);
        if n > 0 {
            self.mark_input();
        }
        n
    }
    /// Room in the send buffer.
    pub fn write_space(&self) -> u64 {
        self.tx.free_bytes()
    }
    /// Reads up to `max` in-order bytes.
    pub fn read(&mut self, max: u64) -> u64 {
        let n = self.rx.as_mut().map_or(0, |r| r.read(max));
        if n > 0 {
            self.mark_input();
        }
        n
    }
    /// Reads up to `max` in-order bytes: the data sequence numbers read
    /// (plain TCP: the subflow's sequence numbers), one in-order run at a
    /// time; `None` when nothing is readable. A delivery oracle checks
    /// that each range begins where the previous one ended.
    pub fn read_range(&mut self, max: u64) -> Option<std::ops::Range<u64>> {
        let r = self.rx.as_mut()?.read_range(max)?;
        self.mark_input();
        Some(r)
    }
    /// No more data will be written: a DATA_FIN follows the last byte.
    pub fn close(&mut self, now: SimTime) {
        self.mark_input();
        // The DATA_FIN (or, for plain TCP, the FIN) goes out after the last
        // byte has been handed to a subflow (see `schedule`).
        self.tx.close();
        self.pm.handle_event(now, PmEvent::ConnectionClosing);
    }

    /// Abort the whole connection at once (RFC 8684 3.5): MP_FASTCLOSE with
    /// the peer's key on one subflow's ACK, then a RST on every subflow.
    pub fn abort(&mut self, now: SimTime) {
        self.mark_input();
        if self.closed {
            return;
        }
        if self.mptcp
            && let Some(key) = self.remote_key
            && let Some(idx) = self.subflows.iter().position(|s| s.is_open() && s.fully_established)
        {
            self.pending_opts
                .push_front(MptcpOption::MpFastclose { receiver_key: key });
            self.subflows[idx].tcp.request_ack();
            if let Some(tx) = self.subflows[idx].tcp.poll_transmit(now) {
                let seg = self.decorate(now, idx, tx);
                self.out_queue.push_back(seg);
            }
        }
        for s in &mut self.subflows {
            if s.is_open() {
                s.tcp.abort();
            }
        }
        for idx in 0..self.subflows.len() {
            // Take the RSTs now, before the subflows are marked closed.
            while let Some(tx) = self.subflows[idx].tcp.poll_transmit(now) {
                self.out_queue.push_back(tx.seg);
            }
            self.drain_subflow(now, idx);
        }
        if !self.closed {
            self.closed = true;
            self.events.push_back(ConnEvent::Closed { timed_out: false });
        }
    }

    // ------------------------------------------------------------------
    // Inputs.

    /// A segment for one of this connection's subflows (or a join SYN the
    /// owner matched with [`Connection::accepts_join`]).
    pub fn handle_segment(&mut self, now: SimTime, seg: &Segment) {
        self.mark_input();
        if seg.flags.syn
            && !seg.flags.ack
            && !self.owns(seg)
            && seg.options.mptcp.iter().any(|o| matches!(o, MptcpOption::MpJoin(_)))
        {
            self.accept_join(now, seg);
            self.after_input(now);
            return;
        }
        let Some(idx) = self.subflows.iter().position(|s| {
            s.is_open()
                && s.tcp.local() == (seg.dst_addr, seg.dst_port)
                && s.tcp.remote() == (seg.src_addr, seg.src_port)
        }) else {
            return;
        };
        // Something arrived on the subflow (Linux `rcv_tstamp`): a stale
        // subflow is active again (mptcp_subflow_set_active).
        let sf = &mut self.subflows[idx];
        if sf.last_rx_at != Some(now) {
            sf.last_rx_at = Some(now);
            sf.stale.stale = false;
        }
        self.process_mptcp_options(now, idx, seg);
        // The coupled congestion controls' views of the subflows, built only
        // if the algorithm asks (`LazyCoupling`): ours as it is now, the
        // siblings' (which this input cannot change) when asked. Debug
        // builds take the eager snapshot too and compare.
        #[cfg(debug_assertions)]
        let eager = self.cc_views();
        let n = self.subflows.len();
        let (head, rest) = self.subflows.split_at_mut(idx);
        let (sf, tail) = rest.split_first_mut().expect("idx is a subflow");
        let own = cc_view_of(sf);
        let sibling = |i: usize| cc_view_of(if i < idx { &head[i] } else { &tail[i - idx - 1] });
        let mut coupling = LazyCoupling::deferred(idx, own, n, &sibling, &mut self.cc_buf);
        if sf.irs.is_none() && seg.flags.syn {
            sf.irs = Some(seg.seq);
        }
        let before = self.cfg.report_segments.then(|| (sf.tcp.cwnd_bytes(), sf.tcp.srtt()));
        sf.tcp.handle_segment_lazy(now, seg, &mut coupling);
        #[cfg(debug_assertions)]
        if coupling.is_built() {
            assert_eq!(
                *coupling.get().subflows,
                *eager,
                "the lazy views against the eager ones"
            );
        }
        self.report_window(idx, before);
        self.drain_subflow(now, idx);
        self.after_input(now);
    }

    /// Timers due at `now`.
    pub fn handle_timeout(&mut self, now: SimTime) {
        self.mark_input();
        for idx in 0..self.subflows.len() {
            if self.subflows[idx].is_open() && self.subflows[idx].tcp.poll_timeout().is_some_and(|t| t <= now) {
                let views = self.cc_views();
                let coupling = Coupling {
                    me: idx,
                    subflows: &views,
                };
                let tcp = &self.subflows[idx].tcp;
                let before = self.cfg.report_segments.then(|| (tcp.cwnd_bytes(), tcp.srtt()));
                self.subflows[idx].tcp.handle_timeout_coupled(now, &coupling);
                self.cc_buf = views;
                self.report_window(idx, before);
                self.drain_subflow(now, idx);
            }
        }
        for idx in 0..self.subflows.len() {
            self.join_ack_timer(now, idx);
        }
        self.data_fin_timer(now);
        if self.meta_rtx_at.is_some_and(|t| t <= now) {
            self.meta_retransmit_timer(now);
        }
        if self.pm.poll_timeout().is_some_and(|t| t <= now) {
            self.pm.handle_timeout(now);
        }
        if self.orphan_deadline.is_some_and(|t| t <= now) {
            self.orphan_deadline = None;
            if !self.closed {
                self.closed = true;
                self.events.push_back(ConnEvent::Closed { timed_out: true });
            }
        }
        self.after_input(now);
    }

    /// The third-ACK retransmission timer of a joining client's subflow
    /// (Linux v0.95 net/mptcp/mptcp_output.c mptcp_ack_retransmit_timer):
    /// while the subflow is not fully established (no ACK of the third ACK
    /// yet), resend the third ACK (a bare ACK, which carries MP_JOIN with
    /// the HMAC while not fully established, see `handshake_options`), and
    /// back off `icsk_rto = min(icsk_rto << 1, TCP_RTO_MAX)`; once
    /// `tcp_write_timeout` says the retries are spent, reset the subflow
    /// (`send_active_reset`; the socket closes with ETIMEDOUT).
    fn join_ack_timer(&mut self, now: SimTime, idx: usize) {
        let sf = &mut self.subflows[idx];
        let Some((at, tries)) = sf.join_ack_rtx else { return };
        if !sf.is_open() || sf.fully_established || sf.tcp.state() != TcpState::Established {
            sf.join_ack_rtx = None;
            return;
        }
        if at > now {
            return;
        }
        if tries >= self.cfg.tcp.max_rto_retries {
            sf.join_ack_rtx = None;
            sf.tcp.abort();
            self.on_subflow_closed(now, idx, CloseReason::Timeout);
            self.drain_subflow(now, idx);
            return;
        }
        sf.tcp.request_ack();
        let backoff = 1u64.checked_shl(tries + 1).unwrap_or(u64::MAX);
        let rto = sf
            .tcp
            .rto()
            .checked_mul(backoff)
            .unwrap_or(SimDuration::MAX)
            .min(self.cfg.tcp.rto_max);
        sf.join_ack_rtx = Some((now + rto, tries + 1));
    }

    /// The meta RTO: twice the largest RTO of the subflows that can send
    /// (Linux v0.95 include/net/mptcp.h mptcp_set_rto: `micsk->icsk_rto =
    /// max_rto << 1`; upstream net/mptcp/protocol.c mptcp_set_timeout takes
    /// the largest subflow RTO), the initial RTO when none can.
    fn meta_rto_base(&self) -> SimDuration {
        self.subflows
            .iter()
            .filter(|s| {
                s.is_open()
                    && s.fully_established
                    && matches!(s.tcp.state(), TcpState::Established | TcpState::CloseWait)
            })
            .map(|s| s.tcp.rto())
            .max()
            .map_or(self.cfg.tcp.rto_initial, |r| {
                r.checked_mul(2).unwrap_or(SimDuration::MAX)
            })
            .min(self.cfg.tcp.rto_max)
    }

    /// Arms, re-arms or stops the connection-level retransmission timer
    /// after data was handed out or data-acknowledged: stopped when
    /// nothing is outstanding, restarted from the current meta RTO on
    /// data-level progress (Linux v0.95 arms the meta socket's
    /// ICSK_TIME_RETRANS as TCP does, tcp_rearm_rto on an ACK of new data,
    /// tcp_event_new_data_sent when nothing was out; RFC 8684 3.3.6 lets
    /// the sender resend data-level unacknowledged data on any subflow).
    pub(super) fn update_meta_rtx(&mut self, now: SimTime) {
        let una = self.tx.snd_una();
        if !self.mptcp || una == self.tx.snd_nxt() {
            self.meta_rtx_at = None;
            self.meta_rtx_una = una;
            self.meta_rtx_fired = 0;
            return;
        }
        if una != self.meta_rtx_una || self.meta_rtx_at.is_none() {
            self.meta_rtx_una = una;
            self.meta_rtx_fired = 0;
            self.meta_rto = match self.cfg.meta_recovery {
                MetaRecovery::OutOfTree => self.meta_rto_base(),
                MetaRecovery::Upstream { .. } => self.upstream_timer_interval(now),
            };
            self.meta_rtx_at = Some(now + self.meta_rto);
        }
    }

    /// Whether `update_meta_rtx` would change nothing now (debug checks of
    /// the poll's skips).
    #[cfg(debug_assertions)]
    pub(super) fn meta_rtx_settled(&self) -> bool {
        let una = self.tx.snd_una();
        if !self.mptcp || una == self.tx.snd_nxt() {
            self.meta_rtx_at.is_none() && self.meta_rtx_una == una && self.meta_rtx_fired == 0
        } else {
            una == self.meta_rtx_una && self.meta_rtx_at.is_some()
        }
    }

    /// Upstream's timer interval (protocol.c `mptcp_timeout_from_subflow`,
    /// `__mptcp_set_timeout`): the longest time left on the retransmission
    /// timer of an active subflow that counts no stale period, 200 ms when
    /// none runs.
    fn upstream_timer_interval(&self, now: SimTime) -> SimDuration {
        let deadlines = self
            .subflows
            .iter()
            .filter(|s| self.upstream_active(s) && s.stale.count == 0)
            .filter_map(|s| s.tcp.timers().get(crate::tcp::Timer::Retransmit));
        upstream_rtx::timer_interval(now, deadlines)
    }

    /// protocol.h `__mptcp_subflow_active`: established or CLOSE-WAIT and,
    /// for an MP_JOIN, fully established (stale or not).
    fn upstream_active(&self, s: &Subflow) -> bool {
        s.is_open() && s.fully_established && matches!(s.tcp.state(), TcpState::Established | TcpState::CloseWait)
    }

    /// Upstream's MPTCP-level retransmission (protocol.c
    /// `mptcp_retransmit_timer` -> `__mptcp_retrans`): count a period
    /// without progress on every busy subflow (and mark one stale, queueing
    /// all data not yet data-acknowledged again), resend the head fragment
    /// on the subflow `mptcp_subflow_get_retrans` picks, re-arm.
    fn upstream_retransmit(&mut self, now: SimTime, stale_loss_cnt: u32) {
        let n = self.subflows.len();
        let mut views = Vec::with_capacity(n);
        for i in 0..n {
            let active = self.upstream_active(&self.subflows[i]);
            let tcp = &self.subflows[i].tcp;
            let busy = tcp.snd_nxt() > tcp.snd_una() || tcp.unsent_bytes() > 0;
            if active && busy {
                let last_rx = self.subflows[i].last_rx_at;
                if self.subflows[i].stale.count_period(last_rx) {
                    // pm.c mptcp_pm_subflows_chk_stale.
                    let others: Vec<u8> = (0..n)
                        .filter(|&j| j != i)
                        .filter(|&j| {
                            let o = &self.subflows[j];
                            self.upstream_active(o) && upstream_rtx::is_active(&o.stale, o.last_rx_at)
                        })
                        .map(|j| self.subflows[j].stale.count)
                        .collect();
                    if upstream_rtx::should_mark_stale(&self.subflows[i].stale, &others, stale_loss_cnt, busy) {
                        self.subflows[i].stale.stale = true;
                        // __mptcp_retransmit_pending_data: everything not yet
                        // data-acknowledged goes out again.
                        let all = self.tx.snd_nxt() - self.tx.snd_una();
                        let bytes = self.tx.requeue_head(all);
                        if bytes > 0 {
                            self.events.push_back(ConnEvent::Reinjected {
                                from_subflow: self.subflows[i].id,
                                bytes,
                            });
                        }
                    }
                }
            }
            let s = &self.subflows[i];
            views.push(upstream_rtx::RetransView {
                active,
                busy,
                backup: s.backup_local || s.backup_remote,
                stale_count: s.stale.count,
            });
        }
        let una = self.tx.snd_una();
        if let Some(i) = upstream_rtx::pick_retrans(&views)
            && una < self.tx.snd_nxt()
        {
            let len = (self.tx.snd_nxt() - una)
                .min(upstream_rtx::HEAD_FRAGMENT_BYTES)
                .min(self.subflows[i].tcp.send_space());
            if len > 0 {
                self.tx.record_on(i, una..una + len);
                self.subflows[i].tcp.send_mapped(len, una);
                self.stats.meta_retransmitted_bytes += len;
                self.report_sent(
                    now,
                    Sent {
                        subflow: i,
                        dsn: una,
                        len_bytes: len,
                        kind: SentKind::MetaRetransmission,
                    },
                );
            }
        }
        self.meta_rtx_fired += 1;
        self.meta_rto = self.upstream_timer_interval(now);
        self.meta_rtx_at = Some(now + self.meta_rto);
    }

    /// The connection-level retransmission timer fired: the data-ACK has
    /// not moved for a meta RTO. The head of the data not yet
    /// data-acknowledged (one MSS) goes to the reinject queue, so the
    /// scheduler sends it again on a subflow that has not carried it if
    /// there is one (Linux v0.95 net/mptcp/mptcp_output.c
    /// mptcp_meta_retransmit_timer -> mptcp_retransmit_skb on the subflow
    /// `get_subflow(meta_sk, skb, false)` picks; upstream
    /// net/mptcp/protocol.c mptcp_retransmit_timer -> __mptcp_retrans of
    /// mptcp_rtx_head). It keeps running with a closed window (v0.95:
    /// "Receiver dastardly shrinks window. Our retransmits become zero
    /// probes"), backing off `icsk_rto = min(icsk_rto << 1, TCP_RTO_MAX)`.
    /// No subflow is marked failed by it. (v0.95 also gives up on the
    /// connection after tcp_write_timeout; here the subflows' own timeouts
    /// end a dead connection.)
    fn meta_retransmit_timer(&mut self, now: SimTime) {
        if let MetaRecovery::Upstream { stale_loss_cnt } = self.cfg.meta_recovery {
            self.upstream_retransmit(now, stale_loss_cnt);
            return;
        }
        self.tx.requeue_head(u64::from(self.cfg.tcp.mss_bytes));
        self.meta_rtx_fired += 1;
        self.meta_rto = self
            .meta_rto
            .checked_mul(2)
            .unwrap_or(SimDuration::MAX)
            .min(self.cfg.tcp.rto_max);
        self.meta_rtx_at = Some(now + self.meta_rto);
    }

    /// A local interface went up or down (client side).
    pub fn handle_iface(&mut self, now: SimTime, addr: u32, up: bool) {
        self.mark_input();
        let Some(pos) = self.ifaces.iter().position(|i| i.addr == addr) else {
            return;
        };
        self.ifaces[pos].up = up;
        let iface = self.ifaces[pos];
        if up {
            self.pm.handle_event(
                now,
                PmEvent::InterfaceUp {
                    iface: iface.id,
                    info: iface.info,
                },
            );
        } else {
            self.pm.handle_event(now, PmEvent::InterfaceDown { iface: iface.id });
        }
        self.after_input(now);
    }

    fn process_mptcp_options(&mut self, now: SimTime, idx: usize, seg: &Segment) {
        if !self.mptcp {
            return;
        }
        let mut got_dss = false;
        for opt in seg.options.mptcp.iter() {
            match *opt {
                MptcpOption::MpCapable(m) => {
                    // RFC 8684 3.1: the SYN/ACK carries the server's key (the
                    // client learns it); the third ACK carries the client's
                    // key first and echoes the server's (the server learns).
                    if let Some(k) = m.sender_key {
                        self.set_remote_key(k);
                    }
                    if self.cfg.role == Role::Server && !seg.flags.syn && m.receiver_key.is_some() {
                        self.set_fully_established(now);
                    }
                }
                MptcpOption::MpJoin(j) => self.on_join_option(idx, j),
                MptcpOption::Dss(d) => {
                    got_dss = true;
                    self.on_dss(idx, seg, &d);
                }
                MptcpOption::MpPrio { backup } => {
                    // RFC 8684 3.3.8: applies to the subflow it arrives on.
                    self.subflows[idx].backup_remote = backup;
                }
                MptcpOption::AddAddr {
                    addr_id,
                    addr,
                    port,
                    echo,
                    ..
                } if !echo => {
                    let remote = RemoteAddr {
                        id: addr_id,
                        addr,
                        port,
                    };
                    self.pm.handle_event(now, PmEvent::AddressAnnounced { remote });
                }
                MptcpOption::RemoveAddr { addr_ids } => {
                    for &id in addr_ids.as_slice() {
                        self.pm.handle_event(now, PmEvent::AddressRemoved { id });
                    }
                }
                MptcpOption::MpFastclose { receiver_key } if receiver_key == self.local_key => self.on_mp_fastclose(),
                _ => {}
            }
        }
        if got_dss {
            // A DSS from the peer means it has our key (RFC 8684 3.1).
            self.set_fully_established(now);
            let sf = &mut self.subflows[idx];
            if sf.tcp.state() == TcpState::Established {
                sf.fully_established = true;
                sf.join_ack_rtx = None;
            }
        }
    }

    /// RFC 8684 3.5: the peer aborted; answer with RSTs. Cold and out of
    /// line, as is a subflow's connection below: inlined, they would
    /// spread the per-packet path over more instruction-cache lines.
    #[cold]
    #[inline(never)]
    fn on_mp_fastclose(&mut self) {
        for s in &mut self.subflows {
            if s.is_open() {
                s.tcp.abort();
            }
        }
        self.orphan_deadline = None;
        if !self.closed {
            self.closed = true;
            self.events.push_back(ConnEvent::Closed { timed_out: false });
        }
    }

    /// The peer has shown it holds our key (RFC 8684 3.1): tell the path
    /// manager once (Linux net/mptcp/pm.c `mptcp_pm_fully_established`).
    fn set_fully_established(&mut self, now: SimTime) {
        if !self.fully_established {
            self.fully_established = true;
            self.pm.handle_event(now, PmEvent::ConnectionFullyEstablished);
        }
    }

    /// A change to the endpoint of the local address `addr` (Linux `ip
    /// mptcp endpoint add/delete/change`, as a connection manager such as
    /// mptcpd makes it), for the path manager.
    pub fn handle_endpoint(&mut self, now: SimTime, addr: u32, change: EndpointChange) {
        self.mark_input();
        let Some(pos) = self.ifaces.iter().position(|i| i.addr == addr) else {
            return;
        };
        let iface = self.ifaces[pos].id;
        let event = match change {
            EndpointChange::Add(flags) => PmEvent::EndpointAdded { iface, addr, flags },
            EndpointChange::Remove => PmEvent::EndpointRemoved { iface },
            EndpointChange::Flags { backup, fullmesh } => PmEvent::EndpointChanged {
                iface,
                backup,
                fullmesh,
            },
        };
        self.pm.handle_event(now, event);
        self.after_input(now);
    }

    /// Apple's Symptoms framework changed its Wi-Fi advisory (XNU
    /// mptcp_subr.c `mptcp_symptoms_ctl_send` -> `mptcp_wifi_status_changed`,
    /// which the host calls only when the status differs): `wifi_ok` is
    /// `SYMPTOMS_ADVISORY_WIFI_OK`, else `_BAD`. Only the iOS path managers
    /// read it.
    pub fn handle_wifi_advisory(&mut self, now: SimTime, wifi_ok: bool) {
        self.mark_input();
        self.pm.handle_event(now, PmEvent::WifiAdvisory { wifi_ok });
        self.after_input(now);
    }

    /// Reports subflow `idx`'s window and RTT if they changed from
    /// `before` (taken only when the connection reports segments).
    fn report_window(&mut self, idx: usize, before: Option<(u64, Option<SimDuration>)>) {
        let Some(before) = before else { return };
        let tcp = &self.subflows[idx].tcp;
        let now = (tcp.cwnd_bytes(), tcp.srtt());
        if now != before {
            self.events.push_back(ConnEvent::SubflowWindow {
                subflow: self.subflows[idx].id,
                cwnd_bytes: now.0,
                srtt: now.1,
            });
        }
    }

    /// Takes what a subflow received and what happened to it.
    fn drain_subflow(&mut self, now: SimTime, idx: usize) {
        // In-order subflow bytes -> data sequence space. One read without
        // a limit takes them all (the subflow's in-order bytes are one run,
        // from its read pointer to RCV.NXT), and delivering them to the
        // data level adds none, so a second read would find nothing (debug
        // builds check).
        if let Some((seq, len)) = self.subflows[idx].tcp.recv(u64::MAX) {
            self.deliver_subflow_bytes(idx, seq, len);
            debug_assert_eq!(
                self.subflows[idx].tcp.readable_bytes(),
                0,
                "in-order bytes left after one read"
            );
        }
        while let Some(ev) = self.subflows[idx].tcp.poll_event() {
            match ev {
                TcpEvent::Connected => self.on_subflow_connected(now, idx),
                TcpEvent::Rto { backoff } => {
                    // Linux mptcp_sub_retransmit_timer: reinject and mark pf.
                    // Only when the subflow carries data not yet data-acknowledged
                    // (after an RTO nothing counts as in flight any more).
                    // Upstream leaves a subflow's RTO to TCP (see upstream_rtx).
                    let outstanding = self.tx.outstanding_on(idx);
                    let sf = &mut self.subflows[idx];
                    if self.mptcp
                        && self.cfg.meta_recovery == MetaRecovery::OutOfTree
                        && outstanding > 0
                        && matches!(sf.tcp.state(), TcpState::Established | TcpState::CloseWait)
                    {
                        sf.pf = true;
                        let n = self.tx.reinject_from(idx);
                        if n > 0 {
                            self.events.push_back(ConnEvent::Reinjected {
                                from_subflow: sf.id,
                                bytes: n,
                            });
                        }
                    }
                    let _ = backoff;
                    self.report_health(now, idx);
                }
                TcpEvent::Closed { reason } => self.on_subflow_closed(now, idx, reason),
                TcpEvent::PeerFin if !self.mptcp => self.plain_peer_fin(),
                _ => {}
            }
        }
        if !self.mptcp {
            self.plain_data_ack(idx);
        }
        // An ACK of new data ends "potentially failed" (Linux clears
        // `tp->pf` when the subflow makes progress again), so the scheduler
        // may use the subflow as soon as it works, not only after its RTO
        // recovery has ended.
        let sf = &mut self.subflows[idx];
        let una = sf.tcp.snd_una();
        if una > sf.last_una {
            sf.last_una = una;
            sf.pf = false;
        }
    }

    #[cold]
    #[inline(never)]
    fn on_subflow_connected(&mut self, now: SimTime, idx: usize) {
        let mptcp = self.mptcp;
        let sf = &mut self.subflows[idx];
        sf.established_at = Some(now);
        if sf.irs.is_none() {
            sf.irs = Some(sf.tcp.rcv_nxt() - 1);
        }
        if !mptcp {
            sf.fully_established = true;
            let irs = sf.irs.unwrap_or(0);
            if self.rx.is_none() {
                self.rx = Some(DataReceiver::new(irs, self.cfg.rcv_buf_bytes));
            }
        }
        match self.subflows[idx].handshake {
            Handshake::Capable => {
                // The client's first subflow may send as soon as it has sent
                // the third ACK; the server once it has the client's key.
                if self.cfg.role == Role::Client || self.remote_key.is_some() {
                    self.subflows[idx].fully_established = true;
                }
                // The peer's window: until its first DSS, assume its initial receive window.
                let wnd = self.subflows[idx].tcp.peer_window_bytes();
                let una = self.tx.snd_una();
                self.tx.on_data_ack(una, wnd);
            }
            Handshake::Join { .. } if self.cfg.role == Role::Client => {
                // RFC 8684 3.2: the joining host sends no data before the
                // peer's ACK of its third ACK, so the third ACK must get
                // through: Linux v0.95 net/mptcp/mptcp_input.c
                // mptcp_rcv_synsent_state_process arms mptcp_ack_timer
                // `jiffies + icsk->icsk_rto` after sending it (upstream
                // net/mptcp/protocol.c schedule_3rdack_retransmission).
                let sf = &mut self.subflows[idx];
                if !sf.fully_established {
                    sf.join_ack_rtx = Some((now + sf.tcp.rto(), 0));
                }
            }
            Handshake::Join { .. } | Handshake::Plain => {}
        }
        let sf = &self.subflows[idx];
        let initial = sf.initial;
        let iface = sf.iface.unwrap_or(IfaceId(0));
        let backup = sf.backup_local || sf.backup_remote;
        if initial {
            self.events.push_back(ConnEvent::Established);
            self.pm.handle_event(
                now,
                PmEvent::ConnectionEstablished {
                    subflow: self.pm_id(idx),
                    iface,
                    remote_addr: self.remote_addr,
                    mptcp,
                },
            );
        } else {
            // The peer's address: the server for a client; for a server the
            // client address and the address id its MP_JOIN announced.
            let sf = &self.subflows[idx];
            let remote = match self.cfg.role {
                Role::Client => RemoteAddr::initial(self.remote_addr),
                Role::Server => RemoteAddr {
                    id: sf.addr_id,
                    addr: sf.tcp.remote().0,
                    port: None,
                },
            };
            self.pm.handle_event(
                now,
                PmEvent::SubflowEstablished {
                    subflow: self.pm_id(idx),
                    iface,
                    remote,
                    backup,
                    initiated_locally: self.cfg.role == Role::Client,
                },
            );
        }
        self.subflows[idx].reported_established = true;
        let id = self.subflows[idx].id;
        self.events.push_back(ConnEvent::SubflowEstablished { subflow: id });
    }

    fn on_subflow_closed(&mut self, now: SimTime, idx: usize, reason: CloseReason) {
        if self.subflows[idx].closed_at.is_some() {
            return;
        }
        // Linux mptcp_reinject_data(sk, 0): what it carried goes to the others.
        if self.mptcp {
            let n = self.tx.reinject_from(idx);
            if n > 0 {
                self.events.push_back(ConnEvent::Reinjected {
                    from_subflow: self.subflows[idx].id,
                    bytes: n,
                });
            }
            self.tx.forget_subflow(idx);
        }
        self.scheduler.on_subflow_closed(idx);
        let sf = &mut self.subflows[idx];
        sf.closed_at = Some(now);
        sf.close_reason = Some(reason);
        let iface = sf.iface.unwrap_or(IfaceId(0));
        let id = sf.id;
        self.events.push_back(ConnEvent::SubflowClosed { subflow: id, reason });
        self.pm.handle_event(
            now,
            PmEvent::SubflowClosed {
                subflow: SubflowId(id as u32),
                iface,
                remote_addr: self.remote_addr,
                reason: pm_close_reason(reason),
            },
        );
        if !self.subflows.iter().any(Subflow::is_open) && !self.closed {
            if self.tx.all_acked() && self.rx.as_ref().is_some_and(DataReceiver::fin_received) || !self.mptcp {
                self.closed = true;
                self.events.push_back(ConnEvent::Closed {
                    timed_out: reason == CloseReason::Timeout,
                });
            } else {
                // RFC 8684 3.3.3 leaves this to the implementation: wait for a new subflow.
                self.orphan_deadline = Some(now + self.cfg.orphan_timeout);
            }
        }
    }

    // ------------------------------------------------------------------
    // Outputs.

    /// The earliest timer of any subflow, the path manager, or the orphan wait.
    pub fn poll_timeout(&self) -> Option<SimTime> {
        // The subflows' armed timers; a subflow mid-burst may owe its loss
        // probe timer a re-arm (`tcp/probe_timer.rs`), then its
        // `poll_timeout` counts it: asked only then, out of the loop (a call
        // there cost every subflow its registers).
        let mut t = SimTime::earliest(self.pm.poll_timeout(), self.orphan_deadline);
        t = SimTime::earliest(t, self.meta_rtx_at);
        t = SimTime::earliest(t, self.close.data_fin_rtx.map(|(at, _)| at));
        let mut owed = false;
        for s in &self.subflows {
            if s.is_open() {
                t = SimTime::earliest(t, s.tcp.timers().earliest());
                owed |= s.tcp.owes_loss_probe();
                if !s.fully_established {
                    t = SimTime::earliest(t, s.join_ack_rtx.map(|(at, _)| at));
                }
            }
        }
        if owed {
            return self.poll_timeout_owed();
        }
        t
    }

    /// `poll_timeout` when a subflow owes its probe timer a re-arm.
    #[cold]
    #[inline(never)]
    fn poll_timeout_owed(&self) -> Option<SimTime> {
        let mut t = SimTime::earliest(self.pm.poll_timeout(), self.orphan_deadline);
        t = SimTime::earliest(t, self.meta_rtx_at);
        t = SimTime::earliest(t, self.close.data_fin_rtx.map(|(at, _)| at));
        for s in &self.subflows {
            if s.is_open() {
                t = SimTime::earliest(t, s.tcp.poll_timeout());
                if !s.fully_established {
                    t = SimTime::earliest(t, s.join_ack_rtx.map(|(at, _)| at));
                }
            }
        }
        t
    }
}

/// One subflow as its siblings' coupled congestion control sees it: the TCP
/// endpoint's view, usable only while the subflow is open and not
/// potentially failed (as `Connection::cc_views`, which debug builds
/// compare with it).
fn cc_view_of(s: &Subflow) -> SubflowCcView {
    let mut v = s.tcp.cc_view();
    v.usable = v.usable && s.is_open() && !s.pf;
    v
}

#[cfg(test)]
mod tests;
