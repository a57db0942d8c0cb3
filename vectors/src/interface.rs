//! What an interop peer is asked for each vector file (spec/08-interop.md): the capabilities a
//! case needs (IOP-5), the fields a peer must answer and the fields withheld from its request
//! (IOP-7).
//!
//! One line per file in [`INTERFACES`]. `vectors generate` writes each case's `capabilities`
//! from it, `vectors verify` checks them, and `saltrelay interop` builds its requests from it,
//! so a new vector family needs one line here and nothing in the harness.

use serde_json::{Map, Value};

use crate::case::Case;

/// Every capability a case may need and a peer may claim (IOP-5).
pub const CAPABILITIES: &[&str] = &[
    "prim",
    "identity",
    "transport.client",
    "transport.relay",
    "e2e.seal",
    "e2e.payload",
    "e2e.blob",
    "fs",
    "groups",
    "polls",
];

/// How the capabilities of a file's cases are decided.
#[derive(Debug, Clone, Copy)]
pub enum Needs {
    /// Every case needs these.
    All(&'static [&'static str]),
    /// The value of a string field of the case picks them (`side`, `direction`).
    ByField {
        /// The field read.
        field: &'static str,
        /// Field value and the capabilities it needs.
        values: &'static [(&'static str, &'static [&'static str])],
    },
}

/// The peer-facing side of one vector file (IOP-7).
#[derive(Debug, Clone, Copy)]
pub struct Interface {
    /// The vector file name; the request `op` is the name without `.json`.
    pub file: &'static str,
    /// The capabilities its cases need.
    pub needs: Needs,
    /// The fields a peer answers when it accepts, compared with the case.
    pub answers: &'static [&'static str],
    /// Answered fields left out of the request because the operation does not read them.
    pub withheld: &'static [&'static str],
    /// Answered fields a case may carry as input only (an incoming-only `e2e_payload` case
    /// carries `payload` to decode): compared when answered, not required.
    pub optional: &'static [&'static str],
    /// Fields withheld from every object of the case's `steps` (a scenario's per-step
    /// expectations); the peer answers `steps` with them filled in (IOP-7).
    pub in_steps: &'static [&'static str],
    /// Fields that pin what a side did before failing: an invalid case that carries one is
    /// answered with it beside the error code (IOP-9).
    pub on_failure: &'static [&'static str],
}

