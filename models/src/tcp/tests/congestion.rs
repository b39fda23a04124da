//! Congestion window: slow start, congestion avoidance, the restart after
//! an idle period, the window during fast recovery (PRR).

use super::*;

/// cwnd of A sampled every RTT once the transfer runs.
fn cwnd_per_rtt(p: &mut Pair, rtt: SimDuration, rounds: usize) -> Vec<u64> {
    p.run_until(secs(5), |p| {
        p.a.state() == TcpState::Established && p.a.stats().data_segments_sent > 0
    });
    let start = p.now + SimDuration::from_nanos(rtt.as_nanos() / 2);
    p.run(start);
    let mut v = Vec::new();
    for k in 1..=rounds {
        v.push(p.a.cwnd_bytes());
        p.run(start + rtt.saturating_mul(k as u64));
    }
    v
}

#[test]
fn slow_start_doubles_the_window_each_rtt() {
    let cfg = plain();
    let cc = reno(&cfg);
    let mut p = Pair::with(cfg.clone(), cfg, 50_000_000, cc, 50, 1000);
    let w = cwnd_per_rtt(&mut p, ms(100), 6);
    for pair in w.windows(2) {
        let ratio = pair[1] as f64 / pair[0] as f64;
        assert!((1.8..=2.2).contains(&ratio), "{w:?}");
    }
}

#[test]
fn congestion_avoidance_adds_about_one_mss_per_rtt() {
    let cfg = plain();
    let mss = cfg.mss_bytes as u64;
    let cc: Box<dyn CongestionControl> = Box::new(Reno::with_window(cfg.mss_bytes, 20 * mss, 20 * mss));
    let mut p = Pair::with(cfg.clone(), cfg, 50_000_000, cc, 50, 1000);
    let w = cwnd_per_rtt(&mut p, ms(100), 11);
    let growth = w[10] - w[0];
    assert!((7 * mss..=13 * mss).contains(&growth), "{w:?}");
    for pair in w.windows(2) {
        assert!(pair[1] - pair[0] <= 2 * mss, "{w:?}");
    }
}

#[test]
fn after_an_idle_period_longer_than_the_rto_the_window_restarts() {
    let cfg = plain();
    let mut p = Pair::new(cfg.clone(), cfg, 2_000_000);
    p.a_closes = false;
    p.run(secs(20));
    let big = p.a.cwnd_bytes();
    assert!(big > 10 * 1460);
    p.a.send(100_000);
    p.pump();
    // RFC 5681 4.1: cwnd back to the restart window min(IW, cwnd).
    assert_eq!(p.a.cwnd_bytes(), 10 * 1460);
    p.run(secs(40));
    assert_eq!(p.delivered, 2_100_000);
}

/// The time of the fast retransmission of A -> B segment `drop` and of the
/// first new data segment after it, in a transfer of `n` bytes with PRR on
/// or off (the Rfc6675 profile otherwise).
fn first_new_data_after_fast_retransmit(prr: bool, drop: usize, n: u64) -> (SimTime, SimTime) {
    let cfg = TcpConfig {
        prr,
        ..TcpProfile::Rfc6675.config()
    };
    let mut p = Pair::new(cfg.clone(), cfg, n);
    p.ab.set_drops([drop]);
    p.run(secs(60));
    assert_eq!(p.delivered, n);
    assert_eq!((p.a.stats().fast_retransmits, p.a.stats().rto_count), (1, 0));
    let log = &p.ab.log;
    let fr = log
        .iter()
        .position(|s| s.tx.is_retransmission)
        .expect("a fast retransmission");
    let new = log[fr + 1..]
        .iter()
        .find(|s| !s.tx.is_retransmission && s.seg.payload_len > 0)
        .expect("new data after it");
    (log[fr].at, new.at)
}

#[test]
fn with_prr_fast_recovery_sends_new_data_at_once_where_rfc6675_first_waits_for_pipe_to_fall_below_cwnd() {
    // RFC 6675 sets cwnd = ssthresh = FlightSize/2 and sends only once pipe
    // is below it: about half a window of duplicate ACKs of silence. RFC
    // 6937 PRR sends in proportion from the first ACKs (one segment for
    // every two delivered while pipe > ssthresh). Measured with segment 60
    // lost: 43.2 ms against 4.8 ms.
    let (fr, new) = first_new_data_after_fast_retransmit(false, 60, 500_000);
    let rfc_gap = new.saturating_since(fr);
    let (fr, new) = first_new_data_after_fast_retransmit(true, 60, 500_000);
    let prr_gap = new.saturating_since(fr);
    eprintln!("first new data after the fast retransmission: RFC 6675 {rfc_gap}, PRR {prr_gap}");
    assert!(prr_gap.saturating_mul(4) < rfc_gap, "RFC 6675 {rfc_gap}, PRR {prr_gap}");
}
