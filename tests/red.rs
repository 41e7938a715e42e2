//! `red-check` and the RED tables against servers that really answer: a tiny HTTP/1.1 server in
//! this test, told which latency, errors and stalls to inject and counting what it served, and
//! a real nginx started by the test, whose own access log is the independent count. Every load
//! lasts a few seconds on 127.0.0.1; run it under `flock /work/load.lock`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

/// What the test server does with its n-th request (from 0; the probe's first request is 0).
#[derive(Clone, Copy)]
struct Behaviour {
    /// Slept before every answer.
    delay: Duration,
    /// Every this many requests (the last of each run of them) answers 500; 0: never.
    error_every: u64,
    /// The n-th request sleeps this long instead of `delay`.
    stall: Option<(u64, Duration)>,
    /// What it answers.
    answer: Answer,
    /// A connection idle this long is closed (a keep-alive timeout); `None`: never.
    idle_close: Option<Duration>,
}

#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Ok,
    NotFound,
    /// 302 to itself.
    RedirectLoop,
    /// A Content-Length of 1 MB.
    Huge,
    /// Not HTTP at all.
    Garbage,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            delay: Duration::ZERO,
            error_every: 0,
            stall: None,
            answer: Answer::Ok,
            idle_close: None,
        }
    }
}

/// The server: a thread per connection, keep-alive, stopped when dropped.
struct Server {
    port: u16,
    served: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let next = Arc::new(AtomicU64::new(0));
        let (served2, errors2, stop2) = (served.clone(), errors.clone(), stop.clone());
        thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (served, errors, next, stop) = (
                            served2.clone(),
                            errors2.clone(),
                            next.clone(),
                            stop2.clone(),
                        );
                        thread::spawn(move || {
                            serve(stream, behaviour, &served, &errors, &next, &stop)
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            port,
            served,
            errors,
            stop,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    stream: TcpStream,
    behaviour: Behaviour,
    served: &AtomicU64,
    errors: &AtomicU64,
    next: &AtomicU64,
    stop: &AtomicBool,
) {
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(
            behaviour.idle_close.unwrap_or(Duration::from_millis(200)),
        ))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        // Read one request head; a read timeout only lets the stop flag be seen, or ends a
        // connection idle for `idle_close`.
        let mut head_done = false;
        let mut started = false;
        let mut line = String::new();
        while !head_done {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => return,
                Ok(_) => {
                    started = true;
                    head_done = line == "\r\n";
                }
                Err(_) if stop.load(Ordering::SeqCst) => return,
                Err(_) if behaviour.idle_close.is_some() && !started && line.is_empty() => return,
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return,
            }
        }
        let n = next.fetch_add(1, Ordering::SeqCst);
        let pause = match behaviour.stall {
            Some((at, stall)) if at == n => stall,
            _ => behaviour.delay,
        };
        thread::sleep(pause);
        let fail =
            behaviour.error_every > 0 && n % behaviour.error_every == behaviour.error_every - 1;
        let response: Vec<u8> = match behaviour.answer {
            Answer::Garbage => b"HELLO THERE\r\n\r\n".to_vec(),
            Answer::RedirectLoop => {
                b"HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n".to_vec()
            }
            Answer::Huge => b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n".to_vec(),
            Answer::NotFound => b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno".to_vec(),
            Answer::Ok if fail => {
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\nno".to_vec()
            }
            Answer::Ok => b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        };
        if writer.write_all(&response).is_err() {
            return;
        }
        served.fetch_add(1, Ordering::SeqCst);
        if fail && behaviour.answer == Answer::Ok {
            errors.fetch_add(1, Ordering::SeqCst);
        }
        if behaviour.answer == Answer::Garbage {
            return;
        }
    }
}

fn red_check(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("red-check")
        .args(args)
        .output()
        .unwrap()
}

