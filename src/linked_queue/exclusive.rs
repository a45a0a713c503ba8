//! `LinkedQueue` through `&mut self`: `push_mut`, `pop_mut`, and what is built on them (`Drop`
//! and `IntoIter`).
//!
//! `&mut self` means that no other thread is inside the queue, nor half-way through an
//! operation (it would still hold a borrow of the queue). So the list is settled:
//! - `tail` is the last node. (A producer that links a node moves `tail` onto it, or finds it
//!   moved already by a helper; `advance_head` moves `tail` only onto a linked node.)
//! - In every node, `deq <= enq <= BLOCK`, and the slots at `deq..enq` are `WRITTEN`: each was
//!   claimed by a producer that has returned, and a producer's publish fails only on a slot a
//!   consumer marked `TAKEN`, which that consumer claimed through `deq` first. The slots at
//!   `enq..` are `EMPTY` and hold no value; every node but the last has `enq == BLOCK`.
//!
//! The paths here keep that picture, reading and writing the counters and states as plain
//! integers (`AtomicMut`). crossbeam-epoch's `Atomic` has no `&mut` access, so `head`, `tail`
//! and `next` are loaded and stored `Relaxed` (plain moves on every target), never
//! compare-and-swapped. Whatever handed over the `&mut` (a join, a lock, the end of a scope)
//! orders these accesses with every operation of other threads, as it does for any `&mut`.
//!
//! A node drained here is freed at once, not through the epoch collector: see `pop_mut`.

use core::fmt;
use core::iter::FusedIterator;
use core::mem::MaybeUninit;

use crossbeam_epoch as epoch;

use super::{LinkedQueue, Node, BLOCK, EMPTY, WRITTEN};
use crate::loom::{AtomicMut, Ordering};

impl<T> LinkedQueue<T> {
    /// Pushes `value` to the back of the queue through an exclusive reference.
    ///
    /// The same as [`push`](Self::push), without atomic read-modify-writes or fences: `&mut
    /// self` rules out any other thread using the queue meanwhile. Values pushed this way and
    /// through `push` form one FIFO order, and any mix of the two methods works.
    ///
    /// # Examples
    ///
    /// Fill the queue before sharing it:
    ///
    /// ```
    /// let mut q = wharf::LinkedQueue::new();
    /// for i in 0..1000 {
    ///     q.push_mut(i);
    /// }
    /// let sum: i32 = std::thread::scope(|s| {
    ///     let workers: Vec<_> = (0..2)
    ///         .map(|_| s.spawn(|| std::iter::from_fn(|| q.pop()).sum::<i32>()))
    ///         .collect();
    ///     workers.into_iter().map(|w| w.join().unwrap()).sum()
    /// });
    /// assert_eq!(sum, 999 * 1000 / 2);
    /// ```
    pub fn push_mut(&mut self, value: T) {
        // SAFETY: `&mut self`: no other thread is inside the queue, so no node can be retired
        // or freed while we use it, and a guard that protects nothing is enough.
        let guard = unsafe { epoch::unprotected() };
        // Relaxed: `&mut self` orders everything; a Relaxed load or store is a plain move.
        let mut tail = self.tail.load(Ordering::Relaxed, guard);
        // SAFETY: `tail` is never null, and `&mut self` means no thread holds a reference to the
        // node or can make one until we return.
        let node = unsafe { tail.deref_mut() };
        debug_assert!(
            node.next.load(Ordering::Relaxed, guard).is_null(),
            "settled: `tail` is the last node"
        );
        let index = node.enq.read_mut();
        if let Some(slot) = node.slots.get_mut(index) {
            debug_assert_eq!(slot.state.read_mut(), EMPTY, "settled: unclaimed slot");
            // SAFETY: the slots at `enq..` hold no value (settled, module docs), and `&mut self`
            // excludes every other access.
            slot.value
                .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
            slot.state.write_mut(WRITTEN);
            node.enq.write_mut(index + 1);
            return;
        }
        let fresh = Node::boxed_with(node.id + 1, value).into_shared(guard);
        // Relaxed: as above.
        node.next.store(fresh, Ordering::Relaxed);
        self.tail.store(fresh, Ordering::Relaxed);
    }

