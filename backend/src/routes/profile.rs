//! API.md `GET|PATCH /api/profile/`: the caller's own profile, which is the
//! same record as the user.

use axum::Json;
use axum::extract::State;
use axum::routing::get;
use shared::{Profile, ProfilePatch};

use super::Endpoint;
use crate::accounts;
use crate::error::ApiResult;
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;

pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(
        &["/api/profile/"],
        get(get_profile).patch(update_profile),
    )]
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
    let user = accounts::update_profile(&state, auth.user_id, patch).await?;
    Ok(Json(user.into()))
}
