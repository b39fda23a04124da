//! Congestion control: the [`CongestionControl`] trait and one algorithm per file.
//!
//! The trait only owns the window (`cwnd`, `ssthresh`) and its growth and
//! reduction rules. Loss detection, recovery and the send decision belong to
//! the TCP sender (`crate::tcp`): during fast recovery the sender, not the
//! algorithm, decides how much may be in flight (RFC 6675 pipe, or the RFC
//! 6582 inflation), and `on_ack` is not called.
//!
//! Coupled multipath algorithms (LIA, OLIA, BALIA) need the sibling subflows'
//! windows and RTTs: every call gets a [`Coupling`], a plain slice of
//! [`SubflowCcView`]s with the calling subflow's own index. A single-path
//! TCP passes a slice of one.

use sim_core::{SimDuration, SimTime};

pub mod balia;
pub mod cubic;
pub mod hystart;
pub mod hystart_pp;
pub mod lia;
pub mod olia;
pub mod reno;

pub use balia::BaliaConfig;
pub use cubic::CubicConfig;
pub use lia::LiaConfig;
pub use olia::OliaConfig;
pub use reno::RenoConfig;

/// How a slow start may end before the first loss. Only algorithms that
/// implement it look at it (CUBIC, as in Linux; Reno ignores it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SlowStartExit {
    /// Slow start ends at ssthresh or on a loss (Linux `hystart=0`).
    #[default]
    Off,
    /// Linux CUBIC's HyStart: ACK-train and delay-increase detection
    /// ([`hystart`]).
    HyStart,
    /// HyStart++, RFC 9406 ([`hystart_pp`]).
    HyStartPlusPlus,
}

/// What one subflow's congestion state looks like to its siblings.
///
/// `Default` gives an empty, unusable view, so a caller can write
/// `SubflowCcView { cwnd_bytes, srtt, .. Default::default() }`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubflowCcView {
    /// The algorithm's `cwnd_bytes()`, without the sender's fast-recovery
    /// inflation (coupled sums must not see it; Linux OLIA uses ssthresh
    /// during recovery for that reason).
    pub cwnd_bytes: u64,
    /// Slow-start threshold in bytes; `u64::MAX` while infinite.
    pub ssthresh_bytes: u64,
    /// Smoothed RTT; `None` before the first sample.
    pub srtt: Option<SimDuration>,
    /// The subflow's sender MSS, in bytes.
    pub mss_bytes: u32,
    /// Whether the subflow may carry data now (established, not failed).
    /// Coupled algorithms sum only over usable subflows.
    pub usable: bool,
    /// OLIA's loss distance l_r: bytes acknowledged between the last two
    /// losses, or since the last loss if more
    /// (draft-khalili-mptcp-congestion-control-05). Fill it from
    /// [`CongestionControl::loss_distance_bytes`] of the subflow's
    /// algorithm; only OLIA reads it, and 0 means "none yet".
    pub loss_distance_bytes: u64,
}

/// The calling subflow and all its siblings (itself included at `me`).
#[derive(Clone, Copy, Debug)]
pub struct Coupling<'a> {
    /// Index of the calling subflow in `subflows`.
    pub me: usize,
    /// Every subflow of the connection, the caller included.
    pub subflows: &'a [SubflowCcView],
}

/// An acknowledgement of new data outside loss recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckSample {
    /// When the ACK was processed.
    pub now: SimTime,
    /// Newly acknowledged bytes (cumulatively or, with SACK, newly SACKed).
    pub bytes_acked: u64,
    /// Bytes in flight before this ACK was processed.
    pub bytes_in_flight: u64,
    /// An RTT sample from this ACK, if Karn's rule allows one (RFC 6298 3).
    pub rtt: Option<SimDuration>,
    /// The sender's smoothed RTT after this ACK.
    pub srtt: Option<SimDuration>,
    /// The minimum RTT seen on the subflow.
    pub min_rtt: Option<SimDuration>,
    /// Whether the sender was limited by cwnd (not by the application or
    /// the receive window) when this data was sent: RFC 7661 says not to
    /// grow cwnd otherwise; Linux `tcp_is_cwnd_limited`.
    pub cwnd_limited: bool,
    /// SND.UNA after this ACK (rounds of data for HyStart).
    pub snd_una: u64,
    /// SND.NXT (the highest sequence number sent + 1) after this ACK.
    pub snd_nxt: u64,
    /// The RTT of the newest segment this ACK covers (Linux `ca_rtt_us`,
    /// HyStart's delay sample); `None` if Karn's rule allows none.
    pub ca_rtt: Option<SimDuration>,
}

