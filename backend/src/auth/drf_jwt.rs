//! API.md Part 2, "The single-token protocol of djangorestframework-jwt"
//! (`DRF_JWT=true`): one token per login, refreshed by presenting it before
//! it expires, never past `orig_iat` + the session maximum. Its errors are
//! drf-jwt's: 400 `{"non_field_errors": [...]}` in the words of
//! djangorestframework-jwt 1.11, the version the seed systems use.
//!
//! A drf-jwt login is a session like any other (see `session::login_with`):
//! it is listed, can be ended, and ends with a password change; a refresh
//! checks that it has not.

use std::time::Duration;

use shared::DrfClaims;

use super::jwt::{DrfSubject, reason};
use crate::error::{ApiError, ApiResult};
use crate::extract::ClientAddr;
use crate::state::AppState;
use crate::store::sessions;
use crate::store::users;

/// drf-jwt's messages.
pub mod message {
    pub const BAD_CREDENTIALS: &str = "Unable to log in with provided credentials.";
    pub const EXPIRED: &str = "Signature has expired.";
    pub const UNDECODABLE: &str = "Error decoding signature.";
    pub const NO_ORIG_IAT: &str = "orig_iat field is required.";
    pub const REFRESH_EXPIRED: &str = "Refresh has expired.";
    pub const NO_USER: &str = "User doesn't exist.";
    pub const DISABLED: &str = "User account is disabled.";
    /// Ours: drf-jwt has no sessions. Its session was ended (logged out
    /// elsewhere, a password change): the user must log in again.
    pub const SESSION_ENDED: &str = "This session has ended; log in again.";
}

/// drf-jwt's error body.
fn refused(message: &'static str) -> ApiError {
    ApiError::field("non_field_errors", message)
}

/// The token's lifetime, `DRF_JWT_TTL_SECS`.
fn ttl(state: &AppState) -> ApiResult<Duration> {
    state
        .settings
        .drf_jwt
        .ok_or_else(|| anyhow::anyhow!("drf-jwt is off").into())
}

/// `POST /api-token-auth/`: a new session and its token, if `pass` is the
/// password of the account `name` names (see `session::account_name`).
pub async fn login(
    state: &AppState,
    client: &ClientAddr,
    user_agent: &str,
    name: &str,
    pass: String,
) -> ApiResult<String> {
    let ttl = ttl(state)?;
    let answer =
        super::session::login_with(state, client, user_agent, name, pass, |who, sid, now| {
            let subject = DrfSubject {
                user_id: who.user_id,
                username: &who.username,
                email: &who.email,
                sid,
            };
            let token = state.jwt.issue_drf(&subject, now.secs(), now.secs(), ttl)?;
            // drf-jwt hands out no refresh token, but the session still needs
            // the row that what ends sessions (a logout elsewhere, a password
            // change) marks: this one is given to nobody, and lives as long as
            // the session may.
            Ok(super::session::SessionTokens {
                jti: super::random_id(),
                expires_at: now + state.jwt.settings().session_max,
                answer: token,
            })
        })
        .await;
    match answer {
        Err(ApiError::BadCredentials) => Err(refused(message::BAD_CREDENTIALS)),
        other => other,
    }
}

/// A token presented to refresh or verify: ours, an access token, not
/// expired, with an `orig_iat`.
fn decode(state: &AppState, token: &str) -> ApiResult<DrfClaims> {
    state
        .jwt
        .decode_drf(token, state.clock.now().secs())
        .map_err(|why| {
            refused(match why {
                reason::EXPIRED => message::EXPIRED,
                reason::NO_ORIG_IAT => message::NO_ORIG_IAT,
                _ => message::UNDECODABLE,
            })
        })
}

/// The token's user must still exist and be active.
fn check_user(owner: Option<users::TokenOwner>) -> ApiResult<()> {
    match owner {
        None => Err(refused(message::NO_USER)),
        Some(owner) if !owner.active => Err(refused(message::DISABLED)),
        Some(_) => Ok(()),
    }
}

/// `POST /api-token-refresh/`: a new token with the same `orig_iat` and
/// session, if the token is valid, unexpired, within the session cap, its
/// user active and its session not ended.
pub async fn refresh(state: &AppState, token: &str) -> ApiResult<String> {
    let claims = decode(state, token)?;
    let now = state.clock.now();
    let cap = claims.orig_iat + state.jwt.settings().session_max.as_secs() as i64;
    if now.secs() >= cap {
        return Err(refused(message::REFRESH_EXPIRED));
    }
    let user_id = claims.access.user_id;
    let sid = claims
        .access
        .sid
        .as_deref()
        .ok_or_else(|| refused(message::UNDECODABLE))?;
    let mut tx = state.db.begin_write().await?;
    // Read under the lock a password change or a session's end takes (see
    // `users::token_owner`).
    check_user(users::token_owner(&mut *tx, user_id, state.db.share_lock()).await?)?;
    let live = sessions::current_token(&mut *tx, sid)
        .await?
        .filter(|t| t.user_id == user_id && t.expires_at > now);
    if live.is_none() {
        return Err(refused(message::SESSION_ENDED));
    }
    sessions::touch(&mut *tx, sid, now).await?;
    tx.commit().await?;
    let subject = DrfSubject {
        user_id,
        username: &claims.access.username,
        email: &claims.email,
        sid,
    };
    Ok(state
        .jwt
        .issue_drf(&subject, claims.orig_iat, now.secs(), ttl(state)?)?)
}

/// `POST /api-token-verify/`: the token is valid and its user active.
pub async fn verify(state: &AppState, token: &str) -> ApiResult<()> {
    let claims = decode(state, token)?;
    let owner = users::token_owner(&state.db.pool, claims.access.user_id, "").await?;
    check_user(owner)
}
