//! Finding a sequence number among the records of transmitted new data.
//!
//! The records cover consecutive ranges of the sequence space (new data is
//! sent in order, and a retransmission changes a record in place), mostly
//! of one segment size each. So the record holding `seq` is close to where
//! the average record size puts it: [`first_ending_after`] reads that
//! record and its neighbour, and binary-searches only if both miss. The
//! answer is the one `partition_point` gives (debug builds check every
//! call); what changes is the number of records read, which matters when
//! the records of a thousand connections are not in cache (a binary search
//! over a window of 35 records reads about six of them, in as many cache
//! lines). Not observable in any output.

use std::collections::VecDeque;

use super::SentRec;

/// The index of the first record ending after `seq` (`records.len()` if
/// none does): `records.partition_point(|r| r.end <= seq)`, for records
/// sorted by `end`.
pub(super) fn first_ending_after(records: &VecDeque<SentRec>, seq: u64) -> usize {
    let i = interpolate(records, seq);
    debug_assert_eq!(i, records.partition_point(|r| r.end <= seq));
    i
}

fn interpolate(records: &VecDeque<SentRec>, seq: u64) -> usize {
    let n = records.len();
    let (Some(first), Some(last)) = (records.front(), records.back()) else {
        return 0;
    };
    if seq < first.end {
        return 0;
    }
    if seq >= last.end {
        return n;
    }
    // Here first.end <= seq < last.end: the answer is in 1..n (so n >= 2).
    let (mut lo, mut hi) = (1, n - 1);
    let span = last.end - first.start;
    let offset = seq - first.start;
    let guess = match offset.checked_mul(n as u64) {
        Some(p) => ((p / span) as usize).clamp(lo, hi),
        None => (lo + hi) / 2,
    };
    if records[guess].end <= seq {
        lo = guess + 1;
        if lo < n && records[lo].end > seq {
            return lo;
        }
    } else {
        hi = guess;
        if records[guess - 1].end <= seq {
            return guess;
        }
    }
    // The answer is in lo..=hi.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if records[mid].end <= seq {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use sim_core::SimTime;

    use super::*;

    fn records(lens: &[u64]) -> VecDeque<SentRec> {
        let mut start = 1_000;
        lens.iter()
            .map(|&len| {
                let r = SentRec {
                    start,
                    end: start + len,
                    sent_at: SimTime::ZERO,
                    xmit_ts: SimTime::ZERO,
                    retransmitted: false,
                    sacked: false,
                    lost: false,
                    rtx_out: false,
                    ts_gen: 0,
                };
                start += len;
                r
            })
            .collect()
    }

    #[test]
    fn finds_the_record_holding_a_sequence_number_among_equal_records() {
        let rs = records(&[1000; 10]);
        assert_eq!(interpolate(&rs, 999), 0);
        assert_eq!(interpolate(&rs, 1_000), 0);
        assert_eq!(interpolate(&rs, 1_999), 0);
        assert_eq!(interpolate(&rs, 2_000), 1);
        assert_eq!(interpolate(&rs, 5_500), 4);
        assert_eq!(interpolate(&rs, 10_999), 9);
        assert_eq!(interpolate(&rs, 11_000), 10);
        assert_eq!(interpolate(&VecDeque::new(), 5), 0);
    }

    #[test]
    fn finds_the_record_when_sizes_are_uneven_and_the_guess_is_far_off() {
        // One large record among small ones puts the average far from
        // every record: the binary search finishes the job.
        let mut lens = vec![10; 50];
        lens[3] = 100_000;
        let rs = records(&lens);
        for seq in [1_000, 1_035, 1_040, 50_000, 101_029, 101_030, 101_031, 101_500, 101_499] {
            assert_eq!(interpolate(&rs, seq), rs.partition_point(|r| r.end <= seq), "seq {seq}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_a_binary_search_for_any_record_sizes(
            lens in prop::collection::vec(prop_oneof![1u64..3, 1u64..1500, 1400u64..1500, 1u64..200_000], 0..80),
            probes in prop::collection::vec(0u64..1u64 << 22, 1..40),
            shift in 0u64..u64::MAX / 2,
        ) {
            let mut rs = records(&lens);
            for r in rs.iter_mut() {
                r.start += shift;
                r.end += shift;
            }
            let total: u64 = lens.iter().sum();
            for p in probes {
                // Probes around and inside the records' span.
                let seq = (shift + 1_000).saturating_sub(10) + p % (total + 20);
                prop_assert_eq!(interpolate(&rs, seq), rs.partition_point(|r| r.end <= seq), "seq {}", seq);
            }
        }
    }
}
