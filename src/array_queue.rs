//! A bounded multi-producer multi-consumer ring: the internals. What a user needs (the
//! algorithm in brief, progress, memory) is on [`ArrayQueue`]'s own docs.
//!
//! # Positions and stamps
//!
//! Dmitry Vyukov's bounded MPMC queue ("Bounded MPMC queue", 1024cores.net, 2010). A producer
//! claims position `p` by moving `tail` from `p` to `p + 1` with a compare-and-swap, but only
//! once the stamp of slot `p mod cap` says the slot is empty for `p`; it then writes the value
//! and publishes it by setting the stamp to `p + 1`. A consumer mirrors this with `head`, and
//! after reading sets the stamp to `p + lap`, the empty mark for the slot's next turn. The
//! stamp is the only hand-off between a producer and a consumer of one slot.
//!
//! A position is `lap + index`, where `index < cap` sits in the low bits and the lap counts in
//! multiples of `one_lap`, a power of two, so the slot of a position is found with a mask (no
//! division on the hot path). When `cap` is a power of two (and at least 2), `one_lap == cap`
//! and positions are plain counters, as in Vyukov's original: a slot's three stamps `p`,
//! `p + 1` and `p + cap` stay distinct. For any other capacity, `one_lap` is the smallest power
//! of two above `cap`, so `index + 1` never carries into the lap bits, and advancing past the
//! last index skips the `one_lap - cap` unused indices in one add. Laps wrap around `usize`
//! harmlessly: stamps are only compared for equality.
//!
//! # Where a thread waits
//!
//! A consumer that finds a slot claimed but not yet written (or a producer that finds one
//! claimed by a consumer of the previous lap not yet freed) waits in `pop_slow` (`push_slow`)
//! with a back-off that spins, then yields; that is the stall the type's progress section
//! describes. Nothing waits in the kernel.
//!
//! # Capacity 1
//!
//! A queue of capacity 1 is a single slot whose stamp is a four-state word (see `single.rs`):
//! a hand-off then moves one cache line instead of three, which halves a ping-pong round trip.
//!
//! # Exclusive access
//!
//! The `&mut self` paths (`push_mut`, `pop_mut`, the drop and the owning iterator) are in
//! `exclusive.rs`, with the settled state they rely on.

use core::fmt;
use core::mem::MaybeUninit;
use core::panic::{RefUnwindSafe, UnwindSafe};

use crossbeam_utils::CachePadded;

use crate::loom::{fence, AtomicUsize, Backoff, Ordering, UnsafeCell};
use crate::padded_slice::PaddedSlice;
use crate::Queue;

mod batch;
mod exclusive;
mod single;

pub use exclusive::IntoIter;

