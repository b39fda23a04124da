//! One run: a scenario in, results out, as a pure function of the scenario.
//!
//! The topology: the client's interfaces each have their own path (uplink
//! and downlink) to a single server. Addresses: server 10.0.0.1, client
//! interface i 10.1.i.2. Every connection's client end opens at its start
//! time; the server accepts it.
//!
//! Outputs (see `docs/outputs.md`): metrics (returned and written as
//! `metrics.json`), `timeseries.csv`, `trace.pcap`, `sequence.csv`, and the
//! resolved scenario `scenario.ron`. A run directory is written in a
//! temporary sibling directory and renamed into place when complete, so a
//! failed run leaves nothing half-written. `sequence.csv` (a row per data
//! segment and data-ACK) is written as the run goes rather than kept in
//! memory, and read back by [`SequenceFile`] to draw the figures.

#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use models::mptcp::ConnEvent;
use models::ranges::RangeSet;
use models::segment::Segment;
use serde::Serialize;
use sim_core::{LinkId, RngStreams, RunOutcome, SimDuration, SimTime, Simulation};

use crate::host::Host;
use crate::oracle::Violation;
use crate::pcap::PcapTrace;
use crate::scenario::Scenario;
use crate::timeseries::{HostSide, SubflowSample, TimeSeries};
use crate::world::{NetWorld, Observer, Side};

/// The server's address: 10.0.0.1.
pub const SERVER_ADDR: u32 = 0x0a00_0001;
/// The server's port, where every connection's subflows arrive (HTTP's 80).
pub const SERVER_PORT: u16 = 80;

/// Ports each connection reserves for its subflows (one per subflow, up
/// to `models::scheduler::MAX_SUBFLOWS`).
const PORTS_PER_CONN: usize = 64;

/// The most connections a scenario may have: each gets its own client
/// ports, 40000-65535 first, then 1024-39999 (subflows never share a
/// 4-tuple; subflows do not close with FIN yet, so ports cannot be reused).
pub const MAX_CONNECTIONS: usize = (65536 - 40000) / PORTS_PER_CONN + (40000 - 1024) / PORTS_PER_CONN;

/// Connection `i`'s first client port; each connection has 64 ports for
/// its subflows.
pub fn first_port(i: usize) -> u16 {
    let high = (65536 - 40000) / PORTS_PER_CONN;
    let port = if i < high {
        40000 + PORTS_PER_CONN * i
    } else {
        1024 + PORTS_PER_CONN * ((i - high) % ((40000 - 1024) / PORTS_PER_CONN))
    };
    port as u16
}

/// Client interface `i`'s address: 10.1.i.2.
pub fn client_addr(i: usize) -> u32 {
    0x0a01_0002 | ((i as u32 & 0xff) << 8)
}

/// A data segment or data-ACK, as the sequence graphs need it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeqRecord {
    /// When the segment was emitted (simulated time).
    pub time: SimTime,
    /// Index into the run's client interfaces.
    pub iface: usize,
    /// The server sent it (false: the client).
    pub from_server: bool,
    /// Data: its first byte's data sequence number, relative: bytes from
    /// the first data byte its sender sent on the connection (0 for the
    /// first byte; 0 when `len == 0`, a pure data-ACK).
    pub dsn: u64,
    /// Payload bytes of the DSS mapping (0 for a segment without payload).
    pub len: u64,
    /// The cumulative data-ACK the segment's DSS carries (RFC 8684 3.3.2),
    /// if any, relative as `dsn` is to the data it acknowledges (the
    /// peer's): n acknowledges the peer's first n bytes.
    pub data_ack: Option<u64>,
    /// Some of its data sequence range was sent before over another client
    /// interface of the same connection.
    pub reinjected: bool,
    /// Index of the connection in the scenario's `connections`.
    pub conn: usize,
}

/// A control segment worth seeing in a timeline: a zero window, a RST or
/// a REMOVE_ADDR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignalRecord {
    /// When the segment was sent (simulated time).
    pub time: SimTime,
    /// Index into the run's client interfaces (of the segment's client
    /// address).
    pub iface: usize,
    /// The server sent it (false: the client).
    pub from_server: bool,
    /// The segment carries RST.
    pub rst: bool,
    /// The segment advertises a zero receive window (a segment that is not
    /// a SYN and not a RST).
    pub zero_window: bool,
    /// The address id of the REMOVE_ADDR the segment carries (RFC 8684
    /// 3.4.2), if it carries one.
    pub remove_addr: Option<u8>,
}

/// What the run observer collects.
pub struct RunObserver {
    /// Re-encodes segments for a trace in another MPTCP version than the run's.
    transcode: Option<crate::transcode::Transcoder>,
    pcap: Option<PcapTrace<File>>,
    pcap_error: Option<String>,
    /// Where the trace is captured: a host, and the addresses of the
    /// interfaces watched (None: all of the host's).
    capture: Capture,
    /// The client ends (address, port) of every subflow, to tell which end
    /// sent a segment that arrives.
    client_ends: std::collections::BTreeSet<(u32, u16)>,
    keep_records: bool,
    /// The run writes a run directory (its `timeseries.csv`, even
    /// without `sequence.csv`).
    writes_dir: bool,
    /// The sequence-graph records, in emission order (only with
    /// [`RunOptions::keep_records`]).
    pub records: Vec<SeqRecord>,
    /// The zero windows and RSTs sent, in order (only with
    /// [`RunOptions::keep_records`]).
    pub signals: Vec<SignalRecord>,
    /// `sequence.csv`, written a row per record as the run goes.
    sequence: Option<BufWriter<File>>,
    sequence_error: Option<String>,
    /// DSN ranges sent so far, by conn and sending side, one set per
    /// interface the side has sent data on (`(iface, ranges)`, a handful),
    /// to mark reinjections. The side is part of the index: each direction
    /// has its own data sequence space, whose relative DSNs both start at
    /// 0. (Plain vectors: a map lookup per data segment cost ~60
    /// instructions; only the interfaces used, so memory does not grow
    /// with the topology's interfaces times the connections.)
    sent: Vec<[Vec<(usize, RangeSet)>; 2]>,
    /// Per connection and sending side: the highest end of the ranges in
    /// `sent` (over all its interfaces); data from there on overlaps
    /// nothing that side sent before.
    sent_end: Vec<[u64; 2]>,
    sample_every: Option<SimDuration>,
    stop: SimTime,
    /// The sampled time series, one sample every `record.sample_interval`
    /// when the scenario records one and something will write it.
    pub timeseries: TimeSeries,
    /// Per (host, conn, subflow): sum and count of srtt samples in ms.
    srtt_acc: BTreeMap<(u8, usize, usize), (f64, u64)>,
    addr_to_iface: Vec<u32>,
    /// The client interfaces' names, by index (`sequence.csv` names them).
    iface_names: Vec<String>,
    /// Per (connection, sending side): the data sequence number of the
    /// first data byte, what the records' and samples' relative sequence
    /// numbers count from (the first value seen of the side's data or of
    /// the peer's data-ACK: both are the initial DSN + 1).
    dsn_base: Vec<[Option<u64>; 2]>,
    /// Each subflow's life as its connection reported it, by (side,
    /// connection, subflow).
    lifecycle: BTreeMap<(u8, usize, usize), Lifecycle>,
    /// The client interface of each subflow in `lifecycle`, indexed by
    /// conn, side and subflow (`None`: not opened): what a `SegmentSent`
    /// report looks up, without a map lookup per segment.
    subflow_iface: Vec<[Vec<Option<usize>>; 2]>,
}

/// When a subflow was opened, established and closed (and why), from its
/// connection's events.
#[derive(Clone, Copy, Debug)]
struct Lifecycle {
    /// The subflow's client (address, port).
    client: (u32, u16),
    opened: SimTime,
    established: Option<SimTime>,
    closed: Option<(SimTime, models::tcp::CloseReason)>,
}

fn host_side(side: Side) -> HostSide {
    match side {
        Side::Client => HostSide::Client,
        Side::Server => HostSide::Server,
    }
}

impl RunObserver {
    fn iface_of(&self, addr: u32) -> usize {
        self.addr_to_iface.iter().position(|&a| a == addr).unwrap_or(0)
    }

    /// `dsn` of the data `sender` sends on `conn`, relative to its first
    /// data byte (which the first value seen is).
    fn relative_dsn(&mut self, conn: usize, sender: Side, dsn: u64) -> u64 {
        let base = *self.dsn_base[conn][sender as usize].get_or_insert(dsn);
        dsn.wrapping_sub(base)
    }

    /// Whether the sequence records and the time series are kept: only
    /// when something will write or return them (a run directory; not in
    /// a sweep's runs).
    fn records_series(&self) -> bool {
        self.keep_records || self.sequence.is_some() || self.writes_dir
    }

