//! One connection and one request on it: connect, send, read the answer within its limits,
//! follow same-site redirects, and say how it ended.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::endpoint::Endpoint;
use super::tls::{Stream, Tls};
use crate::parse::red::Outcome;

/// The most redirects one request follows; one more is a redirect loop.
pub const MOST_REDIRECTS: u32 = 10;

pub type Sender = SendRequest<Empty<Bytes>>;
/// The connection's driver: reads and writes the socket for its [`Sender`].
pub type Driver = hyper::client::conn::http1::Connection<TokioIo<Timed>, Empty<Bytes>>;

/// When a connection's bytes moved, as its socket saw them: a request's first write and its
/// answer's last read. A duration between them is what wrk measures, and what the kernel
/// sees (the probe's writev to its recvfrom): none of the probe's own time before the write
/// (building the request, waiting for its turn in the runtime) or after the read.
#[derive(Debug)]
pub struct WireClock {
    base: Instant,
    /// The next write starts a request.
    armed: AtomicBool,
    /// Nanoseconds since `base` plus one; 0 for none yet.
    wrote: AtomicU64,
    read: AtomicU64,
}

impl WireClock {
    fn new() -> Self {
        WireClock {
            base: Instant::now(),
            armed: AtomicBool::new(false),
            wrote: AtomicU64::new(0),
            read: AtomicU64::new(0),
        }
    }

    /// A request is about to be handed over: its first write starts its clock.
    fn arm(&self) {
        self.wrote.store(0, Ordering::Relaxed);
        self.read.store(0, Ordering::Relaxed);
        self.armed.store(true, Ordering::Relaxed);
    }

    fn stamp(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1
    }

    fn wrote(&self) {
        if self.armed.swap(false, Ordering::Relaxed) {
            self.wrote.store(self.stamp(), Ordering::Relaxed);
        }
    }

    fn read(&self) {
        self.read.store(self.stamp(), Ordering::Relaxed);
    }

    /// The request's first write and the last read since, when both happened.
    fn span(&self) -> Option<(Instant, Instant)> {
        let at = |nanos: u64| self.base + Duration::from_nanos(nanos - 1);
        let wrote = self.wrote.load(Ordering::Relaxed);
        let read = self.read.load(Ordering::Relaxed);
        (wrote > 0 && read >= wrote).then(|| (at(wrote), at(read)))
    }
}

/// A connection's stream, telling its [`WireClock`] when bytes move.
pub struct Timed {
    stream: Stream,
    clock: Arc<WireClock>,
}

impl AsyncRead for Timed {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.clock.read();
        }
        polled
    }
}

impl AsyncWrite for Timed {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        this.clock.wrote();
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        this.clock.wrote();
        Pin::new(&mut this.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ended {
    pub outcome: Outcome,
    /// Whether the connection may carry the next request.
    pub reusable: bool,
    /// The last answer's status, when there was one.
    pub status: Option<u16>,
    /// When the connection wrote the request and read the last of its answer (redirects
    /// followed included), when it was answered.
    pub wire: Option<(Instant, Instant)>,
}

impl Ended {
    fn failed(outcome: Outcome) -> Ended {
        Ended {
            outcome,
            reusable: false,
            status: None,
            wire: None,
        }
    }
}

/// Open a keep-alive HTTP/1.1 connection to `address` (over `tls` when the endpoint is
/// https) within `timeout`; its driver runs as a task of its own until the sender is dropped.
pub async fn connect(
    address: SocketAddr,
    tls: Option<&Tls>,
    timeout: Duration,
) -> Result<Sender, (Outcome, String)> {
    let (sender, driver, _) = open_explained(address, tls, timeout).await?;
    tokio::spawn(driver);
    Ok(sender)
}

/// Open a keep-alive HTTP/1.1 connection to `address` (over `tls` when the endpoint is
/// https) within `timeout`, its driver left to the caller to poll (see [`driven`]).
pub async fn open(
    address: SocketAddr,
    tls: Option<&Tls>,
    timeout: Duration,
) -> Result<(Sender, Driver, Arc<WireClock>), Outcome> {
    open_explained(address, tls, timeout)
        .await
        .map_err(|(outcome, _)| outcome)
}

/// [`open`], saying what went wrong beside its class (a TLS handshake's reason: an unknown
/// issuer, a name that does not match).
async fn open_explained(
    address: SocketAddr,
    tls: Option<&Tls>,
    timeout: Duration,
) -> Result<(Sender, Driver, Arc<WireClock>), (Outcome, String)> {
    let stream = tokio::time::timeout(timeout, async {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|err| (io_outcome(&err), format!("connecting to {address}: {err}")))?;
        // Requests are one write each: nothing to gain from Nagle's algorithm, a delay to lose.
        let _ = stream.set_nodelay(true);
        match tls {
            None => Ok(Stream::Plain(stream)),
            Some(tls) => tls.connect(stream).await.map_err(|err| {
                (
                    Outcome::Tls,
                    format!(
                        "the TLS handshake with {address} failed: {err}; trusted: {}",
                        tls.trust
                    ),
                )
            }),
        }
    })
    .await
    .map_err(|_| (Outcome::Timeout, format!("connecting to {address}")))??;
    let clock = Arc::new(WireClock::new());
    let stream = Timed {
        stream,
        clock: Arc::clone(&clock),
    };
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| {
            (
                hyper_outcome(&err),
                format!("connecting to {address}: {err}"),
            )
        })?;
    Ok((sender, connection, clock))
}

