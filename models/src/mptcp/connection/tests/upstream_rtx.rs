//! Upstream's MPTCP-level recovery (`MetaRecovery::Upstream`,
//! `crate::mptcp::upstream_rtx`) against v0.95's (`OutOfTree`): an upload
//! over the in-kernel path manager on Wi-Fi (10 ms) and cellular (30 ms),
//! whose Wi-Fi link dies at 1 s with no endpoint change (the kernel
//! ignores link state).

use super::*;
use crate::path_manager::InKernelConfig;

fn run(recovery: MetaRecovery) -> Net {
    let pm: Arc<dyn PathManagerFactory> = Arc::new(InKernelConfig::default());
    let mut client = cfg(Role::Client, pm.clone());
    client.meta_recovery = recovery;
    let mut server = cfg(Role::Server, pm);
    server.meta_recovery = recovery;
    let mut n = Net::with(client, server, &[(wifi(), 10), (cell(), 30)]);
    n.client.to_write = 3_000_000;
    n.client.close_when_written = true;
    n.run(at_ms(1000));
    assert!(
        n.a.subflows().len() == 2 && n.path(CELL).ab.data().count() > 10,
        "both paths carry data"
    );
    n.set_links_up(WIFI, false);
    n.run(at_ms(60_000));
    n
}

fn reinjections(n: &Net) -> Vec<(SimTime, ConnEvent)> {
    n.client.find(|e| matches!(e, ConnEvent::Reinjected { .. }))
}

#[test]
fn out_of_tree_reinjects_the_dead_subflows_data_at_its_first_rto() {
    let n = run(MetaRecovery::OutOfTree);
    let first = reinjections(&n)[0];
    // The first Wi-Fi RTO: within a second of the failure.
    assert!(first.0 > at_ms(1000) && first.0 < at_ms(2000), "{first:?}");
    assert_eq!(n.server.read, 3_000_000);
}

#[test]
fn upstream_leaves_subflow_rtos_to_tcp_and_moves_the_data_once_the_dead_subflow_is_stale() {
    let n = run(MetaRecovery::Upstream {
        stale_loss_cnt: crate::mptcp::upstream_rtx::DEFAULT_STALE_LOSS_CNT,
    });
    let wifi_rtos = n.a.subflows()[0].tcp.stats().rto_count;
    let events = reinjections(&n);
    // One reinjection of everything not data-acknowledged, when Wi-Fi is
    // marked stale: after more than four timer periods without progress,
    // so after several Wi-Fi RTOs that reinjected nothing.
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(events[0].1, ConnEvent::Reinjected { from_subflow: 0, .. }));
    // Meanwhile the timer resent the head on the cellular subflow whenever
    // it was idle.
    assert!(n.a.stats().meta_retransmitted_bytes > 0);
    assert!(wifi_rtos >= 2, "{wifi_rtos}");
    assert!(events[0].0 > at_ms(1800), "{events:?}");
    assert_eq!(n.server.read, 3_000_000);
}

#[test]
fn with_stale_loss_cnt_zero_a_dead_subflow_never_turns_stale() {
    let n = run(MetaRecovery::Upstream { stale_loss_cnt: 0 });
    assert!(reinjections(&n).is_empty());
}
