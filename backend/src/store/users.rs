//! `users`: accounts and their profile fields.

use sqlx::any::AnyExecutor as Executor;

/// A user as the API may show it. The password hash is deliberately not here.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_active: i64,
}

impl From<UserRow> for shared::User {
    fn from(row: UserRow) -> Self {
        shared::User {
            id: row.id,
            username: row.username,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
        }
    }
}

impl From<UserRow> for shared::Profile {
    fn from(row: UserRow) -> Self {
        shared::Profile {
            user: shared::ProfileUser {
                id: row.id,
                username: row.username,
            },
            first_name: row.first_name,
            last_name: row.last_name,
            email: row.email,
        }
    }
}

/// An argon2 PHC string. Explicitly not `Serialize`, and redacted in `Debug`,
/// so that it cannot end up in a response or a log by accident.
pub struct PasswordHash(pub String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}

/// What a login needs to know about a username.
#[derive(Debug)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub hash: PasswordHash,
    pub active: bool,
    /// The `credentials_version` this hash belongs to.
    pub version: i64,
}

/// What a new refresh token must check about its user, read under a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenOwner {
    pub active: bool,
    pub version: i64,
}

/// A user to insert; the fields are already valid.
pub struct NewUserRow<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub hash: &'a PasswordHash,
    /// `false` with `SEND_ACTIVATION_EMAIL`: until the mailed link is used.
    pub active: bool,
}

const COLUMNS: &str = "id, username, email, first_name, last_name, is_active";

#[tracing::instrument(skip_all, fields(username = user.username))]
pub async fn insert<'e>(
    db: impl Executor<'e>,
    user: &NewUserRow<'_>,
    now: crate::clock::Timestamp,
) -> Result<UserRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "insert into users
             (username, email, first_name, last_name, password_hash, date_joined, is_active)
         values ($1, $2, $3, $4, $5, $6, $7) returning {COLUMNS}"
    ))
    .bind(user.username)
    .bind(user.email)
    .bind(user.first_name)
    .bind(user.last_name)
    .bind(&user.hash.0)
    .bind(now.micros())
    .bind(i64::from(user.active))
    .fetch_one(db)
    .await
}

/// Makes an inactive account active; `false` if it already was (or is
/// gone): of two uses of one activation link, one wins.
pub async fn activate<'e>(db: impl Executor<'e>, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update users set is_active = 1 where id = $1 and is_active = 0")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(db: impl Executor<'e>, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from users where id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn exists<'e>(db: impl Executor<'e>, username: &str) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as("select id from users where username = $1")
        .bind(username)
        .fetch_optional(db)
        .await?;
    Ok(found.is_some())
}

pub async fn password_hash<'e>(
    db: impl Executor<'e>,
    id: i64,
) -> Result<Option<PasswordHash>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("select password_hash from users where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|(hash,)| PasswordHash(hash)))
}

type CredentialsRow = (i64, String, String, String, i64, i64);

const CREDENTIALS: &str =
    "select id, username, email, password_hash, is_active, credentials_version from users";

fn credentials_of((id, username, email, hash, active, version): CredentialsRow) -> Credentials {
    Credentials {
        id,
        username,
        email,
        hash: PasswordHash(hash),
        active: active != 0,
        version,
    }
}

/// The credentials of a username, if it exists.
pub async fn credentials<'e>(
    db: impl Executor<'e>,
    username: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    let row: Option<CredentialsRow> = sqlx::query_as(&format!("{CREDENTIALS} where username = $1"))
        .bind(username)
        .fetch_optional(db)
        .await?;
    Ok(row.map(credentials_of))
}

/// The credentials of the one account whose email is `email`, ignoring
/// case (`LOGIN_FIELD=email`). Accounts stored before that mode (imported
/// ones, say) may share an address: then none of them is meant, and
/// `None` is the answer, as for an unknown address.
pub async fn credentials_by_email<'e>(
    db: impl Executor<'e>,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    let mut rows: Vec<CredentialsRow> = sqlx::query_as(&format!(
        "{CREDENTIALS} where lower(email) = lower($1) and email <> '' limit 2"
    ))
    .bind(email)
    .fetch_all(db)
    .await?;
    if rows.len() > 1 {
        tracing::warn!("several accounts share the email a login named: none is chosen");
        return Ok(None);
    }
    Ok(rows.pop().map(credentials_of))
}

