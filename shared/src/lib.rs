//! Wire types of `API.md`, used by both the backend and the frontend.
//!
//! This crate is serde-only so that it builds for `wasm32-unknown-unknown`.

pub mod api;
pub mod claims;
pub mod error;

pub use api::*;
pub use claims::{AccessClaims, DrfClaims, RefreshClaims, TokenType};
pub use error::{ErrorBody, FieldErrors};
