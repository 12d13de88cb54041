//! Screenshots of every page at desktop and phone width, for a person to
//! look at: `target/e2e-screenshots/pages/` (copied to `docs/screenshots/`).

use anyhow::Result;
use e2e::harness::{save_screenshot, screenshot_dir};
use e2e::{Journey, TestUser, action, check, find};
use serde_json::json;

const PHONE_AGENT: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

const SIZES: [(&str, u32, u32); 2] = [("desktop", 1280, 860), ("phone", 390, 844)];

/// Saves the whole page (the window grows to the page's height) at each size.
async fn shoot(j: &Journey, name: &str) -> Result<()> {
    for (size, width, height) in SIZES {
        j.client.set_window_size(width, height).await?;
        let extra = j
            .client
            .execute(
                "return Math.max(0, document.documentElement.scrollHeight - window.innerHeight);",
                vec![],
            )
            .await?
            .as_u64()
            .unwrap_or(0);
        j.client
            .set_window_size(width, height + u32::try_from(extra)?)
            .await?;
        let path = screenshot_dir()
            .join("pages")
            .join(format!("{name}-{size}.png"));
        save_screenshot(&j.client, &path).await?;
    }
    j.client.set_window_size(1024, 768).await?;
    Ok(())
}

#[tokio::test]
async fn every_page_at_desktop_and_phone_width() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("gallery", async |j| {
            let user = TestUser::new("quinn");
            let client = &j.client;

            action::open(j, "/register").await?;
            check::sees(client, &find::input("password2")).await?;
            shoot(j, "register").await?;

            action::register(client, &user).await?;
            check::on_login_page_at(client, "/login?registered=1").await?;
            shoot(j, "login").await?;

            // Keyboard focus is visible.
            check::sees(client, &find::input("username"))
                .await?
                .click()
                .await?;
            let focused = client.active_element().await?;
            assert_eq!(focused.attr("name").await?.as_deref(), Some("username"));
            shoot(j, "login-focus").await?;

            action::log_in(client, "quinn", "wrong-password").await?;
            check::sees(client, &find::any_alert()).await?;
            shoot(j, "login-error").await?;

            action::log_in(client, &user.username, &user.password).await?;
            check::sees(client, &find::greeting("quinn")).await?;
            action::add_note(
                client,
                "Call the plumber",
                "Kitchen tap drips.\nAsk about Friday morning.",
            )
            .await?;
            action::add_note(client, "Groceries", "Milk, eggs, bread, coffee").await?;
            shoot(j, "home").await?;

            action::open(j, "/profile").await?;
            check::sees(client, &find::input("current_password")).await?;
            check::until("the profile to load", check::PATIENCE, async || {
                let first = client.find(find::input("first_name").locator()).await?;
                Ok(first.prop("value").await?.as_deref() == Some("Quinn"))
            })
            .await?;
            shoot(j, "profile").await?;

            // Another device of the same user, for a second row.
            let phone = j
                .http
                .post(j.url("/api/token/"))
                .header("User-Agent", PHONE_AGENT)
                .json(&json!({"username": user.username, "password": user.password}))
                .send()
                .await?;
            anyhow::ensure!(
                phone.status() == 200,
                "the phone's login: {}",
                phone.status()
            );
            action::click(client, &find::header_link("Sessions")).await?;
            check::sees_exactly(client, &find::session_rows(), 2).await?;
            shoot(j, "sessions").await?;

            action::open(j, "/no/such/page").await?;
            check::sees(client, &find::text("Page not found")).await?;
            shoot(j, "not-found").await?;

            // The session-expired message, as a refused refresh leaves it.
            let pair = action::stored_tokens(client).await?.expect("logged in");
            j.revoke(&pair.refresh).await?;
            let mut broken = pair.clone();
            broken.access = action::tamper(&pair.access);
            action::store_tokens(client, &broken).await?;
            action::open(j, "/").await?;
            check::sees(
                client,
                &find::text("Your session has expired. Please log in again."),
            )
            .await?;
            shoot(j, "session-expired").await
        })
        .await;
}

/// The pages of UI.md Part 2: mailed links, and what leads to them.
#[tokio::test]
async fn the_pages_of_mailed_links_at_desktop_and_phone_width() {
    let journey = Journey::start_with_mail(|s| s.mail.send_activation = true)
        .await
        .expect("journey starts");
    journey
        .run("gallery_mail", async |j| {
            let user = TestUser::new("imani");
            let client = &j.client;

            action::open(j, "/register").await?;
            action::register(client, &user).await?;
            check::sees(
                client,
                &find::text("Check your email to activate your account."),
            )
            .await?;
            shoot(j, "check-email").await?;

            let link = j.mailed_link(&user.email, 1, "/activate/").await?;
            action::open(j, &link).await?;
            check::sees(client, &find::button("Activate my account")).await?;
            shoot(j, "activate").await?;
            action::click(client, &find::button("Activate my account")).await?;
            check::on_login_page_at(client, "/login?done=activated").await?;
            shoot(j, "login-activated").await?;

            action::open(j, "/password/reset").await?;
            action::fill(client, "email", &user.email).await?;
            action::submit(client, "email").await?;
            check::sees(
                client,
                &find::text(
                    "If an account exists for that email, we have sent a link to reset the password.",
                ),
            )
            .await?;
            shoot(j, "password-reset").await?;

            let link = j
                .mailed_link(&user.email, 2, "/password/reset/confirm/")
                .await?;
            action::open(j, &link).await?;
            check::sees(client, &find::input("new_password2")).await?;
            shoot(j, "password-reset-confirm").await?;
            action::fill(client, "new_password", "imani-new-secret").await?;
            action::fill(client, "new_password2", "imani-new-secret").await?;
            action::submit(client, "new_password").await?;
            check::on_login_page_at(client, "/login?done=password_reset").await?;
            action::open(j, &link).await?;
            action::fill(client, "new_password", "imani-other-secret").await?;
            action::fill(client, "new_password2", "imani-other-secret").await?;
            action::submit(client, "new_password").await?;
            check::sees(client, &find::link("Ask for a new link")).await?;
            shoot(j, "password-reset-used-link").await?;

            let asked = j
                .http
                .post(j.url("/api/users/reset_username/"))
                .json(&json!({"email": user.email}))
                .send()
                .await?;
            anyhow::ensure!(asked.status() == 204, "reset_username: {}", asked.status());
            let link = j
                .mailed_link(&user.email, 3, "/username/reset/confirm/")
                .await?;
            action::open(j, &link).await?;
            check::sees(client, &find::input("new_username")).await?;
            shoot(j, "username-reset-confirm").await?;

            action::open(j, "/login").await?;
            action::log_in(client, &user.username, "imani-new-secret").await?;
            check::sees(client, &find::greeting(&user.username)).await?;
            action::open(j, "/profile").await?;
            action::fill_in(
                client,
                &find::input_in("delete-form", "current_password"),
                "imani-new-secret",
            )
            .await?;
            action::click(client, &find::submit_in("delete-form")).await?;
            check::sees(client, &find::text("Are you sure? This cannot be undone.")).await?;
            shoot(j, "profile-delete-confirm").await
        })
        .await;
}
