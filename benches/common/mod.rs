//! The one benchmark harness behind every bench target: timing, verification, statistics,
//! and one small adapter per contender.
//!
//! - [`contender`]: what a workload, a contender and a run's sample are, and
//!   [`contender::Named`], what every adapter says about itself.
//! - [`check`]: what every run verifies (count, sum, sum of squares, per-producer order), the
//!   end marker, and the abort-on-panic guard every worker holds.
//! - [`shapes`]: the blocking throughput (P producers, C consumers) and ping-pong shapes,
//!   written once and generic over [`shapes::Flow`]; the raw queues and the blocking channels
//!   both run through them.
//! - One section per kind of contender, each an adapter trait, its adapters and its own
//!   workloads: [`queues`] ([`queue_adapters`]), [`channels`] ([`channel_adapters`]),
//!   [`async_channels`], [`broadcast`] ([`broadcast_adapters`], [`disruptor_adapter`]).
//! - [`stats`]: ratios of medians with bootstrap intervals; [`criterion_groups`]: the shared
//!   body of the criterion front-ends.
//!
//! Every contender is driven by the same generic workload code with the same wait policy
//! ([`Wait`]) where the contender does not bring its own blocking calls, so the comparison is
//! fair by construction. The rules this harness follows (interleaving, per-worker start
//! stamps, verification, watchdog) are those of `/work/shared/BENCHMARKING.md`.

// Each bench target uses part of the harness; the rest is dead code in that target.
#![allow(dead_code)]

/// Implements [`contender::Named`] for an adapter type: `named!(Type, "name", "key", Family,
/// wharf)`.
macro_rules! named {
    ($ty:ty, $name:expr, $key:expr, $family:ident, $wharf:expr) => {
        impl $crate::common::contender::Named for $ty {
            const NAME: &'static str = $name;
            const KEY: &'static str = $key;
            const FAMILY: $crate::common::Family = $crate::common::Family::$family;
            const WHARF: bool = $wharf;
        }
    };
}

/// In the channel adapter macros: a receiver's clone, or (`single_consumer: "why"`) a
/// panic, for a receiver that cannot be shared (the workloads never clone those).
macro_rules! clone_rx {
    ($rx:ident) => {
        $rx.clone()
    };
    ($rx:ident, $why:literal) => {{
        let _ = $rx;
        unreachable!($why)
    }};
}

pub mod async_channels;
pub mod broadcast;
pub mod broadcast_adapters;
pub mod channel_adapters;
pub mod channels;
pub mod check;
pub mod contender;
pub mod criterion_groups;
pub mod disruptor_adapter;
pub mod queue_adapters;
pub mod queues;
pub mod shapes;
pub mod stats;

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
