//! `interop relay-check`: a scripted suite against anyone's running relay (spec/04-transport.md,
//! spec/05-relay.md): login, key binding and lookup, send and ack, offline delivery in order
//! after reconnect, blobs, echo, and misbehaviour with the close-errors the spec requires.
//!
//! Every run uses fresh random identities, so it can be repeated against a relay that keeps
//! its state. Each check has its own time limit; a check that fails says what it saw.

use std::future::Future;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use saltrelay_protocol::crypto::{Nonce, PublicKey};
use saltrelay_protocol::e2e::{MessageFlags, MessageId, MessagePayload, NICKNAME_LEN};
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_protocol::transport::{Payload, TransportError};
use saltrelay_relay::client::{Client, ClientEvent, ClientOptions};
use serde::Serialize;

use saltrelay_relay::client::raw::{RawClient, RawClientError};

/// How long one check may take.
const CHECK_LIMIT: Duration = Duration::from_secs(30);
/// How long to wait for one event or close.
const WAIT: Duration = Duration::from_secs(10);

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The check's name.
    pub name: &'static str,
    /// The spec paragraphs it exercises.
    #[serde(rename = "specRefs")]
    pub spec_refs: &'static [&'static str],
    /// Whether the relay behaved as the spec requires.
    pub passed: bool,
    /// What was seen, for a failure.
    pub detail: Option<String>,
}

/// Runs every check against the relay at `addr` with permanent key `relay_key`, in order.
pub async fn relay_check(addr: &str, relay_key: PublicKey) -> Vec<CheckResult> {
    let target = Target {
        addr: addr.to_owned(),
        key: relay_key,
    };
    let mut results = Vec::new();
    macro_rules! check {
        ($name:literal, [$($spec:literal),*], $body:expr) => {
            results.push(run_check($name, &[$($spec),*], $body).await);
        };
    }
    check!(
        "login",
        ["TR-3", "TR-12", "TR-14", "RELAY-3"],
        login(&target)
    );
    check!("key_binding_and_lookup", ["TR-15"], key_lookup(&target));
    check!(
        "send_and_ack_online",
        ["TR-19", "TR-20", "RELAY-13"],
        send_online(&target)
    );
    check!(
        "offline_delivery_in_order",
        ["RELAY-3", "RELAY-13"],
        offline_in_order(&target)
    );
    check!(
        "blob_upload_and_download",
        ["TR-24", "TR-25"],
        blobs(&target)
    );
    check!("echo", ["TR-19"], echo(&target));
    check!(
        "oversized_frame_closed",
        ["TR-16", "TR-26"],
        close_after(&target, Misbehaviour::OversizedFrame, "frame_too_large")
    );
    check!(
        "short_frame_closed",
        ["TR-16", "TR-26"],
        close_after(&target, Misbehaviour::ShortFrame, "frame_too_short")
    );
    check!(
        "forged_frame_closed",
        ["TR-17", "TR-26"],
        close_after(&target, Misbehaviour::ForgedFrame, "frame_auth_failed")
    );
    check!(
        "skipped_counter_closed",
        ["TR-2", "TR-17", "TR-26"],
        close_after(&target, Misbehaviour::SkippedCounter, "frame_skipped")
    );
    check!(
        "replayed_counter_closed",
        ["TR-2", "TR-17", "TR-26"],
        close_after(&target, Misbehaviour::ReplayedCounter, "frame_replayed")
    );
    check!(
        "malformed_message_closed",
        ["RELAY-21", "TR-26"],
        close_after(&target, Misbehaviour::MalformedMessage, "malformed_message")
    );
    check!(
        "sender_mismatch_closed",
        ["RELAY-21", "TR-26"],
        close_after(&target, Misbehaviour::SenderMismatch, "sender_mismatch")
    );
    check!(
        "second_login_replaces_first",
        ["RELAY-21", "TR-26"],
        second_login(&target)
    );
    results
}

