//! One PostgreSQL server: started in a temporary directory (`initdb`, `pg_ctl`) or named by
//! `SALTRELAY_PG_URL`; databases, crash-restart, stop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::watchdog::Watchdog;

use crate::binaries::{find_bin_dir, tool};
use crate::{PgTestError, REQUIRE_VAR, URL_VAR, required};

/// The user the server runs as when this process is root (PostgreSQL refuses root).
const ROOT_RUNS_AS: &str = "postgres";
/// Seconds `pg_ctl` waits for a start or stop.
const PG_CTL_WAIT_SECS: &str = "120";
/// Attempts at a free port (another process may take the one we picked before the server binds).
const PORT_ATTEMPTS: usize = 3;

/// How a started server is configured.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `fsync` on: commits survive a machine crash, as in production. Off for tests, where only
    /// the server process is ever killed (the page cache keeps what it wrote), which is faster.
    /// `synchronous_commit` stays on either way: a commit returns only once its WAL is written,
    /// so a crash-restart of the server never loses a commit the relay acked.
    pub durable: bool,
    /// `max_connections` (relay nodes hold a pool and a `LISTEN` connection each).
    pub max_connections: u32,
}

impl Options {
    /// Fast settings for tests: no fsync.
    #[must_use]
    pub fn for_tests() -> Self {
        Self {
            durable: false,
            max_connections: 200,
        }
    }

    /// Production-like settings for measurements: fsync on.
    #[must_use]
    pub fn durable() -> Self {
        Self {
            durable: true,
            max_connections: 200,
        }
    }
}

/// A PostgreSQL server for tests: started here (and removed on drop) or external.
#[derive(Debug)]
pub struct PgServer {
    /// Connection URL of the `postgres` database.
    url: String,
    bin_dir: Option<PathBuf>,
    managed: Option<Managed>,
}

/// A server this process started.
#[derive(Debug)]
struct Managed {
    /// Stops the server and removes `dir` if this process dies first (dropped before `dir`).
    watchdog: Watchdog,
    dir: tempfile::TempDir,
    port: u16,
    /// `Some("postgres")` when this process is root.
    run_as: Option<&'static str>,
}

impl PgServer {
    /// The server for a test named `test`: `SALTRELAY_PG_URL`'s, or a new one with test
    /// settings. `None`, with the reason printed, when PostgreSQL is not installed.
    ///
    /// # Panics
    /// When PostgreSQL is not installed and `SALTRELAY_REQUIRE_PG=1`, or when it is installed
    /// and does not start (a broken installation is a failure, never a skip).
    #[must_use]
    pub fn for_test(test: &str) -> Option<Self> {
        match Self::from_env_or_start(Options::for_tests()) {
            Ok(server) => Some(server),
            Err(PgTestError::NotInstalled(why)) if !required() => {
                eprintln!(
                    "{test}: SKIPPED, no PostgreSQL: {why}; set {URL_VAR} or install \
                     postgresql ({REQUIRE_VAR}=1 turns this skip into a failure)"
                );
                None
            }
            Err(error) => panic!("{test}: PostgreSQL is needed and unavailable: {error}"),
        }
    }

    /// `SALTRELAY_PG_URL`'s server when set, else a new one.
    ///
    /// # Errors
    /// See [`PgServer::start`].
    pub fn from_env_or_start(options: Options) -> Result<Self, PgTestError> {
        match std::env::var(URL_VAR) {
            Ok(url) if !url.is_empty() => Ok(Self {
                url,
                bin_dir: find_bin_dir().ok(),
                managed: None,
            }),
            _ => Self::start(options),
        }
    }

