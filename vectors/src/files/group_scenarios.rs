//! `group_scenarios.json`: one client's group state machine fed incoming messages and local
//! actions, with the entries it sends and a checkpoint after every step (GRP-1 to GRP-21,
//! GRP-26 to GRP-29).

use std::collections::BTreeSet;

use rand_chacha::ChaCha20Rng;
use saltrelay_protocol::e2e::{BlobReference, GroupIdentity};
use saltrelay_protocol::group::{GroupUpdate, PictureChange};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use serde_json::{Value, json};

use super::group_common::ids;
use super::group_runner::{Scenario, compute, group_json};
use super::{FileBuilder, group_cases_creator, group_cases_member, group_cases_misc};
use crate::KatFile;
use crate::case::CaseBuilder;
use crate::registry::VectorFile;
use crate::rng::{RecordingRng, seeded_rng};

pub(crate) const FILE: VectorFile = VectorFile {
    name: "group_scenarios.json",
    generate,
    compute,
};

const SEED: u64 = 0x6772_0001;

pub(super) struct Gen {
    file: FileBuilder,
    pub(super) rng: RecordingRng<ChaCha20Rng>,
    pub(super) other: ChaCha20Rng,
}

impl Gen {
    pub(super) fn push(
        &mut self,
        comment: &str,
        flags: &[&str],
        refs: &[&str],
        scenario: Scenario,
    ) {
        let me = scenario.client.me();
        let case = CaseBuilder::new(comment, flags, refs)
            .value("me", me.as_str())
            .value("steps", scenario.into_steps())
            .valid();
        self.file.push(case);
    }

    /// A `create` step; returns the new group's identity.
    pub(super) fn create(
        &mut self,
        s: &mut Scenario,
        at: u64,
        name: &str,
        members: &[Identity],
    ) -> GroupIdentity {
        let before: BTreeSet<GroupIdentity> = s.client.groups().map(|(g, _)| *g).collect();
        s.step(
            &mut self.rng,
            at,
            json!({"action": "create", "name": name, "members": ids(members), "picture": null}),
        );
        s.client
            .groups()
            .map(|(g, _)| *g)
            .find(|g| !before.contains(g))
            .expect("create made a group")
    }
}

pub(super) fn picture(n: u8) -> BlobReference {
    BlobReference {
        blob_id: [n; 16],
        size: 1000 + u32::from(n),
        key: [n ^ 0x5a; 32],
    }
}

pub(super) fn update(
    group: GroupIdentity,
    name: Option<&str>,
    picture: &Value,
    add: &[Identity],
    remove: &[Identity],
) -> Value {
    json!({"action": "update", "group": group_json(group), "name": name, "picture": picture,
           "add": ids(add), "remove": ids(remove)})
}

pub(super) fn no_update() -> GroupUpdate {
    GroupUpdate {
        name: None,
        picture: PictureChange::Keep,
        add: BTreeSet::new(),
        remove: BTreeSet::new(),
    }
}

pub(super) fn ts(at: u64) -> Timestamp {
    Timestamp::from_millis(at)
}

fn generate() -> KatFile {
    let file = FileBuilder::new(
        "Client-side groups: state machine scenarios (steps, sent entries, events, checkpoints)",
        SEED,
    )
    .encoding(
        "identities are 8-character strings; byte strings (message and group IDs, bodies, \
         random, digest) are lowercase hex; times are integer ms since the Unix epoch",
    )
    .note("Creator", "the scenario's client created the group")
    .note(
        "Member",
        "the scenario's client is a member; the creator is another party",
    )
    .note("Kick", "a member is removed by a setup that excludes it")
    .note("Disband", "the creator disbands the group")
    .note("NotesGroup", "a group with no members besides its creator")
    .note(
        "NoChange",
        "setups, names or pictures that change nothing are ignored",
    )
    .note(
        "LoopBreaker",
        "the one-sync-request-per-hour rule, both sides",
    )
    .note(
        "UnknownGroup",
        "messages for a group the client does not know",
    )
    .note("Leave", "members leaving, and messages for a left group")
    .note(
        "Resync",
        "the creator answers sync requests or resyncs by hand",
    )
    .note(
        "NonCreatorSetup",
        "a setup sent by someone other than the group's creator",
    )
    .note(
        "PeriodicSync",
        "the creator's resync after more than seven days",
    )
    .note(
        "Concurrent",
        "two updates of the creator delivered in different orders",
    )
    .note(
        "Conversation",
        "texts, edits, deletes, reactions and receipts in a group",
    )
    .note("CallerError", "local actions the rules forbid")
    .note("InvalidInput", "inputs that cannot be group messages")
    .note(
        "DistributionList",
        "client-local lists sent as separate 1:1 messages",
    );
    let mut g = Gen {
        file,
        rng: RecordingRng::new(seeded_rng(SEED)),
        other: seeded_rng(SEED ^ 0xff),
    };
    group_cases_creator::creator_lifecycle(&mut g);
    group_cases_creator::notes_group(&mut g);
    group_cases_member::member_lifecycle(&mut g);
    group_cases_member::unknown_group_loop_breaker(&mut g);
    group_cases_member::sender_not_member(&mut g);
    group_cases_creator::creator_answers_sync_requests(&mut g);
    group_cases_member::same_group_id_other_creator(&mut g);
    group_cases_creator::leaving(&mut g);
    group_cases_creator::periodic_sync(&mut g);
    group_cases_member::concurrent_updates(&mut g);
    group_cases_misc::conversation(&mut g);
    group_cases_misc::caller_errors(&mut g);
    group_cases_misc::invalid_inputs(&mut g);
    group_cases_misc::distribution(&mut g);
    group_cases_member::disbanded_under_a_member(&mut g);
    g.file.finish()
}
