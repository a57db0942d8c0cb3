//! Receivers: every client reads its events, records each delivery by message ID and acks
//! it (RELAY-9); offline clients log in later. A connection that ends unexpectedly is
//! counted and logged in again, so its queued messages still arrive.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use saltrelay_protocol::identity::IdentityKeys;
use saltrelay_relay::client::{Client, ClientEvent, ClientOptions};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::latency::Series;
use crate::state::State;

/// How to log a client in again.
pub(crate) struct Login {
    pub(crate) addr: SocketAddr,
    pub(crate) options: ClientOptions,
}

impl Login {
    /// Logs in, retrying briefly: a relay under load may be slow to accept.
    pub(crate) async fn connect(&self, keys: &IdentityKeys) -> Result<Client, String> {
        let mut last = String::new();
        for attempt in 0..5u64 {
            match Client::connect(self.addr, keys, self.options.clone()).await {
                Ok(client) => return Ok(client),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
        }
        Err(last)
    }
}

/// When an offline client logs in again.
pub(crate) enum Comeback {
    /// At this instant, or at the drain if that comes first.
    At(Instant),
    /// At the drain.
    AtDrain,
}

/// An offline client: waits, logs in, then receives until `stop`.
pub(crate) async fn offline(
    state: Arc<State>,
    login: Arc<Login>,
    keys: Arc<IdentityKeys>,
    index: usize,
    comeback: Comeback,
    mut drain: watch::Receiver<bool>,
    stop: watch::Receiver<bool>,
) {
    let drained = async {
        while !*drain.borrow() {
            if drain.changed().await.is_err() {
                return;
            }
        }
    };
    match comeback {
        Comeback::At(at) => {
            tokio::select! {
                () = tokio::time::sleep_until(at) => {}
                () = drained => {}
            }
        }
        Comeback::AtDrain => drained.await,
    }
    match login.connect(&keys).await {
        Ok(client) => {
            State::bump(&state.reconnects);
            receive(state, login, keys, index, client, stop).await;
        }
        Err(_) => State::bump(&state.disconnects),
    }
}

/// Receives on `client` until `stop`, then closes it.
pub(crate) async fn receive(
    state: Arc<State>,
    login: Arc<Login>,
    keys: Arc<IdentityKeys>,
    index: usize,
    mut client: Client,
    mut stop: watch::Receiver<bool>,
) {
    state.set_online(index, true);
    loop {
        if *stop.borrow() {
            break;
        }
        let event = tokio::select! {
            event = client.next_event() => event,
            _ = stop.changed() => None,
        };
        match event {
            Some(ClientEvent::Message(message)) => {
                let at = state.now_us();
                if let Some(delivered) = state.ledger.delivered(message.message_id.as_u64())
                    && delivered.first
                {
                    state.recorder.count(Series::Delivered, at);
                    if delivered.measured_online {
                        state
                            .recorder
                            .deliver_latency(at.saturating_sub(delivered.sent_us));
                    }
                }
                let _ = client
                    .ack_incoming(message.sender, message.message_id)
                    .await;
            }
            Some(ClientEvent::Closed(_)) => {
                // Unexpected end: count it and log in again, so queued messages still arrive.
                state.set_online(index, false);
                State::bump(&state.disconnects);
                if *stop.borrow() {
                    return;
                }
                match login.connect(&keys).await {
                    Ok(again) => {
                        State::bump(&state.reconnects);
                        client = again;
                        state.set_online(index, true);
                    }
                    Err(_) => return,
                }
            }
            Some(_) => {}
            None => break,
        }
    }
    state.set_online(index, false);
    client.close().await;
}
