//! Batched delivery receipts of `saltrelay receive` (CLIENT-4, E2E-18): one `received` receipt
//! per sender for up to [`MAX_IDS`] message ids, sent in the background.

use std::collections::HashMap;
use std::time::Instant;

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::e2e::{DeliveryReceipt, Message, MessageId, ReceiptStatus};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_relay::client::ClientHandle;
use tokio::task::JoinSet;

use crate::cmd::send::encode;
use crate::os_rng::os_rng;

/// CLIENT-4: message ids per receipt (E2E-18 allows 976 in a 7,812-byte body).
pub(super) const MAX_IDS: usize = 512;
/// CLIENT-4: the longest an id waits for its batch to fill.
pub(super) const MAX_WAIT_MS: u64 = 200;

struct Batch {
    key: PublicKey,
    ids: Vec<MessageId>,
    since: Instant,
}

/// Receipts waiting to fill, and those sent and awaiting the relay's ack.
pub(super) struct Receipts {
    identity: Identity,
    handle: ClientHandle,
    batches: HashMap<Identity, Batch>,
    sending: JoinSet<()>,
}

impl Receipts {
    pub(super) fn new(identity: Identity, handle: ClientHandle) -> Self {
        Self {
            identity,
            handle,
            batches: HashMap::new(),
            sending: JoinSet::new(),
        }
    }

    /// Adds an id to its sender's batch; sends the batch once full.
    pub(super) fn add(
        &mut self,
        keys: &IdentityKeys,
        sender: Identity,
        key: PublicKey,
        id: MessageId,
    ) -> anyhow::Result<()> {
        let batch = self.batches.entry(sender).or_insert_with(|| Batch {
            key,
            ids: Vec::new(),
            since: Instant::now(),
        });
        batch.ids.push(id);
        if batch.ids.len() >= MAX_IDS {
            let batch = self.batches.remove(&sender).expect("just filled");
            self.send(keys, sender, batch)?;
        }
        Ok(())
    }

    /// Sends every batch older than [`MAX_WAIT_MS`].
    pub(super) fn flush_due(&mut self, keys: &IdentityKeys) -> anyhow::Result<()> {
        let due: Vec<Identity> = self
            .batches
            .iter()
            .filter(|(_, b)| b.since.elapsed().as_millis() >= u128::from(MAX_WAIT_MS))
            .map(|(sender, _)| *sender)
            .collect();
        for sender in due {
            let batch = self.batches.remove(&sender).expect("listed");
            self.send(keys, sender, batch)?;
        }
        Ok(())
    }

    /// Sends every batch.
    pub(super) fn flush_all(&mut self, keys: &IdentityKeys) -> anyhow::Result<()> {
        for (sender, batch) in std::mem::take(&mut self.batches) {
            self.send(keys, sender, batch)?;
        }
        Ok(())
    }

    fn send(&mut self, keys: &IdentityKeys, sender: Identity, batch: Batch) -> anyhow::Result<()> {
        debug_assert_eq!(keys.identity(), self.identity);
        let receipt = Message::DeliveryReceipt(DeliveryReceipt {
            status: ReceiptStatus::Received,
            message_ids: batch.ids,
        });
        let id = MessageId::random(&mut os_rng()?);
        let bytes = encode(keys, sender, &batch.key, id, receipt, 0)?;
        let handle = self.handle.clone();
        self.sending.spawn(async move {
            if let Err(error) = handle.send_message(bytes).await {
                eprintln!("delivery receipt not sent: {error}");
            }
        });
        Ok(())
    }

    /// Completes when a sent receipt was acked; never while none is open.
    pub(super) async fn reap(&mut self) {
        if self.sending.join_next().await.is_none() {
            std::future::pending::<()>().await;
        }
    }

    /// Waits for every sent receipt's ack.
    pub(super) async fn finish(&mut self) {
        while self.sending.join_next().await.is_some() {}
    }
}
