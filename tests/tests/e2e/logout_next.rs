//! Issue 9 item 15: after the user's own logout, opening a private page
//! still goes to `/login?next=<path>`, like every logged-out visit, so the
//! login brings the user back there.

use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn after_a_logout_a_private_page_asks_for_a_login_with_next() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("logout_next", async |j| {
            let user = TestUser::new("rosa");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            action::open(j, "/profile").await?;
            check::sees(client, &find::input("first_name")).await?;

            // The logout itself goes to the bare login page.
            action::log_out(client).await?;
            check::on_login_page(client).await?;

            // Back to the private page the user left: asked to log in for it.
            client.back().await?;
            check::on_login_page_at(client, "/login?next=%2Fprofile").await?;

            // The Home link, in the same app without a reload.
            action::click(client, &find::header_link("Home")).await?;
            check::on_login_page_at(client, "/login?next=%2F").await?;
            check::does_not_see(client, &find::any_greeting()).await?;

            action::log_in(client, &user.username, &user.password).await?;
            check::at(client, "/").await?;
            check::sees(client, &find::greeting("rosa")).await?;
            Ok(())
        })
        .await;
}
