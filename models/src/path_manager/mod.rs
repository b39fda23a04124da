//! Path managers: which subflows a Multipath TCP connection has, and when.
//!
//! A [`PathManager`] is a sans-IO policy: the connection feeds it plain-value
//! [`PmEvent`]s (an interface came up, a subflow was established or closed, a
//! subflow's health changed, the peer announced an address) and drains plain
//! [`PmAction`]s (open a subflow, set the backup flag with MP_PRIO, advertise a
//! zero window, reset a subflow, announce or remove an address). It never
//! calls back into the connection and never owns time: a timer is a deadline
//! read with [`PathManager::poll_timeout`] and fired with
//! [`PathManager::handle_timeout`].
//!
//! One implementation per file:
//! - [`default`]: the Linux out-of-tree "default" path manager: no extra
//!   subflows, accepts joins.
//! - [`full_mesh`]: Linux out-of-tree `fullmesh` (net/mptcp/mptcp_fullmesh.c):
//!   one subflow per (local interface, remote address) pair.
//! - [`in_kernel`]: the upstream Linux (5.6+, 6.x) in-kernel path manager
//!   (net/mptcp/pm_kernel.c): endpoints with flags and limits, immediate
//!   reaction to endpoint changes, none to link state.
//! - [`ndiffports`]: Linux out-of-tree `ndiffports`: N subflows over one
//!   address pair, from different source ports (for ECMP).
//! - [`ios_none`], [`ios_handover`], [`ios_interactive`], [`ios_aggregate`]:
//!   the four values of iOS `URLSessionConfiguration.multipathServiceType`, as
//!   Apple's XNU kernel implements them (bsd/netinet/mptcp*.c). The three
//!   multipath ones share [`ios::IosPathManager`], which carries XNU's common
//!   machinery; each service type's own rules live in its file.
//!
//! # How the connection drives a path manager
//!
//! 1. At construction, for every interface that is up: [`PmEvent::InterfaceUp`].
//! 2. Client only: [`PmEvent::ConnectRequested`]; the path manager answers
//!    with [`PmAction::OpenInitialSubflow`] on the interface the default route
//!    uses (the first up [`IfaceKind::Preferred`] interface in [`IfaceId`]
//!    order, else the first up one), or as soon as one comes up.
//! 3. Handshakes done: [`PmEvent::ConnectionEstablished`] (the initial subflow,
//!    MP_CAPABLE or fallen back to TCP) and [`PmEvent::SubflowEstablished`]
//!    (each MP_JOIN); every subflow that ends or fails to start:
//!    [`PmEvent::SubflowClosed`], also for subflows the path manager itself
//!    closed (it ignores ids it no longer knows).
//! 4. After every ACK and every retransmission timeout of a subflow:
//!    [`PmEvent::SubflowHealth`]. XNU re-evaluates its subflows on each RTO
//!    (tcp_timer.c, TCPT_REXMT) and needs `rxtshift`, `srtt`, `rto` and
//!    whether data is pending.
//! 5. Options received: ADD_ADDR -> [`PmEvent::AddressAnnounced`],
//!    REMOVE_ADDR -> [`PmEvent::AddressRemoved`]. DATA_FIN sent or received:
//!    [`PmEvent::ConnectionClosing`].
//! 6. After every `handle_event` / `handle_timeout`: drain
//!    [`PathManager::poll_action`] and carry the actions out *in order*
//!    (a zero-window advertisement precedes the RST it announces), then
//!    re-read [`PathManager::poll_timeout`].
//! 7. Sender side, before each new (or reinjected) data segment:
//!    [`PathManager::choose_sender_subflow`]. The Linux path managers answer
//!    [`SenderChoice::Defer`] (use the scenario's scheduler); the iOS ones
//!    answer with XNU's per-packet choice (`mptcp_get_subflow`), which Apple
//!    ties to the service type, plus XNU's probes of the preferred subflow.
//!    The same answer serves reinjected data (XNU serves its reinject queue
//!    through the same subflow choice, `mptcp_subflow_output`).
//!
//! Determinism: interfaces are visited in [`IfaceId`] order and subflows in
//! the order they were opened; no hash maps.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sim_core::{IfaceId, SimDuration, SimTime};

