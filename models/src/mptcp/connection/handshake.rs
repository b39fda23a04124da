//! The MPTCP handshakes of the connection's subflows: MP_CAPABLE on the
//! initial subflow (RFC 8684 3.1) and MP_JOIN on the others (3.2), with the
//! keys, tokens and HMACs of `crate::mptcp_crypto`: which options each
//! handshake segment carries, and what the connection learns from the
//! peer's.

use super::*;

/// Where a subflow is in the MPTCP handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Handshake {
    /// Plain TCP: no MPTCP options at all.
    Plain,
    /// The initial subflow: MP_CAPABLE.
    Capable,
    /// An additional subflow: MP_JOIN with our nonce and, once known, the peer's.
    Join {
        local_nonce: u32,
        peer_nonce: Option<u32>,
        verified: bool,
    },
}

impl Connection {
    /// Whether a SYN with MP_JOIN names this connection's token.
    pub fn accepts_join(&self, syn: &Segment) -> bool {
        if !(self.mptcp && self.pm.accepts_joins()) {
            return false;
        }
        let token = mptcp_crypto::token(self.local_key, self.cfg.version);
        syn.options
            .mptcp
            .iter()
            .any(|o| matches!(o, MptcpOption::MpJoin(MpJoin::Syn { token: t, .. }) if *t == token))
    }

    #[cold]
    #[inline(never)]
    pub(super) fn set_remote_key(&mut self, key: u64) {
        if self.remote_key.is_none() {
            self.remote_key = Some(key);
            let idsn = mptcp_crypto::idsn(key, self.cfg.version);
            self.rx = Some(DataReceiver::new(idsn, self.cfg.rcv_buf_bytes));
        }
    }

