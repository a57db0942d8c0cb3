//! `saltrelay id`: create and inspect identity key files (spec/02-identity.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_protocol::identity::{IdentityKeys, KeyFileError};
use saltrelay_relay::private_file::{self, PrivateFileError};

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
        /// Print JSON instead of text; errors too, as {"error": code, "message": text}.
        #[arg(long)]
        json: bool,
        /// Also print the secret key as hex (`secret_key`), for tools such as `saltrelay
        /// message seal`. Anyone who sees it can read this identity's messages and write as it.
        #[arg(long)]
        secret: bool,
    },
}

/// Why a key file could not be loaded: unreadable, readable by others (ID-9), or damaged (ID-8).
#[derive(Debug)]
pub(crate) enum LoadError {
    /// The file could not be read or examined.
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The group or others may access the file (ID-9).
    Permissions { path: PathBuf, mode: u32 },
    /// The bytes are not a valid key file (ID-8).
    Invalid { path: PathBuf, error: KeyFileError },
}

impl LoadError {
    /// The stable error code (CONV-7).
    fn code(&self) -> &'static str {
        match self {
            Self::Read { .. } => "key_file_unreadable",
            Self::Permissions { .. } => "key_file_permissions",
            Self::Invalid { error, .. } => error.code(),
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Read { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            Self::Permissions { path, mode } => write!(
                f,
                "{}: mode {mode:o} lets others read the secret key; run `chmod 600 {}`",
                path.display(),
                path.display()
            ),
            Self::Invalid { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        IdCommand::New { out, json } => {
            let keys = IdentityKeys::generate(&mut os_rng()?);
            write_key_file(&out, &keys.to_key_file())?;
            print_keys(&keys, json, false);
        }
        IdCommand::Show { file, json, secret } => match load_key_file(&file) {
            Ok(keys) => {
                if secret {
                    eprintln!(
                        "warning: printing the secret key of {}: anyone who sees it can read \
                         this identity's messages and send as it",
                        keys.identity()
                    );
                }
                print_keys(&keys, json, secret);
            }
            Err(error) if json => {
                let value = serde_json::json!({
                    "error": error.code(),
                    "message": error.to_string(),
                });
                println!("{value}");
                return Ok(ExitCode::FAILURE);
            }
            Err(error) => return Err(error.into()),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads and checks a key file, naming the file in every error. A key file others can access
/// is refused before it is read (ID-9), as the relay refuses its own key (RELAY-14).
pub(crate) fn load_key_file(path: &Path) -> Result<IdentityKeys, LoadError> {
    let bytes = private_file::read(path).map_err(|error| match error {
        PrivateFileError::Permissions { path, mode } => LoadError::Permissions { path, mode },
        PrivateFileError::Io { path, error, .. } => LoadError::Read { path, error },
    })?;
    IdentityKeys::from_key_file(&bytes).map_err(|error| LoadError::Invalid {
        path: path.to_owned(),
        error,
    })
}

fn write_key_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    private_file::create_new(path, bytes)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
}

fn print_keys(keys: &IdentityKeys, json: bool, secret: bool) {
    let secret_hex =
        secret.then(|| zeroize::Zeroizing::new(hex::encode(keys.secret_key().expose_secret())));
    if json {
        let mut value = serde_json::json!({
            "identity": keys.identity().as_str(),
            "public_key": keys.public_key().to_hex(),
            "fingerprint": keys.fingerprint().to_string(),
        });
        if let Some(secret_hex) = &secret_hex {
            value["secret_key"] = secret_hex.as_str().into();
        }
        println!("{value}");
    } else {
        println!("identity     {}", keys.identity());
        println!("public key   {}", keys.public_key().to_hex());
        println!("fingerprint  {}", keys.fingerprint());
        if let Some(secret_hex) = &secret_hex {
            println!("secret key   {}", secret_hex.as_str());
        }
    }
}
