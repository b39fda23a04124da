//! iOS Multipath TCP as Apple's XNU kernel implements it: what the three
//! multipath service types (`handover`, `interactive`, `aggregate`) share.
//!
//! Sources: apple-oss-distributions/xnu, bsd/netinet/mptcp.c, mptcp_subr.c,
//! mptcp_opt.c, mptcp_var.h, tcp_timer.c, tcp_subr.c. The structure (which
//! events re-evaluate the subflows, the backup flag, the reset sequence)
//! follows xnu-4570.1.46, the iOS 11 kernel of the experiment. XNU's notion
//! of "Wi-Fi is not working" in that release is a bare Symptoms bit
//! (`mptcp_is_wifi_unusable`); this model follows the later formulation
//! (xnu-11417 `mptcp_wifi_quality_for_session`, `mptcp_handover_use_cellular`,
//! `mptcp_subflow_is_slow`), which says what happens without a Symptoms
//! verdict; with Symptoms saying "Wi-Fi OK" both give the same result in the
//! situations the experiment exercises (Wi-Fi up and fine, or gone).
//!
//! Shared rules ([`IosPathManager`]):
//! - The initial subflow goes out on the default route (Wi-Fi when up) with
//!   MP_CAPABLE. Once it is connected: if it is cellular and the type is not
//!   aggregate, it becomes a backup subflow and MP_PRIO(B=1) is sent
//!   (mptcp_subr.c `mptcp_subflow_connected_ev`: `TMPF_BACKUP_PATH |
//!   TMPF_SND_MPPRIO`); then `mptcp_check_subflows_and_add` runs.
//! - `mptcp_check_subflows_and_add`: one subflow per viable (up) interface
//!   that has none, all to the peer address of the initial subflow; in
//!   handover mode gated by the Wi-Fi rules of [`super::ios_handover`]. It
//!   runs when the connection is established, when an interface becomes
//!   viable or not (NECP callbacks -> `mptcp_sched_create_subflows`), after
//!   every RTO of a subflow (tcp_timer.c `tcp_timers`, TCPT_REXMT; xnu-4570
//!   does so for every service type, later releases for handover only), and when
//!   the Symptoms advisory changes (handover only, `mptcp_wifi_status_changed`).
//! - An MP_JOIN SYN from a cellular interface carries the backup bit unless
//!   the type is aggregate (mptcp_opt.c `mptcp_setup_join_subflow_syn_opts`);
//!   a cellular join that was not flagged is flagged with MP_PRIO once
//!   connected (`mptcp_subflow_connected_ev`, case b).
//! - Each new subflow takes a fresh address id: 0 for the initial one, then
//!   1, 2, ... (mptcp_subr.c `mptcp_subflow_add`, `mpte_addrid_last++`).
//! - A subflow whose interface goes away: REMOVE_ADDR with its address id
//!   (only the last one when several go at once: `mpte_lost_aid`), then it is
//!   aborted (`mptcp_subflow_nosrcaddr_ev`).
//! - A subflow closed by the peer or by a timeout is forgotten; nothing is
//!   re-created until the next trigger above (`mptcp_subflow_disconnected_ev`).
//! - An RTO that brings a subflow's `rxtshift` to `mptcp_fail_thresh` (1)
//!   reinjects its unacknowledged data, once per backoff episode
//!   (`mptcp_act_on_txfail` -> `mptcp_subflow_failover_ev` ->
//!   `mptcp_reinject_mbufs`; `SOF_MP_TRYFAILOVER` until
//!   `mptcp_reset_rexmit_state`).
//! - ADD_ADDR, REMOVE_ADDR and MP_PRIO from the peer are ignored (mptcp.h:
//!   "ADD_ADDR option shall be ignored by this implementation";
//!   mptcp_opt.c `tcp_do_mptcp_options`), and no join is accepted (the
//!   MPTCP socket has no listen/accept: mptcp_usrreq.c `mptcp_usrreqs`).
//! - The sender's per-packet choice and the probes of the preferred subflow
//!   are [`IosScheduler`] (mptcp.c `mptcp_get_subflow`, `mptcp_output`).
//!
//! Simplified versus XNU, and what a user could observe:
//! - Symptoms and Wi-Fi Assist are not modelled. Wi-Fi Assist (the user's
//!   permission to use cellular data when Wi-Fi is poor) is assumed on, so
//!   cellular subflows are allowed. Symptoms is assumed
//!   to say "Wi-Fi OK" whenever a [`IfaceKind::Preferred`] interface is up
//!   and "lossy" when none is, unless a [`PmEvent::WifiAdvisory`] says
//!   otherwise (a scenario raises it with the timeline's `WifiAdvisory`, or
//!   `WifiSignal` through a threshold standing in for Symptoms'
//!   measurements); the app is first-party by default ([`AppKind`]). Consequence:
//!   a first-party handover connection (quality `Unsure`) moves to cellular
//!   only after two RTOs on Wi-Fi with data pending, which a client that only
//!   downloads never has: such a client hands over when the Wi-Fi interface
//!   goes away, not when Wi-Fi merely degrades.
//! - Third-party apps must ask Symptoms before creating a subflow
//!   (`mptcp_ask_symptoms`); the answer is assumed to be "yes", at once.
//! - No NAT64 synthesis, IPv4 only, no TFO, no `no_mptcp_support` marking of
//!   interfaces whose join fell back, no cell-icon or statistics.
//! - Interfaces are examined in [`IfaceId`] order (XNU: the order NECP
//!   reported them).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use sim_core::{IfaceId, SimDuration, SimTime};

