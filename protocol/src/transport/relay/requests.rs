//! What the relay machine exchanges with its caller: configuration, the login requests it
//! asks the caller to decide, and its outputs (TR-12, TR-15).

use std::sync::Arc;

use crate::crypto::{PublicKey, SecretKey};
use crate::identity::Identity;

use super::super::extensions::LoginExtensions;
use super::super::frame::Cookie;
use super::super::payload::Payload;
use super::super::{DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_SECS, TransportError};

/// What a relay needs for each connection. Cheap to clone: the key is shared.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// The relay's permanent secret key `SK` (TR-4).
    pub permanent_key: Arc<SecretKey>,
    /// Handshake deadline in ms, including the caller's login decision (TR-27).
    pub handshake_timeout_ms: u64,
    /// Idle timeout until the client asks for another, in seconds (TR-28).
    pub idle_timeout_secs: u16,
}

impl RelayConfig {
    /// A 20 s handshake deadline and the 300 s default idle timeout.
    #[must_use]
    pub fn new(permanent_key: SecretKey) -> Self {
        Self {
            permanent_key: Arc::new(permanent_key),
            handshake_timeout_ms: DEFAULT_HANDSHAKE_TIMEOUT_MS,
            idle_timeout_secs: DEFAULT_IDLE_TIMEOUT_SECS,
        }
    }
}

/// Why the relay ends a login or a connection on its own account (TR-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCause {
    /// The identity is bound to another key (`identity_taken`).
    IdentityTaken,
    /// A newer connection of the same identity logged in (`replaced`).
    Replaced,
    /// The relay cannot serve now (`unavailable`).
    Unavailable,
}

impl CloseCause {
    pub(super) fn error(self) -> TransportError {
        match self {
            Self::IdentityTaken => TransportError::IdentityTaken,
            Self::Replaced => TransportError::Replaced,
            Self::Unavailable => TransportError::Unavailable,
        }
    }
}

/// The login names no key: the caller looks the identity up in its directory and answers
/// with [`RelayConnection::provide_key`](super::RelayConnection::provide_key) (TR-15). Only the machine builds one.
#[derive(Debug)]
pub struct KeyRequest {
    pub(super) identity: Identity,
    pub(super) ticket: Cookie,
}

impl KeyRequest {
    /// The identity to look up.
    #[must_use]
    pub fn identity(&self) -> Identity {
        self.identity
    }
}

/// A login whose vouch verified against `public_key`: proof of possession of that key. The
/// caller applies the binding rules and answers with [`RelayConnection::accept`](super::RelayConnection::accept) or
/// [`RelayConnection::refuse`](super::RelayConnection::refuse) (TR-15). Only the machine builds one.
#[derive(Debug)]
pub struct LoginRequest {
    pub(super) identity: Identity,
    pub(super) public_key: PublicKey,
    pub(super) key_offered: bool,
    pub(super) extensions: LoginExtensions,
    pub(super) ticket: Cookie,
}

impl LoginRequest {
    /// The identity that logged in.
    #[must_use]
    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// The key the vouch proved.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// Whether the key came from the client-key extension (so it may be new), rather than
    /// from the caller's directory.
    #[must_use]
    pub fn key_offered(&self) -> bool {
        self.key_offered
    }

    /// The login extensions.
    #[must_use]
    pub fn extensions(&self) -> &LoginExtensions {
        &self.extensions
    }
}

/// What the relay machine asks its driver to do or tells it.
#[derive(Debug)]
pub enum RelayOutput {
    /// Write these bytes to the connection, in order.
    Send(Vec<u8>),
    /// Look up the identity's bound key and call [`RelayConnection::provide_key`](super::RelayConnection::provide_key).
    KeyRequest(KeyRequest),
    /// Decide with [`RelayConnection::accept`](super::RelayConnection::accept) or [`RelayConnection::refuse`](super::RelayConnection::refuse).
    LoginRequest(LoginRequest),
    /// A payload from the client. Echo-requests, push-token payloads and idle-timeout
    /// requests are handled without showing up here (TR-19, TR-21).
    Received(Payload),
}
