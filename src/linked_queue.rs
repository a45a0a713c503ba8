//! An unbounded multi-producer multi-consumer queue: the internals. What a user needs (the
//! algorithm in brief, progress, memory) is on [`LinkedQueue`]'s own docs.
//!
//! # Positions, laps and nodes
//!
//! The queue is a singly linked list of nodes (as in M. Michael and M. Scott, "Simple, Fast,
//! and Practical Non-Blocking and Blocking Concurrent Queue Algorithms", PODC 1996), each a
//! block of `BLOCK` slots, filled as in the block queues of Ramalhete and Correia
//! ("FAAArrayQueue", 2016) and LCRQ (Morrison and Afek, PPoPP 2013). Where those keep a
//! node's counters inside the node, wharf keeps one counter per end in the queue itself, as
//! crossbeam's `SegQueue` does: `tail.index` counts the positions producers have claimed and
//! `head.index` those consumers have claimed. Index `i` names slot `i % LAP` of node
//! number `i / LAP` (its "lap"); offset `BLOCK` of every lap is not a slot but a marker: the
//! thread that claimed the lap's last slot is installing the next node, and the others wait
//! for it. Next to each index sits the node of its lap (`node`).
//!
//! A thread claims position `i` by moving its end's index from `i` to `i + 1` (a
//! compare-and-swap, with back-off: see `LinkedQueue::claim_tail`), and only then reads
//! the node it loaded with the index. That order is what lets the queue free nodes without an
//! epoch or hazard pointers: a node is freed only once every one of its slots has been
//! finished with (below), and a thread touches a node only for a position it owns, or, as
//! the claimer of a lap's last slot, to link or follow `next`. A thread whose
//! compare-and-swap fails never dereferences what it loaded.
//!
//! Why the node loaded with index `i` is the lap's node when the claim of `i` succeeds: the
//! installer stores the new node before it stores the lap's first index (both `Release`,
//! read with `Acquire`), so the load sees that node or a later one; and a later one is
//! stored only after the index has passed `i`, which the claim shows it had not (every write
//! of an index within a lap is a read-modify-write, so a claim synchronises with the next).
//!
//! # Finishing with a slot, and freeing a node
//!
//! A slot's `state` holds `WRITE` (the producer published) and `TAKEN` (its consumer gave
//! up waiting for the producer). Each slot is finished with once: by its consumer after it
//! takes the value, or, when the consumer gave up first, by its producer after it takes its
//! value back (it then pushes it again at a later position). A finisher adds the slots it
//! finished to the node's `finished` count, one read-modify-write for a whole batch's run,
//! and the one whose addition brings the count to `BLOCK` frees the node: every slot has
//! been finished with, and every position of the node claimed, so nobody will touch it
//! again (a thread touches a node only for a position it owns, and the claimer of the last
//! slot follows `next` before it finishes).
//!
//! # Exclusive access
//!
//! The `&mut self` paths (`push_mut`, `pop_mut`, the drop and the owning iterator) are in
//! `exclusive.rs`, with the settled state they rely on.

use core::fmt;
use core::mem::MaybeUninit;
use core::panic::{RefUnwindSafe, UnwindSafe};
use core::ptr::{self, addr_of_mut};
use std::alloc::{self, Layout};

use crossbeam_utils::CachePadded;

use crate::loom::{AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Backoff, Ordering, UnsafeCell};
use crate::Queue;

mod batch;
mod exclusive;

pub use exclusive::IntoIter;

/// Slots per node. Small under loom so that models cross node boundaries in a few steps.
///
/// 127, so that a lap (the slots and the marker) is 128 indices and the index arithmetic is
/// shifts and masks. A node is allocated, linked and freed once per `BLOCK` values; 4P1C
/// throughput rose about 1.3x from 32 to 256 slots in the earlier design, and about 128
/// keeps most of that for a quarter of the memory an idle queue holds.
#[cfg(not(loom))]
const BLOCK: usize = 127;
#[cfg(loom)]
const BLOCK: usize = 2;

/// Indices per lap: `BLOCK` slots and the marker offset `BLOCK` (see the module docs).
const LAP: u64 = BLOCK as u64 + 1;

/// The slot offset (or `BLOCK`, the marker) of index `index`.
///
/// Indices are `u64` on every target: a queue claims one per value, and a 32-bit count
/// would run out within minutes at full speed (the crate needs 64-bit atomics already, for
/// the event counts).
#[inline(always)]
fn offset_of(index: u64) -> usize {
    (index % LAP) as usize
}

