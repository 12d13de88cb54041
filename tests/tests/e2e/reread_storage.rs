//! UI.md "Several tabs": before treating a refused refresh as the end of the
//! session, the app re-reads storage and adopts a newer pair that another tab
//! may have stored.
//!
//! In one tab, deterministically: the app's refresh token is revoked and its
//! access token refused, so its next request must refresh; that refresh is
//! held while a newer pair is written into `localStorage` (a write in the
//! same tab fires no `storage` event, so only a re-read can find it), then
//! let go to be refused. Without the re-read the refusal would end the
//! session: storage cleared, the login page with the session-expired message.

use anyhow::ensure;
use e2e::network::{self, REFRESH};
use e2e::{Journey, TestUser, action, check, find};

const EXPIRED: &str = "Your session has expired. Please log in again.";

#[tokio::test]
async fn a_refused_refresh_adopts_a_newer_pair_found_in_storage() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("reread_storage", async |j| {
            let user = TestUser::new("uma");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            check::sees(client, &find::text("Name: Uma Tester")).await?;
            network::watch(client).await?;

            let pair = action::stored_tokens(client).await?.expect("logged in");
            j.revoke(&pair.refresh).await?;
            let mut broken = pair.clone();
            broken.access = action::tamper(&pair.access);
            action::store_tokens(client, &broken).await?;

            network::hold(client, REFRESH).await?;
            let title = find::css("form.note-new input[name=title]", "the new note's title");
            action::fill_in(client, &title, "Kept across the refusal").await?;
            action::submit(client, "title").await?;
            network::until_held(client, REFRESH, 1).await?;

            // Another tab logs in meanwhile and stores its pair.
            let newer = j.tokens_for(&user).await?;
            action::store_tokens(client, &newer).await?;
            network::release(client, REFRESH).await?;

            check::sees(client, &find::note("Kept across the refusal")).await?;
            ensure!(
                network::answers(client, &format!("{REFRESH} 401")).await? == 1,
                "the app's own refresh was not refused"
            );
            check::at(client, "/").await?;
            check::sees(client, &find::greeting("uma")).await?;
            check::does_not_see(client, &find::text(EXPIRED)).await?;
            check::no_alerts(client).await?;
            let now = action::stored_tokens(client).await?;
            ensure!(
                now.as_ref() == Some(&newer),
                "storage does not hold the newer pair: {now:?}"
            );
            // And the newer session keeps working.
            client.refresh().await?;
            check::sees(client, &find::note("Kept across the refusal")).await?;
            check::sees(client, &find::greeting("uma")).await?;
            Ok(())
        })
        .await;
}
