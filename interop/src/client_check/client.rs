//! The client under test: one run of its command per scenario, with the scenario's environment
//! (IOP-17), its standard output kept and a time limit; a client that does not exit in time is
//! killed and reported as such.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::identity::Identity;
use tokio::io::AsyncReadExt as _;
use tokio::process::Command;

/// What one scenario asks the client to do (IOP-18).
pub(super) struct Scenario<'a> {
    /// `send` or `receive`.
    pub(super) action: &'static str,
    /// The relay's address.
    pub(super) relay: &'a str,
    /// The relay's public key.
    pub(super) relay_key: PublicKey,
    /// The client's identity key file.
    pub(super) id_file: &'a Path,
    /// The other identity: the recipient of `send`.
    pub(super) peer: Identity,
    /// The text to send.
    pub(super) text: &'a str,
    /// How long the client may wait for the relay before it gives up.
    pub(super) timeout_secs: u64,
}

/// How one run of the client ended.
#[derive(Debug)]
pub(super) struct Outcome {
    /// The exit status; `None` when it was killed at the limit or did not start.
    pub(super) code: Option<i32>,
    /// Why there is no exit code, or empty.
    pub(super) fault: String,
    /// Everything it wrote on standard output.
    pub(super) stdout: String,
    /// The last lines it wrote on standard error, for a failure's detail.
    pub(super) stderr: String,
}

impl Outcome {
    /// Exited with status 0.
    #[must_use]
    pub(super) fn succeeded(&self) -> bool {
        self.code == Some(0)
    }

    /// IOP-19: whether the client gave up as it must, exiting non-zero within its timeout;
    /// the error says why exit 0 was wrong (`zero_is_wrong`) or that it had to be killed.
    pub(super) fn gave_up(&self, zero_is_wrong: &str) -> Result<(), String> {
        match self.code {
            Some(0) => Err(format!("the client exited 0 {zero_is_wrong}")),
            Some(_) => Ok(()),
            None => Err(format!(
                "{} instead of giving up within its timeout",
                self.describe()
            )),
        }
    }

    /// A sentence for a failure's detail.
    #[must_use]
    pub(super) fn describe(&self) -> String {
        let ended = match self.code {
            Some(code) => format!("the client exited with {code}"),
            None => format!("the client {}", self.fault),
        };
        let tail: Vec<&str> = self.stderr.lines().rev().take(3).collect();
        if tail.is_empty() {
            ended
        } else {
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("{ended}; stderr: {}", tail.join(" | "))
        }
    }
}

/// The grace the client gets beyond its own timeout before it is killed.
const GRACE: Duration = Duration::from_secs(15);

/// Runs `command` once for `scenario`, to its exit or its time limit.
pub(super) async fn run_client(command: &[String], scenario: &Scenario<'_>) -> Outcome {
    let Some((program, args)) = command.split_first() else {
        return fault("was not given (no command)");
    };
    // IOP-17: the environment every scenario gets.
    let mut child = match Command::new(program)
        .args(args)
        .env("SALTRELAY_CHECK_ACTION", scenario.action)
        .env("SALTRELAY_RELAY", scenario.relay)
        .env(
            "SALTRELAY_RELAY_KEY",
            hex::encode(scenario.relay_key.as_bytes()),
        )
        .env("SALTRELAY_ID_FILE", scenario.id_file)
        .env("SALTRELAY_PEER", scenario.peer.as_str())
        .env("SALTRELAY_TEXT", scenario.text)
        .env("SALTRELAY_TIMEOUT_SECS", scenario.timeout_secs.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(error) => return fault(&format!("did not start: {error}")),
    };
    let (mut out, mut err) = (
        child.stdout.take().expect("piped"),
        child.stderr.take().expect("piped"),
    );
    let reading = async {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let _ = tokio::join!(out.read_to_end(&mut stdout), err.read_to_end(&mut stderr));
        (stdout, stderr)
    };
    let limit = Duration::from_secs(scenario.timeout_secs) + GRACE;
    let finished = tokio::time::timeout(limit, async {
        let (stdout, stderr) = reading.await;
        (child.wait().await, stdout, stderr)
    })
    .await;
    if let Ok((status, stdout, stderr)) = finished {
        Outcome {
            code: status.ok().and_then(|s| s.code()),
            fault: "was ended by a signal".to_owned(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    } else {
        let _ = child.kill().await;
        fault(&format!(
            "did not exit within {} s and was killed",
            limit.as_secs()
        ))
    }
}

fn fault(what: &str) -> Outcome {
    Outcome {
        code: None,
        fault: what.to_owned(),
        stdout: String::new(),
        stderr: String::new(),
    }
}
