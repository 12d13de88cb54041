//! Rotations many to a statement or transaction (group commit), and on
//! SQLite the WAL checkpoints off the writer's way.
//!
//! Profiled (README "Performance / Refresh"): a rotation was limited by its
//! own transaction. On SQLite, with one writer connection: five hand-offs
//! to sqlx's SQLite worker thread (begin, claim, insert, touch, commit),
//! each a wake-up on a busy machine, and ~15 WAL page writes at its commit.
//! On PostgreSQL: a statement, a commit and its WAL flush per rotation. Here
//! one task owns the queue: it takes every rotation waiting and runs them
//! all at once, on SQLite as one prepared script in one `begin immediate`
//! transaction (three hand-offs for the batch), on PostgreSQL as one
//! statement (one round trip), so the pages and the commit a batch shares
//! are written once.
//!
//! Each rotation is still its own conditional update: of any number of
//! rotations of one token in a batch, exactly one claims it, as when they
//! ran one by one (SQLite runs the script's updates in order on the one
//! connection; PostgreSQL updates a row once per statement, with one of the
//! rows it was joined to, and returns that one). A batch that fails is
//! rolled back whole and its rotations are answered "undecided": each caller
//! then decides its own alone (`tokens::rotate`), so a failure costs time,
//! never a token.
//!
//! SQLite's checkpoints: the writer connection does not checkpoint when it
//! commits (`wal_autocheckpoint = 0`, set in `Db::connect`): a checkpoint
//! there stopped every write for its page copies and fsyncs, the p99 of
//! refresh. The same task starts a passive checkpoint on a reader
//! connection every [`CHECKPOINT_EVERY`] instead, which copies what it can
//! while the writer goes on appending, and then has the writer copy the
//! rest between two batches, so that the WAL starts over.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::tokens::NewRefreshToken;
use crate::clock::Timestamp;

/// Rotations in one transaction at most: the script stays small to
/// prepare, and a batch's wait short. A power of two: batches are padded
/// to one (see [`Scripts`]).
const MAX_BATCH: usize = 32;

/// How often the WAL is checkpointed (when nothing is being checkpointed).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// A batch that has not committed by then is answered "undecided": its
/// callers decide alone (a row held locked by someone else, or a database
/// that stopped answering, then holds up one rotation, not every one).
/// Whatever the batch did meanwhile, the conditional claims still decide.
const COMMIT_LIMIT: Duration = Duration::from_secs(5);

/// One rotation, as `tokens::rotate` describes it.
struct Rotation {
    old: String,
    jti: String,
    user_id: i64,
    sid: String,
    expires_at: Timestamp,
    now: Timestamp,
}

impl Rotation {
    fn new(old: &str, next: &NewRefreshToken<'_>, now: Timestamp) -> Self {
        Self {
            old: old.to_owned(),
            jti: next.jti.to_owned(),
            user_id: next.user_id,
            sid: next.sid.to_owned(),
            expires_at: next.expires_at,
            now,
        }
    }
}

/// A rotation in the queue, and where its answer goes: `Some(rotated)` once
/// committed, `None` if its batch failed.
struct Queued {
    rotation: Rotation,
    answer: oneshot::Sender<Option<bool>>,
}

/// The sending side; the task stops when every clone is dropped.
#[derive(Clone, Debug)]
pub struct RotationQueue {
    sender: mpsc::UnboundedSender<Queued>,
    writer: AnyPool,
    sqlite: bool,
}

impl RotationQueue {
    /// Starts the task that runs the batches on `writer` (on SQLite the one
    /// connection its writes take turns on, `Db::begin_write`), and on
    /// SQLite the checkpoints on `readers`.
    pub fn start(writer: AnyPool, readers: AnyPool, sqlite: bool) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(writer.clone(), readers, sqlite, receiver));
        Self {
            sender,
            writer,
            sqlite,
        }
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
        let rotation = Rotation::new(old, next, now);
        self.sender.send(Queued { rotation, answer }).ok()?;
        answered.await.ok().flatten()
    }

    /// The same rotation in a batch of its own, outside the queue: for a
    /// rotation whose batch failed, with this one's own error if it fails.
    pub async fn rotate_alone(
        &self,
        old: &str,
        next: &NewRefreshToken<'_>,
        now: Timestamp,
    ) -> Result<bool, sqlx::Error> {
        let rotation = Rotation::new(old, next, now);
        let mut scripts = Scripts::new(self.sqlite);
        let stored = commit(&self.writer, &mut scripts, &[&rotation]).await?;
        Ok(stored.contains(&rotation.jti))
    }
}

