//! Blobs: encrypted files uploaded in chunks over the connection, kept until downloaded and
//! done or expired (TR-24, TR-25, RELAY-19).
//!
//! Each blob is one file in `blobs/` named by its ID in hex, `.blob` or `.persist` (kept
//! after a done, for group blobs). An upload is written to `tmp-<id>` and renamed once
//! complete and flushed; leftovers of uploads cut off by a crash are removed at start.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rand_core::CryptoRng;
use saltrelay_protocol::transport::payload::{BlobId, BlobStatus};
use tokio::fs::File;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::ServerError;

/// Name of the blob folder in the data directory.
pub const BLOB_DIR_NAME: &str = "blobs";

/// The blob folder.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
    max_len: u32,
    ttl: Duration,
}

/// An upload in progress (TR-24).
#[derive(Debug)]
pub struct Upload {
    /// The request ID the client named it by.
    pub request_id: u32,
    id: BlobId,
    file: File,
    tmp: PathBuf,
    target: PathBuf,
    length: u32,
    received: u32,
}

/// A download in progress (TR-25).
#[derive(Debug)]
pub struct Download {
    /// The request ID the client named it by.
    pub request_id: u32,
    file: File,
    length: u32,
    sent: u32,
}

fn hex(id: &BlobId) -> String {
    id.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Blobs {
    /// Opens the blob folder in `data_dir`, creating it, and removes unfinished uploads.
    ///
    /// # Errors
    /// [`ServerError::Blobs`] if the folder cannot be created or read.
    pub fn open(data_dir: &Path, max_len: u32, ttl_ms: u64) -> Result<Self, ServerError> {
        let dir = data_dir.join(BLOB_DIR_NAME);
        std::fs::create_dir_all(&dir).map_err(|e| ServerError::blobs(&dir, "create", &e))?;
        for entry in std::fs::read_dir(&dir).map_err(|e| ServerError::blobs(&dir, "read", &e))? {
            let entry = entry.map_err(|e| ServerError::blobs(&dir, "read", &e))?;
            if entry.file_name().to_string_lossy().starts_with("tmp-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Self {
            dir,
            max_len,
            ttl: Duration::from_millis(ttl_ms),
        })
    }

    /// The folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &BlobId, persist: bool) -> PathBuf {
        let suffix = if persist { "persist" } else { "blob" };
        self.dir.join(format!("{}.{suffix}", hex(id)))
    }

    /// Starts an upload of `length` bytes under a new random ID.
    ///
    /// # Errors
    /// `too_large` above the limit (TR-25), `unavailable` if the file cannot be created.
    pub async fn begin_upload(
        &self,
        request_id: u32,
        length: u32,
        persist: bool,
        rng: &mut impl CryptoRng,
    ) -> Result<Upload, BlobStatus> {
        if length > self.max_len {
            return Err(BlobStatus::TooLarge);
        }
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let tmp = self.dir.join(format!("tmp-{}", hex(&id)));
        let file = File::create(&tmp)
            .await
            .map_err(|_| BlobStatus::Unavailable)?;
        Ok(Upload {
            request_id,
            id,
            file,
            tmp,
            target: self.path(&id, persist),
            length,
            received: 0,
        })
    }

    /// Opens a blob for download.
    ///
    /// # Errors
    /// `not_found` if there is no such blob.
    pub async fn begin_download(
        &self,
        request_id: u32,
        id: &BlobId,
    ) -> Result<Download, BlobStatus> {
        for persist in [false, true] {
            if let Ok(file) = File::open(self.path(id, persist)).await {
                let length = file
                    .metadata()
                    .await
                    .ok()
                    .and_then(|m| u32::try_from(m.len()).ok())
                    .ok_or(BlobStatus::Unavailable)?;
                return Ok(Download {
                    request_id,
                    file,
                    length,
                    sent: 0,
                });
            }
        }
        Err(BlobStatus::NotFound)
    }

    /// The client has the blob: delete it unless it was uploaded with persist (TR-25).
    pub async fn done(&self, id: &BlobId) {
        let _ = tokio::fs::remove_file(self.path(id, false)).await;
    }

    /// Removes every blob older than the blob TTL (RELAY-19). Blocking; run off the runtime.
    /// Returns how many were removed.
    #[must_use]
    pub fn sweep(&self, now: SystemTime) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed: usize = 0;
        for entry in entries.flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age >= self.ttl);
            if old && std::fs::remove_file(entry.path()).is_ok() {
                // Counts files of one directory.
                removed = removed.saturating_add(1);
            }
        }
        removed
    }

    /// How many blobs are stored (finished uploads).
    #[must_use]
    pub fn count(&self) -> usize {
        std::fs::read_dir(&self.dir).map_or(0, |entries| {
            entries
                .flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with("tmp-"))
                .count()
        })
    }
}

impl Upload {
    /// Writes the next chunk; `Ok(true)` once every byte arrived.
    ///
    /// # Errors
    /// `bad_chunk` for an offset or length that does not continue the transfer (TR-24),
    /// `unavailable` for a write failure.
    pub async fn write_chunk(&mut self, offset: u32, data: &[u8]) -> Result<bool, BlobStatus> {
        let len = u32::try_from(data.len()).map_err(|_| BlobStatus::BadChunk)?;
        let end = self.received.checked_add(len).ok_or(BlobStatus::BadChunk)?;
        if offset != self.received || end > self.length {
            return Err(BlobStatus::BadChunk);
        }
        self.file
            .write_all(data)
            .await
            .map_err(|_| BlobStatus::Unavailable)?;
        self.received = end;
        Ok(self.received == self.length)
    }

    /// Flushes the file and gives it its name; the blob is durable when this returns.
    ///
    /// # Errors
    /// `unavailable` if the flush or rename fails.
    pub async fn finish(mut self) -> Result<BlobId, BlobStatus> {
        self.file
            .flush()
            .await
            .map_err(|_| BlobStatus::Unavailable)?;
        self.file
            .sync_all()
            .await
            .map_err(|_| BlobStatus::Unavailable)?;
        tokio::fs::rename(&self.tmp, &self.target)
            .await
            .map_err(|_| BlobStatus::Unavailable)?;
        if let Some(dir) = self.target.parent().map(Path::to_owned) {
            tokio::task::spawn_blocking(move || super::sync_dir(&dir))
                .await
                .map_err(|_| BlobStatus::Unavailable)?
                .map_err(|_| BlobStatus::Unavailable)?;
        }
        Ok(self.id)
    }

    /// Drops an unfinished upload and its file.
    pub async fn abort(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.tmp).await;
    }
}

impl Download {
    /// The blob's length.
    #[must_use]
    pub fn length(&self) -> u32 {
        self.length
    }

    /// The next chunk of at most `max` bytes with its offset, or `None` once all were read.
    ///
    /// # Errors
    /// `unavailable` if the file cannot be read or ends early.
    pub async fn next_chunk(&mut self, max: usize) -> Result<Option<(u32, Vec<u8>)>, BlobStatus> {
        // `sent` counts bytes read so far, at most `length`.
        let left = self.length.saturating_sub(self.sent) as usize;
        if left == 0 {
            return Ok(None);
        }
        let mut data = vec![0u8; left.min(max)];
        self.file
            .read_exact(&mut data)
            .await
            .map_err(|_| BlobStatus::Unavailable)?;
        let offset = self.sent;
        self.sent = self
            .sent
            .saturating_add(u32::try_from(data.len()).expect("at most one chunk"));
        Ok(Some((offset, data)))
    }
}
