//! Blobs in PostgreSQL, shared by every node of a cluster (spec/09-relay-cluster.md, CLU-18,
//! CLU-25 to CLU-29): the [`BlobStore`] of cluster mode.
//!
//! A blob is one `blob` row and its bytes in `blob_chunk` rows of [`BLOB_ROW_LEN`] bytes
//! (the last one shorter), numbered from 0. An upload gathers one row's worth of bytes at a
//! time and inserts it (autocommit), so a node holds at most one row per upload, never the
//! blob; the blob becomes visible, and durable, when the statement that checks every byte
//! arrived and marks it complete commits, and only then is the upload acked (CLU-26). A
//! download reads one row at a time as the socket drains (CLU-27).
//!
//! The store has its own client, shared by the node's transfers (the client pipelines their
//! statements); a failed statement fails only its transfer (`unavailable`), and a closed
//! connection is replaced on the next request (CLU-3).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use saltrelay_protocol::transport::payload::{BlobId, BlobStatus};
use tokio_postgres::Client;

use super::{connect, db_error, queries};
use crate::server::{BlobFuture, BlobReader, BlobStore, BlobWriter};
use crate::store::StoreError;

/// Bytes of one `blob_chunk` row, all but a blob's last (CLU-26): what a node holds at most
/// per upload and per download.
pub const BLOB_ROW_LEN: usize = 256 * 1024;
/// Blobs one expiry statement deletes at most; the sweep repeats until fewer come (CLU-28).
const EXPIRE_BATCH: i64 = 100;

/// The blobs of a cluster in its database. Cheap to share.
#[derive(Debug, Clone)]
pub struct PgBlobs {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    url: String,
    node_id: String,
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
    /// Complete blobs in the database at the last sweep (or start), for statistics.
    count: AtomicUsize,
}

/// An upload: the bytes of the row being gathered.
struct PgWriter {
    inner: Arc<Inner>,
    id: BlobId,
    row: Vec<u8>,
    seq: i32,
}

/// A download: the row being sent.
struct PgReader {
    inner: Arc<Inner>,
    id: BlobId,
    length: u32,
    seq: i32,
    row: Vec<u8>,
    at: usize,
}

/// A failed statement: logged (never with the blob's bytes or ID), and `unavailable` for the
/// client (TR-24, TR-25).
fn failed(op: &'static str, error: &tokio_postgres::Error) -> BlobStatus {
    eprintln!("saltrelay relay: blobs: {}", db_error(op, error));
    BlobStatus::Unavailable
}

impl PgBlobs {
    /// Connects, and deletes what uploads of an earlier instance of this node left
    /// unfinished (CLU-28). The schema is the migrations' (CLU-5), applied before.
    ///
    /// # Errors
    /// [`StoreError::Database`] if the database cannot be reached.
    pub async fn open(url: &str, node_id: &str) -> Result<Self, StoreError> {
        let client = connect(url).await?;
        client
            .execute(queries::CLEAR_NODE_UPLOADS, &[&node_id])
            .await
            .map_err(|e| db_error("open blobs", &e))?;
        let count: i64 = client
            .query_one(queries::COUNT_BLOBS, &[])
            .await
            .map_err(|e| db_error("open blobs", &e))?
            .get(0);
        Ok(Self {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                node_id: node_id.to_owned(),
                client: tokio::sync::Mutex::new(Some(Arc::new(client))),
                count: AtomicUsize::new(usize::try_from(count).unwrap_or(0)),
            }),
        })
    }
}

impl Inner {
    /// The shared client, connecting first if there is none or it closed.
    async fn client(&self) -> Result<Arc<Client>, BlobStatus> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(client));
        }
        *slot = None;
        let client = Arc::new(connect(&self.url).await.map_err(|error| {
            eprintln!("saltrelay relay: blobs: {error}");
            BlobStatus::Unavailable
        })?);
        *slot = Some(Arc::clone(&client));
        Ok(client)
    }

    /// CLU-26: drops an unfinished blob and its rows (best effort: what is left is swept).
    async fn abort(&self, id: &BlobId) {
        let id: &[u8] = id;
        if let Ok(client) = self.client().await {
            let _ = client.execute(queries::ABORT_BLOB, &[&id]).await;
        }
    }
}

