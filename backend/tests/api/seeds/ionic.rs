//! Seed `004_af63cf93cfb65645.txt`: "How to secure Ionic application and
//! Django API with JWT authentication?", an Ionic (Angular) app over djoser
//! and simplejwt with login by email. It registers by posting
//! `{email, password, first_name, last_name}` to `auth/users/` (a 400 means
//! "An account already exists with this email"), logs in at
//! `auth/jwt/create/` with `{email, password}`, keeps `access` and
//! `refresh`, and shows `email` and `id` of the current user. Its
//! `TokenInterceptor` adds `Authorization: Bearer <access>` to every
//! request; on a 401 it posts the refresh token to `auth/jwt/refresh/`,
//! keeps the new `access` and `refresh` and retries the request, and on a
//! 401 from the refresh URL it logs the user out.
//!
//! Settings (the README's for this seed): `LOGIN_FIELD=email`; the test of
//! the expired refresh token adds the seed's `REFRESH_TTL_SECS=600`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, both_databases, expect_json, spawn_app_env};

const EMAIL: &str = "myuser@gmail.com";
const PASSWORD: &str = "mypassword";

async fn ionic_backend(db: Db, extra: &[(&str, &str)]) -> TestApp {
    let mut variables = vec![("LOGIN_FIELD", "email")];
    variables.extend_from_slice(extra);
    spawn_app_env(db, &variables).await
}

/// What the interceptor holds: `authService.token` and `authService.refresh`.
#[derive(Debug, Clone)]
struct AuthService {
    token: Option<String>,
    refresh: Option<String>,
}

/// What a call through the interceptor ended as.
#[derive(Debug)]
enum Outcome {
    /// The answer, after a refresh and a retry if one was needed.
    Answered(reqwest::Response),
    /// `logoutAndRedirect`: the user is sent to the login page.
    LoggedOut,
}

/// One request through Angular's `HttpClient`, as the interceptor adds the
/// header (004 lines 573-580).
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        // 004 line 575: let bearer = Bearer ${token};
        // 004 line 577: return request.clone({ setHeaders: { Authorization: bearer } });
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        // 004 line 188: 'Content-Type': 'application/json'
        request = request.json(body);
    }
    request.send().await.expect("request")
}

