//! Data transfer: every byte in order, chunk mappings, the option space
//! MPTCP reserves, and a timing probe.

use super::*;

#[test]
fn a_lossless_transfer_of_n_bytes_delivers_exactly_n_bytes_in_order() {
    let n = 1_000_003;
    let mut p = Pair::new(TcpConfig::default(), TcpConfig::default(), n);
    p.run(secs(60));
    assert_eq!(p.delivered, n);
    assert_eq!(p.a.stats().segments_retransmitted, 0);
    assert_eq!(p.a.stats().rto_count, 0);
    assert_eq!(p.a_closed(), Some(CloseReason::Fin));
    assert_eq!(p.b_closed(), Some(CloseReason::Fin));
    assert_eq!(p.a.state(), TcpState::Closed);
    assert_eq!(p.b().state(), TcpState::Closed);
    assert_eq!(p.a.stats().bytes_sent, n);
    assert_eq!(p.b().stats().bytes_in_order, n);
}

#[test]
fn mapped_chunks_report_their_whole_chunk_mapping_on_every_segment() {
    let mut p = Pair::new(TcpConfig::default(), TcpConfig::default(), 0);
    p.a_closes = false;
    p.run_until(secs(5), |p| p.a.state() == TcpState::Established);
    let first = p.a.snd_nxt();
    assert_eq!(p.a.send_mapped(3000, 1_000_000), 3000);
    assert_eq!(p.a.send_mapped(500, 9_000_000), 500);
    p.run(secs(5));
    let maps: Vec<_> =
        p.ab.data()
            .map(|s| (s.seg.payload_len, s.tx.mapping.unwrap()))
            .collect();
    let smss = p.a.smss_bytes();
    let chunk_a = Mapping {
        tag: 1_000_000,
        chunk_seq: first,
        len_bytes: 3000,
    };
    let chunk_b = Mapping {
        tag: 9_000_000,
        chunk_seq: first + 3000,
        len_bytes: 500,
    };
    assert_eq!(
        maps,
        vec![
            (smss, chunk_a),
            (smss, chunk_a),
            (3000 - 2 * smss, chunk_a),
            (500, chunk_b)
        ]
    );
}

#[test]
fn reserved_mptcp_option_bytes_shrink_the_payload_and_the_sack_blocks() {
    let cfg = TcpConfig {
        reserved_option_bytes_data: 20,
        reserved_option_bytes_ack: 16,
        ..TcpConfig::default()
    };
    let mut p = Pair::new(cfg.clone(), cfg, 100_000);
    p.ab.set_drops([10, 12, 14]);
    p.run(secs(30));
    assert_eq!(p.delivered, 100_000);
    assert_eq!(p.a.smss_bytes(), 1460 - 12 - 20);
    // Pure ACKs: 40 - 12 (timestamps) - 16 reserved leaves one SACK block.
    assert!(p.ba.log.iter().all(|s| s.seg.options.sack.len() <= 1));
    assert!(p.ba.log.iter().any(|s| s.seg.options.sack.len() == 1));
}

#[test]
#[ignore = "timing probe: cargo test --release -p models tcp::tests::transfer::timing -- --ignored --nocapture"]
fn timing_of_a_200mb_transfer_with_periodic_losses_and_a_burst() {
    let t0 = std::time::Instant::now();
    let n = 200_000_000;
    let cfg = TcpConfig::default();
    let cc = reno(&cfg);
    let mut p = Pair::with(cfg.clone(), cfg, n, cc, 50, 1000);
    // Periodic single losses plus one burst: every other segment of 2000.
    let mut d: Vec<usize> = (1000..200_000).step_by(997).collect();
    d.extend((20_000..24_000).step_by(2));
    d.sort_unstable();
    d.dedup();
    p.ab.set_drops(d);
    p.run(secs(600));
    let el = t0.elapsed();
    let segs = p.ab.log.len() + p.ba.log.len();
    eprintln!(
        "delivered {} in sim {} wall {:?}: {} segs, {:.0} ns/seg; stats {:?}",
        p.delivered,
        p.now,
        el,
        segs,
        el.as_nanos() as f64 / segs as f64,
        p.a.stats()
    );
}
