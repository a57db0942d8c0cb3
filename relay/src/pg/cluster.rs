//! One relay node of a cluster (spec/09-relay-cluster.md, CLU-13 to CLU-19): its
//! registration and lease, presence of the identities it serves, and the listener that
//! turns `NOTIFY` into deliveries.
//!
//! 1. [`Cluster::start`] registers the node (CLU-16).
//! 2. Every login passes [`prepare_login`]: watch the identity, claim its presence (which
//!    closes a login on another node with `replaced`, CLU-15), restart its mirror and read
//!    the first page of its queue (CLU-14).
//! 3. [`run`] listens on `saltrelay_mailbox` and `saltrelay_presence` (CLU-13), reads the
//!    rows each wake-up announces, reads the next page of an incomplete mirror when the hub
//!    asks, restarts every mirror after (re)connecting, and renews the leases (CLU-17).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use saltrelay_protocol::identity::Identity;
use tokio::sync::{Mutex, mpsc, watch};
use tokio_postgres::Client;

use super::wake::{self, PageAsk, WakeUps};
use super::{PgConfig, connect, db_error, queries};
use crate::server::cluster_hub::ClusterHooks;
use crate::server::{ServerError, Shared};
use crate::store::StoreError;
/// Wait before the listener reconnects after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// This node: its identity in the database and a client for presence.
pub(crate) struct Cluster {
    pub(crate) config: PgConfig,
    instance: i64,
    client: Mutex<Option<Client>>,
    /// Where the hub asks for the next page of a mirror (CLU-14), and the receiving end,
    /// taken by [`run`].
    asks: mpsc::UnboundedSender<PageAsk>,
    asked: std::sync::Mutex<Option<mpsc::UnboundedReceiver<PageAsk>>>,
}

impl core::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Cluster")
            .field("node_id", &self.config.node_id)
            .finish_non_exhaustive()
    }
}

fn lease_ms(config: &PgConfig) -> i64 {
    i64::try_from(config.lease().as_millis()).unwrap_or(i64::MAX)
}

