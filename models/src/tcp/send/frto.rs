//! F-RTO, RFC 5682 3.1 (the SACK-enhanced algorithm), as Linux runs it
//! (`net/ipv4/tcp_input.c` `tcp_process_loss` with `sysctl_tcp_frto` = 2,
//! `tcp_enter_loss` for when it starts): after a retransmission timeout,
//! decide from the next ACKs whether the timeout was spurious.
//!
//! - Start (Linux `tcp_enter_loss`): on a timeout in the open state or a
//!   repeated one, not on one during fast recovery.
//! - Step 3.b: an ACK that acknowledges (or SACKs) data sent before the
//!   timeout and never retransmitted shows the original transmissions
//!   arrived: the timeout was spurious; undo (Linux `tcp_try_undo_loss`
//!   with `frto_undo`).
//! - Step 2.b: the first ACK that advances SND.UNA (it acknowledges the
//!   timer's retransmission) without ending the loss episode moves the
//!   episode's end (`high_seq`) to SND.NXT and sends new data instead of
//!   retransmitting more (if there is new data and window for it; else
//!   F-RTO ends).
//! - Step 3.a: once new data was sent, an ACK with SACK information or a
//!   duplicate ACK shows the loss was real: F-RTO ends and the loss phase
//!   retransmits as usual.
//!
//! Simplified (observable): the undo Linux also does from timestamps
//! (Eifel, `tcp_packet_delayed`) or D-SACKs without F-RTO is not modelled;
//! F-RTO runs only when SACK is in use (Linux also runs it without SACK,
//! counting duplicate ACKs as delivered data).

/// What the sender does after this ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrtoStep {
    /// Nothing decided: carry on with the loss phase as it is.
    Continue,
    /// The timeout was spurious: undo it, back to the open state.
    Undo,
    /// Send new data now instead of retransmissions (step 2.b); the
    /// episode now ends at `high_seq`.
    SendNew {
        /// The new end of the loss episode (SND.NXT now).
        high_seq: u64,
    },
    /// The loss was real (step 3.a) or new data cannot be sent: F-RTO ends.
    Ended,
}

/// F-RTO state of one loss episode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frto {
    /// The episode's end (Linux `high_seq`).
    high_seq: u64,
}

/// What an ACK in the loss phase showed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LossAck {
    /// Data sent before the timeout and never retransmitted was newly
    /// acknowledged or SACKed (Linux `FLAG_ORIG_SACK_ACKED`).
    pub orig_acked: bool,
    /// SND.UNA advanced.
    pub una_advanced: bool,
    /// The ACK carried new SACK information or was a duplicate.
    pub sack_or_dupack: bool,
    /// SND.UNA has reached the episode's end.
    pub recovered: bool,
    /// New data is queued and the peer's window admits some of it.
    pub can_send_new: bool,
}

impl Frto {
    /// A timeout begins an episode ending at `snd_nxt` (SND.NXT then).
    pub fn start(snd_nxt: u64) -> Self {
        Frto { high_seq: snd_nxt }
    }

    /// An ACK in the loss phase, with SND.NXT `snd_nxt` (Linux
    /// `tcp_process_loss`, F-RTO part).
    pub fn on_ack(&mut self, ack: LossAck, snd_nxt: u64) -> FrtoStep {
        // Step 3.b: "a timeout is spurious if not all data are lost, i.e.,
        // never-retransmitted data are (s)acked".
        if ack.orig_acked {
            return FrtoStep::Undo;
        }
        if snd_nxt > self.high_seq {
            // New data went out after step 2.b: step 3.a, the loss was real.
            if ack.sack_or_dupack {
                return FrtoStep::Ended;
            }
        } else if ack.una_advanced && !ack.recovered {
            self.high_seq = snd_nxt;
            // Step 2.b: "try send new data"; otherwise conventional recovery.
            if ack.can_send_new {
                return FrtoStep::SendNew { high_seq: snd_nxt };
            }
            return FrtoStep::Ended;
        }
        FrtoStep::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(f: impl FnOnce(&mut LossAck)) -> LossAck {
        let mut a = LossAck {
            can_send_new: true,
            ..LossAck::default()
        };
        f(&mut a);
        a
    }

    #[test]
    fn an_ack_of_original_data_after_the_timeout_shows_it_was_spurious() {
        let mut f = Frto::start(100);
        assert_eq!(
            f.on_ack(
                ack(|a| {
                    a.una_advanced = true;
                    a.orig_acked = true
                }),
                100
            ),
            FrtoStep::Undo
        );
    }

    #[test]
    fn the_first_ack_of_the_retransmission_sends_new_data_and_moves_the_episodes_end() {
        let mut f = Frto::start(100);
        assert_eq!(
            f.on_ack(ack(|a| a.una_advanced = true), 100),
            FrtoStep::SendNew { high_seq: 100 }
        );
        // The new data is SACKed above a hole: the loss was real.
        assert_eq!(f.on_ack(ack(|a| a.sack_or_dupack = true), 102), FrtoStep::Ended);
    }

    #[test]
    fn after_new_data_an_ack_of_original_data_still_undoes() {
        let mut f = Frto::start(100);
        f.on_ack(ack(|a| a.una_advanced = true), 100);
        assert_eq!(
            f.on_ack(
                ack(|a| {
                    a.una_advanced = true;
                    a.orig_acked = true
                }),
                102
            ),
            FrtoStep::Undo
        );
    }

    #[test]
    fn without_new_data_to_send_f_rto_ends() {
        let mut f = Frto::start(100);
        assert_eq!(
            f.on_ack(
                ack(|a| {
                    a.una_advanced = true;
                    a.can_send_new = false
                }),
                100
            ),
            FrtoStep::Ended
        );
    }

    #[test]
    fn a_duplicate_ack_before_any_progress_decides_nothing() {
        let mut f = Frto::start(100);
        assert_eq!(f.on_ack(ack(|a| a.sack_or_dupack = true), 100), FrtoStep::Continue);
    }
}
