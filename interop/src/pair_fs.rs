//! `interop pair`, forward secrecy (spec/08-interop.md, IOP-22): one side of a session on each
//! peer, every envelope one outputs delivered to the other through the runner, along the
//! script of IOP-22 (Init, Accept, 2DH and 4DH messages, three delivered last-first,
//! Terminate, a new session). Each step is held to what FS-17 to FS-35 prescribe, each
//! delivered message is compared with what was sent, and whenever nothing is in flight the
//! two sides' chains must agree.

use std::collections::{BTreeMap, VecDeque};

use rand_core::{Rng as _, SeedableRng as _};
use saltrelay_protocol::crypto::SecretKey;
use serde_json::{Map, Value, json};

use crate::pair_script::{Machine, Scenario, Stepped, field};
use crate::peer::Peer;
use crate::report::{Problem, Row};

/// The capability both peers must claim (IOP-20).
pub(crate) const CAPABILITY: &str = "fs.session";
const SPEC_REFS: &[&str] = &[
    "IOP-22", "FS-17", "FS-24", "FS-25", "FS-26", "FS-29", "FS-36",
];
/// The bytes of randomness each side gets (IOP-22).
const RANDOM: usize = 4096;
/// 2026-01-01T00:00:00Z in milliseconds.
const T: u64 = 1_767_225_600_000;
/// The text message type (E2E-23).
const TEXT: u64 = 1;
const STEP_FIELDS: [&str; 3] = ["outputs", "events", "checkpoint"];

/// Who acts in a step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Initiator,
    Responder,
}

/// One step of the script.
enum Action {
    /// Send this text.
    Send(&'static str),
    /// Deliver the oldest envelope in flight to this side.
    Deliver,
    /// Deliver the newest envelope in flight (out of order).
    DeliverNewest,
    /// Terminate with this cause (FS-29).
    Terminate(u64),
}

/// A step and what FS-17 to FS-35 say it does.
struct Step {
    who: Who,
    action: Action,
    /// The `kind` of each output, in order.
    outputs: &'static [&'static str],
    /// The `event` of each event, in order.
    events: &'static [&'static str],
    error: Option<&'static str>,
    /// The states of the acting side's sessions afterwards (its checkpoint, in order).
    states: &'static [&'static str],
}

const fn step(
    who: Who,
    action: Action,
    outputs: &'static [&'static str],
    events: &'static [&'static str],
    error: Option<&'static str>,
    states: &'static [&'static str],
) -> Step {
    Step {
        who,
        action,
        outputs,
        events,
        error,
        states,
    }
}

const I: Who = Who::Initiator;
const R: Who = Who::Responder;
const CTRL_ENC: &[&str] = &["control", "encapsulated"];
const ENC: &[&str] = &["encapsulated"];
const CTRL: &[&str] = &["control"];
const NONE: &[&str] = &[];
const RECEIVED: &[&str] = &["received"];
const CREATED: &[&str] = &["session_created"];
const ACCEPTED: &[&str] = &["session_created", "state_changed"];
const CHANGED: &[&str] = &["state_changed"];
const CHANGED_RECEIVED: &[&str] = &["state_changed", "received"];

/// The script of IOP-22.
const SCRIPT: &[Step] = &[
    step(I, Action::Send("one"), CTRL_ENC, CREATED, None, &["L20"]),
    step(R, Action::Deliver, CTRL, ACCEPTED, None, &["R24"]),
    step(R, Action::Deliver, NONE, RECEIVED, None, &["R24"]),
    step(I, Action::Deliver, NONE, CHANGED, None, &["L44"]),
    step(R, Action::Send("two"), ENC, NONE, None, &["R24"]),
    step(I, Action::Deliver, NONE, RECEIVED, None, &["L44"]),
    step(I, Action::Send("three"), ENC, NONE, None, &["L44"]),
    step(R, Action::Deliver, NONE, CHANGED_RECEIVED, None, &["R44"]),
    step(I, Action::Send("four"), ENC, NONE, None, &["L44"]),
    step(I, Action::Send("five"), ENC, NONE, None, &["L44"]),
    step(I, Action::Send("six"), ENC, NONE, None, &["L44"]),
    step(
        R,
        Action::DeliverNewest,
        NONE,
        &["messages_skipped", "received"],
        None,
        &["R44"],
    ),
    step(
        R,
        Action::Deliver,
        NONE,
        NONE,
        Some("counter_behind"),
        &["R44"],
    ),
    step(
        R,
        Action::Deliver,
        NONE,
        NONE,
        Some("counter_behind"),
        &["R44"],
    ),
    step(R, Action::Send("seven"), ENC, NONE, None, &["R44"]),
    step(I, Action::Deliver, NONE, RECEIVED, None, &["L44"]),
    step(
        I,
        Action::Terminate(1),
        CTRL,
        &["session_removed"],
        None,
        &[],
    ),
    step(R, Action::Deliver, NONE, &["session_removed"], None, &[]),
    step(I, Action::Send("eight"), CTRL_ENC, CREATED, None, &["L20"]),
    step(R, Action::Deliver, CTRL, ACCEPTED, None, &["R24"]),
    step(R, Action::Deliver, NONE, RECEIVED, None, &["R24"]),
    step(I, Action::Deliver, NONE, CHANGED, None, &["L44"]),
];

