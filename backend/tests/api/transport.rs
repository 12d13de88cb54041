//! API.md "Hardening rules" at the HTTP level: slow and idle clients are cut
//! off, connections are capped, security headers, the SPA's
//! Content-Security-Policy, no redirect to another host, OPTIONS on unknown
//! API paths, and claims the decoder must refuse.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{
    Db, TestApp, both_databases, expect_json, expect_not_found, expect_token_not_valid, spawn_app,
    spawn_app_with,
};

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
    // Keep-alive after an answer: the wait for the next request's headers
    // is bounded too.
    let mut kept_alive = app.connect().await;
    kept_alive
        .write_all(b"GET /api/health/ HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0; 1024];
    let n = kept_alive.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));

    let (idle_got, _) = read_until_closed(&mut idle).await;
    let (slow_got, _) = read_until_closed(&mut slow).await;
    let (kept_alive_got, _) = read_until_closed(&mut kept_alive).await;

    // Closed without an answer: hyper may send a bare 408 first.
    for got in [idle_got, slow_got, kept_alive_got] {
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

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("an ASCII header"))
}

#[apply(both_databases)]
#[tokio::test]
async fn every_response_forbids_sniffing_and_referrers(db: Db) {
    let app = spawn_app(db).await;
    for path in [
        "/api/health/",
        "/api/nothing/",
        "/api/users/me/",
        "/elsewhere",
    ] {
        let response = app.get(path, None).await;
        assert_eq!(
            header(&response, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header(&response, "referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn token_responses_are_never_cached(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;
    let login = app
        .post(
            "/api/token/",
            &json!({"username": user.username, "password": user.password}),
            None,
        )
        .await;
    assert_eq!(header(&login, "cache-control"), Some("no-store"));
    let tokens: shared::TokenPair = expect_json(login, StatusCode::OK).await;

    let refreshed = app.refresh(&tokens.refresh).await;

    assert_eq!(refreshed.status(), StatusCode::OK);
    assert_eq!(header(&refreshed, "cache-control"), Some("no-store"));
}

/// A built frontend of our own: an index.html with an inline module script
/// as trunk writes it, and an `assets` directory.
fn frontend() -> (tempfile::TempDir, String) {
    let dist = tempfile::tempdir().unwrap();
    let script = "\nimport init, * as bindings from '/app-1234.js';\nconst wasm = await init({ module_or_path: '/app-1234_bg.wasm' });\nwindow.wasmBindings = bindings;\n";
    let index = format!(
        "<!DOCTYPE html><html><head>\
         <link rel=\"modulepreload\" href=\"/app-1234.js\" crossorigin=\"anonymous\" integrity=\"sha384-x\">\
         <script type=\"module\">{script}</script></head><body></body></html>"
    );
    std::fs::write(dist.path().join("index.html"), index).unwrap();
    std::fs::create_dir(dist.path().join("assets")).unwrap();
    std::fs::write(dist.path().join("assets/app.css"), "body {}").unwrap();
    let hash = format!("'sha256-{}'", STANDARD.encode(Sha256::digest(script)));
    (dist, hash)
}

#[apply(both_databases)]
#[tokio::test]
async fn the_apps_pages_carry_a_policy_that_allows_only_its_own_scripts(db: Db) {
    let (dist, hash) = frontend();
    let dir = dist.path().to_owned();
    let app = spawn_app_with(db, move |s| s.static_dir = Some(dir)).await;

    for path in ["/", "/notes/12/edit"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = header(&response, "content-security-policy")
            .unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"))
            .to_owned();
        assert!(
            response.text().await.unwrap().contains("wasmBindings"),
            "{path} is not the app"
        );
        let directive = |name: &str| {
            csp.split(';')
                .map(str::trim)
                .find(|d| d.split_whitespace().next() == Some(name))
                .unwrap_or_else(|| panic!("no {name} in {csp}"))
                .to_owned()
        };
        let scripts = directive("script-src");
        assert!(scripts.contains("'self'"), "{csp}");
        assert!(
            scripts.contains(&hash),
            "the inline script's {hash} is not in {csp}"
        );
        assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'");
        assert!(directive("default-src").contains("'self'"), "{csp}");
        assert!(
            !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
            "{csp}"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_double_slash_never_redirects_to_another_host(db: Db) {
    let (dist, _) = frontend();
    let dir = dist.path().to_owned();
    let app = spawn_app_with(db, move |s| s.static_dir = Some(dir)).await;

    for path in [
        "//assets",
        "//assets/",
        "//example.com",
        "//example.com/x",
        "/assets",
    ] {
        // The request line as written: a client library would not send it.
        let mut stream = app.connect().await;
        let host = app.address.trim_start_matches("http://");
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("send");
        let (answer, _) = read_until_closed(&mut stream).await;
        let head = answer.split("\r\n\r\n").next().unwrap_or_default();
        let head = head.to_ascii_lowercase();
        assert!(!head.contains("\r\nlocation:"), "{path}: {head}");
        assert!(head.starts_with("http/1.1 200 "), "{path}: {head}");
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn options_on_an_unknown_api_path_is_a_json_404(db: Db) {
    let app = spawn_app(db).await;

    let plain = app
        .client
        .request(Method::OPTIONS, app.url("/api/nothing/here/"))
        .send()
        .await
        .unwrap();
    expect_not_found(plain).await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/api/nothing/here/"))
        .header("origin", "https://elsewhere.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    expect_not_found(preflight).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn with_cors_only_the_apis_own_paths_answer_preflights(db: Db) {
    let origin = "http://app.example";
    let app = spawn_app_with(db, |s| s.cors_origins = vec![origin.into()]).await;
    let preflight = |path: &str| {
        app.client
            .request(Method::OPTIONS, app.url(path))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };

    let unknown = preflight("/api/nothing/here/").await.unwrap();
    let known = preflight("/api/token/").await.unwrap();
    // An error answered outside the handler keeps its CORS headers, so the
    // browser shows the app the error rather than a CORS failure.
    let wrong_method = app
        .client
        .get(app.url("/api/token/"))
        .header("origin", origin)
        .send()
        .await
        .unwrap();
    let too_large = app
        .client
        .post(app.url("/api/token/"))
        .header("origin", origin)
        .header("content-type", "application/json")
        .body(vec![b' '; 65 * 1024])
        .send()
        .await
        .unwrap();

    expect_not_found(unknown).await;
    assert!(known.status().is_success(), "{}", known.status());
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for response in [&wrong_method, &too_large] {
        assert_eq!(
            header(response, "access-control-allow-origin"),
            Some(origin)
        );
    }
}

/// A token signed with the server's own secret, from a header and claims
/// of the test's choosing.
fn forge(app: &TestApp, header: &Value, claims: &Value) -> String {
    use ring::hmac;
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, &app.server_secret());
    let signature = URL_SAFE_NO_PAD.encode(hmac::sign(&key, message.as_bytes()));
    format!("{message}.{signature}")
}

#[apply(both_databases)]
#[tokio::test]
async fn tokens_with_crit_or_before_their_nbf_are_refused(db: Db) {
    let app = spawn_app(db).await;
    let (user, _) = app.logged_in().await;
    let now = chrono::Utc::now().timestamp();
    let claims = |extra: Value| {
        let mut claims = json!({
            "token_type": "access", "exp": now + 300, "iat": now - 5,
            "jti": "0123456789abcdef0123456789abcdef", "user_id": user.id, "username": user.username,
        });
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        claims
    };
    let plain = json!({"alg": "HS256", "typ": "JWT"});
    let good = forge(&app, &plain, &claims(json!({})));
    let critical = forge(
        &app,
        &json!({"alg": "HS256", "typ": "JWT", "crit": ["exp"]}),
        &claims(json!({})),
    );
    let early = forge(&app, &plain, &claims(json!({"nbf": now + 120})));

    assert_eq!(
        app.get("/api/users/me/", Some(&good)).await.status(),
        StatusCode::OK
    );
    for token in [critical, early] {
        expect_token_not_valid(app.get("/api/users/me/", Some(&token)).await).await;
        let verify = app
            .post("/api/token/verify/", &json!({ "token": token }), None)
            .await;
        expect_token_not_valid(verify).await;
    }
}
