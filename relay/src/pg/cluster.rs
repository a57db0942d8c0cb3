//! One relay node of a cluster (spec/09-relay-cluster.md, CLU-13 to CLU-19): its
//! registration and lease, presence of the identities it serves, and the listener that
//! turns `NOTIFY` into deliveries.
//!
//! 1. [`Cluster::start`] registers the node (CLU-16).
//! 2. Every login passes [`prepare_login`]: watch the identity, claim its presence (which
//!    closes a login on another node with `replaced`, CLU-15), read its queue (CLU-14).
//! 3. [`run`] listens on `saltrelay_mailbox` and `saltrelay_presence` (CLU-13), reads a
//!    queue again when its wake-up comes, catches every watched queue up after (re)connecting,
//!    and renews the leases (CLU-17).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt as _;
use saltrelay_protocol::identity::Identity;
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio_postgres::{AsyncMessage, Client, Notification};

use super::{PgConfig, connect, db_error, queries};
use crate::server::{ServerError, Shared};
use crate::store::StoreError;

/// Records read at most by one catch-up of one queue (CLU-14).
const CATCH_UP_LIMIT: usize = 50_000;
/// Wait before the listener reconnects after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// This node: its identity in the database and a client for presence.
pub(crate) struct Cluster {
    pub(crate) config: PgConfig,
    instance: i64,
    client: Mutex<Option<Client>>,
    /// Identities with a wake-up catch-up in flight; `true`: another wake-up came meanwhile,
    /// so one more read follows (see [`wake`]).
    waking: std::sync::Mutex<HashMap<Identity, bool>>,
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
        Ok(Self {
            config,
            instance,
            client: Mutex::new(Some(client)),
            waking: std::sync::Mutex::new(HashMap::new()),
        })
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