/// Both scenarios of IOP-22 (A initiates, then B), or skipped rows.
pub(crate) fn scenarios(peers: &mut [Peer; 2], run: bool) -> (Vec<Row>, Vec<Problem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for initiator in [0, 1] {
        let name = format!(
            "fs.session ({} initiates)",
            crate::pair_script::name(initiator)
        );
        if !run {
            rows.push(crate::pair_script::skipped(name, SCRIPT.len()));
            continue;
        }
        let mut scenario = Scenario::new(name, CAPABILITY, SPEC_REFS, peers);
        let outcome = conversation(&mut scenario, initiator);
        let (row, problem) = scenario.row(SCRIPT.len(), outcome);
        rows.push(row);
        problems.extend(problem);
    }
    (rows, problems)
}

/// An envelope in flight to one side, with the message ID it travels under.
struct InFlight {
    message_id: String,
    envelope: Value,
}

/// The conversation's running state.
struct Conversation {
    sides: [Machine; 2],
    /// Envelopes in flight to each side (index: `Who as usize`).
    queues: [VecDeque<InFlight>; 2],
    /// The text each message ID was sent with.
    texts: BTreeMap<String, String>,
    /// Each side's checkpoint after its last step.
    checkpoints: [Value; 2],
    next_id: u64,
}

impl Conversation {
    fn fresh_id(&mut self) -> String {
        self.next_id += 1;
        hex::encode(self.next_id.to_le_bytes())
    }
}

fn index(who: Who) -> usize {
    usize::from(who == Who::Responder)
}

fn conversation(scenario: &mut Scenario<'_>, initiator: usize) -> Result<(), Box<Problem>> {
    let names = ["PAIRFS01", "PAIRFS02"];
    let secrets = [[0x31u8; 32], [0x32u8; 32]];
    let mut sides = Vec::new();
    for (i, (me, secret)) in names.iter().zip(&secrets).enumerate() {
        let other = 1 - i;
        let mut random = vec![0u8; RANDOM];
        rand_chacha::ChaCha20Rng::seed_from_u64(0x7061_6972_0000 + i as u64)
            .fill_bytes(&mut random);
        let Value::Object(input) = json!({
            "identity": me,
            "secretKey": hex::encode(secret),
            "peer": names[other],
            "peerPublicKey": hex::encode(SecretKey::from_bytes(secrets[other]).public_key().as_bytes()),
            "random": hex::encode(random),
        }) else {
            unreachable!("a JSON object literal")
        };
        let peer = if i == 0 { initiator } else { 1 - initiator };
        let role = if i == 0 { "initiator" } else { "responder" };
        sides.push(scenario.create(peer, role, "fs.session.new", &input)?);
    }
    let [first, second]: [Machine; 2] = sides.try_into().expect("two sides");
    let mut talk = Conversation {
        sides: [first, second],
        queues: [VecDeque::new(), VecDeque::new()],
        texts: BTreeMap::new(),
        checkpoints: [json!([]), json!([])],
        next_id: 0x2000,
    };
    for (number, planned) in SCRIPT.iter().enumerate() {
        run_step(scenario, &mut talk, planned, T + number as u64)?;
        scenario.passed += 1;
    }
    Ok(())
}

