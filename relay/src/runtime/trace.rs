//! `--trace`: one line on stderr per handshake message and per frame, decoded, for
//! implementers debugging their own side (spec/05-relay.md, RELAY-24).
//!
//! The machines hide their counters, so the tracer keeps its own: the n-th frame a side sends
//! after the handshake uses counter n + 2 (TR-2, TR-9, TR-14). To name every incoming frame,
//! a traced connection feeds its machine one complete frame at a time (a splitter); the
//! outputs of that one call then belong to that frame. Tracing costs a copy per frame and is
//! off by default.

use std::collections::VecDeque;
use std::fmt::Write as _;

use saltrelay_protocol::transport::Payload;
use saltrelay_protocol::transport::frame::{MAX_FRAME_BOX_LEN, MIN_FRAME_BOX_LEN};

/// The first counter of frames in either direction after a login with extensions (TR-9, TR-14).
const FIRST_FRAME_COUNTER: u64 = 3;

/// Prints decoded frames of one connection, or nothing when off.
#[derive(Debug)]
pub struct Tracer {
    label: Option<String>,
    sent: u64,
    received: u64,
}

impl Tracer {
    /// A tracer that prints nothing.
    #[must_use]
    pub fn off() -> Self {
        Self {
            label: None,
            sent: FIRST_FRAME_COUNTER,
            received: FIRST_FRAME_COUNTER,
        }
    }

    /// A tracer printing lines that start with `[trace LABEL]`.
    #[must_use]
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: Some(label.into()),
            ..Self::off()
        }
    }

    /// Whether lines are printed.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.label.is_some()
    }

    /// A free-form line (handshake steps, decisions).
    pub fn note(&self, text: &str) {
        if let Some(label) = &self.label {
            eprintln!("[trace {label}] {text}");
        }
    }

    /// A frame this side wrote: `bytes` is the whole frame, `payload` what it carries when
    /// known, else `what` names it.
    pub fn sent(&mut self, bytes: &[u8], payload: Option<&Payload>, what: &str) {
        if self.label.is_some() {
            let counter = self.sent;
            self.sent = self.sent.saturating_add(1);
            let text = payload.map_or_else(|| what.to_owned(), describe);
            self.note(&format!(
                "-> frame #{counter} len {}: {text}",
                bytes.len().saturating_sub(2)
            ));
        }
    }

    /// A frame this side read, with what the machine made of it.
    pub fn received(&mut self, frame: &[u8], what: &str) {
        if self.label.is_some() {
            let counter = self.received;
            self.received = self.received.saturating_add(1);
            self.note(&format!(
                "<- frame #{counter} len {}: {what}",
                frame.len().saturating_sub(2)
            ));
        }
    }
}

