//! `login_failures`: failed logins per username and client address.

use sqlx::any::AnyExecutor as Executor;

use super::users::{Credentials, PasswordHash};

/// A username's recent failed logins from one client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recent {
    pub count: i64,
    /// When the oldest of them happened (µs), if there are any.
    pub oldest: Option<i64>,
}

/// What a login must know before it hashes: the pair's failures since
/// `since`, and the account's credentials if the username exists. One query
/// rather than two, because every login asks both and on PostgreSQL each
/// round trip costs the server more CPU than the lookups themselves, CPU
/// that a login at full rate takes from hashing.
#[tracing::instrument(skip_all)]
pub async fn before_login<'e>(
    db: impl Executor<'e>,
    username: &str,
    client: &str,
    since: i64,
) -> Result<(Recent, Option<Credentials>), sqlx::Error> {
    type Row = (
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    // The failure count is an aggregate, so it is always one row; the left
    // join adds the user's columns, null when there is no such user.
    let (count, oldest, id, name, hash, active): Row = sqlx::query_as(
        "select f.n, f.oldest, u.id, u.username, u.password_hash, u.is_active
         from (select count(*) as n, min(failed_at) as oldest from login_failures
               where username = $1 and client = $2 and failed_at > $3) f
         left join users u on u.username = $1",
    )
    .bind(username)
    .bind(client)
    .bind(since)
    .fetch_one(db)
    .await?;
    let credentials = match (id, name, hash, active) {
        (Some(id), Some(username), Some(hash), Some(active)) => Some(Credentials {
            id,
            username,
            hash: PasswordHash(hash),
            active: active != 0,
        }),
        _ => None,
    };
    Ok((Recent { count, oldest }, credentials))
}

#[tracing::instrument(skip(db, now))]
pub async fn record<'e>(
    db: impl Executor<'e>,
    username: &str,
    client: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into login_failures (username, client, failed_at) values ($1, $2, $3)")
        .bind(username)
        .bind(client)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// A successful login starts the count again.
pub async fn clear<'e>(
    db: impl Executor<'e>,
    username: &str,
    client: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from login_failures where username = $1 and client = $2")
        .bind(username)
        .bind(client)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets failures older than the window: they no longer count.
pub async fn delete_before<'e>(db: impl Executor<'e>, cutoff: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from login_failures where failed_at <= $1")
        .bind(cutoff)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
