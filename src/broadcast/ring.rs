//! The shared ring of a broadcast channel: slots, the claim cursor, the subscriber registry.
//!
//! Sequences are `u64` and never wrap in practice (2⁶⁴ messages). Message `s` lives in slot
//! `s mod cap`.
//!
//! Invariants:
//! - `cursor` is the next sequence to be claimed; every sequence below it is claimed, and a
//!   claimed sequence is always written (publishing cannot fail once it has claimed).
//! - Single publisher under backpressure (`by_cursor`): the cursor moves only after the
//!   messages below it are written, so it also says what is published. Subscribers read up to
//!   it without looking at the slots' stamps: one load of the cursor covers every message it
//!   passed (the disruptor's consumer does the same), where a stamp per message would move its
//!   slot's line between the publisher and each subscriber more often. The stamps are still
//!   written, for `Drop`.
//! - A slot's `seq` is 0 if the slot was never written, else `s + 1` where `s` is the message it
//!   holds; it only grows, by `cap` at a time. The slot's value is initialised iff `seq != 0`.
//! - Backpressure: a registered subscriber's entry in `readers` is at most its next sequence;
//!   a publisher overwrites message `m` only after seeing every entry above `m` (the gate), so
//!   no registered subscriber can still need it.
//! - Lossy: a slot's value is written only under the `WRITER` bit of its lock (`locks[i]` for
//!   slot `i`), with no reader inside; readers read it only inside the lock, after checking
//!   `seq` again.

use core::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use crate::loom::{fence, AtomicBool, AtomicU64, AtomicUsize, Backoff, Ordering, UnsafeCell};
use crate::padded_slice::PaddedSlice;
use crate::{EventCount, WaitStrategy};

use super::Overflow;

/// The most messages a subscriber reads before it releases them (an eighth of the ring, up to
/// this): 64 u64 messages are sixteen cache lines of slots.
const MAX_RELEASE_BATCH: u64 = 64;

/// A registry entry with no subscriber.
const FREE: u64 = u64::MAX;
/// The writer bit of a lossy slot's lock; the bits below count readers inside.
const WRITER: usize = 1 << (usize::BITS - 1);

/// `atomic.fetch_max(value, order)`, written as the compare-and-swap loop it compiles to on
/// x86 anyway: ThreadSanitizer does not instrument `atomicrmw max`, so with `fetch_max` it
/// misses the synchronisation and reports races that are not there.
fn raise(atomic: &AtomicU64, value: u64, order: Ordering) {
    let mut current = atomic.load(Ordering::Relaxed);
    while current < value {
        // Relaxed on failure: we only retry with the value seen.
        match atomic.compare_exchange_weak(current, value, order, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => current = now,
        }
    }
}

/// [`raise`] for a `usize`.
fn raise_usize(atomic: &AtomicUsize, value: usize, order: Ordering) {
    let mut current = atomic.load(Ordering::Relaxed);
    while current < value {
        // Relaxed on failure: as in `raise`.
        match atomic.compare_exchange_weak(current, value, order, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => current = now,
        }
    }
}

struct Slot<T> {
    /// 0, or one past the sequence of the message held.
    seq: AtomicU64,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// Why a read of sequence `r` found no message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Miss {
    /// Message `r` is not published yet.
    NotYet,
    /// Message `r` was overwritten (lossy only).
    Overwritten,
}

