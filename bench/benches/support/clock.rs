//! The clock the benches read. By default the CPU time of the measuring thread: on a shared
//! machine (other builds running beside the benches) wall time also counts the time the thread
//! waited for a core, which scatters the results; CPU time does not. `SALTRELAY_BENCH_CLOCK=wall`
//! selects wall time, and benches that wait on the disk use it always.

use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// Environment variable selecting the clock: `cpu` (default) or `wall`.
pub(crate) const CLOCK_VAR: &str = "SALTRELAY_BENCH_CLOCK";

/// Which clock a criterion run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    /// CPU time of the measuring thread (`CLOCK_THREAD_CPUTIME_ID`).
    ThreadCpu,
    /// Monotonic wall time.
    Wall,
}

impl Clock {
    /// The clock named by [`CLOCK_VAR`], thread CPU time when unset.
    pub(crate) fn from_env() -> Self {
        match std::env::var(CLOCK_VAR).as_deref() {
            Ok("wall") => Self::Wall,
            _ => Self::ThreadCpu,
        }
    }

    /// How the report names it.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::ThreadCpu => "CPU time of the measuring thread",
            Self::Wall => "wall time",
        }
    }
}

/// A started measurement.
pub(crate) enum Start {
    Cpu(ThreadTime),
    Wall(Instant),
}

impl Measurement for Clock {
    type Intermediate = Start;
    type Value = Duration;

    fn start(&self) -> Start {
        match self {
            Self::ThreadCpu => Start::Cpu(ThreadTime::now()),
            Self::Wall => Start::Wall(Instant::now()),
        }
    }

    fn end(&self, start: Start) -> Duration {
        match start {
            Start::Cpu(t) => t.elapsed(),
            Start::Wall(t) => t.elapsed(),
        }
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_secs_f64() * 1e9
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

/// Formats nanosecond values for criterion's console output.
struct Nanoseconds;

/// Scales `values` by the unit that suits `typical` among `units` (each a divisor and name).
fn scale(typical: f64, values: &mut [f64], units: &[(f64, &'static str)]) -> &'static str {
    let (divisor, name) = units
        .iter()
        .rev()
        .find(|(d, _)| typical >= *d)
        .copied()
        .unwrap_or(units[0]);
    for v in values {
        *v /= divisor;
    }
    name
}

const TIME_UNITS: [(f64, &str); 4] = [(1.0, "ns"), (1e3, "µs"), (1e6, "ms"), (1e9, "s")];
const BYTE_UNITS: [(f64, &str); 4] = [
    (1.0, "B/s"),
    (1024.0, "KiB/s"),
    (1_048_576.0, "MiB/s"),
    (1_073_741_824.0, "GiB/s"),
];
const ELEMENT_UNITS: [(f64, &str); 4] = [
    (1.0, "elem/s"),
    (1e3, "Kelem/s"),
    (1e6, "Melem/s"),
    (1e9, "Gelem/s"),
];

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        scale(typical, values, &TIME_UNITS)
    }

    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        #[expect(clippy::cast_precision_loss, reason = "sizes are far below 2^53")]
        let (per_iteration, units) = match *throughput {
            Throughput::Bytes(b) | Throughput::BytesDecimal(b) => (b as f64, &BYTE_UNITS),
            Throughput::ElementsAndBytes { bytes, .. } => (bytes as f64, &BYTE_UNITS),
            Throughput::Bits(b) => (b as f64 / 8.0, &BYTE_UNITS),
            Throughput::Elements(e) => (e as f64, &ELEMENT_UNITS),
        };
        for v in values.iter_mut() {
            *v = per_iteration * 1e9 / *v;
        }
        scale(per_iteration * 1e9 / typical, values, units)
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
