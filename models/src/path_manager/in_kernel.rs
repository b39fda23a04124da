//! The upstream Linux in-kernel path manager (Linux 5.6+, as in 6.x:
//! net/mptcp/pm_kernel.c, pm.c, pm_netlink.c), driven by endpoints (`ip
//! mptcp endpoint add ADDR [signal] [subflow] [backup] [fullmesh]`) and
//! limits (`ip mptcp limits set subflows N add_addr_accepted M`).
//!
//! Rules (function names from net/mptcp/pm_kernel.c unless said otherwise):
//! - Endpoints are a list in the order they were added, each with an id
//!   (1, 2, ... the next free one from `next_id`,
//!   `mptcp_pm_nl_append_new_local_addr`), at most 8 (`MPTCP_PM_ADDR_MAX`).
//!   An endpoint whose address is already one, or with both `signal` and
//!   `fullmesh`, is refused (`mptcp_pm_nl_add_addr_doit`).
//! - Once the connection is fully established (pm.c
//!   `mptcp_pm_fully_established`), and again after each subflow is
//!   established or closed (`mptcp_pm_subflow_established`,
//!   `mptcp_pm_subflow_check_next`) and each endpoint added
//!   (`mptcp_nl_add_subflow_or_signal_addr`), the path manager runs
//!   `mptcp_pm_create_subflow_or_signal_addr`:
//!   * the initial subflow's address, if it is an endpoint, is marked used;
//!     if that endpoint is a backup, the initial subflow is flagged backup
//!     with MP_PRIO (the "lazy endpoint usage accounting for the MPC
//!     subflows");
//!   * every `signal` endpoint not yet used is announced with ADD_ADDR (id
//!     0 for the initial subflow's address);
//!   * while fewer `subflow` endpoints are in use than exist and fewer
//!     additional subflows than `subflows` exist, the first unused
//!     `subflow` endpoint opens a subflow to the peer's initial address, or,
//!     when it is `fullmesh`, one to every peer address a subflow already
//!     goes to (`select_local_address`, `fill_remote_addresses_vec`), with
//!     the MP_JOIN B bit from its `backup` flag. Each endpoint is used once
//!     per connection: a subflow that dies is not opened again.
//! - ADD_ADDR from the peer (`mptcp_pm_nl_add_addr_received`, when fewer
//!   than `add_addr_accepted` were accepted and fewer than `subflows`
//!   additional subflows exist): unless a subflow already goes to that
//!   address, one subflow to it from every `fullmesh` endpoint, or, with
//!   none, one from the address the default route uses.
//! - Endpoint removed (`mptcp_nl_remove_subflow_and_signal_addr`): if it was
//!   announced or a subflow uses it, REMOVE_ADDR with its id (0 for the
//!   initial subflow's address); every subflow from it has its data
//!   reinjected and is closed with a FIN (pm.c `mptcp_pm_rm_addr_or_subflow`:
//!   `mptcp_subflow_shutdown`, `mptcp_close_ssk`, whose
//!   `__mptcp_retransmit_pending_data` requeues what is not data-ACKed).
//! - REMOVE_ADDR from the peer (pm.c `mptcp_pm_rm_addr_recv`): the same for
//!   every subflow to that peer address id.
//! - Endpoint flags changed (`mptcp_pm_nl_set_flags`): only `backup` and
//!   `fullmesh` change. A new `backup` sends MP_PRIO on every subflow from
//!   the address (`mptcp_pm_mp_prio_send_ack`); a new `fullmesh` on a
//!   `subflow` endpoint closes its subflows and opens them again by the new
//!   rule (`mptcp_pm_nl_fullmesh`).
//! - The server accepts an MP_JOIN while fewer than `subflows` additional
//!   subflows exist (pm.c `mptcp_pm_allow_new_subflow`).
//! - Link state is none of its business: no netdevice notifier. An
//!   interface going down changes nothing here; a subflow on it times out
//!   as TCP does, and its endpoint stays used. (A connection manager such
//!   as mptcpd reacts to link state by adding and removing endpoints: the
//!   scenario's timeline does that.) The one use of link state is routing:
//!   the initial subflow goes out on the default route, and a subflow from
//!   an endpoint whose interface is down fails at once (no route, as
//!   `__mptcp_subflow_connect` would), leaving the endpoint used.
//!
//! Simplified, and what a user could observe:
//! - Linux announces one address at a time and waits for its ADD_ADDR echo
//!   (or the ADD_ADDR timer) before the next announcement and before it
//!   opens subflows; here every `signal` endpoint is announced at once and
//!   subflows open without waiting (there is no echo).
//! - The server never opens subflows (Linux would, from its `subflow`
//!   endpoints, towards the client's address), and a server host has only
//!   the address of its one interface, so its endpoints are moot.
//! - REMOVE_ADDR goes on a segment of a subflow that is not being closed
//!   (Linux queues it before the closes and sends it on the first active
//!   subflow that is not stale, `mptcp_pm_addr_send_ack`).
//! - Limits are per connection (Linux's are per network namespace, shared
//!   by its connections), endpoint ids too.
//! - A subflow whose MP_JOIN is still in its handshake when its peer address
//!   is removed is left to finish or fail.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use sim_core::{IfaceId, SimTime};

