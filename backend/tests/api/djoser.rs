//! API.md Part 2, "djoser's layout, and login by email": every djoser path
//! answers as its `/api/` twin; `PUT`/`PATCH`/`DELETE users/me/`;
//! `LOGIN_FIELD=email`.

use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use serde_json::{Value, json};
use shared::{TokenPair, User};

use crate::helpers::{
    Db, TestApp, both_databases, expect_fields, expect_json, expect_token_not_valid, spawn_app,
    spawn_app_env,
};

const REQUIRED: &str = "This field is required.";
const EMAIL_TAKEN: &str = "user with this email address already exists.";
const INVALID_PASSWORD: &str = "Invalid password.";
const PASSWORD: &str = "correct horse battery";

/// Status and JSON body (`null` for none) of a response, to compare twins.
async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON")
    };
    (status, body)
}

/// The same body, minus what differs between any two tokens or users.
fn comparable(mut body: Value) -> Value {
    if let Some(fields) = body.as_object_mut() {
        for volatile in ["access", "refresh", "id", "username", "email"] {
            if fields.contains_key(volatile) {
                fields.insert(volatile.into(), json!("…"));
            }
        }
    }
    body
}

#[apply(both_databases)]
#[tokio::test]
async fn every_djoser_path_answers_as_its_api_twin(db: Db) {
    let app = spawn_app(db).await;
    let mut n = 0;
    let mut fresh = |prefix: &str| {
        n += 1;
        json!({"username": format!("{prefix}{n}"), "password": PASSWORD,
               "email": format!("twin{n}@example.com")})
    };
    for (api, djoser) in [
        ("/api/users/", "/auth/users/"),
        ("/api/users", "/auth/users"),
    ] {
        // Register, and the same errors for a bad registration.
        let ours = answer(app.post(api, &fresh("api"), None).await).await;
        let theirs = answer(app.post(djoser, &fresh("auth"), None).await).await;
        assert_eq!(ours.0, StatusCode::CREATED);
        assert_eq!(comparable(ours.1.clone()), comparable(theirs.1.clone()));
        for bad in [json!({}), json!({"username": "x", "password": "1"})] {
            let ours = answer(app.post(api, &bad, None).await).await;
            let theirs = answer(app.post(djoser, &bad, None).await).await;
            assert_eq!(ours, theirs, "{bad}");
        }
    }
    let user = app.new_user().await;
    let credentials = json!({"username": user.username, "password": PASSWORD});
    for (api, djoser) in [
        ("/api/token/", "/auth/jwt/create/"),
        ("/api/token", "/auth/jwt/create"),
    ] {
        let ours = answer(app.post(api, &credentials, None).await).await;
        let theirs = answer(app.post(djoser, &credentials, None).await).await;
        assert_eq!(ours.0, StatusCode::OK);
        assert_eq!(comparable(ours.1), comparable(theirs.1.clone()));
        let pair: TokenPair = serde_json::from_value(theirs.1).unwrap();
        let wrong = json!({"username": user.username, "password": "wrong password"});
        let ours = answer(app.post(api, &wrong, None).await).await;
        let theirs = answer(app.post(djoser, &wrong, None).await).await;
        assert_eq!((ours.0, &ours.1), (StatusCode::UNAUTHORIZED, &theirs.1));
        // Logins made at djoser's path are real sessions.
        let me = app.get("/auth/users/me/", Some(&pair.access)).await;
        assert_eq!(expect_json::<User>(me, StatusCode::OK).await.id, user.id);
        let refreshed = app
            .post(
                "/auth/jwt/refresh/",
                &json!({"refresh": pair.refresh}),
                None,
            )
            .await;
        let refreshed: TokenPair = expect_json(refreshed, StatusCode::OK).await;
        let verified = app
            .post(
                "/auth/jwt/verify/",
                &json!({"token": refreshed.access}),
                None,
            )
            .await;
        assert_eq!(answer(verified).await, (StatusCode::OK, json!({})));
        // The rotated token is refused at both paths alike.
        let ours = answer(
            app.post("/api/token/verify/", &json!({"token": pair.refresh}), None)
                .await,
        )
        .await;
        let theirs = answer(
            app.post("/auth/jwt/verify/", &json!({"token": pair.refresh}), None)
                .await,
        )
        .await;
        assert_eq!(ours, theirs);
        assert_eq!(ours.0, StatusCode::UNAUTHORIZED);
    }
    let pair = app.login(&user).await;
    let me_api = answer(app.get("/api/users/me", Some(&pair.access)).await).await;
    let me_djoser = answer(app.get("/auth/users/me", Some(&pair.access)).await).await;
    assert_eq!(me_api, me_djoser);
    let nobody = answer(app.get("/auth/users/me/", None).await).await;
    assert_eq!(nobody, answer(app.get("/api/users/me/", None).await).await);
    assert_eq!(nobody.0, StatusCode::UNAUTHORIZED);

    let change = json!({"current_password": PASSWORD, "new_password": "battery staple horse"});
    let response = app
        .post("/auth/users/set_password/", &change, Some(&pair.access))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    expect_token_not_valid(app.refresh(&pair.refresh).await).await;
}

