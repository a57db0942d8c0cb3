//! `prim_box.json`: NaCl `crypto_box` seal and open between two key pairs (PRIM-12, PRIM-13).

use saltrelay_protocol::crypto::{BoxKey, CryptoError, Nonce, PublicKey, SecretKey};

use super::common::{flip_bit, hex_value, outcome, random_bytes};
use super::{FileBuilder, low_order};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "prim_box.json",
    generate,
    compute,
};

const SEED: u64 = 0x7072_696d_0005;
const REFS: &[&str] = &["PRIM-12", "PRIM-13"];

/// Opens `ct` as the recipient; when that succeeds, outputs the plaintext and the sender's
/// `seal(msg)`. Shared with `prim_box_large.json`.
pub(crate) fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let sender_private = case.hex("senderPrivate")?;
    let sender_public = case.hex("senderPublic")?;
    let recipient_private = case.hex("recipientPrivate")?;
    let recipient_public = case.hex("recipientPublic")?;
    let nonce = case.hex("nonce")?;
    let msg = case.hex("msg")?;
    let ct = case.hex("ct")?;
    let result = (|| -> Result<_, CryptoError> {
        let nonce = Nonce::from_slice(&nonce)?;
        let opener = BoxKey::derive(
            &SecretKey::from_slice(&recipient_private)?,
            &PublicKey::from_slice(&sender_public)?,
        )?;
        let plaintext = opener.open(&nonce, &ct)?;
        let sealer = BoxKey::derive(
            &SecretKey::from_slice(&sender_private)?,
            &PublicKey::from_slice(&recipient_public)?,
        )?;
        Ok((plaintext, sealer.seal(&nonce, &msg)))
    })();
    Ok(outcome(result, |(opened, sealed)| {
        vec![("msg", hex_value(opened)), ("ct", hex_value(sealed))]
    }))
}

/// A valid case: a sender seals `msg` to a recipient, both key pairs written out.
pub(crate) fn sealed_case(
    rng: &mut impl rand_core::CryptoRng,
    msg: &[u8],
    comment: &str,
    flags: &[&str],
) -> serde_json::Map<String, serde_json::Value> {
    let sender = SecretKey::generate(rng);
    let recipient = SecretKey::generate(rng);
    let nonce = Nonce::random(rng);
    let key = BoxKey::derive(&sender, &recipient.public_key()).expect("contributory");
    CaseBuilder::new(comment, flags, REFS)
        .hex("senderPrivate", sender.expose_secret())
        .hex("senderPublic", sender.public_key().as_bytes())
        .hex("recipientPrivate", recipient.expose_secret())
        .hex("recipientPublic", recipient.public_key().as_bytes())
        .hex("nonce", nonce.as_bytes())
        .hex("msg", msg)
        .hex("ct", key.seal(&nonce, msg))
        .valid()
}

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new(
        "NaCl crypto_box (X25519, HSalsa20, XSalsa20-Poly1305), crypto_box_easy layout",
        SEED,
    );
    file.push(sealed_case(
        &mut rng,
        b"",
        "empty message",
        &["EmptyMessage"],
    ));
    for len in [1, 32, 100, 1024] {
        let msg = random_bytes(&mut rng, len);
        file.push(sealed_case(
            &mut rng,
            &msg,
            &format!("{len}-byte message"),
            &["Normal"],
        ));
    }

    let sender = SecretKey::generate(&mut rng);
    let recipient = SecretKey::generate(&mut rng);
    let stranger = SecretKey::generate(&mut rng);
    let nonce = Nonce::random(&mut rng);
    let msg = random_bytes(&mut rng, 64);
    let key = BoxKey::derive(&sender, &recipient.public_key()).expect("contributory");
    let ct = key.seal(&nonce, &msg);
    let mut other_nonce = *nonce.as_bytes();
    other_nonce[0] ^= 0x80;
    let base = |comment: &str, flags: &[&str], refs: &[&str]| {
        CaseBuilder::new(comment, flags, refs)
            .hex("senderPrivate", sender.expose_secret())
            .hex("senderPublic", sender.public_key().as_bytes())
    };
    let tail = |builder: CaseBuilder, recipient_private: &[u8], nonce: &[u8], ct: &[u8]| {
        builder
            .hex("recipientPrivate", recipient_private)
            .hex("recipientPublic", recipient.public_key().as_bytes())
            .hex("nonce", nonce)
            .hex("msg", &msg)
            .hex("ct", ct)
    };
    let r = recipient.expose_secret();
    let n = nonce.as_bytes();
    file.push(
        tail(
            base("tag bit flipped", &["ModifiedTag"], REFS),
            r,
            n,
            &flip_bit(&ct, 3, 2),
        )
        .invalid("auth_failed"),
    );
    file.push(
        tail(
            base("ciphertext bit flipped", &["ModifiedCiphertext"], REFS),
            r,
            n,
            &flip_bit(&ct, 40, 6),
        )
        .invalid("auth_failed"),
    );
    file.push(
        tail(
            base("opened by a stranger's secret key", &["WrongKey"], REFS),
            stranger.expose_secret(),
            n,
            &ct,
        )
        .invalid("auth_failed"),
    );
    file.push(
        tail(
            base("first nonce bit changed", &["ModifiedNonce"], REFS),
            r,
            &other_nonce,
            &ct,
        )
        .invalid("auth_failed"),
    );
    file.push(
        tail(
            base("box cut to 10 bytes", &["Truncated"], REFS),
            r,
            n,
            &ct[..10],
        )
        .invalid("truncated_box"),
    );
    for (name, point) in low_order::points() {
        let builder = CaseBuilder::new(
            &format!("sender's public key replaced by a small-order point, {name}"),
            &["LowOrderPublic"],
            &["PRIM-5", "PRIM-13"],
        )
        .hex("senderPrivate", sender.expose_secret())
        .hex("senderPublic", point);
        file.push(tail(builder, r, n, &ct).invalid("non_contributory"));
    }
    file.finish()
}
