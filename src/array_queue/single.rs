//! `ArrayQueue` of capacity 1: one slot, one state word, no `head` or `tail`.
//!
//! A ring of one slot pays for three cache lines per hand-off: the slot, and the `tail` (or
//! `head`) that the other side reads to tell "empty" from "a producer is still writing". That
//! made a ping-pong through two capacity-1 queues cost 3.3x a bare atomic round trip. With a
//! single slot the state word alone can answer every question, so a hand-off moves one line,
//! and the round trip comes within 1.1x of a bare atomic ping-pong between the same two
//! threads (the suite's `pingpong` workload; see RESULTS.md).
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
//! | `LOCKED_EMPTY` | a pop is reading the value out | `None` | waits | waits |
//! | `LOCKED_FULL` | a push or `force_push` is writing its value in | waits | `Err` | waits |
//!
//! Every operation takes effect at the `SeqCst` access that decides it: a `push` or
//! `force_push` at its compare-and-swap (from `EMPTY` or `FULL` to `LOCKED_FULL`), a `pop` at
//! its compare-and-swap from `FULL` to `LOCKED_EMPTY`, and an answer of "empty" or "full" at
//! the `SeqCst` load (or failed compare-and-swap) that saw it. So `LOCKED_FULL` is logically
//! full (the push has happened; its value is on its way) and `LOCKED_EMPTY` logically empty
//! (the pop has happened). A thread that needs what a holder is moving (a pop that finds a
//! value being written, a push that finds one being read out) waits for the holder's final
//! `Release` store, which is no linearization point.
//!
//! The deciding accesses are `SeqCst`, so that operations on *different* queues are ordered
//! too: with `Acquire`/`Release` alone, two threads that each push into one empty queue and
//! then pop from the other could both find their queue empty (the store-buffering pattern,
//! real on x86), which no interleaving allows. `tests/array_queue.rs` (`cap1_store_buffering`)
//! checks it. On x86 this costs nothing: compare-and-swap is a locked instruction anyway, and
//! a `SeqCst` load is a plain load.
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
use crate::loom::{AtomicMut, Backoff, Ordering};

/// No value, nobody inside.
const EMPTY: usize = 0;
/// A value, nobody inside.
const FULL: usize = 1;
/// Bit 0 of a state: the queue logically holds a value.
const HOLDS: usize = 1;
/// A pop reading the value out: logically empty.
const LOCKED_EMPTY: usize = 2;
/// A push or `force_push` writing its value in: logically full.
const LOCKED_FULL: usize = 3;

/// Where a capacity-1 `ArrayQueue` parks `head` and `tail`. Its index bits are 0, so the fast
/// paths look at slot 0; and no state is the sentinel's `EMPTY` or `FULL` stamp, so the fast
/// paths' stamp comparisons always fail.
pub(super) const SENTINEL: usize = usize::MAX - 1;

// The sentinel's promises, checked when the crate compiles: index 0 (a capacity-1 ring's
// `one_lap` is 2), and no state is one of the stamps the fast paths look for.
const _: () = assert!(SENTINEL & 1 == 0);
const _: () = assert!(super::stamp::stamp(SENTINEL, super::stamp::EMPTY) > LOCKED_FULL);
const _: () = assert!(super::stamp::stamp(SENTINEL, super::stamp::FULL) > LOCKED_FULL);

/// The stamp a capacity-1 queue's slot starts with.
pub(super) const INITIAL: usize = EMPTY;

/// Pushes `value` into the one slot, or hands it back if the queue is (logically) full.
pub(super) fn push<T>(slot: &Slot<T>, value: T) -> Result<(), T> {
    let backoff = Backoff::new();
    loop {
        // SeqCst: the push takes effect here, in the single order of `SeqCst` operations on
        // every queue (see the module docs); on failure too, as the failure may decide `Err`.
        // Acquire (implied): pairs with the Release store of `EMPTY` in `pop`, so the reader
        // of the previous value is done with it before we write.
        match slot
            .stamp
            .compare_exchange(EMPTY, LOCKED_FULL, Ordering::SeqCst, Ordering::SeqCst)
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
            // Logically empty, but a pop is still reading the old value out: wait for it.
            Err(_) => backoff.snooze(),
        }
    }
}

