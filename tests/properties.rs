//! Property tests: on one thread, any sequence of operations gives exactly the answers of a
//! `VecDeque` model (bounded for `ArrayQueue`, unbounded for `LinkedQueue`), both through the
//! inherent methods and through the `Queue` trait.

mod common;

use std::collections::VecDeque;

use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use wharf::{ArrayQueue, LinkedQueue, Queue};

/// One operation on a queue.
#[derive(Clone, Debug)]
enum Op {
    Push(u16),
    Pop,
    ForcePush(u16),
    Len,
    IsEmpty,
    IsFull,
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Self {
        // Pushes and pops dominate so that queues fill and empty often.
        match u8::arbitrary(g) % 10 {
            0..=2 => Op::Push(u16::arbitrary(g)),
            3..=5 => Op::Pop,
            6 => Op::ForcePush(u16::arbitrary(g)),
            7 => Op::Len,
            8 => Op::IsEmpty,
            _ => Op::IsFull,
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        match *self {
            Op::Push(v) => Box::new(v.shrink().map(Op::Push)),
            Op::ForcePush(v) => Box::new(v.shrink().map(Op::ForcePush).chain([Op::Push(v)])),
            _ => Box::new(std::iter::empty()),
        }
    }
}

/// A bounded or unbounded `VecDeque` model.
struct Model {
    items: VecDeque<u16>,
    cap: Option<usize>,
}

impl Model {
    fn full(&self) -> bool {
        self.cap.is_some_and(|c| self.items.len() >= c)
    }
    fn push(&mut self, v: u16) -> Result<(), u16> {
        if self.full() {
            Err(v)
        } else {
            self.items.push_back(v);
            Ok(())
        }
    }
    fn force_push(&mut self, v: u16) -> Option<u16> {
        let evicted = if self.full() {
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back(v);
        evicted
    }
}

/// How many cases each property runs.
fn checker() -> QuickCheck {
    QuickCheck::new().tests(common::scaled(500) as u64)
}

/// Cap 1..=16 and 0..=3 laps before the positions wrap around `usize`.
fn array_queue(cap: u8, laps: u8) -> (ArrayQueue<u16>, usize) {
    let cap = usize::from(cap % 16) + 1;
    let laps = usize::from(laps % 4);
    let q = if laps == 0 {
        ArrayQueue::new(cap)
    } else {
        ArrayQueue::__with_initial_lap(cap, laps)
    };
    (q, cap)
}

fn array_matches_model(cap: u8, laps: u8, ops: Vec<Op>) -> TestResult {
    let (q, cap) = array_queue(cap, laps);
    let mut m = Model {
        items: VecDeque::new(),
        cap: Some(cap),
    };
    for op in ops {
        let ok = match op {
            Op::Push(v) => q.push(v) == m.push(v),
            Op::ForcePush(v) => q.force_push(v) == m.force_push(v),
            Op::Pop => q.pop() == m.items.pop_front(),
            Op::Len => q.len() == m.items.len(),
            Op::IsEmpty => q.is_empty() == m.items.is_empty(),
            Op::IsFull => q.is_full() == m.full(),
        };
        if !ok || q.len() != m.items.len() || q.capacity() != cap {
            return TestResult::failed();
        }
    }
    // What is left comes out in order.
    TestResult::from_bool(q.into_iter().eq(m.items))
}

fn linked_matches_model(ops: Vec<Op>) -> TestResult {
    let q = LinkedQueue::new();
    let mut m = Model {
        items: VecDeque::new(),
        cap: None,
    };
    for op in ops {
        let ok = match op {
            // No force_push on an unbounded queue: a plain push.
            Op::Push(v) | Op::ForcePush(v) => {
                q.push(v);
                m.push(v) == Ok(())
            }
            Op::Pop => q.pop() == m.items.pop_front(),
            Op::Len => q.len() == m.items.len(),
            Op::IsEmpty => q.is_empty() == m.items.is_empty(),
            Op::IsFull => Queue::is_full(&q) == m.full(),
        };
        if !ok || q.len() != m.items.len() {
            return TestResult::failed();
        }
    }
    TestResult::from_bool(q.into_iter().eq(m.items))
}

/// Runs `ops` through the `Queue` trait alone.
fn trait_matches_model<Q: Queue<u16>>(q: &Q, ops: Vec<Op>) -> bool {
    let mut m = Model {
        items: VecDeque::new(),
        cap: q.capacity(),
    };
    for op in ops {
        let ok = match op {
            Op::Push(v) | Op::ForcePush(v) => q.try_push(v) == m.push(v),
            Op::Pop => q.try_pop() == m.items.pop_front(),
            Op::Len => q.len() == m.items.len(),
            Op::IsEmpty => q.is_empty() == m.items.is_empty(),
            Op::IsFull => q.is_full() == m.full(),
        };
        if !ok || q.len() != m.items.len() {
            return false;
        }
    }
    while let Some(v) = q.try_pop() {
        if m.items.pop_front() != Some(v) {
            return false;
        }
    }
    m.items.is_empty()
}

#[test]
fn array_queue_matches_model() {
    checker().quickcheck(array_matches_model as fn(u8, u8, Vec<Op>) -> TestResult);
}

#[test]
fn linked_queue_matches_model() {
    checker().quickcheck(linked_matches_model as fn(Vec<Op>) -> TestResult);
}

#[test]
fn queue_trait_matches_model() {
    fn array(cap: u8, laps: u8, ops: Vec<Op>) -> bool {
        trait_matches_model(&array_queue(cap, laps).0, ops)
    }
    fn linked(ops: Vec<Op>) -> bool {
        trait_matches_model(&LinkedQueue::new(), ops)
    }
    checker().quickcheck(array as fn(u8, u8, Vec<Op>) -> bool);
    checker().quickcheck(linked as fn(Vec<Op>) -> bool);
}

#[test]
fn long_runs_match_model() {
    // Longer sequences than quickcheck's default size, so small rings wrap many times and
    // the linked queue spans many nodes.
    let mut g = Gen::new(2_000);
    for _ in 0..common::scaled(20) {
        let (cap, laps) = (u8::arbitrary(&mut g), u8::arbitrary(&mut g));
        let ops: Vec<Op> = (0..2_000).map(|_| Op::arbitrary(&mut g)).collect();
        assert!(!array_matches_model(cap, laps, ops.clone()).is_failure());
        assert!(!linked_matches_model(ops).is_failure());
    }
}
