//! The default store: an append-only segmented log with one `fdatasync` per commit,
//! in-place erasure on delete and segment removal (spec/05-relay-storage.md, STORE-2 to
//! STORE-10).

mod maintain;
mod open;
mod recovery;
mod segment;

use std::collections::{BTreeMap, BTreeSet, btree_map};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;

use self::segment::Segment;
use super::index::{Entry, Index};
use super::record::{
    self, HEADER_LEN, Record, RecordId, StoredMessage, dead_record, encode_commit, record_len,
};
use super::{
    BufferedMessage, Committed, Expired, MessageStore, PendingFlush, QueueStats, StoreError,
    StoreStats, check_payloads, reserve_ids,
};

pub use open::{LostRange, RecoveryReport, RefusedSegment};

/// Tuning of a [`LogStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogStoreConfig {
    /// A commit that would take the active segment past this size starts a new segment
    /// first (STORE-2). Default `64 << 20` bytes.
    pub segment_bytes: u64,
}

impl Default for LogStoreConfig {
    fn default() -> Self {
        Self {
            segment_bytes: 64 << 20,
        }
    }
}

/// Where a live record is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location {
    pub(crate) segment: u64,
    pub(crate) offset: u64,
    pub(crate) body_len: u32,
}

/// Messages in segment files in one directory, indexed in memory.
///
/// Only one process may open a directory at a time; the relay enforces it with the lock on
/// its data directory (RELAY-25).
#[derive(Debug)]
pub struct LogStore {
    dir: PathBuf,
    config: LogStoreConfig,
    /// Every segment by sequence number; the last one is the active one.
    segments: BTreeMap<u64, Segment>,
    index: Index<Location>,
    next_id: u64,
    /// Encoding buffer, reused between commits.
    buf: Vec<u8>,
    /// Set by a failed write or flush, here or on a flush thread (STORE-7).
    poisoned: Arc<AtomicBool>,
    recovery: RecoveryReport,
}