async fn run(
    writer: AnyPool,
    readers: AnyPool,
    sqlite: bool,
    mut receiver: mpsc::UnboundedReceiver<Queued>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut scripts = Scripts::new(sqlite);
    let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let checkpoint = Arc::new(AtomicU8::new(IDLE));
    loop {
        tokio::select! {
            taken = receiver.recv_many(&mut batch, MAX_BATCH) => {
                if taken == 0 {
                    // Every `Db` is gone.
                    return;
                }
                // A caller that gave up (its request timed out) is not
                // rotated behind its back: its retry would look like reuse.
                batch.retain(|queued| !queued.answer.is_closed());
                if !batch.is_empty() {
                    let rotations: Vec<&Rotation> =
                        batch.iter().map(|queued| &queued.rotation).collect();
                    let committed =
                        tokio::time::timeout(COMMIT_LIMIT, commit(&writer, &mut scripts, &rotations))
                            .await
                            .unwrap_or_else(|_| Err(sqlx::Error::PoolTimedOut));
                    answer(&mut batch, committed);
                }
            }
            _ = ticks.tick(), if sqlite => start_checkpoint(&readers, &checkpoint),
        }
        if sqlite {
            finish_checkpoint(&writer, &checkpoint).await;
        }
    }
}

/// Tells each rotation of `batch` how it went, and empties it.
fn answer(batch: &mut Vec<Queued>, committed: Result<Vec<String>, sqlx::Error>) {
    match committed {
        Ok(rotated) => {
            for queued in batch.drain(..) {
                let won = rotated.contains(&queued.rotation.jti);
                let _ = queued.answer.send(Some(won));
            }
        }
        Err(error) => {
            tracing::warn!(%error, rotations = batch.len(), "a batch of rotations failed; each is retried alone");
            for queued in batch.drain(..) {
                let _ = queued.answer.send(None);
            }
        }
    }
}

/// Where a checkpoint is: none under way, a reader copying frames, or
/// the copy done and the writer to finish it.
const IDLE: u8 = 0;
const COPYING: u8 = 1;
const COPIED: u8 = 2;