    /// Pops the value at the front of the queue through an exclusive reference, or returns
    /// `None` if it is empty.
    ///
    /// The same as [`pop`](Self::pop), without atomic read-modify-writes or fences, as for
    /// [`push_mut`](Self::push_mut). A node it drains is freed before it returns, where `pop`
    /// leaves the node to the epoch collector.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut q = wharf::LinkedQueue::new();
    /// q.push(1);
    /// q.push_mut(2);
    /// assert_eq!(q.pop_mut(), Some(1));
    /// assert_eq!(q.pop(), Some(2));
    /// assert_eq!(q.pop_mut(), None);
    /// ```
    pub fn pop_mut(&mut self) -> Option<T> {
        // SAFETY: as in `push_mut`.
        let guard = unsafe { epoch::unprotected() };
        loop {
            // Relaxed: as in `push_mut`.
            let mut head = self.head.load(Ordering::Relaxed, guard);
            // SAFETY: `head` is never null; no reference to the node exists elsewhere, as in
            // `push_mut`.
            let node = unsafe { head.deref_mut() };
            let index = node.deq.read_mut();
            let enq = node.enq.read_mut();
            debug_assert!(index <= enq && enq <= BLOCK, "settled: deq <= enq <= BLOCK");
            if index < enq {
                node.deq.write_mut(index + 1);
                let slot = &mut node.slots[index];
                let state = slot.state.read_mut();
                debug_assert_eq!(state, WRITTEN, "settled: the slots at deq..enq are written");
                if state == WRITTEN {
                    // SAFETY: `WRITTEN` means the value is initialised, `&mut self` excludes
                    // every other access, and moving `deq` past the slot means it is read once.
                    return Some(slot.value.with(|p| unsafe { p.read().assume_init() }));
                }
                continue;
            }
            // Relaxed: as above.
            let next = node.next.load(Ordering::Relaxed, guard);
            if next.is_null() {
                return None;
            }
            debug_assert!(
                self.tail.load(Ordering::Relaxed, guard) != head,
                "settled: `tail` is the last node"
            );
            self.head.store(next, Ordering::Relaxed);
            // SAFETY: we own the node alone, and may free it at once:
            // - No thread holds a pointer to it: one loaded inside a `push` or `pop` is dead
            //   once that call returns, and its borrow of the queue ended before our `&mut`.
            // - The epoch collector holds no deferred free of it: a node is retired only after
            //   `head` leaves it (`advance_head`), and `head` left this one just now, here. A
            //   node retired earlier by a concurrent `pop` is a different, unlinked node.
            // - No live guard can reach it any more: `head` is past it, and `tail` (the last
            //   node) is after it.
            // - It owns no live value: every slot below `enq == BLOCK` was claimed through
            //   `deq`, and `Node` has no destructor of its own (its slots are `MaybeUninit`).
            drop(unsafe { head.into_owned() });
        }
    }
}

impl<T> Drop for LinkedQueue<T> {
    fn drop(&mut self) {
        /// Keeps dropping the remaining values, and frees the last node, even if a value's
        /// destructor panics.
        struct Rest<'a, T>(&'a mut LinkedQueue<T>);
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                while self.0.pop_mut().is_some() {}
                // SAFETY: exclusive access; after draining, `head` is the only node left.
                let guard = unsafe { epoch::unprotected() };
                let last = self.0.head.load(Ordering::Relaxed, guard);
                // SAFETY: the last node is owned by the queue alone and holds no live value;
                // it was never retired, as in `pop_mut`.
                drop(unsafe { last.into_owned() });
            }
        }
        let rest = Rest(self);
        while rest.0.pop_mut().is_some() {}
        drop(rest);
    }
}

/// An iterator that pops every value of a [`LinkedQueue`] it owns, oldest first.
///
/// # Examples
///
/// ```
/// let q = wharf::LinkedQueue::new();
/// q.push(1);
/// q.push(2);
/// assert_eq!(q.into_iter().collect::<Vec<_>>(), [1, 2]);
/// ```
pub struct IntoIter<T>(LinkedQueue<T>);

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.0.pop_mut()
    }
}

// Fused: the iterator owns the queue, so once it is empty nothing can push to it.
impl<T> FusedIterator for IntoIter<T> {}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IntoIter").field(&self.0).finish()
    }
}

impl<T> IntoIterator for LinkedQueue<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter(self)
    }
}
