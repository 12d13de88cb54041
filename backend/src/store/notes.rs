//! `notes`: every query names the owner, so a user can reach only their own.

use sqlx::any::AnyExecutor as Executor;

use crate::clock::Timestamp;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<NoteRow> for shared::Note {
    fn from(row: NoteRow) -> Self {
        shared::Note {
            id: row.id,
            title: row.title,
            body: row.body,
            created_at: Timestamp::from_micros(row.created_at).iso8601(),
            updated_at: Timestamp::from_micros(row.updated_at).iso8601(),
        }
    }
}

const COLUMNS: &str = "id, title, body, created_at, updated_at";

/// Newest first.
pub async fn list<'e>(db: impl Executor<'e>, user_id: i64) -> Result<Vec<NoteRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from notes where user_id = $1 order by created_at desc, id desc"
    ))
    .bind(user_id)
    .fetch_all(db)
    .await
}

pub async fn insert<'e>(
    db: impl Executor<'e>,
    user_id: i64,
    title: &str,
    body: &str,
    now: Timestamp,
) -> Result<NoteRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "insert into notes (user_id, title, body, created_at, updated_at)
         values ($1, $2, $3, $4, $4) returning {COLUMNS}"
    ))
    .bind(user_id)
    .bind(title)
    .bind(body)
    .bind(now.micros())
    .fetch_one(db)
    .await
}

pub async fn find<'e>(
    db: impl Executor<'e>,
    id: i64,
    user_id: i64,
) -> Result<Option<NoteRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from notes where id = $1 and user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// Changes the given fields; `updated_at` always moves forward, even when
/// two changes fall in the same microsecond.
pub async fn update<'e>(
    db: impl Executor<'e>,
    id: i64,
    user_id: i64,
    title: Option<&str>,
    body: Option<&str>,
    now: Timestamp,
) -> Result<Option<NoteRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "update notes set title = coalesce($3, title), body = coalesce($4, body),
             updated_at = case when $5 > updated_at then $5 else updated_at + 1 end
         where id = $1 and user_id = $2 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(user_id)
    .bind(title)
    .bind(body)
    .bind(now.micros())
    .fetch_optional(db)
    .await
}

pub async fn delete<'e>(db: impl Executor<'e>, id: i64, user_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from notes where id = $1 and user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
