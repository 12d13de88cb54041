//! Two backend processes on one PostgreSQL database, sharing one signing
//! secret file, behave as one service (API.md: the state lives in the
//! database, so every instance sees it).

use std::time::Duration;

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{RegisterBody, TokenPair};
use testkit::{ApiClient, ServerProcess};

use crate::helpers::{PgDatabase, expect_json, expect_token_not_valid, start_server};

struct Pair {
    a: ApiClient,
    b: ApiClient,
    _servers: (ServerProcess, ServerProcess),
    _db: PgDatabase,
    _dir: tempfile::TempDir,
}

async fn two_instances(env: &[(&str, &str)]) -> Pair {
    let db = PgDatabase::create().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Started together: migrations and the secret file must survive the race.
    let (a, b) = tokio::join!(
        start_server(dir.path(), db.url(), env),
        start_server(dir.path(), db.url(), env)
    );
    // One connection pool for both, as before.
    let client = reqwest::Client::new();
    Pair {
        a: ApiClient::with_client(&a.url, client.clone()),
        b: ApiClient::with_client(&b.url, client),
        _servers: (a, b),
        _db: db,
        _dir: dir,
    }
}

impl Pair {
    async fn post(&self, on: &ApiClient, path: &str, body: Value) -> reqwest::Response {
        on.post_json(path, &body, None).await.unwrap()
    }

    async fn register_and_login(&self, on: &ApiClient, username: &str) -> TokenPair {
        let password = "correct horse battery";
        let body = RegisterBody {
            username: Some(username.to_owned()),
            password: Some(password.to_owned()),
            ..Default::default()
        };
        on.register(&body).await.unwrap();
        on.login(username, password).await.unwrap()
    }

    async fn refresh(&self, on: &ApiClient, refresh: &str) -> reqwest::Response {
        on.refresh_response(refresh).await.unwrap()
    }
}

#[tokio::test]
async fn a_session_started_on_one_instance_works_on_the_other() {
    let pair = two_instances(&[]).await;

    let tokens = pair.register_and_login(&pair.a, "alice").await;

    let me = pair.b.me_response(&tokens.access).await.unwrap();
    let me: Value = expect_json(me, StatusCode::OK).await;
    assert_eq!(me["username"], "alice");
}

#[tokio::test]
async fn rotation_and_logout_on_one_instance_hold_on_the_other() {
    let pair = two_instances(&[]).await;
    let first = pair.register_and_login(&pair.a, "bob").await;

    let second: TokenPair =
        expect_json(pair.refresh(&pair.a, &first.refresh).await, StatusCode::OK).await;
    // A retry on B inside the grace gets A's answer, not a new token.
    let retried: TokenPair =
        expect_json(pair.refresh(&pair.b, &first.refresh).await, StatusCode::OK).await;
    assert_eq!(retried.refresh, second.refresh);

    let logout = pair
        .post(
            &pair.b,
            "/api/token/blacklist/",
            json!({"refresh": second.refresh}),
        )
        .await;
    expect_json::<Value>(logout, StatusCode::OK).await;
    assert_eq!(
        expect_token_not_valid(pair.refresh(&pair.a, &second.refresh).await).await,
        "Token is blacklisted"
    );
}

#[tokio::test]
async fn reuse_detected_on_one_instance_revokes_the_session_on_the_other() {
    let pair = two_instances(&[("REUSE_GRACE_SECS", "1")]).await;
    let stolen = pair.register_and_login(&pair.a, "carol").await;
    let current: TokenPair =
        expect_json(pair.refresh(&pair.a, &stolen.refresh).await, StatusCode::OK).await;
    tokio::time::sleep(Duration::from_millis(1_300)).await;

    expect_token_not_valid(pair.refresh(&pair.b, &stolen.refresh).await).await;

    assert_eq!(
        expect_token_not_valid(pair.refresh(&pair.a, &current.refresh).await).await,
        "Token is blacklisted"
    );
}

#[tokio::test]
async fn the_login_limit_counts_failures_made_on_both() {
    let pair = two_instances(&[("LOGIN_MAX_FAILURES", "4")]).await;
    pair.register_and_login(&pair.a, "dave").await;
    let wrong = json!({"username": "dave", "password": "wrong password"});
    for on in [&pair.a, &pair.b, &pair.a, &pair.b] {
        assert_eq!(
            pair.post(on, "/api/token/", wrong.clone()).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let right = json!({"username": "dave", "password": "correct horse battery"});
    for on in [&pair.a, &pair.b] {
        assert_eq!(
            pair.post(on, "/api/token/", right.clone()).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_refreshes_split_across_both_get_one_new_token() {
    let pair = two_instances(&[]).await;
    let tokens = pair.register_and_login(&pair.a, "erin").await;

    let racers =
        (0..20).map(|i| pair.refresh(if i % 2 == 0 { &pair.a } else { &pair.b }, &tokens.refresh));
    let statuses_and_bodies = join_all(racers).await;

    let answered: Vec<Result<TokenPair, StatusCode>> =
        join_all(statuses_and_bodies.into_iter().map(|r| async move {
            match r.status() {
                StatusCode::OK => Ok(r.json::<TokenPair>().await.unwrap()),
                other => Err(other),
            }
        }))
        .await;
    let refreshes: std::collections::BTreeSet<String> = answered
        .iter()
        .map(|a| a.as_ref().expect("every racer gets 200").refresh.clone())
        .collect();
    assert_eq!(refreshes.len(), 1, "one new refresh token for all twenty");
}

/// API.md "Hardening rules": the throttle holds under concurrency on every
/// instance at once. Sixty simultaneous wrong guesses, half on each.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_guesses_on_both_are_checked_at_most_the_limit() {
    let pair = two_instances(&[("LOGIN_MAX_FAILURES", "4")]).await;
    pair.register_and_login(&pair.a, "frank").await;
    let guesses = (0..60).map(|i| {
        let on = if i % 2 == 0 { &pair.a } else { &pair.b };
        pair.post(
            on,
            "/api/token/",
            json!({"username": "frank", "password": format!("guess {i}")}),
        )
    });
    let statuses: Vec<StatusCode> = join_all(guesses).await.iter().map(|r| r.status()).collect();

    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, throttled), (4, 56), "{statuses:?}");
}
