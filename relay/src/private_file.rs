//! Files only their owner may read: identity and relay key files, session and group state
//! (ID-9, RELAY-14).
//!
//! One place for the three things every such file needs: it is created with mode 0600 (never
//! widened afterwards), it is durable once a write returns (the file and its directory are
//! flushed), and a file the group or others can access is refused before it is read, because a
//! secret that others could already have read is no longer a secret.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why a private file was refused or could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PrivateFileError {
    /// The file's mode gives the group or others access (ID-9, RELAY-14).
    #[error("{path} has mode {mode:o}, which lets others read it; chmod 600 it", path = path.display())]
    Permissions {
        /// The refused file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file system refused an operation.
    #[error("cannot {action} {path}: {error}", path = path.display())]
    Io {
        /// What was being done: `stat`, `create`, `write`, `rename`, `sync`.
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The cause.
        #[source]
        error: std::io::Error,
    },
}

impl PrivateFileError {
    /// A stable `snake_case` code (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Permissions { .. } => "key_file_permissions",
            Self::Io { .. } => "io",
        }
    }

    /// Whether the file does not exist (so a caller may create it).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound)
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PrivateFileError {
    let path = path.to_owned();
    move |error| PrivateFileError::Io {
        action,
        path,
        error,
    }
}

/// Refuses a file that the group or others can access. On non-Unix systems every file passes.
///
/// # Errors
/// [`PrivateFileError::Permissions`], or [`PrivateFileError::Io`] if it cannot be examined.
pub fn check(path: &Path) -> Result<(), PrivateFileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)
            .map_err(io("stat", path))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(PrivateFileError::Permissions {
                path: path.to_owned(),
                mode: mode & 0o777,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Reads a private file after [`check`]ing its mode.
///
/// # Errors
/// As [`check`], or [`PrivateFileError::Io`] if it cannot be read.
pub fn read(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, PrivateFileError> {
    check(path)?;
    std::fs::read(path)
        .map(zeroize::Zeroizing::new)
        .map_err(io("read", path))
}

/// Creates a new private file holding `bytes`; fails if `path` exists. Durable on return.
///
/// # Errors
/// [`PrivateFileError::Io`] naming the step that failed.
pub fn create_new(path: &Path, bytes: &[u8]) -> Result<(), PrivateFileError> {
    write_to(path, bytes, true)?;
    sync_parent(path)
}

/// Replaces (or creates) a private file with `bytes` atomically: a reader sees the old content
/// or the new, never a mixture, and after a crash the file holds one of the two. Durable on
/// return. The temporary file is `path` with `.tmp` appended.
///
/// # Errors
/// [`PrivateFileError::Io`] naming the step that failed.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<(), PrivateFileError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    // A temporary file left by a crash is stale; its content was never the file's.
    match std::fs::remove_file(&tmp) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(io("remove", &tmp)(error));
        }
        _ => {}
    }
    write_to(&tmp, bytes, true)?;
    std::fs::rename(&tmp, path).map_err(io("rename", path))?;
    sync_parent(path)
}

fn write_to(path: &Path, bytes: &[u8], create_new: bool) -> Result<(), PrivateFileError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(create_new);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io("create", path))?;
    file.write_all(bytes).map_err(io("write", path))?;
    file.sync_all().map_err(io("sync", path))
}

/// Flushes the directory entry, so a new or renamed file survives a crash.
fn sync_parent(path: &Path) -> Result<(), PrivateFileError> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(io("sync", parent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn create_new_is_private_and_refuses_an_existing_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key");
        create_new(&path, b"secret").expect("create");
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        assert_eq!(read(&path).expect("read").as_slice(), b"secret");
        let again = create_new(&path, b"other").expect_err("exists");
        assert_eq!(again.code(), "io");
        assert_eq!(read(&path).expect("read").as_slice(), b"secret");
    }

    #[test]
    fn replace_swaps_the_content_and_clears_a_stale_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        std::fs::write(dir.path().join("state.json.tmp"), b"left by a crash").expect("stale");
        replace(&path, b"one").expect("first");
        replace(&path, b"two").expect("second");
        assert_eq!(read(&path).expect("read").as_slice(), b"two");
        assert!(!dir.path().join("state.json.tmp").exists());
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused_before_reading() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key");
        std::fs::write(&path, b"secret").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let error = read(&path).expect_err("refused");
        assert!(matches!(
            error,
            PrivateFileError::Permissions { mode: 0o640, .. }
        ));
        assert_eq!(error.code(), "key_file_permissions");
        assert!(
            check(&dir.path().join("absent"))
                .expect_err("absent")
                .is_not_found()
        );
    }
}
