//! Blocking waits for a condition that lives outside the waiter: the internals. The
//! algorithm in brief, the protocol, the ordering contract and the costs are on
//! [`EventCount`]'s own docs.
//!
//! # The state word
//!
//! The eventcount of Dmitry Vyukov ("eventcount", 1024cores.net) as refined in folly's and
//! Eigen's `EventCount`: one 64-bit state word holds an *epoch* (high 32 bits) and the number
//! of registered waiters (low 32 bits).
//!
//! - A waiter *prepares* with one read-modify-write that registers it and reads the epoch
//!   as its key, re-checks its condition, and then either *cancels* (the condition holds) or
//!   *commits*: it waits until the epoch moves past its key.
//! - A notifier, after making the condition true, issues a `SeqCst` fence and loads the state.
//!   With no waiter registered it is done: no read-modify-write, no system call. Otherwise it
//!   bumps the epoch, and only if some waiter has gone to sleep (`sleepers`) does it take the
//!   lock and signal the condition variable.
//!
//! The fence pair is a Dekker handshake: either the notifier's load sees the waiter's
//! registration, or the waiter's re-check sees the notifier's condition. So a waiter that
//! commits is always woken by a later notify. The sleep itself re-checks the epoch under the
//! lock, so a signal cannot fall between that check and the sleep.
//!
//! The async ends of the channels and the broadcast ring wait on the same event counts: a
//! task registers its waker in a list, counted in the same waiter half of the state word, so
//! one notify serves threads and tasks alike (see `tasks.rs`).

use std::time::{Duration, Instant};

use crate::loom::{
    fence, spin_loop, yield_now, AtomicU64, AtomicUsize, Condvar, DataMutex, Mutex, Ordering,
};

mod asymmetric;
mod tasks;

use tasks::TaskList;
pub(crate) use tasks::TaskSlot;

/// Spin rounds (each a `spin_loop` hint and one load) a committed waiter makes before it
/// starts yielding.
///
/// Chosen by measurement on the 2-core machines wharf is measured on (a grid of spin and
/// yield counts; bounded(4) and bounded(1024) channels 1P1C and 4P4C, unbounded 1P1C and 4P1C,
/// and the wake-up latency of a parked receiver). Pure spinning was the worst choice: a woken
/// thread is often placed on the waker's core and cannot run until the waker stops spinning,
/// so wake-up latency grew with the spin (3.5 µs at 128 rounds, 54 µs at 4,096), while with
/// too short a wait both sides of a small bounded channel park on every message (0.1 Mmsg/s
/// at 128 rounds and no yields). 64 spins and then 128 yields gave the best of both: 2.9 µs
/// wake-up and 2.7–4.1 Mmsg/s on bounded(4).
pub const SPIN_ROUNDS: u32 = if cfg!(loom) { 1 } else { 64 };

/// `yield_now` rounds a committed waiter makes after spinning and before it sleeps; see
/// [`SPIN_ROUNDS`]. Yielding costs nothing when the core has nothing else to run, and lets a
/// thread woken onto this core run at once when it has.
pub const YIELD_ROUNDS: u32 = if cfg!(loom) { 0 } else { 128 };

/// One registered waiter in the low half of the state word.
const ONE_WAITER: u64 = 1;
/// The waiter count's bits.
const WAITERS: u64 = (1 << 32) - 1;
/// One epoch step in the high half of the state word.
const ONE_EPOCH: u64 = 1 << 32;

