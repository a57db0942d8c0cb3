//! Where the PostgreSQL binaries are: `SALTRELAY_PG_BIN`, Debian's
//! `/usr/lib/postgresql/<version>/bin` (not on `PATH` after `apt-get install postgresql`), then
//! `PATH`.

use std::path::{Path, PathBuf};

use crate::{BIN_VAR, PgTestError};

/// The tools a started server needs, all in one folder.
const NEEDED: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
/// Debian's folder of PostgreSQL versions.
const DEBIAN_ROOT: &str = "/usr/lib/postgresql";

/// The folder holding `initdb`, `pg_ctl` and `postgres`.
///
/// # Errors
/// [`PgTestError::NotInstalled`] naming every place searched.
pub fn find_bin_dir() -> Result<PathBuf, PgTestError> {
    let mut searched = Vec::new();
    if let Some(dir) = std::env::var_os(BIN_VAR) {
        let dir = PathBuf::from(dir);
        if complete(&dir) {
            return Ok(dir);
        }
        searched.push(format!("{BIN_VAR}={}", dir.display()));
    }
    // Highest version first: `15` sorts after `9.6` only as a number.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_ROOT)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry
                .file_name()
                .to_str()?
                .split('.')
                .next()?
                .parse()
                .ok()?;
            Some((major, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    searched.push(format!("{DEBIAN_ROOT}/*/bin"));
    if let Some((_, dir)) = versions.into_iter().find(|(_, dir)| complete(dir)) {
        return Ok(dir);
    }
    if let Some(path) = std::env::var_os("PATH") {
        searched.push("PATH".into());
        for dir in std::env::split_paths(&path) {
            if complete(&dir) {
                return Ok(dir);
            }
        }
    }
    Err(PgTestError::NotInstalled(format!(
        "searched {} for {}",
        searched.join(", "),
        NEEDED.join(", ")
    )))
}

/// A tool from `bin_dir`, or the bare name (looked up on `PATH`) when it is not there:
/// `psql` and `pgbench` sit in `/usr/bin` when only the client package is installed.
pub(crate) fn tool(bin_dir: Option<&Path>, name: &str) -> PathBuf {
    bin_dir
        .map(|dir| dir.join(name))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

fn complete(dir: &Path) -> bool {
    NEEDED.iter().all(|name| dir.join(name).is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_falls_back_to_the_bare_name() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        assert_eq!(tool(Some(dir.path()), "psql"), PathBuf::from("psql"));
        std::fs::write(dir.path().join("psql"), b"").expect("write");
        assert_eq!(tool(Some(dir.path()), "psql"), dir.path().join("psql"));
        assert_eq!(tool(None, "pgbench"), PathBuf::from("pgbench"));
    }
}
