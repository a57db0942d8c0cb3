//! What a load test run does: clients, senders, rate, sizes, offline clients, groups,
//! offenders, phases and the relay to target; named presets fill it in.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;

use crate::LoadError;
use crate::sizes::SizeDistribution;

/// Named scenarios; flags given beside a preset override its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// 20 clients for 2 s: some offline that reconnect, groups of 3, mixed sizes.
    Smoke,
    /// 1,000 senders to 1,000 offline recipients: every ack means durable (RELAY-13).
    Offline,
    /// 1,000 senders to 1,000 online recipients: acks follow delivery.
    Online,
    /// 10,000 idle connections, relay as a child process, memory per connection.
    Idle,
    /// Well-behaved load beside one client of each offender kind (RELAY-20, RELAY-21).
    Offenders,
}

/// Where the relay runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayMode {
    /// In this process, on its own runtime, with a fresh temporary data directory.
    Embedded,
    /// `saltrelay relay serve` as a child process (its memory and CPU measured apart).
    Process,
    /// An existing relay.
    External {
        /// Its address.
        addr: SocketAddr,
        /// Its public key, hex.
        key: String,
    },
}

/// How many offenders of each kind run beside the load (RELAY-20).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Offenders {
    /// Logs in, then sends a malformed message header (`malformed_message`).
    pub malformed: usize,
    /// Sends its handshake one byte at a time (handshake timeout, TR-27).
    pub slowloris: usize,
    /// Logs in, receives a stream of messages and never reads them (`slow_reader`).
    pub never_reading: usize,
    /// Logs in and sends frames far above the rate limit (`rate_limited`).
    pub flooder: usize,
}

impl Offenders {
    /// Offenders in all.
    #[must_use]
    pub fn total(&self) -> usize {
        self.malformed + self.slowloris + self.never_reading + self.flooder
    }
}

/// Targets a report checks its figures against (the relay issue's benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Targets {
    /// Acked messages per second at least.
    pub min_ack_rate: Option<f64>,
    /// p99 of send-to-ack latency at most, ms.
    pub max_p99_ack_ms: Option<f64>,
    /// p99 of send-to-deliver latency at most, ms.
    pub max_p99_deliver_ms: Option<f64>,
}

/// One load test run.
#[derive(Debug, Clone, Serialize)]
pub struct LoadConfig {
    /// The preset the values came from.
    pub preset: Preset,
    /// Report name: the folder under `out`.
    pub name: String,
    /// Folder of reports.
    pub out: PathBuf,
    /// Connections of well-behaved clients.
    pub clients: usize,
    /// How many of them send (the first ones; they are never offline).
    pub senders: usize,
    /// Total messages per second, open loop; `None` is closed loop with `window`.
    pub rate: Option<f64>,
    /// Messages awaiting their ack per sender in closed loop.
    pub window: usize,
    /// Text body sizes.
    pub sizes: SizeDistribution,
    /// Fraction of clients offline at the start (the last ones; never senders).
    pub offline_fraction: f64,
    /// Seconds after the start of the measured phase at which offline clients reconnect;
    /// `None`: at the drain.
    pub reconnect_after: Option<f64>,
    /// Recipients per message: each is sent one copy, as groups are (E2E group fan-out).
    pub group_size: usize,
    /// Measured seconds.
    pub duration: f64,
    /// Seconds of load before measuring.
    pub warmup: f64,
    /// Most seconds to wait after the load for every acked message to be delivered.
    pub drain: f64,
    /// Seed of identities, peers and sizes.
    pub seed: u64,
    /// Where the relay runs.
    pub relay: RelayMode,
    /// The `saltrelay` binary, for [`RelayMode::Process`].
    pub relay_binary: Option<PathBuf>,
    /// More arguments of `relay serve` in [`RelayMode::Process`] (for example
    /// `--store postgres://…`).
    pub relay_args: Vec<String>,
    /// Slow-reader timeout of an embedded relay, ms (RELAY-20; `None`: the default 30 s).
    pub slow_reader_ms: Option<u64>,
    /// Offender clients.
    pub offenders: Offenders,
    /// Measure the data directory's flush rate beside the run.
    pub flush_check: bool,
    /// Run Redis (`appendfsync always`) beside the run.
    pub redis: bool,
    /// Requests of the pipelined Redis benchmark (a quarter of them unpipelined).
    pub redis_requests: u64,
    /// Targets to check.
    pub targets: Targets,
    /// Show a progress bar on stderr (hidden when not a terminal).
    pub progress: bool,
    /// The command line, for the report.
    pub command: String,
}

