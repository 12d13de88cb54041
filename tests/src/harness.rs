//! One journey's world: the frontend built once per run, a backend on a
//! random port with a fresh SQLite file, and a headless Chromium of its own.

use std::net::TcpListener;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result};
use backend::clock::Clock;
use backend::config::{MailTransport, SmtpTls};
use backend::{App, Settings};
use fantoccini::Client;
use futures::FutureExt;
use shared::{RegisterBody, TokenPair};
use tempfile::TempDir;
use testkit::{ApiClient, MailDev};

use crate::browser::{Browser, ChromeDriver};

/// The workspace root (this crate is `tests/`).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// Where failing journeys and the page gallery leave their screenshots.
pub fn screenshot_dir() -> PathBuf {
    repo_root().join("target/e2e-screenshots")
}

/// The release build of the frontend, built once per test run with trunk
/// (`E2E_DIST=<dir>` uses an existing build instead).
pub fn frontend_dist() -> &'static Path {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        if let Some(dist) = std::env::var_os("E2E_DIST") {
            return PathBuf::from(dist);
        }
        let dist = target_dir().join("e2e-dist");
        let root = repo_root();
        let path = format!(
            "{}:{}:{}",
            root.join(".tools/binaryen/node_modules/.bin").display(),
            std::env::var("HOME")
                .map(|home| format!("{home}/.cargo/bin"))
                .unwrap_or_default(),
            std::env::var("PATH").unwrap_or_default()
        );
        let status = Command::new("trunk")
            .args(["build", "--release", "--dist"])
            .arg(&dist)
            .current_dir(root)
            .env("PATH", path)
            .env("TRUNK_SKIP_VERSION_CHECK", "true")
            .status()
            .expect("trunk runs (install it with scripts/tools.sh)");
        assert!(status.success(), "trunk build --release failed");
        dist
    })
}

