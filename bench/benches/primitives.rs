//! Primitive benchmarks: written by the benchmark issue.

fn main() {}
