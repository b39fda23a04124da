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
            d.data_fin
                .then(|| (*s, d.mapping.expect("RFC 8684 3.3.3: a DATA_FIN comes with a mapping")))
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
#[ignore = "bug: a DATA_FIN alone on a pure ACK is never data-acknowledged (the receiver sends nothing back, the sender never repeats it)"]
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
#[ignore = "bug: once both DATA_FINs are data-acked no subflow sends a FIN, so neither connection reports Closed (both report only PeerClosed)"]
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
