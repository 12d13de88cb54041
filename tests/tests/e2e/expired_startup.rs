//! Issue 9 item 15: a stored session whose refresh token has expired ends
//! as soon as the server refuses the start-up refresh: the login page (with
//! the session-expired message and `next`) follows the refusal at once, not
//! after a second and a half of "Loading…".
//!
//! Both moments are read from the page's own clock: when the refusal reached
//! the app, and when the login form first showed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, ensure};
use base64::Engine;
use e2e::harness::with_access_ttl;
use e2e::network::{self, REFRESH};
use e2e::{Journey, TestUser, action, check, find};
use shared::RefreshClaims;

const EXPIRED: &str = "Your session has expired. Please log in again.";
const LOGIN_FORM: &str = "input[name=password]";
/// Well under the 1.5 s that waiting for another tab's pair would take.
const PROMPTLY_MS: f64 = 500.0;

fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(since.as_secs()).expect("a sane clock")
}

fn refresh_exp(token: &str) -> anyhow::Result<i64> {
    let payload = token.split('.').nth(1).context("a JWT has three parts")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?;
    Ok(serde_json::from_slice::<RefreshClaims>(&bytes)?.exp)
}

#[tokio::test]
async fn an_expired_stored_session_goes_to_the_login_page_as_soon_as_it_is_refused() {
    let journey = Journey::start_with(|s| {
        with_access_ttl(s, 1);
        s.tokens.refresh_ttl = Duration::from_secs(2);
    })
    .await
    .expect("journey starts");
    journey
        .run("expired_startup", async |j| {
            let user = TestUser::new("sven");
            j.create_user(&user).await?;
            let client = &j.client;

            // A pair left from an earlier visit, its refresh token expired.
            let pair = j.tokens_for(&user).await?;
            let exp = refresh_exp(&pair.refresh)?;
            check::until(
                "the refresh token to expire",
                Duration::from_secs(6),
                async || Ok(now() > exp),
            )
            .await?;
            action::open(j, "/login").await?;
            check::sees(client, &find::input("password")).await?;
            action::store_tokens(client, &pair).await?;
            network::watch_every_page(client, &[], &[LOGIN_FORM]).await?;

            action::open(j, "/profile").await?;
            check::on_login_page_at(client, "/login?next=%2Fprofile&expired=1").await?;
            check::sees(client, &find::text(EXPIRED)).await?;
            check::does_not_see(client, &find::any_greeting()).await?;

            let refused = network::answered_at(client, &format!("{REFRESH} 401"))
                .await?
                .context("the start-up refresh was not refused")?;
            let shown = network::seen_at(client, LOGIN_FORM)
                .await?
                .context("the login form never showed")?;
            ensure!(
                shown >= refused && shown - refused < PROMPTLY_MS,
                "the login form showed {} ms after the refusal",
                shown - refused
            );
            ensure!(
                action::stored_tokens(client).await?.is_none(),
                "the expired pair is still stored"
            );
            Ok(())
        })
        .await;
}
