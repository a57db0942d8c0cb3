//! What both connection machines share (TR-16 to TR-30): the phase (one side's handshake, the
//! established [`Session`], or `Failed`), the output queue, the handshake deadline, and every
//! step taken the same way on either side: bytes and timers once established, the end of the
//! stream, sending, and the poll functions. [`ClientConnection`](super::ClientConnection) and
//! [`RelayConnection`](super::RelayConnection) add their handshakes and nothing else: their
//! public steps that only forward here (`send`, the poll functions, ...) are written once, in
//! `public_steps!`.

use std::collections::VecDeque;

use crate::time::Timestamp;

use super::TransportError;
use super::payload::Payload;
use super::session::{Session, SessionEvent};

/// One side's handshake phases and what else sets that side apart.
pub(super) trait Side {
    /// The machine's output.
    type Output;
    /// TR-26: whether a failure of the established phase is announced with a close-error
    /// frame. Only the relay sends close-errors.
    const ANNOUNCES_CLOSE: bool;
    /// An output that writes `bytes`.
    fn send_output(bytes: Vec<u8>) -> Self::Output;
    /// An output that hands `payload` to the caller.
    fn received_output(payload: Payload) -> Self::Output;
    /// TR-29: the handshake message that an end of stream now would cut short, if any.
    fn truncated(&self) -> Option<&'static str>;
    /// The phase's name, for `Debug`.
    fn name(&self) -> &'static str;
}

/// A connection's phases (TR-30): the side's handshake `H`, then established; any error
/// leaves it failed for good.
pub(super) enum State<H> {
    Handshake(H),
    Established(Box<Session>),
    Failed(TransportError),
}

/// Stands in for the state while a step owns it; every step puts a state back.
const PLACEHOLDER: TransportError = TransportError::WrongState {
    expected: "a live machine",
};

/// The shared part of a connection machine; see the module docs.
pub(super) struct Connection<H: Side> {
    state: State<H>,
    outputs: VecDeque<H::Output>,
    /// The handshake deadline (TR-27); `None` once established or failed.
    deadline: Option<Timestamp>,
}

impl<H: Side> Connection<H> {
    /// A connection in the handshake phase `phase`, due to finish it by `deadline`.
    pub(super) fn new(phase: H, deadline: Timestamp) -> Self {
        Self {
            state: State::Handshake(phase),
            outputs: VecDeque::new(),
            deadline: Some(deadline),
        }
    }

    /// A connection failed before it started (an invalid configuration).
    pub(super) fn failed(error: TransportError) -> Self {
        Self {
            state: State::Failed(error),
            outputs: VecDeque::new(),
            deadline: None,
        }
    }

    /// Takes the state for a step that consumes it; [`Connection::settle`] or
    /// [`Connection::restore`] puts one back.
    pub(super) fn take(&mut self) -> State<H> {
        core::mem::replace(&mut self.state, State::Failed(PLACEHOLDER))
    }

    /// Puts back a state the step left as it was (a caller's request for another phase).
    pub(super) fn restore(&mut self, state: State<H>) {
        self.state = state;
    }

