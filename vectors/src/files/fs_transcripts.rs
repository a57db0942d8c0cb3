//! `fs_transcripts.json`: scenarios between two session machines with recorded randomness:
//! each step's input, the envelopes sent, the events, the error and a checkpoint of the
//! acting side (FS-17 to FS-36).

use saltrelay_protocol::crypto::SecretKey;
use saltrelay_protocol::e2e::{GroupContent, GroupId, GroupIdentity, GroupMessage, Message};
use saltrelay_protocol::session::{Content, Envelope, SKIP_LIMIT, V1_0};
use serde_json::{Map, Value};

use super::FileBuilder;
use super::common::hex_value;
use super::fs_common::{ALICE, BOB, identity, random, secret};
use super::fs_runner::{INPUTS, Party};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "fs_transcripts.json",
    generate,
    compute,
};

const SEED: u64 = 0x6673_0003;
/// 2026-01-01T00:00:00Z in milliseconds.
const T: u64 = 1_767_225_600_000;
/// Random bytes recorded for each side before trimming to what was used.
const POOL: usize = 4096;

fn parties(case: Case<'_>) -> Result<(Party, Party), Malformed> {
    let side = |name: &str| -> Result<(String, [u8; 32]), Malformed> {
        let map = case.value(name)?;
        let party = Case(
            map.as_object()
                .ok_or_else(|| Malformed::new(name, "not an object"))?,
        );
        let bytes: [u8; 32] = party
            .hex("secretKey")?
            .try_into()
            .map_err(|_| Malformed::new("secretKey", "not 32 bytes"))?;
        Ok((party.str("identity")?.to_owned(), bytes))
    };
    let (a_name, a_secret) = side("alice")?;
    let (b_name, b_secret) = side("bob")?;
    let (a_id, b_id) = (identity(&a_name, "alice")?, identity(&b_name, "bob")?);
    let a_pub = secret(&a_secret, "alice")?.public_key();
    let b_pub = secret(&b_secret, "bob")?.public_key();
    Ok((
        Party::new(a_id, a_secret, b_id, b_pub, &case.hex("aliceRandom")?)?,
        Party::new(b_id, b_secret, a_id, a_pub, &case.hex("bobRandom")?)?,
    ))
}

