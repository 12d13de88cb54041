//! API.md `/api/notes/`: private per-user notes. Every query names the
//! caller, so another user's note is indistinguishable from a missing one.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;
use shared::{Note, NoteBody};

use super::Endpoint;
use crate::domain::{NewNote, NoteChange};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use crate::store::notes;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(&["/api/notes/"], get(list_notes).post(create_note)),
        Endpoint::new(
            &["/api/notes/{id}/"],
            get(get_note).patch(update_note).delete(delete_note),
        ),
    ]
}

/// A note id from the path. Ids are integers; anything else is an unknown
/// path (404, as API.md's `/api/notes/abc/` row says), credentials or not:
/// handlers take it before `AuthUser`, so it is checked first.
struct NoteId(i64);

impl<S: Send + Sync> FromRequestParts<S> for NoteId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        raw.parse().map(NoteId).map_err(|_| ApiError::NotFound)
    }
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
        state.db.writes(),
        auth.user_id,
        note.title.as_str(),
        &note.body,
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

async fn get_note(
    NoteId(id): NoteId,
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Note>> {
    let row = notes::find(&state.db.pool, id, auth.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

async fn update_note(
    NoteId(id): NoteId,
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NoteBody>,
) -> ApiResult<Json<Note>> {
    let change = NoteChange::try_from(body)?;
    let row = notes::update(
        state.db.writes(),
        id,
        auth.user_id,
        change.title.as_ref().map(|t| t.as_str()),
        change.body.as_deref(),
        state.clock.now(),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

async fn delete_note(
    NoteId(id): NoteId,
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<StatusCode> {
    if notes::delete(state.db.writes(), id, auth.user_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
