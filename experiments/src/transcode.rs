//! Writing a run's segments as another MPTCP version would have carried
//! them: a trace flavor that changes only the file.
//!
//! The run speaks the scenario's `mptcp_version`; a trace may be asked in
//! the other version (`record.pcap_flavor`), most often MPTCP v0 for
//! mptcptrace, which reads nothing else. Relabelling the version nibble is
//! not enough: the values derive from the keys with the version's hash
//! (SHA-256 in v1, RFC 8684; SHA-1 in v0, RFC 6824). So each segment is
//! rewritten, per connection, from both keys:
//! - MP_CAPABLE on the SYN carries the client's key in v0 and none in v1
//!   (RFC 6824 3.1, RFC 8684 3.1); the client's key comes from the
//!   connection's `Started` event, since a v1 SYN does not carry it;
//! - the MP_JOIN SYN's token is the listener's token in the trace's version
//!   (RFC 6824/8684 3.2), and both MP_JOIN HMACs are recomputed with the
//!   trace's algorithm from the nonces seen on the SYN and SYN/ACK;
//! - data sequence numbers keep their offset from the sender's initial data
//!   sequence number, which is re-derived in the trace's version (3.1), and
//!   are 4 bytes in v0, 8 in v1 (the data-ACK likewise, from the receiver's
//!   key); ADD_ADDR's HMAC is recomputed for v1 (v0 has none).
//!
//! The other MPTCP options and every TCP field stay as they were. A v1
//! trace of a v0 run may not fit 40 bytes of options where 8-byte DSNs
//! replace 4-byte ones: SACK blocks are then dropped from that record, the
//! last first (a user could see fewer SACK blocks in such a trace than the
//! run sent). The simulation itself never sees any of this.

#![warn(missing_docs)]

use std::collections::BTreeMap;

use models::mptcp::ConnEvent;
use models::mptcp_crypto::{add_addr_truncated_hmac, idsn, join_hmac, join_truncated_hmac, token};
use models::segment::{MpJoin, MptcpOption, MptcpVersion, Segment};
use models::wire::{MAX_OPTION_BYTES, tcp_options_len};

use crate::world::Side;

/// A subflow's (client address, client port, server address, server port).
type FourTuple = (u32, u16, u32, u16);

/// The keys of one connection (by the client's connection index).
#[derive(Clone, Copy, Debug, Default)]
struct Keys {
    client: Option<u64>,
    server: Option<u64>,
}

impl Keys {
    fn of(&self, side: Side) -> Option<u64> {
        match side {
            Side::Client => self.client,
            Side::Server => self.server,
        }
    }
}

/// One subflow: its connection and the MP_JOIN nonces (initiator, responder).
#[derive(Clone, Copy, Debug, Default)]
struct Flow {
    conn: usize,
    /// The side that sent the SYN, and its nonce; the responder's nonce.
    initiator: Option<(Side, u32)>,
    responder_nonce: Option<u32>,
}

fn other(side: Side) -> Side {
    match side {
        Side::Client => Side::Server,
        Side::Server => Side::Client,
    }
}

/// Rewrites segments of a run in MPTCP version `from` into version `to`.
#[derive(Debug)]
pub struct Transcoder {
    from: MptcpVersion,
    to: MptcpVersion,
    /// By the client's connection index.
    keys: BTreeMap<usize, Keys>,
    flows: BTreeMap<FourTuple, Flow>,
}

impl Transcoder {
    /// A transcoder from the run's version to the trace's.
    pub fn new(from: MptcpVersion, to: MptcpVersion) -> Transcoder {
        Transcoder {
            from,
            to,
            keys: BTreeMap::new(),
            flows: BTreeMap::new(),
        }
    }

    /// Learns keys and subflows from the client's connection events (the
    /// server's keys come from its SYN/ACK, which carries them in both
    /// versions).
    pub fn on_conn_event(&mut self, side: Side, conn: usize, event: &ConnEvent) {
        if side != Side::Client {
            return;
        }
        match *event {
            ConnEvent::Started { local_key } => self.keys.entry(conn).or_default().client = Some(local_key),
            ConnEvent::SubflowOpened { local, remote, .. } => {
                // A new subflow, even on the 4-tuple of a closed one (a
                // reused slot reuses its port): nothing of the old one's.
                self.flows.insert(
                    (local.0, local.1, remote.0, remote.1),
                    Flow {
                        conn,
                        ..Flow::default()
                    },
                );
            }
            _ => {}
        }
    }

