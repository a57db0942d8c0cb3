//! `prim_x25519.json`: X25519 Diffie-Hellman with the all-zero rejection (PRIM-2, PRIM-4, PRIM-5).

use saltrelay_protocol::crypto::{PublicKey, SecretKey};

use super::common::{hex_value, outcome, random_bytes};
use super::{FileBuilder, low_order};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "prim_x25519.json",
    generate,
    compute,
};

const SEED: u64 = 0x7072_696d_0001;
const REFS: &[&str] = &["PRIM-2", "PRIM-4"];

/// `shared = X25519(private, public)`, or the error.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let private = case.hex("private")?;
    let public = case.hex("public")?;
    let result = SecretKey::from_slice(&private).and_then(|secret| {
        let public = PublicKey::from_slice(&public)?;
        secret.diffie_hellman(&public)
    });
    Ok(outcome(result, |shared| {
        vec![("shared", hex_value(shared.expose_secret()))]
    }))
}

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new(
        "X25519 (RFC 7748) with all-zero results rejected as non-contributory (PRIM-5)",
        SEED,
    );
    let dh = |secret: &SecretKey, public: &[u8; 32]| {
        *secret
            .diffie_hellman(&PublicKey::from_bytes(*public))
            .expect("generator inputs are contributory")
            .expose_secret()
    };
    for _ in 0..6 {
        let a = SecretKey::generate(&mut rng);
        let b = SecretKey::generate(&mut rng);
        let shared = dh(&a, b.public_key().as_bytes());
        assert_eq!(shared, dh(&b, a.public_key().as_bytes()), "DH is symmetric");
        file.push(
            CaseBuilder::new("random key pair", &["Normal"], REFS)
                .hex("private", a.expose_secret())
                .hex("public", b.public_key().as_bytes())
                .hex("shared", shared)
                .valid(),
        );
    }

    let a = SecretKey::generate(&mut rng);
    let peer = SecretKey::generate(&mut rng).public_key();
    let shared = dh(&a, peer.as_bytes());
    let mut unclamped = *a.expose_secret();
    unclamped[0] ^= 0b0000_0111;
    unclamped[31] ^= 0b1000_0000;
    file.push(
        CaseBuilder::new(
            "bits 0-2 and 255 of the secret flipped: clamping ignores them",
            &["ClampedBits"],
            &["PRIM-2", "PRIM-3"],
        )
        .hex("private", unclamped)
        .hex("public", peer.as_bytes())
        .hex("shared", shared)
        .valid(),
    );
    let mut top_bit = *peer.as_bytes();
    top_bit[31] |= 0x80;
    file.push(
        CaseBuilder::new(
            "public key with bit 255 set: masked before use",
            &["PublicKeyTopBit"],
            REFS,
        )
        .hex("private", a.expose_secret())
        .hex("public", top_bit)
        .hex("shared", shared)
        .valid(),
    );
    let mut two = [0u8; 32];
    two[0] = 2;
    let mut p_plus_two = [0xffu8; 32];
    p_plus_two[0] = 0xef;
    p_plus_two[31] = 0x7f;
    file.push(
        CaseBuilder::new(
            "public u = p + 2, a non-canonical encoding of u = 2",
            &["NonCanonicalPublic"],
            REFS,
        )
        .hex("private", a.expose_secret())
        .hex("public", p_plus_two)
        .hex("shared", dh(&a, &two))
        .valid(),
    );

    for (name, point) in low_order::points() {
        let flags: &[&str] = if point == [0; 32] {
            &["LowOrderPublic", "ZeroPublicKey"]
        } else {
            &["LowOrderPublic"]
        };
        file.push(
            CaseBuilder::new(
                &format!("small-order public key, {name}"),
                flags,
                &["PRIM-4", "PRIM-5"],
            )
            .hex("private", a.expose_secret())
            .hex("public", point)
            .invalid("non_contributory"),
        );
    }

    for (comment, private_len, public_len) in [
        ("secret key of 31 bytes", 31, 32),
        ("public key of 33 bytes", 32, 33),
        ("empty public key", 32, 0),
    ] {
        file.push(
            CaseBuilder::new(comment, &["WrongLength"], &["PRIM-1"])
                .hex("private", random_bytes(&mut rng, private_len))
                .hex("public", random_bytes(&mut rng, public_len))
                .invalid("invalid_key_length"),
        );
    }
    file.finish()
}
