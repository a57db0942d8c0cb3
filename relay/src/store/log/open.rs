//! Opening a log store: scanning every segment, dropping the torn tail, containing and
//! erasing damage, rebuilding the index, and the report of what recovery found
//! (spec/05-relay-storage.md, STORE-8, STORE-13, STORE-14).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::recovery::{self, SegmentScan};
use super::segment::{self, SEGMENT_MAGIC, Segment};
use super::{Location, LogStore, LogStoreConfig};
use crate::store::StoreError;
use crate::store::index::{Entry, Index};
use crate::store::record::{
    HEADER_LEN, MAX_BODY_LEN, MESSAGE_FIXED_LEN, RecordId, dead_record, encode_commit,
};

/// Bytes of a segment lost to damage (STORE-13): not a record, between intact ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostRange {
    /// The segment's file name.
    pub file: String,
    /// Where the damaged bytes start.
    pub offset: u64,
    /// How many bytes, up to the next intact record.
    pub len: u64,
}

/// A segment file recovery could not read a single record from and left alone (STORE-13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedSegment {
    /// The segment's file name.
    pub file: String,
    /// Its length in bytes.
    pub len: u64,
    /// Why.
    pub reason: &'static str,
}

/// What recovery found and did when a [`LogStore`] was opened, or would do ([`LogStore::check`])
/// (STORE-8, STORE-14).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segment files read.
    pub segments: u64,
    /// Live messages found.
    pub messages: u64,
    /// Bytes after the last intact commit record of the last segment, cut off: a commit that
    /// was never reported durable.
    pub torn_tail_bytes: u64,
    /// Message records in that torn tail (their senders were never acked).
    pub uncommitted_records: u64,
    /// Committed ranges that were not intact records, erased and not returned; one entry of
    /// [`RecoveryReport::lost`] each.
    pub damaged_records: u64,
    /// Where each damaged range was (STORE-13).
    pub lost: Vec<LostRange>,
    /// Deleted records whose erasure had not fully reached the disk, erased again.
    pub erasures_redone: u64,
    /// Second copies left by an interrupted compaction, erased.
    pub duplicates_erased: u64,
    /// Last segments whose file header was torn while being created, recreated empty.
    pub segments_recreated: u64,
    /// Segments whose damaged file header was rewritten, their records kept (STORE-13).
    pub headers_repaired: u64,
    /// Segments left alone because not one record could be read (STORE-13).
    pub refused: Vec<RefusedSegment>,
}

impl RecoveryReport {
    /// Whether recovery found nothing but a torn tail, the normal result of a crash.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.damaged_records == 0
            && self.refused.is_empty()
            && self.headers_repaired == 0
            && self.erasures_redone == 0
            && self.duplicates_erased == 0
            && self.segments_recreated == 0
    }

    /// The one-line summary the relay prints at start and `relay check` prints (STORE-14).
    #[must_use]
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} segments, {} messages recovered, {} records lost",
            self.segments, self.messages, self.damaged_records
        );
        if !self.lost.is_empty() {
            let ranges: Vec<String> = self
                .lost
                .iter()
                .map(|l| format!("{} at {} ({} bytes)", l.file, l.offset, l.len))
                .collect();
            let _ = write!(line, " ({})", ranges.join(", "));
        }
        let _ = write!(line, ", {} segments refused", self.refused.len());
        if !self.refused.is_empty() {
            let refused: Vec<String> = self
                .refused
                .iter()
                .map(|r| format!("{} ({} bytes: {})", r.file, r.len, r.reason))
                .collect();
            let _ = write!(line, " ({})", refused.join(", "));
        }
        let _ = write!(
            line,
            ", torn tail {} bytes ({} uncommitted records), {} erasures redone, {} duplicates \
             erased, {} segment headers repaired, {} segments recreated",
            self.torn_tail_bytes,
            self.uncommitted_records,
            self.erasures_redone,
            self.duplicates_erased,
            self.headers_repaired,
            self.segments_recreated
        );
        line
    }
}

