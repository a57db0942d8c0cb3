//! The exclusive lock on a relay's data directory (spec/05-relay.md, RELAY-25): one relay
//! process per data directory, so that two never append to the same store or key directory.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use super::ServerError;

/// File name of the lock in the data directory (RELAY-25).
pub const LOCK_FILE_NAME: &str = "LOCK";

/// The held lock: released when dropped, or by the operating system when the process ends
/// in any way (a `flock` belongs to the open file, so a SIGKILL leaves no stale lock).
#[derive(Debug)]
pub struct DataLock {
    _file: File,
    path: PathBuf,
}

impl DataLock {
    /// Takes the lock on `dir` (which must exist) without waiting, and writes this process's
    /// PID into the lock file for the next one to name.
    ///
    /// # Errors
    /// [`ServerError::Locked`] when another process holds it, naming that process's PID;
    /// [`ServerError::DataDir`] when the lock file cannot be opened or written.
    pub fn acquire(dir: &Path) -> Result<Self, ServerError> {
        let path = dir.join(LOCK_FILE_NAME);
        let io = |op: &str, e: &std::io::Error| ServerError::data_dir(&path, op, e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io("open", &e))?;
        if let Err(error) = try_lock(&file) {
            if error.kind() != std::io::ErrorKind::WouldBlock {
                return Err(io("lock", &error));
            }
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Err(ServerError::Locked {
                dir: dir.to_owned(),
                holder: holder.trim().parse().ok(),
            });
        }
        // RELAY-25: the PID is informative only; the lock itself is the flock.
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{}", std::process::id()))
            .map_err(|e| io("write", &e))?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<()> {
    use rustix::fs::{FlockOperation, flock};
    flock(file, FlockOperation::NonBlockingLockExclusive).map_err(std::io::Error::from)
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<()> {
    // Only Unix is supported for serving; elsewhere the directory is not locked.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = DataLock::acquire(dir.path()).expect("first lock");
        let error = DataLock::acquire(dir.path()).expect_err("held");
        assert_eq!(error.code(), "data_dir_locked");
        assert!(
            error.to_string().contains(&std::process::id().to_string()),
            "{error}"
        );
        drop(first);
        DataLock::acquire(dir.path()).expect("free again");
    }
}
