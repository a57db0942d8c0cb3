//! `relay-check` against our own relay on loopback passes every check; against a relay with
//! another key, every check fails and says why.

use saltrelay_interop::relay_check::{relay_check, to_text};
use saltrelay_protocol::crypto::SecretKey;
use saltrelay_relay::server::{ServerConfig, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_relay_passes_and_a_wrong_key_fails_every_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let relay = start(ServerConfig::new(
        "127.0.0.1:0".parse().expect("loopback"),
        dir.path(),
    ))
    .await
    .expect("relay starts");
    let addr = relay.local_addr().to_string();

    let results = relay_check(&addr, relay.public_key()).await;
    let text = to_text(&results);
    assert_eq!(results.len(), 14, "{text}");
    assert!(results.iter().all(|r| r.passed), "{text}");
    assert!(text.ends_with("14 passed, 0 failed, 0 skipped\n"), "{text}");

    let stranger = SecretKey::from_bytes([7; 32]).public_key();
    let results = relay_check(&addr, stranger).await;
    let text = to_text(&results);
    assert!(results.iter().all(|r| !r.passed), "{text}");
    assert!(results.iter().all(|r| r.detail.is_some()), "{text}");
    assert!(text.ends_with("0 passed, 14 failed, 0 skipped\n"), "{text}");
    relay.shutdown().await.expect("shutdown");
}
