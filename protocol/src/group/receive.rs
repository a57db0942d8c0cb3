//! Incoming group messages: the common receive steps and the per-type rules (GRP-12 to
//! GRP-25).

use std::collections::BTreeSet;

use rand_core::CryptoRng;
use serde_json::Value;

use super::client::{GroupClient, Outcome, Step, control, member};
use super::poll::{Poll, PollKey, PollStatus};
use super::state::{GroupState, GroupStatus, LogEntry, MessageState};
use super::{Discard, GroupError, GroupEvent, marked};
use crate::e2e::{
    GroupContent, GroupControl, GroupIdentity, Message, MessageId, PollSetup, ReceiptStatus,
};
use crate::identity::Identity;
use crate::time::Timestamp;

fn ignore<R: CryptoRng>(step: &mut Step<'_, R>, group: GroupIdentity, reason: Discard) {
    step.event(GroupEvent::Ignored { group, reason });
}

impl GroupClient {
    /// Applies one incoming group message from `sender`, received at `now` (GRP-12 to GRP-25).
    ///
    /// # Errors
    /// [`GroupError::SenderIsSelf`] for a message from the user itself,
    /// [`GroupError::InvalidAction`] for a message that is not a group type. Discarded messages
    /// are not errors: the outcome reports them as [`GroupEvent::Ignored`].
    pub fn handle_message(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        sender: Identity,
        message_id: MessageId,
        message: &Message,
    ) -> Result<Outcome, GroupError> {
        if sender == self.me() {
            return Err(GroupError::SenderIsSelf);
        }
        let mut step = Step::new(now, rng);
        match message {
            Message::GroupControl(m) => {
                // GRP-1: the creator of a creator-container message is its sender, or the
                // receiver for a sync request.
                let creator = if m.content == GroupControl::SyncRequest {
                    self.me()
                } else {
                    sender
                };
                let group = GroupIdentity {
                    creator,
                    group_id: m.group_id,
                };
                match &m.content {
                    GroupControl::SyncRequest => {
                        self.receive_sync_request(&mut step, sender, group);
                    }
                    GroupControl::Setup(list) => self.receive_setup(&mut step, sender, group, list),
                    other => self.receive_property(&mut step, sender, group, other),
                }
            }
            Message::Group(m) if m.content == GroupContent::Leave => {
                self.receive_leave(&mut step, sender, m.group);
            }
            Message::Group(m) => {
                if self.common(&mut step, sender, m.group) {
                    self.receive_conversation(&mut step, sender, message_id, m.group, &m.content);
                }
            }
            _ => return Err(GroupError::InvalidAction),
        }
        Ok(step.out)
    }

    /// The common group receive steps (GRP-12); `true` if the message passes.
    fn common<R: CryptoRng>(
        &mut self,
        step: &mut Step<'_, R>,
        sender: Identity,
        group: GroupIdentity,
    ) -> bool {
        let me = self.me();
        let Some(state) = self.groups.get(&group) else {
            if group.creator != me {
                self.request_sync(step, group);
            }
            ignore(step, group, Discard::UnknownGroup);
            return false;
        };
        let empty_setup = || control(group, GroupControl::Setup(Vec::new()));
        if !state.is_active() {
            let reply = if group.creator == me {
                empty_setup()
            } else {
                member(group, GroupContent::Leave)
            };
            step.send([sender], reply);
            ignore(step, group, Discard::GroupNotActive);
            return false;
        }
        if sender != group.creator && !state.members.contains(&sender) {
            if group.creator == me {
                step.send([sender], empty_setup());
            } else {
                self.request_sync(step, group);
            }
            ignore(step, group, Discard::SenderNotMember);
            return false;
        }
        true
    }

