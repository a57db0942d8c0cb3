//! The mailbox queue in PostgreSQL: a [`MessageStore`] for the group committer
//! (spec/09-relay-cluster.md, CLU-6 to CLU-11, CLU-14, CLU-20).
//!
//! The committer calls a store from its own thread, synchronously; this store keeps a small
//! single-threaded tokio runtime of its own to drive its client there. One commit of the
//! committer is one transaction (CLU-7): the appends are pipelined inserts, the deletes one
//! statement, the wake-ups one `pg_notify` per recipient, then COMMIT. The completion that
//! acks the senders runs only after COMMIT returned (PostgreSQL's `synchronous_commit`
//! makes that durable, CLU-7).

use std::sync::Mutex;

use futures_util::future::try_join_all;
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use tokio_postgres::{Client, Row, Statement};

use super::{connect, db_error, queries, schema};
use crate::store::{
    BufferedMessage, Committed, Expired, Maintenance, MessageStore, QueueStats, QueuedRecord,
    RecordId, StoreError, StoreStats, StoredMessage, check_payloads,
};

/// Rows one expiry statement deletes at most (CLU-11); the sweep repeats until fewer come.
const EXPIRE_BATCH: i64 = 10_000;

/// A connected client with its prepared insert.
struct Connected {
    client: Client,
    insert: Statement,
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
                let client = connect(&self.url).await?;
                let insert = client
                    .prepare(queries::INSERT_MESSAGE)
                    .await
                    .map_err(|e| db_error("connect", &e))?;
                *slot = Some(Connected { client, insert });
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
        self.with_client(async |connected| {
            let transaction = connected.client.transaction().await.map_err(error)?;
            // CLU-8: the inserts are pipelined on the one connection, in order.
            let inserts = appends.iter().map(|m| {
                let flags = i16::from(m.flags);
                let deadline = i64_of(m.deadline.as_millis());
                let message_id = m.message_id.to_vec();
                let transaction = &transaction;
                let insert = &connected.insert;
                async move {
                    transaction
                        .query_one(
                            insert,
                            &[
                                &m.recipient.as_str(),
                                &m.sender.as_str(),
                                &message_id,
                                &flags,
                                &deadline,
                                &m.payload,
                            ],
                        )
                        .await
                }
            });
            let rows = try_join_all(inserts).await.map_err(error)?;
            let ids = rows
                .iter()
                .map(|row| RecordId(u64_of(row.get(0))))
                .collect();
            let erased = if deletes.is_empty() {
                0
            } else {
                // CLU-10.
                let ids: Vec<i64> = deletes.iter().map(|id| i64_of(id.0)).collect();
                transaction
                    .execute(queries::DELETE_MESSAGES, &[&ids])
                    .await
                    .map_err(error)?
            };
            if !appends.is_empty() {
                // CLU-13: delivered to the listeners only if this transaction commits.
                let mut recipients: Vec<&str> =
                    appends.iter().map(|m| m.recipient.as_str()).collect();
                recipients.sort_unstable();
                recipients.dedup();
                transaction
                    .execute(queries::NOTIFY_MAILBOXES, &[&recipients])
                    .await
                    .map_err(error)?;
            }
            // CLU-7: the senders are acked by the caller only after this returns.
            transaction.commit().await.map_err(error)?;
            Ok(Committed {
                ids,
                deleted: usize::try_from(erased).unwrap_or(usize::MAX),
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
                .query(queries::RECORDS_BY_ID, &[&recipient.as_str(), &ids])
                .await
                .map_err(|e| db_error("read", &e))?;
            rows.iter().map(stored_message).collect()
        })
    }

    fn queue_index(
        &self,
        recipient: &Identity,
        limit: usize,
    ) -> Result<Vec<QueuedRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_client(async |connected| {
            let rows = connected
                .client
                .query(queries::QUEUE_INDEX, &[&recipient.as_str(), &limit])
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
