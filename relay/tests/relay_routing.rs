//! Routing and buffering through a real relay on loopback (RELAY-3 to RELAY-13).

mod relay_support;

use relay_support::*;
use saltrelay_relay::client::ClientEvent;

#[tokio::test]
async fn online_recipient_gets_the_message_and_the_sender_its_ack() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = relay(config(dir.path())).await;
    let (alice, bob) = (identity(1), identity(2));
    let mut bob_client = connect(&relay, &bob).await;
    assert!(drain_queue(&mut bob_client).await.is_empty());
    let alice_client = connect(&relay, &alice).await;
    let sending = {
        let handle = alice_client.handle();
        let bytes = text_message(&alice, &bob, "hello bob", 7, 0x01);
        tokio::spawn(async move { handle.send_message(bytes).await })
    };
    let ClientEvent::Message(message) = next(&mut bob_client).await else {
        panic!("a message");
    };
    assert_eq!(open_text(&message, &alice, &bob), "hello bob");
    assert_eq!(message.sender, alice.identity());
    bob_client
        .ack_incoming(message.sender, message.message_id)
        .await
        .expect("ack");
    let ack = sending
        .await
        .expect("task")
        .expect("acked")
        .expect("an ack");
    assert_eq!(ack.identity, bob.identity());
    assert_eq!(ack.message_id, 7);
    // Delivered and acked while online: never written (RELAY-13).
    let stats = relay.stats();
    assert_eq!(stats.messages_written, 0);
    assert_eq!(stats.hub.totals.queued, 0);
    relay.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn offline_recipient_gets_everything_in_order_on_login() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = relay(config(dir.path())).await;
    let (alice, bob) = (identity(3), identity(4));
    // Bob logs in once so his key is bound, then goes offline.
    connect(&relay, &bob).await.close().await;
    let alice_client = connect(&relay, &alice).await;
    for i in 0..20u64 {
        let bytes = text_message(&alice, &bob, &format!("message {i}"), 100 + i, 0x01);
        alice_client.send_message(bytes).await.expect("durable ack");
    }
    assert_eq!(relay.stats().messages_written, 20);
    let mut bob_client = connect(&relay, &bob).await;
    assert_eq!(bob_client.login_ack().queued_count, 20);
    let texts: Vec<String> = drain_queue(&mut bob_client)
        .await
        .iter()
        .map(|m| open_text(m, &alice, &bob))
        .collect();
    let expected: Vec<String> = (0..20).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, expected);
    bob_client.close().await;
    alice_client.close().await;
    relay.shutdown().await.expect("clean shutdown");
}
