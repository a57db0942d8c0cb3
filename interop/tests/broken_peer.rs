//! Deliberately broken peers are reported correctly (spec/08-interop.md, IOP-8 to IOP-14).
//!
//! This test binary is also the broken peer: run with `SALTRELAY_BROKEN_PEER=MODE` it serves
//! the peer protocol with our implementation and breaks one answer to `prim_box` (once per
//! run, across restarts, by creating the file `SALTRELAY_BROKEN_ONCE`). Without it, it runs the
//! scenarios below, each a real `interop run` against real processes.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use saltrelay_interop::pair::pair;
use saltrelay_interop::peer::Timeouts;
use saltrelay_interop::report::{Problem, RunReport};
use saltrelay_interop::run::{Options, RunError, run};
use saltrelay_interop::rust_peer;
use serde_json::Value;

const MODE: &str = "SALTRELAY_BROKEN_PEER";
const ONCE: &str = "SALTRELAY_BROKEN_ONCE";
/// The op whose answer is broken.
const TARGET: &str = "prim_box";

fn main() {
    if let Ok(mode) = std::env::var(MODE) {
        broken_peer(&mode);
        return;
    }
    let scenarios: &[(&str, fn())] = &[
        (
            "a_correct_peer_passes_everything",
            a_correct_peer_passes_everything,
        ),
        (
            "one_wrong_byte_is_a_failure_at_its_byte",
            one_wrong_byte_is_a_failure_at_its_byte,
        ),
        (
            "a_wrong_error_code_is_a_failure_of_field_error",
            a_wrong_error_code_is_a_failure_of_field_error,
        ),
        (
            "a_crash_is_a_fault_and_the_peer_restarts",
            a_crash_is_a_fault_and_the_peer_restarts,
        ),
        ("a_hang_is_a_timeout_fault", a_hang_is_a_timeout_fault),
        (
            "garbage_on_stdout_is_a_malformed_fault",
            garbage_on_stdout_is_a_malformed_fault,
        ),
        (
            "a_missing_field_is_a_malformed_fault",
            a_missing_field_is_a_malformed_fault,
        ),
        (
            "unsupported_is_a_failure_not_a_skip",
            unsupported_is_a_failure_not_a_skip,
        ),
        (
            "a_wrong_transcript_event_names_its_step",
            a_wrong_transcript_event_names_its_step,
        ),
        (
            "no_hello_means_the_run_cannot_start",
            no_hello_means_the_run_cannot_start,
        ),
        (
            "unclaimed_and_unselected_cases_are_skipped",
            unclaimed_and_unselected_cases_are_skipped,
        ),
        (
            "pair_reports_a_bad_seal_at_the_opener",
            pair_reports_a_bad_seal_at_the_opener,
        ),
        (
            "pair_reports_a_wrong_delivered_fs_text_at_its_step",
            pair_reports_a_wrong_delivered_fs_text_at_its_step,
        ),
        (
            "pair_reports_a_wrong_group_view_at_its_step",
            pair_reports_a_wrong_group_view_at_its_step,
        ),
    ];
    for (name, scenario) in scenarios {
        print!("test {name} ... ");
        std::io::stdout().flush().expect("stdout");
        scenario();
        println!("ok");
    }
    println!("broken_peer: {} scenarios passed", scenarios.len());
}

