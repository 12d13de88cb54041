//! Journey 6: a request refused with 401 is refreshed and retried once, and
//! the user gets what they asked for.

use anyhow::ensure;
use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn a_refused_access_token_is_refreshed_and_the_request_retried() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("retry_after_401", async |j| {
            let user = TestUser::new("heidi");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            check::sees(client, &find::text("Name: Heidi Tester")).await?;

            // The access token still reads as valid, so the app sends it and
            // gets a 401.
            let pair = action::stored_tokens(client).await?.expect("logged in");
            let mut broken = pair.clone();
            broken.access = action::tamper(&pair.access);
            action::store_tokens(client, &broken).await?;

            action::add_note(client, "Saved despite the 401", "retried").await?;
            check::no_alerts(client).await?;
            check::sees(client, &find::greeting("heidi")).await?;

            let now = action::stored_tokens(client)
                .await?
                .expect("still logged in");
            ensure!(
                now.access != broken.access,
                "the access token was not refreshed"
            );
            ensure!(
                now.refresh != pair.refresh,
                "the refresh token was not rotated"
            );

            // The same on a page load: profile and notes both come through.
            let mut broken = now.clone();
            broken.access = action::tamper(&now.access);
            action::store_tokens(client, &broken).await?;
            client.refresh().await?;
            check::sees(client, &find::text("Name: Heidi Tester")).await?;
            check::sees(client, &find::note("Saved despite the 401")).await?;
            check::no_alerts(client).await
        })
        .await;
}
