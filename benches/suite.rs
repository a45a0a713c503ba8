//! Side-by-side benchmark suite (being built).

fn main() {}
