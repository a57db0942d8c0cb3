//! `prim_kdf.json`: key derivation with every protocol label (PRIM-9, PRIM-10).

use saltrelay_protocol::crypto::derive_key;
use saltrelay_protocol::crypto::labels::{self, Label};

use super::FileBuilder;
use super::common::{hex_value, outcome, random_bytes};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "prim_kdf.json",
    generate,
    compute,
};

const SEED: u64 = 0x7072_696d_0008;

/// Looks the label up by name, outputs its salt and personal bytes (so the file pins our
/// constants) and the derived key.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let name = case.str("label")?;
    let label = find(name).ok_or_else(|| Malformed::new("label", "unknown label"))?;
    let key = case.hex("key")?;
    Ok(outcome(derive_key(&key, &label), |derived| {
        vec![
            ("salt", hex_value(label.salt)),
            ("personal", hex_value(label.personal)),
            ("derived", hex_value(*derived)),
        ]
    }))
}

fn find(name: &str) -> Option<Label> {
    labels::ALL
        .iter()
        .find(|(label_name, _)| *label_name == name)
        .map(|(_, label)| *label)
}

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new(
        "Key derivation: BLAKE2b-256(key, salt = label salt, personal = label personal, empty input)",
        SEED,
    )
    .encoding(
        "byte strings are lowercase hex; salt and personal are the ASCII label bytes before \
         zero-padding; label is the name in spec/01-primitives.md PRIM-10",
    );
    for &(name, label) in labels::ALL {
        for key_len in [32, 64] {
            let key = random_bytes(&mut rng, key_len);
            let derived = derive_key(&key, &label).expect("key length in range");
            file.push(
                CaseBuilder::new(
                    &format!("label {name} with a {key_len}-byte key"),
                    &["Label"],
                    &["PRIM-9", "PRIM-10"],
                )
                .value("label", name)
                .hex("key", &key)
                .hex("salt", label.salt)
                .hex("personal", label.personal)
                .hex("derived", *derived)
                .valid(),
            );
        }
    }
    for (comment, len) in [("empty key", 0), ("65-byte key", 65)] {
        let label = labels::METADATA_KEY;
        file.push(
            CaseBuilder::new(comment, &["WrongLength"], &["PRIM-9"])
                .value("label", "metadata_key")
                .hex("key", random_bytes(&mut rng, len))
                .hex("salt", label.salt)
                .hex("personal", label.personal)
                .invalid("invalid_length"),
        );
    }
    file.finish()
}
