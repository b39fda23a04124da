//! A TCP segment as the models exchange it: header fields, TCP options and the
//! MPTCP options of RFC 8684 as typed values. No payload bytes are carried,
//! only the payload length; header and option lengths are computed as on the
//! wire (see [`crate::wire`]) because they decide serialisation time and must
//! respect the 40-byte TCP option space (RFC 9293 3.1).
//!
//! Simplifications a user could observe:
//! - Sequence numbers are kept as absolute `u64` (ISN + offset) so the models
//!   never unwrap; the wire (pcap) carries their low 32 bits, as real TCP does.
//! - IPv4 only; addresses are plain `u32`.
//! - The DSS checksum is never used (as in Linux and XNU by default:
//!   `mptcp_dss_csum=0`), so its length is never counted.

use serde::{Deserialize, Serialize};

/// TCP header flags (RFC 9293 3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TcpFlags {
    /// SYN: synchronise sequence numbers (occupies one sequence number).
    pub syn: bool,
    /// ACK: the acknowledgement number is significant.
    pub ack: bool,
    /// FIN: the sender has no more data (occupies one sequence number).
    pub fin: bool,
    /// RST: reset the connection.
    pub rst: bool,
    /// PSH: push the data to the receiving application.
    pub psh: bool,
}

impl TcpFlags {
    /// The flags of an initial SYN.
    pub const fn syn() -> Self {
        TcpFlags {
            syn: true,
            ack: false,
            fin: false,
            rst: false,
            psh: false,
        }
    }
    /// The flags of a SYN/ACK.
    pub const fn syn_ack() -> Self {
        TcpFlags {
            syn: true,
            ack: true,
            fin: false,
            rst: false,
            psh: false,
        }
    }
    /// The flags of a segment with only ACK set.
    pub const fn ack() -> Self {
        TcpFlags {
            syn: false,
            ack: true,
            fin: false,
            rst: false,
            psh: false,
        }
    }
}

/// One SACK block: the subflow sequence range `[left, right)` (RFC 2018).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SackBlock {
    /// Absolute sequence number of the first SACKed byte.
    pub left: u64,
    /// Absolute sequence number after the last SACKed byte (exclusive).
    pub right: u64,
}

/// At most 4 SACK blocks fit in the option space (RFC 2018 3); fewer when
/// timestamps or MPTCP options are present. The blocks live out of line,
/// allocated by the first `push`: most segments carry none, and a segment
/// waiting in a link's queue then takes 16 bytes for them instead of 72
/// (issue 18: the in-flight packets are what the many-connection runs'
/// cache misses are made of).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SackBlocks {
    blocks: Option<Box<[SackBlock; 4]>>,
    len: u8,
}

impl PartialEq for SackBlocks {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SackBlocks {}

impl std::hash::Hash for SackBlocks {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl SackBlocks {
    /// The most blocks a segment carries.
    pub const MAX: usize = 4;
    /// Appends a block; returns false (and changes nothing) when full.
    pub fn push(&mut self, b: SackBlock) -> bool {
        if (self.len as usize) < Self::MAX {
            let blocks = self.blocks.get_or_insert_with(Default::default);
            blocks[self.len as usize] = b;
            self.len += 1;
            true
        } else {
            false
        }
    }
    /// Keeps only the first `n` blocks (the most recent first, RFC 2018 4).
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n as u8);
    }
    /// The blocks, in the order they were pushed.
    #[inline]
    pub fn as_slice(&self) -> &[SackBlock] {
        match &self.blocks {
            Some(b) => &b[..self.len as usize],
            None => &[],
        }
    }
    /// The number of blocks.
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }
    /// Whether there is no block.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// MPTCP protocol version on the wire: 0 (RFC 6824, what mptcptrace reads)
/// or 1 (RFC 8684).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MptcpVersion {
    /// Version 0 (RFC 6824).
    V0,
    /// Version 1 (RFC 8684), the default.
    #[default]
    V1,
}

/// MP_CAPABLE (RFC 8684 3.1). Which keys are present decides the form:
/// SYN (v1: no key), SYN/ACK (sender key), third ACK (both keys), first data
/// (both keys and the data-level length).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MpCapable {
    /// The version the option is encoded with (its version nibble).
    pub version: MptcpVersion,
    /// Flag A: checksum required.
    pub checksum_required: bool,
    /// The sender's 64-bit key: on the SYN/ACK, the third ACK and the first
    /// data ACK; v0 also on the SYN (RFC 6824 3.1).
    pub sender_key: Option<u64>,
    /// The receiver's 64-bit key, echoed on the third ACK and the first data
    /// ACK.
    pub receiver_key: Option<u64>,
    /// Data-level length, only on the ACK that carries the first data (v1).
    pub data_len: Option<u16>,
}

