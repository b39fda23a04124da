//! Scenario files (RON): the whole description of one run.
//!
//! Every field has a default except the client's interfaces and the
//! connections; human units are written as strings (`"40ms"`, `"20Mbps"`,
//! `"64KiB"`). Unknown fields are errors (`deny_unknown_fields`), never
//! silently ignored. See `docs/scenarios.md` for commented examples.
//!
//! Errors name the file, line and column and say what is expected:
//! syntax and type errors come with ron's span; semantic errors (a reference
//! to an undefined interface, an event after the stop time) are located at
//! the offending value's text in the file.

#![warn(missing_docs)]

use std::fmt;
use std::path::Path;

use models::tcp::{LossResponse, Recovery, RtoEstimator, RtoMinRule, SlowStartExit, TcpConfig, TcpProfile};

mod dynamic;
mod flows;
mod topology;

pub use dynamic::QdiscSpec;
pub use flows::{FlowsSpec, Pattern, SizeDist, Starts};
pub use topology::{End, HostIfaceSpec, HostSpec, TopoLinkSpec, TopologyForm, TopologySpec, graph as topology_graph};

use crate::registry::{CcSpec, PathManagerSpec, Registry, SchedulerSpec, builtin};
use serde::{Deserialize, Serialize};
use sim_core::{Bandwidth, BufferLimit, ByteSize, Jitter, LossModel, SimDuration, SimTime};

/// One direction of a path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Capacity in bit/s (written `"20Mbps"`): each packet is serialised
    /// at this rate, after the packets ahead of it.
    pub rate: Bandwidth,
    /// One-way propagation delay, added after serialisation; the path's
    /// base RTT is the uplink's plus the downlink's.
    pub delay: SimDuration,
    /// Drop-tail limit on waiting packets; default: one bandwidth-delay
    /// product of (rate, 2 x delay), at least 10 packets of 1500 B.
    #[serde(default)]
    pub buffer: Option<BufferLimit>,
    /// Which packets are lost, decided per packet after the queue (a lost
    /// packet still takes its serialisation time). Default: none.
    #[serde(default)]
    pub loss: LossModel,
    /// Extra random delay per packet, in order unless it allows
    /// reordering. Default: none.
    #[serde(default)]
    pub jitter: Option<Jitter>,
    /// A Mahimahi delivery-opportunity trace (a file of millisecond
    /// timestamps, one per 1504-byte opportunity, looping), which then
    /// decides when packets leave instead of `rate`; `rate` is only
    /// nominal (the default buffer's bandwidth-delay product). A relative
    /// path is from the scenario file's directory; the scenario written
    /// back holds the path resolved. `builtin:NAME` names a trace mpsim
    /// ships ([`crate::traces::SHIPPED`]). See `sim_core::trace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// The queue discipline: `DropTail` (the default, limited by
    /// `buffer`), `CoDel(...)`, `FqCoDel(...)` or `Red(...)`, with Linux
    /// tc's parameter names and defaults; an AQM has its own `limit`, so
    /// `buffer` is then refused. See `sim_core::qdisc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qdisc: Option<QdiscSpec>,
}

/// Reads and parses the trace file `path`; errors say where in it.
pub fn load_trace(path: &str) -> Result<sim_core::DeliveryTrace, String> {
    if let Some(text) = crate::traces::shipped(path) {
        let text = text?;
        return sim_core::DeliveryTrace::parse(text).map_err(|e| format!("{path}:{}:{}: {}", e.line, e.col, e.message));
    }
    let bytes = read_input(Path::new(path)).map_err(|e| format!("cannot read the trace {path}: {e}"))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| format!("the trace {path} is not UTF-8 text"))?;
    sim_core::DeliveryTrace::parse(text).map_err(|e| format!("{path}:{}:{}: {}", e.line, e.col, e.message))
}

impl LinkSpec {
    /// A relative trace path made relative to `dir` (the scenario file's).
    fn resolve_trace(&mut self, dir: &Path) {
        if let Some(t) = &mut self.trace
            && !t.starts_with(crate::traces::BUILTIN_PREFIX)
            && Path::new(t.as_str()).is_relative()
            && !dir.as_os_str().is_empty()
        {
            *t = dir.join(t.as_str()).display().to_string();
        }
    }

    /// The buffer with the default filled in.
    pub fn resolved_buffer(&self) -> BufferLimit {
        self.buffer.unwrap_or_else(|| {
            let bdp = self.rate.bytes_in(self.delay.saturating_mul(2));
            BufferLimit::Bytes(ByteSize::from_bytes(bdp.max(15_000)))
        })
    }
}

/// What kind of network an interface attaches to. iOS treats cellular as
/// the expensive, secondary interface (XNU `IFNET_IS_CELLULAR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IfaceKind {
    /// Wi-Fi: a preferred (not expensive) interface.
    Wifi,
    /// Cellular: the expensive interface (only the iOS path managers look
    /// at the kind).
    Cellular,
    /// Wired (Ethernet): a preferred interface, as Wi-Fi.
    Wired,
}

/// A client interface and its path to the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceSpec {
    /// The interface's name, unique, of letters, digits, `_` and `-`; the
    /// timeline and `shares_path_with` refer to it, and its links are
    /// named `NAME.up` and `NAME.down`.
    pub name: String,
    /// What kind of network it attaches to.
    pub kind: IfaceKind,
    /// Up at time zero (default true).
    #[serde(default = "yes")]
    pub initially_up: bool,
    /// The address is a backup endpoint (Linux `ip mptcp endpoint ...
    /// backup`, the interface's `IFF_MPBACKUP`): the client's path manager
    /// sets the B bit on subflows it opens from it. The iOS path managers
    /// decide backup by interface kind and ignore it. Default: false.
    #[serde(default)]
    pub backup: bool,
    /// The flags of the interface address's MPTCP endpoint (Linux `ip
    /// mptcp endpoint add ADDR FLAGS`), read by the `in_kernel` path
    /// manager: a list of `signal`, `subflow`, `backup`, `fullmesh`, or
    /// `None` for no endpoint. `backup: true` adds `backup`. Default: one
    /// `subflow` endpoint per interface (`[subflow]`), as the Linux
    /// reference setup of docs/validation.md.
    #[serde(default = "default_endpoint", skip_serializing_if = "is_default_endpoint")]
    pub endpoint: Option<Vec<EndpointFlag>>,
    /// Client to server. Required unless `shares_path_with` is given.
    #[serde(default)]
    pub uplink: Option<LinkSpec>,
    /// Server to client. Required unless `shares_path_with` is given.
    #[serde(default)]
    pub downlink: Option<LinkSpec>,
    /// A second address on another interface's path: this interface uses
    /// that interface's links (a shared bottleneck), with an address of its
    /// own so that a path manager can open a second subflow over it.
    #[serde(default)]
    pub shares_path_with: Option<String>,
}

fn yes() -> bool {
    true
}

/// One flag of a Linux MPTCP endpoint (`MPTCP_PM_ADDR_FLAG_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointFlag {
    /// Announce the address with ADD_ADDR.
    Signal,
    /// Open a subflow from the address.
    Subflow,
    /// Its subflows are backups (MP_JOIN B bit, MP_PRIO).
    Backup,
    /// Open a subflow from it to every known peer address.
    Fullmesh,
}

/// The default endpoint of an interface: `[subflow]`.
pub(crate) fn default_endpoint() -> Option<Vec<EndpointFlag>> {
    Some(vec![EndpointFlag::Subflow])
}

fn is_default_endpoint(e: &Option<Vec<EndpointFlag>>) -> bool {
    *e == default_endpoint()
}

/// The path manager's view of a list of endpoint flags, with `backup`
/// added when the interface is a backup.
pub fn endpoint_flags(flags: &[EndpointFlag], backup: bool) -> models::path_manager::EndpointFlags {
    models::path_manager::EndpointFlags {
        signal: flags.contains(&EndpointFlag::Signal),
        subflow: flags.contains(&EndpointFlag::Subflow),
        backup: backup || flags.contains(&EndpointFlag::Backup),
        fullmesh: flags.contains(&EndpointFlag::Fullmesh),
    }
}

/// Why a list of endpoint flags is refused, as Linux refuses it
/// (net/mptcp/pm_kernel.c `mptcp_pm_nl_add_addr_doit`): `signal` with
/// `fullmesh`.
pub(crate) fn endpoint_problem(flags: &[EndpointFlag]) -> Option<String> {
    (flags.contains(&EndpointFlag::Signal) && flags.contains(&EndpointFlag::Fullmesh)).then(|| {
        "an endpoint cannot be both `signal` and `fullmesh` (Linux refuses it); expected one of them".to_string()
    })
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Symptoms' Wi-Fi advisory (XNU mptcp_var.h `SYMPTOMS_ADVISORY_WIFI_OK`,
/// `_BAD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WifiStatus {
    /// `SYMPTOMS_ADVISORY_WIFI_OK`.
    Ok,
    /// `SYMPTOMS_ADVISORY_WIFI_BAD`.
    Bad,
}

/// How mpsim stands in for Apple's Symptoms framework, which turns Wi-Fi
/// measurements into the advisory the kernel reads (closed source).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SymptomsSpec {
    /// A `WifiSignal` below this level (dBm) makes the advisory `Bad`; at
    /// or above it, `Ok`. Default -75 (XNU's own RSSI threshold in its
    /// target-based mode, mptcp_var.h `MPTCP_TARGET_BASED_RSSI_THRESHOLD`).
    pub wifi_bad_below_dbm: i32,
}

impl Default for SymptomsSpec {
    fn default() -> Self {
        SymptomsSpec {
            wifi_bad_below_dbm: -75,
        }
    }
}

impl SymptomsSpec {
    fn is_default(&self) -> bool {
        *self == SymptomsSpec::default()
    }
}

