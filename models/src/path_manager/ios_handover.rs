//! iOS `multipathServiceType = .handover` (XNU `MPTCP_SVCTYPE_HANDOVER`):
//! Wi-Fi carries the connection; a cellular subflow exists only while Wi-Fi
//! is missing or failing, and carries the backup flag.
//!
//! The path manager is [`IosPathManager`] with [`ServiceType::Handover`]; the
//! rules that only handover has are here.
//!
//! Rules:
//! - "Use cellular?" for a Wi-Fi subflow (xnu-11417 mptcp_subr.c
//!   `mptcp_handover_use_cellular`, [`use_cellular`]): never if the Wi-Fi
//!   quality is `Good`; if `Unsure` (first-party apps), only with data
//!   pending and `rxtshift >= 2 * mptcp_fail_thresh` (2 RTOs); if `Bad`, on
//!   2 RTOs with data pending, or whenever no data is pending.
//! - Creating subflows (`mptcp_check_subflows_and_add`): no cellular subflow
//!   while the quality is `Good`; none either while a connected Wi-Fi
//!   subflow does not need cellular. So: the initial subflow goes on
//!   whatever interface is up (cellular when Wi-Fi is down, then flagged
//!   backup with MP_PRIO); when Wi-Fi comes up a Wi-Fi subflow joins without
//!   the backup bit; when Wi-Fi fails (2 RTOs with data pending) or goes
//!   away, a cellular subflow joins with the backup bit (XNU's 4570 comment:
//!   "We establish the subflow with the backup-bit set, so the server is not
//!   allowed to send on this subflow as long as WiFi is providing good
//!   performance").
//! - Removing subflows (`mptcp_check_subflows_and_remove` ->
//!   `mptcp_handover_subflows_remove`, run when a join completes and when
//!   Symptoms changes its verdict): if some connected Wi-Fi subflow is
//!   "working" (does not need cellular), every cellular subflow gets
//!   `SO_FILT_HINT_MUSTRST`, handled by `mptcp_subflow_mustrst_ev`.
//!   Nothing re-evaluates removal when Wi-Fi merely recovers.
//! - Per packet ([`choose`], mptcp.c `mptcp_get_subflow`): the best Wi-Fi
//!   subflow, unless the quality is not `Good` and it is "slow"
//!   (`mptcp_subflow_is_slow`: `rxtshift >= 2` with data pending); then the
//!   best cellular one. xnu-4570 said instead: Symptoms marks Wi-Fi unusable
//!   and `rxtshift >= 1`.
//!
//! # The zero window before the RST
//!
//! The 2017 trace shows the iPhone advertising a zero window on the cellular
//! subflow and then resetting it. This is what `mptcp_subflow_mustrst_ev`
//! emits in xnu-4570 and xnu-4903 (iOS 11 and 12), by accident of its
//! helpers rather than by intent:
//! 1. It calls `tcp_respond(tp, ..., m = NULL, rcv_nxt, snd_una, TH_RST)`.
//!    `tcp_respond` (tcp_subr.c) computes the window only `if (!(flags &
//!    TH_RST))`, so it stays 0; then, building a fresh segment (`m == 0`),
//!    it replaces the flags with `TH_ACK`, keeping `TH_RST | TH_ACK` only for
//!    subflows marked `TMPF_RESET`, which the handover removal path never
//!    sets. What leaves is a pure ACK, seq = snd_una, window 0: the
//!    zero-window advertisement.
//! 2. It then calls `mptcp_subflow_abort` -> `tcp_drop`, which moves the
//!    subflow to `TCPS_CLOSED` and calls `tcp_output`, whose flags for
//!    CLOSED are `TH_RST | TH_ACK` (tcp_fsm.h `tcp_outflags`): the RST.
//!
//! From xnu-6153 (iOS 13) on, `mptcp_subflow_mustrst_ev` sets `TMPF_RESET`
//! before `tcp_respond`, so the first segment is itself an RST (window 0)
//! and `tcp_output` sends nothing more (`if (tp->t_mpflags & TMPF_RESET)
//! return`). [`PmAction::AdvertiseZeroWindow`] followed by
//! [`PmAction::ResetSubflow`] models 4570/4903 and is the default;
//! [`IosConfig::zero_window_before_rst`] = false gives the single RST. The
//! hypothesis in the research notes (a window shrunk by a meta-level buffer
//! full of out-of-order data) is not what happens: the removal runs the
//! moment the Wi-Fi join completes, before Wi-Fi has carried any data.
//!
//! What a user could observe: two segments on the cellular subflow at the
//! same instant, a zero-window ACK then an RST (as in the trace, from packet
//! 4647 on). The ACK carries no DSS option, so it cannot move the peer's
//! connection-level window; at most it closes the cellular subflow's own
//! send window just before the RST arrives. No MP_TCPRST reason is sent
//! (XNU speaks RFC 6824 there). The cellular data in flight is lost and the
//! peer must reinject it when it sees the RST.
//!
//! [`IosPathManager`]: super::ios::IosPathManager

