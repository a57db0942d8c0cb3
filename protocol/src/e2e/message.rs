//! The message enum: every type code the layer interprets, and unknown ones kept as they came
//! (E2E-7).

use super::E2eError;
use super::bodies::{
    BlobReference, DeliveryReceipt, DeprecatedImage, check_empty, check_text, decode_text,
};
use super::file::FileMessage;
use super::group::{GroupControlMessage, GroupMessage};
use super::location::Location;
use super::poll::{CallKind, CallSignal, PollSetup, PollVote};
use super::proto::{DeleteMessage, EditMessage, Reaction};

/// A decoded end-to-end message (E2E-7).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// 0x01 text (E2E-8).
    Text(String),
    /// 0x02 deprecated image (E2E-9).
    DeprecatedImage(DeprecatedImage),
    /// 0x10 location (E2E-10).
    Location(Location),
    /// 0x15 poll setup (E2E-11).
    PollSetup(PollSetup),
    /// 0x16 poll vote (E2E-12).
    PollVote(PollVote),
    /// 0x17 file (E2E-13).
    File(FileMessage),
    /// 0x18 contact set profile picture (E2E-16).
    ContactSetProfilePicture(BlobReference),
    /// 0x19 contact delete profile picture (E2E-16).
    ContactDeleteProfilePicture,
    /// 0x1a contact request profile picture (E2E-16).
    ContactRequestProfilePicture,
    /// 0x60 to 0x64 voice-call signalling (E2E-17).
    Call(CallSignal),
    /// 0x80 delivery receipt (E2E-18).
    DeliveryReceipt(DeliveryReceipt),
    /// 0x82 reaction (E2E-35).
    Reaction(Reaction),
    /// 0x90 typing indicator: `true` while typing (E2E-19).
    TypingIndicator(bool),
    /// 0x91 edit (E2E-36).
    Edit(EditMessage),
    /// 0x92 delete (E2E-36).
    Delete(DeleteMessage),
    /// A group-member container type (E2E-21).
    Group(GroupMessage),
    /// A group-creator container type (E2E-22).
    GroupControl(GroupControlMessage),
    /// Any other type code, body as it came (E2E-7).
    Unknown {
        /// The type byte.
        type_code: u8,
        /// The body, padding removed.
        body: Vec<u8>,
    },
}

/// Whether this layer interprets `type_code`; others decode as [`Message::Unknown`] (E2E-7).
#[must_use]
pub fn is_interpreted(type_code: u8) -> bool {
    matches!(
        type_code,
        0x01 | 0x02
            | 0x10
            | 0x15..=0x1a
            | 0x41 | 0x42 | 0x46 | 0x4a | 0x4b | 0x4c | 0x4f | 0x50 | 0x51 | 0x52 | 0x53 | 0x54
            | 0x60..=0x64
            | 0x80..=0x83
            | 0x90..=0x94
    )
}

impl CallKind {
    /// The type byte (E2E-17).
    #[must_use]
    pub fn type_code(self) -> u8 {
        match self {
            Self::Offer => 0x60,
            Self::Answer => 0x61,
            Self::IceCandidate => 0x62,
            Self::Hangup => 0x63,
            Self::Ringing => 0x64,
        }
    }
}

impl Message {
    /// The type byte of the container (E2E-7).
    #[must_use]
    pub fn type_code(&self) -> u8 {
        match self {
            Self::Text(_) => 0x01,
            Self::DeprecatedImage(_) => 0x02,
            Self::Location(_) => 0x10,
            Self::PollSetup(_) => 0x15,
            Self::PollVote(_) => 0x16,
            Self::File(_) => 0x17,
            Self::ContactSetProfilePicture(_) => 0x18,
            Self::ContactDeleteProfilePicture => 0x19,
            Self::ContactRequestProfilePicture => 0x1a,
            Self::Call(call) => call.kind.type_code(),
            Self::DeliveryReceipt(_) => 0x80,
            Self::Reaction(_) => 0x82,
            Self::TypingIndicator(_) => 0x90,
            Self::Edit(_) => 0x91,
            Self::Delete(_) => 0x92,
            Self::Group(group) => group.content.type_code(),
            Self::GroupControl(control) => control.content.type_code(),
            Self::Unknown { type_code, .. } => *type_code,
        }
    }

    /// Whether receivers record this message's nonce; all but ICE candidates (0x62) and typing
    /// indicators (0x90) are protected against replay (E2E-31).
    #[must_use]
    pub fn is_replay_protected(&self) -> bool {
        !matches!(self.type_code(), 0x62 | 0x90)
    }