/// A timeline entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TimelineEvent {
    /// Interface `iface` comes up at `at`.
    IfaceUp {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The interface's `name`.
        iface: String,
    },
    /// Interface `iface` goes down at `at`: its own links (if it has any)
    /// lose every packet they hold and accept nothing until it comes back
    /// up.
    IfaceDown {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The interface's `name`.
        iface: String,
    },
    /// The address of interface `iface` becomes an MPTCP endpoint with
    /// `flags` (Linux `ip mptcp endpoint add ADDR FLAGS`, as mptcpd does it
    /// when an interface comes up). Only the `in_kernel` path manager
    /// reacts.
    EndpointAdd {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The interface's `name`.
        iface: String,
        /// Its flags: `signal`, `subflow`, `backup`, `fullmesh` (not both
        /// `signal` and `fullmesh`).
        flags: Vec<EndpointFlag>,
    },
    /// The endpoint of interface `iface`'s address is deleted (Linux `ip
    /// mptcp endpoint delete`, as mptcpd does it when an interface goes
    /// down): REMOVE_ADDR and the subflows from it close at once.
    EndpointRemove {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The interface's `name`.
        iface: String,
    },
    /// The endpoint of interface `iface`'s address changes flags (Linux
    /// `ip mptcp endpoint change`): `flags` lists the new `backup` and
    /// `fullmesh` values, the only two Linux changes (absent: off).
    EndpointFlags {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The interface's `name`.
        iface: String,
        /// `backup` and/or `fullmesh`, or empty.
        flags: Vec<EndpointFlag>,
    },
    /// Apple's Symptoms framework gives its Wi-Fi advisory at `at`:
    /// `status: Bad` (`SYMPTOMS_ADVISORY_WIFI_BAD`) or `Ok`. XNU keeps one
    /// advisory per host (`mptcp_advisory`, OK at boot) and tells each
    /// connection's path manager when it changes
    /// (`mptcp_wifi_status_changed`); only the iOS path managers react.
    /// The interface is unaffected: it stays up, with its links as they are.
    WifiAdvisory {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The Wi-Fi interface the advisory is about (its host's advisory).
        iface: String,
        /// `Ok` or `Bad`.
        status: WifiStatus,
    },
    /// The Wi-Fi signal level of interface `iface` becomes `rssi_dbm` at
    /// `at`. mpsim stands in for Symptoms (closed source): the advisory is
    /// `Bad` below `symptoms.wifi_bad_below_dbm` (default -75 dBm, the
    /// RSSI threshold XNU itself applies in its target-based mode,
    /// mptcp_var.h `MPTCP_TARGET_BASED_RSSI_THRESHOLD`), else `Ok`, as a
    /// [`TimelineEvent::WifiAdvisory`] at the same instant.
    WifiSignal {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The Wi-Fi interface.
        iface: String,
        /// The received signal strength, in dBm (e.g. -60 good, -85 poor).
        rssi_dbm: i32,
    },
    /// Link `link` of the topology form (both directions) comes up at `at`.
    LinkUp {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The link's `name` (default `A-B`).
        link: String,
    },
    /// Link `link` of the topology form (both directions) goes down at
    /// `at`, losing what it holds. Routes stay as they are: what is routed
    /// over it is lost until it comes back up.
    LinkDown {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The link's `name` (default `A-B`).
        link: String,
    },
    /// One link direction changes at `at` (as `tc qdisc change`): the
    /// fields given are set, the others kept. Rate and delay apply to the
    /// packets not yet on the wire (the one being serialised finishes at
    /// the old rate), loss to packets offered from `at`, a buffer on
    /// enqueue (a smaller one drops nothing already waiting). See
    /// `sim_core::link`.
    SetLink {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The direction: `IFACE.up` / `IFACE.down`, or `LINK.ab` /
        /// `LINK.ba` in the topology form.
        link: String,
        /// New rate.
        #[serde(default)]
        rate: Option<Bandwidth>,
        /// New one-way propagation delay.
        #[serde(default)]
        delay: Option<SimDuration>,
        /// New loss model.
        #[serde(default)]
        loss: Option<LossModel>,
        /// New buffer (the drop-tail limit, or the discipline's `limit`).
        #[serde(default)]
        buffer: Option<BufferLimit>,
    },
    /// Interface `iface`'s links are blackholed at `at`: the interface
    /// stays up and nothing tells the hosts, but every packet offered to
    /// its links is dropped (cause `blackhole`); packets already on them
    /// still arrive (as `tc qdisc change ... netem loss 100%`).
    Blackhole {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The interface's `name`.
        iface: String,
    },
    /// Interface `iface`'s links stop blackholing at `at`.
    Restore {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The interface's `name`.
        iface: String,
    },
    /// Link `link` of the topology form (both directions) is blackholed at
    /// `at`, as `Blackhole`.
    LinkBlackhole {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The link's `name`.
        link: String,
    },
    /// Link `link` of the topology form stops blackholing at `at`.
    LinkRestore {
        /// When, no later than the scenario's stop time.
        at: SimTime,
        /// The link's `name`.
        link: String,
    },
}

impl TimelineEvent {
    /// When the event takes effect.
    pub fn at(&self) -> SimTime {
        match self {
            TimelineEvent::IfaceUp { at, .. }
            | TimelineEvent::IfaceDown { at, .. }
            | TimelineEvent::EndpointAdd { at, .. }
            | TimelineEvent::EndpointRemove { at, .. }
            | TimelineEvent::EndpointFlags { at, .. }
            | TimelineEvent::WifiAdvisory { at, .. }
            | TimelineEvent::WifiSignal { at, .. }
            | TimelineEvent::LinkUp { at, .. }
            | TimelineEvent::LinkDown { at, .. }
            | TimelineEvent::SetLink { at, .. }
            | TimelineEvent::Blackhole { at, .. }
            | TimelineEvent::Restore { at, .. }
            | TimelineEvent::LinkBlackhole { at, .. }
            | TimelineEvent::LinkRestore { at, .. } => *at,
        }
    }
    /// The name of the interface or link it concerns.
    pub fn iface(&self) -> &str {
        match self {
            TimelineEvent::IfaceUp { iface, .. }
            | TimelineEvent::IfaceDown { iface, .. }
            | TimelineEvent::EndpointAdd { iface, .. }
            | TimelineEvent::EndpointRemove { iface, .. }
            | TimelineEvent::EndpointFlags { iface, .. }
            | TimelineEvent::WifiAdvisory { iface, .. }
            | TimelineEvent::WifiSignal { iface, .. }
            | TimelineEvent::Blackhole { iface, .. }
            | TimelineEvent::Restore { iface, .. } => iface,
            TimelineEvent::LinkUp { link, .. }
            | TimelineEvent::LinkDown { link, .. }
            | TimelineEvent::SetLink { link, .. }
            | TimelineEvent::LinkBlackhole { link, .. }
            | TimelineEvent::LinkRestore { link, .. } => link,
        }
    }
    /// The field that names it: `iface` or `link`.
    pub fn target_field(&self) -> &'static str {
        match self {
            TimelineEvent::IfaceUp { .. }
            | TimelineEvent::IfaceDown { .. }
            | TimelineEvent::EndpointAdd { .. }
            | TimelineEvent::EndpointRemove { .. }
            | TimelineEvent::EndpointFlags { .. }
            | TimelineEvent::WifiAdvisory { .. }
            | TimelineEvent::WifiSignal { .. }
            | TimelineEvent::Blackhole { .. }
            | TimelineEvent::Restore { .. } => "iface",
            TimelineEvent::LinkUp { .. }
            | TimelineEvent::LinkDown { .. }
            | TimelineEvent::SetLink { .. }
            | TimelineEvent::LinkBlackhole { .. }
            | TimelineEvent::LinkRestore { .. } => "link",
        }
    }
    /// Whether it names one link direction (`SetLink`), not an interface
    /// or a whole link.
    pub fn names_direction(&self) -> bool {
        matches!(self, TimelineEvent::SetLink { .. })
    }
    /// The changes a `SetLink` makes, in order.
    pub fn link_changes(&self) -> Option<Vec<sim_core::LinkChange>> {
        match self {
            TimelineEvent::SetLink {
                rate,
                delay,
                loss,
                buffer,
                ..
            } => Some(dynamic::set_link_changes(*rate, *delay, loss.as_ref(), *buffer)),
            _ => None,
        }
    }
    /// Whether it changes a rate or delay (so that its link must be served
    /// lazily to apply it to waiting packets).
    pub fn replans(&self) -> bool {
        matches!(self, TimelineEvent::SetLink { rate, delay, .. } if rate.is_some() || delay.is_some())
    }
    /// `Some(true)` to blackhole its target, `Some(false)` to restore it.
    pub fn blackhole(&self) -> Option<bool> {
        match self {
            TimelineEvent::Blackhole { .. } | TimelineEvent::LinkBlackhole { .. } => Some(true),
            TimelineEvent::Restore { .. } | TimelineEvent::LinkRestore { .. } => Some(false),
            _ => None,
        }
    }
    /// What is wrong with a `SetLink`'s values: the field and why.
    fn change_problem(&self) -> Option<(&'static str, String)> {
        let TimelineEvent::SetLink {
            rate,
            delay,
            loss,
            buffer,
            ..
        } = self
        else {
            return None;
        };
        if rate.is_none() && delay.is_none() && loss.is_none() && buffer.is_none() {
            return Some((
                "link",
                "SetLink changes nothing; expected at least one of rate, delay, loss, buffer".into(),
            ));
        }
        if let Some(l) = loss
            && let Err(e) = l.validate()
        {
            return Some(("loss", format!("loss: {e}")));
        }
        match buffer {
            Some(BufferLimit::Packets(0)) => Some(("buffer", "a buffer of 0 packets; expected at least 1".into())),
            Some(BufferLimit::Bytes(b)) if b.bytes() < MIN_BUFFER_BYTES => Some((
                "buffer",
                format!(
                    "a buffer of {b} holds no packet; expected at least {MIN_BUFFER_BYTES}B (one 1500-byte packet)"
                ),
            )),
            _ => None,
        }
    }
    /// Whether it brings its target up.
    pub fn is_up(&self) -> bool {
        matches!(self, TimelineEvent::IfaceUp { .. } | TimelineEvent::LinkUp { .. })
    }
    /// The endpoint change it makes, if it is an endpoint event.
    pub fn endpoint_change(&self) -> Option<models::path_manager::EndpointChange> {
        use models::path_manager::EndpointChange;
        match self {
            TimelineEvent::EndpointAdd { flags, .. } => Some(EndpointChange::Add(endpoint_flags(flags, false))),
            TimelineEvent::EndpointRemove { .. } => Some(EndpointChange::Remove),
            TimelineEvent::EndpointFlags { flags, .. } => Some(EndpointChange::Flags {
                backup: flags.contains(&EndpointFlag::Backup),
                fullmesh: flags.contains(&EndpointFlag::Fullmesh),
            }),
            _ => None,
        }
    }
    /// The Wi-Fi advisory it gives (`true`: OK), if it is an advisory or
    /// a signal level, with Symptoms' threshold `symptoms`.
    pub fn wifi_advisory(&self, symptoms: &SymptomsSpec) -> Option<bool> {
        match self {
            TimelineEvent::WifiAdvisory { status, .. } => Some(*status == WifiStatus::Ok),
            TimelineEvent::WifiSignal { rssi_dbm, .. } => Some(*rssi_dbm >= symptoms.wifi_bad_below_dbm),
            _ => None,
        }
    }
    /// Why it cannot name an interface of `kind`: an advisory is about
    /// Wi-Fi.
    pub(crate) fn iface_kind_problem(&self, kind: IfaceKind) -> Option<String> {
        let advisory = matches!(
            self,
            TimelineEvent::WifiAdvisory { .. } | TimelineEvent::WifiSignal { .. }
        );
        (advisory && kind != IfaceKind::Wifi).then(|| {
            format!(
                "a Wi-Fi advisory names {:?}, a {kind:?} interface; expected a Wifi interface",
                self.iface()
            )
        })
    }
    /// Why its flags are refused, if they are.
    fn flags_problem(&self) -> Option<String> {
        match self {
            TimelineEvent::EndpointAdd { flags, .. } => endpoint_problem(flags),
            TimelineEvent::EndpointFlags { flags, .. } => flags
                .iter()
                .any(|f| matches!(f, EndpointFlag::Signal | EndpointFlag::Subflow))
                .then(|| {
                    "only `backup` and `fullmesh` can change on an endpoint (Linux `ip mptcp endpoint change`); expected a list of those".to_string()
                }),
            _ => None,
        }
    }
}

/// What the application does over the connection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Traffic {
    /// The server sends `bytes` to the client (an HTTP download), then closes.
    Download {
        /// Bytes of application data, at least 1.
        bytes: ByteSize,
    },
    /// The server sends as fast as it can until `duration` has passed.
    DownloadFor {
        /// How long the server writes, from when it accepts the connection;
        /// greater than 0.
        duration: SimDuration,
    },
    /// The client sends `bytes` to the server, then closes.
    Upload {
        /// Bytes of application data, at least 1.
        bytes: ByteSize,
    },
    /// `count` exchanges: the client sends `request` bytes, the server
    /// answers with `response` bytes, the client waits `think` before the
    /// next request.
    RequestResponse {
        /// Bytes of each request, at least 1.
        request: ByteSize,
        /// Bytes of each response, at least 1.
        response: ByteSize,
        /// Number of exchanges, at least 1.
        count: u32,
        /// Time from a response fully arriving to the next request.
        think: SimDuration,
    },
    /// The server sends at a constant `rate` (application-limited) for `duration`.
    ConstantRate {
        /// The rate at which the server's application writes, in bit/s.
        rate: Bandwidth,
        /// How long it writes, from when the server accepts the connection;
        /// greater than 0.
        duration: SimDuration,
    },
    /// An on/off source (as ns-3's `OnOffApplication`): the server writes
    /// at `rate` during on periods and nothing during off periods, for
    /// `duration` in all, starting with an on period.
    OnOff {
        /// The rate at which the server's application writes while on.
        rate: Bandwidth,
        /// The (mean) length of an on period; greater than 0.
        on: SimDuration,
        /// The (mean) length of an off period; greater than 0.
        off: SimDuration,
        /// How long it runs, from when the server accepts the connection;
        /// greater than 0.
        duration: SimDuration,
        /// `Exponential` (the default: each period drawn with its mean,
        /// from the connection's own random stream) or `Constant`.
        #[serde(default)]
        periods: Periods,
    },
}

