//! API.md "Hardening rules" at the HTTP level: slow and idle clients are cut
//! off, and connections are capped.

use std::time::{Duration, Instant};

use rstest_reuse::apply;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Db, TestApp, both_databases, spawn_app_with};

const SHORT: Duration = Duration::from_millis(400);

/// How long a test waits for the server to act before calling it stuck: far
/// under the 80 s that connections stayed open before these limits.
const PATIENCE: Duration = Duration::from_secs(5);

impl TestApp {
    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.address.trim_start_matches("http://"))
            .await
            .expect("connect")
    }
}

/// Everything the server sends until it closes the connection, and how
/// long that took; fails if it keeps the connection open past `PATIENCE`.
async fn read_until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut received)).await;
    // A reset instead of a clean close is a close too.
    assert!(
        read.is_ok(),
        "the connection is still open after {PATIENCE:?}"
    );
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

fn timeouts(
    headers: Duration,
    body: Duration,
    request: Duration,
) -> impl FnOnce(&mut backend::Settings) {
    move |s| {
        s.timeouts.headers = headers;
        s.timeouts.body = body;
        s.timeouts.request = request;
    }
}

const LONG: Duration = Duration::from_secs(60);

#[apply(both_databases)]
#[tokio::test]
async fn idle_connections_and_slow_headers_are_closed(db: Db) {
    let app = spawn_app_with(db, timeouts(SHORT, LONG, LONG)).await;
    let mut idle = app.connect().await;
    let mut slow = app.connect().await;
    slow.write_all(b"GET /api/health/ HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();

    let (idle_got, _) = read_until_closed(&mut idle).await;
    let (slow_got, _) = read_until_closed(&mut slow).await;

    // Closed without an answer: hyper may send a bare 408 first.
    for got in [idle_got, slow_got] {
        assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "{got:?}");
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_body_that_stops_arriving_is_refused_and_the_connection_closed(db: Db) {
    let app = spawn_app_with(db, timeouts(LONG, SHORT, LONG)).await;
    let mut stream = app.connect().await;
    stream
        .write_all(
            b"POST /api/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"username\":",
        )
        .await
        .unwrap();

    let (answer, took) = read_until_closed(&mut stream).await;

    assert!(answer.starts_with("HTTP/1.1 4"), "{answer:?}");
    assert!(answer.contains("application/json"), "{answer:?}");
    assert!(took < LONG, "{took:?}");
}

#[apply(both_databases)]
#[tokio::test]
async fn a_request_slower_than_the_limit_is_answered_408_as_json(db: Db) {
    let app = spawn_app_with(db, timeouts(LONG, LONG, SHORT)).await;
    let mut stream = app.connect().await;
    // The body never completes, and never stalls long enough for the body
    // timeout: only the whole request's limit can end it.
    stream
        .write_all(
            b"POST /api/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\nConnection: close\r\n\r\n{",
        )
        .await
        .unwrap();

    let (answer, _) = read_until_closed(&mut stream).await;

    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("application/json"), "{answer:?}");
    assert!(
        answer.ends_with(r#"{"detail":"Request Timeout"}"#),
        "{answer:?}"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes(db: Db) {
    let app = spawn_app_with(db, |s| s.max_connections = 2).await;
    let health = b"GET /api/health/ HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = app.connect().await;
        stream.write_all(health).await.unwrap();
        let mut buf = [0; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        open.push(stream);
    }

    let mut third = app.connect().await;
    third.write_all(health).await.unwrap();
    let mut buf = [0; 1024];
    let while_full = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(while_full.is_err(), "answered past the connection cap");

    drop(open.pop());
    let n = tokio::time::timeout(PATIENCE, third.read(&mut buf))
        .await
        .expect("answered once a connection closed")
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
}
