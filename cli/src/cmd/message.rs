//! `saltrelay message`: seal, open, encode and decode end-to-end messages as JSON on stdin and
//! stdout (spec/03-e2e-messages.md, E2E-43). Errors are `{"error", "message"}` on stdout.

use std::io::Read as _;
use std::process::ExitCode;

use saltrelay_protocol::crypto::{BoxKey, Nonce, PublicKey, SecretKey};
use saltrelay_protocol::e2e::{
    self, E2eError, InMemoryNonceStore, MessageFlags, MessageId, NonceStore, OutgoingMessage,
    PayloadVersion,
};
use saltrelay_protocol::time::Timestamp;
use serde_json::{Map, Value, json};

use crate::os_rng::os_rng;

/// Arguments of `saltrelay message`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: MessageCommand,
}

#[derive(Debug, Clone, Copy, clap::Subcommand)]
enum MessageCommand {
    /// Seal a message into a message box: prints {"nonce", "box", "plaintext"}.
    #[command(after_long_help = SEAL_FIELDS, after_help = SEAL_FIELDS)]
    Seal,
    /// Open a message box: prints the message with its type code and padding length.
    #[command(after_long_help = OPEN_FIELDS, after_help = OPEN_FIELDS)]
    Open,
    /// Build a whole outer message payload (either version): prints {"payload", ...}.
    #[command(after_long_help = ENCODE_FIELDS, after_help = ENCODE_FIELDS)]
    EncodePayload,
    /// Check and open a whole outer message payload: prints header, metadata and message.
    #[command(after_long_help = DECODE_FIELDS, after_help = DECODE_FIELDS)]
    DecodePayload,
}

/// How a message is written, for every subcommand's help (E2E-43).
macro_rules! message_form {
    () => {
        "\nA message is {\"type\": name, ...fields} with the names and fields of E2E-43, e.g.\n\
         {\"type\": \"text\", \"text\": \"hi\"}. Bytes are lowercase hex. Errors are\n\
         {\"error\": code, \"message\": text} on stdout with a non-zero exit. A secret key\n\
         comes from `saltrelay id show --secret --json FILE` (field secret_key).\n"
    };
}

const SEAL_FIELDS: &str = concat!(
    "Reads one JSON object on stdin:\n",
    "  sender_secret_key     hex, 32 bytes\n",
    "  recipient_public_key  hex, 32 bytes\n",
    "  message               the message (see below)\n",
    "  nonce                 optional: hex, 24 bytes (default: random)\n",
    "  padding_length        optional: 1 to 255 (default: random, E2E-3)\n",
    "Prints {\"nonce\", \"box\", \"plaintext\"} (the container).\n",
    message_form!(),
);
const OPEN_FIELDS: &str = concat!(
    "Reads one JSON object on stdin:\n",
    "  recipient_secret_key  hex, 32 bytes\n",
    "  sender_public_key     hex, 32 bytes\n",
    "  nonce                 hex, 24 bytes\n",
    "  box                   hex\n",
    "Prints the message plus type_code and padding_length.\n",
    message_form!(),
);
const ENCODE_FIELDS: &str = concat!(
    "Reads one JSON object on stdin:\n",
    "  sender_secret_key, recipient_public_key   hex, 32 bytes each\n",
    "  sender, receiver      identities (8 characters)\n",
    "  message               the message\n",
    "  optional: message_id (hex, 8 bytes), created_at_ms, flags (0-255), nickname,\n",
    "  payload_version (0 or 1, default 1), expire_after_seconds, nonce, padding_length\n",
    "Prints {\"payload\", \"nonce\", \"message_id\", \"padding_length\"}.\n",
    message_form!(),
);
const DECODE_FIELDS: &str = concat!(
    "Reads one JSON object on stdin:\n",
    "  recipient_secret_key, sender_public_key   hex, 32 bytes each\n",
    "  payload               hex\n",
    "  seen_nonces           optional: list of hex nonces already seen (E2E-31)\n",
    "Prints payload_version, sender, receiver, message_id, created_at, flags, nickname, nonce,\n",
    "metadata, effective_created_at_ms, effective_nickname, expires_at_ms and the message.\n",
    message_form!(),
);

/// A failure with its stable code (CONV-7).
struct Failure {
    code: &'static str,
    message: String,
}

