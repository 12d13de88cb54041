//! API.md Part 2, "The single-token protocol of djangorestframework-jwt
//! (`DRF_JWT=true`)": obtain, refresh (keeping `orig_iat`, never past the
//! session cap), verify, drf-jwt's error bodies, and what ends a session.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{
    Db, TestApp, TestUser, both_databases, claims_of, expect_fields, expect_json, spawn_app,
    spawn_app_env,
};

const TTL: u64 = 600;
const SESSION_MAX: u64 = 3600;

async fn drf_app(db: Db) -> TestApp {
    spawn_app_env(
        db,
        &[
            ("DRF_JWT", "true"),
            ("DRF_JWT_TTL_SECS", "600"),
            ("SESSION_MAX_SECS", "3600"),
        ],
    )
    .await
}

/// `POST /api-token-auth/` as the user, the token.
async fn obtain(app: &TestApp, user: &TestUser) -> String {
    let body = json!({"username": user.username, "password": user.password});
    let response = app.post("/api-token-auth/", &body, None).await;
    token_of(response).await
}

/// A 200 `{"token"}` answer's token; nothing else is in it.
async fn token_of(response: reqwest::Response) -> String {
    let body: Value = expect_json(response, StatusCode::OK).await;
    let fields = body.as_object().expect("an object");
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["token"], "{body}");
    body["token"].as_str().expect("a string").to_owned()
}

/// A 400 `{"non_field_errors": [message]}`'s message.
async fn refusal(response: reqwest::Response) -> String {
    let errors = expect_fields(response).await;
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        ["non_field_errors"],
        "{errors:?}"
    );
    assert_eq!(errors["non_field_errors"].len(), 1);
    errors["non_field_errors"][0].clone()
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api-token-refresh/", &json!({"token": token}), None)
        .await
}