const fn all(file: &'static str, caps: &'static [&'static str]) -> Interface {
    Interface {
        file,
        needs: Needs::All(caps),
        answers: &[],
        withheld: &[],
        optional: &[],
        in_steps: &[],
        on_failure: &[],
    }
}

impl Interface {
    const fn answers(mut self, fields: &'static [&'static str]) -> Self {
        self.answers = fields;
        self
    }

    const fn withheld(mut self, fields: &'static [&'static str]) -> Self {
        self.withheld = fields;
        self
    }

    const fn in_steps(mut self, fields: &'static [&'static str]) -> Self {
        self.in_steps = fields;
        self
    }

    const fn optional(mut self, fields: &'static [&'static str]) -> Self {
        self.optional = fields;
        self
    }

    /// The fields a peer must answer when it accepts `case` (IOP-8): the declared answers the
    /// case carries, less the optional ones.
    #[must_use]
    pub fn required(&self, case: &Map<String, Value>) -> Vec<&'static str> {
        self.answers
            .iter()
            .copied()
            .filter(|f| case.contains_key(*f) && !self.optional.contains(f))
            .collect()
    }

    /// The request `op` for this file (IOP-7): its name without `.json`.
    #[must_use]
    pub fn op(&self) -> &'static str {
        self.file.strip_suffix(".json").unwrap_or(self.file)
    }

    /// The capabilities `case` needs (IOP-5). A `ByField` value not listed needs nothing
    /// known, which `vectors verify` reports.
    #[must_use]
    pub fn capabilities(&self, case: Case<'_>) -> &'static [&'static str] {
        match self.needs {
            Needs::All(caps) => caps,
            Needs::ByField { field, values } => {
                let value = case.str(field).unwrap_or_default();
                values
                    .iter()
                    .find(|(v, _)| *v == value)
                    .map_or(&[], |(_, caps)| caps)
            }
        }
    }

    /// The request `input` for `case` (IOP-7): every field except the case's metadata and the
    /// withheld answers.
    #[must_use]
    pub fn request_input(&self, case: &Map<String, Value>) -> Map<String, Value> {
        case.iter()
            .filter(|(field, _)| {
                !METADATA.contains(&field.as_str()) && !self.withheld.contains(&field.as_str())
            })
            .map(|(field, value)| {
                let value = match (field.as_str(), value) {
                    ("steps", Value::Array(steps)) if !self.in_steps.is_empty() => {
                        Value::Array(steps.iter().map(|s| self.strip_step(s)).collect())
                    }
                    _ => value.clone(),
                };
                (field.clone(), value)
            })
            .collect()
    }

    fn strip_step(&self, step: &Value) -> Value {
        match step {
            Value::Object(step) => Value::Object(
                step.iter()
                    .filter(|(k, _)| !self.in_steps.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// Case fields that describe the case rather than the operation; never sent to a peer.
pub const METADATA: &[&str] = &[
    "tcId",
    "comment",
    "flags",
    "specRefs",
    "capabilities",
    "result",
    "error",
];

const TRANSPORT_BOTH: &[&str] = &["transport.client", "transport.relay"];

/// Every file's interface, in registry order. A new file adds one line.
pub const INTERFACES: &[Interface] = &[
    all("prim_x25519.json", &["prim"])
        .answers(&["shared"])
        .withheld(&["shared"]),
    all("prim_keygen.json", &["prim"])
        .answers(&["public"])
        .withheld(&["public"]),
    all("prim_box_beforenm.json", &["prim"])
        .answers(&["key"])
        .withheld(&["key"]),
    all("prim_secretbox.json", &["prim"]).answers(&["msg", "ct"]),
    all("prim_box.json", &["prim"]).answers(&["msg", "ct"]),
    all("prim_box_large.json", &["prim"]).answers(&["msg", "ct"]),
    all("prim_blake2b.json", &["prim"])
        .answers(&["out"])
        .withheld(&["out"]),
    all("prim_kdf.json", &["prim"])
        .answers(&["salt", "personal", "derived"])
        .withheld(&["salt", "personal", "derived"]),
    all("identity_parse.json", &["identity"])
        .answers(&["identity", "gateway"])
        .withheld(&["identity", "gateway"]),
    all("identity_generate.json", &["identity"])
        .answers(&["identity", "private", "public"])
        .withheld(&["identity", "private", "public"]),
    all("identity_fingerprint.json", &["identity"])
        .answers(&["fingerprint"])
        .withheld(&["fingerprint"]),
    all("identity_key_file.json", &["identity"])
        .answers(&["identity", "keyFile", "private", "public"])
        .withheld(&["identity", "private", "public"]),
    all("transport_handshake.json", TRANSPORT_BOTH)
        .answers(HANDSHAKE_OUTPUTS)
        .withheld(HANDSHAKE_OUTPUTS),
    Interface {
        file: "transport_frames.json",
        needs: Needs::ByField {
            field: "direction",
            values: &[
                ("client_to_relay", &["transport.relay"]),
                ("relay_to_client", &["transport.client"]),
            ],
        },
        answers: &["frame", "container", "payload"],
        withheld: &["container", "payload"],
        optional: &[],
        in_steps: &[],
        on_failure: &[],
    },
    Interface {
        file: "transport_transcripts.json",
        needs: Needs::ByField {
            field: "side",
            values: &[
                ("client", &["transport.client"]),
                ("relay", &["transport.relay"]),
            ],
        },
        answers: &["sent", "events"],
        withheld: &["sent", "events"],
        optional: &[],
        in_steps: &[],
        on_failure: &["sent", "events"],
    },
    all("e2e_container.json", &["e2e.seal"])
        .answers(&[
            "paddingLength",
            "allBytesUsed",
            "typeCode",
            "body",
            "canonical",
        ])
        .withheld(&[
            "paddingLength",
            "allBytesUsed",
            "typeCode",
            "body",
            "canonical",
        ]),
    all("e2e_messages.json", &["e2e.seal"])
        .answers(&["plaintext", "box", "opened"])
        .withheld(&["plaintext", "opened"]),
    all("e2e_open.json", &["e2e.seal"])
        .answers(&["plaintext", "opened"])
        .withheld(&["plaintext", "opened"]),
    all("e2e_payload.json", &["e2e.payload"])
        .answers(&["payload", "decoded", "metadataKey", "nonceStored"])
        .withheld(&["decoded", "metadataKey", "nonceStored"])
        .optional(&["payload"]),
    // `nonce` is an input for kind `deprecated_image`, an answer for the other kinds.
    all("e2e_blob.json", &["e2e.blob"])
        .answers(&["box", "data", "nonce"])
        .optional(&["nonce"]),
    all("fs_kdf.json", &["fs"])
        .answers(FS_KDF_OUTPUTS)
        .withheld(FS_KDF_OUTPUTS),
    all("fs_envelope.json", &["fs"])
        .answers(&["decoded", "reencoded"])
        .withheld(&["decoded", "reencoded"]),
    all("fs_transcripts.json", &["fs"])
        .answers(&["steps"])
        .in_steps(&["outputs", "events", "error", "checkpoint"]),
    all("group_scenarios.json", &["groups"])
        .answers(&["me", "steps"])
        .in_steps(SCENARIO_STEP_OUTPUTS),
    all("poll_scenarios.json", &["groups", "polls"])
        .answers(&["me", "steps"])
        .in_steps(SCENARIO_STEP_OUTPUTS),
];

/// What a group or poll scenario step produces (GRP-28).
const SCENARIO_STEP_OUTPUTS: &[&str] = &["sent", "events", "error", "checkpoint"];

const FS_KDF_OUTPUTS: &[&str] = &[
    "initiatorPublic",
    "responderPublic",
    "initiatorFsskPublic",
    "responderFsskPublic",
    "dhStaticStatic",
    "dhInitiatorEphemeralStatic",
    "dhInitiatorStaticEphemeral",
    "dhEphemeralEphemeral",
    "root2dh",
    "root2dhTextReading",
    "hash4dh",
    "root4dhInitiator",
    "root4dhResponder",
    "targetChainKey",
    "targetMessageKey",
    "nextChainKey",
];

const HANDSHAKE_OUTPUTS: &[&str] = &[
    "clientPublic",
    "relayPublic",
    "tckPublic",
    "tskPublic",
    "ss1",
    "ss2",
    "helloKey",
    "sessionKey",
    "vouchKey",
    "vouch",
    "clientHello",
    "serverHello",
    "serverChallenge",
    "login",
    "loginData",
    "extensionsPlain",
    "loginAck",
    "loginAckData",
    "cck",
    "sck",
    "relayEvents",
    "clientEvents",
];

/// The interface of the file called `name`.
#[must_use]
pub fn find(name: &str) -> Option<&'static Interface> {
    INTERFACES.iter().find(|i| i.file == name)
}

/// The interface whose request `op` is `op`.
#[must_use]
pub fn find_op(op: &str) -> Option<&'static Interface> {
    INTERFACES.iter().find(|i| i.op() == op)
}