#[apply(both_databases)]
#[tokio::test]
async fn unknown_paths_under_auth_are_json_404s(db: Db) {
    let app = spawn_app(db).await;
    for path in [
        "/auth/",
        "/auth/nothing/",
        "/auth/users/nobody/",
        "/auth/jwt/",
    ] {
        let response = app.get(path, None).await;
        assert_eq!(
            answer(response).await,
            (StatusCode::NOT_FOUND, json!({"detail": "Not found."})),
            "{path}"
        );
    }
}

async fn put_or_patch(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Value,
    access: &str,
) -> reqwest::Response {
    app.send(method, path, &body, Some(access)).await
}

#[apply(both_databases)]
#[tokio::test]
async fn put_and_patch_of_me_change_the_profile_record(db: Db) {
    let app = spawn_app(db).await;
    let (user, pair) = app.logged_in().await;
    for (method, path, first) in [
        (Method::PATCH, "/auth/users/me/", "Samuel"),
        (Method::PUT, "/api/users/me/", "Sammy"),
        (Method::PUT, "/auth/users/me", "Samwise"),
    ] {
        // Any subset of the fields: a PUT need not send them all.
        let response = put_or_patch(
            &app,
            method.clone(),
            path,
            json!({"first_name": first}),
            &pair.access,
        )
        .await;
        let changed: User = expect_json(response, StatusCode::OK).await;
        assert_eq!(
            (changed.id, changed.first_name.as_str()),
            (user.id, first),
            "{method} {path}"
        );
        assert_eq!(changed.last_name, "Smith");
        let profile = app.api().profile(&pair.access).await.unwrap();
        assert_eq!(profile.first_name, first);
    }
    let response = put_or_patch(
        &app,
        Method::PATCH,
        "/api/users/me/",
        json!({"email": "sam@new.example.com", "last_name": "Jones", "username": "ignored"}),
        &pair.access,
    )
    .await;
    let changed: User = expect_json(response, StatusCode::OK).await;
    assert_eq!(
        (
            changed.email.as_str(),
            changed.last_name.as_str(),
            changed.username.as_str()
        ),
        ("sam@new.example.com", "Jones", user.username.as_str())
    );
    // An invalid field changes nothing, the valid ones beside it included.
    let response = put_or_patch(
        &app,
        Method::PUT,
        "/auth/users/me/",
        json!({"email": "not-an-email", "first_name": "Never"}),
        &pair.access,
    )
    .await;
    let errors = expect_fields(response).await;
    assert_eq!(errors["email"], ["Enter a valid email address."]);
    let me = app.api().me(&pair.access).await.unwrap();
    assert_eq!(
        (me.email.as_str(), me.first_name.as_str()),
        ("sam@new.example.com", "Samwise")
    );
    let nobody = app
        .send(Method::PATCH, "/auth/users/me/", &json!({}), None)
        .await;
    assert_eq!(nobody.status(), StatusCode::UNAUTHORIZED);
}

