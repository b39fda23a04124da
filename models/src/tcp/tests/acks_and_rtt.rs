//! Acknowledgements and RTT: delayed ACKs, immediate ACKs with SACK blocks
//! for out-of-order data, Karn's rule and timestamp samples.

use super::*;

#[test]
fn delayed_ack_acks_every_second_full_sized_segment() {
    let cfg_b = TcpConfig {
        quickack_segments: 0,
        ..plain()
    };
    let mut p = Pair::new(plain(), cfg_b, 20 * 1460);
    p.a_closes = false;
    p.run(secs(5));
    assert_eq!(p.delivered, 20 * 1460);
    let b = p.b();
    assert_eq!(b.stats().pure_acks_sent, 10);
    assert_eq!(b.stats().delayed_acks_sent, 0);
}

#[test]
fn the_40ms_delayed_ack_timer_acks_a_lone_segment() {
    let cfg_b = TcpConfig {
        quickack_segments: 0,
        ..plain()
    };
    let mut p = Pair::new(plain(), cfg_b, 100);
    p.a_closes = false;
    p.run(secs(5));
    let data = p.ab.data().next().unwrap();
    let ack =
        p.ba.log
            .iter()
            .find(|s| !s.seg.flags.syn && s.seg.ack == data.seg.seq + 100)
            .unwrap();
    assert_eq!(ack.at - data.arrives.unwrap(), ms(40));
    assert_eq!(p.b().stats().delayed_acks_sent, 1);
}

#[test]
fn with_delayed_ack_off_every_segment_is_acked_at_once() {
    let cfg_b = TcpConfig {
        delayed_ack: false,
        ..plain()
    };
    let mut p = Pair::new(plain(), cfg_b, 20 * 1460);
    p.a_closes = false;
    p.run(secs(5));
    assert_eq!(p.b().stats().pure_acks_sent, 20);
}

#[test]
fn out_of_order_data_is_acked_at_once_with_sack_blocks_most_recent_first() {
    let cfg_b = TcpConfig {
        quickack_segments: 0,
        ..TcpConfig::default()
    };
    let mut p = Pair::new(TcpConfig::default(), cfg_b, 30 * 1448);
    p.ab.set_drops([3, 5]);
    p.run(secs(10));
    assert_eq!(p.delivered, 30 * 1448);
    // The first ACK after the second hole carries two blocks, newest first.
    let two =
        p.ba.log
            .iter()
            .find(|s| s.seg.options.sack.len() == 2)
            .expect("two blocks");
    let b = two.seg.options.sack.as_slice();
    assert!(b[0].left > b[1].left);
}

#[test]
fn karns_rule_excludes_the_retransmitted_segment_from_rtt_samples() {
    // The lost tail is left to the RTO (no loss probe).
    let cfg = TcpConfig {
        rack_tlp: false,
        ..plain()
    };
    let mut p = Pair::new(cfg.clone(), cfg, 5 * 1460);
    p.ab.set_drops([6]);
    p.a_closes = false;
    p.run_until(secs(10), |p| p.a.stats().rto_count == 1);
    let samples = p.a.stats().rtt_samples;
    let srtt = p.a.srtt();
    p.run(secs(10));
    assert_eq!(p.delivered, 5 * 1460);
    assert_eq!(p.a.snd_una(), p.a.snd_nxt());
    assert_eq!(p.a.stats().rtt_samples, samples);
    assert_eq!(p.a.srtt(), srtt);
    // The backoff stays until a valid sample (Karn's algorithm).
    assert_eq!(p.a.rtt_estimator().backoff(), 1);
}

#[test]
fn with_timestamps_an_ack_of_a_retransmission_still_gives_an_rtt_sample() {
    // The lost tail is left to the RTO (no loss probe).
    let cfg = TcpConfig {
        rack_tlp: false,
        ..TcpConfig::default()
    };
    let mut p = Pair::new(cfg.clone(), cfg, 5 * 1448);
    p.ab.set_drops([6]);
    p.a_closes = false;
    p.run_until(secs(10), |p| p.a.stats().rto_count == 1);
    let samples = p.a.stats().rtt_samples;
    p.run(secs(10));
    assert_eq!(p.a.stats().rtt_samples, samples + 1);
    assert_eq!(p.a.rtt_estimator().backoff(), 0);
}
