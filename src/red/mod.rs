//! perf_manual's HTTP/1.1 load probe for RED: rate, errors by class, and the duration of every
//! request in HDR histograms, cut into windows (`parse::red::Window`) that `red-check` reports
//! and a playbook's `red-probe` step writes to raw_data/ for the judge to read back.
//!
//! It runs its own HTTP/1.1 client (`exchange`, on httparse) over tokio: N keep-alive
//! connections, each a task writing its requests and reading their answers on its socket,
//! spread over one thread per CPU, each with a single-threaded runtime of its own (as wrk runs
//! one event loop per thread).
//!
//! - **Closed model** (no `rate`): each connection sends its next request as soon as the last
//!   one is answered. Latency is from the send; as in any closed loop a slow answer holds back
//!   the requests behind it, so the percentiles undercount waits (coordinated omission).
//! - **Open model** (`rate` R): the requests are due on a fixed schedule, R per second spread
//!   over the connections (connection c's k-th at `c/R + k·N/R` s). A connection still busy
//!   when a request is due sends it late; its duration is counted from when it was sent (raw)
//!   and from when it was due (corrected, what a user arriving then waits), side by side. The
//!   corrected one counts the wait behind the requests before it as the service's durations
//!   make it, not the probe's own lateness (`Schedule::corrected`: tokio's timer wakes up to
//!   a millisecond late, and at high rates that would queue requests the service never
//!   delayed).
//!   Requests due before the end that were never sent are `missed`.
//!
//! A request counts when it ends before the end of the load. One still in flight then (sent,
//! its answer not read by the end, whether the probe dropped it or read the answer a moment
//! after) is not counted with the others: it is `in_flight`, at most one per connection, and
//! the server may well have answered and logged it. So a server's log holds the probe's
//! counted requests, its first request, and up to `in_flight` more.
//!
//! Bounded everywhere: the host is looked up once, within the timeout; one request is tried
//! first and a failure without an answer (refused, DNS, timeout, ...) ends the probe with its
//! class before any load; every request, connecting included, has the timeout; redirects are
//! followed on the same site at most [`exchange::MOST_REDIRECTS`] times; a body is read up to
//! `max_body`; a connection that fails reconnects after a backoff doubling to 250 ms; each
//! connection sends at most [`MOST_REQUESTS`]; and at the end of the duration (or on Ctrl-C)
//! every request in flight is dropped, as wrk does, so the probe ends on time whatever the
//! server does.

pub mod endpoint;
pub mod exchange;
pub mod tls;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

pub use endpoint::Endpoint;

use crate::parse::red::{Outcome, ProbeSetting, Window};

/// The most requests one connection sends in a run: a bound whatever the duration.
pub const MOST_REQUESTS: u64 = 100_000_000;
/// The most bytes of a body read when nothing says otherwise: 16 MiB.
pub const DEFAULT_MAX_BODY: u64 = 16 * 1024 * 1024;
/// The longest wait before reconnecting after a failed connection.
const LONGEST_BACKOFF: Duration = Duration::from_millis(250);
/// How often the probe looks at the Ctrl-C flag.
const INTERRUPT_POLL: Duration = Duration::from_millis(50);

/// What to load, how hard and for how long.
#[derive(Debug, Clone)]
pub struct Probe {
    pub endpoint: Endpoint,
    pub connections: u32,
    /// Requests per second over all connections (open model); `None`: closed model.
    pub rate: Option<f64>,
    pub duration: Duration,
    /// For one request, connecting and redirects included.
    pub timeout: Duration,
    /// Bytes of one answer's body read at most.
    pub max_body: u64,
    /// The length of a window.
    pub window: Duration,
}

/// What the probe measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub setting: ProbeSetting,
    pub windows: Vec<Window>,
    pub interrupted: bool,
}

impl Measured {
    /// The probe's file (`parse::red` reads it back): what `red-check --save` and a
    /// `red-probe` step write.
    pub fn file(&self) -> String {
        let mut text = crate::parse::red::format_head(&self.setting);
        for window in &self.windows {
            text.push_str(&crate::parse::red::format_window(window));
        }
        text
    }
}

