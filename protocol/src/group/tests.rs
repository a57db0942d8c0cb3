//! Unit tests of the group rules: one creator and members in memory, virtual time.

use std::collections::BTreeSet;

use super::*;
use crate::e2e::{GroupContent, GroupControl, GroupId, Message, MessageId};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fn seeded_rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn id(s: &str) -> Identity {
    s.parse().unwrap()
}

const T0: u64 = 1_767_225_600_000;

fn at(offset: u64) -> Timestamp {
    Timestamp::from_millis(T0 + offset)
}

/// Delivers every entry of `out` addressed to `client`.
fn deliver(client: &mut GroupClient, from: Identity, out: &Outcome, now: Timestamp) -> Outcome {
    let mut rng = seeded_rng(9);
    let mut all = Outcome::default();
    let me = client.me();
    for entry in out.sent.iter().filter(|e| e.recipients.contains(&me)) {
        let r = client
            .handle_message(now, &mut rng, from, entry.message_id, &entry.message)
            .unwrap();
        all.sent.extend(r.sent);
        all.events.extend(r.events);
    }
    all
}

#[test]
fn member_view_follows_the_creator_bundle() {
    let (a, b, c) = (id("AAAAAAAA"), id("BBBBBBBB"), id("CCCCCCCC"));
    let mut rng = seeded_rng(1);
    let mut creator = GroupClient::new(a);
    let mut member_b = GroupClient::new(b);
    let (group, out) = creator
        .create(at(0), &mut rng, "Lunch", None, BTreeSet::from([b, c]))
        .unwrap();
    assert_eq!(out.sent.len(), 3);
    assert!(out.sent.iter().all(|e| e.created_at == at(0)));
    deliver(&mut member_b, a, &out, at(1));
    let view = member_b.group(&group).unwrap();
    assert_eq!(view.members, creator.group(&group).unwrap().members);
    assert_eq!(view.name, "Lunch");

    // Kick b: b gets an empty setup under the same ID as the members' setup (GRP-4).
    let out = creator
        .update(
            at(2),
            &mut rng,
            group,
            &GroupUpdate {
                name: None,
                picture: PictureChange::Keep,
                add: BTreeSet::new(),
                remove: BTreeSet::from([b]),
            },
        )
        .unwrap();
    assert_eq!(out.sent[0].recipients, vec![b]);
    assert_eq!(out.sent[0].message_id, out.sent[1].message_id);
    let events = deliver(&mut member_b, a, &out, at(3));
    assert_eq!(events.events, vec![GroupEvent::Kicked(group)]);
    assert_eq!(member_b.group(&group).unwrap().status, GroupStatus::Kicked);
}

#[test]
fn loop_breaker_holds_a_second_sync_request_for_an_hour() {
    let (a, b, c) = (id("AAAAAAAA"), id("BBBBBBBB"), id("CCCCCCCC"));
    let group = GroupIdentity {
        creator: a,
        group_id: GroupId([7; 8]),
    };
    let text = Message::Group(crate::e2e::GroupMessage {
        group,
        content: GroupContent::Text("hi".into()),
    });
    let mut rng = seeded_rng(2);
    let mut client = GroupClient::new(b);
    let first = client
        .handle_message(at(0), &mut rng, c, MessageId([1; 8]), &text)
        .unwrap();
    assert_eq!(first.sent.len(), 1);
    assert_eq!(first.sent[0].recipients, vec![a]);
    assert!(
        matches!(&first.sent[0].message, Message::GroupControl(m) if m.content == GroupControl::SyncRequest)
    );
    let second = client
        .handle_message(
            at(SYNC_MARK_MILLIS - 1),
            &mut rng,
            c,
            MessageId([2; 8]),
            &text,
        )
        .unwrap();
    assert!(second.sent.is_empty());
    assert_eq!(second.events[0], GroupEvent::SyncRequestSuppressed(group));
    let third = client
        .handle_message(at(SYNC_MARK_MILLIS), &mut rng, c, MessageId([3; 8]), &text)
        .unwrap();
    assert_eq!(third.sent.len(), 1);
}

