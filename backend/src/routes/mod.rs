//! The API's routes, one module per group of endpoints of API.md.

mod health;
mod notes;
mod profile;
mod sessions;
pub mod spa;
mod tokens;
mod users;

use axum::Router;
use axum::routing::MethodRouter;

use crate::state::AppState;

/// Every API path, as `GET /api/` lists them.
pub const API_PATHS: &[&str] = &[
    "/api/",
    "/api/token/",
    "/api/token/refresh/",
    "/api/token/verify/",
    "/api/token/blacklist/",
    "/api/users/",
    "/api/users/me/",
    "/api/users/set_password/",
    "/api/profile/",
    "/api/notes/",
    "/api/notes/{id}/",
    "/api/sessions/",
    "/api/sessions/{id}/",
    "/api/health/",
];

/// Registers `path` (written with its trailing slash) both with and without
/// it, as API.md requires, so clients of either habit work without redirects.
pub fn route(
    router: Router<AppState>,
    path: &str,
    method: MethodRouter<AppState>,
) -> Router<AppState> {
    let bare = path.trim_end_matches('/');
    router.route(bare, method.clone()).route(path, method)
}

/// All `/api/` routes, plus the JWKS document.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(tokens::router())
        .merge(users::router())
        .merge(profile::router())
        .merge(notes::router())
        .merge(sessions::router())
}
