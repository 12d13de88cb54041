//! Seed `003_b444fd80749b72d6.txt`: a React app (create-react-app on
//! `localhost:3000`) with jwt-decode, over djangorestframework-simplejwt
//! with rotation and blacklisting, calling `http://127.0.0.1:8000`
//! cross-origin. `loginUser` posts the form to `/api/token/`, stores the
//! whole answer as `authTokens` and decodes `username` from `data.access`;
//! `updateToken` posts `{refresh}` to `/api/token/refresh/` every 4 minutes
//! (and on page load), stores the whole answer again and logs out on any
//! other status than 200; `HomePage` GETs `/api/profile` with
//! `Bearer <access>`, shows `first_name`, `last_name` and `email`, and logs
//! out when `statusText` is `'Unauthorized'`. Its demo users are
//! user1/password1 (Sam Smith) and user2/password2 (Tim Allen).
//!
//! Settings (the README's for this seed): the defaults, plus
//! `CORS_ORIGINS=http://localhost:3000`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Db, TestApp, both_databases, claims_of, expect_json, spawn_app_env};

/// 003 line 455: "A development server should launch on localhost:3000"
const ORIGIN: &str = "http://localhost:3000";

async fn react_backend(db: Db) -> TestApp {
    spawn_app_env(db, &[("CORS_ORIGINS", ORIGIN)]).await
}

/// The seed's demo users, 003 lines 922-934: username, password, profile.
const USER1: [&str; 5] = ["user1", "password1", "Sam", "Smith", "user1@example.com"];
const USER2: [&str; 5] = ["user2", "password2", "Tim", "Allen", "user2@example.com"];

/// 003 line 920: "Create two users, each with associated profiles" (the
/// seed uses the admin; here, registration).
async fn create_demo_user(app: &TestApp, [username, password, first, last, email]: [&str; 5]) {
    let body = json!({"username": username, "password": password, "email": email,
                      "first_name": first, "last_name": last});
    let response = app.post("/api/users/", &body, None).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{username}");
}

/// A `fetch` from the page on `localhost:3000`: the browser adds `Origin`,
/// and hands the page nothing (not even the status) unless the answer
/// allows that origin. Every fetch of the seed sets
/// `'Content-Type': 'application/json'`, the GET too.
async fn fetch(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
    access: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method.clone(), app.url(path))
        .header("Origin", ORIGIN)
        .header("Content-Type", "application/json");
    if let Some(access) = access {
        // 003 HomePage.js line 955: 'Authorization':'Bearer ' + String(authTokens.access)
        request = request.header("Authorization", format!("Bearer {access}"));
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let response = request.send().await.expect("fetch");
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some(ORIGIN),
        "{method} {path} answered {} without allowing {ORIGIN}",
        response.status()
    );
    response
}

