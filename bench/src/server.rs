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
            // The timing comparison makes hundreds of failed logins on purpose.
            .env("LOGIN_MAX_FAILURES", "1000000")
            .env("LOGIN_MAX_FAILURES_PER_ADDRESS", "1000000")
            // The load generator is one address registering many users.
            .env("REGISTER_MAX_PER_ADDRESS", "1000000")
            .echo_stderr();
        if let Some(pg) = &pg {
            command = command.database_url(pg.url());
        }
        Ok(Server {
            process: command.start().await?,
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
