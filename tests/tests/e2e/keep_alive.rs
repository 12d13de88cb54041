//! Journey 4: with a 3 s access lifetime the user keeps working for 15 s;
//! the access token is replaced in the background, without an error or a
//! logout.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::ensure;
use e2e::harness::with_access_ttl;
use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn a_short_access_lifetime_is_refreshed_in_the_background() {
    let journey = Journey::start_with(|s| with_access_ttl(s, 3))
        .await
        .expect("journey starts");
    journey
        .run("keep_alive", async |j| {
            let user = TestUser::new("erin");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;

            let start = Instant::now();
            let mut seen = HashSet::new();
            let mut n = 0;
            while start.elapsed() < Duration::from_secs(15) {
                n += 1;
                let current = action::stored_tokens(client).await?.expect("logged in");
                seen.insert(current.access.clone());
                action::add_note(client, &format!("Note {n}"), "written while working").await?;
                // Work on until the app has swapped the token.
                check::until(
                    "the access token to be replaced",
                    Duration::from_secs(6),
                    async || {
                        let now = action::stored_tokens(client).await?;
                        ensure!(now.is_some(), "the tokens were cleared: logged out");
                        Ok(now.is_some_and(|now| now.access != current.access))
                    },
                )
                .await?;
                check::sees(client, &find::greeting("erin")).await?;
                check::no_alerts(client).await?;
            }

            ensure!(seen.len() >= 4, "only {} access tokens in 15 s", seen.len());
            check::at(client, "/").await?;
            check::sees(client, &find::text("Name: Erin Tester")).await?;
            for i in 1..=n {
                check::sees(client, &find::note(&format!("Note {i}"))).await?;
            }
            check::no_alerts(client).await
        })
        .await;
}
