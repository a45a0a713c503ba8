//! Async tasks as waiters of an [`EventCount`]: the same state word, the same notifies.
//!
//! A task cannot block, so instead of a [`Key`](super::Key) it leaves its [`Waker`] in the
//! event count's list and returns `Pending`. The registration counts in the waiter half of the
//! state word like a thread's, so every notifier already looks for it; `notify_slow` then
//! pops wakers from the list (one for `notify_one`, every one for `notify_all`) and wakes
//! them, outside the lock.
//!
//! The protocol, for a future polling a condition:
//!
//! 1. Check the condition; if it holds, [`finish_task`](EventCount::finish_task) and return
//!    `Ready`.
//! 2. [`register_task`](EventCount::register_task) with the context's waker.
//! 3. Check the condition again; if it holds, `finish_task` and return `Ready`; else
//!    `Pending`.
//! 4. If the future is dropped while registered, [`cancel_task`](EventCount::cancel_task).
//!
//! Step 2 is the same Dekker handshake as `prepare_wait`: a `SeqCst` increment of the
//! waiter count, then a `SeqCst` fence before the re-check. So either the re-check sees the
//! notifier's condition, or the notifier sees the registration; and `notify_slow` finds the
//! entry, because the entry and the `tasks` count are written before the waiter count (see
//! `EventCount::wake_tasks`).
//!
//! A notified entry leaves the list, so the notification belongs to that future. If the
//! future is dropped before it polls again, `cancel_task` finds its entry gone and passes the
//! notification on with a `notify_one`: a cancelled waiter never strands the others. A
//! future that finishes with a notification it may not have used (it got a value announced
//! to another waiter) passes it on the same way, if its condition still holds: see
//! `finish_task`.

use std::collections::VecDeque;
use std::task::Waker;

use super::{EventCount, ONE_WAITER, WAITERS};
use crate::loom::Ordering;

/// The wakers of the tasks waiting on one [`EventCount`], oldest first.
#[derive(Debug, Default)]
pub(super) struct TaskList {
    /// The id the next registration gets; ids are never reused (a `u64` does not wrap).
    next_id: u64,
    /// Registered, not yet notified tasks: their id and latest waker.
    waiting: VecDeque<(u64, Waker)>,
}

impl TaskList {
    /// The lowest id in the list, or the next id when it is empty. It only grows: ids are
    /// pushed in increasing order, notifiers take entries from the front, and neither an
    /// owner's removal of its entry nor the overflow path's `pop_back` (of an id no slot
    /// ever held) lowers the smallest id left.
    fn front(&self) -> u64 {
        self.waiting.front().map_or(self.next_id, |(id, _)| *id)
    }

    /// Removes the entry `id`; returns whether it was there (not yet notified).
    fn remove(&mut self, id: u64) -> bool {
        match self.waiting.iter().position(|(i, _)| *i == id) {
            Some(at) => {
                self.waiting.remove(at);
                true
            }
            None => false,
        }
    }
}

/// A task's place in an [`EventCount`]'s list, kept by its future between polls.
///
/// Holds an id from [`EventCount::register_task`] until [`EventCount::finish_task`] or
/// [`EventCount::cancel_task`] clears it. A future must clear it before it goes away, or the
/// event count would count a waiter that no longer exists (every notify would take the slow
/// path, and a notification given to it would be lost).
#[derive(Debug, Default)]
pub(crate) struct TaskSlot {
    /// The registration's id: `Some` from `register_task` until the future finishes or is
    /// cancelled, whether or not a notifier has taken the entry out of the list since.
    id: Option<u64>,
    /// Polls that asked to be polled again instead of registering (see `WaitStrategy`).
    pub(crate) yields: u8,
}

impl TaskSlot {
    /// Whether the slot holds a registration.
    pub(crate) fn is_registered(&self) -> bool {
        self.id.is_some()
    }
}

