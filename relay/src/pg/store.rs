//! The mailbox queue in PostgreSQL: a [`MessageStore`] for the group committer
//! (spec/09-relay-cluster.md, CLU-6 to CLU-11, CLU-13, CLU-14, CLU-20).
//!
//! The committer calls a store from its own thread, synchronously; this store keeps a small
//! single-threaded tokio runtime of its own to drive its client there. One commit of the
//! committer is two pipelined round trips (CLU-7): `BEGIN`, the batch's one insert (CLU-8)
//! and its deletions (CLU-10); then `COMMIT` and the wake-up transaction (CLU-13), which
//! notifies outside the data transaction so that PostgreSQL's server-wide NOTIFY lock is
//! never held across a WAL flush. The completion that acks the senders runs only after both
//! commits returned (PostgreSQL's `synchronous_commit` makes the first durable, CLU-7).

use std::sync::Mutex;

use futures_util::future::{try_join_all, try_join3, try_join5};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use tokio_postgres::{Client, Row, Statement};

use super::batch::{InsertBatch, wake_up_payloads};
use super::{connect, db_error, queries, schema};
use crate::store::{
    BufferedMessage, Committed, Expired, Maintenance, MessageStore, QueueStats, QueuedRecord,
    RecordId, StoreError, StoreStats, StoredMessage, check_payloads,
};

/// Rows one expiry statement deletes at most (CLU-11); the sweep repeats until fewer come.
const EXPIRE_BATCH: i64 = 10_000;

/// A connected client with its prepared statements (CLU-7: an unprepared statement costs a
/// round trip of its own).
struct Connected {
    client: Client,
    insert: Statement,
    delete: Statement,
    wake_up_async: Statement,
    notify: Statement,
    records: Statement,
    index: Statement,
    announced: Statement,
}

impl Connected {
    /// Connects and prepares every statement the queue uses, in one pipelined round trip.
    async fn open(url: &str) -> Result<Self, StoreError> {
        let client = connect(url).await?;
        let texts = [
            queries::INSERT_MESSAGES,
            queries::DELETE_MESSAGES,
            queries::WAKE_UP_ASYNC,
            queries::NOTIFY_MAILBOXES,
            queries::RECORDS_BY_ID,
            queries::QUEUE_INDEX,
            queries::ANNOUNCED_RECORDS,
        ];
        let prepared = try_join_all(texts.iter().map(|text| client.prepare(text)))
            .await
            .map_err(|e| db_error("connect", &e))?;
        let [
            insert,
            delete,
            wake_up_async,
            notify,
            records,
            index,
            announced,
        ] = <[Statement; 7]>::try_from(prepared).expect("one statement per text");
        Ok(Self {
            client,
            insert,
            delete,
            wake_up_async,
            notify,
            records,
            index,
            announced,
        })
    }
}

/// The PostgreSQL mailbox queue. Reconnects on the request after a failed one (CLU-7): a
/// failure is reported to the requests that saw it and does not poison the store.
pub struct PgStore {
    runtime: tokio::runtime::Runtime,
    url: String,
    connected: Mutex<Option<Connected>>,
}

impl core::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects and applies the migrations (CLU-5). Blocking: call it off an async runtime
    /// (from `spawn_blocking`, say).
    ///
    /// # Errors
    /// [`StoreError::Database`] if the database cannot be reached or migrated;
    /// [`StoreError::Io`] if the store's runtime cannot start.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::io("open", e))?;
        let store = Self {
            runtime,
            url: url.to_owned(),
            connected: Mutex::new(None),
        };
        store.runtime.block_on(async {
            let mut client = connect(url).await?;
            schema::migrate(&mut client).await.map(drop)
        })?;
        Ok(store)
    }

    /// Runs `f` with a connected client, connecting first if there is none; a failure
    /// drops the client so that the next call reconnects.
    fn with_client<R>(
        &self,
        f: impl AsyncFnOnce(&mut Connected) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut slot = self
            .connected
            .lock()
            .expect("no panic under the store lock");
        self.runtime.block_on(async {
            if slot.as_ref().is_none_or(|c| c.client.is_closed()) {
                *slot = None;
                *slot = Some(Connected::open(&self.url).await?);
            }
            let connected = slot.as_mut().expect("connected above");
            let result = f(connected).await;
            if result.is_err() {
                *slot = None;
            }
            result
        })
    }

    /// A read whose failure is logged and reported as nothing (the trait's statistics
    /// methods cannot fail).
    fn read_or_default<R: Default>(
        &self,
        what: &str,
        f: impl AsyncFnOnce(&mut Connected) -> Result<R, StoreError>,
    ) -> R {
        self.with_client(f).unwrap_or_else(|error| {
            eprintln!("saltrelay relay: {what}: {error}");
            R::default()
        })
    }
}

