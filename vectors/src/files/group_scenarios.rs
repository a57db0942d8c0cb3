//! `group_scenarios.json`: one client's group state machine fed incoming messages and local
//! actions, with the entries it sends and a checkpoint after every step (GRP-1 to GRP-21,
//! GRP-26 to GRP-29).

use std::collections::BTreeSet;

use rand_chacha::ChaCha20Rng;
use saltrelay_protocol::e2e::{
    BlobReference, DeleteMessage, DeliveryReceipt, EditMessage, GroupContent, GroupControl,
    GroupIdentity, Message, Reaction, ReactionAction, ReceiptStatus,
};
use saltrelay_protocol::group::{GroupUpdate, PictureChange};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use serde_json::{Value, json};

use super::FileBuilder;
use super::group_common::{
    DAY, HOUR, MINUTE, Party, T, action, cast, control_msg, deliver, group, ids, member_msg, mid,
    recv, send_input, set, text,
};
use super::group_runner::{Scenario, compute, group_json, picture_json};
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

    /// A `create` step; returns the new group's identity.
    fn create(
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

fn picture(n: u8) -> BlobReference {
    BlobReference {
        blob_id: [n; 16],
        size: 1000 + u32::from(n),
        key: [n ^ 0x5a; 32],
    }
}

fn update(
    group: GroupIdentity,
    name: Option<&str>,
    picture: Value,
    add: &[Identity],
    remove: &[Identity],
) -> Value {
    json!({"action": "update", "group": group_json(group), "name": name, "picture": picture,
           "add": ids(add), "remove": ids(remove)})
}

fn no_update() -> GroupUpdate {
    GroupUpdate {
        name: None,
        picture: PictureChange::Keep,
        add: BTreeSet::new(),
        remove: BTreeSet::new(),
    }
}

fn ts(at: u64) -> Timestamp {
    Timestamp::from_millis(at)
}

fn creator_lifecycle(g: &mut Gen) {
    let c = cast();
    let mut s = Scenario::new(c.alice);
    let grp = g.create(&mut s, T, "Lunch", &[c.bob, c.carol]);
    s.step(
        &mut g.rng,
        T + MINUTE,
        send_input(grp, GroupContent::Text("Hello".into())),
    );
    s.step(
        &mut g.rng,
        T + 2 * MINUTE,
        update(grp, Some("Lunch club"), picture_json(&picture(1)), &[], &[]),
    );
    s.step(
        &mut g.rng,
        T + 3 * MINUTE,
        update(grp, None, json!("keep"), &[c.dave], &[c.carol]),
    );
    s.step(
        &mut g.rng,
        T + 4 * MINUTE,
        update(grp, None, Value::Null, &[], &[]),
    );
    s.step(
        &mut g.rng,
        T + 5 * MINUTE,
        recv(c.bob, 1, &text(grp, "from bob")),
    );
    s.step(
        &mut g.rng,
        T + 6 * MINUTE,
        recv(c.carol, 2, &text(grp, "from kicked carol")),
    );
    s.step(&mut g.rng, T + 7 * MINUTE, action("disband", grp));
    s.step(
        &mut g.rng,
        T + 8 * MINUTE,
        recv(c.bob, 3, &text(grp, "after disband")),
    );
    s.step(
        &mut g.rng,
        T + 9 * MINUTE,
        recv(c.dave, 4, &member_msg(grp, GroupContent::Leave)),
    );
    g.push(
        "creator: create, send, rename with picture, add and remove in one update, remove the \
         picture, a member's text, a kicked member's text answered with an empty setup, disband, \
         texts after disband answered with an empty setup",
        &["Creator", "Kick", "Disband"],
        &[
            "GRP-1", "GRP-3", "GRP-4", "GRP-6", "GRP-7", "GRP-8", "GRP-11", "GRP-12", "GRP-15",
            "GRP-19",
        ],
        s,
    );
}

fn notes_group(g: &mut Gen) {
    let c = cast();
    let mut s = Scenario::new(c.alice);
    let grp = g.create(&mut s, T, "Notes", &[]);
    s.step(
        &mut g.rng,
        T + 1,
        send_input(grp, GroupContent::Text("to self".into())),
    );
    s.step(
        &mut g.rng,
        T + 2,
        update(grp, None, json!("keep"), &[c.bob], &[]),
    );
    s.step(
        &mut g.rng,
        T + 3,
        update(grp, None, json!("keep"), &[], &[c.bob]),
    );
    g.push(
        "a notes group (no members) sends nothing; adding a member sends the bundle; removing \
         the last member sends only the empty setup",
        &["Creator", "NotesGroup"],
        &["GRP-3", "GRP-4", "GRP-6", "GRP-7"],
        s,
    );
}

fn member_lifecycle(g: &mut Gen) {
    let c = cast();
    let mut alice = Party::new(c.alice);
    let mut s = Scenario::new(c.bob);
    let (grp, out) = alice
        .client
        .create(
            ts(T),
            &mut g.other,
            "Team",
            Some(picture(2)),
            set(&[c.bob, c.carol]),
        )
        .expect("alice creates");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + 1);
    s.step(
        &mut g.rng,
        T + MINUTE,
        recv(c.carol, 1, &text(grp, "hi from carol")),
    );
    s.step(
        &mut g.rng,
        T + 2 * MINUTE,
        recv(
            c.alice,
            2,
            &control_msg(
                grp,
                GroupControl::Setup(vec![c.carol, c.bob, c.bob, c.alice]),
            ),
        ),
    );
    s.step(
        &mut g.rng,
        T + 3 * MINUTE,
        recv(
            c.alice,
            3,
            &control_msg(grp, GroupControl::Name("Team".into())),
        ),
    );
    s.step(
        &mut g.rng,
        T + 4 * MINUTE,
        recv(
            c.alice,
            4,
            &control_msg(grp, GroupControl::SetProfilePicture(picture(2))),
        ),
    );
    s.step(
        &mut g.rng,
        T + 5 * MINUTE,
        send_input(grp, GroupContent::Text("hello".into())),
    );
    let out = alice
        .client
        .update(
            ts(T + 6 * MINUTE),
            &mut g.other,
            grp,
            &GroupUpdate {
                remove: set(&[c.bob]),
                ..no_update()
            },
        )
        .expect("alice kicks bob");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + 6 * MINUTE);
    s.step(
        &mut g.rng,
        T + 7 * MINUTE,
        recv(c.carol, 5, &text(grp, "bob cannot read this")),
    );
    s.step(
        &mut g.rng,
        T + 8 * MINUTE,
        recv(
            c.alice,
            6,
            &control_msg(grp, GroupControl::Name("Renamed".into())),
        ),
    );
    s.step(
        &mut g.rng,
        T + 9 * MINUTE,
        recv(
            c.alice,
            7,
            &control_msg(grp, GroupControl::Setup(vec![c.carol])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 10 * MINUTE,
        recv(c.alice, 8, &control_msg(grp, GroupControl::Setup(vec![]))),
    );
    s.step(
        &mut g.rng,
        T + 11 * MINUTE,
        send_input(grp, GroupContent::Text("still here?".into())),
    );
    let out = alice
        .client
        .update(
            ts(T + 12 * MINUTE),
            &mut g.other,
            grp,
            &GroupUpdate {
                add: set(&[c.bob]),
                ..no_update()
            },
        )
        .expect("alice re-adds bob");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + 12 * MINUTE);
    g.push(
        "member: joins through the bundle, setup with duplicates and the creator listed but no \
         change, name and picture without change, kicked (a later text is answered with a \
         leave, a later setup excluding it is ignored), re-added by a new setup",
        &["Member", "Kick", "NoChange"],
        &["GRP-2", "GRP-12", "GRP-13", "GRP-14", "GRP-19"],
        s,
    );
}

