//! A scenario in code, with no RON: [`SimBuilder`].
//!
//! The builder fills the same [`Scenario`] a file would, and
//! [`SimBuilder::build`] checks it with the same rules (a scenario file is
//! one way to fill it). Policies are named as in a file, against the
//! builder's [`Registry`], so a user's own scheduler, congestion control
//! or path manager runs by its name:
//!
//! ```
//! use experiments::builder::{Link, SimBuilder};
//! use experiments::scenario::{IfaceKind, Traffic};
//!
//! let out = SimBuilder::new("two-paths")
//!     .stop_ms(5_000)
//!     .interface("wifi", IfaceKind::Wifi, Link::symmetric_mbps(20, 10))
//!     .interface("cell", IfaceKind::Cellular, Link::symmetric_mbps(5, 40))
//!     .connection(|c| c.scheduler("blest(lambda: 11.0)").download_bytes(1_000_000))
//!     .run()
//!     .unwrap();
//! let conn = &out.metrics.connections[0];
//! assert_eq!(conn.bytes_delivered, 1_000_000);
//! assert!(conn.completion_s.is_some());
//! ```
//!
//! A run returns [`RunOutput`]: per-connection and per-subflow metrics as
//! structs; [`SimBuilder::run_to_dir`] writes the usual run directory
//! instead (figures with [`crate::figures::write_figures`]).

#![warn(missing_docs)]

use std::path::Path;

use sim_core::{Bandwidth, BufferLimit, LossModel, SimDuration, SimTime};

use crate::registry::Registry;
use crate::run::{RunOptions, RunOutput};
use crate::scenario::{
    ClientSpec, ConnectionSpec, IfaceKind, InterfaceSpec, LinkSpec, RecordSpec, Scenario, ScenarioError, TimelineEvent,
    Traffic,
};
use crate::scenario::{MptcpVersionSpec, TcpSpec};

/// One direction of a path, or both directions alike.
#[derive(Clone, Debug, PartialEq)]
pub struct Link(LinkSpec);

impl Link {
    /// `rate_bps` bit/s and a one-way `delay`; buffer one bandwidth-delay
    /// product, no loss.
    ///
    /// # Panics
    ///
    /// If `rate_bps` is zero (a programming error: a link carries something).
    pub fn new(rate_bps: u64, delay: SimDuration) -> Link {
        Link(LinkSpec {
            rate: Bandwidth::from_bps(rate_bps).expect("a link rate is positive"),
            delay,
            buffer: None,
            loss: LossModel::None,
            jitter: None,
            trace: None,
            qdisc: None,
        })
    }
    /// `rate_mbps` Mb/s and `delay_ms` one way, for both directions of a path.
    pub fn symmetric_mbps(rate_mbps: u64, delay_ms: u64) -> Link {
        Link::new(rate_mbps * 1_000_000, SimDuration::from_millis(delay_ms))
    }
    /// The drop-tail buffer.
    pub fn buffer(mut self, buffer: BufferLimit) -> Link {
        self.0.buffer = Some(buffer);
        self
    }
    /// Random loss.
    pub fn loss(mut self, loss: LossModel) -> Link {
        self.0.loss = loss;
        self
    }
    /// The scenario's link spec.
    pub fn spec(&self) -> &LinkSpec {
        &self.0
    }
}

/// One connection being described; see [`SimBuilder::connection`].
#[derive(Clone, Debug)]
pub struct ConnBuilder {
    path_manager: Option<String>,
    server_path_manager: Option<String>,
    scheduler: Option<String>,
    cc: Option<String>,
    start: SimTime,
    traffic: Option<Traffic>,
    mss_bytes: Option<u64>,
    rcv_buf_bytes: Option<u64>,
    tcp: Option<TcpSpec>,
}

