//! The scenario form of `group_scenarios.json` and `poll_scenarios.json` (GRP-28): one client fed
//! a list of steps (an incoming message or a local action) with the bytes each step draws, and
//! after each step the entries it sends, its events, its error and a state checkpoint. The same
//! code runs a step when generating (with a recording RNG) and when checking (with a replaying
//! one), so a vector says exactly what the machine did.

use std::collections::BTreeSet;

use rand_core::CryptoRng;
use saltrelay_protocol::e2e::{BlobReference, GroupId, GroupIdentity, Message, MessageId};
use saltrelay_protocol::group::{
    DistributionList, GroupClient, GroupEvent, GroupUpdate, Outcome, Outgoing, PictureChange, Poll,
    PollKey,
};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use serde_json::{Map, Value, json};

use super::common::hex_value;
use crate::case::{Case, Malformed};
use crate::check::Computed;
use crate::rng::ReplayRng;

fn bad(field: &str, why: &str) -> Malformed {
    Malformed::new(field, why)
}

pub(super) fn id_json(id: Identity) -> Value {
    id.as_str().into()
}

pub(super) fn group_json(group: GroupIdentity) -> Value {
    json!({"creator": group.creator.as_str(), "groupId": hex::encode(group.group_id.0)})
}

fn ids_json<'a>(ids: impl IntoIterator<Item = &'a Identity>) -> Value {
    ids.into_iter().map(|id| id_json(*id)).collect()
}

fn field<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a Value, Malformed> {
    map.get(key).ok_or_else(|| bad(key, "missing"))
}

fn str_of<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str, Malformed> {
    field(map, key)?
        .as_str()
        .ok_or_else(|| bad(key, "not a string"))
}

fn u64_of(map: &Map<String, Value>, key: &str) -> Result<u64, Malformed> {
    field(map, key)?
        .as_u64()
        .ok_or_else(|| bad(key, "not an unsigned integer"))
}

fn hex_of(map: &Map<String, Value>, key: &str) -> Result<Vec<u8>, Malformed> {
    hex::decode(str_of(map, key)?).map_err(|_| bad(key, "not hex"))
}

fn array8(map: &Map<String, Value>, key: &str) -> Result<[u8; 8], Malformed> {
    hex_of(map, key)?
        .try_into()
        .map_err(|_| bad(key, "not 8 bytes"))
}

fn identity(value: &Value, key: &str) -> Result<Identity, Malformed> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(key, "not an identity"))
}

fn identities(map: &Map<String, Value>, key: &str) -> Result<BTreeSet<Identity>, Malformed> {
    field(map, key)?
        .as_array()
        .ok_or_else(|| bad(key, "not a list"))?
        .iter()
        .map(|v| identity(v, key))
        .collect()
}

fn object<'a>(value: &'a Value, key: &str) -> Result<&'a Map<String, Value>, Malformed> {
    value.as_object().ok_or_else(|| bad(key, "not an object"))
}

fn group_of(map: &Map<String, Value>) -> Result<GroupIdentity, Malformed> {
    let g = object(field(map, "group")?, "group")?;
    Ok(GroupIdentity {
        creator: identity(field(g, "creator")?, "creator")?,
        group_id: GroupId(array8(g, "groupId")?),
    })
}

fn poll_of(map: &Map<String, Value>) -> Result<PollKey, Malformed> {
    let p = object(field(map, "poll")?, "poll")?;
    Ok(PollKey {
        creator: identity(field(p, "creator")?, "creator")?,
        poll_id: array8(p, "pollId")?,
    })
}

fn picture_of(value: &Value) -> Result<Option<BlobReference>, Malformed> {
    if value.is_null() {
        return Ok(None);
    }
    let p = object(value, "picture")?;
    Ok(Some(BlobReference {
        blob_id: hex_of(p, "blobId")?
            .try_into()
            .map_err(|_| bad("blobId", "not 16 bytes"))?,
        size: u32::try_from(u64_of(p, "size")?).map_err(|_| bad("size", "not u32"))?,
        key: hex_of(p, "key")?
            .try_into()
            .map_err(|_| bad("key", "not 32 bytes"))?,
    }))
}

/// A picture as the inputs write it.
pub(super) fn picture_json(blob: &BlobReference) -> Value {
    json!({"blobId": hex::encode(blob.blob_id), "size": blob.size, "key": hex::encode(blob.key)})
}

fn type_code(map: &Map<String, Value>) -> Result<u8, Malformed> {
    u8::try_from(u64_of(map, "type")?).map_err(|_| bad("type", "not a byte"))
}

/// What one step did: its entries and events, or the code of the error that stopped it.
pub(crate) type StepResult = Result<Outcome, &'static str>;

