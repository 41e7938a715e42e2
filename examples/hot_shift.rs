//! A program with two known hot functions, for the profile tests: `checksum` and `transform`
//! do the same work per round in mode `before`; in mode `after`, `transform` does twice as
//! much (a change that made it 2x slower). Its profile must show `transform` moving most,
//! with the Amdahl ceiling of its share.
//!
//! Usage: hot_shift before|after [SECONDS]   (default 10)

use std::time::{Duration, Instant};

// The loops use plain operators, not iterators or `wrapping_*` methods: a debug build (what
// `cargo test` builds) calls those as functions, which would take the samples instead.

/// A multiply-add chain the compiler cannot fold away.
#[inline(never)]
fn checksum(rounds: u64) -> u64 {
    let mut sum = 0_u64;
    let mut i = 0;
    while i < rounds {
        sum = (sum * 31 + i) % 1_000_000_007;
        i += 1;
    }
    sum
}

/// The same amount of work per round as `checksum`, a different function.
#[inline(never)]
fn transform(rounds: u64) -> u64 {
    let mut value = 1_u64;
    let mut i = 0;
    while i < rounds {
        value = (value * 17 + (i ^ 5)) % 998_244_353;
        i += 1;
    }
    value
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let factor = match mode.as_str() {
        "before" => 1,
        "after" => 2,
        _ => {
            eprintln!("usage: hot_shift before|after [SECONDS]");
            std::process::exit(2);
        }
    };
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut total = 0_u64;
    while Instant::now() < deadline {
        total ^= checksum(200_000);
        total ^= transform(200_000 * factor);
    }
    println!("{total}");
}
