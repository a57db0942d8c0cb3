//! `prim_secretbox.json`: XSalsa20-Poly1305 seal and open, tag first (PRIM-6, PRIM-7).

use saltrelay_protocol::crypto::{Nonce, SecretBoxKey};

use super::FileBuilder;
use super::common::{flip_bit, hex_value, outcome, random_bytes};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "prim_secretbox.json",
    generate,
    compute,
};

const SEED: u64 = 0x7072_696d_0004;

/// Opens `ct`; when that succeeds, outputs the plaintext and `seal(msg)`.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let key = case.hex("key")?;
    let nonce = case.hex("nonce")?;
    let ct = case.hex("ct")?;
    let msg = case.hex("msg")?;
    let result = SecretBoxKey::from_slice(&key).and_then(|key| {
        let nonce = Nonce::from_slice(&nonce)?;
        let opened = key.open(&nonce, &ct)?;
        Ok((opened, key.seal(&nonce, &msg)))
    });
    Ok(outcome(result, |(opened, sealed)| {
        vec![("msg", hex_value(opened)), ("ct", hex_value(sealed))]
    }))
}

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new(
        "XSalsa20-Poly1305 (crypto_secretbox_easy layout: tag || ciphertext)",
        SEED,
    );
    let mut sealed_case = |rng: &mut _, len: usize, comment: &str, flags: &[&str]| {
        let key = SecretBoxKey::random(rng);
        let nonce = Nonce::random(rng);
        let msg = random_bytes(rng, len);
        let ct = key.seal(&nonce, &msg);
        file.push(
            CaseBuilder::new(comment, flags, &["PRIM-6", "PRIM-7"])
                .hex("key", key.expose_secret())
                .hex("nonce", nonce.as_bytes())
                .hex("msg", &msg)
                .hex("ct", &ct)
                .valid(),
        );
    };
    sealed_case(&mut rng, 0, "empty message", &["EmptyMessage"]);
    sealed_case(&mut rng, 1, "one-byte message", &["Normal"]);
    for len in [31, 32, 33, 63, 64, 65, 127, 128, 129] {
        sealed_case(
            &mut rng,
            len,
            &format!("{len}-byte message"),
            &["BlockBoundary"],
        );
    }
    sealed_case(&mut rng, 1000, "1000-byte message", &["Normal"]);
    sealed_case(&mut rng, 16384, "16 KiB message", &["LargeMessage"]);

    let key = SecretBoxKey::random(&mut rng);
    let other_key = SecretBoxKey::random(&mut rng);
    let nonce = Nonce::random(&mut rng);
    let msg = random_bytes(&mut rng, 48);
    let ct = key.seal(&nonce, &msg);
    let mut other_nonce = *nonce.as_bytes();
    other_nonce[23] ^= 1;
    let invalid = |comment: &str, flags: &[&str], key: &[u8], nonce: &[u8], ct: &[u8], error| {
        CaseBuilder::new(comment, flags, &["PRIM-7"])
            .hex("key", key)
            .hex("nonce", nonce)
            .hex("msg", &msg)
            .hex("ct", ct)
            .invalid(error)
    };
    let k = key.expose_secret();
    let n = nonce.as_bytes();
    let cases = [
        invalid(
            "bit 0 of tag byte 0 flipped",
            &["ModifiedTag"],
            k,
            n,
            &flip_bit(&ct, 0, 0),
            "auth_failed",
        ),
        invalid(
            "bit 7 of tag byte 15 flipped",
            &["ModifiedTag"],
            k,
            n,
            &flip_bit(&ct, 15, 7),
            "auth_failed",
        ),
        invalid(
            "bit 3 of the first ciphertext byte flipped",
            &["ModifiedCiphertext"],
            k,
            n,
            &flip_bit(&ct, 16, 3),
            "auth_failed",
        ),
        invalid(
            "bit 0 of the last ciphertext byte flipped",
            &["ModifiedCiphertext"],
            k,
            n,
            &flip_bit(&ct, ct.len() - 1, 0),
            "auth_failed",
        ),
        invalid(
            "opened under another key",
            &["WrongKey"],
            other_key.expose_secret(),
            n,
            &ct,
            "auth_failed",
        ),
        invalid(
            "opened with the last nonce byte changed",
            &["ModifiedNonce"],
            k,
            &other_nonce,
            &ct,
            "auth_failed",
        ),
        invalid(
            "last byte missing",
            &["Truncated"],
            k,
            n,
            &ct[..ct.len() - 1],
            "auth_failed",
        ),
        invalid(
            "only the 16-byte tag left",
            &["Truncated"],
            k,
            n,
            &ct[..16],
            "auth_failed",
        ),
        invalid(
            "15 bytes: shorter than the tag",
            &["Truncated"],
            k,
            n,
            &ct[..15],
            "truncated_box",
        ),
        invalid("empty box", &["Truncated"], k, n, &[], "truncated_box"),
    ];
    for case in cases {
        file.push(case);
    }
    file.push(
        CaseBuilder::new("key of 31 bytes", &["WrongLength"], &["PRIM-1"])
            .hex("key", &k[..31])
            .hex("nonce", n)
            .hex("msg", &msg)
            .hex("ct", &ct)
            .invalid("invalid_key_length"),
    );
    file.push(
        CaseBuilder::new("nonce of 23 bytes", &["WrongLength"], &["PRIM-6"])
            .hex("key", k)
            .hex("nonce", &n[..23])
            .hex("msg", &msg)
            .hex("ct", &ct)
            .invalid("invalid_nonce_length"),
    );
    file.finish()
}
