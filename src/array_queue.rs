//! A bounded multi-producer multi-consumer ring: the internals. What a user needs (the
//! algorithm in brief, progress, memory) is on [`ArrayQueue`]'s own docs.
//!
//! # Positions, stamps and claims
//!
//! The ring follows Dmitry Vyukov's bounded MPMC queue ("Bounded MPMC queue", 1024cores.net,
//! 2010) in its slots: each carries a stamp saying which position it is ready for, and a
//! producer and a consumer of one slot meet only at that stamp. It differs in where a
//! position is claimed. In Vyukov's queue (and crossbeam's) a producer claims position `p` by
//! a compare-and-swap of the shared `tail`, and a consumer that finds its slot unwritten
//! must load `tail` (after a fence) to tell "empty" from "a producer is still writing",
//! which takes the producers' line away from them on every empty poll; a full producer
//! likewise loads `head`. Here the claim is a compare-and-swap of the slot's stamp itself
//! (from `EMPTY` to `WRITING` for a producer, `FULL` to `READING` for a consumer; see
//! `stamp.rs`), and `head` and `tail` are hints: where the next consumer (producer) should
//! start looking, stored with a plain (Release) store after each claim. Because each side claims its
//! positions in order, the one stamp at a thread's position answers for the whole queue: a
//! consumer that finds it `EMPTY` has found an empty queue, a producer that finds the
//! previous lap's value unclaimed has found a full one. Neither side reads the other
//! side's hint (but `force_push`, which consumes the value it evicts, moves the consumers'
//! hint past it). A claim is still one compare-and-swap per operation, as in Vyukov's queue,
//! and the hint store a plain store; what is saved is every poll's trip to the other side's
//! line (and the fence before it). This is what the `wharf-array` rows of RESULTS.md
//! measure against crossbeam's `ArrayQueue` (same slots, claims on the counters).
//!
//! A hint can lag: a claimer preempted between its compare-and-swap and its store writes an
//! old position when it resumes. A thread that finds its position claimed moves on (to the
//! next position, or past a batch's run; to the hint, if it finds itself a lap or more
//! behind), so a stale hint costs a walk over claimed slots, never a wrong answer. The lag is
//! at most a lap: while the preempted claimer's slot is mid-operation, the other side cannot
//! pass it. The hints are stored with Release and loaded with Acquire, so a thread that
//! starts at a hinted position has seen every claim before it (loom found `len` answering 2
//! for a queue that never held more than one value with Relaxed hints).
//!
//! A position is `lap + index`, where `index < cap` sits in the low bits and the lap counts in
//! multiples of `one_lap`, a power of two, so the slot of a position is found with a mask (no
//! division on the hot path). When `cap` is a power of two (and at least 2), `one_lap == cap`
//! and positions are plain counters. For any other capacity, `one_lap` is the smallest power
//! of two above `cap`, so `index + 1` never carries into the lap bits, and advancing past the
//! last index skips the `one_lap - cap` unused indices in one add. Positions wrap around
//! `usize` harmlessly: they are only compared by their (small) signed distance.
//!
//! # Where a thread waits
//!
//! A consumer that finds its slot claimed by a producer and not yet written (or a producer
//! that finds it still being read out by a consumer of the previous lap) waits in `pop_slow`
//! (`push_slow`) with a back-off that spins, then yields; that is the stall the type's
//! progress section describes. A thread does not wait for another thread of its own side:
//! it moves past a claimed position (`force_push` is the exception: it waits for the value
//! it would evict to be written). Nothing waits in the kernel.
//!
//! # Capacity 1
//!
//! A queue of capacity 1 is a single slot whose stamp is a four-state word (see `single.rs`),
//! with no hints to update.
//!
//! # Where the head and tail are
//!
//! `frontier.rs` walks from the hints to the real head and tail for `len`, `is_empty`,
//! `is_full` and the `&mut` paths.
//!
//! # Exclusive access
//!
//! The `&mut self` paths (`push_mut`, `pop_mut`, the drop and the owning iterator) are in
//! `exclusive.rs`, with the settled state they rely on.

use core::fmt;
use core::mem::MaybeUninit;
use core::panic::{RefUnwindSafe, UnwindSafe};

use crossbeam_utils::CachePadded;

use crate::loom::{AtomicUsize, Backoff, Ordering, UnsafeCell};
use crate::padded_slice::PaddedSlice;
use crate::Queue;