use super::{
    IfaceKind, Interfaces, PathManager, Phase, PmAction, PmEvent, RemoteAddr, Role, SenderChoice, SubflowHealth,
    SubflowId, ios_aggregate, ios_handover, ios_interactive,
};

/// XNU `mptcp_fail_thresh` (mptcp.c): RTOs before failover.
pub const MPTCP_FAIL_THRESH: u32 = 1;
/// XNU `mptcp_rtthist_rtthresh` (mptcp.c), 600 ms.
pub const MPTCP_RTTHIST_RTTHRESH: SimDuration = SimDuration::from_millis(600);
/// XNU `mptcp_rtothresh` (mptcp.c), 1500 ms.
pub const MPTCP_RTOTHRESH: SimDuration = SimDuration::from_millis(1500);
/// XNU `mptcp_probeto` (mptcp.c), 1000 ms.
pub const MPTCP_PROBETO: SimDuration = SimDuration::from_millis(1000);
/// XNU `mptcp_probecnt` (mptcp.c).
pub const MPTCP_PROBECNT: u32 = 5;

/// The kernel's multipath service types (tcp.h `MPTCP_SVCTYPE_HANDOVER` = 0,
/// `INTERACTIVE` = 1, `AGGREGATE` = 2; URLSession's `.none` never reaches the
/// kernel as MPTCP and is [`super::IosNone`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceType {
    /// `MPTCP_SVCTYPE_HANDOVER`: cellular only when Wi-Fi fails (see
    /// [`super::ios_handover`]).
    Handover,
    /// `MPTCP_SVCTYPE_INTERACTIVE`: the lower-latency subflow (see
    /// [`super::ios_interactive`]).
    Interactive,
    /// `MPTCP_SVCTYPE_AGGREGATE`: both interfaces at once (see
    /// [`super::ios_aggregate`]).
    Aggregate,
}

impl ServiceType {
    /// The scenario spelling: `"handover"`, `"interactive"` or `"aggregate"`.
    pub const fn name(self) -> &'static str {
        match self {
            ServiceType::Handover => "handover",
            ServiceType::Interactive => "interactive",
            ServiceType::Aggregate => "aggregate",
        }
    }
}

/// Whose app opened the connection (XNU `MPTE_FIRSTPARTY`): it decides how
/// the Symptoms verdict becomes a Wi-Fi quality.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// Apple's own apps (Siri, Maps...): in handover mode XNU ignores the
    /// advisory and stays `Unsure`, so only RTOs move traffic to cellular.
    #[default]
    FirstParty,
    /// Other apps: Wi-Fi is `Good` while Symptoms says OK, so handover mode
    /// never creates cellular while Wi-Fi is up (xnu-4570 behaves so too).
    ThirdParty,
}

/// XNU `mptcp_wifi_quality_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WifiQuality {
    /// Symptoms says Wi-Fi is OK: no reason to move off Wi-Fi.
    Good,
    /// No verdict (first-party apps in handover mode): only RTOs decide.
    Unsure,
    /// Symptoms says Wi-Fi is bad.
    Bad,
}

/// XNU `mptcp_wifi_quality_for_session` (xnu-11417 mptcp_subr.c) with
/// `wifi_ok` standing for Symptoms' advisory (`SYMPTOMS_ADVISORY_WIFI_OK`).
pub fn wifi_quality_for_session(app: AppKind, service: ServiceType, wifi_ok: bool) -> WifiQuality {
    let by_advisory = if wifi_ok { WifiQuality::Good } else { WifiQuality::Bad };
    match app {
        AppKind::FirstParty if service == ServiceType::Handover => WifiQuality::Unsure,
        AppKind::FirstParty | AppKind::ThirdParty => by_advisory,
    }
}

