//! `backend serve` as a process of its own: for tests where a process
//! matters (signals, crashes, several instances, the command line) and for
//! the bench, whose load generator must not share the server's runtime.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::ApiClient;

/// How long the server may take to say where it listens, or to print its
/// next line.
const PATIENCE: Duration = Duration::from_secs(60);

/// The SQLite database a server in `dir` uses unless told otherwise.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("app.db").display())
}

/// `backend serve` about to start: in `dir`, with nothing in its
/// environment but `BIND=127.0.0.1:0`, `DATABASE_URL` (SQLite in `dir`),
/// `JWT_SECRET_FILE` (in `dir`), `RUST_LOG=warn` and what is added here.
pub struct ServeCommand {
    command: Command,
    echo_stderr: bool,
}

impl ServeCommand {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.command.args(args);
        self
    }

    /// Sets (or overrides) one environment variable.
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    pub fn envs<K: AsRef<OsStr>, V: AsRef<OsStr>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.command.envs(vars);
        self
    }

    /// Leaves a variable unset (the server's own default applies).
    pub fn env_remove(mut self, name: impl AsRef<OsStr>) -> Self {
        self.command.env_remove(name);
        self
    }

    pub fn database_url(self, url: &str) -> Self {
        self.env("DATABASE_URL", url)
    }

    /// Also writes the server's stderr to ours as it comes (the bench shows
    /// the server's warnings); it is kept for [`ServerProcess::stderr`] either way.
    pub fn echo_stderr(mut self) -> Self {
        self.echo_stderr = true;
        self
    }

    /// Starts the server and waits for its first line, `listening on <url>`.
    pub async fn start(mut self) -> anyhow::Result<ServerProcess> {
        let program = self.command.as_std().get_program().to_owned();
        let mut child = self
            .command
            .spawn()
            .with_context(|| format!("cannot start {}", Path::new(&program).display()))?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_lines = BufReader::new(child.stderr.take().context("no stderr")?).lines();
        let (log, echo) = (stderr.clone(), self.echo_stderr);
        tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                if echo {
                    eprintln!("{line}");
                }
                let mut log = log.lock().expect("lock");
                log.push_str(&line);
                log.push('\n');
            }
        });
        // Read stdout to the end, so that the server never blocks (or
        // fails) writing to a full or closed pipe.
        let (tx, lines) = mpsc::unbounded_channel();
        let mut out_lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out_lines.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = ServerProcess {
            url: String::new(),
            child,
            lines,
            stderr,
        };
        let first = server.next_line().await?;
        let Some(url) = first.strip_prefix("listening on ") else {
            bail!("the first line is {first:?}, not the address");
        };
        server.url = url.to_owned();
        Ok(server)
    }
}

/// A running `backend serve`, killed when dropped.
pub struct ServerProcess {
    /// `http://127.0.0.1:<port>`, from its first line.
    pub url: String,
    pub child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl ServerProcess {
    /// `binary serve` (the test's `env!("CARGO_BIN_EXE_backend")`, or the
    /// bench's release build) with its files in `dir`.
    pub fn command(binary: impl Into<PathBuf>, dir: &Path) -> ServeCommand {
        let mut command = Command::new(binary.into());
        command
            .arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("BIND", "127.0.0.1:0")
            .env("DATABASE_URL", sqlite_url(dir))
            .env("JWT_SECRET_FILE", dir.join("jwt-secret"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        ServeCommand {
            command,
            echo_stderr: false,
        }
    }

    /// A client of this server.
    pub fn api(&self) -> ApiClient {
        ApiClient::new(&self.url)
    }

    /// The next line the server prints on stdout after its address.
    pub async fn next_line(&mut self) -> anyhow::Result<String> {
        match tokio::time::timeout(PATIENCE, self.lines.recv()).await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => bail!("the server ended; stderr:\n{}", self.stderr()),
            Err(_) => bail!(
                "the server printed nothing for {PATIENCE:?}; stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Sends `signal` (as `kill` spells it: `-TERM`, `-KILL`).
    pub fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let pid = self.pid().context("the server is not running")?.to_string();
        let status = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .context("run kill")?;
        anyhow::ensure!(status.success(), "kill {signal} {pid}: {status}");
        Ok(())
    }

    /// Waits for the server to end by itself, for at most `limit`.
    pub async fn wait(&mut self, limit: Duration) -> anyhow::Result<ExitStatus> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .with_context(|| format!("the server did not stop within {limit:?}"))?
            .context("wait for the server")
    }

    /// SIGKILL: no chance to finish anything.
    pub async fn crash(mut self) -> anyhow::Result<()> {
        self.signal("-KILL")?;
        self.child.wait().await.context("the process ends")?;
        Ok(())
    }

    /// Kills the server and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await.context("kill the server")
    }
}
