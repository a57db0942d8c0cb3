//! What an application asks a client connection to do: the commands and the cloneable
//! [`ClientHandle`] that sends them (TR-20, TR-23 to TR-25).

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::e2e::MessageId;
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::transport::Payload;
use saltrelay_protocol::transport::payload::{BlobId, MessageAck};
use tokio::sync::{mpsc, oneshot};

use super::ClientError;

/// Where a request's answer goes.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, ClientError>>;

/// A request to the connection task.
#[derive(Debug)]
pub(crate) enum Command {
    /// An outer message; the reply comes with the relay's ack, or at once for no-ack messages.
    Message {
        bytes: Vec<u8>,
        reply: Reply<Option<MessageAck>>,
    },
    /// Any payload, as it is (tests and tools that misbehave on purpose).
    Raw(Payload),
    /// A key lookup (TR-23).
    Lookup {
        identity: Identity,
        reply: Reply<Option<PublicKey>>,
    },
    /// A blob upload (TR-24).
    Upload {
        data: Vec<u8>,
        persist: bool,
        reply: Reply<BlobId>,
    },
    /// A blob download (TR-25).
    Download {
        blob_id: BlobId,
        reply: Reply<Vec<u8>>,
    },
    /// An echo round trip: answered once the relay has handled everything sent before
    /// (CLIENT-2).
    Sync(Reply<()>),
    /// Flush and close.
    Close(oneshot::Sender<()>),
}

/// Sends requests to one client connection. Cheap to clone; every method may be called
/// from any task, concurrently.
#[derive(Debug, Clone)]
pub struct ClientHandle {
    commands: mpsc::Sender<Command>,
    identity: Identity,
}

impl ClientHandle {
    pub(crate) fn new(commands: mpsc::Sender<Command>, identity: Identity) -> Self {
        Self { commands, identity }
    }

    /// The identity this connection logged in as.
    #[must_use]
    pub fn identity(&self) -> Identity {
        self.identity
    }

    async fn request<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(make(reply))
            .await
            .map_err(|_| ClientError::Disconnected)?;
        answer.await.map_err(|_| ClientError::Disconnected)?
    }

    /// Sends an outer message (E2E-23) and waits for the relay's ack (0x81): the message is
    /// then durable or delivered (RELAY-13). `None` for a message with the no-ack flag 0x04,
    /// which gets no ack (RELAY-6).
    ///
    /// # Errors
    /// [`ClientError::Refused`] when the relay refused it with an alert (RELAY-16), a
    /// transport error if the connection ended first, `Transport(malformed_payload)` if the
    /// bytes are no outer message.
    pub async fn send_message(&self, bytes: Vec<u8>) -> Result<Option<MessageAck>, ClientError> {
        self.request(|reply| Command::Message { bytes, reply })
            .await
    }

    /// Acknowledges an incoming message (0x82): the relay deletes it (RELAY-9).
    ///
    /// # Errors
    /// [`ClientError::Disconnected`] if the connection has ended.
    pub async fn ack_incoming(
        &self,
        sender: Identity,
        message_id: MessageId,
    ) -> Result<(), ClientError> {
        self.send_payload(Payload::IncomingMessageAck(MessageAck {
            identity: sender,
            message_id: message_id.as_u64(),
        }))
        .await
    }

    /// Sends any payload as it is, unchecked; for tests and diagnostics.
    ///
    /// # Errors
    /// [`ClientError::Disconnected`] if the connection has ended.
    pub async fn send_payload(&self, payload: Payload) -> Result<(), ClientError> {
        self.commands
            .send(Command::Raw(payload))
            .await
            .map_err(|_| ClientError::Disconnected)
    }

    /// Looks up the key bound to an identity at the relay (TR-23).
    ///
    /// # Errors
    /// A transport error if the connection ends first.
    pub async fn lookup_key(&self, identity: Identity) -> Result<Option<PublicKey>, ClientError> {
        self.request(|reply| Command::Lookup { identity, reply })
            .await
    }

    /// Uploads a blob in chunks and returns its ID once the relay has it durably (TR-24,
    /// RELAY-19). `persist` keeps it after the first download is done (group blobs).
    ///
    /// # Errors
    /// [`ClientError::Blob`] with the relay's status (`too_large` above its limit).
    pub async fn upload_blob(&self, data: Vec<u8>, persist: bool) -> Result<BlobId, ClientError> {
        self.request(|reply| Command::Upload {
            data,
            persist,
            reply,
        })
        .await
    }

    /// Downloads a whole blob (TR-25). Call [`ClientHandle::blob_done`] once it is stored.
    ///
    /// # Errors
    /// [`ClientError::Blob`] (`not_found`), [`ClientError::BlobMismatch`].
    pub async fn download_blob(&self, blob_id: BlobId) -> Result<Vec<u8>, ClientError> {
        self.request(|reply| Command::Download { blob_id, reply })
            .await
    }

    /// Tells the relay the blob is downloaded; it deletes it unless it was persisted (TR-25).
    ///
    /// # Errors
    /// [`ClientError::Disconnected`] if the connection has ended.
    pub async fn blob_done(&self, blob_id: BlobId) -> Result<(), ClientError> {
        self.send_payload(Payload::BlobDone { blob_id }).await
    }

    /// Returns once the relay has handled every payload this connection sent before, acks of
    /// incoming messages included (CLIENT-2): an echo-request with fresh data, answered by
    /// the relay only after the payloads before it. Call it before closing after acks.
    ///
    /// # Errors
    /// A transport error if the connection ends before the echo-response.
    pub async fn sync(&self) -> Result<(), ClientError> {
        self.request(Command::Sync).await
    }

    /// Asks the task to flush and close; returns once it did (or had already ended).
    pub(crate) async fn request_close(&self) {
        let (done, closed) = oneshot::channel();
        if self.commands.send(Command::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}
