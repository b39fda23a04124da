//! On-the-wire lengths and byte encodings of TCP options (RFC 9293, RFC 7323,
//! RFC 2018) and MPTCP options (RFC 8684 for version 1, RFC 6824 for
//! version 0, chosen by [`MptcpVersion`]).
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

use core::fmt;

use crate::segment::{
    DataAck, Dss, DssMapping, MpCapable, MpJoin, MptcpOption, MptcpVersion, SackBlocks, Segment, TcpOptions,
};

/// Maximum TCP option space: a data offset of 15 words minus the 20-byte
/// fixed header (RFC 9293 3.1).
pub const MAX_OPTION_BYTES: usize = 40;
/// TCP header without options (RFC 9293 3.1).
pub const TCP_BASE_HEADER_LEN: usize = 20;
/// IPv4 header without options (RFC 791 3.1).
pub const IPV4_HEADER_LEN: usize = 20;

/// TCP option kinds (IANA "TCP Option Kind Numbers").
mod kind {
    /// No-operation, used for padding (RFC 9293 3.2).
    pub const NOP: u8 = 1;
    /// Maximum segment size (RFC 9293 3.2).
    pub const MSS: u8 = 2;
    /// Window scale (RFC 7323 2.2).
    pub const WINDOW_SCALE: u8 = 3;
    /// SACK-permitted (RFC 2018 2).
    pub const SACK_PERMITTED: u8 = 4;
    /// SACK (RFC 2018 3).
    pub const SACK: u8 = 5;
    /// Timestamps (RFC 7323 3.2).
    pub const TIMESTAMPS: u8 = 8;
    /// Multipath TCP (RFC 8684 3, RFC 6824 3).
    pub const MPTCP: u8 = 30;
}

/// MPTCP option subtypes (RFC 8684 7.2, RFC 6824 8).
mod subtype {
    pub const MP_CAPABLE: u8 = 0x0;
    pub const MP_JOIN: u8 = 0x1;
    pub const DSS: u8 = 0x2;
    pub const ADD_ADDR: u8 = 0x3;
    pub const REMOVE_ADDR: u8 = 0x4;
    pub const MP_PRIO: u8 = 0x5;
    pub const MP_FAIL: u8 = 0x6;
    pub const MP_FASTCLOSE: u8 = 0x7;
    pub const MP_TCPRST: u8 = 0x8;
}

/// DSS flag bits in the fourth option byte (RFC 8684 3.3; the same in
/// RFC 6824 3.3).
mod dss_flag {
    /// F: DATA_FIN.
    pub const DATA_FIN: u8 = 0x10;
    /// m: the data sequence number is 8 bytes.
    pub const DSN_8: u8 = 0x08;
    /// M: a mapping (DSN, SSN, data-level length) is present.
    pub const MAPPING: u8 = 0x04;
    /// a: the data-ACK is 8 bytes.
    pub const ACK_8: u8 = 0x02;
    /// A: a data-ACK is present.
    pub const ACK: u8 = 0x01;
}

/// MP_CAPABLE flag `A`: checksum required (RFC 8684 3.1; RFC 6824 3.1).
const MPC_FLAG_CHECKSUM: u8 = 0x80;
/// MP_CAPABLE flag `H`: HMAC-SHA256 in v1 (RFC 8684 3.1), HMAC-SHA1 in v0
/// (RFC 6824 3.1). Linux always sets it.
const MPC_FLAG_HMAC: u8 = 0x01;

/// Fixed part of every MPTCP option: kind, length, subtype byte (RFC 8684 3).
const MPTCP_BASE: usize = 3;

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

/// Rounds an option length up to a multiple of 4 (NOP padding).
const fn align4(n: usize) -> usize {
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
        MptcpOption::Dss(d) => {
            // RFC 8684 3.3 (identical in RFC 6824 3.3): kind, length,
            // subtype and flags (4), then the data-ACK and the mapping.
            4 + d.data_ack.as_ref().map_or(0, data_ack_len) + d.mapping.as_ref().map_or(0, mapping_len)
        }
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
    for o in opts.mptcp.iter() {
        n += align4(mptcp_option_len(o, version));
    }
    n
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

/// Total TCP option bytes of `opts` as Linux lays them out (see the module
/// docs), padded to a multiple of 4 with NOPs. It may exceed
/// [`MAX_OPTION_BYTES`]; [`encode_tcp_options`] then fails.
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

/// TCP header length: 20 bytes plus options (RFC 9293 3.1).
pub fn tcp_header_len(seg: &Segment, version: MptcpVersion) -> usize {
    TCP_BASE_HEADER_LEN + tcp_options_len(&seg.options, version)
}

/// IP packet length: a 20-byte IPv4 header (RFC 791 3.1), the TCP header
/// and the payload.
pub fn ip_packet_len(seg: &Segment, version: MptcpVersion) -> usize {
    IPV4_HEADER_LEN + tcp_header_len(seg, version) + seg.payload_len as usize
}

/// Writes big-endian fields into the 40-byte option buffer.
struct Cursor<'a> {
    buf: &'a mut [u8; MAX_OPTION_BYTES],
    pos: usize,
}

