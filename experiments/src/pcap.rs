//! Packet traces as pcap files that Wireshark, tshark and mptcptrace open.
//!
//! Every segment is written as an Ethernet II / IPv4 / TCP frame with the
//! real TCP and MPTCP option encodings (`models::wire`). Payload bytes are
//! not modelled, so records are truncated after the TCP header, as in a
//! capture with a small snaplen: the record's original length and the IPv4
//! total length are the full packet's, and checksums are computed as if the
//! payload were zeros. Timestamps have nanosecond resolution.
//!
//! What is simplified: the Ethernet addresses are made up from the IPv4
//! addresses (`02:00:` + the four address bytes, locally administered); the
//! IPv4 header has no options, identification 0, DF set and TTL 64; the TCP
//! header has no urgent pointer and no ECN flags. A payload is counted as at
//! most 65,536 bytes (larger segments are refused as too long for IPv4
//! anyway).
//!
//! Sequence numbers are the models' absolute values truncated to their low
//! 32 bits, as on the wire.
//!
//! The headers are written directly into the file's buffer
//! ([`RecordBuf`]: no allocation, no copy of the record): the pcap record
//! header, the
//! Ethernet II header, the IPv4 header (RFC 791 3.1) with its header
//! checksum, and the TCP header (RFC 9293 3.1) with the options encoded in
//! place by `models::wire::encode_tcp_options` and the checksum over the
//! pseudo-header and the TCP header (a zero
//! payload adds nothing to a ones'-complement sum). The bytes are the same
//! as those etherparse's `PacketBuilder` produced for the same segment, which
//! this module wrote through until the trace's cost mattered; a unit test
//! compares the two. `pcap-file` writes the file header.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use models::segment::{MptcpVersion, Segment};
use models::wire::{self, MAX_OPTION_BYTES};
use pcap_file::pcap::PcapHeader;
use pcap_file::{DataLink, TsResolution};
use sim_core::SimTime;

use crate::record_buf::RecordBuf;

/// pcap record header: ts_sec, ts_frac (ns), incl_len, orig_len, each 32-bit
/// in the file's byte order (big-endian here, as the file header says).
const RECORD_HDR: usize = 16;
/// Ethernet II header: destination MAC, source MAC, EtherType.
const ETH_LEN: usize = 14;
/// IPv4 header without options (RFC 791 3.1, IHL 5).
const IPV4_LEN: usize = 20;
/// TCP header without options (RFC 9293 3.1, data offset 5).
const TCP_BASE_LEN: usize = 20;
/// Offsets of the headers in a frame.
const IP_AT: usize = ETH_LEN;
const TCP_AT: usize = ETH_LEN + IPV4_LEN;
const OPTS_AT: usize = TCP_AT + TCP_BASE_LEN;
/// Longest frame header: Ethernet + IPv4 + TCP with 40 bytes of options.
pub const MAX_FRAME_HEADER: usize = OPTS_AT + MAX_OPTION_BYTES;
/// Longest payload counted (the zero payload etherparse was given was cut
/// to this length).
const MAX_PAYLOAD: u32 = 65536;
const ETHERTYPE_IPV4: u16 = 0x0800;
const IPPROTO_TCP: u8 = 6;
const TTL: u8 = 64;

/// A pcap file being written.
pub struct PcapTrace<W: Write> {
    /// Records of at most [`MAX_RECORD`] bytes: the pcap record header,
    /// then the frame's headers, each built in place.
    writer: RecordBuf<W>,
    version: MptcpVersion,
    packets: u64,
}

/// The longest record: the pcap record header and the longest frame header.
const MAX_RECORD: usize = RECORD_HDR + MAX_FRAME_HEADER;
/// The writer's buffer is handed to the file once it holds this many bytes.
const FLUSH_AT: usize = 1 << 16;

