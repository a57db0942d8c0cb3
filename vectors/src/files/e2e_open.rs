//! `e2e_open.json`: opening message boxes the sender built by hand: lenient cases that must be
//! accepted and every rejection of the box, the padding and the bodies (E2E-4 to E2E-37).
#![allow(
    clippy::too_many_lines,
    clippy::type_complexity,
    clippy::similar_names,
    reason = "vector tables read best as one table, one case per row"
)]

use saltrelay_protocol::crypto::{Nonce, SecretKey};
use saltrelay_protocol::e2e;

use super::FileBuilder;
use super::common::{flip_bit, hex_value};
use super::e2e_common::{Parties, case_keys, case_nonce, e2e_outcome};
use crate::KatFile;
use crate::case::{Case, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::seeded_rng;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "e2e_open.json",
    generate,
    compute,
};

const SEED: u64 = 0x6532_6500_0003;

/// Opens `box` as the recipient → `plaintext` (the container) and `opened`.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    let keys = case_keys(case)?;
    let nonce = case_nonce(case, "nonce")?;
    let sealed = case.hex("box")?;
    Ok(e2e_outcome((|| {
        let (_, opener) = keys?;
        let nonce = nonce?;
        let plaintext = opener.open(&nonce, &sealed)?;
        let opened = e2e::decode_container(&plaintext)?;
        Ok(vec![
            ("plaintext", hex_value(&plaintext)),
            ("opened", e2e::opened_to_json(&opened)),
        ])
    })()))
}

/// `type || body || padding` with the canonical padding of E2E-3 for a drawn byte of 1.
fn container(type_code: u8, body: &[u8]) -> Vec<u8> {
    let pad = u8::try_from(32usize.saturating_sub(body.len()).max(1)).expect("at most 32");
    let mut out = vec![type_code];
    out.extend_from_slice(body);
    out.resize(out.len() + usize::from(pad), pad);
    out
}

