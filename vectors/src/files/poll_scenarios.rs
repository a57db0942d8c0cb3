//! `poll_scenarios.json`: polls in a group, as scenarios of one client: opening, votes per
//! voter, single and multiple choice, closing with the result, and votes that arrive late,
//! invalid or from non-members (GRP-22 to GRP-25).

use rand_chacha::ChaCha20Rng;
use saltrelay_protocol::e2e::{GroupContent, GroupIdentity, Message, PollSetup, PollVote};
use saltrelay_protocol::group::{Poll, PollKey};
use saltrelay_protocol::time::Timestamp;
use serde_json::{Value, json};

use super::FileBuilder;
use super::group_common::{MINUTE, Party, T, cast, deliver, member_msg, recv, set};
use super::group_runner::{Scenario, compute, group_json, id_json};
use crate::KatFile;
use crate::case::CaseBuilder;
use crate::registry::VectorFile;
use crate::rng::{RecordingRng, seeded_rng};

pub(crate) const FILE: VectorFile = VectorFile {
    name: "poll_scenarios.json",
    generate,
    compute,
};

const SEED: u64 = 0x6772_0002;

struct Gen {
    file: FileBuilder,
    rng: RecordingRng<ChaCha20Rng>,
    other: ChaCha20Rng,
}

impl Gen {
    fn push(&mut self, comment: &str, flags: &[&str], refs: &[&str], scenario: Scenario) {
        let me = scenario.client.me();
        let case = CaseBuilder::new(comment, flags, refs)
            .value("me", me.as_str())
            .value("steps", scenario.into_steps())
            .valid();
        self.file.push(case);
    }
}

fn ts(at: u64) -> Timestamp {
    Timestamp::from_millis(at)
}

fn lunch(multiple: bool, announce: u64) -> Poll {
    Poll::new(
        "Lunch?".into(),
        multiple,
        announce,
        vec![
            (1, "Pizza".into()),
            (2, "Sushi".into()),
            (3, "Salad".into()),
        ],
    )
}

fn vote(key: PollKey, chosen: &[(u64, bool)]) -> GroupContent {
    GroupContent::PollVote(PollVote {
        creator: key.creator,
        poll_id: key.poll_id,
        votes: chosen.to_vec(),
    })
}

fn poll_json(key: PollKey) -> Value {
    json!({"creator": id_json(key.creator), "pollId": hex::encode(key.poll_id)})
}

fn vote_action(group: GroupIdentity, key: PollKey, chosen: &[(u64, u8)]) -> Value {
    json!({"action": "poll_vote", "group": group_json(group), "poll": poll_json(key),
           "choices": chosen.iter().map(|(id, c)| json!([id, c])).collect::<Vec<_>>()})
}

fn create_action(group: GroupIdentity, poll: &Poll) -> Value {
    json!({"action": "poll_create", "group": group_json(group), "description": poll.description,
           "multiple": poll.multiple, "announce": poll.announce,
           "choices": poll.choices.iter().map(|(id, t)| json!([id, t])).collect::<Vec<_>>()})
}

fn setup_msg(group: GroupIdentity, poll_id: [u8; 8], json: Value) -> Message {
    let Value::Object(map) = json else {
        unreachable!("poll JSON literals are objects")
    };
    member_msg(
        group,
        GroupContent::PollSetup(PollSetup::new(poll_id, map).expect("E2E-11 valid poll")),
    )
}