fn unknown_group_loop_breaker(g: &mut Gen) {
    let c = cast();
    let grp = group(c.alice, 0x11);
    let mut s = Scenario::new(c.bob);
    s.step(&mut g.rng, T, recv(c.carol, 1, &text(grp, "first")));
    s.step(
        &mut g.rng,
        T + HOUR - 1,
        recv(c.carol, 2, &text(grp, "within the hour")),
    );
    s.step(
        &mut g.rng,
        T + HOUR,
        recv(c.dave, 3, &text(grp, "after the hour")),
    );
    s.step(
        &mut g.rng,
        T + HOUR + 1,
        recv(
            c.alice,
            4,
            &control_msg(grp, GroupControl::Name("x".into())),
        ),
    );
    s.step(
        &mut g.rng,
        T + HOUR + 2,
        recv(
            c.alice,
            5,
            &control_msg(grp, GroupControl::Setup(vec![c.carol])),
        ),
    );
    s.step(
        &mut g.rng,
        T + HOUR + 3,
        recv(
            c.carol,
            6,
            &text(group(c.bob, 0x12), "claims bob created it"),
        ),
    );
    s.step(
        &mut g.rng,
        T + 2 * HOUR + 3,
        recv(c.carol, 7, &member_msg(grp, GroupContent::Leave)),
    );
    g.push(
        "unknown group: a sync request to the creator, none within the hour, another after it; \
         a setup excluding the user for an unknown group is ignored; a message for an unknown \
         group the user would have created is ignored without a request; a leave for an \
         unknown group also asks for a sync",
        &["LoopBreaker", "UnknownGroup"],
        &["GRP-1", "GRP-12", "GRP-13", "GRP-15", "GRP-16"],
        s,
    );
}

