//! `client-check` against clients that do nothing: each check fails and says what the client
//! did wrong. (Our own client passing is `cli/tests/interop_client_check.rs`, where the
//! `saltrelay` binary exists.)

use saltrelay_interop::client_check::{client_check, to_text};

fn words(command: &str) -> Vec<String> {
    command.split(' ').map(str::to_owned).collect()
}

fn detail<'a>(results: &'a [saltrelay_interop::client_check::CheckResult], name: &str) -> &'a str {
    results
        .iter()
        .find(|r| r.name == name)
        .and_then(|r| r.detail.as_deref())
        .unwrap_or_else(|| panic!("{name} has no failure detail"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_exits_0_without_doing_anything_fails_every_check() {
    let results = client_check(&words("sh -c true")).await;
    let text = to_text(&results);
    assert!(text.ends_with("0 passed, 7 failed, 0 skipped\n"), "{text}");
    assert!(
        detail(&results, "send_delivered").contains("never arrived"),
        "{text}"
    );
    assert!(
        detail(&results, "receive_queued_in_order").contains("message 1 of 3 is not"),
        "{text}"
    );
    assert!(
        detail(&results, "send_refused_mailbox_full").contains("exited 0"),
        "{text}"
    );
    assert!(
        detail(&results, "ack_withheld_gives_up").contains("never arrived"),
        "{text}"
    );
    assert!(
        detail(&results, "replaced_before_ack").contains("never arrived"),
        "{text}"
    );
    assert!(
        detail(&results, "relay_silent_gives_up").contains("exited 0"),
        "{text}"
    );
    assert!(
        detail(&results, "receive_cut_then_resumed").contains("first run exited 0"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_cannot_start_is_reported_as_such() {
    let results = client_check(&words("/nonexistent/saltrelay-client")).await;
    let text = to_text(&results);
    assert!(text.ends_with("0 passed, 7 failed, 0 skipped\n"), "{text}");
    assert!(
        detail(&results, "send_refused_mailbox_full").contains("did not start"),
        "{text}"
    );
}
