//! MPTCP key material: the token and initial data sequence number (IDSN)
//! derived from a key, and the HMACs of the MP_JOIN handshake and of
//! ADD_ADDR.
//!
//! - Version 1 (RFC 8684 3.1, 3.2, 3.4.1): SHA-256 and HMAC-SHA256.
//! - Version 0 (RFC 6824 3.1, 3.2): SHA-1 and HMAC-SHA1.
//!
//! Keys are 64-bit and enter every hash in network byte order (big-endian),
//! as do the 32-bit random numbers (nonces) and the IPv4 address.
//!
//! Simplifications: only the HMAC flavours that the MP_CAPABLE `H` flag
//! selects (the only ones defined) are implemented; ADD_ADDR is IPv4 and
//! version 1 only (RFC 6824 ADD_ADDR carries no HMAC). Nothing allocates:
//! these run per handshake packet.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::segment::MptcpVersion;

/// A digest of either version: 32 bytes for SHA-256, the first 20 used for
/// SHA-1.
struct Hash {
    bytes: [u8; 32],
    len: usize,
}

impl Hash {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
    fn from_slice(d: &[u8]) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..d.len()].copy_from_slice(d);
        Hash { bytes, len: d.len() }
    }
}

/// SHA-256 (v1) or SHA-1 (v0) of the key in network byte order
/// (RFC 8684 3.2; RFC 6824 3.2).
fn key_hash(key: u64, version: MptcpVersion) -> Hash {
    let k = key.to_be_bytes();
    match version {
        MptcpVersion::V1 => Hash::from_slice(&Sha256::digest(k)),
        MptcpVersion::V0 => Hash::from_slice(&Sha1::digest(k)),
    }
}

/// HMAC-SHA256 (v1) or HMAC-SHA1 (v0) with key `key_a || key_b` (each in
/// network byte order) over `msg` (RFC 8684 3.2; RFC 6824 3.2; RFC 2104).
fn hmac(key_a: u64, key_b: u64, msg: &[u8], version: MptcpVersion) -> Hash {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&key_a.to_be_bytes());
    key[8..].copy_from_slice(&key_b.to_be_bytes());
    const ANY_KEY_LENGTH: &str = "HMAC accepts keys of any length (RFC 2104 2)";
    match version {
        MptcpVersion::V1 => {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect(ANY_KEY_LENGTH);
            mac.update(msg);
            Hash::from_slice(&mac.finalize().into_bytes())
        }
        MptcpVersion::V0 => {
            let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&key).expect(ANY_KEY_LENGTH);
            mac.update(msg);
            Hash::from_slice(&mac.finalize().into_bytes())
        }
    }
}

/// The token and the IDSN of a key, from a single hash.
/// RFC 8684 3.2: the token is the most significant 32 bits of SHA-256(key);
/// RFC 8684 3.1: the IDSN is the least significant 64 bits of it.
/// RFC 6824 3.2 / 3.1: the same with SHA-1.
pub fn token_and_idsn(key: u64, version: MptcpVersion) -> (u32, u64) {
    let h = key_hash(key, version);
    let d = h.as_slice();
    let mut token = [0u8; 4];
    token.copy_from_slice(&d[..4]);
    let mut idsn = [0u8; 8];
    idsn.copy_from_slice(&d[d.len() - 8..]);
    (u32::from_be_bytes(token), u64::from_be_bytes(idsn))
}

/// The token identifying the connection of `key` in MP_JOIN
/// (RFC 8684 3.2; RFC 6824 3.2).
pub fn token(key: u64, version: MptcpVersion) -> u32 {
    token_and_idsn(key, version).0
}

/// The initial data sequence number of the host whose key is `key`
/// (RFC 8684 3.1; RFC 6824 3.1).
pub fn idsn(key: u64, version: MptcpVersion) -> u64 {
    token_and_idsn(key, version).1
}

