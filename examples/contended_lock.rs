//! A real lock-contention load for perf_manual's scenario tests: THREADS threads take turns on
//! one mutex and do a little work while holding it, so almost all of them are always blocked
//! on the lock. The CPUs stay far from saturated while threads block and wake thousands of
//! times a second: the signature of a contended lock.
//!
//! Usage: contended_lock [SECONDS] [THREADS]   (defaults 30 and 8)

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let shared = Arc::new(Mutex::new(0_u64));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    let mut counter = shared.lock().unwrap_or_else(|e| e.into_inner());
                    // Work done under the lock: a short spin, then a short sleep, as a holder
                    // waiting on I/O would. Everyone else waits for it.
                    for _ in 0..2_000 {
                        *counter = std::hint::black_box(counter.wrapping_mul(31).wrapping_add(7));
                    }
                    std::thread::sleep(Duration::from_micros(50));
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
}