/// Sum of the big-endian 16-bit words of `bytes` (even length), to be folded
/// by [`fold_complement`].
#[inline]
fn sum_words(mut acc: u32, bytes: &[u8]) -> u32 {
    debug_assert!(bytes.len().is_multiple_of(2));
    for w in bytes.chunks_exact(2) {
        acc += u16::from_be_bytes([w[0], w[1]]) as u32;
    }
    acc
}

/// [`sum_words`] four bytes at a time: the sum of the big-endian 32-bit
/// words of `bytes` (length a multiple of 4) into 64 bits, which
/// [`fold_wide`] folds to the same 16-bit ones' complement sum (RFC 1071
/// 2(B) and 2(C): the sum is independent of grouping, and 2^16 = 1 modulo
/// 2^16 - 1, so carries out of each 16-bit half are end-around carries).
/// Half the additions and bounds checks of [`sum_words`]; debug builds
/// check the two against each other.
#[inline]
fn sum_words_wide(mut acc: u64, bytes: &[u8]) -> u64 {
    debug_assert!(bytes.len().is_multiple_of(4));
    for w in bytes.chunks_exact(4) {
        acc += u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as u64;
    }
    acc
}

/// The Internet checksum of a [`sum_words_wide`] sum: folded to 32 bits,
/// then as [`fold_complement`] does.
#[inline]
fn fold_wide(sum: u64) -> u16 {
    let s = (sum >> 32) + (sum & 0xffff_ffff);
    let s = (s >> 32) + (s & 0xffff_ffff);
    // At most 2^32 - 1 now; its two halves fit the u32 fold_complement takes.
    fold_complement(((s >> 16) + (s & 0xffff)) as u32)
}

/// The Internet checksum (RFC 1071): the ones' complement of the ones'
/// complement sum, with end-around carries folded in.
#[inline]
fn fold_complement(mut sum: u32) -> u16 {
    sum = (sum >> 16) + (sum & 0xffff);
    sum = (sum >> 16) + (sum & 0xffff);
    !(sum as u16)
}

