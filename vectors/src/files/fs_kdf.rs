//! `fs_kdf.json`: 2DH and 4DH roots from both sides, and chains at chosen counters, including
//! Threema Android's `KDFRatchetTest` values (FS-6 to FS-10, FS-50).

use saltrelay_protocol::crypto::{BoxKey, blake2b};
use saltrelay_protocol::session::SKIP_LIMIT;
use saltrelay_protocol::session::keys::{Chain, ChainKey, FourDh, root_2dh, roots_4dh};
use serde_json::Value;

use super::FileBuilder;
use super::common::hex_value;
use super::fs_common::{ALICE, BOB, identity, random, secret};
use crate::KatFile;
use crate::case::{Case, CaseBuilder, Malformed};
use crate::check::Computed;
use crate::registry::VectorFile;

pub(crate) const FILE: VectorFile = VectorFile {
    name: "fs_kdf.json",
    generate,
    compute,
};

const SEED: u64 = 0x6673_0001;

/// Threema Android `domain/src/test/java/ch/threema/domain/fs/KDFRatchetTest.java`.
const THREEMA_INITIAL: &str = "421e73cf324785dee4c4830f2efbb8cd4b258ed8520a608a6ce340aaa7400024";
const THREEMA_SOURCE: &str = "threema-ch/threema-android \
    domain/src/test/java/ch/threema/domain/fs/KDFRatchetTest.java (HEAD e2defbb)";

fn compute(case: Case<'_>) -> Result<Computed, Malformed> {
    match case.str("kind")? {
        "roots" => roots(case),
        "chain" => chain(case),
        _ => Err(Malformed::new("kind", "roots or chain")),
    }
}

fn dh(
    secret_hex: &[u8],
    field: &str,
    public: &saltrelay_protocol::crypto::PublicKey,
) -> Result<BoxKey, Malformed> {
    BoxKey::derive(&secret(secret_hex, field)?, public)
        .map_err(|_| Malformed::new(field, "small order"))
}

