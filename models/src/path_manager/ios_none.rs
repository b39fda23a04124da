//! iOS `multipathServiceType = .none`, the default: Multipath TCP is not
//! used. The connection is one plain TCP connection on the interface of the
//! default route (Wi-Fi when it is up), with no MPTCP option at all: the
//! SYN carries no MP_CAPABLE, so XNU's MPTCP layer is never involved
//! (`URLSession` opens an ordinary socket; only the other service types
//! ask for `SOCK_MPTCP` sessions, `mptcp_usr_connectx`).
//!
//! Rules:
//! - [`PmAction::OpenInitialSubflow`] with `mptcp: false` on the default
//!   route, once, when the application connects (or when the first interface
//!   comes up).
//! - Nothing else, ever: no join, no MP_PRIO, no address signalling; ADD_ADDR
//!   cannot arrive (no MP_CAPABLE was negotiated); no join is accepted.
//!
//! What a user could observe: when the interface goes away the connection
//! breaks (its retransmissions time out, the connection's business); if the
//! interface comes back before they give up, TCP resumes on it. Another
//! interface coming up changes nothing.

use std::collections::VecDeque;

use sim_core::SimTime;

use super::{Interfaces, PathManager, Phase, PmAction, PmEvent, Role};

/// iOS `.none`: plain single-path TCP.
#[derive(Debug)]
pub struct IosNone {
    role: Role,
    ifaces: Interfaces,
    phase: Phase,
    actions: VecDeque<PmAction>,
}

impl IosNone {
    /// A path manager for the `role` side.
    pub fn new(role: Role) -> Self {
        IosNone {
            role,
            ifaces: Interfaces::default(),
            phase: Phase::Idle,
            actions: VecDeque::new(),
        }
    }
}

impl PathManager for IosNone {
    fn name(&self) -> &'static str {
        "none"
    }

    fn handle_event(&mut self, _now: SimTime, event: PmEvent) {
        match event {
            PmEvent::InterfaceUp { iface, info } => {
                self.ifaces.set_up(iface, info);
                self.actions.extend(self.phase.interface_up(&self.ifaces, false));
            }
            PmEvent::InterfaceDown { iface } => {
                self.ifaces.set_down(iface);
            }
            PmEvent::ConnectRequested { remote_addr } => {
                let connect = self
                    .phase
                    .connect_requested(self.role, &self.ifaces, remote_addr, false);
                self.actions.extend(connect);
            }
            PmEvent::ConnectionEstablished { .. } => self.phase = Phase::PlainTcp,
            PmEvent::SubflowClosed { .. } | PmEvent::ConnectionClosing => {
                if self.phase != Phase::Idle {
                    self.phase = Phase::Closing;
                }
            }
            PmEvent::InterfaceBackupChanged { .. }
            | PmEvent::SubflowEstablished { .. }
            | PmEvent::SubflowHealth(_)
            | PmEvent::AddressAnnounced { .. }
            | PmEvent::AddressRemoved { .. }
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
        false
    }
}

/// The factory of [`IosNone`]: plain TCP, client only; no parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IosNoneConfig {}

impl crate::policy::PathManagerFactory for IosNoneConfig {
    fn build(&self, role: Role) -> Box<dyn PathManager> {
        Box::new(IosNone::new(role))
    }
    fn offers_mptcp(&self) -> bool {
        false
    }
    fn supports_role(&self, role: Role) -> bool {
        role == Role::Client
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{IfaceKind, SenderChoice, SubflowId};
    use super::*;

    #[test]
    fn none_never_opens_a_second_subflow() {
        let mut pm = IosNone::new(Role::Client);
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        assert_eq!(
            event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER }),
            vec![PmAction::OpenInitialSubflow {
                iface: WIFI,
                remote_addr: SERVER,
                mptcp: false
            }]
        );
        let plain = PmEvent::ConnectionEstablished {
            subflow: SubflowId(0),
            iface: WIFI,
            remote_addr: SERVER,
            mptcp: false,
        };
        assert!(event(&mut pm, ms(20), plain).is_empty());
        let mut h = health(0, IfaceKind::Preferred);
        h.rxtshift = 6;
        assert!(event(&mut pm, ms(5000), PmEvent::SubflowHealth(h)).is_empty());
        assert!(down(&mut pm, ms(6000), CELL).is_empty());
        assert!(up(&mut pm, ms(7000), CELL, cell()).is_empty());
        assert!(event(&mut pm, ms(7000), PmEvent::WifiAdvisory { wifi_ok: false }).is_empty());
        assert!(!pm.accepts_joins());
        assert_eq!(pm.choose_sender_subflow(ms(7000), &[h]), SenderChoice::Defer);
    }

    #[test]
    fn none_does_nothing_when_its_interface_goes_away() {
        let mut pm = IosNone::new(Role::Client);
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        event(&mut pm, ms(20), established(0, WIFI));
        assert!(down(&mut pm, ms(5000), WIFI).is_empty());
        assert!(up(&mut pm, ms(6000), WIFI, wifi()).is_empty());
    }
}
