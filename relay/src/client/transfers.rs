//! The client's open requests that the relay answers by request ID: key lookups (TR-23),
//! blob uploads (TR-24) and downloads (TR-25).

use std::collections::{HashMap, VecDeque};

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::e2e::check_blob_box_len;
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::transport::Payload;
use saltrelay_protocol::transport::payload::{BlobChunk, BlobId, BlobStatus, MAX_BLOB_CHUNK_LEN};

use super::ClientError;
use super::requests::Reply;

/// An upload in the queue: the request goes first, then the chunks in order (TR-24).
#[derive(Debug)]
struct Upload {
    request_id: u32,
    data: Vec<u8>,
    persist: bool,
    sent: usize,
    started: bool,
    reply: Reply<BlobId>,
}

#[derive(Debug)]
struct Download {
    expected: Option<usize>,
    data: Vec<u8>,
    reply: Reply<Vec<u8>>,
}

/// Requests awaiting the relay's answer.
#[derive(Debug, Default)]
pub(crate) struct Transfers {
    next_request: u32,
    lookups: HashMap<u32, Reply<Option<PublicKey>>>,
    /// Uploads whose chunks are still to be sent; the front one is being sent.
    uploads: VecDeque<Upload>,
    /// Uploads fully sent, awaiting the response.
    awaiting: HashMap<u32, Reply<BlobId>>,
    downloads: HashMap<u32, Download>,
}

impl Transfers {
    fn request_id(&mut self) -> u32 {
        self.next_request = self.next_request.wrapping_add(1);
        self.next_request
    }

    /// A key lookup request to send (TR-23).
    pub(crate) fn lookup(
        &mut self,
        identity: Identity,
        reply: Reply<Option<PublicKey>>,
    ) -> Payload {
        let request_id = self.request_id();
        self.lookups.insert(request_id, reply);
        Payload::KeyLookupRequest {
            request_id,
            identity,
        }
    }

    /// Queues an upload; its frames come from [`Transfers::next_upload_payload`].
    pub(crate) fn upload(&mut self, data: Vec<u8>, persist: bool, reply: Reply<BlobId>) {
        if u32::try_from(data.len()).is_err() {
            let _ = reply.send(Err(ClientError::Blob(BlobStatus::TooLarge)));
            return;
        }
        let request_id = self.request_id();
        self.uploads.push_back(Upload {
            request_id,
            data,
            persist,
            sent: 0,
            started: false,
            reply,
        });
    }

    /// The next frame of the front upload: its request, then its chunks (TR-24).
    pub(crate) fn next_upload_payload(&mut self) -> Option<Payload> {
        let upload = self.uploads.front_mut()?;
        if !upload.started {
            upload.started = true;
            return Some(Payload::BlobUploadRequest {
                request_id: upload.request_id,
                length: u32::try_from(upload.data.len()).expect("checked when queued"),
                persist: upload.persist,
            });
        }
        let data = upload
            .data
            .get(upload.sent..)
            .and_then(|rest| rest.chunks(MAX_BLOB_CHUNK_LEN).next())
            .unwrap_or_default()
            .to_vec();
        let chunk = BlobChunk {
            request_id: upload.request_id,
            offset: u32::try_from(upload.sent).expect("checked when queued"),
            data,
        };
        // `sent + chunk` stays within the upload's length.
        upload.sent = upload.sent.saturating_add(chunk.data.len());
        if upload.sent == upload.data.len() {
            let done = self.uploads.pop_front().expect("the front upload exists");
            self.awaiting.insert(done.request_id, done.reply);
        }
        (!chunk.data.is_empty()).then_some(Payload::BlobUploadChunk(chunk))
    }

    /// A download request to send (TR-25).
    pub(crate) fn download(&mut self, blob_id: BlobId, reply: Reply<Vec<u8>>) -> Payload {
        let request_id = self.request_id();
        self.downloads.insert(
            request_id,
            Download {
                expected: None,
                data: Vec::new(),
                reply,
            },
        );
        Payload::BlobDownloadRequest {
            request_id,
            blob_id,
        }
    }