/// A count of events that threads can wait on: the eventcount of Vyukov, folly and Eigen.
///
/// It turns a non-blocking check ("is there an item?") into a blocking wait without a lock on
/// the fast path. The protocol:
///
/// 1. Check the condition; if it holds, you are done.
/// 2. [`prepare_wait`](EventCount::prepare_wait) to get a [`Key`].
/// 3. Check the condition again; if it holds, [`cancel`](Key::cancel) (or drop the key).
/// 4. Otherwise [`wait`](Key::wait) (or wait with a timeout or deadline), then go to 1.
///
/// Whoever makes the condition true calls [`notify_one`](EventCount::notify_one) or
/// [`notify_all`](EventCount::notify_all) *after* doing so.
///
/// # Algorithm
///
/// Dmitry Vyukov's eventcount, as refined in folly and Eigen: one 64-bit word holds an epoch
/// and the number of registered waiters. `prepare_wait` registers the caller and reads the
/// epoch into its [`Key`]; a committed wait lasts until a notify moves the epoch past the
/// key. A notify that finds no waiter registered does nothing more than its fence and one
/// load; otherwise it bumps the epoch, and signals the condition variable only if a waiter
/// has gone to sleep.
///
/// A committed waiter first spins on the epoch for [`SPIN_ROUNDS`] rounds and yields for
/// [`YIELD_ROUNDS`] more, so a wake-up that arrives within microseconds costs the notifier no
/// system call; then it sleeps on a condition variable.
///
/// # Progress and memory
///
/// Waiting blocks, by design; notifying never does, and takes the internal lock only to wake
/// a sleeper. An `EventCount` is a fixed-size value (the state word, a sleeper count, a
/// `Mutex<()>` and a `Condvar`, and for async tasks a count, a front id and a locked list of
/// wakers). It allocates nothing until a task waits: the task list is a `VecDeque` that grows
/// to the most tasks ever waiting at once and keeps that room (std's `Mutex` and `Condvar`
/// need nothing more on Linux).
///
/// # Memory ordering contract
///
/// `notify_*` begins with a `SeqCst` fence and `prepare_wait` ends with one. So if the
/// notifier's write that makes the condition true comes before its `notify_*` call, and the
/// waiter's re-check (step 3) comes after `prepare_wait`, then at least one of the two sees
/// the other: the re-check sees the condition, or the notify sees the waiter and wakes it.
/// The condition's own atomics may use any ordering (even `Relaxed`). A return from a wait
/// is a hint to re-check, not a promise the condition holds: waits may wake spuriously, and
/// `notify_one` may release more than one waiter.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use std::thread;
/// use wharf::EventCount;
///
/// let ready = Arc::new(AtomicBool::new(false));
/// let ec = Arc::new(EventCount::new());
/// let waiter = {
///     let (ready, ec) = (ready.clone(), ec.clone());
///     thread::spawn(move || loop {
///         if ready.load(Ordering::Relaxed) {
///             return;
///         }
///         let key = ec.prepare_wait();
///         if ready.load(Ordering::Relaxed) {
///             key.cancel();
///             return;
///         }
///         key.wait();
///     })
/// };
/// ready.store(true, Ordering::Relaxed);
/// ec.notify_all();
/// waiter.join().unwrap();
/// ```
pub struct EventCount {
    /// The epoch in the high 32 bits (bumped by each notify that finds a waiter; wraps), the
    /// number of prepared, not yet finished waiters in the low 32 bits.
    state: AtomicU64,
    /// How many committed waiters are asleep, or about to sleep, on `cond`.
    sleepers: AtomicUsize,
    /// The Dekker handshake of notify and registration uses the asymmetric fence (see
    /// `asymmetric.rs`): a compiler fence for notifiers, a system call for waiters. Fixed
    /// when the event count is made, so both sides always agree.
    asymmetric: bool,
    /// Guards the sleep so a signal cannot fall between a sleeper's epoch check and its sleep.
    lock: Mutex<()>,
    /// Where committed waiters sleep after spinning.
    cond: Condvar,
    /// How many async tasks wait in `tasks` (each also counts in `state`'s waiter half).
    task_count: AtomicUsize,
    /// The lowest id still in `tasks` (its next id when empty), kept under its lock: a task
    /// whose id is below it knows, without the lock, that a notifier took its entry.
    task_front: AtomicU64,
    /// The wakers of waiting async tasks (see `tasks.rs`).
    tasks: DataMutex<TaskList>,
}

