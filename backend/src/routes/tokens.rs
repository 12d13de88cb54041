//! API.md "Tokens": log in, refresh (rotation and reuse detection), verify,
//! log out, and the JWKS of the asymmetric mode.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::{Empty, LoginBody, RefreshBody, TokenPair, VerifyBody};

use crate::config::LoginField;

use super::Endpoint;
use crate::auth::session;
use crate::domain::required;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;

/// simplejwt's views, also where `djoser.urls.jwt` mounts them.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(&["/api/token/", "/auth/jwt/create/"], post(login)),
        Endpoint::new(
            &["/api/token/refresh/", "/auth/jwt/refresh/"],
            post(refresh),
        ),
        Endpoint::new(&["/api/token/verify/", "/auth/jwt/verify/"], post(verify)),
        Endpoint::new(&["/api/token/blacklist/"], post(blacklist)),
    ]
}

pub fn jwks_router() -> Router<AppState> {
    Router::new().route("/.well-known/jwks.json", get(jwks))
}

/// One required string field, or the field error.
fn field(name: &str, value: Option<String>) -> ApiResult<String> {
    required(value).map_err(|e| ApiError::field(name, e))
}

/// API.md `POST /api/token/`: a new session's token pair.
async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<TokenPair>> {
    let (name, pass) = credentials(&state, body)?;
    let pair = session::login(&state, &client, &user_agent(&headers), &name, pass).await?;
    Ok(Json(pair))
}

/// The account name (the `LOGIN_FIELD`: `username` or `email`) and the
/// password of a log-in body, or every missing field's error.
pub fn credentials(state: &AppState, body: LoginBody) -> ApiResult<(String, String)> {
    let field = state.settings.login_field;
    let name = match field {
        LoginField::Username => body.username,
        LoginField::Email => body.email,
    };
    let mut errors = shared::FieldErrors::default();
    let name = crate::domain::collect(&mut errors, field.name(), required(name));
    let pass = crate::domain::collect(&mut errors, "password", required(body.password));
    let (Some(name), Some(pass)) = (name, pass) else {
        return Err(ApiError::Fields(errors));
    };
    Ok((session::account_name(state, &name), pass))
}

/// The login request's `User-Agent` as the session list shows it: at most
/// 200 characters, without the NUL PostgreSQL's `text` cannot hold.
pub fn user_agent(headers: &HeaderMap) -> String {
    let raw = headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    raw.chars().filter(|c| *c != '\0').take(200).collect()
}

/// API.md `POST /api/token/refresh/`: rotates the refresh token, or with
/// `ROTATE_REFRESH_TOKENS=false` only issues a new access token.
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Response> {
    let claims = session::decode_refresh(&state, &field("refresh", body.refresh)?)?;
    if !state.jwt.settings().rotate {
        let access = session::refresh_access(&state, &claims).await?;
        let answer = shared::RefreshAnswer {
            access,
            refresh: None,
        };
        return Ok(Json(answer).into_response());
    }
    Ok(Json(session::rotate(&state, &claims).await?).into_response())
}

/// API.md `POST /api/token/verify/`: 200 `{}` for a valid token of either
/// type; a refresh token must also still be usable.
async fn verify(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> ApiResult<Json<Empty>> {
    session::verify(&state, &field("token", body.token)?).await?;
    Ok(Json(Empty {}))
}

/// API.md `POST /api/token/blacklist/`: logs one session out.
async fn blacklist(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Json<Empty>> {
    let claims = session::decode_refresh(&state, &field("refresh", body.refresh)?)?;
    session::logout(&state, &claims).await?;
    Ok(Json(Empty {}))
}

/// API.md "Signing keys": the public keys of the asymmetric mode.
async fn jwks(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    state
        .jwt
        .jwks()
        .cloned()
        .map(Json)
        .ok_or(ApiError::NotFound)
}
