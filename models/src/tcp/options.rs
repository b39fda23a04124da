//! Option-space arithmetic the endpoint needs to size segments: how many
//! payload bytes and SACK blocks fit next to the other options.
//!
//! The layout is `crate::wire`'s (Linux `tcp_options_write`: every option
//! padded to 4 bytes with NOPs); the base lengths come from
//! [`wire::tcp_options_len`]. What `wire` cannot know is added here: the
//! option bytes the MPTCP layer reserves for segments it will decorate
//! later (`TcpConfig::reserved_option_bytes_*`), rounded up to a multiple
//! of 4. The SACK arithmetic is `wire`'s (RFC 2018 3: 4 bytes of header
//! with its NOPs, 8 per block, at most 4 blocks; RFC 9293 3.1: at most 40
//! option bytes).

use crate::wire;

/// Rounds an option length up to a multiple of 4 (NOP padding).
pub const fn align4(n: u32) -> u32 {
    n.div_ceil(4) * 4
}

/// Option bytes every established segment carries before SACK blocks:
/// timestamps if negotiated (12, RFC 7323 3) plus the MPTCP layer's
/// reserved bytes.
///
/// Computed on every send decision, so as arithmetic rather than through
/// `wire` (a test checks the two agree).
pub const fn base_option_bytes(timestamps: bool, reserved: u32) -> u32 {
    // RFC 7323 3.2 + Linux `TCPOLEN_TSTAMP_ALIGNED`: NOP NOP TS, 12 bytes.
    let ts = if timestamps { TIMESTAMPS_ALIGNED_BYTES } else { 0 };
    ts + align4(reserved)
}

/// The timestamps option with its two NOPs (RFC 7323 3.2).
pub const TIMESTAMPS_ALIGNED_BYTES: u32 = wire::TIMESTAMPS_ALIGNED as u32;

/// Bytes a SACK option with `blocks` blocks takes (0 for none).
pub const fn sack_option_bytes(blocks: usize) -> u32 {
    wire::sack_len(blocks) as u32
}

/// How many SACK blocks fit when `used` option bytes are already taken.
pub fn max_sack_blocks(used: u32) -> usize {
    wire::sack_blocks_fitting(used as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{MptcpVersion, SackBlock, SackBlocks, TcpOptions};

    /// Options of an established segment with timestamps and `n` SACK blocks.
    fn fixture(n: usize) -> TcpOptions {
        let mut sack = SackBlocks::default();
        for i in 0..n as u64 {
            sack.push(SackBlock {
                left: 10 * i,
                right: 10 * i + 5,
            });
        }
        TcpOptions {
            timestamps: Some((1, 2)),
            sack,
            ..TcpOptions::default()
        }
    }

    #[test]
    fn three_sack_blocks_fit_next_to_timestamps_and_four_without() {
        assert_eq!(max_sack_blocks(base_option_bytes(true, 0)), 3);
        assert_eq!(max_sack_blocks(base_option_bytes(false, 0)), 4);
        // 12 reserved bytes (a DSS with a 4-byte data ACK and a mapping
        // would be more) beside timestamps: 1 block.
        assert_eq!(max_sack_blocks(base_option_bytes(true, 12)), 1);
        assert_eq!(max_sack_blocks(base_option_bytes(true, 6)), 2);
        assert_eq!(max_sack_blocks(40), 0);
    }

    #[test]
    fn the_base_option_bytes_agree_with_the_wire_layout() {
        for ts in [false, true] {
            for reserved in 0..=20 {
                let opts = TcpOptions {
                    timestamps: ts.then_some((0, 0)),
                    ..TcpOptions::default()
                };
                let wire_len = wire::tcp_options_len(&opts, MptcpVersion::V1) as u32;
                assert_eq!(base_option_bytes(ts, reserved), wire_len + align4(reserved));
            }
        }
    }

    #[test]
    fn the_sack_arithmetic_agrees_with_the_wire_layout() {
        for n in 0..=4 {
            let with = wire::tcp_options_len(&fixture(n), MptcpVersion::V1) as u32;
            assert_eq!(with, base_option_bytes(true, 0) + sack_option_bytes(n), "{n} blocks");
        }
        assert_eq!(
            wire::max_sack_blocks(&fixture(0), MptcpVersion::V1),
            max_sack_blocks(base_option_bytes(true, 0))
        );
        assert_eq!(align4(5), 8);
        assert_eq!(align4(8), 8);
    }
}