impl EventCount {
    /// Creates an event count with no waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// let ec = wharf::EventCount::new();
    /// ec.notify_one(); // nobody waits: a fence and a load
    /// ```
    pub fn new() -> Self {
        let ec = Self {
            state: AtomicU64::new(0),
            sleepers: AtomicUsize::new(0),
            asymmetric: false,
            lock: Mutex::new(()),
            cond: Condvar::new(),
            task_count: AtomicUsize::new(0),
            task_front: AtomicU64::new(0),
            tasks: DataMutex::new(TaskList::default()),
        };
        // Loom only: loom does not count an atomic's initial value as a `SeqCst` store, so a
        // `SeqCst` load could read it past a newer `SeqCst` registration (which C++ forbids:
        // the initial value happens before it). One `SeqCst` store of the same value gives
        // the fence-free check in `notify_one_fence_free` the write loom needs to follow the
        // single order (see `__notify_one_fence_free`).
        #[cfg(loom)]
        ec.state.store(0, Ordering::SeqCst);
        ec
    }

    /// An event count for a notifier that notifies on every operation and waiters that
    /// rarely wait (a broadcast ring's publisher and its subscribers): a notify with nobody
    /// waiting costs one load and no fence, and a registration costs a `membarrier` system
    /// call instead of a fence (see `asymmetric.rs`; fences on both sides where the call is
    /// not available). Registers the process for the call, once.
    pub(crate) fn new_asymmetric() -> Self {
        Self {
            asymmetric: asymmetric::register(),
            ..Self::new()
        }
    }

    /// The waiter's side of the handshake, after its registration and before its re-check.
    #[inline]
    fn registered_fence(&self) {
        if self.asymmetric {
            asymmetric::heavy();
        } else {
            fence(Ordering::SeqCst);
        }
    }

