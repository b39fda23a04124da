//! The Linux out-of-tree `fullmesh` path manager (multipath-tcp/mptcp v0.9x,
//! net/mptcp/mptcp_fullmesh.c): one subflow per (local address, remote
//! address) pair.
//!
//! Rules (function names from mptcp_fullmesh.c unless said otherwise):
//! - Once the initial subflow is fully established, the client opens a
//!   subflow from every local interface to every known remote address it has
//!   not tried yet (`full_mesh_create_subflows` -> `create_subflow_worker`,
//!   one bit per (remote, local) pair; `num_subflows` = 1). The server never
//!   opens subflows (`mpcb->server_side`).
//! - Both ends announce their other local addresses with ADD_ADDR
//!   (`full_mesh_new_session`, then `full_mesh_addr_signal`); the address of
//!   the initial subflow is not announced again.
//! - An ADD_ADDR from the peer adds a remote address and opens the missing
//!   pairs (`full_mesh_add_raddr`, `new_remote_address`).
//! - Interface events reach connections through a per-namespace address
//!   worker that runs 500 ms after the first queued event (`add_pm_event`:
//!   `queue_delayed_work(..., msecs_to_jiffies(500))`), merging events for
//!   the same address (`lookup_similar_event`: a removal cancels a queued
//!   addition; an addition or a change updates the queued event).
//!   * Address added (NETDEV_UP): ADD_ADDR, open the missing pairs
//!     (`mptcp_address_worker`, MPTCP_EVENT_ADD).
//!   * Address removed (NETDEV_DOWN): for every subflow from it, reinject
//!     its data, REMOVE_ADDR with its local id, close it without an RST
//!     (`mptcp_reinject_data(sk, 0)`, `announce_remove_addr`,
//!     `mptcp_sub_force_close`); forget its pairs (`update_addr_bitfields`).
//!   * Backup flag changed (NETDEV_CHANGE of `IFF_MPBACKUP`): MP_PRIO on
//!     every subflow from it whose flag differs (MPTCP_EVENT_MOD).
//! - `create_on_err` (default 1): a dead subflow's pair may be opened again
//!   (`full_mesh_delete_subflow`), and a subflow that died of a timeout
//!   triggers that at once (`full_mesh_subflow_error`, `ETIMEDOUT`).
//! - REMOVE_ADDR from the peer (core, mptcp_input.c `mptcp_handle_rem_addr`):
//!   forget the address, reinject and reset every subflow to it.
//! - New subflows carry the backup flag of their local interface
//!   (`low_prio` of the local address, from `IFF_MPBACKUP`).
//!
//! Simplified, and what a user could observe:
//! - Interface events that arrive before the connection is established are
//!   applied at once (the address list already holds them); after that they
//!   wait for the worker, so the connection keeps sending on a dead interface
//!   for up to 500 ms (set [`FullMeshConfig::address_event_delay`] to zero to
//!   react at once).
//! - Local address ids are handed out 1, 2, 3... in the order interfaces are
//!   added, a fresh one each time an interface comes back, up to 255 and
//!   then again from 1, skipping the ids in use (Linux takes the next free
//!   slot after the last one used, `__mptcp_find_free_index` over the 8
//!   bits of `loc4_bits`); the initial subflow uses id 0.
//! - `num_subflows` is fixed at 1 (the default); the routing retry of
//!   `retry_subflow_worker` never triggers (an up interface is always routable).
//! - The initial subflow never carries the backup flag, even from a backup
//!   interface (MP_CAPABLE has no B bit); a later change sends MP_PRIO.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use sim_core::{IfaceId, SimDuration, SimTime};

use super::{CloseReason, IfaceInfo, Interfaces, PathManager, Phase, PmAction, PmEvent, RemoteAddr, Role, SubflowId};

/// At most this many remote addresses are remembered (`MPTCP_MAX_ADDR`).
const MAX_REMOTE_ADDRS: usize = 8;

/// Knobs of the Linux module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FullMeshConfig {
    /// Module parameter `create_on_err` (default on).
    pub create_on_err: bool,
    /// Delay of the address worker after the first queued interface event
    /// (500 ms in Linux); zero applies events at once.
    #[serde(alias = "join_delay")]
    pub address_event_delay: SimDuration,
}

