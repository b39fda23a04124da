//! The options' wire length a TCP segment carries ([`Segment::options_len`],
//! set by `finish_segment` and the SYN) is the length `wire` sums, on every
//! segment of random transfers with and without SACK and timestamps.

use super::*;
use crate::segment::MptcpVersion;
use crate::wire::tcp_options_len;

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    #[test]
    fn every_tcp_segment_carries_the_options_length_wire_sums(
        sack in proptest::bool::ANY,
        timestamps in proptest::bool::ANY,
        window_scale in proptest::bool::ANY,
        data_drops in proptest::collection::vec(2usize..300, 0..10),
        ack_drops in proptest::collection::vec(2usize..200, 0..5),
        n in 1u64..300_000,
    ) {
        let cfg = TcpConfig { sack, timestamps, window_scale, ..TcpConfig::default() };
        let mut p = Pair::new(cfg.clone(), cfg, n);
        p.ab.set_drops(data_drops);
        p.ba.set_drops(ack_drops);
        p.run(secs(600));
        // Drops with SACK on make ACKs with SACK blocks, checked like the rest.
        for sent in p.ab.log.iter().chain(p.ba.log.iter()) {
            let seg = &sent.seg;
            for v in [MptcpVersion::V0, MptcpVersion::V1] {
                proptest::prop_assert_eq!(seg.options_len.get(), Some(tcp_options_len(&seg.options, v)), "{:?}", seg);
            }
        }
    }
}