fn sender_not_member(g: &mut Gen) {
    let c = cast();
    let mut alice = Party::new(c.alice);
    let mut s = Scenario::new(c.bob);
    let (grp, out) = alice
        .client
        .create(ts(T), &mut g.other, "Club", None, set(&[c.bob, c.carol]))
        .expect("alice creates");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + 1);
    s.step(
        &mut g.rng,
        T + MINUTE,
        recv(c.eve, 1, &text(grp, "eve is not a member")),
    );
    s.step(
        &mut g.rng,
        T + 2 * MINUTE,
        recv(c.eve, 2, &text(grp, "again")),
    );
    s.step(
        &mut g.rng,
        T + 3 * MINUTE,
        recv(c.dave, 3, &member_msg(grp, GroupContent::Leave)),
    );
    s.step(
        &mut g.rng,
        T + 4 * MINUTE,
        recv(c.alice, 4, &member_msg(grp, GroupContent::Leave)),
    );
    s.step(
        &mut g.rng,
        T + 5 * MINUTE,
        recv(c.carol, 5, &member_msg(grp, GroupContent::Leave)),
    );
    s.step(
        &mut g.rng,
        T + 6 * MINUTE,
        recv(c.carol, 6, &text(grp, "carol left")),
    );
    g.push(
        "member: a text from a non-member asks the creator for a sync (once per hour); a leave \
         from a non-member and from the creator are ignored; a member leaves, then its text \
         asks for nothing new (the hour's mark holds)",
        &["Member", "LoopBreaker", "Leave"],
        &["GRP-12", "GRP-15", "GRP-16"],
        s,
    );
}