impl Default for FullMeshConfig {
    fn default() -> Self {
        FullMeshConfig {
            create_on_err: true,
            address_event_delay: SimDuration::from_millis(500),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AddrEventCode {
    Add(IfaceInfo),
    Del,
    Mod { backup: bool },
}

#[derive(Clone, Copy, Debug)]
struct AddrEvent {
    iface: IfaceId,
    code: AddrEventCode,
}

#[derive(Clone, Debug)]
struct RemoteEntry {
    remote: RemoteAddr,
    /// Local interfaces a subflow to this address was opened from (the
    /// `bitfield` of `fullmesh_rem4`).
    tried: BTreeSet<IfaceId>,
}

#[derive(Clone, Copy, Debug)]
struct Sub {
    iface: IfaceId,
    local_id: u8,
    remote_id: u8,
    backup: bool,
}

/// Linux fullmesh.
#[derive(Debug)]
pub struct FullMesh {
    cfg: FullMeshConfig,
    role: Role,
    /// The local address list as the worker last left it.
    ifaces: Interfaces,
    local_ids: BTreeMap<IfaceId, u8>,
    next_local_id: u8,
    pending: Vec<AddrEvent>,
    worker_at: Option<SimTime>,
    phase: Phase,
    remotes: Vec<RemoteEntry>,
    subflows: BTreeMap<SubflowId, Sub>,
    actions: VecDeque<PmAction>,
}

impl FullMesh {
    /// A path manager for the `role` side with the knobs of `cfg`.
    pub fn new(role: Role, cfg: FullMeshConfig) -> Self {
        FullMesh {
            cfg,
            role,
            ifaces: Interfaces::default(),
            local_ids: BTreeMap::new(),
            next_local_id: 1,
            pending: Vec::new(),
            worker_at: None,
            phase: Phase::Idle,
            remotes: Vec::new(),
            subflows: BTreeMap::new(),
            actions: VecDeque::new(),
        }
    }

    fn established(&self) -> bool {
        self.phase == Phase::Established
    }

    /// A local address id for an interface that comes up: the first id
    /// from `next_local_id` on that no up interface holds, never 0 (the
    /// initial subflow's address, RFC 8684 3.4.1), so ids wrap after 255
    /// without naming two addresses alike (Linux v0.95 mptcp_fullmesh.c
    /// takes the next free bit after the last one used,
    /// `__mptcp_find_free_index`). At most 32 interfaces are up, so a free
    /// id always exists.
    fn take_local_id(&mut self) -> u8 {
        let mut id = self.next_local_id;
        for _ in 0..=u8::MAX {
            if id != 0 && !self.local_ids.values().any(|&u| u == id) {
                break;
            }
            id = id.wrapping_add(1);
        }
        self.next_local_id = id.checked_add(1).unwrap_or(1);
        id
    }

    /// `add_pm_event`: merge with a queued event for the same address, arm
    /// the worker.
    fn queue(&mut self, now: SimTime, ev: AddrEvent) {
        if !self.established() || self.cfg.address_event_delay.is_zero() {
            self.apply(ev);
            return;
        }
        if let Some(pos) = self.pending.iter().position(|e| e.iface == ev.iface) {
            match ev.code {
                AddrEventCode::Del => {
                    self.pending.remove(pos);
                    self.pending.push(ev);
                }
                AddrEventCode::Add(info) => {
                    self.pending[pos].code = AddrEventCode::Add(info);
                    return;
                }
                AddrEventCode::Mod { backup } => {
                    match &mut self.pending[pos].code {
                        AddrEventCode::Add(info) => info.backup = backup,
                        AddrEventCode::Mod { backup: b } => *b = backup,
                        AddrEventCode::Del => {}
                    }
                    return;
                }
            }
        } else {
            self.pending.push(ev);
        }
        if self.worker_at.is_none() {
            self.worker_at = Some(now + self.cfg.address_event_delay);
        }
    }

    /// `mptcp_address_worker` for one event.
    fn apply(&mut self, ev: AddrEvent) {
        match ev.code {
            AddrEventCode::Add(info) => {
                if let Some(cur) = self.ifaces.get(ev.iface).copied() {
                    // Known address: only a flag change matters.
                    if cur.backup != info.backup {
                        self.apply(AddrEvent {
                            iface: ev.iface,
                            code: AddrEventCode::Mod { backup: info.backup },
                        });
                    }
                    return;
                }
                let id = self.take_local_id();
                self.ifaces.set_up(ev.iface, info);
                self.local_ids.insert(ev.iface, id);
                self.actions.extend(self.phase.interface_up(&self.ifaces, true));
                if self.established() {
                    self.actions.push_back(PmAction::AnnounceAddress {
                        addr_id: id,
                        addr: info.addr,
                    });
                    self.create_subflows();
                }
            }
            AddrEventCode::Del => {
                if self.ifaces.set_down(ev.iface).is_none() {
                    return;
                }
                let id = self.local_ids.remove(&ev.iface).unwrap_or(0);
                for r in &mut self.remotes {
                    r.tried.remove(&ev.iface);
                }
                let doomed: Vec<(SubflowId, u8)> = self
                    .subflows
                    .iter()
                    .filter(|(_, s)| s.iface == ev.iface)
                    .map(|(sf, s)| (*sf, s.local_id))
                    .collect();
                let mut removed_ids = BTreeSet::new();
                for (sf, local_id) in &doomed {
                    self.subflows.remove(sf);
                    self.actions.push_back(PmAction::Reinject { subflow: *sf });
                    if removed_ids.insert(*local_id) {
                        self.actions.push_back(PmAction::RemoveAddress { addr_id: *local_id });
                    }
                    self.actions.push_back(PmAction::AbortSubflow { subflow: *sf });
                }
                if doomed.is_empty() && id > 0 && self.established() {
                    self.actions.push_back(PmAction::RemoveAddress { addr_id: id });
                }
            }
            AddrEventCode::Mod { backup } => {
                let Some(info) = self.ifaces.get_mut(ev.iface) else {
                    return;
                };
                info.backup = backup;
                for (sf, s) in self.subflows.iter_mut() {
                    if s.iface == ev.iface && s.backup != backup {
                        s.backup = backup;
                        self.actions.push_back(PmAction::SetBackup { subflow: *sf, backup });
                    }
                }
            }
        }
    }

    /// `create_subflow_worker`: every untried (remote, local) pair, client only.
    fn create_subflows(&mut self) {
        if self.role != Role::Client || !self.established() {
            return;
        }
        for r in &mut self.remotes {
            for (iface, info) in self.ifaces.iter() {
                if r.tried.insert(iface) {
                    self.actions.push_back(PmAction::OpenSubflow {
                        iface,
                        local_addr_id: self.local_ids.get(&iface).copied().unwrap_or(0),
                        remote: r.remote,
                        backup: info.backup,
                    });
                }
            }
        }
    }

    /// `full_mesh_add_raddr` (`mptcp_addv4_raddr`).
    fn add_remote(&mut self, remote: RemoteAddr) {
        if let Some(r) = self.remotes.iter_mut().find(|r| r.remote.id == remote.id) {
            // Same id, maybe a new address (the peer is behind a NAT).
            r.remote = remote;
            return;
        }
        if self.remotes.len() < MAX_REMOTE_ADDRS {
            self.remotes.push(RemoteEntry {
                remote,
                tried: BTreeSet::new(),
            });
        }
    }
}

impl PathManager for FullMesh {
    fn name(&self) -> &'static str {
        "fullmesh"
    }

    fn handle_event(&mut self, now: SimTime, event: PmEvent) {
        match event {
            PmEvent::InterfaceUp { iface, info } => self.queue(
                now,
                AddrEvent {
                    iface,
                    code: AddrEventCode::Add(info),
                },
            ),
            PmEvent::InterfaceDown { iface } => self.queue(
                now,
                AddrEvent {
                    iface,
                    code: AddrEventCode::Del,
                },
            ),
            PmEvent::InterfaceBackupChanged { iface, backup } => self.queue(
                now,
                AddrEvent {
                    iface,
                    code: AddrEventCode::Mod { backup },
                },
            ),
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
                self.subflows.insert(
                    subflow,
                    Sub {
                        iface,
                        local_id: 0,
                        remote_id: 0,
                        backup: false,
                    },
                );
                // full_mesh_new_session: the initial pair is taken, the other
                // local addresses are announced.
                self.remotes.push(RemoteEntry {
                    remote: RemoteAddr::initial(remote_addr),
                    tried: BTreeSet::from([iface]),
                });
                for (other, info) in self.ifaces.iter() {
                    if other != iface {
                        let addr_id = self.local_ids.get(&other).copied().unwrap_or(0);
                        self.actions.push_back(PmAction::AnnounceAddress {
                            addr_id,
                            addr: info.addr,
                        });
                    }
                }
                self.create_subflows();
            }
            PmEvent::SubflowEstablished {
                subflow,
                iface,
                remote,
                backup,
                ..
            } => {
                let local_id = self.local_ids.get(&iface).copied().unwrap_or(0);
                self.subflows.insert(
                    subflow,
                    Sub {
                        iface,
                        local_id,
                        remote_id: remote.id,
                        backup,
                    },
                );
            }
            PmEvent::SubflowClosed {
                subflow,
                iface,
                remote_addr,
                reason,
            } => {
                self.subflows.remove(&subflow);
                if let Phase::Connecting { iface: i, .. } = self.phase
                    && i == iface
                {
                    self.phase = Phase::Closing;
                }
                if !self.cfg.create_on_err {
                    return;
                }
                // full_mesh_delete_subflow: the pair may be opened again...
                if self.ifaces.get(iface).is_some() {
                    for r in self.remotes.iter_mut().filter(|r| r.remote.addr == remote_addr) {
                        r.tried.remove(&iface);
                    }
                }
                // ...and full_mesh_subflow_error does so at once on ETIMEDOUT.
                if reason == CloseReason::Timeout {
                    self.create_subflows();
                }
            }
            PmEvent::AddressAnnounced { remote } => {
                self.add_remote(remote);
                self.create_subflows();
            }
            PmEvent::AddressRemoved { id } => {
                self.remotes.retain(|r| r.remote.id != id);
                super::reset_subflows(&mut self.subflows, &mut self.actions, |s| s.remote_id == id);
            }
            PmEvent::ConnectionClosing => self.phase = Phase::Closing,
            PmEvent::SubflowHealth(_)
            | PmEvent::WifiAdvisory { .. }
            | PmEvent::ConnectionFullyEstablished
            | PmEvent::EndpointAdded { .. }
            | PmEvent::EndpointRemoved { .. }
            | PmEvent::EndpointChanged { .. } => {}
        }
    }

    fn poll_action(&mut self) -> Option<PmAction> {
        self.actions.pop_front()
    }

    fn poll_timeout(&self) -> Option<SimTime> {
        self.worker_at
    }

    fn handle_timeout(&mut self, now: SimTime) {
        match self.worker_at {
            Some(at) if at <= now => {
                self.worker_at = None;
                for ev in std::mem::take(&mut self.pending) {
                    self.apply(ev);
                }
            }
            _ => {}
        }
    }

    fn accepts_joins(&self) -> bool {
        true
    }
}

impl crate::policy::PathManagerFactory for FullMeshConfig {
    fn build(&self, role: Role) -> Box<dyn PathManager> {
        Box::new(FullMesh::new(role, *self))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    const SERVER2: u32 = 0x0A00_0002;

    /// A phone with Wi-Fi (local id 1) and cellular (local id 2) up, its
    /// connection established on Wi-Fi as subflow 0; the actions that follow.
    fn established_on_wifi(cfg: FullMeshConfig) -> (FullMesh, Vec<PmAction>) {
        let mut pm = FullMesh::new(Role::Client, cfg);
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        let acts = event(&mut pm, ms(30), established(0, WIFI));
        (pm, acts)
    }

    fn open(iface: IfaceId, local_addr_id: u8, remote: RemoteAddr) -> PmAction {
        PmAction::OpenSubflow {
            iface,
            local_addr_id,
            remote,
            backup: false,
        }
    }

    #[test]
    fn full_mesh_opens_one_subflow_per_address_pair() {
        let (mut pm, acts) = established_on_wifi(FullMeshConfig::default());
        let s1 = RemoteAddr::initial(SERVER);
        assert_eq!(
            acts,
            vec![
                PmAction::AnnounceAddress {
                    addr_id: 2,
                    addr: CELL_ADDR
                },
                open(CELL, 2, s1),
            ]
        );
        let s2 = RemoteAddr {
            id: 1,
            addr: SERVER2,
            port: None,
        };
        let acts = event(&mut pm, ms(40), PmEvent::AddressAnnounced { remote: s2 });
        assert_eq!(acts, vec![open(WIFI, 1, s2), open(CELL, 2, s2)]);
        // 2 local x 2 remote = 4 subflows, the initial one included; a
        // repeated ADD_ADDR opens nothing more.
        assert!(event(&mut pm, ms(50), PmEvent::AddressAnnounced { remote: s2 }).is_empty());
    }

    #[test]
    fn full_mesh_server_announces_its_addresses_but_never_opens_subflows() {
        let mut pm = FullMesh::new(Role::Server, FullMeshConfig::default());
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        assert!(event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER }).is_empty());
        let acts = event(&mut pm, ms(30), established(0, WIFI));
        assert_eq!(
            acts,
            vec![PmAction::AnnounceAddress {
                addr_id: 2,
                addr: CELL_ADDR
            }]
        );
        let peer = RemoteAddr {
            id: 4,
            addr: SERVER2,
            port: None,
        };
        assert!(event(&mut pm, ms(40), PmEvent::AddressAnnounced { remote: peer }).is_empty());
        assert!(pm.accepts_joins());
    }

