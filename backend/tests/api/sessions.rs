//! API.md Part 2 "Sessions you can see and end", on both databases.

use std::time::Duration;

use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::json;
use shared::{SessionInfo, TokenPair};

use crate::helpers::{
    Db, TestApp, TestUser, behind_proxy, both_databases, claims_of, expect_json,
    expect_not_authenticated, expect_not_found, expect_token_not_valid, spawn_app_with,
};

/// A login as from a browser at `ip` that says it is `agent`.
async fn login_as(app: &TestApp, user: &TestUser, ip: &str, agent: &str) -> TokenPair {
    let response = app
        .client
        .post(app.url("/api/token/"))
        .header("x-forwarded-for", ip)
        .header("user-agent", agent)
        .json(&json!({"username": user.username, "password": user.password}))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await
}

async fn sessions(app: &TestApp, access: &str) -> Vec<SessionInfo> {
    expect_json(
        app.get("/api/sessions/", Some(access)).await,
        StatusCode::OK,
    )
    .await
}

fn sid(pair: &TokenPair) -> String {
    claims_of(&pair.refresh)["sid"].as_str().unwrap().to_owned()
}

#[apply(both_databases)]
#[tokio::test]
async fn each_login_is_a_session_listed_newest_first(db: Db) {
    let app = spawn_app_with(db, behind_proxy).await;
    let user = app.new_user().await;
    let phone = login_as(&app, &user, "198.51.100.7", "Phone/1.0").await;
    app.clock.advance(Duration::from_secs(60));
    let laptop = login_as(&app, &user, "2001:db8::7", &"L".repeat(300)).await;

    let listed = sessions(&app, &laptop.access).await;

    assert_eq!(listed.len(), 2);
    let (newest, oldest) = (&listed[0], &listed[1]);
    assert_eq!(newest.id, sid(&laptop));
    assert!(newest.current && !oldest.current);
    assert_eq!(newest.user_agent, "L".repeat(200), "cut at 200 characters");
    assert_eq!(newest.ip, "2001:db8::7");
    assert_eq!(oldest.id, sid(&phone));
    assert_eq!(oldest.user_agent, "Phone/1.0");
    assert_eq!(oldest.ip, "198.51.100.7");
    assert!(oldest.created_at < newest.created_at);
    // From the phone's side, the phone is the current one.
    let from_phone = sessions(&app, &phone.access).await;
    assert!(from_phone.iter().any(|s| s.id == sid(&phone) && s.current));
}

#[apply(both_databases)]
#[tokio::test]
async fn a_refresh_moves_last_used_and_expiry(db: Db) {
    let app = spawn_app_with(db, behind_proxy).await;
    let user = app.new_user().await;
    let first = login_as(&app, &user, "198.51.100.7", "Agent").await;
    let before = sessions(&app, &first.access).await.remove(0);
    assert_eq!(before.created_at, before.last_used_at);

    app.clock.advance(Duration::from_secs(120));
    let second: TokenPair = expect_json(app.refresh(&first.refresh).await, StatusCode::OK).await;
    let after = sessions(&app, &second.access).await.remove(0);

    assert_eq!(after.id, before.id);
    assert_eq!(after.created_at, before.created_at);
    assert!(after.last_used_at > before.last_used_at);
    assert!(after.expires_at > before.expires_at);
    let exp = claims_of(&second.refresh)["exp"].as_i64().unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(&after.expires_at)
        .unwrap()
        .timestamp();
    assert_eq!(expires, exp, "expires_at is the newest token's exp");
}

#[apply(both_databases)]
#[tokio::test]
async fn ended_and_expired_sessions_are_not_listed(db: Db) {
    let app = spawn_app_with(db, |s| {
        behind_proxy(s);
        s.tokens.refresh_ttl = Duration::from_secs(3600);
    })
    .await;
    let user = app.new_user().await;
    let stays = login_as(&app, &user, "198.51.100.1", "A").await;
    let logged_out = login_as(&app, &user, "198.51.100.2", "B").await;
    let logout = app
        .post(
            "/api/token/blacklist/",
            &json!({"refresh": logged_out.refresh}),
            None,
        )
        .await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert_eq!(sessions(&app, &stays.access).await.len(), 1);

    app.clock.advance(Duration::from_secs(3601));
    let fresh = login_as(&app, &user, "198.51.100.3", "C").await;
    let listed = sessions(&app, &fresh.access).await;
    assert_eq!(listed.len(), 1, "the expired session is gone");
    assert_eq!(listed[0].id, sid(&fresh));
}

