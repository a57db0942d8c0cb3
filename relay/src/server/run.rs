//! Starting, running and stopping a relay: the data directory, the accept loop, the sweeper
//! and graceful shutdown (RELAY-17, RELAY-18, RELAY-20, RELAY-23).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
#[cfg(feature = "postgres")]
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::transport::RelayConfig;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::conn::Conn;
use super::directory::Directory;
use super::hub::{Hub, HubStats};
use super::lock::DataLock;
use super::{Blobs, CloseCounts, ServerConfig, ServerError, keyfile};
use crate::core::Policy;
use crate::runtime::clock::Clock;
use crate::store::{
    CommitHandle, Committer, LogStore, LogStoreConfig, MessageStore, RecoveryReport, StoredMessage,
};

/// Name of the message store's folder in the data directory.
pub const STORE_DIR_NAME: &str = "messages";
/// Payload bytes of stored messages kept in memory for delivery.
const PAYLOAD_CACHE_BYTES: u64 = 128 << 20;

/// What every connection task shares.
pub(crate) struct Shared {
    pub(crate) config: ServerConfig,
    pub(crate) transport: RelayConfig,
    pub(crate) hub: Hub,
    pub(crate) directory: Directory,
    pub(crate) blobs: Blobs,
    pub(crate) committer: CommitHandle,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// CLU-19: the node is draining (cluster mode): logins are refused.
    #[cfg(feature = "postgres")]
    pub(crate) draining: AtomicBool,
    /// Cluster mode: this node's registration and presence (CLU-15, CLU-16).
    #[cfg(feature = "postgres")]
    pub(crate) cluster: Option<Arc<crate::pg::cluster::Cluster>>,
    connections: AtomicUsize,
    next_id: AtomicU64,
    closes: CloseCounts,
}

impl Shared {
    pub(crate) fn count_close(&self, code: &'static str) {
        self.closes.add(code);
    }
}

/// A snapshot of a running relay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Open connections, handshaking ones included.
    pub connections: usize,
    /// Queues and connected identities (RELAY-11).
    pub hub: HubStats,
    /// Bound identities (RELAY-15).
    pub directory: usize,
    /// Stored blobs (RELAY-19).
    pub blobs: usize,
    /// Group commits made so far (STORE-11).
    pub commits: u64,
    /// Messages written to the store so far.
    pub messages_written: u64,
    /// Connections ended, by code (RELAY-21).
    pub closes: BTreeMap<&'static str, u64>,
}

/// A running relay. Dropping it stops the relay without waiting.
#[derive(Debug)]
pub struct RelayHandle {
    local_addr: SocketAddr,
    public_key: PublicKey,
    /// Boxed: it is read once, and keeps the handle small for those who embed it.
    report: Box<StartReport>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<Result<(), ServerError>>>,
    shared: Arc<Shared>,
}

impl core::fmt::Debug for Shared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl RelayHandle {
    /// The address the relay listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The relay's permanent public key `SK.public`, for clients (TR-5).
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// What the relay found in its data directory at start (STORE-14, RELAY-27).
    #[must_use]
    pub fn start_report(&self) -> &StartReport {
        &self.report
    }

    /// Counts of what the relay holds and did.
    #[must_use]
    pub fn stats(&self) -> RelayStats {
        let committer = self.shared.committer.stats();
        RelayStats {
            connections: self.shared.connections.load(Ordering::Relaxed),
            hub: self.shared.hub.stats(),
            directory: self.shared.directory.len(),
            blobs: self.shared.blobs.count(),
            commits: committer.commits,
            messages_written: committer.messages,
            closes: self.shared.closes.snapshot(),
        }
    }

    /// Stops gracefully (RELAY-23): no new connections; each connection stops reading,
    /// waits until its messages in flight to the store are acked (at most half the grace
    /// time), then closes with `unavailable`; finally the store finishes every queued commit.
    ///
    /// # Errors
    /// A store that failed while finishing its commits.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        let _ = self.stop.send(true);
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }

    /// Runs until SIGTERM or Ctrl-C, then shuts down gracefully.
    ///
    /// # Errors
    /// As [`RelayHandle::shutdown`].
    pub async fn run_until_signal(self) -> Result<(), ServerError> {
        self.run_until(shutdown_signal()).await
    }

    /// Runs until `stop` completes (for example [`shutdown_signal`], created before the
    /// relay announces itself so that an early SIGTERM is not lost), then shuts down
    /// gracefully.
    ///
    /// # Errors
    /// As [`RelayHandle::shutdown`].
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> Result<(), ServerError> {
        stop.await;
        self.shutdown().await
    }
}

