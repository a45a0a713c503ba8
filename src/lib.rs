//! Lock-free concurrent queues for latency-sensitive services.
//!
//! - [`ArrayQueue`]: a bounded multi-producer multi-consumer ring (after Vyukov's, with each
//!   slot's stamp as the claim).
//! - [`LinkedQueue`]: an unbounded multi-producer multi-consumer queue (Michael–Scott list of
//!   blocks, each freed by the last thread done with it).
//! - [`Queue`]: the trait both implement, for code generic over "a queue".
//! - [`EventCount`]: blocking waits without lost wake-ups, free when nobody waits.
//! - [`channel`]: blocking MPMC channels (send/recv, timeouts, disconnection) over any queue.
//! - [`broadcast`]: a publish/subscribe ring where every subscriber sees every message in
//!   order, with backpressure or lossy overflow.
//!
//! Both queues offer the method names and meanings of `crossbeam_queue`'s `ArrayQueue` and
//! `SegQueue`, so switching is a change of import.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use std::thread;
//! use wharf::ArrayQueue;
//!
//! let queue = Arc::new(ArrayQueue::new(64));
//! let producer = {
//!     let queue = Arc::clone(&queue);
//!     thread::spawn(move || {
//!         for i in 0..1000u64 {
//!             while queue.push(i).is_err() {
//!                 thread::yield_now();
//!             }
//!         }
//!     })
//! };
//! let mut expected = 0;
//! while expected < 1000 {
//!     if let Some(v) = queue.pop() {
//!         assert_eq!(v, expected); // one producer: its order is kept
//!         expected += 1;
//!     }
//! }
//! producer.join().unwrap();
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]

mod array_queue;
pub mod broadcast;
pub mod channel;
mod event_count;
mod linked_queue;
mod loom;
mod padded_slice;
mod queue;
mod wait;

pub use array_queue::{ArrayQueue, IntoIter as ArrayQueueIntoIter};
pub use event_count::{EventCount, Key, SPIN_ROUNDS, YIELD_ROUNDS};
pub use linked_queue::{IntoIter as LinkedQueueIntoIter, LinkedQueue};
pub use queue::Queue;
pub use wait::WaitStrategy;

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