/// One line about a payload: name, type code, data length and the fields that matter.
#[must_use]
pub fn describe(payload: &Payload) -> String {
    let data_len = payload.encode().len().saturating_sub(4);
    let mut text = format!(
        "{} (0x{:02x}) data {data_len} B",
        payload.name(),
        payload.type_code()
    );
    let _ = match payload {
        Payload::OutgoingMessageAck(ack) | Payload::IncomingMessageAck(ack) => write!(
            text,
            ", identity {} message id {:016x}",
            ack.identity,
            ack.message_id.swap_bytes()
        ),
        Payload::CloseError {
            can_reconnect,
            message,
        } => write!(text, ", can-reconnect {can_reconnect}, {message:?}"),
        Payload::Alert(message) => write!(text, ", {message:?}"),
        Payload::KeyLookupRequest {
            request_id,
            identity,
        } => write!(text, ", request {request_id}, identity {identity}"),
        Payload::KeyLookupResponse {
            request_id,
            public_key,
        } => write!(
            text,
            ", request {request_id}, {}",
            public_key.map_or("not bound".into(), |k| k.to_hex())
        ),
        Payload::BlobUploadRequest {
            request_id,
            length,
            persist,
        } => write!(
            text,
            ", request {request_id}, length {length}, persist {persist}"
        ),
        Payload::BlobUploadChunk(chunk) | Payload::BlobDownloadChunk(chunk) => write!(
            text,
            ", request {}, offset {}, {} B",
            chunk.request_id,
            chunk.offset,
            chunk.data.len()
        ),
        Payload::BlobUploadResponse { request_id, result } => match result {
            Ok(id) => write!(text, ", request {request_id}, blob {}", hex(id)),
            Err(status) => write!(text, ", request {request_id}, {}", status.name()),
        },
        Payload::BlobDownloadRequest {
            request_id,
            blob_id,
        } => write!(text, ", request {request_id}, blob {}", hex(blob_id)),
        Payload::BlobDownloadResponse { request_id, result } => match result {
            Ok(len) => write!(text, ", request {request_id}, length {len}"),
            Err(status) => write!(text, ", request {request_id}, {}", status.name()),
        },
        Payload::BlobDone { blob_id } => write!(text, ", blob {}", hex(blob_id)),
        _ => Ok(()),
    };
    text
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Cuts a byte stream into the units a traced machine is fed one at a time: first the fixed
/// handshake messages given at creation, then frames (`length u16-le || box`, TR-16). A
/// length field outside 20 to 8192 hands over everything buffered, so the machine reports
/// the error itself.
#[derive(Debug, Default)]
pub(crate) struct Splitter {
    buffer: Vec<u8>,
    fixed: VecDeque<usize>,
}

impl Splitter {
    /// A splitter that first yields messages of these lengths, then frames.
    pub(crate) fn new(fixed: &[usize]) -> Self {
        Self {
            buffer: Vec::new(),
            fixed: fixed.iter().copied().collect(),
        }
    }

    pub(crate) fn push(&mut self, input: &[u8]) {
        self.buffer.extend_from_slice(input);
    }

    /// Whether the next unit is a fixed handshake message rather than a frame.
    pub(crate) fn in_handshake(&self) -> bool {
        !self.fixed.is_empty()
    }

    /// The next complete unit, if one is buffered.
    pub(crate) fn next_unit(&mut self) -> Option<Vec<u8>> {
        let len = if let Some(&len) = self.fixed.front() {
            len
        } else {
            let header: [u8; 2] = self.buffer.get(..2)?.try_into().ok()?;
            let box_len = usize::from(u16::from_le_bytes(header));
            if !(MIN_FRAME_BOX_LEN..=MAX_FRAME_BOX_LEN).contains(&box_len) {
                return Some(std::mem::take(&mut self.buffer));
            }
            box_len + 2
        };
        if self.buffer.len() < len {
            return None;
        }
        self.fixed.pop_front();
        let rest = self.buffer.split_off(len);
        Some(std::mem::replace(&mut self.buffer, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_handshake_messages_then_frames() {
        let mut splitter = Splitter::new(&[3]);
        let mut frame = vec![20, 0];
        frame.extend_from_slice(&[7; 20]);
        splitter.push(&[1, 2, 3, 20]);
        assert_eq!(splitter.next_unit(), Some(vec![1, 2, 3]));
        assert_eq!(splitter.next_unit(), None);
        splitter.push(&frame[1..]);
        splitter.push(&[9]);
        assert_eq!(splitter.next_unit(), Some(frame));
        assert_eq!(splitter.next_unit(), None);
        splitter.push(&[0xff, 0xff]);
        assert_eq!(splitter.next_unit(), Some(vec![9, 0xff, 0xff]));
    }

    #[test]
    fn describes_acks_with_identity_and_id() {
        let ack = saltrelay_protocol::transport::payload::MessageAck {
            identity: "ECHOECHO".parse().expect("valid identity"),
            message_id: 1,
        };
        let text = describe(&Payload::OutgoingMessageAck(ack));
        assert!(
            text.starts_with("outgoing_message_ack (0x81) data 16 B"),
            "{text}"
        );
        assert!(text.contains("ECHOECHO"), "{text}");
        assert!(text.contains("0100000000000000"), "{text}");
    }
}
