//! What a user notices. Every check waits for the page to settle (up to a
//! timeout) by polling the page, never by sleeping a fixed time.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::Client;
use fantoccini::elements::Element;

use crate::find::{self, Target};

/// How long a page may take to show what is expected.
pub const PATIENCE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);

/// Waits for `target` to be on the page.
pub async fn sees(client: &Client, target: &Target) -> Result<Element> {
    client
        .wait()
        .at_most(PATIENCE)
        .every(POLL)
        .for_element(target.locator())
        .await
        .with_context(|| format!("expected to see {}", target.what))
}

/// `target` is not on the page now.
pub async fn does_not_see(client: &Client, target: &Target) -> Result<()> {
    let found = client.find_all(target.locator()).await?;
    if !found.is_empty() {
        let text = found[0].text().await.unwrap_or_default();
        bail!("expected not to see {} (found `{text}`)", target.what);
    }
    Ok(())
}

/// Waits for `target` to leave the page.
pub async fn no_longer_sees(client: &Client, target: &Target) -> Result<()> {
    until(
        &format!("{} to go away", target.what),
        PATIENCE,
        async || Ok(client.find_all(target.locator()).await?.is_empty()),
    )
    .await
}

/// Polls `ready` until it says true, for at most `timeout`.
pub async fn until(
    what: &str,
    timeout: Duration,
    mut ready: impl AsyncFnMut() -> Result<bool>,
) -> Result<()> {
    let start = Instant::now();
    loop {
        if ready().await? {
            return Ok(());
        }
        if start.elapsed() > timeout {
            bail!("waited {timeout:?} for {what}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The path and query of the page shown.
pub async fn current_path(client: &Client) -> Result<String> {
    let url = client.current_url().await?;
    Ok(match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    })
}

/// Waits until the address bar shows exactly `expected`: the path and the
/// query (so `/login` does not match `/login?next=%2F`).
pub async fn at(client: &Client, expected: &str) -> Result<()> {
    let mut last = String::new();
    until(&format!("the address {expected}"), PATIENCE, async || {
        last = current_path(client).await?;
        Ok(last == expected)
    })
    .await
    .with_context(|| format!("the address is {last}"))
}

/// The login form is shown at exactly `/login` (no `next`), as after a logout.
pub async fn on_login_page(client: &Client) -> Result<()> {
    on_login_page_at(client, "/login").await
}

/// The login form is shown at exactly `address`, e.g. `/login?registered=1`.
pub async fn on_login_page_at(client: &Client, address: &str) -> Result<()> {
    at(client, address).await?;
    sees(client, &find::input("password")).await?;
    sees(client, &find::submit_of("password")).await?;
    Ok(())
}

/// No `role="alert"` anywhere on the page.
pub async fn no_alerts(client: &Client) -> Result<()> {
    does_not_see(client, &find::any_alert()).await
}

/// Waits until `target` (a button) is disabled, or enabled again.
pub async fn disabled(client: &Client, target: &Target, disabled: bool) -> Result<()> {
    let state = if disabled { "disabled" } else { "enabled" };
    until(
        &format!("{} to be {state}", target.what),
        PATIENCE,
        async || {
            let element = sees(client, target).await?;
            Ok(element.is_enabled().await? != disabled)
        },
    )
    .await
}

/// Waits until the page shows exactly `n` of `target` (e.g. session rows).
pub async fn sees_exactly(client: &Client, target: &Target, n: usize) -> Result<()> {
    let mut last = 0;
    until(&format!("{n} of {}", target.what), PATIENCE, async || {
        last = client.find_all(target.locator()).await?.len();
        Ok(last == n)
    })
    .await
    .with_context(|| format!("{last} of {} shown", target.what))
}

/// Logging in as `username` with `password` is refused with the one error
/// the API gives for every wrong login.
pub async fn cannot_log_in(client: &Client, username: &str, password: &str) -> Result<()> {
    crate::action::log_in(client, username, password).await?;
    sees(
        client,
        &find::alert("No active account found with the given credentials"),
    )
    .await?;
    Ok(())
}

/// The server refuses `refresh`: its session is over.
pub async fn refresh_refused(journey: &crate::Journey, refresh: &str) -> Result<()> {
    let answer = journey
        .http
        .post(journey.url("/api/token/refresh/"))
        .json(&serde_json::json!({ "refresh": refresh }))
        .send()
        .await?;
    anyhow::ensure!(
        answer.status() == 401,
        "the refresh was answered {}",
        answer.status()
    );
    Ok(())
}