impl ConnBuilder {
    fn new() -> ConnBuilder {
        ConnBuilder {
            path_manager: None,
            server_path_manager: None,
            scheduler: None,
            cc: None,
            start: SimTime::ZERO,
            traffic: None,
            mss_bytes: None,
            rcv_buf_bytes: None,
            tcp: None,
        }
    }
    /// The client's path manager, as in a scenario: `"handover"`,
    /// `"fullmesh(address_event_delay: \"0ms\")"`, or a registered name.
    pub fn path_manager(mut self, policy: &str) -> Self {
        self.path_manager = Some(policy.to_string());
        self
    }
    /// The server's path manager (default: the client's when the server
    /// mirrors it, as `fullmesh`, else `default`).
    pub fn server_path_manager(mut self, policy: &str) -> Self {
        self.server_path_manager = Some(policy.to_string());
        self
    }
    /// The packet scheduler, as in a scenario (`"blest(lambda: 11.0)"`).
    pub fn scheduler(mut self, policy: &str) -> Self {
        self.scheduler = Some(policy.to_string());
        self
    }
    /// The congestion control, as in a scenario (`"olia"`).
    pub fn cc(mut self, policy: &str) -> Self {
        self.cc = Some(policy.to_string());
        self
    }
    /// When the client opens the connection.
    pub fn start(mut self, at: SimTime) -> Self {
        self.start = at;
        self
    }
    /// What the applications do (default: the server sends until the stop time).
    pub fn traffic(mut self, traffic: Traffic) -> Self {
        self.traffic = Some(traffic);
        self
    }
    /// A download of `bytes` from the server.
    pub fn download_bytes(self, bytes: u64) -> Self {
        self.traffic(Traffic::Download {
            bytes: sim_core::ByteSize::from_bytes(bytes),
        })
    }
    /// The maximum segment size (default 1460 B).
    pub fn mss_bytes(mut self, mss: u64) -> Self {
        self.mss_bytes = Some(mss);
        self
    }
    /// TCP settings of the subflows (default: Linux's).
    pub fn tcp(mut self, tcp: TcpSpec) -> Self {
        self.tcp = Some(tcp);
        self
    }
    /// The connection-level receive buffer at each end (default 6 MiB).
    pub fn rcv_buf_bytes(mut self, bytes: u64) -> Self {
        self.rcv_buf_bytes = Some(bytes);
        self
    }

    fn spec(self, reg: &Registry, stop: SimTime) -> Result<ConnectionSpec, String> {
        let mut c = reg
            .scope(|| {
                ron::Options::default()
                    .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
                    .from_str::<ConnectionSpec>("ConnectionSpec(traffic: Download(bytes: \"1B\"))")
            })
            .map_err(|e| e.to_string())?;
        if let Some(p) = &self.path_manager {
            c.path_manager = reg.path_manager_spec(p)?;
        }
        if let Some(p) = &self.server_path_manager {
            c.server_path_manager = Some(reg.path_manager_spec(p)?);
        }
        if let Some(p) = &self.scheduler {
            c.scheduler = reg.scheduler_spec(p)?;
        }
        if let Some(p) = &self.cc {
            c.cc = reg.cc_spec(p)?;
        }
        c.start = self.start;
        c.traffic = self.traffic.unwrap_or(Traffic::DownloadFor {
            duration: stop.saturating_since(self.start),
        });
        if let Some(m) = self.mss_bytes {
            c.mss = sim_core::ByteSize::from_bytes(m);
        }
        if let Some(t) = self.tcp {
            c.tcp = t;
        }
        if let Some(b) = self.rcv_buf_bytes {
            c.rcv_buf = sim_core::ByteSize::from_bytes(b);
        }
        Ok(c)
    }
}

/// Builds a scenario in code and runs it. See the module documentation.
#[derive(Clone, Debug)]
pub struct SimBuilder {
    name: String,
    seed: u64,
    stop: SimTime,
    interfaces: Vec<InterfaceSpec>,
    timeline: Vec<TimelineEvent>,
    connections: Vec<ConnBuilder>,
    record: RecordSpec,
    mptcp_version: MptcpVersionSpec,
    registry: Registry,
}