impl EventCount {
    /// Registers the task of `waker` as a waiter, or refreshes its waker if it is still
    /// registered. Re-check the condition after this call (see the module docs).
    ///
    /// Returns whether the slot's previous registration had been notified (a notifier took
    /// its entry): a waiter that then leaves without using what it was notified of must pass
    /// the notification on, as `cancel_task` does for an entry taken since. (A future that
    /// re-checks before re-registering has used it; a selection over several event counts
    /// may not have.)
    ///
    /// Emits a `SeqCst` fence after a new registration, as `prepare_wait` does.
    ///
    /// # Panics
    ///
    /// Panics if 2³² − 1 waiters are already registered.
    pub(crate) fn register_task(&self, slot: &mut TaskSlot, waker: &Waker) -> bool {
        let mut list = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = slot.id.filter(|&id| !self.taken(id)) {
            if let Some((_, old)) = list.waiting.iter_mut().find(|(i, _)| *i == id) {
                // Still registered: every notify since the registration would have taken
                // the entry, so only the waker may need replacing.
                if !old.will_wake(waker) {
                    old.clone_from(waker);
                }
                return false;
            }
            // A notifier took the entry, and this poll is the wake-up it sent: register anew.
        }
        let id = list.next_id;
        list.next_id += 1;
        list.waiting.push_back((id, waker.clone()));
        self.publish_front(&list);
        // Relaxed: read under the lock's protection or, in `notify_slow`, ordered by the
        // `SeqCst` increment below (see `wake_tasks`).
        self.task_count.fetch_add(1, Ordering::Relaxed);
        // SeqCst: the registration, in the single order with notifiers (as in
        // `prepare_wait`); it also publishes the entry and `task_count` above to a notifier
        // whose check reads it.
        let state = self.state.fetch_add(ONE_WAITER, Ordering::SeqCst);
        if state & WAITERS == WAITERS {
            self.state.fetch_sub(ONE_WAITER, Ordering::Relaxed);
            self.task_count.fetch_sub(1, Ordering::Relaxed);
            list.waiting.pop_back();
            self.publish_front(&list);
            panic!("EventCount: too many waiters");
        }
        drop(list);
        let renewed = slot.id.replace(id).is_some();
        // SeqCst fence (or the asymmetric fence's heavy side): the caller's re-check may not
        // move before the registration; pairs with the fence in `notify`.
        self.registered_fence();
        renewed
    }

    /// The task got what it waited for: takes its entry out of the list if a notifier has
    /// not. Free when the slot is empty.
    ///
    /// A notification the entry had taken need not be for what the task got: it may have
    /// taken a value announced to another waiter, which then found nothing and waits again
    /// (W and T registered; the notify of V1 goes to W; T, polled for its own reasons, takes
    /// V1; W finds nothing and registers again; the notify of V2 takes T's entry, still in
    /// the list until T finishes). So if a notifier had taken the entry, or `owed` says an
    /// earlier, renewed registration had been notified (see `register_task`), and
    /// `still_ready` says another waiter could go on now, the notification is passed on with
    /// a `notify_one`. `still_ready` runs after the list's lock or `taken`'s Acquire load,
    /// either of which the notifier released after its own condition write, so it sees that
    /// write; a false "ready" costs one spurious wake-up. An event count notified only with `notify_all` has nobody to pass
    /// on to: its callers give `|| false`.
    #[inline]
    pub(crate) fn finish_task(
        &self,
        slot: &mut TaskSlot,
        owed: bool,
        still_ready: impl FnOnce() -> bool,
    ) {
        let notified = match slot.id.take() {
            Some(id) => self.taken(id) || !self.unregister(id),
            None => false,
        };
        if (notified || owed) && self.has_waiters() && still_ready() {
            self.notify_one();
        }
    }

    /// Whether anyone is registered, for a task deciding whether to pass on a notification.
    /// The task learned of its notification from the notifier (through `taken` or the list's
    /// lock), after the notifier's own look at the waiter count and its release of the
    /// task's own count; so by coherence this load sees every registration that look saw,
    /// unless that waiter has left since. A waiter that registered later than the look, in
    /// the state word's order, needs nobody to pass anything on: the notifier's fence and
    /// the waiter's own make its re-check see the notifier's write (this task plays no part
    /// in that pairing).
    #[inline]
    fn has_waiters(&self) -> bool {
        // Relaxed: ordered after the notifier's look, as above.
        self.state.load(Ordering::Relaxed) & WAITERS != 0
    }

