//! API.md "Tokens": log in, refresh (rotation and reuse detection), verify,
//! log out, and the JWKS of the asymmetric mode.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::{Empty, LoginBody, RefreshBody, TokenPair, TokenType, VerifyBody};

use super::route;
use crate::auth::jwt::reason;
use crate::auth::{password, random_id, rate_limit};
use crate::domain::required;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;
use crate::store::tokens::{NewRefreshToken, Spent};
use crate::store::{attempts, now_micros, tokens};

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
#[tracing::instrument(skip_all, fields(client = %client.0))]
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
    let db = &state.db.pool;
    let now = now_micros();
    let since = rate_limit::window_start(&state.settings.login_limit, now);
    let (recent, found) = attempts::before_login(db, &username, &client.0, since).await?;
    rate_limit::check(&state.settings.login_limit, recent, now)?;
    let (stored, account) = match found {
        Some(c) => (Some(c.hash), Some((c.id, c.username, c.active))),
        None => (None, None),
    };
    // Always one full verification, known user or not (see password::verify).
    let matches = password::verify(pass, stored).await?;
    let Some((user_id, username, true)) = account.filter(|_| matches) else {
        attempts::record(db, &username, &client.0, now).await?;
        tracing::info!("login failed");
        return Err(ApiError::BadCredentials);
    };
    // A success resets the count; with nothing counted, skip the write.
    if recent.count > 0 {
        attempts::clear(db, &username, &client.0).await?;
    }

    let now_secs = now / MICROS;
    let sid = random_id();
    let (refresh, claims) = state
        .jwt
        .issue_refresh(user_id, &username, &sid, now_secs, now_secs)?;
    tokens::insert(db, &new_row(&claims, now)).await?;
    let access = state.jwt.issue_access(user_id, &username, now_secs)?;
    tracing::info!(user_id, "logged in");
    Ok(Json(TokenPair { access, refresh }))
}

fn new_row(claims: &shared::RefreshClaims, now: i64) -> NewRefreshToken<'_> {
    NewRefreshToken {
        jti: &claims.jti,
        user_id: claims.user_id,
        sid: &claims.sid,
        created_at: now,
        expires_at: claims.exp * MICROS,
    }
}

/// API.md `POST /api/token/refresh/`: rotates the refresh token. Exactly one
/// of any number of concurrent refreshes with the same token wins; the others,
/// and any later use, are refused, and a use after the reuse grace revokes
/// the whole session (the token was probably stolen).
#[tracing::instrument(skip_all)]
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> ApiResult<Response> {
    let token = field("refresh", body.refresh)?;
    let now = now_micros();
    let now_secs = now / MICROS;
    let claims = state
        .jwt
        .decode_refresh(&token, now_secs)
        .map_err(ApiError::TokenInvalid)?;

    if !state.jwt.settings().rotate {
        return match tokens::state(&state.db.pool, &claims.jti).await? {
            Some(None) => {
                let access = state
                    .jwt
                    .issue_access(claims.user_id, &claims.username, now_secs)?;
                Ok(Json(shared::RefreshAnswer {
                    access,
                    refresh: None,
                })
                .into_response())
            }
            Some(Some(_)) => Err(ApiError::TokenInvalid(reason::BLACKLISTED)),
            None => Err(ApiError::TokenInvalid(reason::INVALID)),
        };
    }

    // The conditional update comes first so that, on SQLite, the transaction
    // takes the write lock at once and waits its turn instead of failing.
    let mut tx = state.db.begin().await?;
    if tokens::claim_rotation(&mut *tx, &claims.jti, now).await? {
        let (refresh, next) = state.jwt.issue_refresh(
            claims.user_id,
            &claims.username,
            &claims.sid,
            claims.auth_time,
            now_secs,
        )?;
        tokens::insert(&mut *tx, &new_row(&next, now)).await?;
        tx.commit().await?;
        let access = state
            .jwt
            .issue_access(claims.user_id, &claims.username, now_secs)?;
        return Ok(Json(TokenPair { access, refresh }).into_response());
    }
    let outcome = match tokens::state(&mut *tx, &claims.jti).await? {
        None => reason::INVALID,
        Some(Some(Spent::Rotated(at)))
            if now - at > state.jwt.settings().reuse_grace.as_micros() as i64 =>
        {
            let revoked = tokens::revoke_session(&mut *tx, &claims.sid, now).await?;
            tracing::warn!(
                user_id = claims.user_id,
                sid = %claims.sid,
                revoked,
                "refresh token reused after rotation: session revoked"
            );
            reason::BLACKLISTED
        }
        Some(_) => reason::BLACKLISTED,
    };
    tx.commit().await?;
    Err(ApiError::TokenInvalid(outcome))
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
