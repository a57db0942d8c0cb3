//! `fs_envelope.json`: every `0xa0` envelope variant decoded and re-encoded, Threema's codec
//! test values, and malformed envelopes with their errors (FS-1 to FS-3).

use prost::Message as _;
use saltrelay_protocol::session::{Envelope, envelope_to_json, pb};

use super::FileBuilder;
use super::common::hex_value;
use super::fs_common::random;
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "fs_envelope.json",
    generate,
    compute,
};

const SEED: u64 = 0x6673_0002;

const THREEMA_TESTS: &str = "threema-ch/threema-android \
    domain/src/test/java/ch/threema/domain/protocol/csp/messages/fs/";

fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    Ok(match Envelope::decode(&case.hex("envelope")?) {
        Ok(envelope) => Computed::Accepted(vec![
            ("decoded", envelope_to_json(&envelope)),
            ("reencoded", hex_value(envelope.encode())),
        ]),
        Err(error) => Computed::Rejected(error.code()),
    })
}

fn push(
    file: &mut FileBuilder,
    comment: &str,
    flags: &[&str],
    refs: &[&str],
    envelope: &pb::Envelope,
) {
    let bytes = envelope.encode_to_vec();
    let builder = CaseBuilder::new(comment, flags, refs).hex("envelope", &bytes);
    let probe = builder.clone().valid();
    let case = match compute(Case(&probe)).expect("well-formed") {
        Computed::Accepted(outputs) => outputs
            .into_iter()
            .fold(builder, |b, (field, value)| b.value(field, value))
            .valid(),
        Computed::Rejected(code) | Computed::RejectedAfter(code, _) => builder.invalid(code),
    };
    file.push(case);
}

fn envelope(session_id: &[u8], content: pb::envelope::Content) -> pb::Envelope {
    pb::Envelope {
        session_id: session_id.to_vec(),
        content: Some(content),
    }
}

fn range(min: u32, max: u32) -> pb::VersionRange {
    pb::VersionRange { min, max }
}

fn group(creator: &str, group_id: u64) -> pb::GroupIdentity {
    pb::GroupIdentity {
        group_id,
        creator_identity: creator.into(),
    }
}

fn encapsulated(
    dh_type: u32,
    counter: u64,
    inner: &[u8],
    versions: (u32, u32),
    group_identity: Option<pb::GroupIdentity>,
) -> pb::envelope::Content {
    pb::envelope::Content::Encapsulated(pb::Encapsulated {
        dh_type,
        counter,
        encrypted_inner: inner.to_vec(),
        offered_version: versions.0,
        applied_version: versions.1,
        group_identity,
    })
}

