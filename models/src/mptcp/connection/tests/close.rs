//! Closing: DATA_FIN (RFC 8684 3.3.3) and MP_FASTCLOSE (3.5).

use super::*;

/// The client sends 50 kB, the server 100 kB, each closing once it has
/// written everything (one interface, 10 ms): both DATA_FINs ride on data.
fn exchange_then_close() -> Net {
    let mut n = Net::new(fullmesh(), linux_default(), &[(wifi(), 10)]);
    n.client.to_write = 50_000;
    n.client.close_when_written = true;
    n.server.to_write = 100_000;
    n.server.close_when_written = true;
    n.run(at_ms(10_000));
    n
}

/// The server sends 100 kB and closes; the client, which sends nothing,
/// closes when the DATA_FIN arrives (one interface, 10 ms).
fn download_then_close() -> Net {
    let mut n = Net::new(fullmesh(), linux_default(), &[(wifi(), 10)]);
    n.server.to_write = 100_000;
    n.server.close_when_written = true;
    n.run(at_ms(10_000));
    n
}

/// The segments of `log` with a DATA_FIN, each with its mapping.
fn data_fins(log: &[pair::Sent<Segment>]) -> Vec<(pair::Sent<Segment>, DssMapping)> {
    log.iter()
        .filter_map(|s| {
            let d = s.seg.options.mptcp.dss()?;
            d.data_fin.then(|| {
                (
                    s.clone(),
                    d.mapping.expect("RFC 8684 3.3.3: a DATA_FIN comes with a mapping"),
                )
            })
        })
        .collect()
}

/// Whether `s` carries the data-ACK `value`.
fn data_acks(s: &pair::Sent<Segment>, value: u64) -> bool {
    s.seg
        .options
        .mptcp
        .dss()
        .and_then(|d| d.data_ack)
        .is_some_and(|a| a.value == value)
}

#[test]
fn a_data_fin_rides_on_the_dss_mapping_of_the_last_data_and_is_data_acknowledged_at_both_ends() {
    let n = exchange_then_close();
    let v = MptcpVersion::V1;
    assert_eq!(n.client.read, 100_000);
    assert_eq!(n.server.read, 50_000);
    let path = n.path(WIFI);
    for (key, written, sent, back, sender, receiver, peer_app) in [
        (n.client.key(), 50_000, &path.ab, &path.ba, &n.a, n.s(), &n.server),
        (n.server.key(), 100_000, &path.ba, &path.ab, n.s(), &n.a, &n.client),
    ] {
        // The DATA_FIN's DSN: one past the last byte; the mapping counts
        // it in its length (RFC 8684 3.3.3).
        let fin = mptcp_crypto::idsn(key, v) + 1 + written;
        let fins = data_fins(&sent.log);
        assert!(!fins.is_empty());
        for (s, m) in &fins {
            assert_eq!(m.dsn + u64::from(m.len) - 1, fin, "{s:?}");
        }
        // It rode on the last data segment first (later segments repeat it).
        assert_eq!(fins[0].0, *sent.data().last().unwrap());
        // The peer data-acknowledged it: a data-ACK one past it.
        assert!(back.log.iter().any(|s| data_acks(s, fin + 1)));
        assert_eq!(receiver.receiver().unwrap().data_ack(), fin + 1);
        assert!(sender.sender().all_acked());
        assert_eq!(peer_app.find(|e| *e == ConnEvent::PeerClosed).len(), 1);
    }
}

#[test]
fn a_data_fin_alone_on_an_ack_is_data_acknowledged() {
    let n = download_then_close();
    assert_eq!(n.client.read, 100_000);
    let path = n.path(WIFI);
    // The client sent no data: its DATA_FIN is a mapping of length one at
    // DSN idsn + 1 on an ACK without payload.
    let c_fin = mptcp_crypto::idsn(n.client.key(), MptcpVersion::V1) + 1;
    let fins = data_fins(&path.ab.log);
    assert!(!fins.is_empty());
    for (s, m) in &fins {
        assert_eq!((m.dsn, m.len, s.seg.payload_len), (c_fin, 1, 0), "{s:?}");
    }
    assert_eq!(n.server.find(|e| *e == ConnEvent::PeerClosed).len(), 1);
    // RFC 8684 3.3.3: the DATA_FIN is acknowledged at the data level.
    assert!(path.ba.log.iter().any(|s| data_acks(s, c_fin + 1)));
    assert!(n.a.sender().all_acked());
}

