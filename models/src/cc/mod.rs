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
//!
//! On an ACK the sender calls [`CongestionControl::on_ack_lazy`], which
//! hands a [`LazyCoupling`]: the views are built the first time the
//! algorithm asks for them ([`LazyCoupling::get`]), so that an ACK that
//! does not need the siblings (every ACK of Reno and CUBIC, a slow-start
//! ACK of LIA, OLIA or BALIA) costs no views. The default implementation
//! asks for them and calls `on_ack`, so an algorithm written against
//! `on_ack(&AckSample, &Coupling)` alone sees exactly the coupling it saw
//! before; override `on_ack_lazy` to skip the views. What a view holds does
//! not depend on when it is built: the caller's own entry is taken when the
//! input began (as the eager slice was), and the siblings do not change
//! while one subflow handles its input.

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

/// A [`Coupling`] built on first use: what
/// [`CongestionControl::on_ack_lazy`] receives.
///
/// Either ready-made (a caller that has the slice already,
/// [`LazyCoupling::ready`]) or deferred ([`LazyCoupling::deferred`]): the
/// caller's own view, taken now, and a function that gives the view of each
/// sibling, called only on the first [`get`](LazyCoupling::get), into a
/// buffer the caller owns (no allocation per ACK once it has grown).
pub struct LazyCoupling<'a> {
    me: usize,
    source: CouplingSource<'a>,
}

enum CouplingSource<'a> {
    Ready(&'a [SubflowCcView]),
    Deferred {
        own: SubflowCcView,
        len: usize,
        sibling: &'a dyn Fn(usize) -> SubflowCcView,
        buf: &'a mut Vec<SubflowCcView>,
        built: bool,
    },
}

impl std::fmt::Debug for LazyCoupling<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyCoupling")
            .field("me", &self.me)
            .field("built", &self.is_built())
            .finish_non_exhaustive()
    }
}

impl<'a> LazyCoupling<'a> {
    /// A coupling that is built already.
    pub fn ready(coupling: Coupling<'a>) -> Self {
        LazyCoupling {
            me: coupling.me,
            source: CouplingSource::Ready(coupling.subflows),
        }
    }

    /// `len` subflows, the caller at `me` with its view `own`; the first
    /// [`get`](Self::get) fills `buf` with `own` at `me` and `sibling(i)` at
    /// every other index `i < len`.
    pub fn deferred(
        me: usize,
        own: SubflowCcView,
        len: usize,
        sibling: &'a dyn Fn(usize) -> SubflowCcView,
        buf: &'a mut Vec<SubflowCcView>,
    ) -> Self {
        debug_assert!(me < len, "the caller is one of the subflows");
        LazyCoupling {
            me,
            source: CouplingSource::Deferred {
                own,
                len,
                sibling,
                buf,
                built: false,
            },
        }
    }

    /// The calling subflow's index.
    pub fn me(&self) -> usize {
        self.me
    }

    /// Whether the views exist: always for a ready coupling, after the
    /// first [`get`](Self::get) for a deferred one.
    pub fn is_built(&self) -> bool {
        match &self.source {
            CouplingSource::Ready(_) => true,
            CouplingSource::Deferred { built, .. } => *built,
        }
    }

