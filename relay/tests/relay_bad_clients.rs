//! Bad clients (RELAY-20, RELAY-21, TR-26): each offender gets its defined close-error and
//! the relay keeps serving well-behaved clients.

mod relay_support;

use std::time::Duration;

use relay_support::*;
use saltrelay_protocol::transport::Payload;
use saltrelay_relay::client::ClientEvent;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

#[tokio::test]
async fn a_malformed_frame_closes_only_that_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = relay(config(dir.path())).await;
    let (alice, bob, mallory) = (identity(1), identity(2), identity(3));
    let mut raw = raw_login(&relay, &mallory).await;
    raw.write_raw(&[0xff, 0xff]).await.expect("write");
    let (_, error) = read_to_end(&mut raw).await;
    assert_eq!(close_code(&error), "frame_too_large");
    // A well-formed frame with a malformed message inside: the relay's own close-error.
    let mut raw = raw_login(&relay, &mallory).await;
    raw.send(&Payload::OutgoingMessage(vec![1, 2, 3]))
        .await
        .expect("send");
    let (_, error) = read_to_end(&mut raw).await;
    assert_eq!(close_code(&error), "malformed_message");
    // A message claiming another sender.
    let mut raw = raw_login(&relay, &mallory).await;
    raw.send(&Payload::OutgoingMessage(opaque_message(
        &alice, &bob, 1, 0, 10,
    )))
    .await
    .expect("send");
    let (_, error) = read_to_end(&mut raw).await;
    assert_eq!(close_code(&error), "sender_mismatch");
    exchange(&relay, &alice, &bob, 2).await;
    relay.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_slowloris_client_is_dropped_at_the_handshake_deadline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.handshake_timeout_ms = 300;
    let relay = relay(config).await;
    let mut slow = tokio::net::TcpStream::connect(relay.local_addr())
        .await
        .expect("connect");
    slow.write_all(&[0u8; 20])
        .await
        .expect("part of a client-hello");
    let mut buf = [0u8; 64];
    // TR-26: before the login box opened the relay closes without a word.
    let n = tokio::time::timeout(Duration::from_secs(10), slow.read(&mut buf))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert_eq!(relay.stats().closes.get("handshake_timeout"), Some(&1));
    exchange(&relay, &identity(4), &identity(5), 3).await;
    relay.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_client_that_never_reads_is_closed_as_a_slow_reader() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.slow_reader_timeout_ms = 500;
    config.spill_after_ms = 100;
    let relay = relay(config).await;
    let (alice, bob) = (identity(6), identity(7));
    let mut stuck = raw_login(&relay, &bob).await;
    let sender = connect(&relay, &alice).await;
    let mut sends = tokio::task::JoinSet::new();
    for id in 0..2_500u64 {
        let handle = sender.handle();
        let bytes = opaque_message(&alice, &bob, 1000 + id, 0x01, 7_000);
        sends.spawn(async move { handle.send_message(bytes).await });
    }
    wait_for_close(&relay, "slow_reader").await;
    let (payloads, error) = read_to_end(&mut stuck).await;
    assert_eq!(close_code(&error), "slow_reader");
    assert!(
        payloads.len() < 2_500,
        "the relay stopped sending when bob stopped reading"
    );
    // Every message is still acked: written for bob, who is offline now (RELAY-8, RELAY-13).
    while let Some(sent) = sends.join_next().await {
        sent.expect("task").expect("acked");
    }
    assert!(relay.stats().hub.totals.queued > 0);
    exchange(&relay, &alice, &identity(8), 4).await;
    relay.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_flood_beyond_the_rate_limit_is_closed_with_rate_limited() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.rate_limit_per_sec = 50;
    config.rate_limit_burst = 100;
    let relay = relay(config).await;
    let mut flooder = connect(&relay, &identity(9)).await;
    for n in 0..1_000u32 {
        if flooder
            .send_payload(Payload::EchoRequest(n.to_le_bytes().to_vec()))
            .await
            .is_err()
        {
            break;
        }
    }
    let closed = loop {
        if let ClientEvent::Closed(error) = next(&mut flooder).await {
            break error;
        }
    };
    assert_eq!(closed.close_reason(), Some("rate_limited"));
    exchange(&relay, &identity(10), &identity(11), 5).await;
    relay.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_second_login_replaces_the_first_and_idle_clients_time_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.idle_timeout_secs = 1;
    config.max_connections = 3;
    let relay = relay(config).await;
    let bob = identity(12);
    let mut first = connect(&relay, &bob).await;
    let mut second = connect(&relay, &bob).await;
    let ClientEvent::QueueSendComplete = next(&mut first).await else {
        panic!("queue-send-complete first");
    };
    let ClientEvent::Closed(error) = next(&mut first).await else {
        panic!("closed");
    };
    assert_eq!(error.close_reason(), Some("replaced"));
    // TR-28: the second one says nothing for a second.
    let _ = next(&mut second).await;
    let ClientEvent::Closed(error) = next(&mut second).await else {
        panic!("closed");
    };
    assert_eq!(error.close_reason(), Some("idle_timeout"));
    // RELAY-20: past the connection limit a new connection is closed at once.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(
            tokio::net::TcpStream::connect(relay.local_addr())
                .await
                .expect("connect"),
        );
    }
    let mut extra = tokio::net::TcpStream::connect(relay.local_addr())
        .await
        .expect("connect");
    let mut buf = [0u8; 8];
    let n = tokio::time::timeout(Duration::from_secs(10), extra.read(&mut buf))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert_eq!(relay.stats().closes.get("connection_limit"), Some(&1));
    drop(held);
    relay.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn acks_of_messages_in_flight_are_free_of_the_rate_limit_and_bogus_acks_are_not() {
    // CLIENT-2, RELAY-20: a recipient draining more messages than the burst is not closed.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config(dir.path());
    config.rate_limit_per_sec = 20;
    config.rate_limit_burst = 250;
    let relay = relay(config).await;
    let bob = identity(21);
    drop(connect(&relay, &bob).await);
    for (seed, base) in [(22u8, 0u64), (23, 1_000)] {
        let sender_keys = identity(seed);
        let sender = connect(&relay, &sender_keys).await;
        let mut acks = tokio::task::JoinSet::new();
        for id in base..base + 200 {
            let handle = sender.handle();
            let bytes = text_message(&sender_keys, &bob, "queued", id, 0x01);
            acks.spawn(async move { handle.send_message(bytes).await.expect("acked") });
        }
        while let Some(done) = acks.join_next().await {
            done.expect("task");
        }
        sender.close().await;
    }
    let mut receiver = connect(&relay, &bob).await;
    assert_eq!(
        drain_queue(&mut receiver).await.len(),
        400,
        "400 acks, burst 250"
    );
    receiver
        .sync()
        .await
        .expect("every ack handled, still connected");
    for n in 0..1_000u64 {
        let bogus =
            Payload::IncomingMessageAck(saltrelay_protocol::transport::payload::MessageAck {
                identity: identity(22).identity(),
                message_id: 1_000_000 + n,
            });
        if receiver.send_payload(bogus).await.is_err() {
            break;
        }
    }
    let closed = loop {
        if let ClientEvent::Closed(error) = next(&mut receiver).await {
            break error;
        }
    };
    assert_eq!(
        closed.close_reason(),
        Some("rate_limited"),
        "acks naming nothing count"
    );
    relay.shutdown().await.expect("shutdown");
}
