//! What `receive` sends besides receipts: forward-secrecy replies (Accept, Reject, `0xfc`) and
//! the answers of the group rules, through one background task in order, so that the loop
//! keeps reading (CLIENT-1) and the messages of one session reach the relay in counter order
//! (FS-31: a later counter opened first would make an earlier one `counter_behind`).

use anyhow::Context as _;
use saltrelay_protocol::identity::Identity;
use saltrelay_relay::client::ClientHandle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The queue of outer messages to send and the task sending them one by one.
pub(super) struct Outbox {
    queue: Option<mpsc::UnboundedSender<(Identity, Vec<u8>)>>,
    task: JoinHandle<usize>,
}

impl Outbox {
    pub(super) fn new(handle: ClientHandle) -> Self {
        let (queue, mut next) = mpsc::unbounded_channel::<(Identity, Vec<u8>)>();
        let task = tokio::spawn(async move {
            let mut failed = 0;
            while let Some((to, bytes)) = next.recv().await {
                if let Err(error) = handle.send_message(bytes).await {
                    eprintln!("a message to {to} was not sent: {error}");
                    failed += 1;
                }
            }
            failed
        });
        Self {
            queue: Some(queue),
            task,
        }
    }

    /// Queues `bytes` for `to` after everything queued before.
    pub(super) fn send(&self, to: Identity, bytes: Vec<u8>) {
        if let Some(queue) = &self.queue {
            // The task ends only once the queue is closed, in `finish`.
            let _ = queue.send((to, bytes));
        }
    }

    /// Waits until every queued message was acked by the relay.
    ///
    /// # Errors
    /// When any was not: it is named on stderr, and `receive` exits non-zero.
    pub(super) async fn finish(mut self) -> anyhow::Result<()> {
        self.queue = None;
        let failed = self.task.await.context("the sending task failed")?;
        if failed > 0 {
            anyhow::bail!("{failed} message(s) could not be sent; see above");
        }
        Ok(())
    }
}