impl Cluster {
    /// CLU-16: registers the node, taking its ID over from an earlier instance, and clears
    /// the presence that instance left.
    pub(crate) async fn start(config: PgConfig, listen: SocketAddr) -> Result<Self, ServerError> {
        let client = connect(&config.url).await?;
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|_| StoreError::Database {
            op: "register",
            reason: "no randomness for the instance number".into(),
        })?;
        let instance = i64::from_le_bytes(bytes) & i64::MAX;
        let row = client
            .query_one(
                queries::REGISTER_NODE,
                &[
                    &config.node_id,
                    &instance,
                    &listen.to_string(),
                    &lease_ms(&config),
                ],
            )
            .await
            .map_err(|e| db_error("register", &e))?;
        let was_live: Option<bool> = row.get(0);
        if was_live == Some(true) {
            // CLU-16: the earlier instance is fenced: its next renewal finds the new one.
            eprintln!(
                "saltrelay relay: node {} was registered with a live lease; taking it over \
                 (an earlier instance that still runs stops serving at its next renewal)",
                config.node_id
            );
        }
        client
            .execute(queries::CLEAR_NODE_PRESENCE, &[&config.node_id])
            .await
            .map_err(|e| db_error("register", &e))?;
        eprintln!(
            "saltrelay relay: node {} registered (instance {instance:016x}, lease {} ms)",
            config.node_id,
            config.lease().as_millis()
        );
        let (asks, asked) = mpsc::unbounded_channel();
        Ok(Self {
            config,
            instance,
            client: Mutex::new(Some(client)),
            asks,
            asked: std::sync::Mutex::new(Some(asked)),
        })
    }

    /// Where page reads are asked for (CLU-14).
    pub(crate) fn asks(&self) -> mpsc::UnboundedSender<PageAsk> {
        self.asks.clone()
    }

    /// The hub's calls out to this node: presence given up at logout (CLU-15), the next
    /// page of a mirror (CLU-14).
    pub(crate) fn hooks(self: &Arc<Self>) -> ClusterHooks {
        let cluster = Arc::clone(self);
        let asks = self.asks();
        ClusterHooks {
            on_logout: Box::new(move |identity, session| cluster.release(identity, session)),
            want_page: Box::new(move |identity| {
                let _ = asks.send((identity, Duration::ZERO));
            }),
            page_rows: self.config.page_rows,
        }
    }

    /// Runs one statement group on the presence client, reconnecting first if needed.
    async fn with_client<R>(
        &self,
        f: impl AsyncFnOnce(&mut Client) -> Result<R, tokio_postgres::Error>,
        op: &'static str,
    ) -> Result<R, StoreError> {
        let mut slot = self.client.lock().await;
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = Some(connect(&self.config.url).await?);
        }
        let client = slot.as_mut().expect("connected above");
        let result = f(client).await.map_err(|e| db_error(op, &e));
        if result.is_err() {
            *slot = None;
        }
        result
    }

    /// CLU-15: takes the identity's presence, then tells its previous holder. Returns the
    /// new session.
    async fn claim(&self, identity: Identity) -> Result<u64, StoreError> {
        let node = self.config.node_id.clone();
        let lease = lease_ms(&self.config);
        self.with_client(
            async |client| {
                // CLU-15: the claim commits durably on its own; its notification follows
                // in a transaction that does not wait for its flush (as CLU-13's wake-ups),
                // so that no login holds PostgreSQL's server-wide NOTIFY lock for a flush.
                let row = client
                    .query_one(
                        queries::CLAIM_PRESENCE,
                        &[&identity.as_str(), &node, &lease],
                    )
                    .await?;
                let session: i64 = row.get(0);
                let payload = format!("{identity} {node} {session}");
                let transaction = client.transaction().await?;
                transaction.execute(queries::WAKE_UP_ASYNC, &[]).await?;
                transaction
                    .execute(queries::NOTIFY_PRESENCE, &[&payload])
                    .await?;
                transaction.commit().await?;
                Ok(u64::try_from(session).unwrap_or(0))
            },
            "claim presence",
        )
        .await
    }

    /// CLU-15: gives an identity's presence up (a logout), unless a later login took it.
    pub(crate) fn release(self: &Arc<Self>, identity: Identity, session: u64) {
        let cluster = Arc::clone(self);
        tokio::spawn(async move {
            let node = cluster.config.node_id.clone();
            let session = i64::try_from(session).unwrap_or(i64::MAX);
            let _ = cluster
                .with_client(
                    async |client| {
                        client
                            .execute(
                                queries::RELEASE_PRESENCE,
                                &[&identity.as_str(), &node, &session],
                            )
                            .await
                    },
                    "release presence",
                )
                .await;
        });
    }
}

/// CLU-14, CLU-15: what a login does on a cluster node before it is accepted: watch the
/// identity, claim its presence, restart its mirror and read the first page of its queue,
/// so the login-ack counts it and queue-send-complete follows the whole queue.
pub(crate) async fn prepare_login(
    shared: Arc<Shared>,
    cluster: Arc<Cluster>,
    identity: Identity,
) -> Result<(), ServerError> {
    if shared.draining.load(Ordering::Relaxed) {
        // CLU-19: a draining node takes no logins.
        return Err(ServerError::Store(StoreError::Closed));
    }
    shared.hub.watch(identity);
    let session = match cluster.claim(identity).await {
        Ok(session) => session,
        Err(error) => {
            shared.hub.abandon(identity);
            return Err(error.into());
        }
    };
    shared.hub.set_session(identity, session);
    let read = match shared.hub.restart(identity) {
        Some(read) => wake::read_page(&shared, &cluster.asks, read),
        None => return Err(StoreError::Closed.into()), // abandoned meanwhile
    };
    // A page read discarded because the mirror restarted meanwhile is covered by the read
    // of that restart; the login goes on.
    match read.await.unwrap_or(Err(StoreError::Closed)) {
        Ok(_) => Ok(()),
        Err(error) => {
            if let Some(session) = shared.hub.abandon(identity) {
                cluster.release(identity, session);
            }
            Err(error.into())
        }
    }
}