/// The JSON report of a run that must succeed.
fn report(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let output = red_check(&all);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn number(report: &Value, path: &str) -> f64 {
    report
        .pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{path} in {report:#}"))
}

/// A run that must fail: its exit code and its message.
fn failure(args: &[&str]) -> (i32, String) {
    let output = red_check(args);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn closed_model_counts_what_the_server_served_and_its_injected_latency_and_errors() {
    let server = Server::start(Behaviour {
        delay: Duration::from_millis(20),
        error_every: 10,
        ..Behaviour::default()
    });
    let url = server.url("/");
    let report = report(&["--endpoint", &url, "--duration", "3", "--connections", "4"]);
    let requests = number(&report, "/requests") as u64;
    let served = server.served.load(Ordering::SeqCst);
    // The server also answered the probe's first request, and up to one request per connection
    // that was in flight when the load ended (dropped, as wrk drops them).
    assert!(
        (served - 1).saturating_sub(requests) <= 4 && requests < served,
        "probe {requests}, server {served}"
    );
    let errors = number(&report, "/error_classes/http_5xx") as u64;
    let server_errors = server.errors.load(Ordering::SeqCst);
    assert!(
        errors <= server_errors && server_errors - errors <= 4,
        "probe {errors} 5xx, server {server_errors}"
    );
    assert_eq!(number(&report, "/errors") as u64, errors);
    // Every answer took the 20 ms the server slept, and 4 connections cannot go faster than
    // 4 / 20 ms = 200 requests a second.
    let p50 = number(&report, "/duration/p50");
    assert!((20.0..100.0).contains(&p50), "p50 {p50} ms");
    assert!(number(&report, "/duration/max") >= 20.0);
    assert!(number(&report, "/rate") <= 200.0 * 1.01);
    // 10% of answers were 500: the error rule fires.
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["id"] == "red-errors"),
        "{findings:#?}"
    );
}

#[test]
fn a_connection_the_server_closed_while_idle_is_replaced_before_a_request_is_lost() {
    // The server closes a connection idle for 100 ms; the probe's two connections each send
    // a request every 500 ms, so every request after the first finds its connection closed.
    let server = Server::start(Behaviour {
        idle_close: Some(Duration::from_millis(100)),
        ..Behaviour::default()
    });
    let url = server.url("/");
    let report = report(&[
        "--endpoint",
        &url,
        "--duration",
        "3",
        "--connections",
        "2",
        "--rate",
        "4",
    ]);
    let requests = number(&report, "/requests");
    assert_eq!(number(&report, "/errors"), 0.0, "{report:#}");
    assert!(
        (requests + number(&report, "/missed") + number(&report, "/in_flight") - 12.0).abs() <= 1.0,
        "{report:#}"
    );
    assert!(requests >= 10.0, "{report:#}");
    // Each was answered on a new connection: the server served them all.
    let served = server.served.load(Ordering::SeqCst) as f64;
    assert!(
        served >= requests + 1.0,
        "probe {requests}, server {served}"
    );
}

#[test]
fn open_model_corrects_for_coordinated_omission_where_raw_figures_hide_a_stall() {
    // One second-long stall on the 50th request; otherwise 1 ms answers.
    let server = Server::start(Behaviour {
        delay: Duration::from_millis(1),
        stall: Some((50, Duration::from_secs(1))),
        ..Behaviour::default()
    });
    let url = server.url("/");
    let report = report(&[
        "--endpoint",
        &url,
        "--duration",
        "3",
        "--connections",
        "2",
        "--rate",
        "100",
    ]);
    // 100 requests a second for 3 s were due: each was answered, or was in flight at the end,
    // or is counted missed.
    let requests = number(&report, "/requests");
    let missed = number(&report, "/missed");
    let in_flight = number(&report, "/in_flight");
    assert!(
        (requests + missed + in_flight - 300.0).abs() <= 1.0,
        "{requests} answered + {missed} missed + {in_flight} in flight"
    );
    assert!(in_flight <= 2.0, "one per connection at most: {in_flight}");
    // The stalled connection's ~50 requests queued behind it: counted from when they were due
    // they waited up to a second, which the raw figures (from the send) do not show.
    let corrected_p99 = number(&report, "/duration/p99");
    let raw_p99 = number(&report, "/raw_duration/p99");
    assert!(corrected_p99 >= 500.0, "corrected p99 {corrected_p99} ms");
    assert!(raw_p99 < 100.0, "raw p99 {raw_p99} ms");
    assert!(number(&report, "/raw_duration/max") >= 1000.0);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "red-duration-p99")
    );
}

