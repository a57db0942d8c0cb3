//! Errors of the forward-secrecy layer (spec/06-forward-secrecy.md, FS-39).

use crate::e2e::E2eError;

/// Why the forward-secrecy layer refused an envelope, a message or stored state.
///
/// Split by cause: a malformed envelope (FS-3), forbidden peer behaviour (versions, DH type,
/// counters, inner types), a failed authentication (no detail), caller misuse, and stored
/// state that does not load. Every variant has a stable code ([`SessionError::code`]) used by
/// vectors and the CLI (CONV-7, FS-39).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The envelope is not protobuf (FS-3).
    #[error("envelope is not valid protobuf")]
    InvalidProtobuf,
    /// The session ID is not 16 bytes (FS-3).
    #[error("session id of {len} bytes, expected 16")]
    InvalidSessionId {
        /// Length found.
        len: usize,
    },
    /// The envelope has no known content variant (FS-3, FS-30).
    #[error("envelope has no content")]
    MissingContent,
    /// An FSSK is not 32 bytes or has small order (FS-3, FS-7).
    #[error("ephemeral session key is invalid")]
    InvalidFssk,
    /// The DH type is neither 0 nor 1 (FS-3).
    #[error("dh type {value} is not 0 or 1")]
    InvalidDhType {
        /// The value found.
        value: u32,
    },
    /// The encrypted inner message is shorter than a tag (FS-3).
    #[error("encrypted inner message of {len} bytes is shorter than a tag")]
    InvalidEncryptedInner {
        /// Length found.
        len: usize,
    },
    /// A group identity is malformed (FS-3).
    #[error("group identity is malformed")]
    InvalidGroupIdentity,
    /// The version ranges do not overlap or are inverted (FS-4).
    #[error("version range {min:#06x}..{max:#06x} is not supported")]
    UnsupportedVersion {
        /// Peer's minimum.
        min: u32,
        /// Peer's maximum.
        max: u32,
    },
    /// An Init arrived for a session that exists (FS-24).
    #[error("init for an existing session")]
    InitForExistingSession,
    /// An Encapsulated or Accept arrived for an unknown session (FS-25, FS-26).
    #[error("unknown session")]
    UnknownSession,
    /// An Accept arrived for a session not in L20 (FS-25).
    #[error("accept for a session that is not awaiting one")]
    UnexpectedAccept,
    /// The message's versions fail the checks (FS-26, FS-32). A Reject was emitted.
    #[error("message versions do not match the session")]
    VersionMismatch,
    /// The DH type is not allowed in the session's state (FS-26). A Reject was emitted.
    #[error("dh type not allowed in the session state")]
    DhTypeMismatch,
    /// The encrypted inner message did not open (FS-26). A Reject was emitted. No detail.
    #[error("decryption failed")]
    DecryptionFailed,
    /// The counter is below the chain: a replay or an older message (FS-31).
    #[error("counter {counter} is behind the chain at {chain}")]
    CounterBehind {
        /// The message's counter.
        counter: u64,
        /// The chain's counter.
        chain: u64,
    },
    /// The counter is more than the skip limit ahead (FS-10, FS-31).
    #[error("counter {counter} is too far ahead of the chain at {chain}")]
    CounterTooFar {
        /// The message's counter.
        counter: u64,
        /// The chain's counter.
        chain: u64,
    },
    /// The inner container did not decode (FS-26).
    #[error("inner message does not decode: {0}")]
    InvalidInner(E2eError),
    /// The inner type is not covered by the applied version (FS-5).
    #[error("inner type {type_code:#04x} not allowed in version {version:#06x}")]
    InnerTypeNotAllowed {
        /// The inner type byte.
        type_code: u8,
        /// The applied version.
        version: u32,
    },
    /// The group identity is missing, extra, or differs from the inner message (FS-16).
    #[error("group identity does not match the inner message")]
    GroupIdentityMismatch,
    /// The caller asked to encapsulate an 0xa0 message (FS-5).
    #[error("type 0xa0 is never encapsulated")]
    NotEncapsulable,
    /// The caller's message did not encode (FS-21).
    #[error("message does not encode: {0}")]
    InvalidMessage(E2eError),
    /// A JSON field of a tool's input is missing or malformed (FS-40).
    #[error("json field {field} is missing or malformed")]
    InvalidJson {
        /// The field.
        field: &'static str,
    },
    /// The peer's long-term public key has small order (PRIM-5): caller misuse.
    #[error("peer public key is unusable")]
    InvalidPeerKey,
    /// Stored session state is inconsistent (FS-38).
    #[error("stored session state is invalid: {what}")]
    InvalidStoredSession {
        /// What is wrong.
        what: &'static str,
    },
}

impl SessionError {
    /// The stable error code (CONV-7, FS-39).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidProtobuf => "invalid_protobuf",
            Self::InvalidSessionId { .. } => "invalid_session_id",
            Self::MissingContent => "missing_content",
            Self::InvalidFssk => "invalid_fssk",
            Self::InvalidDhType { .. } => "invalid_dh_type",
            Self::InvalidEncryptedInner { .. } => "invalid_encrypted_inner",
            Self::InvalidGroupIdentity => "invalid_group_identity",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::InitForExistingSession => "init_for_existing_session",
            Self::UnknownSession => "unknown_session",
            Self::UnexpectedAccept => "unexpected_accept",
            Self::VersionMismatch => "version_mismatch",
            Self::DhTypeMismatch => "dh_type_mismatch",
            Self::DecryptionFailed => "decryption_failed",
            Self::CounterBehind { .. } => "counter_behind",
            Self::CounterTooFar { .. } => "counter_too_far",
            Self::InvalidInner(_) => "invalid_inner",
            Self::InnerTypeNotAllowed { .. } => "inner_type_not_allowed",
            Self::GroupIdentityMismatch => "group_identity_mismatch",
            Self::NotEncapsulable => "not_encapsulable",
            Self::InvalidMessage(e) => e.code(),
            Self::InvalidPeerKey => "invalid_peer_key",
            Self::InvalidJson { .. } => "invalid_json",
            Self::InvalidStoredSession { .. } => "invalid_stored_session",
        }
    }

    /// Whether the spec names this code in FS-39 (used by property tests).
    #[must_use]
    pub fn is_specified(&self) -> bool {
        !matches!(self, Self::InvalidMessage(_))
    }
}