use super::ios::{ServiceType, WifiQuality, is_slow};
use super::{IfaceKind, PmAction, SubflowHealth, SubflowId};

#[cfg(doc)]
use super::ios::IosConfig;

/// xnu-11417 `mptcp_handover_use_cellular` for a Wi-Fi subflow with backoff
/// `rxtshift`, the session's quality and whether data is pending.
pub fn use_cellular(quality: WifiQuality, rxtshift: u32, data_pending: bool, fail_thresh: u32) -> bool {
    let confirmed_bad = data_pending && rxtshift >= fail_thresh.saturating_mul(2);
    match quality {
        WifiQuality::Good => false,
        WifiQuality::Unsure => confirmed_bad,
        WifiQuality::Bad => confirmed_bad || !data_pending,
    }
}

/// Step 2 of `mptcp_get_subflow` in handover mode: `best` is the best
/// non-cellular subflow, `second` the best cellular one.
pub fn choose<'a>(
    quality: WifiQuality,
    best: &'a SubflowHealth,
    second: &'a SubflowHealth,
    fail_thresh: u32,
) -> &'a SubflowHealth {
    if best.iface_kind != IfaceKind::Expensive
        && quality != WifiQuality::Good
        && is_slow(best, ServiceType::Handover, fail_thresh)
    {
        second
    } else {
        best
    }
}

/// What `SO_FILT_HINT_MUSTRST` puts on the wire for one subflow.
pub(crate) fn must_reset(subflow: SubflowId, zero_window_first: bool) -> impl Iterator<Item = PmAction> {
    let zero_window = zero_window_first.then_some(PmAction::AdvertiseZeroWindow { subflow });
    zero_window
        .into_iter()
        .chain(std::iter::once(PmAction::ResetSubflow { subflow, reason: None }))
}

#[cfg(test)]
mod tests {
    use super::super::ios::{AppKind, IosConfig, IosPathManager};
    use super::super::testkit::*;
    use super::super::{PathManager, PmEvent, RemoteAddr, Role, SenderChoice};
    use super::*;

    fn handover(cfg: IosConfig) -> IosPathManager {
        IosPathManager::new(ServiceType::Handover, Role::Client, cfg)
    }

    fn join(iface: sim_core::IfaceId, local_addr_id: u8, backup: bool) -> PmAction {
        PmAction::OpenSubflow {
            iface,
            local_addr_id,
            remote: RemoteAddr::initial(SERVER),
            backup,
        }
    }

    /// The blog's phone: Wi-Fi down, the connection established on cellular
    /// as subflow 0.
    fn on_cellular(cfg: IosConfig) -> (IosPathManager, Vec<PmAction>, Vec<PmAction>) {
        let mut pm = handover(cfg);
        up(&mut pm, ms(0), CELL, cell());
        let connect = event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        let est = event(&mut pm, ms(120), established(0, CELL));
        (pm, connect, est)
    }

    /// Then Wi-Fi comes up at 5 s and its join (subflow 1) completes.
    fn handed_over(cfg: IosConfig) -> (IosPathManager, Vec<PmAction>) {
        let (mut pm, _, _) = on_cellular(cfg);
        up(&mut pm, ms(5000), WIFI, wifi());
        let acts = event(&mut pm, ms(5020), joined(1, WIFI, false));
        (pm, acts)
    }

    fn wifi_health(rxtshift: u32, data_pending: bool) -> PmEvent {
        let mut h = health(1, IfaceKind::Preferred);
        h.rxtshift = rxtshift;
        h.data_pending = data_pending;
        PmEvent::SubflowHealth(h)
    }

