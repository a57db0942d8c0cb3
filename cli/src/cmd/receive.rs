//! `saltrelay receive`: log in, decrypt and print every delivered message (forward-secret
//! ones through the session file, FS-42 to FS-44), apply group messages to the group state
//! (GRP-31), save file blobs, send delivery receipts, ack each message; without `--follow`,
//! exit after queue-send-complete once every ack reached the relay (spec/05-relay.md,
//! RELAY-3, RELAY-9, CLIENT-1 to CLIENT-4; spec/03-e2e-messages.md).
//!
//! The loop never awaits the relay's answer to a request (CLIENT-1): key lookups and blob
//! downloads run as tasks through the client handle while the loop keeps reading, and the
//! messages of a sender with a request open wait in arrival order until it is answered.

mod fs;
mod groups;
mod outbox;
mod quarantine;
mod receipts;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use saltrelay_protocol::crypto::{BoxKey, PublicKey};
use saltrelay_protocol::e2e::{
    self, BlobKind, E2eError, FileMessage, InMemoryNonceStore, Message, MessageFlags,
};
use saltrelay_protocol::group::GroupClient;
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_protocol::session::ENVELOPE_TYPE;
use saltrelay_relay::client::{ClientError, ClientEvent, ClientHandle, IncomingMessage};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::send::{RelayArgs, runtime};
use super::sessions::Sessions;
use groups::Unsent;
use outbox::Outbox;
use quarantine::Quarantine;
use receipts::Receipts;

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
    /// Where undecryptable messages are kept before they are acked (CLIENT-3); default
    /// `OUT_DIR/quarantine.jsonl`.
    #[arg(long)]
    quarantine: Option<PathBuf>,
    /// Send no delivery receipts.
    #[arg(long)]
    no_receipts: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(receive(args))
}

/// A sender whose key the relay told us: its public key and the box key shared with it.
struct Sender {
    public: PublicKey,
    box_key: BoxKey,
}

/// A file message whose blob is being or will be downloaded (RELAY-19: one at a time).
struct PendingFile {
    message: IncomingMessage,
    file: FileMessage,
    out: Value,
}

/// A request that ran beside the loop (CLIENT-1).
enum Done {
    Lookup(Identity, Result<Option<PublicKey>, ClientError>),
    Download(Box<PendingFile>, Result<Vec<u8>, ClientError>),
}

struct Receiver {
    keys: IdentityKeys,
    handle: ClientHandle,
    /// Senders' keys, looked up at the relay once each (TR-23); `None`: unknown there.
    known: HashMap<Identity, Option<Sender>>,
    /// Nonces seen: a message delivered twice (after a relay crash) is detected (E2E-31).
    nonces: InMemoryNonceStore,
    /// Senders with a lookup or download open, and their later messages in order (CLIENT-1).
    blocked: HashMap<Identity, VecDeque<IncomingMessage>>,
    /// Files waiting for the download in progress to end.
    files: VecDeque<PendingFile>,
    downloading: bool,
    requests: JoinSet<Done>,
    receipts: Receipts,
    quarantine: Quarantine,
    /// Forward-secret sessions, restored per sender on first use (FS-42).
    sessions: Sessions,
    /// The group state, loaded at the first group message (GRP-31).
    groups: Option<GroupClient>,
    /// Group answers waiting for their recipient's key.
    unsent: HashMap<Identity, Vec<Unsent>>,
    /// FS replies and group answers, sent in order beside the loop.
    outbox: Outbox,
    args: Args,
}

