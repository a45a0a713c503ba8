//! Batches: a run of positions claimed with one compare-and-swap.
//!
//! A producer at the tail `p` that finds the slots of `p, p + 1, …, q` all empty for their
//! positions claims the whole run by one compare-and-swap of slot `p`'s stamp alone, from
//! `EMPTY` for `p` to `WRITING` for `q`: a run marker (see `stamp.rs`). Nobody else can claim
//! `p + 1 ..= q` meanwhile (each side claims in order, and whoever meets the marker skips
//! past `q`), so the producer then fills those slots one by one with plain stores, and fills
//! slot `p` last: consumers wait at `p` until then, and so never meet an unwritten slot of
//! the run. A consumer mirrors this with `FULL` slots and a `READING` marker, reading the
//! run out and freeing slot `p` last, so that producers of the next lap, who wait at `p`,
//! never meet a slot of the run not yet freed. (`force_push` evicts only at the head, and a
//! run's slots past `p` cannot be the head while `p` is held.) Every slot's stamp is checked
//! before the claim and published one by one, so single operations and batches mix freely.

use super::{stamp, ArrayQueue, Pop, Push, Slot, EMPTY, FULL, READING, WRITING};
use crate::loom::{Backoff, Ordering};

impl<T> ArrayQueue<T> {
    /// Pushes values from the front of `values`, in order, as many as there is room for now,
    /// and removes them from `values`; returns how many it pushed. Never waits for room.
    ///
    /// The run is claimed with one compare-and-swap (contention retries it), so a batch
    /// costs one contended read-modify-write however long it is. Values from one call stay
    /// together and in order in the queue; what did not fit stays in `values`.
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
        // Acquire: as in `push`.
        let mut pos = self.tail.load(Ordering::Acquire);
        loop {
            let slot = self.laps.slot(&self.buffer, pos);
            // SeqCst: as in `push_slow`.
            let seen = slot.stamp.load(Ordering::SeqCst);
            match self.laps.for_push(pos, seen) {
                Push::Claim => {
                    let k = self.run(pos, values.len(), |p, s| s == stamp(p, EMPTY));
                    if k == 0 {
                        continue;
                    }
                    let last = self.offset(pos, k - 1);
                    // SeqCst and Acquire (implied): as in `push`. Relaxed on failure: we look
                    // again.
                    if slot
                        .stamp
                        .compare_exchange(
                            seen,
                            stamp(last, WRITING),
                            Ordering::SeqCst,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                    {
                        // Release: as in `push`.
                        self.tail.store(self.laps.advance(last), Ordering::Release);
                        let len = values.len();
                        let src = values.as_mut_ptr();
                        // The first `k` values move into the run: the vector forgets them
                        // first (nothing below can panic, but a leak beats a double drop),
                        // and keeps the rest, moved to its front, at the end.
                        // SAFETY: `0 <= len`; the values stay in the buffer, unowned.
                        unsafe { values.set_len(0) };
                        self.each_after(pos, k, |j, p, slot| {
                            // SAFETY: `j < k <= len`, a value of the vector we now own; read
                            // once. Our compare-and-swap claimed the run `pos ..= last` while
                            // this slot was `EMPTY` for `p` (checked by `run`), and only the
                            // run's claimer changes it now (module docs).
                            unsafe { Self::fill(slot, p, src.add(j).read()) };
                        });
                        // SAFETY: as above, for the run's first slot (value 0), filled last;
                        // then the `len - k` values left, moved to the front of the buffer
                        // they are in, are the vector's again.
                        unsafe {
                            Self::fill(slot, pos, src.read());
                            core::ptr::copy(src.add(k), src, len - k);
                            values.set_len(len - k);
                        }
                        return k;
                    }
                }
                Push::Skip(next) => pos = next,
                Push::Behind => pos = self.ahead_of(&self.tail, self.laps.advance(pos)),
                Push::Full => return 0,
                Push::Wait => backoff.snooze(),
            }
        }
    }

