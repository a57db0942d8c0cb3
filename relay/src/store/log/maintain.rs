//! Maintenance of the log store: removing segments whose records are all dead and
//! rewriting segments that are mostly dead (spec/05-relay-storage.md, STORE-9).

use std::collections::BTreeSet;

use super::segment;
use super::{Location, LogStore};
use crate::store::record::{
    self, HEADER_LEN, Record, RecordId, dead_record, encode_commit, record_len,
};
use crate::store::{Maintenance, StoreError};

/// Live bytes copied per compaction commit, so one rewrite never holds up appends for long.
const COMPACTION_BATCH_BYTES: usize = 4 << 20;

impl LogStore {
    pub(super) fn maintain_inner(&mut self) -> Result<Maintenance, StoreError> {
        let mut report = Maintenance::default();
        let before: u64 = self.segments.values().map(|s| s.len).sum();
        let active = self.active().seq;
        // STORE-9: a sealed segment with no live record goes at once; one that is at least
        // half dead has its live records copied forward and then goes.
        let sparse: BTreeSet<u64> = self
            .segments
            .values()
            .filter(|s| s.seq != active && s.live > 0 && s.live_bytes <= s.len / 2)
            .map(|s| s.seq)
            .collect();
        if !sparse.is_empty() {
            let moving: Vec<(RecordId, Location)> = self
                .index
                .iter()
                .filter(|(_, entry)| sparse.contains(&entry.value.segment))
                .map(|(id, entry)| (id, entry.value))
                .collect();
            report.records_moved = moving.len() as u64;
            let mut rest = moving.as_slice();
            while !rest.is_empty() {
                match self.move_batch(rest) {
                    Ok(left) => rest = left,
                    // STORE-15: no space for the copies; nothing of this batch changed.
                    // Compaction waits for the next maintenance; empty segments still go.
                    Err(StoreError::Full { .. }) => break,
                    Err(error) => return Err(error),
                }
            }
            // `rest` is a suffix of `moving`.
            report.records_moved = report.records_moved.saturating_sub(rest.len() as u64);
            if rest.is_empty() {
                report.segments_compacted = sparse.len() as u64;
            }
        }
        let empty: Vec<u64> = self
            .segments
            .values()
            .filter(|s| s.seq != self.active().seq && s.live == 0)
            .map(|s| s.seq)
            .collect();
        for seq in empty {
            self.segments.remove(&seq);
            segment::remove(&self.dir, seq)?;
            if !sparse.contains(&seq) {
                report.segments_removed = report.segments_removed.saturating_add(1);
            }
        }
        let after: u64 = self.segments.values().map(|s| s.len).sum();
        report.bytes_reclaimed = before.saturating_sub(after);
        Ok(report)
    }

    /// Copies a prefix of `moving` (records in ID order) to the active segment as one
    /// commit, points the index at the copies and returns the records left to move.
    fn move_batch<'a>(
        &mut self,
        moving: &'a [(RecordId, Location)],
    ) -> Result<&'a [(RecordId, Location)], StoreError> {
        self.buf.clear();
        let mut offsets = Vec::new();
        let mut taken: usize = 0;
        for &(id, at) in moving {
            if taken > 0 && self.buf.len() >= COMPACTION_BATCH_BYTES {
                break;
            }
            let source = self.segment(at.segment);
            // body_len came from a header that parse_header bounded by MAX_BODY_LEN.
            let mut bytes = vec![0; HEADER_LEN.saturating_add(at.body_len as usize)];
            source.read_at(&mut bytes, at.offset)?;
            // The copy is byte for byte, so it must still be intact before it is rewritten.
            if !matches!(record::decode(&bytes), Ok((Record::Message(m), _)) if m.id == id) {
                return Err(StoreError::Corrupt {
                    file: source.path.clone(),
                    offset: at.offset,
                    what: "record no longer matches its checksum",
                });
            }
            offsets.push(self.buf.len() as u64);
            self.buf.extend_from_slice(&bytes);
            // At most `moving.len()`.
            taken = taken.saturating_add(1);
        }
        // next_id starts at 1 and only grows: the highest ID assigned so far (STORE-5).
        encode_commit(RecordId(self.next_id.saturating_sub(1)), &mut self.buf);
        let (seq, start) = self.write_batch().map_err(|error| self.full_or(error))?;
        self.segment(seq).sync()?;
        let (copied, rest) = moving.split_at(taken);
        let mut touched = BTreeSet::new();
        for (&(id, old), offset) in copied.iter().zip(offsets) {
            let size = record_len(old.body_len);
            // Counts of one file, bounded by its size; the moved record was counted in its
            // source, so the subtractions never saturate.
            let target = self.segment_mut(seq);
            target.live = target.live.saturating_add(1);
            target.live_bytes = target.live_bytes.saturating_add(size);
            let source = self.segment_mut(old.segment);
            source.live = source.live.saturating_sub(1);
            source.live_bytes = source.live_bytes.saturating_sub(size);
            // STORE-9: the original is erased too, so the removed file's blocks hold no copy.
            source.write_at(&dead_record(id, old.body_len), old.offset)?;
            touched.insert(old.segment);
            let entry = self.index.get_mut(id).expect("moving records are indexed");
            entry.value = Location {
                segment: seq,
                offset: start.saturating_add(offset),
                body_len: old.body_len,
            };
        }
        for seq in touched {
            self.segment(seq).sync()?;
        }
        Ok(rest)
    }
}