/// Whether an account other than `except` has this email, ignoring case.
pub async fn email_taken<'e>(
    db: impl Executor<'e>,
    email: &str,
    except: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> =
        sqlx::query_as("select id from users where lower(email) = lower($1) and id <> $2 limit 1")
            .bind(email)
            .bind(except.unwrap_or(0))
            .fetch_optional(db)
            .await?;
    Ok(found.is_some())
}

/// What the links mailed to an account are bound to (`auth::links`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub is_active: i64,
}

const LINK_COLUMNS: &str = "id, username, email, password_hash, is_active";

pub async fn link_row<'e>(db: impl Executor<'e>, id: i64) -> Result<Option<LinkRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {LINK_COLUMNS} from users where id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The accounts whose email is `email`, ignoring case (Django mails each).
pub async fn link_rows_by_email<'e>(
    db: impl Executor<'e>,
    email: &str,
) -> Result<Vec<LinkRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {LINK_COLUMNS} from users
         where lower(email) = lower($1) and email <> '' order by id limit 10"
    ))
    .bind(email)
    .fetch_all(db)
    .await
}

/// A new password, if the stored hash is still `old` (the one a reset link
/// was checked against): two uses of one link race here, and one wins. The
/// credentials version moves on, as for any password change.
pub async fn replace_password_hash<'e>(
    db: impl Executor<'e>,
    id: i64,
    old: &str,
    new: &PasswordHash,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update users set password_hash = $3, credentials_version = credentials_version + 1
         where id = $1 and password_hash = $2",
    )
    .bind(id)
    .bind(old)
    .bind(&new.0)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes an account; its notes, sessions and refresh tokens go with it
/// (`on delete cascade`). `false` if there was none.
pub async fn delete<'e>(db: impl Executor<'e>, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from users where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The user's state for a token about to be stored or rotated, read with
/// `lock` (`Db::share_lock`): a password change, which updates this row,
/// then waits for the token's transaction to commit and so sees its token
/// when it revokes them all; or, if it came first, this read waits for it
/// and sees the new version. `None` if the user no longer exists.
pub async fn token_owner<'e>(
    db: impl Executor<'e>,
    id: i64,
    lock: &str,
) -> Result<Option<TokenOwner>, sqlx::Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(&format!(
        "select is_active, credentials_version from users where id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(active, version)| TokenOwner {
        active: active != 0,
        version,
    }))
}

/// Takes the user row's lock against token writes without changing
/// anything, for revocations that must see every token racing them (see
/// `token_owner`): ending a session, or all others.
pub async fn hold_token_writes<'e>(db: impl Executor<'e>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("update users set credentials_version = credentials_version where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A new password: the hash changes and the credentials version moves on,
/// so that logins which verified the old password store no token.
#[tracing::instrument(skip_all, fields(id))]
pub async fn set_password_hash<'e>(
    db: impl Executor<'e>,
    id: i64,
    hash: &PasswordHash,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update users set password_hash = $2, credentials_version = credentials_version + 1
         where id = $1",
    )
    .bind(id)
    .bind(&hash.0)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces an imported (Django) hash by this server's hash of the same
/// password, if `old` is still the stored one: a password change that
/// committed meanwhile wins. The credentials version stays, since the
/// password is the same and the user's sessions should stay too.
#[tracing::instrument(skip_all, fields(id))]
pub async fn upgrade_password_hash<'e>(
    db: impl Executor<'e>,
    id: i64,
    old: &PasswordHash,
    new: &PasswordHash,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("update users set password_hash = $3 where id = $1 and password_hash = $2")
            .bind(id)
            .bind(&old.0)
            .bind(&new.0)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// A user brought over from another system with its id, join date and
/// password hash (see `crate::import`).
pub struct ImportedUserRow<'a> {
    pub id: i64,
    pub username: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub hash: &'a PasswordHash,
    pub active: bool,
    pub date_joined: crate::clock::Timestamp,
}

/// What became of a user to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    Created,
    /// The username belongs to the user with this id: left alone.
    UsernameTaken {
        id: i64,
    },
    /// The id belongs to a user of another name: left alone.
    IdTaken {
        username: String,
    },
}