impl LogStore {
    /// Opens (creating if needed) the store in `dir` and recovers it (STORE-8, STORE-13):
    /// every commit that was reported durable is back, in order, exactly once; a torn tail
    /// is cut off; damage is contained to the damaged bytes, erased and reported.
    ///
    /// # Errors
    /// [`StoreError::NotAStore`] for a segment of another format version; [`StoreError::Io`]
    /// for the operating system's failures.
    pub fn open(dir: impl AsRef<Path>, config: LogStoreConfig) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| StoreError::io("open", e))?;
        let seqs = segment::list(&dir)?;
        let mut store = Self {
            dir,
            config,
            segments: BTreeMap::new(),
            index: Index::default(),
            next_id: 1,
            buf: Vec::new(),
            poisoned: std::sync::Arc::default(),
            recovery: RecoveryReport::default(),
        };
        let mut dirty = BTreeSet::new();
        let mut max_id = 0;
        for (i, &seq) in seqs.iter().enumerate() {
            // Every segment but the last is sealed (STORE-2).
            let sealed = i < seqs.len().saturating_sub(1);
            max_id = max_id.max(store.recover_segment(seq, sealed, &mut dirty)?);
        }
        // The active segment is the last one; after a refused last file, a new one.
        let last_seq = seqs.last().copied().unwrap_or(0);
        if store.segments.keys().next_back().copied() != Some(last_seq) || last_seq == 0 {
            // Sequence numbers come from file names: one at the top of the range is not ours.
            let seq = last_seq.checked_add(1).ok_or_else(|| StoreError::Corrupt {
                file: store.dir.join(segment::file_name(last_seq)),
                offset: 0,
                what: "segment sequence number at the end of its range",
            })?;
            store
                .segments
                .insert(seq, Segment::create(&store.dir, seq)?);
        }
        for seq in dirty {
            store.segment(seq).sync()?;
        }
        // An ID at the top of the range saturates: `reserve_ids` then refuses new messages
        // with `IdsExhausted` and never assigns an ID twice (STORE-5).
        store.next_id = max_id.saturating_add(1);
        store.recovery.segments = seqs.len() as u64;
        store.recovery.messages = store.index.len();
        Ok(store)
    }

    /// Reads the store in `dir` as [`LogStore::open`] would, writing nothing, and reports
    /// what recovery would find and do (STORE-14). The store must not be open elsewhere.
    ///
    /// # Errors
    /// As [`LogStore::open`], and [`StoreError::Io`] when `dir` does not exist.
    pub fn check(dir: impl AsRef<Path>) -> Result<RecoveryReport, StoreError> {
        let dir = dir.as_ref();
        let seqs = segment::list(dir)?;
        let mut report = RecoveryReport::default();
        let mut ids = HashSet::new();
        for (i, &seq) in seqs.iter().enumerate() {
            // Every segment but the last is sealed (STORE-2).
            let sealed = i < seqs.len().saturating_sub(1);
            let segment = Segment::open(dir, seq)?;
            let scan = recovery::scan(&segment, sealed)?;
            account(&mut report, &segment, &scan, sealed);
            if scan.refused.is_some() || scan.needs_reset {
                continue;
            }
            for record in &scan.committed {
                if !ids.insert(record.id) {
                    report.duplicates_erased = report.duplicates_erased.saturating_add(1);
                }
            }
        }
        report.segments = seqs.len() as u64;
        report.messages = ids.len() as u64;
        Ok(report)
    }

    /// Scans one segment, repairs it and adds its records to the index. Returns the highest
    /// record ID it holds; adds the segments it wrote to `dirty`.
    fn recover_segment(
        &mut self,
        seq: u64,
        sealed: bool,
        dirty: &mut BTreeSet<u64>,
    ) -> Result<u64, StoreError> {
        let mut segment = Segment::open(&self.dir, seq)?;
        let scan = recovery::scan(&segment, sealed)?;
        account(&mut self.recovery, &segment, &scan, sealed);
        if scan.needs_reset {
            self.segments.insert(seq, Segment::create(&self.dir, seq)?);
            return Ok(0);
        }
        if scan.refused.is_some() {
            // STORE-13: nothing readable; left as it is for the operator (`relay check`).
            return Ok(0);
        }
        if scan.header_damaged {
            segment.write_at(&SEGMENT_MAGIC, 0)?;
            dirty.insert(seq);
        }
        if scan.valid_len < segment.len {
            // STORE-8: a commit that never completed (or, in a sealed segment, damage after
            // its last commit, already counted as lost).
            segment.zero_and_truncate(scan.valid_len)?;
        }
        // STORE-13: damaged ranges are overwritten, so no stray copy of a payload remains and
        // the next start reads intact records only.
        for damaged in &scan.damaged {
            for (offset, filler) in fillers(damaged.offset, damaged.len, scan.max_id) {
                segment.write_at(&filler, offset)?;
                dirty.insert(seq);
            }
        }
        for repair in &scan.repairs {
            segment.write_at(&dead_record(repair.id, repair.body_len), repair.offset)?;
            dirty.insert(seq);
        }
        self.segments.insert(seq, segment);
        for record in &scan.committed {
            let location = Location {
                segment: seq,
                offset: record.offset,
                body_len: record.body_len,
            };
            let segment = self.segment_mut(seq);
            // Counts and sizes of records inside one file: bounded by its size.
            segment.live = segment.live.saturating_add(1);
            segment.live_bytes = segment
                .live_bytes
                .saturating_add(crate::store::record::record_len(record.body_len));
            let entry = Entry {
                recipient: record.recipient,
                deadline: record.deadline,
                // parse_header accepted at least MESSAGE_FIXED_LEN bytes of body (STORE-3).
                payload_len: u64::from(record.body_len).saturating_sub(MESSAGE_FIXED_LEN as u64),
                value: location,
            };
            if let Some(old) = self.index.insert(record.id, entry) {
                // STORE-9: a compaction copied this record and stopped before removing the
                // original. Keep the later copy; erase the earlier one.
                self.recovery.duplicates_erased = self.recovery.duplicates_erased.saturating_add(1);
                self.erase(record.id, old.value)?;
                dirty.insert(old.value.segment);
            }
        }
        Ok(scan.max_id)
    }
}

