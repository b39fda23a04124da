//! A fast hasher for the lookup tables a packet consults: address to
//! vertex ([`crate::topology::Topology`]), four-tuple and token to
//! connection ([`crate::host::Host`]).
//!
//! std's default SipHash-1-3 is keyed against hash flooding, which a
//! simulator whose keys it builds itself does not need, and it cost about
//! 950 instructions per data packet of perf-2path (three lookups per packet
//! per hop). This is the multiply-rotate hash of rustc's `FxHasher` (the
//! `rustc-hash` crate, after Firefox): one rotate, xor and multiply per
//! word. It is unkeyed, so a table's layout is the same in every run; no
//! table that uses it is iterated, so the layout decides nothing either way.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier of rustc-hash's `FxHasher` (64-bit).
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Word-at-a-time multiply-rotate hasher; see the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The product's high bits are its best mixed; hashbrown takes its
        // bucket from the low bits, so bring them down (as rustc-hash 2 does).
        self.hash.rotate_left(26)
    }
}

/// A `HashMap` keyed with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn h<T: Hash>(t: &T) -> u64 {
        BuildHasherDefault::<FxHasher>::default().hash_one(t)
    }

    #[test]
    fn equal_keys_hash_equal_and_near_keys_differ() {
        let a = (0x0a00_0001u32, 80u16, 0x0a00_0102u32, 40000u16);
        assert_eq!(h(&a), h(&a));
        let mut seen = std::collections::HashSet::new();
        for port in 0..1000u16 {
            assert!(seen.insert(h(&(a.0, a.1, a.2, port))));
        }
        // Consecutive addresses spread over the low bits a table indexes by.
        let buckets: std::collections::HashSet<u64> = (0..64u32).map(|i| h(&(0x0a00_0000 + i)) & 63).collect();
        assert!(buckets.len() > 32, "{} of 64 buckets used", buckets.len());
    }

    #[test]
    fn a_map_finds_what_it_holds() {
        let mut m: FxHashMap<(u32, u16), usize> = FxHashMap::default();
        for i in 0..10_000u32 {
            m.insert((i, (i % 7) as u16), i as usize);
        }
        for i in 0..10_000u32 {
            assert_eq!(m.get(&(i, (i % 7) as u16)), Some(&(i as usize)));
        }
        assert_eq!(m.get(&(1, 2)), None);
    }
}
