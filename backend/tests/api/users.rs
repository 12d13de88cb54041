//! API.md "Users" (djoser): register, me, set_password, and the password
//! rules.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};
use shared::TokenPair;

use crate::helpers::{
    Db, both_databases, expect_detail, expect_fields, expect_json, expect_not_authenticated,
    expect_token_not_valid, spawn_app,
};

const TAKEN: &str = "A user with that username already exists.";
const REQUIRED: &str = "This field is required.";

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn field_names(errors: &std::collections::BTreeMap<String, Vec<String>>) -> Vec<&str> {
    errors.keys().map(String::as_str).collect()
}

#[apply(both_databases)]
#[tokio::test]
async fn registering_answers_201_with_exactly_the_public_fields_of_the_user(db: Db) {
    let app = spawn_app(db).await;
    let body = json!({"username": "sam", "password": "correct horse battery", "email": "sam@example.com",
                      "first_name": "Sam", "last_name": "Smith"});

    let response = app.post("/api/users/", &body, None).await;

    let text = {
        assert_eq!(response.status(), StatusCode::CREATED);
        response.text().await.expect("body")
    };
    let user: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        keys(&user),
        BTreeSet::from(["id", "username", "email", "first_name", "last_name"])
    );
    assert!(user["id"].is_i64(), "id is not an integer: {user}");
    assert_eq!(
        user,
        json!({"id": user["id"], "username": "sam", "email": "sam@example.com", "first_name": "Sam", "last_name": "Smith"})
    );
    for secret in ["correct horse battery", "argon2", "password"] {
        assert!(
            !text.contains(secret),
            "the answer shows {secret:?}: {text}"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_registered_user_can_log_in_with_the_password_given(db: Db) {
    let app = spawn_app(db).await;
    app.post(
        "/api/users/",
        &json!({"username": "sam", "password": "correct horse battery"}),
        None,
    )
    .await;

    let response = app.try_login("sam", "correct horse battery").await;

    let _: TokenPair = expect_json(response, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn a_taken_username_is_refused_and_the_first_account_is_kept(db: Db) {
    let app = spawn_app(db).await;
    let first = app.register("sam", "correct horse battery").await;

    let response = app
        .post(
            "/api/users/",
            &json!({"username": "sam", "password": "another good one"}),
            None,
        )
        .await;

    let body: Value = expect_json(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(body, json!({"username": [TAKEN]}));
    let _: TokenPair =
        expect_json(app.try_login("sam", &first.password).await, StatusCode::OK).await;
    assert_eq!(
        app.try_login("sam", "another good one").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn missing_or_blank_username_and_password_are_both_reported_at_once(db: Db) {
    let app = spawn_app(db).await;
    let bodies = [
        json!({}),
        json!({"username": "", "password": ""}),
        json!({"username": "   ", "password": "  \t "}),
        json!({"username": null, "password": null, "email": "sam@example.com"}),
    ];

    for body in bodies {
        let response = app.post("/api/users/", &body, None).await;

        let errors: Value = expect_json(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(
            errors,
            json!({"username": [REQUIRED], "password": [REQUIRED]}),
            "for {body}"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn each_password_rule_is_enforced_and_names_itself(db: Db) {
    let app = spawn_app(db).await;
    let cases = [
        ("sam", "abc4567", "too short"),
        ("tim", "12345678901", "entirely numeric"),
        ("samsmith99", "samsmith99", "similar to the username"),
    ];

    for (username, password, reason) in cases {
        let response = app
            .post(
                "/api/users/",
                &json!({"username": username, "password": password}),
                None,
            )
            .await;

        let errors = expect_fields(response).await;
        assert_eq!(
            field_names(&errors),
            ["password"],
            "for {password:?}: {errors:?}"
        );
        assert_eq!(errors["password"].len(), 1, "for {password:?}: {errors:?}");
        assert!(
            errors["password"][0].contains(reason),
            "for {password:?}: {errors:?}"
        );
    }
    // None of the refused registrations created its user.
    for (username, _, _) in cases {
        app.register(username, "correct horse battery").await;
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn every_failing_password_rule_is_reported_at_once(db: Db) {
    let app = spawn_app(db).await;

    let response = app
        .post(
            "/api/users/",
            &json!({"username": "1234", "password": "1234"}),
            None,
        )
        .await;

    let errors = expect_fields(response).await;
    assert_eq!(field_names(&errors), ["password"], "{errors:?}");
    let reasons = errors["password"].join(" | ");
    assert_eq!(errors["password"].len(), 3, "{reasons}");
    for reason in ["too short", "entirely numeric", "similar to the username"] {
        assert!(
            reasons.contains(reason),
            "{reason:?} missing from {reasons}"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn an_invalid_email_is_refused_with_an_email_error(db: Db) {
    let app = spawn_app(db).await;

    for email in [
        "sam",
        "sam@",
        "@example.com",
        "sam@example",
        "s am@example.com",
        "a@b@c.d",
    ] {
        let response = app
            .post(
                "/api/users/",
                &json!({"username": "sam", "password": "correct horse battery", "email": email}),
                None,
            )
            .await;

        let errors = expect_fields(response).await;
        assert_eq!(field_names(&errors), ["email"], "for {email:?}: {errors:?}");
        assert!(!errors["email"].is_empty());
    }
    // Nothing was created along the way.
    app.register("sam", "correct horse battery").await;
}

#[apply(both_databases)]
#[tokio::test]
async fn email_and_names_are_optional_and_default_to_empty(db: Db) {
    let app = spawn_app(db).await;

    let response = app
        .post(
            "/api/users/",
            &json!({"username": "sam", "password": "correct horse battery"}),
            None,
        )
        .await;

    let user: Value = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(
        user,
        json!({"id": user["id"], "username": "sam", "email": "", "first_name": "", "last_name": ""})
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn extra_fields_in_a_registration_are_ignored(db: Db) {
    let app = spawn_app(db).await;

    let response = app
        .post(
            "/api/users/",
            &json!({"username": "sam", "password": "correct horse battery", "id": 999,
                    "is_staff": true, "is_active": false, "nickname": ["x"]}),
            None,
        )
        .await;

    let user: Value = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(
        keys(&user),
        BTreeSet::from(["id", "username", "email", "first_name", "last_name"])
    );
    assert_ne!(user["id"], 999);
    // `is_active: false` was not taken either: the account logs in.
    let _: TokenPair = expect_json(
        app.try_login("sam", "correct horse battery").await,
        StatusCode::OK,
    )
    .await;
}

#[apply(both_databases)]
#[tokio::test]
async fn a_field_of_the_wrong_json_type_is_a_400_with_a_detail(db: Db) {
    let app = spawn_app(db).await;
    let bodies = [
        json!({"username": 5, "password": "correct horse battery"}),
        json!({"username": "sam", "password": ["correct horse battery"]}),
        json!({"username": "sam", "password": "correct horse battery", "email": {"a": 1}}),
        json!({"username": "sam", "password": "correct horse battery", "first_name": true}),
    ];

    for body in bodies {
        let response = app.post("/api/users/", &body, None).await;

        let detail = expect_detail(response, StatusCode::BAD_REQUEST).await;
        assert!(!detail.is_empty(), "for {body}");
    }
    // Nothing was created along the way.
    app.register("sam", "correct horse battery").await;
}

#[apply(both_databases)]
#[tokio::test]
async fn me_returns_the_callers_public_fields(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    app.logged_in().await; // someone else

    let response = app.get("/api/users/me/", Some(&tokens.access)).await;

    let me: Value = expect_json(response, StatusCode::OK).await;
    assert_eq!(
        me,
        json!({"id": user.id, "username": user.username, "email": format!("{}@example.com", user.username),
               "first_name": "Sam", "last_name": "Smith"})
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn me_without_credentials_is_401_with_a_bearer_challenge(db: Db) {
    let app = spawn_app(db).await;

    let response = app.get("/api/users/me/", None).await;

    expect_not_authenticated(response).await;
}

async fn set_password(
    app: &crate::helpers::TestApp,
    access: &str,
    current: &str,
    new: &str,
) -> reqwest::Response {
    app.post(
        "/api/users/set_password/",
        &json!({"current_password": current, "new_password": new}),
        Some(access),
    )
    .await
}

#[apply(both_databases)]
#[tokio::test]
async fn after_set_password_only_the_new_password_logs_in(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;

    let response = set_password(&app, &tokens.access, &user.password, "a brand new secret").await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.text().await.expect("body").is_empty());
    let old = app.try_login(&user.username, &user.password).await;
    assert_eq!(
        expect_detail(old, StatusCode::UNAUTHORIZED).await,
        "No active account found with the given credentials"
    );
    let _: TokenPair = expect_json(
        app.try_login(&user.username, "a brand new secret").await,
        StatusCode::OK,
    )
    .await;
}

#[apply(both_databases)]
#[tokio::test]
async fn set_password_ends_every_session_of_the_user_and_no_one_elses(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;
    let laptop = app.login(&user).await;
    let phone = app.login(&user).await;
    let (_, other) = app.logged_in().await;

    let response = set_password(&app, &laptop.access, &user.password, "a brand new secret").await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for session in [&laptop, &phone] {
        expect_token_not_valid(app.refresh(&session.refresh).await).await;
    }
    let _: TokenPair = expect_json(app.refresh(&other.refresh).await, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn a_wrong_current_password_is_refused_and_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;

    let response = set_password(
        &app,
        &tokens.access,
        "not my password",
        "a brand new secret",
    )
    .await;

    let body: Value = expect_json(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(body, json!({"current_password": ["Invalid password."]}));
    let _: TokenPair = expect_json(
        app.try_login(&user.username, &user.password).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        app.try_login(&user.username, "a brand new secret")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let _: TokenPair = expect_json(app.refresh(&tokens.refresh).await, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn the_password_rules_apply_to_the_new_password_and_a_refusal_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let user = app.register("samsmith99", "correct horse battery").await;
    let tokens = app.login(&user).await;
    let cases = [
        ("short1", vec!["too short"]),
        ("1234567890", vec!["entirely numeric"]),
        ("SamSmith99", vec!["similar to the username"]),
        ("123", vec!["too short", "entirely numeric"]),
    ];

    for (new, reasons) in &cases {
        let response = set_password(&app, &tokens.access, &user.password, new).await;

        let errors = expect_fields(response).await;
        assert_eq!(
            field_names(&errors),
            ["new_password"],
            "for {new:?}: {errors:?}"
        );
        assert_eq!(
            errors["new_password"].len(),
            reasons.len(),
            "for {new:?}: {errors:?}"
        );
        for reason in reasons {
            assert!(
                errors["new_password"].iter().any(|r| r.contains(reason)),
                "for {new:?}: {reason:?} missing from {errors:?}"
            );
        }
    }
    let _: TokenPair = expect_json(
        app.try_login(&user.username, &user.password).await,
        StatusCode::OK,
    )
    .await;
    for (new, _) in &cases {
        assert_eq!(
            app.try_login(&user.username, new).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // The session was not ended either.
    let _: TokenPair = expect_json(app.refresh(&tokens.refresh).await, StatusCode::OK).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn set_password_reports_both_missing_fields_at_once(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;

    let response = app
        .post("/api/users/set_password/", &json!({}), Some(&tokens.access))
        .await;

    let body: Value = expect_json(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body,
        json!({"current_password": [REQUIRED], "new_password": [REQUIRED]})
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn set_password_without_credentials_is_401(db: Db) {
    let app = spawn_app(db).await;
    let user = app.new_user().await;

    let response = app
        .post(
            "/api/users/set_password/",
            &json!({"current_password": user.password, "new_password": "a brand new secret"}),
            None,
        )
        .await;

    expect_not_authenticated(response).await;
    let _: TokenPair = expect_json(
        app.try_login(&user.username, &user.password).await,
        StatusCode::OK,
    )
    .await;
}

#[apply(both_databases)]
#[tokio::test]
async fn of_twenty_concurrent_registrations_of_one_username_exactly_one_succeeds(db: Db) {
    let app = spawn_app(db).await;
    let attempts = (0..20).map(|i| {
        let body = json!({"username": "racer", "password": format!("correct horse {i}")});
        let app = &app;
        async move {
            let response = app.post("/api/users/", &body, None).await;
            let status = response.status();
            (status, response.json::<Value>().await.expect("a JSON body"))
        }
    });

    let answers = futures::future::join_all(attempts).await;

    let created: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(*body, json!({"username": [TAKEN]}));
    }
}
