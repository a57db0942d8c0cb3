//! `identity_generate.json`: a new identity and key pair from recorded random bytes (ID-4,
//! ID-5, PRIM-3).

use saltrelay_protocol::identity::IdentityKeys;

use super::FileBuilder;
use super::common::hex_value;
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::{RecordingRng, ReplayRng, seeded_rng};

pub(crate) const FILE: VectorFile = VectorFile {
    name: "identity_generate.json",
    generate,
    compute,
};

const SEED: u64 = 0x6964_0001;

/// Feeds `randomBytes` to identity generation; every byte must be consumed, no more.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let bytes = case.hex("randomBytes")?;
    let mut rng = ReplayRng::new(&bytes);
    let keys = IdentityKeys::generate(&mut rng);
    if rng.overrun() {
        return Err(Malformed::new(
            "randomBytes",
            "generation needed more bytes",
        ));
    }
    if rng.consumed() != bytes.len() {
        return Err(Malformed::new(
            "randomBytes",
            format!(
                "generation used {} of {} bytes",
                rng.consumed(),
                bytes.len()
            ),
        ));
    }
    Ok(Computed::Accepted(vec![
        ("identity", keys.identity().as_str().into()),
        ("private", hex_value(keys.secret_key().expose_secret())),
        ("public", hex_value(keys.public_key().as_bytes())),
    ]))
}

fn generate() -> KatFile {
    let mut file = FileBuilder::new(
        "Identity generation: identity bytes by rejection sampling, then the 32-byte secret key",
        SEED,
    );
    // Streams from consecutive seeds: five plain ones, and the first that skips a byte.
    let (mut plain, mut skipping) = (0, 0);
    for offset in 0.. {
        if plain == 5 && skipping == 1 {
            break;
        }
        let mut rng = RecordingRng::new(seeded_rng(SEED + offset));
        let keys = IdentityKeys::generate(&mut rng);
        let recorded = rng.take_recorded();
        let skips = recorded.len() > 40;
        let (comment, flags): (&str, &[&str]) = match (skips, plain, skipping) {
            (false, 0..5, _) => {
                plain += 1;
                ("8 usable identity bytes, then the secret key", &["Normal"])
            }
            (true, _, 0) => {
                skipping += 1;
                (
                    "the stream holds bytes >= 252, which are skipped",
                    &["DiscardedBytes"],
                )
            }
            _ => continue,
        };
        push(&mut file, &keys, &recorded, comment, flags);
    }
    // A stream built by hand: bytes at the limit or above are skipped, the rest taken mod 36.
    let stream: Vec<u8> = [252, 253, 254, 255, 0, 35, 36, 251, 10, 71, 72, 107]
        .into_iter()
        .chain(0x20..0x40)
        .collect();
    let keys = IdentityKeys::generate(&mut ReplayRng::new(&stream));
    assert_eq!(keys.identity().as_str(), "0Z0ZAZ0Z");
    push(
        &mut file,
        &keys,
        &stream,
        "hand-made stream: 252..255 skipped; 0, 35, 36, 251, 10, 71, 72, 107 give 0Z0ZAZ0Z",
        &["DiscardedBytes"],
    );
    file.finish()
}

fn push(file: &mut FileBuilder, keys: &IdentityKeys, stream: &[u8], comment: &str, flags: &[&str]) {
    file.push(
        CaseBuilder::new(comment, flags, &["ID-4", "ID-5", "PRIM-3"])
            .hex("randomBytes", stream)
            .value("identity", keys.identity().as_str())
            .hex("private", keys.secret_key().expose_secret())
            .hex("public", keys.public_key().as_bytes())
            .valid(),
    );
}
