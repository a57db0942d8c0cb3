//! How a cluster node keeps the mirrors of the queues it serves current
//! (spec/09-relay-cluster.md, CLU-13, CLU-14): the listening connection, the wake-up reads
//! of the rows notifications announce, and the page reads of incomplete mirrors.
//!
//! Every read goes to the committer's connection (`CommitHandle::call`), in the order it is
//! requested, and its rows are queued by the hub there (see `server::hub::mirror`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use saltrelay_protocol::identity::Identity;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_postgres::{AsyncMessage, Notification};

use super::batch::parse_wake_up;
use super::cluster::Cluster;
use super::{db_error, queries};
use crate::server::Shared;
use crate::server::cluster_hub::{PageOutcome, PageRead};
use crate::store::{RecordId, StoreError};

/// CLU-14: IDs one wake-up read asks for at most; the rest wait for the next one.
const MAX_ANNOUNCED: usize = 8_192;
/// CLU-14: a page read that failed is tried again after this.
pub(crate) const PAGE_RETRY: Duration = Duration::from_millis(250);

/// A request for the next page of a mirror, after a pause (zero: at once).
pub(crate) type PageAsk = (Identity, Duration);

/// CLU-14: runs a page read on the committer's connection; the hub queues its rows there.
/// A failed read is asked for again after [`PAGE_RETRY`]. The answer says what became of it.
pub(crate) fn read_page(
    shared: &Arc<Shared>,
    asks: &mpsc::UnboundedSender<PageAsk>,
    read: PageRead,
) -> oneshot::Receiver<Result<PageOutcome, StoreError>> {
    let (reply, answer) = oneshot::channel();
    let owner = Arc::clone(shared);
    let asks = asks.clone();
    shared.committer.call(
        move |store| store.queue_index(&read.identity, Some(read.after), read.limit),
        move |result| {
            let result = result.and_then(|records| records);
            let failure = result.as_ref().err().cloned();
            let outcome = owner.hub.page_loaded(read, result);
            let _ = reply.send(match (outcome, failure) {
                (PageOutcome::Failed, Some(error)) => {
                    let _ = asks.send((read.identity, PAGE_RETRY));
                    Err(error)
                }
                (outcome, _) => Ok(outcome),
            });
        },
    );
    answer
}

/// CLU-14: the node's page reads, asked for by the hub (an incomplete mirror whose queue ran
/// low) or after a failed read; until the relay stops.
pub(crate) async fn pager(
    shared: Arc<Shared>,
    asks: mpsc::UnboundedSender<PageAsk>,
    mut asked: mpsc::UnboundedReceiver<PageAsk>,
) {
    while let Some((identity, pause)) = asked.recv().await {
        if pause.is_zero() {
            if let Some(read) = shared.hub.next_page(identity) {
                drop(read_page(&shared, &asks, read));
            }
        } else {
            let asks = asks.clone();
            tokio::spawn(async move {
                tokio::time::sleep(pause).await;
                let _ = asks.send((identity, Duration::ZERO));
            });
        }
    }
}

/// CLU-14: restarts the mirror of every watched identity (the safety net) and starts their
/// page reads.
pub(crate) fn restart_all(shared: &Arc<Shared>, asks: &mpsc::UnboundedSender<PageAsk>) {
    for identity in shared.hub.watched() {
        if let Some(read) = shared.hub.restart(identity) {
            drop(read_page(shared, asks, read));
        }
    }
}

/// The wake-up reads of one node: announced rows not yet read, and whether a read is in
/// flight (one at a time, so that wake-ups arriving meanwhile are read together).
pub(crate) struct WakeUps {
    pending: VecDeque<(Identity, RecordId)>,
    reading: bool,
    done: mpsc::UnboundedSender<()>,
    finished: mpsc::UnboundedReceiver<()>,
}

impl WakeUps {
    pub(crate) fn new() -> Self {
        let (done, finished) = mpsc::unbounded_channel();
        Self {
            pending: VecDeque::new(),
            reading: false,
            done,
            finished,
        }
    }

