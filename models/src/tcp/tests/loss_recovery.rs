//! Loss recovery: fast retransmit, SACK (RFC 6675) and NewReno (RFC 6582)
//! recovery, retransmission timeouts and their backoff, ssthresh after a
//! timeout (RFC 5681 3.1 in the Rfc6675 profile, Linux `tcp_enter_loss` in
//! Linux6), heavy loss in both directions.

use super::*;

/// Drops data segment `k` (A -> B index 2 + k) once and checks it is
/// repaired by one fast retransmission.
fn one_loss_repaired_by_fast_retransmit(cfg: TcpConfig) {
    let n = 500_000;
    let k = 30;
    let mut p = Pair::new(cfg.clone(), cfg, n);
    p.ab.set_drops([2 + k]);
    p.run(secs(60));
    assert_eq!(p.delivered, n);
    let s = p.a.stats();
    assert_eq!(s.rto_count, 0, "no RTO");
    assert_eq!(s.fast_retransmits, 1);
    assert_eq!(s.segments_retransmitted, 1, "exactly one retransmission");
    let lost = p.ab.log[2 + k].seg.clone();
    let rtx: Vec<_> = p.ab.log.iter().filter(|s| s.tx.is_retransmission).collect();
    assert_eq!(rtx.len(), 1);
    assert_eq!(rtx[0].seg.seq, lost.seq);
    assert_eq!(rtx[0].seg.payload_len, lost.payload_len);
    assert!(
        p.a_events
            .iter()
            .any(|(_, e)| *e == TcpEvent::FastRetransmit { seq: lost.seq })
    );
    assert_eq!(p.a.recovery_phase(), RecoveryPhase::Open);
}

#[test]
fn one_dropped_data_segment_is_repaired_by_one_fast_retransmit_with_sack() {
    let cfg = TcpConfig::default();
    one_loss_repaired_by_fast_retransmit(cfg);
}

#[test]
fn one_dropped_data_segment_is_repaired_by_one_fast_retransmit_with_newreno() {
    one_loss_repaired_by_fast_retransmit(TcpConfig {
        recovery: Recovery::NewReno,
        ..TcpConfig::default()
    });
    // And without SACK negotiated at all (RFC 5681 duplicate ACKs).
    one_loss_repaired_by_fast_retransmit(TcpConfig {
        sack: false,
        ..TcpConfig::default()
    });
}

#[test]
fn two_losses_in_one_window_are_repaired_in_one_recovery_by_sack_and_by_newreno() {
    for recovery in [Recovery::Sack, Recovery::NewReno] {
        let cfg = TcpConfig {
            recovery,
            ..TcpConfig::default()
        };
        let n = 500_000;
        let mut p = Pair::new(cfg.clone(), cfg, n);
        p.ab.set_drops([32, 36]);
        p.run(secs(60));
        assert_eq!(p.delivered, n, "{recovery:?}");
        let s = p.a.stats();
        assert_eq!(s.rto_count, 0, "{recovery:?}");
        assert_eq!(s.fast_retransmits, 1, "{recovery:?}");
        assert_eq!(s.segments_retransmitted, 2, "{recovery:?}");
    }
}

#[test]
fn a_lost_tail_is_repaired_by_rto_not_by_fast_retransmit() {
    // Without RACK-TLP (with it the loss probe repairs it: `rack_tlp.rs`).
    let cfg = TcpConfig {
        rack_tlp: false,
        ..plain()
    };
    let n = 5 * 1460;
    let mut p = Pair::new(cfg.clone(), cfg, n);
    // 5 data segments: indices 2..=6; the last carries the FIN.
    p.ab.set_drops([6]);
    p.run(secs(60));
    assert!(p.ab.log[6].seg.flags.fin && p.ab.log[6].dropped);
    assert_eq!(p.delivered, n);
    let s = p.a.stats();
    assert_eq!(s.rto_count, 1);
    assert_eq!(s.fast_retransmits, 0);
    assert_eq!(s.segments_retransmitted, 1);
    // RFC 6298: the retransmission comes one RTO (200 ms minimum) after
    // the timer was last restarted by an ACK.
    let gap = p.ab.log[7].at.saturating_since(p.ab.log[6].at);
    assert!(gap >= ms(200), "{gap}");
}

