//! API.md Part 2 "Sessions you can see and end": the caller's login
//! sessions, and ending them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use shared::SessionInfo;

use super::Endpoint;
use crate::auth::session;
use crate::error::{ApiError, ApiResult};
use crate::extract::AuthUser;
use crate::state::AppState;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            &["/api/sessions/"],
            get(list_sessions).delete(end_other_sessions),
        ),
        Endpoint::new(&["/api/sessions/{id}/"], delete(end_session)),
    ]
}

/// `GET /api/sessions/`: newest first, the current one marked.
async fn list_sessions(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    let rows = session::list(&state, auth.user_id).await?;
    let current = auth.sid.as_deref();
    Ok(Json(
        rows.into_iter()
            .map(|row| SessionInfo {
                current: current == Some(row.sid.as_str()),
                id: row.sid,
                created_at: row.created_at.iso8601(),
                last_used_at: row.last_used_at.iso8601(),
                expires_at: row.expires_at.iso8601(),
                user_agent: row.user_agent,
                ip: row.ip,
            })
            .collect(),
    ))
}

/// `DELETE /api/sessions/{id}/`: 204; someone else's or an unknown id 404.
async fn end_session(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    session::end(&state, auth.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/sessions/`: 204; every session but the caller's ends.
async fn end_other_sessions(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<StatusCode> {
    // An access token without `sid` belongs to no session we could keep:
    // ending "all others" would end the caller's too, so refuse.
    let current = auth
        .sid
        .ok_or(ApiError::TokenInvalid(crate::auth::jwt::reason::NO_SESSION))?;
    session::end_others(&state, auth.user_id, &current).await?;
    Ok(StatusCode::NO_CONTENT)
}
