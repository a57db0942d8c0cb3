//! What `saltrelay relay health` reads from the database: nodes with their leases, the
//! identities each holds, the queue depths and the blobs (spec/09-relay-cluster.md, CLU-20).

use super::{connect, db_error, queries, schema};
use crate::store::StoreError;

/// One registered node (CLU-16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeHealth {
    /// Its node ID.
    pub node_id: String,
    /// The address it listens on, as it registered it.
    pub listen: String,
    /// Its current instance (new at each start).
    pub instance: i64,
    /// When that instance started, in ms since the Unix epoch.
    pub started_ms: i64,
    /// Time left on its lease in ms; negative once it ran out (the node is dead or stalled).
    pub lease_left_ms: i64,
    /// Whether it was asked to drain (CLU-19).
    pub draining: bool,
    /// Identities whose presence it holds with a live lease (CLU-15).
    pub identities: i64,
}

impl NodeHealth {
    /// Whether its lease is live.
    #[must_use]
    pub fn alive(&self) -> bool {
        self.lease_left_ms > 0
    }
}

/// One recipient's queue depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    /// The recipient.
    pub recipient: String,
    /// Queued messages.
    pub messages: i64,
    /// Their payload bytes.
    pub bytes: i64,
}

/// The blobs of the database (CLU-20, CLU-25), read without reading any blob's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobHealth {
    /// Complete blobs: those a download finds (CLU-27).
    pub stored: i64,
    /// The sum of their lengths.
    pub stored_bytes: i64,
    /// Incomplete blobs: uploads running, or cut off and not yet dropped (CLU-26).
    pub uploads: i64,
    /// The bytes of the rows those uploads stored so far (not what a node still gathers).
    pub upload_bytes: i64,
    /// Uploads whose node has no live lease: the next sweep of any node deletes them (CLU-28).
    pub orphaned_uploads: i64,
}

/// A cluster's state (CLU-20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Schema version of the database (CLU-5).
    pub schema_version: i32,
    /// The nodes, by ID.
    pub nodes: Vec<NodeHealth>,
    /// Queued messages in all.
    pub messages: i64,
    /// Their payload bytes.
    pub bytes: i64,
    /// Recipients with a queue.
    pub recipients: i64,
    /// Bound identities (CLU-12).
    pub bindings: i64,
    /// The deepest queues, deepest first.
    pub deepest: Vec<QueueDepth>,
    /// Stored blobs and uploads in progress.
    pub blobs: BlobHealth,
}

/// Reads the cluster's state; `top` is how many of the deepest queues to list. Changes
/// nothing (it does not migrate either).
///
/// # Errors
/// [`StoreError::Database`] if the database cannot be read or has no relay schema.
pub async fn snapshot(url: &str, top: i64) -> Result<Health, StoreError> {
    let client = connect(url).await?;
    let error = |e: tokio_postgres::Error| db_error("health", &e);
    let versions = client
        .query(queries::APPLIED_VERSIONS, &[])
        .await
        .map_err(error)?;
    let schema_version = versions
        .iter()
        .map(|r| r.get::<_, i32>(0))
        .max()
        .unwrap_or(0);
    if schema_version > schema::current_version() {
        return Err(StoreError::Database {
            op: "health",
            reason: format!("schema version {schema_version} is newer than this build's"),
        });
    }
    let nodes = client
        .query(queries::HEALTH_NODES, &[])
        .await
        .map_err(error)?
        .iter()
        .map(|row| NodeHealth {
            node_id: row.get(0),
            listen: row.get(1),
            instance: row.get(2),
            started_ms: row.get(3),
            lease_left_ms: row.get(4),
            draining: row.get(5),
            identities: row.get(6),
        })
        .collect();
    let totals = client
        .query_one(queries::STORE_STATS, &[])
        .await
        .map_err(error)?;
    let bindings = client
        .query_one(queries::COUNT_KEYS, &[])
        .await
        .map_err(error)?;
    let deepest = client
        .query(queries::HEALTH_QUEUES, &[&top])
        .await
        .map_err(error)?
        .iter()
        .map(|row| QueueDepth {
            recipient: row.get(0),
            messages: row.get(1),
            bytes: row.get(2),
        })
        .collect();
    Ok(Health {
        schema_version,
        nodes,
        messages: totals.get(0),
        bytes: totals.get(1),
        recipients: totals.get(2),
        bindings: bindings.get(0),
        deepest,
        blobs: blob_health(&client).await?,
    })
}

/// CLU-20: the blob figures, from `blob` and the sizes of `blob_chunk` rows of incomplete
/// blobs only.
async fn blob_health(client: &tokio_postgres::Client) -> Result<BlobHealth, StoreError> {
    let error = |e: tokio_postgres::Error| db_error("health", &e);
    let stored = client
        .query_one(queries::HEALTH_BLOBS, &[])
        .await
        .map_err(error)?;
    let uploads = client
        .query_one(queries::HEALTH_UPLOADS, &[])
        .await
        .map_err(error)?;
    Ok(BlobHealth {
        stored: stored.get(0),
        stored_bytes: stored.get(1),
        uploads: uploads.get(0),
        upload_bytes: uploads.get(1),
        orphaned_uploads: uploads.get(2),
    })
}

/// CLU-19: asks a node to drain; it closes its connections at its next renewal.
///
/// # Errors
/// [`StoreError::Database`]; `Ok(false)` if no node has that ID.
pub async fn drain(url: &str, node_id: &str) -> Result<bool, StoreError> {
    let client = connect(url).await?;
    let changed = client
        .execute(queries::DRAIN_NODE, &[&node_id])
        .await
        .map_err(|e| db_error("drain", &e))?;
    Ok(changed > 0)
}
