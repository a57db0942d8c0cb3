//! `interop client-check` (IOP-17 to IOP-19): our relay, started in-process and scripted, drives
//! a third-party client through normal delivery and through the relay-side faults the spec
//! allows, one run of the client's command per scenario, and reports what the client did.
//!
//! The faults are the real relay's own behaviour under a configuration and a script, not a
//! fake relay: a full mailbox refuses a message (RELAY-11, RELAY-16), a second login of the
//! client's identity closes it with `replaced` (TR-26, RELAY-21), and a recipient that does not
//! ack holds the sender's ack back (RELAY-13). Two faults are the network's, made by a proxy in
//! front of the relay that counts bytes and frames but opens nothing: a relay that falls silent
//! after the login (TR-28) and a connection cut in the middle of a queued delivery. Each
//! scenario gets a fresh relay in a temporary data directory and fresh identities.

mod client;
mod proxy;
mod stage;

use std::future::Future;
use std::time::{Duration, Instant};

use saltrelay_relay::client::ClientEvent;
use tokio::sync::oneshot;

use crate::relay_check::fresh_identity;
pub use crate::relay_check::{CheckResult, to_text};
use client::run_client;
use proxy::{Plan, Proxy};
use stage::{Stage, drain, fresh_text, next_while_running, open_text, run_and_tell, text_message};

/// How long to wait for one event at the harness's own connections.
pub(super) const WAIT: Duration = Duration::from_secs(30);
/// The client's own timeout in every scenario (`SALTRELAY_TIMEOUT_SECS`, IOP-17).
pub(super) const CLIENT_TIMEOUT_SECS: u64 = 20;
/// The client's timeout where the relay withholds the ack (IOP-19).
const WITHHELD_TIMEOUT_SECS: u64 = 5;
/// How soon after a close-error the client must have exited (IOP-19).
const EXIT_AFTER_CLOSE: Duration = Duration::from_secs(10);

/// Runs every scenario with the client `command` (a program and its arguments), in order.
pub async fn client_check(command: &[String]) -> Vec<CheckResult> {
    let mut results = Vec::new();
    macro_rules! check {
        ($name:literal, [$($spec:literal),*], $body:expr) => {
            results.push(run_check($name, &[$($spec),*], $body).await);
        };
    }
    check!(
        "send_delivered",
        ["IOP-18", "TR-20", "RELAY-13", "E2E-23"],
        send_delivered(command)
    );
    check!(
        "receive_queued_in_order",
        ["IOP-18", "RELAY-3", "RELAY-9", "RELAY-22"],
        receive_queued(command)
    );
    check!(
        "send_refused_mailbox_full",
        ["IOP-19", "RELAY-11", "RELAY-16"],
        send_refused(command)
    );
    check!(
        "ack_withheld_gives_up",
        ["IOP-19", "RELAY-13"],
        ack_withheld(command)
    );
    check!(
        "replaced_before_ack",
        ["IOP-19", "TR-26", "RELAY-13", "RELAY-21"],
        replaced_before_ack(command)
    );
    // These two also say, when they pass, what the client did at each step.
    results.push(
        told(
            "relay_silent_gives_up",
            &["IOP-19", "TR-28", "RELAY-22"],
            relay_silent(command),
        )
        .await,
    );
    results.push(
        told(
            "receive_cut_then_resumed",
            &["IOP-19", "RELAY-3", "RELAY-9", "RELAY-22"],
            receive_cut(command),
        )
        .await,
    );
    results
}

async fn run_check(
    name: &'static str,
    spec_refs: &'static [&'static str],
    body: impl Future<Output = Result<(), String>>,
) -> CheckResult {
    let outcome = body.await;
    CheckResult {
        name,
        spec_refs,
        passed: outcome.is_ok(),
        detail: outcome.err(),
    }
}

/// A check whose detail, passed or failed, says what the client did.
async fn told(
    name: &'static str,
    spec_refs: &'static [&'static str],
    body: impl Future<Output = Result<String, String>>,
) -> CheckResult {
    let (passed, detail) = match body.await {
        Ok(seen) => (true, seen),
        Err(failure) => (false, failure),
    };
    CheckResult {
        name,
        spec_refs,
        passed,
        detail: Some(detail),
    }
}

/// IOP-18 `send`: the recipient is online and acks; the client's text arrives and it exits 0.
async fn send_delivered(command: &[String]) -> Result<(), String> {
    let stage = Stage::new(|_| {}).await?;
    let mut peer = stage.connect(&stage.peer).await?;
    drain(&mut peer, true).await?;
    let text = fresh_text("send");
    let scenario = stage.scenario("send", &text);
    let (tell, exited) = oneshot::channel();
    let running = run_and_tell(command, &scenario, tell);
    let watching = async {
        let ClientEvent::Message(message) = next_while_running(&mut peer, exited).await? else {
            return Err("the recipient got something other than a message".to_owned());
        };
        peer.ack_incoming(message.sender, message.message_id)
            .await
            .map_err(|e| format!("ack: {e}"))?;
        if message.sender != stage.client.identity() {
            return Err(format!("the message came from {}", message.sender));
        }
        open_text(&stage.peer, &stage.client, &message.payload)
    };
    let (outcome, seen) = tokio::join!(running, watching);
    peer.close().await;
    stage.finish().await;
    let seen = seen.map_err(|e| format!("{e}; {}", outcome.describe()))?;
    if seen != text {
        return Err(format!(
            "the recipient got the text {seen:?}, wanted {text:?}"
        ));
    }
    if !outcome.succeeded() {
        return Err(format!(
            "the message was delivered, but {}",
            outcome.describe()
        ));
    }
    Ok(())
}

