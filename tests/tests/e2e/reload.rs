//! Journey 3: a reload keeps the session, and the login page never shows
//! in between.

use anyhow::{Result, ensure};
use e2e::{Journey, TestUser, action, check, find};
use fantoccini::Client;
use shared::TokenPair;

/// Reloads and watches the page until the greeting is back: at no point may
/// the login form or the `/login` address show.
async fn reload_without_login_flash(client: &Client, username: &str) -> Result<()> {
    let history_before = client.execute("return history.length;", vec![]).await?;
    client.refresh().await?;
    let greeting = e2e::find::greeting(username);
    let login_form = find::input("password");
    check::until(
        "the greeting after the reload",
        check::PATIENCE,
        async || {
            let path = check::current_path(client).await?;
            ensure!(path == "/", "the address became {path} during the reload");
            ensure!(
                client.find_all(login_form.locator()).await?.is_empty(),
                "the login form showed during the reload"
            );
            Ok(!client.find_all(greeting.locator()).await?.is_empty())
        },
    )
    .await?;
    let history_after = client.execute("return history.length;", vec![]).await?;
    ensure!(
        history_before == history_after,
        "the reload navigated elsewhere (history {history_before} -> {history_after})"
    );
    Ok(())
}

#[tokio::test]
async fn a_reload_keeps_the_user_logged_in_without_showing_the_login_page() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("reload", async |j| {
            let user = TestUser::new("dave");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            check::sees(client, &find::text("Name: Dave Tester")).await?;

            reload_without_login_flash(client, "dave").await?;
            check::sees(client, &find::text("Name: Dave Tester")).await?;

            // An access token the app cannot use makes the start-up check
            // refresh first: the page shows its loading state meanwhile.
            let pair = action::stored_tokens(client).await?.expect("logged in");
            action::store_tokens(
                client,
                &TokenPair {
                    access: "not-a-token".into(),
                    refresh: pair.refresh.clone(),
                },
            )
            .await?;
            reload_without_login_flash(client, "dave").await?;
            check::sees(client, &find::text("Name: Dave Tester")).await?;
            let now = action::stored_tokens(client)
                .await?
                .expect("still logged in");
            ensure!(now.access != "not-a-token" && now.refresh != pair.refresh);
            check::no_alerts(client).await
        })
        .await;
}