/// A congestion-control algorithm, in bytes.
pub trait CongestionControl: std::fmt::Debug + Send {
    /// The scenario spelling of the algorithm, e.g. `"cubic"`.
    fn name(&self) -> &'static str;
    /// The congestion window, in bytes (cwnd, RFC 5681 2).
    fn cwnd_bytes(&self) -> u64;
    /// The slow-start threshold, in bytes (ssthresh, RFC 5681 3.1);
    /// `u64::MAX` while infinite.
    fn ssthresh_bytes(&self) -> u64;
    /// `cwnd < ssthresh` (RFC 5681 3.1).
    fn in_slow_start(&self) -> bool {
        self.cwnd_bytes() < self.ssthresh_bytes()
    }
    /// New data acknowledged outside recovery: grow the window.
    fn on_ack(&mut self, ack: &AckSample, coupling: &Coupling<'_>);
    /// Loss detected by duplicate ACKs or SACK: entering fast recovery.
    /// Sets `ssthresh` and `cwnd` (RFC 5681 3.2 step 2 for Reno).
    fn on_congestion_event(&mut self, now: SimTime, bytes_in_flight: u64, coupling: &Coupling<'_>);
    /// Fast recovery ended (the recovery point was acknowledged):
    /// `bytes_in_flight` after the ACK (RFC 6582 3.2 step 3).
    fn on_recovery_exit(&mut self, now: SimTime, bytes_in_flight: u64) {
        let _ = (now, bytes_in_flight);
    }
    /// Penalisation by a faster sibling (Raiciu et al., NSDI 2012; Linux
    /// `mptcp_rcv_buf_optimization`): cwnd = max(cwnd/2, 1 MSS) and, if cwnd
    /// was at least ssthresh, ssthresh = max(ssthresh/2, 2 MSS).
    fn penalise(&mut self);
    /// Retransmission timeout: `cwnd = 1 MSS` (RFC 5681 3.1, the loss
    /// window) and, unless `repeated`, `ssthresh` from `bytes_in_flight`
    /// (RFC 5681 3.1 eq. (4) for Reno). `bytes_in_flight` is the sender's
    /// FlightSize, "the amount of outstanding data in the network": sent,
    /// not cumulatively acknowledged and not SACKed. `repeated`: the
    /// segment that timed out had already been retransmitted by way of the
    /// retransmission timer (the previous timeout resent it and SND.UNA has
    /// not advanced since), so "the value of ssthresh is held constant"
    /// (RFC 5681 3.1); the sender decides it, since it owns loss detection.
    fn on_rto(&mut self, now: SimTime, bytes_in_flight: u64, repeated: bool, coupling: &Coupling<'_>);
    /// After an idle period longer than an RTO (RFC 5681 4.1), restart from
    /// the restart window. Default: nothing (Linux `tcp_slow_start_after_idle`
    /// is on, so algorithms should implement it).
    fn on_idle_restart(&mut self, now: SimTime) {
        let _ = now;
    }
    /// A timeout was found spurious (F-RTO, RFC 5682; Linux
    /// `tcp_undo_cwnd_reduction`): cwnd back to at least `prior_cwnd_bytes`
    /// (Linux `tcp_reno_undo_cwnd`, also CUBIC's) and ssthresh to
    /// `prior_ssthresh_bytes` if that is higher. Default: nothing.
    fn undo_reduction(&mut self, prior_cwnd_bytes: u64, prior_ssthresh_bytes: u64) {
        let _ = (prior_cwnd_bytes, prior_ssthresh_bytes);
    }
    /// Chooses how slow start may end early ([`SlowStartExit`]); called
    /// once, before the first ACK. Default: ignored (slow start as RFC 5681).
    fn set_slow_start_exit(&mut self, exit: SlowStartExit) {
        let _ = exit;
    }
    /// The value to publish in this subflow's
    /// [`SubflowCcView::loss_distance_bytes`]. Only OLIA tracks it; the
    /// default is 0.
    fn loss_distance_bytes(&self) -> u64 {
        0
    }
}

/// One subflow as the coupled algorithms (LIA, OLIA, BALIA) count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CoupledPath {
    pub is_me: bool,
    pub cwnd_bytes: u64,
    /// Smoothed RTT in nanoseconds, at least 1.
    pub rtt_nanos: u64,
    pub loss_distance_bytes: u64,
}

impl Coupling<'_> {
    /// The caller's SRTT: the fresh value if it has one, else its own entry
    /// in the snapshot.
    pub(crate) fn my_srtt(&self, fresh: Option<SimDuration>) -> Option<SimDuration> {
        fresh.or_else(|| self.subflows.get(self.me)?.srtt)
    }

    /// The subflows the coupled sums run over: usable ones with an RTT
    /// sample (Linux `mptcp_sk_can_send(sk) && srtt`). The caller's own entry
    /// takes its live window, RTT and loss distance from the arguments
    /// (fresher than the snapshot in the slice) and is left out only when it
    /// has no RTT yet; then the caller should behave as Reno.
    pub(crate) fn coupled_paths(
        &self,
        my_cwnd_bytes: u64,
        my_srtt: Option<SimDuration>,
        my_loss_distance_bytes: u64,
    ) -> impl Iterator<Item = CoupledPath> + Clone + '_ {
        let me = self.me;
        let mine = my_srtt.map(|srtt| CoupledPath {
            is_me: true,
            cwnd_bytes: my_cwnd_bytes,
            rtt_nanos: srtt.as_nanos().max(1),
            loss_distance_bytes: my_loss_distance_bytes,
        });
        let others = self
            .subflows
            .iter()
            .enumerate()
            .filter(move |(i, v)| *i != me && v.usable)
            .filter_map(|(_, v)| {
                v.srtt.map(|srtt| CoupledPath {
                    is_me: false,
                    cwnd_bytes: v.cwnd_bytes,
                    rtt_nanos: srtt.as_nanos().max(1),
                    loss_distance_bytes: v.loss_distance_bytes,
                })
            });
        mine.into_iter().chain(others)
    }
}

