//! An unbounded multi-producer multi-consumer queue: the internals. What a user needs (the
//! algorithm in brief, progress, memory) is on [`LinkedQueue`]'s own docs.
//!
//! # The list and the blocks
//!
//! The list of nodes is the Michael–Scott queue (M. Michael and M. Scott, "Simple, Fast, and
//! Practical Non-Blocking and Blocking Concurrent Queue Algorithms", PODC 1996): `head` and
//! `tail` pointers, a new node linked by a compare-and-swap on the last node's `next`, and a
//! lagging `tail` helped forward by whoever sees it lag.
//!
//! Each node carries a block of `BLOCK` slots, filled as in the FAA-array queue of
//! Ramalhete and Correia ("FAAArrayQueue", 2016) and the block queues of LCRQ (Morrison and
//! Afek, PPoPP 2013): a producer takes a slot index by advancing the node's `enq` counter,
//! writes its value, and publishes it with a compare-and-swap of the slot's state from `EMPTY`
//! to `WRITTEN`. A consumer takes an index by advancing `deq`; if the slot is `WRITTEN` it
//! takes the value, and if it is still `EMPTY` it marks it `TAKEN` so that
//! the late producer fails its compare-and-swap and tries again in a later slot. A node whose
//! slots are all claimed is unlinked by moving `head` (`advance_head`), and handed to
//! crossbeam-epoch (`defer_destroy`).
//!
//! The papers advance the counters with fetch-and-add; wharf uses a compare-and-swap with
//! back-off, which is faster where it matters here (see `claim`).
//!
//! # Exclusive access
//!
//! The `&mut self` paths (`push_mut`, `pop_mut`, the drop and the owning iterator) are in
//! `exclusive.rs`, with the settled state they rely on and why they may free nodes at once.

use core::fmt;
use core::mem::MaybeUninit;
use core::panic::{RefUnwindSafe, UnwindSafe};
use core::ptr::addr_of_mut;
use std::alloc::{self, Layout};

use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned, Shared};
use crossbeam_utils::CachePadded;

use crate::loom::{AtomicMut, AtomicU8, AtomicUsize, Backoff, Ordering, UnsafeCell};
use crate::Queue;

mod batch;
mod exclusive;

pub use exclusive::IntoIter;

/// Slots per node. Small under loom so that models cross node boundaries in a few steps.
///
/// 128 (2 KiB of slots for a `u64`): a node is allocated, linked, retired and freed once per
/// `BLOCK` values, which at 32 slots cost several nanoseconds a value; 4P1C throughput rose
/// about 1.3x from 32 to 256 slots, and 128 keeps most of that for a quarter of the memory
/// an idle queue holds.
#[cfg(not(loom))]
const BLOCK: usize = 128;
#[cfg(loom)]
const BLOCK: usize = 2;

/// The slot has no value yet; its producer may still write it.
const EMPTY: u8 = 0;
/// The slot's producer has published its value.
const WRITTEN: u8 = 1;
/// A consumer claimed the slot before its producer published: the producer must go elsewhere.
const TAKEN: u8 = 2;

/// Claims the next index of `counter` (a node's `enq`), or returns an index of `BLOCK` or more
/// once the block is full; the counter never runs past `BLOCK`.
///
/// A compare-and-swap with back-off, not a fetch-and-add: on two cores, a fetch-and-add that
/// always succeeds makes the counter's line (and the slots it hands out, four to a line)
/// change cores on every claim, while a thread that loses a compare-and-swap steps back for a
/// moment and lets the winner claim a run of slots with the line in its own cache. Measured
/// (two threads, one pushing or popping a million values each): pops 31 -> 70 Mmsg/s, pushes
/// 30 -> 40 Mmsg/s.
#[inline]
fn claim(counter: &AtomicUsize) -> usize {
    let backoff = Backoff::new();
    // Relaxed: only a guess; the compare-and-swap below is what claims.
    let mut index = counter.load(Ordering::Relaxed);
    while index < BLOCK {
        // SeqCst: the claim is in the single order with the SeqCst loads of `enq` in `pop`,
        // so a consumer that starts after this push returned sees it. Relaxed on failure: we
        // only retry with the index seen; a lost claim synchronises with nothing.
        match counter.compare_exchange_weak(index, index + 1, Ordering::SeqCst, Ordering::Relaxed) {
            Ok(_) => return index,
            Err(now) => {
                index = now;
                // Not under loom: a lost compare-and-swap means another thread progressed, so
                // the retry needs no yield for the model to terminate, and a yield here would
                // only multiply the interleavings it explores.
                if !cfg!(loom) {
                    backoff.spin();
                }
            }
        }
    }
    index
}