/// `TokenInterceptor.intercept` (004 lines 539-572) around one request.
async fn intercepted(
    app: &TestApp,
    auth: &mut AuthService,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Outcome {
    // 004 line 540: const accessToken = this.authService.token;
    let access = auth.token.clone();
    let response = send(app, method.clone(), path, body, access.as_deref()).await;
    if response.status() != StatusCode::UNAUTHORIZED {
        return Outcome::Answered(response);
    }
    // 004 line 553: if (err instanceof HttpErrorResponse && err.status === 401) {
    // 004 line 557: if (refreshToken && accessToken) {
    let (Some(refresh), Some(access)) = (auth.refresh.clone(), access) else {
        // 004 line 561: return this.logoutAndRedirect(err);
        return Outcome::LoggedOut;
    };
    // 004 line 592: return this.authService.refreshToken().pipe(
    // 004 line 319: return this.apiService.refreshToken(this.refresh)
    // (apiService.refreshToken is not shown; it is the curl of 004 lines
    // 82-85: POST auth/jwt/refresh/ -d '{"refresh": "…"}'). The refresh
    // request goes through this same interceptor, so it carries the
    // expired access token as its Bearer header.
    let refreshed = send(
        app,
        Method::POST,
        "/auth/jwt/refresh/",
        Some(&json!({ "refresh": refresh })),
        Some(&access),
    )
    .await;
    // 004 line 547: if (req.url.indexOf("/refresh") > 0) {
    // 004 line 551: return this.logoutAndRedirect(err);
    // 004 line 601: catchError((err, caught) => { … return this.logoutAndRedirect(err);
    if !refreshed.status().is_success() {
        assert_eq!(refreshed.status(), StatusCode::UNAUTHORIZED);
        *auth = AuthService {
            token: None,
            refresh: None,
        };
        return Outcome::LoggedOut;
    }
    let res: Value = refreshed.json().await.expect("JSON");
    // 004 line 595: this.authService.token = res["access"]
    // 004 line 596: this.authService.refresh = res["refresh"]
    auth.token = res["access"].as_str().map(str::to_owned);
    auth.refresh = res["refresh"].as_str().map(str::to_owned);
    // 004 line 600: return next.handle(this.addAuthorizationHeader(request, res["access"]));
    let retried = send(app, method, path, body, auth.token.as_deref()).await;
    Outcome::Answered(retried)
}

/// `createAccount` (004 lines 128-134, 183-208).
async fn register_user(app: &TestApp, email: &str) -> reqwest::Response {
    // 004 lines 128-133: let params = { "email": email, "password": password,
    //   "first_name": firstName, "last_name": lastName }
    let params = json!({"email": email, "password": PASSWORD,
                        "first_name": "My", "last_name": "User"});
    // 004 line 191: this.getUserUrl = this.virtualHostName + "auth/users/"
    send(app, Method::POST, "/auth/users/", Some(&params), None).await
}

/// `apiService.login` and `AuthenticationService.login` (004 lines
/// 212-235, 283-301): `None` is `resolve(false)`.
async fn login(app: &TestApp, email: &str, password: &str) -> Option<AuthService> {
    // 004 lines 150-153 (and 332-335): { "email": …, "password": … }
    let params = json!({"email": email, "password": password});
    // 004 line 218: this.getLoginUrl = this.virtualHostName + "auth/jwt/create/"
    let response = send(app, Method::POST, "/auth/jwt/create/", Some(&params), None).await;
    // 004 line 227: observer.next() on an error: no result.
    if !response.status().is_success() {
        return None;
    }
    let resultat: Value = response.json().await.expect("JSON");
    // 004 line 287: let accessToken = resultat["access"]
    // 004 line 288: let refreshToken = resultat["refresh"]
    Some(AuthService {
        token: Some(resultat["access"].as_str().expect("access").to_owned()),
        refresh: Some(resultat["refresh"].as_str().expect("refresh").to_owned()),
    })
}

/// `HomePage`'s `apiService.getUserMe()` (004 line 473; its URL is not
/// shown: djoser's `users/me/` under 004 line 36's `path('auth/', …)`).
async fn get_user_me(app: &TestApp, auth: &mut AuthService) -> Outcome {
    intercepted(app, auth, Method::GET, "/auth/users/me/", None).await
}

/// 004 lines 504-505: {{infoAboutMe.data.email}}, {{infoAboutMe.data.id}}
async fn info_about_me(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Answered(response) => expect_json(response, StatusCode::OK).await,
        Outcome::LoggedOut => panic!("logged out instead of showing the user"),
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn ionic_registers_by_email_and_a_second_account_with_it_is_400(db: Db) {
    let app = ionic_backend(db, &[]).await;

    let response = register_user(&app, EMAIL).await;

    // 004 line 195: observer.next({"status":"OK","data":val})
    // 004 line 147: this.userManager.setUser(data)
    let data: Value = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(data["email"], EMAIL, "{data}");
    assert!(data["id"].is_i64(), "{data}");
    // 004 line 168: if (error.status==400){
    // 004 line 169: "An account already exists with this email. Please login !"
    for again in [EMAIL, "MyUser@Gmail.com"] {
        let response = register_user(&app, again).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{again}");
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn ionic_logs_in_by_email_and_shows_its_own_user(db: Db) {
    let app = ionic_backend(db, &[]).await;
    let created: Value = expect_json(register_user(&app, EMAIL).await, StatusCode::CREATED).await;
    let other = register_user(&app, "someone.else@gmail.com").await;
    assert_eq!(other.status(), StatusCode::CREATED);

    // 004 line 154: this.authentificationService.login(paramsToLogin)
    let mut auth = login(&app, EMAIL, PASSWORD).await.expect("resolve(true)");
    let me = info_about_me(get_user_me(&app, &mut auth).await).await;

    assert_eq!(me["email"], EMAIL, "{me}");
    assert_eq!(me["id"], created["id"], "{me}");
}

#[apply(both_databases)]
#[tokio::test]
async fn wrong_credentials_are_401_and_the_login_page_says_so(db: Db) {
    let app = ionic_backend(db, &[]).await;
    register_user(&app, EMAIL).await;

    // 004 line 71: "If credentials are not correct, the endpoint will return
    // an HTTP 401 response (unauthorised)."
    let params = json!({"email": EMAIL, "password": "not my password"});
    let response = send(&app, Method::POST, "/auth/jwt/create/", Some(&params), None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // 004 line 342: this.displayWrongLogin()
    assert!(login(&app, EMAIL, "not my password").await.is_none());
    assert!(login(&app, "nobody@gmail.com", PASSWORD).await.is_none());
}

#[apply(both_databases)]
#[tokio::test]
async fn after_five_minutes_the_interceptor_refreshes_and_retries(db: Db) {
    let app = ionic_backend(db, &[]).await;
    register_user(&app, EMAIL).await;
    let mut auth = login(&app, EMAIL, PASSWORD).await.expect("logged in");

    for _ in 0..3 {
        let before = auth.clone();
        // 004 line 513: "Now wait 5 minutes, and try to access again"
        // 004 line 53: 'ACCESS_TOKEN_LIFETIME': timedelta(minutes=5),
        app.clock.advance(Duration::from_secs(5 * 60));
        // 004 line 517: "The backend returns an HTTP 401 response code."
        let expired = send(
            &app,
            Method::GET,
            "/auth/users/me/",
            None,
            before.token.as_deref(),
        )
        .await;
        assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);

        // 004 line 669: "a new token will be obtain and you will be still
        // logged in"
        let me = info_about_me(get_user_me(&app, &mut auth).await).await;

        assert_eq!(me["email"], EMAIL);
        assert_ne!(auth.token, before.token);
        // 004 line 111: 'ROTATE_REFRESH_TOKENS': True: res["refresh"] is
        // a new refresh token, the one the next round sends.
        assert!(auth.refresh.is_some(), "no refresh in the refresh answer");
        assert_ne!(auth.refresh, before.refresh);
    }
}

#[apply(both_databases)]
#[tokio::test]
async fn when_the_refresh_token_has_expired_too_the_interceptor_logs_out(db: Db) {
    // 004 line 671: 'REFRESH_TOKEN_LIFETIME': timedelta(minutes=10),
    let app = ionic_backend(db, &[("REFRESH_TTL_SECS", "600")]).await;
    register_user(&app, EMAIL).await;
    let mut auth = login(&app, EMAIL, PASSWORD).await.expect("logged in");
    // 004 line 669: "wait 5 minutes for HTTP 401 … a new token will be
    // obtain and you will be still logged in"
    app.clock.advance(Duration::from_secs(5 * 60));
    info_about_me(get_user_me(&app, &mut auth).await).await;
    let stale = auth.clone();

    // 004 line 669: "Then wait more than 10 minutes, both access and refresh
    // token will be expired, and you should be log out from the application"
    app.clock.advance(Duration::from_secs(10 * 60 + 1));
    let outcome = get_user_me(&app, &mut auth).await;

    assert!(matches!(outcome, Outcome::LoggedOut), "{outcome:?}");
    // 004 line 96: "the /refresh endpoint will return an HTTP 401
    // unauthorised response"; 004 line 622: not an endless loop of them.
    let refreshed = send(
        &app,
        Method::POST,
        "/auth/jwt/refresh/",
        Some(&json!({"refresh": stale.refresh})),
        None,
    )
    .await;
    assert_eq!(refreshed.status(), StatusCode::UNAUTHORIZED);
    // 004 line 114: "ask him again it's credentials": a new cycle starts.
    let mut auth = login(&app, EMAIL, PASSWORD).await.expect("logged in");
    info_about_me(get_user_me(&app, &mut auth).await).await;
}
