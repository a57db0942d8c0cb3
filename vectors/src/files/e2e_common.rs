//! Helpers the `e2e_*.json` files share: the two parties' keys written into every case, and
//! reading them back (spec/03-e2e-messages.md).

use saltrelay_protocol::crypto::{BoxKey, Nonce, PublicKey, SecretKey};
use saltrelay_protocol::e2e::E2eError;
use serde_json::Value;

use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;

/// Sender and recipient key pairs of a file, drawn from its seed.
pub(crate) struct Parties {
    pub(crate) sender: SecretKey,
    pub(crate) recipient: SecretKey,
}

impl Parties {
    pub(crate) fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        Self {
            sender: SecretKey::generate(rng),
            recipient: SecretKey::generate(rng),
        }
    }

    /// The sender's box key (E2E-5).
    pub(crate) fn key(&self) -> BoxKey {
        BoxKey::derive(&self.sender, &self.recipient.public_key()).expect("contributory keys")
    }

    /// Starts a case with all four keys.
    pub(crate) fn case(&self, comment: &str, flags: &[&str], refs: &[&str]) -> CaseBuilder {
        CaseBuilder::new(comment, flags, refs)
            .hex("senderPrivate", self.sender.expose_secret())
            .hex("senderPublic", self.sender.public_key().as_bytes())
            .hex("recipientPrivate", self.recipient.expose_secret())
            .hex("recipientPublic", self.recipient.public_key().as_bytes())
    }
}

/// The sender's key `(senderPrivate, recipientPublic)` and the recipient's
/// `(recipientPrivate, senderPublic)` of a case.
pub(crate) fn case_keys(case: Case<'_>) -> Result<Result<(BoxKey, BoxKey), E2eError>, Malformed> {
    let sender_private = case.hex("senderPrivate")?;
    let sender_public = case.hex("senderPublic")?;
    let recipient_private = case.hex("recipientPrivate")?;
    let recipient_public = case.hex("recipientPublic")?;
    Ok((|| {
        let sealer = BoxKey::derive(
            &SecretKey::from_slice(&sender_private)?,
            &PublicKey::from_slice(&recipient_public)?,
        )?;
        let opener = BoxKey::derive(
            &SecretKey::from_slice(&recipient_private)?,
            &PublicKey::from_slice(&sender_public)?,
        )?;
        Ok((sealer, opener))
    })())
}

/// The case's nonce.
pub(crate) fn case_nonce(
    case: Case<'_>,
    field: &str,
) -> Result<Result<Nonce, E2eError>, Malformed> {
    let bytes = case.hex(field)?;
    Ok(Nonce::from_slice(&bytes).map_err(E2eError::from))
}

/// Our result as a check compares it.
pub(crate) fn e2e_outcome(result: Result<Vec<(&'static str, Value)>, E2eError>) -> Computed {
    match result {
        Ok(outputs) => Computed::Accepted(outputs),
        Err(error) => Computed::Rejected(error.code()),
    }
}
