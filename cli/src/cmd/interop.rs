//! `saltrelay interop`: the conformance harness (spec/08-interop.md), a thin call into
//! `saltrelay-interop`.

use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use saltrelay_interop::client_check::client_check;
use saltrelay_interop::pair::pair;
use saltrelay_interop::peer::Timeouts;
use saltrelay_interop::relay_check::{self, relay_check};
use saltrelay_interop::report::RunReport;
use saltrelay_interop::run::{Options, RunError, replay_lines, run as run_peer};
use saltrelay_interop::rust_peer;
use saltrelay_protocol::crypto::PublicKey;

use super::vectors::vector_dir;

/// Arguments of `saltrelay interop`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: InteropCommand,
}

#[derive(Debug, clap::Subcommand)]
enum InteropCommand {
    /// Run every vector case the peer's capabilities cover through the peer command.
    Run {
        #[command(flatten)]
        selection: Selection,
        /// The peer: a program and its arguments, after `--`.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Check two peers against each other: each seals, the other opens (IOP-15).
    /// Usage: `saltrelay interop pair -- CMD A... -- CMD B...`.
    Pair {
        #[command(flatten)]
        selection: Selection,
        /// Both peers, after `--`, separated by a second `--`.
        #[arg(last = true, required = true)]
        commands: Vec<String>,
    },
    /// Serve the peer protocol on stdin and stdout with this implementation.
    Peer,
    /// Run a scripted suite against a running relay: login, key lookup, send and ack,
    /// offline delivery, blobs, echo, and misbehaviour with its close-errors.
    RelayCheck {
        /// The relay's address, such as 127.0.0.1:5222.
        #[arg(long)]
        relay: String,
        /// The relay's public key as hex (`saltrelay relay key --data DIR`).
        #[arg(long)]
        relay_key: String,
        /// Write the results as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a scripted reference relay and drive a client through delivery and relay-side
    /// faults, one run of the client command per scenario (IOP-17 to IOP-19).
    ClientCheck {
        /// Write the results as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The client: a program and its arguments, after `--`.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Print the hello and the request line of one case, to replay it alone:
    /// `saltrelay interop request FILE --tc-id N | your-peer`.
    Request {
        /// The vector file name.
        file: String,
        /// The case.
        #[arg(long)]
        tc_id: u64,
        /// The vector folder (default: vectors/saltrelay of this repository).
        #[arg(long)]
        vectors: Option<PathBuf>,
    },
}

/// Which cases, how long to wait, how to report.
#[derive(Debug, clap::Args)]
struct Selection {
    /// Write the whole result as JSON instead of the table (IOP-14).
    #[arg(long)]
    json: bool,
    /// Only cases whose capabilities are all in this list (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// No case that needs one of these capabilities (comma-separated).
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Only these vector files (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    file: Vec<String>,
    /// Only the case with this tcId.
    #[arg(long)]
    tc_id: Option<u64>,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// The vector folder (default: vectors/saltrelay under the current directory).
    #[arg(long)]
    vectors: Option<PathBuf>,
}

impl Selection {
    fn options(&self) -> anyhow::Result<Options> {
        Ok(Options {
            vectors: vector_dir(self.vectors.clone())?,
            only: self.only.clone(),
            skip: self.skip.clone(),
            files: self.file.clone(),
            tc_id: self.tc_id,
            timeouts: Timeouts {
                request: Duration::from_secs_f64(self.timeout),
                ..Timeouts::default()
            },
        })
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        InteropCommand::Run { selection, command } => {
            let result = run_peer(&command, &selection.options()?);
            report(result, selection.json, Some(&shell_words(&command)))
        }
        InteropCommand::Pair {
            selection,
            commands,
        } => {
            let Some(split) = commands.iter().position(|word| word == "--") else {
                bail!("give two peers: interop pair -- CMD A... -- CMD B...");
            };
            let (a, b) = (&commands[..split], &commands[split + 1..]);
            if a.is_empty() || b.is_empty() {
                bail!("give two peers: interop pair -- CMD A... -- CMD B...");
            }
            report(pair(a, b, &selection.options()?), selection.json, None)
        }
        InteropCommand::RelayCheck {
            relay,
            relay_key,
            json,
        } => {
            let relay_key = PublicKey::from_slice(
                &hex::decode(relay_key.trim()).context("--relay-key is not hex")?,
            )
            .context("--relay-key is not a 32-byte public key")?;
            let results = runtime()?.block_on(relay_check(&relay, relay_key));
            checks(&results, json)
        }
        InteropCommand::ClientCheck { json, command } => {
            let results = runtime()?.block_on(client_check(&command));
            checks(&results, json)
        }
        InteropCommand::Peer => {
            let stdout = BufWriter::new(std::io::stdout().lock());
            rust_peer::serve(std::io::stdin().lock(), stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        InteropCommand::Request {
            file,
            tc_id,
            vectors,
        } => {
            let selection = Selection {
                json: false,
                only: Vec::new(),
                skip: Vec::new(),
                file: Vec::new(),
                tc_id: None,
                timeout: 30.0,
                vectors,
            };
            let mut out = std::io::stdout().lock();
            for line in replay_lines(&selection.options()?, &file, tc_id)? {
                writeln!(out, "{line}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Prints the live checks' results (IOP-16, IOP-19); exit status 1 when one failed.
fn checks(results: &[relay_check::CheckResult], json: bool) -> anyhow::Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(results)?);
    } else {
        print!("{}", relay_check::to_text(results));
    }
    Ok(if results.iter().all(|r| r.passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Prints the result; exit status 0, 1 on a failure, 2 when a peer did not start (IOP-14).
fn report(
    result: Result<RunReport, RunError>,
    json: bool,
    replay: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let report = match result {
        Ok(report) => report,
        Err(RunError::PeerStart(fault)) => {
            eprintln!("saltrelay interop: the peer did not start: {fault}");
            for line in fault.line.iter().chain(&fault.stderr) {
                eprintln!("  {line}");
            }
            return Ok(ExitCode::from(2));
        }
        Err(error) => return Err(error.into()),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text(replay));
    }
    Ok(if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The peer command as a shell would take it back, for the replay hint.
fn shell_words(command: &[String]) -> String {
    command
        .iter()
        .map(|word| {
            if word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,".contains(c))
            {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