use super::{EndpointFlags, Interfaces, PathManager, Phase, PmAction, PmEvent, RemoteAddr, Role, SubflowId};

/// `MPTCP_PM_ADDR_MAX`: the most endpoints, and the largest limit.
pub const MAX_ADDRS: u8 = 8;

/// The limits of `ip mptcp limits set` (net/mptcp/pm_kernel.c
/// `mptcp_pm_nl_set_limits_doit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InKernelConfig {
    /// `subflows`: additional subflows (beyond the initial one) a
    /// connection may have, 0 to 8. Linux's default is 2 (`pm_nl_init_net`:
    /// "2 subflows ought to be enough for anybody").
    pub subflows: u8,
    /// `add_addr_accepted`: ADD_ADDRs from the peer that may open subflows,
    /// 0 to 8. Linux's default is 0.
    pub add_addr_accepted: u8,
}

impl Default for InKernelConfig {
    fn default() -> Self {
        InKernelConfig {
            subflows: 2,
            add_addr_accepted: 0,
        }
    }
}

impl InKernelConfig {
    /// Linux refuses a limit above `MPTCP_PM_ADDR_MAX` (`parse_limit`).
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("subflows", self.subflows),
            ("add_addr_accepted", self.add_addr_accepted),
        ] {
            if v > MAX_ADDRS {
                return Err(format!(
                    "`{name}` is {v}; expected at most {MAX_ADDRS} (Linux's MPTCP_PM_ADDR_MAX)"
                ));
            }
        }
        Ok(())
    }
}

impl crate::policy::PathManagerFactory for InKernelConfig {
    fn build(&self, role: Role) -> Box<dyn PathManager> {
        Box::new(InKernel::new(role, *self))
    }
}

#[derive(Clone, Copy, Debug)]
struct Endpoint {
    id: u8,
    iface: IfaceId,
    addr: u32,
    flags: EndpointFlags,
}

/// A subflow in the connection's list (Linux `conn_list`, connecting ones
/// included), in the order opened.
#[derive(Clone, Copy, Debug)]
struct Sub {
    /// `None` while this host's MP_JOIN is in its handshake.
    id: Option<SubflowId>,
    iface: IfaceId,
    local_id: u8,
    remote: RemoteAddr,
    /// An MP_JOIN subflow (Linux `request_join || mp_join`): counted in
    /// `subflows`.
    join: bool,
}

/// The in-kernel path manager of one connection.
#[derive(Debug)]
pub struct InKernel {
    cfg: InKernelConfig,
    role: Role,
    /// Interfaces that are up: routing only.
    ifaces: Interfaces,
    /// The endpoint list (`local_addr_list`), in the order added.
    endpoints: Vec<Endpoint>,
    next_id: u8,
    phase: Phase,
    /// `msk->fully_established`.
    fully: bool,
    mpc_accounted: bool,
    /// The endpoint id of the initial subflow's address; 0: none.
    mpc_endpoint_id: u8,
    mpc_iface: Option<IfaceId>,
    initial: Option<SubflowId>,
    /// Endpoint ids used by this connection (the cleared bits of
    /// `id_avail_bitmap`).
    used: BTreeSet<u8>,
    /// Endpoint ids announced (`anno_list`).
    announced: BTreeSet<u8>,
    local_addr_used: u32,
    add_addr_signaled: u32,
    add_addr_accepted: u32,
    /// Additional subflows (`pm.subflows`).
    subflows: u32,
    subs: Vec<Sub>,
    actions: VecDeque<PmAction>,
}

