//! Relay nodes sharing one PostgreSQL database, on real loopback TCP with a real PostgreSQL
//! server (spec/09-relay-cluster.md). Each test starts its own server (`saltrelay-pgtest`) and
//! says plainly when PostgreSQL is absent; `SALTRELAY_REQUIRE_PG=1` turns that into a failure.

mod relay_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use relay_support::*;
use saltrelay_pgtest::PgServer;
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_relay::client::{Client, ClientError, ClientEvent, ClientOptions};
use saltrelay_relay::pg::PgConfig;
use saltrelay_relay::pg::health::snapshot;
use saltrelay_relay::server::{RelayHandle, keyfile};

/// A node on `url` in its own data directory holding the cluster's relay key (CLU-2).
async fn node(url: &str, id: &str, key_dir: &Path, dir: &Path, catch_up_ms: u64) -> RelayHandle {
    std::fs::create_dir_all(dir).expect("node dir");
    std::fs::copy(key_dir.join("relay.key"), dir.join("relay.key")).expect("copy relay key");
    let mut config = config(dir);
    let mut pg = PgConfig::new(url, id);
    pg.catch_up_interval_ms = catch_up_ms;
    pg.lease_ms = 3_000;
    config.cluster = Some(pg);
    // No periodic sweep during a test: a sweep does not deliver anything anyway.
    config.sweep_interval_ms = 600_000;
    relay(config).await
}

/// A cluster of `n` nodes on one fresh database.
async fn cluster(server: &PgServer, db: &str, dir: &Path, n: usize) -> (String, Vec<RelayHandle>) {
    let url = server.create_database(db).expect("a database");
    let key_dir = dir.join("key");
    keyfile::load_or_create(&key_dir).expect("relay key");
    let mut nodes = Vec::new();
    for i in 0..n {
        let id = format!("node-{i}");
        nodes.push(node(&url, &id, &key_dir, &dir.join(&id), 600_000).await);
    }
    (url, nodes)
}