#[expect(clippy::too_many_lines, reason = "one list of cases")]
fn generate() -> KatFile {
    use pb::envelope::Content as C;
    let mut file = FileBuilder::new(
        "Ibex envelope (0xa0 body): protobuf decode and canonical re-encode",
        SEED,
    )
    .encoding(
        "byte strings are lowercase hex; decoded is the FS-40 JSON form (versions and causes as \
             numbers, absent version ranges normalised to 0x0100..0x0100); reencoded is the \
             canonical encoding (FS-2), equal to envelope when the input is canonical",
    )
    .note("Variant", "one envelope variant, canonically encoded")
    .note(
        "NonCanonical",
        "decodes, but re-encodes to other bytes (FS-2, FS-3)",
    )
    .note(
        "UnknownCause",
        "a cause outside the list is kept as its number (FS-3)",
    )
    .note(
        "Threema",
        "field values from Threema Android's ForwardSecurityData*Test codec tests",
    )
    .note(
        "Malformed",
        "the bytes break an FS-3 rule and are rejected before any session lookup",
    );
    let sid = random(SEED, 1, 16);
    let fssk = random(SEED, 2, 32);
    let inner = random(SEED, 3, 40);
    let v = |refs: &[&'static str]| refs.to_vec();
    let variants: Vec<(&str, C)> = vec![
        (
            "Init with saltrelay's range 0x0100..0x0102",
            C::Init(pb::Init {
                fssk: fssk.clone(),
                supported_version: Some(range(0x0100, 0x0102)),
            }),
        ),
        (
            "Accept with saltrelay's range",
            C::Accept(pb::Accept {
                fssk: fssk.clone(),
                supported_version: Some(range(0x0100, 0x0102)),
            }),
        ),
        (
            "Reject STATE_MISMATCH, 1:1",
            C::Reject(pb::Reject {
                message_id: 0x0123_4567_89ab_cdef,
                cause: 0,
                group_identity: None,
            }),
        ),
        (
            "Reject UNKNOWN_SESSION for a group message",
            C::Reject(pb::Reject {
                message_id: 42,
                cause: 1,
                group_identity: Some(group("GRPCRE01", 0x1122_3344_5566_7788)),
            }),
        ),
        (
            "Reject DISABLED_BY_LOCAL",
            C::Reject(pb::Reject {
                message_id: 7,
                cause: 2,
                group_identity: None,
            }),
        ),
        ("Terminate RESET", C::Terminate(pb::Terminate { cause: 1 })),
        (
            "Terminate DISABLED_BY_LOCAL",
            C::Terminate(pb::Terminate { cause: 2 }),
        ),
        (
            "Terminate DISABLED_BY_REMOTE",
            C::Terminate(pb::Terminate { cause: 3 }),
        ),
        (
            "Encapsulated 2DH counter 1 at 0x0100",
            encapsulated(0, 1, &inner, (0x0100, 0x0100), None),
        ),
        (
            "Encapsulated 4DH counter 300 at 0x0102",
            encapsulated(1, 300, &inner, (0x0102, 0x0102), None),
        ),
        (
            "Encapsulated 4DH group message under 0x0102",
            encapsulated(1, 2, &inner, (0x0102, 0x0102), Some(group("GRPCRE01", 99))),
        ),
    ];
    for (comment, content) in variants {
        push(
            &mut file,
            comment,
            &["Variant"],
            &v(&["FS-1", "FS-2", "FS-3"]),
            &envelope(&sid, content),
        );
    }
    push(
        &mut file,
        "Terminate UNKNOWN_SESSION: cause 0 is the default, the Terminate is empty",
        &["Variant"],
        &["FS-1", "FS-2"],
        &envelope(&sid, C::Terminate(pb::Terminate { cause: 0 })),
    );
    push(
        &mut file,
        "Terminate with cause 9, unknown",
        &["UnknownCause"],
        &["FS-3"],
        &envelope(&sid, C::Terminate(pb::Terminate { cause: 9 })),
    );
    push(
        &mut file,
        "Reject with cause 5, unknown",
        &["UnknownCause"],
        &["FS-3"],
        &envelope(
            &sid,
            C::Reject(pb::Reject {
                message_id: 1,
                cause: 5,
                group_identity: None,
            }),
        ),
    );
    push(
        &mut file,
        "Init without a version range: 0x0100..0x0100",
        &["NonCanonical"],
        &["FS-3"],
        &envelope(
            &sid,
            C::Init(pb::Init {
                fssk: fssk.clone(),
                supported_version: None,
            }),
        ),
    );
    push(
        &mut file,
        "Encapsulated with versions 0: kept as 0, the receiver normalises them (FS-13)",
        &["Variant"],
        &["FS-2", "FS-13"],
        &envelope(&sid, encapsulated(0, 1, &inner, (0, 0), None)),
    );
    // Threema's codec tests: their session IDs are random; ours is fixed.
    let threema_fssk: Vec<u8> = (0u8..32).collect();
    push(
        &mut file,
        &format!(
            "{THREEMA_TESTS}ForwardSecurityDataInitTest.java: FSSK 00..1f, default (empty) VersionRange"
        ),
        &["Threema", "NonCanonical"],
        &["FS-1", "FS-3"],
        &envelope(
            &sid,
            C::Init(pb::Init {
                fssk: threema_fssk.clone(),
                supported_version: Some(range(0, 0)),
            }),
        ),
    );
    push(
        &mut file,
        &format!("{THREEMA_TESTS}ForwardSecurityDataAcceptTest.java: FSSK 00..1f"),
        &["Threema", "NonCanonical"],
        &["FS-1", "FS-3"],
        &envelope(
            &sid,
            C::Accept(pb::Accept {
                fssk: threema_fssk,
                supported_version: Some(range(0, 0)),
            }),
        ),
    );
    push(
        &mut file,
        &format!(
            "{THREEMA_TESTS}ForwardSecurityDataRejectTest.java: cause UNKNOWN_SESSION with an empty GroupIdentity, read as absent"
        ),
        &["Threema", "NonCanonical"],
        &["FS-3"],
        &envelope(
            &sid,
            C::Reject(pb::Reject {
                message_id: 0x0102_0304_0506_0708,
                cause: 1,
                group_identity: Some(group("", 0)),
            }),
        ),
    );
    push(
        &mut file,
        &format!(
            "{THREEMA_TESTS}ForwardSecurityDataTerminateTest.java: empty Terminate (cause UNKNOWN_SESSION)"
        ),
        &["Threema"],
        &["FS-1"],
        &envelope(&sid, C::Terminate(pb::Terminate { cause: 0 })),
    );
    push(
        &mut file,
        &format!(
            "{THREEMA_TESTS}ForwardSecurityDataMessageTest.java: 4DH, counter 1, offered 0x0101, applied 0x0100, inner 01 48 65 6c 6c 6f; 6 bytes cannot hold a tag, so saltrelay's decoder refuses what Threema's codec test round-trips"
        ),
        &["Threema", "Malformed"],
        &["FS-3"],
        &envelope(
            &sid,
            encapsulated(
                1,
                1,
                &[0x01, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
                (0x0101, 0x0100),
                None,
            ),
        ),
    );
    // Malformed.
    let mut malformed = |comment: &str, bytes: Vec<u8>| {
        let case = CaseBuilder::new(comment, &["Malformed"], &["FS-3"]).hex("envelope", &bytes);
        let probe = case.clone().valid();
        let Ok(Computed::Rejected(code)) = compute(Case(&probe)) else {
            panic!("{comment} must be rejected");
        };
        file.push(case.invalid(code));
    };
    malformed("not protobuf: a truncated varint", vec![0x08]);
    malformed(
        "not protobuf: a length beyond the end",
        vec![0x0a, 0x20, 0x00],
    );
    let good = envelope(&sid, C::Terminate(pb::Terminate { cause: 1 })).encode_to_vec();
    malformed(
        "not protobuf: the last byte cut off",
        good.get(..good.len() - 1).unwrap_or_default().to_vec(),
    );
    malformed(
        "session ID of 15 bytes",
        envelope(&sid[..15], C::Terminate(pb::Terminate { cause: 1 })).encode_to_vec(),
    );
    malformed(
        "session ID of 17 bytes",
        envelope(
            &[sid.clone(), vec![0]].concat(),
            C::Terminate(pb::Terminate { cause: 1 }),
        )
        .encode_to_vec(),
    );
    malformed(
        "no content variant",
        pb::Envelope {
            session_id: sid.clone(),
            content: None,
        }
        .encode_to_vec(),
    );
    malformed(
        "an unknown content field 7 only",
        [
            pb::Envelope {
                session_id: sid.clone(),
                content: None,
            }
            .encode_to_vec(),
            vec![0x3a, 0x00],
        ]
        .concat(),
    );
    malformed(
        "Init FSSK of 31 bytes",
        envelope(
            &sid,
            C::Init(pb::Init {
                fssk: fssk[..31].to_vec(),
                supported_version: Some(range(0x0100, 0x0102)),
            }),
        )
        .encode_to_vec(),
    );
    malformed(
        "Accept without FSSK",
        envelope(
            &sid,
            C::Accept(pb::Accept {
                fssk: Vec::new(),
                supported_version: Some(range(0x0100, 0x0102)),
            }),
        )
        .encode_to_vec(),
    );
    malformed(
        "Encapsulated DH type 2",
        envelope(&sid, encapsulated(2, 1, &inner, (0x0102, 0x0102), None)).encode_to_vec(),
    );
    malformed(
        "Encapsulated inner of 15 bytes",
        envelope(
            &sid,
            encapsulated(1, 1, &inner[..15], (0x0102, 0x0102), None),
        )
        .encode_to_vec(),
    );
    malformed(
        "group identity with creator \"abc\"",
        envelope(
            &sid,
            encapsulated(1, 1, &inner, (0x0102, 0x0102), Some(group("abc", 1))),
        )
        .encode_to_vec(),
    );
    file.finish()
}
