//! `saltrelay receive`: log in, decrypt and print every delivered message, save file blobs,
//! send delivery receipts, ack each message; without `--follow`, exit after
//! queue-send-complete (spec/05-relay.md, RELAY-3, RELAY-9; spec/03-e2e-messages.md).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_protocol::crypto::{BoxKey, PublicKey};
use saltrelay_protocol::e2e::{
    self, BlobKind, DeliveryReceipt, E2eError, InMemoryNonceStore, Message, MessageFlags,
    MessageId, ReceiptStatus,
};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_relay::client::{Client, ClientEvent, IncomingMessage};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::send::{RelayArgs, encode, runtime};
use crate::os_rng::os_rng;

/// Arguments of `saltrelay receive`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    relay: RelayArgs,
    /// One JSON object per line: `from`, `message_id` (hex), `type` and the type's fields.
    #[arg(long)]
    json: bool,
    /// Keep running after the queue was delivered, printing messages as they come.
    #[arg(long)]
    follow: bool,
    /// Where to save received files (created if absent).
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
    /// Send no delivery receipts.
    #[arg(long)]
    no_receipts: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(receive(args))
}

struct Receiver {
    keys: IdentityKeys,
    client: Client,
    /// Senders' keys, looked up at the relay once each (TR-23).
    known: HashMap<Identity, PublicKey>,
    /// Nonces seen: a message delivered twice (after a relay crash) is detected (E2E-31).
    nonces: InMemoryNonceStore,
    receipts: JoinSet<()>,
    args: Args,
}

async fn receive(args: Args) -> anyhow::Result<ExitCode> {
    let (keys, client) = args.relay.connect().await?;
    let mut receiver = Receiver {
        keys,
        client,
        known: HashMap::new(),
        nonces: InMemoryNonceStore::new(),
        receipts: JoinSet::new(),
        args,
    };
    loop {
        match receiver.client.next_event().await {
            Some(ClientEvent::Message(message)) => receiver.on_message(message).await?,
            Some(ClientEvent::QueueSendComplete) => {
                if !receiver.args.json {
                    eprintln!("queue delivered");
                }
                if !receiver.args.follow {
                    break;
                }
            }
            Some(ClientEvent::Alert(text)) => eprintln!("alert from the relay: {text}"),
            Some(ClientEvent::Closed(error)) => return Err(error).context("connection closed"),
            Some(_) | None => break,
        }
    }
    // Receipts go out before we leave: wait for their acks.
    while receiver.receipts.join_next().await.is_some() {}
    receiver.client.close().await;
    Ok(ExitCode::SUCCESS)
}

impl Receiver {
    async fn sender_key(&mut self, sender: Identity) -> anyhow::Result<Option<PublicKey>> {
        if let Some(key) = self.known.get(&sender) {
            return Ok(Some(*key));
        }
        let key = self.client.lookup_key(sender).await?;
        if let Some(key) = key {
            self.known.insert(sender, key);
        }
        Ok(key)
    }

    async fn on_message(&mut self, message: IncomingMessage) -> anyhow::Result<()> {
        let id_hex = hex::encode(message.message_id.0);
        let mut out = json!({ "from": message.sender.as_str(), "message_id": id_hex });
        match self.open(&message).await {
            Ok((opened, created_at)) => {
                out["created_at_ms"] = created_at.into();
                self.describe(&opened, &mut out).await?;
                if self.wants_receipt(&message, &opened) {
                    self.send_receipt(&message)?;
                }
            }
            Err(error) => {
                out["type"] = "undecryptable".into();
                out["error"] = error.to_string().into();
            }
        }
        // A closed stdout (`receive | head`) stops here, before the ack: the message stays
        // queued at the relay for the next run.
        self.print(&out)?;
        // RELAY-9: ack once printed and saved; the relay deletes it then.
        self.client
            .ack_incoming(message.sender, message.message_id)
            .await?;
        Ok(())
    }