    /// Takes a relay payload that answers a request; gives back any other.
    pub(crate) fn on_payload(&mut self, payload: Payload) -> Option<Payload> {
        match payload {
            Payload::KeyLookupResponse {
                request_id,
                public_key,
            } => {
                if let Some(reply) = self.lookups.remove(&request_id) {
                    let _ = reply.send(Ok(public_key));
                }
            }
            Payload::BlobUploadResponse { request_id, result } => {
                let reply = self.awaiting.remove(&request_id).or_else(|| {
                    // A failure may come before every chunk is sent: stop sending them.
                    let at = self
                        .uploads
                        .iter()
                        .position(|u| u.request_id == request_id)?;
                    self.uploads.remove(at).map(|u| u.reply)
                });
                if let Some(reply) = reply {
                    let _ = reply.send(result.map_err(ClientError::Blob));
                }
            }
            Payload::BlobDownloadResponse { request_id, result } => match result {
                Ok(len) => {
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    // TR-25, E2E-33: no blob box is longer than 100 MiB and its tag; a larger
                    // announced length is refused before anything is allocated for it.
                    if check_blob_box_len(len).is_err() {
                        if let Some(download) = self.downloads.remove(&request_id) {
                            let _ = download
                                .reply
                                .send(Err(ClientError::Blob(BlobStatus::TooLarge)));
                        }
                        return None;
                    }
                    if let Some(download) = self.downloads.get_mut(&request_id) {
                        download.expected = Some(len);
                        download.data.reserve_exact(len.min(64 << 20));
                    }
                    self.finish_download(request_id);
                }
                Err(status) => {
                    if let Some(download) = self.downloads.remove(&request_id) {
                        let _ = download.reply.send(Err(ClientError::Blob(status)));
                    }
                }
            },
            Payload::BlobDownloadChunk(chunk) => {
                let download = self.downloads.get_mut(&chunk.request_id)?;
                let fits = download.expected.is_some_and(|len| {
                    download.data.len() == chunk.offset as usize
                        && download
                            .data
                            .len()
                            .checked_add(chunk.data.len())
                            .is_some_and(|end| end <= len)
                });
                if fits {
                    download.data.extend_from_slice(&chunk.data);
                    self.finish_download(chunk.request_id);
                } else if let Some(download) = self.downloads.remove(&chunk.request_id) {
                    let _ = download.reply.send(Err(ClientError::BlobMismatch));
                }
            }
            other => return Some(other),
        }
        None
    }

    fn finish_download(&mut self, request_id: u32) {
        let complete = self
            .downloads
            .get(&request_id)
            .is_some_and(|d| d.expected == Some(d.data.len()));
        if complete && let Some(download) = self.downloads.remove(&request_id) {
            let _ = download.reply.send(Ok(download.data));
        }
    }

    /// Answers every open request with `error`.
    pub(crate) fn fail_all(&mut self, error: &ClientError) {
        for (_, reply) in self.lookups.drain() {
            let _ = reply.send(Err(error.clone()));
        }
        for upload in self.uploads.drain(..) {
            let _ = upload.reply.send(Err(error.clone()));
        }
        for (_, reply) in self.awaiting.drain() {
            let _ = reply.send(Err(error.clone()));
        }
        for (_, download) in self.downloads.drain() {
            let _ = download.reply.send(Err(error.clone()));
        }
    }

    /// Whether an upload has frames left to send.
    pub(crate) fn has_upload(&self) -> bool {
        !self.uploads.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use saltrelay_protocol::e2e::MAX_BLOB_LEN;
    use saltrelay_protocol::transport::payload::BlobChunk;
    use tokio::sync::oneshot;

    use super::*;

    fn announce(
        transfers: &mut Transfers,
        len: u32,
    ) -> oneshot::Receiver<Result<Vec<u8>, ClientError>> {
        let (reply, answer) = oneshot::channel();
        let Payload::BlobDownloadRequest { request_id, .. } = transfers.download([7; 16], reply)
        else {
            panic!("a download request");
        };
        let response = Payload::BlobDownloadResponse {
            request_id,
            result: Ok(len),
        };
        assert!(transfers.on_payload(response).is_none());
        answer
    }

    #[test]
    fn refuses_a_download_announced_above_the_blob_limit_before_allocating() {
        let mut transfers = Transfers::default();
        let too_long = u32::try_from(MAX_BLOB_LEN + 16 + 1).expect("fits u32");
        let mut answer = announce(&mut transfers, too_long);
        assert_eq!(
            answer.try_recv().expect("answered at once"),
            Err(ClientError::Blob(BlobStatus::TooLarge))
        );
        assert!(transfers.downloads.is_empty(), "nothing kept for it");
        // Chunks that follow belong to no download and are dropped.
        let chunk = Payload::BlobDownloadChunk(BlobChunk {
            request_id: 1,
            offset: 0,
            data: vec![0; 100],
        });
        assert!(transfers.on_payload(chunk).is_none());
        assert!(transfers.downloads.is_empty());
    }

    #[test]
    fn accepts_a_download_at_the_limit_and_completes_it() {
        let mut transfers = Transfers::default();
        let mut answer = announce(&mut transfers, 3);
        assert!(answer.try_recv().is_err(), "waiting for the chunks");
        let chunk = Payload::BlobDownloadChunk(BlobChunk {
            request_id: 1,
            offset: 0,
            data: vec![1, 2, 3],
        });
        assert!(transfers.on_payload(chunk).is_none());
        assert_eq!(answer.try_recv().expect("complete"), Ok(vec![1, 2, 3]));

        let at_limit = u32::try_from(MAX_BLOB_LEN + 16).expect("fits u32");
        let mut answer = announce(&mut transfers, at_limit);
        assert!(
            answer.try_recv().is_err(),
            "a blob at the limit is accepted"
        );
    }
}
