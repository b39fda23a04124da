//! The TCP options of a traced segment, with a fast path for the shape of
//! nearly every segment after the handshake.
//!
//! After the handshake a segment carries at most the timestamps option
//! (RFC 7323 3.2), SACK blocks (RFC 2018 3) and one DSS option (RFC 8684
//! 3.3). [`encode_options`] writes that shape with fixed-size stores, in the
//! same layout as the general encoder `models::wire::encode_tcp_options`
//! (which walks every option kind and first sums the lengths), and passes
//! everything else (SYNs with MSS, window scale or SACK-permitted; MP_JOIN,
//! ADD_ADDR and the other MPTCP options; two MPTCP options; options that do
//! not fit the 40 bytes) to the general encoder. Debug builds encode every
//! segment both ways and compare the bytes; a property test does the same
//! over random option sets. The bytes in the trace are the general
//! encoder's: nothing a user can observe differs.

use models::segment::{Dss, MptcpOption, MptcpVersion, TcpOptions};
use models::wire::{self, MAX_OPTION_BYTES};

/// NOP (RFC 9293 3.2), SACK (RFC 2018 3), timestamps (RFC 7323 3.2),
/// Multipath TCP (RFC 8684 3): the option kinds of the fast path.
const NOP: u8 = 1;
const SACK: u8 = 5;
const TIMESTAMPS: u8 = 8;
const MPTCP: u8 = 30;
/// DSS subtype in the high nibble (RFC 8684 7.2) and its flags F m M a A
/// (RFC 8684 3.3; the same in RFC 6824 3.3).
const DSS_SUBTYPE_BYTE: u8 = 0x2 << 4;
const DSS_DATA_FIN: u8 = 0x10;
const DSS_DSN_8: u8 = 0x08;
const DSS_MAPPING: u8 = 0x04;
const DSS_ACK_8: u8 = 0x02;
const DSS_ACK: u8 = 0x01;

/// Encodes `opts` into `out` as `models::wire::encode_tcp_options` does and
/// returns the length; the error is the general encoder's.
pub fn encode_options(
    opts: &TcpOptions,
    version: MptcpVersion,
    out: &mut [u8; MAX_OPTION_BYTES],
) -> Result<usize, wire::OptionSpaceError> {
    let n = match encode_common(opts, out) {
        Some(n) => n,
        None => return wire::encode_tcp_options(opts, version, out),
    };
    #[cfg(debug_assertions)]
    {
        let mut general = [0u8; MAX_OPTION_BYTES];
        let m = wire::encode_tcp_options(opts, version, &mut general).expect("the fast path fits 40 bytes");
        assert_eq!(
            &out[..n],
            &general[..m],
            "options encoded by the fast path differ from models::wire's: {opts:?}"
        );
    }
    Ok(n)
}

