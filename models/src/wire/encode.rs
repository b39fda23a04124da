//! The bytes of the TCP and MPTCP options, in the layout of the parent
//! module, with the option kinds, MPTCP subtypes and flag bits they use.
//! Each option writes exactly the length `lengths` gives it.

use super::lengths::{align4, dss_len, mptcp_option_len, tcp_options_len};
use super::{MAX_OPTION_BYTES, OptionSpaceError};
use crate::segment::{Dss, MpCapable, MpJoin, MptcpOption, MptcpVersion, SackBlock, TcpOptions};

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
        MptcpOption::Dss(d) => encode_dss(c, d),
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

/// The body of a DSS option after its kind and length (RFC 8684 3.3, RFC
/// 6824 3.3): subtype and reserved bits, flags F m M a A, data-ACK, DSN,
/// SSN, data-level length.
fn encode_dss(c: &mut Cursor<'_>, d: &Dss) {
    let mut flags = 0;
    if d.data_fin {
        flags |= dss_flag::DATA_FIN;
    }
    if let Some(m) = d.mapping {
        flags |= dss_flag::MAPPING;
        if m.wide {
            flags |= dss_flag::DSN_8;
        }
    }
    if let Some(a) = d.data_ack {
        flags |= dss_flag::ACK;
        if a.wide {
            flags |= dss_flag::ACK_8;
        }
    }
    c.u8(subtype::DSS << 4);
    c.u8(flags);
    if let Some(a) = d.data_ack {
        if a.wide {
            c.u64(a.value);
        } else {
            c.u32(a.value as u32);
        }
    }
    if let Some(m) = d.mapping {
        if m.wide {
            c.u64(m.dsn);
        } else {
            c.u32(m.dsn as u32);
        }
        // RFC 8684 3.3.1: the subflow sequence number is relative to the
        // subflow's initial sequence number.
        c.u32(m.ssn_rel);
        c.u16(m.len);
    }
}

/// Encodes `opts` into `out` exactly as they go on the wire (see the `wire` module
/// docs for the layout) and returns the number of bytes written, always
/// [`tcp_options_len`] and a multiple of 4. Fields are in network byte
/// order; SACK edges are the low 32 bits of the absolute sequence numbers.
/// Nothing is written when the options exceed [`MAX_OPTION_BYTES`].
pub fn encode_tcp_options(
    opts: &TcpOptions,
    version: MptcpVersion,
    out: &mut [u8; MAX_OPTION_BYTES],
) -> Result<usize, OptionSpaceError> {
    let Some(n) = encode_established(opts, out) else {
        return encode_every_kind(opts, version, out);
    };
    #[cfg(debug_assertions)]
    {
        let mut general = [0u8; MAX_OPTION_BYTES];
        let m = encode_every_kind(opts, version, &mut general).expect("the established shape fits 40 bytes");
        assert_eq!(
            &out[..n],
            &general[..m],
            "the established shape's bytes differ: {opts:?}"
        );
    }
    Ok(n)
}

/// The shape of nearly every segment after the handshake: timestamps, SACK
/// blocks and at most one DSS option, nothing else, within 40 bytes;
/// `None` for any other shape (nothing meaningful written). The bytes are
/// [`encode_every_kind`]'s (tests and debug builds compare), without
/// summing every option's length first: the pcap writer encodes every
/// segment. The DSS option is the same in both versions (RFC 8684 3.3,
/// RFC 6824 3.3), so the version does not enter.
#[inline]
pub(super) fn encode_established(opts: &TcpOptions, out: &mut [u8; MAX_OPTION_BYTES]) -> Option<usize> {
    if opts.mss.is_some() || opts.window_scale.is_some() || opts.sack_permitted {
        return None;
    }
    let mut mptcp = opts.mptcp.iter();
    let dss = match (mptcp.next(), mptcp.next()) {
        (None, _) => None,
        (Some(MptcpOption::Dss(d)), None) => Some(d),
        _ => return None,
    };
    let blocks = opts.sack.as_slice();
    let dss_len = dss.map_or(0, dss_len);
    let ts_len = if opts.timestamps.is_some() { 12 } else { 0 };
    let sack_len = if blocks.is_empty() { 0 } else { 4 + 8 * blocks.len() };
    if ts_len + sack_len + align4(dss_len) > MAX_OPTION_BYTES {
        return None;
    }
    let mut c = Cursor { buf: out, pos: 0 };
    if let Some((tsval, tsecr)) = opts.timestamps {
        // RFC 7323 3.2 after two NOPs (no SACK-permitted off a SYN).
        c.bytes(&[kind::NOP, kind::NOP, kind::TIMESTAMPS, 10]);
        c.u32(tsval);
        c.u32(tsecr);
    }
    encode_sack(&mut c, blocks);
    if let Some(d) = dss {
        c.u8(kind::MPTCP);
        c.u8(dss_len as u8);
        encode_dss(&mut c, d);
        c.pad();
    }
    Some(c.pos)
}

/// The SACK option, when there are blocks (RFC 2018 3): two NOPs, kind 5,
/// length 2 + 8n, 32-bit left and right edges.
fn encode_sack(c: &mut Cursor<'_>, blocks: &[SackBlock]) {
    if !blocks.is_empty() {
        c.bytes(&[kind::NOP, kind::NOP, kind::SACK, (2 + 8 * blocks.len()) as u8]);
        for b in blocks {
            c.u32(b.left as u32);
            c.u32(b.right as u32);
        }
    }
}

/// Every option kind, in the layout of the module docs: the general path.
pub(super) fn encode_every_kind(
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
    encode_sack(&mut c, opts.sack.as_slice());
    for o in opts.mptcp.iter() {
        encode_mptcp(&mut c, o, version);
    }
    debug_assert_eq!(c.pos, needed, "encoded length differs from tcp_options_len");
    Ok(c.pos)
}
