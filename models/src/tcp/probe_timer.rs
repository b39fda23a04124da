//! The tail loss probe timer (RFC 8985 7.2) re-armed once per burst.
//!
//! Every new data segment sent re-arms the probe timer (Linux
//! `tcp_write_xmit` -> `tcp_schedule_loss_probe`, RFC 8985 7.2 "the sender
//! SHOULD start or restart the PTO timer after transmitting new data").
//! The deadline a segment sets replaces the previous one whole: it depends
//! only on the time, SRTT, the RTO, what is left of the running
//! retransmission timer, whether one segment is outstanding and the
//! recovery state, none of which a further new segment at the same instant
//! changes but the count of segments out, which the last one reads. So the
//! deadline of a burst is the one its last segment sets, and only that one
//! is worth computing: a new segment notes that the probe timer is owed a
//! re-arm (`defer_loss_probe`), and the re-arm is made when the burst ends
//! (`poll_transmit` answers `None`) or before anything that could read the
//! probe timer or change what its deadline depends on: every input
//! (`handle_segment*`, `handle_timeout*`), `close`, the endpoint closing,
//! and a segment of another kind (a retransmission, the probe itself).
//! `poll_timeout` on an endpoint mid-burst computes the owed deadline
//! without arming it. Linux does the same in its own way: `tcp_write_xmit`
//! calls `tcp_schedule_loss_probe` once after the loop that sends the burst.
//!
//! An ACK of new data re-arms the timer too (Linux `tcp_set_xmit_timer`,
//! bounded by a whole RTO, which the ACK restarted), and that re-arm is
//! owed the same way: most ACKs let a burst out, whose last segment
//! replaces it. Nothing between the ACK's processing and the end of the
//! polls after it changes what it depends on but the segments sent, and a
//! segment that is not new data makes the owed re-arm first.
//!
//! What a user could observe: nothing through `poll_timeout` and the
//! segments. [`TcpEndpoint::timers`] read between a new segment and the
//! end of its burst shows the probe deadline the timer had before the
//! burst (the armed deadline is settled at the burst's end).
//!
//! Debug builds compute the deadline at every deferral too and check that
//! the re-arm made later sets the same one; a property test over the test
//! pair (`tcp/tests/rack_tlp.rs`) compares every segment and every
//! `poll_timeout` with the deferral on and off.

use sim_core::SimTime;

use super::send::probe_timeout;
use super::{RecoveryPhase, TcpEndpoint, Timer};

/// A re-arm of the probe timer owed by the new segments of a burst.
#[derive(Clone, Copy, Debug)]
pub(super) struct OwedProbe {
    /// The time of the last re-arm not made yet.
    at: Option<SimTime>,
    /// Its `advancing_rto` (an ACK of new data's re-arm; a new segment's
    /// is not).
    advancing_rto: bool,
    /// Debug builds: the deadline the re-arm gave when it was owed.
    #[cfg(debug_assertions)]
    expect: Option<SimTime>,
    /// The deferral is on (off only where a test compares both ways).
    on: bool,
}

impl Default for OwedProbe {
    fn default() -> Self {
        OwedProbe {
            at: None,
            advancing_rto: false,
            #[cfg(debug_assertions)]
            expect: None,
            on: true,
        }
    }
}

impl TcpEndpoint {
    /// RFC 8985 7.2 / Linux `tcp_schedule_loss_probe`: the probe timer's
    /// deadline, `None` to disarm it: armed in the open state with data
    /// outstanding. `advancing_rto`: the RTO was just restarted (an ACK of
    /// new data), so the probe is bounded by a whole RTO; else by what is
    /// left of the running one.
    pub(super) fn loss_probe_deadline(&self, now: SimTime, advancing_rto: bool) -> Option<SimTime> {
        if !self.snd.rack_active() || self.snd.phase != RecoveryPhase::Open || self.snd.all_acked() {
            return None;
        }
        let rto_left = if advancing_rto {
            self.rtt.rto()
        } else {
            self.timers
                .get(Timer::Retransmit)
                .map_or(self.rtt.rto(), |t| t.saturating_since(now))
        };
        let pto = probe_timeout(self.rtt.srtt(), self.snd.records_len() == 1, self.cfg.rto_min, rto_left);
        Some(now + pto)
    }

