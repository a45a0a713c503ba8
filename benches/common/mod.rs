//! The one benchmark harness behind `benches/suite.rs` and `benches/queues.rs`.
//!
//! Every queue, wharf's and its peers', is reached through [`BenchQueue`] and driven by the
//! same generic workload code in [`workloads`], with the same wait policy ([`Wait`]) on a full
//! or empty queue, so the comparison is fair by construction. The rules this harness follows
//! (interleaving, per-worker start stamps, verification, watchdog) are those of
//! `/work/shared/BENCHMARKING.md`.

// Each bench target uses part of the harness; the rest is dead code in that target.
#![allow(dead_code)]

pub mod adapters;
pub mod async_channels;
pub mod broadcast;
pub mod channels;
pub mod stats;
pub mod workloads;

use std::hint::spin_loop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Capacity of the bounded queues in the throughput and single-thread workloads.
pub const CAPACITY: usize = 1024;

/// How long one run may take before the watchdog aborts the process.
pub const WATCHDOG_LIMIT: Duration = Duration::from_secs(60);

/// A floor under every watchdog limit, in seconds (0: none): the soak run raises it, since
/// its runs are meant to be long.
static WATCHDOG_FLOOR_SECS: AtomicU64 = AtomicU64::new(0);

/// Raises every later watchdog's limit to at least `floor`.
pub fn set_watchdog_floor(floor: Duration) {
    // Relaxed: read by the same thread, or by threads spawned after this store.
    WATCHDOG_FLOOR_SECS.store(floor.as_secs(), Ordering::Relaxed);
}

/// Whether a queue is bounded, unbounded, or not a queue at all (the empty-loop reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Fixed capacity; a push may fail.
    Bounded,
    /// No bound; a push never fails.
    Unbounded,
    /// Not a queue: the empty loop used to measure the harness's own share.
    Reference,
}

/// The small adapter every contender implements. Values are `u64`; `u64::MAX` is reserved
/// for the end marker.
pub trait BenchQueue: Send + Sync + Sized + 'static {
    /// Name shown in tables, e.g. "wharf ArrayQueue".
    const NAME: &'static str;
    /// Short command-line id, e.g. "wharf-array".
    const KEY: &'static str;
    /// Bounded or unbounded.
    const FAMILY: Family;
    /// Whether this is one of wharf's own queues.
    const WHARF: bool;

    /// Builds the queue; bounded queues hold `capacity` values, unbounded ones ignore it.
    fn build(capacity: usize) -> Self;
    /// Pushes without waiting; hands the value back when full.
    fn push(&self, value: u64) -> Result<(), u64>;
    /// Pops without waiting; `None` when empty.
    fn pop(&self) -> Option<u64>;

    /// Values per batch in the throughput workloads: 0 for one value at a time; from 1 up,
    /// producers push runs of this many with [`push_batch`](Self::push_batch) and consumers
    /// pop with [`pop_batch`](Self::pop_batch) (a batch of 1 measures the batch path's own
    /// cost); such a contender runs the throughput workloads only.
    const BATCH: usize = 0;
    /// Pushes values from the front of `values` while there is room, removing them; returns
    /// how many. Only called when `BATCH > 0`.
    fn push_batch(&self, values: &mut Vec<u64>) -> usize {
        let _ = values;
        unreachable!("{} does not move batches", Self::NAME)
    }
    /// Pops up to `limit` values onto `out`; returns how many. Only called when `BATCH > 0`.
    fn pop_batch(&self, out: &mut Vec<u64>, limit: usize) -> usize {
        let _ = (out, limit);
        unreachable!("{} does not move batches", Self::NAME)
    }
}

/// Number of retries that spin (one `spin_loop` hint each) before every retry yields.
pub const SPIN_RETRIES: u32 = 100;

/// The wait policy shared by every contender on a full or empty queue: one spin hint per
/// retry for the first [`SPIN_RETRIES`] retries, then `yield_now` per retry.
#[derive(Debug, Default)]
pub struct Wait {
    retries: u32,
}

