//! A peer session: start, hello, one request at a time, restart after a fault (IOP-2 to
//! IOP-4, IOP-12).

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::fault::{Fault, FaultKind};
use crate::process::PeerProcess;

/// The protocol version of spec/08-interop.md.
pub const PROTOCOL: u64 = 1;

/// How long the runner waits (IOP-11).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For the answer to one request.
    pub request: Duration,
    /// For the answer to the hello (a peer may load a runtime first).
    pub hello: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            request: Duration::from_secs(30),
            hello: Duration::from_secs(30),
        }
    }
}

/// What the peer said in its hello (IOP-4).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hello {
    /// The implementation's name, as it gave it.
    pub implementation: String,
    /// The capabilities it claims (IOP-5).
    pub capabilities: Vec<String>,
}

/// A well-formed answer (IOP-3).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `{"id", "output"}`.
    Accepted(Map<String, Value>),
    /// `{"id", "error"}`, with the `output` of IOP-9 when present.
    Rejected(String, Map<String, Value>),
}

/// A running peer and the next request id.
#[derive(Debug)]
pub struct Peer {
    command: Vec<String>,
    timeouts: Timeouts,
    process: PeerProcess,
    next_id: u64,
    hello: Hello,
    /// Why the peer could not be restarted (IOP-12): every later request faults with it.
    dead: Option<Fault>,
}

impl Peer {
    /// Starts `command` and exchanges the hello.
    ///
    /// # Errors
    /// The fault that kept the peer from starting or answering its hello.
    pub fn start(command: &[String], timeouts: Timeouts) -> Result<Self, Fault> {
        let mut process = PeerProcess::spawn(command)?;
        let hello = say_hello(&mut process, timeouts.hello)?;
        Ok(Self {
            command: command.to_vec(),
            timeouts,
            process,
            next_id: 1,
            hello,
            dead: None,
        })
    }

    /// The peer's hello.
    #[must_use]
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The request line for `op` with `input`, under the next id (IOP-3).
    #[must_use]
    pub fn request_line(&self, op: &str, input: &Map<String, Value>) -> String {
        request_line(self.next_id, op, input)
    }

    /// Sends `line` (made by [`Self::request_line`]) and reads its answer.
    ///
    /// # Errors
    /// A peer fault (IOP-11).
    pub fn exchange(&mut self, line: &str) -> Result<Answer, Fault> {
        let id = self.next_id;
        self.next_id += 1;
        self.process.write_line(line)?;
        let answer = self.process.read_line(self.timeouts.request)?;
        parse_answer(id, &answer).map_err(|detail| {
            let mut fault = self.process.fault(FaultKind::Malformed, detail);
            fault.line = Some(answer);
            fault
        })
    }

    /// Sends `line` and reads its answer; after a fault, restarts the peer before returning
    /// the fault, so the next request meets a fresh process (IOP-12). Once a restart failed,
    /// every request faults with the reason.
    ///
    /// # Errors
    /// A peer fault (IOP-11).
    pub fn ask(&mut self, line: &str) -> Result<Answer, Fault> {
        if let Some(fault) = &self.dead {
            let mut fault = fault.clone();
            fault.detail = format!("the peer did not restart after a fault: {}", fault.detail);
            return Err(fault);
        }
        self.exchange(line).inspect_err(|_| {
            if let Err(restart) = self.restart() {
                self.dead = Some(restart);
            }
        })
    }

    /// IOP-12: kills the process and starts a fresh one with a new hello.
    ///
    /// # Errors
    /// The fault of the new process; the old one is gone either way.
    pub fn restart(&mut self) -> Result<(), Fault> {
        self.process.kill();
        let mut process = PeerProcess::spawn(&self.command)?;
        self.hello = say_hello(&mut process, self.timeouts.hello)?;
        self.process = process;
        self.next_id = 1;
        Ok(())
    }

    /// IOP-13: closes the input and lets the peer exit.
    pub fn finish(self) {
        self.process.finish();
    }
}

