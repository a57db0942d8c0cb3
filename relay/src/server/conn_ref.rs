//! How the shared relay state reaches a connection's task: a cheap handle with an event
//! queue and a wake-up for deliveries.

use std::sync::Arc;

use saltrelay_protocol::transport::payload::MessageAck;
use tokio::sync::{Notify, mpsc};

use super::ConnectionError;

/// What another task tells a connection.
#[derive(Debug)]
pub(crate) enum ConnEvent {
    /// Acknowledge one of this connection's messages (0x81, RELAY-13).
    SenderAck(MessageAck),
    /// End the connection with this close-error (`replaced`, `unavailable`).
    Close(ConnectionError),
}

/// A registered connection. The event queue is unbounded because every event answers
/// something the connection itself sent, and it stops reading after
/// `max_unacked_per_connection` unanswered messages (RELAY-20).
#[derive(Debug, Clone)]
pub(crate) struct ConnRef {
    pub(crate) id: u64,
    events: mpsc::UnboundedSender<ConnEvent>,
    notify: Arc<Notify>,
}

impl ConnRef {
    pub(crate) fn new(
        id: u64,
        events: mpsc::UnboundedSender<ConnEvent>,
        notify: Arc<Notify>,
    ) -> Self {
        Self { id, events, notify }
    }

    /// Queues an event; a connection that has ended ignores it.
    pub(crate) fn send(&self, event: ConnEvent) {
        let _ = self.events.send(event);
    }

    /// Wakes the connection to poll its mailbox.
    pub(crate) fn wake(&self) {
        self.notify.notify_one();
    }
}
