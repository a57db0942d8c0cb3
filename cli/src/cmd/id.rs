//! `saltrelay id`: create and inspect identity key files (spec/02-identity.md).

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_protocol::identity::IdentityKeys;

use crate::os_rng::os_rng;

/// Arguments of `saltrelay id`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: IdCommand,
}

#[derive(Debug, clap::Subcommand)]
enum IdCommand {
    /// Create a new random identity and key pair and write its key file (mode 0600).
    New {
        /// Where to write the key file; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show the identity, public key and fingerprint of a key file.
    Show {
        /// The key file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        IdCommand::New { out, json } => {
            let keys = IdentityKeys::generate(&mut os_rng()?);
            write_key_file(&out, &keys.to_key_file())?;
            print_keys(&keys, json);
        }
        IdCommand::Show { file, json } => {
            let keys = load_key_file(&file)?;
            print_keys(&keys, json);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads and checks a key file, naming the file in every error.
pub(crate) fn load_key_file(path: &Path) -> anyhow::Result<IdentityKeys> {
    let bytes = zeroize::Zeroizing::new(
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
    );
    IdentityKeys::from_key_file(&bytes).with_context(|| format!("{}", path.display()))
}

fn write_key_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

fn print_keys(keys: &IdentityKeys, json: bool) {
    if json {
        let value = serde_json::json!({
            "identity": keys.identity().as_str(),
            "public_key": keys.public_key().to_hex(),
            "fingerprint": keys.fingerprint().to_string(),
        });
        println!("{value}");
    } else {
        println!("identity     {}", keys.identity());
        println!("public key   {}", keys.public_key().to_hex());
        println!("fingerprint  {}", keys.fingerprint());
    }
}
