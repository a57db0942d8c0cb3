//! The end-to-end message layer (spec/03-e2e-messages.md), byte-compatible with Threema.
//!
//! Three nested layers, each sans-IO (E2E-1):
//!
//! 1. the **container** `type || body || padding` ([`encode_container`], [`decode_container`])
//!    holding one [`Message`] (E2E-2 to E2E-22);
//! 2. the **message box**, NaCl's box of the container under the sender/receiver box key
//!    ([`seal_message`], [`open_message`]) (E2E-5);
//! 3. the **outer message** the relay forwards ([`MessagePayload`]): header, optional metadata
//!    box ([`MessageMetadata`]), nonce, message box (E2E-23 to E2E-30).
//!
//! Sending, step by step: pick a random [`MessageId`] (one per group send), derive or reuse the
//! [`BoxKey`](crate::crypto::BoxKey) for the receiver, draw a nonce and a padding length from
//! the RNG, call [`encode_payload`], record the nonce in the [`NonceStore`]. Receiving: look up
//! the sender's key from the header ([`MessagePayload::decode`] needs no key), then
//! [`decode_payload`] runs every receiver check in the spec's order (E2E-28).
//!
//! Blobs (files, thumbnails, profile pictures) are sealed with [`seal_blob`] under a random
//! [`BlobKey`] and the fixed nonce of their [`BlobKind`] (E2E-32).
//!
//! The relay-facing types ([`MessagePayload`], [`MessageFlags`], [`MessageId`],
//! [`PayloadVersion`]) do no I/O and need no key.

mod blob;
mod bodies;
mod container;
mod envelope;
mod error;
mod file;
mod group;
mod json;
mod json_form;
mod json_payload;
mod location;
mod message;
mod metadata;
mod payload;
mod poll;
mod proto;
mod replay;

pub use blob::{
    BlobKey, BlobKind, MAX_BLOB_LEN, check_blob_box_len, check_blob_len, open_blob,
    open_image_blob, seal_blob, seal_image_blob,
};
pub use bodies::{
    BLOB_ID_LEN, BlobReference, DeliveryReceipt, DeprecatedImage, MAX_TEXT_LEN, MessageId,
    ReceiptStatus,
};
pub use container::{
    MAX_BODY_LEN, MIN_PADDED_LEN, OpenedMessage, check_padding_length, decode_container,
    draw_padding_length, encode_container, open_message, seal_message, seal_message_random,
    split_container,
};
pub use envelope::{OutgoingMessage, ReceivedMessage, decode_payload, encode_payload};
pub use error::E2eError;
pub use file::{FileMessage, RenderingType};
pub use group::{
    GroupContent, GroupControl, GroupControlMessage, GroupId, GroupIdentity, GroupMessage,
};
pub use json::to_canonical_json;
pub use json_form::{message_from_json, message_to_json};
pub use json_payload::{opened_to_json, received_to_json};
pub use location::Location;
pub use message::{Message, is_interpreted};
pub use metadata::{
    MAX_EXPIRE_AFTER_SECONDS, METADATA_PADDING_TARGET, MessageMetadata, MetadataKey,
};
pub use payload::{
    FIXED_HEADER_LEN, LEGACY_HEADER_LEN, MessageFlags, MessagePayload, NICKNAME_LEN,
    PayloadVersion, legacy_nickname_field,
};
pub use poll::{CallKind, CallSignal, PollSetup, PollVote};
pub use proto::{
    DeleteMessage, EditMessage, GCK_LEN, GroupCallStart, Reaction, ReactionAction, pb,
};
pub use replay::{InMemoryNonceStore, NonceStore};
