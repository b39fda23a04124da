//! The Linux out-of-tree "ndiffports" path manager (multipath-tcp/mptcp
//! v0.9x, `net.mptcp.mptcp_path_manager=ndiffports`,
//! `net/mptcp/mptcp_ndiffports.c`): `num_subflows` subflows over the same
//! pair of addresses, each from its own source port, so that ECMP in the
//! network hashes them onto different paths. This is how Raiciu et al.
//! (SIGCOMM 2011) ran MPTCP in a fat tree with single-homed hosts.
//!
//! Rules:
//! - Client: the initial subflow goes out on the default route, as every
//!   Linux path manager's ([`PmAction::OpenInitialSubflow`]).
//! - Once the connection is established with MPTCP, the client opens
//!   subflows from the initial subflow's interface to the server's address
//!   until the connection has `num_subflows` of them (`create_subflow_worker`
//!   loops while `mpcb->cnt_subflows < num_subflows`). The connection picks a
//!   new source port for each.
//! - A subflow that closes is not replaced (the worker runs once, when the
//!   connection is established), as in the module.
//! - The server opens nothing and accepts joins; REMOVE_ADDR resets the
//!   subflows to that address (the MPTCP core, as for `default`).
//!
//! Simplified: the module's worker releases the socket lock between subflows;
//! here all the MP_JOINs are asked for at once (their SYNs leave back to back).

use sim_core::SimTime;

use super::default::LinuxDefault;
use super::{PathManager, PmAction, PmEvent, RemoteAddr, Role};

/// Linux "ndiffports": `num_subflows` subflows over one address pair. The
/// MPTCP core's behaviour (the initial subflow, joins accepted, REMOVE_ADDR)
/// is `default`'s; this module only adds the extra subflows.
#[derive(Debug)]
pub struct NDiffPorts {
    core: LinuxDefault,
    num_subflows: u32,
}

impl NDiffPorts {
    /// A path manager for the `role` side that aims at `num_subflows`.
    pub fn new(role: Role, num_subflows: u32) -> Self {
        NDiffPorts {
            core: LinuxDefault::new(role),
            num_subflows,
        }
    }
}

impl PathManager for NDiffPorts {
    fn name(&self) -> &'static str {
        "ndiffports"
    }

    fn handle_event(&mut self, now: SimTime, event: PmEvent) {
        let opened_on = match event {
            PmEvent::ConnectionEstablished {
                iface,
                remote_addr,
                mptcp: true,
                ..
            } if self.core.role() == Role::Client => Some((iface, remote_addr)),
            _ => None,
        };
        self.core.handle_event(now, event);
        if let Some((iface, remote_addr)) = opened_on {
            // Linux mptcp_ndiffports.c create_subflow_worker: while
            // cnt_subflows < num_subflows, mptcp_init4_subsockets from the
            // initial subflow's local address (id 0) to the peer's (id 0).
            for _ in 1..self.num_subflows {
                self.core.push_action(PmAction::OpenSubflow {
                    iface,
                    local_addr_id: 0,
                    remote: RemoteAddr::initial(remote_addr),
                    backup: false,
                });
            }
        }
    }

    fn poll_action(&mut self) -> Option<PmAction> {
        self.core.poll_action()
    }

    fn accepts_joins(&self) -> bool {
        self.core.accepts_joins()
    }
}

/// The factory of [`NDiffPorts`]: the module parameter `num_subflows`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NDiffPortsConfig {
    /// Subflows per connection, the initial one included (the module's
    /// `num_subflows`, default 2); 1 to 32.
    #[serde(default = "two")]
    pub num_subflows: u32,
}

fn two() -> u32 {
    2
}

impl Default for NDiffPortsConfig {
    fn default() -> Self {
        NDiffPortsConfig { num_subflows: 2 }
    }
}

impl NDiffPortsConfig {
    /// Why the parameters are refused, if they are.
    pub fn problem(&self) -> Option<String> {
        (!(1..=32).contains(&self.num_subflows))
            .then(|| format!("num_subflows {}; expected 1 to 32", self.num_subflows))
    }
}

impl crate::policy::PathManagerFactory for NDiffPortsConfig {
    fn build(&self, role: Role) -> Box<dyn PathManager> {
        Box::new(NDiffPorts::new(role, self.num_subflows))
    }
}

#[cfg(test)]
mod tests {
    use super::super::SubflowId;
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn the_client_opens_joins_from_the_initial_interface_until_it_has_num_subflows() {
        let mut pm = NDiffPorts::new(Role::Client, 4);
        up(&mut pm, ms(0), WIFI, wifi());
        let acts = event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        assert_eq!(acts.len(), 1, "the initial subflow only: {acts:?}");
        let acts = event(&mut pm, ms(20), established(0, WIFI));
        assert_eq!(acts.len(), 3);
        for a in acts {
            assert_eq!(
                a,
                PmAction::OpenSubflow {
                    iface: WIFI,
                    local_addr_id: 0,
                    remote: RemoteAddr::initial(SERVER),
                    backup: false
                }
            );
        }
    }

    #[test]
    fn one_subflow_is_plain_default_behaviour_and_plain_tcp_opens_nothing() {
        let mut pm = NDiffPorts::new(Role::Client, 1);
        up(&mut pm, ms(0), WIFI, wifi());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        assert!(event(&mut pm, ms(20), established(0, WIFI)).is_empty());
        let mut plain = NDiffPorts::new(Role::Client, 8);
        up(&mut plain, ms(0), WIFI, wifi());
        event(&mut plain, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        let fallback = PmEvent::ConnectionEstablished {
            subflow: SubflowId(0),
            iface: WIFI,
            remote_addr: SERVER,
            mptcp: false,
        };
        assert!(event(&mut plain, ms(20), fallback).is_empty());
    }

    #[test]
    fn the_server_opens_nothing_and_accepts_joins() {
        let mut pm = NDiffPorts::new(Role::Server, 8);
        up(&mut pm, ms(0), WIFI, wifi());
        assert!(event(&mut pm, ms(0), established(0, WIFI)).is_empty());
        assert!(pm.accepts_joins());
    }

    #[test]
    fn num_subflows_outside_1_to_32_is_refused() {
        assert!(NDiffPortsConfig { num_subflows: 0 }.problem().is_some());
        assert!(NDiffPortsConfig { num_subflows: 33 }.problem().is_some());
        assert!(NDiffPortsConfig { num_subflows: 8 }.problem().is_none());
    }
}
