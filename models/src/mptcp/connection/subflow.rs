//! The connection's subflows: what each one holds beside its TCP endpoint
//! (handshake state, received DSS mappings, backup flags, the
//! "potentially failed" mark), how the connection opens one, and the
//! plain-value views of them the policies read (the scheduler's
//! `SubflowView`, the coupled congestion controls' `SubflowCcView`, the
//! path manager's `SubflowHealth`).

use super::*;

/// What a new subflow starts with.
pub(super) struct NewSubflow {
    pub(super) tcp: TcpEndpoint,
    pub(super) iss: u64,
    pub(super) iface: Option<IfaceId>,
    pub(super) addr_id: u8,
    pub(super) backup_local: bool,
    pub(super) initial: bool,
    pub(super) handshake: Handshake,
}

/// One subflow of the connection.
#[derive(Debug)]
pub struct Subflow {
    /// The subflow's TCP endpoint.
    pub tcp: TcpEndpoint,
    /// Its number in the connection: 0, 1, 2... in the order subflows were
    /// opened, never reused (as XNU numbers subflows with `mpts_connid`,
    /// bsd/netinet/mptcp_subr.c mptcp_subflow_add). Events, the path
    /// manager's `SubflowId` and the metrics name a subflow by it.
    pub id: usize,
    /// Its slot: its index in [`Connection::subflows`] and its bit in the
    /// scheduler's path masks, below `scheduler::MAX_SUBFLOWS`; a closed
    /// subflow's slot is reused once every slot has been used (see
    /// `Connection::free_slot`). Equal to `id` until then.
    pub slot: usize,
    /// The local interface it uses (on a server, the server's one interface;
    /// the peer's address id is in `addr_id`).
    pub iface: Option<IfaceId>,
    /// Address id: 0 for the initial subflow, else the id of the MP_JOIN
    /// (the one this host sent as client, the peer's as server).
    pub addr_id: u8,
    /// We asked the peer not to send on it (our B bit / MP_PRIO).
    pub backup_local: bool,
    /// The peer asked us not to send on it.
    pub backup_remote: bool,
    /// The connection's first subflow (MP_CAPABLE or plain TCP).
    pub initial: bool,
    pub(super) handshake: Handshake,
    /// Data sequence mappings received: subflow seq (absolute) -> (dsn, len).
    pub(super) rx_maps: RxMaps,
    /// Our initial subflow sequence number (DSS subflow sequence numbers
    /// are relative to it, RFC 8684 3.3.1).
    pub(super) iss: u64,
    /// The peer's initial subflow sequence number.
    pub(super) irs: Option<u64>,
    /// An MP_PRIO to send on the next segment.
    pub(super) pending_prio: Option<bool>,
    /// "Potentially failed": an RTO reinjected its data (Linux `tp->pf`).
    pub(super) pf: bool,
    /// Upstream's stale bookkeeping (see `crate::mptcp::upstream_rtx`).
    pub(super) stale: upstream_rtx::Stale,
    /// When a segment of this subflow last arrived (Linux `rcv_tstamp`).
    pub(super) last_rx_at: Option<SimTime>,
    /// The subflow's snd_una when last seen, to notice progress.
    pub(super) last_una: u64,
    /// When it was created (SYN sent or received).
    pub opened_at: SimTime,
    /// When its handshake completed.
    pub established_at: Option<SimTime>,
    /// When it ended; `None` while open.
    pub closed_at: Option<SimTime>,
    /// Why it ended.
    pub close_reason: Option<CloseReason>,
    /// The peer's first packet after our third ACK arrived (MP_JOIN
    /// subflows may carry data only then, RFC 8684 3.2).
    pub(super) fully_established: bool,
    /// The joining client's third-ACK retransmission timer: when it fires
    /// next and how many times it has fired (Linux v0.95
    /// `tp->mptcp->mptcp_ack_timer`, `icsk_retransmits`).
    pub(super) join_ack_rtx: Option<(SimTime, u32)>,
    pub(super) last_penalty_at: SimTime,
    pub(super) reported_established: bool,
}