#[test]
fn repeated_losses_of_the_same_segment_double_the_rto_each_time() {
    // The lost tail is left to the RTO (no loss probe).
    let cfg = TcpConfig {
        rack_tlp: false,
        ..plain()
    };
    let n = 5 * 1460;
    let mut p = Pair::new(cfg.clone(), cfg, n);
    p.ab.set_drops([6, 7, 8, 9]);
    p.run(secs(60));
    assert_eq!(p.delivered, n);
    let t: Vec<_> = (6..=10).map(|i| p.ab.log[i].at).collect();
    assert!((7..=10).all(|i| p.ab.log[i].tx.is_retransmission));
    let g1 = t[2] - t[1];
    let g2 = t[3] - t[2];
    let g3 = t[4] - t[3];
    assert_eq!(g2, g1.saturating_mul(2));
    assert_eq!(g3, g2.saturating_mul(2));
    let backoffs: Vec<_> = p
        .a_events
        .iter()
        .filter_map(|(_, e)| match e {
            TcpEvent::Rto { backoff } => Some(*backoff),
            _ => None,
        })
        .collect();
    assert_eq!(backoffs, vec![1, 2, 3, 4]);
    assert_eq!(p.a.stats().rto_count, 4);
}

#[test]
fn retransmissions_exhausted_close_the_connection_with_reason_timeout() {
    let cfg = TcpConfig {
        max_rto_retries: 3,
        ..plain()
    };
    let mut p = Pair::new(cfg.clone(), cfg, 5 * 1460);
    p.ab.set_drops(6..100);
    p.run(secs(600));
    assert_eq!(p.a_closed(), Some(CloseReason::Timeout));
    assert_eq!(p.a.stats().rto_count, 3);
}

#[test]
fn heavy_deterministic_loss_in_both_directions_still_delivers_every_byte_in_order() {
    for profile in [TcpProfile::Rfc6675, TcpProfile::Linux6] {
        heavy_deterministic_loss_delivers_every_byte(profile.config());
    }
}

fn heavy_deterministic_loss_delivers_every_byte(d: TcpConfig) {
    let variants = [
        d.clone(),
        // Without SACK RTT samples, timestamps would turn the lost ACKs
        // into RTT samples of many seconds (RFC 7323 4.3 echoes the last
        // segment that advanced RCV.NXT); see the module docs.
        TcpConfig {
            recovery: Recovery::NewReno,
            timestamps: false,
            ..d.clone()
        },
        TcpConfig {
            sack: false,
            timestamps: false,
            ..d.clone()
        },
        TcpConfig {
            delayed_ack: false,
            limited_transmit: false,
            window_scale: false,
            ..d.clone()
        },
    ];
    for cfg in variants {
        for k in [4usize, 7, 13] {
            let n = 300_000;
            let mut p = Pair::new(cfg.clone(), cfg.clone(), n);
            // Every k-th data segment A -> B and every (k+1)-th ACK B -> A.
            p.ab.set_drops((4..2000).step_by(k));
            p.ba.set_drops((3..2000).step_by(k + 1));
            // Slow (RTO backoff persists while Karn's rule finds no valid
            // sample), but every byte arrives. The horizon is a liveness
            // bound, not a speed: with k = 4 the last byte arrived at 1901 s
            // (Rfc6675, without SACK or timestamps) and 4688 s (Linux6, the
            // same: ssthresh kept through the episode, 63 timeouts against
            // 38), the backoff of the last timeouts dominating.
            p.run(secs(10_000));
            assert_eq!(p.delivered, n, "k={k} {cfg:?}");
            assert_eq!(p.a_closed(), Some(CloseReason::Fin), "k={k} {cfg:?}");
            assert_eq!(p.b_closed(), Some(CloseReason::Fin), "k={k} {cfg:?}");
        }
    }
}

#[test]
fn a_lost_retransmission_in_sack_recovery_is_repaired_by_the_rto() {
    // Without RACK (with it: `rack_tlp.rs`).
    let cfg = TcpConfig {
        rack_tlp: false,
        ..TcpConfig::default()
    };
    // First run: find where the fast retransmission goes.
    let mut p = Pair::new(cfg.clone(), cfg.clone(), 300_000);
    p.ab.set_drops([32]);
    p.run(secs(60));
    let rtx = p.ab.log.iter().position(|s| s.tx.is_retransmission).unwrap();
    // Second run, identical until then: drop it too.
    let mut p = Pair::new(cfg.clone(), cfg, 300_000);
    p.ab.set_drops([32, rtx]);
    p.run(secs(60));
    assert!(p.ab.log[rtx].tx.is_retransmission && p.ab.log[rtx].dropped);
    assert_eq!(p.ab.log[rtx].seg.seq, p.ab.log[32].seg.seq);
    assert_eq!(p.delivered, 300_000);
    // No RACK: the lost retransmission waits for the RTO.
    assert_eq!(p.a.stats().rto_count, 1);
    assert_eq!(p.a.stats().fast_retransmits, 1);
}