    /// A segment with a DSS, as its connection reported it: one record of
    /// the sequence graphs, from `(dsn, len)` of its mapping and payload.
    /// `reinjected`: data another interface carried before (as the figures
    /// mark it; `ConnEvent::Scheduled` tells the connection's own kinds).
    fn on_segment_sent(
        &mut self,
        now: SimTime,
        side: Side,
        conn: usize,
        subflow: usize,
        (dsn, len): (u64, u64),
        data_ack: Option<u64>,
    ) {
        if !self.records_series() {
            return;
        }
        let Some(&Some(iface)) = self.subflow_iface[conn][side as usize].get(subflow) else {
            return;
        };
        debug_assert_eq!(
            Some(iface),
            self.lifecycle
                .get(&(side as u8, conn, subflow))
                .map(|life| self.iface_of(life.client.0)),
            "the subflow's interface index disagrees with its lifecycle"
        );
        let peer = match side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        let dsn = if len > 0 { self.relative_dsn(conn, side, dsn) } else { 0 };
        let data_ack = data_ack.map(|a| self.relative_dsn(conn, peer, a));
        let mut reinjected = false;
        if len > 0 {
            // New data beyond everything the connection sent before (nearly
            // every segment) overlaps nothing: only data below that end is
            // looked up, in the connection's own interfaces' sets.
            let s = side as usize;
            let top = &mut self.sent_end[conn][s];
            let sets = &mut self.sent[conn][s];
            if dsn < *top {
                reinjected = sets.iter().any(|(i, set)| *i != iface && set.overlaps(dsn..dsn + len));
            }
            *top = (*top).max(dsn + len);
            debug_assert_eq!(
                reinjected,
                sets.iter().any(|(i, set)| *i != iface && set.overlaps(dsn..dsn + len)),
                "the reinjection shortcut disagrees with the scan of every set"
            );
            match sets.iter_mut().find(|(i, _)| *i == iface) {
                Some((_, set)) => {
                    set.insert(dsn..dsn + len);
                }
                None => {
                    let mut set = RangeSet::default();
                    set.insert(dsn..dsn + len);
                    sets.push((iface, set));
                }
            }
        }
        let record = SeqRecord {
            time: now,
            iface,
            from_server: side == Side::Server,
            dsn,
            len,
            data_ack,
            reinjected,
            conn,
        };
        if let Some(w) = &mut self.sequence
            && self.sequence_error.is_none()
            && let Err(e) = write_sequence_row(w, &record, &self.iface_names)
        {
            self.sequence_error = Some(e.to_string());
        }
        if self.keep_records {
            self.records.push(record);
        }
    }
}

/// The vantage point of `trace.pcap`: one host (all its interfaces or
/// one), or one direction of a link.
#[derive(Clone, Debug)]
pub enum Capture {
    /// A host's interfaces.
    Host {
        /// The host watched.
        host: usize,
        /// The addresses of the interfaces watched; `None`: all of the host's.
        addrs: Option<Vec<u32>>,
    },
    /// What comes out of the far end of a link direction.
    Link(LinkId),
}

impl Capture {
    fn watches(&self, host: usize, addr: u32) -> bool {
        match self {
            Capture::Host { host: h, addrs } => host == *h && addrs.as_ref().is_none_or(|a| a.contains(&addr)),
            Capture::Link(_) => false,
        }
    }
}

impl RunObserver {
    /// A zero window, a RST or a REMOVE_ADDR sent, for the figures'
    /// timelines. Cold and out of line (a few per run): inlined in
    /// `on_send` it would sit on every packet's instruction-cache lines.
    #[cold]
    #[inline(never)]
    fn push_signal(&mut self, now: SimTime, side: Side, seg: &Segment, remove_addr: Option<u8>) {
        let from_server = side == Side::Server;
        let client_addr = if from_server { seg.dst_addr } else { seg.src_addr };
        let (rst, zero_window) = (seg.flags.rst, seg.window == 0 && !seg.flags.rst);
        self.signals.push(SignalRecord {
            time: now,
            iface: self.iface_of(client_addr),
            from_server,
            rst,
            zero_window,
            remove_addr,
        });
    }

    /// Which end of its connection sent `seg` (seen in flight).
    fn sender_of(&self, seg: &Segment) -> Side {
        if self.client_ends.contains(&(seg.src_addr, seg.src_port)) {
            Side::Client
        } else {
            Side::Server
        }
    }

    /// Writes `seg`, sent by the `sender` end of its connection, to the
    /// trace (re-encoded when the trace's MPTCP version differs).
    fn capture_segment(&mut self, now: SimTime, sender: Side, seg: &Segment) {
        if let Some(p) = &mut self.pcap
            && self.pcap_error.is_none()
        {
            let written = match &mut self.transcode {
                Some(t) => p.write(now, &t.rewrite(sender, seg)),
                None => p.write(now, seg),
            };
            if let Err(e) = written {
                self.pcap_error = Some(e.to_string());
            }
        }
    }
}

impl RunObserver {
    /// Whether [`Observer::on_conn_event`] (or the trace's re-encoder) reads
    /// events of `event`'s kind: the hosts queue only those. The reports
    /// no record is made of are dropped (the three kinds below are nearly
    /// half of all events with `report_segments`).
    fn reads(event: &ConnEvent) -> bool {
        !matches!(
            event,
            ConnEvent::Scheduled(_) | ConnEvent::DataAcked { .. } | ConnEvent::SubflowWindow { .. }
        )
    }
}

impl Observer<Host> for RunObserver {
    fn on_conn_event(&mut self, now: SimTime, _host: usize, side: Side, conn: usize, event: &ConnEvent) {
        if let Some(t) = &mut self.transcode {
            t.on_conn_event(side, conn, event);
        }
        match *event {
            ConnEvent::SubflowOpened {
                subflow, local, remote, ..
            } => {
                let client = if side == Side::Client { local } else { remote };
                self.client_ends.insert(client);
                let iface = self.iface_of(client.0);
                let ifaces = &mut self.subflow_iface[conn][side as usize];
                if ifaces.len() <= subflow {
                    ifaces.resize(subflow + 1, None);
                }
                ifaces[subflow] = Some(iface);
                self.lifecycle.insert(
                    (side as u8, conn, subflow),
                    Lifecycle {
                        client,
                        opened: now,
                        established: None,
                        closed: None,
                    },
                );
            }
            ConnEvent::SubflowEstablished { subflow } => {
                if let Some(l) = self.lifecycle.get_mut(&(side as u8, conn, subflow)) {
                    l.established = Some(now);
                }
            }
            ConnEvent::SubflowClosed { subflow, reason } => {
                if let Some(l) = self.lifecycle.get_mut(&(side as u8, conn, subflow)) {
                    l.closed = Some((now, reason));
                }
            }
            ConnEvent::SubflowSample {
                subflow,
                local_addr,
                remote_addr,
                cwnd_bytes,
                srtt,
                bytes_in_flight,
                bytes_acked,
            } => {
                let client_addr = if side == Side::Client { local_addr } else { remote_addr };
                let srtt_ms = srtt.map(|d| d.as_millis_f64());
                if let Some(ms) = srtt_ms {
                    let e = self.srtt_acc.entry((side as u8, conn, subflow)).or_insert((0.0, 0));
                    e.0 += ms;
                    e.1 += 1;
                }
                // The samples always feed the srtt means of metrics.json;
                // the time series only when something will write it (not
                // in a sweep's runs).
                if self.records_series() {
                    let iface = self.iface_of(client_addr);
                    self.timeseries.push_subflow(
                        now,
                        SubflowSample {
                            host: host_side(side),
                            conn,
                            subflow,
                            iface,
                            cwnd_bytes,
                            srtt_ms,
                            bytes_in_flight,
                            bytes_acked,
                        },
                    );
                }
            }
            ConnEvent::ReceiverSample { ooo_bytes, data_ack } if self.records_series() => {
                let peer = match side {
                    Side::Client => Side::Server,
                    Side::Server => Side::Client,
                };
                let data_ack = self.relative_dsn(conn, peer, data_ack);
                self.timeseries
                    .push_conn(now, host_side(side), conn, ooo_bytes, data_ack);
            }
            ConnEvent::SegmentSent {
                subflow,
                mapping_dsn,
                payload_len,
                data_ack,
            } => self.on_segment_sent(now, side, conn, subflow, (mapping_dsn, payload_len), data_ack),
            // Every kind read above must be one `RunObserver::reads` keeps.
            _ => {}
        }
    }

    fn on_send(&mut self, now: SimTime, host: usize, side: Side, seg: &Segment, _link: LinkId) {
        // What tcpdump on the sending interface sees, as it leaves.
        if self.capture.watches(host, seg.src_addr) {
            self.capture_segment(now, side, seg);
        }
        // A zero window or a RST, for the figures' timelines (TCP header
        // fields only; the data records come from the connections' reports).
        let remove_addr = seg.options.mptcp.iter().find_map(|o| match o {
            models::segment::MptcpOption::RemoveAddr { addr_ids } => addr_ids.as_slice().first().copied(),
            _ => None,
        });
        if self.keep_records && (seg.flags.rst || (seg.window == 0 && !seg.flags.syn) || remove_addr.is_some()) {
            self.push_signal(now, side, seg, remove_addr);
        }
    }

    fn on_deliver(&mut self, now: SimTime, host: usize, seg: &Segment) {
        // What tcpdump on the receiving interface sees, as it arrives.
        if self.capture.watches(host, seg.dst_addr) {
            let sender = self.sender_of(seg);
            self.capture_segment(now, sender, seg);
        }
    }