    /// Ends a step: the new state, or `Failed` with the error, which is returned.
    pub(super) fn settle(
        &mut self,
        result: Result<State<H>, TransportError>,
    ) -> Result<(), TransportError> {
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

    /// Queues an output.
    pub(super) fn push(&mut self, output: H::Output) {
        self.outputs.push_back(output);
    }

    /// Queues bytes to write.
    pub(super) fn send_bytes(&mut self, bytes: Vec<u8>) {
        self.push(H::send_output(bytes));
    }

    /// The handshake is over: the established phase has no handshake deadline. `rest` is
    /// what followed the last handshake message in the same read.
    pub(super) fn establish(
        &mut self,
        session: Box<Session>,
        now: Timestamp,
        rest: &[u8],
    ) -> Result<State<H>, TransportError> {
        self.deadline = None;
        self.session_bytes(session, now, rest)
    }

    /// Whether the handshake deadline has passed (TR-27).
    pub(super) fn deadline_passed(&self, now: Timestamp) -> bool {
        self.deadline.is_some_and(|deadline| now >= deadline)
    }

    /// Takes bytes from the peer (TR-31): `handshake` steps a handshake phase; once
    /// established the session decodes them.
    pub(super) fn handle_bytes(
        &mut self,
        now: Timestamp,
        input: &[u8],
        handshake: impl FnOnce(&mut Self, H) -> Result<State<H>, TransportError>,
    ) -> Result<(), TransportError> {
        let result = match self.take() {
            State::Handshake(phase) => handshake(self, phase),
            State::Established(session) => self.session_bytes(session, now, input),
            State::Failed(error) => Err(error),
        };
        self.settle(result)
    }

    /// Fires due timers: `handshake` handles a handshake phase, told whether the deadline
    /// passed (TR-27); once established, the session's timers (TR-28).
    pub(super) fn handle_timeout(
        &mut self,
        now: Timestamp,
        handshake: impl FnOnce(&mut Self, H, bool) -> Result<State<H>, TransportError>,
    ) -> Result<(), TransportError> {
        let due = self.deadline_passed(now);
        let result = match self.take() {
            State::Handshake(phase) => handshake(self, phase, due),
            State::Established(mut session) => {
                let mut events = Vec::new();
                let result = session.handle_timeout(now, &mut events);
                self.push_events(events);
                match result {
                    Ok(()) => Ok(State::Established(session)),
                    Err(error) => Err(self.fail_session(&mut session, error, now)),
                }
            }
            State::Failed(error) => Err(error),
        };
        self.settle(result)
    }

    /// Hands bytes to the established session, queueing what it produces.
    pub(super) fn session_bytes(
        &mut self,
        mut session: Box<Session>,
        now: Timestamp,
        input: &[u8],
    ) -> Result<State<H>, TransportError> {
        let mut events = Vec::new();
        let result = session.handle_bytes(now, input, &mut events);
        self.push_events(events);
        match result {
            Ok(()) => Ok(State::Established(session)),
            Err(error) => Err(self.fail_session(&mut session, error, now)),
        }
    }

    /// TR-26: after the login-ack, the relay announces a failure with a close-error frame.
    /// Returns `error`.
    pub(super) fn fail_session(
        &mut self,
        session: &mut Session,
        error: TransportError,
        now: Timestamp,
    ) -> TransportError {
        if H::ANNOUNCES_CLOSE
            && let Some(close) = error.close_error()
        {
            let payload = Payload::CloseError {
                can_reconnect: close.can_reconnect,
                message: close.message,
            };
            if let Ok(frame) = session.seal(now, &payload) {
                self.send_bytes(frame);
            }
        }
        error
    }

    fn push_events(&mut self, events: Vec<SessionEvent>) {
        self.outputs
            .extend(events.into_iter().map(|event| match event {
                SessionEvent::Send(bytes) => H::send_output(bytes),
                SessionEvent::Received(payload) => H::received_output(payload),
            }));
    }

    /// The peer closed its side of the stream (TR-29).
    ///
    /// # Errors
    /// Always: `truncated` inside a message, else `connection_closed`, or the earlier error.
    pub(super) fn handle_eof(&mut self) -> Result<(), TransportError> {
        let truncated = |message| TransportError::Truncated { message };
        let error = match &self.state {
            State::Failed(error) => error.clone(),
            State::Handshake(phase) => phase
                .truncated()
                .map_or(TransportError::ConnectionClosed, truncated),
            State::Established(session) if session.has_partial() => truncated("frame"),
            State::Established(_) => TransportError::ConnectionClosed,
        };
        self.settle(Err(error))
    }

    /// Seals a payload for the peer (TR-16, TR-18).
    ///
    /// # Errors
    /// `not_established` during the handshake, `wrong_direction` for the peer's payload,
    /// `payload_too_large`, `counter_overflow`, or the error that failed the machine. Only
    /// the last two fail the machine.
    pub(super) fn send(&mut self, now: Timestamp, payload: &Payload) -> Result<(), TransportError> {
        let frame = match &mut self.state {
            State::Established(session) => session.seal(now, payload),
            State::Failed(error) => return Err(error.clone()),
            State::Handshake(_) => return Err(TransportError::NotEstablished),
        };
        match frame {
            Ok(frame) => {
                self.send_bytes(frame);
                Ok(())
            }
            Err(TransportError::CounterOverflow) => {
                self.settle(Err(TransportError::CounterOverflow))
            }
            Err(error) => Err(error),
        }
    }

    /// The next output, in order.
    pub(super) fn poll_output(&mut self) -> Option<H::Output> {
        self.outputs.pop_front()
    }

    /// When to call `handle_timeout` next, if ever.
    pub(super) fn poll_timeout(&self) -> Option<Timestamp> {
        match &self.state {
            State::Established(session) => session.poll_timeout(),
            State::Failed(_) => None,
            State::Handshake(_) => self.deadline,
        }
    }

    /// Whether the handshake is done and the machine has not failed.
    pub(super) fn is_established(&self) -> bool {
        matches!(self.state, State::Established(_))
    }

    /// The error that failed the machine, if it has.
    pub(super) fn error(&self) -> Option<&TransportError> {
        match &self.state {
            State::Failed(error) => Some(error),
            _ => None,
        }
    }

    /// The current phase's name, for `Debug`.
    pub(super) fn phase_name(&self) -> &'static str {
        match &self.state {
            State::Handshake(phase) => phase.name(),
            State::Established(_) => "Established",
            State::Failed(_) => "Failed",
        }
    }
}

