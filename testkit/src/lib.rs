//! The test kit: what every test crate and the bench share, written once.
//!
//! - [`ApiClient`]: typed calls of API.md returning `shared` types, and the
//!   raw responses beside them for tests about statuses.
//! - [`ServerProcess`]: `backend serve` as a process of its own, on port 0,
//!   with its stdout lines and its stderr kept for assertions.
//! - [`PgDatabase`]: a throwaway PostgreSQL database on `TEST_POSTGRES_URL`,
//!   dropped when it goes out of scope.
//! - [`MailDev`]: the test run's SMTP server, read through its REST API.

pub mod api;
pub mod maildev;
pub mod pg;
pub mod server;

pub use api::{ApiClient, expect_status};
pub use maildev::{MailDev, Received};
pub use pg::{DEFAULT_POSTGRES_URL, PgDatabase, postgres_url};
pub use server::{ServeCommand, ServerProcess, sqlite_url};
