//! UI.md "Forms": pressing Enter in a field submits its form, and the submit
//! button is disabled while the request is in flight.
//!
//! Each request is held by the test until it has seen the disabled button
//! (and seen that another Enter sends nothing), then let go.

use anyhow::{Result, ensure};
use e2e::find::Target;
use e2e::network;
use e2e::{Journey, TestUser, action, check, find};
use fantoccini::Client;

/// Presses Enter in `field`, and checks that `call` was sent once and that
/// `button` stays disabled until the answer is back.
async fn enter_submits_once(
    client: &Client,
    field: &str,
    button: &Target,
    call: &str,
) -> Result<()> {
    network::hold(client, call).await?;
    let before = network::calls(client, call).await?;
    action::press_enter(client, field).await?;
    network::until_held(client, call, 1).await?;
    check::disabled(client, button, true).await?;
    // A second Enter while the first is on its way sends nothing.
    action::press_enter(client, field).await?;
    let sent = network::calls(client, call).await? - before;
    ensure!(sent == 1, "Enter in {field} sent {call} {sent} times");
    network::release(client, call).await
}

#[tokio::test]
async fn enter_submits_and_the_button_waits_for_the_answer() {
    let journey = Journey::start().await.expect("journey starts");
    journey
        .run("forms_enter", async |j| {
            let user = TestUser::new("yara");
            let client = &j.client;

            action::open(j, "/register").await?;
            network::watch(client).await?;
            action::fill(client, "username", &user.username).await?;
            action::fill(client, "email", &user.email).await?;
            action::fill(client, "first_name", &user.first_name).await?;
            action::fill(client, "last_name", &user.last_name).await?;
            action::fill(client, "password", &user.password).await?;
            action::fill(client, "password2", &user.password).await?;
            enter_submits_once(
                client,
                "password2",
                &find::submit_of("password2"),
                "POST /api/users/",
            )
            .await?;
            check::on_login_page_at(client, "/login?registered=1").await?;

            action::fill(client, "username", &user.username).await?;
            action::fill(client, "password", &user.password).await?;
            enter_submits_once(
                client,
                "password",
                &find::submit_of("password"),
                network::LOGIN,
            )
            .await?;
            check::sees(client, &find::greeting("yara")).await?;
            check::at(client, "/").await?;

            let title = find::css("form.note-new input[name=title]", "the new note's title");
            action::fill_in(client, &title, "Typed, not clicked").await?;
            enter_submits_once(
                client,
                "title",
                &find::css("form.note-new button[type=submit]", "the Add note button"),
                "POST /api/notes/",
            )
            .await?;
            check::sees(client, &find::note("Typed, not clicked")).await?;

            action::click(client, &find::header_link("Profile")).await?;
            check::until("the profile to load", check::PATIENCE, async || {
                let field = client.find(find::input("last_name").locator()).await?;
                Ok(field.prop("value").await?.as_deref() == Some("Tester"))
            })
            .await?;
            action::fill(client, "last_name", "Keyboard").await?;
            enter_submits_once(
                client,
                "email",
                &find::submit_of("last_name"),
                "PATCH /api/profile/",
            )
            .await?;
            check::sees(client, &find::text("Your profile has been saved.")).await?;
            check::no_alerts(client).await?;
            check::disabled(client, &find::submit_of("last_name"), false).await
        })
        .await;
}
