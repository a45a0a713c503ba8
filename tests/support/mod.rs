//! Helpers shared by the blocking-layer tests: a drop-counting payload and the stress scale.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Multiplies the iteration counts of stress loops: `WHARF_TEST_SCALE=0.1` for a slow mode
/// (sanitizers, Miri), `10` for a soak. Defaults to 1.
pub fn scale() -> f64 {
    match std::env::var("WHARF_TEST_SCALE") {
        Ok(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f > 0.0)
            .unwrap_or_else(|| panic!("WHARF_TEST_SCALE must be a positive number, got {s:?}")),
        Err(_) => 1.0,
    }
}

/// `n` times [`scale`], at least 1.
pub fn scaled(n: usize) -> usize {
    ((n as f64 * scale()) as usize).max(1)
}

/// Counts the [`Tracked`] values it made and how many of them were dropped; for ids below the
/// size given to [`Counter::with_ids`], also counts the drops of each id (clones excluded).
#[derive(Clone, Debug, Default)]
pub struct Counter {
    created: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
    per_id: Arc<Vec<AtomicUsize>>,
}

impl Counter {
    /// A counter of totals only.
    pub fn new() -> Self {
        Self::default()
    }

    /// A counter that also counts the drops of each id below `ids`.
    pub fn with_ids(ids: usize) -> Self {
        Self {
            per_id: Arc::new((0..ids).map(|_| AtomicUsize::new(0)).collect()),
            ..Self::default()
        }
    }

    /// A new tracked value.
    pub fn track<T>(&self, id: usize, value: T) -> Tracked<T> {
        self.created.fetch_add(1, Ordering::SeqCst);
        Tracked {
            id,
            value,
            original: true,
            counter: self.clone(),
        }
    }

    /// Values made (including clones).
    pub fn created(&self) -> usize {
        self.created.load(Ordering::SeqCst)
    }

    /// Values dropped (including clones).
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }

    /// Values made and not yet dropped.
    pub fn live(&self) -> usize {
        self.created() - self.dropped()
    }

    /// How many times the original of `id` was dropped.
    pub fn drops_of(&self, id: usize) -> usize {
        self.per_id[id].load(Ordering::SeqCst)
    }
}

/// A value whose drops are counted by its [`Counter`].
#[derive(Debug)]
pub struct Tracked<T = ()> {
    pub id: usize,
    pub value: T,
    original: bool,
    counter: Counter,
}

impl<T: Clone> Clone for Tracked<T> {
    fn clone(&self) -> Self {
        self.counter.created.fetch_add(1, Ordering::SeqCst);
        Self {
            id: self.id,
            value: self.value.clone(),
            original: false,
            counter: self.counter.clone(),
        }
    }
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        self.counter.dropped.fetch_add(1, Ordering::SeqCst);
        if self.original {
            if let Some(count) = self.counter.per_id.get(self.id) {
                count.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// How long [`watchdog`] and the blocking tests' receive timeouts wait before calling the run
/// hung: far beyond any honest run (seconds, even under a sanitizer on a loaded machine).
pub const HANG_LIMIT: std::time::Duration = std::time::Duration::from_secs(240);

/// Runs `body` on its own thread and returns what it returns; if it has not finished within
/// [`HANG_LIMIT`], fails the test with a message naming `what` instead of hanging CI (a lost
/// wake-up). The stuck thread is left behind; the test binary still exits when the other
/// tests are done. A panic in `body` fails the test with the body's message.
pub fn watchdog<R: Send + 'static>(what: &str, body: impl FnOnce() -> R + Send + 'static) -> R {
    let (done, finished) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            // Sent on unwind too (the guard's drop), so a panic is reported at once.
            struct Done(std::sync::mpsc::Sender<()>);
            impl Drop for Done {
                fn drop(&mut self) {
                    let _ = self.0.send(());
                }
            }
            let _done = Done(done);
            body()
        })
        .expect("spawn the watched thread");
    match finished.recv_timeout(HANG_LIMIT) {
        Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
            "{what}: still running after {HANG_LIMIT:?}: a lost wake-up or a deadlock \
             (the stuck thread is left behind)"
        ),
    }
}

/// Waits until `blocked()` says the other side is registered as a waiter, when `strategy`
/// registers waiters at all ([`WaitStrategy::SpinPark`](wharf::WaitStrategy)); the spinning
/// strategies never register, and have no wake-up to lose, so there is nothing to wait for.
/// Fails after [`HANG_LIMIT`].
pub fn until_blocked(strategy: wharf::WaitStrategy, mut blocked: impl FnMut() -> bool) {
    if strategy != wharf::WaitStrategy::SpinPark {
        return;
    }
    let start = std::time::Instant::now();
    while !blocked() {
        assert!(
            start.elapsed() < HANG_LIMIT,
            "the other side never registered as a waiter"
        );
        std::thread::yield_now();
    }
}

/// Asserts that the items `a` and `b` have in common (each appears at most once in each)
/// come in the same order in both: two subscribers of one ring saw one order.
pub fn assert_same_order<K: std::hash::Hash + Eq + std::fmt::Debug>(a: &[K], b: &[K]) {
    let position: std::collections::HashMap<&K, usize> =
        a.iter().enumerate().map(|(i, k)| (k, i)).collect();
    assert_eq!(position.len(), a.len(), "an item seen twice");
    let mut last: Option<(usize, &K)> = None;
    for k in b {
        if let Some(&i) = position.get(k) {
            if let Some((j, prev)) = last {
                assert!(j < i, "{prev:?} and {k:?} seen in opposite orders");
            }
            last = Some((i, k));
        }
    }
}

/// Runs `f` and returns the message it panicked with; fails the test if it did not panic.
pub fn panic_message<R>(f: impl FnOnce() -> R) -> String {
    let payload = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic, but the call returned"),
        Err(payload) => payload,
    };
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// A small deterministic generator (xorshift64*), seeded per thread, for stress tests that
/// vary their steps.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value; it is mixed and made odd).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    /// An index below `n` (`n > 0`).
    pub fn pick(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
}

/// Checks a stress run in which sender `p` sent `(p, 0..per_sender)` in order and each
/// receiver returned what it received, in order: every value arrived exactly once, and each
/// receiver saw each sender's values in increasing order.
pub fn check_pairs(senders: usize, per_sender: usize, received: &[Vec<(usize, usize)>]) {
    let mut seen = vec![vec![false; per_sender]; senders];
    let mut total = 0;
    for got in received {
        let mut last = vec![None; senders];
        for &(p, i) in got {
            assert!(last[p] < Some(i), "sender {p}: {i} after {:?}", last[p]);
            last[p] = Some(i);
            assert!(!seen[p][i], "({p}, {i}) received twice");
            seen[p][i] = true;
        }
        total += got.len();
    }
    assert_eq!(total, senders * per_sender, "values lost");
}