/// Why the probe could not load the endpoint at all.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeError {
    /// How the first request ended, or would have.
    pub outcome: Option<Outcome>,
    /// Whether the request itself was wrong (a bad URL), rather than the endpoint unreachable.
    pub usage: bool,
    pub message: String,
}

impl ProbeError {
    pub(crate) fn usage(message: String) -> ProbeError {
        ProbeError {
            outcome: None,
            usage: true,
            message,
        }
    }

    fn environment(message: String) -> ProbeError {
        ProbeError {
            outcome: None,
            usage: false,
            message,
        }
    }
}

/// What every connection task shares.
struct Shared {
    probe: Probe,
    address: std::net::SocketAddr,
    start: Instant,
    windows: Mutex<Vec<Window>>,
    epoch_start: f64,
    /// When the load ends unless interrupted first.
    deadline: Instant,
    /// Set when the load ends (at the deadline or on Ctrl-C): a request that ends after it
    /// is not counted but in flight.
    stopping: AtomicBool,
}

impl Probe {
    /// The setting line of the probe's file.
    pub fn setting(&self) -> ProbeSetting {
        ProbeSetting {
            endpoint: self.endpoint.url.clone(),
            model: if self.rate.is_some() {
                "open"
            } else {
                "closed"
            }
            .to_string(),
            connections: self.connections,
            rate: self.rate.unwrap_or(0.0),
            seconds: self.duration.as_secs_f64(),
            timeout: self.timeout.as_secs_f64(),
        }
    }

    /// Load the endpoint for the duration (less if `interrupted` is set) and return what was
    /// measured. Fails, before any load, when one first request gets no answer.
    pub fn run(&self, interrupted: &AtomicBool) -> Result<Measured, ProbeError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(self.connections as usize)
            .max(1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|err| ProbeError::environment(format!("cannot start the probe: {err}")))?;
        let measured = runtime.block_on(self.load(interrupted, threads));
        // Connection drivers of requests dropped at the end need not be waited for.
        runtime.shutdown_background();
        measured
    }

    async fn load(&self, interrupted: &AtomicBool, threads: usize) -> Result<Measured, ProbeError> {
        let address = self.endpoint.resolve(self.timeout).await?;
        self.first_request(address).await?;
        let start = Instant::now();
        let shared = Arc::new(Shared {
            probe: self.clone(),
            address,
            start,
            deadline: start + self.duration,
            stopping: AtomicBool::new(false),
            windows: Mutex::new(Vec::new()),
            epoch_start: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0.0, |since| since.as_secs_f64()),
        });
        let (stop, stopped) = watch::channel(false);
        // As wrk does: one thread per CPU, each with a runtime of its own running its share of
        // the connections; no task moves between threads.
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                let shared = Arc::clone(&shared);
                let stopped = stopped.clone();
                let numbers: Vec<u32> = (0..self.connections)
                    .filter(|number| *number as usize % threads == thread)
                    .collect();
                std::thread::spawn(move || connections(&shared, &numbers, &stopped))
            })
            .collect();
        let deadline = shared.deadline;
        let mut was_interrupted = false;
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if interrupted.load(Ordering::SeqCst) {
                was_interrupted = true;
                break;
            }
            tokio::time::sleep((deadline - now).min(INTERRUPT_POLL)).await;
        }
        // First the flag, then the time: a request a task saw end before the flag was set
        // ended before `elapsed`, so it falls in one of the windows kept below.
        shared.stopping.store(true, Ordering::SeqCst);
        let elapsed = shared.start.elapsed().min(self.duration).as_secs_f64();
        let _ = stop.send(true);
        let ends = tokio::task::spawn_blocking(move || {
            workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap_or_default())
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        let (mut missed, mut in_flight) = (0, 0);
        // A thread that panicked lost its own counts only.
        for (number, (ended, flying)) in ends {
            let flying = u64::from(flying);
            missed += self
                .due(number, elapsed)
                .saturating_sub(ended)
                .saturating_sub(flying);
            in_flight += flying;
        }
        let mut windows = std::mem::take(
            &mut *shared
                .windows
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let width = self.window.as_secs_f64();
        let count = ((elapsed / width).ceil() as usize).max(1);
        extend(&mut windows, count, shared.epoch_start, width);
        windows.truncate(count);
        if let Some(last) = windows.last_mut() {
            last.seconds = (elapsed - (count - 1) as f64 * width).max(f64::EPSILON);
            last.missed += missed;
            last.in_flight += in_flight;
        }
        Ok(Measured {
            setting: self.setting(),
            windows,
            interrupted: was_interrupted,
        })
    }

    /// One request before the load: an endpoint that gives no answer ends the probe here.
    async fn first_request(&self, address: std::net::SocketAddr) -> Result<(), ProbeError> {
        let fail = |outcome: Outcome, detail: String| ProbeError {
            outcome: Some(outcome),
            usage: false,
            message: format!(
                "{}: {}: {} ({detail}); no load was sent",
                outcome.name(),
                self.endpoint.url,
                describe(outcome)
            ),
        };
        let mut connection =
            exchange::open_explained(address, self.endpoint.tls.as_ref(), self.timeout)
                .await
                .map_err(|(outcome, detail)| fail(outcome, detail))?;
        let ended = connection
            .request(&self.endpoint, self.timeout, self.max_body)
            .await;
        if ended.outcome.answered() {
            Ok(())
        } else {
            Err(fail(
                ended.outcome,
                format!("the first request to {address}"),
            ))
        }
    }

    /// Open model: how many requests connection `number` was due to send in the first
    /// `elapsed` seconds; closed model: none are due.
    fn due(&self, number: u32, elapsed: f64) -> u64 {
        let Some(rate) = self.rate else {
            return 0;
        };
        let offset = f64::from(number) / rate;
        let period = f64::from(self.connections) / rate;
        if elapsed <= offset {
            return 0;
        }
        ((elapsed - offset) / period).ceil() as u64
    }
}