#[test]
fn http_errors_are_reported_by_class_and_fail_on_exits_1() {
    let server = Server::start(Behaviour {
        answer: Answer::NotFound,
        ..Behaviour::default()
    });
    let url = server.url("/nothing");
    let report = report(&["--endpoint", &url, "--duration", "1", "--connections", "1"]);
    let requests = number(&report, "/requests");
    assert!(requests > 0.0);
    assert_eq!(number(&report, "/error_classes/http_4xx"), requests);
    assert_eq!(number(&report, "/error_pct"), 100.0);
    let (code, _) = failure(&[
        "--endpoint",
        &url,
        "--duration",
        "1",
        "--connections",
        "1",
        "--fail-on",
        "high",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn endpoints_that_never_answer_end_at_once_with_their_class_and_exit_3() {
    let refused_port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (code, message) = failure(&[
        "--endpoint",
        &format!("http://127.0.0.1:{refused_port}/"),
        "--duration",
        "60",
    ]);
    assert_eq!(code, 3, "{message}");
    assert!(message.starts_with("perf_manual: refused: "), "{message}");

    let (fd, port) = common::never_accepting_listener();
    let (code, message) = failure(&[
        "--endpoint",
        &format!("http://127.0.0.1:{port}/"),
        "--duration",
        "60",
        "--timeout",
        "500ms",
    ]);
    // SAFETY: closing the listener this test opened.
    unsafe { libc::close(fd) };
    assert_eq!(code, 3, "{message}");
    assert!(message.starts_with("perf_manual: timeout: "), "{message}");

    // A name that cannot resolve (RFC 2606 reserves .invalid): one lookup, within the timeout.
    let (code, message) = failure(&[
        "--endpoint",
        "http://no-such-host.invalid/",
        "--duration",
        "60",
        "--timeout",
        "2s",
    ]);
    assert_eq!(code, 3, "{message}");
    assert!(message.starts_with("perf_manual: dns: "), "{message}");

    for (answer, class) in [
        (Answer::RedirectLoop, "redirect_loop"),
        (Answer::Huge, "body_too_big"),
        (Answer::Garbage, "protocol"),
    ] {
        let server = Server::start(Behaviour {
            answer,
            ..Behaviour::default()
        });
        let (code, message) = failure(&[
            "--endpoint",
            &server.url("/loop"),
            "--duration",
            "60",
            "--max-body",
            "1000",
        ]);
        assert_eq!(code, 3, "{message}");
        assert!(
            message.starts_with(&format!("perf_manual: {class}: ")),
            "{message}"
        );
    }
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    for (args, says) in [
        (
            vec![
                "--endpoint",
                "http://127.0.0.1/",
                "--ca-cert",
                "/etc/hostname",
            ],
            "not https",
        ),
        (
            vec![
                "--endpoint",
                "https://127.0.0.1/",
                "--ca-cert",
                "/nonexistent/ca.pem",
            ],
            "--ca-cert",
        ),
        (vec!["--endpoint", "localhost:80"], "http://"),
        (
            vec!["--endpoint", "http://127.0.0.1/", "--duration", "0"],
            "--duration",
        ),
        (
            vec!["--endpoint", "http://127.0.0.1/", "--connections", "0"],
            "--connections",
        ),
        (
            vec!["--endpoint", "http://127.0.0.1/", "--rate=-5"],
            "--rate",
        ),
        (
            vec!["--endpoint", "http://127.0.0.1/", "--timeout", "soon"],
            "--timeout",
        ),
    ] {
        let (code, message) = failure(&args);
        assert_eq!(code, 2, "{args:?}: {message}");
        assert!(message.contains(says), "{args:?}: {message}");
    }
}

#[test]
fn a_saved_probe_file_is_judged_by_analyze_like_the_check() {
    let server = Server::start(Behaviour {
        error_every: 4,
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("probe.txt");
    let report = report(&[
        "--endpoint",
        &server.url("/"),
        "--duration",
        "1",
        "--connections",
        "2",
        "--rate",
        "200",
        "--save",
        saved.to_str().unwrap(),
    ]);
    let analyzed = analyze(dir.path());
    let run = red_record(&analyzed, "red");
    assert_eq!(
        number(run, "/fields/requests"),
        number(&report, "/requests")
    );
    assert_eq!(
        number(run, "/fields/errors_http_5xx"),
        number(&report, "/error_classes/http_5xx")
    );
    assert_eq!(
        number(run, "/fields/duration_p99"),
        number(&report, "/duration/p99")
    );
    // The report's RED table says the same as red-check did.
    let row = &analyzed["red"][0];
    assert_eq!(row["endpoint"], report["endpoint"]);
    assert_eq!(number(row, "/requests"), number(&report, "/requests"));
    assert_eq!(number(row, "/in_flight"), number(&report, "/in_flight"));
    assert_eq!(
        number(row, "/duration/p99"),
        number(&report, "/duration/p99")
    );
    let classes = row["error_classes"].as_array().unwrap();
    assert_eq!(classes[0]["class"], "http_5xx");
    // And so do the Markdown report and the terminal summary.
    let markdown = dir.path().join("report.md");
    let output = Command::new(BIN)
        .args(["analyze", "--playbook"])
        .arg(dir.path().join("red.toml"))
        .arg("--data")
        .arg(dir.path())
        .arg("--output")
        .arg(&markdown)
        .output()
        .unwrap();
    assert!(output.status.success());
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(
        terminal.contains(&format!("RED {}: ", report["endpoint"].as_str().unwrap())),
        "{terminal}"
    );
    let markdown = std::fs::read_to_string(markdown).unwrap();
    assert!(markdown.contains("## RED method"), "{markdown}");
    // Without a playbook, the probe's file is judged by the built-in RED rules too.
    let output = Command::new(BIN)
        .args(["analyze", "--format", "json", "--data"])
        .arg(&saved)
        .output()
        .unwrap();
    let plain: Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = plain["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|finding| finding["id"].as_str())
        .collect();
    assert!(ids.contains(&"red-errors"), "{ids:?}: {plain:#}");
    let p99 = perf_manual::rules::eval::format_number(number(&report, "/duration/p99"));
    assert!(
        markdown.contains(&format!(" {p99} |")),
        "p99 {p99}: {markdown}"
    );
}

/// `analyze --format json` of a directory, judged by the RED rules.
fn analyze(dir: &Path) -> Value {
    let playbook = dir.join("red.toml");
    std::fs::write(
        &playbook,
        format!(
            "name = \"red\"\ninclude = [\"{}/playbooks/rules/red.toml\"]\n[[phase]]\nname = \"x\"\ntime_box = \"1s\"\nsteps = [\"vmstat\"]\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["analyze", "--format", "json", "--playbook"])
        .arg(&playbook)
        .arg("--data")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn red_record<'a>(analyzed: &'a Value, table: &str) -> &'a Value {
    analyzed["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|record| record["table"] == table)
        .unwrap_or_else(|| panic!("no {table} record"))
}

#[test]
fn a_real_nginx_access_log_makes_the_red_tables() {
    let log = Path::new(common::DATA).join("access_log/nginx-1.22.1/access.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines = text.lines().count() as f64;
    let status = |code: &str| {
        text.lines()
            .filter(|line| line.contains(&format!("\" {code} ")))
            .count() as f64
    };
    let parsed = perf_manual::parse::access_log::parse("access.log", &text);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let run = parsed.records.iter().find(|r| r.table == "red").unwrap();
    assert_eq!(run.fields.get("requests"), Some(&lines));
    assert_eq!(run.fields.get("errors_http_4xx"), Some(&status("404")));
    assert_eq!(run.fields.get("errors"), Some(&status("404")));
    let windows = parsed
        .records
        .iter()
        .filter(|r| r.table == "red_interval")
        .count();
    assert!(windows >= 3, "{windows} one-second windows");
    assert_eq!(
        perf_manual::parse::sniff::sniff(&text),
        Some(perf_manual::parse::Format::AccessLog)
    );
}

/// nginx on a free port of 127.0.0.1 with a private prefix, logging the request time; ended
/// (SIGTERM to the master, which ends its workers) when dropped.
struct Nginx {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Nginx {
    fn start() -> Option<Nginx> {
        Nginx::serve(false)
    }

    /// nginx speaking TLS, its certificate for `localhost` only, signed by a CA made for the
    /// test (`ca.pem` in its folder; openssl makes both).
    fn start_tls() -> Option<Nginx> {
        Nginx::serve(true)
    }

    fn ca(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn serve(tls: bool) -> Option<Nginx> {
        if !common::have("nginx") || (tls && !common::have("openssl")) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        if tls {
            let openssl = |args: &[&str]| {
                let status = Command::new("openssl")
                    .args(args)
                    .current_dir(dir.path())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success(), "openssl {args:?}");
            };
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca-key.pem",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=perf_manual test CA",
            ]);
            openssl(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "key.pem",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ]);
            std::fs::write(dir.path().join("san.cnf"), "subjectAltName=DNS:localhost\n").unwrap();
            openssl(&[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-out",
                "cert.pem",
                "-days",
                "2",
                "-extfile",
                "san.cnf",
            ]);
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let prefix = dir.path().display().to_string();
        let ssl = if tls {
            format!(" ssl; ssl_certificate {prefix}/cert.pem; ssl_certificate_key {prefix}/key.pem")
        } else {
            String::new()
        };
        let config = format!(
            r#"worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
daemon off;
events {{ worker_connections 1024; }}
http {{
  log_format timed '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';
  access_log {prefix}/access.log timed;
  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
  server {{
    listen 127.0.0.1:{port}{ssl};
    location / {{ return 200 "hello\n"; }}
    location /missing {{ return 404; }}
  }}
}}
"#
        );
        std::fs::write(dir.path().join("nginx.conf"), config).unwrap();
        let child = Command::new("nginx")
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .spawn()
            .unwrap();
        let nginx = Nginx { child, port, dir };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(nginx);
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!("nginx did not listen on {port}");
    }

    /// Stop it and return its access log.
    fn stop(mut self) -> String {
        self.end();
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap()
    }

    fn end(&mut self) {
        // SAFETY: a signal to the nginx master this test started.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.end();
    }
}

#[test]
fn against_a_real_nginx_the_probe_counts_what_its_access_log_logged() {
    let Some(nginx) = Nginx::start() else {
        return;
    };
    let base = format!("http://127.0.0.1:{}", nginx.port);
    let closed = report(&[
        "--endpoint",
        &format!("{base}/"),
        "--duration",
        "2",
        "--connections",
        "4",
    ]);
    let open = report(&[
        "--endpoint",
        &format!("{base}/missing"),
        "--duration",
        "2",
        "--connections",
        "2",
        "--rate",
        "100",
    ]);
    let log = nginx.stop();
    let logged = |code: &str| {
        log.lines()
            .filter(|line| line.contains(&format!("\" {code} ")))
            .count() as f64
    };
    // nginx logged each run's first request too, and those in flight at the end (sent, not
    // ended by then: the probe reports them and does not count them) that reached it.
    let ok = number(&closed, "/requests");
    let in_flight = number(&closed, "/in_flight");
    assert!(in_flight <= 4.0, "one per connection at most: {in_flight}");
    assert!(
        (0.0..=in_flight).contains(&(logged("200") - 1.0 - ok)),
        "probe {ok} and {in_flight} in flight, nginx {}",
        logged("200")
    );
    assert_eq!(number(&closed, "/errors"), 0.0);
    let missing = number(&open, "/error_classes/http_4xx");
    let in_flight = number(&open, "/in_flight");
    assert!(
        (missing + number(&open, "/missed") + in_flight - 200.0).abs() <= 1.0,
        "{open:#}"
    );
    assert!(
        (0.0..=in_flight).contains(&(logged("404") - 1.0 - missing)),
        "probe {missing} and {in_flight} in flight, nginx {}",
        logged("404")
    );
    // The access log read back gives the same counts.
    let parsed = perf_manual::parse::access_log::parse("access.log", &log);
    let run = parsed.records.iter().find(|r| r.table == "red").unwrap();
    assert_eq!(run.fields.get("errors_http_4xx"), Some(&logged("404")));
    assert_eq!(
        run.fields.get("requests"),
        Some(&(logged("200") + logged("404")))
    );
}

#[test]
fn a_playbook_judges_the_service_and_its_host_in_one_run() {
    let server = Server::start(Behaviour {
        delay: Duration::from_millis(2),
        error_every: 5,
        ..Behaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let playbook = dir.path().join("red-service.toml");
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks/red-service.toml"),
    )
    .unwrap()
    .replace("http://127.0.0.1:8080/", &server.url("/"))
    .replace(
        "\"rules/",
        &format!("\"{}/playbooks/rules/", env!("CARGO_MANIFEST_DIR")),
    );
    std::fs::write(&playbook, shipped).unwrap();
    let output = Command::new(BIN)
        .arg("run")
        .arg(&playbook)
        .args(["--duration", "3s", "--format", "json", "--output"])
        .arg(dir.path().join("investigation"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let errors = findings
        .iter()
        .find(|f| f["id"] == "red-errors")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    // One answer in five was a 500.
    let pct = errors["value"].as_f64().unwrap();
    assert!((19.0..=21.0).contains(&pct), "{pct}%");
    assert!(
        dir.path()
            .join("investigation/raw_data/red/probe.txt")
            .is_file()
    );
    // The host's rules were judged in the same run: the CPU's utilization and saturation
    // are findings or checked and fine (beside the other tests' load, either), never no data.
    let cpu = report["use_table"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["resource"] == "cpu")
        .unwrap_or_else(|| panic!("a CPU row: {report:#}"));
    for signal in ["utilization", "saturation"] {
        let status = cpu[signal]["status"].as_str().unwrap();
        assert!(
            !["no_data", "not_checked"].contains(&status),
            "cpu {signal}: {status}: {report:#}"
        );
    }
}

/// An https endpoint: with the test CA given by `--ca-cert`, the probe loads it and nginx
/// logged what it counted; without it, or under a name the certificate is not for, no load
/// is sent and the failure is TLS's, with rustls's reason (exit 3).
#[test]
fn an_https_endpoint_is_loaded_over_tls_and_an_untrusted_one_is_refused() {
    let Some(nginx) = Nginx::start_tls() else {
        return;
    };
    let url = format!("https://localhost:{}/", nginx.port);
    let ca = nginx.ca();
    let run = report(&[
        "--endpoint",
        &url,
        "--duration",
        "2",
        "--connections",
        "2",
        "--ca-cert",
        ca.to_str().unwrap(),
    ]);
    assert_eq!(number(&run, "/errors"), 0.0, "{run:#}");
    let (code, message) = failure(&["--endpoint", &url, "--duration", "1"]);
    assert_eq!(code, 3, "{message}");
    assert!(
        message.contains("tls:") && message.contains("UnknownIssuer"),
        "{message}"
    );
    let by_address = format!("https://127.0.0.1:{}/", nginx.port);
    let (code, message) = failure(&[
        "--endpoint",
        &by_address,
        "--duration",
        "1",
        "--ca-cert",
        ca.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{message}");
    assert!(
        message.contains("tls:") && message.contains("not valid for name"),
        "{message}"
    );
    // A playbook's red-probe step trusts the same CA by `ca_cert`.
    let work = tempfile::tempdir().unwrap();
    let playbook = work.path().join("tls.toml");
    std::fs::write(
        &playbook,
        format!(
            "name = \"tls\"\ninclude = [\"{}/playbooks/rules/red.toml\"]\n[[phase]]\nname = \"red\"\ntime_box = \"3s\"\nsteps = [\"probe\"]\n[step.probe]\ncollector = \"red-probe\"\nargs = {{ endpoint = \"{url}\", connections = 2, ca_cert = \"{}\" }}\n",
            env!("CARGO_MANIFEST_DIR"),
            ca.display()
        ),
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["run", "--format", "json", "--output"])
        .arg(work.path().join("inv"))
        .arg(&playbook)
        .output()
        .unwrap();
    let judged: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&output.stderr)));
    let table = &judged["red"][0];
    assert!(number(table, "/requests") > 0.0, "{judged:#}");
    assert_eq!(number(table, "/errors"), 0.0, "{table:#}");
    let log = nginx.stop();
    let served = log.lines().filter(|line| line.contains("\" 200 ")).count() as f64;
    let ok = number(&run, "/requests") + number(table, "/requests");
    assert!(
        (0.0..=number(&run, "/in_flight") + number(table, "/in_flight"))
            .contains(&(served - 2.0 - ok)),
        "probe {ok}, nginx {served}"
    );
}
