//! A steady memory hog for perf_manual's scenario tests: it holds MIB mebibytes and keeps
//! writing to every page of them, at most RATE mebibytes a second. In a memory cgroup smaller
//! than MIB with swap on, the kernel must keep swapping its pages out and in. stress-ng's vm
//! stressor writes as fast as it can, faster than a virtual disk swaps, so the kernel gives up
//! reclaiming and OOM-kills it; a bounded rate makes the load swapping, not killing.
//!
//! Usage: memory_hog [MIB] [SECONDS] [RATE]   (defaults 300, 10 and 100)

use std::time::{Duration, Instant};

const PAGE: usize = 4096;
const MIB: usize = 1 << 20;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut next = |default: u64| args.next().and_then(|a| a.parse().ok()).unwrap_or(default);
    let mib = next(300) as usize;
    let seconds = next(10);
    let rate = next(100).max(1);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let per_mib = Duration::from_secs(1) / rate as u32;
    let mut memory = vec![0_u8; mib * MIB];
    let mut pass: u8 = 0;
    while Instant::now() < deadline {
        pass = pass.wrapping_add(1);
        for chunk in memory.chunks_mut(MIB) {
            let started = Instant::now();
            for page in chunk.chunks_mut(PAGE) {
                page[0] = pass;
            }
            std::hint::black_box(&chunk[0]);
            if let Some(rest) = per_mib.checked_sub(started.elapsed()) {
                std::thread::sleep(rest);
            }
            if Instant::now() >= deadline {
                return;
            }
        }
    }
}
