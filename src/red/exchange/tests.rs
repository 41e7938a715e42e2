//! The client's reading of answers, against a scripted server on the other end of an
//! in-memory pipe (the framing cases a real server seldom shows on demand: chunks with
//! extensions and trailers, bodies ended by the close, interim answers, heads split anywhere).
//! The probe against real servers (nginx, a tiny threaded one) is in tests/red.rs.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::{Connection, MOST_REDIRECTS};
use crate::parse::red::Outcome;
use crate::red::Endpoint;

const LIMIT: u64 = 1024;
const TIMEOUT: Duration = Duration::from_secs(5);

/// A connection whose server answers each request with the next of `answers`, written
/// `piece` bytes at a time, then closes when `close` or waits for the client to go. The
/// handle gives the request heads the server read.
fn serve(
    answers: Vec<Vec<u8>>,
    piece: usize,
    close: bool,
) -> (
    Connection<DuplexStream>,
    tokio::task::JoinHandle<Vec<String>>,
) {
    let (client, mut server) = tokio::io::duplex(64 * 1024);
    let handle = tokio::spawn(async move {
        let mut heads = Vec::new();
        for answer in answers {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if server.read(&mut byte).await.unwrap_or(0) == 0 {
                    return heads;
                }
                head.push(byte[0]);
            }
            heads.push(String::from_utf8(head).unwrap());
            for part in answer.chunks(piece) {
                if server.write_all(part).await.is_err() {
                    return heads;
                }
                tokio::task::yield_now().await;
            }
        }
        if !close {
            let mut rest = Vec::new();
            let _ = server.read_to_end(&mut rest).await;
        }
        heads
    });
    (Connection::new(client), handle)
}

fn endpoint() -> Endpoint {
    Endpoint::parse("http://127.0.0.1:8080/start").unwrap()
}

async fn ask(connection: &mut Connection<DuplexStream>) -> (Outcome, Option<u16>, bool) {
    let ended = connection.request(&endpoint(), TIMEOUT, LIMIT).await;
    if ended.status.is_some() {
        let (first, last) = ended.wire.expect("an answered request has its wire times");
        assert!(last >= first);
    }
    (ended.outcome, ended.status, ended.reusable)
}

fn answer(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

#[tokio::test]
async fn answers_framed_every_way_are_read_whole_and_the_connection_reused() {
    let answers = vec![
        answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
        // Chunks with an extension, a trailer, and a chunked coding after another one.
        answer(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
             4;name=value\r\nabcd\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Sum: 1\r\n\r\n",
        ),
        answer(
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
        ),
        answer("HTTP/1.1 204 No Content\r\n\r\n"),
        answer("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"),
        // Content-Length repeated alike is one length.
        answer("HTTP/1.1 503 Busy\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx"),
        answer("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"),
    ];
    for piece in [1, 3, 7, 4096] {
        let (mut connection, server) = serve(answers.clone(), piece, false);
        let expected = [
            (Outcome::Ok, 200),
            (Outcome::Ok, 200),
            (Outcome::Http4xx, 404),
            (Outcome::Ok, 204),
            (Outcome::Ok, 304),
            (Outcome::Http5xx, 503),
            (Outcome::Ok, 200),
        ];
        for (n, (outcome, status)) in expected.into_iter().enumerate() {
            assert_eq!(
                ask(&mut connection).await,
                (outcome, Some(status), true),
                "answer {n}, written {piece} bytes at a time"
            );
        }
        drop(connection);
        let heads = server.await.unwrap();
        assert_eq!(heads.len(), 7, "one connection carried every request");
        assert!(heads[0].starts_with("GET /start HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"));
    }
}

#[tokio::test]
async fn answers_that_end_the_connection_are_not_reused() {
    let cases = [
        (
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
            Outcome::Ok,
        ),
        (
            "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 0\r\n\r\n",
            Outcome::Ok,
        ),
        (
            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Outcome::Ok,
        ),
        // No length: the body ends with the connection.
        (
            "HTTP/1.1 500 Oops\r\n\r\nthe rest of the connection",
            Outcome::Http5xx,
        ),
        // Not chunked last: also ended by the close.
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nzzzz",
            Outcome::Ok,
        ),
        // Bytes after the answer nobody asked for (read with it: written in one piece).
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n",
            Outcome::Ok,
        ),
    ];
    for (text, outcome) in cases {
        let piece = if text.contains("okHTTP") { 4096 } else { 5 };
        let (mut connection, _server) = serve(vec![answer(text)], piece, true);
        let (got, status, reusable) = ask(&mut connection).await;
        assert_eq!((got, reusable), (outcome, false), "{text:?}");
        assert!(status.is_some(), "{text:?}");
    }
}