#[test]
fn once_both_data_fins_are_data_acknowledged_the_subflows_close_with_fins_and_both_connections_report_closed() {
    let n = exchange_then_close();
    assert!(n.a.sender().all_acked() && n.s().sender().all_acked());
    // RFC 8684 3.3.3: "Once a DATA_FIN has been acknowledged, all remaining
    // subflows MUST be closed with standard FIN exchanges."
    let path = n.path(WIFI);
    assert!(path.ab.log.iter().any(|s| s.seg.flags.fin));
    assert!(path.ba.log.iter().any(|s| s.seg.flags.fin));
    assert!(n.a.is_closed() && n.s().is_closed());
    let closed = |a: &App| a.find(|e| matches!(e, ConnEvent::Closed { .. }));
    assert_eq!(closed(&n.client).len(), 1);
    assert_eq!(closed(&n.server).len(), 1);
}

#[test]
fn mp_fastclose_aborts_the_connection_at_both_ends() {
    let mut n = Net::new(fullmesh(), linux_default(), &[(wifi(), 10)]);
    n.run(at_ms(1000));
    n.net.b.as_mut().unwrap().write(10_000);
    n.run(at_ms(3000));
    assert_eq!(n.client.read, 10_000);
    let before = n.path(WIFI).ab.log.len();
    let now = n.now;
    n.a.abort(now);
    n.run(at_ms(6000));
    let after = &n.path(WIFI).ab.log[before..];
    // MP_FASTCLOSE first, carrying the server's key, then the RST.
    let fc = after.iter().position(|s| {
        s.seg
            .options
            .mptcp
            .iter()
            .any(|o| matches!(o, MptcpOption::MpFastclose { .. }))
    });
    let rst = after.iter().position(|s| s.seg.flags.rst);
    assert!(fc.is_some() && rst.is_some() && fc < rst, "{after:?}");
    let sk = n.server.key();
    assert!(
        after[fc.unwrap()]
            .seg
            .options
            .mptcp
            .iter()
            .any(|o| *o == MptcpOption::MpFastclose { receiver_key: sk })
    );
    assert!(n.a.is_closed() && n.s().is_closed());
}

/// A download of 100 kB on two paths (wifi 10 ms, cell 40 ms, both used by
/// the full mesh), each application closing as in `download_then_close`,
/// with the segments of the listed indices dropped on each direction of
/// the wifi path; run for 20 s.
fn two_path_download(drop_ab: &[usize], drop_ba: &[usize]) -> Net {
    let mut n = two_path_net(MetaRecovery::OutOfTree);
    n.path_mut(WIFI).ab.set_drops(drop_ab.iter().copied());
    n.path_mut(WIFI).ba.set_drops(drop_ba.iter().copied());
    n.server.to_write = 100_000;
    n.server.close_when_written = true;
    n.run(at_ms(20_000));
    n
}

/// The client (full mesh, wifi 10 ms and cell 40 ms) and the server, both
/// with this meta-level recovery.
fn two_path_net(recovery: MetaRecovery) -> Net {
    let mut c = cfg(Role::Client, fullmesh());
    let mut s = cfg(Role::Server, linux_default());
    c.meta_recovery = recovery;
    s.meta_recovery = recovery;
    Net::with(c, s, &[(wifi(), 10), (cell(), 40)])
}

/// Whether every subflow of `c` ended with the FIN teardown.
fn all_closed_by_fin(c: &Connection) -> bool {
    c.all_subflows()
        .all(|s| s.close_reason == Some(CloseReason::Fin) && s.tcp.state() == TcpState::Closed)
}

/// Index in `log` of the first segment with a FIN (TCP flag) or, with
/// `data_fin`, the first with a DATA_FIN.
fn first(log: &[pair::Sent<Segment>], data_fin: bool) -> usize {
    log.iter()
        .position(|s| {
            if data_fin {
                s.seg.options.mptcp.dss().is_some_and(|d| d.data_fin)
            } else {
                s.seg.flags.fin
            }
        })
        .expect("present in the loss-free run")
}

#[test]
fn every_subflow_of_both_ends_closes_with_a_fin_from_each_side_after_both_data_fins() {
    let n = two_path_download(&[], &[]);
    assert_eq!(n.client.read, 100_000);
    assert!(n.a.all_subflows().count() >= 2);
    assert!(all_closed_by_fin(&n.a) && all_closed_by_fin(n.s()));
    for addr in [WIFI, CELL] {
        let p = n.path(addr);
        // One FIN each way on every path, and none before the last DATA_FIN
        // was data-acknowledged (RFC 8684 3.3.3: subflows close after it).
        let fin_ab = p.ab.log.iter().filter(|s| s.seg.flags.fin).count();
        let fin_ba = p.ba.log.iter().filter(|s| s.seg.flags.fin).count();
        assert_eq!((fin_ab, fin_ba), (1, 1), "path {addr:x}");
        assert!(p.ab.log.iter().chain(&p.ba.log).all(|s| !s.seg.flags.rst));
    }
    let c_fin = n.path(WIFI).ab.log[first(&n.path(WIFI).ab.log, true)].at;
    let first_fin = n
        .all_segments()
        .filter(|s| s.seg.flags.fin)
        .map(|s| s.at)
        .min()
        .unwrap();
    assert!(first_fin > c_fin);
    assert!(n.a.is_closed() && n.s().is_closed());
    assert_eq!(n.a.stats().data_fin_retransmits + n.s().stats().data_fin_retransmits, 0);
}

