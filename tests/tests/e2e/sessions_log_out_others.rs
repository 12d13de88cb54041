//! UI.md Part 2 `/sessions`: `Log out all other sessions` ends every session
//! of the user but this one: another browser lands on the login page with
//! the session-expired message at its next refresh, a device that logged in
//! through the API is refused, and this browser stays logged in.

use anyhow::ensure;
use e2e::harness::with_access_ttl;
use e2e::{Journey, TestUser, action, check, find};
use serde_json::json;

const EXPIRED: &str = "Your session has expired. Please log in again.";

#[tokio::test]
async fn logging_out_all_other_sessions_keeps_only_this_one() {
    let journey = Journey::start_with(|s| with_access_ttl(s, 3))
        .await
        .expect("journey starts");
    journey
        .run("sessions_log_out_others", async |j| {
            let user = TestUser::new("tomas");
            j.create_user(&user).await?;
            let laptop = &j.client;
            action::log_in_as(j, &user).await?;
            let phone = j.another_browser().await?;
            phone.open(&j.base, "/login").await?;
            action::log_in(&phone.client, &user.username, &user.password).await?;
            check::sees(&phone.client, &find::greeting("tomas")).await?;
            let script = j.tokens_for(&user).await?;

            action::click(laptop, &find::header_link("Sessions")).await?;
            check::sees_exactly(laptop, &find::session_rows(), 3).await?;
            let all_others = find::button("Log out all other sessions");
            action::click(laptop, &all_others).await?;

            let own = action::stored_session(laptop).await?;
            check::sees_exactly(laptop, &find::session_rows(), 1).await?;
            check::sees(laptop, &find::session_row(&own)).await?;
            check::sees(laptop, &find::this_device_row()).await?;
            check::disabled(laptop, &all_others, true).await?;
            check::no_alerts(laptop).await?;

            // The other browser, at its next refresh.
            check::on_login_page_at(&phone.client, "/login?next=%2F&expired=1").await?;
            check::sees(&phone.client, &find::text(EXPIRED)).await?;

            // The device that logged in through the API.
            let refused = j
                .http
                .post(j.url("/api/token/refresh/"))
                .json(&json!({ "refresh": script.refresh }))
                .send()
                .await?
                .status();
            ensure!(
                refused == 401,
                "the other device could still refresh: {refused}"
            );

            // This browser goes on through its own refreshes.
            let before = action::stored_tokens(laptop).await?.expect("logged in");
            check::until("the laptop's next refresh", check::PATIENCE, async || {
                let now = action::stored_tokens(laptop).await?;
                ensure!(now.is_some(), "the laptop was logged out");
                Ok(now.is_some_and(|now| now.refresh != before.refresh))
            })
            .await?;
            check::sees(laptop, &find::greeting("tomas")).await?;
            Ok(())
        })
        .await;
}