/// Make sure `windows` has `count` windows, each `width` long from `epoch_start`.
fn extend(windows: &mut Vec<Window>, count: usize, epoch_start: f64, width: f64) {
    while windows.len() < count {
        let index = windows.len();
        windows.push(Window::new(epoch_start + index as f64 * width, width));
    }
}

/// What an outcome means, for messages.
pub fn describe(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "answered",
        Outcome::Refused => "connection refused",
        Outcome::Timeout => "timed out",
        Outcome::Dns => "the host name did not resolve",
        Outcome::Tls => "the TLS handshake failed",
        Outcome::Http4xx => "HTTP 4xx",
        Outcome::Http5xx => "HTTP 5xx",
        Outcome::RedirectLoop => "redirect loop",
        Outcome::BodyTooBig => "body too big",
        Outcome::Connection => "connection broken",
        Outcome::Protocol => "not an HTTP/1.1 answer",
    }
}

/// One connection's windows, flushed into the shared ones when a window ends: each task
/// records without a lock, and a window's histograms are merged once per task.
struct Recorder<'a> {
    shared: &'a Shared,
    index: usize,
    current: Window,
    width: f64,
}

impl<'a> Recorder<'a> {
    fn new(shared: &'a Shared) -> Recorder<'a> {
        let width = shared.probe.window.as_secs_f64();
        Recorder {
            shared,
            index: 0,
            current: Window::new(shared.epoch_start, width),
            width,
        }
    }

    fn record(&mut self, at: Instant, outcome: Outcome, durations: Option<(u64, u64)>) {
        let index = ((at - self.shared.start).as_secs_f64() / self.width) as usize;
        if index != self.index {
            self.flush();
            self.index = index;
        }
        self.current.record(outcome, durations);
    }

    fn flush(&mut self) {
        if self.current.requests() == 0 {
            return;
        }
        let mut windows = self
            .shared
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        extend(
            &mut windows,
            self.index + 1,
            self.shared.epoch_start,
            self.width,
        );
        windows[self.index].merge(&self.current);
        drop(windows);
        self.current.clear();
    }
}

/// Connections `numbers` on this thread until told to stop: for each, how many requests it
/// ended and whether one was in flight at the end.
fn connections(
    shared: &Arc<Shared>,
    numbers: &[u32],
    stopped: &watch::Receiver<bool>,
) -> Vec<(u32, (u64, bool))> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    let ends = runtime.block_on(async {
        let tasks: Vec<_> = numbers
            .iter()
            .map(|&number| {
                let shared = Arc::clone(shared);
                let stopped = stopped.clone();
                (
                    number,
                    tokio::spawn(async move { connection(&shared, number, stopped).await }),
                )
            })
            .collect();
        let mut ends = Vec::new();
        for (number, task) in tasks {
            ends.push((number, task.await.unwrap_or((0, false))));
        }
        ends
    });
    runtime.shutdown_background();
    ends
}