impl InKernel {
    /// A path manager for the `role` side with the limits of `cfg`.
    pub fn new(role: Role, cfg: InKernelConfig) -> Self {
        InKernel {
            cfg,
            role,
            ifaces: Interfaces::default(),
            endpoints: Vec::new(),
            next_id: 1,
            phase: Phase::Idle,
            fully: false,
            mpc_accounted: false,
            mpc_endpoint_id: 0,
            mpc_iface: None,
            initial: None,
            used: BTreeSet::new(),
            announced: BTreeSet::new(),
            local_addr_used: 0,
            add_addr_signaled: 0,
            add_addr_accepted: 0,
            subflows: 0,
            subs: Vec::new(),
            actions: VecDeque::new(),
        }
    }

    fn subflows_max(&self) -> u32 {
        u32::from(self.cfg.subflows)
    }

    fn endpoint_of(&self, iface: IfaceId) -> Option<Endpoint> {
        self.endpoints.iter().find(|e| e.iface == iface).copied()
    }

    /// The id subflows from `ep` carry: 0 for the initial subflow's address
    /// (`mptcp_endp_get_local_id`).
    fn local_id(&self, ep_id: u8) -> u8 {
        if ep_id == self.mpc_endpoint_id { 0 } else { ep_id }
    }

    /// `mptcp_pm_nl_append_new_local_addr`: the first id from `next_id` on
    /// that no endpoint holds, wrapping to 1.
    fn take_id(&mut self) -> u8 {
        let mut id = self.next_id.max(1);
        while self.endpoints.iter().any(|e| e.id == id) {
            id = if id == u8::MAX { 1 } else { id + 1 };
        }
        self.next_id = id;
        id
    }

    fn may_create(&self) -> bool {
        self.role == Role::Client && self.fully && self.phase == Phase::Established
    }

    /// `mptcp_pm_create_subflow_or_signal_addr`.
    fn create_subflow_or_signal_addr(&mut self) {
        if !self.fully || self.phase != Phase::Established {
            return;
        }
        if !self.mpc_accounted {
            self.mpc_accounted = true;
            if let Some(ep) = self.mpc_iface.and_then(|i| self.endpoint_of(i)) {
                self.used.insert(ep.id);
                self.mpc_endpoint_id = ep.id;
                if ep.flags.backup
                    && let Some(sf) = self.initial
                {
                    self.actions.push_back(PmAction::SetBackup {
                        subflow: sf,
                        backup: true,
                    });
                }
            }
        }
        let signal_max = self.endpoints.iter().filter(|e| e.flags.signal).count() as u32;
        let mut signal_and_subflow = None;
        while self.add_addr_signaled < signal_max {
            let Some(ep) = self
                .endpoints
                .iter()
                .find(|e| e.flags.signal && !self.used.contains(&e.id))
                .copied()
            else {
                break;
            };
            self.used.insert(ep.id);
            self.announced.insert(ep.id);
            self.add_addr_signaled += 1;
            self.actions.push_back(PmAction::AnnounceAddress {
                addr_id: self.local_id(ep.id),
                addr: ep.addr,
            });
            if ep.flags.subflow && signal_and_subflow.is_none() {
                signal_and_subflow = Some(ep);
            }
        }
        if !self.may_create() {
            return;
        }
        let local_max = self.endpoints.iter().filter(|e| e.flags.subflow).count() as u32;
        while self.local_addr_used < local_max && self.subflows < self.subflows_max() {
            let ep = match signal_and_subflow.take() {
                Some(ep) => ep,
                None => match self
                    .endpoints
                    .iter()
                    .find(|e| e.flags.subflow && !self.used.contains(&e.id))
                    .copied()
                {
                    Some(ep) => ep,
                    None => break,
                },
            };
            self.used.insert(ep.id);
            let local_id = self.local_id(ep.id);
            if local_id != 0 {
                self.local_addr_used += 1;
            }
            for remote in self.fill_remote_addresses(local_id, ep.flags.fullmesh) {
                self.connect(ep.iface, local_id, remote, ep.flags.backup);
            }
        }
    }

    /// `fill_remote_addresses_vec`: the peer's initial address, or (fullmesh)
    /// every peer address of a subflow not yet reached from `local_id`.
    fn fill_remote_addresses(&mut self, local_id: u8, fullmesh: bool) -> Vec<RemoteAddr> {
        let Some(initial) = self.subs.first().map(|s| s.remote) else {
            return Vec::new();
        };
        if !fullmesh {
            self.subflows += 1;
            return vec![initial];
        }
        let mut unavail: BTreeSet<u8> = self
            .subs
            .iter()
            .filter(|s| s.local_id == local_id)
            .map(|s| s.remote.id)
            .collect();
        let mut out = Vec::new();
        for s in &self.subs {
            if unavail.contains(&s.remote.id) {
                continue;
            }
            if self.subflows < self.subflows_max() {
                unavail.insert(s.remote.id);
                self.subflows += 1;
                out.push(s.remote);
            }
        }
        out
    }