/// `loginUser`'s fetch, and `authTokens` as it is stored: the answer's
/// text (`localStorage.setItem('authTokens', JSON.stringify(data))`) and
/// the parsed `data`.
async fn login_user(app: &TestApp, username: &str, password: &str) -> (String, Value) {
    // 003 line 769: fetch('http://127.0.0.1:8000/api/token/', { method: 'POST',
    // 003 line 774: body: JSON.stringify({username: e.target.username.value, password: e.target.password.value })
    let body = json!({"username": username, "password": password});
    let response = fetch(app, Method::POST, "/api/token/", Some(body), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    // 003 line 776: let data = await response.json();
    let text = response.text().await.expect("body");
    let data: Value = serde_json::from_str(&text).expect("JSON");
    (text, data)
}

/// `updateToken`'s fetch (003 lines 793-800).
async fn update_token(app: &TestApp, refresh: &Value) -> reqwest::Response {
    // 003 line 794: fetch('http://127.0.0.1:8000/api/token/refresh/', { method: 'POST',
    // 003 line 799: body:JSON.stringify({refresh:authTokens?.refresh})
    let body = json!({ "refresh": refresh });
    fetch(app, Method::POST, "/api/token/refresh/", Some(body), None).await
}

/// `HomePage`'s `getProfile` fetch (003 lines 951-957).
async fn get_profile(app: &TestApp, access: &Value) -> reqwest::Response {
    let access = access.as_str().expect("authTokens.access");
    // 003 line 951: fetch('http://127.0.0.1:8000/api/profile', { method: 'GET',
    fetch(app, Method::GET, "/api/profile", None, Some(access)).await
}

/// `jwtDecode(data.access)`: the payload, unverified.
fn jwt_decode(token: &Value) -> Value {
    claims_of(token.as_str().expect("a token string"))
}

/// The status line's reason phrase, which `fetch` exposes as
/// `response.statusText` (reqwest only has the code): the same request,
/// written by hand.
async fn status_text(app: &TestApp, path: &str, access: &str) -> String {
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ORIGIN}\r\n\
         Content-Type: application/json\r\nAuthorization: Bearer {access}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    let status_line = answer.lines().next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (_version, _code) = (parts.next(), parts.next());
    parts.next().unwrap_or_default().to_owned()
}

