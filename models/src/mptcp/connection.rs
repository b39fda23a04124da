//! One MPTCP connection (RFC 8684) at one host: its subflows (TCP endpoints),
//! the data sequence space, the packet scheduler, congestion-control
//! coupling and the path manager, as one sans-IO state machine.
//!
//! Inputs: [`Connection::handle_segment`], [`Connection::handle_timeout`],
//! [`Connection::handle_iface`] and the application calls `write`, `read`,
//! `close`. Outputs: [`Connection::poll_transmit`] (segments with their
//! MPTCP options), [`Connection::poll_timeout`], [`Connection::poll_event`].
//!
//! What happens where:
//! - MP_CAPABLE on the first subflow (RFC 8684 3.1): the client offers it on
//!   its SYN and repeats both keys on its ACKs until the server has sent a
//!   DSS (the connection is then fully established).
//! - MP_JOIN for more subflows (3.2) with tokens and HMACs from
//!   `mptcp_crypto`, and the backup bit.
//! - DSS (3.3) on every segment of an established MPTCP subflow: the
//!   data-ACK, and for payload the mapping from data sequence to subflow
//!   sequence. The connection-level receive window is advertised on every
//!   subflow (3.3.5).
//! - Reinjection as Linux: a subflow's data not yet data-acknowledged goes
//!   to the reinject queue when the subflow times out (`mptcp_reinject_data(sk, 1)`
//!   after an RTO; the subflow is then "potentially failed") or goes away
//!   (RST, interface down: `mptcp_reinject_data(sk, 0)`); the scheduler
//!   serves the reinject queue first.
//! - The path manager decides which subflows exist and with which backup
//!   flag; its actions are applied here (MP_JOIN, MP_PRIO, zero window, RST,
//!   ADD_ADDR/REMOVE_ADDR).
//! - A subflow RST leaves the connection alive; a connection whose last
//!   subflow is gone waits `orphan_timeout` for a new one, then ends.
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

use std::collections::VecDeque;

use rand::Rng;
use sim_core::{IfaceId, SimDuration, SimRng, SimTime};

use std::sync::Arc;

use crate::cc::{Coupling, SubflowCcView};
use crate::mptcp::data::{DataReceiver, DataSender};
use crate::mptcp_crypto;
use crate::path_manager::{
    self, IfaceInfo, PathManager, PmAction, PmEvent, RemoteAddr, SenderChoice, SubflowHealth, SubflowId,
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

/// Everything that defines a connection's behaviour at one host.
#[derive(Clone, Debug)]
pub struct ConnConfig {
    pub role: Role,
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
    pub rcv_buf_bytes: u64,
    pub snd_buf_bytes: u64,
    /// Raiciu et al. opportunistic retransmission and penalisation.
    pub opportunistic_retransmission: bool,
    /// How long to wait for a new subflow once the last one is gone.
    pub orphan_timeout: SimDuration,
    /// The server's port.
    pub server_port: u16,
    /// The client's first subflow source port; each new subflow takes the next.
    pub first_local_port: u16,
}

/// A local interface as the connection knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalIface {
    pub id: IfaceId,
    pub addr: u32,
    pub info: IfaceInfo,
    pub up: bool,
}

/// Where a subflow is in the MPTCP handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handshake {
    /// Plain TCP: no MPTCP options at all.
    Plain,
    /// The initial subflow: MP_CAPABLE.
    Capable,
    /// An additional subflow: MP_JOIN with our nonce and, once known, the peer's.
    Join {
        local_nonce: u32,
        peer_nonce: Option<u32>,
        verified: bool,
    },
}

/// What a new subflow starts with.
struct NewSubflow {
    tcp: TcpEndpoint,
    iss: u64,
    iface: Option<IfaceId>,
    addr_id: u8,
    backup_local: bool,
    initial: bool,
    handshake: Handshake,
}

/// One subflow of the connection.
#[derive(Debug)]
pub struct Subflow {
    pub tcp: TcpEndpoint,
    pub id: usize,
    /// The local interface (client) or the peer's address id (server).
    pub iface: Option<IfaceId>,
    pub addr_id: u8,
    /// We asked the peer not to send on it (our B bit / MP_PRIO).
    pub backup_local: bool,
    /// The peer asked us not to send on it.
    pub backup_remote: bool,
    pub initial: bool,
    handshake: Handshake,
    /// Data sequence mappings received: subflow seq (absolute) -> (dsn, len).
    rx_maps: RxMaps,
    /// Our initial subflow sequence number (DSS subflow sequence numbers
    /// are relative to it, RFC 8684 3.3.1).
    iss: u64,
    /// The peer's initial subflow sequence number.
    irs: Option<u64>,
    /// An MP_PRIO to send on the next segment.
    pending_prio: Option<bool>,
    /// "Potentially failed": an RTO reinjected its data (Linux `tp->pf`).
    pf: bool,
    /// The subflow's snd_una when last seen, to notice progress.
    last_una: u64,
    pub opened_at: SimTime,
    pub established_at: Option<SimTime>,
    pub closed_at: Option<SimTime>,
    pub close_reason: Option<CloseReason>,
    /// The peer's first packet after our third ACK arrived (MP_JOIN
    /// subflows may carry data only then, RFC 8684 3.2).
    fully_established: bool,
    last_penalty_at: SimTime,
    reported_established: bool,
}

impl Subflow {
    /// Our initial subflow sequence number.
    pub fn iss(&self) -> u64 {
        self.iss
    }
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
    /// Whether the scheduler may hand this subflow data
    /// ([`SubflowView::available`]): the view `scheduler_views` builds,
    /// reduced to the fields `available` reads (its `in_order_dsn` is
    /// always `None` there, so the DSN does not matter).
    fn available_to_scheduler(&self) -> bool {
        let tcp = &self.tcp;
        SubflowView {
            state: self.view_state(),
            potentially_failed: self.pf,
            mss_bytes: tcp.smss_bytes(),
            cwnd_bytes: tcp.cwnd_bytes(),
            bytes_in_flight: tcp.bytes_in_flight(),
            queued_bytes: tcp.unsent_bytes(),
            in_loss_recovery: tcp.recovery_phase() == RecoveryPhase::Loss,
            in_order_dsn: None,
            ..SubflowView::default()
        }
        .available(0)
    }
    fn view_state(&self) -> SubflowState {
        if self.closed_at.is_some() {
            return SubflowState::Closed;
        }
        match self.tcp.state() {
            TcpState::SynSent | TcpState::SynReceived => SubflowState::Connecting,
            TcpState::Established if !self.fully_established => SubflowState::PreEstablished,
            TcpState::Established => SubflowState::Established,
            TcpState::CloseWait => SubflowState::CloseWait,
            TcpState::Closed => SubflowState::Closed,
            _ => SubflowState::Closing,
        }
    }
}

/// What the connection reports to its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnEvent {
    /// The connection exists (the first event of every connection):
    /// `local_key` is its MPTCP key (RFC 8684 3.1), from which its token
    /// and initial data sequence number derive. Lets an observer relate
    /// what it sees on the wire to the connection (a trace writer that
    /// re-encodes another MPTCP version needs the key of a v1 SYN, which
    /// carries none).
    Started {
        local_key: u64,
    },
    /// The first subflow's handshake completed.
    Established,
    /// A subflow was created (its SYN is about to go, or its peer's SYN
    /// arrived), between these local and remote (address, port) pairs.
    SubflowOpened {
        subflow: usize,
        local: (u32, u16),
        remote: (u32, u16),
    },
    SubflowEstablished {
        subflow: usize,
    },
    SubflowClosed {
        subflow: usize,
        reason: CloseReason,
    },
    /// Bytes were queued for reinjection from a subflow (they are sent
    /// only if another subflow can carry them before they are data-acked).
    Reinjected {
        from_subflow: usize,
        bytes: u64,
    },
    /// The peer's DATA_FIN arrived in order: all its data was received.
    PeerClosed,
    /// The connection is over (both DATA_FINs acknowledged, or it gave up).
    Closed {
        timed_out: bool,
    },
}