    /// CLU-13: the rows a `saltrelay_mailbox` notification announces, if this node watches
    /// their recipient.
    fn announced(
        &mut self,
        shared: &Arc<Shared>,
        asks: &mpsc::UnboundedSender<PageAsk>,
        payload: &str,
    ) {
        let Some((identity, ids)) = parse_wake_up(payload) else {
            return;
        };
        if shared.hub.is_watched(identity) {
            self.pending
                .extend(ids.into_iter().map(|id| (identity, id)));
            self.read(shared, asks);
        }
    }

    /// Starts the next wake-up read unless one is in flight. Its rows are queued on the
    /// committer thread; if it fails, the mirrors it served restart there, before any later
    /// read's rows are queued (CLU-14).
    fn read(&mut self, shared: &Arc<Shared>, asks: &mpsc::UnboundedSender<PageAsk>) {
        if self.reading || self.pending.is_empty() {
            return;
        }
        let count = self.pending.len().min(MAX_ANNOUNCED);
        let ids: Vec<(Identity, RecordId)> = self.pending.drain(..count).collect();
        self.reading = true;
        let owner = Arc::clone(shared);
        let (asks, done) = (asks.clone(), self.done.clone());
        shared.committer.call(
            move |store| {
                let rows = store.load_announced(&ids);
                (ids, rows)
            },
            move |result| {
                match result {
                    Ok((_, Ok(rows))) => owner.hub.rows_arrived(rows),
                    Ok((ids, Err(_))) => {
                        let mut identities: Vec<Identity> = ids.iter().map(|(i, _)| *i).collect();
                        identities.sort_unstable();
                        identities.dedup();
                        for identity in identities {
                            if let Some(read) = owner.hub.restart(identity) {
                                drop(read_page(&owner, &asks, read));
                            }
                        }
                    }
                    Err(_) => {} // the committer stopped: so does the node
                }
                let _ = done.send(());
            },
        );
    }

    /// The listening connection was lost: every mirror restarts once it is back, so the
    /// announcements not yet read are covered by their page reads.
    pub(crate) fn forget(&mut self) {
        self.pending.clear();
    }
}

/// One listener connection: LISTEN, restart every mirror (what was committed while no
/// listener ran), then act on each notification, read the announced rows, and restart every
/// mirror at the safety-net interval. `Ok` when the relay stops.
pub(crate) async fn listen(
    cluster: &Arc<Cluster>,
    shared: &Arc<Shared>,
    wake_ups: &mut WakeUps,
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
    let asks = cluster.asks();
    let result = async {
        client
            .batch_execute(queries::LISTEN)
            .await
            .map_err(|e| db_error("listen", &e))?;
        // CLU-14: after LISTEN, so that nothing committed from here on is missed; before
        // any notification is acted on, so that none queues a row ahead of an unread one.
        for read in shared.hub.resume_mirroring() {
            drop(read_page(shared, &asks, read));
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
                    Some(notification) => {
                        on_notification(cluster, shared, wake_ups, &asks, &notification);
                    }
                    None => return Err(StoreError::Database {
                        op: "listen",
                        reason: "the connection closed".into(),
                    }),
                },
                Some(()) = wake_ups.finished.recv() => {
                    wake_ups.reading = false;
                    wake_ups.read(shared, &asks);
                }
                _ = interval.tick() => restart_all(shared, &asks), // CLU-14: the safety net
                _ = stop.changed() => return Ok(()),
            }
        }
    }
    .await;
    driver.abort();
    result
}

/// CLU-13: a wake-up for a queue, or a login elsewhere.
fn on_notification(
    cluster: &Arc<Cluster>,
    shared: &Arc<Shared>,
    wake_ups: &mut WakeUps,
    asks: &mpsc::UnboundedSender<PageAsk>,
    notification: &Notification,
) {
    match notification.channel() {
        "saltrelay_mailbox" => wake_ups.announced(shared, asks, notification.payload()),
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