/// Serves the protocol, breaking the first `prim_box` answer the way `mode` says.
fn broken_peer(mode: &str) {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    let mut machines = rust_peer::Machines::default();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        let request: Value = serde_json::from_str(&line).expect("a JSON request");
        let mut answer: Value = serde_json::from_str(&rust_peer::answer(&mut machines, &line))
            .expect("our answer is JSON");
        let op = request["op"].as_str().unwrap_or_default();
        if op == "hello" && mode == "no_hello" {
            eprintln!("broken peer: leaving before the hello");
            std::process::exit(4);
        }
        if op == "hello" && mode == "claims_prim_only" {
            answer["output"]["capabilities"] = serde_json::json!(["prim"]);
        }
        if mode == "unsupported" && op == TARGET {
            answer = serde_json::json!({"id": request["id"], "error": "unsupported"});
        }
        if mode == "wrong_event"
            && op == "transport_transcripts"
            && answer["output"]["events"][1].is_object()
            && first_time()
        {
            answer["output"]["events"][1]["received"]["type"] = "outgoing_message_ack".into();
        }
        if mode == "wrong_fs_text"
            && op == "fs.session.step"
            && answer["output"]["events"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["event"] == "received"))
            && first_time()
        {
            let events = answer["output"]["events"].as_array_mut().expect("events");
            let received = events
                .iter_mut()
                .find(|e| e["event"] == "received")
                .expect("a received event");
            let body = received["innerBody"]
                .as_str()
                .expect("innerBody")
                .to_owned();
            received["innerBody"] = flip_last_digit(&body).into();
        }
        if mode == "wrong_group_name"
            && op == "group.client.step"
            && answer["output"]["checkpoint"]["groups"][0].is_object()
        {
            answer["output"]["checkpoint"]["groups"][0]["name"] = "not the name".into();
        }
        if mode == "wrong_seal" && op == "e2e_messages" && first_time() {
            let sealed = answer["output"]["box"].as_str().expect("box").to_owned();
            answer["output"]["box"] = flip_last_digit(&sealed).into();
        }
        if op == TARGET && breaks_here(mode, &answer) && first_time() {
            match mode {
                "wrong_byte" => {
                    let ct = answer["output"]["ct"].as_str().expect("ct").to_owned();
                    answer["output"]["ct"] = flip_last_digit(&ct).into();
                }
                "wrong_code" => answer["error"] = "wrong_code".into(),
                "missing_field" => {
                    answer["output"]
                        .as_object_mut()
                        .expect("output")
                        .remove("ct");
                }
                "crash" => {
                    eprintln!("broken peer: crashing on purpose");
                    std::process::exit(3);
                }
                "hang" => std::thread::sleep(Duration::from_secs(120)),
                "garbage" => {
                    writeln!(stdout, "this is not json").expect("stdout");
                    stdout.flush().expect("stdout");
                    continue;
                }
                _ => {}
            }
        }
        writeln!(stdout, "{answer}").expect("stdout");
        stdout.flush().expect("stdout");
    }
}

/// Which answers a mode breaks: accepted ones for a wrong byte, rejected ones for a code.
fn breaks_here(mode: &str, answer: &Value) -> bool {
    match mode {
        "wrong_byte" | "missing_field" => answer.get("output").is_some(),
        "wrong_code" => answer.get("error").is_some(),
        "crash" | "hang" | "garbage" => true,
        _ => false,
    }
}

/// True exactly once per scenario, even across peer restarts.
fn first_time() -> bool {
    let marker = std::env::var(ONCE).expect("the scenario names a marker file");
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(marker)
        .is_ok()
}

fn flip_last_digit(hex: &str) -> String {
    let (head, last) = hex.split_at(hex.len() - 1);
    let flipped = if last == "0" { "1" } else { "0" };
    format!("{head}{flipped}")
}

fn options(files: &[&str], request_timeout: Duration) -> Options {
    Options {
        vectors: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors/saltrelay"),
        only: Vec::new(),
        skip: Vec::new(),
        files: files.iter().map(|f| (*f).to_owned()).collect(),
        tc_id: None,
        timeouts: Timeouts {
            request: request_timeout,
            hello: Duration::from_secs(60),
        },
    }
}

/// Runs this binary as a broken peer in `mode` over `files`.
fn run_mode(mode: &str, files: &[&str], request_timeout: Duration) -> Result<RunReport, RunError> {
    let dir = std::env::temp_dir().join(format!(
        "saltrelay-broken-peer-{}-{mode}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&dir);
    let exe = std::env::current_exe().expect("own path");
    let command = vec![
        "env".to_owned(),
        format!("{MODE}={mode}"),
        format!("{ONCE}={}", dir.display()),
        exe.display().to_string(),
    ];
    let result = run(&command, &options(files, request_timeout));
    let _ = std::fs::remove_file(&dir);
    result
}

/// The one problem of a report whose only broken case is in `prim_box.json`.
fn only_problem(report: &RunReport) -> &Problem {
    assert_eq!(report.failures.len(), 1, "{report:#?}");
    assert_eq!(report.failed, 1, "{report:#?}");
    let problem = &report.failures[0];
    assert_eq!(problem.file, "prim_box.json");
    assert_eq!(problem.capabilities, ["prim"]);
    assert!(problem.spec_refs.iter().any(|r| r.starts_with("PRIM-")));
    assert!(
        problem.request.contains(r#""op":"prim_box""#),
        "{}",
        problem.request
    );
    problem
}

const BOX_FILES: &[&str] = &["prim_x25519.json", "prim_box.json", "prim_keygen.json"];
const GENEROUS: Duration = Duration::from_secs(60);

fn cases_in(files: &[&str]) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors/saltrelay");
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(f)).expect("vector file");
            saltrelay_vectors::KatFile::from_json(&text)
                .expect("kat_v1")
                .tests
                .len()
        })
        .sum()
}