    fn on_link_arrival(&mut self, now: SimTime, link: LinkId, seg: &Segment) {
        // What tcpdump on the port at the link's far end sees.
        if matches!(self.capture, Capture::Link(l) if l == link) {
            let sender = self.sender_of(seg);
            self.capture_segment(now, sender, seg);
        }
    }

    fn on_sample(&mut self, now: SimTime, _hosts: &[Host]) -> Option<SimTime> {
        // The samples themselves arrived just before as the connections'
        // SubflowSample and ReceiverSample events.
        let every = self.sample_every?;
        let next = now + every;
        (next <= self.stop).then_some(next)
    }
}

/// Per-subflow metrics.
#[derive(Clone, Debug, Serialize)]
pub struct SubflowMetrics {
    /// Name of the client interface whose address is the subflow's client
    /// end.
    pub iface: String,
    /// Either end asked the other not to send on it (the B bit of MP_JOIN
    /// or MP_PRIO, RFC 8684 3.2 and 3.3.8).
    pub backup: bool,
    /// When the client created the subflow (its SYN), in seconds of
    /// simulated time from 0 (not from the connection's start).
    pub opened_s: f64,
    /// When the client's end completed the handshake, in seconds of
    /// simulated time from 0; `None` if it never did.
    pub established_s: Option<f64>,
    /// When the subflow closed, in seconds of simulated time from 0: the
    /// client's end's close, or the server's when only the server's end
    /// closed; `None` if both ends were still open at the stop time.
    pub closed_s: Option<f64>,
    /// Why it closed, from the same end as `closed_s`: `fin`
    /// (orderly FIN teardown), `rst` (reset by the peer, or aborted) or
    /// `timeout` (retransmissions exhausted); `None` while open.
    pub close_reason: Option<&'static str>,
    /// Payload bytes sent by both ends, retransmissions included.
    pub bytes_sent: u64,
    /// Payload bytes retransmitted by both ends (subflow-level TCP
    /// retransmissions).
    pub bytes_retransmitted: u64,
    /// Retransmission timeouts of data at both ends (RFC 6298 5.4; SYN
    /// timeouts are not counted).
    pub rto_count: u64,
    /// Mean smoothed RTT at the end that sent more data, over the samples.
    pub srtt_ms_mean: Option<f64>,
}

/// Per-connection metrics.
#[derive(Clone, Debug, Serialize)]
pub struct ConnMetrics {
    /// Bytes the receiving application (the server for `Upload`, else the
    /// client) must read for the transfer to complete: `bytes` of
    /// `Download` and `Upload`, `count` x `response` of `RequestResponse`;
    /// `None` for open-ended traffic (`DownloadFor`, `ConstantRate`, `OnOff`) or
    /// when the receiving end never had the connection.
    pub bytes_requested: Option<u64>,
    /// Bytes the receiving application read from the connection by the
    /// stop time.
    pub bytes_delivered: u64,
    /// Application goodput in bit/s: `bytes_delivered` x 8 divided by the
    /// time from the connection's start to its completion, or, if it did
    /// not complete, to the last read that delivered bytes; 0 when that
    /// time is 0 (as when nothing was delivered).
    pub goodput_bps: f64,
    /// Seconds from the connection's start until the receiving application
    /// had read `bytes_requested`; `None` if it did not by the stop time,
    /// or the traffic is open-ended.
    pub completion_s: Option<f64>,
    /// How the transfer stood at the end of the run (see [`conn_outcome`]):
    /// `completed`, `incomplete` (still progressing, or never started),
    /// `stalled` (data-level progress stopped while a subflow was usable)
    /// or `broken` (no subflow left, or the connection closed or reset).
    pub outcome: &'static str,
    /// For a `stalled` connection: the simulated time, in seconds, of the
    /// last data-level progress (its data-ACK last advanced).
    pub stalled_since_s: Option<f64>,
    /// Bytes sent again on another subflow from the reinject queue, summed
    /// over both ends.
    pub reinjected_bytes: u64,
    /// Opportunistic retransmissions (Raiciu et al.) and other meta-level resends.
    pub meta_retransmitted_bytes: u64,
    /// Times a slower subflow's window was halved by the penalisation.
    pub penalisations: u64,
    /// The most bytes held out of order at the connection level (data
    /// beyond a hole in the data sequence space) at any time, the larger
    /// of the two ends' receivers.
    pub ooo_max_bytes: u64,
    /// The client's connection used MPTCP: its path manager opened it with
    /// MP_CAPABLE (RFC 8684 3.1); false for plain TCP (the iOS `none`
    /// service type, for one).
    pub mptcp: bool,
    /// The client's subflows in the order opened, each with the counters
    /// of both its ends.
    pub subflows: Vec<SubflowMetrics>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Per-link counters.
#[derive(Clone, Debug, Serialize)]
pub struct LinkMetrics {
    /// The link's name: the interface's name with `.up` (client to server)
    /// or `.down` (server to client).
    pub name: String,
    /// Packets offered to the link, dropped ones included.
    pub offered_pkts: u64,
    /// Packets that arrived at the far end by the stop time.
    pub delivered_pkts: u64,
    /// Packets dropped because the drop-tail buffer was full.
    pub dropped_queue_pkts: u64,
    /// Packets the loss model dropped.
    pub dropped_loss_pkts: u64,
    /// Packets lost because the link was down, or went down while holding
    /// them.
    pub dropped_down_pkts: u64,
    /// Packets the queue discipline's AQM dropped (CoDel, FQ-CoDel, RED);
    /// absent when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_aqm_pkts: u64,
    /// Packets dropped while the link was blackholed; absent when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_blackhole_pkts: u64,
    /// Bytes of the delivered packets, as IP packet lengths (IP and TCP
    /// headers and options included).
    pub delivered_bytes: u64,
    /// `delivered_bytes` in bits over what the link could carry in the
    /// whole run (rate x stop time): 0 to 1.
    pub utilisation: f64,
}

/// What a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Metrics {
    /// The scenario's `name`.
    pub scenario: String,
    /// The scenario's master seed.
    pub seed: u64,
    /// Simulation events processed.
    pub events: u64,
    /// The scenario's stop time, in seconds.
    pub simulated_s: f64,
    /// The worst of the connections' outcomes (`completed`, `incomplete`,
    /// `stalled`, `broken`, in that order; `completed` for no connection),
    /// or `event_budget_exhausted` (stopped early by the event budget, a
    /// guard against livelock).
    pub outcome: &'static str,
    /// One per connection, in the scenario's order.
    pub connections: Vec<ConnMetrics>,
    /// Each interface's uplink then downlink, in interface order (an
    /// interface that shares another's path has none of its own); in the
    /// topology form, each link's `.ab` then `.ba`, in the order written.
    pub links: Vec<LinkMetrics>,
    /// The connections summarised: total goodput, Jain's index, spread.
    pub flows: crate::flowstats::FlowSummary,
}

/// A finished run: metrics and, when recorded, the series behind the figures.
pub struct RunOutput {
    /// What `metrics.json` holds.
    pub metrics: Metrics,
    /// The sequence-graph records (empty unless
    /// [`RunOptions::keep_records`]).
    pub records: Vec<SeqRecord>,
    /// The zero windows and RSTs sent (empty unless
    /// [`RunOptions::keep_records`]).
    pub signals: Vec<SignalRecord>,
    /// The sampled time series (empty when not recorded, or in a run that
    /// writes no run directory and keeps no records).
    pub timeseries: TimeSeries,
    /// The client's interface names, in scenario order (what the records'
    /// `iface` indexes).
    pub iface_names: Vec<String>,
}

/// How to run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Where to write `trace.pcap` (None: no trace).
    pub pcap_path: Option<PathBuf>,
    /// Keep per-segment records for figures.
    pub keep_records: bool,
    /// Stop after this many events (a guard against livelock).
    pub event_budget: Option<u64>,
}

/// Why a run gave no result.
#[derive(Clone, Debug)]
pub enum RunError {
    /// It could not run or its output could not be written (I/O, a
    /// figure): `mpsim` exits with 1.
    Failed(String),
    /// The delivery oracle failed: bytes delivered out of order, twice,
    /// skipped or beyond what the peer wrote. The run stopped at the
    /// delivery; `mpsim` exits with
    /// [`crate::oracle::EXIT_DELIVERY_VIOLATION`].
    Delivery(Violation),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Failed(m) => f.write_str(m),
            RunError::Delivery(v) => v.fmt(f),
        }
    }
}

impl From<String> for RunError {
    fn from(m: String) -> Self {
        RunError::Failed(m)
    }
}

impl From<&str> for RunError {
    fn from(m: &str) -> Self {
        RunError::Failed(m.to_string())
    }
}

impl From<RunError> for String {
    fn from(e: RunError) -> Self {
        e.to_string()
    }
}

/// Runs a checked scenario.
pub fn run(sc: &Scenario, opts: &RunOptions) -> Result<RunOutput, RunError> {
    run_with_sequence(sc, opts, None, None, false)
}

