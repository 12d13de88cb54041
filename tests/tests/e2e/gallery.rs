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
