//! Blobs: encrypted files uploaded in chunks over the connection, kept until downloaded and
//! done or expired (TR-24, TR-25, RELAY-19; shared by every node of a cluster, CLU-18).
//!
//! One boundary, two stores: [`BlobStore`] is where the bytes go, implemented by the folder
//! of a single relay ([`DiskBlobs`], RELAY-19) and by PostgreSQL for a cluster
//! (`crate::pg::PgBlobs`, CLU-18, CLU-25 to CLU-29). What both share is here, once: the
//! length limit, the random blob ID, and the checks that an upload's chunks continue it
//! (TR-24) and that a download's chunks lay the blob out in order (TR-25). Neither store holds
//! a blob whole in memory: an upload is written as it arrives, a download read as the socket
//! drains.
//!
//! Driving steps (the connection, `conn/payload.rs`):
//! 1. [`Blobs::begin_upload`], then [`Upload::write_chunk`] per chunk; [`Upload::finish`]
//!    once it says every byte arrived: the blob is durable when it returns its ID. A failed
//!    or cut-off upload is [`Upload::abort`]ed.
//! 2. [`Blobs::begin_download`], then [`Download::next_chunk`] while the socket keeps up.
//! 3. [`Blobs::done`] on `blob_done`; [`Blobs::sweep`] from the sweeper (RELAY-18).

mod disk;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rand_core::CryptoRng;
use saltrelay_protocol::transport::payload::{BlobId, BlobStatus};

pub use disk::{BLOB_DIR_NAME, DiskBlobs};

use super::ServerError;

/// A boxed future of a blob store: the stores are chosen at start, behind `dyn`.
pub type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where blobs are kept (RELAY-19, CLU-18). Every method reports a failure as the status the
/// client gets (TR-24, TR-25).
pub trait BlobStore: Send + Sync + core::fmt::Debug {
    /// Starts storing a new blob `id` of `length` bytes; invisible to downloads until its
    /// writer commits.
    fn create(
        &self,
        id: BlobId,
        length: u32,
        persist: bool,
    ) -> BlobFuture<'_, Result<Box<dyn BlobWriter>, BlobStatus>>;

    /// Opens a stored blob for reading: `not_found` if there is none (or it is not complete).
    fn open<'a>(
        &'a self,
        id: &'a BlobId,
    ) -> BlobFuture<'a, Result<Box<dyn BlobReader>, BlobStatus>>;

    /// The client has the blob (`blob_done`): delete it unless it was uploaded with persist.
    fn done<'a>(&'a self, id: &'a BlobId) -> BlobFuture<'a, ()>;

    /// Deletes every blob stored for `ttl` or longer, and what cut-off uploads left;
    /// returns how many blobs were deleted (RELAY-18, RELAY-19, CLU-28).
    fn sweep(&self, ttl: Duration) -> BlobFuture<'_, usize>;

    /// How many blobs are stored (for statistics; see each store for how exact).
    fn count(&self) -> usize;
}

/// The bytes of one upload on their way into a store, in order (the offsets were checked).
pub trait BlobWriter: Send + Sync {
    /// Appends the next bytes of the blob.
    fn write<'a>(&'a mut self, data: &'a [u8]) -> BlobFuture<'a, Result<(), BlobStatus>>;

    /// Every byte was written: make the blob durable and visible. The upload is acked only
    /// after this returned `Ok`.
    fn commit(self: Box<Self>) -> BlobFuture<'static, Result<(), BlobStatus>>;

    /// Drops the unfinished blob and what was written of it.
    fn abort(self: Box<Self>) -> BlobFuture<'static, ()>;
}

/// The bytes of one stored blob on their way out, in order.
pub trait BlobReader: Send + Sync {
    /// The blob's length in bytes.
    fn length(&self) -> u32;

    /// The next bytes, at most `max` and at least one while any are left.
    fn read(&mut self, max: usize) -> BlobFuture<'_, Result<Vec<u8>, BlobStatus>>;
}

/// The blob store of a relay, with its limit and TTL. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Blobs {
    store: Arc<dyn BlobStore>,
    max_len: u32,
    ttl: Duration,
}