    /// A setup from the creator (GRP-13).
    fn receive_setup<R: CryptoRng>(
        &mut self,
        step: &mut Step<'_, R>,
        sender: Identity,
        group: GroupIdentity,
        list: &[Identity],
    ) {
        let me = self.me();
        let listed: BTreeSet<Identity> = list.iter().copied().filter(|m| *m != sender).collect();
        let no_change = self.groups.get(&group).is_some_and(|state| {
            if state.is_active() {
                state.members == listed
            } else {
                listed.is_empty()
            }
        });
        if no_change {
            return ignore(step, group, Discard::NoChange);
        }
        if !listed.contains(&me) {
            match self.groups.get_mut(&group) {
                None => ignore(step, group, Discard::UnknownGroup),
                Some(state) if !state.is_active() => ignore(step, group, Discard::GroupNotActive),
                Some(state) => {
                    state.status = GroupStatus::Kicked;
                    step.event(GroupEvent::Kicked(group));
                }
            }
            return;
        }
        match self.groups.get_mut(&group) {
            None => {
                self.groups
                    .insert(group, GroupState::new(listed, String::new()));
                step.event(GroupEvent::Joined(group));
            }
            Some(state) => {
                let was_active = state.is_active();
                state.members = listed;
                state.status = GroupStatus::Active;
                step.event(if was_active {
                    GroupEvent::MembersChanged(group)
                } else {
                    GroupEvent::Joined(group)
                });
            }
        }
    }

    /// Name, set or delete profile picture (GRP-14).
    fn receive_property<R: CryptoRng>(
        &mut self,
        step: &mut Step<'_, R>,
        sender: Identity,
        group: GroupIdentity,
        content: &GroupControl,
    ) {
        if !self.common(step, sender, group) {
            return;
        }
        let Some(state) = self.groups.get_mut(&group) else {
            return;
        };
        let event = match content {
            GroupControl::Name(name) if *name != state.name => {
                name.clone_into(&mut state.name);
                GroupEvent::Renamed(group)
            }
            GroupControl::SetProfilePicture(blob) if state.picture.as_ref() != Some(blob) => {
                state.picture = Some(blob.clone());
                GroupEvent::PictureChanged(group)
            }
            GroupControl::DeleteProfilePicture if state.picture.is_some() => {
                state.picture = None;
                GroupEvent::PictureChanged(group)
            }
            _ => return ignore(step, group, Discard::NoChange),
        };
        step.event(event);
    }

    /// A leave (GRP-15).
    fn receive_leave<R: CryptoRng>(
        &mut self,
        step: &mut Step<'_, R>,
        sender: Identity,
        group: GroupIdentity,
    ) {
        if sender == group.creator {
            return ignore(step, group, Discard::CreatorCannotLeave);
        }
        let reason = match self.groups.get(&group) {
            None => Some(Discard::UnknownGroup),
            Some(state) if !state.is_active() => Some(Discard::GroupNotActive),
            Some(_) => None,
        };
        if let Some(reason) = reason {
            if group.creator != self.me() {
                self.request_sync(step, group);
            }
            return ignore(step, group, reason);
        }
        if self
            .groups
            .get_mut(&group)
            .is_some_and(|state| state.members.remove(&sender))
        {
            step.event(GroupEvent::MemberLeft {
                group,
                member: sender,
            });
        } else {
            ignore(step, group, Discard::SenderNotMember);
        }
    }

    /// A sync request to the user, the creator (GRP-16).
    fn receive_sync_request<R: CryptoRng>(
        &mut self,
        step: &mut Step<'_, R>,
        sender: Identity,
        group: GroupIdentity,
    ) {
        let Some(state) = self.groups.get(&group) else {
            return ignore(step, group, Discard::UnknownGroup);
        };
        if marked(self.sync_marks.get(&(group, sender)).copied(), step.now) {
            return ignore(step, group, Discard::RecentlyResynced);
        }
        if state.is_active() && state.members.contains(&sender) {
            self.resync_bundle(step, group, &BTreeSet::from([sender]));
        } else {
            step.send([sender], control(group, GroupControl::Setup(Vec::new())));
        }
        step.event(GroupEvent::SyncAnswered(group));
    }