/// IOP-18 `receive`: three texts queued while the client was away are printed in order and
/// acked; afterwards nothing is left queued.
async fn receive_queued(command: &[String]) -> Result<(), String> {
    let stage = Stage::new(|_| {}).await?;
    // The client's key is bound as after an earlier session; the peer sends while it is away.
    stage.connect(&stage.client).await?.close().await;
    let peer = stage.connect(&stage.peer).await?;
    let texts: Vec<String> = (1..=3)
        .map(|i| fresh_text(&format!("queued {i}")))
        .collect();
    for text in &texts {
        peer.send_message(text_message(&stage.peer, &stage.client, text)?)
            .await
            .map_err(|e| format!("the harness's send: {e}"))?;
    }
    peer.close().await;
    let outcome = run_client(command, &stage.scenario("receive", "")).await;
    let mut after = stage.connect(&stage.client).await?;
    let left = after.login_ack().queued_count;
    let redelivered = drain(&mut after, false).await?.len();
    after.close().await;
    stage.finish().await;
    let mut rest = outcome.stdout.as_str();
    for (i, text) in texts.iter().enumerate() {
        let Some(at) = rest.find(text.as_str()) else {
            return Err(format!(
                "message {} of 3 is not on the client's standard output (in order); {}",
                i + 1,
                outcome.describe()
            ));
        };
        rest = &rest[at + text.len()..];
    }
    if left != 0 || redelivered != 0 {
        return Err(format!(
            "the client printed the messages but did not ack them: {redelivered} still queued"
        ));
    }
    if !outcome.succeeded() {
        return Err(format!(
            "the messages were acked, but {}",
            outcome.describe()
        ));
    }
    Ok(())
}

/// IOP-19: the recipient's mailbox is full, the relay refuses the message and never acks it;
/// the client must not report success.
async fn send_refused(command: &[String]) -> Result<(), String> {
    let stage = Stage::new(|config| config.max_queue_messages = 1).await?;
    let filler = fresh_identity();
    stage.connect(&stage.peer).await?.close().await;
    let sender = stage.connect(&filler).await?;
    sender
        .send_message(text_message(&filler, &stage.peer, "fills the mailbox")?)
        .await
        .map_err(|e| format!("the harness's send: {e}"))?;
    sender.close().await;
    let outcome = run_client(command, &stage.scenario("send", &fresh_text("refused"))).await;
    let mut peer = stage.connect(&stage.peer).await?;
    let delivered = drain(&mut peer, true).await?.len();
    peer.close().await;
    stage.finish().await;
    if delivered != 1 {
        return Err(format!(
            "the full mailbox delivered {delivered} messages, wanted 1 (harness fault)"
        ));
    }
    outcome.gave_up("for a message the relay refused")
}

/// IOP-19: the recipient holds the ack back and the relay stays silent about the message, the
/// connection otherwise alive: the client must give up, non-zero, within its timeout.
async fn ack_withheld(command: &[String]) -> Result<(), String> {
    let stage = Stage::new(|config| config.spill_after_ms = 600_000).await?;
    let mut peer = stage.connect(&stage.peer).await?;
    drain(&mut peer, true).await?;
    let text = fresh_text("withheld");
    let mut scenario = stage.scenario("send", &text);
    scenario.timeout_secs = WITHHELD_TIMEOUT_SECS;
    let (tell, exited) = oneshot::channel();
    let running = run_and_tell(command, &scenario, tell);
    let (outcome, seen) = tokio::join!(running, next_while_running(&mut peer, exited));
    peer.close().await;
    stage.finish().await;
    match seen {
        Ok(ClientEvent::Message(_)) => {}
        Ok(other) => return Err(format!("the recipient got {other:?}, not the message")),
        Err(error) => return Err(format!("{error}; {}", outcome.describe())),
    }
    outcome.gave_up("for a message the relay never acked")
}