impl Subflow {
    /// Our initial subflow sequence number.
    pub fn iss(&self) -> u64 {
        self.iss
    }
    /// Whether it has not ended.
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
    /// Whether the scheduler may hand this subflow data
    /// ([`SubflowView::available`]): the view `scheduler_views` builds,
    /// reduced to the fields `available` reads (its `in_order_dsn` is
    /// always `None` there, so the DSN does not matter).
    ///
    /// The window part ([`SubflowView::window_full`]) is tested first: it
    /// alone answers "no" in the common case, right after the subflow sent
    /// a segment, without reading the subflow's state. `available` is the
    /// conjunction of the two parts, so the answer is the same.
    pub(super) fn available_to_scheduler(&self) -> bool {
        let tcp = &self.tcp;
        let window = SubflowView {
            mss_bytes: tcp.smss_bytes(),
            cwnd_bytes: tcp.cwnd_bytes(),
            bytes_in_flight: tcp.bytes_in_flight(),
            queued_bytes: tcp.unsent_bytes(),
            ..SubflowView::default()
        };
        if window.window_full() {
            debug_assert!(!self.available_by_view());
            return false;
        }
        self.available_by_view()
    }
    /// [`available_to_scheduler`](Self::available_to_scheduler) from the
    /// view reduced to the fields `SubflowView::available` reads.
    fn available_by_view(&self) -> bool {
        let tcp = &self.tcp;
        SubflowView {
            state: self.view_state(),
            potentially_failed: self.unavailable_mark(),
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
    /// The scheduler's view of this subflow (`Connection::scheduler_views`).
    pub(super) fn scheduler_view(&self) -> SubflowView {
        let tcp = &self.tcp;
        let rtt = tcp.rtt_estimator();
        // Each a virtual call into the congestion control: read once.
        let (cwnd_bytes, ssthresh_bytes) = (tcp.cwnd_bytes(), tcp.ssthresh_bytes());
        let phase = tcp.recovery_phase();
        SubflowView {
            id: self.slot,
            state: self.view_state(),
            potentially_failed: self.unavailable_mark(),
            backup: self.backup_local || self.backup_remote,
            srtt: tcp.srtt(),
            rttvar: rtt.rttvar(),
            mss_bytes: tcp.smss_bytes(),
            cwnd_bytes,
            ssthresh_bytes,
            in_slow_start: cwnd_bytes < ssthresh_bytes,
            bytes_in_flight: tcp.bytes_in_flight(),
            queued_bytes: tcp.unsent_bytes(),
            snd_wnd_bytes: tcp.send_window_bytes(),
            in_loss_recovery: phase == RecoveryPhase::Loss,
            in_fast_recovery: phase == RecoveryPhase::Recovery,
            in_order_dsn: None,
            last_penalty_at: self.last_penalty_at,
        }
    }
    /// The scheduler's "potentially failed": v0.95's `pf`, or upstream's
    /// stale subflow on which nothing arrived since (protocol.c
    /// `mptcp_subflow_active`).
    pub(super) fn unavailable_mark(&self) -> bool {
        self.pf || !upstream_rtx::is_active(&self.stale, self.last_rx_at)
    }
    pub(super) fn view_state(&self) -> SubflowState {
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

impl Connection {
    pub(super) fn subflow_tcp_config(&self) -> TcpConfig {
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

    /// A slot for a new subflow, as Linux v0.95 numbers a connection's
    /// subflows (include/net/mptcp.h mptcp_set_new_pathindex: the first
    /// free bit of the 64-bit `path_index_bits` after the last one handed
    /// out, else the first free bit from the start; the bit is cleared when
    /// the subflow is destroyed, mptcp_del_sock): the slot after the last
    /// one taken, else the first one whose subflow has closed. `None` when
    /// all `scheduler::MAX_SUBFLOWS` slots hold subflows that are not closed:
    /// the connection then opens no more (v0.95 mptcp_add_sock returns
    /// -EPERM, "No more space for more subflows?"; XNU refuses a subflow
    /// past MPTCP_MAX_NUM_SUBFLOWS (256) with EOVERFLOW, bsd/netinet/
    /// mptcp_subr.c mptcp_subflow_add; upstream Linux caps subflows at the
    /// `subflows_max` limit, at most MPTCP_PM_ADDR_MAX (8),
    /// net/mptcp/pm_netlink.c, pm_kernel.c in newer kernels, counting only
    /// live subflows). Closed subflows keep their slot until it is
    /// reused, so the slot after the last one is fresh until
    /// `MAX_SUBFLOWS` subflows have been opened.
    pub(super) fn free_slot(&self) -> Option<usize> {
        // A closed subflow whose RST has not left yet keeps its slot until
        // it has (`poll_transmit` sends it from the slot).
        let free = |slot: usize| {
            self.subflows
                .get(slot)
                .is_none_or(|s| !s.is_open() && !s.tcp.rst_pending())
        };
        (self.next_slot..scheduler::MAX_SUBFLOWS)
            .chain(0..self.next_slot.min(scheduler::MAX_SUBFLOWS))
            .find(|&slot| free(slot))
    }

    /// Puts a new subflow in a free slot (see [`Connection::free_slot`]),
    /// retiring the closed subflow that held it; returns the slot, or
    /// `None` (nothing changed) when no slot is free.
    pub(super) fn push_subflow(&mut self, now: SimTime, n: NewSubflow) -> Option<usize> {
        let NewSubflow {
            tcp,
            iss,
            iface,
            addr_id,
            backup_local,
            initial,
            handshake,
        } = n;
        let slot = self.free_slot()?;
        let id = self.next_subflow_id;
        self.next_subflow_id += 1;
        self.next_slot = slot + 1;
        let sf = Subflow {
            tcp,
            id,
            slot,
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
            stale: upstream_rtx::Stale::default(),
            last_rx_at: None,
            last_una: 0,
            opened_at: now,
            established_at: None,
            closed_at: None,
            close_reason: None,
            fully_established: false,
            join_ack_rtx: None,
            last_penalty_at: now,
            reported_established: false,
        };
        if slot == self.subflows.len() {
            self.subflows.push(sf);
        } else {
            // The closed subflow's data and the scheduler's state for the
            // slot were dropped when it closed; drop them again in case a
            // plain-TCP close skipped it.
            self.tx.forget_subflow(slot);
            self.scheduler.on_subflow_closed(slot);
            let old = std::mem::replace(&mut self.subflows[slot], sf);
            self.retired.push(old);
        }
        self.orphan_deadline = None;
        let (local, remote) = (self.subflows[slot].tcp.local(), self.subflows[slot].tcp.remote());
        self.events.push_back(ConnEvent::SubflowOpened {
            subflow: id,
            local,
            remote,
        });
        Some(slot)
    }

    /// The slot of the subflow numbered `id` ([`Subflow::id`]), if it still
    /// holds one.
    pub(super) fn slot_of(&self, id: usize) -> Option<usize> {
        // Until a slot is reused, a subflow's slot is its id.
        match self.subflows.get(id) {
            Some(s) if s.id == id => Some(id),
            _ => self.subflows.iter().position(|s| s.id == id),
        }
    }

    pub(super) fn open_subflow(
        &mut self,
        now: SimTime,
        iface: IfaceId,
        remote: u32,
        join_addr_id: Option<u8>,
        backup: bool,
        mptcp: bool,
    ) {
        // `None`: the initial subflow (MP_CAPABLE or plain TCP).
        let initial = join_addr_id.is_none();
        let Some(local) = self.ifaces.iter().find(|i| i.id == iface && i.up).copied() else {
            return;
        };
        let Some(slot) = self.free_slot() else {
            // Every slot holds a live subflow: no SYN (Linux v0.95
            // mptcp_init4_subsockets returns when mptcp_set_new_pathindex
            // finds no free path index; the path manager has marked the
            // pair tried already).
            return;
        };
        // Each slot has its source port, so a connection uses at most
        // MAX_SUBFLOWS ports and a subflow reuses the port of the closed
        // one whose slot it takes.
        let port = self.cfg.first_local_port.wrapping_add(slot as u16).max(1024);
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
        // RFC 8684 (3.2): the MP_JOIN Address ID identifies the source
        // address, the one ADD_ADDR announced and REMOVE_ADDR (3.4.2) names;
        // so it is the path manager's id for the interface, as Linux puts
        // the PM's id in the SYN (v0.95 net/mptcp/mptcp_output.c
        // mptcp_syn_options: `opts->addr_id = tp->mptcp->loc_id`; upstream
        // net/mptcp/options.c: `opts->join_id = subflow->local_id`). The
        // initial subflow's address is id 0 (RFC 8684 3.4.1).
        let addr_id = join_addr_id.unwrap_or(0);
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
        // A slot was free above and nothing has taken it since.
        let _ = self.push_subflow(now, n);
    }

    /// The siblings' congestion state for coupled algorithms, in a buffer
    /// reused across calls (no allocation per segment); give it back with
    /// `self.cc_buf = views` after use.
    pub(super) fn cc_views(&mut self) -> Vec<SubflowCcView> {
        let mut views = std::mem::take(&mut self.cc_buf);
        views.clear();
        views.extend(self.subflows.iter().map(|s| {
            let mut v = s.tcp.cc_view();
            v.usable = v.usable && s.is_open() && !s.pf;
            v
        }));
        views
    }

    /// Builds the scheduler's view of every subflow.
    pub(super) fn scheduler_views(&mut self) {
        self.views.clear();
        self.views.extend(self.subflows.iter().map(Subflow::scheduler_view));
    }

    pub(super) fn report_health(&mut self, now: SimTime, idx: usize) {
        let h = self.health(idx);
        self.pm.handle_event(now, PmEvent::SubflowHealth(h));
    }

    pub(super) fn health(&self, idx: usize) -> SubflowHealth {
        let sf = &self.subflows[idx];
        let kind = sf
            .iface
            .and_then(|i| self.ifaces.iter().find(|x| x.id == i))
            .map_or(path_manager::IfaceKind::Preferred, |i| i.info.kind);
        let flight = sf.tcp.bytes_in_flight();
        SubflowHealth {
            subflow: self.pm_id(idx),
            iface_kind: kind,
            usable: sf.is_open() && sf.fully_established && matches!(sf.tcp.state(), TcpState::Established),
            srtt: sf.tcp.srtt(),
            rto: sf.tcp.rto(),
            rxtshift: sf.tcp.rtt_estimator().backoff(),
            cwnd_space_bytes: sf.tcp.cwnd_bytes().saturating_sub(flight),
            data_pending: self.tx.unsent_bytes() > 0 || flight > 0,
        }
    }
}
