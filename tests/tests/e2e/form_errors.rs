//! Journey 8: a wrong password and a taken username are reported in
//! `role="alert"` elements.

use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn a_wrong_password_is_reported_in_an_alert() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("wrong_password", async |j| {
            let user = TestUser::new("kate");
            j.create_user(&user).await?;
            let client = &j.client;

            action::open(j, "/login").await?;
            action::log_in(client, "kate", "not-her-password").await?;
            check::sees(
                client,
                &find::alert("No active account found with the given credentials"),
            )
            .await?;
            check::at(client, "/login").await?;
            check::does_not_see(client, &find::any_greeting()).await?;

            // The form still works.
            action::log_in(client, &user.username, &user.password).await?;
            check::sees(client, &find::greeting("kate")).await?;
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn a_taken_username_is_reported_beside_its_field() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("duplicate_username", async |j| {
            let user = TestUser::new("leo");
            j.create_user(&user).await?;
            let client = &j.client;

            action::open(j, "/register").await?;
            action::register(client, &user).await?;
            let alert = check::sees(
                client,
                &find::alert("A user with that username already exists."),
            )
            .await?;
            assert_eq!(alert.attr("id").await?.as_deref(), Some("username-error"));
            check::at(client, "/register").await?;

            // Two different passwords never reach the server.
            let other = TestUser::new("mia");
            action::fill(client, "username", &other.username).await?;
            action::fill(client, "password2", "something-else-entirely").await?;
            action::submit(client, "password2").await?;
            check::sees(client, &find::alert("The two passwords do not match.")).await?;
            Ok(())
        })
        .await;
}