impl Cursor<'_> {
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
    fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }
    /// NOPs up to the next multiple of 4 (RFC 9293 3.2: padding between
    /// options uses NOP, never EOL).
    fn pad(&mut self) {
        while !self.pos.is_multiple_of(4) {
            self.u8(kind::NOP);
        }
    }
}

/// Writes one MPTCP option and its NOP padding.
fn encode_mptcp(c: &mut Cursor<'_>, opt: &MptcpOption, version: MptcpVersion) {
    let len = mptcp_option_len(opt, version);
    if len == 0 {
        return;
    }
    let v1 = version == MptcpVersion::V1;
    let start = c.pos;
    c.u8(kind::MPTCP);
    c.u8(len as u8);
    match opt {
        MptcpOption::MpCapable(MpCapable {
            checksum_required,
            sender_key,
            receiver_key,
            data_len,
            ..
        }) => {
            // RFC 8684 3.1 / RFC 6824 3.1: subtype and version nibbles, then
            // flags A B C D E F G H.
            let ver = if v1 { 1 } else { 0 };
            c.u8(subtype::MP_CAPABLE << 4 | ver);
            c.u8(if *checksum_required { MPC_FLAG_CHECKSUM } else { 0 } | MPC_FLAG_HMAC);
            if let Some(k) = sender_key {
                c.u64(*k);
            }
            if let Some(k) = receiver_key {
                c.u64(*k);
            }
            if let (true, Some(l)) = (v1, data_len) {
                c.u16(*l);
            }
        }
        MptcpOption::MpJoin(j) => match *j {
            // RFC 8684 3.2: subtype, (rsv) B, address id,
            // receiver's token, sender's random number.
            MpJoin::Syn {
                backup,
                addr_id,
                token,
                nonce,
            } => {
                c.u8(subtype::MP_JOIN << 4 | backup as u8);
                c.u8(addr_id);
                c.u32(token);
                c.u32(nonce);
            }
            // RFC 8684 3.2: subtype, (rsv) B, address id, sender's
            // truncated HMAC (64 bits), sender's random number.
            MpJoin::SynAck {
                backup,
                addr_id,
                truncated_hmac,
                nonce,
            } => {
                c.u8(subtype::MP_JOIN << 4 | backup as u8);
                c.u8(addr_id);
                c.u64(truncated_hmac);
                c.u32(nonce);
            }
            // RFC 8684 3.2: subtype, 12 reserved bits, sender's
            // HMAC (160 bits).
            MpJoin::Ack { hmac } => {
                c.u8(subtype::MP_JOIN << 4);
                c.u8(0);
                c.bytes(&hmac);
            }
        },
        MptcpOption::Dss(Dss {
            data_ack,
            mapping,
            data_fin,
        }) => {
            // RFC 8684 3.3 (RFC 6824 3.3): subtype and reserved bits, flags
            // F m M a A, data-ACK, DSN, SSN, data-level length.
            let mut flags = 0;
            if *data_fin {
                flags |= dss_flag::DATA_FIN;
            }
            if let Some(m) = mapping {
                flags |= dss_flag::MAPPING;
                if m.wide {
                    flags |= dss_flag::DSN_8;
                }
            }
            if let Some(a) = data_ack {
                flags |= dss_flag::ACK;
                if a.wide {
                    flags |= dss_flag::ACK_8;
                }
            }
            c.u8(subtype::DSS << 4);
            c.u8(flags);
            if let Some(a) = data_ack {
                if a.wide {
                    c.u64(a.value);
                } else {
                    c.u32(a.value as u32);
                }
            }
            if let Some(m) = mapping {
                if m.wide {
                    c.u64(m.dsn);
                } else {
                    c.u32(m.dsn as u32);
                }
                // RFC 8684 3.3.1: the subflow sequence number is relative to
                // the subflow's initial sequence number.
                c.u32(m.ssn_rel);
                c.u16(m.len);
            }
        }
        MptcpOption::AddAddr {
            addr_id,
            addr,
            port,
            echo,
            truncated_hmac,
        } => {
            if v1 {
                // RFC 8684 3.4.1: subtype, (rsv) E.
                c.u8(subtype::ADD_ADDR << 4 | *echo as u8);
            } else {
                // RFC 6824 3.4.1: subtype, IPVer = 4.
                c.u8(subtype::ADD_ADDR << 4 | 4);
            }
            c.u8(*addr_id);
            c.u32(*addr);
            if let Some(p) = port {
                c.u16(*p);
            }
            if v1 && !*echo {
                c.u64(*truncated_hmac);
            }
        }
        // RFC 8684 3.4.2 (RFC 6824 3.4.2).
        MptcpOption::RemoveAddr { addr_ids } => {
            c.u8(subtype::REMOVE_ADDR << 4);
            c.bytes(addr_ids.as_slice());
        }
        // RFC 8684 3.3.8: subtype, (rsv) B.
        MptcpOption::MpPrio { backup } => c.u8(subtype::MP_PRIO << 4 | *backup as u8),
        // RFC 8684 3.7 (RFC 6824 3.6): subtype, 12 reserved bits,
        // 8-byte DSN.
        MptcpOption::MpFail { dsn } => {
            c.u8(subtype::MP_FAIL << 4);
            c.u8(0);
            c.u64(*dsn);
        }
        // RFC 8684 3.5 (RFC 6824 3.5): subtype, 12 reserved bits,
        // the option receiver's key.
        MptcpOption::MpFastclose { receiver_key } => {
            c.u8(subtype::MP_FASTCLOSE << 4);
            c.u8(0);
            c.u64(*receiver_key);
        }
        // RFC 8684 3.6: subtype, U V W T (T = transient), reason.
        MptcpOption::MpTcpRst { transient, reason } => {
            c.u8(subtype::MP_TCPRST << 4 | *transient as u8);
            c.u8(*reason);
        }
    }
    debug_assert_eq!(c.pos - start, len, "MPTCP option length mismatch");
    c.pad();
}

