//! Distribution lists: client-local recipient lists whose messages go out as separate 1:1
//! messages, each with its own message ID (GRP-26).

use std::collections::BTreeSet;

use rand_core::CryptoRng;

use super::GroupError;
use super::client::{Outcome, Step};
use crate::e2e::Message;
use crate::identity::Identity;
use crate::time::Timestamp;

/// A client-local list of recipients (GRP-26). Nothing about it is ever sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionList {
    /// The list's name, shown only to its owner.
    pub name: String,
    /// The recipients.
    pub recipients: BTreeSet<Identity>,
}

impl DistributionList {
    /// Sends `message` to every recipient as its own 1:1 message: one entry per recipient, in
    /// identity order, each with a fresh message ID and the creation time `now` (GRP-26).
    ///
    /// # Errors
    /// [`GroupError::InvalidAction`] for a group type (a list carries 1:1 messages only),
    /// [`GroupError::MemberIsSelf`] if `me` is a recipient.
    pub fn send(
        &self,
        me: Identity,
        now: Timestamp,
        rng: &mut impl CryptoRng,
        message: &Message,
    ) -> Result<Outcome, GroupError> {
        if matches!(message, Message::Group(_) | Message::GroupControl(_)) {
            return Err(GroupError::InvalidAction);
        }
        if self.recipients.contains(&me) {
            return Err(GroupError::MemberIsSelf);
        }
        let mut step = Step::new(now, rng);
        for recipient in &self.recipients {
            step.send([*recipient], message.clone());
        }
        Ok(step.out)
    }
}