/// A's window state after every step: `(rto_count, ssthresh, cwnd,
/// SND.NXT - SND.UNA)`, until `limit` or until `stop` holds.
fn window_trace(p: &mut Pair, limit: SimTime, stop: impl Fn(&Pair) -> bool) -> Vec<(u64, u64, u64, u64)> {
    let mut trace = Vec::new();
    while p.now < limit && !stop(p) && p.step() {
        let outstanding = p.a.snd_nxt() - p.a.snd_una();
        trace.push((
            p.a.stats().rto_count,
            p.a.ssthresh_bytes(),
            p.a.cwnd_bytes(),
            outstanding,
        ));
    }
    trace
}

/// The indices (in the A -> B log) of the data segment at index `first` and
/// of its next `n` retransmissions, when each of them is dropped in turn.
fn lost_transmissions_of(first: usize, n: usize, bytes: u64) -> Vec<usize> {
    lost_transmissions_with(TcpProfile::Rfc6675.config(), first, n, bytes)
}

/// The same with configuration `cfg` at both ends.
fn lost_transmissions_with(cfg: TcpConfig, first: usize, n: usize, bytes: u64) -> Vec<usize> {
    let mut drops = vec![first];
    for _ in 0..n {
        let mut p = Pair::new(cfg.clone(), cfg.clone(), bytes);
        p.ab.set_drops(drops.clone());
        p.run(secs(30));
        let seq = p.ab.log[first].seg.seq;
        let last = *drops.last().unwrap();
        let next = (last + 1..p.ab.log.len())
            .find(|&i| p.ab.log[i].tx.is_retransmission && p.ab.log[i].seg.seq == seq)
            .expect("the segment is retransmitted");
        drops.push(next);
    }
    drops
}

#[test]
fn a_timeout_after_a_lost_fast_retransmission_sets_ssthresh_from_unsacked_data_only() {
    // The fast retransmission of segment 32 is lost too. SACK recovery
    // keeps sending new data past the hole for a whole RTO (pipe allows
    // cwnd of it), so when the timer fires SND.NXT - SND.UNA is mostly
    // SACKed data. RFC 5681 3.1 eq. (4) halves "the amount of outstanding
    // data in the network": the SACKed bytes are not in it. Counting them
    // made a timeout raise ssthresh above the recovery's (here several
    // times), and under heavy random loss ratchet it up at each RTO.
    let n = 3_000_000;
    let drops = lost_transmissions_of(32, 1, n);
    // RFC 5681 3.1 (the Rfc6675 profile).
    let rfc = TcpProfile::Rfc6675.config();
    let mut p = Pair::new(rfc.clone(), rfc, n);
    p.ab.set_drops(drops);
    let trace = window_trace(&mut p, secs(30), |p| p.a.stats().rto_count >= 1);
    let (before, after) = (trace[trace.len() - 2], trace[trace.len() - 1]);
    assert_eq!((before.0, after.0), (0, 1));
    // The congestion control counts in the configured MSS.
    let mss = TcpConfig::default().mss_bytes as u64;
    // The old FlightSize, SND.NXT - SND.UNA, would have set ssthresh far
    // above the recovery's.
    assert!(before.3 / 2 > 2 * before.1, "{before:?}");
    // Not raised: at most the recovery's ssthresh; cwnd = 1 MSS.
    assert!(after.1 <= before.1, "{before:?} -> {after:?}");
    assert_eq!(after.2, mss);
    p.run(secs(60));
    assert_eq!(p.delivered, n);
}

#[test]
fn a_retransmission_lost_again_holds_ssthresh_although_sacks_arrived_in_between() {
    // Segment 32, its fast retransmission and the retransmission the RTO
    // sends are all lost: the second timeout is for a segment "already
    // retransmitted by way of the retransmission timer", so "the value of
    // ssthresh is held constant" (RFC 5681 3.1), although SACKs of data
    // sent before the first timeout arrived in between (they grew cwnd in
    // the loss phase, and used to end the hold).
    let n = 3_000_000;
    let drops = lost_transmissions_of(32, 2, n);
    // RFC 5681 3.1 (the Rfc6675 profile).
    let rfc = TcpProfile::Rfc6675.config();
    let mut p = Pair::new(rfc.clone(), rfc, n);
    p.ab.set_drops(drops);
    let trace = window_trace(&mut p, secs(30), |p| p.a.stats().rto_count >= 2);
    let first = trace.iter().position(|s| s.0 == 1).unwrap();
    let held = trace[first].1;
    let before_second = trace[trace.len() - 2];
    let after_second = trace[trace.len() - 1];
    assert_eq!((before_second.0, after_second.0), (1, 2));
    // The congestion control counts in the configured MSS.
    let mss = TcpConfig::default().mss_bytes as u64;
    assert!(before_second.2 > mss, "no SACK arrived between the timeouts");
    assert_eq!(before_second.1, held);
    assert_eq!(after_second.1, held);
    assert_eq!(after_second.2, mss);
    p.run(secs(60));
    assert_eq!(p.delivered, n);
}