/// Writes the Ethernet II / IPv4 / TCP headers of `seg` (with a zero payload
/// of `min(payload_len, 65536)` bytes, not written) into `out` and returns
/// the header length and the frame's full length (headers + payload).
pub fn encode_frame(
    seg: &Segment,
    version: MptcpVersion,
    out: &mut [u8; MAX_FRAME_HEADER],
) -> Result<(usize, usize), String> {
    // TCP options first (RFC 9293 3.2), encoded in place; always a multiple of 4.
    let opts: &mut [u8; MAX_OPTION_BYTES] = (&mut out[OPTS_AT..]).try_into().expect("40 bytes");
    let opt_len = wire::encode_tcp_options(&seg.options, version, opts).map_err(|e| e.to_string())?;
    debug_assert!(opt_len.is_multiple_of(4));
    let tcp_len = TCP_BASE_LEN + opt_len;
    let payload = seg.payload_len.min(MAX_PAYLOAD) as usize;
    let ip_total = IPV4_LEN + tcp_len + payload;
    if ip_total > u16::MAX as usize {
        return Err(format!(
            "IPv4 payload of {} bytes exceeds the maximum of {}",
            tcp_len + payload,
            u16::MAX as usize - IPV4_LEN
        ));
    }
    let src = seg.src_addr.to_be_bytes();
    let dst = seg.dst_addr.to_be_bytes();

    // Ethernet II: destination, source, EtherType (IEEE 802.3 / RFC 894).
    out[0..2].copy_from_slice(&[0x02, 0x00]);
    out[2..6].copy_from_slice(&dst);
    out[6..8].copy_from_slice(&[0x02, 0x00]);
    out[8..12].copy_from_slice(&src);
    out[12..14].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());

    // IPv4 (RFC 791 3.1): version 4, IHL 5; TOS 0; total length;
    // identification 0; flags DF, fragment offset 0; TTL; protocol TCP;
    // header checksum (RFC 791 3.1: the 16-bit ones' complement of the ones'
    // complement sum of the header's 16-bit words, computed with the field
    // zero); source; destination.
    let ip = &mut out[IP_AT..TCP_AT];
    ip[0] = 0x45;
    ip[1] = 0;
    ip[2..4].copy_from_slice(&(ip_total as u16).to_be_bytes());
    ip[4..6].copy_from_slice(&[0, 0]);
    ip[6..8].copy_from_slice(&[0x40, 0]);
    ip[8] = TTL;
    ip[9] = IPPROTO_TCP;
    ip[10..12].copy_from_slice(&[0, 0]);
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let ip_sum = fold_wide(sum_words_wide(0, ip));
    debug_assert_eq!(ip_sum, fold_complement(sum_words(0, ip)));
    ip[10..12].copy_from_slice(&ip_sum.to_be_bytes());

    // TCP (RFC 9293 3.1): ports, sequence number, acknowledgment number (0
    // without ACK), data offset, flags (CWR ECE URG ACK PSH RST SYN FIN),
    // window, checksum, urgent pointer 0; options follow.
    let f = seg.flags;
    let flags = (f.fin as u8) | (f.syn as u8) << 1 | (f.rst as u8) << 2 | (f.psh as u8) << 3 | (f.ack as u8) << 4;
    let ack = if f.ack { seg.ack as u32 } else { 0 };
    let tcp = &mut out[TCP_AT..OPTS_AT];
    tcp[0..2].copy_from_slice(&seg.src_port.to_be_bytes());
    tcp[2..4].copy_from_slice(&seg.dst_port.to_be_bytes());
    tcp[4..8].copy_from_slice(&(seg.seq as u32).to_be_bytes());
    tcp[8..12].copy_from_slice(&ack.to_be_bytes());
    tcp[12] = ((tcp_len / 4) as u8) << 4;
    tcp[13] = flags;
    tcp[14..16].copy_from_slice(&seg.window.to_be_bytes());
    tcp[16..20].copy_from_slice(&[0, 0, 0, 0]);
    // Checksum (RFC 9293 3.1): over the pseudo-header (source, destination,
    // zero, protocol, TCP length) and the TCP segment with the field zero;
    // the zero payload adds nothing to the sum. The value 0 is sent as is.
    let pseudo = u32::from_be_bytes(src) as u64
        + u32::from_be_bytes(dst) as u64
        + IPPROTO_TCP as u64
        + (tcp_len + payload) as u64;
    let tcp_sum = fold_wide(sum_words_wide(pseudo, &out[TCP_AT..OPTS_AT + opt_len]));
    debug_assert_eq!(tcp_sum, {
        let pseudo = sum_words(0, &src) + sum_words(0, &dst) + IPPROTO_TCP as u32 + (tcp_len + payload) as u32;
        fold_complement(sum_words(pseudo, &out[TCP_AT..OPTS_AT + opt_len]))
    });
    out[TCP_AT + 16..TCP_AT + 18].copy_from_slice(&tcp_sum.to_be_bytes());
    Ok((OPTS_AT + opt_len, ETH_LEN + ip_total))
}

impl PcapTrace<File> {
    /// Creates `path` (the caller writes into a temporary directory that is
    /// renamed when the run succeeds, so nothing is left half-written).
    pub fn create(path: &Path, version: MptcpVersion) -> std::io::Result<Self> {
        Self::new(File::create(path)?, version)
    }
}

impl<W: Write> PcapTrace<W> {
    /// A trace written to `w` (buffered here: `w` gets writes of about
    /// 64 KiB).
    pub fn new(w: W, version: MptcpVersion) -> std::io::Result<Self> {
        // pcap file header (the libpcap format, draft-ietf-opsawg-pcap):
        // big-endian, nanosecond magic 0xA1B23C4D, version 2.4, snaplen,
        // link type Ethernet.
        let header = PcapHeader {
            ts_resolution: TsResolution::NanoSecond,
            datalink: DataLink::ETHERNET,
            snaplen: 65535,
            ..Default::default()
        };
        let mut file_header = Vec::with_capacity(24);
        header.write_to(&mut file_header).map_err(std::io::Error::other)?;
        let mut writer = RecordBuf::new(w, FLUSH_AT, MAX_RECORD);
        writer.write_all(&file_header)?;
        Ok(PcapTrace {
            writer,
            version,
            packets: 0,
        })
    }