/// How the periods of an on/off source are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Periods {
    /// Exponential with the given means.
    #[default]
    Exponential,
    /// Exactly the given lengths.
    Constant,
}

/// TCP settings of every subflow at both ends; the defaults are Linux's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TcpSpec {
    /// The stack whose start-up, recovery and RTO mechanisms are used:
    /// `Rfc6675` (RFC 6298 RTO, RFC 5681 ssthresh, RFC 6675 recovery, no
    /// early slow-start exit, no F-RTO) or `Linux6` (Linux 6.x: its RTO estimator,
    /// `tcp_enter_loss`, PRR, F-RTO, HyStart in CUBIC). The six switches below
    /// override it one by one. Default: `Linux6`. A scenario written back
    /// always names the profile, and leaves out the switches left to it.
    pub profile: TcpProfile,
    /// `Rfc6298` or `Linux` (`tcp_rtt_estimator`). Default: the profile's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rto_estimator: Option<RtoEstimator>,
    /// `Rfc5681` or `Linux` (`tcp_enter_loss`). Default: the profile's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_response: Option<LossResponse>,
    /// `Off`, `HyStart` (Linux CUBIC) or `HyStartPlusPlus` (RFC 9406);
    /// CUBIC only. Default: the profile's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slow_start_exit: Option<SlowStartExit>,
    /// RFC 6937 PRR in SACK recovery. Default: the profile's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prr: Option<bool>,
    /// RFC 5682 F-RTO with Linux's undo of a spurious timeout. Default: the
    /// profile's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frto: Option<bool>,
    /// RFC 8985 RACK-TLP (time-based loss detection and the tail loss
    /// probe, as Linux runs it; needs SACK). Default: the profile's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rack_tlp: Option<bool>,
    /// Offer SACK-permitted (RFC 2018). Default: true.
    pub sack: bool,
    /// Offer timestamps (RFC 7323 3). Default: true.
    pub timestamps: bool,
    /// Offer window scaling (RFC 7323 2). Default: true.
    pub window_scale: bool,
    /// Delayed ACKs (RFC 5681 4.2, as Linux with quick-ack at the start). Default: true.
    pub delayed_ack: bool,
    /// Delayed-ACK timeout (Linux `TCP_DELACK_MIN`). Default: `"40ms"`.
    pub delack_timeout: SimDuration,
    /// Initial congestion window in segments (RFC 6928; Linux `TCP_INIT_CWND`). Default: 10.
    pub initial_window_segments: u32,
    /// Lower bound of the RTO (Linux `TCP_RTO_MIN`). Default: `"200ms"`.
    pub rto_min: SimDuration,
    /// How `rto_min` applies: `ClampRto` (RFC 6298 2.4: RTO = max(rto_min,
    /// SRTT + 4 RTTVAR)) or `ClampVariance` (Linux `__tcp_set_rto`: RTO =
    /// SRTT + max(rto_min, 4 RTTVAR)). Default: `ClampRto`.
    pub rto_rule: RtoMinRule,
    /// RTO before the first RTT sample (RFC 6298 2.1). Default: `"1s"`.
    pub rto_initial: SimDuration,
    /// Upper bound of the RTO (Linux `TCP_RTO_MAX`). Default: `"120s"`.
    pub rto_max: SimDuration,
    /// Recovery after a fast retransmit: `Sack` (RFC 6675) or `NewReno`
    /// (RFC 6582). Default: `Sack`.
    pub recovery: Recovery,
    /// Limited transmit (RFC 3042). Default: true.
    pub limited_transmit: bool,
    /// Nagle's algorithm (RFC 9293 3.7.4). Default: true.
    pub nagle: bool,
}

impl Default for TcpSpec {
    fn default() -> Self {
        let d = TcpConfig::default();
        TcpSpec {
            profile: TcpProfile::default(),
            rto_estimator: None,
            loss_response: None,
            slow_start_exit: None,
            prr: None,
            frto: None,
            rack_tlp: None,
            sack: d.sack,
            timestamps: d.timestamps,
            window_scale: d.window_scale,
            delayed_ack: d.delayed_ack,
            delack_timeout: d.delack_timeout,
            initial_window_segments: d.initial_window_segments,
            rto_min: d.rto_min,
            rto_rule: d.rto_min_rule,
            rto_initial: d.rto_initial,
            rto_max: d.rto_max,
            recovery: d.recovery,
            limited_transmit: d.limited_transmit,
            nagle: d.nagle,
        }
    }
}

impl TcpSpec {
    /// The endpoint configuration with these settings and `mss_bytes`.
    pub fn config(&self, mss_bytes: u32) -> TcpConfig {
        let p = self.profile.config();
        TcpConfig {
            rto_estimator: self.rto_estimator.unwrap_or(p.rto_estimator),
            loss_response: self.loss_response.unwrap_or(p.loss_response),
            slow_start_exit: self.slow_start_exit.unwrap_or(p.slow_start_exit),
            prr: self.prr.unwrap_or(p.prr),
            frto: self.frto.unwrap_or(p.frto),
            rack_tlp: self.rack_tlp.unwrap_or(p.rack_tlp),
            mss_bytes,
            sack: self.sack,
            timestamps: self.timestamps,
            window_scale: self.window_scale,
            delayed_ack: self.delayed_ack,
            delack_timeout: self.delack_timeout,
            initial_window_segments: self.initial_window_segments,
            rto_min: self.rto_min,
            rto_min_rule: self.rto_rule,
            rto_initial: self.rto_initial,
            rto_max: self.rto_max,
            recovery: self.recovery,
            limited_transmit: self.limited_transmit,
            nagle: self.nagle,
            ..p
        }
    }

    /// The first field that cannot run, with why.
    fn problem(&self) -> Option<(&'static str, String)> {
        // RACK-TLP (RFC 8985) in RFC 6675 recovery with neither PRR nor
        // Linux's loss response: the first fast recovery after a slow-start
        // overshoot never ends (RFC 6675 sends whenever pipe < cwnd, with
        // ssthresh from a FlightSize that counts SACKed data; RACK marks the
        // retransmissions that overflow the queue lost an RTT later and each
        // ACK sends about two more; RFC 6675 alone would have broken the
        // loop with an RTO). Linux runs RACK-TLP with PRR and
        // `tcp_enter_loss` (docs/validation.md). Refused rather than run.
        let cfg = self.config(models::tcp::DEFAULT_PEER_MSS_BYTES);
        if cfg.rack_tlp
            && cfg.sack
            && cfg.recovery == Recovery::Sack
            && !cfg.prr
            && cfg.loss_response == LossResponse::Rfc5681
        {
            let field = if self.rack_tlp.is_some() {
                "rack_tlp"
            } else if self.prr.is_some() {
                "prr"
            } else if self.loss_response.is_some() {
                "loss_response"
            } else {
                "profile"
            };
            return Some((
                field,
                "rack_tlp: true with RFC 6675 recovery, no PRR and the RFC 5681 loss response never leaves its first fast recovery after a slow-start overshoot (docs/validation.md); expected prr: true or loss_response: Linux with it, or rack_tlp: false".to_string(),
            ));
        }
        if !(1..=1000).contains(&self.initial_window_segments) {
            return Some((
                "initial_window_segments",
                format!(
                    "initial_window_segments {} is out of range; expected 1 to 1000",
                    self.initial_window_segments
                ),
            ));
        }
        if self.rto_max.is_zero() || self.rto_max > SimDuration::from_secs(3600) {
            return Some((
                "rto_max",
                format!(
                    "rto_max {} is out of range; expected more than 0s and at most 1h",
                    self.rto_max
                ),
            ));
        }
        if self.rto_min > self.rto_max {
            return Some((
                "rto_min",
                format!(
                    "rto_min {} is above rto_max {}; expected rto_min <= rto_max",
                    self.rto_min, self.rto_max
                ),
            ));
        }
        if self.rto_initial.is_zero() || self.rto_initial > self.rto_max {
            return Some((
                "rto_initial",
                format!(
                    "rto_initial {} is out of range; expected more than 0s and at most rto_max {}",
                    self.rto_initial, self.rto_max
                ),
            ));
        }
        if self.delack_timeout.is_zero() || self.delack_timeout > SimDuration::from_millis(500) {
            return Some((
                "delack_timeout",
                format!(
                    "delack_timeout {} is out of range; expected more than 0s and at most 500ms (RFC 5681 4.2)",
                    self.delack_timeout
                ),
            ));
        }
        None
    }
}

/// One MPTCP connection from the client to the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    /// The host that opens the connection (topology form only; the
    /// one-client form's client otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The host that accepts it, at its first interface's address
    /// (topology form only; the one-client form's server otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The client's path manager: an iOS service type (`none`, `handover`,
    /// `interactive`, `aggregate`), a Linux one (`in_kernel`, upstream's;
    /// the out-of-tree `default`, `fullmesh`, `ndiffports`) or any
    /// registered one, bare or with parameters (`in_kernel(subflows: 4)`).
    /// Default: `in_kernel`, upstream Linux's.
    #[serde(default = "default_pm")]
    pub path_manager: PathManagerSpec,
    /// The server's path manager. Default (`None`): the client's when it
    /// is one the server mirrors (`in_kernel`, `fullmesh`), else Linux's `default`
    /// (accept joins, open nothing).
    #[serde(default)]
    pub server_path_manager: Option<PathManagerSpec>,
    /// The packet scheduler of both ends (the server's carries a
    /// download), any registered one. Default: `burst`, upstream Linux's.
    #[serde(default = "default_scheduler")]
    pub scheduler: SchedulerSpec,
    /// Congestion control on both sides, any registered one. Default:
    /// `cubic` (Linux's default).
    #[serde(default = "default_cc")]
    pub cc: CcSpec,
    /// When the client opens the connection. Default: `"0s"`.
    #[serde(default)]
    pub start: SimTime,
    /// What the application does over the connection (required).
    pub traffic: Traffic,
    /// Maximum segment size. Default: 1460 B.
    #[serde(default = "default_mss")]
    pub mss: ByteSize,
    /// Receive buffer at each end (connection level). Default: 6 MiB (Linux tcp_rmem max).
    #[serde(default = "default_buf")]
    pub rcv_buf: ByteSize,
    /// Send buffer at each end. Default: 4 MiB (Linux tcp_wmem max).
    #[serde(default = "default_sndbuf")]
    pub snd_buf: ByteSize,
    /// Raiciu et al. opportunistic retransmission and penalisation when the
    /// receive window blocks (Linux default on). Default: true.
    #[serde(default = "yes")]
    pub opportunistic_retransmission: bool,
    /// How long a connection whose last subflow is gone waits for a new one
    /// before it gives up. Default: `"30s"`.
    #[serde(default = "default_orphan")]
    pub orphan_timeout: SimDuration,
    /// TCP settings of the subflows at both ends. Default: Linux's.
    #[serde(default)]
    pub tcp: TcpSpec,
    /// How data lost on a subflow is recovered at the MPTCP level, at both
    /// ends: `OutOfTree` (Linux v0.95: each subflow RTO reinjects that
    /// subflow's data and marks it potentially failed) or `Upstream` (Linux
    /// 5.x/6.x: an MPTCP-level retransmission timer resends the head on an
    /// idle subflow; a subflow becomes stale after `stale_loss_cnt` periods
    /// without progress). Default: `Upstream`.
    #[serde(default, skip_serializing_if = "MetaRecoverySpec::is_default")]
    pub meta_recovery: MetaRecoverySpec,
    /// `net.mptcp.stale_loss_cnt` for `Upstream` (0: never stale). Default: 4.
    #[serde(
        default = "default_stale_loss_cnt",
        skip_serializing_if = "is_default_stale_loss_cnt"
    )]
    pub stale_loss_cnt: u32,
}

