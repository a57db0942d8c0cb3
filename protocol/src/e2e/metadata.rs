//! The metadata box: `MessageMetadata` sealed under a key derived from the box key, with the
//! message's nonce (E2E-25, E2E-26), and the disappearing-message extension it carries
//! (E2E-39 to E2E-42).

use prost::Message as _;

use super::E2eError;
use super::bodies::MessageId;
use super::proto::{self, pb};
use crate::crypto::{BoxKey, Nonce, derive_key, labels, symmetric_key};
use crate::time::Timestamp;

symmetric_key!(
    /// The metadata key `MMK = BLAKE2b-256(key = box key, salt "mm", personal "3ma-csp")`
    /// (E2E-25).
    MetadataKey,
    secretbox
);

impl MetadataKey {
    /// Derives the metadata key from the box key between sender and receiver (E2E-25).
    #[must_use]
    pub fn derive(box_key: &BoxKey) -> Self {
        let derived = derive_key(box_key.expose_secret(), &labels::METADATA_KEY)
            .expect("a 32-byte key is within BLAKE2b's key length");
        Self::from_bytes(*derived)
    }
}

/// Padding + nickname reach at least this many bytes when a sender composes metadata (E2E-26).
pub const METADATA_PADDING_TARGET: usize = 16;
/// Longest disappearing-message lifetime: 365 days (E2E-39).
pub const MAX_EXPIRE_AFTER_SECONDS: u32 = 365 * 24 * 60 * 60;

/// The decoded metadata (E2E-25).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMetadata {
    /// Padding bytes, ignored by receivers.
    pub padding: Vec<u8>,
    /// Absent: no change; empty: cleared.
    pub nickname: Option<String>,
    /// Must equal the header's message ID (E2E-28).
    pub message_id: MessageId,
    /// Creation time in milliseconds; wins over the header's seconds (E2E-28).
    pub created_at: Timestamp,
    /// **Extension (saltrelay)**: seconds after `created_at` at which the message disappears
    /// (E2E-39).
    pub expire_after_seconds: Option<u32>,
}

impl MessageMetadata {
    /// Metadata as a sender composes it (E2E-26): `max(0, 16 - len(nickname))` zero bytes of
    /// padding with a nickname, 16 without.
    #[must_use]
    pub fn compose(
        message_id: MessageId,
        created_at: Timestamp,
        nickname: Option<String>,
        expire_after_seconds: Option<u32>,
    ) -> Self {
        let used = nickname.as_ref().map_or(0, String::len);
        Self {
            padding: vec![0; METADATA_PADDING_TARGET.saturating_sub(used)],
            nickname,
            message_id,
            created_at,
            expire_after_seconds,
        }
    }

    /// When the message disappears, if it does (E2E-42).
    #[must_use]
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expire_after_seconds.map(|s| {
            self.created_at
                .plus_millis(u64::from(s).saturating_mul(1000))
        })
    }

    fn check_expiry(&self) -> Result<(), E2eError> {
        match self.expire_after_seconds {
            Some(s) if s == 0 || s > MAX_EXPIRE_AFTER_SECONDS => Err(E2eError::InvalidExpiry {
                seconds: u64::from(s),
            }),
            _ => Ok(()),
        }
    }

    /// The protobuf plaintext, fields in number order (E2E-25).
    ///
    /// # Errors
    /// [`E2eError::InvalidExpiry`] for an expiry outside 1 to 365 days.
    pub fn encode(&self) -> Result<Vec<u8>, E2eError> {
        self.check_expiry()?;
        Ok(pb::MessageMetadata {
            padding: self.padding.clone(),
            nickname: self.nickname.clone(),
            message_id: self.message_id.as_u64(),
            created_at: self.created_at.as_millis(),
            saltrelay_expire_after_seconds: self.expire_after_seconds,
        }
        .encode_to_vec())
    }

    /// Decodes the protobuf plaintext (E2E-25, E2E-34).
    ///
    /// # Errors
    /// [`E2eError::InvalidProtobuf`], [`E2eError::InvalidExpiry`].
    pub fn decode(plaintext: &[u8]) -> Result<Self, E2eError> {
        let decoded: pb::MessageMetadata = proto::decode(plaintext, "message metadata")?;
        let metadata = Self {
            padding: decoded.padding,
            nickname: decoded.nickname,
            message_id: MessageId::from_u64(decoded.message_id),
            created_at: Timestamp::from_millis(decoded.created_at),
            expire_after_seconds: decoded.saltrelay_expire_after_seconds,
        };
        metadata.check_expiry()?;
        Ok(metadata)
    }

    /// Seals the metadata under `key` with the message's nonce (E2E-25).
    ///
    /// # Errors
    /// As [`Self::encode`].
    pub fn seal(&self, key: &MetadataKey, nonce: &Nonce) -> Result<Vec<u8>, E2eError> {
        Ok(key.seal(nonce, &self.encode()?))
    }

    /// Opens a metadata box (E2E-25).
    ///
    /// # Errors
    /// [`E2eError::MetadataAuthFailed`] when the box does not open (too short or a bad tag),
    /// then as [`Self::decode`].
    pub fn open(key: &MetadataKey, nonce: &Nonce, sealed: &[u8]) -> Result<Self, E2eError> {
        let plaintext = key
            .open(nonce, sealed)
            .map_err(|_| E2eError::MetadataAuthFailed)?;
        Self::decode(&plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nickname_only_metadata_matches_android_layout() {
        // A nickname-only metadata (no padding field) is 10 bytes: tag 0x12, length, 8 bytes.
        let metadata = MessageMetadata {
            padding: Vec::new(),
            nickname: Some("Nickname".into()),
            message_id: MessageId::default(),
            created_at: Timestamp::ZERO,
            expire_after_seconds: None,
        };
        assert_eq!(metadata.encode().unwrap().len(), 10);
        let composed =
            MessageMetadata::compose(MessageId([1; 8]), Timestamp::from_millis(5), None, Some(60));
        assert_eq!(composed.padding.len(), 16);
        let back = MessageMetadata::decode(&composed.encode().unwrap()).unwrap();
        assert_eq!(back, composed);
        assert_eq!(back.expires_at(), Some(Timestamp::from_millis(60_005)));
    }

    #[test]
    fn expiry_out_of_range_is_rejected() {
        let mut metadata =
            MessageMetadata::compose(MessageId([1; 8]), Timestamp::ZERO, None, Some(0));
        assert_eq!(
            metadata.encode(),
            Err(E2eError::InvalidExpiry { seconds: 0 })
        );
        metadata.expire_after_seconds = Some(MAX_EXPIRE_AFTER_SECONDS + 1);
        assert!(metadata.encode().is_err());
    }
}
