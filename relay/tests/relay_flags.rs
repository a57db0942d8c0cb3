//! Header flags, caps, expiry, duplicates and graceful shutdown through a real relay on
//! loopback (RELAY-5 to RELAY-11, RELAY-13, RELAY-18, RELAY-23).

mod relay_support;

use std::time::Duration;

use relay_support::*;
use saltrelay_relay::server::STORE_DIR_NAME;
use saltrelay_relay::store::{LogStore, LogStoreConfig, MessageStore as _};

#[tokio::test]
async fn no_queue_no_ack_and_full_mailboxes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.max_queue_messages = 2;
    let relay = relay(config).await;
    let (alice, bob) = (identity(20), identity(21));
    connect(&relay, &bob).await.close().await;
    let sender = connect(&relay, &alice).await;
    // RELAY-5: no-queue to an offline recipient is dropped, and acked.
    let ack = sender
        .send_message(opaque_message(&alice, &bob, 1, 0x02, 10))
        .await;
    assert!(ack.expect("acked").is_some());
    // RELAY-6: no-ack gets no ack; it is queued for the offline recipient.
    assert_eq!(
        sender
            .send_message(opaque_message(&alice, &bob, 2, 0x04, 10))
            .await
            .expect("sent"),
        None
    );
    sender
        .send_message(opaque_message(&alice, &bob, 3, 0x01, 10))
        .await
        .expect("acked");
    // RELAY-11, RELAY-16: the third queued message finds the mailbox full.
    let refused = sender
        .send_message(opaque_message(&alice, &bob, 4, 0x01, 10))
        .await;
    let error = refused.expect_err("refused");
    assert!(error.to_string().contains("mailbox_full"), "{error}");
    let mut receiver = connect(&relay, &bob).await;
    let ids: Vec<u64> = drain_queue(&mut receiver)
        .await
        .iter()
        .map(|m| m.message_id.as_u64())
        .collect();
    assert_eq!(ids, [2, 3]);
    receiver.close().await;
    sender.close().await;
    let stats = relay.stats();
    assert_eq!(stats.hub.totals.queued, 0);
    relay.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn the_sweeper_deletes_expired_messages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.ttl_ms = 200;
    config.sweep_interval_ms = 50;
    let relay = relay(config).await;
    let (alice, bob) = (identity(22), identity(23));
    connect(&relay, &bob).await.close().await;
    let sender = connect(&relay, &alice).await;
    sender
        .send_message(opaque_message(&alice, &bob, 9, 0x01, 100))
        .await
        .expect("acked");
    assert_eq!(relay.stats().hub.totals.queued, 1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while relay.stats().hub.totals.expired == 0 {
        assert!(tokio::time::Instant::now() < deadline, "expired in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut receiver = connect(&relay, &bob).await;
    assert_eq!(receiver.login_ack().queued_count, 0);
    assert!(drain_queue(&mut receiver).await.is_empty());
    receiver.close().await;
    sender.close().await;
    relay.shutdown().await.expect("shutdown");
    let store =
        LogStore::open(dir.path().join(STORE_DIR_NAME), LogStoreConfig::default()).expect("store");
    assert_eq!(store.stats().messages, 0);
}

#[tokio::test]
async fn a_resent_stored_message_is_queued_once_and_shutdown_keeps_acked_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = relay(config(dir.path())).await;
    let (alice, bob) = (identity(24), identity(25));
    connect(&relay, &bob).await.close().await;
    let sender = connect(&relay, &alice).await;
    let bytes = opaque_message(&alice, &bob, 77, 0x01, 50);
    sender.send_message(bytes.clone()).await.expect("acked");
    sender.send_message(bytes).await.expect("acked again");
    assert_eq!(
        relay.stats().hub.totals.queued,
        1,
        "STORE-8: recognised by sender and id"
    );
    // RELAY-23: shutdown while sends are in flight: every acked one is durable.
    let mut sends = tokio::task::JoinSet::new();
    for id in 100..150u64 {
        let handle = sender.handle();
        let bytes = opaque_message(&alice, &bob, id, 0x01, 50);
        sends.spawn(async move { handle.send_message(bytes).await.map(|_| id) });
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    relay.shutdown().await.expect("shutdown");
    let mut acked = vec![77];
    while let Some(sent) = sends.join_next().await {
        if let Ok(id) = sent.expect("task") {
            acked.push(id);
        }
    }
    let store =
        LogStore::open(dir.path().join(STORE_DIR_NAME), LogStoreConfig::default()).expect("store");
    let stored: Vec<u64> = store
        .load_queue(&bob.identity())
        .expect("queue")
        .iter()
        .map(|m| u64::from_le_bytes(m.message.message_id))
        .collect();
    for id in &acked {
        assert!(stored.contains(id), "acked message {id} is durable");
    }
    drop(store);
    // And after a restart bob gets exactly what was stored, once.
    let relay = relay_support::relay(config(dir.path())).await;
    let mut receiver = connect(&relay, &bob).await;
    let delivered: Vec<u64> = drain_queue(&mut receiver)
        .await
        .iter()
        .map(|m| m.message_id.as_u64())
        .collect();
    assert_eq!(delivered, stored);
    receiver.close().await;
    relay.shutdown().await.expect("shutdown");
}
