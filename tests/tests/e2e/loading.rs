//! UI.md "Loading": while the app checks the stored tokens at start-up, a
//! private page shows a short loading state, never the login page.
//!
//! The stored access token has expired, so the start-up check must refresh
//! before it knows who is there; the refresh is held until the test has seen
//! the loading state, and the page remembers whether the login form or a
//! `/login` address ever showed, even between two polls.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::ensure;
use e2e::harness::with_access_ttl;
use e2e::network::{self, REFRESH};
use e2e::{Journey, TestUser, action, check, find};

const LOGIN_FORM: &str = "input[name=password]";

fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(since.as_secs()).expect("a sane clock")
}

#[tokio::test]
async fn a_private_page_shows_a_loading_state_while_the_stored_session_is_checked() {
    let journey = Journey::start_with(|s| with_access_ttl(s, 3))
        .await
        .expect("journey starts");
    journey
        .run("loading", async |j| {
            let user = TestUser::new("lena");
            j.create_user(&user).await?;
            let client = &j.client;

            // A pair left from an earlier visit: the access token has expired,
            // the refresh token is still good.
            let pair = j.tokens_for(&user).await?;
            let exp = action::access_claims(&pair.access)?.exp;
            check::until(
                "the access token to expire",
                Duration::from_secs(6),
                async || Ok(now() > exp),
            )
            .await?;
            action::open(j, "/login").await?;
            check::sees(client, &find::input("password")).await?;
            action::store_tokens(client, &pair).await?;
            network::watch_every_page(client, &[REFRESH], &[LOGIN_FORM]).await?;

            action::open(j, "/profile").await?;
            network::until_held(client, REFRESH, 1).await?;
            check::sees(client, &find::loading()).await?;
            check::at(client, "/profile").await?;
            check::does_not_see(client, &find::input("password")).await?;
            check::does_not_see(client, &find::header_link("Login")).await?;
            check::does_not_see(client, &find::any_greeting()).await?;

            network::release(client, REFRESH).await?;
            check::sees(client, &find::greeting("lena")).await?;
            check::sees(client, &find::input("first_name")).await?;
            check::at(client, "/profile").await?;
            check::no_alerts(client).await?;

            ensure!(
                !network::ever_saw(client, LOGIN_FORM).await?,
                "the login form showed during start-up"
            );
            let addresses = network::addresses(client).await?;
            ensure!(
                addresses.iter().all(|a| a == "/profile"),
                "the address changed during start-up: {addresses:?}"
            );
            ensure!(
                network::answers(client, &format!("{REFRESH} 200")).await? >= 1,
                "the start-up check did not refresh"
            );
            let now = action::stored_tokens(client).await?.expect("logged in");
            ensure!(now.refresh != pair.refresh, "the pair was not rotated");
            Ok(())
        })
        .await;
}
