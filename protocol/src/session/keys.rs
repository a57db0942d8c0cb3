//! Forward-secrecy keys: the 2DH and 4DH roots, chains, the ratchet and message keys
//! (spec/06-forward-secrecy.md, FS-6 to FS-12).

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::SessionError;
use crate::crypto::labels::{
    FS_2DH_SALT_PREFIX, FS_4DH_SALT_PREFIX, FS_CHAIN_KEY, FS_MESSAGE_KEY, FS_PERSONAL,
};
use crate::crypto::{BoxKey, Nonce, blake2b, derive_key, symmetric_key};
use crate::identity::Identity;

/// How far a receiver ratchets to reach a message's counter (FS-10).
pub const SKIP_LIMIT: u64 = 25_000;

/// Length of a chain key.
pub const CHAIN_KEY_LEN: usize = 32;

/// The all-zero nonce of every encapsulated message (FS-11).
pub const ZERO_NONCE: Nonce = Nonce::from_bytes([0u8; 24]);

symmetric_key!(
    /// A message key `XDHMK = KDF(CK, kdf-aek)` (FS-9): seals exactly one message under the
    /// all-zero nonce (FS-11).
    MessageKey,
    secretbox
);

/// A chain key (`2DHK`/`4DHK` at some counter) (FS-8). Wiped on drop, never printed.
#[derive(ZeroizeOnDrop)]
pub struct ChainKey([u8; CHAIN_KEY_LEN]);

impl ChainKey {
    /// Wraps raw chain-key bytes (stored state, vectors).
    #[must_use]
    pub fn from_bytes(bytes: [u8; CHAIN_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw key bytes; the only way they leave this type.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8; CHAIN_KEY_LEN] {
        &self.0
    }

    /// `CK' = KDF(CK, ("kdf-ck", "3ma-e2e"))` (FS-9).
    #[must_use]
    pub fn next(&self) -> Self {
        Self(*derive_key(&self.0, &FS_CHAIN_KEY).expect("a 32-byte key is in range"))
    }

    /// `MK = KDF(CK, ("kdf-aek", "3ma-e2e"))` (FS-9).
    #[must_use]
    pub fn message_key(&self) -> MessageKey {
        MessageKey::from_bytes(*derive_key(&self.0, &FS_MESSAGE_KEY).expect("32 bytes in range"))
    }

    /// The checkpoint hash `BLAKE2b-256(input = CK)` (FS-12): safe to publish.
    #[must_use]
    pub fn checkpoint(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        blake2b(&mut out, &[], &[], &[], &self.0).expect("fixed lengths are in range");
        out
    }
}

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainKey(<redacted>)")
    }
}

#[cfg(any(test, feature = "test-support"))]
impl ChainKey {
    /// A second key with the same bytes, for tests. Not `Clone`: a copy of a secret is made on
    /// purpose, by name.
    #[must_use]
    pub fn clone_for_testing(&self) -> Self {
        Self(self.0)
    }
}

/// A chain: the current chain key and its counter (FS-8). Never cloned outside tests.
#[derive(Debug)]
pub struct Chain {
    key: ChainKey,
    counter: u64,
}

impl Chain {
    /// A chain at its root, counter 1 (FS-8).
    #[must_use]
    pub fn from_root(root: ChainKey) -> Self {
        Self {
            key: root,
            counter: 1,
        }
    }

    /// A chain at any counter (stored state, vectors).
    #[must_use]
    pub fn new(key: ChainKey, counter: u64) -> Self {
        Self { key, counter }
    }

    /// The counter of the current key.
    #[must_use]
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// The current chain key.
    #[must_use]
    pub fn key(&self) -> &ChainKey {
        &self.key
    }

    /// The message key at the current counter (FS-9).
    #[must_use]
    pub fn message_key(&self) -> MessageKey {
        self.key.message_key()
    }

    /// Replaces the chain by `(CK', n + 1)`, wiping `CK` (FS-9).
    pub fn advance(&mut self) {
        self.key = self.key.next();
        self.counter = self.counter.saturating_add(1);
    }

    /// The chain ratcheted forward to `target`, leaving `self` untouched: the receiver commits
    /// it only once the message opened (FS-31).
    ///
    /// # Errors
    /// [`SessionError::CounterBehind`] below the current counter,
    /// [`SessionError::CounterTooFar`] more than [`SKIP_LIMIT`] ahead.
    pub fn ratcheted_to(&self, target: u64) -> Result<Self, SessionError> {
        let err_fields = (target, self.counter);
        let distance = target
            .checked_sub(self.counter)
            .ok_or(SessionError::CounterBehind {
                counter: err_fields.0,
                chain: err_fields.1,
            })?;
        if distance > SKIP_LIMIT {
            return Err(SessionError::CounterTooFar {
                counter: target,
                chain: self.counter,
            });
        }
        let mut chain = Self {
            key: ChainKey(self.key.0),
            counter: self.counter,
        };
        for _ in 0..distance {
            chain.advance();
        }
        Ok(chain)
    }
}

#[cfg(any(test, feature = "test-support"))]
impl Chain {
    /// A second chain with the same key and counter, for tests (see
    /// [`ChainKey::clone_for_testing`]).
    #[must_use]
    pub fn clone_for_testing(&self) -> Self {
        Self {
            key: self.key.clone_for_testing(),
            counter: self.counter,
        }
    }
}

