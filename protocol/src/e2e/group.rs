//! Group messages: the group-member and group-creator containers and what they carry
//! (E2E-20 to E2E-22). Encoding and decoding only; group state is another layer's job.

use core::fmt;

use super::E2eError;
use super::bodies::{BlobReference, DeliveryReceipt, check_empty, decode_text, decode_utf8};
use super::file::FileMessage;
use super::location::Location;
use super::poll::{PollSetup, PollVote};
use super::proto::{DeleteMessage, EditMessage, GroupCallStart, Reaction};
use crate::bytes::Reader;
use crate::identity::{IDENTITY_LEN, Identity};

/// A group ID: 8 random bytes chosen by the creator (E2E-20).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub [u8; 8]);

impl fmt::Debug for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupId(")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
        write!(f, ")")
    }
}

/// A group is its creator and its group ID, never the ID alone (E2E-20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupIdentity {
    /// The creator's identity.
    pub creator: Identity,
    /// The group ID.
    pub group_id: GroupId,
}

/// What a member sends inside the group-member container (E2E-21).
#[derive(Debug, Clone, PartialEq)]
pub enum GroupContent {
    /// 0x41 text.
    Text(String),
    /// 0x42 location.
    Location(Location),
    /// 0x46 file.
    File(FileMessage),
    /// 0x4c leave: empty.
    Leave,
    /// 0x4f group call start.
    CallStart(GroupCallStart),
    /// 0x52 poll setup.
    PollSetup(PollSetup),
    /// 0x53 poll vote.
    PollVote(PollVote),
    /// 0x81 delivery receipt.
    DeliveryReceipt(DeliveryReceipt),
    /// 0x83 reaction.
    Reaction(Reaction),
    /// 0x93 edit.
    Edit(EditMessage),
    /// 0x94 delete.
    Delete(DeleteMessage),
}

/// A message in the group-member container: `creator 8 || group-id 8 || body` (E2E-20).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMessage {
    /// The group.
    pub group: GroupIdentity,
    /// What is sent to it.
    pub content: GroupContent,
}

/// What the creator sends inside the group-creator container (E2E-22).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupControl {
    /// 0x4a setup: the members, creator excluded.
    Setup(Vec<Identity>),
    /// 0x4b name.
    Name(String),
    /// 0x50 set profile picture.
    SetProfilePicture(BlobReference),
    /// 0x51 sync request (sent by a member to the creator).
    SyncRequest,
    /// 0x54 delete profile picture.
    DeleteProfilePicture,
}

/// A message in the group-creator container: `group-id 8 || body`; the creator is the sender,
/// or the receiver for a sync request (E2E-20, E2E-22).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupControlMessage {
    /// The group ID.
    pub group_id: GroupId,
    /// The control message.
    pub content: GroupControl,
}

impl GroupContent {
    /// The type byte (E2E-21).
    #[must_use]
    pub fn type_code(&self) -> u8 {
        match self {
            Self::Text(_) => 0x41,
            Self::Location(_) => 0x42,
            Self::File(_) => 0x46,
            Self::Leave => 0x4c,
            Self::CallStart(_) => 0x4f,
            Self::PollSetup(_) => 0x52,
            Self::PollVote(_) => 0x53,
            Self::DeliveryReceipt(_) => 0x81,
            Self::Reaction(_) => 0x83,
            Self::Edit(_) => 0x93,
            Self::Delete(_) => 0x94,
        }
    }
}

impl GroupControl {
    /// The type byte (E2E-22).
    #[must_use]
    pub fn type_code(&self) -> u8 {
        match self {
            Self::Setup(_) => 0x4a,
            Self::Name(_) => 0x4b,
            Self::SetProfilePicture(_) => 0x50,
            Self::SyncRequest => 0x51,
            Self::DeleteProfilePicture => 0x54,
        }
    }
}