/// Encodes `opts` into `out` exactly as they go on the wire (see the module
/// docs for the layout) and returns the number of bytes written, always
/// [`tcp_options_len`] and a multiple of 4. Fields are in network byte
/// order; SACK edges are the low 32 bits of the absolute sequence numbers.
/// Nothing is written when the options exceed [`MAX_OPTION_BYTES`].
pub fn encode_tcp_options(
    opts: &TcpOptions,
    version: MptcpVersion,
    out: &mut [u8; MAX_OPTION_BYTES],
) -> Result<usize, OptionSpaceError> {
    let needed = tcp_options_len(opts, version);
    if needed > MAX_OPTION_BYTES {
        return Err(OptionSpaceError { needed });
    }
    let mut c = Cursor { buf: out, pos: 0 };
    if let Some(mss) = opts.mss {
        // RFC 9293 3.2: kind 2, length 4, MSS.
        c.u8(kind::MSS);
        c.u8(4);
        c.u16(mss);
    }
    if let Some((tsval, tsecr)) = opts.timestamps {
        // RFC 7323 3.2; on a SYN Linux puts SACK-permitted (RFC 2018 2) in
        // place of the two NOPs.
        if opts.sack_permitted {
            c.bytes(&[kind::SACK_PERMITTED, 2]);
        } else {
            c.bytes(&[kind::NOP, kind::NOP]);
        }
        c.bytes(&[kind::TIMESTAMPS, 10]);
        c.u32(tsval);
        c.u32(tsecr);
    } else if opts.sack_permitted {
        // RFC 2018 2.
        c.bytes(&[kind::NOP, kind::NOP, kind::SACK_PERMITTED, 2]);
    }
    if let Some(shift) = opts.window_scale {
        // RFC 7323 2.2: kind 3, length 3, shift count.
        c.bytes(&[kind::NOP, kind::WINDOW_SCALE, 3, shift]);
    }
    let blocks = opts.sack.as_slice();
    if !blocks.is_empty() {
        // RFC 2018 3: kind 5, length 2 + 8n, 32-bit left and right edges.
        c.bytes(&[kind::NOP, kind::NOP, kind::SACK, (2 + 8 * blocks.len()) as u8]);
        for b in blocks {
            c.u32(b.left as u32);
            c.u32(b.right as u32);
        }
    }
    for o in opts.mptcp.iter() {
        encode_mptcp(&mut c, o, version);
    }
    debug_assert_eq!(c.pos, needed, "encoded length differs from tcp_options_len");
    Ok(c.pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{AddrIds, MptcpOptions, SackBlock, TcpFlags};

    const V0: MptcpVersion = MptcpVersion::V0;
    const V1: MptcpVersion = MptcpVersion::V1;
    const KEY_A: u64 = 0x0123_4567_89ab_cdef;
    const KEY_B: u64 = 0xfedc_ba98_7654_3210;

    fn mpc(sender: Option<u64>, receiver: Option<u64>, data_len: Option<u16>) -> MptcpOption {
        MptcpOption::MpCapable(MpCapable {
            version: V1,
            checksum_required: false,
            sender_key: sender,
            receiver_key: receiver,
            data_len,
        })
    }

    fn dss(ack: Option<(u64, bool)>, map: Option<(u64, bool)>, data_fin: bool) -> MptcpOption {
        MptcpOption::Dss(Dss {
            data_ack: ack.map(|(value, wide)| DataAck { value, wide }),
            mapping: map.map(|(dsn, wide)| DssMapping {
                dsn,
                ssn_rel: 1,
                len: 1000,
                wide,
            }),
            data_fin,
        })
    }

    fn add_addr(port: Option<u16>, echo: bool) -> MptcpOption {
        MptcpOption::AddAddr {
            addr_id: 3,
            addr: 0x0a00_0102,
            port,
            echo,
            truncated_hmac: 0x1122_3344_5566_7788,
        }
    }

    fn with_mptcp(mut base: TcpOptions, opts: &[MptcpOption]) -> TcpOptions {
        let mut m = MptcpOptions::default();
        for o in opts {
            assert!(m.push(*o));
        }
        base.mptcp = m;
        base
    }

    fn timestamps() -> TcpOptions {
        TcpOptions {
            timestamps: Some((1, 2)),
            ..TcpOptions::default()
        }
    }

    fn syn_options(mptcp: MptcpOption) -> TcpOptions {
        with_mptcp(
            TcpOptions {
                mss: Some(1460),
                window_scale: Some(7),
                sack_permitted: true,
                timestamps: Some((100, 0)),
                ..TcpOptions::default()
            },
            &[mptcp],
        )
    }

    fn sack(n: u64) -> SackBlocks {
        let mut s = SackBlocks::default();
        for i in 0..n {
            assert!(s.push(SackBlock {
                left: 1000 * i,
                right: 1000 * i + 500,
            }));
        }
        s
    }

    /// Walks encoded options as a receiver would (RFC 9293 3.2) and returns
    /// the (kind, length) of each non-NOP option; fails on EOL or a bad length.
    fn parse(bytes: &[u8]) -> Vec<(u8, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                0 => panic!("EOL at {i} in {bytes:?}"),
                1 => i += 1,
                k => {
                    let len = bytes[i + 1] as usize;
                    assert!(len >= 2 && i + len <= bytes.len(), "bad length at {i} in {bytes:?}");
                    out.push((k, len));
                    i += len;
                }
            }
        }
        out
    }

    fn encode(opts: &TcpOptions, version: MptcpVersion) -> Vec<u8> {
        let mut buf = [0u8; MAX_OPTION_BYTES];
        let n = encode_tcp_options(opts, version, &mut buf).expect("fits");
        buf[..n].to_vec()
    }

    #[test]
    fn mp_capable_v1_forms_are_4_12_20_and_22_bytes() {
        assert_eq!(mptcp_option_len(&mpc(None, None, None), V1), 4);
        assert_eq!(mptcp_option_len(&mpc(Some(KEY_A), None, None), V1), 12);
        assert_eq!(mptcp_option_len(&mpc(Some(KEY_A), Some(KEY_B), None), V1), 20);
        assert_eq!(mptcp_option_len(&mpc(Some(KEY_A), Some(KEY_B), Some(1000)), V1), 22);
    }

    #[test]
    fn mp_capable_v0_syn_and_syn_ack_are_12_bytes_and_third_ack_20() {
        assert_eq!(mptcp_option_len(&mpc(Some(KEY_A), None, None), V0), 12);
        assert_eq!(mptcp_option_len(&mpc(Some(KEY_A), Some(KEY_B), None), V0), 20);
        // v0 has no data-level length in MP_CAPABLE.
        assert_eq!(mptcp_option_len(&mpc(Some(KEY_A), Some(KEY_B), Some(1000)), V0), 20);
    }

    #[test]
    fn mp_join_syn_syn_ack_and_ack_are_12_16_and_24_bytes_in_both_versions() {
        let syn = MptcpOption::MpJoin(MpJoin::Syn {
            backup: false,
            addr_id: 1,
            token: 7,
            nonce: 9,
        });
        let syn_ack = MptcpOption::MpJoin(MpJoin::SynAck {
            backup: false,
            addr_id: 1,
            truncated_hmac: 7,
            nonce: 9,
        });
        let ack = MptcpOption::MpJoin(MpJoin::Ack { hmac: [0; 20] });
        for v in [V0, V1] {
            assert_eq!(mptcp_option_len(&syn, v), 12);
            assert_eq!(mptcp_option_len(&syn_ack, v), 16);
            assert_eq!(mptcp_option_len(&ack, v), 24);
        }
    }

    #[test]
    fn dss_length_is_4_plus_data_ack_plus_mapping_in_both_versions() {
        for v in [V0, V1] {
            assert_eq!(mptcp_option_len(&dss(Some((1, false)), None, false), v), 8);
            assert_eq!(mptcp_option_len(&dss(Some((1, true)), None, false), v), 12);
            assert_eq!(mptcp_option_len(&dss(None, Some((1, false)), false), v), 14);
            assert_eq!(mptcp_option_len(&dss(None, Some((1, true)), false), v), 18);
            assert_eq!(mptcp_option_len(&dss(Some((1, false)), Some((1, false)), false), v), 18);
            assert_eq!(mptcp_option_len(&dss(Some((1, true)), Some((1, true)), true), v), 26);
        }
    }

    #[test]
    fn dss_with_8_byte_ack_and_mapping_is_28_bytes_on_the_wire() {
        let opts = with_mptcp(TcpOptions::default(), &[dss(Some((1, true)), Some((2, true)), false)]);
        assert_eq!(tcp_options_len(&opts, V1), 28);
        assert_eq!(encode(&opts, V1).len(), 28);
    }

    #[test]
    fn add_addr_v1_ipv4_is_8_bytes_plus_2_for_port_plus_8_for_hmac_unless_echo() {
        assert_eq!(mptcp_option_len(&add_addr(None, false), V1), 16);
        assert_eq!(mptcp_option_len(&add_addr(Some(80), false), V1), 18);
        assert_eq!(mptcp_option_len(&add_addr(None, true), V1), 8);
        assert_eq!(mptcp_option_len(&add_addr(Some(80), true), V1), 10);
    }

    #[test]
    fn add_addr_v0_ipv4_is_8_bytes_or_10_with_port_and_never_has_an_hmac() {
        assert_eq!(mptcp_option_len(&add_addr(None, false), V0), 8);
        assert_eq!(mptcp_option_len(&add_addr(Some(80), false), V0), 10);
        let opts = with_mptcp(TcpOptions::default(), &[add_addr(Some(0x1f90), false)]);
        // Subtype 3, IPVer 4 (RFC 6824 3.4.1), then NOP padding.
        assert_eq!(encode(&opts, V0), [30, 10, 0x34, 3, 10, 0, 1, 2, 0x1f, 0x90, 1, 1]);
    }

    #[test]
    fn add_addr_v1_carries_the_echo_flag_and_the_hmac_after_the_port() {
        let opts = with_mptcp(TcpOptions::default(), &[add_addr(Some(0x1f90), false)]);
        assert_eq!(
            encode(&opts, V1),
            [
                30, 18, 0x30, 3, 10, 0, 1, 2, 0x1f, 0x90, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 1
            ]
        );
        let echo = with_mptcp(TcpOptions::default(), &[add_addr(None, true)]);
        assert_eq!(encode(&echo, V1), [30, 8, 0x31, 3, 10, 0, 1, 2]);
    }

    #[test]
    fn small_options_have_their_rfc_lengths() {
        let ids = AddrIds::one(4);
        for v in [V0, V1] {
            assert_eq!(mptcp_option_len(&MptcpOption::RemoveAddr { addr_ids: ids }, v), 4);
            assert_eq!(mptcp_option_len(&MptcpOption::MpPrio { backup: true }, v), 3);
            assert_eq!(mptcp_option_len(&MptcpOption::MpFail { dsn: 1 }, v), 12);
            assert_eq!(mptcp_option_len(&MptcpOption::MpFastclose { receiver_key: 1 }, v), 12);
        }
        let rst = MptcpOption::MpTcpRst {
            transient: true,
            reason: 5,
        };
        assert_eq!(mptcp_option_len(&rst, V1), 4);
        // RFC 6824 has no MP_TCPRST: nothing is sent in v0.
        assert_eq!(mptcp_option_len(&rst, V0), 0);
        assert!(encode(&with_mptcp(TcpOptions::default(), &[rst]), V0).is_empty());
    }

    #[test]
    fn small_options_encode_byte_exact_with_nop_padding() {
        let one = |o: MptcpOption, v| encode(&with_mptcp(TcpOptions::default(), &[o]), v);
        let ids = AddrIds::one(4);
        assert_eq!(one(MptcpOption::RemoveAddr { addr_ids: ids }, V1), [30, 4, 0x40, 4]);
        assert_eq!(one(MptcpOption::MpPrio { backup: true }, V1), [30, 3, 0x51, 1]);
        assert_eq!(one(MptcpOption::MpPrio { backup: false }, V0), [30, 3, 0x50, 1]);
        assert_eq!(
            one(
                MptcpOption::MpFail {
                    dsn: 0x0102_0304_0506_0708
                },
                V1
            ),
            [30, 12, 0x60, 0, 1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(
            one(MptcpOption::MpFastclose { receiver_key: KEY_B }, V1),
            [30, 12, 0x70, 0, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10]
        );
        let rst = MptcpOption::MpTcpRst {
            transient: true,
            reason: 5,
        };
        assert_eq!(one(rst, V1), [30, 4, 0x81, 5]);
    }

    #[test]
    fn dss_encodes_byte_exact_with_flags_wide_fields_and_trailing_nops() {
        let d = MptcpOption::Dss(Dss {
            data_ack: Some(DataAck {
                value: 0x1122_3344_5566_7788,
                wide: true,
            }),
            mapping: Some(DssMapping {
                dsn: 0x0102_0304_0506_0708,
                ssn_rel: 0x0a0b_0c0d,
                len: 0x05dc,
                wide: true,
            }),
            data_fin: true,
        });
        let bytes = encode(&with_mptcp(TcpOptions::default(), &[d]), V1);
        #[rustfmt::skip]
        let expected = [
            30, 26, 0x20, 0x10 | 0x08 | 0x04 | 0x02 | 0x01,
            0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, // data-ACK
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // DSN
            0x0a, 0x0b, 0x0c, 0x0d, // subflow sequence number
            0x05, 0xdc, // data-level length
            1, 1, // NOP padding
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn narrow_dss_writes_the_low_32_bits_of_dsn_and_data_ack_in_v0() {
        let d = dss(
            Some((0xaaaa_bbbb_0000_0010, false)),
            Some((0xcccc_dddd_0000_0020, false)),
            false,
        );
        let bytes = encode(&with_mptcp(TcpOptions::default(), &[d]), V0);
        #[rustfmt::skip]
        let expected = [
            30, 18, 0x20, 0x04 | 0x01,
            0, 0, 0, 0x10, // data-ACK
            0, 0, 0, 0x20, // DSN
            0, 0, 0, 1, // SSN
            0x03, 0xe8, // length 1000
            1, 1,
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn mp_capable_third_ack_encodes_byte_exact_in_both_versions() {
        let opts = with_mptcp(TcpOptions::default(), &[mpc(Some(KEY_A), Some(KEY_B), None)]);
        #[rustfmt::skip]
        let v1 = [
            30, 20, 0x01, 0x01, // subtype 0, version 1; H (HMAC-SHA256)
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
            0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
        ];
        assert_eq!(encode(&opts, V1), v1);
        let mut v0 = v1;
        v0[2] = 0x00; // version 0; H now means HMAC-SHA1
        assert_eq!(encode(&opts, V0), v0);
        // v1 with the data-level length: 22 bytes, then two NOPs.
        let data = with_mptcp(TcpOptions::default(), &[mpc(Some(KEY_A), Some(KEY_B), Some(0x0102))]);
        let bytes = encode(&data, V1);
        assert_eq!(bytes.len(), 24);
        assert_eq!(bytes[..4], [30, 22, 0x01, 0x01]);
        assert_eq!(bytes[20..], [0x01, 0x02, 1, 1]);
    }

    #[test]
    fn mp_join_encodes_the_backup_flag_and_address_id() {
        let syn = MptcpOption::MpJoin(MpJoin::Syn {
            backup: true,
            addr_id: 2,
            token: 0xdead_beef,
            nonce: 0x0102_0304,
        });
        assert_eq!(
            encode(&with_mptcp(TcpOptions::default(), &[syn]), V1),
            [30, 12, 0x11, 2, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]
        );
        let syn_ack = MptcpOption::MpJoin(MpJoin::SynAck {
            backup: false,
            addr_id: 5,
            truncated_hmac: 0x1122_3344_5566_7788,
            nonce: 0x0a0b_0c0d,
        });
        assert_eq!(
            encode(&with_mptcp(TcpOptions::default(), &[syn_ack]), V1),
            [
                30, 16, 0x10, 5, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x0a, 0x0b, 0x0c, 0x0d
            ]
        );
        let mut hmac = [0u8; 20];
        hmac.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        let ack = encode(
            &with_mptcp(TcpOptions::default(), &[MptcpOption::MpJoin(MpJoin::Ack { hmac })]),
            V1,
        );
        assert_eq!(ack[..4], [30, 24, 0x10, 0]);
        assert_eq!(ack[4..], hmac);
    }

    #[test]
    fn syn_with_mss_sack_permitted_timestamps_window_scale_and_mp_capable_v0_fits_in_40_bytes() {
        let v0 = syn_options(mpc(Some(KEY_A), None, None));
        assert_eq!(tcp_options_len(&v0, V0), 4 + 12 + 4 + 12);
        let bytes = encode(&v0, V0);
        assert!(bytes.len() <= MAX_OPTION_BYTES);
        #[rustfmt::skip]
        let expected = [
            2, 4, 0x05, 0xb4, // MSS 1460
            4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0, // SACKOK, TS
            1, 3, 3, 7, // NOP, WS 7
            30, 12, 0x00, 0x01, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
        ];
        assert_eq!(bytes, expected);
        // The v1 SYN carries no key: 24 bytes.
        assert_eq!(tcp_options_len(&syn_options(mpc(None, None, None)), V1), 24);
    }

    #[test]
    fn sack_permitted_and_timestamps_alone_are_laid_out_as_linux_does() {
        let sack_ok = TcpOptions {
            sack_permitted: true,
            ..TcpOptions::default()
        };
        assert_eq!(encode(&sack_ok, V1), [1, 1, 4, 2]);
        assert_eq!(encode(&timestamps(), V1), [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
    }

    #[test]
    fn sack_edges_are_written_as_the_low_32_bits_of_absolute_sequence_numbers() {
        let mut s = SackBlocks::default();
        s.push(SackBlock {
            left: (7 << 32) | 0x0000_1000,
            right: (7 << 32) | 0x0000_2000,
        });
        let opts = TcpOptions {
            sack: s,
            ..timestamps()
        };
        let bytes = encode(&opts, V1);
        assert_eq!(bytes[12..], [1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0]);
    }

    #[test]
    fn three_sack_blocks_fit_beside_timestamps_and_four_without() {
        assert_eq!(max_sack_blocks(&TcpOptions::default(), V1), 4);
        assert_eq!(max_sack_blocks(&timestamps(), V1), 3);
        // Existing SACK blocks are not counted.
        let with_sack = TcpOptions {
            sack: sack(3),
            ..timestamps()
        };
        assert_eq!(max_sack_blocks(&with_sack, V1), 3);
    }

    #[test]
    fn with_timestamps_and_an_8_byte_data_ack_only_one_sack_block_fits() {
        let opts = with_mptcp(timestamps(), &[dss(Some((1, true)), None, false)]);
        assert_eq!(max_sack_blocks(&opts, V1), 1);
        let full = TcpOptions { sack: sack(1), ..opts };
        assert_eq!(tcp_options_len(&full, V1), 12 + 12 + 12);
        assert_eq!(encode(&full, V1).len(), 36);
        // A 4-byte data-ACK leaves room for two.
        assert_eq!(
            max_sack_blocks(&with_mptcp(timestamps(), &[dss(Some((1, false)), None, false)]), V1),
            2
        );
        // Timestamps and a full DSS leave none.
        assert_eq!(
            max_sack_blocks(
                &with_mptcp(timestamps(), &[dss(Some((1, true)), Some((1, true)), false)]),
                V1
            ),
            0
        );
    }

    #[test]
    fn options_beyond_40_bytes_are_an_error_and_nothing_is_written() {
        let opts = TcpOptions {
            sack: sack(1),
            ..with_mptcp(timestamps(), &[dss(Some((1, true)), Some((1, true)), false)])
        };
        assert_eq!(tcp_options_len(&opts, V1), 12 + 12 + 28);
        let mut buf = [0xeeu8; MAX_OPTION_BYTES];
        let err = encode_tcp_options(&opts, V1, &mut buf).unwrap_err();
        assert_eq!(err, OptionSpaceError { needed: 52 });
        assert!(err.to_string().contains("52"));
        assert!(buf.iter().all(|&b| b == 0xee));
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert!(!boxed.to_string().is_empty());
    }

    #[test]
    fn encoding_always_writes_exactly_tcp_options_len_bytes_of_well_formed_options() {
        let tcp_variants = [
            TcpOptions::default(),
            timestamps(),
            TcpOptions {
                sack: sack(1),
                ..timestamps()
            },
            TcpOptions {
                sack: sack(2),
                ..TcpOptions::default()
            },
            TcpOptions {
                mss: Some(1460),
                window_scale: Some(7),
                sack_permitted: true,
                timestamps: Some((100, 0)),
                ..TcpOptions::default()
            },
            TcpOptions {
                mss: Some(1460),
                sack_permitted: true,
                ..TcpOptions::default()
            },
        ];
        let mptcp_variants = [
            mpc(None, None, None),
            mpc(Some(KEY_A), None, None),
            mpc(Some(KEY_A), Some(KEY_B), None),
            mpc(Some(KEY_A), Some(KEY_B), Some(10)),
            MptcpOption::MpJoin(MpJoin::Syn {
                backup: true,
                addr_id: 1,
                token: 2,
                nonce: 3,
            }),
            MptcpOption::MpJoin(MpJoin::Ack { hmac: [7; 20] }),
            dss(Some((1, false)), None, false),
            dss(Some((1, true)), Some((2, true)), true),
            dss(None, Some((2, false)), false),
            add_addr(Some(1), false),
            add_addr(None, true),
            MptcpOption::RemoveAddr {
                addr_ids: AddrIds::one(2),
            },
            MptcpOption::MpPrio { backup: true },
            MptcpOption::MpFail { dsn: 5 },
            MptcpOption::MpFastclose { receiver_key: 6 },
            MptcpOption::MpTcpRst {
                transient: false,
                reason: 1,
            },
        ];
        let mut checked = 0;
        for v in [V0, V1] {
            for base in &tcp_variants {
                let mut sets: Vec<Vec<MptcpOption>> = vec![vec![]];
                for a in &mptcp_variants {
                    sets.push(vec![*a]);
                    for b in &mptcp_variants {
                        sets.push(vec![*a, *b]);
                    }
                }
                for set in sets {
                    let opts = with_mptcp(*base, &set);
                    let len = tcp_options_len(&opts, v);
                    let mut buf = [0u8; MAX_OPTION_BYTES];
                    match encode_tcp_options(&opts, v, &mut buf) {
                        Ok(n) => {
                            assert_eq!(n, len);
                            assert_eq!(n % 4, 0);
                            let parsed = parse(&buf[..n]);
                            let mptcp: Vec<usize> = parsed.iter().filter(|(k, _)| *k == 30).map(|p| p.1).collect();
                            let expected: Vec<usize> =
                                set.iter().map(|o| mptcp_option_len(o, v)).filter(|&l| l > 0).collect();
                            assert_eq!(mptcp, expected, "{opts:?}");
                            checked += 1;
                        }
                        Err(e) => assert!(len > MAX_OPTION_BYTES && e.needed == len),
                    }
                }
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn header_and_packet_lengths_count_ip_tcp_options_and_payload() {
        let seg = Segment {
            src_addr: 0x0a00_0001,
            dst_addr: 0x0a00_0002,
            src_port: 40000,
            dst_port: 80,
            seq: 1,
            ack: 1,
            flags: TcpFlags::ack(),
            window: 1000,
            payload_len: 1400,
            options: with_mptcp(timestamps(), &[dss(Some((1, true)), Some((1, true)), false)]),
        };
        assert_eq!(tcp_header_len(&seg, V1), 20 + 12 + 28);
        assert_eq!(ip_packet_len(&seg, V1), 20 + 60 + 1400);
        let bare = Segment {
            payload_len: 0,
            options: TcpOptions::default(),
            ..seg
        };
        assert_eq!(tcp_header_len(&bare, V0), 20);
        assert_eq!(ip_packet_len(&bare, V0), 40);
    }
}