/// Knobs, XNU's sysctl values by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IosConfig {
    /// Whose app opened the connection ([`AppKind`]).
    pub app: AppKind,
    /// `net.inet.mptcp.fail` ([`MPTCP_FAIL_THRESH`]).
    pub fail_thresh: u32,
    /// `net.inet.mptcp.rtthist_thresh` ([`MPTCP_RTTHIST_RTTHRESH`]).
    pub rtt_thresh: SimDuration,
    /// `net.inet.mptcp.rto_thresh` ([`MPTCP_RTOTHRESH`]).
    pub rto_thresh: SimDuration,
    /// `net.inet.mptcp.probeto` ([`MPTCP_PROBETO`]); zero disables probing.
    pub probe_interval: SimDuration,
    /// `net.inet.mptcp.probecnt` ([`MPTCP_PROBECNT`]).
    pub probe_count: u32,
    /// Put a zero-window pure ACK before the RST that removes a cellular
    /// subflow, as xnu-4570 and xnu-4903 (iOS 11, 12) do; false gives the
    /// single RST of xnu-6153 and later. See [`super::ios_handover`].
    pub zero_window_before_rst: bool,
}

impl Default for IosConfig {
    fn default() -> Self {
        IosConfig {
            app: AppKind::FirstParty,
            fail_thresh: MPTCP_FAIL_THRESH,
            rtt_thresh: MPTCP_RTTHIST_RTTHRESH,
            rto_thresh: MPTCP_RTOTHRESH,
            probe_interval: MPTCP_PROBETO,
            probe_count: MPTCP_PROBECNT,
            zero_window_before_rst: true,
        }
    }
}

/// XNU `mptcp_subflow_is_slow` (xnu-11417 mptcp.c): RTO backoff of at least
/// the failover threshold (doubled in handover mode) while data is pending.
pub fn is_slow(sf: &SubflowHealth, service: ServiceType, fail_thresh: u32) -> bool {
    let thresh = match service {
        ServiceType::Handover => fail_thresh.saturating_mul(2),
        ServiceType::Interactive | ServiceType::Aggregate => fail_thresh,
    };
    sf.rxtshift >= thresh && sf.data_pending
}

/// XNU `mptcp_choose_subflow` (mptcp.c): take a lower srtt if the candidate
/// has no RTO backoff or the current best has one; always take a candidate
/// without backoff over a current best with backoff. `cur_rtt_ns` is XNU's
/// `currtt` (starts at "infinity"); a missing srtt counts as 0, as XNU's
/// `t_srtt` does before the first sample.
fn choose_subflow<'a>(
    cand: &'a SubflowHealth,
    cur: Option<&'a SubflowHealth>,
    cur_rtt_ns: &mut u64,
) -> &'a SubflowHealth {
    let srtt = cand.srtt.map_or(0, SimDuration::as_nanos);
    let cur_backoff = cur.is_some_and(|c| c.rxtshift > 0);
    if srtt != 0 && *cur_rtt_ns > srtt && (cur.is_none() || cand.rxtshift == 0 || cur_backoff) {
        *cur_rtt_ns = srtt;
        return cand;
    }
    if cur_backoff && cand.rxtshift == 0 {
        *cur_rtt_ns = srtt;
        return cand;
    }
    cur.unwrap_or(cand)
}

/// XNU `mptcp_return_subflow` (mptcp.c): nothing if no congestion-window space.
fn return_subflow(sf: Option<&SubflowHealth>) -> Option<SubflowId> {
    sf.filter(|s| s.cwnd_space_bytes > 0).map(|s| s.subflow)
}

#[derive(Clone, Copy, Debug, Default)]
struct ProbeState {
    /// XNU `mpts_probesoon`: when probing was armed.
    since: Option<SimTime>,
    /// XNU `mpts_probecnt`: probe segments sent since.
    count: u32,
}

/// XNU's sender-side subflow choice for one connection (mptcp.c
/// `mptcp_get_subflow`, with the probing of `mptcp_output`).
///
/// 1. Among usable subflows, the best non-cellular one (`best`) and the best
///    cellular one (`second_best`), each by `mptcp_choose_subflow`.
/// 2. If only one kind exists, it is used; otherwise the service type
///    decides ([`super::ios_handover`], [`super::ios_interactive`],
///    [`super::ios_aggregate`]); `best` is the "preferred" subflow.
/// 3. The result is dropped if it has no congestion-window space
///    (`mptcp_return_subflow`): the sender waits.
/// 4. After a segment goes on another subflow than the preferred one, the
///    preferred one is probed: armed at the first such send, a probe goes
///    with every such send more than `probe_interval` later, until
///    `probe_count` probes, then it re-arms (`mpts_probesoon`,
///    `mpts_probecnt`). A send on a subflow clears its own probe state.
///
/// Simplified: each probe counts as one segment (XNU counts the segments of
/// the first DSS mapping it copies); degraded (fallback) and TFO subflows,
/// which XNU picks outright, do not exist here.
#[derive(Clone, Debug)]
pub struct IosScheduler {
    service: ServiceType,
    cfg: IosConfig,
    probes: BTreeMap<SubflowId, ProbeState>,
}

