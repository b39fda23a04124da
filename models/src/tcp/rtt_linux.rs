//! Linux's RTT estimator and RTO (`net/ipv4/tcp_input.c`
//! `tcp_rtt_estimator`, `tcp_set_rto`, `__tcp_set_rto` in
//! `include/net/tcp.h`), re-expressed in nanoseconds.
//!
//! Where it departs from RFC 6298 (what a user can observe):
//! - SRTT has the RFC's gain 1/8, but the mean deviation `mdev` grows with
//!   gain 1/4 and shrinks, when the sample is below SRTT, with gain 1/32
//!   (Linux: "we use finer gain for mdev in this case"), so an RTT that
//!   falls does not inflate the RTO.
//! - The variance term of the RTO (`rttvar`, kept as 4 x mdev) is the
//!   largest 4 x mdev seen during the current round of data (SND.UNA
//!   passing the SND.NXT noted at the round's start), at least `rto_min`;
//!   at each new round it decays by a quarter towards that maximum.
//! - RTO = SRTT + rttvar: the 200 ms minimum bounds the variance term, not
//!   the whole RTO (so on a 10 ms path the RTO is 210 ms).
//! - The first sample gives SRTT = R and 4 x mdev = 2R, so RTO = max(3R,
//!   R + rto_min).
//!
//! Simplified: Linux keeps microseconds; here nanoseconds, so values differ
//! below a microsecond.

use sim_core::SimDuration;

/// Linux `tcp_sock` fields `srtt_us` (x8), `mdev_us` (x4), `mdev_max_us`,
/// `rttvar_us` and `rtt_seq`, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinuxRtt {
    /// 8 x SRTT; 0 before the first sample.
    srtt8: u64,
    /// 4 x mean deviation.
    mdev4: u64,
    /// The largest `mdev4` of the current round (at least `rto_min`).
    mdev_max: u64,
    /// The RTO's variance term (4 x mdev units).
    rttvar: u64,
    /// SND.NXT when the current round began.
    rtt_seq: u64,
    rto_min: u64,
}

impl LinuxRtt {
    pub fn new(rto_min: SimDuration) -> Self {
        LinuxRtt {
            srtt8: 0,
            mdev4: 0,
            mdev_max: 0,
            rttvar: 0,
            rtt_seq: 0,
            rto_min: rto_min.as_nanos(),
        }
    }

    /// One RTT sample `r`, taken when the cumulative ACK was `snd_una` and
    /// the next new byte `snd_nxt` (Linux `tcp_rtt_estimator`).
    pub fn on_sample(&mut self, r: SimDuration, snd_una: u64, snd_nxt: u64) {
        let m = r.as_nanos();
        if self.srtt8 == 0 {
            // No previous measure: SRTT = R, 4 mdev = 2R ("rto = 3*rtt"),
            // rttvar at least rto_min.
            self.srtt8 = m.saturating_mul(8).max(1);
            self.mdev4 = m.saturating_mul(2);
            self.rttvar = self.mdev4.max(self.rto_min);
            self.mdev_max = self.rttvar;
            self.rtt_seq = snd_nxt;
            return;
        }
        let srtt = self.srtt8 / 8;
        // SRTT += (R - SRTT) / 8, as 8 x SRTT += R - SRTT.
        self.srtt8 = (self.srtt8 + m).saturating_sub(srtt).max(1);
        let quarter_mdev = self.mdev4 / 4;
        if m < srtt {
            // The RTT fell: |err| - mdev, and only an eighth of it if it
            // would raise mdev (gain 1/32 instead of 1/4).
            let err = srtt - m;
            if err > quarter_mdev {
                self.mdev4 += (err - quarter_mdev) / 8;
            } else {
                self.mdev4 -= quarter_mdev - err;
            }
        } else {
            let err = m - srtt;
            if err >= quarter_mdev {
                self.mdev4 += err - quarter_mdev;
            } else {
                self.mdev4 -= quarter_mdev - err;
            }
        }
        if self.mdev4 > self.mdev_max {
            self.mdev_max = self.mdev4;
            if self.mdev_max > self.rttvar {
                self.rttvar = self.mdev_max;
            }
        }
        // A round of data is acknowledged: decay rttvar towards the round's
        // largest deviation and start the next round.
        if snd_una > self.rtt_seq {
            if self.mdev_max < self.rttvar {
                self.rttvar -= (self.rttvar - self.mdev_max) / 4;
            }
            self.rtt_seq = snd_nxt;
            self.mdev_max = self.rto_min;
        }
    }

