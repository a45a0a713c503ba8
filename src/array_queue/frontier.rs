//! Where the head and the tail are now: the walks from the hints that `len`, `is_empty`,
//! `is_full` and the `&mut` paths use, and the hint that a thread a lap behind jumps to.
//!
//! The head (the first position no consumer has claimed) and the tail (the first no producer
//! has claimed) are not stored anywhere: `head` and `tail` are hints at or behind them (see
//! `ArrayQueue`'s invariants). A walk starts at the hint and moves past claimed positions,
//! exactly as an operation does, and stops where an operation would act or answer.

use super::{single, ArrayQueue, Pop, Push};
use crate::loom::{AtomicUsize, Ordering};

impl<T> ArrayQueue<T> {
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
            // The head found between two finds of one tail: the queue held exactly the
            // values in between when the head was found (positions never move back).
            let (tail, _) = self.tail_now();
            let (head, _) = self.head_now();
            if self.tail_now().0 == tail {
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
        // What a pop would answer now, without taking anything: a value being written
        // counts as there (its push has taken effect), as in `len`.
        self.head_now().1 == Pop::Empty
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
        // What a push would answer now, without pushing.
        self.tail_now().1 == Push::Full
    }

    /// The tail (the first position no producer has claimed; see the invariants) as of the
    /// last stamp loaded, and what a push there would do (`Claim`, `Full` or `Wait`).
    pub(super) fn tail_now(&self) -> (usize, Push) {
        // Acquire: as in `push`.
        let mut pos = self.tail.load(Ordering::Acquire);
        loop {
            // SeqCst: `len` and `is_full` answer in the single order of the claims.
            let seen = self
                .laps
                .slot(&self.buffer, pos)
                .stamp
                .load(Ordering::SeqCst);
            match self.laps.for_push(pos, seen) {
                Push::Skip(next) => pos = next,
                Push::Behind => pos = self.ahead_of(&self.tail, self.laps.advance(pos)),
                what => return (pos, what),
            }
        }
    }

    /// The head (the first position no consumer has claimed), as [`tail_now`](Self::tail_now)
    /// finds the tail, and what a pop there would do (`Claim`, `Empty` or `Wait`).
    pub(super) fn head_now(&self) -> (usize, Pop) {
        // Acquire: as in `push`.
        let mut pos = self.head.load(Ordering::Acquire);
        loop {
            // SeqCst: as in `tail_now`.
            let seen = self
                .laps
                .slot(&self.buffer, pos)
                .stamp
                .load(Ordering::SeqCst);
            match self.laps.for_pop(pos, seen) {
                Pop::Skip(next) => pos = next,
                Pop::Behind => pos = self.ahead_of(&self.head, self.laps.advance(pos)),
                what => return (pos, what),
            }
        }
    }

    /// `next`, or the hint `at` if that is further on: where a thread that found itself a lap
    /// or more behind looks next.
    #[inline(always)]
    pub(super) fn ahead_of(&self, at: &AtomicUsize, next: usize) -> usize {
        // Acquire: as in `push`.
        let hint = at.load(Ordering::Acquire);
        if (hint.wrapping_sub(next) as isize) > 0 {
            hint
        } else {
            next
        }
    }

    /// Test hook: moves the `head` and `tail` hints back by `n` positions each (at most the
    /// capacity), as claimers preempted before their hint stores would leave them, so that a
    /// test can check that every operation finds the real head and tail from a lagging hint.
    /// (Capacity 1 has no hints: nothing happens.)
    #[doc(hidden)]
    pub fn __lag_hints(&self, n: usize) {
        assert!(n <= self.laps.cap, "hints lag by at most a lap");
        if self.laps.cap == 1 {
            return;
        }
        for hint in [&self.head, &self.tail] {
            let mut pos = hint.load(Ordering::Relaxed);
            for _ in 0..n {
                // Back one position: from index 0 to the previous lap's last index.
                pos = if pos & self.laps.mask == 0 {
                    pos.wrapping_sub(self.laps.skip + 1)
                } else {
                    pos.wrapping_sub(1)
                };
            }
            // Relaxed: a test hook on a queue nobody else is using.
            hint.store(pos, Ordering::Relaxed);
        }
    }
}
