//! The relay side of a connection: handshake, login decision, then frames (TR-4, TR-12 to
//! TR-15, TR-26 to TR-30).

mod login;
mod requests;

use std::collections::VecDeque;

use rand_core::CryptoRng;

use crate::crypto::{PublicKey, SecretKey, ct_eq};
use crate::time::Timestamp;

use super::TransportError;
use super::frame::COOKIE_LEN;
use super::handshake::{CLIENT_HELLO_LEN, LoginAck};
use super::payload::{Payload, Role};
use super::session::{Session, SessionEvent, Timers};
use login::{AwaitingClientHello, AwaitingLogin, LoginProgress, PendingLogin};
pub use requests::{CloseCause, KeyRequest, LoginRequest, RelayConfig, RelayOutput};

/// The relay's phases (TR-30).
///
/// ```text
/// start ─> AwaitingClientHello ─hello─> AwaitingLogin ─login─┬─ key offered ──────────┐
///                                                            └─> AwaitingKey ─provide_key─┤
///                                  Established <─accept── AwaitingDecision <─vouch ok──────┘
///          any error, timeout, refuse, close or end of stream ──> Failed
/// ```
enum State {
    AwaitingClientHello(Box<AwaitingClientHello>),
    AwaitingLogin(Box<AwaitingLogin>),
    AwaitingKey(Box<PendingLogin>),
    AwaitingDecision(Box<PendingLogin>),
    Established(Box<Session>),
    Failed(TransportError),
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
    state: State,
    outputs: VecDeque<RelayOutput>,
    deadline: Option<Timestamp>,
}

