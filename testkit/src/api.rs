//! A client of API.md: one method per call a client makes, returning the
//! `shared` type the call answers with, and a `_response` twin returning the
//! response as it came, for tests about statuses and headers.

use std::time::Duration;

use anyhow::Context;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::{Note, Profile, RefreshAnswer, RegisterBody, TokenPair, User};

/// The API of one server: its base URL and a connection pool.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    http: reqwest::Client,
}

impl ApiClient {
    /// A client with a 30 s timeout per request, so that a hung server
    /// fails the test instead of stalling it.
    pub fn new(base: &str) -> ApiClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("a reqwest client");
        ApiClient::with_client(base, http)
    }

    /// A client sharing `http`'s connection pool and settings.
    pub fn with_client(base: &str, http: reqwest::Client) -> ApiClient {
        ApiClient {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// `http://host:port`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path`, with `access` as its bearer token if given.
    pub fn request(&self, method: Method, path: &str, access: Option<&str>) -> RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match access {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str, access: Option<&str>) -> reqwest::Result<Response> {
        self.request(Method::GET, path, access).send().await
    }

    /// `method` with a JSON body.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &impl Serialize,
        access: Option<&str>,
    ) -> reqwest::Result<Response> {
        self.request(method, path, access).json(body).send().await
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &impl Serialize,
        access: Option<&str>,
    ) -> reqwest::Result<Response> {
        self.send_json(Method::POST, path, body, access).await
    }

    // The calls, as they came back.

    /// `POST /api/users/` with the fields of `body` that are set.
    pub async fn register_response(&self, body: &RegisterBody) -> reqwest::Result<Response> {
        let mut fields = serde_json::to_value(body).expect("a RegisterBody is JSON");
        if let Value::Object(map) = &mut fields {
            map.retain(|_, value| !value.is_null());
        }
        self.post_json("/api/users/", &fields, None).await
    }

    /// `POST /api/token/`.
    pub async fn login_response(
        &self,
        username: &str,
        password: &str,
    ) -> reqwest::Result<Response> {
        let body = json!({"username": username, "password": password});
        self.post_json("/api/token/", &body, None).await
    }

    /// `POST /api/token/refresh/`.
    pub async fn refresh_response(&self, refresh: &str) -> reqwest::Result<Response> {
        let body = json!({ "refresh": refresh });
        self.post_json("/api/token/refresh/", &body, None).await
    }

    /// `POST /api/token/verify/`.
    pub async fn verify_response(&self, token: &str) -> reqwest::Result<Response> {
        let body = json!({ "token": token });
        self.post_json("/api/token/verify/", &body, None).await
    }

    /// `POST /api/token/blacklist/`: the logout.
    pub async fn logout_response(&self, refresh: &str) -> reqwest::Result<Response> {
        let body = json!({ "refresh": refresh });
        self.post_json("/api/token/blacklist/", &body, None).await
    }

    /// `GET /api/users/me/`.
    pub async fn me_response(&self, access: &str) -> reqwest::Result<Response> {
        self.get("/api/users/me/", Some(access)).await
    }

    /// `GET /api/profile/`.
    pub async fn profile_response(&self, access: &str) -> reqwest::Result<Response> {
        self.get("/api/profile/", Some(access)).await
    }

    /// `GET /api/notes/`.
    pub async fn notes_response(&self, access: &str) -> reqwest::Result<Response> {
        self.get("/api/notes/", Some(access)).await
    }

    /// `POST /api/notes/`.
    pub async fn create_note_response(
        &self,
        access: &str,
        title: &str,
        body: &str,
    ) -> reqwest::Result<Response> {
        let note = json!({"title": title, "body": body});
        self.post_json("/api/notes/", &note, Some(access)).await
    }

    /// `GET /api/health/`.
    pub async fn health_response(&self) -> reqwest::Result<Response> {
        self.get("/api/health/", None).await
    }

    // The calls, expected to succeed.

    /// Registers a user (201) and returns it as the API answered.
    pub async fn register(&self, body: &RegisterBody) -> anyhow::Result<User> {
        expect_status(self.register_response(body).await?, StatusCode::CREATED).await
    }

    /// Logs in (200) and returns the token pair.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<TokenPair> {
        expect_status(
            self.login_response(username, password).await?,
            StatusCode::OK,
        )
        .await
    }

    /// Refreshes (200); without rotation the pair keeps `refresh`.
    pub async fn refresh(&self, refresh: &str) -> anyhow::Result<TokenPair> {
        let answer: RefreshAnswer =
            expect_status(self.refresh_response(refresh).await?, StatusCode::OK).await?;
        Ok(answer.into_pair(refresh))
    }

    /// Verifies a token (200).
    pub async fn verify(&self, token: &str) -> anyhow::Result<()> {
        let _: Value = expect_status(self.verify_response(token).await?, StatusCode::OK).await?;
        Ok(())
    }

    /// Logs out (200): `refresh` is refused from now on.
    pub async fn logout(&self, refresh: &str) -> anyhow::Result<()> {
        let _: Value = expect_status(self.logout_response(refresh).await?, StatusCode::OK).await?;
        Ok(())
    }

    pub async fn me(&self, access: &str) -> anyhow::Result<User> {
        expect_status(self.me_response(access).await?, StatusCode::OK).await
    }

    pub async fn profile(&self, access: &str) -> anyhow::Result<Profile> {
        expect_status(self.profile_response(access).await?, StatusCode::OK).await
    }

    pub async fn notes(&self, access: &str) -> anyhow::Result<Vec<Note>> {
        expect_status(self.notes_response(access).await?, StatusCode::OK).await
    }

    /// Creates a note (201) and returns it as the API answered.
    pub async fn create_note(&self, access: &str, title: &str, body: &str) -> anyhow::Result<Note> {
        expect_status(
            self.create_note_response(access, title, body).await?,
            StatusCode::CREATED,
        )
        .await
    }
}

/// The body of `response` as a `T`, if its status is `status`; otherwise an
/// error naming the status and the body.
pub async fn expect_status<T: DeserializeOwned>(
    response: Response,
    status: StatusCode,
) -> anyhow::Result<T> {
    let (actual, url) = (response.status(), response.url().clone());
    let text = response.text().await.context("read the body")?;
    anyhow::ensure!(
        actual == status,
        "{url}: unexpected status {actual} (wanted {status}); body: {text}"
    );
    serde_json::from_str(&text)
        .with_context(|| format!("{url}: the body is not the expected JSON: {text}"))
}