    #[test]
    fn full_mesh_reacts_to_an_interface_going_down_after_the_500ms_address_worker() {
        let (mut pm, _) = established_on_wifi(FullMeshConfig::default());
        event(&mut pm, ms(60), joined(1, CELL, false));
        assert!(down(&mut pm, ms(1000), CELL).is_empty());
        assert_eq!(pm.poll_timeout(), Some(ms(1500)));
        pm.handle_timeout(ms(1499));
        assert!(drain(&mut pm).is_empty());
        pm.handle_timeout(ms(1500));
        assert_eq!(
            drain(&mut pm),
            vec![
                PmAction::Reinject { subflow: SubflowId(1) },
                PmAction::RemoveAddress { addr_id: 2 },
                PmAction::AbortSubflow { subflow: SubflowId(1) },
            ]
        );
        assert_eq!(pm.poll_timeout(), None);
    }

    #[test]
    fn full_mesh_announces_and_joins_from_an_interface_that_comes_back() {
        let cfg = FullMeshConfig {
            address_event_delay: SimDuration::ZERO,
            ..FullMeshConfig::default()
        };
        let (mut pm, _) = established_on_wifi(cfg);
        event(&mut pm, ms(60), joined(1, CELL, false));
        down(&mut pm, ms(1000), CELL);
        let acts = up(&mut pm, ms(2000), CELL, cell());
        assert_eq!(
            acts,
            vec![
                PmAction::AnnounceAddress {
                    addr_id: 3,
                    addr: CELL_ADDR
                },
                open(CELL, 3, RemoteAddr::initial(SERVER)),
            ]
        );
        assert_eq!(pm.poll_timeout(), None);
    }

