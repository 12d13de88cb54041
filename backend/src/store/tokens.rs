//! `refresh_tokens`: the state of every refresh token, so that rotation,
//! logout and reuse detection are decided by single conditional updates the
//! database serialises, on every instance at once.

use sqlx::any::AnyExecutor as Executor;

use crate::clock::Timestamp;
use crate::store::Db;

pub struct NewRefreshToken<'a> {
    pub jti: &'a str,
    pub user_id: i64,
    pub sid: &'a str,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// What the database knows of a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// No such token: never issued here, or deleted after it expired (or
    /// with its user).
    Unknown,
    /// Neither rotated nor revoked.
    Live,
    /// Rotated at this time: the refresh that won.
    Rotated(Timestamp),
    /// Logged out, or revoked by a password change or reuse detection.
    Revoked,
}

#[tracing::instrument(skip_all, fields(user_id = token.user_id))]
pub async fn insert<'e>(
    db: impl Executor<'e>,
    token: &NewRefreshToken<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into refresh_tokens (jti, user_id, sid, created_at, expires_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(token.jti)
    .bind(token.user_id)
    .bind(token.sid)
    .bind(token.created_at.micros())
    .bind(token.expires_at.micros())
    .execute(db)
    .await?;
    Ok(())
}

/// A rotation's writes, committed together: `old` marked rotated if it is
/// still usable and its user `user_id` still exists and is active, `next`
/// stored, and its session touched. `false` (nothing written) otherwise;
/// the caller finds out why (`state`).
///
/// The user row is read (on PostgreSQL locked `for share`) before the old
/// token's row is locked, the order `users::token_owner` describes, so a
/// password change either sees `next` when it revokes its user's tokens or
/// makes this find `old` revoked. It is committed with whatever other
/// rotations are waiting (`rotation_batches`: on PostgreSQL one statement,
/// its update joining the locked user rows so that no plan can lock a token
/// first; on SQLite a script in a `begin_write` transaction, the user check
/// folded into each claim), or, if that batch failed, in a batch of its own
/// with its own error.
#[tracing::instrument(skip_all)]
pub async fn rotate(
    db: &Db,
    old: &str,
    next: &NewRefreshToken<'_>,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    if let Some(rotated) = db.rotations.rotate(old, next, now).await {
        return Ok(rotated);
    }
    db.rotations.rotate_alone(old, next, now).await
}

/// Blacklists one usable token (logout); `false` if it was not usable.
#[tracing::instrument(skip_all)]
pub async fn revoke<'e>(
    db: impl Executor<'e>,
    jti: &str,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update refresh_tokens set revoked_at = $2
         where jti = $1 and rotated_at is null and revoked_at is null",
    )
    .bind(jti)
    .bind(now.micros())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Blacklists every token of a login session (reuse detected).
#[tracing::instrument(skip(db, now))]
pub async fn revoke_session<'e>(
    db: impl Executor<'e>,
    sid: &str,
    now: Timestamp,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update refresh_tokens set revoked_at = $2 where sid = $1 and revoked_at is null",
    )
    .bind(sid)
    .bind(now.micros())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Blacklists every token of a user's sessions but `keep` ("log out all
/// other sessions").
#[tracing::instrument(skip(db, now))]
pub async fn revoke_user_except<'e>(
    db: impl Executor<'e>,
    user_id: i64,
    keep: &str,
    now: Timestamp,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update refresh_tokens set revoked_at = $3
         where user_id = $1 and sid <> $2 and revoked_at is null",
    )
    .bind(user_id)
    .bind(keep)
    .bind(now.micros())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Blacklists every token of a user (password change).
#[tracing::instrument(skip(db, now))]
pub async fn revoke_user<'e>(
    db: impl Executor<'e>,
    user_id: i64,
    now: Timestamp,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update refresh_tokens set revoked_at = $2 where user_id = $1 and revoked_at is null",
    )
    .bind(user_id)
    .bind(now.micros())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn state<'e>(db: impl Executor<'e>, jti: &str) -> Result<TokenState, sqlx::Error> {
    let row: Option<(Option<i64>, Option<i64>)> =
        sqlx::query_as("select rotated_at, revoked_at from refresh_tokens where jti = $1")
            .bind(jti)
            .fetch_optional(db)
            .await?;
    Ok(match row {
        None => TokenState::Unknown,
        Some((_, Some(_))) => TokenState::Revoked,
        Some((Some(at), None)) => TokenState::Rotated(Timestamp::from_micros(at)),
        Some((None, None)) => TokenState::Live,
    })
}

/// Deletes tokens past their expiry: they can no longer be presented, so
/// their rows decide nothing.
#[tracing::instrument(skip(db))]
pub async fn delete_expired<'e>(db: impl Executor<'e>, now: Timestamp) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from refresh_tokens where expires_at < $1")
        .bind(now.micros())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