/// One cell of the ring.
struct Slot<T> {
    /// The position this slot is ready for: equal to a position `p` when empty and awaiting
    /// the producer of `p`; `p + 1` when it holds the value pushed at `p`. (At capacity 1,
    /// one of the four states of `single` instead.)
    stamp: AtomicUsize,
    /// The value, initialised exactly when `stamp == p + 1` for the slot's current position
    /// (at capacity 1: when the state is `FULL`, or while its holder moves the value).
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
/// Dmitry Vyukov's bounded MPMC queue ("Bounded MPMC queue", 1024cores.net, 2010): a ring of
/// `capacity` slots, each with a sequence *stamp* that says which position the slot is ready
/// for. A push claims the next position by a compare-and-swap of the shared `tail` counter,
/// once the slot's stamp says it is empty for that position, then writes the value and marks
/// the stamp full. A pop does the same with `head` and marks the slot empty for its next
/// turn, one lap later. A producer and a consumer meet only at the stamp of their slot;
/// `head` and `tail` sit on cache lines of their own.
///
/// A full queue hands the value back (`push`) or evicts the oldest value
/// ([`force_push`](Self::force_push)); nothing blocks. A queue of capacity 1 is one slot with
/// a four-state word in place of the stamp and the counters, so that a hand-off between two
/// threads moves a single cache line.
///
/// # Progress
///
/// This queue is *not* lock-free in the strict sense. A producer that is preempted after
/// claiming a slot but before publishing it leaves a hole: consumers that reach that slot
/// wait (spinning, then yielding) until the producer runs again. The same holds for a
/// consumer preempted between claiming and freeing a slot, which stalls producers one lap
/// later. No operation ever blocks in the kernel, and `push`/`pop` on an uncontended queue
/// finish in a bounded number of steps; but under oversubscription (more runnable threads
/// than cores) a preempted thread can delay others by a scheduler time slice. If that matters
/// more than throughput, prefer [`LinkedQueue`](crate::LinkedQueue), whose stalled operations
/// are skipped rather than waited for.
///
/// # Memory
///
/// [`new`](Self::new) allocates all `capacity` slots at once (each a `T` and a `usize`
/// stamp, so `capacity * size_of::<(usize, T)>()` bytes or so, plus two cache-line-padded
/// counters); the queue never allocates or frees again until it is dropped. Values still in
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
// Invariants:
// - `head` and `tail` are positions (`lap | index`, see the module docs); the queue holds the
//   values at positions `head..tail`, so `tail - head` (in slots) is at most `cap`.
// - Except at capacity 1: then `head` and `tail` stay at `single::SENTINEL`, which makes
//   every fast path fail over to a slow path, and the slot's stamp is the state of `single`.
// - For capacities of 2 or more: a slot's value is initialised if and only if its stamp is
//   one past its position; only the thread whose compare-and-swap moved `tail` off position
//   `p` writes slot `p`, and only the one that moved `head` off `p` reads it. (At capacity 1
//   the state word's compare-and-swaps play that part; see `single`.)
pub struct ArrayQueue<T> {
    /// The position of the next value to pop. Padded so consumers do not share a line with
    /// producers.
    head: CachePadded<AtomicUsize>,
    /// The position the next value will be pushed to.
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
        // SAFETY: every position's index is below `cap == buffer.len()`: `advance` moves an
        // index that reaches `cap` on to index 0 of the next lap, and positions are only made
        // by `advance` from index 0, except `single::SENTINEL` (capacity 1), whose index is 0
        // (asserted at compile time in `single`).
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
        if cap >= 2 && cap.is_power_of_two() {
            return cap;
        }
        cap.checked_add(1)
            .and_then(usize::checked_next_power_of_two)
            .filter(|&one_lap| one_lap <= isize::MAX as usize)
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
                start.wrapping_add(i)
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
        // One straight-line attempt; contention, a full queue or a slow neighbour go to the
        // loop in `push_slow`.
        let tail = self.tail.load(Ordering::Relaxed);
        let slot = self.laps.slot(&self.buffer, tail);
        let next = self.laps.advance(tail);
        // Acquire: pairs with the Release store of the stamp in `pop`, so the consumer's read
        // of the previous value happens before our write.
        if slot.stamp.load(Ordering::Acquire) == tail
            // SeqCst: as in `push_slow`.
            && self
                .tail
                .compare_exchange_weak(tail, next, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
        {
            // SAFETY: our CAS moved `tail` off `tail` while the stamp said the slot was empty
            // for it, so the slot is ours to fill.
            unsafe { Self::fill(slot, tail, value) };
            return Ok(());
        }
        self.push_slow(value)
    }

    /// Writes `value` into `slot`, claimed for position `pos`, and publishes it.
    ///
    /// # Safety
    ///
    /// The caller moved `tail` off `pos` while the slot's stamp was `pos` (empty for `pos`), so
    /// no other thread reads or writes the slot's value until the stamp says otherwise.
    #[inline(always)]
    unsafe fn fill(slot: &Slot<T>, pos: usize, value: T) {
        // SAFETY: the caller owns the slot (above), and it holds no value.
        slot.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        // Release: publishes the value to the Acquire stamp load in `pop`.
        slot.stamp.store(pos.wrapping_add(1), Ordering::Release);
    }