/// The producer has written the value.
const WRITE: u8 = 1;
/// The consumer gave up waiting for the producer: the producer takes its value back.
const TAKEN: u8 = 2;

/// How many times a consumer spins for a claimed slot's value before it gives the slot up
/// (`TAKEN`): long enough for a producer that is running to finish its write (tens of
/// nanoseconds), far shorter than a preempted one takes. None under loom: there a spin is a
/// yield, after which loom runs the producer first, so the give-up would never be explored;
/// without the spin, loom explores the give-up racing the producer's write.
#[cfg(not(loom))]
const PATIENCE: u32 = 64;
#[cfg(loom)]
const PATIENCE: u32 = 0;

/// How many values the positions before index `index` hold, the markers not counted.
#[inline]
fn count_before(index: u64) -> u64 {
    index / LAP * BLOCK as u64 + (index % LAP).min(BLOCK as u64)
}

/// One cell of a node's block.
struct Slot<T> {
    /// Bits `WRITE` and `TAKEN` (see the module docs); 0 when fresh.
    state: AtomicU8,
    /// Initialised from the producer's write until the consumer (or, after `TAKEN`, the
    /// producer) reads it.
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A node of the list: a block of slots, a link to the next node, and the count of slots
/// finished with.
///
/// `repr(C)` with a gap, so that the counters' line is not the first slots' line (a
/// producer writes those while consumers add to `finished`). The gap is plain padding, not
/// `CachePadded`: a 128-byte-aligned node would go through the allocator's slow aligned
/// path (`posix_memalign`), which cost a quarter of a push in an earlier design.
#[repr(C)]
struct Node<T> {
    /// How many slots have been finished with (see the module docs); the node is freed when
    /// it reaches `BLOCK`.
    finished: AtomicUsize,
    /// The following node: null until the producer of this node's last slot links it.
    next: AtomicPtr<Node<T>>,
    _gap: [u64; 14],
    /// The block.
    slots: [Slot<T>; BLOCK],
}

impl<T> Node<T> {
    /// A fresh, empty node, built in place on the heap (`BLOCK` slots of a large `T` would not
    /// fit on a thread's stack), owned by the caller.
    fn alloc() -> *mut Self {
        let layout = Layout::new::<Self>();
        // SAFETY: a node is never zero-sized (it holds its link and states).
        let raw = unsafe { alloc::alloc(layout) }.cast::<Self>();
        if raw.is_null() {
            alloc::handle_alloc_error(layout);
        }
        // SAFETY: `raw` is a fresh allocation with the layout of a `Node<T>`, so each field is
        // valid for one write; every field is written once below, after which the node is
        // initialised.
        unsafe {
            addr_of_mut!((*raw).finished).write(AtomicUsize::new(0));
            addr_of_mut!((*raw).next).write(AtomicPtr::new(ptr::null_mut()));
            addr_of_mut!((*raw)._gap).write([0; 14]);
            let slots = addr_of_mut!((*raw).slots).cast::<Slot<T>>();
            for i in 0..BLOCK {
                slots.add(i).write(Slot {
                    state: AtomicU8::new(0),
                    value: UnsafeCell::new(MaybeUninit::uninit()),
                });
            }
        }
        raw
    }

    /// Frees a node from [`alloc`](Self::alloc).
    ///
    /// # Safety
    ///
    /// Nobody uses the node any more, and it holds no live value (its slots are
    /// `MaybeUninit`, so none is dropped here).
    unsafe fn free(this: *mut Self) {
        // SAFETY: the caller's contract; `alloc` allocated it with `Node`'s layout, as a `Box`
        // does.
        drop(unsafe { Box::from_raw(this) });
    }

    /// The next node, once the producer of this node's last slot has linked it.
    fn wait_next(&self) -> *mut Self {
        let backoff = Backoff::new();
        loop {
            // Acquire: pairs with the Release store that linked it, so its fields are
            // initialised for us.
            let next = self.next.load(Ordering::Acquire);
            if !next.is_null() {
                return next;
            }
            backoff.snooze();
        }
    }

