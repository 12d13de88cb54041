//! SQLite's rotations, many to a transaction (group commit).
//!
//! Profiled (README "Performance / Refresh"): with one writer connection, a
//! rotation on SQLite was limited by its own transaction: five hand-offs to
//! sqlx's SQLite worker thread (begin, claim, insert, touch, commit), each
//! a wake-up on a busy machine, and ~15 WAL page writes at its commit. Here
//! one task owns the queue: it takes every rotation waiting, runs them all
//! as one script in one `begin immediate` transaction (three hand-offs for
//! the whole batch) and commits once, so the pages a batch shares are
//! written once.
//!
//! Each rotation in the script is still its own conditional update, run in
//! order on the one connection: of any number of rotations of one token in
//! a batch, the first claims it and the others find it rotated, exactly as
//! when they ran one by one. A batch that fails is rolled back whole and its
//! rotations are answered "undecided": each caller then runs its own
//! transaction (`tokens::rotate`), so a failure costs time, never a token.

use std::fmt::Write as _;

use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::tokens::NewRefreshToken;
use crate::clock::Timestamp;

/// Rotations in one transaction at most: the script stays small to
/// prepare, and a batch's wait short.
const MAX_BATCH: usize = 64;

/// One rotation, as `tokens::rotate` describes it.
struct Rotation {
    old: String,
    jti: String,
    user_id: i64,
    sid: String,
    expires_at: Timestamp,
    now: Timestamp,
    /// `Some(rotated)` once committed; `None` if the batch failed.
    answer: oneshot::Sender<Option<bool>>,
}

/// The sending side; the task stops when every clone is dropped.
#[derive(Clone, Debug)]
pub struct RotationQueue {
    sender: mpsc::UnboundedSender<Rotation>,
}

impl RotationQueue {
    /// Starts the task that runs the batches on `writer`, the one
    /// connection SQLite's writes take turns on (`Db::begin_write`).
    pub fn start(writer: AnyPool) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, receiver));
        Self { sender }
    }

    /// `Some(rotated)` as `tokens::rotate` answers it, or `None` when the
    /// batch could not be committed (or the queue's task is gone): nothing
    /// was written, and the caller decides it alone.
    pub async fn rotate(
        &self,
        old: &str,
        next: &NewRefreshToken<'_>,
        now: Timestamp,
    ) -> Option<bool> {
        let (answer, answered) = oneshot::channel();
        let rotation = Rotation {
            old: old.to_owned(),
            jti: next.jti.to_owned(),
            user_id: next.user_id,
            sid: next.sid.to_owned(),
            expires_at: next.expires_at,
            now,
            answer,
        };
        self.sender.send(rotation).ok()?;
        answered.await.ok().flatten()
    }
}

async fn run(writer: AnyPool, mut receiver: mpsc::UnboundedReceiver<Rotation>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut scripts = Scripts::default();
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match commit(&writer, &mut scripts, &batch).await {
            Ok(rotated) => {
                for rotation in batch.drain(..) {
                    let won = rotated.contains(&rotation.jti);
                    let _ = rotation.answer.send(Some(won));
                }
            }
            Err(error) => {
                tracing::warn!(%error, rotations = batch.len(), "a batch of rotations failed; each is retried alone");
                for rotation in batch.drain(..) {
                    let _ = rotation.answer.send(None);
                }
            }
        }
    }
}

/// Runs `batch` in one transaction; the new tokens that were stored (their
/// rotation won).
async fn commit(
    writer: &AnyPool,
    scripts: &mut Scripts,
    batch: &[Rotation],
) -> Result<Vec<String>, sqlx::Error> {
    let mut query = sqlx::query(scripts.get(batch.len()));
    for r in batch {
        query = query
            .bind(r.old.as_str())
            .bind(r.jti.as_str())
            .bind(r.user_id)
            .bind(r.sid.as_str())
            .bind(r.now.micros())
            .bind(r.expires_at.micros());
    }
    let mut tx = writer.begin_with("begin immediate").await?;
    let rows = query.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    rows.iter().map(|row| row.try_get::<String, _>(0)).collect()
}

/// The script of a batch of each size, built once: its text is the key of
/// the connection's statement cache, so each size is prepared once.
#[derive(Default)]
struct Scripts(Vec<String>);

impl Scripts {
    fn get(&mut self, size: usize) -> &str {
        while self.0.len() < size {
            let next = script(self.0.len() + 1);
            self.0.push(next);
        }
        &self.0[size - 1]
    }
}

