//! The JWT authentication backend: an HTTP API compatible with
//! djangorestframework-simplejwt and djoser (see `API.md`).

/// Creating accounts (register, CLI, demo users).
pub mod accounts;
/// The HTTP application: the router and its middleware.
pub mod app;
/// Token signing and verification, password hashing, login throttling.
pub mod auth;
/// The command line: `serve`, `create-user`, `flush-expired-tokens`,
/// `import-django-users`.
pub mod cli;
/// Time: `Timestamp` and the `Clock` every rule about time reads.
pub mod clock;
/// Settings from flags, environment variables and `.env`.
pub mod config;
/// Parsed, valid input: usernames, emails, passwords, notes.
pub mod domain;
/// The one error type, and how it becomes an HTTP response.
pub mod error;
/// Request extractors: the authenticated user, JSON bodies, client address.
pub mod extract;
/// The client's address behind trusted reverse proxies.
pub mod forwarded;

pub mod lifecycle;

/// `import-django-users`: users and their password hashes from Django.
pub mod import;
pub mod mail;
/// Handlers, one module per group of endpoints.
pub mod routes;
/// The server's lifecycle: serving, housekeeping, shutdown.
pub mod server;
/// Shared state handed to every handler.
pub mod state;
/// SQL, one module per table.
pub mod store;
/// Logging setup.
pub mod telemetry;

pub use config::Settings;
pub use error::ApiError;
pub use server::App;
