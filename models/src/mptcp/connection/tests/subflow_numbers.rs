//! Subflow numbers and slots (see `subflow::free_slot`): every subflow gets
//! a new number, a closed subflow's slot (its bit in the scheduler's path
//! masks and its source port) is reused once all `MAX_SUBFLOWS` have been
//! used (Linux v0.95 `mptcp_set_new_pathindex`), and no more than
//! `MAX_SUBFLOWS` are live at once.

use super::*;
use crate::scheduler::MAX_SUBFLOWS;

fn fullmesh_at_once() -> Arc<dyn PathManagerFactory> {
    Arc::new(path_manager::FullMeshConfig {
        address_event_delay: SimDuration::ZERO,
        ..path_manager::FullMeshConfig::default()
    })
}

/// A download over fullmesh, Wi-Fi (10 ms) and cellular (20 ms); the Wi-Fi
/// goes down for 40 ms and up for 60 ms, 1,000 times. Each time it comes
/// back fullmesh joins a new Wi-Fi subflow: 1,001 subflows, more than the
/// 64 slots. Before, the 65th panicked ("too many subflows in one
/// connection").
#[test]
fn a_wifi_that_flaps_1000_times_keeps_the_connection_running_and_delivers_every_byte() {
    let mut n = Net::new(fullmesh_at_once(), linux_default(), &[(wifi(), 10), (cell(), 20)]);
    let total = 150_000_000;
    n.server.to_write = total;
    n.server.close_when_written = true;
    n.run(at_ms(500));
    let mut t = 500;
    let mut last_up = 0;
    for _ in 0..1000 {
        n.set_iface(WIFI, false);
        t += 40;
        n.run(at_ms(t));
        n.set_iface(WIFI, true);
        last_up = t;
        t += 60;
        n.run(at_ms(t));
    }
    // Still transferring on the Wi-Fi subflow joined after the last flap.
    let on_wifi_after_last_up = n
        .path(WIFI)
        .ba
        .data()
        .filter(|s| s.at >= at_ms(last_up) && !s.dropped)
        .count();
    assert!(
        on_wifi_after_last_up > 10,
        "{on_wifi_after_last_up} segments on Wi-Fi after the last flap"
    );
    n.run_until(at_ms(600_000), |n| n.client.read == total);
    assert_eq!(n.client.read, total, "every byte delivered");
    let rx = n.a.receiver().unwrap();
    assert_eq!(rx.ooo_bytes(), 0);

    // 1,001 Wi-Fi subflows and the cellular one, numbered in order, in 64 slots.
    let c = &n.a;
    assert_eq!(c.subflows_opened(), 1002);
    assert_eq!(c.subflows().len(), MAX_SUBFLOWS);
    let ids: Vec<usize> = c.all_subflows().map(|s| s.id).collect();
    assert_eq!(ids, (0..1002).collect::<Vec<_>>());
    // One live Wi-Fi and one live cellular subflow; each slot's port is
    // the first port plus the slot.
    let live: Vec<&Subflow> = c.subflows().iter().filter(|s| s.is_open()).collect();
    assert_eq!(live.len(), 2, "{live:?}");
    for (slot, s) in c.subflows().iter().enumerate() {
        assert_eq!(s.slot, slot);
        assert_eq!(s.tcp.local().1, 40000 + slot as u16);
    }
    // The server accepted every join.
    assert_eq!(n.s().subflows_opened(), 1002);
    // Events name subflows by number: the last Wi-Fi subflow is 1001.
    assert!(
        !n.client
            .find(|e| matches!(e, ConnEvent::SubflowEstablished { subflow: 1001 }))
            .is_empty()
    );
}