async fn receive(args: Args) -> anyhow::Result<ExitCode> {
    // FS-42: the session file is locked and read before logging in.
    let sessions = Sessions::load(args.relay.id_path())?;
    let (keys, mut client) = args.relay.connect().await?;
    let quarantine = Quarantine::new(
        args.quarantine
            .clone()
            .unwrap_or_else(|| args.out_dir.join("quarantine.jsonl")),
    );
    let mut receiver = Receiver {
        handle: client.handle(),
        receipts: Receipts::default(),
        keys,
        known: HashMap::new(),
        nonces: InMemoryNonceStore::new(),
        blocked: HashMap::new(),
        files: VecDeque::new(),
        downloading: false,
        requests: JoinSet::new(),
        quarantine,
        sessions,
        groups: None,
        unsent: HashMap::new(),
        outbox: Outbox::new(client.handle()),
        args,
    };
    let mut tick = tokio::time::interval(Duration::from_millis(receipts::MAX_WAIT_MS));
    let mut complete = false;
    loop {
        if complete && !receiver.args.follow && receiver.idle() {
            break;
        }
        tokio::select! {
            event = client.next_event() => match event {
                // Without --follow, what comes after the queue is left for the next login:
                // unacked, the relay sends it again then (RELAY-8).
                Some(ClientEvent::Message(message)) if !complete || receiver.args.follow => {
                    receiver.on_message(message).await?;
                }
                Some(ClientEvent::Message(_)) => {}
                Some(ClientEvent::QueueSendComplete) => {
                    if !receiver.args.json {
                        eprintln!("queue delivered");
                    }
                    complete = true;
                    let due = receiver.receipts.take_all();
                    receiver.send_receipts(due)?;
                }
                Some(ClientEvent::Alert(text)) => eprintln!("alert from the relay: {text}"),
                Some(ClientEvent::Closed(error)) => return Err(error).context("connection closed"),
                Some(_) | None => break,
            },
            Some(done) = receiver.requests.join_next(), if !receiver.requests.is_empty() => {
                receiver.on_done(done.context("a request task failed")?).await?;
            }
            _ = tick.tick() => {
                let due = receiver.receipts.take_due();
                receiver.send_receipts(due)?;
            }
        }
    }
    // Receipts go out before we leave: wait for their acks.
    let due = receiver.receipts.take_all();
    receiver.send_receipts(due)?;
    let Receiver { outbox, handle, .. } = receiver;
    let sent = outbox.finish().await;
    // CLIENT-2: every ack has reached the relay before we close.
    handle
        .sync()
        .await
        .context("the relay did not confirm the acks")?;
    client.close().await;
    sent?;
    Ok(ExitCode::SUCCESS)
}

impl Receiver {
    /// Nothing delivered is still waiting for a lookup or a download.
    fn idle(&self) -> bool {
        self.blocked.is_empty()
            && self.files.is_empty()
            && !self.downloading
            && self.unsent.is_empty()
    }

    async fn on_message(&mut self, message: IncomingMessage) -> anyhow::Result<()> {
        if let Some(waiting) = self.blocked.get_mut(&message.sender) {
            waiting.push_back(message);
            return Ok(());
        }
        if self.known.contains_key(&message.sender) {
            return self.open(message).await;
        }
        // CLIENT-1: look the key up beside the loop; this sender's messages wait meanwhile.
        let sender = message.sender;
        self.blocked.insert(sender, VecDeque::from([message]));
        let handle = self.handle.clone();
        self.requests
            .spawn(async move { Done::Lookup(sender, handle.lookup_key(sender).await) });
        Ok(())
    }

    async fn on_done(&mut self, done: Done) -> anyhow::Result<()> {
        match done {
            Done::Lookup(sender, key) => {
                let key = key.context("key lookup")?;
                let known = match key {
                    Some(public) => Some(Sender {
                        box_key: BoxKey::derive(self.keys.secret_key(), &public)?,
                        public,
                    }),
                    None => None,
                };
                self.known.insert(sender, known);
                self.release(sender).await?;
                self.send_unsent(sender)
            }
            Done::Download(file, data) => {
                self.downloading = false;
                let sender = file.message.sender;
                self.save_file(*file, data.context("blob download")?)
                    .await?;
                self.release(sender).await?;
                self.next_download();
                Ok(())
            }
        }
    }

    /// Handles a sender's waiting messages in order until one blocks it again.
    async fn release(&mut self, sender: Identity) -> anyhow::Result<()> {
        let Some(mut waiting) = self.blocked.remove(&sender) else {
            return Ok(());
        };
        while let Some(message) = waiting.pop_front() {
            self.on_message(message).await?;
        }
        Ok(())
    }

