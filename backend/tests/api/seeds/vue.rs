//! Seed `001_a9b6e0d6f07a85e4.txt`: "JWT Authentication in Vue.js and
//! Django Rest Framework - Part 1", the djangorestframework-jwt backend of
//! a Vue.js app. Its `urls.py` puts drf-jwt's views at
//! `auth/obtain_token/` and `auth/refresh_token/`; its curl commands (what
//! the Vue client of Part 2 sends) post `{"username", "password"}` to
//! `/auth/obtain_token` without the trailing slash and `{"token"}` to
//! `/auth/refresh_token/`. Tokens live 1 hour and are refreshable up to 7
//! days after the first login; its views take `JWT <token>`.
//!
//! Settings (the README's for this seed): `DRF_JWT=true`,
//! `DRF_JWT_TTL_SECS=3600`, `SESSION_MAX_SECS=604800`,
//! `PATH_ALIASES=/auth/obtain_token/=/api-token-auth/,/auth/refresh_token/=/api-token-refresh/`.

use std::time::Duration;

use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{
    Db, TestApp, TestUser, both_databases, claims_of, expect_json, expect_token_not_valid,
    spawn_app_env,
};

// 001 line 61: 'JWT_EXPIRATION_DELTA': datetime.timedelta(hours=1),
const HOUR: u64 = 3600;
// 001 line 62: 'JWT_REFRESH_EXPIRATION_DELTA': datetime.timedelta(days=7),
const WEEK: i64 = 7 * 24 * 3600;

async fn vue_backend(db: Db) -> TestApp {
    spawn_app_env(
        db,
        &[
            ("DRF_JWT", "true"),
            ("DRF_JWT_TTL_SECS", "3600"),
            ("SESSION_MAX_SECS", "604800"),
            (
                "PATH_ALIASES",
                "/auth/obtain_token/=/api-token-auth/,/auth/refresh_token/=/api-token-refresh/",
            ),
        ],
    )
    .await
}

/// The seed's obtain curl, and the `token` of its answer.
async fn obtain(app: &TestApp, user: &TestUser) -> String {
    // 001 line 86: curl -X POST -H "Content-Type: application/json"
    //   -d '{"username":"<your_username>","password":"<your_password>"}'
    //   http://<your_domain_and_port>/auth/obtain_token
    let body = json!({"username": user.username, "password": user.password});
    let response = app.post("/auth/obtain_token", &body, None).await;
    token_of(response).await
}

/// The seed's refresh curl.
async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    // 001 line 96: curl -X POST -H "Content-Type: application/json"
    //   -d '{"token":"<EXISTING_TOKEN>"}' http://<your_domain_and_port>/auth/refresh_token/
    app.post("/auth/refresh_token/", &json!({"token": token}), None)
        .await
}

/// 001 line 90: the answer is `"token": "eyJ…"`.
async fn token_of(response: reqwest::Response) -> String {
    let answer: Value = expect_json(response, StatusCode::OK).await;
    answer["token"].as_str().expect("a token").to_owned()
}

/// A view guarded as `PostsView` is (001 line 47:
/// `authentication_class = (JSONWebTokenAuthentication,)`), called with
/// drf-jwt's default prefix.
async fn protected(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/notes/"))
        .header("Authorization", format!("JWT {token}"))
        .send()
        .await
        .expect("GET")
}

#[apply(both_databases)]
#[tokio::test]
async fn vue_obtains_a_token_at_auth_obtain_token_without_the_slash(db: Db) {
    let app = vue_backend(db).await;
    // 001 line 79: "make sure your have your User created in your DB"
    let user = app.new_user().await;

    let token = obtain(&app, &user).await;

    // 001 line 90, the sample token's payload: {"user_id":1,
    // "username":"melvin","exp":…,"email":"melvinkcx@hotmail.com","orig_iat":…}
    let claims = claims_of(&token);
    assert_eq!(claims["user_id"], user.id, "{claims}");
    assert_eq!(claims["username"], user.username.as_str(), "{claims}");
    assert_eq!(claims["email"], format!("{}@example.com", user.username));
    let orig_iat = claims["orig_iat"].as_i64().expect("orig_iat");
    // 001 line 55: "each token will expire in 1 hour after issuance"
    assert_eq!(claims["exp"].as_i64().expect("exp") - orig_iat, HOUR as i64);
    // 001 line 51: "all request has to be authenticated with a JWT"
    assert_eq!(protected(&app, &token).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/notes/", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn vue_refreshes_at_auth_refresh_token_within_the_hour_and_keeps_orig_iat(db: Db) {
    let app = vue_backend(db).await;
    let first = obtain(&app, &app.new_user().await).await;

    // 001 line 94: "simply POST your existing token to the refresh_jwt_token
    // endpoint, and you will expect a new token"
    app.clock.advance(Duration::from_secs(HOUR - 60));
    let second = token_of(refresh(&app, &first).await).await;

    let (a, b) = (claims_of(&first), claims_of(&second));
    assert_ne!(first, second);
    assert_eq!(b["orig_iat"], a["orig_iat"], "{a} {b}");
    assert_eq!(b["username"], a["username"]);
    assert_eq!(
        b["exp"].as_i64().unwrap(),
        app.clock.now().secs() + HOUR as i64
    );
    // The first token's hour is over; the new one has most of its own.
    app.clock.advance(Duration::from_secs(60));
    expect_token_not_valid(protected(&app, &first).await).await;
    assert_eq!(protected(&app, &second).await.status(), StatusCode::OK);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_token_left_to_expire_is_not_refreshed(db: Db) {
    let app = vue_backend(db).await;
    let token = obtain(&app, &app.new_user().await).await;

    // 001 line 20: "it has to be constantly renewed or refreshed to keep the
    // token valid"
    app.clock.advance(Duration::from_secs(HOUR));

    assert_eq!(
        refresh(&app, &token).await.status(),
        StatusCode::BAD_REQUEST
    );
    expect_token_not_valid(protected(&app, &token).await).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn vue_refreshes_hourly_for_seven_days_after_orig_iat_and_then_not(db: Db) {
    let app = vue_backend(db).await;
    let user = app.new_user().await;
    let mut token = obtain(&app, &user).await;
    let orig_iat = claims_of(&token)["orig_iat"].as_i64().unwrap();

    // 001 line 55: "you can only refresh it to the maximum lifespan up to 7
    // days. You will not be able to refresh the token if your token
    // lifespan is depleted."
    let mut refreshes = 0;
    let refused = loop {
        app.clock.advance(Duration::from_secs(HOUR - 60));
        let response = refresh(&app, &token).await;
        if response.status() != StatusCode::OK {
            break response;
        }
        token = token_of(response).await;
        assert_eq!(claims_of(&token)["orig_iat"], orig_iat);
        refreshes += 1;
    };
    let now = app.clock.now().secs();
    assert!(now >= orig_iat + WEEK, "refused before the 7 days: {now}");
    assert!(
        now - (HOUR as i64 - 60) < orig_iat + WEEK,
        "refreshed past the 7 days"
    );
    assert_eq!(refreshes, WEEK / (HOUR as i64 - 60));
    let body: Value = expect_json(refused, StatusCode::BAD_REQUEST).await;
    assert_eq!(body, json!({"non_field_errors": ["Refresh has expired."]}));
    // Logging in again starts a new 7 days.
    let token = obtain(&app, &user).await;
    token_of(refresh(&app, &token).await).await;
}