    /// Counts `n` more slots of the node as finished with, by the caller, who does not
    /// touch them (or the node) after this call; frees the node if that was the last of them.
    ///
    /// # Safety
    ///
    /// The caller is the finisher of `n` slots of the node not counted yet (see the module
    /// docs), and the node has not been freed.
    #[inline]
    unsafe fn finish(this: *mut Self, n: usize) {
        // SAFETY: the node is alive until every slot is counted, ours among them.
        let finished = unsafe { &(*this).finished };
        // AcqRel: Release so that our use of the slots happens before the free; Acquire so
        // that, freeing, every other finisher's use happens before it (every write of the
        // count is a read-modify-write, so each one reads from all those before).
        if finished.fetch_add(n, Ordering::AcqRel) + n == BLOCK {
            // SAFETY: every slot has been finished with, and every position claimed: nobody
            // will touch the node again, and only we saw the count reach `BLOCK`.
            unsafe { Self::free(this) };
        }
    }
}

/// The producers' end: the next position to claim, and the node of its lap.
struct Tail<T> {
    index: AtomicU64,
    node: AtomicPtr<Node<T>>,
}

/// The consumers' end: the next position to claim, the node of its lap, and a tail index a
/// consumer read not long ago (every position below it has been claimed by a producer), so
/// that a pop reads the producers' line only when it catches up with that.
struct Head<T> {
    index: AtomicU64,
    node: AtomicPtr<Node<T>>,
    /// At most `tail.index`, which never goes back: a consumer stores what it just read.
    seen_tail: AtomicU64,
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
/// A linked list of nodes (Michael and Scott, PODC 1996), each a block of 127 slots filled
/// as in Ramalhete and Correia's FAA-array queue. Each end of the queue has one counter of
/// positions: a push claims the next position by advancing the tail's counter, writes its
/// value into that slot and marks it written; a pop claims the next position a push has
/// claimed by advancing the head's counter, and takes the value. The thread that claims a
/// node's last slot links (or, at the head, moves on to) the next node; the node was
/// allocated before the claim.
///
/// A pop whose slot is claimed but not yet written waits a moment, then gives the slot up:
/// it marks the slot taken and moves on, and that push takes its value back and pushes it
/// again at a later position (still before it returns, so each producer's values keep their
/// order).
///
/// # Progress
///
/// Lock-free, with one exception: a thread preempted between claiming a node's last slot
/// and linking the next node (a few instructions, with the node already allocated) stalls
/// the threads at that end until it runs again. Anywhere else a preempted thread delays
/// nobody: a consumer gives up a slot whose producer has not finished. (A producer whose
/// slot is given up pushes again; under a pathological schedule it could do so many times,
/// so the queue is lock-free, not wait-free.) A push allocates a node once every 127 values.
///
/// # Memory
///
/// Memory is allocated one node of 127 slots at a time and given back as the queue drains:
/// a node is freed by the last thread to finish with one of its slots, as soon as it has
/// (no epoch, no deferred free). A drained queue keeps one node: 127 slots, each a `T` and
/// a state byte (about 2 KiB for a `u64`, 127 times the size of `T` for a large one; box
/// large values to keep an idle queue small). Values still in the queue are dropped with
/// it, each exactly once.
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
// - `head.index <= tail.index`, counting in positions (`count_before`); neither is ever at a
//   marker offset except while the claimer of a lap's last slot installs the next node.
// - `head.node` and `tail.node` are never null: the node of their index's lap (or, while
//   the index is at a marker, the lap's node or the next one).
// - Every node from `head.node` to `tail.node` is alive; a node before `head.node` is alive
//   exactly until its freeing pass ends.
pub struct LinkedQueue<T> {
    /// Where consumers claim.
    head: CachePadded<Head<T>>,
    /// Where producers claim.
    tail: CachePadded<Tail<T>>,
}

// SAFETY: values move between threads through the queue, so `T: Send` is needed and enough;
// no `&T` is ever shared between threads.
unsafe impl<T: Send> Send for LinkedQueue<T> {}
// SAFETY: as above; each slot's value is reached by its producer and its consumer, ordered by
// the slot's state (see the module docs).
unsafe impl<T: Send> Sync for LinkedQueue<T> {}

// Unwind safety, whatever `T` is: as for `ArrayQueue` (values are only moved in and out, and
// the drop keeps going past a panicking destructor). A node that cannot be allocated aborts
// the process (`handle_alloc_error`) before anything is claimed.
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
        let first = Node::alloc();
        Self {
            head: CachePadded::new(Head {
                index: AtomicU64::new(0),
                node: AtomicPtr::new(first),
                seen_tail: AtomicU64::new(0),
            }),
            tail: CachePadded::new(Tail {
                index: AtomicU64::new(0),
                node: AtomicPtr::new(first),
            }),
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
        // One attempt in line, small enough to inline into the channels; a lost race, a
        // node's last slot or a marker go to `push_slow`.
        // Acquire: pairs with the Release store that began this lap, so the node load below
        // sees the lap's node (module docs).
        let tail = self.tail.index.load(Ordering::Acquire);
        let offset = offset_of(tail);
        if offset + 1 < BLOCK {
            // Acquire: the node's initialisation is visible.
            let node = self.tail.node.load(Ordering::Acquire);
            // SeqCst: the claim, in the single order with the pops' SeqCst loads of the tail
            // index (`__seqcst_handoff`). Relaxed on failure: the slow path loads again.
            if self
                .tail
                .index
                .compare_exchange_weak(tail, tail + 1, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                // SAFETY: we claimed position `tail`, slot `offset` of `node` (module docs).
                match unsafe { Self::write(node, offset, value) } {
                    Ok(()) => return,
                    Err(back) => return self.push_slow(back),
                }
            }
        }
        self.push_slow(value);
    }