/// IOP-19: the recipient holds the ack back; while the client waits for it, a second login of
/// its identity closes it with `replaced` (can-reconnect 0). The client must exit non-zero at
/// once and must not log in again.
async fn replaced_before_ack(command: &[String]) -> Result<(), String> {
    let stage = Stage::new(|config| config.spill_after_ms = 600_000).await?;
    let mut peer = stage.connect(&stage.peer).await?;
    drain(&mut peer, true).await?;
    let text = fresh_text("replaced");
    let scenario = stage.scenario("send", &text);
    let (tell, exited) = oneshot::channel();
    let running = run_and_tell(command, &scenario, tell);
    let script = async {
        // The message arrives and is not acked: the client now waits for its ack.
        let ClientEvent::Message(_) = next_while_running(&mut peer, exited).await? else {
            return Err("the recipient got something other than a message".to_owned());
        };
        let replacing = stage.connect(&stage.client).await?;
        Ok((replacing, Instant::now()))
    };
    let (outcome, scripted) = tokio::join!(running, script);
    let exited = Instant::now();
    peer.close().await;
    let (mut replacing, replaced_at) = match scripted {
        Ok(scripted) => scripted,
        Err(error) => {
            stage.finish().await;
            return Err(format!("{error}; {}", outcome.describe()));
        }
    };
    // A client that logged in again has closed our second connection with `replaced`.
    let relogin = tokio::time::timeout(Duration::from_millis(500), replacing.next_event()).await;
    replacing.close().await;
    stage.finish().await;
    if let Ok(Some(ClientEvent::Closed(error))) = relogin {
        return Err(format!(
            "the client logged in again after a close-error with can-reconnect 0 ({error})"
        ));
    }
    if outcome.succeeded() {
        return Err("the client exited 0 for a message the relay never acked".to_owned());
    }
    let took = exited.duration_since(replaced_at);
    if outcome.code.is_none() || took > EXIT_AFTER_CLOSE {
        return Err(format!(
            "the client went on for {} s after the close-error replaced: {}",
            took.as_secs(),
            outcome.describe()
        ));
    }
    Ok(())
}

/// IOP-19: after the login-ack the relay answers nothing (not the key lookup, not an
/// echo-request, TR-28), the connection open: the client must not report the message sent and
/// must give up, non-zero, within its timeout.
async fn relay_silent(command: &[String]) -> Result<String, String> {
    let stage = Stage::new(|_| {}).await?;
    stage.connect(&stage.peer).await?.close().await;
    let proxy = Proxy::start(stage.addr(), Plan::SilentAfterLogin).await?;
    let text = fresh_text("silent");
    let mut scenario = stage.scenario("send", &text);
    scenario.relay = &proxy.addr;
    scenario.timeout_secs = WITHHELD_TIMEOUT_SECS;
    let started = Instant::now();
    let outcome = run_client(command, &scenario).await;
    let took = started.elapsed().as_secs();
    proxy.stop();
    stage.finish().await;
    outcome
        .gave_up("although the relay answered nothing")
        .map(|()| format!("after {took} s: {}", outcome.describe()))
}

/// IOP-19: three texts are queued; the first run's connection is cut (no close-error) right
/// after the first message was delivered. That run must not exit 0; a second run must print
/// the rest, every text in order across both runs, and leave nothing queued.
async fn receive_cut(command: &[String]) -> Result<String, String> {
    let stage = Stage::new(|_| {}).await?;
    stage.connect(&stage.client).await?.close().await;
    let peer = stage.connect(&stage.peer).await?;
    let texts: Vec<String> = (1..=3).map(|i| fresh_text(&format!("cut {i}"))).collect();
    for text in &texts {
        peer.send_message(text_message(&stage.peer, &stage.client, text)?)
            .await
            .map_err(|e| format!("the harness's send: {e}"))?;
    }
    peer.close().await;
    let proxy = Proxy::start(stage.addr(), Plan::CutAfterFrames(1)).await?;
    let mut scenario = stage.scenario("receive", "");
    scenario.relay = &proxy.addr;
    let first = run_client(command, &scenario).await;
    proxy.stop();
    let second = run_client(command, &stage.scenario("receive", "")).await;
    let mut after = stage.connect(&stage.client).await?;
    let left = after.login_ack().queued_count;
    let redelivered = drain(&mut after, false).await?.len();
    after.close().await;
    stage.finish().await;
    let runs = format!(
        "first run: {}; second run: {}",
        first.describe(),
        second.describe()
    );
    if first.succeeded() {
        return Err(format!(
            "the first run exited 0 although its connection was cut before queue-send-complete; {runs}"
        ));
    }
    if first.code.is_none() {
        return Err(format!("the first run did not give up: {runs}"));
    }
    let shown = |stdout: &str| texts.iter().filter(|t| stdout.contains(t.as_str())).count();
    let runs = format!(
        "first run (cut after one frame): printed {} of 3, {}; second run: printed {} of 3, {}",
        shown(&first.stdout),
        first.describe(),
        shown(&second.stdout),
        second.describe()
    );
    let both = format!("{}{}", first.stdout, second.stdout);
    let mut rest = both.as_str();
    for (i, text) in texts.iter().enumerate() {
        let Some(at) = rest.find(text.as_str()) else {
            return Err(format!(
                "message {} of 3 is not on the two runs' standard output (in order); {runs}",
                i + 1
            ));
        };
        rest = &rest[at + text.len()..];
    }
    if left != 0 || redelivered != 0 {
        return Err(format!(
            "{redelivered} messages still queued after the second run; {runs}"
        ));
    }
    if !second.succeeded() {
        return Err(format!("the second run failed: {runs}"));
    }
    Ok(runs)
}
