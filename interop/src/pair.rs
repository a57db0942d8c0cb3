//! `interop pair`: two peers checked against each other, not only against the vectors
//! (spec/08-interop.md, IOP-15): for every valid `e2e_messages` case, one peer seals the
//! message under a nonce the vectors do not use and the other opens that box (`e2e_open`);
//! then the roles swap. `e2e_messages` also opens the `box` of its input, so the sealer is
//! given our box under the same nonce to open: it must decode it as the vector says. Then the
//! stateful scenarios: a forward-secret conversation (module `pair_fs`, IOP-22) and a group
//! split across both peers (module `pair_group`, IOP-23).

use saltrelay_protocol::crypto::{BoxKey, NONCE_LEN, Nonce, PublicKey, SecretKey};
use saltrelay_protocol::e2e;
use saltrelay_vectors::case::{Case, Expectation};
use saltrelay_vectors::interface::{self, Interface};
use serde_json::{Map, Value};

use crate::fault::{Fault, FaultKind};
use crate::peer::{Answer, Hello, Peer};
use crate::report::{Problem, Row, RunReport};
use crate::run::{CaseFacts, Options, RunError, load};
use crate::step::first_difference;

/// The capability a pair round needs from both peers.
const CAPABILITY: &str = "e2e.seal";
const SEAL: &str = "e2e_messages.json";
const OPEN: &str = "e2e_open.json";
/// The four keys both operations take.
const KEYS: [&str; 4] = [
    "senderPrivate",
    "senderPublic",
    "recipientPrivate",
    "recipientPublic",
];

/// Starts both peers and runs every round in both directions.
///
/// # Errors
/// [`RunError`] when a peer does not start or a vector file is unreadable.
pub fn pair(a: &[String], b: &[String], options: &Options) -> Result<RunReport, RunError> {
    let seal = interface::find(SEAL).expect("e2e_messages.json has an interface");
    let kat = load(options, SEAL)?;
    let mut peers = [
        Peer::start(a, options.timeouts).map_err(RunError::PeerStart)?,
        Peer::start(b, options.timeouts).map_err(RunError::PeerStart)?,
    ];
    let hellos = [peers[0].hello().clone(), peers[1].hello().clone()];
    let both = selected(&hellos, options, CAPABILITY);
    let mut rows = [
        Row::new("A seals, B opens (e2e.seal)".into()),
        Row::new("B seals, A opens (e2e.seal)".into()),
    ];
    let mut problems = Vec::new();
    for case in &kat.tests {
        let facts = Case(case);
        if options.tc_id.is_some_and(|id| id != facts.tc_id())
            || facts.expectation() != Ok(Expectation::Valid)
        {
            continue;
        }
        for (direction, row) in rows.iter_mut().enumerate() {
            if !both {
                row.skipped += 1;
                continue;
            }
            let (first, second) = peers.split_at_mut(1);
            let (sealer, opener) = if direction == 0 {
                (&mut first[0], &mut second[0])
            } else {
                (&mut second[0], &mut first[0])
            };
            let names = if direction == 0 {
                ["A", "B"]
            } else {
                ["B", "A"]
            };
            match round(seal, case, sealer, opener, names) {
                Ok(found) if found.is_empty() => row.passed += 1,
                Ok(found) => {
                    row.failed += 1;
                    problems.extend(found);
                }
                Err(problem) => {
                    row.failed += 1;
                    row.faults += usize::from(problem.kind != "failed");
                    problems.push(*problem);
                }
            }
        }
    }
    let mut rows: Vec<Row> = rows.into();
    for (found_rows, found) in [
        crate::pair_fs::scenarios(
            &mut peers,
            selected(&hellos, options, crate::pair_fs::CAPABILITY),
        ),
        crate::pair_group::scenarios(
            &mut peers,
            selected(&hellos, options, crate::pair_group::CAPABILITY),
        ),
    ] {
        rows.extend(found_rows);
        problems.extend(found);
    }
    let [first, second] = peers;
    first.finish();
    second.finish();
    let hello = Hello {
        implementation: format!(
            "A: {}; B: {}",
            hellos[0].implementation, hellos[1].implementation
        ),
        capabilities: hellos[0]
            .capabilities
            .iter()
            .filter(|c| hellos[1].capabilities.contains(c))
            .cloned()
            .collect(),
    };
    Ok(RunReport::new(hello, rows, problems))
}

/// Whether both peers claim `capability` and the options select it.
fn selected(hellos: &[Hello; 2], options: &Options, capability: &str) -> bool {
    hellos
        .iter()
        .all(|h| h.capabilities.iter().any(|c| c == capability))
        && (options.only.is_empty() || options.only.iter().any(|c| c == capability))
        && !options.skip.iter().any(|c| c == capability)
}

