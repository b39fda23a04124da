//! iOS `multipathServiceType = .aggregate` (XNU `MPTCP_SVCTYPE_AGGREGATE`,
//! developer mode only): a subflow on every interface, none flagged backup,
//! both used at once.
//!
//! The path manager is [`IosPathManager`] with [`ServiceType::Aggregate`];
//! the rule that only aggregate has is the per-packet choice, here.
//!
//! Rules:
//! - Subflows (`mptcp_check_subflows_and_add`): one on every up interface
//!   that has none; no backup bit on cellular joins
//!   (`mptcp_setup_join_subflow_syn_opts` excludes `MPTCP_SVCTYPE_AGGREGATE`)
//!   and no MP_PRIO on a cellular initial subflow (`mptcp_subflow_connected_ev`
//!   marks it `MPTSF_PREFERRED` instead). Nothing is ever removed.
//! - Per packet ([`choose`], mptcp.c `mptcp_get_subflow`, "We only care
//!   about RTT when aggregating"): order the best Wi-Fi and the best
//!   cellular subflow by srtt; the lower one if it has window space, else
//!   the other one (which waits if it has none either).
//!
//! What a user could observe: the server, seeing no backup flag, spreads its
//! data over both subflows with its own scheduler; a subflow without an RTT
//! sample counts as srtt 0 (XNU's `t_srtt` before the first sample) and so
//! wins the comparison until it has one.
//!
//! [`IosPathManager`]: super::ios::IosPathManager

use super::SubflowHealth;

#[cfg(doc)]
use super::ios::ServiceType;

/// Step 2 of `mptcp_get_subflow` in aggregate mode.
pub fn choose<'a>(best: &'a SubflowHealth, second: &'a SubflowHealth) -> &'a SubflowHealth {
    let srtt = |s: &SubflowHealth| s.srtt.map_or(0, |d| d.as_nanos());
    let (lower, higher) = if srtt(best) > srtt(second) {
        (second, best)
    } else {
        (best, second)
    };
    if lower.cwnd_space_bytes == 0 { higher } else { lower }
}

#[cfg(test)]
mod tests {
    use super::super::ios::{IosConfig, IosPathManager, ServiceType};
    use super::super::testkit::*;
    use super::super::{IfaceKind, PathManager, PmAction, PmEvent, RemoteAddr, Role, SenderChoice, SubflowId};
    use super::*;
    use sim_core::SimDuration;

    fn aggregate() -> IosPathManager {
        IosPathManager::new(ServiceType::Aggregate, Role::Client, IosConfig::default())
    }

    fn sends_on(pm: &mut IosPathManager, subflows: &[SubflowHealth]) -> Option<SubflowId> {
        match pm.choose_sender_subflow(ms(1000), subflows) {
            SenderChoice::Choose { send_on, .. } => send_on,
            SenderChoice::Defer => panic!("aggregate always chooses"),
        }
    }

    #[test]
    fn aggregate_opens_subflows_on_every_interface_without_backup() {
        let mut pm = aggregate();
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        // A cellular initial subflow is not flagged backup.
        assert!(event(&mut pm, ms(120), established(0, CELL)).is_empty());
        assert_eq!(
            up(&mut pm, ms(2000), WIFI, wifi()),
            vec![PmAction::OpenSubflow {
                iface: WIFI,
                local_addr_id: 1,
                remote: RemoteAddr::initial(SERVER),
                backup: false
            }]
        );
        // Wi-Fi joining removes nothing.
        assert!(event(&mut pm, ms(2020), joined(1, WIFI, false)).is_empty());

        let mut pm = aggregate();
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        assert_eq!(
            event(&mut pm, ms(20), established(0, WIFI)),
            vec![PmAction::OpenSubflow {
                iface: CELL,
                local_addr_id: 1,
                remote: RemoteAddr::initial(SERVER),
                backup: false
            }]
        );
    }

    #[test]
    fn aggregate_sends_on_the_lower_rtt_subflow_while_it_has_window_space() {
        let mut pm = aggregate();
        up(&mut pm, ms(0), WIFI, wifi());
        let mut w = health(0, IfaceKind::Preferred);
        let mut c = health(1, IfaceKind::Expensive);
        w.srtt = Some(SimDuration::from_millis(50));
        c.srtt = Some(SimDuration::from_millis(30));
        assert_eq!(sends_on(&mut pm, &[w, c]), Some(SubflowId(1)));
        c.cwnd_space_bytes = 0;
        assert_eq!(sends_on(&mut pm, &[w, c]), Some(SubflowId(0)));
        w.cwnd_space_bytes = 0;
        assert_eq!(sends_on(&mut pm, &[w, c]), None);
        // Equal RTTs: Wi-Fi first.
        let c = SubflowHealth {
            srtt: w.srtt,
            ..health(1, IfaceKind::Expensive)
        };
        let w = health(0, IfaceKind::Preferred);
        assert_eq!(sends_on(&mut pm, &[w, c]), Some(SubflowId(0)));
    }
}