/// The hello request line (IOP-4).
#[must_use]
pub fn hello_line() -> String {
    let input = json!({
        "protocol": PROTOCOL,
        "runner": concat!("saltrelay ", env!("CARGO_PKG_VERSION")),
    });
    let Value::Object(input) = input else {
        unreachable!("a JSON object literal")
    };
    request_line(0, "hello", &input)
}

/// `{"id", "op", "input"}` on one line.
#[must_use]
pub fn request_line(id: u64, op: &str, input: &Map<String, Value>) -> String {
    let mut request = Map::new();
    request.insert("id".into(), id.into());
    request.insert("op".into(), op.into());
    request.insert("input".into(), Value::Object(input.clone()));
    Value::Object(request).to_string()
}

fn say_hello(process: &mut PeerProcess, timeout: Duration) -> Result<Hello, Fault> {
    process.write_line(&hello_line())?;
    let line = process.read_line(timeout)?;
    let malformed = |process: &PeerProcess, detail: String| {
        let mut fault = process.fault(FaultKind::Malformed, format!("hello: {detail}"));
        fault.line = Some(line.clone());
        fault
    };
    let output = match parse_answer(0, &line) {
        Ok(Answer::Accepted(output)) => output,
        Ok(Answer::Rejected(code, _)) => {
            return Err(malformed(process, format!("rejected ({code})")));
        }
        Err(detail) => return Err(malformed(process, detail)),
    };
    if output.get("protocol").and_then(Value::as_u64) != Some(PROTOCOL) {
        return Err(malformed(process, format!("protocol is not {PROTOCOL}")));
    }
    let implementation = output
        .get("implementation")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(process, "no implementation name".into()))?
        .to_owned();
    let capabilities = output
        .get("capabilities")
        .and_then(Value::as_array)
        .and_then(|caps| {
            caps.iter()
                .map(|c| c.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| malformed(process, "capabilities is not a list of strings".into()))?;
    Ok(Hello {
        implementation,
        capabilities,
    })
}

/// IOP-3: an answer to request `id`, or why the line is not one.
fn parse_answer(id: u64, line: &str) -> Result<Answer, String> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| format!("answer is not JSON ({e})"))?;
    let Value::Object(mut answer) = value else {
        return Err("answer is not a JSON object".into());
    };
    if answer.get("id").and_then(Value::as_u64) != Some(id) {
        return Err(format!("answer id is {}, expected {id}", show_id(&answer)));
    }
    let output = match answer.remove("output") {
        None => None,
        Some(Value::Object(output)) => Some(output),
        Some(_) => return Err("output is not a JSON object".into()),
    };
    match (answer.remove("error"), output) {
        (Some(Value::String(code)), output) => {
            Ok(Answer::Rejected(code, output.unwrap_or_default()))
        }
        (Some(_), _) => Err("error is not a string".into()),
        (None, Some(output)) => Ok(Answer::Accepted(output)),
        (None, None) => Err("answer has neither output nor error".into()),
    }
}

fn show_id(answer: &Map<String, Value>) -> String {
    answer
        .get("id")
        .map_or_else(|| "missing".into(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_accepts_rejections_and_refuses_the_rest() {
        let accepted = parse_answer(3, r#"{"id":3,"output":{"a":"00"}}"#);
        assert!(matches!(accepted, Ok(Answer::Accepted(m)) if m["a"] == "00"));
        let rejected = parse_answer(3, r#"{"id":3,"error":"auth_failed"}"#);
        assert_eq!(
            rejected,
            Ok(Answer::Rejected("auth_failed".into(), Map::new()))
        );
        assert!(
            parse_answer(3, r#"{"id":4,"output":{}}"#)
                .unwrap_err()
                .contains("id is 4")
        );
        assert!(parse_answer(3, "hello").unwrap_err().contains("not JSON"));
        assert!(
            parse_answer(3, "[1]")
                .unwrap_err()
                .contains("not a JSON object")
        );
        assert!(
            parse_answer(3, r#"{"id":3}"#)
                .unwrap_err()
                .contains("neither")
        );
        assert!(
            parse_answer(3, r#"{"id":3,"error":7}"#)
                .unwrap_err()
                .contains("not a string")
        );
    }
}
