//! The relay side of a connection: handshake, login decision, then frames (TR-4, TR-12 to
//! TR-15, TR-26 to TR-30).

mod login;
mod requests;

use rand_core::CryptoRng;

use crate::crypto::{PublicKey, SecretKey, ct_eq};
use crate::time::Timestamp;

use super::TransportError;
use super::connection::{Connection, Side, State, public_steps};
use super::frame::COOKIE_LEN;
use super::handshake::{CLIENT_HELLO_LEN, LoginAck};
use super::payload::{Payload, Role};
use super::session::{Session, Timers};
use login::{AwaitingClientHello, AwaitingLogin, LoginProgress, PendingLogin};
pub use requests::{CloseCause, KeyRequest, LoginRequest, RelayConfig, RelayOutput};

/// The relay's handshake phases; [`Connection`] adds `Established` and `Failed` (TR-30).
///
/// ```text
/// start ─> AwaitingClientHello ─hello─> AwaitingLogin ─login─┬─ key offered ──────────┐
///                                                            └─> AwaitingKey ─provide_key─┤
///                                  Established <─accept── AwaitingDecision <─vouch ok──────┘
///          any error, timeout, refuse, close or end of stream ──> Failed
/// ```
#[expect(
    clippy::enum_variant_names,
    reason = "phases are named after what they await (STYLE: states `Awaiting*`)"
)]
enum Handshake {
    AwaitingClientHello(Box<AwaitingClientHello>),
    AwaitingLogin(Box<AwaitingLogin>),
    AwaitingKey(Box<PendingLogin>),
    AwaitingDecision(Box<PendingLogin>),
}

impl Side for Handshake {
    type Output = RelayOutput;
    const ANNOUNCES_CLOSE: bool = true;

    fn send_output(bytes: Vec<u8>) -> RelayOutput {
        RelayOutput::Send(bytes)
    }

    fn received_output(payload: Payload) -> RelayOutput {
        RelayOutput::Received(payload)
    }

    fn truncated(&self) -> Option<&'static str> {
        match self {
            Self::AwaitingClientHello(phase) if !phase.buffer.is_empty() => Some("client-hello"),
            Self::AwaitingLogin(phase) if !phase.buffer.is_empty() || phase.data.is_some() => {
                Some("login")
            }
            _ => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::AwaitingClientHello(_) => "AwaitingClientHello",
            Self::AwaitingLogin(_) => "AwaitingLogin",
            Self::AwaitingKey(_) => "AwaitingKey",
            Self::AwaitingDecision(_) => "AwaitingDecision",
        }
    }
}

/// The relay's connection machine, sans-IO (TR-4 to TR-30).
///
/// Driving steps:
/// 1. [`start`](Self::start) on accepting a connection.
/// 2. Feed every byte read to [`handle_bytes`](Self::handle_bytes), the time to
///    [`handle_timeout`](Self::handle_timeout) when [`poll_timeout`](Self::poll_timeout)
///    passes, the end of the stream to [`handle_eof`](Self::handle_eof); drain
///    [`poll_output`](Self::poll_output) after each call, also after an error: a failed login
///    leaves a login-ack and a close-error to write.
/// 3. Answer [`RelayOutput::KeyRequest`] with [`provide_key`](Self::provide_key) and
///    [`RelayOutput::LoginRequest`] with [`accept`](Self::accept) or [`refuse`](Self::refuse).
/// 4. Once accepted, [`send`](Self::send) payloads; [`close`](Self::close) to end it.
pub struct RelayConnection {
    config: RelayConfig,
    conn: Connection<Handshake>,
}

impl RelayConnection {
    /// Draws `TSK` (32 bytes), `SCK` (16) and an alternative cookie (16, drawn again while it
    /// equals `SCK`) from `rng`, in that order (TR-4).
    pub fn start(config: RelayConfig, rng: &mut impl CryptoRng, now: Timestamp) -> Self {
        let tsk = SecretKey::generate(rng);
        let mut sck = [0u8; COOKIE_LEN];
        rng.fill_bytes(&mut sck);
        let mut sck_alternative = sck;
        while ct_eq(&sck_alternative, &sck) {
            rng.fill_bytes(&mut sck_alternative);
        }
        let deadline = now.plus_millis(config.handshake_timeout_ms);
        let phase = Handshake::AwaitingClientHello(Box::new(AwaitingClientHello {
            tsk,
            sck,
            sck_alternative,
            buffer: Vec::new(),
        }));
        Self {
            config,
            conn: Connection::new(phase, deadline),
        }
    }

