//! Errors of the transport (spec/04-transport.md) and the close-error a relay sends for each.

use core::fmt;

/// Why a transport connection failed. After any of these the connection's machine stays in
/// its terminal `Failed` state and every later call returns the same error (TR-30).
///
/// Variants are grouped by cause: malformed input, forbidden peer behaviour, authentication
/// failure (no detail), login refused, connection ended, and caller misuse. Each has a stable
/// code (CONV-7) listed in the spec's error table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    // ---- malformed input -------------------------------------------------------------------
    /// A frame's length field exceeds 8192 (TR-16).
    #[error("frame of {len} bytes exceeds the 8192-byte limit")]
    FrameTooLarge {
        /// The announced box length.
        len: usize,
    },
    /// A frame's length field is below 20, too short for a tag and a container header (TR-16).
    #[error("frame of {len} bytes is shorter than the 20-byte minimum")]
    FrameTooShort {
        /// The announced box length.
        len: usize,
    },
    /// The peer closed the connection in the middle of a message (TR-29).
    #[error("connection closed in the middle of a {message}")]
    Truncated {
        /// The message that was cut off.
        message: &'static str,
    },
    /// The login data does not follow its layout (TR-8, TR-9).
    #[error("malformed login: {reason}")]
    MalformedLogin {
        /// Which rule was broken.
        reason: &'static str,
    },
    /// The login extensions do not follow their layout (TR-10, TR-11).
    #[error("malformed login extensions: {reason}")]
    MalformedExtensions {
        /// Which rule was broken.
        reason: &'static str,
    },
    /// A payload's data does not follow the layout of its type (TR-18 to TR-25).
    #[error("malformed {payload} payload: {reason}")]
    MalformedPayload {
        /// The payload type's name.
        payload: &'static str,
        /// Which rule was broken.
        reason: &'static str,
    },
    /// A payload type code that is in no registry (TR-18).
    #[error("unknown payload type 0x{payload_type:02x}")]
    UnknownPayloadType {
        /// The type byte.
        payload_type: u8,
    },

    // ---- forbidden peer behaviour ----------------------------------------------------------
    /// A known payload type that this side must never receive (TR-18).
    #[error("{payload} payload must not be sent in this direction")]
    UnexpectedPayload {
        /// The payload type's name.
        payload: &'static str,
    },
    /// The relay's cookie equals the client's (TR-5).
    #[error("the relay cookie equals the client cookie")]
    CookieReuse,
    /// A repeated cookie differs from the one sent (TR-5, TR-12).
    #[error("the {message} repeats the wrong cookie")]
    CookieMismatch {
        /// The message that carried the wrong cookie.
        message: &'static str,
    },
    /// The client sent bytes after its login before the relay's login-ack (TR-13).
    #[error("data received after the login before the login-ack")]
    EarlyData,
    /// The client asked for a message payload version the relay does not support (TR-11).
    #[error("unsupported message payload version 0x{version:02x}")]
    UnsupportedPayloadVersion {
        /// The version byte.
        version: u8,
    },
    /// An idle timeout outside 30 to 600 seconds (TR-21).
    #[error("idle timeout of {seconds} s is outside 30 to 600 s")]
    InvalidIdleTimeout {
        /// The requested timeout.
        seconds: u16,
    },
    /// A peer's key has small order: the shared secret would be all zero (PRIM-5, TR-4).
    #[error("the {key} is non-contributory")]
    NonContributory {
        /// Which key.
        key: &'static str,
    },
    /// A frame opened under an earlier counter: it was replayed (TR-17).
    #[error("frame was replayed")]
    FrameReplayed,
    /// A frame opened under a later counter: frames were lost or withheld (TR-17).
    #[error("frame was received out of sequence: earlier frames are missing")]
    FrameSkipped,
    /// A sequence counter reached 2^64 - 1 and cannot be used (TR-2).
    #[error("sequence counter exhausted")]
    CounterOverflow,

    // ---- authentication failures: no detail ------------------------------------------------
    /// The server-hello box opened under none of the relay keys (TR-5).
    #[error("server-hello authentication failed")]
    ServerHelloAuthFailed,
    /// A login box did not open (TR-12).
    #[error("login authentication failed")]
    LoginAuthFailed,
    /// The login-ack box did not open (TR-14).
    #[error("login-ack authentication failed")]
    LoginAckAuthFailed,
    /// A frame's box did not open under any nearby counter (TR-17).
    #[error("frame authentication failed")]
    FrameAuthFailed,
    /// The vouch does not prove possession of the identity's key (TR-7, TR-12).
    #[error("vouch verification failed")]
    VouchMismatch,

    // ---- login refused by the relay --------------------------------------------------------
    /// No key is bound to the identity and the login offered none (TR-15).
    #[error("identity unknown: no public key is bound to it")]
    IdentityUnknown,
    /// The identity is bound to another key (TR-15).
    #[error("identity taken: it is bound to another public key")]
    IdentityTaken,
    /// A newer connection of the same identity replaced this one (TR-15).
    #[error("replaced by a newer connection of the same identity")]
    Replaced,
    /// The relay cannot serve the connection now (TR-15).
    #[error("relay unavailable")]
    Unavailable,

    // ---- connection ended ------------------------------------------------------------------
    /// The handshake did not finish before its deadline (TR-27).
    #[error("handshake timed out")]
    HandshakeTimeout,
    /// The relay received nothing for the idle timeout (TR-28).
    #[error("idle timeout: nothing received")]
    IdleTimeout,
    /// An echo-request went unanswered (TR-28).
    #[error("echo-request unanswered")]
    EchoTimeout,
    /// The peer closed the connection between messages (TR-29).
    #[error("connection closed by the peer")]
    ConnectionClosed,
    /// The relay sent a close-error (TR-26).
    #[error("closed by the relay ({reason}), can reconnect: {can_reconnect}")]
    ClosedByRelay {
        /// Whether the client may reconnect automatically.
        can_reconnect: bool,
        /// The reason code at the start of the close-error text, or `unspecified` (TR-26).
        reason: CloseReason,
    },

    // ---- caller misuse ---------------------------------------------------------------------
    /// A payload was sent before the handshake finished (TR-13).
    #[error("the connection is not established")]
    NotEstablished,
    /// A caller step was taken in a state that does not allow it.
    #[error("wrong state: expected {expected}")]
    WrongState {
        /// The state the call needs.
        expected: &'static str,
    },
    /// The caller's payload does not fit one frame (TR-16).
    #[error("payload of {len} bytes does not fit a frame")]
    PayloadTooLarge {
        /// The encoded container data length.
        len: usize,
    },
    /// The caller tried to send a payload its side must not send (TR-18).
    #[error("{payload} payload cannot be sent from this side")]
    WrongDirection {
        /// The payload type's name.
        payload: &'static str,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// Which value.
        reason: &'static str,
    },
}

