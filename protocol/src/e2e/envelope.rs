//! Composing and receiving whole messages: the message box, the metadata box and the outer
//! payload together, with the receiver's checks in their order (E2E-28, E2E-29, E2E-31).

use super::container::{OpenedMessage, open_message, seal_message};
use super::metadata::{MessageMetadata, MetadataKey};
use super::payload::{
    MessageFlags, MessagePayload, NICKNAME_LEN, PayloadVersion, legacy_nickname_field,
};
use super::replay::NonceStore;
use super::{E2eError, Message, MessageId};
use crate::crypto::{BoxKey, Nonce};
use crate::identity::Identity;
use crate::time::Timestamp;

/// Everything a sender decides about one outgoing message (E2E-29).
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    /// Sender identity.
    pub sender: Identity,
    /// Receiver identity.
    pub receiver: Identity,
    /// Message ID: random, and the same for every member of a group send (E2E-29).
    pub message_id: MessageId,
    /// Creation time; the header gets whole seconds, the metadata milliseconds.
    pub created_at: Timestamp,
    /// Header flags (E2E-27).
    pub flags: MessageFlags,
    /// The sender's nickname, for types that distribute the user profile (E2E-30).
    pub nickname: Option<String>,
    /// Payload version (E2E-24).
    pub version: PayloadVersion,
    /// **Extension (saltrelay)**: disappear this many seconds after `created_at` (E2E-39). It
    /// travels inside the metadata box, so relays never see it and change nothing (E2E-41).
    pub expire_after_seconds: Option<u32>,
    /// The message.
    pub message: Message,
}

/// Builds the outer payload (E2E-23 to E2E-30). The nonce serves both boxes; the caller records
/// it in its nonce store (E2E-31).
///
/// With version 1 the nickname travels in the metadata and the legacy field holds it only for
/// a gateway receiver; with version 0 the legacy field is the only place for it (E2E-30).
///
/// # Errors
/// [`E2eError::MetadataInLegacyPayload`] for an expiry with version 0, and the encoding
/// errors of the message and the metadata.
pub fn encode_payload(
    key: &BoxKey,
    outgoing: &OutgoingMessage,
    nonce: &Nonce,
    pad: u8,
) -> Result<Vec<u8>, E2eError> {
    let nickname_field = |on: bool| match (&outgoing.nickname, on) {
        (Some(name), true) => legacy_nickname_field(name),
        _ => [0u8; NICKNAME_LEN],
    };
    let (legacy_nickname, metadata_box) = match outgoing.version {
        PayloadVersion::Legacy => {
            if outgoing.expire_after_seconds.is_some() {
                return Err(E2eError::MetadataInLegacyPayload);
            }
            (nickname_field(true), Vec::new())
        }
        PayloadVersion::MetadataBox => {
            let metadata = MessageMetadata::compose(
                outgoing.message_id,
                outgoing.created_at,
                outgoing.nickname.clone(),
                outgoing.expire_after_seconds,
            );
            let sealed = metadata.seal(&MetadataKey::derive(key), nonce)?;
            (nickname_field(outgoing.receiver.is_gateway()), sealed)
        }
    };
    MessagePayload {
        sender: outgoing.sender,
        receiver: outgoing.receiver,
        message_id: outgoing.message_id,
        created_at: u32::try_from(outgoing.created_at.as_secs()).unwrap_or(u32::MAX),
        flags: outgoing.flags,
        legacy_nickname,
        metadata_box,
        nonce: *nonce,
        message_box: seal_message(key, nonce, &outgoing.message, pad)?,
    }
    .encode()
}

/// A received message with every header field and the effective values (E2E-28).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedMessage {
    /// The outer payload as parsed (boxes still sealed).
    pub payload: MessagePayload,
    /// The metadata, when the payload had a metadata box.
    pub metadata: Option<MessageMetadata>,
    /// The opened message and its padding length.
    pub opened: OpenedMessage,
}

impl ReceivedMessage {
    /// Creation time: the metadata's milliseconds, else the header's seconds (E2E-28).
    #[must_use]
    pub fn created_at(&self) -> Timestamp {
        self.metadata.as_ref().map_or_else(
            || Timestamp::from_secs(u64::from(self.payload.created_at)),
            |m| m.created_at,
        )
    }

    /// The sender's nickname: the metadata's when there is metadata (absent means "no
    /// change"), else the legacy field's, absent when empty (E2E-28, E2E-30).
    #[must_use]
    pub fn nickname(&self) -> Option<String> {
        match &self.metadata {
            Some(metadata) => metadata.nickname.clone(),
            None => Some(self.payload.legacy_nickname_text()).filter(|n| !n.is_empty()),
        }
    }

    /// When the message disappears, if it does (E2E-42).
    #[must_use]
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.metadata.as_ref().and_then(MessageMetadata::expires_at)
    }

    /// Whether the message has already disappeared at `now` (E2E-42).
    #[must_use]
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at().is_some_and(|at| now >= at)
    }
}

/// Parses, checks and opens an incoming payload (E2E-28), in this order: the payload layout;
/// the nonce against `store` (E2E-31); the metadata box, its protobuf, its message ID against
/// the header and its expiry; the message box; the container and body. Only then is the nonce
/// stored, unless the type is exempt from replay protection.
///
/// # Errors
/// The first check that fails, as its [`E2eError`].
pub fn decode_payload(
    key: &BoxKey,
    bytes: &[u8],
    store: &mut impl NonceStore,
) -> Result<ReceivedMessage, E2eError> {
    let payload = MessagePayload::decode(bytes)?;
    if store.contains(&payload.nonce) {
        return Err(E2eError::NonceReused);
    }
    let metadata = if payload.metadata_box.is_empty() {
        None
    } else {
        let metadata = MessageMetadata::open(
            &MetadataKey::derive(key),
            &payload.nonce,
            &payload.metadata_box,
        )?;
        if metadata.message_id != payload.message_id {
            return Err(E2eError::MetadataMessageIdMismatch);
        }
        Some(metadata)
    };
    let opened = open_message(key, &payload.nonce, &payload.message_box)?;
    if opened.message.is_replay_protected() {
        store.insert(payload.nonce);
    }
    Ok(ReceivedMessage {
        payload,
        metadata,
        opened,
    })
}