/// The public steps both machines take the same way, written once: for `$machine` (a struct
/// with a `conn: Connection<_>` field) `handle_eof`, `send`, `poll_output`, `poll_timeout`,
/// `is_established` and `error`, forwarding to [`Connection`], and `Debug` (the phase only:
/// the state holds keys). A macro rather than a public generic machine keeps the handshake
/// steps of [`Connection`] (`take`, `settle`, ...) out of the public API.
macro_rules! public_steps {
    ($machine:ident, $output:ty) => {
        impl $machine {
            /// The peer closed its side of the stream (TR-29).
            ///
            /// # Errors
            /// Always: `truncated` inside a message, else `connection_closed`, or the earlier
            /// error.
            pub fn handle_eof(&mut self) -> Result<(), $crate::transport::TransportError> {
                self.conn.handle_eof()
            }

            /// Seals a payload for the peer (TR-16, TR-18).
            ///
            /// # Errors
            /// `not_established` during the handshake, `wrong_direction` for a payload only the
            /// peer sends, `payload_too_large`, `counter_overflow`, or the error that failed the
            /// machine. Only the last two fail the machine.
            pub fn send(
                &mut self,
                now: $crate::time::Timestamp,
                payload: &$crate::transport::Payload,
            ) -> Result<(), $crate::transport::TransportError> {
                self.conn.send(now, payload)
            }

            /// The next output, in order.
            pub fn poll_output(&mut self) -> Option<$output> {
                self.conn.poll_output()
            }

            /// When to call [`handle_timeout`](Self::handle_timeout) next, if ever.
            #[must_use]
            pub fn poll_timeout(&self) -> Option<$crate::time::Timestamp> {
                self.conn.poll_timeout()
            }

            /// Whether the handshake is done (the client has the login-ack, the relay accepted
            /// the login) and the machine has not failed.
            #[must_use]
            pub fn is_established(&self) -> bool {
                self.conn.is_established()
            }

            /// The error that failed the machine, if it has.
            #[must_use]
            pub fn error(&self) -> Option<&$crate::transport::TransportError> {
                self.conn.error()
            }
        }

        impl core::fmt::Debug for $machine {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($machine))
                    .field("state", &self.conn.phase_name())
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(super) use public_steps;
