//! Runs one side of a connection through a scripted sequence of inputs (TR-12 to TR-31):
//! the check behind `transport_transcripts.json` and `transport_handshake.json`.

use super::common::rebuilt_secret;
use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::{
    ClientConfig, ClientConnection, ClientOutput, CloseCause, LoginExtensions, RelayConfig,
    RelayConnection, RelayOutput, TransportError,
};
use serde_json::{Value, json};

use super::transport_common::{extensions_json, payload_json};
use crate::case::{Case, Malformed};
use crate::rng::ReplayRng;

/// One scripted input.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Bytes from the peer at `at` ms.
    Input(u64, Vec<u8>),
    /// `handle_timeout` at `at` ms.
    Timeout(u64),
    /// The peer closed the stream at `at` ms.
    Eof(u64),
}

impl Step {
    pub(crate) fn json(&self) -> Value {
        match self {
            Self::Input(at, bytes) => json!({"at": at, "input": hex::encode(bytes)}),
            Self::Timeout(at) => json!({"at": at, "timeout": true}),
            Self::Eof(at) => json!({"at": at, "eof": true}),
        }
    }

    fn at(&self) -> Timestamp {
        let (Self::Input(at, _) | Self::Timeout(at) | Self::Eof(at)) = self;
        Timestamp::from_millis(*at)
    }
}

/// Reads the `steps` field.
pub(crate) fn steps(case: Case<'_>) -> Result<Vec<Step>, Malformed> {
    let bad = |why: &str| Malformed::new("steps", why.to_owned());
    let list = case
        .value("steps")?
        .as_array()
        .ok_or_else(|| bad("not a list"))?;
    list.iter()
        .map(|step| {
            let at = step
                .get("at")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("step without at"))?;
            if let Some(input) = step.get("input").and_then(Value::as_str) {
                Ok(Step::Input(
                    at,
                    hex::decode(input).map_err(|_| bad("input not hex"))?,
                ))
            } else if step.get("timeout").is_some() {
                Ok(Step::Timeout(at))
            } else if step.get("eof").is_some() {
                Ok(Step::Eof(at))
            } else {
                Err(bad("unknown step"))
            }
        })
        .collect()
}

/// What one side did with its script.
#[derive(Debug, Default)]
pub(crate) struct Run {
    /// Every byte it wrote, in order.
    pub(crate) sent: Vec<u8>,
    /// What it reported, in order.
    pub(crate) events: Vec<Value>,
    /// The error that failed it, if any.
    pub(crate) error: Option<TransportError>,
}

/// The client's inputs: keys, relay keys, exactly the extensions to send, idle timeout.
pub(crate) struct ClientSetup {
    pub(crate) keys: IdentityKeys,
    pub(crate) relay_keys: Vec<PublicKey>,
    pub(crate) extensions: LoginExtensions,
    pub(crate) idle_timeout_secs: u16,
}

/// Runs the client machine (TR-3, TR-5, TR-14, TR-28).
pub(crate) fn run_client(setup: ClientSetup, random: &[u8], start: u64, steps: &[Step]) -> Run {
    let mut config = ClientConfig::new(setup.keys, setup.relay_keys);
    config.extensions = setup.extensions;
    config.offer_public_key = false;
    config.idle_timeout_secs = setup.idle_timeout_secs;
    let mut client = ClientConnection::start(
        config,
        &mut ReplayRng::new(random),
        Timestamp::from_millis(start),
    );
    let mut run = Run::default();
    drain_client(&mut client, &mut run);
    for step in steps {
        let _ = match step {
            Step::Input(_, bytes) => client.handle_bytes(step.at(), bytes),
            Step::Timeout(_) => client.handle_timeout(step.at()),
            Step::Eof(_) => client.handle_eof(),
        };
        drain_client(&mut client, &mut run);
    }
    run.error = client.error().cloned();
    run
}

pub(crate) fn drain_client(client: &mut ClientConnection, run: &mut Run) {
    while let Some(output) = client.poll_output() {
        match output {
            ClientOutput::Send(bytes) => run.sent.extend_from_slice(&bytes),
            ClientOutput::Established(ack) => run.events.push(json!({"established": {
                "serverTime": ack.server_time.as_millis(), "queuedCount": ack.queued_count}})),
            ClientOutput::Received(payload) => {
                run.events.push(json!({"received": payload_json(&payload)}));
            }
        }
    }
}

/// The relay's inputs: its key, the key its directory binds to the identity, the queue size.
pub(crate) struct RelaySetup {
    pub(crate) permanent: SecretKey,
    pub(crate) bound_key: Option<PublicKey>,
    pub(crate) queued_count: u32,
}

/// Runs the relay machine, deciding logins by TR-15 at the time of the step that asked.
pub(crate) fn run_relay(setup: &RelaySetup, random: &[u8], start: u64, steps: &[Step]) -> Run {
    let config = RelayConfig::new(rebuilt_secret(&setup.permanent));
    let mut relay = RelayConnection::start(
        config,
        &mut ReplayRng::new(random),
        Timestamp::from_millis(start),
    );
    let mut run = Run::default();
    drain_relay(&mut relay, setup, Timestamp::from_millis(start), &mut run);
    for step in steps {
        let _ = match step {
            Step::Input(_, bytes) => relay.handle_bytes(step.at(), bytes),
            Step::Timeout(_) => relay.handle_timeout(step.at()),
            Step::Eof(_) => relay.handle_eof(),
        };
        drain_relay(&mut relay, setup, step.at(), &mut run);
    }
    run.error = relay.error().cloned();
    run
}

pub(crate) fn drain_relay(
    relay: &mut RelayConnection,
    setup: &RelaySetup,
    now: Timestamp,
    run: &mut Run,
) {
    while let Some(output) = relay.poll_output() {
        match output {
            RelayOutput::Send(bytes) => run.sent.extend_from_slice(&bytes),
            RelayOutput::KeyRequest(request) => {
                run.events
                    .push(json!({"keyRequest": request.identity().as_str()}));
                let _ = relay.provide_key(request, setup.bound_key, now);
            }
            RelayOutput::LoginRequest(request) => {
                // TR-15: bind a free identity, accept its key, refuse any other.
                let binding = match setup.bound_key {
                    None => "bound",
                    Some(bound) if bound.ct_eq(&request.public_key()) => "already_bound",
                    Some(_) => "taken",
                };
                run.events.push(json!({"loginRequest": {
                    "identity": request.identity().as_str(),
                    "publicKey": request.public_key().to_hex(),
                    "keyOffered": request.key_offered(),
                    "extensions": extensions_json(request.extensions()),
                    "binding": binding,
                }}));
                let _ = if binding == "taken" {
                    relay.refuse(request, CloseCause::IdentityTaken, now)
                } else {
                    relay.accept(request, now, setup.queued_count)
                };
            }
            RelayOutput::Received(payload) => {
                run.events.push(json!({"received": payload_json(&payload)}));
            }
        }
    }
}
