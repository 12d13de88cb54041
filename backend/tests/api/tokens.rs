//! API.md "Tokens": login, refresh with rotation and reuse detection,
//! verify, blacklist, the session cap.

use std::time::Duration;

use futures::future::join_all;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};
use shared::{AccessClaims, RefreshClaims, TokenPair, TokenType};

use crate::helpers::{
    Db, both_databases, claims_of, expect_detail, expect_json, expect_token_not_valid,
    short_lifetimes, spawn_app, spawn_app_with,
};

#[apply(both_databases)]
#[tokio::test]
async fn login_returns_a_pair_that_opens_protected_routes(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;

    let tokens = app.login(&user).await;

    let me: shared::User = expect_json(
        app.get("/api/users/me/", Some(&tokens.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me.username, user.username);
}

#[apply(both_databases)]
#[tokio::test]
async fn tokens_carry_the_documented_claims(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;

    let tokens = app.login(&user).await;

    let access: Value = claims_of(&tokens.access);
    assert_eq!(access["token_type"], "access");
    assert_eq!(access["user_id"], user.id);
    assert_eq!(access["username"], user.username.as_str());
    // API.md Part 2: access tokens carry their session, not auth_time.
    assert_eq!(access["sid"], claims_of(&tokens.refresh)["sid"], "{access}");
    assert!(access.get("auth_time").is_none(), "{access}");
    let access: AccessClaims = serde_json::from_value(access).unwrap();
    assert_eq!(access.exp - access.iat, 300);
    assert!(access.jti.len() == 32 && access.jti.chars().all(|c| c.is_ascii_hexdigit()));
    let refresh: RefreshClaims = serde_json::from_value(claims_of(&tokens.refresh)).unwrap();
    assert_eq!(refresh.token_type, TokenType::Refresh);
    assert_eq!(refresh.exp - refresh.iat, 86_400);
    assert_eq!(refresh.auth_time, refresh.iat);
    assert_eq!(refresh.sid.len(), 32);
    assert_ne!(refresh.jti, access.jti);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_401(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;

    let wrong = app
        .post(
            "/api/token/",
            &json!({"username": user.username, "password": "not the password"}),
            None,
        )
        .await;
    let unknown = app
        .post(
            "/api/token/",
            &json!({"username": "nobody", "password": "not the password"}),
            None,
        )
        .await;

    for response in [wrong, unknown] {
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            r#"Bearer realm="api""#
        );
        assert_eq!(
            expect_detail(response, StatusCode::UNAUTHORIZED).await,
            "No active account found with the given credentials"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn login_reports_every_missing_field(db: Db) {
    let app = spawn_app(db).await;

    let response = app
        .post("/api/token/", &json!({"username": "  "}), None)
        .await;

    let body: Value = expect_json(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body,
        json!({"username": ["This field is required."], "password": ["This field is required."]})
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn a_refresh_rotates_the_refresh_token(db: Db) {
    let app = spawn_app(db).await;
    let (_, first) = app.logged_in().await;

    let second: TokenPair = expect_json(app.refresh(&first.refresh).await, StatusCode::OK).await;

    assert_ne!(second.refresh, first.refresh);
    let old = claims_of(&first.refresh);
    let new = claims_of(&second.refresh);
    assert_eq!(new["sid"], old["sid"], "a rotation stays in its session");
    assert_eq!(new["auth_time"], old["auth_time"]);
    expect_json::<Value>(
        app.get("/api/users/me/", Some(&second.access)).await,
        StatusCode::OK,
    )
    .await;
    // Verify is not idempotent: the rotated token is spent.
    let verified = app
        .post("/api/token/verify/", &json!({"token": first.refresh}), None)
        .await;
    assert_eq!(
        expect_token_not_valid(verified).await,
        "Token is blacklisted"
    );
    expect_json::<TokenPair>(app.refresh(&second.refresh).await, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_refreshes_rotate_a_token_exactly_once(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    let responses = join_all((0..20).map(|_| app.refresh(&tokens.refresh))).await;

    // API.md Part 2: all twenty get 200 with one and the same refresh
    // token, and the session gained exactly one token.
    let mut refreshes = std::collections::BTreeSet::new();
    for response in responses {
        let pair: TokenPair = expect_json(response, StatusCode::OK).await;
        refreshes.insert(pair.refresh);
    }
    assert_eq!(refreshes.len(), 1, "{refreshes:?}");
    let sid = claims_of(&tokens.refresh)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.count(&format!(
            "select count(*) from refresh_tokens where sid = '{sid}'"
        ))
        .await,
        2
    );
    let winner = refreshes.into_iter().next().unwrap();
    expect_json::<TokenPair>(app.refresh(&winner).await, StatusCode::OK).await;
}

/// API.md Part 2: a client whose refresh answer was lost presents the old
/// token again inside the grace and gets the same pair's refresh token,
/// byte for byte, and nothing else changes.
#[apply(both_databases)]
#[tokio::test]
async fn a_refresh_retried_inside_the_grace_gets_the_same_token(db: Db) {
    let app = spawn_app(db).await;
    let (_, first) = app.logged_in().await;
    let lost: TokenPair = expect_json(app.refresh(&first.refresh).await, StatusCode::OK).await;
    app.clock.advance(Duration::from_secs(5));

    let retried: TokenPair = expect_json(app.refresh(&first.refresh).await, StatusCode::OK).await;

    assert_eq!(retried.refresh, lost.refresh, "byte for byte");
    assert_ne!(retried.access, lost.access, "a fresh access token");
    expect_json::<Value>(
        app.get("/api/users/me/", Some(&retried.access)).await,
        StatusCode::OK,
    )
    .await;
    let sid = claims_of(&first.refresh)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let count = format!("select count(*) from refresh_tokens where sid = '{sid}'");
    assert_eq!(app.count(&count).await, 2, "no new token was created");
    // The newest token of the session is what a retry gets.
    let third: TokenPair = expect_json(app.refresh(&lost.refresh).await, StatusCode::OK).await;
    let again: TokenPair = expect_json(app.refresh(&first.refresh).await, StatusCode::OK).await;
    assert_eq!(again.refresh, third.refresh);
    expect_json::<TokenPair>(app.refresh(&third.refresh).await, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn a_logged_out_token_is_refused_inside_the_grace_too(db: Db) {
    let app = spawn_app(db).await;
    let (_, first) = app.logged_in().await;
    let second: TokenPair = expect_json(app.refresh(&first.refresh).await, StatusCode::OK).await;
    let logout = app
        .post(
            "/api/token/blacklist/",
            &json!({"refresh": second.refresh}),
            None,
        )
        .await;
    assert_eq!(logout.status(), StatusCode::OK);

    assert_eq!(
        expect_token_not_valid(app.refresh(&second.refresh).await).await,
        "Token is blacklisted"
    );
    // The rotated one finds no current token to hand out: the session ended.
    assert_eq!(
        expect_token_not_valid(app.refresh(&first.refresh).await).await,
        "Token is blacklisted"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn reuse_after_the_grace_revokes_the_whole_session_only(db: Db) {
    let app = spawn_app_with(db, |s| s.tokens.reuse_grace = Duration::from_secs(1)).await;
    let (user, stolen) = app.logged_in().await;
    let other_session = app.login(&user).await;
    let victim: TokenPair = expect_json(app.refresh(&stolen.refresh).await, StatusCode::OK).await;
    app.clock.advance(Duration::from_millis(1_300));

    let thief = app.refresh(&stolen.refresh).await;

    assert_eq!(expect_token_not_valid(thief).await, "Token is blacklisted");
    assert_eq!(
        expect_token_not_valid(app.refresh(&victim.refresh).await).await,
        "Token is blacklisted",
        "the newest token of the stolen session must be revoked too"
    );
    expect_json::<TokenPair>(app.refresh(&other_session.refresh).await, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn an_expired_access_token_is_refused(db: Db) {
    let app = spawn_app_with(db, short_lifetimes(3, 60)).await;
    let (_, tokens) = app.logged_in().await;
    expect_json::<Value>(
        app.get("/api/users/me/", Some(&tokens.access)).await,
        StatusCode::OK,
    )
    .await;

    app.clock.advance(Duration::from_millis(4_100));

    let response = app.get("/api/users/me/", Some(&tokens.access)).await;
    assert_eq!(expect_token_not_valid(response).await, "Token is expired");
    let renewed: TokenPair = expect_json(app.refresh(&tokens.refresh).await, StatusCode::OK).await;
    expect_json::<Value>(
        app.get("/api/users/me/", Some(&renewed.access)).await,
        StatusCode::OK,
    )
    .await;
}

#[apply(both_databases)]
#[tokio::test]
async fn an_expired_refresh_token_is_refused(db: Db) {
    let app = spawn_app_with(db, short_lifetimes(1, 1)).await;
    let (_, tokens) = app.logged_in().await;

    app.clock.advance(Duration::from_millis(2_100));

    assert_eq!(
        expect_token_not_valid(app.refresh(&tokens.refresh).await).await,
        "Token is expired"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn refreshing_never_extends_a_session_past_its_maximum(db: Db) {
    let app = spawn_app_with(db, |s| {
        s.tokens.refresh_ttl = Duration::from_secs(60);
        s.tokens.session_max = Duration::from_secs(4);
    })
    .await;
    let (_, first) = app.logged_in().await;
    let auth_time = claims_of(&first.refresh)["auth_time"].as_i64().unwrap();
    assert_eq!(
        claims_of(&first.refresh)["exp"].as_i64().unwrap(),
        auth_time + 4
    );

    let second: TokenPair = expect_json(app.refresh(&first.refresh).await, StatusCode::OK).await;
    assert_eq!(
        claims_of(&second.refresh)["exp"].as_i64().unwrap(),
        auth_time + 4
    );
    app.clock.advance(Duration::from_millis(5_100));

    assert_eq!(
        expect_token_not_valid(app.refresh(&second.refresh).await).await,
        "Token is expired"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn verify_accepts_valid_tokens_of_either_type(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    for token in [&tokens.access, &tokens.refresh] {
        let response = app
            .post("/api/token/verify/", &json!({ "token": token }), None)
            .await;
        assert_eq!(
            expect_json::<Value>(response, StatusCode::OK).await,
            json!({})
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn verify_refuses_spent_and_broken_tokens(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    expect_json::<TokenPair>(app.refresh(&tokens.refresh).await, StatusCode::OK).await;

    let rotated = app
        .post(
            "/api/token/verify/",
            &json!({"token": tokens.refresh}),
            None,
        )
        .await;
    let garbage = app
        .post("/api/token/verify/", &json!({"token": "abc.def.ghi"}), None)
        .await;
    let missing = app.post("/api/token/verify/", &json!({}), None).await;

    assert_eq!(
        expect_token_not_valid(rotated).await,
        "Token is blacklisted"
    );
    assert_eq!(expect_token_not_valid(garbage).await, "Token is invalid");
    let body: Value = expect_json(missing, StatusCode::BAD_REQUEST).await;
    assert_eq!(body, json!({"token": ["This field is required."]}));
}

#[apply(both_databases)]
#[tokio::test]
async fn logout_blacklists_the_refresh_token_and_only_that_session(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    let other = app.login(&user).await;

    let response = app
        .post(
            "/api/token/blacklist/",
            &json!({"refresh": tokens.refresh}),
            None,
        )
        .await;

    assert_eq!(
        expect_json::<Value>(response, StatusCode::OK).await,
        json!({})
    );
    assert_eq!(
        expect_token_not_valid(app.refresh(&tokens.refresh).await).await,
        "Token is blacklisted"
    );
    expect_json::<TokenPair>(app.refresh(&other.refresh).await, StatusCode::OK).await;
    // API.md: access tokens live until their `exp`, even after logout.
    expect_json::<Value>(
        app.get("/api/users/me/", Some(&tokens.access)).await,
        StatusCode::OK,
    )
    .await;
}

#[apply(both_databases)]
#[tokio::test]
async fn logout_of_a_spent_token_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (user, blacklisted) = app.logged_in().await;
    app.post(
        "/api/token/blacklist/",
        &json!({"refresh": blacklisted.refresh}),
        None,
    )
    .await;
    let rotated = app.login(&user).await;
    expect_json::<TokenPair>(app.refresh(&rotated.refresh).await, StatusCode::OK).await;

    let again = app
        .post(
            "/api/token/blacklist/",
            &json!({"refresh": blacklisted.refresh}),
            None,
        )
        .await;
    let spent = app
        .post(
            "/api/token/blacklist/",
            &json!({"refresh": rotated.refresh}),
            None,
        )
        .await;

    assert_eq!(expect_token_not_valid(again).await, "Token is blacklisted");
    assert_eq!(expect_token_not_valid(spent).await, "Token is blacklisted");
}

#[apply(both_databases)]
#[tokio::test]
async fn logout_of_an_expired_token_is_refused(db: Db) {
    let app = spawn_app_with(db, short_lifetimes(1, 1)).await;
    let (_, expiring) = app.logged_in().await;

    app.clock.advance(Duration::from_millis(2_100));
    let expired = app
        .post(
            "/api/token/blacklist/",
            &json!({"refresh": expiring.refresh}),
            None,
        )
        .await;

    assert_eq!(expect_token_not_valid(expired).await, "Token is expired");
}

#[apply(both_databases)]
#[tokio::test]
async fn a_token_is_never_accepted_as_the_other_type(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    let refresh_as_access = app.get("/api/users/me/", Some(&tokens.refresh)).await;
    let access_as_refresh = app.refresh(&tokens.access).await;
    let access_as_logout = app
        .post(
            "/api/token/blacklist/",
            &json!({"refresh": tokens.access}),
            None,
        )
        .await;

    for response in [refresh_as_access, access_as_refresh, access_as_logout] {
        assert_eq!(
            expect_token_not_valid(response).await,
            "Token has wrong type"
        );
    }
    // Nothing was spent by the refused attempts.
    expect_json::<TokenPair>(app.refresh(&tokens.refresh).await, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn with_rotation_off_a_refresh_returns_only_an_access_token(db: Db) {
    let app = spawn_app_with(db, |s| s.tokens.rotate = false).await;
    let (_, tokens) = app.logged_in().await;

    let first: Value = expect_json(app.refresh(&tokens.refresh).await, StatusCode::OK).await;
    let second: Value = expect_json(app.refresh(&tokens.refresh).await, StatusCode::OK).await;

    assert!(first.get("refresh").is_none(), "{first}");
    let access = second["access"].as_str().unwrap();
    expect_json::<Value>(
        app.get("/api/users/me/", Some(access)).await,
        StatusCode::OK,
    )
    .await;
    app.post(
        "/api/token/blacklist/",
        &json!({"refresh": tokens.refresh}),
        None,
    )
    .await;
    assert_eq!(
        expect_token_not_valid(app.refresh(&tokens.refresh).await).await,
        "Token is blacklisted"
    );
}
