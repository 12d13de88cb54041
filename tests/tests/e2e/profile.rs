//! The profile page: a changed name shows on Home, and a changed password
//! ends the session and sends the user to the login page.

use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn a_profile_change_shows_on_home() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("profile_edit", async |j| {
            let user = TestUser::new("rita");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;

            action::click(client, &find::header_link("Profile")).await?;
            check::at(client, "/profile").await?;
            check::until("the profile to load", check::PATIENCE, async || {
                let field = client.find(find::input("last_name").locator()).await?;
                Ok(field.prop("value").await?.as_deref() == Some("Tester"))
            })
            .await?;
            action::fill(client, "last_name", "Levi-Montalcini").await?;
            action::fill(client, "email", "not an email").await?;
            action::submit(client, "last_name").await?;
            let alert = check::sees(
                client,
                &find::css("#email-error[role=alert]", "the email error"),
            )
            .await?;
            assert!(!alert.text().await?.is_empty());

            action::fill(client, "email", "rita@example.org").await?;
            action::submit(client, "last_name").await?;
            check::sees(client, &find::text("Your profile has been saved.")).await?;

            action::click(client, &find::header_link("Home")).await?;
            check::sees(client, &find::text("Name: Rita Levi-Montalcini")).await?;
            check::sees(client, &find::text("Email: rita@example.org")).await?;
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn a_password_change_ends_the_session_and_asks_for_a_new_login() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("password_change", async |j| {
            let user = TestUser::new("sam");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            let old_pair = action::stored_tokens(client).await?.expect("logged in");

            action::open(j, "/profile").await?;
            action::fill(client, "current_password", "not-the-password").await?;
            action::fill(client, "new_password", "a-brand-new-secret").await?;
            action::fill(client, "new_password2", "a-brand-new-secret").await?;
            action::submit(client, "current_password").await?;
            check::sees(client, &find::alert("Invalid password.")).await?;
            check::at(client, "/profile").await?;

            action::fill(client, "current_password", &user.password).await?;
            action::submit(client, "current_password").await?;
            check::on_login_page(client).await?;
            check::sees(
                client,
                &find::text("Your password has been changed. Please log in with the new one."),
            )
            .await?;
            check::does_not_see(client, &find::any_greeting()).await?;
            assert!(action::stored_tokens(client).await?.is_none());

            // The old session is over on the server too.
            check::refresh_refused(j, &old_pair.refresh).await?;

            check::cannot_log_in(client, &user.username, &user.password).await?;
            action::log_in(client, &user.username, "a-brand-new-secret").await?;
            check::sees(client, &find::greeting("sam")).await?;
            Ok(())
        })
        .await;
}