    /// SRTT; `None` before the first sample.
    pub fn srtt(&self) -> Option<SimDuration> {
        (self.srtt8 > 0).then(|| SimDuration::from_nanos(self.srtt8 / 8))
    }

    /// The RTO's variance term divided by 4, comparable with RFC 6298's
    /// RTTVAR.
    pub fn rttvar(&self) -> SimDuration {
        SimDuration::from_nanos(self.rttvar / 4)
    }

    /// `__tcp_set_rto`: SRTT + rttvar (the caller bounds it by `rto_max`).
    pub fn rto(&self) -> SimDuration {
        SimDuration::from_nanos(self.srtt8 / 8 + self.rttvar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    #[test]
    fn a_first_sample_of_80ms_gives_an_rto_of_srtt_plus_the_200ms_floor() {
        let mut e = LinuxRtt::new(ms(200));
        e.on_sample(ms(80), 0, 100);
        assert_eq!(e.srtt(), Some(ms(80)));
        // 4 mdev = 160 ms, below rto_min: rttvar = 200 ms.
        assert_eq!(e.rto(), ms(280));
        let mut long = LinuxRtt::new(ms(200));
        long.on_sample(ms(300), 0, 100);
        // 4 mdev = 600 ms: RTO = 3R.
        assert_eq!(long.rto(), ms(900));
    }

    #[test]
    fn a_falling_rtt_moves_mdev_with_a_gain_of_one_thirty_second() {
        let mut e = LinuxRtt::new(SimDuration::ZERO);
        e.on_sample(ms(100), 0, 100);
        // mdev4 = 200 ms. A sample of 20 ms: err 80 > mdev 50 ms, so mdev4
        // += (80 - 50) / 8 = 3.75 ms (RFC 6298 would add 30 ms to 4 RTTVAR
        // ... in quarters: 4 * (3/4 * 50 + 80/4) = 230 ms).
        e.on_sample(ms(20), 0, 100);
        assert_eq!(e.mdev4, 203_750_000);
        assert_eq!(e.srtt(), Some(ms(90)));
        // A rise moves it with gain 1/4: srtt 90, R 190: err 100 - 50.9375
        e.on_sample(ms(190), 0, 100);
        assert_eq!(e.mdev4, 203_750_000 + 100_000_000 - 50_937_500);
    }

    #[test]
    fn the_variance_term_decays_by_a_quarter_per_round_towards_the_rounds_largest_deviation() {
        let mut e = LinuxRtt::new(ms(200));
        e.on_sample(ms(300), 0, 100);
        assert_eq!(e.rttvar, 600_000_000);
        // Steady 300 ms samples within the first round: mdev shrinks, rttvar
        // stays (no round has ended).
        for _ in 0..5 {
            e.on_sample(ms(300), 50, 100);
        }
        assert_eq!(e.rttvar, 600_000_000);
        // SND.UNA passes 100: the round ends; rttvar -= (600 - mdev_max)/4
        // where mdev_max is the largest 4 mdev of the round (600 ms, the
        // first sample's).
        e.on_sample(ms(300), 101, 200);
        assert_eq!(e.rttvar, 600_000_000);
        assert_eq!(e.mdev_max, 200_000_000);
        // Next round: mdev4 is small, mdev_max stays at rto_min (200 ms):
        // rttvar falls by (600 - 200) / 4 = 100 ms.
        e.on_sample(ms(300), 201, 300);
        assert_eq!(e.rttvar, 500_000_000);
        assert_eq!(e.rto(), ms(800));
    }

    #[test]
    fn on_a_steady_10ms_path_the_rto_is_210ms() {
        let mut e = LinuxRtt::new(ms(200));
        for i in 0..100 {
            e.on_sample(ms(10), 10 * i + 1, 10 * i + 10);
        }
        assert_eq!(e.rto(), ms(210));
    }
}