/// Runs a checked scenario, writing `sequence.csv` to `sequence_path` (if
/// given) as the run goes, and telling `progress` (if given) the simulated
/// time reached, a thousandth of the stop time at a time; `writes_dir`:
/// the outputs go to a run directory (the time series is kept for it).
fn run_with_sequence(
    sc: &Scenario,
    opts: &RunOptions,
    sequence_path: Option<&Path>,
    progress: Option<&crate::progress::RunProgress>,
    writes_dir: bool,
) -> Result<RunOutput, RunError> {
    let rng = RngStreams::new(sc.seed);
    let version = sc.mptcp_version.version();
    let trace_version = sc.record.pcap_flavor.map_or(version, |f| f.version());
    let report_segments = opts.keep_records || sequence_path.is_some();
    let conns = sc.all_connections();
    let crate::assemble::Assembled {
        net,
        topo,
        mut hosts,
        iface_addrs,
        iface_names,
        link_ids,
        conn_hosts,
        host_names,
        host_addrs,
    } = crate::assemble::assemble(sc, &conns, &rng, report_segments)?;
    let capture = capture_point(
        sc,
        &host_names,
        &host_addrs,
        &iface_names,
        &iface_addrs,
        &conn_hosts,
        &|name| link_ids.iter().copied().find(|&l| net.link_name(l) == name),
    )?;
    let endpoint_addrs = iface_addrs.clone();
    let pcap = match &opts.pcap_path {
        Some(p) => {
            Some(PcapTrace::create(p, trace_version).map_err(|e| format!("cannot create {}: {e}", p.display()))?)
        }
        None => None,
    };
    let sequence = match sequence_path {
        Some(p) => {
            let cannot = |e: std::io::Error| format!("cannot create {}: {e}", p.display());
            let mut w = BufWriter::with_capacity(1 << 16, File::create(p).map_err(cannot)?);
            writeln!(w, "{SEQUENCE_HEADER}").map_err(cannot)?;
            Some(w)
        }
        None => None,
    };
    let observer = RunObserver {
        transcode: (opts.pcap_path.is_some() && trace_version != version)
            .then(|| crate::transcode::Transcoder::new(version, trace_version)),
        pcap,
        pcap_error: None,
        capture,
        client_ends: Default::default(),
        keep_records: opts.keep_records,
        writes_dir,
        records: Vec::new(),
        signals: Vec::new(),
        sequence,
        sequence_error: None,
        sent: vec![[Vec::new(), Vec::new()]; conns.len()],
        sent_end: vec![[0; 2]; conns.len()],
        sample_every: sc.record.timeseries.then_some(sc.record.sample_interval),
        stop: sc.stop,
        timeseries: TimeSeries::default(),
        srtt_acc: BTreeMap::new(),
        addr_to_iface: iface_addrs,
        iface_names: iface_names.clone(),
        dsn_base: vec![[None; 2]; conns.len()],
        lifecycle: BTreeMap::new(),
        subflow_iface: vec![[Vec::new(), Vec::new()]; conns.len()],
    };
    for h in &mut hosts {
        h.keep_events(RunObserver::reads);
    }
    let world = NetWorld::new(net, topo, hosts, observer);
    let mut sim = Simulation::new(world);
    // A guard against livelock: far more events than the links could carry
    // packets (64-byte packets at full rate, 20 events each) over the run.
    let pkts_per_s: u64 = sc.link_specs().iter().map(|l| l.rate.bps() / 512).sum();
    let default_budget = 1_000_000 + 20 * pkts_per_s.saturating_mul(sc.stop.as_nanos() / 1_000_000_000 + 1);
    sim.set_event_budget(opts.event_budget.unwrap_or(default_budget));
    // Connections open at their start times; the interface timeline is a
    // list of scheduled events.
    for (c, &(client, _)) in conns.iter().zip(&conn_hosts) {
        let opener = crate::world::Event::Timer {
            host: client as u32,
            unit: 0,
        };
        sim.schedule(c.start, opener).map_err(|e| e.to_string())?;
    }
    // The address of a timeline event's interface and the host that has it.
    let iface_host = |name: &str| -> Result<(u32, u32), String> {
        let k = iface_names.iter().position(|n| n == name).ok_or("unknown interface")?;
        let addr = endpoint_addrs[k];
        let host = host_addrs
            .iter()
            .position(|a| a.contains(&addr))
            .ok_or("unknown interface")?;
        Ok((addr, host as u32))
    };
    for ev in &sc.timeline {
        if let Some(wifi_ok) = ev.wifi_advisory(&sc.symptoms) {
            // Symptoms' verdict, to the host of the interface: no network
            // event.
            let (_, host) = iface_host(ev.iface())?;
            sim.schedule(ev.at(), crate::world::Event::WifiAdvisory { host, wifi_ok })
                .map_err(|e| e.to_string())?;
            continue;
        }
        if let Some(change) = ev.endpoint_change() {
            // A connection manager's command: no network event.
            let (addr, host) = iface_host(ev.iface())?;
            sim.schedule(ev.at(), crate::world::Event::Endpoint { host, addr, change })
                .map_err(|e| e.to_string())?;
            continue;
        }
        if let Some(changes) = ev.link_changes() {
            // One link direction changes (rate, delay, loss, buffer).
            let link = sim.world().net.link_by_name(ev.iface()).ok_or("unknown link")?;
            for change in changes {
                sim.with_ctx(|w, ctx| w.net.schedule_link_change(ctx, ev.at(), link, change))
                    .map_err(|e| e.to_string())?;
            }
            continue;
        }
        let group = match ev.target_field() {
            "link" => crate::assemble::link_group_name(ev.iface()),
            _ => ev.iface().to_string(),
        };
        let iface = sim.world().net.iface_by_name(&group).ok_or("unknown interface")?;
        if let Some(on) = ev.blackhole() {
            // Every link of the interface (or both directions of the link).
            let links = sim.world().net.iface_links(iface).to_vec();
            for link in links {
                sim.with_ctx(|w, ctx| {
                    w.net
                        .schedule_link_change(ctx, ev.at(), link, sim_core::LinkChange::Blackhole(on))
                })
                .map_err(|e| e.to_string())?;
            }
            continue;
        }
        let up = ev.is_up();
        sim.schedule(ev.at(), sim_core::NetEvent::Iface { iface, up }.into())
            .map_err(|e| e.to_string())?;
    }
    if sc.record.timeseries {
        sim.schedule(SimTime::ZERO, crate::world::Event::Sample)
            .map_err(|e| e.to_string())?;
    }
    let outcome = match progress {
        None => sim.run_until(sc.stop),
        Some(p) => {
            // The same events in the same order as one run_until: each
            // slice processes the events up to its end.
            let slice = (sc.stop.as_nanos() / 1000).max(1);
            let mut to = SimTime::ZERO;
            loop {
                to = SimTime::from_nanos(to.as_nanos().saturating_add(slice).min(sc.stop.as_nanos()));
                let o = sim.run_until(to);
                p.at(to);
                if to >= sc.stop || !matches!(o, RunOutcome::ReachedStopTime) {
                    break o;
                }
            }
        }
    };
    if let Some(p) = progress {
        p.finish();
    }
    let events = sim.events_processed();
    // Where the run ended: its stop time, unless the budget or the
    // oracle stopped it earlier.
    let sim_end = match outcome {
        RunOutcome::BudgetExhausted | RunOutcome::Halted => sim.now().min(sc.stop),
        RunOutcome::ReachedStopTime | RunOutcome::Idle => sc.stop,
    };
    let world = sim.into_world();
    let mut observer = world.observer;
    if let Some(e) = observer.pcap_error.take() {
        return Err(format!("writing the trace failed: {e}").into());
    }
    if let Some(p) = observer.pcap.take() {
        p.finish().map_err(|e| format!("writing the trace failed: {e}"))?;
    }
    if let Some(e) = observer.sequence_error.take() {
        return Err(format!("writing sequence.csv failed: {e}").into());
    }
    if let Some(w) = observer.sequence.take() {
        w.into_inner()
            .map_err(|e| format!("writing sequence.csv failed: {}", e.error()))?;
    }
    // The delivery oracle: a delivery out of order stopped the run; at its
    // end, no end may have received more than its peer wrote.
    if let Some(v) = world.hosts.iter().find_map(|h| h.violation()) {
        return Err(RunError::Delivery(v.clone()));
    }
    let mut connections = Vec::new();
    for (i, spec) in conns.iter().enumerate() {
        let (ch, sh) = conn_hosts[i];
        let c = world.hosts[ch].slot(i, Side::Client);
        let s = world.hosts[sh].slot(i, Side::Server);
        for (end, peer) in [(c, s), (s, c)] {
            let Some(end) = end else { continue };
            let written = peer.map_or(0, |p| p.app.bytes_written);
            if let Err((range, fault)) = end.app.oracle.check_total(written) {
                return Err(RunError::Delivery(Violation {
                    conn: i,
                    side: end.side(),
                    at: sim_end,
                    range,
                    fault,
                }));
            }
        }
        let (outcome, stalled_since) = conn_outcome(spec, c, s, &world.hosts[ch], &world.hosts[sh], sim_end);
        let mut m = conn_metrics(spec, c, s, &observer, &iface_names);
        m.outcome = outcome;
        m.stalled_since_s = stalled_since.map(SimTime::as_secs_f64);
        connections.push(m);
    }
    let links = link_ids
        .iter()
        .map(|&l| {
            let c = world.net.counters(l);
            LinkMetrics {
                name: world.net.link_name(l).to_string(),
                offered_pkts: c.offered_pkts,
                delivered_pkts: c.delivered_pkts,
                dropped_queue_pkts: c.dropped_queue_pkts,
                dropped_loss_pkts: c.dropped_loss_pkts,
                dropped_down_pkts: c.dropped_down_pkts,
                dropped_aqm_pkts: c.dropped_aqm_pkts,
                dropped_blackhole_pkts: c.dropped_blackhole_pkts,
                delivered_bytes: c.delivered_bytes,
                utilisation: c.delivered_bytes as f64 * 8.0
                    / (world.net.link(l).config().rate.bps() as f64 * sc.stop.as_secs_f64()),
            }
        })
        .collect();
    let flows = crate::flowstats::FlowSummary::of(&connections);
    let metrics = Metrics {
        scenario: sc.name.clone(),
        seed: sc.seed,
        events,
        simulated_s: sc.stop.as_secs_f64(),
        outcome: match outcome {
            RunOutcome::BudgetExhausted => "event_budget_exhausted",
            _ => worst_outcome(connections.iter().map(|c| c.outcome)),
        },
        connections,
        links,
        flows,
    };
    Ok(RunOutput {
        metrics,
        records: observer.records,
        signals: observer.signals,
        timeseries: observer.timeseries,
        iface_names,
    })
}

