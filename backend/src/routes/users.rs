//! API.md "Users" (djoser): register, me, set_password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::{FieldErrors, RegisterBody, SetPasswordBody, User};

use super::route;
use crate::accounts::create_user;
use crate::auth::jwt::reason;
use crate::auth::password;
use crate::domain::{NewPassword, NewUser, collect, required};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::{now_micros, tokens, users};

pub fn router() -> Router<AppState> {
    let r = route(Router::new(), "/api/users/", post(register));
    let r = route(r, "/api/users/me/", get(me));
    route(r, "/api/users/set_password/", post(set_password))
}

/// API.md `POST /api/users/`: 201 with the new user.
async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterBody>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = NewUser::try_from(body)?;
    let created = create_user(&state.db, user).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// API.md `GET /api/users/me/`.
async fn me(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<User>> {
    let user = users::find(&state.db.pool, auth.user_id)
        .await?
        .ok_or(ApiError::TokenInvalid(reason::USER_NOT_FOUND))?;
    Ok(Json(user.into()))
}

/// API.md `POST /api/users/set_password/`: 204, and every session of the
/// user ends (all their refresh tokens are blacklisted).
#[tracing::instrument(skip_all, fields(user_id = auth.user_id))]
async fn set_password(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<SetPasswordBody>,
) -> ApiResult<StatusCode> {
    let mut errors = FieldErrors::default();
    let current = collect(
        &mut errors,
        "current_password",
        required(body.current_password),
    );
    let new = collect(&mut errors, "new_password", required(body.new_password));
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::Fields(errors));
    };
    let stored = users::password_hash(&state.db.pool, auth.user_id)
        .await?
        .ok_or(ApiError::TokenInvalid(reason::USER_NOT_FOUND))?;
    if !password::verify(current, Some(stored)).await? {
        return Err(ApiError::field("current_password", "Invalid password."));
    }
    let new = NewPassword::parse(new, &auth.username).map_err(|reasons| {
        let mut errors = FieldErrors::default();
        for r in reasons {
            errors.add("new_password", r);
        }
        ApiError::Fields(errors)
    })?;
    let hash = password::hash(new.expose().to_owned()).await?;
    let mut tx = state.db.begin().await?;
    users::set_password_hash(&mut *tx, auth.user_id, &hash).await?;
    let revoked = tokens::revoke_user(&mut *tx, auth.user_id, now_micros()).await?;
    tx.commit().await?;
    tracing::info!(revoked, "password changed; sessions ended");
    Ok(StatusCode::NO_CONTENT)
}
