//! API.md "Hardening rules": what a security test of the release backend
//! found, each attack replayed against the fixed server, on both databases.

use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};
use shared::TokenPair;

use crate::helpers::{
    Db, TestApp, behind_proxy, both_databases, expect_detail, expect_fields, expect_json,
    expect_token_not_valid, spawn_app, spawn_app_with,
};

fn statuses_of(responses: &[reqwest::Response]) -> (usize, usize, usize) {
    let count = |s: StatusCode| responses.iter().filter(|r| r.status() == s).count();
    (
        count(StatusCode::UNAUTHORIZED),
        count(StatusCode::TOO_MANY_REQUESTS),
        responses.len(),
    )
}

#[apply(both_databases)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_200_simultaneous_wrong_guesses_at_most_the_limit_are_checked(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;

    let guesses = (0..200).map(|i| {
        let (app, user) = (&app, &user);
        async move { app.try_login(&user.username, &format!("guess {i}")).await }
    });
    let responses = join_all(guesses).await;

    let (checked, throttled, all) = statuses_of(&responses);
    assert_eq!(
        checked, 5,
        "exactly LOGIN_MAX_FAILURES guesses were checked"
    );
    assert_eq!(checked + throttled, all);
    // The right password does not get in either, until the window passes.
    let right = app.try_login(&user.username, &user.password).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(right.headers().contains_key("retry-after"));
}

/// The store's own promise, without the hashing queue in front of it: of
/// any number of concurrent attempts on one bucket, exactly the limit are
/// counted.
#[apply(both_databases)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_throttle_counts_concurrent_attempts_in_one_step(db: Db) {
    use backend::store::throttle::{self, Bucket};
    let app = spawn_app(db).await;
    let store = app.db().await;
    let bucket = Bucket {
        kind: "login",
        client: "198.51.100.1",
        username: "sam",
    };
    let now = backend::clock::Timestamp::from_secs(1_800_000_000);
    let minute = Duration::from_secs(60);
    let takes = (0..60).map(|_| throttle::take(store.writes(), bucket, 5, minute, now));
    let taken: Vec<Option<i64>> = join_all(takes)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let mut counts: Vec<i64> = taken.iter().flatten().copied().collect();
    counts.sort_unstable();
    assert_eq!(counts, [1, 2, 3, 4, 5]);
    // A new window counts from one again.
    let later = now + minute + Duration::from_micros(1);
    assert_eq!(
        throttle::take(store.writes(), bucket, 5, minute, later)
            .await
            .unwrap(),
        Some(1)
    );
}