    /// Registers the calling thread as a waiter and returns its key. Re-check the condition
    /// after this call, then cancel or wait with the key.
    ///
    /// Emits a `SeqCst` fence after registering (see the ordering contract on the type).
    ///
    /// # Panics
    ///
    /// Panics if 2³² − 1 waiters are already registered.
    ///
    /// # Examples
    ///
    /// ```
    /// let ec = wharf::EventCount::new();
    /// let key = ec.prepare_wait();
    /// key.cancel();
    /// ```
    pub fn prepare_wait(&self) -> Key<'_> {
        // SeqCst: registration and key in one step, in the single order with notifiers.
        let state = self.state.fetch_add(ONE_WAITER, Ordering::SeqCst);
        if state & WAITERS == WAITERS {
            self.state.fetch_sub(ONE_WAITER, Ordering::Relaxed);
            panic!("EventCount: too many waiters");
        }
        // SeqCst fence (or the asymmetric fence's heavy side): the caller's re-check of its
        // condition may not move before the registration; pairs with the fence in `notify`.
        self.registered_fence();
        Key {
            ec: self,
            epoch: state >> 32,
        }
    }

    /// Wakes one committed waiter (and releases every waiter still spinning), and the oldest
    /// waiting task of wharf's async futures.
    ///
    /// Costs a `SeqCst` fence and one load when nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// wharf::EventCount::new().notify_one();
    /// ```
    #[inline]
    pub fn notify_one(&self) {
        self.notify(false);
    }

    /// Wakes every waiter that prepared before this call.
    ///
    /// Costs a `SeqCst` fence and one load when nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// wharf::EventCount::new().notify_all();
    /// ```
    #[inline]
    pub fn notify_all(&self) {
        self.notify(true);
    }

    /// `notify_one` for a caller whose condition write was a `SeqCst` read-modify-write,
    /// made available to waiters that re-check with `SeqCst` loads or after a `SeqCst` fence
    /// (`seqcst` true; see `Queue::__seqcst_handoff`): then a check with nobody waiting is one
    /// load, without the fence.
    ///
    /// Why that is enough (C++20 [atomics.order] p4, with `S` the single total order of
    /// `SeqCst` operations): let `W` be the caller's write, `B` our load of the waiter count,
    /// `C` a waiter's registration, `F` the fence that ends `prepare_wait`, and `D` the
    /// waiter's re-check of the condition after `F`. If `B` misses `C`, then `B` precedes `C`
    /// in `S` (both are `SeqCst` accesses of `state`), so `W < B < C < F` in `S`. If `D` also
    /// missed `W`, `D` would be coherence-ordered before `W`, and a `SeqCst` fence that happens
    /// before it would precede `W` in `S`: `F < W`, a contradiction. So the waiter sees `W`,
    /// or we see the waiter.
    ///
    /// Under loom the fence stays: loom models `SeqCst` accesses as `AcqRel`, so it cannot
    /// follow this argument; the models check the fenced protocol.
    #[inline(always)]
    pub(crate) fn notify_one_after(&self, seqcst: bool) {
        // The argument below needs a `SeqCst` fence on the waiter's side.
        debug_assert!(
            !self.asymmetric,
            "notify_one_after on an asymmetric event count"
        );
        if !seqcst || cfg!(loom) {
            return self.notify(false);
        }
        self.notify_one_fence_free();
    }

    /// The fence-free branch of `notify_one_after`.
    #[inline(always)]
    fn notify_one_fence_free(&self) {
        // SeqCst: `B` above, in the single order with the caller's `SeqCst` write and the
        // waiters' `SeqCst` registrations.
        if self.state.load(Ordering::SeqCst) & WAITERS != 0 {
            self.notify_slow(false);
        }
    }

    /// Loom only, not part of the API: the fence-free `notify_one` that the channels use after
    /// a push or pop on a queue with `Queue::__seqcst_handoff`, for the models of that
    /// protocol in `loom-tests/tests/handoff.rs` (what loom can and cannot check of it is
    /// written there).
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn __notify_one_fence_free(&self) {
        self.notify_one_fence_free();
    }

    #[inline(always)]
    fn notify(&self, all: bool) {
        // SeqCst fence (or the asymmetric fence's light side): the caller's write of its
        // condition may not move after our load of the waiter count; pairs with the fence in
        // `prepare_wait`.
        if self.asymmetric {
            asymmetric::light();
        } else {
            fence(Ordering::SeqCst);
        }
        // Relaxed: the fence above orders it.
        if self.state.load(Ordering::Relaxed) & WAITERS != 0 {
            self.notify_slow(all);
        }
    }

    #[cold]
    fn notify_slow(&self, all: bool) {
        // SeqCst: the bump and the `sleepers` load below form the second Dekker pair, with
        // the sleeper's increment of `sleepers` and its epoch check.
        self.state.fetch_add(ONE_EPOCH, Ordering::SeqCst);
        // SeqCst fence: makes the pair a fence-to-fence Dekker, which holds in the C++ model
        // whatever the access orderings (and which loom, modelling SeqCst accesses as AcqRel,
        // checks). Free on x86, where the bump is already a full barrier; slow path only.
        fence(Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            // Taking the lock waits out a sleeper that checked the epoch but is not yet
            // asleep, so our signal cannot fall in between.
            drop(self.lock.lock().unwrap_or_else(|e| e.into_inner()));
            if all {
                self.cond.notify_all();
            } else {
                self.cond.notify_one();
            }
        }
        self.wake_tasks(all);
    }

    /// Whether the epoch has moved past `key`.
    /// Test-only: how many waiters are registered now (prepared, and not yet cancelled or
    /// done waiting). Tests poll it to know that the other side is blocked; not part of the
    /// API, and racy by nature.
    #[doc(hidden)]
    pub fn __waiters(&self) -> usize {
        // SeqCst: read in the single order with the registrations it counts.
        (self.state.load(Ordering::SeqCst) & WAITERS) as usize
    }

    #[inline]
    fn moved(&self, key: u64) -> bool {
        // Acquire: pairs with the notifier's bump, so its condition write is visible to the
        // caller's re-check.
        self.state.load(Ordering::Acquire) >> 32 != key
    }

    /// Waits for the epoch to move past `key`, or for `deadline`. Returns `false` on timeout.
    fn wait_until(&self, key: u64, deadline: Option<Instant>) -> bool {
        for _ in 0..SPIN_ROUNDS {
            if self.moved(key) {
                return true;
            }
            spin_loop();
        }
        for _ in 0..YIELD_ROUNDS {
            if self.moved(key) {
                return true;
            }
            yield_now();
        }
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // SeqCst: pairs with the bump and the `sleepers` load in `notify_slow`.
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        // SeqCst fence: the sleeper's side of the fence-to-fence pair with `notify_slow`.
        fence(Ordering::SeqCst);
        let notified = loop {
            // SeqCst: see above.
            if self.state.load(Ordering::SeqCst) >> 32 != key {
                break true;
            }
            guard = match deadline {
                None => self.cond.wait(guard).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break false;
                    }
                    let (guard, _) = self
                        .cond
                        .wait_timeout(guard, deadline - now)
                        .unwrap_or_else(|e| e.into_inner());
                    guard
                }
            };
        };
        // Relaxed: only makes later notifiers skip the lock; a stale count costs them a lock.
        self.sleepers.fetch_sub(1, Ordering::Relaxed);
        drop(guard);
        notified
    }
}

