//! `saltrelay relay`: run the reference relay, or print its public key (spec/05-relay.md,
//! RELAY-14, RELAY-17, RELAY-23, RELAY-24).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use saltrelay_relay::server::lock::DataLock;
use saltrelay_relay::server::{self, STORE_DIR_NAME, ServerConfig, directory, keyfile};
use saltrelay_relay::store::{LogStore, LogStoreConfig, RecoveryReport};

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
    /// Verify a stopped relay's data directory: key, key directory and message store, and
    /// print what a start would recover (STORE-14). Exits 1 if anything is damaged.
    Check(CheckArgs),
    /// Print a relay cluster's state from its PostgreSQL database: nodes and their leases,
    /// identities per node, queue depths (spec/09-relay-cluster.md, CLU-20). Exits 1 if a
    /// registered node's lease has run out.
    Health(HealthArgs),
    /// Ask a cluster node to drain: at its next lease renewal it closes every connection
    /// (its clients reconnect to other nodes) and refuses logins (CLU-19).
    Drain {
        /// The cluster's database, `postgres://USER@HOST:PORT/DB`.
        #[arg(long)]
        store: String,
        /// The node to drain.
        #[arg(long)]
        node_id: String,
    },
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
struct CheckArgs {
    /// The relay's data directory (the relay must be stopped: its lock is taken).
    #[arg(long)]
    data: PathBuf,
    /// Rewrite what can be saved: the key directory without its damaged records, the store
    /// with damage erased and torn tails cut off (what a start does to the store).
    #[arg(long)]
    repair: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct HealthArgs {
    /// The cluster's database, `postgres://USER@HOST:PORT/DB`.
    #[arg(long)]
    store: String,
    /// How many of the deepest queues to list.
    #[arg(long, default_value_t = 10)]
    top: i64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
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
    /// directory, messages, blobs; locked while the relay runs (RELAY-25). A cluster node
    /// keeps only its lock and the relay key (the same on every node) here (CLU-2).
    #[arg(long)]
    data: PathBuf,
    /// Message store: none for the embedded log in --data; `postgres://USER@HOST:PORT/DB`
    /// for a cluster node sharing queue, key directory and blobs with other nodes (CLU-1).
    #[arg(long)]
    store: Option<String>,
    /// This node's ID in the cluster (required with a PostgreSQL --store; CLU-16).
    #[arg(long, requires = "store")]
    node_id: Option<String>,
    /// Lease of the node and of its presence rows in ms (CLU-17).
    #[arg(long, default_value_t = saltrelay_relay::pg::DEFAULT_LEASE_MS, requires = "store")]
    lease_ms: u64,
    /// How often a cluster node rereads the queues it serves without a wake-up, in ms: a
    /// safety net only, wake-ups come by NOTIFY (CLU-14).
    #[arg(long, default_value_t = 60_000, requires = "store")]
    catch_up_interval_ms: u64,
    /// Rows a cluster node reads at most per page of a queue it serves; the next page is
    /// read when fewer than half are left in memory (CLU-14).
    #[arg(long, default_value_t = saltrelay_relay::pg::DEFAULT_PAGE_ROWS, requires = "store")]
    page_rows: usize,
    /// How often expired messages and blobs are deleted, in ms (RELAY-18).
    #[arg(long, default_value_t = 60_000)]
    sweep_interval_ms: u64,
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
        RelayCommand::Check(check) => check_data(&check),
        RelayCommand::Health(health) => cluster_health(&health),
        RelayCommand::Drain { store, node_id } => drain_node(&store, &node_id),
    }
}