/// Adds what the scan of one segment found to `report` (STORE-14).
fn account(report: &mut RecoveryReport, segment: &Segment, scan: &SegmentScan, sealed: bool) {
    let file = segment::file_name(segment.seq);
    if scan.needs_reset {
        report.segments_recreated = report.segments_recreated.saturating_add(1);
        return;
    }
    if let Some(reason) = scan.refused {
        report.refused.push(RefusedSegment {
            file,
            len: segment.len,
            reason,
        });
        return;
    }
    // Report counters: counts of files, records and bytes on one disk.
    report.headers_repaired = report
        .headers_repaired
        .saturating_add(u64::from(scan.header_damaged));
    for damaged in &scan.damaged {
        report.lost.push(LostRange {
            file: file.clone(),
            offset: damaged.offset,
            len: damaged.len,
        });
    }
    if sealed && scan.tail_dirty > 0 {
        // A sealed segment was flushed completely before its successor existed: whatever
        // follows its last commit is damage, not a torn write (STORE-8).
        report.lost.push(LostRange {
            file,
            offset: scan.valid_len,
            len: scan.tail_dirty,
        });
    } else {
        report.torn_tail_bytes = report.torn_tail_bytes.saturating_add(scan.tail_dirty);
        report.uncommitted_records = report.uncommitted_records.saturating_add(scan.uncommitted);
    }
    report.damaged_records = report.lost.len() as u64;
    report.erasures_redone = report
        .erasures_redone
        .saturating_add(scan.repairs.len() as u64);
}

/// What overwrites a damaged range of `len` bytes at `offset` (STORE-13), as (offset, bytes):
/// dead records spanning it (several when it is longer than one record can be), or for a
/// damaged commit record (20 bytes) an intact commit record carrying `last_id`. Empty when
/// neither fits (21 to 52 bytes, which whole records never leave).
fn fillers(offset: u64, len: u64, last_id: u64) -> Vec<(u64, Vec<u8>)> {
    const MIN: u64 = (HEADER_LEN + MESSAGE_FIXED_LEN) as u64;
    const MAX: u64 = (HEADER_LEN + MAX_BODY_LEN) as u64;
    if len == HEADER_LEN as u64 {
        let mut commit = Vec::with_capacity(HEADER_LEN);
        encode_commit(RecordId(last_id), &mut commit);
        return vec![(offset, commit)];
    }
    let mut out = Vec::new();
    let (mut at, mut left) = (offset, len);
    // `MIN <= take <= left` and the range lies inside one file, so nothing below saturates.
    while left >= MIN {
        // Leave either nothing or enough for one more dead record.
        let take = if left <= MAX {
            left
        } else {
            MAX.min(left.saturating_sub(MIN))
        };
        let body_len =
            u32::try_from(take.saturating_sub(HEADER_LEN as u64)).expect("at most MAX_BODY_LEN");
        out.push((at, dead_record(RecordId(0), body_len)));
        at = at.saturating_add(take);
        left = left.saturating_sub(take);
    }
    if left > 0 {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fillers_cover_a_damaged_range_exactly() {
        for len in [
            20,
            53,
            54,
            1000,
            MAX_BODY_LEN as u64 + 20,
            3 * MAX_BODY_LEN as u64 + 7,
        ] {
            let parts = fillers(100, len, 9);
            let covered: u64 = parts.iter().map(|(_, b)| b.len() as u64).sum();
            assert_eq!(covered, len, "{len}");
            let mut at = 100;
            for (offset, bytes) in &parts {
                assert_eq!(*offset, at);
                at += bytes.len() as u64;
            }
        }
        assert!(fillers(0, 30, 1).is_empty(), "no record is 30 bytes long");
    }
}