/// How data lost on a subflow is recovered at the MPTCP level
/// (`models::mptcp::MetaRecovery`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetaRecoverySpec {
    /// Linux out-of-tree v0.95.
    OutOfTree,
    /// Upstream Linux 5.x/6.x.
    #[default]
    Upstream,
}

impl MetaRecoverySpec {
    fn is_default(&self) -> bool {
        *self == MetaRecoverySpec::default()
    }
    /// The connection's setting.
    pub fn config(self, stale_loss_cnt: u32) -> models::mptcp::MetaRecovery {
        match self {
            MetaRecoverySpec::OutOfTree => models::mptcp::MetaRecovery::OutOfTree,
            MetaRecoverySpec::Upstream => models::mptcp::MetaRecovery::Upstream { stale_loss_cnt },
        }
    }
}

fn default_stale_loss_cnt() -> u32 {
    models::mptcp::upstream_rtx::DEFAULT_STALE_LOSS_CNT
}
fn is_default_stale_loss_cnt(v: &u32) -> bool {
    *v == default_stale_loss_cnt()
}

fn default_pm() -> PathManagerSpec {
    builtin("in_kernel")
}
fn default_scheduler() -> SchedulerSpec {
    builtin("burst")
}
fn default_cc() -> CcSpec {
    builtin("cubic")
}
fn default_mss() -> ByteSize {
    ByteSize::from_bytes(1460)
}
fn default_buf() -> ByteSize {
    ByteSize::from_bytes(6 << 20)
}
fn default_sndbuf() -> ByteSize {
    ByteSize::from_bytes(4 << 20)
}
fn default_orphan() -> SimDuration {
    SimDuration::from_secs(30)
}

/// An MPTCP version: what the hosts speak (`mptcp_version`), and what a
/// trace is written in (`record.pcap_flavor`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MptcpVersionSpec {
    /// RFC 8684 (MPTCP v1), 64-bit data sequence numbers: what tshark reads.
    #[default]
    V1,
    /// RFC 6824 (MPTCP v0) with 32-bit data sequence numbers: what mptcptrace reads.
    V0,
}

/// The trace's MPTCP version: the same type.
pub type PcapFlavor = MptcpVersionSpec;

impl MptcpVersionSpec {
    /// The models' version.
    pub fn version(self) -> models::segment::MptcpVersion {
        match self {
            MptcpVersionSpec::V1 => models::segment::MptcpVersion::V1,
            MptcpVersionSpec::V0 => models::segment::MptcpVersion::V0,
        }
    }
}

/// What the run records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSpec {
    /// Write `trace.pcap`. Default: true.
    #[serde(default = "yes")]
    pub pcap: bool,
    /// The MPTCP version `trace.pcap` is written in; `None` (the default):
    /// the scenario's `mptcp_version`. Another version changes only the
    /// file: the run's segments are re-encoded (see `experiments::transcode`).
    #[serde(default)]
    pub pcap_flavor: Option<PcapFlavor>,
    /// Where `trace.pcap` is captured, as tcpdump there would see it
    /// (each segment as it leaves or reaches that host's interfaces): a
    /// host's name (all its interfaces; `client` or `server` in the
    /// one-client form) or one interface (`wifi`, or `HOST.IFACE` in the
    /// topology form), or one direction of a link (`wifi.down`, or
    /// `LINK.ab` in the topology form: each segment as it comes out of
    /// the link's far end). Default: the client host of the first
    /// connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pcap_at: Option<String>,
    /// Write `timeseries.csv`. Default: true.
    #[serde(default = "yes")]
    pub timeseries: bool,
    /// Write `sequence.csv` (a row per data segment and data-ACK, behind
    /// the sequence graphs). Default: true. Off for runs of many
    /// connections, whose sequence would be gigabytes.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub sequence: bool,
    /// Sampling interval of the time series. Default: `"10ms"`.
    #[serde(default = "default_sample")]
    pub sample_interval: SimDuration,
    /// Draw the figures (`*.png`, `*.svg`) and `report.html` into the run
    /// directory at the end of `mpsim run` and `mpsim reproduce`. Default:
    /// true. They are drawn from the records (`sequence.csv`,
    /// `timeseries.csv`), not records themselves, and cost more than the
    /// records (BENCHMARKS.md); `mpsim plot DIR` draws the figures later.
    /// `mpsim run --no-figures` sets it to false.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub figures: bool,
}

fn default_sample() -> SimDuration {
    SimDuration::from_millis(10)
}

impl Default for RecordSpec {
    fn default() -> Self {
        RecordSpec {
            pcap: true,
            pcap_flavor: None,
            pcap_at: None,
            timeseries: true,
            sequence: true,
            sample_interval: default_sample(),
            figures: true,
        }
    }
}

/// The client host: its interfaces, each with its path to the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// The interfaces, at least one; interface `i` (from 0, in this order)
    /// has the address 10.1.i.2.
    pub interfaces: Vec<InterfaceSpec>,
}

impl Scenario {
    /// The host interfaces' names, in the order records and CSV files index
    /// them: the client's interfaces, or every host's `HOST.IFACE`.
    pub fn iface_names(&self) -> Vec<String> {
        match &self.topology {
            Some(t) => {
                let g = t.graph();
                (0..g.hosts.len())
                    .flat_map(|h| (0..g.hosts[h].interfaces.len()).map(move |j| (h, j)))
                    .map(|(h, j)| g.iface_name(h, j))
                    .collect()
            }
            None => self.client.interfaces.iter().map(|i| i.name.clone()).collect(),
        }
    }

    /// Every connection: `connections`, then those `flows` generates (those
    /// that would start after `stop` are left out). Connection `i` of this
    /// list is connection `i` of the run's outputs.
    pub fn all_connections(&self) -> std::borrow::Cow<'_, [ConnectionSpec]> {
        if self.flows.is_empty() {
            return std::borrow::Cow::Borrowed(&self.connections);
        }
        let mut all = self.connections.clone();
        all.extend(self.generated().into_iter().map(|(_, c)| c));
        std::borrow::Cow::Owned(all)
    }

    /// The connections `flows` generates, each with the index of its
    /// `Flows`, leaving out those that would start after `stop`.
    pub fn generated(&self) -> Vec<(usize, ConnectionSpec)> {
        let mut out = Vec::new();
        let Some(t) = &self.topology else { return out };
        let names: Vec<String> = t.graph().hosts.iter().map(|h| h.name.clone()).collect();
        for (k, f) in self.flows.iter().enumerate() {
            let mut rng = sim_core::RngStreams::new(self.seed).stream(&format!("flows/{k}"));
            let Ok(set) = f.host_set(&names) else { continue };
            let to = match &f.pattern {
                Pattern::Incast { to } => names.iter().position(|n| n == to),
                _ => None,
            };
            let pairs: Vec<(String, String)> = f
                .pairs(&set, to, &mut rng)
                .into_iter()
                .map(|(a, b)| (names[a].clone(), names[b].clone()))
                .collect();
            out.extend(
                f.connections(&pairs, &mut rng)
                    .into_iter()
                    .filter(|c| c.start <= self.stop)
                    .map(|c| (k, c)),
            );
        }
        out
    }

    /// The names of every link direction, as `metrics.json` gives them:
    /// `IFACE.up` and `IFACE.down` in the one-client form, `LINK.ab` and
    /// `LINK.ba` in the topology form.
    pub fn link_direction_names(&self) -> Vec<String> {
        match &self.topology {
            Some(t) => t
                .graph()
                .links
                .iter()
                .flat_map(|l| {
                    let n = l.resolved_name();
                    [format!("{n}.ab"), format!("{n}.ba")]
                })
                .collect(),
            None => self
                .client
                .interfaces
                .iter()
                .flat_map(|i| [format!("{}.up", i.name), format!("{}.down", i.name)])
                .collect(),
        }
    }

    /// Every link direction of the scenario, in either form.
    pub fn link_specs(&self) -> Vec<LinkSpec> {
        match &self.topology {
            Some(t) => t
                .graph()
                .links
                .iter()
                .flat_map(|l| [l.forward.clone(), l.resolved_reverse().clone()])
                .collect(),
            None => self
                .client
                .interfaces
                .iter()
                .flat_map(|i| [&i.uplink, &i.downlink])
                .flatten()
                .cloned()
                .collect(),
        }
    }
}

impl ClientSpec {
    /// No interfaces (a scenario of the topology form).
    pub fn is_empty(&self) -> bool {
        self.interfaces.is_empty()
    }
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The scenario's name, reported as `scenario` in `metrics.json`.
    /// Default: empty.
    #[serde(default)]
    pub name: String,
    /// Free text. Default: empty.
    #[serde(default)]
    pub description: String,
    /// Master seed of every random stream. Default: 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time at which the run stops. Default: `"60s"`.
    #[serde(default = "default_stop")]
    pub stop: SimTime,
    /// The client host of the one-client form: its interfaces, each with
    /// its own path to the one server. Required unless `topology` is given.
    #[serde(default, skip_serializing_if = "ClientSpec::is_empty")]
    pub client: ClientSpec,
    /// Hosts, routers and links (the topology form), instead of `client`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<TopologyForm>,
    /// Interfaces going down and up, in any order; events at the same time
    /// take effect in the order written. Default: none.
    #[serde(default)]
    pub timeline: Vec<TimelineEvent>,
    /// How Wi-Fi signal levels on the timeline become Symptoms'
    /// advisories. Default: `Bad` below -75 dBm.
    #[serde(default, skip_serializing_if = "SymptomsSpec::is_default")]
    pub symptoms: SymptomsSpec,
    /// The connections from the client to the server, at least one
    /// (required; in the topology form, possibly empty when `flows`
    /// generates some).
    #[serde(default)]
    pub connections: Vec<ConnectionSpec>,
    /// Connections generated from the seed over the hosts of the topology
    /// form (traffic matrices); they follow `connections`. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<FlowsSpec>,
    /// The MPTCP version both hosts speak: `v1` (RFC 8684, the default) or
    /// `v0` (RFC 6824). It changes the run (keys hash with SHA-1 in v0,
    /// data sequence numbers are 4 bytes on the wire, the SYN carries the
    /// key), unlike `record.pcap_flavor`.
    #[serde(default)]
    pub mptcp_version: MptcpVersionSpec,
    /// What the run writes. Default: `trace.pcap` in `mptcp_version` and
    /// `timeseries.csv` sampled every 10 ms.
    #[serde(default)]
    pub record: RecordSpec,
}

fn default_seed() -> u64 {
    1
}
fn default_stop() -> SimTime {
    SimTime::from_secs(60)
}

impl Scenario {
    /// Parses and checks scenario text; `file` names it in errors.
    ///
    /// An optional field (`buffer`, `jitter`) may be written bare
    /// (`buffer: Packets(50)`) or as `Some(...)`: RON's `implicit_some`
    /// extension is on.
    pub fn parse(file: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let mut sc = Self::parse_unchecked(file, text)?;
        sc.resolve_paths(file);
        sc.check(file, text)?;
        Ok(sc)
    }

