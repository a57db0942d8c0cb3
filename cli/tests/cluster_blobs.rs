//! A 50 MB blob uploaded through one cluster node and downloaded through another, each node a
//! real `saltrelay relay serve` process on one real PostgreSQL server
//! (spec/09-relay-cluster.md, CLU-18, CLU-25 to CLU-28; issue 17): byte-identical, neither
//! node's peak resident memory growing by anything near the blob's size (neither holds it
//! whole), and nothing left in the tables once it was done; `relay health --json` counting
//! it, field by field as CLU-20 lists them. Says plainly when PostgreSQL is absent;
//! `SALTRELAY_REQUIRE_PG=1` turns that into a failure.

mod relay_process;

use std::path::Path;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use relay_process::{RelayProcess, saltrelay};
use saltrelay_pgtest::PgServer;
use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_relay::client::{Client, ClientOptions};

/// The largest blob a relay takes by default (TR-25).
const BLOB_LEN: usize = 50 * 1024 * 1024;
/// How much a node's peak resident memory may grow while it moves the blob: a few rows and
/// buffers (CLU-26, CLU-27), far below the blob's 51,200 kB.
const GROWTH_LIMIT_KIB: u64 = 16 * 1024;

/// The peak resident set of a process (`VmHWM` in `/proc/PID/status`), in kB of 1024 bytes.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line")
}

/// Runs one SQL query with `psql` against the test's database; its unaligned output.
fn psql(server: &PgServer, url: &str, query: &str) -> String {
    server
        .psql_in(url, &[query])
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .trim()
        .to_owned()
}

/// Bytes that do not repeat within a row (a simple xorshift: the test needs no secrecy).
fn blob_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// `saltrelay relay health --json` (CLU-20), once its blob figures are `blobs`: every key the
/// spec lists and no other, and the nodes `a` and `b` alive at these addresses.
fn health_json(url: &str, addrs: [&str; 2], blobs: &serde_json::Value) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        let output = saltrelay()
            .args(["relay", "health", "--json", "--store", url])
            .output()
            .expect("relay health runs");
        assert!(output.status.success(), "exit status {}", output.status);
        let health: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("one JSON object");
        // A blob_done's deletion may still be on its way (CLU-28).
        if &health["blobs"] == blobs || Instant::now() > deadline {
            break health;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(&health["blobs"], blobs);
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        keys.sort();
        keys
    };
    let expect = |names: &[&str]| -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|&n| n.to_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(
        keys(&health),
        expect(&[
            "schema_version",
            "nodes",
            "queue",
            "bindings",
            "blobs",
            "ok"
        ])
    );
    assert_eq!(
        keys(&health["queue"]),
        expect(&["messages", "bytes", "recipients", "deepest"])
    );
    assert_eq!(
        keys(&health["blobs"]),
        expect(&[
            "stored",
            "stored_bytes",
            "uploads",
            "upload_bytes",
            "orphaned_uploads"
        ])
    );
    let nodes = health["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 2);
    for (node, (id, addr)) in nodes.iter().zip([("a", addrs[0]), ("b", addrs[1])]) {
        assert_eq!(
            keys(node),
            expect(&[
                "node_id",
                "listen",
                "instance",
                "started_ms",
                "lease_left_ms",
                "alive",
                "draining",
                "identities"
            ])
        );
        assert_eq!(node["node_id"], id);
        assert_eq!(node["listen"], addr);
        assert_eq!(node["alive"], true);
        assert_eq!(node["draining"], false);
        let instance = node["instance"].as_str().expect("a string");
        assert!(instance.len() == 16 && instance.bytes().all(|c| c.is_ascii_hexdigit()));
        assert!(node["lease_left_ms"].as_i64().expect("an integer") > 0);
    }
    assert_eq!(health["ok"], true);
    health
}

/// A node `id` in `dir/id` with the cluster's relay key (CLU-2).
fn start_node(dir: &Path, url: &str, id: &str) -> RelayProcess {
    let data = dir.join(id);
    std::fs::create_dir_all(&data).expect("node dir");
    std::fs::copy(dir.join("key/relay.key"), data.join("relay.key")).expect("relay key");
    RelayProcess::start(&data, &["--store", url, "--node-id", id])
}

