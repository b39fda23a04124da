//! The send buffer: the application's bytes as a deque of chunks (no
//! payload is stored), queued up to the buffer's size; acknowledged chunks
//! leave from the front (in `recovery`, on the cumulative ACK).

use super::Sender;

/// A run of application bytes from one `send`/`send_mapped` call (or
/// several contiguous ones). Segments never straddle two chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Subflow sequence number of the first byte.
    pub start: u64,
    pub len: u64,
    /// The MPTCP layer's tag of the first byte (its data sequence number).
    pub tag: Option<u64>,
}

impl Chunk {
    pub(super) fn end(&self) -> u64 {
        self.start + self.len
    }
}

impl Sender {
    /// Bytes queued and not yet acknowledged (data only).
    pub fn queued_bytes(&self) -> u64 {
        self.write_end.saturating_sub(self.snd_una.max(self.iss + 1))
    }

    /// Free space in the send buffer.
    pub fn space(&self) -> u64 {
        self.snd_buf_bytes.saturating_sub(self.queued_bytes())
    }

    /// Queues up to `len` bytes; returns how many fit.
    pub fn queue(&mut self, len: u64, tag: Option<u64>) -> u64 {
        if self.fin_queued {
            return 0;
        }
        let n = len.min(self.space());
        if n == 0 {
            return 0;
        }
        let start = self.write_end;
        match (self.chunks.back_mut(), tag) {
            // Contiguous untagged bytes extend the last chunk. Tagged chunks
            // never grow: their mapping may already be on the wire.
            (Some(c), None) if c.tag.is_none() && c.end() == start => c.len += n,
            _ => self.chunks.push_back(Chunk { start, len: n, tag }),
        }
        self.write_end += n;
        n
    }

    /// The application closed: a FIN follows the queued data.
    pub fn close(&mut self) {
        self.fin_queued = true;
    }

    /// Data or a FIN not sent yet.
    pub fn has_unsent(&self) -> bool {
        self.snd_max < self.write_end || (self.fin_queued && !self.fin_sent)
    }

    pub(super) fn chunk_at(&self, seq: u64) -> &Chunk {
        // The send head is usually in the newest chunk (one mapping per
        // hand-over from the connection): check it first. Else it is
        // usually in the chunk found last time or the next one (the
        // connection handed over several mappings): check those before the
        // binary search. The chunk holding `seq` is one, so each way finds
        // the same (tests compare).
        if let Some(c) = self.chunks.back()
            && c.start <= seq
            && seq < c.end()
        {
            self.chunk_hint.set(self.chunks_popped + self.chunks.len() as u64 - 1);
            return c;
        }
        let hint = self.chunk_hint.get().saturating_sub(self.chunks_popped) as usize;
        for i in [hint, hint + 1] {
            if let Some(c) = self.chunks.get(i)
                && c.start <= seq
                && seq < c.end()
            {
                #[cfg(test)]
                assert_eq!(i, self.chunks.partition_point(|c| c.end() <= seq));
                self.chunk_hint.set(self.chunks_popped + i as u64);
                return c;
            }
        }
        let i = self.chunks.partition_point(|c| c.end() <= seq);
        self.chunk_hint.set(self.chunks_popped + i as u64);
        &self.chunks[i]
    }

    /// The cumulative ACK reached `ack`: the chunks wholly below it leave.
    pub(super) fn pop_acked_chunks(&mut self, ack: u64) {
        while let Some(c) = self.chunks.front() {
            if c.end() <= ack {
                self.chunks.pop_front();
                self.chunks_popped += 1;
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::*;

    #[test]
    fn segments_follow_chunks_and_report_their_tags() {
        let mut s = Sender::new(ISS, 1 << 20, MSS);
        s.on_syn_sent();
        s.on_syn_acked(0, ISS + 1, 1 << 20);
        assert_eq!(s.queue(1500, Some(50_000)), 1500);
        // Every tagged queue call is its own chunk, even with contiguous
        // tags: a chunk's mapping never changes once sent.
        assert_eq!(s.queue(500, Some(51_500)), 500);
        assert_eq!(s.queue(700, Some(90_000)), 700);
        assert_eq!(s.chunks_len(), 3);
        let a = send(&mut s, 1 << 20).unwrap();
        let b = send(&mut s, 1 << 20).unwrap();
        let c = send(&mut s, 1 << 20).unwrap();
        // Segments never straddle chunks; each reports its whole chunk.
        assert_eq!((a.len, a.mapping), (1000, Some((50_000, ISS + 1, 1500))));
        assert_eq!((b.len, b.mapping), (500, Some((50_000, ISS + 1, 1500))));
        assert_eq!((c.len, c.mapping), (500, Some((51_500, ISS + 1501, 500))));
    }

    #[test]
    fn the_send_buffer_accepts_only_its_free_space() {
        let mut s = Sender::new(ISS, 3000, MSS);
        assert_eq!(s.queue(5000, None), 3000);
        assert_eq!(s.queue(1, None), 0);
        s.close();
        assert!(s.fin_queued);
    }
}
