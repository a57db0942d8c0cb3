//! No acknowledged message is lost (spec/05-relay.md, RELAY-13, STORE-7, STORE-8): a load
//! runs against a `saltrelay relay serve` process, the relay is killed with SIGKILL in the
//! middle, restarted on the same data directory, and every acked message is delivered
//! exactly once. Senders then resend what was never acked, as real clients do; duplicates
//! this causes are detected by message ID and counted.

mod relay_process;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use relay_process::RelayProcess;
use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::e2e::MessagePayload;
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_relay::client::{Client, ClientEvent, ClientOptions};

const SENDERS: u8 = 8;
const RECIPIENTS: u8 = 4;
const PER_SENDER: u64 = 400;

/// A message as the relay sees it: the header is all it reads (E2E-23); the box is opaque.
fn message(from: Identity, to: Identity, id: u64) -> Vec<u8> {
    MessagePayload {
        sender: from,
        receiver: to,
        message_id: saltrelay_protocol::e2e::MessageId::from_u64(id),
        created_at: 0,
        flags: saltrelay_protocol::e2e::MessageFlags(0x01),
        legacy_nickname: [0; 32],
        metadata_box: Vec::new(),
        nonce: saltrelay_protocol::crypto::Nonce::from_bytes([7; 24]),
        message_box: vec![0x5a; 200],
    }
    .encode()
    .expect("encodes")
}

fn keys(seed: u8) -> IdentityKeys {
    IdentityKeys::generate(&mut ChaCha20Rng::from_seed([seed; 32]))
}

async fn connect(relay: &RelayProcess, keys: &IdentityKeys) -> Client {
    let key = PublicKey::from_slice(&hex::decode(&relay.key).expect("hex")).expect("key");
    Client::connect(relay.addr.as_str(), keys, ClientOptions::new(key))
        .await
        .expect("login")
}

/// Sends `ids` one after another until the connection fails; returns the acked ones.
async fn send_all(
    client: &Client,
    to: &[Identity],
    ids: Vec<u64>,
    acked: Arc<Mutex<BTreeSet<u64>>>,
) {
    for id in ids {
        let target = to[usize::try_from(id).expect("fits") % to.len()];
        match client
            .send_message(message(client.identity(), target, id))
            .await
        {
            Ok(_) => {
                acked.lock().expect("lock").insert(id);
            }
            Err(_) => return,
        }
    }
}

/// Every message a recipient's queue holds, counted by (sender, message ID).
async fn drain(
    relay: &RelayProcess,
    keys: &IdentityKeys,
    seen: &mut BTreeMap<(Identity, u64), u32>,
) {
    let mut client = connect(relay, keys).await;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), client.next_event())
            .await
            .expect("the queue arrives in time")
            .expect("open");
        match event {
            ClientEvent::Message(m) => {
                *seen.entry((m.sender, m.message_id.as_u64())).or_default() += 1;
                client
                    .ack_incoming(m.sender, m.message_id)
                    .await
                    .expect("ack");
            }
            ClientEvent::QueueSendComplete => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    client.close().await;
}

#[test]
fn sigkill_mid_load_loses_no_acked_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("relay");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let senders: Vec<IdentityKeys> = (0..SENDERS).map(|i| keys(10 + i)).collect();
    let recipients: Vec<IdentityKeys> = (0..RECIPIENTS).map(|i| keys(100 + i)).collect();
    let targets: Vec<Identity> = recipients.iter().map(IdentityKeys::identity).collect();
    let relay = RelayProcess::start(&data, &[]);
    let acked = Arc::new(Mutex::new(BTreeSet::new()));

    runtime.block_on(async {
        for r in &recipients {
            connect(&relay, r).await.close().await; // bind the keys; then offline
        }
        let mut tasks = Vec::new();
        for (s, keys) in senders.iter().enumerate() {
            let client = connect(&relay, keys).await;
            let ids: Vec<u64> = (0..PER_SENDER).map(|n| (s as u64) << 32 | n).collect();
            let (to, acked) = (targets.clone(), Arc::clone(&acked));
            tasks.push(tokio::spawn(async move {
                send_all(&client, &to, ids, acked).await;
            }));
        }
        // Kill in the middle: once a good part of the load is acked, not all of it.
        while acked.lock().expect("lock").len() < 600 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        relay.crash();
        for task in tasks {
            task.await.expect("sender task");
        }
    });
    let acked_before_crash = acked.lock().expect("lock").clone();
    let total = u64::from(SENDERS) * PER_SENDER;
    assert!(
        (acked_before_crash.len() as u64) < total,
        "the crash came mid-load"
    );

    let relay = RelayProcess::start(&data, &[]);
    let mut seen = BTreeMap::new();
    let resent_acked = runtime.block_on(async {
        // Recovery: each acked message exactly once.
        for r in &recipients {
            drain(&relay, r, &mut seen).await;
        }
        let delivered: BTreeSet<u64> = seen.keys().map(|(_, id)| *id).collect();
        let missing: Vec<&u64> = acked_before_crash.difference(&delivered).collect();
        assert!(missing.is_empty(), "acked but lost: {missing:?}");
        assert!(
            seen.values().all(|&n| n == 1),
            "a stored message was delivered twice"
        );
        let recovered = seen.len();
        // Senders resend what was never acked (at-least-once); receivers dedupe by ID.
        let resent = Arc::new(Mutex::new(BTreeSet::new()));
        for (s, keys) in senders.iter().enumerate() {
            let client = connect(&relay, keys).await;
            let ids: Vec<u64> = (0..PER_SENDER)
                .map(|n| (s as u64) << 32 | n)
                .filter(|id| !acked_before_crash.contains(id))
                .collect();
            send_all(&client, &targets, ids, Arc::clone(&resent)).await;
            client.close().await;
        }
        for r in &recipients {
            drain(&relay, r, &mut seen).await;
        }
        let resent = resent.lock().expect("lock").len();
        (recovered, resent)
    });
    let (recovered, resent_acked) = resent_acked;
    let duplicates: u32 = seen.values().map(|n| n - 1).sum();
    let delivered = seen.len() as u64;
    eprintln!(
        "crash test: {total} sent, {} acked before SIGKILL, {} delivered after restart, \
         {resent_acked} resent and acked, {delivered} distinct delivered, {duplicates} duplicates detected by message id",
        acked_before_crash.len(),
        recovered,
    );
    assert_eq!(delivered, total, "after the resend every message arrived");
    assert!(u64::from(duplicates) <= total - acked_before_crash.len() as u64);
    relay.stop();
}
