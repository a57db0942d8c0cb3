//! Segment files of the log store: naming, the file header, positioned writes and flushes
//! (spec/05-relay-storage.md, STORE-2, STORE-7).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::store::StoreError;

/// The first bytes of every segment file: `"saltrelay-log"`, a zero byte and the format
/// version 1 as `u16-le` (STORE-2).
pub(crate) const SEGMENT_MAGIC: [u8; 16] = *b"saltrelay-log\x00\x01\x00";
/// Length of the segment file header.
pub(crate) const SEGMENT_HEADER_LEN: u64 = SEGMENT_MAGIC.len() as u64;

const PREFIX: &str = "seg-";
const SUFFIX: &str = ".log";

/// One segment file and what the store knows about its contents.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) seq: u64,
    pub(crate) path: PathBuf,
    /// Shared so that a flush can run on another thread (STORE-11).
    pub(crate) file: Arc<File>,
    /// End of the written records: the next commit goes here.
    pub(crate) len: u64,
    /// Size of the file, at least `len`: the zeros after `len` are preallocated space.
    pub(crate) allocated: u64,
    /// Live message records in the file.
    pub(crate) live: u64,
    /// Bytes of those live records, headers included.
    pub(crate) live_bytes: u64,
}

/// `seg-` and the sequence number as 16 lowercase hex digits, then `.log` (STORE-2).
pub(crate) fn file_name(seq: u64) -> String {
    format!("{PREFIX}{seq:016x}{SUFFIX}")
}

/// The sequence number of a segment file name, or `None` for any other file.
pub(crate) fn parse_file_name(name: &str) -> Option<u64> {
    let hex = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// Segment sequence numbers present in `dir`, in increasing order.
pub(crate) fn list(dir: &Path) -> Result<Vec<u64>, StoreError> {
    let mut seqs = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| StoreError::io("open", e))? {
        let entry = entry.map_err(|e| StoreError::io("open", e))?;
        if let Some(seq) = entry.file_name().to_str().and_then(parse_file_name) {
            seqs.push(seq);
        }
    }
    seqs.sort_unstable();
    Ok(seqs)
}

impl Segment {
    /// Opens an existing segment for reading and positioned writes.
    pub(crate) fn open(dir: &Path, seq: u64) -> Result<Self, StoreError> {
        let path = dir.join(file_name(seq));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io("open", e))?;
        let len = file
            .metadata()
            .map_err(|e| StoreError::io("open", e))?
            .len();
        Ok(Self {
            seq,
            path,
            file: Arc::new(file),
            len,
            allocated: len,
            live: 0,
            live_bytes: 0,
        })
    }

    /// Creates a new segment holding only its header, flushed, with its directory entry
    /// flushed too (STORE-7). An existing file of that name is truncated: only an empty or
    /// torn segment is ever recreated.
    pub(crate) fn create(dir: &Path, seq: u64) -> Result<Self, StoreError> {
        let path = dir.join(file_name(seq));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| StoreError::io("open", e))?;
        file.write_all_at(&SEGMENT_MAGIC, 0)
            .map_err(|e| StoreError::io("write", e))?;
        file.sync_data().map_err(|e| StoreError::io("sync", e))?;
        sync_dir(dir)?;
        Ok(Self {
            seq,
            path,
            file: Arc::new(file),
            len: SEGMENT_HEADER_LEN,
            allocated: SEGMENT_HEADER_LEN,
            live: 0,
            live_bytes: 0,
        })
    }

    /// Writes `bytes` at `offset`.
    pub(crate) fn write_at(&self, bytes: &[u8], offset: u64) -> Result<(), StoreError> {
        self.file
            .write_all_at(bytes, offset)
            .map_err(|e| StoreError::io("write", e))
    }

    /// Reads exactly `buf.len()` bytes at `offset`.
    pub(crate) fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<(), StoreError> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| StoreError::io("read", e))
    }

    /// `fdatasync`: everything written so far, and the file length, is durable (STORE-7).
    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        self.file.sync_data().map_err(|e| StoreError::io("sync", e))
    }

    /// Makes the file at least `end` bytes long, growing it straight to `limit` (the
    /// segment size) when it must grow (STORE-2): a flush after an append within the file's
    /// size does not also have to record a new size, which on ext4 here costs a second
    /// device flush now and then. The space is sparse until written.
    pub(crate) fn reserve(&mut self, end: u64, limit: u64) -> Result<(), StoreError> {
        if end > self.allocated {
            let size = limit.max(end);
            self.file
                .set_len(size)
                .map_err(|e| StoreError::io("write", e))?;
            self.allocated = size;
        }
        Ok(())
    }

    /// Drops everything after `len` (recovery cutting off a torn tail, STORE-8): bytes that
    /// are not already zero are overwritten with zeros and flushed first, so the freed blocks
    /// hold no copy; then the file is cut to `len`. Returns how many bytes were not zero.
    pub(crate) fn zero_and_truncate(&mut self, len: u64) -> Result<u64, StoreError> {
        let zeros = vec![0u8; 1 << 20];
        let mut chunk = vec![0u8; zeros.len()];
        let mut at = len;
        let mut dirty = 0;
        // Offsets within the file: `len <= at < allocated`, so no sum or difference below
        // leaves 0..=allocated and none saturates.
        while at < self.allocated {
            let n = usize::try_from(self.allocated.saturating_sub(at).min(chunk.len() as u64))
                .expect("at most one chunk");
            let (part, _) = chunk.split_at_mut(n);
            let (zero_part, _) = zeros.split_at(n);
            self.read_at(part, at)?;
            // Slice comparison is a memcmp: fast over the (usually all-zero) preallocation.
            if part != zero_part
                && let Some(last) = part.iter().rposition(|&b| b != 0)
            {
                dirty = at
                    .saturating_add(last as u64)
                    .saturating_add(1)
                    .saturating_sub(len);
                part.fill(0);
                self.write_at(part, at)?;
            }
            at = at.saturating_add(n as u64);
        }
        if dirty > 0 {
            self.sync()?;
        }
        self.file
            .set_len(len)
            .map_err(|e| StoreError::io("write", e))?;
        self.file
            .sync_all()
            .map_err(|e| StoreError::io("sync", e))?;
        self.len = len;
        self.allocated = len;
        Ok(dirty)
    }

    /// Bytes of the file that are not live records: deleted records, commit records and
    /// the file header.
    pub(crate) fn dead_bytes(&self) -> u64 {
        self.len.saturating_sub(self.live_bytes)
    }
}

/// Removes a segment file and flushes the directory entry (STORE-9).
pub(crate) fn remove(dir: &Path, seq: u64) -> Result<(), StoreError> {
    match fs::remove_file(dir.join(file_name(seq))) {
        Ok(()) => sync_dir(dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("remove", e)),
    }
}

/// Flushes a directory, making file creations and removals in it durable (STORE-7).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("sync", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip_and_reject_others() {
        assert_eq!(file_name(0x2a), "seg-000000000000002a.log");
        assert_eq!(parse_file_name("seg-000000000000002a.log"), Some(0x2a));
        for other in [
            "seg-2a.log",
            "seg-000000000000002a.tmp",
            "relay.key",
            "seg-00000000000000zz.log",
        ] {
            assert_eq!(parse_file_name(other), None, "{other}");
        }
    }
}