/// Bob is a member of Alice's group with Carol and Dave; Carol opens a single-choice poll with
/// public votes.
#[expect(clippy::too_many_lines, reason = "a scenario is one linear script")]
fn member_side(g: &mut Gen) {
    let c = cast();
    let mut alice = Party::new(c.alice);
    let mut carol = Party::new(c.carol);
    let mut s = Scenario::new(c.bob);
    let (grp, out) = alice
        .client
        .create(
            ts(T),
            &mut g.other,
            "Polls",
            None,
            set(&[c.bob, c.carol, c.dave]),
        )
        .expect("alice creates");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + 1);
    carol.take(&mut g.other, c.alice, &out, T + 1);
    let (key, opened) = carol
        .client
        .poll_create(ts(T + MINUTE), &mut g.other, grp, lunch(false, 1))
        .expect("carol opens a poll");
    let early = member_msg(grp, vote(key, &[(1, true), (2, false), (3, false)]));
    s.step(&mut g.rng, T + MINUTE - 1, recv(c.dave, 1, &early));
    deliver(&mut s, &mut g.rng, c.carol, &opened, T + MINUTE);
    s.step(&mut g.rng, T + 2 * MINUTE, recv(c.dave, 2, &early));
    s.step(
        &mut g.rng,
        T + 2 * MINUTE + 1,
        recv(
            c.alice,
            3,
            &member_msg(grp, vote(key, &[(2, true), (1, false), (3, false)])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 2 * MINUTE + 2,
        recv(
            c.alice,
            4,
            &member_msg(grp, vote(key, &[(1, true), (2, true), (3, false)])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 2 * MINUTE + 3,
        recv(
            c.alice,
            5,
            &member_msg(grp, vote(key, &[(1, true), (2, false)])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 2 * MINUTE + 4,
        recv(
            c.alice,
            6,
            &member_msg(
                grp,
                vote(key, &[(1, true), (2, false), (3, false), (4, false)]),
            ),
        ),
    );
    s.step(
        &mut g.rng,
        T + 2 * MINUTE + 5,
        recv(
            c.alice,
            7,
            &member_msg(
                grp,
                vote(key, &[(1, true), (1, false), (2, false), (3, false)]),
            ),
        ),
    );
    s.step(
        &mut g.rng,
        T + 2 * MINUTE + 6,
        recv(
            c.eve,
            8,
            &member_msg(grp, vote(key, &[(3, true), (1, false), (2, false)])),
        ),
    );
    let unknown = PollKey {
        creator: c.carol,
        poll_id: [0xee; 8],
    };
    s.step(
        &mut g.rng,
        T + 2 * MINUTE + 7,
        recv(c.dave, 9, &member_msg(grp, vote(unknown, &[(1, true)]))),
    );
    s.step(
        &mut g.rng,
        T + 3 * MINUTE,
        vote_action(grp, key, &[(1, 0), (2, 0), (3, 1)]),
    );
    s.step(
        &mut g.rng,
        T + 3 * MINUTE + 1,
        vote_action(grp, key, &[(1, 1), (2, 0), (3, 1)]),
    );
    s.step(
        &mut g.rng,
        T + 3 * MINUTE + 2,
        recv(
            c.dave,
            10,
            &member_msg(grp, vote(key, &[(1, false), (2, false), (3, false)])),
        ),
    );
    // Carol saw Alice's and Bob's votes too; her close carries her tally.
    for (voter, content) in [
        (c.alice, vote(key, &[(2, true), (1, false), (3, false)])),
        (c.bob, vote(key, &[(1, false), (2, false), (3, true)])),
    ] {
        let message = member_msg(grp, content);
        let _ = carol.client.handle_message(
            ts(T + 3 * MINUTE),
            &mut g.other,
            voter,
            super::group_common::mid(40),
            &message,
        );
    }
    let closed = carol
        .client
        .poll_close(ts(T + 4 * MINUTE), &mut g.other, grp, key)
        .expect("carol closes");
    deliver(&mut s, &mut g.rng, c.carol, &closed, T + 4 * MINUTE);
    s.step(&mut g.rng, T + 5 * MINUTE, recv(c.dave, 11, &early));
    s.step(
        &mut g.rng,
        T + 5 * MINUTE + 1,
        vote_action(grp, key, &[(1, 1), (2, 0), (3, 0)]),
    );
    deliver(&mut s, &mut g.rng, c.carol, &closed, T + 6 * MINUTE);
    s.step(
        &mut g.rng,
        T + 6 * MINUTE + 1,
        json!({"action": "poll_close", "group": group_json(grp), "poll": poll_json(key)}),
    );
    g.push(
        "member: a vote before its poll is lost (unknown poll); votes per voter replace each \
         other; two choices in a single-choice poll, a missing, an extra and a repeated choice \
         are invalid; a non-member's vote asks for a sync; the user votes (sent to everyone, \
         t = 1), a withdrawn vote; the creator's close replaces the tally with its result; late \
         votes, a second close and closing another's poll are refused",
        &["Member", "SingleChoice", "LateVote", "InvalidVote"],
        &["GRP-12", "GRP-22", "GRP-24", "GRP-25"],
        s,
    );
}

/// Alice creates the group and a multiple-choice poll with votes to the creator only.
#[expect(clippy::too_many_lines, reason = "a scenario is one linear script")]
fn creator_side(g: &mut Gen) {
    let c = cast();
    let mut s = Scenario::new(c.alice);
    let before: Vec<GroupIdentity> = Vec::new();
    s.step(
        &mut g.rng,
        T,
        json!({"action": "create", "name": "Votes", "members": [c.bob.as_str(), c.carol.as_str()], "picture": null}),
    );
    let grp = *s
        .client
        .groups()
        .map(|(g, _)| g)
        .find(|g| !before.contains(g))
        .expect("created");
    let poll = lunch(true, 0);
    s.step(&mut g.rng, T + 1, create_action(grp, &poll));
    let key = *s
        .client
        .group(&grp)
        .and_then(|st| st.polls.keys().next())
        .expect("poll stored");
    s.step(
        &mut g.rng,
        T + 2,
        recv(
            c.bob,
            1,
            &member_msg(grp, vote(key, &[(1, true), (2, true), (3, false)])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 3,
        recv(
            c.carol,
            2,
            &member_msg(grp, vote(key, &[(1, false), (2, true), (3, true)])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 4,
        recv(
            c.carol,
            3,
            &member_msg(grp, vote(key, &[(1, false), (2, false), (3, false)])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 5,
        recv(
            c.carol,
            4,
            &member_msg(grp, vote(key, &[(3, true), (2, false), (1, true)])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 6,
        vote_action(grp, key, &[(1, 1), (2, 0), (3, 0)]),
    );
    s.step(&mut g.rng, T + 7, vote_action(grp, key, &[(1, 1), (2, 0)]));
    let reopen =
        json!({"d": "Lunch?", "s": 0, "a": 1, "t": 0, "c": [{"i": 1, "n": "Pizza", "o": 0}]});
    s.step(
        &mut g.rng,
        T + 8,
        recv(c.bob, 5, &setup_msg(grp, key.poll_id, reopen)),
    );
    s.step(
        &mut g.rng,
        T + 9,
        json!({"action": "poll_close", "group": group_json(grp), "poll": poll_json(key)}),
    );
    s.step(
        &mut g.rng,
        T + 10,
        recv(
            c.bob,
            6,
            &member_msg(grp, vote(key, &[(1, false), (2, false), (3, true)])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 11,
        vote_action(grp, key, &[(1, 0), (2, 1), (3, 0)]),
    );
    s.step(
        &mut g.rng,
        T + 12,
        json!({"action": "poll_close", "group": group_json(grp), "poll": poll_json(key)}),
    );
    g.push(
        "creator: a multiple-choice poll whose votes go to the creator only (t = 0); votes, a \
         withdrawn vote and a re-vote; the creator's own vote sends nothing; an invalid local \
         vote fails; a setup from Bob with the same poll ID is Bob's poll (opened); closing \
         sends the result (p, r, t); a late vote is ignored and a local one fails",
        &["Creator", "MultipleChoice", "LateVote", "InvalidVote"],
        &["GRP-22", "GRP-23", "GRP-24", "GRP-25"],
        s,
    );
}

/// Setups a member receives that do not open or close a poll.
#[expect(clippy::too_many_lines, reason = "a scenario is one linear script")]
fn odd_setups(g: &mut Gen) {
    let c = cast();
    let mut alice = Party::new(c.alice);
    let mut s = Scenario::new(c.bob);
    let (grp, out) = alice
        .client
        .create(ts(T), &mut g.other, "Odd", None, set(&[c.bob, c.carol]))
        .expect("alice creates");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + 1);
    let choice = |i: u64, r: Value| json!({"i": i, "n": format!("c{i}"), "o": 0, "r": r, "t": 0});
    s.step(
        &mut g.rng,
        T + 10,
        recv(
            c.carol,
            1,
            &setup_msg(
                grp,
                [1; 8],
                json!({"d": "closed", "s": 1, "a": 0, "t": 1, "u": 0,
        "p": [c.bob.as_str()], "c": [choice(1, json!([1]))]}),
            ),
        ),
    );
    s.step(
        &mut g.rng,
        T + 11,
        recv(
            c.carol,
            2,
            &setup_msg(
                grp,
                [2; 8],
                json!({"d": "dup", "s": 0, "a": 0, "t": 1,
        "c": [{"i": 1, "n": "a", "o": 0}, {"i": 1, "n": "b", "o": 1}]}),
            ),
        ),
    );
    s.step(
        &mut g.rng,
        T + 12,
        recv(
            c.carol,
            3,
            &setup_msg(
                grp,
                [3; 8],
                json!({"d": "ok", "s": 0, "a": 0, "t": 1,
        "c": [{"i": 1, "n": "a", "o": 0}, {"i": 2, "n": "b", "o": 1}]}),
            ),
        ),
    );
    s.step(&mut g.rng, T + 13, recv(c.carol, 4, &setup_msg(grp, [3; 8], json!({"d": "ok", "s": 1, "a": 0, "t": 1, "u": 0,
        "p": [c.bob.as_str(), c.carol.as_str()], "c": [choice(1, json!([1])), choice(2, json!([0, 1]))]}))));
    s.step(&mut g.rng, T + 14, recv(c.carol, 5, &setup_msg(grp, [3; 8], json!({"d": "ok", "s": 1, "a": 0, "t": 1, "u": 0,
        "p": [c.bob.as_str(), c.carol.as_str()], "c": [choice(1, json!([1, 0])), choice(2, json!([0, 1]))]}))));
    s.step(
        &mut g.rng,
        T + 15,
        recv(
            c.carol,
            6,
            &setup_msg(
                grp,
                [3; 8],
                json!({"d": "ok", "s": 1, "a": 0, "t": 1, "u": 0,
        "p": [], "c": []}),
            ),
        ),
    );
    s.step(
        &mut g.rng,
        T + 16,
        recv(
            c.carol,
            7,
            &setup_msg(
                grp,
                [4; 8],
                json!({"d": "summary", "s": 0, "a": 1, "t": 1, "u": 1,
        "c": [{"i": 7, "n": "x", "o": 0}]}),
            ),
        ),
    );
    s.step(
        &mut g.rng,
        T + 17,
        recv(
            c.carol,
            8,
            &member_msg(
                grp,
                vote(
                    PollKey {
                        creator: c.carol,
                        poll_id: [4; 8],
                    },
                    &[(7, true)],
                ),
            ),
        ),
    );
    s.step(
        &mut g.rng,
        T + 18,
        vote_action(
            grp,
            PollKey {
                creator: c.carol,
                poll_id: [4; 8],
            },
            &[(7, 1)],
        ),
    );
    s.step(
        &mut g.rng,
        T + 19,
        recv(
            c.carol,
            9,
            &setup_msg(
                grp,
                [4; 8],
                json!({"d": "summary", "s": 1, "a": 1, "t": 1, "u": 1,
        "p": [], "c": [{"i": 7, "n": "x", "o": 0, "r": [], "t": 1}]}),
            ),
        ),
    );
    s.step(
        &mut g.rng,
        T + 20,
        json!({"action": "poll_create", "group": group_json(grp), "description": "dup ids",
        "multiple": false, "announce": 1, "choices": [[1, "a"], [1, "b"]]}),
    );
    g.push(
        "member: a closing setup for an unknown poll, an open setup with a repeated choice ID, a \
         close whose r rows do not match p (refused), a good close, a second close; a \
         summary-mode poll (u = 1) keeps its tally when closed; a local poll with repeated \
         choice IDs fails",
        &["Member", "InvalidPoll", "SummaryMode"],
        &["GRP-22", "GRP-23", "GRP-24", "GRP-25"],
        s,
    );
}

fn generate() -> KatFile {
    let file = FileBuilder::new(
        "Group polls: state machine scenarios (steps, sent entries, events, checkpoints)",
        SEED,
    )
    .encoding(
        "identities are 8-character strings; byte strings (message, group and poll IDs, \
         bodies, random, digest) are lowercase hex; times are integer ms since the Unix epoch",
    )
    .note(
        "Creator",
        "the scenario's client created the group and the poll",
    )
    .note(
        "Member",
        "the scenario's client is a member; others create the group and polls",
    )
    .note("SingleChoice", "a single-choice poll (a = 0)")
    .note("MultipleChoice", "a multiple-choice poll (a = 1)")
    .note(
        "LateVote",
        "votes that arrive before the poll or after its close",
    )
    .note(
        "InvalidVote",
        "votes that do not name every choice once, or too many choices",
    )
    .note(
        "InvalidPoll",
        "poll setups that neither open nor close a poll",
    )
    .note("SummaryMode", "a poll in summary display mode (u = 1)");
    let mut g = Gen {
        file,
        rng: RecordingRng::new(seeded_rng(SEED)),
        other: seeded_rng(SEED ^ 0xff),
    };
    member_side(&mut g);
    creator_side(&mut g);
    odd_setups(&mut g);
    g.file.finish()
}
