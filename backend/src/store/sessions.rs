//! `sessions`: one row per login session, beside its refresh tokens.

use sqlx::any::AnyExecutor as Executor;

use crate::clock::Timestamp;

/// A session to record at login.
pub struct NewSession<'a> {
    pub sid: &'a str,
    pub user_id: i64,
    pub username: &'a str,
    /// The claim: seconds.
    pub auth_time: i64,
    pub now: Timestamp,
    pub user_agent: &'a str,
    pub ip: &'a str,
}

/// A live session as `GET /api/sessions/` lists it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub sid: String,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    /// When its current refresh token expires.
    pub expires_at: Timestamp,
    pub user_agent: String,
    pub ip: String,
}

/// What the session's current (neither rotated nor revoked) refresh token
/// was issued with: enough to sign it again, byte for byte.
#[derive(Debug, Clone)]
pub struct CurrentToken {
    pub jti: String,
    pub user_id: i64,
    pub username: String,
    pub auth_time: i64,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn insert<'e>(
    db: impl Executor<'e>,
    session: &NewSession<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sessions
             (sid, user_id, username, auth_time, created_at, last_used_at, user_agent, ip)
         values ($1, $2, $3, $4, $5, $5, $6, $7)",
    )
    .bind(session.sid)
    .bind(session.user_id)
    .bind(session.username)
    .bind(session.auth_time)
    .bind(session.now.micros())
    .bind(session.user_agent)
    .bind(session.ip)
    .execute(db)
    .await?;
    Ok(())
}

/// A refresh of the session happened at `now`.
pub async fn touch<'e>(
    db: impl Executor<'e>,
    sid: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("update sessions set last_used_at = $2 where sid = $1")
        .bind(sid)
        .bind(now.micros())
        .execute(db)
        .await?;
    Ok(())
}

/// The user's sessions whose current refresh token is usable at `now`,
/// newest first.
pub async fn live<'e>(
    db: impl Executor<'e>,
    user_id: i64,
    now: Timestamp,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    let rows: Vec<(String, i64, i64, i64, String, String)> = sqlx::query_as(
        "select s.sid, s.created_at, s.last_used_at, t.expires_at, s.user_agent, s.ip
         from sessions s join refresh_tokens t on t.sid = s.sid
         where s.user_id = $1 and t.rotated_at is null and t.revoked_at is null
               and t.expires_at > $2
         order by s.created_at desc, s.sid",
    )
    .bind(user_id)
    .bind(now.micros())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(sid, created, used, expires, user_agent, ip)| SessionRow {
            sid,
            created_at: Timestamp::from_micros(created),
            last_used_at: Timestamp::from_micros(used),
            expires_at: Timestamp::from_micros(expires),
            user_agent,
            ip,
        })
        .collect())
}

/// Whether `sid` is one of the user's sessions (ended or not).
pub async fn belongs_to<'e>(
    db: impl Executor<'e>,
    sid: &str,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("select user_id from sessions where sid = $1 and user_id = $2")
            .bind(sid)
            .bind(user_id)
            .fetch_optional(db)
            .await?;
    Ok(row.is_some())
}

/// The session's current refresh token, if it has one.
pub async fn current_token<'e>(
    db: impl Executor<'e>,
    sid: &str,
) -> Result<Option<CurrentToken>, sqlx::Error> {
    let row: Option<(String, i64, String, i64, i64, i64)> = sqlx::query_as(
        "select t.jti, s.user_id, s.username, s.auth_time, t.created_at, t.expires_at
         from sessions s join refresh_tokens t on t.sid = s.sid
         where s.sid = $1 and t.rotated_at is null and t.revoked_at is null",
    )
    .bind(sid)
    .fetch_optional(db)
    .await?;
    Ok(row.map(
        |(jti, user_id, username, auth_time, issued, expires)| CurrentToken {
            jti,
            user_id,
            username,
            auth_time,
            issued_at: Timestamp::from_micros(issued),
            expires_at: Timestamp::from_micros(expires),
        },
    ))
}

/// Forgets sessions none of whose tokens is left (all expired and deleted).
pub async fn delete_empty<'e>(db: impl Executor<'e>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "delete from sessions
         where not exists (select 1 from refresh_tokens t where t.sid = sessions.sid)",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