/// Run `work` (requests on the driver's sender) while polling `driver` in the same task: no
/// hand-off to another task, perhaps on another thread, for every request and answer, which
/// cost the probe a quarter of its CPU per request. Once the driver ends (the connection
/// closed) `work` goes on alone: its request in flight fails rather than vanishing.
pub async fn driven<T>(driver: Driver, work: impl std::future::Future<Output = T>) -> T {
    use std::future::Future;
    let mut driver = std::pin::pin!(driver);
    let mut work = std::pin::pin!(work);
    let mut driving = true;
    std::future::poll_fn(|cx| {
        if driving && driver.as_mut().poll(cx).is_ready() {
            driving = false;
        }
        work.as_mut().poll(cx)
    })
    .await
}

/// Send a GET for the endpoint's path and read the whole answer, following redirects on the
/// same site, all within `timeout`; a body over `max_body` bytes is not read further.
/// `clock`, when given, is the connection's: the answer then says when the request was
/// written and its answer read ([`Ended::wire`]).
pub async fn request(
    sender: &mut Sender,
    endpoint: &Endpoint,
    timeout: Duration,
    max_body: u64,
    clock: Option<&WireClock>,
) -> Ended {
    if let Some(clock) = clock {
        clock.arm();
    }
    let mut ended = tokio::time::timeout(timeout, follow(sender, endpoint, max_body))
        .await
        .unwrap_or(Ended::failed(Outcome::Timeout));
    if ended.status.is_some() {
        ended.wire = clock.and_then(WireClock::span);
    }
    ended
}

async fn follow(sender: &mut Sender, endpoint: &Endpoint, max_body: u64) -> Ended {
    // Parsed once per endpoint, not once per request.
    let mut path = endpoint.target.clone();
    for _ in 0..=MOST_REDIRECTS {
        let answer = match once(sender, endpoint, &path, max_body).await {
            Ok(answer) => answer,
            Err(outcome) => return Ended::failed(outcome),
        };
        let next = answer
            .status
            .is_redirection()
            .then(|| {
                answer
                    .location
                    .as_deref()
                    .and_then(|l| endpoint.same_site(l))
            })
            .flatten();
        match next {
            Some(next) if answer.reusable => match next.parse() {
                Ok(next) => path = next,
                Err(_) => return Ended::failed(Outcome::Protocol),
            },
            _ => {
                return Ended {
                    outcome: Outcome::of_status(answer.status.as_u16()),
                    reusable: answer.reusable,
                    status: Some(answer.status.as_u16()),
                    wire: None,
                };
            }
        }
    }
    Ended::failed(Outcome::RedirectLoop)
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    reusable: bool,
}

async fn once(
    sender: &mut Sender,
    endpoint: &Endpoint,
    path: &hyper::Uri,
    max_body: u64,
) -> Result<Answer, Outcome> {
    sender.ready().await.map_err(|err| hyper_outcome(&err))?;
    let mut request = Request::new(Empty::<Bytes>::new());
    *request.uri_mut() = path.clone();
    let headers = request.headers_mut();
    headers.insert(header::HOST, endpoint.host_header.clone());
    headers.insert(
        header::USER_AGENT,
        header::HeaderValue::from_static("perf_manual-red-probe"),
    );
    let response = sender
        .send_request(request)
        .await
        .map_err(|err| hyper_outcome(&err))?;
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(String::from);
    let closes = response
        .headers()
        .get(header::CONNECTION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("close"));
    let declared = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_body) {
        return Err(Outcome::BodyTooBig);
    }
    let mut body = response.into_body();
    let mut read = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| hyper_outcome(&err))?;
        if let Some(data) = frame.data_ref() {
            read += data.len() as u64;
            if read > max_body {
                return Err(Outcome::BodyTooBig);
            }
        }
    }
    Ok(Answer {
        status,
        location,
        reusable: !closes,
    })
}

/// The class of a socket error.
pub fn io_outcome(err: &std::io::Error) -> Outcome {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::ConnectionRefused => Outcome::Refused,
        ErrorKind::TimedOut => Outcome::Timeout,
        _ => Outcome::Connection,
    }
}

/// The class of a hyper error: a malformed answer, or a socket error underneath.
fn hyper_outcome(err: &hyper::Error) -> Outcome {
    if err.is_parse() || err.is_parse_status() {
        return Outcome::Protocol;
    }
    if err.is_timeout() {
        return Outcome::Timeout;
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return io_outcome(io);
        }
        source = cause.source();
    }
    Outcome::Connection
}

#[cfg(test)]
mod tests {
    use super::WireClock;

    /// A request's span runs from the first write after it was armed to the last read: later
    /// writes (the rest of a request, a redirect's) do not move its start, and a clock never
    /// armed, or not yet read, has no span.
    #[test]
    fn the_wire_clock_spans_the_first_write_to_the_last_read() {
        let clock = WireClock::new();
        clock.wrote();
        clock.read();
        assert_eq!(clock.span(), None, "never armed");
        clock.arm();
        clock.wrote();
        assert_eq!(clock.span(), None, "nothing read yet");
        let (first, _) = {
            clock.read();
            clock.span().unwrap()
        };
        std::thread::sleep(std::time::Duration::from_millis(2));
        clock.wrote();
        clock.read();
        let (start, end) = clock.span().unwrap();
        assert_eq!(start, first, "a later write does not restart it");
        assert!(end.duration_since(start) >= std::time::Duration::from_millis(2));
        clock.arm();
        assert_eq!(clock.span(), None, "armed again: a new request");
    }
}