#[test]
fn creator_resyncs_after_seven_days_of_silence() {
    let (a, b) = (id("AAAAAAAA"), id("BBBBBBBB"));
    let mut rng = seeded_rng(3);
    let mut creator = GroupClient::new(a);
    let (group, _) = creator
        .create(at(0), &mut rng, "x", None, BTreeSet::from([b]))
        .unwrap();
    let out = creator
        .send(
            at(PERIODIC_SYNC_MILLIS),
            &mut rng,
            group,
            GroupContent::Text("a".into()),
        )
        .unwrap();
    assert_eq!(
        out.sent.len(),
        1,
        "exactly seven days is not more than seven days"
    );
    let out = creator
        .send(
            at(PERIODIC_SYNC_MILLIS + 1),
            &mut rng,
            group,
            GroupContent::Text("b".into()),
        )
        .unwrap();
    assert_eq!(out.sent.len(), 4);
    assert_eq!(out.events, vec![GroupEvent::PeriodicSync(group)]);
}

#[test]
fn errors_change_nothing() {
    let (a, b) = (id("AAAAAAAA"), id("BBBBBBBB"));
    let mut rng = seeded_rng(4);
    let mut creator = GroupClient::new(a);
    let (group, _) = creator
        .create(at(0), &mut rng, "x", None, BTreeSet::from([b]))
        .unwrap();
    let before = creator.digest();
    assert_eq!(
        creator.leave(at(1), &mut rng, group),
        Err(GroupError::CreatorCannotLeave)
    );
    assert_eq!(
        creator
            .create(at(1), &mut rng, "y", None, BTreeSet::from([a]))
            .unwrap_err(),
        GroupError::MemberIsSelf
    );
    assert_eq!(creator.digest(), before);
}

#[test]
fn state_file_round_trips_the_whole_state() {
    let (a, b, c) = (id("AAAAAAAA"), id("BBBBBBBB"), id("CCCCCCCC"));
    let mut rng = seeded_rng(5);
    let mut creator = GroupClient::new(a);
    let (group, _) = creator
        .create(at(0), &mut rng, "Lunch", None, BTreeSet::from([b, c]))
        .unwrap();
    creator
        .send(at(1), &mut rng, group, GroupContent::Text("hi".into()))
        .unwrap();
    let poll = Poll::new("d".into(), true, 1, vec![(1, "x".into()), (2, "y".into())]);
    let (key, _) = creator.poll_create(at(2), &mut rng, group, poll).unwrap();
    creator
        .poll_vote(at(3), &mut rng, group, key, vec![(1, true), (2, true)])
        .unwrap();
    let sync = Message::GroupControl(crate::e2e::GroupControlMessage {
        group_id: group.group_id,
        content: GroupControl::SyncRequest,
    });
    creator
        .handle_message(at(4), &mut rng, b, MessageId([9; 8]), &sync)
        .unwrap();
    let restored = GroupClient::from_json(&creator.to_json()).unwrap();
    assert_eq!(restored, creator);
    assert_eq!(restored.digest(), creator.digest());
    assert_eq!(
        GroupClient::from_json(&serde_json::json!({"format": "other"})),
        Err(GroupError::InvalidState)
    );
}

#[test]
fn copies_carry_threemas_flags() {
    let (a, b) = (id("AAAAAAAA"), id("BBBBBBBB"));
    let mut rng = seeded_rng(6);
    let mut creator = GroupClient::new(a);
    let (group, out) = creator
        .create(at(0), &mut rng, "x", None, BTreeSet::from([b]))
        .unwrap();
    assert!(
        out.sent.iter().all(|e| e.flags() == 0),
        "control messages carry no flag"
    );
    let out = creator
        .send(at(1), &mut rng, group, GroupContent::Text("t".into()))
        .unwrap();
    assert_eq!(out.sent[0].flags(), crate::e2e::MessageFlags::SEND_PUSH);
}
