//! The tokio runtimes of a load run: the clients' and the embedded relay's, each on its own
//! named threads (its own file so that `run` and `target` both use it without depending on
//! each other).

use crate::LoadError;

/// A two-worker runtime whose threads carry `thread_name`: the CPU split of `cpu` tells the
/// clients' threads from the relay's by that name.
pub(crate) fn runtime(thread_name: &str) -> Result<tokio::runtime::Runtime, LoadError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(thread_name)
        .enable_all()
        .build()
        .map_err(|e| LoadError::io(format!("{thread_name} runtime"), e))
}