    /// Takes bytes from the client, split or coalesced in any way (TR-31).
    ///
    /// # Errors
    /// The error that put the machine in `Failed`, now or earlier.
    pub fn handle_bytes(&mut self, now: Timestamp, input: &[u8]) -> Result<(), TransportError> {
        let config = &self.config;
        self.conn.handle_bytes(now, input, |conn, phase| {
            step(config, conn, phase, now, input)
        })
    }

    /// Answers a [`KeyRequest`] with the key bound to the identity, or `None` (TR-15).
    ///
    /// # Errors
    /// `wrong_state` for a request of another machine or phase; `identity_unknown` for
    /// `None`, `vouch_mismatch` or `unsupported_payload_version` when the login fails (the
    /// machine is then `Failed` and a login-ack and close-error wait in the outputs).
    #[expect(
        clippy::needless_pass_by_value,
        reason = "the request is a one-use token: taking it by value spends it"
    )]
    pub fn provide_key(
        &mut self,
        request: KeyRequest,
        key: Option<PublicKey>,
        now: Timestamp,
    ) -> Result<(), TransportError> {
        let KeyRequest { ticket, .. } = request;
        let result = match self.conn.take() {
            State::Handshake(Handshake::AwaitingKey(mut pending)) if pending.keys.sck == ticket => {
                match key {
                    Some(key) => verify(&self.config, &mut self.conn, pending, key, false, now),
                    None => fail_login(
                        &mut self.conn,
                        &mut pending,
                        TransportError::IdentityUnknown,
                        now,
                    ),
                }
            }
            other => {
                self.conn.restore(other);
                return Err(TransportError::WrongState {
                    expected: "awaiting a key",
                });
            }
        };
        self.conn.settle(result)
    }

    /// Accepts a login: sends the login-ack with `now` as server time and `queued_count`
    /// (TR-14) and starts the established phase.
    ///
    /// # Errors
    /// `wrong_state` for a request of another machine or phase.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "the request is a one-use token: taking it by value spends it"
    )]
    pub fn accept(
        &mut self,
        request: LoginRequest,
        now: Timestamp,
        queued_count: u32,
    ) -> Result<(), TransportError> {
        let LoginRequest { ticket, .. } = request;
        let result = match self.conn.take() {
            State::Handshake(Handshake::AwaitingDecision(pending))
                if pending.keys.sck == ticket =>
            {
                let PendingLogin { mut keys, .. } = *pending;
                let ack = LoginAck {
                    server_time: now,
                    queued_count,
                };
                login::login_ack(&mut keys, &ack).and_then(|ack| {
                    self.conn.send_bytes(ack);
                    let timers = Timers {
                        idle_timeout: Some(
                            u64::from(self.config.idle_timeout_secs).saturating_mul(1000),
                        ),
                        keepalive: None,
                        echo_timeout: 0,
                    };
                    let session = Box::new(Session::new(
                        Role::Relay,
                        keys.key,
                        keys.send,
                        keys.recv,
                        timers,
                        now,
                    ));
                    self.conn.establish(session, now, &[])
                })
            }
            other => {
                self.conn.restore(other);
                return Err(TransportError::WrongState {
                    expected: "awaiting a login decision",
                });
            }
        };
        self.conn.settle(result)
    }

    /// Refuses a login: login-ack, then a close-error for `cause` (TR-15, TR-26).
    ///
    /// # Errors
    /// `wrong_state` for a request of another machine or phase; otherwise the cause's error,
    /// which the machine is now failed with.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "the request is a one-use token: taking it by value spends it"
    )]
    pub fn refuse(
        &mut self,
        request: LoginRequest,
        cause: CloseCause,
        now: Timestamp,
    ) -> Result<(), TransportError> {
        let LoginRequest { ticket, .. } = request;
        let result = match self.conn.take() {
            State::Handshake(Handshake::AwaitingDecision(mut pending))
                if pending.keys.sck == ticket =>
            {
                fail_login(&mut self.conn, &mut pending, cause.error(), now)
            }
            other => {
                self.conn.restore(other);
                return Err(TransportError::WrongState {
                    expected: "awaiting a login decision",
                });
            }
        };
        self.conn.settle(result)
    }

    /// Ends an established connection with a close-error for `cause` (TR-15, TR-26).
    ///
    /// # Errors
    /// `not_established` before the login is accepted; otherwise the cause's error.
    pub fn close(&mut self, cause: CloseCause, now: Timestamp) -> Result<(), TransportError> {
        let result = match self.conn.take() {
            State::Established(mut session) => {
                Err(self.conn.fail_session(&mut session, cause.error(), now))
            }
            State::Failed(error) => Err(error),
            other @ State::Handshake(_) => {
                self.conn.restore(other);
                return Err(TransportError::NotEstablished);
            }
        };
        self.conn.settle(result)
    }

    /// Fires due timers: the handshake deadline (TR-27) and the idle timeout (TR-28).
    ///
    /// # Errors
    /// The error that put the machine in `Failed`, now or earlier.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Result<(), TransportError> {
        self.conn
            .handle_timeout(now, |conn, phase, due| match phase {
                Handshake::AwaitingKey(mut pending) | Handshake::AwaitingDecision(mut pending)
                    if due =>
                {
                    fail_login(conn, &mut pending, TransportError::HandshakeTimeout, now)
                }
                // TR-26: once the login-data box has opened, the client can read a close-error.
                Handshake::AwaitingLogin(mut phase) if due && phase.data.is_some() => {
                    let error = TransportError::HandshakeTimeout;
                    send_all(conn, login::close_login(&mut phase.keys, &error, now));
                    Err(error)
                }
                _ if due => Err(TransportError::HandshakeTimeout),
                other => Ok(State::Handshake(other)),
            })
    }
}