    /// Writes `seg` as sent at `now` (nothing, if it is refused).
    pub fn write(&mut self, now: SimTime, seg: &Segment) -> std::io::Result<()> {
        // The record is built in the writer's free room (whatever it held
        // before: every byte up to the record's length is written) and
        // committed only when complete.
        let record: &mut [u8; MAX_RECORD] = (&mut self.writer.room()[..MAX_RECORD]).try_into().expect("record room");
        let (rec_hdr, frame) = record.split_at_mut(RECORD_HDR);
        let frame: &mut [u8; MAX_FRAME_HEADER] = frame.try_into().expect("frame buffer");
        let (hdr_len, orig_len) = encode_frame(seg, self.version, frame).map_err(std::io::Error::other)?;
        // pcap record header (big-endian like the file header): seconds,
        // nanoseconds, captured length, original length.
        let nanos = now.as_nanos();
        let secs = u32::try_from(nanos / 1_000_000_000)
            .map_err(|_| std::io::Error::other("PcapPacket: timestamp_secs > u32::MAX"))?;
        rec_hdr[0..4].copy_from_slice(&secs.to_be_bytes());
        rec_hdr[4..8].copy_from_slice(&((nanos % 1_000_000_000) as u32).to_be_bytes());
        rec_hdr[8..12].copy_from_slice(&(hdr_len as u32).to_be_bytes());
        rec_hdr[12..16].copy_from_slice(&(orig_len as u32).to_be_bytes());
        self.writer.commit(RECORD_HDR + hdr_len)?;
        self.packets += 1;
        Ok(())
    }

    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Flushes and returns the inner writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.writer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{Ethernet2Header, Ipv4Header, PacketBuilder, TcpHeader};
    use models::segment::{
        DataAck, Dss, DssMapping, MpCapable, MptcpOption, MptcpOptions, SackBlock, SackBlocks, TcpFlags, TcpOptions,
    };

    static ZEROS: [u8; 65536] = [0; 65536];

    /// The frame as etherparse's `PacketBuilder` builds it (with the zero
    /// payload written out), as this module did before writing directly.
    fn reference_frame(seg: &Segment, version: MptcpVersion) -> Option<Vec<u8>> {
        let mut opts = [0u8; MAX_OPTION_BYTES];
        let opt_len = wire::encode_tcp_options(&seg.options, version, &mut opts).unwrap();
        let mac = |addr: u32| {
            let b = addr.to_be_bytes();
            [0x02, 0x00, b[0], b[1], b[2], b[3]]
        };
        let f = seg.flags;
        let mut b = PacketBuilder::ethernet2(mac(seg.src_addr), mac(seg.dst_addr))
            .ipv4(seg.src_addr.to_be_bytes(), seg.dst_addr.to_be_bytes(), 64)
            .tcp(seg.src_port, seg.dst_port, seg.seq as u32, seg.window);
        if f.ack {
            b = b.ack(seg.ack as u32);
        }
        if f.syn {
            b = b.syn();
        }
        if f.fin {
            b = b.fin();
        }
        if f.rst {
            b = b.rst();
        }
        if f.psh {
            b = b.psh();
        }
        let b = b.options_raw(&opts[..opt_len]).unwrap();
        let payload = &ZEROS[..(seg.payload_len as usize).min(ZEROS.len())];
        let mut out = Vec::new();
        b.write(&mut out, payload).ok()?;
        Some(out)
    }

    fn seg(flags: TcpFlags, payload_len: u32, options: TcpOptions) -> Segment {
        Segment {
            src_addr: 0x0a00_0001,
            dst_addr: 0xc0a8_0102,
            src_port: 40_001,
            dst_port: 443,
            seq: 0x1_2345_6789,
            ack: 0x9_8765_4321,
            flags,
            window: 0xfa00,
            payload_len,
            options,
            options_len: Default::default(),
        }
    }

