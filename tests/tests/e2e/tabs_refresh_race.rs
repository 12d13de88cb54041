//! API.md "A refresh retried inside the grace gets the same answer": three
//! tabs of one browser whose background refreshes (one token, sent by all
//! three) are held and then let go together all stay logged in, on one pair
//! and one session, and go on refreshing.
//!
//! A tab whose answer lands after another tab stored the same pair must take
//! it as its own: dropping it as stale (and asking the server to forget its
//! refresh token) would end the session in every tab at the next refresh.

use std::time::Duration;

use anyhow::{Context, ensure};
use e2e::harness::with_access_ttl;
use e2e::network::{self, REFRESH};
use e2e::{Journey, TestUser, action, check, find};
use shared::SessionInfo;

const ACCESS_TTL_S: u64 = 10;

#[tokio::test]
async fn three_tabs_refreshing_at_once_stay_logged_in_on_one_pair() {
    // Long enough to open three tabs before the first refresh is due (at
    // three quarters of the lifetime) on a busy machine.
    let journey = Journey::start_with(|s| with_access_ttl(s, ACCESS_TTL_S))
        .await
        .expect("journey starts");
    journey
        .run("tabs_refresh_race", async |j| {
            let user = TestUser::new("rita");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            let mut tabs = vec![client.window().await?];
            network::watch(client).await?;
            network::hold(client, REFRESH).await?;
            for _ in 0..2 {
                let tab = client.new_window(true).await?.handle;
                client.switch_to_window(tab.clone()).await?;
                action::open(j, "/").await?;
                check::sees(client, &find::greeting("rita")).await?;
                network::watch(client).await?;
                network::hold(client, REFRESH).await?;
                tabs.push(tab);
            }
            let start = action::stored_tokens(client).await?.expect("logged in");

            // Every tab's refresh timer sends the one stored token.
            for tab in &tabs {
                client.switch_to_window(tab.clone()).await?;
                network::until_held(client, REFRESH, 1).await?;
            }
            ensure!(
                action::stored_tokens(client).await? == Some(start.clone()),
                "a refresh got through before all three were held"
            );
            for tab in &tabs {
                client.switch_to_window(tab.clone()).await?;
                network::release(client, REFRESH).await?;
            }

            for tab in &tabs {
                client.switch_to_window(tab.clone()).await?;
                network::until_answered(client, &format!("{REFRESH} 200"), 1).await?;
                let refused = network::answers(client, &format!("{REFRESH} 401")).await?;
                ensure!(refused == 0, "{refused} refreshes refused in a tab");
                check::sees(client, &find::greeting("rita")).await?;
            }
            let raced = action::stored_tokens(client).await?.expect("logged in");
            ensure!(raced.refresh != start.refresh, "the pair was not rotated");

            // One session, and its pair goes on working: the next refresh of
            // every tab is answered, and nobody is logged out.
            let sessions: Vec<SessionInfo> = j
                .http
                .get(j.url("/api/sessions/"))
                .bearer_auth(&raced.access)
                .send()
                .await?
                .json()
                .await
                .context("the sessions list")?;
            ensure!(sessions.len() == 1, "{} sessions", sessions.len());
            let next = Duration::from_secs(ACCESS_TTL_S + 5);
            check::until("the next refresh", next, async || {
                let now = action::stored_tokens(client).await?;
                ensure!(now.is_some(), "the tokens were cleared: logged out");
                Ok(now.is_some_and(|now| now.refresh != raced.refresh))
            })
            .await?;
            for tab in &tabs {
                client.switch_to_window(tab.clone()).await?;
                check::sees(client, &find::greeting("rita")).await?;
                check::no_alerts(client).await?;
            }
            Ok(())
        })
        .await;
}