#[tokio::test]
async fn broken_answers_end_with_their_class() {
    let long_head = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(70 * 1024));
    let many_headers = format!("HTTP/1.1 200 OK\r\n{}\r\n", "X: y\r\n".repeat(101));
    let cases = [
        ("HELLO THERE\r\n\r\n".to_string(), Outcome::Protocol),
        (long_head, Outcome::Protocol),
        (many_headers, Outcome::Protocol),
        (
            "HTTP/1.1 101 Switching\r\n\r\n".to_string(),
            Outcome::Protocol,
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx".to_string(),
            Outcome::Protocol,
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n".to_string(),
            Outcome::Protocol,
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_string(),
            Outcome::Protocol,
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n".to_string(),
            Outcome::Protocol,
        ),
        // Over the body limit: declared, chunked, or ended by the close.
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n".to_string(),
            Outcome::BodyTooBig,
        ),
        (
            format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n{}\r\n0\r\n\r\n",
                "a".repeat(1025)
            ),
            Outcome::BodyTooBig,
        ),
        (
            format!("HTTP/1.1 200 OK\r\n\r\n{}", "a".repeat(2000)),
            Outcome::BodyTooBig,
        ),
        // The connection ends before the answer does.
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort".to_string(),
            Outcome::Connection,
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Le".to_string(),
            Outcome::Connection,
        ),
        (String::new(), Outcome::Connection),
    ];
    for (text, outcome) in cases {
        let (mut connection, _server) = serve(vec![answer(&text)], 4096, true);
        let (got, status, reusable) = ask(&mut connection).await;
        let shown: String = text.chars().take(80).collect();
        assert_eq!((got, status, reusable), (outcome, None, false), "{shown:?}");
    }
}

#[tokio::test]
async fn redirects_on_the_same_site_are_followed_on_the_connection_and_loops_end() {
    let (mut connection, server) = serve(
        vec![
            answer("HTTP/1.1 301 Moved\r\nLocation: /next?x=1\r\nContent-Length: 0\r\n\r\n"),
            answer(
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:8080/last\r\nContent-Length: 3\r\n\r\nabc",
            ),
            answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            // Off the site: the redirect is the answer.
            answer(
                "HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n",
            ),
        ],
        4096,
        false,
    );
    assert_eq!(ask(&mut connection).await, (Outcome::Ok, Some(200), true));
    assert_eq!(ask(&mut connection).await, (Outcome::Ok, Some(302), true));
    drop(connection);
    let heads = server.await.unwrap();
    let lines: Vec<&str> = heads.iter().map(|h| h.lines().next().unwrap()).collect();
    assert_eq!(
        lines,
        [
            "GET /start HTTP/1.1",
            "GET /next?x=1 HTTP/1.1",
            "GET /last HTTP/1.1",
            "GET /start HTTP/1.1"
        ]
    );

    let looping = answer("HTTP/1.1 302 Found\r\nLocation: /start\r\nContent-Length: 0\r\n\r\n");
    let rounds = MOST_REDIRECTS as usize + 1;
    let (mut connection, server) = serve(vec![looping; rounds], 4096, false);
    assert_eq!(
        ask(&mut connection).await,
        (Outcome::RedirectLoop, None, false)
    );
    drop(connection);
    assert_eq!(server.await.unwrap().len(), rounds);
}

#[tokio::test]
async fn a_server_that_does_not_answer_times_out_and_one_that_closed_is_seen_before_reuse() {
    let (client, _server) = tokio::io::duplex(1024);
    let mut silent = Connection::new(client);
    let ended = silent
        .request(&endpoint(), Duration::from_millis(50), LIMIT)
        .await;
    assert_eq!(ended.outcome, Outcome::Timeout);

    let ok = answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let (mut open, _server) = serve(vec![ok.clone(), ok.clone()], 4096, false);
    assert_eq!(ask(&mut open).await, (Outcome::Ok, Some(200), true));
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(!open.closed_while_idle().await, "still open");
    assert_eq!(ask(&mut open).await, (Outcome::Ok, Some(200), true));

    let (mut closed, server) = serve(vec![ok], 4096, true);
    assert_eq!(ask(&mut closed).await, (Outcome::Ok, Some(200), true));
    server.await.unwrap();
    assert!(
        !closed.closed_while_idle().await,
        "not looked at straight after an answer"
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(closed.closed_while_idle().await, "closed while idle");
}
