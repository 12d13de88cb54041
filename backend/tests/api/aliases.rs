//! API.md Part 2, "Path aliases (`PATH_ALIASES`)": an alias answers exactly
//! as its target, with and without its trailing slash; a target that is
//! not a path of this API stops the program with a message naming the
//! setting.

use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{Db, both_databases, expect_json, spawn_app_env};

/// Status, and the body with its tokens blanked (two logins never share
/// them).
async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let mut body: Value = response.json().await.expect("JSON");
    for token in ["token", "access", "refresh"] {
        if let Some(value) = body.get_mut(token) {
            *value = json!("…");
        }
    }
    (status, body)
}

#[apply(both_databases)]
#[tokio::test]
async fn an_alias_answers_as_its_target(db: Db) {
    let app = spawn_app_env(
        db,
        &[
            ("DRF_JWT", "true"),
            (
                "PATH_ALIASES",
                "/auth/obtain_token/=/api-token-auth/,/auth/refresh_token=/api-token-refresh/,/login/token/=/api/token/",
            ),
        ],
    )
    .await;
    let user = app.new_user().await;
    let right = json!({"username": user.username, "password": user.password});
    let wrong = json!({"username": user.username, "password": "wrong password"});
    for (alias, target) in [
        ("/auth/obtain_token/", "/api-token-auth/"),
        ("/auth/obtain_token", "/api-token-auth/"),
        ("/login/token/", "/api/token/"),
        ("/login/token", "/api/token/"),
    ] {
        for body in [&right, &wrong, &json!({})] {
            let via_alias = answer(app.post(alias, body, None).await).await;
            let direct = answer(app.post(target, body, None).await).await;
            assert_eq!(via_alias, direct, "{alias} {body}");
        }
        let get = app.get(alias, None).await;
        assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED, "{alias}");
        assert_eq!(get.headers()["allow"], "POST");
    }
    // The refresh alias refreshes a token the alias handed out.
    let token: Value = expect_json(
        app.post("/auth/obtain_token/", &right, None).await,
        StatusCode::OK,
    )
    .await;
    for path in ["/auth/refresh_token/", "/auth/refresh_token"] {
        let response = app
            .post(path, &json!({"token": token["token"]}), None)
            .await;
        let refreshed: Value = expect_json(response, StatusCode::OK).await;
        assert!(refreshed["token"].is_string(), "{path}");
    }
    // API answers carry their headers at an alias too.
    let response = app.post("/login/token/", &right, None).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn an_alias_to_no_path_of_the_api_stops_the_program_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for (aliases, drf, why) in [
        (
            "/auth/obtain_token/=/api/nothing/",
            "false",
            "/api/nothing/ is not a path",
        ),
        (
            "/auth/obtain_token/=/api-token-auth/",
            "false",
            "DRF_JWT=true",
        ),
        (
            "/api/token/=/api/users/",
            "false",
            "/api/token/ is already a path",
        ),
        ("/auth/obtain_token", "false", "alias=target"),
    ] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_backend"))
            .env_clear()
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/app.db", dir.path().display()),
            )
            .env("JWT_SECRET_FILE", dir.path().join("secret"))
            .env("BIND", "127.0.0.1:0")
            .env("DRF_JWT", drf)
            .env("PATH_ALIASES", aliases)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(std::time::Duration::from_secs(60), output)
            .await
            .expect("the program stops by itself")
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{aliases}: it started");
        assert!(stderr.contains("PATH_ALIASES"), "{aliases}: {stderr}");
        assert!(stderr.contains(why), "{aliases}: {stderr}");
        assert!(!String::from_utf8_lossy(&output.stdout).contains("listening"));
    }
}
