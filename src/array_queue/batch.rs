//! Batches: a run of positions claimed with one compare-and-swap.
//!
//! A consumer that finds the slots of positions `head, head + 1, …, head + k − 1` all full
//! (each stamp one past its position) moves `head` to `head + k` in one compare-and-swap, and
//! so owns all `k`: a full slot for position `p` changes only when the consumer that moved
//! `head` off `p` empties it, and a successful compare-and-swap from `head` means nobody else
//! did. A producer mirrors this with empty slots and `tail`. (`force_push` never shows its
//! slot empty while it evicts, so a batch cannot claim it; see `force_push`.) Every slot's
//! stamp is still checked and still published one by one, so single operations and batches
//! mix freely.
//!
//! When the first slot is not ready, the batch falls back to one single `push` or `pop`: its
//! full and empty checks are the ones the channels' wake-up protocol relies on
//! (`Queue::__seqcst_handoff`), and it waits out a neighbour that claimed the slot and has
//! not finished.

use super::ArrayQueue;
use crate::loom::{Backoff, Ordering};

impl<T> ArrayQueue<T> {
    /// Pushes values from the front of `values`, in order, as many as there is room for now,
    /// and removes them from `values`; returns how many it pushed. Never waits.
    ///
    /// The run is claimed with one compare-and-swap of the tail (contention retries it), so
    /// a batch costs one contended read-modify-write however long it is. Values from one
    /// call stay together and in order in the queue; what did not fit stays in `values`.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::ArrayQueue::new(3);
    /// let mut values = vec![1, 2, 3, 4, 5];
    /// assert_eq!(q.push_batch(&mut values), 3);
    /// assert_eq!(values, [4, 5]); // what did not fit
    /// assert_eq!(q.pop(), Some(1));
    /// ```
    pub fn push_batch(&self, values: &mut Vec<T>) -> usize {
        if values.is_empty() {
            return 0;
        }
        if self.laps.cap == 1 {
            return self.push_one_of(values);
        }
        let backoff = Backoff::new();
        loop {
            let tail = self.tail.load(Ordering::Relaxed);
            let (end, k) = self.run(tail, values.len(), |pos, stamp| stamp == pos);
            if k == 0 {
                return self.push_one_of(values);
            }
            // SeqCst: as in `push_slow` (the single order of `pop`'s empty check).
            if self
                .tail
                .compare_exchange_weak(tail, end, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                let mut run = values.drain(..k);
                for (index, first, len) in self.pieces(tail, k) {
                    let slots = &self.buffer[index..index + len];
                    for (pos, (slot, value)) in positions(first).zip(slots.iter().zip(run.by_ref()))
                    {
                        // SAFETY: our CAS moved `tail` off every position of the run while
                        // each slot's stamp said it was empty for that position (see the
                        // module docs).
                        unsafe { Self::fill(slot, pos, value) };
                    }
                }
                return k;
            }
            backoff.spin();
        }
    }

    /// Pops up to `limit` of the oldest values, in order, appending them to `out`; returns how
    /// many it popped (0 if the queue is empty). Never waits.
    ///
    /// The run is claimed with one compare-and-swap of the head, as in
    /// [`push_batch`](Self::push_batch).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::ArrayQueue::new(8);
    /// for i in 0..5 {
    ///     q.push(i).unwrap();
    /// }
    /// let mut out = Vec::new();
    /// assert_eq!(q.pop_batch(&mut out, 3), 3);
    /// assert_eq!(q.pop_batch(&mut out, 10), 2);
    /// assert_eq!(out, [0, 1, 2, 3, 4]);
    /// assert_eq!(q.pop_batch(&mut out, 10), 0);
    /// ```
    pub fn pop_batch(&self, out: &mut Vec<T>, limit: usize) -> usize {
        if limit == 0 {
            return 0;
        }
        if self.laps.cap == 1 {
            return self.pop_one_into(out);
        }
        let backoff = Backoff::new();
        loop {
            let head = self.head.load(Ordering::Relaxed);
            let (end, k) = self.run(head, limit, |pos, stamp| stamp == pos.wrapping_add(1));
            if k == 0 {
                return self.pop_one_into(out);
            }
            // Room first: an allocation failure after the claim would strand the run.
            out.reserve(k);
            // SeqCst: as in `pop_slow` (the single order of `push`'s full check).
            if self
                .head
                .compare_exchange_weak(head, end, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                let one_lap = self.laps.one_lap;
                for (index, first, len) in self.pieces(head, k) {
                    let slots = &self.buffer[index..index + len];
                    out.extend(positions(first).zip(slots).map(|(pos, slot)| {
                        // SAFETY: our CAS moved `head` off every position of the run while
                        // each slot's stamp said it held that position's value (see the
                        // module docs).
                        unsafe { Self::empty(slot, pos, one_lap) }
                    }));
                }
                return k;
            }
            backoff.spin();
        }
    }

    /// The run of positions from `start` whose stamps pass `ready`, at most `limit` long (and
    /// never longer than the ring): its end (the position after it) and its length.
    #[inline]
    fn run(
        &self,
        start: usize,
        limit: usize,
        ready: impl Fn(usize, usize) -> bool,
    ) -> (usize, usize) {
        let mut k = 0;
        'pieces: for (index, first, len) in self.pieces(start, limit.min(self.laps.cap)) {
            for (pos, slot) in positions(first).zip(&self.buffer[index..index + len]) {
                // Acquire: pairs with the Release stamp stores of `fill` and `empty`, as the
                // single operations' loads do.
                if !ready(pos, slot.stamp.load(Ordering::Acquire)) {
                    break 'pieces;
                }
                k += 1;
            }
        }
        let index = start & self.laps.mask;
        let end = if index + k < self.laps.cap {
            start.wrapping_add(k)
        } else {
            self.next_lap(start).wrapping_add(index + k - self.laps.cap)
        };
        (end, k)
    }

    /// The `n` positions from `start` on (`n` at most the capacity) as the contiguous pieces
    /// of the buffer they cover, each `(first index, first position, length)`: the rest of
    /// `start`'s lap, then the start of the next lap (empty if the run does not get there).
    /// Within a piece, position and index go up together, one per slot; that is what lets
    /// the loops over a run skip `Laps::advance`.
    #[inline(always)]
    fn pieces(&self, start: usize, n: usize) -> [(usize, usize, usize); 2] {
        let index = start & self.laps.mask;
        let in_lap = n.min(self.laps.cap - index);
        [
            (index, start, in_lap),
            (0, self.next_lap(start), n - in_lap),
        ]
    }

    /// Index 0 of the lap after `pos`'s.
    #[inline(always)]
    fn next_lap(&self, pos: usize) -> usize {
        (pos & !self.laps.mask).wrapping_add(self.laps.one_lap)
    }

    /// One single `push` of the first of `values` (removed if it went in): 1 or 0.
    fn push_one_of(&self, values: &mut Vec<T>) -> usize {
        match self.push(values.remove(0)) {
            Ok(()) => 1,
            Err(first) => {
                values.insert(0, first);
                0
            }
        }
    }

    /// One single `pop` into `out`: 1 or 0.
    fn pop_one_into(&self, out: &mut Vec<T>) -> usize {
        match self.pop() {
            Some(value) => {
                out.push(value);
                1
            }
            None => 0,
        }
    }
}

/// `first, first + 1, …`: the positions of a piece (see `ArrayQueue::pieces`), wrapping as
/// positions do at `usize::MAX`.
#[inline(always)]
fn positions(first: usize) -> impl Iterator<Item = usize> {
    (0..).map(move |j| first.wrapping_add(j))
}
