//! Stored session state: the FS-38 format and the session store (FS-37, FS-38).

use std::collections::BTreeMap;

use prost::Message as _;
use zeroize::{Zeroize, Zeroizing};

use super::SessionError;
use super::envelope::{SessionId, VersionRange, pb};
use super::keys::{Chain, ChainKey};
use super::machine::PeerSessions;
use super::state::{Session, State};
use crate::crypto::{PublicKey, SecretKey};
use crate::identity::Identity;
use crate::time::Timestamp;

/// The `format` value of [`pb::PeerSessions`] (FS-38).
pub const STORE_FORMAT: u32 = 1;

/// Where a caller keeps each peer's sessions (FS-37): the FS-38 bytes of
/// [`PeerSessions::export`]. Writes MUST be atomic.
pub trait SessionStore {
    /// The store's own error.
    type Error;
    /// The stored bytes for `peer`, if any.
    ///
    /// # Errors
    /// The store's own.
    fn load(&self, peer: &Identity) -> Result<Option<Zeroizing<Vec<u8>>>, Self::Error>;
    /// Replaces the bytes for `peer`.
    ///
    /// # Errors
    /// The store's own.
    fn store(&mut self, peer: &Identity, bytes: &[u8]) -> Result<(), Self::Error>;
    /// Forgets `peer`.
    ///
    /// # Errors
    /// The store's own.
    fn remove(&mut self, peer: &Identity) -> Result<(), Self::Error>;
}

/// A [`SessionStore`] in memory: the FS-38 bytes per peer, in peer-identity order, wiped on
/// drop. [`super::SessionFile`] holds one and adds only the file's encoding (FS-41).
#[derive(Default)]
pub struct InMemorySessionStore {
    /// Ordered so a session file lists its peers in identity order (FS-41).
    pub(super) peers: BTreeMap<Identity, Zeroizing<Vec<u8>>>,
}

/// Names the peers only: the stored bytes hold chain keys, which never reach a log.
impl core::fmt::Debug for InMemorySessionStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InMemorySessionStore")
            .field("peers", &self.peers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl InMemorySessionStore {
    /// How many peers have sessions stored.
    #[must_use]
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether no peer has sessions stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }
}

impl SessionStore for InMemorySessionStore {
    type Error = core::convert::Infallible;

    fn load(&self, peer: &Identity) -> Result<Option<Zeroizing<Vec<u8>>>, Self::Error> {
        Ok(self.peers.get(peer).map(|b| Zeroizing::new(b.to_vec())))
    }

    fn store(&mut self, peer: &Identity, bytes: &[u8]) -> Result<(), Self::Error> {
        self.peers.insert(*peer, Zeroizing::new(bytes.to_vec()));
        Ok(())
    }

    fn remove(&mut self, peer: &Identity) -> Result<(), Self::Error> {
        self.peers.remove(peer);
        Ok(())
    }
}

fn chain_pb(chain: Option<&Chain>) -> Option<pb::Chain> {
    chain.map(|c| pb::Chain {
        key: c.key().expose_secret().to_vec(),
        counter: c.counter(),
    })
}

fn chain_from(chain: Option<&pb::Chain>) -> Result<Option<Chain>, SessionError> {
    chain
        .map(|c| {
            let key: [u8; 32] =
                c.key
                    .as_slice()
                    .try_into()
                    .map_err(|_| SessionError::InvalidStoredSession {
                        what: "chain key not 32 bytes",
                    })?;
            if c.counter == 0 {
                return Err(SessionError::InvalidStoredSession {
                    what: "chain counter 0",
                });
            }
            Ok(Chain::new(ChainKey::from_bytes(key), c.counter))
        })
        .transpose()
}

fn wipe(stored: &mut pb::StoredSession) {
    stored.local_fssk_secret.zeroize();
    for chain in [
        &mut stored.local_2dh,
        &mut stored.remote_2dh,
        &mut stored.local_4dh,
        &mut stored.remote_4dh,
    ]
    .into_iter()
    .flatten()
    {
        chain.key.zeroize();
    }
}

fn state_from(value: u32) -> Result<State, SessionError> {
    match value {
        1 => Ok(State::L20),
        2 => Ok(State::L44),
        4 => Ok(State::R24),
        5 => Ok(State::R44),
        _ => Err(SessionError::InvalidStoredSession {
            what: "unknown state",
        }),
    }
}

