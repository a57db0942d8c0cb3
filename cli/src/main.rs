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
    /// Run the benchmarks beside libsodium and write reports/bench/.
    Bench(cmd::bench::Args),
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
        Command::Relay(args) => cmd::relay::run(args),
        Command::Send(args) => cmd::send::run(args),
        Command::Receive(args) => cmd::receive::run(args),
        Command::Group(args) => cmd::group::run(args),
        Command::Poll(args) => cmd::group::run_poll(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Loadtest(args) => cmd::loadtest::run(*args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("saltrelay: {error:#}");
            ExitCode::FAILURE
        }
    }
}
