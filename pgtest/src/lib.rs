//! Throw-away PostgreSQL servers for the tests, CI and load runs of the PostgreSQL relay store
//! (spec/09-relay-cluster.md): one place that finds the PostgreSQL 15 binaries, runs `initdb`
//! and `pg_ctl` in a temporary directory on a free loopback port, and removes it all again; or
//! uses the server `SALTRELAY_PG_URL` names.
//!
//! Driving steps:
//! 1. A test calls [`PgServer::for_test`]: a server, or `None` with the reason printed when the
//!    binaries are absent (a panic instead when `SALTRELAY_REQUIRE_PG=1`, as CI sets it).
//!    Tools call [`PgServer::start`] or [`PgServer::from_env_or_start`] and get a typed error.
//! 2. [`PgServer::create_database`] gives each test its own empty database and its URL.
//! 3. [`PgServer::restart`] crashes and restarts a server we started (`pg_ctl -m immediate`),
//!    for fault tests; dropping the [`PgServer`] stops it and deletes its directory.
//!
//! A server we started never outlives this process: a watchdog process (`sh`, in a process
//! group of its own) holds a pipe from us and, when the pipe closes because we died (SIGKILL
//! included), stops the server and deletes its directory (`saltrelay loadtest --store temp`
//! killed mid-run leaves no PostgreSQL behind).
//!
//! PostgreSQL refuses to run as root: when this process is root, the server runs as the
//! `postgres` user (`runuser -u postgres`), which owns the temporary directory.
//!
//! # Errors
//! [`PgTestError`]: binaries not installed, a PostgreSQL command that failed (with its output
//! and the server log's tail), an operation an external server does not allow, local I/O.

mod binaries;
mod server;
mod watchdog;

pub use binaries::find_bin_dir;
pub use server::{Options, PgServer};

/// Names a running server to use instead of starting one: `postgres://user@host:port/db`.
pub const URL_VAR: &str = "SALTRELAY_PG_URL";
/// When `1`, a test that finds no PostgreSQL fails instead of skipping (CI sets it).
pub const REQUIRE_VAR: &str = "SALTRELAY_REQUIRE_PG";
/// A folder holding `initdb`, `pg_ctl`, `psql` (searched before the usual places).
pub const BIN_VAR: &str = "SALTRELAY_PG_BIN";

/// Why no server could be had or an operation on it failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgTestError {
    /// The PostgreSQL binaries are not installed where we look.
    #[error(
        "postgresql binaries not found ({0}); install postgresql (apt-get install postgresql) or set {BIN_VAR} or {URL_VAR}"
    )]
    NotInstalled(String),
    /// A PostgreSQL command ran and failed.
    #[error("{what} failed: {detail}")]
    Command {
        /// The command, for example `initdb`.
        what: String,
        /// Its output and, when the server was starting, the end of the server log.
        detail: String,
    },
    /// The operation needs a server this process started (not one from `SALTRELAY_PG_URL`).
    #[error("{0} needs a server started by this process, not {URL_VAR}")]
    External(&'static str),
    /// The caller passed something unusable (for example a database name).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// Local I/O around the server (temporary directory, configuration file).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl PgTestError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

/// Whether `SALTRELAY_REQUIRE_PG=1` is set: a missing PostgreSQL is then a failure.
#[must_use]
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1")
}