/// Both sides' roots from the four secrets; each side computes from its own secrets only.
#[expect(
    clippy::similar_names,
    reason = "the spec's names: ss, es, se, ee per side"
)]
fn roots(case: Case<'_>) -> Result<Computed, Malformed> {
    let alice = identity(case.str("initiator")?, "initiator")?;
    let bob = identity(case.str("responder")?, "responder")?;
    let (ck_i, ck_r) = (case.hex("initiatorSecret")?, case.hex("responderSecret")?);
    let (fssk_i, fssk_r) = (case.hex("initiatorFssk")?, case.hex("responderFssk")?);
    let public = |bytes: &[u8], field| secret(bytes, field).map(|s| s.public_key());
    let (ck_i_pub, ck_r_pub) = (
        public(&ck_i, "initiatorSecret")?,
        public(&ck_r, "responderSecret")?,
    );
    let (fssk_i_pub, fssk_r_pub) = (
        public(&fssk_i, "initiatorFssk")?,
        public(&fssk_r, "responderFssk")?,
    );
    // Initiator's side.
    let ss = dh(&ck_i, "initiatorSecret", &ck_r_pub)?;
    let es = dh(&fssk_i, "initiatorFssk", &ck_r_pub)?;
    let se = dh(&ck_i, "initiatorSecret", &fssk_r_pub)?;
    let ee = dh(&fssk_i, "initiatorFssk", &fssk_r_pub)?;
    let two = root_2dh(alice, &ss, &es);
    let four = FourDh {
        static_static: &ss,
        initiator_ephemeral_static: &es,
        initiator_static_ephemeral: &se,
        ephemeral_ephemeral: &ee,
    };
    let (i_local, i_remote) = roots_4dh(&four, alice, bob);
    // Responder's side.
    let r_ss = dh(&ck_r, "responderSecret", &ck_i_pub)?;
    let r_es = dh(&ck_r, "responderSecret", &fssk_i_pub)?;
    let r_se = dh(&fssk_r, "responderFssk", &ck_i_pub)?;
    let r_ee = dh(&fssk_r, "responderFssk", &fssk_i_pub)?;
    let r_two = root_2dh(alice, &r_ss, &r_es);
    let (r_local, r_remote) = roots_4dh(
        &FourDh {
            static_static: &r_ss,
            initiator_ephemeral_static: &r_es,
            initiator_static_ephemeral: &r_se,
            ephemeral_ephemeral: &r_ee,
        },
        bob,
        alice,
    );
    let agree = two.expose_secret() == r_two.expose_secret()
        && i_local.expose_secret() == r_remote.expose_secret()
        && i_remote.expose_secret() == r_local.expose_secret();
    if !agree {
        return Err(Malformed::new("roots", "the two sides disagree"));
    }
    let mut dh_input = Vec::new();
    for key in [&ss, &es, &se, &ee] {
        dh_input.extend_from_slice(key.expose_secret());
    }
    let mut hash = [0u8; 64];
    blake2b(&mut hash, &[], &[], &[], &dh_input).expect("fixed lengths");
    // FS-50 E1: what the text's reading (64 bytes as the input, unkeyed) would give.
    let mut text_reading = [0u8; 32];
    let salt = format!("ke-2dh-{alice}");
    blake2b(
        &mut text_reading,
        &[],
        salt.as_bytes(),
        b"3ma-e2e",
        dh_input.get(..64).unwrap_or_default(),
    )
    .expect("fixed lengths");
    Ok(Computed::Accepted(vec![
        ("initiatorPublic", hex_value(ck_i_pub.as_bytes())),
        ("responderPublic", hex_value(ck_r_pub.as_bytes())),
        ("initiatorFsskPublic", hex_value(fssk_i_pub.as_bytes())),
        ("responderFsskPublic", hex_value(fssk_r_pub.as_bytes())),
        ("dhStaticStatic", hex_value(ss.expose_secret())),
        ("dhInitiatorEphemeralStatic", hex_value(es.expose_secret())),
        ("dhInitiatorStaticEphemeral", hex_value(se.expose_secret())),
        ("dhEphemeralEphemeral", hex_value(ee.expose_secret())),
        ("root2dh", hex_value(two.expose_secret())),
        ("root2dhTextReading", hex_value(text_reading)),
        ("hash4dh", hex_value(hash)),
        ("root4dhInitiator", hex_value(i_local.expose_secret())),
        ("root4dhResponder", hex_value(i_remote.expose_secret())),
    ]))
}

/// A chain ratcheted from `startCounter` to `targetCounter` (FS-9, FS-10).
fn chain(case: Case<'_>) -> Result<Computed, Malformed> {
    let key: [u8; 32] = case
        .hex("chainKey")?
        .try_into()
        .map_err(|_| Malformed::new("chainKey", "not 32 bytes"))?;
    let start = Chain::new(ChainKey::from_bytes(key), case.u64("startCounter")?);
    Ok(match start.ratcheted_to(case.u64("targetCounter")?) {
        Ok(chain) => Computed::Accepted(vec![
            ("targetChainKey", hex_value(chain.key().expose_secret())),
            (
                "targetMessageKey",
                hex_value(chain.message_key().expose_secret()),
            ),
            (
                "nextChainKey",
                hex_value(chain.key().next().expose_secret()),
            ),
        ]),
        Err(error) => Computed::Rejected(error.code()),
    })
}

fn roots_case(comment: &str, stream: u64) -> serde_json::Map<String, Value> {
    let bytes = random(SEED, stream, 128);
    let part = |i: usize| bytes.get(i * 32..(i + 1) * 32).expect("128 bytes").to_vec();
    let mut builder = CaseBuilder::new(comment, &["Roots"], &["FS-6", "FS-7", "FS-50"])
        .value("kind", "roots")
        .value("initiator", ALICE)
        .value("responder", BOB)
        .hex("initiatorSecret", part(0))
        .hex("responderSecret", part(1))
        .hex("initiatorFssk", part(2))
        .hex("responderFssk", part(3));
    let case = builder.clone().valid();
    let Ok(Computed::Accepted(outputs)) = roots(Case(&case)) else {
        panic!("random keys give roots");
    };
    for (field, value) in outputs {
        builder = builder.value(field, value);
    }
    builder.valid()
}

