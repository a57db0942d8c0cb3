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
    /// Print the relay's public key as hex (RELAY-14).
    Key {
        /// The relay's data directory.
        #[arg(long)]
        data: PathBuf,
        /// Create the key if there is none; only in a new or empty directory (RELAY-26).
        #[arg(long)]
        create: bool,
    },
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:5222")]
    listen: SocketAddr,
    /// Connections the kernel queues before the relay accepts them (RELAY-20; capped by
    /// net.core.somaxconn).
    #[arg(long, default_value_t = 4_096)]
    listen_backlog: u32,
    /// Data directory: key (created on first start in an empty directory, mode 0600), key
    /// directory, messages, blobs; locked while the relay runs (RELAY-25).
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
            let key = if create {
                keyfile::load_or_create(&data)?.0
            } else {
                keyfile::load(&data)?.with_context(|| {
                    format!(
                        "no relay key in {}: start the relay there once, or pass --create \
                         to make one in a new or empty directory",
                        data.display()
                    )
                })?
            };
            println!("{}", key.public_key().to_hex());
            Ok(ExitCode::SUCCESS)
        }
        RelayCommand::Serve(serve) => serve_relay(&serve),
    }
}

fn serve_relay(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let mut config = ServerConfig::new(args.listen, &args.data);
    config.listen_backlog = args.listen_backlog;
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