impl IosScheduler {
    /// A scheduler for `service` with the knobs of `cfg`.
    pub fn new(service: ServiceType, cfg: IosConfig) -> Self {
        IosScheduler {
            service,
            cfg,
            probes: BTreeMap::new(),
        }
    }

    /// The subflow for the next segment at `now` and the probe to send after
    /// it; `quality` is the Wi-Fi quality of the session. Always
    /// [`SenderChoice::Choose`].
    pub fn select(&mut self, now: SimTime, quality: WifiQuality, subflows: &[SubflowHealth]) -> SenderChoice {
        self.probes.retain(|id, _| subflows.iter().any(|s| s.subflow == *id));
        let mut best: Option<&SubflowHealth> = None;
        let mut second: Option<&SubflowHealth> = None;
        let (mut cheap_rtt, mut exp_rtt) = (u64::MAX, u64::MAX);
        for sf in subflows.iter().filter(|s| s.usable) {
            match sf.iface_kind {
                IfaceKind::Expensive => second = Some(choose_subflow(sf, second, &mut exp_rtt)),
                IfaceKind::Preferred => best = Some(choose_subflow(sf, best, &mut cheap_rtt)),
            }
        }
        let (send_on, preferred) = match (best, second) {
            (None, only) | (only @ Some(_), None) => (return_subflow(only), None),
            (Some(b), Some(s)) => {
                let fail = self.cfg.fail_thresh;
                let chosen = match self.service {
                    ServiceType::Handover => ios_handover::choose(quality, b, s, fail),
                    ServiceType::Interactive => ios_interactive::choose(quality, b, s, &self.cfg),
                    ServiceType::Aggregate => ios_aggregate::choose(b, s),
                };
                (return_subflow(Some(chosen)), return_subflow(Some(b)))
            }
        };
        let probe_on = send_on.and_then(|sent| self.probe_after_send(now, sent, preferred));
        SenderChoice::Choose { send_on, probe_on }
    }

    /// mptcp.c `mptcp_output`, after `mptcp_subflow_output` succeeded.
    fn probe_after_send(
        &mut self,
        now: SimTime,
        sent_on: SubflowId,
        preferred: Option<SubflowId>,
    ) -> Option<SubflowId> {
        self.probes.remove(&sent_on);
        let pref = preferred.filter(|p| *p != sent_on)?;
        if self.cfg.probe_interval.is_zero() {
            return None;
        }
        let st = self.probes.entry(pref).or_default();
        match st.since {
            None => {
                *st = ProbeState {
                    since: Some(now),
                    count: 0,
                };
                None
            }
            Some(t0) if now.saturating_since(t0) > self.cfg.probe_interval => {
                st.count += 1;
                if st.count >= self.cfg.probe_count {
                    *st = ProbeState::default();
                }
                Some(pref)
            }
            Some(_) => None,
        }
    }
}

/// One subflow as XNU's `mptsub` list holds it.
#[derive(Clone, Copy, Debug)]
struct XnuSubflow {
    /// `None` until the connection reports it established.
    id: Option<SubflowId>,
    iface: IfaceId,
    kind: IfaceKind,
    local_addr_id: u8,
    remote_addr: u32,
    /// `MPTSF_CONNECTED` and `TCPS_ESTABLISHED`.
    connected: bool,
    /// `TMPF_BACKUP_PATH`.
    backup: bool,
    /// Last reported `t_rxtshift`.
    rxtshift: u32,
    /// `SOF_MP_TRYFAILOVER`: the data was reinjected in this backoff episode.
    failover_done: bool,
}

impl XnuSubflow {
    /// A subflow being opened: not yet reported established, no backoff.
    fn pending(iface: IfaceId, kind: IfaceKind, local_addr_id: u8, remote_addr: u32, backup: bool) -> Self {
        XnuSubflow {
            id: None,
            iface,
            kind,
            local_addr_id,
            remote_addr,
            connected: false,
            backup,
            rxtshift: 0,
            failover_done: false,
        }
    }
}

/// The iOS `handover`, `interactive` and `aggregate` service types: XNU's
/// MPTCP session (`struct mptses`) seen as a path manager. The rules that
/// differ by type are in [`super::ios_handover`], [`super::ios_interactive`]
/// and [`super::ios_aggregate`].
#[derive(Debug)]
pub struct IosPathManager {
    service: ServiceType,
    cfg: IosConfig,
    role: Role,
    ifaces: Interfaces,
    phase: Phase,
    remote_addr: u32,
    subflows: Vec<XnuSubflow>,
    next_addr_id: u8,
    wifi_advisory_ok: bool,
    data_pending: bool,
    scheduler: IosScheduler,
    actions: VecDeque<PmAction>,
}

