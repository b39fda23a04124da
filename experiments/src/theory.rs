//! Closed-form models of TCP throughput under random loss, to check the
//! simulated TCP against.
//!
//! - Mathis, Semke, Mahdavi, Ott, "The Macroscopic Behavior of the TCP
//!   Congestion Avoidance Algorithm", CCR 1997: `B = MSS/RTT * C/sqrt(p)`.
//!   C = sqrt(3/(2b)) for periodic loss with b packets acknowledged per ACK
//!   (1.22 without delayed ACKs, 0.87 with b = 2). Congestion avoidance only:
//!   no timeouts, no slow start, no window limit.
//! - Padhye, Firoiu, Towsley, Kurose, "Modeling TCP Throughput: A Simple
//!   Model and its Empirical Validation", SIGCOMM 1998, eq. (31) (the "full
//!   model" approximation), which adds retransmission timeouts and the
//!   receiver's window limit:
//!
//!   ```text
//!   B(p) = min( Wmax/RTT,
//!               1 / ( RTT*sqrt(2bp/3) + T0*min(1, 3*sqrt(3bp/8)) * p * (1 + 32p^2) ) )
//!   ```
//!   in packets per second, where p is the probability that a packet is
//!   lost (the model's "loss indication" rate), b packets are acknowledged
//!   per ACK and T0 is the retransmission timeout.

/// Mathis et al. throughput in bit/s for segments of `mss_bytes`.
pub fn mathis_bps(mss_bytes: f64, rtt_s: f64, p: f64, c: f64) -> f64 {
    mss_bytes * 8.0 / rtt_s * c / p.sqrt()
}

/// Padhye et al. (PFTK) eq. (31) throughput in bit/s.
pub fn pftk_bps(mss_bytes: f64, rtt_s: f64, p: f64, b: f64, t0_s: f64, wmax_pkts: f64) -> f64 {
    let denom = rtt_s * (2.0 * b * p / 3.0).sqrt()
        + t0_s * (1.0f64).min(3.0 * (3.0 * b * p / 8.0).sqrt()) * p * (1.0 + 32.0 * p * p);
    let pkts_per_s = (wmax_pkts / rtt_s).min(1.0 / denom);
    pkts_per_s * mss_bytes * 8.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mathis_with_c_one_point_two_two_at_one_percent_loss_matches_hand_computation() {
        // 1460 B, 100 ms, p = 0.01: 1460*8/0.1 * 1.22/0.1 = 116800 * 12.2 = 1_424_960 bit/s.
        let b = mathis_bps(1460.0, 0.1, 0.01, 1.22);
        assert!((b - 1_424_960.0).abs() < 1e-6, "{b}");
    }

    #[test]
    fn pftk_reduces_to_the_square_root_law_when_timeouts_vanish() {
        // With T0 = 0 and no window limit: 1/(RTT sqrt(2bp/3)) packets/s,
        // i.e. Mathis with C = sqrt(3/(2b)).
        let (mss, rtt, p, b) = (1460.0, 0.05, 0.004, 2.0);
        let pftk = pftk_bps(mss, rtt, p, b, 0.0, f64::INFINITY);
        let mathis = mathis_bps(mss, rtt, p, (3.0 / (2.0 * b)).sqrt());
        assert!((pftk - mathis).abs() / mathis < 1e-12);
    }

    #[test]
    fn pftk_is_capped_by_the_receive_window() {
        // Wmax = 10 packets over 100 ms: 100 packets/s of 1000 B = 800 kbit/s.
        let v = pftk_bps(1000.0, 0.1, 1e-9, 2.0, 0.2, 10.0);
        assert!((v - 800_000.0).abs() < 1e-6);
    }
}