    /// Starts a new server in a temporary directory on a free loopback port.
    ///
    /// # Errors
    /// [`PgTestError::NotInstalled`] without the binaries; [`PgTestError::Command`] when
    /// `initdb` or `pg_ctl start` fails; [`PgTestError::Io`] for the directory.
    pub fn start(options: Options) -> Result<Self, PgTestError> {
        let bin_dir = find_bin_dir()?;
        let run_as = is_root()?.then_some(ROOT_RUNS_AS);
        let mut dir = tempfile::Builder::new()
            .prefix("saltrelay-pg-")
            .tempdir()
            .map_err(|e| PgTestError::io("temporary directory", e))?;
        if let Some(user) = run_as {
            run(
                Command::new("chown").arg(user).arg(dir.path()),
                "chown of the server directory",
            )?;
        }
        let data = dir.path().join("data");
        let mut initdb = as_user(run_as, &bin_dir.join("initdb"), dir.path());
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ])
            .arg("--no-sync");
        run(&mut initdb, "initdb")?;
        // Before the server starts: from then on it never outlives this process.
        let mut watchdog = Watchdog::spawn(
            &pg_ctl_command(run_as, &bin_dir, dir.path(), "stop"),
            dir.path(),
        )?;
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let managed = Managed {
                watchdog,
                dir,
                port,
                run_as,
            };
            managed.configure(options)?;
            match managed.pg_ctl(&bin_dir, "start") {
                Ok(()) => {
                    return Ok(Self {
                        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                        bin_dir: Some(bin_dir),
                        managed: Some(managed),
                    });
                }
                Err(error) => last = Some(error),
            }
            dir = managed.dir;
            watchdog = managed.watchdog;
        }
        Err(last.expect("at least one attempt"))
    }

    /// The URL of the server's `postgres` database.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The folder of the PostgreSQL binaries (`pgbench`, `psql`), when found.
    #[must_use]
    pub fn bin_dir(&self) -> Option<&Path> {
        self.bin_dir.as_deref()
    }

    /// The data directory of a server we started (`pg_ctl -D`).
    #[must_use]
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.managed.as_ref().map(|m| m.dir.path().join("data"))
    }

    /// The process ID of the server we started (the first line of `postmaster.pid`), while
    /// it runs.
    #[must_use]
    pub fn postmaster_pid(&self) -> Option<u32> {
        let pid_file = self.data_dir()?.join("postmaster.pid");
        std::fs::read_to_string(pid_file)
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// The server log of a server we started.
    #[must_use]
    pub fn log_file(&self) -> Option<PathBuf> {
        self.managed
            .as_ref()
            .map(|m| m.dir.path().join("server.log"))
    }

    /// A new empty database `name` (dropped first if it exists) and its URL.
    ///
    /// # Errors
    /// [`PgTestError::Invalid`] unless `name` is lowercase letters, digits and `_`;
    /// [`PgTestError::Command`] when `psql` fails.
    pub fn create_database(&self, name: &str) -> Result<String, PgTestError> {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(PgTestError::Invalid(format!("database name {name:?}")));
        }
        self.psql(&[
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            &format!("CREATE DATABASE {name}"),
        ])?;
        Ok(with_database(&self.url, name))
    }

    /// Runs SQL statements with `psql` against the `postgres` database; returns its output.
    ///
    /// # Errors
    /// [`PgTestError::Command`] when `psql` fails or a statement errors.
    pub fn psql(&self, statements: &[&str]) -> Result<String, PgTestError> {
        self.psql_in(&self.url, statements)
    }

    /// Runs SQL statements with `psql` against `url`, a database of this server (one
    /// [`Self::create_database`] made); returns its output, unaligned and without headers
    /// (one row a line, columns split by `|`). The one way tests query their own database,
    /// here and in the CLI's cluster tests.
    ///
    /// # Errors
    /// [`PgTestError::Command`] when `psql` fails or a statement errors.
    pub fn psql_in(&self, url: &str, statements: &[&str]) -> Result<String, PgTestError> {
        psql_at(self.bin_dir(), url, statements)
    }

    /// Crashes the server (`pg_ctl stop -m immediate`: no checkpoint, recovery on start) and
    /// starts it again on the same port and data.
    ///
    /// # Errors
    /// [`PgTestError::External`] for a `SALTRELAY_PG_URL` server; [`PgTestError::Command`]
    /// when `pg_ctl` fails.
    pub fn restart(&self) -> Result<(), PgTestError> {
        let (managed, bin) = self.managed_parts("restart")?;
        managed.pg_ctl(bin, "stop")?;
        managed.pg_ctl(bin, "start")
    }

    fn managed_parts(&self, what: &'static str) -> Result<(&Managed, &Path), PgTestError> {
        match (&self.managed, &self.bin_dir) {
            (Some(managed), Some(bin)) => Ok((managed, bin)),
            _ => Err(PgTestError::External(what)),
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Ok((managed, bin)) = self.managed_parts("stop") {
            // Best effort: the directory goes with the TempDir either way.
            let _ = managed.pg_ctl(bin, "stop");
        }
    }
}