pub mod default;
pub mod full_mesh;
pub mod in_kernel;
pub mod ios;
pub mod ios_aggregate;
pub mod ios_handover;
pub mod ios_interactive;
pub mod ios_none;
pub mod ndiffports;

pub use default::{LinuxDefault, LinuxDefaultConfig};
pub use full_mesh::{FullMesh, FullMeshConfig};
pub use in_kernel::{InKernel, InKernelConfig};
pub use ios::{AppKind, IosConfig, IosFactory, IosPathManager, IosScheduler, ServiceType, WifiQuality};
pub use ios_none::{IosNone, IosNoneConfig};

/// A subflow of one connection, numbered by the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SubflowId(pub u32);

impl fmt::Display for SubflowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sf{}", self.0)
    }
}

/// What an interface costs, as iOS sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IfaceKind {
    /// Wi-Fi or Ethernet: Apple's "primary", "generally less expensive"
    /// interface; XNU `!IFNET_IS_CELLULAR`.
    Preferred,
    /// Cellular: Apple's "secondary", "more expensive" interface; XNU
    /// `IFNET_IS_CELLULAR`.
    Expensive,
}

/// One local interface as a path manager sees it (one IPv4 address each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IfaceInfo {
    /// What the interface costs: Wi-Fi/wired or cellular.
    pub kind: IfaceKind,
    /// The interface's IPv4 address (announced by ADD_ADDR).
    pub addr: u32,
    /// Linux `IFF_MPBACKUP` (`ip link set dev X multipath backup`): subflows
    /// from this interface carry the backup flag. Only the Linux path
    /// managers read it; iOS derives the flag from [`IfaceInfo::kind`].
    pub backup: bool,
}

/// The flags of a Linux MPTCP endpoint (`ip mptcp endpoint add ADDR
/// [signal] [subflow] [backup] [fullmesh]`; include/uapi/linux/mptcp.h
/// `MPTCP_PM_ADDR_FLAG_*`), read by the in-kernel path manager
/// ([`in_kernel`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EndpointFlags {
    /// Announce the address to the peer with ADD_ADDR.
    pub signal: bool,
    /// Open a subflow from the address to the peer.
    pub subflow: bool,
    /// Subflows from the address carry the backup flag (MP_JOIN B bit, or
    /// MP_PRIO for the initial subflow).
    pub backup: bool,
    /// Open a subflow from the address to every known peer address, not
    /// only the initial one.
    pub fullmesh: bool,
}

/// A change to one local address's endpoint, as a connection manager makes
/// it (`ip mptcp endpoint add/delete/change`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointChange {
    /// `ip mptcp endpoint add ADDR FLAGS`.
    Add(EndpointFlags),
    /// `ip mptcp endpoint delete`.
    Remove,
    /// `ip mptcp endpoint change ADDR [no]backup [no]fullmesh`: the new
    /// values of the two flags that can change.
    Flags {
        /// The new `backup` flag.
        backup: bool,
        /// The new `fullmesh` flag.
        fullmesh: bool,
    },
}

/// A peer address: id 0 is the address of the initial subflow (RFC 8684
/// 3.4.1); others come from ADD_ADDR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RemoteAddr {
    /// Address id (RFC 8684 3.4.1): 0 for the initial subflow's address.
    pub id: u8,
    /// The peer's IPv4 address.
    pub addr: u32,
    /// The port ADD_ADDR carried; `None`: the initial subflow's port.
    pub port: Option<u16>,
}

impl RemoteAddr {
    /// The peer address of the initial subflow (id 0, same port).
    pub const fn initial(addr: u32) -> Self {
        RemoteAddr {
            id: 0,
            addr,
            port: None,
        }
    }
}

/// Which end of the connection a path manager runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Connects; the only side that opens additional subflows (Linux
    /// fullmesh returns early on `mpcb->server_side`; XNU is client-only).
    Client,
    /// Accepts the connection and (Linux) the client's joins.
    Server,
}