/// A user that exists in the journey's database.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub username: String,
    pub password: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl TestUser {
    pub fn new(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: format!("{username}-correct-horse"),
            email: format!("{username}@example.com"),
            first_name: capitalise(username),
            last_name: "Tester".to_owned(),
        }
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Everything one journey needs. Dropping it stops the browser and the
/// backend and deletes the database.
pub struct Journey {
    pub client: Client,
    /// `http://127.0.0.1:<port>`, serving the app and `/api/`.
    pub base: String,
    /// For calls a user would not make (creating fixtures, checking tokens).
    pub api: ApiClient,
    /// The same connections as `api`, for requests it has no method for.
    pub http: reqwest::Client,
    /// The backend's clock: the system's, which a journey can move ahead
    /// (past the one-mail-a-minute limit, say) instead of waiting.
    pub clock: Clock,
    _chromedriver: ChromeDriver,
    _backend: tokio::task::JoinHandle<()>,
    _data: TempDir,
}

impl Journey {
    /// Default settings.
    pub async fn start() -> Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// The backend sends its mail to the test run's MailDev, with links to
    /// itself (`PUBLIC_URL` is its own address); read them with
    /// [`Journey::mailed_link`].
    pub async fn start_with_mail(configure: impl FnOnce(&mut Settings)) -> Result<Self> {
        let maildev = MailDev::shared();
        let port = free_port()?;
        Self::start_with(|settings| {
            settings.bind.set_port(port);
            settings.mail.public_url = format!("http://127.0.0.1:{port}");
            settings.mail.transport = MailTransport::Smtp {
                host: "127.0.0.1".to_owned(),
                port: maildev.smtp_port,
                tls: SmtpTls::None,
                credentials: None,
            };
            configure(settings);
        })
        .await
    }

    /// `configure` adjusts the backend's settings (token lifetimes).
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> Result<Self> {
        let dist = frontend_dist().to_owned();
        let data = TempDir::new()?;
        let mut settings = Settings::local(data.path());
        settings.static_dir = Some(dist);
        configure(&mut settings);
        let clock = Clock::movable();
        let app = App::build_with_clock(settings, clock.clone()).await?;
        let base = format!("http://127.0.0.1:{}", app.port());
        let backend = tokio::spawn(async move {
            if let Err(error) = app.run_until_stopped().await {
                eprintln!("backend stopped: {error:#}");
            }
        });

        let chromedriver = ChromeDriver::start()?;
        let client = chromedriver.connect().await?;
        let http = reqwest::Client::new();
        Ok(Self {
            client,
            api: ApiClient::with_client(&base, http.clone()),
            base,
            http,
            clock,
            _chromedriver: chromedriver,
            _backend: backend,
            _data: data,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The path of the link in the `n`th message (from 1) that `address`
    /// received, checked to point at this server and to start with `path`:
    /// what opening the link from the mail opens.
    pub async fn mailed_link(&self, address: &str, n: usize, path: &str) -> Result<String> {
        let received = MailDev::shared().wait_for(address, n).await?;
        let mail = &received[n - 1];
        let link = mail
            .link(&self.url(path))
            .with_context(|| format!("no link to {path} in {:?}: {}", mail.subject, mail.text))?;
        Ok(link[self.base.len()..].to_owned())
    }

    /// Creates `user` through the API, as if they had registered earlier.
    pub async fn create_user(&self, user: &TestUser) -> Result<()> {
        let body = RegisterBody {
            username: Some(user.username.clone()),
            password: Some(user.password.clone()),
            email: Some(user.email.clone()),
            first_name: Some(user.first_name.clone()),
            last_name: Some(user.last_name.clone()),
        };
        self.api
            .register(&body)
            .await
            .with_context(|| format!("creating {} failed", user.username))?;
        Ok(())
    }

    /// A fresh token pair for `user` straight from the API, as another tab
    /// (or device) that logged in would get it.
    pub async fn tokens_for(&self, user: &TestUser) -> Result<TokenPair> {
        self.api
            .login(&user.username, &user.password)
            .await
            .with_context(|| format!("logging {} in through the API failed", user.username))
    }

    /// Makes the server refuse `refresh` from now on, as a logout elsewhere
    /// or a revoked session does.
    pub async fn revoke(&self, refresh: &str) -> Result<()> {
        self.api
            .logout(refresh)
            .await
            .context("revoking a refresh token failed")
    }

    /// A second browser of its own (its own chromedriver and profile, so
    /// its own storage), as another device of the same user is.
    pub async fn another_browser(&self) -> Result<Browser> {
        let driver = ChromeDriver::start()?;
        let client = driver.connect().await?;
        Ok(Browser {
            client,
            _driver: driver,
        })
    }

    /// Runs one journey; if it fails (error or panic), saves a screenshot
    /// named after it into `target/e2e-screenshots/` before failing the test.
    pub async fn run(self, name: &str, body: impl AsyncFnOnce(&Journey) -> Result<()>) {
        let outcome = AssertUnwindSafe(body(&self)).catch_unwind().await;
        let failure = match outcome {
            Ok(Ok(())) => {
                let _ = self.client.clone().close().await;
                return;
            }
            Ok(Err(error)) => format!("{error:#}"),
            Err(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panic".to_owned()),
        };
        let shot = screenshot_dir().join(format!("{name}.png"));
        let saved = save_screenshot(&self.client, &shot).await;
        let _ = self.client.clone().close().await;
        match saved {
            Ok(()) => panic!(
                "journey {name} failed: {failure}\nscreenshot: {}",
                shot.display()
            ),
            Err(e) => panic!("journey {name} failed: {failure}\n(no screenshot: {e:#})"),
        }
    }
}

pub async fn save_screenshot(client: &Client, path: &Path) -> Result<()> {
    let png = client.screenshot().await?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, png)?;
    Ok(())
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Short lifetimes for the journeys about time passing.
pub fn with_access_ttl(settings: &mut Settings, secs: u64) {
    settings.tokens.access_ttl = Duration::from_secs(secs);
}