#[test]
fn a_50_mb_blob_crosses_nodes_without_either_holding_it() {
    let Some(server) = PgServer::for_test("a_50_mb_blob_crosses_nodes") else {
        return;
    };
    let url = server
        .create_database("cli_cluster_blobs")
        .expect("database");
    let dir = tempfile::tempdir().expect("temp dir");
    let key = saltrelay()
        .args(["relay", "key", "--create", "--data"])
        .arg(dir.path().join("key"))
        .output()
        .expect("relay key runs");
    assert!(key.status.success());
    let a = start_node(dir.path(), &url, "a");
    let b = start_node(dir.path(), &url, "b");
    let relay_key = PublicKey::from_slice(&hex::decode(&a.key).expect("hex")).expect("a key");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let data = blob_bytes(BLOB_LEN);
    let (growth_a, growth_b, took) = runtime.block_on(async {
        let alice = IdentityKeys::generate(&mut ChaCha20Rng::from_seed([51; 32]));
        let bob = IdentityKeys::generate(&mut ChaCha20Rng::from_seed([52; 32]));
        let uploader = Client::connect(a.addr.as_str(), &alice, ClientOptions::new(relay_key))
            .await
            .expect("login on a");
        let downloader = Client::connect(b.addr.as_str(), &bob, ClientOptions::new(relay_key))
            .await
            .expect("login on b");
        // A small blob first, so every connection and buffer exists before the baseline.
        let warm = uploader
            .upload_blob(blob_bytes(600_000), false)
            .await
            .expect("warm-up upload");
        downloader
            .download_blob(warm)
            .await
            .expect("warm-up download");
        downloader.blob_done(warm).await.expect("done");
        let (a0, b0) = (peak_rss_kib(a.child.id()), peak_rss_kib(b.child.id()));
        let started = Instant::now();
        let id = uploader
            .upload_blob(data.clone(), false)
            .await
            .expect("uploaded on a");
        let a1 = peak_rss_kib(a.child.id());
        let got = downloader.download_blob(id).await.expect("downloaded on b");
        let took = started.elapsed();
        let b1 = peak_rss_kib(b.child.id());
        assert!(got.len() == data.len() && got == data, "not byte-identical");
        drop(got);
        // CLU-20: the blob counts with its length; no upload runs.
        let stored = serde_json::json!({
            "stored": 1, "stored_bytes": BLOB_LEN, "uploads": 0, "upload_bytes": 0,
            "orphaned_uploads": 0,
        });
        let health = health_json(&url, [&a.addr, &b.addr], &stored);
        assert_eq!(health["nodes"][0]["identities"], 1, "alice on a");
        assert_eq!(health["nodes"][1]["identities"], 1, "bob on b");
        // CLU-28: done on b deletes it for the cluster.
        downloader.blob_done(id).await.expect("done");
        uploader.close().await;
        downloader.close().await;
        (a1.saturating_sub(a0), b1.saturating_sub(b0), took)
    });
    eprintln!(
        "50 MiB blob: upload on a and download on b took {took:?}; peak RSS grew by \
         {growth_a} KiB on a (uploading) and {growth_b} KiB on b (downloading)"
    );
    assert!(
        growth_a < GROWTH_LIMIT_KIB && growth_b < GROWTH_LIMIT_KIB,
        "a node held too much: +{growth_a} KiB on a, +{growth_b} KiB on b"
    );
    // CLU-6: nothing left of either blob, in the tables or the chunks' TOAST table.
    let toast = psql(
        &server,
        &url,
        "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'blob_chunk'",
    );
    let query = format!(
        "SELECT (SELECT count(*) FROM blob) || ' ' || (SELECT count(*) FROM blob_chunk) \
         || ' ' || (SELECT count(*) FROM {toast})"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = psql(&server, &url, &query);
        if left == "0 0 0" {
            break;
        }
        assert!(Instant::now() < deadline, "left in the tables: {left}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let none = serde_json::json!({
        "stored": 0, "stored_bytes": 0, "uploads": 0, "upload_bytes": 0, "orphaned_uploads": 0,
    });
    let health = health_json(&url, [&a.addr, &b.addr], &none);
    assert_eq!(health["queue"]["messages"], 0);
    assert_eq!(health["bindings"], 2, "alice and bob are bound (CLU-12)");
    assert!(a.stop().success());
    assert!(b.stop().success());
}