/// The node's background work until the relay stops: the listener (reconnecting) and the
/// lease renewal (CLU-13, CLU-17).
pub(crate) async fn run(
    cluster: Arc<Cluster>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let renewal = tokio::spawn(renew_loop(Arc::clone(&cluster), Arc::clone(&shared)));
    let asked = cluster
        .asked
        .lock()
        .expect("no panic under the receiver lock")
        .take();
    let pager =
        asked.map(|asked| tokio::spawn(wake::pager(Arc::clone(&shared), cluster.asks(), asked)));
    let mut wake_ups = WakeUps::new();
    loop {
        match wake::listen(&cluster, &shared, &mut wake_ups, &mut stop).await {
            Ok(()) => break,
            Err(error) => {
                // CLU-14: every mirror restarts once the listener is back.
                shared.hub.pause_mirroring();
                wake_ups.forget();
                eprintln!(
                    "saltrelay relay: node {}: listener connection lost ({error}); \
                     reconnecting, then catching up every queue it serves",
                    cluster.config.node_id
                );
            }
        }
        tokio::select! {
            () = tokio::time::sleep(RECONNECT_DELAY) => {}
            _ = stop.changed() => break,
        }
    }
    renewal.abort();
    if let Some(pager) = pager {
        pager.abort();
    }
}

/// CLU-16: a graceful stop ends the node's lease and gives up its presence, once its
/// connections are closed.
pub(crate) async fn stop(cluster: &Cluster) {
    let node = cluster.config.node_id.clone();
    let instance = cluster.instance;
    let stopped = cluster
        .with_client(
            async |client| {
                client
                    .execute(queries::STOP_NODE, &[&node, &instance])
                    .await?;
                client.execute(queries::CLEAR_NODE_PRESENCE, &[&node]).await
            },
            "stop node",
        )
        .await;
    if let Err(error) = stopped {
        eprintln!("saltrelay relay: node {node}: could not end its lease: {error}");
    }
}

/// CLU-17: renews the node's lease and its presence every third of the lease; ends
/// connections whose presence was lost, gives up presence of logins that never completed,
/// removes presence whose lease ran out, and starts a drain when asked (CLU-19).
async fn renew_loop(cluster: Arc<Cluster>, shared: Arc<Shared>) {
    let every = cluster.config.lease().checked_div(3).unwrap_or_default();
    let login_deadline = Duration::from_millis(shared.config.handshake_timeout_ms);
    loop {
        tokio::time::sleep(every).await;
        let node = cluster.config.node_id.clone();
        let lease = lease_ms(&cluster.config);
        let instance = cluster.instance;
        let renewed = cluster
            .with_client(
                async |client| {
                    let mine = client
                        .query_opt(queries::RENEW_NODE, &[&node, &instance, &lease])
                        .await?;
                    let rows = client
                        .query(queries::RENEW_PRESENCE, &[&node, &lease])
                        .await?;
                    client.execute(queries::SWEEP_PRESENCE, &[]).await?;
                    let held: HashSet<(String, i64)> = rows
                        .iter()
                        .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1)))
                        .collect();
                    Ok((mine.map(|row| row.get::<_, bool>(0)), held))
                },
                "renew lease",
            )
            .await;
        let (node_row, rows) = match renewed {
            Ok(renewed) => renewed,
            Err(error) => {
                eprintln!("saltrelay relay: node {node}: lease renewal failed: {error}");
                continue;
            }
        };
        let draining = match node_row {
            None => {
                // CLU-16: another instance registered this node ID: stop serving.
                eprintln!(
                    "saltrelay relay: node {node}: another instance took this node ID over; \
                     closing every connection"
                );
                true
            }
            Some(draining) => draining,
        };
        if draining && !shared.draining.swap(true, Ordering::Relaxed) {
            eprintln!("saltrelay relay: node {node}: draining: closing every connection");
        }
        for held in shared.hub.held() {
            let session = held.session.and_then(|s| i64::try_from(s).ok());
            let still =
                session.is_some_and(|s| rows.contains(&(held.identity.as_str().to_owned(), s)));
            if held.online && (draining || !still) {
                if !draining {
                    eprintln!(
                        "saltrelay relay: node {node}: presence of a connection lapsed (lease \
                         ran out); closing it"
                    );
                }
                shared.hub.presence_lost(held.identity);
            } else if !held.online
                && held.since.elapsed() > login_deadline
                && let Some(session) = shared.hub.abandon(held.identity)
            {
                cluster.release(held.identity, session);
            }
        }
    }
}
