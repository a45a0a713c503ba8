//! The article's message queue with its goroutines as async tasks: a producer task sends
//! "Message 0" … "Message 9", a consumer task awaits them and prints them in order, on a
//! tokio runtime with two worker threads.
//!
//! The article's consumer goroutine had no way to learn that the producer was done; here the
//! stream of the receiver ends once the producer task (holding the only sender) finishes and
//! every message has been received. The consumer also races each receive against a timer,
//! as a service waiting for "a message or a tick" would: a receive future dropped by the
//! timer loses nothing (`recv_async` is cancel-safe), so every message still arrives once.
//!
//! wharf itself depends on no runtime: the same code runs on any executor.
//!
//! Run with `cargo run --example message_queue_async`.

use std::time::Duration;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");

    runtime.block_on(async {
        let (tx, rx) = wharf::channel::bounded(4);

        let producer = tokio::spawn(async move {
            for i in 0..10 {
                tx.send_async(format!("Message {i}"))
                    .await
                    .expect("the consumer is alive");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            // `tx` is dropped here: the consumer's loop ends after the last message.
        });

        let consumer = tokio::spawn(async move {
            let (mut received, mut ticks) = (0, 0);
            loop {
                tokio::select! {
                    message = rx.recv_async() => match message {
                        Ok(message) => {
                            println!("{message}");
                            received += 1;
                        }
                        Err(_disconnected) => break,
                    },
                    _ = tokio::time::sleep(Duration::from_micros(300)) => ticks += 1,
                }
            }
            (received, ticks)
        });

        producer.await.expect("the producer does not panic");
        let (received, ticks) = consumer.await.expect("the consumer does not panic");
        assert_eq!(received, 10, "every message arrives exactly once");
        eprintln!("(the timer fired {ticks} times while the consumer waited)");
    });
}
