//! Local actions: create, update, disband, leave, resync, send, and the poll actions
//! (GRP-6 to GRP-11, GRP-23 to GRP-25). A failing action changes nothing and sends nothing.

use std::collections::BTreeSet;

use rand_core::CryptoRng;

use super::GroupError;
use super::client::{GroupClient, Outcome, Step, control, member};
use super::poll::{Poll, PollKey, PollStatus};
use super::state::{GroupState, GroupStatus, GroupUpdate, LogEntry, MessageState, PictureChange};
use crate::e2e::{
    BlobReference, GroupContent, GroupControl, GroupId, GroupIdentity, MessageId, PollSetup,
    PollVote,
};
use crate::identity::Identity;
use crate::time::Timestamp;

impl GroupClient {
    fn check_members(&self, members: &BTreeSet<Identity>) -> Result<(), GroupError> {
        if members.contains(&self.me()) {
            Err(GroupError::MemberIsSelf)
        } else {
            Ok(())
        }
    }

    /// The group, which the user must have created and which must be active.
    fn own_active(&self, group: &GroupIdentity) -> Result<&GroupState, GroupError> {
        let state = self.groups.get(group).ok_or(GroupError::UnknownGroup)?;
        if group.creator != self.me() {
            return Err(GroupError::NotCreator);
        }
        if !state.is_active() {
            return Err(GroupError::GroupNotActive);
        }
        Ok(state)
    }

    fn active(&self, group: &GroupIdentity) -> Result<&GroupState, GroupError> {
        let state = self.groups.get(group).ok_or(GroupError::UnknownGroup)?;
        if state.is_active() {
            Ok(state)
        } else {
            Err(GroupError::GroupNotActive)
        }
    }

    /// Creates a group (GRP-6): draws its group ID, then sends the update bundle.
    ///
    /// # Errors
    /// [`GroupError::MemberIsSelf`], [`GroupError::GroupExists`].
    pub fn create(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        name: &str,
        picture: Option<BlobReference>,
        members: BTreeSet<Identity>,
    ) -> Result<(GroupIdentity, Outcome), GroupError> {
        self.check_members(&members)?;
        let mut step = Step::new(now, rng);
        let group = GroupIdentity {
            creator: self.me(),
            group_id: GroupId(step.draw_bytes()),
        };
        if self.groups.contains_key(&group) {
            return Err(GroupError::GroupExists);
        }
        let mut state = GroupState::new(members, name.to_owned());
        state.picture = picture;
        state.last_sync = now;
        Self::update_bundle(&mut step, group, &state, BTreeSet::new());
        self.groups.insert(group, state);
        Ok((group, step.out))
    }

    /// Changes name, picture or members of a group the user created (GRP-7).
    ///
    /// # Errors
    /// [`GroupError::UnknownGroup`], [`GroupError::NotCreator`], [`GroupError::GroupNotActive`],
    /// [`GroupError::MemberIsSelf`].
    pub fn update(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        group: GroupIdentity,
        change: &GroupUpdate,
    ) -> Result<Outcome, GroupError> {
        self.check_members(&change.add)?;
        let mut state = self.own_active(&group)?.clone();
        let old = state.members.clone();
        state.members.extend(change.add.iter().copied());
        state.members.retain(|m| !change.remove.contains(m));
        let removed = old.difference(&state.members).copied().collect();
        if let Some(name) = &change.name {
            name.clone_into(&mut state.name);
        }
        match &change.picture {
            PictureChange::Keep => {}
            PictureChange::Remove => state.picture = None,
            PictureChange::Set(blob) => state.picture = Some(blob.clone()),
        }
        let mut step = Step::new(now, rng);
        Self::update_bundle(&mut step, group, &state, removed);
        self.groups.insert(group, state);
        Ok(step.out)
    }

    /// Disbands a group the user created (GRP-8).
    ///
    /// # Errors
    /// [`GroupError::UnknownGroup`], [`GroupError::NotCreator`], [`GroupError::GroupNotActive`].
    pub fn disband(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        group: GroupIdentity,
    ) -> Result<Outcome, GroupError> {
        let members = self.own_active(&group)?.members.clone();
        let mut step = Step::new(now, rng);
        step.send(members, control(group, GroupControl::Setup(Vec::new())));
        if let Some(state) = self.groups.get_mut(&group) {
            state.status = GroupStatus::Disbanded;
        }
        Ok(step.out)
    }