    /// Opens a message of a sender whose lookup is done, then shows and acks it (CLIENT-3).
    async fn open(&mut self, message: IncomingMessage) -> anyhow::Result<()> {
        let mut out = json!({
            "from": message.sender.as_str(),
            "message_id": hex::encode(message.message_id.0),
        });
        let Some(Some(sender)) = self.known.get(&message.sender) else {
            // CLIENT-3 case 1: the relay may learn the key again; leave the message there.
            out["type"] = "undecryptable".into();
            out["error"] = json!({
                "code": "sender_key_unknown",
                "reason": "the sender's key is not known at the relay",
            });
            out["action"] = "kept_on_relay".into();
            self.print(&out)?;
            return Ok(());
        };
        match e2e::decode_payload(&sender.box_key, &message.payload, &mut self.nonces) {
            Ok(received) => {
                out["created_at_ms"] = received.created_at().as_millis().into();
                let opened = match received.opened.message {
                    Message::Unknown {
                        type_code: ENVELOPE_TYPE,
                        body,
                    } => match self.open_envelope(&message, &body, &mut out).await? {
                        Some((inner, protection)) => {
                            // FS-44: how the message was protected.
                            out["forward_secret"] = true.into();
                            out["fs"] = protection.to_json();
                            inner
                        }
                        None => return Ok(()),
                    },
                    plain => {
                        out["forward_secret"] = false.into();
                        plain
                    }
                };
                let form = e2e::message_to_json(&opened);
                if let (Value::Object(target), Value::Object(fields)) = (&mut out, form) {
                    target.extend(fields);
                }
                if let Message::File(file) = opened {
                    // The sender's later messages wait for the file (CLIENT-1, RELAY-3).
                    self.blocked.insert(message.sender, VecDeque::new());
                    self.files.push_back(PendingFile { message, file, out });
                    self.next_download();
                    return Ok(());
                }
                // GRP-31: applied and saved before the ack.
                if let Some(events) =
                    self.apply_group(message.sender, message.message_id, &opened)?
                {
                    out["group_events"] = events.into();
                }
                let wants_receipt = self.wants_receipt(&message, &opened);
                self.deliver(&message, &out, wants_receipt).await
            }
            Err(E2eError::NonceReused) => {
                // CLIENT-3 case 3: delivered before; ack it, do not show it again.
                out["type"] = "undecryptable".into();
                out["error"] = json!({
                    "code": "nonce_reused",
                    "reason": "duplicate: this message was delivered before",
                });
                out["action"] = "acked_duplicate".into();
                self.print(&out)?;
                self.ack(&message).await
            }
            Err(error) => {
                // CLIENT-3 case 2: kept by us, flushed, then acked.
                out["type"] = "undecryptable".into();
                out["error"] = json!({ "code": error.code(), "reason": error.to_string() });
                self.quarantine
                    .keep(&message, error.code(), &error.to_string())
                    .context("cannot write the quarantine file; the message stays unacked")?;
                out["action"] = "quarantined".into();
                out["quarantine"] = self.quarantine.path().display().to_string().into();
                self.print(&out)?;
                self.ack(&message).await
            }
        }
    }

    /// Prints, queues a receipt and acks: RELAY-9, once printed and saved.
    async fn deliver(
        &mut self,
        message: &IncomingMessage,
        out: &Value,
        wants_receipt: bool,
    ) -> anyhow::Result<()> {
        self.print(out)?;
        if out.get("fs").is_some() {
            // FS-42: shown, so no longer held; durable before the ack.
            self.sessions.delivered(message.sender, message.message_id);
            self.sessions
                .save()
                .context("cannot write the session file; the message stays unacked")?;
        }
        if wants_receipt
            && let Some(Some(sender)) = self.known.get(&message.sender)
            && let Some(due) = self
                .receipts
                .add(message.sender, sender.public, message.message_id)
        {
            self.send_receipts(vec![due])?;
        }
        self.ack(message).await
    }

    async fn ack(&self, message: &IncomingMessage) -> anyhow::Result<()> {
        self.handle
            .ack_incoming(message.sender, message.message_id)
            .await?;
        Ok(())
    }

    /// Starts the next blob download unless one is in progress (RELAY-19, TR-25).
    fn next_download(&mut self) {
        if self.downloading {
            return;
        }
        let Some(file) = self.files.pop_front() else {
            return;
        };
        self.downloading = true;
        let handle = self.handle.clone();
        self.requests.spawn(async move {
            let data = handle.download_blob(file.file.blob_id()).await;
            Done::Download(Box::new(file), data)
        });
    }

    /// Decrypts and saves a downloaded file, then shows and acks its message.
    async fn save_file(&mut self, file: PendingFile, sealed: Vec<u8>) -> anyhow::Result<()> {
        let PendingFile {
            message,
            file,
            mut out,
        } = file;
        let blob_id = file.blob_id();
        let data = e2e::open_blob(&file.blob_key(), BlobKind::File, &sealed)?;
        self.handle.blob_done(blob_id).await?;
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
        let wants_receipt = self.wants_receipt(&message, &Message::File(file));
        self.deliver(&message, &out, wants_receipt).await
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

    /// A closed stdout (`receive | head`) fails here, before the ack: the message stays
    /// queued at the relay for the next run.
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
            "fs_rejected" => format!(
                "our message {} was not delivered ({}): the peer could not open it",
                out["rejected_message_id"].as_str().unwrap_or("?"),
                out["cause"].as_str().unwrap_or("?")
            ),
            "undecryptable" => format!(
                "{} ({})",
                out["error"]["reason"].as_str().unwrap_or_default(),
                out["action"].as_str().unwrap_or_default()
            ),
            _ => out.to_string(),
        };
        let fs = match out["fs"]["dh_type"].as_str() {
            Some(dh) => format!(" [{dh} v{}]", out["fs"]["version"].as_str().unwrap_or("?")),
            None => String::new(),
        };
        writeln!(stdout, "{from} {id} {kind}{fs}: {detail}")?;
        if let Some(events) = out["group_events"].as_array() {
            for event in events {
                writeln!(stdout, "  group event: {event}")?;
            }
        }
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