/// One round: `sealing_peer` seals, `opening_peer` opens; the findings, or the fault that ended it.
fn round(
    seal: &Interface,
    case: &Map<String, Value>,
    sealing_peer: &mut Peer,
    opening_peer: &mut Peer,
    names: [&str; 2],
) -> Result<Vec<Problem>, Box<Problem>> {
    let mut input = seal.request_input(case);
    let nonce = fresh_nonce(case);
    let reference = reference_box(case, &nonce).expect("a valid e2e_messages case seals");
    input.insert("nonce".into(), hex::encode(nonce).into());
    input.insert("box".into(), reference.into());
    let seal_line = sealing_peer.request_line("e2e_messages", &input);
    let sealed = expect_accepted(
        sealing_peer.ask(&seal_line),
        &["box", "plaintext", "opened"],
    )
    .map_err(|refusal| {
        let kind = refusal.kind_name();
        Box::new(problem(case, &kind, &seal_line, names[0], refusal.into()))
    })?;
    let mut found = compare(case, &sealed, "plaintext", names[0], &seal_line);
    found.extend(compare(case, &sealed, "opened", names[0], &seal_line));

    let mut open_input = Map::new();
    for key in KEYS {
        if let Some(value) = case.get(key) {
            open_input.insert(key.into(), value.clone());
        }
    }
    open_input.insert("nonce".into(), hex::encode(nonce).into());
    open_input.insert("box".into(), sealed["box"].clone());
    let open_line = opening_peer.request_line(OPEN.trim_end_matches(".json"), &open_input);
    let opened = expect_accepted(opening_peer.ask(&open_line), &["opened", "plaintext"]).map_err(
        |fault| {
            Box::new(problem(
                case,
                &fault.kind_name(),
                &open_line,
                names[1],
                fault.into(),
            ))
        },
    )?;
    found.extend(compare(case, &opened, "opened", names[1], &open_line));
    if opened["plaintext"] != sealed["plaintext"] {
        found.push(problem(
            case,
            "failed",
            &open_line,
            names[1],
            Detail::Field {
                field: "plaintext".into(),
                step: first_difference(&sealed["plaintext"], &opened["plaintext"]),
                expected: show(&sealed["plaintext"]),
                actual: show(&opened["plaintext"]),
            },
        ));
    }
    Ok(found)
}

/// A nonce the vectors do not use: the case's, reversed and with every byte changed, so the
/// round is replayable.
fn fresh_nonce(case: &Map<String, Value>) -> [u8; NONCE_LEN] {
    let nonce = Case(case).hex("nonce").unwrap_or_default();
    let mut fresh = [0u8; NONCE_LEN];
    for (out, byte) in fresh.iter_mut().zip(nonce.iter().rev()) {
        *out = byte ^ 0x5a;
    }
    fresh
}

/// Our box of the case's message under `nonce` (E2E-8), for the sealer to open.
fn reference_box(case: &Map<String, Value>, nonce: &[u8; NONCE_LEN]) -> Option<String> {
    let case = Case(case);
    let key = BoxKey::derive(
        &SecretKey::from_slice(&case.hex("senderPrivate").ok()?).ok()?,
        &PublicKey::from_slice(&case.hex("recipientPublic").ok()?).ok()?,
    )
    .ok()?;
    let message = e2e::message_from_json(case.value("message").ok()?).ok()?;
    let pad = u8::try_from(case.u64("paddingLength").ok()?).ok()?;
    let sealed = e2e::seal_message(&key, &Nonce::from_slice(nonce).ok()?, &message, pad).ok()?;
    Some(hex::encode(sealed))
}

/// What went wrong in a round.
enum Detail {
    Field {
        field: String,
        step: Option<String>,
        expected: String,
        actual: String,
    },
    Fault(Fault),
    Rejected(String),
}

impl From<Refusal> for Detail {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Fault(fault) => Self::Fault(fault),
            Refusal::Rejected(code) => Self::Rejected(code),
        }
    }
}

/// Why an answer could not be used.
enum Refusal {
    Fault(Fault),
    Rejected(String),
}

impl Refusal {
    fn kind_name(&self) -> String {
        match self {
            Self::Fault(fault) => fault.kind.name().into(),
            Self::Rejected(_) => "failed".into(),
        }
    }
}

fn expect_accepted(
    answer: Result<Answer, Fault>,
    fields: &[&str],
) -> Result<Map<String, Value>, Refusal> {
    match answer.map_err(Refusal::Fault)? {
        Answer::Accepted(output) => {
            let absent: Vec<&str> = fields
                .iter()
                .copied()
                .filter(|f| !output.contains_key(*f))
                .collect();
            if absent.is_empty() {
                Ok(output)
            } else {
                Err(Refusal::Fault(Fault::new(
                    FaultKind::Malformed,
                    format!("the answer lacks {}", absent.join(", ")),
                )))
            }
        }
        Answer::Rejected(code, _) => Err(Refusal::Rejected(code)),
    }
}

fn compare(
    case: &Map<String, Value>,
    output: &Map<String, Value>,
    field: &str,
    who: &str,
    line: &str,
) -> Vec<Problem> {
    let expected = case.get(field).unwrap_or(&Value::Null);
    let actual = output.get(field).unwrap_or(&Value::Null);
    if expected == actual {
        return Vec::new();
    }
    vec![problem(
        case,
        "failed",
        line,
        who,
        Detail::Field {
            field: field.into(),
            step: first_difference(expected, actual),
            expected: show(expected),
            actual: show(actual),
        },
    )]
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn problem(
    case: &Map<String, Value>,
    kind: &str,
    line: &str,
    who: &str,
    detail: Detail,
) -> Problem {
    let facts = CaseFacts::of(SEAL, case);
    let mut p = Problem {
        file: SEAL.into(),
        tc_id: facts.tc_id,
        spec_refs: facts.spec_refs,
        capabilities: facts.capabilities,
        kind: kind.into(),
        field: None,
        step: None,
        expected: None,
        actual: None,
        request: line.into(),
        detail: None,
        stderr: Vec::new(),
    };
    match detail {
        Detail::Field {
            field,
            step,
            expected,
            actual,
        } => {
            p.detail = Some(format!("peer {who} answered"));
            p.field = Some(field);
            p.step = step;
            p.expected = Some(expected);
            p.actual = Some(actual);
        }
        Detail::Fault(fault) => {
            p.detail = Some(format!("peer {who}: {}", fault.detail));
            p.actual = fault.line;
            p.stderr = fault.stderr;
        }
        Detail::Rejected(code) => {
            p.detail = Some(format!("peer {who} rejected it"));
            p.field = Some("result".into());
            p.expected = Some("valid".into());
            p.actual = Some(format!("rejected ({code})"));
        }
    }
    p
}