mod batch;
mod exclusive;
mod frontier;
mod single;
mod stamp;

use stamp::{stamp, Pop, Push, EMPTY, FULL, READING, WRITING};

pub use exclusive::IntoIter;

/// The longest lap a ring may have (see `stamp.rs`): four times a lap, the span the stamp
/// comparisons work in, stays below `isize::MAX / 2`.
const MAX_LAP: usize = isize::MAX as usize / 8;

/// One cell of the ring.
struct Slot<T> {
    /// The position this slot is on and its state, `position * 4 + state` (see `stamp.rs`):
    /// `EMPTY` awaiting the position's producer, `WRITING` claimed by it, `FULL` holding its
    /// value, `READING` claimed by a consumer; after the read, `EMPTY` for the same index one
    /// lap later. (At capacity 1, one of the four states of `single` instead.)
    stamp: AtomicUsize,
    /// The value: initialised from its producer's write to its consumer's read. Outside a
    /// batch, that is while the stamp is `FULL` for the slot's position, and part of the
    /// time it is `WRITING` or `READING`; a slot inside a batch's run keeps `EMPTY` while
    /// written and `FULL` while read out, its first slot holding the run's marker (see
    /// `batch.rs`). (At capacity 1: when the state is `FULL`, or while its holder moves the
    /// value.)
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A bounded multi-producer multi-consumer queue.
///
/// Its methods and their meaning match `crossbeam_queue::ArrayQueue`, so switching is a
/// change of import. Any capacity of at least 1 works, not only powers of two. Through `&mut
/// self` ([`push_mut`](Self::push_mut), [`pop_mut`](Self::pop_mut)) it skips every atomic
/// read-modify-write. It is [`UnwindSafe`] and [`RefUnwindSafe`] whatever `T` is.
///
/// # Algorithm
///
/// A ring of `capacity` slots after Dmitry Vyukov's bounded MPMC queue ("Bounded MPMC
/// queue", 1024cores.net, 2010), each slot with a *stamp* that names the position the slot
/// is on and its state: empty, being written, full, or being read. A push claims the next
/// position with a compare-and-swap of that slot's stamp from empty to being-written, then
/// writes the value and marks it full; a pop claims a full slot the same way, reads it, and
/// marks it empty for its next turn, one lap later. Unlike Vyukov's queue (and crossbeam's),
/// `head` and `tail` are only hints of where to look, so a pop that finds the queue empty
/// reads no line the producers write but the slots it looks at, and a push that finds it
/// full none the consumers write: an idle side does not take cache lines away from a busy
/// one. Each side claims positions in order, so the stamp of the next position decides
/// "empty" and "full" as exactly as a counter would.
///
/// A full queue hands the value back (`push`) or evicts the oldest value
/// ([`force_push`](Self::force_push)); nothing blocks. A queue of capacity 1 is one slot with
/// a four-state word and no hints, so that a hand-off between two threads moves a single
/// cache line.
///
/// # Progress
///
/// This queue is *not* lock-free in the strict sense. A producer that is preempted after
/// claiming a slot but before publishing it leaves a hole: consumers that reach that slot
/// wait (spinning, then yielding) until the producer runs again. The same holds for a
/// consumer preempted between claiming and freeing a slot, which stalls producers one lap
/// later. A batch publishes (frees) its run when the whole run is written (read), so a
/// thread preempted inside a batch stalls the other side for the whole run. Threads of one
/// side do not wait for each other: a push (pop) that finds a position taken moves on to the
/// next (only [`force_push`](Self::force_push), which evicts the oldest value, waits for it
/// to be written first). No operation ever blocks in the kernel, and `push`/`pop` on an
/// uncontended queue finish in a bounded number of steps; but under oversubscription (more runnable threads
/// than cores) a preempted thread can delay others by a scheduler time slice. If that matters
/// more than throughput, prefer [`LinkedQueue`](crate::LinkedQueue), whose stalled operations
/// are skipped rather than waited for.
///
/// # Memory
///
/// [`new`](Self::new) allocates all `capacity` slots at once (each a `T` and a `usize`
/// stamp, so `capacity * size_of::<(usize, T)>()` bytes or so, plus two cache-line-padded
/// hints); the queue never allocates or frees again until it is dropped. Values still in
/// the queue are dropped with it, each exactly once.
///
/// # Examples
///
/// ```
/// use wharf::ArrayQueue;
///
/// let q = ArrayQueue::new(2);
/// assert_eq!(q.push('a'), Ok(()));
/// assert_eq!(q.push('b'), Ok(()));
/// assert_eq!(q.push('c'), Err('c')); // full: the value comes back
/// assert_eq!(q.force_push('c'), Some('a')); // evicts the oldest
/// assert_eq!(q.pop(), Some('b'));
/// assert_eq!(q.pop(), Some('c'));
/// assert_eq!(q.pop(), None);
/// ```
//
// Invariants (capacities of 2 or more; at capacity 1 see `single`):
// - Each side claims positions in order: a producer (consumer) claims `p` only after `p`'s
//   predecessor is claimed by a producer (consumer). Call the first position no producer
//   has claimed the tail, and the first no consumer has claimed the head; the queue holds
//   the values of positions `head..tail`, at most `cap` of them.
// - `self.tail` and `self.head` are hints: positions at or behind the tail and head
//   (whoever claims `p` stores its successor there), never ahead of them.
// - Only the thread that claimed a position writes (reads) its slot's value: the one whose
//   compare-and-swap moved the slot's stamp to `WRITING` (`READING`), or the stamp of the
//   first slot of a run holding the position to a run marker (see `batch.rs`).
// - At capacity 1 `head` and `tail` stay at `single::SENTINEL`, which makes every fast path
//   fail over to a slow path, and the slot's stamp is the state of `single`.
pub struct ArrayQueue<T> {
    /// A hint: at or behind the first position no consumer has claimed, where a pop starts
    /// looking. Written by consumers (and by `force_push` after an eviction); padded so that
    /// consumers do not share a line with producers.
    head: CachePadded<AtomicUsize>,
    /// A hint: at or behind the first position no producer has claimed, where a push starts
    /// looking. Written only by producers.
    tail: CachePadded<AtomicUsize>,
    /// The ring; `buffer.len() == cap`. On cache lines of its own, so that no other
    /// allocation's writes take its lines from the queue's users (see `padded_slice`).
    buffer: PaddedSlice<Slot<T>>,
    /// How positions map to slots and laps.
    laps: Laps,
}

/// How positions map to slots and self.laps.
#[derive(Clone, Copy)]
struct Laps {
    /// The capacity, at least 1.
    cap: usize,
    /// Adding it to a position moves to the same index of the next lap: `cap` itself when
    /// `cap` is a power of two of at least 2, else the smallest power of two above `cap`.
    one_lap: usize,
    /// `one_lap - 1`: masks a position down to its index.
    mask: usize,
    /// `one_lap - cap`: the unused indices a position skips when it passes the last slot.
    skip: usize,
}

impl Laps {
    /// The position after `pos`: the next index, or index 0 of the next lap.
    #[inline(always)]
    fn advance(self, pos: usize) -> usize {
        let next = pos.wrapping_add(1);
        // The index reaches `cap` only past the last slot; when `one_lap == cap` it wraps to 0
        // by itself and `skip` is 0.
        if next & self.mask == self.cap {
            next.wrapping_add(self.skip)
        } else {
            next
        }
    }

