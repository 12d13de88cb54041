//! API.md "Tokens": log in, refresh (rotation and reuse detection), verify,
//! log out, and the JWKS of the asymmetric mode.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::{Empty, LoginBody, RefreshBody, TokenPair, TokenType, VerifyBody};

use super::route;
use crate::auth::jwt::reason;
use crate::auth::session;
use crate::domain::required;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;
use crate::store::{now_micros, tokens};

const MICROS: i64 = 1_000_000;

pub fn router() -> Router<AppState> {
    let r = route(Router::new(), "/api/token/", post(login));
    let r = route(r, "/api/token/refresh/", post(refresh));
    let r = route(r, "/api/token/verify/", post(verify));
    let r = route(r, "/api/token/blacklist/", post(blacklist));
    r.route("/.well-known/jwks.json", get(jwks))
}

/// One required string field, or the field error.
fn field(name: &str, value: Option<String>) -> ApiResult<String> {
    required(value).map_err(|e| ApiError::field(name, e))
}

/// API.md `POST /api/token/`: a new session's token pair.
async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<TokenPair>> {
    let mut errors = shared::FieldErrors::default();
    let username = crate::domain::collect(&mut errors, "username", required(body.username));
    let pass = crate::domain::collect(&mut errors, "password", required(body.password));
    let (Some(username), Some(pass)) = (username, pass) else {
        return Err(ApiError::Fields(errors));
    };
    let username = crate::domain::username::normalize(&username);
    let pair = session::login(&state, &client, &username, pass).await?;
    Ok(Json(pair))
}

/// API.md `POST /api/token/refresh/`: rotates the refresh token, or with
/// `ROTATE_REFRESH_TOKENS=false` only issues a new access token.
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Response> {
    let token = field("refresh", body.refresh)?;
    let claims = state
        .jwt
        .decode_refresh(&token, now_micros() / MICROS)
        .map_err(ApiError::TokenInvalid)?;
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
    let token = field("token", body.token)?;
    let head = state
        .jwt
        .decode_any(&token, now_micros() / MICROS)
        .map_err(ApiError::TokenInvalid)?;
    if head.token_type == TokenType::Refresh {
        match tokens::state(&state.db.pool, &head.jti).await? {
            Some(None) => {}
            Some(Some(_)) => return Err(ApiError::TokenInvalid(reason::BLACKLISTED)),
            None => return Err(ApiError::TokenInvalid(reason::INVALID)),
        }
    }
    Ok(Json(Empty {}))
}

/// API.md `POST /api/token/blacklist/`: logs one session out.
#[tracing::instrument(skip_all)]
async fn blacklist(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Json<Empty>> {
    let token = field("refresh", body.refresh)?;
    let now = now_micros();
    let claims = state
        .jwt
        .decode_refresh(&token, now / MICROS)
        .map_err(ApiError::TokenInvalid)?;
    if tokens::revoke(&state.db.pool, &claims.jti, now).await? {
        tracing::info!(user_id = claims.user_id, "logged out");
        return Ok(Json(Empty {}));
    }
    match tokens::state(&state.db.pool, &claims.jti).await? {
        None => Err(ApiError::TokenInvalid(reason::INVALID)),
        Some(_) => Err(ApiError::TokenInvalid(reason::BLACKLISTED)),
    }
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
