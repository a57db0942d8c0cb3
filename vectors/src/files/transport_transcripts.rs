//! `transport_transcripts.json`: one side of a connection fed a scripted byte stream, valid
//! and with every failure, including what the relay writes before it closes (TR-2 to TR-31).

use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_protocol::testing::seeded_rng;
use saltrelay_protocol::transport::LoginExtensions;
use saltrelay_protocol::transport::handshake;
use saltrelay_protocol::transport::payload::Payload;
use serde_json::Value;

use super::FileBuilder;
use super::common::{flip_bit, hex_value};
use super::transport_common::{Secrets, extensions_from_json, extensions_json};
use super::transport_runner::{ClientSetup, RelaySetup, Run, Step, run_client, run_relay, steps};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "transport_transcripts.json",
    generate,
    compute,
};

const SEED: u64 = 0x7472_0003;
const T: u64 = 1_767_225_600_000;

fn key(bytes: &[u8], field: &str) -> Result<SecretKey, Malformed> {
    SecretKey::from_slice(bytes).map_err(|_| Malformed::new(field, "not 32 bytes"))
}

/// Replays the steps into the side named by `side`. An invalid case must also reproduce what
/// the side wrote (`sent`) and reported (`events`) before failing.
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
    let Some(error) = run.error else {
        return Ok(Computed::Accepted(outputs));
    };
    for (field, actual) in &outputs {
        if case.has(field) && case.value(field)? != actual {
            return Err(Malformed::new(
                field,
                format!("before failing the side wrote or reported {actual}"),
            ));
        }
    }
    Ok(Computed::Rejected(error.code()))
}

/// Collects the cases of the file.
struct Gen {
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

