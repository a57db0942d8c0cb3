//! The session file: every peer's FS-38 sessions of one identity in one blob (FS-41), sans-IO.

use std::collections::BTreeMap;

use prost::Message as _;
use zeroize::{Zeroize, Zeroizing};

use super::SessionError;
use super::envelope::pb;
use super::store::{InMemorySessionStore, STORE_FORMAT};
use crate::identity::Identity;

/// The `format` value of [`pb::SessionFile`] (FS-41).
pub const SESSION_FILE_FORMAT: u32 = 1;

/// The head of a [`pb::PeerSessions`]: decoding it skips the sessions (field 3) unread, so a
/// file of many peers is indexed without copying their secrets (FS-41).
#[derive(Clone, PartialEq, prost::Message)]
struct PeerHead {
    #[prost(uint32, tag = "1")]
    format: u32,
    #[prost(string, tag = "2")]
    peer_identity: String,
}

/// The sessions of every peer of one identity (FS-41): an [`InMemorySessionStore`] plus the
/// messages not yet shown, encoded to and decoded from the bytes of one file. Entries stay
/// encoded until a caller loads one ([`super::PeerSessions::restore`]); the bytes are wiped on
/// drop.
#[derive(Default)]
pub struct SessionFile {
    /// Every peer's FS-38 bytes: load, store and remove through its
    /// [`SessionStore`](super::SessionStore) implementation.
    pub sessions: InMemorySessionStore,
    /// Messages opened but not yet shown (FS-42), in the order they were opened.
    pub undelivered: Vec<pb::Undelivered>,
}

impl core::fmt::Debug for SessionFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The entries hold chain keys: the store's Debug shows only the peers.
        f.debug_struct("SessionFile")
            .field("sessions", &self.sessions)
            .field("undelivered", &self.undelivered.len())
            .finish()
    }
}

impl SessionFile {
    /// An empty file.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a file's bytes, checking each entry's format and peer (FS-41).
    ///
    /// # Errors
    /// [`SessionError::InvalidStoredSession`] when the bytes are not a session file, an entry
    /// has another format or no valid peer identity, or a peer appears twice.
    pub fn decode(bytes: &[u8]) -> Result<Self, SessionError> {
        let invalid = |what| SessionError::InvalidStoredSession { what };
        let mut file = pb::SessionFile::decode(bytes).map_err(|_| invalid("not protobuf"))?;
        let result = (|| {
            if file.format != SESSION_FILE_FORMAT {
                return Err(invalid("unknown session file format"));
            }
            let mut peers = BTreeMap::new();
            for entry in &file.peers {
                let head = PeerHead::decode(entry.as_slice())
                    .map_err(|_| invalid("peer entry not protobuf"))?;
                if head.format != STORE_FORMAT {
                    return Err(invalid("unknown format"));
                }
                let peer: Identity = head
                    .peer_identity
                    .parse()
                    .map_err(|_| invalid("peer identity invalid"))?;
                if peers.insert(peer, Zeroizing::new(entry.clone())).is_some() {
                    return Err(invalid("peer appears twice"));
                }
            }
            Ok(Self {
                sessions: InMemorySessionStore { peers },
                undelivered: file.undelivered.clone(),
            })
        })();
        file.peers.iter_mut().for_each(Zeroize::zeroize);
        result
    }

    /// The file's bytes, peers in identity order (FS-41). The bytes hold live secrets.
    #[must_use]
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut file = pb::SessionFile {
            format: SESSION_FILE_FORMAT,
            peers: self.sessions.peers.values().map(|b| b.to_vec()).collect(),
            undelivered: self.undelivered.clone(),
        };
        let bytes = Zeroizing::new(file.encode_to_vec());
        file.peers.iter_mut().for_each(Zeroize::zeroize);
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SecretKey;
    use crate::session::{PeerSessions, SessionStore as _};

    fn peer(byte: u8) -> Identity {
        format!("PEER000{}", char::from(b'A' + byte))
            .parse()
            .unwrap()
    }

    #[test]
    fn round_trips_and_restores_each_peer() {
        let own: Identity = "OWNER000".parse().unwrap();
        let own_secret = SecretKey::from_bytes([7; 32]);
        let peer_public = SecretKey::from_bytes([9; 32]).public_key();
        let mut file = SessionFile::new();
        for i in 0..3 {
            let machine =
                PeerSessions::new(own, SecretKey::from_bytes([7; 32]), peer(i), peer_public)
                    .unwrap();
            file.sessions.store(&peer(i), &machine.export()).unwrap();
        }
        let decoded = SessionFile::decode(&file.encode()).unwrap();
        assert_eq!(decoded.sessions.len(), 3);
        let bytes = decoded.sessions.load(&peer(1)).unwrap().unwrap();
        let machine = PeerSessions::restore(own, own_secret, peer(1), peer_public, &bytes);
        assert_eq!(machine.unwrap().peer(), peer(1));
        assert!(
            decoded
                .sessions
                .load(&"NOBODY00".parse().unwrap())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn restore_defers_the_static_dh_to_first_use() {
        // No X25519 on restore: a small-order peer key (PRIM-5) is found at first use.
        let own: Identity = "OWNER000".parse().unwrap();
        let good = SecretKey::from_bytes([9; 32]).public_key();
        let bytes = PeerSessions::new(own, SecretKey::from_bytes([7; 32]), peer(0), good)
            .unwrap()
            .export();
        let small_order = crate::crypto::PublicKey::from_bytes([0; 32]);
        let mut machine = PeerSessions::restore(
            own,
            SecretKey::from_bytes([7; 32]),
            peer(0),
            small_order,
            &bytes,
        )
        .expect("restore does no DH");
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(1);
        let error = machine
            .send(
                crate::time::Timestamp::from_millis(0),
                &mut rng,
                crate::e2e::MessageId::from_u64(1),
                &crate::e2e::Message::Text("hi".into()),
            )
            .unwrap_err();
        assert_eq!(error.code(), "invalid_peer_key");
    }

    #[test]
    fn refuses_damaged_files() {
        let code = |bytes: &[u8]| SessionFile::decode(bytes).unwrap_err().code();
        assert_eq!(code(&[0xff]), "invalid_stored_session");
        let wrong_format = pb::SessionFile {
            format: 2,
            ..pb::SessionFile::default()
        };
        assert_eq!(
            code(&wrong_format.encode_to_vec()),
            "invalid_stored_session"
        );
        let entry = pb::PeerSessions {
            format: STORE_FORMAT,
            peer_identity: "PEER000A".into(),
            sessions: vec![],
        }
        .encode_to_vec();
        let twice = pb::SessionFile {
            format: SESSION_FILE_FORMAT,
            peers: vec![entry.clone(), entry],
            undelivered: vec![],
        };
        assert_eq!(code(&twice.encode_to_vec()), "invalid_stored_session");
    }
}