/// A browser's preflight before a cross-origin `fetch` that sets headers.
async fn assert_preflight_allows(app: &TestApp, method: &str, path: &str, headers: &str) {
    let response = app
        .client
        .request(Method::OPTIONS, app.url(path))
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
        .await
        .expect("OPTIONS");
    assert!(
        response.status().is_success(),
        "preflight of {method} {path}: {}",
        response.status()
    );
    let allowed = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .unwrap_or_default()
    };
    assert_eq!(allowed("access-control-allow-origin"), ORIGIN, "{path}");
    let methods = allowed("access-control-allow-methods");
    assert!(methods.contains(&method.to_ascii_lowercase()), "{methods}");
    let allowed_headers = allowed("access-control-allow-headers");
    for header in headers.split(',') {
        assert!(
            allowed_headers.contains(header),
            "{path}: {allowed_headers}"
        );
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn the_react_dev_server_passes_the_preflight_of_each_fetch(db: Db) {
    let app = react_backend(db).await;

    // 003 line 256: "To allow requests from our frontend application, we need
    // to set up Cross-Origin Resource Sharing (CORS)"; each fetch sets
    // 'Content-Type':'application/json' (lines 654, 722, 954), which no
    // simple request may, and the profile's also 'Authorization' (line 955).
    assert_preflight_allows(&app, "POST", "/api/token/", "content-type").await;
    assert_preflight_allows(&app, "POST", "/api/token/refresh/", "content-type").await;
    assert_preflight_allows(&app, "GET", "/api/profile", "authorization,content-type").await;
}

#[apply(both_databases)]
#[tokio::test]
async fn react_logs_in_and_decodes_the_username_from_the_access_token(db: Db) {
    let app = react_backend(db).await;
    create_demo_user(&app, USER1).await;

    // 003 line 976: "login with (username: "user1", password: "password1")"
    let (stored, data) = login_user(&app, "user1", "password1").await;

    // 003 line 161-162: the answer has "refresh" and "access".
    assert!(data["refresh"].is_string(), "{data}");
    // 003 line 780: setUser(jwtDecode(data.access))
    // 003 line 236: token['username'] = user.username
    // 003 line 583: {user && <p>Hello {user.username}!</p>}
    assert_eq!(jwt_decode(&data["access"])["username"], "user1");
    // 003 line 763: on a reload, useState(() => (localStorage.getItem('authTokens')
    // ? jwtDecode(localStorage.getItem('authTokens')) : null)): jwt-decode
    // reads the second '.'-separated part of the stored JSON text, the
    // payload of whichever token comes first in it, so both must carry
    // the username.
    assert_eq!(claims_of(&stored)["username"], "user1", "{stored}");
    assert_eq!(jwt_decode(&data["refresh"])["username"], "user1");
}

#[apply(both_databases)]
#[tokio::test]
async fn each_demo_user_sees_only_their_own_profile(db: Db) {
    let app = react_backend(db).await;
    create_demo_user(&app, USER1).await;
    create_demo_user(&app, USER2).await;

    for [username, password, first, last, email] in [USER1, USER2] {
        let (_, auth_tokens) = login_user(&app, username, password).await;

        let response = get_profile(&app, &auth_tokens["access"]).await;

        // 003 line 960: if(response.status === 200){ setProfile(data)
        let profile: Value = expect_json(response, StatusCode::OK).await;
        // 003 line 969: <p>Name: {profile.first_name} {profile.last_name}</p>
        // 003 line 970: <p>Email: {profile.email}</p>
        // 003 lines 978-983: "Name: Sam Smith" for user1, "Name: Tim Allen" for user2
        assert_eq!(profile["first_name"], first, "{profile}");
        assert_eq!(profile["last_name"], last, "{profile}");
        assert_eq!(profile["email"], email, "{profile}");
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn update_token_every_four_minutes_rotates_the_refresh_token(db: Db) {
    let app = react_backend(db).await;
    create_demo_user(&app, USER1).await;
    let (_, mut auth_tokens) = login_user(&app, "user1", "password1").await;

    for _ in 0..3 {
        // 003 line 820: const REFRESH_INTERVAL = 1000 * 60 * 4 // 4 minutes
        app.clock.advance(Duration::from_secs(4 * 60));
        let previous = auth_tokens.clone();

        let response = update_token(&app, &previous["refresh"]).await;

        // 003 line 802: if (response.status === 200) {
        // 003 line 803: setAuthTokens(data): the whole answer is the new
        // authTokens, so it must hold a refresh token for the next round
        // (003 line 183: "ROTATE_REFRESH_TOKENS": True).
        auth_tokens = expect_json(response, StatusCode::OK).await;
        assert!(auth_tokens["refresh"].is_string(), "{auth_tokens}");
        assert_ne!(auth_tokens["refresh"], previous["refresh"]);
        // 003 line 804: setUser(jwtDecode(data.access))
        assert_eq!(jwt_decode(&auth_tokens["access"])["username"], "user1");
        let profile = get_profile(&app, &auth_tokens["access"]).await;
        assert_eq!(profile.status(), StatusCode::OK);
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn a_rotated_refresh_token_submitted_again_is_blacklisted(db: Db) {
    let app = react_backend(db).await;
    create_demo_user(&app, USER1).await;
    let (_, first) = login_user(&app, "user1", "password1").await;
    let response = update_token(&app, &first["refresh"]).await;
    let auth_tokens: Value = expect_json(response, StatusCode::OK).await;

    // 003 line 216: "test the blacklist is functioning by trying to submit
    // the same refresh token a second time" (by hand, in the browsable API:
    // well after the reuse grace).
    app.clock.advance(Duration::from_secs(60));
    let again = update_token(&app, &first["refresh"]).await;

    // 003 lines 217-225: HTTP 401 Unauthorized, WWW-Authenticate: Bearer
    // realm="api", {"detail": "Token is blacklisted", "code": "token_not_valid"}
    assert_eq!(
        again.headers().get("www-authenticate").unwrap(),
        r#"Bearer realm="api""#
    );
    let body: Value = expect_json(again, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        body,
        json!({"detail": "Token is blacklisted", "code": "token_not_valid"})
    );
    // Unlike simplejwt, that reuse ends the session (API.md "Reuse
    // detection"): the tab's own next updateToken is refused, and it logs
    // out (003 line 806: } else { logoutUser()).
    let next = update_token(&app, &auth_tokens["refresh"]).await;
    assert_eq!(next.status(), StatusCode::UNAUTHORIZED);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_reload_in_strict_mode_refreshes_twice_at_once_and_stays_logged_in(db: Db) {
    let app = react_backend(db).await;
    create_demo_user(&app, USER1).await;
    let (_, auth_tokens) = login_user(&app, "user1", "password1").await;
    app.clock.advance(Duration::from_secs(60));

    // 003 lines 846-848: useEffect(()=>{ if(loading){ updateToken() } …
    // under 003 line 313's <React.StrictMode>, whose development build runs
    // each effect twice on mount: two refreshes with the same token, at once.
    let (a, b) = tokio::join!(
        update_token(&app, &auth_tokens["refresh"]),
        update_token(&app, &auth_tokens["refresh"]),
    );

    // Whichever answer lands last is stored (003 line 803); both are 200,
    // or the loser would log the user out (003 line 806).
    let a: Value = expect_json(a, StatusCode::OK).await;
    let b: Value = expect_json(b, StatusCode::OK).await;
    assert_eq!(a["refresh"], b["refresh"]);
    for stored in [&a, &b] {
        let profile = get_profile(&app, &stored["access"]).await;
        assert_eq!(profile.status(), StatusCode::OK);
    }
    // 003 line 820: four minutes later, the stored refresh token rotates.
    app.clock.advance(Duration::from_secs(4 * 60));
    let next = update_token(&app, &b["refresh"]).await;
    assert_eq!(next.status(), StatusCode::OK);
}

#[apply(both_databases)]
#[tokio::test]
async fn a_tab_reopened_within_a_day_stays_logged_in_and_after_a_day_is_logged_out(db: Db) {
    let app = react_backend(db).await;
    create_demo_user(&app, USER1).await;
    let (_, auth_tokens) = login_user(&app, "user1", "password1").await;

    // 003 line 168: "if a user closes the tab for 22 hours, on reopening, the
    // old refresh token would still be able to fetch a valid access token"
    // 003 lines 846-848: useEffect(()=>{ if(loading){ updateToken() }
    app.clock.advance(Duration::from_secs(22 * 3600));
    let response = update_token(&app, &auth_tokens["refresh"]).await;
    let auth_tokens: Value = expect_json(response, StatusCode::OK).await;
    let profile = get_profile(&app, &auth_tokens["access"]).await;
    assert_eq!(profile.status(), StatusCode::OK);

    // 003 line 181: "REFRESH_TOKEN_LIFETIME": timedelta(days=1)
    // 003 line 835: "you'll receive a 401 Unauthorized access response when
    // a call is made to update the tokens"
    app.clock.advance(Duration::from_secs(24 * 3600));
    let response = update_token(&app, &auth_tokens["refresh"]).await;
    // 003 line 806: } else { logoutUser()
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // 003 line 801: const data = await response.json() comes first: the
    // refusal must be JSON too, or the page throws before logging out.
    let _: Value = response.json().await.expect("a JSON refusal");
}

#[apply(both_databases)]
#[tokio::test]
async fn the_home_page_logs_out_when_the_profile_answers_unauthorized(db: Db) {
    let app = react_backend(db).await;
    create_demo_user(&app, USER1).await;
    let (_, auth_tokens) = login_user(&app, "user1", "password1").await;

    // 003 line 181: "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5), and no
    // updateToken ran (the tab slept).
    app.clock.advance(Duration::from_secs(5 * 60));
    let response = get_profile(&app, &auth_tokens["access"]).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // 003 line 958: let data = await response.json()
    let _: Value = response.json().await.expect("a JSON refusal");
    // 003 line 962: } else if(response.statusText === 'Unauthorized'){
    // 003 line 963: logoutUser()
    let access = auth_tokens["access"].as_str().unwrap();
    assert_eq!(
        status_text(&app, "/api/profile", access).await,
        "Unauthorized"
    );
    // 003 line 937: without the token, "you will get an "Unauthorized" response"
    let response = fetch(&app, Method::GET, "/api/profile", None, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