impl Wait {
    /// A fresh wait, spinning first.
    #[inline]
    pub fn new() -> Self {
        Wait { retries: 0 }
    }

    /// Waits once before the next retry.
    #[inline]
    pub fn pause(&mut self) {
        if self.retries < SPIN_RETRIES {
            self.retries += 1;
            spin_loop();
        } else {
            thread::yield_now();
        }
    }
}

/// Pushes `value`, waiting by [`Wait`] while the queue is full.
#[inline]
pub fn push_wait<Q: BenchQueue>(queue: &Q, value: u64) {
    let mut value = value;
    let mut wait = Wait::new();
    while let Err(back) = queue.push(value) {
        value = back;
        wait.pause();
    }
}

/// Pops a value, waiting by [`Wait`] while the queue is empty.
#[inline]
pub fn pop_wait<Q: BenchQueue>(queue: &Q) -> u64 {
    let mut wait = Wait::new();
    loop {
        if let Some(value) = queue.pop() {
            return value;
        }
        wait.pause();
    }
}

/// Aborts the process if it is not dropped within its limit: a run that hangs (a lost
/// message, a deadlocked queue) must fail loudly, not stall the suite.
#[derive(Debug)]
pub struct Watchdog {
    disarm: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts watching a run described by `what`.
    pub fn arm(what: String, limit: Duration) -> Self {
        // Relaxed: see `set_watchdog_floor`.
        let floor = Duration::from_secs(WATCHDOG_FLOOR_SECS.load(Ordering::Relaxed));
        let limit = limit.max(floor);
        let (disarm, armed) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || {
                if let Err(RecvTimeoutError::Timeout) = armed.recv_timeout(limit) {
                    eprintln!(
                        "\n*** WATCHDOG: {what} did not finish within {limit:?}; aborting. ***"
                    );
                    std::process::abort();
                }
            })
            .expect("spawn watchdog thread");
        Watchdog {
            disarm: Some(disarm),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Dropping the sender disconnects the channel, which wakes the watchdog thread.
        drop(self.disarm.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The two CPUs used for pinned workloads (producer/ping on the first, consumer/pong on the
/// second), or `None` when the machine reports fewer than two.
pub fn cpu_pair() -> Option<(core_affinity::CoreId, core_affinity::CoreId)> {
    let ids = core_affinity::get_core_ids()?;
    match ids.as_slice() {
        [a, b, ..] => Some((*a, *b)),
        _ => None,
    }
}

/// Pins the calling thread to `core` when one is given.
pub fn pin(core: Option<core_affinity::CoreId>) {
    if let Some(core) = core {
        if !core_affinity::set_for_current(core) {
            eprintln!("warning: could not pin a thread to CPU {}", core.id);
        }
    }
}

/// Number of logical CPUs, as `nproc` reports it.
pub fn cpus() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// CPU time (user + system, every thread of the process, living or joined) and context
/// switches (voluntary + involuntary) so far, from `getrusage(RUSAGE_SELF)`. The suite takes
/// the difference across a run: what a design costs the machine when threads outnumber cores.
pub fn usage() -> Usage {
    // SAFETY: `rusage` is plain old data, for which all-zero bytes are a valid value.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable `rusage`; RUSAGE_SELF is a valid `who`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    assert_eq!(rc, 0, "getrusage failed");
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    Usage {
        cpu_ns: ns(u.ru_utime) + ns(u.ru_stime),
        switches: u.ru_nvcsw as u64 + u.ru_nivcsw as u64,
    }
}

/// What [`usage`] reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// CPU time, ns.
    pub cpu_ns: u64,
    /// Context switches.
    pub switches: u64,
}

impl Usage {
    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu_ns: self.cpu_ns.saturating_sub(earlier.cpu_ns),
            switches: self.switches.saturating_sub(earlier.switches),
        }
    }
}
