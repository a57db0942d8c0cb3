//! `saltrelay relay check` on the key directory: find damaged records without writing, and
//! with `--repair` keep every intact one (spec/05-relay.md, RELAY-15; STORE-14).

use std::fs::File;
use std::io::Write as _;
use std::path::Path;

use super::{DIRECTORY_FILE_NAME, DIRECTORY_MAGIC, RECORD_LEN, parse};
use crate::server::ServerError;

/// What `saltrelay relay check` found in a directory file (RELAY-15, STORE-14).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryCheck {
    /// Intact bindings (distinct identities).
    pub bindings: usize,
    /// File offsets of damaged records.
    pub damaged: Vec<u64>,
    /// Bytes after the last intact record (a torn tail, cut off at start).
    pub torn_tail_bytes: u64,
    /// Whether the file was rewritten with its intact records only.
    pub repaired: bool,
}

/// Checks `directory.log` in `dir` without writing; with `repair`, rewrites it with every
/// intact record (in order) and nothing else, through a flushed temporary file and a rename.
/// The relay must not be running (RELAY-25).
///
/// # Errors
/// [`ServerError::Directory`] if the file cannot be read or written or lacks the magic.
pub fn check(dir: &Path, repair: bool) -> Result<DirectoryCheck, ServerError> {
    let path = dir.join(DIRECTORY_FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DirectoryCheck::default()),
        Err(e) => return Err(ServerError::directory(&path, "read", &e)),
    };
    if bytes.len() >= DIRECTORY_MAGIC.len() && !bytes.starts_with(DIRECTORY_MAGIC) {
        return Err(ServerError::Directory {
            path,
            reason: "not a saltrelay key directory".into(),
        });
    }
    let body = bytes.get(DIRECTORY_MAGIC.len()..).unwrap_or_default();
    let scan = parse(body);
    // After the last intact record: damaged records, and the torn tail (zeros, a partial one).
    // Offsets into `body`, which is in memory: no sum or product reaches usize::MAX, and the
    // tail (what follows `valid_len`) holds the damaged records counted in it.
    let tail_start = DIRECTORY_MAGIC.len().saturating_add(scan.valid_len) as u64;
    let damaged_in_tail = scan.damaged.iter().filter(|&&o| o >= tail_start).count();
    let mut result = DirectoryCheck {
        bindings: scan.keys.len(),
        torn_tail_bytes: body
            .len()
            .saturating_sub(scan.valid_len)
            .saturating_sub(damaged_in_tail.saturating_mul(RECORD_LEN))
            as u64,
        damaged: scan.damaged,
        repaired: false,
    };
    if repair && (!result.damaged.is_empty() || result.torn_tail_bytes > 0) {
        let io = |op: &str| {
            let path = path.clone();
            let op = op.to_owned();
            move |e: std::io::Error| ServerError::directory(&path, &op, &e)
        };
        let tmp = dir.join(format!("{DIRECTORY_FILE_NAME}.tmp"));
        let mut out = Vec::with_capacity(
            DIRECTORY_MAGIC
                .len()
                .saturating_add(scan.intact.len().saturating_mul(RECORD_LEN)),
        );
        out.extend_from_slice(DIRECTORY_MAGIC);
        for record in &scan.intact {
            out.extend_from_slice(record);
        }
        let mut file = File::create(&tmp).map_err(io("create"))?;
        file.write_all(&out).map_err(io("write"))?;
        file.sync_all().map_err(io("sync"))?;
        std::fs::rename(&tmp, &path).map_err(io("rename"))?;
        crate::server::sync_dir(dir).map_err(io("sync directory"))?;
        result.repaired = true;
    }
    Ok(result)
}