/// The MP_JOIN HMAC a host sends: key = own key || peer key, message = own
/// nonce || peer nonce (RFC 8684 3.2: for host A, HMAC(Key-A || Key-B,
/// R-A || R-B); for host B, HMAC(Key-B || Key-A, R-B || R-A)).
fn join_hmac_full(own_key: u64, peer_key: u64, own_nonce: u32, peer_nonce: u32, version: MptcpVersion) -> Hash {
    let mut msg = [0u8; 8];
    msg[..4].copy_from_slice(&own_nonce.to_be_bytes());
    msg[4..].copy_from_slice(&peer_nonce.to_be_bytes());
    hmac(own_key, peer_key, &msg, version)
}

/// The 160-bit HMAC of the MP_JOIN third ACK, sent by the subflow initiator
/// (host A): HMAC(Key-A || Key-B, R-A || R-B), SHA-256 truncated to its
/// leftmost 160 bits in v1 (RFC 8684 3.2), the full HMAC-SHA1 in v0
/// (RFC 6824 3.2). `own_*` are the sender's key and nonce.
pub fn join_hmac(own_key: u64, peer_key: u64, own_nonce: u32, peer_nonce: u32, version: MptcpVersion) -> [u8; 20] {
    let h = join_hmac_full(own_key, peer_key, own_nonce, peer_nonce, version);
    let mut out = [0u8; 20];
    out.copy_from_slice(&h.as_slice()[..20]);
    out
}

/// The truncated HMAC of the MP_JOIN SYN/ACK, sent by the listener (host
/// B): the leftmost 64 bits of HMAC(Key-B || Key-A, R-B || R-A)
/// (RFC 8684 3.2; RFC 6824 3.2). `own_*` are the sender's key and nonce.
pub fn join_truncated_hmac(own_key: u64, peer_key: u64, own_nonce: u32, peer_nonce: u32, version: MptcpVersion) -> u64 {
    let h = join_hmac_full(own_key, peer_key, own_nonce, peer_nonce, version);
    let mut out = [0u8; 8];
    out.copy_from_slice(&h.as_slice()[..8]);
    u64::from_be_bytes(out)
}

