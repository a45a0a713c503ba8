//! Helpers shared by the models: a preemption-bounded `model`, a retry loop, and values that
//! count their own drops.

#![allow(dead_code)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;

/// Runs `f` under loom, with at most two preemptions unless `LOOM_MAX_PREEMPTIONS` says
/// otherwise (every model here is written to finish in seconds at that bound), and room for
/// long executions.
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    model_capped(usize::MAX, f);
}

/// [`model`], with at most `cap` preemptions whatever `LOOM_MAX_PREEMPTIONS` says: for a model
/// whose state space at the usual bound would take minutes (each caller says how long).
pub fn model_capped<F>(cap: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(builder.preemption_bound.unwrap_or(2).min(cap));
    // Retry loops (a producer on a full ring, a consumer on an empty one) take many steps in
    // one execution; loom's default of 1,000 branches cuts some of them short.
    if std::env::var_os("LOOM_MAX_BRANCHES").is_none() {
        builder.max_branches = 20_000;
    }
    builder.check(f);
}

/// Retries `f` until it returns `Some`, yielding in between so loom explores it as a wait.
pub fn retry<R>(mut f: impl FnMut() -> Option<R>) -> R {
    loop {
        if let Some(r) = f() {
            return r;
        }
        loom::thread::yield_now();
    }
}

/// One drop counter per value id, shared by every `Tracked` made from it.
#[derive(Clone)]
pub struct Drops(Arc<Vec<AtomicUsize>>);

impl Drops {
    pub fn new(n: usize) -> Self {
        Self(Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect()))
    }

    /// A value with id `id` whose drop is counted.
    pub fn make(&self, id: usize) -> Tracked {
        Tracked {
            id,
            drops: self.0.clone(),
        }
    }

    /// Asserts that every value made so far was dropped exactly once. Call when every handle
    /// that could hold a value is gone.
    pub fn assert_each_dropped_once(&self) {
        for (id, count) in self.0.iter().enumerate() {
            assert_eq!(
                count.load(Ordering::SeqCst),
                1,
                "value {id} dropped the wrong number of times"
            );
        }
    }
}

/// A value that counts its drops; dropping it twice fails at once.
pub struct Tracked {
    pub id: usize,
    drops: Arc<Vec<AtomicUsize>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let before = self.drops[self.id].fetch_add(1, Ordering::SeqCst);
        assert_eq!(before, 0, "value {} dropped twice", self.id);
    }
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tracked({})", self.id)
    }
}

/// Asserts that the values from one producer (those with `value / 10 == producer`) appear in
/// `seen` in increasing order.
pub fn assert_per_producer_order(seen: &[usize]) {
    for producer in 0..10 {
        let mine: Vec<usize> = seen
            .iter()
            .copied()
            .filter(|v| v / 10 == producer)
            .collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "producer {producer} out of order in {seen:?}"
        );
    }
}
