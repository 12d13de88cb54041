//! `login_failures`: failed logins per username and client address.

use sqlx::any::AnyExecutor as Executor;

/// Failures since `since`, and the time of the oldest of them.
pub async fn recent<'e>(
    db: impl Executor<'e>,
    username: &str,
    client: &str,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as(
        "select count(*), min(failed_at) from login_failures
         where username = $1 and client = $2 and failed_at > $3",
    )
    .bind(username)
    .bind(client)
    .bind(since)
    .fetch_one(db)
    .await
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
