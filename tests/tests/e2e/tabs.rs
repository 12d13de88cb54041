//! Journey 7: tabs share one session.

use std::time::Duration;

use anyhow::ensure;
use e2e::harness::with_access_ttl;
use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn logging_out_in_one_tab_logs_out_the_other() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("tabs_logout", async |j| {
            let user = TestUser::new("ivan");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            let first = client.window().await?;

            let second = client.new_window(true).await?.handle;
            client.switch_to_window(second.clone()).await?;
            action::open(j, "/").await?;
            check::sees(client, &find::greeting("ivan")).await?;

            client.switch_to_window(first).await?;
            action::log_out(client).await?;
            check::on_login_page(client).await?;

            client.switch_to_window(second).await?;
            check::on_login_page(client).await?;
            check::no_longer_sees(client, &find::any_greeting()).await?;
            check::sees(client, &find::header_link("Login")).await?;
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn a_refresh_in_one_tab_is_adopted_by_the_other() {
    let journey = Journey::start_with(|s| with_access_ttl(s, 3))
        .await
        .expect("journey starts");
    journey
        .run("tabs_refresh", async |j| {
            let user = TestUser::new("judy");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            let first = client.window().await?;

            let second = client.new_window(true).await?.handle;
            client.switch_to_window(second.clone()).await?;
            action::open(j, "/").await?;
            check::sees(client, &find::greeting("judy")).await?;
            let start = action::stored_tokens(client).await?.expect("logged in");

            // Several refreshes happen while both tabs are open.
            let mut last = start.clone();
            for _ in 0..3 {
                check::until("a refresh", Duration::from_secs(6), async || {
                    let now = action::stored_tokens(client).await?;
                    ensure!(now.is_some(), "the tokens were cleared: logged out");
                    Ok(now.is_some_and(|now| now.refresh != last.refresh))
                })
                .await?;
                last = action::stored_tokens(client).await?.expect("logged in");
            }

            // Both tabs still work, on the same session.
            action::add_note(client, "From the second tab", "").await?;
            check::no_alerts(client).await?;
            client.switch_to_window(first).await?;
            check::sees(client, &find::greeting("judy")).await?;
            action::add_note(client, "From the first tab", "").await?;
            check::sees(client, &find::note("From the second tab")).await?;
            check::no_alerts(client).await?;
            let tokens = action::stored_tokens(client).await?;
            ensure!(tokens.is_some(), "logged out");
            Ok(())
        })
        .await;
}
