//! iOS `multipathServiceType = .interactive` (XNU
//! `MPTCP_SVCTYPE_INTERACTIVE`): a subflow on every interface, cellular
//! flagged backup; each packet goes to Wi-Fi unless Wi-Fi's latency or
//! losses cross XNU's thresholds.
//!
//! The path manager is [`IosPathManager`] with [`ServiceType::Interactive`];
//! the rule that only interactive has is the per-packet choice, here.
//!
//! Rules:
//! - Subflows (`mptcp_check_subflows_and_add`): one on every up interface
//!   that has none, as soon as the connection is established and whenever an
//!   interface comes up or an RTO fires; cellular joins carry the backup bit
//!   (`mptcp_setup_join_subflow_syn_opts`), a cellular initial subflow gets
//!   MP_PRIO(B=1) (`mptcp_subflow_connected_ev`). Nothing is ever removed
//!   (`mptcp_check_subflows_and_remove` returns for non-handover types).
//! - Per packet ([`choose`], mptcp.c `mptcp_get_subflow`), between the best
//!   Wi-Fi subflow and the best cellular one, with `rtt_thresh` =
//!   `mptcp_rtthist_rtthresh` (600 ms) and `rto_thresh` = `mptcp_rtothresh`
//!   (1500 ms), both halved when the Wi-Fi quality is not `Good`:
//!   1. Wi-Fi srtt >= rtt_thresh and cellular srtt < rtt_thresh: cellular;
//!   2. Wi-Fi "slow" (`mptcp_subflow_is_slow`: `rxtshift >=
//!      mptcp_fail_thresh` = 1 with data pending) and cellular without
//!      backoff: cellular;
//!   3. Wi-Fi RTO >= rto_thresh and cellular RTO < rto_thresh: cellular;
//!   4. otherwise Wi-Fi.
//!
//!   The srtt and RTO comparisons need both values non-zero. The result
//!   waits if it has no window space; the unused Wi-Fi subflow is probed
//!   every second ([`super::ios::IosScheduler`]).
//!
//! What a user could observe: the *client's* sending follows these rules;
//! what the server sends follows the server's scheduler, which sees the
//! cellular subflow as backup and uses it only when Wi-Fi is unavailable.
//! With the default first-party assumption (Symptoms says "Wi-Fi OK" while
//! Wi-Fi is up) the quality is `Good` and the thresholds are not halved.
//!
//! [`IosPathManager`]: super::ios::IosPathManager

use super::ios::{IosConfig, ServiceType, WifiQuality, is_slow};
use super::{IfaceKind, SubflowHealth};

