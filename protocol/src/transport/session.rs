//! The established phase shared by both sides: frames in and out, direction checks, echo,
//! idle timeout and keep-alive (TR-16 to TR-22, TR-28).

use crate::time::Timestamp;

use super::TransportError;
use super::frame::{CounterNonce, FrameDecoder, FrameKey, open_frame, seal_frame};
use super::payload::{Payload, Role};

/// What the established phase hands to its connection.
#[derive(Debug)]
pub(crate) enum SessionEvent {
    /// Bytes to write.
    Send(Vec<u8>),
    /// A payload for the caller.
    Received(Payload),
}

/// Timer settings of the established phase, in ms (TR-28).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timers {
    /// Relay: close after this long without input. Client: unused.
    pub(crate) idle_timeout: Option<u64>,
    /// Client: send an echo-request after this long without sending. Relay: unused.
    pub(crate) keepalive: Option<u64>,
    /// Client: fail when an echo-response takes longer than this.
    pub(crate) echo_timeout: u64,
}

/// One side's view of an established connection.
#[derive(Debug)]
pub(crate) struct Session {
    role: Role,
    key: FrameKey,
    send: CounterNonce,
    recv: CounterNonce,
    decoder: FrameDecoder,
    timers: Timers,
    last_received: Timestamp,
    last_sent: Timestamp,
    /// The outstanding echo-request: its sequence number and deadline.
    echo: Option<(u64, Timestamp)>,
    echo_sequence: u64,
}

impl Session {
    pub(crate) fn new(
        role: Role,
        key: FrameKey,
        send: CounterNonce,
        recv: CounterNonce,
        timers: Timers,
        now: Timestamp,
    ) -> Self {
        Self {
            role,
            key,
            send,
            recv,
            decoder: FrameDecoder::new(),
            timers,
            last_received: now,
            last_sent: now,
            echo: None,
            echo_sequence: 0,
        }
    }

    fn peer(&self) -> Role {
        match self.role {
            Role::Client => Role::Relay,
            Role::Relay => Role::Client,
        }
    }

    /// Seals a payload this side may send (TR-16, TR-18).
    pub(crate) fn seal(
        &mut self,
        now: Timestamp,
        payload: &Payload,
    ) -> Result<Vec<u8>, TransportError> {
        let entry = payload.registry_entry();
        if !entry.direction.allows(self.role) {
            return Err(TransportError::WrongDirection {
                payload: entry.name,
            });
        }
        let frame = seal_frame(&self.key, &mut self.send, &payload.encode())?;
        self.last_sent = now;
        Ok(frame)
    }

    /// Takes stream bytes; decodes, opens and handles every complete frame (TR-16 to TR-22).
    pub(crate) fn handle_bytes(
        &mut self,
        now: Timestamp,
        input: &[u8],
        out: &mut Vec<SessionEvent>,
    ) -> Result<(), TransportError> {
        self.decoder.push(input);
        while let Some(mut sealed) = self.decoder.next_box()? {
            let container = open_frame(&self.key, &mut self.recv, &mut sealed)?;
            let payload = Payload::decode(container)?;
            let entry = payload.registry_entry();
            // TR-18: a known type from the wrong side is forbidden.
            if !entry.direction.allows(self.peer()) {
                return Err(TransportError::UnexpectedPayload {
                    payload: entry.name,
                });
            }
            self.last_received = now;
            self.handle_payload(now, payload, out)?;
        }
        Ok(())
    }

    fn handle_payload(
        &mut self,
        now: Timestamp,
        payload: Payload,
        out: &mut Vec<SessionEvent>,
    ) -> Result<(), TransportError> {
        match payload {
            // TR-19: answered at once with the same data, never shown to the caller.
            Payload::EchoRequest(data) => {
                let frame = self.seal(now, &Payload::EchoResponse(data))?;
                out.push(SessionEvent::Send(frame));
            }
            Payload::EchoResponse(data) => {
                if let Some((sequence, _)) = self.echo
                    && data == sequence.to_le_bytes()
                {
                    self.echo = None;
                }
                out.push(SessionEvent::Received(Payload::EchoResponse(data)));
            }
            // TR-21: the relay takes these and ignores them.
            Payload::SetPushToken(_)
            | Payload::SetVoipPushToken(_)
            | Payload::DeletePushTokens(_)
            | Payload::Obsolete { .. }
            | Payload::UnblockIncomingMessages => {}
            Payload::SetIdleTimeout(seconds) => {
                self.timers.idle_timeout = Some(u64::from(seconds).saturating_mul(1000));
            }
            // TR-26: a close-error ends the connection after the caller has seen it.
            Payload::CloseError {
                can_reconnect,
                message,
            } => {
                let reason = super::CloseReason::parse(&message);
                out.push(SessionEvent::Received(Payload::CloseError {
                    can_reconnect,
                    message,
                }));
                return Err(TransportError::ClosedByRelay {
                    can_reconnect,
                    reason,
                });
            }
            other => out.push(SessionEvent::Received(other)),
        }
        Ok(())
    }

    /// The next time `handle_timeout` has work (TR-28).
    pub(crate) fn poll_timeout(&self) -> Option<Timestamp> {
        let idle = self
            .timers
            .idle_timeout
            .map(|ms| self.last_received.plus_millis(ms));
        let keepalive = match self.echo {
            Some((_, deadline)) => Some(deadline),
            None => self
                .timers
                .keepalive
                .map(|ms| self.last_sent.plus_millis(ms)),
        };
        [idle, keepalive].into_iter().flatten().min()
    }

    /// Fires due timers (TR-28): the relay's idle timeout, the client's keep-alive and echo
    /// deadline.
    pub(crate) fn handle_timeout(
        &mut self,
        now: Timestamp,
        out: &mut Vec<SessionEvent>,
    ) -> Result<(), TransportError> {
        if let Some(ms) = self.timers.idle_timeout
            && now >= self.last_received.plus_millis(ms)
        {
            return Err(TransportError::IdleTimeout);
        }
        match self.echo {
            Some((_, deadline)) if now >= deadline => return Err(TransportError::EchoTimeout),
            Some(_) => {}
            None => {
                if let Some(ms) = self.timers.keepalive
                    && now >= self.last_sent.plus_millis(ms)
                {
                    self.echo_sequence = self.echo_sequence.saturating_add(1);
                    let data = self.echo_sequence.to_le_bytes().to_vec();
                    let frame = self.seal(now, &Payload::EchoRequest(data))?;
                    out.push(SessionEvent::Send(frame));
                    self.echo = Some((
                        self.echo_sequence,
                        now.plus_millis(self.timers.echo_timeout),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether part of a frame is buffered (TR-29).
    pub(crate) fn has_partial(&self) -> bool {
        self.decoder.has_partial()
    }
}
