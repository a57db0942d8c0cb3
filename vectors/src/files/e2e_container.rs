//! `e2e_container.json`: the padding rule and padding removal of the container (E2E-2 to E2E-4).
#![allow(
    clippy::too_many_lines,
    clippy::type_complexity,
    clippy::similar_names,
    reason = "vector tables read best as one table, one case per row"
)]

use saltrelay_protocol::e2e::{self, E2eError};

use super::FileBuilder;
use super::common::hex_value;
use super::e2e_common::e2e_outcome;
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;
use crate::rng::{RecordingRng, seeded_rng};

pub(crate) const FILE: VectorFile = VectorFile {
    name: "e2e_container.json",
    generate,
    compute,
};

const SEED: u64 = 0x6532_6500_0001;

/// Draw cases: `randomBytes` and `bodyLength` give `paddingLength`. Split cases: `container`
/// gives `typeCode`, `body`, `paddingLength` and the `canonical` re-encoding.
fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    if case.has("randomBytes") {
        let bytes = case.hex("randomBytes")?;
        let body_len = usize::try_from(case.u64("bodyLength")?).unwrap_or(usize::MAX);
        let mut rng = crate::rng::ReplayRng::new(&bytes);
        let pad = e2e::draw_padding_length(&mut rng, body_len);
        let used = rng.used_exactly();
        return Ok(Computed::Accepted(vec![
            ("paddingLength", pad.into()),
            ("allBytesUsed", used.into()),
        ]));
    }
    let container = case.hex("container")?;
    Ok(e2e_outcome(e2e::split_container(&container).map(
        |(type_code, body, pad)| {
            let mut canonical = vec![type_code];
            canonical.extend_from_slice(body);
            canonical.resize(canonical.len() + usize::from(pad), pad);
            vec![
                ("typeCode", type_code.into()),
                ("body", hex_value(body)),
                ("paddingLength", pad.into()),
                ("canonical", hex_value(canonical)),
            ]
        },
    )))
}

fn split_case(comment: &str, flags: &[&str], refs: &[&str], container: &[u8]) -> CaseBuilder {
    CaseBuilder::new(comment, flags, refs).hex("container", container)
}

fn generate() -> KatFile {
    let mut rng = RecordingRng::new(seeded_rng(SEED));
    let mut file = FileBuilder::new(
        "E2E container: PKCS#7-style padding, 32-byte minimum, removal by the last byte",
        SEED,
    )
    .note(
        "PaddingDraw",
        "the padding length drawn from recorded random bytes (E2E-3)",
    )
    .note(
        "ZeroByteDiscarded",
        "the random stream holds a zero byte that the draw discards",
    )
    .note(
        "MinimumPadding",
        "the padding is raised to reach 32 bytes of padded data",
    )
    .note(
        "PadBytesIgnored",
        "pad bytes differ from the length byte; only the last byte counts",
    )
    .note(
        "ShortPaddedData",
        "padded data under 32 bytes, as Threema Android can send; accepted",
    )
    .note("BadPadding", "the container's padding is malformed (E2E-4)");
    for body_len in [0usize, 5, 31, 32, 100, 7812] {
        let _ = rng.take_recorded();
        let pad = e2e::draw_padding_length(&mut rng, body_len);
        let bytes = rng.take_recorded();
        let mut flags = vec!["PaddingDraw"];
        if usize::from(pad) + body_len == 32 && body_len < 32 {
            flags.push("MinimumPadding");
        }
        file.push(
            CaseBuilder::new(
                &format!("draw for a {body_len}-byte body"),
                &flags,
                &["E2E-3"],
            )
            .hex("randomBytes", &bytes)
            .value("bodyLength", body_len)
            .value("paddingLength", pad)
            .value("allBytesUsed", true)
            .valid(),
        );
    }
    file.push(
        CaseBuilder::new(
            "zero bytes are discarded",
            &["PaddingDraw", "ZeroByteDiscarded"],
            &["E2E-3"],
        )
        .hex("randomBytes", [0, 0, 200])
        .value("bodyLength", 40)
        .value("paddingLength", 200)
        .value("allBytesUsed", true)
        .valid(),
    );
    let valid: Vec<(&str, &[&str], Vec<u8>, u8, &[u8])> = vec![
        (
            "text, 29 bytes of padding",
            &["Normal"],
            [&[1u8, b'a', b'b', b'c'][..], &[29; 29]].concat(),
            1,
            b"abc",
        ),
        (
            "empty body, 32 bytes of padding",
            &["MinimumPadding"],
            [&[0x19u8][..], &[32; 32]].concat(),
            0x19,
            b"",
        ),
        (
            "maximum padding 255",
            &["Normal"],
            [&[1u8, b'x'][..], &[255; 255]].concat(),
            1,
            b"x",
        ),
        (
            "minimum padding 1 after a 40-byte body",
            &["Normal"],
            [&[1u8][..], &[b'y'; 40], &[1]].concat(),
            1,
            &[b'y'; 40],
        ),
        (
            "pad bytes not equal to the length byte",
            &["PadBytesIgnored"],
            [&[1u8, b'h', b'i'][..], &[0xaa; 29], &[30]].concat(),
            1,
            b"hi",
        ),
        (
            "padded data of 31 bytes (Android)",
            &["ShortPaddedData"],
            [&[1u8, b'z'][..], &[30; 30]].concat(),
            1,
            b"z",
        ),
        (
            "container of type byte and one pad byte",
            &["ShortPaddedData"],
            vec![0x1a, 1],
            0x1a,
            b"",
        ),
    ];
    for (comment, flags, container, type_code, body) in valid {
        let pad = *container.last().expect("non-empty");
        let mut canonical = vec![type_code];
        canonical.extend_from_slice(body);
        canonical.resize(canonical.len() + usize::from(pad), pad);
        file.push(
            split_case(comment, flags, &["E2E-2", "E2E-4"], &container)
                .value("typeCode", type_code)
                .hex("body", body)
                .value("paddingLength", pad)
                .hex("canonical", canonical)
                .valid(),
        );
    }
    let invalid: Vec<(&str, Vec<u8>, E2eError)> = vec![
        (
            "empty container",
            vec![],
            E2eError::ContainerTooShort { len: 0 },
        ),
        (
            "only the type byte",
            vec![1],
            E2eError::ContainerTooShort { len: 1 },
        ),
        (
            "padding length byte 0",
            [&[1u8, b'a'][..], &[0; 31]].concat(),
            E2eError::PaddingZero,
        ),
        (
            "padding longer than the data",
            [&[1u8][..], &[40; 32]].concat(),
            E2eError::PaddingTooLong {
                pad: 40,
                available: 32,
            },
        ),
        (
            "padding reaches the type byte",
            vec![1, 2],
            E2eError::PaddingTooLong {
                pad: 2,
                available: 1,
            },
        ),
    ];
    for (comment, container, error) in invalid {
        file.push(
            split_case(comment, &["BadPadding"], &["E2E-4"], &container).invalid(error.code()),
        );
    }
    file.finish()
}
