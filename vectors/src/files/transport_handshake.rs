//! `transport_handshake.json`: complete handshakes, client and relay against each other, with
//! every key, cookie, counter and message written out (TR-3 to TR-15).

use super::common::rebuilt_secret;
use saltrelay_protocol::crypto::{BoxKey, PublicKey, SecretKey};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::handshake::{self, LoginAck};
use saltrelay_protocol::transport::{
    ClientConfig, ClientConnection, LoginExtensions, RelayConfig, RelayConnection,
};
use serde_json::Value;

use super::FileBuilder;
use super::common::hex_value;
use super::transport_common::{Secrets, extensions_from_json, extensions_json};
use super::transport_runner::{RelaySetup, Run, drain_client, drain_relay};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::{ReplayRng, seeded_rng};

pub(crate) const FILE: VectorFile = VectorFile {
    name: "transport_handshake.json",
    generate,
    compute,
};

const SEED: u64 = 0x7472_0001;
const TIME: u64 = 1_767_225_600_000;

fn key32(case: Case<'_>, field: &str) -> Result<[u8; 32], Malformed> {
    case.hex(field)?
        .try_into()
        .map_err(|_| Malformed::new(field, "not 32 bytes"))
}

#[expect(
    clippy::too_many_lines,
    reason = "every intermediate value is written out in order"
)]
/// Runs both machines against each other with the recorded randomness; writes out every
/// intermediate value from the secrets.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let identity: Identity = case
        .str("clientIdentity")?
        .parse()
        .map_err(|_| Malformed::new("clientIdentity", "invalid"))?;
    let client_secret = SecretKey::from_bytes(key32(case, "clientPrivate")?);
    let relay_secret = SecretKey::from_bytes(key32(case, "relayPrivate")?);
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
    let extensions = extensions_from_json(case.value("extensions")?)?;
    let bound_key = match case.value("boundKey")? {
        Value::Null => None,
        _ => Some(PublicKey::from_bytes(key32(case, "boundKey")?)),
    };
    let time = case.u64("time")?;
    let queued = u32::try_from(case.u64("queuedCount")?)
        .map_err(|_| Malformed::new("queuedCount", "not u32"))?;
    let client_random = case.hex("clientRandom")?;
    let relay_random = case.hex("relayRandom")?;

    let now = Timestamp::from_millis(time);
    let keys = IdentityKeys::from_parts(identity, rebuilt_secret(&client_secret));
    let mut config = ClientConfig::new(keys, relay_keys);
    config.extensions = extensions.clone();
    config.offer_public_key = false;
    let mut client = ClientConnection::start(config, &mut ReplayRng::new(&client_random), now);
    let setup = RelaySetup {
        permanent: rebuilt_secret(&relay_secret),
        bound_key,
        queued_count: queued,
    };
    let mut relay = RelayConnection::start(
        RelayConfig::new(rebuilt_secret(&relay_secret)),
        &mut ReplayRng::new(&relay_random),
        now,
    );
    let (mut client_run, mut relay_run) = (Run::default(), Run::default());
    drain_client(&mut client, &mut client_run);
    let (mut to_relay, mut to_client) = (0, 0);
    let mut messages: Vec<Vec<u8>> = Vec::new();
    for _ in 0..4 {
        if client_run.sent.len() > to_relay {
            let bytes = client_run.sent[to_relay..].to_vec();
            to_relay = client_run.sent.len();
            let _ = relay.handle_bytes(now, &bytes);
            drain_relay(&mut relay, &setup, now, &mut relay_run);
            messages.push(bytes);
        }
        if relay_run.sent.len() > to_client {
            let bytes = relay_run.sent[to_client..].to_vec();
            to_client = relay_run.sent.len();
            let _ = client.handle_bytes(now, &bytes);
            drain_client(&mut client, &mut client_run);
            messages.push(bytes);
        }
    }
    if let Some(error) = relay.error().or(client.error()) {
        return Ok(Computed::Rejected(error.code()));
    }
    let [client_hello, server_hello, login, login_ack] = <[Vec<u8>; 4]>::try_from(messages)
        .map_err(|m| Malformed::new("messages", format!("{} messages, expected 4", m.len())))?;

    let tck = SecretKey::from_slice(&client_random[..32])
        .map_err(|_| Malformed::new("clientRandom", "short"))?;
    let cck: [u8; 16] = client_random[32..48]
        .try_into()
        .map_err(|_| Malformed::new("clientRandom", "short"))?;
    let tsk = SecretKey::from_slice(&relay_random[..32])
        .map_err(|_| Malformed::new("relayRandom", "short"))?;
    let sck: [u8; 16] = server_hello[..16].try_into().expect("80-byte server-hello");
    let derive =
        |s: &SecretKey, p: &PublicKey| BoxKey::derive(s, p).expect("the handshake succeeded");
    let relay_public = relay_secret.public_key();
    let hello_key = derive(&relay_secret, &tck.public_key());
    let session_key = derive(&tck, &tsk.public_key());
    let ss1 = derive(&client_secret, &relay_public);
    let ss2 = derive(&client_secret, &tsk.public_key());
    let vouch_key = handshake::vouch_key(&ss1, &ss2).expect("64 bytes");
    let vouch = handshake::vouch(&vouch_key, &sck, &tck.public_key());
    let ext_plain = extensions.encode();
    let ext_len = u16::try_from(ext_plain.len() + 16).expect("short");
    let ack = LoginAck {
        server_time: now,
        queued_count: queued,
    };
    Ok(Computed::Accepted(vec![
        ("tckPublic", hex_value(tck.public_key().as_bytes())),
        ("cck", hex_value(cck)),
        ("tskPublic", hex_value(tsk.public_key().as_bytes())),
        ("sck", hex_value(sck)),
        ("relayPublic", hex_value(relay_public.as_bytes())),
        (
            "clientPublic",
            hex_value(client_secret.public_key().as_bytes()),
        ),
        ("helloKey", hex_value(hello_key.expose_secret())),
        ("sessionKey", hex_value(session_key.expose_secret())),
        ("ss1", hex_value(ss1.expose_secret())),
        ("ss2", hex_value(ss2.expose_secret())),
        ("vouchKey", hex_value(vouch_key.expose_secret())),
        ("vouch", hex_value(vouch)),
        ("clientHello", hex_value(client_hello)),
        (
            "serverChallenge",
            hex_value(handshake::server_challenge(&tsk.public_key(), &cck)),
        ),
        ("serverHello", hex_value(server_hello)),
        (
            "loginData",
            hex_value(handshake::login_data(&identity, ext_len, &sck, &vouch)),
        ),
        ("extensionsPlain", hex_value(&ext_plain)),
        ("login", hex_value(login)),
        ("loginAckData", hex_value(handshake::login_ack_data(&ack))),
        ("loginAck", hex_value(login_ack)),
        ("relayEvents", Value::Array(relay_run.events)),
        ("clientEvents", Value::Array(client_run.events)),
    ]))
}