/// Where `record.pcap_at` puts the capture: a host by name (all its
/// interfaces), one interface by the name records use, or one link
/// direction by its name in `metrics.json`; by default the client host of
/// the first connection.
fn capture_point(
    sc: &Scenario,
    host_names: &[String],
    host_addrs: &[Vec<u32>],
    iface_names: &[String],
    iface_addrs: &[u32],
    conn_hosts: &[(usize, usize)],
    link_named: &dyn Fn(&str) -> Option<LinkId>,
) -> Result<Capture, String> {
    let Some(at) = &sc.record.pcap_at else {
        return Ok(Capture::Host {
            host: conn_hosts.first().map_or(0, |c| c.0),
            addrs: None,
        });
    };
    if let Some(h) = host_names.iter().position(|n| n == at) {
        return Ok(Capture::Host { host: h, addrs: None });
    }
    if let Some(id) = link_named(at) {
        return Ok(Capture::Link(id));
    }
    let i = iface_names
        .iter()
        .position(|n| n == at)
        .ok_or_else(|| format!("pcap_at {at:?} names no host, interface or link direction"))?;
    let addr = iface_addrs[i];
    let host = host_addrs.iter().position(|a| a.contains(&addr)).unwrap_or(0);
    Ok(Capture::Host {
        host,
        addrs: Some(vec![addr]),
    })
}

/// A connection's outcomes, best first; a run's is the worst of its
/// connections'.
pub const OUTCOMES: [&str; 4] = ["completed", "incomplete", "stalled", "broken"];