/// MP_JOIN (RFC 8684 3.2); the form follows the handshake step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MpJoin {
    /// SYN: token of the peer's key, random nonce.
    Syn {
        /// B flag: the sender asks that the subflow be used as a backup.
        backup: bool,
        /// The sender's address id for the subflow's source address.
        addr_id: u8,
        /// The receiver's token, derived from its key (RFC 8684 3.2).
        token: u32,
        /// The sender's random number (R-A).
        nonce: u32,
    },
    /// SYN/ACK: 64-bit truncated HMAC, random nonce.
    SynAck {
        /// B flag: the sender asks that the subflow be used as a backup.
        backup: bool,
        /// The sender's address id for the subflow's source address.
        addr_id: u8,
        /// The leftmost 64 bits of HMAC(Key-B || Key-A, R-B || R-A) (see
        /// [`crate::mptcp_crypto::join_truncated_hmac`]).
        truncated_hmac: u64,
        /// The sender's random number (R-B).
        nonce: u32,
    },
    /// Third ACK: full 160-bit HMAC.
    Ack {
        /// HMAC(Key-A || Key-B, R-A || R-B): the leftmost 160 bits of
        /// HMAC-SHA256 (v1), HMAC-SHA1 (v0) (see
        /// [`crate::mptcp_crypto::join_hmac`]).
        hmac: [u8; 20],
    },
}

/// The data-ACK carried in a DSS option: the next data sequence number
/// expected (cumulative; MPTCP has no data-level SACK).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DataAck {
    /// The data sequence number (absolute) expected next.
    pub value: u64,
    /// 8-byte form (flag `a`); otherwise the low 32 bits are sent.
    pub wide: bool,
}

/// A DSS mapping from data sequence space to subflow sequence space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DssMapping {
    /// Data sequence number of the first mapped byte.
    pub dsn: u64,
    /// Subflow sequence number of the first byte, relative to the subflow's
    /// initial sequence number (RFC 8684 3.3.1).
    pub ssn_rel: u32,
    /// Data-level length; a DATA_FIN alone counts one (RFC 8684 3.3.3).
    pub len: u16,
    /// 8-byte DSN (flag `m`); otherwise the low 32 bits are sent.
    pub wide: bool,
}

/// Data Sequence Signal (RFC 8684 3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dss {
    /// The data-ACK (flag A), if carried.
    pub data_ack: Option<DataAck>,
    /// The mapping (flag M), if carried.
    pub mapping: Option<DssMapping>,
    /// Flag F: the mapping ends with the DATA_FIN.
    pub data_fin: bool,
}

/// Up to 8 address ids for REMOVE_ADDR, without allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AddrIds {
    ids: [u8; 8],
    len: u8,
}

impl AddrIds {
    /// A list holding the one id `id`.
    pub fn one(id: u8) -> Self {
        let mut a = AddrIds::default();
        a.ids[0] = id;
        a.len = 1;
        a
    }
    /// The ids, in order.
    pub fn as_slice(&self) -> &[u8] {
        &self.ids[..self.len as usize]
    }
}

/// The MPTCP options of RFC 8684 as typed values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MptcpOption {
    /// MP_CAPABLE (RFC 8684 3.1).
    MpCapable(MpCapable),
    /// MP_JOIN (RFC 8684 3.2).
    MpJoin(MpJoin),
    /// DSS (RFC 8684 3.3).
    Dss(Dss),
    /// ADD_ADDR (RFC 8684 3.4.1); `echo` is the E flag (no HMAC when set).
    AddAddr {
        /// Address id of the announced address.
        addr_id: u8,
        /// The announced IPv4 address.
        addr: u32,
        /// The port, when the option carries one.
        port: Option<u16>,
        /// E flag: an echo of a received ADD_ADDR.
        echo: bool,
        /// v1 only, not sent when `echo`: the rightmost 64 bits of the HMAC over
        /// address id, address and port (see
        /// [`crate::mptcp_crypto::add_addr_truncated_hmac`]).
        truncated_hmac: u64,
    },
    /// REMOVE_ADDR (RFC 8684 3.4.2).
    RemoveAddr {
        /// The address ids removed.
        addr_ids: AddrIds,
    },
    /// MP_PRIO (RFC 8684 3.3.8): change the backup flag of this subflow.
    MpPrio {
        /// B flag: the subflow's new backup state.
        backup: bool,
    },
    /// MP_FAIL (RFC 8684 3.7).
    MpFail {
        /// The 64-bit data sequence number the option carries.
        dsn: u64,
    },
    /// MP_FASTCLOSE (RFC 8684 3.5): the receiver's key.
    MpFastclose {
        /// The key of the host the option is sent to.
        receiver_key: u64,
    },
    /// MP_TCPRST (RFC 8684 3.6): reason code for a subflow reset.
    MpTcpRst {
        /// T flag: the condition is transient (the subflow may be retried).
        transient: bool,
        /// The reason code (see [`crate::path_manager::ResetReason::code`]).
        reason: u8,
    },
}

