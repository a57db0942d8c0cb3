//! The relay server's settings, with the specified defaults (RELAY-13 to RELAY-24).

use std::net::SocketAddr;
use std::path::PathBuf;

use saltrelay_protocol::transport::payload::DEFAULT_MAX_BLOB_LEN;

use crate::store::CommitterConfig;

/// One day in milliseconds.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Everything a relay needs to start. [`ServerConfig::new`] gives the specified defaults.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free one (see `RelayHandle::local_addr`).
    pub listen: SocketAddr,
    /// Data directory: key, key directory, message store, blobs (RELAY-17).
    pub data_dir: PathBuf,
    /// Length of the listening socket's queue of connections not yet accepted (RELAY-20;
    /// default 4,096; the kernel caps it at `net.core.somaxconn`).
    pub listen_backlog: u32,
    /// How long an undelivered message is kept (RELAY-10; default 14 days).
    pub ttl_ms: u64,
    /// Most messages one recipient's queue holds (RELAY-11; default 10,000).
    pub max_queue_messages: u32,
    /// Most bytes one recipient's queue holds (RELAY-11; default `64 << 20`).
    pub max_queue_bytes: u32,
    /// Handshake deadline, including the login decision (TR-27; default 20 s).
    pub handshake_timeout_ms: u64,
    /// Idle timeout until a client asks for another (TR-28; default 300 s).
    pub idle_timeout_secs: u16,
    /// Connections served at once; more are closed at once (RELAY-20; default 20,000).
    pub max_connections: usize,
    /// Frames per second a connection may send, on average (RELAY-20; default 2,000).
    pub rate_limit_per_sec: u32,
    /// Frames a connection may send in a burst above the average (RELAY-20; default 10,000).
    pub rate_limit_burst: u32,
    /// Messages of one connection awaiting their ack before the relay stops reading from it
    /// (RELAY-20; default 1,024).
    pub max_unacked_per_connection: usize,
    /// Bytes the relay queues for one connection before it stops adding (RELAY-20; default `256 << 10`).
    pub write_buffer_limit: usize,
    /// How long a connection's write buffer may stay full before it is closed as a slow
    /// reader (RELAY-20; default 30 s).
    pub slow_reader_timeout_ms: u64,
    /// How long a message to an online recipient may wait for its ack before it is written
    /// to the store anyway (RELAY-13; default 2 s).
    pub spill_after_ms: u64,
    /// How often the sweeper runs (RELAY-18; default 60 s).
    pub sweep_interval_ms: u64,
    /// Largest blob accepted (TR-25; default 52,428,800 bytes).
    pub max_blob_len: u32,
    /// How long a blob is kept (RELAY-19; default 14 days).
    pub blob_ttl_ms: u64,
    /// How long shutdown waits for in-flight commits and acks (RELAY-23; default 10 s).
    pub shutdown_grace_ms: u64,
    /// Group commit bounds of the store (STORE-11).
    pub committer: CommitterConfig,
    /// Print every frame decoded on stderr, identities included (RELAY-24).
    pub trace: bool,
    /// Log connection events with identities (RELAY-17: off by default).
    pub verbose: bool,
    /// Cluster mode: queue, key directory and presence in PostgreSQL, shared with other
    /// nodes (spec/09-relay-cluster.md); `None` keeps the embedded store.
    #[cfg(feature = "postgres")]
    pub cluster: Option<crate::pg::PgConfig>,
}

impl ServerConfig {
    /// The specified defaults, listening on `listen` with data in `data_dir`.
    #[must_use]
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen,
            data_dir: data_dir.into(),
            listen_backlog: 4_096,
            ttl_ms: 14 * DAY_MS,
            max_queue_messages: 10_000,
            max_queue_bytes: 64 << 20,
            handshake_timeout_ms: saltrelay_protocol::transport::DEFAULT_HANDSHAKE_TIMEOUT_MS,
            idle_timeout_secs: saltrelay_protocol::transport::DEFAULT_IDLE_TIMEOUT_SECS,
            max_connections: 20_000,
            rate_limit_per_sec: 2_000,
            rate_limit_burst: 10_000,
            max_unacked_per_connection: 1_024,
            write_buffer_limit: 256 << 10,
            slow_reader_timeout_ms: 30_000,
            spill_after_ms: 2_000,
            sweep_interval_ms: 60_000,
            max_blob_len: DEFAULT_MAX_BLOB_LEN,
            blob_ttl_ms: 14 * DAY_MS,
            shutdown_grace_ms: 10_000,
            committer: CommitterConfig::default(),
            trace: false,
            verbose: false,
            #[cfg(feature = "postgres")]
            cluster: None,
        }
    }
}