/// 65 interfaces under fullmesh: 65 subflows wanted at once, 64 slots. The
/// connection opens 64 and runs; the 65th is not opened (Linux v0.95:
/// no free path index, no SYN). Before, it panicked.
#[test]
fn a_connection_opens_at_most_64_live_subflows_and_keeps_running() {
    let ifaces: Vec<(LocalIface, u64)> = (0..65u32)
        .map(|i| (iface(i, 0x0a01_0002 + (i << 8), IfaceKind::Preferred, true), 10))
        .collect();
    let mut n = Net::new(fullmesh_at_once(), linux_default(), &ifaces);
    let total = 5_000_000;
    n.server.to_write = total;
    n.server.close_when_written = true;
    n.run_until(at_ms(60_000), |n| n.client.read == total);
    assert_eq!(n.client.read, total);
    assert_eq!(n.a.subflows_opened(), MAX_SUBFLOWS);
    assert!(n.a.subflows().iter().all(|s| s.established_at.is_some()));
    // The 65th interface never sent a SYN.
    assert!(n.path(0x0a01_0002 + (64 << 8)).ab.log.is_empty());
}

/// A server whose connection holds 64 live subflows answers one more
/// MP_JOIN SYN with a RST and keeps the 64 (Linux v0.95 tears the child
/// down when no path index is free; upstream resets a join its path
/// manager does not allow).
#[test]
fn a_join_beyond_64_live_subflows_is_reset_and_a_closed_subflows_slot_takes_the_next() {
    let mut n = Net::new(fullmesh_at_once(), linux_default(), &[(wifi(), 10)]);
    n.server.to_write = 1_000_000;
    n.run(at_ms(200));
    let server_key = n.server.key();
    let mut syn = n.path(WIFI).ab.log[0].seg.clone();
    syn.options.mptcp = Default::default();
    syn.options.mptcp.push(MptcpOption::MpJoin(MpJoin::Syn {
        backup: false,
        addr_id: 2,
        token: mptcp_crypto::token(server_key, MptcpVersion::V1),
        nonce: 1,
    }));
    syn.src_addr = CELL;
    let now = n.now;
    let s = n.net.b.as_mut().expect("the server connection");
    assert_eq!(s.subflows_opened(), 1);
    for k in 0..MAX_SUBFLOWS as u16 {
        syn.src_port = 50_000 + k;
        assert!(s.accepts_join(&syn));
        s.handle_segment(now, &syn);
    }
    // 63 joins fill the 64 slots; the 64th join is refused.
    assert_eq!(s.subflows_opened(), MAX_SUBFLOWS);
    assert!(s.subflows().iter().all(Subflow::is_open));
    let mut out = Vec::new();
    while let Some(seg) = s.poll_transmit(now) {
        out.push(seg);
    }
    let last_port = 50_000 + MAX_SUBFLOWS as u16 - 1;
    let to_last: Vec<&Segment> = out.iter().filter(|s| s.dst_port == last_port).collect();
    assert_eq!(to_last.len(), 1, "{to_last:?}");
    assert!(to_last[0].flags.rst, "{:?}", to_last[0]);
    // The accepted ones got their SYN/ACK.
    let syn_acks = out.iter().filter(|s| s.flags.syn && s.flags.ack).count();
    assert_eq!(syn_acks, MAX_SUBFLOWS - 1);

    // The peer resets the subflow in slot 5: its slot is free again (the
    // slot after the last one taken is past the end, so the search starts
    // over), and the next join takes it with the next number, 64.
    let victim = s.subflows()[5].tcp.remote();
    let syn_ack = out.iter().find(|seg| seg.dst_port == victim.1).expect("its SYN/ACK");
    let mut rst = syn.clone();
    rst.src_port = victim.1;
    rst.flags = crate::segment::TcpFlags {
        rst: true,
        ..Default::default()
    };
    rst.seq = syn_ack.ack;
    rst.options = TcpOptions::default();
    s.handle_segment(now, &rst);
    assert!(!s.subflows()[5].is_open(), "the RST closed it");
    syn.src_port = 50_100;
    s.handle_segment(now, &syn);
    assert_eq!(s.subflows_opened(), MAX_SUBFLOWS + 1);
    let reused = &s.subflows()[5];
    assert_eq!((reused.id, reused.slot), (MAX_SUBFLOWS, 5));
    assert_eq!(reused.tcp.remote().1, 50_100);
    assert!(reused.is_open());
    // Every subflow is still listed, in order.
    let ids: Vec<usize> = s.all_subflows().map(|sf| sf.id).collect();
    assert_eq!(ids, (0..=MAX_SUBFLOWS).collect::<Vec<_>>());
}
