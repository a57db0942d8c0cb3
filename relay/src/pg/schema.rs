//! Versioned, idempotent migrations applied by every node at start (spec/09-relay-cluster.md,
//! CLU-4, CLU-5, CLU-25).

use tokio_postgres::Client;

use super::{db_error, queries};
use crate::store::StoreError;

/// The migrations, in order: version and the statements it applies (CLU-4). A version is
/// never changed once released; a change of schema is a new version.
pub const MIGRATIONS: &[(i32, &str)] = &[(1, queries::MIGRATION_1), (2, queries::MIGRATION_2)];

/// The schema version this build writes and reads.
#[must_use]
pub fn current_version() -> i32 {
    MIGRATIONS.last().map_or(0, |(version, _)| *version)
}

/// Applies every migration the database lacks, in one transaction under an advisory lock,
/// so that nodes starting together apply each once (CLU-5). Returns the versions applied
/// now (empty if the schema was current).
///
/// # Errors
/// [`StoreError::Database`]; also when the database has a version newer than this build
/// knows (an older node must not write a newer schema).
pub async fn migrate(client: &mut Client) -> Result<Vec<i32>, StoreError> {
    let error = |e: tokio_postgres::Error| db_error("migrate", &e);
    let transaction = client.transaction().await.map_err(error)?;
    // CLU-5: the lock is held until this transaction ends.
    transaction
        .batch_execute(queries::MIGRATION_LOCK)
        .await
        .map_err(error)?;
    transaction
        .batch_execute(queries::CREATE_SCHEMA_VERSION)
        .await
        .map_err(error)?;
    let applied: Vec<i32> = transaction
        .query(queries::APPLIED_VERSIONS, &[])
        .await
        .map_err(error)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if let Some(newest) = applied.iter().max().filter(|v| **v > current_version()) {
        return Err(StoreError::Database {
            op: "migrate",
            reason: format!(
                "the database has schema version {newest}, newer than this relay's {}: \
                 upgrade the relay",
                current_version()
            ),
        });
    }
    let mut now = Vec::new();
    for (version, statements) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        transaction.batch_execute(statements).await.map_err(error)?;
        transaction
            .execute(queries::RECORD_VERSION, &[version])
            .await
            .map_err(error)?;
        now.push(*version);
    }
    transaction.commit().await.map_err(error)?;
    Ok(now)
}
