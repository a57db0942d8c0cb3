//! Property tests: round trips for any input, and no panic on any bytes (PRIM-7, ID-3, ID-8).

use proptest::prelude::*;
use saltrelay_protocol::crypto::{BoxKey, CryptoError, Nonce, SecretBoxKey, SecretKey};
use saltrelay_protocol::identity::{Identity, IdentityError, IdentityKeys};

fn identity_rule(bytes: &[u8]) -> bool {
    bytes.len() == 8
        && bytes
            .iter()
            .enumerate()
            .all(|(i, &b)| b.is_ascii_digit() || b.is_ascii_uppercase() || (i == 0 && b == b'*'))
}

proptest! {
    #[test]
    fn secretbox_round_trips(key in any::<[u8; 32]>(), nonce in any::<[u8; 24]>(),
                             msg in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let key = SecretBoxKey::from_bytes(key);
        let nonce = Nonce::from_bytes(nonce);
        let sealed = key.seal(&nonce, &msg);
        prop_assert_eq!(sealed.len(), msg.len() + 16);
        prop_assert_eq!(key.open(&nonce, &sealed).unwrap(), msg.clone());
        let mut buffer = vec![0u8; 16];
        buffer.extend_from_slice(&msg);
        key.seal_in_place(&nonce, &mut buffer).unwrap();
        prop_assert_eq!(&buffer, &sealed);
        prop_assert_eq!(key.open_in_place(&nonce, &mut buffer).unwrap(), &msg[..]);
    }

    #[test]
    fn open_rejects_arbitrary_bytes_without_panicking(
        key in any::<[u8; 32]>(), nonce in any::<[u8; 24]>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let result = SecretBoxKey::from_bytes(key).open(&Nonce::from_bytes(nonce), &bytes);
        let expected = if bytes.len() < 16 {
            CryptoError::TruncatedBox { len: bytes.len() }
        } else {
            CryptoError::AuthFailed
        };
        prop_assert_eq!(result, Err(expected));
    }

    #[test]
    fn box_key_is_symmetric(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
        let (a, b) = (SecretKey::from_bytes(a), SecretKey::from_bytes(b));
        let ab = BoxKey::derive(&a, &b.public_key()).unwrap();
        let ba = BoxKey::derive(&b, &a.public_key()).unwrap();
        prop_assert_eq!(ab.expose_secret(), ba.expose_secret());
    }

    #[test]
    fn identity_parse_print_round_trips(id in "[0-9A-Z*][0-9A-Z]{7}") {
        let parsed: Identity = id.parse().unwrap();
        prop_assert_eq!(parsed.to_string(), id.clone());
        prop_assert_eq!(parsed.is_gateway(), id.starts_with('*'));
    }

    #[test]
    fn identity_parse_accepts_exactly_the_rule(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
        let parsed = Identity::from_bytes(&bytes);
        prop_assert_eq!(parsed.is_ok(), identity_rule(&bytes));
        if let Err(IdentityError::Lowercase { position } | IdentityError::InvalidCharacter { position }) = parsed {
            prop_assert!(position < 8);
        }
    }

    #[test]
    fn key_file_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let _ = IdentityKeys::from_key_file(&bytes);
    }

    #[test]
    fn key_file_round_trips_and_any_bit_flip_is_caught(
        id in "[0-9A-Z*][0-9A-Z]{7}", secret in any::<[u8; 32]>(), bit in 0usize..(65 * 8)) {
        let keys = IdentityKeys::from_parts(id.parse().unwrap(), SecretKey::from_bytes(secret));
        let file = keys.to_key_file();
        let back = IdentityKeys::from_key_file(&file).unwrap();
        prop_assert_eq!(back.identity(), keys.identity());
        prop_assert_eq!(back.public_key(), keys.public_key());
        let mut damaged = file.to_vec();
        damaged[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(IdentityKeys::from_key_file(&damaged).is_err());
    }
}