struct Setup<'a> {
    comment: &'a str,
    flags: &'a [&'a str],
    secrets: Secrets,
    relay_keys: Vec<PublicKey>,
    extensions: LoginExtensions,
    bound: Option<PublicKey>,
    queued: u32,
    relay_random: Vec<u8>,
}

fn push(file: &mut FileBuilder, setup: &Setup<'_>) {
    let s = &setup.secrets;
    let keys: Vec<Value> = setup.relay_keys.iter().map(|k| k.to_hex().into()).collect();
    let mut case = CaseBuilder::new(
        setup.comment,
        setup.flags,
        &[
            "TR-2", "TR-3", "TR-4", "TR-5", "TR-6", "TR-7", "TR-8", "TR-9", "TR-10", "TR-11",
            "TR-12", "TR-14", "TR-15",
        ],
    )
    .value("clientIdentity", s.client.identity().as_str())
    .hex("clientPrivate", s.client.secret_key().expose_secret())
    .hex("relayPrivate", s.relay.expose_secret())
    .value("relayPublicKeys", keys)
    .hex("clientRandom", s.client_random())
    .hex("relayRandom", &setup.relay_random)
    .value("extensions", extensions_json(&setup.extensions))
    .value("boundKey", setup.bound.map(|k| k.to_hex()))
    .value("time", TIME)
    .value("queuedCount", setup.queued);
    let Ok(Computed::Accepted(outputs)) = compute(Case(&case.clone().valid())) else {
        panic!("handshake case {:?} must succeed", setup.comment);
    };
    for (field, value) in outputs {
        case = case.value(field, value);
    }
    file.push(case.valid());
}

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new("Chat Server Protocol handshake, client and relay: hellos, vouch, login, login-ack", SEED)
        .encoding("byte strings are lowercase hex; times are ms since the epoch; extensions and events are objects (vectors/README.md)")
        .note("FirstLogin", "the client offers its key and the identity is not yet bound: the relay binds it")
        .note("KnownKey", "the identity is bound; the login names no key and the relay uses the bound one")
        .note("SeveralRelayKeys", "the client holds several relay keys; one of the later ones opens the server-hello")
        .note("NoExtensions", "the extensions box holds no extension: 16 bytes, the tag alone")
        .note("CookieCollision", "the relay's first cookie equals the client's: the relay uses its alternative cookie");
    let full = |s: &Secrets| LoginExtensions {
        client_info: Some("0.1.0;B;en/CH;Linux;x86_64".into()),
        device_id: Some(0x1122_3344_5566_7788),
        payload_version: Some(3),
        device_cookie: Some([0xdc; 16]),
        client_key: Some(s.client.public_key()),
    };
    let s = Secrets::draw(&mut rng, "SALTALIC");
    let (relay_keys, extensions, random) = (vec![s.relay.public_key()], full(&s), s.relay_random());
    push(
        &mut file,
        &Setup {
            comment: "first login with every extension",
            flags: &["FirstLogin"],
            relay_keys,
            extensions,
            bound: None,
            queued: 0,
            relay_random: random,
            secrets: s,
        },
    );

    let s = Secrets::draw(&mut rng, "SALTALIC");
    let mut extensions = full(&s);
    extensions.client_key = Some(s.client.public_key());
    let (relay_keys, bound, random) = (
        vec![s.relay.public_key()],
        Some(s.client.public_key()),
        s.relay_random(),
    );
    push(
        &mut file,
        &Setup {
            comment: "a later login offering the bound key, 12 messages queued",
            flags: &["Normal"],
            relay_keys,
            extensions,
            bound,
            queued: 12,
            relay_random: random,
            secrets: s,
        },
    );

    let s = Secrets::draw(&mut rng, "*GATEWAY");
    let extensions = LoginExtensions {
        payload_version: Some(1),
        ..LoginExtensions::default()
    };
    let (relay_keys, bound, random) = (
        vec![s.relay.public_key()],
        Some(s.client.public_key()),
        s.relay_random(),
    );
    push(
        &mut file,
        &Setup {
            comment: "a gateway identity logging in without its key",
            flags: &["KnownKey", "Gateway"],
            relay_keys,
            extensions,
            bound,
            queued: 1,
            relay_random: random,
            secrets: s,
        },
    );

    let s = Secrets::draw(&mut rng, "ECHOECHO");
    let others: Vec<PublicKey> = (1u8..3)
        .map(|i| SecretKey::from_bytes([i; 32]).public_key())
        .collect();
    let relay_keys = vec![others[0], others[1], s.relay.public_key()];
    let (extensions, random) = (full(&s), s.relay_random());
    push(
        &mut file,
        &Setup {
            comment: "the third of three relay keys opens the server-hello",
            flags: &["SeveralRelayKeys"],
            relay_keys,
            extensions,
            bound: None,
            queued: 0,
            relay_random: random,
            secrets: s,
        },
    );

    let s = Secrets::draw(&mut rng, "0000ZZZZ");
    let (relay_keys, bound, random) = (
        vec![s.relay.public_key()],
        Some(s.client.public_key()),
        s.relay_random(),
    );
    push(
        &mut file,
        &Setup {
            comment: "no extensions at all",
            flags: &["NoExtensions", "KnownKey"],
            relay_keys,
            extensions: LoginExtensions::default(),
            bound,
            queued: 0,
            relay_random: random,
            secrets: s,
        },
    );

    let mut s = Secrets::draw(&mut rng, "SALTBOB1");
    // The relay's first cookie equals CCK: TR-4 makes it use SCK' instead.
    let random = [s.tsk.expose_secret().as_slice(), &s.cck, &s.sck_alternative].concat();
    s.sck = s.sck_alternative;
    let (relay_keys, extensions) = (vec![s.relay.public_key()], full(&s));
    push(
        &mut file,
        &Setup {
            comment: "the relay's cookie collides with the client's",
            flags: &["CookieCollision"],
            relay_keys,
            extensions,
            bound: None,
            queued: 0,
            relay_random: random,
            secrets: s,
        },
    );
    file.finish()
}