    #[cold]
    fn push_slow(&self, mut value: T) {
        // Allocated before claiming a node's last slot, so that the link follows the claim
        // at once; freed at the end if another producer claimed that slot.
        let mut fresh: *mut Node<T> = ptr::null_mut();
        loop {
            let (node, offset, _) = self.claim_tail(1, &mut fresh);
            // SAFETY: we claimed the position of slot `offset` of `node`.
            match unsafe { Self::write(node, offset, value) } {
                Ok(()) => break,
                Err(back) => value = back,
            }
        }
        if !fresh.is_null() {
            // SAFETY: never shared: no claim used it.
            unsafe { Node::free(fresh) };
        }
    }

    /// Claims a run of up to `want` (at least 1) positions at the tail, within one lap, and
    /// installs the next node if the run takes the lap's last slot: returns the lap's node,
    /// the run's first offset and its length. `fresh` holds the node allocated for that
    /// ahead of the claim, kept across calls; the caller frees it if it is left over.
    fn claim_tail(&self, want: usize, fresh: &mut *mut Node<T>) -> (*mut Node<T>, usize, usize) {
        let backoff = Backoff::new();
        // Acquire: as in `push`.
        let mut tail = self.tail.index.load(Ordering::Acquire);
        loop {
            let offset = offset_of(tail);
            if offset == BLOCK {
                // The claimer of the last slot is installing the next node.
                backoff.snooze();
                tail = self.tail.index.load(Ordering::Acquire);
                continue;
            }
            let k = want.min(BLOCK - offset);
            let last = offset + k == BLOCK;
            if last && fresh.is_null() {
                *fresh = Node::alloc();
            }
            // Acquire: as in `push`.
            let node = self.tail.node.load(Ordering::Acquire);
            // A compare-and-swap with back-off, not a fetch-and-add: on two cores, a
            // fetch-and-add that always succeeds makes the index's line change cores on every
            // claim, while a thread that loses a compare-and-swap steps back for a moment and
            // lets the winner claim a run with the line in its own cache (measured in the
            // earlier design: pops 31 -> 70 Mmsg/s, pushes 30 -> 40 Mmsg/s).
            // SeqCst: as in `push`. Acquire on failure: the index we retry from began its lap
            // with a Release store, as in `push`.
            match self.tail.index.compare_exchange_weak(
                tail,
                tail + k as u64,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if last {
                        let next = core::mem::replace(fresh, ptr::null_mut());
                        self.install_tail(node, next, tail + k as u64 + 1);
                    }
                    return (node, offset, k);
                }
                Err(now) => {
                    tail = now;
                    // Not under loom: a lost compare-and-swap means another thread
                    // progressed, so the retry needs no yield for the model to terminate.
                    if !cfg!(loom) {
                        backoff.spin();
                    }
                }
            }
        }
    }

    /// The producer that claimed the last slot of `node` (whose successor is `next`, fresh)
    /// begins the next lap at `index`.
    #[inline]
    fn install_tail(&self, node: *mut Node<T>, next: *mut Node<T>, index: u64) {
        // Release (both): the node's initialisation, then the node, to a producer that
        // loads the index with Acquire and then the node (module docs).
        self.tail.node.store(next, Ordering::Release);
        self.tail.index.store(index, Ordering::Release);
        // SAFETY: `node` is alive: our own slot in it is not finished yet.
        // Release: pairs with `wait_next`.
        unsafe { (*node).next.store(next, Ordering::Release) };
    }

