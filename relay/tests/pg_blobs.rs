//! Blobs shared by the nodes of a cluster, on a real PostgreSQL server
//! (spec/09-relay-cluster.md, CLU-18, CLU-25 to CLU-29): uploaded on one node, downloaded on
//! another, deleted on `blob_done` or at the TTL by any node, cut-off uploads swept, and the
//! tables empty afterwards; what `relay health` counts of them (CLU-20). The 50 MB blob with
//! the nodes' memory measured is `cli/tests/cluster_blobs.rs`. Each test says plainly when
//! PostgreSQL is absent; `SALTRELAY_REQUIRE_PG=1` turns that into a failure.

mod relay_support;

use std::path::Path;
use std::time::Duration;

use relay_support::*;
use saltrelay_pgtest::PgServer;
use saltrelay_protocol::transport::Payload;
use saltrelay_protocol::transport::payload::{BlobChunk, BlobStatus};
use saltrelay_relay::client::{Client, ClientError};
use saltrelay_relay::pg::health::{BlobHealth, snapshot};
use saltrelay_relay::pg::{BLOB_ROW_LEN, PgConfig};
use saltrelay_relay::server::{RelayHandle, keyfile};

/// A node on `url` in `dir/id`, sweeping every 200 ms with this blob TTL.
async fn node(url: &str, id: &str, dir: &Path, blob_ttl_ms: u64) -> RelayHandle {
    node_sweeping(url, id, dir, blob_ttl_ms, 200).await
}

/// A node on `url` in `dir/id`, sweeping every `sweep_ms` with this blob TTL.
async fn node_sweeping(
    url: &str,
    id: &str,
    dir: &Path,
    blob_ttl_ms: u64,
    sweep_ms: u64,
) -> RelayHandle {
    let key_dir = dir.join("key");
    keyfile::load_or_create(&key_dir).expect("relay key");
    let data = dir.join(id);
    std::fs::create_dir_all(&data).expect("node dir");
    std::fs::copy(key_dir.join("relay.key"), data.join("relay.key")).expect("copy relay key");
    let mut config = config(&data);
    let mut pg = PgConfig::new(url, id);
    pg.lease_ms = 3_000;
    config.cluster = Some(pg);
    config.sweep_interval_ms = sweep_ms;
    config.blob_ttl_ms = blob_ttl_ms;
    relay(config).await
}

/// A client of the test's database (the tests read the tables themselves).
async fn sql(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

/// Rows of `blob`, `blob_chunk` and the TOAST table that holds the chunks' bytes.
async fn rows(db: &tokio_postgres::Client) -> (i64, i64, i64) {
    let toast: String = db
        .query_one(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'blob_chunk'",
            &[],
        )
        .await
        .expect("toast table")
        .get(0);
    let mut counts = Vec::new();
    for table in ["blob", "blob_chunk", toast.as_str()] {
        let count: i64 = db
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect("count")
            .get(0);
        counts.push(count);
    }
    (counts[0], counts[1], counts[2])
}

/// Waits (at most 30 s) until `blob` and `blob_chunk` hold these many rows.
async fn wait_rows(db: &tokio_postgres::Client, blobs: i64, chunks: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (b, c, _) = rows(db).await;
        if (b, c) == (blobs, chunks) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{b} blobs and {c} chunk rows, expected {blobs} and {chunks}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Bytes that differ from row to row, so a row out of place shows.
fn blob_bytes(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i / 7 + i / BLOB_ROW_LEN) % 251).expect("below 251"))
        .collect()
}

