//! Opening a log store: scanning every segment, dropping the torn tail, erasing what must
//! not remain, rebuilding the index (spec/05-relay-storage.md, STORE-8).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use super::recovery::{self, Repair};
use super::segment::{self, Segment};
use super::{Location, LogStore, LogStoreConfig};
use crate::store::StoreError;
use crate::store::index::{Entry, Index};
use crate::store::record::{dead_record, record_len};

/// What recovery found and did when a [`LogStore`] was opened (STORE-8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segment files read.
    pub segments: u64,
    /// Live messages found.
    pub messages: u64,
    /// Bytes after the last intact commit record of a segment, cut off: a commit that was
    /// never reported durable.
    pub torn_tail_bytes: u64,
    /// Committed message records that failed their checksum, erased and not returned.
    pub damaged_records: u64,
    /// Deleted records whose erasure had not fully reached the disk, erased again.
    pub erasures_redone: u64,
    /// Second copies left by an interrupted compaction, erased.
    pub duplicates_erased: u64,
    /// Last segments whose file header was torn while being created, recreated empty.
    pub segments_recreated: u64,
}

impl LogStore {
    /// Opens (creating if needed) the store in `dir` and recovers it (STORE-8): every
    /// commit that was reported durable is back, in order, exactly once; a torn tail is cut
    /// off; nothing that fails its checksum is kept.
    ///
    /// # Errors
    /// [`StoreError::NotAStore`] or [`StoreError::Corrupt`] for files the store did not
    /// write or cannot read past; [`StoreError::Io`] for the operating system's failures.
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
            let sealed = i + 1 < seqs.len();
            max_id = max_id.max(store.recover_segment(seq, sealed, &mut dirty)?);
        }
        if store.segments.is_empty() {
            store.segments.insert(1, Segment::create(&store.dir, 1)?);
        }
        for seq in dirty {
            store.segments[&seq].sync()?;
        }
        store.next_id = max_id + 1;
        store.recovery.segments = seqs.len() as u64;
        store.recovery.messages = store.index.len();
        Ok(store)
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
        if scan.needs_reset {
            self.recovery.segments_recreated += 1;
            self.segments.insert(seq, Segment::create(&self.dir, seq)?);
            return Ok(0);
        }
        if scan.valid_len < segment.len {
            // STORE-8: a commit that never completed; its records were never acknowledged.
            self.recovery.torn_tail_bytes += segment.zero_and_truncate(scan.valid_len)?;
        }
        let repairs: Vec<Repair> = scan
            .repairs
            .iter()
            .copied()
            .filter(|r| r.offset < scan.valid_len)
            .collect();
        for repair in &repairs {
            segment.write_at(&dead_record(repair.id, repair.body_len), repair.offset)?;
            dirty.insert(seq);
        }
        self.recovery.damaged_records += scan.damaged;
        self.recovery.erasures_redone += (repairs.len() as u64).saturating_sub(scan.damaged);
        self.segments.insert(seq, segment);
        for record in &scan.committed {
            let location = Location {
                segment: seq,
                offset: record.offset,
                body_len: record.body_len,
            };
            let segment = self.segments.get_mut(&seq).expect("just inserted");
            segment.live += 1;
            segment.live_bytes += record_len(record.body_len);
            let entry = Entry {
                recipient: record.recipient,
                deadline: record.deadline,
                payload_len: u64::from(record.body_len)
                    - crate::store::record::MESSAGE_FIXED_LEN as u64,
                value: location,
            };
            if let Some(old) = self.index.insert(record.id, entry) {
                // STORE-9: a compaction copied this record and stopped before removing the
                // original. Keep the later copy; erase the earlier one.
                self.recovery.duplicates_erased += 1;
                self.erase(record.id, old.value)?;
                dirty.insert(old.value.segment);
            }
        }
        Ok(scan.max_id)
    }
}
