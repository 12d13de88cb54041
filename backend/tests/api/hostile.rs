//! A few thousand generated hostile requests: each must get a 4xx JSON
//! error (never a 5xx, never a hang), and the server must stay healthy.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::StreamExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, both_databases, expect_json, spawn_app};

/// One crafted request.
struct Hostile {
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    authorization: Option<Vec<u8>>,
    body: Vec<u8>,
}

impl Hostile {
    fn json(method: Method, path: &str, body: impl Into<Vec<u8>>) -> Self {
        Hostile {
            method,
            path: path.to_owned(),
            content_type: Some("application/json"),
            authorization: None,
            body: body.into(),
        }
    }

    fn bearer(mut self, token: &str) -> Self {
        self.authorization = Some(format!("Bearer {token}").into_bytes());
        self
    }
}

/// xorshift64*: deterministic, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Values of every JSON type but the string each field wants.
fn wrong_values() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5e308),
        json!(18_446_744_073_709_551_615u64),
        json!([]),
        json!(["a"]),
        json!({}),
        json!({"$ne": ""}),
    ]
}

const POSTS: &[(&str, &[&str])] = &[
    ("/api/token/", &["username", "password"]),
    ("/api/token/refresh/", &["refresh"]),
    ("/api/token/verify/", &["token"]),
    ("/api/token/blacklist/", &["refresh"]),
    (
        "/api/users/",
        &["username", "password", "email", "first_name", "last_name"],
    ),
];

fn sign(secret: &[u8], alg: Algorithm, claims: &Value) -> String {
    encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// Tokens that must all be refused: forged, expired, future, incomplete,
/// of the wrong type or shape.
fn bad_tokens(secret: &[u8], user_id: i64) -> Vec<String> {
    let now = chrono::Utc::now().timestamp();
    let good = json!({"token_type": "access", "exp": now + 300, "iat": now, "jti": "0".repeat(32),
                      "user_id": user_id, "username": "x"});
    let with = |key: &str, value: Value| {
        let mut claims = good.clone();
        claims[key] = value;
        claims
    };
    let without = |key: &str| {
        let mut claims = good.clone();
        claims.as_object_mut().unwrap().remove(key);
        claims
    };
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    let mut tokens = vec![
        format!("{none_header}.{payload}."),
        format!("{none_header}.{payload}"),
        sign(
            b"another key of a good length, but not ours",
            Algorithm::HS256,
            &good,
        ),
        sign(secret, Algorithm::HS384, &good),
        sign(secret, Algorithm::HS256, &with("exp", json!(now - 10))),
        sign(secret, Algorithm::HS256, &with("exp", json!("tomorrow"))),
        sign(secret, Algorithm::HS256, &with("exp", json!(u64::MAX))),
        sign(secret, Algorithm::HS256, &with("iat", json!(now + 86_400))),
        sign(
            secret,
            Algorithm::HS256,
            &with("token_type", json!("refresh")),
        ),
        sign(
            secret,
            Algorithm::HS256,
            &with("token_type", json!("ACCESS")),
        ),
        sign(secret, Algorithm::HS256, &with("token_type", json!(1))),
        sign(secret, Algorithm::HS256, &with("user_id", json!("1"))),
        sign(secret, Algorithm::HS256, &with("user_id", json!(1.5))),
        sign(secret, Algorithm::HS256, &json!([1, 2, 3])),
        "".into(),
        ".".into(),
        "..".into(),
        "a.b.c.d".into(),
        "x".repeat(8_000),
        format!("{}.{payload}.sig", URL_SAFE_NO_PAD.encode("not json")),
        format!(
            "{}.{payload}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#)
        ),
        format!(
            "{}.{payload}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","kid":"../../etc/passwd"}"#)
        ),
    ];
    for key in ["exp", "token_type", "jti", "user_id", "username", "iat"] {
        tokens.push(sign(secret, Algorithm::HS256, &without(key)));
    }
    tokens
}

fn deep(open: &str, close: &str, depth: usize) -> Vec<u8> {
    format!("{}{}", open.repeat(depth), close.repeat(depth)).into_bytes()
}