impl From<E2eError> for Failure {
    fn from(error: E2eError) -> Self {
        Self {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

impl From<saltrelay_protocol::crypto::CryptoError> for Failure {
    fn from(error: saltrelay_protocol::crypto::CryptoError) -> Self {
        E2eError::from(error).into()
    }
}

fn input_error(field: &str, reason: &str) -> Failure {
    Failure {
        code: "invalid_message_json",
        message: format!("input field {field:?}: {reason}"),
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let result = serde_json::from_str::<Value>(&text)
        .map_err(|e| input_error("(stdin)", &e.to_string()))
        .and_then(|input| {
            let input = input
                .as_object()
                .cloned()
                .ok_or_else(|| input_error("(stdin)", "not a JSON object"))?;
            match args.command {
                MessageCommand::Seal => seal(&input),
                MessageCommand::Open => open(&input),
                MessageCommand::EncodePayload => encode_payload(&input),
                MessageCommand::DecodePayload => decode_payload(&input),
            }
        });
    match result {
        Ok(value) => {
            println!("{value}");
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            println!(
                "{}",
                json!({ "error": failure.code, "message": failure.message })
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

fn hex_field(input: &Map<String, Value>, key: &str) -> Result<Vec<u8>, Failure> {
    let text = input
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| input_error(key, "missing or not a string"))?;
    hex::decode(text).map_err(|_| input_error(key, "not hex"))
}

fn optional_u64(input: &Map<String, Value>, key: &str) -> Result<Option<u64>, Failure> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| input_error(key, "not an unsigned integer")),
    }
}

fn box_key(input: &Map<String, Value>, secret: &str, public: &str) -> Result<BoxKey, Failure> {
    let secret = zeroize::Zeroizing::new(hex_field(input, secret)?);
    let secret = SecretKey::from_slice(&secret)?;
    let public = PublicKey::from_slice(&hex_field(input, public)?)?;
    Ok(BoxKey::derive(&secret, &public)?)
}

fn message_field(input: &Map<String, Value>) -> Result<e2e::Message, Failure> {
    let value = input
        .get("message")
        .ok_or_else(|| input_error("message", "missing"))?;
    Ok(e2e::message_from_json(value)?)
}

/// The nonce and padding length from the input, or drawn from the OS RNG (E2E-3, E2E-5).
fn nonce_and_padding(
    input: &Map<String, Value>,
    message: &e2e::Message,
) -> Result<(Nonce, u8), Failure> {
    let mut rng = os_rng().map_err(|e| Failure {
        code: "internal_error",
        message: e.to_string(),
    })?;
    let nonce = match input.get("nonce") {
        None | Some(Value::Null) => Nonce::random(&mut rng),
        Some(_) => Nonce::from_slice(&hex_field(input, "nonce")?)?,
    };
    let pad = match optional_u64(input, "padding_length")? {
        Some(p) => u8::try_from(p).map_err(|_| E2eError::InvalidPaddingLength {
            requested: usize::try_from(p).unwrap_or(usize::MAX),
            body_len: 0,
        })?,
        None => e2e::draw_padding_length(&mut rng, message.body_len()?),
    };
    Ok((nonce, pad))
}

fn seal(input: &Map<String, Value>) -> Result<Value, Failure> {
    let key = box_key(input, "sender_secret_key", "recipient_public_key")?;
    let message = message_field(input)?;
    let (nonce, pad) = nonce_and_padding(input, &message)?;
    let plaintext = e2e::encode_container(&message, pad)?;
    let sealed = e2e::seal_message(&key, &nonce, &message, pad)?;
    Ok(json!({
        "nonce": hex::encode(nonce.as_bytes()),
        "box": hex::encode(sealed),
        "plaintext": hex::encode(plaintext),
    }))
}

fn open(input: &Map<String, Value>) -> Result<Value, Failure> {
    let key = box_key(input, "recipient_secret_key", "sender_public_key")?;
    let nonce = Nonce::from_slice(&hex_field(input, "nonce")?)?;
    let opened = e2e::open_message(&key, &nonce, &hex_field(input, "box")?)?;
    Ok(e2e::opened_to_json(&opened))
}

fn encode_payload(input: &Map<String, Value>) -> Result<Value, Failure> {
    let key = box_key(input, "sender_secret_key", "recipient_public_key")?;
    let message = message_field(input)?;
    let (nonce, pad) = nonce_and_padding(input, &message)?;
    let identity = |field: &str| {
        input
            .get(field)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| input_error(field, "missing or not an identity"))
    };
    let message_id = match input.get("message_id") {
        None | Some(Value::Null) => {
            let mut rng = os_rng().map_err(|e| input_error("message_id", &e.to_string()))?;
            MessageId::random(&mut rng)
        }
        Some(_) => MessageId(
            hex_field(input, "message_id")?
                .try_into()
                .map_err(|_| input_error("message_id", "not 8 bytes"))?,
        ),
    };
    let version = match optional_u64(input, "payload_version")? {
        None | Some(1) => PayloadVersion::MetadataBox,
        Some(0) => PayloadVersion::Legacy,
        Some(_) => return Err(input_error("payload_version", "not 0 or 1")),
    };
    let flags = optional_u64(input, "flags")?.unwrap_or(0);
    let outgoing = OutgoingMessage {
        sender: identity("sender")?,
        receiver: identity("receiver")?,
        message_id,
        created_at: Timestamp::from_millis(optional_u64(input, "created_at_ms")?.unwrap_or(0)),
        flags: MessageFlags(u8::try_from(flags).map_err(|_| input_error("flags", "not a byte"))?),
        nickname: match input.get("nickname") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_str()
                    .ok_or_else(|| input_error("nickname", "not a string"))?
                    .to_owned(),
            ),
        },
        version,
        expire_after_seconds: optional_u64(input, "expire_after_seconds")?
            .map(|s| u32::try_from(s).map_err(|_| E2eError::InvalidExpiry { seconds: s }))
            .transpose()?,
        message,
    };
    let payload = e2e::encode_payload(&key, &outgoing, &nonce, pad)?;
    Ok(json!({
        "payload": hex::encode(payload),
        "nonce": hex::encode(nonce.as_bytes()),
        "message_id": hex::encode(message_id.0),
        "padding_length": pad,
    }))
}

fn decode_payload(input: &Map<String, Value>) -> Result<Value, Failure> {
    let key = box_key(input, "recipient_secret_key", "sender_public_key")?;
    let mut store = InMemoryNonceStore::new();
    if let Some(seen) = input.get("seen_nonces").and_then(Value::as_array) {
        for nonce in seen {
            let bytes = nonce
                .as_str()
                .and_then(|s| hex::decode(s).ok())
                .ok_or_else(|| input_error("seen_nonces", "not hex"))?;
            store.insert(Nonce::from_slice(&bytes)?);
        }
    }
    let received = e2e::decode_payload(&key, &hex_field(input, "payload")?, &mut store)?;
    Ok(e2e::received_to_json(&received))
}
