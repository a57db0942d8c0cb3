//! Frames after the handshake: `u16-le length || box`, sealed under the session key with
//! cookie-and-counter nonces (TR-2, TR-16, TR-17).

use crate::bytes::Reader;
use crate::crypto::{Nonce, TAG_LEN, symmetric_key};

use super::TransportError;

/// Cookie length in bytes (TR-3).
pub const COOKIE_LEN: usize = 16;
/// Largest box a frame may carry (TR-16).
pub const MAX_FRAME_BOX_LEN: usize = 8192;
/// Length of the payload container header: type and three reserved bytes (TR-18).
pub const CONTAINER_HEADER_LEN: usize = 4;
/// Smallest box a frame may carry: a tag and an empty container (TR-16).
pub const MIN_FRAME_BOX_LEN: usize = TAG_LEN + CONTAINER_HEADER_LEN;
/// Largest payload data one frame carries (TR-16).
pub const MAX_PAYLOAD_DATA_LEN: usize = MAX_FRAME_BOX_LEN - MIN_FRAME_BOX_LEN;
/// Length of the frame's length prefix.
pub const LENGTH_PREFIX_LEN: usize = 2;
/// How many counters before and after the expected one a receiver tries when a box fails, to
/// tell a replayed or skipped frame from a forged one (TR-17).
pub const COUNTER_WINDOW: u64 = 16;

/// A 16-byte connection cookie, CCK or SCK (TR-3). Public, but compared in constant time.
pub type Cookie = [u8; COOKIE_LEN];

symmetric_key!(
    /// The session key `K(TCK, TSK)` that seals the login, the login-ack and every frame (TR-6).
    FrameKey,
    secretbox
);

/// One direction's nonce source: a cookie and a counter that starts at 1 (TR-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterNonce {
    cookie: Cookie,
    next: u64,
}

impl CounterNonce {
    /// A counter for `cookie` whose next value is `next` (TR-2: 1 for a fresh direction).
    #[must_use]
    pub const fn new(cookie: Cookie, next: u64) -> Self {
        Self { cookie, next }
    }

    /// The cookie.
    #[must_use]
    pub const fn cookie(&self) -> &Cookie {
        &self.cookie
    }

    /// The counter value the next nonce will carry.
    #[must_use]
    pub const fn peek(&self) -> u64 {
        self.next
    }

    /// Takes the next nonce and advances (TR-2).
    ///
    /// # Errors
    /// [`TransportError::CounterOverflow`] when the counter has reached 2^64 - 1, which is
    /// never used.
    pub fn take(&mut self) -> Result<Nonce, TransportError> {
        let value = self.next;
        // TR-2: the value 2^64 - 1 is never used.
        self.next = value
            .checked_add(1)
            .ok_or(TransportError::CounterOverflow)?;
        Ok(Nonce::from_cookie_and_counter(&self.cookie, value))
    }
}

/// Seals `container` (type, reserved, data) into a frame: `u16-le length || box` (TR-16).
///
/// # Errors
/// [`TransportError::PayloadTooLarge`] when the box would exceed 8192 bytes;
/// [`TransportError::CounterOverflow`] from the counter.
pub fn seal_frame(
    key: &FrameKey,
    counter: &mut CounterNonce,
    container: &[u8],
) -> Result<Vec<u8>, TransportError> {
    let box_len = container.len().saturating_add(TAG_LEN);
    if !(MIN_FRAME_BOX_LEN..=MAX_FRAME_BOX_LEN).contains(&box_len) {
        return Err(TransportError::PayloadTooLarge {
            len: container.len().saturating_sub(CONTAINER_HEADER_LEN),
        });
    }
    let nonce = counter.take()?;
    let length = u16::try_from(box_len).expect("box length is at most 8192");
    let mut frame = Vec::with_capacity(box_len.saturating_add(LENGTH_PREFIX_LEN));
    frame.extend_from_slice(&length.to_le_bytes());
    frame.extend_from_slice(&[0u8; TAG_LEN]);
    frame.extend_from_slice(container);
    let sealed = frame
        .get_mut(LENGTH_PREFIX_LEN..)
        .expect("the frame starts with its length prefix");
    key.seal_in_place(&nonce, sealed)
        .expect("the frame has TAG_LEN bytes of room after its length prefix");
    Ok(frame)
}

/// Checks a frame's length field (TR-16).
///
/// # Errors
/// [`TransportError::FrameTooLarge`] above 8192, [`TransportError::FrameTooShort`] below 20.
pub fn check_frame_len(len: usize) -> Result<(), TransportError> {
    if len > MAX_FRAME_BOX_LEN {
        Err(TransportError::FrameTooLarge { len })
    } else if len < MIN_FRAME_BOX_LEN {
        Err(TransportError::FrameTooShort { len })
    } else {
        Ok(())
    }
}

/// Opens one frame's box in place under the next counter; returns the container (TR-17).
///
/// When the tag fails, the counters up to 16 before and after the expected one are tried, and
/// the failure is reported as replayed, skipped or forged. Nothing is released then.
///
/// # Errors
/// [`TransportError::CounterOverflow`], [`TransportError::FrameReplayed`],
/// [`TransportError::FrameSkipped`] or [`TransportError::FrameAuthFailed`].
pub fn open_frame<'a>(
    key: &FrameKey,
    counter: &mut CounterNonce,
    sealed: &'a mut [u8],
) -> Result<&'a mut [u8], TransportError> {
    let expected = counter.peek();
    let nonce = counter.take()?;
    // The box stays intact when the tag fails (PRIM-7), so it can be tried again.
    if key.open_in_place(&nonce, sealed).is_err() {
        return Err(classify_failure(key, counter.cookie(), expected, sealed));
    }
    sealed
        .get_mut(TAG_LEN..)
        .ok_or(TransportError::FrameAuthFailed)
}

