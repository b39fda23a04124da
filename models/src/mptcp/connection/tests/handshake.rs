//! MP_CAPABLE on the initial subflow (RFC 8684 3.1) and MP_JOIN on an
//! additional one (3.2).

use super::*;

#[test]
fn a_mp_capable_handshake_exchanges_keys_and_the_data_ack_covers_every_byte() {
    let mut n = Net::new(fullmesh(), linux_default(), &[(wifi(), 10)]);
    n.run(at_ms(1000));
    let s = n.net.b.as_mut().unwrap();
    assert_eq!(s.write(100_000), 100_000);
    n.run(at_ms(5000));
    assert!(n.a.is_mptcp() && n.s().is_mptcp());
    assert_eq!(n.client.read, 100_000);
    // The server's data is all data-acknowledged.
    let tx = n.s().sender();
    assert_eq!(tx.snd_una(), tx.write_end());
    // Every data segment carried a DSS mapping.
    assert!(
        n.all_segments().filter(|s| s.seg.payload_len > 0).all(|s| s
            .seg
            .options
            .mptcp
            .dss()
            .is_some_and(|d| d.mapping.is_some()))
    );
}

/// Fullmesh, two interfaces (Wi-Fi 10 ms, cellular 20 ms one way) and an
/// upload that keeps the client wanting both subflows: the join on the
/// cellular path.
#[test]
fn a_join_carries_the_servers_token_and_hmacs_that_verify_and_carries_data_only_after_the_servers_first_segment() {
    let mut n = Net::new(fullmesh(), linux_default(), &[(wifi(), 10), (cell(), 20)]);
    n.client.to_write = 3_000_000;
    // Up to the third ACK of the join.
    n.run_until(at_ms(2000), |n| n.path(CELL).ab.log.len() >= 2);
    let (ck, sk) = (n.client.key(), n.server.key());
    let v = MptcpVersion::V1;
    let (syn, synack, ack3) = (
        n.path(CELL).ab.log[0].clone(),
        n.path(CELL).ba.log[0].clone(),
        n.path(CELL).ab.log[1].clone(),
    );

    // SYN: MP_JOIN with the token of the server's key (RFC 8684 3.2).
    assert!(syn.seg.flags.syn && !syn.seg.flags.ack, "{syn:?}");
    let Some(MpJoin::Syn {
        token,
        nonce: r_a,
        backup,
        addr_id,
    }) = join(&syn.seg)
    else {
        panic!("no MP_JOIN SYN: {syn:?}")
    };
    assert_eq!(token, mptcp_crypto::token(sk, v));
    assert!(!backup);
    // The path manager's id of the cellular address (fullmesh numbers its
    // interfaces in order: Wi-Fi 1, cellular 2), as announced in ADD_ADDR.
    assert_eq!(addr_id, 2, "the path manager's id of the cellular address");
    // SYN/ACK: HMAC(Key-B || Key-A, R-B || R-A), leftmost 64 bits.
    assert!(synack.seg.flags.syn && synack.seg.flags.ack, "{synack:?}");
    let Some(MpJoin::SynAck {
        truncated_hmac,
        nonce: r_b,
        ..
    }) = join(&synack.seg)
    else {
        panic!("no MP_JOIN SYN/ACK: {synack:?}")
    };
    assert_eq!(truncated_hmac, mptcp_crypto::join_truncated_hmac(sk, ck, r_b, r_a, v));
    // Third ACK: HMAC(Key-A || Key-B, R-A || R-B), 160 bits.
    assert!(!ack3.seg.flags.syn && ack3.seg.flags.ack && ack3.seg.payload_len == 0);
    assert_eq!(
        join(&ack3.seg),
        Some(MpJoin::Ack {
            hmac: mptcp_crypto::join_hmac(ck, sk, r_a, r_b, v)
        })
    );
    assert_eq!(
        ack3.at,
        synack.arrives.unwrap(),
        "the third ACK answers the SYN/ACK at once"
    );
    // The client verified the server's HMAC; its subflow is established
    // at the TCP level but not yet fully (it may not send data).
    let sf = &n.a.subflows()[1];
    assert!(matches!(sf.handshake, Handshake::Join { verified: true, .. }));
    assert_eq!(sf.tcp.state(), TcpState::Established);
    assert_eq!(sf.view_state(), SubflowState::PreEstablished);
    assert!(!sf.available_to_scheduler());
    // No MP_JOIN on the initial path.
    assert!(n.path(WIFI).ab.log.iter().all(|s| join(&s.seg).is_none()));

    n.run(at_ms(2500));
    // The server verified the client's HMAC and answered the third ACK at
    // once with a DSS (its first segment after the SYN/ACK).
    let s_sf = &n.s().subflows()[1];
    assert!(matches!(s_sf.handshake, Handshake::Join { verified: true, .. }));
    let fourth = n.path(CELL).ba.log[1].clone();
    assert_eq!(fourth.at, ack3.arrives.unwrap());
    assert_eq!(fourth.seg.payload_len, 0);
    assert!(fourth.seg.options.mptcp.dss().is_some_and(|d| d.data_ack.is_some()));
    // The client's first data on the join: the instant that segment arrived.
    let first_data = n.path(CELL).ab.data().next().expect("the join carries data");
    assert_eq!(first_data.at, fourth.arrives.unwrap());
    assert!(
        n.path(CELL).ab.log[..]
            .iter()
            .take_while(|s| s.at < fourth.arrives.unwrap())
            .all(|s| s.seg.payload_len == 0)
    );
    assert_eq!(n.a.subflows()[1].view_state(), SubflowState::Established);
    assert_eq!(
        n.client
            .find(|e| matches!(e, ConnEvent::SubflowEstablished { subflow: 1 })),
        vec![(synack.arrives.unwrap(), ConnEvent::SubflowEstablished { subflow: 1 })]
    );
}

