//! `saltrelay interop peer`: our implementation behind the peer protocol (IOP-1 to IOP-10),
//! each request answered by the vector file's own `compute` from the registry; the stateful
//! operations (IOP-20, IOP-21) keep `saltrelay_vectors::live` machines under handles.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, BufRead, Write};

use saltrelay_vectors::case::Case;
use saltrelay_vectors::check::Outcome;
use saltrelay_vectors::interface::{self, INTERFACES, Needs};
use saltrelay_vectors::live::{FsSession, GroupMachine, StepAnswer};
use saltrelay_vectors::registry;
use serde_json::{Map, Value, json};

use crate::peer::PROTOCOL;

/// The name this peer gives in its hello.
pub const IMPLEMENTATION: &str = concat!("saltrelay ", env!("CARGO_PKG_VERSION"), " (Rust)");

/// The capabilities of the stateful operations (IOP-20), which no vector case needs.
pub const STATEFUL: [&str; 2] = ["fs.session", "groups.client"];

/// Every capability some registered file needs (we claim what our vectors cover, IOP-5), then
/// the stateful ones (IOP-20).
#[must_use]
pub fn capabilities() -> Vec<&'static str> {
    let mut claimed: BTreeSet<&str> = BTreeSet::new();
    for iface in INTERFACES {
        match iface.needs {
            Needs::All(caps) => claimed.extend(caps.iter().copied()),
            Needs::ByField { values, .. } => {
                claimed.extend(values.iter().flat_map(|(_, caps)| caps.iter().copied()));
            }
        }
    }
    interface::CAPABILITIES
        .iter()
        .copied()
        .filter(|c| claimed.contains(c))
        .chain(STATEFUL)
        .collect()
}

/// The machines of the stateful operations, by handle (IOP-20).
#[derive(Default)]
pub struct Machines {
    fs: HashMap<String, FsSession>,
    groups: HashMap<String, GroupMachine>,
    next: u64,
}

impl Machines {
    fn handle(&mut self, kind: &str) -> String {
        self.next += 1;
        format!("{kind}-{}", self.next)
    }

    /// Answers a stateful operation, or `None` when `op` is not one.
    fn respond(&mut self, op: &str, input: &Map<String, Value>) -> Option<Response> {
        let handle = || {
            input
                .get("handle")
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let answer = match op {
            "fs.session.new" => FsSession::new(Case(input)).map(|machine| {
                let handle = self.handle("fs");
                self.fs.insert(handle.clone(), machine);
                Ok(handle_output(handle))
            }),
            "group.client.new" => GroupMachine::new(Case(input)).map(|machine| {
                let handle = self.handle("group");
                self.groups.insert(handle.clone(), machine);
                Ok(handle_output(handle))
            }),
            "fs.session.step" => match self.fs.get_mut(handle()) {
                Some(machine) => machine.step(Case(input)).map(step_response),
                None => return Some(unknown_handle()),
            },
            "group.client.step" => match self.groups.get_mut(handle()) {
                Some(machine) => machine.step(Case(input)).map(step_response),
                None => return Some(unknown_handle()),
            },
            _ => return None,
        };
        Some(answer.unwrap_or_else(|malformed| {
            eprintln!(
                "{op}: input field {}: {}",
                malformed.field, malformed.reason
            );
            Err(("malformed_input".into(), Map::new()))
        }))
    }
}

fn handle_output(handle: String) -> Map<String, Value> {
    let mut output = Map::new();
    output.insert("handle".into(), handle.into());
    output
}

fn unknown_handle() -> Response {
    Err(("unknown_handle".into(), Map::new()))
}

fn step_response(answer: StepAnswer) -> Response {
    match answer.error {
        None => Ok(answer.output),
        Some(code) => Err((code, answer.output)),
    }
}

/// Answers requests from `input` on `output`, one line each, until `input` ends (IOP-13).
///
/// # Errors
/// When reading or writing fails.
pub fn serve(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let mut machines = Machines::default();
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(output, "{}", answer(&mut machines, &line))?;
        output.flush()?;
    }
    Ok(())
}

/// The answer line to one request line; stateful operations act on `machines`.
#[must_use]
pub fn answer(machines: &mut Machines, line: &str) -> String {
    let request: Value = serde_json::from_str(line).unwrap_or(Value::Null);
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let op = request
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let empty = Map::new();
    let input = request
        .get("input")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut answer = Map::new();
    answer.insert("id".into(), id);
    let response = machines
        .respond(op, input)
        .unwrap_or_else(|| respond(op, input));
    match response {
        Ok(output) => {
            answer.insert("output".into(), Value::Object(output));
        }
        Err((code, output)) => {
            answer.insert("error".into(), code.into());
            if !output.is_empty() {
                answer.insert("output".into(), Value::Object(output));
            }
        }
    }
    Value::Object(answer).to_string()
}

type Response = Result<Map<String, Value>, (String, Map<String, Value>)>;

fn respond(op: &str, input: &Map<String, Value>) -> Response {
    if op == "hello" {
        if input.get("protocol").and_then(Value::as_u64) != Some(PROTOCOL) {
            return Err(("unsupported_protocol".into(), Map::new()));
        }
        let Value::Object(hello) = json!({
            "protocol": PROTOCOL,
            "implementation": IMPLEMENTATION,
            "capabilities": capabilities(),
        }) else {
            unreachable!("a JSON object literal")
        };
        return Ok(hello);
    }
    let Some(file) = interface::find_op(op).and_then(|i| registry::find(i.file)) else {
        return Err(("unsupported".into(), Map::new()));
    };
    let computed = match (file.compute)(Case(input)) {
        Ok(computed) => computed,
        // The request lacks a field the operation reads: say so on stderr, answer a code the
        // runner will show against the vector's.
        Err(malformed) => {
            eprintln!(
                "{op}: input field {}: {}",
                malformed.field, malformed.reason
            );
            return Err(("malformed_input".into(), Map::new()));
        }
    };
    match Outcome::from(computed) {
        Outcome::Accepted(outputs) => Ok(outputs.into_iter().collect()),
        Outcome::Rejected { code, outputs } => Err((code, outputs.into_iter().collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_hello_known_ops_and_unknown_ops() {
        let mut m = Machines::default();
        let hello = answer(&mut m, r#"{"id":0,"op":"hello","input":{"protocol":1}}"#);
        assert!(hello.contains(r#""capabilities":["prim""#), "{hello}");
        let keygen = answer(
            &mut m,
            r#"{"id":1,"op":"prim_keygen","input":{"private":"0000000000000000000000000000000000000000000000000000000000000000"}}"#,
        );
        assert!(
            keygen.starts_with(r#"{"id":1,"output":{"public":""#),
            "{keygen}"
        );
        let short = answer(
            &mut m,
            r#"{"id":2,"op":"prim_keygen","input":{"private":"00"}}"#,
        );
        assert_eq!(short, r#"{"id":2,"error":"invalid_key_length"}"#);
        let unknown = answer(&mut m, r#"{"id":3,"op":"no_such_op","input":{}}"#);
        assert_eq!(unknown, r#"{"id":3,"error":"unsupported"}"#);
    }
}
