//! The article's message queue, done right: one producer sends "Message 0" … "Message 9",
//! the consumer blocks in `recv` and prints them in order.
//!
//! The article's condition-variable version cleared its "has item" flag after every receive,
//! even when more items were waiting, so a consumer could sleep with messages queued. Here the
//! wait is on the channel itself: `recv` returns as soon as any message is there, and returns
//! `Err` only once the producer is gone and every message has been received.
//!
//! Run with `cargo run --example message_queue`.

use std::thread;

fn main() {
    let (tx, rx) = wharf::channel::unbounded();

    let producer = thread::spawn(move || {
        for i in 0..10 {
            tx.send(format!("Message {i}"))
                .expect("the consumer is alive");
        }
        // `tx` is dropped here: the consumer's loop ends after the last message.
    });

    for message in rx.iter() {
        println!("{message}");
    }
    producer.join().expect("the producer does not panic");
}