/// One cell of a node's block.
struct Slot<T> {
    /// `EMPTY`, `WRITTEN` or `TAKEN`; moves only from `EMPTY` to one of the other two, except
    /// that a consumer finding `WRITTEN` leaves it as it is (its claim on `deq` is enough).
    state: AtomicU8,
    /// Initialised from the moment the producer's CAS to `WRITTEN` succeeds until the
    /// consumer that claimed the slot reads it.
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A node of the list: a block of slots and a link to the next node.
///
/// Invariants:
/// - Index `i` of `enq` belongs to one producer and index `i` of `deq` to one consumer (each
///   taken by the one compare-and-swap that moved the counter from `i` to `i + 1`); the
///   counters stop at `BLOCK`.
/// - A slot holds a live value exactly when its state is `WRITTEN` and its index is at or
///   beyond `deq` (no consumer has claimed it yet).
/// - `id` is one more than the previous node's, so `id * BLOCK` counts the slots before it.
///
/// `enq`, `deq` and the slots sit 128 bytes apart (a pair of cache lines, the unit adjacent-line
/// prefetchers move), so producers and consumers do not share a line for their counters. The
/// gaps are plain padding, not `CachePadded`: a 128-byte-aligned node would go through the
/// allocator's slow aligned path (`posix_memalign`), which cost a quarter of a push.
/// `repr(C)` keeps the fields in this order, so the gaps fall where they are meant to.
#[repr(C)]
struct Node<T> {
    /// The next index a producer will claim; `BLOCK` once the block is full.
    enq: AtomicUsize,
    _gap_after_enq: Gap,
    /// The next index a consumer will claim; `BLOCK` once the block is consumed.
    deq: AtomicUsize,
    _gap_after_deq: Gap,
    /// The following node, or null for the last node.
    next: Atomic<Node<T>>,
    /// The node's position in the list since the queue was made.
    id: usize,
    /// The block.
    slots: [Slot<T>; BLOCK],
}

/// Padding that keeps two fields of a node 128 bytes apart. Never read.
#[derive(Default)]
struct Gap(#[allow(dead_code)] [u64; 15]);

impl<T> Node<T> {
    /// A fresh, empty node, built in place on the heap: `BLOCK` slots of a large `T` would not
    /// fit on a thread's stack (128 slots of 16 KiB are 2 MiB, a spawned thread's default).
    fn boxed(id: usize) -> Owned<Self> {
        let layout = Layout::new::<Self>();
        // SAFETY: a node is never zero-sized (it holds its counters).
        let raw = unsafe { alloc::alloc(layout) }.cast::<Self>();
        if raw.is_null() {
            alloc::handle_alloc_error(layout);
        }
        // SAFETY: `raw` is a fresh allocation with the layout of a `Node<T>`, so each field is
        // valid for one write; every field is written exactly once below, after which the node
        // is initialised, and ownership passes to the `Box` (same allocator and layout).
        unsafe {
            addr_of_mut!((*raw).enq).write(AtomicUsize::new(0));
            addr_of_mut!((*raw)._gap_after_enq).write(Gap::default());
            addr_of_mut!((*raw).deq).write(AtomicUsize::new(0));
            addr_of_mut!((*raw)._gap_after_deq).write(Gap::default());
            addr_of_mut!((*raw).next).write(Atomic::null());
            addr_of_mut!((*raw).id).write(id);
            let slots = addr_of_mut!((*raw).slots).cast::<Slot<T>>();
            for i in 0..BLOCK {
                slots.add(i).write(Slot {
                    state: AtomicU8::new(EMPTY),
                    value: UnsafeCell::new(MaybeUninit::uninit()),
                });
            }
            Owned::from(Box::from_raw(raw))
        }
    }

    /// A fresh node whose slot 0 holds `value` (published, and claimed through `enq`): the node
    /// a producer links when the last one is full.
    #[inline]
    fn boxed_with(id: usize, value: T) -> Owned<Self> {
        Self::boxed_filled(id, core::iter::once(value))
    }

    /// A fresh node whose first slots hold the first `BLOCK` values of `values` (published,
    /// and claimed through `enq`); the rest of `values` is not touched.
    fn boxed_filled(id: usize, values: impl Iterator<Item = T>) -> Owned<Self> {
        let mut fresh = Self::boxed(id);
        let mut filled = 0;
        for (slot, value) in fresh.slots.iter_mut().zip(values) {
            // SAFETY: the node is not shared yet, so we own every slot; a fresh slot holds no
            // value.
            slot.value
                .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
            slot.state.write_mut(WRITTEN);
            filled += 1;
        }
        fresh.enq.write_mut(filled);
        fresh
    }

    /// Moves the value out of slot `i`, leaving the slot without one.
    ///
    /// # Safety
    ///
    /// The slot holds a value (it was written) that nobody else will read: the caller owns
    /// it, as the producer of a node that was never shared does.
    #[inline]
    unsafe fn take_back(&self, i: usize) -> T {
        // SAFETY: the caller's contract.
        self.slots[i]
            .value
            .with(|p| unsafe { p.read().assume_init() })
    }
}

/// An unbounded multi-producer multi-consumer queue.
///
/// Its methods and their meaning match `crossbeam_queue::SegQueue`, so switching is a change
/// of import (one difference: `new` is not a `const fn`, because it allocates the first node).
/// Through `&mut self` ([`push_mut`](Self::push_mut), [`pop_mut`](Self::pop_mut)) it skips
/// every atomic read-modify-write. It is [`UnwindSafe`] and [`RefUnwindSafe`] whatever `T` is.
///
/// # Algorithm
///
/// A Michael–Scott linked list (Michael and Scott, PODC 1996) whose nodes each carry a block
/// of 128 slots, filled as in Ramalhete and Correia's FAA-array queue: a push claims the next
/// slot of the last node by advancing a counter, writes its value and publishes it with a
/// compare-and-swap of the slot's state; when the node is full, it links a new node holding
/// its value. A pop claims the next slot of the first node the same way and takes the value.
///
/// A pop that claims a slot whose push has not published yet does not wait for it: it marks
/// the slot taken, and that push tries again in a later slot. A pop that has used up the
/// first node unlinks it and moves on to the next.
///
/// # Progress
///
/// Lock-free: a thread preempted at any point delays nobody, because a consumer skips a slot
/// whose producer has not finished instead of waiting for it. (A producer whose slot is
/// skipped retries; under a pathological schedule it could retry many times, so the queue is
/// lock-free, not wait-free.) A push allocates a node once every 128 values.
///
/// # Memory
///
/// Memory is allocated one node of 128 slots at a time and given back as the queue drains:
/// each node a `pop` unlinks is handed to crossbeam-epoch, which frees it once every thread
/// that was inside any epoch-protected structure at the time has left it (so, in a quiet
/// program, soon; a thread that stays pinned delays it). [`pop_mut`](Self::pop_mut) frees a
/// drained node at once. A drained queue keeps one node: 128 slots, each a `T` and a state
/// byte (about 2 KiB for a `u64`, 128 times the size of `T` for a large one; box large values
/// to keep an idle queue small). Values still in the queue are dropped with it, each exactly
/// once.
///
/// # Examples
///
/// ```
/// use wharf::LinkedQueue;
///
/// let q = LinkedQueue::new();
/// q.push("a");
/// q.push("b");
/// assert_eq!(q.pop(), Some("a"));
/// assert_eq!(q.len(), 1);
/// ```
//
// Invariants:
// - `head` and `tail` are never null; `tail` is `head` or a node after it, at most one node
//   behind the last node.
// - A node is retired (handed to the epoch collector) only after `head` and `tail` have both
//   moved past it, so a thread that reads it must have been pinned before that.
pub struct LinkedQueue<T> {
    /// The node consumers take from.
    head: CachePadded<Atomic<Node<T>>>,
    /// The node producers append to (or the one before it, briefly).
    tail: CachePadded<Atomic<Node<T>>>,
}

// SAFETY: values move between threads through the queue, so `T: Send` is needed and enough;
// no `&T` is ever shared between threads.
unsafe impl<T: Send> Send for LinkedQueue<T> {}
// SAFETY: as above; each slot's value is reached by one producer and one consumer, ordered by
// the slot's state (see the `Node` invariants).
unsafe impl<T: Send> Sync for LinkedQueue<T> {}

// Unwind safety, whatever `T` is: as for `ArrayQueue` (values are only moved in and out, and
// the drop keeps going past a panicking destructor). A node that cannot be allocated aborts
// the process (`handle_alloc_error`) before anything is linked.
impl<T> UnwindSafe for LinkedQueue<T> {}
impl<T> RefUnwindSafe for LinkedQueue<T> {}

impl<T> LinkedQueue<T> {
    /// Creates an empty queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::LinkedQueue::<i32>::new();
    /// assert!(q.is_empty());
    /// ```
    pub fn new() -> Self {
        let first = Atomic::from(Node::boxed(0));
        Self {
            head: CachePadded::new(first.clone()),
            tail: CachePadded::new(first),
        }
    }

    /// Test hook: slots per node, so tests can cross node boundaries on purpose.
    #[doc(hidden)]
    pub const __SLOTS_PER_NODE: usize = BLOCK;

    /// Pushes `value` to the back of the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::LinkedQueue::new();
    /// q.push(7);
    /// assert_eq!(q.pop(), Some(7));
    /// ```
    #[inline]
    pub fn push(&self, value: T) {
        let guard = &epoch::pin();
        // One attempt in line, so that the fast path stays small enough to inline into its
        // callers (the channels); a lost race, a full node or a slot a consumer gave up on go
        // to `push_slow`.
        // Acquire: pairs with the Release CAS that installed this node, so its fields are
        // initialised for us.
        let tail = self.tail.load(Ordering::Acquire, guard);
        // SAFETY: `tail` is never null, and we are pinned, so a node we read from `tail` is
        // not freed until we unpin (it is retired only after `tail` leaves it).
        let node = unsafe { tail.deref() };
        // Relaxed: only a guess; the compare-and-swap claims.
        let index = node.enq.load(Ordering::Relaxed);
        let value = match node.slots.get(index) {
            // SeqCst, and Relaxed on failure: as in `claim`.
            Some(slot)
                if node
                    .enq
                    .compare_exchange_weak(index, index + 1, Ordering::SeqCst, Ordering::Relaxed)
                    .is_ok() =>
            {
                match Self::publish(slot, value) {
                    Ok(()) => return,
                    Err(back) => back,
                }
            }
            _ => value,
        };
        self.push_slow(value, guard);
    }

    #[cold]
    fn push_slow(&self, mut value: T, guard: &Guard) {
        loop {
            // Acquire, SAFETY: as in `push`.
            let tail = self.tail.load(Ordering::Acquire, guard);
            // SAFETY: as in `push`.
            let node = unsafe { tail.deref() };
            let index = claim(&node.enq);
            if let Some(slot) = node.slots.get(index) {
                match Self::publish(slot, value) {
                    Ok(()) => return,
                    Err(back) => value = back,
                }
                continue;
            }
            match self.append(tail, node, value, guard) {
                Ok(()) => return,
                Err(back) => value = back,
            }
        }
    }

    /// Writes `value` into `slot`, which this thread claimed, and publishes it; hands the value
    /// back if a consumer gave up on the slot first.
    #[inline(always)]
    fn publish(slot: &Slot<T>, value: T) -> Result<(), T> {
        // SAFETY: our claim on `enq` made this slot ours among producers, and consumers never
        // touch `value` until they see `WRITTEN`, which only we can set.
        slot.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        // Release: publishes the value to the Acquire load (or swap) in `pop`.
        // Relaxed on failure: the value never left us; nothing to synchronise with.
        match slot
            .state
            .compare_exchange(EMPTY, WRITTEN, Ordering::Release, Ordering::Relaxed)
        {
            Ok(_) => Ok(()),
            // SAFETY: the consumer marked the slot `TAKEN` without touching `value`, so the
            // value we wrote is still there and still ours.
            Err(_) => Err(slot.value.with(|p| unsafe { p.read().assume_init() })),
        }
    }

    /// The node behind `tail` is full: link a new node holding `value`, or help a lagging
    /// `tail` forward. Hands the value back when the caller should try again.
    #[cold]
    fn append(
        &self,
        tail: Shared<'_, Node<T>>,
        node: &Node<T>,
        value: T,
        guard: &Guard,
    ) -> Result<(), T> {
        if self.help_tail(tail, node, guard) {
            return Err(value);
        }
        self.link(tail, node, Node::boxed_with(node.id + 1, value), guard)
            // SAFETY: we wrote slot 0 of the lost node and nobody else has seen it.
            .map_err(|lost| unsafe { lost.take_back(0) })
    }

    /// If the full node `node` behind `tail` has a successor, helps `tail` onto it (a lagging
    /// `tail`) and says so; the caller then tries again from the new `tail`.
    #[inline]
    fn help_tail(&self, tail: Shared<'_, Node<T>>, node: &Node<T>, guard: &Guard) -> bool {
        // Acquire: pairs with the Release CAS that linked the next node.
        let next = node.next.load(Ordering::Acquire, guard);
        if next.is_null() {
            return false;
        }
        // Release: pairs with the Acquire loads of `tail`. Failure means another thread
        // moved it already.
        let _ = self
            .tail
            .compare_exchange(tail, next, Ordering::Release, Ordering::Relaxed, guard);
        true
    }

    /// Links `fresh` (holding the caller's values) after the full node `node` behind `tail`,
    /// and moves `tail` onto it; hands `fresh` back if another producer linked a node first.
    #[inline]
    fn link(
        &self,
        tail: Shared<'_, Node<T>>,
        node: &Node<T>,
        fresh: Owned<Node<T>>,
        guard: &Guard,
    ) -> Result<(), Owned<Node<T>>> {
        // Release: publishes the new node's contents to whoever loads `next` or `tail`.
        // SeqCst: the values in the node become available with this write, and a pop that
        // finds the old node used up answers "empty" from its load of `next`;
        // `__seqcst_handoff` promises that such writes are `SeqCst` (the same locked
        // instruction on x86). Relaxed on failure: we lost the race and take our node back;
        // nothing to order.
        match node.next.compare_exchange(
            Shared::null(),
            fresh,
            Ordering::SeqCst,
            Ordering::Relaxed,
            guard,
        ) {
            Ok(linked) => {
                // Release: as above. Failure means a helper moved `tail` to `linked` already.
                let _ = self.tail.compare_exchange(
                    tail,
                    linked,
                    Ordering::Release,
                    Ordering::Relaxed,
                    guard,
                );
                Ok(())
            }
            // The node was never shared and its slots are `MaybeUninit`, so dropping it after
            // the caller takes its values back frees memory only.
            Err(lost) => Err(lost.new),
        }
    }

    /// Pops the value at the front of the queue, or returns `None` if it is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::LinkedQueue::new();
    /// assert_eq!(q.pop(), None);
    /// q.push('z');
    /// assert_eq!(q.pop(), Some('z'));
    /// ```
    #[inline]
    pub fn pop(&self) -> Option<T> {
        let guard = &epoch::pin();
        // One attempt in line, as in `push`; an empty queue, a lost race, an unpublished slot
        // or the end of a node go to `pop_slow`.
        // Acquire, SAFETY: as in `pop_slow`.
        let head = self.head.load(Ordering::Acquire, guard);
        // SAFETY: as in `pop_slow`.
        let node = unsafe { head.deref() };
        // SeqCst: as in `pop_slow`.
        let index = node.deq.load(Ordering::SeqCst);
        if let Some(slot) = node.slots.get(index) {
            // Acquire: if `WRITTEN`, the value is visible. SeqCst, and Relaxed on failure: as in
            // `pop_slow`.
            if slot.state.load(Ordering::Acquire) == WRITTEN
                && node
                    .deq
                    .compare_exchange_weak(index, index + 1, Ordering::SeqCst, Ordering::Relaxed)
                    .is_ok()
            {
                // SAFETY: `WRITTEN` is final, so the value is initialised and visible; our
                // claim on `deq` makes us its only consumer.
                return Some(slot.value.with(|p| unsafe { p.read().assume_init() }));
            }
        }
        self.pop_slow(guard)
    }

    #[cold]
    fn pop_slow(&self, guard: &Guard) -> Option<T> {
        let backoff = Backoff::new();
        loop {
            // Acquire: pairs with the Release CAS that moved `head` (or built the node).
            let head = self.head.load(Ordering::Acquire, guard);
            // SAFETY: `head` is never null, and we are pinned: the node is retired only after
            // `head` moves past it, and not freed before we unpin.
            let node = unsafe { head.deref() };
            // SeqCst: see `claim`; this load and `enq`'s are in the one order all threads agree
            // on.
            let index = node.deq.load(Ordering::SeqCst);
            if let Some(slot) = node.slots.get(index) {
                // Acquire: if it says `WRITTEN`, the value is visible. Checking the slot first
                // spares the cross-core read of `enq` while the queue is busy.
                let state = slot.state.load(Ordering::Acquire);
                if state == EMPTY && index >= node.enq.load(Ordering::SeqCst) {
                    return None;
                }
                // Claim exactly `index`, so the state we just read is that of our slot. A
                // compare-and-swap with back-off rather than a fetch-and-add: see `claim`.
                // SeqCst: as the load of `deq` above. Relaxed on failure: we look again from the
                // top, as in `claim`.
                if node
                    .deq
                    .compare_exchange_weak(index, index + 1, Ordering::SeqCst, Ordering::Relaxed)
                    .is_err()
                {
                    // As in `claim`, also for loom.
                    if !cfg!(loom) {
                        backoff.spin();
                    }
                    continue;
                }
                if state == WRITTEN {
                    // SAFETY: `WRITTEN` is final, so the value is initialised and visible (the
                    // Acquire load above); our claim on `deq` makes us its only consumer.
                    return Some(slot.value.with(|p| unsafe { p.read().assume_init() }));
                }
                if let Some(value) = Self::take(slot) {
                    return Some(value);
                }
                continue;
            }
            // Every slot of this node is claimed: move on to the next node, if there is one.
            // Acquire: pairs with the Release CAS that linked it.
            let next = node.next.load(Ordering::Acquire, guard);
            if next.is_null() {
                return None;
            }
            self.advance_head(head, next, guard);
        }
    }

    /// Takes the value from `slot`, which this thread claimed through `deq`, or marks the slot
    /// `TAKEN` if its producer has not published yet.
    #[inline(always)]
    fn take(slot: &Slot<T>) -> Option<T> {
        // Acquire: pairs with the Release CAS in `publish`. A `WRITTEN` slot can change no
        // more, so no read-modify-write is needed on this path.
        let published = slot.state.load(Ordering::Acquire) == WRITTEN
            // Acquire: as above, if the producer publishes between our load and swap.
            || slot.state.swap(TAKEN, Ordering::Acquire) == WRITTEN;
        if published {
            // SAFETY: the slot is `WRITTEN`, so its value is initialised, and our claim on `deq`
            // makes us its only consumer.
            Some(slot.value.with(|p| unsafe { p.read().assume_init() }))
        } else {
            None
        }
    }

    /// Unlinks the fully claimed node `head` (whose successor is `next`) and retires it.
    #[cold]
    fn advance_head(&self, head: Shared<'_, Node<T>>, next: Shared<'_, Node<T>>, guard: &Guard) {
        // Michael–Scott: `tail` must leave a node before `head` does, or a producer could
        // read `tail` after the node is retired. `tail` never moves back, so one attempt is
        // enough: if it fails, `tail` has already moved on.
        // Acquire/Release: as for the other loads and CASes of `tail`.
        if self.tail.load(Ordering::Acquire, guard) == head {
            let _ =
                self.tail
                    .compare_exchange(head, next, Ordering::Release, Ordering::Relaxed, guard);
        }
        // Release: pairs with the Acquire load of `head` in `pop`.
        if self
            .head
            .compare_exchange(head, next, Ordering::Release, Ordering::Relaxed, guard)
            .is_ok()
        {
            // SAFETY: `head` and `tail` have both left the node, so no thread that pins from
            // now on can reach it; the collector frees it after every current pin ends. Its
            // slots hold no live value: all were claimed through `deq`.
            unsafe { guard.defer_destroy(head) };
        }
    }

    /// The number of values in the queue.
    ///
    /// The answer is exact when no other thread is using the queue; under concurrent use it is
    /// a snapshot that may be stale by the time the caller reads it.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::LinkedQueue::new();
    /// q.push(1);
    /// q.push(2);
    /// assert_eq!(q.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        let guard = &epoch::pin();
        loop {
            // SeqCst: these loads read one snapshot of the global order, re-checked below.
            let head = self.head.load(Ordering::SeqCst, guard);
            let tail = self.tail.load(Ordering::SeqCst, guard);
            // SAFETY: both are non-null and protected by our pin (see `pop`).
            let (first, mut last) = unsafe { (head.deref(), tail.deref()) };
            // `tail` may lag one node behind: count from the real last node.
            let next = last.next.load(Ordering::SeqCst, guard);
            // SAFETY: as above; a linked node is retired only after `tail` passes it.
            if let Some(n) = unsafe { next.as_ref() } {
                last = n;
            }
            let popped = first.id * BLOCK + first.deq.load(Ordering::SeqCst).min(BLOCK);
            let pushed = last.id * BLOCK + last.enq.load(Ordering::SeqCst).min(BLOCK);
            if self.head.load(Ordering::SeqCst, guard) == head {
                return pushed.saturating_sub(popped);
            }
        }
    }

    /// Whether the queue holds no value (as racy as [`len`](Self::len)).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::LinkedQueue::new();
    /// assert!(q.is_empty());
    /// q.push(());
    /// assert!(!q.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Default for LinkedQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for LinkedQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkedQueue")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T> Queue<T> for LinkedQueue<T> {
    #[inline]
    fn try_push(&self, value: T) -> Result<(), T> {
        self.push(value);
        Ok(())
    }
    #[inline]
    fn try_pop(&self) -> Option<T> {
        self.pop()
    }
    fn len(&self) -> usize {
        LinkedQueue::len(self)
    }
    fn is_empty(&self) -> bool {
        LinkedQueue::is_empty(self)
    }
    fn capacity(&self) -> Option<usize> {
        None
    }
    fn is_full(&self) -> bool {
        false
    }
    fn try_push_batch(&self, values: &mut Vec<T>) -> usize {
        let n = values.len();
        self.push_batch(values);
        n
    }
    fn try_pop_batch(&self, out: &mut Vec<T>, limit: usize) -> usize {
        self.pop_batch(out, limit)
    }
    /// A value becomes available through a `SeqCst` compare-and-swap: the claim of `enq`, or
    /// the link of a new node (whose slot 0 holds it). A pop answers "empty" only from a
    /// `SeqCst` load of `enq` at or below its index, or from a load of `next` that finds the
    /// used-up last node without a successor. A pop that sees a claim whose value is not
    /// written yet marks the slot `TAKEN`, which makes that push claim again (another such
    /// compare-and-swap) before it returns. It never reports full.
    fn __seqcst_handoff(&self) -> bool {
        true
    }
}