/// Pops the value from the one slot, or returns `None` if the queue is (logically) empty.
pub(super) fn pop<T>(slot: &Slot<T>) -> Option<T> {
    let backoff = Backoff::new();
    loop {
        // SeqCst: an answer of `None` takes effect at this load (see the module docs).
        match slot.stamp.load(Ordering::SeqCst) {
            FULL => {
                // SeqCst: the pop takes effect here. Acquire (implied): pairs with the Release
                // store of `FULL` in `push` and `force_push`, making the value visible.
                // Relaxed on failure: we only look again.
                if slot
                    .stamp
                    .compare_exchange(FULL, LOCKED_EMPTY, Ordering::SeqCst, Ordering::Relaxed)
                    .is_ok()
                {
                    // SAFETY: moving the state off `FULL` made the value ours.
                    let value = slot.value.with(|p| unsafe { p.read().assume_init() });
                    // Release: our read happens before the next writer's write.
                    slot.stamp.store(EMPTY, Ordering::Release);
                    return Some(value);
                }
            }
            // A push or `force_push` has taken effect and is writing its value: wait for it.
            LOCKED_FULL => backoff.snooze(),
            _ => return None,
        }
    }
}

/// Pushes `value`, evicting and returning the value in the slot if there is one.
pub(super) fn force_push<T>(slot: &Slot<T>, value: T) -> Option<T> {
    let backoff = Backoff::new();
    loop {
        // Relaxed: a first look; the compare-and-swap below decides and synchronises.
        let from = match slot.stamp.load(Ordering::Relaxed) {
            state @ (EMPTY | FULL) => state,
            _ => {
                backoff.snooze();
                continue;
            }
        };
        // SeqCst: the `force_push` takes effect here, as a push does. Acquire (implied): from
        // `EMPTY`, as in `push`; from `FULL`, pairs with the Release store of `FULL` so the
        // value we evict is visible. Relaxed on failure: we look again.
        if slot
            .stamp
            .compare_exchange(from, LOCKED_FULL, Ordering::SeqCst, Ordering::Relaxed)
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
    // SeqCst: the answer takes effect at this load, in the single order of the `SeqCst`
    // accesses that decide every operation (see the module docs).
    slot.stamp.load(Ordering::SeqCst) & HOLDS
}

/// Pushes through exclusive access (`ArrayQueue::push_mut`): nobody holds the slot, so the
/// state is `EMPTY` or `FULL`, read and written as a plain integer.
pub(super) fn push_mut<T>(slot: &mut Slot<T>, value: T) -> Result<(), T> {
    let state = slot.stamp.read_mut();
    debug_assert!(state == EMPTY || state == FULL, "settled state {state}");
    if state != EMPTY {
        return Err(value);
    }
    // SAFETY: `EMPTY` means the slot holds no value, and `&mut` access (the caller's) excludes
    // every other thread.
    slot.value
        .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
    slot.stamp.write_mut(FULL);
    Ok(())
}

/// Pops through exclusive access (`ArrayQueue::pop_mut`, the drop, the owning iterator), as
/// `push_mut` pushes.
pub(super) fn pop_mut<T>(slot: &mut Slot<T>) -> Option<T> {
    let state = slot.stamp.read_mut();
    debug_assert!(state == EMPTY || state == FULL, "settled state {state}");
    if state != FULL {
        return None;
    }
    slot.stamp.write_mut(EMPTY);
    // SAFETY: `FULL` means the slot holds an initialised value, and `&mut` access (the
    // caller's) excludes every other thread; the state is `EMPTY` now, so it is read once.
    Some(slot.value.with(|p| unsafe { p.read().assume_init() }))
}
