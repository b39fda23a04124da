//! RACK-TLP (RFC 8985): a lost retransmission found by RACK instead of an
//! RTO, a lost tail repaired by the loss probe, and reordering inside the
//! reordering window not taken for loss. Each test runs the same case with
//! `rack_tlp` off to show what changes.

use super::*;

fn with_rack(on: bool) -> TcpConfig {
    TcpConfig {
        rack_tlp: on,
        ..TcpConfig::default()
    }
}

/// The index (A -> B) of the first retransmission when data segment `k`
/// (A -> B index 2 + k) is dropped.
fn first_retransmission_index(cfg: &TcpConfig, n: u64, k: usize) -> usize {
    let mut p = Pair::new(cfg.clone(), cfg.clone(), n);
    p.ab.set_drops([2 + k]);
    p.run(secs(60));
    p.ab.log
        .iter()
        .position(|s| s.tx.is_retransmission)
        .expect("a retransmission")
}

#[test]
fn a_lost_fast_retransmission_is_found_by_rack_and_resent_within_an_rtt_without_an_rto() {
    let (n, k) = (500_000, 30);
    for on in [true, false] {
        let cfg = with_rack(on);
        // The run is the same up to the fast retransmission: drop it too.
        let r = first_retransmission_index(&cfg, n, k);
        let mut p = Pair::new(cfg.clone(), cfg, n);
        p.ab.set_drops([2 + k, r]);
        p.run(secs(60));
        assert_eq!(p.delivered, n, "rack {on}");
        let s = *p.a.stats();
        let lost = p.ab.log[2 + k].seg.seq;
        let resent: Vec<_> =
            p.ab.log
                .iter()
                .filter(|x| x.tx.is_retransmission && x.seg.seq == lost)
                .map(|x| x.at)
                .collect();
        assert_eq!(resent.len(), 2, "rack {on}: {resent:?}");
        let gap = resent[1].saturating_since(resent[0]);
        if on {
            // Segments sent after the retransmission were SACKed: RACK
            // marks it lost one RACK.rtt after it left (no reordering
            // window in recovery), well before the 200 ms RTO floor.
            assert_eq!((s.rto_count, s.fast_retransmits, s.lost_retransmissions), (0, 1, 1));
            assert!(gap < ms(100), "{gap}");
            assert_eq!(p.a.recovery_phase(), RecoveryPhase::Open);
        } else {
            // RFC 6675: a lost retransmission waits for the RTO.
            assert_eq!((s.rto_count, s.lost_retransmissions), (1, 0));
            assert!(gap >= ms(200), "{gap}");
        }
    }
}

#[test]
fn a_lost_tail_is_repaired_by_a_loss_probe_about_two_srtt_after_the_last_ack_instead_of_an_rto() {
    let n = 20 * 1460;
    for on in [true, false] {
        let cfg = TcpConfig {
            rack_tlp: on,
            ..plain()
        };
        let mut p = Pair::new(cfg.clone(), cfg, n);
        // 20 data segments, A -> B indices 2..=21 (the FIN rides on the
        // last); the last three are lost.
        p.ab.set_drops([19, 20, 21]);
        p.run(secs(60));
        assert_eq!(p.delivered, n, "rack {on}");
        let s = *p.a.stats();
        let first_rtx = &p.ab.log[22];
        assert!(first_rtx.tx.is_retransmission);
        // The last ACK that reached A before it.
        let last_ack =
            p.ba.log
                .iter()
                .filter_map(|x| x.arrives)
                .filter(|&t| t <= first_rtx.at)
                .max()
                .unwrap();
        let gap = first_rtx.at.saturating_since(last_ack);
        let srtt = p.a.srtt().unwrap();
        if on {
            // RFC 8985 7.2: PTO = 2*SRTT + 2 ms with three segments out;
            // the probe resends the last segment (with the FIN), its SACK
            // lets RACK mark the two before it lost: one fast recovery.
            assert_eq!(first_rtx.seg.seq, p.ab.log[21].seg.seq);
            assert!(first_rtx.seg.flags.fin);
            assert_eq!((s.loss_probes, s.rto_count, s.fast_retransmits), (1, 0, 1));
            assert_eq!(s.segments_retransmitted, 3);
            assert!(gap >= srtt.saturating_mul(2) && gap < ms(100), "{gap} srtt {srtt}");
        } else {
            assert_eq!((s.loss_probes, s.rto_count), (0, 1));
            assert!(gap >= ms(200), "{gap}");
        }
    }
}

