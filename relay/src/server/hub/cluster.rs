//! The hub's part in cluster mode (spec/09-relay-cluster.md, CLU-14, CLU-15): a node mirrors
//! from the shared store only the queues of the identities it serves ("watched"), writes
//! every other message straight through to the store, and acks its sender after COMMIT.

use std::sync::Arc;
use std::time::Instant;

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;

use super::{Accepted, Hub, HubState};
use crate::core::{Flags, MailboxId};
use crate::server::conn_ref::{ConnEvent, ConnRef};
use crate::server::entry::{Entry, Stage};
use crate::server::{ConnectionError, MessageHeader};
use crate::store::{BufferedMessage, RecordId, StoreError};

/// An identity this node serves or is logging in (CLU-14, CLU-15).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Watch {
    /// Its presence session (CLU-15), once claimed.
    session: Option<u64>,
    /// When the login began.
    #[cfg_attr(
        not(feature = "postgres"),
        expect(dead_code, reason = "read by the lease renewal of cluster mode")
    )]
    since: Instant,
    /// Where the mirror of its queue stands (CLU-14).
    #[cfg(feature = "postgres")]
    pub(super) mirror: super::mirror::Mirror,
}

/// What a node holds of one watched identity, for the lease renewal (CLU-17).
#[cfg(feature = "postgres")]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Held {
    /// The identity.
    pub(crate) identity: Identity,
    /// Its presence session, if claimed.
    pub(crate) session: Option<u64>,
    /// Whether a connection of this node is logged in as it.
    pub(crate) online: bool,
    /// When its login began.
    pub(crate) since: Instant,
}

#[cfg(feature = "postgres")]
impl Hub {
    /// CLU-14: a login began: mirror the identity's queue from now on. Stored messages held
    /// from an earlier session are dropped, to be read again in the store's order.
    pub(crate) fn watch(&self, identity: Identity) {
        let mut state = self.lock();
        if let Some(&mailbox) = state.ids.get(&identity)
            && !state.mailboxes.is_online(mailbox).unwrap_or(true)
        {
            self.evict_stored(&mut state, mailbox);
        }
        let session = state.watched.get(&identity).and_then(|w| w.session);
        state.watched.insert(
            identity,
            Watch {
                session,
                since: Instant::now(),
                mirror: super::mirror::Mirror::unread(),
            },
        );
    }

    /// CLU-15: the presence session a login claimed.
    pub(crate) fn set_session(&self, identity: Identity, session: u64) {
        if let Some(watch) = self.lock().watched.get_mut(&identity) {
            watch.session = Some(session);
        }
    }

    /// Whether this node mirrors the identity's queue.
    pub(crate) fn is_watched(&self, identity: Identity) -> bool {
        self.lock().watched.contains_key(&identity)
    }

    /// The watched identities (for a catch-up after the listener reconnected, CLU-14).
    pub(crate) fn watched(&self) -> Vec<Identity> {
        self.lock().watched.keys().copied().collect()
    }

    /// What this node holds, for the lease renewal (CLU-17).
    pub(crate) fn held(&self) -> Vec<Held> {
        let state = self.lock();
        state
            .watched
            .iter()
            .map(|(identity, watch)| Held {
                identity: *identity,
                session: watch.session,
                online: state
                    .ids
                    .get(identity)
                    .and_then(|m| state.owners.get(m.0 as usize).and_then(Option::as_ref))
                    .is_some(),
                since: watch.since,
            })
            .collect()
    }

    /// CLU-15: another node took the identity's presence with a later session: the local
    /// connection is replaced.
    pub(crate) fn replaced_elsewhere(&self, identity: Identity, session: u64) {
        let state = self.lock();
        let older = state
            .watched
            .get(&identity)
            .and_then(|w| w.session)
            .is_some_and(|mine| mine < session);
        if !older {
            return;
        }
        if let Some(owner) = state
            .ids
            .get(&identity)
            .and_then(|m| state.owners.get(m.0 as usize).and_then(Option::as_ref))
        {
            owner.send(ConnEvent::Close(ConnectionError::Replaced));
        }
    }

