//! MailDev, a real SMTP server, for the tests of the mail the backend sends
//! (API.md Part 2, "The account lifecycle by email"): started once per test
//! run on free ports (`scripts/tools.sh` installs it into
//! `.tools/maildev`), read through its REST API. Tests share it and tell
//! their mail apart by recipient.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

/// One message as MailDev 3's `GET /api/email` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    pub subject: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub html: String,
    pub to: Vec<Address>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Address {
    pub address: String,
}

impl Received {
    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with(prefix))
            .map(str::to_owned)
    }
}

/// The running MailDev of this test process.
pub struct MailDev {
    pub smtp_port: u16,
    pub web_port: u16,
    /// Held open: the shell that runs MailDev kills it when this closes,
    /// which the operating system does when the test process exits.
    keep_alive: Mutex<(Child, ChildStdin)>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn maildev_bin() -> PathBuf {
    std::env::var_os("MAILDEV_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../.tools/maildev/node_modules/.bin/maildev")
        })
}

static SHARED: OnceLock<Result<MailDev, String>> = OnceLock::new();

impl MailDev {
    /// The test run's MailDev, started on first use.
    pub fn shared() -> &'static MailDev {
        match SHARED.get_or_init(|| MailDev::start().map_err(|e| format!("{e:#}"))) {
            Ok(maildev) => maildev,
            Err(e) => panic!("MailDev does not start (run scripts/tools.sh): {e}"),
        }
    }

    fn start() -> anyhow::Result<MailDev> {
        let bin = maildev_bin();
        if !bin.exists() {
            bail!("{} is missing", bin.display());
        }
        let (smtp_port, web_port) = (free_port()?, free_port()?);
        // `read` returns when our end of its stdin closes (this process
        // exited, however), and then MailDev is stopped with it.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" "$@" & server=$!; read _; kill $server"#)
            .arg(&bin)
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"])
            .args([
                "--smtp",
                &smtp_port.to_string(),
                "--web",
                &web_port.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdin = child.stdin.take().context("MailDev's stdin")?;
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", smtp_port)).is_err()
            || TcpStream::connect(("127.0.0.1", web_port)).is_err()
        {
            if started.elapsed() > Duration::from_secs(60) {
                bail!("MailDev did not listen within 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(MailDev {
            smtp_port,
            web_port,
            keep_alive: Mutex::new((child, stdin)),
        })
    }

    /// The `EMAIL_URL` that sends to it.
    pub fn email_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.smtp_port)
    }

    /// Every message it has received.
    pub async fn messages(&self) -> anyhow::Result<Vec<Received>> {
        let url = format!("http://127.0.0.1:{}/api/email", self.web_port);
        let response = reqwest::get(&url).await.context("MailDev's REST API")?;
        Ok(response.error_for_status()?.json().await?)
    }

    /// The messages to `address` (ignoring case).
    pub async fn messages_to(&self, address: &str) -> anyhow::Result<Vec<Received>> {
        let all = self.messages().await?;
        Ok(all
            .into_iter()
            .filter(|m| m.to.iter().any(|a| a.address.eq_ignore_ascii_case(address)))
            .collect())
    }

    /// Waits until `address` has received `count` messages (within 30 s),
    /// and returns them, oldest first.
    pub async fn wait_for(&self, address: &str, count: usize) -> anyhow::Result<Vec<Received>> {
        let started = Instant::now();
        loop {
            let received = self.messages_to(address).await?;
            if received.len() >= count {
                return Ok(received);
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!(
                    "{address} received {} messages, not {count}",
                    received.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for MailDev {
    fn drop(&mut self) {
        if let Ok(mut held) = self.keep_alive.lock() {
            let _ = held.1.write_all(b"\n");
        }
    }
}
