//! The options' wire length a segment carries ([`Segment::options_len`],
//! set where the options are fixed: the TCP endpoint's `finish_segment`
//! and SYN, the connection's DSS) is the length `wire` sums, in both MPTCP
//! versions, on every segment random connections send.

use super::*;
use crate::wire::tcp_options_len;

/// Checks every segment of every path in both directions: a length it
/// carries is `wire`'s in both versions, and every segment of the
/// established shape (no SYN, no SACK block, at most a DSS) carries one.
/// Returns how many carried a length.
fn check(n: &Net) -> Result<usize, proptest::test_runner::TestCaseError> {
    let mut known = 0;
    for p in n.paths.iter() {
        for sent in p.ab.log.iter().chain(p.ba.log.iter()) {
            let seg = &sent.seg;
            match seg.options_len.get() {
                Some(len) => {
                    known += 1;
                    for v in [MptcpVersion::V0, MptcpVersion::V1] {
                        proptest::prop_assert_eq!(len, tcp_options_len(&seg.options, v), "{:?} {:?}", v, seg);
                    }
                }
                None => {
                    let mut mptcp = seg.options.mptcp.iter();
                    let established = !seg.flags.syn
                        && seg.options.sack.is_empty()
                        && matches!((mptcp.next(), mptcp.next()), (None | Some(MptcpOption::Dss(_)), None));
                    proptest::prop_assert!(!established, "no length on {:?}", seg);
                }
            }
        }
    }
    Ok(known)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    #[test]
    fn every_segment_sent_carries_the_options_length_wire_sums_in_both_versions(
        v0 in proptest::bool::ANY,
        timestamps in proptest::bool::ANY,
        sack in proptest::bool::ANY,
        wifi_ms in 2u64..60,
        cell_ms in 2u64..120,
        wifi_drops in proptest::collection::vec(0usize..400, 0..8),
        cell_drops in proptest::collection::vec(0usize..400, 0..8),
        ack_drops in proptest::collection::vec(0usize..200, 0..4),
        upload in 0u64..400_000,
        download in 0u64..400_000,
        cell_down_ms in proptest::option::of(10u64..2_000),
    ) {
        let conf = |role| {
            let mut c = cfg(role, fullmesh());
            c.version = if v0 { MptcpVersion::V0 } else { MptcpVersion::V1 };
            c.tcp.timestamps = timestamps;
            c.tcp.sack = sack;
            c
        };
        let mut n = Net::with(conf(Role::Client), conf(Role::Server), &[(wifi(), wifi_ms), (cell(), cell_ms)]);
        n.path_mut(WIFI).ab.set_drops(wifi_drops.iter().copied());
        n.path_mut(CELL).ab.set_drops(cell_drops.iter().copied());
        n.path_mut(WIFI).ba.set_drops(ack_drops.iter().copied());
        n.client.to_write = upload;
        n.client.close_when_written = true;
        n.server.to_write = download;
        n.server.close_when_written = true;
        if let Some(t) = cell_down_ms {
            // The subflow's RST and a new join later (ADD_ADDR, MP_JOIN).
            n.run(at_ms(t));
            n.set_iface(CELL, false);
            n.run(at_ms(t + 2_000));
            n.set_iface(CELL, true);
        }
        n.run(at_ms(30_000));
        let known = check(&n)?;
        proptest::prop_assert!(known > 0);
    }
}
