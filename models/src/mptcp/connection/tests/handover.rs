//! iOS handover (`IosFactory { service: Handover }`): Wi-Fi takes over
//! from cellular, and the cellular subflow goes as XNU 4570/4903 let it
//! go: a zero-window ACK, then a RST (see `path_manager::ios_handover`).

use super::*;
use crate::path_manager::{IosConfig, IosFactory, ServiceType};
use crate::segment::TcpFlags;

fn handover() -> Arc<dyn PathManagerFactory> {
    let config = IosConfig::default();
    assert!(config.zero_window_before_rst);
    Arc::new(IosFactory {
        service: ServiceType::Handover,
        config,
    })
}

/// A download to a client that starts on cellular (30 ms one way) with
/// Wi-Fi (10 ms) down; Wi-Fi comes up at 500 ms.
#[test]
fn when_wifi_comes_up_the_cellular_subflow_sends_a_bare_zero_window_ack_then_a_rst() {
    let wifi_down = iface(0, WIFI, IfaceKind::Preferred, false);
    let mut n = Net::new(handover(), linux_default(), &[(wifi_down, 10), (cell(), 30)]);
    let total = 3_000_000;
    n.server.to_write = total;
    n.server.close_when_written = true;
    n.run(at_ms(500));
    assert!(n.path(WIFI).ab.log.is_empty());
    assert!(n.path(CELL).ba.data().count() > 10, "the download runs on cellular");
    n.set_iface(WIFI, true);
    n.run(at_ms(30_000));

    let cell_up = &n.path(CELL).ab.log;
    let k = cell_up
        .iter()
        .position(|s| s.seg.window == 0)
        .expect("a zero window on the cellular subflow");
    let (zw, rst) = (cell_up[k].clone(), cell_up[k + 1].clone());
    // A bare ACK: the 20-byte header, no option, no payload, window 0.
    assert_eq!(
        zw.seg.flags,
        TcpFlags {
            ack: true,
            ..TcpFlags::default()
        }
    );
    assert_eq!(zw.seg.options, TcpOptions::default());
    assert_eq!(crate::wire::tcp_header_len(&zw.seg, MptcpVersion::V1), 20);
    assert_eq!(zw.seg.payload_len, 0);
    // Immediately followed by the RST, at the same instant, from the same
    // sequence number; nothing after it.
    assert!(rst.seg.flags.rst, "{rst:?}");
    assert_eq!(rst.at, zw.at);
    assert_eq!(rst.seg.seq, zw.seg.seq);
    assert_eq!(cell_up.len(), k + 2);
    // The moment the Wi-Fi join completed at the client (its SYN/ACK arrived).
    let wifi_synack = n.path(WIFI).ba.log[0].clone();
    assert!(join(&wifi_synack.seg).is_some_and(|j| matches!(j, MpJoin::SynAck { .. })));
    assert_eq!(zw.at, wifi_synack.arrives.unwrap());
    // The server's cellular subflow is reset; the download completes on
    // Wi-Fi, whose subflow then closes in order (both DATA_FINs, then FINs).
    let fin = |e: &ConnEvent| {
        matches!(
            e,
            ConnEvent::SubflowClosed {
                subflow: 1,
                reason: CloseReason::Fin
            }
        )
    };
    assert_eq!(n.server.find(fin).len(), 1);
    assert_eq!(
        n.server
            .find(|e| matches!(e, ConnEvent::SubflowClosed { .. }) && !fin(e)),
        vec![(
            rst.arrives.unwrap(),
            ConnEvent::SubflowClosed {
                subflow: 0,
                reason: CloseReason::Rst
            }
        )]
    );
    assert_eq!(n.client.read, total);
}