/// `relay check` (STORE-14): the same summary as the start, from a stopped relay's files.
fn check_data(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let data = &args.data;
    anyhow::ensure!(data.is_dir(), "{} is not a directory", data.display());
    let _lock = DataLock::acquire(data)?;
    let key = match keyfile::load(data) {
        Ok(Some(_)) => ("ok", None),
        Ok(None) => ("missing", None),
        Err(error) => ("damaged", Some(error.to_string())),
    };
    let directory = directory::check(data, args.repair)?;
    let store_dir = data.join(STORE_DIR_NAME);
    let recovery = if !store_dir.is_dir() {
        RecoveryReport::default()
    } else if args.repair {
        // STORE-14: a repair is exactly what a start does to the store, then reported.
        LogStore::open(&store_dir, LogStoreConfig::default())?
            .recovery_report()
            .clone()
    } else {
        LogStore::check(&store_dir)?
    };
    let damaged = key.0 == "damaged"
        || (!directory.damaged.is_empty() && !directory.repaired)
        || (!recovery.is_clean() && !args.repair);
    if args.json {
        let value = serde_json::json!({
            "data": data.display().to_string(),
            "key": key.0,
            "key_error": key.1,
            "directory": {
                "bindings": directory.bindings,
                "damaged_offsets": directory.damaged,
                "torn_tail_bytes": directory.torn_tail_bytes,
                "repaired": directory.repaired,
            },
            "store": recovery_json(&recovery),
            "repair": args.repair,
            "ok": !damaged,
        });
        println!("{value}");
    } else {
        println!(
            "key: {}{}",
            key.0,
            key.1.map(|e| format!(" ({e})")).unwrap_or_default()
        );
        println!(
            "directory: {} bindings, {} damaged records{}, torn tail {} bytes{}",
            directory.bindings,
            directory.damaged.len(),
            if directory.damaged.is_empty() {
                String::new()
            } else {
                format!(" (at byte offsets {:?})", directory.damaged)
            },
            directory.torn_tail_bytes,
            if directory.repaired { ", repaired" } else { "" }
        );
        println!("recovery: {}", recovery.summary());
        if damaged {
            println!(
                "damage found: `saltrelay relay check --data {} --repair` keeps what is intact",
                data.display()
            );
        }
    }
    Ok(if damaged {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The store's recovery report as JSON (STORE-14).
fn recovery_json(report: &RecoveryReport) -> serde_json::Value {
    serde_json::json!({
        "segments": report.segments,
        "messages_recovered": report.messages,
        "records_lost": report.damaged_records,
        "lost": report.lost.iter().map(|l| serde_json::json!({
            "file": l.file, "offset": l.offset, "len": l.len,
        })).collect::<Vec<_>>(),
        "segments_refused": report.refused.iter().map(|r| serde_json::json!({
            "file": r.file, "len": r.len, "reason": r.reason,
        })).collect::<Vec<_>>(),
        "torn_tail_bytes": report.torn_tail_bytes,
        "uncommitted_records": report.uncommitted_records,
        "erasures_redone": report.erasures_redone,
        "duplicates_erased": report.duplicates_erased,
        "headers_repaired": report.headers_repaired,
        "segments_recreated": report.segments_recreated,
    })
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
    config.sweep_interval_ms = args.sweep_interval_ms;
    if let Some(store) = &args.store {
        anyhow::ensure!(
            saltrelay_relay::pg::is_postgres_url(store),
            "--store takes a postgres:// URL (leave it out for the embedded store)"
        );
        let node_id = args
            .node_id
            .clone()
            .context("a PostgreSQL --store needs --node-id NAME, unique among the nodes")?;
        let mut pg = saltrelay_relay::pg::PgConfig::new(store.clone(), node_id);
        pg.lease_ms = args.lease_ms;
        pg.catch_up_interval_ms = args.catch_up_interval_ms;
        pg.page_rows = args.page_rows.max(2);
        config.cluster = Some(pg);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let relay = server::start(config)
            .await
            .with_context(|| format!("cannot start the relay in {}", args.data.display()))?;
        // RELAY-23: listening for SIGTERM before the address is printed, so a script that
        // stops the relay as soon as it read the address never kills it mid-write.
        let stop = server::shutdown_signal();
        let stats = relay.stats();
        // Scripts and tests read these lines; a reader that went away must not stop the relay.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "saltrelay relay listening on {}", relay.local_addr());
        let _ = writeln!(out, "public key {}", relay.public_key().to_hex());
        match &config_store(args) {
            Some(node) => {
                // CLU-20: a node's queue is the cluster's; `relay health` shows it.
                let _ = writeln!(
                    out,
                    "store postgres, node {node}, {} identities bound",
                    stats.directory
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "data {} ({} identities, {} queued messages)",
                    args.data.display(),
                    stats.directory,
                    stats.hub.totals.queued
                );
            }
        }
        // RELAY-26, STORE-14: what recovery found, on every start.
        let _ = writeln!(out, "recovery: {}", relay.start_report().recovery.summary());
        let _ = out.flush();
        drop(out);
        relay.run_until(stop).await?;
        eprintln!("saltrelay relay: stopped");
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// The node ID of a cluster node, `None` for the embedded store.
fn config_store(args: &ServeArgs) -> Option<&str> {
    args.store.as_ref().and(args.node_id.as_deref())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `relay health` (CLU-20).
fn cluster_health(args: &HealthArgs) -> anyhow::Result<ExitCode> {
    let health = runtime()?
        .block_on(saltrelay_relay::pg::health::snapshot(&args.store, args.top))
        .context("cannot read the cluster's state")?;
    let dead = health.nodes.iter().filter(|n| !n.alive()).count();
    if args.json {
        let value = serde_json::json!({
            "schema_version": health.schema_version,
            "nodes": health.nodes.iter().map(|n| serde_json::json!({
                "node_id": n.node_id,
                "listen": n.listen,
                "instance": format!("{:016x}", n.instance),
                "started_ms": n.started_ms,
                "lease_left_ms": n.lease_left_ms,
                "alive": n.alive(),
                "draining": n.draining,
                "identities": n.identities,
            })).collect::<Vec<_>>(),
            "queue": {
                "messages": health.messages,
                "bytes": health.bytes,
                "recipients": health.recipients,
                "deepest": health.deepest.iter().map(|q| serde_json::json!({
                    "recipient": q.recipient, "messages": q.messages, "bytes": q.bytes,
                })).collect::<Vec<_>>(),
            },
            "bindings": health.bindings,
            "blobs": {
                "stored": health.blobs.stored,
                "stored_bytes": health.blobs.stored_bytes,
                "uploads": health.blobs.uploads,
                "upload_bytes": health.blobs.upload_bytes,
                "orphaned_uploads": health.blobs.orphaned_uploads,
            },
            "ok": dead == 0,
        });
        println!("{value}");
    } else {
        println!("schema version {}", health.schema_version);
        println!(
            "nodes: {} ({} with a lapsed lease)",
            health.nodes.len(),
            dead
        );
        for n in &health.nodes {
            println!(
                "  {} {} {} lease {} ms, {} identities{}",
                n.node_id,
                n.listen,
                if n.alive() { "alive" } else { "LEASE LAPSED" },
                n.lease_left_ms,
                n.identities,
                if n.draining { ", draining" } else { "" }
            );
        }
        println!(
            "queue: {} messages, {} bytes, {} recipients; {} identities bound",
            health.messages, health.bytes, health.recipients, health.bindings
        );
        for q in &health.deepest {
            println!(
                "  {} {} messages {} bytes",
                q.recipient, q.messages, q.bytes
            );
        }
        let b = &health.blobs;
        println!(
            "blobs: {} stored, {} bytes; {} uploads in progress, {} bytes received, {} orphaned",
            b.stored, b.stored_bytes, b.uploads, b.upload_bytes, b.orphaned_uploads
        );
    }
    Ok(if dead == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `relay drain` (CLU-19).
fn drain_node(store: &str, node_id: &str) -> anyhow::Result<ExitCode> {
    let found = runtime()?
        .block_on(saltrelay_relay::pg::health::drain(store, node_id))
        .context("cannot mark the node as draining")?;
    anyhow::ensure!(found, "no node {node_id} is registered in this database");
    println!("node {node_id} drains at its next lease renewal");
    Ok(ExitCode::SUCCESS)
}
