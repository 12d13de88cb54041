//! Journey 5: when the server refuses the refresh token, the user lands on
//! the login page with the session-expired message, and `next` is kept.

use std::time::Duration;

use e2e::harness::with_access_ttl;
use e2e::{Journey, TestUser, action, check, find};

const EXPIRED: &str = "Your session has expired. Please log in again.";

#[tokio::test]
async fn a_session_past_its_maximum_lifetime_ends_on_the_login_page() {
    let journey = Journey::start_with(|s| {
        with_access_ttl(s, 2);
        s.tokens.session_max = Duration::from_secs(4);
    })
    .await
    .expect("journey starts");
    journey
        .run("session_expired", async |j| {
            let user = TestUser::new("frank");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            action::open(j, "/profile").await?;
            check::sees(client, &find::input("first_name")).await?;

            // The refresh timer runs into the session cap after about 4 s.
            client
                .wait()
                .at_most(Duration::from_secs(15))
                .for_element(find::text(EXPIRED).locator())
                .await?;
            check::at(client, "/login?next=%2Fprofile&expired=1").await?;
            assert!(action::stored_tokens(client).await?.is_none());
            check::does_not_see(client, &find::any_greeting()).await?;

            // Logging in again goes back to where the user was.
            action::log_in(client, &user.username, &user.password).await?;
            check::at(client, "/profile").await?;
            check::sees(client, &find::greeting("frank")).await?;
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn a_revoked_refresh_token_ends_the_session_at_the_next_action() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("session_revoked", async |j| {
            let user = TestUser::new("grace");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            action::add_note(client, "Before", "").await?;

            // The session is revoked elsewhere, and the access token is no
            // longer accepted either.
            let pair = action::stored_tokens(client).await?.expect("logged in");
            j.revoke(&pair.refresh).await?;
            let mut broken = pair.clone();
            broken.access = action::tamper(&pair.access);
            action::store_tokens(client, &broken).await?;

            // The next action.
            action::fill(client, "title", "After").await?;
            action::submit(client, "title").await?;

            check::sees(client, &find::text(EXPIRED)).await?;
            check::at(client, "/login?next=%2F&expired=1").await?;
            check::does_not_see(client, &find::any_greeting()).await?;
            Ok(())
        })
        .await;
}