impl BlobStore for PgBlobs {
    fn create(
        &self,
        id: BlobId,
        length: u32,
        persist: bool,
    ) -> BlobFuture<'_, Result<Box<dyn BlobWriter>, BlobStatus>> {
        Box::pin(async move {
            let client = self.inner.client().await?;
            let key: &[u8] = &id;
            client
                .execute(
                    queries::CREATE_BLOB,
                    &[&key, &i64::from(length), &persist, &self.inner.node_id],
                )
                .await
                .map_err(|e| failed("create blob", &e))?;
            let capacity = BLOB_ROW_LEN.min(length as usize);
            Ok(Box::new(PgWriter {
                inner: Arc::clone(&self.inner),
                id,
                row: Vec::with_capacity(capacity),
                seq: 0,
            }) as Box<dyn BlobWriter>)
        })
    }

    fn open<'a>(
        &'a self,
        id: &'a BlobId,
    ) -> BlobFuture<'a, Result<Box<dyn BlobReader>, BlobStatus>> {
        Box::pin(async move {
            let client = self.inner.client().await?;
            let key: &[u8] = id;
            let row = client
                .query_opt(queries::OPEN_BLOB, &[&key])
                .await
                .map_err(|e| failed("open blob", &e))?
                .ok_or(BlobStatus::NotFound)?;
            let length =
                u32::try_from(row.get::<_, i64>(0)).map_err(|_| BlobStatus::Unavailable)?;
            Ok(Box::new(PgReader {
                inner: Arc::clone(&self.inner),
                id: *id,
                length,
                seq: 0,
                row: Vec::new(),
                at: 0,
            }) as Box<dyn BlobReader>)
        })
    }

    fn done<'a>(&'a self, id: &'a BlobId) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            let key: &[u8] = id;
            if let Ok(client) = self.inner.client().await
                && let Err(error) = client.execute(queries::DONE_BLOB, &[&key]).await
            {
                // The blob then goes at its TTL (CLU-28).
                let _ = failed("delete blob", &error);
            }
        })
    }

    fn sweep(&self, ttl: Duration) -> BlobFuture<'_, usize> {
        Box::pin(async move {
            let Ok(client) = self.inner.client().await else {
                return 0;
            };
            let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
            let mut deleted: usize = 0;
            loop {
                match client
                    .query(queries::EXPIRE_BLOBS, &[&ttl_ms, &EXPIRE_BATCH])
                    .await
                {
                    Ok(rows) => {
                        deleted = deleted.saturating_add(rows.len());
                        if i64::try_from(rows.len()).unwrap_or(i64::MAX) < EXPIRE_BATCH {
                            break;
                        }
                    }
                    Err(error) => {
                        let _ = failed("expire blobs", &error);
                        return deleted;
                    }
                }
            }
            match client.execute(queries::SWEEP_ORPHAN_UPLOADS, &[]).await {
                Ok(orphans) => {
                    deleted = deleted.saturating_add(usize::try_from(orphans).unwrap_or(0));
                }
                Err(error) => {
                    let _ = failed("sweep unfinished uploads", &error);
                }
            }
            if let Ok(row) = client.query_one(queries::COUNT_BLOBS, &[]).await {
                let count = usize::try_from(row.get::<_, i64>(0)).unwrap_or(0);
                self.inner.count.store(count, Ordering::Relaxed);
            }
            deleted
        })
    }

    /// CLU-29: the complete blobs in the database (every node's) at this node's last sweep.
    fn count(&self) -> usize {
        self.inner.count.load(Ordering::Relaxed)
    }
}

impl PgWriter {
    /// CLU-26: one full row (or the last, shorter one) into the database.
    async fn flush(&mut self) -> Result<(), BlobStatus> {
        let client = self.inner.client().await?;
        let key: &[u8] = &self.id;
        let data: &[u8] = &self.row;
        client
            .execute(queries::INSERT_BLOB_CHUNK, &[&key, &self.seq, &data])
            .await
            .map_err(|e| failed("store blob chunk", &e))?;
        self.seq = self.seq.checked_add(1).ok_or(BlobStatus::TooLarge)?;
        self.row.clear();
        Ok(())
    }
}

impl BlobWriter for PgWriter {
    fn write<'a>(&'a mut self, data: &'a [u8]) -> BlobFuture<'a, Result<(), BlobStatus>> {
        Box::pin(async move {
            let mut rest = data;
            while !rest.is_empty() {
                let room = BLOB_ROW_LEN.saturating_sub(self.row.len());
                let (now, later) = rest.split_at(room.min(rest.len()));
                self.row.extend_from_slice(now);
                rest = later;
                if self.row.len() == BLOB_ROW_LEN {
                    self.flush().await?;
                }
            }
            Ok(())
        })
    }

    fn commit(mut self: Box<Self>) -> BlobFuture<'static, Result<(), BlobStatus>> {
        Box::pin(async move {
            let committed: Result<(), BlobStatus> = async {
                if !self.row.is_empty() {
                    self.flush().await?;
                }
                let client = self.inner.client().await?;
                let key: &[u8] = &self.id;
                // CLU-26: the commit point; no row unless every byte is stored.
                let completed = client
                    .execute(queries::COMPLETE_BLOB, &[&key])
                    .await
                    .map_err(|e| failed("complete blob", &e))?;
                if completed == 1 {
                    Ok(())
                } else {
                    eprintln!(
                        "saltrelay relay: blobs: an upload ended with bytes missing in the \
                         database (deleted by a sweep?); refused"
                    );
                    Err(BlobStatus::Unavailable)
                }
            }
            .await;
            if committed.is_err() {
                self.inner.abort(&self.id).await;
            }
            committed
        })
    }

    fn abort(self: Box<Self>) -> BlobFuture<'static, ()> {
        Box::pin(async move { self.inner.abort(&self.id).await })
    }
}

impl BlobReader for PgReader {
    fn length(&self) -> u32 {
        self.length
    }

    fn read(&mut self, max: usize) -> BlobFuture<'_, Result<Vec<u8>, BlobStatus>> {
        Box::pin(async move {
            if self.at >= self.row.len() {
                // CLU-27: the next row, only once the last one was sent.
                let client = self.inner.client().await?;
                let key: &[u8] = &self.id;
                let row = client
                    .query_opt(queries::READ_BLOB_CHUNK, &[&key, &self.seq])
                    .await
                    .map_err(|e| failed("read blob chunk", &e))?
                    // Deleted meanwhile (done elsewhere, or expired): the download ends short.
                    .ok_or(BlobStatus::Unavailable)?;
                self.row = row.get(0);
                self.at = 0;
                self.seq = self.seq.checked_add(1).ok_or(BlobStatus::Unavailable)?;
                if self.row.is_empty() {
                    return Err(BlobStatus::Unavailable);
                }
            }
            let end = self.row.len().min(self.at.saturating_add(max));
            let data = self
                .row
                .get(self.at..end)
                .ok_or(BlobStatus::Unavailable)?
                .to_vec();
            self.at = end;
            Ok(data)
        })
    }
}
