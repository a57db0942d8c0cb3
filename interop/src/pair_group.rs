//! `interop pair`, groups (spec/08-interop.md, IOP-23): the creator's group client on one
//! peer and two members' on the other, every entry a client sends delivered to each of its
//! recipients through the runner, along the script of IOP-23 (create, a text, a removal and a
//! rename, a text, a leave, a disband). No step may fail, and after each delivery round every
//! client's view of the group is compared with the creator's.

use std::collections::VecDeque;

use rand_core::{Rng as _, SeedableRng as _};
use serde_json::{Map, Value, json};

use crate::pair_script::{Machine, Scenario, field, name, skipped};
use crate::peer::Peer;
use crate::report::{Problem, Row};

/// The capability both peers must claim (IOP-20).
pub(crate) const CAPABILITY: &str = "groups.client";
const SPEC_REFS: &[&str] = &["IOP-23", "GRP-11", "GRP-13", "GRP-14", "GRP-15", "GRP-28"];
const STEP_FIELDS: [&str; 3] = ["sent", "events", "checkpoint"];
/// The bytes of randomness each client gets (IOP-20).
const RANDOM: usize = 1024;
/// 2026-01-01T00:00:00Z in milliseconds.
const T: u64 = 1_767_225_600_000;
/// The group text type (E2E-21).
const GROUP_TEXT: u64 = 0x41;
const CREATOR: &str = "PAIRGRP0";
const MEMBERS: [&str; 2] = ["PAIRGRP1", "PAIRGRP2"];

/// Who acts: the creator (0) or a member (1, 2).
type Client = usize;