/// Why a subflow ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloseReason {
    /// Orderly close (FIN exchanged).
    Fin,
    /// The peer reset it.
    Rst,
    /// SYN or data retransmissions gave up (Linux `ETIMEDOUT`).
    Timeout,
    /// Closed locally (by a path-manager action or by the connection).
    Aborted,
}

/// MP_TCPRST reason codes (RFC 8684 3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResetReason {
    /// 0: unspecified error.
    Unspecified,
    /// 1: MPTCP-specific error.
    MptcpError,
    /// 2: lack of resources.
    LackOfResources,
    /// 3: administratively prohibited.
    AdministrativelyProhibited,
    /// 4: too much outstanding data.
    TooMuchOutstandingData,
    /// 5: unacceptable performance.
    UnacceptablePerformance,
    /// 6: middlebox interference.
    MiddleboxInterference,
}

impl ResetReason {
    /// The code on the wire.
    pub const fn code(self) -> u8 {
        match self {
            ResetReason::Unspecified => 0,
            ResetReason::MptcpError => 1,
            ResetReason::LackOfResources => 2,
            ResetReason::AdministrativelyProhibited => 3,
            ResetReason::TooMuchOutstandingData => 4,
            ResetReason::UnacceptablePerformance => 5,
            ResetReason::MiddleboxInterference => 6,
        }
    }
}

/// A subflow's state as the sender sees it, a plain copy (never a pointer
/// into the connection). The fields are those XNU's subflow decisions read
/// from the subflow's `tcpcb` (bsd/netinet/mptcp.c `mptcp_get_subflow`,
/// mptcp_subr.c `mptcp_handover_use_cellular`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubflowHealth {
    /// The subflow described.
    pub subflow: SubflowId,
    /// The kind of interface the subflow leaves from (XNU `inp_last_outifp`).
    pub iface_kind: IfaceKind,
    /// Connected, MPTCP (MP_CAPABLE or joined) and not closing: XNU's hard
    /// filters (`SS_ISCONNECTED`, `TCPS_HAVEESTABLISHED`, `<= CLOSE_WAIT`).
    pub usable: bool,
    /// Smoothed RTT (`t_srtt`); `None` before the first sample.
    pub srtt: Option<SimDuration>,
    /// Current retransmission timeout including backoff (`t_rxtcur`).
    pub rto: SimDuration,
    /// Consecutive RTO backoffs (`t_rxtshift`); 0 once new data is ACKed.
    pub rxtshift: u32,
    /// `cwnd - in flight`, floored at 0. XNU's `mptcp_subflow_cwnd_space`
    /// also bounds it by the peer's window (`min(snd_wnd, cwnd)`); the
    /// connection does not yet (observable only when the peer's window is
    /// smaller than the congestion window).
    pub cwnd_space_bytes: u64,
    /// The connection has data it has not handed to any subflow, or this
    /// subflow has bytes in flight. (XNU tests the connection-level send
    /// buffer, `mp_so->so_snd.sb_cc`, and the reinject queue,
    /// `mpte_reinjectq`; the two differ when data sits acknowledged on
    /// subflows but not data-acknowledged.)
    pub data_pending: bool,
}

