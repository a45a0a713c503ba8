//! The trait every wharf queue implements, so that code can be generic over "a queue".

/// A concurrent FIFO queue that any number of threads may push to and pop from through a
/// shared reference.
///
/// [`ArrayQueue`](crate::ArrayQueue) and [`LinkedQueue`](crate::LinkedQueue) implement it;
/// the blocking layers of wharf are built on this trait alone.
///
/// # Examples
///
/// Code written once for any wharf queue:
///
/// ```
/// use wharf::{ArrayQueue, LinkedQueue, Queue};
///
/// /// Moves everything from `from` into `to`, returning what did not fit.
/// fn transfer<T, A: Queue<T>, B: Queue<T>>(from: &A, to: &B) -> Vec<T> {
///     let mut rejected = Vec::new();
///     while let Some(item) = from.try_pop() {
///         if let Err(item) = to.try_push(item) {
///             rejected.push(item);
///         }
///     }
///     rejected
/// }
///
/// let unbounded = LinkedQueue::new();
/// for i in 0..5 {
///     unbounded.push(i);
/// }
/// let bounded = ArrayQueue::new(3);
/// assert_eq!(transfer(&unbounded, &bounded), vec![3, 4]);
/// assert_eq!(Queue::capacity(&bounded), Some(3));
/// assert_eq!(Queue::capacity(&unbounded), None);
/// assert_eq!(bounded.try_pop(), Some(0));
/// ```
pub trait Queue<T> {
    /// Pushes `value` without waiting, or hands it back in `Err` if the queue is full.
    ///
    /// # Errors
    ///
    /// Returns `Err(value)` when a bounded queue is full. An unbounded queue never fails.
    fn try_push(&self, value: T) -> Result<(), T>;

    /// Pops the oldest value without waiting, or returns `None` if the queue is empty.
    fn try_pop(&self) -> Option<T>;

    /// The number of values in the queue.
    ///
    /// Under concurrent use the answer may be stale by the time the caller reads it.
    fn len(&self) -> usize;

    /// Whether the queue holds no value (as racy as [`len`](Queue::len)).
    fn is_empty(&self) -> bool;

    /// The most values the queue can hold, or `None` if it is unbounded.
    fn capacity(&self) -> Option<usize>;

    /// Pushes values from the front of `values`, in order, while there is room, removing
    /// them from `values`; returns how many went in. Never waits.
    ///
    /// The default pushes one at a time; [`ArrayQueue`](crate::ArrayQueue) and
    /// [`LinkedQueue`](crate::LinkedQueue) claim each run of slots with one compare-and-swap.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::{ArrayQueue, Queue};
    /// let q = ArrayQueue::new(2);
    /// let mut values = vec!['a', 'b', 'c'];
    /// assert_eq!(Queue::try_push_batch(&q, &mut values), 2);
    /// assert_eq!(values, ['c']);
    /// ```
    fn try_push_batch(&self, values: &mut Vec<T>) -> usize {
        let mut rest = core::mem::take(values).into_iter();
        let mut pushed = 0;
        for value in rest.by_ref() {
            if let Err(value) = self.try_push(value) {
                values.push(value);
                break;
            }
            pushed += 1;
        }
        values.extend(rest);
        pushed
    }

    /// Pops up to `limit` of the oldest values, in order, appending them to `out`; returns
    /// how many. Never waits.
    ///
    /// The default pops one at a time; [`ArrayQueue`](crate::ArrayQueue) and
    /// [`LinkedQueue`](crate::LinkedQueue) claim each run of slots with one compare-and-swap.
    ///
    /// # Examples
    ///
    /// ```
    /// use wharf::{LinkedQueue, Queue};
    /// let q = LinkedQueue::new();
    /// (0..4).for_each(|i| q.push(i));
    /// let mut out = Vec::new();
    /// assert_eq!(Queue::try_pop_batch(&q, &mut out, 3), 3);
    /// assert_eq!(out, [0, 1, 2]);
    /// ```
    fn try_pop_batch(&self, out: &mut Vec<T>, limit: usize) -> usize {
        let mut popped = 0;
        while popped < limit {
            match self.try_pop() {
                Some(value) => out.push(value),
                None => break,
            }
            popped += 1;
        }
        popped
    }

    /// Whether a push would fail now (as racy as [`len`](Queue::len)); always `false` for an
    /// unbounded queue.
    fn is_full(&self) -> bool {
        self.capacity().is_some_and(|cap| self.len() >= cap)
    }

    /// Not part of the public API: whether the channels may skip the fence of their wake-up
    /// check after a push or pop on this queue. The default, `false`, is always correct.
    ///
    /// `true` promises: a successful `try_push` (`try_pop`) makes its value (its room)
    /// available through a `SeqCst` read-modify-write; and a `try_pop` (`try_push`) answers
    /// "empty" ("full") only from loads that are `SeqCst` or follow a `SeqCst` fence, and
    /// never once it has seen such a write that it could use (it waits for the value
    /// instead). A batch answers "empty" ("full") only when it moved nothing: a partial run
    /// may stop at a slot whose release it has not seen yet, so a waiter tries again after
    /// one. Then, in the single total order of `SeqCst` operations, either the waiter's
    /// re-check (after its registration and `prepare_wait`'s fence) sees the write, or the
    /// notifier's `SeqCst` load of the waiter count (after the write) sees the registration:
    /// C++20 [atomics.order] p4, as `EventCount::notify_one_after` explains. A wrong `true`
    /// loses wake-ups; it cannot cause undefined behaviour.
    #[doc(hidden)]
    fn __seqcst_handoff(&self) -> bool {
        false
    }

    /// Not part of the public API: the hand-off state, if this is a rendezvous channel's
    /// queue (whose waiting sends and receives follow their own protocol; see
    /// `channel/zero.rs`). `None` for every other queue.
    #[doc(hidden)]
    #[inline(always)]
    fn __rendezvous(&self) -> Option<&crate::channel::Rendezvous<T>> {
        None
    }

    /// Not part of the public API: the clock, if this is a timer channel's queue (whose
    /// waiting receives sleep until the message is due; see `channel/timer.rs`). `None` for
    /// every other queue.
    #[doc(hidden)]
    #[inline(always)]
    fn __timer(&self) -> Option<&crate::channel::Timer<T>> {
        None
    }
}