/// At most two MPTCP options per segment (for example DSS + MP_PRIO): the
/// first inline, the second, which few segments carry, out of line (issue
/// 18: a compact in-flight packet).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MptcpOptions {
    first: Option<MptcpOption>,
    second: Option<Box<MptcpOption>>,
}

impl MptcpOptions {
    /// The second option, boxed (rare: a segment carries one MPTCP option
    /// nearly always). Cold and out of line, so that the allocation stays
    /// off the per-packet path's instruction-cache lines.
    #[cold]
    #[inline(never)]
    fn push_second(&mut self, o: MptcpOption) {
        self.second = Some(Box::new(o));
    }

    /// Adds an option; returns false (and changes nothing) when both slots are used.
    pub fn push(&mut self, o: MptcpOption) -> bool {
        if self.first.is_none() {
            self.first = Some(o);
            true
        } else if self.second.is_none() {
            self.push_second(o);
            true
        } else {
            false
        }
    }
    /// The options, mutably (a trace writer re-encoding another version).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut MptcpOption> {
        self.first.iter_mut().chain(self.second.as_deref_mut())
    }
    /// The options present, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &MptcpOption> {
        self.first.iter().chain(self.second.as_deref())
    }
    /// Whether no option is present.
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }
    /// The DSS option, if present.
    pub fn dss(&self) -> Option<&Dss> {
        self.iter().find_map(|o| match o {
            MptcpOption::Dss(d) => Some(d),
            _ => None,
        })
    }
}

/// TCP options other than MPTCP (RFC 9293, RFC 7323, RFC 2018).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TcpOptions {
    /// Maximum segment size, SYN only.
    pub mss: Option<u16>,
    /// Window scale shift, SYN only (RFC 7323 2).
    pub window_scale: Option<u8>,
    /// SACK-permitted, SYN only (RFC 2018 2).
    pub sack_permitted: bool,
    /// Timestamps (TSval, TSecr) (RFC 7323 3).
    pub timestamps: Option<(u32, u32)>,
    /// SACK blocks (RFC 2018 3); empty: no SACK option.
    pub sack: SackBlocks,
    /// MPTCP options (RFC 8684).
    pub mptcp: MptcpOptions,
}

/// The TCP option bytes of a segment as they go on the wire (padding
/// included: [`crate::wire::tcp_options_len`]), remembered by the code that
/// fixed the options, so that the IP packet's length
/// ([`crate::wire::ip_packet_len`], asked for every packet a host sends and
/// a router forwards) need not sum every option again (issue 18).
///
/// A cache, not part of what a segment says: segments compare and hash
/// equal whatever it holds, and it is neither serialised nor read back.
/// The models remember it for the segments whose options have the same
/// length in both MPTCP versions (TCP options, DSS, MP_PRIO: nearly every
/// segment); the default, and every other segment, is "not known", and
/// [`crate::wire::ip_packet_len`] then sums the options. Code that changes
/// a segment's options after it was built must [`forget`](Self::forget)
/// it (debug builds compare the remembered length with the summed one
/// wherever it is read).
#[derive(Clone, Copy)]
pub struct OptionsLen(u8);

impl Default for OptionsLen {
    fn default() -> Self {
        Self::UNKNOWN
    }
}

impl OptionsLen {
    /// Not known: the length is summed when asked.
    pub const UNKNOWN: OptionsLen = OptionsLen(u8::MAX);

    /// `len` option bytes, in either MPTCP version (the caller knows no
    /// option's length depends on it). `len` is at most 40 bytes, or the
    /// few more a SYN's options could ask for: 255 or more is not
    /// remembered.
    #[inline]
    pub(crate) fn new(len: usize) -> Self {
        OptionsLen(u8::try_from(len).unwrap_or(u8::MAX))
    }

    /// `self` plus `more` bytes (unknown stays unknown).
    #[inline]
    pub(crate) fn plus(self, more: usize) -> Self {
        OptionsLen(self.0.saturating_add(u8::try_from(more).unwrap_or(u8::MAX)))
    }

    /// The remembered option bytes, if known (the same in both versions).
    #[inline]
    pub fn get(self) -> Option<usize> {
        (self.0 != u8::MAX).then_some(self.0 as usize)
    }

    /// Forgets the length (after the options changed).
    #[inline]
    pub fn forget(&mut self) {
        *self = Self::UNKNOWN;
    }
}

impl std::fmt::Debug for OptionsLen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.get() {
            Some(n) => write!(f, "OptionsLen({n})"),
            None => write!(f, "OptionsLen(?)"),
        }
    }
}