    fn mptcp(opts: &[MptcpOption]) -> MptcpOptions {
        let mut m = MptcpOptions::default();
        for o in opts {
            assert!(m.push(*o));
        }
        m
    }

    fn samples() -> Vec<Segment> {
        let syn = seg(
            TcpFlags::syn(),
            0,
            TcpOptions {
                mss: Some(1460),
                window_scale: Some(7),
                sack_permitted: true,
                timestamps: Some((123_456, 0)),
                mptcp: mptcp(&[MptcpOption::MpCapable(MpCapable {
                    version: MptcpVersion::V1,
                    checksum_required: false,
                    sender_key: Some(0x0123_4567_89ab_cdef),
                    receiver_key: None,
                    data_len: None,
                })]),
                ..TcpOptions::default()
            },
        );
        let data = seg(
            TcpFlags {
                psh: true,
                ..TcpFlags::ack()
            },
            1428,
            TcpOptions {
                timestamps: Some((7, 8)),
                mptcp: mptcp(&[MptcpOption::Dss(Dss {
                    data_ack: Some(DataAck {
                        value: 0xdead_beef_0001,
                        wide: true,
                    }),
                    mapping: Some(DssMapping {
                        dsn: 0x1_0000_0042,
                        ssn_rel: 1,
                        len: 1428,
                        wide: true,
                    }),
                    data_fin: false,
                })]),
                ..TcpOptions::default()
            },
        );
        let mut sack = SackBlocks::default();
        for i in 0..3u64 {
            assert!(sack.push(SackBlock {
                left: 0x1_0000_0000 + 3000 * i,
                right: 0x1_0000_0000 + 3000 * i + 1428,
            }));
        }
        let ack = seg(
            TcpFlags::ack(),
            0,
            TcpOptions {
                sack,
                mptcp: mptcp(&[MptcpOption::Dss(Dss {
                    data_ack: Some(DataAck { value: 99, wide: false }),
                    mapping: None,
                    data_fin: false,
                })]),
                ..TcpOptions::default()
            },
        );
        let rst = seg(
            TcpFlags {
                rst: true,
                ..TcpFlags::ack()
            },
            0,
            TcpOptions {
                mptcp: mptcp(&[MptcpOption::MpTcpRst {
                    transient: true,
                    reason: 1,
                }]),
                ..TcpOptions::default()
            },
        );
        let fin = seg(
            TcpFlags {
                fin: true,
                ..TcpFlags::ack()
            },
            0,
            TcpOptions::default(),
        );
        let bare_rst = seg(
            TcpFlags {
                rst: true,
                ..TcpFlags::default()
            },
            0,
            TcpOptions::default(),
        );
        vec![syn, data, ack, rst, fin, bare_rst]
    }

    proptest::proptest! {
        #[test]
        fn the_checksum_summed_four_bytes_at_a_time_is_the_sixteen_bit_one(
            words in proptest::collection::vec(proptest::num::u32::ANY, 0..16),
            extra in 0u32..0x2_0000,
        ) {
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
            proptest::prop_assert_eq!(
                fold_wide(sum_words_wide(extra as u64, &bytes)),
                fold_complement(sum_words(extra, &bytes))
            );
        }
    }

    #[test]
    fn the_checksum_of_all_ones_and_of_zeros_folds_as_the_sixteen_bit_one() {
        for bytes in [
            vec![0u8; 60],
            vec![0xff; 60],
            vec![0xff, 0xff, 0, 0],
            vec![0, 0, 0xff, 0xff],
        ] {
            assert_eq!(
                fold_wide(sum_words_wide(0, &bytes)),
                fold_complement(sum_words(0, &bytes))
            );
        }
    }