    #[test]
    fn full_mesh_merges_a_quick_down_and_up_into_nothing_new() {
        let (mut pm, _) = established_on_wifi(FullMeshConfig::default());
        event(&mut pm, ms(60), joined(1, CELL, false));
        down(&mut pm, ms(1000), CELL);
        up(&mut pm, ms(1200), CELL, cell());
        assert_eq!(pm.poll_timeout(), Some(ms(1500)));
        pm.handle_timeout(ms(1500));
        // The queued removal was turned back into an addition of a known
        // address: nothing to do (lookup_similar_event + "anything changes?").
        assert!(drain(&mut pm).is_empty());
    }

    #[test]
    fn full_mesh_sends_mp_prio_when_an_interface_becomes_backup() {
        let (mut pm, _) = established_on_wifi(FullMeshConfig::default());
        event(&mut pm, ms(60), joined(1, CELL, false));
        let change = PmEvent::InterfaceBackupChanged {
            iface: CELL,
            backup: true,
        };
        assert!(event(&mut pm, ms(100), change).is_empty());
        pm.handle_timeout(ms(600));
        assert_eq!(
            drain(&mut pm),
            vec![PmAction::SetBackup {
                subflow: SubflowId(1),
                backup: true
            }]
        );
        // New subflows from it now carry the flag.
        let s2 = RemoteAddr {
            id: 1,
            addr: SERVER2,
            port: None,
        };
        let acts = event(&mut pm, ms(700), PmEvent::AddressAnnounced { remote: s2 });
        assert_eq!(
            acts,
            vec![
                open(WIFI, 1, s2),
                PmAction::OpenSubflow {
                    iface: CELL,
                    local_addr_id: 2,
                    remote: s2,
                    backup: true
                },
            ]
        );
    }

