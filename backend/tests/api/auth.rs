//! Who gets in: the Authorization header, forged and tampered tokens, the
//! signing modes, and login throttling.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};
use shared::TokenPair;

use crate::helpers::{
    Db, TestApp, both_databases, claims_of, expect_detail, expect_json, expect_token_not_valid,
    spawn_app, spawn_app_with,
};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn access_claims(user_id: i64, username: &str) -> Value {
    json!({"token_type": "access", "exp": now() + 300, "iat": now(),
           "jti": "0123456789abcdef0123456789abcdef", "user_id": user_id, "username": username})
}

async fn me_with(app: &TestApp, authorization: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/users/me/"))
        .header("authorization", authorization)
        .send()
        .await
        .unwrap()
}

#[apply(both_databases)]
#[tokio::test]
async fn both_default_prefixes_are_accepted(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    for prefix in ["Bearer", "JWT"] {
        let response = me_with(&app, &format!("{prefix} {}", tokens.access)).await;
        expect_json::<Value>(response, StatusCode::OK).await;
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn missing_or_foreign_credentials_are_not_authenticated(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    let none = app.get("/api/users/me/", None).await;
    let basic = me_with(&app, "Basic dXNlcjpwYXNz").await;
    let other_prefix = me_with(&app, &format!("Token {}", tokens.access)).await;

    for response in [none, basic, other_prefix] {
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            r#"Bearer realm="api""#
        );
        assert_eq!(
            expect_detail(response, StatusCode::UNAUTHORIZED).await,
            "Authentication credentials were not provided."
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_configured_prefix_replaces_the_defaults(db: Db) {
    let app = spawn_app_with(db, |s| s.auth_prefixes = vec!["Token".into()]).await;
    let (_, tokens) = app.logged_in().await;

    expect_json::<Value>(
        me_with(&app, &format!("Token {}", tokens.access)).await,
        StatusCode::OK,
    )
    .await;
    let bearer = me_with(&app, &format!("Bearer {}", tokens.access)).await;
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_malformed_header_or_token_is_token_not_valid(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    let cases = [
        "Bearer".to_owned(),
        format!("Bearer {} extra", tokens.access),
        "Bearer not-a-jwt".to_owned(),
        "Bearer a.b.c".to_owned(),
        format!("Bearer {}x", tokens.access),
    ];
    for header in cases {
        let response = me_with(&app, &header).await;
        expect_token_not_valid(response).await;
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn alg_none_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (user, _) = app.logged_in().await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(access_claims(user.id, &user.username).to_string());

    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        let response = app.get("/api/users/me/", Some(&token)).await;
        assert_eq!(expect_token_not_valid(response).await, "Token is invalid");
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_tampered_payload_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let victim = app.new_user().await;
    let mut claims = claims_of(&tokens.access);
    claims["user_id"] = json!(victim.id);
    let parts: Vec<&str> = tokens.access.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );

    let response = app.get("/api/users/me/", Some(&forged)).await;

    assert_eq!(expect_token_not_valid(response).await, "Token is invalid");
}

#[apply(both_databases)]
#[tokio::test]
async fn only_tokens_signed_with_the_servers_key_are_accepted(db: Db) {
    let app = spawn_app(db).await;
    let (user, _) = app.logged_in().await;
    let claims = access_claims(user.id, &user.username);
    let ours = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&app.server_secret()),
    )
    .unwrap();
    let theirs = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"some other secret that is long enough"),
    )
    .unwrap();
    let other_alg = encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(&app.server_secret()),
    )
    .unwrap();

    expect_json::<Value>(app.get("/api/users/me/", Some(&ours)).await, StatusCode::OK).await;
    for token in [theirs, other_alg] {
        assert_eq!(
            expect_token_not_valid(app.get("/api/users/me/", Some(&token)).await).await,
            "Token is invalid"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn tokens_missing_required_claims_are_refused(db: Db) {
    let app = spawn_app(db).await;
    let (user, _) = app.logged_in().await;
    let key = EncodingKey::from_secret(&app.server_secret());

    for missing in ["exp", "token_type", "jti", "user_id"] {
        let mut claims = access_claims(user.id, &user.username);
        claims.as_object_mut().unwrap().remove(missing);
        let token = encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
        let response = app.get("/api/users/me/", Some(&token)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "without {missing}"
        );
        expect_token_not_valid(response).await;
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_token_issued_in_the_future_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (user, _) = app.logged_in().await;
    let mut claims = access_claims(user.id, &user.username);
    claims["iat"] = json!(now() + 3_600);
    claims["exp"] = json!(now() + 7_200);
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&app.server_secret()),
    )
    .unwrap();

    assert_eq!(
        expect_token_not_valid(app.get("/api/users/me/", Some(&token)).await).await,
        "Token is invalid"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn eddsa_mode_signs_with_a_published_key(db: Db) {
    let app = spawn_app_with(db, |s| {
        let dir = match &s.signing {
            backend::config::Signing::Hs256 { secret_file, .. } => {
                secret_file.parent().unwrap().to_owned()
            }
            _ => unreachable!(),
        };
        s.signing = backend::config::Signing::EdDsa {
            key_file: dir.join("ed25519.pem"),
        };
    })
    .await;
    let (_, tokens) = app.logged_in().await;

    let jwks: Value = expect_json(
        app.get("/.well-known/jwks.json", None).await,
        StatusCode::OK,
    )
    .await;
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(tokens.access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], header["kid"]);
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    // Another service verifies the token with nothing but the JWKS.
    let decoding =
        jsonwebtoken::DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    validation.set_required_spec_claims(&["exp"]);
    jsonwebtoken::decode::<Value>(&tokens.access, &decoding, &validation)
        .expect("verifies with the JWKS key");
    expect_json::<Value>(
        app.get("/api/users/me/", Some(&tokens.access)).await,
        StatusCode::OK,
    )
    .await;
    expect_json::<TokenPair>(app.refresh(&tokens.refresh).await, StatusCode::OK).await;
    // HS256 signed with the public key (algorithm confusion) is refused.
    let public = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap();
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &claims_of(&tokens.access),
        &EncodingKey::from_secret(&public),
    )
    .unwrap();
    assert_eq!(
        expect_token_not_valid(app.get("/api/users/me/", Some(&confused)).await).await,
        "Token is invalid"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn hs256_mode_publishes_no_jwks(db: Db) {
    let app = spawn_app(db).await;

    let response = app.get("/.well-known/jwks.json", None).await;

    assert_eq!(
        expect_detail(response, StatusCode::NOT_FOUND).await,
        "Not found."
    );
}

async fn failed_login(app: &TestApp, username: &str) -> reqwest::Response {
    app.post(
        "/api/token/",
        &json!({"username": username, "password": "wrong password"}),
        None,
    )
    .await
}

async fn good_login(app: &TestApp, user: &crate::helpers::TestUser) -> reqwest::Response {
    app.post(
        "/api/token/",
        &json!({"username": user.username, "password": user.password}),
        None,
    )
    .await
}

#[apply(both_databases)]
#[tokio::test]
async fn five_failures_lock_the_username_even_for_the_right_password(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;
    let bystander = app.new_user().await;
    for _ in 0..5 {
        assert_eq!(
            failed_login(&app, &user.username).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let locked = good_login(&app, &user).await;

    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    expect_detail(locked, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(
        good_login(&app, &bystander).await.status(),
        StatusCode::OK,
        "other usernames are not locked"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn unknown_usernames_are_throttled_too(db: Db) {
    let app = spawn_app_with(db, |s| s.login_limit.max_failures = 2).await;
    failed_login(&app, "ghost").await;
    failed_login(&app, "ghost").await;

    assert_eq!(
        failed_login(&app, "ghost").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn a_successful_login_resets_the_failure_count(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;
    for _ in 0..4 {
        failed_login(&app, &user.username).await;
    }
    assert_eq!(good_login(&app, &user).await.status(), StatusCode::OK);

    for _ in 0..4 {
        assert_eq!(
            failed_login(&app, &user.username).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(good_login(&app, &user).await.status(), StatusCode::OK);
}

#[apply(both_databases)]
#[tokio::test]
async fn the_lock_lifts_when_the_window_passes(db: Db) {
    let app = spawn_app_with(db, |s| {
        s.login_limit.max_failures = 2;
        s.login_limit.window = Duration::from_secs(5);
    })
    .await;
    let user = app.new_user().await;
    failed_login(&app, &user.username).await;
    failed_login(&app, &user.username).await;
    let locked = good_login(&app, &user).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after <= 5, "{retry_after}");

    app.clock
        .advance(Duration::from_secs(retry_after) + Duration::from_millis(200));

    assert_eq!(good_login(&app, &user).await.status(), StatusCode::OK);
}
