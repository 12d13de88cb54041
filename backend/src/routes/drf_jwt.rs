//! djangorestframework-jwt's three views (API.md Part 2, `DRF_JWT=true`),
//! at the paths its documentation mounts them; `PATH_ALIASES` puts them
//! wherever an old `urls.py` did.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use shared::{LoginBody, SingleToken};

use super::Endpoint;
use super::tokens::{credentials, user_agent};
use crate::auth::drf_jwt;
use crate::domain::required;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ClientAddr};
use crate::state::AppState;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(&["/api-token-auth/"], post(obtain)),
        Endpoint::new(&["/api-token-refresh/"], post(refresh)),
        Endpoint::new(&["/api-token-verify/"], post(verify)),
    ]
}

fn answer(token: String) -> Json<SingleToken> {
    Json(SingleToken { token: Some(token) })
}

/// The `token` of a refresh or verify body, or its field error.
fn token_of(body: SingleToken) -> ApiResult<String> {
    required(body.token).map_err(|e| ApiError::field("token", e))
}

/// `POST /api-token-auth/`: 200 `{"token"}`.
async fn obtain(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<SingleToken>> {
    let (name, pass) = credentials(&state, body)?;
    let token = drf_jwt::login(&state, &client, &user_agent(&headers), &name, pass).await?;
    Ok(answer(token))
}

/// `POST /api-token-refresh/`: 200 `{"token"}`, a new one.
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SingleToken>,
) -> ApiResult<Json<SingleToken>> {
    let token = drf_jwt::refresh(&state, &token_of(body)?).await?;
    Ok(answer(token))
}

/// `POST /api-token-verify/`: 200 `{"token"}`, the same.
async fn verify(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SingleToken>,
) -> ApiResult<Json<SingleToken>> {
    let token = token_of(body)?;
    drf_jwt::verify(&state, &token).await?;
    Ok(answer(token))
}