    fn tuple(side: Side, seg: &Segment) -> FourTuple {
        match side {
            Side::Client => (seg.src_addr, seg.src_port, seg.dst_addr, seg.dst_port),
            Side::Server => (seg.dst_addr, seg.dst_port, seg.src_addr, seg.src_port),
        }
    }

    /// The connection whose key on `side` has this token in the run's version.
    fn conn_of_token(&self, side: Side, tok: u32) -> Option<usize> {
        self.keys
            .iter()
            .find(|(_, k)| k.of(side).is_some_and(|key| token(key, self.from) == tok))
            .map(|(&c, _)| c)
    }

    /// `seg`, sent by `side`, as the trace's version carries it.
    pub fn rewrite(&mut self, side: Side, seg: &Segment) -> Segment {
        let mut out = seg.clone();
        if seg.options.mptcp.is_empty() {
            return out;
        }
        let tuple = Self::tuple(side, seg);
        // A join SYN may leave before its subflow's event: find its
        // connection by the token it names (the receiver's).
        if !self.flows.contains_key(&tuple) {
            let by_token = seg.options.mptcp.iter().find_map(|o| match o {
                MptcpOption::MpJoin(MpJoin::Syn { token, .. }) => self.conn_of_token(other(side), *token),
                _ => None,
            });
            match by_token {
                Some(conn) => {
                    self.flows.insert(
                        tuple,
                        Flow {
                            conn,
                            ..Flow::default()
                        },
                    );
                }
                None => return out,
            }
        }
        let flow = self.flows.get(&tuple).copied().unwrap_or_default();
        let keys = self.keys.entry(flow.conn).or_default();
        let v1 = self.to == MptcpVersion::V1;
        let (syn, ack) = (seg.flags.syn, seg.flags.ack);
        // The server's key, from its SYN/ACK's MP_CAPABLE.
        if side == Side::Server && syn && ack {
            for o in seg.options.mptcp.iter() {
                if let MptcpOption::MpCapable(c) = o
                    && let Some(k) = c.sender_key
                {
                    keys.server = Some(k);
                }
            }
        }
        let keys = *keys;
        let mut flow = flow;
        let (to, from) = (self.to, self.from);
        let mut rewritten = out.options.mptcp;
        for o in rewritten.iter_mut() {
            match o {
                MptcpOption::MpCapable(c) => {
                    c.version = to;
                    if syn && !ack {
                        // RFC 6824 3.1: the v0 SYN carries the sender's key; RFC 8684 3.1: v1 none.
                        c.sender_key = if v1 { None } else { keys.of(side) };
                    }
                }
                MptcpOption::MpJoin(MpJoin::Syn { token: t, nonce, .. }) => {
                    flow.initiator = Some((side, *nonce));
                    if let Some(k) = keys.of(other(side)) {
                        *t = token(k, to);
                    }
                }
                MptcpOption::MpJoin(MpJoin::SynAck {
                    truncated_hmac, nonce, ..
                }) => {
                    flow.responder_nonce = Some(*nonce);
                    if let (Some((init, init_nonce)), Some(own), Some(peer)) =
                        (flow.initiator, keys.of(side), keys.of(other(side)))
                        && init != side
                    {
                        *truncated_hmac = join_truncated_hmac(own, peer, *nonce, init_nonce, to);
                    }
                }
                MptcpOption::MpJoin(MpJoin::Ack { hmac }) => {
                    if let (Some((init, init_nonce)), Some(resp_nonce), Some(own), Some(peer)) = (
                        flow.initiator,
                        flow.responder_nonce,
                        keys.of(side),
                        keys.of(other(side)),
                    ) && init == side
                    {
                        *hmac = join_hmac(own, peer, init_nonce, resp_nonce, to);
                    }
                }
                MptcpOption::Dss(d) => {
                    if let Some(a) = &mut d.data_ack
                        && let Some(k) = keys.of(other(side))
                    {
                        a.value = rebase(a.value, k, from, to);
                        a.wide = v1;
                    }
                    if let Some(m) = &mut d.mapping
                        && let Some(k) = keys.of(side)
                    {
                        m.dsn = rebase(m.dsn, k, from, to);
                        m.wide = v1;
                    }
                }
                MptcpOption::AddAddr {
                    addr_id,
                    addr,
                    port,
                    truncated_hmac,
                    ..
                } => {
                    if v1 && let (Some(own), Some(peer)) = (keys.of(side), keys.of(other(side))) {
                        *truncated_hmac = add_addr_truncated_hmac(own, peer, *addr_id, *addr, *port);
                    }
                }
                _ => {}
            }
        }
        self.flows.insert(tuple, flow);
        out.options.mptcp = rewritten;
        out.options_len.forget();
        // A v1 trace of a v0 run: 8-byte DSNs may not fit beside the SACK blocks.
        while tcp_options_len(&out.options, to) > MAX_OPTION_BYTES && !out.options.sack.is_empty() {
            let n = out.options.sack.len() - 1;
            out.options.sack.truncate(n);
        }
        out
    }
}