/// Connection `number`'s load until told to stop: how many requests it ended, and whether one
/// was in flight at the end.
async fn connection(
    shared: &Shared,
    number: u32,
    mut stopped: watch::Receiver<bool>,
) -> (u64, bool) {
    let mut recorder = Recorder::new(shared);
    let mut count = Count::default();
    tokio::select! {
        () = load(shared, number, &mut recorder, &mut count) => {}
        _ = stopped.wait_for(|stop| *stop) => {}
    }
    recorder.flush();
    (count.ended, count.in_flight)
}

/// One connection's requests: ended before the end, and whether one is in flight.
#[derive(Default)]
struct Count {
    ended: u64,
    in_flight: bool,
}

/// When each request of one connection is due.
enum Schedule {
    /// As soon as the last is answered.
    Closed,
    /// The k-th at `first + k * period`, none at or after `end`.
    Open {
        first: Instant,
        period: Duration,
        next: u32,
        end: Instant,
        /// When the connection would have been free for its next request had every request
        /// been sent when it was due and taken as long as it did.
        free: Instant,
    },
}

impl Schedule {
    /// Wait for the next request to be due and say when it was (the closed model: now).
    async fn next(&mut self) -> Instant {
        match self {
            Schedule::Closed => Instant::now(),
            Schedule::Open {
                first,
                period,
                next,
                end,
                ..
            } => {
                let due = *first + *period * *next;
                if due >= *end {
                    // Nothing more is due: wait to be stopped.
                    std::future::pending::<()>().await;
                }
                *next = next.saturating_add(1);
                if Instant::now() < due {
                    tokio::time::sleep_until(due.into()).await;
                }
                due
            }
        }
    }

    /// The request just due was not sent: it is the next one due again.
    fn again(&mut self) {
        if let Schedule::Open { next, .. } = self {
            *next = next.saturating_sub(1);
        }
    }

    /// The corrected duration of a request that was due at `due` and took `raw` on the wire:
    /// what a user arriving at `due` waited. A request due while the one before would still
    /// have been in flight waits for it: that wait behind a slow answer is the service's,
    /// and hiding it is coordinated omission. The probe's own lateness is not counted: tokio's
    /// timer ticks in milliseconds, so a connection sends up to a millisecond late, and when
    /// requests are due more often than that it sends those that fell due while it slept
    /// one after another; neither the oversleep nor the queue it makes is the service's. So
    /// the queue is the one the service's own durations make, each request starting when it
    /// was due or when the one before would have ended, whichever is later.
    fn corrected(&mut self, due: Instant, raw: Duration) -> Duration {
        match self {
            Schedule::Closed => raw,
            Schedule::Open { free, .. } => {
                let start = due.max(*free);
                *free = start + raw;
                *free - due
            }
        }
    }
}