pub(super) struct Ring<T> {
    /// The next sequence to claim.
    cursor: CachePadded<AtomicU64>,
    /// Backpressure: a lower bound of every registered subscriber's next sequence, cached so
    /// publishers rarely scan `readers`. Only grows.
    gate: CachePadded<AtomicU64>,
    /// On cache lines of its own (see `padded_slice`).
    slots: PaddedSlice<Slot<T>>,
    /// Lossy only (empty under backpressure, which never locks): slot `i`'s lock, `WRITER`
    /// while a publisher replaces the value, plus the number of readers inside. Kept out of
    /// `Slot` so backpressure slots are only a stamp and a value (more of them per cache line).
    locks: Box<[AtomicUsize]>,
    cap: u64,
    /// `cap - 1` when `cap` is a power of two (index by mask), else 0 (index by remainder).
    mask: u64,
    /// Single publisher under backpressure: `cursor` publishes (see the module docs).
    by_cursor: bool,
    /// Backpressure: how many messages a subscriber reads between stores of its registered
    /// cursor (it also stores whenever it catches up); see `Subscriber`'s `Cursor`.
    release_batch: u64,
    pub(super) overflow: Overflow,
    pub(super) strategy: WaitStrategy,
    /// Backpressure: each registered subscriber's next sequence, or `FREE`.
    readers: Box<[CachePadded<AtomicU64>]>,
    /// How many entries of `readers` have ever been used (scans stop there).
    readers_used: AtomicUsize,
    /// Live publisher handles.
    pub(super) publishers: AtomicUsize,
    /// Set when the last publisher is gone.
    closed: AtomicBool,
    /// Subscribers wait here for a message or the close.
    pub(super) published: EventCount,
    /// Backpressure publishers wait here for a subscriber to move on or leave.
    pub(super) freed: EventCount,
}

// SAFETY: values are sent in by publishers (needs `T: Send`) and read by reference from many
// subscriber threads at once (needs `T: Sync`; cloning through `&T` in parallel is exactly
// what RUSTSEC-2025-0023 found unsound without it). All other state is atomic.
unsafe impl<T: Send + Sync> Send for Ring<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Ring<T> {}

impl<T> Ring<T> {
    pub(super) fn new(
        cap: usize,
        overflow: Overflow,
        strategy: WaitStrategy,
        max_subscribers: usize,
        single: bool,
    ) -> Self {
        assert!(cap > 0, "broadcast capacity must be non-zero");
        let slots = PaddedSlice::try_from_fn(cap, |_| Slot {
            seq: AtomicU64::new(0),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        })
        .unwrap_or_else(|| {
            panic!("broadcast capacity {cap} is too large: cannot allocate its slots")
        });
        let registry = match overflow {
            Overflow::Backpressure => max_subscribers,
            Overflow::Lossy => 0,
        };
        let cap = cap as u64;
        Self {
            cursor: CachePadded::new(AtomicU64::new(0)),
            gate: CachePadded::new(AtomicU64::new(0)),
            slots,
            locks: match overflow {
                Overflow::Lossy => (0..cap).map(|_| AtomicUsize::new(0)).collect(),
                Overflow::Backpressure => Box::new([]),
            },
            cap,
            mask: if cap.is_power_of_two() { cap - 1 } else { 0 },
            by_cursor: single && overflow == Overflow::Backpressure,
            release_batch: (cap / 8).clamp(1, MAX_RELEASE_BATCH),
            overflow,
            strategy,
            readers: Self::registry(registry),
            readers_used: AtomicUsize::new(0),
            publishers: AtomicUsize::new(1),
            closed: AtomicBool::new(false),
            // Asymmetric: the publisher notifies `published` on every publish and subscribers
            // notify `freed` on every release, while a waiting thread registers only after
            // spinning and yielding (a task registers at each `Pending`, and pays for it).
            published: EventCount::new_asymmetric(),
            freed: EventCount::new_asymmetric(),
        }
    }

    /// The backpressure registry of `max` entries, allocated fallibly so that an absurd
    /// `max_subscribers` panics clearly instead of aborting the process.
    fn registry(max: usize) -> Box<[CachePadded<AtomicU64>]> {
        let mut readers = Vec::new();
        if readers.try_reserve_exact(max).is_err() {
            panic!("broadcast max_subscribers {max} is too large: cannot allocate its registry");
        }
        readers.extend((0..max).map(|_| CachePadded::new(AtomicU64::new(FREE))));
        readers.into_boxed_slice()
    }

    pub(super) fn capacity(&self) -> usize {
        self.cap as usize
    }

    /// Whether the cursor publishes (see the field).
    #[inline]
    pub(super) fn by_cursor(&self) -> bool {
        self.by_cursor
    }

    /// See the field.
    #[inline]
    pub(super) fn release_batch(&self) -> u64 {
        self.release_batch
    }

