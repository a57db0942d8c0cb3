//! `reports/store/README.md`, a pure function of the store bench's `results.json` (MEAS-11,
//! MEAS-13). Medians are taken per column over the runs of one case or cell.

use std::fmt::Write as _;

use super::{CriterionResult, FlushRun, LoadRun, StoreResults};
use crate::format::{bytes_per_second, duration, elements_per_second, to_f64};

/// The report.
#[must_use]
pub fn markdown(results: &StoreResults) -> String {
    let mut out = String::from("# The relay's durable store: measurements and decision\n\n");
    out.push_str(
        "Written by `saltrelay bench store` from `results.json` beside this file \
         (spec/09-measurements.md, MEAS-11); re-run the command rather than editing it. Which \
         embedded store holds the relay's buffered messages, and how fast it is here \
         (spec/05-relay-storage.md, STORE-12). **Decision: our own append-only segmented log** \
         (`relay/src/store/log/`) behind the `MessageStore` trait, driven by a group committer \
         with up to 4 flushes in flight; it was chosen from the engine comparison at the end \
         (historical, measured once in 2026-11).\n\n",
    );
    header(&mut out, results);
    flush(&mut out, results);
    closed_loop(&mut out, results);
    open_loop(&mut out, results);
    criterion(&mut out, results);
    out.push_str(HISTORICAL);
    out.push_str(TESTS);
    out
}

fn header(out: &mut String, results: &StoreResults) {
    out.push_str(&results.provenance.header_table(&[
        (
            "data directory",
            format!("`{}` on {}", results.data_dir, results.filesystem),
        ),
        (
            "profile",
            format!(
                "{}: each flush case {} s per run, each group-commit cell {} s per run",
                results.profile, results.flush_seconds, results.cell_seconds
            ),
        ),
    ]));
    out.push_str(
        "A flush's latency on a virtual disk changes from minute to minute; compare figures \
         within one report, not across reports. Other work on the machine shows in the load \
         average above.\n\n",
    );
}

/// Median of some values (the upper middle one for an even count); 0 for none.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Distinct keys in first-seen order.
fn distinct<T: PartialEq + Copy>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

fn flush(out: &mut String, results: &StoreResults) {
    let runs = distinct(results.flush.iter().map(|r| r.run)).len();
    let _ = writeln!(
        out,
        "## Disk flush rate\n\nOne file in the data directory: append, then flush, again and \
         again. Median of {runs} run(s) per column.\n"
    );
    out.push_str("| disk flush | flushes/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |\n");
    for case in distinct(results.flush.iter().map(|r| r.case.as_str())) {
        let of: Vec<&FlushRun> = results.flush.iter().filter(|r| r.case == case).collect();
        let _ = writeln!(
            out,
            "| {case} | {:.0} | {:.2} | {:.2} |",
            median(of.iter().map(|r| to_f64(r.flushes) / r.seconds).collect()),
            median(of.iter().map(|r| r.p50_ms).collect()),
            median(of.iter().map(|r| r.p99_ms).collect()),
        );
    }
    out.push('\n');
}

/// Acked/s, commits/s, mean batch, p50, p99, p99.9: medians over `runs`.
fn load_columns(runs: &[&LoadRun]) -> String {
    let per = |f: &dyn Fn(&LoadRun) -> f64| median(runs.iter().map(|&r| f(r)).collect());
    format!(
        "{:.0} | {:.0} | {:.1} | {:.2} | {:.2} | {:.2}",
        per(&|r| to_f64(r.acked) / r.seconds),
        per(&|r| to_f64(r.commits) / r.seconds),
        per(&|r| to_f64(r.acked) / to_f64(r.commits.max(1))),
        per(&|r| r.p50_ms),
        per(&|r| r.p99_ms),
        per(&|r| r.p999_ms),
    )
}

const LOAD_INTRO: &str = "The relay's `Committer` over a `LogStore` in the data directory, \
    1 KiB appends each waiting for its durable ack (the code: `bench/src/store/load.rs`). \
    \"Flushes in flight\" is `CommitterConfig::max_flushes_in_flight` (1: classic group \
    commit; 4, the default: a batch may start its flush while earlier ones are still running); \
    \"max wait\" is `max_wait`, how long a batch waits for more requests. Acked msg/s counts \
    the messages acked over the seconds they were offered; mean batch is acked messages per \
    commit.\n\n";

fn closed_loop(out: &mut String, results: &StoreResults) {
    out.push_str("## Group commit through the committer\n\n");
    out.push_str(LOAD_INTRO);
    let runs = distinct(results.closed_loop.iter().map(|r| r.run)).len();
    let _ = writeln!(
        out,
        "Closed loop (N senders, each sending again once acked: the store's capacity), \
         median of {runs} run(s) per column:\n"
    );
    out.push_str(
        "| senders | max wait µs | flushes in flight | acked msg/s | commits/s | mean batch | p50 ms | p99 ms | p99.9 ms |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for cell in distinct(results.closed_loop.iter().map(LoadRun::cell)) {
        let of: Vec<&LoadRun> = results
            .closed_loop
            .iter()
            .filter(|r| r.cell() == cell)
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell.senders,
            cell.max_wait_us,
            cell.flushes_in_flight,
            load_columns(&of)
        );
    }
    out.push('\n');
}