fn creator_answers_sync_requests(g: &mut Gen) {
    let c = cast();
    let mut s = Scenario::new(c.alice);
    let grp = g.create(&mut s, T, "Sync", &[c.bob, c.carol]);
    let sync = control_msg(grp, GroupControl::SyncRequest);
    s.step(&mut g.rng, T + MINUTE, recv(c.bob, 1, &sync));
    s.step(&mut g.rng, T + MINUTE + HOUR - 1, recv(c.bob, 2, &sync));
    s.step(&mut g.rng, T + MINUTE + HOUR, recv(c.bob, 3, &sync));
    s.step(&mut g.rng, T + 2 * HOUR, recv(c.eve, 4, &sync));
    s.step(&mut g.rng, T + 2 * HOUR + 1, recv(c.eve, 5, &sync));
    s.step(
        &mut g.rng,
        T + 2 * HOUR + 2,
        recv(c.eve, 6, &text(grp, "eve writes")),
    );
    s.step(
        &mut g.rng,
        T + 2 * HOUR + 3,
        recv(
            c.bob,
            7,
            &control_msg(group(c.alice, 0x99), GroupControl::SyncRequest),
        ),
    );
    s.step(&mut g.rng, T + 3 * HOUR, action("resync", grp));
    s.step(&mut g.rng, T + 3 * HOUR + 1, recv(c.carol, 8, &sync));
    s.step(&mut g.rng, T + 4 * HOUR, action("disband", grp));
    s.step(&mut g.rng, T + 5 * HOUR, recv(c.carol, 9, &sync));
    g.push(
        "creator: a member's sync request gets the resync bundle, a second within the hour is \
         ignored, one after the hour is answered; a non-member gets an empty setup each time \
         (no mark); a request for an unknown group is ignored; a manual resync bypasses and \
         sets the marks; after disband a request gets an empty setup",
        &["Creator", "LoopBreaker", "Resync"],
        &["GRP-5", "GRP-10", "GRP-12", "GRP-16", "GRP-29"],
        s,
    );
}

