//! Payload containers: every payload type of Threema's Chat Server Protocol and our
//! extensions, with the type registry (TR-18 to TR-25).
//!
//! A container is `type u8 || 3 reserved bytes || data`; it travels sealed in a frame. The
//! registry says which side may send each type; a receiver rejects the others.

mod decode;
mod encode;

use crate::crypto::PublicKey;
use crate::identity::Identity;

/// A 16-byte blob ID (TR-24).
pub type BlobId = [u8; 16];

/// Largest push token (TR-21).
pub const MAX_PUSH_TOKEN_LEN: usize = 255;
/// Shortest idle timeout a client may ask for, in seconds (TR-21).
pub const MIN_IDLE_TIMEOUT_SECS: u16 = 30;
/// Longest idle timeout a client may ask for, in seconds (TR-21).
pub const MAX_IDLE_TIMEOUT_SECS: u16 = 600;
/// Largest data one blob chunk carries: 8172 - 8 bytes of chunk header (TR-24).
pub const MAX_BLOB_CHUNK_LEN: usize = super::frame::MAX_PAYLOAD_DATA_LEN - 8;
/// The relay's default limit on a blob's length, 50 × 1024 × 1024 bytes (TR-25).
pub const DEFAULT_MAX_BLOB_LEN: u32 = 50 * 1024 * 1024;

/// Which side sends a payload type (TR-18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Only the client sends it.
    ClientToRelay,
    /// Only the relay sends it.
    RelayToClient,
    /// Either side.
    Both,
}

/// One side of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The client.
    Client,
    /// The relay.
    Relay,
}

impl Direction {
    /// Whether `sender` may send a payload of this direction.
    #[must_use]
    pub fn allows(self, sender: Role) -> bool {
        matches!(
            (self, sender),
            (Self::Both, _)
                | (Self::ClientToRelay, Role::Client)
                | (Self::RelayToClient, Role::Relay)
        )
    }
}

/// An entry of the payload type registry (TR-18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadType {
    /// The type byte.
    pub code: u8,
    /// Its name in the spec and the vectors.
    pub name: &'static str,
    /// Who sends it.
    pub direction: Direction,
    /// Whether it is a saltrelay extension rather than one of Threema's types (CONV-8).
    pub extension: bool,
}

const fn entry(code: u8, name: &'static str, direction: Direction, extension: bool) -> PayloadType {
    PayloadType {
        code,
        name,
        direction,
        extension,
    }
}

use Direction::{Both, ClientToRelay as Up, RelayToClient as Down};

/// Every payload type either side accepts (TR-18). Any other code is `unknown_payload_type`.
pub const REGISTRY: &[PayloadType] = &[
    entry(0x00, "echo_request", Both, false),
    entry(0x01, "outgoing_message", Up, false),
    entry(0x02, "incoming_message", Down, false),
    entry(0x03, "unblock_incoming_messages", Up, false),
    entry(0x20, "set_push_token", Up, false),
    entry(0x21, "obsolete", Up, false),
    entry(0x22, "obsolete", Up, false),
    entry(0x23, "obsolete", Up, false),
    entry(0x24, "set_voip_push_token", Up, false),
    entry(0x25, "delete_push_tokens", Up, false),
    entry(0x30, "set_idle_timeout", Up, false),
    entry(0x31, "obsolete", Up, false),
    entry(0x80, "echo_response", Both, false),
    entry(0x81, "outgoing_message_ack", Down, false),
    entry(0x82, "incoming_message_ack", Up, false),
    entry(0xd0, "queue_send_complete", Down, false),
    entry(0xd1, "obsolete", Up, false),
    entry(0xd2, "device_cookie_change_indication", Down, false),
    entry(0xd3, "clear_device_cookie_change_indication", Up, false),
    entry(0xe0, "close_error", Down, false),
    entry(0xe1, "alert", Down, false),
    entry(0xf0, "key_lookup_request", Up, true),
    entry(0xf1, "key_lookup_response", Down, true),
    entry(0xf2, "blob_upload_request", Up, true),
    entry(0xf3, "blob_upload_chunk", Up, true),
    entry(0xf4, "blob_upload_response", Down, true),
    entry(0xf5, "blob_download_request", Up, true),
    entry(0xf6, "blob_download_response", Down, true),
    entry(0xf7, "blob_download_chunk", Down, true),
    entry(0xf8, "blob_done", Up, true),
];