const PLACEHOLDER: TransportError = TransportError::WrongState {
    expected: "a live machine",
};

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
        let deadline = Some(now.plus_millis(config.handshake_timeout_ms));
        Self {
            config,
            state: State::AwaitingClientHello(Box::new(AwaitingClientHello {
                tsk,
                sck,
                sck_alternative,
                buffer: Vec::new(),
            })),
            outputs: VecDeque::new(),
            deadline,
        }
    }

    /// Takes bytes from the client, split or coalesced in any way (TR-31).
    ///
    /// # Errors
    /// The error that put the machine in `Failed`, now or earlier.
    pub fn handle_bytes(&mut self, now: Timestamp, input: &[u8]) -> Result<(), TransportError> {
        let state = core::mem::replace(&mut self.state, State::Failed(PLACEHOLDER));
        let result = self.step(state, now, input);
        self.settle(result)
    }

    fn step(
        &mut self,
        state: State,
        now: Timestamp,
        input: &[u8],
    ) -> Result<State, TransportError> {
        match state {
            State::AwaitingClientHello(mut phase) => {
                phase.buffer.extend_from_slice(input);
                if phase.buffer.len() < CLIENT_HELLO_LEN {
                    return Ok(State::AwaitingClientHello(phase));
                }
                let (hello, login, rest) =
                    login::on_client_hello(*phase, &self.config.permanent_key)?;
                self.outputs.push_back(RelayOutput::Send(hello));
                self.step(State::AwaitingLogin(Box::new(login)), now, &rest)
            }
            State::AwaitingLogin(mut phase) => {
                phase.buffer.extend_from_slice(input);
                match login::on_login_bytes(*phase) {
                    Ok(LoginProgress::Waiting(phase)) => Ok(State::AwaitingLogin(phase)),
                    Ok(LoginProgress::Complete(pending)) => self.on_login(pending, now),
                    Err(failure) => {
                        let (error, keys) = *failure;
                        if let Some(mut keys) = keys {
                            self.send_all(login::close_login(&mut keys, &error, now));
                        }
                        Err(error)
                    }
                }
            }
            // TR-13: nothing may arrive between the login and the login-ack.
            State::AwaitingKey(pending) if input.is_empty() => Ok(State::AwaitingKey(pending)),
            State::AwaitingDecision(pending) if input.is_empty() => {
                Ok(State::AwaitingDecision(pending))
            }
            State::AwaitingKey(mut pending) | State::AwaitingDecision(mut pending) => {
                self.fail_login(&mut pending, TransportError::EarlyData, now)
            }
            State::Established(mut session) => {
                let mut events = Vec::new();
                let result = session.handle_bytes(now, input, &mut events);
                self.push_events(events);
                match result {
                    Ok(()) => Ok(State::Established(session)),
                    Err(error) => Err(self.close_session(&mut session, error, now)),
                }
            }
            State::Failed(error) => Err(error),
        }
    }

    /// TR-12 step 7: verify now when the key is offered, else ask the caller for it.
    fn on_login(
        &mut self,
        pending: Box<PendingLogin>,
        now: Timestamp,
    ) -> Result<State, TransportError> {
        if let Some(key) = pending.extensions.client_key {
            return self.verify(pending, key, true, now);
        }
        self.outputs.push_back(RelayOutput::KeyRequest(KeyRequest {
            identity: pending.identity,
            ticket: pending.keys.sck,
        }));
        Ok(State::AwaitingKey(pending))
    }

    fn verify(
        &mut self,
        mut pending: Box<PendingLogin>,
        key: PublicKey,
        offered: bool,
        now: Timestamp,
    ) -> Result<State, TransportError> {
        if let Err(error) = login::verify(&pending, &self.config.permanent_key, &key) {
            return self.fail_login(&mut pending, error, now);
        }
        self.outputs
            .push_back(RelayOutput::LoginRequest(LoginRequest {
                identity: pending.identity,
                public_key: key,
                key_offered: offered,
                extensions: pending.extensions.clone(),
                ticket: pending.keys.sck,
            }));
        Ok(State::AwaitingDecision(pending))
    }

    fn fail_login(
        &mut self,
        pending: &mut PendingLogin,
        error: TransportError,
        now: Timestamp,
    ) -> Result<State, TransportError> {
        self.send_all(login::close_login(&mut pending.keys, &error, now));
        Err(error)
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
        let state = core::mem::replace(&mut self.state, State::Failed(PLACEHOLDER));
        let result = match state {
            State::AwaitingKey(mut pending) if pending.keys.sck == ticket => match key {
                Some(key) => self.verify(pending, key, false, now),
                None => self.fail_login(&mut pending, TransportError::IdentityUnknown, now),
            },
            other => {
                self.state = other;
                return Err(TransportError::WrongState {
                    expected: "awaiting a key",
                });
            }
        };
        self.settle(result)
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
        let state = core::mem::replace(&mut self.state, State::Failed(PLACEHOLDER));
        let result = match state {
            State::AwaitingDecision(pending) if pending.keys.sck == ticket => {
                let PendingLogin { mut keys, .. } = *pending;
                let ack = LoginAck {
                    server_time: now,
                    queued_count,
                };
                login::login_ack(&mut keys, &ack).map(|ack| {
                    self.outputs.push_back(RelayOutput::Send(ack));
                    self.deadline = None;
                    let timers = Timers {
                        idle_timeout: Some(
                            u64::from(self.config.idle_timeout_secs).saturating_mul(1000),
                        ),
                        keepalive: None,
                        echo_timeout: 0,
                    };
                    State::Established(Box::new(Session::new(
                        Role::Relay,
                        keys.key,
                        keys.send,
                        keys.recv,
                        timers,
                        now,
                    )))
                })
            }
            other => {
                self.state = other;
                return Err(TransportError::WrongState {
                    expected: "awaiting a login decision",
                });
            }
        };
        self.settle(result)
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
        let state = core::mem::replace(&mut self.state, State::Failed(PLACEHOLDER));
        let result = match state {
            State::AwaitingDecision(mut pending) if pending.keys.sck == ticket => {
                self.fail_login(&mut pending, cause.error(), now)
            }
            other => {
                self.state = other;
                return Err(TransportError::WrongState {
                    expected: "awaiting a login decision",
                });
            }
        };
        self.settle(result)
    }

    /// Ends an established connection with a close-error for `cause` (TR-15, TR-26).
    ///
    /// # Errors
    /// `not_established` before the login is accepted; otherwise the cause's error.
    pub fn close(&mut self, cause: CloseCause, now: Timestamp) -> Result<(), TransportError> {
        let state = core::mem::replace(&mut self.state, State::Failed(PLACEHOLDER));
        let result = match state {
            State::Established(mut session) => {
                Err(self.close_session(&mut session, cause.error(), now))
            }
            State::Failed(error) => Err(error),
            other => {
                self.state = other;
                return Err(TransportError::NotEstablished);
            }
        };
        self.settle(result)
    }

    /// TR-26: after the login-ack, a failure is announced with a close-error frame.
    fn close_session(
        &mut self,
        session: &mut Session,
        error: TransportError,
        now: Timestamp,
    ) -> TransportError {
        if let Some(close) = error.close_error() {
            let payload = Payload::CloseError {
                can_reconnect: close.can_reconnect,
                message: close.message,
            };
            if let Ok(frame) = session.seal(now, &payload) {
                self.outputs.push_back(RelayOutput::Send(frame));
            }
        }
        error
    }

    fn send_all(&mut self, frames: Vec<Vec<u8>>) {
        self.outputs
            .extend(frames.into_iter().map(RelayOutput::Send));
    }

    fn push_events(&mut self, events: Vec<SessionEvent>) {
        self.outputs
            .extend(events.into_iter().map(|event| match event {
                SessionEvent::Send(bytes) => RelayOutput::Send(bytes),
                SessionEvent::Received(payload) => RelayOutput::Received(payload),
            }));
    }

    fn settle(&mut self, result: Result<State, TransportError>) -> Result<(), TransportError> {
        match result {
            Ok(state) => {
                self.state = state;
                Ok(())
            }
            Err(error) => {
                self.state = State::Failed(error.clone());
                self.deadline = None;
                Err(error)
            }
        }
    }

    /// Fires due timers: the handshake deadline (TR-27) and the idle timeout (TR-28).
    ///
    /// # Errors
    /// The error that put the machine in `Failed`, now or earlier.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Result<(), TransportError> {
        let state = core::mem::replace(&mut self.state, State::Failed(PLACEHOLDER));
        let due = self.deadline.is_some_and(|deadline| now >= deadline);
        let result = match state {
            State::Failed(error) => Err(error),
            State::Established(mut session) => {
                let mut events = Vec::new();
                let result = session.handle_timeout(now, &mut events);
                self.push_events(events);
                match result {
                    Ok(()) => Ok(State::Established(session)),
                    Err(error) => Err(self.close_session(&mut session, error, now)),
                }
            }
            State::AwaitingKey(mut pending) | State::AwaitingDecision(mut pending) if due => {
                self.fail_login(&mut pending, TransportError::HandshakeTimeout, now)
            }
            // TR-26: once the login-data box has opened, the client can read a close-error.
            State::AwaitingLogin(mut phase) if due && phase.data.is_some() => {
                let error = TransportError::HandshakeTimeout;
                self.send_all(login::close_login(&mut phase.keys, &error, now));
                Err(error)
            }
            _ if due => Err(TransportError::HandshakeTimeout),
            other => Ok(other),
        };
        self.settle(result)
    }

    /// The client closed its side of the stream (TR-29).
    ///
    /// # Errors
    /// Always: `truncated` inside a message, else `connection_closed`, or the earlier error.
    pub fn handle_eof(&mut self) -> Result<(), TransportError> {
        let error = match &self.state {
            State::Failed(error) => error.clone(),
            State::AwaitingClientHello(phase) if !phase.buffer.is_empty() => {
                TransportError::Truncated {
                    message: "client-hello",
                }
            }
            State::AwaitingLogin(phase) if !phase.buffer.is_empty() || phase.data.is_some() => {
                TransportError::Truncated { message: "login" }
            }
            State::Established(session) if session.has_partial() => {
                TransportError::Truncated { message: "frame" }
            }
            _ => TransportError::ConnectionClosed,
        };
        self.settle(Err(error))
    }

    /// Seals a payload for the client (TR-16, TR-18).
    ///
    /// # Errors
    /// `not_established` before [`accept`](Self::accept), `wrong_direction` for a
    /// client-only payload, `payload_too_large`, `counter_overflow` (which fails the
    /// machine), or the error that failed the machine.
    pub fn send(&mut self, now: Timestamp, payload: &Payload) -> Result<(), TransportError> {
        let frame = match &mut self.state {
            State::Established(session) => session.seal(now, payload),
            State::Failed(error) => return Err(error.clone()),
            _ => return Err(TransportError::NotEstablished),
        };
        match frame {
            Ok(frame) => {
                self.outputs.push_back(RelayOutput::Send(frame));
                Ok(())
            }
            Err(TransportError::CounterOverflow) => {
                self.settle(Err(TransportError::CounterOverflow))
            }
            Err(error) => Err(error),
        }
    }

    /// The next output, in order.
    pub fn poll_output(&mut self) -> Option<RelayOutput> {
        self.outputs.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next, if ever.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        match &self.state {
            State::Established(session) => session.poll_timeout(),
            State::Failed(_) => None,
            _ => self.deadline,
        }
    }

    /// Whether the login was accepted and the machine has not failed.
    #[must_use]
    pub fn is_established(&self) -> bool {
        matches!(self.state, State::Established(_))
    }

    /// The error that failed the machine, if it has.
    #[must_use]
    pub fn error(&self) -> Option<&TransportError> {
        match &self.state {
            State::Failed(error) => Some(error),
            _ => None,
        }
    }
}

impl core::fmt::Debug for RelayConnection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &self.state {
            State::AwaitingClientHello(_) => "AwaitingClientHello",
            State::AwaitingLogin(_) => "AwaitingLogin",
            State::AwaitingKey(_) => "AwaitingKey",
            State::AwaitingDecision(_) => "AwaitingDecision",
            State::Established(_) => "Established",
            State::Failed(_) => "Failed",
        };
        f.debug_struct("RelayConnection")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