/// What happened, as plain values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PmEvent {
    /// A local interface is up (at construction, or it came up).
    InterfaceUp {
        /// The interface.
        iface: IfaceId,
        /// Its kind, address and backup flag.
        info: IfaceInfo,
    },
    /// A local interface went down; its links lose what they carried.
    InterfaceDown {
        /// The interface.
        iface: IfaceId,
    },
    /// Linux only: an interface's `IFF_MPBACKUP` flag changed (NETDEV_CHANGE).
    InterfaceBackupChanged {
        /// The interface.
        iface: IfaceId,
        /// The new `IFF_MPBACKUP` value.
        backup: bool,
    },
    /// Client only: the application connects to `remote_addr`.
    ConnectRequested {
        /// The server's IPv4 address.
        remote_addr: u32,
    },
    /// The initial subflow finished its handshake. `mptcp`: MP_CAPABLE was
    /// negotiated (false: plain TCP, no MPTCP option from now on).
    ConnectionEstablished {
        /// The initial subflow.
        subflow: SubflowId,
        /// The local interface it leaves from.
        iface: IfaceId,
        /// The peer's IPv4 address.
        remote_addr: u32,
        /// MP_CAPABLE was negotiated.
        mptcp: bool,
    },
    /// An additional subflow finished its MP_JOIN handshake. `backup`: the B
    /// bit this host sent in its MP_JOIN; `initiated_locally`: this host sent
    /// the SYN.
    SubflowEstablished {
        /// The new subflow.
        subflow: SubflowId,
        /// The local interface it leaves from.
        iface: IfaceId,
        /// The peer's address: the server's initial address (client side), or
        /// the client's address with the address id of its MP_JOIN (server side).
        remote: RemoteAddr,
        /// The subflow is a backup: this host's B bit, or the peer's (in its
        /// MP_JOIN or a later MP_PRIO).
        backup: bool,
        /// This host sent the SYN (the client).
        initiated_locally: bool,
    },
    /// A subflow ended, or failed before it was established. `iface` and
    /// `remote_addr` identify subflows the path manager opened but whose id
    /// it has not learnt yet.
    SubflowClosed {
        /// The subflow that ended.
        subflow: SubflowId,
        /// The local interface it left from.
        iface: IfaceId,
        /// The connection's peer IPv4 address.
        remote_addr: u32,
        /// Why it ended.
        reason: CloseReason,
    },
    /// A subflow's health after an ACK or an RTO.
    SubflowHealth(SubflowHealth),
    /// The peer sent ADD_ADDR.
    AddressAnnounced {
        /// The announced address, with its id and port.
        remote: RemoteAddr,
    },
    /// The peer sent REMOVE_ADDR for this address id.
    AddressRemoved {
        /// The address id removed.
        id: u8,
    },
    /// What Apple's Symptoms framework says about Wi-Fi (its advisory
    /// `SYMPTOMS_ADVISORY_WIFI_OK`/`_BAD`). Only the iOS path managers read
    /// it; without this event they assume "Wi-Fi OK" while a
    /// [`IfaceKind::Preferred`] interface is up. Lets a scenario script the
    /// signal that the simulator does not model.
    WifiAdvisory {
        /// `true`: `SYMPTOMS_ADVISORY_WIFI_OK`; `false`: `_BAD`.
        wifi_ok: bool,
    },
    /// DATA_FIN sent or received: no new subflows from now on (XNU
    /// `mptcp_ok_to_create_subflows`, state < TIME_WAIT; Linux `SOCK_DEAD`).
    ConnectionClosing,
    /// The connection is fully established: the peer has shown it holds
    /// this host's key (RFC 8684 3.1: a DSS from the peer, or, on the
    /// server, the MP_CAPABLE third ACK). Linux calls its path manager
    /// then (net/mptcp/pm.c `mptcp_pm_fully_established`); only the
    /// in-kernel path manager reads it.
    ConnectionFullyEstablished,
    /// Linux `ip mptcp endpoint add` (net/mptcp/pm_kernel.c
    /// `mptcp_pm_nl_add_addr_doit`): the address of `iface` becomes an
    /// endpoint with `flags`, whether the interface is up or not. Only the
    /// in-kernel path manager reads it.
    EndpointAdded {
        /// The interface whose address it is.
        iface: IfaceId,
        /// The address.
        addr: u32,
        /// Its flags.
        flags: EndpointFlags,
    },
    /// Linux `ip mptcp endpoint delete` (`mptcp_pm_nl_del_addr_doit`).
    EndpointRemoved {
        /// The interface whose address it was.
        iface: IfaceId,
    },
    /// Linux `ip mptcp endpoint change` (`mptcp_pm_nl_set_flags`): the new
    /// values of the two flags that can change.
    EndpointChanged {
        /// The interface whose address it is.
        iface: IfaceId,
        /// The new `backup` flag.
        backup: bool,
        /// The new `fullmesh` flag.
        fullmesh: bool,
    },
}