    /// Loom models only: see `Builder::__release_batch`.
    #[cfg(loom)]
    pub(super) fn set_release_batch(&mut self, batch: u64) {
        self.release_batch = batch;
    }

    #[inline(always)]
    fn index(&self, seq: u64) -> usize {
        let index = if self.mask != 0 || self.cap == 1 {
            seq & self.mask
        } else {
            seq % self.cap
        };
        debug_assert!((index as usize) < self.slots.len());
        index as usize
    }

    #[inline(always)]
    fn slot(&self, seq: u64) -> &Slot<T> {
        // SAFETY: `index < cap == slots.len()`, by the mask or the remainder.
        unsafe { self.slots.get_unchecked(self.index(seq)) }
    }

    /// Lossy only: the lock of message `seq`'s slot.
    #[inline(always)]
    fn lock(&self, seq: u64) -> &AtomicUsize {
        &self.locks[self.index(seq)]
    }

    /// The next sequence that will be claimed.
    pub(super) fn tail(&self) -> u64 {
        // SeqCst: part of the join and gate handshake (see `join` and `room`).
        self.cursor.load(Ordering::SeqCst)
    }

    // ---- publishing -------------------------------------------------------------------------

    /// The sequence the single publisher will claim next (nobody else moves `cursor`).
    #[inline]
    pub(super) fn next_single(&self) -> u64 {
        // Relaxed: only the single publisher stores to `cursor`.
        self.cursor.load(Ordering::Relaxed)
    }

    /// Claims `seq`, which must be `next_single()`, for the single publisher; with
    /// `by_cursor`, also publishes every message below `seq + 1`, which must be written.
    #[inline]
    pub(super) fn claim_single(&self, seq: u64) {
        // Release: publishes the messages below (`by_cursor`; pairs with the Acquire load in
        // `read`) and orders our earlier writes for whoever reads the cursor; the gate scan's
        // fence orders it against the registry (see `recompute_gate`).
        self.cursor.store(seq + 1, Ordering::Release);
    }

    /// The single publisher's publish of `value` as message `seq` (`next_single()`), once it
    /// has seen `room(seq)`: writes, then moves the cursor past it (`by_cursor`: the write
    /// first, so the cursor publishes it), wakes subscribers, and only then drops the message
    /// it overwrote.
    #[inline(always)]
    pub(super) fn publish_single(&self, seq: u64, value: T) {
        if !self.by_cursor {
            self.claim_single(seq);
            return self.finish(seq, value);
        }
        let old = self.write_unpublished(seq, value);
        self.claim_single(seq);
        if self.strategy.parks() {
            self.published.notify_all();
        }
        drop(old);
    }

    /// `by_cursor`: writes message `seq` without publishing it (the cursor will); returns the
    /// message it overwrote. The caller is the single publisher and has seen `room(seq)`.
    #[inline(always)]
    pub(super) fn write_unpublished(&self, seq: u64, value: T) -> Option<T> {
        debug_assert!(self.by_cursor);
        let slot = self.slot(seq);
        // SAFETY: the single publisher is the slot's only writer, and `room(seq)` proved that
        // no registered subscriber still reads message `seq - cap`; subscribers read a slot
        // only below the cursor, which passes `seq` after this write. The slot holds a value
        // iff it was written before, that is iff `seq >= cap`.
        let old = slot.value.with_mut(|p| unsafe {
            let old = core::mem::replace(&mut *p, MaybeUninit::new(value));
            (seq >= self.cap).then(|| old.assume_init())
        });
        // Relaxed: nobody reads this stamp but `Drop`, which owns the ring (`by_cursor`
        // subscribers go by the cursor).
        slot.seq.store(seq + 1, Ordering::Relaxed);
        old
    }

    /// Claims the next sequence among several publishers.
    #[inline]
    pub(super) fn claim_multi(&self) -> u64 {
        // SeqCst: the claim is in the single order with subscribers' joins (see `join`).
        self.cursor.fetch_add(1, Ordering::SeqCst)
    }

    /// Claims the next `n` sequences among several publishers; returns the first.
    #[inline]
    pub(super) fn claim_run(&self, n: u64) -> u64 {
        // SeqCst: as in `claim_multi`.
        self.cursor.fetch_add(n, Ordering::SeqCst)
    }

