//! The bundled app against a server with `LOGIN_FIELD=email` (README,
//! "Moving from Django"): it registers, and logs in with the email typed
//! into the Username box.

use backend::config::LoginField;
use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn with_email_login_the_app_registers_and_logs_in_by_email() {
    let journey = Journey::start_with(|s| s.login_field = LoginField::Email)
        .await
        .expect("journey starts");
    journey
        .run("login_by_email", async |j| {
            let user = TestUser::new("erin");
            let client = &j.client;

            action::open(j, "/register").await?;
            action::register(client, &user).await?;
            check::on_login_page_at(client, "/login?registered=1").await?;

            // The server made the email the username.
            action::log_in(client, &user.email.to_uppercase(), &user.password).await?;
            check::sees(client, &find::greeting(&user.email)).await?;
            check::at(client, "/").await?;
            check::sees(client, &find::text("Email: erin@example.com")).await?;
            check::no_alerts(client).await
        })
        .await;
}
