//! Criterion benchmarks (being built).

fn main() {}