fn inputs_of(step: &Map<String, Value>) -> Map<String, Value> {
    step.iter()
        .filter(|(k, _)| INPUTS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let (mut alice, mut bob) = parties(case)?;
    let steps = case
        .value("steps")?
        .as_array()
        .ok_or_else(|| Malformed::new("steps", "not a list"))?;
    let mut out = Vec::new();
    for step in steps {
        let step = step
            .as_object()
            .ok_or_else(|| Malformed::new("steps", "not objects"))?;
        let mut inputs = inputs_of(step);
        let party = match Case(&inputs).str("actor")? {
            "alice" => &mut alice,
            "bob" => &mut bob,
            _ => return Err(Malformed::new("actor", "alice or bob")),
        };
        let produced = party.apply(Case(&inputs))?;
        inputs.extend(produced);
        out.push(Value::Object(inputs));
    }
    if !alice.rng.used_exactly() {
        return Err(Malformed::new("aliceRandom", "not drawn exactly"));
    }
    if !bob.rng.used_exactly() {
        return Err(Malformed::new("bobRandom", "not drawn exactly"));
    }
    Ok(Computed::Accepted(vec![("steps", Value::Array(out))]))
}

/// An envelope another step can deliver, with the message ID it travels under.
#[derive(Clone)]
struct Sent {
    message_id: [u8; 8],
    envelope: Vec<u8>,
}

/// Builds one scenario by running it.
struct Script {
    alice: Party,
    bob: Party,
    alice_secret: [u8; 32],
    bob_secret: [u8; 32],
    alice_pool: Vec<u8>,
    bob_pool: Vec<u8>,
    steps: Vec<Value>,
    next_id: u64,
}

impl Script {
    fn new(stream: u64) -> Self {
        let keys = random(SEED, stream, 64);
        let alice_secret: [u8; 32] = keys.get(..32).and_then(|k| k.try_into().ok()).expect("64");
        let bob_secret: [u8; 32] = keys.get(32..).and_then(|k| k.try_into().ok()).expect("64");
        let alice_pool = random(SEED, stream | 0x100, POOL);
        let bob_pool = random(SEED, stream | 0x200, POOL);
        let (a_id, b_id) = (ALICE.parse().expect("valid"), BOB.parse().expect("valid"));
        let a_pub = SecretKey::from_bytes(alice_secret).public_key();
        let b_pub = SecretKey::from_bytes(bob_secret).public_key();
        Self {
            alice: Party::new(a_id, alice_secret, b_id, b_pub, &alice_pool).expect("valid keys"),
            bob: Party::new(b_id, bob_secret, a_id, a_pub, &bob_pool).expect("valid keys"),
            alice_secret,
            bob_secret,
            alice_pool,
            bob_pool,
            steps: Vec::new(),
            next_id: 0x1000,
        }
    }

    fn fresh_id(&mut self) -> [u8; 8] {
        self.next_id += 1;
        self.next_id.to_le_bytes()
    }

    /// Runs one step and returns the envelopes it sent, each with its message ID.
    fn step(&mut self, actor: &str, inputs: Vec<(&str, Value)>) -> Vec<Sent> {
        let mut map = Map::new();
        map.insert("actor".into(), actor.into());
        for (k, v) in inputs {
            map.insert(k.into(), v);
        }
        let party = if actor == "alice" {
            &mut self.alice
        } else {
            &mut self.bob
        };
        let produced = party
            .apply(Case(&map))
            .expect("scripted steps are well-formed");
        let mut sent = Vec::new();
        for output in produced
            .get("outputs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let envelope = output.get("envelope").and_then(Value::as_str);
            let Some(envelope) = envelope.and_then(|e| hex::decode(e).ok()) else {
                continue;
            };
            let message_id = match output.get("messageId").and_then(Value::as_str) {
                Some(id) => hex::decode(id)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .expect("8"),
                None => self.fresh_id(),
            };
            sent.push(Sent {
                message_id,
                envelope,
            });
        }
        map.extend(produced);
        self.steps.push(Value::Object(map));
        sent
    }

    fn send(&mut self, actor: &str, now: u64, message: &Message) -> Vec<Sent> {
        let id = self.fresh_id();
        let body = message.encode_body().expect("scripted messages encode");
        self.step(
            actor,
            vec![
                ("action", "send".into()),
                ("now", (T + now).into()),
                ("messageId", hex_value(id)),
                ("innerType", message.type_code().into()),
                ("innerBody", hex_value(body)),
            ],
        )
    }

    fn text(&mut self, actor: &str, now: u64, text: &str) -> Vec<Sent> {
        self.send(actor, now, &Message::Text(text.into()))
    }

    fn deliver(&mut self, actor: &str, now: u64, sent: &Sent) -> Vec<Sent> {
        self.step(
            actor,
            vec![
                ("action", "receive".into()),
                ("now", (T + now).into()),
                ("messageId", hex_value(sent.message_id)),
                ("envelope", hex_value(&sent.envelope)),
            ],
        )
    }

    fn deliver_all(&mut self, actor: &str, now: u64, sent: &[Sent]) -> Vec<Sent> {
        sent.iter()
            .flat_map(|s| self.deliver(actor, now, s))
            .collect()
    }

    fn terminate(&mut self, actor: &str, now: u64, cause: u32) -> Vec<Sent> {
        self.step(
            actor,
            vec![
                ("action", "terminate".into()),
                ("now", (T + now).into()),
                ("cause", cause.into()),
            ],
        )
    }

    fn lose_state(&mut self, actor: &str, now: u64) {
        self.step(
            actor,
            vec![("action", "lose_state".into()), ("now", (T + now).into())],
        );
    }

    /// Alice and Bob in L44 / R44 after one message each way and one more from Alice.
    fn establish(&mut self) {
        let first = self.text("alice", 0, "hello bob");
        let accept = self.deliver_all("bob", 1, &first);
        let reply = self.text("bob", 2, "hello alice");
        self.deliver_all("alice", 3, &accept);
        self.deliver_all("alice", 3, &reply);
        let third = self.text("alice", 4, "now in 4dh");
        self.deliver_all("bob", 5, &third);
    }

    fn finish(self, comment: &str, flags: &[&str], refs: &[&str]) -> Map<String, Value> {
        let used = |party: &Party, pool: &[u8]| {
            pool.get(..party.rng.consumed())
                .unwrap_or_default()
                .to_vec()
        };
        assert!(
            !self.alice.rng.overrun() && !self.bob.rng.overrun(),
            "pool too small"
        );
        CaseBuilder::new(comment, flags, refs)
            .value(
                "alice",
                serde_json::json!({ "identity": ALICE, "secretKey": hex_value(self.alice_secret) }),
            )
            .value(
                "bob",
                serde_json::json!({ "identity": BOB, "secretKey": hex_value(self.bob_secret) }),
            )
            .hex("aliceRandom", used(&self.alice, &self.alice_pool))
            .hex("bobRandom", used(&self.bob, &self.bob_pool))
            .value("steps", Value::Array(self.steps))
            .valid()
    }
}

/// `sent` with its Encapsulated fields changed by `edit` (the tag does not cover them).
fn forged(sent: &Sent, edit: impl FnOnce(&mut saltrelay_protocol::session::Encapsulated)) -> Sent {
    let mut envelope = Envelope::decode(&sent.envelope).expect("our own envelope");
    if let Content::Encapsulated(e) = &mut envelope.content {
        edit(e);
    }
    Sent {
        message_id: sent.message_id,
        envelope: envelope.encode(),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one scenario after another, each short"
)]
fn generate() -> KatFile {
    let mut file = FileBuilder::new(
        "Ibex session transcripts: two PeerSessions machines with recorded randomness",
        SEED,
    )
    .encoding(
        "byte strings are lowercase hex; message IDs are the 8 header bytes; each side draws \
         its randomness from aliceRandom / bobRandom in order (FS-20: session ID 16 then FSSK \
         32; FS-24: FSSK 32). A step's inputs are actor, action (send, receive, terminate, \
         lose_state), now (ms), messageId, innerType + innerBody (send), envelope (receive), \
         cause (terminate); its outputs are outputs (control / encapsulated / plain, in \
         order), events (FS-35), error (FS-39 code, absent on success) and checkpoint (the \
         actor's sessions after the step, FS-36; keyHash = BLAKE2b-256 of the chain key, FS-12)",
    )
    .note("Fresh", "a session from nothing to L44 and R44")
    .note("Gap", "messages lost or reordered within the skip limit")
    .note("BeyondLimit", "a counter more than 25,000 ahead")
    .note("Replay", "an envelope delivered twice")
    .note(
        "UnknownSession",
        "an envelope for a session the receiver does not hold",
    )
    .note("Race", "both sides initiate at once")
    .note("Terminate", "a side terminates its sessions")
    .note(
        "StateLoss",
        "a side loses its sessions and the other recovers",
    )
    .note(
        "Downgrade",
        "an envelope claims a lower version than the session runs",
    )
    .note("DhMismatch", "a 2DH message after 4DH was established")
    .note("Group", "group messages under V1.2")
    .note("Refresh", "the 24-hour empty message");

    let mut s = Script::new(1);
    s.establish();
    let more = s.text("bob", 6, "and 4dh back");
    s.deliver_all("alice", 7, &more);
    file.push(s.finish(
        "fresh session: Alice L20 -> L44, Bob R20 -> R24 -> R44",
        &["Fresh"],
        &[
            "FS-6", "FS-7", "FS-9", "FS-11", "FS-17", "FS-18", "FS-20", "FS-21", "FS-24", "FS-25",
            "FS-26",
        ],
    ));

    let mut s = Script::new(2);
    let m1 = s.text("alice", 0, "one");
    let m2 = s.text("alice", 1, "two");
    let m3 = s.text("alice", 2, "three");
    let m4 = s.text("alice", 3, "four");
    s.deliver_all("bob", 4, &m1);
    s.deliver_all("bob", 5, &m4);
    s.deliver_all("bob", 6, &m2);
    s.deliver_all("bob", 7, &m3);
    file.push(s.finish("2DH: message four arrives before two and three (two skipped); two and three are then behind the chain and refused; none is delivered twice", &["Gap"], &["FS-9", "FS-31"]));

    let mut s = Script::new(3);
    s.establish();
    let m = s.text("alice", 10, "far ahead");
    let far = forged(&m[0], |e| e.counter += SKIP_LIMIT + 1);
    s.deliver("bob", 11, &far);
    s.deliver_all("bob", 12, &m);
    file.push(s.finish("a counter 25,001 ahead is refused before any ratcheting and the session kept; the real message then opens", &["BeyondLimit"], &["FS-10", "FS-31"]));

    let mut s = Script::new(4);
    s.establish();
    let m = s.text("alice", 10, "once only");
    s.deliver_all("bob", 11, &m);
    s.deliver_all("bob", 12, &m);
    file.push(s.finish(
        "a 4DH envelope delivered twice: the copy is refused as counter_behind, no Reject",
        &["Replay"],
        &["FS-31"],
    ));

    let mut s = Script::new(5);
    let first = s.text("alice", 0, "init lost");
    let reject = s.deliver("bob", 1, &first[1]);
    s.deliver_all("alice", 2, &reject);
    let again = s.text("alice", 3, "second try");
    s.deliver_all("bob", 4, &again);
    file.push(s.finish("the Init is lost: Bob answers the message with Reject UNKNOWN_SESSION, Alice reports it and starts a new session", &["UnknownSession"], &["FS-26", "FS-27", "FS-33"]));

    let mut s = Script::new(6);
    let from_a = s.text("alice", 0, "from alice");
    let from_b = s.text("bob", 0, "from bob");
    let a_out = s.deliver_all("bob", 1, &from_a);
    let b_out = s.deliver_all("alice", 1, &from_b);
    s.deliver_all("alice", 2, &a_out);
    s.deliver_all("bob", 2, &b_out);
    for round in 0..2 {
        let t = 3 + round * 2;
        let from_alice = s.text("alice", t, "ping");
        let from_bob = s.text("bob", t, "pong");
        s.deliver_all("bob", t + 1, &from_alice);
        s.deliver_all("alice", t + 1, &from_bob);
    }
    file.push(s.finish("both initiate at once: each keeps its L20, answers the other's Init, and both converge on the lowest session ID", &["Race"], &["FS-19", "FS-24", "FS-26", "FS-34"]));

    let mut s = Script::new(7);
    s.establish();
    let terminate = s.terminate("alice", 10, 1);
    s.deliver_all("bob", 11, &terminate);
    let fresh = s.text("alice", 12, "new session");
    s.deliver_all("bob", 13, &fresh);
    file.push(s.finish(
        "Alice terminates (RESET): both remove the session; her next message starts a new one",
        &["Terminate"],
        &["FS-28", "FS-29"],
    ));

    let mut s = Script::new(8);
    s.establish();
    s.lose_state("bob", 10);
    let lost = s.text("alice", 11, "into the void");
    let reject = s.deliver_all("bob", 12, &lost);
    s.deliver_all("alice", 13, &reject);
    let retry = s.text("alice", 14, "resent");
    let accept = s.deliver_all("bob", 15, &retry);
    s.deliver_all("alice", 16, &accept);
    file.push(s.finish("Bob loses his state: Alice's 4DH message is rejected (UNKNOWN_SESSION) and reported, her resend opens a new session", &["StateLoss"], &["FS-26", "FS-27", "FS-33"]));

    let mut s = Script::new(9);
    s.establish();
    let m = s.text("alice", 10, "downgraded");
    let down = forged(&m[0], |e| {
        e.offered_version = V1_0;
        e.applied_version = V1_0;
    });
    let reject = s.deliver("bob", 11, &down);
    s.deliver_all("alice", 12, &reject);
    file.push(s.finish("a 4DH message of a 0x0102 session rewritten to claim 0x0100: Bob refuses it (version_mismatch), rejects and removes the session", &["Downgrade"], &["FS-26", "FS-32"]));

    let mut s = Script::new(10);
    let m1 = s.text("alice", 0, "2dh one");
    let m2 = s.text("alice", 1, "2dh two, delayed");
    let accept = s.deliver_all("bob", 2, &m1);
    let reply = s.text("bob", 3, "reply");
    s.deliver_all("alice", 4, &accept);
    s.deliver_all("alice", 4, &reply);
    let m3 = s.text("alice", 5, "4dh");
    s.deliver_all("bob", 6, &m3);
    let reject = s.deliver_all("bob", 7, &m2);
    s.deliver_all("alice", 8, &reject);
    file.push(s.finish("a delayed 2DH message reaches Bob in R44: dh_type_mismatch, Reject STATE_MISMATCH, session removed on both sides", &["DhMismatch"], &["FS-18", "FS-26"]));

    let mut s = Script::new(11);
    let group = GroupIdentity {
        creator: ALICE.parse().expect("valid"),
        group_id: GroupId(*b"grp-0001"),
    };
    let group_text = |text: &str| {
        Message::Group(GroupMessage {
            group,
            content: GroupContent::Text(text.into()),
        })
    };
    let early = s.send("alice", 0, &group_text("before any session"));
    let accept = s.deliver_all("bob", 1, &early);
    let first = s.text("alice", 2, "1:1 text");
    s.deliver_all("bob", 3, &first);
    s.deliver_all("alice", 4, &accept);
    let in_group = s.send("alice", 5, &group_text("encapsulated under 1.2"));
    s.deliver_all("bob", 6, &in_group);
    let stripped = forged(
        &s.send("alice", 7, &group_text("group identity stripped"))[0],
        |e| e.group_identity = None,
    );
    s.deliver("bob", 8, &stripped);
    file.push(s.finish("group text: plain while the session is L20 (V1.0), encapsulated with group_identity once at 0x0102; without group_identity it is refused", &["Group"], &["FS-5", "FS-16", "FS-21"]));

    let mut s = Script::new(12);
    let first = s.text("alice", 0, "day one");
    s.deliver_all("bob", 1, &first);
    let later = s.send("alice", 25 * 3_600_000, &Message::TypingIndicator(true));
    s.deliver_all("bob", 25 * 3_600_000 + 1, &later);
    file.push(s.finish("25 hours later a typing indicator, not covered by V1.0 in L20, goes plain after an encapsulated 0xfc empty message", &["Refresh"], &["FS-5", "FS-14", "FS-15", "FS-21"]));

    file.finish()
}
