//! One connection and the requests on it: connect, write a GET, read its whole answer within
//! its limits, follow same-site redirects, and say how it ended.
//!
//! The HTTP/1.1 client is the probe's own, on httparse (the parser hyper uses): a request is
//! the same few bytes every time, so it is encoded once per endpoint and written as it is, and
//! an answer is parsed in place in the connection's buffer. hyper built a `Request`, a header
//! map and a URI per request and passed each through its dispatcher's channel to the task
//! driving the socket: 2.5 times the user CPU of a direct client per request, which on a host
//! shared with the server under test cost the probe a tenth of its requests per second against
//! wrk (bench/red-vs-wrk). What an answer may be is read as RFC 9112 says: interim 1xx answers
//! skipped, no body after 204 and 304, a body framed by `Transfer-Encoding: chunked`, by
//! `Content-Length`, or by the end of the connection; `Connection: close`, HTTP/1.0 without
//! keep-alive, or bytes after the answer end the connection's reuse.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::endpoint::Endpoint;
use super::tls::{Stream, Tls};
use crate::parse::red::Outcome;

/// The most redirects one request follows; one more is a redirect loop.
pub const MOST_REDIRECTS: u32 = 10;
/// The most bytes of an answer's head (status line and headers), and of a chunk's size line
/// or a chunked body's trailers.
const MOST_HEAD_BYTES: usize = 64 * 1024;
/// The most headers an answer's head may have.
const MOST_HEADERS: usize = 100;
/// The most interim (1xx) answers before the answer.
const MOST_INTERIM: u32 = 10;
/// How much is read from the socket at once.
const READ_SIZE: usize = 16 * 1024;
/// A connection idle this long is looked at for a close by the server before it is reused.
const IDLE: Duration = Duration::from_millis(1);

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ended {
    pub outcome: Outcome,
    /// Whether the connection may carry the next request.
    pub reusable: bool,
    /// The last answer's status, when there was one.
    pub status: Option<u16>,
    /// When the connection started writing the request and read the last of its answer
    /// (redirects followed included), when it was answered: what wrk measures and what the
    /// kernel sees (the probe's write to its last read), none of the probe's own time around.
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

/// A keep-alive HTTP/1.1 connection.
pub struct Connection<S = Stream> {
    stream: S,
    /// Bytes read and not yet used: `buffer[start..end]`.
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    /// When its last answer was read: a connection idle since is looked at before reuse.
    last_read: Instant,
}

/// Open a keep-alive HTTP/1.1 connection to `address` (over `tls` when the endpoint is
/// https) within `timeout`.
pub async fn open(
    address: SocketAddr,
    tls: Option<&Tls>,
    timeout: Duration,
) -> Result<Connection, Outcome> {
    open_explained(address, tls, timeout)
        .await
        .map_err(|(outcome, _)| outcome)
}

/// [`open`], saying what went wrong beside its class (a TLS handshake's reason: an unknown
/// issuer, a name that does not match).
pub async fn open_explained(
    address: SocketAddr,
    tls: Option<&Tls>,
    timeout: Duration,
) -> Result<Connection, (Outcome, String)> {
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
    Ok(Connection::new(stream))
}

/// Why an answer could not be read.
#[derive(Debug)]
enum Broken {
    Io(std::io::Error),
    /// The connection ended before the answer did.
    Closed,
    /// Not an HTTP/1.1 answer, or one over the limits of a head.
    Protocol,
    BodyTooBig,
}

impl Broken {
    fn outcome(&self) -> Outcome {
        match self {
            Broken::Io(err) => io_outcome(err),
            Broken::Closed => Outcome::Connection,
            Broken::Protocol => Outcome::Protocol,
            Broken::BodyTooBig => Outcome::BodyTooBig,
        }
    }
}

impl From<std::io::Error> for Broken {
    fn from(err: std::io::Error) -> Broken {
        Broken::Io(err)
    }
}

/// What an answer said that matters to the probe.
struct Answer {
    status: u16,
    /// A redirect's target, when it stays on the endpoint.
    location: Option<String>,
    reusable: bool,
}

/// How an answer's body ends.
enum Body {
    Empty,
    Length(u64),
    Chunked,
    /// At the end of the connection.
    Close,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub fn new(stream: S) -> Connection<S> {
        Connection {
            stream,
            buffer: vec![0; READ_SIZE],
            start: 0,
            end: 0,
            last_read: Instant::now(),
        }
    }

    /// Whether the server closed the connection while it was idle: a connection idle for a
    /// while is looked at (one read that does not wait) before a request is sent on it, so a
    /// server's keep-alive timeout is not counted against it as a broken request. One in
    /// constant use is not: that would cost a read per request.
    pub async fn closed_while_idle(&mut self) -> bool {
        if self.last_read.elapsed() < IDLE {
            return false;
        }
        let mut byte = [0u8; 1];
        let mut read = tokio::io::ReadBuf::new(&mut byte);
        let polled = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::pin::Pin::new(&mut self.stream).poll_read(cx, &mut read))
        })
        .await;
        // Pending: nothing to read, the connection is open. Bytes nobody asked for, or an
        // end or error, all mean it cannot carry a request.
        !polled.is_pending()
    }

    /// Send a GET for the endpoint's path and read the whole answer, following redirects on
    /// the same site, all within `timeout`; a body over `max_body` bytes is not read further.
    pub async fn request(
        &mut self,
        endpoint: &Endpoint,
        timeout: Duration,
        max_body: u64,
    ) -> Ended {
        tokio::time::timeout(timeout, self.follow(endpoint, max_body))
            .await
            .unwrap_or(Ended::failed(Outcome::Timeout))
    }

    async fn follow(&mut self, endpoint: &Endpoint, max_body: u64) -> Ended {
        let mut first = None;
        let mut redirected = None::<Vec<u8>>;
        for _ in 0..=MOST_REDIRECTS {
            let request = redirected.as_deref().unwrap_or(&endpoint.request);
            first.get_or_insert_with(Instant::now);
            let answer = match self.exchange(request, endpoint, max_body).await {
                Ok(answer) => answer,
                Err(broken) => return Ended::failed(broken.outcome()),
            };
            match answer.location {
                Some(path) if answer.reusable => match endpoint.request_for(&path) {
                    Some(request) => redirected = Some(request),
                    None => return Ended::failed(Outcome::Protocol),
                },
                _ => {
                    return Ended {
                        outcome: Outcome::of_status(answer.status),
                        reusable: answer.reusable,
                        status: Some(answer.status),
                        wire: first.map(|first| (first, self.last_read)),
                    };
                }
            }
        }
        Ended::failed(Outcome::RedirectLoop)
    }

    /// Write `request` and read its answer.
    async fn exchange(
        &mut self,
        request: &[u8],
        endpoint: &Endpoint,
        max_body: u64,
    ) -> Result<Answer, Broken> {
        self.stream.write_all(request).await?;
        // A no-op on a socket; TLS sends its records here.
        self.stream.flush().await?;
        let (mut answer, body) = self.head(endpoint, max_body).await?;
        let ended_by_close = matches!(body, Body::Close);
        match body {
            Body::Empty => {}
            Body::Length(length) => self.skip(length).await?,
            Body::Chunked => self.chunks(max_body).await?,
            Body::Close => self.until_closed(max_body).await?,
        }
        // Bytes after the answer were not asked for: the connection is not trusted further.
        answer.reusable &= !ended_by_close && self.unread() == 0;
        Ok(answer)
    }

    /// The bytes read and not yet used.
    fn unread(&self) -> usize {
        self.end - self.start
    }

    /// Read more bytes into the buffer; an end of the connection is `Closed`. The buffer
    /// grows only while a head or a line is longer than it (they are bounded).
    async fn fill(&mut self) -> Result<(), Broken> {
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buffer.len() {
            self.buffer.resize(self.buffer.len() * 2, 0);
        }
        match self.stream.read(&mut self.buffer[self.end..]).await? {
            0 => Err(Broken::Closed),
            read => {
                self.end += read;
                self.last_read = Instant::now();
                Ok(())
            }
        }
    }

    /// Read an answer's head, interim 1xx answers skipped, and say how its body ends.
    async fn head(&mut self, endpoint: &Endpoint, max_body: u64) -> Result<(Answer, Body), Broken> {
        let mut interim = 0;
        loop {
            let parsed = parse_head(&self.buffer[self.start..self.end], endpoint, max_body)?;
            match parsed {
                Head::Incomplete if self.unread() > MOST_HEAD_BYTES => {
                    return Err(Broken::Protocol);
                }
                Head::Incomplete => self.fill().await?,
                Head::Interim(length) => {
                    self.start += length;
                    interim += 1;
                    if interim > MOST_INTERIM {
                        return Err(Broken::Protocol);
                    }
                }
                Head::Final(length, answer, body) => {
                    self.start += length;
                    return Ok((answer, body));
                }
            }
        }
    }

    /// Pass over `length` bytes of body.
    async fn skip(&mut self, mut length: u64) -> Result<(), Broken> {
        loop {
            let have = self.unread() as u64;
            let used = have.min(length);
            self.start += used as usize;
            length -= used;
            if length == 0 {
                return Ok(());
            }
            self.fill().await?;
        }
    }

    /// Pass over a chunked body and its trailers, at most `max_body` bytes of data.
    async fn chunks(&mut self, max_body: u64) -> Result<(), Broken> {
        let mut read = 0u64;
        loop {
            let size = loop {
                match httparse::parse_chunk_size(&self.buffer[self.start..self.end]) {
                    Ok(httparse::Status::Complete((length, size))) => {
                        self.start += length;
                        break size;
                    }
                    Ok(httparse::Status::Partial) if self.unread() <= MOST_HEAD_BYTES => {
                        self.fill().await?;
                    }
                    _ => return Err(Broken::Protocol),
                }
            };
            if size == 0 {
                return self.trailers().await;
            }
            read = read.saturating_add(size);
            if read > max_body {
                return Err(Broken::BodyTooBig);
            }
            self.skip(size).await?;
            self.expect_line_end().await?;
        }
    }

    /// The CRLF after a chunk's data.
    async fn expect_line_end(&mut self) -> Result<(), Broken> {
        while self.unread() < 2 {
            self.fill().await?;
        }
        if &self.buffer[self.start..self.start + 2] != b"\r\n" {
            return Err(Broken::Protocol);
        }
        self.start += 2;
        Ok(())
    }

    /// A chunked body's trailer fields, up to the empty line that ends them.
    async fn trailers(&mut self) -> Result<(), Broken> {
        let mut line_start = self.start;
        loop {
            let rest = &self.buffer[line_start..self.end];
            match rest.windows(2).position(|pair| pair == b"\r\n") {
                Some(0) => {
                    self.start = line_start + 2;
                    return Ok(());
                }
                Some(end) => line_start += end + 2,
                None if self.unread() > MOST_HEAD_BYTES => {
                    return Err(Broken::Protocol);
                }
                None => {
                    let offset = line_start - self.start;
                    self.fill().await?;
                    line_start = self.start + offset;
                }
            }
        }
    }

    /// Read to the end of the connection, at most `max_body` bytes.
    async fn until_closed(&mut self, max_body: u64) -> Result<(), Broken> {
        let mut read = 0u64;
        loop {
            read += self.unread() as u64;
            self.start = self.end;
            if read > max_body {
                return Err(Broken::BodyTooBig);
            }
            match self.fill().await {
                Ok(()) => {}
                Err(Broken::Closed) => return Ok(()),
                Err(broken) => return Err(broken),
            }
        }
    }
}

