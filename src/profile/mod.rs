//! perf script → folded stacks (inferno), flamegraphs and hotspot tables. (Being written.)