/// Inserts `user` with its own id unless its username or its id is taken;
/// an existing row is never changed. `postgres`: the `generated always`
/// id column takes an explicit value only with `overriding system value`.
#[tracing::instrument(skip_all, fields(id = user.id))]
pub async fn insert_imported(
    conn: &mut sqlx::AnyConnection,
    user: &ImportedUserRow<'_>,
    postgres: bool,
) -> Result<Imported, sqlx::Error> {
    let overriding = if postgres {
        " overriding system value"
    } else {
        ""
    };
    let done = sqlx::query(&format!(
        "insert into users (id, username, email, first_name, last_name, password_hash,
             is_active, date_joined){overriding}
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing"
    ))
    .bind(user.id)
    .bind(user.username)
    .bind(user.email)
    .bind(user.first_name)
    .bind(user.last_name)
    .bind(&user.hash.0)
    .bind(i64::from(user.active))
    .bind(user.date_joined.micros())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(Imported::Created);
    }
    let by_name: Option<(i64,)> = sqlx::query_as("select id from users where username = $1")
        .bind(user.username)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some((id,)) = by_name {
        return Ok(Imported::UsernameTaken { id });
    }
    let (username,): (String,) = sqlx::query_as("select username from users where id = $1")
        .bind(user.id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Imported::IdTaken { username })
}

/// PostgreSQL only: moves the `users.id` sequence past the largest id, so
/// that the next registration after an import of explicit ids does not
/// collide with one of them. (SQLite's AUTOINCREMENT already counts from
/// the largest id ever stored.) Never moves it back, which would hand out
/// the ids of deleted users again.
pub async fn move_id_sequence_past_ids<'e>(db: impl Executor<'e>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "select setval(s, greatest((select max(id) from users), pg_sequence_last_value(s)))
         from (select pg_get_serial_sequence('users', 'id')::regclass as s) as seq
         where exists (select 1 from users)",
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Every user's id and username, for the start-up check of stored names.
pub async fn usernames<'e>(db: impl Executor<'e>) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("select id, username from users order by id")
        .fetch_all(db)
        .await
}

/// Renames a user; `false` if the name is taken (the unique index says so).
pub async fn rename<'e>(
    db: impl Executor<'e>,
    id: i64,
    username: &str,
) -> Result<bool, sqlx::Error> {
    match sqlx::query("update users set username = $2 where id = $1")
        .bind(id)
        .bind(username)
        .execute(db)
        .await
    {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(e) if crate::error::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What a rename by the user came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renamed {
    Done,
    /// Another account has the name.
    Taken,
    /// The account is no longer called `old` (a rename raced this one).
    Stale,
}

/// Renames the account from `old` to `new`, if it is still called `old`.
pub async fn rename_from<'e>(
    db: impl Executor<'e>,
    id: i64,
    old: &str,
    new: &str,
) -> Result<Renamed, sqlx::Error> {
    match sqlx::query("update users set username = $3 where id = $1 and username = $2")
        .bind(id)
        .bind(old)
        .bind(new)
        .execute(db)
        .await
    {
        Ok(done) if done.rows_affected() == 1 => Ok(Renamed::Done),
        Ok(_) => Ok(Renamed::Stale),
        Err(e) if crate::error::is_unique_violation(&e) => Ok(Renamed::Taken),
        Err(e) => Err(e),
    }
}

/// Changes the given profile fields and leaves the others alone.
pub async fn update_profile<'e>(
    db: impl Executor<'e>,
    id: i64,
    first_name: Option<&str>,
    last_name: Option<&str>,
    email: Option<&str>,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "update users set first_name = coalesce($2, first_name),
             last_name = coalesce($3, last_name), email = coalesce($4, email)
         where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(first_name)
    .bind(last_name)
    .bind(email)
    .fetch_optional(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_upgrade_replaces_only_the_hash_it_verified_and_keeps_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::store::Db::connect(&format!("sqlite://{}/app.db", dir.path().display()))
            .await
            .unwrap();
        sqlx::query(
            "insert into users (id, username, password_hash, date_joined) values (3, 'a', 'django', 0)",
        )
        .execute(db.writes())
        .await
        .unwrap();
        let hash = |h: &str| PasswordHash(h.to_owned());

        // A password change committed between the check and the upgrade.
        assert!(
            set_password_hash(db.writes(), 3, &hash("changed"))
                .await
                .unwrap()
        );
        assert!(
            !upgrade_password_hash(db.writes(), 3, &hash("django"), &hash("ours"))
                .await
                .unwrap()
        );
        assert_eq!(
            password_hash(&db.pool, 3).await.unwrap().unwrap().0,
            "changed"
        );

        assert!(
            upgrade_password_hash(db.writes(), 3, &hash("changed"), &hash("ours"))
                .await
                .unwrap()
        );
        assert_eq!(password_hash(&db.pool, 3).await.unwrap().unwrap().0, "ours");
        let owner = token_owner(&db.pool, 3, "").await.unwrap().unwrap();
        assert_eq!(owner.version, 1, "only the password change moved it");
    }
}