impl LogStore {
    /// The directory this store keeps its segments in.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What recovery found when the store was opened (STORE-8).
    #[must_use]
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.recovery
    }

    fn active(&self) -> &Segment {
        self.segments
            .last_key_value()
            .map(|(_, s)| s)
            .expect("a log store always has an active segment")
    }

    fn active_mut(&mut self) -> &mut Segment {
        self.segments
            .last_entry()
            .map(btree_map::OccupiedEntry::into_mut)
            .expect("a log store always has an active segment")
    }

    /// The open segment `seq`, which the index or a commit just written names: segments are
    /// closed only once no indexed record lives in them (STORE-9).
    fn segment(&self, seq: u64) -> &Segment {
        self.segments
            .get(&seq)
            .expect("indexed records and written commits are in open segments")
    }

    /// [`LogStore::segment`], mutable.
    fn segment_mut(&mut self, seq: u64) -> &mut Segment {
        self.segments
            .get_mut(&seq)
            .expect("indexed records and written commits are in open segments")
    }

    fn check_usable(&self) -> Result<(), StoreError> {
        if self.poisoned.load(Ordering::Acquire) {
            Err(StoreError::Poisoned)
        } else {
            Ok(())
        }
    }

    /// Marks the store poisoned when `result` is an error (STORE-7): after a failed write or
    /// flush the page cache and the disk may disagree, so nothing more is written.
    fn poison_on_error<T>(&mut self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if result.is_err() {
            self.poisoned.store(true, Ordering::Release);
        }
        result
    }

    /// Writes `self.buf` (whole records ending in a commit record) at the end of the active
    /// segment, starting a new one first if it would grow past the limit. The caller flushes.
    /// Returns the active segment's sequence number and where the bytes start.
    fn write_batch(&mut self) -> Result<(u64, u64), StoreError> {
        let batch_len = self.buf.len() as u64;
        let active = self.active();
        // File offsets: Linux's `off_t` is a signed 64-bit integer, so no file holds more than
        // i64::MAX bytes and sums of an offset and a batch length never reach u64::MAX.
        if active.len > segment::SEGMENT_HEADER_LEN
            && active.len.saturating_add(batch_len) > self.config.segment_bytes
        {
            // STORE-2: the previous segment is sealed, flushed completely before its successor
            // exists (a flush of its last commit may still be running on another thread).
            active.sync()?;
            // Sequence numbers count files created one at a time.
            let seq = active.seq.saturating_add(1);
            let created = Segment::create(&self.dir, seq)?;
            self.segments.insert(seq, created);
        }
        let buf = std::mem::take(&mut self.buf);
        let segment_bytes = self.config.segment_bytes;
        let active = self.active_mut();
        let (seq, start) = (active.seq, active.len);
        let end = start.saturating_add(batch_len);
        let written = active
            .reserve(end, segment_bytes)
            .and_then(|()| active.write_at(&buf, start));
        self.buf = buf;
        written?;
        self.active_mut().len = end;
        Ok((seq, start))
    }

    /// STORE-15: a failure of [`LogStore::write_batch`] for want of space becomes
    /// [`StoreError::Full`]. Nothing of the batch was flushed or indexed and the active
    /// segment's end is unchanged, so the next commit overwrites whatever part reached the
    /// file: no reason to distrust the files.
    fn full_or(&self, error: StoreError) -> StoreError {
        if error.is_out_of_space() {
            StoreError::Full {
                dir: self.dir.clone(),
            }
        } else {
            error
        }
    }

    /// Erases a live record in place (STORE-6) and updates its segment's counts. The caller
    /// flushes the segments it names.
    fn erase(&mut self, id: RecordId, at: Location) -> Result<(), StoreError> {
        let segment = self
            .segments
            .get_mut(&at.segment)
            .expect("indexed records are in open segments");
        segment.write_at(&dead_record(id, at.body_len), at.offset)?;
        // The record was counted in when written or recovered, so these never saturate.
        segment.live = segment.live.saturating_sub(1);
        segment.live_bytes = segment.live_bytes.saturating_sub(record_len(at.body_len));
        Ok(())
    }

    /// Writes a commit without flushing; returns it and the segments it wrote to.
    fn write_inner(
        &mut self,
        appends: &[BufferedMessage],
        deletes: &[RecordId],
    ) -> Result<(Committed, BTreeSet<u64>), StoreError> {
        let mut touched = BTreeSet::new();
        let mut ids = Vec::with_capacity(appends.len());
        if !appends.is_empty() {
            self.buf.clear();
            let mut offsets = Vec::with_capacity(appends.len());
            let reserved = reserve_ids(&mut self.next_id, appends.len())?;
            let mut last_id = RecordId(0);
            for (message, id) in appends.iter().zip(reserved) {
                let id = RecordId(id);
                offsets.push(self.buf.len() as u64);
                record::encode_message(id, message, &mut self.buf)
                    .expect("payload lengths were checked before encoding");
                ids.push(id);
                last_id = id;
            }
            // STORE-8: the commit record makes the batch durable as a whole.
            encode_commit(last_id, &mut self.buf);
            let (seq, start) = self.write_batch().map_err(|error| self.full_or(error))?;
            touched.insert(seq);
            let segment = self.segments.get_mut(&seq).expect("just written");
            for ((id, message), offset) in ids.iter().zip(appends).zip(offsets) {
                let body_len = record::MESSAGE_FIXED_LEN
                    .checked_add(message.payload.len())
                    .and_then(|len| u32::try_from(len).ok())
                    .expect("payload lengths were checked, so bounded by MAX_BODY_LEN");
                // Counts and byte sums of one file: bounded by its size (see write_batch).
                segment.live = segment.live.saturating_add(1);
                segment.live_bytes = segment.live_bytes.saturating_add(record_len(body_len));
                let value = Location {
                    segment: seq,
                    offset: start.saturating_add(offset),
                    body_len,
                };
                self.index.insert(*id, entry_for(message, value));
            }
        }
        let mut erased: usize = 0;
        for &id in deletes {
            if let Some(entry) = self.index.remove(id) {
                self.erase(id, entry.value)?;
                touched.insert(entry.value.segment);
                // At most `deletes.len()`.
                erased = erased.saturating_add(1);
            }
        }
        let committed = Committed {
            ids,
            deleted: erased,
        };
        Ok((committed, touched))
    }

    /// The files a written commit must flush.
    fn files(&self, touched: &BTreeSet<u64>) -> Vec<Arc<File>> {
        touched
            .iter()
            .map(|&seq| Arc::clone(&self.segment(seq).file))
            .collect()
    }

    /// Reads and checks one live record.
    fn read(&self, id: RecordId, at: Location) -> Result<StoredMessage, StoreError> {
        let segment = self.segment(at.segment);
        // body_len came from a header that parse_header bounded by MAX_BODY_LEN.
        let mut bytes = vec![0; HEADER_LEN.saturating_add(at.body_len as usize)];
        segment.read_at(&mut bytes, at.offset)?;
        match record::decode(&bytes) {
            Ok((Record::Message(stored), _)) if stored.id == id => Ok(stored),
            _ => Err(StoreError::Corrupt {
                file: segment.path.clone(),
                offset: at.offset,
                what: "record no longer matches its checksum",
            }),
        }
    }
}

