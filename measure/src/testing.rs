//! Test support (feature `test-support`): scratch git repositories for the tests of the report
//! check (MEAS-6, MEAS-7, MEAS-13), which reads `HEAD` and its history. Shared by this crate's
//! unit tests and the CLI's end-to-end tests of measured reports (`cli/tests/measured_reports.rs`),
//! so both build their repositories the same way. Never enabled by a crate the `saltrelay`
//! binary links (CI checks it, `.ci/steps/10-lint.sh`).

#![expect(
    clippy::must_use_candidate,
    reason = "each helper is called for its effect on the repository as often as for its output"
)]

use std::path::Path;
use std::process::Command;

/// Runs `git args` in `dir` with a fixed author and committer (a test machine may have no git
/// identity); returns its trimmed standard output.
///
/// # Panics
/// If git cannot be run or fails: a test cannot go on without its repository.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout)
        .expect("git prints UTF-8")
        .trim()
        .to_owned()
}

/// Stages everything in `dir` (untracked files too) and commits it; returns the new `HEAD`.
///
/// # Panics
/// As [`git`].
pub fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// Makes `dir` a git repository with one commit holding `files` (paths relative to `dir`,
/// parent folders created); returns its `HEAD`.
///
/// # Panics
/// As [`git`], or if a file cannot be written.
pub fn scratch_repository(dir: &Path, files: &[(&str, &str)]) -> String {
    git(dir, &["init", "-q"]);
    for (path, contents) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the file's folder");
        }
        std::fs::write(path, contents).expect("write the file");
    }
    commit_all(dir, "start")
}
