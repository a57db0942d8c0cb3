//! Group commit: one thread owns the store and turns concurrent appends and deletes into
//! one durable commit per batch (spec/05-relay-storage.md, STORE-11).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::{BufferedMessage, MessageStore, PendingFlush, RecordId, StoreError};

/// Bounds of one group commit (STORE-11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitterConfig {
    /// A batch stops taking requests once it holds this many messages and deletions.
    pub max_batch_messages: usize,
    /// A batch stops taking requests once its payloads add up to this many bytes.
    pub max_batch_bytes: usize,
    /// How long a batch may wait for more requests after its first one. Zero (the default)
    /// waits for none: requests that arrive during a flush form the next batch, so batches
    /// grow with load by themselves.
    pub max_wait: Duration,
    /// How many batches may be written and awaiting their flush at once, each flushed on a
    /// thread of its own. One gives strict one-flush-at-a-time group commit; more lets a
    /// batch start its flush while earlier ones are still in flight (STORE-11).
    pub max_flushes_in_flight: usize,
}

impl Default for CommitterConfig {
    fn default() -> Self {
        Self {
            max_batch_messages: 1024,
            max_batch_bytes: 4 << 20,
            max_wait: Duration::ZERO,
            max_flushes_in_flight: 4,
        }
    }
}

/// A completion, called on the committer thread: it should only hand the result on.
type Done<T> = Box<dyn FnOnce(Result<T, StoreError>) + Send>;

/// A request that goes into a group commit.
enum Write {
    Append(Vec<BufferedMessage>, Done<Vec<RecordId>>),
    Delete(Vec<RecordId>, Done<()>),
}

impl Write {
    /// Messages or deletions, and payload bytes.
    fn size(&self) -> (usize, usize) {
        match self {
            Self::Append(messages, _) => (
                messages.len(),
                messages.iter().map(|m| m.payload.len()).sum(),
            ),
            Self::Delete(ids, _) => (ids.len(), 0),
        }
    }

    fn fail(self, error: &StoreError) {
        match self {
            Self::Append(_, done) => done(Err(error.clone())),
            Self::Delete(_, done) => done(Err(error.clone())),
        }
    }
}

/// Work run on the store between commits.
type Call = Box<dyn FnOnce(&mut dyn MessageStore) + Send>;

enum Request {
    Write(Write),
    Call(Call),
    Shutdown,
}

/// Counters of a committer's work since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitterStats {
    /// Group commits made (each one durable write).
    pub commits: u64,
    /// Append and delete requests they served.
    pub requests: u64,
    /// Messages appended.
    pub messages: u64,
}

#[derive(Debug, Default)]
struct Counters {
    commits: AtomicU64,
    requests: AtomicU64,
    messages: AtomicU64,
}

/// A store on a thread of its own, taking requests through [`CommitHandle`]s.
#[derive(Debug)]
pub struct Committer<S> {
    handle: CommitHandle,
    thread: JoinHandle<S>,
}

/// A cloneable way to send requests to a [`Committer`]. Every method returns at once; the
/// completion closure receives the result once it is durable, on a committer or flush
/// thread, so it should only hand the result on (a tokio oneshot `send`, say). If the
/// committer has stopped, the completion receives [`StoreError::Closed`] or, in a narrow
/// race with shutdown, is dropped uncalled: treat a dropped completion as `Closed`.
#[derive(Debug, Clone)]
pub struct CommitHandle {
    requests: Sender<Request>,
    counters: Arc<Counters>,
}

impl<S: MessageStore + 'static> Committer<S> {
    /// Starts the committer thread.
    ///
    /// # Errors
    /// [`StoreError::Io`] if the thread cannot be started.
    pub fn spawn(store: S, config: CommitterConfig) -> Result<Self, StoreError> {
        let (requests, receiver) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let thread_counters = Arc::clone(&counters);
        let thread = thread::Builder::new()
            .name("store-committer".into())
            .spawn(move || run(store, &receiver, config, &thread_counters))
            .map_err(|e| StoreError::io("open", e))?;
        Ok(Self {
            handle: CommitHandle { requests, counters },
            thread,
        })
    }

    /// A handle to send requests with.
    #[must_use]
    pub fn handle(&self) -> CommitHandle {
        self.handle.clone()
    }

    /// Finishes every request sent before this call, stops the thread and returns the
    /// store. Later requests complete with [`StoreError::Closed`].
    ///
    /// # Errors
    /// [`StoreError::Closed`] if the thread died (a completion closure panicked).
    pub fn shutdown(self) -> Result<S, StoreError> {
        // A send error means the thread is already gone; join tells how.
        let _ = self.handle.requests.send(Request::Shutdown);
        self.thread.join().map_err(|_| StoreError::Closed)
    }
}