    /// Pops up to `limit` of the oldest values, in order, appending them to `out`; returns how
    /// many it popped (0 if the queue is empty). Never waits for values.
    ///
    /// The run is claimed with one compare-and-swap, as in [`push_batch`](Self::push_batch).
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
        // Acquire: as in `push`.
        let mut pos = self.head.load(Ordering::Acquire);
        loop {
            let slot = self.laps.slot(&self.buffer, pos);
            // SeqCst: as in `pop_slow`.
            let seen = slot.stamp.load(Ordering::SeqCst);
            match self.laps.for_pop(pos, seen) {
                Pop::Claim => {
                    let k = self.run(pos, limit, |p, s| s == stamp(p, FULL));
                    if k == 0 {
                        continue;
                    }
                    // Room first: an allocation failure after the claim would strand the run.
                    out.reserve(k);
                    let last = self.offset(pos, k - 1);
                    // SeqCst and Acquire (implied): as in `pop`. Relaxed on failure: we look
                    // again.
                    if slot
                        .stamp
                        .compare_exchange(
                            seen,
                            stamp(last, READING),
                            Ordering::SeqCst,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                    {
                        // Release: as in `push`.
                        self.head.store(self.laps.advance(last), Ordering::Release);
                        let base = out.len();
                        // SAFETY: `reserve(k)` above: room for `k` values past `base`.
                        let dst = unsafe { out.as_mut_ptr().add(base) };
                        // SAFETY: our compare-and-swap claimed the run `pos ..= last` while
                        // this slot was `FULL` for `pos`, so its value is initialised and
                        // ours; the slot is freed below, after the rest of the run. `dst`
                        // has room (above).
                        unsafe { dst.write(slot.value.with(|p| p.read().assume_init())) };
                        let one_lap = self.laps.one_lap;
                        self.each_after(pos, k, |j, p, slot| {
                            // SAFETY: as above: the slot was `FULL` for `p` (checked by `run`)
                            // and only the run's claimer changes it now (module docs); and
                            // `j < k`, within the room reserved.
                            unsafe { dst.add(j).write(Self::empty(slot, p, one_lap)) };
                        });
                        // SAFETY: the `k` values past `base` are written (nothing above can
                        // panic between the first write and here).
                        unsafe { out.set_len(base + k) };
                        // Release: our reads happen before the next lap's producers write
                        // (they wait at this slot, so for the whole run); and a consumer
                        // that steps past this slot, a lap behind, sees the rest of the run
                        // freed too, never a `FULL` slot we are still reading.
                        slot.stamp
                            .store(stamp(pos.wrapping_add(one_lap), EMPTY), Ordering::Release);
                        return k;
                    }
                }
                Pop::Skip(next) => pos = next,
                Pop::Behind => pos = self.ahead_of(&self.head, self.laps.advance(pos)),
                Pop::Empty => return 0,
                Pop::Wait => backoff.snooze(),
            }
        }
    }

    /// How many positions from `start` on have stamps that pass `ready`, at most `limit`
    /// (and never more than the ring holds).
    #[inline]
    fn run(&self, start: usize, limit: usize, ready: impl Fn(usize, usize) -> bool) -> usize {
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
        k
    }

    /// Calls `f` with each position of the run of `k` from `start` but `start` itself, in
    /// order: its place `j` in the run (1 to `k - 1`), the position and its slot.
    #[inline(always)]
    fn each_after(&self, start: usize, k: usize, mut f: impl FnMut(usize, usize, &Slot<T>)) {
        let [(index, first, len), (_, next, rest)] = self.pieces(start, k);
        // Within a piece, index and position go up together (see `pieces`); the first piece
        // begins with `start` itself, which is skipped.
        let here = &self.buffer[index..index + len];
        for (j, slot) in here.iter().enumerate().skip(1) {
            f(j, first.wrapping_add(j), slot);
        }
        for (i, slot) in self.buffer[..rest].iter().enumerate() {
            f(len + i, next.wrapping_add(i), slot);
        }
    }

    /// The position `j` after `start` (`j` below the capacity).
    #[inline(always)]
    fn offset(&self, start: usize, j: usize) -> usize {
        let index = start & self.laps.mask;
        if index + j < self.laps.cap {
            start.wrapping_add(j)
        } else {
            self.next_lap(start).wrapping_add(index + j - self.laps.cap)
        }
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