    #[test]
    fn handover_starts_on_cellular_with_the_backup_flag_when_wifi_is_down() {
        let (_, connect, est) = on_cellular(IosConfig::default());
        assert_eq!(
            connect,
            vec![PmAction::OpenInitialSubflow {
                iface: CELL,
                remote_addr: SERVER,
                mptcp: true
            }]
        );
        assert_eq!(
            est,
            vec![PmAction::SetBackup {
                subflow: SubflowId(0),
                backup: true
            }]
        );
    }

    #[test]
    fn handover_joins_wifi_without_backup_when_wifi_comes_up() {
        let (mut pm, _, _) = on_cellular(IosConfig::default());
        assert_eq!(up(&mut pm, ms(5000), WIFI, wifi()), vec![join(WIFI, 1, false)]);
    }

    #[test]
    fn handover_resets_cellular_once_wifi_is_established_and_working() {
        let (_, acts) = handed_over(IosConfig::default());
        assert_eq!(
            acts,
            vec![
                PmAction::AdvertiseZeroWindow { subflow: SubflowId(0) },
                PmAction::ResetSubflow {
                    subflow: SubflowId(0),
                    reason: None
                },
            ]
        );
    }

    #[test]
    fn handover_sends_only_the_rst_with_the_xnu_6153_reset_path() {
        let cfg = IosConfig {
            zero_window_before_rst: false,
            ..IosConfig::default()
        };
        let (_, acts) = handed_over(cfg);
        assert_eq!(
            acts,
            vec![PmAction::ResetSubflow {
                subflow: SubflowId(0),
                reason: None
            }]
        );
    }

    #[test]
    fn handover_reopens_cellular_when_wifi_goes_down() {
        let (mut pm, _) = handed_over(IosConfig::default());
        event(
            &mut pm,
            ms(5021),
            PmEvent::SubflowClosed {
                subflow: SubflowId(0),
                iface: CELL,
                remote_addr: SERVER,
                reason: super::super::CloseReason::Aborted,
            },
        );
        assert_eq!(
            down(&mut pm, ms(9000), WIFI),
            vec![
                join(CELL, 2, true),
                PmAction::RemoveAddress { addr_id: 1 },
                PmAction::AbortSubflow { subflow: SubflowId(1) },
            ]
        );
        // The new cellular subflow already carries the B bit: no MP_PRIO.
        assert!(event(&mut pm, ms(9150), joined(2, CELL, true)).is_empty());
    }

    #[test]
    fn handover_stays_on_wifi_without_a_cellular_subflow_when_wifi_is_up() {
        let mut pm = handover(IosConfig::default());
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        let connect = event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        assert_eq!(
            connect,
            vec![PmAction::OpenInitialSubflow {
                iface: WIFI,
                remote_addr: SERVER,
                mptcp: true
            }]
        );
        assert!(event(&mut pm, ms(20), established(0, WIFI)).is_empty());
        // One RTO is not enough (2 x mptcp_fail_thresh), but the data is
        // reinjected (failover) all the same.
        let mut h = health(0, IfaceKind::Preferred);
        h.rxtshift = 1;
        assert_eq!(
            event(&mut pm, ms(400), PmEvent::SubflowHealth(h)),
            vec![PmAction::Reinject { subflow: SubflowId(0) }]
        );
    }

    #[test]
    fn handover_opens_cellular_after_two_wifi_rtos_with_data_pending_and_keeps_it_while_wifi_is_slow() {
        let mut pm = handover(IosConfig::default());
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        event(&mut pm, ms(20), established(1, WIFI));
        assert_eq!(
            event(&mut pm, ms(300), wifi_health(1, true)),
            vec![PmAction::Reinject { subflow: SubflowId(1) }]
        );
        assert_eq!(event(&mut pm, ms(800), wifi_health(2, true)), vec![join(CELL, 1, true)]);
        // The cellular join completes while Wi-Fi is still slow: kept.
        assert!(event(&mut pm, ms(900), joined(2, CELL, true)).is_empty());
        // Wi-Fi recovers: XNU does not re-examine removal on an ACK...
        assert!(event(&mut pm, ms(1000), wifi_health(0, true)).is_empty());
        // ...only when a join completes or Symptoms speaks.
        assert_eq!(
            event(&mut pm, ms(2000), PmEvent::WifiAdvisory { wifi_ok: true }),
            vec![
                PmAction::AdvertiseZeroWindow { subflow: SubflowId(2) },
                PmAction::ResetSubflow {
                    subflow: SubflowId(2),
                    reason: None
                },
            ]
        );
    }

