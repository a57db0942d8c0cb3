//! Errors of the relay's message store (spec/05-relay-storage.md).

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// Why a store operation failed.
///
/// Split by cause: the caller's misuse (`PayloadTooLarge`), a file that is not what the store
/// wrote (`Corrupt`, `NotAStore`), the operating system (`Io`), a file system without space
/// for new records (`Full`, retryable), and a store that refuses work after an earlier write
/// failure (`Poisoned`) or whose committer has stopped (`Closed`).
/// Display text names files and offsets, never message contents.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A message's payload is longer than [`MAX_PAYLOAD_LEN`](super::MAX_PAYLOAD_LEN) (STORE-4).
    #[error("payload of {len} bytes exceeds the store's limit of {max} bytes")]
    PayloadTooLarge {
        /// Length of the rejected payload.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A record that passed recovery no longer matches its checksum when read (STORE-8,
    /// STORE-9); damage found at opening is contained instead (STORE-13).
    #[error("corrupt store file {}: {what} at offset {offset}", file.display())]
    Corrupt {
        /// The file.
        file: PathBuf,
        /// Byte offset of the damage.
        offset: u64,
        /// What was wrong.
        what: &'static str,
    },
    /// A segment names this store but another format version (STORE-2, STORE-13): refuse it
    /// rather than guess at its records.
    #[error("{} is not a segment of this store's format version", file.display())]
    NotAStore {
        /// The file.
        file: PathBuf,
    },
    /// An operating-system call failed (STORE-7).
    #[error("store i/o failed during {op}: {source}")]
    Io {
        /// What the store was doing: `open`, `write`, `sync`, `read`, `remove`.
        op: &'static str,
        /// The error, shared so that every request of a failed batch receives it.
        #[source]
        source: Arc<io::Error>,
    },
    /// The file system has no space (or quota) for the records of a commit (STORE-15): its
    /// appends are refused, nothing of them is durable, and the store stays usable; deletions
    /// still work and the next commit is tried afresh.
    #[error("storage full in {}: new messages are refused until space is freed", dir.display())]
    Full {
        /// The store's directory.
        dir: PathBuf,
    },
    /// An earlier write or flush failed, so the store no longer trusts its files and refuses
    /// every write until it is reopened (STORE-7).
    #[error("store refused the operation after an earlier write failure; reopen it")]
    Poisoned,
    /// The group committer has shut down (STORE-11).
    #[error("store committer has shut down")]
    Closed,
    /// No record ID is left to assign (STORE-5): the files already hold an ID at the top of
    /// the 64-bit range. New messages are refused; deletions still work.
    #[error("store has no record ids left to assign")]
    IdsExhausted,
}

impl StoreError {
    /// The stable error code (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Corrupt { .. } => "store_corrupt",
            Self::NotAStore { .. } => "not_a_store",
            Self::Io { .. } => "store_io",
            Self::Full { .. } => "storage_full",
            Self::Poisoned => "store_poisoned",
            Self::Closed => "store_closed",
            Self::IdsExhausted => "store_ids_exhausted",
        }
    }

    /// Whether this is a write or create that failed for want of space (STORE-15).
    #[must_use]
    pub fn is_out_of_space(&self) -> bool {
        match self {
            Self::Full { .. } => true,
            Self::Io { op, source } => {
                matches!(*op, "write" | "open")
                    && matches!(
                        source.kind(),
                        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
                    )
            }
            _ => false,
        }
    }

    /// Wraps an I/O error with the operation that failed.
    pub(crate) fn io(op: &'static str, source: io::Error) -> Self {
        Self::Io {
            op,
            source: Arc::new(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_display_is_lowercase() {
        let errors = [
            StoreError::PayloadTooLarge { len: 2, max: 1 },
            StoreError::Corrupt {
                file: PathBuf::from("seg"),
                offset: 7,
                what: "bad magic",
            },
            StoreError::NotAStore {
                file: PathBuf::from("x"),
            },
            StoreError::io("sync", io::Error::other("disk gone")),
            StoreError::Full {
                dir: PathBuf::from("messages"),
            },
            StoreError::Poisoned,
            StoreError::Closed,
            StoreError::IdsExhausted,
        ];
        let codes: Vec<_> = errors.iter().map(StoreError::code).collect();
        assert_eq!(
            codes,
            [
                "payload_too_large",
                "store_corrupt",
                "not_a_store",
                "store_io",
                "storage_full",
                "store_poisoned",
                "store_closed",
                "store_ids_exhausted"
            ]
        );
        for error in &errors {
            let text = error.to_string();
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
        }
    }

    #[test]
    fn only_a_write_without_space_counts_as_full() {
        let full = || io::Error::from(io::ErrorKind::StorageFull);
        assert!(StoreError::io("write", full()).is_out_of_space());
        assert!(
            !StoreError::io("sync", full()).is_out_of_space(),
            "a flush is never retried"
        );
        assert!(!StoreError::io("write", io::Error::other("eio")).is_out_of_space());
    }
}
