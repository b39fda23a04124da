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

use std::fmt;
use std::path::Path;

use models::cc::CcKind;
use models::path_manager::PathManagerKind;
use models::scheduler::SchedulerKind;
use serde::{Deserialize, Serialize};
use sim_core::{Bandwidth, BufferLimit, ByteSize, Jitter, LossModel, SimDuration, SimTime};

/// One direction of a path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub rate: Bandwidth,
    pub delay: SimDuration,
    /// Drop-tail limit on waiting packets; default: one bandwidth-delay
    /// product of (rate, 2 x delay), at least 10 packets of 1500 B.
    #[serde(default)]
    pub buffer: Option<BufferLimit>,
    #[serde(default)]
    pub loss: LossModel,
    #[serde(default)]
    pub jitter: Option<Jitter>,
}

impl LinkSpec {
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
    Wifi,
    Cellular,
    Wired,
}

/// A client interface and its path to the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceSpec {
    pub name: String,
    pub kind: IfaceKind,
    /// Up at time zero (default true).
    #[serde(default = "yes")]
    pub initially_up: bool,
    /// Client to server.
    pub uplink: LinkSpec,
    /// Server to client.
    pub downlink: LinkSpec,
}

fn yes() -> bool {
    true
}

/// A timeline entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TimelineEvent {
    IfaceUp { at: SimTime, iface: String },
    IfaceDown { at: SimTime, iface: String },
}

impl TimelineEvent {
    pub fn at(&self) -> SimTime {
        match self {
            TimelineEvent::IfaceUp { at, .. } | TimelineEvent::IfaceDown { at, .. } => *at,
        }
    }
    pub fn iface(&self) -> &str {
        match self {
            TimelineEvent::IfaceUp { iface, .. } | TimelineEvent::IfaceDown { iface, .. } => iface,
        }
    }
}

/// What the application does over the connection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Traffic {
    /// The server sends `bytes` to the client (an HTTP download), then closes.
    Download { bytes: ByteSize },
    /// The server sends as fast as it can until `duration` has passed.
    DownloadFor { duration: SimDuration },
    /// The client sends `bytes` to the server, then closes.
    Upload { bytes: ByteSize },
    /// `count` exchanges: the client sends `request` bytes, the server
    /// answers with `response` bytes, the client waits `think` before the
    /// next request.
    RequestResponse {
        request: ByteSize,
        response: ByteSize,
        count: u32,
        think: SimDuration,
    },
    /// The server sends at a constant `rate` (application-limited) for `duration`.
    ConstantRate { rate: Bandwidth, duration: SimDuration },
}

/// One MPTCP connection from the client to the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    /// The client's path manager: an iOS service type (`ios_none`,
    /// `ios_handover`, `ios_interactive`, `ios_aggregate`) or a Linux one
    /// (`default`, `full_mesh`). Default: `full_mesh`.
    #[serde(default = "default_pm")]
    pub path_manager: PathManagerKind,
    /// The server's packet scheduler (Linux). Default: `min_rtt`.
    #[serde(default = "default_scheduler")]
    pub scheduler: SchedulerKind,
    /// Congestion control on both sides. Default: `cubic` (Linux's default).
    #[serde(default = "default_cc")]
    pub cc: CcKind,
    /// When the client opens the connection. Default: `"0s"`.
    #[serde(default)]
    pub start: SimTime,
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
}

fn default_pm() -> PathManagerKind {
    PathManagerKind::FullMesh
}
fn default_scheduler() -> SchedulerKind {
    SchedulerKind::MinRtt
}
fn default_cc() -> CcKind {
    CcKind::Cubic
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

/// MPTCP version on the wire and in the trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcapFlavor {
    /// RFC 8684 (MPTCP v1), 64-bit data sequence numbers: what tshark reads.
    #[default]
    V1,
    /// RFC 6824 (MPTCP v0) with 32-bit data sequence numbers: what mptcptrace reads.
    V0,
}

/// What the run records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSpec {
    /// Write `trace.pcap`. Default: true.
    #[serde(default = "yes")]
    pub pcap: bool,
    #[serde(default)]
    pub pcap_flavor: PcapFlavor,
    /// Write `timeseries.csv`. Default: true.
    #[serde(default = "yes")]
    pub timeseries: bool,
    /// Sampling interval of the time series. Default: `"10ms"`.
    #[serde(default = "default_sample")]
    pub sample_interval: SimDuration,
}

fn default_sample() -> SimDuration {
    SimDuration::from_millis(10)
}

impl Default for RecordSpec {
    fn default() -> Self {
        RecordSpec {
            pcap: true,
            pcap_flavor: PcapFlavor::V1,
            timeseries: true,
            sample_interval: default_sample(),
        }
    }
}

