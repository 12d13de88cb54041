//! The server as a process: it says where it listens, and stops cleanly on
//! SIGTERM, finishing the request in flight.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use testkit::ServerProcess;

use crate::helpers::start_server;

async fn serve(dir: &std::path::Path) -> (ServerProcess, String) {
    let server = start_server(dir, &testkit::sqlite_url(dir), &[]).await;
    let url = server.url.clone();
    (server, url)
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = serve(dir.path()).await;
    let health = reqwest::get(format!("{url}/api/health/")).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    child.signal("-TERM").unwrap();

    let status = child.wait(Duration::from_secs(10)).await.unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        reqwest::get(format!("{url}/api/health/")).await.is_err(),
        "nothing listens any more"
    );
}

#[tokio::test]
async fn a_request_in_flight_at_sigterm_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = serve(dir.path()).await;
    let body = r#"{"username": "inflight", "password": "correct horse battery"}"#;
    let (head, tail) = body.split_at(10);
    let mut stream = TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .unwrap();
    // Headers and half the body: the server is now inside the request,
    // waiting for the rest. The pause only gives it time to read the headers.
    let request = format!(
        "POST /api/users/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    child.signal("-TERM").unwrap();
    stream.write_all(tail.as_bytes()).await.unwrap();

    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = child.wait(Duration::from_secs(10)).await.unwrap();
    assert!(status.success(), "{status:?}");
}
