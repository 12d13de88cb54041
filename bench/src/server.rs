//! The backend under test: a release build started as its own process on a
//! fresh database, so that the load generator never shares its runtime.

use std::path::{Path, PathBuf};

use testkit::{ApiClient, PgDatabase, ServerProcess};

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
    process: ServerProcess,
    database_url: String,
    _pg: Option<PgDatabase>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start(
        binary: &Path,
        database: Database,
        postgres_url: &str,
    ) -> anyhow::Result<Server> {
        let dir = tempfile::tempdir()?;
        let pg = match database {
            Database::Sqlite => None,
            Database::Postgres => Some(PgDatabase::create_on(postgres_url, "bench").await?),
        };
        let mut command = ServerProcess::command(binary, dir.path())
            .env("ACCESS_TTL_SECS", "3600")
            // The flood scenario gives its clients addresses of their own.
            .env("TRUSTED_PROXIES", "127.0.0.1")
            // The timing comparison makes hundreds of failed logins on purpose.
            .env("LOGIN_MAX_FAILURES", "1000000")
            .env("LOGIN_MAX_FAILURES_PER_ADDRESS", "1000000")
            // The load generator is one address registering many users.
            .env("REGISTER_MAX_PER_ADDRESS", "1000000")
            .echo_stderr();
        let database_url = match &pg {
            Some(pg) => pg.url().to_owned(),
            None => testkit::sqlite_url(dir.path()),
        };
        command = command.database_url(&database_url);
        Ok(Server {
            process: command.start().await?,
            database_url,
            _pg: pg,
            _dir: dir,
        })
    }

    /// A client whose pool keeps `connections` connections open.
    pub fn api(&self, connections: usize) -> anyhow::Result<ApiClient> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .build()?;
        Ok(ApiClient::with_client(&self.process.url, http))
    }

    /// The backend's database, for a second client of it.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    pub fn pid(&self) -> u32 {
        self.process.pid().unwrap_or(0)
    }

    /// Peak and current resident memory of the backend, in KiB.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        let pid = self.process.pid()?;
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

    /// Stops the backend; its database goes with this.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.process.stop().await
    }
}