    /// Appends the body (no type byte, no padding) to `out` (E2E-7).
    ///
    /// # Errors
    /// The encoding rules of each body: text length, location values, an empty receipt.
    pub fn encode_body_into(&self, out: &mut Vec<u8>) -> Result<(), E2eError> {
        match self {
            Self::Text(text) => {
                check_text(text)?;
                out.extend_from_slice(text.as_bytes());
            }
            Self::DeprecatedImage(image) => image.encode_into(out),
            Self::Location(location) => location.encode_into(out)?,
            Self::PollSetup(setup) => setup.encode_into(out),
            Self::PollVote(vote) => vote.encode_into(out),
            Self::File(file) => file.encode_into(out),
            Self::ContactSetProfilePicture(blob) => blob.encode_into(out),
            Self::ContactDeleteProfilePicture | Self::ContactRequestProfilePicture => {}
            Self::Call(call) => call.encode_into(out),
            Self::DeliveryReceipt(receipt) => receipt.encode_into(out)?,
            Self::Reaction(reaction) => reaction.encode_into(out),
            Self::TypingIndicator(typing) => out.push(u8::from(*typing)),
            Self::Edit(edit) => edit.encode_into(out)?,
            Self::Delete(delete) => delete.encode_into(out),
            Self::Group(group) => group.encode_into(out)?,
            Self::GroupControl(control) => control.encode_into(out),
            Self::Unknown { body, .. } => out.extend_from_slice(body),
        }
        Ok(())
    }

    /// The encoded body.
    ///
    /// # Errors
    /// As [`Self::encode_body_into`].
    pub fn encode_body(&self) -> Result<Vec<u8>, E2eError> {
        let mut out = Vec::new();
        self.encode_body_into(&mut out)?;
        Ok(out)
    }

    /// The length of the encoded body.
    ///
    /// # Errors
    /// As [`Self::encode_body_into`].
    pub fn body_len(&self) -> Result<usize, E2eError> {
        Ok(match self {
            Self::Text(text) => {
                check_text(text)?;
                text.len()
            }
            _ => self.encode_body()?.len(),
        })
    }

    /// Decodes a body of type `type_code` (E2E-7); unknown types become [`Message::Unknown`].
    ///
    /// # Errors
    /// The body rules of the type.
    pub fn decode(type_code: u8, body: &[u8]) -> Result<Self, E2eError> {
        Ok(match type_code {
            0x01 => Self::Text(decode_text(body)?),
            0x02 => Self::DeprecatedImage(DeprecatedImage::decode(body)?),
            0x10 => Self::Location(Location::decode(body)?),
            0x15 => Self::PollSetup(PollSetup::decode(body)?),
            0x16 => Self::PollVote(PollVote::decode(body)?),
            0x17 => Self::File(FileMessage::decode(body)?),
            0x18 => Self::ContactSetProfilePicture(BlobReference::decode(
                body,
                "contact profile picture",
            )?),
            0x19 => {
                check_empty(body, "contact delete profile picture")?;
                Self::ContactDeleteProfilePicture
            }
            0x1a => {
                check_empty(body, "contact request profile picture")?;
                Self::ContactRequestProfilePicture
            }
            0x60..=0x64 => {
                let kind = CallKind::ALL
                    .into_iter()
                    .find(|k| k.type_code() == type_code)
                    .unwrap_or(CallKind::Offer);
                Self::Call(CallSignal::decode(kind, body)?)
            }
            0x80 => Self::DeliveryReceipt(DeliveryReceipt::decode(body)?),
            0x82 => Self::Reaction(Reaction::decode(body)?),
            0x90 => match body {
                [0] => Self::TypingIndicator(false),
                [1] => Self::TypingIndicator(true),
                [value] => return Err(E2eError::InvalidTypingIndicator { value: *value }),
                _ => {
                    return Err(E2eError::InvalidBodyLength {
                        what: "typing indicator",
                        len: body.len(),
                    });
                }
            },
            0x91 => Self::Edit(EditMessage::decode(body)?),
            0x92 => Self::Delete(DeleteMessage::decode(body)?),
            code => {
                if let Some(group) = GroupMessage::decode(code, body) {
                    Self::Group(group?)
                } else if let Some(control) = GroupControlMessage::decode(code, body) {
                    Self::GroupControl(control?)
                } else {
                    Self::Unknown {
                        type_code: code,
                        body: body.to_vec(),
                    }
                }
            }
        })
    }
}