    /// Claims the next sequence among several publishers, only if it has room now
    /// (backpressure's `try_publish`).
    pub(super) fn try_claim_multi(&self) -> Option<u64> {
        let mut seq = self.cursor.load(Ordering::Relaxed);
        loop {
            if !self.room(seq) {
                return None;
            }
            // SeqCst: as in `claim_multi`.
            match self.cursor.compare_exchange_weak(
                seq,
                seq + 1,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(seq),
                Err(now) => seq = now,
            }
        }
    }

    /// Backpressure: whether message `seq - cap`, which `seq` overwrites, is no longer needed
    /// by any registered subscriber. Lossy rings always have room.
    #[inline]
    pub(super) fn room(&self, seq: u64) -> bool {
        if self.overflow == Overflow::Lossy || seq < self.cap {
            return true;
        }
        // Acquire: pairs with the Release store of a recomputed gate, which carried the
        // subscribers' Release stores of their cursors: their reads of the slot are done.
        seq - self.cap < self.gate.load(Ordering::Acquire) || self.recompute_gate(seq)
    }

    #[cold]
    fn recompute_gate(&self, seq: u64) -> bool {
        // SeqCst fence: our earlier claim (a Release store in single-publisher mode) may not
        // move after the loads below; pairs with the SeqCst registration in `join`.
        fence(Ordering::SeqCst);
        // The cursor first, then the registry: a subscriber missed by the scan registered
        // after these loads, so it starts at or beyond this cursor (see `join`).
        let mut gate = self.tail();
        let used = self.readers_used.load(Ordering::SeqCst);
        for reader in &self.readers[..used] {
            // SeqCst: the scan is in the single order with `join`'s registration. Acquire
            // (implied) pairs with the subscriber's Release store of its cursor.
            gate = gate.min(reader.load(Ordering::SeqCst));
        }
        // Release: hands the synchronisation of the scan to publishers that use the cache.
        raise(&self.gate, gate, Ordering::Release);
        seq - self.cap < gate
    }

    /// Writes message `seq` (claimed by the caller) and publishes it. Returns the message it
    /// overwrote, for the caller to drop outside any lock.
    ///
    /// Backpressure callers must have seen `room(seq)`.
    pub(super) fn write(&self, seq: u64, value: T) -> Option<T> {
        let slot = self.slot(seq);
        let previous = if seq < self.cap {
            0
        } else {
            seq + 1 - self.cap
        };
        let backoff = Backoff::new();
        // Wait for the writer of the slot's previous message (another publisher, preempted
        // between claim and publish) to finish. Acquire: pairs with its Release store of `seq`.
        while slot.seq.load(Ordering::Acquire) != previous {
            backoff.snooze();
        }
        if self.overflow == Overflow::Lossy {
            Self::lock_for_writing(self.lock(seq));
        }
        // SAFETY: our claim makes us the slot's only writer now (the previous writer is done);
        // backpressure: `room` proved no subscriber still reads the old message; lossy: the
        // `WRITER` bit keeps every reader out. The value is initialised iff `previous != 0`.
        let old = slot.value.with_mut(|p| unsafe {
            let old = core::mem::replace(&mut *p, MaybeUninit::new(value));
            (previous != 0).then(|| old.assume_init())
        });
        // Release: publishes the value to readers' Acquire loads of `seq`.
        slot.seq.store(seq + 1, Ordering::Release);
        if self.overflow == Overflow::Lossy {
            // Release: our write happens before any reader that enters after us.
            self.lock(seq).fetch_and(!WRITER, Ordering::Release);
        }
        old
    }

    /// Publishes `value` as the claimed message `seq`: waits for room (backpressure), writes,
    /// wakes subscribers, and only then drops the message it overwrote, so a panicking `Drop`
    /// leaves the ring consistent.
    pub(super) fn finish(&self, seq: u64, value: T) {
        if !self.room(seq) {
            self.wait_for_room(seq);
        }
        let old = self.write(seq, value);
        if self.strategy.parks() {
            self.published.notify_all();
        }
        drop(old);
    }