impl Managed {
    /// Appends our settings to `postgresql.conf` (later lines win, so a retry's port counts).
    fn configure(&self, options: Options) -> Result<(), PgTestError> {
        use std::io::Write as _;
        let path = self.dir.path().join("data").join("postgresql.conf");
        let fsync = if options.durable { "on" } else { "off" };
        let settings = format!(
            "\n# saltrelay-pgtest\nlisten_addresses = '127.0.0.1'\nport = {}\n\
             unix_socket_directories = '{}'\nmax_connections = {}\nfsync = {fsync}\n\
             synchronous_commit = on\n",
            self.port,
            self.dir.path().display(),
            options.max_connections,
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(settings.as_bytes()))
            .map_err(|e| PgTestError::io(path.display().to_string(), e))
    }

    /// `pg_ctl start` (waiting until it accepts connections) or `pg_ctl stop -m immediate`.
    fn pg_ctl(&self, bin: &Path, action: &str) -> Result<(), PgTestError> {
        let log = self.dir.path().join("server.log");
        let mut command = pg_ctl_command(self.run_as, bin, self.dir.path(), action);
        run(&mut command, &format!("pg_ctl {action}")).map_err(|error| match error {
            PgTestError::Command { what, detail } => PgTestError::Command {
                what,
                detail: format!("{detail}\nserver log tail:\n{}", tail(&log)),
            },
            other => other,
        })?;
        Ok(())
    }
}

/// `pg_ctl` on the server in `dir`: `start` (waiting until it accepts connections, logging
/// to `dir/server.log`) or anything else for `stop -m immediate`.
fn pg_ctl_command(run_as: Option<&str>, bin: &Path, dir: &Path, action: &str) -> Command {
    let mut command = as_user(run_as, &bin.join("pg_ctl"), dir);
    command
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-w", "-t", PG_CTL_WAIT_SECS]);
    match action {
        "start" => command.arg("-l").arg(dir.join("server.log")).arg("start"),
        _ => command.args(["-m", "immediate", "stop"]),
    };
    command
}

/// `psql` against `url` with `ON_ERROR_STOP`, one `-c` per statement.
pub(crate) fn psql_at(
    bin_dir: Option<&Path>,
    url: &str,
    statements: &[&str],
) -> Result<String, PgTestError> {
    let mut command = Command::new(tool(bin_dir, "psql"));
    command.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url]);
    for statement in statements {
        command.arg("-c").arg(statement);
    }
    let output = run(&mut command, "psql")?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `url` with its database replaced by `name` (any `?query` kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority = base[scheme_end..]
        .split_once('/')
        .map_or(&base[scheme_end..], |(a, _)| a);
    let mut out = format!("{}{authority}/{name}", &base[..scheme_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

fn as_user(run_as: Option<&str>, program: &Path, cwd: &Path) -> Command {
    let mut command = match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    // The server user may not be allowed into the caller's directory.
    command.current_dir(cwd);
    command
}

fn run(command: &mut Command, what: &str) -> Result<Output, PgTestError> {
    let output = command
        .output()
        .map_err(|e| PgTestError::io(format!("running {what}"), e))?;
    if output.status.success() {
        return Ok(output);
    }
    Err(PgTestError::Command {
        what: what.to_owned(),
        detail: format!(
            "{}: {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    })
}

fn is_root() -> Result<bool, PgTestError> {
    let output = run(Command::new("id").arg("-u"), "id -u")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn free_port() -> Result<u16, PgTestError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| PgTestError::io("picking a free port", e))
}

/// The last lines of a log, for error messages.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_replaces_only_the_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "t3"), "postgres://h:1/t3");
    }
}
