//! The server as a process: it says where it listens, and stops cleanly on
//! SIGTERM, finishing the request in flight.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// Starts `backend serve` on port 0 in `dir` and returns it with its URL.
async fn serve(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backend"))
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("BIND", "127.0.0.1:0")
        .env("DATABASE_URL", format!("sqlite://{}/app.db", dir.display()))
        .env("JWT_SECRET_FILE", dir.join("jwt-secret"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the backend starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the backend prints its address")
        .unwrap()
        .unwrap();
    let url = first
        .strip_prefix("listening on ")
        .expect("first line names the address")
        .to_owned();
    (child, url)
}

fn terminate(child: &Child) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = serve(dir.path()).await;
    let health = reqwest::get(format!("{url}/api/health/")).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    terminate(&child);

    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the server stops within 10 s")
        .unwrap();
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

    terminate(&child);
    stream.write_all(tail.as_bytes()).await.unwrap();

    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}