/// Starts an upload of three rows and sends one full row and 8,000 bytes of it, then stops
/// sending: one row reaches the database, the rest stays in the node's memory.
async fn start_upload(client: &Client, request_id: u32, persist: bool) {
    client
        .send_payload(Payload::BlobUploadRequest {
            request_id,
            length: u32::try_from(3 * BLOB_ROW_LEN).expect("small"),
            persist,
        })
        .await
        .expect("request");
    let part = blob_bytes(BLOB_ROW_LEN + 8_000);
    for (n, chunk) in part.chunks(8_000).enumerate() {
        client
            .send_payload(Payload::BlobUploadChunk(BlobChunk {
                request_id,
                offset: u32::try_from(n * 8_000).expect("small"),
                data: chunk.to_vec(),
            }))
            .await
            .expect("chunk");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_uploaded_on_one_node_is_read_on_another_and_gone_once_done() {
    let Some(server) = PgServer::for_test("blob_crosses_nodes") else {
        return;
    };
    let url = server.create_database("blobs_cross").expect("a database");
    let dir = tempfile::tempdir().expect("temp dir");
    let a = node(&url, "node-a", dir.path(), 14 * 24 * 3_600_000).await;
    let b = node(&url, "node-b", dir.path(), 14 * 24 * 3_600_000).await;
    let db = sql(&url).await;
    let (alice, bob) = (identity(41), identity(42));
    let alice_client = connect(&a, &alice).await;
    let bob_client = connect(&b, &bob).await;

    // Two full rows and a shorter last one (CLU-25).
    let data = blob_bytes(2 * BLOB_ROW_LEN + 175_712);
    let id = alice_client
        .upload_blob(data.clone(), false)
        .await
        .expect("uploaded");
    // CLU-26: acked only once complete, with every row in place.
    let complete: bool = db
        .query_one("SELECT complete FROM blob WHERE id = $1", &[&&id[..]])
        .await
        .expect("the blob's row")
        .get(0);
    assert!(complete);
    let (blobs, chunks, _) = rows(&db).await;
    assert_eq!((blobs, chunks), (1, 3));
    assert_eq!(bob_client.download_blob(id).await.expect("on node b"), data);
    assert_eq!(
        alice_client.download_blob(id).await.expect("on node a"),
        data
    );
    // A blob of length 0 has no chunk row and downloads empty.
    let empty = alice_client
        .upload_blob(Vec::new(), false)
        .await
        .expect("empty");
    assert!(
        bob_client
            .download_blob(empty)
            .await
            .expect("empty")
            .is_empty()
    );

    // CLU-28: done on node b deletes it for every node.
    bob_client.blob_done(id).await.expect("done");
    bob_client.blob_done(empty).await.expect("done");
    wait_rows(&db, 0, 0).await;
    match alice_client.download_blob(id).await {
        Err(ClientError::Blob(BlobStatus::NotFound)) => {}
        other => panic!("expected not_found, got {other:?}"),
    }

    // CLU-26: an upload cut off by its connection's end leaves nothing.
    let cut = connect(&a, &identity(43)).await;
    start_upload(&cut, 9, false).await;
    // One full row is in the database while the upload runs; it is not downloadable.
    wait_rows(&db, 1, 1).await;
    cut.close().await;
    wait_rows(&db, 0, 0).await;

    // CLU-28: an upload a dead node left (no live lease) goes at the next sweep.
    db.batch_execute(
        "INSERT INTO blob (id, length, persist, node_id) VALUES ('\\x01', 10, false, 'ghost');
         INSERT INTO blob_chunk (blob_id, seq, data) VALUES ('\\x01', 0, '\\x00')",
    )
    .await
    .expect("a leftover");
    wait_rows(&db, 0, 0).await;
    // ...and a restarted node clears its earlier instance's leftovers at start.
    db.batch_execute(
        "INSERT INTO blob (id, length, persist, node_id) VALUES ('\\x02', 10, false, 'node-c')",
    )
    .await
    .expect("a leftover");
    let c = node(&url, "node-c", dir.path(), 14 * 24 * 3_600_000).await;
    assert_eq!(rows(&db).await.0, 0, "cleared before node-c served");

    // CLU-6: nothing left of any blob, in the tables or their TOAST table.
    assert_eq!(rows(&db).await, (0, 0, 0));
    alice_client.close().await;
    bob_client.close().await;
    for node in [a, b, c] {
        node.shutdown().await.expect("clean shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persist_blobs_outlive_done_and_expire_at_the_ttl_on_any_node() {
    let Some(server) = PgServer::for_test("blob_expiry") else {
        return;
    };
    let url = server.create_database("blobs_expiry").expect("a database");
    let dir = tempfile::tempdir().expect("temp dir");
    // Node a keeps blobs 14 days; node b's sweep expires them after 3 s (CLU-28: every node
    // sweeps with its own TTL).
    let a = node(&url, "node-a", dir.path(), 14 * 24 * 3_600_000).await;
    let db = sql(&url).await;
    let alice_client = connect(&a, &identity(44)).await;
    let data = blob_bytes(BLOB_ROW_LEN + 1);
    let id = alice_client
        .upload_blob(data.clone(), true)
        .await
        .expect("uploaded");
    // TR-25: a persist blob stays after done.
    alice_client.blob_done(id).await.expect("done");
    assert_eq!(
        alice_client.download_blob(id).await.expect("still there"),
        data
    );
    let (blobs, chunks, _) = rows(&db).await;
    assert_eq!((blobs, chunks), (1, 2));
    let b = node(&url, "node-b", dir.path(), 3_000).await;
    wait_rows(&db, 0, 0).await;
    assert_eq!(rows(&db).await, (0, 0, 0));
    match alice_client.download_blob(id).await {
        Err(ClientError::Blob(BlobStatus::NotFound)) => {}
        other => panic!("expected not_found, got {other:?}"),
    }
    alice_client.close().await;
    for node in [a, b] {
        node.shutdown().await.expect("clean shutdown");
    }
}

/// The blob figures of `relay health` (CLU-20).
async fn blob_health(url: &str) -> BlobHealth {
    snapshot(url, 1).await.expect("health").blobs
}

/// The figures of CLU-20, from these counts.
fn figures(stored: (i64, i64), uploads: (i64, i64), orphaned_uploads: i64) -> BlobHealth {
    BlobHealth {
        stored: stored.0,
        stored_bytes: stored.1,
        uploads: uploads.0,
        upload_bytes: uploads.1,
        orphaned_uploads,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_counts_stored_blobs_uploads_and_orphans_exactly() {
    let Some(server) = PgServer::for_test("blob_health") else {
        return;
    };
    let url = server.create_database("blobs_health").expect("a database");
    let dir = tempfile::tempdir().expect("temp dir");
    // Node a does not sweep during the test, so nothing it counts goes away by itself.
    let a = node_sweeping(&url, "node-a", dir.path(), 14 * 24 * 3_600_000, 3_600_000).await;
    let db = sql(&url).await;
    assert_eq!(blob_health(&url).await, figures((0, 0), (0, 0), 0));

    // A persist blob of two rows counts with its length.
    let alice_client = connect(&a, &identity(45)).await;
    let stored_len = BLOB_ROW_LEN + 1;
    alice_client
        .upload_blob(blob_bytes(stored_len), true)
        .await
        .expect("uploaded");
    let stored = (1, i64::try_from(stored_len).expect("small"));
    assert_eq!(blob_health(&url).await, figures(stored, (0, 0), 0));

    // An upload left unfinished on node a, one full row stored and 8,000 bytes in the node's
    // memory: the stored row counts, the bytes in memory do not.
    let cut = connect(&a, &identity(46)).await;
    start_upload(&cut, 3, true).await;
    wait_rows(&db, 2, 3).await;
    let row = i64::try_from(BLOB_ROW_LEN).expect("small");
    assert_eq!(blob_health(&url).await, figures(stored, (1, row), 0));

    // An upload a node without a live lease left (CLU-28's orphan), three bytes stored.
    db.batch_execute(
        "INSERT INTO blob (id, length, persist, node_id) VALUES ('\\x03', 10, false, 'ghost');
         INSERT INTO blob_chunk (blob_id, seq, data) VALUES ('\\x03', 0, '\\x010203')",
    )
    .await
    .expect("a leftover");
    assert_eq!(blob_health(&url).await, figures(stored, (2, row + 3), 1));

    // The cut-off upload is dropped with its connection (CLU-26); the orphan stays.
    cut.close().await;
    wait_rows(&db, 2, 3).await;
    assert_eq!(blob_health(&url).await, figures(stored, (1, 3), 1));

    // Node b sweeps with a TTL of 1 s: the persist blob expires and the orphan goes.
    let b = node(&url, "node-b", dir.path(), 1_000).await;
    wait_rows(&db, 0, 0).await;
    assert_eq!(blob_health(&url).await, figures((0, 0), (0, 0), 0));
    alice_client.close().await;
    for node in [a, b] {
        node.shutdown().await.expect("clean shutdown");
    }
}
