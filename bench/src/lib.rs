//! Benchmarks of every saltrelay layer live in `benches/`; the report generator that turns
//! their results into `reports/bench/` lands with the benchmark issue.