    /// Makes the relative paths in the scenario (link traces) relative to
    /// the directory of `file`.
    pub fn resolve_paths(&mut self, file: &Path) {
        let dir = file.parent().unwrap_or(Path::new(""));
        for i in &mut self.client.interfaces {
            for l in [&mut i.uplink, &mut i.downlink].into_iter().flatten() {
                l.resolve_trace(dir);
            }
        }
        if let Some(t) = &mut self.topology {
            for l in t.link_specs_mut() {
                l.resolve_trace(dir);
            }
        }
    }

    /// [`Scenario::parse`] with the policies of `registry` (a user's own
    /// schedulers, congestion controls and path managers besides the
    /// built-in ones).
    pub fn parse_with(registry: &Registry, file: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        registry.scope(|| Self::parse(file, text))
    }

    /// [`Scenario::load`] with the policies of `registry`.
    pub fn load_with(registry: &Registry, file: &Path) -> Result<Scenario, ScenarioError> {
        registry.scope(|| Self::load(file))
    }

    /// Parses scenario text without the semantic checks: only syntax and
    /// types (a sweep tells a value of the wrong type, an error in the sweep
    /// file, from a point that fails the checks, a failed run).
    pub fn parse_unchecked(file: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(text)
            .map_err(|e| ron_error_in(file, text, &e))
    }

    /// Reads and parses a scenario file (a regular file of at most
    /// [`MAX_INPUT_BYTES`]).
    pub fn load(file: &Path) -> Result<Scenario, ScenarioError> {
        let name = file.display().to_string();
        let bytes = read_input(file).map_err(|e| ScenarioError {
            file: name.clone(),
            line: 0,
            col: 0,
            message: format!("cannot read the scenario: {e}; expected a readable RON file"),
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => Self::parse(file, &text),
            Err(e) => {
                let good = e.utf8_error().valid_up_to();
                let prefix = std::str::from_utf8(&e.as_bytes()[..good]).unwrap_or("");
                let (line, col) = line_col(prefix, good);
                Err(ScenarioError {
                    file: name,
                    line,
                    col,
                    message: "this byte is not UTF-8 text; expected a UTF-8 RON file".into(),
                })
            }
        }
    }

    /// Semantic checks that serde cannot express. Each error is located at
    /// the offending value (found by its path in the text, not by searching
    /// for its spelling).
    pub(crate) fn check(&self, file: &Path, text: &str) -> Result<(), ScenarioError> {
        use PathSeg::{Field as F, Index as I};
        let err = |path: &[PathSeg<'_>], message: String| {
            let (line, col) = line_col(text, value_offset(text, path));
            Err(ScenarioError {
                file: file.display().to_string(),
                line,
                col,
                message,
            })
        };
        let ifaces = &self.client.interfaces;
        if let Some(t) = &self.topology {
            topology::check(self, t, &err)?;
        } else if ifaces.is_empty() {
            return err(
                &[F("client"), F("interfaces")],
                "the client has no interfaces; expected at least one InterfaceSpec(...)".into(),
            );
        }
        if ifaces.len() > MAX_INTERFACES {
            return err(
                &[F("client"), F("interfaces"), I(MAX_INTERFACES)],
                format!(
                    "{} interfaces; expected at most {MAX_INTERFACES} (a connection has at most 64 live subflows, and fullmesh opens one per interface)",
                    ifaces.len()
                ),
            );
        }
        let names: Vec<&str> = ifaces.iter().map(|i| i.name.as_str()).collect();
        let list = names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ");
        for (i, iface) in ifaces.iter().enumerate() {
            let at = |rest: &[PathSeg<'static>]| [&[F("client"), F("interfaces"), I(i)][..], rest].concat();
            if iface.name.chars().count() > MAX_NAME_CHARS {
                return err(
                    &at(&[F("name")]),
                    format!(
                        "interface name of {} characters; expected at most {MAX_NAME_CHARS} (it labels figures and CSV columns)",
                        iface.name.chars().count()
                    ),
                );
            }
            if iface.name.is_empty()
                || !iface
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return err(
                    &at(&[F("name")]),
                    format!(
                        "interface name {:?} is not a simple name; expected letters, digits, '_' or '-'",
                        iface.name
                    ),
                );
            }
            if let Some(first) = names[..i].iter().position(|n| *n == iface.name) {
                let (l, c) = line_col(
                    text,
                    value_offset(text, &[F("client"), F("interfaces"), I(first), F("name")]),
                );
                return err(
                    &at(&[F("name")]),
                    format!(
                        "interface {:?} is defined twice (first at {l}:{c}); expected a unique name for each interface",
                        iface.name
                    ),
                );
            }
            match &iface.shares_path_with {
                Some(other) => {
                    let ok = names[..i].contains(&other.as_str())
                        && self
                            .client
                            .interfaces
                            .iter()
                            .any(|o| &o.name == other && o.shares_path_with.is_none());
                    if !ok {
                        return err(
                            &at(&[F("shares_path_with")]),
                            format!(
                                "shares_path_with {other:?} names no earlier interface with links of its own; expected one of {list}"
                            ),
                        );
                    }
                    if iface.uplink.is_some() || iface.downlink.is_some() {
                        return err(
                            &at(&[F("shares_path_with")]),
                            format!(
                                "{} shares {other:?}'s path and also has links; expected one or the other",
                                iface.name
                            ),
                        );
                    }
                }
                None => {
                    for (dir, l) in [("uplink", &iface.uplink), ("downlink", &iface.downlink)] {
                        if l.is_none() {
                            return err(
                                &at(&[F("name")]),
                                format!(
                                    "interface {:?} has no {dir}; expected `{dir}: LinkSpec(rate: ..., delay: ...)` or `shares_path_with`",
                                    iface.name
                                ),
                            );
                        }
                    }
                }
            }
            for (dir, l) in [("uplink", &iface.uplink), ("downlink", &iface.downlink)] {
                let Some(l) = l else { continue };
                if let Some((rest, m)) = link_problem(l) {
                    let mut path = at(&[F(dir)]);
                    path.extend(rest);
                    return err(&path, format!("{} {dir}{m}", iface.name));
                }
            }
            if let Some(m) = iface.endpoint.as_deref().and_then(endpoint_problem) {
                return err(&at(&[F("endpoint")]), format!("{}: {m}", iface.name));
            }
        }
        if self.stop == SimTime::ZERO {
            return err(
                &[F("stop")],
                "stop is 0s; expected a positive duration such as \"30s\"".into(),
            );
        }
        if self.stop.saturating_since(SimTime::ZERO) > LONGEST {
            return err(
                &[F("stop")],
                format!("stop {} is too long; expected at most 100 years ({LONGEST})", self.stop),
            );
        }
        let directions = self.link_direction_names();
        for (k, ev) in self.timeline.iter().enumerate() {
            if ev.names_direction() && !directions.iter().any(|d| d == ev.iface()) {
                return err(
                    &[F("timeline"), I(k), F("link")],
                    format!(
                        "the timeline names link direction {:?}, which is not defined; expected one of {}",
                        ev.iface(),
                        directions
                            .iter()
                            .map(|n| format!("{n:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            if let Some((field, m)) = ev.change_problem() {
                return err(&[F("timeline"), I(k), F(field)], m);
            }
            if self.topology.is_none()
                && !ev.names_direction()
                && (!names.contains(&ev.iface()) || ev.target_field() != "iface")
            {
                return err(
                    &[F("timeline"), I(k), F(ev.target_field())],
                    format!(
                        "the timeline names interface {:?}, which is not defined; expected one of {list}",
                        ev.iface()
                    ),
                );
            }
            if let Some(m) = ev.flags_problem() {
                return err(&[F("timeline"), I(k), F("flags")], m);
            }
            if let Some(i) = self.client.interfaces.iter().find(|i| i.name == ev.iface())
                && let Some(m) = ev.iface_kind_problem(i.kind)
            {
                return err(&[F("timeline"), I(k), F("iface")], m);
            }
            if ev.at() > self.stop {
                return err(
                    &[F("timeline"), I(k), F("at")],
                    format!(
                        "this event at {} is after the stop time {}; expected a time up to {}",
                        ev.at(),
                        self.stop,
                        self.stop
                    ),
                );
            }
        }
        if self.connections.is_empty() && self.flows.is_empty() {
            return err(
                &[F("connections")],
                "there are no connections; expected at least one ConnectionSpec(...)".into(),
            );
        }
        if !self.flows.is_empty() && self.topology.is_none() {
            return err(
                &[F("flows")],
                "flows need the topology form; expected `topology: Topology(...)` (or FatTree, Dumbbell) instead of `client`".into(),
            );
        }
        if self.topology.is_none() && self.connections.len() > crate::run::MAX_CONNECTIONS {
            return err(
                &[F("connections"), I(crate::run::MAX_CONNECTIONS)],
                format!(
                    "{} connections; expected at most {} (each takes 64 client ports of its own)",
                    self.connections.len(),
                    crate::run::MAX_CONNECTIONS
                ),
            );
        }
        // The written connections, then each `flows` template.
        let sites = (self
            .connections
            .iter()
            .enumerate()
            .map(|(k, c)| (vec![F("connections"), I(k)], c)))
        .chain((self.flows.iter().enumerate()).map(|(k, f)| (vec![F("flows"), I(k), F("connection")], &f.connection)));
        for (site, c) in sites {
            let at = |rest: &[PathSeg<'static>]| [&site[..], rest].concat();
            if c.start > self.stop {
                return err(
                    &at(&[F("start")]),
                    format!(
                        "the connection starts at {}, after the stop time {}; expected a start up to {}",
                        c.start, self.stop, self.stop
                    ),
                );
            }
            if !(536..=9000).contains(&c.mss.bytes()) {
                return err(
                    &at(&[F("mss")]),
                    format!("mss {} is out of range; expected 536B to 9000B", c.mss),
                );
            }
            let two = ByteSize::from_bytes(2 * c.mss.bytes());
            for (field, buf) in [("rcv_buf", c.rcv_buf), ("snd_buf", c.snd_buf)] {
                if buf < two {
                    return err(
                        &at(&[F(field)]),
                        format!("{field} {buf} is smaller than two segments; expected at least {two} (2 x mss)"),
                    );
                }
            }
            if let Some(pm) = &c.server_path_manager
                && !pm.factory().supports_role(models::path_manager::Role::Server)
            {
                return err(
                    &at(&[F("server_path_manager")]),
                    format!(
                        "path manager `{}` does not run on a server; expected one that does, such as `default` or `fullmesh`",
                        pm.name()
                    ),
                );
            }
            if let Some((field, message)) = c.tcp.problem() {
                return err(&at(&[F("tcp"), F(field)]), message);
            }
            if let Some((field, message)) = traffic_problem(&c.traffic) {
                return err(&at(&[F("traffic"), F(field)]), message);
            }
        }
        if self.record.timeseries
            && !self.record.sample_interval.is_zero()
            && self.stop.saturating_since(SimTime::ZERO).as_nanos() / self.record.sample_interval.as_nanos()
                > MAX_SAMPLES
        {
            let samples = self.stop.saturating_since(SimTime::ZERO).as_nanos() / self.record.sample_interval.as_nanos();
            return err(
                &[F("record"), F("sample_interval")],
                format!(
                    "a sample every {} until {} is {samples} samples; expected at most {MAX_SAMPLES} (a longer sample_interval, or timeseries: false)",
                    self.record.sample_interval, self.stop
                ),
            );
        }
        if let Some(at) = &self.record.pcap_at {
            let hosts: Vec<String> = match &self.topology {
                Some(t) => t.graph().hosts.iter().map(|h| h.name.clone()).collect(),
                None => vec!["client".into(), "server".into()],
            };
            let ifaces = self.iface_names();
            let links = self.link_direction_names();
            if !hosts.contains(at) && !ifaces.contains(at) && !links.contains(at) {
                let all: Vec<String> = hosts
                    .iter()
                    .chain(&ifaces)
                    .chain(&links)
                    .map(|n| format!("{n:?}"))
                    .collect();
                return err(
                    &[F("record"), F("pcap_at")],
                    format!(
                        "pcap_at {at:?} names no host, interface or link direction; expected one of {}",
                        all.join(", ")
                    ),
                );
            }
        }
        if self.record.timeseries && self.record.sample_interval.is_zero() {
            return err(
                &[F("record"), F("sample_interval")],
                "sample_interval is 0s; expected a positive duration such as \"10ms\"".into(),
            );
        }
        Ok(())
    }
}

/// What is wrong with a link direction, if anything: the path below the
/// link's value and the message, to follow the direction's name (it starts
/// with its separator).
fn link_problem(l: &LinkSpec) -> Option<(Vec<PathSeg<'static>>, String)> {
    use PathSeg::Field as F;
    if let Some(path) = &l.trace
        && let Err(e) = load_trace(path)
    {
        return Some((
            vec![F("trace")],
            format!(": {e}; expected a Mahimahi trace (milliseconds, one per line, nondecreasing)"),
        ));
    }
    if let Err(e) = l.loss.validate() {
        let mut path = vec![F("loss")];
        path.extend(bad_probability(&l.loss).map(F));
        return Some((path, format!(" loss: {e}")));
    }
    if let Some(q) = &l.qdisc {
        if let Some((field, m)) = q.problem() {
            return Some((vec![F("qdisc"), F(field)], format!(" qdisc {}: {m}", q.name())));
        }
        if q.has_own_limit() && l.buffer.is_some() {
            return Some((
                vec![F("buffer")],
                format!(
                    ": a buffer with qdisc {}, which has its own `limit` (as in tc); expected no buffer (set the qdisc's limit)",
                    q.name()
                ),
            ));
        }
    }
    match l.buffer {
        Some(BufferLimit::Packets(0)) => {
            Some((vec![F("buffer")], ": a buffer of 0 packets; expected at least 1".into()))
        }
        Some(BufferLimit::Bytes(b)) if b.bytes() < MIN_BUFFER_BYTES => Some((
            vec![F("buffer")],
            format!(": a buffer of {b} holds no packet; expected at least {MIN_BUFFER_BYTES}B (one 1500-byte packet)"),
        )),
        _ => None,
    }
}

/// The first probability of a loss model outside [0, 1], by field name.
fn bad_probability(loss: &LossModel) -> Option<&'static str> {
    let fields: Vec<(&'static str, f64)> = match *loss {
        LossModel::Bernoulli { p } => vec![("p", p)],
        LossModel::GilbertElliott {
            p,
            r,
            loss_good,
            loss_bad,
        } => vec![("p", p), ("r", r), ("loss_good", loss_good), ("loss_bad", loss_bad)],
        LossModel::None | LossModel::DropList { .. } => vec![],
    };
    fields
        .into_iter()
        .find(|(_, v)| !(0.0..=1.0).contains(v))
        .map(|(name, _)| name)
}

/// The most client interfaces a scenario may have.
pub const MAX_INTERFACES: usize = 32;
/// The longest interface name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// The smallest buffer in bytes: one 1500-byte packet.
pub const MIN_BUFFER_BYTES: u64 = 1500;
/// The most time-series samples a run may take (each a row per subflow and
/// per connection): 10 million, 27.8 hours of simulated time at the
/// default 10 ms.
pub const MAX_SAMPLES: u64 = 10_000_000;

/// The longest stop time and traffic duration: 100 years, so that sums of
/// times stay far from the ~584 years a time can hold.
const LONGEST: SimDuration = SimDuration::from_secs(100 * 365 * 86_400);

/// The most bytes one end of a connection's traffic may ask for in all: a
/// download or upload, or a request or response times `count`. 10^18 bytes
/// (100 Gb/s for two and a half years) is more than any run moves, and far
/// enough from `u64::MAX` that the totals cannot wrap (`response * count`
/// did, reliability reproducer wrong_rr_bytes_requested_overflow) nor
/// reach the `u64::MAX` that the hosts use for "no fixed amount".
pub const MAX_TRANSFER_BYTES: u64 = 1_000_000_000_000_000_000;

/// The largest scenario or sweep file read: 16 MiB (the largest built-in
/// or reproducer file is below 200 kB).
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// Reads an input file: a regular file of at most [`MAX_INPUT_BYTES`].
/// `/dev/zero`, a FIFO or a directory is refused at once instead of being
/// read for ever (or until a reader on the other end closes), and a file
/// that grows past the limit while it is read is refused too.
pub fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO would wait for a writer (it changes
    // nothing for a regular file); the descriptor's own metadata decides.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| e.to_string())?;
    let meta = f.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, FIFO or socket)"
        };
        return Err(format!("it is {kind}"));
    }
    let too_big = || format!("it has more than {MAX_INPUT_BYTES} bytes (16 MiB), the most an input file may have");
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    f.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// What is wrong with a connection's traffic: the field and the message.
fn traffic_problem(t: &Traffic) -> Option<(&'static str, String)> {
    let empty = |field: &'static str, what: &str| Some((field, format!("{what} of 0B; expected at least 1B")));
    let too_big = |field: &'static str, what: String, total: u128| {
        (total > u128::from(MAX_TRANSFER_BYTES)).then(|| {
            (
                field,
                format!("{what} is {total} bytes; expected at most {MAX_TRANSFER_BYTES}B (10^18 bytes) in all"),
            )
        })
    };
    let too_long = |field: &'static str, d: SimDuration| {
        (d > LONGEST).then(|| {
            (
                field,
                format!("{field} {d} is too long; expected at most 100 years ({LONGEST})"),
            )
        })
    };
    match *t {
        Traffic::Download { bytes } if bytes.bytes() == 0 => empty("bytes", "a download"),
        Traffic::Upload { bytes } if bytes.bytes() == 0 => empty("bytes", "an upload"),
        Traffic::Download { bytes } => too_big("bytes", "the download".into(), bytes.bytes().into()),
        Traffic::Upload { bytes } => too_big("bytes", "the upload".into(), bytes.bytes().into()),
        Traffic::DownloadFor { duration }
        | Traffic::ConstantRate { duration, .. }
        | Traffic::OnOff { duration, .. }
            if duration.is_zero() =>
        {
            Some((
                "duration",
                "duration is 0s; expected a positive duration such as \"10s\"".into(),
            ))
        }
        Traffic::OnOff { on, .. } if on.is_zero() => Some((
            "on",
            "an on period of 0s; expected a positive duration such as \"1s\"".into(),
        )),
        Traffic::OnOff { off, .. } if off.is_zero() => Some((
            "off",
            "an off period of 0s; expected a positive duration such as \"1s\"".into(),
        )),
        Traffic::OnOff { on, off, duration, .. } => too_long("duration", duration)
            .or(too_long("on", on))
            .or(too_long("off", off)),
        Traffic::DownloadFor { duration } | Traffic::ConstantRate { duration, .. } => too_long("duration", duration),
        Traffic::RequestResponse {
            request,
            response,
            count,
            think,
        } => {
            if request.bytes() == 0 {
                empty("request", "a request")
            } else if response.bytes() == 0 {
                empty("response", "a response")
            } else if count == 0 {
                Some(("count", "count is 0; expected at least 1 exchange".into()))
            } else {
                let n = u128::from(count);
                too_big(
                    "response",
                    format!("response {}B x count {count}", response.bytes()),
                    u128::from(response.bytes()) * n,
                )
                .or_else(|| {
                    too_big(
                        "request",
                        format!("request {}B x count {count}", request.bytes()),
                        u128::from(request.bytes()) * n,
                    )
                })
                .or_else(|| too_long("think", think))
            }
        }
    }
}

/// A scenario error located in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The scenario file, as given.
    pub file: String,
    /// 1-based; 0 when the error has no place in the text (an unreadable file).
    pub line: usize,
    /// 1-based, in characters; 0 when `line` is 0.
    pub col: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    /// `FILE:LINE:COL: message`, or `FILE: message` without a place.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)
        }
    }
}
impl std::error::Error for ScenarioError {}

