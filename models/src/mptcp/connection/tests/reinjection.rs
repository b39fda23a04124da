//! Reinjection (as Linux `mptcp_reinject_data`): a subflow's data not yet
//! data-acknowledged goes to another subflow when the subflow goes away or
//! times out.

use super::*;

/// An upload over fullmesh, Wi-Fi (10 ms) and cellular (20 ms); the
/// cellular interface goes down at 600 ms. Fullmesh reacts at once (no
/// address worker delay): it reinjects the subflow's data and closes it.
#[test]
fn data_of_a_subflow_whose_interface_goes_down_is_reinjected_on_the_other_and_delivered_once_in_order() {
    let pm = Arc::new(path_manager::FullMeshConfig {
        address_event_delay: SimDuration::ZERO,
        ..path_manager::FullMeshConfig::default()
    });
    let mut n = Net::new(pm, linux_default(), &[(wifi(), 10), (cell(), 20)]);
    let total = 2_000_000;
    n.client.to_write = total;
    n.client.close_when_written = true;
    n.run(at_ms(600));
    let down = n.now;
    // What the cellular subflow carries and the client has not seen
    // data-acknowledged: what it sent above the data-ACK, and what the
    // scheduler handed it that it has not sent yet (Linux reinjects the
    // subflow's whole write queue).
    let sf = &n.a.subflows()[1];
    let (iss, unsent) = (sf.iss(), sf.tcp.unsent_bytes());
    let una = n.a.sender().snd_una();
    let mut outstanding = dsns(&n.path(CELL).ab.log, iss, |_| true);
    outstanding.remove_below(una);
    let expected = outstanding.total() + unsent;
    assert!(expected > 10_000, "the cellular subflow is busy: {expected}");
    // Of those, what has already reached the server.
    let mut arrived = dsns(&n.path(CELL).ab.log, iss, |s| s.arrives.is_some_and(|t| t <= down));
    arrived.remove_below(una);

    n.set_iface(CELL, false);
    n.run(at_ms(20_000));

    assert_eq!(
        n.client.find(|e| matches!(e, ConnEvent::Reinjected { .. })),
        vec![(
            down,
            ConnEvent::Reinjected {
                from_subflow: 1,
                bytes: expected
            }
        )]
    );
    assert_eq!(n.a.subflows()[1].close_reason, Some(CloseReason::Aborted));
    assert_eq!(n.a.stats().reinjected_bytes, expected);
    // Every reinjected byte that had been on the wire went out again on
    // Wi-Fi, after the interface went down.
    let wifi_iss = n.a.subflows()[0].iss();
    let resent = dsns(&n.path(WIFI).ab.log, wifi_iss, |s| s.at >= down);
    for r in outstanding.iter() {
        assert!(resent.contains_range(r.clone()), "{r:?} not resent on Wi-Fi");
    }
    // Nothing more on the cellular path once it is down.
    assert!(n.path(CELL).ab.log.iter().all(|s| s.at < down || s.dropped));
    // The server got every byte once, in order, then the DATA_FIN.
    assert_eq!(n.server.read, total);
    let rx = n.s().receiver().unwrap();
    let idsn = mptcp_crypto::idsn(n.client.key(), MptcpVersion::V1);
    assert_eq!(rx.data_ack(), idsn + 1 + total + 1);
    assert!(rx.fin_received());
    assert_eq!(rx.ooo_bytes(), 0);
    // Copies that arrived twice: only those that had reached the server on
    // the cellular subflow before it went down.
    assert_eq!(rx.duplicate_bytes(), arrived.total());
}

/// A download over fullmesh, Wi-Fi (10 ms) and cellular (20 ms); from
/// 500 ms on, the cellular downlink loses everything (the interface stays
/// up): the server's cellular subflow times out.
#[test]
fn data_of_a_subflow_that_times_out_is_reinjected_on_the_other_and_delivered_once_in_order() {
    let mut n = Net::new(fullmesh(), linux_default(), &[(wifi(), 10), (cell(), 20)]);
    let total = 2_000_000;
    n.server.to_write = total;
    n.server.close_when_written = true;
    n.run(at_ms(500));
    let from = n.path(CELL).ba.log.len();
    n.path_mut(CELL).ba.set_drops(from..from + 1000);
    // Up to the server's first timeout on the cellular subflow.
    n.run_until(at_ms(5000), |n| n.s().subflows()[1].tcp.stats().rto_count > 0);
    let rto = n.now;
    let sf = &n.s().subflows()[1];
    let (iss, unsent) = (sf.iss(), sf.tcp.unsent_bytes());
    let una = n.s().sender().snd_una();
    let mut outstanding = dsns(&n.path(CELL).ba.log, iss, |_| true);
    outstanding.remove_below(una);
    let expected = outstanding.total() + unsent;
    assert!(expected > 10_000, "the cellular subflow had data in flight: {expected}");
    let reinjected = n.server.find(|e| matches!(e, ConnEvent::Reinjected { .. }));
    assert_eq!(
        reinjected,
        vec![(
            rto,
            ConnEvent::Reinjected {
                from_subflow: 1,
                bytes: expected
            }
        )]
    );

    n.run(at_ms(30_000));
    let wifi_iss = n.s().subflows()[0].iss();
    let resent = dsns(&n.path(WIFI).ba.log, wifi_iss, |s| s.at >= rto);
    for r in outstanding.iter() {
        assert!(resent.contains_range(r.clone()), "{r:?} not resent on Wi-Fi");
    }
    assert_eq!(n.client.read, total);
    let rx = n.a.receiver().unwrap();
    let idsn = mptcp_crypto::idsn(n.server.key(), MptcpVersion::V1);
    assert_eq!(rx.data_ack(), idsn + 1 + total + 1);
    assert_eq!(rx.ooo_bytes(), 0);
}
