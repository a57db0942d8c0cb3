//! Runs one of `saltrelay`'s JSON tools (`message …`, `fs …`) as an implementer would: one
//! JSON object on stdin, one on stdout. Shared by the tests of those tools.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs `saltrelay <tool> <command>` with `input` on stdin; returns whether it exited 0 and the
/// JSON it printed.
pub(crate) fn run(tool: &str, command: &str, input: &Value) -> (bool, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_saltrelay"))
        .args([tool, command])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("saltrelay starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.to_string().as_bytes())
        .expect("stdin takes the input");
    let out = child.wait_with_output().expect("saltrelay ends");
    (
        out.status.success(),
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON object"),
    )
}
