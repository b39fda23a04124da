//! Proportional Rate Reduction, RFC 6937, as Linux runs it
//! (`net/ipv4/tcp_input.c` `tcp_init_cwnd_reduction`,
//! `tcp_cwnd_reduction`, `tcp_end_cwnd_reduction`), in bytes.
//!
//! During SACK fast recovery the sender may have `pipe + sndcnt` in flight
//! after each ACK, where `sndcnt` spreads the reduction from the window at
//! the start of recovery (`RecoverFS`, Linux `prior_cwnd`) to ssthresh over
//! the recovery's ACKs:
//! - while pipe > ssthresh (proportional part, RFC 6937 3):
//!   `sndcnt = ceil(prr_delivered * ssthresh / RecoverFS) - prr_out`;
//! - once pipe <= ssthresh (slow-start reduction bound, PRR-SSRB):
//!   `sndcnt = min(ssthresh - pipe, max(prr_delivered - prr_out,
//!   DeliveredData) + MSS)`, the extra MSS only on an ACK that advances
//!   SND.UNA (Linux: `FLAG_SND_UNA_ADVANCED`);
//! - the first ACK of a recovery always lets one segment out (the fast
//!   retransmission; Linux "force a fast retransmit").
//!
//! Simplified (observable): Linux also withholds the extra MSS when the ACK
//! marked new losses (`newly_lost`); here there is no per-ACK count of newly
//! lost data. RecoverFS is cwnd at entry (Linux), not the RFC's pipe.

/// PRR state of one fast recovery.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prr {
    /// RFC 6937 `RecoverFS` (Linux `prior_cwnd`), bytes.
    recover_fs: u64,
    /// Bytes delivered (cumulatively ACKed or SACKed) since recovery began.
    delivered: u64,
    /// Bytes sent since recovery began.
    out: u64,
    /// The window the send decision uses until the next ACK: pipe + sndcnt.
    window: u64,
}

impl Prr {
    /// Recovery begins with `cwnd_bytes` the window before the reduction
    /// (RFC 6937 3 "at the beginning of recovery"; Linux
    /// `tcp_init_cwnd_reduction`).
    pub fn start(cwnd_bytes: u64) -> Self {
        Prr {
            recover_fs: cwnd_bytes.max(1),
            ..Prr::default()
        }
    }

    /// Bytes sent (new or retransmitted) during recovery.
    pub fn on_sent(&mut self, bytes: u64) {
        self.out += bytes;
    }

    /// An ACK during recovery (RFC 6937 3 "on every ACK"): `delivered` bytes
    /// newly ACKed or SACKed, `pipe` after it, `ssthresh` the target,
    /// `una_advanced` whether SND.UNA moved. Returns the window.
    pub fn on_ack(&mut self, delivered: u64, pipe: u64, ssthresh: u64, una_advanced: bool, smss: u64) -> u64 {
        if delivered == 0 {
            // Linux returns without touching cwnd.
            return self.window;
        }
        self.delivered += delivered;
        let sndcnt = if pipe > ssthresh {
            // RFC 6937 3: CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out.
            let allowed = (self.delivered as u128 * ssthresh as u128).div_ceil(self.recover_fs as u128) as u64;
            allowed.saturating_sub(self.out)
        } else {
            // RFC 6937 3 PRR-SSRB.
            let mut limit = self.delivered.saturating_sub(self.out).max(delivered);
            if una_advanced {
                limit += smss;
            }
            (ssthresh - pipe).min(limit)
        };
        // Linux: force the fast retransmission on entering recovery.
        let sndcnt = if self.out == 0 { sndcnt.max(smss) } else { sndcnt };
        self.window = pipe + sndcnt;
        self.window
    }

    /// The window the send decision compares pipe with.
    pub fn window(&self) -> u64 {
        self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1000;

    #[test]
    fn the_first_ack_of_a_recovery_lets_the_fast_retransmission_out() {
        // RFC 6937 appendix A's example: cwnd 20, ssthresh 10; the first
        // duplicate ACK delivers one segment while pipe is 19.
        let mut p = Prr::start(20 * MSS);
        // ceil(1 * 10 / 20) = 1 segment.
        assert_eq!(p.on_ack(MSS, 19 * MSS, 10 * MSS, false, MSS), 20 * MSS);
    }

    #[test]
    fn above_ssthresh_one_segment_goes_out_for_every_two_delivered() {
        let mut p = Prr::start(20 * MSS);
        p.on_ack(MSS, 19 * MSS, 10 * MSS, false, MSS);
        p.on_sent(MSS);
        // Second ACK: ceil(2 * 10/20) - 1 = 0 segments; pipe has fallen to 18.
        assert_eq!(p.on_ack(MSS, 18 * MSS, 10 * MSS, false, MSS), 18 * MSS);
        // Third: in bytes (RFC 6937 counts bytes) ceil(3000 * 10/20) - 1000
        // = 500: half a segment, which the send decision (RFC 6675 5 (C):
        // a full SMSS of room) does not use yet.
        assert_eq!(p.on_ack(MSS, 17 * MSS, 10 * MSS, false, MSS), 17 * MSS + 500);
        // Fourth: ceil(4000 * 10/20) - 1000 = 1000, a segment.
        assert_eq!(p.on_ack(MSS, 16 * MSS, 10 * MSS, false, MSS), 17 * MSS);
    }

    #[test]
    fn below_ssthresh_the_slow_start_bound_lets_pipe_grow_back_by_at_most_delivered_plus_one() {
        let mut p = Prr::start(20 * MSS);
        p.on_ack(MSS, 19 * MSS, 10 * MSS, false, MSS);
        p.on_sent(MSS);
        // A cumulative ACK delivers 5 segments and pipe drops to 4 (losses):
        // max(prr_delivered - prr_out = 5, 5) + 1 = 6, below ssthresh - pipe
        // = 6: 6 segments.
        assert_eq!(p.on_ack(5 * MSS, 4 * MSS, 10 * MSS, true, MSS), 10 * MSS);
        // Without SND.UNA moving there is no extra segment.
        let mut q = Prr::start(20 * MSS);
        q.on_ack(MSS, 19 * MSS, 10 * MSS, false, MSS);
        q.on_sent(MSS);
        assert_eq!(q.on_ack(3 * MSS, 4 * MSS, 10 * MSS, false, MSS), 7 * MSS);
    }

    #[test]
    fn an_ack_that_delivers_nothing_leaves_the_window_alone() {
        let mut p = Prr::start(20 * MSS);
        let w = p.on_ack(MSS, 19 * MSS, 10 * MSS, false, MSS);
        assert_eq!(p.on_ack(0, 5 * MSS, 10 * MSS, true, MSS), w);
        assert_eq!(p.window(), w);
    }
}
