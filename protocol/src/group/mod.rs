//! Client-side groups, polls and distribution lists as a sans-IO state machine
//! (spec/07-groups.md, GRP-1 to GRP-29).
//!
//! The relay knows nothing about groups: a [`GroupClient`] holds one user's view of every group
//! it knows and runs the rules of spec/07 on it. Time arrives as a [`Timestamp`] argument and
//! randomness (message, group and poll IDs) as an RNG argument, so a run is reproducible from
//! its inputs (GRP-3).
//!
//! Driving it, step by step:
//!
//! 1. build a [`GroupClient`] for the user's identity (or restore one);
//! 2. for each local action (create, update, leave, disband, resync, send, polls) call the
//!    matching method; for each incoming group message call [`GroupClient::handle_message`]
//!    with its sender, message ID and the receive time;
//! 3. transmit every [`Outgoing`] of the returned [`Outcome`] as one 1:1 message per recipient,
//!    each copy with the entry's message ID and creation time (GRP-3), and show its
//!    [`GroupEvent`]s;
//! 4. persist the client (its [`GroupClient::digest`] names the whole state, GRP-27).
//!
//! Discarded input is not an error: the rules say what to do with it, and the outcome reports
//! it as [`GroupEvent::Ignored`]. Errors are caller misuse (an action the rules forbid) or input
//! that cannot be a group message; after an error nothing has changed.

mod actions;
mod client;
mod digest;
mod distribution;
mod poll;
mod receive;
mod state;
mod store;

use crate::e2e::GroupIdentity;
use crate::identity::Identity;
use crate::time::Timestamp;

pub use client::{GroupClient, Outcome, Outgoing};
pub use distribution::DistributionList;
pub use poll::{Poll, PollKey, PollStatus};
pub use state::{GroupState, GroupStatus, GroupUpdate, LogEntry, MessageState, PictureChange};

/// One hour: the loop breaker's window (GRP-16).
pub const SYNC_MARK_MILLIS: u64 = 3_600_000;
/// Seven days: the periodic group sync's interval (GRP-17).
pub const PERIODIC_SYNC_MILLIS: u64 = 604_800_000;

/// Why a received group message changed nothing (GRP-12 to GRP-25).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Discard {
    /// The group is not known (GRP-12 step 1, GRP-13, GRP-15, GRP-16).
    UnknownGroup,
    /// The group is left, kicked or disbanded (GRP-12 step 2).
    GroupNotActive,
    /// The sender is not a member (GRP-12 step 3, GRP-15).
    SenderNotMember,
    /// The message changes nothing (GRP-13, GRP-14).
    NoChange,
    /// A leave from the creator (GRP-15).
    CreatorCannotLeave,
    /// A sync request within the hour (GRP-16).
    RecentlyResynced,
    /// A delivery receipt (0x01/0x02) in a group (GRP-18).
    ReceiptInGroup,
    /// A message ID already in the log (GRP-19).
    DuplicateMessage,
    /// An edit, delete or reaction naming no message of the sender (GRP-20, GRP-21).
    UnknownMessage,
    /// An edit or delete of a deleted message (GRP-20).
    MessageDeleted,
    /// A vote or close for a poll the client does not have (GRP-24, GRP-25).
    UnknownPoll,
    /// A vote or close for a closed poll (GRP-24, GRP-25).
    PollClosed,
    /// A second open setup for a known poll (GRP-25).
    PollExists,
    /// A vote that does not name every choice once, or two choices in a single-choice poll (GRP-24).
    InvalidVote,
    /// A closing setup whose participants and votes do not line up (GRP-25).
    InvalidPoll,
}

impl Discard {
    /// The stable reason code (GRP-28).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::UnknownGroup => "unknown_group",
            Self::GroupNotActive => "group_not_active",
            Self::SenderNotMember => "sender_not_member",
            Self::NoChange => "no_change",
            Self::CreatorCannotLeave => "creator_cannot_leave",
            Self::RecentlyResynced => "recently_resynced",
            Self::ReceiptInGroup => "receipt_in_group",
            Self::DuplicateMessage => "duplicate_message",
            Self::UnknownMessage => "unknown_message",
            Self::MessageDeleted => "message_deleted",
            Self::UnknownPoll => "unknown_poll",
            Self::PollClosed => "poll_closed",
            Self::PollExists => "poll_exists",
            Self::InvalidVote => "invalid_vote",
            Self::InvalidPoll => "invalid_poll",
        }
    }
}

/// What happened, for the user interface and the vectors (GRP-28).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupEvent {
    /// The user was added to a group it did not have, or re-added to one it had left (GRP-13).
    Joined(GroupIdentity),
    /// A setup changed the member list (GRP-13).
    MembersChanged(GroupIdentity),
    /// A setup excluded the user (GRP-13).
    Kicked(GroupIdentity),
    /// A member left (GRP-15).
    MemberLeft {
        /// The group.
        group: GroupIdentity,
        /// Who left.
        member: Identity,
    },
    /// The name changed (GRP-14).
    Renamed(GroupIdentity),
    /// The profile picture was set or removed (GRP-14).
    PictureChanged(GroupIdentity),
    /// A conversation message arrived (GRP-19).
    Message(GroupIdentity),
    /// A message was edited (GRP-20).
    Edited(GroupIdentity),
    /// A message was deleted (GRP-20).
    Deleted(GroupIdentity),
    /// A reaction or legacy reaction arrived (GRP-18, GRP-21).
    Reaction(GroupIdentity),
    /// A poll was opened (GRP-25).
    PollOpened(GroupIdentity),
    /// A vote was counted (GRP-24).
    PollVote(GroupIdentity),
    /// A poll was closed (GRP-25).
    PollClosed(GroupIdentity),
    /// The client sent a sync request to the creator (GRP-16).
    SyncRequested(GroupIdentity),
    /// The loop breaker held a sync request back (GRP-16).
    SyncRequestSuppressed(GroupIdentity),
    /// The creator answered a sync request (GRP-16).
    SyncAnswered(GroupIdentity),
    /// The creator's periodic group sync fired (GRP-17).
    PeriodicSync(GroupIdentity),
    /// The message was discarded (GRP-12 to GRP-25).
    Ignored {
        /// The group.
        group: GroupIdentity,
        /// Why.
        reason: Discard,
    },
}