impl IosPathManager {
    /// A path manager for `service` on the `role` side (inert on a server).
    pub fn new(service: ServiceType, role: Role, cfg: IosConfig) -> Self {
        IosPathManager {
            service,
            cfg,
            role,
            ifaces: Interfaces::default(),
            phase: Phase::Idle,
            remote_addr: 0,
            subflows: Vec::new(),
            next_addr_id: 1,
            wifi_advisory_ok: true,
            data_pending: false,
            scheduler: IosScheduler::new(service, cfg),
            actions: VecDeque::new(),
        }
    }

    /// The service type it implements.
    pub fn service(&self) -> ServiceType {
        self.service
    }

    /// The session's Wi-Fi quality: [`wifi_quality_for_session`] with
    /// "Wi-Fi OK" = the advisory (OK unless told otherwise) and a preferred
    /// interface up.
    pub fn wifi_quality(&self) -> WifiQuality {
        let wifi_ok = self.wifi_advisory_ok && self.ifaces.any_up(IfaceKind::Preferred);
        wifi_quality_for_session(self.cfg.app, self.service, wifi_ok)
    }

    /// XNU mptcp_subr.c `mptcp_ok_to_create_subflows` (xnu-4570): established, not closing, not
    /// fallen back to TCP.
    fn ok_to_create_subflows(&self) -> bool {
        self.phase == Phase::Established
    }

    fn connect(&mut self, remote_addr: u32) {
        self.remote_addr = remote_addr;
        let Some(act) = self.phase.connect(&self.ifaces, remote_addr, true) else {
            return;
        };
        if let PmAction::OpenInitialSubflow { iface, .. } = act
            && let Some(info) = self.ifaces.get(iface)
        {
            self.subflows
                .push(XnuSubflow::pending(iface, info.kind, 0, remote_addr, false));
        }
        self.actions.push_back(act);
    }

    fn position(&self, id: SubflowId) -> Option<usize> {
        self.subflows.iter().position(|s| s.id == Some(id))
    }

    fn pending_position(&self, iface: IfaceId, remote_addr: u32) -> Option<usize> {
        self.subflows
            .iter()
            .position(|s| s.id.is_none() && s.iface == iface && s.remote_addr == remote_addr)
    }

    /// The entry for a subflow the connection reports established: the one
    /// opened on that interface, or a new one if the connection opened it.
    fn adopt(&mut self, id: SubflowId, iface: IfaceId, remote_addr: u32) -> usize {
        let idx = self.position(id).or_else(|| self.pending_position(iface, remote_addr));
        let idx = idx.unwrap_or_else(|| {
            let kind = self.ifaces.get(iface).map_or(IfaceKind::Preferred, |i| i.kind);
            self.subflows
                .push(XnuSubflow::pending(iface, kind, 0, remote_addr, false));
            self.subflows.len() - 1
        });
        let sf = &mut self.subflows[idx];
        sf.id = Some(id);
        sf.connected = true;
        idx
    }

    /// Whether this subflow keeps cellular away in handover mode: a
    /// connected Wi-Fi subflow that is not "slow" (xnu-11417
    /// `mptcp_handover_use_cellular`; see [`super::ios_handover`]).
    fn is_working_wifi(&self, sf: &XnuSubflow, quality: WifiQuality) -> bool {
        sf.kind == IfaceKind::Preferred
            && sf.connected
            && !ios_handover::use_cellular(quality, sf.rxtshift, self.data_pending, self.cfg.fail_thresh)
    }

    /// XNU mptcp_subr.c `mptcp_check_subflows_and_add` (xnu-4570 loop; the
    /// handover gate as in xnu-11417: no cellular while the quality is `Good`,
    /// none while a connected Wi-Fi subflow does not need cellular).
    fn check_subflows_and_add(&mut self) {
        if !self.ok_to_create_subflows() {
            return;
        }
        let handover = self.service == ServiceType::Handover;
        let quality = self.wifi_quality();
        let ifaces: Vec<_> = self.ifaces.iter().collect();
        for (iface, info) in ifaces {
            if handover && info.kind == IfaceKind::Expensive && quality == WifiQuality::Good {
                continue;
            }
            let found = self
                .subflows
                .iter()
                .any(|sf| (handover && self.is_working_wifi(sf, quality)) || sf.iface == iface);
            if !found {
                self.open_join(iface, info.kind);
            }
        }
    }

    /// XNU mptcp_subr.c `mptcp_subflow_add` of a join (xnu-4570: fresh
    /// address id, `mpte_addrid_last++`), with the B bit of mptcp_opt.c
    /// `mptcp_setup_join_subflow_syn_opts` (cellular and not aggregate).
    fn open_join(&mut self, iface: IfaceId, kind: IfaceKind) {
        let local_addr_id = self.next_addr_id;
        self.next_addr_id = self.next_addr_id.checked_add(1).unwrap_or(1);
        let backup = kind == IfaceKind::Expensive && self.service != ServiceType::Aggregate;
        self.subflows.push(XnuSubflow::pending(
            iface,
            kind,
            local_addr_id,
            self.remote_addr,
            backup,
        ));
        self.actions.push_back(PmAction::OpenSubflow {
            iface,
            local_addr_id,
            remote: RemoteAddr::initial(self.remote_addr),
            backup,
        });
    }

