//! Closing: FIN teardown through the closing states, simultaneous close,
//! RST, nothing sent after close.

use super::*;

#[test]
fn fin_teardown_walks_both_sides_through_the_closing_states() {
    let mut p = Pair::new(TcpConfig::default(), TcpConfig::default(), 3000);
    p.b_closes_on_fin = false;
    p.run_until(secs(5), |p| {
        p.b.as_ref().is_some_and(|b| b.state() == TcpState::CloseWait)
    });
    p.run(p.now + ms(100));
    assert_eq!(p.a.state(), TcpState::FinWait2);
    assert_eq!(p.b().state(), TcpState::CloseWait);
    p.b.as_mut().unwrap().close();
    assert_eq!(p.b().state(), TcpState::LastAck);
    p.run_until(secs(5), |p| p.a.state() == TcpState::TimeWait);
    let tw_at = p.now;
    p.run(secs(10));
    assert_eq!(p.b_closed(), Some(CloseReason::Fin));
    assert_eq!(p.a_closed(), Some(CloseReason::Fin));
    let (closed_at, _) = p.a_events.last().unwrap();
    assert_eq!(*closed_at, tw_at + TcpConfig::default().time_wait);
    assert!(p.b_events.iter().any(|(_, e)| *e == TcpEvent::PeerFin));
    assert!(p.a_events.iter().any(|(_, e)| *e == TcpEvent::PeerFin));
}

#[test]
fn simultaneous_close_goes_through_closing_to_time_wait() {
    let mut p = Pair::new(plain(), plain(), 0);
    p.a_closes = false;
    p.run_until(secs(5), |p| {
        p.b.as_ref().is_some_and(|b| b.state() == TcpState::Established)
    });
    p.run(p.now + ms(100));
    p.a.close();
    p.b.as_mut().unwrap().close();
    p.run(secs(10));
    assert_eq!(p.a_closed(), Some(CloseReason::Fin));
    assert_eq!(p.b_closed(), Some(CloseReason::Fin));
    // Both FINs crossed: both waited in TIME-WAIT (1 s) after CLOSING.
    assert!(p.a_events.last().unwrap().0 >= secs(1));
}

#[test]
fn a_rst_ends_the_connection_at_once() {
    let mut p = Pair::new(TcpConfig::default(), TcpConfig::default(), 10_000_000);
    p.run_until(secs(10), |p| p.delivered > 100_000);
    p.b.as_mut().unwrap().abort();
    let abort_at = p.now;
    p.pump();
    let rst = p.ba.log.last().unwrap();
    assert!(rst.seg.flags.rst);
    let arrives = rst.arrives.unwrap();
    p.run(secs(20));
    assert_eq!(p.b_closed(), Some(CloseReason::Aborted));
    let (at, _) = p
        .a_events
        .iter()
        .find(|(_, e)| {
            *e == TcpEvent::Closed {
                reason: CloseReason::Rst,
            }
        })
        .expect("A sees the RST");
    assert_eq!(*at, arrives);
    assert!(arrives > abort_at);
    assert_eq!(p.a.state(), TcpState::Closed);
    assert!(
        p.ab.log.iter().all(|s| s.at <= arrives),
        "A sends nothing after the RST"
    );
    assert_eq!(p.a.poll_timeout(), None);
}

#[test]
fn nothing_can_be_sent_after_close_and_the_fin_follows_all_queued_data() {
    let mut p = Pair::new(plain(), plain(), 10_000);
    p.run(secs(10));
    assert_eq!(p.a.send(10), 0);
    assert_eq!(p.a.send_space(), 0);
    let fin = p.ab.log.iter().find(|s| s.seg.flags.fin).unwrap();
    assert_eq!(fin.seg.seq + fin.seg.payload_len as u64, ISN_A + 1 + 10_000);
    assert_eq!(p.ab.log.iter().filter(|s| s.seg.flags.fin).count(), 1);
}

/// A sends 5 segments, all acknowledged; then A's outgoing link goes
/// down and A closes with `close` or `close_orphaned`: the FIN is never
/// acknowledged. Returns A's retransmission timeouts and how it ended.
fn fin_over_a_dead_link(cfg: TcpConfig, orphan: bool) -> (u64, Option<CloseReason>) {
    let mut p = Pair::new(cfg.clone(), cfg, 5 * 1460);
    p.a_closes = false;
    p.run_until(secs(5), |p| p.delivered == 5 * 1460);
    p.run(p.now + ms(500));
    assert_eq!(p.a.stats().rto_count, 0);
    let now = p.now;
    p.ab.set_up(now, false);
    if orphan {
        p.a.close_orphaned();
    } else {
        p.a.close();
    }
    assert_eq!(p.a.is_orphaned(), orphan);
    p.run(secs(3_000));
    (p.a.stats().rto_count, p.a_closed())
}

#[test]
fn an_orphan_gives_its_fin_up_after_eight_timeouts_where_a_plain_close_takes_fifteen() {
    // Linux tcp_orphan_retries (8 while the RTO is below TCP_RTO_MAX)
    // against tcp_retries2 (15).
    assert_eq!(fin_over_a_dead_link(plain(), true), (8, Some(CloseReason::Timeout)));
    assert_eq!(fin_over_a_dead_link(plain(), false), (15, Some(CloseReason::Timeout)));
}

#[test]
fn an_orphan_whose_rto_has_reached_rto_max_gives_up_at_the_next_timeout() {
    // The first timeout (200 ms, below the 400 ms maximum) retransmits;
    // the second finds the RTO at its maximum: Linux tcp_orphan_retries
    // gives 0 and retransmits_timed_out expires once one retransmission
    // was made.
    let cfg = TcpConfig {
        rto_max: SimDuration::from_millis(400),
        ..plain()
    };
    assert_eq!(fin_over_a_dead_link(cfg.clone(), true), (1, Some(CloseReason::Timeout)));
    assert_eq!(fin_over_a_dead_link(cfg, false), (15, Some(CloseReason::Timeout)));
}
