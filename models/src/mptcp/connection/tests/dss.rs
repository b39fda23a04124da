//! The DSS option on an established subflow's segments (`dss_options`):
//! the data-ACK and mapping it adds, and the SACK blocks it drops when the
//! options would no longer fit the 40-byte option space.

use super::*;
use crate::segment::{SackBlock, SackBlocks, TcpOptions};
use crate::wire::{MAX_OPTION_BYTES, tcp_options_len};

/// A pure ACK of the client's first subflow with timestamps and `blocks`
/// SACK blocks, as a TCP endpoint might hand it to the connection.
fn ack_with_sack(blocks: u64) -> Segment {
    let mut sack = SackBlocks::default();
    for i in 0..blocks {
        sack.push(SackBlock {
            left: 10_000 * (i + 1),
            right: 10_000 * (i + 1) + 1000,
        });
    }
    Segment {
        flags: crate::segment::TcpFlags {
            ack: true,
            ..Default::default()
        },
        options: TcpOptions {
            timestamps: Some((1, 2)),
            sack,
            ..TcpOptions::default()
        },
        ..Segment::default()
    }
}

#[test]
fn sack_blocks_that_fit_beside_the_dss_are_kept_and_the_rest_dropped() {
    let mut n = Net::new(fullmesh(), linux_default(), &[(wifi(), 10)]);
    n.run(at_ms(300));
    assert!(n.a.subflows()[0].fully_established);
    // Timestamps (12) and a DSS with an 8-byte data-ACK (12) leave 16
    // bytes: one SACK block (4 + 8, RFC 2018 3).
    for (blocks, kept) in [(0, 0), (1, 1), (2, 1), (3, 1)] {
        let mut seg = ack_with_sack(blocks);
        n.a.dss_options(0, None, &mut seg);
        let dss = seg.options.mptcp.dss().expect("a DSS on an established subflow's ACK");
        assert!(dss.data_ack.is_some() && dss.mapping.is_none());
        assert_eq!(seg.options.sack.len(), kept, "{blocks} SACK blocks offered");
        assert!(tcp_options_len(&seg.options, MptcpVersion::V1) <= MAX_OPTION_BYTES);
        // The blocks kept are the first ones (the most recent, RFC 2018 4).
        if kept > 0 {
            assert_eq!(seg.options.sack.as_slice()[0].left, 10_000);
        }
    }
}
