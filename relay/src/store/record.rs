//! The stored record and its byte layout (spec/05-relay-storage.md, STORE-1 to STORE-5).
//!
//! Every record is a 20-byte header and a body. [`decode`] takes any bytes and returns a
//! record or a [`RecordError`]; it never panics and never returns a record whose checksum
//! does not match.

use core::fmt;

use saltrelay_protocol::identity::{IDENTITY_LEN, Identity};
use saltrelay_protocol::time::Timestamp;

/// Length of the relay's message ID (STORE-1).
pub const MESSAGE_ID_LEN: usize = 8;
/// Length of a record header (STORE-3).
pub const HEADER_LEN: usize = 20;
/// Header bytes the checksum covers: all but the checksum field itself (STORE-3).
pub(crate) const CHECKED_HEADER_LEN: usize = 16;
/// Length of a message body before its payload (STORE-4).
pub const MESSAGE_FIXED_LEN: usize = 2 * IDENTITY_LEN + MESSAGE_ID_LEN + 8 + 1;
/// Longest payload the store accepts, in bytes (STORE-4).
pub const MAX_PAYLOAD_LEN: usize = 1 << 20;
/// Longest body a header may announce (STORE-3).
pub const MAX_BODY_LEN: usize = MESSAGE_FIXED_LEN + MAX_PAYLOAD_LEN;

/// The store's name for one buffered message, assigned in append order (STORE-5). A
/// recipient's queue is its messages in increasing `RecordId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub u64);

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Everything the relay keeps about a buffered message, and nothing more (STORE-1).
#[derive(Clone, PartialEq, Eq)]
pub struct BufferedMessage {
    /// The identity the message is for.
    pub recipient: Identity,
    /// The identity that sent it.
    pub sender: Identity,
    /// The sender's message ID.
    pub message_id: [u8; MESSAGE_ID_LEN],
    /// The message header flags the relay honours.
    pub flags: u8,
    /// When the relay drops the message undelivered (TTL or short-lived flag).
    pub deadline: Timestamp,
    /// The end-to-end encrypted bytes, opaque to the relay.
    pub payload: Vec<u8>,
}

impl fmt::Debug for BufferedMessage {
    // The payload is ciphertext but still the user's: show its length only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferedMessage")
            .field("recipient", &self.recipient)
            .field("sender", &self.sender)
            .field("flags", &self.flags)
            .field("deadline", &self.deadline)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// A buffered message as the store returns it: its record ID and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The record ID to delete it by.
    pub id: RecordId,
    /// The message.
    pub message: BufferedMessage,
}

/// What a record holds (STORE-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A live message (`'M'`).
    Message,
    /// The end of a commit (`'C'`): every record before it in the segment is durable.
    Commit,
    /// A deleted message, its body overwritten with zeros (`'X'`).
    Dead,
}

impl Kind {
    /// The kind byte.
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::Message => b'M',
            Self::Commit => b'C',
            Self::Dead => b'X',
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            b'M' => Some(Self::Message),
            b'C' => Some(Self::Commit),
            b'X' => Some(Self::Dead),
            _ => None,
        }
    }
}

/// A parsed record header (STORE-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// What the record holds.
    pub kind: Kind,
    /// Length of the body that follows the header.
    pub body_len: u32,
    /// The record ID (for a commit: the highest ID assigned so far).
    pub id: RecordId,
    /// CRC-32C of the header's first 16 bytes and the body (zero for a dead record).
    pub crc: u32,
}

/// Why bytes are not a valid record. Recovery treats each as the end of the written data
/// or as damage (STORE-8); nothing that fails here is ever returned as a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Fewer bytes than the header or the body it announces (STORE-3).
    #[error("record truncated")]
    Truncated,
    /// The kind byte is not `M`, `C` or `X`, or a reserved byte is not zero (STORE-3).
    #[error("invalid record header")]
    BadHeader,
    /// The body length is impossible for the kind (STORE-3, STORE-4).
    #[error("invalid record length")]
    BadLength,
    /// The CRC-32C does not match: a torn or damaged record (STORE-3).
    #[error("record checksum mismatch")]
    Checksum,
    /// A recipient or sender is not a valid identity (STORE-4).
    #[error("invalid identity in record")]
    BadIdentity,
}

