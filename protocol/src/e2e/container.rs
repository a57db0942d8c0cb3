//! The end-to-end container: type byte, body, PKCS#7-style padding (E2E-2 to E2E-4), sealed in
//! the message box (E2E-5).

use rand_core::CryptoRng;

use super::{E2eError, Message};
use crate::crypto::{BoxKey, Nonce, TAG_LEN};

/// Padded data (body plus padding, type byte not counted) is at least this long (E2E-3).
pub const MIN_PADDED_LEN: usize = 32;
/// Largest body an encoder produces: 8192 − 2×16 − 4 − 88 − 1 − 255 (E2E-6).
pub const MAX_BODY_LEN: usize = 7812;

/// Draws a padding length for a body of `body_len` bytes (E2E-3): bytes are drawn from `rng`
/// one at a time until one is not zero; that byte `b` gives `max(b, 32 - body_len)`.
pub fn draw_padding_length(rng: &mut impl CryptoRng, body_len: usize) -> u8 {
    let drawn = loop {
        let mut byte = [0u8; 1];
        rng.fill_bytes(&mut byte);
        if byte != [0] {
            break byte[0];
        }
    };
    let minimum = u8::try_from(MIN_PADDED_LEN.saturating_sub(body_len)).unwrap_or(u8::MAX);
    drawn.max(minimum)
}

/// Checks that `pad` is a padding length a sender may use for `body_len` (E2E-3).
///
/// # Errors
/// [`E2eError::InvalidPaddingLength`] for 0 or a length that leaves padded data under 32 bytes.
pub fn check_padding_length(pad: u8, body_len: usize) -> Result<(), E2eError> {
    let padded = body_len.saturating_add(usize::from(pad));
    if pad == 0 || padded < MIN_PADDED_LEN {
        return Err(E2eError::InvalidPaddingLength {
            requested: usize::from(pad),
            body_len,
        });
    }
    Ok(())
}

/// The container `type || body || pad × [pad]` (E2E-2), preceded by `TAG_LEN` zero bytes of room
/// so that the box can be sealed in place without another copy (E2E-5).
///
/// # Errors
/// [`E2eError::BodyTooLarge`], [`E2eError::InvalidPaddingLength`], or the message's own
/// encoding errors.
pub(crate) fn container_with_room(message: &Message, pad: u8) -> Result<Vec<u8>, E2eError> {
    let mut buffer = Vec::with_capacity(TAG_LEN.saturating_add(1).saturating_add(300));
    buffer.extend_from_slice(&[0u8; TAG_LEN]);
    buffer.push(message.type_code());
    message.encode_body_into(&mut buffer)?;
    let body_len = buffer.len().saturating_sub(TAG_LEN).saturating_sub(1);
    if body_len > MAX_BODY_LEN {
        // E2E-6: an encoder never produces more.
        return Err(E2eError::BodyTooLarge {
            len: body_len,
            max: MAX_BODY_LEN,
        });
    }
    check_padding_length(pad, body_len)?;
    buffer.resize(buffer.len().saturating_add(usize::from(pad)), pad);
    Ok(buffer)
}

/// Encodes the container of `message` with `pad` bytes of padding (E2E-2, E2E-3).
///
/// # Errors
/// As [`seal_message`], without the crypto errors.
pub fn encode_container(message: &Message, pad: u8) -> Result<Vec<u8>, E2eError> {
    let mut buffer = container_with_room(message, pad)?;
    buffer.drain(..TAG_LEN);
    Ok(buffer)
}

/// Splits a container into type byte, body and padding length (E2E-4). Only the last byte is
/// read; the padding bytes themselves are not checked, as in every Threema implementation.
///
/// # Errors
/// [`E2eError::ContainerTooShort`] below 2 bytes, [`E2eError::PaddingZero`] when the last byte
/// is 0, [`E2eError::PaddingTooLong`] when it exceeds the bytes after the type byte.
pub fn split_container(plaintext: &[u8]) -> Result<(u8, &[u8], u8), E2eError> {
    let [type_code, rest @ ..] = plaintext else {
        return Err(E2eError::ContainerTooShort { len: 0 });
    };
    let Some(&pad) = rest.last() else {
        // E2E-4: a container of only the type byte has no padding at all.
        return Err(E2eError::ContainerTooShort { len: 1 });
    };
    if pad == 0 {
        return Err(E2eError::PaddingZero);
    }
    let body_len = rest
        .len()
        .checked_sub(usize::from(pad))
        .ok_or(E2eError::PaddingTooLong {
            pad,
            available: rest.len(),
        })?;
    let body = rest.get(..body_len).unwrap_or_default();
    Ok((*type_code, body, pad))
}

