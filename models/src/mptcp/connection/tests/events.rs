//! The connection's reports for observers (`report_segments`): every
//! hand-over with its kind, every segment's DSS, data-ACK progress and the
//! subflows' windows, and none of them when the switch is off.

use super::*;

fn reporting(role: Role, pm: Arc<dyn PathManagerFactory>) -> ConnConfig {
    ConnConfig {
        meta_recovery: MetaRecovery::OutOfTree,
        report_segments: true,
        ..cfg(role, pm)
    }
}

/// A 200 kB download over two paths, the server reporting.
fn download(report: bool) -> Net {
    let server = if report {
        reporting(Role::Server, linux_default())
    } else {
        cfg(Role::Server, linux_default())
    };
    let mut n = Net::with(cfg(Role::Client, fullmesh()), server, &[(wifi(), 10), (cell(), 30)]);
    n.run(at_ms(1000));
    n.net.b.as_mut().unwrap().write(200_000);
    n.run(at_ms(6000));
    assert_eq!(n.client.read, 200_000);
    n
}

#[test]
fn every_byte_handed_to_a_subflow_is_reported_once_as_new_data_and_every_dss_segment_once() {
    let n = download(true);
    let first = n.s().sender().write_end() - 200_000;
    let mut new = RangeSet::default();
    let mut total = 0;
    for (_, e) in n.server.find(|e| matches!(e, ConnEvent::Scheduled(_))) {
        let ConnEvent::Scheduled(s) = e else { unreachable!() };
        if s.kind == crate::scheduler::SentKind::NewData {
            assert!(!new.overlaps(s.dsn..s.dsn + s.len_bytes), "{s:?} handed twice as new");
            new.insert(s.dsn..s.dsn + s.len_bytes);
            total += s.len_bytes;
        }
    }
    assert_eq!(total, 200_000);
    assert!(new.contains_range(first..first + 200_000), "{:?}", new.first());
    // One SegmentSent per server segment with a DSS, carrying its payload.
    let reported: u64 = n
        .server
        .find(|e| matches!(e, ConnEvent::SegmentSent { .. }))
        .iter()
        .map(|(_, e)| match e {
            ConnEvent::SegmentSent { payload_len, .. } => *payload_len,
            _ => 0,
        })
        .sum();
    let on_wire: u64 = n
        .all_segments()
        .filter(|s| s.seg.src_addr == SERVER && s.seg.options.mptcp.dss().is_some())
        .map(|s| u64::from(s.seg.payload_len))
        .sum();
    assert_eq!(reported, on_wire);
    assert!(reported >= 200_000);
}

#[test]
fn the_data_ack_reports_climb_to_the_end_of_the_data_and_windows_are_reported_as_they_change() {
    let n = download(true);
    let acks: Vec<u64> = n
        .server
        .find(|e| matches!(e, ConnEvent::DataAcked { .. }))
        .iter()
        .map(|(_, e)| match e {
            ConnEvent::DataAcked { data_ack } => *data_ack,
            _ => 0,
        })
        .collect();
    assert!(acks.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    assert_eq!(acks.last().copied(), Some(n.s().sender().snd_una()));
    let windows = n.server.find(|e| matches!(e, ConnEvent::SubflowWindow { .. }));
    // Slow start on both subflows: the window grows past its initial 10 segments.
    for sf in [0, 1] {
        let grew = windows.iter().any(|(_, e)| {
            matches!(e, ConnEvent::SubflowWindow { subflow, cwnd_bytes, .. } if *subflow == sf && *cwnd_bytes > 14_600)
        });
        assert!(grew, "subflow {sf}");
    }
}

#[test]
fn without_the_switch_the_connection_reports_none_of_them() {
    let n = download(false);
    assert!(
        n.server
            .find(|e| matches!(
                e,
                ConnEvent::Scheduled(_)
                    | ConnEvent::SegmentSent { .. }
                    | ConnEvent::DataAcked { .. }
                    | ConnEvent::SubflowWindow { .. }
            ))
            .is_empty()
    );
}
