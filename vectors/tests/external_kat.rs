//! Every external known-answer file in `../shared/kat/` through our implementation.
//!
//! The data is others' (RFC 7748, Wycheproof, libsodium/NaCl, the BLAKE2 reference,
//! `CPython`)
//! and stays outside this repository; `SALTRELAY_KAT_DIR` overrides where it is read from.

use std::path::PathBuf;

use saltrelay_protocol::crypto::{
    BoxKey, CryptoError, Nonce, PublicKey, SecretBoxKey, SecretKey, blake2b, hsalsa20,
};
use saltrelay_vectors::kat_dir::kat_dir;
use serde_json::Value;

fn load(name: &str) -> Value {
    let dir: PathBuf = kat_dir().unwrap_or_else(|message| panic!("{message}"));
    let text = std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("cannot read {name} in {}: {e}", dir.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

fn tests(file: &Value) -> impl Iterator<Item = &Value> {
    file["tests"].as_array().expect("tests array").iter()
}

fn bytes(case: &Value, field: &str) -> Vec<u8> {
    hex::decode(
        case[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} missing")),
    )
    .unwrap_or_else(|e| panic!("{field}: {e}"))
}

fn array32(case: &Value, field: &str) -> [u8; 32] {
    bytes(case, field).try_into().expect("32 bytes")
}

fn x25519(scalar: [u8; 32], u: [u8; 32]) -> Result<[u8; 32], CryptoError> {
    SecretKey::from_bytes(scalar)
        .diffie_hellman(&PublicKey::from_bytes(u))
        .map(|shared| *shared.expose_secret())
}

#[test]
fn rfc7748_x25519() {
    let file = load("rfc7748_x25519.json");
    let slow = std::env::var_os("SALTRELAY_SLOW_KAT").is_some();
    let mut ran = 0;
    for case in tests(&file) {
        let id = &case["tcId"];
        let output = match case["operation"].as_str().expect("operation") {
            "x25519" => x25519(array32(case, "scalar"), array32(case, "u")).expect("contributory"),
            "x25519_base" => *SecretKey::from_bytes(array32(case, "scalar"))
                .public_key()
                .as_bytes(),
            "x25519_iterate" => {
                let iterations = case["iterations"].as_u64().expect("iterations");
                if iterations > 1000 && !slow {
                    println!(
                        "tcId {id} skipped: {iterations} iterations; set SALTRELAY_SLOW_KAT=1"
                    );
                    continue;
                }
                let (mut k, mut u) = (array32(case, "k0"), array32(case, "k0"));
                for _ in 0..iterations {
                    let next = x25519(k, u).expect("contributory");
                    u = k;
                    k = next;
                }
                k
            }
            other => panic!("tcId {id}: unknown operation {other}"),
        };
        assert_eq!(
            hex::encode(output),
            case["output"].as_str().unwrap(),
            "tcId {id}"
        );
        ran += 1;
    }
    assert!(ran >= 8, "ran {ran} RFC 7748 cases");
}

/// PRIM-15: every `ZeroSharedSecret` case is rejected, every other case accepted and equal.
#[test]
fn wycheproof_x25519_with_stated_outcomes() {
    let file = load("wycheproof_x25519_test.json");
    let mut counts = [0usize; 3]; // valid accepted, acceptable accepted, acceptable rejected
    for group in file["testGroups"].as_array().expect("groups") {
        for case in group["tests"].as_array().expect("tests") {
            let id = &case["tcId"];
            let flags: Vec<&str> = case["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            let result = case["result"].as_str().unwrap();
            let ours = x25519(array32(case, "private"), array32(case, "public"));
            let zero = flags.contains(&"ZeroSharedSecret");
            match (result, zero, ours) {
                ("valid" | "acceptable", false, Ok(shared)) => {
                    assert_eq!(
                        hex::encode(shared),
                        case["shared"].as_str().unwrap(),
                        "tcId {id}"
                    );
                    counts[usize::from(result == "acceptable")] += 1;
                }
                ("acceptable", true, Err(CryptoError::NonContributory)) => counts[2] += 1,
                (result, zero, ours) => panic!(
                    "tcId {id} ({result}, flags {flags:?}, zero shared {zero}): our outcome {:?} \
                     breaks PRIM-15",
                    ours.map(hex::encode)
                ),
            }
        }
    }
    assert_eq!(counts.iter().sum::<usize>(), 518);
    println!(
        "wycheproof x25519: {} valid, {} acceptable accepted, {} acceptable rejected",
        counts[0], counts[1], counts[2]
    );
}

#[test]
fn nacl_box_and_secretbox() {
    let file = load("nacl_box_kat.json");
    for case in tests(&file) {
        let id = &case["tcId"];
        let result = case["result"].as_str().unwrap();
        let nonce = || Nonce::from_slice(&bytes(case, "nonce")).unwrap();
        let box_key = || {
            BoxKey::derive(
                &SecretKey::from_bytes(array32(case, "sk")),
                &PublicKey::from_bytes(array32(case, "pk")),
            )
        };
        let outcome: Result<Vec<u8>, CryptoError> =
            match case["operation"].as_str().unwrap() {
                "box" => box_key().map(|k| k.seal(&nonce(), &bytes(case, "msg"))),
                "box_open" => box_key().and_then(|k| k.open(&nonce(), &bytes(case, "ct"))),
                "box_beforenm" => box_key().map(|k| k.expose_secret().to_vec()),
                "secretbox" => Ok(SecretBoxKey::from_bytes(array32(case, "key"))
                    .seal(&nonce(), &bytes(case, "msg"))),
                "secretbox_open" => SecretBoxKey::from_bytes(array32(case, "key"))
                    .open(&nonce(), &bytes(case, "ct")),
                "hsalsa20" => Ok(hsalsa20(
                    &array32(case, "key"),
                    &bytes(case, "input").try_into().unwrap(),
                )
                .to_vec()),
                other => panic!("tcId {id}: unknown operation {other}"),
            };
        let expected_field = match case["operation"].as_str().unwrap() {
            "box" | "secretbox" => "ct",
            "box_open" | "secretbox_open" => "msg",
            "box_beforenm" => "k",
            _ => "output",
        };
        match (result, outcome) {
            ("valid", Ok(out)) => assert_eq!(
                hex::encode(out),
                case[expected_field].as_str().unwrap(),
                "tcId {id}"
            ),
            // PRIM-5: the low-order key is rejected where classic NaCl would accept it.
            ("invalid", Err(_)) | ("acceptable", Err(CryptoError::NonContributory)) => {}
            (result, outcome) => panic!("tcId {id}: expected {result}, got {outcome:?}"),
        }
    }
}

fn check_blake2b(name: &str, msg_field: &str, default_outlen: usize) {
    let file = load(name);
    let mut ran = 0;
    for case in tests(&file) {
        let outlen = case
            .get("outlen")
            .and_then(Value::as_u64)
            .map_or(default_outlen, |n| usize::try_from(n).unwrap());
        let salt = case
            .get("salt")
            .map(|_| bytes(case, "salt"))
            .unwrap_or_default();
        let personal = case
            .get("personal")
            .map(|_| bytes(case, "personal"))
            .unwrap_or_default();
        let mut out = vec![0u8; outlen];
        blake2b(
            &mut out,
            &bytes(case, "key"),
            &salt,
            &personal,
            &bytes(case, msg_field),
        )
        .unwrap_or_else(|e| panic!("{name} tcId {}: {e}", case["tcId"]));
        assert_eq!(
            hex::encode(out),
            case["out"].as_str().unwrap(),
            "{name} tcId {}",
            case["tcId"]
        );
        ran += 1;
    }
    assert!(ran > 0);
}

#[test]
fn blake2b_reference_kat() {
    check_blake2b("blake2b_kat.json", "in", 64);
}

#[test]
fn blake2b_salt_and_personal() {
    check_blake2b("blake2b_salt_personal.json", "msg", 64);
}

#[test]
fn blake2b_rfc7693() {
    check_blake2b("rfc7693_blake2b.json", "msg", 64);
}

/// The reference text format: `in:`, `key:`, `hash:` lines, keyed BLAKE2b-512.
#[test]
fn blake2b_reference_text_file() {
    let dir = kat_dir().unwrap_or_else(|message| panic!("{message}"));
    let text = std::fs::read_to_string(dir.join("blake2b-kat.txt")).expect("blake2b-kat.txt");
    let mut ran = 0;
    let mut input = Vec::new();
    let mut key = Vec::new();
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("in:") {
            input = hex::decode(value.trim()).unwrap();
        } else if let Some(value) = line.strip_prefix("key:") {
            key = hex::decode(value.trim()).unwrap();
        } else if let Some(value) = line.strip_prefix("hash:") {
            let mut out = [0u8; 64];
            blake2b(&mut out, &key, &[], &[], &input).unwrap();
            assert_eq!(hex::encode(out), value.trim(), "entry {ran}");
            ran += 1;
        }
    }
    assert_eq!(ran, 256);
}
