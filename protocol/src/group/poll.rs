//! Poll state in a group: choices, votes per voter, closing and the result (GRP-22 to GRP-25).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::Discard;
use crate::e2e::PollSetup;
use crate::identity::Identity;

/// A poll within its group: its creator and its 8-byte poll ID (GRP-22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PollKey {
    /// Who created the poll.
    pub creator: Identity,
    /// The poll ID the creator drew.
    pub poll_id: [u8; 8],
}

/// Open or closed (GRP-22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PollStatus {
    /// Votes are counted.
    Open,
    /// Final; votes are discarded.
    Closed,
}

/// What a client keeps per poll (GRP-22).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    /// Open or closed.
    pub status: PollStatus,
    /// The description (`d`).
    pub description: String,
    /// Multiple choice (`a` = 1) or single choice.
    pub multiple: bool,
    /// The announce type (`t`): 0 votes go to the creator only, 1 to everyone.
    pub announce: u64,
    /// The choices in setup order: ID (`i`) and text (`n`).
    pub choices: Vec<(u64, String)>,
    /// Per voter, the chosen choice IDs; voters with no choice are not kept.
    pub votes: BTreeMap<Identity, BTreeSet<u64>>,
}

fn str_field(map: &Map<String, Value>, key: &str) -> String {
    map.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn u64_field(map: &Map<String, Value>, key: &str) -> u64 {
    map.get(key).and_then(Value::as_u64).unwrap_or_default()
}

impl Poll {
    /// A new open poll with no votes.
    #[must_use]
    pub fn new(
        description: String,
        multiple: bool,
        announce: u64,
        choices: Vec<(u64, String)>,
    ) -> Self {
        Self {
            status: PollStatus::Open,
            description,
            multiple,
            announce,
            choices,
            votes: BTreeMap::new(),
        }
    }

    /// The poll of an open setup (E2E-11 already checked the field types).
    pub(super) fn from_setup(setup: &PollSetup) -> Self {
        let json = setup.poll();
        let choices = json
            .get("c")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_object)
                    .map(|c| (u64_field(c, "i"), str_field(c, "n")))
                    .collect()
            })
            .unwrap_or_default();
        Self::new(
            str_field(json, "d"),
            u64_field(json, "a") == 1,
            u64_field(json, "t"),
            choices,
        )
    }

    /// Checks a vote (GRP-24): every choice named exactly once and no other, at most one chosen
    /// in a single-choice poll. Returns the chosen set.
    pub(super) fn check_vote(&self, votes: &[(u64, bool)]) -> Result<BTreeSet<u64>, Discard> {
        let named: BTreeSet<u64> = votes.iter().map(|(id, _)| *id).collect();
        let ids: BTreeSet<u64> = self.choices.iter().map(|(id, _)| *id).collect();
        if named.len() != votes.len() || named != ids {
            return Err(Discard::InvalidVote);
        }
        let chosen: BTreeSet<u64> = votes
            .iter()
            .filter(|(_, c)| *c)
            .map(|(id, _)| *id)
            .collect();
        if !self.multiple && chosen.len() > 1 {
            return Err(Discard::InvalidVote);
        }
        Ok(chosen)
    }

    /// Records a checked vote; an empty set withdraws it (GRP-24).
    pub(super) fn record(&mut self, voter: Identity, chosen: BTreeSet<u64>) {
        if chosen.is_empty() {
            self.votes.remove(&voter);
        } else {
            self.votes.insert(voter, chosen);
        }
    }

    /// The result: per choice in setup order, how many voters chose it (GRP-25).
    #[must_use]
    pub fn result(&self) -> Vec<(u64, usize)> {
        self.choices
            .iter()
            .map(|(id, _)| (*id, self.votes.values().filter(|s| s.contains(id)).count()))
            .collect()
    }

    /// The poll JSON of the setup (GRP-23), or of the closing setup with `p`, `r` and `t`
    /// (GRP-25).
    pub(super) fn setup_json(&self) -> Map<String, Value> {
        let closed = self.status == PollStatus::Closed;
        let participants: Vec<&Identity> = self.votes.keys().collect();
        let choices = self
            .choices
            .iter()
            .enumerate()
            .map(|(index, (id, text))| {
                let mut choice = Map::new();
                choice.insert("i".into(), (*id).into());
                choice.insert("n".into(), text.clone().into());
                choice.insert("o".into(), index.into());
                if closed {
                    let row: Vec<Value> = participants
                        .iter()
                        .map(|p| {
                            u8::from(self.votes.get(*p).is_some_and(|s| s.contains(id))).into()
                        })
                        .collect();
                    let total = row.iter().filter(|v| v.as_u64() == Some(1)).count();
                    choice.insert("r".into(), row.into());
                    choice.insert("t".into(), total.into());
                }
                Value::Object(choice)
            })
            .collect::<Vec<_>>();
        let mut json = Map::new();
        json.insert("d".into(), self.description.clone().into());
        json.insert("s".into(), u8::from(closed).into());
        json.insert("a".into(), u8::from(self.multiple).into());
        json.insert("t".into(), self.announce.into());
        json.insert("u".into(), 0.into());
        json.insert("o".into(), 0.into());
        if closed {
            let p: Vec<Value> = participants.iter().map(|p| p.as_str().into()).collect();
            json.insert("p".into(), p.into());
        }
        json.insert("c".into(), choices.into());
        json
    }

    /// Applies a received closing setup (GRP-25): in list mode the votes become those of `p`
    /// and `r`; a list-mode close whose `p` and `r` do not line up is discarded.
    pub(super) fn close_from(&mut self, setup: &PollSetup) -> Result<(), Discard> {
        let json = setup.poll();
        if u64_field(json, "u") == 0 {
            let participants: Vec<Identity> = json
                .get("p")
                .and_then(Value::as_array)
                .ok_or(Discard::InvalidPoll)?
                .iter()
                .filter_map(|v| v.as_str().and_then(|s| s.parse().ok()))
                .collect();
            let mut votes: BTreeMap<Identity, BTreeSet<u64>> = BTreeMap::new();
            let list = json
                .get("c")
                .and_then(Value::as_array)
                .ok_or(Discard::InvalidPoll)?;
            for choice in list.iter().filter_map(Value::as_object) {
                let id = u64_field(choice, "i");
                let row = choice
                    .get("r")
                    .and_then(Value::as_array)
                    .filter(|r| r.len() == participants.len())
                    .ok_or(Discard::InvalidPoll)?;
                for (voter, mark) in participants.iter().zip(row) {
                    if mark.as_u64().is_some_and(|m| m != 0) {
                        votes.entry(*voter).or_default().insert(id);
                    }
                }
            }
            self.votes = votes;
        }
        self.status = PollStatus::Closed;
        Ok(())
    }
}