impl Drop for RelayHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Completes at SIGTERM or Ctrl-C. SIGTERM's handler is installed when this is called, so
/// a SIGTERM that arrives before the future is first polled still stops the relay (RELAY-23).
/// Must be called inside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Opens the data directory and starts serving (RELAY-14, RELAY-17).
///
/// # Errors
/// [`ServerError`] if the key, directory, store or blobs cannot be opened, or the address
/// cannot be bound.
pub async fn start(config: ServerConfig) -> Result<RelayHandle, ServerError> {
    #[cfg(feature = "postgres")]
    if let Some(pg) = config.cluster.clone() {
        return start_cluster(config, pg).await;
    }
    let data = config.data_dir.clone();
    let (max_blob, blob_ttl) = (config.max_blob_len, config.blob_ttl_ms);
    let opened = tokio::task::spawn_blocking(move || open_data(&data, max_blob, blob_ttl))
        .await
        .map_err(|_| ServerError::Store(crate::store::StoreError::Closed))??;
    let report = StartReport {
        recovery: opened.store.recovery_report().clone(),
        ..StartReport::default()
    };
    launch(config, opened, report, None, None).await
}

/// CLU-2, CLU-16: a cluster node: the lock and key in the data directory; queue, key
/// directory and blobs in PostgreSQL; registered before it listens.
#[cfg(feature = "postgres")]
async fn start_cluster(
    config: ServerConfig,
    pg: crate::pg::PgConfig,
) -> Result<RelayHandle, ServerError> {
    let data = config.data_dir.clone();
    let url = pg.url.clone();
    let (lock, secret, store, directory) = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&data).map_err(|e| ServerError::data_dir(&data, "create", &e))?;
        let lock = DataLock::acquire(&data)?;
        let (secret, _) = keyfile::load_or_create(&data)?;
        // CLU-5: migrates before anything else touches the database.
        let store = crate::pg::PgStore::open(&url)?;
        let directory = Directory::postgres(crate::pg::PgDirectory::start(&url)?);
        Ok::<_, ServerError>((lock, secret, store, directory))
    })
    .await
    .map_err(|_| ServerError::Store(crate::store::StoreError::Closed))??;
    // CLU-18: blobs are the cluster's, in the database.
    let blobs = crate::pg::PgBlobs::open(&pg.url, &pg.node_id).await?;
    let opened = Opened {
        lock,
        secret,
        directory,
        blobs: Blobs::new(blobs, config.max_blob_len, config.blob_ttl_ms),
        store,
        recovered: Vec::new(),
    };
    // CLU-16: the node registers the address it really listens on.
    let listener = listen(config.listen, config.listen_backlog)?;
    let local_addr = listener.local_addr().map_err(|e| ServerError::Listen {
        addr: config.listen.to_string(),
        reason: e.to_string(),
    })?;
    let cluster = crate::pg::cluster::Cluster::start(pg, local_addr).await?;
    let cluster = Some(Arc::new(cluster));
    launch(
        config,
        opened,
        StartReport::default(),
        cluster,
        Some(listener),
    )
    .await
}

#[cfg(not(feature = "postgres"))]
type ClusterArg = Option<std::convert::Infallible>;
#[cfg(feature = "postgres")]
type ClusterArg = Option<Arc<crate::pg::cluster::Cluster>>;