fn run_step(
    scenario: &mut Scenario<'_>,
    talk: &mut Conversation,
    planned: &Step,
    now: u64,
) -> Result<(), Box<Problem>> {
    let me = index(planned.who);
    let machine = talk.sides[me].clone();
    let mut input = Map::new();
    input.insert("now".into(), now.into());
    let mut delivered = None;
    match planned.action {
        Action::Send(text) => {
            let id = talk.fresh_id();
            talk.texts.insert(id.clone(), hex::encode(text));
            input.insert("action".into(), "send".into());
            input.insert("messageId".into(), id.into());
            input.insert("innerType".into(), TEXT.into());
            input.insert("innerBody".into(), hex::encode(text).into());
        }
        Action::Deliver | Action::DeliverNewest => {
            let queue = &mut talk.queues[me];
            let next = if matches!(planned.action, Action::Deliver) {
                queue.pop_front()
            } else {
                queue.pop_back()
            };
            let Some(next) = next else {
                return Err(scenario.failure(
                    machine.peer,
                    machine.role,
                    "outputs",
                    "an envelope in flight to deliver",
                    "none: the other side sent fewer envelopes",
                ));
            };
            input.insert("action".into(), "receive".into());
            input.insert("messageId".into(), next.message_id.clone().into());
            input.insert("envelope".into(), next.envelope);
            delivered = Some(next.message_id);
        }
        Action::Terminate(cause) => {
            input.insert("action".into(), "terminate".into());
            input.insert("cause".into(), cause.into());
        }
    }
    let stepped = scenario.step(&machine, "fs.session.step", input, &STEP_FIELDS)?;
    judge(
        scenario,
        &machine,
        planned,
        &stepped,
        delivered.as_deref(),
        talk,
    )?;
    // Everything this side output is now in flight to the other.
    let outputs = field(&stepped.output, "outputs")
        .as_array()
        .cloned()
        .unwrap_or_default();
    for output in outputs {
        let message_id = match output.get("messageId").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => talk.fresh_id(),
        };
        let envelope = output.get("envelope").cloned().unwrap_or(Value::Null);
        talk.queues[1 - me].push_back(InFlight {
            message_id,
            envelope,
        });
    }
    talk.checkpoints[me] = field(&stepped.output, "checkpoint").clone();
    if talk.queues.iter().all(VecDeque::is_empty) {
        chains_agree(scenario, talk)?;
    }
    Ok(())
}

/// The step's output kinds, event names, error, received texts and states (FS-17 to FS-35).
fn judge(
    scenario: &Scenario<'_>,
    machine: &Machine,
    planned: &Step,
    stepped: &Stepped,
    delivered: Option<&str>,
    talk: &Conversation,
) -> Result<(), Box<Problem>> {
    let error = stepped.error.as_deref().map_or(Value::Null, Value::from);
    let expected_error = planned.error.map_or(Value::Null, Value::from);
    if error != expected_error {
        return Err(scenario.mismatch(machine, "error", &expected_error, &error));
    }
    let names = |name: &str, key: &str| -> Value {
        field(&stepped.output, name)
            .as_array()
            .map_or(Value::Null, |list| {
                list.iter()
                    .map(|item| item.get(key).cloned().unwrap_or(Value::Null))
                    .collect()
            })
    };
    let expected_kinds: Value = planned.outputs.iter().map(|k| Value::from(*k)).collect();
    let kinds = names("outputs", "kind");
    if kinds != expected_kinds {
        return Err(scenario.mismatch(machine, "outputs (kinds)", &expected_kinds, &kinds));
    }
    let expected_events: Value = planned.events.iter().map(|k| Value::from(*k)).collect();
    let events = names("events", "event");
    if events != expected_events {
        return Err(scenario.mismatch(machine, "events (names)", &expected_events, &events));
    }
    let expected_states: Value = planned.states.iter().map(|k| Value::from(*k)).collect();
    let states = names("checkpoint", "state");
    if states != expected_states {
        return Err(scenario.mismatch(machine, "checkpoint (states)", &expected_states, &states));
    }
    for event in field(&stepped.output, "events")
        .as_array()
        .into_iter()
        .flatten()
    {
        if event.get("event").and_then(Value::as_str) != Some("received") {
            continue;
        }
        let id = delivered.unwrap_or_default();
        let expected = json!({
            "messageId": id,
            "innerType": TEXT,
            "innerBody": talk.texts.get(id).cloned().unwrap_or_default(),
        });
        let actual = json!({
            "messageId": event.get("messageId"),
            "innerType": event.get("innerType"),
            "innerBody": event.get("innerBody"),
        });
        if actual != expected {
            return Err(scenario.mismatch(
                machine,
                "events (received message)",
                &expected,
                &actual,
            ));
        }
    }
    Ok(())
}

/// With nothing in flight, for every session both sides hold, each side's local chains equal
/// the other's remote chains (IOP-22).
fn chains_agree(scenario: &Scenario<'_>, talk: &Conversation) -> Result<(), Box<Problem>> {
    let sessions = |side: usize| -> BTreeMap<String, Map<String, Value>> {
        talk.checkpoints[side]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .filter_map(|c| Some((c.get("sessionId")?.as_str()?.to_owned(), c.clone())))
            .collect()
    };
    let both = [sessions(0), sessions(1)];
    for (session, mine) in &both[0] {
        let Some(theirs) = both[1].get(session) else {
            continue;
        };
        for (local, remote) in [("local2dh", "remote2dh"), ("local4dh", "remote4dh")] {
            for (receiver, s, r) in [(1, mine, theirs), (0, theirs, mine)] {
                let (Some(sent), Some(received)) = (s.get(local), r.get(remote)) else {
                    continue;
                };
                if sent != received {
                    let machine = &talk.sides[receiver];
                    return Err(scenario.mismatch(
                        machine,
                        &format!(
                            "checkpoint {remote} of session {session} (the other side's {local})"
                        ),
                        sent,
                        received,
                    ));
                }
            }
        }
    }
    Ok(())
}
