//! Login throttling (API.md, "Login rate limit"): after N failures for one
//! username from one client address within the window, every login for that
//! pair is refused, even with the right password, until the window passes.
//! The counts live in the database, so all instances share them.

use sqlx::any::AnyExecutor as Executor;

use crate::config::LoginLimit;
use crate::error::ApiError;
use crate::store::attempts;

const MICROS: i64 = 1_000_000;

/// `Err(Throttled)` if the pair has used up its failures, else how many
/// failures it has in the window; `now` in µs.
pub async fn check<'e>(
    db: impl Executor<'e>,
    limit: &LoginLimit,
    username: &str,
    client: &str,
    now: i64,
) -> Result<i64, ApiError> {
    let window = limit.window.as_micros() as i64;
    let (failures, oldest) = attempts::recent(db, username, client, now - window).await?;
    if failures < i64::from(limit.max_failures) {
        return Ok(failures);
    }
    // The limit lifts when the oldest counted failure leaves the window.
    let lifts_at = oldest.unwrap_or(now) + window;
    let retry_after = ((lifts_at - now + MICROS - 1) / MICROS).max(1) as u64;
    tracing::info!(username, client, failures, "login throttled");
    Err(ApiError::Throttled { retry_after })
}