impl GroupMessage {
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), E2eError> {
        out.extend_from_slice(self.group.creator.as_bytes());
        out.extend_from_slice(&self.group.group_id.0);
        match &self.content {
            GroupContent::Text(text) => {
                super::bodies::check_text(text)?;
                out.extend_from_slice(text.as_bytes());
            }
            GroupContent::Location(l) => l.encode_into(out)?,
            GroupContent::File(f) => f.encode_into(out),
            GroupContent::Leave => {}
            GroupContent::CallStart(c) => c.encode_into(out),
            GroupContent::PollSetup(p) => p.encode_into(out),
            GroupContent::PollVote(v) => v.encode_into(out),
            GroupContent::DeliveryReceipt(r) => r.encode_into(out)?,
            GroupContent::Reaction(r) => r.encode_into(out),
            GroupContent::Edit(e) => e.encode_into(out)?,
            GroupContent::Delete(d) => d.encode_into(out),
        }
        Ok(())
    }

    /// Decodes the group-member container of type `type_code`; `None` if the type is not one.
    pub(crate) fn decode(type_code: u8, body: &[u8]) -> Option<Result<Self, E2eError>> {
        let decode_inner = |inner: &[u8]| -> Result<GroupContent, E2eError> {
            Ok(match type_code {
                0x41 => GroupContent::Text(decode_text(inner)?),
                0x42 => GroupContent::Location(Location::decode(inner)?),
                0x46 => GroupContent::File(FileMessage::decode(inner)?),
                0x4c => {
                    check_empty(inner, "group leave")?;
                    GroupContent::Leave
                }
                0x4f => GroupContent::CallStart(GroupCallStart::decode(inner)?),
                0x52 => GroupContent::PollSetup(PollSetup::decode(inner)?),
                0x53 => GroupContent::PollVote(PollVote::decode(inner)?),
                0x81 => GroupContent::DeliveryReceipt(DeliveryReceipt::decode(inner)?),
                0x83 => GroupContent::Reaction(Reaction::decode(inner)?),
                0x93 => GroupContent::Edit(EditMessage::decode(inner)?),
                _ => GroupContent::Delete(DeleteMessage::decode(inner)?),
            })
        };
        if !matches!(
            type_code,
            0x41 | 0x42 | 0x46 | 0x4c | 0x4f | 0x52 | 0x53 | 0x81 | 0x83 | 0x93 | 0x94
        ) {
            return None;
        }
        Some((|| {
            let mut reader = Reader::new(body);
            let short = E2eError::InvalidBodyLength {
                what: "group-member container",
                len: body.len(),
            };
            let creator = reader.take(IDENTITY_LEN).map_err(|_| short.clone())?;
            let group_id = GroupId(reader.array().map_err(|_| short)?);
            let creator = Identity::from_bytes(creator).map_err(|_| E2eError::InvalidIdentity {
                what: "group creator",
            })?;
            Ok(Self {
                group: GroupIdentity { creator, group_id },
                content: decode_inner(reader.rest())?,
            })
        })())
    }
}

impl GroupControlMessage {
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.group_id.0);
        match &self.content {
            GroupControl::Setup(members) => members
                .iter()
                .for_each(|m| out.extend_from_slice(m.as_bytes())),
            GroupControl::Name(name) => out.extend_from_slice(name.as_bytes()),
            GroupControl::SetProfilePicture(blob) => blob.encode_into(out),
            GroupControl::SyncRequest | GroupControl::DeleteProfilePicture => {}
        }
    }

    /// Decodes the group-creator container of type `type_code`; `None` if the type is not one.
    pub(crate) fn decode(type_code: u8, body: &[u8]) -> Option<Result<Self, E2eError>> {
        if !matches!(type_code, 0x4a | 0x4b | 0x50 | 0x51 | 0x54) {
            return None;
        }
        Some((|| {
            let mut reader = Reader::new(body);
            let group_id = GroupId(reader.array().map_err(|_| E2eError::InvalidBodyLength {
                what: "group-creator container",
                len: body.len(),
            })?);
            let inner = reader.rest();
            let content = match type_code {
                0x4a => GroupControl::Setup(decode_members(inner)?),
                0x4b => GroupControl::Name(decode_utf8(inner, "group name")?),
                0x50 => GroupControl::SetProfilePicture(BlobReference::decode(
                    inner,
                    "group profile picture",
                )?),
                0x51 => {
                    check_empty(inner, "group sync request")?;
                    GroupControl::SyncRequest
                }
                _ => {
                    check_empty(inner, "group delete profile picture")?;
                    GroupControl::DeleteProfilePicture
                }
            };
            Ok(Self { group_id, content })
        })())
    }
}

/// Member identities, 8 bytes each (E2E-22).
fn decode_members(body: &[u8]) -> Result<Vec<Identity>, E2eError> {
    if !body.len().is_multiple_of(IDENTITY_LEN) {
        return Err(E2eError::InvalidBodyLength {
            what: "group setup",
            len: body.len(),
        });
    }
    body.chunks_exact(IDENTITY_LEN)
        .map(|id| {
            Identity::from_bytes(id).map_err(|_| E2eError::InvalidIdentity {
                what: "group member",
            })
        })
        .collect()
}
