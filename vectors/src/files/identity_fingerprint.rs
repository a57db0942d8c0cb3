//! `identity_fingerprint.json`: the fingerprint users compare (ID-6).

use saltrelay_protocol::crypto::{PublicKey, SecretKey};
use saltrelay_protocol::identity::Fingerprint;

use super::FileBuilder;
use super::common::{hex_value, outcome, random_bytes};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "identity_fingerprint.json",
    generate,
    compute,
};

const SEED: u64 = 0x6964_0002;

fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let public = case.hex("public")?;
    Ok(outcome(PublicKey::from_slice(&public), |key| {
        vec![("fingerprint", hex_value(Fingerprint::of(&key).as_bytes()))]
    }))
}

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new(
        "Public-key fingerprint: the first 16 bytes of SHA-256(public key)",
        SEED,
    );
    for _ in 0..5 {
        let key = SecretKey::generate(&mut rng).public_key();
        file.push(
            CaseBuilder::new("public key of a random key pair", &["Normal"], &["ID-6"])
                .hex("public", key.as_bytes())
                .hex("fingerprint", Fingerprint::of(&key).as_bytes())
                .valid(),
        );
    }
    file.push(
        CaseBuilder::new(
            "public key of 31 bytes",
            &["WrongLength"],
            &["ID-6", "PRIM-1"],
        )
        .hex("public", random_bytes(&mut rng, 31))
        .invalid("invalid_key_length"),
    );
    file.finish()
}
