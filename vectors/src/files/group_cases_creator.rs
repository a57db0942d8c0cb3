//! Creator-side group scenarios: lifecycle, notes group, sync requests, leaves, periodic sync
//! (GRP-4 to GRP-17).

use saltrelay_protocol::e2e::{GroupContent, GroupControl};
use serde_json::{Value, json};

use super::group_common::{
    DAY, HOUR, MINUTE, Party, T, action, cast, control_msg, deliver, group, member_msg, recv,
    send_input, set, text,
};
use super::group_runner::{Scenario, picture_json};
use super::group_scenarios::{Gen, picture, ts, update};

pub(super) fn creator_lifecycle(g: &mut Gen) {
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
        update(
            grp,
            Some("Lunch club"),
            &picture_json(&picture(1)),
            &[],
            &[],
        ),
    );
    s.step(
        &mut g.rng,
        T + 3 * MINUTE,
        update(grp, None, &json!("keep"), &[c.dave], &[c.carol]),
    );
    s.step(
        &mut g.rng,
        T + 4 * MINUTE,
        update(grp, None, &Value::Null, &[], &[]),
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

pub(super) fn notes_group(g: &mut Gen) {
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
        update(grp, None, &json!("keep"), &[c.bob], &[]),
    );
    s.step(
        &mut g.rng,
        T + 3,
        update(grp, None, &json!("keep"), &[], &[c.bob]),
    );
    g.push(
        "a notes group (no members) sends nothing; adding a member sends the bundle; removing \
         the last member sends only the empty setup",
        &["Creator", "NotesGroup"],
        &["GRP-3", "GRP-4", "GRP-6", "GRP-7"],
        s,
    );
}

pub(super) fn creator_answers_sync_requests(g: &mut Gen) {
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

pub(super) fn leaving(g: &mut Gen) {
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
        update(grp, Some("After bob"), &json!("keep"), &[], &[]),
    );
    g.push(
        "creator: a member's leave removes it (no bundle is sent); a second leave and a later \
         text from it are answered as from a non-member; the next update leaves it out",
        &["Creator", "Leave"],
        &["GRP-4", "GRP-7", "GRP-12", "GRP-15"],
        s,
    );
}

pub(super) fn periodic_sync(g: &mut Gen) {
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