#[test]
fn with_linux_loss_response_a_timeout_during_fast_recovery_keeps_the_recoverys_ssthresh() {
    // As above, the fast retransmission of segment 32 is lost; the timer
    // fires while fast recovery is still under way (high_seq after
    // SND.UNA), so Linux `tcp_enter_loss` does not lower ssthresh again.
    // Without RACK, which would find the lost retransmission before the
    // timer fires (`rack_tlp.rs`): these are the timeout's rules.
    let linux = TcpConfig {
        loss_response: LossResponse::Linux,
        rack_tlp: false,
        ..TcpConfig::default()
    };
    let n = 3_000_000;
    let drops = lost_transmissions_with(linux.clone(), 32, 1, n);
    let mut p = Pair::new(linux.clone(), linux, n);
    p.ab.set_drops(drops);
    let trace = window_trace(&mut p, secs(30), |p| p.a.stats().rto_count >= 1);
    let (before, after) = (trace[trace.len() - 2], trace[trace.len() - 1]);
    assert_eq!((before.0, after.0), (0, 1));
    assert_eq!(after.1, before.1, "{before:?} -> {after:?}");
    assert_eq!(after.2, TcpConfig::default().mss_bytes as u64);
    p.run(secs(60));
    assert_eq!(p.delivered, n);
}

#[test]
fn with_linux_loss_response_a_second_rto_in_the_same_episode_keeps_the_first_ssthresh() {
    // Segment 32, its fast retransmission and the timer's retransmission
    // are all lost: the second timeout finds SND.UNA where the first left
    // it (Linux `icsk_retransmits` non-zero): ssthresh is kept.
    // Without RACK, which would find the lost retransmission before the
    // timer fires (`rack_tlp.rs`): these are the timeout's rules.
    let linux = TcpConfig {
        loss_response: LossResponse::Linux,
        rack_tlp: false,
        ..TcpConfig::default()
    };
    let n = 3_000_000;
    let drops = lost_transmissions_with(linux.clone(), 32, 2, n);
    let mut p = Pair::new(linux.clone(), linux, n);
    p.ab.set_drops(drops);
    let trace = window_trace(&mut p, secs(30), |p| p.a.stats().rto_count >= 2);
    let before_first = trace[trace.iter().position(|s| s.0 == 1).unwrap() - 1];
    let after_second = trace[trace.len() - 1];
    assert_eq!(after_second.0, 2);
    assert_eq!(after_second.1, before_first.1);
    p.run(secs(60));
    assert_eq!(p.delivered, n);
}

/// cwnd, ssthresh and the timeout counters of A after B's ACKs are all lost
/// for 100 ms at 1 s (A's window, capped at 64 KiB by B's buffer, is
/// delivered meanwhile, so the timer fires with nothing lost).
fn after_an_ack_blackout(cfg: TcpConfig) -> ((u64, u64), (u64, u64), (u64, u64)) {
    let cfg = TcpConfig {
        rcv_buf_bytes: 65_536,
        ..cfg
    };
    let mut p = Pair::new(cfg.clone(), cfg, 2_000_000);
    p.run(secs(1));
    let before = (p.a.cwnd_bytes(), p.a.ssthresh_bytes());
    let now = p.now;
    p.ba.set_up(now, false);
    p.run(now + ms(100));
    let now = p.now;
    p.ba.set_up(now, true);
    p.run(secs(3));
    let s = p.a.stats();
    (
        before,
        (p.a.cwnd_bytes(), p.a.ssthresh_bytes()),
        (s.rto_count, s.spurious_rtos),
    )
}

#[test]
fn frto_undoes_a_timeout_whose_data_had_all_arrived() {
    // RFC 5682 3.1 step 3.b: the timer's retransmission of the head draws
    // an ACK of everything sent before the timeout, never-retransmitted data
    // included: spurious; Linux `tcp_try_undo_loss` restores cwnd and
    // ssthresh (here: slow start, ssthresh still infinite).
    // Without the loss probe, which would go out 2 SRTT into the blackout
    // and restart the timer: the timeout would not come.
    let linux_no_tlp = TcpConfig {
        rack_tlp: false,
        ..TcpProfile::Linux6.config()
    };
    let (before, after, (rtos, spurious)) = after_an_ack_blackout(linux_no_tlp.clone());
    assert_eq!((rtos, spurious), (1, 1));
    assert_eq!(after, before);
    // Without F-RTO the timeout stands: ssthresh from half the window.
    let (before, after, (rtos, spurious)) = after_an_ack_blackout(TcpConfig {
        frto: false,
        ..linux_no_tlp
    });
    assert_eq!((rtos, spurious), (1, 0));
    assert!(after.1 < before.0, "{before:?} -> {after:?}");
}
