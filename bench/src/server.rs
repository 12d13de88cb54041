//! The backend under test: a release build started as its own process on a
//! fresh database, so that the load generator never shares its runtime.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::{Connection, Executor, PgConnection};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    pub fn name(self) -> &'static str {
        match self {
            Database::Sqlite => "SQLite",
            Database::Postgres => "PostgreSQL",
        }
    }
}

pub struct Server {
    pub url: String,
    child: Child,
    pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start(
        binary: &Path,
        database: Database,
        postgres_url: &str,
    ) -> anyhow::Result<Server> {
        let dir = tempfile::tempdir()?;
        let (database_url, pg) = match database {
            Database::Sqlite => (format!("sqlite://{}/bench.db", dir.path().display()), None),
            Database::Postgres => {
                let name = format!("bench_{}", std::process::id());
                let mut admin = PgConnection::connect(postgres_url)
                    .await
                    .with_context(|| format!("PostgreSQL is not reachable at {postgres_url}"))?;
                admin
                    .execute(format!(r#"drop database if exists "{name}" with (force)"#).as_str())
                    .await?;
                admin
                    .execute(format!(r#"create database "{name}""#).as_str())
                    .await?;
                let base = postgres_url
                    .rsplit_once('/')
                    .map(|(s, _)| s)
                    .unwrap_or(postgres_url);
                (
                    format!("{base}/{name}"),
                    Some((postgres_url.to_owned(), name)),
                )
            }
        };
        let mut child = Command::new(binary)
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("BIND", "127.0.0.1:0")
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET_FILE", dir.path().join("jwt-secret"))
            .env("ACCESS_TTL_SECS", "3600")
            // The timing comparison makes hundreds of failed logins on purpose.
            .env("LOGIN_MAX_FAILURES", "1000000")
            .env("LOGIN_MAX_FAILURES_PER_ADDRESS", "1000000")
            // The load generator is one address registering many users.
            .env("REGISTER_MAX_PER_ADDRESS", "1000000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let first = tokio::time::timeout(
            Duration::from_secs(60),
            BufReader::new(stdout).lines().next_line(),
        )
        .await
        .context("the backend did not start within 60 s")??
        .context("the backend exited")?;
        let Some(url) = first.strip_prefix("listening on ") else {
            bail!("unexpected first line: {first}");
        };
        Ok(Server {
            url: url.to_owned(),
            child,
            pg,
            _dir: dir,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// Peak and current resident memory of the backend, in KiB.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(PathBuf::from(format!("/proc/{pid}/status"))).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        };
        Some((field("VmHWM:")?, field("VmRSS:")?))
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await.ok();
        if let Some((admin_url, name)) = self.pg.take() {
            let mut admin = PgConnection::connect(&admin_url).await?;
            admin
                .execute(format!(r#"drop database if exists "{name}" with (force)"#).as_str())
                .await?;
        }
        Ok(())
    }
}