fn generate(secret: &[u8], user_id: i64, count: usize) -> Vec<Hostile> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let tokens = bad_tokens(secret, user_id);
    let wrong = wrong_values();
    let mut requests = Vec::with_capacity(count);
    // Fixed cases first, then random combinations.
    for (path, _) in POSTS {
        for body in [
            b"".to_vec(),
            b"{".to_vec(),
            b"nul".to_vec(),
            b"\"just a string\"".to_vec(),
            b"[1,2,3]".to_vec(),
            vec![0xff, 0xfe, b'{', 0xc3, 0x28, b'}'],
            br#"{"username": "\ud800"}"#.to_vec(),
            deep("[", "]", 100_000),
            deep(r#"{"a":"#, "}", 20_000),
            vec![b' '; 70_000],
        ] {
            requests.push(Hostile::json(Method::POST, path, body));
        }
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "application/xml",
        ] {
            let mut request = Hostile::json(Method::POST, path, &br#"{"a":"b"}"#[..]);
            request.content_type = Some(content_type);
            requests.push(request);
        }
        let mut untyped = Hostile::json(Method::POST, path, &br#"{"a":"b"}"#[..]);
        untyped.content_type = None;
        requests.push(untyped);
        for method in [Method::PUT, Method::DELETE, Method::PATCH] {
            requests.push(Hostile::json(method, path, &b"{}"[..]));
        }
    }
    for token in &tokens {
        for path in ["/api/users/me/", "/api/notes/", "/api/profile/"] {
            requests.push(Hostile::json(Method::GET, path, Vec::new()).bearer(token));
        }
        for path in ["/api/token/refresh/", "/api/token/blacklist/"] {
            requests.push(Hostile::json(
                Method::POST,
                path,
                json!({ "refresh": token }).to_string(),
            ));
        }
        requests.push(Hostile::json(
            Method::POST,
            "/api/token/verify/",
            json!({ "token": token }).to_string(),
        ));
    }
    for authorization in [
        vec![0xff, 0xfe, 0xfd],
        b"Bearer \xc3\x28".to_vec(),
        b"Bearer  ".to_vec(),
        b"JWT a b".to_vec(),
        [b"Bearer ".as_slice(), &[b'a'; 16_000]].concat(),
    ] {
        let mut request = Hostile::json(Method::GET, "/api/users/me/", Vec::new());
        request.authorization = Some(authorization);
        requests.push(request);
    }
    for path in [
        "/api/notes/-1/",
        "/api/notes/0/",
        "/api/notes/99999999999999999999999999/",
        "/api/notes/1e3/",
        "/api/notes/%00/",
        "/api/notes/1/extra/",
        "/api/../api/users/",
        "/api/%2e%2e/",
        "/api/nothing",
    ] {
        requests.push(Hostile::json(Method::GET, path, Vec::new()));
    }
    while requests.len() < count {
        let (path, fields) = rng.pick(POSTS);
        let mut body = serde_json::Map::new();
        for field in *fields {
            let value = match rng.next() % 3 {
                0 => rng.pick(&wrong).clone(),
                1 => Value::String(String::new()),
                _ => Value::String(" ".repeat((rng.next() % 8) as usize)),
            };
            body.insert((*field).to_owned(), value);
        }
        // At least one field is of a wrong type or missing, so none is valid.
        let spoiled = rng.pick(fields);
        body.insert((*spoiled).to_owned(), rng.pick(&wrong).clone());
        requests.push(Hostile::json(
            Method::POST,
            path,
            Value::Object(body).to_string(),
        ));
    }
    requests
}

#[apply(both_databases)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_4xx_json_and_the_server_stays_healthy(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    let secret = app.server_secret();
    let requests = generate(&secret, user.id, 3_000);
    let total = requests.len();

    // A connection of its own for each request: the server may close one
    // after refusing a body unread, and a reused connection would then fail
    // on the client's side, saying nothing about the server.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let failures: Vec<String> = futures::stream::iter(requests)
        .map(|request| send(&client, &app, request))
        .buffer_unordered(16)
        .filter_map(|outcome| async move { outcome.err() })
        .collect()
        .await;

    assert!(
        failures.is_empty(),
        "{} of {total} answers were wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let health: Value = expect_json(app.get("/api/health/", None).await, StatusCode::OK).await;
    assert_eq!(health["status"], "ok");
    expect_json::<Value>(
        app.get("/api/users/me/", Some(&tokens.access)).await,
        StatusCode::OK,
    )
    .await;
    app.login(&user).await;
}

async fn send(client: &reqwest::Client, app: &TestApp, hostile: Hostile) -> Result<(), String> {
    let mut request = client
        .request(hostile.method.clone(), app.url(&hostile.path))
        .body(hostile.body);
    if let Some(content_type) = hostile.content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(authorization) = hostile.authorization {
        let value = reqwest::header::HeaderValue::from_bytes(&authorization).unwrap();
        request = request.header("authorization", value);
    }
    let what = format!("{} {}", hostile.method, hostile.path);
    let response = request
        .send()
        .await
        .map_err(|e| format!("{what}: no answer: {e}"))?;
    let status = response.status();
    let is_json = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let body = response.bytes().await.map_err(|e| format!("{what}: {e}"))?;
    if !status.is_client_error() || !is_json || serde_json::from_slice::<Value>(&body).is_err() {
        return Err(format!(
            "{what}: {status} {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    Ok(())
}
