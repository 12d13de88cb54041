//! The built frontend: files as they are, and `index.html` for every other
//! non-API path, so that deep links into the single-page app load it.

use std::path::Path;

use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

use crate::state::AppState;

pub fn router(dist: &Path) -> Router<AppState> {
    let index = ServeFile::new(dist.join("index.html"));
    // `fallback`, not `not_found_service`: a deep link must answer 200.
    Router::new().fallback_service(ServeDir::new(dist).fallback(index))
}