/// Connection-level counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnStats {
    /// Bytes sent again on another subflow from the reinject queue.
    pub reinjected_bytes: u64,
    pub meta_retransmitted_bytes: u64,
    pub penalisations: u64,
}

/// One MPTCP connection at one host.
#[derive(Debug)]
pub struct Connection {
    cfg: ConnConfig,
    rng: SimRng,
    mptcp: bool,
    local_key: u64,
    remote_key: Option<u64>,
    /// The peer knows our key (we saw a DSS or the MP_CAPABLE third ACK).
    fully_established: bool,
    tx: DataSender,
    rx: Option<DataReceiver>,
    subflows: Vec<Subflow>,
    scheduler: Box<dyn scheduler::Scheduler>,
    pm: Box<dyn PathManager>,
    ifaces: Vec<LocalIface>,
    remote_addr: u32,
    next_port: u16,
    next_addr_id: u8,
    events: VecDeque<ConnEvent>,
    /// MPTCP options from PM actions, for the next pure ACK.
    pending_opts: VecDeque<MptcpOption>,
    /// Segments ready to go out before anything else.
    out_queue: VecDeque<Segment>,
    orphan_deadline: Option<SimTime>,
    peer_fin_reported: bool,
    closed: bool,
    rr_start: usize,
    stats: ConnStats,
    views: Vec<SubflowView>,
    cc_buf: Vec<SubflowCcView>,
}

/// A value far beyond any run, for "no limit".
const FAR: u64 = u64::MAX / 4;

impl Connection {
    fn new(cfg: ConnConfig, mut rng: SimRng, ifaces: Vec<LocalIface>, remote_addr: u32) -> Self {
        let local_key = rng.next_u64();
        let idsn = mptcp_crypto::idsn(local_key, cfg.version);
        let pm = cfg.path_manager.build(cfg.role);
        let scheduler = cfg.scheduler.build();
        let first_port = cfg.first_local_port;
        let mut events = VecDeque::new();
        events.push_back(ConnEvent::Started { local_key });
        Connection {
            tx: DataSender::new(idsn, cfg.snd_buf_bytes),
            rx: None,
            mptcp: cfg.path_manager.offers_mptcp(),
            cfg,
            rng,
            local_key,
            remote_key: None,
            fully_established: false,
            subflows: Vec::new(),
            scheduler,
            pm,
            ifaces,
            remote_addr,
            next_port: first_port,
            next_addr_id: 1,
            events,
            pending_opts: VecDeque::new(),
            out_queue: VecDeque::new(),
            orphan_deadline: None,
            peer_fin_reported: false,
            closed: false,
            rr_start: 0,
            stats: ConnStats::default(),
            views: Vec::new(),
            cc_buf: Vec::new(),
        }
    }

    /// The client side: tells the path manager about the interfaces that
    /// are up and asks it to connect to `server_addr`.
    pub fn client(now: SimTime, cfg: ConnConfig, rng: SimRng, ifaces: Vec<LocalIface>, server_addr: u32) -> Self {
        let mut c = Connection::new(cfg, rng, ifaces, server_addr);
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
        c.push_subflow(now, n);
        c
    }

    /// Whether a SYN with MP_JOIN names this connection's token.
    pub fn accepts_join(&self, syn: &Segment) -> bool {
        if !(self.mptcp && self.pm.accepts_joins()) {
            return false;
        }
        let token = mptcp_crypto::token(self.local_key, self.cfg.version);
        syn.options
            .mptcp
            .iter()
            .any(|o| matches!(o, MptcpOption::MpJoin(MpJoin::Syn { token: t, .. }) if *t == token))
    }

    /// Whether `seg` belongs to one of this connection's subflows.
    pub fn owns(&self, seg: &Segment) -> bool {
        self.subflows.iter().any(|s| {
            s.is_open()
                && s.tcp.local() == (seg.dst_addr, seg.dst_port)
                && s.tcp.remote() == (seg.src_addr, seg.src_port)
        })
    }

    /// Plain TCP (no MP_CAPABLE): the data sequence space is the subflow's
    /// own sequence space, so data-ACKs are TCP ACKs.
    fn become_plain(&mut self, iss: u64, irs: u64) {
        let written = self.tx.write_end() - self.tx.snd_una();
        let closing = self.tx.data_fin().is_some();
        self.tx = DataSender::new(iss, self.cfg.snd_buf_bytes);
        self.tx.write(written);
        if closing {
            self.tx.close();
        }
        self.tx.on_data_ack(iss + 1, FAR);
        if irs != 0 {
            self.rx = Some(DataReceiver::new(irs, self.cfg.rcv_buf_bytes));
        }
    }

    fn set_remote_key(&mut self, key: u64) {
        if self.remote_key.is_none() {
            self.remote_key = Some(key);
            let idsn = mptcp_crypto::idsn(key, self.cfg.version);
            self.rx = Some(DataReceiver::new(idsn, self.cfg.rcv_buf_bytes));
        }
    }

    fn subflow_tcp_config(&self) -> TcpConfig {
        let mut t = self.cfg.tcp.clone();
        // The connection-level buffers hold the data; a subflow hands what
        // it receives up at once and queues at most what the scheduler gave it.
        t.rcv_buf_bytes = self.cfg.rcv_buf_bytes;
        t.snd_buf_bytes = self.cfg.snd_buf_bytes;
        if self.mptcp {
            let (data, ack) = dss_option_bytes(self.cfg.version);
            t.reserved_option_bytes_data = data;
            t.reserved_option_bytes_ack = ack;
        }
        t
    }

    fn push_subflow(&mut self, now: SimTime, n: NewSubflow) -> usize {
        let NewSubflow {
            tcp,
            iss,
            iface,
            addr_id,
            backup_local,
            initial,
            handshake,
        } = n;
        let id = self.subflows.len();
        assert!(id < scheduler::MAX_SUBFLOWS, "too many subflows in one connection");
        self.subflows.push(Subflow {
            tcp,
            id,
            iface,
            addr_id,
            backup_local,
            backup_remote: false,
            initial,
            handshake,
            rx_maps: RxMaps::default(),
            iss,
            irs: None,
            pending_prio: None,
            pf: false,
            last_una: 0,
            opened_at: now,
            established_at: None,
            closed_at: None,
            close_reason: None,
            fully_established: false,
            last_penalty_at: now,
            reported_established: false,
        });
        self.orphan_deadline = None;
        let (local, remote) = (self.subflows[id].tcp.local(), self.subflows[id].tcp.remote());
        self.events.push_back(ConnEvent::SubflowOpened {
            subflow: id,
            local,
            remote,
        });
        id
    }

    fn open_subflow(&mut self, now: SimTime, iface: IfaceId, remote: u32, backup: bool, initial: bool, mptcp: bool) {
        let Some(local) = self.ifaces.iter().find(|i| i.id == iface && i.up).copied() else {
            return;
        };
        let port = self.next_port;
        self.next_port = self.next_port.wrapping_add(1).max(1024);
        let isn = self.rng.next_u32() as u64;
        self.mptcp = self.mptcp && mptcp;
        let handshake = if !self.mptcp {
            Handshake::Plain
        } else if initial {
            Handshake::Capable
        } else {
            Handshake::Join {
                local_nonce: self.rng.next_u32(),
                peer_nonce: None,
                verified: false,
            }
        };
        let addr_id = if initial {
            0
        } else {
            let a = self.next_addr_id;
            self.next_addr_id = self.next_addr_id.wrapping_add(1);
            a
        };
        let tcp = TcpEndpoint::connect(
            now,
            (local.addr, port),
            (remote, self.cfg.server_port),
            isn,
            self.subflow_tcp_config(),
            self.cfg
                .cc
                .build(self.cfg.tcp.mss_bytes, self.cfg.tcp.initial_window_bytes()),
        );
        if !self.mptcp {
            self.become_plain(isn, 0);
        }
        let n = NewSubflow {
            tcp,
            iss: isn,
            iface: Some(iface),
            addr_id,
            backup_local: backup,
            initial,
            handshake,
        };
        self.push_subflow(now, n);
    }

