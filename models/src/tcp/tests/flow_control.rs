//! Flow control: the peer's window (zero window, persist timer and
//! probes, a forced zero window) and the send buffer.

use super::*;

#[test]
fn a_zero_window_stalls_the_sender_and_a_window_update_resumes_it() {
    let cfg_b = TcpConfig {
        rcv_buf_bytes: 20_000,
        ..TcpConfig::default()
    };
    let n = 100_000;
    let mut p = Pair::new(TcpConfig::default(), cfg_b, n);
    p.b_reads = false;
    p.run(secs(3));
    assert_eq!(p.a.peer_window_bytes(), 0, "B's buffer is full");
    assert_eq!(p.b().readable_bytes(), 20_000);
    assert!(p.a.timers().is_armed(Timer::Persist));
    assert!(p.b().stats().zero_window_adverts > 0);
    p.b_reads = true;
    p.run(secs(60));
    assert_eq!(p.delivered, n);
    assert_eq!(p.a.stats().rto_count, 0);
}

#[test]
fn a_zero_window_probe_resumes_the_sender_when_the_window_update_is_lost() {
    let cfg_b = TcpConfig {
        rcv_buf_bytes: 20_000,
        ..TcpConfig::default()
    };
    let n = 100_000;
    let mut p = Pair::new(TcpConfig::default(), cfg_b, n);
    p.b_reads = false;
    p.run_until(secs(3), |p| p.a.timers().is_armed(Timer::Persist));
    let probes_before = p.a.stats().window_probes_sent;
    // The window update B sends when its application reads is lost.
    p.ba.drop_next();
    p.b_reads = true;
    p.run(secs(60));
    assert_eq!(p.delivered, n);
    assert!(p.a.stats().window_probes_sent > probes_before);
    assert_eq!(p.a.stats().rto_count, 0);
}

#[test]
fn persist_probes_back_off_while_the_window_stays_closed() {
    let cfg_b = TcpConfig {
        rcv_buf_bytes: 20_000,
        ..TcpConfig::default()
    };
    let mut p = Pair::new(TcpConfig::default(), cfg_b, 100_000);
    p.b_reads = false;
    p.run(secs(10));
    // Zero-window probes: an old sequence number, no payload.
    let una = p.a.snd_una();
    let probes: Vec<_> =
        p.ab.log
            .iter()
            .filter(|s| s.seg.payload_len == 0 && s.seg.seq + 1 == una)
            .map(|s| s.at)
            .collect();
    assert!(probes.len() >= 3, "{probes:?}");
    let g1 = probes[1] - probes[0];
    let g2 = probes[2] - probes[1];
    assert_eq!(g2, g1.saturating_mul(2));
    assert_eq!(p.a.state(), TcpState::FinWait1, "the connection stays up");
}

#[test]
fn a_forced_zero_window_stalls_the_sender_until_it_is_lifted() {
    let n = 2_000_000;
    let mut p = Pair::new(TcpConfig::default(), TcpConfig::default(), n);
    p.run_until(secs(10), |p| p.delivered > 100_000);
    p.b.as_mut().unwrap().set_zero_window(true);
    p.run_until(secs(10), |p| p.a.peer_window_bytes() == 0 && p.a.bytes_in_flight() == 0);
    let at = p.delivered;
    p.run(p.now + SimDuration::from_secs(2));
    assert_eq!(p.delivered, at, "nothing moves while the window is zero");
    assert!(p.a.stats().window_probes_sent > 0);
    p.b.as_mut().unwrap().set_zero_window(false);
    p.run(secs(120));
    assert_eq!(p.delivered, n);
}

#[test]
fn the_sender_never_exceeds_the_peers_window() {
    let cfg_b = TcpConfig {
        rcv_buf_bytes: 30_000,
        ..TcpConfig::default()
    };
    let mut p = Pair::new(TcpConfig::default(), cfg_b, 300_000);
    p.run(secs(60));
    assert_eq!(p.delivered, 300_000);
    // Each data segment ends within the window B last offered before it
    // was sent: check against B's buffer from the ACK clock.
    let mut right = 0;
    let mut acks =
        p.ba.log
            .iter()
            .filter_map(|s| s.arrives.map(|t| (t, s.seg.clone())))
            .peekable();
    for s in p.ab.data() {
        while let Some((t, seg)) = acks.peek() {
            if *t > s.at {
                break;
            }
            let scale = p.b().window_scales().map_or(0, |w| w.0);
            let w = if seg.flags.syn {
                seg.window as u64
            } else {
                (seg.window as u64) << scale
            };
            right = right.max(seg.ack + w);
            acks.next();
        }
        assert!(
            s.seg.seq + s.seg.payload_len as u64 <= right,
            "segment beyond the window"
        );
    }
}

#[test]
fn a_short_send_buffer_reports_writable_once_acks_free_space() {
    let cfg = TcpConfig {
        snd_buf_bytes: 30_000,
        ..TcpConfig::default()
    };
    let n = 200_000;
    let mut p = Pair::new(cfg, TcpConfig::default(), n);
    p.run(secs(30));
    assert_eq!(p.delivered, n);
    assert!(p.a_events.iter().any(|(_, e)| *e == TcpEvent::Writable));
    // Never more than the buffer outstanding.
    assert!(
        p.ab.data()
            .all(|s| s.seg.seq + s.seg.payload_len as u64 <= ISN_A + 1 + n)
    );
}