/// 1-based (line, column in characters) of byte offset `at` in `text`. An
/// offset past the last line break (the end of a text that ends with a
/// newline) is reported at the end of the last line, so the line is always
/// one of the text's lines (line 1 for an empty text).
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut before = &text[..at];
    if at == text.len() && before.ends_with('\n') {
        before = &before[..before.len() - 1];
        if before.ends_with('\r') {
            before = &before[..before.len() - 1];
        }
    }
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |nl| before[nl + 1..].chars().count())
        + 1;
    (line, col)
}

/// Byte offset of 1-based (line, column in characters), as ron reports them;
/// clamped to the text.
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(nl) => start += nl + 1,
            None => return text.len(),
        }
    }
    let rest = &text[start..];
    let line_end = rest.find('\n').map_or(rest.len(), |nl| nl + 1);
    start
        + rest[..line_end]
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(line_end, |(i, _)| i)
}

/// One step of a path to a value in scenario text: a field of a structure
/// (also of an enum variant such as `IfaceUp(at: .., iface: ..)`), or an
/// element of a list or tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathSeg<'a> {
    /// The field of this name.
    Field(&'a str),
    /// The element at this 0-based index.
    Index(usize),
}

/// Byte offset in RON `text` where the value at `path` starts (after
/// `field:`), for locating semantic errors: `[Field("timeline"), Index(1),
/// Field("iface")]` is the second timeline event's interface, wherever and
/// however it is written. When the path cannot be followed to its end (a
/// field left to its default is not in the text, or the text is not valid
/// RON), the deepest value found on the way; `Some(...)` is looked through.
pub fn value_offset(text: &str, path: &[PathSeg<'_>]) -> usize {
    let mut lx = Lexer::new(text);
    lx.skip_trivia();
    while lx.rest().starts_with("#!") {
        // An attribute such as #![enable(implicit_some)].
        lx.pos += 2;
        let _ = lx.skip_value();
        lx.skip_trivia();
    }
    let mut found = lx.pos;
    for seg in path {
        match lx.find_child(*seg) {
            Some(at) => found = at,
            None => break,
        }
    }
    found
}

/// The exact byte range in RON `text` of the value at `path` (for splicing
/// a new value in); None unless the whole path is found. `Some(...)` is
/// looked through on the way, but a value that is itself written
/// `Some(...)` spans the whole `Some(...)`.
pub fn value_span(text: &str, path: &[PathSeg<'_>]) -> Option<std::ops::Range<usize>> {
    let mut lx = Lexer::new(text);
    lx.skip_trivia();
    while lx.rest().starts_with("#!") {
        lx.pos += 2;
        lx.skip_value()?;
        lx.skip_trivia();
    }
    for seg in path {
        lx.pos = lx.find_child(*seg)?;
    }
    lx.skip_trivia();
    let start = lx.pos;
    lx.skip_value()?;
    Some(start..lx.pos)
}

/// What the value at `path` holds: `Fields(names)` for a structure (also
/// inside `Some(...)` or an enum variant), `Elements(n)` for a list or tuple,
/// `Leaf` for anything else; None if the path is not found.
pub fn value_children(text: &str, path: &[PathSeg<'_>]) -> Option<Children> {
    let span = value_span(text, path)?;
    let mut lx = Lexer::new(text);
    lx.pos = span.start;
    loop {
        let start = lx.pos;
        let mut tok = lx.token()?;
        let is_some = tok == Tok::Ident && &text[start..lx.pos] == "Some";
        if tok == Tok::Ident {
            lx.skip_trivia();
            if lx.peek() != Some(b'(') {
                return Some(Children::Leaf);
            }
            tok = lx.token()?;
        }
        let close = match tok {
            Tok::Open(b'(') => b')',
            Tok::Open(b'[') => b']',
            _ => return Some(Children::Leaf),
        };
        let fields = close == b')' && lx.fields_follow();
        if is_some && !fields {
            lx.skip_trivia();
            continue;
        }
        let (mut names, mut count) = (Vec::new(), 0);
        loop {
            lx.skip_trivia();
            if lx.peek()? == close {
                break;
            }
            if fields {
                let s = lx.pos;
                if lx.token()? != Tok::Ident {
                    return None;
                }
                names.push(text[s..lx.pos].trim_start_matches("r#").to_string());
                if lx.token()? != Tok::Colon {
                    return None;
                }
            }
            count += 1;
            lx.skip_value()?;
            lx.skip_trivia();
            if lx.peek()? == close {
                break;
            }
            if lx.token()? != Tok::Comma {
                return None;
            }
        }
        return Some(if fields {
            Children::Fields(names)
        } else {
            Children::Elements(count)
        });
    }
}

/// See [`value_children`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Children {
    /// A structure: its field names as written, in order.
    Fields(Vec<String>),
    /// A list or tuple: its number of elements.
    Elements(usize),
    /// Anything else (a number, string, bare name, ...).
    Leaf,
}

/// A RON token, as far as locating things needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Open(u8),
    Close(u8),
    Comma,
    Colon,
    Ident,
    /// A string or character literal.
    Literal,
    /// A number, or any other character.
    Other,
    /// A string, character or comment that never ends.
    Unterminated,
}

/// A forgiving RON tokenizer: never panics, whatever the text.
struct Lexer<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Lexer<'t> {
    fn new(text: &'t str) -> Self {
        Lexer { text, pos: 0 }
    }

    fn rest(&self) -> &'t str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips whitespace and comments (block comments nest, as in RON).
    /// Returns false if a block comment never ends.
    fn skip_trivia(&mut self) -> bool {
        loop {
            let rest = self.rest();
            if let Some(c) = rest.chars().next()
                && c.is_whitespace()
            {
                self.pos += c.len_utf8();
            } else if rest.starts_with("//") {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if rest.starts_with("/*") {
                let b = rest.as_bytes();
                let (mut i, mut depth) = (2, 1);
                while depth > 0 {
                    if i + 1 >= b.len() {
                        self.pos = self.text.len();
                        return false;
                    }
                    match (b[i], b[i + 1]) {
                        (b'/', b'*') => (depth, i) = (depth + 1, i + 2),
                        (b'*', b'/') => (depth, i) = (depth - 1, i + 2),
                        _ => i += 1,
                    }
                }
                self.pos += i;
            } else {
                return true;
            }
        }
    }

    /// The next token after trivia; None at the end of the text.
    fn token(&mut self) -> Option<Tok> {
        if !self.skip_trivia() {
            return Some(Tok::Unterminated);
        }
        let rest = self.rest();
        let b = rest.as_bytes();
        let c = *b.first()?;
        let ident_len = |s: &[u8]| {
            s.iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
        };
        let (len, tok) = match c {
            b'(' | b'[' | b'{' => (1, Tok::Open(c)),
            b')' | b']' | b'}' => (1, Tok::Close(c)),
            b',' => (1, Tok::Comma),
            b':' => (1, Tok::Colon),
            b'"' => string_len(b, 1, None),
            b'\'' => char_len(b, 1),
            b'b' if b.get(1) == Some(&b'"') => string_len(b, 2, None),
            b'b' if b.get(1) == Some(&b'\'') => char_len(b, 2),
            b'b' | b'r' if raw_string_start(b).is_some() => match raw_string_start(b) {
                Some((body, hashes)) => string_len(b, body, Some(hashes)),
                None => (1, Tok::Other),
            },
            b'r' if b.get(1) == Some(&b'#') => {
                let n = b[2..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'+'))
                    .count();
                (2 + n, Tok::Ident)
            }
            c if c.is_ascii_alphabetic() || c == b'_' => (ident_len(b), Tok::Ident),
            c if c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.') => {
                let n = b
                    .iter()
                    .enumerate()
                    .take_while(|&(i, c)| {
                        c.is_ascii_alphanumeric()
                            || matches!(c, b'_' | b'.')
                            || i == 0
                            || matches!(c, b'+' | b'-') && matches!(b[i - 1], b'e' | b'E')
                    })
                    .count();
                (n, Tok::Other)
            }
            _ => (rest.chars().next().map_or(1, char::len_utf8), Tok::Other),
        };
        self.pos += len.max(1).min(rest.len());
        Some(tok)
    }

    /// Skips one value (`42`, `"x"`, `Wifi`, `Name(...)`, `[...]`), brackets
    /// matched by depth only; None if the text is not a value here.
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = match self.token()? {
            Tok::Ident => {
                self.skip_trivia();
                if !matches!(self.peek(), Some(b'(')) {
                    return Some(());
                }
                self.pos += 1;
                1usize
            }
            Tok::Open(_) => 1,
            Tok::Literal | Tok::Other => return Some(()),
            _ => return None,
        };
        while depth > 0 {
            match self.token()? {
                Tok::Open(_) => depth += 1,
                Tok::Close(_) => depth -= 1,
                Tok::Unterminated => return None,
                _ => {}
            }
        }
        Some(())
    }

    /// With the lexer at a value, moves into it to the start of its child
    /// `seg` and returns that position; None if there is no such child.
    fn find_child(&mut self, seg: PathSeg<'_>) -> Option<usize> {
        loop {
            self.skip_trivia();
            let start = self.pos;
            let mut tok = self.token()?;
            let is_some = tok == Tok::Ident && &self.text[start..self.pos] == "Some";
            if tok == Tok::Ident {
                tok = self.token()?;
            }
            let close = match tok {
                Tok::Open(b'(') => b')',
                Tok::Open(b'[') => b']',
                _ => return None,
            };
            let fields = close == b')' && self.fields_follow();
            if is_some && !fields && matches!(seg, PathSeg::Field(_)) {
                // Look through Some(...) to the value inside.
                self.skip_trivia();
                continue;
            }
            let mut index = 0;
            loop {
                self.skip_trivia();
                if self.peek()? == close {
                    return None;
                }
                let hit = if fields {
                    let s = self.pos;
                    if self.token()? != Tok::Ident {
                        return None;
                    }
                    let name = self.text[s..self.pos].trim_start_matches("r#");
                    if self.token()? != Tok::Colon {
                        return None;
                    }
                    seg == PathSeg::Field(name)
                } else {
                    index += 1;
                    seg == PathSeg::Index(index - 1)
                };
                self.skip_trivia();
                if hit {
                    return Some(self.pos);
                }
                self.skip_value()?;
                if self.token()? != Tok::Comma {
                    return None;
                }
            }
        }
    }

    /// Just after `(`: whether `name:` follows (a structure, not a tuple).
    fn fields_follow(&mut self) -> bool {
        let save = self.pos;
        let named = self.token() == Some(Tok::Ident) && self.token() == Some(Tok::Colon);
        self.pos = save;
        named
    }
}