    /// `__mptcp_subflow_connect`, the subflow already counted. With its
    /// interface down there is no route: the connect fails at once and the
    /// count is undone (`err_out: mptcp_pm_close_subflow`).
    fn connect(&mut self, iface: IfaceId, local_id: u8, remote: RemoteAddr, backup: bool) {
        if self.ifaces.get(iface).is_none() {
            self.subflows = self.subflows.saturating_sub(1);
            return;
        }
        self.subs.push(Sub {
            id: None,
            iface,
            local_id,
            remote,
            join: true,
        });
        self.actions.push_back(PmAction::OpenSubflow {
            iface,
            local_addr_id: local_id,
            remote,
            backup,
        });
    }

    /// A local id for a subflow from `iface` that no endpoint names
    /// (Linux makes an implicit endpoint, `mptcp_pm_nl_get_local_id`).
    fn local_id_of_iface(&mut self, iface: IfaceId) -> u8 {
        if Some(iface) == self.mpc_iface {
            return 0;
        }
        match self.endpoint_of(iface) {
            Some(ep) => self.local_id(ep.id),
            None => {
                let mut id = 1u8;
                while self.endpoints.iter().any(|e| e.id == id) || self.subs.iter().any(|s| s.local_id == id) {
                    id = id.saturating_add(1);
                }
                id
            }
        }
    }

    /// `mptcp_pm_nl_add_addr_received`.
    fn add_addr_received(&mut self, remote: RemoteAddr) {
        if self.role != Role::Client || !self.may_create() {
            return;
        }
        let accept = self.subflows_max() > 0
            && self.add_addr_accepted < u32::from(self.cfg.add_addr_accepted)
            && self.subflows < self.subflows_max();
        if !accept {
            return;
        }
        if self
            .subs
            .iter()
            .any(|s| s.remote.addr == remote.addr && s.remote.port == remote.port)
        {
            return;
        }
        // fill_local_addresses_vec: every fullmesh endpoint, else the address
        // the routing picks.
        let mut locals: Vec<(IfaceId, u8, bool)> = Vec::new();
        for ep in self.endpoints.clone() {
            if ep.flags.fullmesh && self.subflows < self.subflows_max() {
                self.subflows += 1;
                locals.push((ep.iface, self.local_id(ep.id), ep.flags.backup));
            }
        }
        if locals.is_empty() {
            let Some(iface) = self.ifaces.default_route() else {
                return;
            };
            self.subflows += 1;
            let id = self.local_id_of_iface(iface);
            locals.push((iface, id, false));
        }
        let before = self.subs.len();
        for (iface, id, backup) in locals {
            self.connect(iface, id, remote, backup);
        }
        if self.subs.len() > before && remote.id != 0 {
            self.add_addr_accepted += 1;
        }
    }

    /// pm.c `mptcp_pm_rm_addr_or_subflow`: reinject and close every subflow
    /// `doomed` picks; returns whether one of them was an MP_JOIN subflow.
    fn close_subflows(&mut self, doomed: impl Fn(&Sub) -> bool) -> bool {
        let mut removed_join = false;
        let mut keep = Vec::with_capacity(self.subs.len());
        for s in std::mem::take(&mut self.subs) {
            match s.id {
                Some(sf) if doomed(&s) => {
                    self.actions.push_back(PmAction::Reinject { subflow: sf });
                    self.actions.push_back(PmAction::CloseSubflow { subflow: sf });
                    if s.join {
                        removed_join = true;
                        self.subflows = self.subflows.saturating_sub(1);
                    }
                }
                _ => keep.push(s),
            }
        }
        self.subs = keep;
        removed_join
    }

    /// `__mark_subflow_endp_available`.
    fn mark_available(&mut self, local_id: u8) {
        let key = if local_id == 0 { self.mpc_endpoint_id } else { local_id };
        if self.used.remove(&key) && local_id != 0 {
            self.local_addr_used = self.local_addr_used.saturating_sub(1);
        }
    }

