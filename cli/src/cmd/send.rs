//! `saltrelay send`: encrypt a text or a file for one identity and send it through a relay,
//! in a forward-secret session unless `--no-fs`; exits 0 only once the relay acked every
//! message, that is once they are durable or delivered (spec/05-relay.md, RELAY-13;
//! spec/03-e2e-messages.md; spec/06-forward-secrecy.md, FS-41 to FS-43).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use saltrelay_protocol::crypto::{BoxKey, Nonce, PublicKey};
use saltrelay_protocol::e2e::{
    self, BlobKey, BlobKind, FileMessage, Message, MessageFlags, MessageId, OutgoingMessage,
    PayloadVersion,
};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_protocol::time::Timestamp;
use saltrelay_protocol::transport::TransportError;
use saltrelay_relay::client::{Client, ClientError, ClientOptions};
use saltrelay_relay::runtime::clock::Clock;
use serde_json::json;

use crate::cmd::id::load_key_file;
use crate::cmd::sessions::Sessions;
use crate::os_rng::os_rng;

/// How to reach a relay: shared by `send` and `receive`.
#[derive(Debug, clap::Args)]
pub(crate) struct RelayArgs {
    /// The relay's address, such as 127.0.0.1:5222.
    #[arg(long)]
    relay: String,
    /// The relay's public key as hex (`saltrelay relay key --data DIR`).
    #[arg(long)]
    relay_key: String,
    /// This client's identity key file (`saltrelay id new --out FILE`).
    #[arg(long)]
    id: PathBuf,
    /// Print every frame decoded on stderr.
    #[arg(long)]
    trace: bool,
    /// Send outside forward-secret sessions: plain messages (FS-43).
    #[arg(long)]
    pub(crate) no_fs: bool,
}

impl RelayArgs {
    /// The identity key file.
    pub(crate) fn id_path(&self) -> &Path {
        &self.id
    }

    /// Loads the identity and connects.
    pub(crate) async fn connect(&self) -> anyhow::Result<(IdentityKeys, Client)> {
        let keys = load_key_file(&self.id)?;
        let relay_key = PublicKey::from_slice(
            &hex::decode(self.relay_key.trim()).context("--relay-key is not hex")?,
        )
        .context("--relay-key is not a 32-byte public key")?;
        let mut options = ClientOptions::new(relay_key);
        options.trace = self.trace;
        let client = match Client::connect(self.relay.as_str(), &keys, options).await {
            Ok(client) => client,
            // TR-5: only the holder of the relay key can seal the server-hello we open with it.
            Err(ClientError::Transport(TransportError::ServerHelloAuthFailed)) => bail!(
                "cannot log in to {}: the relay there does not hold the key given by \
                 --relay-key (server-hello authentication failed); check the key: \
                 `saltrelay relay key --data DIR` prints it on the relay's machine",
                self.relay
            ),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot log in to {}", self.relay));
            }
        };
        Ok((keys, client))
    }
}

/// Arguments of `saltrelay send`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    relay: RelayArgs,
    /// The recipient's identity; its key is looked up at the relay.
    #[arg(long)]
    to: String,
    /// Send this text.
    #[arg(long, conflicts_with = "file", required_unless_present = "file")]
    text: Option<String>,
    /// Send this file (at most 50 MB): the encrypted blob is uploaded, then a file message.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Media type of the file.
    #[arg(long, default_value = "application/octet-stream")]
    media_type: String,
    /// Give up if the relay has not acked within this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(send(args))
}

