//! Member-side group scenarios: joining, kicks, unknown groups, the loop breaker, another
//! creator's setup, updates in either order (GRP-1, GRP-12 to GRP-16).

use saltrelay_protocol::e2e::{GroupContent, GroupControl};
use saltrelay_protocol::group::GroupUpdate;

use super::group_common::{
    HOUR, MINUTE, Party, T, cast, control_msg, deliver, group, member_msg, recv, send_input, set,
    text,
};
use super::group_runner::Scenario;
use super::group_scenarios::{Gen, no_update, picture, ts};

#[expect(clippy::too_many_lines, reason = "a scenario is one linear script")]
pub(super) fn member_lifecycle(g: &mut Gen) {
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

pub(super) fn unknown_group_loop_breaker(g: &mut Gen) {
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

pub(super) fn sender_not_member(g: &mut Gen) {
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

pub(super) fn same_group_id_other_creator(g: &mut Gen) {
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

pub(super) fn concurrent_updates(g: &mut Gen) {
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
        let (earlier, later) = if reversed {
            (&second, &first)
        } else {
            (&first, &second)
        };
        deliver(&mut s, &mut g.rng, c.alice, earlier, T + 2 * MINUTE);
        deliver(&mut s, &mut g.rng, c.alice, later, T + 3 * MINUTE);
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

pub(super) fn disbanded_under_a_member(g: &mut Gen) {
    let c = cast();
    let mut alice = Party::new(c.alice);
    let mut s = Scenario::new(c.bob);
    let (grp, out) = alice
        .client
        .create(
            ts(T),
            &mut g.other,
            "Short-lived",
            None,
            set(&[c.bob, c.carol]),
        )
        .expect("alice creates");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + 1);
    let out = alice
        .client
        .disband(ts(T + MINUTE), &mut g.other, grp)
        .expect("alice disbands");
    deliver(&mut s, &mut g.rng, c.alice, &out, T + MINUTE);
    s.step(
        &mut g.rng,
        T + 2 * MINUTE,
        recv(c.carol, 1, &text(grp, "did it end?")),
    );
    s.step(
        &mut g.rng,
        T + 3 * MINUTE,
        send_input(grp, GroupContent::Text("no".into())),
    );
    s.step(
        &mut g.rng,
        T + 4 * MINUTE,
        recv(c.carol, 2, &member_msg(grp, GroupContent::Leave)),
    );
    g.push(
        "member: the creator disbands (an empty setup to every member: the member cannot tell it \
         from a kick and marks the group kicked); a text from another member is answered with a \
         leave; the user cannot send; a leave for the group asks the creator for a sync",
        &["Member", "Disband", "Kick"],
        &["GRP-8", "GRP-12", "GRP-13", "GRP-15"],
        s,
    );
}
