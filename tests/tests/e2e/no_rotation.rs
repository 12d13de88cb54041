//! Issue 9 item 12: with `ROTATE_REFRESH_TOKENS=false` a refresh answers
//! `{"access"}` only. The user stays logged in through background refreshes
//! and a 401 retry, the app keeps its refresh token, and it refreshes once
//! per token lifetime, not several times a second.

use std::time::Duration;

use anyhow::ensure;
use e2e::harness::with_access_ttl;
use e2e::network::{self, REFRESH};
use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn without_rotation_the_refresh_token_is_kept_and_the_session_lives_on() {
    let journey = Journey::start_with(|s| {
        with_access_ttl(s, 3);
        s.tokens.rotate = false;
    })
    .await
    .expect("journey starts");
    journey
        .run("no_rotation", async |j| {
            let user = TestUser::new("nora");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            check::sees(client, &find::text("Name: Nora Tester")).await?;
            network::watch(client).await?;
            let first = action::stored_tokens(client).await?.expect("logged in");

            // Three background refreshes (one every 2.25 s with 3 s tokens).
            let mut last = first.clone();
            for _ in 0..3 {
                check::until("a background refresh", Duration::from_secs(6), async || {
                    let now = action::stored_tokens(client).await?;
                    ensure!(now.is_some(), "the tokens were cleared: logged out");
                    Ok(now.is_some_and(|now| now.access != last.access))
                })
                .await?;
                last = action::stored_tokens(client).await?.expect("logged in");
                ensure!(
                    last.refresh == first.refresh,
                    "the refresh token changed without rotation"
                );
                check::sees(client, &find::greeting("nora")).await?;
                check::no_alerts(client).await?;
            }
            let calls = network::calls(client, REFRESH).await?;
            ensure!(
                calls <= 4,
                "{calls} refresh calls for 3 new access tokens: refreshes are repeated"
            );
            ensure!(
                network::answers(client, &format!("{REFRESH} 200")).await? == calls,
                "a refresh call failed"
            );

            // A refused access token: refreshed and retried, still the same
            // refresh token.
            let mut broken = last.clone();
            broken.access = action::tamper(&last.access);
            action::store_tokens(client, &broken).await?;
            action::add_note(client, "Saved without rotation", "").await?;
            check::no_alerts(client).await?;
            check::sees(client, &find::greeting("nora")).await?;
            let now = action::stored_tokens(client).await?.expect("logged in");
            ensure!(
                now.access != broken.access,
                "the access token was not refreshed"
            );
            ensure!(now.refresh == first.refresh, "the refresh token changed");

            // A reload keeps the session too.
            client.refresh().await?;
            check::sees(client, &find::note("Saved without rotation")).await?;
            check::sees(client, &find::greeting("nora")).await?;
            Ok(())
        })
        .await;
}