    /// XNU mptcp_subr.c `mptcp_check_subflows_and_remove` (xnu-4570; the
    /// "working" test of xnu-11417 `mptcp_handover_subflows_remove`):
    /// handover only; see
    /// [`super::ios_handover`].
    fn check_subflows_and_remove(&mut self) {
        if self.service != ServiceType::Handover || !self.ok_to_create_subflows() {
            return;
        }
        let quality = self.wifi_quality();
        if !self.subflows.iter().any(|sf| self.is_working_wifi(sf, quality)) {
            return;
        }
        let doomed: Vec<SubflowId> = self
            .subflows
            .iter()
            .filter(|sf| sf.kind == IfaceKind::Expensive)
            .filter_map(|sf| sf.id)
            .collect();
        for id in doomed {
            self.subflows.retain(|sf| sf.id != Some(id));
            self.actions
                .extend(ios_handover::must_reset(id, self.cfg.zero_window_before_rst));
        }
    }

    /// An interface went away (NECP non-viable, mptcp_subr.c
    /// `mptcp_subflow_necp_cb` sets `MPTSF_CLOSE_REQD`): `mptcp_create_subflows` runs
    /// `mptcp_check_subflows_and_add`, then `mptcp_remove_subflows` turns the
    /// subflows on it into `mptcp_subflow_nosrcaddr_ev`.
    fn interface_lost(&mut self, iface: IfaceId) {
        let lost: Vec<(SubflowId, u8)> = self
            .subflows
            .iter()
            .filter(|sf| sf.iface == iface)
            .filter_map(|sf| sf.id.map(|id| (id, sf.local_addr_id)))
            .collect();
        self.subflows.retain(|sf| sf.iface != iface);
        if !self.ok_to_create_subflows() {
            return;
        }
        self.check_subflows_and_add();
        if let Some((_, aid)) = lost.last() {
            self.actions.push_back(PmAction::RemoveAddress { addr_id: *aid });
        }
        for (id, _) in lost {
            self.actions.push_back(PmAction::AbortSubflow { subflow: id });
        }
    }

    /// XNU tcp_timer.c `tcp_timers` (TCPT_REXMT) after an RTO of an MPTCP
    /// subflow (xnu-4570: `mptcp_act_on_txfail` when `t_rxtshift >=
    /// mptcp_fail_thresh`, then `mptcp_check_subflows_and_add` for every
    /// service type), and mptcp_subr.c `mptcp_reset_rexmit_state` once the
    /// backoff is over.
    fn health(&mut self, h: SubflowHealth) {
        self.data_pending = h.data_pending;
        let Some(idx) = self.position(h.subflow) else {
            return;
        };
        let established = self.phase == Phase::Established;
        let fail = self.cfg.fail_thresh;
        let sf = &mut self.subflows[idx];
        let rto_fired = h.rxtshift > sf.rxtshift;
        sf.rxtshift = h.rxtshift;
        if h.rxtshift == 0 {
            sf.failover_done = false;
        }
        if !rto_fired {
            return;
        }
        if h.rxtshift >= fail && sf.connected && established && !sf.failover_done {
            sf.failover_done = true;
            self.actions.push_back(PmAction::Reinject { subflow: h.subflow });
        }
        self.check_subflows_and_add();
    }
}

