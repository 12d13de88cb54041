//! `spawn_app`: a real server on port 0 with its own database, and typed
//! helpers for what a client does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use backend::clock::Clock;
use backend::{App, Settings};
use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::TokenPair;
use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;

/// Which database a test runs on: tests written `#[apply(both_databases)]`
/// run once on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs a test as two cases, `sqlite` and `postgres`.
#[rstest_reuse::template]
#[rstest::rstest]
#[case::sqlite(Db::Sqlite)]
#[case::postgres(Db::Postgres)]
pub fn both_databases(#[case] db: Db) {}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// `postgres://…/name?opts` with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let server = base.rsplit_once('/').map(|(s, _)| s).unwrap_or(base);
    format!("{server}/{name}{query}")
}

/// A throwaway PostgreSQL database, dropped when the test ends (even when it
/// fails), so runs never collide and leave nothing behind.
pub struct PgDatabase {
    name: String,
}

impl PgDatabase {
    pub async fn create() -> (PgDatabase, String) {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "api_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        let admin_url = postgres_url();
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {admin_url} ({e}); set TEST_POSTGRES_URL")
        });
        admin
            .execute(format!(r#"create database "{name}""#).as_str())
            .await
            .expect("create the test database");
        let url = with_database(&admin_url, &name);
        (PgDatabase { name }, url)
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default()
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on:
        // use a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&postgres_url()).await {
                    let _ = admin
                        .execute(
                            format!(r#"drop database if exists "{name}" with (force)"#).as_str(),
                        )
                        .await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    /// The server's clock: move it to expire tokens without waiting.
    pub clock: Clock,
    _dir: TempDir,
    _pg: Option<PgDatabase>,
}

/// A registered user and the password it was registered with.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub password: String,
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// Starts a server whose settings `adjust` may change (short lifetimes, say).
pub async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        backend::telemetry::init();
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::local(dir.path());
    let pg = match db {
        Db::Sqlite => None,
        Db::Postgres => {
            let (pg, url) = PgDatabase::create().await;
            settings.database_url = url;
            Some(pg)
        }
    };
    adjust(&mut settings);
    let clock = Clock::movable();
    let app = App::build_with_clock(settings.clone(), clock.clone())
        .await
        .expect("the app builds");
    let address = format!("http://{}", app.address());
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        settings,
        clock,
        _dir: dir,
        _pg: pg,
    }
}

/// Short lifetimes for expiry tests.
pub fn short_lifetimes(access: u64, refresh: u64) -> impl FnOnce(&mut Settings) {
    move |s| {
        s.tokens.access_ttl = Duration::from_secs(access);
        s.tokens.refresh_ttl = Duration::from_secs(refresh);
    }
}