/// The truncated HMAC of an ADD_ADDR (version 1, IPv4): the rightmost 64
/// bits of HMAC-SHA256(own key || peer key, address id || address || port),
/// the port being 0 when absent, as Linux computes it (RFC 8684 3.4.1).
pub fn add_addr_truncated_hmac(own_key: u64, peer_key: u64, addr_id: u8, addr: u32, port: Option<u16>) -> u64 {
    let mut msg = [0u8; 7];
    msg[0] = addr_id;
    msg[1..5].copy_from_slice(&addr.to_be_bytes());
    msg[5..].copy_from_slice(&port.unwrap_or(0).to_be_bytes());
    let h = hmac(own_key, peer_key, &msg, MptcpVersion::V1);
    let d = h.as_slice();
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[d.len() - 8..]);
    u64::from_be_bytes(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values were computed independently with python3's hashlib
    // and hmac modules in a one-off shell command, e.g.
    //   hashlib.sha256(struct.pack(">Q", KEY_A)).hexdigest()
    //   hmac.new(struct.pack(">QQ", KEY_A, KEY_B),
    //            struct.pack(">II", R_A, R_B), hashlib.sha256).hexdigest()
    // and pasted here.
    const KEY_A: u64 = 0x0123_4567_89ab_cdef;
    const KEY_B: u64 = 0xfedc_ba98_7654_3210;
    const R_A: u32 = 0x1122_3344;
    const R_B: u32 = 0x5566_7788;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn v1_token_and_idsn_are_the_top_32_and_bottom_64_bits_of_sha256_of_the_key() {
        // SHA-256(01 23 45 67 89 ab cd ef) =
        // 55c53f5d490297900cefa825d0c8e8e9532ee8a118abe7d8570762cd38be9818
        assert_eq!(
            token_and_idsn(KEY_A, MptcpVersion::V1),
            (0x55c5_3f5d, 0x5707_62cd_38be_9818)
        );
        // SHA-256(fe dc ba 98 76 54 32 10) =
        // 18f9781b1b2c2d85dc80ea6af8a7acf9bf1911a768411d39280818bf0fa7e28e
        assert_eq!(token(KEY_B, MptcpVersion::V1), 0x18f9_781b);
        assert_eq!(idsn(KEY_B, MptcpVersion::V1), 0x2808_18bf_0fa7_e28e);
    }

    #[test]
    fn v0_token_and_idsn_are_the_top_32_and_bottom_64_bits_of_sha1_of_the_key() {
        // SHA-1(01 23 45 67 89 ab cd ef) = 0ca2eadb529ac2e63abf9b4ae3df8ee121f10547
        assert_eq!(
            token_and_idsn(KEY_A, MptcpVersion::V0),
            (0x0ca2_eadb, 0xe3df_8ee1_21f1_0547)
        );
        // SHA-1(fe dc ba 98 76 54 32 10) = a5be687182f5f02a2de7505f334fc234bee495ca
        assert_eq!(token(KEY_B, MptcpVersion::V0), 0xa5be_6871);
        assert_eq!(idsn(KEY_B, MptcpVersion::V0), 0x334f_c234_bee4_95ca);
    }

    #[test]
    fn v1_join_hmacs_are_hmac_sha256_of_the_nonces_keyed_by_both_keys() {
        // HMAC-SHA256(Key-A||Key-B, R-A||R-B) =
        // d8b5e46b7a782e79d3ecfd78307751df993e222b384c52754868f2561cf58998
        let a = join_hmac(KEY_A, KEY_B, R_A, R_B, MptcpVersion::V1);
        assert_eq!(a.as_slice(), hex("d8b5e46b7a782e79d3ecfd78307751df993e222b"));
        assert_eq!(
            join_truncated_hmac(KEY_A, KEY_B, R_A, R_B, MptcpVersion::V1),
            0xd8b5_e46b_7a78_2e79
        );
        // Host B's SYN/ACK: HMAC-SHA256(Key-B||Key-A, R-B||R-A) =
        // 0d44dc5f555121b7027f5508b30392de251c946ac377f517ba2194c06bc4d441
        assert_eq!(
            join_truncated_hmac(KEY_B, KEY_A, R_B, R_A, MptcpVersion::V1),
            0x0d44_dc5f_5551_21b7
        );
    }

    #[test]
    fn v0_join_hmacs_are_hmac_sha1_of_the_nonces_keyed_by_both_keys() {
        // HMAC-SHA1(Key-A||Key-B, R-A||R-B) = 7120574de71020f0d199f170407bf80fb408fdc4
        let a = join_hmac(KEY_A, KEY_B, R_A, R_B, MptcpVersion::V0);
        assert_eq!(a.as_slice(), hex("7120574de71020f0d199f170407bf80fb408fdc4"));
        // HMAC-SHA1(Key-B||Key-A, R-B||R-A) = 49412f7213682cb10e646a6cf7c020034887a3eb
        assert_eq!(
            join_truncated_hmac(KEY_B, KEY_A, R_B, R_A, MptcpVersion::V0),
            0x4941_2f72_1368_2cb1
        );
    }

    #[test]
    fn add_addr_hmac_is_the_rightmost_64_bits_and_covers_the_port() {
        // HMAC-SHA256(Key-A||Key-B, 03 0a000102 0000) =
        // cd6656404cc4dd1d11f47699557933b6eca08f50380c5a78fa208fcdb9856cbc
        assert_eq!(
            add_addr_truncated_hmac(KEY_A, KEY_B, 3, 0x0a00_0102, None),
            0xfa20_8fcd_b985_6cbc
        );
        // With port 8080: ...52ca39d22db0213b3686e9a1
        assert_eq!(
            add_addr_truncated_hmac(KEY_A, KEY_B, 3, 0x0a00_0102, Some(8080)),
            0x2db0_213b_3686_e9a1
        );
    }
}