impl SimBuilder {
    /// An empty scenario called `name`: seed 1, stop at 60 s, the
    /// built-in policies, no records (no pcap, no time series).
    pub fn new(name: &str) -> SimBuilder {
        SimBuilder {
            name: name.to_string(),
            seed: 1,
            stop: SimTime::from_secs(60),
            interfaces: Vec::new(),
            timeline: Vec::new(),
            connections: Vec::new(),
            record: RecordSpec {
                pcap: false,
                timeseries: false,
                ..RecordSpec::default()
            },
            mptcp_version: MptcpVersionSpec::V1,
            registry: Registry::builtin(),
        }
    }
    /// The registry policies are looked up in (to run a user's own).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }
    /// The master seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// When the run stops, in milliseconds of simulated time.
    pub fn stop_ms(mut self, ms: u64) -> Self {
        self.stop = SimTime::from_millis(ms);
        self
    }
    /// A client interface whose path has `link` in both directions.
    pub fn interface(self, name: &str, kind: IfaceKind, link: Link) -> Self {
        self.interface_asymmetric(name, kind, link.clone(), link)
    }
    /// A client interface with its own uplink and downlink.
    pub fn interface_asymmetric(mut self, name: &str, kind: IfaceKind, uplink: Link, downlink: Link) -> Self {
        self.interfaces.push(InterfaceSpec {
            name: name.to_string(),
            kind,
            initially_up: true,
            backup: false,
            endpoint: crate::scenario::default_endpoint(),
            uplink: Some(uplink.0),
            downlink: Some(downlink.0),
            shares_path_with: None,
        });
        self
    }
    /// The interface `name` is down at time zero.
    pub fn initially_down(mut self, name: &str) -> Self {
        for i in self.interfaces.iter_mut().filter(|i| i.name == name) {
            i.initially_up = false;
        }
        self
    }
    /// The interface `name` is a backup endpoint (the B bit on the subflows
    /// a Linux path manager opens from it).
    pub fn backup(mut self, name: &str) -> Self {
        for i in self.interfaces.iter_mut().filter(|i| i.name == name) {
            i.backup = true;
        }
        self
    }
    /// Interface `name` goes up at `at`.
    pub fn iface_up(mut self, at: SimTime, name: &str) -> Self {
        self.timeline.push(TimelineEvent::IfaceUp {
            at,
            iface: name.to_string(),
        });
        self
    }
    /// Interface `name` goes down at `at`.
    pub fn iface_down(mut self, at: SimTime, name: &str) -> Self {
        self.timeline.push(TimelineEvent::IfaceDown {
            at,
            iface: name.to_string(),
        });
        self
    }
    /// At `at`, the endpoint of interface `name` is deleted (`ip mptcp
    /// endpoint delete`).
    pub fn endpoint_remove(mut self, at: SimTime, name: &str) -> Self {
        self.timeline.push(TimelineEvent::EndpointRemove {
            at,
            iface: name.to_string(),
        });
        self
    }
    /// At `at`, interface `name`'s address becomes an endpoint with `flags`
    /// (`ip mptcp endpoint add`).
    pub fn endpoint_add(mut self, at: SimTime, name: &str, flags: &[crate::scenario::EndpointFlag]) -> Self {
        self.timeline.push(TimelineEvent::EndpointAdd {
            at,
            iface: name.to_string(),
            flags: flags.to_vec(),
        });
        self
    }
    /// At `at`, Symptoms' Wi-Fi advisory (about Wi-Fi interface `name`'s
    /// host) becomes OK (`true`) or bad.
    pub fn wifi_advisory(mut self, at: SimTime, name: &str, ok: bool) -> Self {
        self.timeline.push(TimelineEvent::WifiAdvisory {
            at,
            iface: name.to_string(),
            status: if ok {
                crate::scenario::WifiStatus::Ok
            } else {
                crate::scenario::WifiStatus::Bad
            },
        });
        self
    }
    /// At `at`, Wi-Fi interface `name`'s signal level becomes `rssi_dbm`.
    pub fn wifi_signal(mut self, at: SimTime, name: &str, rssi_dbm: i32) -> Self {
        self.timeline.push(TimelineEvent::WifiSignal {
            at,
            iface: name.to_string(),
            rssi_dbm,
        });
        self
    }
    /// A connection, described by `f` from the defaults (in_kernel,
    /// burst, cubic, upstream recovery; the server sends until the stop time).
    pub fn connection(mut self, f: impl FnOnce(ConnBuilder) -> ConnBuilder) -> Self {
        self.connections.push(f(ConnBuilder::new()));
        self
    }
    /// The MPTCP version both hosts speak (default v1).
    pub fn mptcp_version(mut self, v: MptcpVersionSpec) -> Self {
        self.mptcp_version = v;
        self
    }
    /// What the run records when it writes a run directory.
    pub fn record(mut self, record: RecordSpec) -> Self {
        self.record = record;
        self
    }