/// The fast path: timestamps, SACK blocks and at most one DSS option, and
/// nothing else; `None` for any other shape (nothing meaningful written).
/// The DSS option is the same in both MPTCP versions (RFC 8684 3.3, RFC
/// 6824 3.3), so the version does not enter.
#[inline]
fn encode_common(opts: &TcpOptions, out: &mut [u8; MAX_OPTION_BYTES]) -> Option<usize> {
    if opts.mss.is_some() || opts.window_scale.is_some() || opts.sack_permitted {
        return None;
    }
    let mut mptcp = opts.mptcp.iter();
    let dss: Option<&Dss> = match (mptcp.next(), mptcp.next()) {
        (None, _) => None,
        (Some(MptcpOption::Dss(d)), None) => Some(d),
        _ => return None,
    };
    let blocks = opts.sack.as_slice();
    let dss_len: usize = dss.map_or(0, |d| {
        4 + d.data_ack.map_or(0, |a| if a.wide { 8 } else { 4 })
            + d.mapping.map_or(0, |m| if m.wide { 8 } else { 4 } + 4 + 2)
    });
    let ts_len = if opts.timestamps.is_some() { 12 } else { 0 };
    let sack_len = if blocks.is_empty() { 0 } else { 4 + 8 * blocks.len() };
    // The DSS option is NOP-padded to a multiple of 4.
    if ts_len + sack_len + dss_len.div_ceil(4) * 4 > MAX_OPTION_BYTES {
        return None;
    }
    let mut pos = 0;
    if let Some((tsval, tsecr)) = opts.timestamps {
        // RFC 7323 3.2 after two NOPs (Linux `TCPOLEN_TSTAMP_ALIGNED`).
        out[0..4].copy_from_slice(&[NOP, NOP, TIMESTAMPS, 10]);
        out[4..8].copy_from_slice(&tsval.to_be_bytes());
        out[8..12].copy_from_slice(&tsecr.to_be_bytes());
        pos = 12;
    }
    if !blocks.is_empty() {
        // RFC 2018 3: two NOPs, kind 5, length 2 + 8n, 32-bit edges.
        out[pos..pos + 4].copy_from_slice(&[NOP, NOP, SACK, (2 + 8 * blocks.len()) as u8]);
        pos += 4;
        for b in blocks {
            out[pos..pos + 4].copy_from_slice(&(b.left as u32).to_be_bytes());
            out[pos + 4..pos + 8].copy_from_slice(&(b.right as u32).to_be_bytes());
            pos += 8;
        }
    }
    if let Some(d) = dss {
        // RFC 8684 3.3: kind, length, subtype, flags F m M a A, data-ACK
        // (4 or 8), DSN (4 or 8), relative SSN (RFC 8684 3.3.1), data-level
        // length; no checksum.
        let start = pos;
        let mut flags = if d.data_fin { DSS_DATA_FIN } else { 0 };
        if let Some(m) = d.mapping {
            flags |= DSS_MAPPING | if m.wide { DSS_DSN_8 } else { 0 };
        }
        if let Some(a) = d.data_ack {
            flags |= DSS_ACK | if a.wide { DSS_ACK_8 } else { 0 };
        }
        out[pos..pos + 4].copy_from_slice(&[MPTCP, dss_len as u8, DSS_SUBTYPE_BYTE, flags]);
        pos += 4;
        if let Some(a) = d.data_ack {
            if a.wide {
                out[pos..pos + 8].copy_from_slice(&a.value.to_be_bytes());
                pos += 8;
            } else {
                out[pos..pos + 4].copy_from_slice(&(a.value as u32).to_be_bytes());
                pos += 4;
            }
        }
        if let Some(m) = d.mapping {
            if m.wide {
                out[pos..pos + 8].copy_from_slice(&m.dsn.to_be_bytes());
                pos += 8;
            } else {
                out[pos..pos + 4].copy_from_slice(&(m.dsn as u32).to_be_bytes());
                pos += 4;
            }
            out[pos..pos + 4].copy_from_slice(&m.ssn_rel.to_be_bytes());
            out[pos + 4..pos + 6].copy_from_slice(&m.len.to_be_bytes());
            pos += 6;
        }
        debug_assert_eq!(pos - start, dss_len);
        // NOP padding to a multiple of 4 (RFC 9293 3.2).
        while !pos.is_multiple_of(4) {
            out[pos] = NOP;
            pos += 1;
        }
    }
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::segment::{DataAck, DssMapping, MpCapable, SackBlock, SackBlocks};
    use proptest::prelude::*;

    fn general(opts: &TcpOptions, version: MptcpVersion) -> Result<Vec<u8>, wire::OptionSpaceError> {
        let mut out = [0u8; MAX_OPTION_BYTES];
        let n = wire::encode_tcp_options(opts, version, &mut out)?;
        Ok(out[..n].to_vec())
    }

    fn fast(opts: &TcpOptions, version: MptcpVersion) -> Result<Vec<u8>, wire::OptionSpaceError> {
        // Stale bytes in the buffer must not leak into the result.
        let mut out = [0xa5u8; MAX_OPTION_BYTES];
        let n = encode_options(opts, version, &mut out)?;
        Ok(out[..n].to_vec())
    }

    fn dss_strategy() -> impl Strategy<Value = Dss> {
        (
            proptest::option::of((any::<u64>(), any::<bool>())),
            proptest::option::of((any::<u64>(), any::<u32>(), any::<u16>(), any::<bool>())),
            any::<bool>(),
        )
            .prop_map(|(ack, map, data_fin)| Dss {
                data_ack: ack.map(|(value, wide)| DataAck { value, wide }),
                mapping: map.map(|(dsn, ssn_rel, len, wide)| DssMapping {
                    dsn,
                    ssn_rel,
                    len,
                    wide,
                }),
                data_fin,
            })
    }

    fn other_mptcp() -> impl Strategy<Value = MptcpOption> {
        prop_oneof![
            dss_strategy().prop_map(MptcpOption::Dss),
            any::<bool>().prop_map(|backup| MptcpOption::MpPrio { backup }),
            any::<u64>().prop_map(|dsn| MptcpOption::MpFail { dsn }),
            (any::<bool>(), any::<u8>()).prop_map(|(transient, reason)| MptcpOption::MpTcpRst { transient, reason }),
            any::<u64>().prop_map(|k| MptcpOption::MpCapable(MpCapable {
                version: MptcpVersion::V1,
                checksum_required: false,
                sender_key: Some(k),
                receiver_key: None,
                data_len: None,
            })),
        ]
    }

    prop_compose! {
        fn options()(
            mss in proptest::option::of(any::<u16>()),
            window_scale in proptest::option::of(0u8..15),
            sack_permitted in proptest::bool::weighted(0.2),
            timestamps in proptest::option::of((any::<u32>(), any::<u32>())),
            sack in proptest::collection::vec((any::<u64>(), any::<u64>()), 0..=4),
            mptcp in proptest::collection::vec(other_mptcp(), 0..=2),
            rare in proptest::bool::weighted(0.3),
        ) -> TcpOptions {
            let mut o = TcpOptions { timestamps, ..TcpOptions::default() };
            // Mostly the fast path's shape; the rest of the time SYN options too.
            if rare {
                o.mss = mss;
                o.window_scale = window_scale;
                o.sack_permitted = sack_permitted;
            }
            let mut blocks = SackBlocks::default();
            for (left, right) in sack {
                assert!(blocks.push(SackBlock { left, right }));
            }
            o.sack = blocks;
            for m in mptcp {
                assert!(o.mptcp.push(m));
            }
            o
        }
    }

    proptest! {
        #[test]
        fn options_encode_to_the_general_encoders_bytes_or_its_error(
            opts in options(),
            v1 in any::<bool>(),
        ) {
            let version = if v1 { MptcpVersion::V1 } else { MptcpVersion::V0 };
            prop_assert_eq!(fast(&opts, version), general(&opts, version));
        }
    }

    #[test]
    fn a_data_segments_timestamps_and_dss_take_the_fast_path() {
        let mut opts = TcpOptions {
            timestamps: Some((1, 2)),
            ..TcpOptions::default()
        };
        assert!(opts.mptcp.push(MptcpOption::Dss(Dss {
            data_ack: Some(DataAck { value: 7, wide: true }),
            mapping: Some(DssMapping {
                dsn: 9,
                ssn_rel: 1,
                len: 1428,
                wide: true,
            }),
            data_fin: false,
        })));
        let mut out = [0u8; MAX_OPTION_BYTES];
        let n = encode_common(&opts, &mut out).expect("fast path");
        assert_eq!(n, 12 + 28);
        assert_eq!(&out[..n], &general(&opts, MptcpVersion::V1).unwrap()[..]);
        // A SYN's options are left to the general encoder.
        opts.mss = Some(1460);
        assert_eq!(encode_common(&opts, &mut out), None);
    }
}
