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

/// Forward-secrecy chain ratchet `CK' = KDF(CK, kdf-ck)` (FS-9; Threema's `kdf-ck` / `3ma-e2e`).
pub const FS_CHAIN_KEY: Label = Label {
    salt: "kdf-ck",
    personal: FS_PERSONAL,
};

/// Forward-secrecy message key `MK = KDF(CK, kdf-aek)` (FS-9; Threema's `kdf-aek` / `3ma-e2e`).
pub const FS_MESSAGE_KEY: Label = Label {
    salt: "kdf-aek",
    personal: FS_PERSONAL,
};

/// Personal string of every forward-secrecy derivation (FS-6, FS-7, FS-9; Threema's `3ma-e2e`).
pub const FS_PERSONAL: &str = "3ma-e2e";

/// Salt prefix of the 2DH root; the initiator's 8-character ID follows (FS-6).
pub const FS_2DH_SALT_PREFIX: &str = "ke-2dh-";

/// Salt prefix of a 4DH root; the chain owner's 8-character ID follows (FS-7).
pub const FS_4DH_SALT_PREFIX: &str = "ke-4dh-";

/// Every label, for vectors and the spec cross-reference (PRIM-10).
pub const ALL: &[(&str, Label)] = &[
    ("metadata_key", METADATA_KEY),
    ("vouch_key", VOUCH_KEY),
    ("key_file_checksum", KEY_FILE_CHECKSUM),
    ("fs_chain_key", FS_CHAIN_KEY),
    ("fs_message_key", FS_MESSAGE_KEY),
];