/// The reason code at the start of a close-error's text (TR-26), as the client parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason(String);

impl CloseReason {
    /// Reads the code from a close-error text: the characters before the first `": "` when
    /// they are lowercase letters, digits and `_`; otherwise `unspecified` (TR-26).
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let code = text
            .split_once(": ")
            .map(|(code, _)| code)
            .filter(|code| {
                !code.is_empty()
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            })
            .unwrap_or("unspecified");
        Self(code.to_owned())
    }

    /// The code, such as `identity_taken`.
    #[must_use]
    pub fn code(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a relay sends in its close-error for a failure (TR-26).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseError {
    /// Whether the client may reconnect automatically.
    pub can_reconnect: bool,
    /// The UTF-8 text: the error code, `": "`, and a sentence.
    pub message: String,
}

impl TransportError {
    /// The stable error code (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::FrameTooLarge { .. } => "frame_too_large",
            Self::FrameTooShort { .. } => "frame_too_short",
            Self::Truncated { .. } => "truncated",
            Self::MalformedLogin { .. } => "malformed_login",
            Self::MalformedExtensions { .. } => "malformed_extensions",
            Self::MalformedPayload { .. } => "malformed_payload",
            Self::UnknownPayloadType { .. } => "unknown_payload_type",
            Self::UnexpectedPayload { .. } => "unexpected_payload",
            Self::CookieReuse => "cookie_reuse",
            Self::CookieMismatch { .. } => "cookie_mismatch",
            Self::EarlyData => "early_data",
            Self::UnsupportedPayloadVersion { .. } => "unsupported_payload_version",
            Self::InvalidIdleTimeout { .. } => "invalid_idle_timeout",
            Self::NonContributory { .. } => "non_contributory",
            Self::FrameReplayed => "frame_replayed",
            Self::FrameSkipped => "frame_skipped",
            Self::CounterOverflow => "counter_overflow",
            Self::ServerHelloAuthFailed => "server_hello_auth_failed",
            Self::LoginAuthFailed => "login_auth_failed",
            Self::LoginAckAuthFailed => "login_ack_auth_failed",
            Self::FrameAuthFailed => "frame_auth_failed",
            Self::VouchMismatch => "vouch_mismatch",
            Self::IdentityUnknown => "identity_unknown",
            Self::IdentityTaken => "identity_taken",
            Self::Replaced => "replaced",
            Self::Unavailable => "unavailable",
            Self::HandshakeTimeout => "handshake_timeout",
            Self::IdleTimeout => "idle_timeout",
            Self::EchoTimeout => "echo_timeout",
            Self::ConnectionClosed => "connection_closed",
            Self::ClosedByRelay { .. } => "closed_by_relay",
            Self::NotEstablished => "not_established",
            Self::WrongState { .. } => "wrong_state",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::WrongDirection { .. } => "wrong_direction",
            Self::InvalidConfig { .. } => "invalid_config",
        }
    }

    /// The close-error a relay sends when it fails with this error, when it sends one (TR-26).
    ///
    /// `None` for errors after which nothing can or need be sent: those found before the
    /// login box opened, the peer's own close, caller misuse, and client-only errors.
    #[must_use]
    pub fn close_error(&self) -> Option<CloseError> {
        // TR-26: (can-reconnect, sentence); the text is "<code>: <sentence>".
        let (can_reconnect, sentence) = match self {
            Self::FrameTooLarge { .. } => (false, "a frame exceeded 8192 bytes"),
            Self::FrameTooShort { .. } => (false, "a frame was shorter than 20 bytes"),
            Self::MalformedLogin { .. } => (false, "the login data is malformed"),
            Self::MalformedExtensions { .. } => (false, "the login extensions are malformed"),
            Self::MalformedPayload { .. } => (false, "a payload is malformed"),
            Self::UnknownPayloadType { .. } => (false, "a payload type is unknown"),
            Self::UnexpectedPayload { .. } => (false, "a payload was sent in the wrong direction"),
            Self::CookieMismatch { .. } => (false, "the login repeats the wrong cookie"),
            Self::EarlyData => (false, "data was sent before the login-ack"),
            Self::UnsupportedPayloadVersion { .. } => {
                (false, "the message payload version is not supported")
            }
            Self::InvalidIdleTimeout { .. } => (false, "the idle timeout is outside 30 to 600 s"),
            Self::NonContributory { .. } => (false, "a public key is non-contributory"),
            Self::FrameReplayed => (true, "a frame was replayed"),
            Self::FrameSkipped => (true, "a frame is missing"),
            Self::CounterOverflow => (true, "the sequence counter is exhausted"),
            Self::FrameAuthFailed => (true, "a frame failed authentication"),
            Self::VouchMismatch | Self::LoginAuthFailed => {
                (false, "the login could not be authenticated")
            }
            Self::IdentityUnknown => (
                false,
                "no public key is bound to this identity; log in with the client-key extension",
            ),
            Self::IdentityTaken => (false, "this identity is bound to another public key"),
            Self::Replaced => (false, "another connection of this identity logged in"),
            Self::Unavailable => (true, "the relay is unavailable; try again later"),
            Self::IdleTimeout => (true, "nothing was received within the idle timeout"),
            Self::HandshakeTimeout => (true, "the handshake did not finish in time"),
            _ => return None,
        };
        Some(CloseError {
            can_reconnect,
            message: format!("{}: {sentence}", self.code()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_text_starts_with_the_code() {
        let close = TransportError::IdentityTaken.close_error().unwrap();
        assert!(!close.can_reconnect);
        assert_eq!(CloseReason::parse(&close.message).code(), "identity_taken");
        assert_eq!(
            CloseReason::parse("Another connection").code(),
            "unspecified"
        );
        assert_eq!(CloseReason::parse("Bad Code: x").code(), "unspecified");
        assert!(TransportError::NotEstablished.close_error().is_none());
    }
}