    /// The task's future is dropped: takes its entry out of the list, or, if a notifier took
    /// it first, passes that notification on to another waiter. Free when the slot is empty.
    #[inline]
    pub(crate) fn cancel_task(&self, slot: &mut TaskSlot) {
        if let Some(id) = slot.id.take() {
            self.cancel_registered(id);
        }
    }

    /// [`cancel_task`](Self::cancel_task) of a registered slot, out of line: most futures
    /// finish without ever waiting, and their drop should cost one test. (Not `#[cold]`:
    /// the losers of a `select!` drop registered futures routinely.)
    #[inline(never)]
    fn cancel_registered(&self, id: u64) {
        if self.taken(id) || !self.unregister(id) {
            self.notify_one();
        }
    }

    /// Whether a notifier has taken entry `id` of the slot's owner, read without the lock.
    /// `false` may be stale (the entry may have been taken since): the caller then looks in
    /// the list under its lock. `true` is final, as the front only grows and only the owner
    /// removes its entry otherwise.
    #[inline]
    fn taken(&self, id: u64) -> bool {
        // Acquire: pairs with `publish_front` in the notifier that took the entry (or a later
        // one, made under the same lock after it), which came after the notifier's condition
        // write and its release of our count: `still_ready` and `has_waiters` see both.
        id < self.task_front.load(Ordering::Acquire)
    }

    /// Publishes the list's front after a change to it (the caller holds the lock).
    fn publish_front(&self, list: &TaskList) {
        // Release: see `taken`; written under the lock, so stores never go backwards.
        self.task_front.store(list.front(), Ordering::Release);
    }

    /// Removes entry `id` and its count; returns whether it was still in the list.
    fn unregister(&self, id: u64) -> bool {
        let mut list = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        let found = list.remove(id);
        if found {
            self.release(1);
            self.publish_front(&list);
        }
        found
    }

    /// Wakes the oldest registered task, or every one; from `notify_slow`, after its epoch
    /// bump and fence.
    ///
    /// Why a registered task is never missed: its `task_count` increment comes before its
    /// `SeqCst` registration `R` in program order, and both happen under the list's lock. A
    /// notifier got here because its check saw the waiter count non-zero, and then bumped
    /// the epoch (`SeqCst` read-modify-write `N`) and fenced. If `R` precedes `N` in the state
    /// word's modification order, `N` reads from `R`'s release sequence (every write of the
    /// word is a read-modify-write), so the count's increment happens before `N` and the load
    /// below sees it; the lock then shows the entry, unless a notifier or the task itself
    /// took it (and the count with it). If `N` precedes `R`, then the notifier's fence (before
    /// its check, or its `SeqCst` condition write in the fence-free case) precedes the task's
    /// fence in the single order, so the task's re-check sees the condition.
    pub(super) fn wake_tasks(&self, all: bool) {
        // SeqCst: after the epoch bump and fence of `notify_slow` (see above).
        if self.task_count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut list = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if all {
            let woken = std::mem::take(&mut list.waiting);
            let n = woken.len();
            // The count first: a task that learns through `taken` sees it gone.
            self.release(n);
            self.publish_front(&list);
            drop(list);
            for (_, waker) in woken {
                waker.wake();
            }
        } else if let Some((_, waker)) = list.waiting.pop_front() {
            // The count first, as above.
            self.release(1);
            self.publish_front(&list);
            drop(list);
            waker.wake();
        }
    }

    /// Takes `n` tasks that left the list out of the counts (the caller holds the list's
    /// lock).
    fn release(&self, n: usize) {
        // Relaxed: like a `Key`'s drop, a late decrement only sends a notifier to look.
        self.task_count.fetch_sub(n, Ordering::Relaxed);
        self.state
            .fetch_sub(n as u64 * ONE_WAITER, Ordering::Relaxed);
    }
}