/// Logins and rotations that overlap a password change: once
/// `set_password` has answered, no refresh token handed out by any of them
/// works.
#[apply(both_databases)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_change_ends_the_sessions_racing_it(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;
    let mut sessions = Vec::new();
    for _ in 0..4 {
        sessions.push(app.login(&user).await);
    }
    let access = sessions[0].access.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handed_out = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));

    let rotators = sessions.into_iter().map(|pair| {
        let (app, stop, handed_out) = (&app, stop.clone(), handed_out.clone());
        async move {
            let mut current = pair.refresh;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
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
    let logins = (0..2).map(|_| {
        let (app, user, stop, handed_out) = (&app, &user, stop.clone(), handed_out.clone());
        async move {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let response = app.try_login(&user.username, &user.password).await;
                if response.status() != StatusCode::OK {
                    break;
                }
                let pair: TokenPair = response.json().await.unwrap();
                handed_out.lock().unwrap().push(pair.refresh);
            }
        }
    });
    let change = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let response = app
            .post(
                "/api/users/set_password/",
                &json!({"current_password": user.password, "new_password": "a brand new secret"}),
                Some(&access),
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    tokio::join!(join_all(rotators), join_all(logins), change);

    let tokens = handed_out.lock().unwrap().clone();
    assert!(
        tokens.len() > 4,
        "the racers made progress: {}",
        tokens.len()
    );
    for token in tokens {
        assert_eq!(app.refresh(&token).await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_deactivated_users_tokens_stop_working(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;

    app.sql(&format!(
        "update users set is_active = 0 where id = {}",
        user.id
    ))
    .await;

    let me = app.get("/api/users/me/", Some(&tokens.access)).await;
    assert_eq!(expect_token_not_valid(me).await, "User is inactive");
    let note = app
        .post("/api/notes/", &json!({"title": "t"}), Some(&tokens.access))
        .await;
    expect_token_not_valid(note).await;
    assert_eq!(
        expect_token_not_valid(app.refresh(&tokens.refresh).await).await,
        "No active account found for the given token."
    );
    let login = app.try_login(&user.username, &user.password).await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_deleted_users_tokens_are_refused_without_a_500(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;

    app.sql(&format!("delete from users where id = {}", user.id))
        .await;

    for (path, body) in [
        ("/api/notes/", json!({"title": "t"})),
        ("/api/profile/", json!({})),
    ] {
        let response = app.post(path, &body, Some(&tokens.access)).await;
        assert_ne!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
    let note = app
        .post("/api/notes/", &json!({"title": "t"}), Some(&tokens.access))
        .await;
    assert_eq!(expect_token_not_valid(note).await, "User not found");
    let me = app.get("/api/users/me/", Some(&tokens.access)).await;
    assert_eq!(expect_token_not_valid(me).await, "User not found");
    assert_eq!(
        expect_token_not_valid(app.refresh(&tokens.refresh).await).await,
        "No active account found for the given token."
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn an_address_trying_many_usernames_is_throttled(db: Db) {
    let app = spawn_app_with(db, |s| {
        behind_proxy(s);
        s.login_limit.max_failures_per_address = 10;
    })
    .await;
    let user = app.new_user().await;

    for i in 0..10 {
        let response = app
            .login_from("203.0.113.5", &format!("nobody{i}"), "wrong password")
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let next = app
        .login_from("203.0.113.5", &user.username, &user.password)
        .await;
    let detail = expect_detail(next, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(
        detail.contains("Too many failed login attempts"),
        "{detail}"
    );
    // Another address is not affected.
    let other = app
        .login_from("203.0.113.6", &user.username, &user.password)
        .await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[apply(both_databases)]
#[tokio::test]
async fn successful_logins_do_not_use_up_the_addresss_failures(db: Db) {
    let app = spawn_app_with(db, |s| {
        behind_proxy(s);
        s.login_limit.max_failures_per_address = 3;
    })
    .await;
    let user = app.new_user().await;
    for _ in 0..6 {
        let response = app
            .login_from("203.0.113.5", &user.username, &user.password)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn an_ipv6_client_counts_per_64(db: Db) {
    let app = spawn_app_with(db, |s| {
        behind_proxy(s);
        s.login_limit.max_failures_per_address = 4;
    })
    .await;
    for i in 0..4 {
        let response = app
            .login_from(&format!("2001:db8:1:2::{i:x}"), "nobody", "wrong")
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let same_64 = app
        .login_from("2001:db8:1:2:ffff::1", "somebody", "wrong")
        .await;
    assert_eq!(same_64.status(), StatusCode::TOO_MANY_REQUESTS);
    let next_64 = app.login_from("2001:db8:1:3::1", "somebody", "wrong").await;
    assert_eq!(next_64.status(), StatusCode::UNAUTHORIZED);
}

async fn register_from(app: &TestApp, client: &str, username: &str) -> reqwest::Response {
    app.post_from(
        client,
        "/api/users/",
        &json!({"username": username, "password": "correct horse battery"}),
        None,
    )
    .await
}

#[apply(both_databases)]
#[tokio::test]
async fn registrations_are_limited_per_address(db: Db) {
    let app = spawn_app_with(db, |s| {
        behind_proxy(s);
        s.register_max_per_address = 3;
    })
    .await;
    for name in ["reg1", "reg2"] {
        let response = register_from(&app, "203.0.113.7", name).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    // Asking for a taken username counts too: the answer tells whether a
    // username exists.
    let taken = register_from(&app, "203.0.113.7", "reg1").await;
    assert_eq!(taken.status(), StatusCode::BAD_REQUEST);

    let fourth = register_from(&app, "203.0.113.7", "reg4").await;
    assert_eq!(fourth.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = fourth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3590..=3600).contains(&retry), "Retry-After {retry}");
    let detail = expect_detail(fourth, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(detail.contains("registered from this address"), "{detail}");
    let elsewhere = register_from(&app, "203.0.113.8", "reg4").await;
    assert_eq!(elsewhere.status(), StatusCode::CREATED);
}

/// 300 concurrent bogus logins from one address, and one real login from
/// another: the real one does not wait behind the flood.
#[apply(both_databases)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_flood_from_one_address_does_not_delay_another(db: Db) {
    let app = spawn_app_with(db, behind_proxy).await;
    let user = app.new_user().await;
    // What one login costs on this machine right now.
    let started = Instant::now();
    assert_eq!(
        app.login_from("198.51.100.9", &user.username, &user.password)
            .await
            .status(),
        StatusCode::OK
    );
    let one_login = started.elapsed();

    let flood = (0..300).map(|i| {
        let app = &app;
        async move {
            app.login_from("203.0.113.66", &format!("bot{i}"), "x")
                .await
        }
    });
    let real = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let started = Instant::now();
        let response = app
            .login_from("198.51.100.10", &user.username, &user.password)
            .await;
        (response.status(), started.elapsed())
    };
    let (flooded, (status, waited)) = tokio::join!(join_all(flood), real);

    assert_eq!(status, StatusCode::OK);
    let (hashed, refused, all) = statuses_of(&flooded);
    assert_eq!(hashed + refused, all);
    assert!(hashed <= 100, "LOGIN_MAX_FAILURES_PER_ADDRESS: {hashed}");
    // How long it waited is timing, and other tests share these cores; the
    // order it was served in is `hash_queue`'s unit test.
    assert!(
        waited < Duration::from_secs(20),
        "the real login took {waited:?} (one login alone: {one_login:?})"
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn current_password_guesses_count_with_the_logins(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    let change = |current: String| {
        let (app, tokens) = (&app, &tokens);
        async move {
            app.post(
                "/api/users/set_password/",
                &json!({"current_password": current, "new_password": "another fine secret"}),
                Some(&tokens.access),
            )
            .await
        }
    };
    for i in 0..5 {
        let fields = expect_fields(change(format!("guess {i}")).await).await;
        assert_eq!(fields["current_password"], ["Invalid password."]);
    }

    assert_eq!(
        change(user.password.clone()).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let login = app.try_login(&user.username, &user.password).await;
    assert_eq!(login.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_right_current_password_starts_the_count_again(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    for _ in 0..4 {
        assert_eq!(
            app.try_login(&user.username, "wrong").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = app
        .post(
            "/api/users/set_password/",
            &json!({"current_password": user.password, "new_password": "another fine secret"}),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for _ in 0..4 {
        assert_eq!(
            app.try_login(&user.username, "wrong").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

/// Clients behind a trusted proxy keep buckets of their own whatever they
/// put to the left of the proxy's entry.
#[apply(both_databases)]
#[tokio::test]
async fn forwarded_garbage_does_not_merge_the_clients_behind_a_proxy(db: Db) {
    let app = spawn_app_with(db, |s| {
        behind_proxy(s);
        s.login_limit.max_failures = 2;
    })
    .await;
    let user = app.new_user().await;
    let send = |xff: Vec<u8>, password: &'static str| {
        let username = user.username.clone();
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/token/"))
                .header(
                    "x-forwarded-for",
                    reqwest::header::HeaderValue::from_bytes(&xff).unwrap(),
                )
                .json(&json!({"username": username, "password": password}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for xff in [
        b"\xff\xfe, 7.7.7.1".to_vec(),
        b"7.7.7.2,".to_vec(),
        b"001.1.1.1".to_vec(),
    ] {
        for _ in 0..2 {
            assert_eq!(send(xff.clone(), "wrong").await, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(
            send(xff.clone(), "wrong").await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    // `001.1.1.1` was 1.1.1.1, and so is `::1.1.1.1`.
    for same in ["1.1.1.1", "::1.1.1.1", "::ffff:1.1.1.1"] {
        assert_eq!(
            send(same.as_bytes().to_vec(), "wrong").await,
            StatusCode::TOO_MANY_REQUESTS,
            "{same}"
        );
    }
    // The proxy itself, and everyone else behind it, can still log in.
    assert_eq!(
        send(b"7.7.7.3".to_vec(), "correct horse battery").await,
        StatusCode::OK
    );
    let direct = app.try_login(&user.username, &user.password).await;
    assert_eq!(direct.status(), StatusCode::OK);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_fullwidth_lookalike_of_a_username_is_the_same_username(db: Db) {
    let app = spawn_app(db).await;
    app.register("user1", "correct horse battery").await;

    let lookalike = app
        .post(
            "/api/users/",
            &json!({"username": "\u{ff55}\u{ff53}\u{ff45}\u{ff52}\u{ff11}", "password": "correct horse battery"}),
            None,
        )
        .await;
    let fields = expect_fields(lookalike).await;
    assert_eq!(
        fields["username"],
        ["A user with that username already exists."]
    );
    for typed in [
        "\u{ff55}\u{ff53}\u{ff45}\u{ff52}\u{ff11}",
        "  user1 ",
        "user1",
    ] {
        let login = app.try_login(typed, "correct horse battery").await;
        let pair: TokenPair = expect_json(login, StatusCode::OK).await;
        assert!(!pair.access.is_empty(), "{typed:?}");
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn the_variants_of_a_username_share_its_failure_count(db: Db) {
    let app = spawn_app(db).await;
    let user = app.register("sam", "correct horse battery").await;
    for typed in [
        "sam",
        "  sam ",
        "\u{ff53}\u{ff41}\u{ff4d}",
        "sam\t",
        "\u{3000}sam",
    ] {
        assert_eq!(
            app.try_login(typed, "wrong").await.status(),
            StatusCode::UNAUTHORIZED,
            "{typed:?}"
        );
    }
    let right = app.try_login(&user.username, &user.password).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[apply(both_databases)]
#[tokio::test]
async fn emails_are_checked_as_django_checks_them(db: Db) {
    let app = spawn_app(db).await;
    for email in [
        r#""><script>@x.yz"#,
        "sam@example.c0m",
        "sam..x@example.com",
    ] {
        let response = app
            .post(
                "/api/users/",
                &json!({"username": "mailer", "password": "correct horse battery", "email": email}),
                None,
            )
            .await;
        let fields = expect_fields(response).await;
        assert_eq!(fields["email"], ["Enter a valid email address."], "{email}");
    }
    let (_, tokens) = app.logged_in().await;
    let patch = app
        .patch(
            "/api/profile/",
            &json!({"email": r#""><script>@x.yz"#}),
            Some(&tokens.access),
        )
        .await;
    assert_eq!(patch.status(), StatusCode::BAD_REQUEST);
    let ok = app
        .patch(
            "/api/profile/",
            &json!({"email": "sam@exämple.com"}),
            Some(&tokens.access),
        )
        .await;
    let profile: Value = expect_json(ok, StatusCode::OK).await;
    assert_eq!(profile["email"], "sam@exämple.com");
}

/// The lock behind "a password change ends the sessions racing it", shown
/// step by step rather than by chance: while a token is being stored under
/// the user row's lock, the change waits; once it commits, the change sees
/// the token and revokes it.
#[apply(both_databases)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_change_waits_for_a_token_being_stored_and_revokes_it(db: Db) {
    use backend::auth::{password, session};
    use backend::store::tokens::{self, NewRefreshToken, TokenState};
    use backend::store::users;
    let app = spawn_app(db).await;
    let (user, _) = app.logged_in().await;
    let server = backend::App::build(app.settings.clone()).await.unwrap();
    let state = server.state().clone();
    let hash = password::hash("another fine secret".into()).await.unwrap();

    let mut storing = state.db.begin_write().await.unwrap();
    let owner = users::token_owner(&mut *storing, user.id, state.db.share_lock())
        .await
        .unwrap();
    assert!(owner.is_some_and(|o| o.active));
    let change = tokio::spawn({
        let state = state.clone();
        async move { session::change_password(&state, user.id, &hash).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !change.is_finished(),
        "the change waits for the token's transaction"
    );
    let now = state.clock.now();
    let token = NewRefreshToken {
        jti: "racer",
        user_id: user.id,
        sid: "racing-session",
        created_at: now,
        expires_at: now + Duration::from_secs(3600),
    };
    tokens::insert(&mut *storing, &token).await.unwrap();
    storing.commit().await.unwrap();

    change.await.unwrap().unwrap();
    assert_eq!(
        tokens::state(&state.db.pool, "racer").await.unwrap(),
        TokenState::Revoked
    );
}

/// Reuse detection ends the whole session, also a rotation of it that is
/// being stored at that moment: the revocation waits for the user row that
/// rotation holds, then revokes the token it stored. (Reading the user row
/// `for share` only, the revocation ran beside it and missed the new token
/// on PostgreSQL.)
#[apply(both_databases)]
#[tokio::test]
async fn a_reuse_revocation_waits_for_a_rotation_being_stored_and_revokes_it(db: Db) {
    use backend::auth::session;
    use backend::store::tokens::{self, NewRefreshToken, TokenState};
    use backend::store::users;
    let app = spawn_app(db).await;
    let (user, first) = app.logged_in().await;
    let second: TokenPair = expect_json(app.refresh(&first.refresh).await, StatusCode::OK).await;
    app.clock
        .advance(app.settings.tokens.reuse_grace + Duration::from_secs(1));
    let server = backend::App::build_with_clock(app.settings.clone(), app.clock.clone())
        .await
        .unwrap();
    let state = server.state().clone();
    let live = session::decode_refresh(&state, &second.refresh).unwrap();

    // The session's live token is being rotated: its user row is held as a
    // rotation holds it, the token is marked and the next one stored, not
    // yet committed.
    let now = state.clock.now();
    let mut storing = state.db.begin_write().await.unwrap();
    let owner = users::token_owner(&mut *storing, user.id, state.db.share_lock())
        .await
        .unwrap();
    assert!(owner.is_some_and(|o| o.active));
    sqlx::query("update refresh_tokens set rotated_at = $1 where jti = $2")
        .bind(now.micros())
        .bind(&live.jti)
        .execute(&mut *storing)
        .await
        .unwrap();
    let next = NewRefreshToken {
        jti: "racer",
        user_id: user.id,
        sid: &live.sid,
        created_at: now,
        expires_at: now + Duration::from_secs(3600),
    };
    tokens::insert(&mut *storing, &next).await.unwrap();

    // Meanwhile the first token, rotated long ago, comes back.
    let reuse = tokio::spawn({
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/token/refresh/"),
            first.refresh.clone(),
        );
        async move {
            client
                .post(url)
                .json(&json!({ "refresh": token }))
                .send()
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !reuse.is_finished(),
        "the revocation waits for the rotation"
    );
    storing.commit().await.unwrap();

    expect_token_not_valid(reuse.await.unwrap()).await;
    assert_eq!(
        tokens::state(&state.db.pool, "racer").await.unwrap(),
        TokenState::Revoked,
        "the token the rotation stored is revoked with its session"
    );
    expect_token_not_valid(app.refresh(&second.refresh).await).await;
}
