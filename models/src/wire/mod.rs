//! On-the-wire lengths and byte encodings of TCP options (RFC 9293, RFC 7323,
//! RFC 2018) and MPTCP options (RFC 8684 for version 1, RFC 6824 for
//! version 0, chosen by
//! [`MptcpVersion`](crate::segment::MptcpVersion)).
//!
//! The lengths decide serialisation time in the simulator and the bytes are
//! what the pcap writer puts on the wire, so both follow the RFC forms
//! exactly, and the two always agree: [`encode_tcp_options`] writes exactly
//! [`tcp_options_len`] bytes.
//!
//! # Layout (as Linux `tcp_options_write` and `mptcp_write_options` lay it out)
//!
//! Options are written in this order, each padded to a multiple of 4 bytes
//! with NOPs (kind 1); EOL (kind 0) is never written:
//!
//! | option | bytes | layout |
//! |---|---|---|
//! | MSS (SYN) | 4 | `2 4 mss:16` |
//! | SACK-permitted + timestamps (SYN) | 12 | `4 2 8 10 tsval:32 tsecr:32` |
//! | timestamps without SACK-permitted | 12 | `1 1 8 10 tsval:32 tsecr:32` |
//! | SACK-permitted without timestamps | 4 | `1 1 4 2` |
//! | window scale (SYN) | 4 | `1 3 3 shift` |
//! | SACK with n blocks | 4 + 8n | `1 1 5 (2+8n) (left:32 right:32)*n` |
//! | each MPTCP option | its length rounded up to 4 | option, then NOPs |
//!
//! The MPTCP options are written in the order the segment holds them, after
//! all TCP options (as Linux does). At most 40 bytes fit (RFC 9293 3.1).
//!
//! # Simplifications
//!
//! - IPv4 only: ADD_ADDR always carries a 4-byte address, and the IP header
//!   is 20 bytes without options.
//! - The DSS checksum (and the MP_CAPABLE checksum that goes with the
//!   data-level length) is never written or counted (`mptcp_dss_csum=0`).
//!   The MP_CAPABLE `A` flag is written as the model sets it; models keep it
//!   false.
//! - MP_PRIO is always the 3-byte form without an address id (the only form
//!   in RFC 8684 3.3.8; RFC 6824 3.3.8 also allows a 4-byte form).
//! - The form of MP_CAPABLE follows which fields are present (sender key,
//!   receiver key, data-level length). Its wire version and HMAC flag follow
//!   the `version` argument (the trace's version), not `MpCapable::version`.
//! - Version 0 has no data-level length in MP_CAPABLE, no ADD_ADDR echo or
//!   HMAC, and no MP_TCPRST: in version 0 those fields are not written, and
//!   MP_TCPRST takes 0 bytes (a v0 stack sends a plain RST).
//! - Sequence numbers (SACK edges, 4-byte DSNs and data-ACKs) are written as
//!   the low 32 bits of the models' absolute values, as real TCP and MPTCP
//!   do; timestamps are already 32-bit.
//!
//! # What happens where
//!
//! - `lengths`: the length of each option and of the whole option space,
//!   header and packet ([`tcp_options_len`], [`mptcp_option_len`],
//!   [`max_sack_blocks`], [`ip_packet_len`]): serialisation time and room
//!   for SACK blocks. The header and packet lengths take the options'
//!   length the segment's builder remembered
//!   ([`Segment::options_len`](crate::segment::Segment::options_len)) when
//!   there is one, and sum the options otherwise; debug builds compare.
//! - `encode`: the bytes ([`encode_tcp_options`]), with the option kinds,
//!   MPTCP subtypes and flag bits; it writes exactly what `lengths` counts.
//!   The shape of nearly every segment after the handshake (timestamps,
//!   SACK blocks, one DSS) is written without first summing every option's
//!   length; debug builds and a property test compare it with the general
//!   path.
//! - `tests`: lengths and byte-exact encodings of every form, checked
//!   against each other.

mod encode;
mod lengths;
#[cfg(test)]
mod tests;

use core::fmt;

pub use encode::encode_tcp_options;
pub(crate) use lengths::{TIMESTAMPS_ALIGNED, align4, dss_len, sack_blocks_fitting, sack_len};
pub use lengths::{ip_packet_len, max_sack_blocks, mptcp_option_len, tcp_header_len, tcp_options_len};

/// Maximum TCP option space: a data offset of 15 words minus the 20-byte
/// fixed header (RFC 9293 3.1).
pub const MAX_OPTION_BYTES: usize = 40;
/// TCP header without options (RFC 9293 3.1).
pub const TCP_BASE_HEADER_LEN: usize = 20;
/// IPv4 header without options (RFC 791 3.1).
pub const IPV4_HEADER_LEN: usize = 20;

/// The TCP options do not fit in the 40-byte option space (RFC 9293 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OptionSpaceError {
    /// Option bytes the segment would need, padding included.
    pub needed: usize,
}

impl fmt::Display for OptionSpaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TCP options need {} bytes but only {MAX_OPTION_BYTES} fit in the option space (RFC 9293 3.1)",
            self.needed
        )
    }
}

impl std::error::Error for OptionSpaceError {}