/// The worst of `outcomes` (in the order of [`OUTCOMES`]); `completed`
/// when there is none.
pub fn worst_outcome(outcomes: impl Iterator<Item = &'static str>) -> &'static str {
    outcomes
        .max_by_key(|o| OUTCOMES.iter().position(|x| x == o).unwrap_or(0))
        .unwrap_or(OUTCOMES[0])
}

/// The stall detector fires after no data-level progress for at least
/// this long...
pub const STALL_MIN: SimDuration = SimDuration::from_secs(10);
/// ... and at least this many base RTOs (before backoff) of the largest
/// usable subflow's.
pub const STALL_RTOS: u64 = 8;

/// Whether subflow `sf` of an end at `host` could carry data now: it is
/// open and established (or in CLOSE-WAIT: it may still send), and the
/// interfaces at both its ends are up (as the hosts see them; a router's
/// link that is down in the topology form is not seen).
fn usable(sf: &models::mptcp::Subflow, host: &Host, peer: &Host) -> bool {
    use models::tcp::TcpState;
    sf.is_open()
        && matches!(sf.tcp.state(), TcpState::Established | TcpState::CloseWait)
        && host.iface_up(sf.tcp.local().0) != Some(false)
        && peer.iface_up(sf.tcp.remote().0) != Some(false)
}

/// How connection `spec` stood at `end` (the stop time, or where the run
/// stopped), with, when stalled, the time its progress stopped.
///
/// - `completed`: the receiving application (the server for `Upload`,
///   else the client) read everything: `bytes_requested` of a bounded
///   transfer, or, for open-ended traffic (`DownloadFor`, `ConstantRate`, `OnOff`),
///   everything the sender wrote once it stopped writing (it closed).
/// - `broken`: not completed, and no subflow is left: every subflow of
///   the client's end has closed or is on an interface that is down at
///   the end (plain TCP over a Wi-Fi that was lost), or either end's
///   connection is over (reset, MP_FASTCLOSE, a timeout).
/// - `stalled`: not completed nor broken, and the stall detector fired:
///   some end has data written and not data-acknowledged (data-level
///   SND.UNA < the end of what its application wrote), its data-ACK has
///   not advanced for at least max([`STALL_RTOS`] x the largest base RTO
///   of its usable subflows, [`STALL_MIN`]), and it has a usable subflow
///   now (open, ESTABLISHED or CLOSE-WAIT, both ends' interfaces up; a
///   backup subflow counts only when no other is usable, as a backup is
///   used only then). The time is that end's last
///   data-ACK advance (the earliest, if both ends stalled).
/// - `incomplete`: none of these: the transfer was still progressing at
///   the stop (or never started).
///
/// Evaluated once, at the end: a transfer that stalled and recovered
/// before the stop is not `stalled`.
pub fn conn_outcome(
    spec: &crate::scenario::ConnectionSpec,
    client: Option<&crate::host::ConnSlot>,
    server: Option<&crate::host::ConnSlot>,
    client_host: &Host,
    server_host: &Host,
    end: SimTime,
) -> (&'static str, Option<SimTime>) {
    let (receiver, sender) = match spec.traffic {
        crate::scenario::Traffic::Upload { .. } => (server, client),
        _ => (client, server),
    };
    let completed = match (receiver, sender) {
        (Some(r), _) if r.app.bytes_requested != u64::MAX => r.app.completed_at.is_some(),
        (Some(r), Some(s)) => s.app.closed_sent && r.app.bytes_delivered == s.app.bytes_written,
        _ => false,
    };
    if completed {
        return ("completed", None);
    }
    let Some(c) = client else {
        return ("incomplete", None);
    };
    let ends = [(Some(c), client_host, server_host), (server, server_host, client_host)];
    let over = ends.iter().any(|(e, ..)| e.is_some_and(|e| e.conn.is_closed()));
    let left = c
        .conn
        .subflows()
        .iter()
        .any(|sf| sf.is_open() && client_host.iface_up(sf.tcp.local().0) != Some(false));
    if over || !left {
        return ("broken", None);
    }
    let mut since: Option<SimTime> = None;
    for (e, host, peer) in ends {
        let Some(e) = e else { continue };
        let tx = e.conn.sender();
        if tx.snd_una() >= tx.write_end() {
            continue; // nothing written waits for a data-ACK
        }
        let up: Vec<_> = e.conn.subflows().iter().filter(|sf| usable(sf, host, peer)).collect();
        let regular: Vec<_> = up.iter().filter(|sf| !(sf.backup_local || sf.backup_remote)).collect();
        let usable_now: Vec<_> = if regular.is_empty() {
            up
        } else {
            regular.into_iter().copied().collect()
        };
        let Some(rto) = usable_now.iter().map(|sf| sf.tcp.rtt_estimator().rto_base()).max() else {
            continue; // no subflow could carry it: not a stall
        };
        let threshold = STALL_MIN.max(SimDuration::from_nanos(rto.as_nanos().saturating_mul(STALL_RTOS)));
        if end.saturating_since(e.app.last_progress_at) >= threshold {
            since = Some(since.map_or(e.app.last_progress_at, |t| t.min(e.app.last_progress_at)));
        }
    }
    match since {
        Some(t) => ("stalled", Some(t)),
        None => ("incomplete", None),
    }
}

fn conn_metrics(
    spec: &crate::scenario::ConnectionSpec,
    client: Option<&crate::host::ConnSlot>,
    server: Option<&crate::host::ConnSlot>,
    obs: &RunObserver,
    iface_names: &[String],
) -> ConnMetrics {
    let receiver = match spec.traffic {
        crate::scenario::Traffic::Upload { .. } => server,
        _ => client,
    };
    let bytes_delivered = receiver.map_or(0, |r| r.app.bytes_delivered);
    let requested = receiver.map(|r| r.app.bytes_requested).filter(|&b| b != u64::MAX);
    let completion = receiver.and_then(|r| r.app.completed_at);
    let end = completion.or(receiver.map(|r| r.app.last_rx)).unwrap_or(spec.start);
    let dur = end.saturating_since(spec.start).as_secs_f64();
    let goodput = if dur > 0.0 {
        bytes_delivered as f64 * 8.0 / dur
    } else {
        0.0
    };
    let reinjected = [client, server]
        .iter()
        .flatten()
        .map(|s| s.conn.stats().reinjected_bytes)
        .sum();
    let ooo_max = [client, server]
        .iter()
        .flatten()
        .filter_map(|s| s.conn.receiver())
        .map(|r| r.ooo_max_bytes())
        .max()
        .unwrap_or(0);
    let mut subflows = Vec::new();
    if let Some(c) = client {
        for sf in c.conn.all_subflows() {
            let (laddr, lport) = sf.tcp.local();
            let iface_idx = obs.iface_of(laddr);
            // The server's end of the same subflow: the first one from the
            // same client address and port opened since (a subflow that
            // takes a closed one's slot reuses its port).
            let peer = server.and_then(|s| {
                s.conn
                    .all_subflows()
                    .filter(|p| p.tcp.remote() == (laddr, lport) && p.opened_at >= sf.opened_at)
                    .min_by_key(|p| p.opened_at)
            });
            let cs = sf.tcp.stats();
            let ps = peer.map(|p| *p.tcp.stats()).unwrap_or_default();
            let sender_is_server = ps.bytes_sent >= cs.bytes_sent;
            let srtt_key = if sender_is_server {
                (1u8, c.index, peer.map_or(usize::MAX, |p| p.id))
            } else {
                (0u8, c.index, sf.id)
            };
            let srtt_ms_mean = obs
                .srtt_acc
                .get(&srtt_key)
                .filter(|a| a.1 > 0)
                .map(|a| a.0 / a.1 as f64);
            // The subflow's life at each end, as the connections reported it.
            let life = obs.lifecycle.get(&(0, c.index, sf.id));
            let peer_life = server
                .zip(peer)
                .and_then(|(s, p)| obs.lifecycle.get(&(1, s.index, p.id)));
            // Closed when either end closed it: the client's close, else
            // the server's, time and reason from the same end.
            let closed = life.and_then(|l| l.closed).or(peer_life.and_then(|l| l.closed));
            let close = closed.map(|c| c.1);
            subflows.push(SubflowMetrics {
                iface: iface_names.get(iface_idx).cloned().unwrap_or_default(),
                backup: sf.backup_local || sf.backup_remote,
                opened_s: life.map_or(0.0, |l| l.opened.as_secs_f64()),
                established_s: life.and_then(|l| l.established).map(SimTime::as_secs_f64),
                closed_s: closed.map(|c| c.0.as_secs_f64()),
                close_reason: close.map(|r| match r {
                    models::tcp::CloseReason::Fin => "fin",
                    models::tcp::CloseReason::Rst | models::tcp::CloseReason::Aborted => "rst",
                    models::tcp::CloseReason::Timeout => "timeout",
                }),
                bytes_sent: cs.bytes_sent + ps.bytes_sent,
                bytes_retransmitted: cs.bytes_retransmitted + ps.bytes_retransmitted,
                rto_count: cs.rto_count + ps.rto_count,
                srtt_ms_mean,
            });
        }
    }
    ConnMetrics {
        bytes_requested: requested,
        bytes_delivered,
        goodput_bps: goodput,
        completion_s: completion.map(|t| t.saturating_since(spec.start).as_secs_f64()),
        outcome: "incomplete",
        stalled_since_s: None,
        reinjected_bytes: reinjected,
        meta_retransmitted_bytes: [client, server]
            .iter()
            .flatten()
            .map(|s| s.conn.stats().meta_retransmitted_bytes)
            .sum(),
        penalisations: [client, server]
            .iter()
            .flatten()
            .map(|s| s.conn.stats().penalisations)
            .sum(),
        ooo_max_bytes: ooo_max,
        mptcp: client.is_some_and(|c| c.conn.is_mptcp()),
        subflows,
    }
}

/// Writes a run directory for `sc` at `out`: into a temporary sibling first,
/// renamed into place when everything is written. `sequence.csv` is
/// streamed to the file, so the output's `records` and `signals` are empty;
/// draw its figures with [`crate::figures::write_figures`], which reads
/// `sequence.csv` back from `out`, or use [`run_to_dir_with`] to draw them
/// before the directory appears.
pub fn run_to_dir(sc: &Scenario, out: &Path) -> Result<RunOutput, RunError> {
    run_to_dir_with(sc, out, |_, _| Ok(()))
}

/// [`run_to_dir`], with `finish` called on the temporary directory once
/// the run's files are in it and before it is renamed into place (the
/// command line draws the figures there): the run directory appears only
/// when everything in it is complete, and an error of `finish` leaves
/// nothing behind.
///
/// The temporary directory is `.NAME.tmp-PID` beside `out`; it is
/// registered with [`crate::interrupt`] while it exists (SIGINT and
/// SIGTERM remove it once [`crate::interrupt::install`] ran), and stale
/// ones of dead processes in the same parent are removed first.
pub fn run_to_dir_with(
    sc: &Scenario,
    out: &Path,
    finish: impl FnOnce(&Path, &RunOutput) -> Result<(), String>,
) -> Result<RunOutput, RunError> {
    run_to_dir_observed(sc, out, None, finish)
}

/// [`run_to_dir_with`], showing the run's `progress` in simulated time
/// (see [`crate::progress`]); the files written are the same.
pub fn run_to_dir_observed(
    sc: &Scenario,
    out: &Path,
    progress: Option<&crate::progress::RunProgress>,
    finish: impl FnOnce(&Path, &RunOutput) -> Result<(), String>,
) -> Result<RunOutput, RunError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let tmp = crate::interrupt::temp_dir_for(out, std::process::id()).ok_or("the output directory has no name")?;
    crate::interrupt::remove_stale(parent);
    let _ = std::fs::remove_dir_all(&tmp);
    let guard = crate::interrupt::TempGuard::new(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let result = (|| -> Result<RunOutput, RunError> {
        crate::interrupt::mark_owner(&tmp).map_err(|e| format!("cannot write in {}: {e}", tmp.display()))?;
        let opts = RunOptions {
            pcap_path: sc.record.pcap.then(|| tmp.join("trace.pcap")),
            keep_records: false,
            event_budget: None,
        };
        let sequence = sc.record.sequence.then(|| tmp.join("sequence.csv"));
        let output = run_with_sequence(sc, &opts, sequence.as_deref(), progress, true)?;
        write_file(&tmp.join("scenario.ron"), &resolved_ron(sc)?)?;
        let json = serde_json::to_string_pretty(&output.metrics).map_err(|e| e.to_string())? + "\n";
        write_file(&tmp.join("metrics.json"), &json)?;
        if sc.record.timeseries {
            write_file(
                &tmp.join("timeseries.csv"),
                &output.timeseries.write_csv(&output.iface_names),
            )?;
        }
        let conns = sc.all_connections();
        if conns.len() >= 2 {
            let csv = crate::flowstats::flows_csv(&conns, &output.metrics.connections);
            write_file(&tmp.join("flows.csv"), &csv)?;
        }
        finish(&tmp, &output)?;
        let owner = tmp.join(crate::interrupt::OWNER_FILE);
        std::fs::remove_file(&owner).map_err(|e| format!("cannot remove {}: {e}", owner.display()))?;
        Ok(output)
    })();
    let placed = result.and_then(|output| {
        if out.exists() {
            if !out.join("scenario.ron").exists() && holds_files(out) {
                return Err(format!(
                    "{} exists and is not a run directory; expected a new or empty directory",
                    out.display()
                )
                .into());
            }
            std::fs::remove_dir_all(out).map_err(|e| format!("cannot replace {}: {e}", out.display()))?;
        }
        std::fs::rename(&tmp, out).map_err(|e| format!("cannot move the run into {}: {e}", out.display()))?;
        Ok(output)
    });
    if placed.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    drop(guard);
    placed
}

const SEQUENCE_HEADER: &str = "time_ns,conn,iface,from_server,dsn,len,data_ack,reinjected";

/// Writes one row of `sequence.csv` (the interface by its name in `names`).
///
/// The row is put together by hand in a stack buffer and written with one
/// `write_all`: `write!` through `core::fmt` cost about 2,000 instructions
/// a row, a fifth of the simulation's own cost per packet (BENCHMARKS.md,
/// "Records on against records off"). The bytes are those of
/// [`write_sequence_row_fmt`], the general form: debug builds check every
/// row against it, and a property test compares the two.
fn write_sequence_row(out: &mut impl Write, r: &SeqRecord, names: &[String]) -> std::io::Result<()> {
    let iface = names.get(r.iface).map_or("", String::as_str).as_bytes();
    // Five numbers of at most 20 digits, two flags, seven commas, a newline.
    const ROW_MAX: usize = 5 * 20 + 2 + 7 + 1;
    let mut row = [0u8; ROW_MAX];
    let mut n = 0;
    n += put_decimal(&mut row[n..], r.time.as_nanos());
    row[n] = b',';
    n += 1;
    n += put_decimal(&mut row[n..], r.conn as u64);
    row[n] = b',';
    n += 1;
    let split = n;
    // The interface's name goes between the two halves (names are not
    // bounded in length).
    row[n] = b',';
    n += 1;
    row[n] = b'0' + r.from_server as u8;
    row[n + 1] = b',';
    n += 2;
    n += put_decimal(&mut row[n..], r.dsn);
    row[n] = b',';
    n += 1;
    n += put_decimal(&mut row[n..], r.len);
    row[n] = b',';
    n += 1;
    if let Some(a) = r.data_ack {
        n += put_decimal(&mut row[n..], a);
    }
    row[n] = b',';
    row[n + 1] = b'0' + r.reinjected as u8;
    row[n + 2] = b'\n';
    n += 3;
    #[cfg(debug_assertions)]
    {
        let mut general = Vec::new();
        write_sequence_row_fmt(&mut general, r, names)?;
        let mut fast = row[..split].to_vec();
        fast.extend_from_slice(iface);
        fast.extend_from_slice(&row[split..n]);
        debug_assert_eq!(fast, general, "sequence.csv row written by hand differs from write!'s");
    }
    out.write_all(&row[..split])?;
    out.write_all(iface)?;
    out.write_all(&row[split..n])
}

/// The general form of [`write_sequence_row`], through `core::fmt`: what
/// the hand-written row must equal.
#[cfg(any(test, debug_assertions))]
fn write_sequence_row_fmt(out: &mut impl Write, r: &SeqRecord, names: &[String]) -> std::io::Result<()> {
    let iface = names.get(r.iface).map_or("", String::as_str);
    write!(
        out,
        "{},{},{},{},{},{},",
        r.time.as_nanos(),
        r.conn,
        iface,
        r.from_server as u8,
        r.dsn,
        r.len
    )?;
    if let Some(a) = r.data_ack {
        write!(out, "{a}")?;
    }
    writeln!(out, ",{}", r.reinjected as u8)
}

/// The pairs of decimal digits 00 to 99.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes the decimal digits of `v` (what `{v}` writes: no sign, no
/// leading zeros, `0` for zero) at the start of `out` and returns how many.
///
/// In chunks of eight digits through 32-bit arithmetic: the number is split
/// by 10^8 (at most twice: 2^64 has 20 digits), the leading chunk written
/// with its own digit count and the others as exactly eight digits, two at
/// a time from a table of the pairs. A time in nanoseconds (10 or 11
/// digits) takes one 64-bit division and 32-bit ones after it, where a
/// loop of 64-bit divisions by 100 took five or six.
#[inline]
pub(crate) fn put_decimal(out: &mut [u8], v: u64) -> usize {
    const E8: u64 = 100_000_000;
    if v < E8 {
        return put_below_e8(out, v as u32);
    }
    let low = (v % E8) as u32;
    let high = v / E8;
    let n = if high < E8 {
        put_below_e8(out, high as u32)
    } else {
        let n = put_below_e8(out, (high / E8) as u32);
        put_eight_digits(&mut out[n..n + 8], (high % E8) as u32);
        n + 8
    };
    put_eight_digits(&mut out[n..n + 8], low);
    n + 8
}

/// [`put_decimal`] of `v` below 10^8.
#[inline]
fn put_below_e8(out: &mut [u8], mut v: u32) -> usize {
    debug_assert!(v < 100_000_000);
    let len = if v < 10_000 {
        if v < 100 {
            1 + (v >= 10) as usize
        } else {
            3 + (v >= 1_000) as usize
        }
    } else if v < 1_000_000 {
        5 + (v >= 100_000) as usize
    } else {
        7 + (v >= 10_000_000) as usize
    };
    let digits = &mut out[..len];
    let mut i = len;
    while i >= 2 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if i == 1 {
        digits[0] = b'0' + v as u8;
    }
    len
}

/// Writes `v` (below 10^8) as exactly eight digits, with leading zeros.
#[inline]
fn put_eight_digits(out: &mut [u8], v: u32) {
    debug_assert!(v < 100_000_000);
    let out: &mut [u8; 8] = out.try_into().expect("eight digits");
    let (hi, lo) = ((v / 10_000) as usize, (v % 10_000) as usize);
    for (at, pair) in [(0, hi / 100), (2, hi % 100), (4, lo / 100), (6, lo % 100)] {
        out[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair * 2..pair * 2 + 2]);
    }
}