/// What the connection must do, as plain values, in the order given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PmAction {
    /// Send the SYN of the initial subflow from `iface` to `remote_addr`,
    /// with MP_CAPABLE when `mptcp` (plain TCP otherwise).
    OpenInitialSubflow {
        /// The local interface to send from.
        iface: IfaceId,
        /// The server's IPv4 address.
        remote_addr: u32,
        /// Offer MP_CAPABLE.
        mptcp: bool,
    },
    /// Send an MP_JOIN SYN from `iface` to `remote`, with address id
    /// `local_addr_id` and the backup bit `backup`.
    OpenSubflow {
        /// The local interface to send from.
        iface: IfaceId,
        /// The address id the path manager gives the local address (the
        /// connection numbers its MP_JOINs itself and does not read it).
        local_addr_id: u8,
        /// The peer address to connect to (the connection uses its IPv4 address
        /// and the server's port).
        remote: RemoteAddr,
        /// The B bit of the MP_JOIN.
        backup: bool,
    },
    /// Send MP_PRIO with this backup bit on the subflow (on the next segment,
    /// or a pure ACK now) and treat the subflow as such locally.
    SetBackup {
        /// The subflow.
        subflow: SubflowId,
        /// The B bit to send in MP_PRIO.
        backup: bool,
    },
    /// Send now, on this subflow, a pure ACK (seq = snd_una, ack = rcv_nxt)
    /// advertising a zero window, from a bare 20-byte header (no TCP option
    /// at all: XNU builds it from `tcp_maketemplate`).
    /// Emitted by iOS handover immediately before [`PmAction::ResetSubflow`]:
    /// what xnu-4570 and xnu-4903 put on the wire for `SO_FILT_HINT_MUSTRST`
    /// (see [`ios_handover`]).
    AdvertiseZeroWindow {
        /// The subflow.
        subflow: SubflowId,
    },
    /// Send an RST now on the subflow and delete it. (MP_TCPRST with
    /// `reason` is not sent yet: see the field.)
    ResetSubflow {
        /// The subflow to reset.
        subflow: SubflowId,
        /// The MP_TCPRST reason; `None`: a plain RST. (The connection does not
        /// send MP_TCPRST yet: it sends a plain RST either way.)
        reason: Option<ResetReason>,
    },
    /// Close the subflow in order and stop using it at once: a FIN after
    /// what it holds (Linux net/mptcp/pm.c `mptcp_pm_rm_addr_or_subflow`:
    /// `mptcp_subflow_shutdown` then `mptcp_close_ssk`). The TCP endpoint
    /// finishes its close (or times out) on its own; the connection no
    /// longer schedules data on it.
    CloseSubflow {
        /// The subflow to close.
        subflow: SubflowId,
    },
    /// Delete the subflow without sending anything (Linux
    /// `mptcp_sub_force_close`; or its interface is gone).
    AbortSubflow {
        /// The subflow to delete.
        subflow: SubflowId,
    },
    /// Queue again, for any other subflow, the data mapped on this subflow
    /// and not yet data-ACKed (Linux `mptcp_reinject_data(sk, 0)`, XNU
    /// `mptcp_reinject_mbufs`). Always precedes the close it prepares.
    Reinject {
        /// The subflow whose data is queued again.
        subflow: SubflowId,
    },
    /// Send ADD_ADDR on the next segment of any established subflow.
    AnnounceAddress {
        /// The address id to announce.
        addr_id: u8,
        /// The IPv4 address to announce.
        addr: u32,
    },
    /// Send REMOVE_ADDR on the next segment of any established subflow
    /// (queued until one exists).
    RemoveAddress {
        /// The address id to withdraw.
        addr_id: u8,
    },
}

/// The path manager's say in the sender's per-segment subflow choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderChoice {
    /// No say: ask the scenario's scheduler (the Linux path managers).
    Defer,
    /// XNU's choice (`mptcp_get_subflow`). `send_on`: the subflow for the next
    /// segment, `None` to wait (nothing eligible, or the chosen subflow has no
    /// congestion-window space: XNU does not fall back to the other one).
    /// `probe_on`: XNU would send, right after that segment, one copy of the
    /// oldest data not yet data-ACKed on this subflow (`MPTCP_SUBOUT_PROBING`,
    /// to refresh its RTT); the connection does not act on it yet. The
    /// choice is a commitment: call only when a segment will be sent.
    Choose {
        /// The subflow for the next segment; `None`: wait.
        send_on: Option<SubflowId>,
        /// The subflow for one probe copy, sent after that segment (XNU
        /// `MPTCP_SUBOUT_PROBING`). The connection does not send probes yet: it
        /// reads only `send_on`.
        probe_on: Option<SubflowId>,
    },
}

