//! LIA, the Linked Increases Algorithm of RFC 6356 (Linux `mptcp_coupled.c`,
//! "coupled").
//!
//! Only the congestion-avoidance increase is coupled (RFC 6356 3); slow
//! start, the reduction on loss and on RTO, recovery exit and idle restart are
//! [`Reno`]'s. For each ACK in congestion avoidance on subflow i, RFC 6356 3
//! increases `cwnd_i` by
//!
//! ```text
//!   min( alpha * bytes_acked * MSS_i / cwnd_total , bytes_acked * MSS_i / cwnd_i )
//!   alpha = cwnd_total * max_i(cwnd_i / rtt_i^2) / (sum_i cwnd_i / rtt_i)^2
//! ```
//!
//! The increase per acknowledged byte is `MSS_i / max(cwnd_total / alpha,
//! cwnd_i)`, so it is applied as Reno's byte counting (RFC 3465 2.1) with a
//! larger count: `+1 MSS_i` once `max(cwnd_i, cwnd_total / alpha)` bytes have
//! been acknowledged, where `cwnd_total / alpha = (sum_i cwnd_i/rtt_i)^2 /
//! max_i(cwnd_i/rtt_i^2)`. This is how Linux applies it too (`snd_cwnd_cnt`
//! against `max(cwnd_i, 1/alpha)` ACKs). With one subflow alpha = 1 and the
//! count is `cwnd_i`, so LIA is exactly Reno.
//!
//! The count is computed with the RTTs scaled, as RFC 6356 4 suggests for
//! alpha (it scales by the largest RTT; Linux, and we, by the RTT of the path
//! b with the largest `cwnd/rtt^2`): `(sum_i cwnd_i * rtt_b/rtt_i)^2 /
//! cwnd_b`, in f64 (IEEE-754 basic operations only, no fused multiply-add,
//! so the same on every machine) and rounded to the nearest byte.
//!
//! Simplifications a user could observe:
//! - The sums run over usable subflows that have an RTT sample (Linux
//!   `mptcp_sk_can_send && srtt`), not over every subflow. A subflow whose
//!   own RTT is still unknown grows as Reno.
//! - alpha is recomputed from the current windows on every
//!   congestion-avoidance ACK that can make a `+1` step (the byte counter
//!   reaches `cwnd_i`; on the others the count cannot matter and is not
//!   computed); Linux recomputes it only on slow-start ACKs, `+1` steps and
//!   after recovery, so it reacts to a sibling's change up to one `+1` step
//!   later.
//! - Siblings' windows are the snapshot in the [`Coupling`], which may be one
//!   event old; the caller's own window is its live value.

use sim_core::SimTime;

use super::reno::Reno;
use super::{AckSample, CongestionControl, Coupling, LazyCoupling};

/// LIA congestion control, in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lia {
    reno: Reno,
}

impl Lia {
    /// Initial window `iw_bytes` (the restart window's bound too),
    /// `ssthresh` infinite.
    pub fn with_initial_window(mss_bytes: u32, iw_bytes: u64) -> Self {
        Lia {
            reno: Reno::with_initial_window(mss_bytes, iw_bytes),
        }
    }

    /// Initial window `initial_window_bytes(mss)`, `ssthresh` infinite.
    pub fn new(mss_bytes: u32) -> Self {
        Lia {
            reno: Reno::new(mss_bytes),
        }
    }

    /// A LIA window in a given state (for tests and for restoring state).
    pub fn with_window(mss_bytes: u32, cwnd_bytes: u64, ssthresh_bytes: u64) -> Self {
        Lia {
            reno: Reno::with_window(mss_bytes, cwnd_bytes, ssthresh_bytes),
        }
    }