/// A run's `sequence.csv`, read a row at a time each time it is visited
/// (the figures read it a few times instead of holding it in memory).
#[derive(Clone, Debug)]
pub struct SequenceFile {
    /// The path of the `sequence.csv` file.
    pub path: PathBuf,
    /// The run's client interface names, which its `iface` column holds.
    pub names: Vec<String>,
}

impl SequenceFile {
    /// Calls `f` with every record of the file, in order; stops at the
    /// first malformed line or read error.
    pub fn for_each(&self, f: &mut dyn FnMut(&SeqRecord)) -> Result<(), String> {
        let mut file = File::open(&self.path).map_err(|e| {
            format!(
                "{}: {e}; expected a run directory written by mpsim run",
                self.path.display()
            )
        })?;
        // Lines are parsed straight from a large buffer, most in a single
        // scan by `parse_plain_row`; anything else goes the slow way.
        let mut buf = vec![0u8; 1 << 20];
        let (mut start, mut end) = (0usize, 0usize);
        let mut n = 0usize;
        let mut eof = false;
        loop {
            loop {
                let rest = &buf[start..end];
                if n > 0
                    && let Some((record, used)) = parse_plain_row(rest, &self.names)
                {
                    n += 1;
                    start += used;
                    f(&record);
                    continue;
                }
                let line = match rest.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        start += i + 1;
                        &rest[..i]
                    }
                    None if eof && !rest.is_empty() => {
                        start = end;
                        rest
                    }
                    None => break,
                };
                n += 1;
                let text = line.strip_suffix(b"\r").unwrap_or(line);
                if n == 1 {
                    if text != SEQUENCE_HEADER.as_bytes() {
                        return Err(format!(
                            "{}:1: the header is {:?}; expected {SEQUENCE_HEADER:?} (a sequence.csv written by mpsim run)",
                            self.path.display(),
                            String::from_utf8_lossy(&text[..text.len().min(80)])
                        ));
                    }
                    continue;
                }
                let record = parse_sequence_row(text, &self.names)
                    .ok_or_else(|| format!("{}:{n}: {}", self.path.display(), sequence_row_error(text, &self.names)))?;
                f(&record);
            }
            if eof {
                if n == 0 {
                    return Err(format!(
                        "{}: empty; expected the header line {SEQUENCE_HEADER:?}, then one row per segment (a sequence.csv written by mpsim run)",
                        self.path.display()
                    ));
                }
                return Ok(());
            }
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
            if end == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            let read = loop {
                match file.read(&mut buf[end..]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    r => break r.map_err(|e| format!("{}: {e}", self.path.display()))?,
                }
            };
            if read == 0 {
                eof = true;
            }
            end += read;
        }
    }
}

/// A row of `sequence.csv` at the start of `b`, if it is every field plain
/// decimal digits (at most 19 each; `data_ack` may be empty) but `iface`,
/// one of `names`, ending in `\n`, and the bytes it takes; what
/// [`parse_sequence_row`] makes of it.
#[inline]
fn parse_plain_row(b: &[u8], names: &[String]) -> Option<(SeqRecord, usize)> {
    let mut f = [0u64; 8];
    let mut ack_empty = false;
    let mut i = 0;
    for (k, slot) in f.iter_mut().enumerate() {
        if k == 2 {
            let len = b.get(i..)?.iter().position(|&c| c == b',')?;
            let name = &b[i..i + len];
            *slot = names.iter().position(|n| n.as_bytes() == name)? as u64;
            i += len + 1;
            continue;
        }
        let first = i;
        let mut v = 0u64;
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if i - first == 19 {
                return None;
            }
            v = v * 10 + u64::from(d);
            i += 1;
        }
        if i == first {
            if k != 6 {
                return None;
            }
            ack_empty = true;
        }
        *slot = v;
        let sep = if k == 7 { b'\n' } else { b',' };
        if b.get(i) != Some(&sep) {
            return None;
        }
        i += 1;
    }
    Some((
        SeqRecord {
            time: SimTime::from_nanos(f[0]),
            conn: f[1] as usize,
            iface: f[2] as usize,
            from_server: f[3] == 1,
            dsn: f[4],
            len: f[5],
            data_ack: (!ack_empty).then_some(f[6]),
            reinjected: f[7] == 1,
        },
        i,
    ))
}

