//! Identities (spec/02-identity.md): the 8-character ID, its X25519 key pair, the fingerprint
//! users compare and the key file the CLI keeps.

mod fingerprint;
mod id;
pub mod key_file;

use core::fmt;

use rand_core::CryptoRng;

use crate::crypto::{PublicKey, SecretKey};

pub use fingerprint::{FINGERPRINT_LEN, Fingerprint};
pub use id::{ALPHABET, GATEWAY_MARKER, IDENTITY_LEN, Identity, IdentityError, RANDOM_BYTE_LIMIT};
pub use key_file::KeyFileError;

/// An identity with its long-term X25519 key pair (ID-5). The secret is wiped on drop.
pub struct IdentityKeys {
    identity: Identity,
    secret: SecretKey,
    public: PublicKey,
}

impl IdentityKeys {
    /// Creates a new random identity and key pair (ID-4, ID-5): the identity's bytes are drawn
    /// first, then the 32 secret-key bytes, both from `rng`.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let identity = Identity::random(rng);
        Self::from_parts(identity, SecretKey::generate(rng))
    }

    /// Pairs an identity with its secret key.
    #[must_use]
    pub fn from_parts(identity: Identity, secret: SecretKey) -> Self {
        let public = secret.public_key();
        Self {
            identity,
            secret,
            public,
        }
    }

    /// Loads a key file (ID-8).
    ///
    /// # Errors
    /// [`KeyFileError`] naming the first check that failed.
    pub fn from_key_file(bytes: &[u8]) -> Result<Self, KeyFileError> {
        key_file::decode(bytes)
    }

    /// Encodes a key file (ID-7); the bytes hold the secret and are wiped on drop.
    #[must_use]
    pub fn to_key_file(&self) -> zeroize::Zeroizing<Vec<u8>> {
        key_file::encode(self)
    }

    /// The 8-character identity.
    #[must_use]
    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// The long-term public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// The long-term secret key.
    #[must_use]
    pub fn secret_key(&self) -> &SecretKey {
        &self.secret
    }

    /// The fingerprint of the public key (ID-6).
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.public)
    }
}

impl fmt::Debug for IdentityKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityKeys")
            .field("identity", &self.identity)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}
