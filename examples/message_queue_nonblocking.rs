//! The article's non-blocking variant: the consumer polls with `try_recv` and does other work
//! (here, counting idle polls) while nothing is there, instead of blocking.
//!
//! The article's version looped exactly ten times and silently skipped a message whenever a
//! poll found the queue empty. Here an empty poll is told apart from a finished producer
//! (`TryRecvError::Empty` against `TryRecvError::Disconnected`), so every message is printed, in
//! order.
//!
//! Run with `cargo run --example message_queue_nonblocking`.

use std::thread;

use wharf::channel::TryRecvError;

fn main() {
    let (tx, rx) = wharf::channel::bounded(4);

    let producer = thread::spawn(move || {
        for i in 0..10 {
            tx.send(format!("Message {i}"))
                .expect("the consumer is alive");
        }
    });

    let mut idle_polls = 0u64;
    loop {
        match rx.try_recv() {
            Ok(message) => println!("{message}"),
            Err(TryRecvError::Empty) => {
                idle_polls += 1; // a real service would do other work here
                thread::yield_now();
            }
            Err(TryRecvError::Disconnected) => break,
        }
    }
    producer.join().expect("the producer does not panic");
    eprintln!("(polled an empty channel {idle_polls} times)");
}
