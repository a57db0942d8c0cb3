//! `transport_transcripts.json`: one side of a connection fed a scripted byte stream, valid
//! and with every failure, including what the relay writes before it closes (TR-2 to TR-31).

use super::common::rebuilt_secret;
use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_protocol::transport::LoginExtensions;
use saltrelay_protocol::transport::payload::Payload;
use serde_json::Value;

use super::FileBuilder;
use super::common::hex_value;
use super::transport_common::{Secrets, extensions_from_json, extensions_json};
use super::transport_runner::{ClientSetup, RelaySetup, Run, Step, run_client, run_relay, steps};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "transport_transcripts.json",
    generate,
    compute,
};

const SEED: u64 = 0x7472_0003;
pub(super) const T: u64 = 1_767_225_600_000;

fn key(bytes: &[u8], field: &str) -> Result<SecretKey, Malformed> {
    SecretKey::from_slice(bytes).map_err(|_| Malformed::new(field, "not 32 bytes"))
}

/// Replays the steps into the side named by `side`. An invalid case must also reproduce what
/// the side wrote (`sent`) and reported (`events`) before failing (`RejectedAfter`).
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let script = steps(case)?;
    let start = case.u64("start")?;
    let random = case.hex("random")?;
    let run = match case.str("side")? {
        "client" => {
            let identity: Identity = case
                .str("clientIdentity")?
                .parse()
                .map_err(|_| Malformed::new("clientIdentity", "invalid"))?;
            let relay_keys = case
                .value("relayPublicKeys")?
                .as_array()
                .ok_or_else(|| Malformed::new("relayPublicKeys", "not a list"))?
                .iter()
                .map(|v| {
                    v.as_str()
                        .and_then(|s| hex::decode(s).ok())
                        .and_then(|b| PublicKey::from_slice(&b).ok())
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| Malformed::new("relayPublicKeys", "not 32-byte keys"))?;
            let setup = ClientSetup {
                keys: IdentityKeys::from_parts(
                    identity,
                    key(&case.hex("clientPrivate")?, "clientPrivate")?,
                ),
                relay_keys,
                extensions: extensions_from_json(case.value("extensions")?)?,
                idle_timeout_secs: u16::try_from(case.u64("idleTimeout")?)
                    .map_err(|_| Malformed::new("idleTimeout", "not u16"))?,
            };
            run_client(setup, &random, start, &script)
        }
        "relay" => {
            let bound_key = match case.value("boundKey")? {
                Value::Null => None,
                _ => Some(
                    PublicKey::from_slice(&case.hex("boundKey")?)
                        .map_err(|_| Malformed::new("boundKey", "not 32 bytes"))?,
                ),
            };
            let setup = RelaySetup {
                permanent: key(&case.hex("relayPrivate")?, "relayPrivate")?,
                bound_key,
                queued_count: u32::try_from(case.u64("queuedCount")?)
                    .map_err(|_| Malformed::new("queuedCount", "not u32"))?,
            };
            run_relay(&setup, &random, start, &script)
        }
        _ => return Err(Malformed::new("side", "neither client nor relay")),
    };
    let outputs = vec![
        ("sent", hex_value(&run.sent)),
        ("events", Value::Array(run.events)),
    ];
    // An invalid case also pins what the side wrote and reported before failing.
    Ok(match run.error {
        None => Computed::Accepted(outputs),
        Some(error) => Computed::RejectedAfter(error.code(), outputs),
    })
}

/// Collects the cases of the file.
pub(super) struct Gen {
    file: FileBuilder,
}

impl Gen {
    fn finish_case(&mut self, mut case: CaseBuilder, run: Run) {
        case = case
            .hex("sent", &run.sent)
            .value("events", Value::Array(run.events));
        let case = match run.error {
            None => case.valid(),
            Some(error) => case.invalid(error.code()),
        };
        self.file.push(case);
    }