/// One scripted action and every client's status once it is delivered (IOP-23).
struct Step {
    actor: Client,
    action: fn(&Value) -> Value,
    statuses: [&'static str; 3],
}

/// The script of IOP-23.
const SCRIPT: [Step; 6] = [
    Step {
        actor: 0,
        action: |_| json!({"action": "create", "members": MEMBERS, "name": "pair", "picture": null}),
        statuses: ["active", "active", "active"],
    },
    Step {
        actor: 1,
        action: |group| text(group, "hello from member 1"),
        statuses: ["active", "active", "active"],
    },
    Step {
        actor: 0,
        action: |group| {
            json!({"action": "update", "group": group, "add": [], "remove": [MEMBERS[1]],
                   "name": "pair renamed", "picture": "keep"})
        },
        statuses: ["active", "active", "kicked"],
    },
    Step {
        actor: 1,
        action: |group| text(group, "still here"),
        statuses: ["active", "active", "kicked"],
    },
    Step {
        actor: 1,
        action: |group| json!({"action": "leave", "group": group}),
        statuses: ["active", "left", "kicked"],
    },
    Step {
        actor: 0,
        action: |group| json!({"action": "disband", "group": group}),
        statuses: ["disbanded", "left", "kicked"],
    },
];

fn text(group: &Value, text: &str) -> Value {
    json!({"action": "send", "group": group, "type": GROUP_TEXT, "body": hex::encode(text)})
}

/// Both scenarios of IOP-23 (creator on A, then on B), or skipped rows.
pub(crate) fn scenarios(peers: &mut [Peer; 2], run: bool) -> (Vec<Row>, Vec<Problem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for creator in [0, 1] {
        let title = format!("groups.client (creator on {})", name(creator));
        if !run {
            rows.push(skipped(title, SCRIPT.len()));
            continue;
        }
        let mut scenario = Scenario::new(title, CAPABILITY, SPEC_REFS, peers);
        let outcome = group(&mut scenario, creator);
        let (row, problem) = scenario.row(SCRIPT.len(), outcome);
        rows.push(row);
        problems.extend(problem);
    }
    (rows, problems)
}

/// The running scenario: the three clients, their identities and latest checkpoints.
struct Cast {
    clients: [Machine; 3],
    checkpoints: [Value; 3],
    at: u64,
}

fn group(scenario: &mut Scenario<'_>, creator_peer: usize) -> Result<(), Box<Problem>> {
    let identities = [CREATOR, MEMBERS[0], MEMBERS[1]];
    let roles = ["creator", "member 1", "member 2"];
    let mut clients = Vec::new();
    for (i, me) in identities.iter().enumerate() {
        let mut random = vec![0u8; RANDOM];
        rand_chacha::ChaCha20Rng::seed_from_u64(0x6772_7000 + i as u64).fill_bytes(&mut random);
        let Value::Object(input) = json!({"me": me, "random": hex::encode(random)}) else {
            unreachable!("a JSON object literal")
        };
        let peer = if i == 0 {
            creator_peer
        } else {
            1 - creator_peer
        };
        clients.push(scenario.create(peer, roles[i], "group.client.new", &input)?);
    }
    let mut cast = Cast {
        clients: clients.try_into().expect("three clients"),
        checkpoints: [json!({}), json!({}), json!({})],
        at: T,
    };
    let mut group = Value::Null;
    for planned in &SCRIPT {
        let input = (planned.action)(&group);
        let sent = act(scenario, &mut cast, planned.actor, input)?;
        deliver(scenario, &mut cast, planned.actor, sent)?;
        if group.is_null() {
            group = first_group(&cast.checkpoints[0]);
        }
        compare(scenario, &cast, &group, &planned.statuses)?;
        scenario.passed += 1;
    }
    Ok(())
}

/// Runs one step on `client`; no step of the script may fail. Returns what it sent.
fn act(
    scenario: &mut Scenario<'_>,
    cast: &mut Cast,
    client: Client,
    input: Value,
) -> Result<Vec<Value>, Box<Problem>> {
    cast.at += 1;
    let mut step = Map::new();
    step.insert("at".into(), cast.at.into());
    step.insert("input".into(), input);
    let machine = cast.clients[client].clone();
    let stepped = scenario.step(&machine, "group.client.step", step, &STEP_FIELDS)?;
    if let Some(code) = stepped.error {
        return Err(scenario.failure(machine.peer, machine.role, "error", "no error", &code));
    }
    cast.checkpoints[client] = field(&stepped.output, "checkpoint").clone();
    Ok(field(&stepped.output, "sent")
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// Delivers `sent` by `from`, and whatever the deliveries send, until nothing is left.
fn deliver(
    scenario: &mut Scenario<'_>,
    cast: &mut Cast,
    from: Client,
    sent: Vec<Value>,
) -> Result<(), Box<Problem>> {
    let identities = [CREATOR, MEMBERS[0], MEMBERS[1]];
    let mut queue: VecDeque<(Client, Value)> = sent.into_iter().map(|e| (from, e)).collect();
    while let Some((sender, entry)) = queue.pop_front() {
        let recipients: Vec<String> = entry
            .get("to")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        for recipient in recipients {
            let Some(to) = identities.iter().position(|id| *id == recipient) else {
                let machine = &cast.clients[sender];
                return Err(scenario.failure(
                    machine.peer,
                    machine.role,
                    "sent[].to",
                    "identities of the group",
                    &recipient,
                ));
            };
            let receive = json!({"receive": {
                "from": identities[sender],
                "messageId": entry.get("messageId"),
                "type": entry.get("type"),
                "body": entry.get("body"),
            }});
            let more = act(scenario, cast, to, receive)?;
            queue.extend(more.into_iter().map(|e| (to, e)));
        }
    }
    Ok(())
}

/// The group the creator's checkpoint holds.
fn first_group(checkpoint: &Value) -> Value {
    checkpoint
        .pointer("/groups/0/group")
        .cloned()
        .unwrap_or(Value::Null)
}

/// Each client's view of `group`: its status as scripted, and while active the creator's name
/// and members (IOP-23).
fn compare(
    scenario: &Scenario<'_>,
    cast: &Cast,
    group: &Value,
    statuses: &[&str; 3],
) -> Result<(), Box<Problem>> {
    let view = |client: Client| -> Value {
        cast.checkpoints[client]
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|g| g.get("group") == Some(group))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let creator = view(0);
    for (client, status) in statuses.iter().enumerate() {
        let machine = &cast.clients[client];
        let mine = view(client);
        let actual = mine.get("status").cloned().unwrap_or(Value::Null);
        if actual != *status {
            return Err(scenario.mismatch(
                machine,
                "checkpoint status of the group",
                &Value::from(*status),
                &actual,
            ));
        }
        if *status == "active" && client != 0 {
            for key in ["name", "members"] {
                let expected = creator.get(key).cloned().unwrap_or(Value::Null);
                let actual = mine.get(key).cloned().unwrap_or(Value::Null);
                if actual != expected {
                    return Err(scenario.mismatch(
                        machine,
                        &format!("checkpoint {key} of the group (the creator's)"),
                        &expected,
                        &actual,
                    ));
                }
            }
        }
    }
    Ok(())
}