    /// CLU-15: takes the identity's presence and tells its previous holder, in one
    /// transaction. Returns the new session.
    async fn claim(&self, identity: Identity) -> Result<u64, StoreError> {
        let node = self.config.node_id.clone();
        let lease = lease_ms(&self.config);
        self.with_client(
            async |client| {
                let transaction = client.transaction().await?;
                let row = transaction
                    .query_one(
                        queries::CLAIM_PRESENCE,
                        &[&identity.as_str(), &node, &lease],
                    )
                    .await?;
                let session: i64 = row.get(0);
                let payload = format!("{identity} {node} {session}");
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
/// identity, claim its presence, and read its queue, so the login-ack counts it and
/// queue-send-complete follows it.
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
    match catch_up(&shared, identity).await {
        Ok(()) => Ok(()),
        Err(error) => {
            if let Some(session) = shared.hub.abandon(identity) {
                cluster.release(identity, session);
            }
            Err(error.into())
        }
    }
}

/// CLU-14: reads a watched identity's queue on the committer thread and queues what is new.
fn catch_up(
    shared: &Arc<Shared>,
    identity: Identity,
) -> impl Future<Output = Result<(), StoreError>> + use<> {
    let (reply, answer) = oneshot::channel();
    let hub_owner = Arc::clone(shared);
    shared.committer.call(
        move |store| store.queue_index(&identity, CATCH_UP_LIMIT),
        move |result| {
            let result = result.and_then(|records| records);
            let answer = result.map(|records| hub_owner.hub.queue_loaded(identity, records));
            let _ = reply.send(answer);
        },
    );
    async move { answer.await.map_err(|_| StoreError::Closed)? }
}

/// CLU-14: a wake-up for a watched queue (a notification, the safety net, a reconnect).
/// Each catch-up reads the whole queue, so one per notification would cost the committer
/// thread the backlog's length per message sent to it: a backlog left by a fault (a paused
/// or killed node) then starves the commits and the logins queued behind those reads, the
/// recipient cannot log in again and its backlog only grows. So at most one catch-up per
/// identity is in flight; wake-ups during it are folded into one more read after it, which
/// starts after they arrived and so sees every commit they announced.
fn wake(cluster: &Arc<Cluster>, shared: &Arc<Shared>, identity: Identity) {
    if !coalesce(&cluster.waking, identity) {
        return;
    }
    let (cluster, shared) = (Arc::clone(cluster), Arc::clone(shared));
    tokio::spawn(async move {
        loop {
            if shared.hub.is_watched(identity) {
                // A failed read is retried by the next wake-up or the safety net.
                let _ = catch_up(&shared, identity).await;
            }
            if !again(&cluster.waking, identity) {
                return;
            }
        }
    });
}

/// Marks a wake-up for `identity`; true if no catch-up is in flight (the caller starts one).
fn coalesce(waking: &std::sync::Mutex<HashMap<Identity, bool>>, identity: Identity) -> bool {
    let mut waking = waking.lock().expect("no panic under the wake-up lock");
    if let Some(pending) = waking.get_mut(&identity) {
        *pending = true;
        false
    } else {
        waking.insert(identity, false);
        true
    }
}

/// A catch-up of `identity` ended: true if a wake-up came meanwhile (read once more), else
/// the identity has no catch-up in flight any more.
fn again(waking: &std::sync::Mutex<HashMap<Identity, bool>>, identity: Identity) -> bool {
    let mut waking = waking.lock().expect("no panic under the wake-up lock");
    match waking.get_mut(&identity) {
        Some(pending) if *pending => {
            *pending = false;
            true
        }
        _ => {
            waking.remove(&identity);
            false
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
    loop {
        match listen(&cluster, &shared, &mut stop).await {
            Ok(()) => break,
            Err(error) => {
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

/// One listener connection: LISTEN, catch every watched queue up (what was committed while
/// no listener ran), then act on each notification. `Ok` when the relay stops.
async fn listen(
    cluster: &Arc<Cluster>,
    shared: &Arc<Shared>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), StoreError> {
    let (client, mut connection) =
        tokio_postgres::connect(&cluster.config.url, tokio_postgres::NoTls)
            .await
            .map_err(|e| db_error("listen", &e))?;
    let (sender, mut notifications) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(notification)) => {
                    if sender.send(notification).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    let result = async {
        client
            .batch_execute(queries::LISTEN)
            .await
            .map_err(|e| db_error("listen", &e))?;
        // CLU-14: after LISTEN, so that nothing committed from here on is missed.
        for identity in shared.hub.watched() {
            wake(cluster, shared, identity);
        }
        let period = Duration::from_millis(cluster.config.catch_up_interval_ms.max(1_000));
        let mut interval = tokio::time::interval_at(
            tokio::time::Instant::now()
                .checked_add(period)
                .unwrap_or_else(tokio::time::Instant::now),
            period,
        );
        loop {
            tokio::select! {
                notification = notifications.recv() => match notification {
                    Some(notification) => on_notification(cluster, shared, &notification),
                    None => return Err(StoreError::Database {
                        op: "listen",
                        reason: "the connection closed".into(),
                    }),
                },
                _ = interval.tick() => {
                    // CLU-14: a safety net, not the delivery path.
                    for identity in shared.hub.watched() {
                        wake(cluster, shared, identity);
                    }
                }
                _ = stop.changed() => return Ok(()),
            }
        }
    }
    .await;
    driver.abort();
    result
}

/// CLU-13: a wake-up for a queue, or a login elsewhere.
fn on_notification(cluster: &Arc<Cluster>, shared: &Arc<Shared>, notification: &Notification) {
    match notification.channel() {
        "saltrelay_mailbox" => {
            if let Ok(identity) = notification.payload().parse::<Identity>()
                && shared.hub.is_watched(identity)
            {
                wake(cluster, shared, identity);
            }
        }
        "saltrelay_presence" => {
            let mut parts = notification.payload().split(' ');
            let (Some(identity), Some(node), Some(session)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return;
            };
            if node == cluster.config.node_id {
                return; // a login on this node replaced its own connection already
            }
            if let (Ok(identity), Ok(session)) = (identity.parse(), session.parse()) {
                shared.hub.replaced_elsewhere(identity, session);
            }
        }
        _ => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_ups_during_a_catch_up_fold_into_one_more_read() {
        let waking = std::sync::Mutex::new(HashMap::new());
        let alice: Identity = "ALICE001".parse().expect("identity");
        let bob: Identity = "BOB00001".parse().expect("identity");
        assert!(coalesce(&waking, alice), "the first wake-up starts a read");
        assert!(coalesce(&waking, bob), "identities are independent");
        for _ in 0..1_000 {
            assert!(!coalesce(&waking, alice), "no second read in flight");
        }
        assert!(
            again(&waking, alice),
            "one more read for the wake-ups that came"
        );
        assert!(!again(&waking, alice), "and only one");
        assert!(!again(&waking, bob), "no wake-up came during bob's read");
        assert!(
            coalesce(&waking, alice),
            "idle again: the next wake-up starts a read"
        );
    }
}
