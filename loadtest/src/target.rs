//! The relay under load: embedded (own runtime, fresh temporary data directory), a
//! `saltrelay relay serve` child process, or an external relay.

use std::io::{BufRead as _, BufReader, Lines};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_relay::server::{self, RelayHandle, RelayStats, ServerConfig};

use crate::{LoadConfig, LoadError, RelayMode, cpu};

/// A relay to load.
pub(crate) struct Target {
    addr: SocketAddr,
    key: PublicKey,
    kind: Kind,
    /// The data directory of a relay we started; removed at the end.
    data: Option<tempfile::TempDir>,
}

enum Kind {
    Embedded {
        runtime: tokio::runtime::Runtime,
        handle: Option<RelayHandle>,
    },
    Process {
        child: Child,
        _stdout: Lines<BufReader<ChildStdout>>,
    },
    External,
}

impl Target {
    /// Starts or finds the relay `config` names. `data_parent` holds the temporary data
    /// directory (the system's temporary folder when `None`).
    pub(crate) fn start(
        config: &LoadConfig,
        data_parent: Option<&Path>,
    ) -> Result<Self, LoadError> {
        let temp = || {
            let builder = tempfile::Builder::new()
                .prefix("saltrelay-loadtest-")
                .tempdir_in(data_parent.map_or_else(std::env::temp_dir, Path::to_path_buf));
            builder.map_err(|e| LoadError::io("temporary data directory", e))
        };
        match &config.relay {
            RelayMode::Embedded => {
                let data = temp()?;
                let runtime = crate::runtime::runtime("relay-rt")?;
                let listen: SocketAddr = "127.0.0.1:0".parse().expect("a valid literal");
                let mut server_config = ServerConfig::new(listen, data.path());
                server_config.max_connections = server_config
                    .max_connections
                    .max(config.clients + config.offenders.total() * 2 + 100);
                if let Some(ms) = config.slow_reader_ms {
                    server_config.slow_reader_timeout_ms = ms;
                }
                let handle = runtime
                    .block_on(server::start(server_config))
                    .map_err(|e| LoadError::Relay(e.to_string()))?;
                Ok(Self {
                    addr: handle.local_addr(),
                    key: handle.public_key(),
                    kind: Kind::Embedded {
                        runtime,
                        handle: Some(handle),
                    },
                    data: Some(data),
                })
            }
            RelayMode::Process => {
                let data = temp()?;
                let binary = config
                    .relay_binary
                    .clone()
                    .ok_or_else(|| LoadError::Config("no saltrelay binary".into()))?;
                let (child, stdout, addr, key) =
                    spawn_relay(&binary, data.path(), "127.0.0.1:0", &config.relay_args)?;
                Ok(Self {
                    addr,
                    key,
                    kind: Kind::Process {
                        child,
                        _stdout: stdout,
                    },
                    data: Some(data),
                })
            }
            RelayMode::External { addr, key } => Ok(Self {
                addr: *addr,
                key: parse_key(key)?,
                kind: Kind::External,
                data: None,
            }),
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn key(&self) -> PublicKey {
        self.key
    }

    /// The relay's data directory, if we started it.
    pub(crate) fn data_dir(&self) -> Option<PathBuf> {
        self.data.as_ref().map(|d| d.path().to_path_buf())
    }

    /// The relay's own statistics (embedded only).
    pub(crate) fn stats(&self) -> Option<RelayStats> {
        match &self.kind {
            Kind::Embedded {
                handle: Some(h), ..
            } => Some(h.stats()),
            _ => None,
        }
    }

    /// The child's process ID (process mode only).
    pub(crate) fn pid(&self) -> Option<u32> {
        match &self.kind {
            Kind::Process { child, .. } => Some(child.id()),
            _ => None,
        }
    }

    /// Where the relay's numbers come from, for the report.
    pub(crate) fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Embedded { .. } => "embedded (in this process, own 2-thread runtime)",
            Kind::Process { .. } => "child process `saltrelay relay serve`",
            Kind::External => "external",
        }
    }

    /// Relay CPU seconds so far: the child's, or this process's relay threads.
    pub(crate) fn cpu_secs(&self) -> Option<f64> {
        match &self.kind {
            Kind::Embedded { .. } => Some(cpu::split_self().relay_secs),
            Kind::Process { child, .. } => cpu::process_secs(child.id()),
            Kind::External => None,
        }
    }

    /// Stops what we started: graceful shutdown (RELAY-23) or SIGTERM.
    pub(crate) fn stop(mut self) -> Result<(), LoadError> {
        match &mut self.kind {
            Kind::Embedded { runtime, handle } => {
                if let Some(handle) = handle.take() {
                    runtime
                        .block_on(handle.shutdown())
                        .map_err(|e| LoadError::Relay(e.to_string()))?;
                }
            }
            Kind::Process { child, .. } => {
                let _ = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
                let _ = child.wait();
            }
            Kind::External => {}
        }
        Ok(())
    }
}

/// A started relay child: the process, its remaining output, its address and key.
pub(crate) type Spawned = (Child, Lines<BufReader<ChildStdout>>, SocketAddr, PublicKey);

/// Starts `saltrelay relay serve` on `listen` with `extra` arguments (a store, a node ID) and
/// reads its address and key.
pub(crate) fn spawn_relay(
    binary: &Path,
    data: &Path,
    listen: &str,
    extra: &[String],
) -> Result<Spawned, LoadError> {
    let mut child = Command::new(binary)
        .args(["relay", "serve", "--listen", listen, "--data"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| LoadError::io(binary, e))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| LoadError::Relay("no stdout".into()))?;
    let mut lines = BufReader::new(stdout).lines();
    let mut next = |prefix: &str| -> Result<String, LoadError> {
        let line = lines
            .next()
            .ok_or_else(|| LoadError::Relay("relay exited before printing its address".into()))?
            .map_err(|e| LoadError::io("relay stdout", e))?;
        line.strip_prefix(prefix)
            .map(str::to_owned)
            .ok_or_else(|| LoadError::Relay(format!("unexpected relay output: {line}")))
    };
    let addr = next("saltrelay relay listening on ")?
        .parse()
        .map_err(|_| LoadError::Relay("unparsable relay address".into()))?;
    let key = parse_key(&next("public key ")?)?;
    Ok((child, lines, addr, key))
}

fn parse_key(hex_key: &str) -> Result<PublicKey, LoadError> {
    let bytes = hex::decode(hex_key.trim())
        .map_err(|_| LoadError::Config("--relay-key is not hex".into()))?;
    PublicKey::from_slice(&bytes)
        .map_err(|_| LoadError::Config("--relay-key is not a 32-byte public key".into()))
}
