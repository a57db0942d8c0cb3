//! `identity_key_file.json`: the identity key file, valid and damaged (ID-7, ID-8).

use saltrelay_protocol::crypto::{SecretKey, blake2b, labels};
use saltrelay_protocol::identity::IdentityKeys;

use super::FileBuilder;
use super::common::{flip_bit, hex_value};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "identity_key_file.json",
    generate,
    compute,
};

const SEED: u64 = 0x6964_0003;

/// Decodes the file; when that succeeds, outputs its fields and the re-encoded file.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let bytes = case.hex("keyFile")?;
    Ok(match IdentityKeys::from_key_file(&bytes) {
        Ok(keys) => Computed::Accepted(vec![
            ("identity", keys.identity().as_str().into()),
            ("private", hex_value(keys.secret_key().expose_secret())),
            ("public", hex_value(keys.public_key().as_bytes())),
            ("keyFile", hex_value(keys.to_key_file().as_slice())),
        ]),
        Err(error) => Computed::Rejected(error.code()),
    })
}

/// A version-1 file with an arbitrary identity field and a correct checksum (ID-7).
fn with_checksum(identity: [u8; 8], secret: &[u8; 32]) -> Vec<u8> {
    let mut bytes = b"SALTRLID\x01".to_vec();
    bytes.extend_from_slice(&identity);
    bytes.extend_from_slice(secret);
    let mut checksum = [0u8; 16];
    let label = labels::KEY_FILE_CHECKSUM;
    blake2b(
        &mut checksum,
        &[],
        label.salt.as_bytes(),
        label.personal.as_bytes(),
        &bytes,
    )
    .expect("lengths in range");
    bytes.extend_from_slice(&checksum);
    bytes
}

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new(
        "Identity key file v1: magic, version, identity, secret key, BLAKE2b-128 checksum",
        SEED,
    )
    .note("BadMagic", "the key file does not start with SALTRLID")
    .note(
        "UnsupportedVersion",
        "the key file has a version byte other than 1",
    )
    .note("TrailingBytes", "the key file has bytes after its checksum")
    .note(
        "Corrupted",
        "a byte of the key file was changed after its checksum was computed",
    )
    .note(
        "InvalidIdentity",
        "the key file's checksum is right but its identity field is invalid",
    );
    for identity in ["ECHOECHO", "*GATEWAY"] {
        let keys = IdentityKeys::from_parts(
            identity.parse().expect("valid identity"),
            SecretKey::generate(&mut rng),
        );
        let flags: &[&str] = if keys.identity().is_gateway() {
            &["Gateway"]
        } else {
            &["Normal"]
        };
        file.push(
            CaseBuilder::new("a valid key file", flags, &["ID-7"])
                .hex("keyFile", keys.to_key_file().as_slice())
                .value("identity", keys.identity().as_str())
                .hex("private", keys.secret_key().expose_secret())
                .hex("public", keys.public_key().as_bytes())
                .valid(),
        );
    }
    let keys = IdentityKeys::generate(&mut rng);
    let good = keys.to_key_file().to_vec();
    let mut version_two = good.clone();
    version_two[8] = 2;
    let mut trailing = good.clone();
    trailing.push(0x0a);
    let secret = *keys.secret_key().expose_secret();
    let damaged: Vec<(&str, &[&str], Vec<u8>, &str)> = vec![
        (
            "empty file",
            &["Truncated"],
            Vec::new(),
            "key_file_truncated",
        ),
        (
            "magic only",
            &["Truncated"],
            good[..8].to_vec(),
            "key_file_truncated",
        ),
        (
            "cut after the secret key",
            &["Truncated"],
            good[..49].to_vec(),
            "key_file_truncated",
        ),
        (
            "last checksum byte missing",
            &["Truncated"],
            good[..64].to_vec(),
            "key_file_truncated",
        ),
        (
            "one byte appended",
            &["TrailingBytes"],
            trailing,
            "key_file_trailing_bytes",
        ),
        (
            "not a key file (text)",
            &["BadMagic"],
            b"private:0123456789abcdef".to_vec(),
            "key_file_bad_magic",
        ),
        (
            "magic in lowercase",
            &["BadMagic"],
            [b"saltrlid".as_slice(), &good[8..]].concat(),
            "key_file_bad_magic",
        ),
        (
            "version 2",
            &["UnsupportedVersion"],
            version_two,
            "key_file_unsupported_version",
        ),
        (
            "a secret-key bit flipped",
            &["Corrupted"],
            flip_bit(&good, 30, 4),
            "key_file_checksum_mismatch",
        ),
        (
            "an identity bit flipped",
            &["Corrupted"],
            flip_bit(&good, 9, 0),
            "key_file_checksum_mismatch",
        ),
        (
            "a checksum bit flipped",
            &["Corrupted"],
            flip_bit(&good, 64, 7),
            "key_file_checksum_mismatch",
        ),
        (
            "lowercase identity with a correct checksum",
            &["InvalidIdentity"],
            with_checksum(*b"echoecho", &secret),
            "key_file_invalid_identity",
        ),
    ];
    for (comment, flags, bytes, error) in damaged {
        file.push(
            CaseBuilder::new(comment, flags, &["ID-8"])
                .hex("keyFile", bytes)
                .invalid(error),
        );
    }
    file.finish()
}