    /// The coupling, built on the first call.
    pub fn get(&mut self) -> Coupling<'_> {
        let me = self.me;
        match &mut self.source {
            CouplingSource::Ready(subflows) => Coupling { me, subflows },
            CouplingSource::Deferred {
                own,
                len,
                sibling,
                buf,
                built,
            } => {
                if !*built {
                    buf.clear();
                    buf.extend((0..*len).map(|i| if i == me { *own } else { sibling(i) }));
                    *built = true;
                }
                Coupling { me, subflows: buf }
            }
        }
    }
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
    /// [`on_ack`](Self::on_ack) with the siblings' views built only if the
    /// algorithm asks for them ([`LazyCoupling::get`]); the TCP sender calls
    /// this one. The default asks and calls `on_ack`, so an algorithm that
    /// implements only `on_ack` behaves as before. An override must give
    /// the same window as `on_ack` given the same views (the built-in
    /// algorithms are tested for it).
    fn on_ack_lazy(&mut self, ack: &AckSample, coupling: &mut LazyCoupling<'_>) {
        self.on_ack(ack, &coupling.get());
    }
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

    fn view_ms(cwnd_bytes: u64, srtt_ms: u64, usable: bool) -> SubflowCcView {
        SubflowCcView {
            cwnd_bytes,
            ssthresh_bytes: cwnd_bytes,
            srtt: Some(SimDuration::from_millis(srtt_ms)),
            mss_bytes: 1000,
            usable,
            loss_distance_bytes: 0,
        }
    }

    #[test]
    fn a_deferred_coupling_builds_its_views_once_on_the_first_get() {
        let siblings = [view_ms(1, 10, true), view_ms(2, 20, true), view_ms(3, 30, false)];
        let calls = std::cell::Cell::new(0);
        let sibling = |i: usize| {
            calls.set(calls.get() + 1);
            siblings[i]
        };
        let own = view_ms(99, 5, true);
        let mut buf = vec![view_ms(7, 7, true); 5];
        let mut c = LazyCoupling::deferred(1, own, 3, &sibling, &mut buf);
        assert!(!c.is_built());
        assert_eq!(calls.get(), 0);
        assert_eq!(c.me(), 1);
        let got = c.get();
        assert_eq!((got.me, got.subflows), (1, &[siblings[0], own, siblings[2]][..]));
        assert!(c.is_built());
        let _ = c.get();
        // The own view is never asked of the source; each sibling once.
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn a_ready_coupling_hands_back_its_slice() {
        let views = [view_ms(1, 10, true), view_ms(2, 20, true)];
        let mut c = LazyCoupling::ready(Coupling {
            me: 1,
            subflows: &views,
        });
        assert!(c.is_built());
        let got = c.get();
        assert_eq!((got.me, got.subflows), (1, &views[..]));
    }

    #[test]
    fn reno_and_cubic_never_build_the_views_and_coupled_ones_not_in_slow_start() {
        use crate::policy::CcFactory;
        let factories: [(&dyn CcFactory, bool); 5] = [
            (&RenoConfig {}, false),
            (&CubicConfig {}, false),
            (&LiaConfig {}, true),
            (&OliaConfig {}, true),
            (&BaliaConfig {}, true),
        ];
        for (f, coupled) in factories {
            let mut cc = f.build(1000, initial_window_bytes(1000));
            let sibling = |_| view_ms(50_000, 40, true);
            let mut buf = Vec::new();
            let mut ack = reno::tests::ack(1000);
            ack.srtt = Some(SimDuration::from_millis(20));
            // Slow start: no one asks.
            let mut c = LazyCoupling::deferred(0, view_ms(10_000, 20, true), 2, &sibling, &mut buf);
            cc.on_ack_lazy(&ack, &mut c);
            assert!(!c.is_built(), "{} in slow start", cc.name());
            // Congestion avoidance: only the coupled ones ask.
            let eager = [view_ms(10_000, 20, true), view_ms(50_000, 40, true)];
            cc.on_congestion_event(
                SimTime::ZERO,
                20_000,
                &Coupling {
                    me: 0,
                    subflows: &eager,
                },
            );
            for _ in 0..20 {
                let mut c = LazyCoupling::deferred(0, eager[0], 2, &sibling, &mut buf);
                cc.on_ack_lazy(&ack, &mut c);
                if !coupled {
                    assert!(!c.is_built(), "{} in congestion avoidance", cc.name());
                }
            }
        }
    }

    mod lazy_against_eager {
        use super::*;
        use crate::policy::CcFactory;
        use proptest::prelude::*;

        /// One step: an ACK (bytes, cwnd-limited, our srtt) with the
        /// sibling's window and RTT at that moment, or a congestion event.
        #[derive(Clone, Debug)]
        enum Step {
            Ack {
                bytes: u64,
                cwnd_limited: bool,
                srtt_ms: u64,
                sibling_cwnd: u64,
                sibling_ms: u64,
                sibling_usable: bool,
            },
            Loss {
                flight: u64,
            },
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                8 => (1u64..4_000, any::<bool>(), 1u64..300, 1_000u64..500_000, 1u64..300, any::<bool>()).prop_map(
                    |(bytes, cwnd_limited, srtt_ms, sibling_cwnd, sibling_ms, sibling_usable)| Step::Ack {
                        bytes,
                        cwnd_limited,
                        srtt_ms,
                        sibling_cwnd,
                        sibling_ms,
                        sibling_usable,
                    }
                ),
                1 => (2_000u64..400_000).prop_map(|flight| Step::Loss { flight }),
            ]
        }

        proptest! {
            #[test]
            fn on_ack_lazy_grows_every_algorithm_exactly_as_on_ack(
                algo in 0usize..5,
                me in 0usize..2,
                steps in proptest::collection::vec(step(), 1..300),
            ) {
                let factories: [&dyn CcFactory; 5] =
                    [&RenoConfig {}, &CubicConfig {}, &LiaConfig {}, &OliaConfig {}, &BaliaConfig {}];
                let mut eager_cc = factories[algo].build(1000, initial_window_bytes(1000));
                let mut lazy_cc = factories[algo].build(1000, initial_window_bytes(1000));
                let mut buf = Vec::new();
                let mut now = SimTime::ZERO;
                let mut last_srtt = SimDuration::from_millis(50);
                let mut sibling_view = view_ms(10_000, 50, true);
                for s in steps {
                    now += SimDuration::from_millis(1);
                    let own = SubflowCcView {
                        cwnd_bytes: eager_cc.cwnd_bytes(),
                        ssthresh_bytes: eager_cc.ssthresh_bytes(),
                        srtt: Some(last_srtt),
                        mss_bytes: 1000,
                        usable: true,
                        loss_distance_bytes: eager_cc.loss_distance_bytes(),
                    };
                    let mut views = [sibling_view; 2];
                    views[me] = own;
                    let eager = Coupling { me, subflows: &views };
                    match s {
                        Step::Ack { bytes, cwnd_limited, srtt_ms, sibling_cwnd, sibling_ms, sibling_usable } => {
                            let sib = view_ms(sibling_cwnd, sibling_ms, sibling_usable);
                            views[1 - me] = sib;
                            let eager = Coupling { me, subflows: &views };
                            let srtt = SimDuration::from_millis(srtt_ms);
                            let ack = AckSample {
                                now,
                                bytes_acked: bytes,
                                bytes_in_flight: eager_cc.cwnd_bytes(),
                                rtt: Some(srtt),
                                srtt: Some(srtt),
                                min_rtt: Some(SimDuration::from_millis(1)),
                                cwnd_limited,
                                snd_una: 0,
                                snd_nxt: 0,
                                ca_rtt: Some(srtt),
                            };
                            eager_cc.on_ack(&ack, &eager);
                            let sibling = |_| sib;
                            let mut lazy = LazyCoupling::deferred(me, own, 2, &sibling, &mut buf);
                            lazy_cc.on_ack_lazy(&ack, &mut lazy);
                            if lazy.is_built() {
                                prop_assert_eq!(lazy.get().subflows, eager.subflows);
                            }
                            last_srtt = srtt;
                            sibling_view = sib;
                        }
                        Step::Loss { flight } => {
                            eager_cc.on_congestion_event(now, flight, &eager);
                            lazy_cc.on_congestion_event(now, flight, &eager);
                        }
                    }
                    prop_assert_eq!(lazy_cc.cwnd_bytes(), eager_cc.cwnd_bytes());
                    prop_assert_eq!(lazy_cc.ssthresh_bytes(), eager_cc.ssthresh_bytes());
                    prop_assert_eq!(lazy_cc.loss_distance_bytes(), eager_cc.loss_distance_bytes());
                }
            }
        }
    }
}