/// BLAKE2b-256 with `key`, salt `prefix || id`, personal `3ma-e2e`, empty input (FS-6, FS-7).
fn keyed_root(key: &[u8], prefix: &str, id: Identity) -> ChainKey {
    let mut salt = Zeroizing::new([0u8; 15]);
    let (head, tail) = salt.split_at_mut(prefix.len());
    head.copy_from_slice(prefix.as_bytes());
    tail.copy_from_slice(id.as_bytes());
    let mut out = [0u8; CHAIN_KEY_LEN];
    blake2b(&mut out, key, salt.as_slice(), FS_PERSONAL.as_bytes(), &[])
        .expect("fixed lengths are in range");
    ChainKey(out)
}

/// The 2DH root (FS-6): `static_static = DH(CK, CK_peer)`, `initiator_ephemeral` =
/// `DH(FSSK_I, CK_R)` (initiator) or `DH(CK_R, FSSK_I)` (responder); the salt names the
/// initiator. The 64 bytes are the BLAKE2b key (FS-50 E1).
#[must_use]
pub fn root_2dh(
    initiator: Identity,
    static_static: &BoxKey,
    initiator_ephemeral: &BoxKey,
) -> ChainKey {
    let mut ikm = Zeroizing::new([0u8; 64]);
    let (a, b) = ikm.split_at_mut(32);
    a.copy_from_slice(static_static.expose_secret());
    b.copy_from_slice(initiator_ephemeral.expose_secret());
    keyed_root(ikm.as_slice(), FS_2DH_SALT_PREFIX, initiator)
}

/// The four DH values of FS-7 in the initiator's order: `CK_I×CK_R`, `FSSK_I×CK_R`,
/// `CK_I×FSSK_R`, `FSSK_I×FSSK_R` (each side computes them from its own secrets).
pub struct FourDh<'a> {
    /// `DH(CK_I, CK_R)`.
    pub static_static: &'a BoxKey,
    /// `DH(FSSK_I, CK_R)`.
    pub initiator_ephemeral_static: &'a BoxKey,
    /// `DH(CK_I, FSSK_R)`.
    pub initiator_static_ephemeral: &'a BoxKey,
    /// `DH(FSSK_I, FSSK_R)`.
    pub ephemeral_ephemeral: &'a BoxKey,
}

/// The 4DH roots (FS-7): `(4DHK(own), 4DHK(peer))`, i.e. (outgoing root, incoming root).
#[must_use]
pub fn roots_4dh(dh: &FourDh<'_>, own: Identity, peer: Identity) -> (ChainKey, ChainKey) {
    let mut input = Zeroizing::new([0u8; 128]);
    for (slot, key) in input.chunks_exact_mut(32).zip([
        dh.static_static,
        dh.initiator_ephemeral_static,
        dh.initiator_static_ephemeral,
        dh.ephemeral_ephemeral,
    ]) {
        slot.copy_from_slice(key.expose_secret());
    }
    let mut hash = Zeroizing::new([0u8; 64]);
    blake2b(hash.as_mut_slice(), &[], &[], &[], input.as_slice()).expect("fixed lengths");
    let own_root = keyed_root(hash.as_slice(), FS_4DH_SALT_PREFIX, own);
    let peer_root = keyed_root(hash.as_slice(), FS_4DH_SALT_PREFIX, peer);
    input.zeroize();
    (own_root, peer_root)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Threema Android's KDFRatchetTest.java (domain/src/test/java/ch/threema/domain/fs/).
    const THREEMA_INITIAL: &str =
        "421e73cf324785dee4c4830f2efbb8cd4b258ed8520a608a6ce340aaa7400024";

    fn chain_from_hex(hex_key: &str, counter: u64) -> Chain {
        let bytes: [u8; 32] = hex::decode(hex_key).unwrap().try_into().unwrap();
        Chain::new(ChainKey::from_bytes(bytes), counter)
    }

    #[test]
    fn matches_threema_kdf_ratchet_test() {
        let chain = chain_from_hex(THREEMA_INITIAL, 0);
        let one = chain.ratcheted_to(1).unwrap();
        assert_eq!(
            hex::encode(one.message_key().expose_secret()),
            "60d3de2d849fa8b3d9799e8e50b09a7ef1d4e1e855c99fdb711bfe29466cdad3"
        );
        let hundred = chain.ratcheted_to(100).unwrap();
        assert_eq!(
            hex::encode(hundred.message_key().expose_secret()),
            "d2acf6e1c7262eb360ad92b6a74e0f9ad6ee129278742fc2462ae72916eaa334"
        );
        assert_eq!(
            chain.ratcheted_to(1_000_000).unwrap_err().code(),
            "counter_too_far"
        );
    }

    #[test]
    fn skip_limit_is_inclusive() {
        let chain = chain_from_hex(THREEMA_INITIAL, 1);
        assert!(chain.ratcheted_to(1 + SKIP_LIMIT).is_ok());
        assert_eq!(
            chain.ratcheted_to(2 + SKIP_LIMIT).unwrap_err().code(),
            "counter_too_far"
        );
        assert_eq!(chain.ratcheted_to(0).unwrap_err().code(), "counter_behind");
        assert_eq!(chain.counter(), 1, "ratcheting is tentative");
    }
}