    #[test]
    fn direct_headers_equal_etherparse_bytes() {
        let mut out = [0u8; MAX_FRAME_HEADER];
        for version in [MptcpVersion::V1, MptcpVersion::V0] {
            for base in samples() {
                // Vary the fields that enter the checksums, including
                // payloads that make the sums carry.
                for k in 0..64u64 {
                    let mut s = base.clone();
                    s.seq = base.seq.wrapping_add(k.wrapping_mul(0x0123_4567_89ab));
                    s.ack = base.ack.wrapping_add(k * 0xfedc_ba98);
                    s.window = base.window.wrapping_add((k * 977) as u16);
                    s.src_port = base.src_port.wrapping_add(k as u16);
                    if s.payload_len > 0 {
                        s.payload_len = [1, 1428, 1460, 9000, 65_000][k as usize % 5];
                    }
                    let want = reference_frame(&s, version).unwrap();
                    // The buffer holds whatever was there before (the
                    // trace builds records in its writer's used room).
                    out.fill(0xa5 ^ k as u8);
                    let (hdr_len, total) = encode_frame(&s, version, &mut out).unwrap();
                    assert_eq!(total, want.len(), "{s:?}");
                    assert_eq!(&out[..hdr_len], &want[..hdr_len], "{s:?} {version:?}");
                    assert!(want[hdr_len..].iter().all(|&b| b == 0));
                }
            }
        }
    }

    #[test]
    fn oversized_payload_is_refused_like_etherparse() {
        let mut out = [0u8; MAX_FRAME_HEADER];
        // IPv4 total length = 20 + 20 + payload must fit 16 bits (RFC 791 3.1).
        for (payload, fits) in [(65_535 - 40, true), (65_535 - 40 + 1, false), (70_000, false)] {
            let s = seg(TcpFlags::ack(), payload, TcpOptions::default());
            assert_eq!(encode_frame(&s, MptcpVersion::V1, &mut out).is_ok(), fits, "{payload}");
            assert_eq!(reference_frame(&s, MptcpVersion::V1).is_some(), fits, "{payload}");
        }
    }

    #[test]
    fn written_records_parse_with_valid_checksums() {
        let segs = samples();
        let mut t = PcapTrace::new(Vec::new(), MptcpVersion::V1).unwrap();
        for (i, s) in segs.iter().enumerate() {
            t.write(SimTime::from_nanos(1_500_000_123 * i as u64), s).unwrap();
        }
        assert_eq!(t.packets(), segs.len() as u64);
        let file = t.finish().unwrap();
        let mut reader = pcap_file::pcap::PcapReader::new(&file[..]).unwrap();
        assert_eq!(reader.header().ts_resolution, TsResolution::NanoSecond);
        let mut n = 0;
        while let Some(pkt) = reader.next_packet() {
            let pkt = pkt.unwrap();
            let s = &segs[n];
            assert_eq!(pkt.timestamp.as_nanos() as u64, 1_500_000_123 * n as u64);
            let (eth, rest) = Ethernet2Header::from_slice(&pkt.data).unwrap();
            assert_eq!(eth.source[2..], s.src_addr.to_be_bytes());
            let (ip, rest) = Ipv4Header::from_slice(rest).unwrap();
            assert_eq!(ip.header_checksum, ip.calc_header_checksum());
            assert_eq!(ip.total_len as u32 + 14, pkt.orig_len);
            let (tcp, rest) = TcpHeader::from_slice(rest).unwrap();
            assert!(rest.is_empty(), "truncated after the TCP header");
            assert_eq!(tcp.sequence_number, s.seq as u32);
            assert_eq!((tcp.syn, tcp.ack, tcp.fin, tcp.rst, tcp.psh), {
                let f = s.flags;
                (f.syn, f.ack, f.fin, f.rst, f.psh)
            });
            let payload = &ZEROS[..s.payload_len as usize];
            assert_eq!(tcp.checksum, tcp.calc_checksum_ipv4(&ip, payload).unwrap());
            n += 1;
        }
        assert_eq!(n, segs.len());
    }
}
