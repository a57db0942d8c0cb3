//! The client side of a connection: handshake, then frames (TR-3 to TR-14, TR-27 to TR-30).

use rand_core::CryptoRng;

use crate::crypto::{BoxKey, PublicKey, SecretKey, ct_eq};
use crate::identity::IdentityKeys;
use crate::time::Timestamp;

use super::connection::{Connection, Side, State, public_steps};
use super::extensions::LoginExtensions;
use super::frame::{COOKIE_LEN, Cookie, CounterNonce, FrameKey};
use super::handshake::{self, LOGIN_ACK_DATA_LEN, LOGIN_ACK_LEN, LoginAck, SERVER_HELLO_LEN};
use super::payload::{MAX_IDLE_TIMEOUT_SECS, MIN_IDLE_TIMEOUT_SECS, Payload, Role};
use super::session::{Session, Timers};
use super::{DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_SECS, TransportError};

/// Default time a client waits for an echo-response (TR-28).
pub const DEFAULT_ECHO_TIMEOUT_MS: u64 = 30_000;

/// What a client needs to connect (TR-3, TR-11).
#[derive(Debug)]
pub struct ClientConfig {
    /// The client's identity and permanent key `CK`.
    pub keys: IdentityKeys,
    /// The relay's permanent public keys `SK`, tried in this order (TR-5). At least one.
    pub relay_keys: Vec<PublicKey>,
    /// Extensions to send. `client_key` is filled in when `offer_public_key` is set.
    pub extensions: LoginExtensions,
    /// Send our client-key extension so the relay can bind the identity (TR-15).
    pub offer_public_key: bool,
    /// Handshake deadline in ms (TR-27).
    pub handshake_timeout_ms: u64,
    /// Idle timeout to ask the relay for, 30 to 600 s; sent only when not 300 (TR-21).
    pub idle_timeout_secs: u16,
    /// Send an echo-request after this long without sending; default half the idle timeout.
    pub keepalive_ms: Option<u64>,
    /// Fail when an echo-response takes longer than this (TR-28).
    pub echo_timeout_ms: u64,
}

impl ClientConfig {
    /// Defaults: payload version 0x03 (metadata box, echo-requests), the client key offered,
    /// a 20 s handshake deadline, the default 300 s idle timeout, keep-alive every 150 s.
    #[must_use]
    pub fn new(keys: IdentityKeys, relay_keys: Vec<PublicKey>) -> Self {
        Self {
            keys,
            relay_keys,
            extensions: LoginExtensions {
                client_info: Some(concat!(env!("CARGO_PKG_VERSION"), ";B;en/CH;saltrelay").into()),
                payload_version: Some(super::extensions::KNOWN_FEATURES),
                ..LoginExtensions::default()
            },
            offer_public_key: true,
            handshake_timeout_ms: DEFAULT_HANDSHAKE_TIMEOUT_MS,
            idle_timeout_secs: DEFAULT_IDLE_TIMEOUT_SECS,
            keepalive_ms: None,
            echo_timeout_ms: DEFAULT_ECHO_TIMEOUT_MS,
        }
    }
}

/// What the client machine asks its driver to do or tells it.
#[derive(Debug)]
pub enum ClientOutput {
    /// Write these bytes to the connection, in order.
    Send(Vec<u8>),
    /// The login-ack arrived: payloads may flow (TR-14).
    Established(LoginAck),
    /// A payload from the relay. Echo-requests are answered without showing up here.
    Received(Payload),
}

struct AwaitingServerHello {
    config: ClientConfig,
    tck: SecretKey,
    cck: Cookie,
    buffer: Vec<u8>,
}

struct AwaitingLoginAck {
    config: ClientConfig,
    key: FrameKey,
    send: CounterNonce,
    recv: CounterNonce,
    buffer: Vec<u8>,
}

/// The client's handshake phases; [`Connection`] adds `Established` and `Failed` (TR-30).
///
/// ```text
/// start ──> AwaitingServerHello ──server-hello──> AwaitingLoginAck ──login-ack──> Established
///                  │                                     │                            │
///                  └────────────── any error, timeout or end of stream ───────────────┴──> Failed
/// ```
enum Handshake {
    AwaitingServerHello(Box<AwaitingServerHello>),
    AwaitingLoginAck(Box<AwaitingLoginAck>),
}

impl Side for Handshake {
    type Output = ClientOutput;
    const ANNOUNCES_CLOSE: bool = false;

    fn send_output(bytes: Vec<u8>) -> ClientOutput {
        ClientOutput::Send(bytes)
    }

    fn received_output(payload: Payload) -> ClientOutput {
        ClientOutput::Received(payload)
    }

