//! The stage of one client-check scenario (IOP-17): a reference relay in a fresh data
//! directory, the client's identity file, the harness's own connections, and sealing and
//! opening the text messages the checks exchange with the client.

use std::path::PathBuf;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use saltrelay_protocol::crypto::{BoxKey, Nonce};
use saltrelay_protocol::e2e::{
    self, InMemoryNonceStore, Message, MessageFlags, MessageId, OutgoingMessage, PayloadVersion,
};
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_relay::client::{Client, ClientEvent, ClientOptions};
use saltrelay_relay::runtime::clock::Clock;
use saltrelay_relay::server::{RelayHandle, ServerConfig, start};
use tokio::sync::oneshot;

use super::client::{Outcome, Scenario, run_client};
use super::{CLIENT_TIMEOUT_SECS, WAIT};
use crate::relay_check::fresh_identity;

/// One scenario's relay, its data directory and the client's identity file.
pub(super) struct Stage {
    relay: RelayHandle,
    addr: String,
    /// Kept for the scenario's lifetime: dropping it removes the directory.
    _dir: tempfile::TempDir,
    id_file: PathBuf,
    pub(super) client: IdentityKeys,
    pub(super) peer: IdentityKeys,
}

impl Stage {
    pub(super) async fn new(adjust: impl FnOnce(&mut ServerConfig)) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
        let data = dir.path().join("relay");
        let mut config = ServerConfig::new(
            "127.0.0.1:0".parse().expect("a loopback address parses"),
            &data,
        );
        adjust(&mut config);
        let relay = start(config)
            .await
            .map_err(|e| format!("the reference relay did not start: {e}"))?;
        let client = fresh_identity();
        // ID-9: a client refuses a key file that group or others can read, so it is 0600.
        let id_file = dir.path().join("client.key");
        saltrelay_relay::private_file::create_new(&id_file, &client.to_key_file())
            .map_err(|e| format!("writing the identity file: {e}"))?;
        Ok(Self {
            addr: relay.local_addr().to_string(),
            relay,
            _dir: dir,
            id_file,
            client,
            peer: fresh_identity(),
        })
    }

    pub(super) fn scenario<'a>(&'a self, action: &'static str, text: &'a str) -> Scenario<'a> {
        Scenario {
            action,
            relay: &self.addr,
            relay_key: self.relay.public_key(),
            id_file: &self.id_file,
            peer: self.peer.identity(),
            text,
            timeout_secs: CLIENT_TIMEOUT_SECS,
        }
    }

    pub(super) async fn connect(&self, keys: &IdentityKeys) -> Result<Client, String> {
        Client::connect(
            self.addr.as_str(),
            keys,
            ClientOptions::new(self.relay.public_key()),
        )
        .await
        .map_err(|e| format!("the harness could not log in: {e}"))
    }

    pub(super) async fn finish(self) {
        let _ = self.relay.shutdown().await;
    }
}

/// A text no earlier run could have sent.
pub(super) fn fresh_text(label: &str) -> String {
    let mut tag = [0u8; 6];
    getrandom::fill(&mut tag).expect("the operating system provides randomness");
    format!("saltrelay client-check {label} {}", hex::encode(tag))
}

/// After the client exited, how long its message may still take to arrive.
const AFTER_EXIT: Duration = Duration::from_secs(5);

/// The client's run, telling `exited` when it is over.
pub(super) async fn run_and_tell(
    command: &[String],
    scenario: &Scenario<'_>,
    exited: oneshot::Sender<()>,
) -> Outcome {
    let outcome = run_client(command, scenario).await;
    let _ = exited.send(());
    outcome
}

/// The next event at the peer, or an error once the client has exited without sending.
pub(super) async fn next_while_running(
    peer: &mut Client,
    exited: oneshot::Receiver<()>,
) -> Result<ClientEvent, String> {
    tokio::select! {
        event = next(peer) => event,
        () = async {
            let _ = exited.await;
            tokio::time::sleep(AFTER_EXIT).await;
        } => Err("the client exited and its message never arrived".to_owned()),
    }
}

pub(super) async fn next(client: &mut Client) -> Result<ClientEvent, String> {
    tokio::time::timeout(WAIT, client.next_event())
        .await
        .map_err(|_| format!("the harness saw no event within {} s", WAIT.as_secs()))?
        .ok_or_else(|| "the harness's connection ended".to_owned())
}

/// Reads the harness's connection to queue-send-complete; returns the messages' payloads,
/// acked when `ack`.
pub(super) async fn drain(client: &mut Client, ack: bool) -> Result<Vec<Vec<u8>>, String> {
    let mut payloads = Vec::new();
    loop {
        match next(client).await? {
            ClientEvent::Message(message) => {
                if ack {
                    client
                        .ack_incoming(message.sender, message.message_id)
                        .await
                        .map_err(|e| format!("ack: {e}"))?;
                }
                payloads.push(message.payload);
            }
            ClientEvent::QueueSendComplete => return Ok(payloads),
            other => return Err(format!("the harness got {other:?}")),
        }
    }
}

/// A text message from `from` to `to`, sealed as any client would (E2E-23 to E2E-29).
pub(super) fn text_message(
    from: &IdentityKeys,
    to: &IdentityKeys,
    text: &str,
) -> Result<Vec<u8>, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system provides randomness");
    let mut rng = ChaCha20Rng::from_seed(seed);
    let message = Message::Text(text.to_owned());
    let key = BoxKey::derive(from.secret_key(), &to.public_key()).map_err(|e| e.to_string())?;
    let pad = e2e::draw_padding_length(&mut rng, message.body_len().map_err(|e| e.to_string())?);
    let outgoing = OutgoingMessage {
        sender: from.identity(),
        receiver: to.identity(),
        message_id: MessageId::random(&mut rng),
        created_at: Clock::new().now(),
        flags: MessageFlags(MessageFlags::SEND_PUSH),
        nickname: None,
        version: PayloadVersion::MetadataBox,
        expire_after_seconds: None,
        message,
    };
    e2e::encode_payload(&key, &outgoing, &Nonce::random(&mut rng), pad).map_err(|e| e.to_string())
}

/// The text in a payload `to` received from `from`, or why there is none.
pub(super) fn open_text(
    to: &IdentityKeys,
    from: &IdentityKeys,
    payload: &[u8],
) -> Result<String, String> {
    let key = BoxKey::derive(to.secret_key(), &from.public_key()).map_err(|e| e.to_string())?;
    let received = e2e::decode_payload(&key, payload, &mut InMemoryNonceStore::new())
        .map_err(|e| format!("the client's message does not open: {e}"))?;
    match received.opened.message {
        Message::Text(text) => Ok(text),
        other => Err(format!("the client sent {other:?}, wanted a text message")),
    }
}
