//! UI.md Part 2, deleting the account: the current password, then a
//! confirmation step; afterwards the login page says the account is gone,
//! and so are its sessions everywhere.

use e2e::{Journey, TestUser, action, check, find};

const CONFIRM: &str = "Are you sure? This cannot be undone.";

#[tokio::test]
async fn an_account_is_deleted_after_its_password_and_a_second_step() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("delete_account", async |j| {
            let user = TestUser::new("zoltan");
            j.create_user(&user).await?;
            let elsewhere = j.tokens_for(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            action::add_note(client, "Keep this?", "No.").await?;
            action::open(j, "/profile").await?;

            let password = find::input_in("delete-form", "current_password");
            let submit = find::submit_in("delete-form");
            // Nothing typed: nothing asked, nothing sent.
            action::click(client, &submit).await?;
            check::sees(
                client,
                &find::css(
                    "#delete-current-password-error[role=alert]",
                    "the password's error",
                ),
            )
            .await?;
            check::does_not_see(client, &find::text(CONFIRM)).await?;

            // The second step can be left.
            action::fill_in(client, &password, "not-the-password").await?;
            action::click(client, &submit).await?;
            check::sees(client, &find::text(CONFIRM)).await?;
            action::click(client, &find::button("Cancel")).await?;
            check::no_longer_sees(client, &find::text(CONFIRM)).await?;

            // A wrong password is said beside the field after the second step.
            action::click(client, &submit).await?;
            action::click(client, &find::button("Yes, delete my account")).await?;
            check::sees(client, &find::alert("Invalid password.")).await?;
            check::at(client, "/profile").await?;

            action::fill_in(client, &password, &user.password).await?;
            check::sees(client, &password)
                .await?
                .send_keys(&char::from(fantoccini::key::Key::Enter).to_string())
                .await?;
            check::sees(client, &find::text(CONFIRM)).await?;
            action::click(client, &find::button("Yes, delete my account")).await?;
            check::on_login_page(client).await?;
            check::sees(client, &find::text("Your account has been deleted.")).await?;
            assert!(action::stored_tokens(client).await?.is_none());

            // Gone everywhere: the other device's session, the login.
            check::refresh_refused(j, &elsewhere.refresh).await?;
            check::cannot_log_in(client, &user.username, &user.password).await?;
            Ok(())
        })
        .await;
}
