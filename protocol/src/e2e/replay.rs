//! Replay protection: every nonce of an incoming or outgoing message is stored for good, and a
//! message reusing one is discarded (E2E-31).

use std::collections::HashSet;

use super::E2eError;
use crate::crypto::Nonce;

/// Where nonces are remembered (E2E-31). One store serves all contacts and both directions.
/// Implementations persist it; [`InMemoryNonceStore`] is for tests and short-lived tools.
pub trait NonceStore {
    /// Whether `nonce` was stored before.
    fn contains(&self, nonce: &Nonce) -> bool;

    /// Stores `nonce` permanently.
    fn insert(&mut self, nonce: Nonce);

    /// Fails if `nonce` was seen; otherwise stores it (E2E-31).
    ///
    /// # Errors
    /// [`E2eError::NonceReused`].
    fn check_and_insert(&mut self, nonce: Nonce) -> Result<(), E2eError> {
        if self.contains(&nonce) {
            return Err(E2eError::NonceReused);
        }
        self.insert(nonce);
        Ok(())
    }
}

/// A nonce store in memory (E2E-31).
#[derive(Debug, Clone, Default)]
pub struct InMemoryNonceStore {
    seen: HashSet<Nonce>,
}

impl InMemoryNonceStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored nonces.
    #[must_use]
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing is stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

impl NonceStore for InMemoryNonceStore {
    fn contains(&self, nonce: &Nonce) -> bool {
        self.seen.contains(nonce)
    }

    fn insert(&mut self, nonce: Nonce) {
        self.seen.insert(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_use_of_a_nonce_is_rejected() {
        let mut store = InMemoryNonceStore::new();
        let nonce = Nonce::from_bytes([3; 24]);
        store.check_and_insert(nonce).unwrap();
        assert_eq!(store.check_and_insert(nonce), Err(E2eError::NonceReused));
        assert_eq!(store.len(), 1);
    }
}
