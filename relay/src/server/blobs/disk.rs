//! The blob folder of a single relay (RELAY-19): the [`BlobStore`] of the embedded store.
//!
//! Each blob is one file in `blobs/` named by its ID in hex, `.blob` or `.persist` (kept
//! after a done, for group blobs). An upload is written to `tmp-<id>` and renamed once
//! complete and flushed; leftovers of uploads cut off by a crash are removed at start.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use saltrelay_protocol::transport::payload::{BlobId, BlobStatus};
use tokio::fs::File;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{BlobFuture, BlobReader, BlobStore, BlobWriter};
use crate::server::ServerError;

/// Name of the blob folder in the data directory.
pub const BLOB_DIR_NAME: &str = "blobs";

/// The blob folder.
#[derive(Debug, Clone)]
pub struct DiskBlobs {
    dir: PathBuf,
}

/// An upload being written to its `tmp-` file.
struct DiskWriter {
    file: File,
    tmp: PathBuf,
    target: PathBuf,
}

/// A blob file being read.
struct DiskReader {
    file: File,
    length: u32,
}

fn hex(id: &BlobId) -> String {
    id.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl DiskBlobs {
    /// Opens the blob folder in `data_dir`, creating it, and removes unfinished uploads.
    ///
    /// # Errors
    /// [`ServerError::Blobs`] if the folder cannot be created or read.
    pub fn open(data_dir: &Path) -> Result<Self, ServerError> {
        let dir = data_dir.join(BLOB_DIR_NAME);
        std::fs::create_dir_all(&dir).map_err(|e| ServerError::blobs(&dir, "create", &e))?;
        for entry in std::fs::read_dir(&dir).map_err(|e| ServerError::blobs(&dir, "read", &e))? {
            let entry = entry.map_err(|e| ServerError::blobs(&dir, "read", &e))?;
            if entry.file_name().to_string_lossy().starts_with("tmp-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Self { dir })
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
}

/// Removes every file of `dir` last written `ttl` or longer ago (blocking).
fn sweep_dir(dir: &Path, ttl: Duration, now: SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed: usize = 0;
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age >= ttl);
        if old && std::fs::remove_file(entry.path()).is_ok() {
            // Counts files of one directory.
            removed = removed.saturating_add(1);
        }
    }
    removed
}

impl BlobStore for DiskBlobs {
    fn create(
        &self,
        id: BlobId,
        _length: u32,
        persist: bool,
    ) -> BlobFuture<'_, Result<Box<dyn BlobWriter>, BlobStatus>> {
        Box::pin(async move {
            let tmp = self.dir.join(format!("tmp-{}", hex(&id)));
            let file = File::create(&tmp)
                .await
                .map_err(|_| BlobStatus::Unavailable)?;
            Ok(Box::new(DiskWriter {
                file,
                tmp,
                target: self.path(&id, persist),
            }) as Box<dyn BlobWriter>)
        })
    }

    fn open<'a>(
        &'a self,
        id: &'a BlobId,
    ) -> BlobFuture<'a, Result<Box<dyn BlobReader>, BlobStatus>> {
        Box::pin(async move {
            for persist in [false, true] {
                if let Ok(file) = File::open(self.path(id, persist)).await {
                    let length = file
                        .metadata()
                        .await
                        .ok()
                        .and_then(|m| u32::try_from(m.len()).ok())
                        .ok_or(BlobStatus::Unavailable)?;
                    return Ok(Box::new(DiskReader { file, length }) as Box<dyn BlobReader>);
                }
            }
            Err(BlobStatus::NotFound)
        })
    }

    fn done<'a>(&'a self, id: &'a BlobId) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            let _ = tokio::fs::remove_file(self.path(id, false)).await;
        })
    }

    fn sweep(&self, ttl: Duration) -> BlobFuture<'_, usize> {
        let dir = self.dir.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || sweep_dir(&dir, ttl, SystemTime::now()))
                .await
                .unwrap_or(0)
        })
    }

    fn count(&self) -> usize {
        std::fs::read_dir(&self.dir).map_or(0, |entries| {
            entries
                .flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with("tmp-"))
                .count()
        })
    }
}

impl BlobWriter for DiskWriter {
    fn write<'a>(&'a mut self, data: &'a [u8]) -> BlobFuture<'a, Result<(), BlobStatus>> {
        Box::pin(async move {
            self.file
                .write_all(data)
                .await
                .map_err(|_| BlobStatus::Unavailable)
        })
    }

    /// RELAY-19: flushed, renamed, and the folder flushed: durable when this returns.
    fn commit(mut self: Box<Self>) -> BlobFuture<'static, Result<(), BlobStatus>> {
        Box::pin(async move {
            let flushed = match self.file.flush().await {
                Ok(()) => self.file.sync_all().await,
                Err(error) => Err(error),
            };
            if flushed.is_err() || tokio::fs::rename(&self.tmp, &self.target).await.is_err() {
                let _ = tokio::fs::remove_file(&self.tmp).await;
                return Err(BlobStatus::Unavailable);
            }
            if let Some(dir) = self.target.parent().map(Path::to_owned) {
                tokio::task::spawn_blocking(move || crate::server::sync_dir(&dir))
                    .await
                    .map_err(|_| BlobStatus::Unavailable)?
                    .map_err(|_| BlobStatus::Unavailable)?;
            }
            Ok(())
        })
    }

    fn abort(self: Box<Self>) -> BlobFuture<'static, ()> {
        Box::pin(async move {
            let Self { file, tmp, .. } = *self;
            drop(file);
            let _ = tokio::fs::remove_file(&tmp).await;
        })
    }
}

impl BlobReader for DiskReader {
    fn length(&self) -> u32 {
        self.length
    }

    fn read(&mut self, max: usize) -> BlobFuture<'_, Result<Vec<u8>, BlobStatus>> {
        Box::pin(async move {
            let mut data = vec![0u8; max];
            self.file
                .read_exact(&mut data)
                .await
                .map_err(|_| BlobStatus::Unavailable)?;
            Ok(data)
        })
    }
}
