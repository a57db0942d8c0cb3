//! The outer message that travels to and from the relay: header, optional metadata box, nonce
//! and message box, in payload version 0 (legacy) or 1 (metadata box) (E2E-23, E2E-24, E2E-27,
//! E2E-30). Parsing needs no key: the relay reads these fields.

use super::E2eError;
use super::bodies::MessageId;
use crate::bytes::Reader;
use crate::crypto::{NONCE_LEN, Nonce};
use crate::identity::{IDENTITY_LEN, Identity};

/// Bytes before the metadata container: identities, ID, time, flags, reserved, metadata
/// length, legacy nickname (E2E-23).
pub const FIXED_HEADER_LEN: usize = 64;
/// The whole legacy header including the nonce: 88 bytes (E2E-23).
pub const LEGACY_HEADER_LEN: usize = FIXED_HEADER_LEN + NONCE_LEN;
/// Length of the legacy nickname field (E2E-30).
pub const NICKNAME_LEN: usize = 32;

/// The header flags byte (E2E-27). Unknown bits are kept as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MessageFlags(pub u8);

impl MessageFlags {
    /// 0x01: the relay sends a push notification.
    pub const SEND_PUSH: u8 = 0x01;
    /// 0x02: no queuing: dropped if the receiver is offline.
    pub const NO_SERVER_QUEUING: u8 = 0x02;
    /// 0x04: no acknowledgement from the relay, and none from the receiver.
    pub const NO_SERVER_ACK: u8 = 0x04;
    /// 0x10: reserved (formerly the group marker).
    pub const RESERVED_GROUP: u8 = 0x10;
    /// 0x20: short-lived queuing, 60 seconds.
    pub const SHORT_LIVED: u8 = 0x20;
    /// 0x80: the receiver sends no automatic delivery receipts.
    pub const NO_DELIVERY_RECEIPTS: u8 = 0x80;

    /// Whether every bit of `flag` is set.
    #[must_use]
    pub fn contains(self, flag: u8) -> bool {
        self.0 & flag == flag
    }
}

/// The payload version negotiated at login (E2E-24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadVersion {
    /// 0x00: `legacy-message`, the 88-byte header; no metadata.
    Legacy,
    /// 0x01: `message-with-metadata-box`.
    MetadataBox,
}

/// An outer message as it crosses the transport, in either version (E2E-23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePayload {
    /// Sender identity.
    pub sender: Identity,
    /// Receiver identity.
    pub receiver: Identity,
    /// Message ID, shared by all copies of a group send (E2E-29).
    pub message_id: MessageId,
    /// Creation time, Unix seconds (the relay may replace it) (E2E-29).
    pub created_at: u32,
    /// Flags (E2E-27).
    pub flags: MessageFlags,
    /// The legacy nickname field, 32 bytes, zero-padded (E2E-30).
    pub legacy_nickname: [u8; NICKNAME_LEN],
    /// The metadata box; empty when there is none (E2E-25).
    pub metadata_box: Vec<u8>,
    /// Nonce of the message box, and of the metadata box.
    pub nonce: Nonce,
    /// The message box (E2E-5).
    pub message_box: Vec<u8>,
}

fn short(len: usize) -> E2eError {
    E2eError::PayloadTooShort { len }
}

impl MessagePayload {
    /// The version this payload can be sent in: legacy exactly when it has no metadata
    /// (E2E-24).
    #[must_use]
    pub fn version(&self) -> PayloadVersion {
        if self.metadata_box.is_empty() {
            PayloadVersion::Legacy
        } else {
            PayloadVersion::MetadataBox
        }
    }

    /// Encodes the payload (E2E-23).
    ///
    /// # Errors
    /// [`E2eError::BodyTooLarge`] when the metadata box exceeds 65535 bytes.
    pub fn encode(&self) -> Result<Vec<u8>, E2eError> {
        let metadata_len =
            u16::try_from(self.metadata_box.len()).map_err(|_| E2eError::BodyTooLarge {
                len: self.metadata_box.len(),
                max: usize::from(u16::MAX),
            })?;
        let mut out = Vec::with_capacity(
            LEGACY_HEADER_LEN
                .saturating_add(self.metadata_box.len())
                .saturating_add(self.message_box.len()),
        );
        out.extend_from_slice(self.sender.as_bytes());
        out.extend_from_slice(self.receiver.as_bytes());
        out.extend_from_slice(&self.message_id.0);
        out.extend_from_slice(&self.created_at.to_le_bytes());
        out.push(self.flags.0);
        out.push(0); // E2E-23: reserved.
        out.extend_from_slice(&metadata_len.to_le_bytes());
        out.extend_from_slice(&self.legacy_nickname);
        out.extend_from_slice(&self.metadata_box);
        out.extend_from_slice(self.nonce.as_bytes());
        out.extend_from_slice(&self.message_box);
        Ok(out)
    }

