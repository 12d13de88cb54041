//! API.md's HTTP-level rules: paths with and without their slash, the route
//! list, error bodies (404, 405, 413, 415, 400), no leaks, no 500s, the
//! built frontend beside the API, and CORS.

use std::collections::BTreeSet;

use reqwest::{Method, Response, StatusCode};
use rstest_reuse::apply;
use serde_json::{Value, json};

use tower::ServiceExt;

use crate::helpers::{
    Db, TestApp, assert_json_content_type, both_databases, expect_detail, expect_fields,
    expect_json, expect_not_found, spawn_app, spawn_app_with, test_router,
};

/// Every path of API.md, as `GET /api/` lists them.
const DOCUMENTED_PATHS: [&str; 12] = [
    "/api/",
    "/api/token/",
    "/api/token/refresh/",
    "/api/token/verify/",
    "/api/token/blacklist/",
    "/api/users/",
    "/api/users/me/",
    "/api/users/set_password/",
    "/api/profile/",
    "/api/notes/",
    "/api/notes/{id}/",
    "/api/health/",
];

/// What a request of the table sends; some need something fresh each time.
#[derive(Debug, Clone, Copy)]
enum Send {
    Nothing,
    Credentials,
    FreshRefresh,
    FreshAccessAsToken,
    NewRegistration,
    SamePasswordAgain,
    Json(&'static str),
}

/// Each documented endpoint, with a request it answers successfully.
const ENDPOINTS: [(&str, &str, Send, bool, u16); 16] = [
    ("GET", "/api/", Send::Nothing, false, 200),
    ("POST", "/api/token/", Send::Credentials, false, 200),
    (
        "POST",
        "/api/token/refresh/",
        Send::FreshRefresh,
        false,
        200,
    ),
    (
        "POST",
        "/api/token/verify/",
        Send::FreshAccessAsToken,
        false,
        200,
    ),
    (
        "POST",
        "/api/token/blacklist/",
        Send::FreshRefresh,
        false,
        200,
    ),
    ("POST", "/api/users/", Send::NewRegistration, false, 201),
    ("GET", "/api/users/me/", Send::Nothing, true, 200),
    (
        "POST",
        "/api/users/set_password/",
        Send::SamePasswordAgain,
        true,
        204,
    ),
    ("GET", "/api/profile/", Send::Nothing, true, 200),
    (
        "PATCH",
        "/api/profile/",
        Send::Json(r#"{"first_name": "Ann"}"#),
        true,
        200,
    ),
    ("GET", "/api/notes/", Send::Nothing, true, 200),
    (
        "POST",
        "/api/notes/",
        Send::Json(r#"{"title": "t"}"#),
        true,
        201,
    ),
    ("GET", "/api/notes/{id}/", Send::Nothing, true, 200),
    (
        "PATCH",
        "/api/notes/{id}/",
        Send::Json(r#"{"body": "b"}"#),
        true,
        200,
    ),
    ("DELETE", "/api/notes/{id}/", Send::Nothing, true, 204),
    ("GET", "/api/health/", Send::Nothing, false, 200),
];

#[apply(both_databases)]
#[tokio::test]
async fn every_documented_path_answers_with_and_without_its_trailing_slash(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    let covered: BTreeSet<&str> = ENDPOINTS.iter().map(|(_, path, ..)| *path).collect();
    assert_eq!(
        covered,
        BTreeSet::from(DOCUMENTED_PATHS),
        "the table misses a documented path"
    );

    for (method, documented, send, auth, status) in ENDPOINTS {
        for path in [
            documented.to_owned(),
            documented.trim_end_matches('/').to_owned(),
        ] {
            let path = if path.contains("{id}") {
                let note = app
                    .create_note(&tokens.access, "for the path table", "")
                    .await;
                path.replace("{id}", &note.id.to_string())
            } else {
                path
            };
            let body = match send {
                Send::Nothing => None,
                Send::Credentials => {
                    Some(json!({"username": user.username, "password": user.password}))
                }
                Send::FreshRefresh => Some(json!({"refresh": app.login(&user).await.refresh})),
                Send::FreshAccessAsToken => Some(json!({"token": app.login(&user).await.access})),
                Send::NewRegistration => {
                    let name = format!("new{}", path.len());
                    Some(json!({"username": name, "password": "correct horse battery"}))
                }
                Send::SamePasswordAgain => {
                    Some(json!({"current_password": user.password, "new_password": user.password}))
                }
                Send::Json(raw) => Some(serde_json::from_str(raw).expect("table JSON")),
            };
            let method: Method = method.parse().expect("method");
            let mut request = app.client.request(method.clone(), app.url(&path));
            if let Some(body) = &body {
                request = request.json(body);
            }
            if auth {
                request = request.bearer_auth(&tokens.access);
            }

            let response = request.send().await.expect("request");

            let text = {
                let actual = response.status();
                let text = response.text().await.expect("body");
                assert_eq!(actual.as_u16(), status, "{method} {path}: {text}");
                text
            };
            if status != 204 {
                serde_json::from_str::<Value>(&text)
                    .unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
            }
        }
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn the_route_list_names_every_documented_path_with_its_slash(db: Db) {
    let app = spawn_app(db).await;

    for path in ["/api/", "/api"] {
        let response = app.get(path, None).await;

        let listed: Vec<String> = expect_json(response, StatusCode::OK).await;
        for documented in DOCUMENTED_PATHS {
            assert!(
                listed.iter().any(|p| p == documented),
                "{documented} is not in {listed:?}"
            );
        }
        for listed in &listed {
            assert!(
                listed.starts_with("/api/") && listed.ends_with('/'),
                "{listed} is not in the form /api/x/"
            );
        }
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn health_is_ok_while_the_database_answers(db: Db) {
    let app = spawn_app(db).await;

    let response = app.get("/api/health/", None).await;

    assert_json_content_type(&response);
    let body: Value = expect_json(response, StatusCode::OK).await;
    assert_eq!(body, json!({"status": "ok"}));
}

#[apply(both_databases)]
#[tokio::test]
async fn an_unknown_path_under_api_is_a_json_404_for_any_method(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let paths = [
        "/api/whatever",
        "/api/whatever/",
        "/api/whatever/deeper/still/",
        "/api/users/me/extra/",
        "/api/notes/1/extra/",
        "/api/index.html",
    ];

    for path in paths {
        for method in [Method::GET, Method::POST, Method::DELETE] {
            for access in [None, Some(tokens.access.as_str())] {
                let mut request = app
                    .client
                    .request(method.clone(), app.url(path))
                    .json(&json!({}));
                if let Some(access) = access {
                    request = request.bearer_auth(access);
                }

                let response = request.send().await.expect("request");

                expect_not_found(response).await;
            }
        }
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_non_numeric_note_id_is_an_unknown_path_even_without_credentials(db: Db) {
    let app = spawn_app(db).await;

    for path in ["/api/notes/abc/", "/api/notes/abc"] {
        expect_not_found(app.get(path, None).await).await;
        expect_not_found(app.delete(path, None).await).await;
        expect_not_found(app.patch(path, &json!({"title": "x"}), None).await).await;
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_method_the_path_does_not_allow_is_a_json_405_with_an_allow_header(db: Db) {
    let app = spawn_app(db).await;
    let cases = [
        (Method::DELETE, "/api/token/", "POST"),
        (Method::GET, "/api/token", "POST"),
        (Method::GET, "/api/token/refresh/", "POST"),
        (Method::PUT, "/api/notes/", "GET"),
        (Method::POST, "/api/users/me/", "GET"),
        (Method::POST, "/auth/users/me/", "DELETE"),
        (Method::POST, "/api/health/", "GET"),
        (Method::PUT, "/api/profile/", "PATCH"),
        (Method::POST, "/api/notes/1/", "DELETE"),
    ];

    for (method, path, allowed) in cases {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .json(&json!({}))
            .send()
            .await
            .expect("request");

        let allow = response
            .headers()
            .get(reqwest::header::ALLOW)
            .map(|v| v.to_str().expect("ASCII").to_owned())
            .unwrap_or_else(|| panic!("{method} {path}: no Allow header"));
        assert!(
            allow.contains(allowed),
            "{method} {path}: Allow is {allow:?}"
        );
        assert!(
            !allow.contains(method.as_str()),
            "{method} {path}: Allow is {allow:?}"
        );
        assert_json_content_type(&response);
        let detail = expect_detail(response, StatusCode::METHOD_NOT_ALLOWED).await;
        assert!(!detail.is_empty());
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_body_that_is_not_declared_json_is_a_json_415(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;
    let body = json!({"username": user.username, "password": user.password}).to_string();

    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        for path in ["/api/token/", "/api/users/"] {
            let response = app.post_raw(path, content_type, body.clone()).await;

            assert_json_content_type(&response);
            let detail = expect_detail(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
            assert!(!detail.is_empty(), "{path} with {content_type:?}");
        }
    }
}

/// A registration whose password makes the body `size` bytes long.
fn registration_of_size(size: usize) -> String {
    let head = r#"{"username": "big", "password": ""#;
    let tail = r#""}"#;
    format!("{head}{}{tail}", "p".repeat(size - head.len() - tail.len()))
}

#[apply(both_databases)]
#[tokio::test]
async fn a_body_over_64_kib_with_a_content_length_is_a_json_413(db: Db) {
    let app = spawn_app(db).await;

    let response = app
        .post_raw(
            "/api/users/",
            Some("application/json"),
            registration_of_size(64 * 1024 + 1),
        )
        .await;

    assert_json_content_type(&response);
    let detail = expect_detail(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(!detail.is_empty());
    assert_eq!(
        app.try_login("big", "x").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// `POST /api/users/` of `body` in chunks of `size`, with no length given
/// (as `Transfer-Encoding: chunked` brings it), straight to the router.
async fn post_streamed(db: Db, body: &str, size: usize) -> axum::response::Response {
    let app = test_router(db).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
        .as_bytes()
        .chunks(size)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    let request = axum::http::Request::post("/api/users/")
        .header("content-type", "application/json")
        .body(axum::body::Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    app.router.clone().oneshot(request).await.unwrap()
}

#[apply(both_databases)]
#[tokio::test]
async fn a_chunked_body_over_64_kib_is_a_json_413(db: Db) {
    let body = registration_of_size(70 * 1024);

    let response = post_streamed(db, &body, 8 * 1024).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let content_type = response.headers().get("content-type").cloned();
    assert!(
        content_type
            .as_ref()
            .is_some_and(|t| t.as_bytes().starts_with(b"application/json")),
        "{content_type:?}"
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&bytes).expect("a JSON body");
    assert!(body["detail"].is_string(), "{body}");
}

#[apply(both_databases)]
#[tokio::test]
async fn a_small_chunked_body_is_read_like_any_other(db: Db) {
    let body = r#"{"username": "chunky", "password": "correct horse battery"}"#;

    let response = post_streamed(db, body, body.len()).await;

    assert_eq!(response.status(), StatusCode::CREATED);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_body_just_under_64_kib_is_accepted(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let text = "n".repeat(63 * 1024);

    let note = app.create_note(&tokens.access, "long", &text).await;

    assert_eq!(note.body.len(), text.len());
}

#[apply(both_databases)]
#[tokio::test]
async fn malformed_json_is_a_400_with_a_detail(db: Db) {
    let app = spawn_app(db).await;
    let bodies = [
        r#"{"username": "#,
        "not json",
        r#"{"username": "u" "password": "p"}"#,
        r#"{"username": "u", "password": "p",}"#,
        "",
        r#"{"username": "u", "password": "p"} trailing"#,
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    ];

    for path in ["/api/token/", "/api/users/"] {
        for body in bodies {
            let response = app.post_raw(path, Some("application/json"), body).await;

            assert_json_content_type(&response);
            let detail = expect_detail(response, StatusCode::BAD_REQUEST).await;
            assert!(!detail.is_empty(), "{path} {body:?}");
        }
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_wrong_type_error_does_not_repeat_the_value_sent(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let secret = "secret-value-xyz";
    let targets = [
        (Method::POST, "/api/token/", "password"),
        (Method::POST, "/api/token/refresh/", "refresh"),
        (Method::POST, "/api/token/verify/", "token"),
        (Method::POST, "/api/users/", "password"),
        (Method::POST, "/api/users/set_password/", "new_password"),
        (Method::PATCH, "/api/profile/", "email"),
        (Method::POST, "/api/notes/", "title"),
    ];

    for (method, path, field) in targets {
        let bodies = [
            json!({"username": "u", field: [secret]}),
            json!({field: {secret: secret}}),
            json!({field: 5, "other": secret}),
            json!(secret),
        ];
        for body in &bodies {
            let response = app
                .send(method.clone(), path, body, Some(&tokens.access))
                .await;

            let status = response.status();
            let text = response.text().await.expect("body");
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{method} {path} {body}: {text}"
            );
            let answer: Value = serde_json::from_str(&text).expect("a JSON body");
            let detail = answer["detail"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} {body}: no detail in {text}"));
            assert!(
                !detail.contains(secret),
                "{method} {path} {body} answered {detail:?}"
            );
        }
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_json_array_instead_of_an_object_is_a_400_with_a_detail(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    let fresh = app.login(&user).await;
    let cases = [
        (
            Method::POST,
            "/api/token/",
            json!([user.username, user.password]),
        ),
        (Method::POST, "/api/token/refresh/", json!([fresh.refresh])),
        (Method::POST, "/api/token/verify/", json!([tokens.access])),
        (
            Method::POST,
            "/api/users/",
            json!(["arrayed", "correct horse battery"]),
        ),
        (
            Method::PATCH,
            "/api/profile/",
            json!(["Ann", "Lee", "ann@example.com"]),
        ),
        (Method::POST, "/api/notes/", json!(["a title", "a body"])),
    ];

    let mut accepted = Vec::new();
    for (method, path, body) in cases {
        let response = app
            .send(method.clone(), path, &body, Some(&tokens.access))
            .await;

        let status = response.status();
        let answer: Value = response.json().await.expect("a JSON body");
        if status != StatusCode::BAD_REQUEST || !answer["detail"].is_string() {
            accepted.push(format!("{method} {path} {body}: {status}"));
        }
    }
    assert!(
        accepted.is_empty(),
        "arrays taken for objects:\n{}",
        accepted.join("\n")
    );
    // Nothing was created or changed by them.
    let profile: Value = expect_json(
        app.get("/api/profile/", Some(&tokens.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(profile["first_name"], "Sam");
    let notes: Vec<Value> = expect_json(
        app.get("/api/notes/", Some(&tokens.access)).await,
        StatusCode::OK,
    )
    .await;
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        app.try_login("arrayed", "correct horse battery")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Asserts what API.md promises of every error: JSON, a 401 with its
/// challenge, and no password, hash or stack of argon2 in sight.
async fn assert_clean_error(what: &str, response: Response, secrets: &[&str]) -> StatusCode {
    let status = response.status();
    assert!(status.is_client_error(), "{what}: {status}");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(
            challenge.as_deref(),
            Some(r#"Bearer realm="api""#),
            "{what}"
        );
    }
    assert_json_content_type(&response);
    let text = response.text().await.expect("body");
    for secret in ["argon2", "$argon2id"].iter().chain(secrets) {
        assert!(!text.contains(secret), "{what} shows {secret:?}: {text}");
    }
    status
}

#[apply(both_databases)]
#[tokio::test]
async fn no_error_shows_a_password_or_a_password_hash(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    let password = user.password.as_str();
    let access = Some(tokens.access.as_str());
    let attempts: Vec<(&str, Response)> = vec![
        ("wrong password", app.try_login(&user.username, "wrong-password-123").await),
        ("unknown user", app.try_login("nobody", password).await),
        (
            "taken username",
            app.post("/api/users/", &json!({"username": user.username, "password": password}), None).await,
        ),
        ("bad new password", app.post("/api/users/", &json!({"username": "x", "password": "1234"}), None).await),
        (
            "wrong current password",
            app.post(
                "/api/users/set_password/",
                &json!({"current_password": "wrong-password-123", "new_password": "new-password-456"}),
                access,
            )
            .await,
        ),
        (
            "bad new_password",
            app.post(
                "/api/users/set_password/",
                &json!({"current_password": password, "new_password": "1234"}),
                access,
            )
            .await,
        ),
        ("bad email", app.patch("/api/profile/", &json!({"email": password}), access).await),
        ("bad refresh", app.refresh(password).await),
        ("access as refresh", app.refresh(&tokens.access).await),
        ("refresh as access", app.get("/api/users/me/", Some(&tokens.refresh)).await),
        ("no credentials", app.get("/api/users/me/", None).await),
    ];

    for (what, response) in attempts {
        assert_clean_error(
            what,
            response,
            &[password, "1234", "wrong-password-123", "new-password-456"],
        )
        .await;
    }
    // Nor do the answers that show a user.
    for path in ["/api/users/me/", "/api/profile/"] {
        let text = app.get(path, access).await.text().await.expect("body");
        assert!(
            !text.contains("argon2") && !text.contains(password),
            "{path}: {text}"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn no_odd_input_produces_a_500(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    let note = app.create_note(&tokens.access, "mine", "").await;
    let note_path = format!("/api/notes/{}/", note.id);
    let odd = [
        json!(null),
        json!(0),
        json!({"username": null, "password": null}),
        json!({"username": "nul\u{0}byte", "password": "nul\u{0}byte-password"}),
        json!({"username": user.username, "password": "nul\u{0}byte-password"}),
        json!({"username": "x".repeat(10_000), "password": "y".repeat(10_000)}),
        json!({"username": "😀", "password": "emoji-password-😀", "email": "😀@😀.😀"}),
        json!({"first_name": "nul\u{0}byte", "last_name": "\u{0}", "email": "a@b.c\u{0}"}),
        json!({"title": "nul\u{0}byte", "body": "\u{0}"}),
        json!({"title": "fine", "body": "nul\u{0}byte"}),
        json!({"username": "nulnames", "password": "correct horse battery", "first_name": "nul\u{0}", "last_name": "\u{0}"}),
        json!({"first_name": "nul\u{0}byte"}),
        json!({"refresh": "a.b.c", "token": "a.b.c"}),
        json!({"refresh": "nul\u{0}byte", "token": "nul\u{0}byte"}),
        json!({"current_password": "\u{0}", "new_password": "nul\u{0}byte-password"}),
        json!({"username": 1e300, "password": -1}),
    ];
    let targets = [
        (Method::POST, "/api/token/"),
        (Method::POST, "/api/token/refresh/"),
        (Method::POST, "/api/token/verify/"),
        (Method::POST, "/api/token/blacklist/"),
        (Method::POST, "/api/users/"),
        (Method::POST, "/api/users/set_password/"),
        (Method::PATCH, "/api/profile/"),
        (Method::POST, "/api/notes/"),
        (Method::PATCH, note_path.as_str()),
    ];

    let mut server_errors = Vec::new();
    for (method, path) in targets {
        for body in &odd {
            let response = app
                .send(method.clone(), path, body, Some(&tokens.access))
                .await;

            if response.status().is_server_error() {
                server_errors.push(format!("{method} {path} {body}: {}", response.status()));
            }
        }
    }
    assert!(
        server_errors.is_empty(),
        "server errors:\n{}",
        server_errors.join("\n")
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn the_built_frontend_is_served_beside_the_api(db: Db) {
    let dist = tempfile::tempdir().expect("temp dir");
    let index = "<!doctype html><title>the app</title><script src=/app.js></script>";
    let script = "console.log('the app');";
    std::fs::write(dist.path().join("index.html"), index).expect("write index.html");
    std::fs::write(dist.path().join("app.js"), script).expect("write app.js");
    let dir = dist.path().to_owned();
    let app = spawn_app_with(db, move |s| s.static_dir = Some(dir)).await;

    let file = app.get("/app.js", None).await;
    let root = app.get("/", None).await;
    let deep = app.get("/some/deep/link", None).await;

    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.text().await.expect("body"), script);
    for response in [root, deep] {
        assert_eq!(response.status(), StatusCode::OK, "{}", response.url());
        assert!(
            response.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{}",
            response.url()
        );
        assert_eq!(response.text().await.expect("body"), index);
    }
    for path in ["/api/nope", "/api/nope/", "/api/notes/abc/"] {
        expect_not_found(app.get(path, None).await).await;
    }
    let health: Value = expect_json(app.get("/api/health/", None).await, StatusCode::OK).await;
    assert_eq!(health, json!({"status": "ok"}));
    let refused = app
        .post(
            "/api/token/",
            &json!({"username": "nobody", "password": "x"}),
            None,
        )
        .await;
    expect_detail(refused, StatusCode::UNAUTHORIZED).await;
}

async fn preflight(app: &TestApp, origin: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.url("/api/token/"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type,authorization",
        )
        .send()
        .await
        .expect("OPTIONS")
}

fn cors_headers(response: &Response) -> Vec<String> {
    response
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

#[apply(both_databases)]
#[tokio::test]
async fn a_configured_origin_passes_the_cors_preflight(db: Db) {
    let app = spawn_app_with(db, |s| s.cors_origins = vec!["http://app.example".into()]).await;

    let response = preflight(&app, "http://app.example").await;

    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "http://app.example");
    let methods = headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_ascii_uppercase();
    // Every method an endpoint takes, djoser's PUT of users/me/ included.
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{method} not in {methods}");
    }
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
    let actual = app
        .client
        .get(app.url("/api/health/"))
        .header("Origin", "http://app.example")
        .send()
        .await
        .expect("GET");
    assert_eq!(
        actual.headers()["access-control-allow-origin"],
        "http://app.example"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn another_origin_gets_no_cors_permission(db: Db) {
    let app = spawn_app_with(db, |s| s.cors_origins = vec!["http://app.example".into()]).await;

    let response = preflight(&app, "http://evil.example").await;
    let actual = app
        .client
        .get(app.url("/api/health/"))
        .header("Origin", "http://evil.example")
        .send()
        .await
        .expect("GET");

    assert_eq!(response.headers().get("access-control-allow-origin"), None);
    assert_eq!(actual.headers().get("access-control-allow-origin"), None);
}

#[apply(both_databases)]
#[tokio::test]
async fn without_a_cors_setting_no_cors_header_is_sent(db: Db) {
    let app = spawn_app(db).await;

    let response = preflight(&app, "http://app.example").await;
    let actual = app
        .client
        .get(app.url("/api/health/"))
        .header("Origin", "http://app.example")
        .send()
        .await
        .expect("GET");

    assert_eq!(cors_headers(&response), Vec::<String>::new());
    assert_eq!(cors_headers(&actual), Vec::<String>::new());
}

#[apply(both_databases)]
#[tokio::test]
async fn field_errors_name_one_key_per_field(db: Db) {
    let app = spawn_app(db).await;

    let response = app
        .post(
            "/api/users/",
            &json!({"username": "bad name!", "password": "1234", "email": "nope", "first_name": "x".repeat(151)}),
            None,
        )
        .await;

    let errors = expect_fields(response).await;
    assert_eq!(
        errors.keys().map(String::as_str).collect::<Vec<_>>(),
        ["email", "first_name", "password", "username"]
    );
    assert!(errors.values().all(|messages| !messages.is_empty()));
}
