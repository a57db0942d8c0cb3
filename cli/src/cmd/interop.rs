//! `saltrelay interop`: the conformance harness (spec/08-interop.md), a thin call into
//! `saltrelay-interop`.

use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use saltrelay_interop::peer::Timeouts;
use saltrelay_interop::run::{Options, RunError, replay_lines, run as run_peer};
use saltrelay_interop::rust_peer;

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
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        /// The vector folder (default: vectors/saltrelay of this repository).
        #[arg(long)]
        vectors: Option<PathBuf>,
        /// The peer: a program and its arguments, after `--`.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Serve the peer protocol on stdin and stdout with this implementation.
    Peer,
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

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        InteropCommand::Run {
            json,
            only,
            skip,
            file,
            tc_id,
            timeout,
            vectors,
            command,
        } => {
            let options = Options {
                vectors: vector_dir(vectors),
                only,
                skip,
                files: file,
                tc_id,
                timeouts: Timeouts {
                    request: Duration::from_secs_f64(timeout),
                    ..Timeouts::default()
                },
            };
            let report = match run_peer(&command, &options) {
                Ok(report) => report,
                Err(error @ RunError::PeerStart(_)) => {
                    eprintln!("saltrelay interop: {error}");
                    if let RunError::PeerStart(fault) = &error {
                        for line in fault.line.iter().chain(&fault.stderr) {
                            eprintln!("  {line}");
                        }
                    }
                    return Ok(ExitCode::from(2));
                }
                Err(error) => return Err(error.into()),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_text(&shell_words(&command)));
            }
            Ok(if report.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
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
            let options = Options {
                vectors: vector_dir(vectors),
                only: Vec::new(),
                skip: Vec::new(),
                files: Vec::new(),
                tc_id: None,
                timeouts: Timeouts::default(),
            };
            let mut out = std::io::stdout().lock();
            for line in replay_lines(&options, &file, tc_id)? {
                writeln!(out, "{line}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
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
