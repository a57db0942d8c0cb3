//! `prim_blake2b.json`: BLAKE2b with key, salt and personal (PRIM-8).

use saltrelay_protocol::crypto::blake2b;

use super::FileBuilder;
use super::common::{hex_value, outcome, random_bytes};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "prim_blake2b.json",
    generate,
    compute,
};

const SEED: u64 = 0x7072_696d_0007;

fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let key = case.hex("key")?;
    let salt = case.hex("salt")?;
    let personal = case.hex("personal")?;
    let msg = case.hex("msg")?;
    let outlen =
        usize::try_from(case.u64("outlen")?).map_err(|_| Malformed::new("outlen", "too large"))?;
    let mut out = vec![0u8; outlen];
    let result = blake2b(&mut out, &key, &salt, &personal, &msg);
    Ok(outcome(result, |()| vec![("out", hex_value(&out))]))
}

/// One valid case: comment, flags, key length, salt, personal, message length, output length.
type Shape = (
    &'static str,
    &'static [&'static str],
    usize,
    &'static [u8],
    &'static [u8],
    usize,
    usize,
);

#[expect(
    clippy::too_many_lines,
    reason = "the cases of one file read best as one table"
)]
fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let mut file = FileBuilder::new(
        "BLAKE2b (RFC 7693) with key, salt and personal; short salt and personal zero-padded",
        SEED,
    );
    let shapes: &[Shape] = &[
        (
            "unkeyed, salt and personal",
            &["Unkeyed", "Salt", "Personal"],
            0,
            b"saltsaltsaltsalt",
            b"personalpersonal",
            3,
            32,
        ),
        (
            "unkeyed, salt only",
            &["Unkeyed", "Salt"],
            0,
            b"ab",
            b"",
            0,
            64,
        ),
        (
            "unkeyed, personal only",
            &["Unkeyed", "Personal"],
            0,
            b"",
            b"3ma-csp",
            10,
            32,
        ),
        (
            "32-byte key, short salt and personal",
            &["Keyed", "Salt", "Personal"],
            32,
            b"mm",
            b"3ma-csp",
            0,
            32,
        ),
        (
            "64-byte key, short salt and personal",
            &["Keyed", "Salt", "Personal"],
            64,
            b"v2",
            b"3ma-csp",
            0,
            32,
        ),
        (
            "64-byte key, no salt or personal, 40-byte input",
            &["Keyed"],
            64,
            b"",
            b"",
            40,
            32,
        ),
        (
            "32-byte key, 16-byte digest",
            &["Keyed", "Salt", "Personal", "ShortOutput"],
            32,
            b"keyfile-v1",
            b"saltrelay-id",
            49,
            16,
        ),
        (
            "1-byte key, 1-byte digest",
            &["Keyed", "ShortOutput"],
            1,
            b"",
            b"",
            1,
            1,
        ),
        (
            "32-byte key, 129-byte input",
            &["Keyed", "Salt", "Personal", "MultiBlock"],
            32,
            b"0123456789abcdef",
            b"fedcba9876543210",
            129,
            64,
        ),
        (
            "unkeyed, 300-byte input, 48-byte digest",
            &["Unkeyed", "MultiBlock"],
            0,
            b"",
            b"",
            300,
            48,
        ),
    ];
    for &(comment, flags, key_len, salt, personal, msg_len, outlen) in shapes {
        let key = random_bytes(&mut rng, key_len);
        let msg = random_bytes(&mut rng, msg_len);
        let mut out = vec![0u8; outlen];
        blake2b(&mut out, &key, salt, personal, &msg).expect("lengths in range");
        file.push(
            CaseBuilder::new(comment, flags, &["PRIM-8"])
                .hex("key", &key)
                .hex("salt", salt)
                .hex("personal", personal)
                .hex("msg", &msg)
                .value("outlen", outlen)
                .hex("out", &out)
                .valid(),
        );
    }
    let bad: &[(&str, usize, usize, usize, usize)] = &[
        ("65-byte key", 65, 0, 0, 32),
        ("17-byte salt", 32, 17, 0, 32),
        ("17-byte personal", 32, 0, 17, 32),
        ("0-byte digest", 32, 0, 0, 0),
        ("65-byte digest", 32, 0, 0, 65),
    ];
    for &(comment, key_len, salt_len, personal_len, outlen) in bad {
        file.push(
            CaseBuilder::new(comment, &["WrongLength"], &["PRIM-8"])
                .hex("key", random_bytes(&mut rng, key_len))
                .hex("salt", random_bytes(&mut rng, salt_len))
                .hex("personal", random_bytes(&mut rng, personal_len))
                .hex("msg", b"")
                .value("outlen", outlen)
                .invalid("invalid_length"),
        );
    }
    file.finish()
}
