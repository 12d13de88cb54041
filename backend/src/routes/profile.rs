//! API.md `GET|PATCH /api/profile/`: the caller's own profile, which is the
//! same record as the user.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::{FieldErrors, Profile, ProfilePatch};

use super::route;
use crate::auth::jwt::reason;
use crate::domain::{Email, PersonName, collect};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::users;

pub fn router() -> Router<AppState> {
    route(
        Router::new(),
        "/api/profile/",
        get(get_profile).patch(update_profile),
    )
}

async fn get_profile(auth: AuthUser) -> Json<Profile> {
    Json(auth.user.into())
}

/// Changes any of `first_name`, `last_name`, `email`; an invalid field
/// changes nothing.
async fn update_profile(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> ApiResult<Json<Profile>> {
    let mut errors = FieldErrors::default();
    let first = patch
        .first_name
        .map(|v| collect(&mut errors, "first_name", PersonName::parse(v)));
    let last = patch
        .last_name
        .map(|v| collect(&mut errors, "last_name", PersonName::parse(v)));
    let email = patch
        .email
        .map(|v| collect(&mut errors, "email", Email::parse(v)));
    if !errors.is_empty() {
        return Err(ApiError::Fields(errors));
    }
    let user = users::update_profile(
        &state.db.pool,
        auth.user_id,
        first.flatten().as_ref().map(PersonName::as_str),
        last.flatten().as_ref().map(PersonName::as_str),
        email.flatten().as_ref().map(Email::as_str),
    )
    .await?
    .ok_or(ApiError::TokenInvalid(reason::USER_NOT_FOUND))?;
    Ok(Json(user.into()))
}
