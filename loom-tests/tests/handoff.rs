//! Models of the fence-free wake-up that bounded (capacity >= 2) and unbounded channels use
//! after a push or pop (`Queue::__seqcst_handoff`, `EventCount::notify_one_after`).
//!
//! Under `cfg(loom)` the channels keep the fenced notify, so the channel models never run this
//! path. Here the real fence-free notify (`EventCount::__notify_one_fence_free`, loom only)
//! runs against the real waiter protocol (`prepare_wait`, re-check, `wait`), with the queue
//! reduced to the one word the hand-off argument is about. A lost wake-up is a loom deadlock.
//!
//! # The argument being checked
//!
//! The notifier makes a value available with a `SeqCst` read-modify-write `W` (the claim of a
//! slot) and then loads the waiter count with a `SeqCst` load `B`, with no fence in between.
//! The waiter registers with a `SeqCst` read-modify-write `C`, issues the `SeqCst` fence `F`
//! and re-checks with a load `D`. C++20 [atomics.order]: `S`, the single total order of the
//! `SeqCst` operations, is consistent with sequenced-before, and a `SeqCst` load reads the last
//! `SeqCst` write before it in `S` (or a later non-`SeqCst` one). If `B` misses `C`, then
//! `W < B < C < F` in `S`; a `SeqCst` `D` after `C` then reads `W` or later. So one side sees
//! the other.
//!
//! # What loom checks, and what it cannot
//!
//! Loom 0.7 models a `SeqCst` access as `AcqRel`, with one rule more: a `SeqCst` load does not
//! read a `SeqCst` store older (in modification order) than another `SeqCst` store. Loom runs
//! one interleaving at a time, so that rule is the C++ rule above with `S` taken to be the
//! interleaving, for locations whose every write is `SeqCst`. Two consequences:
//!
//! - An atomic's initial value is not a `SeqCst` store to loom, so a `SeqCst` load may read it
//!   past a newer `SeqCst` write (C++ forbids that: the initial value happens before every
//!   access). The models therefore give each word a `SeqCst` store of its initial value before
//!   the threads start (`EventCount::new` does so for its state under loom). Without it loom
//!   reports a lost wake-up that cannot happen.
//! - Loom does not relate `SeqCst` fences to `SeqCst` accesses at all (its fences only order
//!   other fences). A re-check `D` that is not itself `SeqCst` but follows the fence `F` is
//!   correct in C++ (if `D` missed `W`, `F` would precede `W` in `S`), yet loom reports a lost
//!   wake-up for it: `probe_acquire_recheck_after_fence_is_beyond_loom` pins that down.
//!   LinkedQueue's load of `next` at the end of a used-up node is such a re-check; and
//!   ArrayQueue's empty check, a `SeqCst` load of a slot's stamp, reads a word whose other
//!   writes (the value's publication, the slot's release) are `Release` stores, which the first
//!   point puts beyond loom too. So the real queues cannot run this path under loom (they would
//!   report false lost wake-ups), and the channel models keep the fence.
//!
//! So these models check the `EventCount` side of the protocol (the `SeqCst` load `B`, the
//! registration `C`, and the notify that follows) and the queue side's promise that the value
//! becomes available through a `SeqCst` write seen by a `SeqCst` re-check; that the real queues
//! keep that promise on every path is argued on `__seqcst_handoff`, not model-checked.

#![cfg(loom)]

mod common;

use common::model;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use std::time::Instant;
use wharf::EventCount;

/// Waits, by the documented protocol, until `ready` is non-zero; `recheck` orders the loads.
fn wait_until_set(ec: &EventCount, ready: &AtomicUsize, recheck: Ordering) {
    loop {
        if ready.load(recheck) != 0 {
            return;
        }
        let key = ec.prepare_wait();
        if ready.load(recheck) != 0 {
            key.cancel();
            return;
        }
        key.wait();
    }
}

