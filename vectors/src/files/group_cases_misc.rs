//! Group scenarios for conversation messages, caller errors, invalid inputs and distribution
//! lists (GRP-11, GRP-18 to GRP-21, GRP-26, GRP-28).

use saltrelay_protocol::e2e::{
    DeleteMessage, DeliveryReceipt, EditMessage, GroupContent, GroupControl, Message, Reaction,
    ReactionAction, ReceiptStatus,
};
use serde_json::json;

use super::group_common::{
    Party, T, action, cast, control_msg, deliver, group, ids, member_msg, mid, recv, send_input,
    set, text,
};
use super::group_runner::Scenario;
use super::group_scenarios::{Gen, ts, update};

#[expect(clippy::too_many_lines, reason = "a scenario is one linear script")]
pub(super) fn conversation(g: &mut Gen) {
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

pub(super) fn caller_errors(g: &mut Gen) {
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
        update(by_alice, Some("mine now"), &json!("keep"), &[], &[]),
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
        update(own, None, &json!("keep"), &[c.bob], &[]),
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

pub(super) fn invalid_inputs(g: &mut Gen) {
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

pub(super) fn distribution(g: &mut Gen) {
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
