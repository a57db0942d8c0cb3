//! The reference relay server (spec/05-relay.md, RELAY-13 to RELAY-28): a tokio TCP server
//! whose every connection drives the sans-IO
//! [`RelayConnection`](saltrelay_protocol::transport::RelayConnection), with the policy core
//! ([`crate::core`]) for routing and buffering and the durable store ([`crate::store`]).
//!
//! Starting an embedded relay (what `saltrelay relay serve` and the tests do):
//! 1. [`ServerConfig::new`] with an address (port 0 for any free one) and a data directory;
//!    adjust limits.
//! 2. [`start`] locks the data directory (RELAY-25), opens it (key, key directory, store with
//!    recovery, blobs; RELAY-26), binds the socket and returns a [`RelayHandle`], whose
//!    [`RelayHandle::start_report`] says what recovery found (STORE-14).
//! 3. [`RelayHandle::local_addr`] and [`RelayHandle::public_key`] are what clients need.
//! 4. [`RelayHandle::shutdown`] stops it gracefully (RELAY-23); dropping the handle does too,
//!    without waiting.
//!
//! # Errors
//! [`ServerError`] for what stops the relay from starting; [`ConnectionError`] for why one
//! connection ended, mapped to its close-error by [`close_error`] (RELAY-21).

mod blobs;
mod config;
mod conn;
mod conn_ref;
mod deliver;
pub mod directory;
mod entry;
mod error;
mod hub;
pub mod keyfile;
mod limits;
pub mod lock;
mod login;
mod run;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;

use saltrelay_protocol::identity::Identity;

pub use blobs::{
    BLOB_DIR_NAME, BlobFuture, BlobReader, BlobStore, BlobWriter, Blobs, DiskBlobs, Download,
    Upload,
};
pub use config::ServerConfig;
pub use error::{ConnectionError, ServerError, close_error};
pub use hub::HubStats;
pub use run::{RelayHandle, RelayStats, STORE_DIR_NAME, StartReport, shutdown_signal, start};

pub(crate) use run::Shared;

/// The hub's side of cluster mode, for the PostgreSQL node (spec/09-relay-cluster.md).
#[cfg(feature = "postgres")]
pub(crate) mod cluster_hub {
    pub(crate) use super::hub::{ClusterHooks, PageOutcome, PageRead};
}

/// The fields of an outgoing message's header the relay acts on (E2E-23, RELAY-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MessageHeader {
    pub(crate) sender: Identity,
    pub(crate) receiver: Identity,
    pub(crate) message_id: u64,
    pub(crate) flags: u8,
}

impl MessageHeader {
    /// The message ID as its 8 bytes in hex, as clients print it.
    pub(crate) fn message_id_hex(&self) -> String {
        self.message_id
            .to_le_bytes()
            .iter()
            .fold(String::with_capacity(16), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
    }
}

/// Flushes a directory, so that files created or renamed in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Closes by code, for the relay's statistics.
#[derive(Debug, Default)]
pub(crate) struct CloseCounts(Mutex<BTreeMap<&'static str, u64>>);

impl CloseCounts {
    pub(crate) fn add(&self, code: &'static str) {
        let mut counts = self.0.lock().expect("no panic under the counts lock");
        let count = counts.entry(code).or_default();
        *count = count.saturating_add(1);
    }

    pub(crate) fn snapshot(&self) -> BTreeMap<&'static str, u64> {
        self.0
            .lock()
            .expect("no panic under the counts lock")
            .clone()
    }
}