fn a_correct_peer_passes_everything() {
    let report = run_mode("none", BOX_FILES, GENEROUS).expect("runs");
    assert_eq!(report.passed, cases_in(BOX_FILES));
    assert_eq!((report.failed, report.skipped), (0, 0));
    assert!(report.is_success());
    assert!(
        report
            .to_text(Some("peer"))
            .ends_with(&format!("{} passed, 0 failed, 0 skipped\n", report.passed))
    );
}

fn one_wrong_byte_is_a_failure_at_its_byte() {
    let report = run_mode("wrong_byte", BOX_FILES, GENEROUS).expect("runs");
    let problem = only_problem(&report);
    assert_eq!(problem.kind, "failed");
    assert_eq!(problem.tc_id, 1);
    assert_eq!(problem.field.as_deref(), Some("ct"));
    let expected = problem.expected.as_deref().expect("expected");
    let actual = problem.actual.as_deref().expect("actual");
    assert_eq!(expected.len(), actual.len());
    assert_eq!(
        problem.step,
        Some(format!("byte {}", expected.len() / 2 - 1))
    );
    assert_eq!(report.passed, cases_in(BOX_FILES) - 1);
    assert_eq!(report.faults, 0);
    let text = report.to_text(Some("peer"));
    assert!(text.contains("FAIL prim_box.json tcId 1 [prim]"), "{text}");
    assert!(
        text.contains("saltrelay interop request prim_box.json --tc-id 1 | peer"),
        "{text}"
    );
    assert!(text.ends_with(&format!("{} passed, 1 failed, 0 skipped\n", report.passed)));
}

fn a_wrong_error_code_is_a_failure_of_field_error() {
    let report = run_mode("wrong_code", BOX_FILES, GENEROUS).expect("runs");
    let problem = only_problem(&report);
    assert_eq!(problem.kind, "failed");
    assert_eq!(problem.field.as_deref(), Some("error"));
    assert_eq!(problem.expected.as_deref(), Some("auth_failed"));
    assert_eq!(problem.actual.as_deref(), Some("wrong_code"));
    assert_eq!(report.faults, 0);
}

fn a_crash_is_a_fault_and_the_peer_restarts() {
    let report = run_mode("crash", BOX_FILES, GENEROUS).expect("runs");
    let problem = only_problem(&report);
    assert_eq!(problem.kind, "crashed");
    assert_eq!(problem.tc_id, 1);
    let detail = problem.detail.as_deref().expect("detail");
    assert!(
        detail.contains("exited") && detail.contains('3'),
        "{detail}"
    );
    assert!(
        problem
            .stderr
            .iter()
            .any(|l| l.contains("crashing on purpose")),
        "{problem:#?}"
    );
    assert_eq!(report.faults, 1);
    // The restarted peer answered every later case.
    assert_eq!(report.passed, cases_in(BOX_FILES) - 1);
    assert!(
        report
            .to_text(Some("peer"))
            .contains("FAULT prim_box.json tcId 1")
    );
}

fn a_hang_is_a_timeout_fault() {
    let report = run_mode("hang", BOX_FILES, Duration::from_secs(2)).expect("runs");
    let problem = only_problem(&report);
    assert_eq!(problem.kind, "timeout");
    assert!(
        problem
            .detail
            .as_deref()
            .expect("detail")
            .contains("no answer within 2 s")
    );
    assert_eq!(report.faults, 1);
    assert_eq!(report.passed, cases_in(BOX_FILES) - 1);
}

