//! Integer simulated time, bandwidth and byte sizes, with human units.
//!
//! All time is `u64` nanoseconds since the start of a run, so a run is exact
//! and identical on every machine. [`Bandwidth`] is in bit/s and
//! [`Bandwidth::tx_time`] gives the exact serialisation time of N bytes,
//! rounded *up* to the next nanosecond with integer maths only.
//!
//! Human units parse from and print to text, for scenario files and output:
//! durations `"40ms"`, `"1.5s"`, `"250us"`; rates `"20Mbps"`, `"1Gbps"`;
//! sizes `"64KiB"`, `"1500B"`. Decimal fractions are exact: a value that
//! cannot be represented exactly at the type's resolution (`"0.5ns"`,
//! `"1.5bps"`, `"0.1B"`) is an error, never rounded silently.
//!
//! Simplification a user could observe: a duration is at most about 584
//! years and a rate at most `u64::MAX` bit/s; both are far beyond any run.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A point in simulated time: nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    /// The earlier of two optional deadlines (`None`: no deadline), as
    /// `[a, b].into_iter().flatten().min()` without the iterator.
    #[inline]
    pub fn earliest(a: Option<SimTime>, b: Option<SimTime>) -> Option<SimTime> {
        match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, None) => x,
            (None, y) => y,
        }
    }

    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        SimTime(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        SimTime(us * 1_000)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms * 1_000_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimTime(s * NANOS_PER_SEC)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds as a float, for output only (never for decisions).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    /// Time since `earlier`; zero if `earlier` is later (saturating).
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// Time since `earlier`, or `None` if `earlier` is in the future.
    pub fn checked_since(self, earlier: SimTime) -> Option<SimDuration> {
        self.0.checked_sub(earlier.0).map(SimDuration)
    }
    pub fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        self.0.checked_add(d.0).map(SimTime)
    }
    pub fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us * 1_000)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * NANOS_PER_SEC)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds as a float, for output and for models that are defined on
    /// real numbers (never for event ordering).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
    pub fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
    pub fn checked_mul(self, k: u64) -> Option<SimDuration> {
        self.0.checked_mul(k).map(SimDuration)
    }
    /// Integer division, rounded down.
    pub fn div_floor(self, k: u64) -> SimDuration {
        SimDuration(self.0 / k)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Panics on overflow: a time beyond 584 years is a broken invariant.
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.checked_add(d.0).expect("SimTime overflow"))
    }
}
impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}
impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Panics if `rhs` is later: time going backwards is a broken invariant.
    fn sub(self, rhs: SimTime) -> SimDuration {
        SimDuration(self.0.checked_sub(rhs.0).expect("SimTime went backwards"))
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.checked_add(d.0).expect("SimDuration overflow"))
    }
}
impl AddAssign for SimDuration {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}
impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.checked_sub(d.0).expect("SimDuration underflow"))
    }
}

/// A data rate in bit/s. Zero is not a rate: constructors reject it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bandwidth(u64);

impl Bandwidth {
    /// `None` for zero: a link of rate zero never delivers anything.
    pub const fn from_bps(bps: u64) -> Option<Self> {
        if bps == 0 { None } else { Some(Bandwidth(bps)) }
    }
    pub const fn from_mbps(mbps: u64) -> Option<Self> {
        Self::from_bps(mbps * 1_000_000)
    }
    pub const fn bps(self) -> u64 {
        self.0
    }
    /// Exact time to serialise `bytes` at this rate: ceil(bytes * 8 * 1e9 / bps) ns.
    pub fn tx_time(self, bytes: u64) -> SimDuration {
        let num = bytes as u128 * 8 * NANOS_PER_SEC as u128;
        let ns = num.div_ceil(self.0 as u128);
        SimDuration(u64::try_from(ns).expect("serialisation time overflow"))
    }
    /// Bytes that fit in `d` at this rate, rounded down (a bandwidth-delay product).
    pub fn bytes_in(self, d: SimDuration) -> u64 {
        let b = self.0 as u128 * d.0 as u128 / (8 * NANOS_PER_SEC as u128);
        u64::try_from(b).unwrap_or(u64::MAX)
    }
}

/// A size in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(u64);

impl ByteSize {
    pub const fn from_bytes(b: u64) -> Self {
        ByteSize(b)
    }
    pub const fn bytes(self) -> u64 {
        self.0
    }
}

/// Text that is not a valid quantity: quotes the text and lists what is accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitError {
    pub text: String,
    pub what: &'static str,
    pub reason: String,
    pub accepted: &'static str,
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} {:?}: {}; expected a number followed by one of {}",
            self.what, self.text, self.reason, self.accepted
        )
    }
}

impl std::error::Error for UnitError {}

const DURATION_UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", NANOS_PER_SEC),
    ("min", 60 * NANOS_PER_SEC),
];
const DURATION_ACCEPTED: &str = "ns, us, ms, s, min (e.g. \"40ms\", \"1.5s\", \"250us\")";

