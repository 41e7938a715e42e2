//! A benchmark with knobs, for the regression recipes' tests: it keeps one CPU busy for
//! MILLIS milliseconds, made longer by an injected slowdown and varied by injected noise, and
//! prints how many rounds of work it did per second (`ops/s: N`), a number a recipe's
//! `[[metric]]` can read.
//!
//! Usage: spin_work [--millis 20] [--slowdown PERCENT] [--slowdown-from FILE] [--noise PERCENT]
//!
//! - `--slowdown 20` runs 20% longer, every time: the regression a recipe must catch.
//! - `--slowdown-from FILE` reads that percentage from FILE (relative to the working
//!   directory): two git revisions of a tree can differ in it alone.
//! - `--noise 30` stretches or shrinks each run by up to 30%, at random: noise a recipe must
//!   not take for a regression.
//!
//! The busy time is measured by the clock, not counted in work, so a neighbour that takes
//! the CPU away delays the end by little: the durations stay what they were told to be.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let mut millis = 20.0;
    let mut slowdown = 0.0;
    let mut noise = 0.0;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let number = |text: &str| -> f64 {
            text.trim().parse().unwrap_or_else(|_| {
                eprintln!("spin_work: {flag} wants a number, not {text:?}");
                std::process::exit(2)
            })
        };
        match flag.as_str() {
            "--millis" => millis = number(&value),
            "--slowdown" => slowdown = number(&value),
            "--slowdown-from" => {
                let text = std::fs::read_to_string(&value).unwrap_or_else(|err| {
                    eprintln!("spin_work: cannot read {value}: {err}");
                    std::process::exit(2)
                });
                slowdown = number(&text);
            }
            "--noise" => noise = number(&value),
            _ => {
                eprintln!("spin_work: unknown flag {flag}");
                std::process::exit(2)
            }
        }
    }
    // A different draw in every run: the clock's nanoseconds and the PID, mixed.
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        ^ (u64::from(std::process::id()) << 32);
    let unit = (splitmix(seed) >> 11) as f64 / (1u64 << 53) as f64;
    let factor = (1.0 + slowdown / 100.0) * (1.0 + noise / 100.0 * (2.0 * unit - 1.0));
    let busy = Duration::from_secs_f64((millis * factor).max(0.0) / 1000.0);

    let start = Instant::now();
    let mut rounds: u64 = 0;
    let mut state = seed;
    while start.elapsed() < busy {
        for _ in 0..1000 {
            state = std::hint::black_box(splitmix(state));
        }
        rounds += 1;
    }
    let seconds = start.elapsed().as_secs_f64().max(1e-9);
    println!("rounds: {rounds}");
    println!("ops/s: {:.1}", rounds as f64 / seconds);
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