fn open_loop(out: &mut String, results: &StoreResults) {
    let runs = distinct(results.open_loop.iter().map(|r| r.run)).len();
    let _ = writeln!(
        out,
        "Open loop (a fixed offered rate in 1 ms ticks, whatever the acks do: latency at a \
         load), median of {runs} run(s) per column (runs interleave in time), with every \
         run's p99:\n"
    );
    out.push_str(
        "| offered msg/s | max wait µs | flushes in flight | acked msg/s | commits/s | mean batch | p50 ms | p99 ms | p99.9 ms | p99 of each run, ms |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for cell in distinct(results.open_loop.iter().map(LoadRun::cell)) {
        let of: Vec<&LoadRun> = results
            .open_loop
            .iter()
            .filter(|r| r.cell() == cell)
            .collect();
        let each: Vec<String> = of.iter().map(|r| format!("{:.1}", r.p99_ms)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell.offered_per_s,
            cell.max_wait_us,
            cell.flushes_in_flight,
            load_columns(&of),
            each.join(", ")
        );
    }
    out.push_str(
        "\nThe relay's target (STORE-12) is 30,000 durable msg/s with p99 ack at most 25 ms on \
         2 cores, for the whole relay; these figures are the store alone, in one process.\n\n",
    );
}

fn throughput(result: &CriterionResult) -> String {
    let per_s = 1e9 / result.median_ns;
    match (result.bytes, result.elements) {
        (Some(bytes), _) => bytes_per_second(to_f64(bytes) * per_s),
        (None, Some(elements)) => elements_per_second(to_f64(elements) * per_s),
        (None, None) => "—".to_owned(),
    }
}

fn criterion(out: &mut String, results: &StoreResults) {
    out.push_str("## Per-operation costs (criterion)\n\n");
    let Some(run) = &results.criterion else {
        out.push_str("Not measured in this run (`--no-criterion`).\n\n");
        return;
    };
    let _ = writeln!(
        out,
        "`{}`, run by the same invocation (`relay/benches/store.rs`): median time per \
         iteration with its 95 % confidence interval. Commits and deletes include the flush.\n",
        run.command
    );
    out.push_str(
        "| benchmark | median | 95 % interval | throughput |\n| --- | ---: | ---: | ---: |\n",
    );
    for result in &run.results {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} – {} | {} |",
            result.id,
            duration(result.median_ns),
            duration(result.lower_ns),
            duration(result.upper_ns),
            throughput(result)
        );
    }
    out.push('\n');
}

/// The engine comparison, kept as it was measured (MEAS-12).
const HISTORICAL: &str =
    "## Engines compared (historical: 2026-11-22, commit `96422a0`, not re-measured)

The decision above rests on a comparison measured once, on 2026-11-22 between 09:20 and 09:37 \
UTC at commit `96422a0`, on this project's machine while other work kept its load average near \
7, by `bash relay/store-compare/run.sh`: our log beside fjall 3.1.13 (`PersistMode::SyncData`), \
redb 4.5.0 and SQLite (rusqlite 0.41.1, WAL, `synchronous=FULL`, with and without \
`secure_delete`), each flushing at every commit, at 1 to 1024 records per commit; Redis 7.0.15 \
with `appendfsync always`; what remains on disk of 1,000 deleted records; and reopening 1,000,000 \
buffered records. Its raw output is kept unchanged beside this file: `engines.md`, `redis.txt` \
and `machine.txt`. Its findings: up to 256 records per commit every engine was bound by the \
disk's flush; past that our log, which writes each record once, sequentially, and flushes one \
file, committed the most records per second of the durable engines; only our log left no \
deleted record on disk right after the delete (it erases in place before acknowledging, \
STORE-6): fjall kept every deleted payload even after compaction, redb and SQLite with \
`secure_delete` were clean only after a compaction or checkpoint, plain SQLite not even then; \
and our log reopened fastest.

`saltrelay bench store` does not repeat that comparison, and its figures are not comparable \
with the ones above (another session, another commit): the other engines are not built into \
`saltrelay` (`relay/store-compare` is a separate Cargo workspace, so that the engines that lost \
stay out of the main build and CI does not build them) and Redis is an outside server. \
`bash relay/store-compare/run.sh` measures it again.

";

/// The tests behind the store's guarantees: what the figures above rely on.
const TESTS: &str = "## Tests that back the guarantees

Run by `cargo test -p saltrelay-relay`:

- `relay/tests/store_crash.rs`: a child process appends and deletes through the committer and \
is killed with SIGKILL after a number of acknowledgements; after each kill every acknowledged \
message not being deleted is present exactly once with intact contents, and no deleted one is \
back; a segment cut at many points of a commit gives back exactly the earlier commits.
- `relay/tests/store_erasure.rs`: after deletes and expiry the payload and the message ID are \
found nowhere in the data directory, before and after maintenance.
- `relay/tests/store_codec.rs`, `store_log.rs`, `store_recovery.rs`, `store_committer.rs`: \
the codec never panics on arbitrary bytes, order across restarts, torn tails, damaged records, \
torn erasures, and group commit's ordering and failure handling.

Power loss cannot be tested here: the tests kill processes and cut files, which runs the same \
recovery code.
";
