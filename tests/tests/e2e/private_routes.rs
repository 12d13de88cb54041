//! Journey 2: a private page while logged out asks for a login and then
//! comes back; a `next` that leaves the site is ignored; someone already
//! logged in is sent from the login and register pages to Home.

use e2e::{Journey, TestUser, action, check, find};

#[tokio::test]
async fn a_private_page_asks_for_a_login_then_returns_to_it() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("private_route_next", async |j| {
            let user = TestUser::new("bob");
            j.create_user(&user).await?;
            let client = &j.client;

            action::open(j, "/profile").await?;
            check::at(client, "/login?next=%2Fprofile").await?;
            check::does_not_see(client, &find::any_greeting()).await?;
            action::log_in(client, &user.username, &user.password).await?;

            check::at(client, "/profile").await?;
            check::sees(client, &find::greeting("bob")).await?;
            check::sees(client, &find::input("first_name")).await?;
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn a_next_that_leaves_the_site_lands_on_home() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("private_route_external_next", async |j| {
            let user = TestUser::new("carol");
            j.create_user(&user).await?;
            let client = &j.client;

            for next in [
                "//evil.example",
                "https://evil.example/",
                "/%5Cevil.example",
                "%2F%2Fevil.example",
            ] {
                action::open(j, &format!("/login?next={next}")).await?;
                action::log_in(client, &user.username, &user.password).await?;
                check::sees(client, &find::greeting("carol")).await?;
                check::at(client, "/").await?;
                let url = client.current_url().await?;
                assert_eq!(
                    url.host_str(),
                    Some("127.0.0.1"),
                    "next={next} left the site"
                );
                action::log_out(client).await?;
                check::on_login_page(client).await?;
            }
            Ok(())
        })
        .await;
}

#[tokio::test]
async fn the_login_and_register_pages_send_someone_logged_in_home() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("logged_in_skips_login", async |j| {
            let user = TestUser::new("dave");
            j.create_user(&user).await?;
            let client = &j.client;
            action::log_in_as(j, &user).await?;

            // `next` is for a login made on the page, not for a session
            // that already exists.
            action::open(j, "/login?next=%2Fprofile").await?;
            check::sees(client, &find::greeting("dave")).await?;
            check::at(client, "/").await?;
            check::sees(client, &find::text("Name: Dave Tester")).await?;

            action::open(j, "/register").await?;
            check::at(client, "/").await?;
            check::sees(client, &find::text("Name: Dave Tester")).await?;
            check::does_not_see(client, &find::input("password2")).await
        })
        .await;
}
