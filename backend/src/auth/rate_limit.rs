//! Throttling (API.md "Login rate limit" and "Hardening rules"): which
//! buckets an attempt counts in, and what a full bucket answers.
//!
//! - A username from one client address: `LOGIN_MAX_FAILURES` failed logins
//!   or `current_password` checks in `LOGIN_WINDOW_SECS`; a success empties it.
//! - A client address across all usernames: `LOGIN_MAX_FAILURES_PER_ADDRESS`
//!   failures in the same window, so that trying many usernames from one
//!   address is limited too.
//! - Registrations from a client address: `REGISTER_MAX_PER_ADDRESS` an hour.
//!
//! Every attempt is counted before its password is hashed (the reservation
//! is the count), so however many arrive at once, no more are checked than
//! the limit allows. The counts live in the database, shared by every
//! instance. An IPv6 client counts per /64, the block one subscriber gets.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::config::LoginLimit;
use crate::store::throttle::{self, Bucket};

/// Registrations are counted per hour.
pub const REGISTER_WINDOW: Duration = Duration::from_secs(3600);

/// What a full bucket refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Logins,
    Registrations,
    /// Too many hashes of one address waiting at once (`hash_queue`).
    Busy,
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("too many attempts; retry after {retry_after} s")]
    Throttled { what: Limited, retry_after: u64 },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The buckets of one login (or `current_password` check) by `username`
/// from `client`.
#[derive(Debug, Clone)]
pub struct LoginBuckets {
    client: String,
    /// A digest, not the name: a username field sometimes holds a password
    /// typed in the wrong box, and the database need not keep it.
    username: String,
}

impl LoginBuckets {
    pub fn new(client: &str, username: &str) -> Self {
        let digest = Sha256::digest(username.as_bytes());
        LoginBuckets {
            client: client.to_owned(),
            username: digest.iter().take(16).map(|b| format!("{b:02x}")).collect(),
        }
    }

    fn pair(&self) -> Bucket<'_> {
        Bucket {
            kind: "login",
            client: &self.client,
            username: &self.username,
        }
    }

    fn address(&self) -> Bucket<'_> {
        Bucket {
            kind: "login_address",
            client: &self.client,
            username: "",
        }
    }
}

/// Counts one login attempt, or refuses it if its address or its username
/// from that address has used up its failures.
pub async fn reserve_login(
    db: &crate::store::Db,
    limit: &LoginLimit,
    buckets: &LoginBuckets,
    now: Timestamp,
) -> Result<(), RateLimitError> {
    let window = limit.window;
    let address = buckets.address();
    if throttle::take(
        db.writes(),
        address,
        limit.max_failures_per_address,
        window,
        now,
    )
    .await?
    .is_none()
    {
        return Err(refusal(db, address, Limited::Logins, window, now).await);
    }
    let pair = buckets.pair();
    if throttle::take(db.writes(), pair, limit.max_failures, window, now)
        .await?
        .is_none()
    {
        // Refused before any check: it is no failure of the address.
        throttle::give_back(db.writes(), address).await?;
        return Err(refusal(db, pair, Limited::Logins, window, now).await);
    }
    Ok(())
}

/// A login whose password was right: its username's count starts again, and
/// its reservation is no failure of the address.
pub async fn login_succeeded(
    conn: &mut sqlx::AnyConnection,
    buckets: &LoginBuckets,
) -> Result<(), sqlx::Error> {
    throttle::clear(&mut *conn, buckets.pair()).await?;
    throttle::give_back(&mut *conn, buckets.address()).await
}

/// Counts one registration from `client`, or refuses it.
pub async fn reserve_registration(
    db: &crate::store::Db,
    max_per_address: u32,
    client: &str,
    now: Timestamp,
) -> Result<(), RateLimitError> {
    let bucket = registration_bucket(client);
    let window = REGISTER_WINDOW;
    if throttle::take(db.writes(), bucket, max_per_address, window, now)
        .await?
        .is_none()
    {
        return Err(refusal(db, bucket, Limited::Registrations, window, now).await);
    }
    Ok(())
}

/// API.md Part 2: each kind of mail goes to one address at most once in
/// this window.
pub const MAIL_WINDOW: Duration = Duration::from_secs(60);

/// Whether a mail of `kind` (`"mail_password_reset"`, …) may go to
/// `address` now, counting it if so. The request is answered the same
/// either way; only the mail is skipped.
pub async fn reserve_mail(
    db: &crate::store::Db,
    kind: &'static str,
    address: &str,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let address = address.to_lowercase();
    let bucket = Bucket {
        kind,
        client: &address,
        username: "",
    };
    Ok(throttle::take(db.writes(), bucket, 1, MAIL_WINDOW, now)
        .await?
        .is_some())
}

fn registration_bucket(client: &str) -> Bucket<'_> {
    Bucket {
        kind: "register",
        client,
        username: "",
    }
}

/// The refusal of a full bucket, with when its window ends.
async fn refusal(
    db: &crate::store::Db,
    bucket: Bucket<'_>,
    what: Limited,
    window: Duration,
    now: Timestamp,
) -> RateLimitError {
    match throttle::window_start(&db.pool, bucket).await {
        Ok(started) => {
            let retry_after = retry_after(started.unwrap_or(now) + window, now);
            tracing::info!(kind = bucket.kind, retry_after, "throttled");
            RateLimitError::Throttled { what, retry_after }
        }
        Err(e) => RateLimitError::Database(e),
    }
}

/// Whole seconds until `lifts_at`, at least one.
pub fn retry_after(lifts_at: Timestamp, now: Timestamp) -> u64 {
    (lifts_at - now).as_micros().div_ceil(1_000_000).max(1) as u64
}

/// The longest window any bucket has: older rows no longer count.
pub fn longest_window(limit: &LoginLimit) -> Duration {
    limit.window.max(REGISTER_WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_secs(1_000);

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let forty = Duration::from_secs(40);
        assert_eq!(retry_after(NOW + forty, NOW), 40);
        assert_eq!(retry_after(NOW + forty + Duration::from_micros(1), NOW), 41);
    }

    #[test]
    fn never_asks_for_less_than_a_second() {
        assert_eq!(retry_after(NOW + Duration::from_micros(1), NOW), 1);
        assert_eq!(retry_after(NOW - Duration::from_secs(5), NOW), 1);
    }

    #[test]
    fn usernames_are_kept_as_digests() {
        let buckets = LoginBuckets::new("10.0.0.1", "hunter2");
        assert_eq!(buckets.username.len(), 32);
        assert!(!buckets.username.contains("hunter2"));
        assert_eq!(
            buckets.username,
            LoginBuckets::new("10.0.0.2", "hunter2").username
        );
        assert_ne!(
            buckets.username,
            LoginBuckets::new("10.0.0.1", "hunter3").username
        );
    }

    #[test]
    fn old_rows_are_kept_for_the_longest_window() {
        let limit = LoginLimit {
            max_failures: 5,
            max_failures_per_address: 100,
            window: Duration::from_secs(60),
        };
        assert_eq!(longest_window(&limit), REGISTER_WINDOW);
    }
}