    /// `mptcp_pm_nl_add_addr_doit` -> `mptcp_nl_add_subflow_or_signal_addr`.
    fn endpoint_added(&mut self, iface: IfaceId, addr: u32, flags: EndpointFlags) {
        if self.endpoint_of(iface).is_some()
            || self.endpoints.len() >= usize::from(MAX_ADDRS)
            || (flags.signal && flags.fullmesh)
        {
            return;
        }
        let id = self.take_id();
        self.endpoints.push(Endpoint { id, iface, addr, flags });
        if self.fully && self.phase == Phase::Established {
            if Some(iface) == self.mpc_iface {
                self.mpc_endpoint_id = id;
            }
            self.create_subflow_or_signal_addr();
        }
    }

    /// `mptcp_pm_nl_del_addr_doit` -> `mptcp_nl_remove_subflow_and_signal_addr`.
    fn endpoint_removed(&mut self, iface: IfaceId) {
        let Some(pos) = self.endpoints.iter().position(|e| e.iface == iface) else {
            return;
        };
        let ep = self.endpoints.remove(pos);
        if self.subs.is_empty() {
            return;
        }
        let local_id = self.local_id(ep.id);
        let remove_subflow = self.subs.iter().any(|s| s.iface == iface);
        let announced = self.announced.remove(&ep.id);
        if announced {
            self.used.remove(&ep.id);
            self.add_addr_signaled = self.add_addr_signaled.saturating_sub(1);
        }
        if announced || remove_subflow {
            self.actions.push_back(PmAction::RemoveAddress { addr_id: local_id });
        }
        if remove_subflow {
            self.close_subflows(|s| s.local_id == local_id);
        }
        if ep.flags.subflow {
            self.mark_available(local_id);
        }
        if self.mpc_endpoint_id == ep.id {
            self.mpc_endpoint_id = 0;
        }
        if remove_subflow {
            // mptcp_pm_subflow_check_next for the subflows just closed.
            self.create_subflow_or_signal_addr();
        }
    }

    /// `mptcp_pm_nl_set_flags` -> `mptcp_pm_nl_set_flags_all`.
    fn endpoint_changed(&mut self, iface: IfaceId, backup: bool, fullmesh: bool) {
        let Some(pos) = self.endpoints.iter().position(|e| e.iface == iface) else {
            return;
        };
        let ep = self.endpoints[pos];
        if fullmesh && ep.flags.signal {
            return;
        }
        let backup_changed = ep.flags.backup != backup;
        let fullmesh_changed = ep.flags.fullmesh != fullmesh;
        self.endpoints[pos].flags.backup = backup;
        self.endpoints[pos].flags.fullmesh = fullmesh;
        if (!backup_changed && !ep.flags.subflow) || self.subs.is_empty() {
            return;
        }
        if backup_changed {
            // mptcp_pm_mp_prio_send_ack: every subflow from the address.
            for s in &self.subs {
                if s.iface == iface
                    && let Some(sf) = s.id
                {
                    self.actions.push_back(PmAction::SetBackup { subflow: sf, backup });
                }
            }
        }
        if ep.flags.subflow && fullmesh_changed {
            // mptcp_pm_nl_fullmesh.
            let local_id = self.local_id(ep.id);
            self.close_subflows(|s| s.local_id == local_id);
            self.mark_available(local_id);
            self.create_subflow_or_signal_addr();
        }
    }
}

