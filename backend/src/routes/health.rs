//! `GET /api/` and `GET /api/health/`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use shared::Health;

use super::{API_PATHS, Endpoint};
use crate::state::AppState;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(&["/api/"], get(list_routes)),
        Endpoint::new(&["/api/health/"], get(health)),
    ]
}

/// API.md `GET /api/`: the API's paths.
async fn list_routes() -> Json<&'static [&'static str]> {
    Json(API_PATHS)
}

/// API.md `GET /api/health/`: 200 when the database answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    if state.db.ping().await {
        (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
            }),
        )
    } else {
        tracing::warn!("health check: the database does not answer");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable".into(),
            }),
        )
    }
}
