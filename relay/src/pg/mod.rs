//! The PostgreSQL store and cluster mode (spec/09-relay-cluster.md): several relay nodes
//! serve one set of identities from one PostgreSQL database.
//!
//! What lives where (CLU-1, CLU-2):
//! - the mailbox queue: [`PgStore`], a [`MessageStore`](crate::store::MessageStore) run by
//!   the same group [`Committer`](crate::store::Committer) as the embedded log, so a batch
//!   of appends and deletes is one transaction and a sender is acked only after its COMMIT;
//! - the key directory (TR-15): [`PgDirectory`], one unique row per identity;
//! - blobs (TR-24, TR-25): [`PgBlobs`], a [`BlobStore`](crate::server::BlobStore) like the
//!   blob folder of a single relay, in rows of bounded size (CLU-18, CLU-25 to CLU-29);
//! - presence, node leases and cross-node wake-ups: the `cluster` module, with `LISTEN/NOTIFY`.
//!
//! # Driving it
//! 1. [`PgConfig::new`] with the URL and node ID; [`crate::server::ServerConfig::cluster`].
//! 2. [`crate::server::start`] connects, applies the migrations ([`schema::migrate`]),
//!    registers the node and starts its listener; everything else is as for the embedded
//!    store.
//! 3. [`health::snapshot`] reads what `saltrelay relay health` prints.
//!
//! Every statement is in the `queries` module, verbatim as the spec lists it.

mod batch;
mod blobs;
pub(crate) mod cluster;
mod directory;
pub mod health;
mod queries;
pub mod schema;
mod store;
mod wake;

use std::time::Duration;

pub use blobs::{BLOB_ROW_LEN, PgBlobs};
pub use directory::PgDirectory;
pub use store::PgStore;

use crate::store::StoreError;

/// Default lease of a node and of the presence it holds (CLU-17).
pub const DEFAULT_LEASE_MS: u64 = 10_000;

/// Default rows of one page read of a mirror (CLU-14).
pub const DEFAULT_PAGE_ROWS: usize = 4_096;

/// How a relay node reaches its PostgreSQL database, and who it is (CLU-3, CLU-16).
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// `postgres://USER@HOST:PORT/DB` (libpq key-value strings work too).
    pub url: String,
    /// This node's ID, unique among the nodes of the database (CLU-16).
    pub node_id: String,
    /// Lease of the node and of its presence rows; renewed every third of it (CLU-17).
    pub lease_ms: u64,
    /// How often the node reloads the queues of its identities without being told to (a
    /// safety net only: wake-ups come by NOTIFY, CLU-14). Default 60 s.
    pub catch_up_interval_ms: u64,
    /// Rows one page read of a mirror returns at most (CLU-14); the next page is read when
    /// fewer than half of it are queued in memory. Default [`DEFAULT_PAGE_ROWS`].
    pub page_rows: usize,
}

impl PgConfig {
    /// The defaults for `url` and `node_id`.
    #[must_use]
    pub fn new(url: impl Into<String>, node_id: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            node_id: node_id.into(),
            lease_ms: DEFAULT_LEASE_MS,
            catch_up_interval_ms: 60_000,
            page_rows: DEFAULT_PAGE_ROWS,
        }
    }

    /// The lease as a duration.
    #[must_use]
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms.max(300))
    }
}

/// Whether `text` names a PostgreSQL store (`--store postgres://...`).
#[must_use]
pub fn is_postgres_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

/// A database error as a store error, naming what the relay was doing.
pub(crate) fn db_error(op: &'static str, error: &tokio_postgres::Error) -> StoreError {
    // The client's own text is only "db error" for a server error: name the server's
    // SQLSTATE and message (never its detail, which can quote row values such as identities).
    let reason = if let Some(db) = error.as_db_error() {
        format!("{} ({})", db.message(), db.code().code())
    } else {
        let mut reason = error.to_string();
        let mut cause = std::error::Error::source(error);
        while let Some(inner) = cause {
            reason.push_str(": ");
            reason.push_str(&inner.to_string());
            cause = inner.source();
        }
        reason
    };
    StoreError::Database { op, reason }
}

/// Connects one client, driving its connection on the current runtime (CLU-3: no TLS; the
/// database is on the node's machine or a trusted network), with the planner settings of
/// CLU-30.
pub(crate) async fn connect(url: &str) -> Result<tokio_postgres::Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| db_error("connect", &e))?;
    tokio::spawn(async move {
        // Ends when the client is dropped or the server goes away; the client then reports
        // every later call as closed and its owner reconnects.
        let _ = connection.await;
    });
    client
        .batch_execute(queries::PLANNER_SETTINGS)
        .await
        .map_err(|e| db_error("connect", &e))?;
    Ok(client)
}
