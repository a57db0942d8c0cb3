//! The key directory of TR-15 in PostgreSQL: one row per identity, its primary key making
//! the binding unique across every node (spec/09-relay-cluster.md, CLU-12).
//!
//! Bindings are permanent (TR-15: first come, first served, never rebound), so every node
//! caches those it has seen. A thread of its own, with its own client, asks the database
//! for the rest: binds arrive from connection tasks and are answered by oneshot; the rare
//! login without a key (TR-23) waits for its lookup.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, mpsc as std_mpsc};

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::identity::Identity;
use tokio::sync::{mpsc, oneshot};

use super::{connect, db_error, queries};
use crate::server::ServerError;
use crate::server::directory::Binding;
use crate::store::StoreError;

enum Request {
    Bind(
        Identity,
        PublicKey,
        oneshot::Sender<Result<(), ServerError>>,
    ),
    Lookup(Identity, std_mpsc::SyncSender<Option<PublicKey>>),
    Count(std_mpsc::SyncSender<usize>),
}

/// The PostgreSQL key directory. Cheap to share; stops with its last clone.
#[derive(Debug, Clone)]
pub struct PgDirectory {
    cache: Arc<RwLock<HashMap<Identity, PublicKey>>>,
    requests: mpsc::UnboundedSender<Request>,
}

impl core::fmt::Debug for Request {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("directory request")
    }
}

impl PgDirectory {
    /// Starts the directory's thread; it connects on its first request.
    ///
    /// # Errors
    /// [`ServerError::Store`] if the thread cannot start.
    pub fn start(url: &str) -> Result<Self, ServerError> {
        let (requests, receiver) = mpsc::unbounded_channel();
        let cache = Arc::new(RwLock::new(HashMap::new()));
        let thread_cache = Arc::clone(&cache);
        let url = url.to_owned();
        std::thread::Builder::new()
            .name("pg-directory".into())
            .spawn(move || serve(&url, receiver, &thread_cache))
            .map_err(|e| ServerError::Store(StoreError::io("open", e)))?;
        Ok(Self { cache, requests })
    }

    fn cached(&self, identity: Identity) -> Option<PublicKey> {
        self.cache
            .read()
            .expect("no panic under the cache lock")
            .get(&identity)
            .copied()
    }

    /// The key bound to `identity` (TR-23), from the cache or the database. Blocks the
    /// caller for one round trip on a cache miss.
    #[must_use]
    pub fn lookup(&self, identity: &Identity) -> Option<PublicKey> {
        if let Some(key) = self.cached(*identity) {
            return Some(key);
        }
        let (reply, answer) = std_mpsc::sync_channel(1);
        self.requests.send(Request::Lookup(*identity, reply)).ok()?;
        answer.recv().ok().flatten()
    }

    /// CLU-12: binds `key` unless the identity is bound already. `New` resolves to
    /// [`ServerError::IdentityTaken`] if another key won, on any node.
    #[must_use]
    pub fn bind(&self, identity: Identity, key: PublicKey) -> Binding {
        match self.cached(identity) {
            Some(bound) if bound.ct_eq(&key) => return Binding::Bound,
            Some(_) => return Binding::Taken,
            None => {}
        }
        let (done, receiver) = oneshot::channel();
        if let Err(mpsc::error::SendError(Request::Bind(.., done))) =
            self.requests.send(Request::Bind(identity, key, done))
        {
            let _ = done.send(Err(closed()));
        }
        Binding::New(receiver)
    }

    /// How many identities are bound in the database (0 if it cannot be asked).
    #[must_use]
    pub fn len(&self) -> usize {
        let (reply, answer) = std_mpsc::sync_channel(1);
        if self.requests.send(Request::Count(reply)).is_err() {
            return 0;
        }
        answer.recv().unwrap_or(0)
    }

    /// Whether no identity is bound.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn closed() -> ServerError {
    ServerError::Store(StoreError::Closed)
}

/// The directory thread: one request at a time on one client, reconnecting after a
/// failure.
fn serve(
    url: &str,
    mut requests: mpsc::UnboundedReceiver<Request>,
    cache: &RwLock<HashMap<Identity, PublicKey>>,
) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        let mut client = None;
        while let Some(request) = requests.recv().await {
            if client
                .as_ref()
                .is_none_or(tokio_postgres::Client::is_closed)
            {
                client = connect(url).await.ok();
            }
            let Some(db) = client.as_ref() else {
                answer_unreachable(request);
                continue;
            };
            let result = match request {
                Request::Bind(identity, key, done) => {
                    let result = bind(db, identity, &key).await;
                    let failed = result.is_err();
                    let answer = match result {
                        Ok(bound) => {
                            cache
                                .write()
                                .expect("no panic under the cache lock")
                                .insert(identity, bound);
                            if bound.ct_eq(&key) {
                                Ok(())
                            } else {
                                Err(ServerError::IdentityTaken)
                            }
                        }
                        Err(error) => Err(ServerError::Store(error)),
                    };
                    let _ = done.send(answer);
                    failed
                }
                Request::Lookup(identity, reply) => {
                    let result = lookup(db, identity).await;
                    if let Ok(Some(key)) = &result {
                        cache
                            .write()
                            .expect("no panic under the cache lock")
                            .insert(identity, *key);
                    }
                    let failed = result.is_err();
                    let _ = reply.send(result.ok().flatten());
                    failed
                }
                Request::Count(reply) => {
                    let count = db.query_one(queries::COUNT_KEYS, &[]).await;
                    let failed = count.is_err();
                    let count: i64 = count.map_or(0, |row| row.get(0));
                    let _ = reply.send(usize::try_from(count).unwrap_or(0));
                    failed
                }
            };
            if result {
                client = None;
            }
        }
    });
}

fn answer_unreachable(request: Request) {
    match request {
        Request::Bind(.., done) => {
            let _ = done.send(Err(ServerError::Store(StoreError::Database {
                op: "bind",
                reason: "the database cannot be reached".into(),
            })));
        }
        Request::Lookup(_, reply) => drop(reply.send(None)),
        Request::Count(reply) => drop(reply.send(0)),
    }
}

/// CLU-12: insert if absent, then read whichever key won.
async fn bind(
    db: &tokio_postgres::Client,
    identity: Identity,
    key: &PublicKey,
) -> Result<PublicKey, StoreError> {
    let bytes = key.as_bytes().to_vec();
    db.execute(queries::BIND_KEY, &[&identity.as_str(), &bytes])
        .await
        .map_err(|e| db_error("bind", &e))?;
    lookup(db, identity).await?.ok_or(StoreError::Database {
        op: "bind",
        reason: "the binding vanished after its insert".into(),
    })
}

/// CLU-12: the bound key, if any.
async fn lookup(
    db: &tokio_postgres::Client,
    identity: Identity,
) -> Result<Option<PublicKey>, StoreError> {
    let row = db
        .query_opt(queries::LOOKUP_KEY, &[&identity.as_str()])
        .await
        .map_err(|e| db_error("lookup", &e))?;
    row.map(|row| {
        let bytes: Vec<u8> = row.get(0);
        PublicKey::from_slice(&bytes).map_err(|_| StoreError::Database {
            op: "lookup",
            reason: "a bound key is not 32 bytes".into(),
        })
    })
    .transpose()
}