    /// One ACK outside recovery; `coupling` is asked for only in
    /// congestion avoidance.
    fn grow<'c>(&mut self, ack: &AckSample, coupling: impl FnOnce() -> Coupling<'c>) {
        // RFC 6356 3: slow start is standard TCP's.
        // Debug builds compute the coupled count on the skipped ACKs too and
        // compare (a proptest below compares with an unskipped LIA).
        let Some(left_bytes) = self.reno.grow_slow_start(ack) else {
            return;
        };
        // The count is max(cwnd_i, cwnd_total / alpha), never below cwnd_i
        // (RFC 6356 3's min() of the two increases): while the byte counter
        // stays below cwnd_i this ACK makes no +1 step whatever alpha is,
        // and Reno's count gives the same state without the siblings (Linux
        // mptcp_coupled.c likewise recomputes alpha only at a +1 step,
        // `mptcp_ccc_recalc_alpha` after `snd_cwnd_cnt >= snd_cwnd`).
        let my_cwnd_bytes = self.reno.cwnd_bytes();
        if !self.reno.ca_step_possible(left_bytes, my_cwnd_bytes) {
            #[cfg(debug_assertions)]
            let mut full = self.reno.clone();
            self.reno.congestion_avoidance(left_bytes, my_cwnd_bytes);
            #[cfg(debug_assertions)]
            {
                let per_mss = self.bytes_per_mss_increase(ack, &coupling());
                full.congestion_avoidance(left_bytes, per_mss);
                assert_eq!(self.reno, full, "LIA's skipped count against the coupled one");
            }
            return;
        }
        let per_mss = self.bytes_per_mss_increase(ack, &coupling());
        self.reno.congestion_avoidance(left_bytes, per_mss);
    }

    /// Bytes to acknowledge per `+1 MSS` in congestion avoidance:
    /// `max(cwnd_i, cwnd_total / alpha)` (RFC 6356 3).
    fn bytes_per_mss_increase(&self, ack: &AckSample, coupling: &Coupling<'_>) -> u64 {
        let my_cwnd_bytes = self.reno.cwnd_bytes();
        let my_srtt = coupling.my_srtt(ack.srtt);
        let paths = || coupling.coupled_paths(my_cwnd_bytes, my_srtt, 0);
        if !paths().any(|p| p.is_me) {
            return my_cwnd_bytes; // no RTT of our own yet: Reno
        }
        // b = argmax cwnd_i / rtt_i^2, compared exactly by cross-multiplying:
        // cwnd_i * rtt_b^2 > cwnd_b * rtt_i^2.
        let Some(best) = paths().reduce(|b, p| {
            let p_score = p.cwnd_bytes as u128 * (b.rtt_nanos as u128 * b.rtt_nanos as u128);
            let b_score = b.cwnd_bytes as u128 * (p.rtt_nanos as u128 * p.rtt_nanos as u128);
            if p_score > b_score { p } else { b }
        }) else {
            return my_cwnd_bytes;
        };
        if best.cwnd_bytes == 0 {
            return my_cwnd_bytes;
        }
        // RFC 6356 4 (with rtt_b, as Linux): terms stay near window sizes:
        // cwnd_total / alpha = (sum_i cwnd_i * rtt_b / rtt_i)^2 / cwnd_b.
        let rtt_b = best.rtt_nanos as f64;
        let scaled_sum_bytes: f64 = paths()
            .map(|p| p.cwnd_bytes as f64 * (rtt_b / p.rtt_nanos as f64))
            .sum();
        let total_over_alpha_bytes = scaled_sum_bytes * scaled_sum_bytes / best.cwnd_bytes as f64;
        // RFC 6356 3: the min() of the two increases is the max() of the two
        // counts; `as` saturates for a huge count.
        my_cwnd_bytes.max(total_over_alpha_bytes.round() as u64)
    }
}

impl CongestionControl for Lia {
    fn penalise(&mut self) {
        self.reno.penalise();
    }

    fn name(&self) -> &'static str {
        "lia"
    }
    fn cwnd_bytes(&self) -> u64 {
        self.reno.cwnd_bytes()
    }
    fn ssthresh_bytes(&self) -> u64 {
        self.reno.ssthresh_bytes()
    }

    fn on_ack(&mut self, ack: &AckSample, coupling: &Coupling<'_>) {
        self.grow(ack, || *coupling);
    }

    fn on_ack_lazy(&mut self, ack: &AckSample, coupling: &mut LazyCoupling<'_>) {
        self.grow(ack, || coupling.get());
    }

    fn on_congestion_event(&mut self, now: SimTime, bytes_in_flight: u64, c: &Coupling<'_>) {
        // RFC 6356 3: the decrease is standard TCP's (halving).
        self.reno.on_congestion_event(now, bytes_in_flight, c);
    }

    fn on_recovery_exit(&mut self, now: SimTime, bytes_in_flight: u64) {
        self.reno.on_recovery_exit(now, bytes_in_flight);
    }

    fn on_rto(&mut self, now: SimTime, bytes_in_flight: u64, repeated: bool, c: &Coupling<'_>) {
        self.reno.on_rto(now, bytes_in_flight, repeated, c);
    }

    fn on_idle_restart(&mut self, now: SimTime) {
        self.reno.on_idle_restart(now);
    }
}