#[apply(both_databases)]
#[tokio::test]
async fn deleting_me_takes_the_password_and_removes_the_account_notes_and_sessions(db: Db) {
    let app = spawn_app(db).await;
    let (user, pair) = app.logged_in().await;
    let other_session = app.login(&user).await;
    app.create_note(&pair.access, "a note", "").await;
    let (bystander, bystander_pair) = app.logged_in().await;
    app.create_note(&bystander_pair.access, "theirs", "").await;

    // No body, a blank and a wrong password: nothing is deleted.
    let no_body = app.delete("/auth/users/me/", Some(&pair.access)).await;
    assert_eq!(expect_fields(no_body).await["current_password"], [REQUIRED]);
    for (body, message) in [
        (json!({"current_password": ""}), REQUIRED),
        (
            json!({"current_password": "wrong password"}),
            INVALID_PASSWORD,
        ),
    ] {
        let response = app
            .send(Method::DELETE, "/api/users/me/", &body, Some(&pair.access))
            .await;
        assert_eq!(expect_fields(response).await["current_password"], [message]);
    }
    assert_eq!(
        app.count(&format!(
            "select count(*) from users where id = {}",
            user.id
        ))
        .await,
        1
    );

    let body = json!({"current_password": PASSWORD});
    let response = app
        .send(Method::DELETE, "/auth/users/me/", &body, Some(&pair.access))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.text().await.unwrap(), "");

    for table in ["users", "notes", "sessions", "refresh_tokens"] {
        let column = if table == "users" { "id" } else { "user_id" };
        let left = app
            .count(&format!(
                "select count(*) from {table} where {column} = {}",
                user.id
            ))
            .await;
        assert_eq!(left, 0, "{table} still has rows of the deleted user");
    }
    assert_eq!(
        app.api().notes(&bystander_pair.access).await.unwrap().len(),
        1
    );
    assert!(!app.login(&bystander).await.access.is_empty());
    // Every token of the account is refused, and its name cannot log in.
    assert_eq!(
        expect_token_not_valid(app.get("/api/users/me/", Some(&pair.access)).await).await,
        "User not found"
    );
    expect_token_not_valid(app.refresh(&other_session.refresh).await).await;
    let login = app.try_login(&user.username, PASSWORD).await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
}