/// `dsn` of the host whose key is `key`, moved from its initial data
/// sequence number in version `from` to the one in version `to` (RFC 8684
/// and RFC 6824 3.1: the low 64 bits of the key's hash).
fn rebase(dsn: u64, key: u64, from: MptcpVersion, to: MptcpVersion) -> u64 {
    dsn.wrapping_sub(idsn(key, from)).wrapping_add(idsn(key, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::mptcp_crypto::join_truncated_hmac;
    use models::segment::{DataAck, Dss, DssMapping, MpCapable, MptcpOptions, TcpFlags, TcpOptions};

    const CLIENT: (u32, u16) = (0x0a01_0002, 40_000);
    const SERVER: (u32, u16) = (0x0a00_0001, 80);
    const JOIN_CLIENT: (u32, u16) = (0x0a01_0102, 40_001);
    const CK: u64 = 0x1111_2222_3333_4444;
    const SK: u64 = 0x5555_6666_7777_8888;
    const V1: MptcpVersion = MptcpVersion::V1;
    const V0: MptcpVersion = MptcpVersion::V0;

    fn seg(from: (u32, u16), to: (u32, u16), flags: TcpFlags, payload_len: u32, opt: MptcpOption) -> Segment {
        let mut mptcp = MptcpOptions::default();
        mptcp.push(opt);
        Segment {
            src_addr: from.0,
            dst_addr: to.0,
            src_port: from.1,
            dst_port: to.1,
            seq: 1,
            ack: 1,
            flags,
            window: 1000,
            payload_len,
            options: TcpOptions {
                mptcp,
                ..TcpOptions::default()
            },
            options_len: Default::default(),
        }
    }

    fn capable(sender: Option<u64>, receiver: Option<u64>) -> MptcpOption {
        MptcpOption::MpCapable(MpCapable {
            version: V1,
            checksum_required: false,
            sender_key: sender,
            receiver_key: receiver,
            data_len: None,
        })
    }

    fn only(seg: &Segment) -> MptcpOption {
        *seg.options.mptcp.iter().next().expect("one option")
    }

    /// A v1 run's handshake and first data, through a v0 transcoder.
    fn v1_run_as_v0() -> (Transcoder, Vec<Segment>) {
        let mut t = Transcoder::new(V1, V0);
        t.on_conn_event(Side::Client, 0, &ConnEvent::Started { local_key: CK });
        t.on_conn_event(
            Side::Client,
            0,
            &ConnEvent::SubflowOpened {
                subflow: 0,
                local: CLIENT,
                remote: SERVER,
            },
        );
        let syn = seg(CLIENT, SERVER, TcpFlags::syn(), 0, capable(None, None));
        let syn_ack = seg(SERVER, CLIENT, TcpFlags::syn_ack(), 0, capable(Some(SK), None));
        let data = seg(
            SERVER,
            CLIENT,
            TcpFlags::ack(),
            1000,
            MptcpOption::Dss(Dss {
                data_ack: Some(DataAck {
                    value: idsn(CK, V1).wrapping_add(1),
                    wide: true,
                }),
                mapping: Some(DssMapping {
                    dsn: idsn(SK, V1).wrapping_add(1),
                    ssn_rel: 1,
                    len: 1000,
                    wide: true,
                }),
                data_fin: false,
            }),
        );
        // A join whose SYN leaves before its subflow's event.
        let join_syn = seg(
            JOIN_CLIENT,
            SERVER,
            TcpFlags::syn(),
            0,
            MptcpOption::MpJoin(MpJoin::Syn {
                backup: false,
                addr_id: 1,
                token: token(SK, V1),
                nonce: 7,
            }),
        );
        let join_syn_ack = seg(
            SERVER,
            JOIN_CLIENT,
            TcpFlags::syn_ack(),
            0,
            MptcpOption::MpJoin(MpJoin::SynAck {
                backup: false,
                addr_id: 0,
                truncated_hmac: join_truncated_hmac(SK, CK, 9, 7, V1),
                nonce: 9,
            }),
        );
        let join_ack = seg(
            JOIN_CLIENT,
            SERVER,
            TcpFlags::ack(),
            0,
            MptcpOption::MpJoin(MpJoin::Ack {
                hmac: join_hmac(CK, SK, 7, 9, V1),
            }),
        );
        let out = vec![
            t.rewrite(Side::Client, &syn),
            t.rewrite(Side::Server, &syn_ack),
            t.rewrite(Side::Server, &data),
            t.rewrite(Side::Client, &join_syn),
            t.rewrite(Side::Server, &join_syn_ack),
            t.rewrite(Side::Client, &join_ack),
        ];
        (t, out)
    }

    #[test]
    fn a_v0_syn_carries_the_client_key_from_the_connection_event() {
        let (_, out) = v1_run_as_v0();
        let MptcpOption::MpCapable(c) = only(&out[0]) else {
            panic!()
        };
        assert_eq!((c.version, c.sender_key), (V0, Some(CK)));
    }

    #[test]
    fn data_sequence_numbers_keep_their_offset_from_the_v0_initial_numbers_on_4_bytes() {
        let (_, out) = v1_run_as_v0();
        let MptcpOption::Dss(d) = only(&out[2]) else { panic!() };
        let m = d.mapping.unwrap();
        assert_eq!((m.dsn, m.wide), (idsn(SK, V0).wrapping_add(1), false));
        let a = d.data_ack.unwrap();
        assert_eq!((a.value, a.wide), (idsn(CK, V0).wrapping_add(1), false));
    }

    #[test]
    fn a_join_names_the_v0_token_and_carries_hmacs_a_v0_peer_would_accept() {
        let (_, out) = v1_run_as_v0();
        let MptcpOption::MpJoin(MpJoin::Syn { token: tok, .. }) = only(&out[3]) else {
            panic!()
        };
        assert_eq!(tok, token(SK, V0));
        let MptcpOption::MpJoin(MpJoin::SynAck { truncated_hmac, .. }) = only(&out[4]) else {
            panic!()
        };
        assert_eq!(truncated_hmac, join_truncated_hmac(SK, CK, 9, 7, V0));
        let MptcpOption::MpJoin(MpJoin::Ack { hmac }) = only(&out[5]) else {
            panic!()
        };
        assert_eq!(hmac, join_hmac(CK, SK, 7, 9, V0));
    }

    #[test]
    fn back_to_v1_a_transcoded_trace_gives_the_run_values_again() {
        let (_, v0) = v1_run_as_v0();
        let mut back = Transcoder::new(V0, V1);
        back.on_conn_event(Side::Client, 0, &ConnEvent::Started { local_key: CK });
        back.on_conn_event(
            Side::Client,
            0,
            &ConnEvent::SubflowOpened {
                subflow: 0,
                local: CLIENT,
                remote: SERVER,
            },
        );
        let sides = [
            Side::Client,
            Side::Server,
            Side::Server,
            Side::Client,
            Side::Server,
            Side::Client,
        ];
        let again: Vec<Segment> = v0.iter().zip(sides).map(|(s, side)| back.rewrite(side, s)).collect();
        let MptcpOption::MpCapable(c) = only(&again[0]) else {
            panic!()
        };
        assert_eq!(c.sender_key, None, "a v1 SYN has no key");
        let MptcpOption::Dss(d) = only(&again[2]) else { panic!() };
        assert_eq!(
            d.mapping.unwrap().dsn & 0xffff_ffff,
            idsn(SK, V1).wrapping_add(1) & 0xffff_ffff
        );
        let MptcpOption::MpJoin(MpJoin::Syn { token: tok, .. }) = only(&again[3]) else {
            panic!()
        };
        assert_eq!(tok, token(SK, V1));
    }
}