static USER_COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestApp {
    /// The HS256 secret the server generated into its data directory, for
    /// tests that forge tokens.
    pub fn server_secret(&self) -> Vec<u8> {
        match &self.settings.signing {
            backend::config::Signing::Hs256 { secret_file, .. } => {
                std::fs::read(secret_file).unwrap()
            }
            other => panic!("not HS256: {other:?}"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str, access: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = access {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value, access: Option<&str>) -> Response {
        self.send(reqwest::Method::POST, path, body, access).await
    }

    pub async fn patch(&self, path: &str, body: &Value, access: Option<&str>) -> Response {
        self.send(reqwest::Method::PATCH, path, body, access).await
    }

    pub async fn delete(&self, path: &str, access: Option<&str>) -> Response {
        let mut request = self.client.delete(self.url(path));
        if let Some(token) = access {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("DELETE")
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
        access: Option<&str>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path)).json(body);
        if let Some(token) = access {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// Registers a new user with a unique name.
    pub async fn new_user(&self) -> TestUser {
        let n = USER_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.register(&format!("user{n}"), "correct horse battery")
            .await
    }

    pub async fn register(&self, username: &str, password: &str) -> TestUser {
        let response = self
            .post(
                "/api/users/",
                &json!({"username": username, "password": password, "email": format!("{username}@example.com"),
                        "first_name": "Sam", "last_name": "Smith"}),
                None,
            )
            .await;
        let user: shared::User = expect_json(response, StatusCode::CREATED).await;
        TestUser {
            id: user.id,
            username: user.username,
            password: password.to_owned(),
        }
    }

    pub async fn login(&self, user: &TestUser) -> TokenPair {
        let response = self
            .post(
                "/api/token/",
                &json!({"username": user.username, "password": user.password}),
                None,
            )
            .await;
        expect_json(response, StatusCode::OK).await
    }

    pub async fn refresh(&self, refresh: &str) -> Response {
        self.post("/api/token/refresh/", &json!({ "refresh": refresh }), None)
            .await
    }

    /// A registered user, logged in.
    pub async fn logged_in(&self) -> (TestUser, TokenPair) {
        let user = self.new_user().await;
        let tokens = self.login(&user).await;
        (user, tokens)
    }
}

/// Asserts the status and decodes the body.
pub async fn expect_json<T: DeserializeOwned>(response: Response, status: StatusCode) -> T {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("body is not the expected JSON ({e}): {text}"))
}

/// Asserts a `{"detail", "code": "token_not_valid"}` 401 with its header.
pub async fn expect_token_not_valid(response: Response) -> String {
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some(r#"Bearer realm="api""#)
    );
    let body: Value = expect_json(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["code"], "token_not_valid", "{body}");
    body["detail"].as_str().expect("detail").to_owned()
}

/// Asserts a 4xx/5xx `{"detail": ...}` body and returns the detail.
pub async fn expect_detail(response: Response, status: StatusCode) -> String {
    let body: Value = expect_json(response, status).await;
    body["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail in {body}"))
        .to_owned()
}

/// The payload of a JWT, unverified, as JSON.
pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

// Helpers of the users, profile, notes and http tests.

/// The documented answer to a protected route called without credentials.
pub const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";

/// Asserts a 400 of field errors (`{"<field>": ["<message>", ...]}`) and
/// returns them.
pub async fn expect_fields(response: Response) -> std::collections::BTreeMap<String, Vec<String>> {
    expect_json(response, StatusCode::BAD_REQUEST).await
}

/// Asserts that a response's `Content-Type` is JSON.
pub fn assert_json_content_type(response: &Response) {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{} {} answered with Content-Type {content_type:?}",
        response.status(),
        response.url()
    );
}

/// Asserts API.md's 404: `{"detail": "Not found."}`, as JSON.
pub async fn expect_not_found(response: Response) {
    assert_json_content_type(&response);
    let body: Value = expect_json(response, StatusCode::NOT_FOUND).await;
    assert_eq!(body, json!({"detail": "Not found."}));
}

/// Asserts the 401 of a protected route called without `Authorization`.
pub async fn expect_not_authenticated(response: Response) {
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some(r#"Bearer realm="api""#),
        "a 401 without WWW-Authenticate"
    );
    let body: Value = expect_json(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body, json!({ "detail": NOT_AUTHENTICATED }));
}

/// A response read off a raw socket: status, lower-cased headers, body.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl TestApp {
    /// `POST` of a body as it is, with the given `Content-Type` (or none).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut request = self.client.post(self.url(path)).body(body);
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        request.send().await.expect("POST")
    }

    /// A login attempt, whatever its outcome.
    pub async fn try_login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/api/token/",
            &json!({"username": username, "password": password}),
            None,
        )
        .await
    }

    /// Creates a note and returns it as the API answered.
    pub async fn create_note(&self, access: &str, title: &str, body: &str) -> shared::Note {
        let response = self
            .post(
                "/api/notes/",
                &json!({"title": title, "body": body}),
                Some(access),
            )
            .await;
        expect_json(response, StatusCode::CREATED).await
    }

    /// Sends `head` (request line and headers, without the blank line) and
    /// `body` over a fresh connection and reads the whole answer: for what
    /// reqwest will not send, such as a chunked body.
    pub async fn raw(&self, head: &str, body: &[u8]) -> RawResponse {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.address.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
        let mut request =
            format!("{head}\r\nHost: {host}\r\nConnection: close\r\n\r\n").into_bytes();
        request.extend_from_slice(body);
        // The server may answer (and stop reading) before the body is all
        // sent; the answer is what matters.
        let _ = stream.write_all(&request).await;
        let mut received = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut received)).await;
        assert!(read.is_ok(), "no answer within 30 s");
        parse_raw_response(&received)
    }
}

fn parse_raw_response(bytes: &[u8]) -> RawResponse {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

impl TestApp {
    /// Runs SQL on the server's database, as an operator would (to
    /// deactivate or delete a user, say).
    pub async fn sql(&self, statement: &str) {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.settings.database_url)
            .await
            .expect("connect to the test database");
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect("the statement runs");
        pool.close().await;
    }

    /// The one number a query answers (`select count(*) …`).
    pub async fn count(&self, query: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.settings.database_url)
            .await
            .expect("connect to the test database");
        let (n,): (i64,) = sqlx::query_as(query)
            .fetch_one(&pool)
            .await
            .expect("the query runs");
        pool.close().await;
        n
    }

    /// A login attempt that a trusted proxy forwards for `client` (the
    /// server must list 127.0.0.1 in `TRUSTED_PROXIES`; see `behind_proxy`).
    pub async fn login_from(&self, client: &str, username: &str, password: &str) -> Response {
        self.post_from(
            client,
            "/api/token/",
            &json!({"username": username, "password": password}),
            None,
        )
        .await
    }

    /// `POST` as forwarded by a trusted proxy for `client`.
    pub async fn post_from(
        &self,
        client: &str,
        path: &str,
        body: &Value,
        access: Option<&str>,
    ) -> Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("x-forwarded-for", client)
            .json(body);
        if let Some(token) = access {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("POST")
    }
}

/// Settings for a server behind a trusted proxy on this machine, so that
/// tests can speak for many client addresses through `X-Forwarded-For`.
pub fn behind_proxy(settings: &mut Settings) {
    settings.trusted_proxies = backend::forwarded::parse_trusted("127.0.0.1, ::1").unwrap();
}
