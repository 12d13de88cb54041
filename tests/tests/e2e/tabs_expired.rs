//! Issue 9 item 14: when one tab's refresh is refused and it ends the
//! session, the other tabs show the session-expired message too and keep
//! their `next`, instead of looking like a plain logout.

use e2e::{Journey, TestUser, action, check, find};

const EXPIRED: &str = "Your session has expired. Please log in again.";

#[tokio::test]
async fn a_session_that_expires_in_one_tab_expires_with_next_in_the_other() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("tabs_expired", async |j| {
            let user = TestUser::new("quinn");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            let first = client.window().await?;

            let second = client.new_window(true).await?.handle;
            client.switch_to_window(second.clone()).await?;
            action::open(j, "/profile").await?;
            check::sees(client, &find::input("first_name")).await?;
            check::sees(client, &find::greeting("quinn")).await?;

            // The session is revoked on the server, and the access token is
            // no longer accepted either.
            client.switch_to_window(first).await?;
            check::sees(client, &find::greeting("quinn")).await?;
            let pair = action::stored_tokens(client).await?.expect("logged in");
            j.revoke(&pair.refresh).await?;
            let mut broken = pair.clone();
            broken.access = action::tamper(&pair.access);
            action::store_tokens(client, &broken).await?;

            // The first tab's next action finds the session over.
            let title = find::css("form.note-new input[name=title]", "the new note's title");
            action::fill_in(client, &title, "Too late").await?;
            action::submit(client, "title").await?;
            check::sees(client, &find::text(EXPIRED)).await?;
            check::at(client, "/login?next=%2F&expired=1").await?;

            // The second tab says the same, and keeps where the user was.
            client.switch_to_window(second).await?;
            check::on_login_page_at(client, "/login?next=%2Fprofile&expired=1").await?;
            check::sees(client, &find::text(EXPIRED)).await?;
            check::does_not_see(client, &find::any_greeting()).await?;

            action::log_in(client, &user.username, &user.password).await?;
            check::at(client, "/profile").await?;
            check::sees(client, &find::greeting("quinn")).await?;
            check::sees(client, &find::input("first_name")).await?;
            Ok(())
        })
        .await;
}