    #[test]
    fn full_mesh_recreates_a_subflow_after_a_timeout_but_not_after_a_reset() {
        let (mut pm, _) = established_on_wifi(FullMeshConfig::default());
        event(&mut pm, ms(60), joined(1, CELL, false));
        let closed = |sf: u32, reason| PmEvent::SubflowClosed {
            subflow: SubflowId(sf),
            iface: CELL,
            remote_addr: SERVER,
            reason,
        };
        // Reset by the peer: the pair is free again (full_mesh_delete_subflow)
        // but nothing reopens it yet.
        assert!(event(&mut pm, ms(100), closed(1, CloseReason::Rst)).is_empty());
        // A timeout (here of a subflow the path manager has not heard of)
        // runs full_mesh_subflow_error, which reopens every free pair.
        let acts = event(&mut pm, ms(5000), closed(2, CloseReason::Timeout));
        assert_eq!(acts, vec![open(CELL, 2, RemoteAddr::initial(SERVER))]);
    }

    #[test]
    fn full_mesh_without_create_on_err_never_retries_a_pair() {
        let cfg = FullMeshConfig {
            create_on_err: false,
            ..FullMeshConfig::default()
        };
        let (mut pm, _) = established_on_wifi(cfg);
        let closed = PmEvent::SubflowClosed {
            subflow: SubflowId(1),
            iface: CELL,
            remote_addr: SERVER,
            reason: CloseReason::Timeout,
        };
        assert!(event(&mut pm, ms(5000), closed).is_empty());
    }

