//! The database: one pool for SQLite or PostgreSQL, and one module of SQL
//! per table. Queries are runtime queries written in the dialect both
//! databases share (`$N` placeholders, `returning`), so the same code serves
//! both; only the DDL differs (`migrations/sqlite`, `migrations/postgres`).

pub mod notes;
mod rotation_batches;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use sqlx::Any;

/// A transaction on either database.
pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    /// SQLite: the one connection `begin_write` transactions run on (see
    /// there); PostgreSQL: `pool` itself.
    writer: AnyPool,
    /// Rotations committed many at once (`rotation_batches`).
    rotations: rotation_batches::RotationQueue,
    sqlite: bool,
}

impl Db {
    /// Connect (creating a SQLite file and its directory if missing) and run
    /// the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let url = if sqlite {
            sqlite_url(url)?
        } else {
            url.to_owned()
        };
        let open = |max: u32, role: Role| {
            let url = url.clone();
            async move {
                pool_options(sqlite, max, role)
                    .connect(&url)
                    .await
                    .with_context(|| "cannot open the database of DATABASE_URL".to_owned())
            }
        };
        // On SQLite the writer comes first: it migrates, and the readers
        // refuse to write.
        let (pool, writer) = if sqlite {
            let writer = open(1, Role::Writer).await?;
            migrate(sqlite, &writer).await?;
            (open(8, Role::Reader).await?, writer)
        } else {
            let pool = open(16, Role::Reader).await?;
            migrate(sqlite, &pool).await?;
            (pool.clone(), pool)
        };
        let rotations =
            rotation_batches::RotationQueue::start(writer.clone(), pool.clone(), sqlite);
        Ok(Db {
            pool,
            writer,
            rotations,
            sqlite,
        })
    }

    /// Where a write statement outside a `begin_write` transaction runs:
    /// SQLite's writer connection (see `begin_write`; its readers refuse
    /// writes, so that none waits for the write lock in `busy_timeout`'s
    /// sleeps), PostgreSQL's pool.
    pub fn writes(&self) -> &AnyPool {
        &self.writer
    }

    /// A transaction that will write. On SQLite it takes the write lock at
    /// once (`begin immediate`): a transaction that reads first and writes
    /// later fails with "database is locked" if another writer committed in
    /// between, where one that starts as a writer just waits its turn.
    ///
    /// SQLite has one write lock, so these transactions run on one
    /// connection of their own and wait for it in the pool's queue, first
    /// come first served. Eight connections taking turns through
    /// `busy_timeout` instead sleep while they wait (1 to 100 ms at a time,
    /// however soon the lock is free): measured, most of a rotation's time
    /// under load, and its p99. Other instances on the same file still
    /// queue through `busy_timeout`. Never wait for a second `begin_write`
    /// while holding one: it would wait for itself.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        if self.sqlite {
            self.writer.begin_with("begin immediate").await
        } else {
            self.writer.begin().await
        }
    }

    /// `for share` on PostgreSQL, where a row must be locked against a
    /// concurrent update; nothing on SQLite, where `begin_write` already
    /// holds the database's write lock (and the clause does not exist).
    pub fn share_lock(&self) -> &'static str {
        if self.sqlite { "" } else { " for share" }
    }

    /// Serialises, until `tx` ends, the transactions that lock the same
    /// `key` (an email about to be claimed, say), where no unique index
    /// can: an advisory lock on PostgreSQL; on SQLite a `begin_write`
    /// transaction already holds the database's one write lock.
    pub async fn lock_key(&self, tx: &mut Tx, key: &str) -> Result<(), sqlx::Error> {
        if !self.sqlite {
            sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(key)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Whether this is PostgreSQL, for the few statements whose dialects
    /// differ beyond what `share_lock` covers.
    pub fn is_postgres(&self) -> bool {
        !self.sqlite
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("select 1").execute(&self.pool).await.is_ok()
    }
}

async fn migrate(sqlite: bool, pool: &AnyPool) -> anyhow::Result<()> {
    let migrator = if sqlite {
        sqlx::migrate!("./migrations/sqlite")
    } else {
        sqlx::migrate!("./migrations/postgres")
    };
    migrator
        .run(pool)
        .await
        .context("cannot migrate the database")
}

/// What a SQLite pool's connections are for.
#[derive(Clone, Copy)]
enum Role {
    /// The one connection that writes.
    Writer,
    /// Connections that only read, beside it.
    Reader,
}

/// The pool settings both pools share, with `max` connections.
fn pool_options(sqlite: bool, max: u32, role: Role) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        // By default sqlx pings each connection it takes from the pool: a
        // round trip (to PostgreSQL, or to SQLite's worker thread) before
        // each request's first statement. It pings each one it takes back
        // too, after the request, and drops those that broke; one that
        // breaks while idle fails its next statement instead.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if sqlite {
                    // WAL lets readers run beside the one writer; the busy
                    // timeout makes concurrent writers (other instances)
                    // queue instead of failing with "database is locked".
                    conn.execute("pragma journal_mode = wal").await?;
                    conn.execute("pragma busy_timeout = 10000").await?;
                    conn.execute("pragma foreign_keys = on").await?;
                    conn.execute("pragma synchronous = normal").await?;
                    match role {
                        Role::Writer => {
                            // Checkpoints run beside it (`rotation_batches`);
                            // when the WAL starts over, a file grown past
                            // 64 MiB by a burst is cut back.
                            conn.execute("pragma wal_autocheckpoint = 0").await?;
                            conn.execute("pragma journal_size_limit = 67108864").await?;
                        }
                        Role::Reader => {
                            // 1 MiB of page cache per reader instead of 2:
                            // eight of them filled 16 MiB as the tables
                            // grew, which the kernel's page cache holds
                            // anyway.
                            conn.execute("pragma cache_size = -1024").await?;
                            // A write here would wait for the writer's lock
                            // in `busy_timeout`'s sleeps (1 to 100 ms however
                            // soon it is free): it fails instead, in every
                            // test, and goes to `Db::writes`.
                            conn.execute("pragma query_only = true").await?;
                        }
                    }
                }
                Ok(())
            })
        })
}

