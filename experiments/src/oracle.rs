//! The delivery oracle: every receiving application checks that the bytes
//! its connection hands it are each delivered exactly once and in order.
//!
//! The connection hands out what it reads as data sequence number ranges
//! (MPTCP: DSNs, RFC 8684 3.3.1; plain TCP: the subflow's sequence
//! numbers, RFC 9293 3.4), one in-order run of its receive queue at a time
//! ([`models::mptcp::Connection::read_range`]). The oracle keeps the DSN
//! where the next delivery must begin: the first must begin at the first
//! data DSN (the peer's IDSN + 1), and each one where the previous one
//! ended. A gap (bytes skipped), an overlap (bytes delivered twice) or an
//! empty or inverted range is a violation. At the end of a run, the bytes
//! delivered must not exceed what the peer's application wrote.
//!
//! The cost is one comparison and two additions per read, so it is on in
//! every run (`mpsim run`, `reproduce`, sweeps). A violation ends the run
//! with [`Violation`] (`mpsim` exits with [`EXIT_DELIVERY_VIOLATION`]),
//! never a silent count.
//!
//! What it cannot see: segments carry lengths, not payload bytes, so a byte
//! delivered at the right DSN with the wrong content cannot occur and is
//! not checked.

use std::fmt;
use std::ops::Range;

use sim_core::SimTime;

use crate::world::Side;

/// The exit code of `mpsim run` and `reproduce` when the delivery oracle
/// fails: its own (70 is a broken internal invariant that panicked, 2 bad
/// input, 1 an I/O or other failure).
pub const EXIT_DELIVERY_VIOLATION: u8 = 65;

/// What went wrong with a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The delivery began after the expected DSN: bytes were skipped.
    Gap { expected: u64 },
    /// The delivery began before the expected DSN: bytes were delivered twice.
    Overlap { expected: u64 },
    /// The delivery's range was empty or inverted.
    Empty,
    /// More bytes were delivered than the peer's application wrote.
    MoreThanWritten { delivered: u64, written: u64 },
}

/// A delivery that broke the oracle: where, when and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The connection's index in the scenario.
    pub conn: usize,
    /// The receiving end.
    pub side: Side,
    /// The simulated time of the delivery (of the run's end, for
    /// [`Fault::MoreThanWritten`]).
    pub at: SimTime,
    /// The DSN range delivered (for [`Fault::MoreThanWritten`]: the bytes
    /// beyond what was written).
    pub range: Range<u64>,
    /// What is wrong.
    pub fault: Fault,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = match self.side {
            Side::Client => "client",
            Side::Server => "server",
        };
        write!(
            f,
            "delivery oracle: connection {} ({side} end) at {:.9} s: data sequence numbers {}..{} ",
            self.conn,
            self.at.as_secs_f64(),
            self.range.start,
            self.range.end
        )?;
        match &self.fault {
            Fault::Gap { expected } => write!(
                f,
                "delivered, but the next byte due was {expected}: {} bytes skipped",
                self.range.start.wrapping_sub(*expected)
            ),
            Fault::Overlap { expected } => write!(
                f,
                "delivered, but the next byte due was {expected}: {} bytes delivered twice",
                expected.wrapping_sub(self.range.start)
            ),
            Fault::Empty => write!(f, "delivered: an empty or inverted range"),
            Fault::MoreThanWritten { delivered, written } => write!(
                f,
                "delivered beyond the end of the data: {delivered} bytes delivered, the peer wrote {written}"
            ),
        }
    }
}

/// Set (to anything) in the environment, every oracle of the process
/// expects its first byte one DSN later than it comes, so the first
/// delivery is a violation: a deliberate fault for the test of the
/// command line's exit code (`tests/cli.rs`), as `MPSIM_INJECT_PANIC` is.
pub const INJECT_ENV: &str = "MPSIM_INJECT_DELIVERY_FAULT";

/// The expected next DSN of one receiving application.
#[derive(Clone, Debug, Default)]
pub struct DeliveryOracle {
    /// Where the next delivery must begin; `None` before the first.
    next_dsn: Option<u64>,
    /// The first data DSN, once known.
    first_dsn: u64,
    delivered_bytes: u64,
    /// Added to the first expected DSN: 0, or 1 for the injected fault.
    skew: u64,
}

impl DeliveryOracle {
    /// The oracle of a receiving application: [`DeliveryOracle::default`],
    /// or a deliberately wrong one when [`INJECT_ENV`] is set (read once
    /// per process).
    pub fn for_app() -> Self {
        static INJECT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        DeliveryOracle {
            skew: u64::from(*INJECT.get_or_init(|| std::env::var_os(INJECT_ENV).is_some())),
            ..DeliveryOracle::default()
        }
    }

