//! API.md `GET|PATCH /api/profile/`: the caller's profile, which is the same
//! record as the user.

use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{
    Db, TestApp, both_databases, expect_detail, expect_fields, expect_json,
    expect_not_authenticated, spawn_app,
};

async fn profile(app: &TestApp, access: &str) -> Value {
    expect_json(app.get("/api/profile/", Some(access)).await, StatusCode::OK).await
}

async fn me(app: &TestApp, access: &str) -> Value {
    expect_json(
        app.get("/api/users/me/", Some(access)).await,
        StatusCode::OK,
    )
    .await
}

/// `GET /api/users/me/`'s answer for the same fields.
fn as_user(profile: &Value) -> Value {
    json!({
        "id": profile["user"]["id"], "username": profile["user"]["username"], "email": profile["email"],
        "first_name": profile["first_name"], "last_name": profile["last_name"],
    })
}

#[apply(both_databases)]
#[tokio::test]
async fn the_profile_has_the_documented_shape_and_the_registration_fields(db: Db) {
    let app = spawn_app(db).await;
    let registered: Value = expect_json(
        app.post(
            "/api/users/",
            &json!({"username": "ann", "password": "correct horse battery", "email": "ann@example.com",
                    "first_name": "Ann", "last_name": "Lee"}),
            None,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let tokens = app
        .login(&crate::helpers::TestUser {
            id: registered["id"].as_i64().expect("id"),
            username: "ann".into(),
            password: "correct horse battery".into(),
        })
        .await;

    let response = app.get("/api/profile/", Some(&tokens.access)).await;

    let body: Value = expect_json(response, StatusCode::OK).await;
    assert_eq!(
        body,
        json!({"user": {"id": registered["id"], "username": "ann"}, "first_name": "Ann", "last_name": "Lee",
               "email": "ann@example.com"})
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn a_patch_of_any_subset_changes_just_that_and_shows_in_users_me(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let mut expected = profile(&app, &tokens.access).await;
    let patches = [
        json!({"first_name": "Ann"}),
        json!({"last_name": "Lee"}),
        json!({"email": "ann@example.org"}),
        json!({"first_name": "Bo", "last_name": "Yang"}),
        json!({"first_name": "Cy", "last_name": "Dee", "email": "cy@example.net"}),
        json!({}),
        json!({"email": ""}),
    ];

    for patch in patches {
        let response = app
            .patch("/api/profile/", &patch, Some(&tokens.access))
            .await;

        for (field, value) in patch.as_object().expect("object") {
            expected[field] = value.clone();
        }
        let answered: Value = expect_json(response, StatusCode::OK).await;
        assert_eq!(answered, expected, "after {patch}");
        assert_eq!(
            profile(&app, &tokens.access).await,
            expected,
            "after {patch}"
        );
        assert_eq!(
            me(&app, &tokens.access).await,
            as_user(&expected),
            "after {patch}"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_patch_changes_only_the_callers_own_profile(db: Db) {
    let app = spawn_app(db).await;
    let (_, mine) = app.logged_in().await;
    let (_, theirs) = app.logged_in().await;
    let before = profile(&app, &theirs.access).await;

    app.patch(
        "/api/profile/",
        &json!({"first_name": "Ann"}),
        Some(&mine.access),
    )
    .await;

    assert_eq!(profile(&app, &theirs.access).await, before);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_patch_cannot_change_the_user_its_username_or_id(db: Db) {
    let app = spawn_app(db).await;
    let (user, tokens) = app.logged_in().await;
    let before = profile(&app, &tokens.access).await;

    let response = app
        .patch(
            "/api/profile/",
            &json!({"user": {"id": 999, "username": "mallory"}, "username": "mallory", "id": 999,
                    "first_name": "Ann"}),
            Some(&tokens.access),
        )
        .await;

    let answered: Value = expect_json(response, StatusCode::OK).await;
    assert_eq!(
        answered["user"],
        json!({"id": user.id, "username": user.username})
    );
    assert_eq!(answered["first_name"], "Ann");
    let now = me(&app, &tokens.access).await;
    assert_eq!(
        (&now["id"], &now["username"]),
        (&before["user"]["id"], &before["user"]["username"])
    );
    assert_eq!(
        app.try_login("mallory", &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.try_login(&user.username, &user.password).await.status(),
        StatusCode::OK
    );
}

#[apply(both_databases)]
#[tokio::test]
async fn an_invalid_email_is_refused_and_nothing_of_the_patch_is_applied(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let before = profile(&app, &tokens.access).await;

    let response = app
        .patch(
            "/api/profile/",
            &json!({"first_name": "Ann", "last_name": "Lee", "email": "not an email"}),
            Some(&tokens.access),
        )
        .await;

    let errors = expect_fields(response).await;
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["email"], "{errors:?}");
    assert!(!errors["email"].is_empty());
    assert_eq!(profile(&app, &tokens.access).await, before);
    assert_eq!(me(&app, &tokens.access).await, as_user(&before));
}

#[apply(both_databases)]
#[tokio::test]
async fn a_patch_with_a_field_of_the_wrong_type_is_400_and_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let before = profile(&app, &tokens.access).await;

    let response = app
        .patch(
            "/api/profile/",
            &json!({"first_name": "Ann", "last_name": 5}),
            Some(&tokens.access),
        )
        .await;

    expect_detail(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(profile(&app, &tokens.access).await, before);
}

#[apply(both_databases)]
#[tokio::test]
async fn the_profile_without_credentials_is_401_for_get_and_patch(db: Db) {
    let app = spawn_app(db).await;
    let (_, tokens) = app.logged_in().await;
    let before = profile(&app, &tokens.access).await;

    let get = app.get("/api/profile/", None).await;
    let patch = app
        .patch("/api/profile/", &json!({"first_name": "Ann"}), None)
        .await;

    expect_not_authenticated(get).await;
    expect_not_authenticated(patch).await;
    assert_eq!(profile(&app, &tokens.access).await, before);
}