    /// An additional subflow from a received MP_JOIN SYN (server side).
    pub fn accept_join(&mut self, now: SimTime, syn: &Segment) {
        let Some(MptcpOption::MpJoin(MpJoin::Syn {
            backup, addr_id, nonce, ..
        })) = syn
            .options
            .mptcp
            .iter()
            .find(|o| matches!(o, MptcpOption::MpJoin(_)))
            .copied()
        else {
            return;
        };
        let isn = self.rng.next_u32() as u64;
        let tcp = TcpEndpoint::accept(
            now,
            syn,
            isn,
            self.subflow_tcp_config(),
            self.cfg
                .cc
                .build(self.cfg.tcp.mss_bytes, self.cfg.tcp.initial_window_bytes()),
        );
        let local_nonce = self.rng.next_u32();
        let iface = self.ifaces.first().map(|i| i.id);
        let n = NewSubflow {
            tcp,
            iss: isn,
            iface,
            addr_id,
            backup_local: false,
            initial: false,
            handshake: Handshake::Join {
                local_nonce,
                peer_nonce: Some(nonce),
                verified: false,
            },
        };
        let id = self.push_subflow(now, n);
        // RFC 8684 3.2: the B bit asks us not to send on this subflow.
        self.subflows[id].backup_remote = backup;
    }

    pub fn role(&self) -> Role {
        self.cfg.role
    }
    pub fn is_mptcp(&self) -> bool {
        self.mptcp
    }
    pub fn subflows(&self) -> &[Subflow] {
        &self.subflows
    }
    pub fn sender(&self) -> &DataSender {
        &self.tx
    }
    pub fn receiver(&self) -> Option<&DataReceiver> {
        self.rx.as_ref()
    }
    pub fn stats(&self) -> ConnStats {
        self.stats
    }
    pub fn is_closed(&self) -> bool {
        self.closed
    }
    pub fn poll_event(&mut self) -> Option<ConnEvent> {
        self.events.pop_front()
    }

    // ------------------------------------------------------------------
    // Application side.

    /// Writes `len` bytes (lengths only); returns how many fit the send buffer.
    pub fn write(&mut self, len: u64) -> u64 {
        self.tx.write(len)
    }
    /// Room in the send buffer.
    pub fn write_space(&self) -> u64 {
        self.tx.free_bytes()
    }
    /// Reads up to `max` in-order bytes.
    pub fn read(&mut self, max: u64) -> u64 {
        self.rx.as_mut().map_or(0, |r| r.read(max))
    }
    /// No more data will be written: a DATA_FIN follows the last byte.
    pub fn close(&mut self, now: SimTime) {
        // The DATA_FIN (or, for plain TCP, the FIN) goes out after the last
        // byte has been handed to a subflow (see `schedule`).
        self.tx.close();
        self.pm.handle_event(now, PmEvent::ConnectionClosing);
    }

    /// Abort the whole connection at once (RFC 8684 3.5): MP_FASTCLOSE with
    /// the peer's key on one subflow's ACK, then a RST on every subflow.
    pub fn abort(&mut self, now: SimTime) {
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
        self.process_mptcp_options(now, idx, seg);
        let views = self.cc_views();
        let coupling = Coupling {
            me: idx,
            subflows: &views,
        };
        let sf = &mut self.subflows[idx];
        if sf.irs.is_none() && seg.flags.syn {
            sf.irs = Some(seg.seq);
        }
        sf.tcp.handle_segment_coupled(now, seg, &coupling);
        self.cc_buf = views;
        self.drain_subflow(now, idx);
        self.after_input(now);
    }