    /// A new segment went out at `now` (`advancing_rto` false: Linux
    /// `tcp_write_xmit` -> `tcp_schedule_loss_probe`), or an ACK of new
    /// data arrived (true: Linux `tcp_set_xmit_timer`), RFC 8985 7.2: the
    /// re-arm is owed until the burst ends (see the module documentation).
    #[inline]
    pub(super) fn defer_loss_probe(&mut self, now: SimTime, advancing_rto: bool) {
        if !self.owed_probe.on {
            return self.schedule_loss_probe(now, advancing_rto);
        }
        self.owed_probe.at = Some(now);
        self.owed_probe.advancing_rto = advancing_rto;
        #[cfg(debug_assertions)]
        {
            self.owed_probe.expect = self.loss_probe_deadline(now, advancing_rto);
        }
    }

    /// Makes the owed re-arm of the probe timer, if any.
    #[inline]
    pub(super) fn settle_loss_probe(&mut self) {
        if let Some(at) = self.owed_probe.at {
            self.settle_loss_probe_owed(at);
        }
    }

    #[inline(never)]
    fn settle_loss_probe_owed(&mut self, at: SimTime) {
        self.owed_probe.at = None;
        let deadline = self.loss_probe_deadline(at, self.owed_probe.advancing_rto);
        #[cfg(debug_assertions)]
        assert_eq!(
            deadline, self.owed_probe.expect,
            "what the probe deadline depends on changed while owed"
        );
        match deadline {
            Some(d) => self.timers.set(Timer::LossProbe, d),
            None => self.timers.cancel(Timer::LossProbe),
        }
    }

    /// The earliest armed timer, the owed probe re-arm counted.
    #[inline]
    pub(super) fn earliest_timer(&self) -> Option<SimTime> {
        match self.owed_probe.at {
            None => self.timers.earliest(),
            Some(at) => self.earliest_timer_owed(at),
        }
    }

    #[inline(never)]
    fn earliest_timer_owed(&self, at: SimTime) -> Option<SimTime> {
        let mut t = self.timers;
        match self.loss_probe_deadline(at, self.owed_probe.advancing_rto) {
            Some(d) => t.set(Timer::LossProbe, d),
            None => t.cancel(Timer::LossProbe),
        }
        t.earliest()
    }

    /// A new segment of the burst being sent owes the loss probe timer a
    /// re-arm: [`TcpEndpoint::timers`] does not show it yet,
    /// [`TcpEndpoint::poll_timeout`] does.
    #[inline]
    pub fn owes_loss_probe(&self) -> bool {
        self.owed_probe.at.is_some()
    }

    /// Turns the deferral off (`false`) or on; for tests that compare the
    /// two ways. The segments sent and the deadlines must be the same.
    #[doc(hidden)]
    pub fn set_loss_probe_deferral(&mut self, on: bool) {
        self.settle_loss_probe();
        self.owed_probe.on = on;
    }
}

#[cfg(test)]
mod tests {
    use sim_core::{SimDuration, SimTime};

    use super::*;
    use crate::cc::reno::Reno;
    use crate::segment::Segment;
    use crate::tcp::{TcpConfig, TcpState};

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    /// A connected to B by hand (SYN at 0, SYN/ACK back at 20 ms, so SRTT
    /// is 20 ms), A with `bytes` queued and the probe deferral `on` or off.
    fn established(on: bool, bytes: u64) -> TcpEndpoint {
        established_pair(on, bytes).0
    }