    /// CLU-17: the identity's presence is no longer this node's (its lease ran out while the
    /// node stalled): its connection ends with `unavailable` and reconnects.
    pub(crate) fn presence_lost(&self, identity: Identity) {
        let state = self.lock();
        if let Some(owner) = state
            .ids
            .get(&identity)
            .and_then(|m| state.owners.get(m.0 as usize).and_then(Option::as_ref))
        {
            owner.send(ConnEvent::Close(ConnectionError::Unavailable));
        }
    }

    /// A login that never completed: stop watching (CLU-17). Returns its session.
    pub(crate) fn abandon(&self, identity: Identity) -> Option<u64> {
        let mut state = self.lock();
        let mailbox = state.ids.get(&identity).copied();
        let online =
            mailbox.is_some_and(|m| state.owners.get(m.0 as usize).is_some_and(Option::is_some));
        if online {
            return None;
        }
        match mailbox {
            Some(mailbox) => self.unwatch(&mut state, identity, mailbox),
            None => state.watched.remove(&identity).and_then(|w| w.session),
        }
    }
}

impl Hub {
    /// Stops watching an identity whose connection ended; drops what the store keeps.
    /// Returns the presence session to give up.
    pub(super) fn unwatch(
        &self,
        state: &mut HubState,
        identity: Identity,
        mailbox: MailboxId,
    ) -> Option<u64> {
        self.evict_stored(state, mailbox);
        state.watched.remove(&identity).and_then(|w| w.session)
    }

    fn evict_stored(&self, state: &mut HubState, mailbox: MailboxId) {
        let evicted = state
            .mailboxes
            .evict_where(mailbox, |item| {
                matches!(item.0.lock().stage, Stage::Stored { .. } | Stage::Gone)
            })
            .unwrap_or_default();
        for item in evicted {
            if let Stage::Stored { payload, .. } = &item.0.lock().stage {
                self.cache.release(payload.as_ref());
            }
        }
        state.dedupe.retain(|_, entry| entry.strong_count() > 0);
    }

    /// CLU-10: deletes a stored record; until the deletion is committed a catch-up does not
    /// queue it again.
    pub(super) fn delete_record(&self, record: RecordId) {
        if !self.cluster {
            self.committer.delete(vec![record], |_| {});
            return;
        }
        self.deleting
            .lock()
            .expect("no panic under the set lock")
            .insert(record);
        let deleting = Arc::clone(&self.deleting);
        self.committer.delete(vec![record], move |_| {
            deleting
                .lock()
                .expect("no panic under the set lock")
                .remove(&record);
        });
    }

    /// CLU-7, CLU-14: a message to an identity this node does not serve: written to the
    /// store (whose COMMIT wakes the node that serves it) and acked once committed.
    pub(super) fn accept_remote(
        &self,
        now: Timestamp,
        origin: &ConnRef,
        header: &MessageHeader,
        payload: Vec<u8>,
    ) -> Accepted {
        let flags = Flags::from_byte(header.flags);
        if flags.contains(Flags::NO_QUEUE) {
            // RELAY-5 across nodes is not implemented (CLU-22): treated as offline.
            return Accepted::AckNow;
        }
        let wants_ack = !flags.contains(Flags::NO_ACK);
        let entry = Entry::accepted(
            header,
            payload.len(),
            self.policy.expiry(now, flags),
            Stage::Gone,
            wants_ack.then(|| origin.clone()),
        );
        let message = BufferedMessage {
            recipient: entry.recipient,
            sender: entry.sender,
            message_id: entry.message_id.to_le_bytes(),
            flags: entry.flags,
            deadline: entry.deadline,
            payload,
        };
        let full = Arc::clone(&self.full);
        self.committer.append(vec![message], move |result| {
            let mut state = entry.lock();
            match result {
                Ok(_) => {
                    full.clear();
                    entry.ack_sender(&mut state);
                }
                Err(error) => {
                    let closing = if matches!(error, StoreError::Full { .. }) {
                        full.raise(&error);
                        ConnectionError::StorageFull
                    } else {
                        ConnectionError::Unavailable
                    };
                    // Not acked: the sender resends after reconnecting.
                    if let Some(origin) = state.origin.take() {
                        origin.send(ConnEvent::Close(closing));
                    }
                }
            }
        });
        Accepted::AckLater
    }
}