fn garbage_on_stdout_is_a_malformed_fault() {
    let report = run_mode("garbage", BOX_FILES, GENEROUS).expect("runs");
    let problem = only_problem(&report);
    assert_eq!(problem.kind, "malformed");
    assert_eq!(problem.actual.as_deref(), Some("this is not json"));
    assert!(
        problem
            .detail
            .as_deref()
            .expect("detail")
            .contains("not JSON")
    );
    assert_eq!(report.passed, cases_in(BOX_FILES) - 1);
}

fn a_missing_field_is_a_malformed_fault() {
    let report = run_mode("missing_field", BOX_FILES, GENEROUS).expect("runs");
    let problem = only_problem(&report);
    assert_eq!(problem.kind, "malformed");
    assert!(
        problem
            .detail
            .as_deref()
            .expect("detail")
            .contains("lacks ct")
    );
    assert_eq!(report.passed, cases_in(BOX_FILES) - 1);
}

fn unsupported_is_a_failure_not_a_skip() {
    let report = run_mode("unsupported", &["prim_box.json"], GENEROUS).expect("runs");
    assert_eq!(report.failed, cases_in(&["prim_box.json"]));
    assert_eq!((report.passed, report.skipped, report.faults), (0, 0, 0));
    assert!(report.failures.iter().all(|p| p.kind == "unsupported"));
}

fn a_wrong_transcript_event_names_its_step() {
    let files = &["transport_transcripts.json"];
    let report = run_mode("wrong_event", files, GENEROUS).expect("runs");
    assert_eq!(report.failures.len(), 1, "{report:#?}");
    let problem = &report.failures[0];
    assert_eq!(problem.field.as_deref(), Some("events"));
    assert_eq!(problem.step.as_deref(), Some("[1].received.type"));
    assert_eq!(problem.capabilities.len(), 1);
    assert!(problem.capabilities[0].starts_with("transport."));
}

fn no_hello_means_the_run_cannot_start() {
    match run_mode("no_hello", BOX_FILES, GENEROUS) {
        Err(RunError::PeerStart(fault)) => {
            assert_eq!(fault.kind.name(), "crashed");
            assert!(
                fault
                    .stderr
                    .iter()
                    .any(|l| l.contains("leaving before the hello")),
                "{fault:#?}"
            );
        }
        other => panic!("expected a start failure, got {other:?}"),
    }
}

fn unclaimed_and_unselected_cases_are_skipped() {
    let files = &["prim_x25519.json", "identity_parse.json"];
    let report = run_mode("claims_prim_only", files, GENEROUS).expect("runs");
    assert_eq!(report.passed, cases_in(&["prim_x25519.json"]));
    assert_eq!(report.skipped, cases_in(&["identity_parse.json"]));
    assert_eq!(report.failed, 0);
    let rows: Vec<&str> = report
        .rows
        .iter()
        .map(|r| r.capabilities.as_str())
        .collect();
    assert_eq!(rows, ["prim", "identity"]);

    let exe = std::env::current_exe().expect("own path");
    let command = vec![
        "env".to_owned(),
        format!("{MODE}=none"),
        exe.display().to_string(),
    ];
    let mut opts = options(files, GENEROUS);
    opts.skip = vec!["prim".into()];
    let report = run(&command, &opts).expect("runs");
    assert_eq!(report.passed, cases_in(&["identity_parse.json"]));
    assert_eq!(report.skipped, cases_in(&["prim_x25519.json"]));
    opts.skip.clear();
    opts.only = vec!["prim".into()];
    opts.tc_id = Some(2);
    let report = run(&command, &opts).expect("runs");
    assert_eq!((report.passed, report.skipped), (1, 1));
}