    /// Writes `value` into slot `offset` of `node`, which the caller claimed, and marks it
    /// written; hands the value back (having finished with the slot) if its consumer gave
    /// it up first.
    ///
    /// # Safety
    ///
    /// The caller claimed the slot's position, and `node` is the node of its lap.
    #[inline(always)]
    unsafe fn write(node: *mut Node<T>, offset: usize, value: T) -> Result<(), T> {
        // SAFETY: the node is alive until the slot is finished with, which needs us.
        let slot = unsafe { (*node).slots.get_unchecked(offset) };
        // SAFETY: the claim made the slot's value ours to write; its consumer reads it only
        // after seeing `WRITE`, which only we set.
        slot.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        // Release: publishes the value to the consumer's Acquire load of `WRITE`. Acquire:
        // if the consumer gave up (`TAKEN`), we read the value back after its mark.
        // A read-modify-write, not a store: it must see a `TAKEN` set before it.
        if slot.state.fetch_or(WRITE, Ordering::AcqRel) & TAKEN == 0 {
            return Ok(());
        }
        // SAFETY: the consumer gave the slot up without touching `value`, so the value we
        // wrote is still there and ours.
        let back = slot.value.with(|p| unsafe { p.read().assume_init() });
        // SAFETY: after `TAKEN` we are the slot's finisher, and do not touch it again.
        unsafe { Node::finish(node, 1) };
        Err(back)
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
        // One attempt in line, while the head is below the tail last seen (no read of the
        // producers' line); the rest goes to `pop_slow`.
        // Acquire: as in `push`.
        let head = self.head.index.load(Ordering::Acquire);
        let offset = offset_of(head);
        // Relaxed: any value stored there is a tail index read earlier, and every position
        // below a tail index read at any time has been claimed by a producer.
        if offset + 1 < BLOCK && head < self.head.seen_tail.load(Ordering::Relaxed) {
            // Acquire: as in `push`.
            let node = self.head.node.load(Ordering::Acquire);
            // SeqCst: the single order of the queue's claims. Relaxed on failure: as in
            // `push`.
            if self
                .head
                .index
                .compare_exchange_weak(head, head + 1, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                // SAFETY: we claimed position `head` (a producer claimed it first), slot
                // `offset` of `node`, and it is not the node's last.
                if let Some(value) = unsafe { Self::read(node, offset) } {
                    return Some(value);
                }
            }
        }
        self.pop_slow()
    }

    #[cold]
    fn pop_slow(&self) -> Option<T> {
        loop {
            let (node, offset, _) = self.claim_head(1)?;
            // SAFETY: we claimed the position of slot `offset` of `node` (after a producer
            // did), and `claim_head` followed `next` if it is the node's last.
            if let Some(value) = unsafe { Self::read(node, offset) } {
                return Some(value);
            }
            // Given up: try the next position.
        }
    }