    /// The slot of `pos` in `buffer`, which has `cap` slots.
    #[inline(always)]
    fn slot<T>(self, buffer: &[Slot<T>], pos: usize) -> &Slot<T> {
        let index = pos & self.mask;
        debug_assert!(index < buffer.len());
        // SAFETY: every position's index is below `cap == buffer.len()`. Positions start at
        // index 0 and are made by `advance` (which moves an index that reaches `cap` on to
        // index 0 of the next lap), by whole laps from one (`oldest`, the next lap's `EMPTY`),
        // by the batch helpers `offset`/`pieces`, which wrap the same way, or are read back
        // from a hint or a run marker that one of those made; `single::SENTINEL` (capacity 1)
        // has index 0 (asserted at compile time in `single`).
        unsafe { buffer.get_unchecked(index) }
    }

    /// The slot of `pos`, through `&mut` (the queue's `&mut self` paths).
    #[inline(always)]
    fn slot_mut<T>(self, buffer: &mut [Slot<T>], pos: usize) -> &mut Slot<T> {
        let index = pos & self.mask;
        debug_assert!(index < buffer.len());
        // SAFETY: `index < cap == buffer.len()`, as in `slot`.
        unsafe { buffer.get_unchecked_mut(index) }
    }
}

// SAFETY: values move between threads through the queue, so `T: Send` is needed and enough;
// the queue never hands out a `&T`, so `T: Sync` is not needed.
unsafe impl<T: Send> Send for ArrayQueue<T> {}
// SAFETY: as above: shared access only ever moves whole values in and out, and each slot's
// value is reached by one thread at a time, as the stamp protocol (see the invariants), or at
// capacity 1 the state word of `single`, ensures.
unsafe impl<T: Send> Sync for ArrayQueue<T> {}

// Unwind safety, whatever `T` is (as crossbeam-queue's): no method runs code of the caller's
// while an invariant is broken. Values are only moved in and out, never dropped, cloned or
// lent out by `push` or `pop`; destructors run only when the queue is dropped (or drained by
// its iterator), and the drop keeps going past a panicking one. So a panic never leaves the
// queue half-updated for code after `catch_unwind` to see.
impl<T> UnwindSafe for ArrayQueue<T> {}
impl<T> RefUnwindSafe for ArrayQueue<T> {}

impl<T> ArrayQueue<T> {
    /// Creates an empty queue that holds at most `cap` values.
    ///
    /// # Panics
    ///
    /// Panics if `cap` is 0, or if the ring of `cap` slots cannot be allocated (a capacity so
    /// large that its size overflows, such as `usize::MAX`, or more memory than is available).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::ArrayQueue::<u32>::new(100);
    /// assert_eq!(q.capacity(), 100);
    /// ```
    pub fn new(cap: usize) -> Self {
        Self::with_start(cap, 0)
    }