/// The factory of [`Lia`]; it has no parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiaConfig {}

impl crate::policy::CcFactory for LiaConfig {
    fn build(&self, mss_bytes: u32, initial_window_bytes: u64) -> Box<dyn CongestionControl> {
        Box::new(Lia::with_initial_window(mss_bytes, initial_window_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cc::SubflowCcView;
    use crate::cc::reno::tests::{MSS, ack, single_view};
    use sim_core::SimDuration;

    fn view(cwnd_bytes: u64, srtt_ms: u64) -> SubflowCcView {
        SubflowCcView {
            cwnd_bytes,
            ssthresh_bytes: cwnd_bytes,
            srtt: Some(SimDuration::from_millis(srtt_ms)),
            mss_bytes: MSS,
            usable: true,
            loss_distance_bytes: 0,
        }
    }

    fn ack_with_srtt(bytes_acked: u64, srtt_ms: u64) -> AckSample {
        let mut a = ack(bytes_acked);
        a.srtt = Some(SimDuration::from_millis(srtt_ms));
        a
    }

    #[test]
    fn lia_asks_for_the_siblings_only_on_acks_that_can_make_a_step() {
        // cwnd 10,000 in congestion avoidance; the sibling makes the count
        // larger than cwnd, so the step comes only once the counter reaches
        // it, but the siblings are needed from the ACK that brings the
        // counter to cwnd on.
        let sibling = |_| view(40_000, 10);
        let mut buf = Vec::new();
        let mut lia = Lia::with_window(MSS, 10_000, 10_000);
        let mut asked = Vec::new();
        for _ in 0..14 {
            let mut c = crate::cc::LazyCoupling::deferred(0, view(lia.cwnd_bytes(), 10), 2, &sibling, &mut buf);
            lia.on_ack_lazy(&ack_with_srtt(1000, 10), &mut c);
            asked.push(c.is_built());
        }
        // Nine ACKs leave the counter below 10,000; from the tenth the
        // count (sum 50,000^2 / 40,000 = 62,500) is needed and not reached.
        // (Debug builds build the views on every ACK to cross-check.)
        let want = if cfg!(debug_assertions) {
            vec![true; 14]
        } else {
            [[false; 9].as_slice(), &[true; 5]].concat()
        };
        assert_eq!(asked, want);
        assert_eq!(lia.cwnd_bytes(), 10_000);
    }

    #[test]
    fn lia_with_one_subflow_equals_reno_exactly() {
        // alpha = w * (w/r^2) / (w/r)^2 = 1, so the count is max(w, w/1) = w:
        // Reno's. Drive both through the same history and compare each step.
        let v = single_view();
        let c = Coupling { me: 0, subflows: &v };
        let mut lia = Lia::new(MSS);
        let mut reno = Reno::new(MSS);
        let step = |bytes: u64, lia: &mut Lia, reno: &mut Reno| {
            lia.on_ack(&ack(bytes), &c);
            reno.on_ack(&ack(bytes), &c);
            assert_eq!(lia.cwnd_bytes(), reno.cwnd_bytes());
            assert_eq!(lia.ssthresh_bytes(), reno.ssthresh_bytes());
        };
        for _ in 0..30 {
            step(1000, &mut lia, &mut reno);
        }
        lia.on_congestion_event(SimTime::ZERO, 37_000, &c);
        reno.on_congestion_event(SimTime::ZERO, 37_000, &c);
        lia.on_recovery_exit(SimTime::ZERO, 17_000);
        reno.on_recovery_exit(SimTime::ZERO, 17_000);
        for i in 0..300 {
            step(500 + (i % 3) * 700, &mut lia, &mut reno);
        }
        lia.on_rto(SimTime::ZERO, 20_000, false, &c);
        reno.on_rto(SimTime::ZERO, 20_000, false, &c);
        for _ in 0..100 {
            step(1000, &mut lia, &mut reno);
        }
        // Sanity: the run did reach congestion avoidance and grow in it.
        assert!(!lia.in_slow_start());
        assert!(lia.cwnd_bytes() > lia.ssthresh_bytes());
    }

    #[test]
    fn lia_with_two_equal_paths_increases_each_by_a_quarter_of_reno() {
        // Two paths with w = 10000 bytes and rtt 100 ms each:
        //   cwnd_total = 20000,
        //   alpha = 20000 * (10000/r^2) / (20000/r)^2 = 20000*10000/20000^2 = 1/2,
        //   per-ACK increase = min(1/2 * acked*MSS/20000, acked*MSS/10000)
        //                    = acked*MSS/40000 = 1/4 of Reno's acked*MSS/10000.
        // So +1 MSS takes 40000 acknowledged bytes (Reno: 10000).
        let views = [view(10_000, 100), view(10_000, 100)];
        let c = Coupling {
            me: 0,
            subflows: &views,
        };
        let mut lia = Lia::with_window(MSS, 10_000, 10_000);
        assert_eq!(lia.bytes_per_mss_increase(&ack(1000), &c), 40_000);
        for _ in 0..39 {
            lia.on_ack(&ack(1000), &c);
        }
        assert_eq!(lia.cwnd_bytes(), 10_000);
        lia.on_ack(&ack(1000), &c);
        assert_eq!(lia.cwnd_bytes(), 11_000);
    }

    #[test]
    fn lia_count_with_unequal_rtts_matches_hand_computation() {
        // MSS 1024. Path 0: w0 = 20480 (20 MSS), rtt 10 ms; path 1: w1 = 10240
        // (10 MSS), rtt 40 ms. In MSS and ms:
        //   w/r^2: 20/100 = 0.2 and 10/1600 = 0.00625, so b = path 0;
        //   sum w/r = 20/10 + 10/40 = 2.25;
        //   cwnd_total/alpha = 2.25^2 / 0.2 = 25.3125 MSS = 25920 bytes;
        //   (check: alpha = 30 * 0.2 / 5.0625 = 1.185..., and 30/1.185... = 25.3125).
        // Path 0: max(20480, 25920) = 25920. Path 1: max(10240, 25920) = 25920.
        let mss = 1024;
        let mut views = [view(20_480, 10), view(10_240, 40)];
        views[1].mss_bytes = mss;
        views[0].mss_bytes = mss;
        let lia0 = Lia::with_window(mss, 20_480, 20_480);
        let c0 = Coupling {
            me: 0,
            subflows: &views,
        };
        assert_eq!(lia0.bytes_per_mss_increase(&ack_with_srtt(1024, 10), &c0), 25_920);
        let lia1 = Lia::with_window(mss, 10_240, 10_240);
        let c1 = Coupling {
            me: 1,
            subflows: &views,
        };
        assert_eq!(lia1.bytes_per_mss_increase(&ack_with_srtt(1024, 40), &c1), 25_920);
    }

    #[test]
    fn lia_never_grows_faster_than_reno_on_its_own_path() {
        // A sibling with a tiny window: w0 = 10000 at 100 ms, w1 = 1000 at
        // 100 ms. alpha = 11000 * (10000/r^2) / (11000/r)^2 = 10000/11000,
        // cwnd_total/alpha = 11000^2/10000 = 12100 > 10000, so the count is
        // 12100 bytes. Path 1: max(1000, 12100) = 12100: slower than its Reno
        // count of 1000.
        let views = [view(10_000, 100), view(1_000, 100)];
        let c0 = Coupling {
            me: 0,
            subflows: &views,
        };
        let lia = Lia::with_window(MSS, 10_000, 10_000);
        assert_eq!(lia.bytes_per_mss_increase(&ack(1000), &c0), 12_100);
        let c1 = Coupling {
            me: 1,
            subflows: &views,
        };
        let lia = Lia::with_window(MSS, 1_000, 1_000);
        assert_eq!(lia.bytes_per_mss_increase(&ack(1000), &c1), 12_100);
    }

    #[test]
    fn lia_ignores_unusable_subflows_and_those_without_an_rtt() {
        // The siblings do not count, so alpha = 1 and the count is cwnd.
        let mut views = [view(10_000, 100), view(50_000, 10), view(50_000, 10)];
        views[1].usable = false;
        views[2].srtt = None;
        let c = Coupling {
            me: 0,
            subflows: &views,
        };
        let lia = Lia::with_window(MSS, 10_000, 10_000);
        assert_eq!(lia.bytes_per_mss_increase(&ack(1000), &c), 10_000);
    }

    #[test]
    fn lia_uses_its_live_window_not_the_stale_snapshot() {
        // The snapshot says 999999 for us; the live window (10000) is used.
        // Two equal paths of 10000: count 40000 as in the quarter test.
        let views = [view(999_999, 100), view(10_000, 100)];
        let c = Coupling {
            me: 0,
            subflows: &views,
        };
        let lia = Lia::with_window(MSS, 10_000, 10_000);
        assert_eq!(lia.bytes_per_mss_increase(&ack(1000), &c), 40_000);
    }

    #[test]
    fn lia_slow_start_and_decrease_are_reno() {
        let views = [view(10_000, 100), view(10_000, 100)];
        let c = Coupling {
            me: 0,
            subflows: &views,
        };
        let mut lia = Lia::new(MSS);
        // Slow start: +min(3000, 2000) = 2000.
        lia.on_ack(&ack(3000), &c);
        assert_eq!(lia.cwnd_bytes(), 12_000);
        // Loss with flight 12000: ssthresh = cwnd = 6000.
        lia.on_congestion_event(SimTime::ZERO, 12_000, &c);
        assert_eq!((lia.cwnd_bytes(), lia.ssthresh_bytes()), (6_000, 6_000));
        // RTO with flight 6000: ssthresh 3000, cwnd 1 MSS.
        lia.on_rto(SimTime::ZERO, 6_000, false, &c);
        assert_eq!((lia.cwnd_bytes(), lia.ssthresh_bytes()), (1_000, 3_000));
    }

    mod skip {
        use super::*;
        use proptest::prelude::*;

        /// LIA as it was before the skip: the coupled count on every
        /// congestion-avoidance ACK.
        fn unskipped_on_ack(lia: &mut Lia, ack: &AckSample, coupling: &Coupling<'_>) {
            if let Some(left_bytes) = lia.reno.grow_slow_start(ack) {
                let per_mss = lia.bytes_per_mss_increase(ack, coupling);
                lia.reno.congestion_avoidance(left_bytes, per_mss);
            }
        }

        proptest! {
            #[test]
            fn skipping_the_count_below_cwnd_changes_no_window(
                start_cwnd in 1_000u64..200_000,
                steps in proptest::collection::vec(
                    (1u64..6_000, 1u64..300, 1_000u64..400_000, 1u64..300, any::<bool>(), 0u8..20),
                    1..400,
                ),
            ) {
                let mut lia = Lia::with_window(MSS, start_cwnd, start_cwnd);
                let mut reference = lia.clone();
                for (bytes, my_ms, sib_cwnd, sib_ms, sib_usable, loss) in steps {
                    if loss == 0 {
                        let v = single_view();
                        let c = Coupling { me: 0, subflows: &v };
                        lia.on_congestion_event(SimTime::ZERO, lia.cwnd_bytes(), &c);
                        reference.on_congestion_event(SimTime::ZERO, reference.cwnd_bytes(), &c);
                    }
                    let mut sib = view(sib_cwnd, sib_ms);
                    sib.usable = sib_usable;
                    let views = [view(lia.cwnd_bytes(), my_ms), sib];
                    let c = Coupling { me: 0, subflows: &views };
                    let a = ack_with_srtt(bytes, my_ms);
                    lia.on_ack(&a, &c);
                    unskipped_on_ack(&mut reference, &a, &c);
                    prop_assert_eq!(&lia, &reference);
                }
            }
        }
    }
}
