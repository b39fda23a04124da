//! The poll's skips (see `connection::poll`) are exact: random connections
//! send the same segments at the same times, and report the same events,
//! with the skips on and off.

use super::*;

/// One random run's set-up.
#[derive(Clone, Debug)]
struct Setup {
    scheduler: usize,
    cc: usize,
    upstream: bool,
    wifi_ms: u64,
    cell_ms: u64,
    wifi_drops: Vec<usize>,
    cell_drops: Vec<usize>,
    ack_drops: Vec<usize>,
    /// The client writes these bytes at these times (ms), each write on
    /// its own (no input comes with it), and closes after the last.
    upload: Vec<(u64, u64)>,
    download: u64,
    rcv_buf_bytes: u64,
    /// The cellular interface goes down at this time (ms) and up again
    /// 2 s later.
    cell_down_ms: Option<u64>,
}

fn scheduler(i: usize) -> Arc<dyn crate::policy::SchedulerFactory> {
    use crate::scheduler::*;
    match i {
        0 => Arc::new(MinRttConfig {}),
        1 => Arc::new(RoundRobinConfig::default()),
        2 => Arc::new(RedundantConfig {}),
        3 => Arc::new(BlestConfig::default()),
        4 => Arc::new(EcfConfig {}),
        _ => Arc::new(BurstConfig {}),
    }
}

fn cc(i: usize) -> Arc<dyn crate::policy::CcFactory> {
    use crate::cc::*;
    match i {
        0 => Arc::new(RenoConfig {}),
        1 => Arc::new(LiaConfig {}),
        2 => Arc::new(OliaConfig {}),
        3 => Arc::new(BaliaConfig {}),
        _ => Arc::new(CubicConfig {}),
    }
}

/// Everything a run put on the wire and reported: per path, both
/// directions' logs; then both applications' events.
type Trace = (
    Vec<Vec<pair::Sent<Segment>>>,
    Vec<(SimTime, ConnEvent)>,
    Vec<(SimTime, ConnEvent)>,
);

fn run(s: &Setup, shortcuts: bool) -> Trace {
    let conf = |role| {
        let mut c = cfg(role, fullmesh());
        c.scheduler = scheduler(s.scheduler);
        c.cc = cc(s.cc);
        c.rcv_buf_bytes = s.rcv_buf_bytes;
        c.snd_buf_bytes = 200_000;
        if s.upstream {
            c.meta_recovery = MetaRecovery::Upstream { stale_loss_cnt: 4 };
        }
        c
    };
    let (client, server) = (conf(Role::Client), conf(Role::Server));
    let rate = Bandwidth::from_mbps(10).unwrap();
    let paths = [(WIFI, s.wifi_ms), (CELL, s.cell_ms)].map(|(addr, ms)| {
        let link = pair::unbounded(rate, SimDuration::from_millis(ms));
        (addr, link.clone(), link)
    });
    let local = vec![wifi(), cell()];
    let mut c = Connection::client(SimTime::ZERO, client, RngStreams::new(7).stream("c"), local, SERVER);
    c.set_poll_shortcuts(shortcuts);
    let server_iface = iface(9, SERVER, IfaceKind::Preferred, true);
    let accept = move |now: SimTime, syn: &Segment| {
        (syn.flags.syn && !syn.flags.ack).then(|| {
            let mut c = Connection::accept(now, server.clone(), RngStreams::new(7).stream("s"), server_iface, syn);
            c.set_poll_shortcuts(shortcuts);
            c
        })
    };
    let app = |to_write, close_when_written| App {
        to_write,
        close_when_written,
        ..App::default()
    };
    let mut n = Net {
        net: MultiPair::new(c, accept, paths),
        client: app(0, false),
        server: app(s.download, true),
    };
    n.path_mut(WIFI).ab.set_drops(s.wifi_drops.iter().copied());
    n.path_mut(CELL).ab.set_drops(s.cell_drops.iter().copied());
    n.path_mut(WIFI).ba.set_drops(s.ack_drops.iter().copied());
    // Writes (`Ok(bytes)`) and the cellular interface going down or up
    // (`Err(up)`), in time order.
    let mut actions: Vec<(u64, Result<u64, bool>)> = s.upload.iter().map(|&(t, b)| (t, Ok(b))).collect();
    if let Some(t) = s.cell_down_ms {
        actions.extend([(t, Err(false)), (t + 2_000, Err(true))]);
    }
    actions.sort_by_key(|a| a.0);
    for (t, what) in actions {
        n.run(at_ms(t));
        match what {
            Ok(bytes) => n.client.to_write += bytes,
            Err(up) => n.set_iface(CELL, up),
        }
    }
    n.client.close_when_written = true;
    n.run(at_ms(30_000));
    let logs = n
        .paths
        .iter()
        .flat_map(|p| [p.ab.log.clone(), p.ba.log.clone()])
        .collect();
    (logs, n.client.events.clone(), n.server.events.clone())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    #[test]
    fn every_segment_and_event_is_the_same_with_the_poll_shortcuts_on_and_off(
        scheduler in 0usize..6,
        cc in 0usize..5,
        upstream in proptest::bool::ANY,
        wifi_ms in 2u64..60,
        cell_ms in 2u64..120,
        wifi_drops in proptest::collection::vec(0usize..600, 0..6),
        cell_drops in proptest::collection::vec(0usize..600, 0..6),
        ack_drops in proptest::collection::vec(0usize..300, 0..4),
        upload in proptest::collection::vec((0u64..5_000, 1u64..100_000), 0..5),
        download in 0u64..1_500_000,
        rcv_buf_bytes in 20_000u64..300_000,
        cell_down_ms in proptest::option::of(100u64..3_000),
    ) {
        let want = upload.iter().map(|u| u.1).sum::<u64>() + download;
        let s = Setup { scheduler, cc, upstream, wifi_ms, cell_ms, wifi_drops, cell_drops, ack_drops, upload, download, rcv_buf_bytes, cell_down_ms };
        let on = run(&s, true);
        let off = run(&s, false);
        // Both applications' data went through.
        let payload: u64 = on.0.iter().flatten().map(|s| u64::from(s.seg.payload_len)).sum();
        proptest::prop_assert!(payload >= want, "{} < {}", payload, want);
        proptest::prop_assert_eq!(on, off);
    }
}