    /// `established`, with B.
    fn established_pair(on: bool, bytes: u64) -> (TcpEndpoint, TcpEndpoint) {
        let cfg = TcpConfig::default();
        let reno = || Box::new(Reno::new(cfg.mss_bytes));
        let mut a = TcpEndpoint::connect(SimTime::ZERO, (1, 1000), (2, 80), 1_000, cfg.clone(), reno());
        a.set_loss_probe_deferral(on);
        let syn = a.poll_transmit(SimTime::ZERO).expect("SYN").seg;
        let mut b = TcpEndpoint::accept(ms(10), &syn, 9_000, cfg.clone(), reno());
        let syn_ack = b.poll_transmit(ms(10)).expect("SYN/ACK").seg;
        a.handle_segment(ms(20), &syn_ack);
        assert_eq!(a.state(), TcpState::Established);
        a.send(bytes);
        (a, b)
    }

    /// A's segments until its `None`, each at `now`, with A's deadline
    /// after each.
    fn burst(a: &mut TcpEndpoint, now: SimTime) -> Vec<(Segment, Option<SimTime>)> {
        let mut out = Vec::new();
        while let Some(t) = a.poll_transmit(now) {
            out.push((t.seg, a.poll_timeout()));
        }
        out
    }

    #[test]
    fn an_ack_of_new_data_owes_its_rearm_and_the_next_burst_replaces_it() {
        let ((mut lazy, mut b), (mut eager, _)) = (established_pair(true, 100_000), established_pair(false, 100_000));
        let (first, first_eager) = (burst(&mut lazy, ms(20)), burst(&mut eager, ms(20)));
        assert_eq!(first, first_eager);
        // B takes the burst in and acknowledges it (every second segment
        // at once, as Linux does); A gets the ACKs 20 ms later.
        let mut acks = Vec::new();
        for (seg, _) in &first {
            b.handle_segment(ms(30), seg);
            while let Some(t) = b.poll_transmit(ms(30)) {
                acks.push(t.seg);
            }
        }
        assert!(acks.len() >= 2, "{}", acks.len());
        for (k, ack) in acks.iter().enumerate() {
            let now = ms(40) + SimDuration::from_micros(k as u64);
            lazy.handle_segment(now, ack);
            eager.handle_segment(now, ack);
            // Before the polls: the ACK's re-arm is owed, and counted.
            assert!(lazy.owes_loss_probe(), "ACK {k}");
            assert_eq!(lazy.poll_timeout(), eager.poll_timeout(), "ACK {k}");
            let (l, e) = (burst(&mut lazy, now), burst(&mut eager, now));
            assert!(!l.is_empty(), "ACK {k} lets new data out");
            assert_eq!(l, e, "ACK {k}");
            assert_eq!(lazy.timers(), eager.timers(), "ACK {k}");
        }
    }

    #[test]
    fn a_deadline_asked_mid_burst_is_the_one_the_last_new_segment_set() {
        let (mut lazy, mut eager) = (established(true, 100_000), established(false, 100_000));
        let mut now = ms(20);
        let mut segments = 0;
        loop {
            let (l, e) = (lazy.poll_transmit(now), eager.poll_transmit(now));
            assert_eq!(l.as_ref().map(|t| &t.seg), e.as_ref().map(|t| &t.seg));
            // Mid-burst the lazy endpoint owes the re-arm; its deadline
            // is the eager one's all the same.
            assert_eq!(lazy.poll_timeout(), eager.poll_timeout(), "after {segments} segments");
            if l.is_none() {
                break;
            }
            if l.is_some_and(|t| t.seg.payload_len > 0) {
                segments += 1;
                assert!(lazy.owes_loss_probe());
            }
            now += SimDuration::from_micros(100);
        }
        // The initial window went out; the burst's end armed the timer.
        assert_eq!(segments, 10);
        assert!(!lazy.owes_loss_probe());
        assert_eq!(lazy.timers(), eager.timers());
        assert!(lazy.timers().is_armed(Timer::LossProbe));
    }

    #[test]
    fn an_input_mid_burst_arms_the_owed_probe_timer_first() {
        let mut a = established(true, 100_000);
        // The handshake's third ACK, then a data segment.
        while a.poll_transmit(ms(20)).expect("a segment").seg.payload_len == 0 {}
        assert!(a.owes_loss_probe());
        let deadline = a.poll_timeout();
        a.handle_timeout(ms(21));
        assert!(!a.owes_loss_probe());
        assert_eq!(a.timers().earliest(), deadline);
    }
}
