//! Batches: a run of slots claimed with one compare-and-swap.
//!
//! A batch push claims `k` slots of the last node at once, moving `enq` from `i` to `i + k`,
//! and publishes them in order, each with its own compare-and-swap from `EMPTY` to `WRITTEN`
//! as a single push does. A consumer may mark one of them `TAKEN` before it is written (see
//! the parent module); the value meant for it then goes into the next slot of the run, and
//! every later value one slot further on, so the values that go in keep their order, and
//! those the run has no room left for are pushed again after them. When the last node is
//! full, the batch links a fresh node that already holds up to `BLOCK` of its values, with
//! the one compare-and-swap a single push uses to link a node holding its one value. Every
//! slot of a run ends `WRITTEN` by the batch or `TAKEN` by a consumer that claimed it through
//! `deq`, as after single pushes, so the settled picture of `exclusive.rs` still holds.
//!
//! A batch pop finds the run of `WRITTEN` slots from `deq` in the first node and claims it
//! with one compare-and-swap of `deq`; a `WRITTEN` slot never changes again, so the claim
//! makes every value of the run ours. A run ends at the end of a node; the batch goes on in
//! the next. When the next slot is not `WRITTEN`, the batch gives a producer that claimed it a
//! moment to publish (`published_soon`), then makes one single pop (`pop_slow`),
//! which moves on to the next node, skips a slot whose value is late, and gives the "empty"
//! answer the channels' wake-up protocol relies on (`Queue::__seqcst_handoff`).

use std::collections::VecDeque;

use crossbeam_epoch::{self as epoch, Guard, Shared};

use super::{LinkedQueue, Node, Slot, BLOCK, WRITTEN};
use crate::loom::{spin_loop, Backoff, Ordering};