    /// Leaves a group the user did not create (GRP-9).
    ///
    /// # Errors
    /// [`GroupError::UnknownGroup`], [`GroupError::CreatorCannotLeave`],
    /// [`GroupError::GroupNotActive`].
    pub fn leave(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        group: GroupIdentity,
    ) -> Result<Outcome, GroupError> {
        if self.groups.contains_key(&group) && group.creator == self.me() {
            return Err(GroupError::CreatorCannotLeave);
        }
        let recipients = self.others(group, self.active(&group)?);
        let mut step = Step::new(now, rng);
        step.send(recipients, member(group, GroupContent::Leave));
        if let Some(state) = self.groups.get_mut(&group) {
            state.status = GroupStatus::Left;
        }
        Ok(step.out)
    }

    /// Resyncs every member, bypassing the loop breaker (GRP-10).
    ///
    /// # Errors
    /// [`GroupError::UnknownGroup`], [`GroupError::NotCreator`], [`GroupError::GroupNotActive`].
    pub fn resync(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        group: GroupIdentity,
    ) -> Result<Outcome, GroupError> {
        let members = self.own_active(&group)?.members.clone();
        let mut step = Step::new(now, rng);
        self.resync_bundle(&mut step, group, &members);
        if let Some(state) = self.groups.get_mut(&group) {
            state.last_sync = now;
        }
        Ok(step.out)
    }

    /// Sends a conversation message to the group (GRP-11). The periodic sync (GRP-17) runs
    /// first when the user is the creator.
    ///
    /// # Errors
    /// [`GroupError::UnknownGroup`], [`GroupError::GroupNotActive`], [`GroupError::InvalidAction`]
    /// for leave and polls, [`GroupError::UnknownMessage`] and [`GroupError::MessageDeleted`] for
    /// edits, deletes and reactions that name no suitable message.
    pub fn send(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        group: GroupIdentity,
        content: GroupContent,
    ) -> Result<Outcome, GroupError> {
        let state = self.active(&group)?;
        let own = |id: &MessageId| -> Result<MessageState, GroupError> {
            match state.messages.get(id) {
                Some(entry) if entry.sender == self.me() => match entry.state {
                    MessageState::Deleted => Err(GroupError::MessageDeleted),
                    other => Ok(other),
                },
                _ => Err(GroupError::UnknownMessage),
            }
        };
        // GRP-11: the log change a sent message makes, checked before anything is sent.
        let change = match &content {
            GroupContent::Leave | GroupContent::PollSetup(_) | GroupContent::PollVote(_) => {
                return Err(GroupError::InvalidAction);
            }
            GroupContent::Text(_)
            | GroupContent::Location(_)
            | GroupContent::File(_)
            | GroupContent::CallStart(_)
            | GroupContent::DeliveryReceipt(_) => None,
            GroupContent::Edit(edit) => {
                own(&edit.message_id).map(|_| Some((edit.message_id, MessageState::Edited)))?
            }
            GroupContent::Delete(delete) => {
                own(&delete.message_id).map(|_| Some((delete.message_id, MessageState::Deleted)))?
            }
            GroupContent::Reaction(reaction) => {
                if !state.messages.contains_key(&reaction.message_id) {
                    return Err(GroupError::UnknownMessage);
                }
                None
            }
        };
        let logged = matches!(
            content,
            GroupContent::Text(_)
                | GroupContent::Location(_)
                | GroupContent::File(_)
                | GroupContent::CallStart(_)
        );
        let mut step = Step::new(now, rng);
        if logged {
            self.periodic_sync(&mut step, group);
        }
        let recipients = self.others(group, self.active(&group)?);
        let id = step.send(recipients, member(group, content));
        let me = self.me();
        if let Some(state) = self.groups.get_mut(&group) {
            if let Some((target, new_state)) = change
                && let Some(entry) = state.messages.get_mut(&target)
            {
                entry.state = new_state;
            }
            if let (true, Some(id)) = (logged, id) {
                state.messages.insert(
                    id,
                    LogEntry {
                        sender: me,
                        state: MessageState::Sent,
                    },
                );
            }
        }
        Ok(step.out)
    }

