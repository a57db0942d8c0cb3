//! The watchdog that ties a started server's life to this process.
//!
//! `pg_ctl start` detaches the server (it runs in a session of its own), so it outlives a
//! process that is killed before it could stop it: a `saltrelay loadtest --store temp` killed
//! mid-run used to leave a PostgreSQL server and its directory behind. The watchdog is a
//! small `sh` process whose standard input is a pipe from this process. Nothing is ever
//! written to the pipe; it closes when this process ends, however it ends (the kernel closes
//! a dead process's files, SIGKILL included), and the watchdog then stops the server
//! (`pg_ctl stop -m immediate`) and deletes its directory. It ignores the terminal's signals
//! and runs in a process group of its own, so a Ctrl-C or a kill of this process's group
//! reaches this process and not the watchdog. When this process stops the server itself, it
//! kills the watchdog first.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use std::os::unix::process::CommandExt as _;

use crate::PgTestError;

/// Waits for the end of its input, then runs its arguments (the stop command) and deletes
/// `$SALTRELAY_PG_DIR`.
const SCRIPT: &str = "trap '' HUP INT QUIT TERM PIPE
while read -r _; do :; done
\"$@\" >/dev/null 2>&1
rm -rf -- \"$SALTRELAY_PG_DIR\"";

/// The running watchdog of one server; killed (without acting) on drop.
#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
}

impl Watchdog {
    /// Starts a watchdog that runs `stop` and deletes `dir` once this process is gone.
    pub(crate) fn spawn(stop: &Command, dir: &Path) -> Result<Self, PgTestError> {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(SCRIPT)
            .arg("saltrelay-pg-watchdog")
            .arg(stop.get_program())
            .args(stop.get_args())
            .env("SALTRELAY_PG_DIR", dir)
            .current_dir(stop.get_current_dir().unwrap_or(dir))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Out of this process's group: a signal to the group must not end the watchdog.
            .process_group(0);
        let child = command
            .spawn()
            .map_err(|e| PgTestError::io("starting the server's watchdog (sh)", e))?;
        Ok(Self { child })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // SIGKILL before the pipe closes (the pipe is part of `child`), so the watchdog
        // never acts on an orderly drop: the owner stops the server and removes the directory.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
