//! `identity_parse.json`: which 8-byte strings are identities (ID-1 to ID-3).

use saltrelay_protocol::identity::Identity;

use super::FileBuilder;
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "identity_parse.json",
    generate,
    compute,
};

fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let input = case.hex("input")?;
    Ok(match Identity::from_bytes(&input) {
        Ok(identity) => Computed::Accepted(vec![
            ("identity", identity.as_str().into()),
            ("gateway", identity.is_gateway().into()),
        ]),
        Err(error) => Computed::Rejected(error.code()),
    })
}

fn generate() -> KatFile {
    let mut file = FileBuilder::new(
        "Identity strings: 8 ASCII bytes, 0-9 and A-Z, '*' allowed first (gateway)",
        0,
    )
    .encoding("input is the raw bytes as lowercase hex; identity is the accepted string");
    let valid: &[(&str, &str, &[&str])] = &[
        ("ECHOECHO", "ordinary identity", &["Normal"]),
        ("0123ABCD", "digits and letters", &["Normal"]),
        ("99999999", "all digits", &["Normal"]),
        ("ZZZZZZZZ", "all letters", &["Normal"]),
        ("*THREEMA", "gateway identity", &["Gateway"]),
        ("*3MAPUSH", "gateway identity with digits", &["Gateway"]),
    ];
    for &(id, comment, flags) in valid {
        file.push(
            CaseBuilder::new(comment, flags, &["ID-1", "ID-2"])
                .hex("input", id)
                .value("identity", id)
                .value("gateway", id.starts_with('*'))
                .valid(),
        );
    }
    let invalid: &[(&[u8], &str, &[&str], &str)] = &[
        (b"", "empty", &["WrongLength"], "id_wrong_length"),
        (b"ECHOECH", "7 characters", &["WrongLength"], "id_wrong_length"),
        (b"ECHOECHOE", "9 characters", &["WrongLength"], "id_wrong_length"),
        (b"ECHOECHO\n", "trailing newline", &["WrongLength"], "id_wrong_length"),
        (b"echoecho", "all lowercase", &["Lowercase"], "id_lowercase"),
        (b"ECHOECHo", "last letter lowercase", &["Lowercase"], "id_lowercase"),
        (b"ECHO ECH", "space", &["InvalidCharacter"], "id_invalid_character"),
        (b"ECHO-ECH", "dash", &["InvalidCharacter"], "id_invalid_character"),
        (b"ECHO*ECH", "'*' after the first position", &["InvalidCharacter"], "id_invalid_character"),
        (b"**THREEM", "two gateway markers", &["InvalidCharacter", "Gateway"], "id_invalid_character"),
        (b"ECHOECH\0", "NUL byte", &["InvalidCharacter"], "id_invalid_character"),
        ("\u{c4}CHOECH".as_bytes(), "'\u{c4}' (2 UTF-8 bytes) in 8 bytes", &["NonAscii", "InvalidCharacter"], "id_invalid_character"),
        (b"\xffCHOECHO", "byte 0xff", &["NonAscii", "InvalidCharacter"], "id_invalid_character"),
    ];
    for &(input, comment, flags, error) in invalid {
        file.push(
            CaseBuilder::new(comment, flags, &["ID-1", "ID-3"])
                .hex("input", input)
                .invalid(error),
        );
    }
    file.finish()
}