/// A path manager: events in, actions out.
pub trait PathManager: fmt::Debug + Send {
    /// The scenario spelling of the kind, e.g. `"handover"`.
    fn name(&self) -> &'static str;
    /// Feeds one event at `now`; the actions it causes are read with
    /// [`PathManager::poll_action`].
    fn handle_event(&mut self, now: SimTime, event: PmEvent);
    /// The next action, in order; `None` when there is none.
    fn poll_action(&mut self) -> Option<PmAction>;
    /// When [`PathManager::handle_timeout`] wants to run; `None`: no timer.
    fn poll_timeout(&self) -> Option<SimTime> {
        None
    }
    /// The deadline of [`PathManager::poll_timeout`] passed. Calls before the
    /// deadline do nothing.
    fn handle_timeout(&mut self, now: SimTime) {
        let _ = now;
    }
    /// Whether the connection may accept a peer's MP_JOIN.
    fn accepts_joins(&self) -> bool;
    /// The sender's subflow for the next segment, if this path manager
    /// imposes one; see [`SenderChoice`].
    fn choose_sender_subflow(&mut self, now: SimTime, subflows: &[SubflowHealth]) -> SenderChoice {
        let _ = (now, subflows);
        SenderChoice::Defer
    }
    /// Whether [`PathManager::choose_sender_subflow`] may do anything but
    /// [`SenderChoice::Defer`] (or change state when asked).
    fn chooses_sender_subflow(&self) -> bool {
        false
    }
}

/// The interfaces that are up, in [`IfaceId`] order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interfaces {
    up: BTreeMap<IfaceId, IfaceInfo>,
}

impl Interfaces {
    pub(crate) fn set_up(&mut self, iface: IfaceId, info: IfaceInfo) {
        self.up.insert(iface, info);
    }
    pub(crate) fn set_down(&mut self, iface: IfaceId) -> Option<IfaceInfo> {
        self.up.remove(&iface)
    }
    pub(crate) fn get(&self, iface: IfaceId) -> Option<&IfaceInfo> {
        self.up.get(&iface)
    }
    pub(crate) fn get_mut(&mut self, iface: IfaceId) -> Option<&mut IfaceInfo> {
        self.up.get_mut(&iface)
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = (IfaceId, IfaceInfo)> + '_ {
        self.up.iter().map(|(i, info)| (*i, *info))
    }
    pub(crate) fn any_up(&self, kind: IfaceKind) -> bool {
        self.up.values().any(|i| i.kind == kind)
    }
    /// The interface the default route uses: the first up preferred one,
    /// else the first up one. XNU connects the initial subflow without an
    /// interface scope (`mptcp_usr_connectx`, `IFSCOPE_NONE`), so the
    /// routing table's primary interface carries it, and iOS ranks Wi-Fi
    /// above cellular. For Linux this stands for a main table whose default
    /// route goes through the Wi-Fi/wired interface.
    pub(crate) fn default_route(&self) -> Option<IfaceId> {
        self.up
            .iter()
            .find(|(_, info)| info.kind == IfaceKind::Preferred)
            .or_else(|| self.up.iter().next())
            .map(|(i, _)| *i)
    }
}

/// Where the initial subflow stands, shared by all path managers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Nothing requested yet (or a server before the connection arrives).
    Idle,
    /// The application connected but no interface is up yet.
    WaitingForInterface { remote_addr: u32 },
    /// The initial SYN is out.
    Connecting { iface: IfaceId, remote_addr: u32 },
    /// MP_CAPABLE negotiated: subflows may be added.
    Established,
    /// The connection is plain TCP (`none`, or the peer did not answer
    /// MP_CAPABLE): never another subflow.
    PlainTcp,
    /// DATA_FIN, or the initial subflow failed: no new subflows.
    Closing,
}

