//! Where the external known-answer data lives: `../shared/kat/` beside the repository, or the
//! folder named by `SALTRELAY_KAT_DIR`. It is others' data and is never copied into this repo.

use std::path::PathBuf;

/// The variable that overrides the folder.
pub const KAT_DIR_VAR: &str = "SALTRELAY_KAT_DIR";

/// The external KAT folder, or an error that says plainly where it was looked for.
///
/// # Errors
/// When the folder does not exist.
pub fn kat_dir() -> Result<PathBuf, String> {
    let dir = std::env::var_os(KAT_DIR_VAR).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/kat"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "external known-answer data not found at {}: check out shared/ beside the \
             repository or set {KAT_DIR_VAR} to the folder holding rfc7748_x25519.json",
            dir.display()
        ))
    }
}
