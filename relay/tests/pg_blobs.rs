//! Blobs shared by the nodes of a cluster, on a real PostgreSQL server
//! (spec/09-relay-cluster.md, CLU-18, CLU-25 to CLU-29): uploaded on one node, downloaded on
//! another, deleted on `blob_done` or at the TTL by any node, cut-off uploads swept, and the
//! tables empty afterwards. The 50 MB blob with the nodes' memory measured is
//! `cli/tests/cluster_blobs.rs`. Each test says plainly when PostgreSQL is absent;
//! `SALTRELAY_REQUIRE_PG=1` turns that into a failure.

mod relay_support;

use std::path::Path;
use std::time::Duration;

use relay_support::*;
use saltrelay_pgtest::PgServer;
use saltrelay_protocol::transport::Payload;
use saltrelay_protocol::transport::payload::{BlobChunk, BlobStatus};
use saltrelay_relay::client::ClientError;
use saltrelay_relay::pg::{BLOB_ROW_LEN, PgConfig};
use saltrelay_relay::server::{RelayHandle, keyfile};

/// A node on `url` in `dir/id`, sweeping every 200 ms with this blob TTL.
async fn node(url: &str, id: &str, dir: &Path, blob_ttl_ms: u64) -> RelayHandle {
    let key_dir = dir.join("key");
    keyfile::load_or_create(&key_dir).expect("relay key");
    let data = dir.join(id);
    std::fs::create_dir_all(&data).expect("node dir");
    std::fs::copy(key_dir.join("relay.key"), data.join("relay.key")).expect("copy relay key");
    let mut config = config(&data);
    let mut pg = PgConfig::new(url, id);
    pg.lease_ms = 3_000;
    config.cluster = Some(pg);
    config.sweep_interval_ms = 200;
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
    cut.send_payload(Payload::BlobUploadRequest {
        request_id: 9,
        length: u32::try_from(3 * BLOB_ROW_LEN).expect("small"),
        persist: false,
    })
    .await
    .expect("request");
    let part = blob_bytes(BLOB_ROW_LEN + 8_000);
    for (n, chunk) in part.chunks(8_000).enumerate() {
        cut.send_payload(Payload::BlobUploadChunk(BlobChunk {
            request_id: 9,
            offset: u32::try_from(n * 8_000).expect("small"),
            data: chunk.to_vec(),
        }))
        .await
        .expect("chunk");
    }
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