/// The statements of a batch of `size` rotations, then a query for which
/// new tokens exist. Rotation `i` binds `$6i+1..$6i+6`: the old token, the
/// new one, the user, the session, now and the new token's expiry.
fn script(size: usize) -> String {
    let mut sql = String::with_capacity(size * 400 + 400);
    let mut new_ids = String::new();
    for i in 0..size {
        let p = |n: usize| 6 * i + n;
        let (old, jti, user, sid, now, expires) = (p(1), p(2), p(3), p(4), p(5), p(6));
        // The claim, as in `tokens::rotate`; the insert only if it won
        // (`changes()`: the rows the claim just changed).
        let _ = write!(
            sql,
            "update refresh_tokens set rotated_at = ${now}
              where jti = ${old} and rotated_at is null and revoked_at is null
                and exists (select 1 from users where id = ${user} and is_active <> 0);
             insert into refresh_tokens (jti, user_id, sid, created_at, expires_at)
              select ${jti}, ${user}, ${sid}, ${now}, ${expires} where changes() = 1;\n"
        );
        if i > 0 {
            new_ids.push(',');
        }
        let _ = write!(new_ids, "${jti}");
    }
    // One touch for the batch: each session that got a new token was last
    // used when it was made (a batch holds one winner per session at most:
    // a session's next rotation needs this one's answer).
    let _ = write!(
        sql,
        "update sessions set last_used_at = t.created_at
           from refresh_tokens t
          where t.jti in ({new_ids}) and sessions.sid = t.sid;
         select jti from refresh_tokens where jti in ({new_ids});"
    );
    sql
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::Db;
    use crate::store::tokens::{self, TokenState};

    /// A database with user 1, its session `s1` and its live token `t0`.
    async fn one_session(dir: &tempfile::TempDir) -> Db {
        let db = Db::connect(&format!("sqlite://{}/app.db", dir.path().display()))
            .await
            .unwrap();
        for sql in [
            "insert into users (id, username, password_hash, date_joined) values (1, 'u', 'x', 0)",
            "insert into sessions (sid, user_id, username, auth_time, created_at, last_used_at)
             values ('s1', 1, 'u', 0, 0, 0)",
            "insert into refresh_tokens (jti, user_id, sid, created_at, expires_at)
             values ('t0', 1, 's1', 0, 9000000000000000)",
        ] {
            sqlx::query(sql).execute(&db.pool).await.unwrap();
        }
        db
    }

    fn next(jti: &str) -> NewRefreshToken<'_> {
        NewRefreshToken {
            jti,
            user_id: 1,
            sid: "s1",
            created_at: Timestamp::from_secs(100),
            expires_at: Timestamp::from_secs(100) + Duration::from_secs(3600),
        }
    }

    #[tokio::test]
    async fn of_many_rotations_of_one_token_in_a_batch_exactly_one_wins() {
        let dir = tempfile::tempdir().unwrap();
        let db = one_session(&dir).await;
        let queue = db.rotations.clone().unwrap();
        let now = Timestamp::from_secs(100);
        let ids: Vec<String> = (0..40).map(|i| format!("n{i}")).collect();
        let rows: Vec<NewRefreshToken<'_>> = ids.iter().map(|id| next(id)).collect();
        let answers =
            futures::future::join_all(rows.iter().map(|row| queue.rotate("t0", row, now))).await;
        let won = answers.iter().filter(|a| **a == Some(true)).count();
        assert_eq!(won, 1, "{answers:?}");
        assert!(answers.iter().all(Option::is_some), "{answers:?}");
        let (stored,): (i64,) = sqlx::query_as("select count(*) from refresh_tokens")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(stored, 2, "t0 and the one winner");
        assert_eq!(
            tokens::state(&db.pool, "t0").await.unwrap(),
            TokenState::Rotated(now)
        );
        let (touched,): (i64,) = sqlx::query_as("select last_used_at from sessions")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(touched, now.micros());
    }

    #[tokio::test]
    async fn quotes_in_the_values_are_values() {
        let dir = tempfile::tempdir().unwrap();
        let db = one_session(&dir).await;
        let queue = db.rotations.clone().unwrap();
        let now = Timestamp::from_secs(100);
        assert_eq!(
            queue.rotate("t0' or '1'='1", &next("n1"), now).await,
            Some(false)
        );
        let evil = "x'); delete from users; --";
        assert_eq!(queue.rotate("t0", &next(evil), now).await, Some(true));
        assert_eq!(
            tokens::state(&db.pool, evil).await.unwrap(),
            TokenState::Live
        );
        let (users,): (i64,) = sqlx::query_as("select count(*) from users")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(users, 1);
    }

    #[tokio::test]
    async fn a_failed_batch_writes_nothing_and_each_rotation_is_then_decided_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = one_session(&dir).await;
        sqlx::query(
            "insert into refresh_tokens (jti, user_id, sid, created_at, expires_at)
             values ('t1', 1, 's1', 0, 9000000000000000)",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        let now = Timestamp::from_secs(100);
        let queue = db.rotations.clone().unwrap();
        // The second rotation's new id is taken: its insert fails the batch.
        let (n1, t0) = (next("n1"), next("t0"));
        let (good, bad) = tokio::join!(queue.rotate("t0", &n1, now), queue.rotate("t1", &t0, now));
        assert_eq!((good, bad), (None, None));
        assert_eq!(
            tokens::state(&db.pool, "t0").await.unwrap(),
            TokenState::Live
        );
        assert_eq!(
            tokens::state(&db.pool, "t1").await.unwrap(),
            TokenState::Live
        );
        // Through `tokens::rotate`, which then decides each alone.
        assert!(tokens::rotate(&db, "t0", &next("n1"), now).await.unwrap());
        assert!(tokens::rotate(&db, "t1", &next("t0"), now).await.is_err());
        assert_eq!(
            tokens::state(&db.pool, "t1").await.unwrap(),
            TokenState::Live
        );
    }
}