#[apply(both_databases)]
#[tokio::test]
async fn without_drf_jwt_its_paths_are_not_found(db: Db) {
    let app = spawn_app(db).await;
    for path in [
        "/api-token-auth/",
        "/api-token-refresh/",
        "/api-token-verify/",
        "/api-token-auth",
    ] {
        let response = app.post(path, &json!({"token": "x"}), None).await;
        let body: Value = expect_json(response, StatusCode::NOT_FOUND).await;
        assert_eq!(body, json!({"detail": "Not found."}), "{path}");
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn obtain_answers_one_token_with_drf_jwts_claims(db: Db) {
    let app = drf_app(db).await;
    let user = app.new_user().await;
    let before = app.clock.now().secs();
    let token = obtain(&app, &user).await;
    let claims = claims_of(&token);
    assert_eq!(claims["user_id"], user.id);
    assert_eq!(claims["username"], user.username.as_str());
    assert_eq!(claims["email"], format!("{}@example.com", user.username));
    assert_eq!(claims["token_type"], "access");
    assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
    assert!(claims["sid"].is_string(), "{claims}");
    let iat = claims["iat"].as_i64().unwrap();
    assert!(iat >= before);
    assert_eq!(claims["orig_iat"], iat);
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, TTL as i64);

    // Accepted by every authenticated endpoint, with either prefix.
    for prefix in ["JWT", "Bearer"] {
        let me = app
            .client
            .get(app.url("/api/users/me/"))
            .header("Authorization", format!("{prefix} {token}"))
            .send()
            .await
            .unwrap();
        let me: shared::User = expect_json(me, StatusCode::OK).await;
        assert_eq!(me.id, user.id, "{prefix}");
    }
    let note = app.create_note(&token, "from drf-jwt", "").await;
    assert_eq!(note.title, "from drf-jwt");
}

#[apply(both_databases)]
#[tokio::test]
async fn obtain_refuses_bad_credentials_in_drf_jwts_words_and_is_throttled(db: Db) {
    let app = drf_app(db).await;
    let user = app.new_user().await;
    let wrong = json!({"username": user.username, "password": "wrong password"});
    let unknown = json!({"username": "nobody-at-all", "password": "wrong password"});
    app.sql(&format!(
        "update users set is_active = 0 where id = {}",
        app.new_user().await.id
    ))
    .await;
    for body in [&wrong, &unknown] {
        let response = app.post("/api-token-auth/", body, None).await;
        assert_eq!(
            refusal(response).await,
            "Unable to log in with provided credentials."
        );
    }
    let errors = expect_fields(app.post("/api-token-auth/", &json!({}), None).await).await;
    assert_eq!(errors["username"], ["This field is required."]);
    assert_eq!(errors["password"], ["This field is required."]);
    for _ in 0..4 {
        app.post("/api-token-auth/", &wrong, None).await;
    }
    let right = json!({"username": user.username, "password": user.password});
    let response = app.post("/api-token-auth/", &right, None).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
}

#[apply(both_databases)]
#[tokio::test]
async fn an_inactive_user_cannot_obtain_a_token(db: Db) {
    let app = drf_app(db).await;
    let user = app.new_user().await;
    app.sql(&format!(
        "update users set is_active = 0 where id = {}",
        user.id
    ))
    .await;
    let body = json!({"username": user.username, "password": user.password});
    let response = app.post("/api-token-auth/", &body, None).await;
    assert_eq!(
        refusal(response).await,
        "Unable to log in with provided credentials."
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn refresh_gives_a_new_token_with_the_same_orig_iat_and_session(db: Db) {
    let app = drf_app(db).await;
    let user = app.new_user().await;
    let first = obtain(&app, &user).await;
    app.clock.advance(Duration::from_secs(100));
    let second = token_of(refresh(&app, &first).await).await;
    let (a, b) = (claims_of(&first), claims_of(&second));
    assert_ne!(first, second);
    assert_eq!(b["orig_iat"], a["orig_iat"]);
    assert_eq!(b["sid"], a["sid"]);
    assert_eq!(b["iat"].as_i64().unwrap(), a["iat"].as_i64().unwrap() + 100);
    assert_eq!(
        b["exp"].as_i64().unwrap(),
        b["iat"].as_i64().unwrap() + TTL as i64
    );
    assert_ne!(b["jti"], a["jti"]);
    // drf-jwt's tokens are not single-use: the old one refreshes again.
    token_of(refresh(&app, &first).await).await;
    // One session, refreshed: listed once, as the current one.
    let sessions: Vec<Value> = expect_json(
        app.get("/api/sessions/", Some(&second)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["id"], a["sid"]);
    assert_eq!(sessions[0]["current"], true);
}

#[apply(both_databases)]
#[tokio::test]
async fn an_expired_token_does_not_refresh(db: Db) {
    let app = drf_app(db).await;
    let token = obtain(&app, &app.new_user().await).await;
    app.clock.advance(Duration::from_secs(TTL));
    assert_eq!(
        refusal(refresh(&app, &token).await).await,
        "Signature has expired."
    );
    let verify = app
        .post("/api-token-verify/", &json!({"token": token}), None)
        .await;
    assert_eq!(refusal(verify).await, "Signature has expired.");
}

#[apply(both_databases)]
#[tokio::test]
async fn refreshing_stops_at_orig_iat_plus_the_session_maximum(db: Db) {
    let app = drf_app(db).await;
    let mut token = obtain(&app, &app.new_user().await).await;
    let orig_iat = claims_of(&token)["orig_iat"].as_i64().unwrap();
    // Refreshed every 500 s (before each token's 600 s are up) ...
    let mut refreshed = 0;
    loop {
        app.clock.advance(Duration::from_secs(500));
        let response = refresh(&app, &token).await;
        if response.status() != StatusCode::OK {
            assert_eq!(refusal(response).await, "Refresh has expired.");
            break;
        }
        token = token_of(response).await;
        refreshed += 1;
        assert!(refreshed < 100, "the cap never came");
    }
    // ... it was renewed until the cap and not once after.
    let now = app.clock.now().secs();
    assert!(now >= orig_iat + SESSION_MAX as i64);
    assert!(now - 500 < orig_iat + SESSION_MAX as i64);
    assert_eq!(refreshed, (SESSION_MAX / 500) as i32);
    assert_eq!(claims_of(&token)["orig_iat"], orig_iat);
}

#[apply(both_databases)]
#[tokio::test]
async fn tokens_that_are_not_ours_or_not_drf_jwts_are_refused(db: Db) {
    let app = drf_app(db).await;
    let user = app.new_user().await;
    let pair = app.login(&user).await;
    let forged = {
        let key = jsonwebtoken::EncodingKey::from_secret(b"another secret, not the server's one");
        let claims = claims_of(&obtain(&app, &user).await);
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };
    for (token, message) in [
        ("abc", "Error decoding signature."),
        (forged.as_str(), "Error decoding signature."),
        (pair.refresh.as_str(), "Error decoding signature."),
        // simplejwt's access token has no login time to refresh from.
        (pair.access.as_str(), "orig_iat field is required."),
    ] {
        assert_eq!(
            refusal(refresh(&app, token).await).await,
            message,
            "{token}"
        );
    }
    for body in [json!({}), json!({"token": ""})] {
        let errors = expect_fields(app.post("/api-token-refresh/", &body, None).await).await;
        assert_eq!(errors["token"], ["This field is required."]);
        let errors = expect_fields(app.post("/api-token-verify/", &body, None).await).await;
        assert_eq!(errors["token"], ["This field is required."]);
    }
    let verify = app
        .post("/api-token-verify/", &json!({"token": forged}), None)
        .await;
    assert_eq!(refusal(verify).await, "Error decoding signature.");
}

#[apply(both_databases)]
#[tokio::test]
async fn verify_answers_the_same_token(db: Db) {
    let app = drf_app(db).await;
    let token = obtain(&app, &app.new_user().await).await;
    let response = app
        .post("/api-token-verify/", &json!({"token": token}), None)
        .await;
    assert_eq!(token_of(response).await, token);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_password_change_stops_every_refresh(db: Db) {
    let app = drf_app(db).await;
    let user = app.new_user().await;
    let (token, other) = (obtain(&app, &user).await, obtain(&app, &user).await);
    let change = json!({"current_password": user.password, "new_password": "battery staple horse"});
    let response = app
        .post("/api/users/set_password/", &change, Some(&token))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for token in [&token, &other] {
        assert_eq!(
            refusal(refresh(&app, token).await).await,
            "This session has ended; log in again."
        );
    }
    let new = json!({"username": user.username, "password": "battery staple horse"});
    token_of(app.post("/api-token-auth/", &new, None).await).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn ending_the_session_stops_its_refresh_only(db: Db) {
    let app = drf_app(db).await;
    let user = app.new_user().await;
    let (ended, kept) = (obtain(&app, &user).await, obtain(&app, &user).await);
    let sid = claims_of(&ended)["sid"].as_str().unwrap().to_owned();
    let response = app
        .delete(&format!("/api/sessions/{sid}/"), Some(&kept))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        refusal(refresh(&app, &ended).await).await,
        "This session has ended; log in again."
    );
    token_of(refresh(&app, &kept).await).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn a_deactivated_or_deleted_user_cannot_refresh_or_verify(db: Db) {
    let app = drf_app(db).await;
    let (inactive, deleted) = (app.new_user().await, app.new_user().await);
    let (inactive_token, deleted_token) =
        (obtain(&app, &inactive).await, obtain(&app, &deleted).await);
    app.sql(&format!(
        "update users set is_active = 0 where id = {}",
        inactive.id
    ))
    .await;
    let body = json!({"current_password": deleted.password});
    let response = app
        .send(
            Method::DELETE,
            "/auth/users/me/",
            &body,
            Some(&deleted_token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for (token, message) in [
        (&inactive_token, "User account is disabled."),
        (&deleted_token, "User doesn't exist."),
    ] {
        assert_eq!(refusal(refresh(&app, token).await).await, message);
        let verify = app
            .post("/api-token-verify/", &json!({"token": token}), None)
            .await;
        assert_eq!(refusal(verify).await, message);
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn by_email_obtain_takes_the_email(db: Db) {
    let app = spawn_app_env(db, &[("DRF_JWT", "true"), ("LOGIN_FIELD", "email")]).await;
    let body = json!({"email": "ann@example.com", "password": "correct horse battery"});
    assert_eq!(
        app.post("/auth/users/", &body, None).await.status(),
        StatusCode::CREATED
    );
    let token = token_of(app.post("/api-token-auth/", &body, None).await).await;
    assert_eq!(claims_of(&token)["email"], "ann@example.com");
    let by_name = json!({"username": "ann@example.com", "password": "correct horse battery"});
    let errors = expect_fields(app.post("/api-token-auth/", &by_name, None).await).await;
    assert_eq!(errors["email"], ["This field is required."]);
}
