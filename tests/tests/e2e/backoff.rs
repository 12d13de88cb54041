//! Issue 9 item 13: while the server cannot be reached, the background
//! refresh backs off (1 s doubling, with jitter) instead of calling four
//! times a second; when the server answers again the app recovers at once.

use std::time::Duration;

use anyhow::ensure;
use e2e::harness::with_access_ttl;
use e2e::network::{self, REFRESH};
use e2e::{Journey, TestUser, action, check, find};

/// How long, on the page's clock, the server stays away.
const DOWN_MS: f64 = 8_000.0;

#[tokio::test]
async fn while_the_server_is_down_refreshes_back_off_and_recover_when_it_returns() {
    let journey = Journey::start_with(|s| with_access_ttl(s, 3))
        .await
        .expect("journey starts");
    journey
        .run("backoff", async |j| {
            let user = TestUser::new("otto");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            check::sees(client, &find::text("Name: Otto Tester")).await?;
            network::watch(client).await?;
            network::go_offline(client).await?;

            // The access token comes due while the server is away.
            let failed = format!("{REFRESH} failed");
            network::until_answered(client, &failed, 1).await?;
            let start = network::call_times(client, REFRESH).await?[0];
            check::until(
                "the server to be away for a while",
                Duration::from_secs(15),
                async || Ok(network::page_now(client).await? >= start + DOWN_MS),
            )
            .await?;
            let tries: Vec<f64> = network::call_times(client, REFRESH)
                .await?
                .into_iter()
                .filter(|at| *at <= start + DOWN_MS)
                .collect();
            // Without backoff: about 32 tries in 8 s. With it: waits of
            // 0.5–1, 1–2, 2–4 and 4–8 s.
            ensure!(
                (3..=5).contains(&tries.len()),
                "{} refresh tries in {DOWN_MS} ms: {tries:?}",
                tries.len()
            );
            let gaps: Vec<f64> = tries.windows(2).map(|w| w[1] - w[0]).collect();
            ensure!(
                gaps.iter().all(|gap| *gap >= 450.0),
                "tries too close together: {gaps:?}"
            );
            // The user is not logged out by an unreachable server.
            check::sees(client, &find::greeting("otto")).await?;
            ensure!(
                action::stored_tokens(client).await?.is_some(),
                "the tokens were cleared"
            );

            // The server is back: the next thing the user does works at once.
            network::go_online(client).await?;
            let before = action::stored_tokens(client).await?.expect("logged in");
            action::add_note(client, "Back online", "").await?;
            check::no_alerts(client).await?;
            check::sees(client, &find::greeting("otto")).await?;
            let after = action::stored_tokens(client).await?.expect("logged in");
            ensure!(
                after.access != before.access,
                "the session was not refreshed"
            );

            // And the background refresh runs on its normal schedule again.
            check::until("a background refresh", Duration::from_secs(6), async || {
                let now = action::stored_tokens(client).await?;
                ensure!(now.is_some(), "the tokens were cleared: logged out");
                Ok(now.is_some_and(|now| now.access != after.access))
            })
            .await?;
            check::no_alerts(client).await
        })
        .await;
}
