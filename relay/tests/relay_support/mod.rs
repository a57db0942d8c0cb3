//! Shared helpers of the relay server tests: an embedded relay on 127.0.0.1 in a temporary
//! directory, identities, and real end-to-end messages.

// Each test binary uses a different part of these helpers; ids seed test bytes on purpose.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::cast_possible_truncation,
    clippy::items_after_statements
)]

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

/// A client driven by hand over a raw socket, for tests that misbehave on purpose: it can
/// write any bytes, stop reading, and read everything the relay sent until it closed.
pub struct RawClient {
    pub stream: tokio::net::TcpStream,
    pub machine: saltrelay_protocol::transport::ClientConnection,
    clock: saltrelay_relay::runtime::clock::Clock,
}

impl RawClient {
    /// Connects and runs the handshake to the login-ack.
    pub async fn login(relay: &RelayHandle, keys: &IdentityKeys) -> Self {
        use saltrelay_protocol::transport::{ClientConfig, ClientConnection};
        let stream = tokio::net::TcpStream::connect(relay.local_addr())
            .await
            .expect("connect");
        let clock = saltrelay_relay::runtime::clock::Clock::new();
        let keys = IdentityKeys::from_parts(
            keys.identity(),
            saltrelay_protocol::crypto::SecretKey::from_bytes(*keys.secret_key().expose_secret()),
        );
        let config = ClientConfig::new(keys, vec![relay.public_key()]);
        let machine =
            ClientConnection::start(config, &mut ChaCha20Rng::from_seed([9; 32]), clock.now());
        let mut raw = Self {
            stream,
            machine,
            clock,
        };
        let mut buf = vec![0u8; 4096];
        while !raw.machine.is_established() {
            raw.flush().await;
            use tokio::io::AsyncReadExt as _;
            let n = raw.stream.read(&mut buf).await.expect("read");
            assert!(n > 0, "the relay closed during the handshake");
            raw.machine
                .handle_bytes(raw.clock.now(), &buf[..n])
                .expect("handshake");
        }
        raw.flush().await;
        raw
    }

    /// Writes what the machine has queued.
    pub async fn flush(&mut self) {
        use saltrelay_protocol::transport::ClientOutput;
        use tokio::io::AsyncWriteExt as _;
        while let Some(output) = self.machine.poll_output() {
            if let ClientOutput::Send(bytes) = output {
                self.stream.write_all(&bytes).await.expect("write");
            }
        }
    }

    /// Sends one payload.
    pub async fn send(&mut self, payload: &saltrelay_protocol::transport::Payload) {
        self.machine.send(self.clock.now(), payload).expect("send");
        self.flush().await;
    }

    /// Reads until the relay closes (at most 20 s); returns every payload and the error the
    /// machine ended with (`closed_by_relay` with the relay's code, normally).
    pub async fn read_to_end(
        &mut self,
    ) -> (
        Vec<saltrelay_protocol::transport::Payload>,
        Option<saltrelay_protocol::transport::TransportError>,
    ) {
        use saltrelay_protocol::transport::ClientOutput;
        use tokio::io::AsyncReadExt as _;
        let mut payloads = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let read = tokio::time::timeout_at(deadline, self.stream.read(&mut buf))
                .await
                .expect("the relay closes in time");
            let result = match read {
                Ok(0) | Err(_) => self.machine.handle_eof(),
                Ok(n) => self.machine.handle_bytes(self.clock.now(), &buf[..n]),
            };
            while let Some(output) = self.machine.poll_output() {
                if let ClientOutput::Received(payload) = output {
                    payloads.push(payload);
                }
            }
            if let Err(error) = result {
                return (payloads, Some(error));
            }
        }
    }
}

/// The relay's close-error code an error carries, if any.
pub fn close_code(error: &saltrelay_protocol::transport::TransportError) -> String {
    match error {
        saltrelay_protocol::transport::TransportError::ClosedByRelay { reason, .. } => {
            reason.code().to_owned()
        }
        other => format!("not closed by the relay: {other}"),
    }
}

/// A message the relay can route: a valid header and an opaque box of `len` bytes.
pub fn opaque_message(
    from: &IdentityKeys,
    to: &IdentityKeys,
    id: u64,
    flags: u8,
    len: usize,
) -> Vec<u8> {
    e2e::MessagePayload {
        sender: from.identity(),
        receiver: to.identity(),
        message_id: MessageId::from_u64(id),
        created_at: 0,
        flags: MessageFlags(flags),
        legacy_nickname: [0; 32],
        metadata_box: Vec::new(),
        nonce: Nonce::from_bytes([id as u8; 24]),
        message_box: vec![0xa5; len],
    }
    .encode()
    .expect("encodes")
}

/// Waits (at most 20 s) until the relay has counted a close with `code`.
pub async fn wait_for_close(relay: &RelayHandle, code: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !relay.stats().closes.contains_key(code) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {code} close in time"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Sends one message from `from` to `to` and checks it arrives and is acked.
pub async fn exchange(relay: &RelayHandle, from: &IdentityKeys, to: &IdentityKeys, id: u64) {
    let mut receiver = connect(relay, to).await;
    drain_queue(&mut receiver).await;
    let sender = connect(relay, from).await;
    let handle = sender.handle();
    let bytes = text_message(from, to, "still served", id, 0x01);
    let sending = tokio::spawn(async move { handle.send_message(bytes).await });
    let ClientEvent::Message(message) = next(&mut receiver).await else {
        panic!("a message");
    };
    assert_eq!(open_text(&message, from, to), "still served");
    receiver
        .ack_incoming(message.sender, message.message_id)
        .await
        .expect("ack");
    sending.await.expect("task").expect("acked");
    sender.close().await;
    receiver.close().await;
}