/// A single-threaded runtime for one client.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn send(args: Args) -> anyhow::Result<ExitCode> {
    let to: Identity = args.to.parse().context("--to is not an identity")?;
    // FS-42: the session file is locked and read before logging in.
    let mut sessions = if args.relay.no_fs {
        None
    } else {
        Some(Sessions::load(args.relay.id_path())?)
    };
    let (keys, client) = args.relay.connect().await?;
    let limit = Duration::from_secs(args.timeout_secs);
    let work = async {
        let Some(their_key) = client.lookup_key(to).await? else {
            bail!("{to} is not known at the relay (it has never logged in there)");
        };
        let (message, kind) = match (&args.text, &args.file) {
            (Some(text), _) => (Message::Text(text.clone()), "text"),
            (None, Some(path)) => (upload_file(&client, path, &args.media_type).await?, "file"),
            (None, None) => bail!("give --text or --file"),
        };
        let message_id = MessageId::random(&mut os_rng()?);
        let flags = MessageFlags::SEND_PUSH;
        let outer = match sessions.as_mut() {
            Some(sessions) => {
                let now = Clock::new().now();
                let outer =
                    sessions.seal(&keys, to, &their_key, message_id, &message, flags, now)?;
                // FS-42: the advanced chain is durable before its message leaves.
                sessions.save()?;
                outer
            }
            None => vec![encode(&keys, to, &their_key, message_id, message, flags)?],
        };
        for bytes in outer {
            client.send_message(bytes).await?;
        }
        anyhow::Ok((message_id, kind))
    };
    let (message_id, kind) = tokio::time::timeout(limit, work)
        .await
        .map_err(|_| anyhow::anyhow!("no ack from the relay within {} s", args.timeout_secs))??;
    let fs = !args.relay.no_fs;
    if args.json {
        println!(
            "{}",
            json!({ "to": to.as_str(), "message_id": hex::encode(message_id.0), "type": kind,
                    "acked": true, "forward_secret": fs })
        );
    } else {
        let how = if fs {
            "forward-secret session"
        } else {
            "plain, --no-fs"
        };
        println!(
            "sent {kind} message {} to {to} ({how}): acked by the relay",
            hex::encode(message_id.0)
        );
    }
    client.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Encrypts the file under a new blob key, uploads it and returns the file message (E2E-13,
/// E2E-32, TR-24).
async fn upload_file(client: &Client, path: &Path, media_type: &str) -> anyhow::Result<Message> {
    let data = tokio::fs::read(path)
        .await
        .with_context(|| format!("cannot read {}", path.display()))?;
    let key = BlobKey::random(&mut os_rng()?);
    let sealed = e2e::seal_blob(&key, BlobKind::File, &data)?;
    let blob_id = client
        .upload_blob(sealed, false)
        .await
        .context("blob upload failed")?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fields = json!({
        "j": 0, "i": 0,
        "k": hex::encode(key.expose_secret()),
        "b": hex::encode(blob_id),
        "m": media_type,
        "n": name,
        "s": data.len(),
    });
    let serde_json::Value::Object(fields) = fields else {
        unreachable!("a JSON object literal");
    };
    Ok(Message::File(FileMessage::from_fields(fields)?))
}

/// An outer message in payload version 1 (E2E-23 to E2E-29), created now.
pub(crate) fn encode(
    keys: &IdentityKeys,
    to: Identity,
    their_key: &PublicKey,
    message_id: MessageId,
    message: Message,
    flags: u8,
) -> anyhow::Result<Vec<u8>> {
    let now = Clock::new().now();
    encode_at(keys, to, their_key, message_id, message, flags, now)
}

/// An outer message created at `created_at`: every copy of a group send carries the same
/// creation time (E2E-29, GRP-3).
pub(crate) fn encode_at(
    keys: &IdentityKeys,
    to: Identity,
    their_key: &PublicKey,
    message_id: MessageId,
    message: Message,
    flags: u8,
    created_at: Timestamp,
) -> anyhow::Result<Vec<u8>> {
    let mut rng = os_rng()?;
    let box_key = BoxKey::derive(keys.secret_key(), their_key)?;
    let pad = e2e::draw_padding_length(&mut rng, message.body_len()?);
    let outgoing = OutgoingMessage {
        sender: keys.identity(),
        receiver: to,
        message_id,
        created_at,
        flags: MessageFlags(flags),
        nickname: None,
        version: PayloadVersion::MetadataBox,
        expire_after_seconds: None,
        message,
    };
    Ok(e2e::encode_payload(
        &box_key,
        &outgoing,
        &Nonce::random(&mut rng),
        pad,
    )?)
}