async fn run_check(
    name: &'static str,
    spec_refs: &'static [&'static str],
    body: impl Future<Output = Result<(), String>>,
) -> CheckResult {
    let outcome = tokio::time::timeout(CHECK_LIMIT, body)
        .await
        .unwrap_or_else(|_| Err(format!("no result within {} s", CHECK_LIMIT.as_secs())));
    CheckResult {
        name,
        spec_refs,
        passed: outcome.is_ok(),
        detail: outcome.err(),
    }
}

struct Target {
    addr: String,
    key: PublicKey,
}

impl Target {
    async fn connect(&self, keys: &IdentityKeys) -> Result<Client, String> {
        Client::connect(self.addr.as_str(), keys, ClientOptions::new(self.key))
            .await
            .map_err(|e| format!("login failed: {e}"))
    }
}

/// A random identity, new for each check (also client-check's).
pub(crate) fn fresh_identity() -> IdentityKeys {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system provides randomness");
    IdentityKeys::generate(&mut ChaCha20Rng::from_seed(seed))
}

async fn next(client: &mut Client) -> Result<ClientEvent, String> {
    tokio::time::timeout(WAIT, client.next_event())
        .await
        .map_err(|_| format!("no event within {} s", WAIT.as_secs()))?
        .ok_or_else(|| "the connection ended".to_owned())
}

/// Reads events to queue-send-complete, acking each message; returns the message IDs.
async fn drain(client: &mut Client) -> Result<Vec<MessageId>, String> {
    let mut ids = Vec::new();
    loop {
        match next(client).await? {
            ClientEvent::Message(message) => {
                client
                    .ack_incoming(message.sender, message.message_id)
                    .await
                    .map_err(|e| format!("ack: {e}"))?;
                ids.push(message.message_id);
            }
            ClientEvent::QueueSendComplete => return Ok(ids),
            other => {
                return Err(format!(
                    "expected messages or queue-send-complete, got {other:?}"
                ));
            }
        }
    }
}

/// A message the relay can route: a valid outer header and an opaque box (E2E-23).
fn message(from: &IdentityKeys, to: &IdentityKeys, id: u64) -> Vec<u8> {
    MessagePayload {
        sender: from.identity(),
        receiver: to.identity(),
        message_id: MessageId::from_u64(id),
        created_at: 0,
        flags: MessageFlags(0x01),
        legacy_nickname: [0; NICKNAME_LEN],
        metadata_box: Vec::new(),
        nonce: Nonce::from_bytes([u8::try_from(id % 256).unwrap_or(0); 24]),
        message_box: vec![0xa5; 48],
    }
    .encode()
    .expect("a valid header encodes")
}

async fn login(target: &Target) -> Result<(), String> {
    let mut alice = target.connect(&fresh_identity()).await?;
    let queued = alice.login_ack().queued_count;
    if queued != 0 {
        return Err(format!("a new identity has {queued} queued messages"));
    }
    let ids = drain(&mut alice).await?;
    alice.close().await;
    if ids.is_empty() {
        Ok(())
    } else {
        Err(format!("a new identity got {} messages", ids.len()))
    }
}

async fn key_lookup(target: &Target) -> Result<(), String> {
    let (alice, bob) = (fresh_identity(), fresh_identity());
    let mut bob_client = target.connect(&bob).await?;
    drain(&mut bob_client).await?;
    let alice_client = target.connect(&alice).await?;
    let found = alice_client
        .lookup_key(bob.identity())
        .await
        .map_err(|e| format!("lookup: {e}"))?;
    alice_client.close().await;
    bob_client.close().await;
    match found {
        Some(key) if key == bob.public_key() => Ok(()),
        Some(_) => Err("the lookup returned another key than the one bound at login".into()),
        None => Err("the key bound at login was not found".into()),
    }
}

