//! The client's group store and the send-side rules every path shares: send entries (GRP-3),
//! the update and resync bundles (GRP-4, GRP-5), the loop breaker (GRP-16) and the periodic
//! sync (GRP-17).

use std::collections::{BTreeMap, BTreeSet};

use rand_core::CryptoRng;

use super::state::{GroupState, GroupStatus};
use super::{GroupEvent, PERIODIC_SYNC_MILLIS, marked};
use crate::e2e::{
    GroupContent, GroupControl, GroupControlMessage, GroupIdentity, GroupMessage, Message,
    MessageFlags, MessageId,
};
use crate::identity::Identity;
use crate::time::Timestamp;

/// One send entry (GRP-3): sent as one 1:1 message per recipient, every copy with this message
/// ID and creation time.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The recipients, sorted by identity bytes, never empty.
    pub recipients: Vec<Identity>,
    /// The message ID every copy carries.
    pub message_id: MessageId,
    /// The creation time every copy carries.
    pub created_at: Timestamp,
    /// The message (a group type, or a 1:1 type for a distribution list).
    pub message: Message,
}

impl Outgoing {
    /// The header flags of every copy (GRP-3): send-push (0x01) for texts, locations, files
    /// and poll setups, none for control messages, votes, receipts, reactions, edits and
    /// deletes, as Threema sends them.
    #[must_use]
    pub fn flags(&self) -> u8 {
        let push = match &self.message {
            Message::Group(m) => matches!(
                m.content,
                GroupContent::Text(_)
                    | GroupContent::Location(_)
                    | GroupContent::File(_)
                    | GroupContent::PollSetup(_)
            ),
            // A distribution list carries a 1:1 message (GRP-26).
            Message::Text(_) | Message::Location(_) | Message::File(_) | Message::PollSetup(_) => {
                true
            }
            // Control messages (GRP-4, GRP-16) and everything else.
            _ => false,
        };
        if push { MessageFlags::SEND_PUSH } else { 0 }
    }
}

/// What one input produced: the entries to send and the events, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Entries to send, in order.
    pub sent: Vec<Outgoing>,
    /// What happened, in order.
    pub events: Vec<GroupEvent>,
}

/// One input being processed: its time, its RNG and what it has produced so far.
pub(super) struct Step<'r, R> {
    pub(super) now: Timestamp,
    rng: &'r mut R,
    pub(super) out: Outcome,
}

impl<'r, R: CryptoRng> Step<'r, R> {
    pub(super) fn new(now: Timestamp, rng: &'r mut R) -> Self {
        Self {
            now,
            rng,
            out: Outcome::default(),
        }
    }

    /// Draws a message ID (GRP-3).
    pub(super) fn draw_id(&mut self) -> MessageId {
        MessageId::random(self.rng)
    }

    /// Draws 8 bytes (a group or poll ID, GRP-3).
    pub(super) fn draw_bytes(&mut self) -> [u8; 8] {
        let mut bytes = [0u8; 8];
        self.rng.fill_bytes(&mut bytes);
        bytes
    }

    /// Adds an entry with a fresh ID; an entry without recipients is dropped and draws nothing
    /// (GRP-3). Returns the ID used.
    pub(super) fn send(
        &mut self,
        recipients: impl IntoIterator<Item = Identity>,
        message: Message,
    ) -> Option<MessageId> {
        let recipients: BTreeSet<Identity> = recipients.into_iter().collect();
        if recipients.is_empty() {
            return None;
        }
        let id = self.draw_id();
        self.send_with_id(recipients, id, message);
        Some(id)
    }

    /// Adds an entry with a given ID (GRP-4: the removal and the member setup share one).
    pub(super) fn send_with_id(
        &mut self,
        recipients: BTreeSet<Identity>,
        message_id: MessageId,
        message: Message,
    ) {
        if recipients.is_empty() {
            return;
        }
        self.out.sent.push(Outgoing {
            recipients: recipients.into_iter().collect(),
            message_id,
            created_at: self.now,
            message,
        });
    }

    pub(super) fn event(&mut self, event: GroupEvent) {
        self.out.events.push(event);
    }
}

/// A creator-container message (E2E-22).
pub(super) fn control(group: GroupIdentity, content: GroupControl) -> Message {
    Message::GroupControl(GroupControlMessage {
        group_id: group.group_id,
        content,
    })
}

/// A member-container message (E2E-21).
pub(super) fn member(group: GroupIdentity, content: GroupContent) -> Message {
    Message::Group(GroupMessage { group, content })
}

/// The set or delete profile picture message of a bundle (GRP-4, GRP-5).
fn picture_message(group: GroupIdentity, state: &GroupState) -> Message {
    control(
        group,
        state.picture.clone().map_or(
            GroupControl::DeleteProfilePicture,
            GroupControl::SetProfilePicture,
        ),
    )
}

