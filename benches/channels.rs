//! Criterion benchmarks of the suite's channel workloads: `cargo bench --bench channels`.
//!
//! The same harness code as `benches/suite.rs` (`common::channels`), timed by criterion
//! through `iter_custom`: one criterion iteration is one whole verified run, and `iter_custom`
//! returns the sum of those runs' own intervals (earliest worker start to last consumer's end
//! for throughput, the ping side's loop for ping-pong). Groups are named by workload,
//! functions by contender.
//!
//! The wake-up latency workloads are left out: a run sleeps a millisecond per message but
//! reports a latency of microseconds, and criterion, which sizes its iteration counts from
//! the reported times, would run them for hours. Use `cargo bench --bench suite -- chan-wake`.
//!
//! Sizes are a quarter of the suite's, with 10 samples and a short measurement time. Criterion
//! does not interleave contenders, so prefer the suite for wharf/peer ratios on this noisy
//! 2-CPU machine; this target is for criterion's history and regression reports.

mod common;

use common::channels::{self, WAKE, WAKE_P99};
use common::workloads::{self, atomic_contender, Scale};
use criterion::{Criterion, SamplingMode, Throughput};
use std::time::Duration;

/// Fraction of the suite's workload sizes used here.
const FACTOR: f64 = 0.25;

fn benches(c: &mut Criterion) {
    let scale = Scale { factor: FACTOR };
    let mut contenders = channels::contenders();
    contenders.push(atomic_contender());
    for workload in channels::WORKLOADS
        .iter()
        .filter(|w| w.key != WAKE && w.key != WAKE_P99)
    {
        let mut group = c.benchmark_group(workload.key);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .throughput(Throughput::Elements(scale.ops(workload)));
        for contender in contenders.iter().filter(|c| channels::applies(c, workload)) {
            group.bench_function(contender.key, |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| workloads::run(contender, workload, &scale).elapsed)
                        .sum()
                })
            });
        }
        group.finish();
    }
}

// Written out instead of `criterion_group!`/`criterion_main!`, whose generated public
// function has no doc comment (the crate warns on `missing_docs`, CI denies warnings).
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
}