impl RecordError {
    /// The stable error code (CONV-7).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Truncated => "record_truncated",
            Self::BadHeader => "record_bad_header",
            Self::BadLength => "record_bad_length",
            Self::Checksum => "record_checksum",
            Self::BadIdentity => "record_bad_identity",
        }
    }
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A live message.
    Message(StoredMessage),
    /// A commit marker carrying the highest record ID assigned so far.
    Commit(RecordId),
    /// A deleted message's remains: its ID and body length (STORE-6).
    Dead(RecordId, u32),
}

/// Parses a header, checking the kind, the reserved bytes and the body length.
///
/// # Errors
/// [`RecordError::Truncated`] for fewer than [`HEADER_LEN`] bytes, otherwise the rule broken.
pub fn parse_header(bytes: &[u8]) -> Result<Header, RecordError> {
    let header: &[u8; HEADER_LEN] = bytes
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(RecordError::Truncated)?;
    let [
        kind,
        r1,
        r2,
        r3,
        l0,
        l1,
        l2,
        l3,
        i0,
        i1,
        i2,
        i3,
        i4,
        i5,
        i6,
        i7,
        c0,
        c1,
        c2,
        c3,
    ] = *header;
    let kind = Kind::from_byte(kind).ok_or(RecordError::BadHeader)?;
    if [r1, r2, r3] != [0; 3] {
        return Err(RecordError::BadHeader);
    }
    let body_len = u32::from_le_bytes([l0, l1, l2, l3]);
    let len = usize::try_from(body_len).map_err(|_| RecordError::BadLength)?;
    // STORE-3: a commit has an empty body, a message at least its fixed fields.
    let len_ok = match kind {
        Kind::Commit => len == 0,
        Kind::Message | Kind::Dead => (MESSAGE_FIXED_LEN..=MAX_BODY_LEN).contains(&len),
    };
    if !len_ok {
        return Err(RecordError::BadLength);
    }
    Ok(Header {
        kind,
        body_len,
        id: RecordId(u64::from_le_bytes([i0, i1, i2, i3, i4, i5, i6, i7])),
        crc: u32::from_le_bytes([c0, c1, c2, c3]),
    })
}

/// The checksum a live record or commit must carry: CRC-32C over header bytes 0..16 and the
/// body (STORE-3).
#[must_use]
pub fn checksum(header_start: &[u8], body: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(header_start), body)
}

/// Total length of a record whose header announced `body_len`.
#[must_use]
pub fn record_len(body_len: u32) -> u64 {
    // A u32 plus 20 cannot overflow a u64.
    u64::from(body_len).saturating_add(HEADER_LEN as u64)
}

/// Decodes one record from the start of `bytes`, returning it and its length.
///
/// # Errors
/// Any [`RecordError`]; never panics, whatever the bytes.
pub fn decode(bytes: &[u8]) -> Result<(Record, usize), RecordError> {
    let header = parse_header(bytes)?;
    let len = usize::try_from(header.body_len)
        .ok()
        .and_then(|body_len| body_len.checked_add(HEADER_LEN))
        .ok_or(RecordError::BadLength)?;
    let body = bytes.get(HEADER_LEN..len).ok_or(RecordError::Truncated)?;
    let checked_header = bytes
        .get(..CHECKED_HEADER_LEN)
        .ok_or(RecordError::Truncated)?;
    let record = match header.kind {
        Kind::Dead => Record::Dead(header.id, header.body_len),
        Kind::Commit | Kind::Message => {
            if checksum(checked_header, body) != header.crc {
                return Err(RecordError::Checksum);
            }
            if header.kind == Kind::Commit {
                Record::Commit(header.id)
            } else {
                Record::Message(StoredMessage {
                    id: header.id,
                    message: decode_message_body(body)?,
                })
            }
        }
    };
    Ok((record, len))
}

