//! What the suite runs: workloads, contenders, and what one verified run reports.
//!
//! A [`Contender`] is a name plus two function pointers (whether it takes part in a workload,
//! and one run of it), so the suite's interleaving, tables, ratios and chart work the same on
//! raw queues, blocking channels, async channels and broadcast rings. Each section builds its
//! contenders from its adapters with [`Contender::of`].

use super::Family;
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};

/// What a workload reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Million messages per second (higher is better).
    MmsgPerSec,
    /// Nanoseconds per operation: a round trip or a push+pop pair (lower is better).
    Ns,
}

impl Unit {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Unit::MmsgPerSec => "Mmsg/s",
            Unit::Ns => "ns",
        }
    }

    /// Whether a bigger figure is better.
    pub fn higher_is_better(self) -> bool {
        self == Unit::MmsgPerSec
    }
}

/// The shape of a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `producers` threads (or tasks, or publishers) send, `consumers` receive; pinned to two
    /// different CPUs when `pinned` (1P1C only).
    Mpmc {
        /// Producer threads.
        producers: usize,
        /// Consumer threads.
        consumers: usize,
        /// Pin producer to the first CPU and consumer to the second.
        pinned: bool,
    },
    /// A round trip between two pinned threads (or a latency: the figure is in ns).
    PingPong,
    /// One thread: push then pop, repeatedly.
    SingleThread,
}

/// One workload: a name, a shape and a default size.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Short id used on the command line and in criterion group names, e.g. "1p1c".
    pub key: &'static str,
    /// Description for tables.
    pub title: &'static str,
    /// Shape.
    pub kind: Kind,
    /// Messages (throughput), round trips (ping-pong) or pairs (single thread) in a default
    /// run; scaled by [`Scale`].
    pub ops: u64,
}

impl Workload {
    /// A throughput workload of `producers` and `consumers`.
    pub const fn mpmc(
        key: &'static str,
        title: &'static str,
        producers: usize,
        consumers: usize,
        pinned: bool,
        ops: u64,
    ) -> Workload {
        let kind = Kind::Mpmc {
            producers,
            consumers,
            pinned,
        };
        Workload {
            key,
            title,
            kind,
            ops,
        }
    }

    /// A workload whose figure is a time in ns (a round trip, a latency).
    pub const fn round_trip(key: &'static str, title: &'static str, ops: u64) -> Workload {
        Workload {
            key,
            title,
            kind: Kind::PingPong,
            ops,
        }
    }

    /// The unit this workload reports in.
    pub fn unit(&self) -> Unit {
        match self.kind {
            Kind::Mpmc { .. } => Unit::MmsgPerSec,
            Kind::PingPong | Kind::SingleThread => Unit::Ns,
        }
    }
}

/// How much of each workload's default size to run.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Multiplier on [`Workload::ops`].
    pub factor: f64,
}

impl Scale {
    /// The operation count of `workload` at this scale (at least 1000, rounded to a multiple
    /// of the producer count so every producer sends the same number).
    pub fn ops(&self, workload: &Workload) -> u64 {
        let ops = ((workload.ops as f64 * self.factor) as u64).max(1000);
        match workload.kind {
            Kind::Mpmc { producers, .. } => ops / producers as u64 * producers as u64,
            _ => ops,
        }
    }
}

/// The outcome of one verified run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// The reported figure, in the workload's [`Unit`].
    pub value: f64,
    /// The timed interval (for criterion's `iter_custom`).
    pub elapsed: Duration,
    /// Messages, round trips or pairs in the run.
    pub ops: u64,
}

impl Sample {
    /// `ops` messages in `elapsed`, in Mmsg/s.
    pub fn rate(elapsed: Duration, ops: u64) -> Sample {
        Sample {
            value: ops as f64 / elapsed.as_secs_f64() / 1e6,
            elapsed,
            ops,
        }
    }

    /// `ops` messages from the earliest of the workers' own start stamps to the latest of the
    /// consumers' end stamps (see `/work/shared/BENCHMARKING.md`: never the main thread's).
    pub fn span(
        starts: impl IntoIterator<Item = Instant>,
        ends: impl IntoIterator<Item = Instant>,
        ops: u64,
    ) -> Sample {
        let start = starts.into_iter().min().expect("at least one worker");
        let end = ends.into_iter().max().expect("at least one consumer");
        Sample::rate(end - start, ops)
    }

    /// The median of `hist` (ns), for `ops` round trips that took `elapsed` in all.
    pub fn median(hist: &Histogram<u64>, elapsed: Duration, ops: u64) -> Sample {
        Sample {
            value: hist.value_at_quantile(0.5) as f64,
            elapsed,
            ops,
        }
    }

    /// A latency of `ns` reported as its own figure (its `elapsed` is not a run's length).
    pub fn latency(ns: f64) -> Sample {
        Sample {
            value: ns,
            elapsed: Duration::from_nanos(ns as u64),
            ops: 1,
        }
    }
}

/// What every adapter says about itself, whatever it adapts (implemented with `named!`).
pub trait Named {
    /// Name shown in tables, e.g. "wharf ArrayQueue".
    const NAME: &'static str;
    /// Short command-line id, e.g. "wharf-array" (RESULTS.md and `benches/ab.sh` use it).
    const KEY: &'static str;
    /// Bounded, unbounded, or a reference.
    const FAMILY: Family;
    /// Whether this is one of wharf's own.
    const WHARF: bool;
}

/// One run of one workload; `None` when the contender does not take part.
pub type RunFn = fn(&Workload, &Scale) -> Option<Sample>;

/// A contender: something that can run workloads.
#[derive(Clone, Copy, Debug)]
pub struct Contender {
    /// Name for tables.
    pub name: &'static str,
    /// Short id.
    pub key: &'static str,
    /// Bounded, unbounded, or a reference.
    pub family: Family,
    /// One of wharf's own.
    pub wharf: bool,
    /// Runs one workload once; `None` when this contender does not take part in it.
    pub run: RunFn,
    /// Whether this contender takes part in a workload.
    pub takes_part: fn(&Workload) -> bool,
}

impl Contender {
    /// The contender of adapter `A`.
    pub fn of<A: Named>(run: RunFn, takes_part: fn(&Workload) -> bool) -> Contender {
        Contender {
            name: A::NAME,
            key: A::KEY,
            family: A::FAMILY,
            wharf: A::WHARF,
            run,
            takes_part,
        }
    }

    /// Whether this contender takes part in `workload`.
    pub fn applies(&self, workload: &Workload) -> bool {
        (self.takes_part)(workload)
    }

    /// Runs `workload` once, panicking if this contender does not take part.
    pub fn run(&self, workload: &Workload, scale: &Scale) -> Sample {
        (self.run)(workload, scale)
            .unwrap_or_else(|| panic!("{} does not run {}", self.name, workload.key))
    }
}
