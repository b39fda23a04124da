//! Opening: the three-way handshake, SYN and SYN/ACK loss and retries,
//! option negotiation, the handshake's RTT sample, a refused connection.

use super::*;

#[test]
fn the_first_rtt_sample_comes_from_the_handshake() {
    let mut p = Pair::new(plain(), plain(), 100);
    p.run_until(secs(1), |p| p.a.state() == TcpState::Established);
    let srtt = p.a.srtt().unwrap();
    // Two 10 ms delays plus the serialisation of SYN and SYN/ACK.
    assert!(srtt > ms(20) && srtt < ms(21), "{srtt}");
    // Linux (the default): SRTT + max(4 x mdev = 2 SRTT, 200 ms).
    assert_eq!(p.a.rto(), srtt + ms(200));
    // RFC 6298: max(200 ms, SRTT + 4 RTTVAR = 3 SRTT).
    let rfc = TcpConfig {
        rto_estimator: RtoEstimator::Rfc6298,
        ..plain()
    };
    let mut p = Pair::new(rfc.clone(), rfc, 100);
    p.run_until(secs(1), |p| p.a.state() == TcpState::Established);
    assert_eq!(p.a.rto(), ms(200));
}

#[test]
fn syn_loss_is_retried_with_exponential_backoff() {
    let mut p = Pair::new(TcpConfig::default(), TcpConfig::default(), 1000);
    p.ab.set_drops([0, 1]);
    p.run(secs(60));
    let syns: Vec<_> = p.ab.log.iter().filter(|s| s.seg.flags.syn).map(|s| s.at).collect();
    assert_eq!(syns, vec![secs(0), secs(1), secs(3)]);
    assert_eq!(p.delivered, 1000);
    let (connected_at, _) = p.a_events.iter().find(|(_, e)| *e == TcpEvent::Connected).unwrap();
    assert!(*connected_at > secs(3) && *connected_at < secs(3) + ms(30));
    // RFC 6298 5.7: no handshake sample after a SYN retransmission: 3 s.
    assert_eq!(p.a.stats().syn_retransmits, 2);
}

#[test]
fn a_syn_never_answered_ends_with_timeout_after_the_configured_retries() {
    let cfg = TcpConfig {
        syn_retries: 2,
        ..TcpConfig::default()
    };
    let mut p = Pair::new(cfg, TcpConfig::default(), 1000);
    p.ab.set_drops(0..10);
    p.run(secs(60));
    let syns: Vec<_> = p.ab.log.iter().map(|s| s.at).collect();
    assert_eq!(syns, vec![secs(0), secs(1), secs(3)]);
    let (at, _) = p.a_events.last().unwrap();
    assert_eq!(p.a_closed(), Some(CloseReason::Timeout));
    assert_eq!(*at, secs(7));
}

#[test]
fn a_lost_syn_ack_is_retransmitted_and_the_rto_falls_back_to_three_seconds() {
    let mut p = Pair::new(plain(), plain(), 1000);
    p.ba.set_drops([0]);
    p.a_closes = false;
    p.run_until(secs(10), |p| p.delivered == 1000);
    let synacks: Vec<_> = p.ba.log.iter().filter(|s| s.seg.flags.syn).collect();
    assert_eq!(synacks.len(), 2);
    assert!(synacks[1].tx.is_retransmission);
    assert_eq!(p.b().rto(), ms(3000).max(p.b().rto()));
    assert!(p.b().srtt().is_none() || p.b().rto() >= ms(200));
}

#[test]
fn the_handshake_negotiates_mss_window_scale_sack_and_timestamps() {
    let cfg_b = TcpConfig {
        mss_bytes: 1000,
        rcv_buf_bytes: 1 << 20,
        ..TcpConfig::default()
    };
    let mut p = Pair::new(TcpConfig::default(), cfg_b, 10_000);
    p.run(secs(10));
    // min(1460, 1000) minus 12 timestamp bytes.
    assert_eq!(p.a.smss_bytes(), 988);
    assert_eq!(p.b().smss_bytes(), 988);
    assert!(p.a.sack_negotiated() && p.a.timestamps_negotiated());
    // A offers 6 MiB (shift 7), B 1 MiB (shift 5).
    assert_eq!(p.a.window_scales(), Some((7, 5)));
    assert_eq!(p.b().window_scales(), Some((5, 7)));
    let syn = p.ab.log[0].seg.clone();
    assert_eq!(syn.options.mss, Some(1460));
    assert_eq!(syn.options.window_scale, Some(7));
    assert!(syn.options.sack_permitted);
    // Data segments never exceed the negotiated size.
    assert!(p.ab.data().all(|s| s.seg.payload_len <= 988));
}

#[test]
fn options_are_used_only_when_both_sides_offer_them() {
    let cfg_b = TcpConfig {
        window_scale: false,
        timestamps: false,
        sack: false,
        ..TcpConfig::default()
    };
    let mut p = Pair::new(TcpConfig::default(), cfg_b, 100_000);
    p.ab.set_drops([20]);
    p.run(secs(30));
    assert_eq!(p.delivered, 100_000);
    assert_eq!(p.a.window_scales(), None);
    assert!(!p.a.sack_negotiated() && !p.a.timestamps_negotiated());
    let synack = p.ba.log[0].seg.clone();
    assert_eq!(synack.options.window_scale, None);
    assert!(!synack.options.sack_permitted);
    assert!(synack.options.timestamps.is_none());
    assert!(p.ab.log.iter().skip(1).all(|s| s.seg.options.timestamps.is_none()));
    assert!(p.ba.log.iter().all(|s| s.seg.options.sack.is_empty()));
    // Without scaling the window is at most 65535 bytes.
    assert!(p.a.peer_window_bytes() <= 65_535);
    assert_eq!(p.a.smss_bytes(), 1460);
}

#[test]
fn a_rst_answering_the_syn_refuses_the_connection() {
    let mut a = TcpEndpoint::connect(SimTime::ZERO, A, B, ISN_A, plain(), reno(&plain()));
    let syn = a.poll_transmit(SimTime::ZERO).unwrap().seg;
    let mut rst = syn.clone();
    rst.src_addr = syn.dst_addr;
    rst.dst_addr = syn.src_addr;
    rst.src_port = syn.dst_port;
    rst.dst_port = syn.src_port;
    rst.seq = 0;
    rst.ack = syn.seq + 1;
    rst.flags = TcpFlags {
        rst: true,
        ack: true,
        ..TcpFlags::default()
    };
    rst.options = TcpOptions::default();
    a.handle_segment(SimTime::from_millis(20), &rst);
    assert_eq!(a.state(), TcpState::Closed);
    assert_eq!(
        a.poll_event(),
        Some(TcpEvent::Closed {
            reason: CloseReason::Rst
        })
    );
    assert_eq!(a.poll_transmit(SimTime::from_millis(20)), None);
    assert_eq!(a.poll_timeout(), None);
}
