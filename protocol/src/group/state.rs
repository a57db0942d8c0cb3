//! What a client keeps per group (GRP-2): status, members, name, picture, last sync, the
//! conversation log and the polls.

use std::collections::{BTreeMap, BTreeSet};

use super::poll::{Poll, PollKey};
use crate::e2e::{BlobReference, MessageId};
use crate::identity::Identity;
use crate::time::Timestamp;

/// Where the user stands in a group (GRP-2).
///
/// ```text
/// unknown ─ setup listing me (GRP-13) ─┐
/// create by me (GRP-6) ────────────────┴─▶ Active ─ leave (GRP-9) ──────────────▶ Left
///                                           Active ─ setup without me (GRP-13) ──▶ Kicked
///                                           Active ─ disband by me (GRP-8) ──────▶ Disbanded
/// Left, Kicked ─ setup listing me (GRP-13) ─▶ Active          Disbanded is final
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupStatus {
    /// A member (or the creator) of a live group.
    Active,
    /// The user left (GRP-9).
    Left,
    /// A setup excluded the user (GRP-13).
    Kicked,
    /// The user, as creator, disbanded the group (GRP-8).
    Disbanded,
}

impl GroupStatus {
    /// The name the vectors use (GRP-28).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Left => "left",
            Self::Kicked => "kicked",
            Self::Disbanded => "disbanded",
        }
    }

    /// The digest byte (GRP-27).
    #[must_use]
    pub fn byte(self) -> u8 {
        match self {
            Self::Active => 0,
            Self::Left => 1,
            Self::Kicked => 2,
            Self::Disbanded => 3,
        }
    }
}

/// The state of a logged conversation message (GRP-19, GRP-20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageState {
    /// As sent.
    Sent,
    /// Edited by its sender.
    Edited,
    /// Deleted by its sender; stays deleted.
    Deleted,
}

impl MessageState {
    /// The digest byte (GRP-27).
    #[must_use]
    pub fn byte(self) -> u8 {
        match self {
            Self::Sent => 0,
            Self::Edited => 1,
            Self::Deleted => 2,
        }
    }
}

/// One conversation message in the log (GRP-19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Who sent it.
    pub sender: Identity,
    /// Sent, edited or deleted.
    pub state: MessageState,
}

/// A change of the group's profile picture in an update (GRP-7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PictureChange {
    /// Keep the picture as it is.
    Keep,
    /// Remove it.
    Remove,
    /// Set it to this blob.
    Set(BlobReference),
}

/// What an update changes (GRP-7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupUpdate {
    /// The new name, if it changes.
    pub name: Option<String>,
    /// The picture change.
    pub picture: PictureChange,
    /// Members to add.
    pub add: BTreeSet<Identity>,
    /// Members to remove.
    pub remove: BTreeSet<Identity>,
}

/// One group as a client sees it (GRP-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupState {
    /// Active, left, kicked or disbanded.
    pub status: GroupStatus,
    /// Every member but the creator; includes the user unless it is the creator.
    pub members: BTreeSet<Identity>,
    /// The name, empty until one arrives.
    pub name: String,
    /// The profile picture.
    pub picture: Option<BlobReference>,
    /// Creator only: when the last group sync was triggered (GRP-17); zero for members.
    pub last_sync: Timestamp,
    /// The conversation log (GRP-19).
    pub messages: BTreeMap<MessageId, LogEntry>,
    /// The polls (GRP-22).
    pub polls: BTreeMap<PollKey, Poll>,
}

impl GroupState {
    /// A new active group.
    pub(super) fn new(members: BTreeSet<Identity>, name: String) -> Self {
        Self {
            status: GroupStatus::Active,
            members,
            name,
            picture: None,
            last_sync: Timestamp::ZERO,
            messages: BTreeMap::new(),
            polls: BTreeMap::new(),
        }
    }

    /// Whether the group is active.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.status == GroupStatus::Active
    }
}
