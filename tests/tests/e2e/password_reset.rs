//! UI.md Part 2, forgot password: the login page's link, the request (its
//! answer never tells whether the address has an account), the mailed
//! link, a new password, and a link used twice.

use e2e::{Journey, TestUser, action, check, find};
use serde_json::json;

const SENT: &str =
    "If an account exists for that email, we have sent a link to reset the password.";
const LINK_REFUSED: &str = "This link has expired or has already been used.";
const CONFIRM: &str = "/password/reset/confirm/";

#[tokio::test]
async fn a_forgotten_password_is_replaced_through_the_mailed_link() {
    let journey = Journey::start_with_mail(|_| {})
        .await
        .expect("journey starts");
    journey
        .run("password_reset", async |j| {
            let user = TestUser::new("paloma");
            j.create_user(&user).await?;
            let client = &j.client;

            action::open(j, "/login").await?;
            action::click(client, &find::link("Forgot password?")).await?;
            check::at(client, "/password/reset").await?;
            // An address without an account is answered alike.
            action::fill(client, "email", "nobody-paloma@example.com").await?;
            action::press_enter(client, "email").await?;
            check::sees(client, &find::text(SENT)).await?;
            action::open(j, "/password/reset").await?;
            action::fill(client, "email", &user.email).await?;
            action::submit(client, "email").await?;
            check::sees(client, &find::text(SENT)).await?;

            let link = j.mailed_link(&user.email, 1, CONFIRM).await?;
            action::open(j, &link).await?;
            action::fill(client, "new_password", "another-long-secret").await?;
            action::fill(client, "new_password2", "another-long-secre").await?;
            action::submit(client, "new_password").await?;
            check::sees(client, &find::alert("The two passwords do not match.")).await?;
            action::fill(client, "new_password", "12345678").await?;
            action::fill(client, "new_password2", "12345678").await?;
            action::submit(client, "new_password").await?;
            check::sees(
                client,
                &find::css(
                    "#new_password-error[role=alert]",
                    "the new password's error",
                ),
            )
            .await?;

            action::fill(client, "new_password", "another-long-secret").await?;
            action::fill(client, "new_password2", "another-long-secret").await?;
            action::press_enter(client, "new_password2").await?;
            check::on_login_page_at(client, "/login?done=password_reset").await?;
            check::sees(
                client,
                &find::text("Your password has been changed. Please log in."),
            )
            .await?;
            check::cannot_log_in(client, &user.username, &user.password).await?;
            action::log_in(client, &user.username, "another-long-secret").await?;
            check::sees(client, &find::greeting(&user.username)).await?;
            // Nothing went to the address without an account.
            let other = testkit::MailDev::shared()
                .messages_to("nobody-paloma@example.com")
                .await?;
            assert!(other.is_empty(), "{other:?}");
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn a_used_link_says_so_and_offers_a_new_one_and_a_reset_logs_this_browser_out() {
    let journey = Journey::start_with_mail(|_| {})
        .await
        .expect("journey starts");
    journey
        .run("password_reset_used_link", async |j| {
            let user = TestUser::new("ravi");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            let asked = j
                .http
                .post(j.url("/api/users/reset_password/"))
                .json(&json!({"email": user.email}))
                .send()
                .await?;
            assert_eq!(asked.status(), 204);
            let link = j.mailed_link(&user.email, 1, CONFIRM).await?;

            // Followed while logged in: the reset ends every session, this
            // browser's too.
            action::open(j, &link).await?;
            action::fill(client, "new_password", "ravi-new-secret").await?;
            action::fill(client, "new_password2", "ravi-new-secret").await?;
            action::submit(client, "new_password").await?;
            check::on_login_page_at(client, "/login?done=password_reset").await?;
            check::does_not_see(client, &find::any_greeting()).await?;
            assert!(action::stored_tokens(client).await?.is_none());

            action::open(j, &link).await?;
            action::fill(client, "new_password", "ravi-third-secret").await?;
            action::fill(client, "new_password2", "ravi-third-secret").await?;
            action::submit(client, "new_password").await?;
            check::sees(client, &find::alert(LINK_REFUSED)).await?;
            action::click(client, &find::link("Ask for a new link")).await?;
            check::at(client, "/password/reset").await?;
            check::sees(client, &find::input("email")).await?;

            // The password is the one the link set first.
            action::open(j, "/login").await?;
            action::log_in(client, &user.username, "ravi-new-secret").await?;
            check::sees(client, &find::greeting(&user.username)).await?;
            Ok(())
        })
        .await;
}