/// The client host: its interfaces, each with its path to the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub interfaces: Vec<InterfaceSpec>,
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Master seed of every random stream. Default: 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time at which the run stops. Default: `"60s"`.
    #[serde(default = "default_stop")]
    pub stop: SimTime,
    pub client: ClientSpec,
    #[serde(default)]
    pub timeline: Vec<TimelineEvent>,
    pub connections: Vec<ConnectionSpec>,
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
    pub fn parse(file: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let sc: Scenario = ron::Options::default()
            .from_str(text)
            .map_err(|e| ron_error(file, &e))?;
        sc.check(file, text)?;
        Ok(sc)
    }

    /// Reads and parses a scenario file.
    pub fn load(file: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(file).map_err(|e| ScenarioError {
            file: file.display().to_string(),
            line: 0,
            col: 0,
            message: format!("cannot read the scenario: {e}; expected a readable RON file"),
        })?;
        Self::parse(file, &text)
    }

    /// Semantic checks that serde cannot express.
    fn check(&self, file: &Path, text: &str) -> Result<(), ScenarioError> {
        let err = |anchor: Option<&str>, needle: &str, message: String| {
            let (line, col) = locate(text, anchor, needle);
            Err(ScenarioError {
                file: file.display().to_string(),
                line,
                col,
                message,
            })
        };
        if self.client.interfaces.is_empty() {
            return err(
                Some("client"),
                "interfaces",
                "the client has no interfaces; expected at least one".into(),
            );
        }
        let names: Vec<&str> = self.client.interfaces.iter().map(|i| i.name.as_str()).collect();
        let list = names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ");
        for (i, iface) in self.client.interfaces.iter().enumerate() {
            if iface.name.is_empty()
                || !iface
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return err(
                    Some("interfaces"),
                    &format!("{:?}", iface.name),
                    format!(
                        "interface name {:?} is not a simple name; expected letters, digits, '_' or '-'",
                        iface.name
                    ),
                );
            }
            if names[..i].contains(&iface.name.as_str()) {
                // Point at the second definition.
                let quoted = format!("{:?}", iface.name);
                let second = text.find(&quoted).map_or(0, |p| p + quoted.len());
                let at = text[second..].find(&quoted).map_or(second, |p| second + p);
                let (line, col) = line_col(text, at);
                let message = format!("interface {quoted} is defined twice; expected unique names");
                return Err(ScenarioError {
                    file: file.display().to_string(),
                    line,
                    col,
                    message,
                });
            }
            for (dir, l) in [("uplink", &iface.uplink), ("downlink", &iface.downlink)] {
                if let Err(e) = l.loss.validate() {
                    return err(
                        Some(&format!("{:?}", iface.name)),
                        dir,
                        format!("{} {dir}: {e}", iface.name),
                    );
                }
                if let Some(sim_core::BufferLimit::Packets(0)) = l.buffer {
                    return err(
                        Some(&format!("{:?}", iface.name)),
                        dir,
                        format!("{} {dir}: a buffer of 0 packets; expected at least 1", iface.name),
                    );
                }
            }
        }
        if self.stop == SimTime::ZERO {
            return err(
                None,
                "stop",
                "stop is 0s; expected a positive duration such as \"30s\"".into(),
            );
        }
        for ev in &self.timeline {
            let needle = format!("{:?}", ev.iface());
            if !names.contains(&ev.iface()) {
                return err(
                    Some("timeline"),
                    &needle,
                    format!("the timeline names interface {needle}, which is not defined; expected one of {list}"),
                );
            }
            if ev.at() > self.stop {
                return err(
                    Some("timeline"),
                    &format!("\"{}\"", ev.at()),
                    format!(
                        "event at {} is after the stop time {}; expected a time up to the stop",
                        ev.at(),
                        self.stop
                    ),
                );
            }
        }
        if self.connections.is_empty() {
            return err(None, "connections", "no connections; expected at least one".into());
        }
        for c in &self.connections {
            if c.start > self.stop {
                return err(
                    Some("connections"),
                    "start",
                    format!(
                        "the connection starts at {}, after the stop time {}",
                        c.start, self.stop
                    ),
                );
            }
            if !(536..=9000).contains(&c.mss.bytes()) {
                return err(
                    Some("connections"),
                    "mss",
                    format!("mss {} is out of range; expected 536B to 9000B", c.mss),
                );
            }
            if c.rcv_buf.bytes() < 2 * c.mss.bytes() || c.snd_buf.bytes() < 2 * c.mss.bytes() {
                return err(
                    Some("connections"),
                    "buf",
                    "a buffer smaller than two segments; expected at least 2 x mss".into(),
                );
            }
        }
        Ok(())
    }
}

/// A scenario error located in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)
    }
}
impl std::error::Error for ScenarioError {}

/// 1-based (line, column) of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |nl| before[nl + 1..].chars().count())
        + 1;
    (line, col)
}

/// Locates the first occurrence of `needle` after the first occurrence of
/// `anchor` (or from the start), for semantic errors.
pub fn locate(text: &str, anchor: Option<&str>, needle: &str) -> (usize, usize) {
    let from = anchor.and_then(|a| text.find(a)).unwrap_or(0);
    let at = text[from..].find(needle).map_or(from, |i| from + i);
    line_col(text, at)
}

/// Turns a ron error into a located scenario error with an expectation.
pub fn ron_error(file: &Path, e: &ron::error::SpannedError) -> ScenarioError {
    let msg = e.code.to_string();
    ScenarioError {
        file: file.display().to_string(),
        line: e.span.start.line,
        col: e.span.start.col,
        message: format!("{msg} (see docs/scenarios.md for the format)"),
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
        assert_eq!(locate(t, Some("cd"), "f"), (3, 2));
    }

    #[test]
    fn a_link_with_a_zero_rate_is_refused_with_its_position() {
        let text = "LinkSpec(\n  rate: \"0Mbps\",\n  delay: \"10ms\",\n)";
        let e = ron::from_str::<LinkSpec>(text).unwrap_err();
        let se = ron_error(Path::new("x.ron"), &e);
        assert_eq!(se.line, 2, "{se}");
        assert!(se.message.contains("greater than zero"), "{se}");
    }

    #[test]
    fn default_buffer_is_one_bdp_of_twice_the_delay() {
        let l: LinkSpec = ron::from_str("(rate: \"20Mbps\", delay: \"20ms\")").unwrap();
        assert_eq!(l.resolved_buffer(), BufferLimit::Bytes(ByteSize::from_bytes(100_000)));
    }
}