    /// Backpressure: waits as the strategy says until `room(seq)`. Out of line, so the
    /// publish it is called from stays small.
    #[cold]
    #[inline(never)]
    pub(super) fn wait_for_room(&self, seq: u64) {
        self.strategy
            .wait_for(&self.freed, None, || self.room(seq).then_some(()));
    }

    /// Sets the slot's `WRITER` bit once no other writer holds it, then waits until the
    /// readers inside have left. New readers back off as soon as the bit is set.
    fn lock_for_writing(lock: &AtomicUsize) {
        let backoff = Backoff::new();
        let mut state = lock.load(Ordering::Relaxed);
        loop {
            if state & WRITER == 0 {
                // Acquire: pairs with readers' Release decrements, so their reads are done
                // before our write.
                match lock.compare_exchange_weak(
                    state,
                    state | WRITER,
                    Ordering::Acquire,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => break,
                    Err(now) => state = now,
                }
            } else {
                backoff.snooze();
                state = lock.load(Ordering::Relaxed);
            }
        }
        // Acquire: as above, for readers that leave after we set the bit.
        while lock.load(Ordering::Acquire) != WRITER {
            backoff.snooze();
        }
    }

    // ---- reading ----------------------------------------------------------------------------

    /// Reads message `r` through `f`, without blocking; hands `f` back on a miss. `avail` is
    /// the caller's own bound of what is published (`by_cursor` only): messages below it are,
    /// and it is refreshed from the cursor when `r` reaches it.
    #[inline(always)]
    pub(super) fn read<R, F: FnOnce(&T) -> R>(
        &self,
        r: u64,
        avail: &mut u64,
        f: F,
    ) -> Result<R, (Miss, F)> {
        let slot = self.slot(r);
        if self.by_cursor {
            if r >= *avail {
                // Acquire: pairs with the Release store in `claim_single`: every message below
                // the cursor is written, and visible.
                *avail = self.cursor.load(Ordering::Acquire);
                if r >= *avail {
                    return Err((Miss::NotYet, f));
                }
            }
            // SAFETY: `r` is below a cursor the single publisher stored after writing message
            // `r`; it overwrites the slot only after our registered cursor passes `r`, which
            // we only do after this read.
            return Ok(slot.value.with(|p| f(unsafe { (*p).assume_init_ref() })));
        }
        // Acquire: pairs with the Release store in `write`, making the value visible.
        let seq = slot.seq.load(Ordering::Acquire);
        if seq < r + 1 {
            return Err((Miss::NotYet, f));
        }
        if seq > r + 1 {
            return Err((Miss::Overwritten, f));
        }
        match self.overflow {
            // SAFETY: `seq` says the slot holds message `r`, and no publisher overwrites it
            // before our registered cursor passes `r`, which we only do after this read.
            Overflow::Backpressure => Ok(slot.value.with(|p| f(unsafe { (*p).assume_init_ref() }))),
            Overflow::Lossy => Self::read_locked(slot, self.lock(r), r, f),
        }
    }