const RATE_UNITS: &[(&str, u64)] = &[
    ("bps", 1),
    ("Kbps", 1_000),
    ("Mbps", 1_000_000),
    ("Gbps", 1_000_000_000),
];
const RATE_ACCEPTED: &str = "bps, Kbps, Mbps, Gbps (e.g. \"20Mbps\", \"1Gbps\", \"1.5Mbps\")";

const SIZE_UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
];
const SIZE_ACCEPTED: &str = "B, KB, MB, GB, KiB, MiB, GiB (e.g. \"1500B\", \"64KiB\", \"1MB\")";

/// Parses `<decimal><unit>` exactly into an integer count of base units.
fn parse_quantity(
    text: &str,
    what: &'static str,
    units: &[(&str, u64)],
    accepted: &'static str,
) -> Result<u64, UnitError> {
    let err = |reason: &str| UnitError {
        text: text.to_string(),
        what,
        reason: reason.to_string(),
        accepted,
    };
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| err("the unit is missing"))?;
    let (num, unit) = t.split_at(split);
    let unit = unit.trim_start();
    if num.is_empty() {
        return Err(err(if unit.starts_with('-') {
            "negative values are not allowed"
        } else {
            "the number is missing"
        }));
    }
    let &(_, scale) = units
        .iter()
        .find(|(u, _)| *u == unit)
        .ok_or_else(|| err(&format!("unknown unit {unit:?}")))?;
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
        return Err(err("malformed number"));
    }
    let overflow = || err("the value is too large");
    let int: u64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| overflow())?
    };
    let mut total = int.checked_mul(scale).ok_or_else(overflow)?;
    // Exact fraction: frac_digits / 10^len * scale must be an integer.
    if !frac_part.is_empty() {
        let digits = frac_part.trim_end_matches('0');
        if !digits.is_empty() {
            if digits.len() > 18 {
                return Err(err("too many decimal places"));
            }
            let f: u128 = digits.parse().map_err(|_| err("malformed number"))?;
            let denom = 10u128.pow(digits.len() as u32);
            let scaled = f * scale as u128;
            if !scaled.is_multiple_of(denom) {
                return Err(err(&format!("more precise than the resolution of one {}", units[0].0)));
            }
            let add = u64::try_from(scaled / denom).map_err(|_| overflow())?;
            total = total.checked_add(add).ok_or_else(overflow)?;
        }
    }
    Ok(total)
}

/// Prints `value` base units in the largest unit of `units` (sorted
/// ascending, decimal scales) that represents it exactly with at most 3
/// decimals, or else in the base unit. The output always parses back exactly.
fn format_quantity(f: &mut fmt::Formatter<'_>, value: u64, units: &[(&str, u64)]) -> fmt::Result {
    if value == 0 {
        return write!(f, "0{}", units[0].0);
    }
    for &(name, scale) in units.iter().rev() {
        if value >= scale {
            let int = value / scale;
            let rem = value % scale;
            if rem == 0 {
                return write!(f, "{int}{name}");
            }
            // Up to 3 decimals if exact (these unit scales are powers of ten).
            if scale >= 1000 {
                let milli = scale / 1000;
                if milli > 0 && rem.is_multiple_of(milli) {
                    let frac = format!("{:03}", rem / milli);
                    return write!(f, "{int}.{}{name}", frac.trim_end_matches('0'));
                }
            }
        }
    }
    write!(f, "{value}{}", units[0].0)
}

impl FromStr for SimDuration {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        parse_quantity(s, "duration", DURATION_UNITS, DURATION_ACCEPTED).map(SimDuration)
    }
}
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // "min" is accepted on input but durations print in s/ms/us/ns.
        format_quantity(f, self.0, &DURATION_UNITS[..4])
    }
}
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        SimDuration(self.0).fmt(f)
    }
}
impl FromStr for SimTime {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        SimDuration::from_str(s).map(|d| SimTime(d.0))
    }
}

impl FromStr for Bandwidth {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        let bps = parse_quantity(s, "rate", RATE_UNITS, RATE_ACCEPTED)?;
        Bandwidth::from_bps(bps).ok_or_else(|| UnitError {
            text: s.to_string(),
            what: "rate",
            reason: "a rate must be greater than zero".to_string(),
            accepted: RATE_ACCEPTED,
        })
    }
}
impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_quantity(f, self.0, RATE_UNITS)
    }
}

impl FromStr for ByteSize {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        parse_quantity(s, "size", SIZE_UNITS, SIZE_ACCEPTED).map(ByteSize)
    }
}
impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Binary units when exact (64KiB), else plain bytes (1500B).
        for (name, scale) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if self.0 >= scale && self.0.is_multiple_of(scale) {
                return write!(f, "{}{name}", self.0 / scale);
            }
        }
        write!(f, "{}B", self.0)
    }
}

