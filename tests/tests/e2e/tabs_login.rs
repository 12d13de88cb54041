//! UI.md "Several tabs": a login in one tab is picked up by another open tab
//! (through the `storage` event), without a reload.

use anyhow::ensure;
use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn a_login_in_one_tab_logs_in_the_other() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("tabs_login", async |j| {
            let user = TestUser::new("olga");
            j.create_user(&user).await?;
            let client = &j.client;
            action::open(j, "/login").await?;
            check::sees(client, &find::input("password")).await?;
            let first = client.window().await?;

            // The second tab asked for a private page and was sent to log in.
            let second = client.new_window(true).await?.handle;
            client.switch_to_window(second.clone()).await?;
            action::open(j, "/profile").await?;
            check::on_login_page_at(client, "/login?next=%2Fprofile").await?;
            // Gone if the tab reloads.
            client
                .execute("window.__sameDocument = true;", vec![])
                .await?;

            client.switch_to_window(first).await?;
            action::log_in(client, &user.username, &user.password).await?;
            check::sees(client, &find::greeting("olga")).await?;
            check::at(client, "/").await?;

            client.switch_to_window(second).await?;
            check::sees(client, &find::greeting("olga")).await?;
            // Someone logged in elsewhere goes home from the login page (the
            // page's `next` is for a login made on it).
            check::at(client, "/").await?;
            check::sees(client, &find::text("Name: Olga Tester")).await?;
            check::does_not_see(client, &find::input("password")).await?;
            check::no_alerts(client).await?;
            let same = client
                .execute("return window.__sameDocument === true;", vec![])
                .await?;
            ensure!(same.as_bool() == Some(true), "the second tab reloaded");
            Ok(())
        })
        .await;
}
