//! What the relay does with each payload a logged-in client sends: messages, acks, key
//! lookups and blob transfers (TR-20 to TR-25, RELAY-13 to RELAY-19), and the download
//! chunks it sends as the socket drains.

use saltrelay_protocol::e2e::{MessageFlags, MessagePayload};
use saltrelay_protocol::transport::Payload;
use saltrelay_protocol::transport::payload::{
    BlobChunk, BlobStatus, MAX_BLOB_CHUNK_LEN, MessageAck,
};

use super::{Conn, WRITE_LOW_WATER};
use crate::server::hub::Accepted;
use crate::server::{ConnectionError, MessageHeader};

impl Conn {
    /// Handles every payload of the last input, in order.
    pub(super) async fn handle_inbox(&mut self) {
        while let Some(payload) = self.inbox.pop_front() {
            if self.ending.is_some() {
                self.inbox.clear();
                return;
            }
            self.handle(payload).await;
        }
    }

    async fn handle(&mut self, payload: Payload) {
        match payload {
            Payload::OutgoingMessage(bytes) => self.on_message(bytes),
            Payload::IncomingMessageAck(ack) => {
                let mailbox = self.mailbox.expect("payloads arrive only after the login");
                // RELAY-9: an ack for nothing in flight changes nothing.
                if !self
                    .shared
                    .hub
                    .recipient_ack(mailbox, ack.identity, ack.message_id)
                {
                    self.tracer.note("ack for no message in flight, ignored");
                    // CLIENT-2: only acks of messages in flight are free of the rate limit.
                    if !self.rate.take(1, tokio::time::Instant::now()) {
                        self.inbox.clear();
                        self.end(ConnectionError::RateLimited);
                    }
                }
            }
            Payload::KeyLookupRequest {
                request_id,
                identity,
            } => {
                // TR-23, RELAY-15: the relay is the directory.
                let public_key = self.shared.directory.lookup(&identity);
                self.transmit(&Payload::KeyLookupResponse {
                    request_id,
                    public_key,
                });
            }
            Payload::BlobUploadRequest {
                request_id,
                length,
                persist,
            } => self.on_upload_request(request_id, length, persist).await,
            Payload::BlobUploadChunk(chunk) => self.on_upload_chunk(chunk).await,
            Payload::BlobDownloadRequest {
                request_id,
                blob_id,
            } => {
                let result = if self.download.is_some() {
                    // RELAY-19: one download at a time per connection.
                    Err(BlobStatus::Unavailable)
                } else {
                    self.shared.blobs.begin_download(request_id, &blob_id).await
                };
                let response = result
                    .as_ref()
                    .map(crate::server::blobs::Download::length)
                    .map_err(|s| *s);
                self.transmit(&Payload::BlobDownloadResponse {
                    request_id,
                    result: response,
                });
                self.download = result.ok();
            }
            Payload::BlobDone { blob_id } => self.shared.blobs.done(&blob_id).await,
            // Echo-responses, relay notices the client may not send, and the rest: nothing.
            _ => {}
        }
    }

    /// RELAY-13, RELAY-16: check the header, route, and ack now, later or never.
    fn on_message(&mut self, bytes: Vec<u8>) {
        let identity = self.identity.expect("payloads arrive only after the login");
        let Ok(header) = MessagePayload::decode(&bytes) else {
            self.end(ConnectionError::MalformedMessage);
            return;
        };
        if header.sender != identity {
            self.end(ConnectionError::SenderMismatch);
            return;
        }
        let header = MessageHeader {
            sender: header.sender,
            receiver: header.receiver,
            message_id: header.message_id.as_u64(),
            flags: header.flags.0,
        };
        let wants_ack = !MessageFlags(header.flags).contains(MessageFlags::NO_SERVER_ACK);
        if self.shared.directory.lookup(&header.receiver).is_none() {
            self.refuse(
                &header,
                "recipient_unknown",
                "the recipient identity is not bound to a key",
            );
            return;
        }
        match self
            .shared
            .hub
            .accept(self.clock.now(), &self.me, &header, bytes)
        {
            Accepted::AckNow if wants_ack => {
                self.transmit(&Payload::OutgoingMessageAck(MessageAck {
                    identity: header.receiver,
                    message_id: header.message_id,
                }));
            }
            Accepted::AckNow => {}
            Accepted::AckLater => {
                if wants_ack {
                    // One per message of this connection awaiting its store commit.
                    self.unacked = self.unacked.saturating_add(1);
                }
            }
            Accepted::Refused("mailbox_full") => {
                self.refuse(&header, "mailbox_full", "the recipient's mailbox is full");
            }
            Accepted::Refused(code) => self.refuse(&header, code, "the relay cannot take it now"),
        }
    }

    /// RELAY-16: a refused message gets no ack but an alert naming it.
    fn refuse(&mut self, header: &MessageHeader, code: &str, sentence: &str) {
        let text = format!(
            "{code}: message {} to {} was not accepted; {sentence}",
            header.message_id_hex(),
            header.receiver
        );
        self.transmit(&Payload::Alert(text));
    }

    async fn on_upload_request(&mut self, request_id: u32, length: u32, persist: bool) {
        let result = if self.upload.is_some() {
            // RELAY-19: one upload at a time per connection.
            Err(BlobStatus::Unavailable)
        } else {
            self.shared
                .blobs
                .begin_upload(request_id, length, persist, &mut self.rng)
                .await
        };
        match result {
            Ok(upload) if length == 0 => {
                let result = upload.finish().await;
                self.transmit(&Payload::BlobUploadResponse { request_id, result });
            }
            Ok(upload) => self.upload = Some(upload),
            Err(status) => self.transmit(&Payload::BlobUploadResponse {
                request_id,
                result: Err(status),
            }),
        }
    }

    /// TR-24: chunks continue the transfer; the response comes once the blob is durable.
    async fn on_upload_chunk(&mut self, chunk: BlobChunk) {
        let Some(upload) = self.upload.as_mut() else {
            return; // the rest of a refused or failed upload
        };
        if upload.request_id != chunk.request_id {
            return;
        }
        let request_id = chunk.request_id;
        match upload.write_chunk(chunk.offset, &chunk.data).await {
            Ok(false) => {}
            Ok(true) => {
                let upload = self.upload.take().expect("an upload");
                let result = upload.finish().await;
                self.transmit(&Payload::BlobUploadResponse { request_id, result });
            }
            Err(status) => {
                if let Some(upload) = self.upload.take() {
                    upload.abort().await;
                }
                self.transmit(&Payload::BlobUploadResponse {
                    request_id,
                    result: Err(status),
                });
            }
        }
    }

    /// Sends download chunks while the socket keeps up (TR-25, RELAY-20).
    pub(super) async fn pump_download(&mut self) {
        while self.wbuf.len() < WRITE_LOW_WATER && self.ending.is_none() {
            let Some(download) = self.download.as_mut() else {
                return;
            };
            let request_id = download.request_id;
            match download.next_chunk(MAX_BLOB_CHUNK_LEN).await {
                Ok(Some((offset, data))) => self.transmit(&Payload::BlobDownloadChunk(BlobChunk {
                    request_id,
                    offset,
                    data,
                })),
                Ok(None) | Err(_) => {
                    // A read failure after the response cannot be reported by status; the
                    // client sees a short download and asks again.
                    self.download = None;
                }
            }
        }
    }
}