    fn read_locked<R, F: FnOnce(&T) -> R>(
        slot: &Slot<T>,
        lock: &AtomicUsize,
        r: u64,
        f: F,
    ) -> Result<R, (Miss, F)> {
        /// Leaves the slot's lock even if `f` panics.
        struct Inside<'a>(&'a AtomicUsize);
        impl Drop for Inside<'_> {
            fn drop(&mut self) {
                // Release: our read happens before the next writer's write.
                self.0.fetch_sub(1, Ordering::Release);
            }
        }
        // Acquire: pairs with the writer's Release clearing of `WRITER`.
        let state = lock.fetch_add(1, Ordering::Acquire);
        let inside = Inside(lock);
        if state & WRITER != 0 {
            // A writer is replacing the value: either message `r` was just published and its
            // writer is still unlocking (not yet ours to read), or `r` is being overwritten.
            drop(inside);
            return Err((Miss::NotYet, f));
        }
        // Acquire: re-check under the lock; a writer may have replaced `r` since the first look.
        if slot.seq.load(Ordering::Acquire) != r + 1 {
            return Err((Miss::Overwritten, f));
        }
        // SAFETY: we are inside the lock with no writer, and the slot holds message `r`.
        let out = slot.value.with(|p| f(unsafe { (*p).assume_init_ref() }));
        drop(inside);
        Ok(out)
    }

    // ---- subscribers -------------------------------------------------------------------------

    /// Registers a subscriber; returns its registry entry (backpressure only) and the first
    /// sequence it will read: the next message to be published.
    pub(super) fn join(&self) -> (Option<usize>, u64) {
        if self.overflow == Overflow::Lossy {
            return (None, self.tail());
        }
        let first = self.tail();
        for (index, reader) in self.readers.iter().enumerate() {
            // SeqCst: the registration, then the cursor load below, in the single order with
            // publishers' claims and gate scans: a scan that misses this entry read a cursor no
            // later than `start`, so the gate it computes never lets `start` be overwritten.
            if reader
                .compare_exchange(FREE, first, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                raise_usize(&self.readers_used, index + 1, Ordering::SeqCst);
                // SeqCst fence: pairs with the fence in `recompute_gate` (fence to fence, so the
                // argument above holds in the C++ model whatever the access orderings, and
                // under loom, which models SeqCst accesses as AcqRel). Cold path.
                fence(Ordering::SeqCst);
                let start = self.tail();
                // Release: as every cursor store (see `advance`).
                reader.store(start, Ordering::Release);
                if start != first {
                    // A publisher may have scanned the provisional `first` and gone to sleep
                    // waiting for it to move: it just did (found by a loom model).
                    self.freed.notify_all();
                }
                return (Some(index), start);
            }
        }
        panic!("broadcast: more than {} subscribers", self.readers.len());
    }

    /// Backpressure: moves a subscriber's registered cursor to `next`.
    #[inline]
    pub(super) fn advance(&self, entry: usize, next: u64) {
        // Release: our reads of earlier messages happen before a publisher, having seen this,
        // overwrites them.
        self.readers[entry].store(next, Ordering::Release);
        if self.strategy.parks() {
            self.freed.notify_all();
        }
    }

    /// Backpressure: frees a subscriber's registry entry, releasing what it held back.
    pub(super) fn leave(&self, entry: usize) {
        // Release: as in `advance`.
        self.readers[entry].store(FREE, Ordering::Release);
        self.freed.notify_all();
    }

    /// Lossy: where a subscriber that found message `r` overwritten continues: the oldest
    /// message that may still be in the ring (always past `r`).
    pub(super) fn oldest_after_lag(&self, r: u64) -> u64 {
        self.tail().saturating_sub(self.cap).max(r + 1)
    }

    // ---- closing -----------------------------------------------------------------------------

    pub(super) fn close(&self) {
        // SeqCst: the condition write of the event-count protocol.
        self.closed.store(true, Ordering::SeqCst);
        self.published.notify_all();
        self.freed.notify_all();
    }

    /// Test-only: subscribers and publishers registered as waiting (see
    /// `Publisher::__waiters`).
    pub(super) fn waiters(&self) -> (usize, usize) {
        (self.published.__waiters(), self.freed.__waiters())
    }

    pub(super) fn is_closed(&self) -> bool {
        // SeqCst: read in waiters' re-checks (event-count protocol); also synchronises with the
        // last publisher, so every message it published is visible.
        self.closed.load(Ordering::SeqCst)
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        /// Drops the values left in the ring, carrying on if one destructor panics.
        struct Rest<'a, T>(core::slice::Iter<'a, Slot<T>>);
        impl<T> Rest<'_, T> {
            fn drain(&mut self) {
                for slot in self.0.by_ref() {
                    // Relaxed: `&mut self`, nobody else is here.
                    if slot.seq.load(Ordering::Relaxed) != 0 {
                        slot.seq.store(0, Ordering::Relaxed);
                        // SAFETY: a slot with `seq != 0` holds an initialised value, dropped
                        // only here, once (its `seq` is cleared first).
                        slot.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
                    }
                }
            }
        }
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                self.drain();
            }
        }
        Rest(self.slots.iter()).drain();
    }
}
