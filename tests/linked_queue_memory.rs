//! `LinkedQueue` gives memory back as it drains (through the epoch collector after `pop`, at
//! once after `pop_mut`).
//!
//! A counting global allocator serves the whole test binary, so this file holds one test and
//! nothing else allocates concurrently with it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use wharf::LinkedQueue;

/// Bytes currently allocated through [`Counting`].
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most bytes live at once since the last [`reset_peak`].
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting live and peak bytes.
struct Counting;

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counters only observe the layouts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `layout` are those `System.alloc` needs.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above (that is, from `System`) with this `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// Flushes this thread's deferred frees and lets the epoch collector run, until live bytes
/// drop to `target` or attempts run out; returns the live bytes.
fn collect_until(target: usize) -> usize {
    for _ in 0..10_000 {
        crossbeam_epoch::pin().flush();
        let live = LIVE.load(Ordering::Relaxed);
        if live <= target {
            return live;
        }
    }
    LIVE.load(Ordering::Relaxed)
}

#[test]
fn memory_returned() {
    /// What a drained queue may keep (its one node is a few kilobytes) plus slack for the
    /// epoch collector's own bookkeeping.
    const SLACK: usize = 64 * 1024;
    let n = 1_000_000;

    // Register this thread with the collector before measuring.
    collect_until(0);
    let base = LIVE.load(Ordering::Relaxed);
    let q = LinkedQueue::new();
    let before = LIVE.load(Ordering::Relaxed);
    // The empty queue's one node.
    let node = before - base;
    assert!(
        node > 0,
        "an empty LinkedQueue allocated nothing: the measurement is broken"
    );
    reset_peak();

    for i in 0..n as u64 {
        q.push(i);
    }
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert!(
        peak >= n * std::mem::size_of::<u64>(),
        "peak {peak} bytes is too small for {n} values: the measurement is broken"
    );

    for i in 0..n as u64 {
        assert_eq!(q.pop(), Some(i));
    }
    assert!(q.is_empty());
    let after = collect_until(before + SLACK);
    let kept = after.saturating_sub(before);
    assert!(
        kept < SLACK,
        "a drained queue still holds {kept} bytes (peak was {peak})"
    );

    // And it is still usable, and the drop frees the last node. The drop frees it at once (it
    // defers nothing), so compare the live bytes just before and just after it: what the epoch
    // collector keeps for its own bookkeeping moves between collections, not across the drop.
    q.push(1);
    assert_eq!(q.pop(), Some(1));
    collect_until(base);
    let before_drop = LIVE.load(Ordering::Relaxed);
    drop(q);
    let after_drop = LIVE.load(Ordering::Relaxed);
    let freed = before_drop.saturating_sub(after_drop);
    assert!(
        freed >= node,
        "dropping the queue freed {freed} bytes, less than its last node ({node})"
    );

    // `pop_mut` frees each node it drains before it returns: with no epoch collection at all,
    // a queue drained through it is back to one node (the live bytes before the pushes, as
    // nothing else in this thread allocates).
    let mut q = LinkedQueue::new();
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..n as u64 {
        q.push_mut(i);
    }
    for i in 0..n as u64 {
        assert_eq!(q.pop_mut(), Some(i));
    }
    let kept = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    assert!(
        kept < node,
        "a queue drained by pop_mut still holds {kept} bytes more than one node"
    );
    drop(q);
}