async fn load(shared: &Shared, number: u32, recorder: &mut Recorder<'_>, count: &mut Count) {
    let probe = &shared.probe;
    let mut schedule = match probe.rate {
        None => Schedule::Closed,
        Some(rate) => Schedule::Open {
            first: shared.start + Duration::from_secs_f64(f64::from(number) / rate),
            period: Duration::from_secs_f64(f64::from(probe.connections) / rate),
            next: 0,
            end: shared.start + probe.duration,
            free: shared.start,
        },
    };
    // Whether a request that ended at `now` ended after the load did.
    let late = |now: Instant| now >= shared.deadline || shared.stopping.load(Ordering::SeqCst);
    let mut backoff = Duration::from_millis(1);
    while count.ended < MOST_REQUESTS {
        let mut connection = match exchange::open(
            shared.address,
            probe.endpoint.tls.as_ref(),
            probe.timeout,
        )
        .await
        {
            Ok(connection) => {
                backoff = Duration::from_millis(1);
                connection
            }
            Err(outcome) => {
                // The request that was due fails with the connection (nothing was sent:
                // one that fails after the end is not counted at all).
                schedule.next().await;
                let now = Instant::now();
                if late(now) {
                    return;
                }
                recorder.record(now, outcome, None);
                count.ended += 1;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(LONGEST_BACKOFF);
                continue;
            }
        };
        // The requests of one connection, until it cannot carry the next.
        while count.ended < MOST_REQUESTS {
            let due = schedule.next().await;
            // A connection the server closed while idle is replaced before anything is
            // sent (the request due goes on the new one).
            if connection.closed_while_idle().await {
                schedule.again();
                break;
            }
            let sent = Instant::now();
            count.in_flight = true;
            let result = connection
                .request(&probe.endpoint, probe.timeout, probe.max_body)
                .await;
            let now = Instant::now();
            if late(now) {
                // Ended after the end: in flight then, like one dropped at the stop.
                return;
            }
            count.in_flight = false;
            // An answered request's duration is the socket's, from its first write to
            // its answer's last read, as wrk and the kernel time it: not the probe's
            // own time around them.
            let (first, last) = result.wire.unwrap_or((sent, now));
            let raw = last.saturating_duration_since(first);
            let corrected = schedule.corrected(due, raw);
            let micros = |duration: Duration| duration.as_micros() as u64;
            recorder.record(now, result.outcome, Some((micros(corrected), micros(raw))));
            count.ended += 1;
            if !result.reusable {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Schedule;
    use std::time::{Duration, Instant};

    fn open(period: Duration) -> (Schedule, Instant) {
        let first = Instant::now();
        let schedule = Schedule::Open {
            first,
            period,
            next: 0,
            end: first + Duration::from_secs(60),
            free: first,
        };
        (schedule, first)
    }

    /// Requests due every 250 µs that each take 70 µs never queue, however late the probe's
    /// timer let them go (several due while it overslept are then sent back to back): their
    /// corrected durations are their own. One that stalls for 10 ms holds back every request
    /// due in those 10 ms, each by what was left of the stall and the answers before it.
    #[test]
    fn only_the_services_durations_queue_a_request_not_the_probes_lateness() {
        let ms = Duration::from_micros;
        let (mut schedule, first) = open(ms(250));
        for k in 0..8 {
            let due = first + ms(250) * k;
            assert_eq!(schedule.corrected(due, ms(70)), ms(70), "request {k}");
        }
        let stalled = first + ms(250) * 8;
        assert_eq!(schedule.corrected(stalled, ms(10_000)), ms(10_000));
        // Due 250 µs after the stalled one: it waits the 9,750 µs the stall had left.
        let due = stalled + ms(250);
        assert_eq!(schedule.corrected(due, ms(70)), ms(9_750 + 70));
        // The next waits for that one too, 70 µs later.
        let due = stalled + ms(500);
        assert_eq!(schedule.corrected(due, ms(70)), ms(9_500 + 70 + 70));
        // Long after, the queue has drained.
        let due = stalled + ms(20_000);
        assert_eq!(schedule.corrected(due, ms(70)), ms(70));
        // The closed model has nothing due: a request's duration is its own.
        assert_eq!(Schedule::Closed.corrected(Instant::now(), ms(5)), ms(5));
    }
}
