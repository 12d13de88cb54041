//! Seed `000_3f1c5f81c1d9b6ef.txt`: Ployst's Aurelia single-page app, logged
//! in through aurelia-auth against djangorestframework-jwt. It posts the
//! login form to `/api-token-auth/`, keeps the one `token` it gets, sends
//! it as `Authorization: JWT <token>` on every call, reads the username and
//! the expiry from the token's payload and the refresh expiry from
//! `orig_iat`, renews the token by posting it to `/api-token-refresh/` when
//! it is close to expiry, and once it can no longer be renewed lets it
//! expire and asks the user to log in again.
//!
//! Settings (the README's for this seed): `DRF_JWT=true`, everything else
//! at its default (a token lives 300 s, a session 7 days).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{
    Db, TestApp, TestUser, both_databases, claims_of, expect_json, expect_token_not_valid,
    spawn_app_env,
};

/// The session maximum at its default, which drf-jwt calls
/// `JWT_REFRESH_EXPIRATION_DELTA` (also 7 days by default there).
const REFRESH_DELTA: i64 = 7 * 24 * 3600;

async fn ployst_backend(db: Db) -> TestApp {
    spawn_app_env(db, &[("DRF_JWT", "true")]).await
}

/// aurelia-auth's login: the form's fields as JSON to `loginUrl`, and the
/// `token` of the answer (aurelia-auth's default `tokenName`).
async fn login(app: &TestApp, user: &TestUser) -> String {
    // 000: loginUrl: '/api-token-auth/'
    // 000 line 47: "The user sumbits the login form, which triggers a request
    // to obtain a token from the API"
    let body = json!({"username": user.username, "password": user.password});
    let response = app.post("/api-token-auth/", &body, None).await;
    let answer: Value = expect_json(response, StatusCode::OK).await;
    // 000 line 48: "A token is returned and stored in the browser"
    answer["token"].as_str().expect("a token").to_owned()
}

/// A call of the app: aurelia-auth's fetch interceptor adds the token
/// with the configured prefix to every request.
async fn call(app: &TestApp, method: Method, path: &str, token: &str) -> reqwest::Response {
    // 000: authToken: 'JWT',   // for consistency with our backend expectation
    app.client
        .request(method, app.url(path))
        .header("Authorization", format!("JWT {token}"))
        .send()
        .await
        .expect("request")
}

/// The renewal: the current token posted as `{"token"}` to drf-jwt's
/// refresh view (000 line 74: the `RefreshToken` pipeline step; the
/// excerpt does not show its URL, drf-jwt's documented one is
/// `/api-token-refresh/`). It goes through the same interceptor, so it
/// carries the `JWT` header too.
async fn renew(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api-token-refresh/"))
        .header("Authorization", format!("JWT {token}"))
        .json(&json!({"token": token}))
        .send()
        .await
        .expect("POST")
}

fn exp_of(token: &str) -> i64 {
    claims_of(token)["exp"].as_i64().expect("exp")
}

#[apply(both_databases)]
#[tokio::test]
async fn aurelia_logs_in_and_calls_the_api_with_its_jwt_prefix(db: Db) {
    let app = ployst_backend(db).await;
    let user = app.new_user().await;

    let token = login(&app, &user).await;

    // 000 lines 26-30, "Things we include in the token payload": Username,
    // Expiry date, Refresh expiry date; read without verifying.
    let claims = claims_of(&token);
    let now = app.clock.now().secs();
    assert_eq!(claims["username"], user.username.as_str(), "{claims}");
    assert!(exp_of(&token) > now, "{claims}");
    let orig_iat = claims["orig_iat"].as_i64().expect("orig_iat");
    assert!(
        orig_iat <= now && orig_iat + REFRESH_DELTA > now,
        "{claims}"
    );
    // 000 line 49: "The user is then directed to the page she wanted to get
    // to": the API answers the JWT-prefixed token.
    let me: Value = expect_json(
        call(&app, Method::GET, "/api/users/me/", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["username"], user.username.as_str());
    let notes = call(&app, Method::GET, "/api/notes/", &token).await;
    assert_eq!(notes.status(), StatusCode::OK);
}

#[apply(both_databases)]
#[tokio::test]
async fn aurelia_renews_the_token_close_to_expiry_and_the_new_one_keeps_the_refresh_expiry(db: Db) {
    let app = ployst_backend(db).await;
    let mut token = login(&app, &app.new_user().await).await;
    let orig_iat = claims_of(&token)["orig_iat"].clone();

    for _ in 0..3 {
        // 000 line 53: "We periodically check for the token expiration date"
        // 000 line 54: "If the token is close enough to expiry, we issue a
        // token refresh request to the API. If successful, we replace the
        // token with the new one"
        let now = app.clock.now().secs();
        app.clock
            .advance(Duration::from_secs((exp_of(&token) - now - 30) as u64));
        let response = renew(&app, &token).await;
        let answer: Value = expect_json(response, StatusCode::OK).await;
        let renewed = answer["token"].as_str().expect("a token").to_owned();
        assert!(exp_of(&renewed) > exp_of(&token));
        // 000 line 30: the refresh expiry comes from the first login.
        assert_eq!(claims_of(&renewed)["orig_iat"], orig_iat);
        token = renewed;
        let me = call(&app, Method::GET, "/api/users/me/", &token).await;
        assert_eq!(me.status(), StatusCode::OK);
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn after_a_week_of_renewals_aurelia_lets_the_token_expire_and_the_api_asks_for_a_login(
    db: Db,
) {
    let app = ployst_backend(db).await;
    let user = app.new_user().await;
    let mut token = login(&app, &user).await;
    let orig_iat = claims_of(&token)["orig_iat"].as_i64().unwrap();

    // 000 line 35: "Longer renewal cycles (e.g. one week)": renewed 30 s
    // before each expiry for as long as the server renews it.
    let refused = loop {
        let now = app.clock.now().secs();
        app.clock
            .advance(Duration::from_secs((exp_of(&token) - now - 30) as u64));
        let response = renew(&app, &token).await;
        if response.status() != StatusCode::OK {
            break response;
        }
        let answer: Value = response.json().await.expect("JSON");
        token = answer["token"].as_str().expect("a token").to_owned();
        assert_eq!(claims_of(&token)["orig_iat"], orig_iat);
        assert!(
            app.clock.now().secs() < orig_iat + REFRESH_DELTA,
            "renewed past the refresh expiry"
        );
    };
    // The refusal comes at the refresh expiry the client read from the
    // payload (000 line 30), not before.
    assert!(app.clock.now().secs() >= orig_iat + REFRESH_DELTA);
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // 000 line 55: "If the token can no longer be renewed, we let it
    // expire": until then it still works ...
    let me = call(&app, Method::GET, "/api/users/me/", &token).await;
    assert_eq!(me.status(), StatusCode::OK);
    // ... 000 line 56: "When the token end of life date is reached, the user
    // is prompted to log in again".
    let now = app.clock.now().secs();
    app.clock
        .advance(Duration::from_secs((exp_of(&token) - now) as u64));
    expect_token_not_valid(call(&app, Method::GET, "/api/users/me/", &token).await).await;
    // 000 line 37: "the user will need to log in again to start a new cycle"
    let token = login(&app, &user).await;
    assert!(claims_of(&token)["orig_iat"].as_i64().unwrap() >= orig_iat + REFRESH_DELTA);
    let me = call(&app, Method::GET, "/api/users/me/", &token).await;
    assert_eq!(me.status(), StatusCode::OK);
}
