//! UI.md Part 2, activation: with `SEND_ACTIVATION_EMAIL` on, registering
//! says to check the email and offers to send it again; the mailed link's
//! page activates only when its button is pressed; a used or broken link
//! says what is wrong.

use std::time::Duration;

use e2e::{Journey, TestUser, action, check, find};

const CHECK_EMAIL: &str = "Check your email to activate your account.";
const RESENT: &str = "We have sent the email again, unless one went out less than a minute ago.";

#[tokio::test]
async fn registering_with_activation_logs_in_only_after_the_mailed_link() {
    let journey = Journey::start_with_mail(|s| s.mail.send_activation = true)
        .await
        .expect("journey starts");
    journey
        .run("activation", async |j| {
            let user = TestUser::new("abebe");
            let client = &j.client;
            action::open(j, "/register").await?;
            action::register(client, &user).await?;
            check::sees(client, &find::text(CHECK_EMAIL)).await?;
            check::at(client, "/register").await?;
            j.mailed_link(&user.email, 1, "/activate/").await?;

            // At once: the server sends nothing more this minute, and the
            // page says so. A minute later it sends a new link.
            let resend = find::button("Send the email again");
            action::click(client, &resend).await?;
            check::sees(client, &find::text(RESENT)).await?;
            j.clock.advance(Duration::from_secs(61));
            check::disabled(client, &resend, false).await?;
            action::click(client, &resend).await?;
            let link = j.mailed_link(&user.email, 2, "/activate/").await?;
            let received = testkit::MailDev::shared().messages_to(&user.email).await?;
            assert_eq!(received.len(), 2, "one mail for the two quick presses");

            // Opening the page activates nothing: mail scanners open links.
            action::open(j, &link).await?;
            check::sees(client, &find::button("Activate my account")).await?;
            assert!(
                j.api.login(&user.username, &user.password).await.is_err(),
                "the account is active before the button was pressed"
            );
            action::click(client, &find::button("Activate my account")).await?;
            check::on_login_page_at(client, "/login?done=activated").await?;
            check::sees(
                client,
                &find::text("Your account is active. Please log in."),
            )
            .await?;
            action::log_in(client, &user.username, &user.password).await?;
            check::sees(client, &find::greeting(&user.username)).await?;

            // The link again: the account is active already.
            action::open(j, &link).await?;
            action::click(client, &find::button("Activate my account")).await?;
            check::sees(client, &find::alert("Your account is already active.")).await?;
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn a_broken_activation_link_offers_a_new_one() {
    let journey = Journey::start_with_mail(|s| s.mail.send_activation = true)
        .await
        .expect("journey starts");
    journey
        .run("activation_broken_link", async |j| {
            let user = TestUser::new("chiamaka");
            let client = &j.client;
            action::open(j, "/register").await?;
            action::register(client, &user).await?;
            check::sees(client, &find::text(CHECK_EMAIL)).await?;
            let link = j.mailed_link(&user.email, 1, "/activate/").await?;
            // The token cut short, as a mail program that wraps lines does.
            action::open(j, &link[..link.len() - 4]).await?;
            action::click(client, &find::button("Activate my account")).await?;
            check::sees(
                client,
                &find::alert("This activation link has expired or is not valid."),
            )
            .await?;
            j.clock.advance(Duration::from_secs(61));
            action::fill(client, "email", &user.email).await?;
            action::press_enter(client, "email").await?;
            check::sees(
                client,
                &find::text("If that account still needs activating, we have sent a new link."),
            )
            .await?;
            let fresh = j.mailed_link(&user.email, 2, "/activate/").await?;
            action::open(j, &fresh).await?;
            action::click(client, &find::button("Activate my account")).await?;
            check::on_login_page_at(client, "/login?done=activated").await?;
            Ok(())
        })
        .await;
}