    fn relay(
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
    fn relay_with(
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
            permanent: s.relay.clone(),
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
    fn client(
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
            keys: IdentityKeys::from_parts(s.client.identity(), s.client.secret_key().clone()),
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

fn client_extensions(s: &Secrets) -> LoginExtensions {
    LoginExtensions {
        client_info: Some("0.1.0;B;en/CH;saltrelay".into()),
        payload_version: Some(3),
        client_key: Some(s.client.public_key()),
        ..LoginExtensions::default()
    }
}

fn input(at: u64, bytes: &[u8]) -> Step {
    Step::Input(T + at, bytes.to_vec())
}

fn container(payload: &Payload) -> Vec<u8> {
    payload.encode()
}

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
fn relay_cases(g: &mut Gen, s: &Secrets) {
    let ext = client_extensions(s);
    let hello = s.client_hello();
    let login = s.login(&ext);
    let mine = Some(s.client.public_key());
    let echo = s.client_frame(3, &container(&Payload::EchoRequest(b"rtt".to_vec())));
    let message = s.client_frame(4, &container(&Payload::OutgoingMessage(vec![0x4d; 100])));
    let hs = ["TR-4", "TR-12", "TR-14"];
    g.relay(
        "first login, an echo and a message",
        &["FirstLogin"],
        &["TR-4", "TR-12", "TR-14", "TR-15", "TR-19", "TR-20"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &login),
            input(3, &[echo.clone(), message.clone()].concat()),
        ],
    );
    let all = [hello.clone(), login.clone(), echo.clone()].concat();
    let bytewise: Vec<Step> = all
        .iter()
        .enumerate()
        .map(|(i, b)| input(1 + i as u64 / 64, &[*b]))
        .collect();
    g.relay(
        "the same stream one byte per input",
        &["Split"],
        &["TR-31"],
        s,
        None,
        &bytewise,
    );
    let bare = LoginExtensions {
        client_key: None,
        ..ext.clone()
    };
    g.relay(
        "a later login without the key uses the bound one",
        &["KnownKey"],
        &["TR-12", "TR-15"],
        s,
        mine,
        &[input(1, &hello), input(2, &s.login(&bare))],
    );
    let mut unknown = ext.encode();
    unknown.extend_from_slice(&[0x42, 3, 0, 1, 2, 3]);
    let len = u16::try_from(unknown.len() + 16).expect("short");
    let data = handshake::login_data(&s.client.identity(), len, &s.sck, &s.vouch());
    g.relay(
        "an unknown extension is skipped",
        &["UnknownExtension"],
        &["TR-10"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &s.login_with(&data, Some(&unknown))),
        ],
    );
    let mut legacy = handshake::login_data(&s.client.identity(), 0, &s.sck, &s.vouch());
    legacy[8..40].copy_from_slice(&[0; 32]);
    legacy[8..20].copy_from_slice(b"4.9A;A;de/CH");
    let legacy_echo = s.client_frame(2, &container(&Payload::EchoRequest(vec![7])));
    g.relay(
        "a legacy login without extensions; its frames count from 2",
        &["Legacy", "KnownKey"],
        &["TR-8", "TR-9", "TR-12"],
        s,
        mine,
        &[
            input(1, &hello),
            input(2, &s.login_with(&legacy, None)),
            input(3, &legacy_echo),
        ],
    );

    let mut small = hello.clone();
    small[..32].copy_from_slice(&[0; 32]);
    g.relay(
        "client-hello with an all-zero TCK",
        &["LowOrderPublic"],
        &["TR-4"],
        s,
        None,
        &[input(1, &small)],
    );
    g.relay(
        "a login-data box bit flipped",
        &["ModifiedTag"],
        &["TR-12"],
        s,
        None,
        &[input(1, &hello), input(2, &flip_bit(&login, 5, 1))],
    );
    g.relay(
        "a second client-hello where the login belongs",
        &["LoginTwice"],
        &["TR-12", "TR-13"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &[hello.clone(), hello.clone(), vec![0; 48]].concat()),
        ],
    );
    let vouch = s.vouch();
    let with_data = |identity: &[u8; 8], len: u16, sck: &[u8; 16], vouch: &[u8; 32], ext: &[u8]| {
        let mut data = handshake::login_data(&s.client.identity(), len, sck, vouch);
        data[..8].copy_from_slice(identity);
        s.login_with(&data, Some(ext))
    };
    let ext_bytes = ext.encode();
    let ext_len = u16::try_from(ext_bytes.len() + 16).expect("short");
    let id = *s.client.identity().as_bytes();
    let mut lower = id;
    lower[0] = lower[0].to_ascii_lowercase() | 0x20;
    g.relay(
        "a lowercase identity in the login",
        &["MalformedLogin"],
        &hs,
        s,
        None,
        &[
            input(1, &hello),
            input(2, &with_data(&lower, ext_len, &s.sck, &vouch, &ext_bytes)),
        ],
    );
    g.relay(
        "an extensions length of 15",
        &["MalformedLogin"],
        &hs,
        s,
        None,
        &[
            input(1, &hello),
            input(2, &with_data(&id, 15, &s.sck, &vouch, &ext_bytes)),
        ],
    );
    g.relay(
        "the login repeats the wrong relay cookie",
        &["CookieMismatch"],
        &hs,
        s,
        None,
        &[
            input(1, &hello),
            input(2, &with_data(&id, ext_len, &s.cck, &vouch, &ext_bytes)),
        ],
    );
    g.relay(
        "an extensions box bit flipped",
        &["ModifiedTag"],
        &hs,
        s,
        None,
        &[input(1, &hello), input(2, &flip_bit(&login, 150, 0))],
    );
    let bad_ext = [ext_bytes.clone(), vec![0x02, 2, 0, 1, 1]].concat();
    let bad_len = u16::try_from(bad_ext.len() + 16).expect("short");
    g.relay(
        "a payload version of two bytes",
        &["MalformedExtensions"],
        &["TR-10", "TR-12"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &with_data(&id, bad_len, &s.sck, &vouch, &bad_ext)),
        ],
    );
    g.relay(
        "a byte after the login, before the login-ack",
        &["EarlyData"],
        &["TR-13"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &[login.clone(), vec![0]].concat()),
        ],
    );
    g.relay(
        "a login and a frame in one write",
        &["EarlyData"],
        &["TR-13"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &[login.clone(), echo.clone()].concat()),
        ],
    );
    g.relay(
        "no key offered and none bound",
        &["IdentityUnknown"],
        &["TR-15"],
        s,
        None,
        &[input(1, &hello), input(2, &s.login(&bare))],
    );
    g.relay(
        "a vouch that is not the key's",
        &["VouchMismatch"],
        &["TR-7", "TR-12"],
        s,
        mine,
        &[
            input(1, &hello),
            input(2, &with_data(&id, ext_len, &s.sck, &[0x55; 32], &ext_bytes)),
        ],
    );
    let other = SecretKey::from_bytes([0x33; 32]).public_key();
    let offer_other = LoginExtensions {
        client_key: Some(other),
        ..ext.clone()
    };
    g.relay(
        "the offered key is not the one that vouched",
        &["VouchMismatch"],
        &["TR-7", "TR-12"],
        s,
        None,
        &[input(1, &hello), input(2, &s.login(&offer_other))],
    );
    let offer_zero = LoginExtensions {
        client_key: Some(PublicKey::from_bytes([0; 32])),
        ..ext.clone()
    };
    g.relay(
        "the offered key is all zero",
        &["LowOrderPublic"],
        &["TR-7"],
        s,
        None,
        &[input(1, &hello), input(2, &s.login(&offer_zero))],
    );
    let version = LoginExtensions {
        payload_version: Some(0x04),
        ..ext.clone()
    };
    g.relay(
        "payload version bit 2",
        &["UnsupportedVersion"],
        &["TR-11", "TR-12"],
        s,
        None,
        &[input(1, &hello), input(2, &s.login(&version))],
    );
    g.relay(
        "the identity is bound to another key",
        &["IdentityTaken"],
        &["TR-15", "TR-26"],
        s,
        Some(other),
        &[input(1, &hello), input(2, &login)],
    );
    g.relay(
        "no login before the deadline",
        &["Timeout"],
        &["TR-27"],
        s,
        None,
        &[input(1, &hello), Step::Timeout(T + 20_000)],
    );
    g.relay(
        "the extensions box never completes before the deadline",
        &["Timeout"],
        &["TR-26", "TR-27"],
        s,
        None,
        &[
            input(1, &hello),
            input(2, &login[..150]),
            Step::Timeout(T + 20_000),
        ],
    );

    let up = [input(1, &hello), input(2, &login)];
    let after = |steps: &[Step]| [up.to_vec(), steps.to_vec()].concat();
    g.relay(
        "a forged frame",
        &["ModifiedTag"],
        &["TR-17", "TR-26"],
        s,
        None,
        &after(&[input(3, &flip_bit(&echo, 3, 2))]),
    );
    g.relay(
        "the same frame twice",
        &["Replayed"],
        &["TR-17"],
        s,
        None,
        &after(&[input(3, &echo), input(4, &echo)]),
    );
    g.relay(
        "the frame with counter 4 first",
        &["Skipped"],
        &["TR-17"],
        s,
        None,
        &after(&[input(3, &message)]),
    );
    g.relay(
        "length field 9000",
        &["Oversize"],
        &["TR-16"],
        s,
        None,
        &after(&[input(3, &[0x28, 0x23])]),
    );
    g.relay(
        "unknown payload type 0x99",
        &["UnknownType"],
        &["TR-18"],
        s,
        None,
        &after(&[input(3, &s.client_frame(3, &[0x99, 0, 0, 0]))]),
    );
    g.relay(
        "incoming_message from the client",
        &["WrongDirection"],
        &["TR-18"],
        s,
        None,
        &after(&[input(
            3,
            &s.client_frame(3, &container(&Payload::IncomingMessage(vec![1]))),
        )]),
    );
    g.relay(
        "idle timeout of 10 s",
        &["IdleTimeout"],
        &["TR-21"],
        s,
        None,
        &after(&[input(3, &s.client_frame(3, &[0x30, 0, 0, 0, 10, 0]))]),
    );
    g.relay(
        "nothing received for 300 s",
        &["Timeout"],
        &["TR-28"],
        s,
        None,
        &after(&[Step::Timeout(T + 2 + 300_000)]),
    );
    g.relay(
        "half a frame, then the end of the stream",
        &["Truncated"],
        &["TR-29"],
        s,
        None,
        &after(&[input(3, &echo[..10]), Step::Eof(T + 4)]),
    );
    g.relay(
        "the end of the stream between frames",
        &["Closed"],
        &["TR-29"],
        s,
        None,
        &after(&[Step::Eof(T + 3)]),
    );
    g.relay(
        "the login again after the login-ack",
        &["LoginTwice"],
        &["TR-13", "TR-16"],
        s,
        None,
        &after(&[input(3, &login)]),
    );
}

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
fn client_cases(g: &mut Gen, s: &Secrets) {
    let relay_key = [s.relay.public_key()];
    let server_hello = s.server_hello();
    let ack = s.login_ack(T + 1, 2);
    let incoming = s.relay_frame(3, &container(&Payload::IncomingMessage(vec![0x49; 90])));
    let done = s.relay_frame(4, &container(&Payload::QueueSendComplete));
    let hs = ["TR-5", "TR-14"];
    g.client(
        "login-ack, a queued message and queue-send-complete",
        &["Normal"],
        &["TR-5", "TR-6", "TR-7", "TR-9", "TR-14", "TR-20", "TR-22"],
        s,
        &relay_key,
        300,
        &[
            input(1, &server_hello),
            input(2, &[ack.clone(), incoming.clone(), done.clone()].concat()),
        ],
    );
    let all = [server_hello.clone(), ack.clone(), incoming.clone()].concat();
    let bytewise: Vec<Step> = all
        .iter()
        .enumerate()
        .map(|(i, b)| input(1 + i as u64 / 64, &[*b]))
        .collect();
    g.client(
        "the same stream one byte per input",
        &["Split"],
        &["TR-31"],
        s,
        &relay_key,
        300,
        &bytewise,
    );
    let others: Vec<PublicKey> = (7u8..9)
        .map(|i| SecretKey::from_bytes([i; 32]).public_key())
        .collect();
    g.client(
        "the third relay key opens the server-hello",
        &["SeveralRelayKeys"],
        &["TR-5"],
        s,
        &[others[0], others[1], s.relay.public_key()],
        300,
        &[input(1, &server_hello), input(2, &ack)],
    );
    g.client(
        "an idle timeout of 60 s is requested after the login-ack",
        &["IdleTimeout"],
        &["TR-21"],
        s,
        &relay_key,
        60,
        &[input(1, &server_hello), input(2, &ack)],
    );
    let echo_back = s.relay_frame(
        3,
        &container(&Payload::EchoResponse(1u64.to_le_bytes().to_vec())),
    );
    g.client(
        "keep-alive after 150 s and its echo-response",
        &["KeepAlive"],
        &["TR-28"],
        s,
        &relay_key,
        300,
        &[
            input(1, &server_hello),
            input(2, &ack),
            Step::Timeout(T + 2 + 150_000),
            input(150_010, &echo_back),
        ],
    );
    let relay_echo = s.relay_frame(3, &container(&Payload::EchoRequest(b"relay".to_vec())));
    g.client(
        "an echo-request from the relay is answered",
        &["Normal"],
        &["TR-19"],
        s,
        &relay_key,
        300,
        &[
            input(1, &server_hello),
            input(2, &[ack.clone(), relay_echo].concat()),
        ],
    );

    let other = SecretKey::from_bytes([0x21; 32]);
    let challenge = handshake::server_challenge(&s.tsk.public_key(), &s.cck);
    g.client(
        "the server-hello sealed by an unknown relay key",
        &["WrongKey"],
        &["TR-5"],
        s,
        &relay_key,
        300,
        &[input(1, &s.server_hello_with(&s.sck, &other, &challenge))],
    );
    g.client(
        "the relay cookie equals the client cookie",
        &["CookieReuse"],
        &hs,
        s,
        &relay_key,
        300,
        &[input(1, &s.server_hello_with(&s.cck, &s.relay, &challenge))],
    );
    let wrong = handshake::server_challenge(&s.tsk.public_key(), &s.sck);
    g.client(
        "the server-hello repeats the wrong client cookie",
        &["CookieMismatch"],
        &hs,
        s,
        &relay_key,
        300,
        &[input(1, &s.server_hello_with(&s.sck, &s.relay, &wrong))],
    );
    let zero = handshake::server_challenge(&PublicKey::from_bytes([0; 32]), &s.cck);
    g.client(
        "an all-zero TSK",
        &["LowOrderPublic"],
        &["TR-6"],
        s,
        &relay_key,
        300,
        &[input(1, &s.server_hello_with(&s.sck, &s.relay, &zero))],
    );
    g.client(
        "a login-ack bit flipped",
        &["ModifiedTag"],
        &hs,
        s,
        &relay_key,
        300,
        &[input(1, &server_hello), input(2, &flip_bit(&ack, 20, 5))],
    );
    g.client(
        "a frame where the login-ack belongs",
        &["EarlyData"],
        &["TR-13", "TR-14"],
        s,
        &relay_key,
        300,
        &[
            input(1, &server_hello),
            input(
                2,
                &s.relay_frame(2, &container(&Payload::IncomingMessage(vec![1; 40]))),
            ),
        ],
    );
    let up = [input(1, &server_hello), input(2, &ack)];
    let after = |steps: &[Step]| [up.to_vec(), steps.to_vec()].concat();
    g.client(
        "the same frame twice",
        &["Replayed"],
        &["TR-17"],
        s,
        &relay_key,
        300,
        &after(&[input(3, &incoming), input(4, &incoming)]),
    );
    g.client(
        "the frame with counter 4 first",
        &["Skipped"],
        &["TR-17"],
        s,
        &relay_key,
        300,
        &after(&[input(3, &done)]),
    );
    g.client(
        "outgoing_message from the relay",
        &["WrongDirection"],
        &["TR-18"],
        s,
        &relay_key,
        300,
        &after(&[input(
            3,
            &s.relay_frame(3, &container(&Payload::OutgoingMessage(vec![1]))),
        )]),
    );
    let close = Payload::CloseError {
        can_reconnect: false,
        message: "identity_taken: this identity is bound to another public key".into(),
    };
    g.client(
        "a close-error",
        &["CloseError"],
        &["TR-26"],
        s,
        &relay_key,
        300,
        &after(&[input(3, &s.relay_frame(3, &container(&close)))]),
    );
    g.client(
        "no server-hello before the deadline",
        &["Timeout"],
        &["TR-27"],
        s,
        &relay_key,
        300,
        &[Step::Timeout(T + 20_000)],
    );
    g.client(
        "an unanswered keep-alive",
        &["Timeout"],
        &["TR-28"],
        s,
        &relay_key,
        300,
        &after(&[
            Step::Timeout(T + 2 + 150_000),
            Step::Timeout(T + 2 + 180_000),
        ]),
    );
    g.client(
        "the stream ends inside the server-hello",
        &["Truncated"],
        &["TR-29"],
        s,
        &relay_key,
        300,
        &[input(1, &server_hello[..40]), Step::Eof(T + 2)],
    );
    g.client(
        "an idle timeout of 20 s in the configuration",
        &["IdleTimeout"],
        &["TR-21", "TR-30"],
        s,
        &relay_key,
        20,
        &[],
    );
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
    relay_cases(&mut g, &s);
    let s = Secrets::draw(&mut rng, "SALTBOB1");
    client_cases(&mut g, &s);
    g.file.finish()
}
