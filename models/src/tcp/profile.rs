//! TCP profiles: named sets of the start-up, loss-recovery and RTO
//! mechanisms, so that a user can run the same scenario with the stack of
//! an RFC or of a kernel and compare.
//!
//! A profile only chooses values for the individual switches of
//! [`TcpConfig`](super::TcpConfig) ([`TcpProfile::apply`]); every switch
//! stays reachable on its own afterwards.
//!
//! | switch | `Rfc6675` | `Linux6` |
//! |---|---|---|
//! | `rto_estimator` | RFC 6298 | Linux `tcp_rtt_estimator` / `tcp_set_rto` |
//! | `loss_response` | RFC 5681 (ssthresh from FlightSize) | Linux `tcp_enter_loss` / `tcp_init_cwnd_reduction` (from cwnd, held within an episode) |
//! | `slow_start_exit` | none | HyStart (Linux `tcp_cubic.c`, CUBIC only) |
//! | `prr` | off (RFC 6675 pipe < cwnd) | RFC 6937 (Linux `tcp_cwnd_reduction`) |
//! | `frto` | off | RFC 5682 3.1 with Linux's undo (`tcp_process_loss`) |
//! | `rack_tlp` | off (RFC 6675 `IsLost`) | RFC 8985 RACK-TLP (`tcp_recovery.c`, `tcp_schedule_loss_probe`; `send/rack.rs`) |
//! | `initial_window_segments` | 10 | 10 |
//!
//! With `rack_tlp` off (`Rfc6675`) a lost retransmission or a lost tail
//! waits for the RTO. Linux always runs RACK with PRR: `rack_tlp` added to
//! `Rfc6675` alone (RFC 6675's pipe < cwnd sending, ssthresh from a
//! FlightSize that counts SACKed data) can, after a large overshoot, keep
//! resending what overflows the queue for the whole recovery instead of
//! timing out (docs/validation.md). Not modelled in either profile (a user sees
//! their absence): the undo of a spurious fast recovery and the
//! timestamp/D-SACK undo of a timeout (Linux `tcp_try_undo_recovery`,
//! `tcp_packet_delayed`), D-SACK from the receiver, pacing, TSO.

use serde::{Deserialize, Serialize};

use super::config::TcpConfig;
pub use crate::cc::SlowStartExit;

/// A named stack.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TcpProfile {
    /// The RFCs as mpsim modelled them before issue 16: RFC 6298 RTO, RFC
    /// 5681 ssthresh from FlightSize (held only on a repeated timeout), RFC
    /// 6675 recovery without PRR, no F-RTO, slow start until the first loss.
    Rfc6675,
    /// Linux 6.x (read in 6.18), the default: the mdev-based RTO with its
    /// 200 ms floor on the variance term, ssthresh from cwnd and kept
    /// through a loss episode, PRR, F-RTO, HyStart in CUBIC, RACK-TLP.
    #[default]
    Linux6,
}

/// How SRTT, RTTVAR and the RTO are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RtoEstimator {
    /// RFC 6298 2, with the minimum applied as `rto_min_rule` says.
    #[default]
    Rfc6298,
    /// Linux `tcp_rtt_estimator` and `__tcp_set_rto`: a smaller gain for
    /// RTT decreases, the variance term the largest mean deviation of the
    /// last round (at least `rto_min`), decaying by a quarter per round;
    /// RTO = SRTT + that term. `rto_min_rule` is not used.
    Linux,
}

/// How ssthresh is set on a loss and whether a timeout lowers it again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossResponse {
    /// RFC 5681 3.1 eq. (4) and 3.2 step 2: from FlightSize (the data in
    /// the network); a timeout lowers ssthresh again unless the segment it
    /// resends was already resent by the timer.
    #[default]
    Rfc5681,
    /// Linux `tcp_init_cwnd_reduction` and `tcp_enter_loss`: the
    /// congestion control's ssthresh from cwnd; a timeout during fast
    /// recovery, or a second one in a loss phase before SND.UNA moves,
    /// keeps the ssthresh the episode began with.
    Linux,
}

impl TcpProfile {
    /// Sets the switches this profile names; the other fields of `cfg`
    /// (buffers, MSS, timers' bounds, ...) are left as they are.
    pub fn apply(self, cfg: &mut TcpConfig) {
        match self {
            TcpProfile::Rfc6675 => {
                cfg.rto_estimator = RtoEstimator::Rfc6298;
                cfg.loss_response = LossResponse::Rfc5681;
                cfg.slow_start_exit = SlowStartExit::Off;
                cfg.prr = false;
                cfg.frto = false;
                cfg.rack_tlp = false;
            }
            TcpProfile::Linux6 => {
                cfg.rto_estimator = RtoEstimator::Linux;
                cfg.loss_response = LossResponse::Linux;
                cfg.slow_start_exit = SlowStartExit::HyStart;
                cfg.prr = true;
                cfg.frto = true;
                // Linux `sysctl_tcp_recovery` = 1 (RACK; since 4.18 it
                // replaces RFC 6675's duplicate-ACK rule) and
                // `sysctl_tcp_early_retrans` = 3 (TLP).
                cfg.rack_tlp = true;
            }
        }
        // RFC 6928 / Linux `TCP_INIT_CWND`: both start with 10 segments.
        cfg.initial_window_segments = 10;
    }

    /// A default configuration with this profile's switches.
    pub fn config(self) -> TcpConfig {
        let mut cfg = TcpConfig::default();
        self.apply(&mut cfg);
        cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_is_the_linux6_profile() {
        assert_eq!(TcpProfile::default(), TcpProfile::Linux6);
        assert_eq!(TcpProfile::Linux6.config(), TcpConfig::default());
        assert_ne!(TcpProfile::Rfc6675.config(), TcpConfig::default());
    }

    #[test]
    fn the_linux6_profile_turns_on_every_linux_switch_and_keeps_the_rest() {
        let cfg = TcpProfile::Linux6.config();
        assert_eq!(cfg.rto_estimator, RtoEstimator::Linux);
        assert_eq!(cfg.loss_response, LossResponse::Linux);
        assert_eq!(cfg.slow_start_exit, SlowStartExit::HyStart);
        assert!(cfg.prr && cfg.frto && cfg.rack_tlp);
        assert_eq!(cfg.initial_window_segments, 10);
        let d = TcpConfig::default();
        assert_eq!((cfg.mss_bytes, cfg.rto_min, cfg.sack), (d.mss_bytes, d.rto_min, d.sack));
    }
}
