//! `prim_keygen.json`: public key from secret key, `X25519(secret, 9)` (PRIM-3).

use saltrelay_protocol::crypto::SecretKey;

use super::FileBuilder;
use super::common::{hex_value, outcome, random_bytes};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "prim_keygen.json",
    generate,
    compute,
};

const SEED: u64 = 0x7072_696d_0002;

fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let private = case.hex("private")?;
    Ok(outcome(SecretKey::from_slice(&private), |secret| {
        vec![("public", hex_value(secret.public_key().as_bytes()))]
    }))
}

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new("X25519 key generation: public = X25519(secret, 9)", SEED);
    for _ in 0..6 {
        let secret = SecretKey::generate(&mut rng);
        file.push(
            CaseBuilder::new(
                "32 random bytes as the secret key",
                &["Normal"],
                &["PRIM-3"],
            )
            .hex("private", secret.expose_secret())
            .hex("public", secret.public_key().as_bytes())
            .valid(),
        );
    }
    let secret = SecretKey::generate(&mut rng);
    let mut unclamped = *secret.expose_secret();
    unclamped[0] |= 0b0000_0111;
    unclamped[31] = (unclamped[31] | 0b1000_0000) & 0b1011_1111;
    let mut clamped = unclamped;
    clamped[0] &= 0xf8;
    clamped[31] = (clamped[31] & 0x7f) | 0x40;
    file.push(
        CaseBuilder::new(
            "unclamped secret (bits 0-2 and 255 set, 254 clear) gives the clamped key's public key",
            &["ClampedBits"],
            &["PRIM-2", "PRIM-3"],
        )
        .hex("private", unclamped)
        .hex(
            "public",
            SecretKey::from_bytes(clamped).public_key().as_bytes(),
        )
        .valid(),
    );
    for len in [0, 31, 33] {
        file.push(
            CaseBuilder::new(
                &format!("secret key of {len} bytes"),
                &["WrongLength"],
                &["PRIM-1"],
            )
            .hex("private", random_bytes(&mut rng, len))
            .invalid("invalid_key_length"),
        );
    }
    file.finish()
}
