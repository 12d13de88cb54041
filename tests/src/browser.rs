//! A headless Chromium: Debian's chromedriver on a free port, and a
//! fantoccini client with a temporary profile of its own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;

use crate::harness::free_port;

/// A browser besides the journey's own (see `Journey::another_browser`).
/// Dropping it stops its chromedriver and every Chromium it started.
pub struct Browser {
    pub client: Client,
    pub(crate) _driver: ChromeDriver,
}

impl Browser {
    /// Opens `path` of the journey's app (`base` is `Journey::base`).
    pub async fn open(&self, base: &str, path: &str) -> Result<()> {
        self.client
            .goto(&format!("{base}{path}"))
            .await
            .with_context(|| format!("opening {path} in the other browser"))
    }
}

/// Debian's chromedriver in a process group of its own, so that dropping it
/// kills the driver and every Chromium process it started.
pub(crate) struct ChromeDriver {
    child: Child,
    port: u16,
    _profile: TempDir,
}

impl ChromeDriver {
    pub(crate) fn start() -> Result<Self> {
        use std::os::unix::process::CommandExt;

        let port = free_port()?;
        let mut child = Command::new(
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
        )
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("starting chromedriver (install it with scripts/tools.sh)")?;
        // chromedriver says when it listens: wait for that line, not a delay.
        let stdout = child.stdout.take().context("chromedriver stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.contains("started successfully"));
        if !ready {
            let _ = child.kill();
            bail!("chromedriver exited before it was ready");
        }
        // Keep draining its output so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self {
            child,
            port,
            _profile: TempDir::new()?,
        })
    }

    pub(crate) async fn connect(&self) -> Result<Client> {
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--window-size=1024,768".to_owned(),
            format!("--user-data-dir={}", self._profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": args,
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("connecting to chromedriver")?;
        Ok(client)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}