    /// Test hook: a queue whose positions start `laps_before_wrap` laps before they wrap
    /// around `usize`, so a short test crosses the wrap-around. (Capacity 1 has no positions:
    /// the hook makes an ordinary capacity-1 queue.)
    #[doc(hidden)]
    pub fn __with_initial_lap(cap: usize, laps_before_wrap: usize) -> Self {
        let one_lap = Self::one_lap_for(cap);
        Self::with_start(
            cap,
            0usize.wrapping_sub(laps_before_wrap.wrapping_mul(one_lap)),
        )
    }

    fn one_lap_for(cap: usize) -> usize {
        assert!(cap > 0, "ArrayQueue capacity must be non-zero");
        let one_lap = if cap >= 2 && cap.is_power_of_two() {
            Some(cap)
        } else {
            cap.checked_add(1)
                .and_then(usize::checked_next_power_of_two)
        };
        // A lap must stay far below the stamps' range: `stamp.rs` compares positions four
        // times over, as `isize`. (No ring that large could be allocated anyway.)
        one_lap
            .filter(|&one_lap| one_lap <= MAX_LAP)
            .unwrap_or_else(|| panic!("ArrayQueue capacity {cap} is too large"))
    }

    fn with_start(cap: usize, start: usize) -> Self {
        let one_lap = Self::one_lap_for(cap);
        debug_assert_eq!(
            start & (one_lap - 1),
            0,
            "start must be at index 0 of a lap"
        );
        // Slot `i` starts empty and ready for position `start + i`, the first lap.
        let buffer = PaddedSlice::try_from_fn(cap, |i| Slot {
            stamp: AtomicUsize::new(if cap == 1 {
                single::INITIAL
            } else {
                stamp(start.wrapping_add(i), EMPTY)
            }),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        })
        .unwrap_or_else(|| {
            panic!("ArrayQueue capacity {cap} is too large: cannot allocate its slots")
        });
        let start = if cap == 1 { single::SENTINEL } else { start };
        Self {
            head: CachePadded::new(AtomicUsize::new(start)),
            tail: CachePadded::new(AtomicUsize::new(start)),
            buffer,
            laps: Laps {
                cap,
                one_lap,
                mask: one_lap - 1,
                skip: one_lap - cap,
            },
        }
    }

