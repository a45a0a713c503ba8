//! `ArrayQueue` through `&mut self`: `push_mut`, `pop_mut`, and what is built on them (`Drop`
//! and `IntoIter`).
//!
//! `&mut self` means that no other thread is inside the queue, nor half-way through an
//! operation (it would still hold a borrow of the queue). So every stamp is settled: the slot of
//! each position `p` from the head to the tail is `FULL` for `p` (it holds the value pushed at
//! `p`), and every other slot is `EMPTY` for the next position that maps to it; no slot is
//! `WRITING` or `READING`. The hints `head` and `tail` may still lag behind the head and tail
//! (a claimer's store can land late), so the paths here find those first, as the shared ones
//! do. At capacity 1 the state word is `EMPTY` or `FULL`, never locked.
//!
//! The paths here write the stamps and the hints as plain integers (through `AtomicMut`: no
//! compare-and-swap, no fence) and leave exactly that picture behind (the hint of the side
//! that moved exact, the other's at or behind its end, as ever), so shared operations carry
//! on from it once the borrow ends. Whatever handed over the `&mut`
//! (a join, a lock, the end of a scope) orders these accesses with every earlier and later
//! operation of other threads, as it does for any `&mut`.

use core::fmt;
use core::iter::FusedIterator;
use core::mem::MaybeUninit;

use super::{single, stamp, ArrayQueue, Pop, Push, EMPTY, FULL};
use crate::loom::AtomicMut;

impl<T> ArrayQueue<T> {
    /// Pushes `value` through an exclusive reference, or hands it back if the queue is full.
    ///
    /// The same as [`push`](Self::push), without atomic read-modify-writes or fences: `&mut
    /// self` rules out any other thread using the queue meanwhile. Values pushed this way and
    /// through `push` form one FIFO order, and any mix of the two methods works.
    ///
    /// # Errors
    ///
    /// Returns `Err(value)` when the queue holds `capacity()` values.
    ///
    /// # Examples
    ///
    /// Fill the queue before sharing it, then pop from other threads:
    ///
    /// ```
    /// let mut q = wharf::ArrayQueue::new(2);
    /// assert_eq!(q.push_mut('a'), Ok(()));
    /// assert_eq!(q.push_mut('b'), Ok(()));
    /// assert_eq!(q.push_mut('c'), Err('c'));
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert_eq!(q.pop(), Some('a')));
    /// });
    /// assert_eq!(q.pop_mut(), Some('b'));
    /// ```
    pub fn push_mut(&mut self, value: T) -> Result<(), T> {
        if self.laps.cap == 1 {
            return single::push_mut(&mut self.buffer[0], value);
        }
        let (tail, what) = self.tail_now();
        debug_assert!(what != Push::Wait, "settled: nobody is reading");
        if what != Push::Claim {
            return Err(value);
        }
        let laps = self.laps;
        let slot = laps.slot_mut(&mut self.buffer, tail);
        // SAFETY: the slot is `EMPTY` for `tail` (`Claim`), so it holds no value; `&mut self`
        // excludes every other access.
        slot.value
            .with_mut(|p| unsafe { p.write(MaybeUninit::new(value)) });
        slot.stamp.write_mut(stamp(tail, FULL));
        self.tail.write_mut(laps.advance(tail));
        Ok(())
    }

    /// Pops the oldest value through an exclusive reference, or returns `None` if the queue is
    /// empty.
    ///
    /// The same as [`pop`](Self::pop), without atomic read-modify-writes or fences, as for
    /// [`push_mut`](Self::push_mut).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut q = wharf::ArrayQueue::new(3);
    /// q.push(1).unwrap();
    /// q.push_mut(2).unwrap();
    /// assert_eq!(q.pop_mut(), Some(1));
    /// assert_eq!(q.pop(), Some(2));
    /// assert_eq!(q.pop_mut(), None);
    /// ```
    pub fn pop_mut(&mut self) -> Option<T> {
        if self.laps.cap == 1 {
            return single::pop_mut(&mut self.buffer[0]);
        }
        let (head, what) = self.head_now();
        debug_assert!(what != Pop::Wait, "settled: nobody is writing");
        if what != Pop::Claim {
            return None;
        }
        let laps = self.laps;
        let slot = laps.slot_mut(&mut self.buffer, head);
        // SAFETY: the slot is `FULL` for `head` (`Claim`), so it holds the initialised value
        // pushed at `head`; `&mut self` excludes every other access, and the stamp and `head`
        // below move past it, so it is read once.
        let value = slot.value.with(|p| unsafe { p.read().assume_init() });
        slot.stamp
            .write_mut(stamp(head.wrapping_add(laps.one_lap), EMPTY));
        self.head.write_mut(laps.advance(head));
        Some(value)
    }
}

impl<T> Drop for ArrayQueue<T> {
    fn drop(&mut self) {
        /// Keeps dropping the remaining values if one of their destructors panics.
        struct Rest<'a, T>(&'a mut ArrayQueue<T>);
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                while self.0.pop_mut().is_some() {}
            }
        }
        let rest = Rest(self);
        while rest.0.pop_mut().is_some() {}
        core::mem::forget(rest);
    }
}

/// An iterator that pops every value of an [`ArrayQueue`] it owns, oldest first.
///
/// # Examples
///
/// ```
/// let q = wharf::ArrayQueue::new(3);
/// q.push(1).unwrap();
/// q.push(2).unwrap();
/// assert_eq!(q.into_iter().collect::<Vec<_>>(), [1, 2]);
/// ```
pub struct IntoIter<T>(ArrayQueue<T>);

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.0.pop_mut()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.0.len();
        (len, Some(len))
    }
}

impl<T> ExactSizeIterator for IntoIter<T> {}

// Fused: the iterator owns the queue, so once it is empty nothing can push to it.
impl<T> FusedIterator for IntoIter<T> {}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IntoIter").field(&self.0).finish()
    }
}

impl<T> IntoIterator for ArrayQueue<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter(self)
    }
}
