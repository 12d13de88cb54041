//! UI.md Part 2, the username: changed on the profile page (new username
//! and current password, then a new login), and reset through a mailed
//! link from the login page.

use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn a_changed_username_is_the_one_to_log_in_with() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("username_change", async |j| {
            let user = TestUser::new("ulla");
            j.create_user(&user).await?;
            j.create_user(&TestUser::new("vera")).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            action::open(j, "/profile").await?;

            let password = find::input_in("username-form", "current_password");
            action::fill(client, "new_username", "vera").await?;
            action::fill_in(client, &password, "not-the-password").await?;
            action::click(client, &find::submit_in("username-form")).await?;
            check::sees(
                client,
                &find::css(
                    "#username-current-password-error[role=alert]",
                    "the password's error",
                ),
            )
            .await?;
            check::sees(client, &find::alert("Invalid password.")).await?;

            action::fill_in(client, &password, &user.password).await?;
            action::click(client, &find::submit_in("username-form")).await?;
            check::sees(
                client,
                &find::css(
                    "#new_username-error[role=alert]",
                    "the new username's error",
                ),
            )
            .await?;
            check::at(client, "/profile").await?;

            action::fill(client, "new_username", "ulla-rose").await?;
            action::press_enter(client, "new_username").await?;
            check::on_login_page(client).await?;
            check::sees(
                client,
                &find::text("Your username has been changed. Please log in with the new one."),
            )
            .await?;
            assert!(action::stored_tokens(client).await?.is_none());
            check::cannot_log_in(client, "ulla", &user.password).await?;
            action::log_in(client, "ulla-rose", &user.password).await?;
            check::sees(client, &find::greeting("ulla-rose")).await?;
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn a_forgotten_username_is_replaced_through_the_mailed_link() {
    let journey = Journey::start_with_mail(|_| {})
        .await
        .expect("journey starts");
    journey
        .run("username_reset", async |j| {
            let user = TestUser::new("wanjiru");
            j.create_user(&user).await?;
            let client = &j.client;
            action::open(j, "/login").await?;
            action::click(client, &find::link("Get a link to choose a new one")).await?;
            check::at(client, "/username/reset").await?;
            action::fill(client, "email", &user.email).await?;
            action::submit(client, "email").await?;
            check::sees(
                client,
                &find::text(
                    "If an account exists for that email, we have sent a link to choose a new username.",
                ),
            )
            .await?;
            let link = j
                .mailed_link(&user.email, 1, "/username/reset/confirm/")
                .await?;
            action::open(j, &link).await?;
            action::fill(client, "new_username", "wanjiru-m").await?;
            action::submit(client, "new_username").await?;
            check::on_login_page_at(client, "/login?done=username_reset").await?;
            check::sees(
                client,
                &find::text("Your username has been changed. Please log in."),
            )
            .await?;
            action::log_in(client, "wanjiru-m", &user.password).await?;
            check::sees(client, &find::greeting("wanjiru-m")).await?;

            // Used once: the link now says so.
            action::open(j, &link).await?;
            action::fill(client, "new_username", "wanjiru-again").await?;
            action::submit(client, "new_username").await?;
            check::sees(
                client,
                &find::alert("This link has expired or has already been used."),
            )
            .await?;
            Ok(())
        })
        .await;
}
