//! What a user does: open pages, type, press buttons. Each action waits for
//! the element it needs, as a person waits for the page to show it.

use anyhow::{Context, Result};
use fantoccini::Client;
use fantoccini::key::Key;
use serde_json::json;
use shared::{AccessClaims, TokenPair};

use crate::check;
use crate::find::{self, Target};
use crate::harness::{Journey, TestUser};

pub async fn open(journey: &Journey, path: &str) -> Result<()> {
    journey
        .client
        .goto(&journey.url(path))
        .await
        .with_context(|| format!("opening {path}"))
}

pub async fn click(client: &Client, target: &Target) -> Result<()> {
    check::sees(client, target)
        .await?
        .click()
        .await
        .with_context(|| format!("clicking {}", target.what))
}

/// Replaces the value of the input or textarea `name` with `value`.
pub async fn fill(client: &Client, name: &str, value: &str) -> Result<()> {
    let target = find::css(format!("[name={name}]"), format!("the {name} field"));
    fill_in(client, &target, value).await
}

pub async fn fill_in(client: &Client, target: &Target, value: &str) -> Result<()> {
    let field = check::sees(client, target).await?;
    field.clear().await?;
    field
        .send_keys(value)
        .await
        .with_context(|| format!("typing into {}", target.what))
}

/// Presses Enter in the field `name`, as someone who types rather than
/// reaches for the mouse.
pub async fn press_enter(client: &Client, name: &str) -> Result<()> {
    let target = find::css(format!("[name={name}]"), format!("the {name} field"));
    check::sees(client, &target)
        .await?
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .with_context(|| format!("pressing Enter in {}", target.what))
}

/// Presses the submit button of the form that holds the field `field`.
pub async fn submit(client: &Client, field: &str) -> Result<()> {
    click(client, &find::submit_of(field)).await
}

/// Fills and sends the register form (the page must be open).
pub async fn register(client: &Client, user: &TestUser) -> Result<()> {
    fill(client, "username", &user.username).await?;
    fill(client, "email", &user.email).await?;
    fill(client, "first_name", &user.first_name).await?;
    fill(client, "last_name", &user.last_name).await?;
    fill(client, "password", &user.password).await?;
    fill(client, "password2", &user.password).await?;
    submit(client, "password2").await
}

/// Fills and sends the login form (the page must be open).
pub async fn log_in(client: &Client, username: &str, password: &str) -> Result<()> {
    fill(client, "username", username).await?;
    fill(client, "password", password).await?;
    submit(client, "password").await
}

/// Opens `/login`, logs in and waits for the greeting.
pub async fn log_in_as(journey: &Journey, user: &TestUser) -> Result<()> {
    open(journey, "/login").await?;
    log_in(&journey.client, &user.username, &user.password).await?;
    check::sees(&journey.client, &find::greeting(&user.username)).await?;
    Ok(())
}

pub async fn log_out(client: &Client) -> Result<()> {
    click(client, &find::logout_button()).await
}

/// Adds a note through the form on Home and waits for it in the list.
pub async fn add_note(client: &Client, title: &str, body: &str) -> Result<()> {
    let title_field = find::css("form.note-new input[name=title]", "the new note's title");
    let body_field = find::css("form.note-new textarea[name=body]", "the new note's body");
    fill_in(client, &title_field, title).await?;
    fill_in(client, &body_field, body).await?;
    click(
        client,
        &find::css("form.note-new button[type=submit]", "the Add note button"),
    )
    .await?;
    check::sees(client, &find::note(title)).await?;
    Ok(())
}

/// The pair the app keeps in `localStorage["authTokens"]`.
pub async fn stored_tokens(client: &Client) -> Result<Option<TokenPair>> {
    let value = client
        .execute("return window.localStorage.getItem('authTokens');", vec![])
        .await?;
    match value.as_str() {
        None => Ok(None),
        Some(text) => Ok(Some(
            serde_json::from_str(text).context("authTokens is not a token pair")?,
        )),
    }
}

/// Writes `localStorage["authTokens"]` behind the app's back.
pub async fn store_tokens(client: &Client, pair: &TokenPair) -> Result<()> {
    let text = serde_json::to_string(pair)?;
    client
        .execute(
            "window.localStorage.setItem('authTokens', arguments[0]);",
            vec![json!(text)],
        )
        .await?;
    Ok(())
}

/// The same token with a broken signature: the server refuses it, while its
/// claims still read as before.
pub fn tamper(token: &str) -> String {
    let (head, signature) = token.rsplit_once('.').expect("a JWT has three parts");
    let first = if signature.starts_with('A') { 'B' } else { 'A' };
    format!("{head}.{first}{}", &signature[1..])
}

/// The claims of an access token, read as the app reads them (unchecked).
pub fn access_claims(token: &str) -> Result<AccessClaims> {
    use base64::Engine;
    let payload = token.split('.').nth(1).context("a JWT has three parts")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// The session (`sid`) of the pair this browser keeps now.
pub async fn stored_session(client: &Client) -> Result<String> {
    let pair = stored_tokens(client).await?.context("logged in")?;
    access_claims(&pair.access)?
        .sid
        .context("the access token names no session")
}