    pub(super) fn relay(
        &mut self,
        comment: &str,
        flags: &[&str],
        refs: &[&str],
        s: &Secrets,
        bound: Option<PublicKey>,
        script: &[Step],
    ) {
        self.relay_with(comment, flags, refs, s, bound, &s.relay_random(), script);
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "a case is a flat list of its inputs"
    )]
    pub(super) fn relay_with(
        &mut self,
        comment: &str,
        flags: &[&str],
        refs: &[&str],
        s: &Secrets,
        bound: Option<PublicKey>,
        random: &[u8],
        script: &[Step],
    ) {
        let setup = RelaySetup {
            permanent: rebuilt_secret(&s.relay),
            bound_key: bound,
            queued_count: 2,
        };
        let run = run_relay(&setup, random, T, script);
        let case = CaseBuilder::new(comment, flags, refs)
            .value("side", "relay")
            .hex("relayPrivate", s.relay.expose_secret())
            .hex("random", random)
            .value("boundKey", bound.map(|k| k.to_hex()))
            .value("queuedCount", 2)
            .value("start", T)
            .value("steps", script.iter().map(Step::json).collect::<Vec<_>>());
        self.finish_case(case, run);
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "a case is a flat list of its inputs"
    )]
    pub(super) fn client(
        &mut self,
        comment: &str,
        flags: &[&str],
        refs: &[&str],
        s: &Secrets,
        relay_keys: &[PublicKey],
        idle: u16,
        script: &[Step],
    ) {
        let extensions = client_extensions(s);
        let setup = ClientSetup {
            keys: IdentityKeys::from_parts(
                s.client.identity(),
                rebuilt_secret(s.client.secret_key()),
            ),
            relay_keys: relay_keys.to_vec(),
            extensions: extensions.clone(),
            idle_timeout_secs: idle,
        };
        let run = run_client(setup, &s.client_random(), T, script);
        let keys: Vec<Value> = relay_keys.iter().map(|k| k.to_hex().into()).collect();
        let case = CaseBuilder::new(comment, flags, refs)
            .value("side", "client")
            .value("clientIdentity", s.client.identity().as_str())
            .hex("clientPrivate", s.client.secret_key().expose_secret())
            .value("relayPublicKeys", keys)
            .value("extensions", extensions_json(&extensions))
            .value("idleTimeout", idle)
            .hex("random", s.client_random())
            .value("start", T)
            .value("steps", script.iter().map(Step::json).collect::<Vec<_>>());
        self.finish_case(case, run);
    }
}

pub(super) fn client_extensions(s: &Secrets) -> LoginExtensions {
    LoginExtensions {
        client_info: Some("0.1.0;B;en/CH;saltrelay".into()),
        payload_version: Some(3),
        client_key: Some(s.client.public_key()),
        ..LoginExtensions::default()
    }
}

pub(super) fn input(at: u64, bytes: &[u8]) -> Step {
    Step::Input(T + at, bytes.to_vec())
}

pub(super) fn container(payload: &Payload) -> Vec<u8> {
    payload.encode()
}

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let file = FileBuilder::new("Chat Server Protocol transcripts: one side fed a scripted stream; its writes, events and failure", SEED)
        .encoding("byte strings are lowercase hex; times are ms since the epoch; steps, events and extensions are objects (vectors/README.md)")
        .note("FirstLogin", "the client offers its key and the identity is not yet bound")
        .note("KnownKey", "the identity is bound; the login names no key")
        .note("Split", "every byte arrives in its own input")
        .note("UnknownExtension", "the extensions include a type the relay skips")
        .note("Legacy", "the login data holds old client info instead of the extension indicator")
        .note("LoginTwice", "a handshake message is sent a second time")
        .note("MalformedLogin", "the login data breaks its layout")
        .note("MalformedExtensions", "the login extensions break their layout")
        .note("CookieMismatch", "a repeated cookie is not the one sent")
        .note("CookieReuse", "the relay cookie equals the client cookie")
        .note("EarlyData", "bytes arrive before the handshake has ended")
        .note("IdentityUnknown", "no key is offered and none is bound")
        .note("IdentityTaken", "the identity is bound to another key")
        .note("VouchMismatch", "the vouch does not prove the key")
        .note("UnsupportedVersion", "the payload version has an unknown bit")
        .note("Timeout", "a deadline passes")
        .note("Replayed", "a frame arrives a second time")
        .note("Skipped", "a frame arrives before an earlier one")
        .note("Oversize", "a frame's length field exceeds 8192")
        .note("UnknownType", "a payload type in no registry")
        .note("WrongDirection", "a payload type from the side that must not send it")
        .note("IdleTimeout", "an idle timeout is requested or configured")
        .note("Closed", "the peer ends the stream")
        .note("SeveralRelayKeys", "the client holds several relay keys")
        .note("KeepAlive", "the client sends an echo-request after a quiet interval")
        .note("CloseError", "the relay ends the connection with a close-error");
    let mut g = Gen { file };
    let s = Secrets::draw(&mut rng, "SALTALIC");
    super::transport_cases_relay::relay_cases(&mut g, &s);
    let s = Secrets::draw(&mut rng, "SALTBOB1");
    super::transport_cases_client::client_cases(&mut g, &s);
    g.file.finish()
}
