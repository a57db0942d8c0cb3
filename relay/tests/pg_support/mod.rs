//! A throw-away PostgreSQL server for the cluster tests (spec/09-relay-cluster.md): `initdb`
//! in a temporary directory, `pg_ctl start` on a free loopback port, one database per test,
//! `pg_ctl stop` on drop.
//!
//! When PostgreSQL is not installed the tests say so plainly on stderr and do not run their
//! checks; with `SALTRELAY_REQUIRE_PG=1` (CI sets it) they fail instead.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable that makes a missing PostgreSQL a failure.
pub const REQUIRE_VAR: &str = "SALTRELAY_REQUIRE_PG";

/// A running server; stopped on drop.
pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    /// The temporary directory (data, socket, log), removed on drop.
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

/// The directory of `initdb` and `pg_ctl`: `$SALTRELAY_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`, else `pg_config --bindir`.
fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SALTRELAY_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    found.sort();
    if let Some(bin) = found.pop() {
        return Some(bin);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    dir.join("initdb").is_file().then_some(dir)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port()
}

fn is_root() -> bool {
    // `id -u` avoids unsafe code; root must run the server as the `postgres` user.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl PgServer {
    /// Starts a server, or explains on stderr why it cannot and returns `None` (panics
    /// instead when `SALTRELAY_REQUIRE_PG=1`).
    pub fn start(test: &str) -> Option<Self> {
        let Some(bin) = find_bin() else {
            let message = format!(
                "{test}: PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin, \
                 $SALTRELAY_PG_BIN or pg_config): this test did NOT run"
            );
            assert!(
                std::env::var(REQUIRE_VAR).as_deref() != Ok("1"),
                "{message}, and {REQUIRE_VAR}=1 requires it"
            );
            eprintln!("{message}");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let as_postgres = is_root();
        if as_postgres {
            std::os::unix::fs::chown(dir.path(), Some(postgres_uid()), None)
                .expect("hand the directory to postgres");
        }
        let server = Self {
            bin,
            data,
            port: free_port(),
            as_postgres,
            dir,
        };
        server.run(
            "initdb",
            &[
                "-D",
                &server.data.display().to_string(),
                "-U",
                "saltrelay",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            server.port,
            server.dir.path().display()
        );
        let log = server.dir.path().join("server.log").display().to_string();
        server.run(
            "pg_ctl",
            &[
                "-D",
                &server.data.display().to_string(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        Some(server)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let path = self.bin.join(tool);
        let output = if self.as_postgres {
            let mut line = shell_quote(&path.display().to_string());
            for arg in args {
                line.push(' ');
                line.push_str(&shell_quote(arg));
            }
            Command::new("su")
                .args(["postgres", "-s", "/bin/sh", "-c", &line])
                .output()
        } else {
            Command::new(&path).args(args).output()
        }
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        assert!(
            output.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A new, empty database; returns its URL.
    pub fn database(&self, name: &str) -> String {
        self.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "saltrelay",
                name,
            ],
        );
        format!("postgres://saltrelay@127.0.0.1:{}/{name}", self.port)
    }

    /// Stops the server at once (as a crash would) and starts it again on the same port.
    pub fn restart(&self) {
        let data = self.data.display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start",
            ],
        );
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let path = self.bin.join("pg_ctl").display().to_string();
        let line = format!(
            "{} -D {} -m immediate -w stop",
            shell_quote(&path),
            shell_quote(&data)
        );
        let _ = if self.as_postgres {
            Command::new("su")
                .args(["postgres", "-s", "/bin/sh", "-c", &line])
                .output()
        } else {
            Command::new("sh").args(["-c", &line]).output()
        };
    }
}

fn postgres_uid() -> u32 {
    let out = Command::new("id")
        .args(["-u", "postgres"])
        .output()
        .expect("id -u postgres");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the postgres user exists (Debian's postgresql package creates it)")
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
