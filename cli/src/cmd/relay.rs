//! `saltrelay relay`: run the reference relay, or print its public key (spec/05-relay.md,
//! RELAY-14, RELAY-17, RELAY-23, RELAY-24).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_relay::server::{self, ServerConfig, keyfile};

/// Arguments of `saltrelay relay`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: RelayCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RelayCommand {
    /// Serve the transport on an address until SIGTERM or Ctrl-C (graceful shutdown).
    Serve(Box<ServeArgs>),
    /// Print the relay's public key as hex. Without --create, a DIR holding no key is an error
    /// (a mistyped folder must not get a new key).
    Key {
        /// The relay's data directory.
        #[arg(long)]
        data: PathBuf,
        /// Create the directory and a new key (mode 0600) if there is none.
        #[arg(long)]
        create: bool,
    },
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:5222")]
    listen: SocketAddr,
    /// Data directory: key (created on first start, mode 0600), key directory, messages, blobs.
    #[arg(long)]
    data: PathBuf,
    /// Print every frame decoded on stderr, identities included.
    #[arg(long)]
    trace: bool,
    /// Log connection events with identities on stderr (off by default: RELAY-17).
    #[arg(long)]
    verbose: bool,
    /// Days an undelivered message is kept (RELAY-10).
    #[arg(long, default_value_t = 14)]
    ttl_days: u64,
    /// Most messages one recipient's queue holds (RELAY-11).
    #[arg(long, default_value_t = 10_000)]
    max_queue_messages: u32,
    /// Connections served at once (RELAY-20).
    #[arg(long, default_value_t = 20_000)]
    max_connections: usize,
    /// Frames per second one connection may send on average (RELAY-20).
    #[arg(long, default_value_t = 2_000)]
    rate_limit: u32,
    /// Frames one connection may send in a burst (RELAY-20).
    #[arg(long, default_value_t = 10_000)]
    rate_burst: u32,
    /// Handshake deadline in ms (TR-27).
    #[arg(long, default_value_t = 20_000)]
    handshake_timeout_ms: u64,
    /// Default idle timeout in seconds (TR-28).
    #[arg(long, default_value_t = 300)]
    idle_timeout_secs: u16,
    /// A connection that reads nothing for this long is closed as a slow reader (RELAY-20).
    #[arg(long, default_value_t = 30_000)]
    slow_reader_timeout_ms: u64,
    /// How long a message to an online recipient waits for its ack before it is written.
    #[arg(long, default_value_t = 2_000)]
    spill_after_ms: u64,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        RelayCommand::Key { data, create } => {
            let path = keyfile::key_path(&data);
            if !create && !path.exists() {
                anyhow::bail!(
                    "no relay key in {} (looked for {}): check the directory, or pass --create \
                     to make a new key there",
                    data.display(),
                    path.display()
                );
            }
            let (key, created) = keyfile::load_or_create(&data)?;
            if created {
                eprintln!("created a new relay key in {}", path.display());
            }
            println!("{}", key.public_key().to_hex());
            Ok(ExitCode::SUCCESS)
        }
        RelayCommand::Serve(serve) => serve_relay(&serve),
    }
}

fn serve_relay(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let mut config = ServerConfig::new(args.listen, &args.data);
    config.trace = args.trace;
    config.verbose = args.verbose;
    config.ttl_ms = args.ttl_days.saturating_mul(24 * 60 * 60 * 1000);
    config.max_queue_messages = args.max_queue_messages;
    config.max_connections = args.max_connections;
    config.rate_limit_per_sec = args.rate_limit;
    config.rate_limit_burst = args.rate_burst;
    config.handshake_timeout_ms = args.handshake_timeout_ms;
    config.idle_timeout_secs = args.idle_timeout_secs;
    config.slow_reader_timeout_ms = args.slow_reader_timeout_ms;
    config.spill_after_ms = args.spill_after_ms;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let relay = server::start(config)
            .await
            .with_context(|| format!("cannot start the relay in {}", args.data.display()))?;
        let stats = relay.stats();
        // Scripts and tests read these lines; a reader that went away must not stop the relay.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "saltrelay relay listening on {}", relay.local_addr());
        let _ = writeln!(out, "public key {}", relay.public_key().to_hex());
        let _ = writeln!(
            out,
            "data {} ({} identities, {} queued messages)",
            args.data.display(),
            stats.directory,
            stats.hub.totals.queued
        );
        let _ = out.flush();
        drop(out);
        relay.run_until_signal().await?;
        eprintln!("saltrelay relay: stopped");
        anyhow::Ok(ExitCode::SUCCESS)
    })
}