#[test]
fn reordering_within_the_window_is_not_taken_for_loss_once_reordering_has_been_seen() {
    let n = 300_000;
    for on in [true, false] {
        let cfg = with_rack(on);
        // 40 ms one way at 10 Mbit/s: min_rtt about 81 ms, so RACK's
        // reordering window is about 20 ms; a segment takes 1.2 ms.
        let cc = reno(&cfg);
        let mut p = Pair::with(cfg.clone(), cfg, n, cc, 40, 10);
        // Data segment 20 is overtaken by two segments (3 ms late): fewer
        // than three SACKs, tolerated by both, and RACK learns that the
        // path reorders. Segment 60 is overtaken by five (7 ms late).
        p.ab.set_extra_delay(2 + 20, ms(3));
        p.ab.set_extra_delay(2 + 60, ms(7));
        p.run(secs(60));
        assert_eq!(p.delivered, n, "rack {on}");
        let s = *p.a.stats();
        if on {
            assert!(p.a.rack_reordering_seen());
            assert_eq!((s.fast_retransmits, s.segments_retransmitted, s.rto_count), (0, 0, 0));
        } else {
            // Three duplicate ACKs: RFC 6675 retransmits segment 60 and
            // halves the window for nothing.
            assert_eq!((s.fast_retransmits, s.rto_count), (1, 0));
            assert!(s.segments_retransmitted >= 1);
        }
    }
}

#[test]
fn a_loss_with_only_two_segments_after_it_is_found_by_the_reordering_timer() {
    let n = 10 * 1460;
    for on in [true, false] {
        let cfg = TcpConfig {
            rack_tlp: on,
            ..plain()
        };
        let mut p = Pair::new(cfg.clone(), cfg, n);
        // Ten data segments, A -> B indices 2..=11; segment 7 is lost and
        // only 8 and 9 are SACKed after it: fewer than three, so RACK
        // waits its reordering window (min_rtt/4) and its timer fires.
        p.ab.set_drops([9]);
        p.run(secs(60));
        assert_eq!(p.delivered, n, "rack {on}");
        let s = *p.a.stats();
        let rtx = p.ab.log.iter().find(|x| x.tx.is_retransmission).unwrap();
        assert_eq!(rtx.seg.seq, p.ab.log[9].seg.seq);
        // The SACK of segment 9 (the last one sent) reaches A.
        let last_sack =
            p.ba.log
                .iter()
                .filter_map(|x| x.arrives)
                .filter(|&t| t <= rtx.at)
                .max()
                .unwrap();
        let wait = rtx.at.saturating_since(last_sack);
        if on {
            // Reordering timer: segment 7 expires RACK.rtt + min_rtt/4
            // after it was sent, plus 2 ms: a few ms after the last SACK,
            // well before a probe (2 SRTT) or the RTO.
            assert_eq!((s.fast_retransmits, s.rto_count, s.loss_probes), (1, 0, 0));
            assert!(wait > ms(2) && wait < ms(20), "{wait}");
        } else {
            // RFC 6675: two SACKed segments make no loss; the RTO.
            assert_eq!((s.fast_retransmits, s.rto_count), (0, 1));
            assert!(wait >= ms(150), "{wait}");
        }
    }
}

/// Everything a run with drops put on the wire, A's timer deadline after
/// every step, and A's counters.
type ProbeTrace = (
    Vec<pair::Sent<Transmit>>,
    Vec<pair::Sent<Transmit>>,
    Vec<Option<SimTime>>,
    TcpStats,
);

fn probe_trace(n: u64, drops: &[usize], ack_drops: &[usize], deferral: bool) -> ProbeTrace {
    let cfg = with_rack(true);
    let mut p = Pair::new(cfg.clone(), cfg, n);
    p.a.set_loss_probe_deferral(deferral);
    p.ab.set_drops(drops.iter().copied());
    p.ba.set_drops(ack_drops.iter().copied());
    let mut deadlines = Vec::new();
    while p.now < secs(120) && p.step() {
        deadlines.push(p.a.poll_timeout());
    }
    (p.ab.log.clone(), p.ba.log.clone(), deadlines, *p.a.stats())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    /// The loss probe timer re-armed once per burst (`tcp/probe_timer.rs`)
    /// sets the deadlines the per-segment re-arm set: same segments at the
    /// same times, same deadlines after every step, same counters.
    #[test]
    fn every_segment_and_deadline_is_the_same_with_the_probe_rearm_per_burst_and_per_segment(
        n in 1u64..400_000,
        drops in proptest::collection::vec(2usize..300, 0..8),
        ack_drops in proptest::collection::vec(1usize..150, 0..5),
    ) {
        let lazy = probe_trace(n, &drops, &ack_drops, true);
        let eager = probe_trace(n, &drops, &ack_drops, false);
        proptest::prop_assert_eq!(lazy, eager);
    }
}
