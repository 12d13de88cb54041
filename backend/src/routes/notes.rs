//! API.md `/api/notes/`: private per-user notes. Every query names the
//! caller, so another user's note is indistinguishable from a missing one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use shared::{Note, NoteBody};

use super::route;
use crate::domain::{NewNote, NoteChange};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::{notes, now_micros};

pub fn router() -> Router<AppState> {
    let r = route(
        Router::new(),
        "/api/notes/",
        get(list_notes).post(create_note),
    );
    route(
        r,
        "/api/notes/{id}/",
        get(get_note).patch(update_note).delete(delete_note),
    )
}

/// Ids are integers; anything else names no note (404, as API.md's
/// `/api/notes/abc/` row says).
fn note_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

async fn list_notes(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<Note>>> {
    let rows = notes::list(&state.db.pool, auth.user_id).await?;
    Ok(Json(rows.into_iter().map(Note::from).collect()))
}

async fn create_note(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NoteBody>,
) -> ApiResult<(StatusCode, Json<Note>)> {
    let note = NewNote::try_from(body)?;
    let row = notes::insert(
        &state.db.pool,
        auth.user_id,
        note.title.as_str(),
        &note.body,
        now_micros(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

async fn get_note(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Note>> {
    let row = notes::find(&state.db.pool, note_id(&id)?, auth.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

async fn update_note(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NoteBody>,
) -> ApiResult<Json<Note>> {
    let id = note_id(&id)?;
    let change = NoteChange::try_from(body)?;
    let row = notes::update(
        &state.db.pool,
        id,
        auth.user_id,
        change.title.as_ref().map(|t| t.as_str()),
        change.body.as_deref(),
        now_micros(),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

async fn delete_note(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if notes::delete(&state.db.pool, note_id(&id)?, auth.user_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