impl PathManager for InKernel {
    fn name(&self) -> &'static str {
        "in_kernel"
    }

    fn handle_event(&mut self, _now: SimTime, event: PmEvent) {
        match event {
            PmEvent::InterfaceUp { iface, info } => {
                self.ifaces.set_up(iface, info);
                let connect = self.phase.interface_up(&self.ifaces, true);
                self.actions.extend(connect);
            }
            PmEvent::InterfaceDown { iface } => {
                self.ifaces.set_down(iface);
            }
            PmEvent::ConnectRequested { remote_addr } => {
                let connect = self.phase.connect_requested(self.role, &self.ifaces, remote_addr, true);
                self.actions.extend(connect);
            }
            PmEvent::ConnectionEstablished {
                subflow,
                iface,
                remote_addr,
                mptcp,
            } => {
                if !mptcp {
                    self.phase = Phase::PlainTcp;
                    return;
                }
                self.phase = Phase::Established;
                self.initial = Some(subflow);
                self.mpc_iface = Some(iface);
                self.subs.push(Sub {
                    id: Some(subflow),
                    iface,
                    local_id: 0,
                    remote: RemoteAddr::initial(remote_addr),
                    join: false,
                });
                self.create_subflow_or_signal_addr();
            }
            PmEvent::ConnectionFullyEstablished => {
                self.fully = true;
                self.create_subflow_or_signal_addr();
            }
            PmEvent::SubflowEstablished {
                subflow, iface, remote, ..
            } => {
                if let Some(s) = self.subs.iter_mut().find(|s| s.id.is_none() && s.iface == iface) {
                    s.id = Some(subflow);
                } else {
                    // The server: pm.c mptcp_pm_allow_new_subflow counted it.
                    self.subflows += 1;
                    self.subs.push(Sub {
                        id: Some(subflow),
                        iface,
                        local_id: 0,
                        remote,
                        join: true,
                    });
                }
                self.create_subflow_or_signal_addr();
            }
            PmEvent::SubflowClosed { subflow, iface, .. } => {
                let pos = self
                    .subs
                    .iter()
                    .position(|s| s.id == Some(subflow))
                    .or_else(|| self.subs.iter().position(|s| s.id.is_none() && s.iface == iface));
                if let Some(pos) = pos {
                    let s = self.subs.remove(pos);
                    if s.join {
                        self.subflows = self.subflows.saturating_sub(1);
                    }
                    // mptcp_pm_subflow_check_next: try the next endpoints.
                    self.create_subflow_or_signal_addr();
                } else if let Phase::Connecting { iface: i, .. } = self.phase
                    && i == iface
                {
                    self.phase = Phase::Closing;
                }
            }
            PmEvent::AddressAnnounced { remote } => self.add_addr_received(remote),
            PmEvent::AddressRemoved { id } => {
                let removed_join = self.close_subflows(|s| s.remote.id == id);
                if removed_join && id != 0 {
                    // mptcp_pm_nl_rm_addr.
                    self.add_addr_accepted = self.add_addr_accepted.saturating_sub(1);
                }
                self.create_subflow_or_signal_addr();
            }
            PmEvent::EndpointAdded { iface, addr, flags } => self.endpoint_added(iface, addr, flags),
            PmEvent::EndpointRemoved { iface } => self.endpoint_removed(iface),
            PmEvent::EndpointChanged {
                iface,
                backup,
                fullmesh,
            } => self.endpoint_changed(iface, backup, fullmesh),
            PmEvent::ConnectionClosing => self.phase = Phase::Closing,
            PmEvent::InterfaceBackupChanged { .. } | PmEvent::SubflowHealth(_) | PmEvent::WifiAdvisory { .. } => {}
        }
    }

    fn poll_action(&mut self) -> Option<PmAction> {
        self.actions.pop_front()
    }

    fn accepts_joins(&self) -> bool {
        self.subflows < self.subflows_max()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{CloseReason, IfaceInfo};
    use super::*;

    fn flags(signal: bool, subflow: bool, backup: bool, fullmesh: bool) -> EndpointFlags {
        EndpointFlags {
            signal,
            subflow,
            backup,
            fullmesh,
        }
    }
    fn subflow_ep() -> EndpointFlags {
        flags(false, true, false, false)
    }
    fn endpoint(iface: IfaceId, info: IfaceInfo, flags: EndpointFlags) -> PmEvent {
        PmEvent::EndpointAdded {
            iface,
            addr: info.addr,
            flags,
        }
    }

    /// A client with wifi (endpoint `wifi_ep`) and cell (endpoint
    /// `cell_ep`), both up, whose initial subflow 0 on wifi is established
    /// and fully established.
    fn client(cfg: InKernelConfig, wifi_ep: EndpointFlags, cell_ep: EndpointFlags) -> (InKernel, Vec<PmAction>) {
        let mut pm = InKernel::new(Role::Client, cfg);
        event(&mut pm, ms(0), endpoint(WIFI, wifi(), wifi_ep));
        event(&mut pm, ms(0), endpoint(CELL, cell(), cell_ep));
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        let acts = event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        assert_eq!(
            acts,
            vec![PmAction::OpenInitialSubflow {
                iface: WIFI,
                remote_addr: SERVER,
                mptcp: true
            }]
        );
        assert!(event(&mut pm, ms(20), established(0, WIFI)).is_empty());
        let acts = event(&mut pm, ms(40), PmEvent::ConnectionFullyEstablished);
        (pm, acts)
    }

    fn open_cell(local_addr_id: u8, backup: bool) -> PmAction {
        PmAction::OpenSubflow {
            iface: CELL,
            local_addr_id,
            remote: RemoteAddr::initial(SERVER),
            backup,
        }
    }

    #[test]
    fn the_defaults_are_linux_limits_of_two_subflows_and_no_accepted_address() {
        let c = InKernelConfig::default();
        assert_eq!((c.subflows, c.add_addr_accepted), (2, 0));
        assert!(c.validate().is_ok());
        let too_many = InKernelConfig { subflows: 9, ..c };
        assert!(too_many.validate().unwrap_err().contains("at most 8"));
    }

    #[test]
    fn a_subflow_endpoint_opens_its_subflow_once_the_connection_is_fully_established() {
        let (mut pm, acts) = client(InKernelConfig::default(), subflow_ep(), flags(false, true, true, false));
        // The wifi endpoint carries the initial subflow (id 1 used, no
        // subflow of its own); cell (id 2) joins with the B bit.
        assert_eq!(acts, vec![open_cell(2, true)]);
        // Established: nothing more to open.
        assert!(event(&mut pm, ms(90), joined(1, CELL, true)).is_empty());
    }

    #[test]
    fn nothing_opens_before_full_establishment() {
        let mut pm = InKernel::new(Role::Client, InKernelConfig::default());
        event(&mut pm, ms(0), endpoint(WIFI, wifi(), subflow_ep()));
        event(&mut pm, ms(0), endpoint(CELL, cell(), subflow_ep()));
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        assert!(event(&mut pm, ms(20), established(0, WIFI)).is_empty());
    }

    #[test]
    fn a_backup_endpoint_on_the_initial_subflow_sends_mp_prio() {
        let (_, acts) = client(InKernelConfig::default(), flags(false, true, true, false), subflow_ep());
        assert_eq!(
            acts,
            vec![
                PmAction::SetBackup {
                    subflow: SubflowId(0),
                    backup: true
                },
                open_cell(2, false)
            ]
        );
    }

    #[test]
    fn the_subflows_limit_caps_additional_subflows() {
        let cfg = InKernelConfig {
            subflows: 0,
            ..Default::default()
        };
        let (_, acts) = client(cfg, subflow_ep(), subflow_ep());
        assert!(acts.is_empty());
    }

    #[test]
    fn a_signal_endpoint_is_announced_with_add_addr() {
        let (_, acts) = client(
            InKernelConfig::default(),
            subflow_ep(),
            flags(true, false, false, false),
        );
        assert_eq!(
            acts,
            vec![PmAction::AnnounceAddress {
                addr_id: 2,
                addr: CELL_ADDR
            }]
        );
    }

    #[test]
    fn link_state_changes_nothing() {
        let (mut pm, _) = client(InKernelConfig::default(), subflow_ep(), subflow_ep());
        event(&mut pm, ms(90), joined(1, CELL, false));
        assert!(down(&mut pm, ms(3800), WIFI).is_empty());
        assert!(up(&mut pm, ms(5000), WIFI, wifi()).is_empty());
        // A subflow that times out is not opened again: its endpoint stays used.
        let closed = PmEvent::SubflowClosed {
            subflow: SubflowId(1),
            iface: CELL,
            remote_addr: SERVER,
            reason: CloseReason::Timeout,
        };
        assert!(event(&mut pm, ms(9000), closed).is_empty());
    }

    #[test]
    fn removing_the_initial_subflows_endpoint_sends_remove_addr_0_and_closes_it() {
        let (mut pm, _) = client(InKernelConfig::default(), subflow_ep(), flags(false, true, true, false));
        event(&mut pm, ms(90), joined(1, CELL, true));
        let acts = event(&mut pm, ms(3800), PmEvent::EndpointRemoved { iface: WIFI });
        assert_eq!(
            acts,
            vec![
                PmAction::RemoveAddress { addr_id: 0 },
                PmAction::Reinject { subflow: SubflowId(0) },
                PmAction::CloseSubflow { subflow: SubflowId(0) },
            ]
        );
    }

    #[test]
    fn removing_a_joined_endpoint_frees_its_slot_and_a_new_endpoint_opens_at_once() {
        let (mut pm, _) = client(InKernelConfig::default(), subflow_ep(), subflow_ep());
        event(&mut pm, ms(90), joined(1, CELL, false));
        let acts = event(&mut pm, ms(1000), PmEvent::EndpointRemoved { iface: CELL });
        assert_eq!(
            acts,
            vec![
                PmAction::RemoveAddress { addr_id: 2 },
                PmAction::Reinject { subflow: SubflowId(1) },
                PmAction::CloseSubflow { subflow: SubflowId(1) },
            ]
        );
        // Added again: the first free id from the last one given (2 again,
        // find_next_zero_bit from next_id) and a subflow at once.
        let acts = event(&mut pm, ms(2000), endpoint(CELL, cell(), subflow_ep()));
        assert_eq!(acts, vec![open_cell(2, false)]);
    }

    #[test]
    fn an_endpoint_on_a_down_interface_fails_to_connect_and_stays_used() {
        let mut pm = InKernel::new(Role::Client, InKernelConfig::default());
        event(&mut pm, ms(0), endpoint(WIFI, wifi(), subflow_ep()));
        event(&mut pm, ms(0), endpoint(CELL, cell(), subflow_ep()));
        up(&mut pm, ms(0), WIFI, wifi());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        event(&mut pm, ms(20), established(0, WIFI));
        assert!(event(&mut pm, ms(40), PmEvent::ConnectionFullyEstablished).is_empty());
        assert!(up(&mut pm, ms(100), CELL, cell()).is_empty());
    }

    #[test]
    fn a_backup_flag_change_sends_mp_prio_on_the_endpoints_subflows() {
        let (mut pm, _) = client(InKernelConfig::default(), subflow_ep(), subflow_ep());
        event(&mut pm, ms(90), joined(1, CELL, false));
        let change = PmEvent::EndpointChanged {
            iface: CELL,
            backup: true,
            fullmesh: false,
        };
        assert_eq!(
            event(&mut pm, ms(500), change),
            vec![PmAction::SetBackup {
                subflow: SubflowId(1),
                backup: true
            }]
        );
    }

    #[test]
    fn add_addr_opens_a_subflow_from_the_default_route_only_within_add_addr_accepted() {
        let peer = RemoteAddr {
            id: 1,
            addr: 0x0A00_0002,
            port: None,
        };
        let (mut pm, _) = client(
            InKernelConfig::default(),
            subflow_ep(),
            flags(false, false, false, false),
        );
        assert!(event(&mut pm, ms(100), PmEvent::AddressAnnounced { remote: peer }).is_empty());
        let cfg = InKernelConfig {
            add_addr_accepted: 1,
            ..Default::default()
        };
        let (mut pm, _) = client(cfg, subflow_ep(), flags(false, false, false, false));
        assert_eq!(
            event(&mut pm, ms(100), PmEvent::AddressAnnounced { remote: peer }),
            vec![PmAction::OpenSubflow {
                iface: WIFI,
                local_addr_id: 0,
                remote: peer,
                backup: false
            }]
        );
    }

    #[test]
    fn a_fullmesh_endpoint_reaches_every_known_peer_address() {
        let peer = RemoteAddr {
            id: 1,
            addr: 0x0A00_0002,
            port: None,
        };
        let cfg = InKernelConfig {
            subflows: 4,
            add_addr_accepted: 1,
        };
        let (mut pm, acts) = client(cfg, subflow_ep(), flags(false, true, false, true));
        assert_eq!(acts, vec![open_cell(2, false)]);
        event(&mut pm, ms(90), joined(1, CELL, false));
        // ADD_ADDR: one subflow from each fullmesh endpoint (cell).
        assert_eq!(
            event(&mut pm, ms(100), PmEvent::AddressAnnounced { remote: peer }),
            vec![PmAction::OpenSubflow {
                iface: CELL,
                local_addr_id: 2,
                remote: peer,
                backup: false
            }]
        );
    }

    #[test]
    fn the_server_accepts_joins_up_to_the_subflows_limit_and_closes_on_remove_addr() {
        let cfg = InKernelConfig {
            subflows: 1,
            ..Default::default()
        };
        let mut pm = InKernel::new(Role::Server, cfg);
        let here = IfaceId(9);
        up(&mut pm, ms(0), here, wifi());
        assert!(event(&mut pm, ms(10), established(0, here)).is_empty());
        assert!(event(&mut pm, ms(10), PmEvent::ConnectionFullyEstablished).is_empty());
        assert!(pm.accepts_joins());
        let join = PmEvent::SubflowEstablished {
            subflow: SubflowId(1),
            iface: here,
            remote: RemoteAddr {
                id: 2,
                addr: CELL_ADDR,
                port: None,
            },
            backup: true,
            initiated_locally: false,
        };
        assert!(event(&mut pm, ms(60), join).is_empty());
        assert!(!pm.accepts_joins());
        assert_eq!(
            event(&mut pm, ms(3900), PmEvent::AddressRemoved { id: 0 }),
            vec![
                PmAction::Reinject { subflow: SubflowId(0) },
                PmAction::CloseSubflow { subflow: SubflowId(0) },
            ]
        );
    }
}
