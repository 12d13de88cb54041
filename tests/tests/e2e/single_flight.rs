//! UI.md "401 handling": concurrent requests that hit a 401 share one
//! refresh (single flight) instead of each refreshing.
//!
//! The access token is refused, Home loads (profile and notes at once) and a
//! note is sent, all while the one refresh is held: every 401 is back before
//! the refresh may finish, so a request that refreshed on its own would show
//! as a second refresh call.

use anyhow::ensure;
use e2e::network::{self, REFRESH};
use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn concurrent_401s_share_one_refresh() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("single_flight", async |j| {
            let user = TestUser::new("vera");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            action::click(client, &find::header_link("Profile")).await?;
            check::sees(client, &find::input("first_name")).await?;
            network::watch(client).await?;

            let pair = action::stored_tokens(client).await?.expect("logged in");
            let mut broken = pair.clone();
            broken.access = action::tamper(&pair.access);
            action::store_tokens(client, &broken).await?;
            network::hold(client, REFRESH).await?;

            // Home asks for the profile and the notes at once.
            action::click(client, &find::header_link("Home")).await?;
            network::until_answered(client, "GET /api/profile/ 401", 1).await?;
            network::until_answered(client, "GET /api/notes/ 401", 1).await?;
            // And the user sends a note before they are back.
            let title = find::css("form.note-new input[name=title]", "the new note's title");
            action::fill_in(client, &title, "Sent during the refresh").await?;
            action::submit(client, "title").await?;
            network::until_answered(client, "POST /api/notes/ 401", 1).await?;
            network::until_held(client, REFRESH, 1).await?;
            let refreshes = network::calls(client, REFRESH).await?;
            ensure!(refreshes == 1, "three 401s started {refreshes} refreshes");

            network::release(client, REFRESH).await?;
            check::sees(client, &find::text("Name: Vera Tester")).await?;
            check::sees(client, &find::note("Sent during the refresh")).await?;
            check::no_alerts(client).await?;
            for answer in [
                "GET /api/profile/ 200",
                "POST /api/notes/ 201",
                &format!("{REFRESH} 200"),
            ] {
                let n = network::answers(client, answer).await?;
                ensure!(n == 1, "{n} answers {answer}");
            }
            let refreshes = network::calls(client, REFRESH).await?;
            ensure!(refreshes == 1, "{refreshes} refreshes in all");
            let now = action::stored_tokens(client).await?.expect("logged in");
            ensure!(now.refresh != pair.refresh, "the pair was not rotated");
            Ok(())
        })
        .await;
}
