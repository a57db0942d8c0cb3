//! The relay client (spec/04-transport.md, spec/05-relay.md): one TCP connection driving a
//! sans-IO [`ClientConnection`](saltrelay_protocol::transport::ClientConnection) from a tokio
//! task, behind a cheap handle.
//!
//! Driving steps:
//! 1. [`Client::connect`] opens the connection and returns once the login-ack arrived (TR-14).
//! 2. Read [`ClientEvent`]s with [`Client::next_event`]: incoming messages (ack each with
//!    [`ClientHandle::ack_incoming`] once it is safe), `queue-send-complete`, alerts.
//! 3. Send with [`ClientHandle::send_message`], which resolves on the relay's ack (0x81), that
//!    is once the message is durable or delivered (RELAY-13); look keys up, upload and download
//!    blobs through the same handle, from any task ([`Client::handle`] clones it).
//! 4. [`Client::close`] flushes and closes; [`ClientEvent::Closed`] reports any other end.
//!
//! Cost: one tokio task, a read buffer of 16 kibibytes and two channels per connection; the
//! handshake costs four `X25519` operations. Ten thousand idle clients fit in a few tens of
//! mebibytes.

mod driver;
mod error;
mod requests;
mod transfers;

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::e2e::MessageId;
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_protocol::transport::LoginAck;
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::sync::{mpsc, oneshot};

pub use error::ClientError;
pub use requests::ClientHandle;

use driver::Driver;

/// How to connect.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The relay's permanent public keys, tried in this order (TR-5). At least one.
    pub relay_keys: Vec<PublicKey>,
    /// Print every frame decoded on stderr (RELAY-24).
    pub trace: bool,
    /// Handshake deadline in ms (TR-27).
    pub handshake_timeout_ms: u64,
    /// Idle timeout to ask the relay for, 30 to 600 s (TR-21).
    pub idle_timeout_secs: u16,
    /// Events buffered for the application before the client stops reading the socket.
    pub event_capacity: usize,
}

impl ClientOptions {
    /// Defaults for a relay with this key: no trace, the transport's default timeouts.
    #[must_use]
    pub fn new(relay_key: PublicKey) -> Self {
        Self {
            relay_keys: vec![relay_key],
            trace: false,
            handshake_timeout_ms: saltrelay_protocol::transport::DEFAULT_HANDSHAKE_TIMEOUT_MS,
            idle_timeout_secs: saltrelay_protocol::transport::DEFAULT_IDLE_TIMEOUT_SECS,
            event_capacity: 256,
        }
    }
}

/// A message the relay delivered (TR-20); ack it with [`ClientHandle::ack_incoming`].
#[derive(Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// The sender, from the outer header.
    pub sender: Identity,
    /// The message ID, from the outer header.
    pub message_id: MessageId,
    /// The header flags (E2E-27).
    pub flags: u8,
    /// The whole outer message (E2E-23), to open with the sender's key.
    pub payload: Vec<u8>,
}

impl core::fmt::Debug for IncomingMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IncomingMessage")
            .field("sender", &self.sender)
            .field("message_id", &self.message_id)
            .field("flags", &self.flags)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// What the relay tells the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// An incoming message (0x02).
    Message(IncomingMessage),
    /// Every message queued at login has been sent (0xd0, RELAY-3).
    QueueSendComplete,
    /// A text for the user (0xe1) that answers no pending message.
    Alert(String),
    /// The connection ended: the relay's close-error, a transport failure or the network.
    Closed(ClientError),
}

/// One connection to a relay. Dereferences to its [`ClientHandle`].
#[derive(Debug)]
pub struct Client {
    handle: ClientHandle,
    events: mpsc::Receiver<ClientEvent>,
    outcome: Arc<Mutex<Option<ClientError>>>,
    login_ack: LoginAck,
    task: tokio::task::JoinHandle<()>,
}

impl Deref for Client {
    type Target = ClientHandle;
    fn deref(&self) -> &ClientHandle {
        &self.handle
    }
}

impl Client {
    /// Connects, runs the handshake and returns once the login-ack arrived (TR-3 to TR-14).
    ///
    /// # Errors
    /// [`ClientError::Io`] if the TCP connection fails; [`ClientError::Transport`] if the
    /// handshake fails, including the relay's close-error (`identity_taken`, `unavailable`).
    pub async fn connect(
        addr: impl ToSocketAddrs,
        keys: &IdentityKeys,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| ClientError::io("connect", &e))?;
        let _ = stream.set_nodelay(true);
        let identity = keys.identity();
        let keys = IdentityKeys::from_parts(
            identity,
            SecretKey::from_bytes(*keys.secret_key().expose_secret()),
        );
        let (command_tx, command_rx) = mpsc::channel(256);
        let (event_tx, event_rx) = mpsc::channel(options.event_capacity.max(1));
        let (established_tx, established_rx) = oneshot::channel();
        let outcome = Arc::new(Mutex::new(None));
        let driver = Driver::start(
            stream,
            keys,
            &options,
            &mut crate::runtime::os_rng(),
            command_rx,
            event_tx,
            established_tx,
        );
        let task = tokio::spawn(driver.run(Arc::clone(&outcome)));
        let login_ack = match established_rx.await {
            Ok(Ok(ack)) => ack,
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(ClientError::Disconnected),
        };
        Ok(Self {
            handle: ClientHandle::new(command_tx, identity),
            events: event_rx,
            outcome,
            login_ack,
            task,
        })
    }

    /// The login-ack: the relay's time and how many messages it had queued (TR-14).
    #[must_use]
    pub fn login_ack(&self) -> LoginAck {
        self.login_ack
    }

    /// A handle to send with from other tasks.
    #[must_use]
    pub fn handle(&self) -> ClientHandle {
        self.handle.clone()
    }

    /// The next event; after the connection ended, one [`ClientEvent::Closed`] and then `None`.
    pub async fn next_event(&mut self) -> Option<ClientEvent> {
        match self.events.recv().await {
            Some(event) => Some(event),
            None => self
                .outcome
                .lock()
                .expect("no panic while holding the outcome")
                .take()
                .map(ClientEvent::Closed),
        }
    }

    /// Flushes what is queued, closes the connection and waits for the task to end.
    pub async fn close(self) {
        self.handle.request_close().await;
        let _ = self.task.await;
    }
}

/// Reads the sender, message ID and flags of an outer message header (E2E-23) without a key.
pub(crate) fn message_header(bytes: &[u8]) -> Option<(Identity, Identity, MessageId, u8)> {
    let payload = saltrelay_protocol::e2e::MessagePayload::decode(bytes).ok()?;
    Some((
        payload.sender,
        payload.receiver,
        payload.message_id,
        payload.flags.0,
    ))
}
