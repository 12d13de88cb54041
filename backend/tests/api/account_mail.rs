//! API.md Part 2, "The account lifecycle by email": the password reset,
//! activation and the username's change and reset, with mail sent to a real SMTP server (MailDev) and the links followed
//! from the messages that arrived, never built by the test.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};
use testkit::MailDev;

use crate::helpers::{
    Db, TestApp, TestUser, both_databases, expect_fields, expect_token_not_valid, spawn_app_env,
};

const LINK_PREFIX: &str = "http://127.0.0.1:8000/password/reset/confirm/";
const INVALID_TOKEN: &str = "Invalid token for given user.";
const INVALID_UID: &str = "Invalid user id or user doesn't exist.";
const NEW_PASSWORD: &str = "battery staple horse";

async fn mail_app(db: Db, extra: &[(&str, &str)]) -> TestApp {
    let url = MailDev::shared().email_url();
    let mut variables = vec![("EMAIL_URL", url.as_str())];
    variables.extend_from_slice(extra);
    spawn_app_env(db, &variables).await
}

fn email_of(user: &TestUser) -> String {
    format!("{}@example.com", user.username)
}

/// Asks `path` (a reset or a resend) to mail `email`: 204 whatever the
/// address.
async fn ask_mail(app: &TestApp, path: &str, email: &str) {
    let response = app.post(path, &json!({"email": email}), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{email}");
}

/// The `uid` and `token` of the `n`th (from 1) reset mail `email` received.
async fn reset_link(email: &str, n: usize) -> (String, String) {
    let received = MailDev::shared().wait_for(email, n).await.unwrap();
    let mail = &received[n - 1];
    assert_eq!(mail.subject, "Reset your Notebook password");
    let link = mail
        .link(LINK_PREFIX)
        .unwrap_or_else(|| panic!("no link in {}", mail.text));
    assert!(mail.html.contains(&link), "{}", mail.html);
    let rest = link.trim_start_matches(LINK_PREFIX);
    let (uid, token) = rest.split_once('/').expect("uid/token");
    (uid.to_owned(), token.to_owned())
}

async fn confirm(app: &TestApp, uid: &str, token: &str, password: &str) -> reqwest::Response {
    let body = json!({"uid": uid, "token": token, "new_password": password});
    app.post("/auth/users/reset_password_confirm/", &body, None)
        .await
}

#[apply(both_databases)]
#[tokio::test]
async fn a_mailed_link_sets_a_new_password_once_and_ends_every_session(db: Db) {
    let app = mail_app(db, &[]).await;
    let (user, session) = app.logged_in().await;
    ask_mail(
        &app,
        "/auth/users/reset_password/",
        &email_of(&user).to_uppercase(),
    )
    .await;
    let (uid, token) = reset_link(&email_of(&user), 1).await;

    let response = confirm(&app, &uid, &token, NEW_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.try_login(&user.username, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.try_login(&user.username, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Every session of the account ended, as with a password change.
    expect_token_not_valid(app.refresh(&session.refresh).await).await;
    // The link worked once.
    let again = confirm(&app, &uid, &token, "another fine password").await;
    assert_eq!(expect_fields(again).await["token"], [INVALID_TOKEN]);
    assert_eq!(
        app.try_login(&user.username, NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn two_uses_of_one_link_at_once_change_the_password_once(db: Db) {
    let app = mail_app(db, &[]).await;
    let user = app.new_user().await;
    ask_mail(&app, "/api/users/reset_password/", &email_of(&user)).await;
    let (uid, token) = reset_link(&email_of(&user), 1).await;
    let attempts = (0..6).map(|i| {
        let (app, uid, token) = (&app, &uid, &token);
        async move {
            confirm(app, uid, token, &format!("new password number {i}"))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::NO_CONTENT)
        .count();
    assert_eq!(won, 1, "{statuses:?}");
}

#[apply(both_databases)]
#[tokio::test]
async fn an_unknown_email_is_answered_alike_and_mailed_nothing(db: Db) {
    let app = mail_app(db, &[]).await;
    let user = app.new_user().await;
    let unknown = format!("nobody-{}@example.com", user.username);
    ask_mail(&app, "/auth/users/reset_password/", &unknown).await;
    // Mail goes out in order of the requests: once the known address's
    // arrived, the unknown one would have too.
    ask_mail(&app, "/auth/users/reset_password/", &email_of(&user)).await;
    reset_link(&email_of(&user), 1).await;
    assert!(
        MailDev::shared()
            .messages_to(&unknown)
            .await
            .unwrap()
            .is_empty()
    );
    // A missing or malformed email is a field error, which says nothing
    // about accounts.
    let errors = expect_fields(
        app.post("/auth/users/reset_password/", &json!({}), None)
            .await,
    )
    .await;
    assert_eq!(errors["email"], ["This field is required."]);
    let bad = json!({"email": "not-an-email"});
    let errors = expect_fields(app.post("/auth/users/reset_password/", &bad, None).await).await;
    assert_eq!(errors["email"], ["Enter a valid email address."]);
}

#[apply(both_databases)]
#[tokio::test]
async fn an_address_gets_at_most_one_reset_mail_a_minute(db: Db) {
    let app = mail_app(db, &[]).await;
    let user = app.new_user().await;
    for _ in 0..3 {
        ask_mail(&app, "/auth/users/reset_password/", &email_of(&user)).await;
    }
    reset_link(&email_of(&user), 1).await;
    app.clock.advance(Duration::from_secs(61));
    ask_mail(&app, "/auth/users/reset_password/", &email_of(&user)).await;
    let (uid, token) = reset_link(&email_of(&user), 2).await;
    let received = MailDev::shared()
        .messages_to(&email_of(&user))
        .await
        .unwrap();
    assert_eq!(
        received.len(),
        2,
        "three requests in the first minute sent one mail"
    );
    assert_eq!(
        confirm(&app, &uid, &token, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn a_link_expires_after_its_timeout(db: Db) {
    let app = mail_app(db, &[("PASSWORD_RESET_TIMEOUT_SECS", "600")]).await;
    let user = app.new_user().await;
    ask_mail(&app, "/auth/users/reset_password/", &email_of(&user)).await;
    let (uid, token) = reset_link(&email_of(&user), 1).await;
    app.clock.advance(Duration::from_secs(601));
    let late = confirm(&app, &uid, &token, NEW_PASSWORD).await;
    assert_eq!(expect_fields(late).await["token"], [INVALID_TOKEN]);
    assert_eq!(
        app.try_login(&user.username, &user.password).await.status(),
        StatusCode::OK
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn a_link_dies_when_the_password_or_email_changes_or_a_newer_one_is_used(db: Db) {
    let app = mail_app(db, &[]).await;
    let (user, pair) = app.logged_in().await;
    let email = email_of(&user);
    ask_mail(&app, "/auth/users/reset_password/", &email).await;
    let (uid, first) = reset_link(&email, 1).await;
    let change = json!({"current_password": user.password, "new_password": "changed password 1"});
    let response = app
        .post("/api/users/set_password/", &change, Some(&pair.access))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let stale = confirm(&app, &uid, &first, NEW_PASSWORD).await;
    assert_eq!(expect_fields(stale).await["token"], [INVALID_TOKEN]);

    // Two links; using the newer one kills the older.
    app.clock.advance(Duration::from_secs(61));
    ask_mail(&app, "/auth/users/reset_password/", &email).await;
    app.clock.advance(Duration::from_secs(61));
    ask_mail(&app, "/auth/users/reset_password/", &email).await;
    let (_, older) = reset_link(&email, 2).await;
    let (_, newer) = reset_link(&email, 3).await;
    assert_eq!(
        confirm(&app, &uid, &newer, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    let older = confirm(&app, &uid, &older, "yet another password").await;
    assert_eq!(expect_fields(older).await["token"], [INVALID_TOKEN]);

    // A link for an email the account no longer has.
    let pair = app.api().login(&user.username, NEW_PASSWORD).await.unwrap();
    app.clock.advance(Duration::from_secs(61));
    ask_mail(&app, "/auth/users/reset_password/", &email).await;
    let (_, for_old_email) = reset_link(&email, 4).await;
    let moved = json!({"email": format!("moved-{email}")});
    assert_eq!(
        app.patch("/api/profile/", &moved, Some(&pair.access))
            .await
            .status(),
        StatusCode::OK
    );
    let gone = confirm(&app, &uid, &for_old_email, "a password for nobody").await;
    assert_eq!(expect_fields(gone).await["token"], [INVALID_TOKEN]);
}

#[apply(both_databases)]
#[tokio::test]
async fn confirm_reports_djosers_errors(db: Db) {
    let app = mail_app(db, &[]).await;
    let user = app.new_user().await;
    ask_mail(&app, "/auth/users/reset_password/", &email_of(&user)).await;
    let (uid, token) = reset_link(&email_of(&user), 1).await;
    let errors = expect_fields(
        app.post("/api/users/reset_password_confirm/", &json!({}), None)
            .await,
    )
    .await;
    for field in ["uid", "token", "new_password"] {
        assert_eq!(errors[field], ["This field is required."], "{field}");
    }
    for (bad_uid, bad_token, field, message) in [
        ("MTIzNDU2Nzg", token.as_str(), "uid", INVALID_UID),
        ("not base64!", token.as_str(), "uid", INVALID_UID),
        (uid.as_str(), "1-00", "token", INVALID_TOKEN),
        (uid.as_str(), "garbage", "token", INVALID_TOKEN),
    ] {
        let response = confirm(&app, bad_uid, bad_token, NEW_PASSWORD).await;
        let errors = expect_fields(response).await;
        assert_eq!(errors.keys().collect::<Vec<_>>(), [field]);
        assert_eq!(errors[field], [message]);
    }
    // The password rules apply, and the link still works after.
    let weak = expect_fields(confirm(&app, &uid, &token, "12345678").await).await;
    assert!(!weak["new_password"].is_empty());
    assert_eq!(
        confirm(&app, &uid, &token, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn a_mail_server_that_is_down_fails_no_request(db: Db) {
    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let app = spawn_app_env(db, &[("EMAIL_URL", url.as_str())]).await;
    let user = app.new_user().await;
    let started = Instant::now();
    ask_mail(&app, "/auth/users/reset_password/", &email_of(&user)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The server goes on serving.
    let health: Value = app.get("/api/health/", None).await.json().await.unwrap();
    assert_eq!(health["status"], "ok");
}

/// `EMAIL_URL=log`, the default (what `./scripts/run.sh` runs): the mail,
/// link included, is in the server's log, and the link works.
#[tokio::test]
async fn by_default_the_mail_and_its_link_are_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let url = testkit::sqlite_url(dir.path());
    let server = crate::helpers::start_server(dir.path(), &url, &[("RUST_LOG", "info")]).await;
    let api = server.api();
    let body = shared::RegisterBody {
        username: Some("newcomer".into()),
        password: Some("correct horse battery".into()),
        email: Some("newcomer@example.com".into()),
        ..Default::default()
    };
    api.register(&body).await.unwrap();
    let response = api
        .post_json(
            "/api/users/reset_password/",
            &json!({"email": "newcomer@example.com"}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let started = Instant::now();
    let link = loop {
        let log = server.stderr();
        if let Some(link) = log.split_whitespace().find(|w| w.starts_with(LINK_PREFIX)) {
            assert!(log.contains("Reset your Notebook password"), "{log}");
            break link.to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no link in the log: {log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (uid, token) = link
        .trim_start_matches(LINK_PREFIX)
        .split_once('/')
        .unwrap();
    let body = json!({"uid": uid, "token": token, "new_password": NEW_PASSWORD});
    let response = api
        .post_json("/auth/users/reset_password_confirm/", &body, None)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    api.login("newcomer", NEW_PASSWORD).await.unwrap();
    server.stop().await.unwrap();
}

const ACTIVATION_PREFIX: &str = "http://127.0.0.1:8000/activate/";

/// Registers `name` with `name@example.com` and the test password.
async fn register(app: &TestApp, name: &str) -> reqwest::Response {
    let body = json!({"username": name, "password": "correct horse battery",
                      "email": format!("{name}@example.com")});
    app.post("/auth/users/", &body, None).await
}

/// The `uid` and `token` of the `n`th activation mail `email` received.
async fn activation_link(email: &str, n: usize) -> (String, String) {
    let received = MailDev::shared().wait_for(email, n).await.unwrap();
    let mail = &received[n - 1];
    assert_eq!(mail.subject, "Activate your Notebook account");
    let link = mail
        .link(ACTIVATION_PREFIX)
        .unwrap_or_else(|| panic!("{}", mail.text));
    let (uid, token) = link
        .trim_start_matches(ACTIVATION_PREFIX)
        .split_once('/')
        .unwrap();
    (uid.to_owned(), token.to_owned())
}

async fn activate(app: &TestApp, uid: &str, token: &str) -> reqwest::Response {
    app.post(
        "/auth/users/activation/",
        &json!({"uid": uid, "token": token}),
        None,
    )
    .await
}

fn unique(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}{}x{n}", std::process::id())
}

#[apply(both_databases)]
#[tokio::test]
async fn with_activation_an_account_logs_in_only_after_its_link_is_used_once(db: Db) {
    let app = mail_app(db, &[("SEND_ACTIVATION_EMAIL", "true")]).await;
    let name = unique("act");
    let created = register(&app, &name).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // The app reads this to say "check your email" instead of "log in".
    assert_eq!(
        created.headers().get(shared::ACTIVATION_HEADER).unwrap(),
        shared::ACTIVATION_BY_EMAIL
    );
    let inactive = app.try_login(&name, "correct horse battery").await;
    assert_eq!(inactive.status(), StatusCode::UNAUTHORIZED);

    let (uid, token) = activation_link(&format!("{name}@example.com"), 1).await;
    assert_eq!(
        activate(&app, &uid, &token).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.try_login(&name, "correct horse battery").await.status(),
        StatusCode::OK
    );
    let again = activate(&app, &uid, &token).await;
    let body: Value = crate::helpers::expect_json(again, StatusCode::FORBIDDEN).await;
    assert_eq!(body, json!({"detail": "Stale token for given user."}));
    // Changing the email never deactivates the account.
    let pair = app
        .api()
        .login(&name, "correct horse battery")
        .await
        .unwrap();
    let moved = json!({"email": format!("moved-{name}@example.com")});
    assert_eq!(
        app.patch("/auth/users/me/", &moved, Some(&pair.access))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.try_login(&name, "correct horse battery").await.status(),
        StatusCode::OK
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn with_activation_registration_needs_an_email_and_bad_links_are_400(db: Db) {
    let app = mail_app(db, &[("SEND_ACTIVATION_EMAIL", "true")]).await;
    let body = json!({"username": unique("noemail"), "password": "correct horse battery"});
    let errors = expect_fields(app.post("/auth/users/", &body, None).await).await;
    assert_eq!(errors["email"], ["This field is required."]);
    let name = unique("bad");
    register(&app, &name).await;
    let (uid, token) = activation_link(&format!("{name}@example.com"), 1).await;
    let errors = expect_fields(activate(&app, "MTIzNDU2Nzg", &token).await).await;
    assert_eq!(errors["uid"], [INVALID_UID]);
    let errors = expect_fields(activate(&app, &uid, "1-00").await).await;
    assert_eq!(errors["token"], [INVALID_TOKEN]);
    let errors = expect_fields(app.post("/auth/users/activation/", &json!({}), None).await).await;
    assert_eq!(errors["uid"], ["This field is required."]);
    assert_eq!(errors["token"], ["This field is required."]);
}

#[apply(both_databases)]
#[tokio::test]
async fn resend_activation_mails_again_after_a_minute_and_only_inactive_accounts(db: Db) {
    let app = mail_app(db, &[("SEND_ACTIVATION_EMAIL", "true")]).await;
    let name = unique("resend");
    let email = format!("{name}@example.com");
    register(&app, &name).await;
    activation_link(&email, 1).await;
    // At once: the registration's mail counts for this minute.
    ask_mail(&app, "/auth/users/resend_activation/", &email).await;
    app.clock.advance(Duration::from_secs(61));
    ask_mail(&app, "/api/users/resend_activation/", &email).await;
    let (uid, token) = activation_link(&email, 2).await;
    assert_eq!(
        activate(&app, &uid, &token).await.status(),
        StatusCode::NO_CONTENT
    );
    // Active now, and an unknown address: answered alike, no mail.
    app.clock.advance(Duration::from_secs(61));
    for address in [email.clone(), format!("nobody-{email}")] {
        ask_mail(&app, "/auth/users/resend_activation/", &address).await;
    }
    // A later mail to the same address arrives, so the skipped ones would have.
    ask_mail(&app, "/auth/users/reset_password/", &email).await;
    reset_link(&email, 3).await;
    let received = MailDev::shared().messages_to(&email).await.unwrap();
    assert_eq!(
        received.len(),
        3,
        "{:?}",
        received.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert!(
        MailDev::shared()
            .messages_to(&format!("nobody-{email}"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn without_activation_accounts_are_active_and_get_no_mail(db: Db) {
    let app = mail_app(db, &[]).await;
    let name = unique("plain");
    let email = format!("{name}@example.com");
    let created = register(&app, &name).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers().get(shared::ACTIVATION_HEADER), None);
    assert_eq!(
        app.try_login(&name, "correct horse battery").await.status(),
        StatusCode::OK
    );
    ask_mail(&app, "/auth/users/resend_activation/", &email).await;
    ask_mail(&app, "/auth/users/reset_password/", &email).await;
    reset_link(&email, 1).await;
    assert_eq!(
        MailDev::shared().messages_to(&email).await.unwrap().len(),
        1
    );
}

const USERNAME_PREFIX: &str = "http://127.0.0.1:8000/username/reset/confirm/";
const TAKEN: &str = "A user with that username already exists.";

#[apply(both_databases)]
#[tokio::test]
async fn set_username_takes_the_password_and_a_free_valid_name(db: Db) {
    let app = mail_app(db, &[]).await;
    let (user, pair) = app.logged_in().await;
    let other = app.new_user().await;
    let set = |body: Value| {
        let (app, access) = (&app, pair.access.clone());
        async move {
            app.post("/auth/users/set_username/", &body, Some(&access))
                .await
        }
    };
    let errors = expect_fields(set(json!({})).await).await;
    assert_eq!(errors["current_password"], ["This field is required."]);
    assert_eq!(errors["new_username"], ["This field is required."]);
    for (body, field, message) in [
        (
            json!({"current_password": "wrong password", "new_username": "fresh"}),
            "current_password",
            "Invalid password.",
        ),
        (
            json!({"current_password": user.password, "new_username": other.username}),
            "new_username",
            TAKEN,
        ),
    ] {
        let errors = expect_fields(set(body).await).await;
        assert_eq!(errors[field], [message]);
    }
    let bad = expect_fields(
        set(json!({"current_password": user.password, "new_username": "no spaces"})).await,
    )
    .await;
    assert!(
        bad["new_username"][0].starts_with("Enter a valid username."),
        "{bad:?}"
    );

    let new_name = format!("renamed-{}", user.username);
    let response = set(json!({"current_password": user.password, "new_username": new_name})).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.api().me(&pair.access).await.unwrap().username, new_name);
    assert_eq!(
        app.try_login(&new_name, &user.password).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.try_login(&user.username, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The sessions go on: a new name is not a new password.
    assert_eq!(app.refresh(&pair.refresh).await.status(), StatusCode::OK);
}

#[apply(both_databases)]
#[tokio::test]
async fn wrong_passwords_to_set_username_count_as_failed_logins(db: Db) {
    let app = mail_app(db, &[]).await;
    let (user, pair) = app.logged_in().await;
    let wrong = json!({"current_password": "wrong password", "new_username": "fresh-name"});
    for _ in 0..5 {
        let response = app
            .post("/api/users/set_username/", &wrong, Some(&pair.access))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    let right = json!({"current_password": user.password, "new_username": "fresh-name"});
    let response = app
        .post("/api/users/set_username/", &right, Some(&pair.access))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_mailed_username_link_renames_the_account_once(db: Db) {
    let app = mail_app(db, &[]).await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    let email = email_of(&user);
    let response = app
        .post(
            "/auth/users/reset_username/",
            &json!({"email": email}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let unknown = json!({"email": format!("nobody-{email}")});
    assert_eq!(
        app.post("/auth/users/reset_username/", &unknown, None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let received = MailDev::shared().wait_for(&email, 1).await.unwrap();
    assert_eq!(received[0].subject, "Change your Notebook username");
    let link = received[0].link(USERNAME_PREFIX).unwrap();
    let (uid, token) = link
        .trim_start_matches(USERNAME_PREFIX)
        .split_once('/')
        .unwrap();
    let confirm = |name: String| {
        let body = json!({"uid": uid, "token": token, "new_username": name});
        let app = &app;
        async move {
            app.post("/api/users/reset_username_confirm/", &body, None)
                .await
        }
    };
    assert_eq!(
        expect_fields(confirm(other.username.clone()).await).await["new_username"],
        [TAKEN]
    );
    let new_name = format!("chosen-{}", user.username);
    assert_eq!(
        confirm(new_name.clone()).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.try_login(&new_name, &user.password).await.status(),
        StatusCode::OK
    );
    let again = confirm(format!("again-{}", user.username)).await;
    assert_eq!(expect_fields(again).await["token"], [INVALID_TOKEN]);
    assert!(
        MailDev::shared()
            .messages_to(&format!("nobody-{email}"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn one_activation_or_username_link_used_at_once_works_once(db: Db) {
    let app = mail_app(db, &[("SEND_ACTIVATION_EMAIL", "true")]).await;
    let name = unique("race");
    let email = format!("{name}@example.com");
    register(&app, &name).await;
    let (uid, token) = activation_link(&email, 1).await;
    let attempts = (0..6).map(|_| activate(&app, &uid, &token));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::NO_CONTENT)
        .count();
    assert_eq!(won, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::NO_CONTENT || *s == StatusCode::FORBIDDEN)
    );

    let response = app
        .post(
            "/auth/users/reset_username/",
            &json!({"email": email}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let received = MailDev::shared().wait_for(&email, 2).await.unwrap();
    let link = received[1].link(USERNAME_PREFIX).unwrap();
    let (uid, token) = link
        .trim_start_matches(USERNAME_PREFIX)
        .split_once('/')
        .unwrap();
    let attempts = (0..6).map(|i| {
        let body = json!({"uid": uid, "token": token, "new_username": format!("{name}-{i}")});
        let app = &app;
        async move {
            app.post("/auth/users/reset_username_confirm/", &body, None)
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::NO_CONTENT)
        .count();
    assert_eq!(won, 1, "{statuses:?}");
    let renamed = format!("select count(*) from users where username like '{name}-%'");
    assert_eq!(app.count(&renamed).await, 1);
}