/// A message taken out of its box, with what its sender chose for padding.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedMessage {
    /// The decoded message.
    pub message: Message,
    /// The padding length the sender used (E2E-3).
    pub padding_length: u8,
}

/// Decodes a container: the padding is removed (E2E-4), then the body decoded by type (E2E-7).
///
/// # Errors
/// Padding errors of [`split_container`] and the body errors of [`Message::decode`].
pub fn decode_container(plaintext: &[u8]) -> Result<OpenedMessage, E2eError> {
    let (type_code, body, padding_length) = split_container(plaintext)?;
    Ok(OpenedMessage {
        message: Message::decode(type_code, body)?,
        padding_length,
    })
}

/// Seals `message` into the message box under the cached box key (E2E-5): the container is
/// built once, with room for the tag in front, and encrypted in place.
///
/// # Errors
/// [`E2eError::BodyTooLarge`], [`E2eError::InvalidPaddingLength`] or an encoding error.
pub fn seal_message(
    key: &BoxKey,
    nonce: &Nonce,
    message: &Message,
    pad: u8,
) -> Result<Vec<u8>, E2eError> {
    let mut buffer = container_with_room(message, pad)?;
    key.seal_in_place(nonce, &mut buffer)?;
    Ok(buffer)
}

/// Seals with a fresh nonce and padding length from `rng`, drawn in that order (E2E-3, E2E-5).
///
/// # Errors
/// As [`seal_message`].
pub fn seal_message_random(
    key: &BoxKey,
    message: &Message,
    rng: &mut impl CryptoRng,
) -> Result<(Nonce, Vec<u8>), E2eError> {
    let nonce = Nonce::random(rng);
    let body_len = message.body_len()?;
    let pad = draw_padding_length(rng, body_len);
    Ok((nonce, seal_message(key, &nonce, message, pad)?))
}

/// Opens the message box and decodes the container (E2E-4, E2E-5).
///
/// # Errors
/// `truncated_box` or `auth_failed` from the box, then the container and body errors.
pub fn open_message(key: &BoxKey, nonce: &Nonce, sealed: &[u8]) -> Result<OpenedMessage, E2eError> {
    let mut buffer = sealed.to_vec();
    let plaintext = key.open_in_place(nonce, &mut buffer)?;
    decode_container(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_policy_rejects_each_malformed_case() {
        assert_eq!(
            split_container(&[1]),
            Err(E2eError::ContainerTooShort { len: 1 })
        );
        assert_eq!(split_container(&[1, b'a', 0]), Err(E2eError::PaddingZero));
        assert_eq!(
            split_container(&[1, 3, 3]),
            Err(E2eError::PaddingTooLong {
                pad: 3,
                available: 2
            })
        );
        // Only the last byte counts: differing pad bytes are accepted (E2E-4).
        assert_eq!(split_container(&[1, 9, 7, 2]).unwrap(), (1, &[9][..], 2));
        assert_eq!(split_container(&[0x19, 1]).unwrap(), (0x19, &[][..], 1));
    }

    #[test]
    fn drawn_padding_reaches_the_minimum() {
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(1);
        for body_len in [0, 5, 31, 32, 100] {
            let pad = draw_padding_length(&mut rng, body_len);
            assert!(pad >= 1 && body_len + usize::from(pad) >= MIN_PADDED_LEN);
            check_padding_length(pad, body_len).unwrap();
        }
        assert!(check_padding_length(0, 40).is_err());
        assert!(check_padding_length(10, 5).is_err());
    }
}
