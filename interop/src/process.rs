//! The peer as a subprocess speaking JSON lines (IOP-1, IOP-11, IOP-13): start, write a line,
//! read a line with a timeout, keep the tail of its standard error, kill.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::fault::{Fault, FaultKind};

/// Lines of standard error kept for fault reports.
const STDERR_LINES: usize = 20;
/// IOP-13: how long a peer may take to exit once its input is closed.
const EXIT_GRACE: Duration = Duration::from_secs(5);
/// After its output ends, how long to wait for the exit status of a crashed peer.
const EXIT_STATUS_WAIT: Duration = Duration::from_secs(2);

/// One running peer process.
#[derive(Debug)]
pub struct PeerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Option<String>>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl PeerProcess {
    /// Starts `command` (program and arguments) with piped standard streams.
    ///
    /// # Errors
    /// A `crashed` fault when the program cannot be started.
    pub fn spawn(command: &[String]) -> Result<Self, Fault> {
        let (program, args) = command
            .split_first()
            .ok_or_else(|| Fault::new(FaultKind::Crashed, "no peer command given"))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Fault::new(FaultKind::Crashed, format!("cannot start {program}: {e}")))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr_pipe = child.stderr.take().expect("stderr is piped");
        let (sender, lines) = channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => {
                        let _ = sender.send(None);
                        return;
                    }
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                        if sender.send(Some(text)).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&stderr);
        thread::spawn(move || keep_tail(stderr_pipe, &tail));
        Ok(Self {
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
        })
    }

    /// Writes one line (a newline is added).
    ///
    /// # Errors
    /// A `crashed` fault when the peer no longer reads its input.
    pub fn write_line(&mut self, line: &str) -> Result<(), Fault> {
        let written = self.stdin.as_mut().map_or(Ok(()), |stdin| {
            stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .and_then(|()| stdin.flush())
        });
        written.map_err(|e| self.crashed(&format!("stopped reading its input ({e})")))
    }

    /// Reads the next line of standard output, waiting at most `timeout`.
    ///
    /// # Errors
    /// A `timeout` fault, or a `crashed` fault when the output ended.
    pub fn read_line(&mut self, timeout: Duration) -> Result<String, Fault> {
        match self.lines.recv_timeout(timeout) {
            Ok(Some(line)) => Ok(line),
            Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                Err(self.crashed("closed its output"))
            }
            Err(RecvTimeoutError::Timeout) => Err(self.fault(
                FaultKind::Timeout,
                format!("no answer within {} s", timeout.as_secs_f64()),
            )),
        }
    }

    /// A fault of `kind` with the tail of standard error attached.
    #[must_use]
    pub fn fault(&self, kind: FaultKind, detail: impl Into<String>) -> Fault {
        let mut fault = Fault::new(kind, detail);
        fault.stderr = self.stderr_tail();
        fault
    }

    fn crashed(&mut self, what: &str) -> Fault {
        let deadline = Instant::now() + EXIT_STATUS_WAIT;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status.to_string()),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => break None,
            }
        };
        let detail = match status {
            Some(status) => format!("peer {what} and exited ({status})"),
            None => format!("peer {what} but is still running"),
        };
        self.fault(FaultKind::Crashed, detail)
    }

    fn stderr_tail(&self) -> Vec<String> {
        // Give the reader thread a moment to collect what a dying peer wrote last.
        thread::sleep(Duration::from_millis(50));
        self.stderr
            .lock()
            .map(|tail| tail.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// IOP-13: closes the peer's input, waits up to 5 s for it to exit, then kills it.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + EXIT_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }

    /// Kills the peer and reaps it (IOP-12).
    pub fn kill(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// Longest standard-error line kept, in characters.
const STDERR_LINE_CHARS: usize = 400;

/// Reads standard error to its end (so the peer never blocks on a full pipe), keeping the tail.
fn keep_tail(pipe: impl Read, tail: &Mutex<VecDeque<String>>) {
    let mut reader = BufReader::new(pipe);
    loop {
        let mut bytes = Vec::new();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line: String = String::from_utf8_lossy(&bytes)
            .trim_end()
            .chars()
            .take(STDERR_LINE_CHARS)
            .collect();
        if let Ok(mut tail) = tail.lock() {
            if tail.len() == STDERR_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }
}