    #[cold]
    fn push_slow(&self, value: T) -> Result<(), T> {
        if self.laps.cap == 1 {
            return single::push(&self.buffer[0], value);
        }
        let backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            let slot = self.laps.slot(&self.buffer, tail);
            // Acquire: pairs with the Release store of the stamp in `pop`, so the consumer's
            // read of the previous value happens before our write.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                let next = self.laps.advance(tail);
                // SeqCst: with the fence in `pop`'s empty check, a consumer that sees the slot
                // empty and then `tail` unmoved really saw an empty queue.
                match self.tail.compare_exchange_weak(
                    tail,
                    next,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: our CAS moved `tail` off `tail` while the stamp was `tail`.
                        unsafe { Self::fill(slot, tail, value) };
                        return Ok(());
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.laps.one_lap) == tail.wrapping_add(1) {
                // The slot still holds the value pushed one lap ago: the queue may be full.
                // SeqCst fence: orders our stamp load before the `head` load, pairing with the
                // SeqCst CAS on `head` in `pop`.
                fence(Ordering::SeqCst);
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.laps.one_lap) == tail {
                    return Err(value);
                }
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another producer claimed this position and is writing, or a consumer of the
                // previous lap has not freed the slot yet: wait for it.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
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
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            let slot = self.laps.slot(&self.buffer, tail);
            // Acquire: as in `push`; also makes the evicted value visible to us below.
            let stamp = slot.stamp.load(Ordering::Acquire);
            let next = self.laps.advance(tail);
            if stamp == tail {
                // SeqCst: as in `push`.
                match self.tail.compare_exchange_weak(
                    tail,
                    next,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: our CAS moved `tail` off `tail` while the stamp was `tail`.
                        unsafe { Self::fill(slot, tail, value) };
                        return None;
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.laps.one_lap) == tail.wrapping_add(1) {
                // Full if `head` is exactly one lap behind `tail`. Then we pop the oldest
                // (at `oldest`, in this very slot) by moving `head`, exactly as a consumer
                // would, and reuse the slot for our value without ever marking it empty.
                let oldest = tail.wrapping_sub(self.laps.one_lap);
                // SeqCst: a consumer's CAS on `head` and ours are ordered; the winner owns
                // the oldest value.
                if self
                    .head
                    .compare_exchange_weak(
                        oldest,
                        self.laps.advance(oldest),
                        Ordering::SeqCst,
                        Ordering::Relaxed,
                    )
                    .is_ok()
                {
                    // No producer can move `tail` off `tail` now: they need the stamp to equal
                    // `tail`, and only we will change it. So a plain store claims the position.
                    // SeqCst: keeps `tail` in the single order that `pop`'s empty check reads.
                    self.tail.store(next, Ordering::SeqCst);
                    // SAFETY: moving `head` off `oldest` gave us the value there (stamp was
                    // `oldest + 1`, so it is initialised), and moving `tail` gave us the slot.
                    let old = slot.value.with_mut(|p| unsafe {
                        core::mem::replace(&mut *p, MaybeUninit::new(value)).assume_init()
                    });
                    // Release: publishes our value to the consumer of position `tail`.
                    slot.stamp.store(tail.wrapping_add(1), Ordering::Release);
                    return Some(old);
                }
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
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
        // One straight-line attempt, as in `push`.
        let head = self.head.load(Ordering::Relaxed);
        let slot = self.laps.slot(&self.buffer, head);
        let next = self.laps.advance(head);
        // Acquire: pairs with the Release stamp store in `push`, making the value visible.
        if slot.stamp.load(Ordering::Acquire) == head.wrapping_add(1)
            // SeqCst: as in `pop_slow`.
            && self
                .head
                .compare_exchange_weak(head, next, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
        {
            // SAFETY: our CAS moved `head` off `head` while the stamp said the slot held the
            // value pushed at `head`.
            return Some(unsafe { Self::empty(slot, head, self.laps.one_lap) });
        }
        self.pop_slow()
    }

    /// Takes the value out of `slot`, claimed for position `pos`, and frees the slot for the
    /// next lap (`one_lap` is `self.laps.one_lap`: passed in, so that a batch's loop keeps it
    /// in a register across its stores).
    ///
    /// # Safety
    ///
    /// The caller moved `head` off `pos` while the slot's stamp was `pos + 1` (full for
    /// `pos`), so the value is initialised and no other thread touches it.
    #[inline(always)]
    unsafe fn empty(slot: &Slot<T>, pos: usize, one_lap: usize) -> T {
        // SAFETY: the caller owns the slot's initialised value (above).
        let value = slot.value.with(|p| unsafe { p.read().assume_init() });
        // Release: our read happens before the next lap's producer writes.
        slot.stamp
            .store(pos.wrapping_add(one_lap), Ordering::Release);
        value
    }

    #[cold]
    fn pop_slow(&self) -> Option<T> {
        if self.laps.cap == 1 {
            return single::pop(&self.buffer[0]);
        }
        let backoff = Backoff::new();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let slot = self.laps.slot(&self.buffer, head);
            // Acquire: pairs with the Release stamp store in `push`, making the value visible.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == head.wrapping_add(1) {
                let next = self.laps.advance(head);
                // SeqCst: pairs with the fence in `push`'s full check.
                match self.head.compare_exchange_weak(
                    head,
                    next,
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: our CAS moved `head` off `head` while the stamp was
                        // `head + 1`.
                        return Some(unsafe { Self::empty(slot, head, self.laps.one_lap) });
                    }
                    Err(current) => {
                        head = current;
                        backoff.spin();
                    }
                }
            } else if stamp == head {
                // The slot awaits its producer: the queue is empty unless a producer has
                // claimed this position and not yet written it.
                // SeqCst fence: orders the stamp load before the `tail` load, pairing with
                // the SeqCst CAS on `tail` in `push`.
                fence(Ordering::SeqCst);
                let tail = self.tail.load(Ordering::Relaxed);
                if tail == head {
                    return None;
                }
                backoff.spin();
                head = self.head.load(Ordering::Relaxed);
            } else {
                // Another consumer took this position and has not freed the slot yet.
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
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

    /// The number of values in the queue.
    ///
    /// The answer is exact for some instant during the call; under concurrent use it may be
    /// stale by the time the caller reads it.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::ArrayQueue::new(3);
    /// q.push(1).unwrap();
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        if self.laps.cap == 1 {
            return single::len(&self.buffer[0]);
        }
        loop {
            // SeqCst: the three loads read one consistent snapshot of the global order.
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) == tail {
                return self.distance(head, tail);
            }
        }
    }

    /// The number of slots from `head` to `tail`.
    fn distance(&self, head: usize, tail: usize) -> usize {
        let (hix, tix) = (head & self.laps.mask, tail & self.laps.mask);
        if hix < tix {
            tix - hix
        } else if hix > tix {
            self.laps.cap - hix + tix
        } else if head == tail {
            0
        } else {
            self.laps.cap
        }
    }

    /// Whether the queue holds no value (as racy as [`len`](Self::len)).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(wharf::ArrayQueue::<u8>::new(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        if self.laps.cap == 1 {
            return single::len(&self.buffer[0]) == 0;
        }
        // SeqCst: a snapshot in the same order as `len`.
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        head == tail
    }

    /// Whether the queue holds `capacity()` values (as racy as [`len`](Self::len)).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::ArrayQueue::new(1);
    /// q.push(()).unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        if self.laps.cap == 1 {
            return single::len(&self.buffer[0]) == 1;
        }
        // SeqCst: a snapshot in the same order as `len`.
        let tail = self.tail.load(Ordering::SeqCst);
        let head = self.head.load(Ordering::SeqCst);
        head.wrapping_add(self.laps.one_lap) == tail
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
    /// Rings of two or more slots: a push claims its position with the `SeqCst`
    /// compare-and-swap of `tail`, and a pop answers "empty" only from a load of `tail` after
    /// a `SeqCst` fence that finds `tail == head` (having seen a claim, it waits for the
    /// value); mirrored for `head` and "full". Capacity 1 does not qualify: its value becomes
    /// available at a plain store.
    fn __seqcst_handoff(&self) -> bool {
        self.laps.cap != 1
    }
}
