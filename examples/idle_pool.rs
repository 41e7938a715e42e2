//! An idle thread pool, the false alarm a futex rule must not raise: THREADS workers wait on a
//! condition variable for work that never comes, waking every POLL_MS milliseconds (a pool's
//! keep-alive poll; 0 waits without a timeout). Its threads sit in futex waits the whole
//! time, yet nobody contends for anything.
//!
//! Usage: idle_pool [SECONDS] [THREADS] [POLL_MS]   (defaults 30, 8 and 100)

use std::{
    sync::{Arc, Condvar, Mutex},
    time::{Duration, Instant},
};

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let poll_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let queue = Arc::new((Mutex::new(Vec::<u64>::new()), Condvar::new()));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let (jobs, ready) = &*queue;
                let mut jobs = jobs.lock().unwrap_or_else(|e| e.into_inner());
                while Instant::now() < deadline {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let wait = match poll_ms {
                        0 => left,
                        ms => Duration::from_millis(ms).min(left),
                    };
                    jobs = ready
                        .wait_timeout(jobs, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    jobs.clear();
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
}