/// What the start of the unread bytes holds.
enum Head {
    Incomplete,
    /// An interim 1xx answer's head, this long.
    Interim(usize),
    /// The answer's head, this long: what it says and how its body ends.
    Final(usize, Answer, Body),
}

/// The answer's head at the start of `bytes`.
fn parse_head(bytes: &[u8], endpoint: &Endpoint, max_body: u64) -> Result<Head, Broken> {
    let mut headers = [httparse::EMPTY_HEADER; MOST_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let length = match response.parse(bytes) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(Head::Incomplete),
        Err(_) => return Err(Broken::Protocol),
    };
    let status = response.code.ok_or(Broken::Protocol)?;
    match status {
        // Switching protocols was not asked for.
        101 => return Err(Broken::Protocol),
        100..=199 => return Ok(Head::Interim(length)),
        _ => {}
    }
    let http_1_0 = response.version == Some(0);
    let (mut close, mut keep_alive, mut chunked, mut encoded) = (false, false, false, false);
    let mut content_length = None;
    let mut location = None;
    for header in response.headers.iter() {
        let value = std::str::from_utf8(header.value).map_err(|_| Broken::Protocol)?;
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            // Repeated, it must say the same each time (RFC 9110, 8.6).
            let length: u64 = value.trim().parse().map_err(|_| Broken::Protocol)?;
            if content_length.is_some_and(|known| known != length) {
                return Err(Broken::Protocol);
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked only counts as the last coding; any other leaves the end to the close.
            encoded = true;
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        } else if name.eq_ignore_ascii_case("location") {
            location = Some(value.trim());
        }
    }
    let body = if matches!(status, 204 | 304) {
        Body::Empty
    } else if encoded {
        // Transfer-Encoding overrides Content-Length (RFC 9112, 6.3).
        if chunked { Body::Chunked } else { Body::Close }
    } else {
        match content_length {
            Some(length) if length > max_body => return Err(Broken::BodyTooBig),
            Some(length) => Body::Length(length),
            None => Body::Close,
        }
    };
    let answer = Answer {
        status,
        location: (300..400)
            .contains(&status)
            .then(|| location.and_then(|l| endpoint.same_site(l)))
            .flatten(),
        reusable: !close && (!http_1_0 || keep_alive),
    };
    Ok(Head::Final(length, answer, body))
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

#[cfg(test)]
mod tests;