/// A word standing for the queue's claim counter, with the `SeqCst` store loom needs (see the
/// module docs).
fn seeded_word() -> Arc<AtomicUsize> {
    let word = Arc::new(AtomicUsize::new(0));
    word.store(0, Ordering::SeqCst);
    word
}

/// One notifier makes the value available with `write` and notifies fence-free; the waiter
/// re-checks with `recheck`. `waiters` threads wait; the notifier notifies once per waiter,
/// each time after its own write (as a channel does per message).
fn handoff(waiters: usize, write: Ordering, recheck: Ordering) {
    model(move || {
        let ec = Arc::new(EventCount::new());
        let ready = seeded_word();
        let notifier = {
            let (ec, ready) = (ec.clone(), ready.clone());
            thread::spawn(move || {
                for n in 0..waiters {
                    // `W`: the claim compare-and-swap of a push.
                    ready
                        .compare_exchange(n, n + 1, write, Ordering::Relaxed)
                        .unwrap();
                    ec.__notify_one_fence_free();
                }
            })
        };
        let others: Vec<_> = (1..waiters)
            .map(|_| {
                let (ec, ready) = (ec.clone(), ready.clone());
                thread::spawn(move || wait_until_set(&ec, &ready, recheck))
            })
            .collect();
        wait_until_set(&ec, &ready, recheck);
        for h in others {
            h.join().unwrap();
        }
        notifier.join().unwrap();
    });
}

/// The protocol as the channels use it: a `SeqCst` claim, a `SeqCst` re-check (LinkedQueue's
/// load of `enq`), the fence-free notify. No lost wake-up.
#[test]
fn seqcst_write_seqcst_recheck_no_lost_wakeup() {
    handoff(1, Ordering::SeqCst, Ordering::SeqCst);
}

/// Two waiters, two values, two fence-free notifies: neither waiter is left asleep.
#[test]
fn two_waiters_two_fence_free_notifies() {
    handoff(2, Ordering::SeqCst, Ordering::SeqCst);
}

/// The same hand-off with a waiter that does not block: it registers, re-checks once, and
/// after the notifier is done asserts that it either saw the value or was notified (its
/// epoch moved: `wait_deadline` with a deadline already past only looks). A failure here is an
/// assertion, not a deadlock, so the broken variants below can be `should_panic` tests.
fn handoff_probe(write: Ordering, recheck: Ordering) {
    model(move || {
        let ec = Arc::new(EventCount::new());
        let ready = seeded_word();
        let notifier = {
            let (ec, ready) = (ec.clone(), ready.clone());
            thread::spawn(move || {
                ready
                    .compare_exchange(0, 1, write, Ordering::Relaxed)
                    .unwrap();
                ec.__notify_one_fence_free();
            })
        };
        let key = ec.prepare_wait();
        let saw_value = ready.load(recheck) != 0;
        notifier.join().unwrap();
        let notified = key.wait_deadline(Instant::now());
        assert!(saw_value || notified, "lost wake-up");
    });
}

#[test]
fn probe_seqcst_write_seqcst_recheck() {
    handoff_probe(Ordering::SeqCst, Ordering::SeqCst);
}

/// The claim weakened to `AcqRel` while the hand-off still skips the fence: a lost wake-up,
/// which loom finds. (What `__seqcst_handoff` forbids.)
#[test]
#[should_panic(expected = "lost wake-up")]
fn probe_acqrel_write_loses_the_wakeup() {
    handoff_probe(Ordering::AcqRel, Ordering::SeqCst);
}

/// A re-check by an `Acquire` load after `prepare_wait`'s fence is correct in C++20 (see the
/// module docs) but beyond loom, which does not relate fences to `SeqCst` accesses and reports
/// a lost wake-up. If a loom release starts passing this, the fence kept under loom in
/// `notify_one_after` can go and the real queues can run the fence-free path in loom.
#[test]
#[should_panic(expected = "lost wake-up")]
fn probe_acquire_recheck_after_fence_is_beyond_loom() {
    handoff_probe(Ordering::SeqCst, Ordering::Acquire);
}