    /// Opens a poll in the group (GRP-23): draws the poll ID first.
    ///
    /// # Errors
    /// As [`GroupClient::send`]; [`GroupError::InvalidPoll`] for duplicate choice IDs.
    pub fn poll_create(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        group: GroupIdentity,
        poll: Poll,
    ) -> Result<(PollKey, Outcome), GroupError> {
        self.active(&group)?;
        let ids: BTreeSet<u64> = poll.choices.iter().map(|(id, _)| *id).collect();
        if ids.len() != poll.choices.len()
            || poll.status != PollStatus::Open
            || !poll.votes.is_empty()
        {
            return Err(GroupError::InvalidPoll);
        }
        let mut step = Step::new(now, rng);
        let key = PollKey {
            creator: self.me(),
            poll_id: step.draw_bytes(),
        };
        if self
            .groups
            .get(&group)
            .is_some_and(|s| s.polls.contains_key(&key))
        {
            return Err(GroupError::InvalidPoll);
        }
        let setup =
            PollSetup::new(key.poll_id, poll.setup_json()).map_err(|_| GroupError::InvalidPoll)?;
        self.periodic_sync(&mut step, group);
        let recipients = self.others(group, self.active(&group)?);
        step.send(recipients, member(group, GroupContent::PollSetup(setup)));
        if let Some(state) = self.groups.get_mut(&group) {
            state.polls.insert(key, poll);
        }
        Ok((key, step.out))
    }

    /// Casts (or withdraws, with nothing chosen) the user's vote (GRP-24).
    ///
    /// # Errors
    /// [`GroupError::UnknownGroup`], [`GroupError::GroupNotActive`], [`GroupError::UnknownPoll`],
    /// [`GroupError::PollClosed`], [`GroupError::InvalidVote`].
    pub fn poll_vote(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        group: GroupIdentity,
        key: PollKey,
        votes: Vec<(u64, bool)>,
    ) -> Result<Outcome, GroupError> {
        let state = self.active(&group)?;
        let poll = state.polls.get(&key).ok_or(GroupError::UnknownPoll)?;
        if poll.status == PollStatus::Closed {
            return Err(GroupError::PollClosed);
        }
        let chosen = poll
            .check_vote(&votes)
            .map_err(|_| GroupError::InvalidVote)?;
        let recipients: BTreeSet<Identity> = if poll.announce == 0 {
            [key.creator]
                .into_iter()
                .filter(|c| *c != self.me())
                .collect()
        } else {
            self.others(group, state)
        };
        let mut step = Step::new(now, rng);
        self.periodic_sync(&mut step, group);
        let vote = PollVote {
            creator: key.creator,
            poll_id: key.poll_id,
            votes,
        };
        step.send(recipients, member(group, GroupContent::PollVote(vote)));
        let me = self.me();
        if let Some(poll) = self
            .groups
            .get_mut(&group)
            .and_then(|s| s.polls.get_mut(&key))
        {
            poll.record(me, chosen);
        }
        Ok(step.out)
    }

    /// Closes a poll the user created and announces the result (GRP-25).
    ///
    /// # Errors
    /// [`GroupError::UnknownGroup`], [`GroupError::GroupNotActive`], [`GroupError::UnknownPoll`]
    /// (also for another creator's poll), [`GroupError::PollClosed`].
    pub fn poll_close(
        &mut self,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        group: GroupIdentity,
        key: PollKey,
    ) -> Result<Outcome, GroupError> {
        let state = self.active(&group)?;
        if key.creator != self.me() {
            return Err(GroupError::UnknownPoll);
        }
        let mut poll = state
            .polls
            .get(&key)
            .ok_or(GroupError::UnknownPoll)?
            .clone();
        if poll.status == PollStatus::Closed {
            return Err(GroupError::PollClosed);
        }
        poll.status = PollStatus::Closed;
        let setup =
            PollSetup::new(key.poll_id, poll.setup_json()).map_err(|_| GroupError::InvalidPoll)?;
        let recipients = self.others(group, state);
        let mut step = Step::new(now, rng);
        self.periodic_sync(&mut step, group);
        step.send(recipients, member(group, GroupContent::PollSetup(setup)));
        if let Some(state) = self.groups.get_mut(&group) {
            state.polls.insert(key, poll);
        }
        Ok(step.out)
    }
}