#[expect(clippy::too_many_lines, reason = "one table of hand-built containers")]
fn generate() -> KatFile {
    let mut rng = seeded_rng(SEED);
    let parties = Parties::generate(&mut rng);
    let stranger = SecretKey::generate(&mut rng);
    let key = parties.key();
    let mut file = FileBuilder::new(
        "E2E message boxes built by hand: lenient decoding and every rejection",
        SEED,
    )
    .note(
        "UnknownType",
        "a type code this layer does not interpret: kept as type and body",
    )
    .note(
        "NonCanonicalJson",
        "a JSON body with whitespace; accepted, the JSON form is the same",
    )
    .note(
        "PadBytesIgnored",
        "pad bytes differ from the length byte; only the last byte counts",
    )
    .note(
        "ShortPaddedData",
        "padded data under 32 bytes, as Threema Android can send; accepted",
    )
    .note("BadPadding", "the container's padding is malformed (E2E-4)")
    .note("BadBody", "the body breaks its type's rules")
    .note("BadJson", "a JSON body is not JSON of the required shape")
    .note("Oversize", "a body over its limit");
    let creator = b"CREATOR1";
    let gid = [0xa1u8; 8];
    let file_body = br#"{ "b" : "00112233445566778899AABBCCDDEEFF", "k":"3333333333333333333333333333333333333333333333333333333333333333", "m":"text/plain", "s":3, "t":null }"#;
    let valid: Vec<(&str, &[&str], &[&str], Vec<u8>)> = vec![
        (
            "deprecated video 0x13 is kept as unknown",
            &["UnknownType"],
            &["E2E-7"],
            container(0x13, &[7; 62]),
        ),
        (
            "type 0xff is kept as unknown",
            &["UnknownType"],
            &["E2E-7"],
            container(0xff, b"legacy"),
        ),
        (
            "file JSON with whitespace, uppercase hex, null thumbnail",
            &["NonCanonicalJson"],
            &["E2E-13", "E2E-14"],
            container(0x17, file_body),
        ),
        (
            "pad bytes differ from the length byte",
            &["PadBytesIgnored"],
            &["E2E-4"],
            [&[1u8, b'o', b'k'][..], &[0; 29], &[30]].concat(),
        ),
        (
            "31 bytes of padded data",
            &["ShortPaddedData"],
            &["E2E-4"],
            [&[1u8, b'!'][..], &[30; 30]].concat(),
        ),
        (
            "location with integer coordinates",
            &["Normal"],
            &["E2E-10"],
            container(0x10, b"47,8"),
        ),
        (
            "location escaped line break in the address",
            &["Normal"],
            &["E2E-10"],
            container(0x10, b"1.5,2.5,3\nHome\nStreet 1\\nTown"),
        ),
    ];
    let reaction_without_action = [&[0x09u8][..], &[1; 8]].concat();
    let short_gck = [&[0x08u8, 0x01, 0x12, 0x10][..], &[9; 16]].concat();
    let invalid: Vec<(&str, &[&str], &[&str], Vec<u8>, &str)> = vec![
        ("only the type byte", &["BadPadding"], &["E2E-4"], vec![1], "container_too_short"),
        ("padding length byte 0", &["BadPadding"], &["E2E-4"], [&[1u8, b'a'][..], &[0; 31]].concat(), "padding_zero"),
        ("padding longer than the data", &["BadPadding"], &["E2E-4"], [&[1u8][..], &[33; 32]].concat(), "padding_too_long"),
        ("text not UTF-8", &["BadBody"], &["E2E-8"], container(0x01, &[0xc3, 0x28]), "invalid_utf8"),
        ("text of 6001 bytes", &["Oversize"], &["E2E-8"], container(0x01, &[b'x'; 6001]), "text_too_long"),
        ("deprecated image of 43 bytes", &["BadBody"], &["E2E-9"], container(0x02, &[1; 43]), "invalid_body_length"),
        ("location latitude 91", &["BadBody"], &["E2E-10"], container(0x10, b"91,0"), "invalid_location"),
        ("location of four lines", &["BadBody"], &["E2E-10"], container(0x10, b"1,2\na\nb\nc"), "invalid_location"),
        ("poll vote creator in lowercase", &["BadBody"], &["E2E-12"], container(0x16, &[&b"echoecho"[..], &[1; 8], b"[]"].concat()), "invalid_identity"),
        ("poll vote choice flag 2", &["BadJson"], &["E2E-12"], container(0x16, &[&b"ECHOECHO"[..], &[1; 8], b"[[1,2]]"].concat()), "invalid_poll"),
        ("poll setup body not JSON", &["BadJson"], &["E2E-11", "E2E-14"], container(0x15, &[&[1u8; 8][..], b"{\"d\":"].concat()), "invalid_json"),
        ("file JSON truncated", &["BadJson"], &["E2E-14"], container(0x17, br#"{"b":"00""#), "invalid_json"),
        ("file JSON is a list", &["BadJson"], &["E2E-14"], container(0x17, b"[1,2]"), "invalid_json"),
        ("file without media type", &["BadJson"], &["E2E-13"], container(0x17, br#"{"b":"00112233445566778899aabbccddeeff","k":"3333333333333333333333333333333333333333333333333333333333333333","s":1}"#), "invalid_file_message"),
        ("file with a 15-byte blob ID", &["BadJson"], &["E2E-13"], container(0x17, br#"{"b":"00112233445566778899aabbccddee","k":"3333333333333333333333333333333333333333333333333333333333333333","m":"a","s":1}"#), "invalid_file_message"),
        ("contact delete profile picture with a body", &["BadBody"], &["E2E-7", "E2E-16"], container(0x19, &[0]), "invalid_body_length"),
        ("call offer not JSON", &["BadJson"], &["E2E-17"], container(0x60, b"offer"), "invalid_json"),
        ("call answer a JSON list", &["BadJson"], &["E2E-17"], container(0x61, b"[]"), "invalid_json"),
        ("receipt with a status only", &["BadBody"], &["E2E-18"], container(0x80, &[1]), "invalid_body_length"),
        ("receipt with 12 bytes", &["BadBody"], &["E2E-18"], container(0x80, &[1; 12]), "invalid_body_length"),
        ("receipt status 5", &["BadBody"], &["E2E-18"], container(0x80, &[5; 9]), "invalid_receipt_status"),
        ("typing indicator 2", &["BadBody"], &["E2E-19"], container(0x90, &[2]), "invalid_typing_indicator"),
        ("typing indicator of 2 bytes", &["BadBody"], &["E2E-19"], container(0x90, &[1, 1]), "invalid_body_length"),
        ("reaction not protobuf", &["BadBody"], &["E2E-34", "E2E-35"], container(0x82, &[0xff]), "invalid_protobuf"),
        ("reaction without apply or withdraw", &["BadBody"], &["E2E-35"], container(0x82, &reaction_without_action), "invalid_protobuf"),
        ("reaction emoji not UTF-8", &["BadBody"], &["E2E-35"], container(0x82, &[&reaction_without_action[..], &[0x12, 1, 0xff]].concat()), "invalid_utf8"),
        ("group text shorter than its container", &["BadBody"], &["E2E-20"], container(0x41, b"CREATOR1abc"), "invalid_body_length"),
        ("group text creator in lowercase", &["BadBody"], &["E2E-20"], container(0x41, &[&b"creator1"[..], &gid, b"hi"].concat()), "invalid_identity"),
        ("group leave with a body", &["BadBody"], &["E2E-21"], container(0x4c, &[&creator[..], &gid, b"x"].concat()), "invalid_body_length"),
        ("group call start with a 16-byte key", &["BadBody"], &["E2E-37"], container(0x4f, &[&creator[..], &gid, &short_gck].concat()), "invalid_protobuf"),
        ("group setup of 12 bytes", &["BadBody"], &["E2E-22"], container(0x4a, &[&gid[..], b"ECHOECHOABCD"].concat()), "invalid_body_length"),
        ("group name not UTF-8", &["BadBody"], &["E2E-22"], container(0x4b, &[&gid[..], &[0xff]].concat()), "invalid_utf8"),
    ];
    for (comment, flags, refs, plaintext) in valid {
        let nonce = Nonce::random(&mut rng);
        let sealed = key.seal(&nonce, &plaintext);
        let opened = e2e::decode_container(&plaintext).expect("valid by construction");
        file.push(
            parties
                .case(comment, flags, refs)
                .hex("nonce", nonce.as_bytes())
                .hex("box", sealed)
                .hex("plaintext", &plaintext)
                .value("opened", e2e::opened_to_json(&opened))
                .valid(),
        );
    }
    for (comment, flags, refs, plaintext, error) in invalid {
        let nonce = Nonce::random(&mut rng);
        file.push(
            parties
                .case(comment, flags, refs)
                .hex("nonce", nonce.as_bytes())
                .hex("box", key.seal(&nonce, &plaintext))
                .hex("plaintext", &plaintext)
                .invalid(error),
        );
    }
    let nonce = Nonce::random(&mut rng);
    let plaintext = container(0x01, b"authentic");
    let sealed = key.seal(&nonce, &plaintext);
    let box_cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "tag bit flipped",
            "ModifiedTag",
            flip_bit(&sealed, 5, 1),
            "auth_failed",
        ),
        (
            "ciphertext bit flipped",
            "ModifiedCiphertext",
            flip_bit(&sealed, 20, 0),
            "auth_failed",
        ),
        (
            "box cut to 20 bytes",
            "Truncated",
            sealed[..20].to_vec(),
            "auth_failed",
        ),
        (
            "box cut to 10 bytes",
            "Truncated",
            sealed[..10].to_vec(),
            "truncated_box",
        ),
    ];
    for (comment, flag, bad, error) in box_cases {
        file.push(
            parties
                .case(comment, &[flag], &["E2E-5", "PRIM-7"])
                .hex("nonce", nonce.as_bytes())
                .hex("box", bad)
                .hex("plaintext", &plaintext)
                .invalid(error),
        );
    }
    file.push(stranger_case(
        &parties, &stranger, &nonce, &sealed, &plaintext,
    ));
    file.finish()
}

/// The recipient's secret key replaced by a stranger's: the box does not open (E2E-5).
fn stranger_case(
    parties: &Parties,
    stranger: &SecretKey,
    nonce: &Nonce,
    sealed: &[u8],
    plaintext: &[u8],
) -> serde_json::Map<String, serde_json::Value> {
    crate::case::CaseBuilder::new(
        "opened with a stranger's secret key",
        &["WrongKey"],
        &["E2E-5"],
    )
    .hex("senderPrivate", parties.sender.expose_secret())
    .hex("senderPublic", parties.sender.public_key().as_bytes())
    .hex("recipientPrivate", stranger.expose_secret())
    .hex("recipientPublic", parties.recipient.public_key().as_bytes())
    .hex("nonce", nonce.as_bytes())
    .hex("box", sealed)
    .hex("plaintext", plaintext)
    .invalid("auth_failed")
}