#[apply(both_databases)]
#[tokio::test]
async fn ending_a_session_refuses_its_tokens_and_leaves_the_others(db: Db) {
    let app = spawn_app_with(db, behind_proxy).await;
    let user = app.new_user().await;
    let lost_phone = login_as(&app, &user, "198.51.100.7", "Phone").await;
    let laptop = login_as(&app, &user, "198.51.100.8", "Laptop").await;

    let ended = app
        .delete(
            &format!("/api/sessions/{}/", sid(&lost_phone)),
            Some(&laptop.access),
        )
        .await;

    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        expect_token_not_valid(app.refresh(&lost_phone.refresh).await).await,
        "Token is blacklisted"
    );
    let listed = sessions(&app, &laptop.access).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, sid(&laptop));
    expect_json::<TokenPair>(app.refresh(&laptop.refresh).await, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn someone_elses_or_an_unknown_session_is_not_found(db: Db) {
    let app = spawn_app_with(db, behind_proxy).await;
    let (_, mine) = app.logged_in().await;
    let (_, theirs) = app.logged_in().await;

    let other = app
        .delete(
            &format!("/api/sessions/{}/", sid(&theirs)),
            Some(&mine.access),
        )
        .await;
    expect_not_found(other).await;
    expect_json::<TokenPair>(app.refresh(&theirs.refresh).await, StatusCode::OK).await;
    let unknown = app
        .delete("/api/sessions/0123456789abcdef/", Some(&mine.access))
        .await;
    expect_not_found(unknown).await;
    expect_not_authenticated(app.get("/api/sessions/", None).await).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn logging_out_all_other_sessions_keeps_the_current_one(db: Db) {
    let app = spawn_app_with(db, behind_proxy).await;
    let user = app.new_user().await;
    let others = [
        login_as(&app, &user, "198.51.100.1", "A").await,
        login_as(&app, &user, "198.51.100.2", "B").await,
    ];
    let here = login_as(&app, &user, "198.51.100.3", "C").await;
    let (_, stranger) = app.logged_in().await;

    let ended = app.delete("/api/sessions/", Some(&here.access)).await;

    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    for other in &others {
        assert_eq!(
            expect_token_not_valid(app.refresh(&other.refresh).await).await,
            "Token is blacklisted"
        );
    }
    let listed = sessions(&app, &here.access).await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].current);
    expect_json::<TokenPair>(app.refresh(&here.refresh).await, StatusCode::OK).await;
    expect_json::<TokenPair>(app.refresh(&stranger.refresh).await, StatusCode::OK).await;
}

/// Ending sessions while they rotate in a loop: once the DELETE has
/// answered, no token the loops were handed works (the revocation orders
/// itself against token writes as a password change does).
#[apply(both_databases)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_ended_while_rotating_stay_ended(db: Db) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let app = spawn_app_with(db, behind_proxy).await;
    let user = app.new_user().await;
    let here = login_as(&app, &user, "198.51.100.1", "Here").await;
    let mut rotating = Vec::new();
    for i in 0..4 {
        rotating.push(login_as(&app, &user, &format!("198.51.100.{}", i + 2), "Other").await);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let handed_out = Arc::new(Mutex::new(Vec::<String>::new()));
    let loops = rotating.iter().map(|pair| {
        let (app, stop, handed_out) = (&app, stop.clone(), handed_out.clone());
        let mut current = pair.refresh.clone();
        async move {
            while !stop.load(Ordering::SeqCst) {
                let response = app.refresh(&current).await;
                if response.status() != StatusCode::OK {
                    break;
                }
                let next: TokenPair = response.json().await.unwrap();
                handed_out.lock().unwrap().push(next.refresh.clone());
                current = next.refresh;
            }
        }
    });
    let end = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let one = app
            .delete(
                &format!("/api/sessions/{}/", sid(&rotating[0])),
                Some(&here.access),
            )
            .await;
        assert_eq!(one.status(), StatusCode::NO_CONTENT);
        let others = app.delete("/api/sessions/", Some(&here.access)).await;
        assert_eq!(others.status(), StatusCode::NO_CONTENT);
        stop.store(true, Ordering::SeqCst);
    };
    tokio::join!(futures::future::join_all(loops), end);

    let tokens = handed_out.lock().unwrap().clone();
    assert!(
        tokens.len() > 4,
        "the loops made progress: {}",
        tokens.len()
    );
    for token in tokens {
        assert_eq!(app.refresh(&token).await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(sessions(&app, &here.access).await.len(), 1);
}
