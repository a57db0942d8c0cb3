//! Sending through the relay client library from a test, for backlogs too large to send one
//! `saltrelay send` process at a time: many messages in flight on one connection.

use std::path::Path;
use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use saltrelay_protocol::crypto::{BoxKey, Nonce, PublicKey};
use saltrelay_protocol::e2e::{
    self, Message, MessageFlags, MessageId, OutgoingMessage, PayloadVersion,
};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_relay::client::{Client, ClientOptions};
use saltrelay_relay::runtime::clock::Clock;

use super::RelayProcess;

/// Messages awaiting the relay's ack at once (below the relay's 1,024, RELAY-20).
const IN_FLIGHT: usize = 512;

/// A logged-in sender with the recipient's key.
pub struct LibrarySender {
    keys: IdentityKeys,
    client: Client,
    to: Identity,
    box_key: BoxKey,
    rng: ChaCha20Rng,
    clock: Clock,
}

impl LibrarySender {
    /// Logs in with the key file `id` and looks `to` up.
    pub async fn connect(relay: &RelayProcess, id: &Path, to: &str, seed: u64) -> Self {
        let keys =
            IdentityKeys::from_key_file(&std::fs::read(id).expect("key file")).expect("a key file");
        let relay_key =
            PublicKey::from_slice(&hex::decode(&relay.key).expect("hex")).expect("a key");
        let client = Client::connect(relay.addr.as_str(), &keys, ClientOptions::new(relay_key))
            .await
            .expect("login");
        let to: Identity = to.parse().expect("identity");
        let their_key = client
            .lookup_key(to)
            .await
            .expect("lookup")
            .expect("recipient bound");
        let box_key = BoxKey::derive(keys.secret_key(), &their_key).expect("box key");
        Self {
            keys,
            client,
            to,
            box_key,
            rng: ChaCha20Rng::seed_from_u64(seed),
            clock: Clock::new(),
        }
    }

    /// The outer message of text `text` with message id `id` (E2E-23).
    pub fn encode(&mut self, id: u64, text: String) -> Vec<u8> {
        let outgoing = OutgoingMessage {
            sender: self.keys.identity(),
            receiver: self.to,
            message_id: MessageId(id.to_le_bytes()),
            created_at: self.clock.now(),
            flags: MessageFlags(MessageFlags::SEND_PUSH),
            nickname: None,
            version: PayloadVersion::MetadataBox,
            expire_after_seconds: None,
            message: Message::Text(text),
        };
        let body_len = outgoing.message.body_len().expect("a body");
        let pad = e2e::draw_padding_length(&mut self.rng, body_len);
        let nonce = Nonce::random(&mut self.rng);
        e2e::encode_payload(&self.box_key, &outgoing, &nonce, pad).expect("encodes")
    }

    /// Sends texts `"m{id}"` for every id in `ids`, many in flight, and returns once the
    /// relay acked each (RELAY-13).
    pub async fn send_all(&mut self, ids: impl IntoIterator<Item = u64>) {
        let window = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let mut acks = tokio::task::JoinSet::new();
        for id in ids {
            let bytes = self.encode(id, format!("m{id}"));
            let permit = Arc::clone(&window).acquire_owned().await.expect("open");
            let handle = self.client.handle();
            acks.spawn(async move {
                handle.send_message(bytes).await.expect("acked");
                drop(permit);
            });
            while let Some(done) = acks.try_join_next() {
                done.expect("send task");
            }
        }
        while let Some(done) = acks.join_next().await {
            done.expect("send task");
        }
    }

    /// Sends one outer message as it is and waits for the relay's ack.
    pub async fn send_bytes(&self, bytes: Vec<u8>) {
        self.client.send_message(bytes).await.expect("acked");
    }

    /// Closes the connection.
    pub async fn close(self) {
        self.client.close().await;
    }
}