/// The initial window as Linux sets it: 10 segments (`TCP_INIT_CWND`).
/// RFC 6928 2 allows min(10*MSS, max(2*MSS, 14600 bytes)); Linux counts
/// segments, so with MSS 1460 both give 14600 bytes.
pub fn initial_window_bytes(mss: u32) -> u64 {
    10 * mss as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_factory_builds_its_algorithm_with_the_initial_window() {
        use crate::policy::CcFactory;
        // initial_window_bytes(1460) = 10 * 1460 = 14600; ssthresh infinite.
        let factories: [(&dyn CcFactory, &str); 5] = [
            (&RenoConfig {}, "reno"),
            (&CubicConfig {}, "cubic"),
            (&LiaConfig {}, "lia"),
            (&OliaConfig {}, "olia"),
            (&BaliaConfig {}, "balia"),
        ];
        for (f, name) in factories {
            let cc = f.build(1460, initial_window_bytes(1460));
            assert_eq!(cc.name(), name);
            assert_eq!(cc.cwnd_bytes(), 14_600);
            assert_eq!(cc.ssthresh_bytes(), u64::MAX);
            assert!(cc.in_slow_start());
            assert_eq!(cc.loss_distance_bytes(), 0);
        }
    }

    #[test]
    fn coupled_paths_keep_usable_siblings_with_an_rtt_and_our_live_values() {
        let rtt = |ms| Some(SimDuration::from_millis(ms));
        let views = [
            SubflowCcView {
                cwnd_bytes: 1,
                srtt: rtt(5),
                usable: true,
                ..Default::default()
            },
            SubflowCcView {
                cwnd_bytes: 2,
                srtt: rtt(10),
                usable: true,
                loss_distance_bytes: 7,
                ..Default::default()
            },
            SubflowCcView {
                cwnd_bytes: 3,
                srtt: rtt(10),
                usable: false,
                ..Default::default()
            },
            SubflowCcView {
                cwnd_bytes: 4,
                srtt: None,
                usable: true,
                ..Default::default()
            },
        ];
        let c = Coupling {
            me: 0,
            subflows: &views,
        };
        let paths: Vec<_> = c.coupled_paths(100, rtt(20), 9).collect();
        assert_eq!(
            paths,
            [
                CoupledPath {
                    is_me: true,
                    cwnd_bytes: 100,
                    rtt_nanos: 20_000_000,
                    loss_distance_bytes: 9,
                },
                CoupledPath {
                    is_me: false,
                    cwnd_bytes: 2,
                    rtt_nanos: 10_000_000,
                    loss_distance_bytes: 7,
                },
            ]
        );
        // Without an RTT of our own we are left out.
        assert!(c.coupled_paths(100, None, 0).all(|p| !p.is_me));
    }
}