/// Starts serving what [`open_data`] (or the cluster's start) opened.
async fn launch<S: MessageStore + 'static>(
    config: ServerConfig,
    opened: Opened<S>,
    mut report: StartReport,
    cluster: ClusterArg,
    listener: Option<TcpListener>,
) -> Result<RelayHandle, ServerError> {
    let Opened {
        lock,
        secret,
        directory,
        blobs,
        store,
        recovered,
    } = opened;
    let public_key = secret.public_key();
    let committer = Committer::spawn(store, config.committer)?;
    let policy = Policy {
        ttl_ms: config.ttl_ms,
        max_messages: config.max_queue_messages,
        max_bytes: config.max_queue_bytes,
        ..Policy::default()
    };
    #[cfg(feature = "postgres")]
    let hooks = cluster.as_ref().map(crate::pg::cluster::Cluster::hooks);
    #[cfg(not(feature = "postgres"))]
    let hooks = cluster.map(|never| match never {});
    let hub = Hub::new(policy, committer.handle(), PAYLOAD_CACHE_BYTES, hooks);
    let recovery = &report.recovery;
    if !recovery.is_clean() || recovery.torn_tail_bytes > 0 {
        // STORE-14: anything beyond a clean start is logged, with offsets.
        eprintln!("saltrelay relay: recovery: {}", recovery.summary());
    }
    let restored = hub.restore(recovered);
    report.queues_above_cap = restored.above_cap;
    report.messages_above_cap = restored.above_cap_messages;
    if restored.above_cap > 0 {
        // RELAY-27: said once at start; the queues drain as their recipients read them.
        eprintln!(
            "saltrelay relay: {} queues hold more than the caps (--max-queue-messages {}, \
             max queue bytes {}; {} messages above the message cap): all kept, new messages \
             to them are refused with mailbox_full until they drain below the caps",
            restored.above_cap,
            config.max_queue_messages,
            config.max_queue_bytes,
            restored.above_cap_messages,
        );
    }
    if !restored.refused.is_empty() {
        let refused = restored.refused;
        let handle = committer.handle();
        let _ = tokio::task::spawn_blocking(move || handle.delete_blocking(refused)).await;
    }
    let listener = match listener {
        Some(listener) => listener,
        None => listen(config.listen, config.listen_backlog)?,
    };
    let local_addr = listener.local_addr().map_err(|e| ServerError::Listen {
        addr: config.listen.to_string(),
        reason: e.to_string(),
    })?;
    let mut transport = RelayConfig::new(secret);
    transport.handshake_timeout_ms = config.handshake_timeout_ms;
    transport.idle_timeout_secs = config.idle_timeout_secs;
    let (stop, shutdown) = watch::channel(false);
    #[cfg(feature = "postgres")]
    let background = cluster.clone();
    let shared = Arc::new(Shared {
        transport,
        hub,
        directory,
        blobs,
        committer: committer.handle(),
        shutdown,
        #[cfg(feature = "postgres")]
        draining: AtomicBool::new(false),
        #[cfg(feature = "postgres")]
        cluster,
        connections: AtomicUsize::new(0),
        next_id: AtomicU64::new(1),
        closes: CloseCounts::default(),
        config,
    });
    #[cfg(feature = "postgres")]
    if let Some(cluster) = background {
        tokio::spawn(crate::pg::cluster::run(
            cluster,
            Arc::clone(&shared),
            shared.shutdown.clone(),
        ));
    }
    let task = tokio::spawn(serve(listener, Arc::clone(&shared), committer, lock));
    Ok(RelayHandle {
        local_addr,
        public_key,
        report: Box::new(report),
        stop,
        task: Some(task),
        shared,
    })
}