#[apply(both_databases)]
#[tokio::test]
async fn wrong_passwords_to_delete_count_as_failed_logins(db: Db) {
    let app = spawn_app(db).await;
    let (user, pair) = app.logged_in().await;
    let wrong = json!({"current_password": "wrong password"});
    for _ in 0..5 {
        let response = app
            .send(
                Method::DELETE,
                "/auth/users/me/",
                &wrong,
                Some(&pair.access),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    let right = json!({"current_password": PASSWORD});
    let response = app
        .send(
            Method::DELETE,
            "/auth/users/me/",
            &right,
            Some(&pair.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.try_login(&user.username, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from users where id = {}",
            user.id
        ))
        .await,
        1
    );
}

fn email_login() -> [(&'static str, &'static str); 1] {
    [("LOGIN_FIELD", "email")]
}

#[apply(both_databases)]
#[tokio::test]
async fn by_email_registration_needs_a_unique_email_and_makes_it_the_username(db: Db) {
    let app = spawn_app_env(db, &email_login()).await;
    let body = json!({"email": "Sam.Smith@Example.com", "password": PASSWORD,
                      "first_name": "Sam", "last_name": "Smith"});
    let created: User = expect_json(
        app.post("/auth/users/", &body, None).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            created.username.as_str(),
            created.email.as_str(),
            created.first_name.as_str()
        ),
        ("Sam.Smith@Example.com", "Sam.Smith@Example.com", "Sam")
    );
    for taken in [
        "Sam.Smith@Example.com",
        "sam.smith@example.com",
        " SAM.SMITH@EXAMPLE.COM ",
    ] {
        let again = json!({"email": taken, "password": PASSWORD});
        let errors = expect_fields(app.post("/api/users/", &again, None).await).await;
        assert_eq!(
            errors,
            [("email".to_owned(), vec![EMAIL_TAKEN.to_owned()])].into(),
            "{taken}"
        );
    }
    // A username alone does not register: the email is what is required.
    let errors = expect_fields(
        app.post(
            "/auth/users/",
            &json!({"username": "sam", "password": PASSWORD}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        errors,
        [("email".to_owned(), vec![REQUIRED.to_owned()])].into()
    );
    let errors = expect_fields(app.post("/auth/users/", &json!({}), None).await).await;
    assert_eq!(errors["email"], [REQUIRED]);
    assert_eq!(errors["password"], [REQUIRED]);
    assert!(!errors.contains_key("username"));
    let bad = expect_fields(
        app.post(
            "/auth/users/",
            &json!({"email": "nope", "password": PASSWORD}),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(bad["email"], ["Enter a valid email address."]);
    assert_eq!(app.count("select count(*) from users").await, 1);
}

#[apply(both_databases)]
#[tokio::test]
async fn by_email_simultaneous_registrations_of_one_address_make_one_account(db: Db) {
    let app = spawn_app_env(db, &email_login()).await;
    let attempts = (0..12).map(|i| {
        let email = if i % 2 == 0 {
            "race@example.com"
        } else {
            "RACE@example.com"
        };
        let body = json!({"email": email, "password": PASSWORD});
        let app = &app;
        async move { app.post("/auth/users/", &body, None).await.status() }
    });
    let statuses = futures::future::join_all(attempts).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::BAD_REQUEST)
    );
    assert_eq!(app.count("select count(*) from users").await, 1);
}

#[apply(both_databases)]
#[tokio::test]
async fn by_email_logins_send_the_email_in_any_case(db: Db) {
    let app = spawn_app_env(db, &email_login()).await;
    let body = json!({"email": "ann@example.com", "password": PASSWORD});
    let created: User = expect_json(
        app.post("/auth/users/", &body, None).await,
        StatusCode::CREATED,
    )
    .await;
    for (path, email) in [
        ("/auth/jwt/create/", "ann@example.com"),
        ("/api/token/", " Ann@Example.COM"),
    ] {
        let response = app
            .post(path, &json!({"email": email, "password": PASSWORD}), None)
            .await;
        let pair: TokenPair = expect_json(response, StatusCode::OK).await;
        assert_eq!(app.api().me(&pair.access).await.unwrap().id, created.id);
    }
    // The username is not a login name any more: the email field is missing.
    let by_name = app
        .post(
            "/auth/jwt/create/",
            &json!({"username": "ann@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(
        expect_fields(by_name).await,
        [("email".to_owned(), vec![REQUIRED.to_owned()])].into()
    );
    let wrong = app
        .post(
            "/auth/jwt/create/",
            &json!({"email": "ann@example.com", "password": "wrong password"}),
            None,
        )
        .await;
    let unknown = app
        .post(
            "/auth/jwt/create/",
            &json!({"email": "bob@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(answer(wrong).await, answer(unknown).await);
}

#[apply(both_databases)]
#[tokio::test]
async fn by_email_failed_logins_are_counted_per_address_whatever_its_case(db: Db) {
    let app = spawn_app_env(db, &email_login()).await;
    let body = json!({"email": "ann@example.com", "password": PASSWORD});
    app.post("/auth/users/", &body, None).await;
    for email in [
        "ann@example.com",
        "ANN@example.com",
        "Ann@Example.com",
        "ann@EXAMPLE.com",
        "aNN@example.com",
    ] {
        let wrong = json!({"email": email, "password": "wrong password"});
        assert_eq!(
            app.post("/api/token/", &wrong, None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let right = app.post("/api/token/", &body, None).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[apply(both_databases)]
#[tokio::test]
async fn by_email_an_email_change_cannot_take_another_accounts_address(db: Db) {
    let app = spawn_app_env(db, &email_login()).await;
    for email in ["ann@example.com", "bob@example.com"] {
        let body = json!({"email": email, "password": PASSWORD});
        app.post("/auth/users/", &body, None).await;
    }
    let response = app
        .post(
            "/api/token/",
            &json!({"email": "bob@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    let bob: TokenPair = expect_json(response, StatusCode::OK).await;
    for path in ["/api/profile/", "/auth/users/me/"] {
        let response = app
            .patch(
                path,
                &json!({"email": "ANN@example.com"}),
                Some(&bob.access),
            )
            .await;
        assert_eq!(
            expect_fields(response).await["email"],
            [EMAIL_TAKEN],
            "{path}"
        );
        let response = app
            .patch(path, &json!({"email": ""}), Some(&bob.access))
            .await;
        assert_eq!(expect_fields(response).await["email"], [REQUIRED], "{path}");
    }
    // Its own address in another case, or a new one, is fine, and logs in.
    let response = app
        .patch(
            "/auth/users/me/",
            &json!({"email": "Bob@example.com"}),
            Some(&bob.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .patch(
            "/auth/users/me/",
            &json!({"email": "robert@example.com"}),
            Some(&bob.access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let login = app
        .post(
            "/api/token/",
            &json!({"email": "robert@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
}