/// Runs one step's input on `client` (GRP-28).
#[expect(clippy::too_many_lines, reason = "one arm per input kind of GRP-28")]
pub(crate) fn run_input(
    client: &mut GroupClient,
    input: &Map<String, Value>,
    now: Timestamp,
    rng: &mut impl CryptoRng,
) -> Result<StepResult, Malformed> {
    if let Some(receive) = input.get("receive") {
        let r = object(receive, "receive")?;
        let from = identity(field(r, "from")?, "from")?;
        let message_id = MessageId(array8(r, "messageId")?);
        return Ok(match Message::decode(type_code(r)?, &hex_of(r, "body")?) {
            Err(e) => Err(e.code()),
            Ok(message) => client
                .handle_message(now, rng, from, message_id, &message)
                .map_err(|e| e.code()),
        });
    }
    let action = str_of(input, "action")?;
    let result = match action {
        "create" => client
            .create(
                now,
                rng,
                str_of(input, "name")?,
                picture_of(field(input, "picture")?)?,
                identities(input, "members")?,
            )
            .map(|(_, out)| out),
        "update" => {
            let picture = match field(input, "picture")? {
                Value::String(s) if s == "keep" => PictureChange::Keep,
                Value::Null => PictureChange::Remove,
                other => {
                    PictureChange::Set(picture_of(other)?.ok_or_else(|| bad("picture", "missing"))?)
                }
            };
            let change = GroupUpdate {
                name: field(input, "name")?.as_str().map(str::to_owned),
                picture,
                add: identities(input, "add")?,
                remove: identities(input, "remove")?,
            };
            client.update(now, rng, group_of(input)?, &change)
        }
        "disband" => client.disband(now, rng, group_of(input)?),
        "leave" => client.leave(now, rng, group_of(input)?),
        "resync" => client.resync(now, rng, group_of(input)?),
        "send" => {
            let group = group_of(input)?;
            let body = [
                &group.creator.as_bytes()[..],
                &group.group_id.0,
                &hex_of(input, "body")?,
            ]
            .concat();
            match Message::decode(type_code(input)?, &body) {
                Err(e) => return Ok(Err(e.code())),
                Ok(Message::Group(m)) => client.send(now, rng, group, m.content),
                Ok(_) => return Err(bad("type", "not a group-member type")),
            }
        }
        "poll_create" => {
            let choices = field(input, "choices")?
                .as_array()
                .ok_or_else(|| bad("choices", "not a list"))?
                .iter()
                .map(|c| match c.as_array().map(Vec::as_slice) {
                    Some([id, text]) => Some((id.as_u64()?, text.as_str()?.to_owned())),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("choices", "not [id, text] pairs"))?;
            let poll = Poll::new(
                str_of(input, "description")?.to_owned(),
                field(input, "multiple")?
                    .as_bool()
                    .ok_or_else(|| bad("multiple", "not a bool"))?,
                u64_of(input, "announce")?,
                choices,
            );
            client
                .poll_create(now, rng, group_of(input)?, poll)
                .map(|(_, out)| out)
        }
        "poll_vote" => {
            let votes = field(input, "choices")?
                .as_array()
                .ok_or_else(|| bad("choices", "not a list"))?
                .iter()
                .map(|c| match c.as_array().map(Vec::as_slice) {
                    Some([id, chosen]) => Some((id.as_u64()?, chosen.as_u64()? == 1)),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("choices", "not [id, 0|1] pairs"))?;
            client.poll_vote(now, rng, group_of(input)?, poll_of(input)?, votes)
        }
        "poll_close" => client.poll_close(now, rng, group_of(input)?, poll_of(input)?),
        "distribute" => {
            let list = DistributionList {
                name: String::new(),
                recipients: identities(input, "recipients")?,
            };
            match Message::decode(type_code(input)?, &hex_of(input, "body")?) {
                Err(e) => return Ok(Err(e.code())),
                Ok(message) => list.send(client.me(), now, rng, &message),
            }
        }
        _ => return Err(bad("action", "unknown action")),
    };
    Ok(result.map_err(|e| e.code()))
}

fn outgoing_json(entry: &Outgoing) -> Result<Value, Malformed> {
    let body = entry
        .message
        .encode_body()
        .map_err(|e| bad("sent", e.code()))?;
    Ok(json!({
        "to": ids_json(&entry.recipients),
        "messageId": hex::encode(entry.message_id.0),
        "createdAt": entry.created_at.as_millis(),
        "flags": entry.flags(),
        "type": entry.message.type_code(),
        "body": hex::encode(body),
    }))
}

fn event_json(event: &GroupEvent) -> Value {
    let mut map = Map::new();
    map.insert("event".into(), event.name().into());
    map.insert("group".into(), group_json(event.group()));
    match event {
        GroupEvent::Ignored { reason, .. } => {
            map.insert("reason".into(), reason.code().into());
        }
        GroupEvent::MemberLeft { member, .. } => {
            map.insert("member".into(), id_json(*member));
        }
        _ => {}
    }
    Value::Object(map)
}

/// The checkpoint after a step (GRP-28).
pub(super) fn checkpoint(client: &GroupClient) -> Value {
    let groups: Vec<Value> = client
        .groups()
        .map(|(group, state)| {
            json!({
                "group": group_json(*group),
                "status": state.status.name(),
                "name": state.name,
                "members": ids_json(&state.members),
            })
        })
        .collect();
    json!({"groups": groups, "digest": hex::encode(client.digest())})
}

/// The outputs of a step, in the vector's key order.
pub(crate) fn step_outputs(
    client: &GroupClient,
    result: &StepResult,
) -> Result<Vec<(&'static str, Value)>, Malformed> {
    let mut out = Vec::new();
    match result {
        Ok(outcome) => {
            let sent = outcome
                .sent
                .iter()
                .map(outgoing_json)
                .collect::<Result<Vec<_>, _>>()?;
            out.push(("sent", Value::Array(sent)));
            out.push(("events", outcome.events.iter().map(event_json).collect()));
        }
        Err(code) => {
            out.push(("sent", Value::Array(Vec::new())));
            out.push(("events", Value::Array(Vec::new())));
            out.push(("error", (*code).into()));
        }
    }
    out.push(("checkpoint", checkpoint(client)));
    Ok(out)
}

/// Replays a scenario and stops at the first step whose outputs differ (GRP-28).
pub(super) fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let me: Identity = case
        .str("me")?
        .parse()
        .map_err(|_| bad("me", "not an identity"))?;
    let mut client = GroupClient::new(me);
    let mut replayed = Vec::new();
    let steps = case
        .value("steps")?
        .as_array()
        .ok_or_else(|| bad("steps", "not a list"))?;
    for (index, step) in steps.iter().enumerate() {
        let step = object(step, "steps")?;
        let now = Timestamp::from_millis(u64_of(step, "at")?);
        let mut rng = ReplayRng::new(&hex_of(step, "random")?);
        let result = run_input(
            &mut client,
            object(field(step, "input")?, "input")?,
            now,
            &mut rng,
        )?;
        if !rng.used_exactly() {
            return Err(bad(
                &format!("steps[{index}].random"),
                &format!("the step drew {} bytes", rng.consumed()),
            ));
        }
        let outputs = step_outputs(&client, &result)?;
        // IOP-7: an interop request carries the steps without their outputs; then the
        // computed steps are the answer, judged like any output.
        if STEP_OUTPUTS.iter().all(|name| !step.contains_key(*name)) {
            let mut computed = step.clone();
            computed.extend(outputs.into_iter().map(|(k, v)| (k.to_owned(), v)));
            replayed.push(Value::Object(computed));
            continue;
        }
        for (name, actual) in outputs {
            let expected = step.get(name).unwrap_or(&Value::Null);
            if *expected != actual {
                return Err(bad(
                    &format!("steps[{index}].{name}"),
                    &format!("expected {expected}, computed {actual}"),
                ));
            }
        }
        if result.is_ok() && step.contains_key("error") {
            return Err(bad(&format!("steps[{index}].error"), "the step succeeded"));
        }
    }
    let mut answer = vec![("me", me.as_str().into())];
    if !replayed.is_empty() {
        answer.push(("steps", Value::Array(replayed)));
    }
    Ok(Computed::Accepted(answer))
}

/// What a step produces; the rest of a step is its input (GRP-28).
pub(crate) const STEP_OUTPUTS: &[&str] = &["sent", "events", "error", "checkpoint"];

/// Builds one scenario while generating: runs each step on `me`'s client with a recording RNG
/// and writes the step with its drawn bytes and outputs.
pub(super) struct Scenario {
    pub(super) client: GroupClient,
    steps: Vec<Value>,
}

impl Scenario {
    pub(super) fn new(me: Identity) -> Self {
        Self {
            client: GroupClient::new(me),
            steps: Vec::new(),
        }
    }

    /// Runs `input` at `at` ms and returns what the client sent (empty on an error).
    pub(super) fn step<R: CryptoRng>(
        &mut self,
        rng: &mut crate::rng::RecordingRng<R>,
        at: u64,
        input: Value,
    ) -> Outcome
    where
        crate::rng::RecordingRng<R>: CryptoRng,
    {
        let _ = rng.take_recorded();
        let map = input
            .as_object()
            .expect("scenario inputs are objects")
            .clone();
        let result = run_input(&mut self.client, &map, Timestamp::from_millis(at), rng)
            .expect("the generator writes well-formed inputs");
        let random = rng.take_recorded();
        let mut step = Map::new();
        step.insert("at".into(), at.into());
        step.insert("random".into(), hex_value(random));
        step.insert("input".into(), input);
        for (name, value) in step_outputs(&self.client, &result).expect("our own outputs encode") {
            step.insert(name.into(), value);
        }
        self.steps.push(Value::Object(step));
        result.unwrap_or_default()
    }

    /// The steps written so far.
    pub(super) fn into_steps(self) -> Value {
        Value::Array(self.steps)
    }
}

/// The `receive` input for a message `from` sent with ID `message_id`.
pub(super) fn receive(from: Identity, message_id: MessageId, message: &Message) -> Value {
    json!({"receive": {
        "from": from.as_str(),
        "messageId": hex::encode(message_id.0),
        "type": message.type_code(),
        "body": hex::encode(message.encode_body().expect("scenario messages encode")),
    }})
}

/// The `receive` input for one entry another client sent.
pub(super) fn receive_entry(from: Identity, entry: &Outgoing) -> Value {
    receive(from, entry.message_id, &entry.message)
}
