//! UI.md "Private routes": the redirect to `/login?next=…` replaces the
//! private page in the history, so Back goes to the page before it instead
//! of bouncing through the private page back to the login page.

use e2e::{Journey, action, check, find};

#[tokio::test]
async fn back_after_the_login_redirect_leaves_normally() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("back_button", async |j| {
            let client = &j.client;
            action::open(j, "/register").await?;
            check::sees(client, &find::input("password2")).await?;

            // A private page typed into the address bar.
            action::open(j, "/profile").await?;
            check::on_login_page_at(client, "/login?next=%2Fprofile").await?;
            client.back().await?;
            check::at(client, "/register").await?;
            check::sees(client, &find::input("password2")).await?;

            // A private page reached by a link inside the app.
            action::click(client, &find::header_link("Home")).await?;
            check::on_login_page_at(client, "/login?next=%2F").await?;
            client.back().await?;
            check::at(client, "/register").await?;
            check::sees(client, &find::input("password2")).await?;
            Ok(())
        })
        .await;
}