/// The registry entry of `code`, if any.
#[must_use]
pub fn payload_type(code: u8) -> Option<&'static PayloadType> {
    REGISTRY.iter().find(|entry| entry.code == code)
}

/// A message acknowledgement: the other party's identity and the message ID (TR-20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageAck {
    /// The receiver (ack of an outgoing message) or the sender (ack of an incoming one).
    pub identity: Identity,
    /// The acknowledged message's ID.
    pub message_id: u64,
}

/// A push token: its type byte and up to 255 bytes (TR-21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushToken {
    /// The token type (0x00 none, 0x05/0x06 APNs, 0x11 FCM, 0x13 HMS, ...).
    pub kind: u8,
    /// The token.
    pub token: Vec<u8>,
}

/// One chunk of a blob transfer (TR-24, TR-25).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobChunk {
    /// The transfer's request ID.
    pub request_id: u32,
    /// Offset of the first byte of `data` in the blob.
    pub offset: u32,
    /// 1 to 8164 bytes.
    pub data: Vec<u8>,
}

/// Why a blob request failed (TR-24, TR-25).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobStatus {
    /// No blob with that ID (0x01).
    NotFound,
    /// The blob exceeds the relay's limit (0x02).
    TooLarge,
    /// A chunk's offset or length does not continue the transfer (0x03).
    BadChunk,
    /// The relay cannot store or serve blobs now (0x04).
    Unavailable,
}

impl BlobStatus {
    /// The status byte.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::NotFound => 0x01,
            Self::TooLarge => 0x02,
            Self::BadChunk => 0x03,
            Self::Unavailable => 0x04,
        }
    }

    /// The status for a byte, if it names one.
    #[must_use]
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(Self::NotFound),
            0x02 => Some(Self::TooLarge),
            0x03 => Some(Self::BadChunk),
            0x04 => Some(Self::Unavailable),
            _ => None,
        }
    }

    /// Its name in the spec and the vectors.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::TooLarge => "too_large",
            Self::BadChunk => "bad_chunk",
            Self::Unavailable => "unavailable",
        }
    }
}