/// An upload in progress (TR-24).
pub struct Upload {
    /// The request ID the client named it by.
    pub request_id: u32,
    id: BlobId,
    writer: Box<dyn BlobWriter>,
    length: u32,
    received: u32,
}

/// A download in progress (TR-25).
pub struct Download {
    /// The request ID the client named it by.
    pub request_id: u32,
    reader: Box<dyn BlobReader>,
    length: u32,
    sent: u32,
}

impl core::fmt::Debug for Upload {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Upload")
            .field("request_id", &self.request_id)
            .field("length", &self.length)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for Download {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Download")
            .field("request_id", &self.request_id)
            .field("length", &self.length)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl Blobs {
    /// RELAY-19: the blob folder in `data_dir` (created; unfinished uploads removed).
    ///
    /// # Errors
    /// [`ServerError::Blobs`] if the folder cannot be created or read.
    pub fn open(
        data_dir: &std::path::Path,
        max_len: u32,
        ttl_ms: u64,
    ) -> Result<Self, ServerError> {
        Ok(Self::new(DiskBlobs::open(data_dir)?, max_len, ttl_ms))
    }

    /// Blobs kept in `store`, at most `max_len` bytes each, for `ttl_ms`.
    #[must_use]
    pub fn new(store: impl BlobStore + 'static, max_len: u32, ttl_ms: u64) -> Self {
        Self {
            store: Arc::new(store),
            max_len,
            ttl: Duration::from_millis(ttl_ms),
        }
    }

    /// Starts an upload of `length` bytes under a new random ID.
    ///
    /// # Errors
    /// `too_large` above the limit (TR-25), `unavailable` if the store cannot take it.
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
        // TR-24: a new 16-byte random ID.
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let writer = self.store.create(id, length, persist).await?;
        Ok(Upload {
            request_id,
            id,
            writer,
            length,
            received: 0,
        })
    }

    /// Opens a blob for download.
    ///
    /// # Errors
    /// `not_found` if there is no such blob, `unavailable` if the store cannot be read.
    pub async fn begin_download(
        &self,
        request_id: u32,
        id: &BlobId,
    ) -> Result<Download, BlobStatus> {
        let reader = self.store.open(id).await?;
        let length = reader.length();
        Ok(Download {
            request_id,
            reader,
            length,
            sent: 0,
        })
    }

    /// The client has the blob: delete it unless it was uploaded with persist (TR-25).
    pub async fn done(&self, id: &BlobId) {
        self.store.done(id).await;
    }

    /// Deletes every blob older than the blob TTL (RELAY-19); returns how many.
    pub async fn sweep(&self) -> usize {
        self.store.sweep(self.ttl).await
    }

    /// How many blobs are stored (finished uploads).
    #[must_use]
    pub fn count(&self) -> usize {
        self.store.count()
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
        self.writer.write(data).await?;
        self.received = end;
        Ok(self.received == self.length)
    }

    /// Commits the blob and returns its ID; the blob is durable when this returns `Ok`.
    ///
    /// # Errors
    /// `unavailable` if the store cannot commit it (the blob is then dropped).
    pub async fn finish(self) -> Result<BlobId, BlobStatus> {
        debug_assert_eq!(self.received, self.length, "finished before the last byte");
        self.writer.commit().await?;
        Ok(self.id)
    }

    /// Drops an unfinished upload and what was stored of it.
    pub async fn abort(self) {
        self.writer.abort().await;
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
    /// `unavailable` if the store cannot be read or the blob ends early (deleted meanwhile).
    pub async fn next_chunk(&mut self, max: usize) -> Result<Option<(u32, Vec<u8>)>, BlobStatus> {
        // `sent` counts bytes read so far, at most `length`.
        let left = self.length.saturating_sub(self.sent) as usize;
        if left == 0 {
            return Ok(None);
        }
        let data = self.reader.read(left.min(max)).await?;
        if data.is_empty() || data.len() > left.min(max) {
            return Err(BlobStatus::Unavailable);
        }
        let offset = self.sent;
        self.sent = self
            .sent
            .saturating_add(u32::try_from(data.len()).expect("at most one chunk"));
        Ok(Some((offset, data)))
    }
}
