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