/// A decoded payload (TR-18 to TR-25). Message bodies are opaque bytes here: the end-to-end
/// layer reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// 0x00: data to echo back (TR-19).
    EchoRequest(Vec<u8>),
    /// 0x80: the echoed data (TR-19).
    EchoResponse(Vec<u8>),
    /// 0x01: a message from the client, opaque (TR-20).
    OutgoingMessage(Vec<u8>),
    /// 0x02: a message to the client, opaque (TR-20).
    IncomingMessage(Vec<u8>),
    /// 0x81: the relay took an outgoing message (TR-20).
    OutgoingMessageAck(MessageAck),
    /// 0x82: the client took an incoming message (TR-20).
    IncomingMessageAck(MessageAck),
    /// 0x03: multi-device leader unblock, no data (TR-21).
    UnblockIncomingMessages,
    /// 0x20: set the push token (TR-21).
    SetPushToken(PushToken),
    /// 0x24: set the high-priority push token (TR-21).
    SetVoipPushToken(PushToken),
    /// 0x25: delete the push tokens of these device IDs (TR-21).
    DeletePushTokens(Vec<u64>),
    /// 0x30: the idle timeout in seconds, 30 to 600 (TR-21).
    SetIdleTimeout(u16),
    /// 0x21 to 0x23, 0x31, 0xd1: obsolete types, accepted and ignored (TR-21).
    Obsolete {
        /// The type byte.
        payload_type: u8,
        /// The data, unread.
        data: Vec<u8>,
    },
    /// 0xd0: the relay's queue for the client is drained (TR-22).
    QueueSendComplete,
    /// 0xd2: another device cookie was seen (TR-22).
    DeviceCookieChangeIndication,
    /// 0xd3: clear that indication (TR-22).
    ClearDeviceCookieChangeIndication,
    /// 0xe0: the relay closes the connection (TR-26).
    CloseError {
        /// Whether the client may reconnect automatically.
        can_reconnect: bool,
        /// UTF-8 text.
        message: String,
    },
    /// 0xe1: a text to show the user (TR-22).
    Alert(String),
    /// 0xf0: look up an identity's public key (TR-23). **Extension (saltrelay).**
    KeyLookupRequest {
        /// Echoed in the response.
        request_id: u32,
        /// The identity to look up.
        identity: Identity,
    },
    /// 0xf1: the bound key, or none (TR-23). **Extension (saltrelay).**
    KeyLookupResponse {
        /// The request's ID.
        request_id: u32,
        /// The key bound to the identity, if any.
        public_key: Option<PublicKey>,
    },
    /// 0xf2: start a blob upload (TR-24). **Extension (saltrelay).**
    BlobUploadRequest {
        /// Names the transfer in its chunks and the response.
        request_id: u32,
        /// The blob's total length.
        length: u32,
        /// Keep the blob after its first download is done (group blobs).
        persist: bool,
    },
    /// 0xf3: a chunk of an upload (TR-24). **Extension (saltrelay).**
    BlobUploadChunk(BlobChunk),
    /// 0xf4: the upload's result (TR-24). **Extension (saltrelay).**
    BlobUploadResponse {
        /// The upload's request ID.
        request_id: u32,
        /// The new blob's ID, or why the upload failed.
        result: Result<BlobId, BlobStatus>,
    },
    /// 0xf5: start a blob download (TR-25). **Extension (saltrelay).**
    BlobDownloadRequest {
        /// Names the transfer in the response and chunks.
        request_id: u32,
        /// The blob.
        blob_id: BlobId,
    },
    /// 0xf6: the blob's length, or why it cannot be downloaded (TR-25). **Extension (saltrelay).**
    BlobDownloadResponse {
        /// The download's request ID.
        request_id: u32,
        /// The blob's length, or the failure.
        result: Result<u32, BlobStatus>,
    },
    /// 0xf7: a chunk of a download (TR-25). **Extension (saltrelay).**
    BlobDownloadChunk(BlobChunk),
    /// 0xf8: the client has the blob; the relay may delete it (TR-25). **Extension (saltrelay).**
    BlobDone {
        /// The blob.
        blob_id: BlobId,
    },
}

impl Payload {
    /// The type byte.
    #[must_use]
    pub fn type_code(&self) -> u8 {
        match self {
            Self::EchoRequest(_) => 0x00,
            Self::OutgoingMessage(_) => 0x01,
            Self::IncomingMessage(_) => 0x02,
            Self::UnblockIncomingMessages => 0x03,
            Self::SetPushToken(_) => 0x20,
            Self::SetVoipPushToken(_) => 0x24,
            Self::DeletePushTokens(_) => 0x25,
            Self::SetIdleTimeout(_) => 0x30,
            Self::Obsolete { payload_type, .. } => *payload_type,
            Self::EchoResponse(_) => 0x80,
            Self::OutgoingMessageAck(_) => 0x81,
            Self::IncomingMessageAck(_) => 0x82,
            Self::QueueSendComplete => 0xd0,
            Self::DeviceCookieChangeIndication => 0xd2,
            Self::ClearDeviceCookieChangeIndication => 0xd3,
            Self::CloseError { .. } => 0xe0,
            Self::Alert(_) => 0xe1,
            Self::KeyLookupRequest { .. } => 0xf0,
            Self::KeyLookupResponse { .. } => 0xf1,
            Self::BlobUploadRequest { .. } => 0xf2,
            Self::BlobUploadChunk(_) => 0xf3,
            Self::BlobUploadResponse { .. } => 0xf4,
            Self::BlobDownloadRequest { .. } => 0xf5,
            Self::BlobDownloadResponse { .. } => 0xf6,
            Self::BlobDownloadChunk(_) => 0xf7,
            Self::BlobDone { .. } => 0xf8,
        }
    }

    /// The registry entry of this payload's type (TR-18).
    #[must_use]
    pub fn registry_entry(&self) -> PayloadType {
        payload_type(self.type_code()).copied().unwrap_or(entry(
            self.type_code(),
            "obsolete",
            Up,
            false,
        ))
    }

    /// The type's name in the spec and the vectors.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.registry_entry().name
    }
}
