//! `e2e_blob.json`: blob encryption with fixed nonces by kind, the deprecated image blob, and
//! the 100 × 2^20-byte limit (E2E-9, E2E-32, E2E-33).
#![allow(
    clippy::too_many_lines,
    clippy::type_complexity,
    clippy::similar_names,
    reason = "vector tables read best as one table, one case per row"
)]

use saltrelay_protocol::crypto::Nonce;
use saltrelay_protocol::e2e::{self, BlobKey, BlobKind, E2eError};

use super::FileBuilder;
use super::common::{flip_bit, hex_value, random_bytes};
use super::e2e_common::{Parties, case_keys, e2e_outcome};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "e2e_blob.json",
    generate,
    compute,
};

const SEED: u64 = 0x6532_6500_0005;

const KINDS: [(&str, BlobKind); 5] = [
    ("file", BlobKind::File),
    ("thumbnail", BlobKind::Thumbnail),
    ("profile_picture", BlobKind::ProfilePicture),
    ("deprecated_media", BlobKind::DeprecatedMedia),
    (
        "deprecated_video_thumbnail",
        BlobKind::DeprecatedVideoThumbnail,
    ),
];

/// Kind `deprecated_image`: the box of E2E-9 with the case's keys and `nonce`. Other kinds: the
/// secretbox under `key` with the kind's fixed nonce → `nonce`, `box` (sealing `data`) and
/// `data` (opening `box`). `boxLength` alone: only the size check of E2E-33.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let kind = case.str("kind")?;
    if case.has("boxLength") {
        let len = usize::try_from(case.u64("boxLength")?).unwrap_or(usize::MAX);
        return Ok(e2e_outcome(
            e2e::check_blob_box_len(len).map(|()| Vec::new()),
        ));
    }
    let data = case.hex("data")?;
    let sealed = case.hex("box")?;
    if kind == "deprecated_image" {
        let keys = case_keys(case)?;
        let nonce = case.hex("nonce")?;
        return Ok(e2e_outcome((|| {
            let (sealer, opener) = keys?;
            let nonce = Nonce::from_slice(&nonce)?;
            Ok(vec![
                (
                    "box",
                    hex_value(e2e::seal_image_blob(&sealer, &nonce, &data)?),
                ),
                (
                    "data",
                    hex_value(e2e::open_image_blob(&opener, &nonce, &sealed)?),
                ),
            ])
        })()));
    }
    let kind = KINDS
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|(_, k)| *k)
        .ok_or_else(|| Malformed::new("kind", "unknown blob kind"))?;
    let key = case.hex("key")?;
    Ok(e2e_outcome((|| {
        let key = BlobKey::from_slice(&key).map_err(E2eError::from)?;
        Ok(vec![
            ("nonce", hex_value(kind.nonce().as_bytes())),
            ("box", hex_value(e2e::seal_blob(&key, kind, &data)?)),
            ("data", hex_value(e2e::open_blob(&key, kind, &sealed)?)),
        ])
    })()))
}

fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new(
        "E2E blobs: XSalsa20-Poly1305 under a random key with a fixed nonce per blob kind",
        SEED,
    )
    .note("BlobKind", "a blob kind with its fixed nonce (E2E-32)")
    .note(
        "DeprecatedImage",
        "the deprecated image blob: a box with the message's keys (E2E-9)",
    )
    .note("Oversize", "a blob over 100 MiB, given by its length only");
    for (name, kind) in KINDS {
        let key = BlobKey::random(&mut rng);
        let data = random_bytes(&mut rng, 300);
        file.push(
            CaseBuilder::new(&format!("{name} blob"), &["BlobKind"], &["E2E-32"])
                .value("kind", name)
                .hex("key", key.expose_secret())
                .hex("nonce", kind.nonce().as_bytes())
                .hex("data", &data)
                .hex("box", e2e::seal_blob(&key, kind, &data).expect("small"))
                .valid(),
        );
    }
    let key = BlobKey::random(&mut rng);
    file.push(
        CaseBuilder::new("empty file blob", &["EmptyMessage"], &["E2E-32"])
            .value("kind", "file")
            .hex("key", key.expose_secret())
            .hex("nonce", BlobKind::File.nonce().as_bytes())
            .hex("data", [])
            .hex(
                "box",
                e2e::seal_blob(&key, BlobKind::File, &[]).expect("small"),
            )
            .valid(),
    );
    let data = random_bytes(&mut rng, 100);
    let sealed = e2e::seal_blob(&key, BlobKind::File, &data).expect("small");
    for (comment, flag, kind, bad) in [
        (
            "file blob opened as a thumbnail",
            "ModifiedNonce",
            "thumbnail",
            sealed.clone(),
        ),
        (
            "file blob with a flipped bit",
            "ModifiedCiphertext",
            "file",
            flip_bit(&sealed, 50, 5),
        ),
    ] {
        file.push(
            CaseBuilder::new(comment, &[flag], &["E2E-32", "PRIM-7"])
                .value("kind", kind)
                .hex("key", key.expose_secret())
                .hex("data", &data)
                .hex("box", bad)
                .invalid("auth_failed"),
        );
    }
    let parties = Parties::generate(&mut rng);
    let nonce = Nonce::random(&mut rng);
    let image = random_bytes(&mut rng, 200);
    file.push(
        parties
            .case("deprecated image blob", &["DeprecatedImage"], &["E2E-9"])
            .value("kind", "deprecated_image")
            .hex("nonce", nonce.as_bytes())
            .hex("data", &image)
            .hex(
                "box",
                e2e::seal_image_blob(&parties.key(), &nonce, &image).expect("small"),
            )
            .valid(),
    );
    for (comment, len, valid) in [
        ("box of exactly 100 MiB + 16", e2e::MAX_BLOB_LEN + 16, true),
        ("box of 100 MiB + 17", e2e::MAX_BLOB_LEN + 17, false),
    ] {
        let case = CaseBuilder::new(comment, &["Oversize"], &["E2E-33"])
            .value("kind", "file")
            .value("boxLength", len);
        file.push(if valid {
            case.valid()
        } else {
            case.invalid("blob_too_large")
        });
    }
    file.finish()
}