/// Fullmesh, Wi-Fi (10 ms) and cellular (20 ms one way), a download; the
/// cellular interface goes down at 1 s. The client announced the cellular
/// address with the path manager's id, joins from it with that id, and
/// withdraws that id: the server closes exactly the cellular subflow.
#[test]
fn a_join_carries_the_path_managers_address_id_so_remove_addr_closes_exactly_that_subflow_at_the_server() {
    let pm = Arc::new(path_manager::FullMeshConfig {
        address_event_delay: SimDuration::ZERO,
        ..path_manager::FullMeshConfig::default()
    });
    let mut n = Net::new(pm, linux_default(), &[(wifi(), 10), (cell(), 20)]);
    let total = 2_000_000;
    n.server.to_write = total;
    n.server.close_when_written = true;
    n.run(at_ms(1000));
    // The id the client announced for its cellular address (RFC 8684 3.4.1).
    let announced = n
        .all_segments()
        .flat_map(|s| s.seg.options.mptcp.iter())
        .find_map(|o| match *o {
            MptcpOption::AddAddr { addr_id, addr, .. } if addr == CELL => Some(addr_id),
            _ => None,
        })
        .expect("the client announces its cellular address");
    let Some(MpJoin::Syn { addr_id, .. }) = join(&n.path(CELL).ab.log[0].seg) else {
        panic!("the cellular path starts with a join SYN");
    };
    assert_eq!(
        addr_id, announced,
        "RFC 8684 3.2: the join names its address by the announced id"
    );
    assert!(n.s().subflows()[1].is_open());

    let down = n.now;
    n.set_iface(CELL, false);
    n.run(at_ms(1200));
    // REMOVE_ADDR went out on Wi-Fi with that id ...
    let removed: Vec<u8> = n
        .path(WIFI)
        .ab
        .log
        .iter()
        .filter(|s| s.at >= down)
        .flat_map(|s| s.seg.options.mptcp.iter())
        .filter_map(|o| match o {
            MptcpOption::RemoveAddr { addr_ids } => Some(addr_ids.as_slice().to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(removed, vec![announced]);
    // ... and the server closed its cellular subflow, and only that one,
    // within a Wi-Fi round trip (the Wi-Fi subflow closes later, in order,
    // once the download is over and both DATA_FINs are acknowledged).
    let closed = n
        .server
        .find(|e| matches!(e, ConnEvent::SubflowClosed { reason, .. } if *reason != CloseReason::Fin));
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert!(matches!(closed[0].1, ConnEvent::SubflowClosed { subflow: 1, .. }));
    assert!(closed[0].0 <= down + SimDuration::from_millis(30), "{closed:?}");
    let wifi_sf = &n.s().subflows()[0];
    assert!(wifi_sf.is_open() || wifi_sf.close_reason == Some(CloseReason::Fin));

    n.run(at_ms(20_000));
    assert_eq!(n.client.read, total);
}

/// The client's third ACKs of the cellular join (bare ACKs with MP_JOIN),
/// with their send times.
fn join_acks(n: &Net) -> Vec<SimTime> {
    n.path(CELL)
        .ab
        .log
        .iter()
        .filter(|s| join(&s.seg).is_some_and(|j| matches!(j, MpJoin::Ack { .. })))
        .map(|s| s.at)
        .collect()
}

/// Fullmesh, Wi-Fi (10 ms) and cellular (20 ms one way), an upload; the
/// server's ACK of the cellular join's third ACK is lost. The client must
/// not send data on the join before that ACK (RFC 8684 3.2), and the
/// server has nothing else to send in an upload: only the client's
/// third-ACK retransmission timer gets the subflow going.
#[test]
fn a_join_whose_third_ack_goes_unacknowledged_repeats_it_after_an_rto_and_then_carries_data() {
    let mut n = Net::new(fullmesh(), linux_default(), &[(wifi(), 10), (cell(), 20)]);
    n.client.to_write = 3_000_000;
    // The server's segments on the cellular path: SYN/ACK, then the ACK of
    // the third ACK (dropped).
    n.path_mut(CELL).ba.set_drops([1]);
    n.run_until(at_ms(2000), |n| n.path(CELL).ab.log.len() >= 2);
    let first = n.path(CELL).ab.log[1].at;
    let rto = n.a.subflows()[1].tcp.rto();
    n.run(first + rto + SimDuration::from_millis(100));
    let acks = join_acks(&n);
    assert_eq!(acks, vec![first, first + rto], "one repetition after the subflow's RTO");
    assert!(n.path(CELL).ba.log.len() >= 2 && n.path(CELL).ba.log[1].dropped);
    n.run(at_ms(5000));
    assert!(n.a.subflows()[1].fully_established);
    assert!(
        n.path(CELL).ab.data().any(|s| s.at > first + rto),
        "the cellular join carries data once its third ACK is acknowledged"
    );
    assert_eq!(join_acks(&n).len(), 2, "no repetition once fully established");
}

/// As above, but every segment of the server on the cellular path after
/// the SYN/ACK is lost: the client repeats the third ACK with the RTO
/// doubling each time, and once the retries are spent resets the subflow
/// (Linux v0.95 mptcp_ack_retransmit_timer) instead of keeping it
/// half-open for ever.
#[test]
fn a_join_whose_third_ack_is_never_acknowledged_is_reset_after_the_retries_with_backoff() {
    let mut n = Net::new(fullmesh(), linux_default(), &[(wifi(), 10), (cell(), 20)]);
    n.client.to_write = 300_000;
    n.path_mut(CELL).ba.set_drops(1..100_000);
    n.run_until(at_ms(2000), |n| n.path(CELL).ab.log.len() >= 2);
    let rto = n.a.subflows()[1].tcp.rto();
    n.run(SimTime::from_secs(3600));
    let tcp = TcpConfig::default();
    let acks = join_acks(&n);
    assert_eq!(acks.len() as u32, 1 + tcp.max_rto_retries, "{acks:?}");
    let mut expect = rto;
    for w in acks.windows(2) {
        assert_eq!(w[1] - w[0], expect);
        expect = (expect + expect).min(tcp.rto_max);
    }
    let sf = &n.a.subflows()[1];
    assert_eq!(sf.close_reason, Some(CloseReason::Timeout));
    assert_eq!(sf.closed_at, Some(*acks.last().unwrap() + expect));
    // A RST ends it, at that moment, and it never carried data. (Fullmesh
    // then tries the path again, as Linux does on ETIMEDOUT; those joins
    // get no SYN/ACK through.)
    let port = sf.tcp.local().1;
    let mine: Vec<_> = n.path(CELL).ab.log.iter().filter(|s| s.seg.src_port == port).collect();
    let last = mine.last().unwrap();
    assert!(last.seg.flags.rst, "a RST ends it: {last:?}");
    assert_eq!(Some(last.at), sf.closed_at);
    assert!(mine.iter().all(|s| s.seg.payload_len == 0), "never any data on it");
    assert_eq!(n.server.read, 300_000);
}
