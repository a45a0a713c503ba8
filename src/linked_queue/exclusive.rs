//! `LinkedQueue` through `&mut self`: `push_mut`, `pop_mut`, and what is built on them (`Drop`
//! and `IntoIter`).
//!
//! `&mut self` means that no other thread is inside the queue, nor half-way through an
//! operation (it would still hold a borrow of the queue). So the queue is settled:
//! - Neither index is at a marker offset, and each end's `node` is the node of its index's
//!   lap; the tail's node is the last node.
//! - Every slot at the positions from `head.index` to `tail.index` holds a written value:
//!   its producer has returned, and a producer returns only once its value is in a slot no
//!   consumer gave up. The slots after `tail.index` in the last node are fresh (state 0).
//! - Every node before `head.node` has been freed: every finisher has returned, so its count
//!   reached `BLOCK`. The count of `head.node` is the number of its slots before
//!   `head.index`.
//!
//! The paths here keep that picture, reading and writing the indices and states as plain
//! integers (`AtomicMut`), and the node pointers with `Relaxed` loads and stores (plain moves
//! on every target). Whatever handed over the `&mut` (a join, a lock, the end of a scope)
//! orders these accesses with every operation of other threads, as it does for any `&mut`.

use core::fmt;
use core::iter::FusedIterator;
use core::mem::MaybeUninit;

use super::{offset_of, LinkedQueue, Node, BLOCK, WRITE};
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
        let tail = self.tail.index.read_mut();
        let offset = offset_of(tail);
        debug_assert!(offset < BLOCK, "settled: the tail is not at a marker");
        // Relaxed: `&mut self` orders everything; a Relaxed load or store is a plain move.
        let node = self.tail.node.load(Ordering::Relaxed);
        // The next node first when this is the last slot, so that an allocation failure
        // (which aborts, or unwinds under `-Zoom=panic`) leaves the queue as it was.
        let fresh = (offset + 1 == BLOCK).then(Node::alloc);
        // SAFETY: `tail.node` is the live last node, and `&mut self` means no thread holds a
        // reference to it or can make one until we return.
        let slot = unsafe { &mut (*node).slots[offset] };
        debug_assert_eq!(slot.state.read_mut(), 0, "settled: a fresh slot");
        // SAFETY: the slots after the tail hold no value (settled, module docs), and `&mut
        // self` excludes every other access.
        slot.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        slot.state.write_mut(WRITE);
        if let Some(next) = fresh {
            // Relaxed: as above.
            // SAFETY: as above.
            unsafe { (*node).next.store(next, Ordering::Relaxed) };
            self.tail.node.store(next, Ordering::Relaxed);
            self.tail.index.write_mut(tail + 2);
        } else {
            self.tail.index.write_mut(tail + 1);
        }
    }

    /// Pops the value at the front of the queue through an exclusive reference, or returns
    /// `None` if it is empty.
    ///
    /// The same as [`pop`](Self::pop), without atomic read-modify-writes or fences, as for
    /// [`push_mut`](Self::push_mut).
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
        let head = self.head.index.read_mut();
        if head == self.tail.index.read_mut() {
            return None;
        }
        let offset = offset_of(head);
        debug_assert!(offset < BLOCK, "settled: the head is not at a marker");
        // Relaxed: as in `push_mut`.
        let node = self.head.node.load(Ordering::Relaxed);
        // SAFETY: `head.node` is alive (settled), and `&mut self` excludes every other access.
        let slot = unsafe { &mut (*node).slots[offset] };
        let state = slot.state.read_mut();
        debug_assert_eq!(
            state, WRITE,
            "settled: the slots from the head on are written"
        );
        // SAFETY: the slot holds a written value (settled), read once: the head moves past it.
        let value = slot.value.with(|p| unsafe { p.read().assume_init() });
        if offset + 1 == BLOCK {
            // Relaxed: as in `push_mut`.
            // SAFETY: as above; the producer of this last slot linked the next node.
            let next = unsafe { (*node).next.load(Ordering::Relaxed) };
            self.head.node.store(next, Ordering::Relaxed);
            self.head.index.write_mut(head + 2);
            // SAFETY: we own the node alone and may free it at once: every other slot of it
            // has been finished with (settled), no thread holds a pointer to it (one loaded
            // inside a `push` or `pop` is dead once that call returns, and its borrow of the
            // queue ended before our `&mut`), and it holds no live value.
            unsafe { Node::free(node) };
        } else {
            // SAFETY: as above.
            let finished = unsafe { &mut (*node).finished };
            let count = finished.read_mut();
            finished.write_mut(count + 1);
            self.head.index.write_mut(head + 1);
        }
        Some(value)
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
                // Relaxed: as in `push_mut`.
                let last = self.0.head.node.load(Ordering::Relaxed);
                // SAFETY: drained, the head's node is the last node, owned by the queue alone
                // with no live value (its last slot was never claimed, so nothing frees it).
                unsafe { Node::free(last) };
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