impl Default for EventCount {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for EventCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.load(Ordering::Relaxed);
        f.debug_struct("EventCount")
            .field("epoch", &(state >> 32))
            .field("waiters", &(state & WAITERS))
            .finish_non_exhaustive()
    }
}

/// A registered waiter of an [`EventCount`], from [`EventCount::prepare_wait`].
///
/// Consume it with [`wait`](Key::wait), [`wait_timeout`](Key::wait_timeout),
/// [`wait_deadline`](Key::wait_deadline) or [`cancel`](Key::cancel). Dropping it cancels.
#[must_use = "a prepared waiter must wait or cancel"]
pub struct Key<'a> {
    ec: &'a EventCount,
    epoch: u64,
}

impl Key<'_> {
    /// Gives up waiting: the condition held on the re-check.
    ///
    /// A cancelled waiter never took a wake-up from anyone: a notify only signals waiters
    /// that have committed and gone to sleep, so nothing is lost by cancelling.
    ///
    /// # Examples
    ///
    /// ```
    /// let ec = wharf::EventCount::new();
    /// ec.prepare_wait().cancel();
    /// ```
    pub fn cancel(self) {}

    /// Blocks until a notify that came after [`prepare_wait`](EventCount::prepare_wait).
    ///
    /// May also return spuriously; re-check the condition after it returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let ec = Arc::new(wharf::EventCount::new());
    /// let key = ec.prepare_wait();
    /// let notifier = { let ec = ec.clone(); std::thread::spawn(move || ec.notify_one()) };
    /// key.wait();
    /// notifier.join().unwrap();
    /// ```
    pub fn wait(self) {
        self.ec.wait_until(self.epoch, None);
    }

    /// Blocks until notified or until `timeout` has passed. Returns `false` if it timed out.
    ///
    /// A timeout too large to represent (such as `Duration::MAX`) waits without limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ec = wharf::EventCount::new();
    /// assert!(!ec.prepare_wait().wait_timeout(Duration::from_millis(1)));
    /// ```
    pub fn wait_timeout(self, timeout: Duration) -> bool {
        self.ec
            .wait_until(self.epoch, Instant::now().checked_add(timeout))
    }

    /// Blocks until notified or until `deadline`. Returns `false` if the deadline passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// let ec = wharf::EventCount::new();
    /// assert!(!ec.prepare_wait().wait_deadline(Instant::now()));
    /// ```
    pub fn wait_deadline(self, deadline: Instant) -> bool {
        self.ec.wait_until(self.epoch, Some(deadline))
    }
}

impl Drop for Key<'_> {
    fn drop(&mut self) {
        // Relaxed: the count only tells notifiers whether to look further; the SeqCst
        // registration is what pairs with them.
        self.ec.state.fetch_sub(ONE_WAITER, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key").field("epoch", &self.epoch).finish()
    }
}