    /// Timers due at `now`.
    pub fn handle_timeout(&mut self, now: SimTime) {
        for idx in 0..self.subflows.len() {
            if self.subflows[idx].is_open() && self.subflows[idx].tcp.poll_timeout().is_some_and(|t| t <= now) {
                let views = self.cc_views();
                let coupling = Coupling {
                    me: idx,
                    subflows: &views,
                };
                self.subflows[idx].tcp.handle_timeout_coupled(now, &coupling);
                self.cc_buf = views;
                self.drain_subflow(now, idx);
            }
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

    /// A local interface went up or down (client side).
    pub fn handle_iface(&mut self, now: SimTime, addr: u32, up: bool) {
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
                        self.fully_established = true;
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
                MptcpOption::MpFastclose { receiver_key } if receiver_key == self.local_key => {
                    // RFC 8684 3.5: the peer aborted; answer with RSTs.
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
                _ => {}
            }
        }
        if got_dss {
            // A DSS from the peer means it has our key (RFC 8684 3.1).
            self.fully_established = true;
            let sf = &mut self.subflows[idx];
            if sf.tcp.state() == TcpState::Established {
                sf.fully_established = true;
            }
        }
    }

    fn on_join_option(&mut self, idx: usize, j: MpJoin) {
        let (Some(remote_key), version) = (self.remote_key, self.cfg.version) else {
            return;
        };
        let local_key = self.local_key;
        let sf = &mut self.subflows[idx];
        let Handshake::Join {
            local_nonce,
            peer_nonce,
            verified,
        } = &mut sf.handshake
        else {
            return;
        };
        match j {
            MpJoin::SynAck {
                backup,
                truncated_hmac,
                nonce,
                ..
            } => {
                // RFC 8684 3.2: the server's HMAC is keyed Key-B||Key-A over R-B||R-A.
                *peer_nonce = Some(nonce);
                let expect = mptcp_crypto::join_truncated_hmac(remote_key, local_key, nonce, *local_nonce, version);
                *verified = expect == truncated_hmac;
                if !*verified {
                    sf.tcp.abort();
                }
                sf.backup_remote = backup;
            }
            MpJoin::Ack { hmac } => {
                let Some(pn) = *peer_nonce else { return };
                let expect = mptcp_crypto::join_hmac(remote_key, local_key, pn, *local_nonce, version);
                *verified = expect == hmac;
                if *verified {
                    // The server may send once the third ACK is verified, and
                    // acknowledges it at once (RFC 8684 3.2).
                    sf.fully_established = true;
                    sf.tcp.request_ack();
                } else {
                    sf.tcp.abort();
                }
            }
            MpJoin::Syn { .. } => {}
        }
    }

    fn on_dss(&mut self, idx: usize, seg: &Segment, d: &Dss) {
        if let Some(a) = d.data_ack {
            let scale = self.subflows[idx].tcp.window_scales().map_or(0, |(snd, _)| snd);
            let wnd = (seg.window as u64) << scale;
            let ack = widen(a.value, a.wide, self.tx.snd_una());
            self.tx.on_data_ack(ack, wnd);
        }
        if let Some(m) = d.mapping {
            let sf = &mut self.subflows[idx];
            let irs = sf.irs.unwrap_or_else(|| sf.tcp.rcv_nxt().saturating_sub(1));
            let dsn = widen(m.dsn, m.wide, self.rx.as_ref().map_or(0, |r| r.data_ack()));
            let data_len = m.len as u64 - d.data_fin as u64;
            let rel = unwrap_ssn(m.ssn_rel, seg.seq.saturating_sub(irs));
            if data_len > 0 && rel > 0 {
                sf.rx_maps.insert(irs + rel, (dsn, data_len));
            }
            if d.data_fin
                && let Some(rx) = &mut self.rx
            {
                rx.on_data_fin(dsn + data_len);
            }
        }
    }

    /// Takes what a subflow received and what happened to it.
    fn drain_subflow(&mut self, now: SimTime, idx: usize) {
        // In-order subflow bytes -> data sequence space.
        while let Some((seq, len)) = self.subflows[idx].tcp.recv(u64::MAX) {
            self.deliver_subflow_bytes(idx, seq, len);
        }
        while let Some(ev) = self.subflows[idx].tcp.poll_event() {
            match ev {
                TcpEvent::Connected => self.on_subflow_connected(now, idx),
                TcpEvent::Rto { backoff } => {
                    // Linux mptcp_sub_retransmit_timer: reinject and mark pf.
                    // Only when the subflow carries data not yet data-acknowledged
                    // (after an RTO nothing counts as in flight any more).
                    let outstanding = self.tx.outstanding_on(idx);
                    let sf = &mut self.subflows[idx];
                    if self.mptcp
                        && outstanding > 0
                        && matches!(sf.tcp.state(), TcpState::Established | TcpState::CloseWait)
                    {
                        sf.pf = true;
                        let n = self.tx.reinject_from(idx);
                        if n > 0 {
                            self.events.push_back(ConnEvent::Reinjected {
                                from_subflow: idx,
                                bytes: n,
                            });
                        }
                    }
                    let _ = backoff;
                    self.report_health(now, idx);
                }
                TcpEvent::Closed { reason } => self.on_subflow_closed(now, idx, reason),
                TcpEvent::PeerFin if !self.mptcp => {
                    // Plain TCP: the FIN is the end of the data stream.
                    if let Some(rx) = &mut self.rx {
                        let end = rx.data_ack();
                        rx.on_data_fin(end);
                    }
                }
                _ => {}
            }
        }
        if !self.mptcp {
            // Plain TCP: the TCP ACK is the data-ACK.
            let una = self.subflows[idx].tcp.snd_una();
            self.tx.on_data_ack(una, FAR);
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

    fn deliver_subflow_bytes(&mut self, idx: usize, seq: u64, len: u64) {
        if !self.mptcp {
            // Plain TCP: subflow sequence numbers are data sequence numbers.
            if let Some(rx) = &mut self.rx {
                rx.on_data(seq..seq + len);
            }
            return;
        }
        let mut pos = seq;
        let end = seq + len;
        while pos < end {
            let sf = &mut self.subflows[idx];
            // The mapping that covers `pos`.
            let Some((m_ssn, (m_dsn, m_len))) = sf.rx_maps.at_or_below(pos) else {
                break;
            };
            if pos >= m_ssn + m_len {
                break; // no mapping for these bytes (cannot happen without middleboxes)
            }
            let take_end = end.min(m_ssn + m_len);
            let dsn = m_dsn + (pos - m_ssn);
            if take_end == m_ssn + m_len {
                sf.rx_maps.remove(m_ssn);
            }
            if let Some(rx) = &mut self.rx {
                rx.on_data(dsn..dsn + (take_end - pos));
            }
            pos = take_end;
        }
    }

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
                    subflow: SubflowId(idx as u32),
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
                    subflow: SubflowId(idx as u32),
                    iface,
                    remote,
                    backup,
                    initiated_locally: self.cfg.role == Role::Client,
                },
            );
        }
        self.subflows[idx].reported_established = true;
        self.events.push_back(ConnEvent::SubflowEstablished { subflow: idx });
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
                    from_subflow: idx,
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
        self.events.push_back(ConnEvent::SubflowClosed { subflow: idx, reason });
        self.pm.handle_event(
            now,
            PmEvent::SubflowClosed {
                subflow: SubflowId(idx as u32),
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

    fn report_health(&mut self, now: SimTime, idx: usize) {
        let h = self.health(idx);
        self.pm.handle_event(now, PmEvent::SubflowHealth(h));
    }

    fn health(&self, idx: usize) -> SubflowHealth {
        let sf = &self.subflows[idx];
        let kind = sf
            .iface
            .and_then(|i| self.ifaces.iter().find(|x| x.id == i))
            .map_or(path_manager::IfaceKind::Preferred, |i| i.info.kind);
        let flight = sf.tcp.bytes_in_flight();
        SubflowHealth {
            subflow: SubflowId(idx as u32),
            iface_kind: kind,
            usable: sf.is_open() && sf.fully_established && matches!(sf.tcp.state(), TcpState::Established),
            srtt: sf.tcp.srtt(),
            rto: sf.tcp.rto(),
            rxtshift: sf.tcp.rtt_estimator().backoff(),
            cwnd_space_bytes: sf.tcp.cwnd_bytes().saturating_sub(flight),
            data_pending: self.tx.unsent_bytes() > 0 || flight > 0,
        }
    }

    /// Common work after any input: PM actions, subflow health, orphan state.
    fn after_input(&mut self, now: SimTime) {
        self.apply_pm_actions(now);
    }

    fn apply_pm_actions(&mut self, now: SimTime) {
        if let Some(rx) = &self.rx
            && rx.fin_received()
            && !self.peer_fin_reported
        {
            self.peer_fin_reported = true;
            self.events.push_back(ConnEvent::PeerClosed);
        }
        while let Some(a) = self.pm.poll_action() {
            match a {
                PmAction::OpenInitialSubflow {
                    iface,
                    remote_addr,
                    mptcp,
                } => {
                    // The initial subflow opens without the backup bit; iOS flags a
                    // cellular one with MP_PRIO once connected (SetBackup).
                    self.open_subflow(now, iface, remote_addr, false, true, mptcp);
                }
                PmAction::OpenSubflow {
                    iface, remote, backup, ..
                } => {
                    if self.remote_key.is_some() && self.mptcp {
                        self.open_subflow(now, iface, remote.addr, backup, false, true);
                    }
                }
                PmAction::SetBackup { subflow, backup } => {
                    if let Some(sf) = self.subflows.get_mut(subflow.0 as usize) {
                        sf.backup_local = backup;
                        sf.pending_prio = Some(backup);
                        sf.tcp.request_ack();
                    }
                }
                PmAction::AdvertiseZeroWindow { subflow } => {
                    if let Some(sf) = self.subflows.get_mut(subflow.0 as usize)
                        && sf.is_open()
                    {
                        sf.tcp.set_zero_window(true);
                        sf.tcp.request_ack();
                        // XNU mptcp_subflow_mustrst_ev -> tcp_respond: a bare
                        // ACK with window 0 and no options goes out at once,
                        // before the RST that follows.
                        if let Some(tx) = sf.tcp.poll_transmit(now) {
                            let mut seg = tx.seg;
                            seg.options = TcpOptions::default();
                            self.out_queue.push_back(seg);
                        }
                    }
                }
                PmAction::ResetSubflow { subflow, .. } | PmAction::AbortSubflow { subflow } => {
                    let idx = subflow.0 as usize;
                    if self.subflows.get(idx).is_some_and(Subflow::is_open) {
                        let silent = matches!(a, PmAction::AbortSubflow { .. });
                        self.subflows[idx].tcp.abort();
                        if silent {
                            // The interface is gone: the RST cannot leave.
                            while self.subflows[idx].tcp.poll_transmit(now).is_some() {}
                        }
                        self.drain_subflow(now, idx);
                        if self.subflows[idx].is_open() {
                            self.on_subflow_closed(now, idx, CloseReason::Aborted);
                        }
                    }
                }
                PmAction::Reinject { subflow } => {
                    let n = self.tx.reinject_from(subflow.0 as usize);
                    if n > 0 {
                        self.events.push_back(ConnEvent::Reinjected {
                            from_subflow: subflow.0 as usize,
                            bytes: n,
                        });
                    }
                }
                PmAction::AnnounceAddress { addr_id, addr } => {
                    let hmac = self.remote_key.map_or(0, |rk| {
                        mptcp_crypto::add_addr_truncated_hmac(self.local_key, rk, addr_id, addr, None)
                    });
                    self.pending_opts.push_back(MptcpOption::AddAddr {
                        addr_id,
                        addr,
                        port: None,
                        echo: false,
                        truncated_hmac: hmac,
                    });
                }
                PmAction::RemoveAddress { addr_id } => {
                    self.pending_opts.push_back(MptcpOption::RemoveAddr {
                        addr_ids: AddrIds::one(addr_id),
                    });
                }
            }
        }
        self.flush_pending_opts();
    }

    /// Address signalling waits for a segment: ask an established subflow
    /// for an immediate ACK to carry it.
    fn flush_pending_opts(&mut self) {
        if self.pending_opts.is_empty() {
            return;
        }
        if let Some(sf) = self.subflows.iter_mut().find(|s| s.is_open() && s.fully_established) {
            sf.tcp.request_ack();
        }
    }

    // ------------------------------------------------------------------
    // Outputs.

    /// The earliest timer of any subflow, the path manager, or the orphan wait.
    pub fn poll_timeout(&self) -> Option<SimTime> {
        let mut t = SimTime::earliest(self.pm.poll_timeout(), self.orphan_deadline);
        for s in &self.subflows {
            if s.is_open() {
                t = SimTime::earliest(t, s.tcp.poll_timeout());
            }
        }
        t
    }

    /// The next segment to send, with its MPTCP options.
    pub fn poll_transmit(&mut self, now: SimTime) -> Option<Segment> {
        if let Some(seg) = self.out_queue.pop_front() {
            return Some(seg);
        }
        self.schedule(now);
        let n = self.subflows.len();
        let window = self.rx.as_ref().map(|r| r.window_bytes());
        for k in 0..n {
            let idx = (self.rr_start + k) % n;
            if self.mptcp {
                self.subflows[idx].tcp.set_external_rcv_window(window);
            }
            // A quiet endpoint had no input since its last poll, which
            // this connection drained after; `poll_transmit` itself adds
            // no event and no byte. So with MPTCP (whose drain, without
            // events or bytes, only compares `snd_una` with the value it
            // saw then) draining it again finds nothing. Plain TCP still
            // drains: its data-ACK step also reads the connection's
            // sequence state, which the scheduler moves.
            let quiet = self.mptcp && self.subflows[idx].tcp.is_quiet();
            if let Some(tx) = self.subflows[idx].tcp.poll_transmit(now) {
                self.rr_start = (idx + 1) % n;
                let seg = self.decorate(now, idx, tx);
                self.drain_subflow(now, idx);
                return Some(seg);
            }
            if !quiet {
                self.drain_subflow(now, idx);
            }
        }
        None
    }

    /// Adds the MPTCP options a subflow's segment carries.
    fn decorate(&mut self, _now: SimTime, idx: usize, tx: Transmit) -> Segment {
        let mut seg = tx.seg;
        let version = self.cfg.version;
        let wide = version == MptcpVersion::V1;
        let local_key = self.local_key;
        let remote_key = self.remote_key;
        let role = self.cfg.role;
        let fully = self.fully_established;
        let data_ack = self.rx.as_ref().map(|r| r.data_ack());
        let sf = &mut self.subflows[idx];
        if seg.flags.rst {
            return seg;
        }
        match sf.handshake {
            Handshake::Plain => return seg,
            Handshake::Capable => {
                let capable = |sender: Option<u64>, receiver: Option<u64>| {
                    MptcpOption::MpCapable(MpCapable {
                        version,
                        checksum_required: false,
                        sender_key: sender,
                        receiver_key: receiver,
                        data_len: None,
                    })
                };
                if seg.flags.syn && !seg.flags.ack {
                    // RFC 8684 3.1: v1 SYN has no key; v0 carries the sender's.
                    let key = (version == MptcpVersion::V0).then_some(local_key);
                    seg.options.mptcp.push(capable(key, None));
                    return seg;
                }
                if seg.flags.syn {
                    seg.options.mptcp.push(capable(Some(local_key), None));
                    return seg;
                }
                if role == Role::Client && !fully && seg.payload_len == 0 {
                    // Third ACK (and its repetitions until a DSS arrives).
                    seg.options.mptcp.push(capable(Some(local_key), remote_key));
                    return seg;
                }
            }
            Handshake::Join {
                local_nonce,
                peer_nonce,
                ..
            } => {
                if seg.flags.syn && !seg.flags.ack {
                    let token = remote_key.map_or(0, |k| mptcp_crypto::token(k, version));
                    seg.options.mptcp.push(MptcpOption::MpJoin(MpJoin::Syn {
                        backup: sf.backup_local,
                        addr_id: sf.addr_id,
                        token,
                        nonce: local_nonce,
                    }));
                    return seg;
                }
                if seg.flags.syn {
                    let (Some(rk), Some(pn)) = (remote_key, peer_nonce) else {
                        return seg;
                    };
                    let h = mptcp_crypto::join_truncated_hmac(local_key, rk, local_nonce, pn, version);
                    seg.options.mptcp.push(MptcpOption::MpJoin(MpJoin::SynAck {
                        backup: sf.backup_local,
                        addr_id: sf.addr_id,
                        truncated_hmac: h,
                        nonce: local_nonce,
                    }));
                    return seg;
                }
                if role == Role::Client
                    && !sf.fully_established
                    && seg.payload_len == 0
                    && let (Some(rk), Some(pn)) = (remote_key, peer_nonce)
                {
                    let h = mptcp_crypto::join_hmac(local_key, rk, local_nonce, pn, version);
                    seg.options.mptcp.push(MptcpOption::MpJoin(MpJoin::Ack { hmac: h }));
                    return seg;
                }
            }
        }
        // Established: DSS with the data-ACK and, for payload, the mapping.
        let mapping = tx.mapping.map(|m| DssMapping {
            dsn: m.tag,
            ssn_rel: (m.chunk_seq - sf.iss) as u32,
            len: m.len_bytes as u16,
            wide,
        });
        let mut dss = Dss {
            data_ack: data_ack.map(|v| DataAck { value: v, wide }),
            mapping,
            data_fin: false,
        };
        // DATA_FIN: on a mapping that ends at it, or alone on an ACK (RFC 8684 3.3.3).
        if let Some(fin) = self.tx.data_fin()
            && self.tx.snd_nxt() == fin
            && self.tx.snd_una() <= fin
        {
            match &mut dss.mapping {
                Some(m) if m.dsn + m.len as u64 == fin => {
                    m.len += 1;
                    dss.data_fin = true;
                }
                None => {
                    dss.mapping = Some(DssMapping {
                        dsn: fin,
                        ssn_rel: 0,
                        len: 1,
                        wide,
                    });
                    dss.data_fin = true;
                }
                _ => {}
            }
            if dss.data_fin {
                self.tx.mark_data_fin_sent();
            }
        }
        let sf = &mut self.subflows[idx];
        seg.options.mptcp.push(MptcpOption::Dss(dss));
        if let Some(b) = sf.pending_prio.take() {
            if !seg.options.mptcp.push(MptcpOption::MpPrio { backup: b }) {
                sf.pending_prio = Some(b);
            }
        } else if seg.payload_len == 0
            && let Some(o) = self.pending_opts.pop_front()
            && !seg.options.mptcp.push(o)
        {
            self.pending_opts.push_front(o);
        }
        // Keep within the 40-byte option space: drop SACK blocks that no longer fit.
        while crate::wire::tcp_options_len(&seg.options, version) > crate::wire::MAX_OPTION_BYTES
            && !seg.options.sack.is_empty()
        {
            let n = seg.options.sack.len() - 1;
            seg.options.sack.truncate(n);
        }
        seg
    }

    /// The siblings' congestion state for coupled algorithms, in a buffer
    /// reused across calls (no allocation per segment); give it back with
    /// `self.cc_buf = views` after use.
    fn cc_views(&mut self) -> Vec<SubflowCcView> {
        let mut views = std::mem::take(&mut self.cc_buf);
        views.clear();
        views.extend(self.subflows.iter().map(|s| {
            let mut v = s.tcp.cc_view();
            v.usable = v.usable && s.is_open() && !s.pf;
            v
        }));
        views
    }

    fn scheduler_views(&mut self) {
        self.views.clear();
        for s in &self.subflows {
            let tcp = &s.tcp;
            let rtt = tcp.rtt_estimator();
            self.views.push(SubflowView {
                id: s.id,
                state: s.view_state(),
                potentially_failed: s.pf,
                backup: s.backup_local || s.backup_remote,
                srtt: tcp.srtt(),
                rttvar: rtt.rttvar(),
                mss_bytes: tcp.smss_bytes(),
                cwnd_bytes: tcp.cwnd_bytes(),
                ssthresh_bytes: tcp.ssthresh_bytes(),
                in_slow_start: tcp.cwnd_bytes() < tcp.ssthresh_bytes(),
                bytes_in_flight: tcp.bytes_in_flight(),
                queued_bytes: tcp.unsent_bytes(),
                snd_wnd_bytes: tcp.send_window_bytes(),
                in_loss_recovery: tcp.recovery_phase() == RecoveryPhase::Loss,
                in_fast_recovery: tcp.recovery_phase() == RecoveryPhase::Recovery,
                in_order_dsn: None,
                last_penalty_at: s.last_penalty_at,
            });
        }
    }

    /// Hands data from the connection to subflows, as the scheduler decides.
    fn schedule(&mut self, now: SimTime) {
        if self.subflows.is_empty() {
            return;
        }
        if !self.mptcp {
            // Plain TCP: everything goes to the one subflow.
            let Some(idx) = self.subflows.iter().position(|s| s.is_open()) else {
                return;
            };
            if !matches!(
                self.subflows[idx].tcp.state(),
                TcpState::Established | TcpState::CloseWait
            ) {
                return;
            }
            loop {
                let room = self.subflows[idx].tcp.send_space();
                let Some(r) = self.tx.take_new(idx, room.min(1 << 20)) else {
                    break;
                };
                let n = r.end - r.start;
                let accepted = self.subflows[idx].tcp.send_mapped(n, r.start);
                debug_assert_eq!(accepted, n);
            }
            if self.tx.data_fin_due().is_some() {
                self.tx.mark_data_fin_sent();
                self.subflows[idx].tcp.close();
            }
            return;
        }
        // Nothing to place: the loop below would build the views and stop
        // at once (empty reinject queue, no unsent data; the scheduler is
        // not asked then).
        if self.tx.reinject_queue().is_empty() && self.tx.unsent_bytes() == 0 {
            return;
        }
        // No subflow can take data and the scheduler then answers Wait
        // without side effects: the loop below would ask once (reinject
        // head, then new data), get Wait both times and stop, changing
        // nothing. The iOS path manager's per-packet choice (a client
        // asks it before the scheduler) may have side effects: ask it.
        if self.scheduler.waits_when_none_available()
            && !(self.cfg.role == Role::Client && self.pm.chooses_sender_subflow())
            && !self.subflows.iter().any(Subflow::available_to_scheduler)
        {
            return;
        }
        let mss = self.cfg.tcp.mss_bytes as u64;
        for _ in 0..4096 {
            self.scheduler_views();
            let conn = ConnView {
                mss_bytes: self.cfg.tcp.mss_bytes,
                data_acked_dsn: self.tx.snd_una(),
                meta_snd_wnd_bytes: self.tx.window_left_bytes() + (self.tx.snd_nxt() - self.tx.snd_una()),
                unsent_bytes: self.tx.unsent_bytes(),
                peer_data_fin_on: None,
            };
            // 1. The reinject queue first (Linux __mptcp_next_segment).
            if let Some(head) = self.tx.reinject_queue().first() {
                let len = (head.end - head.start).min(mss);
                let sent_on = self.sent_on(head.start..head.start + len);
                let seg = SegView {
                    dsn: head.start,
                    len_bytes: len,
                    sent_on,
                    reinjection: true,
                    data_fin: false,
                };
                match self.scheduler.reinject_target(now, &conn, &self.views, &seg) {
                    Decision::Send { subflow, max_bytes } | Decision::Resend { subflow, max_bytes, .. } => {
                        let room = self.room(subflow);
                        let want = max_bytes.min(self.seg_bytes(subflow)).min(room);
                        if want == 0 {
                            break;
                        }
                        // The scheduler chose `subflow` for the head (with
                        // Linux's path-mask rules), so the head goes, even
                        // if `subflow` carried it before.
                        if let Some(r) = self.tx.take_reinject_head(subflow, want) {
                            let n = r.end - r.start;
                            self.stats.reinjected_bytes += n;
                            self.subflows[subflow].tcp.send_mapped(n, r.start);
                            self.scheduler.on_sent(
                                now,
                                &Sent {
                                    subflow,
                                    dsn: r.start,
                                    len_bytes: n,
                                    kind: SentKind::Reinjection,
                                },
                            );
                            continue;
                        }
                        break;
                    }
                    Decision::SendOn { subflows, max_bytes } => {
                        let mut any = false;
                        for sfi in subflows.iter() {
                            let want = max_bytes.min(self.seg_bytes(sfi)).min(self.room(sfi));
                            if want == 0 {
                                continue; // no room on this one (take_reinject would find nothing)
                            }
                            if let Some(r) = self.tx.take_reinject(sfi, want) {
                                let n = r.end - r.start;
                                self.stats.reinjected_bytes += n;
                                self.subflows[sfi].tcp.send_mapped(n, r.start);
                                any = true;
                            }
                        }
                        if !any {
                            break;
                        }
                        continue;
                    }
                    Decision::Wait => {}
                }
            }
            // 2. New data.
            if self.tx.unsent_bytes() == 0 {
                break;
            }
            let len = self.tx.unsent_bytes().min(mss);
            let seg = SegView {
                dsn: self.tx.snd_nxt(),
                len_bytes: len,
                sent_on: SubflowSet::default(),
                reinjection: false,
                data_fin: false,
            };
            let decision = match self.ios_choice(now) {
                Some(d) => d,
                None => self.scheduler.next_for_new_data(now, &conn, &self.views, &seg),
            };
            match decision {
                Decision::Send { subflow, max_bytes } => {
                    let want = max_bytes.min(self.seg_bytes(subflow)).min(self.room(subflow));
                    if self.tx.window_left_bytes() == 0 {
                        self.rcv_buf_optimization(now, subflow);
                        break;
                    }
                    match self.tx.take_new(subflow, want) {
                        Some(r) => {
                            let n = r.end - r.start;
                            self.subflows[subflow].tcp.send_mapped(n, r.start);
                            self.scheduler.on_sent(
                                now,
                                &Sent {
                                    subflow,
                                    dsn: r.start,
                                    len_bytes: n,
                                    kind: SentKind::NewData,
                                },
                            );
                        }
                        None => break,
                    }
                }
                Decision::SendOn { subflows, max_bytes } => {
                    let want = subflows
                        .iter()
                        .map(|s| self.room(s).min(self.seg_bytes(s)))
                        .min()
                        .unwrap_or(0)
                        .min(max_bytes);
                    let Some(first) = subflows.iter().next() else { break };
                    let Some(r) = self.tx.take_new(first, want) else { break };
                    let n = r.end - r.start;
                    for sfi in subflows.iter() {
                        if sfi != first {
                            self.tx.record_on(sfi, r.clone());
                        }
                        self.subflows[sfi].tcp.send_mapped(n, r.start);
                        self.scheduler.on_sent(
                            now,
                            &Sent {
                                subflow: sfi,
                                dsn: r.start,
                                len_bytes: n,
                                kind: SentKind::NewData,
                            },
                        );
                    }
                }
                Decision::Resend {
                    subflow,
                    dsn,
                    max_bytes,
                } => {
                    let want = max_bytes.min(self.seg_bytes(subflow)).min(self.room(subflow));
                    if want == 0 || dsn < self.tx.snd_una() {
                        break;
                    }
                    self.tx.record_on(subflow, dsn..dsn + want);
                    self.subflows[subflow].tcp.send_mapped(want, dsn);
                    self.stats.meta_retransmitted_bytes += want;
                    self.scheduler.on_sent(
                        now,
                        &Sent {
                            subflow,
                            dsn,
                            len_bytes: want,
                            kind: SentKind::MetaRetransmission,
                        },
                    );
                    break;
                }
                Decision::Wait => break,
            }
        }
    }

    /// The client-side iOS per-packet choice (XNU mptcp_get_subflow), if
    /// the path manager makes one.
    fn ios_choice(&mut self, now: SimTime) -> Option<Decision> {
        if self.cfg.role != Role::Client {
            return None;
        }
        let health: Vec<SubflowHealth> = (0..self.subflows.len())
            .filter(|&i| self.subflows[i].is_open())
            .map(|i| self.health(i))
            .collect();
        match self.pm.choose_sender_subflow(now, &health) {
            SenderChoice::Defer => None,
            SenderChoice::Choose { send_on: Some(sf), .. } => {
                let idx = sf.0 as usize;
                Some(Decision::Send {
                    subflow: idx,
                    max_bytes: self.room(idx),
                })
            }
            SenderChoice::Choose { send_on: None, .. } => Some(Decision::Wait),
        }
    }

    /// Room a subflow has for new data: its congestion window left, minus
    /// what is already queued in it (Linux `mptcp_is_temp_unavailable`).
    fn room(&self, idx: usize) -> u64 {
        let t = &self.subflows[idx].tcp;
        let smss = t.smss_bytes().max(1) as u64;
        let bytes = t
            .cwnd_bytes()
            .saturating_sub(t.bytes_in_flight() + t.unsent_bytes())
            .min(t.send_space());
        // Whole segments only, as Linux's cwnd test counts packets: handing
        // over a fraction of a segment would put a runt on the wire.
        bytes / smss * smss
    }

    /// The payload of one full segment on subflow `idx`.
    fn seg_bytes(&self, idx: usize) -> u64 {
        self.subflows[idx].tcp.smss_bytes().max(1) as u64
    }

    fn sent_on(&self, r: std::ops::Range<u64>) -> SubflowSet {
        let mut s = SubflowSet::default();
        for i in 0..self.subflows.len() {
            if self.tx.carried_by(i, r.clone()) {
                s.insert(i);
            }
        }
        s
    }

    /// Raiciu et al. (NSDI 2012) when the connection-level window blocks new data.
    fn rcv_buf_optimization(&mut self, now: SimTime, chosen: usize) {
        if !self.cfg.opportunistic_retransmission || !self.scheduler.uses_rcv_buf_optimization() {
            return;
        }
        let una = self.tx.snd_una();
        if self.tx.snd_nxt() == una {
            return;
        }
        let mss = self.cfg.tcp.mss_bytes as u64;
        let head_len = (self.tx.snd_nxt() - una).min(mss);
        let head = SegView {
            dsn: una,
            len_bytes: head_len,
            sent_on: self.sent_on(una..una + head_len),
            reinjection: false,
            data_fin: false,
        };
        let input = opportunistic::RcvBufInput {
            chosen,
            head,
            trigger: opportunistic::Trigger::MetaWindowBlocked,
        };
        let action = opportunistic::rcv_buf_optimization(now, &input, &self.views);
        if !action.penalise.is_empty() {
            self.subflows[chosen].last_penalty_at = now;
            for p in action.penalise.iter() {
                self.subflows[p].tcp.penalise();
                self.stats.penalisations += 1;
            }
        }
        if let Some(rt) = action.retransmit {
            let want = rt.max_bytes.min(self.room(rt.subflow));
            if want > 0 && !self.tx.carried_by(rt.subflow, rt.dsn..rt.dsn + want) {
                self.tx.record_on(rt.subflow, rt.dsn..rt.dsn + want);
                self.subflows[rt.subflow].tcp.send_mapped(want, rt.dsn);
                self.stats.meta_retransmitted_bytes += want;
                self.scheduler.on_sent(
                    now,
                    &Sent {
                        subflow: rt.subflow,
                        dsn: rt.dsn,
                        len_bytes: want,
                        kind: SentKind::MetaRetransmission,
                    },
                );
            }
        }
        self.scheduler.on_rcv_buf_optimization(now, &action);
    }
}

/// A subflow's received DSS mappings by subflow sequence number: an ordered
/// map kept as a sorted deque. Mappings arrive in subflow order and are
/// consumed from the front, so the common insert is a push at the back and
/// the common removal a pop at the front (a `BTreeMap` paid a tree walk and
/// node allocations per segment for the same answers).
#[derive(Clone, Debug, Default)]
struct RxMaps {
    /// `(subflow sequence number, (dsn, length))`, sorted by the first field, unique.
    maps: VecDeque<(u64, (u64, u64))>,
}

impl RxMaps {
    /// Sets the mapping at `ssn`, replacing one already there.
    fn insert(&mut self, ssn: u64, m: (u64, u64)) {
        match self.maps.back() {
            None => self.maps.push_back((ssn, m)),
            Some(&(last, _)) if ssn > last => self.maps.push_back((ssn, m)),
            _ => {
                let i = self.maps.partition_point(|&(k, _)| k < ssn);
                match self.maps.get_mut(i) {
                    Some(e) if e.0 == ssn => e.1 = m,
                    _ => self.maps.insert(i, (ssn, m)),
                }
            }
        }
    }

    /// The mapping with the greatest key at or below `pos`.
    fn at_or_below(&self, pos: u64) -> Option<(u64, (u64, u64))> {
        // Usually the front mapping: in-order bytes are delivered from it.
        if let Some(&front) = self.maps.front()
            && front.0 <= pos
            && self.maps.get(1).is_none_or(|next| next.0 > pos)
        {
            return Some(front);
        }
        let i = self.maps.partition_point(|&(k, _)| k <= pos);
        i.checked_sub(1).map(|i| self.maps[i])
    }

    fn remove(&mut self, ssn: u64) {
        if self.maps.front().is_some_and(|e| e.0 == ssn) {
            self.maps.pop_front();
        } else if let Ok(i) = self.maps.binary_search_by_key(&ssn, |e| e.0) {
            self.maps.remove(i);
        }
    }
}

/// Option bytes the DSS adds to data segments and to pure ACKs (aligned):
/// v1 as upstream Linux (8-byte data-ACK and DSN), v0 with 4-byte ones.
fn dss_option_bytes(version: MptcpVersion) -> (u32, u32) {
    match version {
        // 4 + 8 (ack) + 8 (dsn) + 4 (ssn) + 2 (len) = 26 -> 28; ack only 4 + 8 = 12.
        MptcpVersion::V1 => (28, 12),
        // 4 + 4 + 4 + 4 + 2 = 18 -> 20; ack only 4 + 4 = 8.
        MptcpVersion::V0 => (20, 8),
    }
}

/// The relative subflow sequence number of a DSS mapping, unwrapped: RFC
/// 8684 3.3.1 carries it in 32 bits relative to the subflow's initial
/// sequence number, so it wraps after 4 GiB on one subflow. The mapping
/// covers or shortly precedes the segment that carries it, so the value
/// meant is the one nearest to that segment's own relative sequence number.
fn unwrap_ssn(ssn_rel: u32, seg_rel: u64) -> u64 {
    widen(u64::from(ssn_rel), false, seg_rel)
}

/// Rebuilds a 64-bit value from its low 32 bits near `reference` (RFC 8684
/// 3.3.1: 4-byte forms are the low bits of the 64-bit number).
fn widen(v: u64, wide: bool, reference: u64) -> u64 {
    if wide {
        return v;
    }
    let base = reference & !0xffff_ffff;
    let cand = base | (v & 0xffff_ffff);
    // Pick the candidate closest to the reference.
    [cand.wrapping_sub(1 << 32), cand, cand.wrapping_add(1 << 32)]
        .into_iter()
        .min_by_key(|c| c.abs_diff(reference))
        .unwrap_or(cand)
}

fn pm_close_reason(r: CloseReason) -> path_manager::CloseReason {
    match r {
        CloseReason::Fin => path_manager::CloseReason::Fin,
        CloseReason::Rst => path_manager::CloseReason::Rst,
        CloseReason::Timeout => path_manager::CloseReason::Timeout,
        CloseReason::Aborted => path_manager::CloseReason::Aborted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path_manager::IfaceKind;
    use sim_core::RngStreams;

    const CLIENT: u32 = 0x0a01_0002;
    const SERVER: u32 = 0x0a00_0001;

    #[test]
    fn a_relative_subflow_sequence_number_unwraps_past_four_gibibytes() {
        const WRAP: u64 = 1 << 32;
        // Before the wrap: as written.
        assert_eq!(unwrap_ssn(1, 1), 1);
        assert_eq!(unwrap_ssn(4_000_000_000, 4_000_001_000), 4_000_000_000);
        // A mapping just past 4 GiB, carried by a segment just past it.
        assert_eq!(unwrap_ssn(100, WRAP + 1_500), WRAP + 100);
        // A mapping that starts before the wrap, carried by a segment after it.
        assert_eq!(unwrap_ssn(u32::MAX - 999, WRAP + 400), WRAP - 1000);
        // Several wraps on.
        assert_eq!(unwrap_ssn(7, 5 * WRAP + 9), 5 * WRAP + 7);
    }

    proptest::proptest! {
        /// The mapping deque answers as the ordered map it replaces.
        #[test]
        fn rx_maps_agree_with_a_btree_map(ops in proptest::collection::vec((0u8..3, 0u64..60, 0u64..1000), 0..120)) {
            let mut m = RxMaps::default();
            let mut model = std::collections::BTreeMap::new();
            for (op, k, v) in ops {
                match op {
                    0 => {
                        m.insert(k, (v, v + 1));
                        model.insert(k, (v, v + 1));
                    }
                    1 => {
                        m.remove(k);
                        model.remove(&k);
                    }
                    _ => {}
                }
                let want = model.range(..=k).next_back().map(|(&a, &b)| (a, b));
                proptest::prop_assert_eq!(m.at_or_below(k), want);
                let all: Vec<_> = m.maps.iter().copied().collect();
                let all_model: Vec<_> = model.iter().map(|(&a, &b)| (a, b)).collect();
                proptest::prop_assert_eq!(all, all_model);
            }
        }
    }

    fn cfg(role: Role, pm: Arc<dyn PathManagerFactory>) -> ConnConfig {
        ConnConfig {
            role,
            version: MptcpVersion::V1,
            tcp: TcpConfig::default(),
            cc: Arc::new(crate::cc::RenoConfig {}),
            scheduler: Arc::new(crate::scheduler::MinRttConfig {}),
            path_manager: pm,
            rcv_buf_bytes: 1 << 20,
            snd_buf_bytes: 1 << 20,
            opportunistic_retransmission: true,
            orphan_timeout: SimDuration::from_secs(30),
            server_port: 80,
            first_local_port: 40000,
        }
    }

    fn iface(id: u32, addr: u32) -> LocalIface {
        LocalIface {
            id: IfaceId(id),
            addr,
            info: IfaceInfo {
                kind: IfaceKind::Preferred,
                addr,
                backup: false,
            },
            up: true,
        }
    }

    /// A client and a server connection joined by a lossless wire of 1 ms
    /// per segment; `wire` keeps every segment that crossed it.
    struct Pair {
        c: Connection,
        s: Option<Connection>,
        now: SimTime,
        wire: Vec<Segment>,
    }

    impl Pair {
        fn new() -> Self {
            let rng = RngStreams::new(7);
            let c = Connection::client(
                SimTime::ZERO,
                cfg(Role::Client, Arc::new(path_manager::FullMeshConfig::default())),
                rng.stream("c"),
                vec![iface(0, CLIENT)],
                SERVER,
            );
            Pair {
                c,
                s: None,
                now: SimTime::ZERO,
                wire: Vec::new(),
            }
        }

        /// Moves segments both ways until nothing is left to send.
        fn exchange(&mut self) {
            loop {
                let mut moved = false;
                while let Some(seg) = self.c.poll_transmit(self.now) {
                    moved = true;
                    self.wire.push(seg);
                    self.now += SimDuration::from_millis(1);
                    match &mut self.s {
                        Some(s) => s.handle_segment(self.now, &seg),
                        None => {
                            let rng = RngStreams::new(7).stream("s");
                            let server = cfg(Role::Server, Arc::new(path_manager::LinuxDefaultConfig {}));
                            self.s = Some(Connection::accept(self.now, server, rng, iface(9, SERVER), &seg));
                        }
                    }
                }
                if let Some(s) = &mut self.s {
                    while let Some(seg) = s.poll_transmit(self.now) {
                        moved = true;
                        self.wire.push(seg);
                        self.now += SimDuration::from_millis(1);
                        self.c.handle_segment(self.now, &seg);
                    }
                }
                if !moved {
                    // Fire the earliest timer (delayed ACKs, retransmissions)
                    // within the next second, or stop.
                    let next = [self.c.poll_timeout(), self.s.as_ref().and_then(|s| s.poll_timeout())]
                        .into_iter()
                        .flatten()
                        .min();
                    match next {
                        Some(t) if t <= self.now + SimDuration::from_secs(1) => {
                            self.now = self.now.max(t);
                            self.c.handle_timeout(self.now);
                            if let Some(s) = &mut self.s {
                                s.handle_timeout(self.now);
                            }
                        }
                        _ => break,
                    }
                }
            }
        }
    }

    #[test]
    fn a_mp_capable_handshake_exchanges_keys_and_the_data_ack_covers_every_byte() {
        let mut p = Pair::new();
        p.exchange();
        let s = p.s.as_mut().unwrap();
        assert_eq!(s.write(100_000), 100_000);
        p.exchange();
        assert!(p.c.is_mptcp() && p.s.as_ref().unwrap().is_mptcp());
        assert_eq!(p.c.read(u64::MAX), 100_000);
        // The server's data is all data-acknowledged.
        let tx = p.s.as_ref().unwrap().sender();
        assert_eq!(tx.snd_una(), tx.write_end());
        // Every data segment carried a DSS mapping.
        assert!(
            p.wire.iter().filter(|s| s.payload_len > 0).all(|s| s
                .options
                .mptcp
                .dss()
                .is_some_and(|d| d.mapping.is_some()))
        );
    }

    #[test]
    fn mp_fastclose_aborts_the_connection_at_both_ends() {
        let mut p = Pair::new();
        p.exchange();
        p.s.as_mut().unwrap().write(10_000);
        p.exchange();
        p.c.read(u64::MAX);
        let before = p.wire.len();
        p.c.abort(p.now);
        p.exchange();
        let after = &p.wire[before..];
        // MP_FASTCLOSE first, carrying the server's key, then the RST.
        let fc = after.iter().position(|s| {
            s.options
                .mptcp
                .iter()
                .any(|o| matches!(o, MptcpOption::MpFastclose { .. }))
        });
        let rst = after.iter().position(|s| s.flags.rst);
        assert!(fc.is_some() && rst.is_some() && fc < rst, "{after:?}");
        assert!(p.c.is_closed() && p.s.as_ref().unwrap().is_closed());
    }
}