/// What is wrong with a row of `sequence.csv` that
/// [`parse_sequence_row`] refused: the field (1-based column) and what
/// was expected.
fn sequence_row_error(line: &[u8], names: &[String]) -> String {
    let Ok(text) = std::str::from_utf8(line) else {
        return "not UTF-8 text; expected 8 comma-separated fields".into();
    };
    let fields: Vec<&str> = text.split(',').collect();
    if fields.len() != 8 {
        return format!("{} fields; expected 8 ({SEQUENCE_HEADER})", fields.len());
    }
    let columns: Vec<&str> = SEQUENCE_HEADER.split(',').collect();
    for (k, f) in fields.iter().enumerate() {
        if k == 2 {
            if names.iter().any(|n| n == f) {
                continue;
            }
            let short: String = f.chars().take(40).collect();
            return format!(
                "column 3 (iface) is {short:?}; expected the name of one of the run's interfaces: {}",
                names.join(", ")
            );
        }
        if (k == 6 && f.is_empty()) || f.parse::<u64>().is_ok() {
            continue;
        }
        let short: String = f.chars().take(40).collect();
        return format!(
            "column {} ({}) is {short:?}; expected a whole number from 0 to {}{}",
            k + 1,
            columns[k],
            u64::MAX,
            if k == 6 { ", or nothing" } else { "" }
        );
    }
    format!("malformed line; expected {SEQUENCE_HEADER}")
}

/// One row of `sequence.csv` (the rows the single-scan reader leaves to it).
fn parse_sequence_row(line: &[u8], names: &[String]) -> Option<SeqRecord> {
    let text = std::str::from_utf8(line).ok()?;
    let mut f = [""; 8];
    let mut fields = text.split(',');
    for slot in &mut f {
        *slot = fields.next()?;
    }
    if fields.next().is_some() {
        return None;
    }
    let num = |i: usize| f[i].parse::<u64>().ok();
    Some(SeqRecord {
        time: SimTime::from_nanos(num(0)?),
        conn: num(1)? as usize,
        iface: names.iter().position(|n| n == f[2])?,
        from_server: num(3)? == 1,
        dsn: num(4)?,
        len: num(5)?,
        data_ack: if f[6].is_empty() { None } else { Some(num(6)?) },
        reinjected: num(7)? == 1,
    })
}

/// What `mpsim plot` needs from a run directory: its `sequence.csv` (read
/// through once here, so a malformed file is found before drawing; `None`
/// for a run that records none, `record.sequence: false`), the time series
/// and the interface names.
pub fn open_run_dir(dir: &Path) -> Result<(Option<SequenceFile>, TimeSeries, Vec<String>), String> {
    let sc = Scenario::load(&dir.join("scenario.ron")).map_err(|e| e.to_string())?;
    let names = sc.iface_names();
    check_metrics_file(&dir.join("metrics.json"))?;
    let seq = SequenceFile {
        path: dir.join("sequence.csv"),
        names: names.clone(),
    };
    let seq = if sc.record.sequence || seq.path.exists() {
        seq.for_each(&mut |_| {})?;
        Some(seq)
    } else {
        None
    };
    let path = dir.join("timeseries.csv");
    let ts = match std::fs::read_to_string(&path) {
        Ok(text) => TimeSeries::from_csv(&path.display().to_string(), &text, &names)?,
        // A run that recorded no time series has no file.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !sc.record.timeseries => TimeSeries::default(),
        Err(e) => {
            return Err(format!(
                "cannot read {}: {e}; expected the time series the scenario records (record: RecordSpec(timeseries: true))",
                path.display()
            ));
        }
    };
    Ok((seq, ts, names))
}

/// Refuses a `metrics.json` that is not what `mpsim run` writes: not JSON
/// (located at its line and column), or without the fields every run has.
/// The figures do not read it, but a run directory with a damaged one is
/// not a run's output.
fn check_metrics_file(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e}; expected the metrics.json of a run directory written by mpsim run",
            path.display()
        )
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: {e}; expected the JSON object mpsim run writes",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let obj = v.as_object().ok_or_else(|| {
        format!(
            "{}:1:1: not a JSON object; expected the one mpsim run writes",
            path.display()
        )
    })?;
    for (key, ok) in [
        ("scenario", obj.get("scenario").is_some_and(|x| x.is_string())),
        ("seed", obj.get("seed").is_some_and(|x| x.is_u64())),
        ("outcome", obj.get("outcome").is_some_and(|x| x.is_string())),
        ("connections", obj.get("connections").is_some_and(|x| x.is_array())),
    ] {
        if !ok {
            return Err(format!(
                "{}: field {key:?} is missing or not of its type; expected the metrics.json mpsim run writes",
                path.display()
            ));
        }
    }
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    let mut f = File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Whether `dir` exists and holds anything (an unreadable directory counts
/// as holding something: never overwrite what cannot be checked).
pub fn holds_files(dir: &Path) -> bool {
    dir.exists() && std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true)
}

/// The scenario with every default filled in, as RON.
pub fn resolved_ron(sc: &Scenario) -> Result<String, String> {
    let mut r = sc.clone();
    for i in &mut r.client.interfaces {
        for l in [&mut i.uplink, &mut i.downlink].into_iter().flatten() {
            // An AQM has its own limit: no buffer beside it.
            if !l.qdisc.as_ref().is_some_and(|q| q.has_own_limit()) {
                l.buffer = Some(l.resolved_buffer());
            }
        }
    }
    let cfg = ron::ser::PrettyConfig::new().depth_limit(8).struct_names(true);
    ron::ser::to_string_pretty(&r, cfg)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn a_sequence_row_written_by_hand_is_the_row_write_formats(
            time in proptest::prop_oneof![0u64..1_000_000_000_000, proptest::num::u64::ANY],
            conn in 0usize..100_000,
            iface in 0usize..3,
            from_server: bool,
            dsn in proptest::num::u64::ANY,
            len in 0u64..70_000,
            data_ack in proptest::option::of(proptest::num::u64::ANY),
            reinjected: bool,
        ) {
            let names = vec!["wifi".to_string(), "a-rather-long-interface-name.cellular0".to_string()];
            let r = SeqRecord { time: SimTime::from_nanos(time), iface, from_server, dsn, len, data_ack, reinjected, conn };
            let (mut fast, mut general) = (Vec::new(), Vec::new());
            write_sequence_row(&mut fast, &r, &names).unwrap();
            write_sequence_row_fmt(&mut general, &r, &names).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(fast).unwrap(), String::from_utf8(general).unwrap());
        }
    }

    proptest::proptest! {
        #[test]
        fn put_decimal_writes_numbers_of_every_digit_count_as_display_does(digits in 0u32..=20, x: u64) {
            // Below 10^digits: at most `digits` digits, mostly exactly.
            let v = if digits == 20 { x } else { x % 10u64.pow(digits).max(1) };
            let mut out = [0u8; 20];
            let n = put_decimal(&mut out, v);
            proptest::prop_assert_eq!(std::str::from_utf8(&out[..n]).unwrap(), v.to_string());
        }
    }

    #[test]
    fn put_decimal_writes_the_extremes_and_the_chunk_edges_as_display_does() {
        let mut values = vec![0, 1, 9, 10, 99, 100, 1_000_000_007, u64::MAX - 1, u64::MAX];
        for k in 1..=19 {
            let p = 10u64.pow(k);
            values.extend([p - 1, p, p + 1, p + 99_999_999 % p]);
        }
        for v in values {
            let mut out = [0u8; 20];
            let n = put_decimal(&mut out, v);
            assert_eq!(std::str::from_utf8(&out[..n]).unwrap(), v.to_string());
        }
    }

    #[test]
    fn sequence_file_reads_what_the_slow_parser_reads() {
        let rows = [
            "1,0,cell,1,18446744073709551615,1420,,0",
            "2,0,wifi,0,5,0,9999999999999999999,1",
            "3,0,wifi,0,5,0,18446744073709551615,0\r",
            "4,1,cell,1,07,1,2,1",
        ];
        let mut text = format!("{SEQUENCE_HEADER}\n{}\n", rows.join("\n"));
        text.push_str("5,0,wifi,1,1,1,,0"); // no newline at the end
        let path = std::env::temp_dir().join(format!("mpsim-seq-test-{}.csv", std::process::id()));
        std::fs::write(&path, &text).unwrap();
        let names = vec!["wifi".to_string(), "cell".to_string()];
        let file = SequenceFile {
            path: path.clone(),
            names: names.clone(),
        };
        let mut got = Vec::new();
        file.for_each(&mut |r| got.push(*r)).unwrap();
        let want: Vec<SeqRecord> = text
            .lines()
            .skip(1)
            .map(|l| parse_sequence_row(l.as_bytes(), &names).unwrap())
            .collect();
        assert_eq!(got, want);
        assert_eq!(got[0].dsn, u64::MAX);
        assert_eq!(got[2].data_ack, Some(u64::MAX));
        assert_eq!((got[0].iface, got[1].iface), (1, 0));
        std::fs::write(&path, format!("{SEQUENCE_HEADER}\n1,0,wifi,1,1,1,,0\n\n")).unwrap();
        let err = file.for_each(&mut |_| {}).unwrap_err();
        assert!(err.contains(":3: 1 fields; expected 8"), "{err}");
        std::fs::write(&path, format!("{SEQUENCE_HEADER}\n1,0,1,1,1,1,,0\n")).unwrap();
        let err = file.for_each(&mut |_| {}).unwrap_err();
        assert!(
            err.contains(":2: column 3 (iface) is \"1\"; expected the name of one of the run's interfaces: wifi, cell"),
            "{err}"
        );
        std::fs::remove_file(&path).unwrap();
    }
}
