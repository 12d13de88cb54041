//! The backend as a separate process, for tests where a process matters:
//! signals, crashes, several instances on one database.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `backend serve`, killed when dropped.
pub struct ServerProcess {
    pub url: String,
    pub child: Child,
}

impl ServerProcess {
    /// Starts `backend serve` on port 0 with `database_url`, keeping its
    /// files (the signing secret) in `dir`, plus any `env`.
    pub async fn start(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backend"))
            .arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("BIND", "127.0.0.1:0")
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET_FILE", dir.join("jwt-secret"))
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the backend starts");
        let stdout = child.stdout.take().expect("stdout");
        let first = tokio::time::timeout(
            Duration::from_secs(60),
            BufReader::new(stdout).lines().next_line(),
        )
        .await
        .expect("the backend prints its address within 60 s")
        .expect("read stdout")
        .expect("the backend printed a line before exiting");
        let url = first
            .strip_prefix("listening on ")
            .expect("the first line names the address")
            .to_owned();
        ServerProcess { url, child }
    }

    /// The SQLite database of `dir`.
    pub fn sqlite_url(dir: &Path) -> String {
        format!("sqlite://{}", dir.join("app.db").display())
    }

    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// SIGKILL: no chance to finish anything.
    pub async fn crash(mut self) {
        self.signal("-KILL");
        self.child.wait().await.expect("the process ends");
    }
}
