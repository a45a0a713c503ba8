//! The comparisons of a normal run, with the issues' targets: which wharf contender is
//! compared with which peers (the best of them, per resample), on which workloads, as a
//! speed-up or a cost, and the target each must clear.

use crate::common::queues::ATOMIC_KEY;
use crate::report::Comparison;

/// The headline comparisons of the README summary, by label (see `summary.rs`).
pub const ARRAY: &str = "ArrayQueue ÷ crossbeam ArrayQueue";
/// LinkedQueue against its best peer.
pub const LINKED: &str = "LinkedQueue ÷ best of SegQueue, concurrent-queue unbounded";
/// The bounded channel against its best peer.
pub const CHANNEL: &str = "channel bounded ÷ best of crossbeam-channel, kanal";
/// The unbounded channel against its best peer.
pub const CHANNEL_UNBOUNDED: &str = "channel unbounded ÷ best of crossbeam-channel, kanal";
/// The async bounded channel against its best peer.
pub const ASYNC: &str = "async bounded ÷ best of tokio mpsc, async-channel, flume, kanal";
/// The broadcast ring against the disruptor.
pub const BROADCAST: &str = "broadcast (SpinPark) ÷ disruptor (SP for 1 publisher, MP for 2)";
/// The queue ping-pong against the bare atomic.
pub const ARRAY_PINGPONG_COST: &str = "ArrayQueue ping-pong ÷ bare atomic (cost)";
/// The channel ping-pong against the bare atomic.
pub const CHANNEL_PINGPONG_COST: &str = "channel ping-pong ÷ bare atomic (cost)";
/// The async ping-pong against the best async peer.
pub const ASYNC_PINGPONG_COST: &str =
    "async ping-pong ÷ best of tokio mpsc, async-channel, flume, kanal (cost)";

/// Every comparison of a normal run, in report order.
pub fn comparisons() -> Vec<Comparison> {
    let queue_targets: fn(&str) -> Option<f64> = |w| match w {
        "1p1c" | "2p2c" | "4p1c" => Some(1.3),
        "4p4c" | "8p8c" => Some(2.0),
        _ => None,
    };
    let channel_targets: fn(&str) -> Option<f64> = |w| match w {
        "chan-1p1c" | "chan-2p2c" | "chan-4p4c" | "chan-4p1c" | "chan-8p8c" => Some(1.25),
        _ => None,
    };
    let async_targets: fn(&str) -> Option<f64> = |w| match w {
        "async-1p1c" | "async-2p2c" | "async-4p4c" | "async-4p1c" | "async-thread2task"
        | "async-task2thread" => Some(1.25),
        _ => None,
    };
    let mut all = vec![
        Comparison::new(
            "A/A: wharf ArrayQueue against itself",
            "wharf-array",
            &[crate::AA_KEY],
        )
        .aa(),
        Comparison::new(ARRAY, "wharf-array", &["crossbeam-array"]).target(queue_targets),
        Comparison::new(
            "ArrayQueue ÷ concurrent-queue bounded",
            "wharf-array",
            &["cq-bounded"],
        ),
        Comparison::new(LINKED, "wharf-linked", &["crossbeam-seg", "cq-unbounded"]).target(|w| {
            match w {
                "1p1c" | "2p2c" | "4p4c" | "4p1c" | "8p8c" => Some(1.25),
                _ => None,
            }
        }),
    ];
    all.extend(batches());
    all.extend(vec![
        Comparison::new(ARRAY_PINGPONG_COST, "wharf-array", &[ATOMIC_KEY])
            .only(&["pingpong"])
            .cost()
            .target(|_| Some(1.2)),
        Comparison::new(CHANNEL, "chan-wharf", &["chan-crossbeam", "chan-kanal"])
            .target(channel_targets),
        Comparison::new(
            CHANNEL_UNBOUNDED,
            "chan-wharf-unb",
            &["chan-crossbeam-unb", "chan-kanal-unb"],
        )
        .target(channel_targets),
        Comparison::new(
            "select! ÷ crossbeam-channel select! (bounded)",
            "chan-wharf",
            &["chan-crossbeam"],
        )
        .only(&["chan-select"])
        .target(|_| Some(1.25)),
        Comparison::new(
            "select! ÷ crossbeam-channel select! (unbounded)",
            "chan-wharf-unb",
            &["chan-crossbeam-unb"],
        )
        .only(&["chan-select"])
        .target(|_| Some(1.25)),
        Comparison::new(
            "rendezvous channel ÷ crossbeam-channel bounded(0)",
            "chan-wharf-zero",
            &["chan-crossbeam-zero"],
        )
        .target(|w| match w {
            "chan-pingpong" | "chan-2p2c" => Some(1.25),
            _ => None,
        }),
        Comparison::new(
            "rendezvous channel ÷ best of kanal, flume bounded(0)",
            "chan-wharf-zero",
            &["chan-kanal-zero", "chan-flume-zero"],
        ),
        Comparison::new(CHANNEL_PINGPONG_COST, "chan-wharf", &[ATOMIC_KEY])
            .only(&["chan-pingpong"])
            .cost()
            .target(|_| Some(1.5)),
        Comparison::new(BROADCAST, "wharf-bcast", &["disruptor"])
            .only(&["b1to2", "b1to4", "b2to2"])
            .target(|w| match w {
                "b2to2" => Some(2.0),
                _ => Some(1.25),
            }),
        Comparison::new(
            "broadcast (SpinYield) ÷ disruptor",
            "wharf-bcast-yield",
            &["disruptor"],
        )
        .only(&["b1to2", "b1to4", "b2to2"]),
        Comparison::new("broadcast (SpinPark) ÷ bus", "wharf-bcast", &["bus"])
            .only(&["b1to2", "b1to4"]),
        Comparison::new(
            "broadcast (SpinPark) ÷ tokio broadcast (publisher waits on len())",
            "wharf-bcast",
            &["tokio-bcast"],
        )
        .only(&["b1to2", "b1to4"]),
        Comparison::new(
            "broadcast lossy ÷ tokio broadcast (both lossy)",
            "wharf-bcast-lossy",
            &["tokio-bcast-lossy"],
        )
        .only(&["blossy1to2"])
        .target(|_| Some(4.0)),
        Comparison::new(
            "broadcast (SpinPark) ÷ disruptor BusySpin (budgeted)",
            "wharf-bcast",
            &["disruptor-busyspin"],
        ),
        Comparison::new(
            "broadcast (SpinPark) ÷ crossbeam-channel fan-out",
            "wharf-bcast",
            &["crossbeam-fanout"],
        ),
        Comparison::new(
            "broadcast latency ÷ best peer",
            "wharf-bcast",
            &["disruptor", "bus", "tokio-bcast", "crossbeam-fanout"],
        )
        .only(&["blatency"]),
        Comparison::new(
            ASYNC,
            "async-wharf",
            &["async-tokio", "async-achan", "async-flume", "async-kanal"],
        )
        .only(&[
            "async-1p1c",
            "async-2p2c",
            "async-4p4c",
            "async-4p1c",
            "async-thread2task",
            "async-task2thread",
        ])
        .target(async_targets),
        Comparison::new(
            "async unbounded ÷ best of tokio mpsc, async-channel, flume, kanal",
            "async-wharf-unb",
            &[
                "async-tokio-unb",
                "async-achan-unb",
                "async-flume-unb",
                "async-kanal-unb",
            ],
        )
        .target(async_targets),
        Comparison::new(
            ASYNC_PINGPONG_COST,
            "async-wharf",
            &["async-tokio", "async-achan", "async-flume", "async-kanal"],
        )
        .only(&["async-pingpong"])
        .cost()
        .target(|_| Some(1.0)),
        Comparison::new(
            "channel wake-up latency ÷ best of crossbeam-channel, flume, kanal",
            "chan-wharf",
            &["chan-crossbeam", "chan-flume", "chan-kanal"],
        )
        .only(&["chan-wake", "chan-wake-p99"])
        .target(|_| Some(1.0)),
    ]);
    all
}

