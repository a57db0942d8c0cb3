//! A server started by `PgServer::start` dies with the process that started it: a child
//! process (this test binary again) starts one and is killed (SIGKILL); the server and its
//! directory must then go. Says plainly when PostgreSQL is absent; `SALTRELAY_REQUIRE_PG=1`
//! turns that into a failure.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use saltrelay_pgtest::{Options, PgServer, PgTestError, find_bin_dir, required};

/// Tells the test binary started by the parent test that it is the child.
const CHILD_VAR: &str = "SALTRELAY_PGTEST_WATCHDOG_CHILD";
/// Generous: the server stops with `pg_ctl -m immediate` on a loaded machine.
const GONE_WITHIN: Duration = Duration::from_secs(60);

/// Whether process `pid` has ended (gone, or a zombie nobody reaped yet).
fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Err(_) => true,
        Ok(status) => status
            .lines()
            .any(|line| line.starts_with("State:") && line.contains('Z')),
    }
}

#[test]
fn a_started_server_stops_when_the_process_that_started_it_is_killed() {
    match find_bin_dir() {
        Err(PgTestError::NotInstalled(why)) if !required() => {
            eprintln!("watchdog test: SKIPPED, no PostgreSQL: {why}");
            return;
        }
        Err(error) => panic!("PostgreSQL is needed and unavailable: {error}"),
        Ok(_) => {}
    }
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "holds_a_server_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_VAR, "1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the child starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut pid, mut data) = (None, None);
    while pid.is_none() || data.is_none() {
        let line = lines
            .next()
            .expect("the child printed its server before it ended")
            .expect("utf-8");
        if let Some(rest) = line.strip_prefix("POSTMASTER ") {
            pid = Some(rest.trim().parse::<u32>().expect("a pid"));
        } else if let Some(rest) = line.strip_prefix("DATA ") {
            data = Some(PathBuf::from(rest.trim()));
        }
    }
    let (pid, data) = (pid.expect("pid"), data.expect("data"));
    assert!(!ended(pid), "the server runs while its parent lives");
    assert!(data.is_dir());
    // A real kill: no destructor of the child runs.
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let deadline = Instant::now() + GONE_WITHIN;
    while !ended(pid) || data.exists() {
        assert!(
            Instant::now() < deadline,
            "the server (pid {pid}) or its directory {} outlived its parent",
            data.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The child of the test above: starts a server, prints its postmaster's pid and data
/// directory, and waits to be killed.
#[test]
#[ignore = "the child process of a_started_server_stops_when_the_process_that_started_it_is_killed"]
fn holds_a_server_until_killed() {
    assert!(
        std::env::var_os(CHILD_VAR).is_some(),
        "run only by the watchdog test, as its child"
    );
    let server = PgServer::start(Options::for_tests()).expect("a server");
    let data: &Path = &server.data_dir().expect("a started server");
    println!(
        "DATA {}",
        data.parent().expect("the server's directory").display()
    );
    println!(
        "POSTMASTER {}",
        server.postmaster_pid().expect("postmaster.pid")
    );
    loop {
        std::thread::sleep(Duration::from_secs(3_600));
    }
}
