//! A buffered writer for files written a small record at a time
//! (`trace.pcap`): the caller builds each record directly in the buffer's
//! free room and commits its length, instead of building it in a scratch
//! array and copying it in with `Write::write_all`.
//!
//! `std::io::BufWriter` has no way to lend its spare capacity, so each
//! record cost a second copy (a variable-length `memcpy`) and the
//! `write_all` checks: about 20 instructions of a pcap record's ~470
//! (BENCHMARKS.md, "Records on against records off: the writers").
//! `sequence.csv` stays on a `BufWriter`: written through this one, the
//! run loop lost an inlining and the records-on run cost more, not less
//! (measured there).
//!
//! The bytes reaching the inner writer are the records in order, exactly
//! as committed; the buffer is handed to the inner writer in one
//! `write_all` whenever it holds at least `flush_at` bytes, and at
//! [`RecordBuf::finish`]. Nothing else is different from a `BufWriter`
//! that an application flushes at the end: a write error is returned by
//! the `commit` (or `finish`) that hands the buffer over, and the records
//! not yet handed over are lost with the writer (a run that fails is not
//! kept: its run directory is removed).

use std::io::Write;

/// A writer that lends room for one record of at most `max_record` bytes at
/// a time.
pub struct RecordBuf<W: Write> {
    inner: W,
    /// `flush_at + max_record` bytes; `buf[..len]` is what was committed and
    /// not yet handed to `inner`.
    buf: Box<[u8]>,
    len: usize,
    flush_at: usize,
    max_record: usize,
}

impl<W: Write> RecordBuf<W> {
    /// A writer to `inner` that hands its buffer over once it holds
    /// `flush_at` bytes, for records of at most `max_record` bytes.
    pub fn new(inner: W, flush_at: usize, max_record: usize) -> Self {
        assert!(flush_at > 0, "a record buffer needs room");
        RecordBuf {
            inner,
            buf: vec![0; flush_at + max_record].into_boxed_slice(),
            len: 0,
            flush_at,
            max_record,
        }
    }

    /// The room for the next record: at least `max_record` bytes, of
    /// unspecified content. Write the record at its start, then
    /// [`commit`](Self::commit) its length.
    #[inline]
    pub fn room(&mut self) -> &mut [u8] {
        // `len < flush_at` between calls, so at least `max_record` bytes
        // are left.
        &mut self.buf[self.len..]
    }

    /// Adds the first `n` bytes of [`room`](Self::room) to the file (`n` at
    /// most `max_record`), handing the buffer to the inner writer if it is
    /// full enough.
    #[inline]
    pub fn commit(&mut self, n: usize) -> std::io::Result<()> {
        debug_assert!(
            n <= self.max_record,
            "a record of {n} bytes; at most {}",
            self.max_record
        );
        self.len += n;
        if self.len >= self.flush_at {
            self.hand_over()
        } else {
            Ok(())
        }
    }

    /// Appends `bytes` (of any length: a file header, say).
    pub fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.len + bytes.len() <= self.buf.len() {
            self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
            if self.len >= self.flush_at {
                self.hand_over()?;
            }
            Ok(())
        } else {
            self.hand_over()?;
            self.inner.write_all(bytes)
        }
    }

    #[cold]
    fn hand_over(&mut self) -> std::io::Result<()> {
        let n = std::mem::take(&mut self.len);
        self.inner.write_all(&self.buf[..n])
    }

    /// Hands over what is buffered, flushes the inner writer and returns it.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.hand_over()?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_plain_writes_reach_the_inner_writer_in_order_across_hand_overs() {
        // flush_at 7, records up to 5 bytes: hand-overs fall inside the
        // sequence at every phase.
        let mut w = RecordBuf::new(Vec::new(), 7, 5);
        let mut want = Vec::new();
        w.write_all(b"header-longer-than-the-buffer").unwrap();
        want.extend_from_slice(b"header-longer-than-the-buffer");
        for i in 0..100u8 {
            let n = (i % 6) as usize;
            let room = w.room();
            assert!(room.len() >= 5);
            for (k, b) in room[..n].iter_mut().enumerate() {
                *b = i.wrapping_add(k as u8);
                want.push(*b);
            }
            w.commit(n).unwrap();
            if i % 17 == 0 {
                w.write_all(b"xy").unwrap();
                want.extend_from_slice(b"xy");
            }
        }
        assert_eq!(w.finish().unwrap(), want);
    }

    #[test]
    fn a_write_error_is_returned_by_the_commit_that_hands_the_buffer_over() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut w = RecordBuf::new(Full, 4, 3);
        w.room()[..3].copy_from_slice(b"abc");
        assert!(w.commit(3).is_ok(), "3 bytes stay in the buffer");
        w.room()[..3].copy_from_slice(b"def");
        assert_eq!(w.commit(3).unwrap_err().to_string(), "disk full");
    }
}