impl PartialEq for OptionsLen {
    /// Always equal: a cache does not tell segments apart.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for OptionsLen {}

impl std::hash::Hash for OptionsLen {
    /// Hashes nothing (see `eq`).
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// One TCP segment. Addresses identify the subflow's 4-tuple. The default
/// is an empty segment between addresses 0 (for fixtures and route probes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Segment {
    /// Source IPv4 address.
    pub src_addr: u32,
    /// Destination IPv4 address.
    pub dst_addr: u32,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Absolute sequence number of the first byte (or of the SYN/FIN).
    pub seq: u64,
    /// Absolute acknowledgement number; meaningful when `flags.ack`.
    pub ack: u64,
    /// Header flags.
    pub flags: TcpFlags,
    /// The window field as sent (already shifted right by the sender's
    /// window scale, except on SYNs, RFC 7323 2.2).
    pub window: u16,
    /// Payload bytes (not carried, only counted).
    pub payload_len: u32,
    /// TCP options, MPTCP ones included.
    pub options: TcpOptions,
    /// The wire length of `options`, when the code that fixed them said
    /// it (see [`OptionsLen`]); `Default::default()` in a hand-made segment.
    #[serde(skip)]
    pub options_len: OptionsLen,
}

impl Segment {
    /// Sequence space the segment occupies: payload + SYN + FIN (RFC 9293 3.4).
    pub fn seq_len(&self) -> u64 {
        self.payload_len as u64 + self.flags.syn as u64 + self.flags.fin as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_in_flight_keeps_its_sack_blocks_and_second_mptcp_option_out_of_line() {
        // Issue 18: what a link's queue holds per packet. The header, the
        // SYN options, the timestamps and one MPTCP option stay inline.
        let size = std::mem::size_of::<Segment>();
        assert!(size <= 136, "{size}");
        assert_eq!(std::mem::size_of::<SackBlocks>(), 16);
    }

    #[test]
    fn a_remembered_options_length_is_a_cache_that_segments_do_not_compare_by() {
        use std::hash::BuildHasher;
        assert_eq!(OptionsLen::default().get(), None);
        assert_eq!(OptionsLen::new(0).get(), Some(0));
        assert_eq!(OptionsLen::new(40).plus(12).get(), Some(52));
        assert_eq!(OptionsLen::UNKNOWN.plus(12).get(), None, "unknown stays unknown");
        assert_eq!(OptionsLen::new(300).get(), None, "too long to remember");
        assert_eq!(OptionsLen::new(250).plus(10).get(), None);
        let mut o = OptionsLen::new(24);
        o.forget();
        assert_eq!(o.get(), None);
        let a = Segment {
            options_len: OptionsLen::new(12),
            ..Segment::default()
        };
        let b = Segment::default();
        assert_eq!(a, b);
        let h = std::hash::RandomState::new();
        assert_eq!(h.hash_one(&a), h.hash_one(&b));
        assert_eq!(format!("{:?}", a.options_len), "OptionsLen(12)");
    }

    #[test]
    fn sack_blocks_compare_and_hash_by_the_blocks_they_hold() {
        use std::hash::BuildHasher;
        let b = |l, r| SackBlock { left: l, right: r };
        let mut a = SackBlocks::default();
        assert!(a.push(b(10, 20)) && a.push(b(30, 40)));
        a.truncate(1);
        let mut c = SackBlocks::default();
        assert!(c.push(b(10, 20)));
        assert_eq!(a, c);
        let h = std::hash::RandomState::new();
        assert_eq!(h.hash_one(&a), h.hash_one(&c));
        a.truncate(0);
        assert_eq!(a, SackBlocks::default());
        assert!(a.as_slice().is_empty());
        for k in 0..3 {
            assert!(c.push(b(100 + k, 110 + k)));
        }
        assert!(!c.push(b(1, 2)), "a fifth block does not fit");
        assert_eq!(c.as_slice()[0], b(10, 20));
        assert_eq!(c.len(), SackBlocks::MAX);
    }

    #[test]
    fn mptcp_options_keep_the_order_they_were_added_in() {
        let dss = MptcpOption::Dss(Dss {
            data_ack: None,
            mapping: None,
            data_fin: false,
        });
        let prio = MptcpOption::MpPrio { backup: true };
        let mut o = MptcpOptions::default();
        assert!(o.is_empty());
        assert!(o.push(prio) && o.push(dss));
        assert!(!o.push(prio), "a third option does not fit");
        assert_eq!(o.iter().copied().collect::<Vec<_>>(), vec![prio, dss]);
        assert!(o.dss().is_some());
        for opt in o.iter_mut() {
            if let MptcpOption::MpPrio { backup } = opt {
                *backup = false;
            }
        }
        assert_eq!(o.iter().next(), Some(&MptcpOption::MpPrio { backup: false }));
    }
}