impl<T> LinkedQueue<T> {
    /// Pushes every value of `values` to the back of the queue, in order, leaving `values`
    /// empty (its allocation kept for reuse).
    ///
    /// Each run of free slots in the last node is claimed with one compare-and-swap, and a
    /// new node is linked already holding up to 128 of the values, so a batch costs a few
    /// contended read-modify-writes per node's worth of values where single pushes cost one
    /// per value. The values of one call come out in the order given; values that other
    /// threads push meanwhile may come between them.
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
        if values.is_empty() {
            return;
        }
        // The values still to push, front first: a deque, so that values a run had no room
        // for go back to the front in order. Neither conversion moves a value here: the deque
        // starts at its buffer's front, and ends empty.
        let mut pending = VecDeque::from(core::mem::take(values));
        let guard = &epoch::pin();
        let backoff = Backoff::new();
        while !pending.is_empty() {
            // Acquire: as in `push`.
            let tail = self.tail.load(Ordering::Acquire, guard);
            // SAFETY: as in `push`: `tail` is never null, and our pin keeps the node alive.
            let node = unsafe { tail.deref() };
            // Relaxed: only a guess; the compare-and-swap claims.
            let index = node.enq.load(Ordering::Relaxed);
            if index >= BLOCK {
                self.append_batch(tail, node, &mut pending, guard);
                continue;
            }
            let k = pending.len().min(BLOCK - index);
            // SeqCst, and Relaxed on failure: as in `claim`.
            if node
                .enq
                .compare_exchange_weak(index, index + k, Ordering::SeqCst, Ordering::Relaxed)
                .is_err()
            {
                // Not under loom: as in `claim`.
                if !cfg!(loom) {
                    backoff.spin();
                }
                continue;
            }
            Self::publish_run(&node.slots[index..index + k], &mut pending);
        }
        *values = Vec::from(pending);
    }

    /// Publishes values from the front of `pending` into `run`, slots this thread claimed, in
    /// order. A slot a consumer gave up on gets no value: the value meant for it goes into
    /// the next slot instead, and stays in `pending` if the run ends first.
    fn publish_run(run: &[Slot<T>], pending: &mut VecDeque<T>) {
        for slot in run {
            let value = pending
                .pop_front()
                .expect("a run is never longer than the values still to push");
            if let Err(back) = Self::publish(slot, value) {
                pending.push_front(back);
            }
        }
    }

    /// The node behind `tail` is full: link a new node holding the first values of
    /// `pending` (up to `BLOCK`), or help a lagging `tail` forward. Values not linked stay
    /// in `pending`, in order.
    #[cold]
    fn append_batch(
        &self,
        tail: Shared<'_, Node<T>>,
        node: &Node<T>,
        pending: &mut VecDeque<T>,
        guard: &Guard,
    ) {
        if self.help_tail(tail, node, guard) {
            return;
        }
        let n = pending.len().min(BLOCK);
        let fresh = Node::boxed_filled(node.id + 1, pending.drain(..n));
        if let Err(lost) = self.link(tail, node, fresh, guard) {
            for i in (0..n).rev() {
                // SAFETY: we wrote slots `0..n` of the lost node, and nobody else has seen it.
                pending.push_front(unsafe { lost.take_back(i) });
            }
        }
    }

    /// Pops up to `limit` of the oldest values, in order, appending them to `out`; returns how
    /// many it popped (0 if the queue is empty). Never waits.
    ///
    /// Each run of published values in a node is claimed with one compare-and-swap, as in
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
        let guard = &epoch::pin();
        let mut popped = 0;
        while popped < limit {
            let k = self.pop_run(out, limit - popped, guard);
            if k > 0 {
                popped += k;
                continue;
            }
            if self.published_soon(guard) {
                continue;
            }
            match self.pop_slow(guard) {
                Some(value) => {
                    out.push(value);
                    popped += 1;
                }
                None => break,
            }
        }
        popped
    }

    /// Whether the slot at `deq` of the first node, claimed by a producer (below `enq`) but
    /// not published yet, becomes `WRITTEN` within a short, bounded wait. A producer in the
    /// middle of a batch is usually a few stores away from publishing it; without the wait,
    /// `pop_slow` would claim the slot and mark it `TAKEN`, and the batch would then move
    /// every later value of its run one slot on (and a consumer close behind does that again
    /// at the next slot). The wait is bounded, so a preempted producer still holds up nobody
    /// for long: the queue stays lock-free.
    fn published_soon(&self, guard: &Guard) -> bool {
        // Under loom one look is enough to reach both outcomes.
        const PATIENCE: usize = if cfg!(loom) { 1 } else { 64 };
        // Acquire: as in `pop_slow`.
        let head = self.head.load(Ordering::Acquire, guard);
        // SAFETY: as in `pop_slow`: `head` is never null, and our pin keeps the node alive.
        let node = unsafe { head.deref() };
        // Relaxed, both: only a guess of whether to wait; `pop_run` and `pop_slow` decide.
        let index = node.deq.load(Ordering::Relaxed);
        let Some(slot) = node.slots.get(index) else {
            return false;
        };
        if index >= node.enq.load(Ordering::Relaxed) {
            return false;
        }
        for _ in 0..PATIENCE {
            // Relaxed: a guess, as above; `pop_run` reloads the state with Acquire.
            if slot.state.load(Ordering::Relaxed) == WRITTEN {
                return true;
            }
            spin_loop();
        }
        false
    }

    /// Claims the run of published values from `deq` in the first node, at most `limit` of
    /// them, and appends them to `out`: how many (0 when the next slot is not `WRITTEN` or the
    /// node is used up).
    fn pop_run(&self, out: &mut Vec<T>, limit: usize, guard: &Guard) -> usize {
        let backoff = Backoff::new();
        loop {
            // Acquire: as in `pop_slow`.
            let head = self.head.load(Ordering::Acquire, guard);
            // SAFETY: as in `pop_slow`: `head` is never null, and our pin keeps the node alive.
            let node = unsafe { head.deref() };
            // SeqCst: as in `pop_slow`.
            let index = node.deq.load(Ordering::SeqCst);
            let end = index.saturating_add(limit).min(BLOCK);
            let k = node.slots[index..end]
                .iter()
                // Acquire: if `WRITTEN`, the value is visible, as in `pop`.
                .take_while(|slot| slot.state.load(Ordering::Acquire) == WRITTEN)
                .count();
            if k == 0 {
                return 0;
            }
            // Room first: an allocation failure after the claim would strand the run.
            out.reserve(k);
            // SeqCst, and Relaxed on failure: as in `pop_slow`.
            if node
                .deq
                .compare_exchange_weak(index, index + k, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            {
                for slot in &node.slots[index..index + k] {
                    // SAFETY: each slot of the run was `WRITTEN`, which is final, so its value
                    // is initialised and visible (the Acquire loads above); our claim on `deq`
                    // makes us its only consumer.
                    out.push(slot.value.with(|p| unsafe { p.read().assume_init() }));
                }
                return k;
            }
            // Not under loom: as in `claim`.
            if !cfg!(loom) {
                backoff.spin();
            }
        }
    }
}
