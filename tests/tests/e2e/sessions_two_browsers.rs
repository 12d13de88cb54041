//! UI.md Part 2 `/sessions`: two browsers (two devices) logged in as one
//! user each see both sessions, their own marked `This device`; one logs the
//! other out, and the other's next refresh lands it on the login page with
//! the session-expired message, `next` kept.

use anyhow::ensure;
use e2e::harness::with_access_ttl;
use e2e::{Journey, TestUser, action, check, find};

const EXPIRED: &str = "Your session has expired. Please log in again.";

#[tokio::test]
async fn a_session_logged_out_from_another_device_ends_at_its_next_refresh() {
    let journey = Journey::start_with(|s| with_access_ttl(s, 3))
        .await
        .expect("journey starts");
    journey
        .run("sessions_two_browsers", async |j| {
            let user = TestUser::new("sasha");
            j.create_user(&user).await?;
            let laptop = &j.client;
            action::log_in_as(j, &user).await?;
            let phone = j.another_browser().await?;
            phone.open(&j.base, "/login").await?;
            action::log_in(&phone.client, &user.username, &user.password).await?;
            check::sees(&phone.client, &find::greeting("sasha")).await?;
            let laptop_sid = action::stored_session(laptop).await?;
            let phone_sid = action::stored_session(&phone.client).await?;
            ensure!(laptop_sid != phone_sid, "two logins share one session");

            for (client, own, other) in [
                (laptop, &laptop_sid, &phone_sid),
                (&phone.client, &phone_sid, &laptop_sid),
            ] {
                action::click(client, &find::header_link("Sessions")).await?;
                check::at(client, "/sessions").await?;
                check::sees_exactly(client, &find::session_rows(), 2).await?;
                let mine = check::sees(client, &find::this_device_row()).await?;
                let marked = mine.attr("data-session-id").await?;
                ensure!(
                    marked.as_deref() == Some(own.as_str()),
                    "`This device` marks {marked:?}, not this browser's {own}"
                );
                let text = mine.text().await?;
                ensure!(
                    text.contains("Linux computer") && text.contains("Chrome"),
                    "the row does not name the device and browser: {text}"
                );
                ensure!(
                    text.contains("just now"),
                    "last active is not relative: {text}"
                );
                check::sees(client, &find::session_log_out(other)).await?;
                check::does_not_see(client, &find::session_log_out(own)).await?;
            }

            // The laptop logs the phone out.
            action::click(laptop, &find::session_log_out(&phone_sid)).await?;
            check::sees_exactly(laptop, &find::session_rows(), 1).await?;
            check::sees(laptop, &find::session_row(&laptop_sid)).await?;
            check::no_alerts(laptop).await?;

            // The phone notices at its next refresh, and keeps where it was.
            check::on_login_page_at(&phone.client, "/login?next=%2Fsessions&expired=1").await?;
            check::sees(&phone.client, &find::text(EXPIRED)).await?;
            ensure!(
                action::stored_tokens(&phone.client).await?.is_none(),
                "the phone still keeps a pair"
            );

            // The laptop goes on through its own refreshes.
            let before = action::stored_tokens(laptop).await?.expect("logged in");
            check::until("the laptop's next refresh", check::PATIENCE, async || {
                let now = action::stored_tokens(laptop).await?;
                ensure!(now.is_some(), "the laptop was logged out");
                Ok(now.is_some_and(|now| now.refresh != before.refresh))
            })
            .await?;
            check::sees(laptop, &find::greeting("sasha")).await?;
            check::sees_exactly(laptop, &find::session_rows(), 1).await?;
            Ok(())
        })
        .await;
}
