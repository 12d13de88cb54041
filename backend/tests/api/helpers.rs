//! `spawn_app`: a real server on port 0 with its own database, and typed
//! helpers for what a client does.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::connect_info::MockConnectInfo;
use backend::clock::Clock;
use backend::config::ServeArgs;
use backend::{App, Settings};
use reqwest::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::{RegisterBody, TokenPair};
use tempfile::TempDir;
use testkit::{ApiClient, ServerProcess};

pub use testkit::PgDatabase;

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
    spawn_app_from(db, ServeArgs::defaults(), adjust).await
}

/// Starts a server configured by these environment variables, written as
/// the README writes them (`("DRF_JWT", "true")`), the others at their
/// defaults.
pub async fn spawn_app_env(db: Db, variables: &[(&str, &str)]) -> TestApp {
    let args = ServeArgs::from_variables(variables).expect("settings the server knows");
    spawn_app_from(db, args, |_| {}).await
}

async fn spawn_app_from(db: Db, args: ServeArgs, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (settings, dir, pg) = test_settings(db, args, adjust).await;
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

/// A test server's settings: a data directory of its own, and a SQLite file
/// in it or a fresh PostgreSQL database, kept alive by the caller.
async fn test_settings(
    db: Db,
    args: ServeArgs,
    adjust: impl FnOnce(&mut Settings),
) -> (Settings, TempDir, Option<PgDatabase>) {
    if std::env::var_os("TEST_LOG").is_some() {
        backend::telemetry::init();
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::local_with(dir.path(), args).expect("valid settings");
    let pg = match db {
        Db::Sqlite => None,
        Db::Postgres => {
            let pg = PgDatabase::create().await.expect("a test database");
            settings.database_url = pg.url().to_owned();
            Some(pg)
        }
    };
    adjust(&mut settings);
    (settings, dir, pg)
}

/// The app's router with its own database, for `oneshot` requests without a
/// socket: bodies reqwest (built without its `stream` feature) cannot send,
/// such as a streamed one with no length. Every request comes from
/// 127.0.0.1.
pub struct TestRouter {
    pub router: axum::Router,
    _dir: TempDir,
    _pg: Option<PgDatabase>,
}

pub async fn test_router(db: Db) -> TestRouter {
    let (settings, dir, pg) = test_settings(db, ServeArgs::defaults(), |_| {}).await;
    let app = App::build(settings).await.expect("the app builds");
    let router = backend::app::build_router(app.state().clone())
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    TestRouter {
        router,
        _dir: dir,
        _pg: pg,
    }
}

/// `backend serve` as a process, in `dir`, on `database_url`, with `env`
/// added to its environment.
pub async fn start_server(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> ServerProcess {
    ServerProcess::command(env!("CARGO_BIN_EXE_backend"), dir)
        .database_url(database_url)
        .envs(env.iter().copied())
        .start()
        .await
        .expect("the backend starts and says where it listens")
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

    /// The typed client of this server, sharing `client`'s connections.
    pub fn api(&self) -> ApiClient {
        ApiClient::with_client(&self.address, self.client.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str, access: Option<&str>) -> Response {
        self.api().get(path, access).await.expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value, access: Option<&str>) -> Response {
        self.send(Method::POST, path, body, access).await
    }

    pub async fn patch(&self, path: &str, body: &Value, access: Option<&str>) -> Response {
        self.send(Method::PATCH, path, body, access).await
    }

    pub async fn delete(&self, path: &str, access: Option<&str>) -> Response {
        let request = self.api().request(Method::DELETE, path, access);
        request.send().await.expect("DELETE")
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        access: Option<&str>,
    ) -> Response {
        let response = self.api().send_json(method, path, body, access).await;
        response.expect("request")
    }

    /// Registers a new user with a unique name.
    pub async fn new_user(&self) -> TestUser {
        let n = USER_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.register(&format!("user{n}"), "correct horse battery")
            .await
    }

    pub async fn register(&self, username: &str, password: &str) -> TestUser {
        let body = RegisterBody {
            username: Some(username.to_owned()),
            password: Some(password.to_owned()),
            email: Some(format!("{username}@example.com")),
            first_name: Some("Sam".to_owned()),
            last_name: Some("Smith".to_owned()),
        };
        let response = self.api().register_response(&body).await.expect("POST");
        let user: shared::User = expect_json(response, StatusCode::CREATED).await;
        TestUser {
            id: user.id,
            username: user.username,
            password: password.to_owned(),
        }
    }

    pub async fn login(&self, user: &TestUser) -> TokenPair {
        let response = self.try_login(&user.username, &user.password).await;
        expect_json(response, StatusCode::OK).await
    }

    pub async fn refresh(&self, refresh: &str) -> Response {
        self.api().refresh_response(refresh).await.expect("POST")
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

impl TestApp {
    /// `POST` of a body as it is, with the given `Content-Type` (or none).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let mut request = self.api().request(Method::POST, path, None).body(body);
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        request.send().await.expect("POST")
    }

    /// A login attempt, whatever its outcome.
    pub async fn try_login(&self, username: &str, password: &str) -> Response {
        let response = self.api().login_response(username, password).await;
        response.expect("POST")
    }

    /// Creates a note and returns it as the API answered.
    pub async fn create_note(&self, access: &str, title: &str, body: &str) -> shared::Note {
        let response = self.api().create_note_response(access, title, body).await;
        expect_json(response.expect("POST"), StatusCode::CREATED).await
    }
}

impl TestApp {
    /// Runs SQL on the server's database, as an operator would (to
    /// deactivate or delete a user, say).
    pub async fn sql(&self, statement: &str) {
        let db = self.db().await;
        sqlx::query(statement)
            .execute(db.writes())
            .await
            .expect("the statement runs");
    }

    /// The one number a query answers (`select count(*) …`).
    pub async fn count(&self, query: &str) -> i64 {
        let db = self.db().await;
        let (n,): (i64,) = sqlx::query_as(query)
            .fetch_one(&db.pool)
            .await
            .expect("the query runs");
        n
    }

    /// The server's database, opened as the server opens it.
    pub async fn db(&self) -> backend::store::Db {
        backend::store::Db::connect(&self.settings.database_url)
            .await
            .expect("connect to the test database")
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
        let request = self
            .api()
            .request(Method::POST, path, access)
            .header("x-forwarded-for", client)
            .json(body);
        request.send().await.expect("POST")
    }
}

/// Settings for a server behind a trusted proxy on this machine, so that
/// tests can speak for many client addresses through `X-Forwarded-For`.
pub fn behind_proxy(settings: &mut Settings) {
    settings.trusted_proxies = backend::forwarded::parse_trusted("127.0.0.1, ::1").unwrap();
}