/// Deletes what no longer decides anything: refresh tokens past their
/// expiry, and throttle windows that started more than `window` (the
/// longest a bucket counts) before `now`. The server does this now and then;
/// `backend flush-expired-tokens` does it on demand. Returns the tokens and
/// the windows deleted.
pub async fn flush_expired(
    db: &Db,
    now: crate::clock::Timestamp,
    window: std::time::Duration,
) -> Result<(u64, u64), sqlx::Error> {
    let tokens = tokens::delete_expired(db.writes(), now).await?;
    sessions::delete_empty(db.writes()).await?;
    let windows = throttle::delete_before(db.writes(), now - window).await?;
    Ok((tokens, windows))
}

/// Adds `mode=rwc` so that a missing file is created, and creates its
/// directory and the file itself, readable by the owner only (API.md
/// "Files": they hold the password hashes). SQLite gives the `-wal` and
/// `-shm` files the database file's mode, so they follow.
fn sqlite_url(url: &str) -> anyhow::Result<String> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(url.to_owned());
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        create_private_dir(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    // Only where SQLite itself would create it (`mode=rwc`, ours by default).
    if !url.contains("mode=") || url.contains("mode=rwc") {
        create_private_file(Path::new(path))
            .with_context(|| format!("cannot create the database file {path}"))?;
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// Creates `dir` and its missing parents with mode 0700; an existing
/// directory is left as it is. The mode is given at creation, so no moment
/// exists when the directory is open to others, whatever the umask.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates an empty file with mode 0600 unless it exists, before SQLite
/// would create it with 0644.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_utc_with_microseconds() {
        assert_eq!(
            crate::clock::Timestamp::from_micros(1_795_342_530_123_456).iso8601(),
            "2026-11-22T10:15:30.123456Z"
        );
    }

    #[tokio::test]
    async fn a_new_sqlite_database_is_created_migrated_and_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/new/app.db", dir.path().display()))
            .await
            .unwrap();
        let (mode,): (String,) = sqlx::query_as("pragma journal_mode")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let (users,): (i64,) = sqlx::query_as("select count(*) from users")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(users, 0);
        assert!(db.ping().await);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_its_wal_and_shm_and_its_directory_are_the_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let db = Db::connect(&format!("sqlite://{}/app.db", data.display()))
            .await
            .unwrap();
        // A write, so that SQLite has both the -wal and the -shm open.
        sqlx::query("pragma user_version = 1")
            .execute(db.writes())
            .await
            .unwrap();
        let mode = |name: &str| {
            std::fs::metadata(data.join(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(format!("{:o}", mode("")), "700", "the data directory");
        for file in ["app.db", "app.db-wal", "app.db-shm"] {
            assert_eq!(format!("{:o}", mode(file)), "600", "{file}");
        }
    }

    #[test]
    fn sqlite_urls_create_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/app.db", dir.path().display());
        assert!(sqlite_url(&url).unwrap().ends_with("app.db?mode=rwc"));
        assert!(dir.path().join("sub").is_dir());
    }
}