    /// Claims a run of up to `want` (at least 1) positions at the head that producers have
    /// claimed, within one lap, and moves the head to the next node if the run takes the
    /// lap's last slot: returns the lap's node, the run's first offset and its length, or
    /// `None` if the queue is empty.
    fn claim_head(&self, want: usize) -> Option<(*mut Node<T>, usize, usize)> {
        let backoff = Backoff::new();
        // Acquire: as in `push`.
        let mut head = self.head.index.load(Ordering::Acquire);
        loop {
            let offset = offset_of(head);
            if offset == BLOCK {
                // The claimer of the last slot is moving the head to the next node.
                backoff.snooze();
                head = self.head.index.load(Ordering::Acquire);
                continue;
            }
            // Relaxed: as in `pop`.
            let mut tail = self.head.seen_tail.load(Ordering::Relaxed);
            if tail <= head {
                tail = self.claimed_beyond(head)?;
                // Relaxed: a hint (see `Head::seen_tail`); a racing consumer may store an
                // older tail, which costs a later pop one more load.
                self.head.seen_tail.store(tail, Ordering::Relaxed);
            }
            // The claimed positions in this lap: up to the tail, or to the lap's end.
            let end = if tail / LAP == head / LAP {
                offset_of(tail).min(BLOCK)
            } else {
                BLOCK
            };
            let k = want.min(end - offset);
            // Acquire: as in `push`.
            let node = self.head.node.load(Ordering::Acquire);
            // SeqCst, Acquire on failure: as in `claim_tail`.
            match self.head.index.compare_exchange_weak(
                head,
                head + k as u64,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + k == BLOCK {
                        // SAFETY: `node` is alive: our slots in it are not finished yet.
                        let next = unsafe { (*node).wait_next() };
                        self.install_head(next, head + k as u64 + 1);
                    }
                    return Some((node, offset, k));
                }
                Err(now) => {
                    head = now;
                    // As in `claim_tail`, also for loom.
                    if !cfg!(loom) {
                        backoff.spin();
                    }
                }
            }
        }
    }

    /// A tail index above `head` (position `head` has been claimed by a producer), or `None`
    /// if the queue is empty.
    #[inline]
    fn claimed_beyond(&self, head: u64) -> Option<u64> {
        // SeqCst: the only load an "empty" answer comes from (`__seqcst_handoff`).
        let tail = self.tail.index.load(Ordering::SeqCst);
        (tail > head).then_some(tail)
    }

    /// The consumer that claimed a node's last slot moves the head onto `next`, beginning
    /// its lap at `index`.
    #[inline]
    fn install_head(&self, next: *mut Node<T>, index: u64) {
        // Release (both): as in `install_tail`.
        self.head.node.store(next, Ordering::Release);
        self.head.index.store(index, Ordering::Release);
    }

    /// Takes the value of slot `offset` of `node`, which the caller claimed, waiting a moment
    /// for its producer, and finishes with the slot; or gives the slot up (`None`) if the
    /// producer is slower than that (the producer then finishes with it). Either way the
    /// caller is done with the slot and the node.
    ///
    /// # Safety
    ///
    /// As for [`take`](Self::take).
    #[inline(always)]
    unsafe fn read(node: *mut Node<T>, offset: usize) -> Option<T> {
        // SAFETY: the caller's contract.
        let value = unsafe { Self::take(node, offset) };
        if value.is_some() {
            // SAFETY: we took the slot's value, so we are its finisher.
            unsafe { Node::finish(node, 1) };
        }
        value
    }

    /// [`read`](Self::read) without the finish: the caller counts the slot later (a batch
    /// counts its whole run at once), and may use the node until then.
    ///
    /// # Safety
    ///
    /// The caller claimed the slot's position as a consumer (after a producer did), `node`
    /// is the node of its lap, and, for the last slot, the caller has read `next` already.
    #[inline(always)]
    unsafe fn take(node: *mut Node<T>, offset: usize) -> Option<T> {
        // SAFETY: the node is alive until the slot is finished with, which needs us.
        let slot = unsafe { (*node).slots.get_unchecked(offset) };
        // Acquire: pairs with the producer's AcqRel `WRITE`, so its value is visible.
        let mut written = slot.state.load(Ordering::Acquire) & WRITE != 0;
        if !written {
            written = Self::wait_written(slot);
        }
        // SAFETY: `WRITE` means the value is initialised and visible; our claim makes us its
        // only consumer. (Given up, the producer takes it back.)
        written.then(|| slot.value.with(|p| unsafe { p.read().assume_init() }))
    }

    /// A claimed slot without its value yet: spins a little for it, then gives the slot up.
    /// Returns whether the value came (else the slot is marked `TAKEN`).
    #[cold]
    fn wait_written(slot: &Slot<T>) -> bool {
        for _ in 0..PATIENCE {
            crate::loom::spin_loop();
            // Acquire: as in `read`.
            if slot.state.load(Ordering::Acquire) & WRITE != 0 {
                return true;
            }
        }
        // Acquire: if the producer wrote in between, its value is visible; Release: our mark
        // comes before its read of the value back.
        slot.state.fetch_or(TAKEN, Ordering::AcqRel) & WRITE != 0
    }

    /// The number of values in the queue.
    ///
    /// The answer is exact when no other thread is using the queue; under concurrent use it is
    /// a snapshot that may be stale by the time the caller reads it. A value whose push has
    /// claimed its position but not finished counts.
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
        loop {
            // SeqCst: these loads read one snapshot of the global order, re-checked below.
            let tail = self.tail.index.load(Ordering::SeqCst);
            let head = self.head.index.load(Ordering::SeqCst);
            if self.tail.index.load(Ordering::SeqCst) == tail {
                // A count in memory fits a `usize`.
                return count_before(tail).saturating_sub(count_before(head)) as usize;
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
    /// A value becomes available through a `SeqCst` compare-and-swap: the claim of its
    /// position on the tail index. A pop answers "empty" only from a `SeqCst` load of the
    /// tail index at or below its head index. A pop that finds a claimed slot unwritten and
    /// gives it up makes that push claim again (another such compare-and-swap) before it
    /// returns. It never reports full.
    fn __seqcst_handoff(&self) -> bool {
        true
    }
}