fn same_group_id_other_creator(g: &mut Gen) {
    let c = cast();
    let mut s = Scenario::new(c.bob);
    let by_alice = group(c.alice, 0x21);
    let by_eve = group(c.eve, 0x21);
    s.step(
        &mut g.rng,
        T,
        recv(
            c.alice,
            1,
            &control_msg(by_alice, GroupControl::Setup(vec![c.bob, c.carol])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 1,
        recv(
            c.eve,
            2,
            &control_msg(by_eve, GroupControl::Setup(vec![c.carol])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 2,
        recv(
            c.eve,
            3,
            &control_msg(by_eve, GroupControl::Name("not alice's".into())),
        ),
    );
    s.step(
        &mut g.rng,
        T + 3,
        recv(
            c.eve,
            4,
            &control_msg(by_eve, GroupControl::Setup(vec![c.bob])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 4,
        recv(
            c.eve,
            5,
            &control_msg(by_eve, GroupControl::Name("Eve's".into())),
        ),
    );
    s.step(
        &mut g.rng,
        T + 5,
        recv(c.carol, 6, &text(by_alice, "to alice's group")),
    );
    g.push(
        "a setup from someone other than the creator names another group: the same group ID \
         under Eve is a different group from Alice's, and neither touches the other",
        &["Member", "NonCreatorSetup"],
        &["GRP-1", "GRP-13", "GRP-14"],
        s,
    );
}

fn leaving(g: &mut Gen) {
    let c = cast();
    let mut alice = Party::new(c.alice);
    let mut s = Scenario::new(c.bob);
    let (grp, out) = alice
        .client
        .create(
            ts(T),
            &mut g.other,
            "Leavers",
            None,
            set(&[c.bob, c.carol, c.dave]),
        )
        .expect("alice creates");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + 1);
    s.step(
        &mut g.rng,
        T + MINUTE,
        recv(c.dave, 1, &member_msg(grp, GroupContent::Leave)),
    );
    s.step(&mut g.rng, T + 2 * MINUTE, action("leave", grp));
    s.step(&mut g.rng, T + 3 * MINUTE, action("leave", grp));
    s.step(
        &mut g.rng,
        T + 4 * MINUTE,
        recv(c.carol, 2, &text(grp, "to a left group")),
    );
    s.step(
        &mut g.rng,
        T + 5 * MINUTE,
        recv(
            c.alice,
            3,
            &control_msg(grp, GroupControl::Name("New name".into())),
        ),
    );
    s.step(
        &mut g.rng,
        T + 6 * MINUTE,
        recv(c.carol, 4, &member_msg(grp, GroupContent::Leave)),
    );
    s.step(
        &mut g.rng,
        T + 7 * MINUTE,
        recv(c.alice, 5, &control_msg(grp, GroupControl::Setup(vec![]))),
    );
    s.step(
        &mut g.rng,
        T + 8 * MINUTE,
        recv(
            c.alice,
            6,
            &control_msg(grp, GroupControl::Setup(vec![c.bob, c.carol])),
        ),
    );
    g.push(
        "member: another member leaves; the user leaves (a second leave fails); a text and a \
         name for the left group are answered with a leave; a leave for it asks for a sync; \
         an empty setup changes nothing; a setup listing the user again rejoins it",
        &["Member", "Leave"],
        &["GRP-9", "GRP-12", "GRP-13", "GRP-15", "GRP-16"],
        s,
    );

    let mut s = Scenario::new(c.alice);
    let grp = g.create(&mut s, T, "Creator side", &[c.bob, c.carol]);
    s.step(
        &mut g.rng,
        T + 1,
        recv(c.bob, 1, &member_msg(grp, GroupContent::Leave)),
    );
    s.step(
        &mut g.rng,
        T + 2,
        recv(c.bob, 2, &member_msg(grp, GroupContent::Leave)),
    );
    s.step(
        &mut g.rng,
        T + 3,
        recv(c.bob, 3, &text(grp, "left but writing")),
    );
    s.step(
        &mut g.rng,
        T + 4,
        update(grp, Some("After bob"), json!("keep"), &[], &[]),
    );
    g.push(
        "creator: a member's leave removes it (no bundle is sent); a second leave and a later \
         text from it are answered as from a non-member; the next update leaves it out",
        &["Creator", "Leave"],
        &["GRP-4", "GRP-7", "GRP-12", "GRP-15"],
        s,
    );
}

fn periodic_sync(g: &mut Gen) {
    let c = cast();
    let mut s = Scenario::new(c.alice);
    let grp = g.create(&mut s, T, "Weekly", &[c.bob, c.carol]);
    s.step(
        &mut g.rng,
        T + 7 * DAY,
        recv(c.bob, 1, &text(grp, "exactly seven days")),
    );
    s.step(
        &mut g.rng,
        T + 7 * DAY + 1,
        recv(c.bob, 2, &text(grp, "seven days and 1 ms")),
    );
    s.step(
        &mut g.rng,
        T + 7 * DAY + 2,
        recv(c.bob, 3, &control_msg(grp, GroupControl::SyncRequest)),
    );
    s.step(
        &mut g.rng,
        T + 7 * DAY + 3,
        send_input(grp, GroupContent::Text("no sync".into())),
    );
    s.step(
        &mut g.rng,
        T + 14 * DAY + 1,
        recv(c.carol, 4, &control_msg(grp, GroupControl::SyncRequest)),
    );
    s.step(
        &mut g.rng,
        T + 14 * DAY + 2,
        send_input(grp, GroupContent::Text("sync first".into())),
    );
    g.push(
        "creator: periodic sync after more than seven days, on a received text (after it) and \
         on a sent text (before it), skipping a member resynced within the hour; the sync marks \
         the members, so a request right after it is ignored",
        &["Creator", "PeriodicSync", "LoopBreaker"],
        &["GRP-5", "GRP-11", "GRP-16", "GRP-17", "GRP-29"],
        s,
    );
}

fn concurrent_updates(g: &mut Gen) {
    let c = cast();
    for (reversed, comment) in [
        (
            false,
            "two updates delivered in order: the member ends with the creator's state",
        ),
        (
            true,
            "two updates delivered in reverse order: the older bundle wins (setups carry no \
             version), until the creator's resync repairs the member's view",
        ),
    ] {
        let mut alice = Party::new(c.alice);
        let mut s = Scenario::new(c.bob);
        let (grp, out) = alice
            .client
            .create(ts(T), &mut g.other, "v0", None, set(&[c.bob, c.carol]))
            .expect("alice creates");
        deliver(&mut s, &mut g.rng, c.alice, &out, T + 1);
        let first = alice
            .client
            .update(
                ts(T + MINUTE),
                &mut g.other,
                grp,
                &GroupUpdate {
                    name: Some("v1".into()),
                    ..no_update()
                },
            )
            .expect("update 1");
        let second = alice
            .client
            .update(
                ts(T + MINUTE + 1),
                &mut g.other,
                grp,
                &GroupUpdate {
                    name: Some("v2".into()),
                    add: set(&[c.dave]),
                    ..no_update()
                },
            )
            .expect("update 2");
        let (a, b) = if reversed {
            (&second, &first)
        } else {
            (&first, &second)
        };
        deliver(&mut s, &mut g.rng, c.alice, a, T + 2 * MINUTE);
        deliver(&mut s, &mut g.rng, c.alice, b, T + 3 * MINUTE);
        if reversed {
            let out = alice
                .client
                .resync(ts(T + 4 * MINUTE), &mut g.other, grp)
                .expect("alice resyncs");
            deliver(&mut s, &mut g.rng, c.alice, &out, T + 5 * MINUTE);
        }
        g.push(
            comment,
            &["Member", "Concurrent"],
            &["GRP-4", "GRP-10", "GRP-13", "GRP-14"],
            s,
        );
    }
}

fn conversation(g: &mut Gen) {
    let c = cast();
    let mut alice = Party::new(c.alice);
    let mut s = Scenario::new(c.bob);
    let (grp, out) = alice
        .client
        .create(ts(T), &mut g.other, "Chat", None, set(&[c.bob, c.carol]))
        .expect("alice creates");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + 1);
    let m = |content| member_msg(grp, content);
    s.step(&mut g.rng, T + 10, recv(c.carol, 1, &text(grp, "original")));
    s.step(
        &mut g.rng,
        T + 11,
        recv(c.carol, 1, &text(grp, "same message ID")),
    );
    s.step(
        &mut g.rng,
        T + 12,
        recv(
            c.carol,
            2,
            &m(GroupContent::Edit(EditMessage {
                message_id: mid(1),
                text: "edited".into(),
            })),
        ),
    );
    s.step(
        &mut g.rng,
        T + 13,
        recv(
            c.alice,
            3,
            &m(GroupContent::Edit(EditMessage {
                message_id: mid(1),
                text: "not alice's".into(),
            })),
        ),
    );
    s.step(
        &mut g.rng,
        T + 14,
        recv(
            c.alice,
            4,
            &m(GroupContent::Reaction(Reaction {
                message_id: mid(1),
                action: ReactionAction::Apply("👍".into()),
            })),
        ),
    );
    s.step(
        &mut g.rng,
        T + 15,
        recv(
            c.alice,
            5,
            &m(GroupContent::Reaction(Reaction {
                message_id: mid(77),
                action: ReactionAction::Apply("👍".into()),
            })),
        ),
    );
    s.step(
        &mut g.rng,
        T + 16,
        recv(
            c.alice,
            6,
            &m(GroupContent::DeliveryReceipt(DeliveryReceipt {
                status: ReceiptStatus::Read,
                message_ids: vec![mid(1)],
            })),
        ),
    );
    s.step(
        &mut g.rng,
        T + 17,
        recv(
            c.alice,
            7,
            &m(GroupContent::DeliveryReceipt(DeliveryReceipt {
                status: ReceiptStatus::Declined,
                message_ids: vec![mid(1)],
            })),
        ),
    );
    s.step(
        &mut g.rng,
        T + 18,
        recv(
            c.carol,
            8,
            &m(GroupContent::Delete(DeleteMessage { message_id: mid(1) })),
        ),
    );
    s.step(
        &mut g.rng,
        T + 19,
        recv(
            c.carol,
            9,
            &m(GroupContent::Edit(EditMessage {
                message_id: mid(1),
                text: "too late".into(),
            })),
        ),
    );
    let sent = s.step(
        &mut g.rng,
        T + 20,
        send_input(grp, GroupContent::Text("mine".into())),
    );
    let own = sent.sent.first().expect("bob's text is sent").message_id;
    s.step(
        &mut g.rng,
        T + 21,
        send_input(
            grp,
            GroupContent::Edit(EditMessage {
                message_id: own,
                text: "mine, edited".into(),
            }),
        ),
    );
    s.step(
        &mut g.rng,
        T + 22,
        send_input(
            grp,
            GroupContent::Edit(EditMessage {
                message_id: mid(1),
                text: "carol's".into(),
            }),
        ),
    );
    s.step(
        &mut g.rng,
        T + 23,
        send_input(
            grp,
            GroupContent::Reaction(Reaction {
                message_id: mid(1),
                action: ReactionAction::Withdraw("👍".into()),
            }),
        ),
    );
    s.step(
        &mut g.rng,
        T + 24,
        send_input(grp, GroupContent::Delete(DeleteMessage { message_id: own })),
    );
    s.step(
        &mut g.rng,
        T + 25,
        send_input(grp, GroupContent::Delete(DeleteMessage { message_id: own })),
    );
    g.push(
        "member: text, a duplicate message ID, edit by the sender, edit by someone else, \
         reactions to known and unknown messages, a read receipt (not used in groups), a legacy \
         reaction, delete, edit after delete; the user's own text, edit, a refused edit of \
         another's message, a reaction, delete and a second delete",
        &["Member", "Conversation"],
        &["GRP-11", "GRP-18", "GRP-19", "GRP-20", "GRP-21"],
        s,
    );
}

fn caller_errors(g: &mut Gen) {
    let c = cast();
    let mut s = Scenario::new(c.bob);
    let by_alice = group(c.alice, 0x31);
    s.step(
        &mut g.rng,
        T,
        recv(
            c.alice,
            1,
            &control_msg(by_alice, GroupControl::Setup(vec![c.bob])),
        ),
    );
    s.step(
        &mut g.rng,
        T + 1,
        update(by_alice, Some("mine now"), json!("keep"), &[], &[]),
    );
    s.step(&mut g.rng, T + 2, action("disband", by_alice));
    s.step(&mut g.rng, T + 3, action("resync", by_alice));
    s.step(&mut g.rng, T + 4, action("leave", group(c.alice, 0x32)));
    s.step(
        &mut g.rng,
        T + 5,
        json!({"action": "create", "name": "self", "members": ids(&[c.bob]), "picture": null}),
    );
    let own = g.create(&mut s, T + 6, "Bob's", &[c.carol]);
    s.step(&mut g.rng, T + 7, action("leave", own));
    s.step(
        &mut g.rng,
        T + 8,
        update(own, None, json!("keep"), &[c.bob], &[]),
    );
    s.step(&mut g.rng, T + 9, action("disband", own));
    s.step(&mut g.rng, T + 10, action("disband", own));
    s.step(
        &mut g.rng,
        T + 11,
        send_input(own, GroupContent::Text("disbanded".into())),
    );
    s.step(
        &mut g.rng,
        T + 12,
        send_input(by_alice, GroupContent::Leave),
    );
    g.push(
        "local actions the rules forbid fail and change nothing: update, disband and resync by \
         a non-creator, leave of an unknown group, the user as its own member, the creator \
         leaving, disbanding twice, sending to a disbanded group, a leave through send",
        &["CallerError"],
        &["GRP-6", "GRP-7", "GRP-8", "GRP-9", "GRP-10", "GRP-11"],
        s,
    );
}

fn invalid_inputs(g: &mut Gen) {
    let c = cast();
    let mut s = Scenario::new(c.bob);
    let grp = group(c.alice, 0x41);
    s.step(
        &mut g.rng,
        T,
        recv(
            c.alice,
            1,
            &control_msg(grp, GroupControl::Setup(vec![c.bob])),
        ),
    );
    s.step(&mut g.rng, T + 1, json!({"receive": {"from": c.alice.as_str(), "messageId": hex::encode(mid(2).0),
        "type": 0x4a, "body": format!("{}{}", hex::encode(grp.group_id.0), hex::encode(b"CAROL00"))}}));
    s.step(&mut g.rng, T + 2, json!({"receive": {"from": c.alice.as_str(), "messageId": hex::encode(mid(3).0),
        "type": 0x4a, "body": format!("{}{}", hex::encode(grp.group_id.0), hex::encode(b"carol000"))}}));
    s.step(
        &mut g.rng,
        T + 3,
        json!({"receive": {"from": c.carol.as_str(), "messageId": hex::encode(mid(4).0),
        "type": 0x41, "body": hex::encode(b"short")}}),
    );
    s.step(&mut g.rng, T + 4, recv(c.bob, 5, &text(grp, "from myself")));
    s.step(
        &mut g.rng,
        T + 5,
        recv(c.carol, 6, &Message::Text("a 1:1 text".into())),
    );
    s.step(
        &mut g.rng,
        T + 6,
        json!({"receive": {"from": c.alice.as_str(), "messageId": hex::encode(mid(7).0),
        "type": 0x51, "body": format!("{}00", hex::encode(grp.group_id.0))}}),
    );
    g.push(
        "inputs that are not group messages fail with the E2E layer's code or a group error and \
         change nothing: a setup of 15 bytes, a lowercase member, a member container too short \
         for its header, a message from the user itself, a 1:1 type, a sync request with a body",
        &["InvalidInput"],
        &["GRP-1", "GRP-12", "GRP-28"],
        s,
    );
}

fn distribution(g: &mut Gen) {
    let c = cast();
    let mut s = Scenario::new(c.alice);
    let body = |m: &Message| hex::encode(m.encode_body().expect("encodes"));
    let hello = Message::Text("to my list".into());
    s.step(
        &mut g.rng,
        T,
        json!({"action": "distribute", "recipients": ids(&[c.dave, c.bob, c.carol]),
        "type": hello.type_code(), "body": body(&hello)}),
    );
    s.step(
        &mut g.rng,
        T + 1,
        json!({"action": "distribute", "recipients": ids(&[c.bob, c.alice]),
        "type": hello.type_code(), "body": body(&hello)}),
    );
    let grp_text = text(group(c.alice, 1), "group type");
    s.step(
        &mut g.rng,
        T + 2,
        json!({"action": "distribute", "recipients": ids(&[c.bob]),
        "type": grp_text.type_code(), "body": body(&grp_text)}),
    );
    g.push(
        "distribution list: one 1:1 message per recipient, each with its own message ID and the \
         same creation time; the user as recipient and a group type fail; no group state",
        &["DistributionList"],
        &["GRP-3", "GRP-26", "GRP-29"],
        s,
    );
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
    creator_lifecycle(&mut g);
    notes_group(&mut g);
    member_lifecycle(&mut g);
    unknown_group_loop_breaker(&mut g);
    sender_not_member(&mut g);
    creator_answers_sync_requests(&mut g);
    same_group_id_other_creator(&mut g);
    leaving(&mut g);
    periodic_sync(&mut g);
    concurrent_updates(&mut g);
    conversation(&mut g);
    caller_errors(&mut g);
    invalid_inputs(&mut g);
    distribution(&mut g);
    g.file.finish()
}
