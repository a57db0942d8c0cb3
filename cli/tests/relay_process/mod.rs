//! Shared helpers of the process tests: a `saltrelay relay serve` child on 127.0.0.1 with a
//! free port, identities made by `saltrelay id new`, and `send`/`receive` runs.

#![allow(dead_code, unreachable_pub)]

pub mod kill_cycles;
pub mod library;

use std::io::Read as _;
use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn saltrelay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_saltrelay"))
}

/// A relay process; killed (SIGKILL) on drop unless stopped.
pub struct RelayProcess {
    pub child: Child,
    /// Kept open so the relay's later output never meets a closed pipe.
    _stdout: std::io::Lines<BufReader<std::process::ChildStdout>>,
    pub addr: String,
    pub key: String,
    /// Every line the relay wrote on stderr so far (also echoed to the test's stderr).
    stderr: Arc<Mutex<Vec<String>>>,
    /// The lines the relay printed on stdout after the address and key (data, recovery).
    pub banner: Vec<String>,
}

impl RelayProcess {
    /// Starts `saltrelay relay serve --listen 127.0.0.1:0 --data DIR EXTRA...` and reads the
    /// address and key it prints.
    pub fn start(data: &Path, extra: &[&str]) -> Self {
        let mut child = saltrelay()
            .args(["relay", "serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("relay starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let errors = BufReader::new(child.stderr.take().expect("stderr"));
        let seen = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in errors.lines().map_while(Result::ok) {
                eprintln!("{line}");
                seen.lock().expect("no panic").push(line);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut next = || lines.next().expect("a line").expect("utf-8");
        let addr = next()
            .strip_prefix("saltrelay relay listening on ")
            .expect("address line")
            .to_owned();
        let key = next()
            .strip_prefix("public key ")
            .expect("key line")
            .to_owned();
        let mut banner = vec![next()];
        // RELAY-26: the recovery line follows the data line.
        banner.push(next());
        Self {
            child,
            _stdout: lines,
            addr,
            key,
            stderr,
            banner,
        }
    }

    /// The lines the relay wrote on stderr so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().expect("no panic").clone()
    }

    /// Waits (up to 60 s: the log is read by another thread) until the relay wrote a line on
    /// stderr for which `wanted` holds; false if none came.
    pub fn logged(&self, wanted: impl Fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.stderr_lines().iter().any(|l| wanted(l)) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then waits: the graceful shutdown of RELAY-23.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.child.wait().expect("relay exits")
    }

    /// SIGKILL: a crash.
    pub fn crash(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `saltrelay id new --out DIR/NAME.id`; returns the key file and the identity.
pub fn new_identity(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(format!("{name}.id"));
    let output = saltrelay()
        .args(["id", "new", "--json", "--out"])
        .arg(&path)
        .output()
        .expect("id new runs");
    assert!(output.status.success());
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    (
        path,
        value["identity"].as_str().expect("identity").to_owned(),
    )
}

/// Runs a client command (`send` or `receive`) against the relay.
pub fn client(relay: &RelayProcess, command: &str, id: &Path, args: &[&str]) -> Output {
    let output = saltrelay()
        .args([
            command,
            "--relay",
            &relay.addr,
            "--relay-key",
            &relay.key,
            "--id",
        ])
        .arg(id)
        .args(args)
        .output()
        .expect("client runs");
    assert!(
        output.status.success(),
        "{command} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The JSON lines a `--json` command printed.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// Runs `command` in a process group of its own and returns its output, or, if it has not
/// ended within `limit`, SIGKILLs the whole group (the command and every relay it started)
/// and panics with what it printed so far: a hang is a clear failure, never a stuck test.
pub fn output_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("command starts");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    let Some(status) = status else {
        panic!(
            "did not end within {limit:?} (killed): stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    Output {
        status,
        stdout,
        stderr,
    }
}