impl PathManager for IosPathManager {
    fn name(&self) -> &'static str {
        self.service.name()
    }

    fn handle_event(&mut self, _now: SimTime, event: PmEvent) {
        if self.role == Role::Server {
            return; // XNU mptcp_usrreq.c mptcp_usrreqs: no listen, no accept.
        }
        match event {
            PmEvent::InterfaceUp { iface, info } => {
                // XNU mptcp.c mptcp_session_necp_cb (NECP_CLIENT_CBACTION_VIABLE)
                // -> mptcp_sched_create_subflows -> mptcp_check_subflows_and_add.
                self.ifaces.set_up(iface, info);
                match self.phase {
                    Phase::WaitingForInterface { remote_addr } => self.connect(remote_addr),
                    _ => self.check_subflows_and_add(),
                }
            }
            PmEvent::InterfaceDown { iface } => {
                self.ifaces.set_down(iface);
                self.interface_lost(iface);
            }
            PmEvent::ConnectRequested { remote_addr } => {
                if self.phase == Phase::Idle {
                    self.connect(remote_addr);
                }
            }
            PmEvent::ConnectionEstablished {
                subflow,
                iface,
                remote_addr,
                mptcp,
            } => {
                self.remote_addr = remote_addr;
                let idx = self.adopt(subflow, iface, remote_addr);
                if !mptcp {
                    // XNU mptcp_subr.c mptcp_subflow_connected_ev, case (a): no
                    // MP_CAPABLE, fallback to TCP, never another subflow.
                    self.phase = Phase::PlainTcp;
                    return;
                }
                self.phase = Phase::Established;
                // XNU mptcp_subr.c mptcp_subflow_connected_ev (xnu-4570), initial
                // subflow: cellular and not aggregate -> TMPF_BACKUP_PATH |
                // TMPF_SND_MPPRIO; then mptcp_check_subflows_and_add.
                let sf = &mut self.subflows[idx];
                if sf.kind == IfaceKind::Expensive && self.service != ServiceType::Aggregate {
                    sf.backup = true;
                    self.actions.push_back(PmAction::SetBackup { subflow, backup: true });
                }
                self.check_subflows_and_add();
            }
            PmEvent::SubflowEstablished {
                subflow,
                iface,
                remote,
                backup,
                initiated_locally,
            } => {
                if !initiated_locally {
                    return;
                }
                let idx = self.adopt(subflow, iface, remote.addr);
                let sf = &mut self.subflows[idx];
                sf.backup = backup;
                // XNU mptcp_subr.c mptcp_subflow_connected_ev, case (b): a
                // cellular join that was not flagged is, now; then removal.
                if sf.kind == IfaceKind::Expensive && !sf.backup && self.service != ServiceType::Aggregate {
                    sf.backup = true;
                    self.actions.push_back(PmAction::SetBackup { subflow, backup: true });
                }
                self.check_subflows_and_remove();
            }
            PmEvent::SubflowClosed {
                subflow,
                iface,
                remote_addr,
                ..
            } => {
                let idx = self
                    .position(subflow)
                    .or_else(|| self.pending_position(iface, remote_addr));
                if let Some(idx) = idx {
                    let sf = self.subflows.remove(idx);
                    if matches!(self.phase, Phase::Connecting { .. }) && !sf.connected && sf.local_addr_id == 0 {
                        // XNU mptcp_subflow_disconnected_ev: the initial
                        // subflow failed (state < ESTABLISHED): mptcp_drop.
                        self.phase = Phase::Closing;
                    }
                }
            }
            PmEvent::SubflowHealth(h) => self.health(h),
            PmEvent::WifiAdvisory { wifi_ok } => {
                // XNU mptcp_subr.c mptcp_wifi_status_changed (xnu-4570): only
                // handover is driven by Symptoms' Wi-Fi status.
                self.wifi_advisory_ok = wifi_ok;
                if self.service == ServiceType::Handover {
                    self.check_subflows_and_add();
                    self.check_subflows_and_remove();
                }
            }
            PmEvent::ConnectionClosing => self.phase = Phase::Closing,
            // XNU mptcp.h: "ADD_ADDR option shall be ignored"; mptcp_opt.c
            // tcp_do_mptcp_options: ADD_ADDR, REMOVE_ADDR, MP_PRIO fall through.
            PmEvent::InterfaceBackupChanged { .. }
            | PmEvent::AddressAnnounced { .. }
            | PmEvent::AddressRemoved { .. }
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

    fn chooses_sender_subflow(&self) -> bool {
        true
    }

    fn choose_sender_subflow(&mut self, now: SimTime, subflows: &[SubflowHealth]) -> SenderChoice {
        let quality = self.wifi_quality();
        self.scheduler.select(now, quality, subflows)
    }
}

/// The factory of an iOS service type's path manager with its knobs.
/// Client only: built for a server it is inert (it opens nothing and
/// accepts no join), like XNU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IosFactory {
    /// The service type.
    pub service: ServiceType,
    /// Its knobs.
    pub config: IosConfig,
}