    async fn open(&mut self, message: &IncomingMessage) -> anyhow::Result<(Message, u64)> {
        let sender_key = self
            .sender_key(message.sender)
            .await?
            .context("the sender's key is not known at the relay")?;
        let key = BoxKey::derive(self.keys.secret_key(), &sender_key)?;
        match e2e::decode_payload(&key, &message.payload, &mut self.nonces) {
            Ok(received) => {
                let created = received.created_at().as_millis();
                Ok((received.opened.message, created))
            }
            Err(E2eError::NonceReused) => {
                anyhow::bail!("duplicate: this message was delivered before")
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Fills the JSON form in; for a file, downloads, decrypts and saves the blob (TR-25).
    async fn describe(&mut self, message: &Message, out: &mut Value) -> anyhow::Result<()> {
        let form = e2e::message_to_json(message);
        if let (Value::Object(target), Value::Object(fields)) = (&mut *out, form) {
            target.extend(fields);
        }
        if let Message::File(file) = message {
            let blob_id = file.blob_id();
            let sealed = self
                .client
                .download_blob(blob_id)
                .await
                .context("blob download")?;
            let data = e2e::open_blob(&file.blob_key(), BlobKind::File, &sealed)?;
            self.client.blob_done(blob_id).await?;
            let name = file
                .name()
                .map(|n| n.replace(['/', '\\'], "_"))
                .filter(|n| !n.is_empty() && n != "." && n != "..")
                .unwrap_or_else(|| hex::encode(blob_id));
            tokio::fs::create_dir_all(&self.args.out_dir).await?;
            let path = unique_path(&self.args.out_dir, &name);
            tokio::fs::write(&path, &data)
                .await
                .with_context(|| format!("cannot write {}", path.display()))?;
            out["saved_to"] = path.display().to_string().into();
            out["size"] = data.len().into();
        }
        Ok(())
    }

    fn wants_receipt(&self, message: &IncomingMessage, opened: &Message) -> bool {
        let flags = MessageFlags(message.flags);
        !self.args.no_receipts
            && !flags.contains(MessageFlags::NO_DELIVERY_RECEIPTS)
            && !flags.contains(MessageFlags::NO_SERVER_ACK)
            && matches!(
                opened,
                Message::Text(_) | Message::File(_) | Message::Location(_)
            )
    }

    /// A `received` delivery receipt back to the sender (E2E-18), sent in the background.
    fn send_receipt(&mut self, message: &IncomingMessage) -> anyhow::Result<()> {
        let their_key = self.known[&message.sender];
        let receipt = Message::DeliveryReceipt(DeliveryReceipt {
            status: ReceiptStatus::Received,
            message_ids: vec![message.message_id],
        });
        let id = MessageId::random(&mut os_rng()?);
        let bytes = encode(&self.keys, message.sender, &their_key, id, receipt, 0)?;
        let handle = self.client.handle();
        self.receipts.spawn(async move {
            if let Err(error) = handle.send_message(bytes).await {
                eprintln!("delivery receipt not sent: {error}");
            }
        });
        Ok(())
    }

    fn print(&self, out: &Value) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        if self.args.json {
            writeln!(stdout, "{out}")?;
            return stdout.flush();
        }
        let from = out["from"].as_str().unwrap_or("?");
        let id = out["message_id"].as_str().unwrap_or("?");
        let kind = out["type"].as_str().unwrap_or("?");
        let detail = match kind {
            "text" => out["text"].as_str().unwrap_or_default().to_owned(),
            "file" => format!(
                "{} B saved to {}",
                out["size"],
                out["saved_to"].as_str().unwrap_or("?")
            ),
            "delivery_receipt" => format!("{} for {}", out["status"], out["message_ids"]),
            "undecryptable" => out["error"].as_str().unwrap_or_default().to_owned(),
            _ => out.to_string(),
        };
        writeln!(stdout, "{from} {id} {kind}: {detail}")?;
        stdout.flush()
    }
}

/// `dir/name`, or `dir/name.1`, `.2`, ... if taken: a received file never overwrites one.
fn unique_path(dir: &std::path::Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    (1..u32::MAX)
        .map(|n| dir.join(format!("{name}.{n}")))
        .find(|p| !p.exists())
        .expect("some suffix is free")
}
