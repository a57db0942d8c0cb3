//! Every vector file we publish, with its generator and its check.

use crate::KatFile;
use crate::check::ComputeFn;
use crate::files;

/// One vector file in `vectors/saltrelay/`.
#[derive(Debug, Clone, Copy)]
pub struct VectorFile {
    /// File name, snake case, `.json`.
    pub name: &'static str,
    /// Rebuilds the file from its fixed seed.
    pub generate: fn() -> KatFile,
    /// Recomputes one case from its inputs with our implementation.
    pub compute: ComputeFn,
}

/// All files, in the order `generate` writes and `verify` reports them.
pub const FILES: &[VectorFile] = &[
    files::prim_x25519::FILE,
    files::prim_keygen::FILE,
    files::prim_box_beforenm::FILE,
    files::prim_secretbox::FILE,
    files::prim_box::FILE,
    files::prim_box_large::FILE,
    files::prim_blake2b::FILE,
    files::prim_kdf::FILE,
    files::identity_parse::FILE,
    files::identity_generate::FILE,
    files::identity_fingerprint::FILE,
    files::identity_key_file::FILE,
    files::transport_handshake::FILE,
    files::transport_frames::FILE,
    files::transport_transcripts::FILE,
    files::e2e_container::FILE,
    files::e2e_messages::FILE,
    files::e2e_open::FILE,
    files::e2e_payload::FILE,
    files::e2e_blob::FILE,
    files::fs_kdf::FILE,
    files::fs_envelope::FILE,
    files::fs_transcripts::FILE,
    files::group_scenarios::FILE,
    files::poll_scenarios::FILE,
];

/// The registered file called `name`.
#[must_use]
pub fn find(name: &str) -> Option<&'static VectorFile> {
    FILES.iter().find(|file| file.name == name)
}
