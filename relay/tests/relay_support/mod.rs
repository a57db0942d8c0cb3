//! Shared helpers of the relay server tests: an embedded relay on 127.0.0.1 in a temporary
//! directory, identities, and real end-to-end messages.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use saltrelay_protocol::crypto::{BoxKey, Nonce};
use saltrelay_protocol::e2e::{
    self, Message, MessageFlags, MessageId, OutgoingMessage, PayloadVersion,
};
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::client::{Client, ClientEvent, ClientOptions, IncomingMessage};
use saltrelay_relay::server::{RelayHandle, ServerConfig, start};

/// A config for a test relay on a free loopback port.
pub fn config(dir: &Path) -> ServerConfig {
    ServerConfig::new("127.0.0.1:0".parse().expect("loopback"), dir)
}

/// Starts a relay.
pub async fn relay(config: ServerConfig) -> RelayHandle {
    start(config).await.expect("relay starts")
}

/// A deterministic identity per seed.
pub fn identity(seed: u8) -> IdentityKeys {
    IdentityKeys::generate(&mut ChaCha20Rng::from_seed([seed; 32]))
}

/// Connects and logs in.
pub async fn connect(relay: &RelayHandle, keys: &IdentityKeys) -> Client {
    Client::connect(
        relay.local_addr(),
        keys,
        ClientOptions::new(relay.public_key()),
    )
    .await
    .expect("login")
}

/// A real outer message from `from` to `to` with these flags.
pub fn text_message(
    from: &IdentityKeys,
    to: &IdentityKeys,
    text: &str,
    id: u64,
    flags: u8,
) -> Vec<u8> {
    let key = BoxKey::derive(from.secret_key(), &to.public_key()).expect("box key");
    let mut rng = ChaCha20Rng::from_seed([id as u8; 32]);
    let outgoing = OutgoingMessage {
        sender: from.identity(),
        receiver: to.identity(),
        message_id: MessageId::from_u64(id),
        created_at: Timestamp::from_millis(1_700_000_000_000),
        flags: MessageFlags(flags),
        nickname: None,
        version: PayloadVersion::MetadataBox,
        expire_after_seconds: None,
        message: Message::Text(text.into()),
    };
    let nonce = Nonce::random(&mut rng);
    let pad = e2e::draw_padding_length(&mut rng, outgoing.message.body_len().expect("body"));
    e2e::encode_payload(&key, &outgoing, &nonce, pad).expect("encode")
}

/// Opens a delivered message as text.
pub fn open_text(message: &IncomingMessage, from: &IdentityKeys, to: &IdentityKeys) -> String {
    let key = BoxKey::derive(to.secret_key(), &from.public_key()).expect("box key");
    let mut nonces = e2e::InMemoryNonceStore::new();
    let received = e2e::decode_payload(&key, &message.payload, &mut nonces).expect("opens");
    match received.opened.message {
        Message::Text(text) => text,
        other => panic!("not a text: {other:?}"),
    }
}

/// The next event within a few seconds.
pub async fn next(client: &mut Client) -> ClientEvent {
    tokio::time::timeout(Duration::from_secs(10), client.next_event())
        .await
        .expect("an event in time")
        .expect("the connection is open")
}

/// Messages until queue-send-complete, acking each.
pub async fn drain_queue(client: &mut Client) -> Vec<IncomingMessage> {
    let mut messages = Vec::new();
    loop {
        match next(client).await {
            ClientEvent::Message(message) => {
                client
                    .ack_incoming(message.sender, message.message_id)
                    .await
                    .expect("ack");
                messages.push(message);
            }
            ClientEvent::QueueSendComplete => return messages,
            other => panic!("unexpected {other:?}"),
        }
    }
}
