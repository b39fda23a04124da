//! Single-path TCP runs over sim-core links: one bulk flow from a client to
//! a server over one path. Used to check the TCP model end to end against
//! link capacity and the established throughput models (docs/tcp-throughput.md).

use std::sync::Arc;

use models::policy::CcFactory;
use models::segment::Segment;
use models::tcp::{TcpConfig, TcpEndpoint, TcpEvent};
use sim_core::{
    BufferLimit, LinkConfig, LinkCounters, LossModel, Network, RngStreams, SimDuration, SimTime, Simulation,
};

use crate::topology::Topology;
use crate::world::{NetWorld, NoObserver, Side, Stack};

/// One TCP endpoint with a bulk application: the sender writes `to_send`
/// bytes (u64::MAX: forever) and then closes; the receiver reads everything
/// at once and closes when the sender's FIN has arrived.
pub struct BulkTcp {
    ep: Option<TcpEndpoint>,
    cfg: TcpConfig,
    cc: Arc<dyn CcFactory>,
    isn: u64,
    to_send: u64,
    /// Bytes the application received, and when the last arrived.
    pub received_bytes: u64,
    pub last_rx: SimTime,
    /// In-order check: the next subflow sequence number expected by the app.
    next_rx_seq: Option<u64>,
    pub closed: bool,
    /// Which end it is, and whether an input touched it since it was drained.
    side: Side,
    touched: bool,
}

impl BulkTcp {
    /// An active opener that connects at time zero.
    pub fn client(
        local: (u32, u16),
        remote: (u32, u16),
        isn: u64,
        cfg: TcpConfig,
        cc: Arc<dyn CcFactory>,
        to_send: u64,
    ) -> Self {
        let ep = TcpEndpoint::connect(
            SimTime::ZERO,
            local,
            remote,
            isn,
            cfg.clone(),
            cc.build(cfg.mss_bytes, cfg.initial_window_bytes()),
        );
        BulkTcp {
            ep: Some(ep),
            cfg,
            cc,
            isn,
            to_send,
            received_bytes: 0,
            last_rx: SimTime::ZERO,
            next_rx_seq: None,
            closed: false,
            side: Side::Client,
            touched: true,
        }
    }
    /// A listener that accepts the first SYN.
    pub fn server(isn: u64, cfg: TcpConfig, cc: Arc<dyn CcFactory>) -> Self {
        BulkTcp {
            ep: None,
            cfg,
            cc,
            isn,
            to_send: 0,
            received_bytes: 0,
            last_rx: SimTime::ZERO,
            next_rx_seq: None,
            closed: false,
            side: Side::Server,
            touched: false,
        }
    }
    pub fn endpoint(&self) -> Option<&TcpEndpoint> {
        self.ep.as_ref()
    }
}

impl Stack for BulkTcp {
    fn handle_segment(&mut self, now: SimTime, seg: &Segment) {
        self.touched = true;
        match &mut self.ep {
            Some(ep) => ep.handle_segment(now, seg),
            None if seg.flags.syn && !seg.flags.ack => {
                let cc = self.cc.build(self.cfg.mss_bytes, self.cfg.initial_window_bytes());
                self.ep = Some(TcpEndpoint::accept(now, seg, self.isn, self.cfg.clone(), cc));
            }
            None => {}
        }
    }
    fn handle_timeout(&mut self, now: SimTime, _unit: usize) {
        self.touched = true;
        if let Some(ep) = &mut self.ep
            && ep.poll_timeout().is_some_and(|t| t <= now)
        {
            ep.handle_timeout(now);
        }
    }
    fn handle_iface(&mut self, _now: SimTime, _addr: u32, _up: bool) {}
    fn next_touched(&mut self) -> Option<usize> {
        std::mem::take(&mut self.touched).then_some(0)
    }
    fn poll_transmit(&mut self, now: SimTime, _unit: usize) -> Option<(Side, Segment)> {
        let side = self.side;
        self.ep.as_mut()?.poll_transmit(now).map(|t| (side, t.seg))
    }
    fn poll_timeout(&self, _unit: usize) -> Option<SimTime> {
        self.ep.as_ref()?.poll_timeout()
    }
    fn run_app(&mut self, now: SimTime, _unit: usize) {
        let Some(ep) = &mut self.ep else { return };
        let mut peer_fin = false;
        while let Some(ev) = ep.poll_event() {
            match ev {
                TcpEvent::Closed { .. } => self.closed = true,
                TcpEvent::PeerFin => peer_fin = true,
                _ => {}
            }
        }
        if self.to_send > 0 {
            let n = ep.send(self.to_send);
            if self.to_send != u64::MAX {
                self.to_send -= n;
                if self.to_send == 0 {
                    ep.close();
                }
            }
        }
        while let Some((seq, len)) = ep.recv(u64::MAX) {
            // The application must see every byte once, in order.
            if let Some(expect) = self.next_rx_seq {
                assert_eq!(seq, expect, "TCP delivered out of order or twice");
            }
            self.next_rx_seq = Some(seq + len);
            self.received_bytes += len;
            self.last_rx = now;
        }
        // The peer is done and everything was read: close this end too (its
        // FIN ends the connection: CLOSE-WAIT -> LAST-ACK, RFC 9293 3.10.4).
        if peer_fin && self.to_send == 0 {
            ep.close();
        }
    }
    fn wire_len(&self, seg: &Segment) -> u32 {
        models::wire::ip_packet_len(seg, models::segment::MptcpVersion::V1) as u32
    }
}

