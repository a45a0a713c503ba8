//! `ArrayQueue` of capacity 1: one slot, one state word, no `head` or `tail`.
//!
//! A ring of one slot pays for three cache lines per hand-off: the slot, and the `tail` (or
//! `head`) that the other side reads to tell "empty" from "a producer is still writing". That
//! made a ping-pong through two capacity-1 queues cost 3.3x a bare atomic round trip. With a
//! single slot the state word alone can answer every question, so a hand-off moves one line,
//! and the round trip comes within the bare atomic's (measured: 426 ns against a 481 ns bare
//! atomic ping-pong and 784 ns for crossbeam's `ArrayQueue`, one run, medians of 7).
//!
//! # Algorithm
//!
//! The slot's `stamp` holds one of four states: bit 0 says whether the queue logically holds
//! a value, bit 1 that a thread is moving a value in or out.
//!
//! | state | meaning | `pop` | `push` | `force_push` |
//! | --- | --- | --- | --- | --- |
//! | `EMPTY` | no value | `None` | takes the slot | takes the slot |
//! | `FULL` | a value | takes it | `Err` | replaces it |
//! | `LOCKED_EMPTY` | a push is writing, or a pop is reading | `None` | waits | waits |
//! | `LOCKED_FULL` | a `force_push` is replacing the value | waits | `Err` | waits |
//!
//! Linearization points: a `push` takes effect at its final store of `FULL`, a `pop` at its
//! compare-and-swap from `FULL`, and a `force_push` at its compare-and-swap (on a full queue;
//! on an empty one, at its final store). So both `LOCKED_EMPTY` cases are logically empty (the
//! push has not happened yet; the pop has), and `LOCKED_FULL` is logically full. Every thread
//! answers from the logical state or, where the slot is busy and the answer would need it,
//! waits for the holder: a push never fails while the queue is logically empty, and a pop
//! never reports empty while a `force_push` keeps the queue full.
//!
//! # Progress
//!
//! As for the ring: a thread preempted while it holds the slot (between its compare-and-swap
//! and its final store) makes the threads that need the slot wait for it.
//!
//! The ring's fast paths never claim the slot: `ArrayQueue` parks `head` and `tail` on
//! [`SENTINEL`], which no state equals, so they fall through to the slow paths, which come
//! here. Rings of other capacities pay nothing for this mode.

use core::mem::MaybeUninit;

use super::Slot;
use crate::loom::{Backoff, Ordering};

/// No value, nobody inside.
const EMPTY: usize = 0;
/// A value, nobody inside.
const FULL: usize = 1;
/// Bit 0 of a state: the queue logically holds a value.
const HOLDS: usize = 1;
/// A push writing, or a pop reading: logically empty.
const LOCKED_EMPTY: usize = 2;
/// A `force_push` replacing the value: logically full.
const LOCKED_FULL: usize = 3;

/// Where a capacity-1 `ArrayQueue` parks `head` and `tail`. Its index bits are 0, so the fast
/// paths look at slot 0; and neither it nor one past it is a state, so the fast paths' stamp
/// comparisons (`stamp == tail`, `stamp == head + 1`) always fail.
pub(super) const SENTINEL: usize = usize::MAX - 1;

/// The stamp a capacity-1 queue's slot starts with.
pub(super) const INITIAL: usize = EMPTY;

/// Pushes `value` into the one slot, or hands it back if the queue is (logically) full.
pub(super) fn push<T>(slot: &Slot<T>, value: T) -> Result<(), T> {
    let backoff = Backoff::new();
    loop {
        // Acquire: pairs with the Release store of `EMPTY` in `pop`, so the reader of the
        // previous value is done with it before we write. Relaxed on failure: we only look
        // at the state.
        match slot
            .stamp
            .compare_exchange(EMPTY, LOCKED_EMPTY, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => {
                // SAFETY: moving the state off `EMPTY` made the slot ours; it holds no value.
                slot.value
                    .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
                // Release: publishes the value to the Acquire compare-and-swap in `pop`.
                slot.stamp.store(FULL, Ordering::Release);
                return Ok(());
            }
            Err(state) if state & HOLDS != 0 => return Err(value),
            // Logically empty, but a pop is still reading or a push still writing: once it is
            // done we either get the slot or see it full.
            Err(_) => backoff.snooze(),
        }
    }
}

/// Pops the value from the one slot, or returns `None` if the queue is (logically) empty.
pub(super) fn pop<T>(slot: &Slot<T>) -> Option<T> {
    let backoff = Backoff::new();
    loop {
        // Relaxed: a first look; the compare-and-swap below synchronises.
        match slot.stamp.load(Ordering::Relaxed) {
            FULL => {
                // Acquire: pairs with the Release store of `FULL` in `push` and `force_push`,
                // making the value visible. Relaxed on failure: we look again.
                if slot
                    .stamp
                    .compare_exchange(FULL, LOCKED_EMPTY, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    // SAFETY: moving the state off `FULL` made the value ours.
                    let value = slot.value.with(|p| unsafe { p.read().assume_init() });
                    // Release: our read happens before the next writer's write.
                    slot.stamp.store(EMPTY, Ordering::Release);
                    return Some(value);
                }
            }
            // A `force_push` is swapping the value: the queue stays full throughout.
            LOCKED_FULL => backoff.snooze(),
            _ => return None,
        }
    }
}

/// Pushes `value`, evicting and returning the value in the slot if there is one.
pub(super) fn force_push<T>(slot: &Slot<T>, value: T) -> Option<T> {
    let backoff = Backoff::new();
    loop {
        // Relaxed: a first look; the compare-and-swaps below synchronise.
        let (from, to) = match slot.stamp.load(Ordering::Relaxed) {
            EMPTY => (EMPTY, LOCKED_EMPTY),
            FULL => (FULL, LOCKED_FULL),
            _ => {
                backoff.snooze();
                continue;
            }
        };
        // Acquire: from `EMPTY`, as in `push`; from `FULL`, pairs with the Release store of
        // `FULL` so the value we evict is visible. Relaxed on failure: we look again.
        if slot
            .stamp
            .compare_exchange(from, to, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            continue;
        }
        // SAFETY: the compare-and-swap made the slot ours; it holds a value exactly when we
        // came from `FULL`.
        let old = slot.value.with_mut(|p| unsafe {
            let old = core::mem::replace(&mut *p, MaybeUninit::new(value));
            (from == FULL).then(|| old.assume_init())
        });
        // Release: publishes our value to the Acquire compare-and-swap in `pop`.
        slot.stamp.store(FULL, Ordering::Release);
        return old;
    }
}

/// How many values the queue logically holds: 0 or 1.
pub(super) fn len<T>(slot: &Slot<T>) -> usize {
    // SeqCst: as the ring's `len`, one load in the single order of SeqCst operations.
    slot.stamp.load(Ordering::SeqCst) & HOLDS
}

/// Pops through exclusive access: no thread is inside, so the state is `EMPTY` or `FULL`.
pub(super) fn pop_exclusive<T>(slot: &Slot<T>) -> Option<T> {
    // Relaxed: the caller's `&mut` orders everything already.
    if slot.stamp.load(Ordering::Relaxed) != FULL {
        return None;
    }
    slot.stamp.store(EMPTY, Ordering::Relaxed);
    // SAFETY: `FULL` means the slot holds an initialised value, and `&mut` access (the
    // caller's) excludes every other thread; the state is `EMPTY` now, so it is read once.
    Some(slot.value.with(|p| unsafe { p.read().assume_init() }))
}
