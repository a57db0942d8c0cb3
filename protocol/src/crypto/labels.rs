//! Every BLAKE2b salt and personal string the protocol derives keys with (PRIM-10).
//!
//! One constant per purpose, each tagged with the spec paragraph that uses it. Strings are
//! ASCII, at most 16 bytes, zero-padded to 16 inside BLAKE2b (PRIM-8).

/// A key-derivation label: the BLAKE2b salt and personal strings (PRIM-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    /// BLAKE2b salt, ASCII, at most 16 bytes.
    pub salt: &'static str,
    /// BLAKE2b personal string, ASCII, at most 16 bytes.
    pub personal: &'static str,
}

/// Metadata-box key `MMK` from the box key (PRIM-10; Threema's `mm` / `3ma-csp`).
pub const METADATA_KEY: Label = Label {
    salt: "mm",
    personal: "3ma-csp",
};

/// Transport vouch key from `SS1 || SS2` (PRIM-10; Threema's `v2` / `3ma-csp`).
pub const VOUCH_KEY: Label = Label {
    salt: "v2",
    personal: "3ma-csp",
};

/// Checksum of an identity key file (ID-7; ours, not Threema's).
pub const KEY_FILE_CHECKSUM: Label = Label {
    salt: "keyfile-v1",
    personal: "saltrelay-id",
};

/// Every label, for vectors and the spec cross-reference (PRIM-10).
pub const ALL: &[(&str, Label)] = &[
    ("metadata_key", METADATA_KEY),
    ("vouch_key", VOUCH_KEY),
    ("key_file_checksum", KEY_FILE_CHECKSUM),
];