impl Phase {
    /// [`PmEvent::ConnectRequested`] for a path manager that opens the
    /// initial subflow itself: a client connects once, from `Idle`.
    pub(crate) fn connect_requested(
        &mut self,
        role: Role,
        ifaces: &Interfaces,
        remote_addr: u32,
        mptcp: bool,
    ) -> Option<PmAction> {
        if role == Role::Client && *self == Phase::Idle {
            self.connect(ifaces, remote_addr, mptcp)
        } else {
            None
        }
    }

    /// After an interface came up: the initial SYN, if the connection was
    /// waiting for an interface.
    pub(crate) fn interface_up(&mut self, ifaces: &Interfaces, mptcp: bool) -> Option<PmAction> {
        match *self {
            Phase::WaitingForInterface { remote_addr } => self.connect(ifaces, remote_addr, mptcp),
            _ => None,
        }
    }

    /// Handles [`PmEvent::ConnectRequested`] and the first
    /// [`PmEvent::InterfaceUp`] after it: returns the initial SYN to send.
    pub(crate) fn connect(&mut self, ifaces: &Interfaces, remote_addr: u32, mptcp: bool) -> Option<PmAction> {
        match ifaces.default_route() {
            Some(iface) => {
                *self = Phase::Connecting { iface, remote_addr };
                Some(PmAction::OpenInitialSubflow {
                    iface,
                    remote_addr,
                    mptcp,
                })
            }
            None => {
                *self = Phase::WaitingForInterface { remote_addr };
                None
            }
        }
    }
}