    /// Checks a delivery of `range`, the connection's first data DSN being
    /// `first_dsn`. On success, the next delivery must begin at
    /// `range.end`.
    pub fn on_delivery(&mut self, first_dsn: u64, range: Range<u64>) -> Result<(), Fault> {
        let skew = self.skew;
        let expected = *self.next_dsn.get_or_insert_with(|| {
            self.first_dsn = first_dsn;
            first_dsn.wrapping_add(skew)
        });
        if range.end <= range.start {
            return Err(Fault::Empty);
        }
        if range.start > expected {
            return Err(Fault::Gap { expected });
        }
        if range.start < expected {
            return Err(Fault::Overlap { expected });
        }
        self.delivered_bytes += range.end - range.start;
        self.next_dsn = Some(range.end);
        Ok(())
    }

    /// Bytes delivered so far.
    pub fn delivered_bytes(&self) -> u64 {
        self.delivered_bytes
    }

    /// At the end of a run: the bytes delivered must not exceed the
    /// `written` bytes of the peer's application. On failure, the range
    /// delivered beyond them.
    pub fn check_total(&self, written: u64) -> Result<(), (Range<u64>, Fault)> {
        if self.delivered_bytes <= written {
            return Ok(());
        }
        let end = self.next_dsn.unwrap_or(self.first_dsn);
        Err((
            end - (self.delivered_bytes - written)..end,
            Fault::MoreThanWritten {
                delivered: self.delivered_bytes,
                written,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_that_each_begin_where_the_last_ended_hold() {
        let mut o = DeliveryOracle::default();
        assert_eq!(o.on_delivery(1001, 1001..2001), Ok(()));
        assert_eq!(o.on_delivery(1001, 2001..2002), Ok(()));
        assert_eq!(o.delivered_bytes(), 1001);
        assert_eq!(o.check_total(1001), Ok(()));
    }

    #[test]
    fn a_delivery_that_skips_bytes_is_a_gap() {
        let mut o = DeliveryOracle::default();
        o.on_delivery(1001, 1001..2001).unwrap();
        assert_eq!(o.on_delivery(1001, 2101..2201), Err(Fault::Gap { expected: 2001 }));
    }

    #[test]
    fn a_delivery_that_repeats_bytes_is_an_overlap() {
        let mut o = DeliveryOracle::default();
        o.on_delivery(1001, 1001..2001).unwrap();
        assert_eq!(o.on_delivery(1001, 1901..2501), Err(Fault::Overlap { expected: 2001 }));
    }

    #[test]
    fn a_first_delivery_that_does_not_begin_at_the_first_dsn_fails() {
        let mut o = DeliveryOracle::default();
        assert_eq!(o.on_delivery(1001, 1002..2001), Err(Fault::Gap { expected: 1001 }));
        let mut o = DeliveryOracle::default();
        assert_eq!(o.on_delivery(1001, 1000..2001), Err(Fault::Overlap { expected: 1001 }));
    }

    #[test]
    fn an_empty_or_inverted_delivery_fails() {
        let mut o = DeliveryOracle::default();
        assert_eq!(o.on_delivery(5, 5..5), Err(Fault::Empty));
        #[allow(clippy::reversed_empty_ranges)]
        let inverted = 9..5;
        assert_eq!(o.on_delivery(5, inverted), Err(Fault::Empty));
    }

    #[test]
    fn delivering_more_than_the_peer_wrote_fails_at_the_end_naming_the_excess() {
        let mut o = DeliveryOracle::default();
        o.on_delivery(1, 1..101).unwrap();
        let (range, fault) = o.check_total(60).unwrap_err();
        assert_eq!(range, 61..101);
        assert_eq!(
            fault,
            Fault::MoreThanWritten {
                delivered: 100,
                written: 60
            }
        );
    }

    #[test]
    fn a_violation_names_the_connection_the_range_and_the_time() {
        let v = Violation {
            conn: 3,
            side: Side::Client,
            at: SimTime::from_nanos(1_500_000_000),
            range: 2101..2201,
            fault: Fault::Gap { expected: 2001 },
        };
        let text = v.to_string();
        assert!(text.contains("connection 3"), "{text}");
        assert!(text.contains("2101..2201"), "{text}");
        assert!(text.contains("1.500000000 s"), "{text}");
        assert!(text.contains("100 bytes skipped"), "{text}");
    }
}
