//! API.md "Users" (djoser): register, me, set_password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::{FieldErrors, RegisterBody, SetPasswordBody, User};

use super::route;
use crate::accounts::create_user_from;
use crate::auth::{password, session};
use crate::domain::{NewPassword, NewUser, collect, required};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser, ClientAddr};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    let r = route(Router::new(), "/api/users/", post(register));
    let r = route(r, "/api/users/me/", get(me));
    route(r, "/api/users/set_password/", post(set_password))
}

/// API.md `POST /api/users/`: 201 with the new user; at most
/// `REGISTER_MAX_PER_ADDRESS` an hour from one client address.
async fn register(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<RegisterBody>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = NewUser::try_from(body)?;
    let created = create_user_from(&state, &client, user).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// API.md `GET /api/users/me/`.
async fn me(auth: AuthUser) -> Json<User> {
    Json(auth.user.into())
}

/// API.md `POST /api/users/set_password/`: 204, and every session of the
/// user ends (all their refresh tokens are blacklisted). A wrong
/// `current_password` counts as a failed login of the user.
#[tracing::instrument(skip_all, fields(user_id = auth.user_id))]
async fn set_password(
    State(state): State<AppState>,
    client: ClientAddr,
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
    if !session::check_current_password(&state, &client, auth.user_id, &auth.username, current)
        .await?
    {
        return Err(ApiError::field("current_password", "Invalid password."));
    }
    let new = NewPassword::parse(new, &auth.username).map_err(|reasons| {
        let mut errors = FieldErrors::default();
        for r in reasons {
            errors.add("new_password", r);
        }
        ApiError::Fields(errors)
    })?;
    // The new hash waits its turn in the caller's queue too.
    let place = session::admit(&state, &client.key()).await?;
    let hash = password::hash_in(Some(place), new.expose().to_owned()).await?;
    session::change_password(&state, auth.user_id, &hash).await?;
    Ok(StatusCode::NO_CONTENT)
}