impl CommitHandle {
    /// Appends messages durably; `done` receives their record IDs (STORE-11).
    pub fn append(
        &self,
        messages: Vec<BufferedMessage>,
        done: impl FnOnce(Result<Vec<RecordId>, StoreError>) + Send + 'static,
    ) {
        self.send(Request::Write(Write::Append(messages, Box::new(done))));
    }

    /// Deletes messages durably; unknown IDs are ignored (STORE-6).
    pub fn delete(
        &self,
        ids: Vec<RecordId>,
        done: impl FnOnce(Result<(), StoreError>) + Send + 'static,
    ) {
        self.send(Request::Write(Write::Delete(ids, Box::new(done))));
    }

    /// Runs `f` on the store between two commits (loading a queue, expiry, maintenance,
    /// statistics); `done` receives its result.
    pub fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn MessageStore) -> R + Send + 'static,
        done: impl FnOnce(Result<R, StoreError>) + Send + 'static,
    ) {
        self.send(Request::Call(Box::new(move |store| done(Ok(f(store))))));
    }

    /// [`CommitHandle::append`], waiting for the result.
    ///
    /// # Errors
    /// The commit's error, or [`StoreError::Closed`].
    pub fn append_blocking(
        &self,
        messages: Vec<BufferedMessage>,
    ) -> Result<Vec<RecordId>, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.append(messages, move |r| drop(tx.send(r)));
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// [`CommitHandle::delete`], waiting for the result.
    ///
    /// # Errors
    /// The commit's error, or [`StoreError::Closed`].
    pub fn delete_blocking(&self, ids: Vec<RecordId>) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.delete(ids, move |r| drop(tx.send(r)));
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// [`CommitHandle::call`], waiting for the result.
    ///
    /// # Errors
    /// [`StoreError::Closed`].
    pub fn call_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn MessageStore) -> R + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.call(f, move |r| drop(tx.send(r)));
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// The committer's counters.
    #[must_use]
    pub fn stats(&self) -> CommitterStats {
        CommitterStats {
            commits: self.counters.commits.load(Ordering::Relaxed),
            requests: self.counters.requests.load(Ordering::Relaxed),
            messages: self.counters.messages.load(Ordering::Relaxed),
        }
    }

    fn send(&self, request: Request) {
        if let Err(mpsc::SendError(Request::Write(write))) = self.requests.send(request) {
            write.fail(&StoreError::Closed);
        }
    }
}

/// A written batch awaiting its flush, with the requests to complete when it is durable.
struct Job {
    flush: Box<dyn PendingFlush>,
    completions: Vec<Completion>,
}

enum Completion {
    Append(Vec<RecordId>, Done<Vec<RecordId>>),
    Delete(Done<()>),
}

impl Completion {
    fn complete(self, result: Result<(), &StoreError>) {
        match (self, result) {
            (Self::Append(ids, done), Ok(())) => done(Ok(ids)),
            (Self::Delete(done), Ok(())) => done(Ok(())),
            (Self::Append(_, done), Err(e)) => done(Err(e.clone())),
            (Self::Delete(done), Err(e)) => done(Err(e.clone())),
        }
    }
}

/// The committer thread: take a batch once a flush slot is free, write it, hand its flush
/// to a flush thread; run other requests in between. Returns the store once every flush
/// has finished.
fn run<S: MessageStore>(
    mut store: S,
    receiver: &Receiver<Request>,
    config: CommitterConfig,
    counters: &Arc<Counters>,
) -> S {
    let slots = config.max_flushes_in_flight.max(1);
    let (jobs, job_receiver) = mpsc::channel::<Job>();
    let job_receiver = Arc::new(Mutex::new(job_receiver));
    let (free, free_receiver) = mpsc::sync_channel::<()>(slots);
    let mut flushers = Vec::with_capacity(slots);
    for _ in 0..slots {
        let _ = free.send(());
        let job_receiver = Arc::clone(&job_receiver);
        let free = free.clone();
        let spawned = thread::Builder::new()
            .name("store-flush".into())
            .spawn(move || flush_jobs(&job_receiver, &free));
        match spawned {
            Ok(handle) => flushers.push(handle),
            Err(_) => break, // fewer flush threads; at least one is needed below
        }
    }
    let mut held: Option<Request> = None;
    while !flushers.is_empty() {
        let Some(first) = held.take().or_else(|| receiver.recv().ok()) else {
            break; // every handle is gone
        };
        match first {
            Request::Shutdown => break,
            Request::Call(f) => f(&mut store),
            Request::Write(write) => {
                // Wait for a slot before filling, so what arrives meanwhile joins this batch.
                if free_receiver.recv().is_err() {
                    write.fail(&StoreError::Closed);
                    break;
                }
                let mut batch = vec![write];
                held = fill(&mut batch, receiver, config);
                match write_batch(&mut store, batch, counters) {
                    Ok(job) => {
                        if let Err(mpsc::SendError(job)) = jobs.send(job) {
                            fail_job(job, &StoreError::Closed);
                        }
                    }
                    Err(()) => {
                        let _ = free.send(());
                    }
                }
            }
        }
    }
    drop(jobs); // flush threads finish the queued jobs, then stop
    for flusher in flushers {
        let _ = flusher.join();
    }
    // Writes sent after the shutdown are refused rather than dropped unanswered. (One sent
    // after this drain is dropped with the channel: its completion is dropped uncalled,
    // which callers treat as `Closed`.)
    while let Ok(request) = receiver.try_recv() {
        if let Request::Write(write) = request {
            write.fail(&StoreError::Closed);
        }
    }
    store
}