impl crate::policy::PathManagerFactory for IosFactory {
    fn build(&self, role: Role) -> Box<dyn PathManager> {
        Box::new(IosPathManager::new(self.service, role, self.config))
    }
    fn supports_role(&self, role: Role) -> bool {
        role == Role::Client
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn the_constants_are_xnus_sysctl_defaults() {
        let c = IosConfig::default();
        assert_eq!(c.fail_thresh, 1);
        assert_eq!(c.rtt_thresh, SimDuration::from_millis(600));
        assert_eq!(c.rto_thresh, SimDuration::from_millis(1500));
        assert_eq!(c.probe_interval, SimDuration::from_millis(1000));
        assert_eq!(c.probe_count, 5);
        assert!(c.zero_window_before_rst);
        assert_eq!(c.app, AppKind::FirstParty);
    }

    #[test]
    fn wifi_quality_follows_xnu_for_first_and_third_party_apps() {
        use AppKind::*;
        use ServiceType::*;
        use WifiQuality::*;
        assert_eq!(wifi_quality_for_session(FirstParty, Handover, true), Unsure);
        assert_eq!(wifi_quality_for_session(FirstParty, Handover, false), Unsure);
        assert_eq!(wifi_quality_for_session(FirstParty, Interactive, true), Good);
        assert_eq!(wifi_quality_for_session(FirstParty, Aggregate, false), Bad);
        assert_eq!(wifi_quality_for_session(ThirdParty, Handover, true), Good);
        assert_eq!(wifi_quality_for_session(ThirdParty, Handover, false), Bad);
    }

    #[test]
    fn the_scheduler_prefers_a_subflow_without_backoff_over_a_faster_one_with_backoff() {
        let mut s = IosScheduler::new(ServiceType::Aggregate, IosConfig::default());
        let mut fast = health(1, IfaceKind::Preferred);
        fast.srtt = Some(SimDuration::from_millis(10));
        fast.rxtshift = 1;
        let slow = health(2, IfaceKind::Preferred);
        let pick = |s: &mut IosScheduler, v: &[SubflowHealth]| match s.select(ms(0), WifiQuality::Good, v) {
            SenderChoice::Choose { send_on, .. } => send_on,
            SenderChoice::Defer => panic!("the iOS scheduler always chooses"),
        };
        assert_eq!(pick(&mut s, &[fast, slow]), Some(SubflowId(2)));
        assert_eq!(pick(&mut s, &[slow, fast]), Some(SubflowId(2)));
        fast.rxtshift = 0;
        assert_eq!(pick(&mut s, &[slow, fast]), Some(SubflowId(1)));
    }

    #[test]
    fn the_scheduler_uses_the_only_kind_there_is_and_skips_unusable_subflows() {
        let mut s = IosScheduler::new(ServiceType::Handover, IosConfig::default());
        let cell = health(0, IfaceKind::Expensive);
        let mut wifi_syn = health(1, IfaceKind::Preferred);
        wifi_syn.usable = false;
        assert_eq!(
            s.select(ms(0), WifiQuality::Unsure, &[cell, wifi_syn]),
            SenderChoice::Choose {
                send_on: Some(SubflowId(0)),
                probe_on: None
            }
        );
        let mut full = cell;
        full.cwnd_space_bytes = 0;
        assert_eq!(
            s.select(ms(0), WifiQuality::Unsure, &[full]),
            SenderChoice::Choose {
                send_on: None,
                probe_on: None
            }
        );
        assert_eq!(
            s.select(ms(0), WifiQuality::Unsure, &[]),
            SenderChoice::Choose {
                send_on: None,
                probe_on: None
            }
        );
    }

    #[test]
    fn an_ios_path_manager_built_for_a_server_is_inert() {
        let mut pm = IosPathManager::new(ServiceType::Aggregate, Role::Server, IosConfig::default());
        up(&mut pm, ms(0), WIFI, wifi());
        up(&mut pm, ms(0), CELL, cell());
        assert!(event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER }).is_empty());
        assert!(event(&mut pm, ms(10), established(0, WIFI)).is_empty());
        assert!(!pm.accepts_joins());
    }

    #[test]
    fn a_connection_that_falls_back_to_tcp_never_gets_a_second_subflow() {
        let mut pm = IosPathManager::new(ServiceType::Aggregate, Role::Client, IosConfig::default());
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
        assert!(up(&mut pm, ms(50), CELL, cell()).is_empty());
    }

    #[test]
    fn no_subflow_is_added_after_data_fin() {
        let mut pm = IosPathManager::new(ServiceType::Interactive, Role::Client, IosConfig::default());
        up(&mut pm, ms(0), WIFI, wifi());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        event(&mut pm, ms(30), established(0, WIFI));
        event(&mut pm, ms(40), PmEvent::ConnectionClosing);
        assert!(up(&mut pm, ms(50), CELL, cell()).is_empty());
    }

    #[test]
    fn a_failed_initial_subflow_ends_the_session() {
        let mut pm = IosPathManager::new(ServiceType::Interactive, Role::Client, IosConfig::default());
        up(&mut pm, ms(0), WIFI, wifi());
        event(&mut pm, ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
        let failed = PmEvent::SubflowClosed {
            subflow: SubflowId(0),
            iface: WIFI,
            remote_addr: SERVER,
            reason: super::super::CloseReason::Timeout,
        };
        assert!(event(&mut pm, ms(6000), failed).is_empty());
        assert!(up(&mut pm, ms(7000), CELL, cell()).is_empty());
        assert!(event(&mut pm, ms(7000), PmEvent::ConnectRequested { remote_addr: SERVER }).is_empty());
    }
}
