//! Seed `002_29d191580a0fbd08.txt`: "JSON Web Token (JWT) Authentication in
//! a Django/AngularJS web app" (Octobot), an AngularJS app with
//! angular-jwt and angular-storage over djangorestframework-jwt. Its login
//! posts `{'username', 'password'}` to `api-token-auth/` and stores
//! `response.token`; angular-jwt's `jwtInterceptor` then sends
//! `Authorization: Bearer <token>` (its default `authPrefix`) on every
//! request. Protected data needs it; public data does not. It has no
//! refresh.
//!
//! Settings (the README's for this seed): `DRF_JWT=true`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{
    Db, TestApp, TestUser, both_databases, expect_json, expect_not_authenticated,
    expect_token_not_valid, spawn_app_env,
};

async fn octobot_backend(db: Db) -> TestApp {
    spawn_app_env(db, &[("DRF_JWT", "true")]).await
}

/// `$scope.login`'s request, whatever its outcome.
async fn post_login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    // 002 line 34: url(r'^api-token-auth/', 'rest_framework_jwt.views.obtain_jwt_token'),
    // 002 line 72: {'username': $scope.username, 'password': $scope.password})
    let body = json!({"username": username, "password": password});
    app.post("/api-token-auth/", &body, None).await
}

/// `$scope.login` succeeding: the token it stores.
async fn login(app: &TestApp, user: &TestUser) -> String {
    let response = post_login(app, &user.username, &user.password).await;
    // 002 line 73: .success(function(response) {
    let answer: Value = expect_json(response, StatusCode::OK).await;
    // 002 line 75: $scope.jwt = response.token;
    // 002 line 76: store.set('token', response.token);
    answer["token"].as_str().expect("response.token").to_owned()
}

/// A request through `$http`: the interceptor adds the stored token, if
/// there is one.
async fn http(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
    stored: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    // 002 line 65: jwtInterceptorProvider.tokenGetter = function(store) {
    // 002 line 66:   return store.get('token');
    // 002 line 67: "add the jwt token to its authorization header" (with
    // angular-jwt's default authPrefix, 'Bearer ')
    if let Some(token) = stored {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request")
}

#[apply(both_databases)]
#[tokio::test]
async fn angularjs_logs_in_and_reaches_protected_data_with_the_bearer_token(db: Db) {
    let app = octobot_backend(db).await;
    let user = app.new_user().await;

    let token = login(&app, &user).await;

    // 002 line 46: ProtectedDataViewSet: permission_classes = (IsAuthenticated, )
    // (our protected data: the caller's notes, a model viewset's list and create)
    let note = json!({"title": "protected data", "body": ""});
    let created = http(&app, Method::POST, "/api/notes/", Some(&note), Some(&token)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let list = http(&app, Method::GET, "/api/notes/", None, Some(&token)).await;
    let notes: Vec<Value> = expect_json(list, StatusCode::OK).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["title"], "protected data");
    let me = http(&app, Method::GET, "/api/users/me/", None, Some(&token)).await;
    let me: Value = expect_json(me, StatusCode::OK).await;
    assert_eq!(me["username"], user.username.as_str());
    // 002 line 26: "a set of public data which doesn't requires
    // authentication": still answered with the token attached.
    let public = http(&app, Method::GET, "/api/health/", None, Some(&token)).await;
    assert_eq!(public.status(), StatusCode::OK);
}

#[apply(both_databases)]
#[tokio::test]
async fn without_a_stored_token_protected_data_is_401_and_public_data_is_not(db: Db) {
    let app = octobot_backend(db).await;

    // 002 line 26: "another set that requires authentication under the
    // /protected-data"; store.get('token') is null, so no header is sent.
    expect_not_authenticated(http(&app, Method::GET, "/api/notes/", None, None).await).await;
    let public = http(&app, Method::GET, "/api/health/", None, None).await;
    assert_eq!(public.status(), StatusCode::OK);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_wrong_password_takes_the_error_branch_and_stores_no_token(db: Db) {
    let app = octobot_backend(db).await;
    let user = app.new_user().await;

    let response = post_login(&app, &user.username, "not the password").await;

    // 002 line 77: }).error(function(response, status) {
    // 002 line 78:     $scope.logged = false;
    // ($http calls .error for any status outside 200-299)
    assert!(response.status().is_client_error(), "{}", response.status());
    let body: Value = response.json().await.expect("JSON");
    assert!(body.get("token").is_none(), "{body}");
}

#[apply(both_databases)]
#[tokio::test]
async fn once_the_token_expires_the_interceptor_gets_401(db: Db) {
    let app = octobot_backend(db).await;
    let token = login(&app, &app.new_user().await).await;

    // The seed never refreshes: its token is good for drf-jwt's
    // JWT_EXPIRATION_DELTA (our DRF_JWT_TTL_SECS, 300 s by default; 002
    // line 25's JWT_AUTH settings are not shown).
    app.clock.advance(Duration::from_secs(300));

    let list = http(&app, Method::GET, "/api/notes/", None, Some(&token)).await;
    expect_token_not_valid(list).await;
}
