//! Protocol tests of two TCP endpoints over the shared harness
//! [`crate::testing::pair`]: two one-way `sim_core` links, each with a
//! propagation delay, a serialisation rate (a FIFO with no buffer limit: a
//! segment starts when the previous one has left; a dropped segment still
//! takes its serialisation time) and an exact list of the indices of the
//! segments it drops (0-based, counting every segment offered in that
//! direction: for A -> B, 0 is the SYN, 1 the third ACK, 2.. the data).
//! Endpoint A connects at time 0; B is created by `accept` when the SYN
//! arrives. Time jumps to the next arrival or the earlier of the
//! endpoints' `poll_timeout`.
//!
//! [`Pair`] here adds the applications to the harness: A writes `n` bytes
//! (waiting for `Writable` after a short write) and closes, B reads
//! everything and closes when the peer's FIN arrives.
//!
//! By topic: `handshake`, `transfer` (data, mappings, option space),
//! `loss_recovery` (fast retransmit, SACK and NewReno recovery, RTO),
//! `acks_and_rtt` (delayed ACKs, SACK blocks, RTT samples), `congestion`
//! (window growth and restart), `flow_control` (peer window, zero-window
//! probes, send buffer), `close` (FIN teardown, RST), `rack_tlp` (RFC
//! 8985: lost retransmissions, the tail loss probe, reordering).

mod acks_and_rtt;
mod close;
mod congestion;
mod flow_control;
mod handshake;
mod loss_recovery;
mod options_len;
mod rack_tlp;
mod transfer;

use std::ops::{Deref, DerefMut};

use sim_core::{Bandwidth, SimDuration, SimTime};

use super::*;
use crate::cc::reno::Reno;
use crate::segment::TcpFlags;
use crate::testing::pair;

const A: (u32, u16) = (0x0a00_0001, 40_000);
const B: (u32, u16) = (0x0a00_0002, 80);
const ISN_A: u64 = 1_000;
const ISN_B: u64 = 7_000_000;

/// The harness with the two applications on top; it dereferences to the
/// harness (`p.a`, `p.b`, `p.ab`, `p.ba`, `p.now`).
struct Pair {
    net: pair::Pair<TcpEndpoint>,
    /// Bytes A's application still has to queue.
    to_send: u64,
    /// After a short write A waits for `Writable` before writing again.
    a_blocked: bool,
    /// A closes once everything is queued.
    a_closes: bool,
    a_close_called: bool,
    /// B's application reads everything it can.
    b_reads: bool,
    /// B closes when the peer's FIN arrives.
    b_closes_on_fin: bool,
    delivered: u64,
    next_read: Option<u64>,
    a_events: Vec<(SimTime, TcpEvent)>,
    b_events: Vec<(SimTime, TcpEvent)>,
}

impl Deref for Pair {
    type Target = pair::Pair<TcpEndpoint>;
    fn deref(&self) -> &Self::Target {
        &self.net
    }
}

impl DerefMut for Pair {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.net
    }
}

fn reno(cfg: &TcpConfig) -> Box<dyn CongestionControl> {
    Box::new(Reno::new(cfg.mss_bytes))
}

impl Pair {
    /// A sends `n` bytes to B over 10 ms one-way delay at 10 Mbit/s each way.
    fn new(cfg_a: TcpConfig, cfg_b: TcpConfig, n: u64) -> Self {
        let cc = reno(&cfg_a);
        Self::with(cfg_a, cfg_b, n, cc, 10, 10)
    }

    fn with(
        cfg_a: TcpConfig,
        cfg_b: TcpConfig,
        n: u64,
        cc_a: Box<dyn CongestionControl>,
        delay_ms: u64,
        rate_mbps: u64,
    ) -> Self {
        let rate = Bandwidth::from_mbps(rate_mbps).unwrap();
        let delay = SimDuration::from_millis(delay_ms);
        let path = pair::unbounded(rate, delay);
        let a = TcpEndpoint::connect(SimTime::ZERO, A, B, ISN_A, cfg_a, cc_a);
        let accept = move |t: SimTime, seg: &Segment| {
            seg.flags
                .syn
                .then(|| TcpEndpoint::accept(t, seg, ISN_B, cfg_b.clone(), reno(&cfg_b)))
        };
        Pair {
            net: pair::Pair::new(a, accept, path.clone(), path),
            to_send: n,
            a_blocked: false,
            a_closes: true,
            a_close_called: false,
            b_reads: true,
            b_closes_on_fin: true,
            delivered: 0,
            next_read: None,
            a_events: Vec::new(),
            b_events: Vec::new(),
        }
    }

    fn b(&self) -> &TcpEndpoint {
        self.net.b.as_ref().expect("B exists once the SYN arrived")
    }

    /// Application actions and transmissions until nothing moves.
    fn pump(&mut self) {
        let net = &mut self.net;
        loop {
            let mut moved = false;
            while self.to_send > 0 && !self.a_blocked {
                let n = net.a.send(self.to_send);
                self.to_send -= n;
                self.a_blocked = self.to_send > 0;
            }
            if self.to_send == 0 && self.a_closes && !self.a_close_called {
                net.a.close();
                self.a_close_called = true;
            }
            while let Some(e) = net.a.poll_event() {
                self.a_events.push((net.now, e));
                if e == TcpEvent::Writable {
                    self.a_blocked = false;
                    moved = true;
                }
            }
            if let Some(b) = net.b.as_mut() {
                while let Some(e) = b.poll_event() {
                    self.b_events.push((net.now, e));
                    if e == TcpEvent::PeerFin && self.b_closes_on_fin {
                        b.close();
                    }
                }
                if self.b_reads {
                    while let Some((seq, len)) = b.recv(u64::MAX) {
                        let expected = *self.next_read.get_or_insert(seq);
                        assert_eq!(seq, expected, "bytes read in order");
                        self.next_read = Some(seq + len);
                        self.delivered += len;
                    }
                }
            }
            moved |= net.transmit_b();
            moved |= net.transmit_a();
            if !moved {
                break;
            }
        }
    }

    /// Advances to the next event; false when nothing is left.
    fn step(&mut self) -> bool {
        self.pump();
        if !self.net.advance() {
            return false;
        }
        self.pump();
        true
    }

    /// Runs until `limit` (time passes idle when nothing is left to do).
    fn run(&mut self, limit: SimTime) {
        while self.now < limit && self.step() {}
        self.net.now = self.now.max(limit);
    }

    /// Runs until `cond` holds (checked after each step) or `limit`.
    fn run_until(&mut self, limit: SimTime, mut cond: impl FnMut(&Pair) -> bool) {
        while self.now < limit && !cond(self) && self.step() {}
    }

    fn a_closed(&self) -> Option<CloseReason> {
        self.a_events.iter().find_map(|(_, e)| match e {
            TcpEvent::Closed { reason } => Some(*reason),
            _ => None,
        })
    }

    fn b_closed(&self) -> Option<CloseReason> {
        self.b_events.iter().find_map(|(_, e)| match e {
            TcpEvent::Closed { reason } => Some(*reason),
            _ => None,
        })
    }
}

fn secs(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

fn ms(v: u64) -> SimDuration {
    SimDuration::from_millis(v)
}

/// Default config with timestamps off, for tests that count exact bytes.
fn plain() -> TcpConfig {
    TcpConfig {
        timestamps: false,
        ..TcpConfig::default()
    }
}