/// Decodes the body of a message record whose checksum has been checked (STORE-4).
///
/// # Errors
/// [`RecordError::BadLength`] or [`RecordError::BadIdentity`].
pub fn decode_message_body(body: &[u8]) -> Result<BufferedMessage, RecordError> {
    let (fixed, payload) = body
        .split_first_chunk::<MESSAGE_FIXED_LEN>()
        .ok_or(RecordError::BadLength)?;
    let (recipient, rest) = fixed.split_at(IDENTITY_LEN);
    let (sender, rest) = rest.split_at(IDENTITY_LEN);
    let (message_id, rest) = rest.split_at(MESSAGE_ID_LEN);
    let (deadline, flags) = rest.split_at(8);
    Ok(BufferedMessage {
        recipient: Identity::from_bytes(recipient).map_err(|_| RecordError::BadIdentity)?,
        sender: Identity::from_bytes(sender).map_err(|_| RecordError::BadIdentity)?,
        message_id: message_id.try_into().map_err(|_| RecordError::BadLength)?,
        deadline: Timestamp::from_millis(u64::from_le_bytes(
            deadline.try_into().map_err(|_| RecordError::BadLength)?,
        )),
        flags: flags.first().copied().ok_or(RecordError::BadLength)?,
        payload: payload.to_vec(),
    })
}

/// Appends the record of message `id` to `out` (STORE-3, STORE-4).
///
/// # Errors
/// [`RecordError::BadLength`] when the payload is longer than [`MAX_PAYLOAD_LEN`].
pub fn encode_message(
    id: RecordId,
    message: &BufferedMessage,
    out: &mut Vec<u8>,
) -> Result<(), RecordError> {
    if message.payload.len() > MAX_PAYLOAD_LEN {
        return Err(RecordError::BadLength);
    }
    let body_len = MESSAGE_FIXED_LEN
        .checked_add(message.payload.len())
        .and_then(|len| u32::try_from(len).ok())
        .ok_or(RecordError::BadLength)?;
    let start = out.len();
    push_header(out, Kind::Message, body_len, id);
    out.extend_from_slice(message.recipient.as_bytes());
    out.extend_from_slice(message.sender.as_bytes());
    out.extend_from_slice(&message.message_id);
    out.extend_from_slice(&message.deadline.as_millis().to_le_bytes());
    out.push(message.flags);
    out.extend_from_slice(&message.payload);
    seal(out, start);
    Ok(())
}

/// Appends a commit record carrying `last_id`, the highest ID assigned so far (STORE-3).
pub fn encode_commit(last_id: RecordId, out: &mut Vec<u8>) {
    let start = out.len();
    push_header(out, Kind::Commit, 0, last_id);
    seal(out, start);
}

/// The bytes that replace a deleted message record: kind `X`, the same length and ID, a zero
/// checksum and an all-zero body (STORE-6).
#[must_use]
pub fn dead_record(id: RecordId, body_len: u32) -> Vec<u8> {
    // A u32 plus 20 fits a usize on every platform the relay builds for (64-bit).
    let len = HEADER_LEN.saturating_add(body_len as usize);
    let mut out = Vec::with_capacity(len);
    push_header(&mut out, Kind::Dead, body_len, id);
    out.resize(len, 0);
    out
}

fn push_header(out: &mut Vec<u8>, kind: Kind, body_len: u32, id: RecordId) {
    out.extend_from_slice(&[kind.byte(), 0, 0, 0]);
    out.extend_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(&id.0.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
}

/// Fills in the checksum of the record that starts at `start` and ends at the end of `out`.
fn seal(out: &mut [u8], start: usize) {
    let (header, body) = out
        .get_mut(start..)
        .and_then(<[u8]>::split_first_chunk_mut::<HEADER_LEN>)
        .expect("push_header wrote a whole header at start");
    let (checked, crc_field) = header.split_at_mut(CHECKED_HEADER_LEN);
    let crc = checksum(checked, body);
    crc_field.copy_from_slice(&crc.to_le_bytes());
}
