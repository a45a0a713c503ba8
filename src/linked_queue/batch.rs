//! Batches: a run of positions claimed with one compare-and-swap.
//!
//! A batch push claims the next `k` positions of the tail's lap at once, moving the tail
//! index from `i` to `i + k` (and, when the run takes the lap's last slot, installing the
//! next node as a single push does), then writes the values into the run's slots in order,
//! each marked written as a single push marks its one. A consumer may give up one of the
//! slots before its value is there (see the parent module); the value meant for it then
//! goes into the next slot of the run, and every later value one slot further on, so the
//! values keep their order, and what the run has no room left for goes into the next run.
//!
//! A batch pop claims the run of positions from the head up to the tail it last read (at
//! most to the end of the lap) with one compare-and-swap, then takes each slot's value as a
//! single pop does, in order; a slot it gives up is skipped (its producer pushes the value
//! again). It counts the slots it took as finished with one addition for the run (see the
//! parent module), so single operations and batches mix freely.

use super::{LinkedQueue, Node, BLOCK};

impl<T> LinkedQueue<T> {
    /// Pushes every value of `values` to the back of the queue, in order, leaving `values`
    /// empty (its allocation kept for reuse).
    ///
    /// Each run of free slots in the last node is claimed with one compare-and-swap, so a
    /// batch costs one contended read-modify-write per run (at most 127 values) where single
    /// pushes cost one per value. The values of one call come out in the order given; values
    /// that other threads push meanwhile may come between them.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::LinkedQueue::new();
    /// let mut values: Vec<u32> = (0..300).collect();
    /// q.push_batch(&mut values);
    /// assert!(values.is_empty());
    /// assert_eq!(q.len(), 300);
    /// assert_eq!(q.pop(), Some(0));
    /// ```
    pub fn push_batch(&self, values: &mut Vec<T>) {
        let mut left = values.len();
        let mut source = values.drain(..);
        // A value a consumer gave back, to go into the next slot before the rest.
        let mut carry = None;
        let mut fresh: *mut Node<T> = core::ptr::null_mut();
        while left > 0 {
            let (node, offset, k) = self.claim_tail(left, &mut fresh);
            for at in offset..offset + k {
                let value = match carry.take() {
                    Some(value) => value,
                    None => source.next().expect("`left` counts the values not placed"),
                };
                // SAFETY: we claimed every position of the run, slots `offset..offset + k`
                // of `node`.
                match unsafe { Self::write(node, at, value) } {
                    Ok(()) => left -= 1,
                    Err(back) => carry = Some(back),
                }
            }
        }
        if !fresh.is_null() {
            // SAFETY: never shared: no claim used it.
            unsafe { Node::free(fresh) };
        }
    }

    /// Pops up to `limit` of the oldest values, in order, appending them to `out`; returns how
    /// many it popped (0 if the queue is empty). Never waits for a value that is not there.
    ///
    /// Each run of claimed positions in a node is taken with one compare-and-swap, as in
    /// [`push_batch`](Self::push_batch).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = wharf::LinkedQueue::new();
    /// for i in 0..5 {
    ///     q.push(i);
    /// }
    /// let mut out = Vec::new();
    /// assert_eq!(q.pop_batch(&mut out, 3), 3);
    /// assert_eq!(q.pop_batch(&mut out, 10), 2);
    /// assert_eq!(out, [0, 1, 2, 3, 4]);
    /// assert_eq!(q.pop_batch(&mut out, 10), 0);
    /// ```
    pub fn pop_batch(&self, out: &mut Vec<T>, limit: usize) -> usize {
        let mut popped = 0;
        while popped < limit {
            // Room first: an allocation failure after the claim would strand the run (a run
            // is at most one lap).
            out.reserve((limit - popped).min(BLOCK));
            let Some((node, offset, k)) = self.claim_head(limit - popped) else {
                break;
            };
            let mut taken = 0;
            for at in offset..offset + k {
                // SAFETY: we claimed every position of the run (producers claimed them
                // first), slots `offset..offset + k` of `node`; the node stays alive until
                // we count what we took.
                if let Some(value) = unsafe { Self::take(node, at) } {
                    out.push(value);
                    taken += 1;
                }
            }
            if taken > 0 {
                // SAFETY: we finished with the `taken` slots whose values we took (the
                // producers of the others finish those), and touch none again.
                unsafe { Node::finish(node, taken) };
            }
            popped += taken;
        }
        popped
    }
}