    #[test]
    fn full_mesh_resets_subflows_to_a_remote_address_the_peer_removes() {
        let (mut pm, _) = established_on_wifi(FullMeshConfig::default());
        let s2 = RemoteAddr {
            id: 1,
            addr: SERVER2,
            port: None,
        };
        event(&mut pm, ms(40), PmEvent::AddressAnnounced { remote: s2 });
        let join_s2 = PmEvent::SubflowEstablished {
            subflow: SubflowId(2),
            iface: WIFI,
            remote: s2,
            backup: false,
            initiated_locally: true,
        };
        event(&mut pm, ms(80), join_s2);
        assert_eq!(
            event(&mut pm, ms(90), PmEvent::AddressRemoved { id: 1 }),
            vec![
                PmAction::Reinject { subflow: SubflowId(2) },
                PmAction::ResetSubflow {
                    subflow: SubflowId(2),
                    reason: None
                },
            ]
        );
        // Forgotten: announcing it again starts over.
        let acts = event(&mut pm, ms(100), PmEvent::AddressAnnounced { remote: s2 });
        assert_eq!(acts, vec![open(WIFI, 1, s2), open(CELL, 2, s2)]);
    }

    #[test]
    fn full_mesh_opens_nothing_on_a_connection_that_fell_back_to_tcp() {
        let mut pm = FullMesh::new(Role::Client, FullMeshConfig::default());
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        let plain = PmEvent::ConnectionEstablished {
            subflow: SubflowId(0),
            iface: WIFI,
            remote_addr: SERVER,
            mptcp: false,
        };
        assert!(event(&mut pm, ms(30), plain).is_empty());
        assert!(down(&mut pm, ms(40), CELL).is_empty());
        assert_eq!(pm.poll_timeout(), None);
    }

    /// An interface that comes back 600 times gets 600 local address ids:
    /// past 255 they start again from 1, never 0 (the initial subflow's)
    /// and never the id of the other interface, which is still up.
    #[test]
    fn full_mesh_local_address_ids_wrap_past_255_without_naming_two_addresses_alike() {
        let (mut pm, _) = established_on_wifi(FullMeshConfig {
            address_event_delay: SimDuration::ZERO,
            ..FullMeshConfig::default()
        });
        let wifi_id = pm.local_ids[&WIFI];
        let mut seen = Vec::new();
        for k in 0..600u64 {
            down(&mut pm, ms(100 + 2 * k), CELL);
            let acts = up(&mut pm, ms(101 + 2 * k), CELL, cell());
            let id = pm.local_ids[&CELL];
            assert_ne!(id, 0);
            assert_ne!(id, wifi_id);
            assert!(acts.contains(&PmAction::AnnounceAddress {
                addr_id: id,
                addr: CELL_ADDR
            }));
            seen.push(id);
        }
        // Every id but 0 and Wi-Fi's, in turn.
        assert_eq!(seen[..3], [3, 4, 5]);
        assert!(seen.windows(2).all(|w| w[0] != w[1]));
        assert_eq!(seen.iter().filter(|&&i| i == 3).count(), 3);
    }
}
