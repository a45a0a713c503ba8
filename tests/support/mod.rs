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