/// RELAY-20: the listening socket with the configured backlog (the kernel's default of 128
/// makes a burst of connects wait for SYN retries).
fn listen(addr: SocketAddr, backlog: u32) -> Result<TcpListener, ServerError> {
    let error = |e: std::io::Error| ServerError::Listen {
        addr: addr.to_string(),
        reason: e.to_string(),
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(error)?;
    #[cfg(unix)]
    socket.set_reuseaddr(true).map_err(error)?;
    socket.bind(addr).map_err(error)?;
    socket.listen(backlog.max(1)).map_err(error)
}

/// What [`open_data`] opened.
struct Opened<S> {
    lock: DataLock,
    secret: saltrelay_protocol::crypto::SecretKey,
    directory: Directory,
    blobs: Blobs,
    store: S,
    recovered: Vec<StoredMessage>,
}

/// What the relay found in its data directory at start (RELAY-26, RELAY-27, STORE-14).
#[derive(Debug, Clone, Default)]
pub struct StartReport {
    /// The store's recovery (STORE-8, STORE-13).
    pub recovery: RecoveryReport,
    /// Queues left above a cap lowered since they filled, all kept (RELAY-27).
    pub queues_above_cap: usize,
    /// Messages those queues hold above the message cap.
    pub messages_above_cap: u64,
}

/// RELAY-17, RELAY-25: the lock, the key, the key directory, the blobs and the message store
/// with every queued message (recovery, STORE-8).
fn open_data(
    data: &std::path::Path,
    max_blob_len: u32,
    blob_ttl_ms: u64,
) -> Result<Opened<LogStore>, ServerError> {
    std::fs::create_dir_all(data).map_err(|e| ServerError::data_dir(data, "create", &e))?;
    // RELAY-25: before anything is read or written, so two relays never share the files.
    let lock = DataLock::acquire(data)?;
    let (secret, _) = keyfile::load_or_create(data)?;
    let directory = Directory::open(data)?;
    let store = LogStore::open(data.join(STORE_DIR_NAME), LogStoreConfig::default())?;
    let mut recovered = Vec::new();
    for recipient in store.recipients() {
        recovered.extend(store.load_queue(&recipient)?);
    }
    Ok(Opened {
        lock,
        secret,
        directory,
        blobs: Blobs::open(data, max_blob_len, blob_ttl_ms)?,
        store,
        recovered,
    })
}

/// The accept loop and the sweeper, then graceful shutdown.
async fn serve<S: MessageStore + 'static>(
    listener: TcpListener,
    shared: Arc<Shared>,
    committer: Committer<S>,
    lock: DataLock,
) -> Result<(), ServerError> {
    let mut shutdown = shared.shutdown.clone();
    let mut tasks = JoinSet::new();
    let sweeper = tokio::spawn(sweep(Arc::clone(&shared)));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    admit(stream, &shared, &mut tasks);
                }
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let grace = Duration::from_millis(shared.config.shutdown_grace_ms);
    let _ = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    tasks.abort_all();
    sweeper.abort();
    // RELAY-23: every commit queued so far finishes before the store closes.
    // Dropped on the blocking thread: a store may own a runtime of its own (CLU-7).
    let result = tokio::task::spawn_blocking(move || committer.shutdown().map(drop))
        .await
        .map_err(|_| ServerError::Store(crate::store::StoreError::Closed))?;
    shared.directory.shutdown();
    #[cfg(feature = "postgres")]
    if let Some(cluster) = &shared.cluster {
        let _ = tokio::time::timeout(grace, crate::pg::cluster::stop(cluster)).await;
    }
    // RELAY-25: released only once every file is closed for good.
    drop(lock);
    result.map(drop).map_err(ServerError::from)
}

/// RELAY-20: above the connection limit a new connection is closed at once, unread.
fn admit(stream: TcpStream, shared: &Arc<Shared>, tasks: &mut JoinSet<()>) {
    let open = shared.connections.fetch_add(1, Ordering::Relaxed);
    if open >= shared.config.max_connections {
        shared.connections.fetch_sub(1, Ordering::Relaxed);
        shared.count_close("connection_limit");
        return;
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let conn = Conn::new(stream, Arc::clone(shared), id);
    let shared = Arc::clone(shared);
    tasks.spawn(async move {
        conn.run().await;
        shared.connections.fetch_sub(1, Ordering::Relaxed);
    });
}

/// RELAY-13, RELAY-18: writes messages held too long for an online recipient, and
/// periodically deletes expired messages and blobs and reclaims store space.
async fn sweep(shared: Arc<Shared>) {
    let clock = Clock::new();
    let spill_after = Duration::from_millis(shared.config.spill_after_ms);
    let tick = Duration::from_millis(shared.config.spill_after_ms / 4)
        .clamp(Duration::from_millis(20), Duration::from_secs(1));
    let sweep_every = Duration::from_millis(shared.config.sweep_interval_ms.max(1));
    let mut interval = tokio::time::interval(tick);
    let mut last_sweep = tokio::time::Instant::now();
    loop {
        interval.tick().await;
        if let Some(cutoff) = std::time::Instant::now().checked_sub(spill_after) {
            shared.hub.spill_due(cutoff);
        }
        if last_sweep.elapsed() < sweep_every {
            continue;
        }
        last_sweep = tokio::time::Instant::now();
        let now = clock.now();
        shared.hub.expire(now);
        shared.committer.call(
            move |store| {
                let _ = store.expire(now);
                let _ = store.maintain();
            },
            |_| {},
        );
        let _ = shared.blobs.sweep().await;
    }
}
