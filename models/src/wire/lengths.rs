//! On-the-wire lengths: of each TCP and MPTCP option, of the option
//! space as Linux lays it out (see the layout in the parent module), of the
//! TCP header and of the IP packet.

use super::{IPV4_HEADER_LEN, MAX_OPTION_BYTES, TCP_BASE_HEADER_LEN};
use crate::segment::{DataAck, Dss, DssMapping, MpJoin, MptcpOption, MptcpVersion, SackBlocks, Segment, TcpOptions};

/// Fixed part of every MPTCP option: kind, length, subtype byte (RFC 8684 3).
const MPTCP_BASE: usize = 3;

/// Rounds an option length up to a multiple of 4 (NOP padding).
pub(crate) const fn align4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

fn data_ack_len(a: &DataAck) -> usize {
    // RFC 8684 3.3: "Data ACK (4 or 8 octets, depending on flags)".
    if a.wide { 8 } else { 4 }
}

fn mapping_len(m: &DssMapping) -> usize {
    // RFC 8684 3.3: DSN (4 or 8) + subflow sequence number (4) + data-level
    // length (2); the checksum (2) is never used here.
    (if m.wide { 8 } else { 4 }) + 4 + 2
}

/// Length of a DSS option (RFC 8684 3.3, identical in RFC 6824 3.3): kind,
/// length, subtype and flags (4), then the data-ACK and the mapping.
#[inline]
pub(crate) fn dss_len(d: &Dss) -> usize {
    4 + d.data_ack.as_ref().map_or(0, data_ack_len) + d.mapping.as_ref().map_or(0, mapping_len)
}

/// Exact length in bytes of one MPTCP option as its length field states it
/// (before NOP padding), for the given protocol version. An option that does
/// not exist in the version (MP_TCPRST in v0) has length 0.
pub fn mptcp_option_len(opt: &MptcpOption, version: MptcpVersion) -> usize {
    let v1 = version == MptcpVersion::V1;
    match opt {
        MptcpOption::MpCapable(c) => {
            // RFC 8684 3.1: 4 bytes (v1 SYN, no key), 12 (SYN/ACK, sender's
            // key), 20 (third ACK, both keys), 22 (both keys and the
            // data-level length, first data; 24 with the unused checksum).
            // RFC 6824 3.1: 12 (SYN and SYN/ACK), 20 (third ACK).
            let keys = c.sender_key.is_some() as usize + c.receiver_key.is_some() as usize;
            let data_len = if v1 && c.data_len.is_some() { 2 } else { 0 };
            4 + 8 * keys + data_len
        }
        MptcpOption::MpJoin(j) => match j {
            // RFC 8684 3.2 (identical in RFC 6824 3.2).
            MpJoin::Syn { .. } => 12,
            MpJoin::SynAck { .. } => 16,
            MpJoin::Ack { .. } => 24,
        },
        MptcpOption::Dss(d) => dss_len(d),
        MptcpOption::AddAddr { port, echo, .. } => {
            let port = if port.is_some() { 2 } else { 0 };
            if v1 {
                // RFC 8684 3.4.1: kind, length, subtype+E and address id
                // (4), IPv4 address (4), port (2, optional), truncated HMAC
                // (8, absent when E = 1).
                let hmac = if *echo { 0 } else { 8 };
                8 + port + hmac
            } else {
                // RFC 6824 3.4.1: kind, length, subtype+IPVer and address
                // id (4), IPv4 address (4), port (2, optional).
                8 + port
            }
        }
        // RFC 8684 3.4.2 (RFC 6824 3.4.2): one byte per address id after
        // kind, length and subtype.
        MptcpOption::RemoveAddr { addr_ids } => MPTCP_BASE + addr_ids.as_slice().len(),
        // RFC 8684 3.3.8: kind, length, subtype+B. (RFC 6824 3.3.8 also
        // has a 4-byte form with an address id; not modelled.)
        MptcpOption::MpPrio { .. } => MPTCP_BASE,
        // RFC 8684 3.7 (RFC 6824 3.6): 4 + 8-byte DSN.
        MptcpOption::MpFail { .. } => 12,
        // RFC 8684 3.5 (RFC 6824 3.5): 4 + 8-byte key.
        MptcpOption::MpFastclose { .. } => 12,
        // RFC 8684 3.6: kind, length, subtype+U V W T, reason.
        // RFC 6824 has no MP_TCPRST.
        MptcpOption::MpTcpRst { .. } => {
            if v1 {
                4
            } else {
                0
            }
        }
    }
}