/// The flush of a written commit: `fdatasync` of the active segment and of every segment
/// with an erasure (STORE-6, STORE-7). Several may run at once on different threads; each
/// covers everything written to its files before it started.
struct LogFlush {
    files: Vec<Arc<File>>,
    poisoned: Arc<AtomicBool>,
}

impl PendingFlush for LogFlush {
    fn wait_durable(self: Box<Self>) -> Result<(), StoreError> {
        for file in &self.files {
            if let Err(e) = file.sync_data() {
                self.poisoned.store(true, Ordering::Release);
                return Err(StoreError::io("sync", e));
            }
        }
        Ok(())
    }
}

fn entry_for(message: &BufferedMessage, value: Location) -> Entry<Location> {
    Entry {
        recipient: message.recipient,
        deadline: message.deadline,
        payload_len: message.payload.len() as u64,
        value,
    }
}

impl MessageStore for LogStore {
    fn commit(
        &mut self,
        appends: &[BufferedMessage],
        deletes: &[RecordId],
    ) -> Result<Committed, StoreError> {
        let (committed, flush) = self.write_commit(appends, deletes)?;
        flush.wait_durable()?;
        Ok(committed)
    }

    fn write_commit(
        &mut self,
        appends: &[BufferedMessage],
        deletes: &[RecordId],
    ) -> Result<(Committed, Box<dyn PendingFlush>), StoreError> {
        self.check_usable()?;
        check_payloads(appends)?;
        let result = self.write_inner(appends, deletes);
        if let Err(error @ (StoreError::Full { .. } | StoreError::IdsExhausted)) = result {
            // STORE-15, STORE-5: the appends failed before anything was written, indexed or
            // deleted; the store stays usable.
            return Err(error);
        }
        let (committed, touched) = self.poison_on_error(result)?;
        let flush = LogFlush {
            files: self.files(&touched),
            poisoned: Arc::clone(&self.poisoned),
        };
        Ok((committed, Box::new(flush)))
    }

    fn load_queue_page(
        &self,
        recipient: &Identity,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.index
            .queue(recipient, after)
            .take(limit)
            .map(|id| {
                let at = self.index.get(id).expect("queued IDs are indexed").value;
                self.read(id, at)
            })
            .collect()
    }

    fn recipients(&self) -> Vec<Identity> {
        self.index.recipients()
    }

    fn queue_stats(&self, recipient: &Identity) -> QueueStats {
        self.index.queue_stats(*recipient)
    }

    fn expire(&mut self, now: Timestamp) -> Result<Vec<Expired>, StoreError> {
        let due = self.index.due(now);
        let ids: Vec<RecordId> = due.iter().map(|e| e.id).collect();
        self.commit(&[], &ids)?;
        Ok(due)
    }

    fn maintain(&mut self) -> Result<super::Maintenance, StoreError> {
        self.check_usable()?;
        let result = self.maintain_inner();
        self.poison_on_error(result)
    }

    fn stats(&self) -> StoreStats {
        StoreStats {
            messages: self.index.len(),
            payload_bytes: self.index.payload_bytes(),
            recipients: self.index.recipient_count(),
            disk_bytes: self.segments.values().map(|s| s.len).sum(),
            dead_bytes: self.segments.values().map(Segment::dead_bytes).sum(),
            segments: self.segments.len() as u64,
        }
    }
}