    /// A conversation message that passed the common steps (GRP-18 to GRP-25).
    fn receive_conversation<R: CryptoRng>(
        &mut self,
        step: &mut Step<'_, R>,
        sender: Identity,
        message_id: MessageId,
        group: GroupIdentity,
        content: &GroupContent,
    ) {
        let Some(state) = self.groups.get_mut(&group) else {
            return;
        };
        let result = match content {
            GroupContent::Text(_)
            | GroupContent::Location(_)
            | GroupContent::File(_)
            | GroupContent::CallStart(_) => {
                if let std::collections::btree_map::Entry::Vacant(slot) =
                    state.messages.entry(message_id)
                {
                    slot.insert(LogEntry {
                        sender,
                        state: MessageState::Sent,
                    });
                    Ok((GroupEvent::Message(group), true))
                } else {
                    Err(Discard::DuplicateMessage)
                }
            }
            GroupContent::DeliveryReceipt(receipt) => match receipt.status {
                ReceiptStatus::Received | ReceiptStatus::Read => Err(Discard::ReceiptInGroup),
                ReceiptStatus::Acknowledged | ReceiptStatus::Declined => {
                    Ok((GroupEvent::Reaction(group), false))
                }
            },
            GroupContent::Reaction(reaction) => {
                if state.messages.contains_key(&reaction.message_id) {
                    Ok((GroupEvent::Reaction(group), false))
                } else {
                    Err(Discard::UnknownMessage)
                }
            }
            GroupContent::Edit(edit) => {
                change_own(state, sender, edit.message_id, MessageState::Edited)
                    .map(|()| (GroupEvent::Edited(group), false))
            }
            GroupContent::Delete(delete) => {
                change_own(state, sender, delete.message_id, MessageState::Deleted)
                    .map(|()| (GroupEvent::Deleted(group), false))
            }
            GroupContent::PollSetup(setup) => {
                receive_poll_setup(state, sender, setup).map(|event| (event(group), true))
            }
            GroupContent::PollVote(vote) => {
                let key = PollKey {
                    creator: vote.creator,
                    poll_id: vote.poll_id,
                };
                match state.polls.get_mut(&key) {
                    None => Err(Discard::UnknownPoll),
                    Some(poll) if poll.status == PollStatus::Closed => Err(Discard::PollClosed),
                    Some(poll) => poll.check_vote(&vote.votes).map(|chosen| {
                        poll.record(sender, chosen);
                        (GroupEvent::PollVote(group), true)
                    }),
                }
            }
            // Leave never reaches here (GRP-15 handles it).
            GroupContent::Leave => return,
        };
        match result {
            Err(reason) => ignore(step, group, reason),
            Ok((event, conversation)) => {
                step.event(event);
                // GRP-17: a conversation message just received may trigger the periodic sync.
                if conversation {
                    self.periodic_sync(step, group);
                }
            }
        }
    }
}

/// An edit or delete of the sender's own message (GRP-20).
fn change_own(
    state: &mut GroupState,
    sender: Identity,
    target: MessageId,
    new_state: MessageState,
) -> Result<(), Discard> {
    match state.messages.get_mut(&target) {
        Some(entry) if entry.sender == sender => {
            if entry.state == MessageState::Deleted {
                return Err(Discard::MessageDeleted);
            }
            entry.state = new_state;
            Ok(())
        }
        _ => Err(Discard::UnknownMessage),
    }
}

/// A poll setup: opens a new poll or closes a known one (GRP-25).
fn receive_poll_setup(
    state: &mut GroupState,
    sender: Identity,
    setup: &PollSetup,
) -> Result<fn(GroupIdentity) -> GroupEvent, Discard> {
    let key = PollKey {
        creator: sender,
        poll_id: setup.poll_id,
    };
    let closing = setup.poll().get("s").and_then(Value::as_u64) == Some(1);
    match state.polls.get_mut(&key) {
        None if closing => Err(Discard::UnknownPoll),
        None => {
            let poll = Poll::from_setup(setup);
            let ids: BTreeSet<u64> = poll.choices.iter().map(|(id, _)| *id).collect();
            if ids.len() != poll.choices.len() {
                return Err(Discard::InvalidPoll);
            }
            state.polls.insert(key, poll);
            Ok(GroupEvent::PollOpened)
        }
        Some(poll) if poll.status == PollStatus::Closed => Err(Discard::PollClosed),
        Some(_) if !closing => Err(Discard::PollExists),
        Some(poll) => poll
            .close_from(setup)
            .map(|()| GroupEvent::PollClosed as fn(_) -> _),
    }
}
