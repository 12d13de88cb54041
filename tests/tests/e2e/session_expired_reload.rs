//! UI.md "Session end": the session-expired message on the login page, and
//! `next`, survive a reload of that page; an ordinary visit to `/login`
//! does not show the message.

use e2e::{Journey, TestUser, action, check, find};

const EXPIRED: &str = "Your session has expired. Please log in again.";

#[tokio::test]
async fn the_session_expired_message_survives_a_reload_of_the_login_page() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("session_expired_reload", async |j| {
            let user = TestUser::new("wanda");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            action::click(client, &find::header_link("Profile")).await?;
            check::sees(client, &find::input("first_name")).await?;

            // The session is revoked elsewhere and the access token refused.
            let pair = action::stored_tokens(client).await?.expect("logged in");
            j.revoke(&pair.refresh).await?;
            let mut broken = pair.clone();
            broken.access = action::tamper(&pair.access);
            action::store_tokens(client, &broken).await?;
            action::fill(client, "last_name", "Unsaved").await?;
            action::submit(client, "last_name").await?;

            let expired_login = "/login?next=%2Fprofile&expired=1";
            check::sees(client, &find::text(EXPIRED)).await?;
            check::on_login_page_at(client, expired_login).await?;

            client.refresh().await?;
            check::on_login_page_at(client, expired_login).await?;
            check::sees(client, &find::text(EXPIRED)).await?;
            check::does_not_see(client, &find::any_greeting()).await?;

            // `next` is still honoured after the reload.
            action::log_in(client, &user.username, &user.password).await?;
            check::at(client, "/profile").await?;
            check::sees(client, &find::greeting("wanda")).await?;

            // Ordinary visits to the login page say nothing about a session.
            action::log_out(client).await?;
            check::on_login_page(client).await?;
            check::does_not_see(client, &find::text(EXPIRED)).await?;
            action::open(j, "/login").await?;
            check::on_login_page(client).await?;
            check::does_not_see(client, &find::text(EXPIRED)).await?;
            action::open(j, "/profile").await?;
            check::on_login_page_at(client, "/login?next=%2Fprofile").await?;
            check::does_not_see(client, &find::text(EXPIRED)).await
        })
        .await;
}
