//! Helpers shared by the store tests: deterministic messages and identities.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::store::BufferedMessage;
use saltrelay_relay::store::record::{Record, decode};

/// The identity `prefix` followed by `n` as seven digits.
pub fn identity(prefix: char, n: u32) -> Identity {
    Identity::from_bytes(format!("{prefix}{:07}", n % 10_000_000).as_bytes()).expect("valid")
}

/// A payload that depends only on `tag`, so a reader can tell a right one from a wrong one.
pub fn payload(tag: u64, len: usize) -> Vec<u8> {
    let mut state = tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// Message number `tag` for one of `recipients` recipients, with a 64..1024-byte payload.
pub fn message(tag: u64, recipients: u32) -> BufferedMessage {
    let recipient = u32::try_from(tag % u64::from(recipients)).expect("small");
    BufferedMessage {
        recipient: identity('R', recipient),
        sender: identity('S', u32::try_from(tag % 7).expect("small")),
        message_id: tag.to_le_bytes(),
        flags: u8::try_from(tag % 4).expect("small"),
        deadline: Timestamp::from_secs(1_000 + tag),
        payload: payload(tag, 64 + usize::try_from(tag % 960).expect("small")),
    }
}

/// The tag a message was made from, checking that everything else in it matches the tag.
pub fn tag_of(message: &BufferedMessage) -> u64 {
    let tag = u64::from_le_bytes(message.message_id);
    let mut expected = self::message(tag, 1);
    expected.recipient = message.recipient;
    assert_eq!(message, &expected, "contents of message {tag}");
    tag
}

/// The files in a store directory, sorted by name (segments in sequence order).
pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

/// Offset and length of every record in a segment file, in order, up to the first that does
/// not decode.
pub fn records(bytes: &[u8]) -> Vec<(usize, usize, Record)> {
    let mut out = Vec::new();
    let mut at = 16;
    while let Some(Ok((record, len))) = bytes.get(at..).map(decode) {
        out.push((at, len, record));
        at += len;
    }
    out
}