/// Linux mptcp_input.c `mptcp_send_reset_rem_id`, after REMOVE_ADDR: every
/// subflow that `doomed` picks is forgotten, its data reinjected and the
/// subflow reset (v0.9x sends no MP_TCPRST reason), in subflow order.
pub(crate) fn reset_subflows<T>(
    subflows: &mut BTreeMap<SubflowId, T>,
    actions: &mut std::collections::VecDeque<PmAction>,
    doomed: impl Fn(&T) -> bool,
) {
    let ids: Vec<SubflowId> = subflows.iter().filter(|(_, s)| doomed(s)).map(|(sf, _)| *sf).collect();
    for sf in ids {
        subflows.remove(&sf);
        actions.push_back(PmAction::Reinject { subflow: sf });
        actions.push_back(PmAction::ResetSubflow {
            subflow: sf,
            reason: None,
        });
    }
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Plain values shared by the path-manager tests: a phone with `wifi`
    //! (interface 0) and `cell` (interface 1), a server at 10.0.0.1.
    use super::*;

    pub const WIFI: IfaceId = IfaceId(0);
    pub const CELL: IfaceId = IfaceId(1);
    pub const WIFI_ADDR: u32 = 0xC0A8_0102; // 192.168.1.2
    pub const CELL_ADDR: u32 = 0x0A40_0002; // 10.64.0.2
    pub const SERVER: u32 = 0x0A00_0001; // 10.0.0.1

    pub fn wifi() -> IfaceInfo {
        IfaceInfo {
            kind: IfaceKind::Preferred,
            addr: WIFI_ADDR,
            backup: false,
        }
    }
    pub fn cell() -> IfaceInfo {
        IfaceInfo {
            kind: IfaceKind::Expensive,
            addr: CELL_ADDR,
            backup: false,
        }
    }
    pub fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }
    pub fn up(pm: &mut dyn PathManager, at: SimTime, iface: IfaceId, info: IfaceInfo) -> Vec<PmAction> {
        pm.handle_event(at, PmEvent::InterfaceUp { iface, info });
        drain(pm)
    }
    pub fn down(pm: &mut dyn PathManager, at: SimTime, iface: IfaceId) -> Vec<PmAction> {
        pm.handle_event(at, PmEvent::InterfaceDown { iface });
        drain(pm)
    }
    pub fn event(pm: &mut dyn PathManager, at: SimTime, e: PmEvent) -> Vec<PmAction> {
        pm.handle_event(at, e);
        drain(pm)
    }
    pub fn drain(pm: &mut dyn PathManager) -> Vec<PmAction> {
        std::iter::from_fn(|| pm.poll_action()).collect()
    }
    pub fn established(subflow: u32, iface: IfaceId) -> PmEvent {
        PmEvent::ConnectionEstablished {
            subflow: SubflowId(subflow),
            iface,
            remote_addr: SERVER,
            mptcp: true,
        }
    }
    pub fn joined(subflow: u32, iface: IfaceId, backup: bool) -> PmEvent {
        PmEvent::SubflowEstablished {
            subflow: SubflowId(subflow),
            iface,
            remote: RemoteAddr::initial(SERVER),
            backup,
            initiated_locally: true,
        }
    }
    /// A healthy, usable subflow: srtt 50 ms, RTO 250 ms, no backoff,
    /// room in its window, data pending.
    pub fn health(subflow: u32, iface_kind: IfaceKind) -> SubflowHealth {
        SubflowHealth {
            subflow: SubflowId(subflow),
            iface_kind,
            usable: true,
            srtt: Some(SimDuration::from_millis(50)),
            rto: SimDuration::from_millis(250),
            rxtshift: 0,
            cwnd_space_bytes: 14_600,
            data_pending: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::policy::PathManagerFactory;

    /// Every built-in factory with its trait name.
    fn builtins() -> Vec<(Box<dyn PathManagerFactory>, &'static str)> {
        let ios = |service| {
            Box::new(IosFactory {
                service,
                config: IosConfig::default(),
            })
        };
        vec![
            (Box::new(LinuxDefaultConfig {}), "default"),
            (Box::new(FullMeshConfig::default()), "fullmesh"),
            (Box::new(InKernelConfig::default()), "in_kernel"),
            (Box::new(IosNoneConfig {}), "none"),
            (ios(ServiceType::Handover), "handover"),
            (ios(ServiceType::Interactive), "interactive"),
            (ios(ServiceType::Aggregate), "aggregate"),
        ]
    }

    #[test]
    fn every_builtin_factory_builds_its_path_manager() {
        for (f, name) in builtins() {
            assert_eq!(f.build(Role::Client).name(), name);
            assert_eq!(f.offers_mptcp(), name != "none", "{name}");
        }
    }

    #[test]
    fn ios_kinds_are_client_only_and_linux_kinds_run_on_both_ends() {
        for (f, name) in builtins() {
            let linux = matches!(name, "default" | "fullmesh" | "in_kernel");
            assert_eq!(f.supports_role(Role::Server), linux, "{name}");
            assert!(f.supports_role(Role::Client), "{name}");
            assert_eq!(f.build(Role::Server).accepts_joins(), linux, "{name}");
        }
    }

    #[test]
    fn the_default_route_prefers_wifi_then_the_first_interface_up() {
        let mut ifaces = Interfaces::default();
        assert_eq!(ifaces.default_route(), None);
        ifaces.set_up(CELL, cell());
        assert_eq!(ifaces.default_route(), Some(CELL));
        ifaces.set_up(WIFI, wifi());
        assert_eq!(ifaces.default_route(), Some(WIFI));
        ifaces.set_down(WIFI);
        assert_eq!(ifaces.default_route(), Some(CELL));
    }

    #[test]
    fn every_client_kind_connects_on_the_default_route_once_an_interface_is_up() {
        for (f, kind) in builtins() {
            let mut pm = f.build(Role::Client);
            let acts = event(pm.as_mut(), ms(0), PmEvent::ConnectRequested { remote_addr: SERVER });
            assert!(acts.is_empty(), "{kind:?} connects with no interface up");
            let acts = up(pm.as_mut(), ms(3), CELL, cell());
            assert_eq!(
                acts,
                vec![PmAction::OpenInitialSubflow {
                    iface: CELL,
                    remote_addr: SERVER,
                    mptcp: f.offers_mptcp(),
                }],
                "{kind:?}"
            );
            assert_eq!(up(pm.as_mut(), ms(4), WIFI, wifi()), vec![], "{kind:?} connects twice");
        }
    }

    #[test]
    fn reset_reasons_have_the_rfc_8684_codes() {
        assert_eq!(ResetReason::Unspecified.code(), 0);
        assert_eq!(ResetReason::UnacceptablePerformance.code(), 5);
        assert_eq!(ResetReason::MiddleboxInterference.code(), 6);
    }
}
