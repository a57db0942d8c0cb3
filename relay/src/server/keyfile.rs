//! The relay's permanent key `SK` in its data directory (RELAY-14): created on first start,
//! mode 0600, never rewritten.

use std::fs;
use std::path::{Path, PathBuf};

use saltrelay_protocol::crypto::{KEY_LEN, SecretKey};
use zeroize::Zeroizing;

use super::ServerError;

/// File name of the key in the data directory.
pub const KEY_FILE_NAME: &str = "relay.key";
/// The key file's first bytes: magic and format version 1 (RELAY-14).
pub const KEY_FILE_MAGIC: &[u8; 16] = b"saltrelay-sk\0\0\x01\0";
/// Length of the key file: magic and the 32-byte secret.
pub const KEY_FILE_LEN: usize = KEY_FILE_MAGIC.len() + KEY_LEN;

/// Where the key lives in `dir`.
#[must_use]
pub fn key_path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE_NAME)
}

/// Loads the relay key from `dir`; `None` when there is no key file.
///
/// # Errors
/// [`ServerError::KeyFile`] if the file cannot be read, has the wrong length or magic, or
/// (on Unix) can be read by others than its owner (RELAY-14).
pub fn load(dir: &Path) -> Result<Option<SecretKey>, ServerError> {
    let path = key_path(dir);
    match fs::read(&path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            check_mode(&path)?;
            decode(&bytes)
                .map(Some)
                .ok_or_else(|| ServerError::KeyFile {
                    path: path.clone(),
                    reason: format!(
                        "damaged ({} bytes, expected {KEY_FILE_LEN} starting with the key magic); \
                     the relay never replaces its key: restore relay.key from a backup",
                        bytes.len()
                    ),
                })
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(ServerError::key_file(&path, "read", &error)),
    }
}

/// Loads the relay key from `dir`, or creates the directory and a new random key (mode
/// 0600) if the directory is new or empty. Returns the key and whether it was created now.
///
/// # Errors
/// As [`load`]; also [`ServerError::KeyFile`] when there is no key but the directory holds
/// anything else (RELAY-26: a new key is only ever created in an empty data directory, since
/// every client of the old key would fail), or the key cannot be written.
pub fn load_or_create(dir: &Path) -> Result<(SecretKey, bool), ServerError> {
    fs::create_dir_all(dir).map_err(|e| ServerError::key_file(dir, "create directory", &e))?;
    if let Some(key) = load(dir)? {
        return Ok((key, false));
    }
    let others = other_entries(dir)?;
    if !others.is_empty() {
        return Err(ServerError::KeyFile {
            path: key_path(dir),
            reason: format!(
                "missing, but {} is not empty ({}); a new key would make every client fail: \
                 restore relay.key from a backup, or use an empty data directory",
                dir.display(),
                others.join(", ")
            ),
        });
    }
    let mut rng = crate::runtime::os_rng();
    let key = SecretKey::generate(&mut rng);
    write_new(&key_path(dir), &key)?;
    Ok((key, true))
}

/// Names in `dir` other than the lock file (RELAY-25), sorted.
fn other_entries(dir: &Path) -> Result<Vec<String>, ServerError> {
    let entries = fs::read_dir(dir).map_err(|e| ServerError::key_file(dir, "list", &e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ServerError::key_file(dir, "list", &e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != super::lock::LOCK_FILE_NAME {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn decode(bytes: &[u8]) -> Option<SecretKey> {
    let secret = bytes.strip_prefix(KEY_FILE_MAGIC.as_slice())?;
    (bytes.len() == KEY_FILE_LEN)
        .then(|| SecretKey::from_slice(secret).ok())
        .flatten()
}

/// Writes a new key file: create-new with mode 0600, flushed with its directory.
fn write_new(path: &Path, key: &SecretKey) -> Result<(), ServerError> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(KEY_FILE_LEN));
    bytes.extend_from_slice(KEY_FILE_MAGIC);
    bytes.extend_from_slice(key.expose_secret());
    crate::private_file::create_new(path, &bytes).map_err(|e| key_file_error(path, &e))
}

/// RELAY-14: a key others can read is refused rather than used.
fn check_mode(path: &Path) -> Result<(), ServerError> {
    crate::private_file::check(path).map_err(|e| key_file_error(path, &e))
}

fn key_file_error(path: &Path, error: &crate::private_file::PrivateFileError) -> ServerError {
    use crate::private_file::PrivateFileError;
    let reason = match error {
        PrivateFileError::Permissions { mode, .. } => {
            format!("mode {mode:o} lets others read it; chmod 600 it")
        }
        PrivateFileError::Io { action, error, .. } => format!("{action}: {error}"),
    };
    ServerError::KeyFile {
        path: path.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_then_loads_the_same_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let (first, created) = load_or_create(&data).expect("create");
        assert!(created);
        let (second, created) = load_or_create(&data).expect("load");
        assert!(!created);
        assert_eq!(first.public_key(), second.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(key_path(&data))
                .expect("stat")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn refuses_a_damaged_or_readable_key_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (_, _) = load_or_create(dir.path()).expect("create");
        let path = key_path(dir.path());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
            let error = load_or_create(dir.path()).expect_err("readable by others");
            assert_eq!(error.code(), "key_file");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        fs::write(&path, b"short").expect("overwrite");
        assert!(load_or_create(dir.path()).is_err());
        assert_eq!(fs::read(&path).expect("kept"), b"short", "never replaced");
    }

    #[test]
    fn creates_a_key_only_in_an_empty_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("directory.log"), b"x").expect("other data");
        let error = load_or_create(dir.path()).expect_err("not empty");
        assert!(error.to_string().contains("directory.log"), "{error}");
        assert!(!key_path(dir.path()).exists());
        assert!(load(dir.path()).expect("no key").is_none());
    }
}