/// A queue's batch contenders: the queue, its single-operation key, its peers, and the key
/// of each batch size.
struct Batched {
    queue: &'static str,
    single: &'static str,
    peers: &'static [&'static str],
    batches: [(usize, &'static str); 4],
}

const BATCHED: [Batched; 2] = [
    Batched {
        queue: "ArrayQueue",
        single: "wharf-array",
        peers: &["crossbeam-array"],
        batches: [
            (1, "wharf-array-b1"),
            (8, "wharf-array-b8"),
            (32, "wharf-array-b32"),
            (256, "wharf-array-b256"),
        ],
    },
    Batched {
        queue: "LinkedQueue",
        single: "wharf-linked",
        peers: &["crossbeam-seg", "cq-unbounded"],
        batches: [
            (1, "wharf-linked-b1"),
            (8, "wharf-linked-b8"),
            (32, "wharf-linked-b32"),
            (256, "wharf-linked-b256"),
        ],
    },
];

/// Per queue, for batches of 1, 8, 32 and 256: the batches against the queue's peers moving
/// one value at a time (they have no batch methods), and against the queue's own single
/// operations (target 3× for batches of 32 at 1P1C).
fn batches() -> Vec<Comparison> {
    let mut out = Vec::new();
    for Batched {
        queue,
        single,
        peers,
        batches,
    } in BATCHED
    {
        let who = match peers {
            [one] => one.to_string(),
            _ => format!("best of {}", peers.join(", ")),
        };
        for (n, key) in batches {
            out.push(Comparison::new(
                format!("{queue}, batches of {n} ÷ {who} (one at a time: no batches)"),
                key,
                peers,
            ));
            let vs_single = Comparison::new(
                format!("{queue}, batches of {n} ÷ wharf {queue} one at a time"),
                key,
                &[single],
            );
            out.push(if n == 32 {
                vs_single.target(|w| (w == "1p1c").then_some(3.0))
            } else {
                vs_single
            });
        }
    }
    out
}
