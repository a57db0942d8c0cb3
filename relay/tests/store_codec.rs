//! Property tests of the store's record codec (spec/05-relay-storage.md, STORE-3, STORE-4):
//! arbitrary bytes never panic, encoding round-trips, and damage is never misread.

mod store_support;

use proptest::prelude::*;
use saltrelay_protocol::time::Timestamp;
use saltrelay_relay::store::BufferedMessage;
use saltrelay_relay::store::record::{
    HEADER_LEN, Record, RecordError, RecordId, dead_record, decode, encode_commit, encode_message,
};
use store_support::identity;

fn arb_message() -> impl Strategy<Value = BufferedMessage> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<[u8; 8]>(),
        any::<u8>(),
        any::<u64>(),
        proptest::collection::vec(any::<u8>(), 0..2048),
    )
        .prop_map(
            |(r, s, message_id, flags, deadline, payload)| BufferedMessage {
                recipient: identity('R', r),
                sender: identity('S', s),
                message_id,
                flags,
                deadline: Timestamp::from_millis(deadline),
                payload,
            },
        )
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_header_never_panic(
        kind in prop::sample::select(vec![b'M', b'C', b'X', 0, 0xff]),
        len in 0u32..4096,
        id in any::<u64>(),
        rest in proptest::collection::vec(any::<u8>(), 0..4200),
    ) {
        let mut bytes = vec![kind, 0, 0, 0];
        bytes.extend_from_slice(&len.to_le_bytes());
        bytes.extend_from_slice(&id.to_le_bytes());
        bytes.extend_from_slice(&rest);
        let _ = decode(&bytes);
    }

    #[test]
    fn message_records_round_trip(message in arb_message(), id in any::<u64>()) {
        let mut bytes = Vec::new();
        encode_message(RecordId(id), &message, &mut bytes).expect("encodes");
        prop_assert_eq!(bytes.len(), HEADER_LEN + 33 + message.payload.len());
        let (record, used) = decode(&bytes).expect("decodes");
        prop_assert_eq!(used, bytes.len());
        match record {
            Record::Message(stored) => {
                prop_assert_eq!(stored.id, RecordId(id));
                prop_assert_eq!(stored.message, message);
            }
            other => prop_assert!(false, "decoded {:?}", other),
        }
    }

    #[test]
    fn a_flipped_bit_is_never_read_as_another_message(
        message in arb_message(),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let mut bytes = Vec::new();
        encode_message(RecordId(9), &message, &mut bytes).expect("encodes");
        let at = position.index(bytes.len());
        bytes[at] ^= 1 << bit;
        match decode(&bytes) {
            Err(_) | Ok((Record::Dead(..), _)) => {}
            // The only flip that still decodes as a message would be a CRC collision.
            Ok((record, _)) => prop_assert!(false, "flip at {} decoded as {:?}", at, record),
        }
    }

    #[test]
    fn every_truncation_is_reported_as_truncated(message in arb_message(), cut in any::<prop::sample::Index>()) {
        let mut bytes = Vec::new();
        encode_message(RecordId(1), &message, &mut bytes).expect("encodes");
        let cut = cut.index(bytes.len());
        prop_assert_eq!(decode(&bytes[..cut]).err(), Some(RecordError::Truncated));
    }
}

#[test]
fn commit_and_dead_records_decode() {
    let mut bytes = Vec::new();
    encode_commit(RecordId(77), &mut bytes);
    assert_eq!(
        decode(&bytes),
        Ok((Record::Commit(RecordId(77)), HEADER_LEN))
    );
    let dead = dead_record(RecordId(5), 40);
    assert_eq!(
        decode(&dead),
        Ok((Record::Dead(RecordId(5), 40), HEADER_LEN + 40))
    );
    assert!(dead[HEADER_LEN..].iter().all(|&b| b == 0));
}

#[test]
fn oversized_payloads_are_refused() {
    let mut message = store_support::message(1, 1);
    message.payload = vec![0; saltrelay_relay::store::MAX_PAYLOAD_LEN + 1];
    let mut bytes = Vec::new();
    assert_eq!(
        encode_message(RecordId(1), &message, &mut bytes),
        Err(RecordError::BadLength)
    );
    assert!(bytes.is_empty());
}

#[test]
fn invalid_identities_in_an_intact_record_are_rejected() {
    let mut bytes = Vec::new();
    encode_message(RecordId(1), &store_support::message(3, 1), &mut bytes).expect("encodes");
    bytes[HEADER_LEN] = b'a'; // lowercase: not an identity
    let crc = saltrelay_relay::store::record::checksum(&bytes[..16], &bytes[HEADER_LEN..]);
    bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(decode(&bytes), Err(RecordError::BadIdentity));
}