#[test]
fn a_lost_data_fin_alone_on_an_ack_is_sent_again_by_its_timer_and_the_close_completes() {
    // Upstream's DATA_FIN timer (200 ms) fires before the server's RTO
    // resends its last data (whose data-ACK went with the lost DATA_FIN).
    let upstream = MetaRecovery::Upstream { stale_loss_cnt: 4 };
    let run = |drops: &[(u32, usize)]| {
        let mut n = two_path_net(upstream);
        for &(addr, i) in drops {
            n.path_mut(addr).ab.set_drops([i]);
        }
        n.server.to_write = 100_000;
        n.server.close_when_written = true;
        n.run(at_ms(20_000));
        n
    };
    let clean = run(&[]);
    // The client sent no data: its DATA_FIN travels alone on ACKs, on every
    // subflow that can carry a DSS. Drop the first copy on each path.
    let drops: Vec<(u32, usize)> = [WIFI, CELL]
        .into_iter()
        .filter_map(|addr| {
            let log = &clean.path(addr).ab.log;
            log.iter()
                .position(|s| s.seg.options.mptcp.dss().is_some_and(|d| d.data_fin))
                .map(|i| (addr, i))
        })
        .collect();
    assert!(!drops.is_empty());
    let n = run(&drops);
    let mut lost_at = SimTime::ZERO;
    for &(addr, i) in &drops {
        let s = &n.path(addr).ab.log[i];
        assert!(s.dropped && s.seg.payload_len == 0 && s.seg.options.mptcp.dss().unwrap().data_fin);
        lost_at = lost_at.max(s.at);
    }
    // Sent again 200 ms later (Linux `mptcp_set_datafin_timeout`: TCP_RTO_MIN).
    assert_eq!(n.a.stats().data_fin_retransmits, 1);
    let again = n
        .path(WIFI)
        .ab
        .log
        .iter()
        .find(|s| s.at > lost_at && s.seg.options.mptcp.dss().is_some_and(|d| d.data_fin))
        .unwrap();
    assert_eq!(again.at, lost_at + SimDuration::from_millis(200));
    assert!(n.a.sender().all_acked() && n.s().sender().all_acked());
    assert!(all_closed_by_fin(&n.a) && all_closed_by_fin(n.s()));
    assert!(n.a.is_closed() && n.s().is_closed());
}

#[test]
fn a_lost_data_fin_on_the_last_data_comes_again_with_the_retransmitted_data() {
    let clean = two_path_download(&[], &[]);
    let i = first(&clean.path(WIFI).ba.log, true);
    assert!(
        clean.path(WIFI).ba.log[i].seg.payload_len > 0,
        "the server's DATA_FIN rides on data"
    );
    let n = two_path_download(&[], &[i]);
    assert!(n.path(WIFI).ba.log[i].dropped);
    assert_eq!(n.client.read, 100_000);
    assert!(all_closed_by_fin(&n.a) && all_closed_by_fin(n.s()));
    assert!(n.a.is_closed() && n.s().is_closed());
}

#[test]
fn a_lost_subflow_fin_is_sent_again_by_the_subflow_rto_and_both_ends_close() {
    let clean = two_path_download(&[], &[]);
    let i = first(&clean.path(WIFI).ba.log, false);
    let j = first(&clean.path(WIFI).ab.log, false);
    let n = two_path_download(&[j], &[i]);
    let p = n.path(WIFI);
    assert!(p.ba.log[i].dropped && p.ab.log[j].dropped);
    // Each side sent its FIN again, as a retransmission.
    for log in [&p.ab.log, &p.ba.log] {
        let fins: Vec<_> = log.iter().filter(|s| s.seg.flags.fin).collect();
        assert!(fins.len() >= 2 && fins[1].seg.seq == fins[0].seg.seq, "{fins:?}");
    }
    assert!(all_closed_by_fin(&n.a) && all_closed_by_fin(n.s()));
    assert!(n.a.is_closed() && n.s().is_closed());
}