/// Length of a string literal whose body starts at `body`: after `"` (with
/// escapes), or after `r#"` for a raw string with `Some(hashes)`.
fn string_len(b: &[u8], body: usize, raw: Option<usize>) -> (usize, Tok) {
    let hashes = raw.unwrap_or(0);
    let mut i = body;
    while i < b.len() {
        match b[i] {
            b'\\' if raw.is_none() => i += 2,
            b'"' if b[i + 1..].iter().take(hashes).filter(|c| **c == b'#').count() == hashes => {
                return (i + 1 + hashes, Tok::Literal);
            }
            _ => i += 1,
        }
    }
    (b.len(), Tok::Unterminated)
}

/// `r"`, `r#"`, `br"`, `br##"`...: where the body starts and how many hashes.
fn raw_string_start(b: &[u8]) -> Option<(usize, usize)> {
    let r = if b.first() == Some(&b'b') { 1 } else { 0 };
    if b.get(r) != Some(&b'r') {
        return None;
    }
    let hashes = b[r + 1..].iter().take_while(|c| **c == b'#').count();
    (b.get(r + 1 + hashes) == Some(&b'"')).then_some((r + 2 + hashes, hashes))
}

/// Length of a character literal starting with its quote at `q - 1`; a
/// lone quote is an `Other` token of length `q`.
fn char_len(b: &[u8], q: usize) -> (usize, Tok) {
    let mut i = q;
    while i < b.len() && i < q + 12 {
        match b[i] {
            b'\\' => i += 2,
            b'\'' if i > q => return (i + 1, Tok::Literal),
            b'\n' => break,
            _ => i += 1,
        }
    }
    (q, Tok::Other)
}

/// A bracket that is not closed properly.
struct Unbalanced {
    /// Offset and character of the opening bracket.
    open: (usize, u8),
    /// Where it was found wanting: a wrong closing bracket, a closing bracket
    /// indented less than the opening line, or the end of the text.
    at: usize,
}

/// The bracket most likely left unclosed, judging from the text up to
/// offset `upto`: the last opening bracket whose closing bracket starts a
/// line indented less than the opening line (the closing bracket of an
/// outer structure, in a file laid out like the examples); else one closed
/// by the wrong kind of bracket; else, at the end of the text, the
/// innermost one still open. None if a string or comment never ends.
fn unclosed_bracket(text: &str, upto: usize) -> Option<Unbalanced> {
    let indent = |at: usize| {
        let line = text[..at].rsplit('\n').next().unwrap_or("");
        (line.len() - line.trim_start().len(), line.trim().is_empty())
    };
    let mut lx = Lexer::new(text);
    let mut stack: Vec<(usize, u8)> = Vec::new();
    let mut suspect = None;
    loop {
        if !lx.skip_trivia() {
            return None;
        }
        let start = lx.pos;
        if start > upto {
            return suspect;
        }
        match lx.token() {
            None => {
                return suspect.or_else(|| stack.last().map(|&open| Unbalanced { open, at: text.len() }));
            }
            Some(Tok::Open(c)) => stack.push((start, c)),
            Some(Tok::Close(c)) => match stack.pop() {
                Some(open) if closer(open.1) == c => {
                    let (close_indent, first_on_line) = indent(start);
                    if first_on_line && close_indent < indent(open.0).0 {
                        suspect = Some(Unbalanced { open, at: start });
                    }
                }
                Some(open) => return suspect.or(Some(Unbalanced { open, at: start })),
                None => return suspect,
            },
            Some(Tok::Unterminated) => return None,
            Some(_) => {}
        }
    }
}

fn closer(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

/// The opening bracket still open at offset `at`, if any.
fn open_bracket_at(text: &str, at: usize) -> Option<usize> {
    let mut lx = Lexer::new(text);
    let mut stack = Vec::new();
    loop {
        lx.skip_trivia();
        let start = lx.pos;
        if start >= at {
            return stack.last().copied();
        }
        match lx.token()? {
            Tok::Open(_) => stack.push(start),
            Tok::Close(_) => {
                stack.pop();
            }
            Tok::Unterminated => return None,
            _ => {}
        }
    }
}

/// The end of the last token before offset `at` (where a missing comma
/// belongs); None if `at` is inside a token (`1.5` where a whole number was
/// read: not a missing comma but an unexpected `.5`).
/// The start of the last token that ends at or before `at`.
fn previous_token_start(text: &str, at: usize) -> Option<usize> {
    let mut lx = Lexer::new(text);
    let mut last = None;
    loop {
        lx.skip_trivia();
        let start = lx.pos;
        if start >= at || lx.token().is_none() || lx.pos > at {
            return last;
        }
        last = Some(start);
    }
}

fn previous_token_end(text: &str, at: usize) -> Option<usize> {
    let mut lx = Lexer::new(text);
    let mut end = at;
    loop {
        lx.skip_trivia();
        if lx.pos >= at || lx.token().is_none() {
            return Some(end);
        }
        if lx.pos > at {
            return None;
        }
        end = lx.pos;
    }
}

/// The token at `at`, quoted for a message: `` `30` ``, or "the end of the file".
fn found_at(text: &str, at: usize) -> String {
    let mut lx = Lexer::new(text);
    lx.pos = at.min(text.len());
    while !text.is_char_boundary(lx.pos) {
        lx.pos -= 1;
    }
    let start = lx.pos;
    match lx.token() {
        None => "the end of the file".into(),
        Some(_) => {
            let tok: String = text[start..lx.pos].chars().take(40).collect();
            let more = if text[start..lx.pos].chars().count() > 40 {
                "..."
            } else {
                ""
            };
            format!("`{tok}{more}`")
        }
    }
}

/// `` `a`, `b` or `c` ``, leaving out spellings RON cannot write bare (aliases such as `full-mesh`).
fn one_of(names: &[&str]) -> String {
    let names: Vec<String> = names
        .iter()
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|n| format!("`{n}`"))
        .collect();
    match names.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("one of {} or {last}", init.join(", ")),
    }
}