/// Step 2 of `mptcp_get_subflow` in interactive mode: `best` is the best
/// non-cellular subflow, `second` the best cellular one.
pub fn choose<'a>(
    quality: WifiQuality,
    best: &'a SubflowHealth,
    second: &'a SubflowHealth,
    cfg: &IosConfig,
) -> &'a SubflowHealth {
    let (mut rtt_thresh, mut rto_thresh) = (cfg.rtt_thresh, cfg.rto_thresh);
    if best.iface_kind != IfaceKind::Expensive && quality != WifiQuality::Good {
        rtt_thresh = rtt_thresh.div_floor(2);
        rto_thresh = rto_thresh.div_floor(2);
    }
    if let (Some(b), Some(s)) = (best.srtt, second.srtt)
        && !b.is_zero()
        && !s.is_zero()
        && b >= rtt_thresh
        && s < rtt_thresh
    {
        return second;
    }
    if is_slow(best, ServiceType::Interactive, cfg.fail_thresh) && second.rxtshift == 0 {
        return second;
    }
    if !best.rto.is_zero() && !second.rto.is_zero() && best.rto >= rto_thresh && second.rto < rto_thresh {
        return second;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::super::ios::IosPathManager;
    use super::super::testkit::*;
    use super::super::{PathManager, PmAction, PmEvent, RemoteAddr, Role, SenderChoice, SubflowId};
    use super::*;
    use sim_core::SimDuration;

    fn interactive() -> IosPathManager {
        IosPathManager::new(ServiceType::Interactive, Role::Client, IosConfig::default())
    }

    /// Both interfaces up, established on Wi-Fi (subflow 0), cellular joined
    /// (subflow 1).
    fn both_subflows() -> IosPathManager {
        let mut pm = interactive();
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        event(&mut pm, ms(20), established(0, WIFI));
        event(&mut pm, ms(100), joined(1, CELL, true));
        pm
    }

    fn sends_on(pm: &mut IosPathManager, at: u64, wifi_sf: SubflowHealth, cell_sf: SubflowHealth) -> Option<u32> {
        match pm.choose_sender_subflow(ms(at), &[wifi_sf, cell_sf]) {
            SenderChoice::Choose { send_on, .. } => send_on.map(|s| s.0),
            SenderChoice::Defer => panic!("interactive always chooses"),
        }
    }

    fn rtt(ms: u64) -> Option<SimDuration> {
        Some(SimDuration::from_millis(ms))
    }

    #[test]
    fn interactive_opens_cellular_with_the_backup_flag_alongside_wifi() {
        let mut pm = interactive();
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        assert_eq!(
            event(&mut pm, ms(20), established(0, WIFI)),
            vec![PmAction::OpenSubflow {
                iface: CELL,
                local_addr_id: 1,
                remote: RemoteAddr::initial(SERVER),
                backup: true
            }]
        );
        // The join completes: nothing is removed in interactive mode.
        assert!(event(&mut pm, ms(100), joined(1, CELL, true)).is_empty());
    }

    #[test]
    fn interactive_starting_on_cellular_flags_it_backup_and_joins_wifi() {
        let mut pm = interactive();
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        event(&mut pm, ms(120), established(0, CELL));
        assert_eq!(
            up(&mut pm, ms(3000), WIFI, wifi()),
            vec![PmAction::OpenSubflow {
                iface: WIFI,
                local_addr_id: 1,
                remote: RemoteAddr::initial(SERVER),
                backup: false
            }]
        );
        assert!(event(&mut pm, ms(3020), joined(1, WIFI, false)).is_empty());
    }

    #[test]
    fn interactive_moves_traffic_to_cellular_when_wifi_srtt_exceeds_600ms() {
        let mut pm = both_subflows();
        let mut w = health(0, IfaceKind::Preferred);
        let mut c = health(1, IfaceKind::Expensive);
        c.srtt = rtt(80);
        w.srtt = rtt(599);
        assert_eq!(sends_on(&mut pm, 1000, w, c), Some(0));
        w.srtt = rtt(600);
        assert_eq!(sends_on(&mut pm, 1001, w, c), Some(1));
        // Not if cellular is as slow.
        c.srtt = rtt(650);
        assert_eq!(sends_on(&mut pm, 1002, w, c), Some(0));
    }

    #[test]
    fn interactive_moves_traffic_to_cellular_on_one_wifi_rto_with_data_pending() {
        let mut pm = both_subflows();
        let mut w = health(0, IfaceKind::Preferred);
        let mut c = health(1, IfaceKind::Expensive);
        w.rxtshift = 1;
        assert_eq!(sends_on(&mut pm, 1000, w, c), Some(1));
        c.rxtshift = 1;
        assert_eq!(sends_on(&mut pm, 1001, w, c), Some(0));
        c.rxtshift = 0;
        w.data_pending = false;
        assert_eq!(sends_on(&mut pm, 1002, w, c), Some(0));
    }

    #[test]
    fn interactive_moves_traffic_to_cellular_when_wifi_rto_reaches_1500ms() {
        let mut pm = both_subflows();
        let mut w = health(0, IfaceKind::Preferred);
        let c = health(1, IfaceKind::Expensive);
        w.srtt = rtt(400);
        w.rto = SimDuration::from_millis(1499);
        assert_eq!(sends_on(&mut pm, 1000, w, c), Some(0));
        w.rto = SimDuration::from_millis(1500);
        assert_eq!(sends_on(&mut pm, 1001, w, c), Some(1));
    }

    #[test]
    fn interactive_halves_its_thresholds_when_symptoms_says_wifi_is_lossy() {
        let mut pm = both_subflows();
        let mut w = health(0, IfaceKind::Preferred);
        let mut c = health(1, IfaceKind::Expensive);
        w.srtt = rtt(300);
        c.srtt = rtt(80);
        assert_eq!(sends_on(&mut pm, 1000, w, c), Some(0));
        event(&mut pm, ms(1500), PmEvent::WifiAdvisory { wifi_ok: false });
        assert_eq!(sends_on(&mut pm, 2000, w, c), Some(1));
    }

    #[test]
    fn interactive_waits_rather_than_fall_back_when_the_chosen_subflow_has_no_window_space() {
        let mut pm = both_subflows();
        let mut w = health(0, IfaceKind::Preferred);
        let mut c = health(1, IfaceKind::Expensive);
        w.srtt = rtt(700);
        c.cwnd_space_bytes = 0;
        assert_eq!(sends_on(&mut pm, 1000, w, c), None);
    }

    #[test]
    fn interactive_probes_wifi_five_times_after_a_second_on_cellular() {
        let mut pm = both_subflows();
        let mut w = health(0, IfaceKind::Preferred);
        w.srtt = rtt(700);
        let c = health(1, IfaceKind::Expensive);
        let mut probes = Vec::new();
        for at in [0, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 2006, 2007] {
            match pm.choose_sender_subflow(ms(10_000 + at), &[w, c]) {
                SenderChoice::Choose { send_on, probe_on } => {
                    assert_eq!(send_on, Some(SubflowId(1)));
                    probes.push(probe_on.is_some());
                }
                SenderChoice::Defer => panic!(),
            }
        }
        // Armed at 0; 1000 is not "more than" 1 s; five probes; re-armed at
        // 1006; the next probe more than 1 s after that.
        assert_eq!(
            probes,
            vec![false, false, true, true, true, true, true, false, false, true]
        );
    }

    #[test]
    fn interactive_reopens_the_subflow_of_an_interface_that_comes_back() {
        let mut pm = both_subflows();
        assert_eq!(
            down(&mut pm, ms(2000), CELL),
            vec![
                PmAction::RemoveAddress { addr_id: 1 },
                PmAction::AbortSubflow { subflow: SubflowId(1) },
            ]
        );
        assert_eq!(
            up(&mut pm, ms(3000), CELL, cell()),
            vec![PmAction::OpenSubflow {
                iface: CELL,
                local_addr_id: 2,
                remote: RemoteAddr::initial(SERVER),
                backup: true
            }]
        );
    }
}