    /// Pushes `value` into the queue, or hands it back if the queue is full.
    ///
    /// # Errors
    ///
    /// Returns `Err(value)` when the queue holds `capacity()` values.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::ArrayQueue::new(1);
    /// assert_eq!(q.push(10), Ok(()));
    /// assert_eq!(q.push(20), Err(20));
    /// ```
    #[inline]
    pub fn push(&self, value: T) -> Result<(), T> {
        // One straight-line attempt at the hinted position; a claimed position, a full queue
        // or a slow neighbour go to the loop in `push_slow`.
        // Acquire: pairs with the Release hint store of the claimer of `pos`'s predecessor,
        // so that every claim before `pos` happens before our look at `pos`'s stamp.
        let pos = self.tail.load(Ordering::Acquire);
        let slot = self.laps.slot(&self.buffer, pos);
        let empty = stamp(pos, EMPTY);
        // Relaxed: a first look; the compare-and-swap decides and synchronises.
        if slot.stamp.load(Ordering::Relaxed) == empty
            // SeqCst: the push takes effect here, in the single order `pop`'s answer of
            // "empty" is read in (see `Queue::__seqcst_handoff`). Acquire (implied): pairs
            // with the Release store of `EMPTY` in `empty`, so the previous lap's reader is
            // done with the slot before we write it.
            && slot
                .stamp
                .compare_exchange_weak(empty, empty | WRITING, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
        {
            // Release: a thread that starts at the hinted position has seen our claim (and,
            // through it, every claim before ours).
            self.tail.store(self.laps.advance(pos), Ordering::Release);
            // SAFETY: our compare-and-swap moved the stamp from `EMPTY` to `WRITING` for
            // `pos`, so the slot is ours to fill.
            unsafe { Self::fill(slot, pos, value) };
            return Ok(());
        }
        self.push_slow(value)
    }

    /// Writes `value` into `slot`, claimed for position `pos`, and publishes it.
    ///
    /// # Safety
    ///
    /// The caller claimed `pos`: it moved the slot's stamp from `EMPTY` for `pos` to
    /// `WRITING`, or the stamp of its run's first slot to a run marker while this slot was
    /// `EMPTY` for `pos` (see `batch.rs`). So no other thread reads or writes the slot's
    /// value until the stamp says `FULL`.
    #[inline(always)]
    unsafe fn fill(slot: &Slot<T>, pos: usize, value: T) {
        // SAFETY: the caller owns the slot (above), and it holds no value.
        slot.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        // Release: publishes the value to the consumer's Acquire compare-and-swap; for a
        // run's first slot (filled last), also the rest of the run's values and stamps to
        // the consumers who step past it.
        slot.stamp.store(stamp(pos, FULL), Ordering::Release);
    }

    #[cold]
    fn push_slow(&self, value: T) -> Result<(), T> {
        if self.laps.cap == 1 {
            return single::push(&self.buffer[0], value);
        }
        let backoff = Backoff::new();
        // Acquire: as in `push`.
        let mut pos = self.tail.load(Ordering::Acquire);
        loop {
            let slot = self.laps.slot(&self.buffer, pos);
            // SeqCst: an answer of "full" is decided by this load, in the single order the
            // consumers' claims are made in (see `Queue::__seqcst_handoff`).
            let seen = slot.stamp.load(Ordering::SeqCst);
            match self.laps.for_push(pos, seen) {
                Push::Claim => {
                    // SeqCst and Acquire: as in `push`. Relaxed on failure: we look again.
                    if slot
                        .stamp
                        .compare_exchange(seen, seen | WRITING, Ordering::SeqCst, Ordering::Relaxed)
                        .is_ok()
                    {
                        // Release: as in `push`.
                        self.tail.store(self.laps.advance(pos), Ordering::Release);
                        // SAFETY: our compare-and-swap moved the stamp from `EMPTY` to
                        // `WRITING` for `pos`.
                        unsafe { Self::fill(slot, pos, value) };
                        return Ok(());
                    }
                }
                Push::Skip(next) => pos = next,
                Push::Behind => pos = self.ahead_of(&self.tail, self.laps.advance(pos)),
                Push::Full => return Err(value),
                Push::Wait => backoff.snooze(),
            }
        }
    }

    /// Pushes `value`, evicting and returning the oldest value if the queue is full.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::ArrayQueue::new(2);
    /// assert_eq!(q.force_push(1), None);
    /// assert_eq!(q.force_push(2), None);
    /// assert_eq!(q.force_push(3), Some(1));
    /// assert_eq!(q.pop(), Some(2));
    /// ```
    pub fn force_push(&self, value: T) -> Option<T> {
        if self.laps.cap == 1 {
            return single::force_push(&self.buffer[0], value);
        }
        let backoff = Backoff::new();
        // Acquire: as in `push`.
        let mut pos = self.tail.load(Ordering::Acquire);
        loop {
            let slot = self.laps.slot(&self.buffer, pos);
            // SeqCst: as in `push_slow`.
            let seen = slot.stamp.load(Ordering::SeqCst);
            let oldest = pos.wrapping_sub(self.laps.one_lap);
            match self.laps.for_push(pos, seen) {
                Push::Claim => {
                    // SeqCst and Acquire: as in `push`. Relaxed on failure: we look again.
                    if slot
                        .stamp
                        .compare_exchange(seen, seen | WRITING, Ordering::SeqCst, Ordering::Relaxed)
                        .is_ok()
                    {
                        // Release: as in `push`.
                        self.tail.store(self.laps.advance(pos), Ordering::Release);
                        // SAFETY: our compare-and-swap moved the stamp from `EMPTY` to
                        // `WRITING` for `pos`.
                        unsafe { Self::fill(slot, pos, value) };
                        return None;
                    }
                }
                // Full, and the oldest value (the previous lap's, in this very slot) is
                // settled: pop it and push ours in one compare-and-swap, from `FULL` for
                // `oldest` (a consumer's claim of `oldest`) to `WRITING` for `pos` (a
                // producer's claim of `pos`). Every position before `oldest` is claimed by a
                // consumer already (a producer claimed `oldest + cap - 1`, whose slot needed
                // its previous value read), so `oldest` is the head and the claims stay in
                // order on both sides.
                Push::Full if seen == stamp(oldest, FULL) => {
                    // SeqCst: the eviction and the push take effect here. Acquire (implied):
                    // pairs with the Release store of `FULL`, so the evicted value is visible.
                    // Relaxed on failure: we look again.
                    if slot
                        .stamp
                        .compare_exchange(
                            seen,
                            stamp(pos, WRITING),
                            Ordering::SeqCst,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                    {
                        // Release: hints, as in `push`. The head's only if it still points at
                        // `oldest`, so that an eviction never moves it back. Relaxed on
                        // failure: nothing to do.
                        let _ = self.head.compare_exchange(
                            oldest,
                            self.laps.advance(oldest),
                            Ordering::Release,
                            Ordering::Relaxed,
                        );
                        self.tail.store(self.laps.advance(pos), Ordering::Release);
                        // SAFETY: the stamp was `FULL` for `oldest`, so the slot holds that
                        // initialised value, and our compare-and-swap made the slot ours.
                        let old = slot.value.with_mut(|p| unsafe {
                            core::mem::replace(&mut *p, MaybeUninit::new(value)).assume_init()
                        });
                        // Release: publishes our value to the consumer of `pos`.
                        slot.stamp.store(stamp(pos, FULL), Ordering::Release);
                        return Some(old);
                    }
                }
                Push::Skip(next) => pos = next,
                Push::Behind => pos = self.ahead_of(&self.tail, self.laps.advance(pos)),
                // The oldest value is still being written, or the slot still being read out.
                Push::Full | Push::Wait => backoff.snooze(),
            }
        }
    }

    /// Pops the oldest value, or returns `None` if the queue is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::ArrayQueue::new(4);
    /// q.push("x").unwrap();
    /// assert_eq!(q.pop(), Some("x"));
    /// assert_eq!(q.pop(), None);
    /// ```
    #[inline]
    pub fn pop(&self) -> Option<T> {
        // One straight-line attempt at the hinted position, as in `push`.
        // Acquire: as in `push`.
        let pos = self.head.load(Ordering::Acquire);
        let slot = self.laps.slot(&self.buffer, pos);
        let full = stamp(pos, FULL);
        // Relaxed: a first look; the compare-and-swap decides and synchronises.
        if slot.stamp.load(Ordering::Relaxed) == full
            // SeqCst: the pop takes effect here, in the single order `push`'s answer of
            // "full" is read in. Acquire (implied): pairs with the Release store of `FULL`
            // in `fill`, making the value visible.
            && slot
                .stamp
                .compare_exchange_weak(full, full | READING, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
        {
            // Release: as in `push`.
            self.head.store(self.laps.advance(pos), Ordering::Release);
            // SAFETY: our compare-and-swap moved the stamp from `FULL` to `READING` for
            // `pos`, so the slot's value is initialised and ours.
            return Some(unsafe { Self::empty(slot, pos, self.laps.one_lap) });
        }
        self.pop_slow()
    }

    /// Takes the value out of `slot`, claimed for position `pos`, and frees the slot for the
    /// next lap (`one_lap` is `self.laps.one_lap`: passed in, so that a batch's loop keeps it
    /// in a register across its stores).
    ///
    /// # Safety
    ///
    /// The caller claimed `pos`: it moved the slot's stamp from `FULL` for `pos` to
    /// `READING`, or the stamp of its run's first slot to a run marker while this slot was
    /// `FULL` for `pos` (see `batch.rs`). So the value is initialised and no other thread
    /// touches it.
    #[inline(always)]
    unsafe fn empty(slot: &Slot<T>, pos: usize, one_lap: usize) -> T {
        // SAFETY: the caller owns the slot's initialised value (above).
        let value = slot.value.with(|p| unsafe { p.read().assume_init() });
        // Release: our read happens before the next lap's producer writes.
        slot.stamp
            .store(stamp(pos.wrapping_add(one_lap), EMPTY), Ordering::Release);
        value
    }

    #[cold]
    fn pop_slow(&self) -> Option<T> {
        if self.laps.cap == 1 {
            return single::pop(&self.buffer[0]);
        }
        let backoff = Backoff::new();
        // Acquire: as in `push`.
        let mut pos = self.head.load(Ordering::Acquire);
        loop {
            let slot = self.laps.slot(&self.buffer, pos);
            // SeqCst: an answer of "empty" is decided by this load, in the single order the
            // producers' claims are made in (see `Queue::__seqcst_handoff`).
            let seen = slot.stamp.load(Ordering::SeqCst);
            match self.laps.for_pop(pos, seen) {
                Pop::Claim => {
                    // SeqCst and Acquire: as in `pop`. Relaxed on failure: we look again.
                    if slot
                        .stamp
                        .compare_exchange(seen, seen | READING, Ordering::SeqCst, Ordering::Relaxed)
                        .is_ok()
                    {
                        // Release: as in `push`.
                        self.head.store(self.laps.advance(pos), Ordering::Release);
                        // SAFETY: our compare-and-swap moved the stamp from `FULL` to
                        // `READING` for `pos`.
                        return Some(unsafe { Self::empty(slot, pos, self.laps.one_lap) });
                    }
                }
                Pop::Skip(next) => pos = next,
                Pop::Behind => pos = self.ahead_of(&self.head, self.laps.advance(pos)),
                Pop::Empty => return None,
                Pop::Wait => backoff.snooze(),
            }
        }
    }

    /// The most values the queue can hold.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(wharf::ArrayQueue::<()>::new(7).capacity(), 7);
    /// ```
    pub fn capacity(&self) -> usize {
        self.laps.cap
    }
}

impl<T> fmt::Debug for ArrayQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrayQueue")
            .field("len", &self.len())
            .field("capacity", &self.laps.cap)
            .finish_non_exhaustive()
    }
}

impl<T> Queue<T> for ArrayQueue<T> {
    #[inline]
    fn try_push(&self, value: T) -> Result<(), T> {
        self.push(value)
    }
    #[inline]
    fn try_pop(&self) -> Option<T> {
        self.pop()
    }
    fn len(&self) -> usize {
        ArrayQueue::len(self)
    }
    fn is_empty(&self) -> bool {
        ArrayQueue::is_empty(self)
    }
    fn capacity(&self) -> Option<usize> {
        Some(self.laps.cap)
    }
    fn is_full(&self) -> bool {
        ArrayQueue::is_full(self)
    }
    fn try_push_batch(&self, values: &mut Vec<T>) -> usize {
        self.push_batch(values)
    }
    fn try_pop_batch(&self, out: &mut Vec<T>, limit: usize) -> usize {
        self.pop_batch(out, limit)
    }
    /// Rings of two or more slots: a push claims its position with a `SeqCst`
    /// compare-and-swap of the slot's stamp, and a pop answers "empty" only from a `SeqCst`
    /// load of the stamp at the head that finds no producer's claim there (having seen a
    /// claim, it waits for the value); mirrored for "full". The claim of that very position
    /// is then later than the pop's load in the single order, so its producer's own check of
    /// the waiters sees the registration; and a later position is claimed only by a producer
    /// that saw that one claimed, so there is always such a producer. Capacity 1 does not
    /// qualify: its value becomes available at a plain store.
    fn __seqcst_handoff(&self) -> bool {
        self.laps.cap != 1
    }
}