    #[test]
    fn handover_does_not_open_cellular_on_wifi_rtos_without_data_pending() {
        // A client that only downloads has nothing pending: XNU waits for
        // Symptoms, which is not modelled.
        let mut pm = handover(IosConfig::default());
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        event(&mut pm, ms(20), established(1, WIFI));
        event(&mut pm, ms(300), wifi_health(1, false));
        assert!(event(&mut pm, ms(900), wifi_health(2, false)).is_empty());
        assert!(event(&mut pm, ms(2000), wifi_health(3, false)).is_empty());
    }

    #[test]
    fn handover_for_a_third_party_app_opens_cellular_only_when_symptoms_says_wifi_is_bad() {
        let cfg = IosConfig {
            app: AppKind::ThirdParty,
            ..IosConfig::default()
        };
        let mut pm = handover(cfg);
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        event(&mut pm, ms(20), established(1, WIFI));
        event(&mut pm, ms(300), wifi_health(1, true));
        assert!(event(&mut pm, ms(900), wifi_health(4, true)).is_empty());
        assert_eq!(
            event(&mut pm, ms(1000), PmEvent::WifiAdvisory { wifi_ok: false }),
            vec![join(CELL, 1, true)]
        );
    }

    #[test]
    fn handover_sends_on_wifi_until_it_is_slow_then_on_cellular_and_probes_wifi() {
        let (mut pm, _) = handed_over(IosConfig::default());
        let mut wifi_sf = health(1, IfaceKind::Preferred);
        let cell_sf = health(2, IfaceKind::Expensive);
        let choose = |pm: &mut IosPathManager, at, w| pm.choose_sender_subflow(ms(at), &[w, cell_sf]);
        assert_eq!(
            choose(&mut pm, 6000, wifi_sf),
            SenderChoice::Choose {
                send_on: Some(SubflowId(1)),
                probe_on: None
            }
        );
        wifi_sf.rxtshift = 1;
        assert_eq!(
            choose(&mut pm, 6100, wifi_sf),
            SenderChoice::Choose {
                send_on: Some(SubflowId(1)),
                probe_on: None
            }
        );
        wifi_sf.rxtshift = 2;
        assert_eq!(
            choose(&mut pm, 6200, wifi_sf),
            SenderChoice::Choose {
                send_on: Some(SubflowId(2)),
                probe_on: None
            }
        );
        assert_eq!(
            choose(&mut pm, 7201, wifi_sf),
            SenderChoice::Choose {
                send_on: Some(SubflowId(2)),
                probe_on: Some(SubflowId(1))
            }
        );
        // Nothing pending on Wi-Fi's side of the rule: back to Wi-Fi.
        wifi_sf.data_pending = false;
        assert_eq!(
            choose(&mut pm, 7300, wifi_sf),
            SenderChoice::Choose {
                send_on: Some(SubflowId(1)),
                probe_on: None
            }
        );
    }

    #[test]
    fn handover_ignores_add_addr_and_remove_addr_and_accepts_no_join() {
        let (mut pm, _) = handed_over(IosConfig::default());
        let peer = RemoteAddr {
            id: 1,
            addr: 0x0A00_0002,
            port: None,
        };
        assert!(event(&mut pm, ms(6000), PmEvent::AddressAnnounced { remote: peer }).is_empty());
        assert!(event(&mut pm, ms(6000), PmEvent::AddressRemoved { id: 0 }).is_empty());
        assert!(!pm.accepts_joins());
        assert_eq!(pm.poll_timeout(), None);
    }

    #[test]
    fn use_cellular_follows_the_wifi_quality() {
        use WifiQuality::*;
        assert!(!use_cellular(Good, 9, true, 1));
        assert!(!use_cellular(Unsure, 1, true, 1));
        assert!(use_cellular(Unsure, 2, true, 1));
        assert!(!use_cellular(Unsure, 5, false, 1));
        assert!(use_cellular(Bad, 0, false, 1));
        assert!(!use_cellular(Bad, 1, true, 1));
        assert!(use_cellular(Bad, 2, true, 1));
    }
}