    /// An additional subflow from a received MP_JOIN SYN (server side).
    pub fn accept_join(&mut self, now: SimTime, syn: &Segment) {
        self.mark_input();
        let Some(MptcpOption::MpJoin(MpJoin::Syn {
            backup, addr_id, nonce, ..
        })) = syn
            .options
            .mptcp
            .iter()
            .find(|o| matches!(o, MptcpOption::MpJoin(_)))
            .copied()
        else {
            return;
        };
        let isn = self.rng.next_u32() as u64;
        let mut tcp = TcpEndpoint::accept(
            now,
            syn,
            isn,
            self.subflow_tcp_config(),
            self.cfg
                .cc
                .build(self.cfg.tcp.mss_bytes, self.cfg.tcp.initial_window_bytes()),
        );
        if self.free_slot().is_none() {
            // Every slot holds a live subflow: the join is refused with a
            // RST (Linux v0.95 mptcp_check_req_child tears the child down
            // when mptcp_add_sock finds no path index; upstream
            // net/mptcp/subflow.c subflow_syn_recv_sock resets a join the
            // path manager does not allow, MPTCP_RST_EPROHIBIT).
            tcp.abort();
            while let Some(tx) = tcp.poll_transmit(now) {
                self.out_queue.push_back(tx.seg);
            }
            return;
        }
        let local_nonce = self.rng.next_u32();
        let iface = self.ifaces.first().map(|i| i.id);
        let n = NewSubflow {
            tcp,
            iss: isn,
            iface,
            addr_id,
            backup_local: false,
            initial: false,
            handshake: Handshake::Join {
                local_nonce,
                peer_nonce: Some(nonce),
                verified: false,
            },
        };
        // A slot was free above.
        if let Some(idx) = self.push_subflow(now, n) {
            // RFC 8684 3.2: the B bit asks us not to send on this subflow.
            self.subflows[idx].backup_remote = backup;
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn on_join_option(&mut self, idx: usize, j: MpJoin) {
        let (Some(remote_key), version) = (self.remote_key, self.cfg.version) else {
            return;
        };
        let local_key = self.local_key;
        let sf = &mut self.subflows[idx];
        let Handshake::Join {
            local_nonce,
            peer_nonce,
            verified,
        } = &mut sf.handshake
        else {
            return;
        };
        match j {
            MpJoin::SynAck {
                backup,
                truncated_hmac,
                nonce,
                ..
            } => {
                // RFC 8684 3.2: the server's HMAC is keyed Key-B||Key-A over R-B||R-A.
                *peer_nonce = Some(nonce);
                let expect = mptcp_crypto::join_truncated_hmac(remote_key, local_key, nonce, *local_nonce, version);
                *verified = expect == truncated_hmac;
                if !*verified {
                    sf.tcp.abort();
                }
                sf.backup_remote = backup;
            }
            MpJoin::Ack { hmac } => {
                let Some(pn) = *peer_nonce else { return };
                let expect = mptcp_crypto::join_hmac(remote_key, local_key, pn, *local_nonce, version);
                *verified = expect == hmac;
                if *verified {
                    // The server may send once the third ACK is verified, and
                    // acknowledges it at once (RFC 8684 3.2).
                    sf.fully_established = true;
                    sf.tcp.request_ack();
                } else {
                    sf.tcp.abort();
                }
            }
            MpJoin::Syn { .. } => {}
        }
    }

    /// The handshake options of a segment of subflow `idx` (MP_CAPABLE,
    /// MP_JOIN); true when the segment is complete (a handshake segment,
    /// or a plain-TCP subflow's), false when it goes on to carry a DSS.
    ///
    /// Nearly every segment is past the handshake: that answer (false,
    /// the segment untouched) is given here, and the handshake steps are
    /// built out of line in the cold `handshake_options_general`, so that
    /// they stay off the instruction-cache lines of the per-packet path
    /// (`poll_transmit_into` inlines this). The general function gives
    /// the same answer for these segments (checked in debug builds).
    #[inline]
    pub(super) fn handshake_options(&mut self, idx: usize, seg: &mut Segment) -> bool {
        let sf = &self.subflows[idx];
        let done = match sf.handshake {
            Handshake::Plain => return true,
            Handshake::Capable => self.fully_established,
            Handshake::Join { .. } => sf.fully_established,
        };
        // Past the handshake: no SYN, and not the client's third ACK (or
        // its repetitions) before the handshake completed.
        if !seg.flags.syn && (done || self.cfg.role != Role::Client || seg.payload_len != 0) {
            debug_assert!(
                !self.handshake_options_general(idx, &mut seg.clone()),
                "a segment past the handshake gets no handshake option"
            );
            return false;
        }
        self.handshake_options_general(idx, seg)
    }

    /// [`Connection::handshake_options`] for every segment.
    #[cold]
    #[inline(never)]
    fn handshake_options_general(&mut self, idx: usize, seg: &mut Segment) -> bool {
        let version = self.cfg.version;
        let local_key = self.local_key;
        let remote_key = self.remote_key;
        let role = self.cfg.role;
        let fully = self.fully_established;
        let sf = &mut self.subflows[idx];
        match sf.handshake {
            Handshake::Plain => return true,
            Handshake::Capable => {
                let capable = |sender: Option<u64>, receiver: Option<u64>| {
                    MptcpOption::MpCapable(MpCapable {
                        version,
                        checksum_required: false,
                        sender_key: sender,
                        receiver_key: receiver,
                        data_len: None,
                    })
                };
                if seg.flags.syn && !seg.flags.ack {
                    // RFC 8684 3.1: v1 SYN has no key; v0 carries the sender's.
                    let key = (version == MptcpVersion::V0).then_some(local_key);
                    seg.options.mptcp.push(capable(key, None));
                    return true;
                }
                if seg.flags.syn {
                    seg.options.mptcp.push(capable(Some(local_key), None));
                    return true;
                }
                if role == Role::Client && !fully && seg.payload_len == 0 {
                    // Third ACK (and its repetitions until a DSS arrives).
                    seg.options.mptcp.push(capable(Some(local_key), remote_key));
                    return true;
                }
            }
            Handshake::Join {
                local_nonce,
                peer_nonce,
                ..
            } => {
                if seg.flags.syn && !seg.flags.ack {
                    let token = remote_key.map_or(0, |k| mptcp_crypto::token(k, version));
                    seg.options.mptcp.push(MptcpOption::MpJoin(MpJoin::Syn {
                        backup: sf.backup_local,
                        addr_id: sf.addr_id,
                        token,
                        nonce: local_nonce,
                    }));
                    return true;
                }
                if seg.flags.syn {
                    let (Some(rk), Some(pn)) = (remote_key, peer_nonce) else {
                        return true;
                    };
                    let h = mptcp_crypto::join_truncated_hmac(local_key, rk, local_nonce, pn, version);
                    seg.options.mptcp.push(MptcpOption::MpJoin(MpJoin::SynAck {
                        backup: sf.backup_local,
                        addr_id: sf.addr_id,
                        truncated_hmac: h,
                        nonce: local_nonce,
                    }));
                    return true;
                }
                if role == Role::Client
                    && !sf.fully_established
                    && seg.payload_len == 0
                    && let (Some(rk), Some(pn)) = (remote_key, peer_nonce)
                {
                    let h = mptcp_crypto::join_hmac(local_key, rk, local_nonce, pn, version);
                    seg.options.mptcp.push(MptcpOption::MpJoin(MpJoin::Ack { hmac: h }));
                    return true;
                }
            }
        }
        false
    }
}
