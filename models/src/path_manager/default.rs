//! The Linux out-of-tree "default" path manager (multipath-tcp/mptcp v0.9x,
//! `net.mptcp.mptcp_path_manager=default`): the connection keeps the subflow
//! it started with and opens no other; it accepts the peer's MP_JOINs.
//!
//! Rules, all from the MPTCP core rather than from a path-manager module:
//! - Client: the initial subflow goes out on the default route
//!   ([`PmAction::OpenInitialSubflow`]).
//! - REMOVE_ADDR from the peer: every subflow to that address id has its data
//!   reinjected and is reset (net/mptcp/mptcp_input.c `mptcp_handle_rem_addr`
//!   -> `mptcp_send_reset_rem_id`: `mptcp_reinject_data(sk, 0)`,
//!   `tcp_send_active_reset`, `mptcp_sub_force_close`). v0.9x sends no
//!   MP_TCPRST, so the reset carries no reason.
//! - Interface events change nothing: the default path manager registers no
//!   address notifier, so a subflow on an interface that went down lingers
//!   until its retransmissions time out (the connection's job).
//!
//! Simplified: ADD_ADDR from the peer is remembered by nobody (the default
//! path manager has no `add_raddr`), as in Linux.

use std::collections::{BTreeMap, VecDeque};

use sim_core::SimTime;

use super::{Interfaces, PathManager, Phase, PmAction, PmEvent, Role, SubflowId};

/// Linux "default": no extra subflows, accepts joins.
#[derive(Debug)]
pub struct LinuxDefault {
    role: Role,
    ifaces: Interfaces,
    phase: Phase,
    /// Live subflows and the peer address id each goes to.
    subflows: BTreeMap<SubflowId, u8>,
    actions: VecDeque<PmAction>,
}

impl LinuxDefault {
    /// A path manager for the `role` side.
    pub fn new(role: Role) -> Self {
        LinuxDefault {
            role,
            ifaces: Interfaces::default(),
            phase: Phase::Idle,
            subflows: BTreeMap::new(),
            actions: VecDeque::new(),
        }
    }
}

impl LinuxDefault {
    /// Which side this path manager runs for.
    pub(super) fn role(&self) -> Role {
        self.role
    }

    /// Queues an action of a path manager built on this core (`ndiffports`).
    pub(super) fn push_action(&mut self, action: PmAction) {
        self.actions.push_back(action);
    }
}

impl PathManager for LinuxDefault {
    fn name(&self) -> &'static str {
        "default"
    }

    fn handle_event(&mut self, _now: SimTime, event: PmEvent) {
        match event {
            PmEvent::InterfaceUp { iface, info } => {
                self.ifaces.set_up(iface, info);
                self.actions.extend(self.phase.interface_up(&self.ifaces, true));
            }
            PmEvent::InterfaceDown { iface } => {
                self.ifaces.set_down(iface);
            }
            PmEvent::ConnectRequested { remote_addr } => {
                let connect = self.phase.connect_requested(self.role, &self.ifaces, remote_addr, true);
                self.actions.extend(connect);
            }
            PmEvent::ConnectionEstablished { subflow, mptcp, .. } => {
                self.phase = if mptcp { Phase::Established } else { Phase::PlainTcp };
                self.subflows.insert(subflow, 0);
            }
            PmEvent::SubflowEstablished { subflow, remote, .. } => {
                self.subflows.insert(subflow, remote.id);
            }
            PmEvent::SubflowClosed { subflow, .. } => {
                self.subflows.remove(&subflow);
            }
            PmEvent::AddressRemoved { id } => {
                super::reset_subflows(&mut self.subflows, &mut self.actions, |&rem_id| rem_id == id);
            }
            PmEvent::ConnectionClosing => self.phase = Phase::Closing,
            PmEvent::InterfaceBackupChanged { .. }
            | PmEvent::SubflowHealth(_)
            | PmEvent::AddressAnnounced { .. }
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

    fn accepts_joins(&self) -> bool {
        true
    }
}

/// The factory of [`LinuxDefault`], the upstream in-kernel path manager
/// as modelled here; it has no parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinuxDefaultConfig {}

impl crate::policy::PathManagerFactory for LinuxDefaultConfig {
    fn build(&self, role: Role) -> Box<dyn PathManager> {
        Box::new(LinuxDefault::new(role))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{CloseReason, RemoteAddr, SenderChoice};
    use super::*;

    #[test]
    fn default_opens_only_the_initial_subflow_and_accepts_joins() {
        let mut pm = LinuxDefault::new(Role::Client);
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
        let peer = RemoteAddr {
            id: 3,
            addr: 0x0A00_0002,
            port: None,
        };
        assert!(event(&mut pm, ms(30), PmEvent::AddressAnnounced { remote: peer }).is_empty());
        assert!(down(&mut pm, ms(40), WIFI).is_empty());
        assert!(up(&mut pm, ms(50), WIFI, wifi()).is_empty());
        assert!(pm.accepts_joins());
        assert_eq!(pm.choose_sender_subflow(ms(60), &[]), SenderChoice::Defer);
        assert_eq!(pm.poll_timeout(), None);
    }

    #[test]
    fn default_server_never_connects() {
        let mut pm = LinuxDefault::new(Role::Server);
        up(&mut pm, ms(0), WIFI, wifi());
        assert!(event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER }).is_empty());
    }

    #[test]
    fn default_reinjects_and_resets_subflows_to_an_address_the_peer_removes() {
        let mut pm = LinuxDefault::new(Role::Server);
        up(&mut pm, ms(0), WIFI, wifi());
        event(&mut pm, ms(0), established(0, WIFI));
        let phone_cell = RemoteAddr {
            id: 2,
            addr: CELL_ADDR,
            port: None,
        };
        event(
            &mut pm,
            ms(10),
            PmEvent::SubflowEstablished {
                subflow: SubflowId(1),
                iface: WIFI,
                remote: phone_cell,
                backup: false,
                initiated_locally: false,
            },
        );
        assert!(event(&mut pm, ms(20), PmEvent::AddressRemoved { id: 7 }).is_empty());
        assert_eq!(
            event(&mut pm, ms(20), PmEvent::AddressRemoved { id: 2 }),
            vec![
                PmAction::Reinject { subflow: SubflowId(1) },
                PmAction::ResetSubflow {
                    subflow: SubflowId(1),
                    reason: None
                }
            ]
        );
        // The closure the connection reports afterwards is harmless.
        let closed = PmEvent::SubflowClosed {
            subflow: SubflowId(1),
            iface: WIFI,
            remote_addr: CELL_ADDR,
            reason: CloseReason::Aborted,
        };
        assert!(event(&mut pm, ms(21), closed).is_empty());
    }
}