public_steps!(RelayConnection, RelayOutput);

/// Steps a handshake phase with `input`.
fn step(
    config: &RelayConfig,
    conn: &mut Connection<Handshake>,
    phase: Handshake,
    now: Timestamp,
    input: &[u8],
) -> Result<State<Handshake>, TransportError> {
    match phase {
        Handshake::AwaitingClientHello(mut phase) => {
            phase.buffer.extend_from_slice(input);
            if phase.buffer.len() < CLIENT_HELLO_LEN {
                return Ok(State::Handshake(Handshake::AwaitingClientHello(phase)));
            }
            let (hello, login, rest) = login::on_client_hello(*phase, &config.permanent_key)?;
            conn.send_bytes(hello);
            step(
                config,
                conn,
                Handshake::AwaitingLogin(Box::new(login)),
                now,
                &rest,
            )
        }
        Handshake::AwaitingLogin(mut phase) => {
            phase.buffer.extend_from_slice(input);
            match login::on_login_bytes(*phase) {
                Ok(LoginProgress::Waiting(phase)) => {
                    Ok(State::Handshake(Handshake::AwaitingLogin(phase)))
                }
                Ok(LoginProgress::Complete(pending)) => on_login(config, conn, pending, now),
                Err(failure) => {
                    let (error, keys) = *failure;
                    if let Some(mut keys) = keys {
                        send_all(conn, login::close_login(&mut keys, &error, now));
                    }
                    Err(error)
                }
            }
        }
        // TR-13: nothing may arrive between the login and the login-ack.
        Handshake::AwaitingKey(pending) if input.is_empty() => {
            Ok(State::Handshake(Handshake::AwaitingKey(pending)))
        }
        Handshake::AwaitingDecision(pending) if input.is_empty() => {
            Ok(State::Handshake(Handshake::AwaitingDecision(pending)))
        }
        Handshake::AwaitingKey(mut pending) | Handshake::AwaitingDecision(mut pending) => {
            fail_login(conn, &mut pending, TransportError::EarlyData, now)
        }
    }
}

/// TR-12 step 7: verify now when the key is offered, else ask the caller for it.
fn on_login(
    config: &RelayConfig,
    conn: &mut Connection<Handshake>,
    pending: Box<PendingLogin>,
    now: Timestamp,
) -> Result<State<Handshake>, TransportError> {
    if let Some(key) = pending.extensions.client_key {
        return verify(config, conn, pending, key, true, now);
    }
    conn.push(RelayOutput::KeyRequest(KeyRequest {
        identity: pending.identity,
        ticket: pending.keys.sck,
    }));
    Ok(State::Handshake(Handshake::AwaitingKey(pending)))
}

fn verify(
    config: &RelayConfig,
    conn: &mut Connection<Handshake>,
    mut pending: Box<PendingLogin>,
    key: PublicKey,
    offered: bool,
    now: Timestamp,
) -> Result<State<Handshake>, TransportError> {
    if let Err(error) = login::verify(&pending, &config.permanent_key, &key) {
        return fail_login(conn, &mut pending, error, now);
    }
    conn.push(RelayOutput::LoginRequest(LoginRequest {
        identity: pending.identity,
        public_key: key,
        key_offered: offered,
        extensions: pending.extensions.clone(),
        ticket: pending.keys.sck,
    }));
    Ok(State::Handshake(Handshake::AwaitingDecision(pending)))
}

/// TR-26: a login that fails after its box opened gets a login-ack and a close-error.
fn fail_login(
    conn: &mut Connection<Handshake>,
    pending: &mut PendingLogin,
    error: TransportError,
    now: Timestamp,
) -> Result<State<Handshake>, TransportError> {
    send_all(conn, login::close_login(&mut pending.keys, &error, now));
    Err(error)
}

fn send_all(conn: &mut Connection<Handshake>, frames: Vec<Vec<u8>>) {
    for frame in frames {
        conn.send_bytes(frame);
    }
}