fn pair_reports_a_bad_seal_at_the_opener() {
    let marker = std::env::temp_dir().join(format!("saltrelay-broken-pair-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let exe = std::env::current_exe()
        .expect("own path")
        .display()
        .to_string();
    let good = vec!["env".to_owned(), format!("{MODE}=none"), exe.clone()];
    let bad = vec![
        "env".to_owned(),
        format!("{MODE}=wrong_seal"),
        format!("{ONCE}={}", marker.display()),
        exe,
    ];
    let report = pair(&good, &bad, &options(&[], GENEROUS)).expect("runs");
    let _ = std::fs::remove_file(&marker);
    let rounds = report
        .rows
        .iter()
        .map(|r| r.passed + r.failed)
        .sum::<usize>();
    assert_eq!(report.failed, 1, "{report:#?}");
    assert_eq!(report.faults, 0);
    assert_eq!(report.passed, rounds - 1);
    let problem = &report.failures[0];
    // B sealed a wrong box in the second direction; A, opening it, rejects it.
    assert_eq!(problem.file, "e2e_messages.json");
    assert_eq!(problem.detail.as_deref(), Some("peer A rejected it"));
    assert_eq!(problem.actual.as_deref(), Some("rejected (auth_failed)"));
    assert!(problem.request.contains(r#""op":"e2e_open""#));
    assert_eq!(report.rows[1].failed, 1);
}

/// Runs `interop pair` between a correct peer (A) and one broken once in `mode` (B).
fn pair_with_broken_b(mode: &str) -> RunReport {
    let marker = std::env::temp_dir().join(format!(
        "saltrelay-broken-pair-{mode}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&marker);
    let exe = std::env::current_exe()
        .expect("own path")
        .display()
        .to_string();
    let good = vec!["env".to_owned(), format!("{MODE}=none"), exe.clone()];
    let bad = vec![
        "env".to_owned(),
        format!("{MODE}={mode}"),
        format!("{ONCE}={}", marker.display()),
        exe,
    ];
    let report = pair(&good, &bad, &options(&[], GENEROUS)).expect("runs");
    let _ = std::fs::remove_file(&marker);
    report
}

fn row<'r>(report: &'r RunReport, name: &str) -> &'r saltrelay_interop::report::Row {
    report
        .rows
        .iter()
        .find(|r| r.capabilities == name)
        .expect("the row exists")
}

fn pair_reports_a_wrong_delivered_fs_text_at_its_step() {
    let report = pair_with_broken_b("wrong_fs_text");
    // A initiates; B, the responder, reports the first text it receives (step 3) wrongly: the
    // scenario ends there, its 20 remaining steps failed; the other scenario passes whole.
    assert_eq!(report.failures.len(), 1, "{report:#?}");
    let problem = &report.failures[0];
    assert_eq!(problem.file, "fs.session (A initiates)");
    assert_eq!(problem.tc_id, 3);
    assert_eq!(problem.kind, "failed");
    assert_eq!(problem.field.as_deref(), Some("events (received message)"));
    assert_eq!(problem.step.as_deref(), Some(".innerBody byte 2"));
    assert_eq!(
        problem.detail.as_deref(),
        Some("peer B (responder) answered")
    );
    assert!(problem.request.contains(r#""op":"fs.session.step""#));
    let first = row(&report, "fs.session (A initiates)");
    assert_eq!((first.passed, first.failed, first.faults), (2, 20, 0));
    let second = row(&report, "fs.session (B initiates)");
    assert_eq!((second.passed, second.failed), (22, 0));
}

fn pair_reports_a_wrong_group_view_at_its_step() {
    let report = pair_with_broken_b("wrong_group_name");
    // B misreports every group's name. With the creator on A, member 1 (on B) disagrees with
    // it as soon as it joins; with the creator on B, the members on A disagree with it: a
    // pair shows the disagreement, not which side is wrong.
    assert_eq!(report.failures.len(), 2, "{report:#?}");
    let problem = &report.failures[0];
    assert_eq!(problem.file, "groups.client (creator on A)");
    assert_eq!(problem.tc_id, 1);
    assert_eq!(
        problem.field.as_deref(),
        Some("checkpoint name of the group (the creator's)")
    );
    assert_eq!(problem.expected.as_deref(), Some(r#""pair""#));
    assert_eq!(problem.actual.as_deref(), Some(r#""not the name""#));
    assert_eq!(
        problem.detail.as_deref(),
        Some("peer B (member 1) answered")
    );
    let first = row(&report, "groups.client (creator on A)");
    assert_eq!((first.passed, first.failed), (0, 6));
    let second = row(&report, "groups.client (creator on B)");
    assert_eq!((second.passed, second.failed), (0, 6));
    assert_eq!(
        report.failures[1].detail.as_deref(),
        Some("peer A (member 1) answered")
    );
}