    fn truncated(&self) -> Option<&'static str> {
        match self {
            Self::AwaitingServerHello(phase) if !phase.buffer.is_empty() => Some("server-hello"),
            Self::AwaitingLoginAck(phase) if !phase.buffer.is_empty() => Some("login-ack"),
            _ => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::AwaitingServerHello(_) => "AwaitingServerHello",
            Self::AwaitingLoginAck(_) => "AwaitingLoginAck",
        }
    }
}

/// The client's connection machine, sans-IO (TR-3 to TR-30).
///
/// Driving steps:
/// 1. [`start`](Self::start) and write what [`poll_output`](Self::poll_output) yields.
/// 2. Feed every byte read to [`handle_bytes`](Self::handle_bytes), the time to
///    [`handle_timeout`](Self::handle_timeout) when [`poll_timeout`](Self::poll_timeout)
///    passes, the end of the stream to [`handle_eof`](Self::handle_eof); drain
///    `poll_output` after each call, also after an error.
/// 3. After [`ClientOutput::Established`], [`send`](Self::send) payloads.
/// 4. On an error, close the connection: the machine is `Failed` for good.
pub struct ClientConnection {
    conn: Connection<Handshake>,
}

impl ClientConnection {
    /// Draws `TCK` (32 bytes) and `CCK` (16 bytes) from `rng`, in that order, and queues
    /// the client-hello (TR-3). An invalid configuration gives a `Failed` machine.
    pub fn start(config: ClientConfig, rng: &mut impl CryptoRng, now: Timestamp) -> Self {
        if let Err(error) = check_config(&config) {
            return Self {
                conn: Connection::failed(error),
            };
        }
        let deadline = now.plus_millis(config.handshake_timeout_ms);
        let tck = SecretKey::generate(rng);
        let mut cck = [0u8; COOKIE_LEN];
        rng.fill_bytes(&mut cck);
        let hello = handshake::client_hello(&tck.public_key(), &cck);
        let phase = Handshake::AwaitingServerHello(Box::new(AwaitingServerHello {
            config,
            tck,
            cck,
            buffer: Vec::new(),
        }));
        let mut conn = Connection::new(phase, deadline);
        conn.send_bytes(hello.to_vec());
        Self { conn }
    }

    /// Takes bytes from the relay, split or coalesced in any way (TR-31).
    ///
    /// # Errors
    /// The error that put the machine in `Failed`, now or earlier.
    pub fn handle_bytes(&mut self, now: Timestamp, input: &[u8]) -> Result<(), TransportError> {
        self.conn
            .handle_bytes(now, input, |conn, phase| step(conn, phase, now, input))
    }

    /// Fires due timers: the handshake deadline (TR-27), keep-alive and echo deadline (TR-28).
    ///
    /// # Errors
    /// The error that put the machine in `Failed`, now or earlier.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Result<(), TransportError> {
        self.conn.handle_timeout(now, |_, phase, due| {
            if due {
                Err(TransportError::HandshakeTimeout)
            } else {
                Ok(State::Handshake(phase))
            }
        })
    }
}

public_steps!(ClientConnection, ClientOutput);

/// Steps a handshake phase with `input`; once the login-ack is in, hands the rest to the
/// established phase.
fn step(
    conn: &mut Connection<Handshake>,
    phase: Handshake,
    now: Timestamp,
    input: &[u8],
) -> Result<State<Handshake>, TransportError> {
    match phase {
        Handshake::AwaitingServerHello(mut phase) => {
            phase.buffer.extend_from_slice(input);
            if phase.buffer.len() < SERVER_HELLO_LEN {
                return Ok(State::Handshake(Handshake::AwaitingServerHello(phase)));
            }
            let mut next = on_server_hello(conn, *phase)?;
            let rest = core::mem::take(&mut next.buffer);
            step(
                conn,
                Handshake::AwaitingLoginAck(Box::new(next)),
                now,
                &rest,
            )
        }
        Handshake::AwaitingLoginAck(mut phase) => {
            phase.buffer.extend_from_slice(input);
            if phase.buffer.len() < LOGIN_ACK_LEN {
                return Ok(State::Handshake(Handshake::AwaitingLoginAck(phase)));
            }
            let (session, rest) = on_login_ack(conn, *phase, now)?;
            conn.establish(session, now, &rest)
        }
    }
}