/// Starts a passive checkpoint on a reader connection unless one is under
/// way: it copies the WAL's frames into the database file without waiting
/// for, or stopping, readers and the writer.
fn start_checkpoint(readers: &AnyPool, state: &Arc<AtomicU8>) {
    if state
        .compare_exchange(IDLE, COPYING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let (readers, state) = (readers.clone(), state.clone());
    tokio::spawn(async move {
        if let Err(error) = sqlx::query("pragma wal_checkpoint(passive)")
            .execute(&readers)
            .await
        {
            tracing::warn!(%error, "WAL checkpoint failed");
        }
        state.store(COPIED, Ordering::Release);
    });
}

/// After a reader's copy, the writer copies the frames appended meanwhile,
/// between two of its transactions. SQLite starts the WAL over only when a
/// write begins after a checkpoint that copied every frame, which the
/// reader's never does while writes go on: without this the WAL grew
/// without end under a steady stream of rotations (330 MB in 4 s, in the
/// test below). The writer's part is the few frames of the last moment.
async fn finish_checkpoint(writer: &AnyPool, state: &AtomicU8) {
    if state.load(Ordering::Acquire) != COPIED {
        return;
    }
    if let Err(error) = sqlx::query("pragma wal_checkpoint(passive)")
        .execute(writer)
        .await
    {
        tracing::warn!(%error, "WAL checkpoint failed");
    }
    state.store(IDLE, Ordering::Release);
}

/// Runs `batch` in one transaction; the new tokens that were stored (their
/// rotation won).
async fn commit(
    writer: &AnyPool,
    scripts: &mut Scripts,
    batch: &[&Rotation],
) -> Result<Vec<String>, sqlx::Error> {
    let size = batch.len().next_power_of_two();
    let sqlite = scripts.sqlite;
    let mut query = sqlx::query(scripts.get(size));
    for r in batch {
        query = query
            .bind(Some(r.old.as_str()))
            .bind(Some(r.jti.as_str()))
            .bind(Some(r.user_id))
            .bind(Some(r.sid.as_str()))
            .bind(Some(r.now.micros()))
            .bind(Some(r.expires_at.micros()));
    }
    // Padding: a claim of no token (`jti = null` is never true) claims
    // nothing, so its insert does not happen either.
    for _ in batch.len()..size {
        query = query
            .bind(None::<&str>)
            .bind(None::<&str>)
            .bind(None::<i64>)
            .bind(None::<&str>)
            .bind(None::<i64>)
            .bind(None::<i64>);
    }
    let rows = if sqlite {
        let mut tx = writer.begin_with("begin immediate").await?;
        let rows = query.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        rows
    } else {
        // One statement: a transaction of its own.
        query.fetch_all(writer).await?
    };
    rows.iter().map(|row| row.try_get::<String, _>(0)).collect()
}

/// The script of a batch of each power-of-two size up to [`MAX_BATCH`],
/// built once: its text is the key of the connection's statement cache, so
/// each is prepared once. Six scripts, not one per size: 64 of them were
/// 4 000 prepared statements, and the server's peak RSS grew by 6 MiB.
struct Scripts {
    sqlite: bool,
    built: Vec<String>,
}

impl Scripts {
    fn new(sqlite: bool) -> Self {
        Self {
            sqlite,
            built: Vec::new(),
        }
    }

    fn get(&mut self, size: usize) -> &str {
        debug_assert!(size.is_power_of_two() && size <= MAX_BATCH);
        let index = size.trailing_zeros() as usize;
        while self.built.len() <= index {
            let size = 1 << self.built.len();
            let next = if self.sqlite {
                sqlite_script(size)
            } else {
                postgres_statement(size)
            };
            self.built.push(next);
        }
        &self.built[index]
    }
}

/// The statements of a batch of `size` rotations on SQLite, then a query
/// for which new tokens exist. Rotation `i` binds `$6i+1..$6i+6`: the old
/// token, the new one, the user, the session, now and the new token's
/// expiry.
fn sqlite_script(size: usize) -> String {
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

/// One statement for a batch of `size` rotations on PostgreSQL, binding as
/// [`sqlite_script`] does; it returns the new tokens stored. The single
/// rotation of `tokens::rotate` for many rows: the users are locked `for
/// share` before their tokens (the update joins the locked rows, so no plan
/// can lock a token first), the order password changes rely on.
fn postgres_statement(size: usize) -> String {
    let mut rows = String::new();
    for i in 0..size {
        let p = |n: usize| 6 * i + n;
        if i > 0 {
            rows.push_str(", ");
        }
        let _ = write!(
            rows,
            "(${}::text, ${}::text, ${}::bigint, ${}::text, ${}::bigint, ${}::bigint)",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6)
        );
    }
    format!(
        "with input (old, jti, user_id, sid, now, expires) as (values {rows}),
         owner as (
             select id from users
              where id in (select user_id from input) and is_active <> 0
              for share
         ), claimed as (
             update refresh_tokens t set rotated_at = i.now
               from input i join owner o on o.id = i.user_id
              where t.jti = i.old and t.rotated_at is null and t.revoked_at is null
             returning i.jti, i.user_id, i.sid, i.now, i.expires
         ), inserted as (
             insert into refresh_tokens (jti, user_id, sid, created_at, expires_at)
             select jti, user_id, sid, now, expires from claimed
             returning jti, sid, created_at
         ), touched as (
             update sessions s set last_used_at = n.created_at
               from inserted n where s.sid = n.sid
         )
         select jti from inserted"
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::Db;
    use crate::store::tokens::{self, TokenState};

    /// What keeps a test's database alive.
    enum Keep {
        Dir(tempfile::TempDir),
        Pg(#[allow(dead_code, reason = "dropped at the test's end")] testkit::PgDatabase),
    }

    /// A database (a new SQLite file, or a new PostgreSQL database) with
    /// user 1, its session `s1` and its live token `t0`.
    async fn one_session(postgres: bool) -> (Db, Keep) {
        let (url, keep) = if postgres {
            let pg = testkit::PgDatabase::create().await.unwrap();
            (pg.url().to_owned(), Keep::Pg(pg))
        } else {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/app.db", dir.path().display());
            (url, Keep::Dir(dir))
        };
        let db = Db::connect(&url).await.unwrap();
        // PostgreSQL's ids are `generated always`: the first is 1.
        for sql in [
            "insert into users (username, password_hash, date_joined) values ('u', 'x', 0)",
            "insert into sessions (sid, user_id, username, auth_time, created_at, last_used_at)
             values ('s1', 1, 'u', 0, 0, 0)",
            "insert into refresh_tokens (jti, user_id, sid, created_at, expires_at)
             values ('t0', 1, 's1', 0, 9000000000000000)",
        ] {
            sqlx::query(sql).execute(db.writes()).await.unwrap();
        }
        (db, keep)
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

    #[rstest::rstest]
    #[case::sqlite(false)]
    #[case::postgres(true)]
    #[tokio::test]
    async fn of_many_rotations_of_one_token_in_a_batch_exactly_one_wins(#[case] postgres: bool) {
        let (db, _keep) = one_session(postgres).await;
        let queue = db.rotations.clone();
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

    #[rstest::rstest]
    #[case::sqlite(false)]
    #[case::postgres(true)]
    #[tokio::test]
    async fn quotes_in_the_values_are_values(#[case] postgres: bool) {
        let (db, _keep) = one_session(postgres).await;
        let queue = db.rotations.clone();
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

    #[rstest::rstest]
    #[case::sqlite(false)]
    #[case::postgres(true)]
    #[tokio::test]
    async fn a_failed_batch_writes_nothing_and_each_rotation_is_then_decided_alone(
        #[case] postgres: bool,
    ) {
        let (db, _keep) = one_session(postgres).await;
        sqlx::query(
            "insert into refresh_tokens (jti, user_id, sid, created_at, expires_at)
             values ('t1', 1, 's1', 0, 9000000000000000)",
        )
        .execute(db.writes())
        .await
        .unwrap();
        let now = Timestamp::from_secs(100);
        let queue = db.rotations.clone();
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

    #[tokio::test]
    async fn the_wal_is_checkpointed_into_the_database_file_while_serving() {
        let (db, keep) = one_session(false).await;
        let Keep::Dir(dir) = &keep else {
            unreachable!("a SQLite file")
        };
        let now = Timestamp::from_secs(100);
        let mut old = "t0".to_owned();
        for i in 0..20 {
            let jti = format!("c{i}");
            assert!(tokens::rotate(&db, &old, &next(&jti), now).await.unwrap());
            old = jti;
        }
        // The database file alone, without its WAL: what a checkpoint
        // has copied there.
        let file = format!("sqlite://{}/app.db?immutable=true", dir.path().display());
        let started = std::time::Instant::now();
        loop {
            let mut alone = <sqlx::AnyConnection as sqlx::Connection>::connect(&file)
                .await
                .unwrap();
            // Before the first checkpoint even the tables are not there.
            let found: Option<(String,)> =
                sqlx::query_as("select jti from refresh_tokens where jti = 'c19'")
                    .fetch_optional(&mut alone)
                    .await
                    .ok()
                    .flatten();
            if found.is_some() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the last rotation is still only in the WAL"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_a_steady_stream_of_rotations_the_wal_starts_over() {
        let (db, keep) = one_session(false).await;
        let Keep::Dir(dir) = &keep else {
            unreachable!("a SQLite file")
        };
        let wal = dir.path().join("app.db-wal");
        let started = std::time::Instant::now();
        let chains: Vec<_> = (0..16)
            .map(|chain| {
                let db = db.clone();
                tokio::spawn(async move {
                    let now = Timestamp::from_secs(100);
                    let first = format!("w{chain}-0");
                    let row = NewRefreshToken {
                        jti: &first,
                        ..next("")
                    };
                    tokens::insert(db.writes(), &row).await.unwrap();
                    let mut old = first;
                    let mut n = 0;
                    while started.elapsed() < Duration::from_secs(4) {
                        n += 1;
                        let jti = format!("w{chain}-{n}");
                        assert!(tokens::rotate(&db, &old, &next(&jti), now).await.unwrap());
                        old = jti;
                    }
                    n
                })
            })
            .collect();
        // The WAL's largest size in the first two seconds, and in the last
        // two: a WAL that starts over stays about the size of one second of
        // writes (within 20% here); one that never does grows all along,
        // to twice its size at two seconds (330 MB in these four).
        let (mut first, mut last) = (0, 0);
        while started.elapsed() < Duration::from_secs(4) {
            let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
            if started.elapsed() < Duration::from_secs(2) {
                first = first.max(size);
            } else {
                last = last.max(size);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut rotations = 0;
        for chain in chains {
            rotations += chain.await.unwrap();
        }
        assert!(rotations > 1000, "{rotations} rotations");
        assert!(
            last < first + first / 2,
            "the WAL grew from {} KiB to {} KiB over {rotations} rotations",
            first / 1024,
            last / 1024
        );
    }

    #[tokio::test]
    async fn a_rotation_whose_caller_gave_up_is_not_made() {
        use futures::FutureExt as _;
        let (db, _keep) = one_session(false).await;
        let queue = db.rotations.clone();
        let now = Timestamp::from_secs(100);
        let (gave_up, retried) = (next("n1"), next("n2"));
        // Queued, then dropped before the task took it: a request that timed out.
        assert_eq!(queue.rotate("t0", &gave_up, now).now_or_never(), None);
        assert_eq!(queue.rotate("t0", &retried, now).await, Some(true));
        assert_eq!(
            tokens::state(&db.pool, "n1").await.unwrap(),
            TokenState::Unknown
        );
    }

    #[tokio::test]
    async fn a_batch_stuck_behind_a_lock_holds_up_only_its_own_rotations() {
        let (db, _keep) = one_session(true).await;
        for sql in [
            "insert into users (username, password_hash, date_joined) values ('v', 'x', 0)",
            "insert into sessions (sid, user_id, username, auth_time, created_at, last_used_at)
             values ('s2', 2, 'v', 0, 0, 0)",
            "insert into refresh_tokens (jti, user_id, sid, created_at, expires_at)
             values ('v0', 2, 's2', 0, 9000000000000000)",
        ] {
            sqlx::query(sql).execute(db.writes()).await.unwrap();
        }
        // Someone holds user 1's row (an operator's open transaction, say).
        let mut holder = db.pool.begin().await.unwrap();
        sqlx::query("select id from users where id = 1 for update")
            .execute(&mut *holder)
            .await
            .unwrap();
        let queue = db.rotations.clone();
        let stuck = {
            let queue = queue.clone();
            tokio::spawn(async move {
                let row = next("n1");
                queue.rotate("t0", &row, Timestamp::from_secs(100)).await
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let other = NewRefreshToken {
            user_id: 2,
            sid: "s2",
            ..next("v1")
        };
        let started = std::time::Instant::now();
        let answer = tokio::time::timeout(
            Duration::from_secs(15),
            queue.rotate("v0", &other, Timestamp::from_secs(100)),
        )
        .await
        .expect("user 2's rotation waits for user 1's lock for ever");
        assert_eq!(answer, Some(true));
        assert!(started.elapsed() < COMMIT_LIMIT + Duration::from_secs(3));
        // The stuck batch was given up: its caller decides alone.
        assert_eq!(stuck.await.unwrap(), None);
        holder.rollback().await.unwrap();
    }
}