/// One user's groups, sync marks and the rules of spec/07 (GRP-2).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupClient {
    me: Identity,
    pub(super) groups: BTreeMap<GroupIdentity, GroupState>,
    /// GRP-16: per (group, peer), when the loop breaker last fired.
    pub(super) sync_marks: BTreeMap<(GroupIdentity, Identity), Timestamp>,
}

impl GroupClient {
    /// A client with no groups.
    #[must_use]
    pub fn new(me: Identity) -> Self {
        Self {
            me,
            groups: BTreeMap::new(),
            sync_marks: BTreeMap::new(),
        }
    }

    /// The user's identity.
    #[must_use]
    pub fn me(&self) -> Identity {
        self.me
    }

    /// One group's state.
    #[must_use]
    pub fn group(&self, group: &GroupIdentity) -> Option<&GroupState> {
        self.groups.get(group)
    }

    /// Every group, sorted by identity (GRP-27 order).
    pub fn groups(&self) -> impl Iterator<Item = (&GroupIdentity, &GroupState)> {
        self.groups.iter()
    }

    /// The sync marks, sorted by (group, peer) (GRP-16, GRP-27).
    pub fn sync_marks(&self) -> impl Iterator<Item = (&(GroupIdentity, Identity), &Timestamp)> {
        self.sync_marks.iter()
    }

    /// Everyone a conversation message of the user goes to: the creator and the members,
    /// without the user (GRP-11).
    pub(super) fn others(&self, group: GroupIdentity, state: &GroupState) -> BTreeSet<Identity> {
        state
            .members
            .iter()
            .copied()
            .chain([group.creator])
            .filter(|id| *id != self.me)
            .collect()
    }

    /// The update bundle (GRP-4) for the group's current members and `removed`.
    pub(super) fn update_bundle<R: CryptoRng>(
        step: &mut Step<'_, R>,
        group: GroupIdentity,
        state: &GroupState,
        removed: BTreeSet<Identity>,
    ) {
        let mut setup_id = None;
        if !removed.is_empty() {
            let id = step.draw_id();
            step.send_with_id(removed, id, control(group, GroupControl::Setup(Vec::new())));
            setup_id = Some(id);
        }
        if state.members.is_empty() {
            return;
        }
        let id = setup_id.unwrap_or_else(|| step.draw_id());
        let list = state.members.iter().copied().collect();
        step.send_with_id(
            state.members.clone(),
            id,
            control(group, GroupControl::Setup(list)),
        );
        step.send(
            state.members.iter().copied(),
            control(group, GroupControl::Name(state.name.clone())),
        );
        step.send(state.members.iter().copied(), picture_message(group, state));
    }

    /// The resync bundle (GRP-5) to `targets`, then the marks.
    pub(super) fn resync_bundle<R: CryptoRng>(
        &mut self,
        step: &mut Step<'_, R>,
        group: GroupIdentity,
        targets: &BTreeSet<Identity>,
    ) {
        let Some(state) = self.groups.get(&group) else {
            return;
        };
        if targets.is_empty() {
            return;
        }
        let list = state.members.iter().copied().collect();
        step.send(
            targets.iter().copied(),
            control(group, GroupControl::Setup(list)),
        );
        step.send(
            targets.iter().copied(),
            control(group, GroupControl::Name(state.name.clone())),
        );
        step.send(targets.iter().copied(), picture_message(group, state));
        for target in targets {
            self.sync_marks.insert((group, *target), step.now);
        }
    }

    /// The sync request steps (GRP-16), run by a non-creator.
    pub(super) fn request_sync<R: CryptoRng>(
        &mut self,
        step: &mut Step<'_, R>,
        group: GroupIdentity,
    ) {
        if group.creator == self.me {
            return;
        }
        let key = (group, group.creator);
        if marked(self.sync_marks.get(&key).copied(), step.now) {
            step.event(GroupEvent::SyncRequestSuppressed(group));
            return;
        }
        step.send([group.creator], control(group, GroupControl::SyncRequest));
        self.sync_marks.insert(key, step.now);
        step.event(GroupEvent::SyncRequested(group));
    }

    /// The periodic group sync (GRP-17): if the user created this active group and the last
    /// sync is more than seven days old, resync every member the loop breaker lets through.
    pub(super) fn periodic_sync<R: CryptoRng>(
        &mut self,
        step: &mut Step<'_, R>,
        group: GroupIdentity,
    ) {
        if group.creator != self.me {
            return;
        }
        let targets = {
            let Some(state) = self.groups.get_mut(&group) else {
                return;
            };
            if state.status != GroupStatus::Active
                || step.now.millis_since(state.last_sync) <= PERIODIC_SYNC_MILLIS
            {
                return;
            }
            state.last_sync = step.now;
            state.members.clone()
        };
        let targets = targets
            .into_iter()
            .filter(|m| !marked(self.sync_marks.get(&(group, *m)).copied(), step.now))
            .collect();
        step.event(GroupEvent::PeriodicSync(group));
        self.resync_bundle(step, group, &targets);
    }
}
