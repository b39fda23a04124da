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