async fn send_online(target: &Target) -> Result<(), String> {
    let (alice, bob) = (fresh_identity(), fresh_identity());
    let mut bob_client = target.connect(&bob).await?;
    drain(&mut bob_client).await?;
    let alice_client = target.connect(&alice).await?;
    let handle = alice_client.handle();
    let bytes = message(&alice, &bob, 1);
    let sending = tokio::spawn(async move { handle.send_message(bytes).await });
    let ClientEvent::Message(received) = next(&mut bob_client).await? else {
        return Err("bob got something other than the message".into());
    };
    if received.sender != alice.identity() || received.message_id != MessageId::from_u64(1) {
        return Err(format!("bob got {received:?}"));
    }
    bob_client
        .ack_incoming(received.sender, received.message_id)
        .await
        .map_err(|e| format!("ack: {e}"))?;
    let acked = sending
        .await
        .map_err(|e| format!("send task: {e}"))?
        .map_err(|e| format!("send: {e}"))?;
    alice_client.close().await;
    bob_client.close().await;
    acked
        .map(|_| ())
        .ok_or_else(|| "the relay did not ack the message".into())
}

async fn offline_in_order(target: &Target) -> Result<(), String> {
    let (alice, bob) = (fresh_identity(), fresh_identity());
    let mut bob_client = target.connect(&bob).await?;
    drain(&mut bob_client).await?;
    bob_client.close().await;
    let alice_client = target.connect(&alice).await?;
    for id in 1..=3 {
        alice_client
            .send_message(message(&alice, &bob, id))
            .await
            .map_err(|e| format!("send {id}: {e}"))?
            .ok_or_else(|| format!("message {id} not acked"))?;
    }
    alice_client.close().await;
    let mut bob_client = target.connect(&bob).await?;
    let queued = bob_client.login_ack().queued_count;
    let ids = drain(&mut bob_client).await?;
    bob_client.close().await;
    let wanted: Vec<MessageId> = (1..=3).map(MessageId::from_u64).collect();
    if queued != 3 || ids != wanted {
        return Err(format!(
            "login-ack said {queued} queued; delivered {ids:?}, wanted {wanted:?}"
        ));
    }
    let mut again = target.connect(&bob).await?;
    let left = drain(&mut again).await?;
    again.close().await;
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("{} acked messages delivered again", left.len()))
    }
}

async fn blobs(target: &Target) -> Result<(), String> {
    let (alice, bob) = (fresh_identity(), fresh_identity());
    let data: Vec<u8> = (0..100_000u32)
        .map(|i| u8::try_from(i % 251).unwrap_or(0))
        .collect();
    let alice_client = target.connect(&alice).await?;
    let blob_id = alice_client
        .upload_blob(data.clone(), false)
        .await
        .map_err(|e| format!("upload: {e}"))?;
    alice_client.close().await;
    let bob_client = target.connect(&bob).await?;
    let downloaded = bob_client
        .download_blob(blob_id)
        .await
        .map_err(|e| format!("download: {e}"))?;
    bob_client
        .blob_done(blob_id)
        .await
        .map_err(|e| format!("done: {e}"))?;
    bob_client.close().await;
    if downloaded == data {
        Ok(())
    } else {
        Err(format!(
            "downloaded {} bytes that differ from the {} uploaded",
            downloaded.len(),
            data.len()
        ))
    }
}

async fn echo(target: &Target) -> Result<(), String> {
    let mut raw = RawClient::login(&target.addr, target.key, &fresh_identity())
        .await
        .map_err(text)?;
    let data = b"saltrelay interop echo".to_vec();
    raw.send(&Payload::EchoRequest(data.clone()))
        .await
        .map_err(text)?;
    let wanted = data.clone();
    raw.read_until(
        WAIT,
        move |p| matches!(p, Payload::EchoResponse(d) if *d == wanted),
    )
    .await
    .map(|_| ())
    .map_err(text)
}

enum Misbehaviour {
    OversizedFrame,
    ShortFrame,
    ForgedFrame,
    SkippedCounter,
    ReplayedCounter,
    MalformedMessage,
    SenderMismatch,
}

