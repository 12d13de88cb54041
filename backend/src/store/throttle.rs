//! `throttle`: attempts per bucket and window, for the login and
//! registration limits (`auth::rate_limit` decides what counts where).

use std::time::Duration;

use sqlx::any::AnyExecutor as Executor;

use crate::clock::Timestamp;

/// One counter: what is counted, for which client, for which username
/// (`""` when the bucket counts the address across usernames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket<'a> {
    pub kind: &'static str,
    pub client: &'a str,
    pub username: &'a str,
}

/// Counts one attempt in `bucket` unless it already holds `limit` attempts
/// in the window that is still open at `now`; a window that has
/// passed starts again at `now`. `None` if the bucket is full, else the
/// attempts now counted.
///
/// One upsert, so that the check and the count are one step: SQLite runs it
/// under the database's write lock, and PostgreSQL re-checks the `where`
/// clause of `do update` under the row lock. Concurrent callers therefore
/// see each other's attempts, and at most `limit` of them are let through.
#[tracing::instrument(skip_all, fields(kind = bucket.kind))]
pub async fn take<'e>(
    db: impl Executor<'e>,
    bucket: Bucket<'_>,
    limit: u32,
    window: Duration,
    now: Timestamp,
) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "insert into throttle (kind, client, username, hits, window_start)
         values ($1, $2, $3, 1, $4)
         on conflict (kind, client, username) do update set
             hits = case when throttle.window_start <= $5 then 1 else throttle.hits + 1 end,
             window_start = case when throttle.window_start <= $5 then $4
                                 else throttle.window_start end
         where throttle.window_start <= $5 or throttle.hits < $6
         returning hits",
    )
    .bind(bucket.kind)
    .bind(bucket.client)
    .bind(bucket.username)
    .bind(now.micros())
    .bind((now - window).micros())
    .bind(i64::from(limit))
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(hits,)| hits))
}

/// When the bucket's current window started, if it has one.
pub async fn window_start<'e>(
    db: impl Executor<'e>,
    bucket: Bucket<'_>,
) -> Result<Option<Timestamp>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "select window_start from throttle where kind = $1 and client = $2 and username = $3",
    )
    .bind(bucket.kind)
    .bind(bucket.client)
    .bind(bucket.username)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(at,)| Timestamp::from_micros(at)))
}

/// Gives back one attempt that turned out not to count (a login that
/// succeeded does not count against its address).
#[tracing::instrument(skip_all, fields(kind = bucket.kind))]
pub async fn give_back<'e>(db: impl Executor<'e>, bucket: Bucket<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update throttle set hits = hits - 1
         where kind = $1 and client = $2 and username = $3 and hits > 0",
    )
    .bind(bucket.kind)
    .bind(bucket.client)
    .bind(bucket.username)
    .execute(db)
    .await?;
    Ok(())
}

/// Empties the bucket: a successful login starts its username's count again.
#[tracing::instrument(skip_all, fields(kind = bucket.kind))]
pub async fn clear<'e>(db: impl Executor<'e>, bucket: Bucket<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("delete from throttle where kind = $1 and client = $2 and username = $3")
        .bind(bucket.kind)
        .bind(bucket.client)
        .bind(bucket.username)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets windows that started at or before `cutoff`: they no longer count.
pub async fn delete_before<'e>(
    db: impl Executor<'e>,
    cutoff: Timestamp,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from throttle where window_start <= $1")
        .bind(cutoff.micros())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