/// TR-17: a box that fails at counter `n` is tried at `n - 1` down to `n - 16` (not below 1)
/// and at `n + 1` up to `n + 16`.
fn classify_failure(
    key: &FrameKey,
    cookie: &Cookie,
    expected: u64,
    sealed: &[u8],
) -> TransportError {
    let opens_at = |value: u64| {
        let nonce = Nonce::from_cookie_and_counter(cookie, value);
        key.open(&nonce, sealed).is_ok()
    };
    if (1..expected).rev().take(window()).any(opens_at) {
        return TransportError::FrameReplayed;
    }
    if (expected.saturating_add(1)..u64::MAX)
        .take(window())
        .any(opens_at)
    {
        return TransportError::FrameSkipped;
    }
    TransportError::FrameAuthFailed
}

fn window() -> usize {
    usize::try_from(COUNTER_WINDOW).expect("16 fits usize")
}

/// Reassembles frames from a byte stream that arrives split or coalesced arbitrarily; holds
/// at most one incomplete frame beyond the current input (TR-31).
#[derive(Debug, Default)]
pub struct FrameDecoder {
    pending: Vec<u8>,
    /// Bytes of `pending` already handed out; dropped on the next push.
    consumed: usize,
}

impl FrameDecoder {
    /// An empty decoder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends input.
    pub fn push(&mut self, input: &[u8]) {
        self.pending.drain(..self.consumed.min(self.pending.len()));
        self.consumed = 0;
        self.pending.extend_from_slice(input);
    }

    /// Takes the next complete frame's box, checking its length field as soon as both bytes
    /// are there (TR-16).
    ///
    /// # Errors
    /// As [`check_frame_len`].
    pub fn next_box(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        let mut reader = Reader::new(self.pending.get(self.consumed..).unwrap_or_default());
        let Ok(len) = reader.u16_le() else {
            return Ok(None);
        };
        let len = usize::from(len);
        check_frame_len(len)?;
        let Ok(sealed) = reader.take(len) else {
            return Ok(None);
        };
        let sealed = sealed.to_vec();
        self.consumed = self
            .consumed
            .saturating_add(LENGTH_PREFIX_LEN)
            .saturating_add(len);
        Ok(Some(sealed))
    }

    /// Whether part of a frame is buffered (TR-29).
    #[must_use]
    pub fn has_partial(&self) -> bool {
        self.pending.len() > self.consumed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FrameKey {
        FrameKey::from_bytes([7; 32])
    }

    #[test]
    fn sealed_frames_open_in_sequence_and_replays_are_named() {
        let mut send = CounterNonce::new([1; 16], 3);
        let mut recv = CounterNonce::new([1; 16], 3);
        let first = seal_frame(&key(), &mut send, &[0x80, 0, 0, 0, 9]).unwrap();
        assert_eq!(first.len(), 2 + 16 + 5);
        let mut decoder = FrameDecoder::new();
        decoder.push(&first[..1]);
        assert!(decoder.next_box().unwrap().is_none());
        decoder.push(&first[1..]);
        let mut sealed = decoder.next_box().unwrap().unwrap();
        assert!(!decoder.has_partial());
        let container = open_frame(&key(), &mut recv, &mut sealed).unwrap();
        assert_eq!(container, &[0x80, 0, 0, 0, 9]);
        let mut again = first[2..].to_vec();
        assert_eq!(
            open_frame(&key(), &mut recv, &mut again).unwrap_err(),
            TransportError::FrameReplayed
        );
    }

    #[test]
    fn skipped_and_forged_frames_are_told_apart() {
        let mut send = CounterNonce::new([1; 16], 1);
        let _lost = seal_frame(&key(), &mut send, &[0, 0, 0, 0]).unwrap();
        let second = seal_frame(&key(), &mut send, &[0, 0, 0, 0]).unwrap();
        let mut recv = CounterNonce::new([1; 16], 1);
        let mut sealed = second[2..].to_vec();
        assert_eq!(
            open_frame(&key(), &mut recv, &mut sealed).unwrap_err(),
            TransportError::FrameSkipped
        );
        let mut forged = second[2..].to_vec();
        forged[0] ^= 1;
        let mut recv = CounterNonce::new([1; 16], 2);
        assert_eq!(
            open_frame(&key(), &mut recv, &mut forged).unwrap_err(),
            TransportError::FrameAuthFailed
        );
    }

    #[test]
    fn length_limits_and_counter_end() {
        assert!(check_frame_len(8192).is_ok());
        assert_eq!(check_frame_len(8193).unwrap_err().code(), "frame_too_large");
        assert_eq!(check_frame_len(19).unwrap_err().code(), "frame_too_short");
        let mut counter = CounterNonce::new([0; 16], u64::MAX);
        assert_eq!(counter.take().unwrap_err(), TransportError::CounterOverflow);
        let mut send = CounterNonce::new([0; 16], 1);
        let too_big = vec![0u8; MAX_PAYLOAD_DATA_LEN + CONTAINER_HEADER_LEN + 1];
        assert_eq!(
            seal_frame(&key(), &mut send, &too_big).unwrap_err().code(),
            "payload_too_large"
        );
        assert_eq!(send.peek(), 1, "a refused frame uses no counter");
    }
}