async fn close_after(target: &Target, what: Misbehaviour, wanted: &str) -> Result<(), String> {
    let mallory = fresh_identity();
    let mut raw = RawClient::login(&target.addr, target.key, &mallory)
        .await
        .map_err(text)?;
    match what {
        // TR-16: a length field of 65535, beyond the largest frame.
        Misbehaviour::OversizedFrame => raw.write_raw(&[0xff, 0xff]).await.map_err(text)?,
        // TR-16: a length field of 10, below the smallest box.
        Misbehaviour::ShortFrame => raw.write_raw(&[10, 0]).await.map_err(text)?,
        // TR-17: a box of the right size that opens under no counter near the expected one.
        Misbehaviour::ForgedFrame => {
            let mut frame = vec![40, 0];
            frame.extend((0u8..40).map(|i| i.wrapping_mul(37) ^ 0xa5));
            raw.write_raw(&frame).await.map_err(text)?;
        }
        // TR-2, TR-17: the frame under counter n is withheld, the one under n + 1 written.
        Misbehaviour::SkippedCounter => {
            let _withheld = raw
                .seal(&Payload::EchoRequest(b"withheld".to_vec()))
                .map_err(text)?;
            let next = raw
                .seal(&Payload::EchoRequest(b"next".to_vec()))
                .map_err(text)?;
            raw.write_raw(&next).await.map_err(text)?;
        }
        // TR-2, TR-17: a frame the relay already opened (and answered) is written again.
        Misbehaviour::ReplayedCounter => {
            let frame = raw
                .seal(&Payload::EchoRequest(b"once".to_vec()))
                .map_err(text)?;
            raw.write_raw(&frame).await.map_err(text)?;
            raw.read_until(
                WAIT,
                |p| matches!(p, Payload::EchoResponse(d) if d == b"once"),
            )
            .await
            .map_err(text)?;
            raw.write_raw(&frame).await.map_err(text)?;
        }
        Misbehaviour::MalformedMessage => {
            raw.send(&Payload::OutgoingMessage(vec![1, 2, 3]))
                .await
                .map_err(text)?;
        }
        Misbehaviour::SenderMismatch => {
            let (alice, bob) = (fresh_identity(), fresh_identity());
            raw.send(&Payload::OutgoingMessage(message(&alice, &bob, 1)))
                .await
                .map_err(text)?;
        }
    }
    let code = close_code(&mut raw, WAIT).await;
    if code == wanted {
        Ok(())
    } else {
        Err(format!("close-error {code}, wanted {wanted}"))
    }
}

/// The relay's close-error code (TR-26) once it closed (at most `within`), or what ended the
/// connection otherwise.
async fn close_code(raw: &mut RawClient, within: Duration) -> String {
    match raw.read_to_end(within).await {
        Ok((_, TransportError::ClosedByRelay { reason, .. })) => reason.code().to_owned(),
        Ok((_, other)) => format!("(not a close-error: {other})"),
        Err(RawClientError::Timeout(_)) => format!("(still open after {} s)", within.as_secs()),
        Err(other) => format!("({other})"),
    }
}

/// A hand-driven connection's error as a check's detail.
#[expect(clippy::needless_pass_by_value, reason = "used as map_err(text)")]
fn text(error: RawClientError) -> String {
    error.to_string()
}

async fn second_login(target: &Target) -> Result<(), String> {
    let bob = fresh_identity();
    let mut first = target.connect(&bob).await?;
    drain(&mut first).await?;
    let second = target.connect(&bob).await?;
    let seen = next(&mut first).await?;
    second.close().await;
    match seen {
        ClientEvent::Closed(error) if error.close_reason() == Some("replaced") => Ok(()),
        other => Err(format!(
            "the first connection saw {other:?}, wanted the close-error replaced"
        )),
    }
}

/// The text report: one line per check, then `N passed, N failed, 0 skipped`.
#[must_use]
pub fn to_text(results: &[CheckResult]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for r in results {
        let _ = writeln!(
            out,
            "{} {:<30} {}",
            if r.passed { "ok  " } else { "FAIL" },
            r.name,
            r.spec_refs.join(", ")
        );
        if let Some(detail) = &r.detail {
            let _ = writeln!(out, "     {detail}");
        }
    }
    let passed = results.iter().filter(|r| r.passed).count();
    let _ = writeln!(
        out,
        "{passed} passed, {} failed, 0 skipped",
        results.len() - passed
    );
    out
}
