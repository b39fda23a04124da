//! Lengths and byte-exact encodings of the options, and their agreement.

use super::*;
use crate::segment::{
    AddrIds, DataAck, Dss, DssMapping, MpCapable, MpJoin, MptcpOption, MptcpOptions, MptcpVersion, SackBlock,
    SackBlocks, Segment, TcpFlags, TcpOptions,
};

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
                let opts = with_mptcp(base.clone(), &set);
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
        options_len: Default::default(),
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
    // The length the builder remembered answers in both versions.
    let remembered = Segment {
        options_len: crate::segment::OptionsLen::new(40),
        ..seg.clone()
    };
    assert_eq!(ip_packet_len(&remembered, V0), 20 + 60 + 1400);
    assert_eq!(ip_packet_len(&remembered, V1), 20 + 60 + 1400);
}

/// Debug builds compare a remembered options length with the summed one.
#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "a remembered options length is stale")]
fn a_stale_remembered_options_length_is_caught_in_debug_builds() {
    let seg = Segment {
        options: timestamps(),
        options_len: crate::segment::OptionsLen::new(16),
        ..Segment::default()
    };
    let _ = ip_packet_len(&seg, V1);
}

// The established shape (timestamps, SACK, one DSS) against the general path.

use proptest::prelude::*;

fn general(opts: &TcpOptions, version: MptcpVersion) -> Result<Vec<u8>, OptionSpaceError> {
    let mut out = [0u8; MAX_OPTION_BYTES];
    let n = encode::encode_every_kind(opts, version, &mut out)?;
    Ok(out[..n].to_vec())
}

fn fast(opts: &TcpOptions, version: MptcpVersion) -> Result<Vec<u8>, OptionSpaceError> {
    // Stale bytes in the buffer must not leak into the result.
    let mut out = [0xa5u8; MAX_OPTION_BYTES];
    let n = encode_tcp_options(opts, version, &mut out)?;
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
    let n = encode::encode_established(&opts, &mut out).expect("fast path");
    assert_eq!(n, 12 + 28);
    assert_eq!(&out[..n], &general(&opts, MptcpVersion::V1).unwrap()[..]);
    // A SYN's options are left to the general encoder.
    opts.mss = Some(1460);
    assert_eq!(encode::encode_established(&opts, &mut out), None);
}