macro_rules! serde_as_text {
    ($t:ty, $expecting:expr) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$t, E> {
                        v.parse().map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}
serde_as_text!(SimDuration, "a duration such as \"40ms\"");
serde_as_text!(SimTime, "a time such as \"5s\"");
serde_as_text!(Bandwidth, "a rate such as \"20Mbps\"");
serde_as_text!(ByteSize, "a size such as \"64KiB\"");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialisation_time_of_1500_bytes_at_20mbps_is_600us() {
        let bw: Bandwidth = "20Mbps".parse().unwrap();
        assert_eq!(bw.tx_time(1500), SimDuration::from_micros(600));
    }

    #[test]
    fn serialisation_time_rounds_up_to_the_next_nanosecond() {
        // 1 byte at 3 bit/s = 8/3 s = 2.666..s -> 2_666_666_667 ns.
        let bw = Bandwidth::from_bps(3).unwrap();
        assert_eq!(bw.tx_time(1).as_nanos(), 2_666_666_667);
        // 1 byte at 1 Gbit/s is exactly 8 ns.
        assert_eq!(Bandwidth::from_bps(1_000_000_000).unwrap().tx_time(1).as_nanos(), 8);
    }

    #[test]
    fn durations_parse_in_human_units() {
        assert_eq!("40ms".parse::<SimDuration>().unwrap(), SimDuration::from_millis(40));
        assert_eq!("1.5s".parse::<SimDuration>().unwrap(), SimDuration::from_millis(1500));
        assert_eq!("250us".parse::<SimDuration>().unwrap(), SimDuration::from_micros(250));
        assert_eq!("7ns".parse::<SimDuration>().unwrap(), SimDuration::from_nanos(7));
        assert_eq!("2min".parse::<SimDuration>().unwrap(), SimDuration::from_secs(120));
        assert_eq!(".5ms".parse::<SimDuration>().unwrap(), SimDuration::from_micros(500));
    }

    #[test]
    fn rates_and_sizes_parse_in_human_units() {
        assert_eq!("20Mbps".parse::<Bandwidth>().unwrap().bps(), 20_000_000);
        assert_eq!("1Gbps".parse::<Bandwidth>().unwrap().bps(), 1_000_000_000);
        assert_eq!("1.5Mbps".parse::<Bandwidth>().unwrap().bps(), 1_500_000);
        assert_eq!("64KiB".parse::<ByteSize>().unwrap().bytes(), 65_536);
        assert_eq!("1500B".parse::<ByteSize>().unwrap().bytes(), 1500);
        assert_eq!("2MB".parse::<ByteSize>().unwrap().bytes(), 2_000_000);
    }

    #[test]
    fn quantities_print_in_the_largest_exact_unit_and_round_trip() {
        assert_eq!(SimDuration::from_millis(40).to_string(), "40ms");
        assert_eq!(SimDuration::from_millis(1500).to_string(), "1.5s");
        assert_eq!(SimDuration::from_micros(250).to_string(), "250us");
        assert_eq!(SimDuration::from_nanos(1_000_000_001).to_string(), "1000000.001us");
        assert_eq!(SimDuration::from_nanos(1_234_567).to_string(), "1234.567us");
        assert_eq!(SimDuration::ZERO.to_string(), "0ns");
        assert_eq!(Bandwidth::from_mbps(20).unwrap().to_string(), "20Mbps");
        assert_eq!(Bandwidth::from_bps(1_000_000_000).unwrap().to_string(), "1Gbps");
        assert_eq!(ByteSize::from_bytes(65536).to_string(), "64KiB");
        assert_eq!(ByteSize::from_bytes(1500).to_string(), "1500B");
        for ns in [
            1u64,
            999,
            1000,
            1_234_000,
            1_500_000_000,
            61 * NANOS_PER_SEC,
            123_456_789,
        ] {
            let d = SimDuration::from_nanos(ns);
            assert_eq!(d.to_string().parse::<SimDuration>().unwrap(), d, "{d}");
        }
    }

    #[test]
    fn bad_text_gets_an_error_quoting_it_and_listing_the_units() {
        let e = "40 parsecs".parse::<SimDuration>().unwrap_err().to_string();
        assert!(e.contains("\"40 parsecs\""), "{e}");
        assert!(e.contains("ns, us, ms, s"), "{e}");
        let e = "fast".parse::<Bandwidth>().unwrap_err().to_string();
        assert!(e.contains("\"fast\"") && e.contains("Mbps"), "{e}");
        let e = "0Mbps".parse::<Bandwidth>().unwrap_err().to_string();
        assert!(e.contains("greater than zero"), "{e}");
        let e = "-5ms".parse::<SimDuration>().unwrap_err().to_string();
        assert!(e.contains("negative"), "{e}");
        assert!("40".parse::<SimDuration>().is_err());
        assert!("0.5ns".parse::<SimDuration>().is_err());
        assert!("1.2.3s".parse::<SimDuration>().is_err());
        assert!("99999999999999999999s".parse::<SimDuration>().is_err());
        assert!("1.5bps".parse::<Bandwidth>().is_err());
        assert!("64kib".parse::<ByteSize>().is_err());
    }

    #[test]
    fn bandwidth_delay_product_of_20mbps_and_40ms_is_100000_bytes() {
        let bw = Bandwidth::from_mbps(20).unwrap();
        assert_eq!(bw.bytes_in(SimDuration::from_millis(40)), 100_000);
    }
}
