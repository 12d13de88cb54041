//! Journey 1: register, log in, and see one's profile on Home.

use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn a_new_user_registers_logs_in_and_sees_their_profile_on_home() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("register_and_login", async |j| {
            let user = TestUser::new("alice");
            let client = &j.client;

            action::open(j, "/register").await?;
            action::register(client, &user).await?;

            check::on_login_page_at(client, "/login?registered=1").await?;
            check::sees(client, &find::text("Your account is ready. Please log in.")).await?;
            action::log_in(client, &user.username, &user.password).await?;

            check::sees(client, &find::greeting("alice")).await?;
            check::at(client, "/").await?;
            check::sees(client, &find::text("Name: Alice Tester")).await?;
            check::sees(client, &find::text("Email: alice@example.com")).await?;
            check::sees(client, &find::logout_button()).await?;
            check::does_not_see(client, &find::header_link("Login")).await?;
            check::no_alerts(client).await
        })
        .await;
}
