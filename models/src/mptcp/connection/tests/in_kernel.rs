//! The upstream in-kernel path manager (`path_manager::in_kernel`) on both
//! ends: the endpoint of the Wi-Fi address is deleted while Wi-Fi is down,
//! as mptcpd does it, and the connection moves to the cellular backup at
//! once.

use super::*;
use crate::path_manager::{EndpointChange, EndpointFlags, InKernelConfig};

fn in_kernel() -> Arc<dyn PathManagerFactory> {
    Arc::new(InKernelConfig::default())
}

fn remove_addr(seg: &Segment) -> Option<u8> {
    seg.options.mptcp.iter().find_map(|o| match o {
        MptcpOption::RemoveAddr { addr_ids } => addr_ids.as_slice().first().copied(),
        _ => None,
    })
}

#[test]
fn deleting_the_wifi_endpoint_sends_remove_addr_on_the_cellular_backup_at_once_and_the_download_completes() {
    let mut cell_backup = cell();
    cell_backup.endpoint = Some(EndpointFlags {
        subflow: true,
        backup: true,
        ..Default::default()
    });
    let mut n = Net::new(in_kernel(), in_kernel(), &[(wifi(), 10), (cell_backup, 30)]);
    let total = 4_000_000;
    n.server.to_write = total;
    n.server.close_when_written = true;
    n.run(at_ms(1000));
    // The cellular join, with the B bit, right after full establishment
    // (the first data from the server, two Wi-Fi round trips in).
    let join_syn = n.path(CELL).ab.log[0].clone();
    assert!(matches!(join(&join_syn.seg), Some(MpJoin::Syn { backup: true, .. })));
    assert!(join_syn.at <= at_ms(45), "{:?}", join_syn.at);
    // While both work, the server leaves the backup idle.
    assert_eq!(n.path(CELL).ba.data().count(), 0);

    n.set_iface(WIFI, false);
    let now = n.now;
    n.a.handle_endpoint(now, WIFI, EndpointChange::Remove);
    n.run(at_ms(30_000));

    // REMOVE_ADDR for address id 0 (the initial subflow's) leaves on the
    // cellular subflow at the instant of the deletion.
    let rm = n
        .path(CELL)
        .ab
        .log
        .iter()
        .find(|s| remove_addr(&s.seg).is_some())
        .expect("REMOVE_ADDR on the cellular subflow");
    assert_eq!(remove_addr(&rm.seg), Some(0));
    assert_eq!(rm.at, now);
    // The server closes its Wi-Fi subflow on it and carries on over cellular.
    let closed = n.server.find(|e| matches!(e, ConnEvent::Reinjected { .. }));
    assert!(!closed.is_empty());
    assert!(
        n.path(CELL)
            .ba
            .data()
            .next()
            .is_some_and(|s| s.at >= rm.arrives.unwrap())
    );
    assert_eq!(n.client.read, total);
}

#[test]
fn a_joined_subflow_closed_by_its_path_manager_is_orphaned_and_gives_its_fin_up_after_eight_timeouts() {
    let mut cell_sub = cell();
    cell_sub.endpoint = Some(EndpointFlags {
        subflow: true,
        ..Default::default()
    });
    let mut n = Net::new(in_kernel(), in_kernel(), &[(wifi(), 10), (cell_sub, 30)]);
    n.server.to_write = 400_000;
    n.run(at_ms(2_000));
    assert_eq!(n.a.subflows().len(), 2);
    let joined =
        n.a.subflows()
            .iter()
            .position(|s| !s.initial)
            .expect("the cellular join");
    let id = n.a.subflows()[joined].id;

    // The cellular link dies and its endpoint is deleted: the client
    // closes the joined subflow (pm.c mptcp_pm_rm_addr_or_subflow), whose
    // FIN can never be acknowledged.
    n.set_links_up(CELL, false);
    let now = n.now;
    n.a.handle_endpoint(now, CELL, EndpointChange::Remove);
    n.run(now + SimDuration::from_millis(1));
    let sf = &n.a.subflows()[joined];
    assert!(sf.tcp.is_orphaned());
    assert!(!n.a.subflows().iter().find(|s| s.initial).unwrap().tcp.is_orphaned());

    n.run(at_ms(400_000));
    let closed = n
        .client
        .find(|e| matches!(e, ConnEvent::SubflowClosed { subflow, .. } if *subflow == id));
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert!(matches!(
        closed[0].1,
        ConnEvent::SubflowClosed {
            reason: CloseReason::Timeout,
            ..
        }
    ));
    let sf =
        n.a.subflows()
            .iter()
            .find(|s| s.id == id)
            .expect("a closed subflow stays listed");
    assert_eq!(sf.tcp.stats().rto_count, 8);
    // 8 backoffs from a first RTO of at least 200 ms: at least 102.2 s.
    assert!(
        closed[0].0 >= now + SimDuration::from_millis(102_200),
        "{:?}",
        closed[0].0
    );
}