/// What is wrong and what is expected, for a ron error with `found`
/// describing the text at its position.
pub(crate) fn describe(code: &ron::Error, found: &str, blank: bool) -> String {
    use ron::Error as E;
    let outer = |o: &Option<String>| o.as_deref().map_or(String::new(), |o| format!(" in `{o}`"));
    match code {
        E::Message(m) => m.clone(),
        E::Eof => "the file ends too early; expected the rest of the scenario".into(),
        E::ExpectedComma => "a comma is missing here; expected `,` between fields and between list elements".into(),
        E::ExpectedBoolean => format!("found {found}; expected `true` or `false`"),
        E::ExpectedInteger => format!("found {found}; expected a whole number such as 42"),
        E::ExpectedFloat => format!("found {found}; expected a number such as 0.01"),
        E::ExpectedString => format!(
            "found {found}; expected a quoted string (quantities are quoted with their unit, e.g. \"40ms\", \"20Mbps\", \"64KiB\")"
        ),
        E::ExpectedStringEnd => "this string is never closed; expected a closing `\"`".into(),
        E::ExpectedChar => format!("found {found}; expected a character such as 'a'"),
        E::ExpectedByteLiteral | E::ExpectedByteString => format!("found {found}; expected a byte literal"),
        E::ExpectedArray => format!("found {found}; expected a list `[...]`"),
        E::ExpectedArrayEnd => format!("found {found}; expected `,` or the `]` that closes the list"),
        E::ExpectedMap => format!("found {found}; expected a map `{{...}}`"),
        E::ExpectedMapColon => format!("found {found}; expected `:` after the key"),
        E::ExpectedMapEnd => format!("found {found}; expected `,` or the `}}` that closes the map"),
        E::ExpectedStructLike => format!("found {found}; expected `(` opening a structure"),
        E::ExpectedNamedStructLike(_) if blank => {
            "the file has no scenario in it; expected `Scenario( ... )` (see docs/scenarios.md)".into()
        }
        E::ExpectedNamedStructLike("") => format!("found {found}; expected `(`"),
        E::ExpectedNamedStructLike(name) => format!("found {found}; expected `{name}(...)`"),
        E::ExpectedStructLikeEnd | E::ExpectedOptionEnd => {
            format!("found {found}; expected `,` or the `)` that closes the structure")
        }
        E::ExpectedDifferentStructName { expected, found } => {
            format!("found a structure named `{found}`; expected `{expected}` (or no name)")
        }
        E::ExpectedStructName(name) => format!("found {found}; expected the name `{name}` before `(`"),
        E::ExpectedUnit => format!("found {found}; expected `()`"),
        E::ExpectedOption => format!("found {found}; expected a value, `Some(...)` or `None`"),
        E::ExpectedIdentifier => format!("found {found}; expected a field name or a closing bracket"),
        E::IntegerOutOfBounds => {
            format!("the number {found} is out of range; expected a non-negative whole number that fits the field")
        }
        E::InvalidIntegerDigit { digit, base } => {
            format!("invalid digit {digit:?} in {found}; expected base-{base} digits")
        }
        E::FloatUnderscore | E::UnderscoreAtBeginning => {
            format!("malformed number {found}; expected digits such as 42 or 0.5")
        }
        E::InvalidEscape(s) => format!("{s}; expected an escape such as \\n, \\\" or \\u{{e9}}"),
        E::UnexpectedChar(c) => {
            format!("unexpected character {c:?}; expected a value, a field name, `,` or a closing bracket")
        }
        E::TrailingCharacters => {
            format!("found {found} after the end of the scenario; expected nothing after its closing `)`")
        }
        E::InvalidValueForType { expected, found } => format!("found {found}; expected {expected}"),
        E::ExpectedDifferentLength { expected, found } => format!("found {found} element(s); expected {expected}"),
        E::NoSuchEnumVariant { expected, found, outer } => match outer {
            Some(o) => format!("`{found}` is not a valid `{o}`; expected {}", one_of(expected)),
            None => format!("unknown variant `{found}`; expected {}", one_of(expected)),
        },
        E::NoSuchStructField {
            expected,
            found,
            outer: o,
        } => format!("unknown field `{found}`{}; expected {}", outer(o), one_of(expected)),
        E::MissingStructField { field, outer: o } => {
            format!(
                "the required field `{field}` is missing{}; expected `{field}: ...`",
                outer(o)
            )
        }
        E::DuplicateStructField { field, outer: o } => {
            format!("the field `{field}` is given twice{}; expected it once", outer(o))
        }
        E::InvalidIdentifier(s) => format!("invalid name {s:?}; expected letters, digits and '_'"),
        E::NoSuchExtension(name) => format!(
            "unknown RON extension `{name}`; expected `implicit_some`, `unwrap_newtypes` or `unwrap_variant_newtypes`"
        ),
        E::UnclosedBlockComment => "this `/*` comment is never closed; expected `*/`".into(),
        E::ExceededRecursionLimit => "the text is nested too deeply; expected at most 128 levels of brackets".into(),
        E::Utf8Error(_) => "the text is not valid UTF-8; expected UTF-8 text".into(),
        other => format!("{other}; expected a scenario as described in docs/scenarios.md"),
    }
}

/// Turns a ron error into a located scenario error that says what is wrong
/// and what is expected. Without the text, the position is ron's.
pub fn ron_error(file: &Path, e: &ron::error::SpannedError) -> ScenarioError {
    ScenarioError {
        file: file.display().to_string(),
        line: e.span.start.line.max(1),
        col: e.span.start.col.max(1),
        message: describe(&e.code, "this", false),
    }
}

/// [`ron_error`] with the text at hand: the position is moved onto the
/// offending token (past whitespace; for a missing comma, just after the
/// value that wants one; for a missing field, the structure that lacks it),
/// a bracket that is never closed is reported where it opens, and the
/// message quotes what was found.
pub fn ron_error_in(file: &Path, text: &str, e: &ron::error::SpannedError) -> ScenarioError {
    use ron::Error as E;
    let raw = offset_of(text, e.span.start.line, e.span.start.col);
    let mut comma_inside_token = false;
    let mut at = match e.code {
        E::ExpectedComma => previous_token_end(text, raw).unwrap_or_else(|| {
            comma_inside_token = true;
            raw
        }),
        // ron may point inside a token (after a string's opening quote, after
        // the sign of `-1`): point at its start.
        _ => {
            let mut lx = Lexer::new(text);
            lx.skip_trivia();
            while lx.pos < raw {
                let start = lx.pos;
                if lx.token().is_none() || lx.pos > raw {
                    lx.pos = start;
                    break;
                }
                lx.skip_trivia();
            }
            lx.skip_trivia();
            lx.pos.min(text.len())
        }
    };
    // A policy parameter is checked once its value is read (registry.rs),
    // and ron then points past it, at the `,` or `)`: point at the value.
    if matches!(e.code, E::Message(_))
        && at < text.len()
        && matches!(text.as_bytes()[at], b',' | b')')
        && let Some(start) = previous_token_start(text, at)
    {
        at = start;
    }
    let blank = {
        let mut lx = Lexer::new(text);
        lx.skip_trivia() && lx.pos >= text.len()
    };
    let found = found_at(text, at);
    let mut message = describe(&e.code, &found, blank);
    if comma_inside_token {
        message = format!("found {found}; expected `,` or a closing bracket after the value");
    }
    let structural = !matches!(
        e.code,
        E::Message(_)
            | E::InvalidValueForType { .. }
            | E::NoSuchEnumVariant { .. }
            | E::NoSuchStructField { .. }
            | E::MissingStructField { .. }
            | E::DuplicateStructField { .. }
            | E::ExpectedStringEnd
            | E::UnclosedBlockComment
    );
    let at_closer_or_end = at >= text.len() || matches!(text.as_bytes()[at], b')' | b']' | b'}');
    if structural
        && at_closer_or_end
        && let Some(u) = unclosed_bracket(text, at)
        && u.open.0 < at
    {
        let (open, want) = (u.open.1 as char, closer(u.open.1) as char);
        let (l, c) = line_col(text, u.at);
        message = if u.at >= text.len() {
            format!("this `{open}` is never closed; expected a `{want}` before the end of the file")
        } else {
            let got = text.as_bytes()[u.at] as char;
            if got == want {
                format!(
                    "this `{open}` is never closed; expected a `{want}` for it (the `{got}` at {l}:{c} is indented as the end of an enclosing structure)"
                )
            } else {
                format!("this `{open}` is never closed; expected a `{want}` before the `{got}` at {l}:{c}")
            }
        };
        at = u.open.0;
        // Point at the name of a named structure: `IfaceUp(` rather than `(`.
        let before = text[..at].trim_end_matches([' ', '\t']);
        let name = before.len()
            - before
                .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
                .len();
        if name > 0 {
            at = before.len() - name;
        }
    } else if let E::MissingStructField { .. } = e.code
        && let Some(open) = open_bracket_at(text, at)
    {
        // Detected at the closing `)`: point at the structure that lacks the field.
        let before = text[..open].trim_end();
        let name = before.len()
            - before
                .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
                .len();
        at = if name > 0 { before.len() - name } else { open };
    }
    let (line, col) = line_col(text, at);
    ScenarioError {
        file: file.display().to_string(),
        line,
        col,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let t = "ab\ncd\nef";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 4), (2, 2));
        assert_eq!(
            line_col("ab\n", 3),
            (1, 3),
            "the end of a text ending in a newline is on its last line"
        );
        assert_eq!(line_col("", 0), (1, 1));
        assert_eq!(offset_of(t, 3, 2), 7);
    }

    #[test]
    fn a_value_is_found_by_its_path_not_by_its_spelling() {
        use PathSeg::{Field as F, Index as I};
        let t = "S(a: [X(n: \"w\"), /* n: */ X(n: \"w\")], b: Some(Y(n: 1)))";
        assert_eq!(value_offset(t, &[F("a"), I(1), F("n")]), t.rfind("\"w\"").unwrap());
        assert_eq!(value_offset(t, &[F("b"), F("n")]), t.find('1').unwrap());
        assert_eq!(
            value_offset(t, &[F("a"), I(5)]),
            t.find('[').unwrap(),
            "the deepest value found"
        );
    }

    #[test]
    fn a_link_with_a_zero_rate_is_refused_with_its_position() {
        let text = "LinkSpec(\n  rate: \"0Mbps\",\n  delay: \"10ms\",\n)";
        let e = ron::from_str::<LinkSpec>(text).unwrap_err();
        let se = ron_error_in(Path::new("x.ron"), text, &e);
        assert_eq!((se.line, se.col), (2, 9), "{se}");
        assert!(se.message.contains("greater than zero"), "{se}");
    }

    #[test]
    fn default_buffer_is_one_bdp_of_twice_the_delay() {
        let l: LinkSpec = ron::from_str("(rate: \"20Mbps\", delay: \"20ms\")").unwrap();
        assert_eq!(l.resolved_buffer(), BufferLimit::Bytes(ByteSize::from_bytes(100_000)));
    }
}