impl GroupEvent {
    /// The stable event name (GRP-28).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Joined(_) => "joined",
            Self::MembersChanged(_) => "members_changed",
            Self::Kicked(_) => "kicked",
            Self::MemberLeft { .. } => "member_left",
            Self::Renamed(_) => "renamed",
            Self::PictureChanged(_) => "picture_changed",
            Self::Message(_) => "message",
            Self::Edited(_) => "edited",
            Self::Deleted(_) => "deleted",
            Self::Reaction(_) => "reaction",
            Self::PollOpened(_) => "poll_opened",
            Self::PollVote(_) => "poll_vote",
            Self::PollClosed(_) => "poll_closed",
            Self::SyncRequested(_) => "sync_requested",
            Self::SyncRequestSuppressed(_) => "sync_request_suppressed",
            Self::SyncAnswered(_) => "sync_answered",
            Self::PeriodicSync(_) => "periodic_sync",
            Self::Ignored { .. } => "ignored",
        }
    }

    /// The group the event concerns.
    #[must_use]
    pub fn group(&self) -> GroupIdentity {
        match self {
            Self::Joined(g)
            | Self::MembersChanged(g)
            | Self::Kicked(g)
            | Self::Renamed(g)
            | Self::PictureChanged(g)
            | Self::Message(g)
            | Self::Edited(g)
            | Self::Deleted(g)
            | Self::Reaction(g)
            | Self::PollOpened(g)
            | Self::PollVote(g)
            | Self::PollClosed(g)
            | Self::SyncRequested(g)
            | Self::SyncRequestSuppressed(g)
            | Self::SyncAnswered(g)
            | Self::PeriodicSync(g)
            | Self::MemberLeft { group: g, .. }
            | Self::Ignored { group: g, .. } => *g,
        }
    }
}

/// A local action the rules forbid, or input that cannot be a group message. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The action names a group the client does not have (GRP-11).
    #[error("unknown group")]
    UnknownGroup,
    /// A group with this identity exists already (GRP-6).
    #[error("group exists")]
    GroupExists,
    /// Only the creator may do this (GRP-7, GRP-8, GRP-10).
    #[error("only the group's creator may do this")]
    NotCreator,
    /// The group is left, kicked or disbanded (GRP-7 to GRP-11).
    #[error("group is not active")]
    GroupNotActive,
    /// The user listed as a member of its own group (GRP-6, GRP-7).
    #[error("the user cannot be a member of its own group")]
    MemberIsSelf,
    /// The creator tried to leave (GRP-9).
    #[error("the creator cannot leave; it disbands")]
    CreatorCannotLeave,
    /// An incoming message claims the user as its sender (GRP-12).
    #[error("incoming message from the user itself")]
    SenderIsSelf,
    /// The message is not a group message, or the action cannot send it (GRP-11).
    #[error("invalid action")]
    InvalidAction,
    /// An edit, delete or reaction naming no suitable message (GRP-11).
    #[error("unknown message")]
    UnknownMessage,
    /// An edit or delete of a deleted message (GRP-11).
    #[error("message deleted")]
    MessageDeleted,
    /// A vote or close for a poll the client does not have (GRP-24).
    #[error("unknown poll")]
    UnknownPoll,
    /// A vote or close for a closed poll (GRP-24).
    #[error("poll closed")]
    PollClosed,
    /// A vote that is not valid for the poll (GRP-24).
    #[error("invalid vote")]
    InvalidVote,
    /// A poll that cannot be built: duplicate choice IDs, or text the E2E layer refuses (GRP-23).
    #[error("invalid poll")]
    InvalidPoll,
    /// A group state file with a missing or malformed field (GRP-31).
    #[error("invalid group state file")]
    InvalidState,
}

impl GroupError {
    /// The stable error code (CONV-7, GRP-28).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownGroup => "unknown_group",
            Self::GroupExists => "group_exists",
            Self::NotCreator => "not_creator",
            Self::GroupNotActive => "group_not_active",
            Self::MemberIsSelf => "member_is_self",
            Self::CreatorCannotLeave => "creator_cannot_leave",
            Self::SenderIsSelf => "sender_is_self",
            Self::InvalidAction => "invalid_action",
            Self::UnknownMessage => "unknown_message",
            Self::MessageDeleted => "message_deleted",
            Self::UnknownPoll => "unknown_poll",
            Self::PollClosed => "poll_closed",
            Self::InvalidVote => "invalid_vote",
            Self::InvalidPoll => "invalid_poll",
            Self::InvalidState => "invalid_state",
        }
    }
}

/// Whether `mark` still holds at `now` (GRP-16).
fn marked(mark: Option<Timestamp>, now: Timestamp) -> bool {
    mark.is_some_and(|at| now < at.plus_millis(SYNC_MARK_MILLIS))
}

#[cfg(test)]
mod tests;
