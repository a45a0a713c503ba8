//! Batches on the broadcast ring: a publisher claims a run of sequences at once, and a
//! subscriber reads what is there in one call.

use super::ring::Ring;
use super::{Publisher, RecvError, SinglePublisher, Subscriber, TryRecvError};

impl<T> Ring<T> {
    /// Writes `values` as the claimed messages `first, first + 1, …`, in order: waits for room
    /// where needed (telling subscribers about what is already written first, so that a run
    /// longer than the ring cannot wait on itself), wakes subscribers once, and only then
    /// drops what the run overwrote. `claim` is called with each sequence before its write
    /// (the single publisher claims there; several publishers claimed the run up front),
    /// except with `by_cursor`, where the single publisher moves the cursor past the run once
    /// it is written (and before it waits for room, past what is written so far).
    ///
    /// `overwritten` must have room for `values.len()` messages, made before the claim, so
    /// that nothing can fail (an allocation) between a claim and its write.
    fn write_run(
        &self,
        first: u64,
        values: Vec<T>,
        mut overwritten: Vec<T>,
        mut claim: impl FnMut(u64),
    ) {
        debug_assert!(overwritten.capacity() >= values.len());
        let by_cursor = self.by_cursor();
        let mut end = first;
        for (seq, value) in (first..).zip(values) {
            if !self.room(seq) {
                if by_cursor && seq > first {
                    // Publishes what is written: the gate never passes the cursor.
                    self.claim_single(seq - 1);
                }
                if self.strategy.parks() {
                    self.published.notify_all();
                }
                self.wait_for_room(seq);
            }
            if by_cursor {
                overwritten.extend(self.write_unpublished(seq, value));
            } else {
                claim(seq);
                overwritten.extend(self.write(seq, value));
            }
            end = seq + 1;
        }
        if by_cursor {
            // One store publishes the run (the rest of it, if it waited for room).
            self.claim_single(end - 1);
        }
        if self.strategy.parks() {
            self.published.notify_all();
        }
        drop(overwritten);
    }
}

impl<T> Publisher<T> {
    /// Publishes every value of `values`, in order, as consecutive messages: the run's
    /// sequences are claimed with one fetch-and-add, so no other publisher's message comes
    /// between them, and subscribers are woken once. Under backpressure, waits for room as
    /// [`publish`](Self::publish) does.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::backpressure(8);
    /// publisher.publish_batch(vec![1, 2, 3]);
    /// let mut got = Vec::new();
    /// assert_eq!(subscriber.recv_many(&mut got, 10), Ok(3));
    /// assert_eq!(got, [1, 2, 3]);
    /// ```
    pub fn publish_batch(&self, values: Vec<T>) {
        if values.is_empty() {
            return;
        }
        let overwritten = Vec::with_capacity(values.len());
        let first = self.ring.claim_run(values.len() as u64);
        self.ring.write_run(first, values, overwritten, |_| {});
    }
}

impl<T> SinglePublisher<T> {
    /// Publishes every value of `values`, in order, waking subscribers once; waits under
    /// backpressure as [`publish`](Self::publish) does.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, mut subscriber) = wharf::broadcast::Builder::new(2).build_single();
    /// let reader = std::thread::spawn(move || {
    ///     let mut got = Vec::new();
    ///     while got.len() < 5 {
    ///         subscriber.recv_many(&mut got, 5).unwrap();
    ///     }
    ///     got
    /// });
    /// publisher.publish_batch(vec![0, 1, 2, 3, 4]); // longer than the ring: waits for room
    /// assert_eq!(reader.join().unwrap(), [0, 1, 2, 3, 4]);
    /// ```
    pub fn publish_batch(&mut self, values: Vec<T>) {
        if values.is_empty() {
            return;
        }
        let ring = &self.ring;
        let overwritten = Vec::with_capacity(values.len());
        ring.write_run(ring.next_single(), values, overwritten, |seq| {
            ring.claim_single(seq)
        });
    }
}

impl<T: Clone> Subscriber<T> {
    /// Receives clones of up to `limit` messages into `out`, in order, waiting for the first
    /// one; returns how many (at least one, unless `limit` is 0). It stops early at a lag or
    /// the close, which the next call reports.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv), when not even one message can be returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::lossy(8);
    /// for i in 0..4 {
    ///     publisher.publish(i);
    /// }
    /// let mut got = Vec::new();
    /// assert_eq!(subscriber.recv_many(&mut got, 3), Ok(3));
    /// assert_eq!(subscriber.recv_many(&mut got, 3), Ok(1));
    /// assert_eq!(got, [0, 1, 2, 3]);
    /// ```
    pub fn recv_many(&mut self, out: &mut Vec<T>, limit: usize) -> Result<usize, RecvError> {
        if limit == 0 {
            return Ok(0);
        }
        out.push(self.recv()?);
        Ok(1 + self.take_ready(out, limit - 1))
    }

    /// Receives clones of up to `limit` messages there now into `out`.
    ///
    /// # Errors
    ///
    /// As [`try_recv`](Self::try_recv), when not even one message can be returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subscriber) = wharf::broadcast::backpressure(4);
    /// let mut got = Vec::new();
    /// assert!(subscriber.try_recv_many(&mut got, 2).is_err());
    /// publisher.publish('a');
    /// assert_eq!(subscriber.try_recv_many(&mut got, 2), Ok(1));
    /// ```
    pub fn try_recv_many(&mut self, out: &mut Vec<T>, limit: usize) -> Result<usize, TryRecvError> {
        if limit == 0 {
            return Ok(0);
        }
        out.push(self.try_recv()?);
        Ok(1 + self.take_ready(out, limit - 1))
    }

    /// Takes up to `limit` more messages that are there now, stopping at the first miss.
    fn take_ready(&mut self, out: &mut Vec<T>, limit: usize) -> usize {
        let mut taken = 0;
        while taken < limit {
            match self.take_present() {
                Some(value) => out.push(value),
                None => break,
            }
            taken += 1;
        }
        taken
    }
}
