//! The relay nodes of a kill-cycle run: N `saltrelay relay serve` children, each with its own
//! data directory and address, on one store when `--store` is given (spec/09-relay-cluster.md;
//! then with one relay key, copied from node 0), and the faults done to them: SIGKILL and restart, SIGSTOP and
//! SIGCONT.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_relay::server::keyfile::KEY_FILE_NAME;

use crate::LoadError;
use crate::target::{Spawned, spawn_relay};

/// Attempts at a restart on the same address (the port may take a moment to free).
const RESTART_ATTEMPTS: u32 = 50;
/// Longest graceful stop of the nodes (RELAY-23 finishes the queued commits first); a node
/// still running then is killed and named, so a stuck node never hangs the run.
const STOP_GRACE: Duration = Duration::from_secs(60);

/// One relay node.
struct Node {
    child: Child,
    addr: SocketAddr,
    data: PathBuf,
    args: Vec<String>,
}

/// Every node of the run, with what a restart needs.
pub(super) struct Nodes {
    binary: PathBuf,
    running: Vec<Node>,
    keys: Vec<PublicKey>,
}

impl Nodes {
    /// Starts `count` nodes, node `i` in `parent/node<i>` with `--node-id node<i>` and the
    /// store when one is given, and `extra` arguments.
    pub(super) fn start(
        binary: &Path,
        parent: &Path,
        count: usize,
        store: Option<&str>,
        extra: &[String],
    ) -> Result<Self, LoadError> {
        let mut nodes = Vec::with_capacity(count);
        let mut keys = Vec::with_capacity(count);
        for index in 0..count {
            let data = parent.join(format!("node{index}"));
            std::fs::create_dir_all(&data).map_err(|e| LoadError::io(&data, e))?;
            if store.is_some() && index > 0 {
                // CLU-2: every node of a cluster has the same relay key; node 0 made it.
                let from = parent.join("node0").join(KEY_FILE_NAME);
                let to = data.join(KEY_FILE_NAME);
                std::fs::copy(&from, &to).map_err(|e| LoadError::io(&to, e))?;
            }
            let mut args = Vec::new();
            if let Some(url) = store {
                args.extend(["--store".to_owned(), url.to_owned()]);
                args.extend(["--node-id".to_owned(), format!("node{index}")]);
            }
            args.extend(extra.iter().cloned());
            let spawned = spawn_relay(binary, &data, "127.0.0.1:0", &args)?;
            keys.push(spawned.3);
            nodes.push(Node::from_spawned(spawned, data, args));
        }
        Ok(Self {
            binary: binary.to_path_buf(),
            running: nodes,
            keys,
        })
    }

    /// Every node's address and key, by node index.
    pub(super) fn endpoints(&self) -> Vec<(String, PublicKey)> {
        self.running
            .iter()
            .zip(&self.keys)
            .map(|(node, key)| (node.addr.to_string(), *key))
            .collect()
    }

    /// How many nodes there are.
    pub(super) fn len(&self) -> usize {
        self.running.len()
    }

    /// A crash: SIGKILL, no shutdown, no flush.
    pub(super) fn kill(&mut self, index: usize) {
        let node = &mut self.running[index];
        let _ = node.child.kill();
        let _ = node.child.wait();
    }

    /// Starts a killed node again on its data directory and address.
    pub(super) fn restart(&mut self, index: usize) -> Result<(), LoadError> {
        let node = &self.running[index];
        let (addr, data, args) = (node.addr.to_string(), node.data.clone(), node.args.clone());
        let mut last = None;
        for _ in 0..RESTART_ATTEMPTS {
            match spawn_relay(&self.binary, &data, &addr, &args) {
                Ok(spawned) => {
                    self.running[index] = Node::from_spawned(spawned, data, args);
                    return Ok(());
                }
                Err(error) => last = Some(error),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(last.unwrap_or_else(|| LoadError::Relay("no restart attempted".into())))
    }

    /// SIGSTOP (`pause`) or SIGCONT: the process keeps its sockets but does nothing.
    pub(super) fn signal(&self, index: usize, pause: bool) -> Result<(), LoadError> {
        let signal = if pause { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .args([signal, &self.running[index].child.id().to_string()])
            .status()
            .map_err(|e| LoadError::io("kill", e))?;
        if status.success() {
            Ok(())
        } else {
            Err(LoadError::Relay(format!("kill {signal} failed: {status}")))
        }
    }

    /// Graceful stop of every node (SIGCONT first, in case one is paused; then SIGTERM),
    /// [`STOP_GRACE`] at most; a node still running then gets SIGKILL and is named on stderr.
    pub(super) fn stop(mut self) {
        for node in &mut self.running {
            let pid = node.child.id().to_string();
            let _ = Command::new("kill").args(["-CONT", &pid]).status();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
        }
        let deadline = Instant::now() + STOP_GRACE;
        for (index, node) in self.running.iter_mut().enumerate() {
            while matches!(node.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if matches!(node.child.try_wait(), Ok(None)) {
                eprintln!(
                    "saltrelay loadtest: node {index} did not stop within {} s of SIGTERM; killed",
                    STOP_GRACE.as_secs()
                );
                let _ = node.child.kill();
                let _ = node.child.wait();
            }
        }
    }
}

impl Node {
    /// Keeps the child and reads the rest of its standard output on a thread, so that a
    /// node that logs to it never blocks on a full pipe.
    fn from_spawned(spawned: Spawned, data: PathBuf, args: Vec<String>) -> Self {
        let (child, lines, addr, _) = spawned;
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child,
            addr,
            data,
            args,
        }
    }
}
