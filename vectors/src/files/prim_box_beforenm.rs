//! `prim_box_beforenm.json`: the box key `HSalsa20(X25519(sk, pk), 0^16)` (PRIM-12).

use saltrelay_protocol::crypto::{BoxKey, PublicKey, SecretKey};

use super::common::{hex_value, outcome, random_bytes};
use super::{FileBuilder, low_order};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "prim_box_beforenm.json",
    generate,
    compute,
};

const SEED: u64 = 0x7072_696d_0003;

fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let private = case.hex("private")?;
    let public = case.hex("public")?;
    let result = SecretKey::from_slice(&private)
        .and_then(|secret| BoxKey::derive(&secret, &PublicKey::from_slice(&public)?));
    Ok(outcome(result, |key| {
        vec![("key", hex_value(key.expose_secret()))]
    }))
}

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new(
        "NaCl box shared key (crypto_box_beforenm): HSalsa20(X25519(sk, pk), 0^16)",
        SEED,
    );
    for _ in 0..5 {
        let a = SecretKey::generate(&mut rng);
        let b = SecretKey::generate(&mut rng);
        let key = BoxKey::derive(&a, &b.public_key()).expect("contributory");
        let reverse = BoxKey::derive(&b, &a.public_key()).expect("contributory");
        assert_eq!(key.expose_secret(), reverse.expose_secret());
        file.push(
            CaseBuilder::new("A's secret, B's public", &["Normal"], &["PRIM-12"])
                .hex("private", a.expose_secret())
                .hex("public", b.public_key().as_bytes())
                .hex("key", key.expose_secret())
                .valid(),
        );
        file.push(
            CaseBuilder::new(
                "B's secret, A's public: the same key",
                &["BothDirections"],
                &["PRIM-12"],
            )
            .hex("private", b.expose_secret())
            .hex("public", a.public_key().as_bytes())
            .hex("key", reverse.expose_secret())
            .valid(),
        );
    }
    let a = SecretKey::generate(&mut rng);
    for (name, point) in low_order::points() {
        file.push(
            CaseBuilder::new(
                &format!("small-order public key, {name}"),
                &["LowOrderPublic"],
                &["PRIM-5", "PRIM-12"],
            )
            .hex("private", a.expose_secret())
            .hex("public", point)
            .invalid("non_contributory"),
        );
    }
    file.push(
        CaseBuilder::new("public key of 31 bytes", &["WrongLength"], &["PRIM-1"])
            .hex("private", a.expose_secret())
            .hex("public", random_bytes(&mut rng, 31))
            .invalid("invalid_key_length"),
    );
    file.finish()
}