/// A flush thread: flush each job, then complete its requests and free its slot.
fn flush_jobs(jobs: &Mutex<Receiver<Job>>, free: &mpsc::SyncSender<()>) {
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            return;
        };
        let result = job.flush.wait_durable();
        for completion in job.completions {
            completion.complete(result.as_ref().copied());
        }
        let _ = free.send(());
    }
}

fn fail_job(job: Job, error: &StoreError) {
    for completion in job.completions {
        completion.complete(Err(error));
    }
}

/// Adds writes to `batch` until it is full (STORE-11), nothing more arrives within
/// `max_wait` of the first, or a request that is not a write comes (which is returned, to
/// run after the commit).
fn fill(
    batch: &mut Vec<Write>,
    receiver: &Receiver<Request>,
    config: CommitterConfig,
) -> Option<Request> {
    let start = Instant::now();
    // Counts of requests and payload bytes held in memory: saturating never changes a sum
    // that fits, and a saturated one still ends the batch.
    let (mut items, mut bytes) = batch
        .iter()
        .map(Write::size)
        .fold((0_usize, 0_usize), |(n, b), (dn, db)| {
            (n.saturating_add(dn), b.saturating_add(db))
        });
    while items < config.max_batch_messages && bytes < config.max_batch_bytes {
        let next = match receiver.try_recv() {
            Ok(request) => request,
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {
                // No `Instant + Duration`: it panics on overflow, and `max_wait` is configured.
                let wait = match config.max_wait.checked_sub(start.elapsed()) {
                    Some(wait) if !wait.is_zero() => wait,
                    _ => return None,
                };
                match receiver.recv_timeout(wait) {
                    Ok(request) => request,
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                        return None;
                    }
                }
            }
        };
        let Request::Write(write) = next else {
            return Some(next);
        };
        let (n, b) = write.size();
        items = items.saturating_add(n);
        bytes = bytes.saturating_add(b);
        batch.push(write);
    }
    None
}

/// Writes a batch as one commit (STORE-11). On success returns the job that completes its
/// requests once flushed; on failure completes them with the error at once.
fn write_batch<S: MessageStore>(
    store: &mut S,
    batch: Vec<Write>,
    counters: &Counters,
) -> Result<Job, ()> {
    let mut appends = Vec::new();
    let mut deletes = Vec::new();
    // Each request's completion, holding for an append how many IDs are its own.
    let mut completions = Vec::with_capacity(batch.len());
    for write in batch {
        match write {
            Write::Append(messages, done) => {
                completions.push(Completion::Append(vec![RecordId(0); messages.len()], done));
                appends.extend(messages);
            }
            Write::Delete(ids, done) => {
                completions.push(Completion::Delete(done));
                deletes.extend(ids);
            }
        }
    }
    let mut result = store.write_commit(&appends, &deletes);
    if let Err(full @ StoreError::Full { .. }) = &result {
        // STORE-15: the appends are refused; the deletions of the batch still go through,
        // since erasing in place needs no new space and a lost ack would deliver again.
        let full = full.clone();
        let (refused, kept): (Vec<Completion>, Vec<Completion>) = completions
            .into_iter()
            .partition(|completion| matches!(completion, Completion::Append(..)));
        for completion in refused {
            completion.complete(Err(&full));
        }
        completions = kept;
        appends.clear();
        result = if deletes.is_empty() && completions.is_empty() {
            return Err(());
        } else {
            store.write_commit(&[], &deletes)
        };
    }
    counters.commits.fetch_add(1, Ordering::Relaxed);
    counters
        .requests
        .fetch_add(completions.len() as u64, Ordering::Relaxed);
    counters
        .messages
        .fetch_add(appends.len() as u64, Ordering::Relaxed);
    let (committed, flush) = match result {
        Ok(written) => written,
        Err(error) => {
            for completion in completions {
                completion.complete(Err(&error));
            }
            return Err(());
        }
    };
    let mut ids = committed.ids.into_iter();
    for completion in &mut completions {
        if let Completion::Append(own, _) = completion {
            for (slot, id) in own.iter_mut().zip(ids.by_ref()) {
                *slot = id;
            }
        }
    }
    Ok(Job { flush, completions })
}