    /// Parses a payload of either version (E2E-23, E2E-24). Opens nothing.
    ///
    /// # Errors
    /// [`E2eError::PayloadTooShort`], [`E2eError::InvalidIdentity`] for either identity,
    /// [`E2eError::ReservedNotZero`].
    pub fn decode(bytes: &[u8]) -> Result<Self, E2eError> {
        let len = bytes.len();
        let mut reader = Reader::new(bytes);
        let sender = reader.take(IDENTITY_LEN).map_err(|_| short(len))?;
        let receiver = reader.take(IDENTITY_LEN).map_err(|_| short(len))?;
        let message_id = MessageId(reader.array().map_err(|_| short(len))?);
        let created_at = reader.u32_le().map_err(|_| short(len))?;
        let flags = MessageFlags(reader.u8().map_err(|_| short(len))?);
        let reserved = reader.u8().map_err(|_| short(len))?;
        let metadata_len = reader.u16_le().map_err(|_| short(len))?;
        let legacy_nickname = reader.array().map_err(|_| short(len))?;
        let metadata_box = reader
            .take(usize::from(metadata_len))
            .map_err(|_| short(len))?
            .to_vec();
        let nonce = Nonce::from_bytes(reader.array().map_err(|_| short(len))?);
        let sender = Identity::from_bytes(sender)
            .map_err(|_| E2eError::InvalidIdentity { what: "sender" })?;
        let receiver = Identity::from_bytes(receiver)
            .map_err(|_| E2eError::InvalidIdentity { what: "receiver" })?;
        if reserved != 0 {
            return Err(E2eError::ReservedNotZero);
        }
        Ok(Self {
            sender,
            receiver,
            message_id,
            created_at,
            flags,
            legacy_nickname,
            metadata_box,
            nonce,
            message_box: reader.rest().to_vec(),
        })
    }

    /// The legacy nickname as text (E2E-30): the bytes before the first zero byte, cut to their
    /// longest valid UTF-8 prefix (senders truncate to 32 bytes, possibly inside a character).
    #[must_use]
    pub fn legacy_nickname_text(&self) -> String {
        let end = self
            .legacy_nickname
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(NICKNAME_LEN);
        let bytes = self.legacy_nickname.get(..end).unwrap_or_default();
        match core::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(e) => String::from_utf8_lossy(bytes.get(..e.valid_up_to()).unwrap_or_default())
                .into_owned(),
        }
    }
}

/// The legacy nickname field for `nickname` (E2E-30): its UTF-8 bytes cut at the last
/// character boundary within 32 bytes, then zero-padded.
#[must_use]
pub fn legacy_nickname_field(nickname: &str) -> [u8; NICKNAME_LEN] {
    let mut end = nickname.len().min(NICKNAME_LEN);
    while !nickname.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let mut field = [0u8; NICKNAME_LEN];
    let bytes = nickname.as_bytes().get(..end).unwrap_or_default();
    if let Some(slot) = field.get_mut(..end) {
        slot.copy_from_slice(bytes);
    }
    field
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MessagePayload {
        MessagePayload {
            sender: "ECHOECHO".parse().unwrap(),
            receiver: "*THREEMA".parse().unwrap(),
            message_id: MessageId([1; 8]),
            created_at: 1_700_000_000,
            flags: MessageFlags(MessageFlags::SEND_PUSH),
            legacy_nickname: legacy_nickname_field("Ällice with a rather long nickname"),
            metadata_box: Vec::new(),
            nonce: Nonce::from_bytes([7; 24]),
            message_box: vec![9; 40],
        }
    }

    #[test]
    fn legacy_header_is_88_bytes_and_round_trips() {
        let payload = sample();
        let bytes = payload.encode().unwrap();
        assert_eq!(bytes.len(), LEGACY_HEADER_LEN + 40);
        assert_eq!(MessagePayload::decode(&bytes).unwrap(), payload);
        assert_eq!(payload.version(), PayloadVersion::Legacy);
        assert_eq!(payload.legacy_nickname_text().len(), 32);
    }

    #[test]
    fn truncated_nickname_keeps_whole_characters() {
        let field = legacy_nickname_field(&format!("a{}", "é".repeat(20)));
        assert_eq!(field[31..], [0]);
        let mut payload = sample();
        payload.legacy_nickname = [0xc3; 32];
        assert_eq!(payload.legacy_nickname_text(), "");
    }

    #[test]
    fn rejects_short_and_reserved() {
        let bytes = sample().encode().unwrap();
        assert_eq!(
            MessagePayload::decode(&bytes[..87]),
            Err(E2eError::PayloadTooShort { len: 87 })
        );
        let mut reserved = bytes.clone();
        reserved[29] = 1;
        assert_eq!(
            MessagePayload::decode(&reserved),
            Err(E2eError::ReservedNotZero)
        );
    }
}