/// One bulk TCP flow over one path.
#[derive(Clone, Debug)]
pub struct TcpRunSpec {
    pub seed: u64,
    pub forward: LinkConfig,
    pub reverse: LinkConfig,
    pub tcp: TcpConfig,
    pub cc: Arc<dyn CcFactory>,
    /// Bytes to send; `u64::MAX` to send until `duration`.
    pub bytes: u64,
    pub duration: SimDuration,
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct TcpRunResult {
    pub received_bytes: u64,
    pub last_rx: SimTime,
    pub events: u64,
    pub forward: LinkCounters,
    pub reverse: LinkCounters,
    pub sender_stats: models::tcp::TcpStats,
    pub srtt: Option<SimDuration>,
    /// The retransmission timeout at the end, with any backoff in effect.
    pub rto: SimDuration,
    /// The retransmission timeout without backoff (PFTK's T0).
    pub rto_base: SimDuration,
}

/// Runs one flow: client (sender) at 10.0.0.2, server at 10.0.1.1.
pub fn run_tcp(spec: &TcpRunSpec) -> TcpRunResult {
    const CLIENT: u32 = 0x0a00_0002;
    const SERVER: u32 = 0x0a00_0101;
    let rng = RngStreams::new(spec.seed);
    let mut net = Network::new();
    let up = net.add_link("path.up", spec.forward.clone(), &rng);
    let down = net.add_link("path.down", spec.reverse.clone(), &rng);
    net.add_iface("path", &[up, down]);
    let mut topo = Topology::new();
    let client_port = topo.add_port("client.path", 0, 0);
    let server_port = topo.add_port("server.eth0", 1, 0);
    topo.add_address(client_port, CLIENT);
    topo.add_address(server_port, SERVER);
    topo.connect(up, client_port, server_port);
    topo.connect(down, server_port, client_port);
    let isn_rng = rng.stream("conn/0/isn");
    let (c_isn, s_isn) = {
        use rand::Rng;
        let mut r = isn_rng;
        (r.next_u32() as u64, r.next_u32() as u64)
    };
    let client = BulkTcp::client(
        (CLIENT, 40000),
        (SERVER, 80),
        c_isn,
        spec.tcp.clone(),
        spec.cc.clone(),
        spec.bytes,
    );
    let server = BulkTcp::server(s_isn, spec.tcp.clone(), spec.cc.clone());
    let world = NetWorld::new(net, topo, vec![client, server], NoObserver);
    let mut sim = Simulation::new(world);
    sim.with_ctx(|w, ctx| w.flush(ctx, 0));
    sim.run_until(SimTime::ZERO + spec.duration);
    let w = sim.world();
    let ep = w.hosts[0].endpoint().expect("client endpoint");
    TcpRunResult {
        received_bytes: w.hosts[1].received_bytes,
        last_rx: w.hosts[1].last_rx,
        events: sim.events_processed(),
        forward: *w.net.counters(up),
        reverse: *w.net.counters(down),
        sender_stats: *ep.stats(),
        srtt: ep.srtt(),
        rto: ep.rto(),
        rto_base: ep.rtt_estimator().rto_base(),
    }
}

/// A link config helper: rate in Mb/s, one-way delay in ms, buffer in bytes, loss.
pub fn link(rate_mbps: u64, delay_ms: u64, buffer_bytes: u64, loss: LossModel) -> LinkConfig {
    LinkConfig {
        loss,
        ..LinkConfig::new(
            sim_core::Bandwidth::from_mbps(rate_mbps).expect("positive rate"),
            SimDuration::from_millis(delay_ms),
            BufferLimit::Bytes(sim_core::ByteSize::from_bytes(buffer_bytes)),
        )
    }
}
