//! `saltrelay`: the one command-line tool. Every subcommand is a thin call into a library crate.

mod cmd;
mod os_rng;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// saltrelay: a specified reference implementation of a Threema-class messaging protocol.
#[derive(Debug, Parser)]
#[command(name = "saltrelay", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create and inspect identity key files.
    Id(cmd::id::Args),
    /// Seal, open, encode and decode end-to-end messages (JSON on stdin and stdout).
    Message(cmd::message::Args),
    /// Forward secrecy for implementers: derive Ibex keys, encode and decode envelopes (JSON).
    Fs(cmd::fs::Args),
    /// Generate and verify the test vectors in vectors/saltrelay/.
    Vectors(cmd::vectors::Args),
    /// Check any implementation against the vectors over the peer protocol (spec/08).
    Interop(cmd::interop::Args),
    /// Simulate relay load for a scenario and write a report.
    Simulate(cmd::simulate::Args),
    /// Run workloads on the real relay and in the simulator, and compare (simulator/MODEL.md, VAL-1).
    Validate(cmd::validate::Args),
    /// Run the reference relay, or print its public key.
    Relay(cmd::relay::Args),
    /// Send a text or a file through a relay; exits 0 once the relay acked it.
    Send(cmd::send::Args),
    /// Receive, decrypt, ack and print messages from a relay.
    Receive(cmd::receive::Args),
    /// Create and run groups over a relay; group state lives beside the identity file.
    Group(cmd::group::Args),
    /// Open, vote on and close polls in a group.
    Poll(cmd::group::PollArgs),
    /// Run the benchmarks beside libsodium and write reports/bench/; measure the store (reports/store/).
    Bench(cmd::bench::Args),
    /// Check the committed reports: each names a clean commit in this history (MEAS-6, MEAS-13).
    Reports(cmd::reports::Args),
    /// Load a relay with real TCP clients, count every message, write reports/loadtest/.
    Loadtest(Box<cmd::loadtest::Args>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Id(args) => cmd::id::run(args),
        Command::Message(args) => cmd::message::run(&args),
        Command::Fs(args) => cmd::fs::run(&args),
        Command::Vectors(args) => cmd::vectors::run(args),
        Command::Interop(args) => cmd::interop::run(args),
        Command::Simulate(args) => cmd::simulate::run(args),
        Command::Validate(args) => cmd::validate::run(args),
        Command::Relay(args) => cmd::relay::run(args),
        Command::Send(args) => cmd::send::run(args),
        Command::Receive(args) => cmd::receive::run(args),
        Command::Group(args) => cmd::group::run(args),
        Command::Poll(args) => cmd::group::run_poll(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Reports(args) => cmd::reports::run(args),
        Command::Loadtest(args) => cmd::loadtest::run(*args),
    };
    match result {
        Ok(code) => code,
        // A reader that went away (`saltrelay receive | head`) is not an error to report: the
        // command stopped before acting on what it could not print.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("saltrelay: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by `": "`, each text once: a cause whose text the outer
/// message already contains (`transport: frame authentication failed`, then `frame
/// authentication failed`) is not repeated.
fn describe(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Whether `error` comes from writing to a closed pipe.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;
    use saltrelay_protocol::transport::TransportError;
    use saltrelay_relay::client::ClientError;

    use super::*;

    #[test]
    fn describe_does_not_repeat_a_cause_the_message_already_holds() {
        let error: anyhow::Result<()> =
            Err(ClientError::Transport(TransportError::FrameAuthFailed))
                .context("cannot log in to 127.0.0.1:5222");
        let text = describe(&error.unwrap_err());
        assert_eq!(
            text,
            "cannot log in to 127.0.0.1:5222: transport: frame authentication failed"
        );
        assert_eq!(text.matches("authentication failed").count(), 1);
    }

    #[test]
    fn describe_keeps_every_distinct_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(io).context("cannot read alice.id");
        assert_eq!(describe(&error), "cannot read alice.id: no such file");
    }

    #[test]
    fn a_closed_pipe_is_recognised_through_context() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let error = anyhow::Error::new(io).context("printing a message");
        assert!(is_broken_pipe(&error));
        assert!(!is_broken_pipe(&anyhow::anyhow!("broken pipe")));
    }
}
