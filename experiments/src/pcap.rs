//! Packet traces as pcap files that Wireshark, tshark and mptcptrace open.
//!
//! Every segment is written as an Ethernet II / IPv4 / TCP frame with the
//! real TCP and MPTCP option encodings (`models::wire`). Payload bytes are
//! not modelled, so records are truncated after the TCP header, as in a
//! capture with a small snaplen: the record's original length and the IPv4
//! total length are the full packet's, and checksums are computed as if the
//! payload were zeros. Timestamps have nanosecond resolution.
//!
//! Sequence numbers are the models' absolute values truncated to their low
//! 32 bits, as on the wire.
//!
//! Why crates: `pcap-file` writes the pcap container (header, records,
//! nanosecond resolution) and `etherparse` builds the IPv4/TCP headers with
//! correct lengths and checksums; both are small, maintained and widely used,
//! and a user can trust their framing more than ours.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use etherparse::PacketBuilder;
use models::segment::{MptcpVersion, Segment};
use models::wire;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, TsResolution};
use sim_core::SimTime;

/// Zero payload used to compute lengths and checksums of truncated records.
static ZEROS: [u8; 65536] = [0; 65536];

/// A pcap file being written.
pub struct PcapTrace<W: Write> {
    writer: PcapWriter<W>,
    version: MptcpVersion,
    frame: Vec<u8>,
    packets: u64,
}

/// Builds the Ethernet/IPv4/TCP frame of `seg` (with a zero payload) into
/// `out` and returns the header length (Ethernet + IP + TCP).
pub fn encode_frame(seg: &Segment, version: MptcpVersion, out: &mut Vec<u8>) -> Result<usize, String> {
    let mut opts = [0u8; 40];
    let opt_len = wire::encode_tcp_options(&seg.options, version, &mut opts).map_err(|e| e.to_string())?;
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
    let b = b.options_raw(&opts[..opt_len]).map_err(|e| format!("{e:?}"))?;
    let payload = &ZEROS[..(seg.payload_len as usize).min(ZEROS.len())];
    out.clear();
    b.write(out, payload).map_err(|e| e.to_string())?;
    Ok(out.len() - payload.len())
}

impl PcapTrace<BufWriter<File>> {
    /// Creates `path` (the caller writes into a temporary directory that is
    /// renamed when the run succeeds, so nothing is left half-written).
    pub fn create(path: &Path, version: MptcpVersion) -> std::io::Result<Self> {
        Self::new(BufWriter::new(File::create(path)?), version)
    }
}

impl<W: Write> PcapTrace<W> {
    pub fn new(w: W, version: MptcpVersion) -> std::io::Result<Self> {
        let header = PcapHeader {
            ts_resolution: TsResolution::NanoSecond,
            datalink: DataLink::ETHERNET,
            snaplen: 65535,
            ..Default::default()
        };
        let writer = PcapWriter::with_header(w, header).map_err(std::io::Error::other)?;
        Ok(PcapTrace {
            writer,
            version,
            frame: Vec::with_capacity(2048),
            packets: 0,
        })
    }

    /// Writes `seg` as sent at `now`.
    pub fn write(&mut self, now: SimTime, seg: &Segment) -> std::io::Result<()> {
        let hdr_len = encode_frame(seg, self.version, &mut self.frame).map_err(std::io::Error::other)?;
        let ts = std::time::Duration::from_nanos(now.as_nanos());
        let pkt = PcapPacket::new(ts, self.frame.len() as u32, &self.frame[..hdr_len]);
        self.writer.write_packet(&pkt).map_err(std::io::Error::other)?;
        self.packets += 1;
        Ok(())
    }

    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Flushes and returns the inner writer.
    pub fn finish(self) -> std::io::Result<W> {
        let mut w = self.writer.into_writer();
        w.flush()?;
        Ok(w)
    }
}
