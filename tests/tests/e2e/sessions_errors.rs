//! UI.md "Forms" on `/sessions`: a `Log out` that cannot reach the server
//! says so in an alert, as every other page does, and keeps the list; once
//! the server is back, the same button works and the alert goes.

use e2e::network;
use e2e::{Journey, TestUser, action, check, find};

const UNREACHABLE: &str = "The server could not be reached.";

#[tokio::test]
async fn a_log_out_that_cannot_reach_the_server_says_so_and_keeps_the_list() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("sessions_errors", async |j| {
            let user = TestUser::new("uma");
            j.create_user(&user).await?;
            let client = &j.client;
            j.tokens_for(&user).await?;
            action::log_in_as(j, &user).await?;
            action::click(client, &find::header_link("Sessions")).await?;
            check::sees_exactly(client, &find::session_rows(), 2).await?;
            let own = action::stored_session(client).await?;
            let other = check::sees(
                client,
                &find::css(
                    format!("tr[data-session-id]:not([data-session-id='{own}'])"),
                    "the other session's row",
                ),
            )
            .await?
            .attr("data-session-id")
            .await?
            .unwrap_or_default();

            network::watch(client).await?;
            network::go_offline(client).await?;
            action::click(client, &find::session_log_out(&other)).await?;
            check::sees(client, &find::alert(UNREACHABLE)).await?;
            check::sees_exactly(client, &find::session_rows(), 2).await?;

            network::go_online(client).await?;
            action::click(client, &find::session_log_out(&other)).await?;
            check::sees_exactly(client, &find::session_rows(), 1).await?;
            check::sees(client, &find::session_row(&own)).await?;
            check::no_longer_sees(client, &find::any_alert()).await?;
            Ok(())
        })
        .await;
}
