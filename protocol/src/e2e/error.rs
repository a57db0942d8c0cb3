//! Errors of the end-to-end message layer (spec/03-e2e-messages.md, error-code table).

use crate::crypto::CryptoError;

/// Why the message layer refused its input.
///
/// Split by cause: malformed containers and bodies, a malformed outer message, a failed
/// authentication (no detail), a replayed nonce, and caller misuse when encoding. Every
/// variant has a stable code ([`E2eError::code`]) used by vectors and the CLI (CONV-7).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum E2eError {
    /// A primitive failed: the message box did not open, or a key is unusable (E2E-5).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The container is shorter than a type byte plus one padding byte (E2E-4).
    #[error("container of {len} bytes is too short for a type byte and padding")]
    ContainerTooShort {
        /// Length of the opened plaintext.
        len: usize,
    },
    /// The last padding byte is zero (E2E-4).
    #[error("padding length byte is zero")]
    PaddingZero,
    /// The padding length exceeds the bytes after the type byte (E2E-4).
    #[error("padding of {pad} bytes is longer than the {available} bytes after the type byte")]
    PaddingTooLong {
        /// The padding length read from the last byte.
        pad: u8,
        /// Bytes after the type byte.
        available: usize,
    },
    /// A padding length outside 1..=255, or below the minimum, was requested (E2E-3).
    #[error("padding length {requested} is not allowed for a body of {body_len} bytes")]
    InvalidPaddingLength {
        /// The requested padding length.
        requested: usize,
        /// The body length.
        body_len: usize,
    },
    /// A body was larger than an encoder may produce (E2E-6).
    #[error("body of {len} bytes exceeds the {max}-byte limit")]
    BodyTooLarge {
        /// Body length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Text longer than 6000 UTF-8 bytes (E2E-8).
    #[error("text of {len} bytes exceeds 6000 bytes")]
    TextTooLong {
        /// Text length in bytes.
        len: usize,
    },
    /// Bytes that must be UTF-8 are not (E2E-8).
    #[error("{what} is not valid UTF-8")]
    InvalidUtf8 {
        /// Which field.
        what: &'static str,
    },
    /// A fixed-layout body has the wrong length (E2E-9, E2E-16, E2E-18, E2E-19, E2E-20).
    #[error("{what} body of {len} bytes has the wrong length")]
    InvalidBodyLength {
        /// Which body.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// A JSON body does not parse as JSON of the required shape (E2E-14, E2E-17).
    #[error("{what} is not valid JSON of the required shape")]
    InvalidJson {
        /// Which body.
        what: &'static str,
    },
    /// A file message lacks a field or has one of the wrong type (E2E-13).
    #[error("file message field {field:?} is missing or malformed")]
    InvalidFileMessage {
        /// The field.
        field: &'static str,
    },
    /// A poll setup or vote lacks a field or has one of the wrong type (E2E-11, E2E-12).
    #[error("poll field {field:?} is missing or malformed")]
    InvalidPoll {
        /// The field.
        field: &'static str,
    },
    /// A location body is not `lat,lon[,accuracy]` with up to two more lines (E2E-10).
    #[error("location is malformed: {reason}")]
    InvalidLocation {
        /// What is wrong.
        reason: &'static str,
    },
    /// A delivery receipt has a status other than 1 to 4 (E2E-18).
    #[error("delivery receipt status {status} is unknown")]
    InvalidReceiptStatus {
        /// The status byte.
        status: u8,
    },
    /// A typing indicator byte other than 0 or 1 (E2E-19).
    #[error("typing indicator byte {value} is neither 0 nor 1")]
    InvalidTypingIndicator {
        /// The byte.
        value: u8,
    },
    /// A protobuf body or the metadata does not decode, or lacks a required field (E2E-34).
    #[error("{what} is not a valid protobuf message")]
    InvalidProtobuf {
        /// Which message.
        what: &'static str,
    },
    /// An identity field inside a body or header is not an identity (E2E-12, E2E-20, E2E-23).
    #[error("{what} is not a valid identity")]
    InvalidIdentity {
        /// Which field.
        what: &'static str,
    },
    /// The outer message is shorter than its fixed fields (E2E-23).
    #[error("message payload of {len} bytes is too short")]
    PayloadTooShort {
        /// Its length.
        len: usize,
    },
    /// The reserved header byte is not zero (E2E-23).
    #[error("reserved header byte is not zero")]
    ReservedNotZero,
    /// The metadata box did not open (E2E-25).
    #[error("metadata box authentication failed")]
    MetadataAuthFailed,
    /// The metadata message ID differs from the header's (E2E-28).
    #[error("metadata message id does not match the header")]
    MetadataMessageIdMismatch,
    /// Metadata cannot travel in a legacy (version 0) payload (E2E-24, E2E-40).
    #[error("the legacy payload version carries no metadata")]
    MetadataInLegacyPayload,
    /// The nonce was seen before (E2E-31).
    #[error("nonce was already used")]
    NonceReused,
    /// A blob is larger than 100 × 2^20 bytes (E2E-33).
    #[error("blob of {len} bytes exceeds the limit")]
    BlobTooLarge {
        /// Blob length (plaintext or box).
        len: usize,
    },
    /// The disappearing-message expiry is out of range (E2E-39).
    #[error("expiry of {seconds} seconds is out of range")]
    InvalidExpiry {
        /// The rejected value.
        seconds: u64,
    },
    /// The JSON form of a message is not understood (E2E-43).
    #[error("message JSON field {field:?}: {reason}")]
    InvalidMessageJson {
        /// The field.
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl E2eError {
    /// The stable error code that vectors and the CLI use (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Crypto(e) => e.code(),
            Self::ContainerTooShort { .. } => "container_too_short",
            Self::PaddingZero => "padding_zero",
            Self::PaddingTooLong { .. } => "padding_too_long",
            Self::InvalidPaddingLength { .. } => "invalid_padding_length",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::TextTooLong { .. } => "text_too_long",
            Self::InvalidUtf8 { .. } => "invalid_utf8",
            Self::InvalidBodyLength { .. } => "invalid_body_length",
            Self::InvalidJson { .. } => "invalid_json",
            Self::InvalidFileMessage { .. } => "invalid_file_message",
            Self::InvalidPoll { .. } => "invalid_poll",
            Self::InvalidLocation { .. } => "invalid_location",
            Self::InvalidReceiptStatus { .. } => "invalid_receipt_status",
            Self::InvalidTypingIndicator { .. } => "invalid_typing_indicator",
            Self::InvalidProtobuf { .. } => "invalid_protobuf",
            Self::InvalidIdentity { .. } => "invalid_identity",
            Self::PayloadTooShort { .. } => "payload_too_short",
            Self::ReservedNotZero => "reserved_not_zero",
            Self::MetadataAuthFailed => "metadata_auth_failed",
            Self::MetadataMessageIdMismatch => "metadata_message_id_mismatch",
            Self::MetadataInLegacyPayload => "metadata_in_legacy_payload",
            Self::NonceReused => "nonce_reused",
            Self::BlobTooLarge { .. } => "blob_too_large",
            Self::InvalidExpiry { .. } => "invalid_expiry",
            Self::InvalidMessageJson { .. } => "invalid_message_json",
        }
    }

    /// A JSON-form error for `field` (E2E-43).
    pub(crate) fn json_field(field: &str, reason: &'static str) -> Self {
        Self::InvalidMessageJson {
            field: field.to_owned(),
            reason,
        }
    }
}