fn chain_case(
    comment: &str,
    flags: &[&str],
    key: &[u8],
    start: u64,
    target: u64,
) -> serde_json::Map<String, Value> {
    let builder = CaseBuilder::new(comment, flags, &["FS-8", "FS-9", "FS-10"])
        .value("kind", "chain")
        .hex("chainKey", key)
        .value("startCounter", start)
        .value("targetCounter", target);
    let probe = builder.clone().valid();
    match chain(Case(&probe)).expect("well-formed") {
        Computed::Accepted(outputs) => outputs
            .into_iter()
            .fold(builder, |b, (field, value)| b.value(field, value))
            .valid(),
        Computed::Rejected(code) | Computed::RejectedAfter(code, _) => builder.invalid(code),
    }
}

fn generate() -> KatFile {
    let mut file = FileBuilder::new(
        "Ibex key derivation: 2DH/4DH roots (BLAKE2b, personal 3ma-e2e) and KDF chains",
        SEED,
    )
    .encoding(
        "byte strings are lowercase hex; kind roots: the four secrets give every DH value, the \
         roots from both sides (equal), and root2dhTextReading, the value Threema's text would \
         give (FS-50 E1, informative, not used); kind chain: a chain key at startCounter \
         ratcheted to targetCounter, with the message key there and the next chain key",
    )
    .note(
        "Roots",
        "2DH and 4DH roots computed by initiator and responder, who agree",
    )
    .note(
        "Chain",
        "a chain ratcheted forward within the skip limit of 25,000",
    )
    .note(
        "SkipLimit",
        "the counter lies exactly at, or one beyond, the skip limit",
    )
    .note("Behind", "the target counter is below the chain's counter")
    .note(
        "Threema",
        "values from Threema Android's KDFRatchetTest, source named in the comment",
    );
    for n in 0..3 {
        file.push(roots_case(&format!("roots from random keys #{}", n + 1), n));
    }
    let root = random(SEED, 10, 32);
    for target in [1, 2, 100] {
        file.push(chain_case(
            &format!("chain from its root to counter {target}"),
            &["Chain"],
            &root,
            1,
            target,
        ));
    }
    file.push(chain_case(
        "chain from counter 7 to 7: no step",
        &["Chain"],
        &root,
        7,
        7,
    ));
    file.push(chain_case(
        "counter 1 + 25,000: exactly at the skip limit",
        &["SkipLimit"],
        &root,
        1,
        1 + SKIP_LIMIT,
    ));
    file.push(chain_case(
        "counter 1 + 25,001: beyond the skip limit",
        &["SkipLimit"],
        &root,
        1,
        2 + SKIP_LIMIT,
    ));
    file.push(chain_case(
        "target below the chain",
        &["Behind"],
        &root,
        5,
        4,
    ));
    let threema = hex::decode(THREEMA_INITIAL).expect("hex");
    for (target, expected) in [
        (
            1,
            "60d3de2d849fa8b3d9799e8e50b09a7ef1d4e1e855c99fdb711bfe29466cdad3",
        ),
        (
            100,
            "d2acf6e1c7262eb360ad92b6a74e0f9ad6ee129278742fc2462ae72916eaa334",
        ),
    ] {
        let case = chain_case(
            &format!("{THREEMA_SOURCE}: from counter 0, {target} turns; message key {expected}"),
            &["Threema"],
            &threema,
            0,
            target,
        );
        assert_eq!(
            case.get("targetMessageKey").and_then(Value::as_str),
            Some(expected)
        );
        file.push(case);
    }
    file.push(chain_case(
        &format!("{THREEMA_SOURCE}: from counter 0 to 1,000,000 is refused (testTurnTooMany)"),
        &["Threema", "SkipLimit"],
        &threema,
        0,
        1_000_000,
    ));
    file.finish()
}