/// Option bytes of everything but the SACK option.
fn len_without_sack(opts: &TcpOptions, version: MptcpVersion) -> usize {
    let mut n = 0;
    if opts.mss.is_some() {
        // RFC 9293 3.2: kind 2, length 4.
        n += 4;
    }
    n += match (opts.timestamps.is_some(), opts.sack_permitted) {
        // RFC 7323 3.2 (10 bytes) + RFC 2018 2 (2 bytes): SACKOK TS, or
        // NOP NOP TS; Linux `TCPOLEN_TSTAMP_ALIGNED`.
        (true, _) => TIMESTAMPS_ALIGNED,
        // RFC 2018 2: NOP NOP SACKOK.
        (false, true) => 4,
        (false, false) => 0,
    };
    if opts.window_scale.is_some() {
        // RFC 7323 2.2: NOP + 3-byte window scale.
        n += 4;
    }
    // Summed by `fold` (which `sum` is): the two slots' chained iterator
    // then runs as two straight-line steps, where a `for` loop stepped the
    // chain's state item by item (the host asks this length for every
    // packet it sends).
    n + opts
        .mptcp
        .iter()
        .map(|o| align4(mptcp_option_len(o, version)))
        .sum::<usize>()
}

/// The timestamps option with its two NOPs (RFC 7323 3.2; Linux
/// `TCPOLEN_TSTAMP_ALIGNED`).
pub(crate) const TIMESTAMPS_ALIGNED: usize = 12;
/// SACK option header, aligned: NOP NOP kind length (RFC 2018 3; Linux
/// `TCPOLEN_SACK_BASE_ALIGNED`).
pub(crate) const SACK_BASE_ALIGNED: usize = 4;
/// One SACK block: two 32-bit edges (RFC 2018 3).
pub(crate) const SACK_BLOCK_LEN: usize = 8;

/// Bytes of the SACK option with `blocks` blocks (0 when there are none).
pub(crate) const fn sack_len(blocks: usize) -> usize {
    if blocks == 0 {
        0
    } else {
        SACK_BASE_ALIGNED + SACK_BLOCK_LEN * blocks
    }
}

/// Total TCP option bytes of `opts` as Linux lays them out (see the `wire` module
/// docs), padded to a multiple of 4 with NOPs. It may exceed
/// [`MAX_OPTION_BYTES`]; [`encode_tcp_options`](super::encode_tcp_options) then fails.
pub fn tcp_options_len(opts: &TcpOptions, version: MptcpVersion) -> usize {
    len_without_sack(opts, version) + sack_len(opts.sack.len())
}

/// How many SACK blocks (0..=4) still fit next to the other options of
/// `opts` (its own SACK blocks, if any, are ignored). As Linux
/// `tcp_established_options`: the SACK option needs 4 bytes plus 8 per block
/// (RFC 2018 3) within the 40-byte option space (RFC 9293 3.1).
pub fn max_sack_blocks(opts_without_sack: &TcpOptions, version: MptcpVersion) -> usize {
    sack_blocks_fitting(len_without_sack(opts_without_sack, version))
}

/// How many SACK blocks (0..=4) fit when `used` option bytes are taken.
pub(crate) fn sack_blocks_fitting(used: usize) -> usize {
    let free = MAX_OPTION_BYTES.saturating_sub(used);
    (free.saturating_sub(SACK_BASE_ALIGNED) / SACK_BLOCK_LEN).min(SackBlocks::MAX)
}

/// The option bytes of `seg` in `version`: the length its builder
/// remembered ([`Segment::options_len`], the same in both versions), else
/// summed. Debug builds compare the two.
#[inline]
fn seg_options_len(seg: &Segment, version: MptcpVersion) -> usize {
    match seg.options_len.get() {
        Some(n) => {
            debug_assert_eq!(
                n,
                tcp_options_len(&seg.options, version),
                "a remembered options length is stale: {seg:?}"
            );
            n
        }
        None => tcp_options_len(&seg.options, version),
    }
}

/// TCP header length: 20 bytes plus options (RFC 9293 3.1).
#[inline]
pub fn tcp_header_len(seg: &Segment, version: MptcpVersion) -> usize {
    TCP_BASE_HEADER_LEN + seg_options_len(seg, version)
}

/// IP packet length: a 20-byte IPv4 header (RFC 791 3.1), the TCP header
/// and the payload.
#[inline]
pub fn ip_packet_len(seg: &Segment, version: MptcpVersion) -> usize {
    IPV4_HEADER_LEN + tcp_header_len(seg, version) + seg.payload_len as usize
}
