//! Batches through a channel: many values per call, claimed from the queue as one run where
//! the queue can (`Queue::try_push_batch`, `Queue::try_pop_batch`; one compare-and-swap per
//! run for a bounded channel's ring and per node for an unbounded channel's list).

use std::time::Instant;

use super::{
    Chan, Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, Sender, TryRecvError,
    TrySendError,
};
use crate::Queue;

impl<T, Q: Queue<T>> Chan<T, Q> {
    /// One non-blocking batch send: how many of `values` went in (taken from its front).
    fn try_send_batch(&self, values: &mut Vec<T>) -> Result<usize, TrySendError<()>> {
        if self.is_disconnected() {
            return Err(TrySendError::Disconnected(()));
        }
        let n = self.queue.try_push_batch(values);
        if n > 0 {
            self.pushed(n);
        }
        Ok(n)
    }

    /// Sends every value of `values`, in order, waiting for room until `deadline`.
    fn send_batch_until(
        &self,
        mut values: Vec<T>,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<Vec<T>>> {
        let mut disconnected = false;
        let sent = self.strategy.wait_for(&self.not_full, deadline, || loop {
            match self.try_send_batch(&mut values) {
                Err(_) => {
                    disconnected = true;
                    return Some(());
                }
                Ok(_) if values.is_empty() => return Some(()),
                // Only an attempt that pushed nothing answers "full" the way the wake-up
                // protocol needs (`Queue::__seqcst_handoff`): a run that pushed some can stop
                // at a slot whose consumer's release it has not seen yet, and that consumer
                // may have notified before we registered. So try again before waiting.
                Ok(0) => return None,
                Ok(_) => {}
            }
        });
        match sent {
            Some(()) if disconnected => Err(SendTimeoutError::Disconnected(values)),
            Some(()) => Ok(()),
            None => Err(SendTimeoutError::Timeout(values)),
        }
    }

    /// One non-blocking batch receive of up to `limit` values into `out`.
    fn try_recv_many(&self, out: &mut Vec<T>, limit: usize) -> Result<usize, TryRecvError> {
        if limit == 0 {
            return Ok(0);
        }
        let n = self.queue.try_pop_batch(out, limit);
        if n > 0 {
            self.popped(n);
            return Ok(n);
        }
        if !self.is_disconnected() {
            return Err(TryRecvError::Empty);
        }
        // Every sender is gone and their pushes are visible: drain what is left.
        match self.queue.try_pop_batch(out, limit) {
            0 => Err(TryRecvError::Disconnected),
            n => Ok(n),
        }
    }

    /// Receives at least one value (up to `limit`) into `out`, waiting until `deadline`.
    fn recv_many_until(
        &self,
        out: &mut Vec<T>,
        limit: usize,
        deadline: Option<Instant>,
    ) -> Result<usize, RecvTimeoutError> {
        if limit == 0 {
            return Ok(0);
        }
        if self.is_special() {
            // Wait for the first value as a single receive does (on a rendezvous channel as
            // a taker, so that givers find us; on a timer's until it is due), then take what
            // else is there.
            out.push(self.recv_until(deadline)?);
            return Ok(1 + self.try_recv_many(out, limit - 1).unwrap_or(0));
        }
        let attempt = || match self.try_recv_many(out, limit) {
            Ok(n) => Some(Ok(n)),
            Err(TryRecvError::Disconnected) => Some(Err(RecvTimeoutError::Disconnected)),
            Err(TryRecvError::Empty) => None,
        };
        self.strategy
            .wait_for(&self.not_empty, deadline, attempt)
            .unwrap_or(Err(RecvTimeoutError::Timeout))
    }
}

impl<T, Q: Queue<T>> Sender<T, Q> {
    /// Sends every value of `values`, in order, waiting while the channel is full. Over a
    /// bounded channel, each run of values that fits is claimed with one compare-and-swap.
    /// The values stay in order relative to each other; another sender's values may come
    /// between two runs.
    ///
    /// # Errors
    ///
    /// If every receiver is gone, [`SendError`] hands back the values not yet sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::bounded(4);
    /// std::thread::spawn(move || tx.send_batch((0..10).collect()).unwrap());
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    /// ```
    pub fn send_batch(&self, values: Vec<T>) -> Result<(), SendError<Vec<T>>> {
        self.chan
            .send_batch_until(values, None)
            .map_err(|e| SendError(e.into_inner()))
    }

    /// Sends values from the front of `values`, in order, as many as there is room for now,
    /// and removes them from `values`; returns how many went in (0 if the channel is full).
    ///
    /// # Errors
    ///
    /// [`TrySendError::Disconnected`] if every receiver is gone (nothing is taken from
    /// `values`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::bounded(2);
    /// let mut values = vec![1, 2, 3];
    /// assert_eq!(tx.try_send_batch(&mut values), Ok(2));
    /// assert_eq!(values, [3]);
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn try_send_batch(&self, values: &mut Vec<T>) -> Result<usize, TrySendError<()>> {
        self.chan.try_send_batch(values)
    }
}

impl<T, Q: Queue<T>> Receiver<T, Q> {
    /// Receives up to `limit` values into `out`, in order, waiting while the channel is
    /// empty; returns how many (at least one, unless `limit` is 0). Over a bounded channel,
    /// the run is claimed with one compare-and-swap.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the channel is empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::bounded(8);
    /// for i in 0..5 {
    ///     tx.send(i).unwrap();
    /// }
    /// let mut out = Vec::new();
    /// assert_eq!(rx.recv_many(&mut out, 3), Ok(3));
    /// assert_eq!(rx.recv_many(&mut out, 3), Ok(2));
    /// assert_eq!(out, [0, 1, 2, 3, 4]);
    /// drop(tx);
    /// assert_eq!(rx.recv_many(&mut out, 3), Err(wharf::channel::RecvError));
    /// ```
    pub fn recv_many(&self, out: &mut Vec<T>, limit: usize) -> Result<usize, RecvError> {
        self.chan
            .recv_many_until(out, limit, None)
            .map_err(|_| RecvError)
    }

    /// Receives up to `limit` values into `out` if any are there now.
    ///
    /// # Errors
    ///
    /// As [`try_recv`](Self::try_recv).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = wharf::channel::unbounded();
    /// tx.send('a').unwrap();
    /// let mut out = Vec::new();
    /// assert_eq!(rx.try_recv_many(&mut out, 10), Ok(1));
    /// assert!(rx.try_recv_many(&mut out, 10).unwrap_err().is_empty());
    /// ```
    pub fn try_recv_many(&self, out: &mut Vec<T>, limit: usize) -> Result<usize, TryRecvError> {
        self.chan.try_recv_many(out, limit)
    }
}
