//! Journey 10: after a logout the old refresh token is refused by the API.

use anyhow::ensure;
use e2e::{Journey, TestUser, action, check, find};
use serde_json::json;

#[tokio::test]
async fn after_logout_the_old_refresh_token_is_refused() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("logout", async |j| {
            let user = TestUser::new("pat");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;
            let pair = action::stored_tokens(client).await?.expect("logged in");

            action::log_out(client).await?;
            check::on_login_page(client).await?;
            check::sees(client, &find::header_link("Login")).await?;
            ensure!(
                action::stored_tokens(client).await?.is_none(),
                "tokens left in storage"
            );

            // The logout request runs in the background: wait until the server
            // knows (verify does not rotate the token, unlike refresh).
            check::until(
                "the refresh token to be blacklisted",
                check::PATIENCE,
                async || {
                    let verify = j
                        .http
                        .post(j.url("/api/token/verify/"))
                        .json(&json!({"token": pair.refresh}))
                        .send()
                        .await?;
                    Ok(verify.status() == 401)
                },
            )
            .await?;
            let refresh = j
                .http
                .post(j.url("/api/token/refresh/"))
                .json(&json!({"refresh": pair.refresh}))
                .send()
                .await?;
            assert_eq!(refresh.status(), 401);
            let body: serde_json::Value = refresh.json().await?;
            assert_eq!(body["code"], "token_not_valid");
            Ok(())
        })
        .await;
}