impl LoadConfig {
    /// The preset's values, named after it, writing into `out`.
    #[must_use]
    pub fn preset(preset: Preset, out: PathBuf) -> Self {
        let one_kib = SizeDistribution::parse("1024").expect("a valid literal");
        let mut config = Self {
            preset,
            name: String::new(),
            out,
            clients: 2000,
            senders: 1000,
            rate: None,
            window: 4,
            sizes: one_kib,
            offline_fraction: 0.0,
            reconnect_after: None,
            group_size: 1,
            duration: 30.0,
            warmup: 3.0,
            drain: 120.0,
            seed: 1,
            relay: RelayMode::Embedded,
            relay_binary: None,
            relay_args: Vec::new(),
            slow_reader_ms: None,
            offenders: Offenders::default(),
            flush_check: false,
            redis: false,
            redis_requests: 200_000,
            targets: Targets::default(),
            progress: true,
            command: String::new(),
        };
        match preset {
            Preset::Smoke => {
                config.name = "smoke".into();
                config.clients = 20;
                config.senders = 10;
                config.window = 2;
                config.sizes =
                    SizeDistribution::parse("64:0.5,1024:0.4,4096:0.1").expect("a valid literal");
                config.offline_fraction = 0.3;
                config.reconnect_after = Some(1.0);
                config.group_size = 3;
                config.duration = 2.0;
                config.warmup = 0.0;
                config.drain = 15.0;
                config.redis_requests = 20_000;
            }
            Preset::Offline => {
                config.name = "offline".into();
                config.offline_fraction = 0.5;
                config.flush_check = true;
                config.redis = true;
                config.targets.min_ack_rate = Some(30_000.0);
                config.targets.max_p99_ack_ms = Some(25.0);
            }
            Preset::Online => {
                config.name = "online".into();
                config.targets.min_ack_rate = Some(60_000.0);
                config.targets.max_p99_deliver_ms = Some(5.0);
            }
            Preset::Idle => {
                config.name = "idle".into();
                config.clients = 10_000;
                config.senders = 0;
                config.duration = 20.0;
                config.warmup = 0.0;
                config.relay = RelayMode::Process;
            }
            Preset::Offenders => {
                config.name = "offenders".into();
                config.clients = 200;
                config.senders = 100;
                config.rate = Some(2000.0);
                config.slow_reader_ms = Some(5000);
                config.offenders = Offenders {
                    malformed: 1,
                    slowloris: 1,
                    never_reading: 1,
                    flooder: 1,
                };
            }
        }
        config
    }

    /// Clients offline at the start.
    #[must_use]
    pub fn offline_clients(&self) -> usize {
        // Rounded down: a fraction never makes more clients offline than it says.
        let n = (self.clients as f64 * self.offline_fraction).floor();
        if n <= 0.0 {
            0
        } else {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a non-negative count at most `clients`"
            )]
            let n = n as usize;
            n.min(self.clients)
        }
    }

    /// Checks the values fit together.
    ///
    /// # Errors
    /// [`LoadError::Config`] naming the conflict.
    pub fn validate(&self) -> Result<(), LoadError> {
        let bad = |s: &str| Err(LoadError::Config(s.to_owned()));
        if self.name.is_empty() || self.name.contains(['/', '\\']) || self.name.starts_with('.') {
            return bad("--name must be a plain folder name");
        }
        if self.clients == 0 {
            return bad("--clients must be at least 1");
        }
        if self.senders > self.clients {
            return bad("--senders cannot exceed --clients");
        }
        if !(0.0..=1.0).contains(&self.offline_fraction) {
            return bad("--offline-fraction must be between 0 and 1");
        }
        if self.senders + self.offline_clients() > self.clients {
            return bad("senders are never offline: --senders + offline clients exceed --clients");
        }
        if self.senders > 0 && self.group_size + 1 > self.clients {
            return bad("--group-size needs that many clients besides the sender");
        }
        if self.group_size == 0 || self.window == 0 {
            return bad("--group-size and --window must be at least 1");
        }
        if self.duration.is_nan() || self.duration <= 0.0 || self.warmup < 0.0 || self.drain < 0.0 {
            return bad("--duration must be positive, --warmup and --drain not negative");
        }
        if let Some(rate) = self.rate
            && (rate.is_nan() || rate <= 0.0 || self.senders == 0)
        {
            return bad("--rate must be positive and needs senders");
        }
        if self.relay == RelayMode::Process && self.relay_binary.is_none() {
            return bad("a relay process needs the saltrelay binary");
        }
        if !matches!(self.relay, RelayMode::Embedded) && self.slow_reader_ms.is_some() {
            return bad("--slow-reader-ms applies to an embedded relay only");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for preset in [
            Preset::Smoke,
            Preset::Offline,
            Preset::Online,
            Preset::Offenders,
        ] {
            LoadConfig::preset(preset, "out".into())
                .validate()
                .expect("valid preset");
        }
        let mut idle = LoadConfig::preset(Preset::Idle, "out".into());
        idle.relay_binary = Some("saltrelay".into());
        idle.validate().expect("valid preset");
    }

    #[test]
    fn rejects_offline_senders() {
        let mut config = LoadConfig::preset(Preset::Smoke, "out".into());
        config.offline_fraction = 0.9;
        assert!(matches!(config.validate(), Err(LoadError::Config(_))));
    }
}