/// Waits (at most 20 s) until the database holds `messages` queued messages.
async fn wait_queued(url: &str, messages: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let health = snapshot(url, 5).await.expect("health");
        if health.messages == messages {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} messages queued, expected {messages}",
            health.messages
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Logs in and reads to queue-send-complete (`Ok`), or returns the relay's close code: a
/// refused login gets its login-ack and then the close-error (TR-15).
async fn login_outcome(node: &RelayHandle, keys: &IdentityKeys) -> Result<(), String> {
    let options = ClientOptions::new(node.public_key());
    let mut client = match Client::connect(node.local_addr(), keys, options).await {
        Ok(client) => client,
        Err(ClientError::Transport(error)) => return Err(close_code(&error)),
        Err(other) => return Err(other.to_string()),
    };
    let outcome = match next(&mut client).await {
        ClientEvent::QueueSendComplete => Ok(()),
        ClientEvent::Closed(ClientError::Transport(error)) => Err(close_code(&error)),
        other => Err(format!("{other:?}")),
    };
    client.close().await;
    outcome
}

async fn shutdown(nodes: Vec<RelayHandle>) {
    for node in nodes {
        node.shutdown().await.expect("clean shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_recipient_gets_everything_in_order_on_another_node() {
    let Some(server) = PgServer::for_test("offline_recipient_gets_everything_in_order") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, nodes) = cluster(&server, "offline", dir.path(), 3).await;
    let (alice, bob) = (identity(1), identity(2));
    connect(&nodes[1], &bob).await.close().await;
    let alice_client = connect(&nodes[0], &alice).await;
    for i in 0..30u64 {
        let bytes = text_message(&alice, &bob, &format!("message {i}"), 100 + i, 0x01);
        alice_client.send_message(bytes).await.expect("acked");
        // CLU-7: acked only after COMMIT, so every acked message is in the database now.
        assert_eq!(
            snapshot(&url, 1).await.expect("health").messages,
            i64::try_from(i).expect("small") + 1
        );
    }
    // Bob comes back on a third node.
    let mut bob_client = connect(&nodes[2], &bob).await;
    assert_eq!(bob_client.login_ack().queued_count, 30);
    let texts: Vec<String> = drain_queue(&mut bob_client)
        .await
        .iter()
        .map(|m| open_text(m, &alice, &bob))
        .collect();
    let expected: Vec<String> = (0..30).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, expected);
    // CLU-10: deleted on Bob's acks.
    wait_queued(&url, 0).await;
    bob_client.close().await;
    alice_client.close().await;
    shutdown(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_recipient_on_another_node_is_woken_by_notify_not_polling() {
    let Some(server) = PgServer::for_test("online_recipient_is_woken_by_notify") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    // The catch-up safety net runs every 600 s: delivery within seconds is NOTIFY's doing.
    let (_url, nodes) = cluster(&server, "notify", dir.path(), 2).await;
    let (alice, bob) = (identity(3), identity(4));
    let mut bob_client = connect(&nodes[1], &bob).await;
    assert!(drain_queue(&mut bob_client).await.is_empty());
    let alice_client = connect(&nodes[0], &alice).await;
    let started = std::time::Instant::now();
    for i in 0..10u64 {
        let handle = alice_client.handle();
        let bytes = text_message(&alice, &bob, &format!("live {i}"), 200 + i, 0x01);
        handle
            .send_message(bytes)
            .await
            .expect("acked after commit");
        let ClientEvent::Message(message) = next(&mut bob_client).await else {
            panic!("a message");
        };
        assert_eq!(open_text(&message, &alice, &bob), format!("live {i}"));
        bob_client
            .ack_incoming(message.sender, message.message_id)
            .await
            .expect("ack");
    }
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "ten crossings took {:?}: far below the 600 s catch-up interval or not at all",
        started.elapsed()
    );
    // Both ways: Bob answers Alice across the nodes while she is online.
    let mut alice_client = alice_client;
    assert!(drain_queue(&mut alice_client).await.is_empty());
    bob_client
        .send_message(text_message(&bob, &alice, "reply", 300, 0x01))
        .await
        .expect("acked");
    let ClientEvent::Message(reply) = next(&mut alice_client).await else {
        panic!("the reply");
    };
    assert_eq!(open_text(&reply, &bob, &alice), "reply");
    bob_client.close().await;
    alice_client.close().await;
    shutdown(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_login_on_another_node_closes_the_first_with_replaced() {
    let Some(server) = PgServer::for_test("second_login_replaces") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, nodes) = cluster(&server, "replaced", dir.path(), 2).await;
    let bob = identity(5);
    let mut first = connect(&nodes[0], &bob).await;
    assert!(drain_queue(&mut first).await.is_empty());
    let mut second = connect(&nodes[1], &bob).await;
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match first.next_event().await {
                Some(ClientEvent::Closed(ClientError::Transport(error))) => {
                    return close_code(&error);
                }
                Some(ClientEvent::Closed(other)) => return format!("{other}"),
                Some(_) => {}
                None => return "ended without a close".into(),
            }
        }
    })
    .await
    .expect("the first login is closed in time");
    assert_eq!(closed, "replaced");
    // CLU-15: presence is node-1's now.
    let health = snapshot(&url, 1).await.expect("health");
    let held: Vec<(String, i64)> = health
        .nodes
        .iter()
        .map(|n| (n.node_id.clone(), n.identities))
        .collect();
    assert_eq!(held, [("node-0".into(), 0), ("node-1".into(), 1)]);
    assert!(drain_queue(&mut second).await.is_empty());
    second.close().await;
    shutdown(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_binding_is_unique_across_nodes() {
    let Some(server) = PgServer::for_test("key_binding_unique") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (_url, nodes) = cluster(&server, "binding", dir.path(), 2).await;
    let owner = identity(6);
    // The same identity with another key (an impostor).
    let impostor = IdentityKeys::from_parts(
        owner.identity(),
        saltrelay_protocol::crypto::SecretKey::from_bytes([0x77; 32]),
    );
    // Both log in at once on two nodes: exactly one wins (CLU-12).
    let (a, b) = tokio::join!(
        login_outcome(&nodes[0], &owner),
        login_outcome(&nodes[1], &impostor)
    );
    let (won_key, lost_key) = match (a, b) {
        (Ok(()), Err(code)) => {
            assert_eq!(code, "identity_taken");
            (&owner, &impostor)
        }
        (Err(code), Ok(())) => {
            assert_eq!(code, "identity_taken");
            (&impostor, &owner)
        }
        (a, b) => panic!("exactly one login must win: {a:?} / {b:?}"),
    };
    // The binding holds on every node: the winning key logs in, the other is refused.
    for node in &nodes {
        assert_eq!(login_outcome(node, won_key).await, Ok(()));
        assert_eq!(
            login_outcome(node, lost_key).await,
            Err("identity_taken".to_owned())
        );
    }
    shutdown(nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_hold_only_what_the_spec_lists_after_delivery() {
    let Some(server) = PgServer::for_test("tables_hold_only_what_the_spec_lists") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, nodes) = cluster(&server, "inspect", dir.path(), 2).await;
    let (alice, bob) = (identity(7), identity(8));
    connect(&nodes[1], &bob).await.close().await;
    let alice_client = connect(&nodes[0], &alice).await;
    for i in 0..5u64 {
        let bytes = text_message(&alice, &bob, "secret words", 400 + i, 0x01);
        alice_client.send_message(bytes).await.expect("acked");
    }
    alice_client.close().await;
    let mut bob_client = connect(&nodes[1], &bob).await;
    assert_eq!(drain_queue(&mut bob_client).await.len(), 5);
    bob_client.close().await;
    wait_queued(&url, 0).await;
    // Presence is given up on logout (asynchronously).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while snapshot(&url, 1)
        .await
        .expect("health")
        .nodes
        .iter()
        .any(|n| n.identities > 0)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "presence left behind"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown(nodes).await;
    let identities: BTreeSet<String> = [&alice, &bob]
        .iter()
        .map(|k| k.identity().to_string())
        .collect();
    assert_only_listed_rows(&url, &identities).await;
}

/// CLU-6: what is left after delivery, table by table.
async fn assert_only_listed_rows(url: &str, identities: &BTreeSet<String>) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("inspect");
    tokio::spawn(connection);
    let tables: BTreeSet<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await
        .expect("tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: BTreeSet<String> = [
        "blob",
        "blob_chunk",
        "key_binding",
        "message",
        "node",
        "presence",
        "schema_version",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(tables, expected);
    let count = async |table: &str| -> i64 {
        client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect("count")
            .get(0)
    };
    assert_eq!(count("message").await, 0);
    assert_eq!(count("presence").await, 0);
    // CLU-6: no blob was uploaded, so none is left (CLU-25: migration 2 made the tables).
    assert_eq!(count("blob").await, 0);
    assert_eq!(count("blob_chunk").await, 0);
    assert_eq!(count("schema_version").await, 2);
    assert_eq!(count("node").await, 2);
    let bound: BTreeSet<String> = client
        .query("SELECT identity FROM key_binding", &[])
        .await
        .expect("bindings")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(&bound, identities);
    // A node row names the node only: no client, address of a client or message.
    let columns: BTreeSet<String> = client
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'node'",
            &[],
        )
        .await
        .expect("columns")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: BTreeSet<String> = [
        "draining",
        "instance",
        "lease_until",
        "listen",
        "node_id",
        "started_at",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(columns, expected);
}