fn session_from(stored: &pb::StoredSession) -> Result<Session, SessionError> {
    let id = SessionId(stored.session_id.as_slice().try_into().map_err(|_| {
        SessionError::InvalidStoredSession {
            what: "session id not 16 bytes",
        }
    })?);
    let local_fssk = if stored.local_fssk_secret.is_empty() {
        None
    } else {
        Some(
            SecretKey::from_slice(&stored.local_fssk_secret).map_err(|_| {
                SessionError::InvalidStoredSession {
                    what: "fssk not 32 bytes",
                }
            })?,
        )
    };
    let version = |v: u32| (v != 0).then_some(v);
    let session = Session {
        id,
        state: state_from(stored.state)?,
        local_fssk,
        version_range: stored.version_range.as_ref().map(|r| VersionRange {
            min: r.min,
            max: r.max,
        }),
        local_4dhv: version(stored.local_4dh_version),
        remote_4dhv: version(stored.remote_4dh_version),
        local_2dh: chain_from(stored.local_2dh.as_ref())?,
        remote_2dh: chain_from(stored.remote_2dh.as_ref())?,
        local_4dh: chain_from(stored.local_4dh.as_ref())?,
        remote_4dh: chain_from(stored.remote_4dh.as_ref())?,
        updated: Timestamp::from_millis(stored.updated_ms),
    };
    session.check_shape()?;
    Ok(session)
}

impl PeerSessions {
    /// This peer's sessions in the FS-38 format. The bytes hold live secrets.
    #[must_use]
    pub fn export(&self) -> Zeroizing<Vec<u8>> {
        let mut stored = pb::PeerSessions {
            format: STORE_FORMAT,
            peer_identity: self.peer.as_str().to_owned(),
            sessions: self
                .sessions
                .iter()
                .map(|s| pb::StoredSession {
                    session_id: s.id.0.to_vec(),
                    state: s.state.stored(),
                    local_fssk_secret: s
                        .local_fssk
                        .as_ref()
                        .map(|k| k.expose_secret().to_vec())
                        .unwrap_or_default(),
                    version_range: s.version_range.map(|r| pb::VersionRange {
                        min: r.min,
                        max: r.max,
                    }),
                    local_4dh_version: s.local_4dhv.unwrap_or(0),
                    remote_4dh_version: s.remote_4dhv.unwrap_or(0),
                    local_2dh: chain_pb(s.local_2dh.as_ref()),
                    remote_2dh: chain_pb(s.remote_2dh.as_ref()),
                    local_4dh: chain_pb(s.local_4dh.as_ref()),
                    remote_4dh: chain_pb(s.remote_4dh.as_ref()),
                    updated_ms: s.updated.as_millis(),
                })
                .collect(),
        };
        let bytes = Zeroizing::new(stored.encode_to_vec());
        stored.sessions.iter_mut().for_each(wipe);
        bytes
    }

    /// A machine from FS-38 bytes.
    ///
    /// # Errors
    /// [`SessionError::InvalidStoredSession`] when the bytes do not parse, name another peer,
    /// or hold a session whose chains do not match its state. No X25519 runs here: the
    /// static DH is derived when the machine is first used, and a small-order peer key fails
    /// then with [`SessionError::InvalidPeerKey`].
    pub fn restore(
        own: Identity,
        own_secret: SecretKey,
        peer: Identity,
        peer_public: PublicKey,
        bytes: &[u8],
    ) -> Result<Self, SessionError> {
        let mut stored =
            pb::PeerSessions::decode(bytes).map_err(|_| SessionError::InvalidStoredSession {
                what: "not protobuf",
            })?;
        let result = (|| {
            if stored.format != STORE_FORMAT {
                return Err(SessionError::InvalidStoredSession {
                    what: "unknown format",
                });
            }
            if stored.peer_identity != peer.as_str() {
                return Err(SessionError::InvalidStoredSession {
                    what: "another peer",
                });
            }
            let mut machine = Self::new_lazy(own, own_secret, peer, peer_public);
            let mut sessions = stored
                .sessions
                .iter()
                .map(session_from)
                .collect::<Result<Vec<_>, _>>()?;
            sessions.sort_by_key(|s| s.id);
            if sessions
                .windows(2)
                .any(|w| matches!(w, [a, b] if a.id == b.id))
            {
                return Err(SessionError::InvalidStoredSession {
                    what: "duplicate session id",
                });
            }
            machine.sessions = sessions;
            Ok(machine)
        })();
        stored.sessions.iter_mut().for_each(wipe);
        result
    }
}
