//! Logging: `RUST_LOG` (default `info`) filters what is written to stderr.

use tokio::task::JoinHandle;
use tracing_subscriber::EnvFilter;

/// Install the global subscriber. Safe to call more than once (tests do).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// `spawn_blocking` that keeps the caller's span, so CPU-heavy work such as
/// argon2 is still attributed to the request that asked for it.
pub fn spawn_blocking_with_tracing<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
}