/// TR-5: open the box under each relay key in turn, then check the cookies; TR-6, TR-7,
/// TR-9: derive the session key and the vouch and send the login.
fn on_server_hello(
    conn: &mut Connection<Handshake>,
    phase: AwaitingServerHello,
) -> Result<AwaitingLoginAck, TransportError> {
    let AwaitingServerHello {
        config,
        tck,
        cck,
        buffer,
    } = phase;
    let (hello, rest) = buffer.split_at(SERVER_HELLO_LEN);
    let (sck, sealed) = hello.split_at(COOKIE_LEN);
    let sck: Cookie = sck.try_into().expect("16-byte cookie");
    let mut recv = CounterNonce::new(sck, 1);
    let nonce = recv.take()?;
    let (relay_key, challenge) = config
        .relay_keys
        .iter()
        .find_map(|key| {
            let shared = BoxKey::derive(&tck, key).ok()?;
            shared.open(&nonce, sealed).ok().map(|plain| (*key, plain))
        })
        .ok_or(TransportError::ServerHelloAuthFailed)?;
    if ct_eq(&sck, &cck) {
        return Err(TransportError::CookieReuse);
    }
    let (tsk_public, repeated) = challenge.split_at(32);
    if !ct_eq(repeated, &cck) {
        return Err(TransportError::CookieMismatch {
            message: "server-hello",
        });
    }
    let tsk_public =
        PublicKey::from_slice(tsk_public).map_err(|_| TransportError::ServerHelloAuthFailed)?;
    let session_key =
        BoxKey::derive(&tck, &tsk_public).map_err(|_| TransportError::NonContributory {
            key: "temporary relay key",
        })?;
    let key = FrameKey::from_bytes(*session_key.expose_secret());
    let non_contributory = |_| TransportError::NonContributory { key: "relay key" };
    let ss1 = BoxKey::derive(config.keys.secret_key(), &relay_key).map_err(non_contributory)?;
    let ss2 = BoxKey::derive(config.keys.secret_key(), &tsk_public).map_err(non_contributory)?;
    let vouch = handshake::vouch(&handshake::vouch_key(&ss1, &ss2)?, &sck, &tck.public_key());
    let mut extensions = config.extensions.clone();
    if config.offer_public_key {
        extensions.client_key = Some(config.keys.public_key());
    }
    let extensions = extensions.encode();
    let box_len =
        u16::try_from(extensions.len().saturating_add(crate::crypto::TAG_LEN)).map_err(|_| {
            TransportError::InvalidConfig {
                reason: "extensions too long",
            }
        })?;
    let data = handshake::login_data(&config.keys.identity(), box_len, &sck, &vouch);
    let mut send = CounterNonce::new(cck, 1);
    let mut login = key.seal(&send.take()?, &data);
    login.extend_from_slice(&key.seal(&send.take()?, &extensions));
    conn.send_bytes(login);
    Ok(AwaitingLoginAck {
        config,
        key,
        send,
        recv,
        buffer: rest.to_vec(),
    })
}

/// TR-14: open the login-ack under `SCK || 2`; the established phase starts with the
/// session returned.
fn on_login_ack(
    conn: &mut Connection<Handshake>,
    mut phase: AwaitingLoginAck,
    now: Timestamp,
) -> Result<(Box<Session>, Vec<u8>), TransportError> {
    let rest = phase.buffer.split_off(LOGIN_ACK_LEN);
    let nonce = phase.recv.take()?;
    let plain = phase
        .key
        .open(&nonce, &phase.buffer)
        .map_err(|_| TransportError::LoginAckAuthFailed)?;
    let data: [u8; LOGIN_ACK_DATA_LEN] = plain
        .try_into()
        .map_err(|_| TransportError::LoginAckAuthFailed)?;
    let ack = handshake::parse_login_ack_data(&data);
    conn.push(ClientOutput::Established(ack));
    let config = &phase.config;
    let keepalive = config
        .keepalive_ms
        .unwrap_or_else(|| u64::from(config.idle_timeout_secs).saturating_mul(500));
    let timers = Timers {
        idle_timeout: None,
        keepalive: Some(keepalive),
        echo_timeout: config.echo_timeout_ms,
    };
    let idle = config.idle_timeout_secs;
    let mut session = Box::new(Session::new(
        Role::Client,
        phase.key,
        phase.send,
        phase.recv,
        timers,
        now,
    ));
    // TR-21: ask for a non-default idle timeout right after the login.
    if idle != DEFAULT_IDLE_TIMEOUT_SECS {
        let frame = session.seal(now, &Payload::SetIdleTimeout(idle))?;
        conn.send_bytes(frame);
    }
    Ok((session, rest))
}

fn check_config(config: &ClientConfig) -> Result<(), TransportError> {
    let invalid = |reason| Err(TransportError::InvalidConfig { reason });
    if config.relay_keys.is_empty() {
        return invalid("no relay key");
    }
    if !(MIN_IDLE_TIMEOUT_SECS..=MAX_IDLE_TIMEOUT_SECS).contains(&config.idle_timeout_secs) {
        return Err(TransportError::InvalidIdleTimeout {
            seconds: config.idle_timeout_secs,
        });
    }
    let mut extensions = config.extensions.clone();
    if config.offer_public_key {
        extensions.client_key = Some(config.keys.public_key());
    }
    let box_len = extensions
        .encode()
        .len()
        .saturating_add(crate::crypto::TAG_LEN);
    if box_len > handshake::MAX_EXTENSIONS_BOX_LEN {
        return invalid("extensions longer than 8192 bytes");
    }
    Ok(())
}