    /// The scenario, checked as a scenario file is (errors are located in
    /// its RON text, as `scenario.ron` would hold it).
    pub fn build(self) -> Result<Scenario, ScenarioError> {
        let file = Path::new("<builder>");
        let bad = |message: String| ScenarioError {
            file: file.display().to_string(),
            line: 0,
            col: 0,
            message,
        };
        let connections = self
            .connections
            .into_iter()
            .map(|c| c.spec(&self.registry, self.stop))
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        let sc = Scenario {
            name: self.name,
            description: String::new(),
            seed: self.seed,
            stop: self.stop,
            client: ClientSpec {
                interfaces: self.interfaces,
            },
            topology: None,
            flows: Vec::new(),
            timeline: self.timeline,
            symptoms: Default::default(),
            connections,
            mptcp_version: self.mptcp_version,
            record: self.record,
        };
        let text = crate::run::resolved_ron(&sc).map_err(bad)?;
        Scenario::parse_with(&self.registry, file, &text)
    }

    /// Builds and runs the scenario in memory (nothing is written).
    pub fn run(self) -> Result<RunOutput, String> {
        let sc = self.build().map_err(|e| e.to_string())?;
        Ok(crate::run::run(&sc, &RunOptions::default())?)
    }

    /// Builds the scenario and writes its run directory at `out`, as
    /// `mpsim run` does (figures aside).
    pub fn run_to_dir(self, out: &Path) -> Result<RunOutput, String> {
        let sc = self.build().map_err(|e| e.to_string())?;
        Ok(crate::run::run_to_dir(&sc, out)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_paths() -> SimBuilder {
        SimBuilder::new("t")
            .stop_ms(10_000)
            .interface("wifi", IfaceKind::Wifi, Link::symmetric_mbps(20, 10))
            .interface("cell", IfaceKind::Cellular, Link::symmetric_mbps(5, 40))
    }

    #[test]
    fn a_built_scenario_equals_the_same_scenario_read_from_a_file() {
        let sc = two_paths()
            .connection(|c| c.scheduler("blest(lambda: 11.0)").cc("olia").download_bytes(1_000_000))
            .build()
            .unwrap();
        let text = crate::run::resolved_ron(&sc).unwrap();
        assert_eq!(Scenario::parse(Path::new("x.ron"), &text).unwrap(), sc);
        assert_eq!(sc.connections[0].scheduler.params().next(), Some(("lambda", "11.0")));
    }

    #[test]
    fn a_bad_policy_or_a_bad_reference_is_an_error_not_a_panic() {
        let e = two_paths()
            .connection(|c| c.scheduler("largest_room"))
            .build()
            .unwrap_err();
        assert!(e.message.contains("largest_room"), "{e}");
        let e = two_paths()
            .iface_down(SimTime::from_secs(1), "wlan")
            .connection(|c| c)
            .build()
            .unwrap_err();
        assert!(e.message.contains("wlan"), "{e}");
    }

    #[test]
    fn a_built_run_gives_the_same_metrics_as_its_scenario_file() {
        let b = two_paths().connection(|c| c.download_bytes(500_000));
        let sc = b.clone().build().unwrap();
        let from_builder = b.run().unwrap();
        let from_file = crate::run::run(&sc, &RunOptions::default()).unwrap();
        assert_eq!(from_builder.metrics.connections[0].bytes_delivered, 500_000);
        assert_eq!(
            serde_json::to_string(&from_builder.metrics).unwrap(),
            serde_json::to_string(&from_file.metrics).unwrap()
        );
    }

    #[test]
    fn a_smaller_initial_window_slows_a_short_download() {
        let run = |iw: u32| {
            two_paths()
                .connection(|c| {
                    c.tcp(TcpSpec {
                        initial_window_segments: iw,
                        ..TcpSpec::default()
                    })
                    .download_bytes(60_000)
                })
                .run()
                .unwrap()
                .metrics
                .connections[0]
                .completion_s
                .unwrap()
        };
        // 60 kB is about 41 segments: with IW 10 slow start needs 3 round
        // trips of the 20 ms path after the handshake, with IW 1 six.
        assert!(run(1) > run(10) + 0.04, "{} vs {}", run(1), run(10));
    }

    #[test]
    fn a_backup_interface_gives_a_backup_subflow_that_carries_far_less() {
        let cell_sent = |b: SimBuilder| {
            let out = b.connection(|c| c.download_bytes(2_000_000)).run().unwrap();
            let c = &out.metrics.connections[0];
            assert_eq!(c.bytes_delivered, 2_000_000);
            let cell = c
                .subflows
                .iter()
                .find(|s| s.iface == "cell")
                .expect("a cell subflow")
                .clone();
            (cell.backup, cell.bytes_sent)
        };
        let (backup, with_backup) = cell_sent(two_paths().backup("cell"));
        let (not_backup, without) = cell_sent(two_paths());
        assert!(backup && !not_backup);
        // The backup subflow still takes the data reinjected while Wi-Fi is
        // potentially failed after its start-up RTOs (Linux's out-of-tree
        // scheduler uses backups when no other subflow is active), so it is
        // not idle: 367,780 bytes against 856,260 without the flag.
        assert!(with_backup * 2 < without, "{with_backup} vs {without}");
    }

    #[test]
    fn tcp_settings_reach_the_endpoint_configuration() {
        let spec = TcpSpec {
            sack: false,
            timestamps: false,
            delayed_ack: false,
            initial_window_segments: 4,
            rto_min: SimDuration::from_millis(50),
            rto_rule: models::tcp::RtoMinRule::ClampVariance,
            ..TcpSpec::default()
        };
        let cfg = spec.config(1000);
        assert!(!cfg.sack && !cfg.timestamps && !cfg.delayed_ack);
        assert_eq!(cfg.initial_window_bytes(), 4000);
        assert_eq!(cfg.rto_min, SimDuration::from_millis(50));
        assert_eq!(cfg.rto_min_rule, models::tcp::RtoMinRule::ClampVariance);
        assert_eq!(TcpSpec::default().config(1460), models::tcp::TcpConfig::default());
        let linux = TcpSpec {
            profile: models::tcp::TcpProfile::Linux6,
            ..TcpSpec::default()
        };
        assert_eq!(linux.config(1460), models::tcp::TcpProfile::Linux6.config());
    }

    #[test]
    fn more_connections_than_client_ports_allow_is_refused() {
        let mut b = two_paths();
        for _ in 0..=crate::run::MAX_CONNECTIONS {
            b = b.connection(|c| c.download_bytes(1000));
        }
        let e = b.build().unwrap_err();
        assert!(e.message.contains("expected at most 1008"), "{e}");
        let ports: std::collections::BTreeSet<u16> =
            (0..crate::run::MAX_CONNECTIONS).map(crate::run::first_port).collect();
        assert_eq!(ports.len(), crate::run::MAX_CONNECTIONS);
        assert!(ports.iter().all(|&p| (1024..=65535 - 63).contains(&p)));
    }
}