fn identity_of(text: &str) -> Result<Identity, StoreError> {
    text.parse().map_err(|_| StoreError::Database {
        op: "read",
        reason: "a stored identity does not parse".into(),
    })
}

fn i64_of(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn u64_of(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn message_id_of(bytes: &[u8]) -> Result<[u8; 8], StoreError> {
    bytes.try_into().map_err(|_| StoreError::Database {
        op: "read",
        reason: "a stored message ID is not 8 bytes".into(),
    })
}

/// CLU-9: one row of [`queries::QUEUE_PAGE`].
fn stored_message(row: &Row) -> Result<StoredMessage, StoreError> {
    let flags: i16 = row.get(4);
    Ok(StoredMessage {
        id: RecordId(u64_of(row.get(0))),
        message: BufferedMessage {
            recipient: identity_of(row.get(1))?,
            sender: identity_of(row.get(2))?,
            message_id: message_id_of(row.get(3))?,
            flags: u8::try_from(flags).unwrap_or(0),
            deadline: Timestamp::from_millis(u64_of(row.get(5))),
            payload: row.get(6),
        },
    })
}

impl MessageStore for PgStore {
    fn commit(
        &mut self,
        appends: &[BufferedMessage],
        deletes: &[RecordId],
    ) -> Result<Committed, StoreError> {
        check_payloads(appends)?;
        let error = |e: tokio_postgres::Error| db_error("commit", &e);
        let batch = InsertBatch::new(appends);
        let deletes: Vec<i64> = deletes.iter().map(|id| i64_of(id.0)).collect();
        self.with_client(async |connected| {
            let client = &connected.client;
            if batch.is_empty() {
                // Deletions only (CLU-10): one statement, its own transaction, no wake-up.
                let erased = if deletes.is_empty() {
                    0
                } else {
                    client
                        .execute(&connected.delete, &[&deletes])
                        .await
                        .map_err(error)?
                };
                return Ok(Committed {
                    ids: Vec::new(),
                    deleted: usize::try_from(erased).unwrap_or(usize::MAX),
                });
            }
            // CLU-7 (1): BEGIN, the insert (CLU-8) and the deletion (CLU-10), pipelined.
            let delete = async {
                if deletes.is_empty() {
                    Ok(0)
                } else {
                    client.execute(&connected.delete, &[&deletes]).await
                }
            };
            let ((), rows, erased) = try_join3(
                client.batch_execute("BEGIN"),
                client.query(&connected.insert, &batch.params()),
                delete,
            )
            .await
            .map_err(error)?;
            let ids = batch.ids(&rows)?;
            let erased = usize::try_from(erased).unwrap_or(usize::MAX);
            // CLU-7 (2), CLU-13: COMMIT, then the wake-ups in a transaction of their own that
            // does not wait for its flush, so that PostgreSQL's server-wide NOTIFY lock is
            // never held across one. The caller acks the senders only after both returned.
            let payloads = wake_up_payloads(appends, &ids);
            try_join5(
                client.batch_execute("COMMIT"),
                client.batch_execute("BEGIN"),
                client.execute(&connected.wake_up_async, &[]),
                client.execute(&connected.notify, &[&payloads]),
                client.batch_execute("COMMIT"),
            )
            .await
            .map_err(error)?;
            Ok(Committed {
                ids,
                deleted: erased,
            })
        })
    }

    fn load_queue_page(
        &self,
        recipient: &Identity,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let after = after.map_or(0, |id| i64_of(id.0));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_client(async |connected| {
            let rows = connected
                .client
                .query(queries::QUEUE_PAGE, &[&recipient.as_str(), &after, &limit])
                .await
                .map_err(|e| db_error("read", &e))?;
            rows.iter().map(stored_message).collect()
        })
    }

    fn load_records(
        &self,
        recipient: &Identity,
        ids: &[RecordId],
        _span: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let ids: Vec<i64> = ids.iter().map(|id| i64_of(id.0)).collect();
        self.with_client(async |connected| {
            // CLU-9: by ID, since the queue may hold rows this node does not (yet) hold.
            let rows = connected
                .client
                .query(&connected.records, &[&recipient.as_str(), &ids])
                .await
                .map_err(|e| db_error("read", &e))?;
            rows.iter().map(stored_message).collect()
        })
    }

    fn queue_index(
        &self,
        recipient: &Identity,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Vec<QueuedRecord>, StoreError> {
        let after = after.map_or(0, |id| i64_of(id.0));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_client(async |connected| {
            // CLU-14: the page read of a node's mirror.
            let rows = connected
                .client
                .query(&connected.index, &[&recipient.as_str(), &after, &limit])
                .await
                .map_err(|e| db_error("read", &e))?;
            rows.iter()
                .map(|row| {
                    let flags: i16 = row.get(3);
                    let len: i32 = row.get(5);
                    Ok(QueuedRecord {
                        id: RecordId(u64_of(row.get(0))),
                        recipient: *recipient,
                        sender: identity_of(row.get(1))?,
                        message_id: message_id_of(row.get(2))?,
                        flags: u8::try_from(flags).unwrap_or(0),
                        deadline: Timestamp::from_millis(u64_of(row.get(4))),
                        len: u32::try_from(len).unwrap_or(0),
                    })
                })
                .collect()
        })
    }

    fn load_announced(
        &self,
        ids: &[(Identity, RecordId)],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let ids: Vec<i64> = ids.iter().map(|(_, id)| i64_of(id.0)).collect();
        self.with_client(async |connected| {
            // CLU-14: the wake-up read, every announced row in one statement.
            let rows = connected
                .client
                .query(&connected.announced, &[&ids])
                .await
                .map_err(|e| db_error("read", &e))?;
            rows.iter().map(stored_message).collect()
        })
    }

    fn recipients(&self) -> Vec<Identity> {
        self.read_or_default("recipients", async |connected| {
            let rows = connected
                .client
                .query(queries::RECIPIENTS, &[])
                .await
                .map_err(|e| db_error("read", &e))?;
            rows.iter().map(|row| identity_of(row.get(0))).collect()
        })
    }

    fn queue_stats(&self, recipient: &Identity) -> QueueStats {
        self.read_or_default("queue stats", async |connected| {
            let row = connected
                .client
                .query_one(queries::QUEUE_STATS, &[&recipient.as_str()])
                .await
                .map_err(|e| db_error("read", &e))?;
            Ok(QueueStats {
                messages: u64_of(row.get(0)),
                payload_bytes: u64_of(row.get(1)),
            })
        })
    }

    fn expire(&mut self, now: Timestamp) -> Result<Vec<Expired>, StoreError> {
        let now = i64_of(now.as_millis());
        self.with_client(async |connected| {
            let mut expired = Vec::new();
            loop {
                // CLU-11: each statement commits on its own; a row is deleted once, by
                // whichever node's statement locked it.
                let rows = connected
                    .client
                    .query(queries::EXPIRE_MESSAGES, &[&now, &EXPIRE_BATCH])
                    .await
                    .map_err(|e| db_error("expire", &e))?;
                for row in &rows {
                    expired.push(Expired {
                        id: RecordId(u64_of(row.get(0))),
                        recipient: identity_of(row.get(1))?,
                    });
                }
                if i64::try_from(rows.len()).unwrap_or(i64::MAX) < EXPIRE_BATCH {
                    return Ok(expired);
                }
            }
        })
    }

    fn maintain(&mut self) -> Result<Maintenance, StoreError> {
        // CLU-6: space is PostgreSQL's business (autovacuum).
        Ok(Maintenance::default())
    }

    fn stats(&self) -> StoreStats {
        self.read_or_default("store stats", async |connected| {
            let row = connected
                .client
                .query_one(queries::STORE_STATS, &[])
                .await
                .map_err(|e| db_error("read", &e))?;
            Ok(StoreStats {
                messages: u64_of(row.get(0)),
                payload_bytes: u64_of(row.get(1)),
                recipients: u64_of(row.get(2)),
                ..StoreStats::default()
            })
        })
    }
}
